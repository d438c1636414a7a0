/* SPDX-License-Identifier: MIT */
#ifndef NSNET_RUN_H
#define NSNET_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "nsnet/addr.h"
#include "nsnet/err.h"

/*
 * nsnet run: a command in fresh network, UTS, PID, mount and IPC namespaces,
 * wired to a bridge of a running lab (by default the lab "run": bridge nsnet0,
 * 10.88.0.0/16 and fd88::/64, host .1 and ::1, masquerade), with an address of its own, a
 * default route, port forwards and optionally a name in the namespace
 * directory. The lab's ownership rules apply: the host end of the veth
 * carries the lab's device group and alias, every object is journaled in the
 * lab before it is created, so `nsnet down LAB` removes running instances
 * too. Each instance holds a reservation file STATE/<lab>/run.<addr> (pid and
 * start time of the nsnet process, its objects); nsnet_run_gc() reclaims those
 * of dead processes. IPv4, plus IPv6 when the bridge has an IPv6 address
 * (the default network: fd88::/64): the instance's IPv6 address has the host
 * number of its IPv4 one unless given, port forwards are made in both.
 */
#define NSNET_RUN_LAB "run"
#define NSNET_RUN_BRIDGE "nsnet0"
#define NSNET_RUN_SUBNET "10.88.0.0/16"	/* env NSNET_RUN_SUBNET at first use */
#define NSNET_RUN_SUBNET6 "fd88::/64"	/* env NSNET_RUN_SUBNET6 ("none": IPv4 only) */

struct nsnet_run_port {
	int proto;			/* IPPROTO_TCP / IPPROTO_UDP */
	uint16_t host_port, port;
	struct nsnet_prefix host_addr;	/* family 0: every host address */
};

struct nsnet_run_opts {
	const char *lab;		/* NULL: the default network (created on first use) */
	const char *bridge;		/* NULL: the lab's first bridge */
	const char *ip;			/* "ADDR[/PLEN]"; NULL: the next free one */
	const char *gw;			/* NULL: the bridge's address */
	const struct nsnet_run_port *ports;
	size_t nports;
	const char *hostname;		/* NULL: the name, else "nsnet-A-B-C-D" */
	const char *name;		/* named netns while it runs; NULL: none */
	char *const *env;		/* "K=V" added to the environment */
	size_t nenv;
	const char *workdir;
	char *const *argv;		/* CMD, NULL-terminated */
	int keep_network;		/* the default network stays after the last run */
	const char *ip6;		/* "ADDR[/PLEN]"; NULL: from the bridge's IPv6 subnet */
	const char *gw6;		/* NULL: the bridge's IPv6 address */
};

struct nsnet_run;

/* Pure: "[HOSTADDR:]HOSTPORT:PORT[/tcp|udp]" (IPv6 HOSTADDR in brackets). 0 or -EINVAL. */
int nsnet_run_port_parse(const char *s, struct nsnet_run_port *p);
/* Valid instance name: [A-Za-z0-9_.-], 1..48 bytes, not "." or "..". 0 or -EINVAL. */
int nsnet_run_name_check(const char *name, struct nsnet_err *err);

/*
 * Bring the default network (lab "run") up unless it is. Safe when several
 * callers race: the loser of the lab lock finds it up. 0 or -errno. Made
 * here, it goes when the last instance on it finishes (nsnet_run_finish), or
 * at nsnet_run_gc() once no live instance uses it, unless an instance was
 * started with keep_network (then it stays until nsnet_lab_down).
 */
int nsnet_run_default_lab(struct nsnet_err *err);

/*
 * Start CMD. Blocks SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and
 * SIGCHLD in the calling thread (nsnet_run_wait forwards them; call this from
 * a single-threaded process). Returns 0 once CMD has been executed; on any
 * failure everything it made is undone, the child never runs CMD, and @err
 * says why (kernel extack text included). If CMD itself cannot be executed,
 * the return value is execve's -errno and err->where is "exec".
 */
int nsnet_run_start(const struct nsnet_run_opts *o, struct nsnet_run **out,
		    struct nsnet_err *err);
pid_t nsnet_run_pid(const struct nsnet_run *r);		/* its pid 1, as seen here */
void nsnet_run_addr(const struct nsnet_run *r, struct nsnet_prefix *addr);
const char *nsnet_run_lab(const struct nsnet_run *r);
/*
 * Wait for CMD, forwarding the signals above to the namespace's init, which
 * passes them on to CMD. Returns CMD's exit status, 128+N if a signal N
 * killed it (or killed the init), or -errno.
 */
int nsnet_run_wait(struct nsnet_run *r, struct nsnet_err *err);
/*
 * Kill the instance if it still runs, remove its forwards, its named netns,
 * its journal lines and reservation, restore the signal mask; free @r.
 * Returns 0 or the first error (cleanup goes on past errors). NULL-safe.
 */
int nsnet_run_finish(struct nsnet_run *r, struct nsnet_err *err);

/* A running (or dead, not yet collected) instance, from its reservation. */
struct nsnet_run_info {
	char lab[65];
	char owner[64];			/* "run:NAME" or "run:PID": the forwards' node field */
	char name[64];			/* --name, "" if none */
	char link[16];			/* host end of its veth */
	char bridge[16];
	pid_t ppid;			/* the nsnet run process */
	pid_t pid;			/* the namespace's init; 0 before it exists */
	int alive;			/* the nsnet run process still runs */
	struct nsnet_prefix addr;
	struct nsnet_run_port *ports;
	size_t nports;
	struct nsnet_prefix addr6;	/* family 0: IPv4 only */
};
/* Instances of @lab, sorted by address; *v to free with nsnet_run_list_free. */
int nsnet_run_list(const char *lab, struct nsnet_run_info **v, size_t *n,
		   struct nsnet_err *err);
void nsnet_run_list_free(struct nsnet_run_info *v, size_t n);

/*
 * Collect what dead instances of @lab (NULL: every lab) left: processes still
 * in their namespace, named netns, forwards (also runtime forwards owned by
 * "run:…" with no reservation), host veth, journal lines, reservation.
 * *removed (may be NULL) counts instances collected. 0 or the first error.
 */
int nsnet_run_gc(const char *lab, unsigned *removed, struct nsnet_err *err);

#endif
