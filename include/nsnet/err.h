/* SPDX-License-Identifier: MIT */
#ifndef NSNET_ERR_H
#define NSNET_ERR_H

/*
 * Error carrier. Library functions return 0 / >= 0 on success and -errno on
 * failure; when the caller passes a struct nsnet_err, it also receives the
 * cause: the kernel's extended-ACK text (verbatim) or our own text, and where
 * it happened (object, lab-file location).
 */
struct nsnet_err {
	int error;		/* -errno, 0 if unset */
	char msg[512];		/* human text: kernel extack or our own */
	char where[256];	/* object / location, may be empty */
};

/* Set error code and message (printf-style). Returns @error (negative). NULL-safe. */
int nsnet_err_set(struct nsnet_err *e, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Set "where" (object or file location), keeping the message. NULL-safe. */
void nsnet_err_where(struct nsnet_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Clear. NULL-safe. */
void nsnet_err_clear(struct nsnet_err *e);
/* Format "where: msg" (or "msg") into buf. */
const char *nsnet_err_str(const struct nsnet_err *e, char *buf, unsigned long len);

#endif
