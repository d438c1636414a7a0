// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the rootless holder's parsers of outside input
 * (lib/rootless-proto.c): sync requests (any process of the user may send
 * one), the holder's info reply, and slirp4netns API replies. The first byte
 * picks the parser, the rest is the input.
 *
 * Beyond "no crash": an accepted sync has valid lab names, at most the port
 * limit per lab, ranges sorted, merged, inside 1..65535; formatted back
 * ("lab NAME" + ranges) it parses to the same ranges; pasta specs fit or say
 * -ENOSPC; a slirp reply is an id >= 0 or -EIO with a message.
 *
 *   make fuzz            (builds every tests/fuzz/fuzz-*.c into build-fuzz/)
 *   build-fuzz/fuzz-rootless -max_total_time=60 tests/fuzz/corpus/rootless
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsnet/rootless.h"
#include "../../lib/rootless-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MUST(cond)                                                                 \
	do {                                                                       \
		if (!(cond)) {                                                     \
			fprintf(stderr, "fuzz-rootless: broken promise: %s\n", #cond); \
			abort();                                                   \
		}                                                                  \
	} while (0)

static void ranges_ok(const struct nsnet__rl_port *p, size_t n)
{
	size_t i, total = 0;

	for (i = 0; i < n; i++) {
		MUST(p[i].proto == IPPROTO_TCP || p[i].proto == IPPROTO_UDP);
		MUST(p[i].port >= 1 && p[i].count >= 1);
		MUST((unsigned)p[i].port + p[i].count - 1 <= 65535);
		if (i)	/* sorted by (proto, port), disjoint, not adjacent */
			MUST(p[i - 1].proto < p[i].proto ||
			     (p[i - 1].proto == p[i].proto &&
			      (unsigned)p[i - 1].port + p[i - 1].count < p[i].port));
		total += p[i].count;
	}
	MUST(total <= NSNET__RL_MAX_PORTS);
}

static void sync_input(const char *s, size_t len)
{
	struct nsnet__rl_sync sy, again;
	struct nsnet_err err = { 0 };
	char *line;
	size_t i;

	if (nsnet__rl_sync_parse(s, len, &sy, &err) < 0) {
		MUST(err.error == -EINVAL || err.error == -ENOMEM);
		MUST(sy.nlabs == 0 && !sy.labs);
		return;
	}
	line = malloc(16 * NSNET__RL_MAX_PORTS + 128);
	MUST(line);
	for (i = 0; i < sy.nlabs; i++) {
		char spec[8192];
		int r;

		MUST(nsnet__rl_name_ok(sy.labs[i].name));
		ranges_ok(sy.labs[i].ports, sy.labs[i].nports);
		MUST(!sy.labs[i].keep || !sy.labs[i].nports);
		if (sy.labs[i].keep)
			continue;
		snprintf(line, 128, "lab %s", sy.labs[i].name);
		MUST(nsnet__rl_ports_fmt(sy.labs[i].ports, sy.labs[i].nports, line,
					 16 * NSNET__RL_MAX_PORTS + 128) == 0);
		MUST(nsnet__rl_sync_parse(line, strlen(line), &again, &err) == 0 && again.nlabs == 1);
		MUST(nsnet__rl_ports_equal(again.labs[0].ports, again.labs[0].nports,
					   sy.labs[i].ports, sy.labs[i].nports));
		nsnet__rl_sync_free(&again);
		r = nsnet__rl_pasta_spec(sy.labs[i].ports, sy.labs[i].nports, IPPROTO_TCP, spec,
					 sizeof(spec));
		MUST(r == 0 && (!strcmp(spec, "none") || !strncmp(spec, "127.0.0.1/", 10)));
		r = nsnet__rl_pasta_spec(sy.labs[i].ports, sy.labs[i].nports, IPPROTO_UDP, spec, 16);
		MUST(r == 0 || r == -ENOSPC);
	}
	free(line);
	nsnet__rl_sync_free(&sy);
}

static void info_input(const char *s, size_t len)
{
	struct nsnet_rootless_status st;
	struct nsnet_err err = { 0 };
	size_t i;

	if (nsnet__rl_info_parse(s, len, &st, &err) < 0) {
		MUST(!st.pubs && !st.npubs);
		return;
	}
	MUST(st.holder >= 0 && st.ns >= 0 && st.helper_pid >= 0);
	MUST(memchr(st.helper, '\0', sizeof(st.helper)) && memchr(st.note, '\0', sizeof(st.note)));
	for (i = 0; i < st.npubs; i++) {
		MUST(nsnet__rl_name_ok(st.pubs[i].lab));
		MUST(st.pubs[i].port >= 1 && st.pubs[i].count >= 1 &&
		     st.pubs[i].port + st.pubs[i].count - 1 <= 65535);
	}
	nsnet_rootless_status_free(&st);
}

static void slirp_input(const char *s, size_t len)
{
	struct nsnet_err err = { 0 };
	int r = nsnet__rl_slirp_reply(s, len, &err);

	MUST(r >= 0 || (r == -EIO && err.msg[0]));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1 || size > NSNET__RL_MSG_MAX + 1)
		return 0;
	s = malloc(size > 1 ? size - 1 : 1);	/* exactly the input, unterminated: ASan sees overreads */
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	switch (data[0] % 3) {
	case 0:
		sync_input(s, size - 1);
		break;
	case 1:
		info_input(s, size - 1);
		break;
	default:
		slirp_input(s, size - 1);
		break;
	}
	free(s);
	return 0;
}
