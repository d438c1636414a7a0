// SPDX-License-Identifier: MIT
/*
 * Cables of a lab (pure): which veth ends a node interface NODE:IF stands
 * for, the impairment the lab file gives it, and the text of the runtime
 * records ("cables" in the lab's state). The kernel side is cable-ctl.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsnet/cable.h"

void nsnet_cable_of(const struct nsnet_lab *lab, size_t node, size_t iface,
		    struct nsnet_cable *c, char *field)
{
	const struct nsnet_lab_iface *f = &lab->nodes[node].ifaces[iface];
	const struct nsnet_lab_link *l = NULL;
	const struct nsnet_lab_iface *peer = NULL;
	int e;

	memset(c, 0, sizeof(*c));
	c->node[0] = (int)node;
	c->iface[0] = (int)iface;
	c->ifname[0] = f->name;
	c->node[1] = c->iface[1] = -1;
	c->link_idx = f->link_idx;
	if (f->link_idx >= 0)
		l = &lab->links[f->link_idx];
	if (f->kind == NSNET_IFACE_LINK && l) {
		for (e = 0; e < 2; e++) {
			const struct nsnet_lab_end *end = &l->end[e];

			if (end->node_idx < 0 ||
			    ((size_t)end->node_idx == node && (size_t)end->iface_idx == iface))
				continue;
			c->node[1] = end->node_idx;
			c->iface[1] = end->iface_idx;
			peer = &lab->nodes[end->node_idx].ifaces[end->iface_idx];
			c->ifname[1] = peer->name;
		}
	} else {
		c->ifname[1] = f->host_name;
	}
	if (f->impair.set) {
		c->impair = &f->impair;
		c->impair_loc = &f->impair_loc;
		if (field)
			snprintf(field, NSNET_CABLE_KEY_MAX, "nodes.%s.interfaces.%s",
				 lab->nodes[node].name, f->name);
	} else if (l && l->impair.set) {
		c->impair = &l->impair;
		c->impair_loc = &l->impair_loc;
		if (field)
			snprintf(field, NSNET_CABLE_KEY_MAX, "links[%d]", f->link_idx);
	} else if (peer && peer->impair.set) {
		c->impair = &peer->impair;
		c->impair_loc = &peer->impair_loc;
		if (field)
			snprintf(field, NSNET_CABLE_KEY_MAX, "nodes.%s.interfaces.%s",
				 lab->nodes[c->node[1]].name, peer->name);
	} else if (field) {
		field[0] = '\0';
	}
}

void nsnet_cable_of_link(const struct nsnet_lab *lab, size_t link, struct nsnet_cable *c)
{
	const struct nsnet_lab_link *l = &lab->links[link];

	memset(c, 0, sizeof(*c));
	c->node[0] = c->node[1] = c->iface[0] = c->iface[1] = -1;
	c->ifname[0] = l->host_name[0];
	c->ifname[1] = l->host_name[1];
	c->link_idx = (int)link;
	if (l->impair.set) {
		c->impair = &l->impair;
		c->impair_loc = &l->impair_loc;
	}
}

int nsnet_cable_find(const struct nsnet_lab *lab, const char *endpoint, size_t *node,
		     size_t *iface, struct nsnet_err *err)
{
	const char *colon = strchr(endpoint, ':');
	size_t i, j, nl;
	char list[200];
	int o = 0;

	if (!colon || colon == endpoint || !colon[1])
		return nsnet_err_set(err, -EINVAL, "\"%.100s\" is not NODE:IF (like a:eth0)",
				     endpoint);
	nl = (size_t)(colon - endpoint);
	for (i = 0; i < lab->nnodes; i++)
		if (strlen(lab->nodes[i].name) == nl && !strncmp(lab->nodes[i].name, endpoint, nl))
			break;
	if (i == lab->nnodes)
		return nsnet_err_set(err, -EINVAL, "lab \"%s\" has no node \"%.*s\"", lab->name,
				     (int)(nl > 100 ? 100 : nl), endpoint);
	for (j = 0; j < lab->nodes[i].nifaces; j++)
		if (!strcmp(lab->nodes[i].ifaces[j].name, colon + 1))
			break;
	if (j == lab->nodes[i].nifaces) {
		list[0] = '\0';
		for (j = 0; j < lab->nodes[i].nifaces && o >= 0 && (size_t)o < sizeof(list); j++)
			o += snprintf(list + o, sizeof(list) - (size_t)o, "%s%s", j ? ", " : "",
				      lab->nodes[i].ifaces[j].name);
		return nsnet_err_set(err, -EINVAL, "node \"%s\" has no interface \"%.40s\" (it has: "
				     "%s)", lab->nodes[i].name, colon + 1,
				     lab->nodes[i].nifaces ? list : "none");
	}
	*node = i;
	*iface = j;
	return 0;
}

void nsnet_cable_key(const struct nsnet_lab *lab, const struct nsnet_cable *c, char *buf,
		     size_t len)
{
	const struct nsnet_lab_link *l;

	if (c->link_idx >= 0 && c->node[1] >= 0) {
		l = &lab->links[c->link_idx];
		if (l->end[0].node_idx >= 0) {
			snprintf(buf, len, "%s:%s", lab->nodes[l->end[0].node_idx].name,
				 lab->nodes[l->end[0].node_idx].ifaces[l->end[0].iface_idx].name);
			return;
		}
	}
	if (c->node[0] >= 0)
		snprintf(buf, len, "%s:%s", lab->nodes[c->node[0]].name, c->ifname[0]);
	else
		snprintf(buf, len, "host:%s", c->ifname[0] ? c->ifname[0] : "?");
}

void nsnet_cable_end_name(const struct nsnet_lab *lab, const struct nsnet_cable *c, int i,
			  char *buf, size_t len)
{
	if (c->node[i] >= 0)
		snprintf(buf, len, "%s:%s", lab->nodes[c->node[i]].name, c->ifname[i]);
	else
		snprintf(buf, len, "host:%s", c->ifname[i] ? c->ifname[i] : "?");
}

/* ---- runtime records ------------------------------------------------------------ */

static struct nsnet_cable_state *get_rec(struct nsnet_cable_state **v, size_t *n,
					 const char *key, size_t klen)
{
	struct nsnet_cable_state *nv;
	size_t i;

	for (i = 0; i < *n; i++)
		if (strlen((*v)[i].key) == klen && !strncmp((*v)[i].key, key, klen))
			return &(*v)[i];
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv)
		return NULL;
	*v = nv;
	memset(&nv[*n], 0, sizeof(nv[*n]));
	memcpy(nv[*n].key, key, klen);
	return &nv[(*n)++];
}

/* "NODE:IF": something on both sides of the first ':' */
static int key_ok(const char *k, size_t len)
{
	const char *c = memchr(k, ':', len);

	return c && c != k && c + 1 < k + len;
}

int nsnet_cable_state_parse(const char *text, size_t len, struct nsnet_cable_state **v,
			    size_t *n)
{
	const char *p = text, *end = text + len;

	*v = NULL;
	*n = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *sp;
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p), klen;
		char line[NSNET_IMPAIR_FMT_MAX + NSNET_CABLE_KEY_MAX + 16];
		struct nsnet_cable_state *r;
		struct nsnet_impair im;

		if (ll < sizeof(line) && !memchr(p, '\0', ll)) {
			memcpy(line, p, ll);
			line[ll] = '\0';
			sp = strchr(line, ' ');
			klen = sp ? (size_t)(sp - line) : 0;
			if (sp && klen && klen < NSNET_CABLE_KEY_MAX && key_ok(line, klen)) {
				if (!strcmp(sp + 1, "down")) {
					r = get_rec(v, n, line, klen);
					if (!r)
						goto nomem;
					r->down = 1;
				} else if (!strncmp(sp + 1, "impair ", 7) &&
					   nsnet_impair_parse_str(sp + 8, &im, NULL) == 0) {
					r = get_rec(v, n, line, klen);
					if (!r)
						goto nomem;
					r->has_impair = 1;
					r->impair = im;
				}
			}
		}
		p += ll + 1;
	}
	return 0;
nomem:
	free(*v);
	*v = NULL;
	*n = 0;
	return -ENOMEM;
}

char *nsnet_cable_state_text(const struct nsnet_cable_state *v, size_t n)
{
	size_t cap = n * (2 * NSNET_CABLE_KEY_MAX + NSNET_IMPAIR_FMT_MAX + 32) + 1, o = 0, i;
	char *buf = malloc(cap), im[NSNET_IMPAIR_FMT_MAX];

	if (!buf)
		return NULL;
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (v[i].down)
			o += (size_t)snprintf(buf + o, cap - o, "%s down\n", v[i].key);
		if (v[i].has_impair)
			o += (size_t)snprintf(buf + o, cap - o, "%s impair %s\n", v[i].key,
					      nsnet_impair_format(&v[i].impair, im, sizeof(im)));
	}
	return buf;
}

const struct nsnet_cable_state *nsnet_cable_state_find(const struct nsnet_cable_state *v,
						       size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].key, key))
			return &v[i];
	return NULL;
}
