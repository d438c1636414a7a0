// SPDX-License-Identifier: MIT
/* nsnet capture [-l LAB] NODE:IF [-w FILE] [-c COUNT] [FILTER…]: libpcap inside a node. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nsnet/capture.h"
#include "nsnet/lab.h"
#include "cli.h"

static struct nsnet_capture *cap;

static void usage(FILE *f)
{
	fprintf(f, "Usage: nsnet capture [-l LAB] NODE:IF [-w FILE] [-c COUNT] [FILTER…]\n"
		   "Capture the packets of interface IF of NODE, from inside its namespace (libpcap).\n"
		   "FILTER is tcpdump's syntax (pcap-filter(7)), e.g. icmp, \"arp or port 53\".\n"
		   "  -l LAB    the lab (default: the only lab that is up)\n"
		   "  -w FILE   write pcap to FILE instead of one line per packet; -w - writes it\n"
		   "            to stdout, flushed per packet: nsnet capture r1:eth0 -w - | wireshark -k -i -\n"
		   "  -c COUNT  stop after COUNT packets\n"
		   "Without -w: time, source > destination, protocol, length, one line per packet.\n"
		   "Ends after COUNT packets or on Ctrl-C / SIGTERM with \"N packets captured\" on stderr.\n");
}

static void on_signal(int sig)
{
	(void)sig;
	nsnet_capture_break(cap);
}

struct print_ctx {
	int linktype;
};

static int print_pkt(const struct nsnet_capture_pkt *p, void *arg)
{
	struct print_ctx *pc = arg;
	char line[512], ts[16];
	time_t t = (time_t)p->sec;
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	printf("%s.%06u %s\n", ts, (unsigned)p->usec,
	       nsnet_capture_summary(p, pc->linktype, line, sizeof(line)));
	if (fflush(stdout) == EOF)
		return errno == EPIPE ? -EPIPE : -EIO;
	return 0;
}

int cmd_capture(int argc, char **argv)
{
	struct nsnet_err err = { 0 };
	struct nsnet_lab *lab = NULL;
	const char *labarg = NULL, *target = NULL, *wfile = NULL;
	char node[128], ifname[64], ns[300], *filter = NULL, *colon, *end;
	struct print_ctx pc = { 0 };
	struct sigaction sa;
	unsigned long got = 0, dropped = 0;
	size_t flen = 0, n;
	long count = 0, r;
	FILE *out = NULL;
	int i, ret = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			goto out;
		}
		if (!strcmp(a, "-l") || !strcmp(a, "-w") || !strcmp(a, "-c")) {
			if (i + 1 >= argc) {
				msg("capture: %s needs a value", a);
				ret = EXIT_USAGE;
				goto out;
			}
			if (a[1] == 'l') {
				labarg = argv[++i];
			} else if (a[1] == 'w') {
				wfile = argv[++i];
			} else {
				errno = 0;
				count = strtol(argv[++i], &end, 10);
				if (errno || *end || !*argv[i] || count < 1) {
					msg("capture: -c %s: not a positive count", argv[i]);
					ret = EXIT_USAGE;
					goto out;
				}
			}
			continue;
		}
		if (!target && a[0] == '-' && a[1]) {
			msg("capture: unknown option %s (see nsnet capture --help)", a);
			ret = EXIT_USAGE;
			goto out;
		}
		if (!target) {
			target = a;
			continue;
		}
		/* the filter: the remaining words, joined by spaces (as tcpdump) */
		n = strlen(a);
		end = realloc(filter, flen + n + 2);
		if (!end) {
			msg("capture: out of memory");
			ret = EXIT_FAIL;
			goto out;
		}
		filter = end;
		if (flen)
			filter[flen++] = ' ';
		memcpy(filter + flen, a, n + 1);
		flen += n;
	}
	if (!target) {
		msg("usage: nsnet capture [-l LAB] NODE:IF [-w FILE] [-c COUNT] [FILTER…]");
		ret = EXIT_USAGE;
		goto out;
	}
	colon = strchr(target, ':');
	if (!colon || colon == target || !colon[1] || (size_t)(colon - target) >= sizeof(node) ||
	    strlen(colon + 1) >= sizeof(ifname)) {
		msg("capture: \"%s\": expected NODE:IF, e.g. r1:eth0", target);
		ret = EXIT_USAGE;
		goto out;
	}
	snprintf(node, sizeof(node), "%.*s", (int)(colon - target), target);
	snprintf(ifname, sizeof(ifname), "%s", colon + 1);
	ret = open_saved_lab(labarg, &lab);
	if (ret)
		goto out;
	for (n = 0; n < lab->nnodes; n++)
		if (!strcmp(lab->nodes[n].name, node))
			break;
	if (n == lab->nnodes) {
		msg("capture: lab \"%s\" has no node \"%s\"", lab->name, node);
		ret = EXIT_USAGE;
		goto out;
	}
	if (!nsnet_lab_node_local(lab, n)) {
		msg("capture: node \"%s\" runs on host %s, not on this one: capture there", node,
		    lab->nodes[n].host ? lab->nodes[n].host : "(another)");
		ret = EXIT_USAGE;
		goto out;
	}
	snprintf(ns, sizeof(ns), "%s", lab->nodes[n].ns);
	if (wfile && !strcmp(wfile, "-")) {
		if (isatty(STDOUT_FILENO)) {
			msg("capture: -w -: stdout is a terminal; pipe it (| wireshark -k -i -) or "
			    "redirect it");
			ret = EXIT_USAGE;
			goto out;
		}
		out = stdout;
	}
	ret = nsnet_capture_open(ns, ifname, filter, &cap, &err);
	if (ret < 0) {
		if (ret == -ENODEV)
			err.error = -EINVAL;	/* a bad NODE:IF is a usage error */
		ret = report("capture", &err);
		goto out;
	}
	if (wfile && !out) {
		out = fopen(wfile, "we");
		if (!out) {
			msg("capture: %s: %s", wfile, strerror(errno));
			ret = EXIT_FAIL;
			goto out;
		}
	}
	if (out && (ret = nsnet_capture_dump(cap, out, &err)) < 0) {
		ret = report("capture", &err);
		goto out;
	}
	pc.linktype = nsnet_capture_linktype(cap);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "nsnet: capture: listening on %s:%s of lab %s%s%s%s\n", node, ifname,
		lab->name, filter ? " (filter: " : "", filter ? filter : "", filter ? ")" : "");
	r = nsnet_capture_loop(cap, count, out ? NULL : print_pkt, &pc, &err);
	nsnet_capture_stats(cap, &got, &dropped);
	ret = 0;
	if (r < 0 && r != -EPIPE)
		ret = report("capture", &err);	/* the interface / the lab went away, I/O */
	if (dropped)
		fprintf(stderr, "%lu packet%s captured, %lu dropped by the kernel\n", got,
			got == 1 ? "" : "s", dropped);
	else
		fprintf(stderr, "%lu packet%s captured\n", got, got == 1 ? "" : "s");
out:
	if (cap) {
		struct nsnet_capture *c = cap;

		cap = NULL;
		nsnet_capture_close(c);
	}
	if (out && out != stdout && fclose(out) == EOF && !ret) {
		msg("capture: %s: %s", wfile, strerror(errno));
		ret = EXIT_FAIL;
	}
	nsnet_lab_free(lab);
	free(filter);
	return ret;
}
