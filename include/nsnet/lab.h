/* SPDX-License-Identifier: MIT */
#ifndef NSNET_LAB_H
#define NSNET_LAB_H

#include <stddef.h>
#include <stdint.h>

#include "nsnet/addr.h"
#include "nsnet/err.h"
#include "nsnet/impair.h"
#include "nsnet/route.h"

/*
 * The lab model: what a lab file (nsnet-lab(5)) describes. Produced by the
 * pure parser (nsnet_lab_parse), the topology generator (nsnet_lab_topo) or
 * the built-in seed lab (nsnet_lab_seed); completed and validated by the pure
 * checker (nsnet_lab_check); turned into kernel objects by apply.c. All
 * strings are owned by the lab and freed by nsnet_lab_free().
 */

struct nsnet_loc {
	int line, col;		/* 1-based; 0 if unknown (generated labs) */
};

struct nsnet_lab_addr {
	struct nsnet_prefix p;
	int is_auto;		/* "auto": filled by the checker from the bridge subnet */
	struct nsnet_loc loc;
};

/* A file of a node (files:): written under the lab's state, shown at @path in the node. */
struct nsnet_lab_file {
	char *path;			/* absolute, normalised (no "..", ".", "//") */
	char *content;			/* NULL until loaded when given as { file: SRC } */
	size_t len;
	char *src;			/* { file: SRC }: relative to the lab file's directory */
	struct nsnet_loc loc;
};

struct nsnet_lab_bridge {
	char *name;			/* host interface name, <= 15 bytes */
	struct nsnet_lab_addr *addrs;	/* the host's addresses on the bridge */
	size_t naddrs;
	struct nsnet_prefix subnet;	/* for automatic addressing; family 0 if none */
	struct nsnet_prefix subnet6;
	int mtu;			/* 0: default */
	struct nsnet_loc loc;
	/* multi-host labs (hosts:) */
	char *host;			/* "host:" as written, NULL: the first host */
	int host_idx;			/* home host (its addresses live there); -1 no hosts */
	uint32_t vni;			/* "vni:" or derived, when the bridge spans hosts */
	int spans;			/* 1 if it has ports on more than one host */
	uint64_t on_hosts;		/* bit per host with an instance of it (< 64 hosts) */
};

enum nsnet_iface_kind {
	NSNET_IFACE_UNSET = 0,
	NSNET_IFACE_BRIDGE,		/* veth to a lab bridge */
	NSNET_IFACE_LINK,		/* end of a node<->node cable (links[link]) */
};

struct nsnet_lab_iface {
	char *name;			/* inside the node, e.g. "eth0" */
	char *bridge;			/* "bridge:" key, NULL if none */
	struct nsnet_lab_addr *addrs;
	size_t naddrs;
	int mtu;
	uint8_t mac[6];
	int has_mac;
	char *host_name;		/* host-side veth name ("host_name:" or set by the checker) */
	int capture;			/* "capture: true": up captures it to a file (capture.h) */
	struct nsnet_impair impair;	/* "impair:": the whole cable, both directions */
	struct nsnet_loc impair_loc;	/* of the "impair" key */
	/* filled by the checker */
	enum nsnet_iface_kind kind;
	int bridge_idx;			/* NSNET_IFACE_BRIDGE */
	int link_idx;			/* NSNET_IFACE_LINK */
	struct nsnet_loc loc;
};

struct nsnet_lab_route {
	char *text;			/* as written, e.g. "default via 192.168.15.5" */
	struct nsnet_route r;		/* parsed */
	struct nsnet_loc loc;
};

struct nsnet_lab_kv {
	char *key, *value;
	struct nsnet_loc loc;
};

struct nsnet_lab_node {
	char *name;
	char *ns;			/* namespace name: prefix + name (set by the checker) */
	struct nsnet_lab_iface *ifaces;
	size_t nifaces;
	struct nsnet_lab_route *routes;
	size_t nroutes;
	struct nsnet_lab_kv *sysctls;
	size_t nsysctls;
	struct nsnet_lab_file *files;	/* "files:": path -> content, seen inside the node only */
	size_t nfiles;
	char **cmds;			/* shell commands started (in the background) after up */
	struct nsnet_loc *cmd_locs;
	size_t ncmds;
	struct nsnet_loc loc;
	char *host;			/* "host:" as written (multi-host labs) */
	int host_idx;			/* -1: no hosts */
};

/* One end of a cable: "node:iface" or "bridge". */
struct nsnet_lab_end {
	char *text;			/* as written */
	/* filled by the checker */
	int node_idx;			/* -1 if a bridge */
	int iface_idx;			/* index in node's ifaces (added if not declared) */
	int bridge_idx;			/* -1 if a node */
};

struct nsnet_lab_link {
	struct nsnet_lab_end end[2];
	int mtu;
	char *host_name[2];		/* host-side veth names when an end is a bridge */
	struct nsnet_impair impair;	/* "impair:": the whole cable, both directions */
	struct nsnet_loc impair_loc;
	struct nsnet_loc loc;
	uint32_t vni;			/* node<->node cable across hosts: "vni:" or derived */
	int spans;			/* its two nodes are on different hosts */
};

/* A machine of a multi-host lab: its underlay address, interface and MTU. */
struct nsnet_lab_host {
	char *name;
	struct nsnet_prefix addr;	/* underlay address (no prefix length) */
	char *dev;			/* underlay interface, NULL: any (routing decides) */
	int mtu;			/* underlay MTU; 0: 1500 */
	struct nsnet_loc loc;
};

struct nsnet_lab_forward {
	uint16_t port;			/* host port (first of the range) */
	uint16_t to_port;		/* node port */
	uint16_t count;			/* range length, >= 1 */
	int proto;			/* IPPROTO_TCP / IPPROTO_UDP */
	char *to;			/* "node:port" as written */
	char *node;			/* node name */
	struct nsnet_prefix host_addr;	/* family 0: any host address */
	/* filled by the checker */
	int node_idx;
	struct nsnet_prefix to_addr;	/* the node address traffic is sent to */
	struct nsnet_loc loc;
};

struct nsnet_lab_nat {
	struct nsnet_lab_addr *masq;	/* subnets to masquerade */
	size_t nmasq;
	struct nsnet_lab_forward *fwd;
	size_t nfwd;
	struct nsnet_loc loc;
};

struct nsnet_lab {
	char *name;			/* lab name: [A-Za-z0-9_-], 1..32 bytes */
	char *prefix;			/* namespace-name prefix, "" if none */
	char *file;			/* source file name for messages, "<builtin>" etc. */
	struct nsnet_lab_bridge *bridges;
	size_t nbridges;
	struct nsnet_lab_node *nodes;
	size_t nnodes;
	struct nsnet_lab_link *links;
	size_t nlinks;
	struct nsnet_lab_nat nat;
	/* multi-host labs: nothing changes without hosts: */
	struct nsnet_lab_host *hosts;
	size_t nhosts;
	uint16_t vxlan_port;		/* "vxlan_port:", 0: 4789 */
	struct nsnet_loc hosts_loc;
	int local;			/* the host this machine brings up (-1: all; see
					   nsnet_lab_set_host) */
};

/* UDP port of a lab's VXLAN segments. */
#define NSNET_VXLAN_PORT 4789

/*
 * Choose the part of a multi-host lab this machine brings up: host @name, or
 * with NULL the host whose underlay address is an address of this machine
 * (network namespace). A lab without hosts: needs nothing (returns 0).
 * -EINVAL/-ENOENT with the reason in @err.
 */
int nsnet_lab_set_host(struct nsnet_lab *lab, const char *name, struct nsnet_err *err);
/* 1 if node @i / bridge @b of @lab is (has an instance) on the local host. */
int nsnet_lab_node_local(const struct nsnet_lab *lab, size_t i);
int nsnet_lab_bridge_local(const struct nsnet_lab *lab, size_t b);

/*
 * Parse a lab file (YAML). Pure: no system access. On error returns -EINVAL
 * and @err names "FILE:LINE:COL: FIELD: reason". Unknown keys are errors.
 */
int nsnet_lab_parse(const char *buf, size_t len, const char *filename, struct nsnet_lab **out,
		    struct nsnet_err *err);
/* Read and parse a file (not checked: call nsnet_lab_check()). */
int nsnet_lab_load(const char *path, struct nsnet_lab **out, struct nsnet_err *err);
/* The built-in seed lab (the tutorials' network), same as examples/seed.yaml. */
int nsnet_lab_seed(struct nsnet_lab **out, struct nsnet_err *err);
extern const char nsnet_seed_yaml[];
/* Generated topology: "star,N", "linear,N", "tree,DEPTH,FANOUT". */
int nsnet_lab_topo(const char *spec, struct nsnet_lab **out, struct nsnet_err *err);

/*
 * Validate and complete a parsed lab (pure): names, references, CIDRs,
 * duplicates, automatic addresses, host-side names, namespace names, NAT
 * targets. On error -EINVAL with "FILE:LINE:COL: FIELD: reason" in @err.
 */
int nsnet_lab_check(struct nsnet_lab *lab, struct nsnet_err *err);

/* Free a lab and everything in it. NULL-safe. */
void nsnet_lab_free(struct nsnet_lab *lab);

/* Format "FILE:LINE:COL" of @loc into buf. */
/*
 * Enter node @n of running lab @lab as every process nsnet starts in a node
 * does (call in a child about to exec): `ip netns exec` semantics
 * (nsnet_netns_switch), a private /run (the node's directory in the lab's
 * state, nsnet's own directories under /run bound back in) and the node's
 * files: shown at their paths (read-only overlays). 0 or -errno.
 */
int nsnet_node_enter(const char *lab, const struct nsnet_lab_node *n, struct nsnet_err *err);

/*
 * Read the files given as { file: SRC } in the lab file (files:), SRC
 * relative to @dir (the lab file's directory) unless absolute. Errors name
 * the lab-file location. 0 or -errno.
 */
int nsnet_lab_files_load(struct nsnet_lab *lab, const char *dir, struct nsnet_err *err);

/* A node command (exec:) of a running lab, as status shows it. */
struct nsnet_node_cmd {
	const char *node, *cmd;		/* into the lab passed in */
	int local;			/* on this host (multi-host labs) */
	int pid;			/* the command's keeper; 0: never started here */
	unsigned long long start;
	int running;
	int exited, status;		/* exited by itself with status */
	int signal;			/* ended by this signal */
	int claimed;			/* internal */
};

/* The commands of running lab @lab (its saved version) with their state. *v: free(). */
int nsnet_lab_node_cmds(const struct nsnet_lab *lab, struct nsnet_node_cmd **v, size_t *n,
			struct nsnet_err *err);

const char *nsnet_lab_where(const struct nsnet_lab *lab, const struct nsnet_loc *loc, char *buf,
			    size_t len);

#endif
