// SPDX-License-Identifier: MIT
/*
 * The plan stage: recorded lab + desired lab -> ordered operations. Pure: no
 * system access. Objects are matched by identity through hash maps, so a plan
 * over 10,000 nodes costs milliseconds:
 *   bridge    its name
 *   node      its namespace name
 *   wire      kind + both ends (namespace/interface or host link) + the
 *             bridges its host ends are ports of (a cable moved to another
 *             bridge is a different cable: deleted and recreated)
 *   address   prefix, per interface; route: its parsed fields; sysctl: key;
 *   command   its text (n-th occurrence), per node; NAT: the whole table.
 * Everything an op takes with it (the addresses of a deleted cable) is in the
 * plan as an "implicit" op, so that the inverse plan is exact.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsnet/plan.h"
#include "nsnet/impair.h"
#include "lab-int.h"

/* Execution order. */
enum {
	ST_DEL_CMD = 0,
	ST_DEL_IMPAIR,
	ST_DEL_NAT,
	ST_DEL_ROUTE,
	ST_DEL_ADDR,
	ST_DEL_WIRE,
	ST_DEL_NODE,
	ST_DEL_BRIDGE,
	ST_DEL_SYSCTL,
	ST_ADD_BRIDGE,
	ST_ADD_BRADDR,
	ST_ADD_NODE,
	ST_ADD_WIRE,
	ST_ADD_ADDR,
	ST_ADD_ROUTE,
	ST_ADD_SYSCTL,
	ST_ADD_NAT,
	ST_ADD_IMPAIR,
	ST_ADD_CMD,
};

static int stage_of(int verb, int obj)
{
	if (verb == NSNET_OP_DEL) {
		switch (obj) {
		case NSNET_OBJ_CMD: return ST_DEL_CMD;
		case NSNET_OBJ_IMPAIR: return ST_DEL_IMPAIR;
		case NSNET_OBJ_NAT: return ST_DEL_NAT;
		case NSNET_OBJ_ROUTE: return ST_DEL_ROUTE;
		case NSNET_OBJ_ADDR: case NSNET_OBJ_BRADDR: return ST_DEL_ADDR;
		case NSNET_OBJ_WIRE: return ST_DEL_WIRE;
		case NSNET_OBJ_NODE: return ST_DEL_NODE;
		case NSNET_OBJ_BRIDGE: return ST_DEL_BRIDGE;
		default: return ST_DEL_SYSCTL;
		}
	}
	switch (obj) {
	case NSNET_OBJ_BRIDGE: return ST_ADD_BRIDGE;
	case NSNET_OBJ_BRADDR: return ST_ADD_BRADDR;
	case NSNET_OBJ_NODE: return ST_ADD_NODE;
	case NSNET_OBJ_WIRE: return ST_ADD_WIRE;
	case NSNET_OBJ_ADDR: return ST_ADD_ADDR;
	case NSNET_OBJ_ROUTE: return ST_ADD_ROUTE;
	case NSNET_OBJ_SYSCTL: return ST_ADD_SYSCTL;
	case NSNET_OBJ_NAT: return ST_ADD_NAT;
	case NSNET_OBJ_IMPAIR: return ST_ADD_IMPAIR;
	default: return ST_ADD_CMD;
	}
}

/* ---- wires ------------------------------------------------------------------------ */

void nsnet_wires_free(struct nsnet_wire *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		free(v[i].key);
	free(v);
}

static int wire_key(const struct nsnet_lab *lab, struct nsnet_wire *w)
{
	char e[2][600], a[64];
	int i, r;

	if (w->kind == NSNET_WIRE_VXNODE || w->kind == NSNET_WIRE_VXBR) {
		/* a tunnel: recreated if its VNI, port, local address or peers change */
		nsnet_prefix_fmt(&lab->hosts[lab->local].addr, 0, a, sizeof(a));
		if (w->kind == NSNET_WIRE_VXNODE)
			r = asprintf(&w->key, "%d\t%s\t%s\t%u\t%u\t%s\t%" PRIx64, (int)w->kind,
				     lab->nodes[w->node[0]].ns,
				     lab->nodes[w->node[0]].ifaces[w->iface[0]].name, w->vni,
				     lab->vxlan_port, a, w->peers);
		else
			r = asprintf(&w->key, "%d\t%s\t%s\t%u\t%u\t%s\t%" PRIx64, (int)w->kind,
				     w->vxname, lab->bridges[w->bridge[0]].name, w->vni,
				     lab->vxlan_port, a, w->peers);
		if (r < 0) {
			w->key = NULL;
			return -ENOMEM;
		}
		return 0;
	}
	for (i = 0; i < 2; i++) {
		if (w->node[i] >= 0)
			snprintf(e[i], sizeof(e[i]), "n\t%s\t%s", lab->nodes[w->node[i]].ns,
				 lab->nodes[w->node[i]].ifaces[w->iface[i]].name);
		else
			snprintf(e[i], sizeof(e[i]), "h\t%s\t%s", w->host[i],
				 lab->bridges[w->bridge[i]].name);
	}
	/* a cable is the same whichever end the file names first */
	if (w->kind != NSNET_WIRE_BRIDGE && strcmp(e[0], e[1]) > 0)
		r = asprintf(&w->key, "%d\t%s\t%s", (int)w->kind, e[1], e[0]);
	else
		r = asprintf(&w->key, "%d\t%s\t%s", (int)w->kind, e[0], e[1]);
	if (r < 0) {
		w->key = NULL;
		return -ENOMEM;
	}
	return 0;
}

int nsnet_lab_wires(const struct nsnet_lab *lab, struct nsnet_wire **out, size_t *nout)
{
	struct nsnet_wire *v = NULL;
	size_t n = 0, cap = 0, i, j;
	int e;

	*out = NULL;
	*nout = 0;
	if (!lab)
		return 0;
	for (i = 0; i < lab->nnodes; i++) {
		const struct nsnet_lab_node *nd = &lab->nodes[i];

		for (j = 0; j < nd->nifaces; j++) {
			const struct nsnet_lab_iface *f = &nd->ifaces[j];
			struct nsnet_wire *w;

			if (f->kind != NSNET_IFACE_BRIDGE || !nsnet_lab_node_local(lab, i))
				continue;
			if (nsnet__grow(&v, &cap, n + 1, sizeof(*v)) < 0)
				goto nomem;
			w = &v[n++];
			memset(w, 0, sizeof(*w));
			w->kind = NSNET_WIRE_BRIDGE;
			w->node[0] = (int)i;
			w->iface[0] = (int)j;
			w->bridge[0] = -1;
			w->node[1] = w->iface[1] = -1;
			w->bridge[1] = f->bridge_idx;
			w->host[1] = f->host_name;
			w->mtu[0] = w->mtu[1] = f->mtu;
			w->mac[0] = f->has_mac ? f->mac : NULL;
			w->link = f->link_idx;
			if (wire_key(lab, w) < 0)
				goto nomem;
		}
	}
	for (i = 0; i < lab->nlinks; i++) {
		const struct nsnet_lab_link *l = &lab->links[i];
		struct nsnet_wire *w;

		if ((l->end[0].node_idx >= 0) != (l->end[1].node_idx >= 0))
			continue;	/* node<->bridge: the node's interface above */
		if (lab->local >= 0 && l->end[0].node_idx < 0 &&
		    lab->bridges[l->end[0].bridge_idx].host_idx != lab->local)
			continue;	/* bridge<->bridge: on the first bridge's home host */
		if (lab->local >= 0 && l->end[0].node_idx >= 0) {
			int l0 = nsnet_lab_node_local(lab, (size_t)l->end[0].node_idx);
			int l1 = nsnet_lab_node_local(lab, (size_t)l->end[1].node_idx);

			if (!l0 && !l1)
				continue;
			if (l0 != l1) {
				/* across hosts: this host's end is a VXLAN device in its node */
				const struct nsnet_lab_end *me = &l->end[l0 ? 0 : 1];
				const struct nsnet_lab_end *it = &l->end[l0 ? 1 : 0];

				if (nsnet__grow(&v, &cap, n + 1, sizeof(*v)) < 0)
					goto nomem;
				w = &v[n++];
				memset(w, 0, sizeof(*w));
				w->kind = NSNET_WIRE_VXNODE;
				w->link = (int)i;
				w->node[0] = me->node_idx;
				w->iface[0] = me->iface_idx;
				w->node[1] = w->iface[1] = w->bridge[0] = w->bridge[1] = -1;
				w->rnode = it->node_idx;
				w->riface = it->iface_idx;
				w->mtu[0] = lab->nodes[me->node_idx].ifaces[me->iface_idx].mtu;
				w->mac[0] = lab->nodes[me->node_idx].ifaces[me->iface_idx].has_mac ?
					    lab->nodes[me->node_idx].ifaces[me->iface_idx].mac : NULL;
				w->vni = l->vni;
				w->peers = 1ull << lab->nodes[it->node_idx].host_idx;
				if (wire_key(lab, w) < 0)
					goto nomem;
				continue;
			}
		}
		if (nsnet__grow(&v, &cap, n + 1, sizeof(*v)) < 0)
			goto nomem;
		w = &v[n++];
		memset(w, 0, sizeof(*w));
		w->link = (int)i;
		w->kind = l->end[0].node_idx >= 0 ? NSNET_WIRE_CABLE : NSNET_WIRE_BRBR;
		for (e = 0; e < 2; e++) {
			const struct nsnet_lab_end *end = &l->end[e];

			w->node[e] = end->node_idx;
			w->iface[e] = end->node_idx >= 0 ? end->iface_idx : -1;
			w->bridge[e] = end->bridge_idx;
			w->host[e] = end->node_idx >= 0 ? NULL : l->host_name[e];
			if (end->node_idx >= 0) {
				const struct nsnet_lab_iface *f =
					&lab->nodes[end->node_idx].ifaces[end->iface_idx];

				w->mtu[e] = l->mtu ? l->mtu : f->mtu;
				w->mac[e] = f->has_mac ? f->mac : NULL;
			} else {
				w->mtu[e] = l->mtu;
			}
		}
		if (wire_key(lab, w) < 0)
			goto nomem;
	}
	/* the VXLAN port of every spanning bridge with an instance here (named below) */
	for (i = 0; lab->local >= 0 && i < lab->nbridges; i++) {
		const struct nsnet_lab_bridge *b = &lab->bridges[i];
		struct nsnet_wire *w;

		if (!b->spans || !nsnet_lab_bridge_local(lab, i))
			continue;
		if (nsnet__grow(&v, &cap, n + 1, sizeof(*v)) < 0)
			goto nomem;
		w = &v[n++];
		memset(w, 0, sizeof(*w));
		w->kind = NSNET_WIRE_VXBR;
		w->link = -1;
		w->node[0] = w->node[1] = w->iface[0] = w->iface[1] = w->bridge[1] = -1;
		w->rnode = w->riface = -1;
		w->bridge[0] = (int)i;
		snprintf(w->vxname, sizeof(w->vxname), "nsx%06x", b->vni);
		w->mtu[0] = b->mtu;
		w->vni = b->vni;
		w->peers = b->on_hosts & ~(1ull << lab->local);
		if (wire_key(lab, w) < 0)
			goto nomem;
	}
	for (i = 0; i < n; i++)
		if (v[i].kind == NSNET_WIRE_VXBR)
			v[i].host[0] = v[i].vxname;	/* (v no longer moves) */
	*out = v;
	*nout = n;
	return 0;
nomem:
	nsnet_wires_free(v, n);
	return -ENOMEM;
}

/* The impairment the lab file gives wire @w (interface's or its links: entry's), NULL: none. */
const struct nsnet_impair *nsnet_wire_impair(const struct nsnet_lab *lab,
					     const struct nsnet_wire *w)
{
	const struct nsnet_impair *im = NULL;

	if (w->node[0] >= 0) {
		const struct nsnet_lab_iface *f = &lab->nodes[w->node[0]].ifaces[w->iface[0]];

		if (f->impair.set)
			im = &f->impair;
		else if (w->link >= 0 && lab->links[w->link].impair.set)
			im = &lab->links[w->link].impair;
		if (!im && w->kind == NSNET_WIRE_CABLE && w->node[1] >= 0 &&
		    lab->nodes[w->node[1]].ifaces[w->iface[1]].impair.set)
			im = &lab->nodes[w->node[1]].ifaces[w->iface[1]].impair;
	} else if (w->kind == NSNET_WIRE_BRBR && w->link >= 0 && lab->links[w->link].impair.set &&
		   !lab->nhosts) {
		im = &lab->links[w->link].impair;
	}
	return im;
}

/* ---- comparison helpers ------------------------------------------------------------ */

static int prefix_eq(const struct nsnet_prefix *a, const struct nsnet_prefix *b)
{
	size_t len = a->family == AF_INET6 ? 16 : 4;

	return a->family == b->family && a->plen == b->plen && !memcmp(a->addr, b->addr, len);
}

static int route_eq(const struct nsnet_route *a, const struct nsnet_route *b)
{
	return a->family == b->family && prefix_eq(&a->dst, &b->dst) &&
	       (a->gw.family == b->gw.family && (!a->gw.family || nsnet_ip_equal(&a->gw, &b->gw))) &&
	       !strcmp(a->dev, b->dev) && a->table == b->table && a->metric == b->metric;
}

static int mac_eq(const uint8_t *a, const uint8_t *b)
{
	if (!a || !b)
		return a == b;
	return !memcmp(a, b, 6);
}

static int iface_by_name(const struct nsnet_lab_node *n, const char *name)
{
	size_t j;

	for (j = 0; j < n->nifaces; j++)
		if (!strcmp(n->ifaces[j].name, name))
			return (int)j;
	return -1;
}

static int nat_eq(const struct nsnet_lab *a, const struct nsnet_lab *b)
{
	size_t i;

	if (a->nat.nmasq != b->nat.nmasq || a->nat.nfwd != b->nat.nfwd ||
	    a->nbridges != b->nbridges)
		return 0;
	for (i = 0; i < a->nat.nmasq; i++)
		if (!prefix_eq(&a->nat.masq[i].p, &b->nat.masq[i].p))
			return 0;
	for (i = 0; i < a->nat.nfwd; i++) {
		const struct nsnet_lab_forward *x = &a->nat.fwd[i], *y = &b->nat.fwd[i];

		if (x->port != y->port || x->to_port != y->to_port || x->count != y->count ||
		    x->proto != y->proto || !prefix_eq(&x->to_addr, &y->to_addr) ||
		    x->host_addr.family != y->host_addr.family ||
		    (x->host_addr.family && !prefix_eq(&x->host_addr, &y->host_addr)))
			return 0;
	}
	for (i = 0; i < a->nbridges; i++)
		if (strcmp(a->bridges[i].name, b->bridges[i].name))
			return 0;
	return 1;
}

static int nat_wanted(const struct nsnet_lab *l)
{
	return l && (l->nat.nmasq || l->nat.nfwd) && l->local <= 0;
}

/* ---- plan building ----------------------------------------------------------------- */

struct pctx {
	struct nsnet_plan *p;
	int nomem;
};

static struct nsnet_op *emit(struct pctx *c, int verb, int obj, int a, int b, int cc)
{
	struct nsnet_plan *p = c->p;
	struct nsnet_op *op;

	if (nsnet__grow(&p->ops, &p->cap, p->n + 1, sizeof(*p->ops)) < 0) {
		c->nomem = 1;
		return NULL;
	}
	op = &p->ops[p->n++];
	memset(op, 0, sizeof(*op));
	op->verb = (uint8_t)verb;
	op->obj = (uint8_t)obj;
	op->stage = (uint8_t)stage_of(verb, obj);
	op->a = a;
	op->b = b;
	op->c = cc;
	op->fa = -1;
	return op;
}

static void emit_impl(struct pctx *c, int verb, int obj, int a, int b, int cc)
{
	struct nsnet_op *op = emit(c, verb, obj, a, b, cc);

	if (op)
		op->implicit = 1;
}

/* What a node's deletion takes with it is implicit; an addition is explicit. */
static void emit_any(struct pctx *c, int verb, int obj, int a, int b, int cc)
{
	if (verb == NSNET_OP_DEL)
		emit_impl(c, verb, obj, a, b, cc);
	else
		emit(c, verb, obj, a, b, cc);
}

static int map_build(struct nsnet__map *m, const char *(*key)(const void *, size_t, void *),
		     const void *base, size_t n, void *arg)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *k = key(base, i, arg);

		if (k && nsnet__map_put(m, k, strlen(k), (long)i, NULL) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Multi-host labs: only what lives on this machine (keys NULL otherwise). */
static int nloc(const struct nsnet_lab *l, size_t i)
{
	return nsnet_lab_node_local(l, i);
}

static int bloc(const struct nsnet_lab *l, size_t b)
{
	return nsnet_lab_bridge_local(l, b);
}

/* The bridge's addresses are on its home host. */
static int bhome(const struct nsnet_lab *l, size_t b)
{
	return l->local < 0 || l->bridges[b].host_idx == l->local;
}

static const char *node_key(const void *base, size_t i, void *arg)
{
	const struct nsnet_lab *l = base;

	return nloc(l, i) ? l->nodes[i].ns : NULL;
}

static const char *bridge_key(const void *base, size_t i, void *arg)
{
	const struct nsnet_lab *l = base;

	return bloc(l, i) ? l->bridges[i].name : NULL;
}

static const char *wire_key_of(const void *base, size_t i, void *arg)
{
	return ((const struct nsnet_wire *)base)[i].key;
}

static long lookup(const struct nsnet__map *m, const char *k)
{
	long v;

	return k && nsnet__map_get(m, k, strlen(k), &v) ? v : -1;
}


/* Same IPv4 subnet (a secondary address of the other's subnet, or its primary). */
static int same_subnet4(const struct nsnet_prefix *a, const struct nsnet_prefix *b)
{
	return a->family == AF_INET && b->family == AF_INET && a->plen == b->plen &&
	       nsnet_prefix_contains(a, b);
}

/* Addresses of from-iface (fn, fi) vs to-iface (tn, ti); either may be -1. */
static void plan_addrs(struct pctx *c, const struct nsnet_lab *from, const struct nsnet_lab *to,
		       int fn, int fi, int tn, int ti, int recreated, uint8_t *lost)
/* @lost: per address of the from-interface, set when it goes */
{
	const struct nsnet_lab_iface *ff = fn >= 0 && fi >= 0 ? &from->nodes[fn].ifaces[fi] : NULL;
	const struct nsnet_lab_iface *tf = tn >= 0 && ti >= 0 ? &to->nodes[tn].ifaces[ti] : NULL;
	uint8_t *gone = NULL;	/* per from-address: 1 deleted, 2 taken along with one */
	size_t i, j, k;

	if (ff) {
		gone = calloc(ff->naddrs + 1, 1);
		if (!gone) {
			c->nomem = 1;
			return;
		}
		for (i = 0; i < ff->naddrs; i++) {
			int keep = 0;

			for (j = 0; tf && !recreated && j < tf->naddrs && !keep; j++)
				keep = prefix_eq(&ff->addrs[i].p, &tf->addrs[j].p);
			gone[i] = !keep;
		}
		/*
		 * The kernel deletes an IPv4 subnet's secondary addresses with its
		 * primary (promote_secondaries is off by default): which one is
		 * primary is the kernel's order, so any kept address of the subnet
		 * of a deleted one goes too, and comes back (ADD ignores EEXIST).
		 */
		for (i = 0; i < ff->naddrs; i++)
			for (k = 0; !gone[i] && k < ff->naddrs; k++)
				if (gone[k] == 1 && same_subnet4(&ff->addrs[k].p, &ff->addrs[i].p))
					gone[i] = 2;
		for (i = 0; i < ff->naddrs; i++) {
			if (!gone[i])
				continue;
			if (recreated || !tf || gone[i] == 2)
				emit_impl(c, NSNET_OP_DEL, NSNET_OBJ_ADDR, fn, fi, (int)i);
			else
				emit(c, NSNET_OP_DEL, NSNET_OBJ_ADDR, fn, fi, (int)i);
			if (lost)
				lost[i] = 1;
		}
	}
	if (tf) {
		for (j = 0; j < tf->naddrs; j++) {
			int have = 0;

			for (i = 0; ff && !recreated && i < ff->naddrs && !have; i++)
				have = !gone[i] && prefix_eq(&ff->addrs[i].p, &tf->addrs[j].p);
			if (!have)
				emit(c, NSNET_OP_ADD, NSNET_OBJ_ADDR, tn, ti, (int)j);
		}
	}
	free(gone);
}

/*
 * Is route @r of node @n (from) lost with a recreated or deleted interface, or
 * with a deleted address of the subnet its gateway is on? (@addrgone: per
 * address of the node's interfaces, flattened by @aoff.)
 */
static int route_lost(const struct nsnet_lab *from, int n, const struct nsnet_route *r,
		      const uint8_t *ifgone, const uint8_t *addrgone, const size_t *aoff)
{
	const struct nsnet_lab_node *nd = &from->nodes[n];
	size_t j, k;

	for (j = 0; j < nd->nifaces; j++) {
		const struct nsnet_lab_iface *f = &nd->ifaces[j];
		size_t v4 = 0, v4gone = 0;

		/* with an interface's last IPv4 address go the IPv4 routes through it */
		for (k = 0; k < f->naddrs; k++) {
			v4 += f->addrs[k].p.family == AF_INET;
			v4gone += f->addrs[k].p.family == AF_INET && addrgone[aoff[j] + k];
		}
		if (r->dev[0] && !strcmp(r->dev, f->name) &&
		    (ifgone[j] || (r->family == AF_INET && v4 && v4gone == v4)))
			return 1;
		for (k = 0; r->gw.family && k < f->naddrs; k++)
			if ((ifgone[j] || addrgone[aoff[j] + k]) &&
			    nsnet_prefix_contains(&f->addrs[k].p, &r->gw))
				return 1;
	}
	return 0;
}

/* Whether two versions of a node have the same files: (the same set, the same contents). */
int nsnet__files_same(const struct nsnet_lab_node *a, const struct nsnet_lab_node *b)
{
	size_t i, j;

	if (a->nfiles != b->nfiles)
		return 0;
	for (i = 0; i < a->nfiles; i++) {
		for (j = 0; j < b->nfiles; j++)
			if (!strcmp(a->files[i].path, b->files[j].path))
				break;
		if (j == b->nfiles || a->files[i].len != b->files[j].len ||
		    !a->files[i].content || !b->files[j].content ||
		    memcmp(a->files[i].content, b->files[j].content, a->files[i].len))
			return 0;
	}
	return 1;
}

static void plan_node_kept(struct pctx *c, const struct nsnet_lab *from,
			   const struct nsnet_lab *to, int fn, int tn, const uint8_t *f_wire_gone,
			   const uint8_t *t_wire_new)
{
	const struct nsnet_lab_node *fd = &from->nodes[fn], *td = &to->nodes[tn];
	size_t *aoff = calloc(fd->nifaces + 1, sizeof(*aoff)), na = 0;
	uint8_t *ifgone = calloc(fd->nifaces + 1, 1), *addrgone = NULL;
	uint8_t *rdone;
	size_t i, j;

	for (i = 0; aoff && i < fd->nifaces; i++) {
		aoff[i] = na;
		na += fd->ifaces[i].naddrs;
	}
	addrgone = calloc(na + 1, 1);
	if (!ifgone || !addrgone || !aoff) {
		c->nomem = 1;
		goto out;
	}
	/* interfaces: addresses */
	for (i = 0; i < fd->nifaces; i++) {
		int ti = iface_by_name(td, fd->ifaces[i].name);

		ifgone[i] = f_wire_gone[i];
		plan_addrs(c, from, to, fn, (int)i, ti >= 0 ? tn : -1, ti, f_wire_gone[i],
			   addrgone + aoff[i]);
	}
	for (j = 0; j < td->nifaces; j++) {
		int fi = iface_by_name(fd, td->ifaces[j].name);

		if (fi < 0)
			plan_addrs(c, from, to, -1, -1, tn, (int)j, 1, NULL);
	}
	/* routes */
	rdone = calloc(td->nroutes + 1, 1);
	if (!rdone) {
		c->nomem = 1;
		goto out;
	}
	for (i = 0; i < fd->nroutes; i++) {
		const struct nsnet_route *r = &fd->routes[i].r;
		int lost = route_lost(from, fn, r, ifgone, addrgone, aoff), match = -1;
		struct nsnet_op *op;

		for (j = 0; j < td->nroutes && match < 0; j++)
			if (!rdone[j] && route_eq(r, &td->routes[j].r))
				match = (int)j;
		if (match >= 0) {
			rdone[match] = 1;
			if (!lost)
				continue;
			/* unchanged in the file, gone with its cable: put it back */
			emit_impl(c, NSNET_OP_DEL, NSNET_OBJ_ROUTE, fn, -1, (int)i);
			op = emit(c, NSNET_OP_ADD, NSNET_OBJ_ROUTE, tn, -1, match);
			if (op) {
				op->readd = 1;
				op->b = fn;	/* the same route in "from": node b, route fa */
				op->fa = (int)i;
			}
			continue;
		}
		/* the kernel may or may not have dropped it with its gateway's subnet */
		emit(c, NSNET_OP_DEL, NSNET_OBJ_ROUTE, fn, -1, (int)i);
	}
	for (j = 0; j < td->nroutes; j++)
		if (!rdone[j])
			emit(c, NSNET_OP_ADD, NSNET_OBJ_ROUTE, tn, -1, (int)j);
	free(rdone);
	/* sysctls */
	for (i = 0; i < fd->nsysctls; i++) {
		int found = 0;

		for (j = 0; j < td->nsysctls && !found; j++)
			found = !strcmp(fd->sysctls[i].key, td->sysctls[j].key);
		if (!found)
			emit(c, NSNET_OP_DEL, NSNET_OBJ_SYSCTL, fn, -1, (int)i);
	}
	for (j = 0; j < td->nsysctls; j++) {
		int found = -1;
		struct nsnet_op *op;

		for (i = 0; i < fd->nsysctls && found < 0; i++)
			if (!strcmp(fd->sysctls[i].key, td->sysctls[j].key))
				found = (int)i;
		if (found < 0) {
			emit(c, NSNET_OP_ADD, NSNET_OBJ_SYSCTL, tn, -1, (int)j);
		} else if (strcmp(fd->sysctls[found].value, td->sysctls[j].value)) {
			op = emit(c, NSNET_OP_MOD, NSNET_OBJ_SYSCTL, tn, -1, (int)j);
			if (op)
				op->fa = fn, op->b = found;
		}
	}
	/* commands: matched by text, in order; all restart when the node's files: changed */
	rdone = calloc(td->ncmds + 1, 1);
	if (!rdone) {
		c->nomem = 1;
		goto out;
	}
	for (i = 0; i < fd->ncmds; i++) {
		int match = -1;

		for (j = 0; j < td->ncmds && match < 0 && nsnet__files_same(fd, td); j++)
			if (!rdone[j] && !strcmp(fd->cmds[i], td->cmds[j]))
				match = (int)j;
		if (match >= 0)
			rdone[match] = 1;
		else
			emit(c, NSNET_OP_DEL, NSNET_OBJ_CMD, fn, -1, (int)i);
	}
	for (j = 0; j < td->ncmds; j++)
		if (!rdone[j])
			emit(c, NSNET_OP_ADD, NSNET_OBJ_CMD, tn, -1, (int)j);
	free(rdone);
out:
	free(ifgone);
	free(addrgone);
	free(aoff);
}

/* Everything in node @n of @lab, added (verb ADD) or gone with it (DEL, implicit). */
static void plan_node_all(struct pctx *c, const struct nsnet_lab *lab, int n, int verb)
{
	const struct nsnet_lab_node *nd = &lab->nodes[n];
	size_t i, k;

	if (verb == NSNET_OP_DEL) {
		for (i = 0; i < nd->ncmds; i++)
			emit(c, verb, NSNET_OBJ_CMD, n, -1, (int)i);
		emit(c, verb, NSNET_OBJ_NODE, n, -1, -1);
	} else {
		emit(c, verb, NSNET_OBJ_NODE, n, -1, -1);
	}
	for (i = 0; i < nd->nifaces; i++)
		for (k = 0; k < nd->ifaces[i].naddrs; k++)
			emit_any(c, verb, NSNET_OBJ_ADDR, n, (int)i, (int)k);
	for (i = 0; i < nd->nroutes; i++)
		emit_any(c, verb, NSNET_OBJ_ROUTE, n, -1, (int)i);
	for (i = 0; i < nd->nsysctls; i++)
		emit_any(c, verb, NSNET_OBJ_SYSCTL, n, -1, (int)i);
	if (verb == NSNET_OP_ADD)
		for (i = 0; i < nd->ncmds; i++)
			emit(c, verb, NSNET_OBJ_CMD, n, -1, (int)i);
}

static int cmp_op(const void *a, const void *b)
{
	const struct nsnet_op *x = a, *y = b;

	if (x->stage != y->stage)
		return x->stage < y->stage ? -1 : 1;
	/* stable within a stage: by position (a, b, c) */
	if (x->a != y->a)
		return x->a < y->a ? -1 : 1;
	if (x->b != y->b)
		return x->b < y->b ? -1 : 1;
	return x->c < y->c ? -1 : x->c > y->c;
}

static size_t iface_total(const struct nsnet_lab *l, size_t **off)
{
	size_t i, t = 0;

	*off = calloc((l ? l->nnodes : 0) + 1, sizeof(**off));
	if (!*off)
		return (size_t)-1;
	for (i = 0; l && i < l->nnodes; i++) {
		(*off)[i] = t;
		t += l->nodes[i].nifaces;
	}
	return t;
}

int nsnet_plan_make(const struct nsnet_lab *from, const struct nsnet_lab *to,
		    const uint8_t *gone, struct nsnet_plan **out, struct nsnet_err *err)
{
	struct nsnet__map fnodes = { 0 }, tnodes = { 0 }, fbr = { 0 }, tbr = { 0 };
	struct nsnet__map fwm = { 0 }, twm = { 0 };
	struct nsnet_plan *p;
	struct pctx c = { 0 };
	size_t *foff = NULL, *toff = NULL, nfi, nti, i, j, k;
	uint8_t *fwgone = NULL, *twnew = NULL;
	long *t2f = NULL;
	int ret = -ENOMEM;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return nsnet_err_set(err, -ENOMEM, "out of memory");
	c.p = p;
	p->from = from;
	p->to = to;
	if (nsnet_lab_wires(from, &p->fw, &p->nfw) < 0 || nsnet_lab_wires(to, &p->tw, &p->ntw) < 0)
		goto out;
	nfi = iface_total(from, &foff);
	nti = iface_total(to, &toff);
	if (nfi == (size_t)-1 || nti == (size_t)-1)
		goto out;
	fwgone = calloc(nfi + 1, 1);
	twnew = calloc(nti + 1, 1);
	t2f = calloc((to ? to->nnodes : 0) + 1, sizeof(*t2f));
	if (!fwgone || !twnew || !t2f)
		goto out;
	if (from && (map_build(&fnodes, node_key, from, from->nnodes, NULL) < 0 ||
		     map_build(&fbr, bridge_key, from, from->nbridges, NULL) < 0 ||
		     map_build(&fwm, wire_key_of, p->fw, p->nfw, NULL) < 0))
		goto out;
	if (to && (map_build(&tnodes, node_key, to, to->nnodes, NULL) < 0 ||
		   map_build(&tbr, bridge_key, to, to->nbridges, NULL) < 0 ||
		   map_build(&twm, wire_key_of, p->tw, p->ntw, NULL) < 0))
		goto out;

	/* nodes: which are kept (same namespace, still there) */
	for (i = 0; to && i < to->nnodes; i++) {
		long f = from && nloc(to, i) ? lookup(&fnodes, to->nodes[i].ns) : -1;

		t2f[i] = (f >= 0 && !(gone && gone[f])) ? f : -1;
	}

	/* bridges */
	for (i = 0; from && i < from->nbridges; i++) {
		long t = to ? lookup(&tbr, from->bridges[i].name) : -1;

		if (t >= 0 || !bloc(from, i))
			continue;
		emit(&c, NSNET_OP_DEL, NSNET_OBJ_BRIDGE, (int)i, -1, -1);
		for (k = 0; bhome(from, i) && k < from->bridges[i].naddrs; k++)
			emit_impl(&c, NSNET_OP_DEL, NSNET_OBJ_BRADDR, (int)i, -1, (int)k);
	}
	for (i = 0; to && i < to->nbridges; i++) {
		const struct nsnet_lab_bridge *tb = &to->bridges[i];
		long f = from ? lookup(&fbr, tb->name) : -1;
		struct nsnet_op *op;
		size_t fna;

		if (!bloc(to, i))
			continue;
		if (f < 0) {
			emit(&c, NSNET_OP_ADD, NSNET_OBJ_BRIDGE, (int)i, -1, -1);
			for (k = 0; bhome(to, i) && k < tb->naddrs; k++)
				emit(&c, NSNET_OP_ADD, NSNET_OBJ_BRADDR, (int)i, -1, (int)k);
			continue;
		}
		const struct nsnet_lab_bridge *fb = &from->bridges[f];

		fna = bhome(from, (size_t)f) ? fb->naddrs : 0;
		if (fb->mtu != tb->mtu) {
			op = emit(&c, NSNET_OP_MOD, NSNET_OBJ_BRIDGE, (int)i, -1, -1);
			if (op)
				op->fa = (int)f, op->mod = NSNET_MOD_MTU0;
		}
		for (k = 0; k < fna; k++) {
			int keep = 0;

			for (j = 0; bhome(to, i) && j < tb->naddrs && !keep; j++)
				keep = prefix_eq(&fb->addrs[k].p, &tb->addrs[j].p);
			if (!keep)
				emit(&c, NSNET_OP_DEL, NSNET_OBJ_BRADDR, (int)f, -1, (int)k);
		}
		for (j = 0; bhome(to, i) && j < tb->naddrs; j++) {
			int have = 0;

			for (k = 0; k < fna && !have; k++)
				have = prefix_eq(&fb->addrs[k].p, &tb->addrs[j].p);
			if (!have)
				emit(&c, NSNET_OP_ADD, NSNET_OBJ_BRADDR, (int)i, -1, (int)j);
		}
	}

	/* wires: gone if absent from "to", or an end's node is not kept */
	for (i = 0; i < p->nfw; i++) {
		const struct nsnet_wire *w = &p->fw[i];
		long t = to ? lookup(&twm, w->key) : -1;
		int e, drop = t < 0;

		for (e = 0; e < 2; e++) {
			long tn;

			if (w->node[e] < 0)
				continue;
			tn = to ? lookup(&tnodes, from->nodes[w->node[e]].ns) : -1;
			if (tn < 0 || t2f[tn] < 0)
				drop = 1;
		}
		if (!drop)
			continue;
		emit(&c, NSNET_OP_DEL, NSNET_OBJ_WIRE, (int)i, -1, -1);
		if (nsnet_wire_impair(from, w))
			emit_impl(&c, NSNET_OP_DEL, NSNET_OBJ_IMPAIR, (int)i, -1, -1);
		for (e = 0; e < 2; e++)
			if (w->node[e] >= 0)
				fwgone[foff[w->node[e]] + (size_t)w->iface[e]] = 1;
	}
	for (i = 0; i < p->ntw; i++) {
		const struct nsnet_wire *w = &p->tw[i];
		long f = from ? lookup(&fwm, w->key) : -1;
		int e, fresh = f < 0;
		uint32_t mod = 0;

		for (e = 0; e < 2; e++)
			if (w->node[e] >= 0 && t2f[w->node[e]] < 0)
				fresh = 1;
		if (!fresh) {
			const struct nsnet_wire *fw = &p->fw[f];
			int swap = 0;

			/* ends may be listed the other way round in "from" */
			if (w->kind == NSNET_WIRE_CABLE || w->kind == NSNET_WIRE_BRBR) {
				char a[300], b[300];

				nsnet_wire_end_fmt(to, w, 0, a, sizeof(a));
				nsnet_wire_end_fmt(from, fw, 0, b, sizeof(b));
				swap = strcmp(a, b) != 0;
			}
			for (e = 0; e < 2; e++) {
				int fe = swap ? !e : e;

				if (w->mtu[e] != fw->mtu[fe])
					mod |= e ? NSNET_MOD_MTU1 : NSNET_MOD_MTU0;
				if (w->node[e] >= 0 && !mac_eq(w->mac[e], fw->mac[fe]))
					mod |= e ? NSNET_MOD_MAC1 : NSNET_MOD_MAC0;
			}
			if (mod) {
				struct nsnet_op *op = emit(&c, NSNET_OP_MOD, NSNET_OBJ_WIRE, (int)i,
							   -1, -1);

				if (op)
					op->fa = (int)f, op->mod = mod;
			}
			{
				const struct nsnet_impair *ti = nsnet_wire_impair(to, w);
				const struct nsnet_impair *fi = nsnet_wire_impair(from, fw);
				struct nsnet_op *op;

				if (ti && !(fi && nsnet_impair_eq(ti, fi))) {
					op = emit(&c, fi ? NSNET_OP_MOD : NSNET_OP_ADD,
						  NSNET_OBJ_IMPAIR, (int)i, -1, -1);
					if (op)
						op->fa = (int)f;
				} else if (!ti && fi) {
					emit(&c, NSNET_OP_DEL, NSNET_OBJ_IMPAIR, (int)f, -1, -1);
				}
			}
			continue;
		}
		emit(&c, NSNET_OP_ADD, NSNET_OBJ_WIRE, (int)i, -1, -1);
		if (nsnet_wire_impair(to, w))
			emit(&c, NSNET_OP_ADD, NSNET_OBJ_IMPAIR, (int)i, -1, -1);
		for (e = 0; e < 2; e++)
			if (w->node[e] >= 0)
				twnew[toff[w->node[e]] + (size_t)w->iface[e]] = 1;
	}

	/* nodes: removed / recreated, added, kept */
	for (i = 0; from && i < from->nnodes; i++) {
		long t = to ? lookup(&tnodes, from->nodes[i].ns) : -1;

		if (!nloc(from, i))
			continue;
		if (t < 0 || t2f[t] < 0)
			plan_node_all(&c, from, (int)i, NSNET_OP_DEL);
	}
	for (i = 0; to && i < to->nnodes; i++) {
		if (!nloc(to, i))
			continue;
		if (t2f[i] < 0) {
			plan_node_all(&c, to, (int)i, NSNET_OP_ADD);
			continue;
		}
		plan_node_kept(&c, from, to, (int)t2f[i], (int)i, fwgone + foff[t2f[i]],
			       twnew + toff[i]);
	}

	/* NAT: the whole table (the first host's); forwards need hairpin on new bridge ports */
	if (nat_wanted(from) && !nat_wanted(to)) {
		emit(&c, NSNET_OP_DEL, NSNET_OBJ_NAT, -1, -1, -1);
	} else if (!nat_wanted(from) && nat_wanted(to)) {
		emit(&c, NSNET_OP_ADD, NSNET_OBJ_NAT, -1, -1, -1);
	} else if (nat_wanted(to)) {
		int hairpin = 0;

		for (i = 0; i < p->n && to->nat.nfwd && !hairpin; i++)
			hairpin = p->ops[i].obj == NSNET_OBJ_WIRE && p->ops[i].verb == NSNET_OP_ADD &&
				  p->tw[p->ops[i].a].kind == NSNET_WIRE_BRIDGE;
		if (!nat_eq(from, to) || hairpin)
			emit(&c, NSNET_OP_MOD, NSNET_OBJ_NAT, -1, -1, -1);
	}
	if (c.nomem)
		goto out;
	if (p->n)
		qsort(p->ops, p->n, sizeof(*p->ops), cmp_op);
	*out = p;
	p = NULL;
	ret = 0;
out:
	nsnet__map_free(&fnodes);
	nsnet__map_free(&tnodes);
	nsnet__map_free(&fbr);
	nsnet__map_free(&tbr);
	nsnet__map_free(&fwm);
	nsnet__map_free(&twm);
	free(foff);
	free(toff);
	free(fwgone);
	free(twnew);
	free(t2f);
	nsnet_plan_free(p);
	return ret < 0 ? nsnet_err_set(err, ret, "plan: out of memory") : 0;
}

int nsnet_plan_inverse(const struct nsnet_plan *p, struct nsnet_plan **out,
		       struct nsnet_err *err)
{
	struct nsnet_plan *q;
	size_t i;

	*out = NULL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return nsnet_err_set(err, -ENOMEM, "out of memory");
	q->from = p->to;
	q->to = p->from;
	if (nsnet_lab_wires(q->from, &q->fw, &q->nfw) < 0 ||
	    nsnet_lab_wires(q->to, &q->tw, &q->ntw) < 0 ||
	    nsnet__grow(&q->ops, &q->cap, p->n + 1, sizeof(*q->ops)) < 0) {
		nsnet_plan_free(q);
		return nsnet_err_set(err, -ENOMEM, "out of memory");
	}
	for (i = 0; i < p->n; i++) {
		const struct nsnet_op *o = &p->ops[i];
		struct nsnet_op *n = &q->ops[q->n++];

		*n = *o;
		n->tolerant = 1;
		n->implicit = 0;
		n->readd = 0;
		if (o->verb == NSNET_OP_MOD) {
			n->a = o->fa;
			n->fa = o->a;
			if (o->obj == NSNET_OBJ_SYSCTL) {
				/* MOD SYSCTL: a=node(to) c=sysctl(to), fa=node(from) b=sysctl(from) */
				n->a = o->fa;
				n->c = o->b;
				n->fa = o->a;
				n->b = o->c;
			}
		} else if (o->readd) {
			/* a route put back: put the recorded one back */
			n->a = o->b;
			n->b = -1;
			n->c = o->fa;
			n->fa = -1;
		} else if (o->verb == NSNET_OP_ADD) {
			n->verb = NSNET_OP_DEL;
		} else {
			n->verb = NSNET_OP_ADD;
		}
		n->stage = (uint8_t)stage_of(n->verb, n->obj);
		if (o->readd)
			continue;	/* its implicit DEL twin is dropped below */
		/* an implicit DEL of the original (readd pair) is undone by its ADD twin */
		if (o->implicit && o->verb == NSNET_OP_DEL && o->obj == NSNET_OBJ_ROUTE) {
			size_t k;
			int paired = 0;

			for (k = 0; k < p->n && !paired; k++)
				paired = p->ops[k].readd && p->ops[k].b == o->a &&
					 p->ops[k].fa == o->c;
			if (paired)
				q->n--;
		}
	}
	/* bridge ports put back while forwards exist: hairpin on them (a NAT rewrite) */
	if (nat_wanted(q->to) && q->to->nat.nfwd) {
		int port = 0, nat = 0;

		for (i = 0; i < q->n; i++) {
			const struct nsnet_op *o = &q->ops[i];

			nat |= o->obj == NSNET_OBJ_NAT;
			port |= o->obj == NSNET_OBJ_WIRE && o->verb == NSNET_OP_ADD &&
				q->tw[o->a].kind == NSNET_WIRE_BRIDGE;
		}
		if (port && !nat) {
			struct nsnet_op *n = &q->ops[q->n++];	/* room: p->n + 1 */

			memset(n, 0, sizeof(*n));
			n->verb = NSNET_OP_MOD;
			n->obj = NSNET_OBJ_NAT;
			n->stage = (uint8_t)stage_of(n->verb, n->obj);
			n->tolerant = 1;
			n->a = n->b = n->c = n->fa = -1;
		}
	}
	if (q->n)
		qsort(q->ops, q->n, sizeof(*q->ops), cmp_op);
	*out = q;
	return 0;
}

void nsnet_plan_free(struct nsnet_plan *p)
{
	if (!p)
		return;
	nsnet_wires_free(p->fw, p->nfw);
	nsnet_wires_free(p->tw, p->ntw);
	free(p->ops);
	free(p);
}

/* ---- formatting -------------------------------------------------------------------- */

const char *nsnet_wire_end_fmt(const struct nsnet_lab *lab, const struct nsnet_wire *w, int e,
			       char *buf, size_t len)
{
	if (w->node[e] >= 0)
		snprintf(buf, len, "%s:%s", lab->nodes[w->node[e]].name,
			 lab->nodes[w->node[e]].ifaces[w->iface[e]].name);
	else if (w->bridge[e] >= 0)
		snprintf(buf, len, "%s/%s", lab->bridges[w->bridge[e]].name, w->host[e]);
	else if (w->kind == NSNET_WIRE_VXNODE)
		snprintf(buf, len, "%s:%s on host %s (vxlan %u)", lab->nodes[w->rnode].name,
			 lab->nodes[w->rnode].ifaces[w->riface].name,
			 lab->hosts[lab->nodes[w->rnode].host_idx].name, w->vni);
	else
		snprintf(buf, len, "vxlan %u to %d other host(s)", w->vni,
			 __builtin_popcountll(w->peers));
	return buf;
}

static const char *verb_sym(int v)
{
	return v == NSNET_OP_ADD ? "+" : v == NSNET_OP_DEL ? "-" : "~";
}

static const char *verb_name(int v)
{
	return v == NSNET_OP_ADD ? "add" : v == NSNET_OP_DEL ? "del" : "mod";
}

static const char *obj_name(int o)
{
	static const char *const names[] = { "cmd", "nat", "route", "addr", "addr", "link",
					     "node", "bridge", "sysctl", "impair" };

	return o >= 0 && o < (int)(sizeof(names) / sizeof(names[0])) ? names[o] : "?";
}

/* Object text (no verb) and details into @what/@det. */
static void op_text(const struct nsnet_plan *p, const struct nsnet_op *o, char *what, size_t wl,
		    char *det, size_t dl)
{
	const struct nsnet_lab *lab = o->verb == NSNET_OP_DEL ? p->from : p->to;
	const struct nsnet_wire *wires = o->verb == NSNET_OP_DEL ? p->fw : p->tw;
	char a[300], b[300], x[64];
	size_t i;

	*what = *det = 0;
	switch (o->obj) {
	case NSNET_OBJ_BRIDGE:
		snprintf(what, wl, "%s", lab->bridges[o->a].name);
		if (o->verb == NSNET_OP_MOD)
			snprintf(det, dl, "mtu %d -> %d", p->from->bridges[o->fa].mtu,
				 lab->bridges[o->a].mtu);
		break;
	case NSNET_OBJ_BRADDR:
		snprintf(what, wl, "%s %s", lab->bridges[o->a].name,
			 nsnet_prefix_fmt(&lab->bridges[o->a].addrs[o->c].p, 1, x, sizeof(x)));
		break;
	case NSNET_OBJ_NODE:
		snprintf(what, wl, "%s", lab->nodes[o->a].name);
		if (strcmp(lab->nodes[o->a].ns, lab->nodes[o->a].name))
			snprintf(det, dl, "namespace %s", lab->nodes[o->a].ns);
		break;
	case NSNET_OBJ_WIRE: {
		const struct nsnet_wire *w = &wires[o->a];

		snprintf(what, wl, "%s -- %s", nsnet_wire_end_fmt(lab, w, 0, a, sizeof(a)),
			 nsnet_wire_end_fmt(lab, w, 1, b, sizeof(b)));
		if (o->verb == NSNET_OP_MOD) {
			size_t n = 0;

			for (i = 0; i < 2; i++) {
				if (o->mod & (i ? NSNET_MOD_MTU1 : NSNET_MOD_MTU0))
					n += (size_t)snprintf(det + n, n < dl ? dl - n : 0,
							      "%send%zu mtu %d", n ? ", " : "", i,
							      w->mtu[i] ? w->mtu[i] : 1500);
				if (o->mod & (i ? NSNET_MOD_MAC1 : NSNET_MOD_MAC0))
					n += (size_t)snprintf(det + n, n < dl ? dl - n : 0,
							      "%send%zu mac", n ? ", " : "", i);
			}
		}
		break;
	}
	case NSNET_OBJ_ADDR:
		snprintf(what, wl, "%s:%s %s", lab->nodes[o->a].name,
			 lab->nodes[o->a].ifaces[o->b].name,
			 nsnet_prefix_fmt(&lab->nodes[o->a].ifaces[o->b].addrs[o->c].p, 1, x,
					  sizeof(x)));
		break;
	case NSNET_OBJ_ROUTE:
		snprintf(what, wl, "%s %s", lab->nodes[o->a].name, lab->nodes[o->a].routes[o->c].text);
		break;
	case NSNET_OBJ_SYSCTL:
		if (o->verb == NSNET_OP_DEL)
			snprintf(what, wl, "%s %s (restore)", lab->nodes[o->a].name,
				 lab->nodes[o->a].sysctls[o->c].key);
		else
			snprintf(what, wl, "%s %s=%s", lab->nodes[o->a].name,
				 lab->nodes[o->a].sysctls[o->c].key,
				 lab->nodes[o->a].sysctls[o->c].value);
		break;
	case NSNET_OBJ_CMD:
		snprintf(what, wl, "%s \"%s\"", lab->nodes[o->a].name, lab->nodes[o->a].cmds[o->c]);
		break;
	case NSNET_OBJ_IMPAIR: {
		const struct nsnet_wire *w = &wires[o->a];
		const struct nsnet_impair *im = nsnet_wire_impair(lab, w);

		snprintf(what, wl, "%s -- %s", nsnet_wire_end_fmt(lab, w, 0, a, sizeof(a)),
			 nsnet_wire_end_fmt(lab, w, 1, b, sizeof(b)));
		if (o->verb == NSNET_OP_DEL || !im)
			snprintf(det, dl, "clear");
		else
			nsnet_impair_format(im, det, dl);
		break;
	}
	case NSNET_OBJ_NAT:
		snprintf(what, wl, "table inet nsnet-%s", lab->name);
		if (o->verb != NSNET_OP_DEL)
			snprintf(det, dl, "%zu masquerade, %zu forwards", lab->nat.nmasq,
				 lab->nat.nfwd);
		break;
	default:
		snprintf(what, wl, "?");
	}
}

const char *nsnet_plan_fmt(const struct nsnet_plan *p, size_t i, char *buf, size_t len)
{
	const struct nsnet_op *o = &p->ops[i];
	char what[700], det[300];

	op_text(p, o, what, sizeof(what), det, sizeof(det));
	snprintf(buf, len, "%s %s %s%s%s%s", verb_sym(o->verb), obj_name(o->obj), what,
		 det[0] ? " (" : "", det, det[0] ? ")" : "");
	return buf;
}

/*
 * @s as a JSON string into @buf: always quoted and terminated; cut to @len
 * at a character boundary (never inside an escape or a UTF-8 sequence; an
 * incomplete sequence, e.g. where @s itself was cut, is left out).
 */
static size_t json_str(char *buf, size_t len, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = 0, el, k;
	char e[8];

	if (len < 3) {
		if (len)
			*buf = 0;
		return 0;
	}
	buf[n++] = '"';
	while (*u) {
		if (*u == '"' || *u == '\\') {
			el = (size_t)snprintf(e, sizeof(e), "\\%c", *u);
		} else if (*u < 0x20) {
			el = (size_t)snprintf(e, sizeof(e), "\\u%04x", *u);
		} else if (*u < 0x80) {
			e[0] = (char)*u;
			el = 1;
		} else {
			el = *u >= 0xf0 ? 4 : *u >= 0xe0 ? 3 : *u >= 0xc0 ? 2 : 0;
			for (k = 1; k < el; k++)
				if ((u[k] & 0xc0) != 0x80)
					el = 0;	/* cut short */
			if (!el) {
				u++;
				continue;
			}
			memcpy(e, u, el);
		}
		if (n + el + 2 > len)
			break;		/* the closing quote and NUL must fit */
		memcpy(buf + n, e, el);
		n += el;
		u += *u < 0x80 ? 1 : el;
	}
	buf[n++] = '"';
	buf[n] = 0;
	return n;
}

const char *nsnet_plan_fmt_json(const struct nsnet_plan *p, size_t i, char *buf, size_t len)
{
	const struct nsnet_op *o = &p->ops[i];
	char what[700], det[300], q1[1400], q2[500];	/* both, quoted, fit in 2048 */

	op_text(p, o, what, sizeof(what), det, sizeof(det));
	json_str(q1, sizeof(q1), what);
	json_str(q2, sizeof(q2), det);
	snprintf(buf, len, "{\"op\":\"%s\",\"object\":\"%s\",\"name\":%s%s%s%s}", verb_name(o->verb),
		 o->obj == NSNET_OBJ_WIRE ? "link" : obj_name(o->obj), q1,
		 det[0] ? ",\"detail\":" : "", det[0] ? q2 : "", o->readd ? ",\"readd\":true" : "");
	return buf;
}
