// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/resource.h>

#include "cli.h"

int opt_json;
const char *opt_host;
int opt_host_any;

void msg(const char *fmt, ...)
{
	va_list ap;

	fputs("nsnet: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int report(const char *what, const struct nsnet_err *err)
{
	char buf[1024];

	nsnet_err_str(err, buf, sizeof(buf));
	if (what && *what)
		msg("%s: %s", what, buf);
	else
		msg("%s", buf);
	return err->error == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
}

void json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/*
 * At least @need open files if the system lets us: the soft limit up to the
 * hard one, the hard one too if privileged (CAP_SYS_RESOURCE), never above
 * fs.nr_open. A failure is left to the library's check to report.
 */
void raise_nofile(size_t need)
{
	struct rlimit rl;
	unsigned long nr_open = 0;
	FILE *f;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= need)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		f = fopen("/proc/sys/fs/nr_open", "re");
		if (f) {
			if (fscanf(f, "%lu", &nr_open) != 1)
				nr_open = 0;
			fclose(f);
		}
		rl.rlim_max = nr_open && nr_open < need ? nr_open : need;
	}
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}
