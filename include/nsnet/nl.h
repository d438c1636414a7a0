/* SPDX-License-Identifier: MIT */
#ifndef NSNET_NL_H
#define NSNET_NL_H

#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>

#include "nsnet/err.h"

/*
 * One rtnetlink socket, bound to the network namespace it was opened in, with
 * a request batch: nsnet_nl_req() appends a request (every request carries
 * NLM_F_ACK and a unique sequence number), nsnet_nl_flush() sends the whole
 * batch in one sendmsg() and collects every ACK. Extended ACKs are enabled:
 * the kernel's message text reaches struct nsnet_err. A full batch is flushed
 * automatically; the first error is kept and reported by the next flush.
 */
struct nsnet_nl;

/* Callback for data replies (e.g. the RTM_NEWLINK answering a GET). Return <0 to fail. */
typedef int (*nsnet_nl_cb)(const struct nlmsghdr *nlh, void *data);

/* Room guaranteed after the header returned by nsnet_nl_req(). */
#define NSNET_NL_MSG_MAX 4096

/* Open a socket in the namespace of @netns_fd (-1: the caller's). */
int nsnet_nl_open(struct nsnet_nl **out, int netns_fd, struct nsnet_err *err);
/*
 * Open @n sockets, out[i] in the namespace of @netns_fd[i], on one thread
 * (cheaper than nsnet_nl_open() each: no thread per socket). On failure none
 * is left open.
 */
int nsnet_nl_open_many(struct nsnet_nl **out, const int *netns_fd, size_t n,
		       struct nsnet_err *err);
void nsnet_nl_close(struct nsnet_nl *nl);
int nsnet_nl_fd(const struct nsnet_nl *nl);

/*
 * Append a request of @type with @flags (NLM_F_REQUEST|NLM_F_ACK added) to the
 * batch; @what describes it for error messages (printf-style, may be NULL).
 * Returns the header to fill (at least NSNET_NL_MSG_MAX bytes of room); never
 * NULL: on allocation failure or injected fault the request is recorded as
 * failed and a scratch header is returned.
 */
struct nlmsghdr *nsnet_nl_req(struct nsnet_nl *nl, uint16_t type, uint16_t flags,
			      nsnet_nl_cb cb, void *data, const char *what, ...)
	__attribute__((format(printf, 6, 7)));

/*
 * The last request queued succeeds if the kernel answers errno @e1 or @e2
 * (positive, 0: none), e.g. ENODEV for a delete that may find nothing.
 */
void nsnet_nl_ignore(struct nsnet_nl *nl, int e1, int e2);
/* Send what is batched, wait for every ACK. Returns the first error of the batch. */
int nsnet_nl_flush(struct nsnet_nl *nl, struct nsnet_err *err);

/* Dump request (flushes the batch first). @hdr/@hdrlen: family header after nlmsghdr. */
int nsnet_nl_dump(struct nsnet_nl *nl, uint16_t type, const void *hdr, unsigned hdrlen,
		  nsnet_nl_cb cb, void *data, struct nsnet_err *err);

/*
 * Context prepended to the description of the following requests (e.g. the
 * lab-file location of the object being created); NULL clears it.
 */
void nsnet_nl_context(struct nsnet_nl *nl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Number of requests waiting in the batch. */
unsigned nsnet_nl_pending(const struct nsnet_nl *nl);

/*
 * Parse an NLMSG_ERROR message: returns its error (0 or -errno) and, if
 * present, the extended-ACK text into @msg. Pure; used by the ACK collector
 * and unit-tested / fuzzed directly. @len is the bytes available at @nlh.
 */
int nsnet_nl_parse_ack(const struct nlmsghdr *nlh, unsigned len, char *msg, unsigned msglen,
		       uint32_t *miss_type);

/*
 * 1 if @len bytes at @nlh hold a whole message: NLMSG_HDRLEN <= nlmsg_len <=
 * @len. The reply parsers (nsnet_link_parse, nsnet_addr_parse,
 * nsnet_route_parse, nsnet_neigh_parse) trust nlmsg_len: checking it against
 * the bytes received is the caller's duty, with this function. (libmnl's
 * mnl_nlmsg_ok() compares (int)nlmsg_len and so accepts lengths >= 2^31.)
 */
int nsnet_nl_msg_ok(const struct nlmsghdr *nlh, size_t len);

/*
 * Test hooks (documented in nsnet(8)): NSNET_FAIL_AT=k makes the k-th kernel
 * operation fail with EIO, NSNET_CRASH_AT=k SIGKILLs the process right before
 * it. Every netlink request, nftables transaction, mount, unshare and setns
 * calls this first. Returns 0 or -EIO.
 */
int nsnet_fault_point(void);

#endif
