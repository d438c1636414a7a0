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
 * Queue an RTM_NEWLINK setting the IPv4 ARP behaviour of @ifindex to
 * arp_ignore 1 (answer only for addresses of the receiving interface) and
 * arp_announce 2 (ARP requests carry an address of the sending interface):
 * two interfaces of one namespace on one subnet do not answer for each other.
 */
void nsnet_cni_link_arp_strict(struct nsnet_nl *nl, int ifindex);

/*
 * Delete the conntrack entries (caller's namespace) whose original tuple has
 * protocol @proto and destination port @port, for @family (AF_INET,
 * AF_INET6; AF_UNSPEC: both): a stale UDP flow to a host port would
 * otherwise keep bypassing a port mapping added (or survive one removed)
 * after it. Returns how many were deleted, or -errno.
 */
int nsnet_cni_ct_flush_port(int family, uint8_t proto, uint16_t port, struct nsnet_err *err);

#endif
