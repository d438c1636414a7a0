// SPDX-License-Identifier: MIT
/* Finding and loading labs for the lab commands. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nsnet/apply.h"
#include "nsnet/netns.h"
#include "nsnet/run.h"
#include "nsnet/state.h"
#include "cli.h"

int load_lab_file(const char *path, struct nsnet_lab **lab, char **text, size_t *len,
		  struct nsnet_err *err)
{
	FILE *f = fopen(path, "re");
	struct stat st;
	size_t cap = 8192, n = 0, r;
	char *buf;
	int ret;

	*lab = NULL;
	*text = NULL;
	if (!f)
		return nsnet_err_set(err, errno == ENOENT ? -EINVAL : -errno, "%s: %s", path,
				     strerror(errno));
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		return nsnet_err_set(err, -EINVAL, "%s: is a directory, not a lab file", path);
	}
	buf = malloc(cap + 1);
	while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			char *nb = cap < (8u << 20) ? realloc(buf, cap * 2 + 1) : NULL;

			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (!buf)
		return nsnet_err_set(err, -EINVAL, "%s: too large or out of memory", path);
	buf[n] = '\0';
	ret = nsnet_lab_parse(buf, n, path, lab, err);
	if (ret == 0) {	/* files: given as { file: SRC }, beside the lab file */
		char dir[PATH_MAX], *slash;

		snprintf(dir, sizeof(dir), "%s", path);
		slash = strrchr(dir, '/');
		if (slash)
			*(slash == dir ? slash + 1 : slash) = '\0';
		else
			snprintf(dir, sizeof(dir), ".");
		ret = nsnet_lab_files_load(*lab, dir, err);
	}
	if (ret == 0)
		ret = nsnet_lab_check(*lab, err);
	if (ret < 0) {
		nsnet_lab_free(*lab);
		*lab = NULL;
		free(buf);
		return ret;
	}
	*text = buf;
	*len = n;
	return 0;
}

/*
 * The labs with state, without the default network of `nsnet run` (lab
 * "run"): it is there for runs, not a lab the user brought up, so it never
 * makes an omitted name ambiguous. Returns the count or -errno.
 */
int user_labs(char ***labs, struct nsnet_err *err)
{
	int n = nsnet_state_labs(labs, err), i, k = 0;

	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		if (!strcmp((*labs)[i], NSNET_RUN_LAB))
			free((*labs)[i]);
		else
			(*labs)[k++] = (*labs)[i];
	}
	(*labs)[k] = NULL;
	return k;
}

/*
 * LAB|FILE|NULL → lab name. An existing file is parsed for its name; NULL
 * means the only lab with state (an error if there are none or several).
 */
int resolve_lab(const char *arg, char *name, size_t len)
{
	struct nsnet_err err = { 0 };
	struct stat st;
	char **labs;
	int n;

	if (arg && strchr(arg, '/') == NULL && nsnet_state_exists(arg)) {
		snprintf(name, len, "%s", arg);
		return 0;
	}
	if (arg && stat(arg, &st) == 0 && S_ISREG(st.st_mode)) {
		struct nsnet_lab *lab;
		char *text;
		size_t tlen;

		if (load_lab_file(arg, &lab, &text, &tlen, &err) < 0)
			return report(NULL, &err);
		snprintf(name, len, "%s", lab->name);
		nsnet_lab_free(lab);
		free(text);
		return 0;
	}
	if (arg) {
		snprintf(name, len, "%s", arg);
		return 0;
	}
	n = user_labs(&labs, &err);
	if (n < 0)
		return report(NULL, &err);
	if (n == 1)
		snprintf(name, len, "%s", labs[0]);
	else if (n == 0)
		msg("no lab is up (name one, or bring one up with nsnet up)");
	else
		msg("%d labs are up (%s, %s%s): name one", n, labs[0], labs[1], n > 2 ? ", …" : "");
	nsnet_strv_free(labs);
	return n == 1 ? 0 : EXIT_FAIL;
}

/* The saved (running) lab named by -l LAB or the only one up. */
int open_saved_lab(const char *arg, struct nsnet_lab **lab)
{
	struct nsnet_err err = { 0 };
	char name[PATH_MAX];
	int ret = resolve_lab(arg, name, sizeof(name));

	if (ret)
		return ret;
	if (!nsnet_state_exists(name)) {
		msg("lab \"%s\" is not up", name);
		return EXIT_FAIL;
	}
	if (nsnet_lab_saved(name, lab, &err) < 0)
		return report(name, &err);
	return 0;
}

void progress_tty(const char *phase, size_t done, size_t total, void *arg)
{
	const char *verb = arg;

	fprintf(stderr, "\rnsnet: %s: %s %zu/%zu\033[K", verb, phase, done, total);
	if (done == total)
		fputc('\r', stderr);
	fflush(stderr);
}
