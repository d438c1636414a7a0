// SPDX-License-Identifier: MIT
/* Ownership journal and locks under /run/nsnet. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nsnet/netns.h"
#include "nsnet/state.h"
#include "lab-int.h"
#include "nsnet/sysctl.h"

static char state_dir[1024];

const char *nsnet_state_dir(void)
{
	if (!state_dir[0]) {
		const char *e = getenv("NSNET_STATE_DIR");

		snprintf(state_dir, sizeof(state_dir), "%s", e && *e ? e : "/run/nsnet");
	}
	return state_dir;
}

void nsnet_state_set_dir(const char *dir)
{
	snprintf(state_dir, sizeof(state_dir), "%s", dir);
}

static int valid_lab(const char *lab)
{
	const char *p;

	if (!lab || !*lab || strlen(lab) > 64)
		return 0;
	for (p = lab; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return 0;
	return 1;
}

int nsnet_state_path(const char *lab, const char *file, char *buf, size_t len)
{
	int n;

	if (!valid_lab(lab))
		return -EINVAL;
	if (file)
		n = snprintf(buf, len, "%s/%s/%s", nsnet_state_dir(), lab, file);
	else
		n = snprintf(buf, len, "%s/%s", nsnet_state_dir(), lab);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/*
 * The lab's state directory must be a real directory owned by us and not
 * writable by others: a symlink planted at STATE/<lab> would send the journal
 * (and the cleanup of `down`) elsewhere. 1: it is; 0: it does not exist.
 */
static int lab_dir_check(const char *lab, struct nsnet_err *err)
{
	char path[PATH_MAX];
	struct stat st;

	if (nsnet_state_path(lab, NULL, path, sizeof(path)) < 0)
		return nsnet_err_set(err, -EINVAL, "invalid lab name \"%s\"", lab ? lab : "");
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : nsnet_err_set(err, -errno, "%s: %s", path,
							   strerror(errno));
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022))
		return nsnet_err_set(err, -ENOTDIR, "%s is not a private directory (a symlink?): "
				     "refusing to use it", path);
	return 1;
}

static int ensure_root(struct nsnet_err *err)
{
	const char *d = nsnet_state_dir();
	struct stat st;

	if (mkdir(d, 0700) < 0 && errno != EEXIST)
		return nsnet_err_set(err, -errno, "cannot create %s: %s", d, strerror(errno));
	if (lstat(d, &st) < 0)
		return nsnet_err_set(err, -errno, "%s: %s", d, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return nsnet_err_set(err, -ENOTDIR, "%s is not a directory (symlink?)", d);
	return 0;
}

int nsnet_state_lock(const char *lab, struct nsnet_err *err)
{
	char path[PATH_MAX];
	int fd, ret;

	if (!valid_lab(lab))
		return nsnet_err_set(err, -EINVAL, "invalid lab name \"%s\"", lab);
	ret = ensure_root(err);
	if (ret < 0)
		return ret;
	snprintf(path, sizeof(path), "%s/.%s.lock", nsnet_state_dir(), lab);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return nsnet_err_set(err, -errno, "cannot open lock %s: %s", path, strerror(errno));
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			ret = nsnet_err_set(err, -errno, "lock %s: %s", path, strerror(errno));
			close(fd);
			return ret;
		}
	}
	return fd;
}

void nsnet_state_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

int nsnet_state_exists(const char *lab)
{
	char path[PATH_MAX];
	struct stat st;

	if (nsnet_state_path(lab, "journal", path, sizeof(path)) < 0 || lab_dir_check(lab, NULL) < 1)
		return 0;
	return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int nsnet_state_create(const char *lab, struct nsnet_err *err)
{
	char path[PATH_MAX];
	int fd, ret;

	ret = ensure_root(err);
	if (ret < 0)
		return ret;
	if (nsnet_state_path(lab, NULL, path, sizeof(path)) < 0)
		return nsnet_err_set(err, -EINVAL, "invalid lab name \"%s\"", lab);
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return nsnet_err_set(err, -errno, "cannot create %s: %s", path, strerror(errno));
	ret = lab_dir_check(lab, err);
	if (ret < 1)
		return ret < 0 ? ret : nsnet_err_set(err, -ENOENT, "%s vanished", path);
	nsnet_state_path(lab, "journal", path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return nsnet_err_set(err, -errno, errno == EEXIST ? "lab \"%s\" is already up" :
				     "cannot create journal for lab \"%s\": %s", lab, strerror(errno));
	close(fd);
	return 0;
}

/* Write @len bytes to a state file opened with @flags (O_APPEND or O_CREAT|O_TRUNC). */
static int write_state(const char *lab, const char *file, int flags, const void *data, size_t len,
		       struct nsnet_err *err)
{
	char path[PATH_MAX];
	int fd, ret = 0;

	if (nsnet_state_path(lab, file, path, sizeof(path)) < 0)
		return nsnet_err_set(err, -EINVAL, "invalid state path");
	fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | flags, 0600);
	if (fd < 0)
		return nsnet_err_set(err, -errno, "cannot write %s: %s", path, strerror(errno));
	if (write(fd, data, len) != (ssize_t)len)
		ret = nsnet_err_set(err, -EIO, "cannot write %s", path);
	close(fd);
	return ret;
}

int nsnet_state_append(const char *lab, const char *buf, size_t len, struct nsnet_err *err)
{
	return write_state(lab, "journal", O_APPEND, buf, len, err);
}

int nsnet_state_log(const char *lab, struct nsnet_err *err, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 1)
		return nsnet_err_set(err, -ENAMETOOLONG, "journal line too long");
	line[n++] = '\n';
	return nsnet_state_append(lab, line, (size_t)n, err);
}

static int read_file(const char *path, char **data, size_t *len, struct nsnet_err *err)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1), *nb;
	int fd;
	ssize_t r;

	*data = NULL;
	if (!buf)
		return nsnet_err_set(err, -ENOMEM, "out of memory");
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return nsnet_err_set(err, -errno, "cannot read %s: %s", path, strerror(errno));
	}
	while ((r = read(fd, buf + n, cap - n)) > 0) {
		n += (size_t)r;
		if (n == cap) {
			if (cap >= (64u << 20)) {
				close(fd);
				free(buf);
				return nsnet_err_set(err, -EFBIG, "%s: too large", path);
			}
			nb = realloc(buf, cap * 2 + 1);
			if (!nb) {
				close(fd);
				free(buf);
				return nsnet_err_set(err, -ENOMEM, "out of memory");
			}
			buf = nb;
			cap *= 2;
		}
	}
	close(fd);
	if (r < 0) {
		free(buf);
		return nsnet_err_set(err, -EIO, "cannot read %s", path);
	}
	buf[n] = '\0';
	*data = buf;
	if (len)
		*len = n;
	return 0;
}

int nsnet_state_read(const char *lab, char ***lines, struct nsnet_err *err)
{
	char path[PATH_MAX], *data, *p, *nl, **v;
	size_t n = 0, cap = 16;
	int ret;

	*lines = NULL;
	if (nsnet_state_path(lab, "journal", path, sizeof(path)) < 0)
		return nsnet_err_set(err, -EINVAL, "invalid lab name \"%s\"", lab);
	ret = lab_dir_check(lab, err);
	if (ret < 1)
		return ret < 0 ? ret : nsnet_err_set(err, -ENOENT, "lab \"%s\" has no state", lab);
	ret = read_file(path, &data, NULL, err);
	if (ret < 0)
		return ret;
	v = malloc(cap * sizeof(*v));
	if (!v) {
		free(data);
		return nsnet_err_set(err, -ENOMEM, "out of memory");
	}
	for (p = data; *p; p = nl) {
		nl = strchr(p, '\n');
		if (!nl)
			break;	/* a torn last line (crash mid-write) is ignored */
		*nl++ = '\0';
		if (n + 2 > cap) {
			char **nv = realloc(v, cap * 2 * sizeof(*v));

			if (!nv)
				goto nomem;
			v = nv;
			cap *= 2;
		}
		v[n] = strdup(p);
		if (!v[n])
			goto nomem;
		n++;
	}
	v[n] = NULL;
	free(data);
	*lines = v;
	return (int)n;
nomem:
	v[n] = NULL;
	nsnet_strv_free(v);
	free(data);
	return nsnet_err_set(err, -ENOMEM, "out of memory");
}

int nsnet_state_put(const char *lab, const char *file, const void *data, size_t len,
		    struct nsnet_err *err)
{
	return write_state(lab, file, O_CREAT | O_TRUNC, data, len, err);
}

int nsnet_state_replace(const char *lab, const char *file, const void *data, size_t len,
			struct nsnet_err *err)
{
	char tmp[300], a[PATH_MAX], b[PATH_MAX];
	int ret;

	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	if (nsnet_state_path(lab, tmp, a, sizeof(a)) < 0 ||
	    nsnet_state_path(lab, file, b, sizeof(b)) < 0)
		return nsnet_err_set(err, -EINVAL, "invalid state path");
	ret = write_state(lab, tmp, O_CREAT | O_TRUNC, data, len, err);
	if (ret == 0 && rename(a, b) < 0)
		ret = nsnet_err_set(err, -errno, "cannot rename %s: %s", a, strerror(errno));
	return ret;
}

int nsnet_state_unlink(const char *lab, const char *file)
{
	char path[PATH_MAX];

	if (nsnet_state_path(lab, file, path, sizeof(path)) < 0)
		return -EINVAL;
	return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

int nsnet_state_get(const char *lab, const char *file, char **data, size_t *len,
		    struct nsnet_err *err)
{
	char path[PATH_MAX];
	int ret;

	if (nsnet_state_path(lab, file, path, sizeof(path)) < 0)
		return nsnet_err_set(err, -EINVAL, "invalid state path");
	ret = lab_dir_check(lab, err);
	if (ret < 1)
		return ret < 0 ? ret : nsnet_err_set(err, -ENOENT, "lab \"%s\" has no state", lab);
	return read_file(path, data, len, err);
}

int nsnet_state_remove(const char *lab, struct nsnet_err *err)
{
	char path[PATH_MAX], f[PATH_MAX + 300];
	struct dirent *de;
	DIR *d;
	int ret;


	if (nsnet_state_path(lab, NULL, path, sizeof(path)) < 0)
		return nsnet_err_set(err, -EINVAL, "invalid lab name");
	ret = lab_dir_check(lab, err);
	if (ret < 1)
		return ret;	/* gone already, or not ours to empty */
	nsnet__node_dirs_remove(lab);	/* nodes/: files: and /run of the nodes */
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : nsnet_err_set(err, -errno, "%s: %s", path,
							   strerror(errno));
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(f, sizeof(f), "%s/%s", path, de->d_name);
		unlink(f);
	}
	closedir(d);
	if (rmdir(path) < 0)
		return nsnet_err_set(err, -errno, "cannot remove %s: %s", path, strerror(errno));
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int nsnet_state_labs(char ***names, struct nsnet_err *err)
{
	DIR *d = opendir(nsnet_state_dir());
	struct dirent *de;
	char **v;
	size_t n = 0, cap = 8;

	*names = NULL;
	v = calloc(cap, sizeof(*v));
	if (!v)
		return nsnet_err_set(err, -ENOMEM, "out of memory");
	if (d) {
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.' || !valid_lab(de->d_name) ||
			    !nsnet_state_exists(de->d_name))
				continue;
			if (n + 2 > cap) {
				char **nv = realloc(v, cap * 2 * sizeof(*v));

				if (!nv)
					break;
				v = nv;
				cap *= 2;
			}
			v[n] = strdup(de->d_name);
			if (v[n])
				n++;
		}
		closedir(d);
	}
	v[n] = NULL;
	qsort(v, n, sizeof(*v), cmp_str);
	*names = v;
	return (int)n;
}

/* ---- shared sysctls ------------------------------------------------------------ */

static int global_lock(struct nsnet_err *err)
{
	return nsnet_state_lock("_global", err);
}

static int key_file(char *buf, size_t len, const char *key, const char *suffix)
{
	char k[200];
	size_t i;

	snprintf(k, sizeof(k), "%s", key);
	for (i = 0; k[i]; i++)
		if (k[i] == '/')
			k[i] = '.';
	return snprintf(buf, len, "%s/.hold.%s%s", nsnet_state_dir(), k, suffix) >= (int)len
		       ? -ENAMETOOLONG : 0;
}

static int holders_of(const char *key, const char *except)
{
	char prefix[PATH_MAX], *base;
	struct dirent *de;
	int n = 0;
	DIR *d;

	key_file(prefix, sizeof(prefix), key, ".by.");
	base = strrchr(prefix, '/') + 1;
	d = opendir(nsnet_state_dir());
	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, base, strlen(base)) &&
		    (!except || strcmp(de->d_name + strlen(base), except)))
			n++;
	closedir(d);
	return n;
}

int nsnet_state_hold_sysctl(const char *lab, const char *key, const char *value,
			    struct nsnet_err *err)
{
	char orig[PATH_MAX], by[PATH_MAX], old[64];
	int lk, fd, ret;

	lk = global_lock(err);
	if (lk < 0)
		return lk;
	key_file(orig, sizeof(orig), key, ".orig");
	key_file(by, sizeof(by), key, ".by.");
	strncat(by, lab, sizeof(by) - strlen(by) - 1);
	if (access(orig, F_OK) < 0) {
		ret = nsnet_sysctl(-1, key, NULL, old, sizeof(old), err);
		if (ret < 0)
			goto out;
		fd = open(orig, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, old, strlen(old)) < 0) {
			ret = nsnet_err_set(err, -errno, "cannot record %s: %s", orig, strerror(errno));
			if (fd >= 0)
				close(fd);
			goto out;
		}
		close(fd);
	}
	fd = open(by, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	ret = nsnet_sysctl(-1, key, value, NULL, 0, err);
out:
	nsnet_state_unlock(lk);
	return ret;
}

int nsnet_state_release_sysctl(const char *lab, const char *key, struct nsnet_err *err)
{
	char orig[PATH_MAX], by[PATH_MAX], *old = NULL;
	int lk, ret = 0;

	lk = global_lock(err);
	if (lk < 0)
		return lk;
	key_file(orig, sizeof(orig), key, ".orig");
	key_file(by, sizeof(by), key, ".by.");
	strncat(by, lab, sizeof(by) - strlen(by) - 1);
	unlink(by);
	if (holders_of(key, NULL) == 0 && read_file(orig, &old, NULL, NULL) == 0) {
		ret = nsnet_sysctl(-1, key, old, NULL, 0, err);
		if (ret == 0)
			unlink(orig);
		free(old);
	}
	nsnet_state_unlock(lk);
	return ret;
}

unsigned long long nsnet_proc_start(pid_t pid)
{
	char path[64], buf[1024], *p;
	ssize_t len;
	int fd, k;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = '\0';
	/* starttime is field 22; ") " precedes field 3: skip 20 blanks from ')' */
	p = strrchr(buf, ')');
	for (k = 0; p && k < 20; k++)
		p = strchr(p + 1, ' ');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}
