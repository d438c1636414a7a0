/* SPDX-License-Identifier: MIT */
#ifndef NSNET_NSNET_H
#define NSNET_NSNET_H

/*
 * libnsnet: virtual networks from Linux network namespaces, over rtnetlink
 * (libmnl) and nftables (libnftables). This header includes every public
 * header; include only the ones you use if you prefer. Build with
 *     cc prog.c $(pkg-config --cflags --libs nsnet)
 * and see examples/c/twonode.c for a lab brought up through the API.
 *
 * Headers, one concept each:
 *   err.h      struct nsnet_err: how errors are reported
 *   lab.h      the lab model; parse a lab file (nsnet-lab(5)), generate, check
 *   apply.h    bring a checked lab up (or converge it), tear it down, forwards
 *   plan.h     the plan stage: recorded lab + desired lab -> ordered operations
 *   state.h    the ownership journal and locks under /run/nsnet
 *   netns.h    named network namespaces, compatible with `ip netns`
 *   nl.h       a batched rtnetlink socket per namespace, with extended ACKs
 *   link.h addr.h route.h sysctl.h   kernel objects (requests on an nl socket)
 *   nat.h      masquerade and port forwards in one nftables table
 *   impair.h   link impairments (rate, delay, loss…): their words, pure
 *   tc.h       root qdiscs that implement them (tbf, netem), read back too
 *   cable.h    a running lab's cables: up/down, impairments (`nsnet link`)
 *   ping.h     all-pairs ICMP reachability;  reach.h: which pairs should answer
 *   capture.h  packet capture inside a namespace (libpcap)
 *   events.h   what changes in a running lab, as a stream (`nsnet events`)
 *   run.h      a command in fresh namespaces on a lab bridge (`nsnet run`)
 *   cni.h      primitives the CNI plugin needs (promiscuous mode, conntrack)
 *   rootless.h an unprivileged user's labs: the per-user holder, joining it
 *
 * Conventions of every call:
 *  - Errors: fallible functions return 0 (or a count, >= 0) on success and a
 *    negative errno on failure. Those taking a `struct nsnet_err *` (may be
 *    NULL) also fill it with the reason: the kernel's extended-ACK text,
 *    the object concerned and, for lab files, "FILE:LINE:COL: field".
 *    -EINVAL means bad input (a usage or validation error); anything else is
 *    a failure of the system. The library never prints and never exits; it
 *    installs no signal handler (nsnet_run_start() blocks some, see run.h).
 *  - Ownership: what a function returns through a pointer argument is the
 *    caller's: `struct nsnet_lab` is freed with nsnet_lab_free(), string
 *    vectors (char **) with nsnet_strv_free(), opaque objects with their
 *    *_close() or *_finish() function, and plain arrays ("*v malloc'd") with
 *    free(). Strings and structures passed in are only read during the
 *    call (copied when kept). Destructors accept NULL.
 *  - Batched requests: link/addr/route/neigh functions returning void only
 *    queue a request on a `struct nsnet_nl`; nsnet_nl_flush() sends the batch
 *    and reports the first error.
 *  - Namespaces: the library never switches the namespace of a thread that
 *    does other work; it opens sockets on short-lived threads that enter the
 *    target namespace. All file descriptors are close-on-exec.
 *  - Privileges: changing the system (up, down, namespaces, links, nftables,
 *    capture) needs CAP_NET_ADMIN and CAP_SYS_ADMIN (root) -- or, for an
 *    unprivileged user, nsnet_rootless_enter() first (rootless.h), which
 *    gives them over the user's own namespaces. The parser, the checker, the
 *    message builders and the summaries are pure and need nothing.
 *  - Threads: calls on different objects may run in different threads;
 *    one object (an nl socket, a lab, a capture) is used by one thread at a
 *    time. The namespace and state directories are process-wide settings
 *    (nsnet_netns_set_dir, nsnet_state_set_dir): set them before starting
 *    threads.
 *  - ABI: libnsnet.so.0 exports exactly the nsnet_* names declared in these
 *    headers. Structures in them are part of the 0.x ABI and may still change
 *    between minor versions (the soname changes with them).
 */

#include "nsnet/err.h"
#include "nsnet/addr.h"
#include "nsnet/route.h"
#include "nsnet/nl.h"
#include "nsnet/link.h"
#include "nsnet/sysctl.h"
#include "nsnet/netns.h"
#include "nsnet/state.h"
#include "nsnet/lab.h"
#include "nsnet/reach.h"
#include "nsnet/plan.h"
#include "nsnet/apply.h"
#include "nsnet/nat.h"
#include "nsnet/impair.h"
#include "nsnet/tc.h"
#include "nsnet/cable.h"
#include "nsnet/ping.h"
#include "nsnet/capture.h"
#include "nsnet/events.h"
#include "nsnet/run.h"
#include "nsnet/cni.h"
#include "nsnet/rootless.h"

#endif
