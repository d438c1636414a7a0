/* SPDX-License-Identifier: MIT */
/* Finding the source tree (examples/, tests/labs/) from a unit test. */
#ifndef NSNET_TEST_LAB_ROOT_H
#define NSNET_TEST_LAB_ROOT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* $ROOT (tests/run.sh exports it), else ".", else two levels above the test binary. */
static const char *lab_root(const char *argv0)
{
	static char buf[4096];
	const char *env = getenv("ROOT");
	char *slash;

	if (env && *env)
		return env;
	if (!access("examples/seed.yaml", R_OK))
		return ".";
	snprintf(buf, sizeof(buf), "%s", argv0);
	slash = strrchr(buf, '/');
	if (slash) {
		snprintf(slash, sizeof(buf) - (size_t)(slash - buf), "/../..");
		return buf;
	}
	return ".";
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = (n + 4096 + 1) * 2);

			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		if (!r)
			break;
		n += r;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

#endif
