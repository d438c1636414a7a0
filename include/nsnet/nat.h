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

/* Pure: the nft script that (re)creates the table with exactly this content. */
int nsnet_nat_render(const struct nsnet_nat_spec *spec, char **out, struct nsnet_err *err);
/* One transaction: create or replace the table's content. */
int nsnet_nat_apply(const struct nsnet_nat_spec *spec, struct nsnet_err *err);
/* Delete the table; 0 if it did not exist. */
int nsnet_nat_delete(const char *table, struct nsnet_err *err);
/* 1 if table "inet <table>" exists, 0 if not, <0 on error. */
int nsnet_nat_exists(const char *table, struct nsnet_err *err);

#endif
