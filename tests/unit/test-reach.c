// SPDX-License-Identifier: MIT
/* The pairs pingall tests (nsnet_lab_ping_pairs): routed, families, --segment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsnet/lab.h"
#include "nsnet/reach.h"
#include "check.h"

/* a - lan1 - r - lan2 - b; a and r dual-stack, b IPv4 only; c on no segment with a */
static const char *const LAB =
	"name: t\n"
	"bridges:\n"
	"  lan1: { addresses: [10.1.0.254/24] }\n"
	"  lan2: { addresses: [10.2.0.254/24] }\n"
	"nodes:\n"
	"  r:\n"
	"    interfaces:\n"
	"      eth0: { bridge: lan1, addresses: [10.1.0.1/24, 'fd01::1/64'] }\n"
	"      eth1: { bridge: lan2, addresses: [10.2.0.1/24, 'fd02::1/64'] }\n"
	"  a:\n"
	"    interfaces:\n"
	"      eth0: { bridge: lan1, addresses: [10.1.0.2/24, 'fd01::2/64'] }\n"
	"  b:\n"
	"    interfaces:\n"
	"      eth0: { bridge: lan2, addresses: [10.2.0.2/24] }\n";

static size_t count(const struct nsnet_lab *lab, const struct nsnet_reach_pair *v, size_t n,
		    const char *src, const char *dst, int family, int routed)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		if (!strcmp(lab->nodes[v[i].src].name, src) && !strcmp(lab->nodes[v[i].dst].name, dst) &&
		    (!family || v[i].addr.family == family) &&
		    (routed < 0 || (v[i].src_iface == NSNET_PAIR_ROUTED) == routed))
			c++;
	return c;
}

int main(void)
{
	struct nsnet_err e = { 0 };
	struct nsnet_lab *lab = NULL;
	struct nsnet_reach_pair *v = NULL;
	size_t n = 0, i;
	int sorted = 1;

	CHECK(nsnet_lab_parse(LAB, strlen(LAB), "t.yaml", &lab, &e) == 0 &&
	      nsnet_lab_check(lab, &e) == 0, "lab parses (%s)", e.msg);
	if (!lab)
		return CHECK_DONE();
	CHECK(nsnet_lab_ping_pairs(lab, 0, &v, &n) == 0, "all pairs");
	/* a: r (2 v4 + 2 v6) + b (1 v4); r: a (2) + b (1); b: r (2 v4) + a (1 v4) */
	CHECK(n == 5 + 3 + 3, "11 pairs (got %zu)", n);
	CHECK(count(lab, v, n, "a", "b", 2, 1) == 1, "a -> b routed, IPv4");
	CHECK(count(lab, v, n, "a", "r", 10, 0) == 1 && count(lab, v, n, "a", "r", 10, 1) == 1,
	      "a -> r: fd01::1 on its segment, fd02::1 routed");
	CHECK(count(lab, v, n, "b", "a", 10, -1) == 0 && count(lab, v, n, "b", "r", 10, -1) == 0,
	      "b (IPv4 only) pings no IPv6 address");
	CHECK(count(lab, v, n, "r", "b", 10, -1) == 0, "nobody pings b over IPv6 (it has none)");
	for (i = 1; i < n; i++)
		if (v[i].src < v[i - 1].src || (v[i].src == v[i - 1].src && v[i].dst < v[i - 1].dst))
			sorted = 0;
	CHECK(sorted, "sorted by src, then dst");
	free(v);
	CHECK(nsnet_lab_ping_pairs(lab, NSNET_PAIRS_SEGMENT, &v, &n) == 0, "segment pairs");
	/* a<->r on lan1 (a: 10.1.0.1, fd01::1; r: 2), b<->r on lan2 (b: 10.2.0.1; r: 10.2.0.2) */
	CHECK(n == 2 + 2 + 1 + 1, "6 segment pairs (got %zu)", n);
	for (i = 0; i < n; i++)
		CHECK(v[i].src_iface != NSNET_PAIR_ROUTED, "segment pair %zu has a source interface", i);
	CHECK(count(lab, v, n, "a", "b", 0, -1) == 0, "--segment: a and b share nothing");
	free(v);
	nsnet_lab_free(lab);
	return CHECK_DONE();
}
