/* SPDX-License-Identifier: MIT */
#ifndef NSNET_ROOTLESS_H
#define NSNET_ROOTLESS_H

#include <stddef.h>
#include <sys/types.h>

#include "nsnet/err.h"

/*
 * Rootless labs. An unprivileged user's labs live inside one user + mount +
 * network namespace owned by that user, kept alive by a per-user holder:
 *
 *   nsnet-holder   in the user's own namespaces: owns the control socket
 *                  $XDG_RUNTIME_DIR/nsnet/holder.sock, and the processes below
 *                  (all die with it: PR_SET_PDEATHSIG)
 *   nsnet-ns       the namespace keeper: unshare(user, mount, net), uid/gid 0
 *                  mapped to the user, a tmpfs on DIR/netns, lo up
 *   pasta | slirp4netns   NAT to the outside for the keeper's network namespace
 *                  (an interface "nsnet-ext" with the default route), and port
 *                  forwards from the real host's 127.0.0.1 into it
 *
 * nsnet, run unprivileged, enters the keeper's namespaces (setns: user, then
 * mount, then net) before doing anything; there it is uid 0 with every
 * capability over the lab's namespaces, the namespace directory is
 * DIR/netns and the state directory DIR/state (DIR = $XDG_RUNTIME_DIR/nsnet),
 * and everything else works as for root. The holder exits when told to (the
 * end of a `down` or `ns del` that leaves no lab and no namespace, or
 * nsnet_rootless_stop()); the labs' namespaces go with it. Their journals in
 * DIR/state (a real directory: kept captures stay readable) are taken over by
 * the next holder, which tears those labs down (see recovered below).
 */

/* 1 if this process is unprivileged (euid != 0 and lacking CAP_SYS_ADMIN or
 * CAP_NET_ADMIN): lab commands must go through the holder. */
int nsnet_rootless_needed(void);

/* DIR: $XDG_RUNTIME_DIR/nsnet (or /run/user/UID/nsnet), created mode 0700 and
 * checked (a directory of ours, not a symlink, not writable by others). */
int nsnet_rootless_dir(char *buf, size_t len, struct nsnet_err *err);

/* What nsnet_rootless_enter() found or started. */
struct nsnet_rootless_info {
	int started;		/* 1: this call started the holder */
	pid_t ns_pid;		/* the namespace keeper */
	char helper[16];	/* "pasta", "slirp4netns" or "none" */
	char note[256];		/* why there is no helper, if none ("" otherwise) */
	int recovered;		/* labs of a holder that was gone, torn down */
	char lost[256];		/* their names, ", "-separated */
};

#define NSNET_ROOTLESS_CREATE 1	/* start the holder if none runs */

/*
 * Join the holder's namespaces (starting the holder with CREATE). Must be
 * called while the process has a single thread. Sets the namespace and state
 * directories (unless NSNET_NETNS_DIR / NSNET_STATE_DIR say otherwise) and
 * exports them for child processes; the working directory is kept.
 * A holder is also started without CREATE when DIR/state holds journals of
 * labs (their holder is gone): the new holder's first client tears them down.
 * 1: entered; 0: no holder runs and none was started (the directories are
 * set to DIR's empty ones, so listings show nothing); -errno on failure.
 */
int nsnet_rootless_enter(int flags, struct nsnet_rootless_info *info, struct nsnet_err *err);

/* 1 if nsnet_rootless_enter() entered the holder in this process. */
int nsnet_rootless_entered(void);

/*
 * Publish the port forwards of every lab on the real host's 127.0.0.1 (pasta
 * or slirp4netns port forwarding into the holder's namespace, where the lab's
 * own nftables rules take it on). Forwards with a host address of their own
 * are not published. 0, or -errno with the reason (forwards the helper
 * refused, or no helper). Only after a successful enter.
 */
int nsnet_rootless_sync(struct nsnet_err *err);

/*
 * After a command that removes things: if no lab and no named namespace is
 * left and no other nsnet command is running, stop the holder and wait for
 * it. 1 stopped, 0 not, -errno.
 */
int nsnet_rootless_release(struct nsnet_err *err);

/* Stop the holder (and with it every rootless lab). 1 stopped, 0 none ran. */
int nsnet_rootless_stop(struct nsnet_err *err);

/* What the holder reports about itself. */
struct nsnet_rootless_pub {
	char lab[65];
	int proto;			/* IPPROTO_TCP / IPPROTO_UDP */
	unsigned port, count;		/* 127.0.0.1:port..port+count-1 on the real host */
};

struct nsnet_rootless_status {
	pid_t holder, ns, helper_pid;
	char helper[16];		/* "pasta", "slirp4netns" or "none" */
	char note[256];			/* why there is no helper */
	struct nsnet_rootless_pub *pubs;	/* published forwards */
	size_t npubs;
};

/* 1 with @st filled (free with nsnet_rootless_status_free), 0 if no holder runs. */
int nsnet_rootless_status(struct nsnet_rootless_status *st, struct nsnet_err *err);
void nsnet_rootless_status_free(struct nsnet_rootless_status *st);

#endif
