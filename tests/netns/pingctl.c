// SPDX-License-Identifier: MIT
/*
 * Test driver for the ping engine:
 *   netns-pingctl [-i INTERVAL_MS] [-t TIMEOUT_MS] [-q] NS:ADDR… [:ADDR…]
 * Every NS:ADDR is a node (a namespace may appear with several addresses);
 * ":ADDR" is a target only. Every namespace pings every address of the other
 * namespaces and every target-only address. Prints a matrix (o answered,
 * X not), one "FAIL src -> addr" line per failure and a summary line
 * "pairs N answered N failed N time MS"; exit 0 only if all answered.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "nsnet/netns.h"
#include "nsnet/ping.h"

struct node {
	char *ns;	/* NULL: target only */
	struct nsnet_prefix addr;
	size_t src;	/* index of ns in srcs */
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	struct nsnet_err err = { 0 };
	struct nsnet_ping_pair *pairs = NULL;
	struct node *nodes = NULL;
	char **srcs = NULL;
	int *fds = NULL, interval = 100, timeout = 3000, quiet = 0, c, ret = 2, n;
	size_t nnodes = 0, nsrc = 0, npairs = 0, i, j, k;
	struct rlimit rl;
	double t0, t1;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	while ((c = getopt(argc, argv, "i:t:q")) != -1) {
		switch (c) {
		case 'i':
			interval = atoi(optarg);
			break;
		case 't':
			timeout = atoi(optarg);
			break;
		case 'q':
			quiet = 1;
			break;
		default:
			goto usage;
		}
	}
	if (optind >= argc)
		goto usage;
	nodes = calloc((size_t)argc, sizeof(*nodes));
	srcs = calloc((size_t)argc, sizeof(*srcs));
	fds = calloc((size_t)argc, sizeof(*fds));
	if (!nodes || !srcs || !fds)
		goto fail;
	for (i = (size_t)optind; i < (size_t)argc; i++) {
		char *colon = strchr(argv[i], ':');
		struct node *nd = &nodes[nnodes++];

		if (!colon || nsnet_ip_parse(colon + 1, &nd->addr) < 0) {
			fprintf(stderr, "pingctl: bad node \"%s\" (NS:ADDR or :ADDR)\n", argv[i]);
			goto usage;
		}
		*colon = '\0';
		if (!argv[i][0])
			continue;
		nd->ns = argv[i];
		for (k = 0; k < nsrc && strcmp(srcs[k], nd->ns); k++)
			;
		if (k == nsrc) {
			srcs[nsrc] = nd->ns;
			fds[nsrc] = nsnet_netns_open(nd->ns, &err);
			if (fds[nsrc] < 0) {
				fprintf(stderr, "pingctl: %s\n", err.msg);
				ret = 1;
				goto fail;
			}
			nsrc++;
		}
		nd->src = k;
	}
	pairs = calloc(nsrc * nnodes, sizeof(*pairs));
	if (!pairs)
		goto fail;
	for (k = 0; k < nsrc; k++)
		for (j = 0; j < nnodes; j++)
			if (!nodes[j].ns || nodes[j].src != k) {
				pairs[npairs].src = k;
				pairs[npairs].dst = nodes[j].addr;
				npairs++;
			}
	t0 = now_ms();
	n = nsnet_ping_run(fds, nsrc, pairs, npairs, interval, timeout, &err);
	t1 = now_ms();
	if (n < 0) {
		char buf[1024];

		fprintf(stderr, "pingctl: %s\n", nsnet_err_str(&err, buf, sizeof(buf)));
		ret = 1;
		goto fail;
	}
	/* matrix: one row per source, one column per node (targets in order) */
	for (k = 0, i = 0; k < nsrc; k++) {
		if (!quiet) {
			printf("%-12s ", srcs[k]);
			for (j = 0; j < nnodes; j++) {
				if (nodes[j].ns && nodes[j].src == k) {
					putchar('-');
					continue;
				}
				putchar(pairs[i++].ok ? 'o' : 'X');
			}
			putchar('\n');
		}
	}
	for (i = 0; i < npairs; i++) {
		char a[64];

		if (!pairs[i].ok)
			printf("FAIL %s -> %s (sent %d)\n", srcs[pairs[i].src],
			       nsnet_prefix_fmt(&pairs[i].dst, 0, a, sizeof(a)), pairs[i].sent);
	}
	printf("pairs %zu answered %d failed %zu time %.1f ms\n", npairs, n, npairs - (size_t)n,
	       t1 - t0);
	ret = (size_t)n == npairs ? 0 : 1;
	goto fail;
usage:
	fprintf(stderr, "usage: netns-pingctl [-i MS] [-t MS] [-q] NS:ADDR… [:ADDR…]\n");
fail:
	for (k = 0; k < nsrc; k++)
		close(fds[k]);
	free(pairs);
	free(nodes);
	free(srcs);
	free(fds);
	return ret;
}
