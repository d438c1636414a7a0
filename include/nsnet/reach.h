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

/* Segment id of a node interface (for graphs and the pairs above); -1 if none. */
int nsnet_lab_segment(const struct nsnet_lab *lab, size_t node, size_t iface, int *seg_of_bridge);

#endif
