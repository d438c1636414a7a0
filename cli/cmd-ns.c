// SPDX-License-Identifier: MIT
/* nsnet ns: add, del, list, exec, pids, identify, attach — like ip netns. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nsnet/netns.h"
#include "cli.h"

static void ns_usage(FILE *f)
{
	fprintf(f, "Usage: nsnet ns add NAME…\n"
		   "       nsnet ns del NAME…\n"
		   "       nsnet ns list [-j]\n"
		   "       nsnet ns exec NAME [--] CMD [ARG…]\n"
		   "       nsnet ns pids NAME [-j]\n"
		   "       nsnet ns identify [PID] [-j]\n"
		   "       nsnet ns attach NAME PID\n"
		   "Namespace directory: %s (--netns-dir, NSNET_NETNS_DIR).\n",
		nsnet_netns_dir());
}

/* Strip -j/--json anywhere in argv (like ip's global -j). */
static int take_json(int argc, char **argv)
{
	int i, j;

	for (i = j = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			opt_json = 1;
		else
			argv[j++] = argv[i];
	}
	argv[j] = NULL;
	return j;
}

static int check_names(int argc, char **argv)
{
	struct nsnet_err err = { 0 };
	int i;

	for (i = 0; i < argc; i++)
		if (nsnet_netns_name_check(argv[i], &err) < 0)
			return report(NULL, &err);
	return 0;
}

static int ns_add(int argc, char **argv)
{
	int i, ret;

	if (argc < 1) {
		ns_usage(stderr);
		return EXIT_USAGE;
	}
	ret = check_names(argc, argv);
	if (ret)
		return ret;
	for (i = 0; i < argc; i++) {
		struct nsnet_err err = { 0 };

		if (nsnet_netns_add(argv[i], NULL, NULL, &err) < 0) {
			char what[300];

			snprintf(what, sizeof(what), "ns add %s", argv[i]);
			return report(what, &err);
		}
	}
	return 0;
}

static int ns_del(int argc, char **argv)
{
	int i, ret, status = 0;

	if (argc < 1) {
		ns_usage(stderr);
		return EXIT_USAGE;
	}
	ret = check_names(argc, argv);
	if (ret)
		return ret;
	for (i = 0; i < argc; i++) {
		struct nsnet_err err = { 0 };

		if (nsnet_netns_del(argv[i], &err) < 0) {
			char what[300];

			snprintf(what, sizeof(what), "ns del %s", argv[i]);
			status = report(what, &err);
		}
	}
	return status;
}

static int ns_list(int argc, char **argv)
{
	struct nsnet_err err = { 0 };
	char **names;
	int i, n;

	if (argc) {
		ns_usage(stderr);
		return EXIT_USAGE;
	}
	n = nsnet_netns_list(&names, &err);
	if (n < 0)
		return report("ns list", &err);
	if (opt_json)
		putchar('[');
	for (i = 0; i < n; i++) {
		int id = nsnet_netns_nsid(names[i]);

		if (opt_json) {
			printf("%s{\"name\":", i ? "," : "");
			json_str(stdout, names[i]);
			if (id >= 0)
				printf(",\"id\":%d", id);
			putchar('}');
		} else if (id >= 0) {
			printf("%s (id: %d)\n", names[i], id);
		} else {
			printf("%s\n", names[i]);
		}
	}
	if (opt_json)
		puts("]");
	nsnet_strv_free(names);
	return 0;
}

static int ns_exec(int argc, char **argv)
{
	struct nsnet_err err = { 0 };
	int ret;

	if (argc >= 2 && !strcmp(argv[1], "--")) {
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	if (argc < 2) {
		ns_usage(stderr);
		return EXIT_USAGE;
	}
	ret = check_names(1, argv);
	if (ret)
		return ret;
	if (nsnet_netns_switch(argv[0], &err) < 0)
		return report("ns exec", &err);
	fflush(stdout);
	execvp(argv[1], argv + 1);
	msg("exec of \"%s\" failed: %s", argv[1], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

static int print_pids(pid_t *pids, int n)
{
	int i;

	if (opt_json)
		putchar('[');
	for (i = 0; i < n; i++)
		printf(opt_json ? "%s%d" : "%s%d\n", opt_json && i ? "," : "", (int)pids[i]);
	if (opt_json)
		puts("]");
	return 0;
}

static int ns_pids(int argc, char **argv)
{
	struct nsnet_err err = { 0 };
	pid_t *pids;
	int n, ret;

	if (argc != 1) {
		ns_usage(stderr);
		return EXIT_USAGE;
	}
	ret = check_names(1, argv);
	if (ret)
		return ret;
	n = nsnet_netns_pids(argv[0], &pids, &err);
	if (n < 0)
		return report("ns pids", &err);
	print_pids(pids, n);
	free(pids);
	return 0;
}

static int parse_pid(const char *s, pid_t *pid)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v <= 0 || v > 0x7fffffff || !*s)
		return -1;
	*pid = (pid_t)v;
	return 0;
}

static int ns_identify(int argc, char **argv)
{
	struct nsnet_err err = { 0 };
	char name[256];
	pid_t pid = 0;

	if (argc > 1 || (argc == 1 && parse_pid(argv[0], &pid) < 0)) {
		if (argc == 1)
			msg("invalid PID \"%s\"", argv[0]);
		else
			ns_usage(stderr);
		return EXIT_USAGE;
	}
	if (nsnet_netns_identify(pid, name, sizeof(name), &err) < 0)
		return report("ns identify", &err);
	if (opt_json) {
		printf("{\"name\":");
		if (name[0])
			json_str(stdout, name);
		else
			printf("null");
		puts("}");
	} else {
		puts(name);
	}
	return 0;
}

static int ns_attach(int argc, char **argv)
{
	struct nsnet_err err = { 0 };
	pid_t pid;
	int ret;

	if (argc != 2) {
		ns_usage(stderr);
		return EXIT_USAGE;
	}
	ret = check_names(1, argv);
	if (ret)
		return ret;
	if (parse_pid(argv[1], &pid) < 0) {
		msg("invalid PID \"%s\"", argv[1]);
		return EXIT_USAGE;
	}
	if (nsnet_netns_attach(argv[0], pid, &err) < 0)
		return report("ns attach", &err);
	return 0;
}

int cmd_ns(int argc, char **argv)
{
	static const struct {
		const char *name, *alias;
		int (*fn)(int, char **);
	} sub[] = {
		{ "add", NULL, ns_add },
		{ "del", "delete", ns_del },
		{ "list", "show", ns_list },
		{ "exec", NULL, ns_exec },
		{ "pids", NULL, ns_pids },
		{ "identify", NULL, ns_identify },
		{ "attach", NULL, ns_attach },
	};
	size_t i;

	if (argc < 2)
		return ns_list(0, argv + 1);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		ns_usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		if (strcmp(argv[1], sub[i].name) && (!sub[i].alias || strcmp(argv[1], sub[i].alias)))
			continue;
		/* exec passes its command line through untouched */
		if (sub[i].fn == ns_exec)
			return ns_exec(argc - 2, argv + 2);
		return sub[i].fn(take_json(argc - 2, argv + 2), argv + 2);
	}
	msg("ns: unknown subcommand \"%s\"", argv[1]);
	ns_usage(stderr);
	return EXIT_USAGE;
}
