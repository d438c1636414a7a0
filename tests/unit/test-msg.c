// SPDX-License-Identifier: MIT
/*
 * Message builders → parsers round trips (libmnl as the independent reader),
 * ACK parsing, prefixes, route text, name and key checks. No privileges.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/tc_act/tc_mirred.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "nsnet/addr.h"
#include "nsnet/cni.h"
#include "nsnet/link.h"
#include "nsnet/netns.h"
#include "nsnet/nl.h"
#include "nsnet/route.h"
#include "nsnet/sysctl.h"
#include "nsnet/tc.h"
#include "check.h"

static char buf[NSNET_NL_MSG_MAX] __attribute__((aligned(8)));
static char buf2[NSNET_NL_MSG_MAX] __attribute__((aligned(8)));

static struct nlmsghdr *new_msg(uint16_t type)
{
	struct nlmsghdr *nlh;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	return nlh;
}

/* The first attribute of @type in the attributes starting at @off of @nlh. */
static const struct nlattr *find_attr(const struct nlmsghdr *nlh, size_t off, uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, off)
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

static const struct nlattr *find_nested(const struct nlattr *nest, uint16_t type)
{
	const struct nlattr *a;

	if (!nest)
		return NULL;
	mnl_attr_for_each_nested(a, nest)
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

static int valid_msg(const struct nlmsghdr *nlh)
{
	return mnl_nlmsg_ok(nlh, (int)nlh->nlmsg_len);
}

static void test_veth(void)
{
	static const uint8_t mac[6] = { 0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc };
	static const uint8_t pmac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	struct nsnet_link_req a = NSNET_LINK_REQ_INIT, peer = NSNET_LINK_REQ_INIT;
	const struct nlattr *li, *data, *pn, *x;
	const struct ifinfomsg *ifi, *pifi;
	struct nsnet_link_info info;
	struct nlmsghdr *nlh = new_msg(RTM_NEWLINK), *pnlh;
	size_t plen;

	a.name = "veth-red";
	a.mtu = 1400;
	a.mac = mac;
	a.alias = "nsnet:seed";
	a.master = 7;
	a.up = 1;
	peer.name = "eth0";
	peer.netns_fd = 42;
	peer.mtu = 1300;
	peer.mac = pmac;
	peer.ifindex = 99;
	peer.up = 1;	/* must not reach the peer header (ENOTCONN in the kernel) */
	nsnet_link_msg_veth(nlh, &a, &peer);
	CHECK(valid_msg(nlh) && nlh->nlmsg_len < NSNET_NL_MSG_MAX, "veth: message well formed (%u bytes)",
	      nlh->nlmsg_len);
	ifi = mnl_nlmsg_get_payload(nlh);
	CHECK(ifi->ifi_family == AF_UNSPEC && ifi->ifi_index == 0, "veth: outer ifinfomsg");
	CHECK(ifi->ifi_flags == IFF_UP && ifi->ifi_change == IFF_UP, "veth: outer up flags");
	CHECK(nsnet_link_parse(nlh, &info) == 0, "veth: parses");
	CHECK(!strcmp(info.name, "veth-red"), "veth: outer name \"%s\"", info.name);
	CHECK(!strcmp(info.kind, "veth"), "veth: kind \"%s\"", info.kind);
	CHECK(info.mtu == 1400, "veth: outer mtu %d", info.mtu);
	CHECK(info.has_mac && !memcmp(info.mac, mac, 6), "veth: outer mac");
	CHECK(!strcmp(info.alias, "nsnet:seed"), "veth: alias \"%s\"", info.alias);
	CHECK(info.master == 7, "veth: master %d", info.master);
	CHECK(!find_attr(nlh, sizeof(*ifi), IFLA_NET_NS_FD), "veth: no outer IFLA_NET_NS_FD");
	x = find_attr(nlh, sizeof(*ifi), IFLA_IFNAME);
	CHECK(x && mnl_attr_get_payload_len(x) == 9, "veth: names are NUL-terminated (strz)");

	li = find_attr(nlh, sizeof(*ifi), IFLA_LINKINFO);
	data = find_nested(li, IFLA_INFO_DATA);
	pn = find_nested(data, VETH_INFO_PEER);
	CHECK(pn != NULL, "veth: IFLA_LINKINFO/IFLA_INFO_DATA/VETH_INFO_PEER present");
	if (!pn)
		return;
	plen = mnl_attr_get_payload_len(pn);
	CHECK(plen >= sizeof(*pifi), "veth: peer nest holds a raw ifinfomsg (%zu bytes)", plen);
	pifi = mnl_attr_get_payload(pn);
	CHECK(pifi->ifi_family == AF_UNSPEC && pifi->ifi_index == 99 && pifi->ifi_flags == 0 &&
	      pifi->ifi_change == 0, "veth: peer ifinfomsg: index 99, no flags");
	/* re-frame the peer nest as a message so the same parser reads it */
	memset(buf2, 0, sizeof(buf2));
	pnlh = mnl_nlmsg_put_header(buf2);
	pnlh->nlmsg_type = RTM_NEWLINK;
	memcpy(mnl_nlmsg_put_extra_header(pnlh, plen), pifi, plen);
	CHECK(nsnet_link_parse(pnlh, &info) == 0 && !strcmp(info.name, "eth0") &&
	      info.mtu == 1300 && info.has_mac && !memcmp(info.mac, pmac, 6),
	      "veth: peer name, mtu, mac");
	x = find_attr(pnlh, sizeof(*pifi), IFLA_NET_NS_FD);
	CHECK(x && mnl_attr_get_payload_len(x) == 4 && mnl_attr_get_u32(x) == 42,
	      "veth: peer IFLA_NET_NS_FD 42");
	CHECK(!find_attr(pnlh, sizeof(*pifi), IFLA_MASTER) && !find_attr(pnlh, sizeof(*pifi), IFLA_IFALIAS),
	      "veth: peer carries only what was asked");
	/* the nests end exactly at the end of the message */
	CHECK((const char *)li + NLMSG_ALIGN(li->nla_len) == (const char *)nlh + nlh->nlmsg_len,
	      "veth: IFLA_LINKINFO is last and closes at nlmsg_len");

	/* down / nomaster / outer netns */
	nlh = new_msg(RTM_NEWLINK);
	a = (struct nsnet_link_req)NSNET_LINK_REQ_INIT;
	a.ifindex = 5;
	a.up = -1;
	a.master = -1;
	a.netns_fd = 3;
	nsnet_link_msg(nlh, &a);
	ifi = mnl_nlmsg_get_payload(nlh);
	CHECK(ifi->ifi_index == 5 && ifi->ifi_flags == 0 && ifi->ifi_change == IFF_UP,
	      "set: down = flags 0, change IFF_UP");
	x = find_attr(nlh, sizeof(*ifi), IFLA_MASTER);
	CHECK(x && mnl_attr_get_u32(x) == 0, "set: nomaster = IFLA_MASTER 0");
	x = find_attr(nlh, sizeof(*ifi), IFLA_NET_NS_FD);
	CHECK(x && mnl_attr_get_u32(x) == 3, "set: IFLA_NET_NS_FD moves the link");
	CHECK(!find_attr(nlh, sizeof(*ifi), IFLA_IFNAME) && !find_attr(nlh, sizeof(*ifi), IFLA_MTU),
	      "set: nothing else");
	nlh = new_msg(RTM_NEWLINK);
	a = (struct nsnet_link_req)NSNET_LINK_REQ_INIT;
	a.name = "x";
	nsnet_link_msg(nlh, &a);
	ifi = mnl_nlmsg_get_payload(nlh);
	CHECK(ifi->ifi_flags == 0 && ifi->ifi_change == 0 && nlh->nlmsg_len ==
	      NLMSG_HDRLEN + sizeof(*ifi) + NLA_HDRLEN + 4, "leave: no flag change, only the name");
}

static void test_kinds(void)
{
	struct nsnet_link_req a = NSNET_LINK_REQ_INIT;
	const struct ifinfomsg *ifi;
	const struct nlattr *li, *data, *x;
	struct nsnet_link_info info;
	struct nsnet_vxlan vx = { 0 };
	struct nlmsghdr *nlh = new_msg(RTM_NEWLINK);

	a.name = "v-net-0";
	a.up = 1;
	nsnet_link_msg_kind(nlh, &a, "bridge");
	ifi = mnl_nlmsg_get_payload(nlh);
	CHECK(nsnet_link_parse(nlh, &info) == 0 && !strcmp(info.kind, "bridge") &&
	      !strcmp(info.name, "v-net-0"), "bridge: name and kind");
	li = find_attr(nlh, sizeof(*ifi), IFLA_LINKINFO);
	CHECK(li && !find_nested(li, IFLA_INFO_DATA), "bridge: no IFLA_INFO_DATA");

	nlh = new_msg(RTM_NEWLINK);
	a.name = "mv0";
	nsnet_link_msg_macvlan(nlh, &a, 12, 0);
	CHECK(nsnet_link_parse(nlh, &info) == 0 && !strcmp(info.kind, "macvlan") && info.link == 12,
	      "macvlan: kind, IFLA_LINK = lower 12");
	data = find_nested(find_attr(nlh, sizeof(*ifi), IFLA_LINKINFO), IFLA_INFO_DATA);
	x = find_nested(data, IFLA_MACVLAN_MODE);
	CHECK(x && mnl_attr_get_u32(x) == MACVLAN_MODE_BRIDGE, "macvlan: mode 0 → bridge");
	nlh = new_msg(RTM_NEWLINK);
	nsnet_link_msg_macvlan(nlh, &a, 12, MACVLAN_MODE_PRIVATE);
	data = find_nested(find_attr(nlh, sizeof(*ifi), IFLA_LINKINFO), IFLA_INFO_DATA);
	x = find_nested(data, IFLA_MACVLAN_MODE);
	CHECK(x && mnl_attr_get_u32(x) == MACVLAN_MODE_PRIVATE, "macvlan: explicit mode");

	nlh = new_msg(RTM_NEWLINK);
	a.name = "vx0";
	vx.vni = 4242;
	vx.family = AF_INET;
	inet_pton(AF_INET, "10.0.0.1", vx.local);
	inet_pton(AF_INET, "239.1.1.1", vx.remote);
	vx.has_local = vx.has_remote = 1;
	vx.lower = 3;
	vx.dstport = 4789;
	nsnet_link_msg_vxlan(nlh, &a, &vx);
	CHECK(nsnet_link_parse(nlh, &info) == 0 && !strcmp(info.kind, "vxlan"), "vxlan: kind");
	data = find_nested(find_attr(nlh, sizeof(*ifi), IFLA_LINKINFO), IFLA_INFO_DATA);
	x = find_nested(data, IFLA_VXLAN_ID);
	CHECK(x && mnl_attr_get_u32(x) == 4242, "vxlan: vni");
	x = find_nested(data, IFLA_VXLAN_LOCAL);
	CHECK(x && mnl_attr_get_payload_len(x) == 4 && !memcmp(mnl_attr_get_payload(x), vx.local, 4),
	      "vxlan: local v4");
	x = find_nested(data, IFLA_VXLAN_GROUP);
	CHECK(x && !memcmp(mnl_attr_get_payload(x), vx.remote, 4), "vxlan: group v4");
	x = find_nested(data, IFLA_VXLAN_LINK);
	CHECK(x && mnl_attr_get_u32(x) == 3, "vxlan: lower link");
	x = find_nested(data, IFLA_VXLAN_PORT);
	CHECK(x && mnl_attr_get_payload_len(x) == 2 && ntohs(mnl_attr_get_u16(x)) == 4789,
	      "vxlan: port in network order");
	nlh = new_msg(RTM_NEWLINK);
	memset(&vx, 0, sizeof(vx));
	vx.vni = 1;
	vx.family = AF_INET6;
	inet_pton(AF_INET6, "fd00::2", vx.remote);
	vx.has_remote = 1;
	nsnet_link_msg_vxlan(nlh, &a, &vx);
	data = find_nested(find_attr(nlh, sizeof(*ifi), IFLA_LINKINFO), IFLA_INFO_DATA);
	x = find_nested(data, IFLA_VXLAN_GROUP6);
	CHECK(x && mnl_attr_get_payload_len(x) == 16 && !find_nested(data, IFLA_VXLAN_LOCAL6) &&
	      !find_nested(data, IFLA_VXLAN_PORT) && !find_nested(data, IFLA_VXLAN_LINK),
	      "vxlan v6: group6 only");
}

static void test_addr(void)
{
	struct nsnet_prefix p;
	struct nsnet_addr_info ai;
	const struct ifaddrmsg *ifa;
	const struct nlattr *x;
	struct nlmsghdr *nlh = new_msg(RTM_NEWADDR);

	nsnet_prefix_parse("192.168.15.1/24", &p, 1);
	nsnet_addr_msg(nlh, 4, &p);
	ifa = mnl_nlmsg_get_payload(nlh);
	CHECK(ifa->ifa_family == AF_INET && ifa->ifa_prefixlen == 24 && ifa->ifa_index == 4 &&
	      ifa->ifa_scope == 0 && ifa->ifa_flags == 0, "addr v4: ifaddrmsg");
	x = find_attr(nlh, sizeof(*ifa), IFA_ADDRESS);
	CHECK(x && mnl_attr_get_payload_len(x) == 4 && find_attr(nlh, sizeof(*ifa), IFA_LOCAL),
	      "addr v4: IFA_LOCAL + IFA_ADDRESS");
	CHECK(nsnet_addr_parse(nlh, &ai) == 0 && ai.ifindex == 4 && nsnet_ip_equal(&ai.p, &p) &&
	      ai.p.plen == 24, "addr v4: round trip");
	nlh = new_msg(RTM_NEWADDR);
	nsnet_prefix_parse("127.0.0.2/8", &p, 1);
	nsnet_addr_msg(nlh, 1, &p);
	ifa = mnl_nlmsg_get_payload(nlh);
	CHECK(ifa->ifa_scope == RT_SCOPE_HOST, "addr 127/8: host scope like iproute2");
	nlh = new_msg(RTM_NEWADDR);
	nsnet_prefix_parse("fd00:1::5/64", &p, 1);
	nsnet_addr_msg(nlh, 9, &p);
	ifa = mnl_nlmsg_get_payload(nlh);
	CHECK(ifa->ifa_family == AF_INET6 && ifa->ifa_prefixlen == 64 &&
	      (ifa->ifa_flags & IFA_F_NODAD), "addr v6: NODAD");
	CHECK(nsnet_addr_parse(nlh, &ai) == 0 && ai.p.family == AF_INET6 &&
	      nsnet_ip_equal(&ai.p, &p) && (ai.flags & IFA_F_NODAD), "addr v6: round trip");
	/* a reply with IFA_FLAGS (u32) and IFA_ADDRESS before IFA_LOCAL (peer address) */
	nlh = new_msg(RTM_NEWADDR);
	{
		struct ifaddrmsg *m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));
		uint8_t peer[4] = { 10, 0, 0, 2 }, local[4] = { 10, 0, 0, 1 };

		m->ifa_family = AF_INET;
		m->ifa_prefixlen = 32;
		mnl_attr_put(nlh, IFA_ADDRESS, 4, peer);
		mnl_attr_put(nlh, IFA_LOCAL, 4, local);
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_PERMANENT | IFA_F_NOPREFIXROUTE);
		CHECK(nsnet_addr_parse(nlh, &ai) == 0 && !memcmp(ai.p.addr, local, 4) &&
		      ai.flags == (IFA_F_PERMANENT | IFA_F_NOPREFIXROUTE),
		      "addr parse: IFA_LOCAL wins over IFA_ADDRESS, IFA_FLAGS read");
		m->ifa_family = AF_PACKET;
		CHECK(nsnet_addr_parse(nlh, &ai) == -EBADMSG, "addr parse: other family rejected");
	}
}

static void test_route_msg(void)
{
	struct nsnet_route r, back;
	struct nsnet_err err = { 0 };
	const struct rtmsg *rtm;
	const struct nlattr *x;
	struct nlmsghdr *nlh = new_msg(RTM_NEWROUTE);
	char b[160];

	CHECK(nsnet_route_parse_str("default via 192.168.15.5", &r, &err) == 0, "route: default via");
	nsnet_route_msg(nlh, &r);
	rtm = mnl_nlmsg_get_payload(nlh);
	CHECK(rtm->rtm_family == AF_INET && rtm->rtm_dst_len == 0 && rtm->rtm_table == RT_TABLE_MAIN &&
	      rtm->rtm_protocol == RTPROT_BOOT && rtm->rtm_scope == RT_SCOPE_UNIVERSE &&
	      rtm->rtm_type == RTN_UNICAST, "route default: rtmsg like iproute2");
	CHECK(!find_attr(nlh, sizeof(*rtm), RTA_DST) && !find_attr(nlh, sizeof(*rtm), RTA_TABLE) &&
	      !find_attr(nlh, sizeof(*rtm), RTA_OIF), "route default: no RTA_DST/TABLE/OIF");
	CHECK(nsnet_route_parse(nlh, &back) == 0 && back.dst.plen == 0 && back.gw.family == AF_INET &&
	      nsnet_ip_equal(&back.gw, &r.gw) && back.table == RT_TABLE_MAIN, "route default: round trip");

	nlh = new_msg(RTM_NEWROUTE);
	CHECK(nsnet_route_parse_str("10.0.0.0/8 via 10.1.1.1 metric 20 table 300", &r, &err) == 0,
	      "route: prefix via metric table");
	r.oif = 6;
	nsnet_route_msg(nlh, &r);
	rtm = mnl_nlmsg_get_payload(nlh);
	x = find_attr(nlh, sizeof(*rtm), RTA_TABLE);
	CHECK(rtm->rtm_table == RT_TABLE_UNSPEC && x && mnl_attr_get_u32(x) == 300,
	      "route table 300: RT_TABLE_UNSPEC + RTA_TABLE");
	CHECK(nsnet_route_parse(nlh, &back) == 0 && back.dst.plen == 8 && back.dst.addr[0] == 10 &&
	      back.oif == 6 && back.metric == 20 && back.table == 300 && back.gw.addr[3] == 1,
	      "route prefix: round trip (dst, oif, metric, table)");

	nlh = new_msg(RTM_NEWROUTE);
	nsnet_route_parse_str("10.0.0.0/8 via 10.1.1.1 table 100", &r, &err);
	nsnet_route_msg(nlh, &r);
	rtm = mnl_nlmsg_get_payload(nlh);
	CHECK(rtm->rtm_table == 100 && !find_attr(nlh, sizeof(*rtm), RTA_TABLE),
	      "route table 100: in rtm_table only");

	nlh = new_msg(RTM_NEWROUTE);
	CHECK(nsnet_route_parse_str("172.16.0.0/12 dev eth1", &r, &err) == 0 && !strcmp(r.dev, "eth1"),
	      "route: dev only");
	r.oif = 3;
	nsnet_route_msg(nlh, &r);
	rtm = mnl_nlmsg_get_payload(nlh);
	CHECK(rtm->rtm_scope == RT_SCOPE_LINK && !find_attr(nlh, sizeof(*rtm), RTA_GATEWAY),
	      "route dev: link scope, no gateway");
	CHECK(nsnet_route_parse(nlh, &back) == 0 && back.oif == 3 && back.dst.plen == 12,
	      "route dev: round trip");

	nlh = new_msg(RTM_NEWROUTE);
	CHECK(nsnet_route_parse_str("default via fd00::1", &r, &err) == 0 && r.family == AF_INET6,
	      "route v6 default");
	nsnet_route_msg(nlh, &r);
	x = find_attr(nlh, sizeof(*rtm), RTA_GATEWAY);
	CHECK(x && mnl_attr_get_payload_len(x) == 16, "route v6: 16-byte gateway");
	CHECK(nsnet_route_parse(nlh, &back) == 0 && back.family == AF_INET6 &&
	      nsnet_ip_equal(&back.gw, &r.gw), "route v6: round trip");
	CHECK(!strcmp(nsnet_route_fmt(&back, "eth0", b, sizeof(b)), "default via fd00::1 dev eth0"),
	      "route fmt: \"%s\"", b);
	nsnet_route_parse_str("10.0.0.0/8 via 10.1.1.1 metric 20", &r, &err);
	CHECK(!strcmp(nsnet_route_fmt(&r, NULL, b, sizeof(b)), "10.0.0.0/8 via 10.1.1.1 metric 20"),
	      "route fmt: \"%s\"", b);
	{
		char tiny[8];

		nsnet_route_fmt(&r, "eth0", tiny, sizeof(tiny));
		CHECK(strlen(tiny) == 7, "route fmt: truncates safely");
	}
	/* parse rejects what is not a route */
	nlh = new_msg(RTM_NEWROUTE);
	{
		struct rtmsg *m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));

		m->rtm_family = AF_INET;
		mnl_attr_put(nlh, RTA_DST, 16, "0123456789abcdef");	/* wrong length: ignored */
		CHECK(nsnet_route_parse(nlh, &back) == 0 && back.dst.addr[0] == 0,
		      "route parse: wrong-length RTA_DST ignored");
		m->rtm_family = AF_BRIDGE;
		CHECK(nsnet_route_parse(nlh, &back) == -EBADMSG, "route parse: other family rejected");
	}
}

static void test_route_text(void)
{
	static const char *const bad[] = {
		"", "   ", "default", "default metric 5", "10.0.0.1/8 via 10.0.0.2",
		"10.0.0.0/8 via fd00::1", "fd00::/64 via 10.0.0.1", "10.0.0.0/8 dev",
		"10.0.0.0/8 via", "10.0.0.0/8 bogus x", "10.0.0.0/8 via 10.0.0.300",
		"10.0.0.0/8 dev eth0 metric -1", "10.0.0.0/8 dev eth0 metric 4294967296",
		"10.0.0.0/8 dev eth0 metric x", "10.0.0.0/8 dev eth0 table 0",
		"10.0.0.0/8 dev eth0 table +1", "10.0.0.0/8 dev eth0:1",
		"10.0.0.0/8 dev 0123456789abcdef", "10.0.0.0/33 dev eth0", "foo via 10.0.0.1",
		"10.0.0.0/8", "a b c d e f g h i j k l m n o p q",
	};
	struct nsnet_err err = { 0 };
	struct nsnet_route r;
	char longs[400];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		nsnet_err_clear(&err);
		CHECK(nsnet_route_parse_str(bad[i], &r, &err) == -EINVAL && err.msg[0],
		      "route text rejected: \"%s\" (%s)", bad[i], err.msg);
	}
	memset(longs, ' ', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	memcpy(longs, "default via 10.0.0.1", 20);
	CHECK(nsnet_route_parse_str(longs, &r, &err) == -EINVAL, "route text: over-long rejected");
	CHECK(nsnet_route_parse_str(NULL, &r, &err) == -EINVAL, "route text: NULL rejected");
	CHECK(nsnet_route_parse_str("  10.0.0.0/8\tvia 10.1.1.1  dev eth0 metric 4294967295  ", &r,
				    &err) == 0 && r.metric == 4294967295u && !strcmp(r.dev, "eth0"),
	      "route text: blanks and tabs, metric max");
	CHECK(nsnet_route_parse_str("10.0.0.0/8 via 10.1.1.1 preference 7", &r, &err) == 0 &&
	      r.metric == 7, "route text: preference = metric");
	CHECK(nsnet_route_parse_str("0.0.0.0/0 via 10.1.1.1", &r, &err) == 0 && r.dst.plen == 0,
	      "route text: 0.0.0.0/0 is default");
	CHECK(nsnet_route_parse_str("10.1.2.3 via 10.1.1.1", &r, &err) == 0 && r.dst.plen == 32,
	      "route text: bare address is a /32");
	CHECK(nsnet_route_parse_str("fd00:1::/64 via fd00::1 table 4294967295", &r, &err) == 0 &&
	      r.family == AF_INET6 && r.table == 4294967295u, "route text: v6 prefix, table max");
}

static void put_err_hdr(struct nlmsghdr *nlh, int error, uint16_t flags, uint32_t orig_len)
{
	struct nlmsgerr *e;

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = flags;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = error;
	e->msg.nlmsg_len = orig_len;
	e->msg.nlmsg_type = RTM_NEWADDR;
	e->msg.nlmsg_seq = 7;
}

static void test_ack(void)
{
	struct nlmsghdr *nlh;
	char msg[64], tiny[6];
	uint32_t miss = 0;
	unsigned len;

	/* success, capped, no TLVs */
	nlh = new_msg(0);
	put_err_hdr(nlh, 0, NLM_F_CAPPED, 20);
	CHECK(nsnet_nl_parse_ack(nlh, nlh->nlmsg_len, msg, sizeof(msg), &miss) == 0 && !msg[0],
	      "ack: success");
	/* error with a message, capped */
	nlh = new_msg(0);
	put_err_hdr(nlh, -EEXIST, NLM_F_CAPPED | NLM_F_ACK_TLVS, 40);
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "Address already assigned");
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, 24);
	CHECK(nsnet_nl_parse_ack(nlh, nlh->nlmsg_len, msg, sizeof(msg), &miss) == -EEXIST &&
	      !strcmp(msg, "Address already assigned"), "ack: capped error with extack \"%s\"", msg);
	CHECK(nsnet_nl_parse_ack(nlh, nlh->nlmsg_len, tiny, sizeof(tiny), NULL) == -EEXIST &&
	      !strcmp(tiny, "Addre"), "ack: message cut to the buffer, NUL-terminated");
	CHECK(nsnet_nl_parse_ack(nlh, nlh->nlmsg_len, NULL, 0, NULL) == -EEXIST, "ack: no buffers");
	len = nlh->nlmsg_len;
	CHECK(nsnet_nl_parse_ack(nlh, len - 1, msg, sizeof(msg), NULL) == -EBADMSG,
	      "ack: nlmsg_len beyond the buffer → -EBADMSG");
	/* uncapped: the request (40 bytes: header + 24 payload) is echoed before the TLVs */
	nlh = new_msg(0);
	put_err_hdr(nlh, -ENODEV, NLM_F_ACK_TLVS, 40);
	memset(mnl_nlmsg_put_extra_header(nlh, 24), 0x5a, 24);
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "Device not found");
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_MISS_TYPE, IFA_LOCAL);
	CHECK(nsnet_nl_parse_ack(nlh, nlh->nlmsg_len, msg, sizeof(msg), &miss) == -ENODEV &&
	      !strcmp(msg, "Device not found") && miss == IFA_LOCAL,
	      "ack: uncapped error, TLVs after the echoed request (\"%s\", miss %u)", msg, miss);
	/* uncapped, echoed length pointing past the end: no TLV read, error still returned */
	nlh = new_msg(0);
	put_err_hdr(nlh, -EINVAL, NLM_F_ACK_TLVS, 60000);
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "x");
	CHECK(nsnet_nl_parse_ack(nlh, nlh->nlmsg_len, msg, sizeof(msg), NULL) == -EINVAL && !msg[0],
	      "ack: echoed length past the end ignored");
	nlh = new_msg(0);
	put_err_hdr(nlh, -EINVAL, NLM_F_ACK_TLVS, 3);
	CHECK(nsnet_nl_parse_ack(nlh, nlh->nlmsg_len, msg, sizeof(msg), NULL) == -EINVAL,
	      "ack: echoed length < header ignored");
	/* success with a warning */
	nlh = new_msg(0);
	put_err_hdr(nlh, 0, NLM_F_CAPPED | NLM_F_ACK_TLVS, 20);
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "warning text");
	CHECK(nsnet_nl_parse_ack(nlh, nlh->nlmsg_len, msg, sizeof(msg), NULL) == 0 &&
	      !strcmp(msg, "warning text"), "ack: success carrying a warning");
	/* message without NUL, exactly filling the attribute */
	nlh = new_msg(0);
	put_err_hdr(nlh, -EPERM, NLM_F_CAPPED | NLM_F_ACK_TLVS, 20);
	mnl_attr_put(nlh, NLMSGERR_ATTR_MSG, 4, "abcd");
	CHECK(nsnet_nl_parse_ack(nlh, nlh->nlmsg_len, msg, sizeof(msg), NULL) == -EPERM &&
	      !strcmp(msg, "abcd"), "ack: unterminated message bounded by the attribute");
	/* a TLV whose length runs past the end stops the walk */
	nlh = new_msg(0);
	put_err_hdr(nlh, -EPERM, NLM_F_CAPPED | NLM_F_ACK_TLVS, 20);
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "abc");
	((struct nlattr *)((char *)nlh + NLMSG_HDRLEN + sizeof(struct nlmsgerr)))->nla_len = 200;
	CHECK(nsnet_nl_parse_ack(nlh, nlh->nlmsg_len, msg, sizeof(msg), NULL) == -EPERM && !msg[0],
	      "ack: overlong TLV ignored");
	/* garbage */
	nlh = new_msg(0);
	put_err_hdr(nlh, 5, NLM_F_CAPPED, 20);
	CHECK(nsnet_nl_parse_ack(nlh, nlh->nlmsg_len, msg, sizeof(msg), NULL) == -EBADMSG,
	      "ack: positive error → -EBADMSG");
	nlh = new_msg(0);
	put_err_hdr(nlh, INT_MIN, NLM_F_CAPPED, 20);
	CHECK(nsnet_nl_parse_ack(nlh, nlh->nlmsg_len, msg, sizeof(msg), NULL) == -EBADMSG,
	      "ack: error below -4095 → -EBADMSG");
	nlh = new_msg(0);
	put_err_hdr(nlh, -1, NLM_F_CAPPED, 20);
	nlh->nlmsg_len = NLMSG_HDRLEN + 8;	/* truncated nlmsgerr */
	CHECK(nsnet_nl_parse_ack(nlh, 4096, msg, sizeof(msg), NULL) == -EBADMSG,
	      "ack: truncated nlmsgerr → -EBADMSG");
	CHECK(nsnet_nl_parse_ack(nlh, 10, msg, sizeof(msg), NULL) == -EBADMSG,
	      "ack: fewer bytes than a header → -EBADMSG");
	nlh->nlmsg_len = 0;
	CHECK(nsnet_nl_parse_ack(nlh, 4096, msg, sizeof(msg), NULL) == -EBADMSG,
	      "ack: nlmsg_len 0 → -EBADMSG");
}

static void test_parsers_bounds(void)
{
	struct nsnet_link_info li;
	struct nsnet_addr_info ai;
	struct nsnet_route r;
	struct nsnet_neigh_info ni;
	struct nlmsghdr *nlh;

	/* headers shorter than the family header */
	nlh = new_msg(RTM_NEWLINK);
	nlh->nlmsg_len = NLMSG_HDRLEN + 4;
	CHECK(nsnet_link_parse(nlh, &li) == -EBADMSG && nsnet_addr_parse(nlh, &ai) == -EBADMSG &&
	      nsnet_route_parse(nlh, &r) == -EBADMSG && nsnet_neigh_parse(nlh, &ni) == -EBADMSG,
	      "parsers: short family header → -EBADMSG");
	/* fuzzer regression: libmnl's mnl_nlmsg_ok() took nlmsg_len >= 2^31 as valid */
	nlh = new_msg(RTM_NEWLINK);
	nlh->nlmsg_len = 0xa5a5a5a5;
	CHECK(!nsnet_nl_msg_ok(nlh, 64), "msg_ok: nlmsg_len 0xa5a5a5a5 with 64 bytes → not ok");
	nlh->nlmsg_len = 0x80000000;
	CHECK(!nsnet_nl_msg_ok(nlh, 64), "msg_ok: nlmsg_len 2^31 → not ok");
	nlh->nlmsg_len = 15;
	CHECK(!nsnet_nl_msg_ok(nlh, 64), "msg_ok: nlmsg_len < header → not ok");
	nlh->nlmsg_len = 64;
	CHECK(nsnet_nl_msg_ok(nlh, 64) && !nsnet_nl_msg_ok(nlh, 63) && !nsnet_nl_msg_ok(nlh, 8),
	      "msg_ok: exact fit ok, one byte short not, fewer bytes than a header not");
	/* fuzzer regression: an attribute ending in the alignment padding after an
	 * unaligned nlmsg_len was read (up to 3 bytes past the message) */
	nlh = new_msg(RTM_NEWROUTE);
	{
		struct rtmsg *m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));

		m->rtm_family = AF_INET;
		mnl_attr_put_u32(nlh, RTA_OIF, 4);
		mnl_attr_put_u32(nlh, RTA_PRIORITY, 77);
		CHECK(nsnet_route_parse(nlh, &r) == 0 && r.oif == 4 && r.metric == 77,
		      "route parse: whole message");
		nlh->nlmsg_len -= 1;
		CHECK(nsnet_route_parse(nlh, &r) == 0 && r.oif == 4 && r.metric == 0,
		      "route parse: attribute crossing an unaligned nlmsg_len ignored");
	}
	/* attributes shorter than their type needs are skipped */
	nlh = new_msg(RTM_NEWLINK);
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	mnl_attr_put(nlh, IFLA_MTU, 2, "\x01\x02");
	mnl_attr_put(nlh, IFLA_ADDRESS, 4, "abcd");
	mnl_attr_put(nlh, IFLA_IFNAME, 20, "0123456789abcdefghij");	/* no NUL, > 15 */
	mnl_attr_put(nlh, IFLA_LINKINFO, 2, "zz");	/* nest too short */
	CHECK(nsnet_link_parse(nlh, &li) == 0 && li.mtu == 0 && !li.has_mac &&
	      !strcmp(li.name, "0123456789abcde") && !li.kind[0],
	      "link parse: short u32, odd mac, unterminated long name, short nest");
	/* neighbour */
	nlh = new_msg(RTM_NEWNEIGH);
	{
		struct ndmsg *nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
		uint8_t ip[4] = { 10, 0, 0, 9 }, mac[6] = { 2, 0, 0, 0, 0, 9 };

		nd->ndm_family = AF_INET;
		nd->ndm_ifindex = 3;
		nd->ndm_state = NUD_REACHABLE;
		mnl_attr_put(nlh, NDA_DST, 4, ip);
		mnl_attr_put(nlh, NDA_LLADDR, 6, mac);
		CHECK(nsnet_neigh_parse(nlh, &ni) == 0 && ni.ifindex == 3 &&
		      ni.state == NUD_REACHABLE && !memcmp(ni.dst.addr, ip, 4) && ni.dst.plen == 32 &&
		      ni.has_lladdr && !memcmp(ni.lladdr, mac, 6), "neigh parse: round trip");
	}
}

static void test_prefix(void)
{
	static const char *const bad[] = {
		"", "/24", "10.0.0.1/", "10.0.0.1/33", "10.0.0.1/-1", "10.0.0.1/+1", "10.0.0.1/ 1",
		"10.0.0.1/24x", "10.0.0.1/0x10", "1.2.3/24", "10.0.0.256/8", "::1/129", "fe80::1%eth0/64",
		"10.0.0.1/99999999999999999999", "10.0.0.1 /24", "x",
	};
	struct nsnet_prefix p, q, n;
	char b[64];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(nsnet_prefix_parse(bad[i], &p, 0) == -EINVAL, "prefix rejected: \"%s\"", bad[i]);
	CHECK(nsnet_prefix_parse(NULL, &p, 0) == -EINVAL, "prefix NULL rejected");
	CHECK(nsnet_prefix_parse("10.0.0.1", &p, 1) == -EINVAL, "prefix: length required");
	CHECK(nsnet_prefix_parse("10.0.0.1", &p, 0) == 0 && p.plen == 32 && p.family == AF_INET,
	      "prefix: bare v4 is /32");
	CHECK(nsnet_prefix_parse("fd00::1", &p, 0) == 0 && p.plen == 128 && p.family == AF_INET6,
	      "prefix: bare v6 is /128");
	CHECK(nsnet_prefix_parse("10.0.0.1/0", &p, 1) == 0 && p.plen == 0, "prefix /0");
	CHECK(nsnet_prefix_parse("::/0", &p, 1) == 0 && p.plen == 0, "prefix ::/0");
	CHECK(nsnet_prefix_parse("::ffff:1.2.3.4/128", &p, 1) == 0 && p.family == AF_INET6,
	      "prefix: v4-mapped v6");
	CHECK(nsnet_prefix_parse("10.0.0.1/08", &p, 1) == 0 && p.plen == 8, "prefix: leading zero");
	CHECK(!strcmp(nsnet_prefix_fmt(&p, 1, b, sizeof(b)), "10.0.0.1/8"), "fmt: \"%s\"", b);
	CHECK(!strcmp(nsnet_prefix_fmt(&p, 0, b, sizeof(b)), "10.0.0.1"), "fmt without length");
	nsnet_prefix_parse("FD00:0:0::1/64", &p, 1);
	CHECK(!strcmp(nsnet_prefix_fmt(&p, 1, b, sizeof(b)), "fd00::1/64"), "fmt v6 canonical: \"%s\"", b);
	memset(&q, 0, sizeof(q));
	CHECK(!strcmp(nsnet_prefix_fmt(&q, 1, b, sizeof(b)), "?/0"), "fmt of an empty prefix: \"%s\"", b);

	nsnet_prefix_parse("10.1.2.3/20", &p, 1);
	nsnet_prefix_network(&p, &n);
	CHECK(!strcmp(nsnet_prefix_fmt(&n, 1, b, sizeof(b)), "10.1.0.0/20"), "network /20: %s", b);
	nsnet_prefix_parse("10.1.2.3/0", &p, 1);
	nsnet_prefix_network(&p, &n);
	CHECK(!strcmp(nsnet_prefix_fmt(&n, 1, b, sizeof(b)), "0.0.0.0/0"), "network /0: %s", b);
	nsnet_prefix_parse("10.1.2.3/32", &p, 1);
	nsnet_prefix_network(&p, &n);
	CHECK(nsnet_ip_equal(&n, &p), "network /32 is the address");
	nsnet_prefix_parse("fd00:1:2:3:ffff::1/65", &p, 1);
	nsnet_prefix_network(&p, &n);
	CHECK(!strcmp(nsnet_prefix_fmt(&n, 1, b, sizeof(b)), "fd00:1:2:3:8000::/65"),
	      "network v6 /65: %s", b);
	nsnet_prefix_network(&p, &p);
	CHECK(!strcmp(nsnet_prefix_fmt(&p, 1, b, sizeof(b)), "fd00:1:2:3:8000::/65"),
	      "network in place");

	nsnet_prefix_parse("10.0.0.0/8", &n, 1);
	nsnet_prefix_parse("10.255.0.1", &p, 0);
	CHECK(nsnet_prefix_contains(&n, &p) == 1, "10/8 contains 10.255.0.1");
	nsnet_prefix_parse("11.0.0.0", &p, 0);
	CHECK(nsnet_prefix_contains(&n, &p) == 0, "10/8 does not contain 11.0.0.0");
	nsnet_prefix_parse("10.0.0.1/8", &q, 1);
	CHECK(nsnet_prefix_contains(&q, &p) == 0 && nsnet_prefix_contains(&q, &n) == 1,
	      "host bits of the network ignored");
	nsnet_prefix_parse("0.0.0.0/0", &n, 1);
	CHECK(nsnet_prefix_contains(&n, &p) == 1, "/0 contains everything");
	nsnet_prefix_parse("::/0", &q, 1);
	CHECK(nsnet_prefix_contains(&q, &p) == 0, "family mismatch: not contained");
	nsnet_prefix_parse("fd00::/64", &n, 1);
	nsnet_prefix_parse("fd00::ffff:1", &p, 0);
	CHECK(nsnet_prefix_contains(&n, &p) == 1, "v6 /64 contains");
	nsnet_prefix_parse("fd00:0:0:1::1", &p, 0);
	CHECK(nsnet_prefix_contains(&n, &p) == 0, "v6 /64 does not contain the next /64");
	nsnet_prefix_parse("10.0.0.1/24", &p, 1);
	nsnet_prefix_parse("10.0.0.1/16", &q, 1);
	CHECK(nsnet_ip_equal(&p, &q), "ip_equal ignores lengths");

	nsnet_prefix_parse("192.168.15.0/24", &n, 1);
	CHECK(nsnet_prefix_host(&n, 1, &p) == 0 && !strcmp(nsnet_prefix_fmt(&p, 1, b, sizeof(b)),
							     "192.168.15.1/24"), "host 1: %s", b);
	CHECK(nsnet_prefix_host(&n, 255, &p) == 0 && p.addr[3] == 255, "host 255 in /24 (in range)");
	CHECK(nsnet_prefix_host(&n, 256, &p) == -ERANGE, "host 256 in /24: -ERANGE");
	nsnet_prefix_parse("192.168.15.77/24", &n, 1);
	CHECK(nsnet_prefix_host(&n, 5, &p) == 0 && p.addr[3] == 5, "host counts from the network");
	nsnet_prefix_parse("10.0.0.0/16", &n, 1);
	CHECK(nsnet_prefix_host(&n, 256, &p) == 0 && p.addr[2] == 1 && p.addr[3] == 0,
	      "host 256 in /16 carries into the third byte");
	CHECK(nsnet_prefix_host(&n, 65535, &p) == 0 && p.addr[2] == 255 && p.addr[3] == 255 &&
	      p.addr[1] == 0, "host 65535 in /16");
	CHECK(nsnet_prefix_host(&n, 65536, &p) == -ERANGE, "host 65536 in /16: -ERANGE");
	nsnet_prefix_parse("10.0.0.0/32", &n, 1);
	CHECK(nsnet_prefix_host(&n, 1, &p) == -ERANGE && nsnet_prefix_host(&n, 0, &p) == 0,
	      "/32: only host 0");
	nsnet_prefix_parse("0.0.0.0/0", &n, 1);
	CHECK(nsnet_prefix_host(&n, 0xffffffffULL, &p) == 0 && p.addr[0] == 255 && p.addr[3] == 255,
	      "/0: host 2^32-1") ;
	CHECK(nsnet_prefix_host(&n, 0x100000000ULL, &p) == -ERANGE, "/0: host 2^32 -ERANGE");
	nsnet_prefix_parse("fd00::/64", &n, 1);
	CHECK(nsnet_prefix_host(&n, 0x10000000001ULL, &p) == 0 &&
	      !strcmp(nsnet_prefix_fmt(&p, 1, b, sizeof(b)), "fd00::100:0:1/64"), "v6 /64 host 2^40+1: %s", b);
	CHECK(nsnet_prefix_host(&n, UINT64_MAX, &p) == 0 &&
	      !strcmp(nsnet_prefix_fmt(&p, 0, b, sizeof(b)), "fd00::ffff:ffff:ffff:ffff"),
	      "v6 /64: host 2^64-1 (%s)", b);
	nsnet_prefix_parse("fd00::/120", &n, 1);
	CHECK(nsnet_prefix_host(&n, 300, &p) == -ERANGE, "v6 /120: host 300 -ERANGE");
	nsnet_prefix_parse("fd00::/0", &n, 1);
	CHECK(nsnet_prefix_host(&n, 7, &p) == 0 && p.addr[15] == 7 && p.addr[0] == 0, "v6 /0 host 7");
}

static void test_names(void)
{
	char n255[257], n16[17];
	struct nsnet_err err = { 0 };
	static const char *const ns_ok[] = { "a", "...", ".a", "a.", "a b", "a:b", "-x", "\x01",
					     "red", "\xff\xfe", " ", "a\nb" };
	static const char *const ns_bad[] = { "", ".", "..", "/", "a/b", "/a", "a/" };
	static const char *const if_ok[] = { "eth0", "a", "...", ".a", "v-net-0", "a%d",
					     "0123456789abcde", "a-b_c.d@e" };
	static const char *const if_bad[] = { "", ".", "..", "a/b", "a:b", ":", "a b", " ", "a\tb",
					      "a\nb", "a\vb", "a\fb", "a\rb", "0123456789abcdef",
					      "a\xa0" "b" };
	size_t i;

	for (i = 0; i < sizeof(ns_ok) / sizeof(ns_ok[0]); i++)
		CHECK(nsnet_netns_name_check(ns_ok[i], &err) == 0, "netns name accepted: #%zu", i);
	for (i = 0; i < sizeof(ns_bad) / sizeof(ns_bad[0]); i++) {
		nsnet_err_clear(&err);
		CHECK(nsnet_netns_name_check(ns_bad[i], &err) == -EINVAL && err.msg[0],
		      "netns name rejected: \"%s\"", ns_bad[i]);
	}
	CHECK(nsnet_netns_name_check(NULL, NULL) == -EINVAL, "netns name NULL rejected");
	memset(n255, 'a', sizeof(n255));
	n255[255] = '\0';
	CHECK(nsnet_netns_name_check(n255, NULL) == 0, "netns name of 255 bytes accepted");
	n255[255] = 'a';
	n255[256] = '\0';
	CHECK(nsnet_netns_name_check(n255, NULL) == -EINVAL, "netns name of 256 bytes rejected");

	for (i = 0; i < sizeof(if_ok) / sizeof(if_ok[0]); i++)
		CHECK(nsnet_ifname_check(if_ok[i], NULL) == 0, "ifname accepted: \"%s\"", if_ok[i]);
	for (i = 0; i < sizeof(if_bad) / sizeof(if_bad[0]); i++)
		CHECK(nsnet_ifname_check(if_bad[i], NULL) == -EINVAL, "ifname rejected: #%zu", i);
	CHECK(nsnet_ifname_check(NULL, NULL) == -EINVAL, "ifname NULL rejected");
	memset(n16, 'x', sizeof(n16));
	n16[15] = '\0';
	CHECK(nsnet_ifname_check(n16, NULL) == 0 && strlen(n16) == IFNAMSIZ - 1,
	      "ifname of 15 bytes accepted");
	n16[15] = 'x';
	n16[16] = '\0';
	nsnet_err_clear(&err);
	CHECK(nsnet_ifname_check(n16, &err) == -EINVAL && strstr(err.msg, "15"),
	      "ifname of 16 bytes rejected: %s", err.msg);
}

static void test_sysctl_mac(void)
{
	static const char *const ok[] = { "net.ipv4.ip_forward", "net/ipv4/ip_forward",
					  "net.ipv6.conf.all.forwarding", "net.ipv4.conf.v-net-0.rp_filter",
					  "net.ipv4.conf.eth0/100.forwarding" };
	static const char *const bad[] = { "", "..", "../x", "net..ipv4", "net/../../etc",
					   ".net", "/net", "net.ipv4 x", "net;ipv4", "net.ipv4*",
					   "net\n" };
	static const char *const mbad[] = { "", "aa:bb:cc:dd:ee", "aa:bb:cc:dd:ee:ff:00",
					    "aa-bb-cc-dd-ee-ff", "aa:bb:cc:dd:ee:fg", "a:bb:cc:dd:ee:fff",
					    " a:bb:cc:dd:ee:ff", "+a:bb:cc:dd:ee:ff", "-a:bb:cc:dd:ee:ff",
					    "aa:bb:cc:dd:ee:f ", "aabbccddeeff", "aa::bb:cc:dd:ee:ff",
					    "0x:bb:cc:dd:ee:ff" };
	char k[260];
	uint8_t mac[6];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		CHECK(nsnet_sysctl_check(ok[i], NULL) == 0, "sysctl key accepted: %s", ok[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(nsnet_sysctl_check(bad[i], NULL) == -EINVAL, "sysctl key rejected: #%zu", i);
	CHECK(nsnet_sysctl_check(NULL, NULL) == -EINVAL, "sysctl key NULL rejected");
	memset(k, 'a', sizeof(k));
	k[200] = '\0';
	CHECK(nsnet_sysctl_check(k, NULL) == 0, "sysctl key of 200 bytes accepted");
	k[200] = 'a';
	k[201] = '\0';
	CHECK(nsnet_sysctl_check(k, NULL) == -EINVAL, "sysctl key of 201 bytes rejected");

	CHECK(nsnet_mac_parse("02:00:0a:BB:cc:ff", mac) == 0 && mac[0] == 2 && mac[2] == 0x0a &&
	      mac[3] == 0xbb && mac[5] == 0xff, "mac parse, mixed case");
	for (i = 0; i < sizeof(mbad) / sizeof(mbad[0]); i++)
		CHECK(nsnet_mac_parse(mbad[i], mac) == -EINVAL, "mac rejected: \"%s\"", mbad[i]);
}

/* nsnet-cni's shaping messages: tbf parameters, qdisc/filter layouts, qdisc parse */
static void test_shaping(void)
{
	struct nsnet_tbf t;
	struct nsnet_qdisc_info q;
	struct nlmsghdr *nlh;
	const struct nlattr *a, *o, *x;
	int found = 0;

	CHECK(nsnet_tbf_params(7, 800, &t) == -EINVAL && nsnet_tbf_params(800, 0, &t) == -EINVAL,
	      "tbf: rate and burst of at least 8 bits");
	CHECK(nsnet_tbf_params(40000000, 800000, &t) == 0 && t.rate == 5000000 && t.burst == 100000 &&
	      t.limit == 5000000 / 40 + 100000,
	      "tbf: 40 Mbit/s, 800 kbit: 5 MB/s, 100 kB, limit 25 ms of rate + burst");
	CHECK(nsnet_tbf_params(8, 34359738360ull, &t) == 0 && t.burst == UINT32_MAX &&
	      t.limit == UINT32_MAX, "tbf: huge burst at 1 byte/s capped");
	CHECK(nsnet_tbf_params(80000000000000ull, 80000, &t) == 0 && t.rate == 10000000000000ull,
	      "tbf: 80 Tbit/s kept in 64 bits");
	nlh = new_msg(0);
	nsnet_tc_msg_tbf(nlh, 7, t.rate, t.burst, t.limit);
	CHECK(nlh->nlmsg_type == RTM_NEWQDISC && (nlh->nlmsg_flags & NLM_F_CREATE), "tbf: NEWQDISC");
	CHECK(nsnet_tc_parse(nlh, &q) == 0 && q.ifindex == 7 && !strcmp(q.kind, "tbf") &&
	      q.parent == TC_H_ROOT && q.known && q.impair.rate == 80000000000000ull &&
	      q.tbf_limit == t.limit, "tbf with explicit parameters parses back (RATE64)");
	nlh = new_msg(0);
	nsnet_cni_msg_ingress(nlh, 9);
	CHECK(nsnet_tc_parse(nlh, &q) == 0 && !strcmp(q.kind, "ingress") &&
	      q.parent == TC_H_INGRESS && q.handle == 0xffff0000, "ingress qdisc ffff:");
	nlh = new_msg(0);
	nsnet_cni_msg_redirect(nlh, 9, 12);
	CHECK(nlh->nlmsg_type == RTM_NEWTFILTER &&
	      ((struct tcmsg *)mnl_nlmsg_get_payload(nlh))->tcm_info == TC_H_MAKE(1u << 16, htons(0x0003)),
	      "filter: priority 1, protocol all");
	mnl_attr_for_each(a, nlh, sizeof(struct tcmsg)) {
		if (mnl_attr_get_type(a) != TCA_OPTIONS)
			continue;
		mnl_attr_for_each_nested(o, a) {
			if (mnl_attr_get_type(o) == TCA_U32_SEL) {
				const struct tc_u32_sel *sel = mnl_attr_get_payload(o);

				found += sel->nkeys == 1 && sel->keys[0].mask == 0 &&
					 (sel->flags & TC_U32_TERMINAL);
			}
			if (mnl_attr_get_type(o) != TCA_U32_ACT)
				continue;
			mnl_attr_for_each_nested(x, o) {
				const struct nlattr *y, *z;

				mnl_attr_for_each_nested(y, x) {
					if (mnl_attr_get_type(y) == TCA_ACT_KIND)
						found += !strcmp(mnl_attr_get_str(y), "mirred");
					if (mnl_attr_get_type(y) != TCA_ACT_OPTIONS)
						continue;
					mnl_attr_for_each_nested(z, y) {
						const struct tc_mirred *m = mnl_attr_get_payload(z);

						found += mnl_attr_get_type(z) == TCA_MIRRED_PARMS &&
							 m->eaction == TCA_EGRESS_REDIR && m->ifindex == 12 &&
							 m->action == TC_ACT_STOLEN;
					}
				}
			}
		}
	}
	CHECK(found == 3, "filter: u32 match-all, mirred egress redirect to #12, stolen");
}

int main(void)
{
	test_shaping();
	test_veth();
	test_kinds();
	test_addr();
	test_route_msg();
	test_route_text();
	test_ack();
	test_parsers_bounds();
	test_prefix();
	test_names();
	test_sysctl_mac();
	return CHECK_DONE();
}
