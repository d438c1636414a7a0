/* SPDX-License-Identifier: MIT */
#ifndef NSNET_NAT_H
#define NSNET_NAT_H

#include <stddef.h>
#include <stdint.h>

#include "nsnet/addr.h"
#include "nsnet/err.h"

/*
 * NAT and port forwards of one lab (or one nsnet run network) in a table of
 * its own, "inet <table>", applied through libnftables in one transaction.
 * Works in the caller's network namespace (the host). Nothing outside the
 * table is ever read-modified.
 */
struct nsnet_nat_fwd {
	uint16_t port;			/* host port (first of range) */
	uint16_t to_port;		/* destination port (first of range) */
	uint16_t count;			/* range length, >= 1 */
	int proto;			/* IPPROTO_TCP / IPPROTO_UDP */
	struct nsnet_prefix host_addr;	/* family 0: any host address */
	struct nsnet_prefix to_addr;	/* node address */
};

struct nsnet_nat_spec {
	const char *table;		/* e.g. "nsnet-seed"; [A-Za-z0-9_-] */
	const char *const *bridges;	/* the lab's bridges (host interface names) */
	size_t nbridges;
	const struct nsnet_prefix *masq;	/* subnets to masquerade */
	size_t nmasq;
	const struct nsnet_nat_fwd *fwd;
	size_t nfwd;
};

/*
 * Run one libnftables command buffer (JSON, or text with JSON output) as one
 * transaction; nftables' own error text goes into @err. On success the
 * output is returned in @out if given (malloc'ed). Shared with nsnet-cni.
 */
int nsnet_nft_run(const char *cmd, char **out, struct nsnet_err *err);

/*
 * The same with a libnftables context kept across commands. Why keep it:
 * closing a netfilter netlink socket after a transaction that deleted
 * something waits for an RCU grace period (on NETLINK_URELEASE the kernel
 * flushes nf_tables' destroy work); closed later, after other slow work,
 * the socket closes at once because that work has run meanwhile.
 * nsnet_nft_close() accepts NULL.
 */
struct nsnet_nft;
int nsnet_nft_open(struct nsnet_nft **out, struct nsnet_err *err);
int nsnet_nft_exec(struct nsnet_nft *h, const char *cmd, char **out, struct nsnet_err *err);
void nsnet_nft_close(struct nsnet_nft *h);

/* Pure: the nft script that (re)creates the table with exactly this content (*out: free()). */
int nsnet_nat_render(const struct nsnet_nat_spec *spec, char **out, struct nsnet_err *err);
/* One transaction: create or replace the table's content. */
int nsnet_nat_apply(const struct nsnet_nat_spec *spec, struct nsnet_err *err);
/* Delete the table; 0 if it did not exist. */
int nsnet_nat_delete(const char *table, struct nsnet_err *err);
/* 1 if table "inet <table>" exists, 0 if not, <0 on error. */
int nsnet_nat_exists(const char *table, struct nsnet_err *err);

/*
 * Validation done by render/apply: table name [A-Za-z0-9_-] <= 64 bytes,
 * bridge names, masquerade prefixes (length >= 1), forwards (tcp/udp, ports
 * 1..65535, ranges within 65535, count >= 1, host_addr of the destination's
 * family, no two forwards catching the same packets). Pure. 0 or -EINVAL.
 */
int nsnet_nat_check_spec(const struct nsnet_nat_spec *spec, struct nsnet_err *err);
/*
 * Check that the kernel has what the table needs (nf_tables, nat chains, ct,
 * fib, dnat, masquerade), each in a transaction that creates and deletes a
 * scratch table "nsnet-probe-<pid>" (nothing else is touched). 0, or -errno
 * with a message naming the missing feature. apply/delete call it on a
 * failure that looks like a missing module, to say which.
 */
int nsnet_nat_probe(struct nsnet_err *err);
/*
 * Set net.ipv4.conf.<bridge>.route_localnet (on: "1", else "0") in the
 * caller's namespace, storing the previous value in @old (may be NULL).
 * Needed for forwards to be reached from the host on 127.0.0.1: the rules
 * DNAT 127.0.0.1:port to the node and masquerade the 127/8 source to the
 * bridge address, but the kernel refuses to route 127/8 to or from a
 * device without route_localnet. Separate from apply because a sysctl is
 * not part of the nftables transaction and belongs to the bridge's life
 * (set after the bridge exists; restore @old when sharing a bridge).
 */
int nsnet_nat_localnet(const char *bridge, int on, char *old, size_t oldlen,
		       struct nsnet_err *err);
/*
 * Read-only diagnosis: base chains on the forward hook with policy drop in
 * other ip/ip6/inet tables (e.g. Docker's "ip filter FORWARD"). Our accept
 * cannot override their drop (every base chain of a hook sees the packet and
 * any drop is final), so a front end may warn. Returns how many, names in
 * @buf ("ip filter FORWARD, ..."); <0 on error. Legacy (x_tables) iptables
 * rules are invisible here.
 */
int nsnet_nat_forward_blockers(const char *table, char *buf, size_t len,
			       struct nsnet_err *err);

#endif
