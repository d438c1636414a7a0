// SPDX-License-Identifier: MIT
/*
 * Lab checker: completion (kinds, indices, host-side names, automatic
 * addresses, namespace names, NAT targets), the corpus of bad lab files in
 * tests/labs/bad/ (each names the message it expects on its first line), and
 * every example in examples/.
 */
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "nsnet/lab.h"
#include "check.h"
#include "lab-root.h"

static struct nsnet_lab *checked(const char *text, struct nsnet_err *e)
{
	struct nsnet_lab *lab = NULL;

	nsnet_err_clear(e);
	if (nsnet_lab_parse(text, strlen(text), "t.yaml", &lab, e) < 0)
		return NULL;
	if (nsnet_lab_check(lab, e) < 0) {
		nsnet_lab_free(lab);
		return NULL;
	}
	return lab;
}

static const char *addr(const struct nsnet_lab_addr *a, char *b)
{
	return nsnet_prefix_fmt(&a->p, 1, b, 64);
}

static void test_complete(void)
{
	static const char text[] =
		"name: c\n"
		"prefix: p-\n"
		"bridges:\n"
		"  br0: { subnet: 10.0.0.0/24, subnet6: \"fd00::/64\" }\n"
		"  br1: { addresses: [10.1.0.1/24] }\n"
		"  a-very-long-br: {}\n"
		"nodes:\n"
		"  red:\n"
		"    interfaces:\n"
		"      eth0: { bridge: br0, addresses: [auto, 10.0.0.3/24] }\n"
		"      eth1: { addresses: [10.9.0.1/30] }\n"
		"    routes: [\"10.8.0.0/16 via 10.9.0.2\", \"default via 10.0.0.1\", \"fd01::/64 via fe80::1 dev eth0\"]\n"
		"  blue:\n"
		"    interfaces:\n"
		"      eth0: { bridge: br0, addresses: [auto4, auto6] }\n"
		"  a-rather-long-node-name:\n"
		"    interfaces:\n"
		"      eth0: { bridge: br1, addresses: [10.1.0.7/24] }\n"
		"links:\n"
		"  - endpoints: [\"red:eth1\", \"blue:eth1\"]\n"
		"    mtu: 9000\n"
		"  - endpoints: [\"blue:eth2\", \"br1\"]\n"
		"  - endpoints: [\"br0\", \"a-very-long-br\"]\n"
		"nat:\n"
		"  masquerade: [10.0.0.0/16]\n"
		"  forwards:\n"
		"    - { port: 80, to: \"a-rather-long-node-name:8080\" }\n"
		"    - { port: 80, to: \"blue:80\", proto: udp }\n"
		"    - { port: 81, to: \"blue:80\", host_address: 10.1.0.1 }\n"
		"    - { port: 81, to: \"blue:80\", host_address: 10.0.0.1 }\n";
	struct nsnet_err e = { 0 };
	struct nsnet_lab *lab = checked(text, &e);
	struct nsnet_lab_node *red, *blue, *lng;
	char b[64];

	CHECK(lab != NULL, "completion lab checks (%s)", e.msg);
	if (!lab)
		return;
	red = &lab->nodes[0];
	blue = &lab->nodes[1];
	lng = &lab->nodes[2];
	CHECK(!strcmp(red->ns, "p-red") && !strcmp(lng->ns, "p-a-rather-long-node-name"),
	      "ns = prefix + name");
	/* the bridge takes host 1 of each subnet; interfaces follow in file order */
	CHECK(lab->bridges[0].naddrs == 2 && lab->bridges[0].addrs[0].is_auto &&
	      !strcmp(addr(&lab->bridges[0].addrs[0], b), "10.0.0.1/24"), "bridge auto v4 %s", b);
	CHECK(!strcmp(addr(&lab->bridges[0].addrs[1], b), "fd00::1/64"), "bridge auto v6 %s", b);
	CHECK(red->ifaces[0].naddrs == 3 && !strcmp(addr(&red->ifaces[0].addrs[0], b), "10.0.0.2/24"),
	      "red auto v4 %s", b);
	CHECK(!strcmp(addr(&red->ifaces[0].addrs[1], b), "fd00::2/64"), "red auto v6 %s", b);
	CHECK(!strcmp(addr(&red->ifaces[0].addrs[2], b), "10.0.0.3/24") &&
	      !red->ifaces[0].addrs[2].is_auto, "red explicit %s", b);
	CHECK(!strcmp(addr(&blue->ifaces[0].addrs[0], b), "10.0.0.4/24"),
	      "blue auto4 skips 10.0.0.3 (in use): %s", b);
	CHECK(!strcmp(addr(&blue->ifaces[0].addrs[1], b), "fd00::3/64"), "blue auto6 %s", b);
	CHECK(red->ifaces[0].kind == NSNET_IFACE_BRIDGE && red->ifaces[0].bridge_idx == 0 &&
	      red->ifaces[0].link_idx == -1, "bridge interface: kind, bridge_idx");
	CHECK(!strcmp(red->ifaces[0].host_name, "p-red-eth0"), "host name %s",
	      red->ifaces[0].host_name);
	CHECK(!strncmp(lng->ifaces[0].host_name, "nsv", 3) && strlen(lng->ifaces[0].host_name) == 11,
	      "long host name hashed: %s", lng->ifaces[0].host_name);
	CHECK(red->ifaces[1].kind == NSNET_IFACE_LINK && red->ifaces[1].link_idx == 0 &&
	      red->ifaces[1].mtu == 9000 && !red->ifaces[1].host_name, "cable end red:eth1");
	CHECK(blue->nifaces == 3 && !strcmp(blue->ifaces[1].name, "eth1") &&
	      blue->ifaces[1].kind == NSNET_IFACE_LINK && blue->ifaces[1].link_idx == 0 &&
	      blue->ifaces[1].loc.line == 20, "undeclared cable end blue:eth1 added");
	CHECK(blue->ifaces[2].kind == NSNET_IFACE_BRIDGE && blue->ifaces[2].bridge_idx == 1 &&
	      blue->ifaces[2].link_idx == 1 && !strcmp(blue->ifaces[2].bridge, "br1") &&
	      !strcmp(blue->ifaces[2].host_name, "p-blue-eth2"),
	      "node<->bridge link: bridge interface");
	CHECK(lab->links[0].end[0].node_idx == 0 && lab->links[0].end[0].iface_idx == 1 &&
	      lab->links[0].end[1].node_idx == 1 && lab->links[0].end[1].iface_idx == 1 &&
	      lab->links[0].end[0].bridge_idx == -1, "link 0 ends resolved");
	CHECK(lab->links[1].end[1].bridge_idx == 1 && lab->links[1].end[1].node_idx == -1 &&
	      !lab->links[1].host_name[0] && !lab->links[1].host_name[1],
	      "link 1: node<->bridge, no link host names");
	CHECK(!strcmp(lab->links[2].host_name[0], "br0-a-very-long-br") == 0 &&
	      !strncmp(lab->links[2].host_name[0], "nsv", 3) &&
	      strcmp(lab->links[2].host_name[0], lab->links[2].host_name[1]),
	      "bridge<->bridge host names: %s %s", lab->links[2].host_name[0],
	      lab->links[2].host_name[1]);
	CHECK(lab->nat.fwd[0].node_idx == 2 &&
	      !strcmp(nsnet_prefix_fmt(&lab->nat.fwd[0].to_addr, 0, b, sizeof(b)), "10.1.0.7"),
	      "forward to_addr %s", b);
	CHECK(!strcmp(nsnet_prefix_fmt(&lab->nat.fwd[1].to_addr, 0, b, sizeof(b)), "10.0.0.4"),
	      "forward to blue: first IPv4 on a bridge %s", b);
	CHECK(nsnet_lab_check(lab, &e) == 0 && red->ifaces[0].naddrs == 3 &&
	      !strcmp(addr(&red->ifaces[0].addrs[0], b), "10.0.0.2/24") &&
	      lab->bridges[0].naddrs == 2 && blue->nifaces == 3 &&
	      !strcmp(blue->ifaces[2].host_name, "p-blue-eth2") &&
	      !strcmp(red->ifaces[0].host_name, "p-red-eth0"),
	      "a second check changes nothing (%s)", e.msg);
	nsnet_lab_free(lab);

	lab = checked("bridges:\n  br0: {}\n  br1: {}\nlinks:\n  - endpoints: [br0, br1]\n", &e);
	CHECK(lab && !strcmp(lab->links[0].host_name[0], "br0-br1") &&
	      !strcmp(lab->links[0].host_name[1], "br1-br0"), "bridge<->bridge: br0-br1, br1-br0");
	nsnet_lab_free(lab);
}

static void test_inline_errors(void)
{
	static const struct {
		const char *text, *want;
	} t[] = {
		{ "bridges:\n  br0: {}\nnodes:\n  br0: { interfaces: { x: { bridge: br0 } } }\n"
		  "links:\n  - endpoints: [br0, \"br0:y\"]\n", NULL },
		{ "nodes:\n  r: {}\nlinks:\n  - endpoints: [r, \"r:a\"]\n", "r is a node; write NODE:IFACE" },
		{ "nodes:\n  r: {}\nlinks:\n  - endpoints: [\"r:a\", \"r:a\"]\n", "same interface" },
		{ "bridges:\n  b: {}\nlinks:\n  - endpoints: [b, b]\n", "same bridge" },
		{ "nodes:\n  r: {}\n  s: {}\nlinks:\n  - endpoints: [\"r:a\", \"s:a\"]\n"
		  "  - endpoints: [\"r:a\", \"s:b\"]\n", "already an endpoint of links[0]" },
		{ "nodes:\n  r: { interfaces: { lo: {} } }\n", "loopback" },
		{ "nodes:\n  r: {}\n  s: {}\nlinks:\n  - endpoints: [\"r:lo\", \"s:a\"]\n", "cannot be cabled" },
		{ "nodes:\n  r: { interfaces: { a: { host_name: x } } }\n  s: {}\n"
		  "links:\n  - endpoints: [\"r:a\", \"s:a\"]\n", "only interfaces on a bridge" },
		{ "bridges:\n  b: {}\nnodes:\n  r: { interfaces: { a: { bridge: b, host_name: b } } }\n",
		  "is already a bridge name" },
		{ "bridges:\n  b: {}\nnodes:\n  r: { interfaces: { a: { bridge: b, host_name: \"x y\" } } }\n",
		  "host_name: invalid interface name" },
		{ "bridges:\n  \"b:1\": {}\n", "bridges.\"b:1\": invalid interface name" },
		{ "nodes:\n  r: { interfaces: { a: { addresses: [auto] } } }\n  s: {}\n"
		  "links:\n  - endpoints: [\"r:a\", \"s:a\"]\n", "auto needs an interface on a bridge" },
		{ "bridges:\n  b: { subnet: 10.0.0.0/24 }\nnodes:\n  r: { interfaces: { a: { bridge: b, addresses: [auto6] } } }\n",
		  "auto6 needs a subnet6 on bridge b" },
		{ "bridges:\n  b: { subnet: 10.0.0.0/31 }\nnodes:\n  r: { interfaces: { a: { bridge: b, addresses: [auto] } } }\n",
		  "no free address left in 10.0.0.0/31" },
		{ "bridges:\n  b: { addresses: [10.0.0.1/24, 10.0.0.1/16] }\n", "duplicate address 10.0.0.1" },
		{ "nodes:\n  r: { sysctls: { \"a b\": 1 } }\n", "bad character" },
		{ "nat:\n  forwards:\n    - { port: 1, to: \"x:1\" }\n", "unknown node x" },
		{ "bridges:\n  b: { addresses: [10.0.0.1/24] }\nnodes:\n  r: { interfaces: { a: { bridge: b, addresses: [10.0.0.2/24] } } }\n"
		  "nat:\n  forwards:\n    - { port: 1, to: \"r:1\", host_address: 10.0.0.1 }\n    - { port: 1, to: \"r:2\" }\n",
		  "nat.forwards[1]: host port 1/tcp is already forwarded by nat.forwards[0]" },
	};
	struct nsnet_err e = { 0 };
	struct nsnet_lab *lab;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		lab = checked(t[i].text, &e);
		if (!t[i].want) {
			CHECK(lab != NULL, "inline %zu valid (%s)", i, e.msg);
		} else {
			CHECK(!lab && e.error == -EINVAL && strstr(e.msg, t[i].want),
			      "inline %zu: %s", i, e.msg);
		}
		nsnet_lab_free(lab);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted list of the .yaml files in DIR; returns the count. */
static size_t list_yaml(const char *dir, char ***out)
{
	struct dirent *de;
	char **v = NULL;
	size_t n = 0;
	DIR *d = opendir(dir);

	*out = NULL;
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l < 6 || strcmp(de->d_name + l - 5, ".yaml"))
			continue;
		v = realloc(v, (n + 1) * sizeof(*v));
		if (asprintf(&v[n], "%s/%s", dir, de->d_name) < 0)
			abort();
		n++;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_str);
	*out = v;
	return n;
}

static int matches(const char *msg, const char *want)
{
	regex_t re;
	int ok;

	if (strstr(msg, want))
		return 1;
	if (regcomp(&re, want, REG_EXTENDED | REG_NOSUB))
		return 0;
	ok = !regexec(&re, msg, 0, NULL, 0);
	regfree(&re);
	return ok;
}

static void test_corpus(const char *root)
{
	char dir[4200], **files, want[512];
	struct nsnet_err e = { 0 };
	size_t n, i;

	snprintf(dir, sizeof(dir), "%s/tests/labs/bad", root);
	n = list_yaml(dir, &files);
	CHECK(n >= 30, "%zu bad lab files in %s", n, dir);
	for (i = 0; i < n; i++) {
		struct nsnet_lab *lab = NULL;
		size_t len = 0, wl;
		char *text = read_all(files[i], &len);
		const char *nl;
		int ret;

		if (!text || strncmp(text, "# expect: ", 10) || !(nl = strchr(text, '\n'))) {
			CHECK(0, "%s: no \"# expect: \" first line", files[i]);
			free(text);
			continue;
		}
		wl = (size_t)(nl - text - 10);
		snprintf(want, sizeof(want), "%.*s", (int)wl, text + 10);
		nsnet_err_clear(&e);
		ret = nsnet_lab_parse(text, len, files[i], &lab, &e);
		if (!ret) {
			ret = nsnet_lab_check(lab, &e);
			nsnet_lab_free(lab);
		} else {
			CHECK(lab == NULL, "%s: no lab on failure", files[i]);
		}
		CHECK(ret == -EINVAL && *want && strncmp(e.msg, files[i], strlen(files[i])) == 0 &&
		      matches(e.msg, want), "%s: %s", strrchr(files[i], '/') + 1, e.msg);
		free(text);
		free(files[i]);
	}
	free(files);
}

static void test_examples(const char *root)
{
	char dir[4200], **files;
	struct nsnet_err e = { 0 };
	size_t n, i;

	snprintf(dir, sizeof(dir), "%s/examples", root);
	n = list_yaml(dir, &files);
	CHECK(n >= 5, "%zu examples", n);
	for (i = 0; i < n; i++) {
		struct nsnet_lab *lab = NULL;
		int ret;

		nsnet_err_clear(&e);
		ret = nsnet_lab_load(files[i], &lab, &e);
		if (!ret)
			ret = nsnet_lab_check(lab, &e);
		CHECK(ret == 0, "%s is valid (%s)", files[i], e.msg);
		nsnet_lab_free(lab);
		free(files[i]);
	}
	free(files);
}

/* A bridge holds at most NSNET_BRIDGE_PORT_MAX ports (default 1023): node interfaces and bridge links. */
static void test_port_limit(void)
{
	static const char three[] =
		"bridges:\n"
		"  b: {}\n"
		"  c: {}\n"
		"nodes:\n"
		"  r: { interfaces: { a: { bridge: b } } }\n"
		"  s: { interfaces: { a: { bridge: b } } }\n"
		"  t: {}\n"
		"links:\n"
		"  - endpoints: [b, c]\n"
		"  - endpoints: [\"t:x\", c]\n";
	struct nsnet_err e = { 0 };
	struct nsnet_lab *lab;

	setenv("NSNET_BRIDGE_PORT_MAX", "3", 1);
	lab = checked(three, &e);
	CHECK(lab != NULL, "3 ports on b (2 interfaces + a bridge link), limit 3: valid (%s)", e.msg);
	nsnet_lab_free(lab);
	setenv("NSNET_BRIDGE_PORT_MAX", "2", 1);
	lab = checked(three, &e);
	CHECK(!lab && e.error == -EINVAL &&
	      !strcmp(e.msg, "t.yaml:2:3: bridges.b: 3 ports (node interfaces and bridge links on it), "
			     "more than a Linux bridge holds (2)"), "limit 2: %s", e.msg);
	setenv("NSNET_BRIDGE_PORT_MAX", "junk", 1);
	lab = checked(three, &e);
	CHECK(lab != NULL, "a bad knob value is the kernel's limit (%s)", e.msg);
	nsnet_lab_free(lab);
	unsetenv("NSNET_BRIDGE_PORT_MAX");
}

int main(int argc, char **argv)
{
	const char *root = lab_root(argv[0]);

	test_complete();
	test_inline_errors();
	test_port_limit();
	test_corpus(root);
	test_examples(root);
	return CHECK_DONE();
}
