// SPDX-License-Identifier: MIT
/* Netlink primitives for nsnet-cni: IFF_PROMISC, conntrack flush by port. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/ip.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/rtnetlink.h>

#include "nsnet/cni.h"

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
