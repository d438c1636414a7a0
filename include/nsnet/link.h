/* SPDX-License-Identifier: MIT */
#ifndef NSNET_LINK_H
#define NSNET_LINK_H

#include <stdint.h>
#include <linux/netlink.h>

#include "nsnet/nl.h"

/*
 * Links. The add/set/del functions append a request to @nl's batch; the
 * outcome is known at nsnet_nl_flush(). The nsnet_link_msg_*() builders are
 * pure (fill a message in a caller buffer) and are what the requests use.
 */
struct nsnet_link_req {
	const char *name;	/* IFLA_IFNAME; with ifindex 0, selects the link by name */
	int ifindex;		/* 0: by name (set) or kernel's choice (add) */
	int netns_fd;		/* >=0: create in / move to that namespace (IFLA_NET_NS_FD) */
	int mtu;		/* 0: leave */
	const uint8_t *mac;	/* 6 bytes, NULL: leave */
	const char *alias;	/* NULL: leave */
	int master;		/* ifindex of master; 0 leave; -1 nomaster */
	int up;			/* 1 up, -1 down, 0 leave */
	uint32_t group;		/* IFLA_GROUP (honoured at creation, unlike the alias); 0 leave */
	int hairpin;		/* bridge port hairpin mode: 1 on, -1 off, 0 leave (set only) */
	int mcast_snooping;	/* bridges (add): 1 on, -1 off (no IGMP/MLD joins of its
				 * own, multicast flooded), 0 kernel default (on) */
	int quiet;		/* set: as nsnet_link_quiet() in the same request (one
				 * notification less), for a link known to have IPv6 */
};
#define NSNET_LINK_REQ_INIT { .netns_fd = -1 }

struct nsnet_vxlan {
	uint32_t vni;
	int family;		/* of local/remote, 0 if neither */
	uint8_t local[16], remote[16];
	int has_local, has_remote;
	int lower;		/* ifindex of underlay link, 0 none */
	uint16_t dstport;	/* 0: kernel default */
};

/* Pure builders; @nlh has at least NSNET_NL_MSG_MAX bytes. */
void nsnet_link_msg(struct nlmsghdr *nlh, const struct nsnet_link_req *a);
void nsnet_link_msg_veth(struct nlmsghdr *nlh, const struct nsnet_link_req *a,
			 const struct nsnet_link_req *peer);
void nsnet_link_msg_kind(struct nlmsghdr *nlh, const struct nsnet_link_req *a, const char *kind);
void nsnet_link_msg_bridge(struct nlmsghdr *nlh, const struct nsnet_link_req *a);
void nsnet_link_msg_macvlan(struct nlmsghdr *nlh, const struct nsnet_link_req *a, int lower,
			    uint32_t mode);
void nsnet_link_msg_vxlan(struct nlmsghdr *nlh, const struct nsnet_link_req *a,
			  const struct nsnet_vxlan *vx);

/* Batched requests. */
void nsnet_link_add_veth(struct nsnet_nl *nl, const struct nsnet_link_req *a,
			 const struct nsnet_link_req *peer);
void nsnet_link_add_bridge(struct nsnet_nl *nl, const struct nsnet_link_req *a);
/* Any kind without type data ("dummy", "bridge", …); an absent kind fails at flush. */
void nsnet_link_add_kind(struct nsnet_nl *nl, const struct nsnet_link_req *a, const char *kind);
/* @mode: MACVLAN_MODE_* (0: bridge). */
void nsnet_link_add_macvlan(struct nsnet_nl *nl, const struct nsnet_link_req *a, int lower,
			    uint32_t mode);
void nsnet_link_add_vxlan(struct nsnet_nl *nl, const struct nsnet_link_req *a,
			  const struct nsnet_vxlan *vx);
void nsnet_link_set(struct nsnet_nl *nl, const struct nsnet_link_req *a);
void nsnet_link_del(struct nsnet_nl *nl, int ifindex, const char *name);
/*
 * Quiet link (by @ifindex, or by @name if 0): IPv6 addr_gen_mode none, so it
 * gets no automatic link-local address and sends no DAD, router solicitation
 * or MLD report of its own. Effective only if queued before the link has
 * carrier (the kernel makes the link-local address then; it refuses the
 * setting in a create request). A link without IPv6 (MTU < 1280, IPv6
 * disabled) is quiet already: EAFNOSUPPORT is tolerated.
 */
void nsnet_link_quiet(struct nsnet_nl *nl, int ifindex, const char *name);
void nsnet_link_msg_quiet(struct nlmsghdr *nlh, int ifindex, const char *name);
/* Delete every link of device group @group in one kernel batch (ip link del group N). */
void nsnet_link_del_group(struct nsnet_nl *nl, uint32_t group);

struct nsnet_link_info {
	int ifindex;
	char name[16];
	char kind[16];
	char alias[128];
	unsigned flags;		/* IFF_* */
	int mtu;
	uint8_t mac[6];
	int has_mac;
	int master;		/* 0 none */
	int link;		/* IFLA_LINK (veth peer ifindex), 0 none */
	int link_netnsid;	/* -1 none */
	int operstate;
	uint32_t group;
};

/* Pure: parse an RTM_NEWLINK message. 0 or -EBADMSG. */
int nsnet_link_parse(const struct nlmsghdr *nlh, struct nsnet_link_info *info);
/* Dump all links; *v malloc'd (free() it); returns count. */
int nsnet_link_list(struct nsnet_nl *nl, struct nsnet_link_info **v, struct nsnet_err *err);
/* One link by name (flushes the batch). -ENODEV if absent. */
int nsnet_link_get(struct nsnet_nl *nl, const char *name, struct nsnet_link_info *info,
		   struct nsnet_err *err);
/* Queue a GET by name whose answer fills @info (for batching with creates). */
void nsnet_link_get_req(struct nsnet_nl *nl, const char *name, struct nsnet_link_info *info);

/* "aa:bb:cc:dd:ee:ff" → 6 bytes. 0 or -EINVAL. */
int nsnet_mac_parse(const char *s, uint8_t mac[6]);

#endif
