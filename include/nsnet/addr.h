/* SPDX-License-Identifier: MIT */
#ifndef NSNET_ADDR_H
#define NSNET_ADDR_H

#include <stdint.h>
#include <linux/netlink.h>

#include "nsnet/nl.h"

/* An IPv4 or IPv6 address with prefix length. */
struct nsnet_prefix {
	int family;		/* AF_INET / AF_INET6 */
	uint8_t addr[16];
	int plen;
};

/*
 * Parse "ADDR[/PLEN]". With @need_plen the prefix length is required.
 * Without a length, plen is the full width. Pure. 0 or -EINVAL.
 */
int nsnet_prefix_parse(const char *s, struct nsnet_prefix *p, int need_plen);
/* Parse a bare address (no '/'). */
int nsnet_ip_parse(const char *s, struct nsnet_prefix *p);
/* "ADDR/PLEN" (or "ADDR" with @with_plen 0) into buf (>= 50 bytes). */
const char *nsnet_prefix_fmt(const struct nsnet_prefix *p, int with_plen, char *buf, size_t len);
/* The network part (host bits cleared). */
void nsnet_prefix_network(const struct nsnet_prefix *p, struct nsnet_prefix *net);
/* 1 if @a lies inside the network @net. */
int nsnet_prefix_contains(const struct nsnet_prefix *net, const struct nsnet_prefix *a);
/* 1 if the addresses (not lengths) are equal. */
int nsnet_ip_equal(const struct nsnet_prefix *a, const struct nsnet_prefix *b);
/* Host number @n (1-based) inside @net, keeping @net's plen. -ERANGE if outside. */
int nsnet_prefix_host(const struct nsnet_prefix *net, uint64_t n, struct nsnet_prefix *out);

/* Pure builder of RTM_NEWADDR/RTM_DELADDR. IPv6 addresses get IFA_F_NODAD. */
void nsnet_addr_msg(struct nlmsghdr *nlh, int ifindex, const struct nsnet_prefix *p);
void nsnet_addr_add(struct nsnet_nl *nl, int ifindex, const struct nsnet_prefix *p);
void nsnet_addr_del(struct nsnet_nl *nl, int ifindex, const struct nsnet_prefix *p);

struct nsnet_addr_info {
	int ifindex;
	int scope;
	unsigned flags;
	struct nsnet_prefix p;
};
int nsnet_addr_parse(const struct nlmsghdr *nlh, struct nsnet_addr_info *info);
/* Dump addresses of @family (AF_UNSPEC: all): count, *v malloc'd (free() it). */
int nsnet_addr_list(struct nsnet_nl *nl, int family, struct nsnet_addr_info **v,
		    struct nsnet_err *err);

struct nsnet_neigh_info {
	int ifindex;
	int state;		/* NUD_* */
	struct nsnet_prefix dst;
	uint8_t lladdr[6];
	int has_lladdr;
};
int nsnet_neigh_parse(const struct nlmsghdr *nlh, struct nsnet_neigh_info *info);
/* Pure builder: a permanent neighbour entry @dst -> @lladdr on @ifindex. */
void nsnet_neigh_msg(struct nlmsghdr *nlh, int ifindex, const struct nsnet_prefix *dst,
		     const uint8_t lladdr[6]);
/* Queue: add (or replace) a permanent entry; delete an entry. */
void nsnet_neigh_add(struct nsnet_nl *nl, int ifindex, const struct nsnet_prefix *dst,
		     const uint8_t lladdr[6]);
void nsnet_neigh_del(struct nsnet_nl *nl, int ifindex, const struct nsnet_prefix *dst);
/*
 * Forwarding-database entry of a VXLAN device (bridge fdb append … dst IP
 * self permanent): @lladdr (all zeros: every broadcast/unknown frame) is sent
 * to the tunnel endpoint @dst. Pure builder and batched request.
 */
void nsnet_fdb_msg(struct nlmsghdr *nlh, int ifindex, const uint8_t lladdr[6],
		   const struct nsnet_prefix *dst);
void nsnet_fdb_append(struct nsnet_nl *nl, int ifindex, const uint8_t lladdr[6],
		      const struct nsnet_prefix *dst);
/* Dump neighbour entries of @family: count, *v malloc'd (free() it). */
int nsnet_neigh_list(struct nsnet_nl *nl, int family, struct nsnet_neigh_info **v,
		     struct nsnet_err *err);

#endif
