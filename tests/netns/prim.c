// SPDX-License-Identifier: MIT
/*
 * Driver for t-prim.sh: exercises the library primitives; the script checks
 * the results with iproute2.
 *   netns-prim setup NS        bridge br0 + veth v-NS/eth0 (peer created in NS),
 *                              addresses, routes, sysctls, macvlan, vxlan
 *   netns-prim err-dupaddr NS  provoked failures: print "error: …", exit 1
 *   netns-prim err-longname | err-dummy | err-gw NS | err-batch NS
 *   netns-prim kind NS KIND NAME   a link of any KIND (nsnet_link_add_kind) in NS
 *                              (tests/vm: kinds this machine's kernel lacks)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>

#include <linux/if_link.h>

#include "nsnet/addr.h"
#include "nsnet/link.h"
#include "nsnet/netns.h"
#include "nsnet/nl.h"
#include "nsnet/route.h"
#include "nsnet/sysctl.h"

static int fail(const char *what, const struct nsnet_err *err)
{
	char b[1024];

	printf("error: %s: %s\n", what, nsnet_err_str(err, b, sizeof(b)));
	return 1;
}

static void pfx(const char *s, struct nsnet_prefix *p)
{
	if (nsnet_prefix_parse(s, p, 1) < 0) {
		fprintf(stderr, "bad prefix %s\n", s);
		exit(2);
	}
}

static int setup(const char *ns)
{
	static const uint8_t mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
	struct nsnet_link_req a = NSNET_LINK_REQ_INIT, peer = NSNET_LINK_REQ_INIT;
	struct nsnet_link_info br, eth0, hv;
	struct nsnet_err err = { 0 };
	struct nsnet_nl *host = NULL, *in = NULL;
	struct nsnet_prefix p;
	struct nsnet_route r;
	struct nsnet_vxlan vx = { 0 };
	char vname[16], old[64];
	int fd, ret = 1;

	fd = nsnet_netns_open(ns, &err);
	if (fd < 0)
		return fail("open", &err);
	if (nsnet_nl_open(&host, -1, &err) < 0 || nsnet_nl_open(&in, fd, &err) < 0) {
		ret = fail("netlink", &err);
		goto out;
	}
	/* host: bridge, then the veth with its peer created directly in NS */
	a.name = "br0";
	a.up = 1;
	nsnet_link_add_bridge(host, &a);
	nsnet_link_get_req(host, "br0", &br);
	if (nsnet_nl_flush(host, &err) < 0) {
		ret = fail("bridge", &err);
		goto out;
	}
	snprintf(vname, sizeof(vname), "v-%.12s", ns);
	a = (struct nsnet_link_req)NSNET_LINK_REQ_INIT;
	a.name = vname;
	a.master = br.ifindex;
	a.mtu = 1400;
	a.mac = mac;
	a.alias = "nsnet:prim";
	a.up = 1;
	peer.name = "eth0";
	peer.netns_fd = fd;
	peer.mtu = 1400;
	nsnet_link_add_veth(host, &a, &peer);
	pfx("10.0.0.254/24", &p);
	nsnet_addr_add(host, br.ifindex, &p);
	pfx("fd00::fe/64", &p);
	nsnet_addr_add(host, br.ifindex, &p);
	nsnet_link_get_req(host, vname, &hv);
	if (nsnet_nl_flush(host, &err) < 0) {
		ret = fail("veth", &err);
		goto out;
	}
	/*
	 * The kernel ignores IFLA_IFALIAS in a create request; set it once
	 * the create is known to have succeeded (never in the same batch: a
	 * create failing with EEXIST would let the set mark a foreign link).
	 */
	printf("alias after create: \"%s\"\n", hv.alias);
	a = (struct nsnet_link_req)NSNET_LINK_REQ_INIT;
	a.ifindex = hv.ifindex;
	a.alias = "nsnet:prim";
	nsnet_link_set(host, &a);
	if (nsnet_nl_flush(host, &err) < 0) {
		ret = fail("alias", &err);
		goto out;
	}
	/* inside: lo + eth0 up, addresses, routes */
	a = (struct nsnet_link_req)NSNET_LINK_REQ_INIT;
	a.name = "lo";
	a.up = 1;
	nsnet_link_set(in, &a);
	a.name = "eth0";
	nsnet_link_set(in, &a);
	nsnet_link_get_req(in, "eth0", &eth0);
	if (nsnet_nl_flush(in, &err) < 0) {
		ret = fail("eth0 up", &err);
		goto out;
	}
	pfx("10.0.0.1/24", &p);
	nsnet_addr_add(in, eth0.ifindex, &p);
	pfx("fd00::1/64", &p);
	nsnet_addr_add(in, eth0.ifindex, &p);
	nsnet_route_parse_str("default via 10.0.0.254", &r, &err);
	nsnet_route_add(in, &r);
	nsnet_route_parse_str("10.9.0.0/16 via 10.0.0.254 metric 50", &r, &err);
	r.oif = eth0.ifindex;
	nsnet_route_add(in, &r);
	nsnet_route_parse_str("10.8.0.0/16 via 10.0.0.254 table 300", &r, &err);
	nsnet_route_add(in, &r);
	nsnet_route_parse_str("default via fd00::fe", &r, &err);
	nsnet_route_add(in, &r);
	/* macvlan on eth0, vxlan over eth0, a bridge with a dot in its name */
	a = (struct nsnet_link_req)NSNET_LINK_REQ_INIT;
	a.name = "mv0";
	nsnet_link_add_macvlan(in, &a, eth0.ifindex, MACVLAN_MODE_PRIVATE);
	a.name = "vx0";
	vx.vni = 42;
	vx.family = AF_INET;
	pfx("10.0.0.1/32", &p);
	memcpy(vx.local, p.addr, 4);
	vx.has_local = 1;
	vx.lower = eth0.ifindex;
	vx.dstport = 4789;
	nsnet_link_add_vxlan(in, &a, &vx);
	a.name = "br.1";
	nsnet_link_add_bridge(in, &a);
	if (nsnet_nl_flush(in, &err) < 0) {
		ret = fail("inside", &err);
		goto out;
	}
	if (nsnet_sysctl(fd, "net.ipv4.ip_forward", "1", old, sizeof(old), &err) < 0) {
		ret = fail("sysctl", &err);
		goto out;
	}
	printf("old ip_forward %s\n", old);
	if (nsnet_sysctl(fd, "net/ipv4/conf/eth0/rp_filter", "2", NULL, 0, &err) < 0 ||
	    nsnet_sysctl(fd, "net.ipv4.conf.br/1.forwarding", "1", NULL, 0, &err) < 0) {
		ret = fail("sysctl", &err);
		goto out;
	}
	if (nsnet_sysctl(fd, "net.ipv4.conf.eth0.rp_filter", NULL, old, sizeof(old), &err) < 0) {
		ret = fail("sysctl read", &err);
		goto out;
	}
	printf("rp_filter %s\n", old);
	printf("bridge %d veth %d (master %d) eth0 %d\n", br.ifindex, hv.ifindex, hv.master,
	       eth0.ifindex);
	ret = 0;
out:
	nsnet_nl_close(host);
	nsnet_nl_close(in);
	close(fd);
	return ret;
}

static int provoke(const char *what, const char *ns)
{
	struct nsnet_link_req a = NSNET_LINK_REQ_INIT;
	struct nsnet_err err = { 0 };
	struct nsnet_nl *nl = NULL;
	struct nsnet_link_info eth0;
	struct nsnet_prefix p;
	struct nsnet_route r;
	int fd = -1, ret;

	if (!strcmp(what, "err-longname")) {
		ret = nsnet_ifname_check("0123456789abcdef", &err);
		return ret < 0 ? fail("name", &err) : 0;
	}
	if (ns) {
		fd = nsnet_netns_open(ns, &err);
		if (fd < 0)
			return fail("open", &err);
	}
	if (nsnet_nl_open(&nl, fd, &err) < 0) {
		ret = fail("netlink", &err);
		goto out;
	}
	ret = 0;
	if (!strcmp(what, "err-dummy")) {
		a.name = "dummy0";
		nsnet_link_add_kind(nl, &a, "dummy");
	} else if (!strcmp(what, "err-dupaddr") || !strcmp(what, "err-batch")) {
		ret = nsnet_link_get(nl, "eth0", &eth0, &err);
		if (ret < 0)
			goto report;
		if (!strcmp(what, "err-batch")) {
			/* a good request, a failing one, a good one: the first error wins */
			pfx("10.0.0.11/24", &p);
			nsnet_addr_add(nl, eth0.ifindex, &p);
		}
		pfx("10.0.0.1/24", &p);
		nsnet_addr_add(nl, eth0.ifindex, &p);
		if (!strcmp(what, "err-batch")) {
			pfx("10.0.0.12/24", &p);
			nsnet_addr_add(nl, eth0.ifindex, &p);
		}
	} else if (!strcmp(what, "err-gw")) {
		nsnet_route_parse_str("10.7.0.0/16 via 10.99.0.1", &r, &err);
		nsnet_route_add(nl, &r);
	} else {
		fprintf(stderr, "unknown command %s\n", what);
		ret = 2;
		goto out;
	}
	ret = nsnet_nl_flush(nl, &err);
report:
	ret = ret < 0 ? fail(what, &err) : 0;
out:
	nsnet_nl_close(nl);
	if (fd >= 0)
		close(fd);
	return ret;
}

static int add_kind(const char *ns, const char *kind, const char *name)
{
	struct nsnet_link_req a = NSNET_LINK_REQ_INIT;
	struct nsnet_err err = { 0 };
	struct nsnet_nl *nl = NULL;
	int fd, ret;

	fd = nsnet_netns_open(ns, &err);
	if (fd < 0)
		return fail("open", &err);
	ret = nsnet_nl_open(&nl, fd, &err);
	if (ret < 0)
		goto out;
	a.name = name;
	a.up = 1;
	nsnet_link_add_kind(nl, &a, kind);
	ret = nsnet_nl_flush(nl, &err);
out:
	nsnet_nl_close(nl);
	close(fd);
	return ret < 0 ? fail(kind, &err) : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "kind"))
		return add_kind(argv[2], argv[3], argv[4]);
	if (argc >= 3 && !strcmp(argv[1], "setup"))
		return setup(argv[2]);
	if (argc >= 2 && !strncmp(argv[1], "err-", 4))
		return provoke(argv[1], argc >= 3 ? argv[2] : NULL);
	fprintf(stderr, "usage: netns-prim setup NS | err-{dupaddr,batch,gw} NS | "
			"err-{longname,dummy} | kind NS KIND NAME\n");
	return 2;
}
