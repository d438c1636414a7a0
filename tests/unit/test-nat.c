// SPDX-License-Identifier: MIT
/* nsnet_nat_render / nsnet_nat_check_spec: pure, no privileges. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "check.h"
#include "nsnet/nat.h"

static struct nsnet_prefix P(const char *s)
{
	struct nsnet_prefix p;

	memset(&p, 0, sizeof(p));
	if (nsnet_prefix_parse(s, &p, 0) < 0)
		abort();
	return p;
}

static struct nsnet_nat_fwd F(int proto, unsigned port, const char *to, unsigned to_port,
			      unsigned count, const char *host)
{
	struct nsnet_nat_fwd f;

	memset(&f, 0, sizeof(f));
	f.proto = proto;
	f.port = (uint16_t)port;
	f.to_port = (uint16_t)to_port;
	f.count = (uint16_t)count;
	f.to_addr = P(to);
	if (host)
		f.host_addr = P(host);
	return f;
}

/* Rendered script, parsed. */
struct out {
	char *text;
	json_t *root;
	int ret;
	struct nsnet_err err;
};

static void render(const struct nsnet_nat_spec *s, struct out *o)
{
	memset(o, 0, sizeof(*o));
	o->ret = nsnet_nat_render(s, &o->text, &o->err);
	if (o->ret == 0)
		o->root = json_loads(o->text, 0, NULL);
}

static void out_free(struct out *o)
{
	free(o->text);
	json_decref(o->root);
}

static json_t *cmds(const struct out *o)
{
	return json_object_get(o->root, "nftables");
}

/* The rules of @chain, each expression list as compact JSON, joined by '\n'. */
static char *rules(const struct out *o, const char *chain, int *n)
{
	size_t i, len = 0;
	char *buf = calloc(1, 1);
	json_t *c;

	*n = 0;
	json_array_foreach(cmds(o), i, c) {
		json_t *r = json_object_get(json_object_get(c, "add"), "rule");
		char *s;

		if (!r || strcmp(json_string_value(json_object_get(r, "chain")), chain))
			continue;
		s = json_dumps(json_object_get(r, "expr"), JSON_COMPACT);
		buf = realloc(buf, len + strlen(s) + 2);
		len += (size_t)sprintf(buf + len, "%s\n", s);
		free(s);
		(*n)++;
	}
	return buf;
}

static int has_chain(const struct out *o, const char *name, const char *hook, int prio)
{
	size_t i;
	json_t *c;

	json_array_foreach(cmds(o), i, c) {
		json_t *ch = json_object_get(json_object_get(c, "add"), "chain");

		if (ch && !strcmp(json_string_value(json_object_get(ch, "name")), name))
			return !strcmp(json_string_value(json_object_get(ch, "hook")), hook) &&
			       json_integer_value(json_object_get(ch, "prio")) == prio &&
			       !strcmp(json_string_value(json_object_get(ch, "policy")), "accept");
	}
	return 0;
}

/* The first three commands replace the table atomically. */
static int replaces(const struct out *o, const char *table)
{
	static const char *const verbs[] = { "add", "delete", "add" };
	size_t i;

	if (json_array_size(cmds(o)) < 3)
		return 0;
	for (i = 0; i < 3; i++) {
		json_t *t = json_object_get(json_object_get(json_array_get(cmds(o), i), verbs[i]),
					    "table");

		if (!t || strcmp(json_string_value(json_object_get(t, "family")), "inet") ||
		    strcmp(json_string_value(json_object_get(t, "name")), table))
			return 0;
	}
	return 1;
}

/* Every command touches only inet <table>. */
static int only_table(const struct out *o, const char *table)
{
	size_t i;
	json_t *c;

	json_array_foreach(cmds(o), i, c) {
		const char *verb, *kind, *t;
		json_t *v, *obj;

		json_object_foreach(c, verb, v) {
			json_object_foreach(v, kind, obj) {
				t = json_string_value(json_object_get(obj, strcmp(kind, "table") ? "table" : "name"));
				if (!t || strcmp(t, table) ||
				    strcmp(json_string_value(json_object_get(obj, "family")), "inet"))
					return 0;
			}
		}
	}
	return 1;
}

static const char *br1[] = { "lbr0" };
static const char *br2[] = { "lbr0", "lbr1", "lbr0" };

static void test_masquerade_only(void)
{
	struct nsnet_prefix m[] = { P("10.0.0.0/24") };
	struct nsnet_nat_spec s = { .table = "nsnet-seed", .bridges = br2, .nbridges = 3,
				    .masq = m, .nmasq = 1 };
	struct out o, o2;
	char *r;
	int n;

	render(&s, &o);
	CHECK(o.ret == 0 && o.root, "masquerade only: renders valid JSON");
	CHECK(replaces(&o, "nsnet-seed"), "masquerade only: add+delete+add table inet nsnet-seed");
	CHECK(only_table(&o, "nsnet-seed"), "masquerade only: no other table touched");
	CHECK(has_chain(&o, "postrouting", "postrouting", 100), "postrouting chain at srcnat (100)");
	CHECK(has_chain(&o, "forward", "forward", -10), "forward filter chain at -10, policy accept");
	CHECK(!has_chain(&o, "prerouting", "prerouting", -100) && !strstr(o.text, "dnat"),
	      "masquerade only: no DNAT chains or rules");
	r = rules(&o, "postrouting", &n);
	CHECK(n == 1 && strstr(r, "{\"match\":{\"op\":\"!=\",\"left\":{\"meta\":{\"key\":\"oifname\"}},"
				  "\"right\":{\"set\":[\"lbr0\",\"lbr1\"]}}}") &&
	      strstr(r, "{\"payload\":{\"protocol\":\"ip\",\"field\":\"saddr\"}},\"right\":{\"set\":"
			"[{\"prefix\":{\"addr\":\"10.0.0.0\",\"len\":24}}]}") &&
	      strstr(r, "{\"masquerade\":null}"),
	      "masquerade: oifname != { lbr0, lbr1 } (deduplicated) ip saddr 10.0.0.0/24");
	free(r);
	r = rules(&o, "forward", &n);
	CHECK(n == 3 && strstr(r, "\"established\",\"related\"") && strstr(r, "\"daddr\"") &&
	      strstr(r, "\"saddr\""), "forward: established/related, from and to the subnet accepted");
	free(r);
	render(&s, &o2);
	CHECK(o2.ret == 0 && !strcmp(o.text, o2.text), "render is deterministic");
	CHECK(o.text[strlen(o.text) - 1] == '\n' && !strncmp(o.text, "{\"nftables\": [\n", 15),
	      "one command per line");
	out_free(&o);
	out_free(&o2);
}

static void test_forwards(void)
{
	struct nsnet_prefix m[] = { P("10.0.0.0/24") };
	struct nsnet_nat_fwd f[] = {
		F(IPPROTO_TCP, 8080, "10.0.0.2/24", 80, 1, NULL),
		F(IPPROTO_UDP, 8080, "10.0.0.2/24", 80, 1, NULL),
		F(IPPROTO_UDP, 53, "10.1.0.9/16", 5353, 1, NULL),
	};
	struct nsnet_nat_spec s = { .table = "t", .bridges = br1, .nbridges = 1,
				    .masq = m, .nmasq = 1, .fwd = f, .nfwd = 3 };
	struct out o;
	char *r;
	int n;

	render(&s, &o);
	CHECK(o.ret == 0 && o.root, "forwards: renders");
	CHECK(has_chain(&o, "prerouting", "prerouting", -100) && has_chain(&o, "output", "output", -100),
	      "forwards: prerouting and output nat chains at dstnat (-100)");
	r = rules(&o, "prerouting", &n);
	CHECK(n == 3, "prerouting: one rule per forward (%d)", n);
	CHECK(strstr(r, "{\"match\":{\"op\":\"==\",\"left\":{\"fib\":{\"result\":\"type\",\"flags\":"
			"[\"daddr\"]}},\"right\":\"local\"}}") != NULL,
	      "no host_addr: fib daddr type local");
	CHECK(strstr(r, "{\"payload\":{\"protocol\":\"tcp\",\"field\":\"dport\"}},\"right\":8080}}") &&
	      strstr(r, "{\"dnat\":{\"family\":\"ip\",\"addr\":\"10.0.0.2\",\"port\":80}}"),
	      "tcp dport 8080 dnat ip to 10.0.0.2:80");
	CHECK(strstr(r, "{\"payload\":{\"protocol\":\"udp\",\"field\":\"dport\"}},\"right\":53}}") &&
	      strstr(r, "{\"dnat\":{\"family\":\"ip\",\"addr\":\"10.1.0.9\",\"port\":5353}}"),
	      "udp dport 53 dnat ip to 10.1.0.9:5353");
	CHECK(strstr(r, "\"right\":\"ipv4\"") != NULL, "meta nfproto ipv4");
	free(r);
	r = rules(&o, "output", &n);
	CHECK(n == 3 && strstr(r, "\"local\"") && !strstr(r, "::1"), "output: the same forwards");
	free(r);
	r = rules(&o, "postrouting", &n);
	CHECK(n == 3, "postrouting: masquerade, hairpin, localhost (%d)", n);
	CHECK(strstr(r, "{\"ct\":{\"key\":\"status\"}},\"right\":\"dnat\"}},{\"match\":{\"op\":\"==\","
			"\"left\":{\"meta\":{\"key\":\"oifname\"}},\"right\":{\"set\":[\"lbr0\"]}}},"
			"{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"ip\",\"field\":"
			"\"saddr\"}},\"right\":{\"set\":[{\"prefix\":{\"addr\":\"10.0.0.0\",\"len\":24}},"
			"{\"prefix\":{\"addr\":\"10.1.0.0\",\"len\":16}}]}}},{\"masquerade\":null}") != NULL,
	      "hairpin: ct status dnat oifname lbr0 saddr {masq, target nets} masquerade");
	CHECK(strstr(r, "{\"prefix\":{\"addr\":\"127.0.0.0\",\"len\":8}}}},{\"masquerade\":null}") != NULL,
	      "localhost: 127.0.0.0/8 -> bridge masquerade");
	free(r);
	r = rules(&o, "forward", &n);
	CHECK(strstr(r, "\"dnat\"}},{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"ip\","
			"\"field\":\"daddr\"}},\"right\":{\"set\":[\"10.0.0.2\",\"10.1.0.9\"]}}}") != NULL,
	      "forward: ct status dnat to the target addresses accepted");
	free(r);
	out_free(&o);
}

static void test_host_addr(void)
{
	struct nsnet_nat_fwd f[] = {
		F(IPPROTO_TCP, 8443, "10.0.0.3", 443, 1, "203.0.113.1"),
		F(IPPROTO_TCP, 8443, "10.0.0.4", 443, 1, "198.51.100.1"),
	};
	struct nsnet_nat_spec s = { .table = "t", .fwd = f, .nfwd = 2 };
	struct out o;
	char *r;
	int n;

	render(&s, &o);
	CHECK(o.ret == 0, "host_addr: same port on two host addresses is fine");
	r = rules(&o, "prerouting", &n);
	CHECK(n == 2 && !strstr(r, "fib") &&
	      strstr(r, "{\"payload\":{\"protocol\":\"ip\",\"field\":\"daddr\"}},\"right\":\"203.0.113.1\"}}") &&
	      strstr(r, "\"right\":\"198.51.100.1\"}}"), "host_addr: ip daddr match instead of fib");
	free(r);
	r = rules(&o, "postrouting", &n);
	CHECK(n == 1 && !strstr(r, "127.0.0.0") && !strstr(r, "oifname"),
	      "host_addr not loopback: no 127/8 rule; no bridges: no oifname match");
	free(r);
	out_free(&o);
}

static void test_range(void)
{
	struct nsnet_nat_fwd f[] = {
		F(IPPROTO_TCP, 8000, "10.0.0.2", 9000, 3, NULL),
		F(IPPROTO_UDP, 6000, "10.0.0.2", 6000, 100, NULL),
		F(IPPROTO_TCP, 65534, "10.0.0.2", 1, 2, NULL),
	};
	struct nsnet_nat_spec s = { .table = "t", .fwd = f, .nfwd = 3 };
	struct out o;
	char *r;
	int n;

	render(&s, &o);
	CHECK(o.ret == 0, "range: renders");
	r = rules(&o, "prerouting", &n);
	CHECK(strstr(r, "\"field\":\"dport\"}},\"right\":{\"range\":[8000,8002]}}") != NULL,
	      "range: tcp dport 8000-8002");
	CHECK(strstr(r, "{\"dnat\":{\"family\":\"ip\",\"addr\":\"10.0.0.2\",\"port\":{\"map\":{\"key\":"
			"{\"payload\":{\"protocol\":\"tcp\",\"field\":\"dport\"}},\"data\":{\"set\":"
			"[[8000,9000],[8001,9001],[8002,9002]]}}}}}") != NULL,
	      "range: dport map keeps the offset 8000..8002 -> 9000..9002");
	CHECK(strstr(r, "\"right\":{\"range\":[6000,6099]}}") &&
	      strstr(r, "{\"dnat\":{\"family\":\"ip\",\"addr\":\"10.0.0.2\"}}"),
	      "range with the same ports: dnat to the address only (port kept)");
	CHECK(strstr(r, "{\"range\":[65534,65535]}") && strstr(r, "[[65534,1],[65535,2]]"),
	      "range up to 65535");
	free(r);
	out_free(&o);
}

static void test_ipv6(void)
{
	struct nsnet_prefix m[] = { P("fd00::/64"), P("10.0.0.0/16"), P("10.0.1.0/24"),
				    P("fd00::/64") };
	struct nsnet_nat_fwd f[] = { F(IPPROTO_TCP, 8080, "fd00::2/64", 80, 1, NULL),
				     F(IPPROTO_TCP, 8080, "10.0.1.2", 80, 1, NULL) };
	struct nsnet_nat_spec s = { .table = "ct", .bridges = br1, .nbridges = 1,
				    .masq = m, .nmasq = 4, .fwd = f, .nfwd = 1 };
	struct out o;
	char *r;
	int n;

	render(&s, &o);
	CHECK(o.ret == 0 && replaces(&o, "ct"), "a table named like an nft keyword (\"ct\") renders");
	r = rules(&o, "postrouting", &n);
	CHECK(strstr(r, "{\"payload\":{\"protocol\":\"ip6\",\"field\":\"saddr\"}},\"right\":{\"set\":"
			"[{\"prefix\":{\"addr\":\"fd00::\",\"len\":64}}]}}},{\"masquerade\":null}") != NULL,
	      "IPv6 masquerade: ip6 saddr fd00::/64 (duplicate dropped)");
	CHECK(strstr(r, "\"right\":{\"set\":[{\"prefix\":{\"addr\":\"10.0.0.0\",\"len\":16}}]}}}") != NULL,
	      "IPv4 masquerade: 10.0.1.0/24 inside 10.0.0.0/16 dropped from the set");
	CHECK(!strstr(r, "127.0.0.0"), "IPv6-only forwards: no 127/8 rule");
	free(r);
	r = rules(&o, "output", &n);
	CHECK(n == 1 && strstr(r, "{\"match\":{\"op\":\"!=\",\"left\":{\"payload\":{\"protocol\":\"ip6\","
				  "\"field\":\"daddr\"}},\"right\":\"::1\"}}") &&
	      strstr(r, "{\"dnat\":{\"family\":\"ip6\",\"addr\":\"fd00::2\",\"port\":80}}") &&
	      strstr(r, "\"right\":\"ipv6\""),
	      "IPv6 forward: dnat ip6 to [fd00::2]:80, not for ::1");
	free(r);
	out_free(&o);
	s.nfwd = 2;
	render(&s, &o);
	CHECK(o.ret == 0, "same port in IPv4 and IPv6 is no overlap");
	out_free(&o);
}

static void bad(const struct nsnet_nat_spec *s, const char *what)
{
	struct nsnet_err err = { 0 };
	char *text = (char *)1;
	int ret;

	ret = nsnet_nat_render(s, &text, &err);
	CHECK(ret == -EINVAL && err.error == -EINVAL && err.msg[0] && !text &&
	      nsnet_nat_check_spec(s, NULL) == -EINVAL,
	      "rejected: %s (%s)", what, err.msg);
}

static void test_bad_input(void)
{
	struct nsnet_prefix m[] = { P("10.0.0.0/24") }, m0[] = { P("0.0.0.0/0") };
	struct nsnet_nat_fwd f[2];
	struct nsnet_nat_spec s = { .table = "t" };
	const char *badbr[] = { "br*" }, *longbr[] = { "abcdefghijklmnop" }, *quote[] = { "a\"b" };
	char longname[80];

	bad(&(struct nsnet_nat_spec){ .table = NULL }, "no table name");
	bad(&(struct nsnet_nat_spec){ .table = "" }, "empty table name");
	bad(&(struct nsnet_nat_spec){ .table = "a b" }, "space in table name");
	bad(&(struct nsnet_nat_spec){ .table = "a.b" }, "dot in table name");
	bad(&(struct nsnet_nat_spec){ .table = "x\"}" }, "quote in table name");
	memset(longname, 'a', 65);
	longname[65] = '\0';
	bad(&(struct nsnet_nat_spec){ .table = longname }, "65-byte table name");
	longname[64] = '\0';
	CHECK(nsnet_nat_check_spec(&(struct nsnet_nat_spec){ .table = longname }, NULL) == 0,
	      "64-byte table name accepted");
	bad(&(struct nsnet_nat_spec){ .table = "t", .bridges = badbr, .nbridges = 1 }, "'*' in bridge");
	bad(&(struct nsnet_nat_spec){ .table = "t", .bridges = longbr, .nbridges = 1 }, "16-byte bridge");
	bad(&(struct nsnet_nat_spec){ .table = "t", .bridges = quote, .nbridges = 1 }, "quote in bridge");
	bad(&(struct nsnet_nat_spec){ .table = "t", .nbridges = 1 }, "count without array");
	bad(&(struct nsnet_nat_spec){ .table = "t", .masq = m0, .nmasq = 1 }, "masquerade 0.0.0.0/0");
	m[0].family = 0;
	bad(&(struct nsnet_nat_spec){ .table = "t", .masq = m, .nmasq = 1 }, "masquerade without family");

	s.fwd = f;
	s.nfwd = 1;
	f[0] = F(IPPROTO_ICMP, 80, "10.0.0.2", 80, 1, NULL);
	bad(&s, "protocol icmp");
	f[0] = F(IPPROTO_TCP, 0, "10.0.0.2", 80, 1, NULL);
	bad(&s, "host port 0");
	f[0] = F(IPPROTO_TCP, 80, "10.0.0.2", 0, 1, NULL);
	bad(&s, "destination port 0");
	f[0] = F(IPPROTO_TCP, 80, "10.0.0.2", 80, 0, NULL);
	bad(&s, "count 0");
	f[0] = F(IPPROTO_TCP, 65535, "10.0.0.2", 80, 2, NULL);
	bad(&s, "host range past 65535");
	f[0] = F(IPPROTO_UDP, 80, "10.0.0.2", 65000, 1000, NULL);
	bad(&s, "destination range past 65535");
	f[0] = F(IPPROTO_TCP, 80, "10.0.0.2", 80, 1, "fd00::1");
	bad(&s, "host_addr IPv6, destination IPv4");
	f[0] = F(IPPROTO_TCP, 80, "fd00::2", 80, 1, "::1");
	bad(&s, "host_addr ::1");
	f[0] = F(IPPROTO_TCP, 80, "0.0.0.0", 80, 1, NULL);
	bad(&s, "destination 0.0.0.0");
	f[0] = F(IPPROTO_TCP, 80, "10.0.0.2", 80, 1, NULL);
	f[0].to_addr.family = 0;
	bad(&s, "destination without family");

	s.nfwd = 2;
	f[0] = F(IPPROTO_TCP, 8000, "10.0.0.2", 80, 10, NULL);
	f[1] = F(IPPROTO_TCP, 8009, "10.0.0.3", 80, 1, "203.0.113.1");
	bad(&s, "overlapping forwards (range and host_addr)");
	f[1] = F(IPPROTO_UDP, 8009, "10.0.0.3", 80, 1, NULL);
	CHECK(nsnet_nat_check_spec(&s, NULL) == 0, "same port, other protocol: accepted");
	f[1] = F(IPPROTO_TCP, 8010, "10.0.0.3", 80, 1, NULL);
	CHECK(nsnet_nat_check_spec(&s, NULL) == 0, "adjacent ranges: accepted");
}

int main(void)
{
	test_masquerade_only();
	test_forwards();
	test_host_addr();
	test_range();
	test_ipv6();
	test_bad_input();
	return CHECK_DONE();
}
