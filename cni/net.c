// SPDX-License-Identifier: MIT
/*
 * nsnet-cni: links, addresses and routes, all through libnsnet. Host side in
 * one batch (bridge up, gateway addresses, veth with its peer created
 * directly inside CNI_NETNS, hairpin, alias, GET of the new end whose
 * IFLA_LINK is the container end's ifindex), container side in one batch
 * (up, addresses, routes, GET for the MAC).
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include "nsnet/cni.h"
#include "nsnet/link.h"
#include "nsnet/netns.h"
#include "nsnet/route.h"
#include "nsnet/sysctl.h"
#include "nsnet/tc.h"

#include "cni.h"
#include "net.h"

static uint64_t fnv(const char *a, const char *b, const char *c)
{
	const char *parts[3] = { a, b, c };
	uint64_t h = 1469598103934665603ull;
	int i;

	for (i = 0; i < 3; i++) {
		const char *p = parts[i];

		for (; *p; p++)
			h = (h ^ (uint8_t)*p) * 1099511628211ull;
		h = (h ^ 0xff) * 1099511628211ull;	/* separator */
	}
	return h;
}

void cni_host_veth_name(const char *network, const char *cid, const char *ifname, char buf[16])
{
	snprintf(buf, 16, "veth%011llx",
		 (unsigned long long)(fnv(network, cid, ifname) & 0xfffffffffffull));
}

void cni_ifb_name(const char *network, const char *cid, const char *ifname, char buf[16])
{
	snprintf(buf, 16, "ifb%012llx",
		 (unsigned long long)(fnv(network, cid, ifname) & 0xffffffffffffull));
}

void cni_owner_alias(const char *network, const char *cid, const char *ifname, char *buf,
		     size_t len)
{
	/* the alias is at most 127 bytes: long IDs are represented by their hash */
	if (snprintf(buf, len, "nsnet-cni %s %s %s", network, cid, ifname) >= 120)
		snprintf(buf, len, "nsnet-cni %.40s #%016llx %s", network,
			 (unsigned long long)fnv(network, cid, ifname), ifname);
}

uint32_t cni_group(const char *network)
{
	return 0x63000000u | (uint32_t)(fnv(network, "", "") & 0xffffff);
}

static void bridge_alias(const char *network, char *buf, size_t len)
{
	snprintf(buf, len, "nsnet-cni %.100s", network);
}

int cni_net_open(struct cni_net *n, const char *netns, int need_netns, struct nsnet_err *err)
{
	int ret;

	memset(n, 0, sizeof(*n));
	n->nsfd = -1;
	if (netns) {
		n->nsfd = open(netns, O_RDONLY | O_CLOEXEC);
		if (n->nsfd < 0 && need_netns)
			return nsnet_err_set(err, -errno, "cannot open CNI_NETNS %s: %s", netns,
					     strerror(errno));
	}
	ret = nsnet_nl_open(&n->host, -1, err);
	if (ret < 0)
		cni_net_close(n);
	return ret;
}

int cni_net_open_container(struct cni_net *n, struct nsnet_err *err)
{
	if (n->cont)
		return 0;
	if (n->nsfd < 0)
		return nsnet_err_set(err, -ENOENT, "no container namespace");
	return nsnet_nl_open(&n->cont, n->nsfd, err);
}

void cni_net_close(struct cni_net *n)
{
	nsnet_nl_close(n->host);
	nsnet_nl_close(n->cont);
	if (n->nsfd >= 0)
		close(n->nsfd);
	n->host = n->cont = NULL;
	n->nsfd = -1;
}

/* The bridge: found, or created (marked with our alias and group), and up. */
static int ensure_bridge(struct cni_net *n, const struct cni_conf *c, struct nsnet_err *err)
{
	struct nsnet_link_req a = NSNET_LINK_REQ_INIT;
	char alias[128];
	int ret;

	ret = nsnet_link_get(n->host, c->bridge, &n->br, err);
	if (ret == 0)
		goto found;
	if (ret != -ENODEV)
		return ret;
	nsnet_err_clear(err);
	a.name = c->bridge;
	a.mtu = c->mtu;
	a.up = 1;
	a.group = cni_group(c->name);
	nsnet_link_add_bridge(n->host, &a);
	ret = nsnet_nl_flush(n->host, err);
	if (ret == 0)
		n->created_bridge = 1;
	else if (ret != -EEXIST)
		return ret;
	nsnet_err_clear(err);
	if (n->created_bridge) {
		struct nsnet_link_req s = NSNET_LINK_REQ_INIT;

		bridge_alias(c->name, alias, sizeof(alias));
		s.name = c->bridge;
		s.alias = alias;
		nsnet_link_set(n->host, &s);
	}
	ret = nsnet_link_get(n->host, c->bridge, &n->br, err);
	if (ret < 0)
		return ret;
found:
	if (strcmp(n->br.kind, "bridge"))
		return nsnet_err_set(err, -EEXIST, "%s exists and is not a bridge (kind \"%s\")",
				     c->bridge, n->br.kind);
	return 0;
}

int cni_net_add(struct cni_net *n, const struct cni_conf *c, const struct cni_env *env,
		const struct cni_record *r, const struct cni_route *routes, size_t nroutes,
		struct nsnet_err *err)
{
	struct nsnet_link_req a = NSNET_LINK_REQ_INIT, p = NSNET_LINK_REQ_INIT;
	char alias[128], b[64];
	size_t i, j;
	int ret;

	ret = ensure_bridge(n, c, err);
	if (ret < 0)
		return ret;
	/* host batch */
	a.name = r->host_veth;
	a.master = n->br.ifindex;
	a.up = 1;
	a.mtu = c->mtu;
	a.group = cni_group(c->name);
	p.name = env->ifname;
	p.netns_fd = n->nsfd;
	p.mtu = c->mtu;
	nsnet_link_add_veth(n->host, &a, &p);
	n->veth_queued = 1;
	memset(&a, 0, sizeof(a));
	a.netns_fd = -1;
	a.name = r->host_veth;
	cni_owner_alias(c->name, env->cid, env->ifname, alias, sizeof(alias));
	a.alias = alias;
	a.hairpin = c->hairpin ? 1 : 0;
	nsnet_link_set(n->host, &a);
	if (!(n->br.flags & IFF_UP)) {
		memset(&a, 0, sizeof(a));
		a.netns_fd = -1;
		a.ifindex = n->br.ifindex;
		a.up = 1;
		nsnet_link_set(n->host, &a);
	}
	if (c->promisc && !(n->br.flags & IFF_PROMISC))
		nsnet_cni_link_promisc(n->host, n->br.ifindex, 1);
	for (i = 0; c->is_gw && i < r->nips; i++) {
		struct nsnet_prefix gw = r->ips[i].gw;

		for (j = 0; j < i; j++)
			if (nsnet_ip_equal(&r->ips[j].gw, &gw))
				break;
		if (j < i)
			continue;
		gw.plen = r->ips[i].ip.plen;
		/* replace: idempotent on a bridge that already has it */
		nsnet_addr_msg(nsnet_nl_req(n->host, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, NULL,
					    NULL, "add gateway address %s to %s",
					    nsnet_prefix_fmt(&gw, 1, b, sizeof(b)), c->bridge),
			       n->br.ifindex, &gw);
	}
	nsnet_link_get_req(n->host, r->host_veth, &n->hv);
	if (r->ifb[0]) {
		/* the egress limit's IFB, marked as the veth, same MTU */
		memset(&a, 0, sizeof(a));
		a.netns_fd = -1;
		a.name = r->ifb;
		a.up = 1;
		a.mtu = c->mtu;
		a.group = cni_group(c->name);
		nsnet_link_add_kind(n->host, &a, "ifb");
		n->ifb_queued = 1;
		memset(&a, 0, sizeof(a));
		a.netns_fd = -1;
		a.name = r->ifb;
		a.alias = alias;
		nsnet_link_set(n->host, &a);
		nsnet_link_get_req(n->host, r->ifb, &n->ifb);
	}
	ret = nsnet_nl_flush(n->host, err);
	if (ret < 0)
		return ret;
	n->created_veth = 1;
	if (n->hv.link <= 0)
		return nsnet_err_set(err, -EIO, "veth %s: peer ifindex unknown", r->host_veth);
	if (r->ifb[0] && n->ifb.ifindex <= 0)
		return nsnet_err_set(err, -EIO, "ifb %s: ifindex unknown", r->ifb);
	/* shaping: tbf towards the container; from it, redirect to the IFB and tbf there */
	if (r->bw.in_rate || r->bw.eg_rate) {
		struct nsnet_tbf t;

		if (r->bw.in_rate && nsnet_tbf_params(r->bw.in_rate, r->bw.in_burst, &t) == 0)
			nsnet_cni_tbf(n->host, n->hv.ifindex, r->host_veth, &t);
		if (r->bw.eg_rate && nsnet_tbf_params(r->bw.eg_rate, r->bw.eg_burst, &t) == 0) {
			nsnet_cni_tbf(n->host, n->ifb.ifindex, r->ifb, &t);
			nsnet_cni_redirect(n->host, n->hv.ifindex, r->host_veth, n->ifb.ifindex);
		}
		ret = nsnet_nl_flush(n->host, err);
		if (ret < 0)
			return ret;
	}
	/* container batch */
	ret = cni_net_open_container(n, err);
	if (ret < 0)
		return ret;
	memset(&a, 0, sizeof(a));
	a.netns_fd = -1;
	a.ifindex = n->hv.link;
	a.up = 1;
	nsnet_link_set(n->cont, &a);
	nsnet_cni_link_arp_strict(n->cont, n->hv.link);
	for (i = 0; i < r->nips; i++)
		nsnet_addr_add(n->cont, n->hv.link, &r->ips[i].ip);
	for (i = 0; i < nroutes; i++) {
		struct nsnet_route rt;

		memset(&rt, 0, sizeof(rt));
		rt.family = routes[i].dst.family;
		rt.dst = routes[i].dst;
		rt.gw = routes[i].gw;
		rt.oif = n->hv.link;
		nsnet_route_add(n->cont, &rt);
	}
	nsnet_link_get_req(n->cont, env->ifname, &n->cv);
	return nsnet_nl_flush(n->cont, err);
}

int cni_net_routes_new(struct cni_net *n, struct cni_route *routes, size_t *nroutes,
		       struct nsnet_err *err)
{
	struct nsnet_route *have = NULL;
	size_t i, k = 0;
	int nh, j;

	if (!*nroutes)
		return 0;
	nh = cni_net_open_container(n, err);
	if (nh < 0)
		return nh;
	nh = nsnet_route_list(n->cont, AF_UNSPEC, &have, err);
	if (nh < 0)
		return nh;
	for (i = 0; i < *nroutes; i++) {
		struct nsnet_prefix d;

		nsnet_prefix_network(&routes[i].dst, &d);
		for (j = 0; j < nh; j++)
			if (have[j].family == d.family && have[j].dst.plen == d.plen &&
			    (!d.plen || nsnet_ip_equal(&have[j].dst, &d)))
				break;
		if (j == nh)
			routes[k++] = routes[i];
	}
	*nroutes = k;
	free(have);
	return 0;
}

/* 1 if @l is the host end of (cid, ifname) on network @c. */
static int owned(const struct nsnet_link_info *l, const struct cni_conf *c, const char *cid,
		 const char *ifname)
{
	char alias[128];

	cni_owner_alias(c->name, cid, ifname, alias, sizeof(alias));
	return !strcmp(l->alias, alias) || (!l->alias[0] && l->group == cni_group(c->name));
}

int cni_net_del_veth(struct cni_net *n, const struct cni_conf *c, const char *cid,
		     const char *ifname, const char *host_veth, struct nsnet_err *err)
{
	struct nsnet_link_info l;
	int ret;

	ret = nsnet_link_get(n->host, host_veth, &l, err);
	if (ret == -ENODEV) {
		nsnet_err_clear(err);
		return 0;
	}
	if (ret < 0)
		return ret;
	if (!owned(&l, c, cid, ifname))
		return 0;	/* not ours: never touch it */
	nsnet_link_del(n->host, l.ifindex, host_veth);
	ret = nsnet_nl_flush(n->host, err);
	if (ret == -ENODEV) {
		nsnet_err_clear(err);
		ret = 0;
	}
	return ret;
}

int cni_net_del_ifb(struct cni_net *n, const struct cni_conf *c, const char *cid,
		    const char *ifname, const char *name, struct nsnet_err *err)
{
	return cni_net_del_veth(n, c, cid, ifname, name, err);
}

/* Rollback of a failed ADD: the veth, the IFB, and the bridge if this ADD made it. */
void cni_net_undo(struct cni_net *n, const struct cni_conf *c, const struct cni_env *env,
		  const struct cni_record *r)
{
	struct nsnet_err e = { 0 };

	if (n->veth_queued)
		cni_net_del_veth(n, c, env->cid, env->ifname, r->host_veth, &e);
	if (n->ifb_queued)
		cni_net_del_ifb(n, c, env->cid, env->ifname, r->ifb, &e);
	if (n->created_bridge) {
		/* by index if known, else by name (the GET after the create failed) */
		nsnet_link_del(n->host, n->br.ifindex, c->bridge);
		nsnet_nl_flush(n->host, &e);
	}
}

struct qdiscs {
	struct nsnet_qdisc_info *v;
	size_t n, cap;
};

/* Every qdisc (root and ingress), parsed by the library's tc parser. */
static int qdisc_cb(const struct nlmsghdr *nlh, void *data)
{
	struct qdiscs *q = data;
	struct nsnet_qdisc_info *nv;

	if (nlh->nlmsg_type != RTM_NEWQDISC)
		return 0;
	if (q->n == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 16;
		nv = realloc(q->v, q->cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		q->v = nv;
	}
	if (nsnet_tc_parse(nlh, &q->v[q->n]) == 0)
		q->n++;
	return 0;
}

/* The qdiscs (and IFB) of the record's bandwidth limits are there with its rates. */
static int check_shaping(struct cni_net *n, const struct cni_conf *c, const struct cni_env *env,
			 const struct cni_record *r, const struct nsnet_link_info *hv,
			 struct nsnet_err *err)
{
	struct tcmsg t = { .tcm_family = AF_UNSPEC };
	struct nsnet_link_info ifb = { 0 };
	struct qdiscs q = { 0 };
	int ret, ingress = 0, tbf_hv = 0, tbf_ifb = 0;
	size_t i;

	if (r->bw.eg_rate) {
		ret = nsnet_link_get(n->host, r->ifb, &ifb, err);
		if (ret < 0)
			return nsnet_err_set(err, ret, "ifb %s: %s", r->ifb, strerror(-ret));
		if (!owned(&ifb, c, env->cid, env->ifname) || strcmp(ifb.kind, "ifb") ||
		    !(ifb.flags & IFF_UP))
			return nsnet_err_set(err, -EINVAL, "%s is not this attachment's up ifb", r->ifb);
	}
	ret = nsnet_nl_dump(n->host, RTM_GETQDISC, &t, sizeof(t), qdisc_cb, &q, err);
	if (ret < 0)
		goto out;
	for (i = 0; i < q.n; i++) {
		const struct nsnet_qdisc_info *x = &q.v[i];
		int tbf = !strcmp(x->kind, "tbf") && x->parent == TC_H_ROOT && x->known;

		if (x->ifindex == hv->ifindex && tbf && x->impair.rate == r->bw.in_rate / 8 * 8)
			tbf_hv = 1;
		if (x->ifindex == hv->ifindex && !strcmp(x->kind, "ingress"))
			ingress = 1;
		if (ifb.ifindex && x->ifindex == ifb.ifindex && tbf &&
		    x->impair.rate == r->bw.eg_rate / 8 * 8)
			tbf_ifb = 1;
	}
	if (r->bw.in_rate && !tbf_hv)
		ret = nsnet_err_set(err, -ENOENT, "no tbf of %llu bit/s on %s",
				    (unsigned long long)r->bw.in_rate, r->host_veth);
	else if (r->bw.eg_rate && (!ingress || !tbf_ifb))
		ret = nsnet_err_set(err, -ENOENT, "no %s of %llu bit/s for traffic from the container",
				    ingress ? "tbf" : "ingress qdisc", (unsigned long long)r->bw.eg_rate);
out:
	free(q.v);
	return ret;
}

int cni_net_check(struct cni_net *n, const struct cni_conf *c, const struct cni_env *env,
		  const struct cni_record *r, const struct cni_route *routes, size_t nroutes,
		  struct nsnet_err *err)
{
	struct nsnet_addr_info *addrs = NULL;
	struct nsnet_route *rts = NULL;
	struct nsnet_link_info hv, br, cv;
	int ret, na, nr, i, k;
	size_t j;

	ret = nsnet_link_get(n->host, c->bridge, &br, err);
	if (ret < 0)
		return nsnet_err_set(err, ret, "bridge %s: %s", c->bridge, strerror(-ret));
	ret = nsnet_link_get(n->host, r->host_veth, &hv, err);
	if (ret < 0)
		return nsnet_err_set(err, ret, "host veth %s: %s", r->host_veth, strerror(-ret));
	if (!owned(&hv, c, env->cid, env->ifname))
		return nsnet_err_set(err, -EEXIST, "host veth %s does not belong to this attachment",
				     r->host_veth);
	if (hv.master != br.ifindex)
		return nsnet_err_set(err, -EINVAL, "host veth %s is not a port of %s", r->host_veth,
				     c->bridge);
	if (!(hv.flags & IFF_UP))
		return nsnet_err_set(err, -ENETDOWN, "host veth %s is down", r->host_veth);
	if (r->bw.in_rate || r->bw.eg_rate) {
		ret = check_shaping(n, c, env, r, &hv, err);
		if (ret < 0)
			return ret;
	}
	ret = cni_net_open_container(n, err);
	if (ret < 0)
		return ret;
	ret = nsnet_link_get(n->cont, env->ifname, &cv, err);
	if (ret < 0)
		return nsnet_err_set(err, ret, "container interface %s: %s", env->ifname,
				     strerror(-ret));
	if (strcmp(cv.kind, "veth") || !(cv.flags & IFF_UP))
		return nsnet_err_set(err, -EINVAL, "container interface %s is not an up veth",
				     env->ifname);
	if (cv.ifindex != hv.link)
		return nsnet_err_set(err, -EINVAL, "container interface %s is not the peer of %s",
				     env->ifname, r->host_veth);
	na = nsnet_addr_list(n->cont, AF_UNSPEC, &addrs, err);
	if (na < 0)
		return na;
	for (j = 0; j < r->nips; j++) {
		for (i = 0; i < na; i++)
			if (addrs[i].ifindex == cv.ifindex && nsnet_ip_equal(&addrs[i].p, &r->ips[j].ip) &&
			    addrs[i].p.plen == r->ips[j].ip.plen)
				break;
		if (i == na) {
			char b[64];

			ret = nsnet_err_set(err, -ENOENT, "address %s missing on %s",
					    nsnet_prefix_fmt(&r->ips[j].ip, 1, b, sizeof(b)), env->ifname);
			goto out;
		}
	}
	/* only the routes we installed, and only their families */
	nr = nsnet_route_list(n->cont, AF_UNSPEC, &rts, err);
	if (nr < 0) {
		ret = nr;
		goto out;
	}
	for (j = 0; j < nroutes; j++) {
		for (k = 0; k < nr; k++)
			if (rts[k].family == routes[j].dst.family &&
			    rts[k].dst.plen == routes[j].dst.plen &&
			    (!routes[j].dst.plen || nsnet_ip_equal(&rts[k].dst, &routes[j].dst)) &&
			    (!routes[j].gw.family || nsnet_ip_equal(&rts[k].gw, &routes[j].gw)))
				break;
		if (k == nr) {
			char b[64];

			ret = nsnet_err_set(err, -ENOENT, "route to %s missing in the container",
					    nsnet_prefix_fmt(&routes[j].dst, 1, b, sizeof(b)));
			goto out;
		}
	}
	ret = 0;
out:
	free(addrs);
	free(rts);
	return ret;
}

int cni_net_sysctls(const struct cni_conf *c, const struct cni_record *r, struct nsnet_err *err)
{
	char old[16], key[64];
	int v4 = 0, v6 = 0, ret;
	size_t i;

	for (i = 0; i < r->nips; i++) {
		v4 |= r->ips[i].ip.family == AF_INET;
		v6 |= r->ips[i].ip.family == AF_INET6;
	}
	/* a gateway routes (as the bridge plugin: isGateway enables forwarding) */
	if (c->is_gw && v4) {
		ret = nsnet_sysctl(-1, "net/ipv4/ip_forward", NULL, old, sizeof(old), err);
		if (ret == 0 && strcmp(old, "1"))
			ret = nsnet_sysctl(-1, "net/ipv4/ip_forward", "1", NULL, 0, err);
		if (ret < 0)
			return ret;
	}
	if (c->is_gw && v6) {
		ret = nsnet_sysctl(-1, "net/ipv6/conf/all/forwarding", NULL, old, sizeof(old), err);
		if (ret == 0 && strcmp(old, "1"))
			ret = nsnet_sysctl(-1, "net/ipv6/conf/all/forwarding", "1", NULL, 0, err);
		if (ret < 0)
			return ret;
	}
	/* port mappings on 127.0.0.1 reach the bridge only with route_localnet */
	if (r->npm && v4) {
		snprintf(key, sizeof(key), "net/ipv4/conf/%s/route_localnet", c->bridge);
		ret = nsnet_sysctl(-1, key, NULL, old, sizeof(old), err);
		if (ret == 0 && strcmp(old, "1"))
			ret = nsnet_sysctl(-1, key, "1", NULL, 0, err);
		if (ret < 0)
			return ret;
	}
	return 0;
}
