// SPDX-License-Identifier: MIT
/*
 * Captures declared in a lab file ("capture: true" on an interface): `up`
 * starts one process per interface, forked from the library (no exec: the
 * caller may be any program linking libnsnet), that enters the node's
 * namespace and writes STATE/<lab>.captures/NODE-IF.pcap, one flushed write
 * per packet. Like node commands it is journaled ("pid PID START @capture
 * NODE:IF IFINDEX") before it does anything, so `down` (and the rollback of a
 * failed `up`) kills it; the files are outside the lab's state directory and
 * stay after `down`. After a converge, captures are brought in line with the
 * file: started where "capture: true" appeared or the interface was
 * recreated (its file starts afresh), stopped where it went.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nsnet/capture.h"
#include "nsnet/netns.h"
#include "nsnet/nl.h"
#include "nsnet/state.h"
#include "capture-int.h"

#define START_TIMEOUT_MS 10000

int nsnet_capture_dir(const char *lab, char *buf, size_t len)
{
	char dir[PATH_MAX];
	int n;

	if (nsnet_state_path(lab, NULL, dir, sizeof(dir)) < 0)
		return -EINVAL;
	n = snprintf(buf, len, "%s.captures", dir);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int nsnet_capture_file(const char *lab, const char *node, const char *ifname, char *buf,
		       size_t len)
{
	char dir[PATH_MAX];
	int n, ret = nsnet_capture_dir(lab, dir, sizeof(dir));

	if (ret < 0)
		return ret;
	n = snprintf(buf, len, "%s/%s-%s.pcap", dir, node, ifname);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* STATE/<lab>.captures: created 0700, and it must be ours and private (not a planted link). */
static int prepare_dir(const char *lab, struct nsnet_err *err)
{
	char dir[PATH_MAX];
	struct stat st;

	if (nsnet_capture_dir(lab, dir, sizeof(dir)) < 0)
		return nsnet_err_set(err, -EINVAL, "invalid lab name \"%s\"", lab);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return nsnet_err_set(err, -errno, "cannot create %s: %s", dir, strerror(errno));
	if (lstat(dir, &st) < 0)
		return nsnet_err_set(err, -errno, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022))
		return nsnet_err_set(err, -ENOTDIR, "%s is not a private directory (a symlink?): "
				     "refusing to use it", dir);
	return 0;
}

static void reply(int sock, const char *text)
{
	if (send(sock, text, strlen(text), MSG_NOSIGNAL) < 0) {
		/* the parent is gone: nothing to tell */
	}
}

/* The capture process. Never returns. */
static void __attribute__((noreturn))
capture_child(int sock, const char *ns, const char *ifname, int ifindex, const char *path)
{
	static char fbuf[300 * 1024];	/* > a packet record: each flush is one write */
	struct nsnet_capture *c = NULL;
	struct nsnet_err err = { 0 };
	char go, msg[700], e[600];
	sigset_t none;
	FILE *f = NULL;
	int fd, nsfd, ret;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	/* nothing of the parent's but the socket: not its lab lock, not its netlink sockets */
	if (sock > 3)
		close_range(3, (unsigned)sock - 1, 0);
	close_range((unsigned)sock + 1, ~0u, 0);
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	if (read(sock, &go, 1) != 1)
		_exit(1);	/* the parent died before journaling us */
	setsid();
	nsfd = nsnet_netns_open(ns, &err);
	ret = nsfd;
	if (ret >= 0 && setns(nsfd, CLONE_NEWNET) < 0)
		ret = nsnet_err_set(&err, -errno, "setns to \"%s\": %s", ns, strerror(errno));
	if (ret >= 0) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			ret = nsnet_err_set(&err, -errno, "%s: %s", path, strerror(errno));
	}
	if (ret >= 0 && !(f = fdopen(fd, "w"))) {
		ret = nsnet_err_set(&err, -errno, "%s: %s", path, strerror(errno));
		close(fd);
	}
	if (f)
		setvbuf(f, fbuf, _IOFBF, sizeof(fbuf));
	if (ret >= 0)
		ret = nsnet__capture_open_here(ns, nsfd, ifname, NULL, &c, &err);
	if (ret >= 0 && nsnet__capture_ifindex(c) != ifindex)
		ret = nsnet_err_set(&err, -EAGAIN, "interface %s was replaced meanwhile", ifname);
	if (ret >= 0)
		ret = nsnet_capture_dump(c, f, &err);
	if (ret < 0) {
		snprintf(msg, sizeof(msg), "E%d %s", -ret, nsnet_err_str(&err, e, sizeof(e)));
		reply(sock, msg);
		_exit(1);
	}
	reply(sock, "ok");
	close(sock);
	/* until killed by down, or until the interface / the namespace goes away */
	nsnet_capture_loop(c, 0, NULL, NULL, NULL);
	nsnet_capture_close(c);
	fclose(f);
	_exit(0);
}

static int start_one(const struct nsnet_lab *lab, const struct nsnet_lab_node *n,
		     const struct nsnet_lab_iface *f, int ifindex, struct nsnet_err *err)
{
	char path[PATH_MAX], where[300], buf[700];
	unsigned long long start;
	struct pollfd pfd;
	int sv[2], ret, code;
	ssize_t r;
	pid_t pid;

	nsnet_lab_where(lab, &f->loc, where, sizeof(where));
	if (nsnet_capture_file(lab->name, n->name, f->name, path, sizeof(path)) < 0)
		return nsnet_err_set(err, -ENAMETOOLONG, "%s: capture file name too long", where);
	if ((ret = nsnet_fault_point()) < 0)
		return nsnet_err_set(err, ret, "%s: node %s interface %s: capture: injected fault",
				     where, n->name, f->name);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return nsnet_err_set(err, -errno, "socketpair: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		ret = nsnet_err_set(err, -errno, "fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return ret;
	}
	if (pid == 0) {
		close(sv[0]);
		capture_child(sv[1], n->ns, f->name, ifindex, path);
	}
	close(sv[1]);
	start = nsnet_proc_start(pid);
	/* "pid" first: `down` kills it like a node command; then what it captures */
	ret = nsnet_state_log(lab->name, err, "pid %d %llu @capture %s:%s %d", (int)pid, start,
			      n->name, f->name, ifindex);
	if (ret == 0 && send(sv[0], "g", 1, MSG_NOSIGNAL) != 1)
		ret = nsnet_err_set(err, -EIO, "%s: capture on %s:%s did not start", where,
				    n->name, f->name);
	if (ret < 0) {
		kill(pid, SIGKILL);	/* not journaled (or dead): ours to reap */
		waitpid(pid, NULL, 0);
		goto out;
	}
	pfd.fd = sv[0];
	pfd.events = POLLIN;
	do
		ret = poll(&pfd, 1, START_TIMEOUT_MS);
	while (ret < 0 && errno == EINTR);
	r = ret > 0 ? recv(sv[0], buf, sizeof(buf) - 1, 0) : -1;
	if (r == 2 && !memcmp(buf, "ok", 2)) {
		ret = 0;
		goto out;
	}
	if (r > 1 && buf[0] == 'E') {
		buf[r] = '\0';
		code = atoi(buf + 1);
		ret = nsnet_err_set(err, code > 0 ? -code : -EIO, "%s: node %s interface %s: "
				    "capture: %s", where, n->name, f->name,
				    strchr(buf, ' ') ? strchr(buf, ' ') + 1 : buf);
		waitpid(pid, NULL, 0);	/* it exits after saying why */
	} else {
		int st = 0;

		/* journaled: if it still runs, the rollback kills it */
		if (waitpid(pid, &st, WNOHANG) == pid)
			ret = nsnet_err_set(err, -ECHILD, "%s: node %s interface %s: the capture "
					    "process ended before it listened (%s %d)", where, n->name,
					    f->name, WIFSIGNALED(st) ? "signal" : "status",
					    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		else
			ret = nsnet_err_set(err, -ETIMEDOUT, "%s: node %s interface %s: the capture "
					    "process did not answer within %d s", where, n->name,
					    f->name, START_TIMEOUT_MS / 1000);
	}
out:
	close(sv[0]);
	return ret;
}

struct ifindex_arg {
	const char *ifname;
	int ifindex;
};

static int ifindex_here(void *p)
{
	struct ifindex_arg *a = p;

	a->ifindex = (int)if_nametoindex(a->ifname);
	return 0;
}

/* The ifindex of @ifname in namespace @ns; 0 if there is none. -errno if the namespace is gone. */
static int ns_ifindex(const char *ns, const char *ifname, struct nsnet_err *err)
{
	struct ifindex_arg a = { ifname, 0 };
	int fd, ret;

	fd = nsnet_netns_open(ns, err);
	if (fd < 0)
		return fd;
	ret = nsnet_netns_call(fd, ifindex_here, &a, err);
	close(fd);
	return ret < 0 ? ret : a.ifindex;
}

/* 1 if process @pid is in the namespace bound at @ns. */
static int proc_in_ns(pid_t pid, const char *ns)
{
	char p1[64], p2[PATH_MAX];
	struct stat a, b;

	snprintf(p1, sizeof(p1), "/proc/%d/ns/net", (int)pid);
	snprintf(p2, sizeof(p2), "%s/%s", nsnet_netns_dir(), ns);
	return stat(p1, &a) == 0 && stat(p2, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* 1 while @pid (started at @start) has not exited (a zombie has). */
static int proc_running(pid_t pid, unsigned long long start)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	if (nsnet_proc_start(pid) != start)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* SIGKILL a capture process and wait (bounded) until it has exited: "stopped" when we return. */
static void stop(pid_t pid, unsigned long long start)
{
	int i;

	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	for (i = 0; i < 300 && proc_running(pid, start); i++) {
		waitpid(pid, NULL, WNOHANG);	/* ours if started by this process */
		usleep(i < 20 ? 1000 : 10000);
	}
	waitpid(pid, NULL, WNOHANG);
}

static const struct nsnet_lab_iface *find_iface(const struct nsnet_lab *lab, const char *node,
						const char *ifname, size_t *ni, size_t *ii)
{
	size_t i, j;

	for (i = 0; i < lab->nnodes; i++) {
		if (strcmp(lab->nodes[i].name, node))
			continue;
		for (j = 0; j < lab->nodes[i].nifaces; j++) {
			if (!strcmp(lab->nodes[i].ifaces[j].name, ifname)) {
				*ni = i;
				*ii = j;
				return &lab->nodes[i].ifaces[j];
			}
		}
	}
	return NULL;
}

/*
 * One capture process per interface with "capture: true", on the interface
 * as it is now: a journaled capture whose interface was recreated (another
 * ifindex, or its node's namespace recreated) or that is no longer wanted is
 * stopped; missing ones are started.
 */
int nsnet__captures_sync(const struct nsnet_lab *lab, struct nsnet_err *err)
{
	char **lines = NULL, target[200], node[128], ifname[64];
	size_t i, j, ni, ii, *base = NULL, total = 0;
	uint8_t *running = NULL;
	int n, k, ret = 0, dir = 0, want = 0;

	for (i = 0; i < lab->nnodes; i++)
		for (j = 0; j < lab->nodes[i].nifaces; j++)
			want |= lab->nodes[i].ifaces[j].capture;
	n = nsnet_state_read(lab->name, &lines, err);
	if (n < 0)
		return n;
	base = calloc(lab->nnodes + 1, sizeof(*base));
	if (!base) {
		ret = nsnet_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < lab->nnodes; i++) {
		base[i] = total;
		total += lab->nodes[i].nifaces;
	}
	running = calloc(total + 1, 1);
	if (!running) {
		ret = nsnet_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (k = 0; k < n; k++) {
		const struct nsnet_lab_iface *f;
		unsigned long long start;
		int pid, idx, cur;
		char *colon;

		if (sscanf(lines[k], "pid %d %llu @capture %199s %d", &pid, &start, target,
			   &idx) != 4 || pid <= 1 || !start || nsnet_proc_start(pid) != start)
			continue;	/* not a capture, or no longer running */
		colon = strchr(target, ':');
		if (!colon || (size_t)(colon - target) >= sizeof(node) ||
		    strlen(colon + 1) >= sizeof(ifname))
			continue;
		snprintf(node, sizeof(node), "%.*s", (int)(colon - target), target);
		snprintf(ifname, sizeof(ifname), "%s", colon + 1);
		f = find_iface(lab, node, ifname, &ni, &ii);
		cur = 0;
		if (f && f->capture && nsnet_lab_node_local(lab, ni) &&
		    !running[base[ni] + ii] && proc_in_ns(pid, lab->nodes[ni].ns))
			cur = ns_ifindex(lab->nodes[ni].ns, ifname, NULL) == idx;
		if (cur) {
			running[base[ni] + ii] = 1;
			continue;
		}
		stop(pid, start);
	}
	for (i = 0; i < lab->nnodes && want; i++) {
		const struct nsnet_lab_node *nd = &lab->nodes[i];

		for (j = 0; j < nd->nifaces; j++) {
			int idx;

			if (!nd->ifaces[j].capture || running[base[i] + j] ||
			    !nsnet_lab_node_local(lab, i))
				continue;	/* a node of another host captures there */
			if (!dir && (ret = prepare_dir(lab->name, err)) < 0)
				goto out;
			dir = 1;
			idx = ns_ifindex(nd->ns, nd->ifaces[j].name, err);
			if (idx <= 0) {
				char w[300];

				ret = idx < 0 ? idx : nsnet_err_set(err, -ENODEV, "%s: node %s has no "
								   "interface %s to capture",
								   nsnet_lab_where(lab, &nd->ifaces[j].loc,
										   w, sizeof(w)),
								   nd->name, nd->ifaces[j].name);
				goto out;
			}
			ret = start_one(lab, nd, &nd->ifaces[j], idx, err);
			if (ret < 0)
				goto out;
		}
	}
out:
	free(running);
	free(base);
	nsnet_strv_free(lines);
	return ret;
}
