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
 * Traffic shaping of an attachment, as the reference "bandwidth" plugin does
 * it (rates in bits/s, bursts in bits; what the kernel keeps is bytes):
 *   to the container     tbf as root qdisc of the host end of the veth
 *   from the container   ingress qdisc on the host end, a u32 match-all
 *                        filter whose mirred action redirects every packet to
 *                        an IFB device, tbf as root qdisc of the IFB
 * tbf: rate/8 bytes/s, bucket burst/8 bytes (TCA_TBF_BURST), queue limit
 * 25 ms of rate + the bucket (the reference's latency), capped at 2^32-1.
 */
struct nsnet_tbf {
	uint64_t rate;		/* bytes/s */
	uint32_t burst;		/* bytes */
	uint32_t limit;		/* bytes */
};
/* The tbf parameters of (@rate_bits, @burst_bits). -EINVAL if either is below 8. */
int nsnet_tbf_params(uint64_t rate_bits, uint64_t burst_bits, struct nsnet_tbf *t);
/* Pure builders (@nlh with NSNET_NL_MSG_MAX bytes of room); the tbf is nsnet_tc_msg_tbf(). */
void nsnet_cni_msg_ingress(struct nlmsghdr *nlh, int ifindex);
void nsnet_cni_msg_redirect(struct nlmsghdr *nlh, int ifindex, int to_ifindex);
/* Queued: tbf as root qdisc of @ifindex. */
void nsnet_cni_tbf(struct nsnet_nl *nl, int ifindex, const char *ifname, const struct nsnet_tbf *t);
/* Queued: ingress qdisc on @ifindex and the filter redirecting all it receives to @to_ifindex. */
void nsnet_cni_redirect(struct nsnet_nl *nl, int ifindex, const char *ifname, int to_ifindex);

/*
 * Delete the conntrack entries (caller's namespace) whose original tuple has
 * protocol @proto and destination port @port, for @family (AF_INET,
 * AF_INET6; AF_UNSPEC: both): a stale UDP flow to a host port would
 * otherwise keep bypassing a port mapping added (or survive one removed)
 * after it. Returns how many were deleted, or -errno.
 */
int nsnet_cni_ct_flush_port(int family, uint8_t proto, uint16_t port, struct nsnet_err *err);

#endif
