// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nsnet/err.h"

int nsnet_err_set(struct nsnet_err *e, int error, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return error;
	e->error = error;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	} else {
		snprintf(e->msg, sizeof(e->msg), "%s", strerror(error < 0 ? -error : error));
	}
	return error;
}

void nsnet_err_where(struct nsnet_err *e, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(e->where, sizeof(e->where), fmt, ap);
	va_end(ap);
}

void nsnet_err_clear(struct nsnet_err *e)
{
	if (!e)
		return;
	e->error = 0;
	e->msg[0] = '\0';
	e->where[0] = '\0';
}

const char *nsnet_err_str(const struct nsnet_err *e, char *buf, unsigned long len)
{
	const char *msg = e->msg[0] ? e->msg : strerror(e->error < 0 ? -e->error : e->error);

	if (e->where[0])
		snprintf(buf, len, "%s: %s", e->where, msg);
	else
		snprintf(buf, len, "%s", msg);
	return buf;
}
