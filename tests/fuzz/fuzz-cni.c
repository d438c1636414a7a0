// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness: nsnet-cni's environment and configuration parser, and
 * what consumes its output without touching the system (routes, result and
 * error rendering, the nft script and element commands, attachment records),
 * and the result parser (prevResult, a delegated IPAM plugin's output).
 * Input: up to five NUL-terminated fields CNI_COMMAND, CNI_CONTAINERID,
 * CNI_NETNS, CNI_IFNAME, CNI_ARGS, then the configuration JSON.
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude \
 *     tests/fuzz/fuzz-cni.c lib/addr.c lib/err.c lib/netns.c lib/nl.c lib/sysctl.c \
 *     -lnftables -ljansson -lmnl -lpthread -o fuzz-cni
 *   ./fuzz-cni tests/fuzz/corpus/cni
 */
#include <stddef.h>
#include <stdint.h>

#include "../../cni/config.c"
#include "../../cni/result.c"
#include "../../cni/fw.c"
#include "../../cni/ipam.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *field(const uint8_t **p, size_t *n)
{
	const uint8_t *z = memchr(*p, 0, *n);
	const char *s;

	if (!z)
		return NULL;
	s = (const char *)*p;
	*n -= (size_t)(z - *p) + 1;
	*p = z + 1;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *f[5] = { 0 };
	struct cni_error e = { 0 };
	struct cni_route rt[CNI_MAX_ROUTES + 2];
	struct cni_alloc ips[CNI_MAX_SETS];
	struct cni_ipam_result ir = { 0 };
	struct cni_record rec;
	struct cni_result r;
	struct cni_env env;
	struct cni_conf c;
	size_t i, nrt;
	char *s;
	json_t *j;
	int cmd;

	for (i = 0; i < 5; i++)
		f[i] = field(&data, &size);
	cmd = cni_cmd_parse(f[0]);
	if (!cmd)
		cmd = CNI_ADD;
	if (cni_env_parse(cmd, f[1], f[2], f[3], f[4], NULL, &env, &e) < 0) {
		s = cni_error_render(&e, NULL);
		free(s);
		memset(&e, 0, sizeof(e));
		env.cmd = cmd;
		env.args = f[4];
	}
	if (cni_conf_parse((const char *)data, size, &env, &c, &e) == 0 && cmd != CNI_VERSION) {
		/* pretend the first address of each set was allocated */
		for (i = 0; i < c.nsets; i++) {
			ips[i].ip = c.sets[i].r[0].start;
			ips[i].gw = c.sets[i].r[0].gw;
			ips[i].set = (int)i;
		}
		cni_result_routes(&c, ips, c.nsets, rt, &nrt);
		memset(&r, 0, sizeof(r));
		memcpy(r.ips, ips, c.nsets * sizeof(ips[0]));
		r.nips = c.nsets;
		memcpy(r.routes, rt, nrt * sizeof(rt[0]));
		r.nroutes = nrt;
		r.dns = c.dns;
		s = cni_result_render(&r, c.ver);
		free(s);
		s = cni_fw_table_script(&c);
		free(s);
		memset(&rec, 0, sizeof(rec));
		memcpy(rec.ips, ips, c.nsets * sizeof(ips[0]));
		rec.nips = c.nsets;
		memcpy(rec.pm, c.pm, c.npm * sizeof(c.pm[0]));
		rec.npm = c.npm;
		rec.masq = c.ip_masq;
		j = json_array();
		cni_fw_elem_cmds(j, &c, &rec, "add");
		json_decref(j);
		j = cni_record_json(&rec);
		if (j && cni_record_from_json(j, &rec) != 0)
			__builtin_trap();	/* our own records must round-trip */
		json_decref(j);
	} else {
		s = cni_error_render(&e, c.version);
		free(s);
	}
	/* prevResult, as CHECK reads it */
	if (c.prev && cni_result_parse(c.prev, &ir, CNI_ERR_DECODE, &e) == 0)
		cni_routes_build(ir.routes, ir.nroutes, 1, ir.ips, ir.nips, rt, &nrt);
	cni_ipam_result_free(&ir);
	/* the same bytes as a stored attachment record */
	j = json_loadb((const char *)data, size, 0, NULL);
	if (cni_record_from_json(j, &rec) == 0) {
		json_t *back = cni_record_json(&rec);

		json_decref(back);
	}
	json_decref(j);
	/* … and as a delegated IPAM plugin's result, used as ADD uses it */
	memset(&e, 0, sizeof(e));
	if (cni_result_parse_buf((const char *)data, size, &ir, CNI_ERR_IPAM, &e) == 0) {
		cni_result_fill_gateways(ir.ips, ir.nips);
		cni_routes_build(ir.routes, ir.nroutes, 1, ir.ips, ir.nips, rt, &nrt);
		memset(&r, 0, sizeof(r));
		memcpy(r.ips, ir.ips, ir.nips * sizeof(ir.ips[0]));
		r.nips = ir.nips;
		memcpy(r.routes, rt, nrt * sizeof(rt[0]));
		r.nroutes = nrt;
		r.dns = ir.dns;
		free(cni_result_render(&r, CNI_V100));
		memset(&rec, 0, sizeof(rec));
		memcpy(rec.ips, ir.ips, ir.nips * sizeof(ir.ips[0]));
		rec.nips = ir.nips;
		strcpy(rec.ipam, "fuzz");
		j = json_array();
		cni_fw_elem_cmds(j, &c, &rec, "delete");
		json_decref(j);
	}
	cni_ipam_result_free(&ir);
	cni_conf_free(&c);
	return 0;
}
