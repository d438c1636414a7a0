// SPDX-License-Identifier: MIT
/*
 * Test driver for lib/nat.c (until the lab commands use it).
 *
 *   netns-natctl render|apply TABLE [--bridge BR]... [--masq CIDR]...
 *                [--fwd PROTO:PORT[-LAST]:ADDR:TOPORT[@HOSTADDR]]...
 *   netns-natctl delete TABLE
 *   netns-natctl exists TABLE          exit 0 if it exists, 1 if not
 *   netns-natctl localnet BR on|off    prints the previous value
 *   netns-natctl probe                 kernel features
 *   netns-natctl blockers TABLE        other tables' forward chains that drop
 *   netns-natctl bench TABLE N RUNS    apply N forwards RUNS times, print the
 *                                      median transaction time
 * IPv6 addresses in --fwd are written in brackets: tcp:8080:[fd00::2]:80.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nsnet/nat.h"

#define MAXN 4096

static const char *bridges[MAXN];
static struct nsnet_prefix masq[MAXN];
static struct nsnet_nat_fwd fwd[MAXN];

static int usage(void)
{
	fprintf(stderr, "usage: netns-natctl render|apply TABLE [--bridge BR] [--masq CIDR] "
			"[--fwd PROTO:PORT[-LAST]:ADDR:TOPORT[@HOST]]...\n"
			"       netns-natctl delete|exists|blockers TABLE | localnet BR on|off | probe"
			" | bench TABLE N RUNS\n");
	return 2;
}

/* "[addr]" or "addr" up to the end of @s */
static int parse_ip(char *s, struct nsnet_prefix *p)
{
	size_t n = strlen(s);

	if (s[0] == '[' && n > 2 && s[n - 1] == ']') {
		s[n - 1] = '\0';
		s++;
	}
	return nsnet_prefix_parse(s, p, 0);
}

static int parse_fwd(const char *arg, struct nsnet_nat_fwd *f)
{
	char buf[256], *p, *q, *at, *end;
	unsigned long first, last, to;

	memset(f, 0, sizeof(*f));
	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf))
		return -EINVAL;
	at = strchr(buf, '@');
	if (at) {
		*at++ = '\0';
		if (parse_ip(at, &f->host_addr) < 0)
			return -EINVAL;
	}
	p = strchr(buf, ':');
	if (!p)
		return -EINVAL;
	*p++ = '\0';
	f->proto = !strcmp(buf, "tcp") ? IPPROTO_TCP : !strcmp(buf, "udp") ? IPPROTO_UDP : -1;
	first = strtoul(p, &end, 10);
	last = first;
	if (*end == '-')
		last = strtoul(end + 1, &end, 10);
	if (*end != ':' || last < first || first > 65535 || last > 65535)
		return -EINVAL;
	p = end + 1;
	q = strrchr(p, ':');
	if (!q)
		return -EINVAL;
	*q++ = '\0';
	to = strtoul(q, &end, 10);
	if (*end || to > 65535 || parse_ip(p, &f->to_addr) < 0)
		return -EINVAL;
	f->port = (uint16_t)first;
	f->count = (uint16_t)(last - first + 1);
	f->to_port = (uint16_t)to;
	return 0;
}

static int parse_spec(int argc, char **argv, struct nsnet_nat_spec *s)
{
	int i;

	memset(s, 0, sizeof(*s));
	s->table = argv[0];
	s->bridges = bridges;
	s->masq = masq;
	s->fwd = fwd;
	for (i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			return -EINVAL;
		if (!strcmp(argv[i], "--bridge") && s->nbridges < MAXN) {
			bridges[s->nbridges++] = argv[++i];
		} else if (!strcmp(argv[i], "--masq") && s->nmasq < MAXN) {
			if (nsnet_prefix_parse(argv[++i], &masq[s->nmasq++], 1) < 0)
				goto bad;
		} else if (!strcmp(argv[i], "--fwd") && s->nfwd < MAXN) {
			if (parse_fwd(argv[++i], &fwd[s->nfwd++]) < 0)
				goto bad;
		} else {
			return -EINVAL;
		}
	}
	return 0;
bad:
	fprintf(stderr, "netns-natctl: cannot parse \"%s\"\n", argv[i]);
	return -EINVAL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int bench(const char *table, int n, int runs, struct nsnet_err *err)
{
	struct nsnet_nat_spec s = { .table = table, .bridges = bridges, .nbridges = 1,
				    .masq = masq, .nmasq = 1, .fwd = fwd };
	double t[101], t0;
	char *script = NULL;
	int i, ret = 0;

	if (n < 1 || n > MAXN || runs < 1 || runs > 101)
		return -EINVAL;
	bridges[0] = "benchbr0";
	nsnet_prefix_parse("10.77.0.0/16", &masq[0], 1);
	for (i = 0; i < n; i++) {
		fwd[i] = (struct nsnet_nat_fwd){ .port = (uint16_t)(10000 + i), .to_port = 80,
						 .count = 1, .proto = IPPROTO_TCP };
		nsnet_prefix_parse("10.77.0.0/16", &fwd[i].to_addr, 1);
		fwd[i].to_addr.addr[2] = (uint8_t)(i / 250);
		fwd[i].to_addr.addr[3] = (uint8_t)(i % 250 + 2);
	}
	s.nfwd = (size_t)n;
	t0 = now();
	ret = nsnet_nat_render(&s, &script, err);
	if (ret < 0)
		return ret;
	printf("render of %d forwards: %.2f ms, %zu bytes\n", n, (now() - t0) * 1e3,
	       strlen(script));
	free(script);
	for (i = 0; i < runs; i++) {
		t0 = now();
		ret = nsnet_nat_apply(&s, err);
		t[i] = now() - t0;
		if (ret < 0)
			return ret;
	}
	qsort(t, (size_t)runs, sizeof(t[0]), cmp_double);
	printf("apply of %d forwards: median %.2f ms (min %.2f, max %.2f, %d runs)\n", n,
	       t[runs / 2] * 1e3, t[0] * 1e3, t[runs - 1] * 1e3, runs);
	return nsnet_nat_delete(table, err);
}

int main(int argc, char **argv)
{
	struct nsnet_err err = { 0 };
	struct nsnet_nat_spec spec;
	char buf[600], old[32];
	const char *cmd;
	int ret;

	if (argc < 2)
		return usage();
	cmd = argv[1];
	if (!strcmp(cmd, "render") || !strcmp(cmd, "apply")) {
		char *script = NULL;

		if (argc < 3 || parse_spec(argc - 2, argv + 2, &spec) < 0)
			return usage();
		if (!strcmp(cmd, "apply")) {
			ret = nsnet_nat_apply(&spec, &err);
		} else {
			ret = nsnet_nat_render(&spec, &script, &err);
			if (ret >= 0)
				fputs(script, stdout);
			free(script);
		}
	} else if (!strcmp(cmd, "delete") && argc == 3) {
		ret = nsnet_nat_delete(argv[2], &err);
	} else if (!strcmp(cmd, "exists") && argc == 3) {
		ret = nsnet_nat_exists(argv[2], &err);
		if (ret >= 0)
			return ret ? 0 : 1;
	} else if (!strcmp(cmd, "localnet") && argc == 4) {
		ret = nsnet_nat_localnet(argv[2], !strcmp(argv[3], "on"), old, sizeof(old), &err);
		if (ret >= 0)
			printf("%s\n", old);
	} else if (!strcmp(cmd, "probe") && argc == 2) {
		ret = nsnet_nat_probe(&err);
	} else if (!strcmp(cmd, "blockers") && argc == 3) {
		ret = nsnet_nat_forward_blockers(argv[2], buf, sizeof(buf), &err);
		if (ret >= 0)
			printf("%d%s%s\n", ret, ret ? " " : "", buf);
	} else if (!strcmp(cmd, "bench") && argc == 5) {
		ret = bench(argv[2], atoi(argv[3]), atoi(argv[4]), &err);
	} else {
		return usage();
	}
	if (ret < 0) {
		fprintf(stderr, "netns-natctl: %s\n", nsnet_err_str(&err, buf, sizeof(buf)));
		return 1;
	}
	return 0;
}
