// SPDX-License-Identifier: MIT
/* nsnet pingall [-l LAB] [-j] [-W SECONDS]: all-pairs reachability matrix. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nsnet/lab.h"
#include "nsnet/netns.h"
#include "nsnet/ping.h"
#include "nsnet/reach.h"
#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: nsnet pingall [-l LAB] [-j] [-W SECONDS]\n"
		   "Every node pings every address of every other node it shares a network\n"
		   "with (ICMP from sockets inside each namespace, all at once; unanswered\n"
		   "requests are resent every 100 ms until SECONDS, default 5, pass).\n"
		   "Exit 0 only if every pair answers.\n");
}

int cmd_pingall(int argc, char **argv)
{
	struct nsnet_err err = { 0 };
	struct nsnet_lab *lab = NULL;
	struct nsnet_reach_pair *rp = NULL;
	struct nsnet_ping_pair *pp = NULL;
	const char *labarg = NULL;
	struct timespec t0, t1;
	size_t np = 0, i, a, b;
	int *fds = NULL, ret, ok = 0, timeout_ms = 5000;
	char addr[64];

	for (i = 1; i < (size_t)argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			opt_json = 1;
		} else if (!strcmp(argv[i], "-l") && i + 1 < (size_t)argc) {
			labarg = argv[++i];
		} else if (!strcmp(argv[i], "-W") && i + 1 < (size_t)argc) {
			timeout_ms = (int)(atof(argv[++i]) * 1000);
			if (timeout_ms < 100 || timeout_ms > 600000) {
				msg("pingall: -W takes seconds between 0.1 and 600");
				return EXIT_USAGE;
			}
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	ret = open_saved_lab(labarg, &lab);
	if (ret)
		return ret;
	if (nsnet_lab_reach_pairs(lab, &rp, &np) < 0) {
		msg("pingall: out of memory");
		ret = EXIT_FAIL;
		goto out;
	}
	fds = malloc((lab->nnodes + 1) * sizeof(*fds));
	pp = calloc(np + 1, sizeof(*pp));
	if (!fds || !pp) {
		msg("pingall: out of memory");
		ret = EXIT_FAIL;
		goto out;
	}
	for (i = 0; i < lab->nnodes; i++) {
		fds[i] = nsnet_netns_open(lab->nodes[i].ns, &err);
		if (fds[i] < 0) {
			ret = report("pingall", &err);
			lab->nnodes = i;	/* close what is open */
			goto out;
		}
	}
	for (i = 0; i < np; i++) {
		pp[i].src = rp[i].src;
		pp[i].dst = rp[i].addr;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = nsnet_ping_run(fds, lab->nnodes, pp, np, 100, timeout_ms, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (ret < 0) {
		ret = report("pingall", &err);
		goto out;
	}
	ok = ret;
	if (opt_json) {
		printf("{\"lab\":");
		json_str(stdout, lab->name);
		printf(",\"pairs\":[");
		for (i = 0; i < np; i++) {
			printf("%s{\"src\":", i ? "," : "");
			json_str(stdout, lab->nodes[rp[i].src].name);
			printf(",\"dst\":");
			json_str(stdout, lab->nodes[rp[i].dst].name);
			printf(",\"address\":\"%s\",\"ok\":%s", nsnet_prefix_fmt(&pp[i].dst, 0, addr,
										sizeof(addr)),
			       pp[i].ok ? "true" : "false");
			if (pp[i].ok)
				printf(",\"rtt_ms\":%.3f", pp[i].rtt_ms);
			printf("}");
		}
		printf("],\"expected\":%zu,\"answered\":%d,\"seconds\":%.3f}\n", np, ok,
		       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	} else {
		printf("*** Ping: testing reachability of %zu addresses\n", np);
		for (a = 0, i = 0; a < lab->nnodes; a++) {
			printf("%s ->", lab->nodes[a].name);
			/* pairs are grouped by src, then dst */
			while (i < np && rp[i].src == a) {
				int all = 1;

				b = rp[i].dst;
				for (; i < np && rp[i].src == a && rp[i].dst == b; i++)
					all &= pp[i].ok;
				printf(" %s", all ? lab->nodes[b].name : "X");
			}
			printf("\n");
		}
		for (i = 0; i < np; i++)
			if (!pp[i].ok)
				printf("*** no answer: %s -> %s (%s)\n", lab->nodes[rp[i].src].name,
				       lab->nodes[rp[i].dst].name,
				       nsnet_prefix_fmt(&pp[i].dst, 0, addr, sizeof(addr)));
		printf("*** Results: %.0f%% dropped (%d/%zu received) in %.3f s\n",
		       np ? 100.0 * (double)(np - (size_t)ok) / (double)np : 0.0, ok, np,
		       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	}
	ret = (size_t)ok == np ? 0 : EXIT_FAIL;
out:
	if (fds)
		for (i = 0; i < lab->nnodes; i++)
			close(fds[i]);
	free(fds);
	free(pp);
	free(rp);
	nsnet_lab_free(lab);
	return ret;
}
