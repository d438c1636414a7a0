/* SPDX-License-Identifier: MIT */
#ifndef NSNET_NETNS_H
#define NSNET_NETNS_H

#include <sys/types.h>

#include "nsnet/err.h"

/*
 * Named network namespaces, byte-compatible with iproute2's `ip netns`: a
 * mode-0 file DIR/NAME with the namespace bind-mounted on it, DIR a shared
 * mount point in its own peer group. DIR defaults to /run/netns and can be
 * changed with NSNET_NETNS_DIR or nsnet_netns_set_dir().
 */

#define NSNET_NETNS_DIR_DEFAULT "/run/netns"
#define NSNET_NETNS_ETC_DIR "/etc/netns"

const char *nsnet_netns_dir(void);
void nsnet_netns_set_dir(const char *dir);

/* iproute2's rule: not empty, not "." or "..", no '/', at most 255 bytes. 0 or -EINVAL. */
int nsnet_netns_name_check(const char *name, struct nsnet_err *err);
/* Kernel's dev_valid_name(): 1..15 bytes, not "."/"..", no '/', ':' or whitespace. */
int nsnet_ifname_check(const char *name, struct nsnet_err *err);

/* The mount-propagation set-up of DIR (mkdir, flock, rbind, rprivate, rshared). */
int nsnet_netns_prepare_dir(struct nsnet_err *err);

/*
 * Create namespace NAME. If @fn is given it runs inside the new namespace on
 * the worker thread that created it (e.g. to open sockets there) before the
 * namespace is bound; its failure undoes the creation.
 */
int nsnet_netns_add(const char *name, int (*fn)(void *arg), void *arg, struct nsnet_err *err);
/*
 * Create namespaces @names[0..n) in order on one worker thread; @fn(i, arg)
 * runs inside namespace i before it is bound. Stops at the first failure
 * (namespace i not created); *done = how many were created.
 */
int nsnet_netns_add_many(const char *const *names, size_t n, int (*fn)(size_t i, void *arg),
			 void *arg, size_t *done, struct nsnet_err *err);
/* Bind the network namespace of @pid as NAME (ip netns attach). */
int nsnet_netns_attach(const char *name, pid_t pid, struct nsnet_err *err);
/* umount2(MNT_DETACH) + unlink, like ip netns del. */
int nsnet_netns_del(const char *name, struct nsnet_err *err);
/* Open DIR/NAME (O_RDONLY|O_CLOEXEC); returns fd or -errno. */
int nsnet_netns_open(const char *name, struct nsnet_err *err);
/* 1 if DIR/NAME exists (whatever it is), 0 if not. */
int nsnet_netns_exists(const char *name);

/* Run fn(arg) on a short-lived thread switched into the namespace of @nsfd. */
int nsnet_netns_call(int nsfd, int (*fn)(void *arg), void *arg, struct nsnet_err *err);

/* List names in DIR (sorted); *names is a NULL-terminated array to free with nsnet_strv_free. */
int nsnet_netns_list(char ***names, struct nsnet_err *err);
void nsnet_strv_free(char **v);
/* The kernel's nsid for DIR/NAME as seen from the caller's namespace, -1 if none. */
int nsnet_netns_nsid(const char *name);
/* Name of the namespace of @pid (0: self) into @buf; "" if none. */
int nsnet_netns_identify(pid_t pid, char *buf, size_t len, struct nsnet_err *err);
/* PIDs whose network namespace is NAME; *pids malloc'd. Returns count. */
int nsnet_netns_pids(const char *name, pid_t **pids, struct nsnet_err *err);

/* A network namespace by the (st_dev, st_ino) of its nsfs inode. */
struct nsnet_nsid {
	unsigned long dev, ino;
};
/*
 * SIGKILL every process (but us) whose network namespace is one of @ids, in a
 * few rounds to catch forks; reaps our own children. Returns how many.
 */
int nsnet_netns_kill(const struct nsnet_nsid *ids, size_t n);

/*
 * Switch the calling *process* (single-threaded, about to exec) into NAME the
 * way `ip netns exec` does: setns, private mount namespace slave to /, /sys
 * remounted, each entry of /etc/netns/NAME bound over /etc.
 */
int nsnet_netns_switch(const char *name, struct nsnet_err *err);

#endif
