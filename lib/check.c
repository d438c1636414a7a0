// SPDX-License-Identifier: MIT
/*
 * Semantic validation and completion of a lab (pure): names, references,
 * duplicates, automatic addresses, host-side names, namespace names, routes,
 * NAT targets. Errors: -EINVAL with "FILE:LINE:COL: FIELD: reason".
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsnet/lab.h"
#include "nsnet/netns.h"
#include "nsnet/sysctl.h"
#include "lab-int.h"

struct cctx {
	struct nsnet_lab *lab;
	struct nsnet_err *err;
	struct nsnet__map bridges;	/* bridge name -> index */
	struct nsnet__map nodes;	/* node name -> index */
	struct nsnet__map ifaces;	/* "NODEIDX/IFACE" -> iface index */
	struct nsnet__map addrs;	/* family + address -> owner index */
	struct nsnet__map hosts;	/* host-side interface names -> 0 bridge, 1 veth */
	struct owner {
		int node, iface, bridge;
		size_t addr;
	} *owners;
	size_t nowners, cowners;
};

/* Names in field paths: as they are if tame, else quoted. */
struct pn {
	char b[100];
};

static const char *pn(const char *s, struct pn *p)
{
	const char *c;

	for (c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '_' || *c == '-' || *c == '.'))
			break;
	if (!*c && c != s && c - s <= 64 && strcmp(s, ".") && strcmp(s, ".."))
		return s;
	return nsnet__quote(s, strlen(s), p->b, sizeof(p->b));
}

static int cerr(struct cctx *c, const struct nsnet_loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int cerr(struct cctx *c, const struct nsnet_loc *loc, const char *fmt, ...)
{
	char why[480];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return nsnet__lab_err(c->err, c->lab->file, loc, "%s", why);
}

static int nomem(struct cctx *c)
{
	return nsnet_err_set(c->err, -ENOMEM, "%s: out of memory", c->lab->file);
}

static int iface_key(char *buf, size_t len, size_t node, const char *iface)
{
	return snprintf(buf, len, "%zu/%s", node, iface);
}

static int find_iface(struct cctx *c, size_t node, const char *iface)
{
	char k[64];
	long v;
	int n = iface_key(k, sizeof(k), node, iface);

	if (n < 0 || (size_t)n >= sizeof(k) || !nsnet__map_get(&c->ifaces, k, (size_t)n, &v))
		return -1;
	return (int)v;
}

static int find(const struct nsnet__map *m, const char *name, size_t len)
{
	long v;

	return nsnet__map_get(m, name, len, &v) ? (int)v : -1;
}

/* An "auto" address the checker has not filled yet (filled ones are never all-zero). */
static int pending(const struct nsnet_lab_addr *a)
{
	static const uint8_t zero[16];

	return a->is_auto && !memcmp(a->p.addr, zero, sizeof(zero));
}

static int check_mtu(struct cctx *c, int mtu, const struct nsnet_loc *loc, const char *what)
{
	if (mtu && (mtu < NSNET_MTU_MIN || mtu > NSNET_MTU_MAX))
		return cerr(c, loc, "%s.mtu: %d is out of range (%d..%d)", what, mtu,
			    NSNET_MTU_MIN, NSNET_MTU_MAX);
	return 0;
}

static int check_names(struct cctx *c)
{
	struct nsnet_lab *lab = c->lab;
	struct nsnet_err e = { 0 };
	struct pn p1, p2;
	char what[300], k[64];
	size_t i, j;
	int r, ret = 0;

	if (!nsnet__lab_name_ok(lab->name))
		return cerr(c, NULL, "name: %s is not a valid lab name ([A-Za-z0-9_-], 1..%d bytes)",
			    lab->name ? pn(lab->name, &p1) : "(none)", NSNET_LAB_NAME_MAX);
	if (!lab->prefix && !(lab->prefix = strdup("")))
		return nomem(c);
	if (!nsnet__prefix_ok(lab->prefix))
		return cerr(c, NULL, "prefix: %s is not a valid namespace-name prefix",
			    pn(lab->prefix, &p1));
	for (i = 0; i < lab->nbridges; i++) {
		struct nsnet_lab_bridge *b = &lab->bridges[i];

		snprintf(what, sizeof(what), "bridges.%s", pn(b->name, &p1));
		if (nsnet_ifname_check(b->name, &e) < 0)
			return cerr(c, &b->loc, "%s: %s", what, e.msg);
		r = nsnet__map_put(&c->bridges, b->name, strlen(b->name), (long)i, NULL);
		if (r < 0)
			return nomem(c);
		if (r)
			return cerr(c, &b->loc, "%s: duplicate bridge name", what);
		if ((ret = check_mtu(c, b->mtu, &b->loc, what)))
			return ret;
		if ((b->subnet.family && b->subnet.family != AF_INET) ||
		    (b->subnet6.family && b->subnet6.family != AF_INET6))
			return cerr(c, &b->loc, "%s: subnet must be IPv4, subnet6 IPv6", what);
		for (j = 0; j < b->naddrs; j++)
			if (pending(&b->addrs[j]) || !b->addrs[j].p.family)
				return cerr(c, &b->addrs[j].loc,
					    "%s.addresses[%zu]: a bridge address cannot be auto",
					    what, j);
	}
	for (i = 0; i < lab->nnodes; i++) {
		struct nsnet_lab_node *n = &lab->nodes[i];
		struct nsnet__map sys = { 0 };

		snprintf(what, sizeof(what), "nodes.%s", pn(n->name, &p1));
		if (!nsnet__node_name_ok(n->name))
			return cerr(c, &n->loc, "%s: invalid node name ([A-Za-z0-9_.-], 1..%d bytes, "
				    "not \".\" or \"..\")", what, NSNET_NODE_NAME_MAX);
		r = nsnet__map_put(&c->nodes, n->name, strlen(n->name), (long)i, NULL);
		if (r < 0)
			return nomem(c);
		if (r)
			return cerr(c, &n->loc, "%s: duplicate node name", what);
		free(n->ns);
		if (asprintf(&n->ns, "%s%s", lab->prefix, n->name) < 0) {
			n->ns = NULL;
			return nomem(c);
		}
		if (nsnet_netns_name_check(n->ns, &e) < 0)
			return cerr(c, &n->loc, "%s: namespace name (prefix + node name): %s", what,
				    e.msg);
		for (j = 0; j < n->nifaces; j++) {
			struct nsnet_lab_iface *f = &n->ifaces[j];
			char fw[400];

			snprintf(fw, sizeof(fw), "%s.interfaces.%s", what, pn(f->name, &p2));
			if (nsnet_ifname_check(f->name, &e) < 0)
				return cerr(c, &f->loc, "%s: %s", fw, e.msg);
			if (!strcmp(f->name, "lo"))
				return cerr(c, &f->loc, "%s: \"lo\" is the loopback interface every "
					    "node already has", fw);
			r = iface_key(k, sizeof(k), i, f->name);
			r = nsnet__map_put(&c->ifaces, k, (size_t)r, (long)j, NULL);
			if (r < 0)
				return nomem(c);
			if (r)
				return cerr(c, &f->loc, "%s: duplicate interface name", fw);
			if ((ret = check_mtu(c, f->mtu, &f->loc, fw)))
				return ret;
			if (f->has_mac && ((f->mac[0] & 1) || !(f->mac[0] | f->mac[1] | f->mac[2] |
								f->mac[3] | f->mac[4] | f->mac[5])))
				return cerr(c, &f->loc, "%s.mac: not a unicast MAC address", fw);
			f->kind = NSNET_IFACE_UNSET;
			f->bridge_idx = -1;
			f->link_idx = -1;
		}
		for (j = 0; j < n->nsysctls && !ret; j++) {
			struct nsnet_lab_kv *kv = &n->sysctls[j];

			if (nsnet_sysctl_check(kv->key, &e) < 0)
				ret = cerr(c, &kv->loc, "%s.sysctls: %s", what, e.msg);
			else if ((r = nsnet__map_put(&sys, kv->key, strlen(kv->key), 0, NULL)) < 0)
				ret = nomem(c);
			else if (r)
				ret = cerr(c, &kv->loc, "%s.sysctls.%s: duplicate key", what,
					   pn(kv->key, &p2));
			else if (!kv->value)
				ret = cerr(c, &kv->loc, "%s.sysctls.%s: no value", what,
					   pn(kv->key, &p2));
		}
		nsnet__map_free(&sys);
		if (ret)
			return ret;
		for (j = 0; j < n->ncmds; j++)
			if (!n->cmds[j] || !*n->cmds[j])
				return cerr(c, n->cmd_locs ? &n->cmd_locs[j] : &n->loc,
					    "%s.exec[%zu]: empty command", what, j);
	}
	return 0;
}

static int add_iface(struct cctx *c, size_t node, const char *name, const struct nsnet_loc *loc)
{
	struct nsnet_lab_node *n = &c->lab->nodes[node];
	struct nsnet_lab_iface *v, *f;
	char k[64];
	int r;

	v = realloc(n->ifaces, (n->nifaces + 1) * sizeof(*v));
	if (!v)
		return nomem(c);
	n->ifaces = v;
	f = &v[n->nifaces];
	memset(f, 0, sizeof(*f));
	f->name = strdup(name);
	if (!f->name)
		return nomem(c);
	f->loc = *loc;
	f->bridge_idx = -1;
	f->link_idx = -1;
	n->nifaces++;
	r = iface_key(k, sizeof(k), node, name);
	if (nsnet__map_put(&c->ifaces, k, (size_t)r, (long)(n->nifaces - 1), NULL) < 0)
		return nomem(c);
	return (int)(n->nifaces - 1);
}

/* Resolve one end of links[li]. */
static int resolve_end(struct cctx *c, size_t li, int e)
{
	struct nsnet_lab_link *l = &c->lab->links[li];
	struct nsnet_lab_end *end = &l->end[e];
	struct nsnet_err er = { 0 };
	const char *colon;
	struct pn p1, p2;
	int node, idx;

	end->node_idx = end->iface_idx = end->bridge_idx = -1;
	if (!end->text)
		return cerr(c, &l->loc, "links[%zu].endpoints[%d]: missing", li, e);
	colon = strchr(end->text, ':');
	if (!colon) {
		end->bridge_idx = find(&c->bridges, end->text, strlen(end->text));
		if (end->bridge_idx >= 0)
			return 0;
		if (find(&c->nodes, end->text, strlen(end->text)) >= 0)
			return cerr(c, &l->loc, "links[%zu].endpoints[%d]: %s is a node; write "
				    "NODE:IFACE", li, e, pn(end->text, &p1));
		return cerr(c, &l->loc, "links[%zu].endpoints[%d]: unknown bridge %s (an endpoint "
			    "is NODE:IFACE or BRIDGE)", li, e, pn(end->text, &p1));
	}
	node = find(&c->nodes, end->text, (size_t)(colon - end->text));
	if (node < 0)
		return cerr(c, &l->loc, "links[%zu].endpoints[%d]: %s: unknown node %s", li, e,
			    pn(end->text, &p1), nsnet__quote(end->text, (size_t)(colon - end->text),
							    p2.b, sizeof(p2.b)));
	if (nsnet_ifname_check(colon + 1, &er) < 0)
		return cerr(c, &l->loc, "links[%zu].endpoints[%d]: %s", li, e, er.msg);
	if (!strcmp(colon + 1, "lo"))
		return cerr(c, &l->loc, "links[%zu].endpoints[%d]: \"lo\" cannot be cabled", li, e);
	idx = find_iface(c, (size_t)node, colon + 1);
	if (idx < 0)
		idx = add_iface(c, (size_t)node, colon + 1, &l->loc);
	if (idx < 0)
		return idx;
	end->node_idx = node;
	end->iface_idx = idx;
	return 0;
}

static int check_links(struct cctx *c)
{
	struct nsnet_lab *lab = c->lab;
	struct pn p1, p2;
	size_t i, j;
	int ret, e;

	for (i = 0; i < lab->nnodes; i++) {
		struct nsnet_lab_node *n = &lab->nodes[i];

		for (j = 0; j < n->nifaces; j++) {
			struct nsnet_lab_iface *f = &n->ifaces[j];

			if (!f->bridge)
				continue;
			f->bridge_idx = find(&c->bridges, f->bridge, strlen(f->bridge));
			if (f->bridge_idx < 0)
				return cerr(c, &f->loc, "nodes.%s.interfaces.%s.bridge: unknown "
					    "bridge %s", pn(n->name, &p1), pn(f->name, &p2),
					    nsnet__quote(f->bridge, strlen(f->bridge), p2.b,
							 sizeof(p2.b)));
			f->kind = NSNET_IFACE_BRIDGE;
		}
	}
	for (i = 0; i < lab->nlinks; i++) {
		struct nsnet_lab_link *l = &lab->links[i];

		if ((ret = check_mtu(c, l->mtu, &l->loc, "links[]")))
			return ret;
		for (e = 0; e < 2; e++)
			if ((ret = resolve_end(c, i, e)))
				return ret;
		if (l->end[0].bridge_idx >= 0 && l->end[0].bridge_idx == l->end[1].bridge_idx)
			return cerr(c, &l->loc, "links[%zu]: both endpoints are the same bridge", i);
		if (l->end[0].node_idx >= 0 && l->end[0].node_idx == l->end[1].node_idx &&
		    l->end[0].iface_idx == l->end[1].iface_idx)
			return cerr(c, &l->loc, "links[%zu]: both endpoints are the same interface",
				    i);
		for (e = 0; e < 2; e++) {
			struct nsnet_lab_end *end = &l->end[e], *other = &l->end[!e];
			struct nsnet_lab_node *n;
			struct nsnet_lab_iface *f;

			if (end->node_idx < 0)
				continue;
			n = &lab->nodes[end->node_idx];
			f = &n->ifaces[end->iface_idx];
			/* "bridge: B" and a link to B say the same thing (and a second check sees it) */
			if (f->kind == NSNET_IFACE_BRIDGE && f->link_idx < 0 &&
			    f->bridge_idx == other->bridge_idx) {
				f->link_idx = (int)i;
				if (!f->mtu)
					f->mtu = l->mtu;
				continue;
			}
			if (f->kind == NSNET_IFACE_BRIDGE && f->link_idx < 0)
				return cerr(c, &l->loc, "links[%zu].endpoints[%d]: nodes.%s."
					    "interfaces.%s is already on bridge %s", i, e,
					    pn(n->name, &p1), pn(f->name, &p2),
					    lab->bridges[f->bridge_idx].name);
			if (f->kind != NSNET_IFACE_UNSET)
				return cerr(c, &l->loc, "links[%zu].endpoints[%d]: nodes.%s."
					    "interfaces.%s is already an endpoint of links[%d]", i,
					    e, pn(n->name, &p1), pn(f->name, &p2), f->link_idx);
			f->link_idx = (int)i;
			if (other->bridge_idx >= 0) {
				f->kind = NSNET_IFACE_BRIDGE;
				f->bridge_idx = other->bridge_idx;
				free(f->bridge);
				f->bridge = strdup(lab->bridges[other->bridge_idx].name);
				if (!f->bridge)
					return nomem(c);
			} else {
				f->kind = NSNET_IFACE_LINK;
			}
			if (!f->mtu)
				f->mtu = l->mtu;
		}
	}
	for (i = 0; i < lab->nnodes; i++) {
		struct nsnet_lab_node *n = &lab->nodes[i];

		for (j = 0; j < n->nifaces; j++) {
			struct nsnet_lab_iface *f = &n->ifaces[j];

			if (f->kind == NSNET_IFACE_UNSET)
				return cerr(c, &f->loc, "nodes.%s.interfaces.%s: neither on a bridge "
					    "nor the end of a link (add \"bridge:\" or a links: entry)",
					    pn(n->name, &p1), pn(f->name, &p2));
			if (f->kind == NSNET_IFACE_LINK && f->host_name)
				return cerr(c, &f->loc, "nodes.%s.interfaces.%s.host_name: only "
					    "interfaces on a bridge have a host side",
					    pn(n->name, &p1), pn(f->name, &p2));
		}
	}
	return 0;
}

/* A Linux bridge holds at most nsnet__bridge_port_max() ports: count them per bridge. */
static int check_ports(struct cctx *c)
{
	struct nsnet_lab *lab = c->lab;
	size_t *ports, i, j;
	int max = nsnet__bridge_port_max(), ret = 0, e;
	struct pn p1;

	if (!lab->nbridges)
		return 0;
	ports = calloc(lab->nbridges, sizeof(*ports));
	if (!ports)
		return nomem(c);
	for (i = 0; i < lab->nnodes; i++)
		for (j = 0; j < lab->nodes[i].nifaces; j++)
			if (lab->nodes[i].ifaces[j].kind == NSNET_IFACE_BRIDGE)
				ports[lab->nodes[i].ifaces[j].bridge_idx]++;
	for (i = 0; i < lab->nlinks; i++)
		if (lab->links[i].end[0].bridge_idx >= 0 && lab->links[i].end[1].bridge_idx >= 0)
			for (e = 0; e < 2; e++)
				ports[lab->links[i].end[e].bridge_idx]++;
	for (i = 0; i < lab->nbridges && !ret; i++)
		if (ports[i] > (size_t)max)
			ret = cerr(c, &lab->bridges[i].loc, "bridges.%s: %zu ports (node interfaces "
				   "and bridge links on it), more than a Linux bridge holds (%d)",
				   pn(lab->bridges[i].name, &p1), ports[i], max);
	free(ports);
	return ret;
}

static void describe(struct cctx *c, long owner, char *buf, size_t len)
{
	const struct owner *o = &c->owners[owner];
	struct pn p1, p2;

	if (o->bridge >= 0)
		snprintf(buf, len, "bridges.%s.addresses[%zu]",
			 pn(c->lab->bridges[o->bridge].name, &p1), o->addr);
	else
		snprintf(buf, len, "nodes.%s.interfaces.%s.addresses[%zu]",
			 pn(c->lab->nodes[o->node].name, &p1),
			 pn(c->lab->nodes[o->node].ifaces[o->iface].name, &p2), o->addr);
}

static int addr_key(const struct nsnet_prefix *p, unsigned char k[17])
{
	k[0] = (unsigned char)p->family;
	memcpy(k + 1, p->addr, 16);
	return 17;
}

static int addr_used(struct cctx *c, const struct nsnet_prefix *p)
{
	unsigned char k[17];

	return nsnet__map_get(&c->addrs, k, (size_t)addr_key(p, k), NULL);
}

/* Record an address; error if another object has it. */
static int use_addr(struct cctx *c, const struct nsnet_lab_addr *a, int node, int iface,
		    int bridge, size_t idx, const char *what)
{
	unsigned char k[17];
	char b[64], other[300];
	long old;
	int r;

	if (nsnet__grow(&c->owners, &c->cowners, c->nowners + 1, sizeof(*c->owners)) < 0)
		return nomem(c);
	c->owners[c->nowners] = (struct owner){ node, iface, bridge, idx };
	r = nsnet__map_put(&c->addrs, k, (size_t)addr_key(&a->p, k), (long)c->nowners, &old);
	if (r < 0)
		return nomem(c);
	if (r) {
		describe(c, old, other, sizeof(other));
		return cerr(c, &a->loc, "%s.addresses[%zu]: duplicate address %s (also at %s)",
			    what, idx, nsnet_prefix_fmt(&a->p, 0, b, sizeof(b)), other);
	}
	c->nowners++;
	return 0;
}

/* The next free host address of @net (plen kept), from *cursor on. */
static int alloc_addr(struct cctx *c, const struct nsnet_prefix *net, uint64_t *cursor,
		      struct nsnet_prefix *out, const struct nsnet_loc *loc, const char *what,
		      const char *bname)
{
	int hostbits = (net->family == AF_INET ? 32 : 128) - net->plen;
	uint64_t max;
	char b[64];
	struct pn p1;

	if (hostbits >= 64)
		max = UINT64_MAX;
	else if (net->family == AF_INET && hostbits >= 2)
		max = ((uint64_t)1 << hostbits) - 2;	/* no broadcast */
	else
		max = ((uint64_t)1 << hostbits) - 1;
	for (; *cursor && *cursor <= max; (*cursor)++) {
		if (nsnet_prefix_host(net, *cursor, out) < 0)
			break;
		out->plen = net->plen;
		if (!addr_used(c, out)) {
			(*cursor)++;
			return 0;
		}
	}
	return cerr(c, loc, "%s: no free address left in %s of bridge %s", what,
		    nsnet_prefix_fmt(net, 1, b, sizeof(b)), pn(bname, &p1));
}

static int check_addrs(struct cctx *c)
{
	struct nsnet_lab *lab = c->lab;
	uint64_t *cur = NULL;
	char what[300];
	struct pn p1, p2;
	size_t i, j, k;
	int ret = 0, fam;

	/* explicit addresses first */
	for (i = 0; i < lab->nbridges; i++) {
		struct nsnet_lab_bridge *b = &lab->bridges[i];

		snprintf(what, sizeof(what), "bridges.%s", pn(b->name, &p1));
		for (j = 0; j < b->naddrs; j++)
			if ((ret = use_addr(c, &b->addrs[j], -1, -1, (int)i, j, what)))
				return ret;
	}
	for (i = 0; i < lab->nnodes; i++) {
		struct nsnet_lab_node *n = &lab->nodes[i];

		for (j = 0; j < n->nifaces; j++) {
			struct nsnet_lab_iface *f = &n->ifaces[j];

			snprintf(what, sizeof(what), "nodes.%s.interfaces.%s", pn(n->name, &p1),
				 pn(f->name, &p2));
			for (k = 0; k < f->naddrs; k++) {
				if (pending(&f->addrs[k])) {
					if (f->kind != NSNET_IFACE_BRIDGE)
						return cerr(c, &f->addrs[k].loc, "%s.addresses[%zu]: "
							    "auto needs an interface on a bridge", what, k);
					continue;
				}
				if ((ret = use_addr(c, &f->addrs[k], (int)i, (int)j, -1, k, what)))
					return ret;
			}
		}
	}
	/* cursors: two per bridge (IPv4, IPv6), starting at host 1 */
	cur = calloc(lab->nbridges * 2 + 1, sizeof(*cur));
	if (!cur)
		return nomem(c);
	for (i = 0; i < lab->nbridges * 2; i++)
		cur[i] = 1;
	/* a bridge with a subnet but no address of that family: the host gets the first free one */
	for (i = 0; i < lab->nbridges && !ret; i++) {
		struct nsnet_lab_bridge *b = &lab->bridges[i];

		snprintf(what, sizeof(what), "bridges.%s", pn(b->name, &p1));
		for (fam = 0; fam < 2 && !ret; fam++) {
			const struct nsnet_prefix *net = fam ? &b->subnet6 : &b->subnet;
			struct nsnet_lab_addr *v;

			if (!net->family)
				continue;
			for (j = 0; j < b->naddrs; j++)
				if (b->addrs[j].p.family == net->family)
					break;
			if (j < b->naddrs)
				continue;
			v = realloc(b->addrs, (b->naddrs + 1) * sizeof(*v));
			if (!v) {
				ret = nomem(c);
				break;
			}
			b->addrs = v;
			memset(&v[b->naddrs], 0, sizeof(*v));
			v[b->naddrs].is_auto = 1;
			v[b->naddrs].loc = b->loc;
			ret = alloc_addr(c, net, &cur[2 * i + (size_t)fam], &v[b->naddrs].p, &b->loc,
					 what, b->name);
			if (!ret)
				ret = use_addr(c, &v[b->naddrs], -1, -1, (int)i, b->naddrs, what);
			b->naddrs++;
		}
	}
	/* auto addresses on interfaces, in file order */
	for (i = 0; i < lab->nnodes && !ret; i++) {
		struct nsnet_lab_node *n = &lab->nodes[i];

		for (j = 0; j < n->nifaces && !ret; j++) {
			struct nsnet_lab_iface *f = &n->ifaces[j];
			struct nsnet_lab_addr *v;
			struct nsnet_lab_bridge *b;
			size_t nv = 0;

			for (k = 0; k < f->naddrs; k++)
				if (pending(&f->addrs[k]))
					break;
			if (k == f->naddrs)
				continue;
			b = &lab->bridges[f->bridge_idx];
			snprintf(what, sizeof(what), "nodes.%s.interfaces.%s", pn(n->name, &p1),
				 pn(f->name, &p2));
			v = calloc(f->naddrs * 2, sizeof(*v));
			if (!v) {
				ret = nomem(c);
				break;
			}
			for (k = 0; k < f->naddrs && !ret; k++) {
				struct nsnet_lab_addr *a = &f->addrs[k];
				int want = a->p.family;

				if (!pending(a)) {
					v[nv++] = *a;
					continue;
				}
				if ((want == AF_INET && !b->subnet.family) ||
				    (want == AF_INET6 && !b->subnet6.family) ||
				    (!want && !b->subnet.family && !b->subnet6.family)) {
					ret = cerr(c, &a->loc, "%s.addresses[%zu]: %s needs a %s on "
						   "bridge %s", what, k,
						   want == AF_INET ? "auto4" : want ? "auto6" : "auto",
						   want == AF_INET ? "subnet" : want ? "subnet6" :
						   "subnet or subnet6", pn(b->name, &p1));
					break;
				}
				for (fam = 0; fam < 2 && !ret; fam++) {
					const struct nsnet_prefix *net = fam ? &b->subnet6 : &b->subnet;

					if (!net->family || (want && want != net->family))
						continue;
					v[nv].is_auto = 1;
					v[nv].loc = a->loc;
					ret = alloc_addr(c, net, &cur[2 * (size_t)f->bridge_idx +
								      (size_t)fam],
							 &v[nv].p, &a->loc, what, b->name);
					if (!ret)
						ret = use_addr(c, &v[nv], (int)i, (int)j, -1, nv, what);
					nv++;
				}
			}
			free(f->addrs);
			f->addrs = v;
			f->naddrs = nv;
		}
	}
	free(cur);
	return ret;
}

/* Record a host-side name; error if taken. */
static int use_host(struct cctx *c, const char *name, const struct nsnet_loc *loc,
		    const char *what)
{
	struct nsnet_err e = { 0 };
	struct pn p1;
	long old;
	int r;

	if (nsnet_ifname_check(name, &e) < 0)
		return cerr(c, loc, "%s: %s", what, e.msg);
	r = nsnet__map_put(&c->hosts, name, strlen(name), 1, &old);
	if (r < 0)
		return nomem(c);
	if (r)
		return cerr(c, loc, "%s: host-side name %s is already %s", what, pn(name, &p1),
			    old ? "used by another interface (set host_name)" : "a bridge name");
	return 0;
}

static char *short_name(const char *a, const char *b, const char *lab, const char *x,
			const char *y)
{
	char *s = NULL;

	if (strlen(a) + 1 + strlen(b) <= 15) {
		if (asprintf(&s, "%s-%s", a, b) < 0)
			s = NULL;
	} else if (asprintf(&s, "nsv%08x", nsnet__hash_strs(lab, x, y, NULL)) < 0) {
		s = NULL;
	}
	return s;
}

static int check_hosts(struct cctx *c)
{
	struct nsnet_lab *lab = c->lab;
	char what[300];
	struct pn p1, p2;
	size_t i, j;
	int ret, pass, e;

	for (i = 0; i < lab->nbridges; i++)
		if (nsnet__map_put(&c->hosts, lab->bridges[i].name, strlen(lab->bridges[i].name), 0,
				   NULL) < 0)
			return nomem(c);
	/* pass 0: names given with host_name; pass 1: generated ones */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < lab->nnodes; i++) {
			struct nsnet_lab_node *n = &lab->nodes[i];

			for (j = 0; j < n->nifaces; j++) {
				struct nsnet_lab_iface *f = &n->ifaces[j];

				if (f->kind != NSNET_IFACE_BRIDGE || !!f->host_name == pass)
					continue;
				snprintf(what, sizeof(what), "nodes.%s.interfaces.%s%s",
					 pn(n->name, &p1), pn(f->name, &p2),
					 pass ? "" : ".host_name");
				if (pass) {
					f->host_name = short_name(n->ns, f->name, lab->name, n->ns,
								  f->name);
					if (!f->host_name)
						return nomem(c);
				}
				if ((ret = use_host(c, f->host_name, &f->loc, what)))
					return ret;
			}
		}
	}
	for (i = 0; i < lab->nlinks; i++) {
		struct nsnet_lab_link *l = &lab->links[i];

		snprintf(what, sizeof(what), "links[%zu]", i);
		for (e = 0; e < 2; e++) {
			const struct nsnet_lab_end *me = &l->end[e], *other = &l->end[!e];

			free(l->host_name[e]);
			l->host_name[e] = NULL;
			if (me->bridge_idx < 0)
				continue;
			if (other->bridge_idx >= 0) {
				const char *a = lab->bridges[me->bridge_idx].name;
				const char *b = lab->bridges[other->bridge_idx].name;

				l->host_name[e] = short_name(a, b, lab->name, a, b);
				if (!l->host_name[e])
					return nomem(c);
				if ((ret = use_host(c, l->host_name[e], &l->loc, what)))
					return ret;
			}
			/* node<->bridge: the node's interface (kind BRIDGE) has the name */
		}
	}
	return 0;
}

static int check_routes(struct cctx *c)
{
	struct nsnet_lab *lab = c->lab;
	struct pn p1, p2;
	char b[64];
	size_t i, j, k, a;

	for (i = 0; i < lab->nnodes; i++) {
		struct nsnet_lab_node *n = &lab->nodes[i];

		for (j = 0; j < n->nroutes; j++) {
			struct nsnet_lab_route *r = &n->routes[j];
			const struct nsnet_prefix *gw = &r->r.gw;
			int ok = 0;

			if (r->r.dev[0] && find_iface(c, i, r->r.dev) < 0)
				return cerr(c, &r->loc, "nodes.%s.routes[%zu]: dev %s is not an "
					    "interface of node %s", pn(n->name, &p1), j,
					    pn(r->r.dev, &p2), pn(n->name, &p1));
			if (!gw->family)
				continue;
			/* fe80::/10 with a dev: on-link by definition */
			if (gw->family == AF_INET6 && gw->addr[0] == 0xfe &&
			    (gw->addr[1] & 0xc0) == 0x80 && r->r.dev[0])
				continue;
			for (k = 0; k < n->nifaces && !ok; k++)
				for (a = 0; a < n->ifaces[k].naddrs && !ok; a++)
					ok = nsnet_prefix_contains(&n->ifaces[k].addrs[a].p, gw);
			if (!ok)
				return cerr(c, &r->loc, "nodes.%s.routes[%zu]: gateway %s is not in "
					    "a subnet of any interface address of %s",
					    pn(n->name, &p1), j, nsnet_prefix_fmt(gw, 0, b, sizeof(b)),
					    pn(n->name, &p2));
		}
	}
	return 0;
}

static int overlap(const struct nsnet_prefix *x, const struct nsnet_prefix *y)
{
	if (x->family != y->family)
		return 0;
	return x->plen <= y->plen ? nsnet_prefix_contains(x, y) : nsnet_prefix_contains(y, x);
}

/* Union-find root of bridge @x (bridges joined by links are one segment). */
static size_t seg_root(size_t *parent, size_t x)
{
	while (parent[x] != x) {
		parent[x] = parent[parent[x]];
		x = parent[x];
	}
	return x;
}

/*
 * Two bridges that are different segments must not have overlapping subnets
 * (10.0.0.1/24 on one, 10.0.0.2/16 on another): the host would route one
 * subnet onto the other's bridge. Bridges joined by links are one segment
 * and may share a subnet (a fabric of leaf bridges does).
 */
struct bnet {
	struct nsnet_prefix p;
	const struct nsnet_loc *loc;
	size_t bridge, idx;	/* idx: addresses[idx], or (size_t)-1 subnet, -2 subnet6 */
};

static void bnet_what(const struct nsnet_lab *lab, const struct bnet *x, char *buf, size_t len)
{
	struct pn p1;
	char a[64];

	if (x->idx == (size_t)-1 || x->idx == (size_t)-2)
		snprintf(buf, len, "bridges.%s.%s %s", pn(lab->bridges[x->bridge].name, &p1),
			 x->idx == (size_t)-1 ? "subnet" : "subnet6",
			 nsnet_prefix_fmt(&x->p, 1, a, sizeof(a)));
	else
		snprintf(buf, len, "bridges.%s.addresses[%zu] %s",
			 pn(lab->bridges[x->bridge].name, &p1), x->idx,
			 nsnet_prefix_fmt(&x->p, 1, a, sizeof(a)));
}

static int check_bridge_subnets(struct cctx *c)
{
	const struct nsnet_lab *lab = c->lab;
	struct bnet *v = NULL;
	size_t *parent = NULL, n = 0, cap = 0, i, j;
	int ret = 0;

	if (lab->nbridges < 2)
		return 0;
	parent = malloc(lab->nbridges * sizeof(*parent));
	if (!parent)
		return nomem(c);
	for (i = 0; i < lab->nbridges; i++)
		parent[i] = i;
	for (i = 0; i < lab->nlinks; i++) {
		const struct nsnet_lab_link *l = &lab->links[i];

		if (l->end[0].bridge_idx >= 0 && l->end[1].bridge_idx >= 0)
			parent[seg_root(parent, (size_t)l->end[0].bridge_idx)] =
				seg_root(parent, (size_t)l->end[1].bridge_idx);
	}
	for (i = 0; i < lab->nbridges; i++) {
		const struct nsnet_lab_bridge *b = &lab->bridges[i];

		if (nsnet__grow(&v, &cap, n + b->naddrs + 2, sizeof(*v)) < 0) {
			free(parent);
			return nomem(c);
		}
		for (j = 0; j < b->naddrs; j++)
			if (b->addrs[j].p.family)
				v[n++] = (struct bnet){ b->addrs[j].p, &b->addrs[j].loc, i, j };
		if (b->subnet.family)
			v[n++] = (struct bnet){ b->subnet, &b->loc, i, (size_t)-1 };
		if (b->subnet6.family)
			v[n++] = (struct bnet){ b->subnet6, &b->loc, i, (size_t)-2 };
	}
	for (i = 0; i < n && !ret; i++) {
		for (j = i + 1; j < n; j++) {
			char w1[400], w2[400], l2[300];

			if (v[i].bridge == v[j].bridge ||
			    seg_root(parent, v[i].bridge) == seg_root(parent, v[j].bridge) ||
			    !overlap(&v[i].p, &v[j].p))
				continue;
			bnet_what(lab, &v[j], w1, sizeof(w1));
			bnet_what(lab, &v[i], w2, sizeof(w2));
			ret = cerr(c, v[j].loc, "%s overlaps %s (at %s): two bridges, one subnet", w1,
				   w2, nsnet_lab_where(lab, v[i].loc, l2, sizeof(l2)));
			break;
		}
	}
	free(v);
	free(parent);
	return ret;
}

struct fsort {
	int proto;
	unsigned port;
	size_t idx;
};

static int fsort_cmp(const void *pa, const void *pb)
{
	const struct fsort *a = pa, *b = pb;

	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int check_nat(struct cctx *c)
{
	struct nsnet_lab *lab = c->lab;
	struct nsnet_lab_nat *nat = &lab->nat;
	struct fsort *s = NULL;
	char b[64];
	struct pn p1;
	size_t i, j, k, a;
	int ret = 0;

	for (i = 0; i < nat->nmasq; i++) {
		const struct nsnet_prefix *m = &nat->masq[i].p;
		int ok = 0;

		if (!m->family)
			return cerr(c, &nat->masq[i].loc, "nat.masquerade[%zu]: not a prefix", i);
		for (j = 0; j < lab->nbridges && !ok; j++) {
			const struct nsnet_lab_bridge *br = &lab->bridges[j];

			ok = overlap(m, &br->subnet) || overlap(m, &br->subnet6);
			for (k = 0; k < br->naddrs && !ok; k++)
				ok = overlap(m, &br->addrs[k].p);
		}
		if (!ok)
			return cerr(c, &nat->masq[i].loc, "nat.masquerade[%zu]: no bridge carries %s "
				    "(no bridge address or subnet inside it)", i,
				    nsnet_prefix_fmt(m, 1, b, sizeof(b)));
	}
	for (i = 0; i < nat->nfwd; i++) {
		struct nsnet_lab_forward *f = &nat->fwd[i];
		const struct nsnet_lab_node *n;

		if (!f->port || !f->to_port || !f->count || f->port + f->count - 1 > 65535 ||
		    f->to_port + f->count - 1 > 65535)
			return cerr(c, &f->loc, "nat.forwards[%zu]: bad port range", i);
		if (f->proto != IPPROTO_TCP && f->proto != IPPROTO_UDP)
			return cerr(c, &f->loc, "nat.forwards[%zu].proto: not tcp or udp", i);
		if (f->host_addr.family && f->host_addr.family != AF_INET)
			return cerr(c, &f->loc, "nat.forwards[%zu].host_address: not IPv4", i);
		f->node_idx = f->node ? find(&c->nodes, f->node, strlen(f->node)) : -1;
		if (f->node_idx < 0)
			return cerr(c, &f->loc, "nat.forwards[%zu].to: unknown node %s", i,
				    f->node ? pn(f->node, &p1) : "(none)");
		n = &lab->nodes[f->node_idx];
		memset(&f->to_addr, 0, sizeof(f->to_addr));
		for (j = 0; j < n->nifaces && !f->to_addr.family; j++)
			for (a = 0; a < n->ifaces[j].naddrs && !f->to_addr.family; a++)
				if (n->ifaces[j].kind == NSNET_IFACE_BRIDGE &&
				    n->ifaces[j].addrs[a].p.family == AF_INET)
					f->to_addr = n->ifaces[j].addrs[a].p;
		if (!f->to_addr.family)
			return cerr(c, &f->loc, "nat.forwards[%zu].to: node %s has no IPv4 address "
				    "on a bridge to forward to", i, pn(n->name, &p1));
	}
	if (!nat->nfwd)
		return 0;
	s = calloc(nat->nfwd, sizeof(*s));
	if (!s)
		return nomem(c);
	for (i = 0; i < nat->nfwd; i++)
		s[i] = (struct fsort){ nat->fwd[i].proto, nat->fwd[i].port, i };
	qsort(s, nat->nfwd, sizeof(*s), fsort_cmp);
	for (i = 0; i < nat->nfwd && !ret; i++) {
		const struct nsnet_lab_forward *x = &nat->fwd[s[i].idx];
		unsigned end = (unsigned)x->port + x->count - 1;

		for (j = i + 1; j < nat->nfwd && !ret; j++) {
			const struct nsnet_lab_forward *y = &nat->fwd[s[j].idx];
			size_t later = s[i].idx > s[j].idx ? s[i].idx : s[j].idx;
			size_t first = s[i].idx > s[j].idx ? s[j].idx : s[i].idx;

			if (s[j].proto != s[i].proto || s[j].port > end)
				break;
			if (x->host_addr.family && y->host_addr.family &&
			    !nsnet_ip_equal(&x->host_addr, &y->host_addr))
				continue;
			ret = cerr(c, &nat->fwd[later].loc, "nat.forwards[%zu]: host port %u/%s "
				   "is already forwarded by nat.forwards[%zu]", later,
				   nat->fwd[later].port, x->proto == IPPROTO_UDP ? "udp" : "tcp",
				   first);
		}
	}
	free(s);
	return ret;
}

/* Capture files are NODE-IF.pcap: two interfaces must not share one ("a-b"+"c", "a"+"b-c"). */
static int check_captures(struct cctx *c)
{
	struct nsnet_lab *lab = c->lab;
	struct nsnet__map files = { 0 };
	struct pn p1, p2, p3, p4, p5;
	char key[128];
	size_t i, j;
	long first;
	int r, ret = 0;

	for (i = 0; i < lab->nnodes && !ret; i++) {
		struct nsnet_lab_node *n = &lab->nodes[i];

		for (j = 0; j < n->nifaces && !ret; j++) {
			struct nsnet_lab_iface *f = &n->ifaces[j];

			if (!f->capture)
				continue;
			r = snprintf(key, sizeof(key), "%s-%s", n->name, f->name);
			r = nsnet__map_put(&files, key, (size_t)r, (long)(i << 32 | j), &first);
			if (r < 0)
				ret = nomem(c);
			else if (r)
				ret = cerr(c, &f->loc, "nodes.%s.interfaces.%s.capture: its file %s.pcap "
					   "would be that of nodes.%s.interfaces.%s too (rename one)",
					   pn(n->name, &p1), pn(f->name, &p2), pn(key, &p3),
					   pn(lab->nodes[first >> 32].name, &p4),
					   pn(lab->nodes[first >> 32].ifaces[first & 0xffffffff].name,
					      &p5));
		}
	}
	nsnet__map_free(&files);
	return ret;
}

/* The impairment given for cable @i's other description, if any: its links[] entry or peer. */
static int impair_twice(struct cctx *c, size_t ni, size_t ii, const struct nsnet_loc **other)
{
	const struct nsnet_lab *lab = c->lab;
	const struct nsnet_lab_iface *f = &lab->nodes[ni].ifaces[ii];
	const struct nsnet_lab_link *l;
	int e;

	if (f->link_idx < 0)
		return 0;
	l = &lab->links[f->link_idx];
	if (l->impair.set) {
		*other = &l->impair_loc;
		return 1;
	}
	/* a node<->node cable: the other end's interface may carry it too (report it once) */
	for (e = 0; e < 2; e++) {
		const struct nsnet_lab_end *end = &l->end[e];
		const struct nsnet_lab_iface *g;

		if (end->node_idx < 0 || ((size_t)end->node_idx == ni && (size_t)end->iface_idx == ii))
			continue;
		g = &lab->nodes[end->node_idx].ifaces[end->iface_idx];
		if (g->impair.set && ((size_t)end->node_idx < ni ||
				      ((size_t)end->node_idx == ni && (size_t)end->iface_idx < ii))) {
			*other = &g->impair_loc;
			return 1;
		}
	}
	return 0;
}

static int check_impairs(struct cctx *c)
{
	struct nsnet_lab *lab = c->lab;
	struct nsnet_err e = { 0 };
	const struct nsnet_loc *other;
	struct pn p1, p2;
	size_t i, j;

	for (i = 0; i < lab->nlinks; i++)
		if (lab->links[i].impair.set && nsnet_impair_check(&lab->links[i].impair, &e) < 0)
			return cerr(c, &lab->links[i].impair_loc, "links[%zu].impair.%s", i, e.msg);
	for (i = 0; i < lab->nnodes; i++) {
		struct nsnet_lab_node *n = &lab->nodes[i];

		for (j = 0; j < n->nifaces; j++) {
			struct nsnet_lab_iface *f = &n->ifaces[j];

			if (!f->impair.set)
				continue;
			if (nsnet_impair_check(&f->impair, &e) < 0)
				return cerr(c, &f->impair_loc, "nodes.%s.interfaces.%s.impair.%s",
					    pn(n->name, &p1), pn(f->name, &p2), e.msg);
			if (impair_twice(c, i, j, &other))
				return cerr(c, &f->impair_loc, "nodes.%s.interfaces.%s.impair: this "
					    "cable's impairment is already given at line %d column %d; "
					    "give it once (it shapes both directions)", pn(n->name, &p1),
					    pn(f->name, &p2), other->line, other->col);
		}
	}
	return 0;
}

int nsnet_lab_check(struct nsnet_lab *lab, struct nsnet_err *err)
{
	struct cctx c = { .lab = lab, .err = err };
	int ret;

	ret = check_names(&c);
	if (!ret)
		ret = check_links(&c);
	if (!ret)
		ret = check_ports(&c);
	if (!ret)
		ret = check_addrs(&c);
	if (!ret)
		ret = check_bridge_subnets(&c);
	if (!ret)
		ret = check_hosts(&c);
	if (!ret)
		ret = check_routes(&c);
	if (!ret)
		ret = check_nat(&c);
	if (!ret)
		ret = nsnet__lab_check_hosts(lab, err);
	if (!ret)
		ret = check_captures(&c);
	if (!ret)
		ret = check_impairs(&c);
	nsnet__map_free(&c.bridges);
	nsnet__map_free(&c.nodes);
	nsnet__map_free(&c.ifaces);
	nsnet__map_free(&c.addrs);
	nsnet__map_free(&c.hosts);
	free(c.owners);
	return ret;
}
