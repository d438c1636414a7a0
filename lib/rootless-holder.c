// SPDX-License-Identifier: MIT
/*
 * Rootless labs: the holder process (one per user, see nsnet/rootless.h).
 *
 * Started by the first nsnet command that needs it (double fork, setsid), it
 * stays in the user's own namespaces and owns, as children that die with it
 * (PR_SET_PDEATHSIG):
 *   - the namespace keeper: unshare(user, mount, net), uid/gid 0 mapped to
 *     the user, a tmpfs on DIR/netns, sysfs, lo up, then pause();
 *   - the NAT helper for the keeper's network namespace: pasta (--config-net,
 *     tap "nsnet-ext") or slirp4netns (--configure, API socket);
 *   - with pasta, one forwarder pasta per lab with forwards (no --config-net:
 *     its tap stays down, connections from the host's loopback are spliced to
 *     the namespace's 127.0.0.1:PORT, where the lab's output-chain DNAT takes
 *     them); with slirp4netns, the forwards are its API's hostfwds to
 *     10.0.2.100:PORT (the lab's prerouting DNAT takes them); a table of the
 *     keeper's own, inet nsnet_holder, keeps nodes from reaching the host's
 *     loopback through slirp4netns' gateway 10.0.2.2 (pasta: --no-map-gw).
 * It answers requests on DIR/holder.sock (SOCK_SEQPACKET, peer uid checked):
 *   ns    -> "ok PID HELPER ADOPTED" + the keeper's user, mount, net namespace fds
 *   adopt -> "ok 1" to the first client to ask (it tears down labs left by a
 *            holder that is gone), "ok 0" afterwards
 *   sync  -> publish each lab's forwards (rootless-proto.c), "ok" | "err E TEXT"
 *   info  -> holder / ns / helper / note / lab lines
 *   stop  -> everything killed and reaped, sockets removed, "ok", exit
 * It exits too when the keeper dies, or on SIGTERM/SIGINT/SIGHUP. Its log and
 * the helpers' stderr go to DIR/holder.log.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "nsnet/link.h"
#include "nsnet/nat.h"
#include "nsnet/nl.h"
#include "rootless-int.h"

enum { HELPER_NONE, HELPER_PASTA, HELPER_SLIRP };
static const char *const helper_names[] = { "none", "pasta", "slirp4netns" };

struct hlab {
	char name[65];
	struct nsnet__rl_port *ports;	/* published now */
	size_t nports;
	pid_t fwd;			/* pasta: the lab's forwarder */
	int tap;
	int *ids;			/* slirp4netns: hostfwd ids */
	size_t nids;
};

static struct {
	char dir[PATH_MAX];
	pid_t pid, ns_pid, helper_pid;
	int lsock, sigfd, ready, nsfd[3], helper, slirp_exit, next_tap;
	int adopted;			/* a client has taken over the state of a gone holder */
	char note[256];
	struct hlab *labs;
	size_t nlabs;
} H = { .lsock = -1, .sigfd = -1, .ready = -1, .nsfd = { -1, -1, -1 }, .slirp_exit = -1 };

/* snprintf where cutting a long path or message short is fine */
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

static void hlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void hlog(const char *fmt, ...)
{
	char buf[1024];
	struct timespec ts;
	va_list ap;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	n = snprintf(buf, sizeof(buf), "nsnet-holder[%d] %lld.%03ld: ", (int)H.pid,
		     (long long)ts.tv_sec, ts.tv_nsec / 1000000);
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	n = (int)strlen(buf);
	if (n < (int)sizeof(buf) - 1)
		buf[n++] = '\n';
	if (write(2, buf, (size_t)n) < 0) {
		/* nowhere else to say it */
	}
}

static void path_in(char *buf, size_t len, const char *file)
{
	say(buf, len, "%s/%s", H.dir, file);
}

static int in_path(const char *prog)
{
	const char *path = getenv("PATH"), *p, *e;
	char buf[PATH_MAX];

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p; p = *e ? e + 1 : e) {
		e = strchrnul(p, ':');
		if ((size_t)say(buf, sizeof(buf), "%.*s/%s", (int)(e - p), p, prog) <
			    sizeof(buf) && access(buf, X_OK) == 0)
			return 1;
	}
	return 0;
}

/* Size of the log now: a failed helper's own words are what it appended after. */
static off_t log_mark(void)
{
	struct stat st;

	return fstat(2, &st) == 0 ? st.st_size : 0;
}

/* The last line a helper wrote to the log since @mark (its reason to fail). */
static void log_since(off_t mark, char *out, size_t len)
{
	char buf[4096], *line, *next;
	ssize_t n;

	say(out, len, "see %s/holder.log", H.dir);
	n = pread(2, buf, sizeof(buf) - 1, mark);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (line = buf; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (*line && !strstr(line, "syslog") && strncmp(line, "nsnet-holder", 12))
			say(out, len, "%s", line);
	}
}

/* ---- children ------------------------------------------------------------------ */

/* fork + exec with the holder as the parent that takes the child along when it dies;
 * @keep fds become 3, 4, … in the child. */
static pid_t spawn(char *const argv[], const int *keep, int nkeep)
{
	sigset_t none;
	pid_t pid = fork();
	int i, tmp[4];

	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != H.pid)
		_exit(127);
	for (i = 0; i < nkeep && i < 4; i++)
		tmp[i] = fcntl(keep[i], F_DUPFD_CLOEXEC, 10);
	for (i = 0; i < nkeep && i < 4; i++)
		dup2(tmp[i], 3 + i);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], argv);
	fprintf(stderr, "nsnet-holder: exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static void reap(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Wait for @file to appear (the helper is ready) or @pid to exit. */
static int wait_file(pid_t pid, const char *file, int ms)
{
	int st;

	for (; ms > 0; ms -= 10) {
		if (access(file, F_OK) == 0)
			return 0;
		if (waitpid(pid, &st, WNOHANG) == pid)
			return -ECHILD;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		ret = -errno;
	close(fd);
	return ret;
}

/* ---- the namespace keeper ----------------------------------------------------- */

/*
 * slirp4netns maps its gateway 10.0.2.2 to the host's loopback. It runs with
 * --disable-host-loopback, which also drops the replies of UDP forwards (they
 * go to 10.0.2.2); so it runs without, and this table of the keeper's own
 * refuses new flows to 10.0.2.2 instead (replies of forwarded flows are
 * established). Not a lab's table: those are all named nsnet-LAB.
 */
static const char slirp_guard[] =
	"table inet nsnet_holder {\n"
	" chain forward { type filter hook forward priority -20; policy accept;"
	" ip daddr 10.0.2.2 ct state new counter reject; }\n"
	" chain output { type filter hook output priority -20; policy accept;"
	" ip daddr 10.0.2.2 ct state new counter reject; }\n"
	"}\n";

static int keeper_setup(uid_t uid, gid_t gid, int guard, char *why, size_t len)
{
	struct nsnet_link_req lo = NSNET_LINK_REQ_INIT;
	struct nsnet_err err = { 0 };
	struct nsnet_nl *nl;
	char map[64], path[PATH_MAX];
	int ret;

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET) < 0) {
		say(why, len, "unshare(user, mount, net): %s%s", strerror(errno),
			 errno == EPERM || errno == ENOSPC || errno == EACCES ?
			 " (unprivileged user namespaces disabled? see kernel.unprivileged_userns_clone, "
			 "user.max_user_namespaces, kernel.apparmor_restrict_unprivileged_userns)" : "");
		return -1;
	}
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
	if ((ret = write_file("/proc/self/setgroups", "deny")) < 0 ||
	    (ret = write_file("/proc/self/uid_map", map)) < 0) {
		say(why, len, "uid map: %s", strerror(-ret));
		return -1;
	}
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
	if ((ret = write_file("/proc/self/gid_map", map)) < 0) {
		say(why, len, "gid map: %s", strerror(-ret));
		return -1;
	}
	if (mount("", "/", NULL, MS_SLAVE | MS_REC, NULL) < 0) {
		say(why, len, "mount --make-rslave /: %s", strerror(errno));
		return -1;
	}
	path_in(path, sizeof(path), "netns");
	if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755") < 0) {
		say(why, len, "mount tmpfs on %s: %s", path, strerror(errno));
		return -1;
	}
	/* /sys of this network namespace (nodes get theirs from nsnet exec) */
	mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	lo.name = "lo";
	lo.up = 1;
	if (nsnet_nl_open(&nl, -1, &err) < 0) {
		say(why, len, "netlink: %s", err.msg);
		return -1;
	}
	nsnet_link_set(nl, &lo);
	ret = nsnet_nl_flush(nl, &err);
	nsnet_nl_close(nl);
	if (ret < 0) {
		say(why, len, "lo up: %s", err.msg);
		return -1;
	}
	if (guard && nsnet_nft_run(slirp_guard, NULL, &err) < 0) {
		say(why, len, "nftables (table inet nsnet_holder): %s", err.msg);
		return -1;
	}
	return 0;
}

static int start_keeper(int guard, char *why, size_t len)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char buf[512];
	struct pollfd p;
	int fds[2];
	ssize_t n;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		say(why, len, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		say(why, len, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		char msg[512] = "ok";

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != H.pid)
			_exit(1);
		prctl(PR_SET_NAME, "nsnet-ns");
		close(fds[0]);
		if (H.ready >= 0)
			close(H.ready);	/* the starter waits for the holder's word, not ours */
		if (keeper_setup(uid, gid, guard, msg, sizeof(msg)) < 0) {
			if (write(fds[1], msg, strlen(msg)) < 0)
				_exit(1);
			_exit(1);
		}
		if (write(fds[1], msg, strlen(msg)) < 0)
			_exit(1);
		close(fds[1]);
		for (;;)
			pause();	/* every signal but SIGKILL is blocked */
	}
	close(fds[1]);
	p.fd = fds[0];
	p.events = POLLIN;
	n = poll(&p, 1, 10000) == 1 ? read(fds[0], buf, sizeof(buf) - 1) : -1;
	close(fds[0]);
	if (n <= 0 || strncmp(buf, "ok", 2)) {
		if (n > 0) {
			buf[n] = '\0';
			say(why, len, "namespace keeper: %s", buf);
		} else {
			say(why, len, "namespace keeper did not start");
		}
		reap(pid);
		return -1;
	}
	H.ns_pid = pid;
	return 0;
}

/* ---- NAT helpers -------------------------------------------------------------- */

static int pick_helper(void)
{
	const char *want = getenv("NSNET_ROOTLESS_NET");
	int pasta = in_path("pasta"), slirp = in_path("slirp4netns");

	if (want && !strcmp(want, "none")) {
		say(H.note, sizeof(H.note), "NSNET_ROOTLESS_NET=none");
		return HELPER_NONE;
	}
	if (want && *want && strcmp(want, "pasta") && strcmp(want, "slirp4netns") &&
	    strcmp(want, "auto")) {
		say(H.note, sizeof(H.note),
			 "NSNET_ROOTLESS_NET=%.40s: expected pasta, slirp4netns, none or auto", want);
		return HELPER_NONE;
	}
	if (want && !strcmp(want, "pasta"))
		slirp = 0;
	if (want && !strcmp(want, "slirp4netns"))
		pasta = 0;
	if (!pasta && !slirp) {
		if (want && !strcmp(want, "pasta"))
			say(H.note, sizeof(H.note),
				 "pasta is not installed (Debian package passt)");
		else if (want && !strcmp(want, "slirp4netns"))
			say(H.note, sizeof(H.note),
				 "slirp4netns is not installed (Debian package slirp4netns)");
		else
			say(H.note, sizeof(H.note), "neither pasta nor slirp4netns is installed "
				 "(Debian packages passt, slirp4netns)");
		return HELPER_NONE;
	}
	if (access("/dev/net/tun", R_OK | W_OK) < 0) {
		say(H.note, sizeof(H.note), "%s needs /dev/net/tun, which this user cannot "
			 "open (%s)", pasta ? "pasta" : "slirp4netns", strerror(errno));
		return HELPER_NONE;
	}
	return pasta ? HELPER_PASTA : HELPER_SLIRP;
}

static int start_pasta(void)
{
	char pidfile[PATH_MAX], nspid[16], why[200];
	char *argv[] = { "pasta", "--config-net", "-I", NSNET__RL_EXT_IF, "-t", "none", "-u",
			 "none", "-T", "none", "-U", "none", "--no-map-gw", "-q", "-f", "-P",
			 pidfile, nspid, NULL };
	off_t mark = log_mark();
	pid_t pid;
	int ret;

	path_in(pidfile, sizeof(pidfile), "pasta.pid");
	unlink(pidfile);
	snprintf(nspid, sizeof(nspid), "%d", (int)H.ns_pid);
	pid = spawn(argv, NULL, 0);
	if (pid < 0)
		return -errno;
	ret = wait_file(pid, pidfile, 10000);
	if (ret < 0) {
		if (ret != -ECHILD)
			reap(pid);
		log_since(mark, why, sizeof(why));
		say(H.note, sizeof(H.note), "pasta failed: %s", why);
		return ret;
	}
	H.helper_pid = pid;
	return 0;
}

static int start_slirp(void)
{
	char sock[PATH_MAX], nspid[16], why[200], c;
	char *argv[] = { "slirp4netns", "--configure", "--mtu=65520",
			 "--ready-fd=3", "--exit-fd=4", "--api-socket", sock, nspid,
			 NSNET__RL_EXT_IF, NULL };
	int ready[2], ex[2], keep[2], ok = 0;
	off_t mark = log_mark();
	struct pollfd p;
	pid_t pid;

	path_in(sock, sizeof(sock), "slirp.sock");
	unlink(sock);
	snprintf(nspid, sizeof(nspid), "%d", (int)H.ns_pid);
	if (pipe2(ready, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(ex, O_CLOEXEC) < 0) {
		close(ready[0]);
		close(ready[1]);
		return -errno;
	}
	keep[0] = ready[1];
	keep[1] = ex[0];
	pid = spawn(argv, keep, 2);
	close(ready[1]);
	close(ex[0]);
	if (pid > 0) {
		p.fd = ready[0];
		p.events = POLLIN;
		ok = poll(&p, 1, 10000) == 1 && read(ready[0], &c, 1) == 1;
	}
	close(ready[0]);
	if (!ok) {
		reap(pid);
		close(ex[1]);
		log_since(mark, why, sizeof(why));
		say(H.note, sizeof(H.note), "slirp4netns failed: %s", why);
		return -EIO;
	}
	H.helper_pid = pid;
	H.slirp_exit = ex[1];
	return 0;
}

/* ---- publishing forwards ------------------------------------------------------- */

/* 1 if 127.0.0.1:PORT of @proto is free on the host (no listener, nothing bound). */
static int port_free(int proto, unsigned port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, (proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC,
			0), one = 1, ok;

	if (fd < 0)
		return 0;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* TIME_WAIT is free; UDP has none, and there SO_REUSEADDR would share the port */
	if (proto != IPPROTO_UDP)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

static int in_set(const struct nsnet__rl_port *p, size_t n, int proto, unsigned port)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i].proto == proto && port >= p[i].port && port < (unsigned)p[i].port + p[i].count)
			return 1;
	return 0;
}

/*
 * The first port of @p, not in @skip, that is (want_free 1) / is not (0) free
 * on the host, or 0 if none.
 */
static unsigned first_port(const struct nsnet__rl_port *p, size_t n,
			   const struct nsnet__rl_port *skip, size_t nskip, int want_free,
			   int *proto)
{
	size_t i;
	unsigned k;

	for (i = 0; i < n; i++)
		for (k = 0; k < p[i].count; k++) {
			unsigned port = p[i].port + k;

			if (!in_set(skip, nskip, p[i].proto, port) &&
			    port_free(p[i].proto, port) == want_free) {
				*proto = p[i].proto;
				return port;
			}
		}
	return 0;
}

static const char *proto_str(int proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

static int set_ports(struct hlab *l, const struct nsnet__rl_port *p, size_t n)
{
	struct nsnet__rl_port *np = NULL;

	if (n) {
		np = malloc(n * sizeof(*p));
		if (!np)
			return -ENOMEM;
		memcpy(np, p, n * sizeof(*p));
	}
	free(l->ports);
	l->ports = np;
	l->nports = n;
	return 0;
}

/* ---- pasta: one forwarder per lab ---- */

static void stop_forwarder(struct hlab *l)
{
	if (l->fwd > 0) {
		reap(l->fwd);
		hlog("lab %s: forwarder %d stopped", l->name, (int)l->fwd);
	}
	l->fwd = 0;
	set_ports(l, NULL, 0);
}

static int start_forwarder(struct hlab *l, const struct nsnet__rl_port *p, size_t n,
			   struct nsnet_err *err)
{
	char pidfile[PATH_MAX], tap[16], nspid[16], tcp[2048], udp[2048], why[200];
	char *argv[] = { "pasta", "-I", tap, "-t", tcp, "-u", udp, "-T", "none", "-U", "none",
			 "-q", "-f", "-P", pidfile, nspid, NULL };
	off_t mark = log_mark();
	unsigned port;
	int proto, ret;
	pid_t pid;

	if (nsnet__rl_pasta_spec(p, n, IPPROTO_TCP, tcp, sizeof(tcp)) < 0 ||
	    nsnet__rl_pasta_spec(p, n, IPPROTO_UDP, udp, sizeof(udp)) < 0)
		return nsnet_err_set(err, -E2BIG, "lab %s: too many port ranges for pasta", l->name);
	l->tap = H.next_tap++ % 100000;
	say(tap, sizeof(tap), "nsnet-fwd%d", l->tap);
	say(pidfile, sizeof(pidfile), "%s/fwd-%d.pid", H.dir, l->tap);
	snprintf(nspid, sizeof(nspid), "%d", (int)H.ns_pid);
	unlink(pidfile);
	pid = spawn(argv, NULL, 0);
	if (pid < 0)
		return nsnet_err_set(err, -errno, "fork: %s", strerror(errno));
	ret = wait_file(pid, pidfile, 10000);
	unlink(pidfile);
	if (ret < 0) {
		if (ret != -ECHILD)
			reap(pid);
		log_since(mark, why, sizeof(why));
		return nsnet_err_set(err, -EIO, "lab %s: pasta failed: %s", l->name, why);
	}
	/* pasta skips a port it cannot bind: every one must be taken now */
	port = first_port(p, n, NULL, 0, 1, &proto);
	if (port) {
		reap(pid);
		return nsnet_err_set(err, -EADDRINUSE, "lab %s: pasta could not bind 127.0.0.1:%u/%s",
				     l->name, port, proto_str(proto));
	}
	if (set_ports(l, p, n) < 0) {
		reap(pid);
		return nsnet_err_set(err, -ENOMEM, "out of memory");
	}
	l->fwd = pid;
	hlog("lab %s: forwarder %d (tap %s): tcp %s udp %s", l->name, (int)pid, tap, tcp, udp);
	return 0;
}

static int publish_pasta(struct hlab *l, const struct nsnet__rl_port *p, size_t n,
			 struct nsnet_err *err)
{
	struct nsnet__rl_port *old = NULL;
	size_t nold = l->nports;
	unsigned port;
	int proto, ret;

	/* a port already taken on the host: refuse before stopping anything */
	port = first_port(p, n, l->ports, l->nports, 0, &proto);
	if (port)
		return nsnet_err_set(err, -EADDRINUSE, "lab %s: 127.0.0.1:%u/%s is in use on the host",
				     l->name, port, proto_str(proto));
	if (nold) {
		old = malloc(nold * sizeof(*old));
		if (!old)
			return nsnet_err_set(err, -ENOMEM, "out of memory");
		memcpy(old, l->ports, nold * sizeof(*old));
	}
	stop_forwarder(l);
	ret = n ? start_forwarder(l, p, n, err) : 0;
	if (ret < 0 && nold && start_forwarder(l, old, nold, NULL) == 0)
		hlog("lab %s: the previous forwards are back", l->name);
	free(old);
	return ret;
}

/* ---- slirp4netns: one hostfwd per port, through its API socket ---- */

/* One slirp4netns API call; the id it returns (>= 0) or -errno. */
static int slirp_call(const char *req, struct nsnet_err *err)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char reply[4096];
	size_t got = 0;
	struct pollfd p;
	int fd, ret;
	ssize_t n;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return nsnet_err_set(err, -errno, "socket: %s", strerror(errno));
	path_in(a.sun_path, sizeof(a.sun_path), "slirp.sock");
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		ret = nsnet_err_set(err, -errno, "slirp4netns API: %s", strerror(errno));
		close(fd);
		return ret;
	}
	shutdown(fd, SHUT_WR);
	p.fd = fd;
	p.events = POLLIN;
	while (got < sizeof(reply) - 1 && poll(&p, 1, 5000) == 1) {
		n = read(fd, reply + got, sizeof(reply) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	return nsnet__rl_slirp_reply(reply, got, err);
}

static void slirp_remove(struct hlab *l, size_t i)
{
	struct nsnet_err err = { 0 };
	char req[128];

	snprintf(req, sizeof(req), "{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":%d}}",
		 l->ids[i]);
	if (slirp_call(req, &err) < 0)
		hlog("lab %s: remove hostfwd %d: %s", l->name, l->ids[i], err.msg);
	l->ids[i] = l->ids[l->nids - 1];
	l->ports[i] = l->ports[l->nids - 1];
	l->nids--;
	l->nports = l->nids;
}

/*
 * With slirp4netns, l->ports holds one single-port entry per hostfwd, in step
 * with l->ids (normalised into ranges only to compare).
 */
static int publish_slirp(struct hlab *l, const struct nsnet__rl_port *p, size_t n,
			 struct nsnet_err *err)
{
	struct nsnet__rl_port *np;
	size_t i, total = 0;
	int *nid, ret = 0;
	unsigned k;

	for (i = 0; i < l->nids;) {
		if (!in_set(p, n, l->ports[i].proto, l->ports[i].port))
			slirp_remove(l, i);
		else
			i++;
	}
	for (i = 0; i < n; i++)
		total += p[i].count;
	np = realloc(l->ports, (total + 1) * sizeof(*np));
	if (np)
		l->ports = np;
	nid = realloc(l->ids, (total + 1) * sizeof(*nid));
	if (nid)
		l->ids = nid;
	if (!np || !nid)
		return nsnet_err_set(err, -ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		for (k = 0; k < p[i].count; k++) {
			struct nsnet_err e = { 0 };
			unsigned port = p[i].port + k;
			char req[256];
			int id;

			if (in_set(l->ports, l->nids, p[i].proto, port))
				continue;
			snprintf(req, sizeof(req),
				 "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"%s\","
				 "\"host_addr\":\"127.0.0.1\",\"host_port\":%u,\"guest_port\":%u}}",
				 proto_str(p[i].proto), port, port);
			id = slirp_call(req, &e);
			if (id < 0) {
				if (!ret)
					ret = nsnet_err_set(err, id, "lab %s: 127.0.0.1:%u/%s: %s%s",
							    l->name, port, proto_str(p[i].proto),
							    e.msg, port_free(p[i].proto, port) ? "" :
							    " (in use on the host)");
				continue;
			}
			l->ids[l->nids] = id;
			l->ports[l->nids].proto = p[i].proto;
			l->ports[l->nids].port = (uint16_t)port;
			l->ports[l->nids].count = 1;
			l->nids++;
		}
	}
	l->nports = l->nids;
	return ret;
}

static int same_ports(const struct hlab *l, const struct nsnet__rl_port *p, size_t n)
{
	struct nsnet__rl_port *c;
	size_t nc = l->nports;
	int eq;

	if (H.helper != HELPER_SLIRP)
		return nsnet__rl_ports_equal(l->ports, l->nports, p, n);
	c = malloc((nc + 1) * sizeof(*c));
	if (!c)
		return 0;
	if (nc)
		memcpy(c, l->ports, nc * sizeof(*c));
	nsnet__rl_ports_norm(c, &nc);
	eq = nsnet__rl_ports_equal(c, nc, p, n);
	free(c);
	return eq;
}

static void unpublish(struct hlab *l)
{
	if (H.helper == HELPER_SLIRP)
		while (l->nids)
			slirp_remove(l, l->nids - 1);
	else
		stop_forwarder(l);
	free(l->ids);
	l->ids = NULL;
	l->nids = 0;
	set_ports(l, NULL, 0);
}

/* Make what is published for @l be @p (normalised). Keeps what it can on failure. */
static int publish(struct hlab *l, const struct nsnet__rl_port *p, size_t n,
		   struct nsnet_err *err)
{
	if (same_ports(l, p, n))
		return 0;
	if (H.helper == HELPER_NONE) {
		unpublish(l);
		return n ? nsnet_err_set(err, -EOPNOTSUPP, "lab %s: forwards are not published on "
					 "the host's 127.0.0.1: no NAT helper (%s)", l->name, H.note) : 0;
	}
	return H.helper == HELPER_PASTA ? publish_pasta(l, p, n, err) : publish_slirp(l, p, n, err);
}

static void drop_lab(size_t i)
{
	unpublish(&H.labs[i]);
	H.labs[i] = H.labs[--H.nlabs];
}

static struct hlab *lab_get(const char *name)
{
	struct hlab *nl;
	size_t i;

	for (i = 0; i < H.nlabs; i++)
		if (!strcmp(H.labs[i].name, name))
			return &H.labs[i];
	nl = realloc(H.labs, (H.nlabs + 1) * sizeof(*nl));
	if (!nl)
		return NULL;
	H.labs = nl;
	memset(&nl[H.nlabs], 0, sizeof(*nl));
	snprintf(nl[H.nlabs].name, sizeof(nl[H.nlabs].name), "%s", name);
	return &nl[H.nlabs++];
}

/* "sync\n…": make the published set what the request says. */
static void do_sync(const char *body, size_t len, char *reply, size_t rlen)
{
	struct nsnet__rl_sync s;
	struct nsnet_err err = { 0 };
	size_t i, k, used = 0;
	int first = 0;

	if (nsnet__rl_sync_parse(body, len, &s, &err) < 0) {
		say(reply, rlen, "err %d %s", -err.error, err.msg);
		return;
	}
	for (i = 0; i < H.nlabs;) {
		for (k = 0; k < s.nlabs; k++)
			if (!strcmp(s.labs[k].name, H.labs[i].name))
				break;
		if (k == s.nlabs) {
			hlog("lab %s: gone", H.labs[i].name);
			drop_lab(i);
		} else {
			i++;
		}
	}
	reply[0] = '\0';
	for (k = 0; k < s.nlabs; k++) {
		struct hlab *l;

		if (s.labs[k].keep)
			continue;
		l = lab_get(s.labs[k].name);
		nsnet_err_clear(&err);
		if (!l)
			nsnet_err_set(&err, -ENOMEM, "out of memory");
		else
			publish(l, s.labs[k].ports, s.labs[k].nports, &err);
		if (err.error) {
			int w;

			hlog("%s", err.msg);
			if (!first)
				first = -err.error;
			w = snprintf(reply + used, rlen - used, "%s%s", used ? "; " : "", err.msg);
			if (w > 0 && (size_t)w < rlen - used)
				used += (size_t)w;
		}
	}
	nsnet__rl_sync_free(&s);
	if (first) {
		char msg[1024];

		say(msg, sizeof(msg), "%s", reply);
		say(reply, rlen, "err %d %s", first, msg);
	} else {
		say(reply, rlen, "ok");
	}
}

static void do_info(char *reply, size_t rlen)
{
	size_t used, i;

	say(reply, rlen, "ok\nholder %d\nns %d\nhelper %s %d\n", (int)H.pid, (int)H.ns_pid,
		 helper_names[H.helper], (int)H.helper_pid);
	used = strlen(reply);
	if (H.note[0])
		used += (size_t)snprintf(reply + used, rlen - used, "note %s\n", H.note);
	for (i = 0; i < H.nlabs && used < rlen - 8; i++) {
		snprintf(reply + used, rlen - used, "lab %s", H.labs[i].name);
		if (nsnet__rl_ports_fmt(H.labs[i].ports, H.labs[i].nports, reply, rlen - 2) < 0)
			break;
		used = strlen(reply);
		reply[used++] = '\n';
		reply[used] = '\0';
	}
}

/* ---- lifetime ------------------------------------------------------------------ */

static void shutdown_all(void)
{
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < H.nlabs; i++)
		unpublish(&H.labs[i]);
	H.nlabs = 0;
	if (H.slirp_exit >= 0)
		close(H.slirp_exit);
	H.slirp_exit = -1;
	reap(H.helper_pid);
	H.helper_pid = 0;
	reap(H.ns_pid);
	H.ns_pid = 0;
	for (i = 0; i < 3; i++)
		if (H.nsfd[i] >= 0)
			close(H.nsfd[i]);
	path_in(path, sizeof(path), NSNET__RL_SOCK);
	unlink(path);
	path_in(path, sizeof(path), "slirp.sock");
	unlink(path);
	path_in(path, sizeof(path), "pasta.pid");
	unlink(path);
	hlog("stopped");
}

static int send_reply(int fd, const char *text, const int *fds, int nfds)
{
	union {
		char buf[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)text, .iov_len = strlen(text) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (nfds) {
		memset(&u, 0, sizeof(u));
		m.msg_control = u.buf;
		m.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, (size_t)nfds * sizeof(int));
	}
	return sendmsg(fd, &m, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* One request per connection. 1: stop now. */
static int handle(int fd)
{
	struct timeval tv = { .tv_sec = 5 };
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	char *buf = malloc(NSNET__RL_MSG_MAX + 1), reply[NSNET__RL_MSG_MAX];
	ssize_t n;
	int ret = 0;

	if (!buf)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 || cred.uid != getuid()) {
		hlog("refused a client (uid %d)", (int)cred.uid);
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = recv(fd, buf, NSNET__RL_MSG_MAX + 1, 0);
	if (n <= 0)
		goto out;
	if (n > NSNET__RL_MSG_MAX) {
		send_reply(fd, "err 7 request too long", NULL, 0);
		goto out;
	}
	buf[n] = '\0';
	if (!strcmp(buf, "ns")) {
		say(reply, sizeof(reply), "ok %d %s %d", (int)H.ns_pid, helper_names[H.helper],
		    H.adopted);
		send_reply(fd, reply, H.nsfd, 3);
	} else if (!strcmp(buf, "adopt")) {
		send_reply(fd, H.adopted ? "ok 0" : "ok 1", NULL, 0);
		H.adopted = 1;
	} else if (!strncmp(buf, "sync\n", 5) || !strcmp(buf, "sync")) {
		do_sync(buf + 4 + (n > 4), (size_t)n - 4 - (n > 4), reply, sizeof(reply));
		send_reply(fd, reply, NULL, 0);
	} else if (!strcmp(buf, "info")) {
		do_info(reply, sizeof(reply));
		send_reply(fd, reply, NULL, 0);
	} else if (!strcmp(buf, "stop")) {
		hlog("stop requested by pid %d", (int)cred.pid);
		shutdown_all();
		send_reply(fd, "ok", NULL, 0);
		ret = 1;
	} else {
		send_reply(fd, "err 22 unknown request", NULL, 0);
	}
out:
	free(buf);
	return ret;
}

static void on_child(void)
{
	size_t i;
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid == H.ns_pid) {
			hlog("the namespace keeper %d died: stopping", (int)pid);
			H.ns_pid = 0;
			shutdown_all();
			_exit(0);
		}
		if (pid == H.helper_pid) {
			hlog("%s %d exited (status %d)", helper_names[H.helper], (int)pid, st);
			H.helper_pid = 0;
			say(H.note, sizeof(H.note), "%s exited (see %s/holder.log)",
				 helper_names[H.helper], H.dir);
			H.helper = HELPER_NONE;
			continue;
		}
		for (i = 0; i < H.nlabs; i++)
			if (H.labs[i].fwd == pid) {
				hlog("lab %s: forwarder %d exited (status %d)", H.labs[i].name, (int)pid, st);
				H.labs[i].fwd = 0;
				unpublish(&H.labs[i]);	/* the next sync starts one again */
			}
	}
}

static int setup_fds(int ready)
{
	char path[PATH_MAX];
	int fd;

	if (ready != 3) {
		if (dup2(ready, 3) < 0)
			return -1;
		close(ready);
	}
	if (close_range(4, ~0U, 0) < 0)
		for (fd = 4; fd < 1024; fd++)
			close(fd);
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	dup2(fd, 0);
	dup2(fd, 1);
	close(fd);
	path_in(path, sizeof(path), "holder.log");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	dup2(fd, 2);
	close(fd);
	fcntl(3, F_SETFD, FD_CLOEXEC);
	return 3;
}

static int listen_sock(char *why, size_t len)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	if ((size_t)say(a.sun_path, sizeof(a.sun_path), "%s/%s", H.dir, NSNET__RL_SOCK) >=
	    sizeof(a.sun_path)) {
		say(why, len, "%s/%s: path too long for a socket", H.dir, NSNET__RL_SOCK);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		say(why, len, "socket: %s", strerror(errno));
		return -1;
	}
	unlink(a.sun_path);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 64) < 0) {
		say(why, len, "listen on %s: %s", a.sun_path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

void nsnet__rl_holder_main(const char *dir, int ready)
{
	static const char *const ns[] = { "user", "mnt", "net" };
	char why[512] = "", msg[600], path[64];
	sigset_t set;
	int i;

	H.pid = getpid();
	snprintf(H.dir, sizeof(H.dir), "%s", dir);
	umask(077);
	if (chdir("/") < 0 || (ready = setup_fds(ready)) < 0)
		_exit(1);
	H.ready = ready;
	prctl(PR_SET_NAME, "nsnet-holder");
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	H.sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	hlog("starting in %s", H.dir);
	if (H.sigfd < 0) {
		say(why, sizeof(why), "signalfd: %s", strerror(errno));
		goto fail;
	}
	H.helper = pick_helper();
	if (start_keeper(H.helper == HELPER_SLIRP, why, sizeof(why)) < 0)
		goto fail;
	for (i = 0; i < 3; i++) {
		say(path, sizeof(path), "/proc/%d/ns/%s", (int)H.ns_pid, ns[i]);
		H.nsfd[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (H.nsfd[i] < 0) {
			say(why, sizeof(why), "open %s: %s", path, strerror(errno));
			goto fail;
		}
	}
	if (H.helper == HELPER_PASTA && start_pasta() < 0)
		H.helper = HELPER_NONE;
	else if (H.helper == HELPER_SLIRP && start_slirp() < 0)
		H.helper = HELPER_NONE;
	hlog("namespace keeper %d, helper %s %d%s%s", (int)H.ns_pid, helper_names[H.helper],
	     (int)H.helper_pid, H.note[0] ? ": " : "", H.note);
	H.lsock = listen_sock(why, sizeof(why));
	if (H.lsock < 0)
		goto fail;
	say(msg, sizeof(msg), "ok %s %s", helper_names[H.helper], H.note);
	if (write(ready, msg, strlen(msg)) < 0)
		hlog("report ready: %s", strerror(errno));
	close(ready);
	for (;;) {
		struct pollfd p[2] = { { H.lsock, POLLIN, 0 }, { H.sigfd, POLLIN, 0 } };

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			hlog("poll: %s", strerror(errno));
			break;
		}
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(H.sigfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGCHLD) {
					on_child();
				} else {
					hlog("signal %u: stopping", si.ssi_signo);
					break;
				}
			}
		}
		if (p[0].revents & POLLIN) {
			int c = accept4(H.lsock, NULL, NULL, SOCK_CLOEXEC);

			if (c >= 0) {
				int stop = handle(c);

				close(c);
				if (stop)
					_exit(0);
			}
		}
	}
	shutdown_all();
	_exit(0);
fail:
	hlog("cannot start: %s", why);
	say(msg, sizeof(msg), "err %s", why);
	if (write(ready, msg, strlen(msg)) < 0)
		hlog("report failure: %s", strerror(errno));
	shutdown_all();
	_exit(1);
}
