// SPDX-License-Identifier: MIT
/* Per-namespace sysctls through /proc/sys, opened inside the namespace. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nsnet/netns.h"
#include "nsnet/nl.h"
#include "nsnet/sysctl.h"

int nsnet_sysctl_check(const char *key, struct nsnet_err *err)
{
	const char *p;

	if (!key || !*key || strlen(key) > 200)
		return nsnet_err_set(err, -EINVAL, "invalid sysctl key");
	if (strstr(key, "..") || key[0] == '.' || key[0] == '/')
		return nsnet_err_set(err, -EINVAL, "invalid sysctl key \"%s\"", key);
	for (p = key; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-' || *p == '/'))
			return nsnet_err_set(err, -EINVAL,
					     "invalid sysctl key \"%s\": bad character", key);
	return 0;
}

struct sysctl_arg {
	const char *key, *value;
	char *old;
	size_t oldlen;
	struct nsnet_err *err;
};

static int do_sysctl(void *p)
{
	struct sysctl_arg *a = p;
	char path[PATH_MAX], *q;
	int fd, ret = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/sys/%s", a->key);
	/*
	 * Like sysctl(8): if the first separator is a dot, dots separate
	 * levels and a slash stands for a dot inside a level
	 * ("net.ipv4.conf.eth0/100.forwarding"); otherwise the key is a path.
	 */
	if (path[10 + strcspn(a->key, "./")] == '.')
		for (q = path + 10; *q; q++)
			*q = *q == '.' ? '/' : *q == '/' ? '.' : *q;
	fd = open(path, (a->value ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return nsnet_err_set(a->err, -errno, "sysctl %s: %s", a->key,
				     errno == ENOENT ? "no such key" : strerror(errno));
	if (a->old && a->oldlen) {
		n = read(fd, a->old, a->oldlen - 1);
		if (n < 0) {
			ret = nsnet_err_set(a->err, -errno, "sysctl %s: read: %s", a->key,
					    strerror(errno));
			goto out;
		}
		while (n > 0 && (a->old[n - 1] == '\n' || a->old[n - 1] == ' '))
			n--;
		a->old[n] = '\0';
	}
	if (a->value) {
		size_t len = strlen(a->value);

		if ((ret = nsnet_fault_point()) < 0) {
			nsnet_err_set(a->err, ret, "sysctl %s: injected fault", a->key);
			goto out;
		}
		if (pwrite(fd, a->value, len, 0) != (ssize_t)len)
			ret = nsnet_err_set(a->err, -errno, "sysctl %s=%s: %s", a->key, a->value,
					    strerror(errno));
	}
out:
	close(fd);
	return ret;
}

int nsnet_sysctl(int nsfd, const char *key, const char *value, char *old, size_t oldlen,
		 struct nsnet_err *err)
{
	struct sysctl_arg a = { key, value, old, oldlen, err };
	int ret = nsnet_sysctl_check(key, err);

	if (ret < 0)
		return ret;
	if (nsfd < 0)
		return do_sysctl(&a);
	return nsnet_netns_call(nsfd, do_sysctl, &a, err);
}
