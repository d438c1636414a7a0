/* SPDX-License-Identifier: MIT */
/* Hooks of `up` into the cables' impairments (cable-ctl.c); not installed. */
#ifndef NSNET_CABLE_INT_H
#define NSNET_CABLE_INT_H

#include <stddef.h>

#include "nsnet/lab.h"

/*
 * Preflight (read-only): if the lab file gives a cable delay, jitter, loss,
 * duplicate or corrupt and the kernel has no netem qdisc, -EOPNOTSUPP with
 * the file location and the missing module named. Nothing is touched.
 */
int nsnet__cable_preflight(const struct nsnet_lab *lab, struct nsnet_err *err);

/*
 * Give every cable of the lab file its impairment, at both ends (after the
 * plan of a fresh `up` ran): in each namespace that holds an impaired end,
 * one batch finds the ends, one sets them. Only ends on this host (multi-host
 * labs). A no-op for a lab without impairments.
 */
int nsnet__cable_up(const struct nsnet_lab *lab, struct nsnet_err *err);

#endif
