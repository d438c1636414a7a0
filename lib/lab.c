// SPDX-License-Identifier: MIT
/* The lab model: free, locations, loading, the built-in seed lab, small helpers. */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nsnet/lab.h"
#include "nsnet/link.h"
#include "lab-int.h"

/* Byte-identical to examples/seed.yaml (a unit test compares them). */
const char nsnet_seed_yaml[] =
	"# The built-in seed lab: `nsnet up` with no file brings up this network, the\n"
	"# one the network-namespace tutorials build by hand. A bridge v-net-0 on the\n"
	"# host (192.168.15.5/24), four namespaces on it, each on a veth cable to the\n"
	"# bridge with a default route via the host, masquerade of the subnet and a\n"
	"# port forward host:8080 -> blue:80. See nsnet-lab(5).\n"
	"name: seed\n"
	"bridges:\n"
	"  v-net-0:\n"
	"    addresses: [192.168.15.5/24]\n"
	"nodes:\n"
	"  red:\n"
	"    interfaces:\n"
	"      eth0: { bridge: v-net-0, addresses: [192.168.15.1/24] }\n"
	"    routes: [\"default via 192.168.15.5\"]\n"
	"  blue:\n"
	"    interfaces:\n"
	"      eth0: { bridge: v-net-0, addresses: [192.168.15.2/24] }\n"
	"    routes: [\"default via 192.168.15.5\"]\n"
	"  orange:\n"
	"    interfaces:\n"
	"      eth0: { bridge: v-net-0, addresses: [192.168.15.3/24] }\n"
	"    routes: [\"default via 192.168.15.5\"]\n"
	"  green:\n"
	"    interfaces:\n"
	"      eth0: { bridge: v-net-0, addresses: [192.168.15.4/24] }\n"
	"    routes: [\"default via 192.168.15.5\"]\n"
	"nat:\n"
	"  masquerade: [192.168.15.0/24]\n"
	"  forwards:\n"
	"    - { port: 8080, to: \"blue:80\", proto: tcp }\n";

static void addrs_free(struct nsnet_lab_addr *a)
{
	free(a);
}

void nsnet__lab_iface_clear(struct nsnet_lab_iface *f)
{
	free(f->name);
	free(f->bridge);
	addrs_free(f->addrs);
	free(f->host_name);
	memset(f, 0, sizeof(*f));
}

static void node_clear(struct nsnet_lab_node *n)
{
	size_t i;

	free(n->name);
	free(n->ns);
	free(n->host);
	for (i = 0; i < n->nifaces; i++)
		nsnet__lab_iface_clear(&n->ifaces[i]);
	free(n->ifaces);
	for (i = 0; i < n->nroutes; i++)
		free(n->routes[i].text);
	free(n->routes);
	for (i = 0; i < n->nsysctls; i++) {
		free(n->sysctls[i].key);
		free(n->sysctls[i].value);
	}
	free(n->sysctls);
	for (i = 0; i < n->ncmds; i++)
		free(n->cmds[i]);
	free(n->cmds);
	for (i = 0; i < n->nfiles; i++) {
		free(n->files[i].path);
		free(n->files[i].content);
		free(n->files[i].src);
	}
	free(n->files);
	free(n->cmd_locs);
}

void nsnet_lab_free(struct nsnet_lab *lab)
{
	size_t i;

	if (!lab)
		return;
	free(lab->name);
	free(lab->prefix);
	free(lab->file);
	for (i = 0; i < lab->nbridges; i++) {
		free(lab->bridges[i].name);
		free(lab->bridges[i].host);
		addrs_free(lab->bridges[i].addrs);
	}
	for (i = 0; i < lab->nhosts; i++) {
		free(lab->hosts[i].name);
		free(lab->hosts[i].dev);
	}
	free(lab->hosts);
	free(lab->bridges);
	for (i = 0; i < lab->nnodes; i++)
		node_clear(&lab->nodes[i]);
	free(lab->nodes);
	for (i = 0; i < lab->nlinks; i++) {
		free(lab->links[i].end[0].text);
		free(lab->links[i].end[1].text);
		free(lab->links[i].host_name[0]);
		free(lab->links[i].host_name[1]);
	}
	free(lab->links);
	addrs_free(lab->nat.masq);
	for (i = 0; i < lab->nat.nfwd; i++) {
		free(lab->nat.fwd[i].to);
		free(lab->nat.fwd[i].node);
	}
	free(lab->nat.fwd);
	free(lab);
}

static const char *where(const char *file, const struct nsnet_loc *loc, char *buf, size_t len)
{
	if (!file)
		file = "<lab>";
	if (loc && loc->line > 0)
		snprintf(buf, len, "%s:%d:%d", file, loc->line, loc->col);
	else
		snprintf(buf, len, "%s", file);
	return buf;
}

const char *nsnet_lab_where(const struct nsnet_lab *lab, const struct nsnet_loc *loc, char *buf,
			    size_t len)
{
	return where(lab ? lab->file : NULL, loc, buf, len);
}

int nsnet__lab_err(struct nsnet_err *err, const char *file, const struct nsnet_loc *loc,
		   const char *fmt, ...)
{
	char w[300];
	va_list ap;
	int n;

	if (!err)
		return -EINVAL;
	err->error = -EINVAL;
	err->where[0] = '\0';
	n = snprintf(err->msg, sizeof(err->msg), "%s: ", where(file, loc, w, sizeof(w)));
	if (n < 0 || (size_t)n >= sizeof(err->msg))
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(err->msg + n, sizeof(err->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int name_chars(const char *s, int dot)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || (dot && *s == '.')))
			return 0;
	return 1;
}

int nsnet__lab_name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n >= 1 && n <= NSNET_LAB_NAME_MAX && name_chars(s, 0);
}

int nsnet__node_name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n >= 1 && n <= NSNET_NODE_NAME_MAX && name_chars(s, 1) && strcmp(s, ".") &&
	       strcmp(s, "..");
}

int nsnet__prefix_ok(const char *s)
{
	return s && strlen(s) <= 255 && name_chars(s, 1);
}

int nsnet__mac_parse(const char *s, uint8_t mac[6])
{
	return nsnet_mac_parse(s, mac);
}

const char *nsnet__quote(const char *s, size_t len, char *buf, size_t size)
{
	size_t i, o = 0, max = 64;

	if (size < 16) {
		if (size)
			buf[0] = '\0';
		return buf;
	}
	buf[o++] = '"';
	for (i = 0; i < len && i < max && o + 8 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
		} else {
			buf[o++] = (char)c;
		}
	}
	if (i < len && o + 5 < size) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

uint32_t nsnet__hash_strs(const char *first, ...)
{
	uint32_t h = 2166136261u;
	const char *s;
	va_list ap;

	va_start(ap, first);
	for (s = first; s; s = va_arg(ap, const char *)) {
		for (; *s; s++) {
			h ^= (unsigned char)*s;
			h *= 16777619u;
		}
		h ^= 0;
		h *= 16777619u;
	}
	va_end(ap);
	return h;
}

static uint64_t hash64(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 14695981039346656037ull;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	return h;
}

static struct nsnet__map_ent *map_find(const struct nsnet__map *m, const void *key, size_t klen,
				       uint64_t h)
{
	size_t i;

	for (i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		struct nsnet__map_ent *e = &m->v[i];

		if (!e->key || (e->h == h && e->klen == klen && !memcmp(e->key, key, klen)))
			return e;
	}
}

int nsnet__map_get(const struct nsnet__map *m, const void *key, size_t klen, long *val)
{
	struct nsnet__map_ent *e;

	if (!m->cap)
		return 0;
	e = map_find(m, key, klen, hash64(key, klen));
	if (!e->key)
		return 0;
	if (val)
		*val = e->val;
	return 1;
}

static int map_rehash(struct nsnet__map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 16, i;
	struct nsnet__map nm = { .cap = cap, .n = m->n };

	nm.v = calloc(cap, sizeof(*nm.v));
	if (!nm.v)
		return -ENOMEM;
	for (i = 0; i < m->cap; i++)
		if (m->v[i].key)
			*map_find(&nm, m->v[i].key, m->v[i].klen, m->v[i].h) = m->v[i];
	free(m->v);
	*m = nm;
	return 0;
}

int nsnet__map_put(struct nsnet__map *m, const void *key, size_t klen, long val, long *old)
{
	struct nsnet__map_ent *e;
	uint64_t h = hash64(key, klen);

	if ((m->n + 1) * 2 > m->cap && map_rehash(m) < 0)
		return -ENOMEM;
	e = map_find(m, key, klen, h);
	if (e->key) {
		if (old)
			*old = e->val;
		return 1;
	}
	e->key = malloc(klen ? klen : 1);
	if (!e->key)
		return -ENOMEM;
	memcpy(e->key, key, klen);
	e->klen = klen;
	e->h = h;
	e->val = val;
	m->n++;
	return 0;
}

void nsnet__map_free(struct nsnet__map *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->cap; i++)
		free(m->v[i].key);
	free(m->v);
	m->v = NULL;
	m->cap = m->n = 0;
}

int nsnet__bridge_port_max(void)
{
	const char *s = getenv("NSNET_BRIDGE_PORT_MAX");
	char *end;
	long v;

	if (!s || !*s)
		return NSNET_BRIDGE_PORTS;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 2 || v > NSNET_BRIDGE_PORTS)
		return NSNET_BRIDGE_PORTS;
	return (int)v;
}

int nsnet__grow(void *v, size_t *cap, size_t need, size_t size)
{
	void **pv = v, *nv;
	size_t ncap = *cap ? *cap : 4;

	if (need <= *cap)
		return 0;
	while (ncap < need) {
		if (ncap > (size_t)-1 / 2 / size)
			return -ENOMEM;
		ncap *= 2;
	}
	nv = realloc(*pv, ncap * size);
	if (!nv)
		return -ENOMEM;
	memset((char *)nv + *cap * size, 0, (ncap - *cap) * size);
	*pv = nv;
	*cap = ncap;
	return 0;
}

int nsnet_lab_load(const char *path, struct nsnet_lab **out, struct nsnet_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	struct stat st;
	ssize_t n;
	int fd, ret;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = nsnet_err_set(err, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		ret = nsnet_err_set(err, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = nsnet_err_set(err, -EISDIR, "%s: %s", path, strerror(EISDIR));
		goto out;
	}
	buf = malloc(NSNET_LAB_MAX_SIZE + 1);
	if (!buf) {
		ret = nsnet_err_set(err, -ENOMEM, "%s: out of memory", path);
		goto out;
	}
	while (len <= NSNET_LAB_MAX_SIZE) {
		n = read(fd, buf + len, NSNET_LAB_MAX_SIZE + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = nsnet_err_set(err, -errno, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > NSNET_LAB_MAX_SIZE) {
		ret = nsnet_err_set(err, -EFBIG, "%s: larger than %u bytes", path,
				    NSNET_LAB_MAX_SIZE);
		goto out;
	}
	ret = nsnet_lab_parse(buf, len, path, out, err);
	if (ret == 0) {	/* files: given as { file: SRC }, beside the lab file */
		char dir[PATH_MAX], *slash;

		snprintf(dir, sizeof(dir), "%s", path);
		slash = strrchr(dir, '/');
		if (slash)
			*(slash == dir ? slash + 1 : slash) = '\0';
		else
			snprintf(dir, sizeof(dir), ".");
		ret = nsnet_lab_files_load(*out, dir, err);
		if (ret < 0) {
			nsnet_lab_free(*out);
			*out = NULL;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return ret;
}

int nsnet_lab_seed(struct nsnet_lab **out, struct nsnet_err *err)
{
	return nsnet_lab_parse(nsnet_seed_yaml, strlen(nsnet_seed_yaml), "<builtin>", out, err);
}
