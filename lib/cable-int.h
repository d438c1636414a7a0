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
 * A converge recreated these cables or gave them the file's impairment:
 * what was set on them at run time (records in the lab's "cables" state) no
 * longer holds. @keys: nsnet_cable_key() names.
 */
int nsnet__cable_forget(const char *lab, char **keys, size_t nkeys, struct nsnet_err *err);

#endif
