// SPDX-License-Identifier: MIT
/*
 * nsnet run: the tutorial's clone() program done with the library.
 *
 * Parent                                   child (pid 1 of its pid namespace)
 *   lab lock: gc, pick address, create      clone(NEWNET|NEWUTS|NEWPID|NEWNS|NEWIPC)
 *   reservation run.<addr>, journal link    PDEATHSIG, close fds, mounts private,
 *   clone ------------------------------->  /proc and /sys mounted, hostname,
 *   lab lock: journal pid, nsino            waits for "go" on a socketpair
 *   host: veth (peer eth0 in the child's
 *     netns), master, up, group; alias
 *   child netns: lo, eth0 up, addr, route
 *   named netns, forwards
 *   "go" -------------------------------->  chdir, env; fork CMD (pid 2), exec
 *   EOF on the socketpair = CMD exec'd <--  (or an error message: never ran)
 *   forward signals, wait                   init: forward signals, reap, exit with
 *   remove forwards, name, reservation        CMD's status
 *
 * The reservation file is the instance's record: who holds the address (pid
 * and start time of the nsnet process), and the objects it made, so that
 * nsnet_run_gc() can remove them once that process is gone. The journal lines
 * make `nsnet down LAB` handle running instances like the lab's own objects:
 * "nsino KEY DEV INO" gets every process in the namespace killed, "pid"
 * the init (checked by start time), "ns NAME" the name unbound, "link" the
 * host veth deleted if marked. They are removed again (the journal rewritten
 * atomically under the lab lock; every journal writer holds that lock) when
 * the instance goes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "apply-int.h"
#include "nsnet/lab.h"
#include "nsnet/link.h"
#include "nsnet/netns.h"
#include "nsnet/nl.h"
#include "nsnet/route.h"
#include "nsnet/run.h"
#include "nsnet/state.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

#define RESV_PREFIX "run."
#define RESV_TMP ".run.tmp"
#define JOURNAL_TMP ".journal.run.tmp"
#define AUTO_FILE "auto"	/* the default network was made by a run: it goes with the last */

static const int fwd_sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
#define NFWD_SIGS (sizeof(fwd_sigs) / sizeof(fwd_sigs[0]))

/* ---- reservations ----------------------------------------------------------------- */

struct resv {
	char file[80];			/* "run.10.88.0.2" */
	struct nsnet_prefix addr;
	struct nsnet_prefix addr6;	/* family 0: none */
	char owner[64];
	char name[64];
	char link[16];
	char bridge[16];
	int ppid, pid;
	unsigned long long pstart, start;
	unsigned long nsdev, nsino;
	int has_nsino;
	struct nsnet_run_port *ports;
	size_t nports;
};

static int resv_alive(const struct resv *r)
{
	return r->ppid > 0 && r->pstart && nsnet_proc_start(r->ppid) == r->pstart;
}

static const char *proto_str(int proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

/*
 * The key of its "nsino" journal line: the netns name, or for an unnamed
 * instance its owner tag. `down` kills every process in a journaled
 * namespace inode, so this line alone makes it take the instance down.
 */
static const char *nskey(const struct resv *r)
{
	return r->name[0] ? r->name : r->owner;
}

static void resv_free(struct resv *r)
{
	if (r)
		free(r->ports);
}

/* The journal lines that belong to instance @r (0..4 of them). */
static int resv_journal_lines(const struct resv *r, char lines[4][340])
{
	int n = 0;

	if (r->link[0])
		snprintf(lines[n++], sizeof(lines[0]), "link %s", r->link);
	if (r->pid > 0)
		snprintf(lines[n++], sizeof(lines[0]), "pid %d %llu", r->pid, r->start);
	if (r->name[0])
		snprintf(lines[n++], sizeof(lines[0]), "ns %s", r->name);
	if (r->has_nsino)
		snprintf(lines[n++], sizeof(lines[0]), "nsino %s %lu %lu", nskey(r), r->nsdev,
			 r->nsino);
	return n;
}

static char *resv_fmt(const struct resv *r)
{
	size_t cap = 512 + r->nports * 96, len = 0, i;
	char *buf = malloc(cap), a[64];

	if (!buf)
		return NULL;
	nsnet_prefix_fmt(&r->addr, 1, a, sizeof(a));
	len += (size_t)snprintf(buf + len, cap - len, "addr %s\nowner %s\nppid %d %llu\n", a,
				r->owner, r->ppid, r->pstart);
	if (r->addr6.family)
		len += (size_t)snprintf(buf + len, cap - len, "addr6 %s\n",
					nsnet_prefix_fmt(&r->addr6, 1, a, sizeof(a)));
	if (r->link[0])
		len += (size_t)snprintf(buf + len, cap - len, "link %s\n", r->link);
	if (r->bridge[0])
		len += (size_t)snprintf(buf + len, cap - len, "bridge %s\n", r->bridge);
	if (r->name[0])
		len += (size_t)snprintf(buf + len, cap - len, "name %s\n", r->name);
	if (r->pid > 0)
		len += (size_t)snprintf(buf + len, cap - len, "pid %d %llu\n", r->pid, r->start);
	if (r->has_nsino)
		len += (size_t)snprintf(buf + len, cap - len, "nsino %s %lu %lu\n", nskey(r),
					r->nsdev, r->nsino);
	for (i = 0; i < r->nports; i++) {
		const struct nsnet_run_port *p = &r->ports[i];

		if (p->host_addr.family)
			nsnet_prefix_fmt(&p->host_addr, 0, a, sizeof(a));
		else
			snprintf(a, sizeof(a), "-");
		len += (size_t)snprintf(buf + len, cap - len, "port %s %u %u %s\n",
					proto_str(p->proto), p->host_port, p->port, a);
	}
	return buf;
}

static int resv_parse(const char *file, char *text, struct resv *r)
{
	char *line, *save = NULL;

	memset(r, 0, sizeof(*r));
	snprintf(r->file, sizeof(r->file), "%s", file);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char s1[64], s2[64];
		unsigned u1, u2;

		if (sscanf(line, "addr6 %63s", s1) == 1) {
			if (nsnet_prefix_parse(s1, &r->addr6, 1) < 0 || r->addr6.family != AF_INET6)
				return -EINVAL;
		} else if (sscanf(line, "addr %63s", s1) == 1) {
			if (nsnet_prefix_parse(s1, &r->addr, 1) < 0)
				return -EINVAL;
		} else if (sscanf(line, "owner %63s", r->owner) == 1 ||
			   sscanf(line, "name %63s", r->name) == 1 ||
			   sscanf(line, "link %15s", r->link) == 1 ||
			   sscanf(line, "bridge %15s", r->bridge) == 1) {
			continue;
		} else if (sscanf(line, "ppid %d %llu", &r->ppid, &r->pstart) == 2 ||
			   sscanf(line, "pid %d %llu", &r->pid, &r->start) == 2) {
			continue;
		} else if (sscanf(line, "nsino %63s %lu %lu", s1, &r->nsdev, &r->nsino) == 3) {
			r->has_nsino = 1;
		} else if (sscanf(line, "port %7s %u %u %63s", s2, &u1, &u2, s1) == 4) {
			struct nsnet_run_port *nv, p = { 0 };

			if (!u1 || u1 > 65535 || !u2 || u2 > 65535)
				continue;
			p.proto = !strcmp(s2, "udp") ? IPPROTO_UDP : IPPROTO_TCP;
			p.host_port = (uint16_t)u1;
			p.port = (uint16_t)u2;
			if (strcmp(s1, "-") && nsnet_ip_parse(s1, &p.host_addr) < 0)
				continue;
			nv = realloc(r->ports, (r->nports + 1) * sizeof(*nv));
			if (!nv)
				return -ENOMEM;
			r->ports = nv;
			r->ports[r->nports++] = p;
		}
	}
	return r->addr.family && r->ppid > 0 ? 0 : -EINVAL;
}

static int resv_read(const char *lab, const char *file, struct resv *r)
{
	char *text = NULL;
	size_t len;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = nsnet_state_get(lab, file, &text, &len, NULL);
	if (ret < 0)
		return ret;
	ret = resv_parse(file, text, r);
	free(text);
	if (ret < 0) {
		resv_free(r);
		memset(r, 0, sizeof(*r));
	}
	return ret;
}

static int is_resv_name(const char *d)
{
	return !strncmp(d, RESV_PREFIX, strlen(RESV_PREFIX)) && d[strlen(RESV_PREFIX)];
}

/* Reservation file names of @lab (NULL-terminated, sorted). */
static int resv_names(const char *lab, char ***out, struct nsnet_err *err)
{
	char dir[PATH_MAX], **v = NULL, **nv;
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	*out = NULL;
	if (nsnet_state_path(lab, NULL, dir, sizeof(dir)) < 0)
		return nsnet_err_set(err, -EINVAL, "invalid lab name \"%s\"", lab);
	v = calloc(1, sizeof(*v));
	if (!v)
		return nsnet_err_set(err, -ENOMEM, "out of memory");
	d = opendir(dir);
	if (!d) {
		*out = v;
		return 0;
	}
	while ((de = readdir(d))) {
		if (!is_resv_name(de->d_name))
			continue;
		nv = realloc(v, (n + 2) * sizeof(*v));
		if (!nv || !(nv[n] = strdup(de->d_name))) {
			v = nv ? nv : v;
			v[n] = NULL;
			closedir(d);
			nsnet_strv_free(v);
			return nsnet_err_set(err, -ENOMEM, "out of memory");
		}
		v = nv;
		v[++n] = NULL;
	}
	closedir(d);
	*out = v;
	return (int)n;
}

/* Replace the reservation's content atomically (caller holds the lab lock). */
static int resv_write(const char *lab, const struct resv *r, struct nsnet_err *err)
{
	char tmp[PATH_MAX], path[PATH_MAX], *text = resv_fmt(r);
	int ret;

	if (!text)
		return nsnet_err_set(err, -ENOMEM, "out of memory");
	nsnet_state_path(lab, RESV_TMP, tmp, sizeof(tmp));
	nsnet_state_path(lab, r->file, path, sizeof(path));
	ret = nsnet_state_put(lab, RESV_TMP, text, strlen(text), err);
	if (ret == 0 && rename(tmp, path) < 0)
		ret = nsnet_err_set(err, -errno, "rename %s: %s", path, strerror(errno));
	free(text);
	return ret;
}

/* Create the reservation: the address is ours iff the O_EXCL create succeeds. */
static int resv_create(const char *lab, const struct resv *r, struct nsnet_err *err)
{
	char path[PATH_MAX], *text;
	ssize_t len;
	int fd, ret = 0;

	if (nsnet_state_path(lab, r->file, path, sizeof(path)) < 0)
		return nsnet_err_set(err, -EINVAL, "invalid lab name \"%s\"", lab);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	text = resv_fmt(r);
	len = text ? (ssize_t)strlen(text) : -1;
	if (!text || write(fd, text, (size_t)len) != len) {
		ret = nsnet_err_set(err, text ? -EIO : -ENOMEM, "cannot write %s", path);
		unlink(path);
	}
	close(fd);
	free(text);
	return ret;
}

static void resv_unlink(const char *lab, const struct resv *r)
{
	char path[PATH_MAX];

	if (nsnet_state_path(lab, r->file, path, sizeof(path)) == 0)
		unlink(path);
}

/* ---- journal lines ---------------------------------------------------------------- */

/*
 * Drop the instance's lines from the lab's journal (caller holds the lab
 * lock): for each, its last occurrence, which is ours (we appended it after
 * whatever the lab wrote; a lab line that happens to be equal stays).
 */
static int journal_forget(const char *lab, const struct resv *r, struct nsnet_err *err)
{
	char mine[4][340], **lines = NULL, tmp[PATH_MAX], path[PATH_MAX], *buf = NULL;
	size_t len = 0, cap = 1;
	int n, nmine, i, k, drop[4], dropped = 0, ret = 0;

	nmine = resv_journal_lines(r, mine);
	if (!nmine || !nsnet_state_exists(lab))
		return 0;
	n = nsnet_state_read(lab, &lines, err);
	if (n < 0)
		return n;
	for (k = 0; k < nmine; k++) {
		for (drop[k] = n - 1; drop[k] >= 0 && strcmp(lines[drop[k]], mine[k]); drop[k]--)
			;
		dropped += drop[k] >= 0;
	}
	if (!dropped)
		goto out;
	for (i = 0; i < n; i++)
		cap += strlen(lines[i]) + 1;
	buf = malloc(cap);
	if (!buf) {
		ret = nsnet_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		for (k = 0; k < nmine && drop[k] != i; k++)
			;
		if (k == nmine)
			len += (size_t)sprintf(buf + len, "%s\n", lines[i]);
	}
	nsnet_state_path(lab, JOURNAL_TMP, tmp, sizeof(tmp));
	nsnet_state_path(lab, "journal", path, sizeof(path));
	ret = nsnet_state_put(lab, JOURNAL_TMP, buf, len, err);
	if (ret == 0 && rename(tmp, path) < 0)
		ret = nsnet_err_set(err, -errno, "rename %s: %s", path, strerror(errno));
out:
	free(buf);
	nsnet_strv_free(lines);
	return ret;
}

static int journal_has_up(const char *lab)
{
	char **lines = NULL;
	int n, i, up = 0;

	if (!nsnet_state_exists(lab))
		return 0;
	n = nsnet_state_read(lab, &lines, NULL);
	for (i = 0; i < n; i++)
		up |= !strcmp(lines[i], "up");
	nsnet_strv_free(lines);
	return up;
}

/* ---- the default network ------------------------------------------------------------ */

static int is_auto(const char *lab)
{
	char path[PATH_MAX];

	return !strcmp(lab, NSNET_RUN_LAB) &&
	       nsnet_state_path(lab, AUTO_FILE, path, sizeof(path)) == 0 && access(path, F_OK) == 0;
}

/*
 * Caller holds @lab's lock. The default network that a run made goes once no
 * live instance holds a reservation on it (what dead ones left goes with it:
 * their journal lines are the lab's). A reservation that cannot be read (torn
 * by a crash) counts as live until gc reclaims it. 1 if removed, 0, -errno.
 */
static int drop_if_unused(const char *lab, struct nsnet_err *err)
{
	char **names = NULL;
	int n, k, busy = 0, ret;

	if (!is_auto(lab) || !journal_has_up(lab))
		return 0;
	n = resv_names(lab, &names, err);
	if (n < 0)
		return n;
	for (k = 0; k < n && !busy; k++) {
		struct resv rv;

		if (resv_read(lab, names[k], &rv) < 0) {
			busy = 1;
			continue;
		}
		busy = resv_alive(&rv);
		resv_free(&rv);
	}
	nsnet_strv_free(names);
	if (busy)
		return 0;
	ret = nsnet__lab_down_locked(lab, err);
	return ret < 0 ? ret : 1;
}

/* Keep (@keep) the default network after its last run, or let it go with it. */
static int set_auto(int keep, struct nsnet_err *err)
{
	int lock, ret = 0;

	lock = nsnet_state_lock(NSNET_RUN_LAB, err);
	if (lock < 0)
		return lock;
	if (keep)
		nsnet_state_unlink(NSNET_RUN_LAB, AUTO_FILE);
	else if (journal_has_up(NSNET_RUN_LAB))
		ret = nsnet_state_put(NSNET_RUN_LAB, AUTO_FILE, "", 0, err);
	nsnet_state_unlock(lock);
	return ret;
}

int nsnet_run_default_lab(struct nsnet_err *err)
{
	struct nsnet_lab_source src = { .kind = "file", .arg = "<nsnet-run>" };
	struct nsnet_prefix net, host;
	struct nsnet_lab *lab = NULL;
	const char *subnet = getenv("NSNET_RUN_SUBNET"), *subnet6 = getenv("NSNET_RUN_SUBNET6");
	struct nsnet_prefix net6 = { 0 }, host6 = { 0 };
	char yaml[768], s_net[64], s_host[64], s_net6[72] = "", s_host6[72] = "";
	int lock, up, half, ret;

	lock = nsnet_state_lock(NSNET_RUN_LAB, err);
	if (lock < 0)
		return lock;
	up = journal_has_up(NSNET_RUN_LAB);
	half = !up && nsnet_state_exists(NSNET_RUN_LAB);
	nsnet_state_unlock(lock);
	if (up)
		return 0;
	/*
	 * A journal without "up" while nobody holds the lock (`up` holds it
	 * throughout): an earlier creation was killed half-way. Remove it.
	 */
	if (half) {
		ret = nsnet_lab_down(NSNET_RUN_LAB, NULL, NULL, err);
		if (ret < 0)
			return ret;
	}
	if (!subnet || !*subnet)
		subnet = NSNET_RUN_SUBNET;
	if (nsnet_prefix_parse(subnet, &net, 1) < 0 || net.family != AF_INET || net.plen > 30)
		return nsnet_err_set(err, -EINVAL, "NSNET_RUN_SUBNET \"%s\": want an IPv4 "
				     "subnet of /30 or larger", subnet);
	if (!subnet6)
		subnet6 = NSNET_RUN_SUBNET6;
	if (*subnet6 && strcmp(subnet6, "none")) {
		if (nsnet_prefix_parse(subnet6, &net6, 1) < 0 || net6.family != AF_INET6 ||
		    net6.plen > 120)
			return nsnet_err_set(err, -EINVAL, "NSNET_RUN_SUBNET6 \"%s\": want an IPv6 "
					     "subnet of /120 or larger, or \"none\"", subnet6);
		nsnet_prefix_network(&net6, &net6);
		nsnet_prefix_host(&net6, 1, &host6);
		s_net6[0] = s_host6[0] = ',';
		s_net6[1] = s_host6[1] = ' ';
		nsnet_prefix_fmt(&net6, 1, s_net6 + 2, sizeof(s_net6) - 2);
		nsnet_prefix_fmt(&host6, 1, s_host6 + 2, sizeof(s_host6) - 2);
	}
	nsnet_prefix_network(&net, &net);
	nsnet_prefix_host(&net, 1, &host);
	nsnet_prefix_fmt(&net, 1, s_net, sizeof(s_net));
	nsnet_prefix_fmt(&host, 1, s_host, sizeof(s_host));
	snprintf(yaml, sizeof(yaml),
		 "# the default network of nsnet run\n"
		 "name: %s\n"
		 "bridges:\n"
		 "  %s:\n"
		 "    addresses: [%s%s]\n"
		 "    subnet: %s\n"
		 "nat:\n"
		 "  masquerade: [%s%s]\n", NSNET_RUN_LAB, NSNET_RUN_BRIDGE, s_host, s_host6, s_net,
		 s_net, s_net6);
	src.text = yaml;
	src.len = strlen(yaml);
	ret = nsnet_lab_parse(yaml, src.len, src.arg, &lab, err);
	if (ret == 0)
		ret = nsnet_lab_check(lab, err);
	if (ret == 0)
		ret = nsnet_lab_up(lab, &src, NULL, NULL, err);
	if (ret == 0)
		ret = set_auto(0, err);	/* made here, on demand: it goes with its last run */
	if (ret == -EEXIST) {
		/* someone else brought it up meanwhile (we waited on the lock) */
		lock = nsnet_state_lock(NSNET_RUN_LAB, NULL);
		up = lock >= 0 && journal_has_up(NSNET_RUN_LAB);
		nsnet_state_unlock(lock);
		if (up) {
			nsnet_err_clear(err);
			ret = 0;
		}
	}
	nsnet_lab_free(lab);
	return ret;
}

/* ---- options ------------------------------------------------------------------------ */

static int parse_port_num(const char *s, uint16_t *port)
{
	char *end;
	long v;

	if (!*s)
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 1 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int nsnet_run_port_parse(const char *s, struct nsnet_run_port *p)
{
	char buf[128], *slash, *c, *hp;

	memset(p, 0, sizeof(*p));
	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", s);
	p->proto = IPPROTO_TCP;
	slash = strrchr(buf, '/');
	if (slash) {
		*slash++ = '\0';
		if (!strcmp(slash, "udp"))
			p->proto = IPPROTO_UDP;
		else if (strcmp(slash, "tcp"))
			return -EINVAL;
	}
	c = strrchr(buf, ':');		/* before PORT */
	if (!c || parse_port_num(c + 1, &p->port) < 0)
		return -EINVAL;
	*c = '\0';
	hp = buf;
	if (buf[0] == '[') {
		char *rb = strchr(buf, ']');

		if (!rb || rb[1] != ':')
			return -EINVAL;
		*rb = '\0';
		if (nsnet_ip_parse(buf + 1, &p->host_addr) < 0 || p->host_addr.family != AF_INET6)
			return -EINVAL;
		hp = rb + 2;
	} else if ((c = strrchr(buf, ':'))) {
		*c = '\0';
		if (nsnet_ip_parse(buf, &p->host_addr) < 0)
			return -EINVAL;
		hp = c + 1;
	}
	return parse_port_num(hp, &p->host_port);
}

int nsnet_run_name_check(const char *name, struct nsnet_err *err)
{
	const char *q;

	if (!name || !*name || strlen(name) > 48 || !strcmp(name, ".") || !strcmp(name, ".."))
		goto bad;
	for (q = name; *q; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
		      (*q >= '0' && *q <= '9') || *q == '_' || *q == '-' || *q == '.'))
			goto bad;
	return 0;
bad:
	return nsnet_err_set(err, -EINVAL, "invalid name \"%s\": want [A-Za-z0-9_.-], 1 to 48 "
			     "bytes", name ? name : "");
}

/* ---- the child ---------------------------------------------------------------------- */

struct child_arg {
	int sock;			/* our end of the socketpair */
	const char *hostname;
	const char *workdir;
	char *const *env;
	size_t nenv;
	char *const *argv;
	sigset_t cmdmask;		/* the caller's signal mask, for CMD */
};

/* Report a failure to the parent and exit: "ERRNO STAGE\tTEXT". */
static void __attribute__((noreturn)) child_fail(int sock, int e, int code, const char *stage,
						 const char *what)
{
	char buf[600];
	int n = snprintf(buf, sizeof(buf), "%d %s\t%s: %s", e, stage, what, strerror(e));

	if (n > 0)
		send(sock, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1,
		     MSG_NOSIGNAL);
	_exit(code);
}

static void close_others(int keep)
{
	if (keep > 3)
		close_range(3, (unsigned)keep - 1, 0);
	close_range((unsigned)(keep >= 3 ? keep + 1 : 3), ~0U, 0);
}

static void noop_handler(int sig)
{
	(void)sig;
}

/*
 * pid 1: CMD runs as its child (pid 2) because the kernel drops signals
 * without a handler sent to a namespace's init: a CMD that is pid 1 would not
 * die of the SIGTERM we forward unless it installs a handler (and would
 * leave orphans unreaped). This init forwards the signals, reaps orphans and
 * exits with CMD's status, taking the rest of the namespace with it.
 */
static void __attribute__((noreturn)) child_init(struct child_arg *a)
{
	struct sigaction sa = { .sa_handler = noop_handler }, old[NFWD_SIGS], dfl = { 0 };
	sigset_t set;
	size_t i;
	pid_t cmd, w;
	int st;

	dfl.sa_handler = SIG_DFL;
	sigemptyset(&set);
	for (i = 0; i < NFWD_SIGS; i++) {
		sigaddset(&set, fwd_sigs[i]);
		sigaction(fwd_sigs[i], &sa, &old[i]);
	}
	sigaddset(&set, SIGCHLD);
	sigaction(SIGCHLD, &sa, NULL);
	sigprocmask(SIG_BLOCK, &set, NULL);
	cmd = fork();
	if (cmd < 0)
		child_fail(a->sock, errno, 1, "set-up", "fork");
	if (cmd == 0) {
		for (i = 0; i < NFWD_SIGS; i++)
			sigaction(fwd_sigs[i], &old[i], NULL);
		sigaction(SIGCHLD, &dfl, NULL);
		sigprocmask(SIG_SETMASK, &a->cmdmask, NULL);
		execvp(a->argv[0], a->argv);
		child_fail(a->sock, errno, errno == ENOENT ? 127 : 126, "exec", a->argv[0]);
	}
	close(a->sock);
	prctl(PR_SET_NAME, "nsnet-init");
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);

		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			/*
			 * From the terminal (SI_KERNEL) the signal went to our whole
			 * process group: CMD has it already unless it left the group.
			 */
			if (si.si_code != SI_KERNEL || getpgid(cmd) != getpgrp())
				kill(cmd, sig);
			continue;
		}
		while ((w = waitpid(-1, &st, WNOHANG)) > 0)
			if (w == cmd)
				_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	}
}

static void __attribute__((noreturn)) child_main(struct child_arg *a)
{
	ssize_t n;
	size_t i;
	char go;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	close_others(a->sock);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		child_fail(a->sock, errno, 1, "set-up", "make mounts private");
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		child_fail(a->sock, errno, 1, "set-up", "mount /proc");
	/* /sys of this network namespace, as ip netns exec does (best effort) */
	if (umount2("/sys", MNT_DETACH) == 0)
		mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	if (sethostname(a->hostname, strlen(a->hostname)) < 0)
		child_fail(a->sock, errno, 1, "set-up", "sethostname");
	/* the network is wired by the parent; EOF means it gave up (and says why) */
	do
		n = read(a->sock, &go, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(1);
	if (a->workdir && chdir(a->workdir) < 0)
		child_fail(a->sock, errno, 1, "set-up", a->workdir);
	for (i = 0; i < a->nenv; i++)
		if (putenv(a->env[i]) != 0)
			child_fail(a->sock, errno, 1, "set-up", a->env[i]);
	child_init(a);
}

/*
 * clone() like fork(): no new stack, the child returns here too (0) and runs
 * on its copy of ours (as systemd's raw_clone; glibc's clone() wants a stack
 * of its own, which sanitizers and unwinders dislike). We are single-threaded.
 */
static pid_t clone_fork(unsigned long flags)
{
#if defined(__s390__) || defined(__CRIS__)
	return (pid_t)syscall(SYS_clone, 0UL, flags | SIGCHLD, NULL, NULL, NULL);
#else
	return (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0UL, NULL, NULL, NULL);
#endif
}

/* ---- the parent --------------------------------------------------------------------- */

struct nsnet_run {
	char lab[65];
	struct resv rv;
	struct nsnet_prefix gw, gw6;
	struct nsnet_prefix subnet6;	/* the bridge's IPv6 subnet; family 0: none */
	int ip6_given;			/* --ip6 */
	int mtu;
	int sfd;			/* signalfd of the forwarded signals + SIGCHLD */
	sigset_t oldmask;
	int masked;
	int sock;			/* our end of the socketpair */
	int nsfd;			/* the child's network namespace */
	pid_t pid;
	int reaped, status;
	size_t nfwd;			/* forwards added (the first nfwd of rv.ports) */
	int attached;			/* rv.name bound in the namespace directory */
	int reserved;
};

pid_t nsnet_run_pid(const struct nsnet_run *r)
{
	return r->pid;
}

void nsnet_run_addr(const struct nsnet_run *r, struct nsnet_prefix *addr)
{
	*addr = r->rv.addr;
}

const char *nsnet_run_lab(const struct nsnet_run *r)
{
	return r->lab;
}

/* What the lab uses on the bridge's subnet (bridge and node addresses). */
static int lab_uses(const struct nsnet_lab *lab, const struct nsnet_prefix *a)
{
	size_t i, j, k;

	for (i = 0; i < lab->nbridges; i++)
		for (k = 0; k < lab->bridges[i].naddrs; k++)
			if (nsnet_ip_equal(&lab->bridges[i].addrs[k].p, a))
				return 1;
	for (i = 0; i < lab->nnodes; i++)
		for (j = 0; j < lab->nodes[i].nifaces; j++)
			for (k = 0; k < lab->nodes[i].ifaces[j].naddrs; k++)
				if (nsnet_ip_equal(&lab->nodes[i].ifaces[j].addrs[k].p, a))
					return 1;
	return 0;
}

static void resv_file(const struct nsnet_prefix *a, char *buf, size_t len)
{
	char s[64];

	nsnet_prefix_fmt(a, 0, s, sizeof(s));
	snprintf(buf, len, RESV_PREFIX "%s", s);
}

static int is_edge(const struct nsnet_prefix *net, const struct nsnet_prefix *a)
{
	struct nsnet_prefix n0, bc;
	int i, hostbits = 32 - net->plen;

	if (net->plen >= 31)
		return 0;
	nsnet_prefix_network(net, &n0);
	bc = n0;
	for (i = 3; i >= 0 && hostbits > 0; i--, hostbits -= 8)
		bc.addr[i] |= (uint8_t)(hostbits >= 8 ? 0xff : (1u << hostbits) - 1);
	return nsnet_ip_equal(a, &n0) || nsnet_ip_equal(a, &bc);
}

static int name_in(char **names, const char *file)
{
	for (; names && *names; names++)
		if (!strcmp(*names, file))
			return 1;
	return 0;
}

/* Host number of IPv4 address @a in @net. */
static uint64_t host_index(const struct nsnet_prefix *net, const struct nsnet_prefix *a)
{
	uint32_t x = (uint32_t)a->addr[0] << 24 | (uint32_t)a->addr[1] << 16 |
		     (uint32_t)a->addr[2] << 8 | a->addr[3];
	uint32_t m = net->plen ? ~0u << (32 - net->plen) : 0;

	return x & ~m;
}

/* The IPv6 addresses other reservations of @lab hold (read once per reserve()). */
struct used6 {
	struct nsnet_prefix *v;
	size_t n;
};

static void used6_read(const char *lab, char **names, struct used6 *u)
{
	struct nsnet_prefix *nv;

	u->v = NULL;
	u->n = 0;
	for (; names && *names; names++) {
		struct resv o;

		if (resv_read(lab, *names, &o) < 0)
			continue;
		if (o.addr6.family && (nv = realloc(u->v, (u->n + 1) * sizeof(*nv)))) {
			u->v = nv;
			u->v[u->n++] = o.addr6;
		}
		resv_free(&o);
	}
}

static int used6_has(const struct used6 *u, const struct nsnet_prefix *a)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		if (nsnet_ip_equal(&u->v[i], a))
			return 1;
	return 0;
}

/*
 * The instance's IPv6 address when it has one: --ip6, else the bridge's
 * IPv6 subnet with the host number of the IPv4 address (10.88.0.7 ->
 * fd88::7). Caller holds the lab lock. 0 (none, or free) or -EADDRINUSE.
 */
static int pick_addr6(struct nsnet_run *r, const struct nsnet_lab *lab,
		      const struct nsnet_prefix *subnet, const struct used6 *used,
		      struct nsnet_err *err)
{
	struct resv *rv = &r->rv;
	char s[64];

	if (!r->ip6_given) {
		memset(&rv->addr6, 0, sizeof(rv->addr6));
		if (!r->subnet6.family ||
		    nsnet_prefix_host(&r->subnet6, host_index(subnet->family ? subnet : &rv->addr,
							      &rv->addr), &rv->addr6) < 0)
			return 0;	/* no IPv6 on the bridge (or too small a subnet) */
		rv->addr6.plen = r->subnet6.plen;
	}
	if (lab_uses(lab, &rv->addr6) || used6_has(used, &rv->addr6))
		return nsnet_err_set(err, -EADDRINUSE, "address %s is in use",
				     nsnet_prefix_fmt(&rv->addr6, 0, s, sizeof(s)));
	return 0;
}

/*
 * Under the lab lock: the address (given or the next free one) and its
 * reservation, plus the journal intents known now (host veth, netns name).
 */
static int reserve(struct nsnet_run *r, const struct nsnet_run_opts *o,
		   const struct nsnet_lab *lab, const struct nsnet_prefix *subnet,
		   struct nsnet_err *err)
{
	char **names = NULL, s[64];
	struct resv *rv = &r->rv;
	struct used6 used = { 0 };
	uint64_t h, max;
	int lock, ret;

	lock = nsnet_state_lock(r->lab, err);
	if (lock < 0)
		return lock;
	if (!journal_has_up(r->lab)) {
		ret = nsnet_err_set(err, -ENOENT, "lab \"%s\" is not up", r->lab);
		goto out;
	}
	if (rv->name[0] && nsnet_netns_exists(rv->name)) {
		ret = nsnet_err_set(err, -EEXIST, "namespace \"%s\" already exists in %s",
				    rv->name, nsnet_netns_dir());
		goto out;
	}
	ret = resv_names(r->lab, &names, err);
	if (ret < 0)
		goto out;
	if (r->subnet6.family || r->ip6_given)
		used6_read(r->lab, names, &used);
	/* --ip6: taken or free whatever the IPv4 address; else one per candidate below */
	if (r->ip6_given && (ret = pick_addr6(r, lab, subnet, &used, err)) < 0)
		goto out;
	if (o->ip) {
		nsnet_prefix_fmt(&rv->addr, 0, s, sizeof(s));
		if (lab_uses(lab, &rv->addr)) {
			ret = nsnet_err_set(err, -EADDRINUSE, "address %s is in use by lab \"%s\"",
					    s, r->lab);
			goto out;
		}
		resv_file(&rv->addr, rv->file, sizeof(rv->file));
		if (name_in(names, rv->file)) {
			ret = -EEXIST;	/* the IPv4 address is taken: say that, not the IPv6 one */
		} else {
			ret = r->ip6_given ? 0 : pick_addr6(r, lab, subnet, &used, err);
			if (ret < 0)
				goto out;
			ret = resv_create(r->lab, rv, err);
		}
		if (ret == -EEXIST) {
			struct resv other;

			if (resv_read(r->lab, rv->file, &other) == 0) {
				ret = nsnet_err_set(err, -EADDRINUSE, "address %s is in use by run "
						    "instance %s (pid %d)", s, other.owner,
						    other.ppid);
				resv_free(&other);
			} else {
				ret = nsnet_err_set(err, -EADDRINUSE, "address %s is in use", s);
			}
		} else if (ret < 0 && !err->error) {
			ret = nsnet_err_set(err, ret, "reserve %s: %s", s, strerror(-ret));
		}
		if (ret < 0)
			goto out;
	} else {
		max = subnet->plen <= 1 ? ((uint64_t)1 << 31) : ((uint64_t)1 << (32 - subnet->plen));
		ret = -EADDRNOTAVAIL;
		for (h = 1; h < max; h++) {
			if (nsnet_prefix_host(subnet, h, &rv->addr) < 0)
				break;
			if (is_edge(subnet, &rv->addr) || lab_uses(lab, &rv->addr))
				continue;
			resv_file(&rv->addr, rv->file, sizeof(rv->file));
			if (name_in(names, rv->file))
				continue;
			if (!r->ip6_given && pick_addr6(r, lab, subnet, &used, NULL) < 0)
				continue;	/* its IPv6 twin is taken */
			ret = resv_create(r->lab, rv, err);
			if (ret != -EEXIST)
				break;
		}
		if (ret < 0) {
			nsnet_prefix_fmt(subnet, 1, s, sizeof(s));
			if (!err->error)
				nsnet_err_set(err, ret, ret == -EADDRNOTAVAIL ? "no free address left "
					      "in %s" : "reserve an address in %s: %s", s,
					      strerror(-ret));
			goto out;
		}
	}
	r->reserved = 1;
	/* intents: the host end of the veth and the name, before either exists */
	ret = nsnet_state_log(r->lab, err, "link %s", rv->link);
	if (ret == 0 && rv->name[0])
		ret = nsnet_state_log(r->lab, err, "ns %s", rv->name);
out:
	free(used.v);
	nsnet_strv_free(names);
	nsnet_state_unlock(lock);
	return ret;
}

/* Under the lab lock: the child's pid and namespace into journal and reservation. */
static int record_child(struct nsnet_run *r, struct nsnet_err *err)
{
	struct resv *rv = &r->rv;
	struct stat st;
	int lock, ret;

	if (fstat(r->nsfd, &st) < 0)
		return nsnet_err_set(err, -errno, "fstat namespace: %s", strerror(errno));
	rv->pid = r->pid;
	rv->start = nsnet_proc_start(r->pid);
	rv->nsdev = (unsigned long)st.st_dev;
	rv->nsino = (unsigned long)st.st_ino;
	rv->has_nsino = 1;
	lock = nsnet_state_lock(r->lab, err);
	if (lock < 0)
		return lock;
	ret = nsnet_state_log(r->lab, err, "pid %d %llu", rv->pid, rv->start);
	if (ret == 0 && rv->has_nsino)
		ret = nsnet_state_log(r->lab, err, "nsino %s %lu %lu", nskey(rv), rv->nsdev,
				      rv->nsino);
	if (ret == 0)
		ret = resv_write(r->lab, rv, err);
	nsnet_state_unlock(lock);
	return ret;
}

/* veth (peer eth0 created in the child), marked; then lo, eth0, address, route inside. */
static int wire(struct nsnet_run *r, struct nsnet_err *err)
{
	struct nsnet_link_req a = NSNET_LINK_REQ_INIT, p = NSNET_LINK_REQ_INIT;
	struct nsnet_nl *host = NULL, *in = NULL;
	struct nsnet_link_info br = { 0 }, hl = { 0 };
	char alias[80], s[64];
	int ret;

	ret = nsnet_nl_open(&host, -1, err);
	if (ret == 0)
		ret = nsnet_nl_open(&in, r->nsfd, err);
	if (ret < 0)
		goto out;
	nsnet_nl_context(host, "bridge %s", r->rv.bridge);
	ret = nsnet_link_get(host, r->rv.bridge, &br, err);
	if (ret < 0)
		goto out;
	nsnet_nl_context(host, "veth %s", r->rv.link);
	a.name = r->rv.link;
	a.master = br.ifindex;
	a.up = 1;
	a.mtu = r->mtu;
	a.group = nsnet_lab_group(r->lab);
	p.name = "eth0";
	p.netns_fd = r->nsfd;
	p.mtu = r->mtu;
	nsnet_link_add_veth(host, &a, &p);
	ret = nsnet_nl_flush(host, err);
	if (ret < 0)
		goto out;
	/* ours now: mark it, and learn the peer's ifindex from it */
	nsnet_lab_alias(r->lab, alias, sizeof(alias));
	a = (struct nsnet_link_req)NSNET_LINK_REQ_INIT;
	a.name = r->rv.link;
	a.alias = alias;
	nsnet_link_set(host, &a);
	if (r->rv.nports) {
		a = (struct nsnet_link_req)NSNET_LINK_REQ_INIT;
		a.name = r->rv.link;
		a.hairpin = 1;	/* reaching its own forward through the host */
		nsnet_link_set(host, &a);
	}
	nsnet_link_get_req(host, r->rv.link, &hl);
	ret = nsnet_nl_flush(host, err);
	if (ret == 0 && hl.link <= 0)
		ret = nsnet_err_set(err, -ENODEV, "veth %s: no peer index", r->rv.link);
	if (ret < 0)
		goto out;
	nsnet_nl_context(in, "eth0 %s", nsnet_prefix_fmt(&r->rv.addr, 1, s, sizeof(s)));
	a = (struct nsnet_link_req)NSNET_LINK_REQ_INIT;
	a.ifindex = 1;
	a.up = 1;
	nsnet_link_set(in, &a);
	a.ifindex = hl.link;
	nsnet_link_set(in, &a);
	nsnet_addr_add(in, hl.link, &r->rv.addr);
	if (r->rv.addr6.family)
		nsnet_addr_add(in, hl.link, &r->rv.addr6);
	if (r->gw.family) {
		struct nsnet_route rt = { .family = AF_INET };

		rt.dst.family = AF_INET;
		rt.gw = r->gw;
		rt.oif = hl.link;
		nsnet_route_add(in, &rt);
	}
	if (r->rv.addr6.family && r->gw6.family) {
		struct nsnet_route rt = { .family = AF_INET6 };

		rt.dst.family = AF_INET6;
		rt.gw = r->gw6;
		rt.oif = hl.link;
		nsnet_route_add(in, &rt);
	}
	ret = nsnet_nl_flush(in, err);
out:
	nsnet_nl_close(in);
	nsnet_nl_close(host);
	return ret;
}

static int add_forwards(struct nsnet_run *r, struct nsnet_err *err)
{
	int ret;

	size_t k;

	/* one per family the host address allows and the instance has */
	for (k = 0; k < r->rv.nports; k++) {
		const struct nsnet_run_port *p = &r->rv.ports[k];
		const struct nsnet_prefix *to[2] = { &r->rv.addr, &r->rv.addr6 };
		int fam, added = 0;

		r->nfwd = k + 1;	/* what to remove: the port, in both families */
		for (fam = 0; fam < 2; fam++) {
			struct nsnet_forward f = { 0 };

			if (!to[fam]->family ||
			    (p->host_addr.family && p->host_addr.family != to[fam]->family))
				continue;
			f.proto = p->proto;
			f.port = p->host_port;
			f.count = 1;
			f.to_port = p->port;
			f.host_addr = p->host_addr;
			f.to_addr = *to[fam];
			f.runtime = 1;
			snprintf(f.node, sizeof(f.node), "%s", r->rv.owner);
			ret = nsnet_lab_forward_add(r->lab, &f, err);
			if (ret < 0)
				return ret;
			added++;
		}
		if (!added)
			return nsnet_err_set(err, -EINVAL, "-p %u: the host address is IPv%c, the "
					     "instance has no IPv%c address", p->host_port,
					     p->host_addr.family == AF_INET6 ? '6' : '4',
					     p->host_addr.family == AF_INET6 ? '6' : '4');
	}
	return 0;
}

/* A message from the child: "ERRNO STAGE\tTEXT" into @err. */
static int child_error(const char *msg, struct nsnet_err *err)
{
	char stage[32] = "";
	const char *tab = strchr(msg, '\t');
	int e = 0;

	if (sscanf(msg, "%d %31[^\t]", &e, stage) < 1 || e <= 0 || !tab)
		return nsnet_err_set(err, -EIO, "the child failed: %s", msg);
	nsnet_err_set(err, -e, "%s", tab + 1);
	nsnet_err_where(err, "%s", stage);
	return -e;
}

static int pending_term_signal(void)
{
	sigset_t pend;
	size_t i;

	if (sigpending(&pend) < 0)
		return 0;
	for (i = 0; i < NFWD_SIGS; i++)
		if (sigismember(&pend, fwd_sigs[i]) && fwd_sigs[i] != SIGUSR1 &&
		    fwd_sigs[i] != SIGUSR2)
			return fwd_sigs[i];
	return 0;
}

/*
 * After "go": wait until CMD was executed (EOF: every copy of the child's end,
 * close-on-exec in CMD, is closed) or a failure message arrives. A terminating
 * signal meanwhile aborts the start.
 */
static int wait_exec(struct nsnet_run *r, struct nsnet_err *err)
{
	struct pollfd pf[2] = { { .fd = r->sock, .events = POLLIN }, { .fd = r->sfd, .events = POLLIN } };
	char buf[640];
	ssize_t n;
	int sig;

	for (;;) {
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return nsnet_err_set(err, -errno, "poll: %s", strerror(errno));
		}
		if (pf[0].revents) {
			n = recv(r->sock, buf, sizeof(buf) - 1, MSG_DONTWAIT);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n <= 0)
				return 0;
			buf[n] = '\0';
			return child_error(buf, err);
		}
		if (pf[1].revents && (sig = pending_term_signal()))
			return nsnet_err_set(err, -EINTR, "interrupted by signal %d (%s) before "
					     "the command started", sig, strsignal(sig));
		if (pf[1].revents) {
			struct signalfd_siginfo si;

			/* SIGCHLD or USR1/2: consume; the child's fate shows on the socket */
			if (read(r->sfd, &si, sizeof(si)) < 0 && errno != EAGAIN)
				return nsnet_err_set(err, -errno, "signalfd: %s", strerror(errno));
		}
	}
}

/* A failure message the child may have sent: its -errno (into @err), else 0. */
static int child_said(struct nsnet_run *r, struct nsnet_err *err)
{
	char buf[640];
	ssize_t n;

	if (r->sock < 0)
		return 0;
	n = recv(r->sock, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return child_error(buf, err);
}

static int block_signals(struct nsnet_run *r, struct nsnet_err *err)
{
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < NFWD_SIGS; i++)
		sigaddset(&set, fwd_sigs[i]);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, &r->oldmask) < 0)
		return nsnet_err_set(err, -errno, "sigprocmask: %s", strerror(errno));
	r->masked = 1;
	r->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (r->sfd < 0)
		return nsnet_err_set(err, -errno, "signalfd: %s", strerror(errno));
	return 0;
}

/* The bridge, its subnet and address, the MTU; the address requested. */
static int choose_net(struct nsnet_run *r, const struct nsnet_run_opts *o,
		      const struct nsnet_lab *lab, struct nsnet_prefix *subnet,
		      struct nsnet_err *err)
{
	const struct nsnet_lab_bridge *b = NULL;
	struct nsnet_prefix host = { 0 };
	char s[64];
	size_t i;

	for (i = 0; i < lab->nbridges; i++)
		if (!o->bridge || !strcmp(lab->bridges[i].name, o->bridge)) {
			b = &lab->bridges[i];
			break;
		}
	if (!b)
		return nsnet_err_set(err, -EINVAL, o->bridge ?
				     "lab \"%s\" has no bridge \"%s\"" : "lab \"%s\" has no bridge%s",
				     r->lab, o->bridge ? o->bridge : "");
	snprintf(r->rv.bridge, sizeof(r->rv.bridge), "%s", b->name);
	r->mtu = b->mtu;
	for (i = 0; i < b->naddrs; i++)
		if (b->addrs[i].p.family == AF_INET) {
			host = b->addrs[i].p;
			break;
		}
	memset(&r->subnet6, 0, sizeof(r->subnet6));
	memset(&r->gw6, 0, sizeof(r->gw6));
	for (i = 0; i < b->naddrs; i++) {
		const struct nsnet_prefix *a6 = &b->addrs[i].p;

		if (a6->family == AF_INET6 && !(a6->addr[0] == 0xfe && (a6->addr[1] & 0xc0) == 0x80)) {
			nsnet_prefix_network(a6, &r->subnet6);
			r->gw6 = *a6;
			r->gw6.plen = 128;
			break;
		}
	}
	memset(subnet, 0, sizeof(*subnet));
	if (b->subnet.family == AF_INET)
		nsnet_prefix_network(&b->subnet, subnet);
	else if (host.family)
		nsnet_prefix_network(&host, subnet);
	if (o->ip) {
		if (nsnet_prefix_parse(o->ip, &r->rv.addr, 0) < 0 || r->rv.addr.family != AF_INET)
			return nsnet_err_set(err, -EINVAL, "--ip \"%s\": want an IPv4 address "
					     "[/PLEN]", o->ip);
		if (!strchr(o->ip, '/'))
			r->rv.addr.plen = subnet->family ? subnet->plen : 32;
		if (subnet->family && (!nsnet_prefix_contains(subnet, &r->rv.addr) ||
				       is_edge(subnet, &r->rv.addr)))
			return nsnet_err_set(err, -EINVAL, "--ip %s is not a host address of "
					     "bridge %s's subnet %s", o->ip, b->name,
					     nsnet_prefix_fmt(subnet, 1, s, sizeof(s)));
	} else if (!subnet->family) {
		return nsnet_err_set(err, -EINVAL, "bridge %s has no IPv4 subnet or address: "
				     "give --ip", b->name);
	}
	if (o->ip6) {
		struct nsnet_prefix *a6 = &r->rv.addr6;

		if (nsnet_prefix_parse(o->ip6, a6, 0) < 0 || a6->family != AF_INET6)
			return nsnet_err_set(err, -EINVAL, "--ip6 \"%s\": want an IPv6 address "
					     "[/PLEN]", o->ip6);
		if (!strchr(o->ip6, '/'))
			a6->plen = r->subnet6.family ? r->subnet6.plen : 128;
		if (r->subnet6.family && (!nsnet_prefix_contains(&r->subnet6, a6) ||
					  nsnet_ip_equal(a6, &r->subnet6)))
			return nsnet_err_set(err, -EINVAL, "--ip6 %s is not a host address of "
					     "bridge %s's subnet %s", o->ip6, b->name,
					     nsnet_prefix_fmt(&r->subnet6, 1, s, sizeof(s)));
		r->ip6_given = 1;
	}
	if (o->gw6) {
		if (nsnet_ip_parse(o->gw6, &r->gw6) < 0 || r->gw6.family != AF_INET6)
			return nsnet_err_set(err, -EINVAL, "--gw6 \"%s\": want an IPv6 address",
					     o->gw6);
	}
	if (o->gw) {
		if (nsnet_ip_parse(o->gw, &r->gw) < 0 || r->gw.family != AF_INET)
			return nsnet_err_set(err, -EINVAL, "--gw \"%s\": want an IPv4 address",
					     o->gw);
	} else if (host.family && (!subnet->family || nsnet_prefix_contains(subnet, &host))) {
		r->gw = host;
		r->gw.plen = 32;
	}
	return 0;
}

static int run_undo(struct nsnet_run *r, struct nsnet_err *err);
static int gc_lab(const char *lab, int full, unsigned *removed, struct nsnet_err *err);

int nsnet_run_start(const struct nsnet_run_opts *o, struct nsnet_run **out,
		    struct nsnet_err *err)
{
	struct nsnet_lab *lab = NULL;
	struct nsnet_prefix subnet;
	struct child_arg ca = { 0 };
	struct nsnet_run *r;
	int sv[2] = { -1, -1 }, ret, sig, attempt;
	char host[80], s[64];

	*out = NULL;
	if (!o->argv || !o->argv[0])
		return nsnet_err_set(err, -EINVAL, "no command");
	if (o->name && nsnet_run_name_check(o->name, err) < 0)
		return -EINVAL;
	if (o->hostname && (!*o->hostname || strlen(o->hostname) > 64))
		return nsnet_err_set(err, -EINVAL, "invalid hostname \"%s\": 1 to 64 bytes",
				     o->hostname);
	r = calloc(1, sizeof(*r));
	if (!r)
		return nsnet_err_set(err, -ENOMEM, "out of memory");
	r->sfd = r->sock = r->nsfd = -1;
	snprintf(r->lab, sizeof(r->lab), "%s", o->lab ? o->lab : NSNET_RUN_LAB);
	/* signals wait in the signalfd from now on: set-up is never cut half-way */
	ret = block_signals(r, err);
	if (ret < 0)
		goto fail;
	r->rv.ppid = getpid();
	r->rv.pstart = nsnet_proc_start(r->rv.ppid);
	snprintf(r->rv.link, sizeof(r->rv.link), "nsr%d", (int)r->rv.ppid);
	if (o->name) {
		snprintf(r->rv.name, sizeof(r->rv.name), "%s", o->name);
		snprintf(r->rv.owner, sizeof(r->rv.owner), "run:%s", o->name);
	} else {
		snprintf(r->rv.owner, sizeof(r->rv.owner), "run:%d", (int)r->rv.ppid);
	}
	if (o->nports) {
		r->rv.ports = calloc(o->nports, sizeof(*r->rv.ports));
		if (!r->rv.ports) {
			ret = nsnet_err_set(err, -ENOMEM, "out of memory");
			goto fail;
		}
		memcpy(r->rv.ports, o->ports, o->nports * sizeof(*o->ports));
		r->rv.nports = o->nports;
	}
	/*
	 * The default network may go (its last run finished) between making
	 * sure it is up and reserving an address on it: then make it again.
	 */
	for (attempt = 0;; attempt++) {
		int dflt = !strcmp(r->lab, NSNET_RUN_LAB);

		if (dflt) {
			ret = nsnet_run_default_lab(err);
			if (ret == 0 && o->keep_network)
				ret = set_auto(1, err);
			if (ret < 0)
				goto fail;
		}
		gc_lab(r->lab, 0, NULL, NULL);
		ret = nsnet_lab_saved(r->lab, &lab, err);
		if (ret == -ENOENT && !nsnet_state_exists(r->lab))
			ret = nsnet_err_set(err, -ENOENT, "lab \"%s\" is not up", r->lab);
		if (ret == 0)
			ret = choose_net(r, o, lab, &subnet, err);
		if (ret == 0)
			ret = reserve(r, o, lab, &subnet, err);
		if (ret == -ENOENT && dflt && attempt < 20) {
			nsnet_lab_free(lab);
			lab = NULL;
			nsnet_err_clear(err);
			continue;
		}
		if (ret < 0)
			goto fail;
		break;
	}

	/* the child */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		ret = nsnet_err_set(err, -errno, "socketpair: %s", strerror(errno));
		goto fail;
	}
	r->sock = sv[0];
	if (o->hostname) {
		snprintf(host, sizeof(host), "%s", o->hostname);
	} else if (o->name) {
		snprintf(host, sizeof(host), "%s", o->name);
	} else {
		char *q;

		nsnet_prefix_fmt(&r->rv.addr, 0, s, sizeof(s));
		for (q = s; *q; q++)
			if (*q == '.')
				*q = '-';
		snprintf(host, sizeof(host), "nsnet-%s", s);
	}
	ca.sock = sv[1];
	ca.hostname = host;
	ca.workdir = o->workdir;
	ca.env = o->env;
	ca.nenv = o->nenv;
	ca.argv = o->argv;
	ca.cmdmask = r->oldmask;
	if ((ret = nsnet_fault_point()) < 0) {
		nsnet_err_set(err, ret, "clone: injected fault");
		goto fail;
	}
	fflush(NULL);
	r->pid = clone_fork(CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS |
			    CLONE_NEWIPC);
	if (r->pid == 0)
		child_main(&ca);
	close(sv[1]);
	if (r->pid < 0) {
		r->pid = 0;
		ret = nsnet_err_set(err, -errno, "clone(new net, uts, pid, mount, ipc "
				    "namespaces): %s", strerror(errno));
		goto fail;
	}
	snprintf(s, sizeof(s), "/proc/%d/ns/net", (int)r->pid);
	r->nsfd = open(s, O_RDONLY | O_CLOEXEC);
	if (r->nsfd < 0) {
		ret = nsnet_err_set(err, -errno, "open %s: %s", s, strerror(errno));
		goto fail;
	}
	ret = record_child(r, err);
	if (ret == 0)
		ret = wire(r, err);
	if (ret == 0 && r->rv.name[0]) {
		ret = nsnet_netns_attach(r->rv.name, r->pid, err);
		r->attached = ret == 0;
	}
	if (ret == 0)
		ret = add_forwards(r, err);
	if (ret == 0 && (sig = pending_term_signal()))
		ret = nsnet_err_set(err, -EINTR, "interrupted by signal %d (%s) before the "
				    "command started", sig, strsignal(sig));
	if (ret == 0 && send(r->sock, "g", 1, MSG_NOSIGNAL) != 1)
		ret = -EPIPE;	/* the child died: it says why */
	if (ret == 0)
		ret = wait_exec(r, err);
	if (ret < 0) {
		/* a failure the child reported first is the cause of ours */
		sig = child_said(r, err);
		if (sig < 0)
			ret = sig;
		else if (ret == -EPIPE)
			ret = nsnet_err_set(err, -EPIPE, "the child died during set-up");
		goto fail;
	}
	close(r->sock);
	r->sock = -1;
	nsnet_lab_free(lab);
	*out = r;
	return 0;
fail:
	nsnet_lab_free(lab);
	run_undo(r, NULL);
	return ret;
}

int nsnet_run_wait(struct nsnet_run *r, struct nsnet_err *err)
{
	struct pollfd pf = { .fd = r->sfd, .events = POLLIN };
	struct signalfd_siginfo si;
	pid_t w;
	int st;

	while (!r->reaped) {
		w = waitpid(r->pid, &st, WNOHANG);
		if (w == r->pid) {
			r->reaped = 1;
			r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			break;
		}
		if (w < 0 && errno != EINTR)
			return nsnet_err_set(err, -errno, "waitpid: %s", strerror(errno));
		if (poll(&pf, 1, -1) < 0 && errno != EINTR)
			return nsnet_err_set(err, -errno, "poll: %s", strerror(errno));
		/*
		 * Pass signals on to the namespace's init (which forwards them to
		 * CMD); one from the terminal (SI_KERNEL) reached the init already,
		 * as it shares our process group.
		 */
		while (read(r->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			if (si.ssi_signo != SIGCHLD && si.ssi_code != SI_KERNEL)
				kill(r->pid, (int)si.ssi_signo);
	}
	return r->status;
}

/* Remove the instance's objects; reservation last (it is the record of them). */
static int run_undo(struct nsnet_run *r, struct nsnet_err *err)
{
	struct signalfd_siginfo si;
	int lock, ret = 0, e;
	size_t i;

	if (!r)
		return 0;
	if (r->pid > 0 && !r->reaped) {
		kill(r->pid, SIGKILL);
		while (waitpid(r->pid, NULL, 0) < 0 && errno == EINTR)
			;
		r->reaped = 1;
	}
	if (r->attached) {
		e = nsnet_netns_del(r->rv.name, err);
		ret = ret ? ret : e;
	}
	for (i = 0; i < r->nfwd; i++) {
		const struct nsnet_run_port *p = &r->rv.ports[i];
		struct nsnet_err fe = { 0 };

		e = nsnet_lab_forward_del(r->lab, p->proto, p->host_port,
					  p->host_addr.family ? &p->host_addr : NULL, &fe);
		if (e < 0 && e != -ENOENT && !ret)
			ret = nsnet_err_set(err, e, "remove forward %s %u: %s", proto_str(p->proto),
					    p->host_port, fe.msg[0] ? fe.msg : strerror(-e));
	}
	/*
	 * What could not be removed stays recorded (reservation and journal
	 * lines): gc, the next run or down collect it once we are gone.
	 */
	if (r->reserved && !ret) {
		lock = nsnet_state_lock(r->lab, err);
		if (lock >= 0) {
			e = journal_forget(r->lab, &r->rv, err);
			ret = ret ? ret : e;
			resv_unlink(r->lab, &r->rv);
			nsnet_state_unlock(lock);
		} else {
			ret = ret ? ret : lock;
		}
	}
	if (!ret && is_auto(r->lab)) {
		/* the default network it made or used goes if this was its last run */
		lock = nsnet_state_lock(r->lab, err);
		if (lock >= 0) {
			e = drop_if_unused(r->lab, err);
			ret = e < 0 ? e : 0;
			nsnet_state_unlock(lock);
		}
	}
	if (r->sock >= 0)
		close(r->sock);
	if (r->nsfd >= 0)
		close(r->nsfd);
	if (r->sfd >= 0) {
		/* what arrived during cleanup is spent: do not let it kill us now */
		while (read(r->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			;
		close(r->sfd);
	}
	if (r->masked)
		sigprocmask(SIG_SETMASK, &r->oldmask, NULL);
	resv_free(&r->rv);
	free(r);
	return ret;
}

int nsnet_run_finish(struct nsnet_run *r, struct nsnet_err *err)
{
	return run_undo(r, err);
}

/* ---- listing ------------------------------------------------------------------------ */

static int cmp_info(const void *a, const void *b)
{
	const struct nsnet_run_info *x = a, *y = b;

	return memcmp(x->addr.addr, y->addr.addr, 4);
}

int nsnet_run_list(const char *lab, struct nsnet_run_info **out, size_t *nout,
		   struct nsnet_err *err)
{
	struct nsnet_run_info *v = NULL;
	char **names = NULL;
	int n, i;
	size_t k = 0;

	*out = NULL;
	*nout = 0;
	n = resv_names(lab, &names, err);
	if (n < 0)
		return n;
	v = calloc((size_t)n + 1, sizeof(*v));
	if (!v) {
		nsnet_strv_free(names);
		return nsnet_err_set(err, -ENOMEM, "out of memory");
	}
	for (i = 0; i < n; i++) {
		struct nsnet_run_info *in = &v[k];
		struct resv rv;

		if (resv_read(lab, names[i], &rv) < 0)
			continue;	/* gone meanwhile, or being written */
		snprintf(in->lab, sizeof(in->lab), "%s", lab);
		snprintf(in->owner, sizeof(in->owner), "%s", rv.owner);
		snprintf(in->name, sizeof(in->name), "%s", rv.name);
		snprintf(in->link, sizeof(in->link), "%s", rv.link);
		snprintf(in->bridge, sizeof(in->bridge), "%s", rv.bridge);
		in->ppid = rv.ppid;
		in->pid = rv.pid;
		in->alive = resv_alive(&rv);
		in->addr = rv.addr;
		in->addr6 = rv.addr6;
		in->ports = rv.ports;
		in->nports = rv.nports;
		k++;
	}
	nsnet_strv_free(names);
	qsort(v, k, sizeof(*v), cmp_info);
	*out = v;
	*nout = k;
	return 0;
}

void nsnet_run_list_free(struct nsnet_run_info *v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		free(v[i].ports);
	free(v);
}

/* ---- garbage collection ------------------------------------------------------------- */

/* SIGKILL every process in the namespace (dev, ino): it would keep it alive. */
static void kill_in_ns(unsigned long dev, unsigned long ino)
{
	struct nsnet_nsid id = { dev, ino };

	nsnet_netns_kill(&id, 1);
}

/* The named netns of a dead instance: ours if the inode matches (or our empty file). */
static void del_name(const struct resv *rv)
{
	char path[PATH_MAX];
	struct statfs fs;
	struct stat st;

	if (!rv->name[0] || nsnet_netns_name_check(rv->name, NULL) < 0)
		return;
	snprintf(path, sizeof(path), "%s/%s", nsnet_netns_dir(), rv->name);
	if (lstat(path, &st) < 0)
		return;
	if (rv->has_nsino && stat(path, &st) == 0 && (unsigned long)st.st_dev == rv->nsdev &&
	    (unsigned long)st.st_ino == rv->nsino)
		nsnet_netns_del(rv->name, NULL);
	else if (statfs(path, &fs) == 0 && fs.f_type != NSFS_MAGIC && S_ISREG(st.st_mode) &&
		 st.st_size == 0 && (st.st_mode & 07777) == 0)
		nsnet_netns_del(rv->name, NULL);	/* crash between file and bind */
}

/* The host end of its veth, if still there and marked as the lab's. */
static int del_link(const char *lab, const struct resv *rv, struct nsnet_err *err)
{
	struct nsnet_link_info l = { 0 };
	struct nsnet_nl *nl = NULL;
	char alias[80];
	int ret, tries;

	if (!rv->link[0])
		return 0;
	nsnet_lab_alias(lab, alias, sizeof(alias));
	ret = nsnet_nl_open(&nl, -1, err);
	if (ret < 0)
		return ret;
	/* a veth whose namespace just died goes by itself, asynchronously */
	for (tries = 0; tries < 100; tries++) {
		memset(&l, 0, sizeof(l));
		ret = nsnet_link_get(nl, rv->link, &l, NULL);
		if (ret < 0 || l.link_netnsid < 0 || tries == 99)
			break;
		usleep(tries < 20 ? 1000 : 10000);
	}
	if (ret == -ENODEV) {
		ret = 0;
	} else if (ret == 0 && (!strcmp(l.alias, alias) ||
				(!l.alias[0] && l.group == nsnet_lab_group(lab)))) {
		nsnet_link_del(nl, l.ifindex, l.name);
		ret = nsnet_nl_flush(nl, err);
		if (ret == -ENODEV)
			ret = 0;
	}
	nsnet_nl_close(nl);
	return ret;
}

static void del_forwards(const char *lab, const struct resv *rv)
{
	struct nsnet_forward *fw = NULL;
	size_t n = 0, i, j;

	if (nsnet_lab_forward_list(lab, &fw, &n, NULL) < 0)
		return;
	for (i = 0; i < n; i++) {
		if (!fw[i].runtime || strcmp(fw[i].node, rv->owner))
			continue;
		for (j = 0; j < rv->nports; j++)
			if (rv->ports[j].proto == fw[i].proto &&
			    rv->ports[j].host_port == fw[i].port)
				break;
		if (j < rv->nports)
			nsnet_lab_forward_del(lab, fw[i].proto, fw[i].port,
					      fw[i].host_addr.family ? &fw[i].host_addr : NULL,
					      NULL);
	}
	free(fw);
}

/* Runtime forwards owned by "run:…" whose owner has no reservation at all. */
static void del_orphan_forwards(const char *lab)
{
	struct nsnet_forward *fw = NULL;
	struct nsnet_run_info *v = NULL;
	size_t n = 0, nv = 0, i, j;

	if (nsnet_lab_forward_list(lab, &fw, &n, NULL) < 0)
		return;
	if (nsnet_run_list(lab, &v, &nv, NULL) == 0) {
		for (i = 0; i < n; i++) {
			if (!fw[i].runtime || strncmp(fw[i].node, "run:", 4))
				continue;
			for (j = 0; j < nv && strcmp(v[j].owner, fw[i].node); j++)
				;
			if (j == nv)
				nsnet_lab_forward_del(lab, fw[i].proto, fw[i].port,
						      fw[i].host_addr.family ? &fw[i].host_addr
									     : NULL, NULL);
		}
	}
	nsnet_run_list_free(v, nv);
	free(fw);
}

/* @full: also look for orphan forwards (costs a parse of the lab; not at every run). */
static int gc_lab(const char *lab, int full, unsigned *removed, struct nsnet_err *err)
{
	struct resv *dead = NULL, *nd;
	size_t ndead = 0, i;
	char **names = NULL;
	int lock, n, k, ret = 0, e;

	lock = nsnet_state_lock(lab, err);
	if (lock < 0)
		return lock;
	if (!nsnet_state_exists(lab)) {
		nsnet_state_unlock(lock);
		return 0;
	}
	n = resv_names(lab, &names, err);
	for (k = 0; k < n; k++) {
		struct resv rv;

		if (resv_read(lab, names[k], &rv) < 0) {
			/* torn by a crash while it was created: reclaim it once old */
			char path[PATH_MAX];
			struct stat st;

			if (nsnet_state_path(lab, names[k], path, sizeof(path)) == 0 &&
			    lstat(path, &st) == 0 && time(NULL) - st.st_mtime > 10)
				unlink(path);
			continue;
		}
		if (resv_alive(&rv)) {
			resv_free(&rv);
			continue;
		}
		nd = realloc(dead, (ndead + 1) * sizeof(*nd));
		if (!nd) {
			resv_free(&rv);
			break;
		}
		dead = nd;
		dead[ndead++] = rv;
	}
	nsnet_strv_free(names);
	nsnet_state_unlock(lock);
	if (n < 0)
		return n;

	for (i = 0; i < ndead; i++) {
		struct resv *rv = &dead[i];

		if (rv->pid > 0 && rv->start && nsnet_proc_start(rv->pid) == rv->start)
			kill(rv->pid, SIGKILL);	/* its init: the whole pid namespace goes */
		if (rv->has_nsino)
			kill_in_ns(rv->nsdev, rv->nsino);
		del_name(rv);
		del_forwards(lab, rv);
		e = del_link(lab, rv, err);
		ret = ret ? ret : e;
		lock = nsnet_state_lock(lab, err);
		if (lock < 0) {
			ret = ret ? ret : lock;
			continue;
		}
		{
			struct resv now;

			/* still the same dead instance (not collected and reused meanwhile) */
			if (resv_read(lab, rv->file, &now) == 0) {
				if (now.ppid == rv->ppid && now.pstart == rv->pstart) {
					e = journal_forget(lab, &now, err);
					ret = ret ? ret : e;
					resv_unlink(lab, &now);
					if (removed)
						(*removed)++;
				}
				resv_free(&now);
			}
		}
		nsnet_state_unlock(lock);
	}
	if (full || ndead)
		del_orphan_forwards(lab);
	for (i = 0; i < ndead; i++)
		resv_free(&dead[i]);
	free(dead);
	if (full && !ret && is_auto(lab)) {
		/* `nsnet gc`: the default network a run made, if no run uses it now */
		lock = nsnet_state_lock(lab, err);
		if (lock < 0)
			return lock;
		e = drop_if_unused(lab, err);
		nsnet_state_unlock(lock);
		if (e < 0)
			ret = e;
	}
	return ret;
}

int nsnet_run_gc(const char *lab, unsigned *removed, struct nsnet_err *err)
{
	char **labs = NULL;
	int n, i, ret = 0, e;

	if (removed)
		*removed = 0;
	if (lab)
		return gc_lab(lab, 1, removed, err);
	n = nsnet_state_labs(&labs, err);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		e = gc_lab(labs[i], 1, removed, err);
		ret = ret ? ret : e;
	}
	nsnet_strv_free(labs);
	return ret;
}
