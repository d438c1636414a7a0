// SPDX-License-Identifier: MIT
/* nsnet run: CMD in fresh namespaces on a lab bridge; nsnet gc: what dead runs left. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsnet/run.h"
#include "cli.h"

static void run_usage(FILE *f)
{
	fprintf(f,
		"Usage: nsnet run [-l LAB] [--bridge BR] [--ip CIDR] [--gw ADDR] [--ip6 CIDR]\n"
		"                 [--gw6 ADDR]\n"
		"                 [-p [HOSTADDR:]HOSTPORT:PORT[/tcp|udp]]... [--hostname NAME]\n"
		"                 [--name NAME] [-e|--env K[=V]]... [-w|--workdir DIR]\n"
		"                 [--keep-network] -- CMD [ARG...]\n"
		"Run CMD in new network, UTS, PID, mount and IPC namespaces, on eth0 wired to a\n"
		"lab bridge with an address of its own and a default route via the bridge.\n"
		"Without -l: the default network, lab \"%s\" (bridge %s, %s and %s,\n"
		"host .1 and ::1, masquerade), created on first use and removed when the last run on it\n"
		"exits (or by `nsnet gc`, `nsnet down %s`).\n"
		"  -l LAB           a running lab; --bridge: which of its bridges (default: first)\n"
		"  --ip CIDR        the address (default: the next free one of the bridge's subnet)\n"
		"  --gw ADDR        default route via ADDR (default: the bridge's address)\n"
		"  --ip6 CIDR       the IPv6 address (default, when the bridge has an IPv6\n"
		"                   address: its subnet with the host number of the IPv4 one)\n"
		"  --gw6 ADDR       IPv6 default route via ADDR (default: the bridge's address)\n"
		"  -p SPEC          forward host HOSTPORT (on HOSTADDR, default every address and\n"
		"                   127.0.0.1) to PORT of CMD's address, in IPv4 and IPv6 (an\n"
		"                   IPv6 HOSTADDR in brackets: that family only); repeatable\n"
		"  --hostname NAME  (default: --name, else nsnet-A-B-C-D from the address)\n"
		"  --name NAME      the namespace is named NAME while it runs (nsnet ns exec NAME,\n"
		"                   ip netns exec NAME); also tags its forwards run:NAME\n"
		"  -e, --env K=V    set an environment variable (K alone: copy it from here)\n"
		"  -w, --workdir DIR\n"
		"  --keep-network   the default network stays after the last run exits\n"
		"                   (until `nsnet down run`)\n"
		"CMD runs as pid 2 under a small init (pid 1) that forwards signals and reaps\n"
		"orphans. SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1/2 sent to nsnet reach CMD.\n"
		"Exit status: CMD's (128+N if killed by signal N); 127/126 if CMD could not be\n"
		"executed; 1 if set-up failed (then CMD never ran and nothing is left); 2 usage.\n",
		NSNET_RUN_LAB, NSNET_RUN_BRIDGE, NSNET_RUN_SUBNET, NSNET_RUN_SUBNET6, NSNET_RUN_LAB);
}

/* "--opt VALUE" or "--opt=VALUE"; NULL if @arg is not @opt. */
static const char *optval(int argc, char **argv, int *i, const char *opt, const char *alt,
			  int *missing)
{
	size_t n = strlen(opt);

	if (!strncmp(argv[*i], opt, n) && argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (strcmp(argv[*i], opt) && (!alt || strcmp(argv[*i], alt)))
		return NULL;
	if (*i + 1 >= argc) {
		*missing = 1;
		return NULL;
	}
	return argv[++*i];
}

static int push(void **v, size_t *n, size_t size, const void *item)
{
	char *nv = realloc(*v, (*n + 1) * size);

	if (!nv)
		return -1;
	memcpy(nv + *n * size, item, size);
	*v = nv;
	(*n)++;
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct nsnet_run_opts o = { 0 };
	struct nsnet_err err = { 0 };
	struct nsnet_run_port *ports = NULL;
	struct nsnet_run *r = NULL;
	char **env = NULL;
	size_t nports = 0, nenv = 0, k;
	int i, missing = 0, ret;
	const char *v;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (argv[i][0] != '-')
			break;	/* CMD without "--" */
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			run_usage(stdout);
			ret = 0;
			goto out;
		} else if ((v = optval(argc, argv, &i, "--lab", "-l", &missing))) {
			o.lab = v;
		} else if ((v = optval(argc, argv, &i, "--bridge", NULL, &missing))) {
			o.bridge = v;
		} else if ((v = optval(argc, argv, &i, "--ip", NULL, &missing))) {
			o.ip = v;
		} else if ((v = optval(argc, argv, &i, "--gw", NULL, &missing))) {
			o.gw = v;
		} else if ((v = optval(argc, argv, &i, "--ip6", NULL, &missing))) {
			o.ip6 = v;
		} else if ((v = optval(argc, argv, &i, "--gw6", NULL, &missing))) {
			o.gw6 = v;
		} else if ((v = optval(argc, argv, &i, "--publish", "-p", &missing))) {
			struct nsnet_run_port p;

			if (nsnet_run_port_parse(v, &p) < 0) {
				msg("run: -p %s: expected [HOSTADDR:]HOSTPORT:PORT[/tcp|udp]", v);
				ret = EXIT_USAGE;
				goto out;
			}
			if (push((void **)&ports, &nports, sizeof(p), &p) < 0)
				goto nomem;
		} else if ((v = optval(argc, argv, &i, "--hostname", NULL, &missing))) {
			o.hostname = v;
		} else if ((v = optval(argc, argv, &i, "--name", NULL, &missing))) {
			o.name = v;
		} else if ((v = optval(argc, argv, &i, "--env", "-e", &missing))) {
			char *kv;

			if (!*v || *v == '=') {
				msg("run: --env %s: expected K=V or K", v);
				ret = EXIT_USAGE;
				goto out;
			}
			if (strchr(v, '=')) {
				kv = strdup(v);
			} else {
				const char *val = getenv(v);

				if (!val)
					continue;	/* K alone and unset here: nothing to pass */
				kv = malloc(strlen(v) + strlen(val) + 2);
				if (kv)
					sprintf(kv, "%s=%s", v, val);
			}
			if (!kv || push((void **)&env, &nenv, sizeof(kv), &kv) < 0) {
				free(kv);
				goto nomem;
			}
		} else if (!strcmp(argv[i], "--keep-network")) {
			o.keep_network = 1;
		} else if ((v = optval(argc, argv, &i, "--workdir", "-w", &missing))) {
			o.workdir = v;
		} else {
			if (missing)
				msg("run: %s needs a value", argv[i]);
			else
				msg("run: unknown option \"%s\" (see nsnet run --help)", argv[i]);
			ret = EXIT_USAGE;
			goto out;
		}
		if (missing) {
			msg("run: %s needs a value", argv[i]);
			ret = EXIT_USAGE;
			goto out;
		}
	}
	if (i >= argc) {
		msg("run: no command (nsnet run [OPTIONS] -- CMD [ARG...])");
		ret = EXIT_USAGE;
		goto out;
	}
	o.argv = argv + i;
	o.ports = ports;
	o.nports = nports;
	o.env = env;
	o.nenv = nenv;
	ret = nsnet_run_start(&o, &r, &err);
	if (ret < 0) {
		if (!strcmp(err.where, "exec")) {
			report("run", &err);
			ret = ret == -ENOENT ? 127 : 126;
		} else {
			ret = report("run", &err);
		}
		goto out;
	}
	ret = nsnet_run_wait(r, &err);
	if (ret < 0)
		ret = report("run", &err);
	memset(&err, 0, sizeof(err));
	if (nsnet_run_finish(r, &err) < 0) {
		report("run: cleanup", &err);
		msg("run: what was not removed stays recorded: nsnet gc removes it");
	}
	goto out;
nomem:
	msg("run: out of memory");
	ret = EXIT_FAIL;
out:
	for (k = 0; k < nenv; k++)
		free(env[k]);
	free(env);
	free(ports);
	return ret;
}

static void gc_usage(FILE *f)
{
	fprintf(f, "Usage: nsnet gc [LAB] [-q]\n"
		   "Remove what `nsnet run` instances whose nsnet process is gone (e.g. killed\n"
		   "with SIGKILL) left in LAB (default: every lab): processes in their\n"
		   "namespace, their named netns, port forwards, host veth, journal lines and\n"
		   "address reservations. Running instances are not touched. `nsnet run` does\n"
		   "this for its lab each time it starts.\n");
}

int cmd_gc(int argc, char **argv)
{
	struct nsnet_err err = { 0 };
	const char *lab = NULL;
	unsigned removed = 0;
	int i, quiet = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			gc_usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
			quiet = 1;
		} else if (argv[i][0] != '-' && !lab) {
			lab = argv[i];
		} else {
			gc_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (nsnet_run_gc(lab, &removed, &err) < 0)
		return report("gc", &err);
	if (!quiet)
		msg("gc: %u stale run instance%s removed", removed, removed == 1 ? "" : "s");
	return 0;
}
