/* SPDX-License-Identifier: MIT */
/* Work split over one thread per CPU; used by lib/ping.c and cli/cmd-pingall.c. Not installed. */
#ifndef NSNET_SPLIT_INT_H
#define NSNET_SPLIT_INT_H

#include <stddef.h>

#define NSNET__SPLIT_MAX 4	/* parts at most */

/*
 * Run @fn(@arg, part, from, to) over [0, @n): as one part when @n <= @serial_upto
 * or there is one CPU, else in one part per CPU (at most NSNET__SPLIT_MAX), cut
 * only between i - 1 and i where @same(@arg, i - 1, i) is 0 (e.g. never inside
 * one source's run of items). The first part runs in the caller's thread, the
 * others on threads of their own (in the caller's if none can be made).
 * Returns the number of parts (0 if @n is 0); part numbers are 0 .. that - 1.
 */
size_t nsnet__split_run(size_t n, size_t serial_upto,
			int (*same)(const void *arg, size_t a, size_t b),
			void (*fn)(void *arg, size_t part, size_t from, size_t to), void *arg);

#endif
