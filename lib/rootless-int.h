/* SPDX-License-Identifier: MIT */
/* Rootless labs: what the client, the holder, the unit tests and the fuzzer share. */
#ifndef NSNET_ROOTLESS_INT_H
#define NSNET_ROOTLESS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "nsnet/err.h"

#define NSNET__RL_SOCK "holder.sock"
#define NSNET__RL_EXT_IF "nsnet-ext"	/* the keeper's way out (pasta / slirp4netns tap) */
#define NSNET__RL_MSG_MAX 65536		/* one request or reply (SOCK_SEQPACKET) */
#define NSNET__RL_MAX_LABS 1024
#define NSNET__RL_MAX_PORTS 256		/* published ports per lab, ranges counted out */

/* One published range: host 127.0.0.1:port..port+count-1 -> the same ports inside. */
struct nsnet__rl_port {
	uint8_t proto;			/* IPPROTO_TCP / IPPROTO_UDP */
	uint16_t port, count;
};

struct nsnet__rl_lab {
	char name[65];
	int keep;			/* "keep NAME": unreadable now, leave as published */
	struct nsnet__rl_port *ports;	/* sorted, merged */
	size_t nports;
};

/*
 * A sync request: "sync\n" then one line per lab,
 *   lab NAME [tcp|udp PORT COUNT]…    publish exactly these
 *   keep NAME                         leave NAME as it is
 * Labs not named are unpublished.
 */
struct nsnet__rl_sync {
	struct nsnet__rl_lab *labs;
	size_t nlabs;
};

int nsnet__rl_name_ok(const char *name);
/* Parse the lines after "sync\n". 0 or -EINVAL (err says where). */
int nsnet__rl_sync_parse(const char *text, size_t len, struct nsnet__rl_sync *s,
			 struct nsnet_err *err);
void nsnet__rl_sync_free(struct nsnet__rl_sync *s);
/* Sort and merge a lab's ranges in place; the number of ports they cover. */
size_t nsnet__rl_ports_norm(struct nsnet__rl_port *p, size_t *n);
int nsnet__rl_ports_equal(const struct nsnet__rl_port *a, size_t na,
			  const struct nsnet__rl_port *b, size_t nb);
/* Append " tcp PORT COUNT"… for the ranges to buf; -ENOSPC if it does not fit. */
int nsnet__rl_ports_fmt(const struct nsnet__rl_port *p, size_t n, char *buf, size_t len);
/* pasta's -t / -u argument for one protocol: "127.0.0.1/8080,9000-9003" or "none". */
int nsnet__rl_pasta_spec(const struct nsnet__rl_port *p, size_t n, int proto, char *buf,
			 size_t len);
/* A slirp4netns API reply: {"return":{"id":N}} -> N, {"return":{}} -> 0,
 * {"error":{"desc":…}} -> -EIO with the text. */
int nsnet__rl_slirp_reply(const char *text, size_t len, struct nsnet_err *err);

/* The holder's "info" reply (after "ok\n"): holder PID | ns PID | helper NAME PID |
 * note TEXT | lab NAME [tcp|udp PORT COUNT]… lines. 0 or -EINVAL. */
struct nsnet_rootless_status;
int nsnet__rl_info_parse(const char *text, size_t len, struct nsnet_rootless_status *st,
			 struct nsnet_err *err);

/* The holder process (never returns): DIR, the pipe to report readiness on. */
void nsnet__rl_holder_main(const char *dir, int ready_fd) __attribute__((noreturn));

#endif
