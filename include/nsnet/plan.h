/* SPDX-License-Identifier: MIT */
#ifndef NSNET_PLAN_H
#define NSNET_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "nsnet/lab.h"

/*
 * The plan stage (file -> parse -> check -> plan -> apply -> state): a pure
 * function from the recorded lab (what is up, as its journal and saved source
 * say) and the desired lab (a checked model) to an ordered list of operations.
 * `up` of a new lab is the plan from nothing; `up` of a running lab applies
 * only the plan (a converge); `down` is the plan to nothing; `nsnet diff`
 * prints it. Objects are matched by identity (bridge and node by name,
 * namespace name for nodes, a cable by its two ends and the bridges it joins);
 * what differs in place is modified, what the kernel cannot change in place is
 * deleted and recreated — that object alone.
 */

enum nsnet_op_verb {
	NSNET_OP_DEL = 0,
	NSNET_OP_MOD,
	NSNET_OP_ADD,
};

enum nsnet_op_obj {
	NSNET_OBJ_CMD = 0,	/* a node command (process) */
	NSNET_OBJ_NAT,		/* the lab's nftables table (masquerade + file forwards) */
	NSNET_OBJ_ROUTE,	/* a node route */
	NSNET_OBJ_ADDR,		/* an address of a node interface */
	NSNET_OBJ_BRADDR,	/* an address of the host on a lab bridge */
	NSNET_OBJ_WIRE,		/* a veth cable: node<->bridge, node<->node, bridge<->bridge */
	NSNET_OBJ_NODE,		/* a node: its named network namespace */
	NSNET_OBJ_BRIDGE,	/* a lab bridge on the host */
	NSNET_OBJ_SYSCTL,	/* a node sysctl (DEL: restore the value found before) */
	NSNET_OBJ_IMPAIR,	/* the traffic-control qdisc of a cable end */
};

/* What a MOD changes (bits). */
#define NSNET_MOD_MTU0	0x01u	/* wire end 0 / bridge MTU */
#define NSNET_MOD_MTU1	0x02u	/* wire end 1 */
#define NSNET_MOD_MAC0	0x04u
#define NSNET_MOD_MAC1	0x08u

/* A veth cable of a lab, derived from the model (see nsnet_lab_wires). */
enum nsnet_wire_kind {
	NSNET_WIRE_BRIDGE = 0,	/* end 0 a node interface, end 1 a host veth on a bridge */
	NSNET_WIRE_CABLE,	/* both ends node interfaces (links[]) */
	NSNET_WIRE_BRBR,	/* both ends host veths, each on a bridge (links[]) */
	NSNET_WIRE_VXNODE,	/* multi-host: end 0 a node interface that is a VXLAN device
				   to the host of the cable's other end (end 1: remote) */
	NSNET_WIRE_VXBR,	/* multi-host: end 0 a host VXLAN port of a spanning bridge,
				   FDB entries to the other hosts with an instance of it */
};

struct nsnet_wire {
	enum nsnet_wire_kind kind;
	int node[2], iface[2];	/* node ends: indices; -1 for host ends */
	int bridge[2];		/* host ends: the bridge it is a port of; -1 for node ends */
	const char *host[2];	/* host ends: host link name; NULL for node ends */
	int mtu[2];		/* 0: default */
	const uint8_t *mac[2];	/* NULL: kernel's choice */
	int link;		/* links[] index, -1 if from an interface's "bridge:" */
	char *key;		/* identity */
	/* VXLAN wires */
	uint32_t vni;
	uint64_t peers;		/* hosts at the other end(s), a bit per host */
	int rnode, riface;	/* VXNODE: the remote node's end (for messages) */
	char vxname[16];	/* VXBR: the host device's name */
};

struct nsnet_op {
	uint8_t verb;		/* enum nsnet_op_verb */
	uint8_t obj;		/* enum nsnet_op_obj */
	uint8_t stage;		/* execution order */
	uint8_t tolerant;	/* rollback/recovery: absent/existing object is not an error */
	uint8_t implicit;	/* happens with another op (an address going with its
				   cable): not executed, not printed, kept for the inverse */
	uint8_t readd;		/* ADD of an object unchanged in the file that the kernel
				   dropped with another (a route via a recreated cable) */
	uint32_t mod;		/* MOD: NSNET_MOD_* */
	/*
	 * Indices into the lab the op is about: ADD and MOD into the desired lab
	 * ("to"), DEL into the recorded one ("from"). a: bridge, node or wire;
	 * b: interface; c: address, route, sysctl or command. For a MOD, fa is
	 * the same object's index in "from" (for printing old values).
	 */
	int a, b, c;
	int fa;
};

struct nsnet_plan {
	const struct nsnet_lab *from, *to;	/* either may be NULL (nothing) */
	struct nsnet_wire *fw, *tw;		/* wires of from / to */
	size_t nfw, ntw;
	struct nsnet_op *ops;
	size_t n, cap;
};

/* The cables of a checked lab, in creation order. Pure. */
int nsnet_lab_wires(const struct nsnet_lab *lab, struct nsnet_wire **v, size_t *n);
void nsnet_wires_free(struct nsnet_wire *v, size_t n);

/*
 * Plan from @from (recorded; NULL: nothing is up) to @to (desired, checked;
 * NULL: nothing). @gone, if given, marks nodes of @from whose namespace is
 * missing on the system (they are recreated with everything in them). Pure.
 */
int nsnet_plan_make(const struct nsnet_lab *from, const struct nsnet_lab *to,
		    const uint8_t *gone, struct nsnet_plan **out, struct nsnet_err *err);

/*
 * The plan that undoes @p (from its "to" back to its "from"), every operation
 * tolerant: it brings back the recorded state whatever part of @p ran (a
 * kernel refusal midway, or a crash). Pure.
 */
int nsnet_plan_inverse(const struct nsnet_plan *p, struct nsnet_plan **out,
		       struct nsnet_err *err);

void nsnet_plan_free(struct nsnet_plan *p);

/* One operation as a line: "+ node red", "- wire red:eth1 -- blue:eth1", "~ …". */
const char *nsnet_plan_fmt(const struct nsnet_plan *p, size_t i, char *buf, size_t len);
/* One operation as a JSON object (no newline); with @len >= 2048 always whole (long
 * names are cut, at a character boundary). */
const char *nsnet_plan_fmt_json(const struct nsnet_plan *p, size_t i, char *buf, size_t len);

/* The impairment the lab file gives wire @w (nsnet-lab(5) impair:), NULL: none. */
struct nsnet_impair;
const struct nsnet_impair *nsnet_wire_impair(const struct nsnet_lab *lab,
					     const struct nsnet_wire *w);

/* Node and wire end as "node:if" / "bridge/hostlink" text. */
const char *nsnet_wire_end_fmt(const struct nsnet_lab *lab, const struct nsnet_wire *w, int e,
			       char *buf, size_t len);

#endif
