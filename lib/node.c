// SPDX-License-Identifier: MIT
/*
 * A node's own view of the file system, for every process nsnet starts in
 * it (exec: commands at up, nsnet exec):
 *
 *   - `ip netns exec` semantics (nsnet_netns_switch: own mount namespace,
 *     /sys of the node's network namespace, the files of /etc/netns/NODE
 *     over those of /etc);
 *   - a private /run: the directory STATE/LAB/nodes/NODE/run is bound over
 *     /run, with nsnet's own directories under /run (the namespace files,
 *     the labs' state) bound back in, so that two daemons in two nodes with
 *     the same socket or pid-file path do not collide and `ip netns` /
 *     `nsnet` still work inside a node;
 *   - files: (nsnet-lab(5)): written by up under STATE/LAB/nodes/NODE/files
 *     (the path inside the node, mirrored), shown at their paths by a
 *     read-only overlay (the node's files over the host's directory) on the
 *     nearest directory that exists on the host; a file under /run is
 *     written into the node's /run directly. The host's view never changes.
 *
 * down removes STATE/LAB/nodes with the rest of the lab's state.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nsnet/lab.h"
#include "nsnet/netns.h"
#include "nsnet/state.h"
#include "lab-int.h"
#include "apply-int.h"

static int node_path(const char *lab, const char *node, const char *sub, char *buf, size_t len)
{
	char rel[PATH_MAX];

	if ((size_t)snprintf(rel, sizeof(rel), "nodes/%s%s%s", node, sub ? "/" : "",
			     sub ? sub : "") >= sizeof(rel))
		return -ENAMETOOLONG;
	return nsnet_state_path(lab, rel, buf, len) < 0 ? -ENAMETOOLONG : 0;
}

/* mkdir -p of @path's components below @base (which exists). */
static int mkdirs(const char *path, mode_t mode)
{
	char tmp[PATH_MAX], *s;

	if (strlen(path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	strcpy(tmp, path);
	for (s = tmp + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(p);
	else
		unlink(p);
	return 0;
}

/* rm -r, never following a symlink. */
static void rm_tree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

void nsnet__node_dirs_remove(const char *lab)
{
	char p[PATH_MAX];

	if (nsnet_state_path(lab, "nodes", p, sizeof(p)) == 0)
		rm_tree(p);
}

static int under_run(const char *path)
{
	return !strncmp(path, "/run/", 5);
}

/* Where file @f of @node lives on the host (its run dir for /run/…). */
static int file_store(const char *lab, const char *node, const struct nsnet_lab_file *f,
		      char *buf, size_t len)
{
	char sub[PATH_MAX];

	if ((size_t)snprintf(sub, sizeof(sub), "%s%s", under_run(f->path) ? "run" : "files",
			     under_run(f->path) ? f->path + 4 : f->path) >= sizeof(sub))
		return -ENAMETOOLONG;
	return node_path(lab, node, sub, buf, len);
}

int nsnet__node_prepare(const char *lab, const struct nsnet_lab_node *n, struct nsnet_err *err)
{
	char p[PATH_MAX], dir[PATH_MAX];
	size_t i;
	int ret;

	ret = node_path(lab, n->name, "files", p, sizeof(p));
	if (ret < 0)
		return nsnet_err_set(err, ret, "node %s: state path too long", n->name);
	rm_tree(p);	/* what an earlier up wrote: files: is the whole set */
	ret = mkdirs(p, 0755);
	if (ret == 0 && node_path(lab, n->name, "run", dir, sizeof(dir)) == 0)
		ret = mkdirs(dir, 0755);
	if (ret < 0)
		return nsnet_err_set(err, ret, "node %s: cannot make %s: %s", n->name, p,
				     strerror(-ret));
	for (i = 0; i < n->nfiles; i++) {
		const struct nsnet_lab_file *f = &n->files[i];
		char *slash;
		int fd;

		if (!f->content)
			return nsnet_err_set(err, -EINVAL, "node %s: file %s: its content (file: %s) "
					     "was not read (nsnet_lab_files_load)", n->name, f->path,
					     f->src ? f->src : "?");

		ret = file_store(lab, n->name, f, p, sizeof(p));
		if (ret < 0)
			return nsnet_err_set(err, ret, "node %s: file %s: path too long", n->name,
					     f->path);
		snprintf(dir, sizeof(dir), "%s", p);
		slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		ret = mkdirs(dir, 0755);
		if (ret == 0) {
			unlink(p);
			fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
			if (fd < 0 || write(fd, f->content, f->len) != (ssize_t)f->len)
				ret = -(errno ? errno : EIO);
			if (fd >= 0)
				close(fd);
		}
		if (ret < 0)
			return nsnet_err_set(err, ret, "node %s: cannot write file %s (as %s): %s",
					     n->name, f->path, p, strerror(-ret));
	}
	return 0;
}

/* Bind @src (a directory under /run) into the node's run dir @run at the same place. */
static int rebind(const char *run, const char *src)
{
	char dst[PATH_MAX];
	struct stat st;
	int ret;

	if (!under_run(src) || stat(src, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	if ((size_t)snprintf(dst, sizeof(dst), "%s%s", run, src + 4) >= sizeof(dst))
		return -ENAMETOOLONG;
	ret = mkdirs(dst, 0755);
	if (ret < 0)
		return ret;
	return mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0 ? -errno : 0;
}

/* The nearest directory of @path's ancestors that exists (on the host's view). */
static void existing_parent(const char *path, char *buf, size_t len)
{
	struct stat st;
	char *s;

	snprintf(buf, len, "%s", path);
	for (;;) {
		s = strrchr(buf, '/');
		if (!s || s == buf) {
			snprintf(buf, len, "/");
			return;
		}
		*s = '\0';
		if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
			return;
	}
}

int nsnet_node_enter(const char *lab, const struct nsnet_lab_node *n, struct nsnet_err *err)
{
	char run[PATH_MAX], (*mp)[PATH_MAX] = NULL;
	size_t i, j, nmp = 0;
	int ret;

	ret = nsnet_netns_switch(n->ns, err);
	if (ret < 0)
		return ret;
	/* the mount points of files: (outside /run), computed on the host's view */
	if (n->nfiles) {
		mp = calloc(n->nfiles, sizeof(*mp));
		if (!mp)
			return nsnet_err_set(err, -ENOMEM, "out of memory");
	}
	for (i = 0; i < n->nfiles; i++) {
		char m[PATH_MAX];

		if (under_run(n->files[i].path))
			continue;
		existing_parent(n->files[i].path, m, sizeof(m));
		for (j = 0; j < nmp && strcmp(mp[j], m); j++)
			;
		if (j == nmp)
			snprintf(mp[nmp++], PATH_MAX, "%s", m);
	}
	/* private /run, nsnet's own directories under /run bound back in */
	ret = node_path(lab, n->name, "run", run, sizeof(run));
	if (ret == 0)
		ret = mkdirs(run, 0755);
	if (ret == 0)
		ret = rebind(run, nsnet_netns_dir());
	if (ret == 0)
		ret = rebind(run, nsnet_state_dir());
	if (ret == 0 && mount(run, "/run", NULL, MS_BIND | MS_REC, NULL) < 0)
		ret = -errno;
	if (ret < 0) {
		free(mp);
		return nsnet_err_set(err, ret, "node %s: private /run (%s): %s", n->name, run,
				     strerror(-ret));
	}
	/* an overlay per mount point, skipping those inside another one */
	for (i = 0; i < nmp; i++) {
		char opts[3 * PATH_MAX], upper[PATH_MAX], sub[PATH_MAX];
		int inside = 0;

		for (j = 0; j < nmp; j++) {
			size_t l = strlen(mp[j]);

			if (j != i && (!strcmp(mp[j], "/") ||
				       (!strncmp(mp[i], mp[j], l) && mp[i][l] == '/')))
				inside = 1;
		}
		if (inside)
			continue;
		snprintf(sub, sizeof(sub), "files%s", strcmp(mp[i], "/") ? mp[i] : "");
		if (node_path(lab, n->name, sub, upper, sizeof(upper)) < 0 ||
		    (size_t)snprintf(opts, sizeof(opts), "lowerdir=%s:%s", upper, mp[i]) >=
			    sizeof(opts) ||
		    strchr(upper, ',') || strchr(mp[i], ',') || strchr(mp[i], ':')) {
			ret = -EINVAL;
		} else if (mount("overlay", mp[i], "overlay", MS_RDONLY, opts) < 0) {
			ret = -errno;
		}
		if (ret < 0) {
			nsnet_err_set(err, ret, "node %s: files under %s (overlay of %s): %s%s",
				      n->name, mp[i], upper, strerror(-ret),
				      ret == -ENODEV ? " (the kernel has no overlay file system)"
						     : "");
			break;
		}
	}
	free(mp);
	return ret;
}

/* ---- node commands: how each one is doing ------------------------------------ */

static int alive(int pid, unsigned long long start)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	if (nsnet_proc_start(pid) != start)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return !(p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
}

int nsnet_lab_node_cmds(const struct nsnet_lab *lab, struct nsnet_node_cmd **v, size_t *nv,
			struct nsnet_err *err)
{
	struct nsnet_node_cmd *out;
	char *data = NULL, *line, *save = NULL;
	size_t len = 0, i, j, n = 0, total = 0;
	int ret;

	*v = NULL;
	*nv = 0;
	for (i = 0; i < lab->nnodes; i++)
		total += lab->nodes[i].ncmds;
	if (!total)
		return 0;
	out = calloc(total, sizeof(*out));
	if (!out)
		return nsnet_err_set(err, -ENOMEM, "out of memory");
	for (i = 0; i < lab->nnodes; i++)
		for (j = 0; j < lab->nodes[i].ncmds; j++) {
			out[n].node = lab->nodes[i].name;
			out[n].cmd = lab->nodes[i].cmds[j];
			out[n].local = nsnet_lab_node_local(lab, i);
			n++;
		}
	ret = nsnet_state_get(lab->name, "journal", &data, &len, err);
	if (ret < 0) {
		free(out);
		return ret;
	}
	/* each journaled start, in order: the k-th start of a text fills its k-th slot, cycling */
	for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long start;
		char node[300];
		unsigned hash;
		int pid;

		if (sscanf(line, "pid %d %llu %299s %x", &pid, &start, node, &hash) != 4 ||
		    node[0] == '@')
			continue;
		for (i = 0; i < n; i++)
			if (!strcmp(out[i].node, node) && nsnet__cmd_hash(out[i].cmd) == hash &&
			    !out[i].claimed)
				break;
		if (i == n) {	/* a restart: the first slot of that text takes the newer start */
			for (i = 0; i < n; i++)
				if (!strcmp(out[i].node, node) &&
				    nsnet__cmd_hash(out[i].cmd) == hash)
					break;
			if (i == n)
				continue;	/* a command the lab no longer has */
			for (j = 0; j < n; j++)
				if (!strcmp(out[j].node, node) &&
				    nsnet__cmd_hash(out[j].cmd) == hash)
					out[j].claimed = 0;
		}
		out[i].claimed = 1;
		out[i].pid = pid;
		out[i].start = start;
	}
	free(data);
	for (i = 0; i < n; i++) {
		char f[64], *e = NULL;
		size_t el = 0;

		if (!out[i].pid)
			continue;
		out[i].running = alive(out[i].pid, out[i].start);
		if (out[i].running)
			continue;
		snprintf(f, sizeof(f), "exit.%d", out[i].pid);
		if (nsnet_state_get(lab->name, f, &e, &el, NULL) == 0 && e) {
			int code;

			if (sscanf(e, "exit %d", &code) == 1) {
				out[i].exited = 1;
				out[i].status = code;
			} else if (sscanf(e, "signal %d", &code) == 1) {
				out[i].signal = code;
			}
		}
		free(e);
	}
	*v = out;
	*nv = n;
	return 0;
}

/* ---- files: given as { file: SRC } ---------------------------------------------- */

static int read_small(const char *path, char **out, size_t *len)
{
	struct stat st;
	char *buf;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	}
	if (st.st_size > (off_t)(1u << 20)) {
		close(fd);
		return -EFBIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	r = read(fd, buf, (size_t)st.st_size);
	close(fd);
	if (r < 0 || r != (ssize_t)st.st_size) {
		free(buf);
		return r < 0 ? -errno : -EIO;
	}
	buf[r] = '\0';
	*out = buf;
	*len = (size_t)r;
	return 0;
}

int nsnet_lab_files_load(struct nsnet_lab *lab, const char *dir, struct nsnet_err *err)
{
	size_t i, j;

	for (i = 0; i < lab->nnodes; i++) {
		struct nsnet_lab_node *n = &lab->nodes[i];

		for (j = 0; j < n->nfiles; j++) {
			struct nsnet_lab_file *f = &n->files[j];
			char path[PATH_MAX], wh[300];
			int ret;

			if (!f->src || f->content)
				continue;
			if ((size_t)snprintf(path, sizeof(path), "%s%s%s",
					     f->src[0] == '/' ? "" : (dir && *dir ? dir : "."),
					     f->src[0] == '/' ? "" : "/", f->src) >= sizeof(path))
				ret = -ENAMETOOLONG;
			else
				ret = read_small(path, &f->content, &f->len);
			if (ret < 0)
				return nsnet_err_set(err, ret == -ENOENT ? -EINVAL : ret,
						     "%s: nodes.%s.files.\"%s\": cannot read %s: %s",
						     nsnet_lab_where(lab, &f->loc, wh, sizeof(wh)),
						     n->name, f->path, path,
						     ret == -EFBIG ? "more than 1 MiB" :
						     ret == -EISDIR ? "a directory" :
						     ret == -EINVAL ? "not a regular file" : strerror(-ret));
		}
	}
	return 0;
}

/* A saved lab's { file: } files: the copies up wrote (what is applied), if any. */
void nsnet__node_files_from_store(struct nsnet_lab *lab)
{
	size_t i, j;

	for (i = 0; i < lab->nnodes; i++) {
		struct nsnet_lab_node *n = &lab->nodes[i];

		for (j = 0; j < n->nfiles; j++) {
			struct nsnet_lab_file *f = &n->files[j];
			char p[PATH_MAX];

			if (f->content || file_store(lab->name, n->name, f, p, sizeof(p)) < 0)
				continue;
			if (read_small(p, &f->content, &f->len) < 0)
				f->content = NULL;
		}
	}
}
