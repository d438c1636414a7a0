// SPDX-License-Identifier: MIT
/*
 * nsnet sandbox [FILE] [-- CMD…]: a throwaway host. New network, mount and pid
 * namespaces; tmpfs over the namespace and state directories; lo up; then CMD
 * (default: an interactive shell). When CMD exits the pid namespace's init
 * (us) exits, every process inside is killed, and with them every namespace,
 * link, mount and nft table made inside. Nothing outside changes.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nsnet/apply.h"
#include "nsnet/link.h"
#include "nsnet/netns.h"
#include "nsnet/nl.h"
#include "cli.h"

static volatile pid_t child;
static volatile sig_atomic_t pending;	/* a signal that came before the child existed */

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
	else
		pending = sig;
}

/* Block (@how SIG_BLOCK) or set back the forwarded signals. */
static void mask_fwd(int how, sigset_t *old)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGINT);
	sigaddset(&s, SIGTERM);
	sigaddset(&s, SIGHUP);
	sigaddset(&s, SIGQUIT);
	sigprocmask(how, &s, old);
}

static void sandbox_usage(FILE *f)
{
	fprintf(f, "Usage: nsnet sandbox [FILE] [-- CMD [ARG…]]\n"
		   "Run CMD (default: an interactive shell) in a throwaway host: private\n"
		   "network, mount and pid namespaces, tmpfs over %s and /run/nsnet, lo up.\n"
		   "With FILE, that lab is brought up inside first. All is gone when CMD exits;\n"
		   "the exit status is CMD's.\n", nsnet_netns_dir());
}

static int mount_tmpfs(const char *dir)
{
	mkdir(dir, 0755);	/* an empty directory on the host at most, like ip netns */
	if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0) {
		msg("sandbox: mount tmpfs on %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

static int lo_up(void)
{
	struct nsnet_link_req a = NSNET_LINK_REQ_INIT;
	struct nsnet_err err = { 0 };
	struct nsnet_nl *nl;
	int ret;

	if (nsnet_nl_open(&nl, -1, &err) < 0)
		return report("sandbox: netlink", &err);
	a.name = "lo";
	a.up = 1;
	nsnet_link_set(nl, &a);
	ret = nsnet_nl_flush(nl, &err);
	nsnet_nl_close(nl);
	return ret < 0 ? report("sandbox: lo up", &err) : 0;
}

static int wait_for(pid_t pid)
{
	int st;

	for (;;) {
		pid_t w = waitpid(-1, &st, 0);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return EXIT_FAIL;
		}
		if (w == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		/* as pid 1: reap orphans */
	}
}

static void on_signals(void (*h)(int))
{
	struct sigaction sa = { .sa_handler = h };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
}

/*
 * pid 1 of the sandbox. A namespace's init gets from outside only the
 * signals it has a handler for, so the handlers go in first, then @ready
 * tells the parent it may forward (it held the signals until then). One
 * that comes during set-up ends the sandbox before CMD runs.
 */
static int sandbox_init(const char *file, char **cmd, int ready, const sigset_t *mask)
{
	const char *shell;
	char *defcmd[3];
	sigset_t old;
	pid_t pid;

	on_signals(forward);
	sigprocmask(SIG_SETMASK, mask, NULL);
	(void)!write(ready, "r", 1);	/* fails only if the parent is gone (PDEATHSIG below) */
	close(ready);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (mount("", "/", NULL, MS_SLAVE | MS_REC, NULL) < 0) {
		msg("sandbox: make / a slave: %s", strerror(errno));
		return EXIT_FAIL;
	}
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		msg("sandbox: mount /proc: %s", strerror(errno));
		return EXIT_FAIL;
	}
	umount2("/sys", MNT_DETACH);
	mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	if (mount_tmpfs(nsnet_netns_dir()) < 0 || mount_tmpfs("/run/nsnet") < 0)
		return EXIT_FAIL;
	if (lo_up())
		return EXIT_FAIL;
	setenv("NSNET_SANDBOX", "1", 1);
	if (file) {
		struct nsnet_lab_source src;
		struct nsnet_err err = { 0 };
		struct nsnet_lab *lab;
		char *text;
		int ret = lab_from_args(file, NULL, &lab, &src, &text);

		if (ret)
			return ret;
		ret = nsnet_lab_up(lab, &src, NULL, NULL, &err);
		if (ret < 0)
			ret = report("sandbox: up", &err);
		else
			fprintf(stderr, "nsnet: sandbox: lab \"%s\" is up\n", lab->name);
		nsnet_lab_free(lab);
		free(text);
		if (ret)
			return ret;
	}
	if (!cmd || !cmd[0]) {
		shell = getenv("SHELL");
		if (!shell || !*shell)
			shell = "/bin/sh";
		defcmd[0] = (char *)shell;
		defcmd[1] = "-i";
		defcmd[2] = NULL;
		cmd = defcmd;
		setenv("PS1", "[nsnet sandbox] \\w # ", 1);
		if (isatty(2))
			fprintf(stderr, "nsnet: sandbox shell; exit to throw everything away\n");
	}
	if (pending)
		return 128 + pending;	/* stopped during set-up: CMD never ran */
	mask_fwd(SIG_BLOCK, &old);
	pid = fork();
	if (pid < 0) {
		msg("sandbox: fork: %s", strerror(errno));
		return EXIT_FAIL;
	}
	if (pid == 0) {
		on_signals(SIG_DFL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		execvp(cmd[0], cmd);
		msg("sandbox: exec of \"%s\" failed: %s", cmd[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	child = pid;
	sigprocmask(SIG_SETMASK, &old, NULL);	/* held ones are forwarded now */
	if (pending)
		kill(pid, pending);
	return wait_for(pid);
}

/*
 * LeakSanitizer checks at exit by cloning a tracer; once this process has
 * unshared its PID namespace and the namespace's init has exited, clone()
 * fails and LSan aborts. Check for leaks at the last point that works instead
 * (a no-op in builds without LSan).
 */
extern void __lsan_do_leak_check(void) __attribute__((weak));

static void leak_check_now(void)
{
	if (__lsan_do_leak_check)
		__lsan_do_leak_check();
}

int cmd_sandbox(int argc, char **argv)
{
	const char *file = NULL;
	char **cmd = NULL, c;
	int i, st, rp[2];
	sigset_t old;
	pid_t pid;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			cmd = argv + i + 1;
			break;
		}
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			sandbox_usage(stdout);
			return 0;
		}
		if (argv[i][0] == '-' || file) {
			sandbox_usage(stderr);
			return EXIT_USAGE;
		}
		file = argv[i];
	}
	leak_check_now();
	if (unshare(CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID) < 0) {
		msg("sandbox: unshare(net, mount, pid): %s", strerror(errno));
		return EXIT_FAIL;
	}
	if (pipe2(rp, O_CLOEXEC) < 0) {
		msg("sandbox: pipe: %s", strerror(errno));
		return EXIT_FAIL;
	}
	fflush(NULL);
	/* held until the sandbox's init can take them (its handlers are in) */
	mask_fwd(SIG_BLOCK, &old);
	pid = fork();
	if (pid < 0) {
		msg("sandbox: fork: %s", strerror(errno));
		return EXIT_FAIL;
	}
	if (pid == 0) {
		close(rp[0]);
		st = sandbox_init(file, cmd, rp[1], &old);
		leak_check_now();	/* _exit() skips the at-exit check */
		_exit(st);
	}
	close(rp[1]);
	child = pid;
	on_signals(forward);
	while (read(rp[0], &c, 1) < 0 && errno == EINTR)
		;
	close(rp[0]);
	sigprocmask(SIG_SETMASK, &old, NULL);
	for (;;) {
		if (waitpid(pid, &st, 0) < 0) {
			if (errno == EINTR)
				continue;
			return EXIT_FAIL;
		}
		break;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
