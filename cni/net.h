/* SPDX-License-Identifier: MIT */
#ifndef NSNET_CNI_NET_H
#define NSNET_CNI_NET_H

#include "nsnet/link.h"
#include "nsnet/nl.h"

#include "cni.h"

struct cni_net {
	struct nsnet_nl *host, *cont;
	int nsfd;
	int created_bridge, veth_queued, created_veth, ifb_queued;
	struct nsnet_link_info br, hv, cv, ifb;
};

uint32_t cni_group(const char *network);
/* @need_netns: fail if CNI_NETNS cannot be opened (else nsfd stays -1). */
int cni_net_open(struct cni_net *n, const char *netns, int need_netns, struct nsnet_err *err);
int cni_net_open_container(struct cni_net *n, struct nsnet_err *err);
void cni_net_close(struct cni_net *n);
/*
 * Drop from @routes those whose destination the container already has a
 * route to (main table: e.g. the default route of its first attachment).
 */
int cni_net_routes_new(struct cni_net *n, struct cni_route *routes, size_t *nroutes,
		       struct nsnet_err *err);
int cni_net_add(struct cni_net *n, const struct cni_conf *c, const struct cni_env *env,
		const struct cni_record *r, const struct cni_route *routes, size_t nroutes,
		struct nsnet_err *err);
void cni_net_undo(struct cni_net *n, const struct cni_conf *c, const struct cni_env *env,
		  const struct cni_record *r);
/* Delete @host_veth if it carries the owner mark of (cid, ifname); 0 if absent / not ours. */
int cni_net_del_veth(struct cni_net *n, const struct cni_conf *c, const char *cid,
		     const char *ifname, const char *host_veth, struct nsnet_err *err);
/* Delete the IFB @name if it carries the owner mark of (cid, ifname); 0 if absent / not ours. */
int cni_net_del_ifb(struct cni_net *n, const struct cni_conf *c, const char *cid,
		    const char *ifname, const char *name, struct nsnet_err *err);
int cni_net_check(struct cni_net *n, const struct cni_conf *c, const struct cni_env *env,
		  const struct cni_record *r, const struct cni_route *routes, size_t nroutes,
		  struct nsnet_err *err);
int cni_net_sysctls(const struct cni_conf *c, const struct cni_record *r, struct nsnet_err *err);

#endif
