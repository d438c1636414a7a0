// SPDX-License-Identifier: MIT
/*
 * nsnet-cni: running a delegated plugin (an IPAM plugin named by ipam.type),
 * as the CNI specification requires: the binary found on CNI_PATH, executed
 * with our environment (CNI_COMMAND set for the operation) and the same
 * configuration on stdin; its stdout is the result or error object.
 *
 * posix_spawn (clone with CLONE_VFORK underneath: no copy of our memory),
 * pipes for stdin and stdout, both driven by one poll loop so that neither
 * side can block the other; stderr is inherited (the runtime logs it).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nsnet/nl.h"

#include "cni.h"
#include "exec.h"

extern char **environ;

#define OUT_MAX (4 << 20)

int cni_plugin_find(const char *path, const char *type, char *out, size_t len)
{
	const char *p = path, *end;
	struct stat st;

	if (!path || !*path)
		return -ENOENT;
	while (*p) {
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		if (end != p && (size_t)snprintf(out, len, "%.*s/%s", (int)(end - p), p, type) < len &&
		    stat(out, &st) == 0 && S_ISREG(st.st_mode))
			return 0;
		p = *end ? end + 1 : end;
	}
	return -ENOENT;
}

void cni_child_init(struct cni_child *ch)
{
	memset(ch, 0, sizeof(*ch));
	ch->pid = -1;
	ch->in_fd = ch->out_fd = -1;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* environ with CNI_COMMAND replaced (malloc'ed array of borrowed strings + @cmdvar). */
static char **child_env(char *cmdvar)
{
	size_t n = 0, i, k = 0;
	char **v;

	while (environ && environ[n])
		n++;
	v = calloc(n + 2, sizeof(*v));
	if (!v)
		return NULL;
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "CNI_COMMAND=", 12))
			v[k++] = environ[i];
	v[k] = cmdvar;
	return v;
}

int cni_plugin_start(struct cni_child *ch, const char *bin, const char *cmd, const char *in,
		     size_t inlen, struct nsnet_err *err)
{
	int ip[2] = { -1, -1 }, op[2] = { -1, -1 }, ret;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t sa;
	char cmdvar[32], *argv[2];
	char **envp = NULL;
	sigset_t def;

	cni_child_init(ch);
	snprintf(ch->bin, sizeof(ch->bin), "%s", bin);
	ch->in = in;
	ch->inlen = inlen;
	if ((ret = nsnet_fault_point()) < 0)
		return nsnet_err_set(err, ret, "%s: injected fault (NSNET_FAIL_AT)", bin);
	snprintf(cmdvar, sizeof(cmdvar), "CNI_COMMAND=%s", cmd);
	envp = child_env(cmdvar);
	if (!envp)
		return nsnet_err_set(err, -ENOMEM, "out of memory");
	if (pipe2(ip, O_CLOEXEC) < 0 || pipe2(op, O_CLOEXEC) < 0) {
		ret = nsnet_err_set(err, -errno, "pipe: %s", strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, ip[0], 0);
	posix_spawn_file_actions_adddup2(&fa, op[1], 1);
	posix_spawnattr_init(&sa);
	/* we ignore SIGPIPE (a plugin may exit before reading stdin); it must not */
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	posix_spawnattr_setsigdefault(&sa, &def);
	posix_spawnattr_setflags(&sa, POSIX_SPAWN_SETSIGDEF);
	argv[0] = ch->bin;
	argv[1] = NULL;
	ret = posix_spawn(&ch->pid, bin, &fa, &sa, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&sa);
	if (ret) {
		ch->pid = -1;
		ret = nsnet_err_set(err, -ret, "cannot execute %s: %s", bin, strerror(ret));
		goto out;
	}
	ch->in_fd = ip[1];
	ch->out_fd = op[0];
	ip[1] = op[0] = -1;
	fcntl(ch->in_fd, F_SETFL, O_NONBLOCK);
	fcntl(ch->out_fd, F_SETFL, O_NONBLOCK);
	if (!inlen)
		close_fd(&ch->in_fd);
	ret = 0;
out:
	close_fd(&ip[0]);
	close_fd(&ip[1]);
	close_fd(&op[0]);
	close_fd(&op[1]);
	free(envp);
	return ret;
}

static int pump_out(struct cni_child *ch)
{
	char buf[16384];
	ssize_t n = read(ch->out_fd, buf, sizeof(buf));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -errno;
	if (n == 0) {
		close_fd(&ch->out_fd);
		return 0;
	}
	if (ch->outlen + (size_t)n + 1 > ch->outcap) {
		size_t cap = ch->outcap ? ch->outcap * 2 : 4096;
		char *nb;

		while (cap < ch->outlen + (size_t)n + 1)
			cap *= 2;
		if (cap > OUT_MAX) {
			ch->truncated = 1;
			return 0;	/* keep draining, drop the rest */
		}
		nb = realloc(ch->out, cap);
		if (!nb)
			return -ENOMEM;
		ch->out = nb;
		ch->outcap = cap;
	}
	memcpy(ch->out + ch->outlen, buf, (size_t)n);
	ch->outlen += (size_t)n;
	ch->out[ch->outlen] = '\0';
	return 0;
}

int cni_plugin_wait(struct cni_child *ch, struct nsnet_err *err)
{
	struct pollfd p[2];
	int ret = 0, st, n, wi, ri;

	if (ch->pid < 0)
		return nsnet_err_set(err, -ECHILD, "%s was not started", ch->bin);
	while (ch->in_fd >= 0 || ch->out_fd >= 0) {
		n = 0;
		wi = ri = -1;
		if (ch->in_fd >= 0) {
			wi = n;
			p[n++] = (struct pollfd){ .fd = ch->in_fd, .events = POLLOUT };
		}
		if (ch->out_fd >= 0) {
			ri = n;
			p[n++] = (struct pollfd){ .fd = ch->out_fd, .events = POLLIN };
		}
		if (poll(p, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			ret = nsnet_err_set(err, -errno, "poll: %s", strerror(errno));
			break;
		}
		if (wi >= 0 && p[wi].revents) {
			ssize_t w = write(ch->in_fd, ch->in + ch->inoff, ch->inlen - ch->inoff);

			if (w > 0)
				ch->inoff += (size_t)w;
			/* EPIPE: the plugin does not read (all) its stdin: its business */
			if ((w < 0 && errno != EAGAIN && errno != EINTR) || ch->inoff == ch->inlen)
				close_fd(&ch->in_fd);
		}
		if (ri >= 0 && p[ri].revents && (ret = pump_out(ch)) < 0) {
			nsnet_err_set(err, ret, "reading the output of %s: %s", ch->bin, strerror(-ret));
			break;
		}
	}
	close_fd(&ch->in_fd);
	close_fd(&ch->out_fd);
	while (waitpid(ch->pid, &st, 0) < 0) {
		if (errno != EINTR) {
			ch->pid = -1;
			return nsnet_err_set(err, -errno, "waitpid %s: %s", ch->bin, strerror(errno));
		}
	}
	ch->pid = -1;
	if (ret < 0)
		return ret;
	if (WIFSIGNALED(st))
		return 256 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

void cni_child_free(struct cni_child *ch)
{
	if (!ch)
		return;
	close_fd(&ch->in_fd);
	close_fd(&ch->out_fd);
	if (ch->pid > 0)
		while (waitpid(ch->pid, NULL, 0) < 0 && errno == EINTR)
			;
	free(ch->out);
	cni_child_init(ch);
}

/* ---- the delegated IPAM plugin ------------------------------------------------------ */

int cni_ipam_start(struct cni_child *ch, const struct cni_conf *c, const struct cni_env *env,
		   const char *cmd, struct cni_error *e)
{
	struct nsnet_err ne = { 0 };
	char bin[4096], buf[900];

	cni_child_init(ch);
	if (!env->path || !*env->path)
		return cni_fail(e, CNI_ERR_ENV, "missing CNI_PATH",
				"CNI_PATH is required to find the IPAM plugin \"%s\"", c->ipam_type);
	if (cni_plugin_find(env->path, c->ipam_type, bin, sizeof(bin)) < 0)
		return cni_fail(e, CNI_ERR_IPAM, "IPAM plugin not found",
				"ipam.type \"%s\": no such plugin in CNI_PATH %.400s", c->ipam_type,
				env->path);
	if (cni_plugin_start(ch, bin, cmd, env->conf, env->conf_len, &ne) < 0)
		return cni_fail(e, CNI_ERR_IPAM, "IPAM plugin failed", "%s",
				nsnet_err_str(&ne, buf, sizeof(buf)));
	return 0;
}

/* The plugin's error object, passed through; else a description of its exit. */
static int plugin_error(const struct cni_child *ch, const struct cni_conf *c, int st,
			struct cni_error *e)
{
	json_t *j = ch->out ? json_loadb(ch->out, ch->outlen, 0, NULL) : NULL;
	json_t *code = json_object_get(j, "code");
	const char *msg = json_string_value(json_object_get(j, "msg"));
	const char *det = json_string_value(json_object_get(j, "details"));

	if (json_is_integer(code) && json_integer_value(code) > 0 &&
	    json_integer_value(code) < 1000000)
		cni_fail(e, (int)json_integer_value(code), msg && *msg ? msg : "IPAM plugin failed",
			 "ipam plugin %s: %.600s", c->ipam_type, det ? det : msg ? msg : "");
	else if (st >= 256)
		cni_fail(e, CNI_ERR_IPAM, "IPAM plugin failed", "ipam plugin %s killed by signal %d",
			 c->ipam_type, st - 256);
	else
		cni_fail(e, CNI_ERR_IPAM, "IPAM plugin failed",
			 "ipam plugin %s exited with status %d: %.400s", c->ipam_type, st,
			 ch->out ? ch->out : "(no output)");
	json_decref(j);
	return -1;
}

int cni_ipam_finish(struct cni_child *ch, const struct cni_conf *c, struct cni_ipam_result *res,
		    struct cni_error *e)
{
	struct nsnet_err ne = { 0 };
	char buf[900];
	int st = cni_plugin_wait(ch, &ne);

	if (st < 0)
		return cni_fail(e, CNI_ERR_IPAM, "IPAM plugin failed", "%s",
				nsnet_err_str(&ne, buf, sizeof(buf)));
	if (st != 0)
		return plugin_error(ch, c, st, e);
	if (!res)
		return 0;
	if (ch->truncated) {
		cni_fail(e, CNI_ERR_IPAM, "IPAM plugin failed",
			 "ipam plugin %s: result larger than 4 MiB", c->ipam_type);
		return -2;
	}
	if (cni_result_parse_buf(ch->out ? ch->out : "", ch->outlen, res, CNI_ERR_IPAM, e) < 0) {
		/* name the plugin */
		char d[sizeof(e->details)];

		snprintf(d, sizeof(d), "ipam plugin %s: %.600s", c->ipam_type, e->details);
		snprintf(e->details, sizeof(e->details), "%s", d);
		return -2;
	}
	return 0;
}

int cni_ipam_run(const struct cni_conf *c, const struct cni_env *env, const char *cmd,
		 struct cni_ipam_result *res, struct cni_error *e)
{
	struct cni_child ch;
	int ret = cni_ipam_start(&ch, c, env, cmd, e);

	if (ret == 0)
		ret = cni_ipam_finish(&ch, c, res, e);
	cni_child_free(&ch);
	return ret;
}
