// SPDX-License-Identifier: MIT
/* nsnet status [LAB] [-j]: what is up, read back from the kernel. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nsnet/apply.h"
#include "nsnet/cable.h"
#include "nsnet/link.h"
#include "nsnet/nat.h"
#include "nsnet/ping.h"
#include "nsnet/netns.h"
#include "nsnet/route.h"
#include "nsnet/run.h"
#include "nsnet/state.h"
#include "cli.h"

struct ns_view {
	int present;
	struct nsnet_link_info *links;
	int nlinks;
	struct nsnet_addr_info *addrs;
	int naddrs;
	struct nsnet_route *routes;
	int nroutes;
	struct nsnet_qdisc_info *qdiscs;	/* root qdiscs: impairments */
	int nqdiscs;
};

static int read_view(int nsfd, struct ns_view *v)
{
	struct nsnet_nl *nl;

	memset(v, 0, sizeof(*v));
	if (nsnet_nl_open(&nl, nsfd, NULL) < 0)
		return -1;
	v->present = 1;
	v->nlinks = nsnet_link_list(nl, &v->links, NULL);
	v->naddrs = nsnet_addr_list(nl, AF_UNSPEC, &v->addrs, NULL);
	v->nroutes = nsnet_route_list(nl, AF_UNSPEC, &v->routes, NULL);
	v->nqdiscs = nsnet_tc_list(nl, &v->qdiscs, NULL);
	if (v->nqdiscs < 0)
		v->nqdiscs = 0;
	if (v->nlinks < 0)
		v->nlinks = 0;
	if (v->naddrs < 0)
		v->naddrs = 0;
	if (v->nroutes < 0)
		v->nroutes = 0;
	nsnet_nl_close(nl);
	return 0;
}

static void free_view(struct ns_view *v)
{
	free(v->links);
	free(v->addrs);
	free(v->routes);
	free(v->qdiscs);
}

/* The impairment on link @l as read back from its root qdisc ("" if none). */
static const char *vimpair(const struct ns_view *v, const struct nsnet_link_info *l, char *buf,
			   size_t len)
{
	struct nsnet_impair im;
	int i;

	buf[0] = '\0';
	for (i = 0; l && i < v->nqdiscs; i++) {
		if (v->qdiscs[i].ifindex != l->ifindex)
			continue;
		if (nsnet_tc_impair(&v->qdiscs[i], (unsigned)l->mtu, &im) < 0)
			snprintf(buf, len, "qdisc %s", v->qdiscs[i].kind);
		else if (im.set)
			nsnet_impair_format(&im, buf, len);
	}
	return buf;
}

static const struct nsnet_link_info *vlink(const struct ns_view *v, const char *name)
{
	int i;

	for (i = 0; i < v->nlinks; i++)
		if (!strcmp(v->links[i].name, name))
			return &v->links[i];
	return NULL;
}

static const char *vname(const struct ns_view *v, int ifindex)
{
	int i;

	for (i = 0; i < v->nlinks; i++)
		if (v->links[i].ifindex == ifindex)
			return v->links[i].name;
	return "";
}

/* Print the addresses of link @l (skipping IPv6 link-local). */
static void put_addrs(const struct ns_view *v, const struct nsnet_link_info *l, int json)
{
	char b[64];
	int i, first = 1;

	if (json)
		printf("\"addresses\":[");
	for (i = 0; l && i < v->naddrs; i++) {
		const struct nsnet_addr_info *a = &v->addrs[i];

		if (a->ifindex != l->ifindex || (a->p.family == AF_INET6 && a->scope == 253))
			continue;
		nsnet_prefix_fmt(&a->p, 1, b, sizeof(b));
		if (json) {
			printf("%s\"%s\"", first ? "" : ",", b);
		} else {
			printf(" %s", b);
		}
		first = 0;
	}
	if (json)
		printf("]");
}

static int link_ok(const struct nsnet_link_info *l)
{
	return l && (l->flags & IFF_UP);
}

/* Running `nsnet run` instances on the lab (nsnet_run_list), after its forwards. */
static void put_runs(const char *name, int json)
{
	struct nsnet_run_info *rv = NULL;
	size_t n = 0, i, j;
	char a[64], a6[64];

	if (nsnet_run_list(name, &rv, &n, NULL) < 0)
		n = 0;
	if (json)
		printf(",\"runs\":[");
	for (i = 0; i < n; i++) {
		const struct nsnet_run_info *r = &rv[i];

		nsnet_prefix_fmt(&r->addr, 1, a, sizeof(a));
		if (json) {
			printf("%s{\"owner\":", i ? "," : "");
			json_str(stdout, r->owner);
			printf(",\"name\":");
			json_str(stdout, r->name);
			printf(",\"pid\":%d,\"nsnet_pid\":%d,\"alive\":%s,\"address\":\"%s\","
			       "\"address6\":", (int)r->pid, (int)r->ppid, r->alive ? "true" : "false", a);
			if (r->addr6.family)
				printf("\"%s\"", nsnet_prefix_fmt(&r->addr6, 1, a6, sizeof(a6)));
			else
				printf("null");
			printf(",\"bridge\":");
			json_str(stdout, r->bridge);
			printf(",\"ports\":[");
		} else {
			a6[0] = 0;
			if (r->addr6.family)
				nsnet_prefix_fmt(&r->addr6, 1, a6, sizeof(a6));
			printf("run %-15s pid %-7d %-18s %s%s%s%s", r->name[0] ? r->name : r->owner,
			       (int)r->pid, a, a6, a6[0] ? " " : "", r->bridge,
			       r->alive ? "" : " DEAD (nsnet gc)");
		}
		for (j = 0; j < r->nports; j++) {
			const struct nsnet_run_port *p = &r->ports[j];
			char ha[64] = "";

			if (p->host_addr.family)
				nsnet_prefix_fmt(&p->host_addr, 0, ha, sizeof(ha));
			if (json)
				printf("%s{\"proto\":\"%s\",\"host_address\":\"%s\",\"host_port\":%u,"
				       "\"port\":%u}", j ? "," : "", p->proto == 17 ? "udp" : "tcp", ha,
				       p->host_port, p->port);
			else
				printf(" %s%s%s%u->%u/%s", j ? "" : "-p ", ha, ha[0] ? ":" : "",
				       p->host_port, p->port, p->proto == 17 ? "udp" : "tcp");
		}
		printf(json ? "]}" : "\n");
	}
	if (json)
		printf("]");
	nsnet_run_list_free(rv, n);
}

/*
 * Multi-host labs: the tunnels of this host's part (one per spanning bridge,
 * one per cable to another host), their peers and whether each peer's tunnel
 * endpoint answers a ping on the underlay. Returns how many do not.
 */
static int put_tunnels(const struct nsnet_lab *lab, const struct ns_view *host)
{
	struct nsnet_ping_pair pp[64];
	int fd = -1, bad = 0, first = 1;
	size_t i, j, k, np = 0;
	char a[64];

	if (lab->local < 0) {
		if (opt_json)
			printf("\"hosts\":[],");
		return 0;
	}
	for (i = 0; i < lab->nhosts && np < 64; i++) {
		if ((int)i == lab->local)
			continue;
		memset(&pp[np], 0, sizeof(pp[np]));
		pp[np].src = 0;
		pp[np++].dst = lab->hosts[i].addr;
	}
	if (np)
		nsnet_ping_run(&fd, 1, pp, np, 100, 1000, NULL);
	if (opt_json)
		printf("\"host\":\"%s\",\"hosts\":[", lab->hosts[lab->local].name);
	else
		printf("host %s (%s), vxlan port %u\n", lab->hosts[lab->local].name,
		       nsnet_prefix_fmt(&lab->hosts[lab->local].addr, 0, a, sizeof(a)),
		       lab->vxlan_port);
	for (i = 0, j = 0; i < lab->nhosts; i++) {
		if ((int)i == lab->local)
			continue;
		nsnet_prefix_fmt(&lab->hosts[i].addr, 0, a, sizeof(a));
		bad += !pp[j].ok;
		if (opt_json)
			printf("%s{\"name\":\"%s\",\"address\":\"%s\",\"answers\":%s}",
			       first ? "" : ",", lab->hosts[i].name, a, pp[j].ok ? "true" : "false");
		else
			printf("  peer %-12s %-15s %s\n", lab->hosts[i].name, a,
			       pp[j].ok ? "answers" : "NO ANSWER");
		first = 0;
		j++;
	}
	if (opt_json)
		printf("],\"tunnels\":[");
	first = 1;
	for (i = 0; i < lab->nbridges; i++) {
		const struct nsnet_lab_bridge *b = &lab->bridges[i];
		char dev[16];
		const struct nsnet_link_info *l;

		if (!b->spans || !nsnet_lab_bridge_local(lab, i))
			continue;
		snprintf(dev, sizeof(dev), "nsx%06x", b->vni);
		l = vlink(host, dev);
		bad += !link_ok(l);
		if (opt_json) {
			printf("%s{\"bridge\":\"%s\",\"device\":\"%s\",\"vni\":%u,\"up\":%s,"
			       "\"peers\":[", first ? "" : ",", b->name, dev, b->vni,
			       link_ok(l) ? "true" : "false");
		} else {
			printf("  vxlan %-10s vni %-8u bridge %-12s %-7s peers", dev, b->vni, b->name,
			       !l ? "MISSING" : link_ok(l) ? "up" : "down");
		}
		first = 0;
		for (j = 0, k = 0; j < lab->nhosts; j++) {
			if ((int)j == lab->local || !(b->on_hosts >> j & 1))
				continue;
			if (opt_json)
				printf("%s\"%s\"", k++ ? "," : "", lab->hosts[j].name);
			else
				printf(" %s", lab->hosts[j].name);
		}
		printf(opt_json ? "]}" : "\n");
	}
	for (i = 0; i < lab->nlinks; i++) {
		const struct nsnet_lab_link *l = &lab->links[i];
		int e, me;

		if (!l->spans)
			continue;
		me = -1;
		for (e = 0; e < 2; e++)
			if (nsnet_lab_node_local(lab, (size_t)l->end[e].node_idx))
				me = e;
		if (me < 0)
			continue;
		if (opt_json)
			printf("%s{\"link\":\"%s -- %s\",\"vni\":%u,\"peers\":[\"%s\"]}",
			       first ? "" : ",", l->end[me].text, l->end[!me].text, l->vni,
			       lab->hosts[lab->nodes[l->end[!me].node_idx].host_idx].name);
		else
			printf("  vxlan %-10s vni %-8u cable %s -- %s, peer %s\n", "(in node)", l->vni,
			       l->end[me].text, l->end[!me].text,
			       lab->hosts[lab->nodes[l->end[!me].node_idx].host_idx].name);
		first = 0;
	}
	if (opt_json)
		printf("],");
	return bad;
}

/*
 * The node commands (exec:): "running", "exited N" (by itself, with status
 * N), "killed by signal N", or "gone" (ended, how unknown). A command that
 * exits is not a fault of the lab: health does not count it.
 */
static void put_cmds(const struct nsnet_lab *lab, int json)
{
	struct nsnet_node_cmd *v = NULL;
	size_t n = 0, i, shown = 0;

	if (nsnet_lab_node_cmds(lab, &v, &n, NULL) < 0)
		n = 0;
	if (json)
		printf(",\"commands\":[");
	for (i = 0; i < n; i++) {
		char st[48];

		if (!v[i].local)
			continue;
		if (!v[i].pid)
			snprintf(st, sizeof(st), "not started");
		else if (v[i].running)
			snprintf(st, sizeof(st), "running");
		else if (v[i].exited)
			snprintf(st, sizeof(st), "exited %d", v[i].status);
		else if (v[i].signal)
			snprintf(st, sizeof(st), "killed by signal %d", v[i].signal);
		else
			snprintf(st, sizeof(st), "gone");
		if (json) {
			printf("%s{\"node\":", shown++ ? "," : "");
			json_str(stdout, v[i].node);
			printf(",\"command\":");
			json_str(stdout, v[i].cmd);
			printf(",\"pid\":%d,\"running\":%s", v[i].pid, v[i].running ? "true" : "false");
			if (v[i].exited)
				printf(",\"exit_status\":%d", v[i].status);
			if (v[i].signal)
				printf(",\"signal\":%d", v[i].signal);
			printf("}");
		} else {
			printf("  command %s pid %d %s: %.60s%s\n", v[i].node, v[i].pid, st, v[i].cmd,
			       strlen(v[i].cmd) > 60 ? "…" : "");
		}
	}
	if (json)
		printf("]");
	free(v);
}

/*
 * Several labs up and none named: one summary line each (-j: an array):
 * nodes (with their namespace present), bridges, links, and "up" when every
 * namespace and local bridge is there, else "degraded".
 */
static int list_labs(char **labs, int n)
{
	int i, bad = 0;

	if (opt_json)
		printf("[");
	else
		printf("%-20s %7s %8s %6s  %s\n", "LAB", "NODES", "BRIDGES", "LINKS", "STATE");
	for (i = 0; i < n; i++) {
		struct nsnet_err err = { 0 };
		struct nsnet_lab *lab = NULL;
		size_t k, nodes = 0, present = 0, bridges = 0, bridges_ok = 0;
		const char *state;

		if (nsnet_lab_saved(labs[i], &lab, &err) < 0) {
			state = "unreadable";
			bad++;
		} else {
			for (k = 0; k < lab->nnodes; k++) {
				if (!nsnet_lab_node_local(lab, k))
					continue;
				nodes++;
				present += nsnet_netns_exists(lab->nodes[k].ns) == 1;
			}
			for (k = 0; k < lab->nbridges; k++) {
				if (!nsnet_lab_bridge_local(lab, k))
					continue;
				bridges++;
				bridges_ok += if_nametoindex(lab->bridges[k].name) != 0;
			}
			state = present == nodes && bridges_ok == bridges ? "up" : "degraded";
			bad += state[0] != 'u';
		}
		if (opt_json) {
			printf("%s{\"name\":", i ? "," : "");
			json_str(stdout, labs[i]);
			printf(",\"nodes\":%zu,\"nodes_present\":%zu,\"bridges\":%zu,\"links\":%zu,"
			       "\"state\":\"%s\",\"run_network\":%s}", nodes, present, bridges,
			       lab ? lab->nlinks : 0, state,
			       strcmp(labs[i], NSNET_RUN_LAB) ? "false" : "true");
		} else {
			printf("%-20s %7zu %8zu %6zu  %s%s\n", labs[i], nodes, bridges,
			       lab ? lab->nlinks : 0, state,
			       strcmp(labs[i], NSNET_RUN_LAB) ? "" : " (default network of nsnet run)");
		}
		nsnet_lab_free(lab);
	}
	if (opt_json)
		printf("]\n");
	return bad ? EXIT_FAIL : 0;
}

int cmd_status(int argc, char **argv)
{
	struct nsnet_lab *lab = NULL;
	struct ns_view host;
	const char *arg = NULL;
	char table[96], b[200];
	struct nsnet_forward *fw = NULL;
	struct nsnet_cable_state *rec = NULL;
	size_t nfw = 0, nrec = 0;
	int i, ret, bad = 0, nat_present = 0, first_node = 0;
	size_t n, j, k;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			opt_json = 1;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("Usage: nsnet status [-l LAB | LAB] [-j]\n"
			       "Nodes, interfaces, addresses, routes, forwards and health of a lab.\n"
			       "With no name and several labs up: one line per lab (-j: an array).\n");
			return 0;
		} else if ((!strcmp(argv[i], "-l") || !strcmp(argv[i], "--lab")) && i + 1 < argc &&
			   !arg) {
			arg = argv[++i];
		} else if (argv[i][0] != '-' && !arg) {
			arg = argv[i];
		} else {
			msg("usage: nsnet status [LAB] [-j]");
			return EXIT_USAGE;
		}
	}
	if (!arg) {
		struct nsnet_err err = { 0 };
		char **all;
		int nall = nsnet_state_labs(&all, &err), nuser;

		if (nall < 0)
			return report("status", &err);
		nsnet_strv_free(all);
		nuser = user_labs(&all, &err);
		if (nuser < 0)
			return report("status", &err);
		if (nuser > 1 || (nuser == 0 && nall > 0)) {
			/* every lab, the run network too */
			nsnet_strv_free(all);
			nall = nsnet_state_labs(&all, &err);
			ret = nall < 0 ? report("status", &err) : list_labs(all, nall);
			nsnet_strv_free(all);
			return ret;
		}
		nsnet_strv_free(all);
	}
	ret = open_saved_lab(arg, &lab);
	if (ret)
		return ret;
	read_view(-1, &host);
	if (nsnet_cable_state_read(lab->name, &rec, &nrec, NULL) < 0)
		nrec = 0;
	snprintf(table, sizeof(table), "nsnet-%s", lab->name);
	nat_present = nsnet_nat_exists(table, NULL) > 0;

	if (opt_json)
		printf("{\"name\":\"%s\",\"bridges\":[", lab->name);
	else
		printf("lab %s\n", lab->name);
	for (n = 0; n < lab->nbridges; n++) {
		const struct nsnet_link_info *l = vlink(&host, lab->bridges[n].name);

		if (!nsnet_lab_bridge_local(lab, n))
			continue;
		bad += !link_ok(l);
		if (opt_json) {
			printf("%s{\"name\":", n ? "," : "");
			json_str(stdout, lab->bridges[n].name);
			printf(",\"present\":%s,\"up\":%s,", l ? "true" : "false",
			       link_ok(l) ? "true" : "false");
			put_addrs(&host, l, 1);
			printf("}");
		} else {
			printf("bridge %-15s %-7s", lab->bridges[n].name,
			       !l ? "MISSING" : link_ok(l) ? "up" : "down");
			put_addrs(&host, l, 0);
			printf("\n");
		}
	}
	if (opt_json)
		printf("],");
	bad += put_tunnels(lab, &host);
	if (opt_json)
		printf("\"nodes\":[");
	for (n = 0; n < lab->nnodes; n++) {
		const struct nsnet_lab_node *node = &lab->nodes[n];
		struct ns_view v = { 0 };
		int fd;

		if (!nsnet_lab_node_local(lab, n)) {
			if (!opt_json)
				printf("node %-15s on host %s\n", node->name,
				       lab->hosts[node->host_idx].name);
			continue;
		}
		fd = nsnet_netns_open(node->ns, NULL);

		if (fd >= 0) {
			read_view(fd, &v);
			close(fd);
		}
		bad += !v.present;
		if (opt_json) {
			printf("%s{\"name\":", first_node++ ? "," : "");
			json_str(stdout, node->name);
			printf(",\"namespace\":");
			json_str(stdout, node->ns);
			printf(",\"present\":%s,\"interfaces\":[", v.present ? "true" : "false");
		} else {
			printf("node %-15s ns %-15s %s\n", node->name, node->ns,
			       v.present ? "" : "MISSING");
		}
		for (j = 0; j < node->nifaces; j++) {
			const struct nsnet_link_info *l = vlink(&v, node->ifaces[j].name);
			const struct nsnet_cable_state *r;
			char mac[20] = "", key[NSNET_CABLE_KEY_MAX], imp[NSNET_IMPAIR_FMT_MAX];
			struct nsnet_cable cab;
			int set_down;

			/* a cable taken down with nsnet link set is down on purpose */
			nsnet_cable_of(lab, n, j, &cab, NULL);
			nsnet_cable_key(lab, &cab, key, sizeof(key));
			r = nsnet_cable_state_find(rec, nrec, key);
			set_down = r && r->down;
			vimpair(&v, l, imp, sizeof(imp));
			bad += v.present && !link_ok(l) && !set_down;
			if (l && l->has_mac)
				snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", l->mac[0],
					 l->mac[1], l->mac[2], l->mac[3], l->mac[4], l->mac[5]);
			if (opt_json) {
				printf("%s{\"name\":", j ? "," : "");
				json_str(stdout, node->ifaces[j].name);
				printf(",\"present\":%s,\"up\":%s,\"set_down\":%s,\"mtu\":%d,"
				       "\"mac\":\"%s\",\"impair\":", l ? "true" : "false",
				       link_ok(l) ? "true" : "false", set_down ? "true" : "false",
				       l ? l->mtu : 0, mac);
				if (imp[0])
					json_str(stdout, imp);
				else
					printf("null");
				printf(",\"impair_set\":%s,", r && r->has_impair ? "true" : "false");
				put_addrs(&v, l, 1);
				printf("}");
			} else {
				printf("  %-10s %-7s %-17s mtu %-5d", node->ifaces[j].name,
				       !l ? "MISSING" : link_ok(l) ? "up" : set_down ? "down(set)" :
				       "down", mac, l ? l->mtu : 0);
				put_addrs(&v, l, 0);
				if (imp[0])
					printf("  [%s%s]", imp, r && r->has_impair ? ", set" : "");
				printf("\n");
			}
		}
		if (opt_json)
			printf("],\"routes\":[");
		for (i = 0, k = 0; i < v.nroutes; i++) {
			const struct nsnet_route *r = &v.routes[i];

			if (r->protocol == 2 /* kernel */ || r->type != 1)
				continue;
			nsnet_route_fmt(r, vname(&v, r->oif), b, sizeof(b));
			if (opt_json) {
				printf("%s", k++ ? "," : "");
				json_str(stdout, b);
			} else {
				printf("  route %s\n", b);
			}
		}
		if (opt_json)
			printf("]}");
		free_view(&v);
	}
	if (opt_json)
		printf("],\"nat\":{\"table\":\"inet %s\",\"present\":%s,\"masquerade\":[", table,
		       nat_present ? "true" : "false");
	else if (lab->nat.nmasq || lab->nat.nfwd || nat_present)
		printf("nat table inet %s %s\n", table, nat_present ? "" : "MISSING");
	bad += (lab->nat.nmasq || lab->nat.nfwd) && !nat_present;
	for (n = 0; n < lab->nat.nmasq; n++) {
		nsnet_prefix_fmt(&lab->nat.masq[n].p, 1, b, sizeof(b));
		if (opt_json)
			printf("%s\"%s\"", n ? "," : "", b);
		else
			printf("  masquerade %s\n", b);
	}
	if (opt_json)
		printf("],\"forwards\":[");
	if (nsnet_lab_forward_list(lab->name, &fw, &nfw, NULL) < 0)
		nfw = 0;
	for (n = 0; n < nfw; n++) {
		const struct nsnet_forward *f = &fw[n];
		char to[64], ha[64] = "";

		nsnet_prefix_fmt(&f->to_addr, 0, to, sizeof(to));
		if (f->host_addr.family)
			nsnet_prefix_fmt(&f->host_addr, 0, ha, sizeof(ha));
		if (opt_json) {
			printf("%s{\"proto\":\"%s\",\"port\":%u,\"count\":%u,\"node\":", n ? "," : "",
			       f->proto == 17 ? "udp" : "tcp", f->port, f->count ? f->count : 1);
			json_str(stdout, f->node);
			printf(",\"to_address\":\"%s\",\"to_port\":%u,\"host_address\":\"%s\","
			       "\"runtime\":%s}", to, f->to_port, ha, f->runtime ? "true" : "false");
		} else {
			printf("  forward %s %s%s%u -> %s:%u (%s)\n", f->proto == 17 ? "udp" : "tcp",
			       ha, ha[0] ? ":" : "", f->port, f->node[0] ? f->node : to, f->to_port, to);
		}
	}
	free(fw);
	if (opt_json)
		printf("]}");
	put_runs(lab->name, opt_json);
	put_cmds(lab, opt_json);
	if (opt_json)
		printf(",\"health\":\"%s\"}\n", bad ? "degraded" : "ok");
	else
		printf("health %s (%zu nodes, %zu bridges%s)\n", bad ? "DEGRADED" : "ok",
		       lab->nnodes, lab->nbridges, bad ? ", objects missing or down" : "");
	free_view(&host);
	free(rec);
	nsnet_lab_free(lab);
	return bad ? EXIT_FAIL : 0;
}
