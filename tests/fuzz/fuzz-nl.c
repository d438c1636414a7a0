// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the netlink reply parsers: the input is a receive
 * buffer (a sequence of nlmsghdr-framed messages, as recvmsg() returns it).
 *
 * Contract exercised: nsnet_nl_parse_ack() takes the available length and
 * must reject anything inconsistent; nsnet_link_parse() / nsnet_addr_parse()
 * / nsnet_route_parse() / nsnet_neigh_parse() / nsnet_tc_parse() trust nlmsg_len, so the caller
 * (nsnet_nl_flush / nsnet_nl_dump) must only hand them a header with
 * NLMSG_HDRLEN <= nlmsg_len <= bytes available: nsnet_nl_msg_ok(). (The
 * first run found libmnl's mnl_nlmsg_ok() accepting nlmsg_len >= 2^31.) Each message is
 * copied into an allocation of exactly nlmsg_len bytes, so any read past it
 * is caught by AddressSanitizer.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude \
 *     tests/fuzz/fuzz-nl.c lib/nl.c lib/link.c lib/addr.c lib/route.c \
 *     lib/netns.c lib/err.c lib/tc.c lib/impair.c -lmnl -lpthread -o fuzz-nl
 *   ./fuzz-nl -max_total_time=180 tests/fuzz/corpus/nl
 *
 * Built with -DNSNET_FUZZ_CAPTURE (no libFuzzer) it is instead a seed
 * writer: run inside a sandbox, it saves real dump and ACK replies as files.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "nsnet/addr.h"
#include "nsnet/link.h"
#include "nsnet/nl.h"
#include "nsnet/route.h"
#include "nsnet/tc.h"

#ifndef NSNET_FUZZ_CAPTURE

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_one(const struct nlmsghdr *src)
{
	struct nsnet_link_info li;
	struct nsnet_addr_info ai;
	struct nsnet_route r;
	struct nsnet_neigh_info ni;
	struct nsnet_qdisc_info qi;
	struct nsnet_impair im;
	char text[NSNET_IMPAIR_FMT_MAX];
	struct nlmsghdr *nlh = malloc(src->nlmsg_len);
	char msg[64];
	uint32_t miss;

	if (!nlh)
		return;
	memcpy(nlh, src, src->nlmsg_len);
	/* every parser on every message: type checks are the callers' job */
	nsnet_link_parse(nlh, &li);
	nsnet_addr_parse(nlh, &ai);
	nsnet_route_parse(nlh, &r);
	nsnet_neigh_parse(nlh, &ni);
	if (nsnet_tc_parse(nlh, &qi) == 0 && nsnet_tc_impair(&qi, 1500, &im) == 0)
		nsnet_impair_format(&im, text, sizeof(text));
	nsnet_nl_parse_ack(nlh, nlh->nlmsg_len, msg, sizeof(msg), &miss);
	nsnet_nl_parse_ack(nlh, nlh->nlmsg_len, msg, 1, NULL);
	free(nlh);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf;
	const struct nlmsghdr *nlh;
	char msg[256];
	size_t len, step;

	if (size > 1 << 20)
		return 0;
	/* an exact-size, aligned copy: the fuzzer's buffer may be unaligned */
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	/* the ACK parser is length-safe on its own: any bytes, any claimed length */
	if (size >= sizeof(struct nlmsghdr))
		nsnet_nl_parse_ack((const void *)buf, (unsigned)size, msg, sizeof(msg), NULL);
	len = size;
	for (nlh = (const void *)buf; nsnet_nl_msg_ok(nlh, len);
	     nlh = (const void *)((const char *)nlh + step)) {
		parse_one(nlh);
		step = NLMSG_ALIGN(nlh->nlmsg_len);
		len = step < len ? len - step : 0;
	}
	free(buf);
	return 0;
}

#else /* NSNET_FUZZ_CAPTURE */

#include <sys/socket.h>

static int n_out;

static void save(const char *dir, const char *tag, const void *buf, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s-%02d", dir, tag, n_out++);
	f = fopen(path, "we");
	if (!f)
		return;
	fwrite(buf, 1, len, f);
	fclose(f);
}

static void dump(struct mnl_socket *sk, const char *dir, const char *tag, uint16_t type,
		 size_t hdrlen, uint8_t family)
{
	static char buf[1 << 16] __attribute__((aligned(8)));
	char req[64] __attribute__((aligned(8))) = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	uint8_t *fam;
	ssize_t n;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = 1;
	fam = mnl_nlmsg_put_extra_header(nlh, hdrlen);
	fam[0] = family;
	mnl_socket_sendto(sk, nlh, nlh->nlmsg_len);
	while ((n = mnl_socket_recvfrom(sk, buf, sizeof(buf))) > 0) {
		const struct nlmsghdr *m = (const void *)buf;
		int l = (int)n, done = 0;

		save(dir, tag, buf, (size_t)n);
		for (; mnl_nlmsg_ok(m, l); m = mnl_nlmsg_next(m, &l)) {
			/* each message alone, too */
			if (m->nlmsg_type != NLMSG_DONE)
				save(dir, tag, m, m->nlmsg_len);
			done |= m->nlmsg_type == NLMSG_DONE || m->nlmsg_type == NLMSG_ERROR;
		}
		if (done)
			break;
	}
}

/* A request the kernel refuses, with extended ACKs on: a real error ACK. */
static void bad_request(struct mnl_socket *sk, const char *dir, int cap)
{
	static char buf[8192] __attribute__((aligned(8)));
	char req[256] __attribute__((aligned(8))) = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct rtmsg *rtm;
	uint8_t gw[4] = { 10, 99, 0, 1 }, dst[4] = { 10, 7, 0, 0 };
	int one = 1;
	ssize_t n;

	mnl_socket_setsockopt(sk, NETLINK_CAP_ACK, &cap, sizeof(cap));
	mnl_socket_setsockopt(sk, NETLINK_EXT_ACK, &one, sizeof(one));
	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	nlh->nlmsg_seq = 2;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 16;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, 4, dst);
	mnl_attr_put(nlh, RTA_GATEWAY, 4, gw);
	mnl_socket_sendto(sk, nlh, nlh->nlmsg_len);
	n = mnl_socket_recvfrom(sk, buf, sizeof(buf));
	if (n > 0)
		save(dir, cap ? "ack-capped" : "ack-full", buf, (size_t)n);
}

int main(int argc, char **argv)
{
	struct mnl_socket *sk = mnl_socket_open(NETLINK_ROUTE);
	const char *dir = argc > 1 ? argv[1] : ".";

	if (!sk || mnl_socket_bind(sk, 0, MNL_SOCKET_AUTOPID) < 0)
		return 1;
	dump(sk, dir, "link", RTM_GETLINK, sizeof(struct ifinfomsg), AF_UNSPEC);
	dump(sk, dir, "addr", RTM_GETADDR, sizeof(struct ifaddrmsg), AF_UNSPEC);
	dump(sk, dir, "route", RTM_GETROUTE, sizeof(struct rtmsg), AF_UNSPEC);
	dump(sk, dir, "neigh", RTM_GETNEIGH, sizeof(struct ndmsg), AF_UNSPEC);
	bad_request(sk, dir, 1);
	bad_request(sk, dir, 0);
	mnl_socket_close(sk);
	return 0;
}

#endif
