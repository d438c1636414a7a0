/* SPDX-License-Identifier: MIT */
/* Shared by the command files: option state, messages, JSON output. */
#ifndef NSNET_CLI_H
#define NSNET_CLI_H

#include <stdio.h>

#include "nsnet/err.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2

extern int opt_json;

/* "nsnet: <fmt>\n" on stderr. */
void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "nsnet: <what>: <err>\n" on stderr; returns the exit status for it (1, or 2 for -EINVAL). */
int report(const char *what, const struct nsnet_err *err);
/* JSON string with quotes and escapes. */
void json_str(FILE *f, const char *s);

typedef int (*cmd_fn)(int argc, char **argv);

int cmd_ns(int argc, char **argv);
int cmd_sandbox(int argc, char **argv);

#endif
