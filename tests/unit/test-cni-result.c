// SPDX-License-Identifier: MIT
/* nsnet-cni results, errors, version output, nft script (pure). */
#include "../../cni/config.c"
#include "../../cni/result.c"
#include "../../cni/fw.c"

#include "check.h"

int main(void)
{
	struct cni_env env = { .cmd = CNI_ADD };
	struct cni_error e = { 0 };
	struct cni_result r;
	struct cni_route rt[CNI_MAX_ROUTES + 2];
	struct cni_record rec;
	struct cni_conf c;
	json_t *j, *cmds;
	size_t nrt;
	char *s;
	const char *cfg = "{\"cniVersion\":\"1.0.0\",\"name\":\"net.a-1\",\"bridge\":\"br0\",\"isDefaultGateway\":true,"
			  "\"ipam\":{\"type\":\"host-local\",\"ranges\":[[{\"subnet\":\"10.1.0.0/24\"}],"
			  "[{\"subnet\":\"fd00::/64\"}]],\"routes\":[{\"dst\":\"192.168.0.0/16\"}]},"
			  "\"dns\":{\"nameservers\":[\"1.1.1.1\"]}}";

	CHECK(cni_conf_parse(cfg, strlen(cfg), &env, &c, &e) == 0, "config");
	memset(&r, 0, sizeof(r));
	r.nifaces = 3;
	strcpy(r.ifaces[0].name, "br0");
	strcpy(r.ifaces[1].name, "vethx");
	strcpy(r.ifaces[2].name, "eth0");
	r.ifaces[2].sandbox = "/run/netns/x";
	r.ifaces[2].has_mac = 1;
	memcpy(r.ifaces[2].mac, "\x02\x00\x00\x00\x00\x01", 6);
	r.ip_iface = 2;
	r.nips = 2;
	nsnet_prefix_parse("10.1.0.2/24", &r.ips[0].ip, 1);
	nsnet_ip_parse("10.1.0.1", &r.ips[0].gw);
	nsnet_prefix_parse("fd00::2/64", &r.ips[1].ip, 1);
	nsnet_ip_parse("fd00::1", &r.ips[1].gw);
	cni_result_routes(&c, r.ips, r.nips, rt, &nrt);
	CHECK(nrt == 3 && rt[0].gw.family == AF_INET && !rt[1].dst.plen && rt[2].dst.family == AF_INET6,
	      "routes: ipam route gets the gateway, default routes per family");
	memcpy(r.routes, rt, nrt * sizeof(rt[0]));
	r.nroutes = nrt;
	r.dns = c.dns;
	s = cni_result_render(&r, CNI_V100);
	j = json_loads(s, 0, NULL);
	CHECK(j && !strcmp(json_string_value(json_object_get(j, "cniVersion")), "1.0.0"), "1.0.0 result");
	CHECK(json_integer_value(json_object_get(json_array_get(json_object_get(j, "ips"), 0), "interface")) == 2 &&
	      !json_object_get(json_array_get(json_object_get(j, "ips"), 0), "version"),
	      "ips: interface index, no version (1.x)");
	CHECK(!strcmp(json_string_value(json_object_get(json_array_get(json_object_get(j, "interfaces"), 2), "mac")),
		      "02:00:00:00:00:01") &&
	      !strcmp(json_string_value(json_object_get(json_array_get(json_object_get(j, "interfaces"), 2), "sandbox")),
		      "/run/netns/x"), "container interface: mac and sandbox");
	CHECK(!strcmp(json_string_value(json_array_get(json_object_get(json_object_get(j, "dns"), "nameservers"), 0)),
		      "1.1.1.1"), "dns passed through");
	CHECK(!strcmp(json_string_value(json_object_get(json_array_get(json_object_get(j, "routes"), 1), "dst")),
		      "0.0.0.0/0"), "default route rendered as 0.0.0.0/0");
	json_decref(j);
	free(s);
	s = cni_result_render(&r, CNI_V031);
	j = json_loads(s, 0, NULL);
	CHECK(!strcmp(json_string_value(json_object_get(json_array_get(json_object_get(j, "ips"), 1), "version")), "6"),
	      "0.3.1: ips carry version");
	json_decref(j);
	free(s);
	e.code = 0;
	cni_fail(&e, 7, "invalid configuration", "bad \xff byte");
	s = cni_error_render(&e, "0.4.0");
	j = json_loads(s, 0, NULL);
	CHECK(j && json_integer_value(json_object_get(j, "code")) == 7 &&
	      !strcmp(json_string_value(json_object_get(j, "cniVersion")), "0.4.0") &&
	      !strcmp(json_string_value(json_object_get(j, "details")), "bad ? byte"),
	      "error JSON (non-UTF-8 details made safe)");
	json_decref(j);
	free(s);
	s = cni_error_render(&e, "9.9.9");
	CHECK(strstr(s, "\"1.1.0\"") != NULL, "error with an unknown version says 1.1.0");
	free(s);
	s = cni_version_render("0.4.0");
	CHECK(strstr(s, "\"0.4.0\"") && strstr(s, "\"1.1.0\"") && strstr(s, "\"0.3.0\""), "VERSION");
	free(s);

	/* firewall rendering */
	s = cni_fw_table_script(&c);
	CHECK(s && strstr(s, "create table inet nsnet-cni-net.a-1\n"), "one table per network");
	CHECK(strstr(s, "add element inet nsnet-cni-net.a-1 net4 { 10.1.0.0/24 }") &&
	      strstr(s, "net6 { fd00::/64 }"), "the network's subnets for hairpin masquerade");
	CHECK(strstr(s, "oifname != \"br0\" masquerade") &&
	      strstr(s, "dnat ip to meta l4proto . th dport map @pm4"), "rules reference the bridge and maps");
	free(s);
	memset(&rec, 0, sizeof(rec));
	rec.masq = 1;
	rec.nips = 2;
	memcpy(rec.ips, r.ips, sizeof(r.ips[0]) * 2);
	rec.npm = 2;
	rec.pm[0] = (struct cni_pm){ .host_port = 8080, .cont_port = 80, .proto = IPPROTO_TCP };
	rec.pm[1] = (struct cni_pm){ .host_port = 53, .cont_port = 5353, .proto = IPPROTO_UDP };
	nsnet_ip_parse("127.0.0.1", &rec.pm[1].host_ip);
	cmds = json_array();
	CHECK(cni_fw_elem_cmds(cmds, &c, &rec, "add") == 5, "elements: 2 masq + 2 (any host IP, 2 families) + 1 (hostIP v4)");
	s = json_dumps(cmds, JSON_COMPACT);
	CHECK(strstr(s, "{\"concat\":[\"tcp\",8080]},{\"concat\":[\"fd00::2\",80]}") &&
	      strstr(s, "{\"concat\":[\"127.0.0.1\",\"udp\",53]},{\"concat\":[\"10.1.0.2\",5353]}"),
	      "map elements: proto . port : addr . port, hostIP . proto . port : addr . port");
	free(s);
	json_decref(cmds);
	/* a delegated IPAM's attachment: its addresses are also hairpin sources */
	strcpy(rec.ipam, "static");
	cmds = json_array();
	CHECK(cni_fw_elem_cmds(cmds, &c, &rec, "add") == 7, "delegated: + net4/net6 elements");
	s = json_dumps(cmds, JSON_COMPACT);
	CHECK(strstr(s, "\"name\":\"net4\",\"elem\":[\"10.1.0.2\"]") != NULL, "net4 holds the address");
	free(s);
	json_decref(cmds);
	cni_conf_free(&c);

	/* results of other plugins (delegated IPAM, prevResult) */
	{
		struct cni_ipam_result ir;
		const char *ok = "{\"cniVersion\":\"0.3.1\",\"ips\":[{\"version\":\"4\",\"address\":\"10.2.0.5/16\"},"
				 "{\"address\":\"fd00::5/64\",\"gateway\":\"fd00::1\",\"interface\":0}],"
				 "\"routes\":[{\"dst\":\"10.9.1.1/16\"},{\"dst\":\"::/0\",\"gw\":\"fd00::1\"}],"
				 "\"dns\":{\"nameservers\":[\"10.2.0.53\"]}}";
		static const char *const bad[] = {
			"[]",
			"{\"ips\":{}}",
			"{\"ips\":[{\"address\":\"10.2.0.5\"}]}",
			"{\"ips\":[{\"address\":\"10.2.0.5/16\",\"gateway\":\"fd00::1\"}]}",
			"{\"ips\":[{\"address\":5}]}",
			"{\"routes\":[{\"gw\":\"10.0.0.1\"}]}",
			"{\"routes\":[{\"dst\":\"10.0.0.0/8\",\"gw\":\"::1\"}]}",
			"{\"ips\":[{\"address\":\"1.0.0.1/8\"},{\"address\":\"1.0.0.2/8\"},{\"address\":\"1.0.0.3/8\"},"
			"{\"address\":\"1.0.0.4/8\"},{\"address\":\"1.0.0.5/8\"},{\"address\":\"1.0.0.6/8\"},"
			"{\"address\":\"1.0.0.7/8\"},{\"address\":\"1.0.0.8/8\"},{\"address\":\"1.0.0.9/8\"}]}",
			"not json",
		};
		struct cni_alloc ips[2];
		size_t k;

		memset(&e, 0, sizeof(e));
		CHECK(cni_result_parse_buf(ok, strlen(ok), &ir, 108, &e) == 0 && ir.nips == 2 &&
		      ir.ips[0].ip.plen == 16 && !ir.ips[0].gw.family && ir.ips[1].gw.family == AF_INET6 &&
		      ir.nroutes == 2 && ir.routes[0].dst.addr[2] == 0 && ir.dns, "result parsed (0.3.1)");
		memcpy(ips, ir.ips, sizeof(ips));
		cni_result_fill_gateways(ips, 2);
		CHECK(ips[0].gw.addr[0] == 10 && ips[0].gw.addr[1] == 2 && ips[0].gw.addr[3] == 1 &&
		      ips[1].gw.addr[15] == 1, "missing gateway: the subnet's first address");
		cni_routes_build(ir.routes, ir.nroutes, 1, ips, 2, rt, &nrt);
		CHECK(nrt == 3 && rt[0].gw.addr[3] == 1 && !rt[1].dst.plen && rt[1].dst.family == AF_INET6 &&
		      !rt[2].dst.plen && rt[2].dst.family == AF_INET,
		      "routes: gateway filled, IPAM's default kept, IPv4 default added");
		cni_ipam_result_free(&ir);
		for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			memset(&e, 0, sizeof(e));
			CHECK(cni_result_parse_buf(bad[k], strlen(bad[k]), &ir, 108, &e) < 0 && e.code == 108,
			      "bad result refused: %s", bad[k]);
			cni_ipam_result_free(&ir);
		}
	}
	return CHECK_DONE();
}
