// SPDX-License-Identifier: MIT
/*
 * Events of a running lab, the watcher: one rtnetlink socket subscribed to
 * links, addresses, routes and qdiscs inside every namespace of the lab
 * (created on a short-lived thread that setns()es there: the socket stays
 * bound to that namespace), one in the caller's namespace whose events are
 * kept only for the lab's host links, and inotify on the namespace directory
 * (nodes appearing and going) and on the lab's state directory (its journal
 * changes: re-read the lab, open and close sockets; the directory goes away:
 * the lab is down). Everything under one epoll fd; no thread runs between
 * calls, nothing is printed.
 *
 * Each socket first dumps links, addresses and qdiscs (quietly for the
 * namespaces there at the start, reported for nodes added later) into its
 * nsnet_ev_track; on ENOBUFS it reports an overrun and dumps again, and the
 * tracker reports the differences.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "nsnet/apply.h"
#include "nsnet/events.h"
#include "nsnet/netns.h"
#include "nsnet/nl.h"
#include "nsnet/state.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

#define RECV_BUF	(64 * 1024)
#define DEFAULT_RCVBUF	(4 << 20)
#define READS_PER_TURN	64		/* datagrams per socket per turn (fairness) */
#define REREAD_MS	10		/* coalesce journal writes */
#define RETRY_MIN_MS	5		/* namespace file there, not bound yet */
#define RETRY_MAX_MS	1000

enum { TAG_SOCK = 1, TAG_INOTIFY, TAG_TIMER };
enum { PH_IDLE = 0, PH_LINK, PH_ADDR, PH_QDISC };

struct evnode;

struct evsock {
	int tag;			/* TAG_SOCK; first, for epoll dispatch */
	int fd;
	uint32_t portid, seq, dump_seq;
	int phase;
	int quiet_dump;			/* the current dump sequence reports nothing */
	int seeding;			/* first dump sequence not complete */
	int resync;			/* overrun: dump again once the current one ends */
	struct nsnet_ev_track *t;
	struct evnode *node;		/* NULL: the host */
	struct evsock *next_dead;
};

struct evnode {
	char *ns;			/* namespace name */
	char *node;			/* node name */
	int desired;			/* in the lab (model or journal) */
	struct evsock *s;
	unsigned long dev, ino;		/* of the namespace we opened */
	int pending;			/* retry opening at next_try */
	uint64_t next_try;
	unsigned delay;
};

struct tagged {
	int tag;
};

struct nsnet_events {
	char lab[80];
	char alias[96];
	uint32_t group;
	nsnet_event_fn fn;
	void *arg;
	int rcvbuf;
	int ep, ino_fd, timer_fd;
	int wd_netns, wd_state, wd_labdir;
	struct tagged ino_tag, timer_tag;
	struct evsock *host;
	struct evnode *nodes;
	size_t nnodes, cnodes;
	char **host_names;		/* sorted */
	size_t nhost;
	struct nsnet_lab *model;	/* last lab read back that checked */
	int started;			/* initial set-up done: new nodes are reported */
	int nseeding, ready_sent;
	uint64_t reread_at;		/* 0: none due */
	uint64_t netns_watch_at;	/* no namespace directory yet: look again then */
	int down;
	struct evsock *dead;		/* closed during this turn, freed at its end */
	char *rbuf;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- delivery ------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int host_name_wanted(const struct nsnet_events *w, const char *name)
{
	if (!name || !name[0] || !w->nhost)
		return 0;
	return bsearch(&name, w->host_names, w->nhost, sizeof(char *), cmp_str) != NULL;
}

static int host_link_wanted(const struct nsnet_events *w, const char *name,
			    const struct nsnet_event_link *l)
{
	if (host_name_wanted(w, name))
		return 1;
	return l && (!strcmp(l->alias, w->alias) || (l->group && l->group == w->group));
}

/* Host events are the lab's if they concern one of its host links. */
static int host_wanted(const struct nsnet_events *w, const struct nsnet_event *ev)
{
	const struct nsnet_event_link *l;
	const char *name;

	if (ev->type == NSNET_EV_LINK)
		return host_link_wanted(w, ev->ifname, &ev->link) ||
		       (ev->action == NSNET_EV_RENAME && host_name_wanted(w, ev->link.old_name));
	if (!ev->ifindex)
		return 0;
	l = nsnet_ev_track_link(w->host->t, ev->ifindex, &name);
	return l && host_link_wanted(w, name, l);
}

static void deliver(struct nsnet_events *w, struct evsock *s, struct nsnet_event *ev)
{
	if (!w->fn || (s && !s->node && !host_wanted(w, ev)))
		return;
	clock_gettime(CLOCK_REALTIME, &ev->time);
	ev->lab = w->lab;
	if (s) {
		ev->node = s->node ? s->node->node : "host";
		ev->netns = s->node ? s->node->ns : NULL;
	}
	w->fn(ev, w->arg);
}

static void deliver_simple(struct nsnet_events *w, struct evsock *s, enum nsnet_event_type type,
			   enum nsnet_event_action action)
{
	struct nsnet_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.action = action;
	deliver(w, s, &ev);
}

struct sweep_arg {
	struct nsnet_events *w;
	struct evsock *s;
};

static void sweep_cb(const struct nsnet_event *ev, void *p)
{
	struct sweep_arg *a = p;
	struct nsnet_event e = *ev;

	deliver(a->w, a->s, &e);
}

/* ---- sockets ---------------------------------------------------------------------- */

static int create_cb(void *arg)
{
	int *fd = arg;

	*fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	return *fd < 0 ? -errno : 0;
}

static const unsigned groups[] = {
	RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV4_ROUTE,
	RTNLGRP_IPV6_ROUTE, RTNLGRP_TC,
};

/* A subscribed socket in the namespace of @nsfd (-1: ours), registered with epoll. */
static int sock_open(struct nsnet_events *w, int nsfd, struct evsock **out, struct nsnet_err *err)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	socklen_t sl = sizeof(sa);
	struct epoll_event ee = { .events = EPOLLIN };
	struct evsock *s;
	size_t i;
	int fd = -1, ret;

	*out = NULL;
	ret = nsfd >= 0 ? nsnet_netns_call(nsfd, create_cb, &fd, err) : create_cb(&fd);
	if (ret < 0)
		return err && err->error ? ret : nsnet_err_set(err, ret, "netlink socket: %s",
							       strerror(-ret));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &w->rcvbuf, sizeof(w->rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &w->rcvbuf, sizeof(w->rcvbuf));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
		ret = nsnet_err_set(err, -errno, "netlink bind: %s", strerror(errno));
		goto fail;
	}
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &groups[i],
			       sizeof(groups[i])) < 0) {
			ret = nsnet_err_set(err, -errno, "netlink subscribe (group %u): %s",
					    groups[i], strerror(errno));
			goto fail;
		}
	}
	s = calloc(1, sizeof(*s));
	if (s)
		s->t = nsnet_ev_track_new();
	if (!s || !s->t) {
		if (s)
			free(s);
		ret = nsnet_err_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	s->tag = TAG_SOCK;
	s->fd = fd;
	s->portid = sa.nl_pid;
	s->seq = (uint32_t)time(NULL);
	ee.data.ptr = s;
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ee) < 0) {
		ret = nsnet_err_set(err, -errno, "epoll: %s", strerror(errno));
		nsnet_ev_track_free(s->t);
		free(s);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	close(fd);
	return ret;
}

static void maybe_ready(struct nsnet_events *w);

static void sock_close(struct nsnet_events *w, struct evsock *s)
{
	if (!s || s->fd < 0)
		return;
	epoll_ctl(w->ep, EPOLL_CTL_DEL, s->fd, NULL);
	close(s->fd);
	s->fd = -1;
	if (s->seeding) {
		s->seeding = 0;
		w->nseeding--;
		maybe_ready(w);
	}
	nsnet_ev_track_free(s->t);
	s->t = NULL;
	s->next_dead = w->dead;
	w->dead = s;
}

static void free_dead(struct nsnet_events *w)
{
	while (w->dead) {
		struct evsock *s = w->dead;

		w->dead = s->next_dead;
		free(s);
	}
}

static int dump_req(struct evsock *s, uint16_t type)
{
	char buf[64] __attribute__((aligned(8)));
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct nlmsghdr *nlh;
	size_t hl;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = s->dump_seq = ++s->seq;
	hl = type == RTM_GETLINK ? sizeof(struct ifinfomsg) :
	     type == RTM_GETADDR ? sizeof(struct ifaddrmsg) : sizeof(struct tcmsg);
	mnl_nlmsg_put_extra_header(nlh, hl);	/* zeroed: AF_UNSPEC, every object */
	if (sendto(s->fd, nlh, nlh->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return 0;
}

static const uint16_t phase_req[] = { 0, RTM_GETLINK, RTM_GETADDR, RTM_GETQDISC };

static void seeded(struct nsnet_events *w, struct evsock *s);

/*
 * Start a dump sequence (links, addresses, qdiscs). If the request cannot be
 * sent (no memory), the socket counts as seeded with what notifications
 * bring; the next overrun tries again.
 */
static void dump_start(struct nsnet_events *w, struct evsock *s, int quiet)
{
	nsnet_ev_track_begin(s->t);
	s->quiet_dump = quiet;
	s->phase = PH_LINK;
	if (dump_req(s, RTM_GETLINK) < 0) {
		s->phase = PH_IDLE;
		seeded(w, s);
	}
}

/* Every socket there at the start has its first dumps: say so, once. */
static void maybe_ready(struct nsnet_events *w)
{
	struct nsnet_event ev;
	size_t i;

	if (w->nseeding > 0 || w->ready_sent || !w->started)
		return;
	w->ready_sent = 1;
	memset(&ev, 0, sizeof(ev));
	ev.type = NSNET_EV_LAB;
	ev.action = NSNET_EV_READY;
	for (i = 0; i < w->nnodes; i++)
		ev.count += w->nodes[i].s != NULL;
	deliver(w, NULL, &ev);
}

static void seeded(struct nsnet_events *w, struct evsock *s)
{
	if (!s->seeding)
		return;
	s->seeding = 0;
	w->nseeding--;
	maybe_ready(w);
}

static void dump_next(struct nsnet_events *w, struct evsock *s)
{
	if (s->phase < PH_QDISC) {
		s->phase++;
		if (dump_req(s, phase_req[s->phase]) == 0)
			return;
	}
	s->phase = PH_IDLE;
	{
		struct sweep_arg a = { w, s };

		nsnet_ev_track_sweep(s->t, s->quiet_dump, sweep_cb, &a);
	}
	seeded(w, s);
	if (s->resync) {
		s->resync = 0;
		dump_start(w, s, 0);
	}
}

static void overrun(struct nsnet_events *w, struct evsock *s)
{
	deliver_simple(w, s, NSNET_EV_OVERRUN, 0);
	if (s->phase == PH_IDLE)
		dump_start(w, s, 0);
	else
		s->resync = 1;
}

static void handle_msgs(struct nsnet_events *w, struct evsock *s, size_t len)
{
	const struct nlmsghdr *nlh = (const void *)w->rbuf;
	struct nsnet_event ev, out[2];

	while (s->fd >= 0 && nsnet_nl_msg_ok(nlh, len)) {
		size_t step = NLMSG_ALIGN(nlh->nlmsg_len);
		int dump = s->phase != PH_IDLE && nlh->nlmsg_pid == s->portid &&
			   nlh->nlmsg_seq == s->dump_seq;
		int n, i, mode;

		if (dump && (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR)) {
			dump_next(w, s);
		} else if (nlh->nlmsg_type >= NLMSG_MIN_TYPE &&
			   nsnet_event_decode(nlh, nlh->nlmsg_len, &ev) > 0) {
			if (dump)
				mode = NSNET_EVT_DUMP | (s->quiet_dump ? NSNET_EVT_QUIET : 0);
			else
				mode = s->seeding && s->quiet_dump ? NSNET_EVT_QUIET_NEW : 0;
			n = nsnet_ev_track_apply(s->t, &ev, mode, out);
			for (i = 0; i < n; i++)
				deliver(w, s, &out[i]);
		}
		len = step < len ? len - step : 0;
		nlh = (const void *)((const char *)nlh + step);
	}
}

/* Read what is queued on @s (at most @max datagrams; 0: everything). */
static void sock_read(struct nsnet_events *w, struct evsock *s, int max)
{
	int reads = 0;

	while (s->fd >= 0 && (!max || reads++ < max)) {
		struct sockaddr_nl sa;
		struct iovec iov = { w->rbuf, RECV_BUF };
		struct msghdr mh = { .msg_name = &sa, .msg_namelen = sizeof(sa),
				     .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = recvmsg(s->fd, &mh, MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				overrun(w, s);
				continue;
			}
			return;		/* EAGAIN: all read */
		}
		if (n == 0)
			return;
		if (mh.msg_flags & MSG_TRUNC) {
			overrun(w, s);	/* a message did not fit: lost */
			continue;
		}
		if (sa.nl_pid != 0)
			continue;	/* not from the kernel */
		handle_msgs(w, s, (size_t)n);
	}
}

/* ---- nodes -------------------------------------------------------------------------- */

static struct evnode *find_node(struct nsnet_events *w, const char *ns)
{
	size_t i;

	for (i = 0; i < w->nnodes; i++)
		if (!strcmp(w->nodes[i].ns, ns))
			return &w->nodes[i];
	return NULL;
}

static struct evnode *get_node(struct nsnet_events *w, const char *ns)
{
	struct evnode *nd = find_node(w, ns), *nv;
	size_t i;

	if (nd)
		return nd;
	if (w->nnodes == w->cnodes) {
		size_t nc = w->cnodes ? w->cnodes * 2 : 16;

		nv = realloc(w->nodes, nc * sizeof(*nv));
		if (!nv)
			return NULL;
		/* sockets point back at their node */
		for (i = 0; i < w->nnodes; i++)
			if (nv[i].s)
				nv[i].s->node = &nv[i];
		w->nodes = nv;
		w->cnodes = nc;
	}
	nd = &w->nodes[w->nnodes];
	memset(nd, 0, sizeof(*nd));
	nd->ns = strdup(ns);
	nd->node = strdup(ns);
	if (!nd->ns || !nd->node) {
		free(nd->ns);
		free(nd->node);
		return NULL;
	}
	w->nnodes++;
	return nd;
}

static void set_node_name(struct evnode *nd, const char *name)
{
	char *n;

	if (!strcmp(nd->node, name) || !(n = strdup(name)))
		return;
	free(nd->node);
	nd->node = n;
}

static void node_close(struct nsnet_events *w, struct evnode *nd, int report)
{
	if (!nd->s)
		return;
	sock_read(w, nd->s, 0);		/* what happened before it went */
	if (report)
		deliver_simple(w, nd->s, NSNET_EV_NODE, NSNET_EV_DEL);
	sock_close(w, nd->s);
	nd->s = NULL;
}

/* 0 opened; -EAGAIN not (yet) a namespace; -ENOENT gone; other -errno. */
static int node_open(struct nsnet_events *w, struct evnode *nd, int report)
{
	struct evsock *s;
	struct statfs fs;
	struct stat st;
	int fd, ret;

	fd = nsnet_netns_open(nd->ns, NULL);
	if (fd < 0)
		return fd;
	if (fstatfs(fd, &fs) < 0 || fs.f_type != NSFS_MAGIC || fstat(fd, &st) < 0) {
		close(fd);
		return -EAGAIN;	/* the file of `ns add` before its bind mount */
	}
	ret = sock_open(w, fd, &s, NULL);
	close(fd);
	if (ret < 0)
		return ret;
	nd->s = s;
	s->node = nd;
	nd->dev = (unsigned long)st.st_dev;
	nd->ino = (unsigned long)st.st_ino;
	nd->pending = 0;
	if (report)
		deliver_simple(w, s, NSNET_EV_NODE, NSNET_EV_ADD);
	s->seeding = 1;
	w->nseeding++;
	dump_start(w, s, !report);
	return 0;
}

/* Bring node @nd in line with the namespace directory and the lab. */
static void reconcile(struct nsnet_events *w, struct evnode *nd)
{
	char path[PATH_MAX];
	struct stat st;
	int exists, ret;

	snprintf(path, sizeof(path), "%s/%s", nsnet_netns_dir(), nd->ns);
	exists = stat(path, &st) == 0;
	if (nd->s && (!nd->desired || !exists || (unsigned long)st.st_dev != nd->dev ||
		      (unsigned long)st.st_ino != nd->ino))
		node_close(w, nd, 1);
	if (nd->s || !nd->desired || !exists) {
		nd->pending = 0;
		return;
	}
	ret = node_open(w, nd, w->started);
	if (ret == 0 || ret == -ENOENT) {
		nd->pending = 0;
		return;
	}
	/* not bound yet (or failing): try again, less and less often */
	nd->delay = nd->pending ? (nd->delay * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : nd->delay * 2)
				: RETRY_MIN_MS;
	nd->pending = 1;
	nd->next_try = now_ms() + nd->delay;
}

#define NETNS_WATCH_MS 200

/*
 * Watch the namespace directory. It may not exist yet (a lab of bridges only,
 * a fresh host): then look again every NETNS_WATCH_MS, and once it is there,
 * bring every node in line (what was created meanwhile).
 */
static void watch_netns(struct nsnet_events *w)
{
	size_t i;

	if (w->wd_netns >= 0)
		return;
	w->wd_netns = inotify_add_watch(w->ino_fd, nsnet_netns_dir(),
					IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
					IN_ONLYDIR);
	if (w->wd_netns < 0) {
		w->netns_watch_at = now_ms() + NETNS_WATCH_MS;
		return;
	}
	w->netns_watch_at = 0;
	for (i = 0; i < w->nnodes && w->started; i++)
		reconcile(w, &w->nodes[i]);
}

static void arm_timer(struct nsnet_events *w)
{
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };
	uint64_t due = w->reread_at, now = now_ms();
	size_t i;

	if (w->netns_watch_at && (!due || w->netns_watch_at < due))
		due = w->netns_watch_at;

	for (i = 0; i < w->nnodes; i++)
		if (w->nodes[i].pending && (!due || w->nodes[i].next_try < due))
			due = w->nodes[i].next_try;
	if (due) {
		uint64_t d = due > now ? due - now : 1;

		its.it_value.tv_sec = (time_t)(d / 1000);
		its.it_value.tv_nsec = (long)(d % 1000) * 1000000;
	}
	timerfd_settime(w->timer_fd, 0, &its, NULL);
}

/* ---- the lab: model + journal ------------------------------------------------------ */

static int add_host_name(char ***v, size_t *n, size_t *cap, const char *name)
{
	char **nv;

	if (!name || !*name)
		return 0;
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 32;

		nv = realloc(*v, nc * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = nc;
	}
	(*v)[*n] = strdup(name);
	if (!(*v)[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

static void free_host_names(struct nsnet_events *w)
{
	size_t i;

	for (i = 0; i < w->nhost; i++)
		free(w->host_names[i]);
	free(w->host_names);
	w->host_names = NULL;
	w->nhost = 0;
}

/*
 * Re-read the lab: the saved model (nodes, their namespaces, host-side link
 * names) and the journal ("ns" and "link" lines: e.g. nsnet run --name).
 * Returns 0, or -ENOENT when the lab is no longer up.
 */
static int reread(struct nsnet_events *w, struct nsnet_err *err)
{
	struct nsnet_lab *lab = NULL;
	char **lines = NULL, **hn = NULL;
	size_t i, j, nh = 0, ch = 0;
	int n, ret = 0;

	w->reread_at = 0;
	if (!nsnet_state_exists(w->lab))
		return -ENOENT;
	if (nsnet_lab_saved(w->lab, &lab, NULL) == 0) {
		nsnet_lab_free(w->model);
		w->model = lab;
	}
	n = nsnet_state_read(w->lab, &lines, NULL);
	if (n < 0 && !w->model)
		return nsnet_err_set(err, n == -ENOENT ? -ENOENT : n, "lab \"%s\": cannot read its "
				     "state", w->lab);
	for (i = 0; i < w->nnodes; i++)
		w->nodes[i].desired = 0;
	lab = w->model;
	for (i = 0; lab && i < lab->nnodes && ret == 0; i++) {
		const struct nsnet_lab_node *ln = &lab->nodes[i];
		struct evnode *nd = get_node(w, ln->ns);

		if (!nd) {
			ret = -ENOMEM;
			break;
		}
		nd->desired = 1;
		set_node_name(nd, ln->name);
		for (j = 0; j < ln->nifaces && ret == 0; j++)
			if (ln->ifaces[j].kind == NSNET_IFACE_BRIDGE)
				ret = add_host_name(&hn, &nh, &ch, ln->ifaces[j].host_name);
	}
	for (i = 0; lab && i < lab->nbridges && ret == 0; i++)
		ret = add_host_name(&hn, &nh, &ch, lab->bridges[i].name);
	for (i = 0; lab && i < lab->nlinks && ret == 0; i++)
		for (j = 0; j < 2 && ret == 0; j++)
			if (lab->links[i].end[j].bridge_idx >= 0)
				ret = add_host_name(&hn, &nh, &ch, lab->links[i].host_name[j]);
	for (i = 0; n > 0 && i < (size_t)n && ret == 0; i++) {
		if (!strncmp(lines[i], "ns ", 3) && nsnet_netns_name_check(lines[i] + 3, NULL) == 0) {
			struct evnode *nd = get_node(w, lines[i] + 3);

			if (nd)
				nd->desired = 1;
			else
				ret = -ENOMEM;
		} else if (!strncmp(lines[i], "link ", 5)) {
			ret = add_host_name(&hn, &nh, &ch, lines[i] + 5);
		}
	}
	nsnet_strv_free(n >= 0 ? lines : NULL);
	if (ret < 0) {
		for (i = 0; i < nh; i++)
			free(hn[i]);
		free(hn);
		return nsnet_err_set(err, ret, "out of memory");
	}
	if (nh)
		qsort(hn, nh, sizeof(*hn), cmp_str);
	free_host_names(w);
	w->host_names = hn;
	w->nhost = nh;
	for (i = 0; i < w->nnodes; i++)
		reconcile(w, &w->nodes[i]);
	return 0;
}

/* ---- inotify ------------------------------------------------------------------------ */

static void watch_labdir(struct nsnet_events *w)
{
	char path[PATH_MAX];

	if (w->wd_labdir >= 0 || nsnet_state_path(w->lab, NULL, path, sizeof(path)) < 0)
		return;
	w->wd_labdir = inotify_add_watch(w->ino_fd, path,
					 IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO | IN_CREATE |
					 IN_DELETE | IN_DELETE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW);
}

static void handle_inotify(struct nsnet_events *w)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(w->ino_fd, buf, sizeof(buf))) > 0) {
		char *p = buf;

		while (p + sizeof(struct inotify_event) <= buf + n) {
			const struct inotify_event *ie = (const void *)p;

			p += sizeof(*ie) + ie->len;
			if (ie->mask & IN_Q_OVERFLOW) {
				w->reread_at = now_ms();
				continue;
			}
			if (ie->wd == w->wd_netns && ie->len) {
				struct evnode *nd = find_node(w, ie->name);

				if (nd)
					reconcile(w, nd);
			} else if (ie->wd == w->wd_state && ie->len && !strcmp(ie->name, w->lab)) {
				if (ie->mask & (IN_DELETE | IN_MOVED_FROM))
					w->down = 1;
			} else if (ie->wd == w->wd_labdir) {
				if (ie->mask & (IN_DELETE_SELF | IN_IGNORED)) {
					w->wd_labdir = -1;
					w->down = 1;
				} else if (!w->reread_at) {
					w->reread_at = now_ms() + REREAD_MS;
				}
			}
			if (ie->mask & IN_IGNORED) {
				if (ie->wd == w->wd_netns) {
					w->wd_netns = -1;
					w->netns_watch_at = now_ms() + NETNS_WATCH_MS;
				}
				if (ie->wd == w->wd_state)
					w->wd_state = -1;
			}
		}
	}
}

static void handle_timer(struct nsnet_events *w, struct nsnet_err *err)
{
	uint64_t exp, now = now_ms();
	size_t i;

	if (read(w->timer_fd, &exp, sizeof(exp)) < 0 && errno != EAGAIN)
		return;
	if (w->reread_at && w->reread_at <= now && reread(w, err) == -ENOENT)
		w->down = 1;
	if (w->netns_watch_at && w->netns_watch_at <= now && !w->down)
		watch_netns(w);
	for (i = 0; i < w->nnodes && !w->down; i++)
		if (w->nodes[i].pending && w->nodes[i].next_try <= now)
			reconcile(w, &w->nodes[i]);
}

/* ---- public ------------------------------------------------------------------------- */

int nsnet_events_open(struct nsnet_events **out, const char *lab,
		      const struct nsnet_events_opts *opts, nsnet_event_fn fn, void *arg,
		      struct nsnet_err *err)
{
	struct epoll_event ee = { .events = EPOLLIN };
	struct nsnet_events *w;
	char path[PATH_MAX];
	int ret;

	*out = NULL;
	if (nsnet_state_path(lab, NULL, path, sizeof(path)) < 0)
		return nsnet_err_set(err, -EINVAL, "invalid lab name \"%s\"", lab);
	w = calloc(1, sizeof(*w));
	if (!w)
		return nsnet_err_set(err, -ENOMEM, "out of memory");
	snprintf(w->lab, sizeof(w->lab), "%s", lab);
	nsnet_lab_alias(lab, w->alias, sizeof(w->alias));
	w->group = nsnet_lab_group(lab);
	w->fn = fn;
	w->arg = arg;
	w->rcvbuf = opts && opts->rcvbuf > 0 ? opts->rcvbuf : DEFAULT_RCVBUF;
	w->ino_fd = w->timer_fd = -1;
	w->wd_netns = w->wd_state = w->wd_labdir = -1;
	w->ino_tag.tag = TAG_INOTIFY;
	w->timer_tag.tag = TAG_TIMER;
	w->rbuf = malloc(RECV_BUF);
	w->ep = epoll_create1(EPOLL_CLOEXEC);
	w->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	w->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (!w->rbuf || w->ep < 0 || w->ino_fd < 0 || w->timer_fd < 0) {
		ret = nsnet_err_set(err, w->rbuf ? -errno : -ENOMEM, "events: %s",
				    w->rbuf ? strerror(errno) : "out of memory");
		goto fail;
	}
	ee.data.ptr = &w->ino_tag;
	epoll_ctl(w->ep, EPOLL_CTL_ADD, w->ino_fd, &ee);
	ee.data.ptr = &w->timer_tag;
	epoll_ctl(w->ep, EPOLL_CTL_ADD, w->timer_fd, &ee);
	/* watches first, then the first read: nothing falls in between */
	w->wd_state = inotify_add_watch(w->ino_fd, nsnet_state_dir(),
					IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR);
	watch_labdir(w);
	if (w->wd_labdir < 0 || !nsnet_state_exists(lab)) {
		ret = nsnet_err_set(err, -ENOENT, "lab \"%s\" is not up", lab);
		goto fail;
	}
	watch_netns(w);
	ret = sock_open(w, -1, &w->host, err);
	if (ret < 0)
		goto fail;
	w->host->seeding = 1;
	w->nseeding++;
	dump_start(w, w->host, 1);
	ret = reread(w, err);
	if (ret == -ENOENT)
		ret = nsnet_err_set(err, -ENOENT, "lab \"%s\" is not up", lab);
	if (ret < 0)
		goto fail;
	w->started = 1;
	arm_timer(w);
	*out = w;
	return 0;
fail:
	nsnet_events_close(w);
	return ret;
}

int nsnet_events_fd(const struct nsnet_events *w)
{
	return w->ep;
}

static void finish_down(struct nsnet_events *w)
{
	struct nsnet_event ev;
	size_t i;

	/* what the sockets still hold happened before */
	if (w->host)
		sock_read(w, w->host, 0);
	for (i = 0; i < w->nnodes; i++)
		if (w->nodes[i].s)
			sock_read(w, w->nodes[i].s, 0);
	for (i = 0; i < w->nnodes; i++)
		node_close(w, &w->nodes[i], 0);
	memset(&ev, 0, sizeof(ev));
	ev.type = NSNET_EV_LAB;
	ev.action = NSNET_EV_DOWN;
	deliver(w, NULL, &ev);
}

int nsnet_events_process(struct nsnet_events *w, struct nsnet_err *err)
{
	struct epoll_event evs[64];
	int n, i;

	if (w->down > 1)
		return 1;
	n = epoll_wait(w->ep, evs, 64, 0);
	if (n < 0)
		return errno == EINTR ? 0 : nsnet_err_set(err, -errno, "epoll: %s", strerror(errno));
	for (i = 0; i < n && !w->down; i++) {
		int tag = *(const int *)evs[i].data.ptr;

		if (tag == TAG_SOCK)
			sock_read(w, evs[i].data.ptr, READS_PER_TURN);
		else if (tag == TAG_INOTIFY)
			handle_inotify(w);
		else if (tag == TAG_TIMER)
			handle_timer(w, err);
	}
	if (!w->down && w->reread_at && w->reread_at <= now_ms() && reread(w, err) == -ENOENT)
		w->down = 1;
	if (w->down) {
		finish_down(w);
		w->down = 2;
		free_dead(w);
		return 1;
	}
	arm_timer(w);
	free_dead(w);
	return 0;
}

void nsnet_events_close(struct nsnet_events *w)
{
	size_t i;

	if (!w)
		return;
	for (i = 0; i < w->nnodes; i++) {
		if (w->nodes[i].s)
			sock_close(w, w->nodes[i].s);
		free(w->nodes[i].ns);
		free(w->nodes[i].node);
	}
	free(w->nodes);
	sock_close(w, w->host);
	free_dead(w);
	free_host_names(w);
	nsnet_lab_free(w->model);
	if (w->ino_fd >= 0)
		close(w->ino_fd);
	if (w->timer_fd >= 0)
		close(w->timer_fd);
	if (w->ep >= 0)
		close(w->ep);
	free(w->rbuf);
	free(w);
}
