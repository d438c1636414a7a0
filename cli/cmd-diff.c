// SPDX-License-Identifier: MIT
/* nsnet diff: the plan `up` would apply, changing nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsnet/apply.h"
#include "nsnet/plan.h"
#include "cli.h"

static void diff_usage(FILE *f)
{
	fprintf(f, "Usage: nsnet [-j] diff [-l LAB] [FILE | --topo SPEC] [--host NAME]\n"
		   "The plan `nsnet up` of the same arguments would apply to the running lab, one\n"
		   "operation a line (+ add, - delete, ~ modify in place); nothing when the lab\n"
		   "already matches. With -j a JSON array of operations. Changes nothing.\n"
		   "  -l LAB   the lab the file must describe (an error if it names another)\n");
}

int cmd_diff(int argc, char **argv)
{
	struct nsnet_err err = { 0 };
	struct nsnet_lab_source src;
	struct nsnet_lab *lab = NULL, *from = NULL;
	struct nsnet_plan *p = NULL;
	const char *file = NULL, *topo = NULL, *want = NULL;
	char *text = NULL, line[2048];
	size_t i, shown = 0;
	int ret, k;

	for (k = 1; k < argc; k++) {
		if (!strcmp(argv[k], "-h") || !strcmp(argv[k], "--help")) {
			diff_usage(stdout);
			return 0;
		} else if (!strcmp(argv[k], "-j") || !strcmp(argv[k], "--json")) {
			opt_json = 1;
		} else if (!strcmp(argv[k], "-l") && k + 1 < argc) {
			want = argv[++k];
		} else if (!strcmp(argv[k], "--host") && k + 1 < argc) {
			opt_host = argv[++k];
		} else if (!strcmp(argv[k], "--topo") && k + 1 < argc) {
			topo = argv[++k];
		} else if (!strncmp(argv[k], "--topo=", 7)) {
			topo = argv[k] + 7;
		} else if (argv[k][0] != '-' && !file) {
			file = argv[k];
		} else {
			diff_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (file && topo) {
		diff_usage(stderr);
		return EXIT_USAGE;
	}
	ret = lab_from_args(file, topo, &lab, &src, &text);
	if (ret)
		return ret;
	if (want && strcmp(want, lab->name)) {
		msg("diff: %s describes lab \"%s\", not \"%s\"", file ? file : topo ? topo : "<seed>",
		    lab->name, want);
		ret = EXIT_USAGE;
		goto out;
	}
	ret = nsnet_lab_plan(lab, &from, &p, &err);
	if (ret < 0) {
		ret = report("diff", &err);
		goto out;
	}
	if (opt_json)
		putchar('[');
	for (i = 0; i < p->n; i++) {
		if (p->ops[i].implicit)
			continue;
		if (opt_json)
			printf("%s%s", shown ? "," : "", nsnet_plan_fmt_json(p, i, line, sizeof(line)));
		else
			printf("%s\n", nsnet_plan_fmt(p, i, line, sizeof(line)));
		shown++;
	}
	if (opt_json)
		printf("]\n");
	ret = 0;
out:
	nsnet_plan_free(p);
	nsnet_lab_free(from);
	nsnet_lab_free(lab);
	free(text);
	return ret;
}
