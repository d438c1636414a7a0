// SPDX-License-Identifier: MIT
/*
 * Rootless labs, the pure parts: the holder's sync requests and info replies,
 * port ranges (normalised, formatted for the protocol and for pasta), and
 * slirp4netns API replies (lib/rootless-proto.c).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "nsnet/rootless.h"
#include "../../lib/rootless-int.h"
#include "check.h"

static int parse(const char *s, struct nsnet__rl_sync *sy, struct nsnet_err *err)
{
	nsnet_err_clear(err);
	return nsnet__rl_sync_parse(s, strlen(s), sy, err);
}

static void test_sync(void)
{
	struct nsnet_err err = { 0 };
	struct nsnet__rl_sync s;
	char buf[256] = "";

	CHECK(parse("", &s, &err) == 0 && s.nlabs == 0, "empty sync: no lab");
	CHECK(parse("lab seed tcp 8080 1\nkeep other\nlab none\n", &s, &err) == 0 && s.nlabs == 3,
	      "three labs");
	CHECK(!strcmp(s.labs[0].name, "seed") && s.labs[0].nports == 1 &&
	      s.labs[0].ports[0].proto == IPPROTO_TCP && s.labs[0].ports[0].port == 8080 &&
	      s.labs[0].ports[0].count == 1, "lab seed: tcp 8080");
	CHECK(s.labs[1].keep && !s.labs[2].keep && s.labs[2].nports == 0, "keep other, none empty");
	nsnet__rl_sync_free(&s);

	CHECK(parse("lab a udp 53 1 tcp 9000 2 tcp 9001 4 tcp 8000 1 tcp 9005 1", &s, &err) == 0,
	      "overlapping and adjacent ranges");
	CHECK(s.labs[0].nports == 3, "… merged into 3 (got %zu)", s.labs[0].nports);
	nsnet__rl_ports_fmt(s.labs[0].ports, s.labs[0].nports, buf, sizeof(buf));
	CHECK(!strcmp(buf, " tcp 8000 1 tcp 9000 6 udp 53 1"), "… sorted, tcp first: \"%s\"", buf);
	CHECK(nsnet__rl_pasta_spec(s.labs[0].ports, s.labs[0].nports, IPPROTO_TCP, buf,
				   sizeof(buf)) == 0 && !strcmp(buf, "127.0.0.1/8000,9000-9005"),
	      "pasta -t: \"%s\"", buf);
	CHECK(nsnet__rl_pasta_spec(s.labs[0].ports, s.labs[0].nports, IPPROTO_UDP, buf,
				   sizeof(buf)) == 0 && !strcmp(buf, "127.0.0.1/53"),
	      "pasta -u: \"%s\"", buf);
	CHECK(nsnet__rl_pasta_spec(s.labs[0].ports, 0, IPPROTO_UDP, buf, sizeof(buf)) == 0 &&
	      !strcmp(buf, "none"), "pasta, no port: none");
	CHECK(nsnet__rl_pasta_spec(s.labs[0].ports, s.labs[0].nports, IPPROTO_TCP, buf, 12) ==
	      -ENOSPC, "pasta spec too long: -ENOSPC");
	nsnet__rl_sync_free(&s);

	CHECK(parse("lab a tcp 65535 1", &s, &err) == 0, "port 65535");
	nsnet__rl_sync_free(&s);
	{
		static const char *const bad[] = {
			"lab", "lab a/b", "lab ../x tcp 1 1", "lab a tcp 0 1", "lab a tcp 65535 2",
			"lab a tcp 1 0", "lab a sctp 1 1", "lab a tcp 1", "lab a tcp 1 1 udp",
			"keep a tcp 1 1", "lab a\nlab a", "drop a", "lab a tcp +1 1",
			"lab a tcp 123456 1", "lab a tcp 1 65535 udp 1 65535",
			"lab aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			int r = parse(bad[i], &s, &err);

			CHECK(r == -EINVAL && s.nlabs == 0 && err.msg[0], "refused: \"%s\" (%s)",
			      bad[i], err.msg);
		}
	}
	CHECK(nsnet__rl_sync_parse("lab a\0x", 7, &s, &err) == -EINVAL, "NUL in a request");
}

static void test_info(void)
{
	const char *t = "holder 10\nns 11\nhelper pasta 12\nlab seed tcp 8080 1\n"
			"lab other udp 53 2 tcp 1 1\n";
	struct nsnet_rootless_status st;
	struct nsnet_err err = { 0 };

	CHECK(nsnet__rl_info_parse(t, strlen(t), &st, &err) == 0, "info parses (%s)", err.msg);
	CHECK(st.holder == 10 && st.ns == 11 && st.helper_pid == 12 && !strcmp(st.helper, "pasta"),
	      "holder, ns, helper");
	CHECK(st.npubs == 3 && !strcmp(st.pubs[0].lab, "seed") && st.pubs[0].port == 8080 &&
	      !strcmp(st.pubs[2].lab, "other") && st.pubs[2].proto == IPPROTO_UDP &&
	      st.pubs[2].count == 2, "three published ranges");
	nsnet_rootless_status_free(&st);
	t = "holder 1\nns 2\nhelper none 0\nnote neither pasta nor slirp4netns is installed\n";
	CHECK(nsnet__rl_info_parse(t, strlen(t), &st, &err) == 0 &&
	      !strcmp(st.note, "neither pasta nor slirp4netns is installed") && !st.npubs,
	      "a note, no forwards");
	nsnet_rootless_status_free(&st);
	CHECK(nsnet__rl_info_parse("holder x\n", 9, &st, &err) == -EINVAL, "bad pid refused");
	CHECK(nsnet__rl_info_parse("ns 1 2\n", 7, &st, &err) == -EINVAL, "extra word refused");
	CHECK(nsnet__rl_info_parse("lab a tcp 0 1\n", 14, &st, &err) == -EINVAL && !st.pubs,
	      "bad lab line refused");
}

static void test_slirp(void)
{
	struct nsnet_err err = { 0 };
	const char *s;

	s = "{\"return\":{\"id\":7}}";
	CHECK(nsnet__rl_slirp_reply(s, strlen(s), &err) == 7, "add_hostfwd reply: id 7");
	s = "{\"return\":{}}";
	CHECK(nsnet__rl_slirp_reply(s, strlen(s), &err) == 0, "remove_hostfwd reply: 0");
	s = "{\"error\":{\"desc\":\"bad request: add_hostfwd: slirp_add_hostfwd failed\"}}";
	CHECK(nsnet__rl_slirp_reply(s, strlen(s), &err) == -EIO &&
	      strstr(err.msg, "slirp_add_hostfwd failed"), "error reply: %s", err.msg);
	s = "{\"return\":{\"id\":-1}}";
	CHECK(nsnet__rl_slirp_reply(s, strlen(s), &err) == -EIO, "negative id refused");
	s = "{\"return\":1}";
	CHECK(nsnet__rl_slirp_reply(s, strlen(s), &err) == -EIO, "return not an object");
	CHECK(nsnet__rl_slirp_reply("", 0, &err) == -EIO, "empty reply");
	CHECK(nsnet__rl_slirp_reply("{\"return\":{\"id\":1}", 18, &err) == -EIO, "cut short");
}

int main(void)
{
	test_sync();
	test_info();
	test_slirp();
	return CHECK_DONE();
}
