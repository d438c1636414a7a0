// SPDX-License-Identifier: MIT
/*
 * Cables of a running lab, on the kernel side: impairments given at `up`,
 * `nsnet link set NODE:IF up|down|rate …|clear`, and `nsnet link show`.
 * One rtnetlink socket per namespace touched; the ends of a cable in one
 * namespace go in one batch. Changes are undone on a refusal part-way and
 * recorded in the lab's state ("cables") as far as they differ from the file.
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "nsnet/apply.h"
#include "nsnet/cable.h"
#include "nsnet/link.h"
#include "nsnet/netns.h"
#include "nsnet/state.h"
#include "cable-int.h"
#include "lab-int.h"

#define STATE_FILE "cables"

/* ---- reading links (with counters) ------------------------------------------- */

struct link_read {
	struct nsnet_link_info li;
	struct rtnl_link_stats64 st;
	int got;
};

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_read *r = data;
	const struct nlattr *a;
	size_t end = nlh->nlmsg_len;

	if (nlh->nlmsg_type != RTM_NEWLINK || nsnet_link_parse(nlh, &r->li) < 0)
		return 0;
	r->got = 1;
	for (a = mnl_nlmsg_get_payload_offset(nlh, sizeof(struct ifinfomsg));
	     mnl_attr_ok(a, (int)((const char *)nlh + end - (const char *)a)); a = mnl_attr_next(a)) {
		if (mnl_attr_get_type(a) == IFLA_STATS64) {
			size_t n = mnl_attr_get_payload_len(a);

			memcpy(&r->st, mnl_attr_get_payload(a), n < sizeof(r->st) ? n : sizeof(r->st));
		}
	}
	return 0;
}

static void get_link(struct nsnet_nl *nl, const char *name, struct link_read *r)
{
	struct nsnet_link_req a = NSNET_LINK_REQ_INIT;

	memset(r, 0, sizeof(*r));
	a.name = name;
	nsnet_link_msg(nsnet_nl_req(nl, RTM_GETLINK, 0, link_cb, r, "find link %s", name), &a);
}

static void set_link_up(struct nsnet_nl *nl, const char *name, int up)
{
	struct nsnet_link_req a = NSNET_LINK_REQ_INIT;

	a.name = name;
	a.up = up ? 1 : -1;
	nsnet_link_set(nl, &a);
}

/* ---- sockets: one per namespace ------------------------------------------------ */

struct socks {
	const struct nsnet_lab *lab;
	struct nsnet_nl **nl;		/* [node], [nnodes] = host */
	int *tried;
};

static int socks_init(struct socks *s, const struct nsnet_lab *lab, struct nsnet_err *err)
{
	s->lab = lab;
	s->nl = calloc(lab->nnodes + 1, sizeof(*s->nl));
	s->tried = calloc(lab->nnodes + 1, sizeof(*s->tried));
	if (!s->nl || !s->tried)
		return nsnet_err_set(err, -ENOMEM, "out of memory");
	return 0;
}

static void socks_free(struct socks *s)
{
	size_t i;

	if (s->nl)
		for (i = 0; i <= s->lab->nnodes; i++)
			nsnet_nl_close(s->nl[i]);
	free(s->nl);
	free(s->tried);
}

/* The socket of node @node (-1: host), opened on first use; NULL (and @err) if it cannot be. */
static struct nsnet_nl *sock(struct socks *s, int node, struct nsnet_err *err)
{
	size_t i = node < 0 ? s->lab->nnodes : (size_t)node;
	int fd;

	if (s->nl[i] || s->tried[i])
		return s->nl[i];
	s->tried[i] = 1;
	if (node < 0) {
		nsnet_nl_open(&s->nl[i], -1, err);
		return s->nl[i];
	}
	fd = nsnet_netns_open(s->lab->nodes[node].ns, err);
	if (fd < 0) {
		nsnet_err_where(err, "node %s", s->lab->nodes[node].name);
		return NULL;
	}
	nsnet_nl_open(&s->nl[i], fd, err);
	close(fd);
	return s->nl[i];
}

/* Flush every open socket; the first error is kept. */
static int socks_flush(struct socks *s, struct nsnet_err *err)
{
	struct nsnet_err e = { 0 };
	size_t i;
	int ret = 0, r;

	for (i = 0; i <= s->lab->nnodes; i++) {
		if (!s->nl[i] || !nsnet_nl_pending(s->nl[i]))
			continue;
		r = nsnet_nl_flush(s->nl[i], ret ? &e : err);
		if (r < 0 && !ret)
			ret = r;
	}
	return ret;
}

/* ---- records ---------------------------------------------------------------------- */

int nsnet_cable_state_read(const char *lab, struct nsnet_cable_state **v, size_t *n,
			   struct nsnet_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int ret;

	*v = NULL;
	*n = 0;
	if (nsnet_state_get(lab, STATE_FILE, &text, &len, NULL) < 0)
		return 0;	/* none yet */
	ret = nsnet_cable_state_parse(text, len, v, n);
	free(text);
	return ret < 0 ? nsnet_err_set(err, ret, "out of memory") : 0;
}

static int state_write(const char *lab, struct nsnet_cable_state *v, size_t n,
		       struct nsnet_err *err)
{
	char path[PATH_MAX], *text;
	size_t i, k;
	int ret;

	for (i = k = 0; i < n; i++)
		if (v[i].down || v[i].has_impair)
			v[k++] = v[i];
	if (!k) {
		/* nothing differs from the lab file: no file, as before the first change */
		if (nsnet_state_path(lab, STATE_FILE, path, sizeof(path)) < 0)
			return nsnet_err_set(err, -EINVAL, "invalid state path");
		if (unlink(path) < 0 && errno != ENOENT)
			return nsnet_err_set(err, -errno, "cannot remove %s: %s", path,
					     strerror(errno));
		return 0;
	}
	text = nsnet_cable_state_text(v, k);
	if (!text)
		return nsnet_err_set(err, -ENOMEM, "out of memory");
	ret = nsnet_state_put(lab, STATE_FILE, text, strlen(text), err);
	free(text);
	return ret;
}

int nsnet__cable_forget(const char *lab, char **keys, size_t nkeys, struct nsnet_err *err)
{
	struct nsnet_cable_state *v = NULL;
	size_t n = 0, i, k;
	int ret, hit = 0;

	if (!nkeys)
		return 0;
	ret = nsnet_cable_state_read(lab, &v, &n, err);
	for (i = 0; i < n && ret == 0; i++)
		for (k = 0; k < nkeys; k++)
			if (!strcmp(v[i].key, keys[k])) {
				v[i].down = v[i].has_impair = 0;
				hit = 1;
			}
	if (ret == 0 && hit)
		ret = state_write(lab, v, n, err);
	free(v);
	return ret;
}

/* Record cable @key: down (@what 0) or impairment @im against the file's @file_im (@what 1). */
static int record(const char *lab, const char *key, int what, int down,
		  const struct nsnet_impair *im, const struct nsnet_impair *file_im,
		  struct nsnet_err *err)
{
	struct nsnet_cable_state *v = NULL, *nv, *r = NULL;
	size_t n = 0, i;
	int ret = nsnet_cable_state_read(lab, &v, &n, err);

	if (ret < 0)
		return ret;
	for (i = 0; i < n && !r; i++)
		if (!strcmp(v[i].key, key))
			r = &v[i];
	if (!r) {
		nv = realloc(v, (n + 1) * sizeof(*nv));
		if (!nv) {
			free(v);
			return nsnet_err_set(err, -ENOMEM, "out of memory");
		}
		v = nv;
		r = &v[n++];
		memset(r, 0, sizeof(*r));
		snprintf(r->key, sizeof(r->key), "%s", key);
	}
	if (what == 0) {
		r->down = down;
	} else {
		r->has_impair = !nsnet_impair_eq(im, file_im);
		r->impair = *im;
	}
	ret = state_write(lab, v, n, err);
	free(v);
	return ret;
}

/* ---- set ------------------------------------------------------------------------- */

struct set_ctx {
	const char *name;
	struct nsnet_lab *lab;
	int lock;
	struct nsnet_cable c;
	char key[NSNET_CABLE_KEY_MAX];
	struct socks s;
	struct nsnet_nl *nl[2];
	struct link_read old[2];
	int nends;
};

static int set_open(struct set_ctx *x, const char *lab, const char *endpoint,
		    struct nsnet_err *err)
{
	size_t node, iface;
	int ret;

	x->name = lab;
	x->lock = nsnet_state_lock(lab, err);
	if (x->lock < 0)
		return x->lock;
	if (!nsnet_state_exists(lab))
		return nsnet_err_set(err, -ENOENT, "lab \"%s\" is not up", lab);
	ret = nsnet_lab_saved(lab, &x->lab, err);
	if (ret < 0)
		return ret;
	ret = nsnet_cable_find(x->lab, endpoint, &node, &iface, err);
	if (ret < 0)
		return ret;
	if (!nsnet_lab_node_local(x->lab, node))
		return nsnet_err_set(err, -EINVAL, "node \"%s\" is on host %s: run this there",
				     x->lab->nodes[node].name,
				     x->lab->hosts[x->lab->nodes[node].host_idx].name);
	nsnet_cable_of(x->lab, node, iface, &x->c, NULL);
	nsnet_cable_key(x->lab, &x->c, x->key, sizeof(x->key));
	/* the other end of a cable across hosts is that host's to change */
	x->nends = x->c.ifname[1] && (x->c.node[1] < 0 ||
				      nsnet_lab_node_local(x->lab, (size_t)x->c.node[1])) ? 2 : 1;
	return socks_init(&x->s, x->lab, err);
}

/* Sockets of the ends (after every check: opening one touches nothing). */
static int set_socks(struct set_ctx *x, struct nsnet_err *err)
{
	int i;

	for (i = 0; i < x->nends; i++) {
		x->nl[i] = sock(&x->s, x->c.node[i], err);
		if (!x->nl[i])
			return err && err->error ? err->error : -EIO;
	}
	return 0;
}

static void set_close(struct set_ctx *x)
{
	socks_free(&x->s);
	nsnet_lab_free(x->lab);
	if (x->lock >= 0)
		nsnet_state_unlock(x->lock);
}

static void end_where(struct set_ctx *x, int i, struct nsnet_err *err)
{
	char b[NSNET_CABLE_KEY_MAX];

	if (err && err->error && !err->where[0]) {
		nsnet_cable_end_name(x->lab, &x->c, i, b, sizeof(b));
		nsnet_err_where(err, "%s", b);
	}
}

int nsnet_cable_set_up(const char *lab, const char *endpoint, int up, struct nsnet_err *err)
{
	struct set_ctx x = { .lock = -1 };
	int i, ret;

	ret = set_open(&x, lab, endpoint, err);
	if (ret == 0)
		ret = set_socks(&x, err);
	if (ret < 0)
		goto out;
	for (i = 0; i < x.nends; i++) {
		get_link(x.nl[i], x.c.ifname[i], &x.old[i]);
		set_link_up(x.nl[i], x.c.ifname[i], up);
	}
	ret = socks_flush(&x.s, err);
	if (ret == 0)
		ret = record(lab, x.key, 0, !up, NULL, NULL, err);
	if (ret < 0) {
		/* put back the ends whose state was read */
		for (i = 0; i < x.nends; i++)
			if (x.old[i].got)
				set_link_up(x.nl[i], x.c.ifname[i], x.old[i].li.flags & IFF_UP);
		socks_flush(&x.s, NULL);
	}
out:
	set_close(&x);
	return ret;
}

int nsnet_cable_set_impair(const char *lab, const char *endpoint, const struct nsnet_impair *im,
			   struct nsnet_err *err)
{
	struct nsnet_qdisc_info oldq[2];
	struct nsnet_impair none = { 0 }, prev;
	struct set_ctx x = { .lock = -1 };
	int i, ret;

	if (!im)
		im = &none;
	ret = nsnet_impair_check(im, err);
	if (ret == 0)
		ret = set_open(&x, lab, endpoint, err);
	if (ret == 0 && nsnet_impair_needs_netem(im) && nsnet_tc_netem_probe() == 0)
		ret = nsnet_tc_netem_missing(err);
	if (ret == 0)
		ret = set_socks(&x, err);
	if (ret < 0)
		goto out;
	for (i = 0; i < x.nends; i++)
		get_link(x.nl[i], x.c.ifname[i], &x.old[i]);
	ret = socks_flush(&x.s, err);
	for (i = 0; i < x.nends && ret == 0; i++) {
		if (!x.old[i].got) {
			ret = nsnet_err_set(err, -ENODEV, "no such link");
			end_where(&x, i, err);
		}
	}
	if (ret < 0)
		goto out;
	for (i = 0; i < x.nends; i++) {
		nsnet_tc_get_req(x.nl[i], x.old[i].li.ifindex, x.c.ifname[i], &oldq[i]);
		nsnet_tc_set(x.nl[i], x.old[i].li.ifindex, x.c.ifname[i], im,
			     (unsigned)x.old[i].li.mtu);
	}
	ret = socks_flush(&x.s, err);
	if (ret < 0)
		nsnet_tc_explain(err);
	if (ret == 0)
		ret = record(lab, x.key, 1, 0, im, x.c.impair, err);
	if (ret < 0) {
		/* put back what was there, where it is something we can make again */
		for (i = 0; i < x.nends; i++)
			if (nsnet_tc_impair(&oldq[i], (unsigned)x.old[i].li.mtu, &prev) == 0)
				nsnet_tc_set(x.nl[i], x.old[i].li.ifindex, x.c.ifname[i], &prev,
					     (unsigned)x.old[i].li.mtu);
		socks_flush(&x.s, NULL);
	}
out:
	set_close(&x);
	return ret;
}

/* ---- show ------------------------------------------------------------------------- */

static void fill_end(struct nsnet_cable_end_view *e, const struct link_read *r)
{
	e->present = r->got;
	if (!r->got)
		return;
	e->flags = r->li.flags;
	e->mtu = r->li.mtu;
	e->ifindex = r->li.ifindex;
	e->rx_packets = r->st.rx_packets;
	e->tx_packets = r->st.tx_packets;
	e->rx_bytes = r->st.rx_bytes;
	e->tx_bytes = r->st.tx_bytes;
	e->rx_dropped = r->st.rx_dropped;
	e->tx_dropped = r->st.tx_dropped;
}

int nsnet_cable_list(const char *name, struct nsnet_cable_view **out, size_t *nout,
		     struct nsnet_err *err)
{
	struct nsnet_cable_state *rec = NULL;
	struct nsnet_cable_view *v = NULL;
	struct nsnet_cable *cab = NULL;
	struct link_read *rd = NULL;
	struct nsnet_lab *lab = NULL;
	struct socks s = { 0 };
	size_t nrec = 0, total = 0, i, j, k;
	struct nsnet_nl *nl;
	int ret, e;

	*out = NULL;
	*nout = 0;
	ret = nsnet_lab_saved(name, &lab, err);
	if (ret == 0)
		ret = nsnet_cable_state_read(name, &rec, &nrec, err);
	if (ret == 0)
		ret = socks_init(&s, lab, err);
	if (ret < 0)
		goto out;
	for (i = 0; i < lab->nnodes; i++)
		if (nsnet_lab_node_local(lab, i))
			total += lab->nodes[i].nifaces;
	v = calloc(total + 1, sizeof(*v));
	cab = calloc(total + 1, sizeof(*cab));
	rd = calloc(2 * total + 1, sizeof(*rd));
	if (!v || !cab || !rd) {
		ret = nsnet_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0, k = 0; i < lab->nnodes; i++) {
		if (!nsnet_lab_node_local(lab, i))
			continue;	/* on another host: shown there */
		for (j = 0; j < lab->nodes[i].nifaces; j++, k++) {
			const struct nsnet_cable_state *r;

			nsnet_cable_of(lab, i, j, &cab[k], NULL);
			nsnet_cable_key(lab, &cab[k], v[k].key, sizeof(v[k].key));
			if (cab[k].impair)
				v[k].want = *cab[k].impair;
			r = nsnet_cable_state_find(rec, nrec, v[k].key);
			if (r) {
				v[k].runtime_down = r->down;
				v[k].runtime_impair = r->has_impair;
				if (r->has_impair)
					v[k].want = r->impair;
			}
			for (e = 0; e < 2; e++) {
				nsnet_cable_end_name(lab, &cab[k], e, v[k].end[e].name,
						     sizeof(v[k].end[e].name));
				if (!cab[k].ifname[e] || (cab[k].node[e] >= 0 &&
				    !nsnet_lab_node_local(lab, (size_t)cab[k].node[e])))
					continue;
				nl = sock(&s, cab[k].node[e], NULL);
				if (!nl)
					continue;	/* namespace gone: shown as missing */
				get_link(nl, cab[k].ifname[e], &rd[2 * k + (size_t)e]);
				nsnet_nl_ignore(nl, ENODEV, 0);
			}
		}
	}
	ret = socks_flush(&s, err);
	if (ret < 0)
		goto out;
	for (k = 0; k < total; k++) {
		for (e = 0; e < 2; e++) {
			struct link_read *r = &rd[2 * k + (size_t)e];

			fill_end(&v[k].end[e], r);
			if (r->got)
				nsnet_tc_get_req(sock(&s, cab[k].node[e], NULL), r->li.ifindex,
						 cab[k].ifname[e], &v[k].end[e].qdisc);
		}
	}
	ret = socks_flush(&s, err);
	if (ret < 0)
		goto out;
	for (k = 0; k < total; k++)
		for (e = 0; e < 2; e++)
			if (v[k].end[e].present)
				v[k].end[e].foreign =
					nsnet_tc_impair(&v[k].end[e].qdisc,
							(unsigned)v[k].end[e].mtu,
							&v[k].end[e].impair) < 0;
	*out = v;
	*nout = total;
	v = NULL;
out:
	free(v);
	free(cab);
	free(rd);
	free(rec);
	socks_free(&s);
	nsnet_lab_free(lab);
	return ret;
}

/* ---- up ----------------------------------------------------------------------------- */

static int lab_has_impair(const struct nsnet_lab *lab, int netem, const struct nsnet_loc **loc,
			  char *field, size_t flen)
{
	size_t i, j;

	for (i = 0; i < lab->nnodes; i++) {
		for (j = 0; j < lab->nodes[i].nifaces; j++) {
			const struct nsnet_lab_iface *f = &lab->nodes[i].ifaces[j];

			if (f->impair.set && (!netem || nsnet_impair_needs_netem(&f->impair))) {
				*loc = &f->impair_loc;
				snprintf(field, flen, "nodes.%s.interfaces.%s", lab->nodes[i].name,
					 f->name);
				return 1;
			}
		}
	}
	for (i = 0; i < lab->nlinks; i++) {
		const struct nsnet_lab_link *l = &lab->links[i];

		if (l->impair.set && (!netem || nsnet_impair_needs_netem(&l->impair))) {
			*loc = &l->impair_loc;
			snprintf(field, flen, "links[%zu]", i);
			return 1;
		}
	}
	return 0;
}

int nsnet__cable_preflight(const struct nsnet_lab *lab, struct nsnet_err *err)
{
	const struct nsnet_loc *loc;
	char field[NSNET_CABLE_KEY_MAX], w[300];
	struct nsnet_err e = { 0 };

	if (!lab_has_impair(lab, 1, &loc, field, sizeof(field)) || nsnet_tc_netem_probe() != 0)
		return 0;	/* not needed, there, or cannot tell: the kernel will say */
	nsnet_tc_netem_missing(&e);
	return nsnet_err_set(err, e.error, "%s: %s.impair: %.300s",
			     nsnet_lab_where(lab, loc, w, sizeof(w)), field, e.msg);
}
