/* SPDX-License-Identifier: MIT */
/* Shared by the command files: option state, messages, JSON output. */
#ifndef NSNET_CLI_H
#define NSNET_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "nsnet/err.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2

extern int opt_json;
/* --host NAME: the part of a multi-host lab to act on (NULL: found by address). */
extern const char *opt_host;
/* set by validate/graph: the whole lab, no host chosen */
extern int opt_host_any;

/* "nsnet: <fmt>\n" on stderr. */
void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "nsnet: <what>: <err>\n" on stderr; returns the exit status for it (1, or 2 for -EINVAL). */
int report(const char *what, const struct nsnet_err *err);
/* JSON string with quotes and escapes. */
void json_str(FILE *f, const char *s);
/* Raise RLIMIT_NOFILE to at least @need where allowed (large labs). */
void raise_nofile(size_t need);

typedef int (*cmd_fn)(int argc, char **argv);

int cmd_ns(int argc, char **argv);
int cmd_sandbox(int argc, char **argv);



/* lab-util.c */
struct nsnet_lab;
int load_lab_file(const char *path, struct nsnet_lab **lab, char **text, size_t *len,
		  struct nsnet_err *err);
int user_labs(char ***labs, struct nsnet_err *err);
int resolve_lab(const char *arg, char *name, size_t len);
int open_saved_lab(const char *arg, struct nsnet_lab **lab);
void progress_tty(const char *phase, size_t done, size_t total, void *arg);

struct nsnet_lab_source;
int lab_from_args(const char *file, const char *topo, struct nsnet_lab **lab,
		  struct nsnet_lab_source *src, char **text);
int cmd_up(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_pingall(int argc, char **argv);
int cmd_graph(int argc, char **argv);
int cmd_forward(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_link(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_gc(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_capture(int argc, char **argv);
int cmd_complete(int argc, char **argv);

/* cmd-rootless.c: around every command of an unprivileged user (nsnet/rootless.h) */
int rootless_begin(const char *cmd, int argc, char **argv);
int rootless_end(int ret);
int cmd_rootless(int argc, char **argv);
#endif
