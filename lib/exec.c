// SPDX-License-Identifier: MIT
/*
 * The apply stage: executes a plan (lib/plan.c) stage by stage, every stage
 * batched — one rtnetlink socket per namespace touched, requests queued on
 * all of them and their ACKs collected after. Every object is journaled
 * before it is created (namespace and host-link names in one write up front,
 * namespace inodes as they are made, processes by pid and start time), so a
 * crash at any point leaves a journal `down` can clean up from.
 *
 * Stages (the order of the plan): kill commands, NAT, routes, addresses,
 * cables, namespaces, bridges and sysctl restores go; then bridges and their
 * addresses, namespaces, cables, interfaces up + addresses + routes (two round
 * trips per node), sysctls, NAT, impairments and commands come.
 *
 * A tolerant plan (the inverse of a plan that failed or crashed midway) takes
 * "already there" and "already gone" as success, so it restores the recorded
 * state whatever part of the original ran.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nsnet/apply.h"
#include "nsnet/link.h"
#include "nsnet/nat.h"
#include "nsnet/netns.h"
#include "nsnet/nl.h"
#include "nsnet/plan.h"
#include "nsnet/state.h"
#include "nsnet/sysctl.h"
#include "nsnet/tc.h"
#include "apply-int.h"
#include "lab-int.h"

/* A namespace the plan touches: socket inside it, its fd, interface indices. */
struct nsh {
	const char *ns;
	int nsfd;
	struct nsnet_nl *nl;
	struct nsnet_link_info *ifs;	/* per interface of the "to" node (configure stage) */
	int touched;
};

struct xctx {
	const struct nsnet_plan *p;
	const struct nsnet_lab *from, *to;
	const char *lab;		/* lab name */
	char **journal;			/* lines read at start (pids, inodes, sysctl originals) */
	int njournal;
	struct nsnet_nl *host;
	uint32_t group;
	char alias[80];
	struct nsh *h;			/* handles: index = to-node, then from-only nodes */
	size_t nh;
	long *tix, *fix;		/* to-node / from-node -> handle */
	int *br_to;			/* ifindex of each to-bridge, 0 unknown */
	struct nsnet_link_info *hl;	/* host links (for ownership checks), sorted */
	int nhl;
	int ipv6;			/* the kernel has IPv6: 1, 0, -1 not known yet */
	nsnet_progress_fn progress;
	void *parg;
	struct nsnet_err *err;
};

static const char *where(const struct nsnet_lab *lab, const struct nsnet_loc *loc, char *buf,
			 size_t len)
{
	return nsnet_lab_where(lab, loc, buf, len);
}

static void progress_step(struct xctx *x, const char *phase, size_t done, size_t total)
{
	if (x->progress && (done == total || (done & 63) == 0))
		x->progress(phase, done, total, x->parg);
}

/* ---- host links and ownership ---------------------------------------------------- */

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct nsnet_link_info *)a)->name,
		      ((const struct nsnet_link_info *)b)->name);
}

static const struct nsnet_link_info *host_link(const struct xctx *x, const char *name)
{
	struct nsnet_link_info key;

	if (!name || !x->hl)
		return NULL;
	snprintf(key.name, sizeof(key.name), "%s", name);
	return bsearch(&key, x->hl, (size_t)x->nhl, sizeof(*x->hl), cmp_name);
}

int nsnet__link_owned(const struct nsnet_link_info *l, const char *alias, uint32_t group)
{
	return !strcmp(l->alias, alias) || (!l->alias[0] && l->group == group);
}

#define NAMED_MAX 256	/* above: one dump rather than a lookup per name */

int nsnet__host_links_named(struct nsnet_nl *nl, const char *const *names, size_t n,
			    struct nsnet_link_info **v, struct nsnet_err *err)
{
	struct nsnet_link_info *w;
	size_t i, k = 0;
	int ret;

	*v = NULL;
	if (n > NAMED_MAX) {
		ret = nsnet_link_list(nl, v, err);
		if (ret > 0)
			qsort(*v, (size_t)ret, sizeof(**v), cmp_name);
		return ret;
	}
	w = calloc(n + 1, sizeof(*w));
	if (!w)
		return nsnet_err_set(err, -ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		if (!names[i])
			continue;
		nsnet_link_get_req(nl, names[i], &w[i]);
		nsnet_nl_ignore(nl, ENODEV, 0);
	}
	ret = nsnet_nl_flush(nl, err);
	if (ret < 0) {
		free(w);
		return ret;
	}
	for (i = 0; i < n; i++)
		if (w[i].ifindex > 0)
			w[k++] = w[i];
	qsort(w, k, sizeof(*w), cmp_name);
	for (i = 0, n = k, k = 0; i < n; i++)	/* a name asked twice: once */
		if (!k || strcmp(w[k - 1].name, w[i].name))
			w[k++] = w[i];
	*v = w;
	return (int)k;
}

/* The host links the plan's deletes look at (ownership checks). */
static int load_host_links(struct xctx *x)
{
	const char **names = calloc(2 * x->p->n + 1, sizeof(*names));
	size_t i, n = 0;

	if (!names)
		return nsnet_err_set(x->err, -ENOMEM, "out of memory");
	for (i = 0; i < x->p->n; i++) {
		const struct nsnet_op *o = &x->p->ops[i];

		if (o->verb != NSNET_OP_DEL)
			continue;
		if (o->obj == NSNET_OBJ_WIRE) {
			names[n++] = x->p->fw[o->a].host[0];
			names[n++] = x->p->fw[o->a].host[1];
		} else if (o->obj == NSNET_OBJ_BRIDGE || o->obj == NSNET_OBJ_BRADDR) {
			names[n++] = x->from->bridges[o->a].name;
		}
	}
	free(x->hl);
	x->hl = NULL;
	x->nhl = nsnet__host_links_named(x->host, names, n, &x->hl, x->err);
	free(names);
	return x->nhl < 0 ? x->nhl : 0;
}

/* ---- namespace handles ------------------------------------------------------------ */

/* The namespace fd of @h (closed once its node is configured, to save fds). */
static int handle_nsfd(struct xctx *x, struct nsh *h)
{
	int ret;

	if (h->nsfd >= 0)
		return 0;
	h->nsfd = nsnet_netns_open(h->ns, x->err);
	if (h->nsfd < 0) {
		ret = h->nsfd;
		h->nsfd = -1;
		return ret;
	}
	return 0;
}

/* Both the namespace fd and the socket of @h. */
static int handle_open(struct xctx *x, struct nsh *h)
{
	int ret = handle_nsfd(x, h);

	if (ret < 0 || h->nl)
		return ret;
	return nsnet_nl_open(&h->nl, h->nsfd, x->err);
}


static struct nsh *to_handle(struct xctx *x, int n)
{
	return &x->h[x->tix[n]];
}

static struct nsh *from_handle(struct xctx *x, int n)
{
	return &x->h[x->fix[n]];
}

/*
 * Sockets of the next nodes st_configure handles (@want), up to NSH_AHEAD,
 * opened together on one thread; each is closed with its namespace fd when
 * its node is done, so a large lab holds about one fd per node, not two.
 */
#define NSH_AHEAD 256

static int open_ahead(struct xctx *x, const uint8_t *want, size_t from, size_t nnodes)
{
	struct nsnet_nl *nl[NSH_AHEAD];
	struct nsh *hs[NSH_AHEAD];
	int fds[NSH_AHEAD] = { 0 };
	size_t i, k = 0;
	int ret;

	for (i = from; i < nnodes && k < NSH_AHEAD; i++) {
		struct nsh *h = to_handle(x, (int)i);

		if (!want[i] || h->nl)
			continue;
		ret = handle_nsfd(x, h);
		if (ret < 0)
			return ret;
		fds[k] = h->nsfd;
		hs[k++] = h;
	}
	ret = nsnet_nl_open_many(nl, fds, k, x->err);
	for (i = 0; i < k && ret == 0; i++)
		hs[i]->nl = nl[i];
	return ret;
}

static int handles_init(struct xctx *x)
{
	size_t nt = x->to ? x->to->nnodes : 0, nf = x->from ? x->from->nnodes : 0, i;
	struct nsnet__map m = { 0 };
	int ret = 0;

	x->h = calloc(nt + nf + 1, sizeof(*x->h));
	x->tix = calloc(nt + 1, sizeof(*x->tix));
	x->fix = calloc(nf + 1, sizeof(*x->fix));
	if (!x->h || !x->tix || !x->fix)
		return nsnet_err_set(x->err, -ENOMEM, "out of memory");
	for (i = 0; i < nt; i++) {
		x->h[x->nh].ns = x->to->nodes[i].ns;
		x->h[x->nh].nsfd = -1;
		if (nsnet__map_put(&m, x->to->nodes[i].ns, strlen(x->to->nodes[i].ns),
				   (long)x->nh, NULL) < 0)
			ret = -ENOMEM;
		x->tix[i] = (long)x->nh++;
	}
	for (i = 0; i < nf; i++) {
		const char *ns = x->from->nodes[i].ns;
		long v;

		if (nsnet__map_get(&m, ns, strlen(ns), &v)) {
			x->fix[i] = v;
			continue;
		}
		x->h[x->nh].ns = ns;
		x->h[x->nh].nsfd = -1;
		x->fix[i] = (long)x->nh++;
	}
	nsnet__map_free(&m);
	return ret < 0 ? nsnet_err_set(x->err, ret, "out of memory") : 0;
}

static void handles_free(struct xctx *x)
{
	size_t i;

	for (i = 0; x->h && i < x->nh; i++) {
		nsnet_nl_close(x->h[i].nl);
		if (x->h[i].nsfd >= 0)
			close(x->h[i].nsfd);
		free(x->h[i].ifs);
	}
	free(x->h);
	free(x->tix);
	free(x->fix);
}

/* Flush every touched handle (and the host); first error wins. */
static int flush_all(struct xctx *x)
{
	int ret = nsnet_nl_flush(x->host, x->err), r;
	struct nsnet_err e = { 0 };
	size_t i;

	for (i = 0; i < x->nh; i++) {
		if (!x->h[i].nl || !nsnet_nl_pending(x->h[i].nl))
			continue;
		r = nsnet_nl_flush(x->h[i].nl, ret < 0 ? &e : x->err);
		if (r < 0 && ret >= 0)
			ret = r;
	}
	return ret;
}

/* ---- journal lookups ------------------------------------------------------------------ */

/* The last "nsino NS DEV INO" line for @ns. */
static int journal_ino(const struct xctx *x, const char *ns, struct nsnet_nsid *id)
{
	char name[300];
	int i;

	for (i = x->njournal - 1; i >= 0; i--) {
		unsigned long dev, ino;

		if (sscanf(x->journal[i], "nsino %299s %lu %lu", name, &dev, &ino) == 3 &&
		    !strcmp(name, ns)) {
			id->dev = dev;
			id->ino = ino;
			return 1;
		}
	}
	return 0;
}

uint32_t nsnet__cmd_hash(const char *cmd)
{
	return nsnet__hash_strs(cmd, NULL);
}

/* ---- stages ------------------------------------------------------------------------- */

typedef int (*stage_fn)(struct xctx *x, size_t lo, size_t hi);

static const struct nsnet_op *OP(const struct xctx *x, size_t i)
{
	return &x->p->ops[i];
}

/* A journaled process (pid, start time) is running: the same process, not a zombie. */
static int proc_alive(int pid, unsigned long long start)
{
	char path[64], buf[512], *p;
	ssize_t len;
	int fd;

	if (nsnet_proc_start(pid) != start)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = '\0';
	p = strrchr(buf, ')');	/* ") S ..." : the state after the name */
	return p && p[1] == ' ' && p[2] && p[2] != 'Z' && p[2] != 'X';
}

/*
 * The running processes of command @cmd of node @node, from the journal,
 * newest first, into @pids (at most @max); returns how many.
 */
static size_t cmd_alive(const struct xctx *x, const char *node, const char *cmd, int *pids,
			size_t max)
{
	uint32_t h = nsnet__cmd_hash(cmd);
	size_t n = 0;
	int k;

	for (k = x->njournal - 1; k >= 0 && n < max; k--) {
		unsigned long long start;
		char name[300];
		unsigned hh;
		int pid;

		if (sscanf(x->journal[k], "pid %d %llu %299s %x", &pid, &start, name, &hh) != 4 ||
		    pid <= 1 || hh != h || strcmp(name, node))
			continue;
		if (proc_alive(pid, start))
			pids[n++] = pid;
	}
	return n;
}

/*
 * Stop the journaled processes of node command ops[lo..hi): one process per
 * op (a node may run the same command twice and keep one), SIGTERM then
 * SIGKILL, and wait (bounded) until they are gone.
 */
static int st_del_cmd(struct xctx *x, size_t lo, size_t hi)
{
	struct { int pid; unsigned long long start; } *killed;
	size_t i, j, k, n, nk = 0;
	int pids[64], tries;

	killed = calloc(hi - lo + 1, sizeof(*killed));
	if (!killed)
		return nsnet_err_set(x->err, -ENOMEM, "out of memory");
	for (i = lo; i < hi; i++) {
		const struct nsnet_op *o = OP(x, i);
		const struct nsnet_lab_node *nd = &x->from->nodes[o->a];
		int victim = 0;

		n = cmd_alive(x, nd->name, nd->cmds[o->c], pids, 64);
		for (j = 0; j < n && !victim; j++) {
			victim = pids[j];
			for (k = 0; k < nk; k++)
				if (killed[k].pid == pids[j])
					victim = 0;
		}
		if (!victim)
			continue;
		killed[nk].pid = victim;
		killed[nk++].start = nsnet_proc_start(victim);
		kill(-victim, SIGTERM);	/* a daemon cleans up (its socket, pid file) */
		kill(victim, SIGTERM);
	}
	/*
	 * Gone (or a zombie) before the rollback or the next stage looks again:
	 * SIGTERM, up to ~2 s; then SIGKILL to what is left, up to ~2 s more.
	 */
	for (tries = 0; tries < 800; tries++) {
		size_t left = 0;

		for (k = 0; k < nk; k++) {
			waitpid(killed[k].pid, NULL, WNOHANG);
			if (proc_alive(killed[k].pid, killed[k].start)) {
				left++;
				if (tries == 400) {
					kill(-killed[k].pid, SIGKILL);
					kill(killed[k].pid, SIGKILL);
				}
			}
		}
		if (!left)
			break;
		usleep(tries < 50 ? 1000 : 5000);
	}
	free(killed);
	return 0;
}

static int runtime_forwards(struct xctx *x, struct nsnet_forward **extra, size_t *nextra)
{
	struct nsnet_forward *v = NULL;
	size_t n = 0, i, k = 0;
	int ret;

	*extra = NULL;
	*nextra = 0;
	ret = nsnet_lab_forward_list(x->lab, &v, &n, NULL);
	if (ret < 0)
		return 0;	/* none recorded */
	for (i = 0; i < n; i++)
		if (v[i].runtime)
			v[k++] = v[i];
	*extra = v;
	*nextra = k;
	return 0;
}

static int st_nat(struct xctx *x, size_t lo, size_t hi)
{
	const struct nsnet_op *o = OP(x, lo);
	struct nsnet_forward *extra = NULL;
	size_t nextra = 0;
	char table[96];
	int ret;

	runtime_forwards(x, &extra, &nextra);
	if (o->verb == NSNET_OP_DEL && (!nextra || !x->to)) {
		snprintf(table, sizeof(table), "nsnet-%s", x->lab);
		ret = nsnet_nat_delete(table, x->err);
		if (ret == 0)
			ret = nsnet_state_release_sysctl(x->lab, NSNET_FWD_KEY, x->err);
		if (ret == 0)
			ret = nsnet_state_release_sysctl(x->lab, NSNET_FWD6_KEY, x->err);
	} else {
		/* (a DEL with runtime forwards: the table keeps them alone) */
		const struct nsnet_lab *lab = x->to;
		size_t i;
		int v6 = 0;

		ret = nsnet__nat_apply_all(lab, extra, nextra, x->err);
		/* IPv6 forwarding is held for an IPv6 masquerade: let it go with the last one */
		for (i = 0; i < lab->nat.nmasq; i++)
			v6 |= lab->nat.masq[i].p.family == AF_INET6;
		if (ret == 0 && !v6)
			ret = nsnet_state_release_sysctl(x->lab, NSNET_FWD6_KEY, x->err);
	}
	free(extra);
	return ret;
}

/*
 * The namespace is not there (ENOENT), or is only the empty mount point of a
 * creation that crashed before its bind (EINVAL: not a namespace): nothing
 * inside to delete.
 */
static int no_netns(int ret)
{
	return ret == -ENOENT || ret == -EINVAL;
}

static int st_del_route(struct xctx *x, size_t lo, size_t hi)
{
	size_t i;
	int ret;

	for (i = lo; i < hi; i++) {
		const struct nsnet_op *o = OP(x, i);
		struct nsh *h = from_handle(x, o->a);
		struct nsnet_route r;

		if (o->implicit)
			continue;
		ret = handle_open(x, h);
		if (o->tolerant && no_netns(ret))
			continue;	/* a rollback: the node never came, nor its routes */
		if (ret < 0)
			return ret;
		r = x->from->nodes[o->a].routes[o->c].r;
		r.oif = 0;
		nsnet_nl_context(h->nl, "node %s route \"%s\"", x->from->nodes[o->a].name,
				 x->from->nodes[o->a].routes[o->c].text);
		nsnet_route_del(h->nl, &r);
		nsnet_nl_ignore(h->nl, ESRCH, ENODEV);
		nsnet_nl_context(h->nl, NULL);
	}
	return flush_all(x);
}

static int ifindex_in(struct xctx *x, struct nsh *h, const char *name, int *ifindex)
{
	struct nsnet_link_info li;
	int ret;

	ret = handle_open(x, h);
	if (ret < 0)
		return ret;
	ret = nsnet_link_get(h->nl, name, &li, x->err);
	*ifindex = ret < 0 ? 0 : li.ifindex;
	return ret;
}

static int st_del_addr(struct xctx *x, size_t lo, size_t hi)
{
	size_t i;
	int ret, ifindex;

	for (i = lo; i < hi; i++) {
		const struct nsnet_op *o = OP(x, i);

		if (o->implicit)
			continue;
		if (o->obj == NSNET_OBJ_BRADDR) {
			const struct nsnet_lab_bridge *b = &x->from->bridges[o->a];
			const struct nsnet_link_info *l = host_link(x, b->name);

			if (!l)
				continue;
			nsnet_addr_del(x->host, l->ifindex, &b->addrs[o->c].p);
			nsnet_nl_ignore(x->host, EADDRNOTAVAIL, ENODEV);
		} else {
			struct nsh *h = from_handle(x, o->a);
			const struct nsnet_lab_iface *f = &x->from->nodes[o->a].ifaces[o->b];

			ret = ifindex_in(x, h, f->name, &ifindex);
			if (ret == -ENODEV || (o->tolerant && no_netns(ret)))
				continue;	/* gone, or (rollback) its node never came */
			if (ret < 0)
				return ret;
			nsnet_addr_del(h->nl, ifindex, &f->addrs[o->c].p);
			nsnet_nl_ignore(h->nl, EADDRNOTAVAIL, ENODEV);
		}
	}
	return flush_all(x);
}

static int st_del_wire(struct xctx *x, size_t lo, size_t hi)
{
	size_t i;
	int ret;

	for (i = lo; i < hi; i++) {
		const struct nsnet_wire *w = &x->p->fw[OP(x, i)->a];

		if (w->kind == NSNET_WIRE_CABLE || w->kind == NSNET_WIRE_VXNODE) {
			struct nsh *h = from_handle(x, w->node[0]);
			const char *name = x->from->nodes[w->node[0]].ifaces[w->iface[0]].name;

			ret = handle_open(x, h);
			if (ret == -ENOENT)
				continue;	/* the namespace is gone, and the cable with it */
			if (ret < 0)
				return ret;
			nsnet_link_del(h->nl, 0, name);
			nsnet_nl_ignore(h->nl, ENODEV, 0);
		} else {
			const struct nsnet_link_info *l = host_link(x, w->host[1]);

			if (!l)
				l = host_link(x, w->host[0]);
			if (!l || !nsnet__link_owned(l, x->alias, x->group))
				continue;
			nsnet_link_del(x->host, l->ifindex, l->name);
			nsnet_nl_ignore(x->host, ENODEV, 0);
		}
	}
	return flush_all(x);
}


static int st_del_node(struct xctx *x, size_t lo, size_t hi)
{
	size_t i;
	int ret = 0, r;

	for (i = lo; i < hi; i++) {
		const struct nsnet_lab_node *n = &x->from->nodes[OP(x, i)->a];
		struct nsh *h = from_handle(x, OP(x, i)->a);
		struct nsnet_nsid id;
		int have = journal_ino(x, n->ns, &id);

		/* our socket and fd inside it must not keep it alive */
		nsnet_nl_close(h->nl);
		h->nl = NULL;
		if (h->nsfd >= 0)
			close(h->nsfd);
		h->nsfd = -1;
		if (have)
			nsnet_netns_kill(&id, 1);
		r = nsnet__netns_del_owned(n->ns, &id, have);
		if (r < 0 && ret == 0)
			ret = nsnet_err_set(x->err, r, "node %s: cannot delete namespace \"%s\": %s",
					    n->name, n->ns, strerror(-r));
	}
	return ret;
}

static int st_del_bridge(struct xctx *x, size_t lo, size_t hi)
{
	size_t i;

	for (i = lo; i < hi; i++) {
		const struct nsnet_link_info *l = host_link(x, x->from->bridges[OP(x, i)->a].name);

		if (!l || !nsnet__link_owned(l, x->alias, x->group))
			continue;
		nsnet_link_del(x->host, l->ifindex, l->name);
		nsnet_nl_ignore(x->host, ENODEV, 0);
	}
	return flush_all(x);
}

/* The value a sysctl had before the lab first set it ("sysctl NS KEY VALUE"). */
static const char *journal_sysctl(const struct xctx *x, const char *ns, const char *key)
{
	size_t nl = strlen(ns), kl = strlen(key);
	int i;

	for (i = 0; i < x->njournal; i++) {
		const char *s = x->journal[i];

		if (!strncmp(s, "sysctl ", 7) && !strncmp(s + 7, ns, nl) && s[7 + nl] == ' ' &&
		    !strncmp(s + 8 + nl, key, kl) && s[8 + nl + kl] == ' ')
			return s + 9 + nl + kl;
	}
	return NULL;
}

static int st_del_sysctl(struct xctx *x, size_t lo, size_t hi)
{
	size_t i;
	int ret;

	for (i = lo; i < hi; i++) {
		const struct nsnet_op *o = OP(x, i);
		const struct nsnet_lab_node *n = &x->from->nodes[o->a];
		const char *old;
		struct nsh *h;

		if (o->implicit)
			continue;
		old = journal_sysctl(x, n->ns, n->sysctls[o->c].key);
		if (!old)
			continue;
		h = from_handle(x, o->a);
		ret = handle_open(x, h);
		if (ret == 0)
			ret = nsnet_sysctl(h->nsfd, n->sysctls[o->c].key, old, NULL, 0, x->err);
		if (ret < 0 && !o->tolerant)
			return ret;
	}
	return 0;
}

/*
 * Mark a created host link (its creation was acknowledged: it is ours) and
 * quiet it while it has no carrier yet: no link-local address. In the same
 * request when the link surely has IPv6 (every request makes a notification,
 * which costs the kernel a scan of all namespace ids for a veth whose peer is
 * in a node); alone, tolerating "no IPv6", when its MTU is below IPv6's.
 */
static void set_alias(struct xctx *x, const char *name, int mtu)
{
	struct nsnet_link_req a = NSNET_LINK_REQ_INIT;

	if (x->ipv6 < 0)
		x->ipv6 = access("/proc/sys/net/ipv6", F_OK) == 0;
	a.name = name;
	a.alias = x->alias;
	a.quiet = x->ipv6 && (!mtu || mtu >= 1280);
	nsnet_link_set(x->host, &a);
	if (x->ipv6 && !a.quiet)
		nsnet_link_quiet(x->host, 0, name);
}

static int st_bridge(struct xctx *x, size_t lo, size_t hi)
{
	const struct nsnet_lab *lab = x->to;
	size_t i;
	char w[300];
	int ret;

	for (i = lo; i < hi; i++) {
		const struct nsnet_op *o = OP(x, i);
		const struct nsnet_lab_bridge *b = &lab->bridges[o->a];
		struct nsnet_link_req a = NSNET_LINK_REQ_INIT;
		const char *host;
		uint8_t mac[6];
		uint32_t h;

		a.name = b->name;
		a.mtu = b->mtu;
		nsnet_nl_context(x->host, "%s: bridge %s", where(lab, &b->loc, w, sizeof(w)),
				 b->name);
		if (o->verb == NSNET_OP_MOD) {
			nsnet_link_set(x->host, &a);
			continue;
		}
		a.group = x->group;	/* up after set_alias: a new bridge has carrier */
		a.mcast_snooping = -1;	/* else it joins 224.0.0.106/ff02::6a: reports flood */
		/*
		 * A MAC of its own (locally administered, from the lab and bridge
		 * names): without one the bridge takes its lowest port's, and a
		 * port coming or going with a converge would change it under the
		 * nodes' ARP caches (traffic to the host lost for seconds). The
		 * host's name too: a bridge spanning hosts is one segment.
		 */
		host = lab->local >= 0 ? lab->hosts[lab->local].name : "";
		h = nsnet__hash_strs(x->lab, b->name, host, NULL);
		mac[0] = 0x02;
		mac[1] = (uint8_t)(h >> 24);
		mac[2] = (uint8_t)(h >> 16);
		mac[3] = (uint8_t)(h >> 8);
		mac[4] = (uint8_t)h;
		mac[5] = (uint8_t)nsnet__hash_strs(host, b->name, x->lab, NULL);
		a.mac = mac;
		nsnet_link_add_bridge(x->host, &a);
		if (o->tolerant)
			nsnet_nl_ignore(x->host, EEXIST, 0);
	}
	nsnet_nl_context(x->host, NULL);
	ret = nsnet_nl_flush(x->host, x->err);
	if (ret < 0)
		return ret;
	for (i = lo; i < hi; i++) {
		struct nsnet_link_req a = NSNET_LINK_REQ_INIT;

		if (OP(x, i)->verb != NSNET_OP_ADD)
			continue;
		set_alias(x, lab->bridges[OP(x, i)->a].name, lab->bridges[OP(x, i)->a].mtu);
		a.name = lab->bridges[OP(x, i)->a].name;
		a.up = 1;
		nsnet_link_set(x->host, &a);
	}
	return nsnet_nl_flush(x->host, x->err);
}

/* ifindex of to-bridge @b (looked up once). */
static int bridge_index(struct xctx *x, int b)
{
	struct nsnet_link_info li;
	int ret;

	if (x->br_to[b])
		return x->br_to[b];
	ret = nsnet_link_get(x->host, x->to->bridges[b].name, &li, x->err);
	if (ret < 0)
		return ret;
	x->br_to[b] = li.ifindex;
	return li.ifindex;
}

static int st_add_braddr(struct xctx *x, size_t lo, size_t hi)
{
	size_t i;
	char w[300];
	int idx;

	for (i = lo; i < hi; i++) {
		const struct nsnet_op *o = OP(x, i);
		const struct nsnet_lab_bridge *b = &x->to->bridges[o->a];

		idx = bridge_index(x, o->a);
		if (idx < 0)
			return idx;
		nsnet_nl_context(x->host, "%s: bridge %s", where(x->to, &b->loc, w, sizeof(w)),
				 b->name);
		nsnet_addr_add(x->host, idx, &b->addrs[o->c].p);
		nsnet_nl_ignore(x->host, EEXIST, 0);
	}
	nsnet_nl_context(x->host, NULL);
	return nsnet_nl_flush(x->host, x->err);
}

struct newns {
	struct xctx *x;
	const int *nodes;	/* to-node of each name */
};

/* Runs inside the new namespace of the i-th node created, before it is bound. */
static int in_new_ns(size_t i, void *arg)
{
	struct newns *c = arg;
	struct xctx *x = c->x;
	struct nsh *h = to_handle(x, c->nodes[i]);
	struct stat st;

	h->nsfd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (h->nsfd < 0 || fstat(h->nsfd, &st) < 0)
		return nsnet_err_set(x->err, -errno, "open new namespace: %s", strerror(errno));
	/* its socket is opened when it is configured (open_ahead): one fd per node until then */
	return nsnet_state_log(x->lab, x->err, "nsino %s %lu %lu", h->ns, (unsigned long)st.st_dev,
			       (unsigned long)st.st_ino);
}

static int st_add_node(struct xctx *x, size_t lo, size_t hi)
{
	const char **names = calloc(hi - lo + 1, sizeof(*names));
	int *nodes = calloc(hi - lo + 1, sizeof(*nodes));
	struct newns c = { .x = x, .nodes = nodes };
	size_t i, n = 0, done = 0;
	char w[300];
	int ret = 0;

	if (!names || !nodes) {
		ret = nsnet_err_set(x->err, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = lo; i < hi; i++) {
		const struct nsnet_op *o = OP(x, i);
		const struct nsnet_lab_node *nd = &x->to->nodes[o->a];

		if (o->tolerant && nsnet_netns_exists(nd->ns)) {
			struct nsnet_nsid id;
			struct stat st;
			char path[PATH_MAX];

			/* ours (journaled inode): keep it; anything else is not ours */
			snprintf(path, sizeof(path), "%s/%s", nsnet_netns_dir(), nd->ns);
			if (journal_ino(x, nd->ns, &id) && stat(path, &st) == 0 &&
			    (unsigned long)st.st_dev == id.dev && (unsigned long)st.st_ino == id.ino)
				continue;
		}
		nodes[n] = o->a;
		names[n++] = nd->ns;
	}
	if (!n)
		goto out;
	ret = nsnet_netns_add_many(names, n, in_new_ns, &c, &done, x->err);
	if (ret < 0 && done < n)
		nsnet_err_where(x->err, "%s: node \"%s\"",
				where(x->to, &x->to->nodes[nodes[done]].loc, w, sizeof(w)),
				x->to->nodes[nodes[done]].name);
	progress_step(x, "namespaces", done, n);
out:
	free(names);
	free(nodes);
	return ret;
}

/* veth: node end inside node @ni, host end on to-bridge @b (created with master + up). */
static int add_bridge_wire(struct xctx *x, const struct nsnet_wire *w, int tolerant)
{
	const struct nsnet_lab_node *n = &x->to->nodes[w->node[0]];
	const struct nsnet_lab_iface *f = &n->ifaces[w->iface[0]];
	struct nsnet_link_req a = NSNET_LINK_REQ_INIT, p = NSNET_LINK_REQ_INIT;
	struct nsh *h = to_handle(x, w->node[0]);
	const struct nsnet_loc *loc = w->link >= 0 ? &x->to->links[w->link].loc : &f->loc;
	char wh[300];
	int ret, master;

	master = bridge_index(x, w->bridge[1]);
	if (master < 0)
		return master;
	ret = handle_nsfd(x, h);	/* the peer is made from the host: no socket in the node */
	if (ret < 0)
		return ret;
	a.name = w->host[1];
	a.master = master;
	a.up = 1;
	a.mtu = w->mtu[1];
	a.group = x->group;
	p.name = f->name;
	p.netns_fd = h->nsfd;
	p.mtu = w->mtu[0];
	p.mac = w->mac[0];
	nsnet_nl_context(x->host, "%s: node %s interface %s", where(x->to, loc, wh, sizeof(wh)),
			 n->name, f->name);
	nsnet_link_add_veth(x->host, &a, &p);
	if (tolerant)
		nsnet_nl_ignore(x->host, EEXIST, 0);
	return 0;
}

static void vxlan_spec(struct xctx *x, const struct nsnet_wire *w, struct nsnet_vxlan *vx)
{
	const struct nsnet_lab *lab = x->to;
	const struct nsnet_lab_host *me = &lab->hosts[lab->local];

	memset(vx, 0, sizeof(*vx));
	vx->vni = w->vni;
	vx->family = me->addr.family;
	memcpy(vx->local, me->addr.addr, 16);
	vx->has_local = 1;
	vx->dstport = lab->vxlan_port;
	if (w->kind == NSNET_WIRE_VXNODE) {
		const struct nsnet_lab_host *peer = &lab->hosts[lab->nodes[w->rnode].host_idx];

		memcpy(vx->remote, peer->addr.addr, 16);
		vx->has_remote = 1;
	}
}

/* The underlay interface of this host, if the lab names one. */
static int underlay_index(struct xctx *x, int *ifindex)
{
	const struct nsnet_lab_host *me = &x->to->hosts[x->to->local];
	struct nsnet_link_info li;
	int ret;

	*ifindex = 0;
	if (!me->dev)
		return 0;
	ret = nsnet_link_get(x->host, me->dev, &li, x->err);
	if (ret < 0) {
		nsnet_err_where(x->err, "host %s: underlay interface %s", me->name, me->dev);
		return ret;
	}
	*ifindex = li.ifindex;
	return 0;
}

/*
 * A VXLAN wire. VXNODE: created from the host's socket (so its UDP socket is
 * in the host's namespace, on the underlay) directly inside the node, named as
 * the node's interface, with the other host as remote. VXBR: a port of the
 * local instance of a spanning bridge; its FDB entries follow (add_fdb).
 */
static int add_vxlan_wire(struct xctx *x, const struct nsnet_wire *w, int tolerant)
{
	const struct nsnet_lab *lab = x->to;
	struct nsnet_link_req a = NSNET_LINK_REQ_INIT;
	struct nsnet_vxlan vx;
	char wh[300];
	int ret, master;

	vxlan_spec(x, w, &vx);
	ret = underlay_index(x, &vx.lower);
	if (ret < 0)
		return ret;
	a.mtu = w->mtu[0];
	if (w->kind == NSNET_WIRE_VXNODE) {
		const struct nsnet_lab_node *n = &lab->nodes[w->node[0]];
		const struct nsnet_lab_iface *f = &n->ifaces[w->iface[0]];
		struct nsh *h = to_handle(x, w->node[0]);

		ret = handle_nsfd(x, h);
		if (ret < 0)
			return ret;
		a.name = f->name;
		a.netns_fd = h->nsfd;
		a.mac = w->mac[0];
		nsnet_nl_context(x->host, "%s: node %s interface %s (vxlan %u to host %s)",
				 where(lab, &lab->links[w->link].loc, wh, sizeof(wh)), n->name, f->name,
				 w->vni, lab->hosts[lab->nodes[w->rnode].host_idx].name);
	} else {
		const struct nsnet_lab_bridge *b = &lab->bridges[w->bridge[0]];

		master = bridge_index(x, w->bridge[0]);
		if (master < 0)
			return master;
		a.name = w->host[0];
		a.master = master;
		a.up = 1;
		a.group = x->group;
		nsnet_nl_context(x->host, "%s: bridge %s (vxlan %u)",
				 where(lab, &b->loc, wh, sizeof(wh)), b->name, w->vni);
	}
	nsnet_link_add_vxlan(x->host, &a, &vx);
	if (tolerant)
		nsnet_nl_ignore(x->host, EEXIST, 0);
	return 0;
}

/* Head-end replication: broadcast/unknown frames to every other instance. */
static int add_fdb(struct xctx *x, const struct nsnet_wire *w)
{
	static const uint8_t zero[6];
	struct nsnet_link_info li;
	size_t i;
	int ret;

	ret = nsnet_link_get(x->host, w->host[0], &li, x->err);
	if (ret < 0)
		return ret;
	for (i = 0; i < x->to->nhosts; i++) {
		if (!(w->peers >> i & 1))
			continue;
		nsnet_fdb_append(x->host, li.ifindex, zero, &x->to->hosts[i].addr);
		nsnet_nl_ignore(x->host, EEXIST, 0);
	}
	return 0;
}

static int st_add_wire(struct xctx *x, size_t lo, size_t hi)
{
	const struct nsnet_lab *lab = x->to;
	size_t i;
	char w[300];
	int ret;

	for (i = lo; i < hi; i++) {
		const struct nsnet_op *o = OP(x, i);
		const struct nsnet_wire *wi = &x->p->tw[o->a];
		struct nsnet_link_req a = NSNET_LINK_REQ_INIT, p = NSNET_LINK_REQ_INIT;

		if (o->verb == NSNET_OP_MOD) {
			int e;

			for (e = 0; e < 2; e++) {
				struct nsnet_link_req m = NSNET_LINK_REQ_INIT;
				struct nsnet_nl *nl = x->host;

				if (!(o->mod & (e ? (NSNET_MOD_MTU1 | NSNET_MOD_MAC1) :
					       (NSNET_MOD_MTU0 | NSNET_MOD_MAC0))))
					continue;
				if (wi->node[e] >= 0) {
					struct nsh *h = to_handle(x, wi->node[e]);

					ret = handle_open(x, h);
					if (ret < 0)
						return ret;
					nl = h->nl;
					m.name = lab->nodes[wi->node[e]].ifaces[wi->iface[e]].name;
					m.mac = (o->mod & (e ? NSNET_MOD_MAC1 : NSNET_MOD_MAC0)) ?
						wi->mac[e] : NULL;
				} else {
					m.name = wi->host[e];
				}
				if (o->mod & (e ? NSNET_MOD_MTU1 : NSNET_MOD_MTU0))
					m.mtu = wi->mtu[e] ? wi->mtu[e] : 1500;
				nsnet_link_set(nl, &m);
				if (wi->kind == NSNET_WIRE_BRIDGE && (o->mod & NSNET_MOD_MTU0)) {
					struct nsnet_link_req m2 = NSNET_LINK_REQ_INIT;

					m2.name = wi->host[1];
					m2.mtu = wi->mtu[1] ? wi->mtu[1] : 1500;
					nsnet_link_set(x->host, &m2);
				}
			}
			continue;
		}
		if (wi->kind == NSNET_WIRE_VXNODE || wi->kind == NSNET_WIRE_VXBR) {
			ret = add_vxlan_wire(x, wi, o->tolerant);
			if (ret < 0)
				return ret;
		} else if (wi->kind == NSNET_WIRE_BRIDGE) {
			ret = add_bridge_wire(x, wi, o->tolerant);
			if (ret < 0)
				return ret;
			progress_step(x, "links", i + 1 - lo, hi - lo);
		} else if (wi->kind == NSNET_WIRE_CABLE) {
			const struct nsnet_lab_link *l = &lab->links[wi->link];
			struct nsh *h0 = to_handle(x, wi->node[0]), *h1 = to_handle(x, wi->node[1]);

			ret = handle_open(x, h0);
			if (ret == 0)
				ret = handle_nsfd(x, h1);
			if (ret < 0)
				return ret;
			a.name = lab->nodes[wi->node[0]].ifaces[wi->iface[0]].name;
			a.mtu = wi->mtu[0];
			a.mac = wi->mac[0];
			p.name = lab->nodes[wi->node[1]].ifaces[wi->iface[1]].name;
			p.mtu = wi->mtu[1];
			p.mac = wi->mac[1];
			p.netns_fd = h1->nsfd;
			nsnet_nl_context(h0->nl, "%s: link %s -- %s", where(lab, &l->loc, w, sizeof(w)),
					 l->end[0].text, l->end[1].text);
			nsnet_link_add_veth(h0->nl, &a, &p);
			if (o->tolerant)
				nsnet_nl_ignore(h0->nl, EEXIST, 0);
			nsnet_nl_context(h0->nl, NULL);
		} else {
			const struct nsnet_lab_link *l = &lab->links[wi->link];
			int m0 = bridge_index(x, wi->bridge[0]);

			if (m0 < 0)
				return m0;
			a.name = wi->host[0];
			a.master = m0;
			a.up = 1;
			a.mtu = wi->mtu[0];
			a.group = x->group;
			p.name = wi->host[1];
			p.mtu = wi->mtu[1];
			p.group = x->group;
			nsnet_nl_context(x->host, "%s: link %s -- %s", where(lab, &l->loc, w, sizeof(w)),
					 l->end[0].text, l->end[1].text);
			nsnet_link_add_veth(x->host, &a, &p);
			if (o->tolerant)
				nsnet_nl_ignore(x->host, EEXIST, 0);
		}
	}
	nsnet_nl_context(x->host, NULL);
	ret = flush_all(x);
	if (ret < 0)
		return ret;
	/* second host batch: aliases (the creates were acknowledged), bridge<->bridge peers */
	for (i = lo; i < hi; i++) {
		const struct nsnet_op *o = OP(x, i);
		const struct nsnet_wire *wi = &x->p->tw[o->a];
		int e;

		if (o->verb != NSNET_OP_ADD)
			continue;
		for (e = 0; e < 2; e++)
			if (wi->host[e])
				set_alias(x, wi->host[e], wi->mtu[e]);
		if (wi->kind == NSNET_WIRE_VXBR) {
			ret = add_fdb(x, wi);
			if (ret < 0)
				return ret;
		}
		if (wi->kind == NSNET_WIRE_BRBR) {
			struct nsnet_link_req a = NSNET_LINK_REQ_INIT;
			int m1 = bridge_index(x, wi->bridge[1]);

			if (m1 < 0)
				return m1;
			a.name = wi->host[1];
			a.master = m1;
			a.up = 1;
			nsnet_link_set(x->host, &a);
		}
	}
	return nsnet_nl_flush(x->host, x->err);
}

static int iface_index(const struct nsnet_lab_node *n, const struct nsh *h, const char *dev)
{
	size_t j;

	for (j = 0; j < n->nifaces; j++)
		if (!strcmp(n->ifaces[j].name, dev))
			return h->ifs[j].ifindex;
	return 0;
}

/*
 * Interfaces up, addresses and routes, per node: ops[lo..hi) are the ADD_ADDR
 * and ADD_ROUTE stages (sorted by node within each); new cables' node ends
 * (@wlo..@whi: the ADD_WIRE stage) are brought up, new nodes get lo up.
 */
static int st_configure(struct xctx *x, size_t wlo, size_t whi, size_t nlo, size_t nhi,
			size_t lo, size_t hi)
{
	const struct nsnet_lab *lab = x->to;
	size_t i, j, k, nnodes = lab ? lab->nnodes : 0, done = 0, total = 0;
	size_t *start = NULL, *cnt = NULL, *idx = NULL;
	uint8_t *up = NULL, *isnew = NULL, *want = NULL;
	size_t *ioff = NULL, nif = 0;
	char w[300];
	int ret = 0;

	if (!nnodes)
		return 0;
	start = calloc(nnodes + 1, sizeof(*start));
	cnt = calloc(nnodes + 1, sizeof(*cnt));
	idx = calloc(hi - lo + 1, sizeof(*idx));
	isnew = calloc(nnodes + 1, 1);
	want = calloc(nnodes + 1, 1);
	ioff = calloc(nnodes + 1, sizeof(*ioff));
	if (!start || !cnt || !idx || !isnew || !want || !ioff) {
		ret = nsnet_err_set(x->err, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < nnodes; i++) {
		ioff[i] = nif;
		nif += lab->nodes[i].nifaces;
	}
	up = calloc(nif + 1, 1);
	if (!up) {
		ret = nsnet_err_set(x->err, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = nlo; i < nhi; i++)
		isnew[OP(x, i)->a] = 1;
	for (i = wlo; i < whi; i++) {
		const struct nsnet_op *o = OP(x, i);
		const struct nsnet_wire *wi = &x->p->tw[o->a];
		int e;

		if (o->verb != NSNET_OP_ADD)
			continue;
		for (e = 0; e < 2; e++)
			if (wi->node[e] >= 0)
				up[ioff[wi->node[e]] + (size_t)wi->iface[e]] = 1;
	}
	/* counting sort of the address/route ops by node, keeping their order */
	for (i = lo; i < hi; i++)
		cnt[OP(x, i)->a]++;
	for (i = 0, k = 0; i < nnodes; i++) {
		start[i] = k;
		k += cnt[i];
		cnt[i] = 0;
	}
	for (i = lo; i < hi; i++) {
		int a = OP(x, i)->a;

		idx[start[a] + cnt[a]++] = i;
	}
	for (i = 0; i < nnodes; i++) {
		int any = isnew[i] || cnt[i];

		for (j = 0; j < lab->nodes[i].nifaces && !any; j++)
			any = up[ioff[i] + j];
		want[i] = (uint8_t)any;
		total += any;
	}
	for (i = 0; i < nnodes; i++) {
		const struct nsnet_lab_node *n = &lab->nodes[i];
		struct nsh *h = to_handle(x, (int)i);
		struct nsnet_link_req a = NSNET_LINK_REQ_INIT;
		if (!want[i])
			continue;
		if (!h->nl && (ret = open_ahead(x, want, i, nnodes)) < 0)
			goto out;
		ret = handle_open(x, h);
		if (ret < 0)
			goto out;
		free(h->ifs);
		h->ifs = calloc(n->nifaces + 1, sizeof(*h->ifs));
		if (!h->ifs) {
			ret = nsnet_err_set(x->err, -ENOMEM, "out of memory");
			goto out;
		}
		nsnet_nl_context(h->nl, "%s: node %s", where(lab, &n->loc, w, sizeof(w)), n->name);
		if (isnew[i]) {
			a.ifindex = 1;	/* lo */
			a.up = 1;
			nsnet_link_set(h->nl, &a);
		}
		for (j = 0; j < n->nifaces; j++) {
			if (up[ioff[i] + j])	/* new, still down: no link-local */
				nsnet_link_quiet(h->nl, 0, n->ifaces[j].name);
			nsnet_link_get_req(h->nl, n->ifaces[j].name, &h->ifs[j]);
		}
		ret = nsnet_nl_flush(h->nl, x->err);
		if (ret < 0)
			goto out;
		for (j = 0; j < n->nifaces; j++) {
			if (!up[ioff[i] + j])
				continue;
			a = (struct nsnet_link_req)NSNET_LINK_REQ_INIT;
			a.ifindex = h->ifs[j].ifindex;
			a.up = 1;
			nsnet_link_set(h->nl, &a);
		}
		for (k = 0; k < cnt[i]; k++) {
			const struct nsnet_op *o = OP(x, idx[start[i] + k]);

			if (o->obj == NSNET_OBJ_ADDR) {
				const struct nsnet_lab_iface *f = &n->ifaces[o->b];

				nsnet_nl_context(h->nl, "%s: node %s interface %s",
						 where(lab, &f->loc, w, sizeof(w)), n->name, f->name);
				nsnet_addr_add(h->nl, h->ifs[o->b].ifindex, &f->addrs[o->c].p);
				nsnet_nl_ignore(h->nl, EEXIST, 0);
			} else {
				struct nsnet_route r = n->routes[o->c].r;

				nsnet_nl_context(h->nl, "%s: node %s route \"%s\"",
						 where(lab, &n->routes[o->c].loc, w, sizeof(w)),
						 n->name, n->routes[o->c].text);
				if (r.dev[0])
					r.oif = iface_index(n, h, r.dev);
				nsnet_route_add(h->nl, &r);
				if (o->tolerant || o->readd)
					nsnet_nl_ignore(h->nl, EEXIST, 0);
			}
		}
		nsnet_nl_context(h->nl, NULL);
		ret = nsnet_nl_flush(h->nl, x->err);
		if (ret < 0)
			goto out;
		nsnet_nl_close(h->nl);	/* done: later stages reopen what they need */
		h->nl = NULL;
		close(h->nsfd);
		h->nsfd = -1;
		progress_step(x, "addresses", ++done, total);
	}
out:
	free(start);
	free(cnt);
	free(idx);
	free(up);
	free(isnew);
	free(want);
	free(ioff);
	return ret;
}

static int st_sysctl(struct xctx *x, size_t lo, size_t hi)
{
	size_t i;
	char w[300], old[256], line[600];
	int ret;

	for (i = lo; i < hi; i++) {
		const struct nsnet_op *o = OP(x, i);
		const struct nsnet_lab_node *n = &x->to->nodes[o->a];
		const struct nsnet_lab_kv *kv = &n->sysctls[o->c];
		struct nsh *h = to_handle(x, o->a);

		ret = handle_open(x, h);
		/* the value before the lab's first write, journaled before that write */
		if (ret == 0 && !journal_sysctl(x, n->ns, kv->key)) {
			ret = nsnet_sysctl(h->nsfd, kv->key, NULL, old, sizeof(old), x->err);
			if (ret == 0 && !strchr(old, '\n')) {
				snprintf(line, sizeof(line), "sysctl %s %s %s", n->ns, kv->key, old);
				ret = nsnet_state_log(x->lab, x->err, "%s", line);
			}
		}
		if (ret == 0)
			ret = nsnet_sysctl(h->nsfd, kv->key, kv->value, NULL, 0, x->err);
		if (ret < 0) {
			nsnet_err_where(x->err, "%s: node %s sysctl %s",
					where(x->to, &kv->loc, w, sizeof(w)), n->name, kv->key);
			return ret;
		}
	}
	return 0;
}

/*
 * Impairments: the root qdisc of every end of a cable on this host (both
 * directions, like Mininet's TCLink), set (ADD/MOD) or cleared (DEL). One
 * batch finds the ends' ifindex and MTU, one sets them (nsnet-lab(5)).
 */
struct impair_end {
	struct nsnet_nl *nl;
	const char *name;
	const struct nsnet_impair *im;	/* NULL: clear */
	struct nsnet_link_info li;
};

static int st_impair(struct xctx *x, size_t lo, size_t hi)
{
	struct impair_end *v = calloc(2 * (hi - lo) + 1, sizeof(*v));
	size_t i, n = 0;
	int ret = 0, e;

	if (!v)
		return nsnet_err_set(x->err, -ENOMEM, "out of memory");
	for (i = lo; i < hi && ret == 0; i++) {
		const struct nsnet_op *o = OP(x, i);
		int del = o->verb == NSNET_OP_DEL;
		const struct nsnet_lab *lab = del ? x->from : x->to;
		const struct nsnet_wire *w = del ? &x->p->fw[o->a] : &x->p->tw[o->a];
		const struct nsnet_impair *im = del ? NULL : nsnet_wire_impair(lab, w);

		if (o->implicit)
			continue;
		for (e = 0; e < 2 && ret == 0; e++) {
			struct impair_end *end = &v[n];

			if (w->node[e] >= 0) {
				struct nsh *h = del ? from_handle(x, w->node[e]) :
						      to_handle(x, w->node[e]);

				ret = handle_open(x, h);
				if (ret == -ENOENT && o->tolerant) {
					ret = 0;
					continue;
				}
				end->nl = h->nl;
				end->name = lab->nodes[w->node[e]].ifaces[w->iface[e]].name;
			} else if (w->host[e] && w->kind != NSNET_WIRE_VXBR) {
				end->nl = x->host;
				end->name = w->host[e];
			} else {
				continue;
			}
			end->im = im;
			nsnet_link_get_req(end->nl, end->name, &end->li);
			if (o->tolerant)
				nsnet_nl_ignore(end->nl, ENODEV, 0);
			n++;
		}
	}
	if (ret == 0)
		ret = flush_all(x);
	for (i = 0; i < n && ret == 0; i++) {
		if (!v[i].li.ifindex)
			continue;	/* gone (tolerant) */
		nsnet_tc_set(v[i].nl, v[i].li.ifindex, v[i].name, v[i].im, (unsigned)v[i].li.mtu);
	}
	if (ret == 0)
		ret = flush_all(x);
	if (ret < 0)
		nsnet_tc_explain(x->err);
	free(v);
	return ret;
}

/* Start node commands; each waits on a pipe until its pid is journaled. */
static int st_add_cmd(struct xctx *x, size_t lo, size_t hi)
{
	size_t i;
	int ret = 0;

	for (i = lo; i < hi; i++) {
		const struct nsnet_op *o = OP(x, i);
		const struct nsnet_lab_node *n = &x->to->nodes[o->a];
		const char *cmd = n->cmds[o->c];
		char log[PATH_MAX], file[300];
		unsigned long long start;
		int pfd[2], fd, pids[64];
		pid_t pid;

		if (o->tolerant) {
			/* a rollback: start only what is not running (the k-th of its text) */
			size_t want = 0, before = 0, j;

			for (j = 0; j < n->ncmds; j++)
				want += !strcmp(n->cmds[j], cmd);
			for (j = lo; j < i; j++)
				before += OP(x, j)->a == o->a &&
					  !strcmp(x->to->nodes[o->a].cmds[OP(x, j)->c], cmd);
			if (cmd_alive(x, n->name, cmd, pids, 64) + before >= want)
				continue;
		}
		/* the node's files and /run, once per node in this stage */
		if (i == lo || OP(x, i - 1)->a != o->a) {
			ret = nsnet__node_prepare(x->lab, n, x->err);
			if (ret < 0)
				return ret;
		}
		if (pipe2(pfd, O_CLOEXEC) < 0)
			return nsnet_err_set(x->err, -errno, "pipe: %s", strerror(errno));
		snprintf(file, sizeof(file), "%s.log", n->name);
		nsnet_state_path(x->lab, file, log, sizeof(log));
		fflush(NULL);
		pid = fork();
		if (pid < 0) {
			close(pfd[0]);
			close(pfd[1]);
			return nsnet_err_set(x->err, -errno, "fork: %s", strerror(errno));
		}
		if (pid == 0) {
			char go;

			close(pfd[1]);
			if (read(pfd[0], &go, 1) != 1)
				_exit(1);
			setsid();
			if (nsnet_node_enter(x->lab, n, NULL) < 0)
				_exit(1);
			fd = open("/dev/null", O_RDONLY);
			if (fd >= 0)
				dup2(fd, 0);
			fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0600);
			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
			}
			/*
			 * This process stays as the command's keeper: it runs sh -c CMD
			 * in its process group, waits, and records how it ended
			 * (STATE/LAB/exit.PID: "exit N" or "signal N") for status.
			 */
			{
				char ef[PATH_MAX], tmp[PATH_MAX + 8], line[32];
				pid_t c;
				int st = 0, efd;

				/* nothing of up's (the lab lock, netlink sockets) stays open here */
				close_range(3, ~0U, 0);
				prctl(PR_SET_NAME, "nsnet-cmd", 0, 0, 0);
				c = fork();

				if (c == 0) {
					execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
					_exit(127);
				}
				if (c < 0)
					_exit(126);
				while (waitpid(c, &st, 0) < 0 && errno == EINTR)
					;
				snprintf(line, sizeof(line), "%s %d\n",
					 WIFSIGNALED(st) ? "signal" : "exit",
					 WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
				snprintf(file, sizeof(file), "exit.%d", (int)getpid());
				if (nsnet_state_path(x->lab, file, ef, sizeof(ef)) == 0) {
					snprintf(tmp, sizeof(tmp), "%s.tmp", ef);
					efd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
						   O_CLOEXEC, 0600);
					if (efd >= 0) {
						if (write(efd, line, strlen(line)) > 0)
							rename(tmp, ef);
						close(efd);
					}
				}
				_exit(0);
			}
		}
		close(pfd[0]);
		start = nsnet_proc_start(pid);
		ret = nsnet_state_log(x->lab, x->err, "pid %d %llu %s %08x", (int)pid, start, n->name,
				      nsnet__cmd_hash(cmd));
		if (ret == 0 && write(pfd[1], "g", 1) != 1)
			ret = nsnet_err_set(x->err, -EIO, "cannot start command");
		close(pfd[1]);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* ---- intents --------------------------------------------------------------------------- */

static int append_line(char **buf, size_t *len, size_t *cap, const char *a, const char *b)
{
	size_t need = strlen(a) + strlen(b) + 2;

	if (*len + need + 1 > *cap) {
		size_t nc = (*cap ? *cap * 2 : 4096);
		char *nb;

		while (nc < *len + need + 1)
			nc *= 2;
		nb = realloc(*buf, nc);
		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = nc;
	}
	*len += (size_t)sprintf(*buf + *len, "%s%s\n", a, b);
	return 0;
}

/* Journal every namespace, host link and table the plan may create, in one write. */
static int journal_intents(struct xctx *x)
{
	char *buf = NULL, table[96];
	size_t len = 0, cap = 0, i;
	int ret = 0, nat = 0;

	for (i = 0; i < x->p->n && ret == 0; i++) {
		const struct nsnet_op *o = OP(x, i);

		if (o->verb != NSNET_OP_ADD && !(o->verb == NSNET_OP_MOD && o->obj == NSNET_OBJ_NAT))
			continue;
		switch (o->obj) {
		case NSNET_OBJ_NODE:
			ret = append_line(&buf, &len, &cap, "ns ", x->to->nodes[o->a].ns);
			break;
		case NSNET_OBJ_BRIDGE:
			ret = append_line(&buf, &len, &cap, "link ", x->to->bridges[o->a].name);
			break;
		case NSNET_OBJ_WIRE: {
			const struct nsnet_wire *w = &x->p->tw[o->a];
			int e;

			for (e = 0; e < 2 && ret == 0; e++)
				if (w->host[e])
					ret = append_line(&buf, &len, &cap, "link ", w->host[e]);
			if (w->kind == NSNET_WIRE_VXNODE && ret == 0) {
				/*
				 * A VXLAN device inside a node holds its UDP socket (and
				 * VNI) in the host's namespace until the node's namespace
				 * is cleaned up, asynchronously: down deletes it first.
				 */
				char l[600];

				snprintf(l, sizeof(l), "%s %s", x->to->nodes[w->node[0]].ns,
					 x->to->nodes[w->node[0]].ifaces[w->iface[0]].name);
				ret = append_line(&buf, &len, &cap, "vxns ", l);
			}
			break;
		}
		case NSNET_OBJ_NAT:
			nat = 1;
			break;
		default:
			break;
		}
	}
	if (nat && ret == 0) {
		snprintf(table, sizeof(table), "nsnet-%s", x->lab);
		ret = append_line(&buf, &len, &cap, "nft ", table);
		if (ret == 0)
			ret = append_line(&buf, &len, &cap, "hold ", NSNET_FWD_KEY);
		if (ret == 0)
			ret = append_line(&buf, &len, &cap, "hold ", NSNET_FWD6_KEY);
	}
	if (ret < 0)
		ret = nsnet_err_set(x->err, -ENOMEM, "out of memory");
	else if (len)
		ret = nsnet_state_append(x->lab, buf, len, x->err);
	free(buf);
	return ret;
}

/* ---- driver ----------------------------------------------------------------------------- */

int nsnet__plan_exec(const struct nsnet_plan *p, const char *lab, nsnet_progress_fn progress,
		     void *parg, struct nsnet_err *err)
{
	struct xctx x = { .p = p, .from = p->from, .to = p->to, .lab = lab, .progress = progress,
			  .parg = parg, .err = err, .ipv6 = -1 };
	size_t i = 0, j, wlo = 0, whi = 0, nlo = 0, nhi = 0;
	int ret, need_hl = 0;

	nsnet_lab_alias(lab, x.alias, sizeof(x.alias));
	x.group = nsnet_lab_group(lab);
	x.njournal = nsnet_state_read(lab, &x.journal, err);
	if (x.njournal < 0)
		return x.njournal;
	ret = handles_init(&x);
	if (ret < 0)
		goto out;
	x.br_to = calloc((x.to ? x.to->nbridges : 0) + 1, sizeof(*x.br_to));
	if (!x.br_to) {
		ret = nsnet_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	ret = nsnet_nl_open(&x.host, -1, err);
	if (ret < 0)
		goto out;
	ret = journal_intents(&x);
	if (ret < 0)
		goto out;
	for (j = 0; j < p->n; j++)
		need_hl |= p->ops[j].verb == NSNET_OP_DEL &&
			   (p->ops[j].obj == NSNET_OBJ_WIRE || p->ops[j].obj == NSNET_OBJ_BRIDGE ||
			    p->ops[j].obj == NSNET_OBJ_BRADDR);
	if (need_hl) {
		ret = load_host_links(&x);
		if (ret < 0)
			goto out;
	}
	while (i < p->n && ret == 0) {
		const struct nsnet_op *o = &p->ops[i];
		size_t end = i;

		while (end < p->n && p->ops[end].stage == o->stage)
			end++;
		if (o->verb == NSNET_OP_DEL) {
			switch (o->obj) {
			case NSNET_OBJ_CMD: ret = st_del_cmd(&x, i, end); break;
			case NSNET_OBJ_NAT: ret = st_nat(&x, i, end); break;
			case NSNET_OBJ_ROUTE: ret = st_del_route(&x, i, end); break;
			case NSNET_OBJ_ADDR:
			case NSNET_OBJ_BRADDR: ret = st_del_addr(&x, i, end); break;
			case NSNET_OBJ_WIRE: ret = st_del_wire(&x, i, end); break;
			case NSNET_OBJ_NODE: ret = st_del_node(&x, i, end); break;
			case NSNET_OBJ_BRIDGE: ret = st_del_bridge(&x, i, end); break;
			case NSNET_OBJ_SYSCTL: ret = st_del_sysctl(&x, i, end); break;
			case NSNET_OBJ_IMPAIR: ret = st_impair(&x, i, end); break;
			default: break;
			}
			i = end;
			continue;
		}
		switch (o->obj) {
		case NSNET_OBJ_BRIDGE: ret = st_bridge(&x, i, end); break;
		case NSNET_OBJ_BRADDR: ret = st_add_braddr(&x, i, end); break;
		case NSNET_OBJ_NODE:
			nlo = i;
			nhi = end;
			ret = st_add_node(&x, i, end);
			break;
		case NSNET_OBJ_WIRE:
			wlo = i;
			whi = end;
			ret = st_add_wire(&x, i, end);
			break;
		case NSNET_OBJ_ADDR:
		case NSNET_OBJ_ROUTE:
			/* both stages at once: two round trips per node */
			while (end < p->n && (p->ops[end].obj == NSNET_OBJ_ADDR ||
					      p->ops[end].obj == NSNET_OBJ_ROUTE))
				end++;
			ret = st_configure(&x, wlo, whi, nlo, nhi, i, end);
			wlo = whi = nlo = nhi = 0;
			break;
		case NSNET_OBJ_SYSCTL: ret = st_sysctl(&x, i, end); break;
		case NSNET_OBJ_NAT: ret = st_nat(&x, i, end); break;
		case NSNET_OBJ_CMD: ret = st_add_cmd(&x, i, end); break;
		case NSNET_OBJ_IMPAIR: ret = st_impair(&x, i, end); break;
		default: break;
		}
		i = end;
		/* new nodes or cables and no address/route stage next: bring them up now */
		if (ret == 0 && (wlo != whi || nlo != nhi) &&
		    (i >= p->n || (p->ops[i].obj != NSNET_OBJ_WIRE && p->ops[i].obj != NSNET_OBJ_ADDR &&
				   p->ops[i].obj != NSNET_OBJ_ROUTE))) {
			ret = st_configure(&x, wlo, whi, nlo, nhi, i, i);
			wlo = whi = nlo = nhi = 0;
		}
	}
out:
	handles_free(&x);
	free(x.br_to);
	free(x.hl);
	nsnet_nl_close(x.host);
	nsnet_strv_free(x.journal);
	return ret;
}
