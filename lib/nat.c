// SPDX-License-Identifier: MIT
/*
 * NAT and port forwards in a table of their own, "inet <table>", through
 * libnftables' JSON command interface (JSON rather than the text syntax so
 * that any table name, even one that is an nft keyword like "ct", and any
 * interface name is a plain string, never a token).
 *
 * One transaction replaces the table: add table (no-op if present), delete
 * table, add table with its chains and rules; the kernel commits all of it
 * or nothing. Other tables are only ever read (exists, forward_blockers).
 *
 * Chains of the table (each only when it has rules):
 *   prerouting  nat    dstnat (-100)  forwards for packets from outside and
 *                                     from lab nodes (hairpin)
 *   output      nat    dstnat (-100)  forwards for the host's own connections
 *                                     (any local address incl. 127.0.0.1)
 *   postrouting nat    srcnat (100)   masquerade out of non-lab interfaces;
 *                                     hairpin and 127/8 -> bridge masquerade
 *   forward     filter filter-10      accepts our traffic (see the header:
 *                                     cannot override a drop elsewhere)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <nftables/libnftables.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "nsnet/nat.h"
#include "nsnet/nl.h"
#include "nsnet/sysctl.h"

#define TABLE_MAX 64
#define IFNAME_MAX 15

/* ---- validation ------------------------------------------------------------ */

static int check_table(const char *t, struct nsnet_err *err)
{
	const char *p;

	if (!t || !*t)
		return nsnet_err_set(err, -EINVAL, "nat: empty table name");
	if (strlen(t) > TABLE_MAX)
		return nsnet_err_set(err, -EINVAL, "nat: table name \"%.64s...\" longer than %d bytes",
				     t, TABLE_MAX);
	for (p = t; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return nsnet_err_set(err, -EINVAL,
					     "nat: table name \"%s\": only [A-Za-z0-9_-] allowed", t);
	return 0;
}

static int check_ifname(const char *n, struct nsnet_err *err)
{
	const char *p;

	if (!n || !*n || strlen(n) > IFNAME_MAX || !strcmp(n, ".") || !strcmp(n, ".."))
		return nsnet_err_set(err, -EINVAL, "nat: invalid bridge name \"%s\"", n ? n : "");
	/* '*' would be a wildcard to nftables, '\\' an escape */
	for (p = n; *p; p++)
		if (*p == '/' || *p == ':' || *p == '"' || *p == '\\' || *p == '*' ||
		    (unsigned char)*p <= ' ' || (unsigned char)*p == 0x7f)
			return nsnet_err_set(err, -EINVAL,
					     "nat: bridge name \"%s\": unsupported character", n);
	return 0;
}

static int width(int family)
{
	return family == AF_INET ? 32 : family == AF_INET6 ? 128 : -1;
}

static int is_zero(const struct nsnet_prefix *p)
{
	static const uint8_t z[16];

	return !memcmp(p->addr, z, p->family == AF_INET ? 4 : 16);
}

static int is_v6_loopback(const struct nsnet_prefix *p)
{
	static const uint8_t lo[16] = { [15] = 1 };

	return p->family == AF_INET6 && !memcmp(p->addr, lo, 16);
}

static const char *proto_name(int proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : "?";
}

static int check_fwd(const struct nsnet_nat_fwd *f, size_t i, struct nsnet_err *err)
{
	char a[64], b[64];

	if (f->proto != IPPROTO_TCP && f->proto != IPPROTO_UDP)
		return nsnet_err_set(err, -EINVAL, "nat: forward %zu: protocol must be tcp or udp", i);
	if (!f->port || !f->to_port)
		return nsnet_err_set(err, -EINVAL, "nat: forward %zu: port must be 1..65535", i);
	if (!f->count)
		return nsnet_err_set(err, -EINVAL, "nat: forward %zu: port count must be >= 1", i);
	if ((unsigned)f->port + f->count - 1 > 65535 || (unsigned)f->to_port + f->count - 1 > 65535)
		return nsnet_err_set(err, -EINVAL,
				     "nat: forward %zu: port range %u+%u goes beyond 65535", i,
				     (unsigned)(f->port > f->to_port ? f->port : f->to_port),
				     (unsigned)f->count);
	if (width(f->to_addr.family) < 0 || is_zero(&f->to_addr))
		return nsnet_err_set(err, -EINVAL, "nat: forward %zu: no destination address", i);
	if (f->to_addr.plen < 0 || f->to_addr.plen > width(f->to_addr.family))
		return nsnet_err_set(err, -EINVAL, "nat: forward %zu: bad prefix length", i);
	if (f->host_addr.family && f->host_addr.family != f->to_addr.family)
		return nsnet_err_set(err, -EINVAL,
				     "nat: forward %zu: host address %s and destination %s differ in family",
				     i, nsnet_prefix_fmt(&f->host_addr, 0, a, sizeof(a)),
				     nsnet_prefix_fmt(&f->to_addr, 0, b, sizeof(b)));
	if (is_v6_loopback(&f->host_addr))
		return nsnet_err_set(err, -EINVAL,
				     "nat: forward %zu: ::1 cannot be forwarded (IPv6 has no route_localnet)",
				     i);
	return 0;
}

/* Two forwards catch the same packets: same family and protocol, overlapping
 * host ports, and host addresses that can be equal. */
static int fwd_overlap(const struct nsnet_nat_fwd *a, const struct nsnet_nat_fwd *b)
{
	if (a->to_addr.family != b->to_addr.family || a->proto != b->proto)
		return 0;
	if ((unsigned)a->port + a->count <= b->port || (unsigned)b->port + b->count <= a->port)
		return 0;
	if (a->host_addr.family && b->host_addr.family && !nsnet_ip_equal(&a->host_addr, &b->host_addr))
		return 0;
	return 1;
}

int nsnet_nat_check_spec(const struct nsnet_nat_spec *spec, struct nsnet_err *err)
{
	size_t i, j;
	int ret;

	if (!spec)
		return nsnet_err_set(err, -EINVAL, "nat: no spec");
	if ((ret = check_table(spec->table, err)) < 0)
		return ret;
	if ((spec->nbridges && !spec->bridges) || (spec->nmasq && !spec->masq) ||
	    (spec->nfwd && !spec->fwd))
		return nsnet_err_set(err, -EINVAL, "nat: count given without array");
	for (i = 0; i < spec->nbridges; i++)
		if ((ret = check_ifname(spec->bridges[i], err)) < 0)
			return ret;
	for (i = 0; i < spec->nmasq; i++) {
		const struct nsnet_prefix *m = &spec->masq[i];
		char a[64];

		if (width(m->family) < 0)
			return nsnet_err_set(err, -EINVAL, "nat: masquerade %zu: unknown address family", i);
		if (m->plen <= 0 || m->plen > width(m->family))
			return nsnet_err_set(err, -EINVAL,
					     "nat: masquerade %s: prefix length must be 1..%d",
					     nsnet_prefix_fmt(m, 1, a, sizeof(a)), width(m->family));
	}
	for (i = 0; i < spec->nfwd; i++) {
		if ((ret = check_fwd(&spec->fwd[i], i, err)) < 0)
			return ret;
		for (j = 0; j < i; j++)
			if (fwd_overlap(&spec->fwd[i], &spec->fwd[j]))
				return nsnet_err_set(err, -EINVAL,
						     "nat: forward %zu (%s %u) overlaps forward %zu (%s %u)",
						     i, proto_name(spec->fwd[i].proto), spec->fwd[i].port,
						     j, proto_name(spec->fwd[j].proto), spec->fwd[j].port);
	}
	return 0;
}

/* ---- JSON building ----------------------------------------------------------- */

struct rd {
	const struct nsnet_nat_spec *spec;
	json_t *cmds;
	int oom;
};

/* Steals @v; remembers allocation failure. */
static void push(struct rd *r, json_t *arr, json_t *v)
{
	if (!v || !arr || json_array_append_new(arr, v) < 0)
		r->oom = 1;
}

static json_t *j_match(const char *op, json_t *left, json_t *right)
{
	return json_pack("{s:{s:s,s:o,s:o}}", "match", "op", op, "left", left, "right", right);
}

static json_t *j_payload(const char *proto, const char *field)
{
	return json_pack("{s:{s:s,s:s}}", "payload", "protocol", proto, "field", field);
}

static json_t *j_meta(const char *key)
{
	return json_pack("{s:{s:s}}", "meta", "key", key);
}

static json_t *j_addr(const struct nsnet_prefix *p, int with_plen)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(p->family, p->addr, a, sizeof(a)))
		return NULL;
	if (with_plen && p->plen < width(p->family))
		return json_pack("{s:{s:s,s:i}}", "prefix", "addr", a, "len", p->plen);
	return json_string(a);
}

static const char *ipname(int family)
{
	return family == AF_INET ? "ip" : "ip6";
}

static const char *nfproto(int family)
{
	return family == AF_INET ? "ipv4" : "ipv6";
}

/* "oifname [!=] { bridges }", deduplicated */
static json_t *m_bridges(const struct nsnet_nat_spec *s, const char *op)
{
	json_t *set = json_array();
	size_t i, j;

	for (i = 0; set && i < s->nbridges; i++) {
		for (j = 0; j < i && strcmp(s->bridges[i], s->bridges[j]); j++)
			;
		if (j == i && json_array_append_new(set, json_string(s->bridges[i])) < 0) {
			json_decref(set);
			set = NULL;
		}
	}
	return j_match(op, j_meta("oifname"), json_pack("{s:o}", "set", set));
}

/* A set of prefixes of one family: drops entries covered by another one (an
 * anonymous interval set refuses overlaps). */
static json_t *j_prefix_set(const struct nsnet_prefix *const *v, size_t n)
{
	json_t *set = json_array();
	size_t i, j;

	for (i = 0; set && i < n; i++) {
		struct nsnet_prefix net;
		int covered = 0;

		for (j = 0; j < n && !covered; j++) {
			if (j == i || v[j]->plen > v[i]->plen || !nsnet_prefix_contains(v[j], v[i]))
				continue;
			covered = v[j]->plen < v[i]->plen || j < i;
		}
		if (covered)
			continue;
		nsnet_prefix_network(v[i], &net);
		if (json_array_append_new(set, j_addr(&net, 1)) < 0) {
			json_decref(set);
			set = NULL;
		}
	}
	return json_pack("{s:o}", "set", set);
}

static void add_cmd(struct rd *r, const char *verb, const char *kind, json_t *obj)
{
	push(r, r->cmds, json_pack("{s:{s:o}}", verb, kind, obj));
}

static json_t *j_table(const char *table)
{
	return json_pack("{s:s,s:s}", "family", "inet", "name", table);
}

static void add_chain(struct rd *r, const char *name, const char *type, const char *hook, int prio)
{
	add_cmd(r, "add", "chain",
		json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:s}", "family", "inet", "table",
			  r->spec->table, "name", name, "type", type, "hook", hook, "prio", prio,
			  "policy", "accept"));
}

static json_t *new_rule(void)
{
	return json_array();
}

static void add_rule(struct rd *r, const char *chain, json_t *expr)
{
	add_cmd(r, "add", "rule",
		json_pack("{s:s,s:s,s:s,s:o}", "family", "inet", "table", r->spec->table,
			  "chain", chain, "expr", expr));
}

/* One forward as a rule of the prerouting or output chain. */
static void fwd_rule(struct rd *r, const struct nsnet_nat_fwd *f, const char *chain, int output)
{
	const char *ip = ipname(f->to_addr.family), *pr = proto_name(f->proto);
	json_t *e = new_rule(), *dport, *nat;
	unsigned i;

	push(r, e, j_match("==", j_meta("nfproto"), json_string(nfproto(f->to_addr.family))));
	if (f->host_addr.family) {
		push(r, e, j_match("==", j_payload(ip, "daddr"), j_addr(&f->host_addr, 0)));
	} else {
		push(r, e, j_match("==", json_pack("{s:{s:s,s:[s]}}", "fib", "result", "type",
						   "flags", "daddr"),
				   json_string("local")));
		if (output && f->to_addr.family == AF_INET6)
			push(r, e, j_match("!=", j_payload(ip, "daddr"), json_string("::1")));
	}
	if (f->count > 1)
		dport = json_pack("{s:[i,i]}", "range", f->port, f->port + f->count - 1);
	else
		dport = json_integer(f->port);
	push(r, e, j_match("==", j_payload(pr, "dport"), dport));
	push(r, e, json_pack("{s:n}", "counter"));
	nat = json_pack("{s:s,s:o}", "family", ip, "addr", j_addr(&f->to_addr, 0));
	if (f->count == 1) {
		if (nat && json_object_set_new(nat, "port", json_integer(f->to_port)) < 0)
			r->oom = 1;
	} else if (f->port != f->to_port) {
		/* a port range in dnat picks any port of it; a map keeps the offset */
		json_t *map = json_array();

		for (i = 0; i < f->count; i++)
			push(r, map, json_pack("[i,i]", f->port + i, f->to_port + i));
		if (nat && json_object_set_new(nat, "port",
					       json_pack("{s:{s:o,s:{s:o}}}", "map", "key",
							 j_payload(pr, "dport"), "data", "set",
							 map)) < 0)
			r->oom = 1;
	}
	push(r, e, json_pack("{s:o}", "dnat", nat));
	add_rule(r, chain, e);
}

/* Prefix pointers of one family: masquerade subnets (+ forward target
 * networks if @targets; + the target addresses only if @targets == 2). */
static size_t collect(const struct nsnet_nat_spec *s, int family, int masq, int targets,
		      const struct nsnet_prefix **v, struct nsnet_prefix *tmp)
{
	size_t i, n = 0;

	for (i = 0; masq && i < s->nmasq; i++)
		if (s->masq[i].family == family)
			v[n++] = &s->masq[i];
	for (i = 0; targets && i < s->nfwd; i++) {
		if (s->fwd[i].to_addr.family != family)
			continue;
		tmp[i] = s->fwd[i].to_addr;
		if (targets == 2)
			tmp[i].plen = width(family);
		v[n++] = &tmp[i];
	}
	return n;
}

static int has_fwd(const struct nsnet_nat_spec *s, int family)
{
	size_t i;

	for (i = 0; i < s->nfwd; i++)
		if (s->fwd[i].to_addr.family == family)
			return 1;
	return 0;
}

/* Some IPv4 forward can be reached on 127.0.0.1 from the host itself. */
static int has_localhost_fwd(const struct nsnet_nat_spec *s)
{
	size_t i;

	for (i = 0; i < s->nfwd; i++)
		if (s->fwd[i].to_addr.family == AF_INET &&
		    (!s->fwd[i].host_addr.family || s->fwd[i].host_addr.addr[0] == 127))
			return 1;
	return 0;
}

static void postrouting(struct rd *r, const struct nsnet_prefix **v, struct nsnet_prefix *tmp)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	const struct nsnet_nat_spec *s = r->spec;
	unsigned k;
	size_t n;
	json_t *e;

	for (k = 0; k < 2; k++) {
		const char *ip = ipname(fams[k]);

		/* lab traffic leaving through anything but the lab's bridges */
		n = collect(s, fams[k], 1, 0, v, tmp);
		if (n) {
			e = new_rule();
			if (s->nbridges)
				push(r, e, m_bridges(s, "!="));
			push(r, e, j_match("==", j_payload(ip, "saddr"), j_prefix_set(v, n)));
			push(r, e, json_pack("{s:n}", "masquerade"));
			add_rule(r, "postrouting", e);
		}
		if (!has_fwd(s, fams[k]))
			continue;
		/* hairpin: a lab node reached a forward through a host address
		 * and is sent back into the lab; replies must come via us */
		n = collect(s, fams[k], 1, 1, v, tmp);
		e = new_rule();
		push(r, e, j_match("in", json_pack("{s:{s:s}}", "ct", "key", "status"),
				   json_string("dnat")));
		if (s->nbridges)
			push(r, e, m_bridges(s, "=="));
		push(r, e, j_match("==", j_payload(ip, "saddr"), j_prefix_set(v, n)));
		push(r, e, json_pack("{s:n}", "masquerade"));
		add_rule(r, "postrouting", e);
	}
	if (!has_localhost_fwd(s))
		return;
	/* the host connected to 127.0.0.1:port: give it a source the node can
	 * answer (needs route_localnet on the bridge, nsnet_nat_localnet) */
	e = new_rule();
	push(r, e, j_match("in", json_pack("{s:{s:s}}", "ct", "key", "status"), json_string("dnat")));
	if (s->nbridges)
		push(r, e, m_bridges(s, "=="));
	push(r, e, j_match("==", j_payload("ip", "saddr"),
			   json_pack("{s:{s:s,s:i}}", "prefix", "addr", "127.0.0.0", "len", 8)));
	push(r, e, json_pack("{s:n}", "masquerade"));
	add_rule(r, "postrouting", e);
}

static void forward(struct rd *r, const struct nsnet_prefix **v, struct nsnet_prefix *tmp)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	const struct nsnet_nat_spec *s = r->spec;
	static const char *const dirs[] = { "saddr", "daddr" };
	unsigned k, d;
	size_t n;
	json_t *e;

	e = new_rule();
	push(r, e, j_match("in", json_pack("{s:{s:s}}", "ct", "key", "state"),
			   json_pack("[s,s]", "established", "related")));
	push(r, e, json_pack("{s:n}", "accept"));
	add_rule(r, "forward", e);
	for (k = 0; k < 2; k++) {
		const char *ip = ipname(fams[k]);

		n = collect(s, fams[k], 0, 2, v, tmp);
		if (n) {
			e = new_rule();
			push(r, e, j_match("in", json_pack("{s:{s:s}}", "ct", "key", "status"),
					   json_string("dnat")));
			push(r, e, j_match("==", j_payload(ip, "daddr"), j_prefix_set(v, n)));
			push(r, e, json_pack("{s:n}", "counter"));
			push(r, e, json_pack("{s:n}", "accept"));
			add_rule(r, "forward", e);
		}
		n = collect(s, fams[k], 1, 0, v, tmp);
		for (d = 0; n && d < 2; d++) {
			e = new_rule();
			push(r, e, j_match("==", j_payload(ip, dirs[d]), j_prefix_set(v, n)));
			push(r, e, json_pack("{s:n}", "counter"));
			push(r, e, json_pack("{s:n}", "accept"));
			add_rule(r, "forward", e);
		}
	}
}

/* The commands as {"nftables": [ one command per line ]}. */
static int dump(json_t *cmds, char **out)
{
	size_t i, len, cap = 64;
	char *buf = malloc(cap), *nb, *s = NULL;
	int ret = -ENOMEM;
	json_t *c;

	if (!buf)
		goto out;
	len = (size_t)sprintf(buf, "{\"nftables\": [\n");
	json_array_foreach(cmds, i, c) {
		size_t sl;

		s = json_dumps(c, JSON_COMPACT);
		if (!s)
			goto out;
		sl = strlen(s);
		if (len + sl + 8 > cap) {
			while (len + sl + 8 > cap)
				cap *= 2;
			nb = realloc(buf, cap);
			if (!nb)
				goto out;
			buf = nb;
		}
		len += (size_t)sprintf(buf + len, "%s%s", s,
				       i + 1 < json_array_size(cmds) ? ",\n" : "\n");
		free(s);
		s = NULL;
	}
	strcpy(buf + len, "]}\n");
	*out = buf;
	buf = NULL;
	ret = 0;
out:
	free(s);
	free(buf);
	return ret;
}

int nsnet_nat_render(const struct nsnet_nat_spec *spec, char **out, struct nsnet_err *err)
{
	const struct nsnet_prefix **v = NULL;
	struct nsnet_prefix *tmp = NULL;
	struct rd r = { .spec = spec };
	size_t i;
	int ret;

	*out = NULL;
	if ((ret = nsnet_nat_check_spec(spec, err)) < 0)
		return ret;
	ret = -ENOMEM;
	r.cmds = json_array();
	v = calloc(spec->nmasq + spec->nfwd + 1, sizeof(*v));
	tmp = calloc(spec->nfwd + 1, sizeof(*tmp));
	if (!r.cmds || !v || !tmp)
		goto out;
	/* replace atomically: ensure it exists, delete it, create it anew */
	add_cmd(&r, "add", "table", j_table(spec->table));
	add_cmd(&r, "delete", "table", j_table(spec->table));
	add_cmd(&r, "add", "table", j_table(spec->table));
	if (spec->nfwd) {
		add_chain(&r, "prerouting", "nat", "prerouting", -100);
		add_chain(&r, "output", "nat", "output", -100);
	}
	if (spec->nfwd || spec->nmasq) {
		add_chain(&r, "postrouting", "nat", "postrouting", 100);
		add_chain(&r, "forward", "filter", "forward", -10);
	}
	for (i = 0; i < spec->nfwd; i++)
		fwd_rule(&r, &spec->fwd[i], "prerouting", 0);
	for (i = 0; i < spec->nfwd; i++)
		fwd_rule(&r, &spec->fwd[i], "output", 1);
	if (spec->nfwd || spec->nmasq) {
		postrouting(&r, v, tmp);
		forward(&r, v, tmp);
	}
	if (r.oom)
		goto out;
	ret = dump(r.cmds, out);
out:
	if (ret == -ENOMEM)
		nsnet_err_set(err, ret, "nat: out of memory");
	json_decref(r.cmds);
	free(v);
	free(tmp);
	return ret;
}

/* ---- running nftables --------------------------------------------------------- */

static const struct {
	const char *text;
	int error;
} errtab[] = {
	{ "No such file or directory", -ENOENT },
	{ "Operation not supported", -EOPNOTSUPP },
	{ "Address family not supported", -EAFNOSUPPORT },
	{ "Protocol not supported", -EPROTONOSUPPORT },
	{ "Operation not permitted", -EPERM },
	{ "Permission denied", -EACCES },
	{ "Device or resource busy", -EBUSY },
	{ "File exists", -EEXIST },
	{ "Cannot allocate memory", -ENOMEM },
	{ "Invalid argument", -EINVAL },
	{ "syntax error", -EINVAL },
};

/* nftables' error text, one line per error, without JSON's dummy location. */
static int nft_error(const char *text, char *msg, size_t len)
{
	const char *p = text ? text : "", *nl;
	size_t n = 0, k;
	int error = 0;

	msg[0] = '\0';
	for (; *p; p = nl + (*nl != '\0')) {
		const char *c;

		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		c = p;
		if (!strncmp(c, "internal:0:0-0: ", 16))
			c += 16;
		if (!strncmp(c, "Error: ", 7))
			c += 7;
		if (c == nl || (size_t)(nl - c) == strspn(c, " ^~\t"))
			continue;
		/* the same error for several commands: say it once */
		if (n && memmem(msg, n, c, (size_t)(nl - c)))
			continue;
		for (k = 0; !error && k < sizeof(errtab) / sizeof(errtab[0]); k++)
			if (memmem(c, (size_t)(nl - c), errtab[k].text, strlen(errtab[k].text)))
				error = errtab[k].error;
		if (n + 2 < len)
			n += (size_t)snprintf(msg + n, len - n, "%s%.*s", n ? "; " : "", (int)(nl - c), c);
		if (n >= len)
			n = len - 1;
	}
	return error ? error : -EIO;
}

/*
 * Run @cmd (JSON, or text with JSON output) in one libnftables call. On
 * success the output is returned in @out if given (malloc'ed).
 */
/*
 * What libnftables would otherwise handle by itself: without a netfilter
 * netlink socket it exit()s, and without CAP_NET_ADMIN it prints to stderr.
 */
static int nft_precheck(struct nsnet_err *err)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	int fd;

	if (!syscall(SYS_capget, &h, d) &&
	    !(d[CAP_NET_ADMIN / 32].effective & (1u << (CAP_NET_ADMIN % 32))))
		return nsnet_err_set(err, -EPERM, "nftables: Operation not permitted (CAP_NET_ADMIN needed)");
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0)
		return nsnet_err_set(err, -errno,
				     "nftables: no netfilter netlink socket: %s (the kernel lacks nfnetlink, CONFIG_NETFILTER_NETLINK)",
				     strerror(errno));
	close(fd);
	return 0;
}

struct nsnet_nft {
	struct nft_ctx *nft;
};

int nsnet_nft_open(struct nsnet_nft **out, struct nsnet_err *err)
{
	struct nsnet_nft *h;
	int ret;

	*out = NULL;
	if ((ret = nft_precheck(err)) < 0)
		return ret;
	h = calloc(1, sizeof(*h));
	if (!h)
		return nsnet_err_set(err, -ENOMEM, "nftables: out of memory");
	h->nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!h->nft) {
		free(h);
		return nsnet_err_set(err, -ENOMEM, "nftables: cannot create a context");
	}
	nft_ctx_output_set_flags(h->nft, NFT_CTX_OUTPUT_JSON);
	if (nft_ctx_buffer_output(h->nft) || nft_ctx_buffer_error(h->nft)) {
		nsnet_nft_close(h);
		return nsnet_err_set(err, -ENOMEM, "nftables: cannot buffer output");
	}
	*out = h;
	return 0;
}

int nsnet_nft_exec(struct nsnet_nft *h, const char *cmd, char **out, struct nsnet_err *err)
{
	char msg[400];
	int ret = 0;

	if (nft_run_cmd_from_buffer(h->nft, cmd)) {
		ret = nft_error(nft_ctx_get_error_buffer(h->nft), msg, sizeof(msg));
		nsnet_err_set(err, ret, "nftables: %s", msg[0] ? msg : "command failed");
		goto out;
	}
	if (out) {
		*out = strdup(nft_ctx_get_output_buffer(h->nft));
		if (!*out)
			ret = nsnet_err_set(err, -ENOMEM, "nftables: out of memory");
	}
out:
	return ret;
}

void nsnet_nft_close(struct nsnet_nft *h)
{
	if (!h)
		return;
	nft_ctx_free(h->nft);
	free(h);
}

int nsnet_nft_run(const char *cmd, char **out, struct nsnet_err *err)
{
	struct nsnet_nft *h;
	int ret = nsnet_nft_open(&h, err);

	if (ret == 0)
		ret = nsnet_nft_exec(h, cmd, out, err);
	nsnet_nft_close(h);
	return ret;
}

/*
 * Kernel features, each tried in a transaction that creates a table of a
 * fresh name ("create" fails if it exists, so nothing else is touched) and
 * deletes it again: the net effect is nothing.
 */
static const struct {
	const char *feature, *what, *chain_hook, *rule;
} probes[] = {
	{ "nf_tables", "nftables (CONFIG_NF_TABLES, CONFIG_NF_TABLES_INET)", NULL, NULL },
	{ "nft_chain_nat", "nat chains (CONFIG_NFT_NAT)", "prerouting", NULL },
	{ "nft_ct", "conntrack matches (CONFIG_NFT_CT)", "prerouting",
	  "{\"match\":{\"op\":\"in\",\"left\":{\"ct\":{\"key\":\"status\"}},\"right\":\"dnat\"}}" },
	{ "nft_fib_inet", "fib matches (CONFIG_NFT_FIB_INET)", "prerouting",
	  "{\"match\":{\"op\":\"==\",\"left\":{\"fib\":{\"result\":\"type\",\"flags\":[\"daddr\"]}},"
	  "\"right\":\"local\"}}" },
	{ "nft_nat", "DNAT (CONFIG_NFT_NAT)", "prerouting",
	  "{\"dnat\":{\"family\":\"ip\",\"addr\":\"192.0.2.1\"}}" },
	{ "nft_nat (IPv6)", "IPv6 DNAT (CONFIG_NFT_NAT, CONFIG_NF_NAT with IPv6)", "prerouting",
	  "{\"dnat\":{\"family\":\"ip6\",\"addr\":\"2001:db8::1\"}}" },
	{ "nft_masq", "masquerade (CONFIG_NFT_MASQ)", "postrouting",
	  "{\"masquerade\":null}" },
};

static int is_feature_error(int error)
{
	return error == -ENOENT || error == -EOPNOTSUPP || error == -EAFNOSUPPORT ||
	       error == -EPROTONOSUPPORT;
}

int nsnet_nat_probe(struct nsnet_err *err)
{
	char cmd[1024], t[40];
	size_t i, n;
	int ret = 0;

	snprintf(t, sizeof(t), "nsnet-probe-%ld", (long)getpid());
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		struct nsnet_err e = { 0 };

		n = (size_t)snprintf(cmd, sizeof(cmd),
				     "{\"nftables\":[{\"create\":{\"table\":{\"family\":\"inet\",\"name\":\"%s\"}}}",
				     t);
		if (probes[i].chain_hook)
			n += (size_t)snprintf(cmd + n, sizeof(cmd) - n,
					      ",{\"add\":{\"chain\":{\"family\":\"inet\",\"table\":\"%s\","
					      "\"name\":\"c\",\"type\":\"nat\",\"hook\":\"%s\",\"prio\":0}}}",
					      t, probes[i].chain_hook);
		if (probes[i].rule)
			n += (size_t)snprintf(cmd + n, sizeof(cmd) - n,
					      ",{\"add\":{\"rule\":{\"family\":\"inet\",\"table\":\"%s\","
					      "\"chain\":\"c\",\"expr\":[{\"match\":{\"op\":\"==\",\"left\":"
					      "{\"meta\":{\"key\":\"nfproto\"}},\"right\":\"%s\"}},%s]}}}",
					      t, strstr(probes[i].rule, "ip6") ? "ipv6" : "ipv4",
					      probes[i].rule);
		snprintf(cmd + n, sizeof(cmd) - n,
			 ",{\"delete\":{\"table\":{\"family\":\"inet\",\"name\":\"%s\"}}}]}", t);
		ret = nsnet_nft_run(cmd, NULL, &e);
		if (ret == -EEXIST || ret == -EPERM || ret == -EACCES) {
			/* inconclusive (name taken) or not allowed at all */
			ret = ret == -EEXIST ? 0 : nsnet_err_set(err, ret, "%s", e.msg);
			goto out;
		}
		if (ret < 0) {
			if (is_feature_error(ret))
				nsnet_err_set(err, ret, "the kernel lacks %s: %s (%s)",
					      probes[i].feature, probes[i].what, e.msg);
			else
				nsnet_err_set(err, ret, "probing %s: %s", probes[i].feature, e.msg);
			goto out;
		}
	}
out:
	return ret;
}

/* A failure that may come from a missing kernel module: name it. */
static void explain(struct nsnet_err *err)
{
	struct nsnet_err e = { 0 };
	size_t n;

	if (!err || !is_feature_error(err->error) || nsnet_nat_probe(&e) >= 0)
		return;
	n = strlen(err->msg);
	if (n + 3 < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - n, "; %.*s",
			 (int)(sizeof(err->msg) - n - 3), e.msg);
}

int nsnet_nat_apply(const struct nsnet_nat_spec *spec, struct nsnet_err *err)
{
	char *script = NULL;
	int ret;

	ret = nsnet_nat_render(spec, &script, err);
	if (ret < 0)
		goto out;
	if ((ret = nsnet_fault_point()) < 0) {
		nsnet_err_set(err, ret, "nat: injected fault");
		goto out;
	}
	ret = nsnet_nft_run(script, NULL, err);
	if (ret < 0)
		explain(err);
out:
	if (ret < 0)
		nsnet_err_where(err, "nft table inet %s", spec && spec->table ? spec->table : "?");
	free(script);
	return ret;
}

int nsnet_nat_delete(const char *table, struct nsnet_err *err)
{
	char cmd[256];
	int ret;

	if ((ret = check_table(table, err)) < 0)
		goto out;
	/* add (no-op if present) + delete: one transaction, fine if absent */
	snprintf(cmd, sizeof(cmd),
		 "{\"nftables\":[{\"add\":{\"table\":{\"family\":\"inet\",\"name\":\"%s\"}}},"
		 "{\"delete\":{\"table\":{\"family\":\"inet\",\"name\":\"%s\"}}}]}", table, table);
	if ((ret = nsnet_fault_point()) < 0) {
		nsnet_err_set(err, ret, "nat: injected fault");
		goto out;
	}
	ret = nsnet_nft_run(cmd, NULL, err);
	if (ret < 0)
		explain(err);
out:
	if (ret < 0)
		nsnet_err_where(err, "nft table inet %s", table ? table : "?");
	return ret;
}

/* The objects of a JSON listing ({"nftables": [...]}) of kind @kind. */
static json_t *listing(const char *cmd, json_t **root, struct nsnet_err *err)
{
	char *out = NULL;
	json_t *arr;
	int ret;

	*root = NULL;
	if ((ret = nsnet_nft_run(cmd, &out, err)) < 0)
		return NULL;
	*root = json_loads(out, 0, NULL);
	free(out);
	arr = json_object_get(*root, "nftables");
	if (!json_is_array(arr)) {
		nsnet_err_set(err, -EIO, "nftables: unexpected listing output");
		return NULL;
	}
	return arr;
}

int nsnet_nat_exists(const char *table, struct nsnet_err *err)
{
	json_t *root = NULL, *arr, *o;
	size_t i;
	int ret;

	if ((ret = check_table(table, err)) < 0)
		goto out;
	arr = listing("list tables inet", &root, err);
	if (!arr) {
		ret = err && err->error ? err->error : -EIO;
		goto out;
	}
	json_array_foreach(arr, i, o) {
		const char *name = json_string_value(json_object_get(json_object_get(o, "table"), "name"));

		if (name && !strcmp(name, table)) {
			ret = 1;
			break;
		}
	}
out:
	json_decref(root);
	return ret;
}

int nsnet_nat_forward_blockers(const char *table, char *buf, size_t len, struct nsnet_err *err)
{
	json_t *root = NULL, *arr, *o;
	size_t i, n = 0;
	int ret = 0;

	if (len)
		buf[0] = '\0';
	arr = listing("list chains", &root, err);
	if (!arr) {
		ret = err && err->error ? err->error : -EIO;
		goto out;
	}
	json_array_foreach(arr, i, o) {
		json_t *c = json_object_get(o, "chain");
		const char *fam = json_string_value(json_object_get(c, "family"));
		const char *tbl = json_string_value(json_object_get(c, "table"));
		const char *name = json_string_value(json_object_get(c, "name"));
		const char *hook = json_string_value(json_object_get(c, "hook"));
		const char *pol = json_string_value(json_object_get(c, "policy"));

		if (!fam || !tbl || !name || !hook || !pol || strcmp(hook, "forward") ||
		    strcmp(pol, "drop") || (table && !strcmp(fam, "inet") && !strcmp(tbl, table)))
			continue;
		if (strcmp(fam, "ip") && strcmp(fam, "ip6") && strcmp(fam, "inet"))
			continue;
		ret++;
		if (n + 2 < len)
			n += (size_t)snprintf(buf + n, len - n, "%s%s %s %s", n ? ", " : "", fam, tbl, name);
		if (n >= len)
			n = len ? len - 1 : 0;
	}
out:
	json_decref(root);
	return ret;
}

int nsnet_nat_localnet(const char *bridge, int on, char *old, size_t oldlen, struct nsnet_err *err)
{
	char key[64];
	int ret;

	if ((ret = check_ifname(bridge, err)) < 0)
		return ret;
	/* slashes: a bridge name may contain dots */
	snprintf(key, sizeof(key), "net/ipv4/conf/%s/route_localnet", bridge);
	return nsnet_sysctl(-1, key, on ? "1" : "0", old, oldlen, err);
}
