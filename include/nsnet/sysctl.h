/* SPDX-License-Identifier: MIT */
#ifndef NSNET_SYSCTL_H
#define NSNET_SYSCTL_H

#include <stddef.h>

#include "nsnet/err.h"

/* A sysctl key "net.ipv4.ip_forward" (or with '/') is valid: [A-Za-z0-9_.-/], no "..". */
int nsnet_sysctl_check(const char *key, struct nsnet_err *err);
/*
 * Read and/or write sysctl @key in the network namespace @nsfd (-1: the
 * caller's). If @old is given the previous value is stored there (trimmed).
 * @value NULL: read only.
 */
int nsnet_sysctl(int nsfd, const char *key, const char *value, char *old, size_t oldlen,
		 struct nsnet_err *err);

#endif
