// SPDX-License-Identifier: MIT
/* nsnet-cni address store in a temporary directory (no privileges). */
#include <sys/stat.h>

#include "../../cni/config.c"
#include "../../cni/ipam.c"

#include "check.h"

static void conf(struct cni_conf *c, const char *ranges, const char *dir)
{
	struct cni_env env = { .cmd = CNI_ADD };
	struct cni_error e = { 0 };
	char buf[1024];

	snprintf(buf, sizeof(buf), "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ipam\":{\"type\":"
		 "\"host-local\",\"ranges\":%s,\"dataDir\":\"%s\"}}", ranges, dir);
	if (cni_conf_parse(buf, strlen(buf), &env, c, &e) < 0)
		printf("# config: %s\n", e.details);
}

static const char *ip(const struct cni_alloc *a, char *b)
{
	return nsnet_prefix_fmt(&a->ip, 1, b, 64);
}

int main(void)
{
	char tmpl[] = "/tmp/test-cni-ipam.XXXXXX", b[64], b2[64], path[600];
	struct cni_alloc a[CNI_MAX_SETS], a2[CNI_MAX_SETS];
	struct cni_record r, r2, *list;
	struct nsnet_err ne = { 0 };
	struct cni_error e = { 0 };
	struct cni_store s;
	struct cni_conf c;
	size_t n, n2, i;
	char *dir = mkdtemp(tmpl);
	FILE *f;
	int k;

	CHECK(dir != NULL, "temporary directory");
	conf(&c, "[[{\"subnet\":\"10.5.0.0/29\"}],[{\"subnet\":\"fd00:5::/120\",\"rangeStart\":\"fd00:5::10\"}]]", dir);
	CHECK(cni_store_open(&s, c.data_dir, 1000, &ne) == 0, "store opens (mkdir -p, lock)");
	CHECK(cni_ipam_alloc(&s, &c, "c1", "eth0", a, &n, &e) == 0 && n == 2, "one address per range set");
	CHECK(!strcmp(ip(&a[0], b), "10.5.0.2/29") && !strcmp(ip(&a[1], b2), "fd00:5::10/120"),
	      "first free after the gateway; rangeStart honoured (%s %s)", b, b2);
	snprintf(path, sizeof(path), "%s/10.5.0.2", c.data_dir);
	f = fopen(path, "r");
	CHECK(f && fgets(b, sizeof(b), f) && !strcmp(b, "c1\r\n") && fgets(b, sizeof(b), f) &&
	      !strcmp(b, "eth0"), "host-local's file format: <id>\\r\\n<ifname>");
	if (f)
		fclose(f);
	CHECK(cni_ipam_alloc(&s, &c, "c2", "eth0", a2, &n2, &e) == 0 &&
	      !strcmp(ip(&a2[0], b), "10.5.0.3/29"), "next container gets the next address");
	CHECK(cni_ipam_owns(&s, &a[0].ip, "c1", "eth0") && !cni_ipam_owns(&s, &a[0].ip, "c1", "eth1") &&
	      !cni_ipam_owns(&s, &a[0].ip, "c2", "eth0"), "ownership is (container, ifname)");
	CHECK(cni_ipam_release_ip(&s, &a[0].ip, "c2", "eth0") == 0, "release refuses another owner");
	CHECK(cni_ipam_release_ip(&s, &a[0].ip, "c1", "eth0") == 1, "release by owner");
	CHECK(cni_ipam_release_all(&s, "c1", "eth0") == 1, "release_all finds the IPv6 one");
	CHECK(cni_ipam_release_all(&s, "c1", "eth0") == 0, "release is idempotent");
	/* exhaust the /29: .2-.6 usable (gateway .1, broadcast .7) */
	for (k = 0; k < 4; k++) {
		snprintf(b, sizeof(b), "x%d", k);
		memset(&e, 0, sizeof(e));
		if (cni_ipam_alloc(&s, &c, b, "eth0", a, &n, &e) < 0)
			break;
	}
	CHECK(k == 4, "/29 holds 5 containers (%s)", e.details);
	CHECK(cni_ipam_free_count(&s, &c, 0, 100) == 0, "free count 0");
	memset(&e, 0, sizeof(e));
	CHECK(cni_ipam_alloc(&s, &c, "full", "eth0", a, &n, &e) < 0 && e.code == CNI_ERR_IPAM_FULL,
	      "exhausted: 102");
	snprintf(path, sizeof(path), "%s/fd00:5::16", c.data_dir);
	CHECK(access(path, F_OK) != 0, "a failed allocation keeps nothing of the other set");
	CHECK(cni_ipam_release_all(&s, "x1", "eth0") == 2, "release x1");
	CHECK(cni_ipam_free_count(&s, &c, 0, 100) == 1, "free count 1");
	/* requested address */
	CHECK(nsnet_ip_parse("10.5.0.3", &c.req[0]) == 0, "parse");
	c.nreq = 1;
	memset(&e, 0, sizeof(e));
	CHECK(cni_ipam_alloc(&s, &c, "st", "eth0", a, &n, &e) < 0 && e.code == CNI_ERR_IP_TAKEN,
	      "requested address taken: 103");
	nsnet_ip_parse("10.5.0.1", &c.req[0]);
	memset(&e, 0, sizeof(e));
	CHECK(cni_ipam_alloc(&s, &c, "st", "eth0", a, &n, &e) < 0 && e.code == CNI_ERR_IP_TAKEN,
	      "requested gateway: 103");
	nsnet_ip_parse("10.9.0.1", &c.req[0]);
	memset(&e, 0, sizeof(e));
	CHECK(cni_ipam_alloc(&s, &c, "st", "eth0", a, &n, &e) < 0 && e.code == CNI_ERR_IP_TAKEN,
	      "requested address outside the ranges: 103");
	c.nreq = 0;
	/* GC */
	CHECK(cni_ipam_gc(&s, (struct cni_attach_id[]){ { "x0", "eth0" } }, 1) > 0 &&
	      cni_ipam_release_all(&s, "x0", "eth0") == 2 && cni_ipam_release_all(&s, "c2", "eth0") == 0,
	      "GC keeps only valid attachments");
	/* records */
	memset(&r, 0, sizeof(r));
	strcpy(r.cid, "c9");
	strcpy(r.ifname, "net1");
	strcpy(r.host_veth, "veth0123456789a");
	strcpy(r.bridge, "cni0");
	r.masq = 1;
	r.nips = 1;
	nsnet_prefix_parse("10.5.0.4/29", &r.ips[0].ip, 1);
	nsnet_ip_parse("10.5.0.1", &r.ips[0].gw);
	r.npm = 1;
	r.pm[0] = (struct cni_pm){ .host_port = 8080, .cont_port = 80, .proto = IPPROTO_UDP };
	nsnet_ip_parse("127.0.0.1", &r.pm[0].host_ip);
	r.bw = (struct cni_bw){ .in_rate = 8000000, .in_burst = 4294967295u, .eg_rate = 1000, .eg_burst = 80 };
	strcpy(r.ifb, "ifb0123456789ab");
	strcpy(r.ipam, "static");
	r.has_routes = 1;
	r.nroutes = 1;
	nsnet_prefix_parse("192.168.0.0/16", &r.routes[0].dst, 1);
	nsnet_ip_parse("10.5.0.1", &r.routes[0].gw);
	CHECK(cni_record_write(&s, &r) == 0, "record written");
	CHECK(cni_record_read(&s, "c9", "net1", &r2) == 0 && !strcmp(r2.host_veth, r.host_veth) &&
	      r2.nips == 1 && nsnet_ip_equal(&r2.ips[0].ip, &r.ips[0].ip) && r2.ips[0].ip.plen == 29 &&
	      r2.npm == 1 && r2.pm[0].proto == IPPROTO_UDP && r2.pm[0].host_ip.family == AF_INET &&
	      r2.masq, "record round trip");
	CHECK(r2.has_routes && r2.nroutes == 1 && r2.routes[0].dst.plen == 16 &&
	      nsnet_ip_equal(&r2.routes[0].gw, &r.routes[0].gw), "record: installed routes");
	CHECK(!memcmp(&r2.bw, &r.bw, sizeof(r.bw)) && !strcmp(r2.ifb, r.ifb) && !strcmp(r2.ipam, "static"),
	      "record: bandwidth, IFB, delegated IPAM");
	CHECK(cni_record_read(&s, "c9", "eth0", &r2) == -ENOENT, "other ifname: no record");
	k = cni_record_list(&s, &list);
	CHECK(k == 1 && !strcmp(list[0].cid, "c9"), "record list");
	free(list);
	strcpy(r.cid, "c99");
	CHECK(cni_record_write(&s, &r) == 0, "second record written");
	k = cni_record_list_cid(&s, "c9", &list);
	CHECK(k == 1 && !strcmp(list[0].cid, "c9"), "records of one container (not of c99)");
	free(list);
	CHECK(cni_record_remove(&s, "c99", "net1") == 0, "second record removed");
	CHECK(cni_record_remove(&s, "c9", "net1") == 0 && cni_record_remove(&s, "c9", "net1") == 0 &&
	      cni_record_list(&s, &list) == 0, "record removal idempotent");
	free(list);
	cni_store_close(&s);
	/* a second opener waits for the lock: with a short timeout it is told to retry */
	{
		struct cni_store s1, s2;

		cni_store_open(&s1, c.data_dir, 1000, &ne);
		nsnet_err_clear(&ne);
		CHECK(cni_store_open(&s2, c.data_dir, 20, &ne) == -EAGAIN, "lock held: -EAGAIN (code 11)");
		cni_store_close(&s1);
	}
	cni_conf_free(&c);
	for (i = 0; i < 1; i++) {
		snprintf(path, sizeof(path), "rm -rf '%s'", dir);
		if (system(path))
			(void)0;
	}
	return CHECK_DONE();
}
