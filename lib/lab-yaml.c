// SPDX-License-Identifier: MIT
/*
 * Lab files (nsnet-lab(5)): YAML -> struct nsnet_lab. Pure: no system access.
 *
 * libyaml's event parser builds a small tree of our own (bounded in size and
 * depth, no aliases, one document), which is then walked against the schema.
 * Every error is -EINVAL with "FILE:LINE:COL: FIELD: reason".
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "nsnet/lab.h"
#include "nsnet/route.h"
#include "lab-int.h"

enum { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
	int type;
	int plain;			/* scalar written without quotes */
	struct nsnet_loc loc;
	char *val;			/* scalar text, NUL-terminated */
	size_t len;
	struct ynode **kid;		/* list items; mapping: key, value, key, value, ... */
	size_t nkid, cap;
};

struct yctx {
	const char *file;
	struct nsnet_err *err;
	size_t nnodes;
};

#define PATH_LEN 256

static void ynode_free(struct ynode *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->nkid; i++)
		ynode_free(n->kid[i]);
	free(n->kid);
	free(n->val);
	free(n);
}

static int nomem(struct yctx *c)
{
	return nsnet_err_set(c->err, -ENOMEM, "%s: out of memory", c->file);
}

static int perr(struct yctx *c, const struct ynode *n, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int perr(struct yctx *c, const struct ynode *n, const char *path, const char *fmt, ...)
{
	char why[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (path && *path)
		return nsnet__lab_err(c->err, c->file, n ? &n->loc : NULL, "%s: %s", path, why);
	return nsnet__lab_err(c->err, c->file, n ? &n->loc : NULL, "%s", why);
}

/* Line and column (1-based) of byte @off. */
static struct nsnet_loc offset_loc(const char *buf, size_t len, size_t off)
{
	struct nsnet_loc l = { 1, 1 };
	size_t i;

	for (i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			l.line++;
			l.col = 1;
		} else {
			l.col++;
		}
	}
	return l;
}

static int syntax_err(struct yctx *c, yaml_parser_t *p, const char *buf, size_t len)
{
	struct nsnet_loc l = { (int)p->problem_mark.line + 1, (int)p->problem_mark.column + 1 };
	const char *problem = p->problem ? p->problem : "unknown problem";

	if (p->error == YAML_MEMORY_ERROR)
		return nomem(c);
	if (p->error == YAML_READER_ERROR) {
		l = offset_loc(buf, len, p->problem_offset);
		return nsnet__lab_err(c->err, c->file, &l, "YAML: %s (byte 0x%02x)", problem,
				      (unsigned)p->problem_value & 0xff);
	}
	if (p->context)
		return nsnet__lab_err(c->err, c->file, &l, "YAML: %s %s at line %zu column %zu",
				      problem, p->context, p->context_mark.line + 1,
				      p->context_mark.column + 1);
	return nsnet__lab_err(c->err, c->file, &l, "YAML: %s", problem);
}

static int attach(struct yctx *c, struct ynode **root, struct ynode *parent, struct ynode *n)
{
	if (!parent) {
		*root = n;
		return 0;
	}
	if (nsnet__grow(&parent->kid, &parent->cap, parent->nkid + 1, sizeof(*parent->kid)) < 0) {
		ynode_free(n);
		return nomem(c);
	}
	parent->kid[parent->nkid++] = n;
	if (parent->type == Y_MAP && parent->nkid % 2 == 1 && n->type != Y_SCALAR)
		return perr(c, n, NULL, "mapping keys must be plain strings");
	return 0;
}

/* Events -> tree. */
static int build(struct yctx *c, const char *buf, size_t len, struct ynode **root)
{
	struct ynode *stack[NSNET_LAB_MAX_DEPTH], *n;
	yaml_parser_t p;
	yaml_event_t ev;
	int depth = 0, docs = 0, done = 0, ret = 0;

	*root = NULL;
	if (!yaml_parser_initialize(&p))
		return nomem(c);
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
	while (!done && !ret) {
		struct nsnet_loc l;

		if (!yaml_parser_parse(&p, &ev)) {
			ret = syntax_err(c, &p, buf, len);
			break;
		}
		l.line = (int)ev.start_mark.line + 1;
		l.col = (int)ev.start_mark.column + 1;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (docs++)
				ret = nsnet__lab_err(c->err, c->file, &l,
						     "only one YAML document is allowed");
			break;
		case YAML_ALIAS_EVENT:
			ret = nsnet__lab_err(c->err, c->file, &l,
					     "YAML aliases (*name) are not supported");
			break;
		case YAML_SCALAR_EVENT:
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++c->nnodes > NSNET_LAB_MAX_NODES) {
				ret = nsnet__lab_err(c->err, c->file, &l,
						     "document too large (more than %u values)",
						     NSNET_LAB_MAX_NODES);
				break;
			}
			n = calloc(1, sizeof(*n));
			if (!n) {
				ret = nomem(c);
				break;
			}
			n->loc = l;
			if (ev.type == YAML_SCALAR_EVENT) {
				n->type = Y_SCALAR;
				n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
				n->len = ev.data.scalar.length;
				n->val = malloc(n->len + 1);
				if (!n->val) {
					free(n);
					ret = nomem(c);
					break;
				}
				memcpy(n->val, ev.data.scalar.value, n->len);
				n->val[n->len] = '\0';
			} else {
				n->type = ev.type == YAML_SEQUENCE_START_EVENT ? Y_SEQ : Y_MAP;
			}
			ret = attach(c, root, depth ? stack[depth - 1] : NULL, n);
			if (ret)
				break;
			if (n->type == Y_SCALAR && memchr(n->val, '\0', n->len)) {
				ret = perr(c, n, NULL, "NUL byte in a string");
				break;
			}
			if (n->type != Y_SCALAR) {
				if (depth == NSNET_LAB_MAX_DEPTH) {
					ret = nsnet__lab_err(c->err, c->file, &l,
							     "nested deeper than %d levels",
							     NSNET_LAB_MAX_DEPTH);
					break;
				}
				stack[depth++] = n;
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth)
				depth--;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return ret;
}

/* ---- schema walk ---- */

static int is_null(const struct ynode *n)
{
	return n->type == Y_SCALAR && n->plain &&
	       (!n->len || !strcmp(n->val, "~") || !strcmp(n->val, "null") ||
		!strcmp(n->val, "Null") || !strcmp(n->val, "NULL"));
}

static const char *kind(const struct ynode *n)
{
	if (is_null(n))
		return "nothing (null)";
	switch (n->type) {
	case Y_SEQ:
		return "a list";
	case Y_MAP:
		return "a mapping";
	default:
		return "a string";
	}
}

static int expect(struct yctx *c, const struct ynode *n, int type, const char *path)
{
	static const char *const names[] = { "a string", "a list", "a mapping" };

	if (n->type == type && !(type == Y_SCALAR && is_null(n)))
		return 0;
	return perr(c, n, path, "expected %s, got %s", names[type], kind(n));
}

static int simple(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return 0;
	return n >= 1 && n <= 64 && strcmp(s - n, ".") && strcmp(s - n, "..");
}

static void pathf(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void pathf(char *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, PATH_LEN, fmt, ap);
	va_end(ap);
}

/* "PATH.KEY" (KEY quoted unless simple) */
static void subpath(char *out, const char *path, const struct ynode *k)
{
	char q[100];

	if (simple(k->val))
		pathf(out, "%s%s%s", path, *path ? "." : "", k->val);
	else
		pathf(out, "%s%s%s", path, *path ? "." : "",
		      nsnet__quote(k->val, k->len, q, sizeof(q)));
}

static void itempath(char *out, const char *path, size_t i)
{
	pathf(out, "%s[%zu]", path, i);
}

/* A mapping with a fixed set of keys: unknown and duplicate keys are errors. */
static int check_keys(struct yctx *c, const struct ynode *m, const char *path,
		      const char *const *allowed)
{
	unsigned long seen = 0;
	char q[100], list[200];
	size_t i, j, o;

	for (i = 0; i < m->nkid; i += 2) {
		const struct ynode *k = m->kid[i];

		for (j = 0; allowed[j]; j++)
			if (!strcmp(k->val, allowed[j]))
				break;
		if (!allowed[j]) {
			for (o = 0, j = 0; allowed[j] && o < sizeof(list); j++)
				o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
						      j ? ", " : "", allowed[j]);
			return perr(c, k, path, "unknown key %s (expected one of: %s)",
				    nsnet__quote(k->val, k->len, q, sizeof(q)), list);
		}
		if (seen & (1ul << j))
			return perr(c, k, path, "duplicate key %s",
				    nsnet__quote(k->val, k->len, q, sizeof(q)));
		seen |= 1ul << j;
	}
	return 0;
}

static const struct ynode *lookup(const struct ynode *m, const char *key)
{
	size_t i;

	for (i = 0; i < m->nkid; i += 2)
		if (!strcmp(m->kid[i]->val, key))
			return m->kid[i + 1];
	return NULL;
}

/* A mapping of user-chosen names: duplicate keys are errors. */
static int check_names(struct yctx *c, const struct ynode *m, const char *path)
{
	struct nsnet__map seen = { 0 };
	char q[100];
	long first;
	size_t i;
	int ret = 0, r;

	for (i = 0; i < m->nkid && !ret; i += 2) {
		const struct ynode *k = m->kid[i];

		r = nsnet__map_put(&seen, k->val, k->len, (long)i, &first);
		if (r < 0)
			ret = nomem(c);
		else if (r)
			ret = perr(c, k, path, "duplicate key %s (first at line %d column %d)",
				   nsnet__quote(k->val, k->len, q, sizeof(q)),
				   m->kid[first]->loc.line, m->kid[first]->loc.col);
	}
	nsnet__map_free(&seen);
	return ret;
}

static int get_str(struct yctx *c, const struct ynode *n, const char *path, char **out)
{
	int ret = expect(c, n, Y_SCALAR, path);

	if (ret)
		return ret;
	*out = strdup(n->val);
	return *out ? 0 : nomem(c);
}

static int get_bool(struct yctx *c, const struct ynode *n, const char *path, int *out)
{
	char q[100];

	if (n->type == Y_SCALAR && n->plain && (!strcmp(n->val, "true") || !strcmp(n->val, "false"))) {
		*out = n->val[0] == 't';
		return 0;
	}
	if (n->type != Y_SCALAR)
		return perr(c, n, path, "expected true or false, got %s", kind(n));
	return perr(c, n, path, "expected true or false, got %s",
		    nsnet__quote(n->val, n->len, q, sizeof(q)));
}

static int get_int(struct yctx *c, const struct ynode *n, const char *path, long min, long max,
		   long *out)
{
	char q[100];
	size_t i;
	long v = 0;

	if (n->type != Y_SCALAR || is_null(n))
		return perr(c, n, path, "expected an integer, got %s", kind(n));
	for (i = 0; i < n->len; i++)
		if (n->val[i] < '0' || n->val[i] > '9')
			break;
	if (!n->plain || !n->len || i < n->len)
		return perr(c, n, path, "expected an integer, got %s",
			    nsnet__quote(n->val, n->len, q, sizeof(q)));
	for (i = 0; i < n->len && v <= max; i++)
		v = v * 10 + (n->val[i] - '0');
	if (v < min || v > max)
		return perr(c, n, path, "%s is out of range (%ld..%ld)",
			    nsnet__quote(n->val, n->len, q, sizeof(q)), min, max);
	*out = v;
	return 0;
}

static int get_cidr(struct yctx *c, const struct ynode *n, const char *path,
		    struct nsnet_prefix *p)
{
	struct nsnet_prefix a;
	char q[100], ab[64];
	const char *slash;
	size_t al;
	int ret = expect(c, n, Y_SCALAR, path);

	if (ret)
		return ret;
	if (!nsnet_prefix_parse(n->val, p, 1))
		return 0;
	nsnet__quote(n->val, n->len, q, sizeof(q));
	slash = strchr(n->val, '/');
	al = slash ? (size_t)(slash - n->val) : n->len;
	if (al < sizeof(ab)) {
		memcpy(ab, n->val, al);
		ab[al] = '\0';
		if (!nsnet_ip_parse(ab, &a)) {
			if (!slash)
				return perr(c, n, path, "%s has no prefix length (e.g. %s/%d)", q,
					    ab, a.family == AF_INET ? 24 : 64);
			return perr(c, n, path, "%s: prefix length %s is out of range (0..%d)", q,
				    nsnet__quote(slash + 1, strlen(slash + 1), ab, sizeof(ab)),
				    a.plen);
		}
	}
	return perr(c, n, path, "%s is not an address with prefix length", q);
}

/* A network prefix (no host bits), optionally of one family. */
static int get_net(struct yctx *c, const struct ynode *n, const char *path, int family,
		   struct nsnet_prefix *p)
{
	struct nsnet_prefix net;
	char q[100], b[64];
	int ret = get_cidr(c, n, path, p);

	if (ret)
		return ret;
	if (family && p->family != family)
		return perr(c, n, path, "%s is not an %s prefix",
			    nsnet__quote(n->val, n->len, q, sizeof(q)),
			    family == AF_INET ? "IPv4" : "IPv6");
	nsnet_prefix_network(p, &net);
	if (memcmp(net.addr, p->addr, 16))
		return perr(c, n, path, "%s has host bits set (the network is %s)",
			    nsnet__quote(n->val, n->len, q, sizeof(q)),
			    nsnet_prefix_fmt(&net, 1, b, sizeof(b)));
	return 0;
}

static int get_addrs(struct yctx *c, const struct ynode *n, const char *path, int allow_auto,
		     struct nsnet_lab_addr **out, size_t *nout)
{
	char ip[PATH_LEN];
	size_t i;
	int ret;

	if (is_null(n))
		return 0;
	ret = expect(c, n, Y_SEQ, path);
	if (ret)
		return ret;
	if (!n->nkid)
		return 0;
	*out = calloc(n->nkid, sizeof(**out));
	if (!*out)
		return nomem(c);
	for (i = 0; i < n->nkid; i++) {
		const struct ynode *a = n->kid[i];
		struct nsnet_lab_addr *la = &(*out)[i];

		itempath(ip, path, i);
		la->loc = a->loc;
		*nout = i + 1;
		if (allow_auto && a->type == Y_SCALAR && a->plain &&
		    (!strcmp(a->val, "auto") || !strcmp(a->val, "auto4") ||
		     !strcmp(a->val, "auto6"))) {
			la->is_auto = 1;
			la->p.family = a->val[4] == '4' ? AF_INET : a->val[4] == '6' ? AF_INET6 : 0;
			continue;
		}
		ret = get_cidr(c, a, ip, &la->p);
		if (ret)
			return ret;
	}
	return 0;
}

static int get_mtu(struct yctx *c, const struct ynode *n, const char *path, int *mtu)
{
	long v;
	int ret = get_int(c, n, path, NSNET_MTU_MIN, NSNET_MTU_MAX, &v);

	if (!ret)
		*mtu = (int)v;
	return ret;
}

static int parse_port(struct yctx *c, const struct ynode *n, const char *path, uint16_t *port);

static int get_vni(struct yctx *c, const struct ynode *n, const char *path, uint32_t *vni)
{
	long v;
	int ret = get_int(c, n, path, 1, 16777215, &v);

	if (!ret)
		*vni = (uint32_t)v;
	return ret;
}

/* hosts: { NAME: { address: IP, interface: DEV, mtu: N }, … } */
static int parse_host(struct yctx *c, const struct ynode *k, const struct ynode *v,
		      const char *path, struct nsnet_lab_host *h)
{
	static const char *const keys[] = { "address", "interface", "mtu", NULL };
	char sp[PATH_LEN], q[100];
	size_t i;
	int ret;

	h->loc = k->loc;
	h->name = strdup(k->val);
	if (!h->name)
		return nomem(c);
	ret = expect(c, v, Y_MAP, path);
	if (!ret)
		ret = check_keys(c, v, path, keys);
	if (!ret && !lookup(v, "address"))
		ret = perr(c, v, path, "missing key \"address\" (the host's underlay address)");
	for (i = 0; i < v->nkid && !ret; i += 2) {
		const struct ynode *key = v->kid[i], *val = v->kid[i + 1];

		subpath(sp, path, key);
		if (!strcmp(key->val, "address")) {
			ret = expect(c, val, Y_SCALAR, sp);
			if (!ret && nsnet_ip_parse(val->val, &h->addr) < 0)
				ret = perr(c, val, sp, "%s is not an IPv4 or IPv6 address",
					   nsnet__quote(val->val, val->len, q, sizeof(q)));
		} else if (!strcmp(key->val, "interface")) {
			ret = get_str(c, val, sp, &h->dev);
		} else {
			ret = get_mtu(c, val, sp, &h->mtu);
		}
	}
	return ret;
}

static int parse_hosts(struct yctx *c, const struct ynode *k, const struct ynode *v,
		       const char *path, struct nsnet_lab *lab)
{
	char ip[PATH_LEN];
	size_t j;
	int ret;

	lab->hosts_loc = k->loc;
	ret = expect(c, v, Y_MAP, path);
	if (!ret)
		ret = check_names(c, v, path);
	if (ret || !v->nkid)
		return ret;
	lab->hosts = calloc(v->nkid / 2, sizeof(*lab->hosts));
	if (!lab->hosts)
		return nomem(c);
	for (j = 0; j < v->nkid && !ret; j += 2) {
		subpath(ip, path, v->kid[j]);
		lab->nhosts = j / 2 + 1;
		ret = parse_host(c, v->kid[j], v->kid[j + 1], ip, &lab->hosts[j / 2]);
	}
	return ret;
}

static int parse_bridge(struct yctx *c, const struct ynode *k, const struct ynode *v,
			const char *path, struct nsnet_lab_bridge *b)
{
	static const char *const keys[] = { "addresses", "subnet", "subnet6", "mtu", "host", "vni",
					    NULL };
	char sp[PATH_LEN];
	size_t i;
	int ret;

	b->loc = k->loc;
	b->name = strdup(k->val);
	if (!b->name)
		return nomem(c);
	if (is_null(v))
		return 0;
	ret = expect(c, v, Y_MAP, path);
	if (!ret)
		ret = check_keys(c, v, path, keys);
	for (i = 0; i < v->nkid && !ret; i += 2) {
		const struct ynode *key = v->kid[i], *val = v->kid[i + 1];

		subpath(sp, path, key);
		if (!strcmp(key->val, "addresses"))
			ret = get_addrs(c, val, sp, 0, &b->addrs, &b->naddrs);
		else if (!strcmp(key->val, "subnet"))
			ret = get_net(c, val, sp, AF_INET, &b->subnet);
		else if (!strcmp(key->val, "subnet6"))
			ret = get_net(c, val, sp, AF_INET6, &b->subnet6);
		else if (!strcmp(key->val, "host"))
			ret = get_str(c, val, sp, &b->host);
		else if (!strcmp(key->val, "vni"))
			ret = get_vni(c, val, sp, &b->vni);
		else
			ret = get_mtu(c, val, sp, &b->mtu);
	}
	return ret;
}

/* "impair:" — rate, delay, jitter, loss, duplicate, corrupt, limit (nsnet_impair_parse_field) */
static int parse_impair(struct yctx *c, const struct ynode *k, const struct ynode *v,
			const char *path, struct nsnet_impair *im, struct nsnet_loc *loc)
{
	static const char *const keys[] = { "rate", "delay", "jitter", "loss", "duplicate",
					    "corrupt", "limit", NULL };
	struct nsnet_err e = { 0 };
	char sp[PATH_LEN];
	const char *why;
	size_t i, n;
	int ret;

	*loc = k->loc;
	if (is_null(v))
		return 0;
	ret = expect(c, v, Y_MAP, path);
	if (!ret)
		ret = check_keys(c, v, path, keys);
	for (i = 0; i < v->nkid && !ret; i += 2) {
		const struct ynode *key = v->kid[i], *val = v->kid[i + 1];

		subpath(sp, path, key);
		ret = expect(c, val, Y_SCALAR, sp);
		if (ret)
			break;
		if (nsnet_impair_parse_field(im, key->val, val->val, &e) < 0) {
			/* "rate: why" -> why: the path names the field */
			n = strlen(key->val);
			why = !strncmp(e.msg, key->val, n) && !strncmp(e.msg + n, ": ", 2) ?
			      e.msg + n + 2 : e.msg;
			ret = perr(c, val, sp, "%s", why);
		}
	}
	return ret;
}

static int parse_iface(struct yctx *c, const struct ynode *k, const struct ynode *v,
		       const char *path, struct nsnet_lab_iface *f)
{
	static const char *const keys[] = { "bridge", "addresses", "mtu", "mac", "host_name",
					    "capture", "impair", NULL };
	char sp[PATH_LEN], q[100];
	size_t i;
	int ret;

	f->loc = k->loc;
	f->bridge_idx = -1;
	f->link_idx = -1;
	f->name = strdup(k->val);
	if (!f->name)
		return nomem(c);
	if (is_null(v))
		return 0;
	ret = expect(c, v, Y_MAP, path);
	if (!ret)
		ret = check_keys(c, v, path, keys);
	for (i = 0; i < v->nkid && !ret; i += 2) {
		const struct ynode *key = v->kid[i], *val = v->kid[i + 1];

		subpath(sp, path, key);
		if (!strcmp(key->val, "bridge")) {
			ret = get_str(c, val, sp, &f->bridge);
		} else if (!strcmp(key->val, "addresses")) {
			ret = get_addrs(c, val, sp, 1, &f->addrs, &f->naddrs);
		} else if (!strcmp(key->val, "mtu")) {
			ret = get_mtu(c, val, sp, &f->mtu);
		} else if (!strcmp(key->val, "host_name")) {
			ret = get_str(c, val, sp, &f->host_name);
		} else if (!strcmp(key->val, "capture")) {
			ret = get_bool(c, val, sp, &f->capture);
		} else if (!strcmp(key->val, "impair")) {
			ret = parse_impair(c, key, val, sp, &f->impair, &f->impair_loc);
		} else {
			ret = expect(c, val, Y_SCALAR, sp);
			if (!ret && nsnet__mac_parse(val->val, f->mac) < 0)
				ret = perr(c, val, sp,
					   "%s is not a MAC address (like 02:00:00:00:00:01)",
					   nsnet__quote(val->val, val->len, q, sizeof(q)));
			else if (!ret && (f->mac[0] & 1))
				ret = perr(c, val, sp, "%s is a multicast MAC address",
					   nsnet__quote(val->val, val->len, q, sizeof(q)));
			else if (!ret && !(f->mac[0] | f->mac[1] | f->mac[2] | f->mac[3] |
					   f->mac[4] | f->mac[5]))
				ret = perr(c, val, sp, "the MAC address is all zeros");
			f->has_mac = !ret;
		}
	}
	return ret;
}

static int parse_routes(struct yctx *c, const struct ynode *v, const char *path,
			struct nsnet_lab_node *nd)
{
	struct nsnet_err rerr = { 0 };
	char ip[PATH_LEN];
	size_t i;
	int ret;

	if (is_null(v))
		return 0;
	ret = expect(c, v, Y_SEQ, path);
	if (ret || !v->nkid)
		return ret;
	nd->routes = calloc(v->nkid, sizeof(*nd->routes));
	if (!nd->routes)
		return nomem(c);
	for (i = 0; i < v->nkid && !ret; i++) {
		struct nsnet_lab_route *r = &nd->routes[i];

		itempath(ip, path, i);
		r->loc = v->kid[i]->loc;
		nd->nroutes = i + 1;
		ret = get_str(c, v->kid[i], ip, &r->text);
		if (!ret && nsnet_route_parse_str(r->text, &r->r, &rerr) < 0)
			ret = perr(c, v->kid[i], ip, "%s", rerr.msg);
	}
	return ret;
}

static int parse_sysctls(struct yctx *c, const struct ynode *v, const char *path,
			 struct nsnet_lab_node *nd)
{
	char sp[PATH_LEN];
	size_t i, j;
	int ret;

	if (is_null(v))
		return 0;
	ret = expect(c, v, Y_MAP, path);
	if (!ret)
		ret = check_names(c, v, path);
	if (ret || !v->nkid)
		return ret;
	nd->sysctls = calloc(v->nkid / 2, sizeof(*nd->sysctls));
	if (!nd->sysctls)
		return nomem(c);
	for (i = 0; i < v->nkid && !ret; i += 2) {
		const struct ynode *key = v->kid[i], *val = v->kid[i + 1];
		struct nsnet_lab_kv *kv = &nd->sysctls[i / 2];

		subpath(sp, path, key);
		kv->loc = key->loc;
		nd->nsysctls = i / 2 + 1;
		kv->key = strdup(key->val);
		if (!kv->key)
			return nomem(c);
		if (val->type == Y_SCALAR && val->plain && !strcmp(val->val, "true"))
			kv->value = strdup("1");
		else if (val->type == Y_SCALAR && val->plain && !strcmp(val->val, "false"))
			kv->value = strdup("0");
		else if ((ret = get_str(c, val, sp, &kv->value)))
			return ret;
		if (!kv->value)
			return nomem(c);
		for (j = 0; kv->value[j]; j++)
			if ((unsigned char)kv->value[j] < 0x20 && kv->value[j] != '\t')
				return perr(c, val, sp, "the value contains control characters");
	}
	return ret;
}

static int parse_exec(struct yctx *c, const struct ynode *v, const char *path,
		      struct nsnet_lab_node *nd)
{
	char ip[PATH_LEN];
	size_t i;
	int ret;

	if (is_null(v))
		return 0;
	ret = expect(c, v, Y_SEQ, path);
	if (ret || !v->nkid)
		return ret;
	nd->cmds = calloc(v->nkid, sizeof(*nd->cmds));
	nd->cmd_locs = calloc(v->nkid, sizeof(*nd->cmd_locs));
	if (!nd->cmds || !nd->cmd_locs)
		return nomem(c);
	for (i = 0; i < v->nkid && !ret; i++) {
		itempath(ip, path, i);
		nd->cmd_locs[i] = v->kid[i]->loc;
		nd->ncmds = i + 1;
		ret = get_str(c, v->kid[i], ip, &nd->cmds[i]);
		if (!ret && !*nd->cmds[i])
			ret = perr(c, v->kid[i], ip, "empty command");
	}
	return ret;
}

/* A path of files: absolute, no "." or ".." component, no "//", not in /proc /sys /dev. */
static const char *bad_file_path(const char *p)
{
	static const char *const no[] = { "/proc", "/sys", "/dev", NULL };
	const char *s;
	size_t i;

	if (p[0] != '/' || !p[1])
		return "must be an absolute path of a file";
	if (strlen(p) > 1024)
		return "is longer than 1024 bytes";
	if (p[strlen(p) - 1] == '/')
		return "names a directory (ends in /)";
	for (s = p; *s; s++) {
		if ((unsigned char)*s < 0x20)
			return "contains control characters";
		if (s[0] == '/' && (s[1] == '/' || (s[1] == '.' && (s[2] == '/' || !s[2])) ||
				    (s[1] == '.' && s[2] == '.' && (s[3] == '/' || !s[3]))))
			return "has an empty, . or .. component";
	}
	for (i = 0; no[i]; i++)
		if (!strncmp(p, no[i], strlen(no[i])) && (!p[strlen(no[i])] || p[strlen(no[i])] == '/'))
			return "is under /proc, /sys or /dev (kernel file systems)";
	return NULL;
}

#define FILE_MAX (1u << 20)

static int parse_files(struct yctx *c, const struct ynode *v, const char *path,
		       struct nsnet_lab_node *nd)
{
	char sp[PATH_LEN];
	size_t i, j;
	int ret;

	if (is_null(v))
		return 0;
	ret = expect(c, v, Y_MAP, path);
	if (ret || !v->nkid)
		return ret;
	nd->files = calloc(v->nkid / 2 + 1, sizeof(*nd->files));
	if (!nd->files)
		return nomem(c);
	for (i = 0; i + 1 < v->nkid && !ret; i += 2) {
		const struct ynode *key = v->kid[i], *val = v->kid[i + 1];
		struct nsnet_lab_file *f = &nd->files[nd->nfiles];
		const char *why;

		subpath(sp, path, key);
		why = bad_file_path(key->val);
		if (why)
			return perr(c, key, sp, "%s", why);
		for (j = 0; j < nd->nfiles; j++)
			if (!strcmp(nd->files[j].path, key->val))
				return perr(c, key, sp, "the same file twice");
		f->loc = key->loc;
		f->path = strdup(key->val);
		if (!f->path)
			return nomem(c);
		nd->nfiles++;
		if (val->type == Y_MAP) {	/* { file: SRC }: read by nsnet_lab_files_load() */
			char fp[PATH_LEN];

			if (val->nkid != 2 || strcmp(val->kid[0]->val ? val->kid[0]->val : "", "file"))
				return perr(c, val, sp, "want a string (the content) or { file: PATH }");
			subpath(fp, sp, val->kid[0]);
			ret = get_str(c, val->kid[1], fp, &f->src);
			if (!ret && !*f->src)
				ret = perr(c, val->kid[1], fp, "empty path");
			if (ret)
				return ret;
			continue;
		}
		ret = get_str(c, val, sp, &f->content);
		if (ret)
			return ret;
		f->len = strlen(f->content);
		if (f->len > FILE_MAX)
			return perr(c, val, sp, "more than 1 MiB");
	}
	return ret;
}

static int parse_node(struct yctx *c, const struct ynode *k, const struct ynode *v,
		      const char *path, struct nsnet_lab_node *nd)
{
	static const char *const keys[] = { "interfaces", "routes", "sysctls", "exec", "host",
					    "files", NULL };
	char sp[PATH_LEN], ip[PATH_LEN];
	size_t i, j;
	int ret;

	nd->loc = k->loc;
	nd->name = strdup(k->val);
	if (!nd->name)
		return nomem(c);
	if (is_null(v))
		return 0;
	ret = expect(c, v, Y_MAP, path);
	if (!ret)
		ret = check_keys(c, v, path, keys);
	for (i = 0; i < v->nkid && !ret; i += 2) {
		const struct ynode *key = v->kid[i], *val = v->kid[i + 1];

		subpath(sp, path, key);
		if (!strcmp(key->val, "routes")) {
			ret = parse_routes(c, val, sp, nd);
		} else if (!strcmp(key->val, "sysctls")) {
			ret = parse_sysctls(c, val, sp, nd);
		} else if (!strcmp(key->val, "exec")) {
			ret = parse_exec(c, val, sp, nd);
		} else if (!strcmp(key->val, "files")) {
			ret = parse_files(c, val, sp, nd);
		} else if (!strcmp(key->val, "host")) {
			ret = get_str(c, val, sp, &nd->host);
		} else if (!is_null(val)) {
			ret = expect(c, val, Y_MAP, sp);
			if (!ret)
				ret = check_names(c, val, sp);
			if (ret || !val->nkid)
				continue;
			nd->ifaces = calloc(val->nkid / 2, sizeof(*nd->ifaces));
			if (!nd->ifaces)
				return nomem(c);
			for (j = 0; j < val->nkid && !ret; j += 2) {
				subpath(ip, sp, val->kid[j]);
				nd->nifaces = j / 2 + 1;
				ret = parse_iface(c, val->kid[j], val->kid[j + 1], ip,
						  &nd->ifaces[j / 2]);
			}
		}
	}
	return ret;
}

static int parse_link(struct yctx *c, const struct ynode *v, const char *path,
		      struct nsnet_lab_link *l)
{
	static const char *const keys[] = { "endpoints", "mtu", "vni", "impair", NULL };
	const struct ynode *eps;
	char sp[PATH_LEN], ip[PATH_LEN];
	size_t i;
	int ret;

	l->loc = v->loc;
	l->end[0].node_idx = l->end[1].node_idx = -1;
	l->end[0].iface_idx = l->end[1].iface_idx = -1;
	l->end[0].bridge_idx = l->end[1].bridge_idx = -1;
	ret = expect(c, v, Y_MAP, path);
	if (!ret)
		ret = check_keys(c, v, path, keys);
	if (ret)
		return ret;
	eps = lookup(v, "endpoints");
	if (!eps)
		return perr(c, v, path, "missing key \"endpoints\"");
	for (i = 0; i < v->nkid && !ret; i += 2) {
		const struct ynode *key = v->kid[i], *val = v->kid[i + 1];

		subpath(sp, path, key);
		if (!strcmp(key->val, "mtu"))
			ret = get_mtu(c, val, sp, &l->mtu);
		else if (!strcmp(key->val, "vni"))
			ret = get_vni(c, val, sp, &l->vni);
		else if (!strcmp(key->val, "impair"))
			ret = parse_impair(c, key, val, sp, &l->impair, &l->impair_loc);
		else if (!(ret = expect(c, val, Y_SEQ, sp)) && val->nkid != 2)
			ret = perr(c, val, sp, "expected exactly two endpoints, got %zu",
				   val->nkid);
		else if (!ret)
			for (size_t e = 0; e < 2 && !ret; e++) {
				itempath(ip, sp, e);
				ret = get_str(c, val->kid[e], ip, &l->end[e].text);
			}
	}
	return ret;
}

static int parse_port(struct yctx *c, const struct ynode *n, const char *path, uint16_t *port)
{
	long v;
	int ret = get_int(c, n, path, 1, 65535, &v);

	if (!ret)
		*port = (uint16_t)v;
	return ret;
}

static int parse_forward(struct yctx *c, const struct ynode *v, const char *path,
			 struct nsnet_lab_forward *f)
{
	static const char *const keys[] = { "port", "to", "proto", "host_address", "range",
					    NULL };
	char sp[PATH_LEN], q[100];
	const char *colon;
	size_t i, pl;
	long range = 1, tp = 0;
	int ret;

	f->loc = v->loc;
	f->node_idx = -1;
	f->proto = IPPROTO_TCP;
	f->count = 1;
	ret = expect(c, v, Y_MAP, path);
	if (!ret)
		ret = check_keys(c, v, path, keys);
	if (ret)
		return ret;
	if (!lookup(v, "port"))
		return perr(c, v, path, "missing key \"port\"");
	if (!lookup(v, "to"))
		return perr(c, v, path, "missing key \"to\"");
	for (i = 0; i < v->nkid && !ret; i += 2) {
		const struct ynode *key = v->kid[i], *val = v->kid[i + 1];

		subpath(sp, path, key);
		if (!strcmp(key->val, "port")) {
			ret = parse_port(c, val, sp, &f->port);
		} else if (!strcmp(key->val, "range")) {
			ret = get_int(c, val, sp, 1, 65535, &range);
		} else if (!strcmp(key->val, "proto")) {
			ret = expect(c, val, Y_SCALAR, sp);
			if (!ret && !strcmp(val->val, "tcp"))
				f->proto = IPPROTO_TCP;
			else if (!ret && !strcmp(val->val, "udp"))
				f->proto = IPPROTO_UDP;
			else if (!ret)
				ret = perr(c, val, sp, "unknown protocol %s (expected tcp or udp)",
					   nsnet__quote(val->val, val->len, q, sizeof(q)));
		} else if (!strcmp(key->val, "host_address")) {
			ret = expect(c, val, Y_SCALAR, sp);
			if (!ret && (nsnet_ip_parse(val->val, &f->host_addr) < 0 ||
				     f->host_addr.family != AF_INET))
				ret = perr(c, val, sp, "%s is not an IPv4 address",
					   nsnet__quote(val->val, val->len, q, sizeof(q)));
		} else {
			ret = get_str(c, val, sp, &f->to);
			if (ret)
				break;
			colon = strrchr(f->to, ':');
			pl = colon ? strlen(colon + 1) : 0;
			if (!colon || colon == f->to || !pl || pl > 5 ||
			    strspn(colon + 1, "0123456789") != pl ||
			    (tp = strtol(colon + 1, NULL, 10)) < 1 || tp > 65535) {
				ret = perr(c, val, sp, "%s is not NODE:PORT (port 1..65535)",
					   nsnet__quote(val->val, val->len, q, sizeof(q)));
				break;
			}
			f->to_port = (uint16_t)tp;
			f->node = strndup(f->to, (size_t)(colon - f->to));
			if (!f->node)
				ret = nomem(c);
		}
	}
	if (ret)
		return ret;
	f->count = (uint16_t)range;
	if (f->port + range - 1 > 65535 || f->to_port + range - 1 > 65535)
		return perr(c, lookup(v, "range") ? lookup(v, "range") : v, path,
			    "ports %u-%ld or %u-%ld go past 65535", f->port, f->port + range - 1,
			    f->to_port, f->to_port + range - 1);
	return 0;
}

static int parse_nat(struct yctx *c, const struct ynode *k, const struct ynode *v,
		     const char *path, struct nsnet_lab_nat *nat)
{
	static const char *const keys[] = { "masquerade", "forwards", NULL };
	char sp[PATH_LEN], ip[PATH_LEN];
	size_t i, j;
	int ret;

	nat->loc = k->loc;
	if (is_null(v))
		return 0;
	ret = expect(c, v, Y_MAP, path);
	if (!ret)
		ret = check_keys(c, v, path, keys);
	for (i = 0; i < v->nkid && !ret; i += 2) {
		const struct ynode *key = v->kid[i], *val = v->kid[i + 1];

		subpath(sp, path, key);
		if (is_null(val))
			continue;
		if ((ret = expect(c, val, Y_SEQ, sp)) || !val->nkid)
			continue;
		if (!strcmp(key->val, "masquerade")) {
			nat->masq = calloc(val->nkid, sizeof(*nat->masq));
			if (!nat->masq)
				return nomem(c);
			for (j = 0; j < val->nkid && !ret; j++) {
				itempath(ip, sp, j);
				nat->masq[j].loc = val->kid[j]->loc;
				nat->nmasq = j + 1;
				ret = get_net(c, val->kid[j], ip, 0, &nat->masq[j].p);
			}
		} else {
			nat->fwd = calloc(val->nkid, sizeof(*nat->fwd));
			if (!nat->fwd)
				return nomem(c);
			for (j = 0; j < val->nkid && !ret; j++) {
				itempath(ip, sp, j);
				nat->nfwd = j + 1;
				ret = parse_forward(c, val->kid[j], ip, &nat->fwd[j]);
			}
		}
	}
	return ret;
}

static int parse_top(struct yctx *c, const struct ynode *root, struct nsnet_lab *lab)
{
	static const char *const keys[] = { "name", "prefix", "bridges", "nodes", "links", "nat",
					    "hosts", "vxlan_port", NULL };
	char sp[PATH_LEN], ip[PATH_LEN], q[100];
	size_t i, j;
	int ret;

	if (!root) {
		struct nsnet_loc l = { 1, 1 };

		return nsnet__lab_err(c->err, c->file, &l, "empty lab file (expected a mapping "
				      "with nodes, bridges, links, nat)");
	}
	ret = expect(c, root, Y_MAP, "");
	if (!ret)
		ret = check_keys(c, root, "", keys);
	for (i = 0; i < root->nkid && !ret; i += 2) {
		const struct ynode *key = root->kid[i], *val = root->kid[i + 1];

		subpath(sp, "", key);
		if (!strcmp(key->val, "name")) {
			ret = get_str(c, val, sp, &lab->name);
			if (!ret && !nsnet__lab_name_ok(lab->name))
				ret = perr(c, val, sp, "%s is not a valid lab name "
					   "([A-Za-z0-9_-], 1..%d bytes)",
					   nsnet__quote(val->val, val->len, q, sizeof(q)),
					   NSNET_LAB_NAME_MAX);
			continue;
		}
		if (!strcmp(key->val, "prefix")) {
			if (is_null(val))
				continue;
			ret = get_str(c, val, sp, &lab->prefix);
			if (!ret && !nsnet__prefix_ok(lab->prefix))
				ret = perr(c, val, sp, "%s is not a valid namespace-name prefix "
					   "([A-Za-z0-9_.-], at most 255 bytes)",
					   nsnet__quote(val->val, val->len, q, sizeof(q)));
			continue;
		}
		if (is_null(val))
			continue;
		if (!strcmp(key->val, "nat")) {
			ret = parse_nat(c, key, val, sp, &lab->nat);
		} else if (!strcmp(key->val, "hosts")) {
			ret = parse_hosts(c, key, val, sp, lab);
		} else if (!strcmp(key->val, "vxlan_port")) {
			ret = parse_port(c, val, sp, &lab->vxlan_port);
		} else if (!strcmp(key->val, "links")) {
			if ((ret = expect(c, val, Y_SEQ, sp)) || !val->nkid)
				continue;
			lab->links = calloc(val->nkid, sizeof(*lab->links));
			if (!lab->links)
				return nomem(c);
			for (j = 0; j < val->nkid && !ret; j++) {
				itempath(ip, sp, j);
				lab->nlinks = j + 1;
				ret = parse_link(c, val->kid[j], ip, &lab->links[j]);
			}
		} else {
			int nodes = !strcmp(key->val, "nodes");

			ret = expect(c, val, Y_MAP, sp);
			if (!ret)
				ret = check_names(c, val, sp);
			if (ret || !val->nkid)
				continue;
			if (nodes)
				lab->nodes = calloc(val->nkid / 2, sizeof(*lab->nodes));
			else
				lab->bridges = calloc(val->nkid / 2, sizeof(*lab->bridges));
			if (nodes ? !lab->nodes : !lab->bridges)
				return nomem(c);
			for (j = 0; j < val->nkid && !ret; j += 2) {
				subpath(ip, sp, val->kid[j]);
				if (nodes) {
					lab->nnodes = j / 2 + 1;
					ret = parse_node(c, val->kid[j], val->kid[j + 1], ip,
							 &lab->nodes[j / 2]);
				} else {
					lab->nbridges = j / 2 + 1;
					ret = parse_bridge(c, val->kid[j], val->kid[j + 1], ip,
							   &lab->bridges[j / 2]);
				}
			}
		}
	}
	return ret;
}

/* Lab name from the file name: "dir/foo.yaml" -> "foo". */
static int default_name(struct yctx *c, struct nsnet_lab *lab)
{
	const char *base = strrchr(c->file, '/'), *dot;
	char q[100];
	size_t n;

	base = base ? base + 1 : c->file;
	dot = strrchr(base, '.');
	n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	lab->name = strndup(base, n);
	if (!lab->name)
		return nomem(c);
	if (!nsnet__lab_name_ok(lab->name))
		return nsnet__lab_err(c->err, c->file, NULL,
				      "name: missing, and the file name %s is not a valid lab "
				      "name ([A-Za-z0-9_-], 1..%d bytes); add \"name:\"",
				      nsnet__quote(base, n, q, sizeof(q)), NSNET_LAB_NAME_MAX);
	return 0;
}

int nsnet_lab_parse(const char *buf, size_t len, const char *filename, struct nsnet_lab **out,
		    struct nsnet_err *err)
{
	struct yctx c = { .file = filename ? filename : "<lab>", .err = err };
	struct nsnet_lab *lab = NULL;
	struct ynode *root = NULL;
	const char *nul;
	int ret;

	*out = NULL;
	if (len > NSNET_LAB_MAX_SIZE) {
		ret = nsnet__lab_err(err, c.file, NULL, "larger than %u bytes",
				     NSNET_LAB_MAX_SIZE);
		goto out;
	}
	nul = buf ? memchr(buf, '\0', len) : NULL;
	if (nul) {
		struct nsnet_loc l = offset_loc(buf, len, (size_t)(nul - buf));

		ret = nsnet__lab_err(err, c.file, &l, "NUL byte in the file");
		goto out;
	}
	lab = calloc(1, sizeof(*lab));
	if (!lab || !(lab->file = strdup(c.file))) {
		ret = nomem(&c);
		goto out;
	}
	ret = build(&c, buf ? buf : "", buf ? len : 0, &root);
	if (!ret)
		ret = parse_top(&c, root, lab);
	if (!ret && !lab->prefix && !(lab->prefix = strdup("")))
		ret = nomem(&c);
	if (!ret && !lab->name)
		ret = default_name(&c, lab);
	if (!ret) {
		*out = lab;
		lab = NULL;
	}
out:
	ynode_free(root);
	nsnet_lab_free(lab);
	return ret;
}
