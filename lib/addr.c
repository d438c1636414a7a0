// SPDX-License-Identifier: MIT
/* Addresses (RTM_NEWADDR/DELADDR), prefixes, neighbours. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "nsnet/addr.h"

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

static int width(int family)
{
	return family == AF_INET ? 32 : 128;
}

static int alen(int family)
{
	return family == AF_INET ? 4 : 16;
}

int nsnet_ip_parse(const char *s, struct nsnet_prefix *p)
{
	memset(p, 0, sizeof(*p));
	if (!s || !*s)
		return -EINVAL;
	if (inet_pton(AF_INET, s, p->addr) == 1)
		p->family = AF_INET;
	else if (inet_pton(AF_INET6, s, p->addr) == 1)
		p->family = AF_INET6;
	else
		return -EINVAL;
	p->plen = width(p->family);
	return 0;
}

int nsnet_prefix_parse(const char *s, struct nsnet_prefix *p, int need_plen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash;
	char *end;
	long plen;
	size_t n;

	memset(p, 0, sizeof(*p));
	if (!s)
		return -EINVAL;
	slash = strchr(s, '/');
	n = slash ? (size_t)(slash - s) : strlen(s);
	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (nsnet_ip_parse(buf, p) < 0)
		return -EINVAL;
	if (!slash)
		return need_plen ? -EINVAL : 0;
	if (!slash[1] || slash[1] == '-' || slash[1] == '+' || slash[1] == ' ')
		return -EINVAL;
	errno = 0;
	plen = strtol(slash + 1, &end, 10);
	if (errno || *end || plen < 0 || plen > width(p->family))
		return -EINVAL;
	p->plen = (int)plen;
	return 0;
}

const char *nsnet_prefix_fmt(const struct nsnet_prefix *p, int with_plen, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!p->family || !inet_ntop(p->family, p->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	if (with_plen)
		snprintf(buf, len, "%s/%d", a, p->plen);
	else
		snprintf(buf, len, "%s", a);
	return buf;
}

void nsnet_prefix_network(const struct nsnet_prefix *p, struct nsnet_prefix *net)
{
	int i, bits = p->plen;

	*net = *p;
	for (i = 0; i < 16; i++) {
		if (bits >= 8) {
			bits -= 8;
			continue;
		}
		net->addr[i] &= (uint8_t)(bits ? 0xff << (8 - bits) : 0);
		bits = 0;
	}
}

int nsnet_prefix_contains(const struct nsnet_prefix *net, const struct nsnet_prefix *a)
{
	struct nsnet_prefix x = *a, n1;

	if (net->family != a->family)
		return 0;
	x.plen = net->plen;
	nsnet_prefix_network(&x, &x);
	nsnet_prefix_network(net, &n1);
	return !memcmp(x.addr, n1.addr, 16);
}

int nsnet_ip_equal(const struct nsnet_prefix *a, const struct nsnet_prefix *b)
{
	return a->family == b->family && !memcmp(a->addr, b->addr, (size_t)alen(a->family));
}

int nsnet_prefix_host(const struct nsnet_prefix *net, uint64_t n, struct nsnet_prefix *out)
{
	int hostbits = width(net->family) - net->plen, i;
	uint64_t carry = n;

	if (hostbits < 64 && n >= ((uint64_t)1 << hostbits))
		return -ERANGE;
	nsnet_prefix_network(net, out);
	for (i = alen(net->family) - 1; i >= 0 && carry; i--) {
		uint64_t v = out->addr[i] + (carry & 0xff);

		out->addr[i] = (uint8_t)v;
		carry = (carry >> 8) + (v >> 8);
	}
	return 0;
}

void nsnet_addr_msg(struct nlmsghdr *nlh, int ifindex, const struct nsnet_prefix *p)
{
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

	ifa->ifa_family = (uint8_t)p->family;
	ifa->ifa_prefixlen = (uint8_t)p->plen;
	ifa->ifa_index = (uint32_t)ifindex;
	ifa->ifa_scope = (p->family == AF_INET && p->addr[0] == 127) ? RT_SCOPE_HOST : 0;
	if (p->family == AF_INET6)
		ifa->ifa_flags = IFA_F_NODAD;	/* usable at once; labs have no duplicates */
	mnl_attr_put(nlh, IFA_LOCAL, (size_t)alen(p->family), p->addr);
	mnl_attr_put(nlh, IFA_ADDRESS, (size_t)alen(p->family), p->addr);
}

void nsnet_addr_add(struct nsnet_nl *nl, int ifindex, const struct nsnet_prefix *p)
{
	char b[64];

	nsnet_addr_msg(nsnet_nl_req(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, NULL, NULL,
				    "add address %s on #%d", nsnet_prefix_fmt(p, 1, b, sizeof(b)),
				    ifindex),
		       ifindex, p);
}

void nsnet_addr_del(struct nsnet_nl *nl, int ifindex, const struct nsnet_prefix *p)
{
	char b[64];

	nsnet_addr_msg(nsnet_nl_req(nl, RTM_DELADDR, 0, NULL, NULL, "delete address %s on #%d",
				    nsnet_prefix_fmt(p, 1, b, sizeof(b)), ifindex),
		       ifindex, p);
}

int nsnet_addr_parse(const struct nlmsghdr *nlh, struct nsnet_addr_info *info)
{
	const struct ifaddrmsg *ifa;
	const struct nlattr *attr;
	int have_local = 0;

	memset(info, 0, sizeof(*info));
	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*ifa))
		return -EBADMSG;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return -EBADMSG;
	info->ifindex = (int)ifa->ifa_index;
	info->scope = ifa->ifa_scope;
	info->flags = ifa->ifa_flags;
	info->p.family = ifa->ifa_family;
	info->p.plen = ifa->ifa_prefixlen;
	for_each_attr(attr, nlh, sizeof(*ifa)) {
		int t = mnl_attr_get_type(attr);

		if ((t == IFA_LOCAL || (t == IFA_ADDRESS && !have_local)) &&
		    mnl_attr_get_payload_len(attr) == (unsigned)alen(ifa->ifa_family)) {
			memcpy(info->p.addr, mnl_attr_get_payload(attr), (size_t)alen(ifa->ifa_family));
			have_local |= t == IFA_LOCAL;
		} else if (t == IFA_FLAGS && mnl_attr_get_payload_len(attr) >= 4) {
			info->flags = mnl_attr_get_u32(attr);
		}
	}
	return 0;
}

struct vec {
	void *v;
	size_t n, cap, size;
	int type;
	int (*parse)(const struct nlmsghdr *, void *);
};

static int vec_cb(const struct nlmsghdr *nlh, void *data)
{
	struct vec *c = data;

	if (nlh->nlmsg_type != c->type)
		return 0;
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 16;
		void *nv = realloc(c->v, ncap * c->size);

		if (!nv)
			return -ENOMEM;
		c->v = nv;
		c->cap = ncap;
	}
	if (c->parse(nlh, (char *)c->v + c->n * c->size) == 0)
		c->n++;
	return 0;
}

static int dump_vec(struct nsnet_nl *nl, uint16_t type, const void *hdr, unsigned hlen,
		    struct vec *c, void **out, struct nsnet_err *err)
{
	int ret = nsnet_nl_dump(nl, type, hdr, hlen, vec_cb, c, err);

	if (ret < 0) {
		free(c->v);
		*out = NULL;
		return ret;
	}
	*out = c->v;
	return (int)c->n;
}

static int addr_parse_v(const struct nlmsghdr *nlh, void *out)
{
	return nsnet_addr_parse(nlh, out);
}

int nsnet_addr_list(struct nsnet_nl *nl, int family, struct nsnet_addr_info **v,
		    struct nsnet_err *err)
{
	struct ifaddrmsg ifa = { .ifa_family = (uint8_t)family };
	struct vec c = { .size = sizeof(**v), .type = RTM_NEWADDR, .parse = addr_parse_v };

	return dump_vec(nl, RTM_GETADDR, &ifa, sizeof(ifa), &c, (void **)v, err);
}

int nsnet_neigh_parse(const struct nlmsghdr *nlh, struct nsnet_neigh_info *info)
{
	const struct ndmsg *nd;
	const struct nlattr *attr;

	memset(info, 0, sizeof(*info));
	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*nd))
		return -EBADMSG;
	nd = mnl_nlmsg_get_payload(nlh);
	if (nd->ndm_family != AF_INET && nd->ndm_family != AF_INET6)
		return -EBADMSG;
	info->ifindex = nd->ndm_ifindex;
	info->state = nd->ndm_state;
	info->dst.family = nd->ndm_family;
	info->dst.plen = width(nd->ndm_family);
	for_each_attr(attr, nlh, sizeof(*nd)) {
		int t = mnl_attr_get_type(attr);

		if (t == NDA_DST && mnl_attr_get_payload_len(attr) == (unsigned)alen(nd->ndm_family))
			memcpy(info->dst.addr, mnl_attr_get_payload(attr), (size_t)alen(nd->ndm_family));
		else if (t == NDA_LLADDR && mnl_attr_get_payload_len(attr) == 6) {
			memcpy(info->lladdr, mnl_attr_get_payload(attr), 6);
			info->has_lladdr = 1;
		}
	}
	return 0;
}

void nsnet_neigh_msg(struct nlmsghdr *nlh, int ifindex, const struct nsnet_prefix *dst,
		     const uint8_t lladdr[6])
{
	struct ndmsg *nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));

	nd->ndm_family = (uint8_t)dst->family;
	nd->ndm_ifindex = ifindex;
	nd->ndm_state = NUD_PERMANENT;
	nd->ndm_type = RTN_UNICAST;
	mnl_attr_put(nlh, NDA_DST, (size_t)alen(dst->family), dst->addr);
	if (lladdr)
		mnl_attr_put(nlh, NDA_LLADDR, 6, lladdr);
}

void nsnet_neigh_add(struct nsnet_nl *nl, int ifindex, const struct nsnet_prefix *dst,
		     const uint8_t lladdr[6])
{
	char b[64];

	nsnet_neigh_msg(nsnet_nl_req(nl, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, NULL, NULL,
				     "add neighbour %s on #%d",
				     nsnet_prefix_fmt(dst, 0, b, sizeof(b)), ifindex),
			ifindex, dst, lladdr);
}

void nsnet_neigh_del(struct nsnet_nl *nl, int ifindex, const struct nsnet_prefix *dst)
{
	char b[64];

	nsnet_neigh_msg(nsnet_nl_req(nl, RTM_DELNEIGH, 0, NULL, NULL, "delete neighbour %s on #%d",
				     nsnet_prefix_fmt(dst, 0, b, sizeof(b)), ifindex),
			ifindex, dst, NULL);
}

void nsnet_fdb_msg(struct nlmsghdr *nlh, int ifindex, const uint8_t lladdr[6],
		   const struct nsnet_prefix *dst)
{
	struct ndmsg *nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));

	nd->ndm_family = AF_BRIDGE;
	nd->ndm_ifindex = ifindex;
	nd->ndm_state = NUD_PERMANENT | NUD_NOARP;
	nd->ndm_flags = NTF_SELF;
	mnl_attr_put(nlh, NDA_LLADDR, 6, lladdr);
	mnl_attr_put(nlh, NDA_DST, (size_t)alen(dst->family), dst->addr);
}

void nsnet_fdb_append(struct nsnet_nl *nl, int ifindex, const uint8_t lladdr[6],
		      const struct nsnet_prefix *dst)
{
	char b[64];

	nsnet_fdb_msg(nsnet_nl_req(nl, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_APPEND, NULL, NULL,
				   "add fdb entry to %s on #%d",
				   nsnet_prefix_fmt(dst, 0, b, sizeof(b)), ifindex),
		      ifindex, lladdr, dst);
}

static int neigh_parse_v(const struct nlmsghdr *nlh, void *out)
{
	return nsnet_neigh_parse(nlh, out);
}

int nsnet_neigh_list(struct nsnet_nl *nl, int family, struct nsnet_neigh_info **v,
		     struct nsnet_err *err)
{
	struct ndmsg nd = { .ndm_family = (uint8_t)family };
	struct vec c = { .size = sizeof(**v), .type = RTM_NEWNEIGH, .parse = neigh_parse_v };

	return dump_vec(nl, RTM_GETNEIGH, &nd, sizeof(nd), &c, (void **)v, err);
}

/* Shared with route.c */
int nsnet__dump_vec(struct nsnet_nl *nl, uint16_t type, const void *hdr, unsigned hlen,
		    size_t size, int rtype, int (*parse)(const struct nlmsghdr *, void *),
		    void **out, struct nsnet_err *err);
int nsnet__dump_vec(struct nsnet_nl *nl, uint16_t type, const void *hdr, unsigned hlen,
		    size_t size, int rtype, int (*parse)(const struct nlmsghdr *, void *),
		    void **out, struct nsnet_err *err)
{
	struct vec c = { .size = size, .type = rtype, .parse = parse };

	return dump_vec(nl, type, hdr, hlen, &c, out, err);
}
