// SPDX-License-Identifier: MIT
/* nsnet-cni configuration and environment parsing (pure). */
#include "../../cni/config.c"

#include "check.h"

static struct cni_env env_add = { .cmd = CNI_ADD };

static int parse(const char *s, struct cni_conf *c, struct cni_error *e)
{
	memset(e, 0, sizeof(*e));
	return cni_conf_parse(s, strlen(s), &env_add, c, e);
}

static int code_of(const char *s)
{
	struct cni_conf c;
	struct cni_error e;
	int ret = parse(s, &c, &e);

	cni_conf_free(&c);
	return ret < 0 ? e.code : 0;
}

int main(void)
{
	struct cni_conf c;
	struct cni_error e;
	struct cni_env env;
	char b[64];

	/* environment */
	CHECK(cni_cmd_parse("ADD") == CNI_ADD && cni_cmd_parse("GC") == CNI_GC &&
	      cni_cmd_parse("add") == 0 && cni_cmd_parse(NULL) == 0, "CNI_COMMAND names");
	CHECK(!cni_cid_check("a") && !cni_cid_check("0abc_d.e-f") && cni_cid_check("") &&
	      cni_cid_check("-a") && cni_cid_check("a/b") && cni_cid_check("a b") &&
	      cni_cid_check("_a"), "container ID charset per spec");
	memset(&e, 0, sizeof(e));
	CHECK(cni_env_parse(CNI_ADD, "c1", "/run/netns/c1", "eth0", "IgnoreUnknown=1;IP=10.0.0.2", NULL,
			    &env, &e) == 0, "valid ADD environment");
	memset(&e, 0, sizeof(e));
	CHECK(cni_env_parse(CNI_ADD, "c1", NULL, "eth0", NULL, NULL, &env, &e) < 0 &&
	      e.code == CNI_ERR_ENV && strstr(e.details, "CNI_NETNS"), "ADD without CNI_NETNS: 4, names it");
	memset(&e, 0, sizeof(e));
	CHECK(cni_env_parse(CNI_DEL, "c1", NULL, "eth0", NULL, NULL, &env, &e) == 0 && !env.netns,
	      "DEL without CNI_NETNS is fine");
	memset(&e, 0, sizeof(e));
	CHECK(cni_env_parse(CNI_DEL, "c1", "", "eth0/1", NULL, NULL, &env, &e) < 0 &&
	      e.code == CNI_ERR_ENV && strstr(e.msg, "CNI_IFNAME"), "ifname with '/': 4");
	memset(&e, 0, sizeof(e));
	CHECK(cni_env_parse(CNI_ADD, "c1", "/x", "eth0", "A=1;;B", NULL, &env, &e) < 0 &&
	      e.code == CNI_ERR_ENV, "CNI_ARGS pair without '=': 4");
	memset(&e, 0, sizeof(e));
	CHECK(cni_env_parse(CNI_GC, NULL, NULL, NULL, NULL, "/opt/cni/bin", &env, &e) == 0,
	      "GC needs no attachment parameters");

	/* a full configuration */
	CHECK(parse("{\"cniVersion\":\"1.1.0\",\"name\":\"n1\",\"type\":\"nsnet-cni\",\"bridge\":\"br9\","
		    "\"isDefaultGateway\":true,\"ipMasq\":true,\"mtu\":1400,\"hairpinMode\":true,"
		    "\"ipam\":{\"type\":\"host-local\",\"ranges\":[[{\"subnet\":\"10.1.0.0/24\","
		    "\"rangeStart\":\"10.1.0.10\",\"rangeEnd\":\"10.1.0.20\",\"gateway\":\"10.1.0.254\"},"
		    "{\"subnet\":\"10.2.0.0/24\"}],[{\"subnet\":\"fd00::/64\"}]],"
		    "\"routes\":[{\"dst\":\"0.0.0.0/0\"},{\"dst\":\"192.168.0.0/16\",\"gw\":\"10.1.0.1\"}],"
		    "\"dataDir\":\"/tmp/x\"},\"dns\":{\"nameservers\":[\"10.1.0.1\"]},"
		    "\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":8080,\"containerPort\":80,"
		    "\"protocol\":\"TCP\"},{\"hostPort\":53,\"containerPort\":53,\"protocol\":\"udp\","
		    "\"hostIP\":\"127.0.0.1\"}],\"ips\":[\"10.1.0.15/24\"]}}",
		    &c, &e) == 0, "full configuration parses (%s)", e.details);
	CHECK(c.ver == CNI_V110 && !strcmp(c.bridge, "br9") && c.is_gw && c.is_default_gw &&
	      c.ip_masq && c.mtu == 1400 && c.hairpin, "bridge plugin keys (isDefaultGateway implies isGateway)");
	CHECK(c.nsets == 2 && c.sets[0].n == 2 && c.sets[1].n == 1, "two range sets, two ranges in the first");
	CHECK(!strcmp(nsnet_prefix_fmt(&c.sets[0].r[0].start, 0, b, sizeof(b)), "10.1.0.10") &&
	      !strcmp(nsnet_prefix_fmt(&c.sets[0].r[0].gw, 0, b, sizeof(b)), "10.1.0.254"),
	      "rangeStart and gateway kept");
	CHECK(!strcmp(nsnet_prefix_fmt(&c.sets[0].r[1].start, 0, b, sizeof(b)), "10.2.0.1") &&
	      !strcmp(nsnet_prefix_fmt(&c.sets[0].r[1].end, 0, b, sizeof(b)), "10.2.0.254") &&
	      !strcmp(nsnet_prefix_fmt(&c.sets[0].r[1].gw, 0, b, sizeof(b)), "10.2.0.1"),
	      "defaults: .1 .. .254, gateway .1 (host-local's)");
	CHECK(!strcmp(nsnet_prefix_fmt(&c.sets[1].r[0].end, 0, b, sizeof(b)), "fd00::ffff:ffff:ffff:ffff"),
	      "IPv6 range ends at the last address");
	CHECK(c.nroutes == 2 && !c.routes[0].gw.family && c.routes[1].gw.family == AF_INET, "routes");
	CHECK(!strcmp(c.data_dir, "/tmp/x/n1"), "dataDir/<network>");
	CHECK(c.dns && c.npm == 2 && c.pm[0].proto == IPPROTO_TCP && c.pm[1].proto == IPPROTO_UDP &&
	      c.pm[1].host_ip.family == AF_INET && c.pm[0].host_port == 8080, "portMappings");
	CHECK(c.nreq == 1, "runtimeConfig.ips");
	cni_conf_free(&c);

	CHECK(parse("{\"cniVersion\":\"0.4.0\",\"name\":\"n\",\"ipam\":{\"type\":\"host-local\","
		    "\"subnet\":\"10.9.0.0/16\"}}", &c, &e) == 0 && c.nsets == 1 &&
	      !strcmp(c.bridge, "cni0") && !strcmp(c.data_dir, "/var/lib/cni/networks/n"),
	      "legacy ipam.subnet, default bridge cni0 and dataDir");
	cni_conf_free(&c);
	CHECK(parse("{\"cniVersion\":\"1.0.0\",\"name\":\"n\"}", &c, &e) == 0 && !c.has_ipam,
	      "no ipam: layer 2 only");
	cni_conf_free(&c);

	/* errors and their codes */
	CHECK(code_of("{") == CNI_ERR_DECODE, "truncated JSON: 6");
	CHECK(code_of("[]") == CNI_ERR_DECODE, "not an object: 6");
	CHECK(code_of("{\"cniVersion\":\"1.0.0\",\"name\":\"a\",\"name\":\"b\"}") == CNI_ERR_DECODE,
	      "duplicate key: 6");
	CHECK(code_of("{\"name\":\"n\"}") == CNI_ERR_VERSION, "no cniVersion: 1");
	CHECK(code_of("{\"cniVersion\":\"0.2.0\",\"name\":\"n\"}") == CNI_ERR_VERSION, "0.2.0: 1");
	CHECK(code_of("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"vlan\":5}") == CNI_ERR_UNSUPPORTED,
	      "vlan: 2");
	CHECK(code_of("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"vlan\":0}") == 0, "vlan 0 is no vlan");
	CHECK(code_of("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ipam\":{\"type\":\"static\"}}") == 0,
	      "ipam type static: delegated");
	{
		const char *s = "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ipam\":{\"type\":\"static\","
				"\"dataDir\":\"/tmp/x\",\"addresses\":[{\"address\":\"10.0.0.5/24\"}]},"
				"\"runtimeConfig\":{\"ips\":[\"10.0.0.6/24\"]}}";

		CHECK(parse(s, &c, &e) == 0 && c.ipam_type && !strcmp(c.ipam_type, "static") &&
		      !c.has_ipam && !c.nsets && !strcmp(c.data_dir, "/tmp/x/n") && c.nreq == 1,
		      "delegated: type, our store in dataDir, requested ips passed on");
		cni_conf_free(&c);
	}
	/* bandwidth: top-level keys win over runtimeConfig.bandwidth (as the reference plugin) */
	{
		const char *s = "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"egressRate\":1000,\"egressBurst\":2000,"
				"\"runtimeConfig\":{\"bandwidth\":{\"ingressRate\":5,\"ingressBurst\":5}}}";

		CHECK(parse(s, &c, &e) == 0 && c.bw.eg_rate == 1000 && c.bw.eg_burst == 2000 &&
		      !c.bw.in_rate, "bandwidth: plugin configuration keys win");
		cni_conf_free(&c);
		s = "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"runtimeConfig\":{\"bandwidth\":"
		    "{\"ingressRate\":8000000,\"ingressBurst\":4294967295,\"egressRate\":0}}}";
		CHECK(parse(s, &c, &e) == 0 && c.bw.in_rate == 8000000 && c.bw.in_burst == 4294967295u &&
		      !c.bw.eg_rate, "bandwidth: runtimeConfig, burst of 2^32-1 bits (containerd's)");
		cni_conf_free(&c);
	}
	CHECK(code_of("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ingressRate\":1000}") == CNI_ERR_CONFIG,
	      "bandwidth: rate without burst: 7");
	CHECK(code_of("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"egressRate\":-1,\"egressBurst\":8}") ==
	      CNI_ERR_CONFIG, "bandwidth: negative rate: 7");
	CHECK(code_of("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"egressRate\":4,\"egressBurst\":8}") ==
	      CNI_ERR_CONFIG, "bandwidth: rate below 8 bit/s: 7");
	CHECK(code_of("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"egressRate\":1e300,\"egressBurst\":8}") ==
	      CNI_ERR_CONFIG, "bandwidth: 1e300: 7");
	CHECK(code_of("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"runtimeConfig\":{\"bandwidth\":"
		      "{\"ingressRate\":8,\"ingressBurst\":34359738368}}}") == CNI_ERR_CONFIG,
	      "bandwidth: burst above 2^32 bytes: 7");
	CHECK(code_of("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"runtimeConfig\":{\"bandwidth\":[]}}") ==
	      CNI_ERR_CONFIG, "bandwidth: not an object: 7");
	CHECK(code_of("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ipam\":{\"type\":\"../../bin/sh\"}}") ==
	      CNI_ERR_CONFIG, "ipam type with '/': 7");
	CHECK(code_of("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ipam\":{\"type\":\"..\"}}") ==
	      CNI_ERR_CONFIG, "ipam type '..': 7");
	CHECK(code_of("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ipam\":{\"subnet\":\"10.0.0.0/24\"}}") ==
	      CNI_ERR_CONFIG, "ipam without type: 7");
	CHECK(code_of("{\"cniVersion\":\"1.0.0\",\"name\":\"\"}") == CNI_ERR_CONFIG, "empty name: 7");
	CHECK(code_of("{\"cniVersion\":\"1.0.0\",\"name\":\"a/b\"}") == CNI_ERR_CONFIG, "name with '/': 7");
	CHECK(code_of("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"bridge\":\"a\\\"b\"}") ==
	      CNI_ERR_CONFIG, "bridge with a quote: 7");
	CHECK(code_of("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"isGateway\":\"yes\"}") ==
	      CNI_ERR_CONFIG, "isGateway not boolean: 7");
	CHECK(code_of("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"mtu\":10}") == CNI_ERR_CONFIG,
	      "mtu 10: 7");
	CHECK(code_of("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ipam\":{\"type\":\"host-local\","
		      "\"subnet\":\"10.0.0.0/31\"}}") == CNI_ERR_CONFIG, "/31: too small: 7");
	CHECK(code_of("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ipam\":{\"type\":\"host-local\","
		      "\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}],[{\"subnet\":\"10.0.0.0/25\"}]]}}") ==
	      CNI_ERR_CONFIG, "overlapping ranges: 7");
	CHECK(code_of("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ipam\":{\"type\":\"host-local\","
		      "\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"},{\"subnet\":\"fd00::/64\"}]]}}") ==
	      CNI_ERR_CONFIG, "range set mixing families: 7");
	CHECK(code_of("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"runtimeConfig\":{\"portMappings\":"
		      "[{\"hostPort\":80,\"containerPort\":80},{\"hostPort\":80,\"containerPort\":81}]}}") ==
	      CNI_ERR_CONFIG, "two mappings of one host port: 7");
	CHECK(code_of("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"runtimeConfig\":{\"portMappings\":"
		      "[{\"hostPort\":70000,\"containerPort\":80}]}}") == CNI_ERR_CONFIG, "port 70000: 7");
	CHECK(code_of("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"runtimeConfig\":{\"portMappings\":"
		      "[{\"hostPort\":80.0,\"containerPort\":80}]}}") == 0, "port 80.0 is 80");
	env_add.cmd = CNI_GC;
	CHECK(code_of("{\"cniVersion\":\"1.0.0\",\"name\":\"n\"}") == CNI_ERR_VERSION, "GC on 1.0.0: 1");
	CHECK(parse("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"cni.dev/valid-attachments\":"
		    "[{\"containerID\":\"a\",\"ifname\":\"eth0\"}]}", &c, &e) == 0 && c.has_valid &&
	      c.nvalid == 1 && !strcmp(c.valid[0].cid, "a"), "GC valid-attachments");
	cni_conf_free(&c);
	env_add.cmd = CNI_CHECK;
	CHECK(code_of("{\"cniVersion\":\"0.3.1\",\"name\":\"n\"}") == CNI_ERR_VERSION, "CHECK on 0.3.1: 1");
	env_add.cmd = CNI_ADD;
	env_add.args = "K8S_POD_NAME=x;IP=10.1.0.7,fd00::7";
	CHECK(parse("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ipam\":{\"type\":\"host-local\","
		    "\"subnet\":\"10.1.0.0/24\"}}", &c, &e) == 0 && c.nreq == 2, "CNI_ARGS IP=a,b");
	cni_conf_free(&c);
	return CHECK_DONE();
}
