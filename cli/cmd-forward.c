// SPDX-License-Identifier: MIT
/* nsnet forward add|del|list: port forwards of a running lab. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsnet/apply.h"
#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: nsnet forward add [-l LAB] [--range N] [HOSTADDR:]PORT[/tcp|udp] NODE:PORT\n"
		   "       nsnet forward del [-l LAB] [HOSTADDR:]PORT[/tcp|udp]\n"
		   "       nsnet forward list [-l LAB] [-j]\n"
		   "Forwards host PORT (on HOSTADDR, or on every host address incl. 127.0.0.1) to\n"
		   "NODE:PORT of a running lab, in the lab's own nftables table (one transaction).\n");
}

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 1 || v > 65535 || !*s)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* [ADDR:]PORT[/proto]; IPv6 ADDR in brackets. */
static int parse_host(const char *arg, struct nsnet_forward *f)
{
	char buf[128], *p, *port = buf, *slash;

	if (strlen(arg) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", arg);
	f->proto = IPPROTO_TCP;
	slash = strrchr(buf, '/');
	if (slash) {
		*slash++ = '\0';
		if (!strcmp(slash, "udp"))
			f->proto = IPPROTO_UDP;
		else if (strcmp(slash, "tcp"))
			return -1;
	}
	if (buf[0] == '[') {
		p = strchr(buf, ']');
		if (!p || p[1] != ':')
			return -1;
		*p = '\0';
		if (nsnet_ip_parse(buf + 1, &f->host_addr) < 0)
			return -1;
		port = p + 2;
	} else if ((p = strrchr(buf, ':'))) {
		*p = '\0';
		if (nsnet_ip_parse(buf, &f->host_addr) < 0)
			return -1;
		port = p + 1;
	}
	return parse_port(port, &f->port);
}

static const char *proto_name(int p)
{
	return p == IPPROTO_UDP ? "udp" : "tcp";
}

int cmd_forward(int argc, char **argv)
{
	struct nsnet_err err = { 0 };
	struct nsnet_forward f = { 0 };
	const char *labarg = NULL, *sub, *pos[2] = { NULL, NULL };
	char name[256], *colon;
	int i, npos = 0, ret;
	long range = 1;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	sub = argv[1];
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "-l") && i + 1 < argc) {
			labarg = argv[++i];
		} else if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			opt_json = 1;
		} else if (!strcmp(argv[i], "--range") && i + 1 < argc) {
			range = strtol(argv[++i], NULL, 10);
			if (range < 1 || range > 65535) {
				msg("forward: --range takes 1..65535");
				return EXIT_USAGE;
			}
		} else if (npos < 2 && argv[i][0] != '-') {
			pos[npos++] = argv[i];
		} else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	ret = resolve_lab(labarg, name, sizeof(name));
	if (ret)
		return ret;
	if (!strcmp(sub, "add")) {
		if (npos != 2 || parse_host(pos[0], &f) < 0 || !(colon = strrchr(pos[1], ':')) ||
		    parse_port(colon + 1, &f.to_port) < 0 || colon == pos[1] ||
		    (size_t)(colon - pos[1]) >= sizeof(f.node)) {
			msg("forward add: expected [HOSTADDR:]PORT[/tcp|udp] NODE:PORT");
			return EXIT_USAGE;
		}
		memcpy(f.node, pos[1], (size_t)(colon - pos[1]));
		f.count = (uint16_t)range;
		ret = nsnet_lab_forward_add(name, &f, &err);
		if (ret < 0)
			return report("forward add", &err);
		return 0;
	}
	if (!strcmp(sub, "del") || !strcmp(sub, "delete")) {
		if (npos != 1 || parse_host(pos[0], &f) < 0) {
			msg("forward del: expected [HOSTADDR:]PORT[/tcp|udp]");
			return EXIT_USAGE;
		}
		ret = nsnet_lab_forward_del(name, f.proto, f.port,
					    f.host_addr.family ? &f.host_addr : NULL, &err);
		if (ret < 0)
			return report("forward del", &err);
		return 0;
	}
	if (!strcmp(sub, "list") || !strcmp(sub, "show")) {
		struct nsnet_forward *v;
		size_t n, k;
		char to[64], ha[64];

		if (npos) {
			usage(stderr);
			return EXIT_USAGE;
		}
		if (nsnet_lab_forward_list(name, &v, &n, &err) < 0)
			return report("forward list", &err);
		if (opt_json)
			putchar('[');
		for (k = 0; k < n; k++) {
			nsnet_prefix_fmt(&v[k].to_addr, 0, to, sizeof(to));
			if (v[k].host_addr.family)
				nsnet_prefix_fmt(&v[k].host_addr, 0, ha, sizeof(ha));
			else
				ha[0] = '\0';
			if (opt_json) {
				printf("%s{\"proto\":\"%s\",\"port\":%u,\"count\":%u,\"host_address\":\"%s\","
				       "\"node\":", k ? "," : "", proto_name(v[k].proto), v[k].port,
				       v[k].count, ha);
				json_str(stdout, v[k].node);
				printf(",\"to_address\":\"%s\",\"to_port\":%u,\"runtime\":%s}", to,
				       v[k].to_port, v[k].runtime ? "true" : "false");
			} else {
				printf("%s %s%s%u", proto_name(v[k].proto), ha, ha[0] ? ":" : "",
				       v[k].port);
				if (v[k].count > 1)
					printf("-%u", v[k].port + v[k].count - 1);
				printf(" -> %s:%u (%s)%s\n", v[k].node[0] ? v[k].node : to, v[k].to_port,
				       to, v[k].runtime ? "" : " [lab file]");
			}
		}
		if (opt_json)
			puts("]");
		free(v);
		return 0;
	}
	msg("forward: unknown subcommand \"%s\"", sub);
	usage(stderr);
	return EXIT_USAGE;
}
