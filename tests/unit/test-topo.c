// SPDX-License-Identifier: MIT
/* Generated topologies: star,N  linear,N  tree,DEPTH,FANOUT. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nsnet/lab.h"
#include "check.h"

static struct nsnet_lab *topo(const char *spec, struct nsnet_err *e)
{
	struct nsnet_lab *lab = NULL;

	nsnet_err_clear(e);
	if (nsnet_lab_topo(spec, &lab, e) < 0)
		return NULL;
	if (nsnet_lab_check(lab, e) < 0) {
		nsnet_lab_free(lab);
		return NULL;
	}
	return lab;
}

static const char *ip(const struct nsnet_lab_iface *f, char *b)
{
	return nsnet_prefix_fmt(&f->addrs[0].p, 1, b, 64);
}

static void test_star(void)
{
	struct nsnet_err e = { 0 };
	struct nsnet_lab *lab = topo("star,3", &e);
	char b[64];

	CHECK(lab != NULL, "star,3 (%s)", e.msg);
	if (!lab)
		return;
	CHECK(!strcmp(lab->name, "star-3") && lab->nbridges == 1 &&
	      !strcmp(lab->bridges[0].name, "br0") && lab->nnodes == 3 && !lab->nlinks,
	      "star-3: br0, 3 nodes");
	CHECK(!strcmp(nsnet_prefix_fmt(&lab->bridges[0].addrs[0].p, 1, b, sizeof(b)),
		      "10.0.0.1/16") && lab->bridges[0].subnet.plen == 16, "br0 10.0.0.1/16 %s", b);
	CHECK(!strcmp(lab->nodes[2].name, "h3") && !strcmp(lab->nodes[2].ns, "h3") &&
	      !strcmp(ip(&lab->nodes[2].ifaces[0], b), "10.0.0.4/16") &&
	      lab->nodes[2].ifaces[0].addrs[0].is_auto, "h3 auto 10.0.0.4/16: %s", b);
	CHECK(!strcmp(lab->nodes[0].ifaces[0].host_name, "h1-eth0") &&
	      lab->nodes[0].ifaces[0].kind == NSNET_IFACE_BRIDGE, "h1-eth0 on br0");
	CHECK(lab->nodes[0].nroutes == 1 &&
	      !strcmp(lab->nodes[0].routes[0].text, "default via 10.0.0.1") &&
	      lab->nodes[0].routes[0].r.gw.family, "default route via 10.0.0.1");
	CHECK(!strcmp(lab->file, "<topo star,3>"), "file %s", lab->file);
	nsnet_lab_free(lab);
}

static void test_linear(void)
{
	struct nsnet_err e = { 0 };
	struct nsnet_lab *lab = topo("linear,4", &e);
	char b[64];

	CHECK(lab != NULL, "linear,4 (%s)", e.msg);
	if (!lab)
		return;
	CHECK(!strcmp(lab->name, "linear-4") && lab->nbridges == 4 && lab->nnodes == 4 &&
	      lab->nlinks == 3, "linear-4: 4 bridges, 4 hosts, 3 links");
	CHECK(lab->bridges[0].naddrs == 1 && !lab->bridges[1].naddrs, "host address only on s1");
	CHECK(lab->nodes[3].ifaces[0].bridge_idx == 3 &&
	      !strcmp(ip(&lab->nodes[3].ifaces[0], b), "10.0.0.5/16"), "h4 on s4, %s", b);
	CHECK(!strcmp(lab->links[2].host_name[0], "s3-s4") &&
	      !strcmp(lab->links[2].host_name[1], "s4-s3") && lab->links[2].end[0].bridge_idx == 2,
	      "s3 <-> s4");
	nsnet_lab_free(lab);
}

static void test_tree(void)
{
	struct nsnet_err e = { 0 };
	struct nsnet_lab *lab = topo("tree,3,2", &e);
	char b[64];
	size_t i;
	int ok = 1;

	CHECK(lab != NULL, "tree,3,2 (%s)", e.msg);
	if (!lab)
		return;
	CHECK(!strcmp(lab->name, "tree-3-2") && lab->nbridges == 7 && lab->nnodes == 8 &&
	      lab->nlinks == 6, "tree-3-2: 7 bridges, 8 hosts, 6 links");
	/* s1 -> s2, s3; s2 -> s4, s5; s3 -> s6, s7 */
	for (i = 0; i < lab->nlinks; i++)
		ok &= lab->links[i].end[0].bridge_idx == (int)i / 2 &&
		      lab->links[i].end[1].bridge_idx == (int)i + 1;
	CHECK(ok, "tree links parent -> child");
	CHECK(lab->nodes[0].ifaces[0].bridge_idx == 3 && lab->nodes[7].ifaces[0].bridge_idx == 6,
	      "hosts on the leaves s4..s7");
	CHECK(!strcmp(ip(&lab->nodes[7].ifaces[0], b), "10.0.0.9/24"), "h8 %s", b);
	nsnet_lab_free(lab);
	lab = topo("tree,1,1", &e);
	CHECK(lab && lab->nbridges == 1 && lab->nnodes == 1, "tree,1,1 (%s)", e.msg);
	nsnet_lab_free(lab);
	lab = topo("tree,2,64", &e);
	CHECK(lab && lab->nnodes == 4096 && lab->nbridges == 65 &&
	      lab->bridges[0].subnet.plen == 0 && lab->nodes[4095].ifaces[0].addrs[0].p.plen == 19,
	      "tree,2,64: 4096 hosts in a /19 (%s)", e.msg);
	nsnet_lab_free(lab);
}

static void test_big(void)
{
	struct nsnet_err e = { 0 };
	struct nsnet_lab *lab = topo("star,4096", &e);
	char b[64];

	CHECK(lab && lab->nnodes == 4096 &&
	      !strcmp(ip(&lab->nodes[4095].ifaces[0], b), "10.0.16.1/16") &&
	      !strcmp(lab->nodes[4095].ifaces[0].host_name, "h4096-eth0"),
	      "star,4096: h4096 %s (%s)", b, e.msg);
	nsnet_lab_free(lab);
	lab = topo("linear,4096", &e);
	CHECK(lab && lab->nlinks == 4095 && !strcmp(lab->links[4094].host_name[0], "s4095-s4096"),
	      "linear,4096 (%s)", e.msg);
	nsnet_lab_free(lab);
}

/* Above the bridge port limit a star is a fabric: leaves under the spine br0, one subnet. */
static void test_fabric(void)
{
	struct nsnet_err e = { 0 };
	struct nsnet_lab *lab = topo("star,1000", &e);
	char b[64];
	size_t i;
	int ok = 1;

	CHECK(lab && lab->nbridges == 1 && lab->nnodes == 1000, "star,1000: one bridge (%s)", e.msg);
	nsnet_lab_free(lab);
	lab = topo("star,1001", &e);
	CHECK(lab && lab->nbridges == 4 && lab->nnodes == 1001,
	      "star,1001: a broadcast to 1000 others would overflow the backlog: 3 leaves (%s)",
	      e.msg);
	nsnet_lab_free(lab);
	lab = topo("star,10000", &e);
	CHECK(lab && lab->nbridges == 26 && lab->nlinks == 25 && lab->nnodes == 10000,
	      "star,10000: br0 + a chain of 25 leaves (%s)", e.msg);
	if (lab) {
		for (i = 0; i < lab->nlinks; i++)
			ok &= lab->links[i].end[0].bridge_idx == (int)i + 1 &&
			      lab->links[i].end[1].bridge_idx == (int)i;
		CHECK(ok && !strcmp(lab->bridges[0].name, "br0") &&
		      !strcmp(lab->bridges[25].name, "br0-25") && !lab->bridges[1].naddrs,
		      "br0-1 cabled to br0, br0-K to br0-(K-1); only br0 has an address");
		CHECK(lab->nodes[0].ifaces[0].bridge_idx == 1 &&
		      lab->nodes[9999].ifaces[0].bridge_idx == 25 &&
		      lab->nodes[399].ifaces[0].bridge_idx == 1 &&
		      lab->nodes[400].ifaces[0].bridge_idx == 2, "400 hosts per leaf");
		CHECK(!strcmp(ip(&lab->nodes[9999].ifaces[0], b), "10.0.39.17/16") &&
		      !strcmp(lab->nodes[9999].routes[0].text, "default via 10.0.0.1"),
		      "h10000 %s, default via the spine", b);
		CHECK(!strcmp(lab->links[0].host_name[0], "br0-1-br0"), "uplink %s",
		      lab->links[0].host_name[0]);
	}
	nsnet_lab_free(lab);
	setenv("NSNET_BRIDGE_PORT_MAX", "10", 1);
	lab = topo("star,30", &e);
	CHECK(lab && lab->nbridges == 5 && lab->nnodes == 30, "limit 10: star,30 has 4 leaves (%s)",
	      e.msg);
	if (lab) {
		size_t per[5] = { 0 };

		for (i = 0; i < lab->nnodes; i++)
			per[lab->nodes[i].ifaces[0].bridge_idx]++;
		CHECK(!per[0] && per[1] == 8 && per[2] == 7 && per[3] == 8 && per[4] == 7,
		      "spread evenly, at most 8 (10 ports, 2 for the chain): %zu %zu %zu %zu",
		      per[1], per[2], per[3], per[4]);
	}
	nsnet_lab_free(lab);
	lab = topo("star,1000", &e);
	CHECK(lab && lab->nbridges == 126, "limit 10: star,1000 is a chain of 125 leaves (%s)",
	      e.msg);
	nsnet_lab_free(lab);
	setenv("NSNET_BRIDGE_PORT_MAX", "2", 1);
	lab = (void *)1;
	CHECK(nsnet_lab_topo("star,3", &lab, &e) == -EINVAL && !lab &&
	      strstr(e.msg, "no port left for hosts"), "limit 2: star,3 refused: %s", e.msg);
	setenv("NSNET_BRIDGE_PORT_MAX", "10", 1);
	lab = (void *)1;
	CHECK(nsnet_lab_topo("tree,2,10", &lab, &e) == -EINVAL && !lab &&
	      strstr(e.msg, "a bridge would have 11 ports, more than a Linux bridge holds (10)"),
	      "limit 10: tree,2,10 refused by the generator: %s", e.msg);
	lab = topo("tree,2,9", &e);
	CHECK(lab != NULL, "limit 10: tree,2,9 (9 below, 1 up) is valid (%s)", e.msg);
	nsnet_lab_free(lab);
	lab = topo("tree,1,10", &e);
	CHECK(lab != NULL, "limit 10: tree,1,10 (the root: no uplink) is valid (%s)", e.msg);
	nsnet_lab_free(lab);
	lab = (void *)1;
	CHECK(nsnet_lab_topo("tree,1,11", &lab, &e) == -EINVAL && !lab &&
	      strstr(e.msg, "star,N builds a fabric"), "limit 10: tree,1,11 refused, star named: %s",
	      e.msg);
	unsetenv("NSNET_BRIDGE_PORT_MAX");
	lab = (void *)1;
	CHECK(nsnet_lab_topo("tree,1,4422", &lab, &e) == -EINVAL && !lab,
	      "tree,1,4422 refused (fuzz-parse found it generated an invalid lab)");
}

static void test_bad(void)
{
	static const char *const bad[] = {
		"star,0", "star,65001", "linear,65001", "linear,0", "linear,99999999999", "tree,0,2", "tree,2,0",
		"tree,17,2", "tree,2", "tree,2,2,2", "star", "star,", "star,x", "star,-1", "ring,3",
		"", "star,3 ", "linear,+3",
	};
	struct nsnet_lab *lab;
	struct nsnet_err e = { 0 };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		lab = (void *)1;
		nsnet_err_clear(&e);
		CHECK(nsnet_lab_topo(bad[i], &lab, &e) == -EINVAL && !lab &&
		      strstr(e.msg, "topology"), "rejects \"%s\": %s", bad[i], e.msg);
	}
	lab = (void *)1;
	CHECK(nsnet_lab_topo(NULL, &lab, &e) == -EINVAL && !lab, "rejects NULL");
}

int main(void)
{
	test_star();
	test_linear();
	test_tree();
	test_big();
	test_fabric();
	test_bad();
	return CHECK_DONE();
}
