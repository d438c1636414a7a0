/* SPDX-License-Identifier: MIT */
#ifndef NSNET_APPLY_H
#define NSNET_APPLY_H

#include <stddef.h>
#include <stdint.h>

#include "nsnet/lab.h"

/* Where a lab came from; kept in its state so status/down work without the file. */
struct nsnet_lab_source {
	const char *kind;	/* "seed", "file" or "topo" */
	const char *arg;	/* file path or topology spec */
	const char *text;	/* file content (kind "file") */
	size_t len;
};

typedef void (*nsnet_progress_fn)(const char *phase, size_t done, size_t total, void *arg);

/*
 * Read-only checks against the system that `up` makes before touching
 * anything: the lab is not up, and no namespace, host link or nft table it
 * would create exists (-EEXIST with location and cause in @err), and the
 * process may open enough files (-EMFILE, see nsnet_lab_fds).
 */
int nsnet_lab_preflight(const struct nsnet_lab *lab, struct nsnet_err *err);

/*
 * Open files `up` of @lab holds at once (a namespace handle per node while it
 * runs, and a few more), and the check preflight makes: -EMFILE
 * if RLIMIT_NOFILE is lower. Raising the limit is the caller's business.
 */
size_t nsnet_lab_fds(const struct nsnet_lab *lab);
int nsnet_lab_fd_check(const struct nsnet_lab *lab, struct nsnet_err *err);

/*
 * Bring a checked lab (nsnet_lab_check() done) up: preflight, journal,
 * create, and on any failure roll back to the state before. If the lab is up
 * already, converge it: apply only the plan from its recorded state to @lab
 * (checked first, journaled, rolled back on a refusal; a converge that
 * crashed is undone first). Returns 0 when done, 1 if the lab was up and
 * already matched @lab (nothing touched). @lab stays the caller's (free it
 * after); @src is saved in the lab's state so that status/down work without
 * the file. @progress (may be NULL) is called now and then with a phase name
 * and counts. Interfaces with "capture: true" get a capture process
 * (capture.h), also when a converge turns it on (and off).
 */
int nsnet_lab_up(struct nsnet_lab *lab, const struct nsnet_lab_source *src,
		 nsnet_progress_fn progress, void *parg, struct nsnet_err *err);

/*
 * Tear a lab down from its journal: processes, nft table, held sysctls,
 * namespaces, host links it created (and nothing else). Returns 1 if the lab
 * was not up (nothing to do), 0 when done.
 */
int nsnet_lab_down(const char *name, nsnet_progress_fn progress, void *parg,
		   struct nsnet_err *err);

struct nsnet_plan;

/*
 * The recorded state of running lab @name: its model as last brought up or
 * converged, and (if @gone) per node 1 when its namespace is missing on the
 * system. The caller frees *from (nsnet_lab_free) and *gone (free).
 */
int nsnet_lab_recorded(const char *name, struct nsnet_lab **from, uint8_t **gone,
		       struct nsnet_err *err);

/*
 * The plan `nsnet_lab_up(@lab)` would apply: from nothing if the lab is not
 * up, else from its recorded state (a converge). Changes nothing. *from
 * (freed by the caller after the plan) is the recorded lab, NULL if not up.
 */
int nsnet_lab_plan(const struct nsnet_lab *lab, struct nsnet_lab **from, struct nsnet_plan **out,
		   struct nsnet_err *err);

/* The lab as it was brought up (re-read from its saved source and checked). */
int nsnet_lab_saved(const char *name, struct nsnet_lab **lab, struct nsnet_err *err);

/* The alias that marks host links owned by lab @name. */
void nsnet_lab_alias(const char *name, char *buf, size_t len);
/* The device group its host links get at creation (before the alias is set). */
uint32_t nsnet_lab_group(const char *name);

/*
 * Port forwards of a running lab, beyond those of its file: added and removed
 * without a redeploy, kept in its state, applied as one nftables transaction
 * that rewrites the lab's table.
 */
struct nsnet_forward {
	int proto;			/* IPPROTO_TCP / IPPROTO_UDP */
	uint16_t port, count, to_port;	/* host port (first of count), target port */
	struct nsnet_prefix host_addr;	/* family 0: every host address */
	struct nsnet_prefix to_addr;	/* target; family 0: the node's address */
	char node[64];			/* target node ("" if by address) */
	int runtime;			/* 1: added at run time, 0: from the lab file */
};

/* -EEXIST if it overlaps a forward (same protocol and port, same/any host address). */
int nsnet_lab_forward_add(const char *lab, const struct nsnet_forward *f, struct nsnet_err *err);
/* Remove a runtime forward; @host_addr NULL matches any. -ENOENT if none. */
int nsnet_lab_forward_del(const char *lab, int proto, uint16_t port,
			  const struct nsnet_prefix *host_addr, struct nsnet_err *err);
/* All forwards: the file's first, then runtime ones; *v malloc'd (free() it). */
int nsnet_lab_forward_list(const char *lab, struct nsnet_forward **v, size_t *n,
			   struct nsnet_err *err);

#endif
