// SPDX-License-Identifier: MIT
/*
 * nsnet events, the pure part: hand-built rtnetlink notifications → decoded
 * events → per-namespace tracker → text and JSON lines. No privileges.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "nsnet/events.h"
#include "check.h"

static char buf[8192] __attribute__((aligned(8)));

static struct nlmsghdr *msg_new(uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	return nlh;
}

static struct nlmsghdr *link_msg(uint16_t type, int family, int ifindex, const char *name,
				 unsigned flags, int operstate, const char *kind)
{
	struct nlmsghdr *nlh = msg_new(type, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = (unsigned char)family;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = flags;
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
	mnl_attr_put_u8(nlh, IFLA_OPERSTATE, (uint8_t)operstate);
	mnl_attr_put_u32(nlh, IFLA_GROUP, 0);
	if (kind) {
		struct nlattr *li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);

		mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
		mnl_attr_nest_end(nlh, li);
	}
	return nlh;
}

static struct nlmsghdr *addr_msg(uint16_t type, int family, int ifindex, const char *addr,
				 int plen)
{
	struct nlmsghdr *nlh = msg_new(type, 0);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	uint8_t a[16];

	ifa->ifa_family = (unsigned char)family;
	ifa->ifa_index = (unsigned)ifindex;
	ifa->ifa_prefixlen = (unsigned char)plen;
	inet_pton(family, addr, a);
	mnl_attr_put(nlh, IFA_ADDRESS, family == AF_INET ? 4 : 16, a);
	if (family == AF_INET)
		mnl_attr_put(nlh, IFA_LOCAL, 4, a);
	return nlh;
}

static struct nlmsghdr *route_msg(uint16_t type, uint16_t flags, const char *dst, int plen,
				  const char *gw, int oif, int table, int rtype, int proto,
				  unsigned rflags)
{
	struct nlmsghdr *nlh = msg_new(type, flags);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	uint8_t a[4];

	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = (unsigned char)plen;
	rtm->rtm_table = table < 256 ? (unsigned char)table : RT_TABLE_UNSPEC;
	rtm->rtm_type = (unsigned char)rtype;
	rtm->rtm_protocol = (unsigned char)proto;
	rtm->rtm_flags = rflags;
	mnl_attr_put_u32(nlh, RTA_TABLE, (uint32_t)table);
	if (plen) {
		inet_pton(AF_INET, dst, a);
		mnl_attr_put(nlh, RTA_DST, 4, a);
	}
	if (gw) {
		inet_pton(AF_INET, gw, a);
		mnl_attr_put(nlh, RTA_GATEWAY, 4, a);
	}
	if (oif)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)oif);
	return nlh;
}

static struct nlmsghdr *qdisc_msg(uint16_t type, int ifindex, uint32_t handle, uint32_t parent,
				  const char *kind)
{
	struct nlmsghdr *nlh = msg_new(type, 0);
	struct tcmsg *tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));

	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_handle = handle;
	tcm->tcm_parent = parent;
	mnl_attr_put_strz(nlh, TCA_KIND, kind);
	return nlh;
}

/* netem as the kernel dumps it: TCA_OPTIONS = tc_netem_qopt, then attributes. */
static struct nlmsghdr *netem_msg(int ifindex, uint64_t delay_ns, uint64_t jitter_ns,
				  double loss_pct, uint64_t rate)
{
	struct nlmsghdr *nlh = qdisc_msg(RTM_NEWQDISC, ifindex, 0x80010000, TC_H_ROOT, "netem");
	struct tc_netem_qopt q = { 0 };
	struct tc_netem_rate r = { 0 };
	struct nlattr *o = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	char *p;

	q.latency = (uint32_t)(delay_ns >> 6);
	q.jitter = (uint32_t)(jitter_ns >> 6);
	q.limit = 1000;
	q.loss = (uint32_t)(loss_pct / 100.0 * 4294967295.0);
	/* a raw struct inside the nest (not an attribute): write it by hand */
	p = mnl_nlmsg_get_payload_tail(nlh);
	memcpy(p, &q, sizeof(q));
	nlh->nlmsg_len += MNL_ALIGN(sizeof(q));
	r.rate = (uint32_t)rate;
	mnl_attr_put(nlh, TCA_NETEM_RATE, sizeof(r), &r);
	mnl_attr_put_u64(nlh, TCA_NETEM_LATENCY64, delay_ns);
	mnl_attr_put_u64(nlh, TCA_NETEM_JITTER64, jitter_ns);
	mnl_attr_nest_end(nlh, o);
	return nlh;
}

static int decode(struct nsnet_event *ev)
{
	const struct nlmsghdr *nlh = (const void *)buf;

	return nsnet_event_decode(nlh, nlh->nlmsg_len, ev);
}

/* Decode the message in buf and feed it: the number of reported events. */
static int feed(struct nsnet_ev_track *t, int mode, struct nsnet_event out[2])
{
	struct nsnet_event ev;

	if (decode(&ev) != 1)
		return -1;
	return nsnet_ev_track_apply(t, &ev, mode, out);
}

static const char *text(struct nsnet_event *ev, const char *node)
{
	static char line[512];

	ev->node = node;
	ev->lab = "seed";
	ev->time.tv_sec = 3600 * 15 + 60 * 2 + 11;
	ev->time.tv_nsec = 123000000;
	nsnet_event_format(ev, 0, line, sizeof(line));
	return line;
}

static json_t *json(struct nsnet_event *ev, const char *node)
{
	char line[1024];
	json_error_t e;

	ev->node = node;
	ev->lab = "seed";
	ev->time.tv_sec = 1700000000;
	ev->time.tv_nsec = 5000;
	nsnet_event_format(ev, 1, line, sizeof(line));
	return json_loads(line, 0, &e);
}

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "(none)";
}

#define UPF (IFF_UP | IFF_RUNNING | IFF_LOWER_UP)

static void test_links(void)
{
	struct nsnet_ev_track *t = nsnet_ev_track_new();
	struct nsnet_event ev, out[2];
	const char *name;
	json_t *j;
	int n;

	/* the first dump: remembered, nothing reported */
	nsnet_ev_track_begin(t);
	link_msg(RTM_NEWLINK, AF_UNSPEC, 2, "eth0", UPF, IF_OPER_UP, "veth");
	CHECK(feed(t, NSNET_EVT_DUMP | NSNET_EVT_QUIET, out) == 0, "link: quiet dump reports nothing");
	link_msg(RTM_NEWLINK, AF_UNSPEC, 1, "lo", UPF, IF_OPER_UNKNOWN, NULL);
	CHECK(feed(t, NSNET_EVT_DUMP | NSNET_EVT_QUIET, out) == 0, "link: lo remembered");
	nsnet_ev_track_sweep(t, 1, NULL, NULL);
	CHECK(nsnet_ev_track_link(t, 2, &name) && !strcmp(name, "eth0"), "link: eth0 known as 2");

	/* ip link set eth0 down */
	link_msg(RTM_NEWLINK, AF_UNSPEC, 2, "eth0", 0, IF_OPER_DOWN, "veth");
	n = feed(t, 0, out);
	CHECK(n == 1 && out[0].type == NSNET_EV_LINK && out[0].action == NSNET_EV_CHANGE &&
	      !out[0].link.up && out[0].link.reason == NSNET_LINK_ADMIN, "link: admin down → 1 event");
	CHECK(n == 1 && !strcmp(text(&out[0], "red"), "15:02:11.123 red:eth0 link down (admin down)"),
	      "link: text \"%s\"", text(&out[0], "red"));
	j = json(&out[0], "red");
	CHECK(j && !strcmp(jstr(j, "event"), "link") && !strcmp(jstr(j, "action"), "change") &&
	      !strcmp(jstr(j, "state"), "down") && !strcmp(jstr(j, "admin"), "down") &&
	      !strcmp(jstr(j, "node"), "red") && !strcmp(jstr(j, "ifname"), "eth0") &&
	      !strcmp(jstr(j, "lab"), "seed") && !strcmp(jstr(j, "reason"), "admin down") &&
	      json_is_false(json_object_get(j, "carrier")) &&
	      json_integer_value(json_object_get(j, "ifindex")) == 2 &&
	      json_real_value(json_object_get(j, "ts")) > 1699999999.9,
	      "link: JSON keys and values");
	json_decref(j);
	/* the same state again (e.g. an MTU change): nothing */
	CHECK(feed(t, 0, out) == 0, "link: unchanged state → no event");

	/* ip link set eth0 up: first up+carrier without RUNNING (linkwatch pending), then RUNNING */
	link_msg(RTM_NEWLINK, AF_UNSPEC, 2, "eth0", IFF_UP | IFF_LOWER_UP, IF_OPER_DOWN, "veth");
	CHECK(feed(t, 0, out) == 0, "link: pending oper state is not reported");
	link_msg(RTM_NEWLINK, AF_UNSPEC, 2, "eth0", UPF, IF_OPER_UP, "veth");
	n = feed(t, 0, out);
	CHECK(n == 1 && out[0].link.up && !strcmp(text(&out[0], "red"), "15:02:11.123 red:eth0 link up"),
	      "link: then one \"link up\"");

	/* carrier lost (the peer went down) */
	link_msg(RTM_NEWLINK, AF_UNSPEC, 2, "eth0", IFF_UP, IF_OPER_LOWERLAYERDOWN, "veth");
	n = feed(t, 0, out);
	CHECK(n == 1 && !strcmp(text(&out[0], "h"), "15:02:11.123 h:eth0 link down (no carrier)"),
	      "link: carrier loss → \"%s\"", n == 1 ? text(&out[0], "h") : "");
	/* admin down while without carrier: still down, another reason: reported */
	link_msg(RTM_NEWLINK, AF_UNSPEC, 2, "eth0", 0, IF_OPER_DOWN, "veth");
	CHECK(feed(t, 0, out) == 1 && out[0].link.reason == NSNET_LINK_ADMIN,
	      "link: admin change while down is reported");

	/* bridge port messages (AF_BRIDGE) are not link events */
	link_msg(RTM_DELLINK, AF_BRIDGE, 2, "eth0", 0, IF_OPER_DOWN, NULL);
	CHECK(decode(&ev) == 0, "link: AF_BRIDGE ignored");

	/* rename (+ state change in the same message) */
	link_msg(RTM_NEWLINK, AF_UNSPEC, 2, "wan0", UPF, IF_OPER_UP, "veth");
	n = feed(t, 0, out);
	CHECK(n == 2 && out[0].action == NSNET_EV_RENAME && !strcmp(out[0].link.old_name, "eth0") &&
	      out[1].action == NSNET_EV_CHANGE && out[1].link.up, "link: rename + up → 2 events");
	CHECK(n >= 1 && !strcmp(text(&out[0], "red"), "15:02:11.123 red:wan0 link rename (was eth0)"),
	      "link: rename text");

	/* new link, then its deletion (name from memory when the message lacks it) */
	link_msg(RTM_NEWLINK, AF_UNSPEC, 7, "eth1", 0, IF_OPER_DOWN, "veth");
	n = feed(t, 0, out);
	CHECK(n == 1 && out[0].action == NSNET_EV_ADD &&
	      !strcmp(text(&out[0], "red"), "15:02:11.123 red:eth1 link add veth down (admin down)"),
	      "link: add \"%s\"", n == 1 ? text(&out[0], "red") : "");
	link_msg(RTM_DELLINK, AF_UNSPEC, 7, NULL, 0, IF_OPER_DOWN, NULL);
	n = feed(t, 0, out);
	CHECK(n == 1 && out[0].action == NSNET_EV_DEL && !strcmp(out[0].ifname, "eth1") &&
	      !strcmp(text(&out[0], "red"), "15:02:11.123 red:eth1 link del"), "link: del with name");
	CHECK(!nsnet_ev_track_link(t, 7, NULL), "link: forgotten after del");

	/* before the first dump is complete, a link not known yet is remembered silently */
	link_msg(RTM_NEWLINK, AF_UNSPEC, 9, "eth9", UPF, IF_OPER_UP, "veth");
	CHECK(feed(t, NSNET_EVT_QUIET_NEW, out) == 0, "link: QUIET_NEW: unknown link silent");
	link_msg(RTM_NEWLINK, AF_UNSPEC, 9, "eth9", 0, IF_OPER_DOWN, "veth");
	CHECK(feed(t, NSNET_EVT_QUIET_NEW, out) == 1, "link: QUIET_NEW: known link changes reported");
	nsnet_ev_track_free(t);
}

static void collect(const struct nsnet_event *ev, void *arg)
{
	char *s = arg;
	struct nsnet_event e = *ev;

	strcat(s, text(&e, "n") + 13);
	strcat(s, ";");
}

static void test_addrs_resync(void)
{
	struct nsnet_ev_track *t = nsnet_ev_track_new();
	struct nsnet_event out[2];
	char swept[2048] = "";
	json_t *j;
	int n;

	link_msg(RTM_NEWLINK, AF_UNSPEC, 2, "eth0", UPF, IF_OPER_UP, "veth");
	feed(t, NSNET_EVT_QUIET, out);
	addr_msg(RTM_NEWADDR, AF_INET, 2, "192.168.15.2", 24);
	n = feed(t, 0, out);
	CHECK(n == 1 && !strcmp(text(&out[0], "blue"), "15:02:11.123 blue:eth0 addr add 192.168.15.2/24"),
	      "addr: add \"%s\"", n == 1 ? text(&out[0], "blue") : "");
	j = json(&out[0], "blue");
	CHECK(j && !strcmp(jstr(j, "event"), "addr") && !strcmp(jstr(j, "address"), "192.168.15.2/24") &&
	      !strcmp(jstr(j, "family"), "inet") && !strcmp(jstr(j, "ifname"), "eth0") &&
	      !strcmp(jstr(j, "scope"), "global"), "addr: JSON");
	json_decref(j);
	CHECK(feed(t, 0, out) == 0, "addr: the same address again → nothing");
	/* IPv6: NEWADDR on add and again when DAD completes: one event */
	addr_msg(RTM_NEWADDR, AF_INET6, 2, "fd00::2", 64);
	CHECK(feed(t, 0, out) == 1, "addr6: add");
	CHECK(feed(t, 0, out) == 0, "addr6: flags update → nothing");
	addr_msg(RTM_DELADDR, AF_INET, 2, "192.168.15.2", 24);
	n = feed(t, 0, out);
	CHECK(n == 1 && !strcmp(text(&out[0], "blue"), "15:02:11.123 blue:eth0 addr del 192.168.15.2/24"),
	      "addr: del");
	addr_msg(RTM_NEWADDR, AF_INET, 2, "10.1.1.1", 8);
	feed(t, 0, out);

	/* overrun → resync: the dump shows eth0 down, 10.1.1.1 gone, 10.2.2.2 new, eth5 new */
	nsnet_ev_track_begin(t);
	link_msg(RTM_NEWLINK, AF_UNSPEC, 2, "eth0", 0, IF_OPER_DOWN, "veth");
	CHECK(feed(t, NSNET_EVT_DUMP, out) == 1 && !out[0].link.up, "resync: state difference reported");
	link_msg(RTM_NEWLINK, AF_UNSPEC, 5, "eth5", 0, IF_OPER_DOWN, "dummy");
	CHECK(feed(t, NSNET_EVT_DUMP, out) == 1 && out[0].action == NSNET_EV_ADD, "resync: new link reported");
	addr_msg(RTM_NEWADDR, AF_INET6, 2, "fd00::2", 64);
	CHECK(feed(t, NSNET_EVT_DUMP, out) == 0, "resync: known address silent");
	addr_msg(RTM_NEWADDR, AF_INET, 5, "10.2.2.2", 24);
	CHECK(feed(t, NSNET_EVT_DUMP, out) == 1, "resync: new address reported");
	nsnet_ev_track_sweep(t, 0, collect, swept);
	CHECK(!strcmp(swept, "n:eth0 addr del 10.1.1.1/8;"), "resync: sweep reports what is gone: \"%s\"",
	      swept);

	/* link deletion forgets its addresses */
	link_msg(RTM_DELLINK, AF_UNSPEC, 5, "eth5", 0, IF_OPER_DOWN, NULL);
	feed(t, 0, out);
	nsnet_ev_track_begin(t);
	swept[0] = '\0';
	nsnet_ev_track_sweep(t, 0, collect, swept);
	CHECK(strstr(swept, "10.2.2.2") == NULL && strstr(swept, "n:eth0 link del;") &&
	      strstr(swept, "n:eth0 addr del fd00::2/64;"),
	      "sweep after an empty dump: everything left, nothing of the deleted link: \"%s\"", swept);
	nsnet_ev_track_free(t);
}

static void test_routes(void)
{
	struct nsnet_ev_track *t = nsnet_ev_track_new();
	struct nsnet_event ev, out[2];
	json_t *j;
	int n;

	link_msg(RTM_NEWLINK, AF_UNSPEC, 2, "eth0", UPF, IF_OPER_UP, "veth");
	feed(t, NSNET_EVT_QUIET, out);
	route_msg(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, "10.0.0.0", 24, "192.168.15.5", 2,
		  RT_TABLE_MAIN, RTN_UNICAST, RTPROT_BOOT, 0);
	n = feed(t, 0, out);
	CHECK(n == 1 && !strcmp(text(&out[0], "red"),
				"15:02:11.123 red route add 10.0.0.0/24 via 192.168.15.5 dev eth0"),
	      "route: add \"%s\"", n == 1 ? text(&out[0], "red") : "");
	j = json(&out[0], "red");
	CHECK(j && !strcmp(jstr(j, "event"), "route") && !strcmp(jstr(j, "dst"), "10.0.0.0/24") &&
	      !strcmp(jstr(j, "gateway"), "192.168.15.5") && !strcmp(jstr(j, "dev"), "eth0") &&
	      json_integer_value(json_object_get(j, "table")) == 254 &&
	      !strcmp(jstr(j, "proto"), "boot") && !json_object_get(j, "ifname"), "route: JSON");
	json_decref(j);
	route_msg(RTM_NEWROUTE, NLM_F_REPLACE, "10.0.0.0", 24, "192.168.15.4", 2, RT_TABLE_MAIN,
		  RTN_UNICAST, RTPROT_BOOT, 0);
	CHECK(feed(t, 0, out) == 1 && out[0].action == NSNET_EV_CHANGE, "route: replace → change");
	route_msg(RTM_DELROUTE, 0, NULL, 0, "192.168.15.5", 2, RT_TABLE_MAIN, RTN_UNICAST,
		  RTPROT_BOOT, 0);
	n = feed(t, 0, out);
	CHECK(n == 1 && !strcmp(text(&out[0], "red"),
				"15:02:11.123 red route del default via 192.168.15.5 dev eth0"),
	      "route: del default");
	route_msg(RTM_NEWROUTE, 0, "192.168.15.0", 24, NULL, 2, RT_TABLE_MAIN, RTN_UNICAST,
		  RTPROT_KERNEL, 0);
	n = feed(t, 0, out);
	CHECK(n == 1 && !strcmp(text(&out[0], "red"),
				"15:02:11.123 red route add 192.168.15.0/24 dev eth0 proto kernel"),
	      "route: kernel route marked");
	route_msg(RTM_NEWROUTE, 0, "10.9.0.0", 16, NULL, 0, 100, RTN_BLACKHOLE, RTPROT_STATIC, 0);
	n = feed(t, 0, out);
	CHECK(n == 1 && !strcmp(text(&out[0], "red"),
				"15:02:11.123 red route add blackhole 10.9.0.0/16 table 100 proto static"),
	      "route: type and table \"%s\"", n == 1 ? text(&out[0], "red") : "");
	route_msg(RTM_NEWROUTE, 0, "192.168.15.1", 32, NULL, 2, RT_TABLE_LOCAL, RTN_LOCAL,
		  RTPROT_KERNEL, 0);
	CHECK(decode(&ev) == 0, "route: local table ignored");
	route_msg(RTM_NEWROUTE, 0, "10.0.0.0", 8, NULL, 2, 1000, RTN_LOCAL, RTPROT_KERNEL, 0);
	CHECK(decode(&ev) == 0, "route: type local ignored");
	route_msg(RTM_NEWROUTE, 0, "10.0.0.1", 32, NULL, 2, RT_TABLE_MAIN, RTN_UNICAST,
		  RTPROT_KERNEL, RTM_F_CLONED);
	CHECK(decode(&ev) == 0, "route: cached route ignored");
	nsnet_ev_track_free(t);
}

static void test_qdiscs(void)
{
	struct nsnet_ev_track *t = nsnet_ev_track_new();
	struct nsnet_event ev, out[2];
	const char *s;
	json_t *j;
	int n;

	link_msg(RTM_NEWLINK, AF_UNSPEC, 2, "eth0", UPF, IF_OPER_UP, "veth");
	feed(t, NSNET_EVT_QUIET, out);
	/* the default qdisc (handle 0): never reported */
	qdisc_msg(RTM_NEWQDISC, 2, 0, TC_H_ROOT, "noqueue");
	CHECK(feed(t, 0, out) == 0, "qdisc: default silent");

	netem_msg(2, 10000000, 1000000, 1.0, 125000);
	CHECK(decode(&ev) == 1 && ev.qdisc.delay_ns == 10000000 && ev.qdisc.jitter_ns == 1000000 &&
	      ev.qdisc.rate == 125000 && ev.qdisc.limit == 1000 && ev.qdisc.has_loss,
	      "netem: delay, jitter, rate, limit, loss decoded");
	n = feed(t, 0, out);
	s = n == 1 ? text(&out[0], "red") : "";
	CHECK(n == 1 && out[0].action == NSNET_EV_ADD &&
	      !strcmp(s, "15:02:11.123 red:eth0 qdisc add netem root handle 8001: delay 10ms 1ms "
			 "loss 1% rate 1Mbit"), "netem: add \"%s\"", s);
	j = n == 1 ? json(&out[0], "red") : NULL;
	CHECK(j && !strcmp(jstr(j, "kind"), "netem") && !strcmp(jstr(j, "handle"), "8001:") &&
	      !strcmp(jstr(j, "parent"), "root") &&
	      json_integer_value(json_object_get(j, "delay_us")) == 10000 &&
	      json_integer_value(json_object_get(j, "jitter_us")) == 1000 &&
	      json_integer_value(json_object_get(j, "rate_bps")) == 1000000 &&
	      json_number_value(json_object_get(j, "loss_pct")) == 1.0, "netem: JSON");
	json_decref(j);
	netem_msg(2, 20000000, 0, 0, 0);
	n = feed(t, 0, out);
	s = n == 1 ? text(&out[0], "red") : "";
	CHECK(n == 1 && out[0].action == NSNET_EV_CHANGE &&
	      !strcmp(s, "15:02:11.123 red:eth0 qdisc change netem root handle 8001: delay 20ms"),
	      "netem: change \"%s\"", s);
	/* a dump showing it again is no change */
	CHECK(feed(t, NSNET_EVT_DUMP, out) == 0, "qdisc: known in a dump → nothing");
	qdisc_msg(RTM_DELQDISC, 2, 0x80010000, TC_H_ROOT, "netem");
	n = feed(t, 0, out);
	CHECK(n == 1 && !strcmp(text(&out[0], "red"),
				"15:02:11.123 red:eth0 qdisc del netem root handle 8001:"), "qdisc: del");

	/* tbf: rate from TCA_TBF_PARMS, TCA_TBF_RATE64 wins */
	{
		struct nlmsghdr *nlh = qdisc_msg(RTM_NEWQDISC, 2, 0x10000, 0x20003, "tbf");
		struct nlattr *o = mnl_attr_nest_start(nlh, TCA_OPTIONS);
		struct tc_tbf_qopt q = { 0 };

		q.rate.rate = 125000;
		mnl_attr_put(nlh, TCA_TBF_PARMS, sizeof(q), &q);
		mnl_attr_put_u64(nlh, TCA_TBF_RATE64, 10000000000ull / 8);
		mnl_attr_nest_end(nlh, o);
		n = feed(t, 0, out);
		s = n == 1 ? text(&out[0], "red") : "";
		CHECK(n == 1 && !strcmp(s, "15:02:11.123 red:eth0 qdisc add tbf parent 2:3 handle 1: "
					   "rate 10Gbit"), "tbf: \"%s\"", s);
	}
	nsnet_ev_track_free(t);
}

static void test_bad(void)
{
	struct nsnet_event ev;
	struct nlmsghdr *nlh;

	link_msg(RTM_NEWLINK, AF_UNSPEC, 2, "eth0", UPF, IF_OPER_UP, "veth");
	nlh = (void *)buf;
	CHECK(nsnet_event_decode(nlh, nlh->nlmsg_len - 1, &ev) == -EBADMSG,
	      "bad: nlmsg_len beyond the bytes received");
	nlh = msg_new(RTM_NEWLINK, 0);
	CHECK(decode(&ev) == -EBADMSG, "bad: link without ifinfomsg");
	nlh = msg_new(RTM_NEWADDR, 0);
	mnl_nlmsg_put_extra_header(nlh, 4);
	CHECK(decode(&ev) == -EBADMSG, "bad: short ifaddrmsg");
	route_msg(RTM_NEWROUTE, 0, "10.0.0.0", 24, NULL, 2, RT_TABLE_MAIN, RTN_UNICAST, 3, 0);
	((struct rtmsg *)mnl_nlmsg_get_payload((void *)buf))->rtm_dst_len = 99;
	CHECK(decode(&ev) == -EBADMSG, "bad: IPv4 prefix length 99");
	nlh = netem_msg(2, 1, 1, 1, 1);
	/* netem options shorter than tc_netem_qopt: kind only */
	{
		struct nlmsghdr *m = qdisc_msg(RTM_NEWQDISC, 2, 0x80010000, TC_H_ROOT, "netem");
		struct nlattr *o = mnl_attr_nest_start(m, TCA_OPTIONS);

		mnl_attr_put_u32(m, 1, 7);
		mnl_attr_nest_end(m, o);
		CHECK(decode(&ev) == 1 && !ev.qdisc.has_delay && !ev.qdisc.has_rate,
		      "bad: short netem options ignored");
	}
	nlh = msg_new(NLMSG_DONE, 0);
	CHECK(decode(&ev) == 0, "other types: not events");
	(void)nlh;
}

static void test_lab_lines(void)
{
	struct nsnet_event ev;
	char line[256];

	memset(&ev, 0, sizeof(ev));
	ev.type = NSNET_EV_NODE;
	ev.action = NSNET_EV_ADD;
	CHECK(!strcmp(text(&ev, "green"), "15:02:11.123 node green added"), "node added text");
	ev.action = NSNET_EV_DEL;
	CHECK(!strcmp(text(&ev, "green"), "15:02:11.123 node green removed"), "node removed text");
	ev.type = NSNET_EV_LAB;
	ev.action = NSNET_EV_DOWN;
	CHECK(!strcmp(text(&ev, NULL), "15:02:11.123 lab seed down"), "lab down text");
	ev.action = NSNET_EV_READY;
	ev.count = 4;
	CHECK(!strcmp(text(&ev, NULL), "15:02:11.123 lab seed ready (4 nodes)"), "lab ready text");
	ev.type = NSNET_EV_OVERRUN;
	ev.action = 0;
	CHECK(!strcmp(text(&ev, "host"), "15:02:11.123 host overrun: notifications lost, resynced"),
	      "overrun text");
	/* JSON escapes what names could hold; truncation behaves like snprintf */
	ev.type = NSNET_EV_NODE;
	ev.action = NSNET_EV_ADD;
	ev.node = "a\"b\\c\x01";
	ev.lab = "x";
	CHECK(nsnet_event_format(&ev, 1, line, sizeof(line)) > 0 && strstr(line, "\"node\":\"a\\\"b\\\\c\\u0001\""),
	      "JSON escapes: %s", line);
	CHECK(nsnet_event_format(&ev, 1, line, 10) > 10 && strlen(line) == 9, "truncation");
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	test_links();
	test_addrs_resync();
	test_routes();
	test_qdiscs();
	test_bad();
	test_lab_lines();
	return CHECK_DONE();
}
