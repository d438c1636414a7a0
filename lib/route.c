// SPDX-License-Identifier: MIT
/* Routes (RTM_NEWROUTE/DELROUTE): iproute2-style text, messages, dumps. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "nsnet/netns.h"
#include "nsnet/route.h"

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

int nsnet__dump_vec(struct nsnet_nl *nl, uint16_t type, const void *hdr, unsigned hlen,
		    size_t size, int rtype, int (*parse)(const struct nlmsghdr *, void *),
		    void **out, struct nsnet_err *err);

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 0xffffffffUL)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int nsnet_route_parse_str(const char *s, struct nsnet_route *r, struct nsnet_err *err)
{
	char buf[256], *tok[16], *save = NULL, *t;
	int n = 0, i = 0;

	memset(r, 0, sizeof(*r));
	if (!s || strlen(s) >= sizeof(buf))
		return nsnet_err_set(err, -EINVAL, "route too long");
	snprintf(buf, sizeof(buf), "%s", s);
	for (t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == 16)
			return nsnet_err_set(err, -EINVAL, "route \"%s\": too many words", s);
		tok[n++] = t;
	}
	if (!n)
		return nsnet_err_set(err, -EINVAL, "empty route");
	if (!strcmp(tok[0], "default")) {
		r->dst.plen = 0;
	} else if (nsnet_prefix_parse(tok[0], &r->dst, 0) < 0) {
		return nsnet_err_set(err, -EINVAL,
				     "route \"%s\": \"%s\" is not \"default\" or a prefix", s, tok[0]);
	} else {
		struct nsnet_prefix net;

		nsnet_prefix_network(&r->dst, &net);
		if (memcmp(net.addr, r->dst.addr, 16))
			return nsnet_err_set(err, -EINVAL,
					     "route \"%s\": prefix %s has host bits set", s, tok[0]);
		r->family = r->dst.family;
	}
	for (i = 1; i < n; i += 2) {
		const char *k = tok[i], *v = i + 1 < n ? tok[i + 1] : NULL;

		if (!v)
			return nsnet_err_set(err, -EINVAL, "route \"%s\": \"%s\" needs a value", s, k);
		if (!strcmp(k, "via")) {
			if (nsnet_ip_parse(v, &r->gw) < 0)
				return nsnet_err_set(err, -EINVAL,
						     "route \"%s\": bad gateway address \"%s\"", s, v);
		} else if (!strcmp(k, "dev")) {
			if (nsnet_ifname_check(v, err) < 0)
				return -EINVAL;
			snprintf(r->dev, sizeof(r->dev), "%s", v);
		} else if (!strcmp(k, "metric") || !strcmp(k, "preference")) {
			if (parse_u32(v, &r->metric) < 0)
				return nsnet_err_set(err, -EINVAL, "route \"%s\": bad metric \"%s\"", s,
						     v);
		} else if (!strcmp(k, "table")) {
			if (parse_u32(v, &r->table) < 0 || !r->table)
				return nsnet_err_set(err, -EINVAL, "route \"%s\": bad table \"%s\"", s,
						     v);
		} else {
			return nsnet_err_set(err, -EINVAL,
					     "route \"%s\": unknown word \"%s\" (expected via, dev, "
					     "metric, table)", s, k);
		}
	}
	if (r->gw.family) {
		if (r->family && r->family != r->gw.family)
			return nsnet_err_set(err, -EINVAL,
					     "route \"%s\": gateway family differs from prefix", s);
		r->family = r->gw.family;
	}
	if (!r->family && r->dev[0])
		r->family = AF_INET;	/* "default dev X" is IPv4, as with ip route */
	if (!r->family)
		return nsnet_err_set(err, -EINVAL,
				     "route \"%s\": default route needs \"via GATEWAY\" or \"dev IF\"", s);
	if (!r->gw.family && !r->dev[0])
		return nsnet_err_set(err, -EINVAL, "route \"%s\": needs \"via\" or \"dev\"", s);
	r->dst.family = r->family;
	return 0;
}

const char *nsnet_route_fmt(const struct nsnet_route *r, const char *devname, char *buf,
			    size_t len)
{
	char d[64], g[64];
	size_t n;

	/* "default dev X" reads back as IPv4: an IPv6 one without gateway stays ::/0 */
	if (r->dst.plen == 0 && (r->family != AF_INET6 || r->gw.family))
		snprintf(d, sizeof(d), "default");
	else if (r->dst.plen == 0)
		snprintf(d, sizeof(d), "::/0");
	else
		nsnet_prefix_fmt(&r->dst, 1, d, sizeof(d));
	n = (size_t)snprintf(buf, len, "%s", d);
	if (r->gw.family && n < len)
		n += (size_t)snprintf(buf + n, len - n, " via %s",
				      nsnet_prefix_fmt(&r->gw, 0, g, sizeof(g)));
	if (devname && *devname && n < len)
		n += (size_t)snprintf(buf + n, len - n, " dev %s", devname);
	if (r->metric && n < len)
		snprintf(buf + n, len - n, " metric %u", r->metric);
	return buf;
}

void nsnet_route_msg(struct nlmsghdr *nlh, const struct nsnet_route *r)
{
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	size_t al = r->family == AF_INET ? 4 : 16;

	rtm->rtm_family = (uint8_t)r->family;
	rtm->rtm_dst_len = (uint8_t)r->dst.plen;
	rtm->rtm_table = r->table && r->table < 256 ? (uint8_t)r->table
		       : r->table ? RT_TABLE_UNSPEC : RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = r->gw.family ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	if (r->dst.plen)
		mnl_attr_put(nlh, RTA_DST, al, r->dst.addr);
	if (r->gw.family)
		mnl_attr_put(nlh, RTA_GATEWAY, al, r->gw.addr);
	if (r->oif)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)r->oif);
	if (r->metric)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, r->metric);
	if (r->table >= 256)
		mnl_attr_put_u32(nlh, RTA_TABLE, r->table);
}

void nsnet_route_add(struct nsnet_nl *nl, const struct nsnet_route *r)
{
	char b[160];

	nsnet_route_msg(nsnet_nl_req(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, NULL, NULL,
				     "add route %s", nsnet_route_fmt(r, r->dev, b, sizeof(b))),
			r);
}

void nsnet_route_del(struct nsnet_nl *nl, const struct nsnet_route *r)
{
	char b[160];

	nsnet_route_msg(nsnet_nl_req(nl, RTM_DELROUTE, 0, NULL, NULL, "delete route %s",
				     nsnet_route_fmt(r, r->dev, b, sizeof(b))),
			r);
}

int nsnet_route_parse(const struct nlmsghdr *nlh, struct nsnet_route *r)
{
	const struct rtmsg *rtm;
	const struct nlattr *attr;
	size_t al;

	memset(r, 0, sizeof(*r));
	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*rtm))
		return -EBADMSG;
	rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return -EBADMSG;
	al = rtm->rtm_family == AF_INET ? 4 : 16;
	r->family = rtm->rtm_family;
	r->dst.family = rtm->rtm_family;
	r->dst.plen = rtm->rtm_dst_len;
	r->table = rtm->rtm_table;
	r->scope = rtm->rtm_scope;
	r->protocol = rtm->rtm_protocol;
	r->type = rtm->rtm_type;
	for_each_attr(attr, nlh, sizeof(*rtm)) {
		unsigned plen = mnl_attr_get_payload_len(attr);

		switch (mnl_attr_get_type(attr)) {
		case RTA_DST:
			if (plen == al)
				memcpy(r->dst.addr, mnl_attr_get_payload(attr), al);
			break;
		case RTA_GATEWAY:
			if (plen == al) {
				r->gw.family = r->family;
				r->gw.plen = (int)al * 8;
				memcpy(r->gw.addr, mnl_attr_get_payload(attr), al);
			}
			break;
		case RTA_OIF:
			if (plen >= 4)
				r->oif = (int)mnl_attr_get_u32(attr);
			break;
		case RTA_PRIORITY:
			if (plen >= 4)
				r->metric = mnl_attr_get_u32(attr);
			break;
		case RTA_TABLE:
			if (plen >= 4)
				r->table = mnl_attr_get_u32(attr);
			break;
		}
	}
	return 0;
}

static int route_parse_v(const struct nlmsghdr *nlh, void *out)
{
	struct nsnet_route *r = out;
	int ret = nsnet_route_parse(nlh, r);

	if (ret < 0)
		return ret;
	/* main table, unicast only: what `ip route show` prints by default */
	if (r->table != RT_TABLE_MAIN || r->type != RTN_UNICAST)
		return -ENOENT;
	return 0;
}

int nsnet_route_list(struct nsnet_nl *nl, int family, struct nsnet_route **v,
		     struct nsnet_err *err)
{
	struct rtmsg rtm = { .rtm_family = (uint8_t)family };

	return nsnet__dump_vec(nl, RTM_GETROUTE, &rtm, sizeof(rtm), sizeof(**v), RTM_NEWROUTE,
			       route_parse_v, (void **)v, err);
}
