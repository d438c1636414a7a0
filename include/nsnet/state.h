/* SPDX-License-Identifier: MIT */
#ifndef NSNET_STATE_H
#define NSNET_STATE_H

#include <stddef.h>
#include <sys/types.h>

#include "nsnet/err.h"

/*
 * Ownership journal. Each lab has STATE/<lab>/ (mode 0700, STATE defaults to
 * /run/nsnet, env NSNET_STATE_DIR) holding "journal": one line per object,
 * written *before* the object is created, so that after a crash at any point
 * `down` knows every object that may exist. Lines:
 *   lab NAME | source seed|file PATH|topo SPEC | ns NAME | nsino NAME DEV INO |
 *   link NAME | nft TABLE | hold KEY | pid PID START | up
 * Concurrent commands on one lab serialise on flock(STATE/<lab>.lock).
 */
const char *nsnet_state_dir(void);
void nsnet_state_set_dir(const char *dir);

/* Take the lab's lock (blocking); returns an fd to pass to nsnet_state_unlock. */
int nsnet_state_lock(const char *lab, struct nsnet_err *err);
void nsnet_state_unlock(int fd);

/* Create STATE/<lab>/ and an empty journal; -EEXIST if a journal exists. */
int nsnet_state_create(const char *lab, struct nsnet_err *err);
/* 1 if the lab has a journal. */
int nsnet_state_exists(const char *lab);
/* Append one line (no newline in @fmt). */
int nsnet_state_log(const char *lab, struct nsnet_err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Append complete lines (each ending in '\n') in one write. */
int nsnet_state_append(const char *lab, const char *buf, size_t len, struct nsnet_err *err);
/* All journal lines (NULL-terminated, free with nsnet_strv_free). */
int nsnet_state_read(const char *lab, char ***lines, struct nsnet_err *err);
/* Write / read a file in the lab's state dir (e.g. the lab source). */
int nsnet_state_put(const char *lab, const char *file, const void *data, size_t len,
		    struct nsnet_err *err);
int nsnet_state_get(const char *lab, const char *file, char **data, size_t *len,
		    struct nsnet_err *err);
/* Replace a state file atomically (write FILE.tmp, rename). */
int nsnet_state_replace(const char *lab, const char *file, const void *data, size_t len,
			struct nsnet_err *err);
/* Remove a state file (absent is fine). 0 or -errno. */
int nsnet_state_unlink(const char *lab, const char *file);
/* Path of a file in the lab's state dir. */
int nsnet_state_path(const char *lab, const char *file, char *buf, size_t len);
/* Remove the lab's state dir. */
int nsnet_state_remove(const char *lab, struct nsnet_err *err);
/* Names of labs with state (sorted, NULL-terminated). */
int nsnet_state_labs(char ***names, struct nsnet_err *err);

/*
 * Shared host sysctls (ip_forward, …): the first lab to hold KEY records its
 * original value, the last to release it restores it. Serialised by a global
 * lock. @value is written while held.
 */
int nsnet_state_hold_sysctl(const char *lab, const char *key, const char *value,
			    struct nsnet_err *err);
int nsnet_state_release_sysctl(const char *lab, const char *key, struct nsnet_err *err);

/*
 * Start time of process @pid (field 22 of /proc/PID/stat), 0 if it is gone:
 * journaled with a pid so that a reused pid is never taken for ours.
 */
unsigned long long nsnet_proc_start(pid_t pid);

#endif
