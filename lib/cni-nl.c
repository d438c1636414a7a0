// SPDX-License-Identifier: MIT
/*
 * Netlink primitives for nsnet-cni: IFF_PROMISC, ARP behaviour, traffic
 * shaping (tbf, ingress qdisc, u32 + mirred redirect: the layouts of the
 * kernel's sch_tbf.c, sch_ingress.c, cls_u32.c, act_mirred.c), conntrack
 * flush by port.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/tc_act/tc_mirred.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/rtnetlink.h>

#include "nsnet/cni.h"
#include "nsnet/tc.h"

void nsnet_cni_link_promisc(struct nsnet_nl *nl, int ifindex, int on)
{
	struct nlmsghdr *nlh = nsnet_nl_req(nl, RTM_NEWLINK, 0, NULL, NULL, "set promisc on #%d",
					    ifindex);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = on ? IFF_PROMISC : 0;
	ifi->ifi_change = IFF_PROMISC;
}

void nsnet_cni_link_arp_strict(struct nsnet_nl *nl, int ifindex)
{
	struct nlmsghdr *nlh = nsnet_nl_req(nl, RTM_NEWLINK, 0, NULL, NULL,
					    "set arp_ignore/arp_announce on #%d", ifindex);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct nlattr *spec, *inet, *conf;

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	inet = mnl_attr_nest_start(nlh, AF_INET);
	conf = mnl_attr_nest_start(nlh, IFLA_INET_CONF);
	mnl_attr_put_u32(nlh, IPV4_DEVCONF_ARP_IGNORE, 1);
	mnl_attr_put_u32(nlh, IPV4_DEVCONF_ARP_ANNOUNCE, 2);
	mnl_attr_nest_end(nlh, conf);
	mnl_attr_nest_end(nlh, inet);
	mnl_attr_nest_end(nlh, spec);
}

/* ---- traffic shaping ------------------------------------------------------ */

#define TBF_LATENCY_MS	25		/* the reference bandwidth plugin's */

static uint32_t cap32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

int nsnet_tbf_params(uint64_t rate_bits, uint64_t burst_bits, struct nsnet_tbf *t)
{
	memset(t, 0, sizeof(*t));
	if (rate_bits < 8 || burst_bits < 8)
		return -EINVAL;
	t->rate = rate_bits / 8;
	t->burst = cap32(burst_bits / 8);
	t->limit = cap32((uint64_t)((unsigned __int128)t->rate * TBF_LATENCY_MS / 1000) + t->burst);
	return 0;
}

static struct tcmsg *put_tc(struct nlmsghdr *nlh, int ifindex, uint32_t handle, uint32_t parent)
{
	struct tcmsg *t = mnl_nlmsg_put_extra_header(nlh, sizeof(*t));

	t->tcm_family = AF_UNSPEC;
	t->tcm_ifindex = ifindex;
	t->tcm_handle = handle;
	t->tcm_parent = parent;
	return t;
}

void nsnet_cni_msg_ingress(struct nlmsghdr *nlh, int ifindex)
{
	nlh->nlmsg_type = RTM_NEWQDISC;
	nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	put_tc(nlh, ifindex, TC_H_MAKE(TC_H_INGRESS, 0), TC_H_INGRESS);
	mnl_attr_put_strz(nlh, TCA_KIND, "ingress");
}

void nsnet_cni_msg_redirect(struct nlmsghdr *nlh, int ifindex, int to_ifindex)
{
	struct {
		struct tc_u32_sel sel;
		struct tc_u32_key key;
	} s;
	struct tc_mirred m;
	struct nlattr *opt, *acts, *act, *aopt;

	nlh->nlmsg_type = RTM_NEWTFILTER;
	nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	/* priority 1, every protocol, on the ingress qdisc ffff: */
	put_tc(nlh, ifindex, 0, TC_H_MAKE(TC_H_INGRESS, 0))->tcm_info =
		TC_H_MAKE(1u << 16, htons(ETH_P_ALL));
	mnl_attr_put_strz(nlh, TCA_KIND, "u32");
	opt = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	/* one key of mask 0 matches every packet ("match u32 0 0") */
	memset(&s, 0, sizeof(s));
	s.sel.flags = TC_U32_TERMINAL;
	s.sel.nkeys = 1;
	mnl_attr_put(nlh, TCA_U32_SEL, sizeof(s), &s);
	acts = mnl_attr_nest_start(nlh, TCA_U32_ACT);
	act = mnl_attr_nest_start(nlh, 1);
	mnl_attr_put_strz(nlh, TCA_ACT_KIND, "mirred");
	aopt = mnl_attr_nest_start(nlh, TCA_ACT_OPTIONS);
	memset(&m, 0, sizeof(m));
	m.action = TC_ACT_STOLEN;
	m.eaction = TCA_EGRESS_REDIR;
	m.ifindex = (uint32_t)to_ifindex;
	mnl_attr_put(nlh, TCA_MIRRED_PARMS, sizeof(m), &m);
	mnl_attr_nest_end(nlh, aopt);
	mnl_attr_nest_end(nlh, act);
	mnl_attr_nest_end(nlh, acts);
	mnl_attr_nest_end(nlh, opt);
}

void nsnet_cni_tbf(struct nsnet_nl *nl, int ifindex, const char *ifname, const struct nsnet_tbf *t)
{
	nsnet_tc_msg_tbf(nsnet_nl_req(nl, RTM_NEWQDISC, 0, NULL, NULL,
				      "add tbf qdisc (rate %llu bytes/s, burst %u bytes) to %s",
				      (unsigned long long)t->rate, t->burst, ifname),
			 ifindex, t->rate, t->burst, t->limit);
}

void nsnet_cni_redirect(struct nsnet_nl *nl, int ifindex, const char *ifname, int to_ifindex)
{
	nsnet_cni_msg_ingress(nsnet_nl_req(nl, RTM_NEWQDISC, 0, NULL, NULL,
					   "add ingress qdisc to %s", ifname),
			      ifindex);
	nsnet_cni_msg_redirect(nsnet_nl_req(nl, RTM_NEWTFILTER, 0, NULL, NULL,
					    "add u32 filter redirecting %s to #%d", ifname,
					    to_ifindex),
			       ifindex, to_ifindex);
}

/* ---- conntrack ------------------------------------------------------------- */

struct tuple {
	uint8_t family;
	uint16_t len;
	char data[256];		/* the CTA_TUPLE_ORIG attribute, verbatim */
};

struct ct_ctx {
	uint8_t proto;
	uint16_t port;		/* network order */
	uint8_t family;
	struct tuple *v;
	size_t n, cap;
	int oom;
};

/* 1 if the CTA_TUPLE_ORIG nest @t has protocol and destination port we look for. */
static int tuple_matches(const struct nlattr *t, const struct ct_ctx *c)
{
	const struct nlattr *a, *p;
	int proto_ok = 0, port_ok = 0;

	mnl_attr_for_each_nested(a, t) {
		if (mnl_attr_get_type(a) != CTA_TUPLE_PROTO)
			continue;
		mnl_attr_for_each_nested(p, a) {
			switch (mnl_attr_get_type(p)) {
			case CTA_PROTO_NUM:
				if (mnl_attr_get_payload_len(p) >= 1)
					proto_ok = mnl_attr_get_u8(p) == c->proto;
				break;
			case CTA_PROTO_DST_PORT:
				if (mnl_attr_get_payload_len(p) >= 2)
					port_ok = mnl_attr_get_u16(p) == c->port;
				break;
			}
		}
	}
	return proto_ok && port_ok;
}

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ct_ctx *c = data;
	const struct nlattr *a;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nfgenmsg))
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		struct tuple *t;

		if (mnl_attr_get_type(a) != CTA_TUPLE_ORIG || !tuple_matches(a, c))
			continue;
		if (a->nla_len > sizeof(t->data))
			continue;
		if (c->n == c->cap) {
			size_t ncap = c->cap ? c->cap * 2 : 8;
			struct tuple *nv = realloc(c->v, ncap * sizeof(*nv));

			if (!nv) {
				c->oom = 1;
				return MNL_CB_ERROR;
			}
			c->v = nv;
			c->cap = ncap;
		}
		t = &c->v[c->n++];
		t->family = ((const struct nfgenmsg *)mnl_nlmsg_get_payload(nlh))->nfgen_family;
		t->len = a->nla_len;
		memcpy(t->data, a, a->nla_len);
	}
	return MNL_CB_OK;
}

static struct nlmsghdr *ct_msg(char *buf, uint8_t type, uint16_t flags, uint8_t family,
			       uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

static int run(struct mnl_socket *sk, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char *buf = malloc(MNL_SOCKET_BUFFER_SIZE * 4);
	unsigned portid = mnl_socket_get_portid(sk);
	uint32_t seq = nlh->nlmsg_seq;
	ssize_t n;
	int ret;

	if (!buf)
		return -ENOMEM;
	if (mnl_socket_sendto(sk, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	for (;;) {
		n = mnl_socket_recvfrom(sk, buf, MNL_SOCKET_BUFFER_SIZE * 4);
		if (n < 0) {
			ret = errno == EINTR ? 0 : -errno;
			if (ret)
				goto out;
			continue;
		}
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, cb, data);
		if (ret <= MNL_CB_STOP) {
			ret = ret < 0 ? -errno : 0;
			goto out;
		}
	}
out:
	free(buf);
	return ret;
}

int nsnet_cni_ct_flush_port(int family, uint8_t proto, uint16_t port, struct nsnet_err *err)
{
	static const uint8_t fams[] = { AF_INET, AF_INET6 };
	struct ct_ctx c = { .proto = proto, .port = htons(port) };
	char buf[MNL_SOCKET_BUFFER_SIZE] __attribute__((aligned(8)));
	struct mnl_socket *sk;
	uint32_t seq = (uint32_t)time(NULL);
	size_t i, deleted = 0;
	int ret = 0;

	if ((ret = nsnet_fault_point()) < 0)
		return nsnet_err_set(err, ret, "conntrack: injected fault (NSNET_FAIL_AT)");
	sk = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!sk)
		return nsnet_err_set(err, -errno, "conntrack: cannot open netfilter socket: %s",
				     strerror(errno));
	if (mnl_socket_bind(sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = nsnet_err_set(err, -errno, "conntrack: bind: %s", strerror(errno));
		goto out;
	}
	for (i = 0; i < 2; i++) {
		if (family != AF_UNSPEC && family != fams[i])
			continue;
		c.family = fams[i];
		ret = run(sk, ct_msg(buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, fams[i], ++seq), dump_cb, &c);
		if (c.oom)
			ret = -ENOMEM;
		/* no conntrack module loaded: nothing to flush */
		if (ret == -ENOENT || ret == -EOPNOTSUPP || ret == -EPROTONOSUPPORT) {
			ret = 0;
			continue;
		}
		if (ret < 0) {
			nsnet_err_set(err, ret, "conntrack: dump: %s", strerror(-ret));
			goto out;
		}
	}
	for (i = 0; i < c.n; i++) {
		struct nlmsghdr *nlh = ct_msg(buf, IPCTNL_MSG_CT_DELETE, NLM_F_ACK, c.v[i].family, ++seq);

		memcpy(mnl_nlmsg_get_payload_tail(nlh), c.v[i].data, c.v[i].len);
		nlh->nlmsg_len += MNL_ALIGN(c.v[i].len);
		ret = run(sk, nlh, NULL, NULL);
		if (ret == 0)
			deleted++;
		else if (ret != -ENOENT) {
			nsnet_err_set(err, ret, "conntrack: delete: %s", strerror(-ret));
			goto out;
		}
		ret = 0;
	}
	ret = (int)deleted;
out:
	free(c.v);
	mnl_socket_close(sk);
	return ret;
}
