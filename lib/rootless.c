// SPDX-License-Identifier: MIT
/*
 * Rootless labs, the client side (see nsnet/rootless.h): find or start the
 * per-user holder, join its namespaces, publish forwards, stop it when
 * nothing is left. Locks in DIR:
 *   .lock        shared by every rootless command for as long as it runs;
 *                exclusive (non-blocking) to stop the holder, so a holder is
 *                never stopped under a running command
 *   .start.lock  exclusive while finding or starting the holder
 *   .sync.lock   exclusive while reading every lab's forwards and sending them
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nsnet/apply.h"
#include "nsnet/netns.h"
#include "nsnet/rootless.h"
#include "nsnet/state.h"
#include "rootless-int.h"

/* snprintf where cutting a long path short is fine (it then fails to open) */
static int say(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n;
}

static struct {
	int entered, lock;
	char dir[PATH_MAX];
} RL = { .lock = -1 };

int nsnet_rootless_needed(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	const unsigned need[] = { CAP_SYS_ADMIN, CAP_NET_ADMIN };
	size_t i;

	if (geteuid() == 0)
		return 0;
	if (syscall(SYS_capget, &h, d) < 0)
		return 1;
	for (i = 0; i < 2; i++)
		if (!(d[need[i] / 32].effective & (1u << (need[i] % 32))))
			return 1;
	return 0;
}

/* A directory of ours that nobody else may write: 0, or -errno with the reason. */
static int own_dir(const char *path, int private_, struct nsnet_err *err)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return nsnet_err_set(err, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & (private_ ? 077 : 022)))
		return nsnet_err_set(err, -EPERM, "%s is not a private directory of this user "
				     "(a symlink, or someone else's?): refusing to use it", path);
	return 0;
}

int nsnet_rootless_dir(char *buf, size_t len, struct nsnet_err *err)
{
	const char *x = getenv("XDG_RUNTIME_DIR");
	static const char *const sub[] = { "netns", "state" };
	char base[PATH_MAX], path[PATH_MAX];
	size_t i;
	int ret;

	if (x && *x == '/')
		say(base, sizeof(base), "%s", x);
	else
		say(base, sizeof(base), "/run/user/%u", (unsigned)geteuid());
	if (access(base, F_OK) < 0 && (!x || *x != '/'))
		return nsnet_err_set(err, -ENOENT, "XDG_RUNTIME_DIR is not set and %s does not "
				     "exist: rootless labs keep their state in $XDG_RUNTIME_DIR/nsnet",
				     base);
	ret = own_dir(base, 0, err);
	if (ret < 0)
		return ret;
	if ((size_t)snprintf(buf, len, "%s/nsnet", base) >= len ||
	    strlen(buf) + sizeof("/" NSNET__RL_SOCK) > sizeof(((struct sockaddr_un *)0)->sun_path))
		return nsnet_err_set(err, -ENAMETOOLONG, "%s/nsnet: path too long", base);
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return nsnet_err_set(err, -errno, "mkdir %s: %s", buf, strerror(errno));
	ret = own_dir(buf, 1, err);
	for (i = 0; ret == 0 && i < 2; i++) {
		say(path, sizeof(path), "%s/%s", buf, sub[i]);
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			ret = nsnet_err_set(err, -errno, "mkdir %s: %s", path, strerror(errno));
		else
			ret = own_dir(path, 0, err);
	}
	return ret;
}

static int lock_file(const char *name, int op, struct nsnet_err *err)
{
	char path[PATH_MAX];
	int fd;

	say(path, sizeof(path), "%s/%s", RL.dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return nsnet_err_set(err, -errno, "%s: %s", path, strerror(errno));
	while (flock(fd, op) < 0) {
		if (errno != EINTR) {
			int ret = nsnet_err_set(err, -errno, "lock %s: %s", path, strerror(errno));

			close(fd);
			return ret;
		}
	}
	return fd;
}

static int rl_connect(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	say(a.sun_path, sizeof(a.sun_path), "%s/%s", RL.dir, NSNET__RL_SOCK);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/*
 * Send @req, receive the reply (NUL-terminated) and up to @nfds fds. "ok…" -> 0;
 * "err E TEXT" -> -E with TEXT. @timeout in seconds.
 */
static int rl_request(int fd, const char *req, char *reply, size_t len, int *fds, int nfds,
		      int timeout, struct nsnet_err *err)
{
	union {
		char buf[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = reply, .iov_len = len - 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf) };
	struct timeval tv = { .tv_sec = timeout };
	struct cmsghdr *c;
	int i, got = 0, e;
	ssize_t n;
	char *end;

	for (i = 0; i < nfds; i++)
		fds[i] = -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0)
		return nsnet_err_set(err, -errno, "rootless holder: send: %s", strerror(errno));
	do
		n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return nsnet_err_set(err, n < 0 ? -errno : -ECONNRESET, "rootless holder: %s",
				     n < 0 ? strerror(errno) : "no reply");
	reply[n] = '\0';
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (i = 0; (size_t)i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int f;

			memcpy(&f, CMSG_DATA(c) + (size_t)i * sizeof(int), sizeof(int));
			if (got < nfds)
				fds[got++] = f;
			else
				close(f);
		}
	}
	if (!strncmp(reply, "ok", 2))
		return got;
	for (i = 0; i < got; i++)
		close(fds[i]);
	if (strncmp(reply, "err ", 4))
		return nsnet_err_set(err, -EPROTO, "rootless holder: unexpected reply");
	e = (int)strtol(reply + 4, &end, 10);
	if (e <= 0 || e > 4095)
		e = EIO;
	return nsnet_err_set(err, -e, "%s", *end == ' ' ? end + 1 : end);
}

/* Start the holder (double fork: it is nobody's child but init's). */
static int rl_start(struct nsnet_rootless_info *info, struct nsnet_err *err)
{
	char buf[1024], *p;
	struct pollfd pf;
	int fds[2], st;
	ssize_t n = -1;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return nsnet_err_set(err, -errno, "pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return nsnet_err_set(err, -errno, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(fds[0]);
		if (setsid() < 0)
			_exit(1);
		pid = fork();
		if (pid == 0)
			nsnet__rl_holder_main(RL.dir, fds[1]);
		_exit(pid < 0);
	}
	close(fds[1]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	pf.fd = fds[0];
	pf.events = POLLIN;
	if (poll(&pf, 1, 30000) == 1)
		n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	if (n <= 0)
		return nsnet_err_set(err, -EIO, "rootless holder did not start (see %s/holder.log)",
				     RL.dir);
	buf[n] = '\0';
	if (strncmp(buf, "ok ", 3))
		return nsnet_err_set(err, -EIO, "rootless holder: %s",
				     strncmp(buf, "err ", 4) ? buf : buf + 4);
	if (info) {
		info->started = 1;
		p = strchr(buf + 3, ' ');
		if (p)
			*p++ = '\0';
		say(info->helper, sizeof(info->helper), "%s", buf + 3);
		say(info->note, sizeof(info->note), "%s", p ? p : "");
	}
	return 0;
}

static void set_dirs(void)
{
	char path[PATH_MAX];

	if (!getenv("NSNET_NETNS_DIR") || !*getenv("NSNET_NETNS_DIR")) {
		say(path, sizeof(path), "%s/netns", RL.dir);
		nsnet_netns_set_dir(path);
		setenv("NSNET_NETNS_DIR", path, 1);
	}
	if (!getenv("NSNET_STATE_DIR") || !*getenv("NSNET_STATE_DIR")) {
		say(path, sizeof(path), "%s/state", RL.dir);
		nsnet_state_set_dir(path);
		setenv("NSNET_STATE_DIR", path, 1);
	}
}

static int join(const int *fds, struct nsnet_err *err)
{
	static const int types[] = { CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWNET };
	static const char *const names[] = { "user", "mount", "network" };
	char cwd[PATH_MAX];
	int i, have_cwd = getcwd(cwd, sizeof(cwd)) != NULL;

	for (i = 0; i < 3; i++)
		if (setns(fds[i], types[i]) < 0)
			return nsnet_err_set(err, -errno, "rootless: joining the holder's %s namespace: "
					     "%s", names[i], strerror(errno));
	/* joining a mount namespace moves us to its root */
	if (have_cwd && chdir(cwd) < 0)
		return nsnet_err_set(err, -errno, "rootless: the working directory %s: %s", cwd,
				     strerror(errno));
	return 0;
}

/*
 * Labs with a journal in the state directory, when no holder runs. Processes
 * of theirs may outlive the holder (keeping their namespaces): end them now,
 * from the user's own namespace. (Inside a new holder's user namespace, a
 * sibling of the old one, /proc/PID/ns of those processes cannot be read.)
 */
static int stale_labs(void)
{
	char **labs = NULL, **lines = NULL;
	struct nsnet_nsid *ids;
	int n = nsnet_state_labs(&labs, NULL), i, k, m;

	for (i = 0; i < n; i++) {
		m = nsnet_state_read(labs[i], &lines, NULL);
		ids = m > 0 ? calloc((size_t)m, sizeof(*ids)) : NULL;
		if (ids) {
			size_t nids = 0;
			char ns[300];

			for (k = 0; k < m; k++)
				if (sscanf(lines[k], "nsino %299s %lu %lu", ns, &ids[nids].dev,
					   &ids[nids].ino) == 3)
					nids++;
			nsnet_netns_kill(ids, nids);
			free(ids);
		}
		nsnet_strv_free(lines);
		lines = NULL;
	}
	nsnet_strv_free(labs);
	return n;
}

/*
 * A new holder: every lab with a journal was in one that is gone, and all it
 * made went with it but for processes started in nodes. nsnet_lab_down() from
 * the journal ends those (by pid and start time) and removes the journal, as
 * after a crash; kept captures stay. How many labs, their names in @names.
 */
static int recover(char *names, size_t len)
{
	char **labs = NULL;
	int n = nsnet_state_labs(&labs, NULL), i, done = 0;
	size_t used = 0;

	names[0] = '\0';
	for (i = 0; i < n; i++) {
		if (nsnet_lab_down(labs[i], NULL, NULL, NULL) < 0)
			continue;
		done++;
		if (used < len)
			used += (size_t)snprintf(names + used, len - used, "%s%s", used ? ", " : "",
						 labs[i]);
	}
	nsnet_strv_free(labs);
	return done;
}

int nsnet_rootless_enter(int flags, struct nsnet_rootless_info *info, struct nsnet_err *err)
{
	struct nsnet_rootless_info dummy;
	int fd = -1, start = -1, fds[3] = { -1, -1, -1 }, ret, i, adopted;
	char reply[256], *p;

	if (!info)
		info = &dummy;
	memset(info, 0, sizeof(*info));
	if (RL.entered)
		return 1;
	ret = nsnet_rootless_dir(RL.dir, sizeof(RL.dir), err);
	if (ret < 0)
		return ret;
	if (RL.lock < 0) {
		RL.lock = lock_file(".lock", LOCK_SH, err);
		if (RL.lock < 0)
			return RL.lock;
	}
	fd = rl_connect();
	if (fd < 0 && !(flags & NSNET_ROOTLESS_CREATE)) {
		/* labs of a holder that is gone (killed, or the session ended): a new
		 * holder takes them over and tears them down, from their journals */
		set_dirs();
		if (stale_labs() > 0)
			flags |= NSNET_ROOTLESS_CREATE;
	}
	if (fd < 0 && (flags & NSNET_ROOTLESS_CREATE)) {
		start = lock_file(".start.lock", LOCK_EX, err);
		if (start < 0)
			return start;
		fd = rl_connect();
		if (fd < 0) {
			ret = rl_start(info, err);
			fd = ret < 0 ? ret : rl_connect();
			if (fd < 0 && ret == 0)
				ret = nsnet_err_set(err, fd, "rootless holder: connect: %s",
						    strerror(-fd));
		}
		if (ret < 0) {
			close(start);
			return ret;
		}
	}
	if (fd < 0) {
		set_dirs();
		return 0;
	}
	ret = rl_request(fd, "ns", reply, sizeof(reply), fds, 3, 10, err);
	close(fd);
	if (ret >= 0 && ret < 3)
		ret = nsnet_err_set(err, -EPROTO, "rootless holder: no namespaces in its reply");
	if (ret < 0)
		goto out;
	info->ns_pid = (pid_t)strtol(reply + 3, &p, 10);
	adopted = 1;
	if (*p == ' ') {
		char *q = strchr(p + 1, ' ');

		if (q) {
			*q = '\0';
			adopted = atoi(q + 1);
		}
		if (!info->helper[0])
			say(info->helper, sizeof(info->helper), "%s", p + 1);
	}
	ret = join(fds, err);
	if (ret < 0)
		goto out;
	set_dirs();
	RL.entered = 1;
	/* the first client of a new holder tears down what a gone one left (even if
	 * the one that started it died before it could) */
	if (!adopted && (fd = rl_connect()) >= 0) {
		if (rl_request(fd, "adopt", reply, sizeof(reply), NULL, 0, 10, NULL) >= 0 &&
		    !strcmp(reply, "ok 1"))
			info->recovered = recover(info->lost, sizeof(info->lost));
		close(fd);
	}
	ret = 1;
out:
	if (start >= 0)
		close(start);	/* a new holder is ready for others once it has recovered */
	for (i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return ret;
}

int nsnet_rootless_entered(void)
{
	return RL.entered;
}

/* "lab NAME tcp PORT COUNT…" for one lab, or "keep NAME" if it cannot be read now. */
static int lab_line(const char *lab, char *buf, size_t len)
{
	struct nsnet__rl_port *p = NULL;
	struct nsnet_forward *v = NULL;
	size_t n = 0, k, np = 0;
	int ret;

	if (nsnet_lab_forward_list(lab, &v, &n, NULL) < 0) {
		snprintf(buf, len, "keep %s\n", lab);
		return 0;
	}
	p = calloc(n ? n : 1, sizeof(*p));
	if (!p) {
		free(v);
		return -ENOMEM;
	}
	for (k = 0; k < n; k++) {
		if (v[k].host_addr.family)	/* bound to an address of the holder's own */
			continue;
		p[np].proto = (uint8_t)v[k].proto;
		p[np].port = v[k].port;
		p[np].count = v[k].count ? v[k].count : 1;
		np++;
	}
	nsnet__rl_ports_norm(p, &np);
	snprintf(buf, len, "lab %s", lab);
	ret = nsnet__rl_ports_fmt(p, np, buf, len - 1);
	if (ret == 0)
		strcat(buf, "\n");
	free(p);
	free(v);
	return ret;
}

int nsnet_rootless_sync(struct nsnet_err *err)
{
	char *msg = NULL, line[4096], reply[2048];
	char **labs = NULL;
	int lock = -1, fd = -1, n, i, ret;
	size_t used;

	if (!RL.entered)
		return 0;
	lock = lock_file(".sync.lock", LOCK_EX, err);
	if (lock < 0)
		return lock;
	n = nsnet_state_labs(&labs, err);
	if (n < 0) {
		ret = n;
		goto out;
	}
	msg = malloc(NSNET__RL_MSG_MAX);
	if (!msg) {
		ret = nsnet_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	used = (size_t)snprintf(msg, NSNET__RL_MSG_MAX, "sync\n");
	for (i = 0; i < n; i++) {
		ret = lab_line(labs[i], line, sizeof(line));
		if (ret < 0 || used + strlen(line) >= NSNET__RL_MSG_MAX) {
			ret = nsnet_err_set(err, ret < 0 ? ret : -E2BIG,
					    "rootless: too many forwards to publish");
			goto out;
		}
		memcpy(msg + used, line, strlen(line) + 1);
		used += strlen(line);
	}
	fd = rl_connect();
	if (fd < 0) {
		ret = nsnet_err_set(err, fd, "rootless holder: connect: %s", strerror(-fd));
		goto out;
	}
	ret = rl_request(fd, msg, reply, sizeof(reply), NULL, 0, 60, err);
	if (ret > 0)
		ret = 0;
out:
	if (fd >= 0)
		close(fd);
	free(msg);
	nsnet_strv_free(labs);
	close(lock);
	return ret;
}

/* Ask the holder to stop and wait until it is gone (it closes our socket on exit). */
static int rl_stop(struct nsnet_err *err)
{
	char reply[64];
	int fd = rl_connect(), ret;

	if (fd < 0)
		return 0;
	ret = rl_request(fd, "stop", reply, sizeof(reply), NULL, 0, 30, err);
	if (ret >= 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		/* it has stopped everything; its exit closes the socket */
		if (poll(&p, 1, 5000) == 1)
			(void)!recv(fd, reply, sizeof(reply), 0);
		ret = 1;
	}
	close(fd);
	return ret;
}

int nsnet_rootless_release(struct nsnet_err *err)
{
	char **labs = NULL, **ns = NULL;
	int n, m;

	if (!RL.entered || RL.lock < 0)
		return 0;
	/* another nsnet command runs: it keeps the holder (our shared lock is dropped) */
	if (flock(RL.lock, LOCK_EX | LOCK_NB) < 0)
		return 0;
	n = nsnet_state_labs(&labs, err);
	m = n < 0 ? 0 : nsnet_netns_list(&ns, err);
	nsnet_strv_free(labs);
	nsnet_strv_free(ns);
	if (n < 0 || m < 0)
		return n < 0 ? n : m;
	if (n || m)
		return 0;
	return rl_stop(err);
}

int nsnet_rootless_stop(struct nsnet_err *err)
{
	int ret;

	if (!RL.dir[0]) {
		ret = nsnet_rootless_dir(RL.dir, sizeof(RL.dir), err);
		if (ret < 0)
			return ret;
	}
	return rl_stop(err);
}

int nsnet_rootless_status(struct nsnet_rootless_status *st, struct nsnet_err *err)
{
	char *reply;
	int fd, ret;

	memset(st, 0, sizeof(*st));
	if (!RL.dir[0]) {
		ret = nsnet_rootless_dir(RL.dir, sizeof(RL.dir), err);
		if (ret < 0)
			return ret;
	}
	fd = rl_connect();
	if (fd < 0)
		return 0;
	reply = malloc(NSNET__RL_MSG_MAX);
	if (!reply) {
		close(fd);
		return nsnet_err_set(err, -ENOMEM, "out of memory");
	}
	ret = rl_request(fd, "info", reply, NSNET__RL_MSG_MAX, NULL, 0, 10, err);
	close(fd);
	if (ret >= 0)
		ret = nsnet__rl_info_parse(reply + 2, strlen(reply + 2), st, err);
	free(reply);
	return ret < 0 ? ret : 1;
}
