// SPDX-License-Identifier: MIT
/*
 * nsnet-cni: address store, in host-local's on-disk format so that a network
 * switched from host-local keeps its reservations (and vice versa):
 *
 *   DIR/lock                     flock()ed for every operation
 *   DIR/<address>                "<containerID>\r\n<ifname>", one per reservation
 *   DIR/last_reserved_ip.<set>   where the next search of range set <set> starts
 *
 * plus our attachment records (what DEL needs without prevResult or netns):
 *
 *   DIR/nsnet-cni/<containerID>@<ifname>   JSON (cni_record_json), written
 *                                          to a temporary name and renamed
 *
 * Reserving is an O_CREAT|O_EXCL open of DIR/<address>, so even a process not
 * holding the lock could never take an address twice.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cni.h"

#define REC_DIR "nsnet-cni"
#define SEARCH_MAX (1L << 20)	/* candidates tried per range set before "full" */

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[512], *p;

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int cni_store_open(struct cni_store *s, const char *dir, int timeout_ms, struct nsnet_err *err)
{
	struct timespec ts = { 0, 2 * 1000 * 1000 };
	int ret, waited = 0;

	s->dirfd = s->lockfd = -1;
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	if ((ret = mkdir_p(dir, 0755)) < 0)
		return nsnet_err_set(err, ret, "cannot create %s: %s", dir, strerror(-ret));
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0)
		return nsnet_err_set(err, -errno, "cannot open %s: %s", dir, strerror(errno));
	s->lockfd = openat(s->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (s->lockfd < 0) {
		ret = nsnet_err_set(err, -errno, "cannot open %s/lock: %s", dir, strerror(errno));
		goto fail;
	}
	while (flock(s->lockfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			ret = nsnet_err_set(err, -errno, "cannot lock %s/lock: %s", dir, strerror(errno));
			goto fail;
		}
		if (waited >= timeout_ms) {
			ret = nsnet_err_set(err, -EAGAIN, "%s/lock is held by another process", dir);
			goto fail;
		}
		nanosleep(&ts, NULL);
		waited += 2;
	}
	return 0;
fail:
	cni_store_close(s);
	return ret;
}

void cni_store_close(struct cni_store *s)
{
	if (s->lockfd >= 0)
		close(s->lockfd);	/* releases the flock */
	if (s->dirfd >= 0)
		close(s->dirfd);
	s->lockfd = s->dirfd = -1;
}

/* ---- reservations ------------------------------------------------------------- */

static void ip_str(const struct nsnet_prefix *p, char *buf, size_t len)
{
	inet_ntop(p->family, p->addr, buf, (socklen_t)len);
}

static int owner_str(const char *cid, const char *ifname, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s\r\n%s", cid, ifname);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : n;
}

/* Read a small file at DIR/@name into @buf (NUL-terminated). Length or -errno. */
static ssize_t read_small(int dirfd, const char *name, char *buf, size_t len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	else
		buf[n] = '\0';
	close(fd);
	return n;
}

/* Does the content of a reservation name (cid, ifname)? Older host-local wrote the cid only. */
static int content_matches(const char *buf, const char *cid, const char *ifname)
{
	size_t cl = strlen(cid);
	const char *p = buf;

	while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
		p++;
	if (strncmp(p, cid, cl))
		return 0;
	p += cl;
	if (!*p || !strcmp(p, "\n") || !strcmp(p, "\r\n"))
		return 1;	/* legacy: the container ID alone */
	if (strncmp(p, "\r\n", 2))
		return 0;
	p += 2;
	return !strcmp(p, ifname);
}

static int reserve(struct cni_store *s, const struct nsnet_prefix *ip, const char *owner, size_t olen)
{
	char name[INET6_ADDRSTRLEN];
	int fd;

	ip_str(ip, name, sizeof(name));
	fd = openat(s->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, owner, olen) != (ssize_t)olen) {
		int e = errno ? -errno : -EIO;

		close(fd);
		unlinkat(s->dirfd, name, 0);
		return e;
	}
	close(fd);
	return 0;
}

static int ipam_cmp(const struct nsnet_prefix *a, const struct nsnet_prefix *b)
{
	return memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16);
}

static void next_ip(struct nsnet_prefix *p)
{
	int i = (p->family == AF_INET ? 4 : 16) - 1;

	for (; i >= 0; i--)
		if (++p->addr[i] != 0)
			break;
}

static int in_range(const struct cni_range *r, const struct nsnet_prefix *ip)
{
	return ip->family == r->start.family && ipam_cmp(ip, &r->start) >= 0 && ipam_cmp(ip, &r->end) <= 0;
}

/* Index of the range of @set holding @ip, -1 if none. */
static int range_of(const struct cni_rangeset *set, const struct nsnet_prefix *ip)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (in_range(&set->r[i], ip))
			return (int)i;
	return -1;
}

static int is_gateway(const struct cni_rangeset *set, const struct nsnet_prefix *ip)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (nsnet_ip_equal(&set->r[i].gw, ip))
			return 1;
	return 0;
}

static void write_last(struct cni_store *s, size_t set, const struct nsnet_prefix *ip)
{
	char name[48], val[INET6_ADDRSTRLEN];
	int fd;

	snprintf(name, sizeof(name), "last_reserved_ip.%zu", set);
	ip_str(ip, val, sizeof(val));
	fd = openat(s->dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;		/* only a hint */
	if (write(fd, val, strlen(val)) < 0)
		(void)0;
	close(fd);
}

static int read_last(struct cni_store *s, size_t set, struct nsnet_prefix *ip)
{
	char name[48], val[64];

	snprintf(name, sizeof(name), "last_reserved_ip.%zu", set);
	if (read_small(s->dirfd, name, val, sizeof(val)) <= 0)
		return -ENOENT;
	val[strcspn(val, "\r\n ")] = '\0';
	return nsnet_ip_parse(val, ip);
}

/* Free the reservations already made by this call (on failure). */
static void unreserve(struct cni_store *s, const struct cni_alloc *a, size_t n)
{
	char name[INET6_ADDRSTRLEN];
	size_t i;

	for (i = 0; i < n; i++) {
		ip_str(&a[i].ip, name, sizeof(name));
		unlinkat(s->dirfd, name, 0);
	}
}

static int alloc_set(struct cni_store *s, const struct cni_rangeset *set, size_t si,
		     const char *owner, size_t olen, struct cni_alloc *out, struct cni_error *e)
{
	struct nsnet_prefix ip, first;
	long tries;
	int ri, ret;

	/* start after the last reservation of this set, or at the start of its first range */
	if (read_last(s, si, &ip) == 0 && (ri = range_of(set, &ip)) >= 0) {
		if (!ipam_cmp(&ip, &set->r[ri].end)) {
			ri = (ri + 1) % (int)set->n;
			ip = set->r[ri].start;
		} else {
			next_ip(&ip);
		}
	} else {
		ri = 0;
		ip = set->r[0].start;
	}
	first = ip;
	for (tries = 0; tries < SEARCH_MAX; tries++) {
		if (tries && !ipam_cmp(&ip, &first))
			break;	/* wrapped around */
		if (!is_gateway(set, &ip)) {
			ret = reserve(s, &ip, owner, olen);
			if (ret == 0) {
				out->ip = ip;
				out->ip.plen = set->r[ri].subnet.plen;
				out->gw = set->r[ri].gw;
				out->set = (int)si;
				write_last(s, si, &ip);
				return 0;
			}
			if (ret != -EEXIST)
				return cni_fail(e, CNI_ERR_IO, "I/O failure",
						"cannot write reservation in %s: %s", s->dir, strerror(-ret));
		}
		if (!ipam_cmp(&ip, &set->r[ri].end)) {
			ri = (ri + 1) % (int)set->n;
			ip = set->r[ri].start;
		} else {
			next_ip(&ip);
		}
	}
	{
		char a[INET6_ADDRSTRLEN + 8];

		nsnet_prefix_fmt(&set->r[0].subnet, 1, a, sizeof(a));
		return cni_fail(e, CNI_ERR_IPAM_FULL, "no free address",
				"no IP addresses available in range set %zu (%s%s)", si, a,
				set->n > 1 ? ", ..." : "");
	}
}

int cni_ipam_alloc(struct cni_store *s, const struct cni_conf *c, const char *cid,
		   const char *ifname, struct cni_alloc *out, size_t *nout, struct cni_error *e)
{
	char owner[CNI_CID_MAX + 32], name[INET6_ADDRSTRLEN];
	int used[CNI_MAX_SETS] = { 0 };
	size_t si, k;
	int olen, ri, ret;

	*nout = 0;
	olen = owner_str(cid, ifname, owner, sizeof(owner));
	if (olen < 0)
		return cni_fail(e, CNI_ERR_ENV, "invalid CNI_CONTAINERID", "container ID too long");
	/* every requested address must belong to a distinct range set */
	for (k = 0; k < c->nreq; k++) {
		for (si = 0; si < c->nsets; si++)
			if (range_of(&c->sets[si], &c->req[k]) >= 0)
				break;
		ip_str(&c->req[k], name, sizeof(name));
		if (si == c->nsets)
			return cni_fail(e, CNI_ERR_IP_TAKEN, "requested address unavailable",
					"requested address %s is not in any configured range", name);
		if (used[si])
			return cni_fail(e, CNI_ERR_IP_TAKEN, "requested address unavailable",
					"several requested addresses in range set %zu", si);
		if (is_gateway(&c->sets[si], &c->req[k]))
			return cni_fail(e, CNI_ERR_IP_TAKEN, "requested address unavailable",
					"requested address %s is the gateway", name);
		used[si] = (int)k + 1;
	}
	for (si = 0; si < c->nsets; si++) {
		struct cni_alloc *a = &out[*nout];

		if (used[si]) {
			const struct nsnet_prefix *ip = &c->req[used[si] - 1];

			ri = range_of(&c->sets[si], ip);
			ret = reserve(s, ip, owner, (size_t)olen);
			if (ret < 0) {
				ip_str(ip, name, sizeof(name));
				if (ret == -EEXIST)
					cni_fail(e, CNI_ERR_IP_TAKEN, "requested address unavailable",
						 "requested address %s is already reserved", name);
				else
					cni_fail(e, CNI_ERR_IO, "I/O failure", "cannot reserve %s in %s: %s",
						 name, s->dir, strerror(-ret));
				goto fail;
			}
			a->ip = *ip;
			a->ip.plen = c->sets[si].r[ri].subnet.plen;
			a->gw = c->sets[si].r[ri].gw;
			a->set = (int)si;
		} else if (alloc_set(s, &c->sets[si], si, owner, (size_t)olen, a, e) < 0) {
			goto fail;
		}
		(*nout)++;
	}
	return 0;
fail:
	unreserve(s, out, *nout);
	*nout = 0;
	return -1;
}

int cni_ipam_owns(struct cni_store *s, const struct nsnet_prefix *ip, const char *cid,
		  const char *ifname)
{
	char name[INET6_ADDRSTRLEN], buf[CNI_CID_MAX + 64];

	ip_str(ip, name, sizeof(name));
	if (read_small(s->dirfd, name, buf, sizeof(buf)) < 0)
		return 0;
	return content_matches(buf, cid, ifname);
}

int cni_ipam_release_ip(struct cni_store *s, const struct nsnet_prefix *ip, const char *cid,
			const char *ifname)
{
	char name[INET6_ADDRSTRLEN];

	if (!cni_ipam_owns(s, ip, cid, ifname))
		return 0;
	ip_str(ip, name, sizeof(name));
	return unlinkat(s->dirfd, name, 0) == 0 ? 1 : -errno;
}

/* Calls @fn for every reservation file (name parses as an address). */
static int each_reservation(struct cni_store *s,
			    int (*fn)(struct cni_store *s, const char *name,
				      const struct nsnet_prefix *ip, const char *content, void *arg),
			    void *arg)
{
	struct nsnet_prefix ip;
	char buf[CNI_CID_MAX + 64];
	struct dirent *d;
	int fd, n = 0, r;
	DIR *dir;

	fd = openat(s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.' || nsnet_ip_parse(d->d_name, &ip) < 0)
			continue;
		if (read_small(s->dirfd, d->d_name, buf, sizeof(buf)) < 0)
			continue;
		r = fn(s, d->d_name, &ip, buf, arg);
		if (r > 0)
			n += r;
	}
	closedir(dir);
	return n;
}

struct rel_arg {
	const char *cid, *ifname;
};

static int rel_cb(struct cni_store *s, const char *name, const struct nsnet_prefix *ip,
		  const char *content, void *arg)
{
	struct rel_arg *a = arg;

	if (!content_matches(content, a->cid, a->ifname))
		return 0;
	return unlinkat(s->dirfd, name, 0) == 0;
}

int cni_ipam_release_all(struct cni_store *s, const char *cid, const char *ifname)
{
	struct rel_arg a = { cid, ifname };

	return each_reservation(s, rel_cb, &a);
}

struct gc_arg {
	const struct cni_attach_id *valid;
	size_t n;
};

static int gc_cb(struct cni_store *s, const char *name, const struct nsnet_prefix *ip,
		 const char *content, void *arg)
{
	struct gc_arg *a = arg;
	size_t i;

	for (i = 0; i < a->n; i++)
		if (content_matches(content, a->valid[i].cid, a->valid[i].ifname))
			return 0;
	return unlinkat(s->dirfd, name, 0) == 0;
}

int cni_ipam_gc(struct cni_store *s, const struct cni_attach_id *valid, size_t nvalid)
{
	struct gc_arg a = { valid, nvalid };

	return each_reservation(s, gc_cb, &a);
}

struct count_arg {
	const struct cni_rangeset *set;
	long n;
};

static int count_cb(struct cni_store *s, const char *name, const struct nsnet_prefix *ip,
		    const char *content, void *arg)
{
	struct count_arg *a = arg;

	if (range_of(a->set, ip) >= 0 && !is_gateway(a->set, ip))
		a->n++;
	return 0;
}

long cni_ipam_free_count(struct cni_store *s, const struct cni_conf *c, size_t set, long cap)
{
	const struct cni_rangeset *rs = &c->sets[set];
	struct count_arg a = { rs, 0 };
	long total = 0;
	size_t i;
	int ret;

	for (i = 0; i < rs->n; i++) {
		const struct cni_range *r = &rs->r[i];
		int w = r->start.family == AF_INET ? 4 : 16, j;
		uint64_t hi = 0, lo = 0, big = 0;

		/* end - start + 1, saturating */
		for (j = 0; j < w - 8; j++)
			big |= (uint64_t)(r->end.addr[j] ^ r->start.addr[j]);
		for (j = w > 8 ? w - 8 : 0; j < w; j++) {
			hi = hi << 8 | r->end.addr[j];
			lo = lo << 8 | r->start.addr[j];
		}
		if (big || hi - lo >= (uint64_t)(LONG_MAX / 4) || total >= LONG_MAX / 4)
			total = LONG_MAX / 4;
		else
			total += (long)(hi - lo + 1) - in_range(r, &r->gw);
	}
	ret = each_reservation(s, count_cb, &a);
	if (ret < 0)
		return ret;
	total = total > a.n ? total - a.n : 0;
	return total < cap ? total : cap;
}

/* ---- attachment records ------------------------------------------------------------ */

static const char *rec_proto(int p)
{
	return p == IPPROTO_UDP ? "udp" : p == IPPROTO_SCTP ? "sctp" : "tcp";
}

json_t *cni_record_json(const struct cni_record *r)
{
	json_t *o = json_object(), *ips = json_array(), *pms = json_array();
	char a[INET6_ADDRSTRLEN + 8], g[INET6_ADDRSTRLEN];
	size_t i;

	if (!o || !ips || !pms)
		goto fail;
	for (i = 0; i < r->nips; i++) {
		nsnet_prefix_fmt(&r->ips[i].ip, 1, a, sizeof(a));
		nsnet_prefix_fmt(&r->ips[i].gw, 0, g, sizeof(g));
		json_array_append_new(ips, json_pack("{s:s,s:s,s:i}", "address", a, "gateway", g, "set",
						     r->ips[i].set));
	}
	for (i = 0; i < r->npm; i++) {
		json_t *m = json_pack("{s:i,s:i,s:s}", "hostPort", r->pm[i].host_port, "containerPort",
				      r->pm[i].cont_port, "protocol", rec_proto(r->pm[i].proto));

		if (m && r->pm[i].host_ip.family)
			json_object_set_new(m, "hostIP",
					    json_string(nsnet_prefix_fmt(&r->pm[i].host_ip, 0, a, sizeof(a))));
		json_array_append_new(pms, m);
	}
	if (r->ipam[0] && json_object_set_new(o, "ipam", json_string(r->ipam)))
		goto fail;
	if ((r->bw.in_rate || r->bw.eg_rate) &&
	    json_object_set_new(o, "bandwidth",
				json_pack("{s:I,s:I,s:I,s:I}", "ingressRate", (json_int_t)r->bw.in_rate,
					  "ingressBurst", (json_int_t)r->bw.in_burst, "egressRate",
					  (json_int_t)r->bw.eg_rate, "egressBurst",
					  (json_int_t)r->bw.eg_burst)))
		goto fail;
	if (r->ifb[0] && json_object_set_new(o, "ifb", json_string(r->ifb)))
		goto fail;
	if (r->has_routes) {
		json_t *rts = json_array();

		for (i = 0; rts && i < r->nroutes; i++) {
			json_t *rt = json_pack("{s:s}", "dst",
					       nsnet_prefix_fmt(&r->routes[i].dst, 1, a, sizeof(a)));

			if (rt && r->routes[i].gw.family)
				json_object_set_new(rt, "gw", json_string(nsnet_prefix_fmt(
								&r->routes[i].gw, 0, a, sizeof(a))));
			json_array_append_new(rts, rt);
		}
		if (!rts || json_object_set_new(o, "routes", rts))
			goto fail;
	}
	if (json_object_set_new(o, "containerID", json_string(r->cid)) ||
	    json_object_set_new(o, "ifname", json_string(r->ifname)) ||
	    json_object_set_new(o, "hostVeth", json_string(r->host_veth)) ||
	    json_object_set_new(o, "bridge", json_string(r->bridge)) ||
	    json_object_set_new(o, "ipMasq", json_boolean(r->masq)) ||
	    json_object_set_new(o, "ips", ips) || json_object_set_new(o, "portMappings", pms))
		goto fail_o;
	return o;
fail:
	json_decref(ips);
	json_decref(pms);
fail_o:
	json_decref(o);
	return NULL;
}

static int copy_field(json_t *o, const char *key, char *dst, size_t len)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (!s || strlen(s) >= len)
		return -EBADMSG;
	strcpy(dst, s);
	return 0;
}

int cni_record_from_json(json_t *j, struct cni_record *r)
{
	json_t *arr, *v;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(j) || copy_field(j, "containerID", r->cid, sizeof(r->cid)) ||
	    copy_field(j, "ifname", r->ifname, sizeof(r->ifname)) ||
	    copy_field(j, "hostVeth", r->host_veth, sizeof(r->host_veth)) ||
	    copy_field(j, "bridge", r->bridge, sizeof(r->bridge)))
		return -EBADMSG;
	r->masq = json_is_true(json_object_get(j, "ipMasq"));
	if (json_object_get(j, "ipam") && copy_field(j, "ipam", r->ipam, sizeof(r->ipam)))
		return -EBADMSG;
	if (json_object_get(j, "ifb") && copy_field(j, "ifb", r->ifb, sizeof(r->ifb)))
		return -EBADMSG;
	v = json_object_get(j, "bandwidth");
	if (v) {
		static const char *const k[] = { "ingressRate", "ingressBurst", "egressRate",
						 "egressBurst" };
		uint64_t *f[] = { &r->bw.in_rate, &r->bw.in_burst, &r->bw.eg_rate, &r->bw.eg_burst };

		for (i = 0; i < 4; i++) {
			json_t *x = json_object_get(v, k[i]);

			if (!json_is_integer(x) || json_integer_value(x) < 0)
				return -EBADMSG;
			*f[i] = (uint64_t)json_integer_value(x);
		}
	}
	arr = json_object_get(j, "ips");
	json_array_foreach(arr, i, v) {
		const char *a = json_string_value(json_object_get(v, "address"));
		const char *g = json_string_value(json_object_get(v, "gateway"));

		if (i >= CNI_MAX_SETS || !a || !g || nsnet_prefix_parse(a, &r->ips[i].ip, 1) < 0 ||
		    nsnet_ip_parse(g, &r->ips[i].gw) < 0)
			return -EBADMSG;
		r->ips[i].set = (int)json_integer_value(json_object_get(v, "set"));
		r->nips++;
	}
	arr = json_object_get(j, "routes");
	r->has_routes = json_is_array(arr);
	json_array_foreach(arr, i, v) {
		const char *d = json_string_value(json_object_get(v, "dst"));
		const char *g = json_string_value(json_object_get(v, "gw"));

		if (i >= CNI_MAX_ROUTES + 2 || !d || nsnet_prefix_parse(d, &r->routes[i].dst, 1) < 0 ||
		    (g && nsnet_ip_parse(g, &r->routes[i].gw) < 0))
			return -EBADMSG;
		r->nroutes++;
	}
	arr = json_object_get(j, "portMappings");
	json_array_foreach(arr, i, v) {
		struct cni_pm *m = &r->pm[i];
		const char *p = json_string_value(json_object_get(v, "protocol"));
		const char *h = json_string_value(json_object_get(v, "hostIP"));
		json_int_t hp = json_integer_value(json_object_get(v, "hostPort"));
		json_int_t cp = json_integer_value(json_object_get(v, "containerPort"));

		if (i >= CNI_MAX_PM || !p || hp < 1 || hp > 65535 || cp < 1 || cp > 65535)
			return -EBADMSG;
		m->host_port = (uint16_t)hp;
		m->cont_port = (uint16_t)cp;
		m->proto = !strcmp(p, "udp") ? IPPROTO_UDP : !strcmp(p, "sctp") ? IPPROTO_SCTP
						  : IPPROTO_TCP;
		if (h && nsnet_ip_parse(h, &m->host_ip) < 0)
			return -EBADMSG;
		r->npm++;
	}
	return 0;
}

static int rec_name(const char *cid, const char *ifname, char *buf, size_t len)
{
	int n = snprintf(buf, len, REC_DIR "/%s@%s", cid, ifname);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int cni_record_write(struct cni_store *s, const struct cni_record *r)
{
	char name[300], tmp[340];
	json_t *j = NULL;
	char *text = NULL;
	int fd = -1, ret;
	size_t len;

	if ((ret = rec_name(r->cid, r->ifname, name, sizeof(name))) < 0)
		return ret;
	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", name, (long)getpid());
	if (mkdirat(s->dirfd, REC_DIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	j = cni_record_json(r);
	text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (!text) {
		ret = -ENOMEM;
		goto out;
	}
	len = strlen(text);
	fd = openat(s->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
		ret = errno ? -errno : -EIO;
		goto out;
	}
	if (renameat(s->dirfd, tmp, s->dirfd, name) < 0) {
		ret = -errno;
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (ret < 0)
		unlinkat(s->dirfd, tmp, 0);
	free(text);
	json_decref(j);
	return ret;
}

static int read_record(struct cni_store *s, const char *name, struct cni_record *r)
{
	char buf[16384];
	json_t *j;
	ssize_t n;
	int ret;

	n = read_small(s->dirfd, name, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	j = json_loadb(buf, (size_t)n, 0, NULL);
	ret = cni_record_from_json(j, r);
	json_decref(j);
	return ret;
}

int cni_record_read(struct cni_store *s, const char *cid, const char *ifname, struct cni_record *r)
{
	char name[300];
	int ret;

	if ((ret = rec_name(cid, ifname, name, sizeof(name))) < 0)
		return ret;
	ret = read_record(s, name, r);
	if (ret == 0 && (strcmp(r->cid, cid) || strcmp(r->ifname, ifname)))
		ret = -EBADMSG;
	return ret;
}

int cni_record_remove(struct cni_store *s, const char *cid, const char *ifname)
{
	char name[300];
	int ret;

	if ((ret = rec_name(cid, ifname, name, sizeof(name))) < 0)
		return ret;
	if (unlinkat(s->dirfd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int record_list(struct cni_store *s, const char *cid, struct cni_record **out)
{
	struct cni_record *v = NULL, *nv;
	size_t n = 0, cap = 0;
	char name[300];
	size_t cl = cid ? strlen(cid) : 0;
	struct dirent *d;
	DIR *dir;
	int fd;

	*out = NULL;
	fd = openat(s->dirfd, REC_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.' || !strchr(d->d_name, '@') || strstr(d->d_name, ".tmp"))
			continue;
		if (cid && (strncmp(d->d_name, cid, cl) || d->d_name[cl] != '@'))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				closedir(dir);
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		snprintf(name, sizeof(name), REC_DIR "/%s", d->d_name);
		if (read_record(s, name, &v[n]) == 0)
			n++;
	}
	closedir(dir);
	*out = v;
	return (int)n;
}

int cni_record_list(struct cni_store *s, struct cni_record **out)
{
	return record_list(s, NULL, out);
}

int cni_record_list_cid(struct cni_store *s, const char *cid, struct cni_record **out)
{
	return record_list(s, cid, out);
}
