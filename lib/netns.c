// SPDX-License-Identifier: MIT
/* Named network namespaces, compatible with iproute2 (see reference notes). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>

#include "nsnet/netns.h"
#include "nsnet/nl.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

static char netns_dir[PATH_MAX];

const char *nsnet_netns_dir(void)
{
	if (!netns_dir[0]) {
		const char *e = getenv("NSNET_NETNS_DIR");

		snprintf(netns_dir, sizeof(netns_dir), "%s",
			 e && *e ? e : NSNET_NETNS_DIR_DEFAULT);
	}
	return netns_dir;
}

void nsnet_netns_set_dir(const char *dir)
{
	snprintf(netns_dir, sizeof(netns_dir), "%s", dir);
}

static int ns_path(char *buf, size_t len, const char *name)
{
	if ((size_t)snprintf(buf, len, "%s/%s", nsnet_netns_dir(), name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int nsnet_netns_name_check(const char *name, struct nsnet_err *err)
{
	if (!name || !*name)
		return nsnet_err_set(err, -EINVAL, "invalid namespace name \"\": empty");
	if (strlen(name) > NAME_MAX)
		return nsnet_err_set(err, -EINVAL, "invalid namespace name: longer than %d bytes",
				     NAME_MAX);
	if (strchr(name, '/'))
		return nsnet_err_set(err, -EINVAL, "invalid namespace name \"%s\": contains '/'",
				     name);
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return nsnet_err_set(err, -EINVAL, "invalid namespace name \"%s\"", name);
	return 0;
}

int nsnet_ifname_check(const char *name, struct nsnet_err *err)
{
	const char *p;

	if (!name || !*name)
		return nsnet_err_set(err, -EINVAL, "invalid interface name \"\": empty");
	if (strlen(name) > 15)
		return nsnet_err_set(err, -EINVAL,
				     "invalid interface name \"%s\": longer than 15 bytes", name);
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return nsnet_err_set(err, -EINVAL, "invalid interface name \"%s\"", name);
	/* the kernel's isspace() (lib/ctype.c) also counts 0xa0 (Latin-1 NBSP) */
	for (p = name; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p) || (unsigned char)*p == 0xa0)
			return nsnet_err_set(err, -EINVAL,
					     "invalid interface name \"%s\": contains '%s'", name,
					     *p == '/' ? "/" : *p == ':' ? ":" : "whitespace");
	return 0;
}

int nsnet_netns_prepare_dir(struct nsnet_err *err)
{
	const char *dir = nsnet_netns_dir();
	int lock, made = 0, ret = 0;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return nsnet_err_set(err, -errno, "mkdir %s failed: %s", dir, strerror(errno));
	lock = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lock < 0)
		return nsnet_err_set(err, -errno, "cannot open %s: %s", dir, strerror(errno));
	/* Serialise with ip netns add; on failure go on without the lock like iproute2. */
	flock(lock, LOCK_EX);
	for (;;) {
		if ((ret = nsnet_fault_point()) < 0) {
			nsnet_err_set(err, ret, "mount --make-rshared %s: injected fault", dir);
			break;
		}
		if (!mount("", dir, "none", MS_SHARED | MS_REC, NULL))
			break;
		if (errno != EINVAL || made) {
			ret = nsnet_err_set(err, -errno, "mount --make-rshared %s failed: %s", dir,
					    strerror(errno));
			break;
		}
		/* Not a mount point yet: bind it onto itself, in a fresh peer group. */
		if (mount(dir, dir, "none", MS_BIND | MS_REC, NULL) ||
		    mount("", dir, "none", MS_PRIVATE | MS_REC, NULL)) {
			ret = nsnet_err_set(err, -errno, "mount --rbind %s %s failed: %s", dir, dir,
					    strerror(errno));
			break;
		}
		made = 1;
	}
	flock(lock, LOCK_UN);
	close(lock);
	return ret;
}

/* ---- worker threads --------------------------------------------------------- */

struct worker {
	int (*fn)(void *);
	void *arg;
	int ret;
};

static void *worker_main(void *p)
{
	struct worker *w = p;

	w->ret = w->fn(w->arg);
	return NULL;
}

static int run_thread(int (*fn)(void *), void *arg)
{
	struct worker w = { .fn = fn, .arg = arg };
	pthread_attr_t attr;
	pthread_t t;
	int e;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	e = pthread_create(&t, &attr, worker_main, &w);
	pthread_attr_destroy(&attr);
	if (e)
		return -e;
	pthread_join(t, NULL);
	return w.ret;
}

struct call_arg {
	int nsfd;
	int (*fn)(void *);
	void *arg;
	struct nsnet_err *err;
};

static int call_main(void *p)
{
	struct call_arg *c = p;
	int ret = nsnet_fault_point();

	if (ret < 0)
		return nsnet_err_set(c->err, ret, "setns: injected fault");
	if (setns(c->nsfd, CLONE_NEWNET) < 0)
		return nsnet_err_set(c->err, -errno, "setns failed: %s", strerror(errno));
	return c->fn(c->arg);
}

int nsnet_netns_call(int nsfd, int (*fn)(void *), void *arg, struct nsnet_err *err)
{
	struct call_arg c = { nsfd, fn, arg, err };
	int ret = run_thread(call_main, &c);

	if (ret < 0 && err && !err->error)
		nsnet_err_set(err, ret, NULL);
	return ret;
}

/* ---- add / attach / del ------------------------------------------------------- */

struct add_arg {
	const char *path;
	int (*fn)(void *);
	void *arg;
	struct nsnet_err *err;
};

static int add_main(void *p)
{
	struct add_arg *a = p;
	int ret;

	if ((ret = nsnet_fault_point()) < 0)
		return nsnet_err_set(a->err, ret, "unshare: injected fault");
	if (unshare(CLONE_NEWNET) < 0)
		return nsnet_err_set(a->err, -errno, "cannot create a network namespace: %s",
				     strerror(errno));
	if (a->fn) {
		ret = a->fn(a->arg);
		if (ret < 0)
			return ret;
	}
	if ((ret = nsnet_fault_point()) < 0)
		return nsnet_err_set(a->err, ret, "bind mount: injected fault");
	if (mount("/proc/thread-self/ns/net", a->path, "none", MS_BIND, NULL) < 0)
		return nsnet_err_set(a->err, -errno, "bind /proc/thread-self/ns/net -> %s failed: %s",
				     a->path, strerror(errno));
	return 0;
}

static int prepared;

static int create_file(const char *name, char *path, size_t len, struct nsnet_err *err)
{
	int fd, ret;

	ret = nsnet_netns_name_check(name, err);
	if (ret < 0)
		return ret;
	if (!prepared) {
		ret = nsnet_netns_prepare_dir(err);
		if (ret < 0)
			return ret;
		prepared = 1;
	}
	if (ns_path(path, len, name) < 0)
		return nsnet_err_set(err, -ENAMETOOLONG, "namespace path too long");
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return nsnet_err_set(err, -errno, "cannot create namespace file \"%s\": %s", path,
				     strerror(errno));
	close(fd);
	return 0;
}

int nsnet_netns_add(const char *name, int (*fn)(void *), void *arg, struct nsnet_err *err)
{
	char path[PATH_MAX];
	struct add_arg a = { path, fn, arg, err };
	int ret;

	ret = create_file(name, path, sizeof(path), err);
	if (ret < 0)
		return ret;
	ret = run_thread(add_main, &a);
	if (ret < 0) {
		if (err && !err->error)
			nsnet_err_set(err, ret, "cannot create namespace: %s", strerror(-ret));
		umount2(path, MNT_DETACH);
		unlink(path);
	}
	return ret;
}

struct many_arg {
	const char *const *names;
	size_t n, done;
	int (*fn)(size_t i, void *arg);
	void *arg;
	struct nsnet_err *err;
};

struct one_arg {
	struct many_arg *m;
	size_t i;
};

static int one_cb(void *p)
{
	struct one_arg *o = p;

	return o->m->fn ? o->m->fn(o->i, o->m->arg) : 0;
}

/* One worker thread unshares again and again: a thread per namespace costs more. */
static int many_main(void *p)
{
	struct many_arg *m = p;
	char path[PATH_MAX];
	int ret = 0;

	for (m->done = 0; m->done < m->n; m->done++) {
		struct one_arg o = { m, m->done };
		struct add_arg a = { path, one_cb, &o, m->err };

		ret = create_file(m->names[m->done], path, sizeof(path), m->err);
		if (ret < 0)
			break;
		ret = add_main(&a);
		if (ret < 0) {
			umount2(path, MNT_DETACH);
			unlink(path);
			break;
		}
	}
	return ret;
}

int nsnet_netns_add_many(const char *const *names, size_t n, int (*fn)(size_t i, void *arg),
			 void *arg, size_t *done, struct nsnet_err *err)
{
	struct many_arg m = { names, n, 0, fn, arg, err };
	int ret;

	if (!prepared) {
		ret = nsnet_netns_prepare_dir(err);
		if (ret < 0)
			return ret;
		prepared = 1;
	}
	ret = run_thread(many_main, &m);
	if (done)
		*done = m.done;
	if (ret < 0 && err && !err->error)
		nsnet_err_set(err, ret, "cannot create namespace: %s", strerror(-ret));
	return ret;
}

int nsnet_netns_attach(const char *name, pid_t pid, struct nsnet_err *err)
{
	char path[PATH_MAX], src[64];
	int ret;

	if (pid <= 0)
		return nsnet_err_set(err, -EINVAL, "invalid PID %d", (int)pid);
	ret = create_file(name, path, sizeof(path), err);
	if (ret < 0)
		return ret;
	snprintf(src, sizeof(src), "/proc/%d/ns/net", (int)pid);
	if ((ret = nsnet_fault_point()) < 0 || mount(src, path, "none", MS_BIND, NULL) < 0) {
		ret = ret < 0 ? ret : -errno;
		unlink(path);
		return nsnet_err_set(err, ret, "bind %s -> %s failed: %s", src, path, strerror(-ret));
	}
	return 0;
}

int nsnet_netns_del(const char *name, struct nsnet_err *err)
{
	char path[PATH_MAX];
	int ret = nsnet_netns_name_check(name, err);

	if (ret < 0)
		return ret;
	if (ns_path(path, sizeof(path), name) < 0)
		return nsnet_err_set(err, -ENAMETOOLONG, "namespace path too long");
	if ((ret = nsnet_fault_point()) < 0)
		return nsnet_err_set(err, ret, "umount %s: injected fault", path);
	/* a symlink planted in DIR: remove the link, never unmount its target */
	umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW);
	if (unlink(path) < 0)
		return nsnet_err_set(err, -errno, "cannot remove namespace file \"%s\": %s", path,
				     strerror(errno));
	return 0;
}

int nsnet_netns_open(const char *name, struct nsnet_err *err)
{
	char path[PATH_MAX];
	struct statfs fs;
	int fd, ret = nsnet_netns_name_check(name, err);

	if (ret < 0)
		return ret;
	if (ns_path(path, sizeof(path), name) < 0)
		return nsnet_err_set(err, -ENAMETOOLONG, "namespace path too long");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return nsnet_err_set(err, -errno, "cannot open network namespace \"%s\": %s", name,
				     strerror(errno));
	/* a symlink may lead to /proc/PID/ns/net; anything else is not a namespace */
	if (fstatfs(fd, &fs) < 0 || fs.f_type != NSFS_MAGIC) {
		close(fd);
		return nsnet_err_set(err, -EINVAL, "\"%s\" in %s is not a network namespace", name,
				     nsnet_netns_dir());
	}
	return fd;
}

int nsnet_netns_exists(const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if (ns_path(path, sizeof(path), name) < 0)
		return 0;
	return lstat(path, &st) == 0;
}

/* ---- listing ------------------------------------------------------------------ */

void nsnet_strv_free(char **v)
{
	char **p;

	if (!v)
		return;
	for (p = v; *p; p++)
		free(*p);
	free(v);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int nsnet_netns_list(char ***names, struct nsnet_err *err)
{
	DIR *d = opendir(nsnet_netns_dir());
	struct dirent *de;
	char **v = NULL;
	size_t n = 0, cap = 0;

	*names = NULL;
	if (!d) {
		if (errno != ENOENT)
			return nsnet_err_set(err, -errno, "cannot open %s: %s", nsnet_netns_dir(),
					     strerror(errno));
	} else {
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			if (n + 2 > cap) {
				char **nv;

				cap = cap ? cap * 2 : 16;
				nv = realloc(v, cap * sizeof(*v));
				if (!nv)
					goto nomem;
				v = nv;
			}
			v[n] = strdup(de->d_name);
			if (!v[n])
				goto nomem;
			v[++n] = NULL;
		}
		closedir(d);
	}
	if (!v) {
		v = calloc(1, sizeof(*v));
		if (!v)
			return nsnet_err_set(err, -ENOMEM, "out of memory");
	}
	qsort(v, n, sizeof(*v), cmp_str);
	*names = v;
	return (int)n;
nomem:
	closedir(d);
	if (v)
		v[n] = NULL;
	nsnet_strv_free(v);
	return nsnet_err_set(err, -ENOMEM, "out of memory");
}

struct nsid_arg {
	int nsid;
};

static int nsid_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nsid_arg *a = data;
	const struct nlattr *attr;

	if (nlh->nlmsg_type != RTM_NEWNSID)
		return 0;
	mnl_attr_for_each(attr, nlh, sizeof(struct rtgenmsg)) {
		if (mnl_attr_get_type(attr) == NETNSA_NSID &&
		    mnl_attr_get_payload_len(attr) >= 4)
			a->nsid = (int)mnl_attr_get_u32(attr);
	}
	return 0;
}

int nsnet_netns_nsid(const char *name)
{
	static struct nsnet_nl *nl;
	struct nsid_arg a = { -1 };
	struct nlmsghdr *nlh;
	struct rtgenmsg *g;
	int fd;

	fd = nsnet_netns_open(name, NULL);
	if (fd < 0)
		return -1;
	if (!nl && nsnet_nl_open(&nl, -1, NULL) < 0) {
		close(fd);
		return -1;
	}
	nlh = nsnet_nl_req(nl, RTM_GETNSID, 0, nsid_cb, &a, "get nsid");
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, NETNSA_FD, (uint32_t)fd);
	nsnet_nl_flush(nl, NULL);
	close(fd);
	return a.nsid;
}

static int is_pid(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

int nsnet_netns_identify(pid_t pid, char *buf, size_t len, struct nsnet_err *err)
{
	char path[PATH_MAX];
	struct stat me, st;
	struct dirent *de;
	DIR *d;

	buf[0] = '\0';
	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/net");
	if (stat(path, &me) < 0)
		return nsnet_err_set(err, -errno, "cannot read %s: %s", path, strerror(errno));
	d = opendir(nsnet_netns_dir());
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (ns_path(path, sizeof(path), de->d_name) < 0)
			continue;
		if (stat(path, &st) == 0 && st.st_dev == me.st_dev && st.st_ino == me.st_ino)
			snprintf(buf, len, "%s", de->d_name);
	}
	closedir(d);
	return 0;
}

int nsnet_netns_pids(const char *name, pid_t **pids, struct nsnet_err *err)
{
	char path[PATH_MAX];
	struct stat ns, st;
	struct dirent *de;
	pid_t *v = NULL;
	size_t n = 0, cap = 0;
	int fd;
	DIR *d;

	*pids = NULL;
	fd = nsnet_netns_open(name, err);
	if (fd < 0)
		return fd;
	if (fstat(fd, &ns) < 0) {
		close(fd);
		return nsnet_err_set(err, -errno, "stat: %s", strerror(errno));
	}
	close(fd);
	d = opendir("/proc");
	if (!d)
		return nsnet_err_set(err, -errno, "cannot open /proc: %s", strerror(errno));
	while ((de = readdir(d))) {
		if (!is_pid(de->d_name))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", de->d_name);
		if (stat(path, &st) < 0 || st.st_dev != ns.st_dev || st.st_ino != ns.st_ino)
			continue;
		if (n == cap) {
			pid_t *nv;

			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return nsnet_err_set(err, -ENOMEM, "out of memory");
			}
			v = nv;
		}
		v[n++] = (pid_t)atoi(de->d_name);
	}
	closedir(d);
	*pids = v;
	return (int)n;
}

/* ---- exec --------------------------------------------------------------------- */

static void bind_etc(const char *name)
{
	char src[PATH_MAX], dst[PATH_MAX], dir[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if (strlen(name) >= NAME_MAX)
		return;
	snprintf(dir, sizeof(dir), "%s/%s", NSNET_NETNS_ETC_DIR, name);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((size_t)snprintf(src, sizeof(src), "%s/%s", dir, de->d_name) >= sizeof(src) ||
		    (size_t)snprintf(dst, sizeof(dst), "/etc/%s", de->d_name) >= sizeof(dst))
			continue;
		/* Like iproute2, a missing target only loses that one entry. */
		mount(src, dst, "none", MS_BIND, NULL);
	}
	closedir(d);
}

int nsnet_netns_switch(const char *name, struct nsnet_err *err)
{
	unsigned long flags = 0;
	struct statvfs fs;
	int fd, ret;

	fd = nsnet_netns_open(name, err);
	if (fd < 0)
		return fd;
	if ((ret = nsnet_fault_point()) < 0 || setns(fd, CLONE_NEWNET) < 0) {
		ret = ret < 0 ? ret : -errno;
		close(fd);
		return nsnet_err_set(err, ret, "setting the network namespace \"%s\" failed: %s",
				     name, strerror(-ret));
	}
	close(fd);
	if (unshare(CLONE_NEWNS) < 0)
		return nsnet_err_set(err, -errno, "unshare(CLONE_NEWNS) failed: %s", strerror(errno));
	if (mount("", "/", "none", MS_SLAVE | MS_REC, NULL) < 0)
		return nsnet_err_set(err, -errno, "\"mount --make-rslave /\" failed: %s",
				     strerror(errno));
	if (umount2("/sys", MNT_DETACH) < 0) {
		if (statvfs("/sys", &fs) == 0 && (fs.f_flag & ST_RDONLY))
			flags = MS_RDONLY;
	}
	if (mount(name, "/sys", "sysfs", flags, NULL) < 0)
		return nsnet_err_set(err, -errno, "mount of /sys failed: %s", strerror(errno));
	bind_etc(name);
	return 0;
}

/* ---- processes inside namespaces ---------------------------------------------- */

static int nsid_in(const struct nsnet_nsid *ids, size_t n, unsigned long dev, unsigned long ino)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (ids[k].dev == dev && ids[k].ino == ino)
			return 1;
	return 0;
}

int nsnet_netns_kill(const struct nsnet_nsid *ids, size_t n)
{
	int round, total = 0;

	/* a few rounds: a process may fork while we look */
	for (round = 0; n && round < 5; round++) {
		struct dirent *de;
		int found = 0;
		DIR *d = opendir("/proc");

		if (!d)
			break;
		while ((de = readdir(d))) {
			char path[300];
			struct stat st;
			int pid = atoi(de->d_name);

			if (pid <= 1 || pid == getpid())
				continue;
			snprintf(path, sizeof(path), "/proc/%s/ns/net", de->d_name);
			if (stat(path, &st) < 0 ||
			    !nsid_in(ids, n, (unsigned long)st.st_dev, (unsigned long)st.st_ino))
				continue;
			kill(pid, SIGKILL);
			found++;
		}
		closedir(d);
		total += found;
		if (!found)
			break;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		usleep(2000);
	}
	return total;
}
