/* SPDX-License-Identifier: MIT */
/* Shared by capture.c, capture-lab.c and apply.c; not installed. */
#ifndef NSNET_CAPTURE_INT_H
#define NSNET_CAPTURE_INT_H

#include "nsnet/capture.h"
#include "nsnet/lab.h"

/*
 * nsnet_capture_open() for a process already inside the namespace (@nsfd:
 * an fd of it, for the deletion check; @ns its name).
 */
int nsnet__capture_open_here(const char *ns, int nsfd, const char *ifname, const char *filter,
			     struct nsnet_capture **out, struct nsnet_err *err);

/* The ifindex the capture is bound to. */
int nsnet__capture_ifindex(const struct nsnet_capture *c);

/*
 * `up` (first or converge) of a lab: one capture process per interface with
 * "capture: true", writing STATE/<lab>.captures/NODE-IF.pcap; each journaled
 * ("pid PID START @capture NODE:IF IFINDEX") before it starts, so `down`
 * stops it; the files stay. Journaled captures still running on the same
 * interface are kept; those whose interface was recreated or that are no
 * longer wanted are stopped. Returns once every capture listens, or -errno (a
 * process that failed has exited; the others are in the journal).
 */
int nsnet__captures_sync(const struct nsnet_lab *lab, struct nsnet_err *err);

#endif
