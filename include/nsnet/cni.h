/* SPDX-License-Identifier: MIT */
#ifndef NSNET_CNI_H
#define NSNET_CNI_H

#include <stdint.h>

#include "nsnet/err.h"
#include "nsnet/nl.h"

/*
 * Kernel primitives that nsnet-cni needs and the rest of the library does
 * not (yet): promiscuous mode, and flushing conntrack entries of a port.
 */

/* Queue an RTM_NEWLINK setting (@on 1) or clearing (@on 0) IFF_PROMISC on @ifindex. */
void nsnet_cni_link_promisc(struct nsnet_nl *nl, int ifindex, int on);

/*
 * Delete the conntrack entries (caller's namespace) whose original tuple has
 * protocol @proto and destination port @port, for @family (AF_INET,
 * AF_INET6; AF_UNSPEC: both): a stale UDP flow to a host port would
 * otherwise keep bypassing a port mapping added (or survive one removed)
 * after it. Returns how many were deleted, or -errno.
 */
int nsnet_cni_ct_flush_port(int family, uint8_t proto, uint16_t port, struct nsnet_err *err);

#endif
