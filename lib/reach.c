// SPDX-License-Identifier: MIT
/* Reachability expectations of a lab: who shares which segment. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nsnet/reach.h"

static int find(int *parent, int x)
{
	while (parent[x] != x) {
		parent[x] = parent[parent[x]];
		x = parent[x];
	}
	return x;
}

/* Segments: 0..nbridges-1 for bridges (merged through bridge<->bridge links),
 * nbridges + link index for node<->node cables. */
static int *bridge_segments(const struct nsnet_lab *lab)
{
	int *parent = malloc((lab->nbridges + 1) * sizeof(*parent));
	size_t i;

	if (!parent)
		return NULL;
	for (i = 0; i < lab->nbridges; i++)
		parent[i] = (int)i;
	for (i = 0; i < lab->nlinks; i++) {
		const struct nsnet_lab_link *l = &lab->links[i];

		if (l->end[0].bridge_idx >= 0 && l->end[1].bridge_idx >= 0) {
			int a = find(parent, l->end[0].bridge_idx), b = find(parent, l->end[1].bridge_idx);

			parent[a] = b;
		}
	}
	for (i = 0; i < lab->nbridges; i++)
		parent[i] = find(parent, (int)i);
	return parent;
}

int nsnet_lab_segment(const struct nsnet_lab *lab, size_t node, size_t iface, int *seg_of_bridge)
{
	const struct nsnet_lab_iface *f = &lab->nodes[node].ifaces[iface];
	const struct nsnet_lab_link *l;
	int k;

	if (f->kind == NSNET_IFACE_BRIDGE && f->bridge_idx >= 0)
		return seg_of_bridge[f->bridge_idx];
	if (f->kind != NSNET_IFACE_LINK || f->link_idx < 0)
		return -1;
	l = &lab->links[f->link_idx];
	for (k = 0; k < 2; k++)
		if (l->end[k].bridge_idx >= 0)
			return seg_of_bridge[l->end[k].bridge_idx];
	return (int)lab->nbridges + f->link_idx;
}

int nsnet_lab_reach_pairs(const struct nsnet_lab *lab, struct nsnet_reach_pair **v, size_t *n)
{
	struct nsnet_reach_pair *out = NULL;
	size_t cap = 0, cnt = 0, a, b, i, j, k;
	int *seg = bridge_segments(lab), **segs = NULL;

	*v = NULL;
	*n = 0;
	if (!seg)
		return -ENOMEM;
	segs = calloc(lab->nnodes + 1, sizeof(*segs));
	if (!segs)
		goto nomem;
	for (a = 0; a < lab->nnodes; a++) {
		segs[a] = malloc((lab->nodes[a].nifaces + 1) * sizeof(int));
		if (!segs[a])
			goto nomem;
		for (i = 0; i < lab->nodes[a].nifaces; i++)
			segs[a][i] = nsnet_lab_segment(lab, a, i, seg);
	}
	for (a = 0; a < lab->nnodes; a++) {
		for (b = 0; b < lab->nnodes; b++) {
			const struct nsnet_lab_node *nb = &lab->nodes[b];

			if (a == b)
				continue;
			for (j = 0; j < nb->nifaces; j++) {
				size_t si = 0;
				int shared = 0;

				if (segs[b][j] < 0)
					continue;
				for (i = 0; i < lab->nodes[a].nifaces && !shared; i++)
					if (segs[a][i] == segs[b][j]) {
						shared = 1;
						si = i;
					}
				if (!shared)
					continue;
				for (k = 0; k < nb->ifaces[j].naddrs; k++) {
					if (cnt == cap) {
						size_t ncap = cap ? cap * 2 : 64;
						struct nsnet_reach_pair *nv =
							realloc(out, ncap * sizeof(*nv));

						if (!nv)
							goto nomem;
						out = nv;
						cap = ncap;
					}
					out[cnt].src = a;
					out[cnt].dst = b;
					out[cnt].addr = nb->ifaces[j].addrs[k].p;
					out[cnt].src_iface = si;
					out[cnt].dst_iface = j;
					out[cnt].addr.plen = out[cnt].addr.family == 2 ? 32 : 128;
					cnt++;
				}
			}
		}
	}
	for (a = 0; a < lab->nnodes; a++)
		free(segs[a]);
	free(segs);
	free(seg);
	*v = out;
	*n = cnt;
	return 0;
nomem:
	if (segs)
		for (a = 0; a < lab->nnodes; a++)
			free(segs[a]);
	free(segs);
	free(seg);
	free(out);
	return -ENOMEM;
}
