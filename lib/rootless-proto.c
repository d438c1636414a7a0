// SPDX-License-Identifier: MIT
/*
 * Rootless labs: the pure parts of the holder protocol (sync requests, port
 * ranges, pasta arguments, slirp4netns API replies). No system calls: unit
 * tested and fuzzed (tests/fuzz/fuzz-rootless.c).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "nsnet/rootless.h"
#include "rootless-int.h"

int nsnet__rl_name_ok(const char *name)
{
	const char *p;

	if (!name || !*name || strlen(name) > 64)
		return 0;
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return 0;
	return 1;
}

void nsnet__rl_sync_free(struct nsnet__rl_sync *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nlabs; i++)
		free(s->labs[i].ports);
	free(s->labs);
	s->labs = NULL;
	s->nlabs = 0;
}

static int cmp_port(const void *a, const void *b)
{
	const struct nsnet__rl_port *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return 0;
}

size_t nsnet__rl_ports_norm(struct nsnet__rl_port *p, size_t *n)
{
	size_t i, o = 0, total = 0;

	if (!*n)
		return 0;
	qsort(p, *n, sizeof(*p), cmp_port);
	for (i = 0; i < *n; i++) {
		unsigned end = (unsigned)p[i].port + p[i].count;	/* one past */

		if (o && p[o - 1].proto == p[i].proto &&
		    (unsigned)p[o - 1].port + p[o - 1].count >= p[i].port) {
			unsigned pend = (unsigned)p[o - 1].port + p[o - 1].count;

			if (end > pend)
				p[o - 1].count = (uint16_t)(end - p[o - 1].port);
			continue;
		}
		p[o++] = p[i];
	}
	*n = o;
	for (i = 0; i < o; i++)
		total += p[i].count;
	return total;
}

int nsnet__rl_ports_equal(const struct nsnet__rl_port *a, size_t na,
			  const struct nsnet__rl_port *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (a[i].proto != b[i].proto || a[i].port != b[i].port || a[i].count != b[i].count)
			return 0;
	return 1;
}

int nsnet__rl_ports_fmt(const struct nsnet__rl_port *p, size_t n, char *buf, size_t len)
{
	size_t i, used = strlen(buf);

	for (i = 0; i < n; i++) {
		int w = snprintf(buf + used, len - used, " %s %u %u",
				 p[i].proto == IPPROTO_UDP ? "udp" : "tcp", p[i].port, p[i].count);

		if (w < 0 || (size_t)w >= len - used)
			return -ENOSPC;
		used += (size_t)w;
	}
	return 0;
}

int nsnet__rl_pasta_spec(const struct nsnet__rl_port *p, size_t n, int proto, char *buf,
			 size_t len)
{
	size_t i, used;
	int w, any = 0;

	w = snprintf(buf, len, "127.0.0.1/");
	if (w < 0 || (size_t)w >= len)
		return -ENOSPC;
	used = (size_t)w;
	for (i = 0; i < n; i++) {
		if (p[i].proto != proto)
			continue;
		if (p[i].count > 1)
			w = snprintf(buf + used, len - used, "%s%u-%u", any ? "," : "", p[i].port,
				     p[i].port + p[i].count - 1);
		else
			w = snprintf(buf + used, len - used, "%s%u", any ? "," : "", p[i].port);
		if (w < 0 || (size_t)w >= len - used)
			return -ENOSPC;
		used += (size_t)w;
		any = 1;
	}
	if (!any) {
		if (len < 5)
			return -ENOSPC;
		snprintf(buf, len, "none");
	}
	return 0;
}

static int parse_u16(const char *s, unsigned min, uint16_t *out)
{
	unsigned long v = 0;

	if (!*s || strlen(s) > 5)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v < min || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* One line, split on single spaces in place; returns the words (at most max). */
static size_t split(char *line, char **w, size_t max)
{
	size_t n = 0;
	char *p = line;

	while (*p) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (n == max)
			return max + 1;
		w[n++] = p;
		while (*p && *p != ' ')
			p++;
		if (*p)
			*p++ = '\0';
	}
	return n;
}

#define MAX_WORDS (2 + 3 * NSNET__RL_MAX_PORTS)

static int parse_line(char *line, unsigned lineno, struct nsnet__rl_sync *s, char **w,
		      struct nsnet_err *err)
{
	struct nsnet__rl_lab *lab, *nl;
	size_t n = split(line, w, MAX_WORDS), i, k, total;

	if (n == 0)
		return 0;
	if (n > MAX_WORDS)
		return nsnet_err_set(err, -EINVAL, "line %u: too many ports", lineno);
	if (strcmp(w[0], "lab") && strcmp(w[0], "keep"))
		return nsnet_err_set(err, -EINVAL, "line %u: expected lab or keep", lineno);
	if (n < 2 || !nsnet__rl_name_ok(w[1]))
		return nsnet_err_set(err, -EINVAL, "line %u: bad lab name", lineno);
	if (!strcmp(w[0], "keep") ? n != 2 : (n - 2) % 3)
		return nsnet_err_set(err, -EINVAL, "line %u: expected PROTO PORT COUNT triples",
				     lineno);
	for (i = 0; i < s->nlabs; i++)
		if (!strcmp(s->labs[i].name, w[1]))
			return nsnet_err_set(err, -EINVAL, "line %u: lab %s twice", lineno, w[1]);
	if (s->nlabs >= NSNET__RL_MAX_LABS)
		return nsnet_err_set(err, -EINVAL, "line %u: too many labs", lineno);
	nl = realloc(s->labs, (s->nlabs + 1) * sizeof(*nl));
	if (!nl)
		return nsnet_err_set(err, -ENOMEM, "out of memory");
	s->labs = nl;
	lab = &s->labs[s->nlabs++];
	memset(lab, 0, sizeof(*lab));
	snprintf(lab->name, sizeof(lab->name), "%s", w[1]);
	lab->keep = !strcmp(w[0], "keep");
	if (n == 2)
		return 0;
	lab->ports = calloc((n - 2) / 3, sizeof(*lab->ports));
	if (!lab->ports)
		return nsnet_err_set(err, -ENOMEM, "out of memory");
	for (i = 2, k = 0; i < n; i += 3, k++) {
		struct nsnet__rl_port *p = &lab->ports[k];

		if (!strcmp(w[i], "tcp"))
			p->proto = IPPROTO_TCP;
		else if (!strcmp(w[i], "udp"))
			p->proto = IPPROTO_UDP;
		else
			return nsnet_err_set(err, -EINVAL, "line %u: protocol tcp or udp", lineno);
		if (parse_u16(w[i + 1], 1, &p->port) < 0 || parse_u16(w[i + 2], 1, &p->count) < 0 ||
		    (unsigned)p->port + p->count - 1 > 65535)
			return nsnet_err_set(err, -EINVAL, "line %u: bad port range", lineno);
		lab->nports = k + 1;
	}
	total = nsnet__rl_ports_norm(lab->ports, &lab->nports);
	if (total > NSNET__RL_MAX_PORTS)
		return nsnet_err_set(err, -EINVAL, "lab %s: more than %d ports to publish", lab->name,
				     NSNET__RL_MAX_PORTS);
	return 0;
}

int nsnet__rl_sync_parse(const char *text, size_t len, struct nsnet__rl_sync *s,
			 struct nsnet_err *err)
{
	char *buf, *line, *next, **w;
	unsigned lineno = 0;
	int ret = 0;

	s->labs = NULL;
	s->nlabs = 0;
	if (len > NSNET__RL_MSG_MAX || memchr(text, '\0', len))
		return nsnet_err_set(err, -EINVAL, "sync: too long or NUL in the request");
	buf = malloc(len + 1);
	w = malloc((MAX_WORDS + 1) * sizeof(*w));
	if (!buf || !w) {
		ret = nsnet_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	memcpy(buf, text, len);
	buf[len] = '\0';
	for (line = buf; line && ret == 0; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		ret = parse_line(line, lineno, s, w, err);
	}
out:
	if (ret < 0)
		nsnet__rl_sync_free(s);
	free(w);
	free(buf);
	return ret;
}

int nsnet__rl_slirp_reply(const char *text, size_t len, struct nsnet_err *err)
{
	json_t *j, *r, *id, *e, *d;
	json_error_t je;
	int ret;

	j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!j || !json_is_object(j)) {
		json_decref(j);
		return nsnet_err_set(err, -EIO, "slirp4netns: unreadable API reply");
	}
	r = json_object_get(j, "return");
	e = json_object_get(j, "error");
	if (json_is_object(r)) {
		id = json_object_get(r, "id");
		if (!id)
			ret = 0;
		else if (json_is_integer(id) && json_integer_value(id) >= 0 &&
			 json_integer_value(id) <= 0x7fffffff)
			ret = (int)json_integer_value(id);
		else
			ret = nsnet_err_set(err, -EIO, "slirp4netns: bad id in the API reply");
	} else if (json_is_object(e)) {
		d = json_object_get(e, "desc");
		ret = nsnet_err_set(err, -EIO, "slirp4netns: %.200s",
				    json_is_string(d) ? json_string_value(d) : "error");
	} else {
		ret = nsnet_err_set(err, -EIO, "slirp4netns: API reply without return or error");
	}
	json_decref(j);
	return ret;
}

void nsnet_rootless_status_free(struct nsnet_rootless_status *st)
{
	if (!st)
		return;
	free(st->pubs);
	st->pubs = NULL;
	st->npubs = 0;
}

static int parse_pid(const char *s, pid_t *out)
{
	long v = 0;

	if (!*s || strlen(s) > 10)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	if (v > 0x7fffffff)
		return -1;
	*out = (pid_t)v;
	return 0;
}

int nsnet__rl_info_parse(const char *text, size_t len, struct nsnet_rootless_status *st,
			 struct nsnet_err *err)
{
	struct nsnet__rl_sync s = { 0 };
	char *buf, *labs, *line, *next, *w[3];
	size_t i, k, lused = 0;
	int ret = 0;

	memset(st, 0, sizeof(*st));
	snprintf(st->helper, sizeof(st->helper), "none");
	if (len > NSNET__RL_MSG_MAX || memchr(text, '\0', len))
		return nsnet_err_set(err, -EINVAL, "info: too long or NUL in the reply");
	buf = malloc(len + 1);
	labs = malloc(len + 2);
	if (!buf || !labs) {
		free(buf);
		free(labs);
		return nsnet_err_set(err, -ENOMEM, "out of memory");
	}
	memcpy(buf, text, len);
	buf[len] = '\0';
	/* lab lines have the sync syntax: gather them, parse them as one sync body */
	for (line = buf; line && ret == 0; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!strncmp(line, "lab ", 4)) {
			memcpy(labs + lused, line, strlen(line));
			lused += strlen(line);
			labs[lused++] = '\n';
			continue;
		}
		if (!strncmp(line, "note ", 5)) {
			snprintf(st->note, sizeof(st->note), "%s", line + 5);
			continue;
		}
		w[1] = strchr(line, ' ');
		if (!*line)
			continue;
		if (!w[1]) {
			ret = nsnet_err_set(err, -EINVAL, "info: bad line");
			break;
		}
		*w[1]++ = '\0';
		w[2] = strchr(w[1], ' ');
		if (w[2])
			*w[2]++ = '\0';
		if (!strcmp(line, "holder") && !w[2])
			ret = parse_pid(w[1], &st->holder);
		else if (!strcmp(line, "ns") && !w[2])
			ret = parse_pid(w[1], &st->ns);
		else if (!strcmp(line, "helper") && w[2] && strlen(w[1]) < sizeof(st->helper)) {
			snprintf(st->helper, sizeof(st->helper), "%s", w[1]);
			ret = parse_pid(w[2], &st->helper_pid);
		} else
			ret = -1;
		if (ret < 0)
			ret = nsnet_err_set(err, -EINVAL, "info: bad %s line", line);
	}
	if (ret == 0 && lused)
		ret = nsnet__rl_sync_parse(labs, lused, &s, err);
	for (i = 0; ret == 0 && i < s.nlabs; i++) {
		struct nsnet_rootless_pub *np;

		np = realloc(st->pubs, (st->npubs + s.labs[i].nports + 1) * sizeof(*np));
		if (!np) {
			ret = nsnet_err_set(err, -ENOMEM, "out of memory");
			break;
		}
		st->pubs = np;
		for (k = 0; k < s.labs[i].nports; k++) {
			np = &st->pubs[st->npubs++];
			snprintf(np->lab, sizeof(np->lab), "%s", s.labs[i].name);
			np->proto = s.labs[i].ports[k].proto;
			np->port = s.labs[i].ports[k].port;
			np->count = s.labs[i].ports[k].count;
		}
	}
	nsnet__rl_sync_free(&s);
	free(labs);
	free(buf);
	if (ret < 0)
		nsnet_rootless_status_free(st);
	return ret;
}
