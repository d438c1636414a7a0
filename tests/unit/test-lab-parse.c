// SPDX-License-Identifier: MIT
/* Lab-file parser: every field, types, syntax errors, limits, the seed lab. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "nsnet/lab.h"
#include "check.h"
#include "lab-root.h"

static const char full[] =
	"name: full_lab-1\n"
	"prefix: \"t-\"\n"
	"bridges:\n"
	"  v-net-0:\n"
	"    addresses: [192.168.15.5/24, \"fd00::5/64\"]\n"
	"    subnet: 192.168.15.0/24\n"
	"    subnet6: \"fd00::/64\"\n"
	"    mtu: 1400\n"
	"  br1:\n"
	"nodes:\n"
	"  red:\n"
	"    interfaces:\n"
	"      eth0: { bridge: v-net-0, addresses: [192.168.15.1/24, \"fd00::1/64\", auto], mtu: 1500, mac: \"02:00:00:00:00:01\", host_name: red-eth0 }\n"
	"      eth1: { addresses: [10.9.0.1/30] }\n"
	"    routes: [\"default via 192.168.15.5\", \"10.2.0.0/16 via 10.9.0.2 metric 5\"]\n"
	"    sysctls: { net.ipv4.ip_forward: 1, net.ipv6.conf.all.forwarding: true }\n"
	"    exec: [\"socat TCP-LISTEN:80,fork EXEC:cat &\"]\n"
	"  blue:\n"
	"    interfaces:\n"
	"      eth0: { bridge: v-net-0, addresses: [auto4, auto6] }\n"
	"  empty:\n"
	"links:\n"
	"  - endpoints: [\"red:eth1\", \"blue:eth1\"]\n"
	"  - endpoints: [\"red:eth2\", \"v-net-0\"]\n"
	"  - endpoints: [\"v-net-0\", \"br1\"]\n"
	"    mtu: 9000\n"
	"nat:\n"
	"  masquerade: [192.168.15.0/24]\n"
	"  forwards:\n"
	"    - { port: 8080, to: \"blue:80\", proto: tcp }\n"
	"    - { port: 5353, to: \"blue:53\", proto: udp, host_address: 192.168.15.5 }\n"
	"    - { port: 9000, to: \"red:9000\", range: 10 }\n";

static int parse(const char *text, const char *file, struct nsnet_lab **lab, struct nsnet_err *e)
{
	nsnet_err_clear(e);
	return nsnet_lab_parse(text, strlen(text), file, lab, e);
}

/* Parse @text, expect -EINVAL and @want in the message. */
static void bad(const char *text, const char *want)
{
	struct nsnet_lab *lab = (void *)1;
	struct nsnet_err e = { 0 };
	int ret = parse(text, "t.yaml", &lab, &e);

	CHECK(ret == -EINVAL && !lab && strstr(e.msg, want), "rejects (%s): %s", want, e.msg);
}

static void test_full(void)
{
	struct nsnet_lab *lab = NULL;
	struct nsnet_err e = { 0 };
	struct nsnet_lab_node *red, *blue;
	struct nsnet_lab_iface *f;
	char b[64];
	int ret = parse(full, "full.yaml", &lab, &e);

	CHECK(ret == 0, "full lab parses (%s)", e.msg);
	if (ret)
		return;
	CHECK(!strcmp(lab->name, "full_lab-1") && !strcmp(lab->prefix, "t-") &&
	      !strcmp(lab->file, "full.yaml"), "name, prefix, file");
	CHECK(lab->nbridges == 2 && !strcmp(lab->bridges[0].name, "v-net-0") &&
	      lab->bridges[0].naddrs == 2 && lab->bridges[0].mtu == 1400, "bridge fields");
	CHECK(!strcmp(nsnet_prefix_fmt(&lab->bridges[0].addrs[1].p, 1, b, sizeof(b)), "fd00::5/64"),
	      "bridge IPv6 address %s", b);
	CHECK(lab->bridges[0].subnet.family == AF_INET && lab->bridges[0].subnet.plen == 24 &&
	      lab->bridges[0].subnet6.family == AF_INET6, "subnet and subnet6");
	CHECK(lab->bridges[0].loc.line == 4 && lab->bridges[0].loc.col == 3, "bridge location %d:%d",
	      lab->bridges[0].loc.line, lab->bridges[0].loc.col);
	CHECK(!strcmp(lab->bridges[1].name, "br1") && !lab->bridges[1].naddrs,
	      "null bridge value is an empty bridge");
	CHECK(lab->nnodes == 3, "three nodes");
	red = &lab->nodes[0];
	blue = &lab->nodes[1];
	CHECK(!strcmp(red->name, "red") && red->nifaces == 2, "red has two interfaces");
	f = &red->ifaces[0];
	CHECK(!strcmp(f->name, "eth0") && !strcmp(f->bridge, "v-net-0") && f->naddrs == 3 &&
	      f->mtu == 1500 && f->has_mac && f->mac[0] == 2 && f->mac[5] == 1 &&
	      !strcmp(f->host_name, "red-eth0"), "eth0 fields");
	CHECK(f->addrs[2].is_auto && f->addrs[2].p.family == 0 && !f->addrs[0].is_auto,
	      "auto address");
	CHECK(f->addrs[1].loc.line == 13, "address location line %d", f->addrs[1].loc.line);
	CHECK(!red->ifaces[1].bridge && red->ifaces[1].naddrs == 1, "eth1 (cable end)");
	CHECK(red->nroutes == 2 && red->routes[1].r.metric == 5 && red->routes[0].r.dst.plen == 0 &&
	      !strcmp(red->routes[0].text, "default via 192.168.15.5"), "routes parsed");
	CHECK(red->nsysctls == 2 && !strcmp(red->sysctls[0].key, "net.ipv4.ip_forward") &&
	      !strcmp(red->sysctls[0].value, "1") && !strcmp(red->sysctls[1].value, "1"),
	      "sysctls (true -> 1)");
	CHECK(red->ncmds == 1 && !strcmp(red->cmds[0], "socat TCP-LISTEN:80,fork EXEC:cat &") &&
	      red->cmd_locs[0].line == 17, "exec");
	CHECK(blue->ifaces[0].addrs[0].is_auto && blue->ifaces[0].addrs[0].p.family == AF_INET &&
	      blue->ifaces[0].addrs[1].p.family == AF_INET6, "auto4, auto6");
	CHECK(!strcmp(lab->nodes[2].name, "empty") && !lab->nodes[2].nifaces, "null node");
	CHECK(lab->nlinks == 3 && !strcmp(lab->links[0].end[1].text, "blue:eth1") &&
	      lab->links[2].mtu == 9000 && lab->links[1].loc.line == 24, "links");
	CHECK(lab->nat.nmasq == 1 && lab->nat.masq[0].p.plen == 24, "masquerade");
	CHECK(lab->nat.nfwd == 3, "three forwards");
	CHECK(lab->nat.fwd[0].port == 8080 && lab->nat.fwd[0].to_port == 80 &&
	      lab->nat.fwd[0].proto == IPPROTO_TCP && !strcmp(lab->nat.fwd[0].node, "blue") &&
	      lab->nat.fwd[0].count == 1 && !lab->nat.fwd[0].host_addr.family, "forward 0");
	CHECK(lab->nat.fwd[1].proto == IPPROTO_UDP && lab->nat.fwd[1].host_addr.family == AF_INET,
	      "forward 1: udp, host_address");
	CHECK(lab->nat.fwd[2].count == 10 && lab->nat.fwd[2].proto == IPPROTO_TCP &&
	      lab->nat.fwd[2].to_port == 9000, "forward 2: range, default tcp");
	CHECK(nsnet_lab_check(lab, &e) == 0, "full lab checks (%s)", e.msg);
	nsnet_lab_free(lab);
}

static void test_defaults(void)
{
	struct nsnet_lab *lab = NULL;
	struct nsnet_err e = { 0 };
	char w[64];

	CHECK(parse("nodes: {}\n", "dir/my-lab.yaml", &lab, &e) == 0 && lab &&
	      !strcmp(lab->name, "my-lab") && !strcmp(lab->prefix, ""),
	      "name defaults to the file stem");
	CHECK(!strcmp(nsnet_lab_where(lab, &(struct nsnet_loc){ 3, 4 }, w, sizeof(w)),
		      "dir/my-lab.yaml:3:4"), "where: %s", w);
	CHECK(!strcmp(nsnet_lab_where(lab, &(struct nsnet_loc){ 0, 0 }, w, sizeof(w)),
		      "dir/my-lab.yaml"), "where without a location: %s", w);
	nsnet_lab_free(lab);
	lab = (void *)1;
	CHECK(parse("nodes: {}\n", "my lab.yaml", &lab, &e) == -EINVAL && !lab &&
	      strstr(e.msg, "file name \"my lab\""), "bad stem: %s", e.msg);
	CHECK(parse("# nothing but a comment\n---\nnodes:\n", "x.yaml", &lab, &e) == 0 && lab &&
	      !lab->nnodes, "null collections are empty");
	nsnet_lab_free(lab);
	nsnet_lab_free(NULL);
	CHECK(1, "nsnet_lab_free(NULL)");
}

static void test_errors(void)
{
	char *big;
	size_t i;

	bad("name: [a]\n", "t.yaml:1:7: name: expected a string, got a list");
	bad("nodes: [a]\n", ":1:8: nodes: expected a mapping, got a list");
	bad("- a\n", ":1:1: expected a mapping, got a list");
	bad("nodes:\n  red:\n    interfaces:\n      eth0: { mtu: \"1500\" }\n",
	    ":4:20: nodes.red.interfaces.eth0.mtu: expected an integer, got \"1500\"");
	bad("nodes:\n  red:\n    interfaces:\n      eth0: { mtu: 99999999999999999999 }\n",
	    "is out of range (68..65535)");
	bad("nodes:\n  red:\n    interfaces:\n      eth0: { mtu: -1 }\n", "expected an integer");
	bad("nodes:\n  red:\n    interfaces:\n      eth0: { addresses: [10.0.0.1] }\n",
	    "\"10.0.0.1\" has no prefix length (e.g. 10.0.0.1/24)");
	bad("nodes:\n  red:\n    interfaces:\n      eth0: { mac: \"01:00:00:00:00:01\" }\n",
	    "multicast");
	bad("nodes:\n  red:\n    interfaces:\n      eth0: { mac: \"00:00:00:00:00:00\" }\n",
	    "all zeros");
	bad("bridges:\n  b: { subnet: 10.0.0.1/24 }\n", "has host bits set (the network is 10.0.0.0/24)");
	bad("bridges:\n  b: { subnet: \"fd00::/64\" }\n", "is not an IPv4 prefix");
	bad("bridges:\n  b: { subnet6: 10.0.0.0/8 }\n", "is not an IPv6 prefix");
	bad("bridges:\n  b: { addresses: [auto] }\n", "\"auto\" is not an address");
	bad("nodes:\n  r: { routes: [\"10.0.0.1/8 via 1.2.3.4\"] }\n", "has host bits set");
	bad("nodes:\n  r: { routes: [\"default\"] }\n", "needs \"via GATEWAY\"");
	bad("nodes:\n  r: { exec: [\"\"] }\n", "nodes.r.exec[0]: empty command");
	bad("nodes:\n  r: { exec: [~] }\n", "expected a string, got nothing (null)");
	bad("nodes:\n  r: { sysctls: { a.b: \"x\\ny\" } }\n", "control characters");
	bad("nodes:\n  r: { sysctls: { a.b: 1, a.b: 2 } }\n", "duplicate key \"a.b\"");
	bad("nodes:\n  r: {}\n  ? [a]\n  : 1\n", "mapping keys must be plain strings");
	bad("nodes:\n  \"r\\0x\": {}\n", ":2:3: NUL byte in a string");
	bad("links:\n  - { mtu: 1500 }\n", "links[0]: missing key \"endpoints\"");
	bad("links:\n  - endpoints: [a]\n", "expected exactly two endpoints, got 1");
	bad("nat:\n  forwards:\n    - { to: \"a:1\" }\n", "missing key \"port\"");
	bad("nat:\n  forwards:\n    - { port: 1 }\n", "missing key \"to\"");
	bad("nat:\n  forwards:\n    - { port: 1, to: \":80\" }\n", "is not NODE:PORT");
	bad("nat:\n  forwards:\n    - { port: 1, to: \"a:1\", host_address: \"::1\" }\n",
	    "is not an IPv4 address");
	bad("nat:\n  masquerade: [10.0.0.1/8]\n", "has host bits set");
	bad("nat:\n  snat: []\n", "unknown key \"snat\" (expected one of: masquerade, forwards)");
	bad("prefix: \"a/b\"\n", "is not a valid namespace-name prefix");
	bad("name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", "is not a valid lab name");
	bad("name: \"\xff\"\n", "YAML: invalid leading UTF-8 octet");
	bad("name: a\n\tnodes: {}\n", "YAML:");
	bad("name: 'unterminated\n", "YAML: found unexpected end of stream");
	bad("", ":1:1: empty lab file");
	/* depth limit also holds inside flow and block collections */
	big = malloc(200001);
	for (i = 0; i < 100000; i++)
		big[i] = '[';
	memset(big + 100000, ']', 100000);
	big[200000] = '\0';
	bad(big, "nested deeper than 64 levels");
	free(big);
}

static void test_limits(void)
{
	struct nsnet_lab *lab = NULL;
	struct nsnet_err e = { 0 };
	size_t n = (4u << 20) + 1;
	char *big = malloc(n + 1);

	memset(big, ' ', n);
	big[n] = '\0';
	CHECK(nsnet_lab_parse(big, n, "big.yaml", &lab, &e) == -EINVAL && strstr(e.msg, "larger than"),
	      "4 MiB limit: %s", e.msg);
	free(big);
	CHECK(nsnet_lab_parse("name: a\nx: \0\n", 13, "nul.yaml", &lab, &e) == -EINVAL &&
	      strstr(e.msg, "nul.yaml:2:4: NUL byte"), "NUL byte: %s", e.msg);
	CHECK(nsnet_lab_parse(NULL, 0, NULL, &lab, &e) == -EINVAL && strstr(e.msg, "<lab>:1:1: empty"),
	      "NULL buffer: %s", e.msg);
}

static void test_seed(const char *root)
{
	struct nsnet_lab *lab = NULL;
	struct nsnet_err e = { 0 };
	char path[4200], *text;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/examples/seed.yaml", root);
	text = read_all(path, &len);
	CHECK(text && len == strlen(nsnet_seed_yaml) && !memcmp(text, nsnet_seed_yaml, len),
	      "nsnet_seed_yaml is byte-identical to %s", path);
	free(text);
	CHECK(nsnet_lab_seed(&lab, &e) == 0 && !strcmp(lab->name, "seed") &&
	      !strcmp(lab->file, "<builtin>") && lab->nnodes == 4 && lab->nbridges == 1,
	      "seed lab parses (%s)", e.msg);
	CHECK(lab && nsnet_lab_check(lab, &e) == 0, "seed lab checks (%s)", e.msg);
	if (lab) {
		char b[64];

		CHECK(!strcmp(lab->nodes[1].name, "blue") &&
		      !strcmp(nsnet_prefix_fmt(&lab->nodes[1].ifaces[0].addrs[0].p, 1, b, sizeof(b)),
			      "192.168.15.2/24") && lab->nat.nfwd == 1 && lab->nat.fwd[0].port == 8080,
		      "seed: blue 192.168.15.2/24, forward 8080");
	}
	nsnet_lab_free(lab);
	lab = NULL;
	CHECK(nsnet_lab_load(path, &lab, &e) == 0 && !strcmp(lab->file, path), "load %s", path);
	nsnet_lab_free(lab);
	lab = (void *)1;
	CHECK(nsnet_lab_load("/nonexistent/lab.yaml", &lab, &e) == -ENOENT && !lab &&
	      strstr(e.msg, "/nonexistent/lab.yaml: "), "load: missing file: %s", e.msg);
	CHECK(nsnet_lab_load(root, &lab, &e) == -EISDIR, "load: directory: %s", e.msg);
}

int main(int argc, char **argv)
{
	test_full();
	test_defaults();
	test_errors();
	test_limits();
	test_seed(lab_root(argv[0]));
	return CHECK_DONE();
}
