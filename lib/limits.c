// SPDX-License-Identifier: MIT
/*
 * What a large lab needs from the process: open files. `up` holds a namespace
 * handle per node from its creation until the node is configured, and the
 * sockets of the next few nodes (lib/exec.c, open_ahead).
 */
#include <errno.h>
#include <sys/resource.h>

#include "nsnet/apply.h"
#include "nsnet/lab.h"

#define FDS_SPARE (256 + 64)	/* sockets opened ahead; host socket, journal, nft, stdio … */

size_t nsnet_lab_fds(const struct nsnet_lab *lab)
{
	return lab->nnodes + FDS_SPARE;
}

int nsnet_lab_fd_check(const struct nsnet_lab *lab, struct nsnet_err *err)
{
	struct rlimit rl;
	size_t need = nsnet_lab_fds(lab);

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= need)
		return 0;
	return nsnet_err_set(err, -EMFILE, "lab \"%s\": %zu nodes need %zu open files (a namespace "
			     "handle each, and some), the limit is %llu (ulimit -n)",
			     lab->name, lab->nnodes, need, (unsigned long long)rl.rlim_cur);
}
