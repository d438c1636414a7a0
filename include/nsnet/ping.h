/* SPDX-License-Identifier: MIT */
#ifndef NSNET_PING_H
#define NSNET_PING_H

#include <stddef.h>

#include "nsnet/addr.h"
#include "nsnet/err.h"

/*
 * Native all-pairs reachability: ICMP echo (v4) / ICMPv6 echo from sockets
 * opened inside each source namespace, under flow control.
 */
struct nsnet_ping_pair {
	size_t src;			/* index into the nsfds array */
	struct nsnet_prefix dst;	/* address to ping */
	/* results */
	int ok;				/* 1: answered */
	double rtt_ms;			/* first answer's round-trip time */
	int sent;			/* echo requests sent */
};

/*
 * Ping every pair; each source namespace given by an open netns fd (-1: the
 * caller's). Pairs go out under flow control (a congestion window of pairs in
 * flight); an unanswered request is resent after a timeout from the measured
 * round trip, at least @interval_ms; a pair is given up @timeout_ms after its
 * first request, and every pair left when none answered for @timeout_ms.
 * Returns the number of pairs that answered, or -errno.
 */
int nsnet_ping_run(const int *nsfds, size_t nsrc, struct nsnet_ping_pair *pairs, size_t npairs,
		   int interval_ms, int timeout_ms, struct nsnet_err *err);

/* Pure helpers (unit-tested / fuzzed): Internet checksum; build an echo request. */
uint16_t nsnet_inet_csum(const void *data, size_t len);
size_t nsnet_icmp_echo_build(void *buf, size_t len, int family, uint16_t id, uint16_t seq,
			     const void *payload, size_t plen);

#endif
