// SPDX-License-Identifier: MIT
/* Multi-host labs (hosts:): placement, spanning segments, VNIs, overlay MTU, per-host plans. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nsnet/lab.h"
#include "nsnet/plan.h"
#include "check.h"

static const char lab2[] =
	"name: mh\n"
	"hosts:\n"
	"  h1: { address: 10.200.0.1 }\n"
	"  h2: { address: 10.200.0.2, mtu: 9000 }\n"
	"bridges:\n"
	"  lan: { addresses: [192.168.50.254/24] }\n"
	"  solo: { host: h2 }\n"
	"nodes:\n"
	"  a:\n"
	"    interfaces:\n"
	"      eth0: { bridge: lan, addresses: [192.168.50.1/24] }\n"
	"      eth1: { addresses: [10.1.0.1/30] }\n"
	"  b:\n"
	"    host: h2\n"
	"    interfaces:\n"
	"      eth0: { bridge: lan, addresses: [192.168.50.2/24] }\n"
	"      eth1: { addresses: [10.1.0.2/30] }\n"
	"      eth2: { bridge: solo }\n"
	"links:\n"
	"  - endpoints: [\"a:eth1\", \"b:eth1\"]\n";

static struct nsnet_lab *load(const char *y, struct nsnet_err *e)
{
	struct nsnet_lab *lab = NULL;

	nsnet_err_clear(e);
	if (nsnet_lab_parse(y, strlen(y), "t.yaml", &lab, e) < 0 || nsnet_lab_check(lab, e) < 0) {
		nsnet_lab_free(lab);
		return NULL;
	}
	return lab;
}

static size_t count(const struct nsnet_plan *p, int verb, int obj)
{
	size_t i, n = 0;

	for (i = 0; i < p->n; i++)
		n += p->ops[i].verb == verb && p->ops[i].obj == obj && !p->ops[i].implicit;
	return n;
}

static const struct nsnet_wire *wire_of(const struct nsnet_plan *p, int kind)
{
	size_t i;

	for (i = 0; i < p->ntw; i++)
		if ((int)p->tw[i].kind == kind)
			return &p->tw[i];
	return NULL;
}

int main(void)
{
	struct nsnet_err e = { 0 };
	struct nsnet_lab *lab = load(lab2, &e);
	struct nsnet_plan *p = NULL;
	const struct nsnet_wire *w;
	char line[512];
	size_t i;

	CHECK(lab != NULL, "two-host lab is valid (%s)", e.msg);
	if (!lab)
		return CHECK_DONE();
	CHECK(lab->nhosts == 2 && lab->vxlan_port == 4789, "2 hosts, default port 4789");
	CHECK(lab->nodes[0].host_idx == 0 && lab->nodes[1].host_idx == 1, "a on h1 (default), b on h2");
	CHECK(lab->bridges[0].spans && lab->bridges[0].on_hosts == 3, "lan spans h1 and h2");
	CHECK(!lab->bridges[1].spans && lab->bridges[1].on_hosts == 2, "solo is on h2 only");
	CHECK(lab->links[0].spans && lab->links[0].vni, "the cable a--b spans hosts, VNI %u",
	      lab->links[0].vni);
	CHECK(lab->bridges[0].vni && lab->bridges[0].vni != lab->links[0].vni &&
	      lab->bridges[0].vni <= 0xffffff, "lan VNI %u differs from the cable's", lab->bridges[0].vni);
	CHECK(lab->bridges[0].mtu == 1450 && lab->nodes[1].ifaces[0].mtu == 1450 &&
	      lab->nodes[0].ifaces[1].mtu == 1450, "overlay MTU: the smaller underlay (1500) - 50");
	CHECK(lab->nodes[1].ifaces[2].mtu == 0, "an interface on a one-host bridge keeps its MTU");
	CHECK(lab->nodes[1].ifaces[0].has_mac && lab->nodes[1].ifaces[0].mac[0] == 0x0a &&
	      !lab->nodes[1].ifaces[2].has_mac, "derived MAC on spanning segments only");
	CHECK(lab->local == -1, "no host chosen after check");

	CHECK(nsnet_lab_set_host(lab, "h9", &e) == -EINVAL && strstr(e.msg, "no host \"h9\""),
	      "unknown --host: %s", e.msg);
	CHECK(nsnet_lab_set_host(lab, "h2", &e) == 0 && lab->local == 1, "--host h2");
	CHECK(!nsnet_lab_node_local(lab, 0) && nsnet_lab_node_local(lab, 1) &&
	      nsnet_lab_bridge_local(lab, 0) && nsnet_lab_bridge_local(lab, 1), "h2 holds b, lan, solo");
	CHECK(nsnet_plan_make(NULL, lab, NULL, &p, &e) == 0, "plan of h2's part");
	if (p) {
		CHECK(count(p, NSNET_OP_ADD, NSNET_OBJ_NODE) == 1, "one node (b)");
		CHECK(count(p, NSNET_OP_ADD, NSNET_OBJ_BRIDGE) == 2, "two bridges (lan instance, solo)");
		CHECK(count(p, NSNET_OP_ADD, NSNET_OBJ_BRADDR) == 0, "lan's address is on h1, not here");
		w = wire_of(p, NSNET_WIRE_VXNODE);
		CHECK(w && w->vni == lab->links[0].vni && w->peers == 1 &&
		      !strcmp(lab->nodes[w->node[0]].name, "b"), "b:eth1 is a VXLAN device to h1");
		w = wire_of(p, NSNET_WIRE_VXBR);
		snprintf(line, sizeof(line), "nsx%06x", lab->bridges[0].vni);
		CHECK(w && w->peers == 1 && !strcmp(w->host[0], line), "lan's VXLAN port %s, peer h1",
		      line);
		for (i = 0; i < p->n; i++)
			nsnet_plan_fmt(p, i, line, sizeof(line));
		nsnet_plan_free(p);
		p = NULL;
	}
	nsnet_lab_set_host(lab, "h1", &e);
	CHECK(nsnet_plan_make(NULL, lab, NULL, &p, &e) == 0 && p &&
	      count(p, NSNET_OP_ADD, NSNET_OBJ_BRADDR) == 1 &&
	      count(p, NSNET_OP_ADD, NSNET_OBJ_BRIDGE) == 1, "h1: lan with its address, no solo");
	nsnet_plan_free(p);
	nsnet_lab_free(lab);

	/* errors */
	{
		static const struct { const char *yaml, *want; } bad[] = {
			{ "hosts:\n  h1: { address: 10.0.0.1 }\nnodes:\n  a: { host: h2 }\n",
			  "unknown host" },
			{ "hosts:\n  h1: {}\nnodes:\n  a: {}\n", "missing key \"address\"" },
			{ "hosts:\n  h1: { address: 10.0.0.1, mtu: 500 }\nnodes:\n  a: {}\n",
			  "under 576" },
			{ "hosts:\n  h1: { address: 10.0.0.1 }\n  h2: { address: 10.0.0.1 }\n"
			  "nodes:\n  a: {}\n", "also the address of host h1" },
			{ "nodes:\n  a: {}\nvxlan_port: 5000\n", "no hosts: section" },
			{ "hosts:\n  h1: { address: \"fd00::1\" }\n  h2: { address: \"fd00::2\" }\n"
			  "bridges:\n  br: {}\nnodes:\n  a: { interfaces: { e: { bridge: br, mtu: 1431 } } }\n"
			  "  b: { host: h2, interfaces: { e: { bridge: br } } }\n", "leaves 1430" },
		};
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			lab = load(bad[i].yaml, &e);
			CHECK(!lab && strstr(e.msg, bad[i].want) && strstr(e.msg, "t.yaml:"),
			      "bad %zu: %s", i, e.msg);
			nsnet_lab_free(lab);
		}
	}
	return CHECK_DONE();
}
