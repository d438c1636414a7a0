// SPDX-License-Identifier: MIT
/*
 * Multi-host labs (hosts:): which host each node and bridge lives on, which
 * bridges and cables span hosts (and so become VXLAN segments), their VNIs
 * and the MTU that fits the overlay. Pure, but for nsnet_lab_set_host()'s
 * look at this machine's addresses.
 *
 * A node lives on its host: (default: the first host). A bridge has a home
 * host (its host:, default the first) that holds its addresses, and an
 * instance on every host with a node on it; with instances on two or more
 * hosts it spans them: each instance gets a VXLAN port, unicast, one
 * all-zeros FDB entry per other instance (head-end replication: no multicast
 * underlay). A cable between nodes on two hosts is a VXLAN device on each
 * side, in the node, with the other host as its remote. VNIs are
 * FNV-1a(lab, kind, segment) & 0xffffff unless given with vni:; the checker
 * refuses two segments of a lab with one VNI.
 */
#include <errno.h>
#include <stdarg.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsnet/lab.h"
#include "lab-int.h"

#define MAX_HOSTS 64

static int herr(const struct nsnet_lab *lab, struct nsnet_err *err, const struct nsnet_loc *loc,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int herr(const struct nsnet_lab *lab, struct nsnet_err *err, const struct nsnet_loc *loc,
		const char *fmt, ...)
{
	char why[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return nsnet__lab_err(err, lab->file, loc, "%s", why);
}

static int host_find(const struct nsnet_lab *lab, const char *name)
{
	size_t i;

	for (i = 0; i < lab->nhosts; i++)
		if (!strcmp(lab->hosts[i].name, name))
			return (int)i;
	return -1;
}

static uint32_t vni_of(const char *lab, const char *kind, const char *a, const char *b)
{
	uint32_t v = nsnet__hash_strs(lab, kind, a, b ? b : "", NULL) & 0xffffffu;

	return v ? v : 1;
}

/* The MTU left inside a VXLAN tunnel between the hosts of @mask. */
static int overlay_mtu(const struct nsnet_lab *lab, uint64_t mask)
{
	int mtu = 65535;
	size_t i;

	for (i = 0; i < lab->nhosts; i++) {
		int m;

		if (!(mask >> i & 1))
			continue;
		m = (lab->hosts[i].mtu ? lab->hosts[i].mtu : 1500) -
		    (lab->hosts[i].addr.family == AF_INET6 ? 70 : 50);
		if (m < mtu)
			mtu = m;
	}
	return mtu;
}

/* Fit the interfaces of a spanning segment to @omtu: fill unset MTUs, refuse larger ones. */
static int fit(const struct nsnet_lab *lab, int *mtu, int omtu, const struct nsnet_loc *loc,
	       const char *what, struct nsnet_err *err)
{
	if (*mtu > omtu)
		return herr(lab, err, loc, "%s: mtu %d does not fit the VXLAN segment between "
			    "hosts (underlay MTU minus %d bytes of VXLAN overhead leaves %d)", what,
			    *mtu, lab->hosts[0].addr.family == AF_INET6 ? 70 : 50, omtu);
	if (!*mtu)
		*mtu = omtu;
	return 0;
}

struct seg {
	uint32_t vni;
	const char *what;
	const struct nsnet_loc *loc;
};

static int seg_cmp(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	return x->vni < y->vni ? -1 : x->vni > y->vni;
}

static void derive_macs(struct nsnet_lab *lab);

int nsnet__lab_check_hosts(struct nsnet_lab *lab, struct nsnet_err *err)
{
	struct seg *segs = NULL;
	char what[300];
	size_t i, j, nseg = 0;
	int ret = 0, e;

	lab->local = -1;
	for (i = 0; i < lab->nbridges; i++)
		lab->bridges[i].host_idx = -1;
	for (i = 0; i < lab->nnodes; i++)
		lab->nodes[i].host_idx = -1;
	if (!lab->nhosts) {
		for (i = 0; i < lab->nnodes; i++)
			if (lab->nodes[i].host)
				return herr(lab, err, &lab->nodes[i].loc, "nodes.%s.host: the lab has "
					    "no hosts: section", lab->nodes[i].name);
		for (i = 0; i < lab->nbridges; i++)
			if (lab->bridges[i].host || lab->bridges[i].vni)
				return herr(lab, err, &lab->bridges[i].loc, "bridges.%s: host:/vni: "
					    "need a hosts: section", lab->bridges[i].name);
		for (i = 0; i < lab->nlinks; i++)
			if (lab->links[i].vni)
				return herr(lab, err, &lab->links[i].loc, "links[%zu].vni: the lab has "
					    "no hosts: section", i);
		if (lab->vxlan_port)
			return herr(lab, err, &lab->hosts_loc, "vxlan_port: the lab has no hosts: "
				    "section");
		return 0;
	}
	if (lab->nhosts > MAX_HOSTS)
		return herr(lab, err, &lab->hosts_loc, "hosts: at most %d hosts", MAX_HOSTS);
	if (!lab->vxlan_port)
		lab->vxlan_port = NSNET_VXLAN_PORT;
	for (i = 0; i < lab->nhosts; i++) {
		const struct nsnet_lab_host *h = &lab->hosts[i];

		if (!nsnet__node_name_ok(h->name))
			return herr(lab, err, &h->loc, "hosts.%s: not a valid host name", h->name);
		if (h->addr.family != lab->hosts[0].addr.family)
			return herr(lab, err, &h->loc, "hosts.%s.address: every host's underlay "
				    "address must be of one family (IPv4 or IPv6)", h->name);
		if (h->mtu && h->mtu < 576)
			return herr(lab, err, &h->loc, "hosts.%s.mtu: an underlay MTU under 576 "
				    "leaves too little room", h->name);
		if (h->dev && strlen(h->dev) > 15)
			return herr(lab, err, &h->loc, "hosts.%s.interface: not an interface name",
				    h->name);
		for (j = 0; j < i; j++)
			if (nsnet_ip_equal(&h->addr, &lab->hosts[j].addr))
				return herr(lab, err, &h->loc, "hosts.%s.address: also the address of "
					    "host %s", h->name, lab->hosts[j].name);
	}
	for (i = 0; i < lab->nnodes; i++) {
		struct nsnet_lab_node *n = &lab->nodes[i];

		n->host_idx = n->host ? host_find(lab, n->host) : 0;
		if (n->host_idx < 0)
			return herr(lab, err, &n->loc, "nodes.%s.host: unknown host \"%s\" (not in "
				    "hosts:)", n->name, n->host);
	}
	for (i = 0; i < lab->nbridges; i++) {
		struct nsnet_lab_bridge *b = &lab->bridges[i];

		b->host_idx = b->host ? host_find(lab, b->host) : 0;
		if (b->host_idx < 0)
			return herr(lab, err, &b->loc, "bridges.%s.host: unknown host \"%s\" (not "
				    "in hosts:)", b->name, b->host);
		b->on_hosts = 1ull << b->host_idx;
	}
	for (i = 0; i < lab->nnodes; i++)
		for (j = 0; j < lab->nodes[i].nifaces; j++)
			if (lab->nodes[i].ifaces[j].kind == NSNET_IFACE_BRIDGE)
				lab->bridges[lab->nodes[i].ifaces[j].bridge_idx].on_hosts |=
					1ull << lab->nodes[i].host_idx;
	for (i = 0; i < lab->nlinks; i++) {
		struct nsnet_lab_link *l = &lab->links[i];

		if (l->end[0].bridge_idx >= 0 && l->end[1].bridge_idx >= 0) {
			/* bridge<->bridge: a veth on the first bridge's home host */
			struct nsnet_lab_bridge *b0 = &lab->bridges[l->end[0].bridge_idx];

			lab->bridges[l->end[1].bridge_idx].on_hosts |= 1ull << b0->host_idx;
			if (l->vni)
				return herr(lab, err, &l->loc, "links[%zu].vni: a bridge<->bridge "
					    "cable is on one host", i);
		} else if (l->end[0].node_idx >= 0 && l->end[1].node_idx >= 0) {
			l->spans = lab->nodes[l->end[0].node_idx].host_idx !=
				   lab->nodes[l->end[1].node_idx].host_idx;
			if (l->vni && !l->spans)
				return herr(lab, err, &l->loc, "links[%zu].vni: both nodes are on one "
					    "host", i);
		} else if (l->vni) {
			return herr(lab, err, &l->loc, "links[%zu].vni: set vni: on the bridge", i);
		}
	}
	/* NAT is the first host's: masquerade out of it, forwards into its nodes */
	for (i = 0; i < lab->nat.nfwd; i++) {
		const struct nsnet_lab_forward *f = &lab->nat.fwd[i];

		if (f->node_idx >= 0 && lab->nodes[f->node_idx].host_idx != 0)
			return herr(lab, err, &f->loc, "nat.forwards: %s is on host %s; forwards "
				    "lead into nodes of the first host (%s), which holds the lab's NAT",
				    f->to, lab->hosts[lab->nodes[f->node_idx].host_idx].name,
				    lab->hosts[0].name);
	}
	segs = calloc(lab->nbridges + lab->nlinks + 1, sizeof(*segs));
	if (!segs)
		return nsnet_err_set(err, -ENOMEM, "out of memory");
	for (i = 0; i < lab->nbridges && !ret; i++) {
		struct nsnet_lab_bridge *b = &lab->bridges[i];
		int omtu;

		b->spans = (b->on_hosts & (b->on_hosts - 1)) != 0;
		if (!b->spans) {
			if (b->vni)
				ret = herr(lab, err, &b->loc, "bridges.%s.vni: the bridge is on one "
					   "host only", b->name);
			continue;
		}
		if (!b->vni)
			b->vni = vni_of(lab->name, "bridge", b->name, NULL);
		segs[nseg++] = (struct seg){ b->vni, b->name, &b->loc };
		omtu = overlay_mtu(lab, b->on_hosts);
		snprintf(what, sizeof(what), "bridges.%s", b->name);
		ret = fit(lab, &b->mtu, omtu, &b->loc, what, err);
		for (j = 0; j < lab->nnodes && !ret; j++) {
			size_t k;

			for (k = 0; k < lab->nodes[j].nifaces && !ret; k++) {
				struct nsnet_lab_iface *f = &lab->nodes[j].ifaces[k];

				if (f->kind != NSNET_IFACE_BRIDGE || f->bridge_idx != (int)i)
					continue;
				snprintf(what, sizeof(what), "nodes.%s.interfaces.%s",
					 lab->nodes[j].name, f->name);
				ret = fit(lab, &f->mtu, omtu, &f->loc, what, err);
			}
		}
		for (j = 0; j < lab->nlinks && !ret; j++) {
			struct nsnet_lab_link *l = &lab->links[j];

			if (l->end[0].bridge_idx == (int)i || l->end[1].bridge_idx == (int)i) {
				snprintf(what, sizeof(what), "links[%zu]", j);
				if (l->mtu > omtu)
					ret = fit(lab, &l->mtu, omtu, &l->loc, what, err);
				else if (!l->mtu && l->end[0].node_idx < 0 && l->end[1].node_idx < 0)
					l->mtu = omtu;
			}
		}
	}
	for (i = 0; i < lab->nlinks && !ret; i++) {
		struct nsnet_lab_link *l = &lab->links[i];
		int omtu;

		if (!l->spans)
			continue;
		if (!l->vni)
			l->vni = vni_of(lab->name, "link",
					strcmp(l->end[0].text, l->end[1].text) < 0 ? l->end[0].text :
					l->end[1].text,
					strcmp(l->end[0].text, l->end[1].text) < 0 ? l->end[1].text :
					l->end[0].text);
		segs[nseg++] = (struct seg){ l->vni, l->end[0].text, &l->loc };
		omtu = overlay_mtu(lab, 1ull << lab->nodes[l->end[0].node_idx].host_idx |
					1ull << lab->nodes[l->end[1].node_idx].host_idx);
		snprintf(what, sizeof(what), "links[%zu]", i);
		if (l->mtu)
			ret = fit(lab, &l->mtu, omtu, &l->loc, what, err);
		for (e = 0; e < 2 && !ret; e++) {
			struct nsnet_lab_iface *f =
				&lab->nodes[l->end[e].node_idx].ifaces[l->end[e].iface_idx];

			snprintf(what, sizeof(what), "nodes.%s.interfaces.%s",
				 lab->nodes[l->end[e].node_idx].name, f->name);
			if (l->mtu && !f->mtu)
				f->mtu = l->mtu;
			ret = fit(lab, &f->mtu, omtu, &f->loc, what, err);
		}
	}
	if (!ret && nseg > 1) {
		qsort(segs, nseg, sizeof(*segs), seg_cmp);
		for (i = 1; i < nseg && !ret; i++)
			if (segs[i].vni == segs[i - 1].vni)
				ret = herr(lab, err, segs[i].loc, "VNI %u of segment %s is also the VNI "
					   "of segment %s: set vni: on one of them", segs[i].vni,
					   segs[i].what, segs[i - 1].what);
	}
	free(segs);
	if (!ret)
		derive_macs(lab);
	return ret;
}

/*
 * Interfaces on a segment that spans hosts get a MAC derived from (lab, node,
 * interface) unless the file gives one: every host then knows every remote
 * node's MAC without asking (pingall writes static neighbour entries for
 * remote nodes too), and a node keeps its MAC when its part is recreated.
 */
static void derive_mac(const struct nsnet_lab *lab, struct nsnet_lab_node *n,
		       struct nsnet_lab_iface *f)
{
	uint32_t a = nsnet__hash_strs(lab->name, n->name, f->name, NULL);
	uint32_t b = nsnet__hash_strs(f->name, n->name, lab->name, "mac", NULL);

	if (f->has_mac)
		return;
	f->mac[0] = 0x0a;	/* locally administered, unicast */
	f->mac[1] = (uint8_t)(a >> 24);
	f->mac[2] = (uint8_t)(a >> 16);
	f->mac[3] = (uint8_t)(a >> 8);
	f->mac[4] = (uint8_t)a;
	f->mac[5] = (uint8_t)b;
	f->has_mac = 1;
}

static void derive_macs(struct nsnet_lab *lab)
{
	size_t i, j;
	int e;

	for (i = 0; i < lab->nnodes; i++)
		for (j = 0; j < lab->nodes[i].nifaces; j++) {
			struct nsnet_lab_iface *f = &lab->nodes[i].ifaces[j];

			if (f->kind == NSNET_IFACE_BRIDGE && lab->bridges[f->bridge_idx].spans)
				derive_mac(lab, &lab->nodes[i], f);
		}
	for (i = 0; i < lab->nlinks; i++)
		for (e = 0; lab->links[i].spans && e < 2; e++) {
			struct nsnet_lab_node *n = &lab->nodes[lab->links[i].end[e].node_idx];

			derive_mac(lab, n, &n->ifaces[lab->links[i].end[e].iface_idx]);
		}
}

int nsnet_lab_node_local(const struct nsnet_lab *lab, size_t i)
{
	return lab->local < 0 || lab->nodes[i].host_idx == lab->local;
}

int nsnet_lab_bridge_local(const struct nsnet_lab *lab, size_t b)
{
	return lab->local < 0 || (lab->bridges[b].on_hosts >> lab->local & 1);
}

int nsnet_lab_set_host(struct nsnet_lab *lab, const char *name, struct nsnet_err *err)
{
	struct ifaddrs *ifa = NULL, *a;
	int found = -1, n = 0;
	size_t i;

	if (!lab->nhosts) {
		if (name)
			return nsnet_err_set(err, -EINVAL, "lab \"%s\" has no hosts: section "
					     "(--host needs one)", lab->name);
		return 0;
	}
	if (name) {
		found = host_find(lab, name);
		if (found < 0)
			return nsnet_err_set(err, -EINVAL, "lab \"%s\" has no host \"%s\"", lab->name,
					     name);
		lab->local = found;
		return 0;
	}
	if (getifaddrs(&ifa) < 0)
		return nsnet_err_set(err, -errno, "getifaddrs: %s", strerror(errno));
	for (i = 0; i < lab->nhosts; i++) {
		const struct nsnet_prefix *h = &lab->hosts[i].addr;

		for (a = ifa; a; a = a->ifa_next) {
			const void *p;

			if (!a->ifa_addr || a->ifa_addr->sa_family != h->family)
				continue;
			p = h->family == AF_INET ?
				(const void *)&((struct sockaddr_in *)a->ifa_addr)->sin_addr :
				(const void *)&((struct sockaddr_in6 *)a->ifa_addr)->sin6_addr;
			if (!memcmp(p, h->addr, h->family == AF_INET ? 4 : 16)) {
				found = (int)i;
				n++;
				break;
			}
		}
	}
	freeifaddrs(ifa);
	if (n != 1)
		return nsnet_err_set(err, -ENOENT, "lab \"%s\" spans hosts and %s of their "
				     "underlay addresses is an address of this machine: name the "
				     "part to bring up with --host NAME", lab->name,
				     n ? "more than one" : "none");
	lab->local = found;
	return 0;
}
