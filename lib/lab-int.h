/* SPDX-License-Identifier: MIT */
/* Internal helpers shared by lab.c, lab-yaml.c, check.c and topo.c. Not installed. */
#ifndef NSNET_LAB_INT_H
#define NSNET_LAB_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "nsnet/lab.h"

#define NSNET_LAB_MAX_SIZE	(4u << 20)	/* bytes of YAML */
#define NSNET_LAB_MAX_DEPTH	64		/* nesting of YAML collections */
#define NSNET_LAB_MAX_NODES	(1u << 20)	/* YAML nodes (scalars + collections) */
#define NSNET_LAB_NAME_MAX	32
#define NSNET_NODE_NAME_MAX	64
#define NSNET_MTU_MIN		68
#define NSNET_MTU_MAX		65535
/*
 * Ports a Linux bridge holds: BR_MAX_PORTS (1024) port numbers, 0 reserved.
 * NSNET_BRIDGE_PORT_MAX (2..1023) lowers it, a test knob: small labs then
 * meet the limit (validate's refusal, the fabric of a generated star).
 */
#define NSNET_BRIDGE_PORTS	1023
int nsnet__bridge_port_max(void);

/* "FILE:LINE:COL: " + formatted text into err->msg; returns -EINVAL. */
int nsnet__lab_err(struct nsnet_err *err, const char *file, const struct nsnet_loc *loc,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Name rules. Return 1 if valid. */
int nsnet__lab_name_ok(const char *s);		/* [A-Za-z0-9_-], 1..32 */
int nsnet__node_name_ok(const char *s);		/* [A-Za-z0-9_.-], 1..64, not "."/".." */
int nsnet__prefix_ok(const char *s);		/* [A-Za-z0-9_.-], 0..255 */

/* "aa:bb:cc:dd:ee:ff" -> 0 or -EINVAL. */
int nsnet__mac_parse(const char *s, uint8_t mac[6]);

/* Printable, quoted, truncated form of @s (len bytes) for messages. */
const char *nsnet__quote(const char *s, size_t len, char *buf, size_t size);

/* FNV-1a over a sequence of NUL-separated strings (terminated by NULL). */
uint32_t nsnet__hash_strs(const char *first, ...);

/* A small open-addressing hash map: byte-string key -> long. Keys are copied. */
struct nsnet__map {
	struct nsnet__map_ent {
		char *key;
		size_t klen;
		uint64_t h;
		long val;
	} *v;
	size_t cap, n;
};

/*
 * Insert @key -> @val. Returns 0 if inserted, 1 if the key was present (its
 * value stored in *old, if given, and left unchanged), -ENOMEM.
 */
int nsnet__map_put(struct nsnet__map *m, const void *key, size_t klen, long val, long *old);
/* 1 and *val if present, else 0. */
int nsnet__map_get(const struct nsnet__map *m, const void *key, size_t klen, long *val);
void nsnet__map_free(struct nsnet__map *m);

/* Grow *v (element size @size) to hold at least @need elements. 0 or -ENOMEM. */
int nsnet__grow(void *v, size_t *cap, size_t need, size_t size);

void nsnet__lab_iface_clear(struct nsnet_lab_iface *f);

/* Multi-host part of the checker (lib/lab-hosts.c); sets lab->local = -1. */
int nsnet__lab_check_hosts(struct nsnet_lab *lab, struct nsnet_err *err);

/* lib/node.c: a node's own files and /run (see there). */
struct nsnet_lab_node;
int nsnet__node_prepare(const char *lab, const struct nsnet_lab_node *n, struct nsnet_err *err);
void nsnet__node_dirs_remove(const char *lab);
void nsnet__node_files_from_store(struct nsnet_lab *lab);
int nsnet__files_same(const struct nsnet_lab_node *a, const struct nsnet_lab_node *b);

#endif
