// SPDX-License-Identifier: MIT
/*
 * nsnet-cni: a CNI plugin (type "nsnet-cni"), drop-in for the reference
 * bridge + host-local + portmap chain. Reads CNI_* from the environment and
 * the configuration from stdin, writes the result (or the spec's error
 * object) to stdout. See nsnet-cni(8).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nsnet/cni.h"
#include "nsnet/nat.h"
#include "nsnet/netns.h"

#include "cni.h"
#include "exec.h"
#include "net.h"

#define STDIN_MAX (4 << 20)
#define LOCK_TIMEOUT_MS 60000

static const char *out_version = "1.1.0";

static int emit(char *s)
{
	if (!s)
		return -1;
	fputs(s, stdout);
	fputc('\n', stdout);
	free(s);
	return fflush(stdout) == 0 ? 0 : -1;
}

static int fail_err(struct cni_error *e, int code, const char *msg, const struct nsnet_err *ne)
{
	char buf[900];

	return cni_fail(e, code, msg, "%s", nsnet_err_str(ne, buf, sizeof(buf)));
}

static char *read_stdin(size_t *len)
{
	size_t cap = 8192, n = 0;
	char *buf = malloc(cap), *nb;
	ssize_t r;

	while (buf) {
		if (n + 1 >= cap) {
			if (cap >= STDIN_MAX)
				break;
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb)
				break;
			buf = nb;
		}
		r = read(0, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		if (r == 0) {
			buf[n] = '\0';
			*len = n;
			return buf;
		}
		n += (size_t)r;
	}
	free(buf);
	return NULL;
}

static int open_store(struct cni_store *s, const struct cni_conf *c, struct cni_error *e)
{
	struct nsnet_err ne = { 0 };
	int ret = cni_store_open(s, c->data_dir, LOCK_TIMEOUT_MS, &ne);

	if (ret == -EAGAIN)
		return fail_err(e, CNI_ERR_TRY_LATER, "try again later", &ne);
	if (ret < 0)
		return fail_err(e, CNI_ERR_IO, "I/O failure", &ne);
	return 0;
}

static void ct_flush(const struct cni_record *r)
{
	size_t i;

	/* best effort: a missing conntrack module means nothing to flush */
	for (i = 0; i < r->npm; i++)
		if (r->pm[i].proto == IPPROTO_UDP)
			nsnet_cni_ct_flush_port(r->pm[i].host_ip.family ? r->pm[i].host_ip.family
									: AF_UNSPEC,
						IPPROTO_UDP, r->pm[i].host_port, NULL);
}

/* ---- ADD ----------------------------------------------------------------------- */

static int pm_equal(const struct cni_pm *a, const struct cni_pm *b)
{
	return a->host_port == b->host_port && a->proto == b->proto &&
	       a->host_ip.family == b->host_ip.family &&
	       (!a->host_ip.family || nsnet_ip_equal(&a->host_ip, &b->host_ip));
}

/*
 * Drop from @r the port mappings that another attachment of the same
 * container (another ifname) on this network already holds. Returns how many.
 */
static int drop_sibling_pm(struct cni_store *st, struct cni_record *r)
{
	struct cni_record *sib = NULL;
	int n = cni_record_list_cid(st, r->cid, &sib), i, dropped = 0;
	size_t j, k, m;

	for (i = 0; i < n; i++) {
		if (!strcmp(sib[i].ifname, r->ifname))
			continue;
		for (j = 0, m = 0; j < r->npm; j++) {
			for (k = 0; k < sib[i].npm; k++)
				if (pm_equal(&r->pm[j], &sib[i].pm[k]))
					break;
			if (k < sib[i].npm)
				dropped++;
			else
				r->pm[m++] = r->pm[j];
		}
		r->npm = m;
	}
	free(sib);
	return dropped;
}

static int do_add(const struct cni_conf *c, const struct cni_env *env, struct cni_error *e)
{
	struct cni_store st = { .dirfd = -1, .lockfd = -1 };
	struct cni_record rec, old;
	struct cni_result res;
	struct nsnet_err ne = { 0 };
	struct cni_ipam_result ires = { 0 };
	struct cni_net n;
	int ret = -1, have_store = 0, have_rec = 0, have_fw = 0, have_ips = 0, new_table = 0, fw;
	int delegated = 0;

	memset(&rec, 0, sizeof(rec));
	memset(&n, 0, sizeof(n));
	n.nsfd = -1;
	if (cni_net_open(&n, env->netns, 1, &ne) < 0) {
		if (ne.error == -ENOENT)
			fail_err(e, CNI_ERR_UNKNOWN_CONTAINER, "container unknown", &ne);
		else
			fail_err(e, CNI_ERR_KERNEL, "cannot open the network namespace", &ne);
		goto out;
	}
	if (open_store(&st, c, e))
		goto out;
	have_store = 1;
	if (cni_record_read(&st, env->cid, env->ifname, &old) == 0) {
		cni_fail(e, CNI_ERR_DUPLICATE, "attachment exists",
			 "container %s interface %s is already attached to %s (DEL it first)", env->cid,
			 env->ifname, c->name);
		goto out;
	}
	snprintf(rec.cid, sizeof(rec.cid), "%s", env->cid);
	snprintf(rec.ifname, sizeof(rec.ifname), "%s", env->ifname);
	snprintf(rec.bridge, sizeof(rec.bridge), "%s", c->bridge);
	cni_host_veth_name(c->name, env->cid, env->ifname, rec.host_veth);
	rec.masq = c->ip_masq;
	rec.bw = c->bw;
	if (c->bw.eg_rate)
		cni_ifb_name(c->name, env->cid, env->ifname, rec.ifb);
	memcpy(rec.pm, c->pm, c->npm * sizeof(c->pm[0]));
	rec.npm = c->npm;
	if (c->has_ipam) {
		if (cni_ipam_alloc(&st, c, env->cid, env->ifname, rec.ips, &rec.nips, e) < 0)
			goto out;
		have_ips = 1;
		cni_result_routes(c, rec.ips, rec.nips, rec.routes, &rec.nroutes);
	} else if (c->ipam_type) {
		/* not under the store's lock: a slow IPAM (dhcp) must not hold up the network */
		cni_store_close(&st);
		have_store = 0;
		fw = cni_ipam_run(c, env, "ADD", &ires, e);
		if (fw == -1)
			goto out;	/* its ADD failed: nothing to release */
		delegated = 1;
		if (fw < 0)
			goto out;
		if (open_store(&st, c, e))
			goto out;
		have_store = 1;
		if (cni_record_read(&st, env->cid, env->ifname, &old) == 0) {
			/* a racing ADD of the same attachment: its addresses, not ours to release */
			delegated = 0;
			cni_fail(e, CNI_ERR_DUPLICATE, "attachment exists",
				 "container %s interface %s is already attached to %s (DEL it first)",
				 env->cid, env->ifname, c->name);
			goto out;
		}
		if (!ires.nips) {
			cni_fail(e, CNI_ERR_IPAM, "IPAM plugin returned no address",
				 "ipam plugin %s returned no address", c->ipam_type);
			goto out;
		}
		memcpy(rec.ips, ires.ips, ires.nips * sizeof(ires.ips[0]));
		rec.nips = ires.nips;
		if (c->is_gw)
			cni_result_fill_gateways(rec.ips, rec.nips);
		snprintf(rec.ipam, sizeof(rec.ipam), "%s", c->ipam_type);
		cni_routes_build(ires.routes, ires.nroutes, c->is_default_gw, rec.ips, rec.nips,
				 rec.routes, &rec.nroutes);
	}
	/*
	 * Routes to destinations the container already has (a second attachment
	 * on a network with a default route) are left to the first attachment.
	 */
	rec.has_routes = 1;
	if (cni_net_routes_new(&n, rec.routes, &rec.nroutes, &ne) < 0) {
		fail_err(e, CNI_ERR_KERNEL, "netlink operation failed", &ne);
		goto out;
	}
	/* the record first: a crash from here on leaves what DEL/GC need */
	if ((ret = cni_record_write(&st, &rec)) < 0) {
		cni_fail(e, CNI_ERR_IO, "I/O failure", "cannot write the attachment record in %s: %s",
			 st.dir, strerror(-ret));
		ret = -1;
		goto out;
	}
	have_rec = 1;
	ret = -1;
	if (cni_net_add(&n, c, env, &rec, rec.routes, rec.nroutes, &ne) < 0) {
		struct nsnet_link_info l;
		struct nsnet_err ce = { 0 };

		/* "an interface of that name already exists in the container" */
		if (ne.error == -EEXIST && n.nsfd >= 0 && cni_net_open_container(&n, &ce) == 0 &&
		    nsnet_link_get(n.cont, env->ifname, &l, &ce) == 0 && !n.created_veth) {
			n.veth_queued = 0;	/* the existing one is not ours */
			cni_fail(e, CNI_ERR_IFACE_EXISTS, "interface exists",
				 "interface %s already exists in %s", env->ifname, env->netns);
		} else {
			fail_err(e, CNI_ERR_KERNEL, "netlink operation failed", &ne);
		}
		goto out;
	}
	if (cni_net_sysctls(c, &rec, &ne) < 0) {
		fail_err(e, CNI_ERR_KERNEL, "sysctl failed", &ne);
		goto out;
	}
	have_fw = 1;
	fw = cni_fw_add(c, &rec, &new_table, &ne);
	if (fw < 0 && (fw == -EEXIST || fw == -EBUSY) && drop_sibling_pm(&st, &rec) > 0) {
		/* the container's other attachment maps these host ports: leave them to it */
		nsnet_err_clear(&ne);
		fw = cni_record_write(&st, &rec);
		if (fw < 0)
			nsnet_err_set(&ne, fw, "cannot rewrite the attachment record in %s", st.dir);
		else
			fw = cni_fw_add(c, &rec, &new_table, &ne);
	}
	if (fw < 0) {
		if (fw == -EEXIST || fw == -EBUSY)
			fail_err(e, CNI_ERR_PORT_TAKEN, "host port already mapped", &ne);
		else
			fail_err(e, CNI_ERR_NFT, "nftables failed", &ne);
		goto out;
	}
	ct_flush(&rec);
	memset(&res, 0, sizeof(res));
	snprintf(res.ifaces[0].name, 16, "%s", c->bridge);
	memcpy(res.ifaces[0].mac, n.br.mac, 6);
	res.ifaces[0].has_mac = n.br.has_mac;
	snprintf(res.ifaces[1].name, 16, "%s", rec.host_veth);
	memcpy(res.ifaces[1].mac, n.hv.mac, 6);
	res.ifaces[1].has_mac = n.hv.has_mac;
	snprintf(res.ifaces[2].name, 16, "%s", env->ifname);
	memcpy(res.ifaces[2].mac, n.cv.mac, 6);
	res.ifaces[2].has_mac = n.cv.has_mac;
	res.ifaces[2].sandbox = env->netns;
	res.nifaces = 3;
	res.ip_iface = 2;
	if (rec.ifb[0]) {	/* as the bandwidth plugin lists it */
		snprintf(res.ifaces[3].name, 16, "%s", rec.ifb);
		memcpy(res.ifaces[3].mac, n.ifb.mac, 6);
		res.ifaces[3].has_mac = n.ifb.has_mac;
		res.nifaces = 4;
	}
	memcpy(res.ips, rec.ips, rec.nips * sizeof(rec.ips[0]));
	res.nips = rec.nips;
	memcpy(res.routes, rec.routes, rec.nroutes * sizeof(rec.routes[0]));
	res.nroutes = rec.nroutes;
	res.dns = c->dns ? c->dns : ires.dns;
	ret = emit(cni_result_render(&res, c->ver));
	if (ret < 0)
		cni_fail(e, CNI_ERR_IO, "I/O failure", "cannot write the result");
out:
	if (ret < 0) {
		struct nsnet_err ig = { 0 };

		/* roll back: nothing of this ADD stays */
		if (new_table)
			cni_fw_drop_table(c, &ig);
		else if (have_fw)
			cni_fw_del(c, &rec, NULL, &ig);
		if (n.host)
			cni_net_undo(&n, c, env, &rec);
		if (have_ips) {
			size_t i;

			for (i = 0; i < rec.nips; i++)
				cni_ipam_release_ip(&st, &rec.ips[i].ip, env->cid, env->ifname);
		}
		if (have_rec)
			cni_record_remove(&st, env->cid, env->ifname);
		if (delegated) {
			/* the spec: a failure after the delegated ADD succeeded releases it */
			struct cni_error ige = { 0 };

			cni_ipam_run(c, env, "DEL", NULL, &ige);
		}
	}
	cni_ipam_result_free(&ires);
	cni_net_close(&n);
	if (have_store)
		cni_store_close(&st);
	return ret;
}

/* ---- DEL / GC ------------------------------------------------------------------- */

struct fw_job {
	const struct cni_conf *c;
	const struct cni_record *r;
	struct nsnet_nft *sess;		/* closed by the caller, after the veth is gone */
	struct nsnet_err err;
	int ret;
};

static void *fw_del_main(void *p)
{
	struct fw_job *j = p;

	j->ret = cni_fw_del(j->c, j->r, &j->sess, &j->err);
	return NULL;
}

struct ifb_job {
	const struct cni_conf *c;
	const char *cid, *ifname, *name;
	struct nsnet_err err;
	int ret;
};

/* The IFB on a socket of its own: its unregistration waits alongside the veth's. */
static void *ifb_del_main(void *p)
{
	struct ifb_job *j = p;
	struct cni_net m;

	j->ret = cni_net_open(&m, NULL, 0, &j->err);
	if (j->ret == 0)
		j->ret = cni_net_del_ifb(&m, j->c, j->cid, j->ifname, j->name, &j->err);
	cni_net_close(&m);
	return NULL;
}

static int start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	if (pthread_create(t, NULL, fn, arg) == 0)
		return 1;
	fn(arg);	/* no thread: in line */
	return 0;
}

/*
 * Remove every trace of one attachment; idempotent. Deleting a device waits
 * for RCU grace periods in the kernel (tens of ms), so does closing the
 * netfilter socket after an element deletion: the nft transaction and the
 * IFB deletion run on threads while the veth is deleted, and the nft session
 * is closed only after that, when its wait has passed.
 */
static int cleanup(struct cni_store *st, struct cni_net *n, const struct cni_conf *c,
		   const char *cid, const char *ifname, struct cni_error *e)
{
	struct nsnet_err ne = { 0 };
	struct cni_record rec;
	struct fw_job job = { .c = c, .r = &rec };
	struct ifb_job ij = { .c = c, .cid = cid, .ifname = ifname };
	char veth[16], ifb[16];
	int have = cni_record_read(st, cid, ifname, &rec) == 0, fw_t = 0, ifb_t = 0, ret;
	pthread_t t, ti;
	size_t i;

	if (have && (rec.masq || rec.npm || rec.ipam[0]))
		fw_t = start(&t, fw_del_main, &job);
	/* the IFB of an egress limit (without a record: the name it would have) */
	cni_ifb_name(c->name, cid, ifname, ifb);
	if (!have || rec.ifb[0]) {
		ij.name = have ? rec.ifb : ifb;
		ifb_t = start(&ti, ifb_del_main, &ij);
	}
	cni_host_veth_name(c->name, cid, ifname, veth);
	ret = cni_net_del_veth(n, c, cid, ifname, have ? rec.host_veth : veth, &ne);
	if (fw_t)
		pthread_join(t, NULL);
	if (ifb_t)
		pthread_join(ti, NULL);
	nsnet_nft_close(job.sess);
	if (job.ret < 0)
		return fail_err(e, CNI_ERR_NFT, "nftables failed", &job.err);
	if (ret < 0)
		return fail_err(e, CNI_ERR_KERNEL, "netlink operation failed", &ne);
	if (ij.ret < 0)
		return fail_err(e, CNI_ERR_KERNEL, "netlink operation failed", &ij.err);
	if (have) {
		for (i = 0; i < rec.nips; i++)
			cni_ipam_release_ip(st, &rec.ips[i].ip, cid, ifname);
		ct_flush(&rec);
	} else {
		/* no record (e.g. reserved by host-local before the switch): scan */
		cni_ipam_release_all(st, cid, ifname);
	}
	if (cni_record_remove(st, cid, ifname) < 0)
		return cni_fail(e, CNI_ERR_IO, "I/O failure", "cannot remove the attachment record");
	return 0;
}

static int do_del(const struct cni_conf *c, const struct cni_env *env, struct cni_error *e)
{
	struct cni_store st;
	struct nsnet_err ne = { 0 };
	struct cni_error ie = { 0 };
	struct cni_child ipam;
	struct cni_net n;
	int ret = -1, iret = 0;

	/*
	 * A delegated IPAM's DEL runs while we remove the rest (always, record
	 * or not: an ADD may have died between its IPAM ADD and the record).
	 */
	cni_child_init(&ipam);
	if (c->ipam_type)
		iret = cni_ipam_start(&ipam, c, env, "DEL", &ie);
	/* the namespace is not needed: deleting the host end removes both */
	if (cni_net_open(&n, NULL, 0, &ne) < 0) {
		fail_err(e, CNI_ERR_KERNEL, "cannot open netlink", &ne);
		goto out;
	}
	if (open_store(&st, c, e) == 0) {
		ret = cleanup(&st, &n, c, env->cid, env->ifname, e);
		cni_store_close(&st);
	}
	cni_net_close(&n);
out:
	if (c->ipam_type && iret == 0)
		iret = cni_ipam_finish(&ipam, c, NULL, &ie);
	cni_child_free(&ipam);
	if (iret < 0 && ret == 0) {
		*e = ie;
		ret = -1;
	}
	return ret;
}

static int do_gc(const struct cni_conf *c, const struct cni_env *env, struct cni_error *e)
{
	struct cni_record *recs = NULL;
	struct nsnet_err ne = { 0 };
	struct cni_store st;
	struct cni_net n;
	int nrec, i, ret = 0;
	size_t j;

	if (!c->has_valid)
		return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
				"GC needs \"cni.dev/valid-attachments\"");
	if (cni_net_open(&n, NULL, 0, &ne) < 0)
		return fail_err(e, CNI_ERR_KERNEL, "cannot open netlink", &ne);
	if (open_store(&st, c, e) < 0) {
		cni_net_close(&n);
		return -1;
	}
	nrec = cni_record_list(&st, &recs);
	for (i = 0; i < nrec; i++) {
		for (j = 0; j < c->nvalid; j++)
			if (!strcmp(recs[i].cid, c->valid[j].cid) &&
			    !strcmp(recs[i].ifname, c->valid[j].ifname))
				break;
		/* keep going on errors; report the first */
		if (j == c->nvalid && cleanup(&st, &n, c, recs[i].cid, recs[i].ifname, e) < 0)
			ret = -1;
	}
	if (nrec < 0)
		ret = cni_fail(e, CNI_ERR_IO, "I/O failure", "cannot list attachment records: %s",
			       strerror(-nrec));
	/* reservations without a record (host-local's, or a crash before the record) */
	if (!c->ipam_type)
		cni_ipam_gc(&st, c->valid, c->nvalid);
	free(recs);
	cni_store_close(&st);
	cni_net_close(&n);
	/* the spec: a delegating plugin runs GC of its delegated plugin */
	if (c->ipam_type && cni_ipam_run(c, env, "GC", NULL, e) < 0)
		ret = -1;
	return ret;
}

/* ---- CHECK / STATUS ---------------------------------------------------------------- */

static int prev_has(const struct cni_ipam_result *prev, const struct nsnet_prefix *ip)
{
	size_t i;

	for (i = 0; i < prev->nips; i++)
		if (nsnet_ip_equal(&prev->ips[i].ip, ip) && prev->ips[i].ip.plen == ip->plen)
			return 1;
	return 0;
}

static int do_check(const struct cni_conf *c, const struct cni_env *env, struct cni_error *e)
{
	struct cni_route routes[CNI_MAX_ROUTES + 2];
	struct cni_ipam_result prev;
	struct nsnet_err ne = { 0 };
	struct cni_record rec;
	struct cni_store st;
	struct cni_net n;
	size_t i, nroutes;
	int ret = -1;

	if (!c->prev)
		return cni_fail(e, CNI_ERR_CONFIG, "invalid configuration",
				"CHECK needs \"prevResult\"");
	if (cni_result_parse(c->prev, &prev, CNI_ERR_DECODE, e) < 0) {
		cni_ipam_result_free(&prev);
		return -1;
	}
	/* the delegated IPAM checks its part first */
	if (c->ipam_type && cni_ipam_run(c, env, "CHECK", NULL, e) < 0) {
		cni_ipam_result_free(&prev);
		return -1;
	}
	if (cni_net_open(&n, env->netns, 1, &ne) < 0) {
		if (ne.error == -ENOENT)
			fail_err(e, CNI_ERR_UNKNOWN_CONTAINER, "container unknown", &ne);
		else
			fail_err(e, CNI_ERR_KERNEL, "cannot open the network namespace", &ne);
		goto out_prev;
	}
	if (open_store(&st, c, e) < 0)
		goto out_net;
	if (cni_record_read(&st, env->cid, env->ifname, &rec) < 0) {
		cni_fail(e, CNI_ERR_CHECK, "check failed", "no attachment of container %s interface %s",
			 env->cid, env->ifname);
		goto out;
	}
	for (i = 0; i < rec.nips; i++) {
		char b[64];

		nsnet_prefix_fmt(&rec.ips[i].ip, 1, b, sizeof(b));
		if (!rec.ipam[0] && !cni_ipam_owns(&st, &rec.ips[i].ip, env->cid, env->ifname)) {
			cni_fail(e, CNI_ERR_CHECK, "check failed", "reservation of %s lost", b);
			goto out;
		}
		if (!prev_has(&prev, &rec.ips[i].ip)) {
			cni_fail(e, CNI_ERR_CHECK, "check failed", "%s is not in prevResult", b);
			goto out;
		}
	}
	if (rec.has_routes) {
		memcpy(routes, rec.routes, rec.nroutes * sizeof(routes[0]));
		nroutes = rec.nroutes;
	} else {
		cni_result_routes(c, rec.ips, rec.nips, routes, &nroutes);
	}
	if (cni_net_check(&n, c, env, &rec, routes, nroutes, &ne) < 0) {
		fail_err(e, CNI_ERR_CHECK, "check failed", &ne);
		goto out;
	}
	if (cni_fw_check(c, &rec, &ne) < 0) {
		fail_err(e, CNI_ERR_CHECK, "check failed", &ne);
		goto out;
	}
	ret = 0;
out:
	cni_store_close(&st);
out_net:
	cni_net_close(&n);
out_prev:
	cni_ipam_result_free(&prev);
	return ret;
}

static int do_status(const struct cni_conf *c, const struct cni_env *env, struct cni_error *e)
{
	struct nsnet_err ne = { 0 };
	struct nsnet_nl *nl = NULL;
	struct cni_store st;
	size_t i;
	int fd;

	if (cni_store_open(&st, c->data_dir, 5000, &ne) < 0)
		return fail_err(e, CNI_ERR_NOT_AVAILABLE, "plugin not available", &ne);
	fd = openat(st.dirfd, ".status-probe", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		cni_fail(e, CNI_ERR_NOT_AVAILABLE, "plugin not available", "store %s not writable: %s",
			 st.dir, strerror(errno));
		goto out;
	}
	close(fd);
	unlinkat(st.dirfd, ".status-probe", 0);
	for (i = 0; i < c->nsets; i++)
		if (cni_ipam_free_count(&st, c, i, 1) == 0) {
			cni_fail(e, CNI_ERR_NOT_AVAILABLE, "plugin not available",
				 "no free address left in range set %zu", i);
			goto out;
		}
	if (nsnet_nl_open(&nl, -1, &ne) < 0) {
		fail_err(e, CNI_ERR_NOT_AVAILABLE, "plugin not available", &ne);
		goto out;
	}
	nsnet_nl_close(nl);
	if (cni_fw_ready(&ne) < 0) {
		fail_err(e, CNI_ERR_NOT_AVAILABLE, "plugin not available", &ne);
		goto out;
	}
	/* the spec: a plugin relying on a delegated IPAM asks it too, its error is ours */
	if (c->ipam_type)
		cni_ipam_run(c, env, "STATUS", NULL, e);
out:
	cni_store_close(&st);
	return e->code ? -1 : 0;
}

int main(void)
{
	struct cni_error e = { 0 };
	struct cni_conf c;
	struct cni_env env;
	char *in = NULL;
	size_t len = 0;
	int cmd, ret = -1;

	/* a delegated plugin may exit without reading its stdin */
	signal(SIGPIPE, SIG_IGN);
	memset(&c, 0, sizeof(c));
	cmd = cni_cmd_parse(getenv("CNI_COMMAND"));
	if (!cmd) {
		cni_fail(&e, CNI_ERR_ENV, "invalid CNI_COMMAND",
			 "CNI_COMMAND \"%.32s\": must be ADD, DEL, CHECK, VERSION, STATUS or GC",
			 getenv("CNI_COMMAND") ? getenv("CNI_COMMAND") : "");
		goto out;
	}
	in = read_stdin(&len);
	if (!in) {
		cni_fail(&e, CNI_ERR_IO, "I/O failure", "cannot read the configuration from stdin");
		goto out;
	}
	if (cmd == CNI_VERSION) {
		if (len == strspn(in, " \t\r\n")) {
			ret = emit(cni_version_render(NULL));
			goto out;
		}
		env.cmd = cmd;
		if (cni_conf_parse(in, len, &env, &c, &e) < 0)
			goto out;
		ret = emit(cni_version_render(c.version));
		goto out;
	}
	env.cmd = cmd;
	env.args = getenv("CNI_ARGS");
	if (cni_conf_parse(in, len, &env, &c, &e) < 0)
		goto out;
	out_version = c.version;
	if (cni_env_parse(cmd, getenv("CNI_CONTAINERID"), getenv("CNI_NETNS"), getenv("CNI_IFNAME"),
			  getenv("CNI_ARGS"), getenv("CNI_PATH"), &env, &e) < 0)
		goto out;
	env.conf = in;
	env.conf_len = len;
	switch (cmd) {
	case CNI_ADD:
		ret = do_add(&c, &env, &e);
		break;
	case CNI_DEL:
		ret = do_del(&c, &env, &e);
		break;
	case CNI_CHECK:
		ret = do_check(&c, &env, &e);
		break;
	case CNI_GC:
		ret = do_gc(&c, &env, &e);
		break;
	case CNI_STATUS:
		ret = do_status(&c, &env, &e);
		break;
	}
out:
	if (ret < 0) {
		if (!e.code)
			cni_fail(&e, CNI_ERR_IO, "I/O failure", "internal error");
		emit(cni_error_render(&e, c.version ? c.version : out_version));
		if (e.details[0])
			fprintf(stderr, "nsnet-cni: %s: %s\n", e.msg, e.details);
		else
			fprintf(stderr, "nsnet-cni: %s\n", e.msg);
	}
	cni_conf_free(&c);
	free(in);
	return ret < 0 ? 1 : 0;
}
