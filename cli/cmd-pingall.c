// SPDX-License-Identifier: MIT
/* nsnet pingall [-l LAB | LAB] [-j] [-W SECONDS] [--segment]: all-pairs reachability. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nsnet/lab.h"
#include "nsnet/link.h"
#include "nsnet/netns.h"
#include "nsnet/ping.h"
#include "nsnet/reach.h"
#include "cli.h"
#include "../lib/split-int.h"

/*
 * The kernel's neighbour table is shared by all namespaces and capped
 * (gc_thresh3, 1024 by default): all pairs of a 100-node bridge need ~9,900
 * entries. Above a few hundred pairs pingall therefore writes the entries it
 * needs as permanent ones (exempt from the cap) from the MACs read back from
 * the nodes, pings, and removes them again. That also avoids the occasional
 * first-ARP stall of 1-2 s seen on this VM; L2 forwarding and L3 are still
 * what is tested, ARP resolution itself is not (use --neigh dynamic for that).
 */
#define STATIC_NEIGH_ABOVE 400

struct node_links {
	struct nsnet_nl *nl;
	struct nsnet_link_info *links;
	int n;
};

static const struct nsnet_link_info *find_if(const struct node_links *nl, const char *name)
{
	int i;

	for (i = 0; i < nl->n; i++)
		if (!strcmp(nl->links[i].name, name))
			return &nl->links[i];
	return NULL;
}

struct neigh_split {
	const struct nsnet_lab *lab;
	struct node_links *nls;
	const struct nsnet_reach_pair *rp;
	int add;
	int ret[NSNET__SPLIT_MAX];
	struct nsnet_err err[NSNET__SPLIT_MAX];
};

static int same_source(const void *arg, size_t a, size_t b)
{
	const struct neigh_split *ns = arg;

	return ns->rp[a].src == ns->rp[b].src;
}

/* The entries of pairs [from, to) (whole sources), on their nodes' sockets. */
static void neigh_part(void *arg, size_t part, size_t from, size_t to)
{
	struct neigh_split *ns = arg;
	const struct nsnet_lab *lab = ns->lab;
	struct node_links *nls = ns->nls;
	const struct nsnet_reach_pair *rp = ns->rp;
	size_t i;

	ns->ret[part] = 0;
	for (i = from; i < to; i++) {
		const struct nsnet_lab_node *a = &lab->nodes[rp[i].src], *b = &lab->nodes[rp[i].dst];
		const struct nsnet_link_info *sl = rp[i].src_iface == NSNET_PAIR_ROUTED ? NULL :
			find_if(&nls[rp[i].src], a->ifaces[rp[i].src_iface].name);
		const struct nsnet_lab_iface *df = &b->ifaces[rp[i].dst_iface];
		const struct nsnet_link_info *dl = NULL;
		const uint8_t *mac = NULL;
		int r;

		if (nsnet_lab_node_local(lab, rp[i].dst)) {
			dl = find_if(&nls[rp[i].dst], df->name);
			mac = dl && dl->has_mac ? dl->mac : NULL;
		} else if (df->has_mac) {
			mac = df->mac;	/* on another host: its derived MAC (nsnet-lab(5)) */
		}
		if (sl && mac) {	/* routed: its gateway resolves as usual; missing: ping says */
			if (ns->add)
				nsnet_neigh_add(nls[rp[i].src].nl, sl->ifindex, &rp[i].addr, mac);
			else
				nsnet_neigh_del(nls[rp[i].src].nl, sl->ifindex, &rp[i].addr);
		}
		/* a source's last pair: its requests go now (its socket is this part's) */
		if ((i + 1 == to || rp[i + 1].src != rp[i].src) && nls[rp[i].src].nl) {
			r = nsnet_nl_flush(nls[rp[i].src].nl, ns->add ? &ns->err[part] : NULL);
			if (r < 0 && ns->add && !ns->ret[part])
				ns->ret[part] = r;
		}
	}
}

#define NEIGH_SPLIT_ABOVE 20000

/*
 * add = 1: write the permanent entries; add = 0: remove them. Pairs come
 * grouped by source; above NEIGH_SPLIT_ABOVE they are split, at source
 * boundaries, over one thread per CPU (each source's netlink socket used by
 * one thread only): the kernel's work is done in the sending thread.
 */
static int static_neigh(const struct nsnet_lab *lab, const int *fds, struct node_links *nls,
			const struct nsnet_reach_pair *rp, size_t np, int add,
			struct nsnet_err *err)
{
	struct neigh_split ns = { .lab = lab, .nls = nls, .rp = rp, .add = add };
	size_t i, k, nparts;
	int ret = 0;

	for (i = 0; add && i < lab->nnodes; i++) {
		if (!nsnet_lab_node_local(lab, i))
			continue;	/* on another host */
		ret = nsnet_nl_open(&nls[i].nl, fds[i], err);
		if (ret == 0) {
			nls[i].n = nsnet_link_list(nls[i].nl, &nls[i].links, err);
			ret = nls[i].n < 0 ? nls[i].n : 0;
		}
		if (ret < 0)
			return ret;
	}
	nparts = nsnet__split_run(np, NEIGH_SPLIT_ABOVE, same_source, neigh_part, &ns);
	for (k = 0; k < nparts; k++)
		if (ns.ret[k] < 0 && !ret) {
			ret = ns.ret[k];
			if (err)
				*err = ns.err[k];
		}
	return ret;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: nsnet pingall [-l LAB | LAB] [-j] [-W SECONDS] [--segment]\n"
		   "Every node pings every address of every other node, routed or not, in\n"
		   "the address families both have (IPv4; IPv6 other than link-local), like\n"
		   "Mininet's pingall; each unanswered pair is named. --segment: only the\n"
		   "addresses of nodes on a network segment the two share (no router between).\n"
		   "ICMP from sockets inside each namespace, as many pairs in flight as the\n"
		   "host keeps up with; an unanswered request is resent after a round-trip\n"
		   "timeout (at least 100 ms); a pair fails when SECONDS (default 5) pass\n"
		   "after its first request without an answer.\n"
		   "--neigh static|dynamic|auto: with static, permanent neighbour entries are\n"
		   "written for the pairs on a shared segment first and removed after (the\n"
		   "kernel's neighbour table is shared by all namespaces and capped at 1024\n"
		   "entries); auto (default) does that above %d pairs. Exit 0 only if every\n"
		   "pair answers.\n", STATIC_NEIGH_ABOVE);
}

int cmd_pingall(int argc, char **argv)
{
	struct nsnet_err err = { 0 };
	struct nsnet_lab *lab = NULL;
	struct nsnet_reach_pair *rp = NULL;
	struct nsnet_ping_pair *pp = NULL;
	const char *labarg = NULL;
	struct timespec t0, t1, tn, tp;
	size_t np = 0, i, a, b, nfds = 0;
	int *fds = NULL, ret, ok = 0, timeout_ms = 0, neigh = -1, statics = 0, flags = 0;
	struct node_links *nls = NULL;
	char addr[64];

	for (i = 1; i < (size_t)argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			opt_json = 1;
		} else if ((!strcmp(argv[i], "-l") || !strcmp(argv[i], "--lab")) &&
			   i + 1 < (size_t)argc && !labarg) {
			labarg = argv[++i];
		} else if (!strcmp(argv[i], "--segment")) {
			flags |= NSNET_PAIRS_SEGMENT;
		} else if (!strcmp(argv[i], "-W") && i + 1 < (size_t)argc) {
			timeout_ms = (int)(atof(argv[++i]) * 1000);
			if (timeout_ms < 100 || timeout_ms > 600000) {
				msg("pingall: -W takes seconds between 0.1 and 600");
				return EXIT_USAGE;
			}
		} else if (!strcmp(argv[i], "--neigh") && i + 1 < (size_t)argc) {
			i++;
			neigh = !strcmp(argv[i], "static") ? 1 : !strcmp(argv[i], "dynamic") ? 0
			      : !strcmp(argv[i], "auto") ? -1 : -2;
			if (neigh == -2) {
				usage(stderr);
				return EXIT_USAGE;
			}
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] != '-' && !labarg) {
			labarg = argv[i];	/* the lab, as for down and status */
		} else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	ret = open_saved_lab(labarg, &lab);
	if (ret)
		return ret;
	if (nsnet_lab_ping_pairs(lab, flags, &rp, &np) < 0) {
		msg("pingall: out of memory");
		ret = EXIT_FAIL;
		goto out;
	}
	/* a multi-host lab: this host's nodes ping every node, local or remote */
	for (i = 0, a = 0; i < np; i++)
		if (nsnet_lab_node_local(lab, rp[i].src))
			rp[a++] = rp[i];
	np = a;
	if (!timeout_ms)	/* per pair, from its first request */
		timeout_ms = 5000;
	fds = malloc((lab->nnodes + 1) * sizeof(*fds));
	pp = calloc(np + 1, sizeof(*pp));
	if (!fds || !pp) {
		msg("pingall: out of memory");
		ret = EXIT_FAIL;
		goto out;
	}
	for (i = 0; i < lab->nnodes; i++) {
		if (!nsnet_lab_node_local(lab, i)) {
			fds[i] = -1;	/* never a source: no pair has it */
			nfds = i + 1;
			continue;
		}
		fds[i] = nsnet_netns_open(lab->nodes[i].ns, &err);
		if (fds[i] < 0) {
			ret = report("pingall", &err);
			goto out;
		}
		nfds = i + 1;
	}
	for (i = 0; i < np; i++) {
		pp[i].src = rp[i].src;
		pp[i].dst = rp[i].addr;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (neigh == 1 || (neigh == -1 && np > STATIC_NEIGH_ABOVE)) {
		nls = calloc(lab->nnodes + 1, sizeof(*nls));
		if (!nls || static_neigh(lab, fds, nls, rp, np, 1, &err) < 0) {
			ret = nls ? report("pingall: static neighbours", &err) : EXIT_FAIL;
			if (nls)
				static_neigh(lab, fds, nls, rp, np, 0, NULL);
			goto out;
		}
		statics = 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &tn);
	ret = nsnet_ping_run(fds, lab->nnodes, pp, np, 100, timeout_ms, &err);
	clock_gettime(CLOCK_MONOTONIC, &tp);
	if (statics)
		static_neigh(lab, fds, nls, rp, np, 0, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (getenv("NSNET_PINGALL_TIMES")) {	/* bench/scale.sh: where the time goes */
		long sent = 0;

		for (i = 0; i < np; i++)
			sent += pp[i].sent;
		fprintf(stderr, "pingall: neigh add %.3f s, ping %.3f s, neigh del %.3f s, "
			"%ld requests for %zu pairs, %d answered\n",
			(tn.tv_sec - t0.tv_sec) + (tn.tv_nsec - t0.tv_nsec) / 1e9,
			(tp.tv_sec - tn.tv_sec) + (tp.tv_nsec - tn.tv_nsec) / 1e9,
			(t1.tv_sec - tp.tv_sec) + (t1.tv_nsec - tp.tv_nsec) / 1e9, sent, np, ret);
	}
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
			if (!nsnet_lab_node_local(lab, a))
				continue;
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
	if (nls) {
		for (i = 0; i < lab->nnodes; i++) {
			nsnet_nl_close(nls[i].nl);
			free(nls[i].links);
		}
		free(nls);
	}
	for (i = 0; i < nfds; i++)	/* only what is open; lab->nnodes stays for the free */
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	free(pp);
	free(rp);
	nsnet_lab_free(lab);
	return ret;
}
