// SPDX-License-Identifier: MIT
/*
 * Rootless use (nsnet/rootless.h): the hook main() runs around every command
 * of an unprivileged user (join the per-user holder's namespaces first;
 * afterwards publish forwards and stop the holder when nothing is left), and
 * nsnet rootless [status] | exec [--] CMD… | stop [--force].
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nsnet/netns.h"
#include "nsnet/rootless.h"
#include "nsnet/state.h"
#include "cli.h"

enum {
	RL_ENTER = 1,		/* join the holder if it runs */
	RL_CREATE = 2,		/* start it if not */
	RL_SYNC = 4,		/* afterwards: publish every lab's forwards */
	RL_RELEASE = 8,		/* afterwards: stop the holder if nothing is left */
	RL_SELF = 16,		/* the command deals with it */
	RL_QUIET = 32,		/* no message (completion): without the holder, nothing */
};

static const struct {
	const char *name;
	int flags;
} rl_cmds[] = {
	{ "up", RL_ENTER | RL_CREATE | RL_SYNC | RL_RELEASE },
	{ "down", RL_ENTER | RL_SYNC | RL_RELEASE },
	{ "diff", RL_ENTER },
	{ "status", RL_ENTER },
	{ "exec", RL_ENTER },
	{ "pingall", RL_ENTER },
	{ "events", RL_ENTER },
	{ "link", RL_ENTER },
	{ "capture", RL_ENTER },
	{ "forward", RL_ENTER | RL_SYNC },
	{ "graph", RL_ENTER },
	{ "validate", RL_ENTER },
	{ "ns", RL_ENTER },	/* add / attach: + CREATE; del: + RELEASE */
	{ "rootless", RL_SELF },
	{ "__complete", RL_ENTER | RL_QUIET },
};

static int rl_flags;

static void warn_started(const struct nsnet_rootless_info *info)
{
	if (info->started && !strcmp(info->helper, "none"))
		msg("rootless: no NAT helper (%s): labs have no way out to the host's network and "
		    "their forwards are not published on its 127.0.0.1", info->note);
	if (info->recovered)
		msg("rootless: the holder of %s was gone (and their namespaces with it): torn down "
		    "from the journal", info->lost);
}

int rootless_begin(const char *cmd, int argc, char **argv)
{
	struct nsnet_rootless_info info;
	struct nsnet_err err = { 0 };
	size_t i;
	int ret;

	if (!nsnet_rootless_needed())
		return 0;
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return 0;
	for (i = 0; i < sizeof(rl_cmds) / sizeof(rl_cmds[0]); i++)
		if (!strcmp(rl_cmds[i].name, cmd))
			break;
	if (i == sizeof(rl_cmds) / sizeof(rl_cmds[0])) {
		msg("%s: needs root (rootless, nsnet runs up, down, diff, status, exec, pingall, "
		    "events, link, forward, capture, graph, validate, ns: see nsnet(8), ROOTLESS)", cmd);
		return EXIT_FAIL;
	}
	rl_flags = rl_cmds[i].flags;
	if (rl_flags & RL_SELF)
		return 0;
	if (!strcmp(cmd, "ns") && argc > 1) {
		if (!strcmp(argv[1], "add") || !strcmp(argv[1], "attach"))
			rl_flags |= RL_CREATE;
		else if (!strcmp(argv[1], "del") || !strcmp(argv[1], "delete"))
			rl_flags |= RL_RELEASE;
	}
	ret = nsnet_rootless_enter(rl_flags & RL_CREATE ? NSNET_ROOTLESS_CREATE : 0, &info, &err);
	if (rl_flags & RL_QUIET)
		return 0;
	if (ret < 0)
		return report("rootless", &err);
	warn_started(&info);
	if (info.recovered)
		rl_flags |= RL_RELEASE;	/* it may have been all there was */
	return 0;
}

int rootless_end(int ret)
{
	struct nsnet_err err = { 0 };

	if (!nsnet_rootless_entered())
		return ret;
	if ((rl_flags & RL_SYNC) && nsnet_rootless_sync(&err) < 0) {
		report("rootless", &err);
		if (ret == 0)
			ret = EXIT_FAIL;
	}
	nsnet_err_clear(&err);
	if ((rl_flags & RL_RELEASE) && nsnet_rootless_release(&err) < 0)
		report("rootless: stopping the holder", &err);
	return ret;
}

/* ---- nsnet rootless ---------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f, "Usage: nsnet rootless [status] [-j]\n"
		   "       nsnet rootless exec [--] CMD [ARG…]\n"
		   "       nsnet rootless stop [--force]\n"
		   "An unprivileged user's labs live in one user+mount+network namespace kept by a\n"
		   "per-user holder process (state in $XDG_RUNTIME_DIR/nsnet). status: the holder,\n"
		   "its NAT helper (pasta or slirp4netns) and the forwards it publishes on the host's\n"
		   "127.0.0.1; exec: CMD inside the holder's namespaces (the labs' host side);\n"
		   "stop: end the holder when no lab is up (--force: with every lab in it).\n");
}

static int rl_status(void)
{
	struct nsnet_rootless_status st;
	struct nsnet_err err = { 0 };
	char dir[4096];
	size_t i;
	int ret;

	if (nsnet_rootless_dir(dir, sizeof(dir), &err) < 0)
		return report("rootless", &err);
	ret = nsnet_rootless_status(&st, &err);
	if (ret < 0)
		return report("rootless", &err);
	if (opt_json) {
		printf("{\"dir\":");
		json_str(stdout, dir);
		if (ret == 0) {
			printf(",\"holder\":null}\n");
			return 0;
		}
		printf(",\"holder\":%d,\"ns\":%d,\"helper\":", (int)st.holder, (int)st.ns);
		json_str(stdout, st.helper);
		printf(",\"helper_pid\":%d,\"note\":", (int)st.helper_pid);
		json_str(stdout, st.note);
		printf(",\"forwards\":[");
		for (i = 0; i < st.npubs; i++) {
			printf("%s{\"lab\":", i ? "," : "");
			json_str(stdout, st.pubs[i].lab);
			printf(",\"proto\":\"%s\",\"port\":%u,\"count\":%u}",
			       st.pubs[i].proto == IPPROTO_UDP ? "udp" : "tcp", st.pubs[i].port,
			       st.pubs[i].count);
		}
		printf("]}\n");
	} else if (ret == 0) {
		printf("dir      %s\nholder   none (the next nsnet up starts one)\n", dir);
	} else {
		printf("dir      %s\nholder   %d (namespaces of %d)\n", dir, (int)st.holder, (int)st.ns);
		if (st.helper_pid)
			printf("helper   %s %d\n", st.helper, (int)st.helper_pid);
		else
			printf("helper   none (%s)\n", st.note);
		for (i = 0; i < st.npubs; i++) {
			printf("forward  %s 127.0.0.1:%u", st.pubs[i].proto == IPPROTO_UDP ? "udp" : "tcp",
			       st.pubs[i].port);
			if (st.pubs[i].count > 1)
				printf("-%u", st.pubs[i].port + st.pubs[i].count - 1);
			printf(" (lab %s)\n", st.pubs[i].lab);
		}
	}
	nsnet_rootless_status_free(&st);
	return 0;
}

static int rl_exec(char **cmd)
{
	struct nsnet_rootless_info info;
	struct nsnet_err err = { 0 };

	if (nsnet_rootless_enter(NSNET_ROOTLESS_CREATE, &info, &err) < 0)
		return report("rootless", &err);
	warn_started(&info);
	fflush(stdout);
	execvp(cmd[0], cmd);
	msg("rootless: exec of \"%s\" failed: %s", cmd[0], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

static int rl_stop(int force)
{
	struct nsnet_err err = { 0 };
	char **labs = NULL, **ns = NULL;
	int ret, n, m;

	ret = nsnet_rootless_enter(0, NULL, &err);
	if (ret < 0)
		return report("rootless", &err);
	if (ret == 0) {
		fprintf(stderr, "nsnet: rootless: no holder runs\n");
		return 0;
	}
	if (force)
		ret = nsnet_rootless_stop(&err);
	else {
		n = nsnet_state_labs(&labs, &err);
		m = n < 0 ? -1 : nsnet_netns_list(&ns, &err);
		if (n < 0 || m < 0) {
			nsnet_strv_free(labs);
			return report("rootless", &err);
		}
		if (n || m) {
			msg("rootless: %d lab%s and %d namespace%s are up (nsnet down them first, or "
			    "stop --force to end them with the holder)", n, n == 1 ? "" : "s", m,
			    m == 1 ? "" : "s");
			nsnet_strv_free(labs);
			nsnet_strv_free(ns);
			return EXIT_FAIL;
		}
		nsnet_strv_free(labs);
		nsnet_strv_free(ns);
		ret = nsnet_rootless_release(&err);
		if (ret == 0) {
			msg("rootless: another nsnet command is running; try again, or stop --force");
			return EXIT_FAIL;
		}
	}
	if (ret < 0)
		return report("rootless: stop", &err);
	return 0;
}

int cmd_rootless(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "status";
	int i;

	if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(sub, "-j") || !strcmp(sub, "--json")) {
		opt_json = 1;
		sub = "status";
	}
	if (!nsnet_rootless_needed()) {
		if (!strcmp(sub, "status")) {
			printf("%s", opt_json ? "{\"holder\":null,\"root\":true}\n" :
			       "running with privileges: labs are not rootless\n");
			return 0;
		}
		msg("rootless: running with privileges: there is no rootless holder to %s", sub);
		return EXIT_USAGE;
	}
	if (!strcmp(sub, "status")) {
		for (i = 2; i < argc; i++) {
			if (strcmp(argv[i], "-j") && strcmp(argv[i], "--json")) {
				usage(stderr);
				return EXIT_USAGE;
			}
			opt_json = 1;
		}
		return rl_status();
	}
	if (!strcmp(sub, "exec")) {
		i = 2;
		if (i < argc && !strcmp(argv[i], "--"))
			i++;
		if (i >= argc) {
			usage(stderr);
			return EXIT_USAGE;
		}
		return rl_exec(argv + i);
	}
	if (!strcmp(sub, "stop")) {
		if (argc > 3 || (argc == 3 && strcmp(argv[2], "--force") && strcmp(argv[2], "-f"))) {
			usage(stderr);
			return EXIT_USAGE;
		}
		return rl_stop(argc == 3);
	}
	msg("rootless: unknown subcommand \"%s\"", sub);
	usage(stderr);
	return EXIT_USAGE;
}
