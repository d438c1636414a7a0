/* SPDX-License-Identifier: MIT */
#ifndef NSNET_CAPTURE_H
#define NSNET_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "nsnet/err.h"

/*
 * Packet capture on an interface inside a named network namespace, with
 * libpcap: the capture socket is opened on a short-lived thread switched
 * into the namespace and stays bound to it, so the calling thread never
 * changes namespace. Filters use tcpdump's syntax (pcap-filter(7)).
 *
 * Typical use: nsnet_capture_open(), optionally nsnet_capture_dump() to
 * write a pcap file, nsnet_capture_loop() until a count, a break or an
 * error, nsnet_capture_close(). Packets are delivered as they arrive
 * (immediate mode); the interface is put in promiscuous mode while open.
 */
struct nsnet_capture;

/* One captured packet; @data is valid during the callback only. */
struct nsnet_capture_pkt {
	int64_t sec;			/* arrival time, seconds since the epoch */
	uint32_t usec;			/* and microseconds */
	uint32_t caplen;		/* bytes at @data (<= snap length) */
	uint32_t len;			/* bytes on the wire */
	const uint8_t *data;
};

/* Return < 0 (a -errno) to stop the loop with that value. */
typedef int (*nsnet_capture_fn)(const struct nsnet_capture_pkt *pkt, void *arg);

/*
 * Open a live capture on interface @ifname of namespace @ns (a name in the
 * namespace directory, see netns.h; NULL: the caller's namespace) with
 * @filter (tcpdump syntax; NULL or "": every packet). *out is the caller's,
 * to free with nsnet_capture_close(). Errors: -ENOENT (no such namespace),
 * -ENODEV (no such interface in it), -EINVAL (bad filter, the compiler's
 * text in @err), -EPERM, other -errno.
 */
int nsnet_capture_open(const char *ns, const char *ifname, const char *filter,
		       struct nsnet_capture **out, struct nsnet_err *err);

/* The link-layer type of the capture (DLT_*, e.g. 1 for Ethernet). */
int nsnet_capture_linktype(const struct nsnet_capture *c);

/*
 * Write the capture to @f in pcap format: the file header now, then every
 * packet the loop receives, each flushed as it is written (so a reader of a
 * pipe sees it at once). @f stays the caller's and must stay open until the
 * capture is closed. A write error (e.g. EPIPE) ends the loop with it.
 */
int nsnet_capture_dump(struct nsnet_capture *c, FILE *f, struct nsnet_err *err);

/*
 * Capture until @count packets (0: no limit) have been received, until
 * nsnet_capture_break(), or until the interface or the namespace goes away.
 * Each packet is written to the dump (if any), then passed to @fn (may be
 * NULL). Returns the number of packets received in this call, or -errno:
 * -ENODEV when the interface or the namespace (deleted from the namespace
 * directory) went away, @fn's value, or a capture or write error.
 */
long nsnet_capture_loop(struct nsnet_capture *c, long count, nsnet_capture_fn fn, void *arg,
			struct nsnet_err *err);

/*
 * Make a running (or the next) nsnet_capture_loop() return. Async-signal-
 * safe: meant for a SIGINT handler.
 */
void nsnet_capture_break(struct nsnet_capture *c);

/* Packets received by the loop so far, and dropped by the kernel (buffer full). */
void nsnet_capture_stats(struct nsnet_capture *c, unsigned long *received,
			 unsigned long *dropped);

/* Stop capturing and free @c (the dump's FILE is flushed, not closed). NULL-safe. */
void nsnet_capture_close(struct nsnet_capture *c);

/*
 * Pure: a one-line summary of a packet of link type @linktype into @buf:
 * "SRC > DST PROTO [DETAILS], length LEN", e.g.
 *   "10.0.0.1 > 10.0.0.2 ICMP echo request id 7 seq 1, length 98"
 *   "10.0.0.1:40002 > 10.0.0.2:80 TCP [S], length 74"
 *   "02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff ARP who-has 10.0.0.2 tell 10.0.0.1, length 42"
 * Ethernet (with VLAN tags), ARP, IPv4, IPv6 (extension headers), ICMP,
 * ICMPv6, TCP, UDP, SCTP; anything else by number. Truncated packets say so.
 * Returns @buf (always NUL-terminated when @len > 0).
 */
const char *nsnet_capture_summary(const struct nsnet_capture_pkt *pkt, int linktype, char *buf,
				  size_t len);

/*
 * Captures declared in a lab file ("capture: true" on an interface) are
 * written by `up` to DIR/NODE-IF.pcap, DIR = STATE/<lab>.captures (STATE:
 * see state.h), and stay there after `down` (a later `up` of the lab
 * overwrites them). The directory / the file of NODE:IFNAME into @buf.
 * 0, -EINVAL (bad lab name) or -ENAMETOOLONG.
 */
int nsnet_capture_dir(const char *lab, char *buf, size_t len);
int nsnet_capture_file(const char *lab, const char *node, const char *ifname, char *buf,
		       size_t len);

#endif
