// SPDX-License-Identifier: MIT
/* nsnet: table-dispatched command line. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "nsnet/netns.h"
#include "cli.h"

#ifndef NSNET_VERSION
#define NSNET_VERSION "0.1.0"
#endif

static const struct {
	const char *name;
	cmd_fn fn;
	const char *help;
} cmds[] = {
	{ "ns", cmd_ns, "named network namespaces, like ip netns (add, del, list, exec, pids, identify, attach)" },
	{ "up", cmd_up, "bring a lab up, or converge a running one (FILE, --topo SPEC, or seed)" },
	{ "diff", cmd_diff, "the plan up would apply to a running lab (nothing changed)" },
	{ "down", cmd_down, "tear a lab down from its journal (idempotent)" },
	{ "status", cmd_status, "nodes, interfaces, addresses, routes, forwards, health" },
	{ "exec", cmd_exec, "run a command inside a lab node" },
	{ "logs", cmd_logs, "print the output of a node's commands (exec:)" },
	{ "pingall", cmd_pingall, "all-pairs reachability matrix" },
	{ "events", cmd_events, "stream what changes in a running lab (links, addresses, routes, qdiscs, nodes)" },
	{ "forward", cmd_forward, "port forwards of a running lab (add, del, list)" },
	{ "capture", cmd_capture, "capture packets on a node's interface (libpcap, tcpdump filters)" },
	{ "link", cmd_link, "cables of a running lab: show, set NODE:IF up|down|rate …|delay …|clear" },
	{ "graph", cmd_graph, "Graphviz DOT of a lab" },
	{ "validate", cmd_validate, "every check up makes, without changing anything" },
	{ "sandbox", cmd_sandbox, "a throwaway host: private net+mount+pid namespace, then CMD" },
	{ "run", cmd_run, "run CMD in fresh namespaces on a lab bridge (address, route, NAT, -p)" },
	{ "gc", cmd_gc, "remove what killed nsnet run instances left behind" },
	{ "rootless", cmd_rootless, "the per-user holder of an unprivileged user's labs (status, exec, stop)" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: nsnet [-j] [--netns-dir DIR] COMMAND [ARGS…]\n\n"
		   "Virtual networks from Linux network namespaces, over netlink.\n\n"
		   "Commands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-9s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\nOptions:\n"
		   "  -j, --json          JSON output for listing commands\n"
		   "  --netns-dir DIR     namespace directory (default /run/netns, env NSNET_NETNS_DIR)\n"
		   "  -h, --help          this help; `nsnet COMMAND --help` for a command\n"
		   "  -V, --version       version\n"
		   "\nRun by an unprivileged user, the lab commands work rootless: inside a user\n"
		   "namespace kept by a per-user holder, state in $XDG_RUNTIME_DIR/nsnet, NAT and\n"
		   "forwards from 127.0.0.1 through pasta or slirp4netns (nsnet rootless --help).\n"
		   "\nSee nsnet(8).\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "netns-dir", required_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	struct rlimit rl;
	size_t i;
	int c;

	/* One socket per namespace: large labs need more than the default 1024 fds. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	while ((c = getopt_long(argc, argv, "+jhV", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			opt_json = 1;
			break;
		case 'N':
			nsnet_netns_set_dir(optarg);
			setenv("NSNET_NETNS_DIR", optarg, 1);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("nsnet %s\n", NSNET_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (!strcmp(argv[optind], cmds[i].name)) {
			int ret;

			optind++;
			/* unprivileged: into the rootless holder's namespaces first */
			ret = rootless_begin(cmds[i].name, argc - optind + 1, argv + optind - 1);
			if (ret)
				return ret;
			ret = cmds[i].fn(argc - optind + 1, argv + optind - 1);
			return rootless_end(ret);
		}
	}
	/* not listed: the word source of the bash completion, see nsnet(8) */
	if (!strcmp(argv[optind], "__complete")) {
		rootless_begin("__complete", argc - optind, argv + optind);
		return rootless_end(cmd_complete(argc - optind, argv + optind));
	}
	msg("unknown command \"%s\" (see nsnet --help)", argv[optind]);
	return EXIT_USAGE;
}
