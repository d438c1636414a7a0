/* SPDX-License-Identifier: MIT */
#ifndef NSNET_ROUTE_H
#define NSNET_ROUTE_H

#include "nsnet/addr.h"

struct nsnet_route {
	int family;
	struct nsnet_prefix dst;	/* plen 0: default */
	struct nsnet_prefix gw;		/* family 0: none */
	int oif;			/* ifindex, 0 none */
	char dev[16];			/* "dev NAME" as written; resolve into oif */
	uint32_t table;			/* 0: main */
	uint32_t metric;
	int scope;			/* for parsed dumps */
	int protocol;
	int type;
};

/*
 * Parse iproute2-style "default via GW [dev IF] [metric N] [table N]",
 * "PREFIX [via GW] [dev IF] …". Pure. 0 or -EINVAL with the reason in @err.
 */
int nsnet_route_parse_str(const char *s, struct nsnet_route *r, struct nsnet_err *err);
/* Text form for status output. */
const char *nsnet_route_fmt(const struct nsnet_route *r, const char *devname, char *buf,
			    size_t len);

void nsnet_route_msg(struct nlmsghdr *nlh, const struct nsnet_route *r);
void nsnet_route_add(struct nsnet_nl *nl, const struct nsnet_route *r);
void nsnet_route_del(struct nsnet_nl *nl, const struct nsnet_route *r);

int nsnet_route_parse(const struct nlmsghdr *nlh, struct nsnet_route *r);
/* Dump routes of the main table of @family (AF_UNSPEC: both): count, *v malloc'd (free()). */
int nsnet_route_list(struct nsnet_nl *nl, int family, struct nsnet_route **v,
		     struct nsnet_err *err);

#endif
