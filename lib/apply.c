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
#include <pthread.h>
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
#include "capture-int.h"
#include "cable-int.h"
#include "nsnet/link.h"
#include "nsnet/nat.h"
#include "nsnet/netns.h"
#include "nsnet/nl.h"
#include "nsnet/plan.h"
#include "nsnet/cable.h"
#include "lab-int.h"
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

/* Whether some node's files: are given as { file: SRC } (their content can change alone). */
static int has_file_src(const struct nsnet_lab *lab)
{
	size_t i, j;

	for (i = 0; i < lab->nnodes; i++)
		for (j = 0; j < lab->nodes[i].nfiles; j++)
			if (lab->nodes[i].files[j].src)
				return 1;
	return 0;
}

/*
 * An otherwise empty converge: rewrite the files: of local nodes without
 * commands whose files changed (nodes with commands get a plan: restart).
 * Returns how many nodes were rewritten, or -errno.
 */
static int files_changed(const struct nsnet_lab *from, const struct nsnet_lab *lab,
			 struct nsnet_err *err)
{
	size_t i, j;
	int n = 0, ret;

	for (i = 0; i < lab->nnodes; i++) {
		const struct nsnet_lab_node *t = &lab->nodes[i];

		if (t->ncmds || !nsnet_lab_node_local(lab, i))
			continue;
		for (j = 0; j < from->nnodes && strcmp(from->nodes[j].name, t->name); j++)
			;
		if (j < from->nnodes && nsnet__files_same(&from->nodes[j], t))
			continue;
		ret = nsnet__node_prepare(lab->name, t, err);
		if (ret < 0)
			return ret;
		n++;
	}
	return n;
}

/*
 * files: of local nodes without commands (those with commands get theirs
 * written just before the commands start, exec.c): rewritten on every up.
 */
static int files_only(const struct nsnet_lab *lab, struct nsnet_err *err)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < lab->nnodes && ret == 0; i++)
		if (lab->nodes[i].nfiles && !lab->nodes[i].ncmds && nsnet_lab_node_local(lab, i))
			ret = nsnet__node_prepare(lab->name, &lab->nodes[i], err);
	return ret;
}

static int owned(const struct nsnet_link_info *l, const char *alias, uint32_t group)
{
	return nsnet__link_owned(l, alias, group);
}

static const char *where(const struct nsnet_lab *lab, const struct nsnet_loc *loc, char *buf,
			 size_t len)
{
	return nsnet_lab_where(lab, loc, buf, len);
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

static int preflight_plan(const struct nsnet_plan *p, const char *name, struct nsnet_err *err);

int nsnet_lab_preflight(const struct nsnet_lab *lab, struct nsnet_err *err)
{
	struct clash_ctx c = { .lab = lab, .err = err };
	struct nsnet_nl *nl = NULL;
	char w[300], table[96];
	size_t i;
	int ret;

	ret = nsnet__cable_preflight(lab, err);	/* netem, if the file needs it (cable-ctl.c) */
	if (ret < 0)
		return ret;
	if (nsnet_state_exists(lab->name)) {
		/* a converge: only what the plan creates may clash */
		struct nsnet_lab *from = NULL;
		struct nsnet_plan *p = NULL;

		ret = nsnet_lab_plan(lab, &from, &p, err);
		if (ret == 0)
			ret = preflight_plan(p, lab->name, err);
		nsnet_plan_free(p);
		nsnet_lab_free(from);
		return ret;
	}
	ret = nsnet_lab_fd_check(lab, err);
	if (ret < 0)
		return ret;
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

/* ---- NAT ---------------------------------------------------------------------------- */

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

static int down_locked(const char *name, nsnet_progress_fn progress, void *parg,
		       struct nsnet_err *err);

/* ---- up: a new lab, or a converge of a running one -------------------------------------- */

/* A multi-host lab is up here as the host its journal names ("host NAME"). */
static int saved_host(const char *name, struct nsnet_lab *lab, struct nsnet_err *err)
{
	char **lines = NULL, host[300];
	int n, i, ret = 0;

	if (!lab->nhosts)
		return 0;
	n = nsnet_state_read(name, &lines, err);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++)
		if (sscanf(lines[i], "host %299s", host) == 1)
			break;
	ret = i < n ? nsnet_lab_set_host(lab, host, err) :
		      nsnet_err_set(err, -EINVAL, "lab \"%s\": its journal names no host", name);
	nsnet_strv_free(lines);
	return ret;
}

/* A recorded lab read back (@ret its parse result): checked, its host chosen. */
static int saved_finish(const char *name, struct nsnet_lab **lab, int ret, struct nsnet_err *err)
{
	if (ret == 0)
		nsnet__node_files_from_store(*lab);	/* files: given as { file: } */
	if (ret == 0)
		ret = nsnet_lab_check(*lab, err);
	if (ret == 0)
		ret = saved_host(name, *lab, err);
	if (ret < 0) {
		nsnet_lab_free(*lab);
		*lab = NULL;
	}
	return ret;
}

/* The source of a lab as a state file: "KIND ARG\n" then the file's text. */
static int put_source(const char *name, const char *file, const struct nsnet_lab_source *src,
		      struct nsnet_err *err)
{
	size_t hl = strlen(src->kind) + strlen(src->arg ? src->arg : "-") + 2;
	char *buf = malloc(hl + src->len + 1);
	int ret;

	if (!buf)
		return nsnet_err_set(err, -ENOMEM, "out of memory");
	snprintf(buf, hl + 1, "%s %s\n", src->kind, src->arg ? src->arg : "-");
	if (src->text && src->len)
		memcpy(buf + hl, src->text, src->len);
	ret = nsnet_state_replace(name, file, buf, hl + (src->text ? src->len : 0), err);
	free(buf);
	return ret;
}

/* 1 if the recorded source is @src, byte for byte. */
static int source_same(const char *name, const struct nsnet_lab_source *src)
{
	size_t hl = strlen(src->kind) + strlen(src->arg ? src->arg : "-") + 2, len = 0;
	char *text = NULL, *want = malloc(hl + src->len + 1);
	int same = 0;

	if (want && nsnet_state_get(name, "source", &text, &len, NULL) == 0) {
		snprintf(want, hl + 1, "%s %s\n", src->kind, src->arg ? src->arg : "-");
		if (src->text && src->len)
			memcpy(want + hl, src->text, src->len);
		same = len == hl + (src->text ? src->len : 0) && !memcmp(text, want, len);
	}
	free(text);
	free(want);
	return same;
}

/* The lab a source state file describes, checked. */
static int load_source(const char *name, const char *file, struct nsnet_lab **lab,
		       struct nsnet_err *err)
{
	char *text = NULL, *nl, kind[16], arg[PATH_MAX];
	size_t len = 0;
	int ret;

	*lab = NULL;
	ret = nsnet_state_get(name, file, &text, &len, err);
	if (ret < 0)
		return ret;
	nl = memchr(text, '\n', len);
	if (!nl || sscanf(text, "%15s %4095[^\n]", kind, arg) != 2) {
		ret = nsnet_err_set(err, -EINVAL, "lab \"%s\": unreadable %s", name, file);
	} else if (!strcmp(kind, "seed")) {
		ret = nsnet_lab_seed(lab, err);
	} else if (!strcmp(kind, "topo")) {
		ret = nsnet_lab_topo(arg, lab, err);
	} else if (!strcmp(kind, "file")) {
		ret = nsnet_lab_parse(nl + 1, len - (size_t)(nl + 1 - text), arg, lab, err);
	} else {
		ret = nsnet_err_set(err, -EINVAL, "lab \"%s\": unknown source kind %s", name, kind);
	}
	free(text);
	return saved_finish(name, lab, ret, err);
}

static int journal_has(char **lines, int n, const char *line)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(lines[i], line))
			return 1;
	return 0;
}

/* 1 if a converge began and did not end (crash), from the journal. */
static int converge_pending(char **lines, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--) {
		if (!strcmp(lines[i], "converged"))
			return 0;
		if (!strncmp(lines[i], "converge ", 9))
			return 1;
	}
	return 0;
}

/*
 * Nodes of the recorded lab whose namespace is not there (deleted by hand):
 * the plan recreates them. A stat per node, against the journaled inode.
 */
static uint8_t *gone_nodes(const struct nsnet_lab *from, char **lines, int n)
{
	struct nsnet__map ino = { 0 };
	uint8_t *gone = calloc(from->nnodes + 1, 1);
	char path[PATH_MAX], name[300];
	size_t i;
	int k;

	if (!gone)
		return NULL;
	for (k = n - 1; k >= 0; k--) {	/* the last line of a name wins */
		unsigned long dev, in;

		if (sscanf(lines[k], "nsino %299s %lu %lu", name, &dev, &in) == 3 &&
		    nsnet__map_put(&ino, name, strlen(name), (long)k, NULL) < 0) {
			free(gone);
			gone = NULL;
			goto out;
		}
	}
	for (i = 0; i < from->nnodes; i++) {
		const char *ns = from->nodes[i].ns;
		unsigned long dev, in;
		struct stat st;
		long v;

		snprintf(path, sizeof(path), "%s/%s", nsnet_netns_dir(), ns);
		if (!nsnet__map_get(&ino, ns, strlen(ns), &v) ||
		    sscanf(lines[v], "nsino %299s %lu %lu", name, &dev, &in) != 3 ||
		    stat(path, &st) < 0 || (unsigned long)st.st_dev != dev ||
		    (unsigned long)st.st_ino != in)
			gone[i] = 1;
	}
out:
	nsnet__map_free(&ino);
	return gone;
}

/* Number of operations that do something (implicit ones ride along). */
static size_t plan_count(const struct nsnet_plan *p)
{
	size_t i, n = 0;

	for (i = 0; i < p->n; i++)
		n += !p->ops[i].implicit;
	return n;
}

/*
 * Read-only checks of a converge: what the plan creates must not exist
 * unless it is this lab's (a host link being replaced), and a node
 * recreated because its namespace vanished must find its name free.
 */
static int preflight_plan(const struct nsnet_plan *p, const char *name, struct nsnet_err *err)
{
	const struct nsnet_lab *lab = p->to;
	struct nsnet_link_info *v = NULL;
	struct nsnet_nl *nl = NULL;
	uint32_t group = nsnet_lab_group(name);
	char alias[80], w[300], table[96];
	const char **want;
	size_t i, nn = 0;
	int n, e, ret;

	nsnet_lab_alias(name, alias, sizeof(alias));
	for (i = 0; i < p->n; i++)
		if (p->ops[i].obj == NSNET_OBJ_IMPAIR && p->ops[i].verb != NSNET_OP_DEL) {
			ret = nsnet__cable_preflight(lab, err);	/* netem, if needed */
			if (ret < 0)
				return ret;
			break;
		}
	for (i = 0; i < p->n; i++) {
		const struct nsnet_op *o = &p->ops[i];
		const struct nsnet_lab_node *nd;
		size_t k;
		int replaced = 0;

		if (o->verb != NSNET_OP_ADD || o->obj != NSNET_OBJ_NODE)
			continue;
		nd = &lab->nodes[o->a];
		if (!nsnet_netns_exists(nd->ns))
			continue;
		for (k = 0; k < p->n && !replaced; k++)
			replaced = p->ops[k].verb == NSNET_OP_DEL && p->ops[k].obj == NSNET_OBJ_NODE &&
				   !strcmp(p->from->nodes[p->ops[k].a].ns, nd->ns);
		if (!replaced)
			return nsnet_err_set(err, -EEXIST,
					     "%s: node \"%s\": namespace \"%s\" already exists in "
					     "%s and is not this lab's",
					     where(lab, &nd->loc, w, sizeof(w)), nd->name, nd->ns,
					     nsnet_netns_dir());
	}
	/* the host links the plan creates: those names only */
	want = calloc(2 * p->n + 1, sizeof(*want));
	if (!want)
		return nsnet_err_set(err, -ENOMEM, "out of memory");
	for (i = 0; i < p->n; i++) {
		const struct nsnet_op *o = &p->ops[i];

		if (o->verb == NSNET_OP_ADD && o->obj == NSNET_OBJ_BRIDGE) {
			want[nn++] = lab->bridges[o->a].name;
		} else if (o->verb == NSNET_OP_ADD && o->obj == NSNET_OBJ_WIRE) {
			want[nn++] = p->tw[o->a].host[0];
			want[nn++] = p->tw[o->a].host[1];
		}
	}
	ret = nsnet_nl_open(&nl, -1, err);
	if (ret < 0) {
		free(want);
		return ret;
	}
	n = nsnet__host_links_named(nl, want, nn, &v, err);
	free(want);
	ret = n < 0 ? n : 0;
	for (i = 0; i < p->n && ret == 0; i++) {
		const struct nsnet_op *o = &p->ops[i];
		const char *names[2] = { NULL, NULL };
		const struct nsnet_loc *loc = NULL;
		struct nsnet_link_info *l;

		if (o->verb != NSNET_OP_ADD)
			continue;
		if (o->obj == NSNET_OBJ_BRIDGE) {
			names[0] = lab->bridges[o->a].name;
			loc = &lab->bridges[o->a].loc;
		} else if (o->obj == NSNET_OBJ_WIRE) {
			const struct nsnet_wire *wi = &p->tw[o->a];

			names[0] = wi->host[0];
			names[1] = wi->host[1];
			loc = wi->link >= 0 ? &lab->links[wi->link].loc :
			      &lab->nodes[wi->node[0]].ifaces[wi->iface[0]].loc;
		} else if (o->obj == NSNET_OBJ_NAT) {
			snprintf(table, sizeof(table), "nsnet-%s", name);
			ret = nsnet_nat_exists(table, err);
			if (ret > 0)
				ret = nsnet_err_set(err, -EEXIST, "%s: nat: nftables table \"inet %s\" "
						    "already exists and is not this lab's",
						    where(lab, &lab->nat.loc, w, sizeof(w)), table);
			continue;
		}
		for (e = 0; e < 2 && ret == 0; e++) {
			l = find_link(v, n, names[e]);
			if (l && !owned(l, alias, group))
				ret = nsnet_err_set(err, -EEXIST, "%s: \"%s\": a link with that name "
						    "already exists on the host and is not this lab's",
						    where(lab, loc, w, sizeof(w)), names[e]);
		}
	}
	free(v);
	nsnet_nl_close(nl);
	return ret;
}

/* Undo @p (tolerantly) after it failed or crashed midway; keeps the first error. */
static int roll_back(const struct nsnet_plan *p, const char *name, struct nsnet_err *err)
{
	struct nsnet_plan *inv = NULL;
	int ret;

	ret = nsnet_plan_inverse(p, &inv, err);
	if (ret == 0)
		ret = nsnet__plan_exec(inv, name, NULL, NULL, err);
	nsnet_plan_free(inv);
	return ret;
}

int nsnet_lab_recorded(const char *name, struct nsnet_lab **from, uint8_t **gone,
		       struct nsnet_err *err)
{
	char **lines = NULL;
	int n, ret;

	*from = NULL;
	if (gone)
		*gone = NULL;
	n = nsnet_state_read(name, &lines, err);
	if (n < 0)
		return n;
	ret = nsnet_lab_saved(name, from, err);
	if (ret == 0 && gone) {
		*gone = gone_nodes(*from, lines, n);
		if (!*gone)
			ret = nsnet_err_set(err, -ENOMEM, "out of memory");
	}
	if (ret < 0) {
		nsnet_lab_free(*from);
		*from = NULL;
	}
	nsnet_strv_free(lines);
	return ret;
}

int nsnet_lab_plan(const struct nsnet_lab *lab, struct nsnet_lab **from, struct nsnet_plan **out,
		   struct nsnet_err *err)
{
	uint8_t *gone = NULL;
	int ret;

	*from = NULL;
	*out = NULL;
	if (!nsnet_state_exists(lab->name))
		return nsnet_plan_make(NULL, lab, NULL, out, err);
	ret = nsnet_lab_recorded(lab->name, from, &gone, err);
	if (ret == 0)
		ret = nsnet_plan_make(*from, lab, gone, out, err);
	free(gone);
	return ret;
}

/*
 * After a converge: cables it recreated, or whose impairment it set from the
 * file, lose what `nsnet link set` recorded for them at run time.
 */
static void forget_runtime(const struct nsnet_plan *p, const char *name)
{
	char **keys = calloc(p->n + 1, sizeof(*keys));
	size_t i, n = 0;

	for (i = 0; keys && i < p->n; i++) {
		const struct nsnet_op *o = &p->ops[i];
		const struct nsnet_lab *lab = o->verb == NSNET_OP_DEL ? p->from : p->to;
		const struct nsnet_wire *w;
		struct nsnet_cable c;

		if (o->implicit || (o->obj != NSNET_OBJ_IMPAIR &&
				    !(o->obj == NSNET_OBJ_WIRE && o->verb == NSNET_OP_ADD)))
			continue;
		w = o->verb == NSNET_OP_DEL ? &p->fw[o->a] : &p->tw[o->a];
		if (w->node[0] >= 0)
			nsnet_cable_of(lab, (size_t)w->node[0], (size_t)w->iface[0], &c, NULL);
		else if (w->kind == NSNET_WIRE_BRBR)
			nsnet_cable_of_link(lab, (size_t)w->link, &c);
		else
			continue;
		keys[n] = malloc(NSNET_CABLE_KEY_MAX);
		if (!keys[n])
			break;
		nsnet_cable_key(lab, &c, keys[n++], NSNET_CABLE_KEY_MAX);
	}
	if (keys)
		nsnet__cable_forget(name, keys, n, NULL);
	for (i = 0; keys && i < n; i++)
		free(keys[i]);
	free(keys);
}

/* Finish (undo) a converge that crashed: bring back the recorded lab. */
static int recover(const char *name, struct nsnet_err *err)
{
	struct nsnet_lab *from = NULL, *next = NULL;
	struct nsnet_plan *p = NULL;
	int ret;

	ret = nsnet_lab_saved(name, &from, err);
	if (ret == 0)
		ret = load_source(name, "next", &next, err);
	if (ret == 0)
		ret = nsnet_plan_make(from, next, NULL, &p, err);
	if (ret == 0)
		ret = roll_back(p, name, err);
	if (ret == 0)
		ret = nsnet_state_log(name, err, "converged");
	if (ret == 0)
		nsnet_state_unlink(name, "next");
	nsnet_plan_free(p);
	nsnet_lab_free(from);
	nsnet_lab_free(next);
	return ret;
}

/* The nodes of @lab (the recorded lab) whose namespace is gone, from the journal. */
static int gone_of(const struct nsnet_lab *lab, uint8_t **gone, struct nsnet_err *err)
{
	char **lines = NULL;
	int n = nsnet_state_read(lab->name, &lines, err);

	if (n < 0)
		return n;
	*gone = gone_nodes(lab, lines, n);
	nsnet_strv_free(lines);
	return *gone ? 0 : nsnet_err_set(err, -ENOMEM, "out of memory");
}

static int converge_locked(struct nsnet_lab *lab, const struct nsnet_lab_source *src,
			   nsnet_progress_fn progress, void *parg, struct nsnet_err *err)
{
	struct nsnet_lab *from = NULL;
	struct nsnet_plan *p = NULL;
	uint8_t *gone = NULL;
	int ret;

	if (!lab->nhosts && !has_file_src(lab) && source_same(lab->name, src)) {
		/* the same file again: no second parse, only vanished nodes to redo */
		ret = gone_of(lab, &gone, err);
		if (ret == 0)
			ret = nsnet_plan_make(lab, lab, gone, &p, err);
	} else {
		ret = nsnet_lab_recorded(lab->name, &from, &gone, err);
		if (ret == 0 && from->local != lab->local)
			ret = nsnet_err_set(err, -EINVAL, "lab \"%s\" is up here as host %s, not %s",
					    lab->name,
					    from->local >= 0 ? from->hosts[from->local].name : "-",
					    lab->local >= 0 ? lab->hosts[lab->local].name : "-");
		if (ret == 0)
			ret = nsnet_plan_make(from, lab, gone, &p, err);
	}
	if (ret < 0)
		goto out;
	if (!plan_count(p)) {
		/* nothing to do on the system; a file that differs (comments,
		 * capture:) still becomes the recorded source */
		int rewrote = from ? files_changed(from, lab, err) : 0;

		if (rewrote < 0) {
			ret = rewrote;
			goto out;
		}
		ret = source_same(lab->name, src) ? 0 : put_source(lab->name, "source", src, err);
		if (ret == 0)
			ret = rewrote ? 0 : 1;
		goto out;
	}
	ret = preflight_plan(p, lab->name, err);
	if (ret == 0)
		ret = put_source(lab->name, "next", src, err);
	if (ret == 0)
		ret = nsnet_state_log(lab->name, err, "converge %s %s", src->kind,
				      src->arg ? src->arg : "-");
	if (ret < 0)
		goto out;
	ret = nsnet__plan_exec(p, lab->name, progress, parg, err);
	if (ret < 0) {
		struct nsnet_err e2 = { 0 };

		if (roll_back(p, lab->name, &e2) == 0 &&
		    nsnet_state_log(lab->name, &e2, "converged") == 0) {
			nsnet_state_unlink(lab->name, "next");
		} else if (err) {
			/* the journal still says "converge": the next up finishes the rollback */
			size_t l = strlen(err->msg);

			snprintf(err->msg + l, sizeof(err->msg) - l, "; the rollback is incomplete "
				 "(%.120s): the next `nsnet up` finishes it", e2.msg);
		}
		goto out;
	}
	forget_runtime(p, lab->name);
	ret = files_only(lab, err);
	if (ret < 0)
		goto out;
	/* commit: the new source replaces the old in one rename */
	ret = put_source(lab->name, "source", src, err);
	if (ret == 0)
		ret = nsnet_state_log(lab->name, err, "converged");
	if (ret == 0)
		nsnet_state_unlink(lab->name, "next");
out:
	nsnet_plan_free(p);
	nsnet_lab_free(from);
	free(gone);
	return ret;
}

int nsnet_lab_up(struct nsnet_lab *lab, const struct nsnet_lab_source *src,
		 nsnet_progress_fn progress, void *parg, struct nsnet_err *err)
{
	struct nsnet_plan *p = NULL;
	char **lines = NULL;
	int lock, ret, n;

	lock = nsnet_state_lock(lab->name, err);
	if (lock < 0)
		return lock;
	if (nsnet_state_exists(lab->name)) {
		n = nsnet_state_read(lab->name, &lines, err);
		ret = n < 0 ? n : 0;
		if (ret == 0 && !journal_has(lines, n, "up")) {
			/* a first up that crashed: clean up, then start over */
			ret = down_locked(lab->name, NULL, NULL, err);
		} else if (ret == 0) {
			if (converge_pending(lines, n))
				ret = recover(lab->name, err);
			if (ret == 0)
				ret = converge_locked(lab, src, progress, parg, err);
			if (ret >= 0 && (n = nsnet__captures_sync(lab, err)) < 0)
				ret = n;	/* capture-lab.c: start/stop "capture: true" */
			goto out_unlock;
		}
		if (ret < 0)
			goto out_unlock;
	}
	ret = nsnet_lab_preflight(lab, err);
	if (ret < 0)
		goto out_unlock;
	ret = nsnet_state_create(lab->name, err);
	if (ret < 0)
		goto out_unlock;
	ret = nsnet_state_log(lab->name, err, "lab %s", lab->name);
	if (ret == 0)
		ret = nsnet_state_log(lab->name, err, "source %s %s", src->kind,
				      src->arg ? src->arg : "-");
	if (ret == 0 && lab->local >= 0)
		ret = nsnet_state_log(lab->name, err, "host %s", lab->hosts[lab->local].name);
	if (ret == 0)
		ret = put_source(lab->name, "source", src, err);
	if (ret == 0)
		ret = nsnet_plan_make(NULL, lab, NULL, &p, err);
	if (ret == 0)
		ret = nsnet__plan_exec(p, lab->name, progress, parg, err);
	if (ret == 0)
		ret = files_only(lab, err);
	if (ret == 0)
		ret = nsnet__captures_sync(lab, err);	/* capture-lab.c */
	if (ret == 0)
		ret = nsnet_state_log(lab->name, err, "up");
	if (ret < 0) {
		/* roll back everything this run created; keep the first error */
		struct nsnet_err e2 = { 0 };

		down_locked(lab->name, NULL, NULL, &e2);
	}
out_unlock:
	nsnet_plan_free(p);
	nsnet_strv_free(lines);
	nsnet_state_unlock(lock);
	return ret;
}

/* ---- down ----------------------------------------------------------------------- */

struct journal {
	char **lines;
	int n;
	struct nsnet__jindex x;	/* sorted "link" and "nsino" lines */
};

/*
 * Kill the lab's recorded processes (verified by start time), then anything
 * still inside the lab's namespaces: such a process (started with nsnet exec
 * or ip netns exec) would keep the namespace and its links alive.
 */
/* Alive: the recorded pid has the recorded start time and is not a zombie. */
static int proc_alive(int pid, unsigned long long start)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	if (nsnet_proc_start(pid) != start)
		return 0;	/* gone, or the pid was reused */
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return !(p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
}

#define TERM_GRACE_MS 3000

/*
 * Stop the lab's recorded processes (verified by start time): SIGTERM to each
 * one's process group, so that daemons clean up; whatever still runs after
 * TERM_GRACE_MS in all gets SIGKILL. Then anything still inside the lab's
 * namespaces: such a process (started with nsnet exec or ip netns exec) would
 * keep the namespace and its links alive.
 */
static void kill_procs(const struct journal *j, const struct nsnet_nsid *ids, size_t nids)
{
	int i, waited, termed = 0;

	for (i = 0; i < j->n; i++) {
		unsigned long long start;
		int pid;

		if (sscanf(j->lines[i], "pid %d %llu", &pid, &start) != 2 || pid <= 1)
			continue;
		if (!proc_alive(pid, start))
			continue;
		kill(-pid, SIGTERM);
		kill(pid, SIGTERM);
		termed++;
	}
	for (waited = 0; termed && waited < TERM_GRACE_MS; waited += 10) {
		int left = 0;

		for (i = 0; i < j->n && !left; i++) {
			unsigned long long start;
			int pid;

			if (sscanf(j->lines[i], "pid %d %llu", &pid, &start) == 2 && pid > 1) {
				waitpid(pid, NULL, WNOHANG);
				left = proc_alive(pid, start);
			}
		}
		if (!left)
			break;
		usleep(10000);
	}
	for (i = 0; i < j->n; i++) {
		unsigned long long start;
		int pid;

		if (sscanf(j->lines[i], "pid %d %llu", &pid, &start) != 2 || pid <= 1)
			continue;
		if (nsnet_proc_start(pid) != start)
			continue;
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, WNOHANG);
	}
	nsnet_netns_kill(ids, nids);
}

static int recorded_ino(const struct journal *j, const char *ns, struct nsnet_nsid *id)
{
	return nsnet__jindex_ino(&j->x, ns, id);	/* a node recreated by a converge: the last */
}

int nsnet__netns_del_owned(const char *ns, const struct nsnet_nsid *id, int have_id)
{
	char path[PATH_MAX];
	struct stat st;
	struct statfs fs;

	if (nsnet_netns_name_check(ns, NULL) < 0)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", nsnet_netns_dir(), ns);
	if (lstat(path, &st) < 0)
		return 0;
	if (have_id) {
		if (stat(path, &st) == 0 && (unsigned long)st.st_dev == id->dev &&
		    (unsigned long)st.st_ino == id->ino)
			return nsnet_netns_del(ns, NULL);
		if (statfs(path, &fs) == 0 && fs.f_type != NSFS_MAGIC && S_ISREG(st.st_mode) &&
		    st.st_size == 0)
			return nsnet_netns_del(ns, NULL);	/* our empty mount point */
	} else if (statfs(path, &fs) == 0 && fs.f_type != NSFS_MAGIC && S_ISREG(st.st_mode) &&
		   st.st_size == 0 && (st.st_mode & 07777) == 0) {
		/* crash between creating the file and binding it: only our empty file */
		return nsnet_netns_del(ns, NULL);
	}
	return 0;
}

static void del_namespaces(const struct journal *j, nsnet_progress_fn progress, void *parg)
{
	const char **names = calloc((size_t)j->n + 1, sizeof(*names));
	size_t n = 0;
	int i;

	for (i = 0; i < j->n && names; i++)
		if (!strncmp(j->lines[i], "ns ", 3))
			names[n++] = j->lines[i] + 3;
	if (names)
		nsnet__netns_del_journaled(&j->x, names, n, progress, parg);
	free(names);
}

/*
 * Multi-host labs: the VXLAN devices inside nodes ("vxns NS IF"), deleted
 * before their namespaces go, so that their VNI is free again at once (their
 * UDP socket lives in the host's namespace until the node's is cleaned up).
 */
static void del_node_tunnels(const struct journal *j)
{
	char ns[300], ifname[64];
	struct nsnet_nsid id;
	int i;

	for (i = 0; i < j->n; i++) {
		struct nsnet_nl *nl = NULL;
		struct stat st;
		char path[PATH_MAX];
		int fd;

		if (sscanf(j->lines[i], "vxns %299s %63s", ns, ifname) != 2 ||
		    nsnet_netns_name_check(ns, NULL) < 0 || !recorded_ino(j, ns, &id))
			continue;
		snprintf(path, sizeof(path), "%s/%s", nsnet_netns_dir(), ns);
		if (stat(path, &st) < 0 || (unsigned long)st.st_dev != id.dev ||
		    (unsigned long)st.st_ino != id.ino)
			continue;	/* not ours (any more) */
		fd = nsnet_netns_open(ns, NULL);
		if (fd < 0)
			continue;
		if (nsnet_nl_open(&nl, fd, NULL) == 0) {
			nsnet_link_del(nl, 0, ifname);
			nsnet_nl_ignore(nl, ENODEV, 0);
			nsnet_nl_flush(nl, NULL);
			nsnet_nl_close(nl);
		}
		close(fd);
	}
}

static int journaled_link(const struct journal *j, const char *name)
{
	return nsnet__jindex_link(&j->x, name);
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

struct group_job {
	const char *name;
	const struct journal *j;
	int ret;
	struct nsnet_err err;
};

static void *group_main(void *p)
{
	struct group_job *g = p;

	g->ret = del_link_group(g->name, g->j, &g->err);
	return NULL;
}

static int down_locked(const char *name, nsnet_progress_fn progress, void *parg,
		       struct nsnet_err *err)
{
	struct group_job g = { 0 };
	pthread_t gt;
	int gstarted;
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
	if (!ids || nsnet__jindex_init(&j.x, j.lines, j.n) < 0) {
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
	/* the link group goes while the namespaces are unbound: both wait on RCU */
	g.name = name;
	g.j = &j;
	gstarted = pthread_create(&gt, NULL, group_main, &g) == 0;
	if (!gstarted)
		group_main(&g);
	del_node_tunnels(&j);
	del_namespaces(&j, progress, parg);
	if (gstarted)
		pthread_join(gt, NULL);
	ret = g.ret;
	if (ret < 0) {
		if (err)
			*err = g.err;
		goto out;
	}
	if (ret == 0) {
		ret = del_links(name, &j, err);
		if (ret < 0)
			goto out;
	}
	ret = nsnet_state_remove(name, err);
out:
	free(ids);
	nsnet__jindex_free(&j.x);
	nsnet_strv_free(j.lines);
	return ret;
}

int nsnet__lab_down_locked(const char *name, struct nsnet_err *err)
{
	return down_locked(name, NULL, NULL, err);
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
	if (nsnet_state_path(name, "source", arg, sizeof(arg)) == 0 && access(arg, F_OK) == 0)
		return load_source(name, "source", lab, err);
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
	return saved_finish(name, lab, ret, err);
}
