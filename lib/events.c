// SPDX-License-Identifier: MIT
/*
 * Events of a running lab, the pure part: rtnetlink message -> raw event
 * (nsnet_event_decode), per-namespace memory that turns raw events into
 * reportable ones (nsnet_ev_track_*), and the text / JSON form of an event.
 * No system access here: the watcher (events-watch.c) owns sockets and files.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "nsnet/events.h"
#include "nsnet/link.h"
#include "nsnet/nl.h"

/* ---- decoding ------------------------------------------------------------------ */

void nsnet_event_link_state(unsigned flags, int operstate, int *up, enum nsnet_link_reason *reason)
{
	*up = 0;
	if (!(flags & IFF_UP))
		*reason = NSNET_LINK_ADMIN;
	else if (flags & IFF_RUNNING)
		*up = 1, *reason = NSNET_LINK_UP;
	else if (!(flags & IFF_LOWER_UP))
		*reason = NSNET_LINK_NO_CARRIER;
	else if ((flags & IFF_DORMANT) || operstate == IF_OPER_DORMANT)
		*reason = NSNET_LINK_DORMANT;
	else if (operstate == IF_OPER_LOWERLAYERDOWN)
		*reason = NSNET_LINK_LOWER_DOWN;
	else
		*reason = NSNET_LINK_PENDING;
}

static int decode_link(const struct nlmsghdr *nlh, struct nsnet_event *ev)
{
	const struct ifinfomsg *ifi;
	struct nsnet_link_info li;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*ifi))
		return -EBADMSG;
	ifi = mnl_nlmsg_get_payload(nlh);
	/* AF_BRIDGE: port state of a bridge member (RTM_DELLINK = left the bridge) */
	if (ifi->ifi_family != AF_UNSPEC)
		return 0;
	if (nsnet_link_parse(nlh, &li) < 0)
		return -EBADMSG;
	ev->type = NSNET_EV_LINK;
	ev->action = nlh->nlmsg_type == RTM_NEWLINK ? NSNET_EV_CHANGE : NSNET_EV_DEL;
	ev->ifindex = li.ifindex;
	memcpy(ev->ifname, li.name, sizeof(ev->ifname));
	ev->link.flags = li.flags;
	ev->link.operstate = li.operstate;
	ev->link.mtu = li.mtu;
	ev->link.group = li.group;
	memcpy(ev->link.kind, li.kind, sizeof(ev->link.kind));
	memcpy(ev->link.alias, li.alias, sizeof(ev->link.alias));
	nsnet_event_link_state(li.flags, li.operstate, &ev->link.up, &ev->link.reason);
	return 1;
}

static int decode_addr(const struct nlmsghdr *nlh, struct nsnet_event *ev)
{
	const struct ifaddrmsg *ifa;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*ifa))
		return -EBADMSG;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return 0;
	if (nsnet_addr_parse(nlh, &ev->addr) < 0)
		return -EBADMSG;
	if (ev->addr.p.plen > (ev->addr.p.family == AF_INET ? 32 : 128))
		return -EBADMSG;
	ev->type = NSNET_EV_ADDR;
	ev->action = nlh->nlmsg_type == RTM_NEWADDR ? NSNET_EV_ADD : NSNET_EV_DEL;
	ev->ifindex = ev->addr.ifindex;
	return 1;
}

static int decode_route(const struct nlmsghdr *nlh, struct nsnet_event *ev)
{
	const struct rtmsg *rtm;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*rtm))
		return -EBADMSG;
	rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return 0;
	if (rtm->rtm_flags & RTM_F_CLONED)
		return 0;	/* route cache / exceptions */
	if (nsnet_route_parse(nlh, &ev->route) < 0)
		return -EBADMSG;
	if (ev->route.dst.plen > (ev->route.family == AF_INET ? 32 : 128))
		return -EBADMSG;
	/* the local table follows the addresses: reported as addresses */
	if (ev->route.table == RT_TABLE_LOCAL)
		return 0;
	switch (ev->route.type) {
	case RTN_UNICAST:
	case RTN_BLACKHOLE:
	case RTN_UNREACHABLE:
	case RTN_PROHIBIT:
	case RTN_THROW:
		break;
	default:
		return 0;
	}
	ev->type = NSNET_EV_ROUTE;
	if (nlh->nlmsg_type == RTM_DELROUTE)
		ev->action = NSNET_EV_DEL;
	else
		ev->action = nlh->nlmsg_flags & NLM_F_REPLACE ? NSNET_EV_CHANGE : NSNET_EV_ADD;
	ev->ifindex = ev->route.oif;
	return 1;
}

/* Next attribute in [@base, @base + @len) from *@off; NULL at the end or on a bad length. */
static const struct nlattr *next_attr(const char *base, size_t len, size_t *off)
{
	const struct nlattr *a;

	if (*off + sizeof(*a) > len)
		return NULL;
	a = (const void *)(base + *off);
	if (a->nla_len < sizeof(*a) || a->nla_len > len - *off)
		return NULL;
	*off += NLA_ALIGN(a->nla_len);
	return a;
}

static const void *apayload(const struct nlattr *a, size_t *plen)
{
	*plen = a->nla_len - sizeof(*a);
	return (const char *)a + NLA_HDRLEN;
}

static uint64_t get_u64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void decode_netem(const char *p, size_t len, struct nsnet_event_qdisc *q)
{
	struct tc_netem_qopt qopt;
	const struct nlattr *a;
	size_t off = NLA_ALIGN(sizeof(qopt)), plen;

	if (len < sizeof(qopt))
		return;
	memcpy(&qopt, p, sizeof(qopt));
	q->delay_ns = (uint64_t)qopt.latency << 6;	/* PSCHED_TICKS2NS */
	q->jitter_ns = (uint64_t)qopt.jitter << 6;
	q->loss = qopt.loss;
	q->limit = qopt.limit;
	while ((a = next_attr(p, len, &off))) {
		const char *v = apayload(a, &plen);

		switch (a->nla_type & NLA_TYPE_MASK) {
		case TCA_NETEM_LATENCY64:
			if (plen >= 8)
				q->delay_ns = get_u64(v);
			break;
		case TCA_NETEM_JITTER64:
			if (plen >= 8)
				q->jitter_ns = get_u64(v);
			break;
		case TCA_NETEM_RATE:
			if (plen >= sizeof(struct tc_netem_rate) && !q->rate) {
				struct tc_netem_rate r;

				memcpy(&r, v, sizeof(r));
				q->rate = r.rate;
			}
			break;
		case TCA_NETEM_RATE64:
			if (plen >= 8)
				q->rate = get_u64(v);
			break;
		}
	}
	if ((int64_t)q->delay_ns < 0)
		q->delay_ns = 0;
	if ((int64_t)q->jitter_ns < 0)
		q->jitter_ns = 0;
	q->has_delay = q->delay_ns || q->jitter_ns;
	q->has_loss = q->loss != 0;
	q->has_rate = q->rate != 0;
}

static void decode_tbf(const char *p, size_t len, struct nsnet_event_qdisc *q)
{
	const struct nlattr *a;
	size_t off = 0, plen;

	while ((a = next_attr(p, len, &off))) {
		const char *v = apayload(a, &plen);

		switch (a->nla_type & NLA_TYPE_MASK) {
		case TCA_TBF_PARMS:
			if (plen >= sizeof(struct tc_tbf_qopt) && !q->rate) {
				struct tc_tbf_qopt t;

				memcpy(&t, v, sizeof(t));
				q->rate = t.rate.rate;
			}
			break;
		case TCA_TBF_RATE64:
			if (plen >= 8)
				q->rate = get_u64(v);
			break;
		}
	}
	q->has_rate = q->rate != 0;
}

static int decode_qdisc(const struct nlmsghdr *nlh, struct nsnet_event *ev)
{
	const struct tcmsg *tcm;
	const struct nlattr *a, *opts = NULL;
	size_t off, plen;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*tcm))
		return -EBADMSG;
	tcm = mnl_nlmsg_get_payload(nlh);
	if (tcm->tcm_family != AF_UNSPEC)
		return 0;
	ev->type = NSNET_EV_QDISC;
	ev->action = nlh->nlmsg_type == RTM_NEWQDISC ? NSNET_EV_CHANGE : NSNET_EV_DEL;
	ev->ifindex = tcm->tcm_ifindex;
	ev->qdisc.handle = tcm->tcm_handle;
	ev->qdisc.parent = tcm->tcm_parent;
	off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*tcm));
	while ((a = next_attr((const char *)nlh, nlh->nlmsg_len, &off))) {
		const char *v = apayload(a, &plen);

		if ((a->nla_type & NLA_TYPE_MASK) == TCA_KIND && plen) {
			size_t n = strnlen(v, plen);

			if (n >= sizeof(ev->qdisc.kind))
				n = sizeof(ev->qdisc.kind) - 1;
			memcpy(ev->qdisc.kind, v, n);
			ev->qdisc.kind[n] = '\0';
		} else if ((a->nla_type & NLA_TYPE_MASK) == TCA_OPTIONS) {
			opts = a;
		}
	}
	if (opts) {
		const char *v = apayload(opts, &plen);

		if (!strcmp(ev->qdisc.kind, "netem"))
			decode_netem(v, plen, &ev->qdisc);
		else if (!strcmp(ev->qdisc.kind, "tbf"))
			decode_tbf(v, plen, &ev->qdisc);
	}
	return 1;
}

int nsnet_event_decode(const struct nlmsghdr *nlh, size_t len, struct nsnet_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	if (!nsnet_nl_msg_ok(nlh, len))
		return -EBADMSG;
	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		return decode_link(nlh, ev);
	case RTM_NEWADDR:
	case RTM_DELADDR:
		return decode_addr(nlh, ev);
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		return decode_route(nlh, ev);
	case RTM_NEWQDISC:
	case RTM_DELQDISC:
		return decode_qdisc(nlh, ev);
	default:
		return 0;
	}
}

/* ---- memory per namespace ------------------------------------------------------ */

struct tlink {
	int ifindex;
	char name[16];
	struct nsnet_event_link l;	/* up/reason: as last reported */
	unsigned gen;
};

struct taddr {
	int ifindex;
	struct nsnet_prefix p;
	unsigned gen;
};

struct tqdisc {
	int ifindex;
	uint32_t handle, parent;
	char kind[16];
	unsigned gen;
};

struct nsnet_ev_track {
	struct tlink *links;
	size_t nlinks, clinks;
	struct taddr *addrs;
	size_t naddrs, caddrs;
	struct tqdisc *qd;
	size_t nqd, cqd;
	unsigned gen;
};

struct nsnet_ev_track *nsnet_ev_track_new(void)
{
	return calloc(1, sizeof(struct nsnet_ev_track));
}

void nsnet_ev_track_free(struct nsnet_ev_track *t)
{
	if (!t)
		return;
	free(t->links);
	free(t->addrs);
	free(t->qd);
	free(t);
}

static void *grow(void *v, size_t *cap, size_t n, size_t size)
{
	size_t nc;
	void *nv;

	if (n < *cap)
		return v;
	nc = *cap ? *cap * 2 : 16;
	nv = realloc(v, nc * size);
	if (nv)
		*cap = nc;
	return nv;
}

static struct tlink *find_link(const struct nsnet_ev_track *t, int ifindex)
{
	size_t i;

	for (i = 0; i < t->nlinks; i++)
		if (t->links[i].ifindex == ifindex)
			return &t->links[i];
	return NULL;
}

const struct nsnet_event_link *nsnet_ev_track_link(const struct nsnet_ev_track *t, int ifindex,
						   const char **name)
{
	struct tlink *l = find_link(t, ifindex);

	if (name)
		*name = l ? l->name : NULL;
	return l ? &l->l : NULL;
}

static void fill_name(const struct nsnet_ev_track *t, struct nsnet_event *ev)
{
	struct tlink *l;

	if (ev->ifname[0] || !ev->ifindex)
		return;
	l = find_link(t, ev->ifindex);
	if (l)
		memcpy(ev->ifname, l->name, sizeof(ev->ifname));
}

static int addr_eq(const struct taddr *a, int ifindex, const struct nsnet_prefix *p)
{
	return a->ifindex == ifindex && a->p.family == p->family && a->p.plen == p->plen &&
	       !memcmp(a->p.addr, p->addr, p->family == AF_INET ? 4 : 16);
}

/* Forget addresses and qdiscs of a link that is gone (the kernel tells no more). */
static void purge_ifindex(struct nsnet_ev_track *t, int ifindex)
{
	size_t i, j;

	for (i = j = 0; i < t->naddrs; i++)
		if (t->addrs[i].ifindex != ifindex)
			t->addrs[j++] = t->addrs[i];
	t->naddrs = j;
	for (i = j = 0; i < t->nqd; i++)
		if (t->qd[i].ifindex != ifindex)
			t->qd[j++] = t->qd[i];
	t->nqd = j;
}

static int apply_link(struct nsnet_ev_track *t, const struct nsnet_event *in, int mode,
		      struct nsnet_event out[2])
{
	struct tlink *l = find_link(t, in->ifindex);
	int n = 0, quiet = mode & NSNET_EVT_QUIET;

	if (in->action == NSNET_EV_DEL) {
		out[0] = *in;
		if (l) {
			if (!out[0].ifname[0])
				memcpy(out[0].ifname, l->name, sizeof(out[0].ifname));
			out[0].link.group = l->l.group;
			memcpy(out[0].link.alias, l->l.alias, sizeof(out[0].link.alias));
			*l = t->links[--t->nlinks];
		}
		purge_ifindex(t, in->ifindex);
		return quiet ? 0 : 1;
	}
	if (!l) {
		struct tlink *nv = grow(t->links, &t->clinks, t->nlinks, sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		t->links = nv;
		l = &t->links[t->nlinks++];
		memset(l, 0, sizeof(*l));
		l->ifindex = in->ifindex;
		memcpy(l->name, in->ifname, sizeof(l->name));
		l->l = in->link;
		l->gen = t->gen;
		if (quiet || (mode & NSNET_EVT_QUIET_NEW))
			return 0;
		out[0] = *in;
		out[0].action = NSNET_EV_ADD;
		return 1;
	}
	l->gen = t->gen;
	if (in->ifname[0] && strcmp(in->ifname, l->name)) {
		if (!quiet) {
			out[n] = *in;
			out[n].action = NSNET_EV_RENAME;
			memcpy(out[n].link.old_name, l->name, sizeof(out[n].link.old_name));
			n++;
		}
		memcpy(l->name, in->ifname, sizeof(l->name));
	}
	if (in->link.reason != NSNET_LINK_PENDING &&
	    (in->link.up != l->l.up || in->link.reason != l->l.reason) && !quiet) {
		out[n] = *in;
		out[n].action = NSNET_EV_CHANGE;
		if (!out[n].ifname[0])
			memcpy(out[n].ifname, l->name, sizeof(out[n].ifname));
		n++;
	}
	/* remember the new state, but a pending one only once reported otherwise */
	{
		struct nsnet_event_link old = l->l;

		l->l = in->link;
		if (in->link.reason == NSNET_LINK_PENDING && !quiet) {
			l->l.up = old.up;
			l->l.reason = old.reason;
		}
		if (!in->link.kind[0])
			memcpy(l->l.kind, old.kind, sizeof(old.kind));
	}
	return n;
}

static int apply_addr(struct nsnet_ev_track *t, const struct nsnet_event *in, int mode,
		      struct nsnet_event out[2])
{
	size_t i;
	int quiet = mode & NSNET_EVT_QUIET;

	for (i = 0; i < t->naddrs; i++)
		if (addr_eq(&t->addrs[i], in->ifindex, &in->addr.p))
			break;
	out[0] = *in;
	fill_name(t, &out[0]);
	if (in->action == NSNET_EV_DEL) {
		if (i < t->naddrs)
			t->addrs[i] = t->addrs[--t->naddrs];
		return quiet ? 0 : 1;
	}
	if (i < t->naddrs) {
		t->addrs[i].gen = t->gen;
		return 0;	/* flags or lifetimes changed (IPv6 DAD done, …) */
	}
	{
		struct taddr *nv = grow(t->addrs, &t->caddrs, t->naddrs, sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		t->addrs = nv;
		nv[t->naddrs].ifindex = in->ifindex;
		nv[t->naddrs].p = in->addr.p;
		nv[t->naddrs].gen = t->gen;
		t->naddrs++;
	}
	return quiet || (mode & NSNET_EVT_QUIET_NEW) ? 0 : 1;
}

static int apply_qdisc(struct nsnet_ev_track *t, const struct nsnet_event *in, int mode,
		       struct nsnet_event out[2])
{
	size_t i;
	int quiet = (mode & NSNET_EVT_QUIET) || in->qdisc.handle == 0;	/* 0: a default */

	for (i = 0; i < t->nqd; i++)
		if (t->qd[i].ifindex == in->ifindex && t->qd[i].handle == in->qdisc.handle)
			break;
	out[0] = *in;
	fill_name(t, &out[0]);
	if (in->action == NSNET_EV_DEL) {
		if (i < t->nqd)
			t->qd[i] = t->qd[--t->nqd];
		return quiet ? 0 : 1;
	}
	if (i < t->nqd) {
		struct tqdisc *q = &t->qd[i];
		int same = !strcmp(q->kind, in->qdisc.kind) && q->parent == in->qdisc.parent;

		q->gen = t->gen;
		q->parent = in->qdisc.parent;
		memcpy(q->kind, in->qdisc.kind, sizeof(q->kind));
		/* a dump shows what is there, not what changed */
		if (quiet || ((mode & NSNET_EVT_DUMP) && same))
			return 0;
		out[0].action = NSNET_EV_CHANGE;
		return 1;
	}
	{
		struct tqdisc *nv = grow(t->qd, &t->cqd, t->nqd, sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		t->qd = nv;
		nv[t->nqd].ifindex = in->ifindex;
		nv[t->nqd].handle = in->qdisc.handle;
		nv[t->nqd].parent = in->qdisc.parent;
		memcpy(nv[t->nqd].kind, in->qdisc.kind, sizeof(nv[t->nqd].kind));
		nv[t->nqd].gen = t->gen;
		t->nqd++;
	}
	out[0].action = NSNET_EV_ADD;
	return quiet || (mode & NSNET_EVT_QUIET_NEW) ? 0 : 1;
}

int nsnet_ev_track_apply(struct nsnet_ev_track *t, const struct nsnet_event *in, int mode,
			 struct nsnet_event out[2])
{
	switch (in->type) {
	case NSNET_EV_LINK:
		return apply_link(t, in, mode, out);
	case NSNET_EV_ADDR:
		return apply_addr(t, in, mode, out);
	case NSNET_EV_QDISC:
		return apply_qdisc(t, in, mode, out);
	case NSNET_EV_ROUTE:
		out[0] = *in;
		fill_name(t, &out[0]);
		return mode & NSNET_EVT_QUIET ? 0 : 1;
	default:
		return 0;
	}
}

void nsnet_ev_track_begin(struct nsnet_ev_track *t)
{
	t->gen++;
}

void nsnet_ev_track_sweep(struct nsnet_ev_track *t, int quiet,
			  void (*fn)(const struct nsnet_event *ev, void *arg), void *arg)
{
	struct nsnet_event ev;
	size_t i, j;

	for (i = j = 0; i < t->naddrs; i++) {
		if (t->addrs[i].gen == t->gen) {
			t->addrs[j++] = t->addrs[i];
			continue;
		}
		if (quiet || !fn)
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.type = NSNET_EV_ADDR;
		ev.action = NSNET_EV_DEL;
		ev.ifindex = t->addrs[i].ifindex;
		ev.addr.ifindex = ev.ifindex;
		ev.addr.p = t->addrs[i].p;
		fill_name(t, &ev);
		fn(&ev, arg);
	}
	t->naddrs = j;
	for (i = j = 0; i < t->nqd; i++) {
		if (t->qd[i].gen == t->gen) {
			t->qd[j++] = t->qd[i];
			continue;
		}
		if (quiet || !fn || !t->qd[i].handle)
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.type = NSNET_EV_QDISC;
		ev.action = NSNET_EV_DEL;
		ev.ifindex = t->qd[i].ifindex;
		ev.qdisc.handle = t->qd[i].handle;
		ev.qdisc.parent = t->qd[i].parent;
		memcpy(ev.qdisc.kind, t->qd[i].kind, sizeof(ev.qdisc.kind));
		fill_name(t, &ev);
		fn(&ev, arg);
	}
	t->nqd = j;
	for (i = j = 0; i < t->nlinks; i++) {
		if (t->links[i].gen == t->gen) {
			t->links[j++] = t->links[i];
			continue;
		}
		if (quiet || !fn)
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.type = NSNET_EV_LINK;
		ev.action = NSNET_EV_DEL;
		ev.ifindex = t->links[i].ifindex;
		memcpy(ev.ifname, t->links[i].name, sizeof(ev.ifname));
		ev.link = t->links[i].l;
		fn(&ev, arg);
	}
	t->nlinks = j;
}

/* ---- text and JSON -------------------------------------------------------------- */

struct out {
	char *buf;
	size_t len, n;	/* capacity, length so far (may exceed len: truncated) */
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(o->n < o->len ? o->buf + o->n : NULL, o->n < o->len ? o->len - o->n : 0,
		      fmt, ap);
	va_end(ap);
	if (r > 0)
		o->n += (size_t)r;
}

static void put_jstr(struct out *o, const char *key, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	put(o, ",\"%s\":\"", key);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			put(o, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			put(o, "\\u%04x", *p);
		else
			put(o, "%c", *p);
	}
	put(o, "\"");
}

static const char *reason_str(enum nsnet_link_reason r)
{
	switch (r) {
	case NSNET_LINK_UP:
		return "";
	case NSNET_LINK_ADMIN:
		return "admin down";
	case NSNET_LINK_NO_CARRIER:
		return "no carrier";
	case NSNET_LINK_DORMANT:
		return "dormant";
	case NSNET_LINK_LOWER_DOWN:
		return "lower layer down";
	default:
		return "pending";
	}
}

static const char *oper_str(int op)
{
	static const char *const names[] = { "unknown", "notpresent", "down", "lowerlayerdown",
					      "testing", "dormant", "up" };

	return op >= 0 && op < (int)(sizeof(names) / sizeof(names[0])) ? names[op] : "unknown";
}

static const char *action_str(enum nsnet_event_action a)
{
	switch (a) {
	case NSNET_EV_ADD:
		return "add";
	case NSNET_EV_DEL:
		return "del";
	case NSNET_EV_CHANGE:
		return "change";
	case NSNET_EV_RENAME:
		return "rename";
	case NSNET_EV_READY:
		return "ready";
	case NSNET_EV_DOWN:
		return "down";
	default:
		return "";
	}
}

static const char *type_str(enum nsnet_event_type t)
{
	switch (t) {
	case NSNET_EV_LINK:
		return "link";
	case NSNET_EV_ADDR:
		return "addr";
	case NSNET_EV_ROUTE:
		return "route";
	case NSNET_EV_QDISC:
		return "qdisc";
	case NSNET_EV_NODE:
		return "node";
	case NSNET_EV_OVERRUN:
		return "overrun";
	case NSNET_EV_LAB:
		return "lab";
	default:
		return "none";
	}
}

static void fmt_handle(uint32_t h, char *buf, size_t len)
{
	if (h == TC_H_ROOT)
		snprintf(buf, len, "root");
	else if (h == TC_H_INGRESS)
		snprintf(buf, len, "ingress");
	else if (TC_H_MIN(h))
		snprintf(buf, len, "%x:%x", TC_H_MAJ(h) >> 16, TC_H_MIN(h));
	else
		snprintf(buf, len, "%x:", TC_H_MAJ(h) >> 16);
}

static void fmt_ns(uint64_t ns, char *buf, size_t len)
{
	if (ns >= 1000000000ull)
		snprintf(buf, len, "%gs", (double)ns / 1e9);
	else if (ns >= 1000000ull)
		snprintf(buf, len, "%gms", (double)ns / 1e6);
	else if (ns >= 1000ull)
		snprintf(buf, len, "%gus", (double)ns / 1e3);
	else
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
}

static void fmt_rate(uint64_t bytes, char *buf, size_t len)
{
	double bits = (double)bytes * 8;

	if (bits >= 1e9)
		snprintf(buf, len, "%gGbit", bits / 1e9);
	else if (bits >= 1e6)
		snprintf(buf, len, "%gMbit", bits / 1e6);
	else if (bits >= 1e3)
		snprintf(buf, len, "%gKbit", bits / 1e3);
	else
		snprintf(buf, len, "%gbit", bits);
}

static double loss_pct(uint32_t loss)
{
	double p = (double)loss * 100.0 / 4294967295.0;

	return (double)(long long)(p * 10000 + 0.5) / 10000;	/* 4 decimals */
}

static const char *proto_str(int p, char *buf, size_t len)
{
	switch (p) {
	case RTPROT_KERNEL:
		return "kernel";
	case RTPROT_BOOT:
		return "boot";
	case RTPROT_STATIC:
		return "static";
	case RTPROT_RA:
		return "ra";
	case RTPROT_DHCP:
		return "dhcp";
	default:
		snprintf(buf, len, "%d", p);
		return buf;
	}
}

static const char *rtype_str(int t)
{
	switch (t) {
	case RTN_BLACKHOLE:
		return "blackhole";
	case RTN_UNREACHABLE:
		return "unreachable";
	case RTN_PROHIBIT:
		return "prohibit";
	case RTN_THROW:
		return "throw";
	default:
		return "unicast";
	}
}

static const char *scope_str(int s, char *buf, size_t len)
{
	switch (s) {
	case RT_SCOPE_UNIVERSE:
		return "global";
	case RT_SCOPE_LINK:
		return "link";
	case RT_SCOPE_HOST:
		return "host";
	case RT_SCOPE_SITE:
		return "site";
	default:
		snprintf(buf, len, "%d", s);
		return buf;
	}
}

/* "DST[ via GW][ dev IF][ metric N][ table T][ proto P]", type first if not unicast. */
static void route_text(const struct nsnet_event *ev, char *buf, size_t len)
{
	const struct nsnet_route *r = &ev->route;
	char b[160], p[16];
	size_t n = 0;

	if (r->type != RTN_UNICAST)
		n = (size_t)snprintf(buf, len, "%s ", rtype_str(r->type));
	nsnet_route_fmt(r, ev->ifname, b, sizeof(b));
	if (n < len)
		n += (size_t)snprintf(buf + n, len - n, "%s", b);
	if (r->table != RT_TABLE_MAIN && n < len)
		n += (size_t)snprintf(buf + n, len - n, " table %u", r->table);
	if (r->protocol != RTPROT_BOOT && n < len)
		snprintf(buf + n, len - n, " proto %s", proto_str(r->protocol, p, sizeof(p)));
}

static void qdisc_text(const struct nsnet_event *ev, struct out *o)
{
	const struct nsnet_event_qdisc *q = &ev->qdisc;
	char a[32], b[32];

	fmt_handle(q->parent, a, sizeof(a));
	fmt_handle(q->handle, b, sizeof(b));
	put(o, " %s %s%s handle %s", q->kind[0] ? q->kind : "?",
	    q->parent == TC_H_ROOT || q->parent == TC_H_INGRESS ? "" : "parent ", a, b);
	if (ev->action == NSNET_EV_DEL)
		return;
	if (q->has_delay) {
		fmt_ns(q->delay_ns, a, sizeof(a));
		put(o, " delay %s", a);
		if (q->jitter_ns) {
			fmt_ns(q->jitter_ns, a, sizeof(a));
			put(o, " %s", a);
		}
	}
	if (q->has_loss)
		put(o, " loss %g%%", loss_pct(q->loss));
	if (q->has_rate) {
		fmt_rate(q->rate, a, sizeof(a));
		put(o, " rate %s", a);
	}
}

static void format_text(const struct nsnet_event *ev, struct out *o)
{
	const char *node = ev->node ? ev->node : "";
	struct tm tm;
	time_t s = ev->time.tv_sec;
	char b[256];

	localtime_r(&s, &tm);
	put(o, "%02d:%02d:%02d.%03ld ", tm.tm_hour, tm.tm_min, tm.tm_sec, ev->time.tv_nsec / 1000000);
	switch (ev->type) {
	case NSNET_EV_LINK:
		put(o, "%s:%s link ", node, ev->ifname);
		if (ev->action == NSNET_EV_DEL) {
			put(o, "del");
		} else if (ev->action == NSNET_EV_RENAME) {
			put(o, "rename (was %s)", ev->link.old_name);
		} else {
			if (ev->action == NSNET_EV_ADD)
				put(o, "add %s%s", ev->link.kind, ev->link.kind[0] ? " " : "");
			put(o, "%s", ev->link.up ? "up" : "down");
			if (!ev->link.up)
				put(o, " (%s)", reason_str(ev->link.reason));
		}
		break;
	case NSNET_EV_ADDR:
		put(o, "%s:%s addr %s %s", node, ev->ifname, action_str(ev->action),
		    nsnet_prefix_fmt(&ev->addr.p, 1, b, sizeof(b)));
		break;
	case NSNET_EV_ROUTE:
		route_text(ev, b, sizeof(b));
		put(o, "%s route %s %s", node, action_str(ev->action), b);
		break;
	case NSNET_EV_QDISC:
		put(o, "%s:%s qdisc %s", node, ev->ifname, action_str(ev->action));
		qdisc_text(ev, o);
		break;
	case NSNET_EV_NODE:
		put(o, "node %s %s", node, ev->action == NSNET_EV_ADD ? "added" : "removed");
		break;
	case NSNET_EV_OVERRUN:
		put(o, "%s overrun: notifications lost, resynced", node);
		break;
	case NSNET_EV_LAB:
		if (ev->action == NSNET_EV_READY)
			put(o, "lab %s ready (%u node%s)", ev->lab ? ev->lab : "", ev->count,
			    ev->count == 1 ? "" : "s");
		else
			put(o, "lab %s %s", ev->lab ? ev->lab : "", action_str(ev->action));
		break;
	default:
		put(o, "?");
	}
}

static void format_json(const struct nsnet_event *ev, struct out *o)
{
	char b[256], p[16];
	struct tm tm;
	time_t s = ev->time.tv_sec;

	localtime_r(&s, &tm);
	strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
	put(o, "{\"time\":\"%s.%03ld", b, ev->time.tv_nsec / 1000000);
	strftime(b, sizeof(b), "%z", &tm);
	put(o, "%s\",\"ts\":%lld.%06ld", b, (long long)ev->time.tv_sec, ev->time.tv_nsec / 1000);
	put_jstr(o, "lab", ev->lab ? ev->lab : "");
	put_jstr(o, "event", type_str(ev->type));
	put_jstr(o, "action", action_str(ev->action));
	if (ev->node)
		put_jstr(o, "node", ev->node);
	if (ev->netns)
		put_jstr(o, "netns", ev->netns);
	if (ev->ifname[0] && ev->type != NSNET_EV_ROUTE)
		put_jstr(o, "ifname", ev->ifname);
	if (ev->ifindex && ev->type != NSNET_EV_ROUTE)
		put(o, ",\"ifindex\":%d", ev->ifindex);
	switch (ev->type) {
	case NSNET_EV_LINK:
		if (ev->action == NSNET_EV_RENAME)
			put_jstr(o, "old_ifname", ev->link.old_name);
		if (ev->action == NSNET_EV_DEL)
			break;
		put_jstr(o, "state", ev->link.up ? "up" : "down");
		if (!ev->link.up)
			put_jstr(o, "reason", reason_str(ev->link.reason));
		put_jstr(o, "admin", ev->link.flags & IFF_UP ? "up" : "down");
		put(o, ",\"carrier\":%s", ev->link.flags & IFF_LOWER_UP ? "true" : "false");
		put_jstr(o, "operstate", oper_str(ev->link.operstate));
		if (ev->link.kind[0])
			put_jstr(o, "kind", ev->link.kind);
		put(o, ",\"mtu\":%d", ev->link.mtu);
		break;
	case NSNET_EV_ADDR:
		put_jstr(o, "family", ev->addr.p.family == AF_INET ? "inet" : "inet6");
		put_jstr(o, "address", nsnet_prefix_fmt(&ev->addr.p, 1, b, sizeof(b)));
		put_jstr(o, "scope", scope_str(ev->addr.scope, p, sizeof(p)));
		break;
	case NSNET_EV_ROUTE: {
		const struct nsnet_route *r = &ev->route;

		put_jstr(o, "family", r->family == AF_INET ? "inet" : "inet6");
		route_text(ev, b, sizeof(b));
		put_jstr(o, "route", b);
		if (r->dst.plen == 0)
			put_jstr(o, "dst", "default");
		else
			put_jstr(o, "dst", nsnet_prefix_fmt(&r->dst, 1, b, sizeof(b)));
		if (r->gw.family)
			put_jstr(o, "gateway", nsnet_prefix_fmt(&r->gw, 0, b, sizeof(b)));
		if (ev->ifname[0])
			put_jstr(o, "dev", ev->ifname);
		put(o, ",\"table\":%u,\"metric\":%u", r->table, r->metric);
		put_jstr(o, "proto", proto_str(r->protocol, p, sizeof(p)));
		put_jstr(o, "type", rtype_str(r->type));
		break;
	}
	case NSNET_EV_QDISC: {
		const struct nsnet_event_qdisc *q = &ev->qdisc;

		put_jstr(o, "kind", q->kind);
		fmt_handle(q->handle, b, sizeof(b));
		put_jstr(o, "handle", b);
		fmt_handle(q->parent, b, sizeof(b));
		put_jstr(o, "parent", b);
		if (ev->action == NSNET_EV_DEL)
			break;
		if (q->has_delay)
			put(o, ",\"delay_us\":%llu,\"jitter_us\":%llu",
			    (unsigned long long)(q->delay_ns / 1000),
			    (unsigned long long)(q->jitter_ns / 1000));
		if (q->has_loss)
			put(o, ",\"loss_pct\":%g", loss_pct(q->loss));
		if (q->has_rate)
			put(o, ",\"rate_bps\":%llu", (unsigned long long)q->rate * 8);
		if (q->limit)
			put(o, ",\"limit\":%u", q->limit);
		break;
	}
	case NSNET_EV_LAB:
		if (ev->action == NSNET_EV_READY)
			put(o, ",\"nodes\":%u", ev->count);
		break;
	default:
		break;
	}
	put(o, "}");
}

int nsnet_event_format(const struct nsnet_event *ev, int json, char *buf, size_t len)
{
	struct out o = { buf, len, 0 };

	if (len)
		buf[0] = '\0';
	if (json)
		format_json(ev, &o);
	else
		format_text(ev, &o);
	return (int)o.n;
}
