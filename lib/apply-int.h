/* SPDX-License-Identifier: MIT */
/* Shared by apply.c and forward.c; not installed. */
#include "nsnet/apply.h"

#define NSNET_FWD_KEY "net.ipv4.ip_forward"
#define NSNET_FWD6_KEY "net.ipv6.conf.all.forwarding"

/*
 * (Re)write the lab's NAT table: its file's masquerade and forwards plus
 * @extra runtime forwards, in one transaction, with the host settings it
 * needs (held ip_forward, route_localnet and hairpin on the lab's bridges).
 */
int nsnet__nat_apply_all(const struct nsnet_lab *lab, const struct nsnet_forward *extra,
			 size_t nextra, struct nsnet_err *err);
