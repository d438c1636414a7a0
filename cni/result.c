// SPDX-License-Identifier: MIT
/*
 * nsnet-cni: result, error and version JSON (pure). 0.3.x and 0.4.0 results
 * carry "version" in each ips entry; 1.0.0 dropped it.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni.h"

static void fmt_mac(const uint8_t *m, char *buf)
{
	sprintf(buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

void cni_routes_build(const struct cni_route *in, size_t nin, int default_gw,
		      const struct cni_alloc *ips, size_t nips, struct cni_route *out, size_t *nout)
{
	int have_default[2] = { 0, 0 };
	size_t i, j, n = 0;

	for (i = 0; i < nin; i++) {
		struct cni_route r = in[i];
		int v6 = r.dst.family == AF_INET6;

		if (!r.gw.family)	/* no gw: the gateway of the first address of that family */
			for (j = 0; j < nips; j++)
				if (ips[j].ip.family == r.dst.family) {
					r.gw = ips[j].gw;
					r.gw.plen = r.gw.family == AF_INET ? 32 : 128;
					break;
				}
		/* only routes of a family we have an address of can be installed */
		for (j = 0; j < nips; j++)
			if (ips[j].ip.family == r.dst.family)
				break;
		if (j == nips)
			continue;
		if (!r.dst.plen)
			have_default[v6] = 1;
		out[n++] = r;
	}
	if (default_gw) {
		for (j = 0; j < nips; j++) {
			int v6 = ips[j].ip.family == AF_INET6;
			struct cni_route r;

			if (have_default[v6] || !ips[j].gw.family)
				continue;
			memset(&r, 0, sizeof(r));
			r.dst.family = ips[j].ip.family;
			r.gw = ips[j].gw;
			r.gw.plen = v6 ? 128 : 32;
			out[n++] = r;
			have_default[v6] = 1;
		}
	}
	*nout = n;
}

void cni_result_routes(const struct cni_conf *c, const struct cni_alloc *ips, size_t nips,
		       struct cni_route *out, size_t *nout)
{
	cni_routes_build(c->routes, c->nroutes, c->is_default_gw, ips, nips, out, nout);
}

void cni_result_fill_gateways(struct cni_alloc *ips, size_t nips)
{
	size_t i;
	int k;

	for (i = 0; i < nips; i++) {
		if (ips[i].gw.family)
			continue;
		nsnet_prefix_network(&ips[i].ip, &ips[i].gw);
		for (k = (ips[i].gw.family == AF_INET ? 4 : 16) - 1; k >= 0; k--)
			if (++ips[i].gw.addr[k] != 0)
				break;
	}
}

void cni_ipam_result_free(struct cni_ipam_result *r)
{
	if (!r)
		return;
	json_decref(r->root);
	memset(r, 0, sizeof(*r));
}

int cni_result_parse(json_t *j, struct cni_ipam_result *r, int code, struct cni_error *e)
{
	json_t *arr, *v;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(j))
		return cni_fail(e, code, "invalid result", "a result must be a JSON object");
	r->root = json_incref(j);
	arr = json_object_get(j, "ips");
	if (arr && !json_is_null(arr) && !json_is_array(arr))
		return cni_fail(e, code, "invalid result", "result: \"ips\" must be a list");
	json_array_foreach(arr, i, v) {
		const char *a = json_string_value(json_object_get(v, "address"));
		const char *g = json_string_value(json_object_get(v, "gateway"));
		struct cni_alloc *x = &r->ips[i];

		if (i >= CNI_MAX_SETS)
			return cni_fail(e, code, "invalid result", "result: at most %d addresses",
					CNI_MAX_SETS);
		if (!a || nsnet_prefix_parse(a, &x->ip, 1) < 0)
			return cni_fail(e, code, "invalid result",
					"result: ips[%zu].address \"%.64s\" is not ADDRESS/LENGTH", i,
					a ? a : "");
		if (g && (nsnet_ip_parse(g, &x->gw) < 0 || x->gw.family != x->ip.family))
			return cni_fail(e, code, "invalid result",
					"result: ips[%zu].gateway \"%.64s\" is not an address of its family",
					i, g);
		x->gw.plen = x->ip.plen;
		x->set = (int)i;
		r->nips++;
	}
	arr = json_object_get(j, "routes");
	if (arr && !json_is_null(arr) && !json_is_array(arr))
		return cni_fail(e, code, "invalid result", "result: \"routes\" must be a list");
	json_array_foreach(arr, i, v) {
		const char *d = json_string_value(json_object_get(v, "dst"));
		const char *g = json_string_value(json_object_get(v, "gw"));
		struct cni_route *x = &r->routes[i];

		if (i >= CNI_MAX_ROUTES)
			return cni_fail(e, code, "invalid result", "result: at most %d routes",
					CNI_MAX_ROUTES);
		if (!d || nsnet_prefix_parse(d, &x->dst, 1) < 0)
			return cni_fail(e, code, "invalid result",
					"result: routes[%zu].dst \"%.64s\" is not ADDRESS/LENGTH", i,
					d ? d : "");
		nsnet_prefix_network(&x->dst, &x->dst);
		if (g && (nsnet_ip_parse(g, &x->gw) < 0 || x->gw.family != x->dst.family))
			return cni_fail(e, code, "invalid result",
					"result: routes[%zu].gw \"%.64s\" is not an address of its family",
					i, g);
		r->nroutes++;
	}
	v = json_object_get(j, "dns");
	if (json_is_object(v) && json_object_size(v))
		r->dns = v;
	return 0;
}

int cni_result_parse_buf(const char *buf, size_t len, struct cni_ipam_result *r, int code,
			 struct cni_error *e)
{
	json_error_t jerr;
	json_t *j = json_loadb(buf, len, 0, &jerr);
	int ret;

	memset(r, 0, sizeof(*r));
	if (!j)
		return cni_fail(e, code, "invalid result", "result: %s (line %d, column %d)", jerr.text,
				jerr.line, jerr.column);
	ret = cni_result_parse(j, r, code, e);
	json_decref(j);
	return ret;
}

static json_t *j_iface(const struct cni_iface *f)
{
	json_t *o = json_object();
	char mac[20];

	json_object_set_new(o, "name", json_string(f->name));
	if (f->has_mac) {
		fmt_mac(f->mac, mac);
		json_object_set_new(o, "mac", json_string(mac));
	}
	if (f->mtu)
		json_object_set_new(o, "mtu", json_integer(f->mtu));
	if (f->sandbox)
		json_object_set_new(o, "sandbox", json_string(f->sandbox));
	return o;
}

char *cni_result_render(const struct cni_result *r, int ver)
{
	json_t *o = json_object(), *ifs = json_array(), *ips = json_array(), *rts = json_array();
	char a[INET6_ADDRSTRLEN + 8];
	char *s = NULL;
	size_t i;

	if (!o || !ifs || !ips || !rts)
		goto out;
	json_object_set_new(o, "cniVersion", json_string(cni_versions[ver]));
	for (i = 0; i < r->nifaces; i++)
		json_array_append_new(ifs, j_iface(&r->ifaces[i]));
	for (i = 0; i < r->nips; i++) {
		json_t *ip = json_object();

		if (ver < CNI_V100)
			json_object_set_new(ip, "version",
					    json_string(r->ips[i].ip.family == AF_INET ? "4" : "6"));
		json_object_set_new(ip, "address",
				    json_string(nsnet_prefix_fmt(&r->ips[i].ip, 1, a, sizeof(a))));
		if (r->ips[i].gw.family)
			json_object_set_new(ip, "gateway",
					    json_string(nsnet_prefix_fmt(&r->ips[i].gw, 0, a, sizeof(a))));
		if (r->nifaces)
			json_object_set_new(ip, "interface", json_integer(r->ip_iface));
		json_array_append_new(ips, ip);
	}
	for (i = 0; i < r->nroutes; i++) {
		json_t *rt = json_object();

		json_object_set_new(rt, "dst",
				    json_string(nsnet_prefix_fmt(&r->routes[i].dst, 1, a, sizeof(a))));
		if (r->routes[i].gw.family)
			json_object_set_new(rt, "gw", json_string(nsnet_prefix_fmt(&r->routes[i].gw, 0,
										   a, sizeof(a))));
		json_array_append_new(rts, rt);
	}
	if (r->nifaces)
		json_object_set(o, "interfaces", ifs);
	if (r->nips)
		json_object_set(o, "ips", ips);
	if (r->nroutes)
		json_object_set(o, "routes", rts);
	if (r->dns)
		json_object_set(o, "dns", r->dns);
	else
		json_object_set_new(o, "dns", json_object());
	s = json_dumps(o, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
out:
	json_decref(ifs);
	json_decref(ips);
	json_decref(rts);
	json_decref(o);
	return s;
}

char *cni_error_render(const struct cni_error *e, const char *version)
{
	json_t *o = json_object();
	char *s;

	json_object_set_new(o, "cniVersion",
			    json_string(cni_version_index(version) >= 0 ? version : "1.1.0"));
	json_object_set_new(o, "code", json_integer(e->code));
	json_object_set_new(o, "msg", json_string(e->msg[0] ? e->msg : "error"));
	if (e->details[0])
		json_object_set_new(o, "details", json_string(e->details));
	s = json_dumps(o, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

char *cni_version_render(const char *version)
{
	json_t *o = json_object(), *v = json_array();
	char *s;
	int i;

	for (i = 0; i < CNI_NVER; i++)
		json_array_append_new(v, json_string(cni_versions[i]));
	json_object_set_new(o, "cniVersion", json_string(version && *version ? version : "1.1.0"));
	json_object_set_new(o, "supportedVersions", v);
	s = json_dumps(o, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}
