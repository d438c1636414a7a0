// SPDX-License-Identifier: MIT
/*
 * nsnet-cni: the network's nftables table, through libnftables' JSON input.
 *
 * One table per network, "inet nsnet-cni-<network>", created once with a
 * fixed set of chains and rules; containers only add and remove elements, so
 * the rule count never grows:
 *
 *   set masq4/masq6   container addresses to masquerade (ipMasq)
 *   map pm4/pm6       proto . hostPort          : address . containerPort
 *   map pmh4/pmh6     hostIP . proto . hostPort : address . containerPort
 *
 *   prerouting  nat dstnat  fib daddr type local jump pm   (outside, hairpin)
 *   output      nat -100    fib daddr type local jump pm   (the host, 127.0.0.1)
 *   pm                      dnat via pmh4, pmh6, pm4, pm6
 *   set net4/net6     the network's subnets (static, from the ranges); with a
 *                     delegated IPAM, every attachment's addresses
 *                     (elements like the others)
 *
 *   postrouting nat srcnat  saddr @masqN oifname != BRIDGE masquerade
 *                           ct status dnat oifname BRIDGE saddr @netN masquerade (hairpin)
 *                           ct status dnat oifname BRIDGE saddr 127/8 masquerade (localhost)
 *
 * DEL removes an element only if it still maps to that attachment: the
 * transaction first adds the very element (a no-op when present with the
 * same data, a failure when the key now belongs to someone else), then deletes
 * it — idempotent in one transaction, with no listing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/netlink.h>
#include <nftables/libnftables.h>

#include "nsnet/nat.h"
#include "nsnet/nl.h"

#include "cni.h"

void cni_fw_table(const struct cni_conf *c, char *buf, size_t len)
{
	snprintf(buf, len, "nsnet-cni-%s", c->name);
}

static json_t *cmd(const char *verb, const char *kind, json_t *obj)
{
	return json_pack("{s:{s:o}}", verb, kind, obj);
}

/* 1 if range [j][k]'s subnet already appeared in an earlier range */
static int seen(const struct cni_conf *c, size_t j, size_t k)
{
	const struct nsnet_prefix *sn = &c->sets[j].r[k].subnet;
	size_t a, b;

	for (a = 0; a <= j; a++)
		for (b = 0; b < (a == j ? k : c->sets[a].n); b++)
			if (nsnet_ip_equal(&c->sets[a].r[b].subnet, sn) &&
			    c->sets[a].r[b].subnet.plen == sn->plen)
				return 1;
	return 0;
}

char *cni_fw_table_script(const struct cni_conf *c)
{
	static const char *const fams[] = { "ip", "ip6" };
	char t[160], *s = NULL;
	size_t len = 0, i, j, k;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	/*
	 * nft's text syntax: its JSON parser (1.0.6) crashes on a dnat with a
	 * concatenated map. The table name ([A-Za-z0-9_.-] after "nsnet-cni-")
	 * is a plain identifier; the bridge name is checked to need no escape.
	 * "create": an existing (broken) table is reported, never doubled.
	 */
	cni_fw_table(c, t, sizeof(t));
	fprintf(f, "create table inet %s\n", t);
	for (i = 0; i < 2; i++) {
		const char *at = i ? "ipv6_addr" : "ipv4_addr";
		char n = i ? '6' : '4';

		fprintf(f, "add set inet %s masq%c { type %s; }\n", t, n, at);
		fprintf(f, "add set inet %s net%c { type %s; flags interval; }\n", t, n, at);
		for (j = 0; j < c->nsets; j++)
			for (k = 0; k < c->sets[j].n; k++) {
				const struct nsnet_prefix *sn = &c->sets[j].r[k].subnet;
				char b[64];

				if (sn->family != (i ? AF_INET6 : AF_INET) || seen(c, j, k))
					continue;
				fprintf(f, "add element inet %s net%c { %s }\n", t, n,
					nsnet_prefix_fmt(sn, 1, b, sizeof(b)));
			}
		fprintf(f, "add map inet %s pm%c { type inet_proto . inet_service : %s . inet_service; }\n",
			t, n, at);
		fprintf(f, "add map inet %s pmh%c { type %s . inet_proto . inet_service : %s . inet_service; }\n",
			t, n, at, at);
	}
	fprintf(f, "add chain inet %s prerouting { type nat hook prerouting priority -100; policy accept; }\n", t);
	fprintf(f, "add chain inet %s output { type nat hook output priority -100; policy accept; }\n", t);
	fprintf(f, "add chain inet %s pm\n", t);
	fprintf(f, "add chain inet %s postrouting { type nat hook postrouting priority 100; policy accept; }\n", t);
	fprintf(f, "add rule inet %s prerouting fib daddr type local jump pm\n", t);
	fprintf(f, "add rule inet %s output fib daddr type local jump pm\n", t);
	for (i = 0; i < 2; i++)
		fprintf(f, "add rule inet %s pm dnat %s to %s daddr . meta l4proto . th dport map @pmh%c\n",
			t, fams[i], fams[i], i ? '6' : '4');
	for (i = 0; i < 2; i++)
		fprintf(f, "add rule inet %s pm dnat %s to meta l4proto . th dport map @pm%c\n", t,
			fams[i], i ? '6' : '4');
	for (i = 0; i < 2; i++)
		fprintf(f, "add rule inet %s postrouting %s saddr @masq%c oifname != \"%s\" masquerade\n",
			t, fams[i], i ? '6' : '4', c->bridge);
	/* hairpin (container -> host port -> container on this bridge): iifname is
	 * unknown in postrouting, so the sources are the network's subnets */
	for (i = 0; i < 2; i++)
		fprintf(f, "add rule inet %s postrouting ct status dnat oifname \"%s\" %s saddr @net%c masquerade\n",
			t, c->bridge, fams[i], i ? '6' : '4');
	fprintf(f, "add rule inet %s postrouting ct status dnat oifname \"%s\" ip saddr 127.0.0.0/8 masquerade\n",
		t, c->bridge);
	if (fclose(f)) {
		free(s);
		return NULL;
	}
	return s;
}

static const char *fw_proto(int p)
{
	return p == IPPROTO_UDP ? "udp" : p == IPPROTO_SCTP ? "sctp" : "tcp";
}

static const char *ipstr(const struct nsnet_prefix *p, char *buf)
{
	inet_ntop(p->family, p->addr, buf, INET6_ADDRSTRLEN);
	return buf;
}

/* The element list of @r: each as {"set": name, "elem": value-as-listed}. */
static json_t *elements(const struct cni_record *r)
{
	json_t *v = json_array();
	char a[INET6_ADDRSTRLEN], h[INET6_ADDRSTRLEN];
	size_t i, j;

	for (i = 0; r->masq && i < r->nips; i++)
		json_array_append_new(v, json_pack("{s:s,s:s}", "set",
						   r->ips[i].ip.family == AF_INET ? "masq4" : "masq6",
						   "elem", ipstr(&r->ips[i].ip, a)));
	/*
	 * A delegated IPAM's subnets are not in the configuration: the hairpin
	 * sources (net4/net6) get the attachment's addresses instead.
	 */
	for (i = 0; r->ipam[0] && i < r->nips; i++)
		json_array_append_new(v, json_pack("{s:s,s:s}", "set",
						   r->ips[i].ip.family == AF_INET ? "net4" : "net6",
						   "elem", ipstr(&r->ips[i].ip, a)));
	for (i = 0; i < r->npm; i++) {
		const struct cni_pm *m = &r->pm[i];

		for (j = 0; j < r->nips; j++) {
			const struct nsnet_prefix *ip = &r->ips[j].ip;
			int v6 = ip->family == AF_INET6;
			json_t *key, *val;

			if (m->host_ip.family && m->host_ip.family != ip->family)
				continue;
			val = json_pack("{s:[s,i]}", "concat", ipstr(ip, a), m->cont_port);
			if (m->host_ip.family)
				key = json_pack("{s:[s,s,i]}", "concat", ipstr(&m->host_ip, h),
						fw_proto(m->proto), m->host_port);
			else
				key = json_pack("{s:[s,i]}", "concat", fw_proto(m->proto), m->host_port);
			json_array_append_new(v, json_pack("{s:s,s:[o,o]}", "set",
				m->host_ip.family ? (v6 ? "pmh6" : "pmh4") : (v6 ? "pm6" : "pm4"),
				"elem", key, val));
		}
	}
	return v;
}

static json_t *elem_cmd(const char *table, const char *op, json_t *e)
{
	return cmd(op, "element",
		   json_pack("{s:s,s:s,s:O,s:[O]}", "family", "inet", "table", table, "name",
			     json_object_get(e, "set"), "elem", json_object_get(e, "elem")));
}

int cni_fw_elem_cmds(json_t *cmds, const struct cni_conf *c, const struct cni_record *r,
		     const char *op)
{
	json_t *v = elements(r), *e;
	char t[160];
	size_t i;
	int n;

	cni_fw_table(c, t, sizeof(t));
	json_array_foreach(v, i, e)
		json_array_append_new(cmds, elem_cmd(t, op, e));
	n = (int)json_array_size(v);
	json_decref(v);
	return n;
}

/* ---- running libnftables ---------------------------------------------------------- */

/*
 * One transaction through the library's libnftables runner; in session @sess
 * if given (kept open by the caller), else in a context of its own.
 */
static int nft_run_text(struct nsnet_nft *sess, const char *text, char **out,
			struct nsnet_err *err)
{
	int ret = nsnet_fault_point();

	if (ret < 0)
		return nsnet_err_set(err, ret, "nftables: injected fault (NSNET_FAIL_AT)");
	if (!text)
		return nsnet_err_set(err, -ENOMEM, "nftables: out of memory");
	return sess ? nsnet_nft_exec(sess, text, out, err) : nsnet_nft_run(text, out, err);
}

static int nft_run_in(struct nsnet_nft *sess, json_t *cmds, char **out, struct nsnet_err *err)
{
	json_t *root = json_pack("{s:O}", "nftables", cmds);
	char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
	int ret = text ? nft_run_text(sess, text, out, err) :
			 nsnet_err_set(err, -ENOMEM, "out of memory");

	free(text);
	json_decref(root);
	return ret;
}

static int nft_run(json_t *cmds, char **out, struct nsnet_err *err)
{
	return nft_run_in(NULL, cmds, out, err);
}

int cni_fw_add(const struct cni_conf *c, const struct cni_record *r, int *created,
	       struct nsnet_err *err)
{
	json_t *cmds = json_array();
	char *script = NULL;
	int ret;

	if (cni_fw_elem_cmds(cmds, c, r, "add") == 0) {
		/* nothing per container: still make sure the table exists (ipMasq off, no ports) */
		ret = 0;
		goto out;
	}
	ret = nft_run(cmds, NULL, err);
	if (ret != -ENOENT)
		goto out;
	/* first container of the network: the table, then the elements */
	nsnet_err_clear(err);
	script = cni_fw_table_script(c);
	if (!script) {
		ret = nsnet_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	ret = nft_run_text(NULL, script, NULL, err);
	if (ret == -EEXIST) {
		char t[160];

		cni_fw_table(c, t, sizeof(t));
		nsnet_err_set(err, ret, "nft table inet %s exists but lacks a set or map (delete it)", t);
		goto out;
	}
	if (ret < 0)
		goto out;
	*created = 1;
	ret = nft_run(cmds, NULL, err);
out:
	free(script);
	json_decref(cmds);
	return ret;
}

int cni_fw_del(const struct cni_conf *c, const struct cni_record *r, struct nsnet_nft **keep,
	       struct nsnet_err *err)
{
	json_t *cmds = json_array(), *v, *e, *one;
	struct nsnet_nft *sess = NULL;
	char t[160];
	size_t i;
	int ret;

	cni_fw_elem_cmds(cmds, c, r, "add");
	if (!json_array_size(cmds)) {
		ret = 0;
		goto out;
	}
	if (keep && (ret = nsnet_nft_open(&sess, err)) < 0)
		goto out;
	cni_fw_elem_cmds(cmds, c, r, "delete");
	ret = nft_run_in(sess, cmds, NULL, err);
	if (ret == 0 || ret == -ENOENT) {	/* ENOENT: no table, nothing of ours */
		nsnet_err_clear(err);
		ret = 0;
		goto out;
	}
	if (ret != -EEXIST && ret != -EBUSY)
		goto out;
	/* a key now maps elsewhere: remove ours one by one, leave the other */
	nsnet_err_clear(err);
	ret = 0;
	cni_fw_table(c, t, sizeof(t));
	v = elements(r);
	json_array_foreach(v, i, e) {
		one = json_array();
		json_array_append_new(one, elem_cmd(t, "add", e));
		json_array_append_new(one, elem_cmd(t, "delete", e));
		nft_run_in(sess, one, NULL, NULL);
		json_decref(one);
	}
	json_decref(v);
out:
	if (keep)
		*keep = sess;
	else
		nsnet_nft_close(sess);
	json_decref(cmds);
	return ret;
}

int cni_fw_check(const struct cni_conf *c, const struct cni_record *r, struct nsnet_err *err)
{
	json_t *v = elements(r), *e, *root = NULL, *arr, *o, *list = json_array();
	char t[160], *out = NULL;
	size_t i, j, k;
	int ret;

	cni_fw_table(c, t, sizeof(t));
	json_array_append_new(list, json_pack("{s:{s:{s:s,s:s}}}", "list", "table", "family", "inet",
					      "name", t));
	if (!json_array_size(v)) {
		ret = 0;
		goto out;
	}
	ret = nft_run(list, &out, err);
	if (ret < 0) {
		if (ret == -ENOENT)
			nsnet_err_set(err, ret, "nft table inet %s is missing", t);
		goto out;
	}
	root = json_loads(out, 0, NULL);
	arr = json_object_get(root, "nftables");
	json_array_foreach(v, i, e) {
		const char *set = json_string_value(json_object_get(e, "set"));
		json_t *want = json_object_get(e, "elem");
		int found = 0;

		json_array_foreach(arr, j, o) {
			json_t *s = json_object_get(o, "set"), *el;

			if (!s)
				s = json_object_get(o, "map");
			if (!s || strcmp(json_string_value(json_object_get(s, "name")) ?: "", set))
				continue;
			json_array_foreach(json_object_get(s, "elem"), k, el)
				if (json_equal(el, want))
					found = 1;
		}
		if (!found) {
			char *d = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);

			ret = nsnet_err_set(err, -ENOENT, "nft table inet %s: element %s missing from %s",
					    t, d ? d : "?", set);
			free(d);
			goto out;
		}
	}
out:
	free(out);
	json_decref(root);
	json_decref(list);
	json_decref(v);
	return ret;
}

int cni_fw_drop_table(const struct cni_conf *c, struct nsnet_err *err)
{
	char t[160];
	json_t *cmds = json_array();
	int ret;

	cni_fw_table(c, t, sizeof(t));
	json_array_append_new(cmds, cmd("delete", "table", json_pack("{s:s,s:s}", "family", "inet",
								    "name", t)));
	ret = nft_run(cmds, NULL, err);
	json_decref(cmds);
	return ret;
}

int cni_fw_ready(struct nsnet_err *err)
{
	json_t *list = json_array();
	int ret;

	json_array_append_new(list, json_pack("{s:{s:{s:s}}}", "list", "tables", "family", "inet"));
	ret = nft_run(list, NULL, err);
	json_decref(list);
	return ret;
}
