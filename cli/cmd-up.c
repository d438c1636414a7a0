// SPDX-License-Identifier: MIT
/* nsnet up / down / validate */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nsnet/apply.h"
#include "nsnet/capture.h"
#include "nsnet/netns.h"
#include "nsnet/state.h"
#include "cli.h"

static void up_usage(FILE *f)
{
	fprintf(f, "Usage: nsnet up [FILE | --topo SPEC] [--host NAME] [-q]\n"
		   "Bring a lab up: FILE (nsnet-lab(5)), a generated topology (SPEC: star,N |\n"
		   "linear,N | tree,DEPTH,FANOUT), or with neither the built-in seed lab.\n"
		   "If the lab is up already, converge it: apply only what differs (see\n"
		   "`nsnet diff`), leaving everything else untouched.\n"
		   "Everything is validated first; a kernel refusal rolls everything back.\n"
		   "A lab with hosts: (nsnet-lab(5)) brings up this machine's part: --host NAME,\n"
		   "or the host whose underlay address is an address of this machine.\n");
}

/* Parse, check, or generate the lab an up/validate/graph command names. */
int lab_from_args(const char *file, const char *topo, struct nsnet_lab **lab,
		  struct nsnet_lab_source *src, char **text)
{
	struct nsnet_err err = { 0 };
	static char abspath[PATH_MAX];
	size_t len = 0;
	int ret;

	*text = NULL;
	memset(src, 0, sizeof(*src));
	if (file) {
		ret = load_lab_file(file, lab, text, &len, &err);
		if (ret == 0 && !opt_host_any)
			ret = nsnet_lab_set_host(*lab, opt_host, &err);
		if (ret < 0) {
			nsnet_lab_free(*lab);
			*lab = NULL;
			free(*text);
			*text = NULL;
			return report(NULL, &err);
		}
		if (!realpath(file, abspath))
			snprintf(abspath, sizeof(abspath), "%s", file);
		src->kind = "file";
		src->arg = abspath;
		src->text = *text;
		src->len = len;
		return 0;
	}
	if (topo) {
		ret = nsnet_lab_topo(topo, lab, &err);
		src->kind = "topo";
		src->arg = topo;
	} else {
		ret = nsnet_lab_seed(lab, &err);
		src->kind = "seed";
		src->arg = "-";
	}
	if (ret == 0)
		ret = nsnet_lab_check(*lab, &err);
	if (ret == 0 && !opt_host_any)
		ret = nsnet_lab_set_host(*lab, opt_host, &err);
	if (ret < 0) {
		nsnet_lab_free(*lab);
		*lab = NULL;
		return report(NULL, &err);
	}
	return 0;
}

static int parse_up_args(int argc, char **argv, const char **file, const char **topo, int *quiet,
			 void (*usage)(FILE *))
{
	int i;

	*file = *topo = NULL;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return -1;
		} else if (!strcmp(argv[i], "--topo") && i + 1 < argc) {
			*topo = argv[++i];
		} else if (!strncmp(argv[i], "--topo=", 7)) {
			*topo = argv[i] + 7;
		} else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
			if (quiet)
				*quiet = 1;
		} else if (!strcmp(argv[i], "--host") && i + 1 < argc) {
			opt_host = argv[++i];
		} else if (argv[i][0] != '-' && !*file) {
			*file = argv[i];
		} else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (*file && *topo) {
		usage(stderr);
		return EXIT_USAGE;
	}
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cmd_up(int argc, char **argv)
{
	struct nsnet_err err = { 0 };
	struct nsnet_lab_source src;
	struct nsnet_lab *lab;
	const char *file, *topo;
	int quiet = 0, ret, was_up;
	char *text;
	double t0 = now();

	ret = parse_up_args(argc, argv, &file, &topo, &quiet, up_usage);
	if (ret)
		return ret < 0 ? 0 : ret;
	ret = lab_from_args(file, topo, &lab, &src, &text);
	if (ret)
		return ret;
	raise_nofile(nsnet_lab_fds(lab));	/* a namespace handle per node, and some */
	was_up = nsnet_state_exists(lab->name);
	/* (a converge makes its read-only checks under the lab's lock) */
	if (!was_up && nsnet_lab_preflight(lab, &err) < 0) {
		/*
		 * Unlocked: a concurrent up of the same lab may have created its
		 * journal and then the objects seen here as clashes.
		 */
		if (!nsnet_state_exists(lab->name)) {
			ret = err.error == -EEXIST ? (report(NULL, &err), EXIT_USAGE) :
						     report(NULL, &err);
			goto out;
		}
		was_up = 1;
	}
	ret = nsnet_lab_up(lab, &src, !quiet && isatty(2) && lab->nnodes >= 50 ? progress_tty : NULL,
			   "up", &err);
	if (ret < 0) {
		ret = report("up", &err);
		if (err.error == -EEXIST)
			ret = EXIT_USAGE;	/* a clash found by the locked checks */
		else if (ret == EXIT_USAGE)
			ret = EXIT_FAIL;
		/* EEXIST, EOPNOTSUPP: the locked checks refused, nothing was done */
		if (err.error != -EEXIST && err.error != -EOPNOTSUPP &&
		    !strstr(err.msg, "rollback is incomplete"))
			msg(was_up ? "up: rolled back; lab \"%s\" is as it was before" :
				     "up: rolled back; nothing of lab \"%s\" is left", lab->name);
		goto out;
	}
	if (!quiet) {
		if (ret == 1)
			fprintf(stderr, "nsnet: lab \"%s\" is up and matches its file: nothing to do "
				"(%.3f s)\n", lab->name, now() - t0);
		else if (was_up)
			fprintf(stderr, "nsnet: lab \"%s\" converged: %zu nodes, %zu bridges "
				"(%.3f s)\n", lab->name, lab->nnodes, lab->nbridges, now() - t0);
		else
			fprintf(stderr, "nsnet: lab \"%s\" is up: %zu nodes, %zu bridges (%.2f s)\n",
				lab->name, lab->nnodes, lab->nbridges, now() - t0);
	}
	ret = 0;
out:
	nsnet_lab_free(lab);
	free(text);
	return ret;
}

static void down_usage(FILE *f)
{
	fprintf(f, "Usage: nsnet down [-l LAB | LAB | FILE] [-q]\n"
		   "Remove everything the lab created (from its journal; the file is not needed).\n"
		   "With one lab up, LAB may be omitted. A named lab that is not up is an error\n"
		   "(exit 1: \"no lab NAME is up\"); a half-removed one is finished off (exit 0).\n");
}

/* Capture files (capture: true) outlive the lab: say where they are. */
static void say_captures(const char *lab)
{
	char dir[PATH_MAX];
	struct stat st;

	if (nsnet_capture_dir(lab, dir, sizeof(dir)) == 0 && lstat(dir, &st) == 0 &&
	    S_ISDIR(st.st_mode))
		msg("the captures of lab \"%s\" are kept in %s/", lab, dir);
}

int cmd_down(int argc, char **argv)
{
	struct nsnet_err err = { 0 };
	const char *arg = NULL;
	char name[PATH_MAX];
	int i, quiet = 0, ret, was_up;
	double t0 = now();

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			down_usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
			quiet = 1;
		} else if ((!strcmp(argv[i], "-l") || !strcmp(argv[i], "--lab")) && i + 1 < argc &&
			   !arg) {
			arg = argv[++i];
		} else if (argv[i][0] != '-' && !arg) {
			arg = argv[i];
		} else {
			down_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (!arg) {
		char **labs;
		int n = user_labs(&labs, &err);

		if (n < 0)
			return report("down", &err);
		nsnet_strv_free(labs);
		if (n == 0) {
			if (!quiet)
				msg("no lab is up");
			return 0;
		}
	}
	ret = resolve_lab(arg, name, sizeof(name));
	if (ret)
		return ret;
	was_up = nsnet_state_exists(name);
	ret = nsnet_lab_down(name, !quiet && isatty(2) ? progress_tty : NULL, "down", &err);
	if (ret < 0)
		return report("down", &err);
	if (ret == 1 && was_up)
		return 0;	/* a down racing ours took it down meanwhile: down it is */
	if (ret == 1) {		/* named, and nothing of it is up: a typo must not pass */
		msg("no lab %s is up", name);
		return EXIT_FAIL;
	}
	if (!quiet) {
		fprintf(stderr, "nsnet: lab \"%s\" is down (%.2f s)\n", name, now() - t0);
		say_captures(name);
	}
	return 0;
}

static void validate_usage(FILE *f)
{
	fprintf(f, "Usage: nsnet validate [FILE | --topo SPEC] [--host NAME]\n"
		   "Every check `up` makes, without changing the system. Exit 0 if valid, 2 if not.\n"
		   "A lab with hosts: is checked whole; its per-host checks need --host or a local\n"
		   "underlay address.\n");
}

int cmd_validate(int argc, char **argv)
{
	struct nsnet_err err = { 0 };
	struct nsnet_lab_source src;
	struct nsnet_lab *lab;
	const char *file, *topo;
	char *text;
	int ret;

	ret = parse_up_args(argc, argv, &file, &topo, NULL, validate_usage);
	if (ret)
		return ret < 0 ? 0 : ret;
	opt_host_any = !opt_host;	/* a multi-host lab is valid as a whole */
	ret = lab_from_args(file, topo, &lab, &src, &text);
	if (ret)
		return ret;
	if (lab->nhosts && lab->local < 0) {
		printf("%s: lab \"%s\" is valid: %zu nodes, %zu bridges, %zu links on %zu hosts "
		       "(name one with --host to check it against this machine)\n",
		       file ? file : topo ? topo : "<seed>", lab->name, lab->nnodes, lab->nbridges,
		       lab->nlinks, lab->nhosts);
	} else if (nsnet_lab_preflight(lab, &err) < 0) {
		report(NULL, &err);
		ret = EXIT_USAGE;
	} else {
		printf("%s: lab \"%s\" is valid: %zu nodes, %zu bridges, %zu links\n",
		       file ? file : topo ? topo : "<seed>", lab->name, lab->nnodes, lab->nbridges,
		       lab->nlinks);
	}
	nsnet_lab_free(lab);
	free(text);
	return ret;
}
