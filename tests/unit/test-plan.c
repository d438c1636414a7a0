// SPDX-License-Identifier: MIT
/*
 * The planner (lib/plan.c), without privileges: labs parsed and checked from
 * inline YAML, planned against each other. Every plan is printed with flags
 * ([i] implicit, [r] re-added route, [t] tolerant) and compared whole; every
 * plan is also checked for order (stages never go back), for its inverse
 * (every op tolerant, verbs flipped, re-added routes put back once) and
 * against the plan the other way round (what plan(b, a) adds or modifies, the
 * inverse of plan(a, b) must add or modify too: a rollback restores
 * everything). Formatted lines and JSON (parsed back with jansson) too.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "nsnet/lab.h"
#include "nsnet/plan.h"
#include "check.h"
#include "lab-root.h"

/* A lab with every kind of object: two bridges, a cable, routes, sysctl, command, NAT. */
static const char BASE[] =
	"name: t\n"
	"bridges:\n"
	"  br0: { addresses: [10.0.0.254/24] }\n"
	"  br1: { addresses: [10.1.0.254/24] }\n"
	"nodes:\n"
	"  h1:\n"
	"    interfaces:\n"
	"      eth0: { bridge: br0, addresses: [10.0.0.1/24] }\n"
	"      eth1: { addresses: [10.9.0.1/30] }\n"
	"    routes: [\"default via 10.0.0.254\", \"10.8.0.0/16 via 10.9.0.2\"]\n"
	"    sysctls: { net.ipv4.ip_forward: 1 }\n"
	"    exec: [\"sleep 600\"]\n"
	"  h2:\n"
	"    interfaces:\n"
	"      eth0: { bridge: br0, addresses: [10.0.0.2/24] }\n"
	"      eth1: { addresses: [10.9.0.2/30] }\n"
	"    routes: [\"default via 10.0.0.254\"]\n"
	"  h3:\n"
	"    interfaces:\n"
	"      eth0: { bridge: br0, addresses: [10.0.0.3/24] }\n"
	"    routes: [\"default via 10.0.0.254\"]\n"
	"links:\n"
	"  - endpoints: [\"h1:eth1\", \"h2:eth1\"]\n"
	"nat:\n"
	"  masquerade: [10.0.0.0/24]\n"
	"  forwards: [{ port: 8080, to: \"h1:80\" }]\n";

/* A fourth node on br0, written before h3. */
static const char H4[] =
	"  h4:\n"
	"    interfaces:\n"
	"      eth0: { bridge: br0, addresses: [10.0.0.4/24] }\n"
	"    routes: [\"default via 10.0.0.254\"]\n"
	"  h3:\n";

static struct nsnet_lab *lab_of(const char *desc, const char *text)
{
	struct nsnet_err e = { 0 };
	struct nsnet_lab *lab = NULL;

	if (!text)
		return NULL;
	if (nsnet_lab_parse(text, strlen(text), "t.yaml", &lab, &e) < 0 ||
	    nsnet_lab_check(lab, &e) < 0) {
		CHECK(0, "%s: lab checks (%s)", desc, e.msg);
		nsnet_lab_free(lab);
		return NULL;
	}
	return lab;
}

/* @s with the first @old replaced by @new (a test bug if @old is absent). */
static char *subst(const char *s, const char *old, const char *new)
{
	const char *at = strstr(s, old);
	char *r;

	if (!at) {
		fprintf(stderr, "test bug: \"%s\" not found\n", old);
		abort();
	}
	if (asprintf(&r, "%.*s%s%s", (int)(at - s), s, new, at + strlen(old)) < 0)
		abort();
	return r;
}

/* Every op as its line, flagged; joined with "\n". Caller frees. */
static char *lines(const struct nsnet_plan *p, int flags)
{
	char *out = strdup(""), line[2048];
	size_t i;

	for (i = 0; out && i < p->n; i++) {
		const struct nsnet_op *o = &p->ops[i];
		char *n;

		nsnet_plan_fmt(p, i, line, sizeof(line));
		if (asprintf(&n, "%s%s%s%s%s%s", out, i ? "\n" : "", line,
			     flags && o->implicit ? " [i]" : "", flags && o->readd ? " [r]" : "",
			     flags && o->tolerant ? " [t]" : "") < 0)
			abort();
		free(out);
		out = n;
	}
	return out;
}

static int sorted(const struct nsnet_plan *p)
{
	size_t i;

	for (i = 1; i < p->n; i++)
		if (p->ops[i].stage < p->ops[i - 1].stage)
			return 0;
	return 1;
}

/* Does @q hold an op (verb, obj, a, b, c)? b/c of -2: any. */
static int has_op(const struct nsnet_plan *q, int verb, int obj, int a, int b, int c)
{
	size_t i;

	for (i = 0; i < q->n; i++) {
		const struct nsnet_op *o = &q->ops[i];

		if (o->verb == verb && o->obj == obj && o->a == a && (b == -2 || o->b == b) &&
		    (c == -2 || o->c == c))
			return 1;
	}
	return 0;
}

/* Is @o the implicit DEL of a route that a readd op of @p puts back? */
static int readd_twin(const struct nsnet_plan *p, const struct nsnet_op *o)
{
	size_t i;

	if (!o->implicit || o->verb != NSNET_OP_DEL || o->obj != NSNET_OBJ_ROUTE)
		return 0;
	for (i = 0; i < p->n; i++)
		if (p->ops[i].readd && p->ops[i].b == o->a && p->ops[i].fa == o->c)
			return 1;
	return 0;
}

/*
 * Properties of the inverse @q of @p: all tolerant, nothing implicit or
 * readd, sorted, one op per op of @p (a readd and its DEL twin: one ADD of
 * the recorded route), verbs flipped.
 */
static void check_inverse(const char *desc, const struct nsnet_plan *p, const struct nsnet_plan *q)
{
	size_t i, nreadd = 0, bad = 0, flags = 0, hairpin;

	for (i = 0; i < q->n; i++)
		flags += !q->ops[i].tolerant || q->ops[i].implicit || q->ops[i].readd;
	CHECK(!flags, "%s: inverse: every op tolerant, none implicit or readd", desc);
	CHECK(sorted(q), "%s: inverse in stage order", desc);
	CHECK(q->from == p->to && q->to == p->from, "%s: inverse goes from \"to\" back to \"from\"",
	      desc);
	for (i = 0; i < p->n; i++) {
		const struct nsnet_op *o = &p->ops[i];
		int ok;

		if (o->readd) {
			nreadd++;
			ok = has_op(q, NSNET_OP_ADD, NSNET_OBJ_ROUTE, o->b, -2, o->fa);
		} else if (readd_twin(p, o)) {
			ok = 1;	/* put back by its readd op, once (counted below) */
		} else if (o->verb == NSNET_OP_MOD) {
			ok = has_op(q, NSNET_OP_MOD, o->obj, o->fa, -2, -2);
		} else {
			ok = has_op(q, o->verb == NSNET_OP_ADD ? NSNET_OP_DEL : NSNET_OP_ADD, o->obj,
				    o->a, o->b, o->c);
		}
		if (!ok) {
			char l[2048];

			bad++;
			printf("# %s: no inverse of: %s\n", desc, nsnet_plan_fmt(p, i, l, sizeof(l)));
		}
	}
	CHECK(!bad, "%s: inverse flips every op (%zu missing)", desc, bad);
	/* plus a NAT rewrite when it puts back bridge ports and forwards exist (hairpin) */
	hairpin = !has_op(p, NSNET_OP_MOD, NSNET_OBJ_NAT, -1, -2, -2) &&
		  !has_op(p, NSNET_OP_ADD, NSNET_OBJ_NAT, -1, -2, -2) &&
		  !has_op(p, NSNET_OP_DEL, NSNET_OBJ_NAT, -1, -2, -2) &&
		  has_op(q, NSNET_OP_MOD, NSNET_OBJ_NAT, -1, -2, -2);
	CHECK(q->n == p->n - nreadd + hairpin, "%s: inverse has %zu ops (%zu readd, %zu hairpin): %zu",
	      desc, p->n - nreadd + hairpin, nreadd, hairpin, q->n);
}

/* Every "+"/"~" line of @back (plan b -> a) appears in @inv (inverse of a -> b). */
static void check_restores(const char *desc, const struct nsnet_plan *back,
			   const struct nsnet_plan *inv)
{
	char *have = lines(inv, 0), l[2048];
	size_t i, missing = 0;

	for (i = 0; i < back->n; i++) {
		char *at;
		size_t len;
		int found = 0;

		if (back->ops[i].verb == NSNET_OP_DEL)
			continue;
		nsnet_plan_fmt(back, i, l, sizeof(l));
		len = strlen(l);
		for (at = have; (at = strstr(at, l)); at += len)
			if ((at == have || at[-1] == '\n') && (at[len] == '\n' || !at[len]))
				found = 1;
		if (!found) {
			missing++;
			printf("# %s: the rollback does not: %s\n", desc, l);
		}
	}
	CHECK(!missing, "%s: the inverse plan restores what plan(to, from) would (%zu missing)",
	      desc, missing);
	free(have);
}

/*
 * Plan @a -> @b (YAML text; NULL: nothing) with @gone nodes of @a, compare
 * its flagged lines with @want and its inverse's with @winv (NULL: not
 * compared), and check the generic properties.
 */
static void expect(const char *desc, const char *a, const char *b, const uint8_t *gone,
		   const char *want, const char *winv)
{
	struct nsnet_lab *la = lab_of(desc, a), *lb = lab_of(desc, b);
	struct nsnet_plan *p = NULL, *q = NULL, *back = NULL;
	struct nsnet_err e = { 0 };
	char *got = NULL, *ginv = NULL;

	if ((a && !la) || (b && !lb))
		goto out;
	if (nsnet_plan_make(la, lb, gone, &p, &e) < 0) {
		CHECK(0, "%s: plan made (%s)", desc, e.msg);
		goto out;
	}
	got = lines(p, 1);
	CHECK(!strcmp(got, want), "%s: plan", desc);
	if (strcmp(got, want))
		printf("# want:\n%s\n# got:\n%s\n", want, got);
	CHECK(sorted(p), "%s: plan in stage order", desc);
	if (nsnet_plan_inverse(p, &q, &e) < 0) {
		CHECK(0, "%s: inverse made (%s)", desc, e.msg);
		goto out;
	}
	check_inverse(desc, p, q);
	ginv = lines(q, 0);
	if (winv) {
		CHECK(!strcmp(ginv, winv), "%s: inverse plan", desc);
		if (strcmp(ginv, winv))
			printf("# want:\n%s\n# got:\n%s\n", winv, ginv);
	}
	if (!gone) {
		if (nsnet_plan_make(lb, la, NULL, &back, &e) < 0)
			CHECK(0, "%s: plan back made (%s)", desc, e.msg);
		else
			check_restores(desc, back, q);
	}
out:
	free(got);
	free(ginv);
	nsnet_plan_free(p);
	nsnet_plan_free(q);
	nsnet_plan_free(back);
	nsnet_lab_free(la);
	nsnet_lab_free(lb);
}

/* expect() on BASE and BASE with @old replaced by @new. */
static void expect_sub(const char *desc, const char *old, const char *new, const char *want,
		       const char *winv)
{
	char *b = subst(BASE, old, new);

	expect(desc, BASE, b, NULL, want, winv);
	free(b);
}

/* ---- tests ---------------------------------------------------------------------- */

static void test_identical(const char *root)
{
	static const char *const topos[] = { "star,5", "linear,4", "tree,2,3", "star,1000" };
	static const char *const files[] = { "seed.yaml", "router.yaml", "cables.yaml",
					     "ipv6.yaml", "auto.yaml" };
	struct nsnet_err e = { 0 };
	size_t i;

	expect("same file", BASE, BASE, NULL, "", "");
	/* ends of a cable named the other way round: the same cable */
	{
		char *a = subst(BASE, "eth1: { addresses: [10.9.0.1/30] }",
				"eth1: { addresses: [10.9.0.1/30], mtu: 9000 }");
		char *b = subst(a, "[\"h1:eth1\", \"h2:eth1\"]", "[\"h2:eth1\", \"h1:eth1\"]");

		expect("cable ends swapped in the file", a, b, NULL, "", "");
		free(a);
		free(b);
	}
	for (i = 0; i < sizeof(topos) / sizeof(topos[0]); i++) {
		struct nsnet_lab *a = NULL, *b = NULL;
		struct nsnet_plan *p = NULL;
		int ret;

		ret = nsnet_lab_topo(topos[i], &a, &e);
		if (!ret)
			ret = nsnet_lab_check(a, &e);
		if (!ret)
			ret = nsnet_lab_topo(topos[i], &b, &e);
		if (!ret)
			ret = nsnet_lab_check(b, &e);
		if (!ret)
			ret = nsnet_plan_make(a, b, NULL, &p, &e);
		CHECK(!ret && p && p->n == 0, "--topo %s twice: empty plan (%zu ops) %s", topos[i],
		      p ? p->n : 0, e.msg);
		nsnet_plan_free(p);
		nsnet_lab_free(a);
		nsnet_lab_free(b);
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[4200];
		struct nsnet_lab *a = NULL, *b = NULL;
		struct nsnet_plan *p = NULL;
		int ret;

		size_t len = 0;
		char *text;

		snprintf(path, sizeof(path), "%s/examples/%s", root, files[i]);
		text = read_all(path, &len);
		a = lab_of(path, text);
		b = lab_of(path, text);
		ret = a && b ? nsnet_plan_make(a, b, NULL, &p, &e) : -EINVAL;
		CHECK(!ret && p && p->n == 0, "examples/%s twice: empty plan %s", files[i], e.msg);
		free(text);
		nsnet_plan_free(p);
		nsnet_lab_free(a);
		nsnet_lab_free(b);
	}
}

static void test_from_to_nothing(void)
{
	expect("up from nothing: every add, in order", NULL, BASE, NULL,
	       "+ bridge br0\n"
	       "+ bridge br1\n"
	       "+ addr br0 10.0.0.254/24\n"
	       "+ addr br1 10.1.0.254/24\n"
	       "+ node h1\n"
	       "+ node h2\n"
	       "+ node h3\n"
	       "+ link h1:eth0 -- br0/h1-eth0\n"
	       "+ link h2:eth0 -- br0/h2-eth0\n"
	       "+ link h3:eth0 -- br0/h3-eth0\n"
	       "+ link h1:eth1 -- h2:eth1\n"
	       "+ addr h1:eth0 10.0.0.1/24\n"
	       "+ addr h1:eth1 10.9.0.1/30\n"
	       "+ addr h2:eth0 10.0.0.2/24\n"
	       "+ addr h2:eth1 10.9.0.2/30\n"
	       "+ addr h3:eth0 10.0.0.3/24\n"
	       "+ route h1 default via 10.0.0.254\n"
	       "+ route h1 10.8.0.0/16 via 10.9.0.2\n"
	       "+ route h2 default via 10.0.0.254\n"
	       "+ route h3 default via 10.0.0.254\n"
	       "+ sysctl h1 net.ipv4.ip_forward=1\n"
	       "+ nat table inet nsnet-t (1 masquerade, 1 forwards)\n"
	       "+ cmd h1 \"sleep 600\"",
	       NULL);
	expect("down to nothing: every delete; what goes with another is implicit", BASE, NULL, NULL,
	       "- cmd h1 \"sleep 600\"\n"
	       "- nat table inet nsnet-t\n"
	       "- route h1 default via 10.0.0.254 [i]\n"
	       "- route h1 10.8.0.0/16 via 10.9.0.2 [i]\n"
	       "- route h2 default via 10.0.0.254 [i]\n"
	       "- route h3 default via 10.0.0.254 [i]\n"
	       "- addr br0 10.0.0.254/24 [i]\n"
	       "- addr h1:eth0 10.0.0.1/24 [i]\n"
	       "- addr h1:eth1 10.9.0.1/30 [i]\n"
	       "- addr br1 10.1.0.254/24 [i]\n"
	       "- addr h2:eth0 10.0.0.2/24 [i]\n"
	       "- addr h2:eth1 10.9.0.2/30 [i]\n"
	       "- addr h3:eth0 10.0.0.3/24 [i]\n"
	       "- link h1:eth0 -- br0/h1-eth0\n"
	       "- link h2:eth0 -- br0/h2-eth0\n"
	       "- link h3:eth0 -- br0/h3-eth0\n"
	       "- link h1:eth1 -- h2:eth1\n"
	       "- node h1\n"
	       "- node h2\n"
	       "- node h3\n"
	       "- bridge br0\n"
	       "- bridge br1\n"
	       "- sysctl h1 net.ipv4.ip_forward (restore) [i]",
	       NULL);
}

static void test_nodes(void)
{
	char *with4 = subst(BASE, "  h3:\n", H4);
	char *nonat = subst(BASE, "nat:\n  masquerade: [10.0.0.0/24]\n"
			    "  forwards: [{ port: 8080, to: \"h1:80\" }]\n", "");
	char *nonat4 = subst(nonat, "  h3:\n", H4);
	char *masq = subst(BASE, "  forwards: [{ port: 8080, to: \"h1:80\" }]\n", "");
	char *masq4 = subst(masq, "  h3:\n", H4);

	expect("a node added to a star (no NAT): its node, cable, address, route", nonat, nonat4, NULL,
	       "+ node h4\n"
	       "+ link h4:eth0 -- br0/h4-eth0\n"
	       "+ addr h4:eth0 10.0.0.4/24\n"
	       "+ route h4 default via 10.0.0.254",
	       "- route h4 default via 10.0.0.254\n"
	       "- addr h4:eth0 10.0.0.4/24\n"
	       "- link h4:eth0 -- br0/h4-eth0\n"
	       "- node h4");
	expect("a node removed from a star (no NAT)", nonat4, nonat, NULL,
	       "- route h4 default via 10.0.0.254 [i]\n"
	       "- addr h4:eth0 10.0.0.4/24 [i]\n"
	       "- link h4:eth0 -- br0/h4-eth0\n"
	       "- node h4",
	       "+ node h4\n"
	       "+ link h4:eth0 -- br0/h4-eth0\n"
	       "+ addr h4:eth0 10.0.0.4/24\n"
	       "+ route h4 default via 10.0.0.254");
	expect("a node added with masquerade only: no NAT change", masq, masq4, NULL,
	       "+ node h4\n"
	       "+ link h4:eth0 -- br0/h4-eth0\n"
	       "+ addr h4:eth0 10.0.0.4/24\n"
	       "+ route h4 default via 10.0.0.254",
	       NULL);
	expect("a node added with forwards: the NAT table is rewritten (hairpin on the new port)",
	       BASE, with4, NULL,
	       "+ node h4\n"
	       "+ link h4:eth0 -- br0/h4-eth0\n"
	       "+ addr h4:eth0 10.0.0.4/24\n"
	       "+ route h4 default via 10.0.0.254\n"
	       "~ nat table inet nsnet-t (1 masquerade, 1 forwards)",
	       "- route h4 default via 10.0.0.254\n"
	       "- addr h4:eth0 10.0.0.4/24\n"
	       "- link h4:eth0 -- br0/h4-eth0\n"
	       "- node h4\n"
	       "~ nat table inet nsnet-t (1 masquerade, 1 forwards)");
	/* its rollback recreates a bridge port: hairpin again */
	expect("a node removed with forwards", with4, BASE, NULL,
	       "- route h4 default via 10.0.0.254 [i]\n"
	       "- addr h4:eth0 10.0.0.4/24 [i]\n"
	       "- link h4:eth0 -- br0/h4-eth0\n"
	       "- node h4",
	       "+ node h4\n"
	       "+ link h4:eth0 -- br0/h4-eth0\n"
	       "+ addr h4:eth0 10.0.0.4/24\n"
	       "+ route h4 default via 10.0.0.254\n"
	       "~ nat table inet nsnet-t (1 masquerade, 1 forwards)");
	expect("a node with a command, sysctl and a cable removed", BASE,
	       "name: t\n"
	       "bridges:\n"
	       "  br0: { addresses: [10.0.0.254/24] }\n"
	       "  br1: { addresses: [10.1.0.254/24] }\n"
	       "nodes:\n"
	       "  h2:\n"
	       "    interfaces:\n"
	       "      eth0: { bridge: br0, addresses: [10.0.0.2/24] }\n"
	       "    routes: [\"default via 10.0.0.254\"]\n"
	       "  h3:\n"
	       "    interfaces:\n"
	       "      eth0: { bridge: br0, addresses: [10.0.0.3/24] }\n"
	       "    routes: [\"default via 10.0.0.254\"]\n"
	       "nat:\n"
	       "  masquerade: [10.0.0.0/24]\n"
	       "  forwards: [{ port: 8080, to: \"h2:80\" }]\n",
	       NULL,
	       "- cmd h1 \"sleep 600\"\n"
	       "- route h1 default via 10.0.0.254 [i]\n"
	       "- route h1 10.8.0.0/16 via 10.9.0.2 [i]\n"
	       "- addr h1:eth0 10.0.0.1/24 [i]\n"
	       "- addr h1:eth1 10.9.0.1/30 [i]\n"
	       "- addr h2:eth1 10.9.0.2/30 [i]\n"
	       "- link h1:eth0 -- br0/h1-eth0\n"
	       "- link h1:eth1 -- h2:eth1\n"
	       "- node h1\n"
	       "- sysctl h1 net.ipv4.ip_forward (restore) [i]\n"
	       "~ nat table inet nsnet-t (1 masquerade, 1 forwards)",
	       NULL);
	free(with4);
	free(nonat);
	free(nonat4);
	free(masq);
	free(masq4);
}

static void test_wires(void)
{
	expect_sub("a cable moved to another bridge, new subnet: that cable, its address, its route",
		   "      eth0: { bridge: br0, addresses: [10.0.0.3/24] }\n"
		   "    routes: [\"default via 10.0.0.254\"]\n",
		   "      eth0: { bridge: br1, addresses: [10.1.0.3/24] }\n"
		   "    routes: [\"default via 10.1.0.254\"]\n",
		   "- route h3 default via 10.0.0.254\n"
		   "- addr h3:eth0 10.0.0.3/24 [i]\n"
		   "- link h3:eth0 -- br0/h3-eth0\n"
		   "+ link h3:eth0 -- br1/h3-eth0\n"
		   "+ addr h3:eth0 10.1.0.3/24\n"
		   "+ route h3 default via 10.1.0.254\n"
		   "~ nat table inet nsnet-t (1 masquerade, 1 forwards)",
		   "- route h3 default via 10.1.0.254\n"
		   "- addr h3:eth0 10.1.0.3/24\n"
		   "- link h3:eth0 -- br1/h3-eth0\n"
		   "+ link h3:eth0 -- br0/h3-eth0\n"
		   "+ addr h3:eth0 10.0.0.3/24\n"
		   "+ route h3 default via 10.0.0.254\n"
		   "~ nat table inet nsnet-t (1 masquerade, 1 forwards)");
	expect_sub("a cable moved, same address: the route via it goes with it and is put back",
		   "eth0: { bridge: br0, addresses: [10.0.0.3/24] }",
		   "eth0: { bridge: br1, addresses: [10.0.0.3/24] }",
		   "- route h3 default via 10.0.0.254 [i]\n"
		   "- addr h3:eth0 10.0.0.3/24 [i]\n"
		   "- link h3:eth0 -- br0/h3-eth0\n"
		   "+ link h3:eth0 -- br1/h3-eth0\n"
		   "+ addr h3:eth0 10.0.0.3/24\n"
		   "+ route h3 default via 10.0.0.254 [r]\n"
		   "~ nat table inet nsnet-t (1 masquerade, 1 forwards)",
		   "- addr h3:eth0 10.0.0.3/24\n"
		   "- link h3:eth0 -- br1/h3-eth0\n"
		   "+ link h3:eth0 -- br0/h3-eth0\n"
		   "+ addr h3:eth0 10.0.0.3/24\n"
		   "+ route h3 default via 10.0.0.254\n"
		   "~ nat table inet nsnet-t (1 masquerade, 1 forwards)");
	expect_sub("an interface MTU changed: one modify",
		   "eth1: { addresses: [10.9.0.1/30] }",
		   "eth1: { addresses: [10.9.0.1/30], mtu: 9000 }",
		   "~ link h1:eth1 -- h2:eth1 (end0 mtu 9000)",
		   "~ link h1:eth1 -- h2:eth1 (end0 mtu 1500)");
	expect_sub("a cable MTU changed: one modify, both ends",
		   "  - endpoints: [\"h1:eth1\", \"h2:eth1\"]\n",
		   "  - endpoints: [\"h1:eth1\", \"h2:eth1\"]\n    mtu: 4000\n",
		   "~ link h1:eth1 -- h2:eth1 (end0 mtu 4000, end1 mtu 4000)",
		   "~ link h1:eth1 -- h2:eth1 (end0 mtu 1500, end1 mtu 1500)");
	expect_sub("a bridge port's MTU changed: one modify",
		   "eth0: { bridge: br0, addresses: [10.0.0.2/24] }",
		   "eth0: { bridge: br0, addresses: [10.0.0.2/24], mtu: 1400 }",
		   "~ link h2:eth0 -- br0/h2-eth0 (end0 mtu 1400, end1 mtu 1400)", NULL);
	expect_sub("a MAC set: one modify",
		   "eth0: { bridge: br0, addresses: [10.0.0.2/24] }",
		   "eth0: { bridge: br0, addresses: [10.0.0.2/24], mac: \"02:00:00:00:00:02\" }",
		   "~ link h2:eth0 -- br0/h2-eth0 (end0 mac)", NULL);
	expect_sub("a bridge MTU changed: one modify", "br1: { addresses: [10.1.0.254/24] }",
		   "br1: { addresses: [10.1.0.254/24], mtu: 1400 }",
		   "~ bridge br1 (mtu 0 -> 1400)", "~ bridge br1 (mtu 1400 -> 0)");
	expect_sub("a bridge added", "  br1: { addresses: [10.1.0.254/24] }\n",
		   "  br1: { addresses: [10.1.0.254/24] }\n  br2: { addresses: [10.2.0.254/24] }\n",
		   "+ bridge br2\n"
		   "+ addr br2 10.2.0.254/24\n"
		   "~ nat table inet nsnet-t (1 masquerade, 1 forwards)",
		   "- addr br2 10.2.0.254/24\n"
		   "- bridge br2\n"
		   "~ nat table inet nsnet-t (1 masquerade, 1 forwards)");
	expect_sub("a bridge removed", "  br1: { addresses: [10.1.0.254/24] }\n", "",
		   "- addr br1 10.1.0.254/24 [i]\n"
		   "- bridge br1\n"
		   "~ nat table inet nsnet-t (1 masquerade, 1 forwards)", NULL);
	expect_sub("a bridge address changed", "br1: { addresses: [10.1.0.254/24] }",
		   "br1: { addresses: [10.1.0.253/24] }",
		   "- addr br1 10.1.0.254/24\n"
		   "+ addr br1 10.1.0.253/24",
		   "- addr br1 10.1.0.253/24\n"
		   "+ addr br1 10.1.0.254/24");
}

static void test_addrs_routes(void)
{
	expect_sub("an address added on a kept interface",
		   "eth0: { bridge: br0, addresses: [10.0.0.2/24] }",
		   "eth0: { bridge: br0, addresses: [10.0.0.2/24, \"fd00::2/64\"] }",
		   "+ addr h2:eth0 fd00::2/64", "- addr h2:eth0 fd00::2/64");
	{
		char *two = subst(BASE, "eth0: { bridge: br0, addresses: [10.0.0.2/24] }",
				  "eth0: { bridge: br0, addresses: [10.0.0.2/24, \"fd00::2/64\"] }");

		expect("an address removed from a kept interface", two, BASE, NULL,
		       "- addr h2:eth0 fd00::2/64", "+ addr h2:eth0 fd00::2/64");
		free(two);
	}
	/* the only address of the gateway's subnet goes first: the kernel drops the route */
	expect_sub("an address changed: the route via its subnet is put back",
		   "eth0: { bridge: br0, addresses: [10.0.0.3/24] }",
		   "eth0: { bridge: br0, addresses: [10.0.0.33/24] }",
		   "- route h3 default via 10.0.0.254 [i]\n"
		   "- addr h3:eth0 10.0.0.3/24\n"
		   "+ addr h3:eth0 10.0.0.33/24\n"
		   "+ route h3 default via 10.0.0.254 [r]",
		   "- addr h3:eth0 10.0.0.33/24\n"
		   "+ addr h3:eth0 10.0.0.3/24\n"
		   "+ route h3 default via 10.0.0.254");
	expect_sub("a route added", "\"10.8.0.0/16 via 10.9.0.2\"]",
		   "\"10.8.0.0/16 via 10.9.0.2\", \"10.7.0.0/16 via 10.0.0.3\"]",
		   "+ route h1 10.7.0.0/16 via 10.0.0.3", "- route h1 10.7.0.0/16 via 10.0.0.3");
	expect_sub("a route removed", ", \"10.8.0.0/16 via 10.9.0.2\"]", "]",
		   "- route h1 10.8.0.0/16 via 10.9.0.2", "+ route h1 10.8.0.0/16 via 10.9.0.2");
	expect_sub("a route's metric changed: delete and add",
		   "\"10.8.0.0/16 via 10.9.0.2\"]", "\"10.8.0.0/16 via 10.9.0.2 metric 5\"]",
		   "- route h1 10.8.0.0/16 via 10.9.0.2\n"
		   "+ route h1 10.8.0.0/16 via 10.9.0.2 metric 5", NULL);
	expect_sub("the address of a route's gateway subnet replaced: the route is put back",
		   "eth1: { addresses: [10.9.0.1/30] }", "eth1: { addresses: [10.9.0.1/29] }",
		   "- route h1 10.8.0.0/16 via 10.9.0.2 [i]\n"
		   "- addr h1:eth1 10.9.0.1/30\n"
		   "+ addr h1:eth1 10.9.0.1/29\n"
		   "+ route h1 10.8.0.0/16 via 10.9.0.2 [r]",
		   "- addr h1:eth1 10.9.0.1/29\n"
		   "+ addr h1:eth1 10.9.0.1/30\n"
		   "+ route h1 10.8.0.0/16 via 10.9.0.2");
	/*
	 * The kernel takes an IPv4 subnet's secondary addresses with its primary
	 * (promote_secondaries off, the default in a namespace), and every IPv4
	 * route through an interface with its last IPv4 address: what stays in
	 * the file is put back.
	 */
	{
		char *a = subst(BASE, "eth1: { addresses: [10.9.0.1/30] }",
				"eth1: { addresses: [10.9.0.1/30, 10.9.0.3/30, \"fd09::1/64\"] }");
		char *b = subst(a, "eth1: { addresses: [10.9.0.1/30, 10.9.0.3/30, \"fd09::1/64\"] }",
				"eth1: { addresses: [10.9.0.3/30, \"fd09::1/64\"] }");

		expect("the primary address of a subnet removed: its secondary is put back", a, b, NULL,
		       "- route h1 10.8.0.0/16 via 10.9.0.2 [i]\n"
		       "- addr h1:eth1 10.9.0.1/30\n"
		       "- addr h1:eth1 10.9.0.3/30 [i]\n"
		       "+ addr h1:eth1 10.9.0.3/30\n"
		       "+ route h1 10.8.0.0/16 via 10.9.0.2 [r]",
		       "- addr h1:eth1 10.9.0.3/30\n"
		       "+ addr h1:eth1 10.9.0.1/30\n"
		       "+ addr h1:eth1 10.9.0.3/30\n"
		       "+ route h1 10.8.0.0/16 via 10.9.0.2");
		free(a);
		free(b);
	}
	{
		char *a = subst(BASE, "\"10.8.0.0/16 via 10.9.0.2\"]",
				"\"10.8.0.0/16 via 10.9.0.2\", \"10.60.0.0/16 dev eth1\", "
				"\"fd60::/64 dev eth1\"]");
		char *b0 = subst(a, "eth1: { addresses: [10.9.0.1/30] }",
				 "eth1: { addresses: [10.9.0.5/30, \"fd09::1/64\"] }");
		char *b = subst(b0, "\"10.8.0.0/16 via 10.9.0.2\"", "\"10.8.0.0/16 via 10.9.0.6\"");
		char *c = subst(a, "eth1: { addresses: [10.9.0.1/30] }",
				"eth1: { addresses: [10.9.0.1/30, 10.9.0.9/30] }");

		expect("the last IPv4 address of an interface replaced: its IPv4 dev routes are put back",
		       a, b, NULL,
		       "- route h1 10.8.0.0/16 via 10.9.0.2\n"
		       "- route h1 10.60.0.0/16 dev eth1 [i]\n"
		       "- addr h1:eth1 10.9.0.1/30\n"
		       "+ addr h1:eth1 10.9.0.5/30\n"
		       "+ addr h1:eth1 fd09::1/64\n"
		       "+ route h1 10.8.0.0/16 via 10.9.0.6\n"
		       "+ route h1 10.60.0.0/16 dev eth1 [r]",
		       NULL);
		expect("an IPv4 address of another subnet removed, one left: nothing else goes", c, a, NULL,
		       "- addr h1:eth1 10.9.0.9/30", NULL);
		free(a);
		free(b0);
		free(b);
		free(c);
	}
	{
		char *a = subst(BASE, "eth1: { addresses: [10.9.0.1/30] }",
				"eth1: { addresses: [] }");
		char *b = subst(a, ", \"10.8.0.0/16 via 10.9.0.2\"]", "]");

		expect("a route and the address of its gateway's subnet removed", BASE, b, NULL,
		       "- route h1 10.8.0.0/16 via 10.9.0.2\n"
		       "- addr h1:eth1 10.9.0.1/30",
		       "+ addr h1:eth1 10.9.0.1/30\n"
		       "+ route h1 10.8.0.0/16 via 10.9.0.2");
		free(a);
		free(b);
	}
}

static void test_sysctls_cmds_nat(void)
{
	expect_sub("a sysctl changed: one modify", "net.ipv4.ip_forward: 1", "net.ipv4.ip_forward: 0",
		   "~ sysctl h1 net.ipv4.ip_forward=0", "~ sysctl h1 net.ipv4.ip_forward=1");
	expect_sub("a sysctl removed: restored", "    sysctls: { net.ipv4.ip_forward: 1 }\n", "",
		   "- sysctl h1 net.ipv4.ip_forward (restore)", "+ sysctl h1 net.ipv4.ip_forward=1");
	expect_sub("a sysctl added", "sysctls: { net.ipv4.ip_forward: 1 }",
		   "sysctls: { net.ipv4.ip_forward: 1, net.ipv6.conf.all.forwarding: 1 }",
		   "+ sysctl h1 net.ipv6.conf.all.forwarding=1",
		   "- sysctl h1 net.ipv6.conf.all.forwarding (restore)");
	expect_sub("a command added", "exec: [\"sleep 600\"]", "exec: [\"sleep 600\", \"sleep 700\"]",
		   "+ cmd h1 \"sleep 700\"", "- cmd h1 \"sleep 700\"");
	expect_sub("a command removed", "    exec: [\"sleep 600\"]\n", "",
		   "- cmd h1 \"sleep 600\"", "+ cmd h1 \"sleep 600\"");
	expect_sub("a command changed", "exec: [\"sleep 600\"]", "exec: [\"sleep 601\"]",
		   "- cmd h1 \"sleep 600\"\n+ cmd h1 \"sleep 601\"", NULL);
	{
		char *a = subst(BASE, "exec: [\"sleep 600\"]", "exec: [\"sleep 9\", \"sleep 9\"]");
		char *b = subst(BASE, "exec: [\"sleep 600\"]", "exec: [\"sleep 9\"]");

		expect("one of two equal commands removed", a, b, NULL, "- cmd h1 \"sleep 9\"", NULL);
		expect("a second equal command added", b, a, NULL, "+ cmd h1 \"sleep 9\"", NULL);
		free(a);
		free(b);
	}
	expect_sub("a forward changed: one NAT modify", "port: 8080", "port: 8081",
		   "~ nat table inet nsnet-t (1 masquerade, 1 forwards)",
		   "~ nat table inet nsnet-t (1 masquerade, 1 forwards)");
	expect_sub("a masquerade added: one NAT modify", "masquerade: [10.0.0.0/24]",
		   "masquerade: [10.0.0.0/24, 10.1.0.0/24]",
		   "~ nat table inet nsnet-t (2 masquerade, 1 forwards)",
		   "~ nat table inet nsnet-t (1 masquerade, 1 forwards)");
	expect_sub("the forward's node address changed: NAT modify too",
		   "eth0: { bridge: br0, addresses: [10.0.0.1/24] }",
		   "eth0: { bridge: br0, addresses: [10.0.0.11/24] }",
		   "- route h1 default via 10.0.0.254 [i]\n"
		   "- addr h1:eth0 10.0.0.1/24\n"
		   "+ addr h1:eth0 10.0.0.11/24\n"
		   "+ route h1 default via 10.0.0.254 [r]\n"
		   "~ nat table inet nsnet-t (1 masquerade, 1 forwards)", NULL);
	expect_sub("NAT removed: the table goes",
		   "nat:\n  masquerade: [10.0.0.0/24]\n  forwards: [{ port: 8080, to: \"h1:80\" }]\n",
		   "", "- nat table inet nsnet-t",
		   "+ nat table inet nsnet-t (1 masquerade, 1 forwards)");
	{
		char *nonat = subst(BASE, "nat:\n  masquerade: [10.0.0.0/24]\n"
				    "  forwards: [{ port: 8080, to: \"h1:80\" }]\n", "");

		expect("NAT added: the table comes", nonat, BASE, NULL,
		       "+ nat table inet nsnet-t (1 masquerade, 1 forwards)",
		       "- nat table inet nsnet-t");
		free(nonat);
	}
}

static void test_gone(void)
{
	uint8_t gone[3] = { 0, 0, 1 }, gone1[3] = { 1, 0, 0 };

	expect("a node whose namespace vanished is recreated with everything inside", BASE, BASE, gone,
	       "- route h3 default via 10.0.0.254 [i]\n"
	       "- addr h3:eth0 10.0.0.3/24 [i]\n"
	       "- link h3:eth0 -- br0/h3-eth0\n"
	       "- node h3\n"
	       "+ node h3\n"
	       "+ link h3:eth0 -- br0/h3-eth0\n"
	       "+ addr h3:eth0 10.0.0.3/24\n"
	       "+ route h3 default via 10.0.0.254\n"
	       "~ nat table inet nsnet-t (1 masquerade, 1 forwards)",
	       NULL);
	/* its cable's other end (in h2) went with it: h2's address there too */
	expect("a vanished node with a cable, a sysctl and a command", BASE, BASE, gone1,
	       "- cmd h1 \"sleep 600\"\n"
	       "- route h1 default via 10.0.0.254 [i]\n"
	       "- route h1 10.8.0.0/16 via 10.9.0.2 [i]\n"
	       "- addr h1:eth0 10.0.0.1/24 [i]\n"
	       "- addr h1:eth1 10.9.0.1/30 [i]\n"
	       "- addr h2:eth1 10.9.0.2/30 [i]\n"
	       "- link h1:eth0 -- br0/h1-eth0\n"
	       "- link h1:eth1 -- h2:eth1\n"
	       "- node h1\n"
	       "- sysctl h1 net.ipv4.ip_forward (restore) [i]\n"
	       "+ node h1\n"
	       "+ link h1:eth0 -- br0/h1-eth0\n"
	       "+ link h1:eth1 -- h2:eth1\n"
	       "+ addr h1:eth0 10.0.0.1/24\n"
	       "+ addr h1:eth1 10.9.0.1/30\n"
	       "+ addr h2:eth1 10.9.0.2/30\n"
	       "+ route h1 default via 10.0.0.254\n"
	       "+ route h1 10.8.0.0/16 via 10.9.0.2\n"
	       "+ sysctl h1 net.ipv4.ip_forward=1\n"
	       "~ nat table inet nsnet-t (1 masquerade, 1 forwards)\n"
	       "+ cmd h1 \"sleep 600\"",
	       NULL);
}

/* Lines and JSON of a few ops; JSON parsed back. */
static void test_format(void)
{
	char *b = subst(BASE, "    exec: [\"sleep 600\"]\n",
			"    exec: [\"echo \\\"hi\\\\there\\\"\\t\"]\n");
	char *c = subst(b, "eth1: { addresses: [10.9.0.1/30] }",
			"eth1: { addresses: [10.9.0.1/30], mtu: 9000 }");
	struct nsnet_lab *la = lab_of("format", BASE), *lb = lab_of("format", c);
	struct nsnet_plan *p = NULL;
	struct nsnet_err e = { 0 };
	char line[2048], *arr = NULL;
	size_t i, len = 0;
	json_error_t je;
	json_t *j;
	FILE *f;

	if (!la || !lb || nsnet_plan_make(la, lb, NULL, &p, &e) < 0) {
		CHECK(0, "format: plan (%s)", e.msg);
		goto out;
	}
	CHECK(p->n == 3, "format: 3 ops (%zu)", p->n);
	if (p->n != 3)
		goto out;
	CHECK(!strcmp(nsnet_plan_fmt(p, 0, line, sizeof(line)), "- cmd h1 \"sleep 600\""),
	      "line: %s", line);
	CHECK(!strcmp(nsnet_plan_fmt(p, 1, line, sizeof(line)),
		      "~ link h1:eth1 -- h2:eth1 (end0 mtu 9000)"), "line: %s", line);
	CHECK(!strcmp(nsnet_plan_fmt(p, 2, line, sizeof(line)),
		      "+ cmd h1 \"echo \"hi\\there\"\t\""), "line: %s", line);
	/* a short buffer is cut, still terminated */
	nsnet_plan_fmt(p, 1, line, 8);
	CHECK(!strcmp(line, "~ link "), "a line cut to its buffer: \"%s\"", line);

	f = open_memstream(&arr, &len);
	fputc('[', f);
	for (i = 0; i < p->n; i++)
		fprintf(f, "%s%s", i ? "," : "", nsnet_plan_fmt_json(p, i, line, sizeof(line)));
	fputc(']', f);
	fclose(f);
	j = json_loads(arr, 0, &je);
	CHECK(j && json_is_array(j) && json_array_size(j) == 3, "JSON array parses back (%s): %s",
	      j ? "" : je.text, arr);
	if (j && json_array_size(j) == 3) {
		json_t *o0 = json_array_get(j, 0), *o1 = json_array_get(j, 1), *o2 = json_array_get(j, 2);

		CHECK(!strcmp(json_string_value(json_object_get(o0, "op")) ?: "", "del") &&
		      !strcmp(json_string_value(json_object_get(o0, "object")) ?: "", "cmd") &&
		      !strcmp(json_string_value(json_object_get(o0, "name")) ?: "",
			      "h1 \"sleep 600\"") && !json_object_get(o0, "detail"),
		      "JSON: del cmd");
		CHECK(!strcmp(json_string_value(json_object_get(o1, "op")) ?: "", "mod") &&
		      !strcmp(json_string_value(json_object_get(o1, "object")) ?: "", "link") &&
		      !strcmp(json_string_value(json_object_get(o1, "name")) ?: "",
			      "h1:eth1 -- h2:eth1") &&
		      !strcmp(json_string_value(json_object_get(o1, "detail")) ?: "",
			      "end0 mtu 9000"), "JSON: mod link with detail");
		CHECK(!strcmp(json_string_value(json_object_get(o2, "op")) ?: "", "add") &&
		      !strcmp(json_string_value(json_object_get(o2, "name")) ?: "",
			      "h1 \"echo \"hi\\there\"\t\""),
		      "JSON: quotes, backslash and tab escaped and read back");
	}
	json_decref(j);
	free(arr);
	nsnet_plan_free(p);
	p = NULL;
	/* a readd op says so in JSON */
	{
		char *m = subst(BASE, "eth1: { addresses: [10.9.0.1/30] }",
				"eth1: { addresses: [10.9.0.1/29] }");
		struct nsnet_lab *lm = lab_of("format readd", m);

		if (lm && nsnet_plan_make(la, lm, NULL, &p, &e) == 0 && p->n == 4) {
			j = json_loads(nsnet_plan_fmt_json(p, 3, line, sizeof(line)), 0, &je);
			CHECK(j && json_is_true(json_object_get(j, "readd")) &&
			      !strcmp(json_string_value(json_object_get(j, "object")) ?: "", "route"),
			      "JSON of a re-added route: %s", line);
			json_decref(j);
			j = json_loads(nsnet_plan_fmt_json(p, 1, line, sizeof(line)), 0, &je);
			CHECK(j && !json_object_get(j, "readd") &&
			      !strcmp(json_string_value(json_object_get(j, "name")) ?: "",
				      "h1:eth1 10.9.0.1/30"), "JSON of an address: %s", line);
			json_decref(j);
		} else {
			CHECK(0, "format readd: plan of 4 ops");
		}
		nsnet_lab_free(lm);
		free(m);
	}
	/* long names full of escapes and multibyte characters: cut, still valid JSON */
	{
		static const char *const fill[] = { "\\t", "\\\"", "\xc3\xa9", "\xe2\x82\xac",
						    "\xf0\x9f\x98\x80" };
		size_t fi;

		for (fi = 0; fi < sizeof(fill) / sizeof(fill[0]); fi++) {
			char cmd[8000] = "exec: [\"", *m;
			struct nsnet_lab *lm;
			struct nsnet_plan *pm = NULL;
			size_t k;

			for (k = 0; k < 900; k++)
				strcat(cmd, fill[fi]);
			strcat(cmd, "\"]");
			m = subst(BASE, "exec: [\"sleep 600\"]", cmd);
			lm = lab_of("long command", m);
			if (lm && nsnet_plan_make(la, lm, NULL, &pm, &e) == 0 && pm->n == 2) {
				json_t *jm = json_loads(nsnet_plan_fmt_json(pm, 1, line, sizeof(line)), 0, &je);

				CHECK(jm && json_string_value(json_object_get(jm, "name")),
				      "JSON of a command of 900 x %s cut to its buffer parses back (%s)",
				      fill[fi], jm ? "" : je.text);
				json_decref(jm);
			} else {
				CHECK(0, "long command: plan of 2 ops");
			}
			nsnet_plan_free(pm);
			nsnet_lab_free(lm);
			free(m);
		}
	}
out:
	nsnet_plan_free(p);
	nsnet_lab_free(la);
	nsnet_lab_free(lb);
	free(b);
	free(c);
}

/* Wires derived from a lab: kinds, ends, host names. */
static void test_wires_of(void)
{
	char *b = subst(BASE, "  - endpoints: [\"h1:eth1\", \"h2:eth1\"]\n",
			"  - endpoints: [\"h1:eth1\", \"h2:eth1\"]\n"
			"  - endpoints: [\"br0\", \"br1\"]\n");
	struct nsnet_lab *lab = lab_of("wires", b);
	struct nsnet_wire *w = NULL;
	size_t n = 0;
	char x[300], y[300];

	if (lab && nsnet_lab_wires(lab, &w, &n) == 0) {
		CHECK(n == 5, "5 wires (%zu)", n);
		if (n == 5) {
			CHECK(w[0].kind == NSNET_WIRE_BRIDGE && w[3].kind == NSNET_WIRE_CABLE &&
			      w[4].kind == NSNET_WIRE_BRBR, "kinds: 3 bridge ports, a cable, br<->br");
			CHECK(!strcmp(nsnet_wire_end_fmt(lab, &w[4], 0, x, sizeof(x)), "br0/br0-br1") &&
			      !strcmp(nsnet_wire_end_fmt(lab, &w[4], 1, y, sizeof(y)), "br1/br1-br0"),
			      "br<->br ends: %s %s", x, y);
		}
	} else {
		CHECK(0, "wires of a lab");
	}
	nsnet_wires_free(w, n);
	CHECK(nsnet_lab_wires(NULL, &w, &n) == 0 && !w && !n, "no lab: no wires");
	nsnet_lab_free(lab);
	free(b);
}

int main(int argc, char **argv)
{
	const char *root = lab_root(argv[0]);

	test_identical(root);
	test_from_to_nothing();
	test_nodes();
	test_wires();
	test_addrs_routes();
	test_sysctls_cmds_nat();
	test_gone();
	test_format();
	test_wires_of();
	return CHECK_DONE();
}
