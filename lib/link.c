// SPDX-License-Identifier: MIT
/* Link messages (RTM_NEWLINK/DELLINK) and their parsing. */
#include <errno.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "nsnet/link.h"

/*
 * Like mnl_attr_for_each(), but bounded by nlmsg_len itself rather than its
 * 4-byte-aligned value: a message whose length is not a multiple of 4 (only
 * a malformed one) must not make the walk read up to 3 bytes past it.
 */
#define for_each_attr(attr, nlh, off)                                                  \
	for ((attr) = mnl_nlmsg_get_payload_offset((nlh), (off));                       \
	     mnl_attr_ok((attr), (int)((const char *)(nlh) + (nlh)->nlmsg_len -         \
				       (const char *)(attr)));                          \
	     (attr) = mnl_attr_next(attr))

static struct ifinfomsg *put_ifinfo(struct nlmsghdr *nlh, const struct nsnet_link_req *a)
{
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = a->ifindex;
	if (a->up > 0) {
		ifi->ifi_flags = IFF_UP;
		ifi->ifi_change = IFF_UP;
	} else if (a->up < 0) {
		ifi->ifi_change = IFF_UP;
	}
	return ifi;
}

static void put_common(struct nlmsghdr *nlh, const struct nsnet_link_req *a)
{
	if (a->name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, a->name);
	if (a->netns_fd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)a->netns_fd);
	if (a->mtu > 0)
		mnl_attr_put_u32(nlh, IFLA_MTU, (uint32_t)a->mtu);
	if (a->mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, a->mac);
	if (a->alias)
		mnl_attr_put_strz(nlh, IFLA_IFALIAS, a->alias);
	if (a->group)
		mnl_attr_put_u32(nlh, IFLA_GROUP, a->group);
	if (a->master > 0)
		mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)a->master);
	else if (a->master < 0)
		mnl_attr_put_u32(nlh, IFLA_MASTER, 0);
}

void nsnet_link_msg(struct nlmsghdr *nlh, const struct nsnet_link_req *a)
{
	put_ifinfo(nlh, a);
	put_common(nlh, a);
}

void nsnet_link_msg_kind(struct nlmsghdr *nlh, const struct nsnet_link_req *a, const char *kind)
{
	struct nlattr *li;

	nsnet_link_msg(nlh, a);
	li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
	mnl_attr_nest_end(nlh, li);
}

void nsnet_link_msg_bridge(struct nlmsghdr *nlh, const struct nsnet_link_req *a)
{
	struct nlattr *li, *data;

	nsnet_link_msg(nlh, a);
	li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	if (a->mcast_snooping) {
		data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
		mnl_attr_put_u8(nlh, IFLA_BR_MCAST_SNOOPING, a->mcast_snooping > 0);
		mnl_attr_nest_end(nlh, data);
	}
	mnl_attr_nest_end(nlh, li);
}

void nsnet_link_msg_veth(struct nlmsghdr *nlh, const struct nsnet_link_req *a,
			 const struct nsnet_link_req *peer)
{
	struct nlattr *li, *data, *pn;
	struct ifinfomsg *pifi;

	nsnet_link_msg(nlh, a);
	li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	pn = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* The peer's ifinfomsg sits raw inside the nest, not as an attribute. */
	pifi = mnl_nlmsg_get_payload_tail(nlh);
	memset(pifi, 0, sizeof(*pifi));
	pifi->ifi_family = AF_UNSPEC;
	pifi->ifi_index = peer->ifindex;
	nlh->nlmsg_len += NLMSG_ALIGN(sizeof(*pifi));
	/* IFF_UP on the peer at creation fails (ENOTCONN); bring it up in its namespace. */
	put_common(nlh, peer);
	mnl_attr_nest_end(nlh, pn);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, li);
}

void nsnet_link_msg_macvlan(struct nlmsghdr *nlh, const struct nsnet_link_req *a, int lower,
			    uint32_t mode)
{
	struct nlattr *li, *data;

	nsnet_link_msg(nlh, a);
	mnl_attr_put_u32(nlh, IFLA_LINK, (uint32_t)lower);
	li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "macvlan");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u32(nlh, IFLA_MACVLAN_MODE, mode ? mode : MACVLAN_MODE_BRIDGE);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, li);
}

void nsnet_link_msg_vxlan(struct nlmsghdr *nlh, const struct nsnet_link_req *a,
			  const struct nsnet_vxlan *vx)
{
	struct nlattr *li, *data;
	int v6 = vx->family == AF_INET6;

	nsnet_link_msg(nlh, a);
	li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "vxlan");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u32(nlh, IFLA_VXLAN_ID, vx->vni);
	if (vx->has_local)
		mnl_attr_put(nlh, v6 ? IFLA_VXLAN_LOCAL6 : IFLA_VXLAN_LOCAL, v6 ? 16 : 4, vx->local);
	if (vx->has_remote)
		mnl_attr_put(nlh, v6 ? IFLA_VXLAN_GROUP6 : IFLA_VXLAN_GROUP, v6 ? 16 : 4,
			     vx->remote);
	if (vx->lower)
		mnl_attr_put_u32(nlh, IFLA_VXLAN_LINK, (uint32_t)vx->lower);
	if (vx->dstport)
		mnl_attr_put_u16(nlh, IFLA_VXLAN_PORT, htons(vx->dstport));
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, li);
}

#define NEW_FLAGS (NLM_F_CREATE | NLM_F_EXCL)

void nsnet_link_add_veth(struct nsnet_nl *nl, const struct nsnet_link_req *a,
			 const struct nsnet_link_req *peer)
{
	nsnet_link_msg_veth(nsnet_nl_req(nl, RTM_NEWLINK, NEW_FLAGS, NULL, NULL,
					 "add veth %s (peer %s)", a->name ? a->name : "?",
					 peer->name ? peer->name : "?"),
			    a, peer);
}

void nsnet_link_add_kind(struct nsnet_nl *nl, const struct nsnet_link_req *a, const char *kind)
{
	nsnet_link_msg_kind(nsnet_nl_req(nl, RTM_NEWLINK, NEW_FLAGS, NULL, NULL,
					 "add %s link %s", kind, a->name ? a->name : "?"),
			    a, kind);
}

void nsnet_link_add_bridge(struct nsnet_nl *nl, const struct nsnet_link_req *a)
{
	nsnet_link_msg_bridge(nsnet_nl_req(nl, RTM_NEWLINK, NEW_FLAGS, NULL, NULL,
					   "add bridge link %s", a->name ? a->name : "?"),
			      a);
}

void nsnet_link_add_macvlan(struct nsnet_nl *nl, const struct nsnet_link_req *a, int lower,
			    uint32_t mode)
{
	nsnet_link_msg_macvlan(nsnet_nl_req(nl, RTM_NEWLINK, NEW_FLAGS, NULL, NULL,
					    "add macvlan link %s", a->name ? a->name : "?"),
			       a, lower, mode);
}

void nsnet_link_add_vxlan(struct nsnet_nl *nl, const struct nsnet_link_req *a,
			  const struct nsnet_vxlan *vx)
{
	nsnet_link_msg_vxlan(nsnet_nl_req(nl, RTM_NEWLINK, NEW_FLAGS, NULL, NULL,
					  "add vxlan link %s (vni %u)", a->name ? a->name : "?",
					  vx->vni),
			     a, vx);
}

/* as `ip link set X addrgenmode none` */
static void put_quiet(struct nlmsghdr *nlh)
{
	struct nlattr *af = mnl_attr_nest_start(nlh, IFLA_AF_SPEC), *in6;

	in6 = mnl_attr_nest_start(nlh, AF_INET6);
	mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
	mnl_attr_nest_end(nlh, in6);
	mnl_attr_nest_end(nlh, af);
}

void nsnet_link_set(struct nsnet_nl *nl, const struct nsnet_link_req *a)
{
	struct nlmsghdr *nlh;
	char idx[16];

	snprintf(idx, sizeof(idx), "#%d", a->ifindex);
	nlh = nsnet_nl_req(nl, RTM_NEWLINK, 0, NULL, NULL, "set link %s", a->name ? a->name : idx);
	nsnet_link_msg(nlh, a);
	if (a->quiet)
		put_quiet(nlh);
	if (a->hairpin) {
		/* as `ip link set X type bridge_slave hairpin on|off` */
		struct nlattr *li = mnl_attr_nest_start(nlh, IFLA_LINKINFO), *sd;

		mnl_attr_put_strz(nlh, IFLA_INFO_SLAVE_KIND, "bridge");
		sd = mnl_attr_nest_start(nlh, IFLA_INFO_SLAVE_DATA);
		mnl_attr_put_u8(nlh, IFLA_BRPORT_MODE, a->hairpin > 0);
		mnl_attr_nest_end(nlh, sd);
		mnl_attr_nest_end(nlh, li);
	}
}

void nsnet_link_del(struct nsnet_nl *nl, int ifindex, const char *name)
{
	struct nsnet_link_req a = NSNET_LINK_REQ_INIT;
	char idx[16];

	snprintf(idx, sizeof(idx), "#%d", ifindex);
	a.ifindex = ifindex;
	a.name = ifindex ? NULL : name;
	nsnet_link_msg(nsnet_nl_req(nl, RTM_DELLINK, 0, NULL, NULL, "delete link %s",
				    name ? name : idx),
		       &a);
}

void nsnet_link_msg_quiet(struct nlmsghdr *nlh, int ifindex, const char *name)
{
	struct nsnet_link_req a = NSNET_LINK_REQ_INIT;

	a.ifindex = ifindex;
	a.name = ifindex ? NULL : name;
	nsnet_link_msg(nlh, &a);
	put_quiet(nlh);
}

void nsnet_link_quiet(struct nsnet_nl *nl, int ifindex, const char *name)
{
	char idx[16];

	snprintf(idx, sizeof(idx), "#%d", ifindex);
	nsnet_link_msg_quiet(nsnet_nl_req(nl, RTM_NEWLINK, 0, NULL, NULL,
					  "set link %s addrgenmode none", name ? name : idx),
			     ifindex, name);
	nsnet_nl_ignore(nl, EAFNOSUPPORT, 0);
}

void nsnet_link_del_group(struct nsnet_nl *nl, uint32_t group)
{
	struct nsnet_link_req a = NSNET_LINK_REQ_INIT;

	a.group = group;	/* ifindex 0, no name: every link of the group */
	nsnet_link_msg(nsnet_nl_req(nl, RTM_DELLINK, 0, NULL, NULL, "delete links of group %u",
				    group),
		       &a);
}

/* ---- parsing ------------------------------------------------------------------ */

static void copy_str(char *dst, size_t len, const struct nlattr *attr)
{
	size_t n = mnl_attr_get_payload_len(attr);
	const char *s = mnl_attr_get_payload(attr);

	n = strnlen(s, n);
	if (n >= len)
		n = len - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static int u32_attr(const struct nlattr *attr, int *out)
{
	if (mnl_attr_get_payload_len(attr) < 4)
		return -EBADMSG;
	*out = (int)mnl_attr_get_u32(attr);
	return 0;
}

int nsnet_link_parse(const struct nlmsghdr *nlh, struct nsnet_link_info *info)
{
	const struct ifinfomsg *ifi;
	const struct nlattr *attr, *a2;

	memset(info, 0, sizeof(*info));
	info->link_netnsid = -1;
	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*ifi))
		return -EBADMSG;
	ifi = mnl_nlmsg_get_payload(nlh);
	info->ifindex = ifi->ifi_index;
	info->flags = ifi->ifi_flags;
	for_each_attr(attr, nlh, sizeof(*ifi)) {
		switch (mnl_attr_get_type(attr)) {
		case IFLA_IFNAME:
			copy_str(info->name, sizeof(info->name), attr);
			break;
		case IFLA_IFALIAS:
			copy_str(info->alias, sizeof(info->alias), attr);
			break;
		case IFLA_MTU:
			u32_attr(attr, &info->mtu);
			break;
		case IFLA_MASTER:
			u32_attr(attr, &info->master);
			break;
		case IFLA_LINK:
			u32_attr(attr, &info->link);
			break;
		case IFLA_LINK_NETNSID:
			u32_attr(attr, &info->link_netnsid);
			break;
		case IFLA_GROUP:
			if (mnl_attr_get_payload_len(attr) >= 4)
				info->group = mnl_attr_get_u32(attr);
			break;
		case IFLA_OPERSTATE:
			if (mnl_attr_get_payload_len(attr) >= 1)
				info->operstate = mnl_attr_get_u8(attr);
			break;
		case IFLA_ADDRESS:
			if (mnl_attr_get_payload_len(attr) == 6) {
				memcpy(info->mac, mnl_attr_get_payload(attr), 6);
				info->has_mac = 1;
			}
			break;
		case IFLA_LINKINFO:
			if (mnl_attr_get_payload_len(attr) < sizeof(struct nlattr))
				break;
			mnl_attr_for_each_nested(a2, attr) {
				if (mnl_attr_get_type(a2) == IFLA_INFO_KIND)
					copy_str(info->kind, sizeof(info->kind), a2);
			}
			break;
		}
	}
	return 0;
}

struct list_ctx {
	struct nsnet_link_info *v;
	size_t n, cap;
};

static int list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct list_ctx *c = data;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return 0;
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 16;
		struct nsnet_link_info *nv = realloc(c->v, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		c->v = nv;
		c->cap = ncap;
	}
	if (nsnet_link_parse(nlh, &c->v[c->n]) == 0)
		c->n++;
	return 0;
}

int nsnet_link_list(struct nsnet_nl *nl, struct nsnet_link_info **v, struct nsnet_err *err)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct list_ctx c = { 0 };
	int ret;

	*v = NULL;
	ret = nsnet_nl_dump(nl, RTM_GETLINK, &ifi, sizeof(ifi), list_cb, &c, err);
	if (ret < 0) {
		free(c.v);
		return ret;
	}
	*v = c.v;
	return (int)c.n;
}

static int get_cb(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type == RTM_NEWLINK)
		nsnet_link_parse(nlh, data);
	return 0;
}

void nsnet_link_get_req(struct nsnet_nl *nl, const char *name, struct nsnet_link_info *info)
{
	struct nsnet_link_req a = NSNET_LINK_REQ_INIT;

	memset(info, 0, sizeof(*info));
	a.name = name;
	nsnet_link_msg(nsnet_nl_req(nl, RTM_GETLINK, 0, get_cb, info, "find link %s", name), &a);
}

int nsnet_link_get(struct nsnet_nl *nl, const char *name, struct nsnet_link_info *info,
		   struct nsnet_err *err)
{
	nsnet_link_get_req(nl, name, info);
	return nsnet_nl_flush(nl, err);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly "xx:xx:xx:xx:xx:xx" (hex digits); no blanks, signs or "0x". */
int nsnet_mac_parse(const char *s, uint8_t mac[6])
{
	int i, hi, lo;

	if (!s || strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		hi = hexval(s[3 * i]);
		lo = hexval(s[3 * i + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -EINVAL;
	}
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)(hexval(s[3 * i]) << 4 | hexval(s[3 * i + 1]));
	return 0;
}
