/* SPDX-License-Identifier: MIT */
/* Minimal checks for unit tests: each CHECK prints "ok - …" or "not ok - …". */
#ifndef NSNET_TEST_CHECK_H
#define NSNET_TEST_CHECK_H

#include <stdio.h>

static int check_failed;

#define CHECK(cond, ...)                                                        \
	do {                                                                    \
		if (cond) {                                                     \
			printf("ok - ");                                        \
		} else {                                                        \
			printf("not ok - %s:%d: ", __FILE__, __LINE__);         \
			check_failed++;                                         \
		}                                                               \
		printf(__VA_ARGS__);                                            \
		putchar('\n');                                                  \
	} while (0)

#define CHECK_DONE() (check_failed ? 1 : 0)

#endif
