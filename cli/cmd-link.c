// SPDX-License-Identifier: MIT
/* nsnet link show|set: the cables of a running lab, their state and impairments. */
#include <errno.h>
#include <limits.h>
#include <linux/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsnet/cable.h"
#include "nsnet/state.h"
#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: nsnet link [-l LAB] show [-j]\n"
		"       nsnet link [-l LAB] set NODE:IF up|down\n"
		"       nsnet link [-l LAB] set NODE:IF [rate RATE] [delay TIME [jitter TIME]]\n"
		"                                       [loss PCT] [duplicate PCT] [corrupt PCT]\n"
		"                                       [limit PACKETS]\n"
		"       nsnet link [-l LAB] set NODE:IF clear\n"
		"The cables of a running lab. A cable is the veth pair behind NODE:IF (its\n"
		"other end on the host bridge or in the peer node); up/down and impairments\n"
		"act on both ends, so an impairment shapes both directions. A new setting\n"
		"replaces the cable's impairment; clear removes it.\n"
		"  RATE  bits/s: 500kbit, 10mbit, 1gbit (tc's units)   TIME  20ms, 500us, 1s\n"
		"  PCT   1%%, 0.5%%, 2.5   delay, jitter, loss, duplicate, corrupt need the\n"
		"        kernel's netem qdisc (module sch_netem)\n"
		"With one lab up, -l LAB may be omitted. See nsnet(8).\n");
}

static void json_impair(const struct nsnet_impair *im)
{
	char t[NSNET_IMPAIR_FMT_MAX], p[32];

	if (!im->set) {
		printf("null");
		return;
	}
	printf("{\"text\":");
	json_str(stdout, nsnet_impair_format(im, t, sizeof(t)));
	if (im->set & NSNET_IMPAIR_RATE)
		printf(",\"rate\":%llu", (unsigned long long)im->rate);
	if (im->set & NSNET_IMPAIR_DELAY)
		printf(",\"delay_ns\":%llu", (unsigned long long)im->delay);
	if (im->set & NSNET_IMPAIR_JITTER)
		printf(",\"jitter_ns\":%llu", (unsigned long long)im->jitter);
#define PCT(bit, name, v)                                                              \
	if (im->set & (bit)) {                                                          \
		nsnet_pct_fmt(v, p, sizeof(p));                                         \
		p[strlen(p) - 1] = '\0';                                                \
		printf(",\"" name "\":%s", p);                                          \
	}
	PCT(NSNET_IMPAIR_LOSS, "loss_pct", im->loss)
	PCT(NSNET_IMPAIR_DUPLICATE, "duplicate_pct", im->duplicate)
	PCT(NSNET_IMPAIR_CORRUPT, "corrupt_pct", im->corrupt)
#undef PCT
	if (im->set & NSNET_IMPAIR_LIMIT)
		printf(",\"limit\":%u", im->limit);
	printf("}");
}

static const char *state_of(const struct nsnet_cable_view *c)
{
	int up0 = c->end[0].flags & IFF_UP, up1 = c->end[1].flags & IFF_UP;

	if (!c->end[0].present || !c->end[1].present)
		return "missing";
	if (up0 && up1)
		return "up";
	if (!up0 && !up1)
		return "down";
	return "half-up";
}

/* The impairment as read back: both ends agree, or each is shown. */
static const char *impair_text(const struct nsnet_cable_view *c, char *buf, size_t len)
{
	char a[NSNET_IMPAIR_FMT_MAX], b[NSNET_IMPAIR_FMT_MAX];
	int e;

	for (e = 0; e < 2; e++) {
		const struct nsnet_cable_end_view *v = &c->end[e];
		char *t = e ? b : a;

		if (!v->present)
			snprintf(t, NSNET_IMPAIR_FMT_MAX, "?");
		else if (v->foreign)
			snprintf(t, NSNET_IMPAIR_FMT_MAX, "qdisc %s (not nsnet's)", v->qdisc.kind);
		else
			nsnet_impair_format(&v->impair, t, NSNET_IMPAIR_FMT_MAX);
	}
	if (!strcmp(a, b))
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%s / %s", a, b);
	return buf;
}

static int show(const char *name)
{
	struct nsnet_cable_view *v = NULL;
	struct nsnet_err err = { 0 };
	char t[2 * NSNET_IMPAIR_FMT_MAX + 8], st[32];
	size_t n = 0, i;
	int e;

	if (nsnet_cable_list(name, &v, &n, &err) < 0)
		return report("link show", &err);
	if (opt_json)
		printf("[");
	else
		printf("%-16s %-20s %-12s %-28s %s\n", "LINK", "PEER", "STATE", "IMPAIRMENT",
		       "RX pkts/bytes  TX pkts/bytes  DROPS");
	for (i = 0; i < n; i++) {
		const struct nsnet_cable_view *c = &v[i];
		unsigned long long drops = c->end[0].rx_dropped + c->end[0].tx_dropped +
					   c->end[0].qdisc.drops + c->end[1].qdisc.drops;

		impair_text(c, t, sizeof(t));
		if (!opt_json) {
			snprintf(st, sizeof(st), "%s%s", state_of(c), c->runtime_down ? " (set)" : "");
			printf("%-16s %-20s %-12s %-28s %llu/%llu  %llu/%llu  %llu\n", c->end[0].name,
			       c->end[1].name, st, c->runtime_impair ? strcat(t, " (set)") : t,
			       (unsigned long long)c->end[0].rx_packets,
			       (unsigned long long)c->end[0].rx_bytes,
			       (unsigned long long)c->end[0].tx_packets,
			       (unsigned long long)c->end[0].tx_bytes, drops);
			continue;
		}
		printf("%s{\"link\":", i ? "," : "");
		json_str(stdout, c->end[0].name);
		printf(",\"peer\":");
		json_str(stdout, c->end[1].name);
		printf(",\"key\":");
		json_str(stdout, c->key);
		printf(",\"state\":\"%s\",\"runtime_down\":%s,\"runtime_impair\":%s,\"want\":",
		       state_of(c), c->runtime_down ? "true" : "false",
		       c->runtime_impair ? "true" : "false");
		json_impair(&c->want);
		printf(",\"impair\":");
		json_str(stdout, t);
		printf(",\"ends\":[");
		for (e = 0; e < 2; e++) {
			const struct nsnet_cable_end_view *x = &c->end[e];

			printf("%s{\"name\":", e ? "," : "");
			json_str(stdout, x->name);
			printf(",\"present\":%s,\"up\":%s,\"running\":%s,\"ifindex\":%d,\"mtu\":%d,"
			       "\"qdisc\":", x->present ? "true" : "false",
			       x->flags & IFF_UP ? "true" : "false",
			       x->flags & IFF_LOWER_UP ? "true" : "false", x->ifindex, x->mtu);
			json_str(stdout, x->qdisc.kind);
			printf(",\"foreign\":%s,\"impair\":", x->foreign ? "true" : "false");
			json_impair(&x->impair);
			printf(",\"rx_packets\":%llu,\"rx_bytes\":%llu,\"rx_dropped\":%llu,"
			       "\"tx_packets\":%llu,\"tx_bytes\":%llu,\"tx_dropped\":%llu,"
			       "\"qdisc_drops\":%u}", (unsigned long long)x->rx_packets,
			       (unsigned long long)x->rx_bytes, (unsigned long long)x->rx_dropped,
			       (unsigned long long)x->tx_packets, (unsigned long long)x->tx_bytes,
			       (unsigned long long)x->tx_dropped, x->qdisc.drops);
		}
		printf("]}");
	}
	if (opt_json)
		printf("]\n");
	free(v);
	return 0;
}

static int set(const char *name, const char *endpoint, int argc, char **argv)
{
	struct nsnet_err err = { 0 };
	struct nsnet_impair im;
	char what[300];
	int ret;

	snprintf(what, sizeof(what), "link %s", endpoint);
	if (argc == 1 && (!strcmp(argv[0], "up") || !strcmp(argv[0], "down"))) {
		ret = nsnet_cable_set_up(name, endpoint, !strcmp(argv[0], "up"), &err);
	} else {
		if (nsnet_impair_parse_arg(argc, argv, &im, &err) < 0) {
			report(what, &err);
			return EXIT_USAGE;
		}
		ret = nsnet_cable_set_impair(name, endpoint, &im, &err);
	}
	if (ret < 0)
		return report(what, &err);
	return 0;
}

int cmd_link(int argc, char **argv)
{
	const char *labarg = NULL, *sub = NULL;
	char name[PATH_MAX];
	int i, ret;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if ((!strcmp(argv[i], "-l") || !strcmp(argv[i], "--lab")) && i + 1 < argc) {
			labarg = argv[++i];
		} else if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			opt_json = 1;
		} else if (argv[i][0] == '-') {
			usage(stderr);
			return EXIT_USAGE;
		} else if (!sub) {
			sub = argv[i];
			if (strcmp(sub, "show") && strcmp(sub, "list"))
				break;	/* set: the rest are its words */
		} else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (!sub)
		sub = "show";
	if (strcmp(sub, "show") && strcmp(sub, "list") && strcmp(sub, "set")) {
		msg("link: unknown command \"%s\" (show or set; see nsnet link --help)", sub);
		return EXIT_USAGE;
	}
	if (!strcmp(sub, "set") && argc - i < 3) {
		msg("link set: NODE:IF and a setting are needed (up, down, rate …, clear; see "
		    "nsnet link --help)");
		return EXIT_USAGE;
	}
	ret = resolve_lab(labarg, name, sizeof(name));
	if (ret)
		return ret;
	if (!nsnet_state_exists(name)) {
		msg("link: lab \"%s\" is not up", name);
		return EXIT_USAGE;
	}
	if (!strcmp(sub, "set"))
		return set(name, argv[i + 1], argc - i - 2, argv + i + 2);
	return show(name);
}
