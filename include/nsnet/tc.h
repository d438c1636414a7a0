/* SPDX-License-Identifier: MIT */
#ifndef NSNET_TC_H
#define NSNET_TC_H

#include <stdint.h>
#include <linux/netlink.h>

#include "nsnet/err.h"
#include "nsnet/impair.h"
#include "nsnet/nl.h"

/*
 * Traffic control over rtnetlink: the root qdisc of a link implements its
 * impairment (nsnet-lab(5), `nsnet link set`).
 *
 *   rate alone         tbf: rate, burst max(10 ms of rate, 2 frames), queue
 *                      limit 50 ms of rate + burst bytes (limit N: N frames)
 *   any of delay, jitter, loss, duplicate, corrupt (with or without rate)
 *                      netem: one qdisc; rate is netem's own rate (each
 *                      packet takes len/rate), queue limit 1000 packets or
 *                      limit N
 *   none               no root qdisc (the link's default)
 *
 * One root qdisc, never a tree: setting an impairment is one request that
 * replaces the root (NLM_F_CREATE|NLM_F_REPLACE, kernel-chosen handle): a
 * different kind is created and grafted in place of the old root in one
 * step; the same kind is changed in place with every parameter given
 * (nothing of the previous setting survives). Clearing deletes the root
 * (none there is no error). Nothing else of the link changes.
 */

/* A root qdisc as read back (RTM_NEWQDISC). */
struct nsnet_qdisc_info {
	int ifindex;
	uint32_t handle, parent;
	char kind[16];			/* "" if the message had none */
	int known;			/* tbf or netem whose parameters were read */
	struct nsnet_impair impair;	/* what it does (known), defaults left out:
					   see nsnet_tc_impair() */
	uint32_t netem_limit;		/* netem: queue limit in packets */
	uint64_t tbf_limit;		/* tbf: queue limit in bytes */
	uint64_t tbf_burst;		/* tbf: bucket size in bytes (from its time form) */
	uint64_t bytes, packets;	/* sent through it */
	uint32_t drops, overlimits, qlen, backlog;
};

/* The frame size tbf sizes its bucket and queue by: @mtu (0: 1500) + 14. */
unsigned nsnet_tc_frame(unsigned mtu);
/* tbf's bucket: max(10 ms of rate, 2 frames) bytes. */
uint64_t nsnet_tc_burst(uint64_t rate_bits, unsigned mtu);
/* tbf's queue limit in bytes: limit frames, or 50 ms of rate + burst. */
uint64_t nsnet_tc_tbf_limit(const struct nsnet_impair *im, unsigned mtu);
/* netem's queue limit in packets: limit, or 1000 (tc's default). */
uint32_t nsnet_tc_netem_limit(const struct nsnet_impair *im);

/*
 * Pure builders; @nlh has NSNET_NL_MSG_MAX bytes. nsnet_tc_msg_set: the
 * RTM_NEWQDISC (flags NLM_F_CREATE|NLM_F_REPLACE) for impairment @im on link
 * @ifindex whose MTU is @mtu; -EINVAL (nothing built) if @im sets nothing to
 * build (none, or limit alone).
 */
int nsnet_tc_msg_set(struct nlmsghdr *nlh, int ifindex, const struct nsnet_impair *im,
		     unsigned mtu);
/*
 * Root tbf of @ifindex with explicit parameters, all in bytes (rate per
 * second, bucket, queue limit; values above 2^32-1 capped, except the rate):
 * for users with their own sizing (nsnet-cni's bandwidth limits, as the
 * reference bandwidth plugin sizes them). Flags NLM_F_CREATE|NLM_F_REPLACE.
 */
void nsnet_tc_msg_tbf(struct nlmsghdr *nlh, int ifindex, uint64_t rate, uint64_t burst,
		      uint64_t limit);
/* RTM_DELQDISC / RTM_GETQDISC of the root of @ifindex. */
void nsnet_tc_msg_root(struct nlmsghdr *nlh, int ifindex);

/*
 * Batched: @im set → replace the root qdisc; @im NULL or none → delete it
 * (absent is fine). @ifname names the link in error messages.
 */
void nsnet_tc_set(struct nsnet_nl *nl, int ifindex, const char *ifname,
		  const struct nsnet_impair *im, unsigned mtu);
/* Batched GET of the root qdisc of @ifindex into @out (zeroed; kind "" if none). */
void nsnet_tc_get_req(struct nsnet_nl *nl, int ifindex, const char *ifname,
		      struct nsnet_qdisc_info *out);
/* The root qdiscs of every link of the socket's namespace (dump); *v malloc'd; count. */
int nsnet_tc_list(struct nsnet_nl *nl, struct nsnet_qdisc_info **v, struct nsnet_err *err);

/* Pure: parse an RTM_NEWQDISC message (nlmsg_len trusted, see nsnet_nl_msg_ok). 0 or -EBADMSG. */
int nsnet_tc_parse(const struct nlmsghdr *nlh, struct nsnet_qdisc_info *q);

/*
 * The impairment a read-back root qdisc implements on a link of MTU @mtu,
 * with the fields that equal their defaults left out (so that it formats as
 * it was set). 0, or -ENOENT if the qdisc is not one nsnet makes (out: none).
 */
int nsnet_tc_impair(const struct nsnet_qdisc_info *q, unsigned mtu, struct nsnet_impair *out);
/* 1 if @q is exactly what nsnet_tc_set(@want, @mtu) makes (@want none: no root qdisc). */
int nsnet_tc_matches(const struct nsnet_qdisc_info *q, const struct nsnet_impair *want,
		     unsigned mtu);

/*
 * Does the kernel have the netem qdisc? Tried once per process, touching
 * nothing of the caller's: a thread unshares a scratch network namespace and
 * adds a netem qdisc to its lo (the kernel may load sch_netem for it).
 * 1 yes, 0 no, -errno if it cannot tell (e.g. no CAP_SYS_ADMIN).
 */
int nsnet_tc_netem_probe(void);
/* -EOPNOTSUPP with the message naming the missing kernel module. */
int nsnet_tc_netem_missing(struct nsnet_err *err);
/* After a failed flush: if the kernel refused for want of netem, the same message. */
void nsnet_tc_explain(struct nsnet_err *err);

#endif
