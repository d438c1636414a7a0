// SPDX-License-Identifier: MIT
/* Reachability expectations of a lab: who shares which segment. */
#include <errno.h>
#include <stdint.h>
#include <sys/socket.h>
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

static int is_ll6(const struct nsnet_prefix *p)
{
	return p->family == AF_INET6 && p->addr[0] == 0xfe && (p->addr[1] & 0xc0) == 0x80;
}

/* Whether node @a has an address of @family (IPv6: other than link-local). */
static int has_family(const struct nsnet_lab_node *a, int family)
{
	size_t i, k;

	for (i = 0; i < a->nifaces; i++)
		for (k = 0; k < a->ifaces[i].naddrs; k++)
			if (a->ifaces[i].addrs[k].p.family == family && !is_ll6(&a->ifaces[i].addrs[k].p))
				return 1;
	return 0;
}

static int push(struct nsnet_reach_pair **out, size_t *cnt, size_t *cap, size_t a, size_t b,
		const struct nsnet_prefix *addr, size_t si, size_t di)
{
	if (*cnt == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct nsnet_reach_pair *nv = realloc(*out, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		*out = nv;
		*cap = ncap;
	}
	(*out)[*cnt].src = a;
	(*out)[*cnt].dst = b;
	(*out)[*cnt].addr = *addr;
	(*out)[*cnt].src_iface = si;
	(*out)[*cnt].dst_iface = di;
	(*out)[*cnt].addr.plen = addr->family == AF_INET ? 32 : 128;
	(*cnt)++;
	return 0;
}

int nsnet_lab_ping_pairs(const struct nsnet_lab *lab, int flags, struct nsnet_reach_pair **v,
			 size_t *n)
{
	struct nsnet_reach_pair *out = NULL;
	size_t cap = 0, cnt = 0, a, b, i, j, k;
	int *seg, **segs = NULL;
	uint8_t *fam = NULL;

	*v = NULL;
	*n = 0;
	seg = bridge_segments(lab);
	if (!seg)
		return -ENOMEM;
	segs = calloc(lab->nnodes + 1, sizeof(*segs));
	fam = calloc(lab->nnodes + 1, 1);
	if (!segs || !fam)
		goto nomem;
	for (a = 0; a < lab->nnodes; a++) {
		segs[a] = malloc((lab->nodes[a].nifaces + 1) * sizeof(int));
		if (!segs[a])
			goto nomem;
		for (i = 0; i < lab->nodes[a].nifaces; i++)
			segs[a][i] = nsnet_lab_segment(lab, a, i, seg);
		fam[a] = (uint8_t)(has_family(&lab->nodes[a], AF_INET) |
				   has_family(&lab->nodes[a], AF_INET6) << 1);
	}
	for (a = 0; a < lab->nnodes; a++) {
		for (b = 0; b < lab->nnodes; b++) {
			const struct nsnet_lab_node *nb = &lab->nodes[b];

			if (a == b)
				continue;
			for (j = 0; j < nb->nifaces; j++) {
				size_t si = NSNET_PAIR_ROUTED;

				/* the interface of a on the segment of this address, if any */
				for (i = 0; segs[b][j] >= 0 && i < lab->nodes[a].nifaces; i++)
					if (segs[a][i] == segs[b][j]) {
						si = i;
						break;
					}
				for (k = 0; k < nb->ifaces[j].naddrs; k++) {
					const struct nsnet_prefix *p = &nb->ifaces[j].addrs[k].p;
					int f = p->family == AF_INET ? 1 : 2;

					/* a family a has too; link-local only on a shared segment */
					if (!(fam[a] & f) || (si == NSNET_PAIR_ROUTED &&
							       (is_ll6(p) || (flags & NSNET_PAIRS_SEGMENT))))
						continue;
					if (push(&out, &cnt, &cap, a, b, p, si, j) < 0)
						goto nomem;
				}
			}
		}
	}
	for (a = 0; a < lab->nnodes; a++)
		free(segs[a]);
	free(segs);
	free(seg);
	free(fam);
	*v = out;
	*n = cnt;
	return 0;
nomem:
	if (segs)
		for (a = 0; a < lab->nnodes; a++)
			free(segs[a]);
	free(segs);
	free(seg);
	free(fam);
	free(out);
	return -ENOMEM;
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
