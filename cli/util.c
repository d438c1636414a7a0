// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

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
