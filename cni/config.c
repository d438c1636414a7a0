// SPDX-License-Identifier: MIT
/*
 * nsnet-cni: environment and configuration parsing (pure: no system calls
 * besides memory). Keys are those of the reference bridge plugin, host-local
 * IPAM and the portMappings / ips capabilities, so a conflist switches to
 * nsnet-cni by changing "type" and dropping the chained portmap entry.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nsnet/netns.h"

#include "cni.h"

const char *const cni_versions[CNI_NVER] = { "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0" };

int cni_fail(struct cni_error *e, int code, const char *msg, const char *fmt, ...)
{
	va_list ap;
	char *p;

	if (!e || e->code)
		return -1;
	e->code = code;
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
	e->details[0] = '\0';
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(e->details, sizeof(e->details), fmt, ap);
		va_end(ap);
	}
	/* user bytes may be cut mid-character: keep the JSON output valid UTF-8 */
	for (p = e->details; *p; p++)
		if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20)
			*p = '?';
	return -1;
}

int cni_version_index(const char *s)
{
	int i;

	for (i = 0; s && i < CNI_NVER; i++)
		if (!strcmp(s, cni_versions[i]))
			return i;
	return -1;
}

int cni_cmd_parse(const char *s)
{
	static const char *const names[] = { NULL, "ADD", "DEL", "CHECK", "VERSION", "STATUS", "GC" };
	int i;

	for (i = 1; s && i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (!strcmp(s, names[i]))
			return i;
	return 0;
}

/* Spec: starts alphanumeric, then alphanumerics, '_', '.', '-'. */
static int id_check(const char *s, size_t max)
{
	const char *p;

	if (!s || !isalnum((unsigned char)*s) || strlen(s) > max)
		return -EINVAL;
	for (p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
			return -EINVAL;
	return 0;
}

int cni_cid_check(const char *cid)
{
	return id_check(cid, CNI_CID_MAX);
}

/* Same charset; also the nft table "nsnet-cni-<name>" must fit. */
int cni_network_name_check(const char *name)
{
	return id_check(name, 128);
}

/* "K=V;K=V": every pair has a non-empty key and '='. */
static int args_check(const char *a)
{
	const char *p = a, *end, *eq;

	while (*p) {
		end = strchr(p, ';');
		if (!end)
			end = p + strlen(p);
		if (end != p) {
			eq = memchr(p, '=', (size_t)(end - p));
			if (!eq || eq == p)
				return -EINVAL;
		}
		p = *end ? end + 1 : end;
	}
	return 0;
}

int cni_env_parse(int cmd, const char *cid, const char *netns, const char *ifname,
		  const char *args, const char *path, struct cni_env *env, struct cni_error *e)
{
	int attach = cmd == CNI_ADD || cmd == CNI_DEL || cmd == CNI_CHECK;

	memset(env, 0, sizeof(*env));
	env->cmd = cmd;
	if (!cmd)
		return cni_fail(e, CNI_ERR_ENV, "invalid CNI_COMMAND",
				"CNI_COMMAND must be ADD, DEL, CHECK, VERSION, STATUS or GC");
	if (!attach)
		goto out;
	if (!cid || !*cid)
		return cni_fail(e, CNI_ERR_ENV, "missing CNI_CONTAINERID", "CNI_CONTAINERID is required");
	if (cni_cid_check(cid))
		return cni_fail(e, CNI_ERR_ENV, "invalid CNI_CONTAINERID",
				"CNI_CONTAINERID \"%.200s\": must start with an alphanumeric character "
				"followed by alphanumerics, '_', '.' or '-' (at most %d bytes)",
				cid, CNI_CID_MAX);
	if (!ifname || !*ifname)
		return cni_fail(e, CNI_ERR_ENV, "missing CNI_IFNAME", "CNI_IFNAME is required");
	if (nsnet_ifname_check(ifname, NULL) < 0)
		return cni_fail(e, CNI_ERR_ENV, "invalid CNI_IFNAME",
				"CNI_IFNAME \"%.64s\": 1..15 bytes, not \".\" or \"..\", no '/', ':' or "
				"whitespace", ifname);
	if (cmd != CNI_DEL && (!netns || !*netns))
		return cni_fail(e, CNI_ERR_ENV, "missing CNI_NETNS", "CNI_NETNS is required for %s",
				cmd == CNI_ADD ? "ADD" : "CHECK");
	if (args && *args && args_check(args))
		return cni_fail(e, CNI_ERR_ENV, "invalid CNI_ARGS",
				"CNI_ARGS \"%.200s\": expected KEY=VALUE pairs separated by ';'", args);
	env->cid = cid;
	env->ifname = ifname;
	env->netns = netns && *netns ? netns : NULL;
	env->args = args;
out:
	env->path = path;
	return 0;
}

/* ---- typed getters ----------------------------------------------------------- */

static int get_bool(json_t *o, const char *key, int *out, struct cni_error *e)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration", "\"%s\" must be a boolean",
				key);
	*out = json_is_true(v);
	return 0;
}

static int get_str(json_t *o, const char *key, const char **out, const char *what,
		   struct cni_error *e)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration", "%s\"%s\" must be a string",
				what, key);
	*out = json_string_value(v);
	if (strlen(*out) != json_string_length(v))
		return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
				"%s\"%s\" contains a NUL character", what, key);
	return 0;
}

static int get_int(json_t *o, const char *key, long min, long max, long *out, int *present,
		   const char *what, struct cni_error *e)
{
	json_t *v = json_object_get(o, key);
	double d;

	if (present)
		*present = 0;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i < min || i > max)
			goto bad;
		*out = (long)i;
	} else if (json_is_real(v)) {
		/* JSON has one number type; 80.0 is 80 */
		d = json_real_value(v);
		/* range first: converting a double beyond long is undefined */
		if (!(d >= (double)min && d <= (double)max && d > -9.2e18 && d < 9.2e18) ||
		    d != (double)(long)d)
			goto bad;
		*out = (long)d;
	} else {
		goto bad;
	}
	if (present)
		*present = 1;
	return 0;
bad:
	return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
			"%s\"%s\" must be an integer in %ld..%ld", what, key, min, max);
}

/* ---- address helpers ------------------------------------------------------------ */

static int width(int family)
{
	return family == AF_INET ? 32 : 128;
}

static int cmp_ip(const struct nsnet_prefix *a, const struct nsnet_prefix *b)
{
	return memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16);
}

/* Last address of @net. */
static void last_addr(const struct nsnet_prefix *net, struct nsnet_prefix *out)
{
	int i, bits = net->plen;

	*out = *net;
	for (i = 0; i < (net->family == AF_INET ? 4 : 16); i++) {
		if (bits >= 8) {
			bits -= 8;
			continue;
		}
		out->addr[i] |= (uint8_t)(0xff >> bits);
		bits = 0;
	}
}

static void add_one(struct nsnet_prefix *p, int delta)
{
	int i = (p->family == AF_INET ? 4 : 16) - 1;

	for (; i >= 0; i--) {
		if (delta > 0) {
			if (++p->addr[i] != 0)
				break;
		} else {
			if (p->addr[i]-- != 0)
				break;
		}
	}
}

static int parse_ip_in(const char *s, const struct nsnet_prefix *net, struct nsnet_prefix *out)
{
	if (nsnet_ip_parse(s, out) < 0 || !nsnet_prefix_contains(net, out))
		return -EINVAL;
	out->plen = net->plen;
	return 0;
}

static int parse_range(json_t *o, struct cni_range *r, const char *where, struct cni_error *e)
{
	const char *subnet, *start, *end, *gw;
	struct nsnet_prefix p;

	if (!json_is_object(o))
		return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration", "%s must be an object", where);
	if (get_str(o, "subnet", &subnet, "ipam range ", e) || get_str(o, "rangeStart", &start, "ipam range ", e) ||
	    get_str(o, "rangeEnd", &end, "ipam range ", e) || get_str(o, "gateway", &gw, "ipam range ", e))
		return -1;
	if (!subnet)
		return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration", "%s: \"subnet\" is required",
				where);
	if (nsnet_prefix_parse(subnet, &p, 1) < 0)
		return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
				"%s: subnet \"%.64s\" is not ADDRESS/LENGTH", where, subnet);
	if (p.plen > width(p.family) - 2)
		return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
				"%s: network %s too small to allocate from", where, subnet);
	nsnet_prefix_network(&p, &r->subnet);
	if (start) {
		if (parse_ip_in(start, &r->subnet, &r->start))
			return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
					"%s: rangeStart \"%.64s\" is not an address in %s", where, start,
					subnet);
	} else {
		r->start = r->subnet;
		add_one(&r->start, 1);
	}
	if (end) {
		if (parse_ip_in(end, &r->subnet, &r->end))
			return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
					"%s: rangeEnd \"%.64s\" is not an address in %s", where, end,
					subnet);
	} else {
		last_addr(&r->subnet, &r->end);
		if (r->subnet.family == AF_INET)
			add_one(&r->end, -1);	/* not the broadcast address */
	}
	if (cmp_ip(&r->start, &r->end) > 0)
		return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
				"%s: rangeStart is after rangeEnd", where);
	if (gw) {
		if (parse_ip_in(gw, &r->subnet, &r->gw))
			return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
					"%s: gateway \"%.64s\" is not an address in %s", where, gw, subnet);
	} else {
		r->gw = r->subnet;
		add_one(&r->gw, 1);
	}
	return 0;
}

static int overlaps(const struct cni_range *a, const struct cni_range *b)
{
	return a->subnet.family == b->subnet.family && cmp_ip(&a->start, &b->end) <= 0 &&
	       cmp_ip(&b->start, &a->end) <= 0;
}

static int parse_ipam(struct cni_conf *c, json_t *ipam, const char *name, struct cni_error *e)
{
	json_t *ranges = json_object_get(ipam, "ranges"), *set, *rng, *routes, *rt;
	const char *type, *dir, *s;
	size_t i, j, k, l;
	char where[64];

	if (!json_is_object(ipam))
		return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration", "\"ipam\" must be an object");
	if (get_str(ipam, "type", &type, "ipam ", e))
		return -1;
	if (!type && json_object_size(ipam) == 0)
		return 0;	/* "ipam": {} — layer 2 only, as the bridge plugin */
	if (!type || !*type)
		return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
				"ipam.type is required (\"host-local\", built in, or a plugin on CNI_PATH)");
	if (strcmp(type, "host-local")) {
		/* delegated: a plain file name, searched on CNI_PATH */
		if (strlen(type) >= sizeof(((struct cni_record *)0)->ipam) || strchr(type, '/') ||
		    !strcmp(type, ".") || !strcmp(type, ".."))
			return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
					"ipam.type \"%.64s\": must be a file name (no '/', at most 63 bytes)",
					type);
		c->ipam_type = type;
		goto data_dir;
	}
	c->has_ipam = 1;
	if (ranges && !json_is_null(ranges)) {
		if (!json_is_array(ranges) || !json_array_size(ranges))
			return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
					"ipam.ranges must be a non-empty list of range sets");
		if (json_array_size(ranges) > CNI_MAX_SETS)
			return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
					"ipam.ranges: at most %d range sets", CNI_MAX_SETS);
		json_array_foreach(ranges, i, set) {
			if (!json_is_array(set) || !json_array_size(set) ||
			    json_array_size(set) > CNI_MAX_RANGES)
				return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
						"ipam.ranges[%zu] must be a list of 1..%d ranges", i,
						CNI_MAX_RANGES);
			json_array_foreach(set, j, rng) {
				snprintf(where, sizeof(where), "ipam.ranges[%zu][%zu]", i, j);
				if (parse_range(rng, &c->sets[i].r[j], where, e))
					return -1;
				if (c->sets[i].r[j].subnet.family != c->sets[i].r[0].subnet.family)
					return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
							"ipam.ranges[%zu] mixes IPv4 and IPv6", i);
			}
			c->sets[i].n = json_array_size(set);
		}
		c->nsets = json_array_size(ranges);
	} else if (json_object_get(ipam, "subnet")) {
		if (parse_range(ipam, &c->sets[0].r[0], "ipam", e))
			return -1;
		c->sets[0].n = 1;
		c->nsets = 1;
	} else {
		return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
				"ipam: \"ranges\" (or \"subnet\") is required");
	}
	/* no range may overlap another, in any set */
	for (i = 0; i < c->nsets; i++)
		for (j = 0; j < c->sets[i].n; j++)
			for (k = i; k < c->nsets; k++)
				for (l = k == i ? j + 1 : 0; l < c->sets[k].n; l++)
					if (overlaps(&c->sets[i].r[j], &c->sets[k].r[l]))
						return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
								"ipam: ranges[%zu][%zu] overlaps ranges[%zu][%zu]",
								i, j, k, l);
	routes = json_object_get(ipam, "routes");
	if (routes && !json_is_null(routes)) {
		if (!json_is_array(routes) || json_array_size(routes) > CNI_MAX_ROUTES)
			return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
					"ipam.routes must be a list of at most %d routes", CNI_MAX_ROUTES);
		json_array_foreach(routes, i, rt) {
			struct cni_route *r = &c->routes[i];

			if (!json_is_object(rt) || get_str(rt, "dst", &s, "ipam.routes ", e))
				return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
						"ipam.routes[%zu] must be an object with \"dst\"", i);
			if (!s || nsnet_prefix_parse(s, &r->dst, 1) < 0)
				return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
						"ipam.routes[%zu]: dst \"%.64s\" is not ADDRESS/LENGTH", i,
						s ? s : "");
			nsnet_prefix_network(&r->dst, &r->dst);
			if (get_str(rt, "gw", &s, "ipam.routes ", e))
				return -1;
			if (s && (nsnet_ip_parse(s, &r->gw) < 0 || r->gw.family != r->dst.family))
				return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
						"ipam.routes[%zu]: gw \"%.64s\" is not an address of the "
						"destination's family", i, s);
		}
		c->nroutes = json_array_size(routes);
	}
data_dir:
	if (get_str(ipam, "dataDir", &dir, "ipam ", e))
		return -1;
	if (dir && (dir[0] != '/' || strlen(dir) > 400))
		return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
				"ipam.dataDir must be an absolute path of at most 400 bytes");
	snprintf(c->data_dir, sizeof(c->data_dir), "%s/%s", dir ? dir : CNI_DATA_DIR_DEFAULT, name);
	return 0;
}

static int parse_pm(struct cni_conf *c, json_t *arr, struct cni_error *e)
{
	json_t *o;
	size_t i, j;
	long v;

	if (!json_is_array(arr) || json_array_size(arr) > CNI_MAX_PM)
		return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
				"runtimeConfig.portMappings must be a list of at most %d mappings",
				CNI_MAX_PM);
	json_array_foreach(arr, i, o) {
		struct cni_pm *m = &c->pm[i];
		const char *proto, *hip;

		if (!json_is_object(o))
			return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
					"runtimeConfig.portMappings[%zu] must be an object", i);
		v = 0;
		if (get_int(o, "hostPort", 1, 65535, &v, NULL, "portMappings ", e))
			return -1;
		m->host_port = (uint16_t)v;
		v = 0;
		if (get_int(o, "containerPort", 1, 65535, &v, NULL, "portMappings ", e))
			return -1;
		m->cont_port = (uint16_t)v;
		if (!m->host_port || !m->cont_port)
			return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
					"runtimeConfig.portMappings[%zu]: hostPort and containerPort are required",
					i);
		if (get_str(o, "protocol", &proto, "portMappings ", e) ||
		    get_str(o, "hostIP", &hip, "portMappings ", e))
			return -1;
		if (!proto || !*proto || !strcasecmp(proto, "tcp"))
			m->proto = IPPROTO_TCP;
		else if (!strcasecmp(proto, "udp"))
			m->proto = IPPROTO_UDP;
		else if (!strcasecmp(proto, "sctp"))
			m->proto = IPPROTO_SCTP;
		else
			return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
					"runtimeConfig.portMappings[%zu]: protocol \"%.32s\": tcp, udp or sctp",
					i, proto);
		memset(&m->host_ip, 0, sizeof(m->host_ip));
		if (hip && *hip && strcmp(hip, "0.0.0.0") && strcmp(hip, "::")) {
			if (nsnet_ip_parse(hip, &m->host_ip) < 0)
				return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
						"runtimeConfig.portMappings[%zu]: hostIP \"%.64s\" is not an address",
						i, hip);
		}
		/* two mappings catching the same packets */
		for (j = 0; j < i; j++)
			if (c->pm[j].host_port == m->host_port && c->pm[j].proto == m->proto &&
			    (!c->pm[j].host_ip.family || !m->host_ip.family ||
			     nsnet_ip_equal(&c->pm[j].host_ip, &m->host_ip)))
				return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
						"runtimeConfig.portMappings[%zu] and [%zu] both map host port %u",
						j, i, m->host_port);
	}
	c->npm = json_array_size(arr);
	return 0;
}

/* One direction's rate (bits/s) and burst (bits): both or neither. */
static int parse_rate_burst(json_t *o, const char *rk, const char *bk, uint64_t *rate,
			    uint64_t *burst, const char *where, struct cni_error *e)
{
	long r = 0, b = 0;

	if (get_int(o, rk, 0, LONG_MAX, &r, NULL, where, e) ||
	    get_int(o, bk, 0, LONG_MAX, &b, NULL, where, e))
		return -1;
	if (!r != !b)
		return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
				"%s%s and %s: if one is set, the other must be too", where, rk, bk);
	if (r && (r < 8 || b < 8))
		return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
				"%s%s and %s: at least 8 (bits per second, bits)", where, rk, bk);
	if ((uint64_t)b / 8 > UINT32_MAX)
		return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
				"%s%s: at most %llu bits", where, bk, (unsigned long long)UINT32_MAX * 8);
	*rate = (uint64_t)r;
	*burst = (uint64_t)b;
	return 0;
}

/*
 * Bandwidth, as the reference plugin: the keys at the top of the plugin
 * configuration if any is there, else runtimeConfig.bandwidth.
 */
static int parse_bw(struct cni_conf *c, json_t *root, json_t *rc, struct cni_error *e)
{
	static const char *const keys[] = { "ingressRate", "ingressBurst", "egressRate", "egressBurst" };
	json_t *o = NULL, *v;
	const char *where = "";
	size_t i;

	for (i = 0; i < 4; i++)
		if (json_object_get(root, keys[i]))
			o = root;
	if (!o && (v = json_object_get(rc, "bandwidth")) && !json_is_null(v)) {
		if (!json_is_object(v))
			return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
					"runtimeConfig.bandwidth must be an object");
		o = v;
		where = "runtimeConfig.bandwidth.";
	}
	if (!o)
		return 0;
	return parse_rate_burst(o, keys[0], keys[1], &c->bw.in_rate, &c->bw.in_burst, where, e) ||
	       parse_rate_burst(o, keys[2], keys[3], &c->bw.eg_rate, &c->bw.eg_burst, where, e) ? -1 : 0;
}

static int add_req(struct cni_conf *c, const char *s, const char *where, struct cni_error *e)
{
	struct nsnet_prefix p;
	char buf[64];
	size_t n = strcspn(s, "/");

	if (n >= sizeof(buf))
		goto bad;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (nsnet_ip_parse(buf, &p) < 0)
		goto bad;
	if (s[n] && nsnet_prefix_parse(s, &p, 1) < 0)
		goto bad;
	if (c->nreq >= CNI_MAX_SETS)
		return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
				"%s: at most %d addresses", where, CNI_MAX_SETS);
	c->req[c->nreq++] = p;
	return 0;
bad:
	return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
			"%s: \"%.64s\" is not an address", where, s);
}

static int parse_ips(struct cni_conf *c, json_t *arr, const char *where, struct cni_error *e)
{
	json_t *v;
	size_t i;

	if (!json_is_array(arr))
		return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration", "%s must be a list", where);
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v))
			return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
					"%s[%zu] must be a string", where, i);
		if (add_req(c, json_string_value(v), where, e))
			return -1;
	}
	return 0;
}

/* CNI_ARGS "IP=a,b": requested addresses (host-local's convention). */
static int parse_args_ip(struct cni_conf *c, const char *args, struct cni_error *e)
{
	const char *p = args;
	char buf[256];

	while (p && *p) {
		const char *end = strchr(p, ';');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n > 3 && !strncmp(p, "IP=", 3)) {
			const char *q = p + 3, *stop = p + n;

			while (q < stop) {
				const char *comma = memchr(q, ',', (size_t)(stop - q));
				size_t m = (size_t)((comma ? comma : stop) - q);

				if (m >= sizeof(buf))
					return cni_fail(e, CNI_ERR_ENV, "invalid CNI_ARGS",
							"CNI_ARGS IP: address too long");
				memcpy(buf, q, m);
				buf[m] = '\0';
				if (add_req(c, buf, "CNI_ARGS IP", e)) {
					e->code = CNI_ERR_ENV;
					return -1;
				}
				q += m + (comma != NULL);
			}
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}

static int parse_valid(struct cni_conf *c, json_t *arr, struct cni_error *e)
{
	json_t *o;
	size_t i;

	c->has_valid = 1;
	if (!json_is_array(arr))
		return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
				"\"cni.dev/valid-attachments\" must be a list");
	c->valid = calloc(json_array_size(arr) + 1, sizeof(*c->valid));
	if (!c->valid)
		return cni_fail(e, CNI_ERR_IO, "out of memory", NULL);
	json_array_foreach(arr, i, o) {
		const char *cid, *ifname;

		if (!json_is_object(o) || get_str(o, "containerID", &cid, "valid-attachments ", e) ||
		    get_str(o, "ifname", &ifname, "valid-attachments ", e) || !cid || !ifname)
			return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
					"cni.dev/valid-attachments[%zu] needs \"containerID\" and \"ifname\"",
					i);
		c->valid[c->nvalid].cid = cid;
		c->valid[c->nvalid].ifname = ifname;
		c->nvalid++;
	}
	return 0;
}

/* Keys of the reference bridge plugin we cannot honour: error 2 with key and value. */
static int unsupported(json_t *root, struct cni_error *e)
{
	static const char *const keys[] = { "vlan", "vlanTrunk", "macspoofchk",
					    "disableContainerInterface", "enabledad" };
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(root, keys[i]);
		char *s;

		if (!v || json_is_null(v) || json_is_false(v) ||
		    (json_is_integer(v) && !json_integer_value(v)) ||
		    (json_is_array(v) && !json_array_size(v)))
			continue;
		s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		cni_fail(e, CNI_ERR_UNSUPPORTED, "unsupported field", "\"%s\": %.200s: not supported by nsnet-cni",
			 keys[i], s ? s : "?");
		free(s);
		return -1;
	}
	return 0;
}

int cni_conf_parse(const char *buf, size_t len, const struct cni_env *env, struct cni_conf *c,
		   struct cni_error *e)
{
	json_error_t jerr;
	json_t *root, *v, *rc;
	const char *br = NULL;
	long mtu = 0;

	memset(c, 0, sizeof(*c));
	c->ver = -1;
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return cni_fail(e, CNI_ERR_DECODE, "decoding failed",
				"network configuration: %s (line %d, column %d)", jerr.text, jerr.line,
				jerr.column);
	c->root = root;
	if (!json_is_object(root))
		return cni_fail(e, CNI_ERR_DECODE, "decoding failed",
				"network configuration must be a JSON object");
	if (get_str(root, "cniVersion", &c->version, "", e))
		return -1;
	c->ver = cni_version_index(c->version);
	if (env->cmd == CNI_VERSION)
		return 0;
	if (c->ver < 0)
		return cni_fail(e, CNI_ERR_VERSION, "incompatible CNI version",
				"cniVersion \"%.32s\" is not supported (0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0)",
				c->version ? c->version : "");
	if (env->cmd == CNI_CHECK && c->ver < CNI_V040)
		return cni_fail(e, CNI_ERR_VERSION, "incompatible CNI version",
				"CHECK needs cniVersion 0.4.0 or later (got %s)", c->version);
	if ((env->cmd == CNI_GC || env->cmd == CNI_STATUS) && c->ver < CNI_V110)
		return cni_fail(e, CNI_ERR_VERSION, "incompatible CNI version",
				"%s needs cniVersion 1.1.0 or later (got %s)",
				env->cmd == CNI_GC ? "GC" : "STATUS", c->version);
	if (get_str(root, "name", &c->name, "", e) || get_str(root, "type", &c->type, "", e))
		return -1;
	if (!c->name || cni_network_name_check(c->name))
		return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
				"\"name\" \"%.64s\": must start with an alphanumeric character followed by "
				"alphanumerics, '_', '.' or '-' (at most 128 bytes)",
				c->name ? c->name : "");
	if (unsupported(root, e))
		return -1;
	if (get_str(root, "bridge", &br, "", e))
		return -1;
	if (!br)
		br = "cni0";
	/* it appears quoted in nft rules: no quote, backslash or wildcard '*' */
	if (nsnet_ifname_check(br, NULL) < 0 || strpbrk(br, "\"\\*"))
		return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
				"bridge \"%.64s\": not a valid interface name (no '\"', '\\' or '*')",
				br);
	snprintf(c->bridge, sizeof(c->bridge), "%s", br);
	if (get_bool(root, "isGateway", &c->is_gw, e) ||
	    get_bool(root, "isDefaultGateway", &c->is_default_gw, e) ||
	    get_bool(root, "ipMasq", &c->ip_masq, e) || get_bool(root, "hairpinMode", &c->hairpin, e) ||
	    get_bool(root, "promiscMode", &c->promisc, e) ||
	    get_bool(root, "forceAddress", &c->force_address, e))
		return -1;
	if (c->is_default_gw)
		c->is_gw = 1;
	if (get_int(root, "mtu", 0, 65535, &mtu, NULL, "", e))
		return -1;
	if (mtu && mtu < 68)
		return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration", "\"mtu\" must be >= 68");
	c->mtu = (int)mtu;
	snprintf(c->data_dir, sizeof(c->data_dir), "%s/%s", CNI_DATA_DIR_DEFAULT, c->name);
	v = json_object_get(root, "ipam");
	if (v && !json_is_null(v) && parse_ipam(c, v, c->name, e))
		return -1;
	v = json_object_get(root, "dns");
	if (v && !json_is_null(v)) {
		if (!json_is_object(v))
			return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration", "\"dns\" must be an object");
		if (json_object_size(v))
			c->dns = v;
	}
	rc = json_object_get(root, "runtimeConfig");
	if (rc && !json_is_null(rc)) {
		if (!json_is_object(rc))
			return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
					"\"runtimeConfig\" must be an object");
		v = json_object_get(rc, "portMappings");
		if (v && !json_is_null(v) && parse_pm(c, v, e))
			return -1;
		v = json_object_get(rc, "ips");
		if (v && !json_is_null(v) && parse_ips(c, v, "runtimeConfig.ips", e))
			return -1;
	}
	if (parse_bw(c, root, json_is_object(rc) ? rc : NULL, e))
		return -1;
	/* args.cni.ips, then CNI_ARGS IP: only if runtimeConfig gave none */
	v = json_object_get(json_object_get(json_object_get(root, "args"), "cni"), "ips");
	if (!c->nreq && v && !json_is_null(v) && parse_ips(c, v, "args.cni.ips", e))
		return -1;
	if (!c->nreq && env->args && parse_args_ip(c, env->args, e))
		return -1;
	if (c->nreq && !c->has_ipam && !c->ipam_type)
		return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
				"static addresses requested but \"ipam\" has no ranges");
	v = json_object_get(root, "prevResult");
	if (v && !json_is_null(v)) {
		if (!json_is_object(v))
			return cni_fail(e, CNI_ERR_DECODE, "decoding failed", "\"prevResult\" must be an object");
		c->prev = v;
	}
	if (env->cmd == CNI_GC) {
		v = json_object_get(root, "cni.dev/valid-attachments");
		if (v && parse_valid(c, v, e))
			return -1;
	}
	return 0;
}

void cni_conf_free(struct cni_conf *c)
{
	if (!c)
		return;
	free(c->valid);
	json_decref(c->root);
	memset(c, 0, sizeof(*c));
}
