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

/*
 * `up`: start one capture process per interface with "capture: true",
 * writing STATE/<lab>.captures/NODE-IF.pcap; each is journaled ("pid PID
 * START") before it starts, so `down` stops it; the files stay. Returns once
 * every capture is listening, or -errno (a process that failed has exited;
 * the others are in the journal for the rollback).
 */
int nsnet__captures_sync(const struct nsnet_lab *lab, struct nsnet_err *err);

#endif
