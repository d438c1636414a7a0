/* SPDX-License-Identifier: MIT */
#ifndef NSNET_CNI_EXEC_H
#define NSNET_CNI_EXEC_H

#include <stddef.h>
#include <sys/types.h>

#include "nsnet/err.h"

struct cni_child {
	pid_t pid;
	int in_fd, out_fd;
	char bin[4096];
	const char *in;		/* borrowed: must live until cni_plugin_wait() */
	size_t inlen, inoff;
	char *out;		/* stdout, NUL-terminated (NULL if empty) */
	size_t outlen, outcap;
	int truncated;		/* stdout exceeded 4 MiB */
};

/* @type as a regular file in one of the ':'-separated directories of @path. 0 or -ENOENT. */
int cni_plugin_find(const char *path, const char *type, char *out, size_t len);
void cni_child_init(struct cni_child *ch);
/* Start @bin with our environment and CNI_COMMAND=@cmd; @in goes to its stdin. */
int cni_plugin_start(struct cni_child *ch, const char *bin, const char *cmd, const char *in,
		     size_t inlen, struct nsnet_err *err);
/*
 * Feed stdin, collect stdout, reap. Returns the exit status (0..255), 256 +
 * the signal number if it was killed, or -errno.
 */
int cni_plugin_wait(struct cni_child *ch, struct nsnet_err *err);
/* Close, reap (if still running: waits for it), free. */
void cni_child_free(struct cni_child *ch);

/* ---- the delegated IPAM plugin (ipam.type other than host-local) ---- */
struct cni_conf;
struct cni_env;
struct cni_error;
struct cni_ipam_result;

/* Find and start it for @cmd with the configuration we were given. -1 with @e set. */
int cni_ipam_start(struct cni_child *ch, const struct cni_conf *c, const struct cni_env *env,
		   const char *cmd, struct cni_error *e);
/*
 * Wait for it. Its error object is passed through (code, msg, details);
 * with @res (ADD), its result is parsed into @res. 0; -1 with @e set if it
 * failed; -2 with @e set if it succeeded but its result is unusable (an ADD
 * to release).
 */
int cni_ipam_finish(struct cni_child *ch, const struct cni_conf *c, struct cni_ipam_result *res,
		    struct cni_error *e);
/* Start + finish. */
int cni_ipam_run(const struct cni_conf *c, const struct cni_env *env, const char *cmd,
		 struct cni_ipam_result *res, struct cni_error *e);

#endif
