/* SPDX-License-Identifier: MIT */
#ifndef NSNET_CABLE_H
#define NSNET_CABLE_H

#include <stddef.h>
#include <stdint.h>

#include "nsnet/impair.h"
#include "nsnet/lab.h"
#include "nsnet/tc.h"

/*
 * Cables of a lab (`nsnet link`): the veth pair behind a node interface
 * NODE:IF. Its other end is on the host (a bridge port, "host:NAME") or in
 * another node (a links: entry). A cable's impairment shapes both
 * directions: it is the root qdisc of both ends (each end's egress), like
 * Mininet's TCLink. Taking a cable down clears IFF_UP at both ends.
 *
 * What was changed at run time is kept in the lab's state ("cables"), as
 * far as it differs from the lab file, so that status, `link show` and a
 * later converge know it.
 */

struct nsnet_cable {
	int node[2];		/* node index of end i; -1: on the host */
	int iface[2];		/* interface index in that node; -1 on the host */
	const char *ifname[2];	/* the veth end's name (in the node, or on the host) */
	int link_idx;		/* its links[] entry, -1 if none */
	const struct nsnet_impair *impair;	/* the lab file's, NULL if none */
	const struct nsnet_loc *impair_loc;	/* where it is given */
	const char *impair_field;		/* "nodes.a.interfaces.eth0" / "links[0]" */
};

/*
 * Pure. The cable of interface @iface of node @node of a checked lab; end 0
 * is that interface. nsnet_cable_of_link: a bridge<->bridge links[] entry
 * (both ends on the host). @field (if given, 160 bytes) names the lab-file
 * object that gives the impairment.
 */
void nsnet_cable_of(const struct nsnet_lab *lab, size_t node, size_t iface,
		    struct nsnet_cable *c, char *field);
void nsnet_cable_of_link(const struct nsnet_lab *lab, size_t link, struct nsnet_cable *c);

/* Pure. "NODE:IF" -> indexes; -EINVAL with the reason in @err. */
int nsnet_cable_find(const struct nsnet_lab *lab, const char *endpoint, size_t *node,
		     size_t *iface, struct nsnet_err *err);
/*
 * Pure. The name a cable is recorded under: "NODE:IF" of its first node end
 * (for a links: entry, its first endpoint). 160 bytes are enough.
 */
#define NSNET_CABLE_KEY_MAX 160
void nsnet_cable_key(const struct nsnet_lab *lab, const struct nsnet_cable *c, char *buf,
		     size_t len);
/* Pure. "NODE:IF" or "host:NAME" of end @i. */
void nsnet_cable_end_name(const struct nsnet_lab *lab, const struct nsnet_cable *c, int i,
			  char *buf, size_t len);

/* What was set at run time on one cable. */
struct nsnet_cable_state {
	char key[NSNET_CABLE_KEY_MAX];	/* nsnet_cable_key() */
	int down;			/* taken down */
	int has_impair;			/* an impairment other than the lab file's */
	struct nsnet_impair impair;	/* (none = cleared) */
};

/*
 * Pure. The "cables" state file: one line per fact, "KEY down" or "KEY
 * impair WORDS…" (nsnet_impair_format). Lines that do not read are skipped.
 * *v malloc'd.
 */
int nsnet_cable_state_parse(const char *text, size_t len, struct nsnet_cable_state **v,
			    size_t *n);
/* Pure. The text of @v (malloc'd, NUL-terminated); NULL if out of memory. */
char *nsnet_cable_state_text(const struct nsnet_cable_state *v, size_t n);
/* The running lab's records (none: *n = 0). */
int nsnet_cable_state_read(const char *lab, struct nsnet_cable_state **v, size_t *n,
			   struct nsnet_err *err);
/* The record of @key in @v, NULL if none. */
const struct nsnet_cable_state *nsnet_cable_state_find(const struct nsnet_cable_state *v,
						       size_t n, const char *key);

/*
 * Running lab @lab (locked while it works): cable NODE:IF down (@up 0) or
 * up (1) at both ends; or its impairment (@im none: clear) at both ends.
 * Input is checked first (-EINVAL: unknown NODE:IF; -EOPNOTSUPP: netem
 * missing, nothing changed); a refusal part-way puts the ends back as they
 * were. Recorded in the lab's state.
 */
int nsnet_cable_set_up(const char *lab, const char *endpoint, int up, struct nsnet_err *err);
int nsnet_cable_set_impair(const char *lab, const char *endpoint, const struct nsnet_impair *im,
			   struct nsnet_err *err);

/* One end of a cable as read back from the kernel. */
struct nsnet_cable_end_view {
	char name[NSNET_CABLE_KEY_MAX];	/* "NODE:IF" or "host:NAME" */
	int present;
	unsigned flags;			/* IFF_* (IFF_UP: administratively up) */
	int mtu;
	int ifindex;
	struct nsnet_qdisc_info qdisc;	/* its root qdisc */
	struct nsnet_impair impair;	/* what that qdisc does */
	int foreign;			/* a root qdisc nsnet does not make */
	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes, rx_dropped, tx_dropped;
};

struct nsnet_cable_view {
	char key[NSNET_CABLE_KEY_MAX];
	struct nsnet_cable_end_view end[2];	/* 0: the node interface, 1: its peer */
	int runtime_down;		/* recorded: taken down at run time */
	int runtime_impair;		/* recorded: impairment set at run time */
	struct nsnet_impair want;	/* the lab file's, or the runtime one */
};

/* Every node interface of running lab @lab, in lab order; *v malloc'd. */
int nsnet_cable_list(const char *lab, struct nsnet_cable_view **v, size_t *n,
		     struct nsnet_err *err);

#endif
