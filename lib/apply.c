// SPDX-License-Identifier: MIT
/*
 * Lab up/down: a checked model becomes kernel objects, recorded in the
 * ownership journal before each is created, and goes away from that journal.
 *
 * up, in phases (each phase batched; one rtnetlink socket per namespace):
 *   0. preflight (read-only): not up yet, no clashing namespace/link/table
 *   1. journal every intended namespace and host link in one write
 *   2. host: bridges (+alias, mtu, up), then their addresses
 *   3. namespaces: created on a worker thread that opens the node's netlink
 *      socket inside and records the namespace inode before binding it
 *   4. host batch: every veth to a bridge created with master+up, the peer
 *      created directly inside its node (IFLA_NET_NS_FD); bridge<->bridge
 *      veths; node batches: node<->node cables (peer in the other node)
 *   5. per node: lo up + ifindex lookups, then ifaces up, addresses, routes
 *   6. node sysctls, NAT table + held host sysctls, node commands
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nsnet/apply.h"
#include "apply-int.h"
#include "nsnet/link.h"
#include "nsnet/nat.h"
#include "nsnet/netns.h"
#include "nsnet/nl.h"
#include "nsnet/state.h"
#include "nsnet/sysctl.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

#define FWD_KEY NSNET_FWD_KEY
#define FWD6_KEY NSNET_FWD6_KEY

void nsnet_lab_alias(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "nsnet:%s", name);
}

/*
 * Device group marking the lab's host links from the moment they exist (the
 * kernel applies IFLA_GROUP at creation but not IFLA_IFALIAS): a link whose
 * alias could not be set yet is still recognisably ours.
 */
uint32_t nsnet_lab_group(const char *name)
{
	uint32_t h = 2166136261u;

	for (; *name; name++)
		h = (h ^ (uint8_t)*name) * 16777619u;
	return 0x6e000000u | (h & 0xffffffu);
}

/* Ours: the alias says so, or no alias yet and our group (crash or failure in between). */
static int owned(const struct nsnet_link_info *l, const char *alias, uint32_t group)
{
	return !strcmp(l->alias, alias) || (!l->alias[0] && l->group == group);
}

static const char *where(const struct nsnet_lab *lab, const struct nsnet_loc *loc, char *buf,
			 size_t len)
{
	return nsnet_lab_where(lab, loc, buf, len);
}

static void progress_step(nsnet_progress_fn fn, void *arg, const char *phase, size_t done,
			  size_t total)
{
	if (fn && (done == total || (done & 63) == 0))
		fn(phase, done, total, arg);
}

/* ---- names on the host -------------------------------------------------------- */

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct nsnet_link_info *)a)->name,
		      ((const struct nsnet_link_info *)b)->name);
}

static struct nsnet_link_info *find_link(struct nsnet_link_info *v, int n, const char *name)
{
	struct nsnet_link_info key;

	if (!name)
		return NULL;
	snprintf(key.name, sizeof(key.name), "%s", name);
	return bsearch(&key, v, (size_t)n, sizeof(*v), cmp_name);
}

static int host_links(struct nsnet_nl *nl, struct nsnet_link_info **v, struct nsnet_err *err)
{
	int n = nsnet_link_list(nl, v, err);

	if (n > 0)
		qsort(*v, (size_t)n, sizeof(**v), cmp_name);
	return n;
}

/* Call @fn for every host-side link name the lab would create. */
static int each_host_name(const struct nsnet_lab *lab,
			  int (*fn)(const char *name, const struct nsnet_loc *loc, const char *what,
				    void *arg),
			  void *arg)
{
	size_t i, j;
	int ret;

	for (i = 0; i < lab->nbridges; i++) {
		ret = fn(lab->bridges[i].name, &lab->bridges[i].loc, "bridge", arg);
		if (ret)
			return ret;
	}
	for (i = 0; i < lab->nnodes; i++) {
		const struct nsnet_lab_node *n = &lab->nodes[i];

		for (j = 0; j < n->nifaces; j++) {
			if (n->ifaces[j].kind != NSNET_IFACE_BRIDGE || !n->ifaces[j].host_name)
				continue;
			ret = fn(n->ifaces[j].host_name, &n->ifaces[j].loc, "veth", arg);
			if (ret)
				return ret;
		}
	}
	for (i = 0; i < lab->nlinks; i++) {
		const struct nsnet_lab_link *l = &lab->links[i];

		for (j = 0; j < 2; j++) {
			if (l->end[j].bridge_idx < 0 || !l->host_name[j])
				continue;
			ret = fn(l->host_name[j], &l->loc, "veth", arg);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* ---- preflight -------------------------------------------------------------------- */

struct clash_ctx {
	const struct nsnet_lab *lab;
	struct nsnet_link_info *links;
	int nlinks;
	struct nsnet_err *err;
};

static int clash_cb(const char *name, const struct nsnet_loc *loc, const char *what, void *arg)
{
	struct clash_ctx *c = arg;
	char w[300];

	if (!find_link(c->links, c->nlinks, name))
		return 0;
	return nsnet_err_set(c->err, -EEXIST,
			     "%s: %s \"%s\": a link with that name already exists on the host "
			     "and is not this lab's", where(c->lab, loc, w, sizeof(w)), what, name);
}

static int nat_wanted(const struct nsnet_lab *lab)
{
	return lab->nat.nmasq || lab->nat.nfwd;
}

static void nat_table(const struct nsnet_lab *lab, char *buf, size_t len)
{
	snprintf(buf, len, "nsnet-%s", lab->name);
}

int nsnet_lab_preflight(const struct nsnet_lab *lab, struct nsnet_err *err)
{
	struct clash_ctx c = { .lab = lab, .err = err };
	struct nsnet_nl *nl = NULL;
	char w[300], table[96];
	size_t i;
	int ret;

	if (nsnet_state_exists(lab->name))
		return nsnet_err_set(err, -EEXIST, "lab \"%s\" is already up (nsnet down %s)",
				     lab->name, lab->name);
	for (i = 0; i < lab->nnodes; i++)
		if (nsnet_netns_exists(lab->nodes[i].ns))
			return nsnet_err_set(err, -EEXIST,
					     "%s: node \"%s\": namespace \"%s\" already exists in "
					     "%s and is not this lab's",
					     where(lab, &lab->nodes[i].loc, w, sizeof(w)),
					     lab->nodes[i].name, lab->nodes[i].ns, nsnet_netns_dir());
	ret = nsnet_nl_open(&nl, -1, err);
	if (ret < 0)
		return ret;
	c.nlinks = host_links(nl, &c.links, err);
	if (c.nlinks < 0) {
		ret = c.nlinks;
		goto out;
	}
	ret = each_host_name(lab, clash_cb, &c);
	if (ret)
		goto out;
	if (nat_wanted(lab)) {
		nat_table(lab, table, sizeof(table));
		ret = nsnet_nat_exists(table, err);
		if (ret > 0)
			ret = nsnet_err_set(err, -EEXIST,
					    "%s: nat: nftables table \"inet %s\" already exists and "
					    "is not this lab's", where(lab, &lab->nat.loc, w, sizeof(w)),
					    table);
		else if (ret == 0)
			ret = 0;
	}
out:
	free(c.links);
	nsnet_nl_close(nl);
	return ret;
}

/* ---- up ------------------------------------------------------------------------- */

struct node_rt {
	struct nsnet_nl *nl;
	int nsfd;
	struct nsnet_link_info *ifs;	/* per iface: filled by GET */
};

struct up_ctx {
	uint32_t group;
	struct nsnet_lab *lab;
	struct nsnet_nl *host;
	int host_nsfd;
	struct node_rt *rt;
	int *br_index;
	char alias[80];
	struct nsnet_err *err;
};

/* Runs inside the new namespace of node @i, before it is bound to its name. */
static int in_new_ns(size_t i, void *p)
{
	struct up_ctx *c = p;
	struct node_rt *rt = &c->rt[i];
	struct stat st;
	int ret;

	rt->nsfd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (rt->nsfd < 0 || fstat(rt->nsfd, &st) < 0)
		return nsnet_err_set(c->err, -errno, "open new namespace: %s", strerror(errno));
	ret = nsnet_state_log(c->lab->name, c->err, "nsino %s %lu %lu", c->lab->nodes[i].ns,
			      (unsigned long)st.st_dev, (unsigned long)st.st_ino);
	if (ret < 0)
		return ret;
	return nsnet_nl_open(&rt->nl, -1, c->err);
}

/* Only after the link's creation was acknowledged (it is ours), mark it. */
static void set_alias(struct up_ctx *c, const char *name)
{
	struct nsnet_link_req a = NSNET_LINK_REQ_INIT;

	a.name = name;
	a.alias = c->alias;
	nsnet_link_set(c->host, &a);
}

static int phase_bridges(struct up_ctx *c)
{
	struct nsnet_lab *lab = c->lab;
	struct nsnet_link_info *info;
	char w[300];
	size_t i, j;
	int ret;

	if (!lab->nbridges)
		return 0;
	for (i = 0; i < lab->nbridges; i++) {
		struct nsnet_lab_bridge *b = &lab->bridges[i];
		struct nsnet_link_req a = NSNET_LINK_REQ_INIT;

		a.name = b->name;
		a.mtu = b->mtu;
		a.up = 1;
		a.group = c->group;
		nsnet_nl_context(c->host, "%s: bridge %s", where(lab, &b->loc, w, sizeof(w)),
				 b->name);
		nsnet_link_add_bridge(c->host, &a);
	}
	ret = nsnet_nl_flush(c->host, c->err);
	if (ret < 0)
		return ret;
	info = calloc(lab->nbridges, sizeof(*info));
	if (!info)
		return nsnet_err_set(c->err, -ENOMEM, "out of memory");
	for (i = 0; i < lab->nbridges; i++) {
		set_alias(c, lab->bridges[i].name);
		nsnet_link_get_req(c->host, lab->bridges[i].name, &info[i]);
	}
	ret = nsnet_nl_flush(c->host, c->err);
	if (ret < 0)
		goto out;
	for (i = 0; i < lab->nbridges; i++) {
		struct nsnet_lab_bridge *b = &lab->bridges[i];

		c->br_index[i] = info[i].ifindex;
		nsnet_nl_context(c->host, "%s: bridge %s", where(lab, &b->loc, w, sizeof(w)),
				 b->name);
		for (j = 0; j < b->naddrs; j++)
			nsnet_addr_add(c->host, c->br_index[i], &b->addrs[j].p);
	}
	ret = nsnet_nl_flush(c->host, c->err);
out:
	nsnet_nl_context(c->host, NULL);
	free(info);
	return ret;
}

static int phase_namespaces(struct up_ctx *c, nsnet_progress_fn progress, void *parg)
{
	struct nsnet_lab *lab = c->lab;
	const char **names;
	size_t i, done = 0;
	char w[300];
	int ret;

	names = calloc(lab->nnodes + 1, sizeof(*names));
	if (!names)
		return nsnet_err_set(c->err, -ENOMEM, "out of memory");
	for (i = 0; i < lab->nnodes; i++)
		names[i] = lab->nodes[i].ns;
	ret = nsnet_netns_add_many(names, lab->nnodes, in_new_ns, c, &done, c->err);
	if (ret < 0 && done < lab->nnodes)
		nsnet_err_where(c->err, "%s: node \"%s\"",
				where(lab, &lab->nodes[done].loc, w, sizeof(w)), lab->nodes[done].name);
	progress_step(progress, parg, "namespaces", done, lab->nnodes);
	free(names);
	return ret;
}

/* veth: one end in a node, the other on a host bridge (created with master + up). */
static void add_bridge_veth(struct up_ctx *c, size_t ni, size_t ii, const char *host_name,
			    int bridge_idx, int mtu, const struct nsnet_loc *loc)
{
	struct nsnet_lab_node *n = &c->lab->nodes[ni];
	struct nsnet_lab_iface *f = &n->ifaces[ii];
	struct nsnet_link_req a = NSNET_LINK_REQ_INIT, p = NSNET_LINK_REQ_INIT;
	char w[300];

	a.name = host_name;
	a.master = c->br_index[bridge_idx];
	a.up = 1;
	a.mtu = mtu;
	a.group = c->group;
	p.name = f->name;
	p.netns_fd = c->rt[ni].nsfd;
	p.mtu = mtu;
	p.mac = f->has_mac ? f->mac : NULL;
	nsnet_nl_context(c->host, "%s: node %s interface %s", where(c->lab, loc, w, sizeof(w)),
			 n->name, f->name);
	nsnet_link_add_veth(c->host, &a, &p);
}

static int alias_cb(const char *name, const struct nsnet_loc *loc, const char *what, void *arg)
{
	struct up_ctx *c = arg;

	if (strcmp(what, "bridge"))	/* bridges were marked in their own phase */
		set_alias(c, name);
	return 0;
}

static int phase_links(struct up_ctx *c, nsnet_progress_fn progress, void *parg)
{
	struct nsnet_lab *lab = c->lab;
	char w[300];
	size_t i, j;
	int ret;

	for (i = 0; i < lab->nnodes; i++) {
		struct nsnet_lab_node *n = &lab->nodes[i];

		for (j = 0; j < n->nifaces; j++) {
			struct nsnet_lab_iface *f = &n->ifaces[j];

			if (f->kind == NSNET_IFACE_BRIDGE)
				add_bridge_veth(c, i, j, f->host_name, f->bridge_idx, f->mtu, &f->loc);
		}
		progress_step(progress, parg, "links", i + 1, lab->nnodes);
	}
	for (i = 0; i < lab->nlinks; i++) {
		struct nsnet_lab_link *l = &lab->links[i];
		struct nsnet_lab_end *e0 = &l->end[0], *e1 = &l->end[1];
		struct nsnet_link_req a = NSNET_LINK_REQ_INIT, p = NSNET_LINK_REQ_INIT;

		if (e0->node_idx >= 0 && e1->node_idx >= 0) {
			/* node<->node cable: created from node 0's socket, peer in node 1 */
			struct nsnet_lab_iface *f0 = &lab->nodes[e0->node_idx].ifaces[e0->iface_idx];
			struct nsnet_lab_iface *f1 = &lab->nodes[e1->node_idx].ifaces[e1->iface_idx];
			struct nsnet_nl *nl = c->rt[e0->node_idx].nl;

			a.name = f0->name;
			a.mtu = l->mtu ? l->mtu : f0->mtu;
			a.mac = f0->has_mac ? f0->mac : NULL;
			p.name = f1->name;
			p.mtu = l->mtu ? l->mtu : f1->mtu;
			p.mac = f1->has_mac ? f1->mac : NULL;
			p.netns_fd = c->rt[e1->node_idx].nsfd;
			nsnet_nl_context(nl, "%s: link %s -- %s", where(lab, &l->loc, w, sizeof(w)),
					 e0->text, e1->text);
			nsnet_link_add_veth(nl, &a, &p);
		} else if (e0->node_idx >= 0 || e1->node_idx >= 0) {
			/* node<->bridge */
			int nend = e0->node_idx >= 0 ? 0 : 1;
			struct nsnet_lab_end *ne = &l->end[nend], *be = &l->end[1 - nend];
			struct nsnet_lab_iface *f = &lab->nodes[ne->node_idx].ifaces[ne->iface_idx];

			if (f->kind == NSNET_IFACE_BRIDGE)
				continue;	/* the checker already made it a bridge iface */
			add_bridge_veth(c, (size_t)ne->node_idx, (size_t)ne->iface_idx,
					l->host_name[1 - nend] ? l->host_name[1 - nend] : f->host_name,
					be->bridge_idx, l->mtu ? l->mtu : f->mtu, &l->loc);
		} else {
			/* bridge<->bridge */
			a.name = l->host_name[0];
			a.master = c->br_index[e0->bridge_idx];
			a.up = 1;
			a.mtu = l->mtu;
			a.group = c->group;
			p.name = l->host_name[1];
			p.mtu = l->mtu;
			p.group = c->group;
			nsnet_nl_context(c->host, "%s: link %s -- %s",
					 where(lab, &l->loc, w, sizeof(w)), e0->text, e1->text);
			nsnet_link_add_veth(c->host, &a, &p);
		}
	}
	nsnet_nl_context(c->host, NULL);
	ret = nsnet_nl_flush(c->host, c->err);
	if (ret < 0)
		return ret;
	/* second host batch: aliases (creates acknowledged), bridge<->bridge peers */
	each_host_name(lab, alias_cb, c);
	for (i = 0; i < lab->nlinks; i++) {
		struct nsnet_lab_link *l = &lab->links[i];
		struct nsnet_link_req a = NSNET_LINK_REQ_INIT;

		if (l->end[0].node_idx >= 0 || l->end[1].node_idx >= 0)
			continue;
		a.name = l->host_name[1];
		a.master = c->br_index[l->end[1].bridge_idx];
		a.up = 1;
		nsnet_link_set(c->host, &a);
	}
	ret = nsnet_nl_flush(c->host, c->err);
	for (i = 0; i < lab->nnodes && ret >= 0; i++)
		ret = nsnet_nl_flush(c->rt[i].nl, c->err);
	return ret;
}

static int iface_index(const struct nsnet_lab_node *n, const struct node_rt *rt, const char *dev)
{
	size_t j;

	for (j = 0; j < n->nifaces; j++)
		if (!strcmp(n->ifaces[j].name, dev))
			return rt->ifs[j].ifindex;
	return 0;
}

static int phase_configure(struct up_ctx *c, nsnet_progress_fn progress, void *parg)
{
	struct nsnet_lab *lab = c->lab;
	char w[300];
	size_t i, j, k;
	int ret;

	for (i = 0; i < lab->nnodes; i++) {
		struct nsnet_lab_node *n = &lab->nodes[i];
		struct node_rt *rt = &c->rt[i];
		struct nsnet_link_req a = NSNET_LINK_REQ_INIT;

		rt->ifs = calloc(n->nifaces ? n->nifaces : 1, sizeof(*rt->ifs));
		if (!rt->ifs)
			return nsnet_err_set(c->err, -ENOMEM, "out of memory");
		nsnet_nl_context(rt->nl, "%s: node %s", where(lab, &n->loc, w, sizeof(w)), n->name);
		a.ifindex = 1;	/* lo */
		a.up = 1;
		nsnet_link_set(rt->nl, &a);
		for (j = 0; j < n->nifaces; j++)
			nsnet_link_get_req(rt->nl, n->ifaces[j].name, &rt->ifs[j]);
		ret = nsnet_nl_flush(rt->nl, c->err);
		if (ret < 0)
			return ret;
		for (j = 0; j < n->nifaces; j++) {
			struct nsnet_lab_iface *f = &n->ifaces[j];

			nsnet_nl_context(rt->nl, "%s: node %s interface %s",
					 where(lab, &f->loc, w, sizeof(w)), n->name, f->name);
			a = (struct nsnet_link_req)NSNET_LINK_REQ_INIT;
			a.ifindex = rt->ifs[j].ifindex;
			a.up = 1;
			nsnet_link_set(rt->nl, &a);
			for (k = 0; k < f->naddrs; k++)
				nsnet_addr_add(rt->nl, rt->ifs[j].ifindex, &f->addrs[k].p);
		}
		for (j = 0; j < n->nroutes; j++) {
			struct nsnet_route r = n->routes[j].r;

			nsnet_nl_context(rt->nl, "%s: node %s route \"%s\"",
					 where(lab, &n->routes[j].loc, w, sizeof(w)), n->name,
					 n->routes[j].text);
			if (r.dev[0])
				r.oif = iface_index(n, rt, r.dev);
			nsnet_route_add(rt->nl, &r);
		}
		nsnet_nl_context(rt->nl, NULL);
		ret = nsnet_nl_flush(rt->nl, c->err);
		if (ret < 0)
			return ret;
		for (j = 0; j < n->nsysctls; j++) {
			ret = nsnet_sysctl(rt->nsfd, n->sysctls[j].key, n->sysctls[j].value, NULL, 0,
					   c->err);
			if (ret < 0) {
				nsnet_err_where(c->err, "%s: node %s sysctl %s",
						where(lab, &n->sysctls[j].loc, w, sizeof(w)), n->name,
						n->sysctls[j].key);
				return ret;
			}
		}
		progress_step(progress, parg, "addresses", i + 1, lab->nnodes);
	}
	return 0;
}

/*
 * (Re)write the lab's NAT table — its file's masquerade and forwards plus
 * @extra runtime forwards — in one transaction, and the host settings it
 * needs: ip_forward (held; restored by the last lab to go), route_localnet on
 * the lab bridges (127.0.0.1 forwards), hairpin on their ports (a node reaching
 * its own forward through the host).
 */
int nsnet__nat_apply_all(const struct nsnet_lab *lab, const struct nsnet_forward *extra,
			  size_t nextra, struct nsnet_err *err)
{
	struct nsnet_nat_spec spec = { 0 };
	struct nsnet_nat_fwd *fwd = NULL;
	struct nsnet_prefix *masq = NULL;
	const char **bridges = NULL;
	char table[96], w[300], key[128];
	size_t i, nfwd = lab->nat.nfwd + nextra;
	int v6 = 0, ret;

	if (!lab->nat.nmasq && !nfwd)
		return 0;
	nat_table(lab, table, sizeof(table));
	bridges = calloc(lab->nbridges + 1, sizeof(*bridges));
	masq = calloc(lab->nat.nmasq + 1, sizeof(*masq));
	fwd = calloc(nfwd + 1, sizeof(*fwd));
	if (!bridges || !masq || !fwd) {
		ret = nsnet_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < lab->nbridges; i++)
		bridges[i] = lab->bridges[i].name;
	for (i = 0; i < lab->nat.nmasq; i++) {
		masq[i] = lab->nat.masq[i].p;
		v6 |= masq[i].family == AF_INET6;
	}
	for (i = 0; i < lab->nat.nfwd; i++) {
		const struct nsnet_lab_forward *f = &lab->nat.fwd[i];

		fwd[i].port = f->port;
		fwd[i].to_port = f->to_port;
		fwd[i].count = f->count ? f->count : 1;
		fwd[i].proto = f->proto;
		fwd[i].host_addr = f->host_addr;
		fwd[i].to_addr = f->to_addr;
	}
	for (i = 0; i < nextra; i++) {
		struct nsnet_nat_fwd *f = &fwd[lab->nat.nfwd + i];

		f->port = extra[i].port;
		f->to_port = extra[i].to_port;
		f->count = extra[i].count ? extra[i].count : 1;
		f->proto = extra[i].proto;
		f->host_addr = extra[i].host_addr;
		f->to_addr = extra[i].to_addr;
	}
	spec.table = table;
	spec.bridges = bridges;
	spec.nbridges = lab->nbridges;
	spec.masq = masq;
	spec.nmasq = lab->nat.nmasq;
	spec.fwd = fwd;
	spec.nfwd = nfwd;
	ret = nsnet_nat_apply(&spec, err);
	if (ret < 0) {
		nsnet_err_where(err, "%s: nat", where(lab, &lab->nat.loc, w, sizeof(w)));
		goto out;
	}
	for (i = 0; i < lab->nbridges && nfwd; i++) {
		snprintf(key, sizeof(key), "net/ipv4/conf/%s/route_localnet", lab->bridges[i].name);
		ret = nsnet_sysctl(-1, key, "1", NULL, 0, err);
		if (ret < 0)
			goto out;
	}
	if (nfwd) {
		struct nsnet_nl *nl;
		size_t j;

		ret = nsnet_nl_open(&nl, -1, err);
		if (ret < 0)
			goto out;
		for (i = 0; i < lab->nnodes; i++) {
			for (j = 0; j < lab->nodes[i].nifaces; j++) {
				const struct nsnet_lab_iface *f = &lab->nodes[i].ifaces[j];
				struct nsnet_link_req a = NSNET_LINK_REQ_INIT;

				if (f->kind != NSNET_IFACE_BRIDGE || !f->host_name)
					continue;
				a.name = f->host_name;
				a.hairpin = 1;
				nsnet_link_set(nl, &a);
			}
		}
		ret = nsnet_nl_flush(nl, err);
		nsnet_nl_close(nl);
		if (ret < 0)
			goto out;
	}
	ret = nsnet_state_hold_sysctl(lab->name, FWD_KEY, "1", err);
	if (ret >= 0 && v6)
		ret = nsnet_state_hold_sysctl(lab->name, FWD6_KEY, "1", err);
out:
	free(bridges);
	free(masq);
	free(fwd);
	return ret;
}

static int phase_nat(struct up_ctx *c)
{
	return nsnet__nat_apply_all(c->lab, NULL, 0, c->err);
}

/* Start node commands; each waits on a pipe until its pid is journaled. */
static int phase_cmds(struct up_ctx *c)
{
	struct nsnet_lab *lab = c->lab;
	size_t i, j;
	int ret = 0;

	for (i = 0; i < lab->nnodes; i++) {
		struct nsnet_lab_node *n = &lab->nodes[i];

		for (j = 0; j < n->ncmds; j++) {
			char log[PATH_MAX], file[300];
			unsigned long long start;
			int pfd[2], fd;
			pid_t pid;

			if (pipe2(pfd, O_CLOEXEC) < 0)
				return nsnet_err_set(c->err, -errno, "pipe: %s", strerror(errno));
			snprintf(file, sizeof(file), "%s.log", n->name);
			nsnet_state_path(lab->name, file, log, sizeof(log));
			fflush(NULL);
			pid = fork();
			if (pid < 0) {
				close(pfd[0]);
				close(pfd[1]);
				return nsnet_err_set(c->err, -errno, "fork: %s", strerror(errno));
			}
			if (pid == 0) {
				char go;

				close(pfd[1]);
				if (read(pfd[0], &go, 1) != 1)
					_exit(1);
				setsid();
				if (nsnet_netns_switch(n->ns, NULL) < 0)
					_exit(1);
				fd = open("/dev/null", O_RDONLY);
				if (fd >= 0)
					dup2(fd, 0);
				fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0600);
				if (fd >= 0) {
					dup2(fd, 1);
					dup2(fd, 2);
				}
				execl("/bin/sh", "sh", "-c", n->cmds[j], (char *)NULL);
				_exit(127);
			}
			close(pfd[0]);
			start = nsnet_proc_start(pid);
			ret = nsnet_state_log(lab->name, c->err, "pid %d %llu", (int)pid, start);
			if (ret == 0 && write(pfd[1], "g", 1) != 1)
				ret = nsnet_err_set(c->err, -EIO, "cannot start command");
			close(pfd[1]);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

static int intent_cb(const char *name, const struct nsnet_loc *loc, const char *what, void *arg)
{
	char **buf = arg;
	size_t len = strlen(*buf), add = strlen(name) + 7;
	char *nb = realloc(*buf, len + add);

	if (!nb)
		return -ENOMEM;
	snprintf(nb + len, add, "link %s\n", name);
	*buf = nb;
	return 0;
}

static int journal_intents(struct up_ctx *c)
{
	struct nsnet_lab *lab = c->lab;
	char *buf = calloc(1, 1), *nb, table[96];
	size_t i, len;
	int ret;

	if (!buf)
		return nsnet_err_set(c->err, -ENOMEM, "out of memory");
	for (i = 0; i < lab->nnodes && buf; i++) {
		len = strlen(buf);
		nb = realloc(buf, len + strlen(lab->nodes[i].ns) + 5);
		if (!nb)
			break;
		buf = nb;
		sprintf(buf + len, "ns %s\n", lab->nodes[i].ns);
	}
	if (i < lab->nnodes || each_host_name(lab, intent_cb, &buf) < 0) {
		free(buf);
		return nsnet_err_set(c->err, -ENOMEM, "out of memory");
	}
	if (nat_wanted(lab)) {
		nat_table(lab, table, sizeof(table));
		len = strlen(buf);
		nb = realloc(buf, len + strlen(table) + strlen(FWD_KEY) + strlen(FWD6_KEY) +
			     sizeof("nft \nhold \nhold \n"));
		if (!nb) {
			free(buf);
			return nsnet_err_set(c->err, -ENOMEM, "out of memory");
		}
		buf = nb;
		sprintf(buf + len, "nft %s\nhold %s\nhold %s\n", table, FWD_KEY, FWD6_KEY);
	}
	len = strlen(buf);
	ret = len ? nsnet_state_append(lab->name, buf, len, c->err) : 0;
	free(buf);
	return ret;
}

static int down_locked(const char *name, nsnet_progress_fn progress, void *parg,
		       struct nsnet_err *err);

int nsnet_lab_up(struct nsnet_lab *lab, const struct nsnet_lab_source *src,
		 nsnet_progress_fn progress, void *parg, struct nsnet_err *err)
{
	struct up_ctx c = { .lab = lab, .err = err, .host_nsfd = -1 };
	int lock, ret;
	size_t i;

	lock = nsnet_state_lock(lab->name, err);
	if (lock < 0)
		return lock;
	ret = nsnet_lab_preflight(lab, err);
	if (ret < 0)
		goto out_unlock;
	ret = nsnet_state_create(lab->name, err);
	if (ret < 0)
		goto out_unlock;
	nsnet_lab_alias(lab->name, c.alias, sizeof(c.alias));
	c.group = nsnet_lab_group(lab->name);
	ret = nsnet_state_log(lab->name, err, "lab %s", lab->name);
	if (ret == 0)
		ret = nsnet_state_log(lab->name, err, "source %s %s", src->kind,
				      src->arg ? src->arg : "-");
	if (ret == 0 && src->text)
		ret = nsnet_state_put(lab->name, "lab.yaml", src->text, src->len, err);
	if (ret < 0)
		goto fail;
	c.rt = calloc(lab->nnodes + 1, sizeof(*c.rt));
	c.br_index = calloc(lab->nbridges + 1, sizeof(*c.br_index));
	if (!c.rt || !c.br_index) {
		ret = nsnet_err_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < lab->nnodes; i++)
		c.rt[i].nsfd = -1;
	c.host_nsfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ret = c.host_nsfd < 0 ? nsnet_err_set(err, -errno, "open /proc/self/ns/net: %s",
					      strerror(errno)) : 0;
	if (ret == 0)
		ret = nsnet_nl_open(&c.host, -1, err);
	if (ret == 0)
		ret = journal_intents(&c);
	if (ret == 0)
		ret = phase_bridges(&c);
	if (ret == 0)
		ret = phase_namespaces(&c, progress, parg);
	if (ret == 0)
		ret = phase_links(&c, progress, parg);
	if (ret == 0)
		ret = phase_configure(&c, progress, parg);
	if (ret == 0)
		ret = phase_nat(&c);
	if (ret == 0)
		ret = phase_cmds(&c);
	if (ret == 0)
		ret = nsnet_state_log(lab->name, err, "up");
fail:
	if (c.rt) {
		for (i = 0; i < lab->nnodes; i++) {
			nsnet_nl_close(c.rt[i].nl);
			if (c.rt[i].nsfd >= 0)
				close(c.rt[i].nsfd);
			free(c.rt[i].ifs);
		}
	}
	free(c.rt);
	free(c.br_index);
	nsnet_nl_close(c.host);
	if (c.host_nsfd >= 0)
		close(c.host_nsfd);
	if (ret < 0) {
		/* roll back everything this run created; keep the first error */
		struct nsnet_err e2 = { 0 };

		down_locked(lab->name, NULL, NULL, &e2);
	}
out_unlock:
	nsnet_state_unlock(lock);
	return ret;
}

/* ---- down ----------------------------------------------------------------------- */

struct journal {
	char **lines;
	int n;
};

/*
 * Kill the lab's recorded processes (verified by start time), then anything
 * still inside the lab's namespaces: such a process (started with nsnet exec
 * or ip netns exec) would keep the namespace and its links alive.
 */
static void kill_procs(const struct journal *j, const struct nsnet_nsid *ids, size_t nids)
{
	int i;

	for (i = 0; i < j->n; i++) {
		unsigned long long start;
		int pid;

		if (sscanf(j->lines[i], "pid %d %llu", &pid, &start) != 2 || pid <= 1)
			continue;
		if (nsnet_proc_start(pid) != start)
			continue;	/* gone, or the pid was reused */
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, WNOHANG);
	}
	nsnet_netns_kill(ids, nids);
}

static int recorded_ino(const struct journal *j, const char *ns, struct nsnet_nsid *id)
{
	char name[300];
	int i;

	for (i = 0; i < j->n; i++) {
		unsigned long dev, ino;

		if (sscanf(j->lines[i], "nsino %299s %lu %lu", name, &dev, &ino) == 3 &&
		    !strcmp(name, ns)) {
			id->dev = dev;
			id->ino = ino;
			return 1;
		}
	}
	return 0;
}

static void del_namespaces(const struct journal *j, nsnet_progress_fn progress, void *parg)
{
	char path[PATH_MAX];
	int i, total = 0, done = 0;

	for (i = 0; i < j->n; i++)
		total += !strncmp(j->lines[i], "ns ", 3);
	for (i = 0; i < j->n; i++) {
		const char *ns = j->lines[i] + 3;
		struct nsnet_nsid id;
		struct stat st;
		struct statfs fs;

		if (strncmp(j->lines[i], "ns ", 3) || nsnet_netns_name_check(ns, NULL) < 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", nsnet_netns_dir(), ns);
		progress_step(progress, parg, "namespaces", (size_t)++done, (size_t)total);
		if (lstat(path, &st) < 0)
			continue;
		if (recorded_ino(j, ns, &id)) {
			if (stat(path, &st) == 0 && (unsigned long)st.st_dev == id.dev &&
			    (unsigned long)st.st_ino == id.ino)
				nsnet_netns_del(ns, NULL);
			else if (statfs(path, &fs) == 0 && fs.f_type != NSFS_MAGIC &&
				 S_ISREG(st.st_mode) && st.st_size == 0)
				nsnet_netns_del(ns, NULL);	/* our empty mount point */
		} else if (statfs(path, &fs) == 0 && fs.f_type != NSFS_MAGIC &&
			   S_ISREG(st.st_mode) && st.st_size == 0 && (st.st_mode & 07777) == 0) {
			/* crash between creating the file and binding it: only our empty file */
			nsnet_netns_del(ns, NULL);
		}
	}
}

static int journaled_link(const struct journal *j, const char *name)
{
	int i;

	for (i = 0; i < j->n; i++)
		if (!strncmp(j->lines[i], "link ", 5) && !strcmp(j->lines[i] + 5, name))
			return 1;
	return 0;
}

/*
 * Fast path: when every host link in the lab's device group is one the
 * journal names and that carries the lab's mark, delete the whole group in
 * one request — the kernel unregisters them (and the veth peers inside the
 * nodes) in one batch instead of one grace period per link. Returns 1 if
 * done, 0 if the slow path must run (nothing deleted).
 */
static int del_link_group(const char *name, const struct journal *j, struct nsnet_err *err)
{
	struct nsnet_link_info *v = NULL;
	struct nsnet_nl *nl = NULL;
	uint32_t group = nsnet_lab_group(name);
	char alias[80];
	int i, n, members = 0, ret;

	nsnet_lab_alias(name, alias, sizeof(alias));
	ret = nsnet_nl_open(&nl, -1, err);
	if (ret < 0)
		return ret;
	n = nsnet_link_list(nl, &v, err);
	ret = n < 0 ? n : 0;
	for (i = 0; i < n; i++) {
		if (v[i].group != group)
			continue;
		if (!journaled_link(j, v[i].name) || !owned(&v[i], alias, group))
			goto out;	/* someone else's link in our group: go one by one */
		members++;
	}
	if (members) {
		nsnet_link_del_group(nl, group);
		ret = nsnet_nl_flush(nl, err);
	}
	ret = ret < 0 ? ret : 1;
out:
	free(v);
	nsnet_nl_close(nl);
	return ret;
}

/* Delete the host links of the journal that carry this lab's alias. */
static int del_links(const char *name, const struct journal *j, struct nsnet_err *err)
{
	struct nsnet_link_info *v = NULL;
	struct nsnet_nl *nl = NULL;
	char alias[80];
	int i, n, ret, waits, pending;
	uint32_t group;

	nsnet_lab_alias(name, alias, sizeof(alias));
	group = nsnet_lab_group(name);
	ret = nsnet_nl_open(&nl, -1, err);
	if (ret < 0)
		return ret;
	/*
	 * Veths whose peer was in a namespace go away with it, asynchronously and
	 * batched by the kernel: wait for that (bounded) rather than deleting them
	 * one by one; then delete what is left (bridges, bridge<->bridge veths,
	 * veths kept alive by a namespace still held elsewhere).
	 */
	for (waits = 0;; waits++) {
		n = host_links(nl, &v, err);
		if (n < 0) {
			ret = n;
			goto out;
		}
		pending = 0;
		for (i = 0; i < j->n; i++) {
			struct nsnet_link_info *l;

			if (strncmp(j->lines[i], "link ", 5))
				continue;
			l = find_link(v, n, j->lines[i] + 5);
			if (l && owned(l, alias, group) && l->link_netnsid >= 0 &&
			    !strcmp(l->kind, "veth"))
				pending++;
		}
		if (!pending || waits >= 500)
			break;
		free(v);
		v = NULL;
		usleep(waits < 20 ? 2000 : 10000);
	}
	for (i = 0; i < j->n; i++) {
		struct nsnet_link_info *l;

		if (strncmp(j->lines[i], "link ", 5))
			continue;
		l = find_link(v, n, j->lines[i] + 5);
		if (l && owned(l, alias, group))
			nsnet_link_del(nl, l->ifindex, l->name);
	}
	ret = nsnet_nl_flush(nl, err);
	if (ret == -ENODEV)
		ret = 0;	/* a bridge<->bridge peer went with its other end */
out:
	free(v);
	nsnet_nl_close(nl);
	return ret;
}

static int down_locked(const char *name, nsnet_progress_fn progress, void *parg,
		       struct nsnet_err *err)
{
	struct journal j = { 0 };
	struct nsnet_nsid *ids = NULL;
	size_t nids = 0;
	char table[300];
	int i, ret;

	if (!nsnet_state_exists(name))
		return 1;
	j.n = nsnet_state_read(name, &j.lines, err);
	if (j.n < 0)
		return j.n;
	ids = calloc((size_t)j.n + 1, sizeof(*ids));
	if (!ids) {
		ret = nsnet_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < j.n; i++) {
		char ns[300];

		if (sscanf(j.lines[i], "nsino %299s %lu %lu", ns, &ids[nids].dev,
			   &ids[nids].ino) == 3)
			nids++;
	}
	kill_procs(&j, ids, nids);
	for (i = 0; i < j.n; i++) {
		/* only the lab's own table, whatever else the journal names */
		if (sscanf(j.lines[i], "nft %299s", table) == 1 &&
		    !strncmp(table, "nsnet-", 6) && !strcmp(table + 6, name)) {
			ret = nsnet_nat_delete(table, err);
			if (ret < 0)
				goto out;
		}
	}
	for (i = 0; i < j.n; i++) {
		if (!strncmp(j.lines[i], "hold ", 5)) {
			ret = nsnet_state_release_sysctl(name, j.lines[i] + 5, err);
			if (ret < 0)
				goto out;
		}
	}
	ret = del_link_group(name, &j, err);
	if (ret < 0)
		goto out;
	del_namespaces(&j, progress, parg);
	if (ret == 0) {
		ret = del_links(name, &j, err);
		if (ret < 0)
			goto out;
	}
	ret = nsnet_state_remove(name, err);
out:
	free(ids);
	nsnet_strv_free(j.lines);
	return ret;
}

int nsnet_lab_down(const char *name, nsnet_progress_fn progress, void *parg,
		   struct nsnet_err *err)
{
	int lock, ret;

	lock = nsnet_state_lock(name, err);
	if (lock < 0)
		return lock;
	ret = down_locked(name, progress, parg, err);
	nsnet_state_unlock(lock);
	return ret;
}

int nsnet_lab_saved(const char *name, struct nsnet_lab **lab, struct nsnet_err *err)
{
	char **lines = NULL, kind[16], arg[PATH_MAX], *text = NULL;
	size_t len = 0;
	int n, i, ret = -ENOENT;

	*lab = NULL;
	n = nsnet_state_read(name, &lines, err);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		if (sscanf(lines[i], "source %15s %4095[^\n]", kind, arg) != 2)
			continue;
		if (!strcmp(kind, "seed")) {
			ret = nsnet_lab_seed(lab, err);
		} else if (!strcmp(kind, "topo")) {
			ret = nsnet_lab_topo(arg, lab, err);
		} else if (!strcmp(kind, "file")) {
			ret = nsnet_state_get(name, "lab.yaml", &text, &len, err);
			if (ret == 0)
				ret = nsnet_lab_parse(text, len, arg, lab, err);
			free(text);
		}
		break;
	}
	nsnet_strv_free(lines);
	if (ret == -ENOENT)
		return nsnet_err_set(err, -ENOENT, "lab \"%s\": no source in its state", name);
	if (ret == 0)
		ret = nsnet_lab_check(*lab, err);
	if (ret < 0) {
		nsnet_lab_free(*lab);
		*lab = NULL;
	}
	return ret;
}
