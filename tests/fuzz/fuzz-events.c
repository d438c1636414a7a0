// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the event decoder and tracker of nsnet events: the
 * input is a receive buffer (nlmsghdr-framed rtnetlink messages, as a
 * notification socket reads them). Every message that nsnet_nl_msg_ok()
 * accepts (as the watcher checks) is copied into an allocation of exactly
 * nlmsg_len bytes and decoded; the decoder is also given fewer bytes than the
 * header claims (must refuse). Decoded events feed one tracker, in a mode
 * taken from the message's sequence number (notification, dump, quiet, quiet
 * new), with a dump generation started and swept now and then; every event
 * out of it is formatted as text and JSON into small and large buffers.
 *
 *   make fuzz-build && build-fuzz/fuzz-events -max_total_time=60 tests/fuzz/corpus/events
 *
 * Built with -DNSNET_FUZZ_CAPTURE (no libFuzzer) it is a seed writer: inside a
 * sandbox, `fuzz-events DIR 'SHELL COMMANDS'` subscribes to the groups nsnet
 * events uses, runs the commands and saves every datagram (and dump replies).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "nsnet/events.h"
#include "nsnet/nl.h"

#ifndef NSNET_FUZZ_CAPTURE

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fmt(const struct nsnet_event *ev)
{
	char big[2048], small[24];
	struct nsnet_event e = *ev;

	e.lab = "lab";
	e.node = "node";
	e.netns = "ns";
	nsnet_event_format(&e, 0, big, sizeof(big));
	nsnet_event_format(&e, 1, big, sizeof(big));
	nsnet_event_format(&e, 0, small, sizeof(small));
	nsnet_event_format(&e, 1, small, sizeof(small));
	nsnet_event_format(&e, 1, small, 0);
}

static void sweep_cb(const struct nsnet_event *ev, void *arg)
{
	(void)arg;
	fmt(ev);
}

static const int modes[] = {
	0, NSNET_EVT_DUMP, NSNET_EVT_DUMP | NSNET_EVT_QUIET, NSNET_EVT_QUIET_NEW,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nsnet_ev_track *t;
	const struct nlmsghdr *src;
	struct nsnet_event ev, out[2];
	uint8_t *buf;
	size_t len, step;
	int n, i;

	if (size > 1 << 20)
		return 0;
	buf = malloc(size ? size : 1);
	t = nsnet_ev_track_new();
	if (!buf || !t)
		goto out;
	memcpy(buf, data, size);
	len = size;
	for (src = (const void *)buf; nsnet_nl_msg_ok(src, len);
	     src = (const void *)((const char *)src + step)) {
		struct nlmsghdr *m = malloc(src->nlmsg_len);

		if (!m)
			break;
		memcpy(m, src, src->nlmsg_len);
		/* claimed length beyond the bytes: refused */
		if (nsnet_event_decode(m, m->nlmsg_len - 1, &ev) != -EBADMSG)
			__builtin_trap();
		if (nsnet_event_decode(m, m->nlmsg_len, &ev) == 1) {
			fmt(&ev);
			n = nsnet_ev_track_apply(t, &ev, modes[m->nlmsg_seq & 3], out);
			for (i = 0; i < n; i++)
				fmt(&out[i]);
		}
		if ((m->nlmsg_seq & 0x30) == 0x10)
			nsnet_ev_track_begin(t);
		else if ((m->nlmsg_seq & 0x30) == 0x20)
			nsnet_ev_track_sweep(t, m->nlmsg_seq & 0x40, sweep_cb, NULL);
		free(m);
		step = NLMSG_ALIGN(src->nlmsg_len);
		len = step < len ? len - step : 0;
	}
	nsnet_ev_track_begin(t);
	nsnet_ev_track_sweep(t, 0, sweep_cb, NULL);
out:
	nsnet_ev_track_free(t);
	free(buf);
	return 0;
}

#else /* NSNET_FUZZ_CAPTURE */

#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int n_out;

static void save(const char *dir, const void *buf, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/notify-%03d", dir, n_out++);
	f = fopen(path, "we");
	if (!f)
		return;
	fwrite(buf, 1, len, f);
	fclose(f);
}

static void drain(int fd, const char *dir, int ms)
{
	static char buf[1 << 16] __attribute__((aligned(8)));
	struct pollfd p = { fd, POLLIN, 0 };
	ssize_t n;

	while (poll(&p, 1, ms) > 0 && (n = recv(fd, buf, sizeof(buf), 0)) > 0)
		save(dir, buf, (size_t)n);
}

int main(int argc, char **argv)
{
	static const unsigned groups[] = { RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR,
					   RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE, RTNLGRP_TC };
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	const char *dir = argc > 1 ? argv[1] : ".";
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	size_t i;
	pid_t pid;

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return 1;
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &groups[i], sizeof(groups[i]));
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", argc > 2 ? argv[2] : "true", (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, NULL, WNOHANG) == 0)
		drain(fd, dir, 50);
	drain(fd, dir, 300);
	close(fd);
	return 0;
}

#endif
