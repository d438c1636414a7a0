// SPDX-License-Identifier: MIT
/*
 * Runtime port forwards of a running lab (nsnet forward, nsnet run -p): kept
 * in the lab's state file "forwards", applied together with the lab file's
 * NAT as one nftables transaction that rewrites the lab's table.
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nsnet/apply.h"
#include "nsnet/nat.h"
#include "nsnet/netns.h"
#include "nsnet/state.h"
#include "apply-int.h"

#define FWD_FILE "forwards"

static int read_forwards(const char *lab, struct nsnet_forward **v, size_t *n,
			 struct nsnet_err *err)
{
	char *text = NULL, *line, *save = NULL;
	struct nsnet_forward *out = NULL;
	size_t cnt = 0, len;
	int ret;

	*v = NULL;
	*n = 0;
	ret = nsnet_state_get(lab, FWD_FILE, &text, &len, NULL);
	if (ret < 0)
		return 0;	/* none yet */
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct nsnet_forward f = { 0 };
		char proto[8], to[64], host[64], node[64];
		unsigned port, count, to_port;
		struct nsnet_forward *nv;

		if (sscanf(line, "%7s %u %u %63s %u %63s %63s", proto, &port, &count, to, &to_port,
			   host, node) != 7 || port > 65535 || to_port > 65535 || !count ||
		    count > 65535 || nsnet_prefix_parse(to, &f.to_addr, 1) < 0)
			continue;	/* ignore what we did not write */
		f.proto = !strcmp(proto, "udp") ? IPPROTO_UDP : IPPROTO_TCP;
		f.port = (uint16_t)port;
		f.count = (uint16_t)count;
		f.to_port = (uint16_t)to_port;
		if (strcmp(host, "-") && nsnet_ip_parse(host, &f.host_addr) < 0)
			continue;
		if (strcmp(node, "-"))
			snprintf(f.node, sizeof(f.node), "%s", node);
		f.runtime = 1;
		nv = realloc(out, (cnt + 1) * sizeof(*nv));
		if (!nv) {
			free(out);
			free(text);
			return nsnet_err_set(err, -ENOMEM, "out of memory");
		}
		out = nv;
		out[cnt++] = f;
	}
	free(text);
	*v = out;
	*n = cnt;
	return 0;
}

static int write_forwards(const char *lab, const struct nsnet_forward *v, size_t n,
			  struct nsnet_err *err)
{
	char *buf, to[64], host[64], path[PATH_MAX];
	size_t i, len = 0;
	int ret;

	if (!n) {
		/* none left: no file, as before the first one */
		if (nsnet_state_path(lab, FWD_FILE, path, sizeof(path)) < 0)
			return nsnet_err_set(err, -EINVAL, "invalid state path");
		if (unlink(path) < 0 && errno != ENOENT)
			return nsnet_err_set(err, -errno, "cannot remove %s: %s", path,
					     strerror(errno));
		return 0;
	}
	buf = malloc(n * 200 + 1);
	if (!buf)
		return nsnet_err_set(err, -ENOMEM, "out of memory");
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		nsnet_prefix_fmt(&v[i].to_addr, 1, to, sizeof(to));
		if (v[i].host_addr.family)
			nsnet_prefix_fmt(&v[i].host_addr, 0, host, sizeof(host));
		else
			snprintf(host, sizeof(host), "-");
		len += (size_t)snprintf(buf + len, 200, "%s %u %u %s %u %s %s\n",
					v[i].proto == IPPROTO_UDP ? "udp" : "tcp", v[i].port,
					v[i].count ? v[i].count : 1, to, v[i].to_port, host,
					v[i].node[0] ? v[i].node : "-");
	}
	ret = nsnet_state_put(lab, FWD_FILE, buf, len, err);
	free(buf);
	return ret;
}

static void lab_forward(const struct nsnet_lab_forward *lf, struct nsnet_forward *f)
{
	memset(f, 0, sizeof(*f));
	f->proto = lf->proto;
	f->port = lf->port;
	f->count = lf->count ? lf->count : 1;
	f->to_port = lf->to_port;
	f->host_addr = lf->host_addr;
	f->to_addr = lf->to_addr;
	snprintf(f->node, sizeof(f->node), "%s", lf->node ? lf->node : "");
}

static int overlaps(const struct nsnet_forward *a, const struct nsnet_forward *b)
{
	unsigned a0 = a->port, a1 = a->port + (a->count ? a->count : 1u) - 1;
	unsigned b0 = b->port, b1 = b->port + (b->count ? b->count : 1u) - 1;

	if (a->proto != b->proto || a1 < b0 || b1 < a0)
		return 0;
	/* an IPv4 and an IPv6 forward of one port catch different packets */
	if (a->to_addr.family && b->to_addr.family && a->to_addr.family != b->to_addr.family)
		return 0;
	return !a->host_addr.family || !b->host_addr.family ||
	       nsnet_ip_equal(&a->host_addr, &b->host_addr);
}

/* The node's first IPv4 address on a bridge, with its prefix length. */
static int node_addr(const struct nsnet_lab *lab, const char *node, struct nsnet_prefix *out)
{
	size_t i, j, k;

	for (i = 0; i < lab->nnodes; i++) {
		if (strcmp(lab->nodes[i].name, node))
			continue;
		for (j = 0; j < lab->nodes[i].nifaces; j++) {
			const struct nsnet_lab_iface *f = &lab->nodes[i].ifaces[j];

			if (f->kind != NSNET_IFACE_BRIDGE)
				continue;
			for (k = 0; k < f->naddrs; k++) {
				if (f->addrs[k].p.family == AF_INET) {
					*out = f->addrs[k].p;
					return 0;
				}
			}
		}
		return -EADDRNOTAVAIL;
	}
	return -ENOENT;
}

/*
 * The lab's table with its file's NAT and runtime forwards @v. A lab without
 * NAT of its own got the table for its runtime forwards: it goes with the
 * last of them (rewriting it would keep their rules).
 */
static int apply(const struct nsnet_lab *lab, const struct nsnet_forward *v, size_t n,
		 struct nsnet_err *err)
{
	char table[96];

	if (!n && !lab->nat.nmasq && !lab->nat.nfwd) {
		snprintf(table, sizeof(table), "nsnet-%s", lab->name);
		return nsnet_nat_delete(table, err);
	}
	return nsnet__nat_apply_all(lab, v, n, err);
}

static int journal_has(const char *lab, const char *line)
{
	char **lines;
	int n, i, found = 0;

	n = nsnet_state_read(lab, &lines, NULL);
	for (i = 0; i < n; i++)
		found |= !strcmp(lines[i], line);
	nsnet_strv_free(lines);
	return found;
}

static int forward_change(const char *name, const struct nsnet_forward *add,
			  const struct nsnet_forward *del, struct nsnet_err *err)
{
	struct nsnet_forward *v = NULL, *old = NULL, *nv, f;
	struct nsnet_lab *lab = NULL;
	size_t n = 0, nold = 0, i, k;
	char line[128];
	int lock, ret;

	lock = nsnet_state_lock(name, err);
	if (lock < 0)
		return lock;
	if (!nsnet_state_exists(name)) {
		ret = nsnet_err_set(err, -ENOENT, "lab \"%s\" is not up", name);
		goto out;
	}
	ret = nsnet_lab_saved(name, &lab, err);
	if (ret == 0)
		ret = read_forwards(name, &v, &n, err);
	if (ret == 0)
		ret = read_forwards(name, &old, &nold, err);
	if (ret < 0)
		goto out;
	if (add) {
		f = *add;
		if (!f.count)
			f.count = 1;
		if (!f.port || !f.to_port || f.port + f.count - 1 > 65535 ||
		    f.to_port + f.count - 1 > 65535 ||
		    (f.proto != IPPROTO_TCP && f.proto != IPPROTO_UDP)) {
			ret = nsnet_err_set(err, -EINVAL, "forward: ports must be 1..65535 and the "
					    "protocol tcp or udp");
			goto out;
		}
		if (!f.to_addr.family) {
			ret = node_addr(lab, f.node, &f.to_addr);
			if (ret == -ENOENT)
				ret = nsnet_err_set(err, -EINVAL, "forward: lab \"%s\" has no node \"%s\"",
						    name, f.node);
			else if (ret < 0)
				ret = nsnet_err_set(err, -EINVAL, "forward: node \"%s\" has no IPv4 "
						    "address on a bridge", f.node);
			if (ret < 0)
				goto out;
		}
		for (i = 0; i < lab->nat.nfwd + n; i++) {
			struct nsnet_forward o;

			if (i < lab->nat.nfwd)
				lab_forward(&lab->nat.fwd[i], &o);
			else
				o = v[i - lab->nat.nfwd];
			if (overlaps(&o, &f)) {
				ret = nsnet_err_set(err, -EEXIST, "forward: %s port %u is already "
						    "forwarded (to %s:%u)",
						    f.proto == IPPROTO_UDP ? "udp" : "tcp", f.port,
						    o.node[0] ? o.node : "?", o.to_port);
				goto out;
			}
		}
		nv = realloc(v, (n + 1) * sizeof(*nv));
		if (!nv) {
			ret = nsnet_err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		v = nv;
		v[n++] = f;
	}
	if (del) {
		for (i = k = 0; i < n; i++) {
			if (v[i].proto == del->proto && v[i].port == del->port &&
			    (!del->host_addr.family || nsnet_ip_equal(&v[i].host_addr, &del->host_addr)))
				continue;
			v[k++] = v[i];
		}
		if (k == n) {
			for (i = 0; i < lab->nat.nfwd; i++)
				if (lab->nat.fwd[i].proto == del->proto &&
				    lab->nat.fwd[i].port == del->port)
					break;
			ret = nsnet_err_set(err, -ENOENT, i < lab->nat.nfwd ?
					    "forward: %s port %u comes from the lab file; it goes "
					    "with the lab" : "forward: no %s forward on port %u",
					    del->proto == IPPROTO_UDP ? "udp" : "tcp", del->port);
			goto out;
		}
		n = k;
	}
	/* record intent: the table (and the sysctl it holds) may be new for this lab */
	snprintf(line, sizeof(line), "nft nsnet-%s", name);
	if (!journal_has(name, line)) {
		ret = nsnet_state_log(name, err, "nft nsnet-%s\nhold %s", name, NSNET_FWD_KEY);
		if (ret < 0)
			goto out;
	}
	/*
	 * The record never lags behind the table: a forward being added is
	 * written before the transaction, one being removed after it, so that
	 * a crash in between leaves it recorded for gc and down. On failure
	 * (the transaction, or the sysctls after it) both go back as they were.
	 */
	ret = add ? write_forwards(name, v, n, err) : 0;
	if (ret == 0)
		ret = apply(lab, v, n, err);
	if (ret == 0 && !add)
		ret = write_forwards(name, v, n, err);
	if (ret < 0) {
		write_forwards(name, old, nold, NULL);
		apply(lab, old, nold, NULL);
	}
out:
	free(old);
	free(v);
	nsnet_lab_free(lab);
	nsnet_state_unlock(lock);
	return ret;
}

int nsnet_lab_forward_add(const char *lab, const struct nsnet_forward *f, struct nsnet_err *err)
{
	return forward_change(lab, f, NULL, err);
}

int nsnet_lab_forward_del(const char *lab, int proto, uint16_t port,
			  const struct nsnet_prefix *host_addr, struct nsnet_err *err)
{
	struct nsnet_forward d = { .proto = proto, .port = port };

	if (host_addr)
		d.host_addr = *host_addr;
	return forward_change(lab, NULL, &d, err);
}

int nsnet_lab_forward_list(const char *name, struct nsnet_forward **out, size_t *nout,
			   struct nsnet_err *err)
{
	struct nsnet_forward *v = NULL, *all;
	struct nsnet_lab *lab = NULL;
	size_t n = 0, i;
	int ret;

	*out = NULL;
	*nout = 0;
	ret = nsnet_lab_saved(name, &lab, err);
	if (ret == 0)
		ret = read_forwards(name, &v, &n, err);
	if (ret < 0)
		goto out;
	all = calloc(lab->nat.nfwd + n + 1, sizeof(*all));
	if (!all) {
		ret = nsnet_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < lab->nat.nfwd; i++)
		lab_forward(&lab->nat.fwd[i], &all[i]);
	for (i = 0; i < n; i++)
		all[lab->nat.nfwd + i] = v[i];
	*out = all;
	*nout = lab->nat.nfwd + n;
out:
	free(v);
	nsnet_lab_free(lab);
	return ret;
}
