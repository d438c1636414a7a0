// SPDX-License-Identifier: MIT
/* nsnet graph [FILE | LAB | --topo SPEC]: Graphviz DOT of a lab on stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nsnet/apply.h"
#include "nsnet/lab.h"
#include "nsnet/netns.h"
#include "nsnet/state.h"
#include "cli.h"


static void addrs(const struct nsnet_lab_addr *a, size_t n)
{
	char b[64];
	size_t i;

	for (i = 0; i < n; i++)
		printf("\\n%s", nsnet_prefix_fmt(&a[i].p, 1, b, sizeof(b)));
}

/* DOT IDs are quoted; lab names are restricted, node/iface names have no quotes. */
static void print_dot(const struct nsnet_lab *lab)
{
	size_t i, j;

	printf("graph \"%s\" {\n\tgraph [overlap=false, fontname=\"Helvetica\"];\n"
	       "\tnode [fontname=\"Helvetica\"];\n\tedge [fontname=\"Helvetica\", fontsize=9];\n",
	       lab->name);
	if (lab->nat.nmasq || lab->nat.nfwd)
		printf("\t\"host\" [shape=doubleoctagon, label=\"host\\nNAT\"];\n");
	for (i = 0; i < lab->nbridges; i++) {
		printf("\t\"br:%s\" [shape=box, style=filled, fillcolor=lightblue, label=\"%s",
		       lab->bridges[i].name, lab->bridges[i].name);
		addrs(lab->bridges[i].addrs, lab->bridges[i].naddrs);
		printf("\"];\n");
		if (lab->nat.nmasq || lab->nat.nfwd)
			printf("\t\"host\" -- \"br:%s\" [style=dashed];\n", lab->bridges[i].name);
	}
	for (i = 0; i < lab->nnodes; i++) {
		const struct nsnet_lab_node *n = &lab->nodes[i];

		printf("\t\"n:%s\" [shape=ellipse, label=\"%s\"];\n", n->name, n->name);
		for (j = 0; j < n->nifaces; j++) {
			const struct nsnet_lab_iface *f = &n->ifaces[j];

			if (f->kind != NSNET_IFACE_BRIDGE)
				continue;
			printf("\t\"n:%s\" -- \"br:%s\" [label=\"%s", n->name,
			       lab->bridges[f->bridge_idx].name, f->name);
			addrs(f->addrs, f->naddrs);
			printf("\"];\n");
		}
	}
	for (i = 0; i < lab->nlinks; i++) {
		const struct nsnet_lab_link *l = &lab->links[i];
		int k;

		printf("\t");
		for (k = 0; k < 2; k++) {
			const struct nsnet_lab_end *e = &l->end[k];

			if (e->node_idx >= 0)
				printf("\"n:%s\"", lab->nodes[e->node_idx].name);
			else
				printf("\"br:%s\"", lab->bridges[e->bridge_idx].name);
			printf(k ? "" : " -- ");
		}
		printf(" [color=darkgreen, label=\"");
		for (k = 0; k < 2; k++) {
			const struct nsnet_lab_end *e = &l->end[k];

			if (e->node_idx >= 0) {
				const struct nsnet_lab_iface *f =
					&lab->nodes[e->node_idx].ifaces[e->iface_idx];

				printf("%s%s", k ? "\\n" : "", f->name);
				addrs(f->addrs, f->naddrs);
			}
		}
		printf("\"];\n");
	}
	printf("}\n");
}

static int labs_up(void)
{
	char **v;
	int n = nsnet_state_labs(&v, NULL);

	nsnet_strv_free(v);
	return n;
}

int cmd_graph(int argc, char **argv)
{
	struct nsnet_lab_source src;
	struct nsnet_lab *lab = NULL;
	const char *arg = NULL, *topo = NULL;
	struct stat st;
	char *text = NULL;
	int i, ret;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("Usage: nsnet graph [FILE | LAB | --topo SPEC]\n"
			       "Graphviz DOT of a lab on stdout (e.g. | dot -Tsvg > lab.svg).\n"
			       "With no argument: the only lab that is up, else the seed lab.\n");
			return 0;
		} else if (!strcmp(argv[i], "--topo") && i + 1 < argc) {
			topo = argv[++i];
		} else if (argv[i][0] != '-' && !arg) {
			arg = argv[i];
		} else {
			msg("usage: nsnet graph [FILE | LAB | --topo SPEC]");
			return EXIT_USAGE;
		}
	}
	if (topo || (arg && stat(arg, &st) == 0 && S_ISREG(st.st_mode))) {
		opt_host_any = 1;
		ret = lab_from_args(arg, topo, &lab, &src, &text);
	} else if (arg || labs_up() > 0) {
		ret = open_saved_lab(arg, &lab);
	} else {
		ret = lab_from_args(NULL, NULL, &lab, &src, &text);
	}
	if (ret)
		return ret;
	print_dot(lab);
	nsnet_lab_free(lab);
	free(text);
	return 0;
}
