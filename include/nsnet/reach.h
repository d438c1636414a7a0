/* SPDX-License-Identifier: MIT */
#ifndef NSNET_REACH_H
#define NSNET_REACH_H

#include <stddef.h>

#include "nsnet/lab.h"

/*
 * Which addresses each node should reach: every address of every other node
 * on a network segment they share (a bridge, bridges joined by cables, or a
 * node<->node cable). Pure.
 */
struct nsnet_reach_pair {
	size_t src, dst;		/* node indexes */
	struct nsnet_prefix addr;	/* an address of dst */
	size_t src_iface, dst_iface;	/* the interfaces on the shared segment */
};

/* *v malloc'd (free() it), *n pairs. 0 or -ENOMEM. */
int nsnet_lab_reach_pairs(const struct nsnet_lab *lab, struct nsnet_reach_pair **v, size_t *n);

/*
 * The pairs `nsnet pingall` tests. Default (flags 0): every node to every
 * address of every other node, routed or not, in the families both have (a
 * node "has" IPv4 / IPv6 if it has such an address, IPv6 link-local ones not
 * counted; a link-local target only from its own segment). src_iface is the
 * source's interface on the target address's segment, NSNET_PAIR_ROUTED if
 * they share none. NSNET_PAIRS_SEGMENT: only pairs on a shared segment (as
 * nsnet_lab_reach_pairs(), with the families filtered as above). Sorted by
 * src, then dst. *v malloc'd; 0 or -ENOMEM. Pure.
 */
#define NSNET_PAIRS_SEGMENT 1
#define NSNET_PAIR_ROUTED ((size_t)-1)
int nsnet_lab_ping_pairs(const struct nsnet_lab *lab, int flags, struct nsnet_reach_pair **v,
			 size_t *n);

/* Segment id of a node interface (for graphs and the pairs above); -1 if none. */
int nsnet_lab_segment(const struct nsnet_lab *lab, size_t node, size_t iface, int *seg_of_bridge);

#endif
