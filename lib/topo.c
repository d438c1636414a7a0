// SPDX-License-Identifier: MIT
/*
 * Generated topologies (like Mininet's): "star,N", "linear,N", "tree,DEPTH,FANOUT".
 * Builds an unchecked struct nsnet_lab in memory; run nsnet_lab_check() on it.
 *
 * A star of more than 1000 hosts, or more than a Linux bridge holds
 * (nsnet__bridge_port_max() ports), becomes a switch fabric: a chain of leaf
 * bridges br0-1, br0-2, … of at most 400 hosts each, br0-1 cabled to br0
 * (which keeps the host's address), each further leaf to the one before; one
 * subnet, so every host still reaches every other.
 *
 * Why these numbers and a chain, not a spine with every leaf under it: a
 * bridge floods a broadcast (an ARP request) to all its ports at once, and
 * every copy a veth delivers waits in the CPU's backlog until the next pass,
 * which drops what exceeds net.core.netdev_max_backlog (1000 by default).
 * Under a spine, all leaves flood in the same pass: a broadcast reaches about
 * 1000 hosts and ARP fails for the others. Along a chain, one pass holds the
 * copies of at most two leaves (a broadcast from a leaf goes both ways):
 * 2 * (400 + 1) fits, with room for other traffic; a single bridge of 1000
 * hosts floods 999 copies.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsnet/lab.h"
#include "nsnet/route.h"
#include "lab-int.h"

#define TOPO_MAX 65000		/* hosts or bridges; the subnet is a /16 or larger */
#define STAR_MAX 1000		/* hosts of a star on one bridge: a broadcast fits the backlog */
#define LEAF_MAX 400		/* hosts on a leaf of a star's chain: two leaves fit the backlog */

struct topo {
	struct nsnet_lab *lab;
	struct nsnet_prefix net;	/* the one subnet */
	struct nsnet_prefix gw;		/* the host's address on the first bridge */
	size_t cbridges, cnodes, clinks;
};

static char *fmt(const char *f, unsigned long n)
{
	char *s;

	if (asprintf(&s, f, n) < 0)
		return NULL;
	return s;
}

static int add_bridge_fmt(struct topo *t, const char *f, unsigned long n, int with_addr)
{
	struct nsnet_lab *lab = t->lab;
	struct nsnet_lab_bridge *b;

	if (nsnet__grow(&lab->bridges, &t->cbridges, lab->nbridges + 1, sizeof(*b)) < 0)
		return -ENOMEM;
	b = &lab->bridges[lab->nbridges++];
	b->name = fmt(f, n);
	if (!b->name)
		return -ENOMEM;
	if (!with_addr)
		return 0;
	b->addrs = calloc(1, sizeof(*b->addrs));
	if (!b->addrs)
		return -ENOMEM;
	b->addrs[0].p = t->gw;
	b->naddrs = 1;
	return 0;
}

static int add_bridge(struct topo *t, unsigned long n, int with_addr)
{
	return add_bridge_fmt(t, "s%lu", n, with_addr);
}

/* Host hN on bridge @bridge: eth0, address (explicit host number @hostnum, or auto), default route. */
static int add_host(struct topo *t, unsigned long n, size_t bridge, uint64_t hostnum)
{
	struct nsnet_lab *lab = t->lab;
	struct nsnet_lab_node *nd;
	struct nsnet_lab_iface *f;
	char gw[64];

	if (nsnet__grow(&lab->nodes, &t->cnodes, lab->nnodes + 1, sizeof(*nd)) < 0)
		return -ENOMEM;
	nd = &lab->nodes[lab->nnodes++];
	nd->name = fmt("h%lu", n);
	nd->ifaces = calloc(1, sizeof(*nd->ifaces));
	nd->routes = calloc(1, sizeof(*nd->routes));
	if (!nd->name || !nd->ifaces || !nd->routes)
		return -ENOMEM;
	nd->nifaces = 1;
	f = &nd->ifaces[0];
	f->bridge_idx = -1;
	f->link_idx = -1;
	f->name = strdup("eth0");
	f->bridge = strdup(lab->bridges[bridge].name);
	f->addrs = calloc(1, sizeof(*f->addrs));
	if (!f->name || !f->bridge || !f->addrs)
		return -ENOMEM;
	f->naddrs = 1;
	if (hostnum) {
		if (nsnet_prefix_host(&t->net, hostnum, &f->addrs[0].p) < 0)
			return -ERANGE;
		f->addrs[0].p.plen = t->net.plen;
	} else {
		f->addrs[0].is_auto = 1;
		f->addrs[0].p.family = AF_INET;
	}
	nd->nroutes = 1;
	if (asprintf(&nd->routes[0].text, "default via %s",
		     nsnet_prefix_fmt(&t->gw, 0, gw, sizeof(gw))) < 0) {
		nd->routes[0].text = NULL;
		return -ENOMEM;
	}
	return nsnet_route_parse_str(nd->routes[0].text, &nd->routes[0].r, NULL);
}

static int add_link(struct topo *t, size_t a, size_t b)
{
	struct nsnet_lab *lab = t->lab;
	struct nsnet_lab_link *l;
	int e;

	if (nsnet__grow(&lab->links, &t->clinks, lab->nlinks + 1, sizeof(*l)) < 0)
		return -ENOMEM;
	l = &lab->links[lab->nlinks++];
	l->end[0].text = strdup(lab->bridges[a].name);
	l->end[1].text = strdup(lab->bridges[b].name);
	for (e = 0; e < 2; e++)
		l->end[e].node_idx = l->end[e].iface_idx = l->end[e].bridge_idx = -1;
	return l->end[0].text && l->end[1].text ? 0 : -ENOMEM;
}

static int parse_num(const char *s, const char **end, unsigned long *v)
{
	char *e;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoul(s, &e, 10);
	if (errno || e - s > 6)
		return -EINVAL;
	*end = e;
	return 0;
}

/* Leaf bridges of a star of @n hosts: 0 if one bridge holds them. */
static unsigned long fabric_leaves(unsigned long n)
{
	unsigned long max = (unsigned long)nsnet__bridge_port_max();
	unsigned long leaf = max - 2 < LEAF_MAX ? max - 2 : LEAF_MAX;	/* two ports: the chain */

	if (n <= max && n <= STAR_MAX)
		return 0;
	return leaf ? (n + leaf - 1) / leaf : ~0ul;
}

/* br0 (the host's address), then the chain of leaves br0-1..br0-K, hosts spread evenly. */
static int build_fabric(struct topo *t, unsigned long n)
{
	unsigned long k = fabric_leaves(n), i;
	int ret;

	if ((ret = add_bridge_fmt(t, "br0", 0, 1)))
		return ret;
	t->lab->bridges[0].subnet = t->net;
	for (i = 1; i <= k; i++)
		if ((ret = add_bridge_fmt(t, "br0-%lu", i, 0)) || (ret = add_link(t, i, i - 1)))
			return ret;
	/* host i (0-based) on leaf 1 + i*k/n: blocks of n/k or n/k + 1 hosts */
	for (i = 0; i < n; i++)
		if ((ret = add_host(t, i + 1, 1 + i * k / n, i + 2)))
			return ret;
	return 0;
}

static int build_star(struct topo *t, unsigned long n)
{
	struct nsnet_lab_bridge *b;
	unsigned long i;
	int ret;

	if (fabric_leaves(n))
		return build_fabric(t, n);

	if (nsnet__grow(&t->lab->bridges, &t->cbridges, 1, sizeof(*b)) < 0)
		return -ENOMEM;
	b = &t->lab->bridges[t->lab->nbridges++];
	b->name = strdup("br0");
	b->addrs = calloc(1, sizeof(*b->addrs));
	if (!b->name || !b->addrs)
		return -ENOMEM;
	b->addrs[0].p = t->gw;
	b->naddrs = 1;
	b->subnet = t->net;
	for (i = 1; i <= n; i++)
		if ((ret = add_host(t, i, 0, 0)))
			return ret;
	return 0;
}

static int build_linear(struct topo *t, unsigned long n)
{
	unsigned long i;
	int ret;

	for (i = 1; i <= n; i++)
		if ((ret = add_bridge(t, i, i == 1)))
			return ret;
	for (i = 1; i <= n; i++)
		if ((ret = add_host(t, i, i - 1, i + 1)))
			return ret;
	for (i = 1; i < n; i++)
		if ((ret = add_link(t, i - 1, i)))
			return ret;
	return 0;
}

/* Bridges numbered breadth-first s1..; F hosts on each bridge of the last level. */
static int build_tree(struct topo *t, unsigned long depth, unsigned long fanout)
{
	unsigned long level, i, k, first = 0, count = 1, host = 0, nb = 0;
	int ret;

	for (level = 0; level < depth; level++) {
		for (i = 0; i < count; i++) {
			nb++;
			if ((ret = add_bridge(t, nb, nb == 1)))
				return ret;
			if (level && (ret = add_link(t, first - count / fanout + i / fanout,
						     nb - 1)))
				return ret;
		}
		first += count;
		count *= fanout;
	}
	/* leaves: the last level's bridges, indices first - count/fanout .. first - 1 */
	for (i = first - count / fanout; i < first; i++)
		for (k = 0; k < fanout; k++) {
			host++;
			if ((ret = add_host(t, host, i, host + 1)))
				return ret;
		}
	return 0;
}

int nsnet_lab_topo(const char *spec, struct nsnet_lab **out, struct nsnet_err *err)
{
	struct topo t = { 0 };
	unsigned long a = 0, b = 0, hosts = 0, bridges = 0, i, p;
	const char *s, *e = NULL;
	int ret, kind;

	*out = NULL;
	if (!spec)
		spec = "";
	if (!strncmp(spec, "star,", 5))
		kind = 0;
	else if (!strncmp(spec, "linear,", 7))
		kind = 1;
	else if (!strncmp(spec, "tree,", 5))
		kind = 2;
	else
		return nsnet_err_set(err, -EINVAL, "topology \"%.64s\": unknown kind (expected "
				     "star,N  linear,N  tree,DEPTH,FANOUT)", spec);
	s = strchr(spec, ',') + 1;
	ret = parse_num(s, &e, &a);
	if (!ret && kind == 2)
		ret = *e == ',' ? parse_num(e + 1, &e, &b) : -EINVAL;
	if (ret || *e)
		return nsnet_err_set(err, -EINVAL, "topology \"%.64s\": expected %s", spec,
				     kind == 2 ? "tree,DEPTH,FANOUT with numbers" :
				     kind ? "linear,N with a number" : "star,N with a number");
	if (kind < 2) {
		hosts = bridges = a;
	} else if (a >= 1 && b >= 1) {
		for (i = 0, p = 1; i < a && bridges <= TOPO_MAX && p <= TOPO_MAX; i++) {
			bridges += p;
			p *= b;
		}
		hosts = i < a ? TOPO_MAX + 1 : p;
	}
	if (a < 1 || (kind == 2 && b < 1))
		return nsnet_err_set(err, -EINVAL, "topology \"%.64s\": %s must be at least 1",
				     spec, kind == 2 ? "DEPTH and FANOUT" : "N");
	if (hosts > TOPO_MAX || bridges > TOPO_MAX)
		return nsnet_err_set(err, -EINVAL, "topology \"%.64s\": more than %d %s", spec,
				     TOPO_MAX, hosts > TOPO_MAX ? "hosts" : "bridges");
	if (kind == 0 && fabric_leaves(a) == ~0ul)
		return nsnet_err_set(err, -EINVAL, "topology \"%.64s\": with bridges of %d ports, "
				     "a chain of leaf bridges has no port left for hosts", spec,
				     nsnet__bridge_port_max());
	/* a tree's bridge: FANOUT below it, its uplink above (not the root's) */
	if (kind == 2 && b + (a > 1) > (unsigned long)nsnet__bridge_port_max())
		return nsnet_err_set(err, -EINVAL, "topology \"%.64s\": a bridge would have %lu "
				     "ports, more than a Linux bridge holds (%d)%s", spec,
				     b + (a > 1), nsnet__bridge_port_max(),
				     a == 1 ? "; star,N builds a fabric of bridges for that" : "");
	if (kind == 0 && fabric_leaves(a) >= TOPO_MAX)
		return nsnet_err_set(err, -EINVAL, "topology \"%.64s\": more than %d bridges",
				     spec, TOPO_MAX);
	t.lab = calloc(1, sizeof(*t.lab));
	if (!t.lab)
		return nsnet_err_set(err, -ENOMEM, "out of memory");
	/* one subnet: /16 for star and linear; the tree's sized to fit (at most /24) */
	p = 16;
	if (kind == 2)
		for (p = 24; p > 8 && (1ul << (32 - p)) < hosts + 3; p--)
			;
	nsnet_prefix_parse("10.0.0.0/16", &t.net, 1);
	t.net.plen = (int)p;
	nsnet_prefix_host(&t.net, 1, &t.gw);
	t.gw.plen = t.net.plen;
	t.lab->prefix = strdup("");
	if (kind == 2)
		ret = asprintf(&t.lab->name, "tree-%lu-%lu", a, b);
	else
		ret = asprintf(&t.lab->name, "%s-%lu", kind ? "linear" : "star", a);
	if (ret < 0)
		t.lab->name = NULL;
	ret = 0;
	if (!ret && asprintf(&t.lab->file, "<topo %s>", spec) < 0) {
		t.lab->file = NULL;
		ret = -ENOMEM;
	}
	if (!ret && (!t.lab->prefix || !t.lab->name))
		ret = -ENOMEM;
	if (!ret)
		ret = kind == 0 ? build_star(&t, a) : kind == 1 ? build_linear(&t, a) :
		      build_tree(&t, a, b);
	if (ret) {
		nsnet_lab_free(t.lab);
		return nsnet_err_set(err, ret, "topology \"%.64s\": %s", spec, strerror(-ret));
	}
	*out = t.lab;
	return 0;
}
