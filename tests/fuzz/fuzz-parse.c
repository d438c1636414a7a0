// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the small parsers of outside input: addresses and
 * prefixes, route strings, MAC addresses, namespace / interface names,
 * sysctl keys, generated-topology specs, link impairments (the words of
 * `nsnet link set`, also the lab file's impair: values) and the runtime
 * cable records of a lab's state. The first byte picks the parser,
 * the rest is the string (NUL-terminated copy of exactly that many bytes, so
 * AddressSanitizer sees any read past it).
 *
 * Beyond "no crash", each accepted input must satisfy the parser's promise:
 * a parsed prefix / route / MAC formats back to text that parses to the same
 * value, an accepted name has none of the characters the check forbids, and
 * a generated topology passes the checker, an impairment formats to words
 * that read back as the same setting, and the qdisc message built for it
 * parses back as exactly that setting.
 *
 *   make fuzz            (builds every tests/fuzz/fuzz-*.c into build-fuzz/)
 *   build-fuzz/fuzz-parse -max_total_time=60 tests/fuzz/corpus/parse
 */
#include <ctype.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "nsnet/addr.h"
#include "nsnet/cable.h"
#include "nsnet/impair.h"
#include "nsnet/lab.h"
#include "nsnet/link.h"
#include "nsnet/netns.h"
#include "nsnet/route.h"
#include "nsnet/sysctl.h"
#include "nsnet/tc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MUST(cond)                                                              \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "fuzz-parse: broken promise: %s\n", #cond); \
			abort();                                                \
		}                                                               \
	} while (0)

static int same_prefix(const struct nsnet_prefix *a, const struct nsnet_prefix *b)
{
	return a->family == b->family && a->plen == b->plen && !memcmp(a->addr, b->addr, 16);
}

static void prefix(const char *s, int need_plen)
{
	struct nsnet_prefix p, q, net;
	char buf[64];

	if (nsnet_prefix_parse(s, &p, need_plen) < 0)
		return;
	MUST(p.family == AF_INET || p.family == AF_INET6);
	MUST(p.plen >= 0 && p.plen <= (p.family == AF_INET ? 32 : 128));
	nsnet_prefix_fmt(&p, 1, buf, sizeof(buf));
	MUST(nsnet_prefix_parse(buf, &q, 1) == 0 && same_prefix(&p, &q));
	nsnet_prefix_network(&p, &net);
	MUST(nsnet_prefix_contains(&net, &p));
	if (nsnet_prefix_host(&p, 1, &q) == 0)
		MUST(nsnet_prefix_contains(&p, &q));
}

static void ip(const char *s)
{
	struct nsnet_prefix p, q;
	char buf[64];

	if (nsnet_ip_parse(s, &p) < 0)
		return;
	MUST(!strchr(s, '/'));
	nsnet_prefix_fmt(&p, 0, buf, sizeof(buf));
	MUST(nsnet_ip_parse(buf, &q) == 0 && nsnet_ip_equal(&p, &q));
}

static void route(const char *s)
{
	struct nsnet_route r, r2;
	struct nsnet_err err = { 0 };
	char buf[512];

	if (nsnet_route_parse_str(s, &r, &err) < 0) {
		MUST(err.error < 0);
		return;
	}
	MUST(r.family == AF_INET || r.family == AF_INET6);
	MUST(r.gw.family || r.dev[0]);
	MUST(!r.dev[0] || nsnet_ifname_check(r.dev, NULL) == 0);
	/* the status line of a route reads back as the same route (table aside) */
	nsnet_route_fmt(&r, r.dev, buf, sizeof(buf));
	MUST(nsnet_route_parse_str(buf, &r2, NULL) == 0);
	MUST(r2.family == r.family && r2.dst.plen == r.dst.plen && r2.metric == r.metric);
	MUST(!memcmp(r2.dst.addr, r.dst.addr, 16));
	MUST(!r.gw.family || nsnet_ip_equal(&r2.gw, &r.gw));
	MUST(!strcmp(r2.dev, r.dev));
}

static void mac(const char *s)
{
	uint8_t m[6];
	char buf[32];

	if (nsnet_mac_parse(s, m) < 0)
		return;
	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
		 m[5]);
	MUST(!strcasecmp(buf, s));
}

static void names(const char *s)
{
	size_t len = strlen(s);
	const char *p;

	if (nsnet_netns_name_check(s, NULL) == 0) {
		MUST(len > 0 && len <= NAME_MAX && !strchr(s, '/'));
		MUST(strcmp(s, ".") && strcmp(s, ".."));
	}
	if (nsnet_ifname_check(s, NULL) == 0) {
		MUST(len > 0 && len <= 15 && strcmp(s, ".") && strcmp(s, ".."));
		for (p = s; *p; p++)
			MUST(*p != '/' && *p != ':' && !isspace((unsigned char)*p));
	}
}

static void sysctl_key(const char *s)
{
	struct nsnet_err err = { 0 };

	if (nsnet_sysctl_check(s, &err) < 0) {
		MUST(err.error < 0);
		return;
	}
	MUST(!strstr(s, "..") && s[0] != '/' && s[0] != '.' && strlen(s) <= 200);
}

static void topo(const char *s)
{
	struct nsnet_lab *lab = NULL;
	struct nsnet_err err = { 0 };

	if (nsnet_lab_topo(s, &lab, &err) == 0) {
		/* a spec the generator accepts always makes a valid lab */
		if (nsnet_lab_check(lab, &err) < 0) {
			fprintf(stderr, "fuzz-parse: topo \"%s\" fails the check: %s\n", s,
				err.msg);
			abort();
		}
	} else {
		MUST(err.error < 0 && !lab);
	}
	nsnet_lab_free(lab);
}

static void impair(const char *s)
{
	static char msg[NSNET_NL_MSG_MAX] __attribute__((aligned(8)));
	struct nsnet_impair im, im2;
	struct nsnet_err err = { 0 };
	struct nsnet_qdisc_info q;
	char buf[NSNET_IMPAIR_FMT_MAX];
	struct nlmsghdr *nlh;

	if (nsnet_impair_parse_str(s, &im, &err) < 0) {
		MUST(err.error < 0);
		return;
	}
	MUST(nsnet_impair_check(&im, NULL) == 0);
	nsnet_impair_format(&im, buf, sizeof(buf));
	MUST(strlen(buf) < sizeof(buf) - 1);
	MUST(nsnet_impair_parse_str(buf, &im2, NULL) == 0 && nsnet_impair_eq(&im, &im2));
	memset(msg, 0, sizeof(msg));
	nlh = mnl_nlmsg_put_header(msg);
	if (nsnet_tc_msg_set(nlh, 2, &im, 1500) < 0) {
		MUST(!(im.set & (NSNET_IMPAIR_NETEM | NSNET_IMPAIR_RATE)));
		return;
	}
	MUST(nlh->nlmsg_len <= 512);
	((struct tcmsg *)mnl_nlmsg_get_payload(nlh))->tcm_handle = 0x80010000;
	MUST(nsnet_tc_parse(nlh, &q) == 0 && nsnet_tc_matches(&q, &im, 1500));
}

/* The runtime cable records of a lab's state (an edited file must not hurt). */
static void cable_state(const char *s)
{
	struct nsnet_cable_state *v = NULL, *w = NULL;
	size_t n = 0, m = 0, i;
	char *text;

	if (nsnet_cable_state_parse(s, strlen(s), &v, &n) < 0)
		return;
	text = nsnet_cable_state_text(v, n);
	MUST(text != NULL);
	MUST(nsnet_cable_state_parse(text, strlen(text), &w, &m) == 0);
	/* records with nothing to say are not written */
	for (i = 0; i < n; i++)
		MUST(v[i].down || v[i].has_impair);
	MUST(m == n);
	for (i = 0; i < n; i++)
		MUST(!strcmp(v[i].key, w[i].key) && v[i].down == w[i].down &&
		     v[i].has_impair == w[i].has_impair && nsnet_impair_eq(&v[i].impair, &w[i].impair));
	free(text);
	free(v);
	free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1 || size > 4096)
		return 0;
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 10) {
	case 0: prefix(s, 0); break;
	case 1: prefix(s, 1); break;
	case 2: ip(s); break;
	case 3: route(s); break;
	case 4: mac(s); break;
	case 5: names(s); break;
	case 6: sysctl_key(s); break;
	case 7: topo(s); break;
	case 8: impair(s); break;
	case 9: cable_state(s); break;
	}
	free(s);
	return 0;
}
