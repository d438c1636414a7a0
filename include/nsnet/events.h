/* SPDX-License-Identifier: MIT */
#ifndef NSNET_EVENTS_H
#define NSNET_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <linux/netlink.h>

#include "nsnet/addr.h"
#include "nsnet/err.h"
#include "nsnet/route.h"

/*
 * What changes in a running lab, as a stream of events (nsnet events).
 *
 * Three layers, the first two pure (no system access; unit-tested and fuzzed
 * on hand-built messages):
 *   nsnet_event_decode()   one rtnetlink message -> one raw event
 *   nsnet_ev_track_*()     per-namespace memory of links, addresses and
 *                          qdiscs: turns raw events into reportable ones
 *                          (link add vs state change, one "addr add" per
 *                          address, qdisc add vs change) and, after an
 *                          overrun, the differences a re-dump shows
 *   nsnet_events_*()       the watcher: one netlink socket inside every
 *                          namespace of the lab, one in the host filtered to
 *                          the lab's host links, inotify on the namespace and
 *                          state directories, all under one epoll fd
 */

enum nsnet_event_type {
	NSNET_EV_NONE = 0,
	NSNET_EV_LINK,
	NSNET_EV_ADDR,
	NSNET_EV_ROUTE,
	NSNET_EV_QDISC,
	NSNET_EV_NODE,
	NSNET_EV_OVERRUN,	/* the kernel dropped notifications (ENOBUFS); resynced */
	NSNET_EV_LAB,
};

enum nsnet_event_action {
	NSNET_EV_ADD = 1,
	NSNET_EV_DEL,
	NSNET_EV_CHANGE,	/* link: state; route: replaced; qdisc: parameters */
	NSNET_EV_RENAME,	/* link */
	NSNET_EV_READY,		/* lab: every socket subscribed and seeded */
	NSNET_EV_DOWN,		/* lab: its state is gone (nsnet down): the last event */
};

/* Why a link is down. */
enum nsnet_link_reason {
	NSNET_LINK_UP = 0,
	NSNET_LINK_ADMIN,		/* not IFF_UP */
	NSNET_LINK_NO_CARRIER,		/* no IFF_LOWER_UP */
	NSNET_LINK_DORMANT,
	NSNET_LINK_LOWER_DOWN,		/* operstate LOWERLAYERDOWN */
	NSNET_LINK_PENDING,		/* up with carrier, oper state not updated yet */
};

struct nsnet_event_link {
	unsigned flags;		/* IFF_* */
	int operstate;		/* IF_OPER_* */
	int up;			/* 1: IFF_RUNNING (oper up) */
	enum nsnet_link_reason reason;
	int mtu;
	uint32_t group;
	char kind[16];
	char alias[128];
	char old_name[16];	/* rename */
};

struct nsnet_event_qdisc {
	char kind[16];
	uint32_t handle, parent;
	int has_delay, has_loss, has_rate;
	uint64_t delay_ns, jitter_ns;
	uint32_t loss;		/* probability scaled to UINT32_MAX */
	uint64_t rate;		/* bytes per second */
	uint32_t limit;		/* packets (netem) */
};

struct nsnet_event {
	enum nsnet_event_type type;
	enum nsnet_event_action action;
	struct timespec time;	/* CLOCK_REALTIME when received (set by the watcher) */
	const char *lab;	/* set by the watcher; valid during the callback */
	const char *node;	/* node name, "host", or NULL (lab events) */
	const char *netns;	/* namespace name; NULL for host and lab events */
	int ifindex;
	char ifname[16];	/* "" if unknown */
	unsigned count;		/* lab ready: nodes watched */
	struct nsnet_event_link link;
	struct nsnet_addr_info addr;
	struct nsnet_route route;
	struct nsnet_event_qdisc qdisc;
};

/*
 * Pure: decode one rtnetlink message of @len bytes (links, addresses, routes,
 * qdiscs). Returns 1 with @ev filled, 0 if it is not something we report (other
 * types and families, local-table and cached routes, bridge port messages),
 * -EBADMSG if malformed. Link and qdisc NEW messages come out as
 * NSNET_EV_CHANGE: whether it is an add is for the tracker to say.
 */
int nsnet_event_decode(const struct nlmsghdr *nlh, size_t len, struct nsnet_event *ev);

/* Link state from flags and operstate (pure). */
void nsnet_event_link_state(unsigned flags, int operstate, int *up, enum nsnet_link_reason *reason);

/*
 * Per-namespace memory. Modes of nsnet_ev_track_apply():
 *   0                        a notification
 *   NSNET_EVT_DUMP           an entry of a dump (a known qdisc is no change)
 *   NSNET_EVT_QUIET          remember only, report nothing (the first dump)
 *   NSNET_EVT_QUIET_NEW      a notification before the first dump is complete:
 *                            objects not known yet are remembered silently
 */
#define NSNET_EVT_DUMP		1
#define NSNET_EVT_QUIET		2
#define NSNET_EVT_QUIET_NEW	4

struct nsnet_ev_track;
struct nsnet_ev_track *nsnet_ev_track_new(void);
void nsnet_ev_track_free(struct nsnet_ev_track *t);
/*
 * Feed a decoded event; writes 0..2 reportable events into @out (a rename and
 * a state change may come from one message) with interface names filled in
 * from memory. Returns how many, or -ENOMEM.
 */
int nsnet_ev_track_apply(struct nsnet_ev_track *t, const struct nsnet_event *in, int mode,
			 struct nsnet_event out[2]);
/* Start a dump sequence (links, addresses, qdiscs): a new generation. */
void nsnet_ev_track_begin(struct nsnet_ev_track *t);
/*
 * End it: forget what the dumps did not show; unless @quiet, @fn gets a
 * deletion event for each (addresses and qdiscs first, then links).
 */
void nsnet_ev_track_sweep(struct nsnet_ev_track *t, int quiet,
			  void (*fn)(const struct nsnet_event *ev, void *arg), void *arg);
/* Remembered link by ifindex: its name and ownership marks (NULL if unknown). */
const struct nsnet_event_link *nsnet_ev_track_link(const struct nsnet_ev_track *t, int ifindex,
						   const char **name);

/*
 * Format one event (pure): text "HH:MM:SS.mmm NODE[:IF] what details" or one
 * JSON object (schema in nsnet(8)), without newline. Returns the length
 * (truncated at @len like snprintf).
 */
int nsnet_event_format(const struct nsnet_event *ev, int json, char *buf, size_t len);

/* ---- the watcher ------------------------------------------------------------- */

struct nsnet_events;
typedef void (*nsnet_event_fn)(const struct nsnet_event *ev, void *arg);

struct nsnet_events_opts {
	int rcvbuf;		/* SO_RCVBUF per socket; 0: 4 MiB (tests make it small) */
};

/*
 * Watch running lab @lab: sockets in every namespace of the lab that exists
 * now, one in the caller's (host) namespace; later changes of the lab's
 * state (its journal, e.g. nsnet run --name, a converge) and of the
 * namespace directory open and close sockets. @fn gets every event, from
 * nsnet_events_process() only. -ENOENT if the lab is not up.
 */
int nsnet_events_open(struct nsnet_events **out, const char *lab,
		      const struct nsnet_events_opts *opts, nsnet_event_fn fn, void *arg,
		      struct nsnet_err *err);
/* An fd that becomes readable when nsnet_events_process() has work (epoll). */
int nsnet_events_fd(const struct nsnet_events *w);
/*
 * Handle what is ready, without blocking. Returns 0, 1 once the lab went down
 * (after its final NSNET_EV_LAB/NSNET_EV_DOWN event), or -errno.
 */
int nsnet_events_process(struct nsnet_events *w, struct nsnet_err *err);
void nsnet_events_close(struct nsnet_events *w);

#endif
