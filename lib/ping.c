// SPDX-License-Identifier: MIT
/*
 * All-pairs ICMP echo engine. Raw ICMP / ICMPv6 sockets are opened inside each
 * source namespace (a socket stays bound to the namespace it was created in),
 * then one epoll loop drives every pair under flow control (see "engine"
 * below): a congestion window of pairs in flight, at most WINDOW per socket
 * (so a neighbour's unresolved queue, unres_qlen ~101 packets, is never
 * overrun), resends after a timeout from the measured round trip, a pair given
 * up a timeout after its first request.
 *
 * A pair is found from a reply without searching: the pair index is split
 * into the echo id (high bits, offset by a per-run random base) and sequence
 * (low 16 bits); the payload repeats the index with a per-run cookie and
 * carries the send timestamp. Raw sockets see every ICMP packet of their
 * namespace, so a reply counts only if id, seq, cookie, index, receiving
 * socket and source address all match the pair.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/icmp.h>

#include "nsnet/netns.h"
#include "nsnet/ping.h"
#include "split-int.h"

#define TICK_MS		5	/* resend scan granularity */
#define ICMP_HDR	8
#define ICMP6_ECHO_REQ	128
#define ICMP6_ECHO_REP	129

struct payload {
	uint64_t cookie;
	uint32_t idx;
	uint32_t pad;
	uint64_t t_ns;
};

/*
 * Internet checksum (RFC 1071) of @data, the words taken in network order;
 * the result is a host-order number, stored on the wire with htons().
 */
uint16_t nsnet_inet_csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (; len > 1; len -= 2, p += 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * Echo request: type, code 0, checksum, id, seq (network order), payload.
 * IPv4 gets its checksum; for ICMPv6 it stays 0 (it covers a pseudo-header,
 * the kernel fills it in on raw ICMPv6 sockets). Returns the length, or 0 if
 * @len is too small or @family unknown.
 */
size_t nsnet_icmp_echo_build(void *buf, size_t len, int family, uint16_t id, uint16_t seq,
			     const void *payload, size_t plen)
{
	uint8_t *b = buf;
	uint16_t c;

	if ((family != AF_INET && family != AF_INET6) || len < ICMP_HDR || len - ICMP_HDR < plen)
		return 0;
	b[0] = family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQ;
	b[1] = 0;
	b[2] = b[3] = 0;
	b[4] = (uint8_t)(id >> 8);
	b[5] = (uint8_t)id;
	b[6] = (uint8_t)(seq >> 8);
	b[7] = (uint8_t)seq;
	if (plen)
		memcpy(b + ICMP_HDR, payload, plen);
	if (family == AF_INET) {
		c = nsnet_inet_csum(b, ICMP_HDR + plen);
		b[2] = (uint8_t)(c >> 8);
		b[3] = (uint8_t)c;
	}
	return ICMP_HDR + plen;
}

/* ---- engine ------------------------------------------------------------------ */

/*
 * Flow control. A ping's whole path — out through veth and bridges, the echo
 * reply, back — is kernel work on this host's CPUs, queued on the per-CPU
 * backlog (netdev_max_backlog, 1000 packets) at every veth hop. With every
 * pair in flight at once that queue overflows and requests are lost and
 * resent, and on a long chain of bridges (N hops per ping) the round trip
 * grows past any fixed deadline. So, like TCP: a congestion window of pairs
 * in flight per engine, grown by one per answer, cut to 3/4 (at most once
 * per round trip) when a request has to be resent; a resend timer from the
 * measured round trip (RFC 6298 style, at least @interval_ms); a pair is
 * given up @timeout_ms after its first request. The run lasts as long as
 * answers keep coming; if none comes for @timeout_ms every pair left fails.
 */
#define WINDOW		64	/* pairs in flight per socket: a neighbour's unresolved
				   queue (unres_qlen, ~101 packets) is never overrun */
#define FILL_BURST	16	/* pairs per socket per round: one source's sends together */
#define CWND_INIT	1024
#define CWND_MIN	32
#define CWND_MAX	65536
#define RTO_MAX_NS	(2000LL * 1000000)

struct psock {
	int fd;
	int family;
	size_t src;
	size_t *order;		/* pair indices sent from this socket */
	size_t n, next;		/* count, first never-sent position */
	unsigned inflight;	/* pairs sent, not answered or given up */
};

struct pstate {
	int64_t first_ns;	/* 0: never sent */
	int64_t last_ns;
	int sock;		/* index into socks */
	uint32_t slot;		/* position in the engine's flight array */
	uint8_t done;		/* answered or given up */
};

struct engine {
	struct nsnet_ping_pair *pairs;
	size_t npairs;
	struct pstate *st;
	struct psock *socks;	/* 2 per source: [2*src] v4, [2*src+1] v6 */
	size_t nsocks;
	uint64_t cookie;
	uint16_t id_base;
	int64_t interval_ns, timeout_ns;
	size_t answered, done;
	size_t *flight;		/* pairs in flight (unordered; pstate.slot is the index) */
	size_t nflight;
	double cwnd;
	int64_t srtt_ns, rttvar_ns, rto_ns, last_cut_ns, last_answer_ns;
	size_t rr;		/* socket to refill first */
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct open_arg {
	int want4, want6;
	int fd4, fd6;
	struct nsnet_err *err;
};

static int open_raw(int family, struct nsnet_err *err)
{
	int proto = family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	int fd, rcv = 1 << 20;

	fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (fd < 0)
		return nsnet_err_set(err, -errno, "cannot open raw %s socket: %s%s",
				     family == AF_INET ? "ICMP" : "ICMPv6", strerror(errno),
				     errno == EMFILE ? " (raise the open-files limit)" : "");
	if (family == AF_INET) {
		struct icmp_filter f = { .data = ~(1U << ICMP_ECHOREPLY) };

		setsockopt(fd, SOL_RAW, ICMP_FILTER, &f, sizeof(f));
	} else {
		struct icmp6_filter f;

		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REP, &f);
		if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)) < 0) {
			int e = -errno;

			close(fd);
			return nsnet_err_set(err, e, "ICMP6_FILTER: %s", strerror(-e));
		}
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	return fd;
}

static int open_cb(void *p)
{
	struct open_arg *a = p;
	int ret = 0;

	if (a->want4) {
		a->fd4 = open_raw(AF_INET, a->err);
		if (a->fd4 < 0) {
			ret = a->fd4;
			goto out;
		}
	}
	if (a->want6) {
		a->fd6 = open_raw(AF_INET6, a->err);
		if (a->fd6 < 0)
			ret = a->fd6;
	}
out:
	return ret;
}

static void send_one(struct engine *e, size_t idx, int64_t now)
{
	struct nsnet_ping_pair *p = &e->pairs[idx];
	struct pstate *s = &e->st[idx];
	struct psock *k = &e->socks[s->sock];
	struct payload pl = { .cookie = e->cookie, .idx = (uint32_t)idx, .t_ns = (uint64_t)now };
	uint8_t buf[ICMP_HDR + sizeof(pl)];
	union {
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} sa;
	socklen_t salen;
	size_t n;

	n = nsnet_icmp_echo_build(buf, sizeof(buf), p->dst.family,
				  (uint16_t)(e->id_base + (idx >> 16)), (uint16_t)idx, &pl,
				  sizeof(pl));
	memset(&sa, 0, sizeof(sa));
	if (p->dst.family == AF_INET) {
		sa.in.sin_family = AF_INET;
		memcpy(&sa.in.sin_addr, p->dst.addr, 4);
		salen = sizeof(sa.in);
	} else {
		sa.in6.sin6_family = AF_INET6;
		memcpy(&sa.in6.sin6_addr, p->dst.addr, 16);
		salen = sizeof(sa.in6);
	}
	/*
	 * A failed send (no route, full queue) counts as an attempt: the
	 * pair is retried when its resend timer fires, like a lost request.
	 */
	if (sendto(k->fd, buf, n, 0, (struct sockaddr *)&sa, salen) == (ssize_t)n)
		p->sent++;
	if (!s->first_ns) {
		s->first_ns = now;
		k->inflight++;
		s->slot = (uint32_t)e->nflight;
		e->flight[e->nflight++] = idx;
	}
	s->last_ns = now;
}

/* Pair @idx is done (answered or given up): out of its socket's and the flight. */
static void finish(struct engine *e, size_t idx)
{
	struct pstate *s = &e->st[idx];
	size_t last = e->flight[--e->nflight];

	s->done = 1;
	e->done++;
	e->socks[s->sock].inflight--;
	e->flight[s->slot] = last;
	e->st[last].slot = s->slot;
}

/* Send never-sent pairs of socket @k while its window and the engine's have room. */
static void fill(struct engine *e, struct psock *k, int64_t now)
{
	while (k->next < k->n && k->inflight < WINDOW && (double)e->nflight < e->cwnd)
		send_one(e, k->order[k->next++], now);
}

/*
 * Every socket in turn, one pair each per round from a rotating start, so
 * that the window is shared by as many sources as possible (a few dead
 * sources cannot fill it).
 */
static void fill_all(struct engine *e, int64_t now)
{
	size_t i, k;
	int sent = 1, c;

	while (sent && (double)e->nflight < e->cwnd) {
		sent = 0;
		for (i = 0; i < e->nsocks && (double)e->nflight < e->cwnd; i++) {
			struct psock *q;

			k = (e->rr + i) % e->nsocks;
			q = &e->socks[k];
			for (c = 0; c < FILL_BURST && q->fd >= 0 && q->next < q->n &&
				    q->inflight < WINDOW && (double)e->nflight < e->cwnd; c++) {
				send_one(e, q->order[q->next++], now);
				sent = 1;
			}
		}
	}
	e->rr = (e->rr + 1) % (e->nsocks ? e->nsocks : 1);
}

/* Give up what is past its time; resend what is due (a loss: cut the window); refill. */
static void tick(struct engine *e, int64_t now)
{
	size_t i = 0;
	int lost = 0;

	while (i < e->nflight) {
		size_t idx = e->flight[i];
		struct pstate *s = &e->st[idx];

		if (now - s->first_ns >= e->timeout_ns) {
			finish(e, idx);	/* moves the last one here: same i again */
			continue;
		}
		if (now - s->last_ns >= e->rto_ns) {
			send_one(e, idx, now);
			lost = 1;
		}
		i++;
	}
	/*
	 * A loss, or a round trip grown past a quarter of the per-pair timeout
	 * (queues building up: the pairs waiting behind them would time out).
	 */
	if ((lost || e->srtt_ns > e->timeout_ns / 4) &&
	    now - e->last_cut_ns >= (e->srtt_ns ? e->srtt_ns : e->interval_ns)) {
		e->cwnd = e->cwnd * 3 / 4 < CWND_MIN ? CWND_MIN : e->cwnd * 3 / 4;
		e->last_cut_ns = now;
	}
	fill_all(e, now);
}

/* A round-trip sample: smoothed RTT and variance, the resend timer from them. */
static void rtt_sample(struct engine *e, int64_t rtt)
{
	int64_t d, rto;

	if (rtt < 0)
		return;
	if (!e->srtt_ns) {
		e->srtt_ns = rtt;
		e->rttvar_ns = rtt / 2;
	} else {
		d = e->srtt_ns > rtt ? e->srtt_ns - rtt : rtt - e->srtt_ns;
		e->rttvar_ns += (d - e->rttvar_ns) / 4;
		e->srtt_ns += (rtt - e->srtt_ns) / 8;
	}
	rto = e->srtt_ns + 4 * e->rttvar_ns;
	e->rto_ns = rto < e->interval_ns ? e->interval_ns : rto > RTO_MAX_NS ? RTO_MAX_NS : rto;
}

static void on_reply(struct engine *e, struct psock *k, const uint8_t *icmp, size_t len,
		     const uint8_t *from, int64_t now)
{
	struct payload pl;
	uint16_t id, seq;
	size_t idx;
	struct nsnet_ping_pair *p;

	if (len < ICMP_HDR + sizeof(pl))
		return;
	if (icmp[0] != (k->family == AF_INET ? ICMP_ECHOREPLY : ICMP6_ECHO_REP) || icmp[1])
		return;
	id = (uint16_t)(icmp[4] << 8 | icmp[5]);
	seq = (uint16_t)(icmp[6] << 8 | icmp[7]);
	idx = (size_t)(uint16_t)(id - e->id_base) << 16 | seq;
	if (idx >= e->npairs)
		return;
	memcpy(&pl, icmp + ICMP_HDR, sizeof(pl));
	p = &e->pairs[idx];
	if (pl.cookie != e->cookie || pl.idx != idx || e->st[idx].sock != k - e->socks ||
	    memcmp(from, p->dst.addr, k->family == AF_INET ? 4 : 16) || p->ok)
		return;
	if (e->st[idx].done)
		return;	/* given up already: too late */
	p->ok = 1;
	p->rtt_ms = (double)(now - (int64_t)pl.t_ns) / 1e6;
	e->answered++;
	e->last_answer_ns = now;
	finish(e, idx);
	rtt_sample(e, now - (int64_t)pl.t_ns);
	if (e->cwnd < CWND_MAX)
		e->cwnd += 1;
	fill(e, k, now);
}

static void drain(struct engine *e, struct psock *k)
{
	uint8_t buf[2048];
	union {
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} sa;

	for (;;) {
		socklen_t salen = sizeof(sa);
		ssize_t n = recvfrom(k->fd, buf, sizeof(buf), 0, (struct sockaddr *)&sa, &salen);
		int64_t now;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;	/* EAGAIN, or an error queued by the kernel: nothing to read */
		}
		now = now_ns();
		if (k->family == AF_INET) {
			size_t ihl;

			if (n < 20 || (buf[0] >> 4) != 4)
				continue;
			ihl = (size_t)(buf[0] & 0x0f) * 4;
			if (ihl < 20 || (size_t)n < ihl)
				continue;
			/* the IP header's source, not the socket address: same thing, checked */
			on_reply(e, k, buf + ihl, (size_t)n - ihl, buf + 12, now);
		} else {
			on_reply(e, k, buf, (size_t)n, (const uint8_t *)&sa.in6.sin6_addr, now);
		}
	}
}

static uint64_t random_u64(void)
{
	uint64_t v = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
			v = 0;
		close(fd);
	}
	return v ^ (uint64_t)now_ns() ^ ((uint64_t)getpid() << 32);
}

static int engine_open(struct engine *e, const int *nsfds, size_t nsrc, struct nsnet_err *err)
{
	size_t i, s;
	int ret = 0;

	for (i = 0; i < e->npairs; i++) {
		struct nsnet_ping_pair *p = &e->pairs[i];
		size_t k;

		if (p->src >= nsrc || (p->dst.family != AF_INET && p->dst.family != AF_INET6))
			return nsnet_err_set(err, -EINVAL, "ping pair %zu: bad source or address",
					     i);
		k = 2 * p->src + (p->dst.family == AF_INET6);
		e->st[i].sock = (int)k;
		e->socks[k].n++;
	}
	for (s = 0; s < nsrc; s++) {
		struct open_arg a = { .want4 = e->socks[2 * s].n > 0,
				      .want6 = e->socks[2 * s + 1].n > 0,
				      .fd4 = -1, .fd6 = -1, .err = err };

		if (!a.want4 && !a.want6)
			continue;
		if (nsfds[s] < 0)
			ret = open_cb(&a);
		else
			ret = nsnet_netns_call(nsfds[s], open_cb, &a, err);
		e->socks[2 * s].fd = a.fd4;
		e->socks[2 * s + 1].fd = a.fd6;
		if (ret < 0) {
			if (err)
				nsnet_err_where(err, "ping source #%zu", s);
			goto out;
		}
	}
out:
	return ret;
}

static int run_one(const int *nsfds, size_t nsrc, struct nsnet_ping_pair *pairs, size_t npairs,
		   int interval_ms, int timeout_ms, struct nsnet_err *err)
{
	struct engine e = { .pairs = pairs, .npairs = npairs };
	struct epoll_event *evs = NULL;
	int64_t start, next_tick;
	int ep = -1, ret;
	size_t i;

	for (i = 0; i < npairs; i++) {
		pairs[i].ok = 0;
		pairs[i].rtt_ms = 0;
		pairs[i].sent = 0;
	}
	if (!npairs)
		return 0;
	if (npairs > (size_t)1 << 31 || interval_ms <= 0 || timeout_ms <= 0)
		return nsnet_err_set(err, -EINVAL, "ping: bad arguments");
	e.nsocks = 2 * nsrc;
	e.st = calloc(npairs, sizeof(*e.st));
	e.socks = calloc(e.nsocks, sizeof(*e.socks));
	evs = calloc(e.nsocks, sizeof(*evs));
	e.flight = calloc(npairs < CWND_MAX + 2 ? npairs : CWND_MAX + 2, sizeof(*e.flight));
	if (!e.st || !e.socks || !evs || !e.flight) {
		ret = nsnet_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < e.nsocks; i++) {
		e.socks[i].fd = -1;
		e.socks[i].family = i % 2 ? AF_INET6 : AF_INET;
		e.socks[i].src = i / 2;
	}
	ret = engine_open(&e, nsfds, nsrc, err);
	if (ret < 0)
		goto out;
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		ret = nsnet_err_set(err, -errno, "epoll_create1: %s", strerror(errno));
		goto out;
	}
	for (i = 0; i < e.nsocks; i++) {
		struct psock *k = &e.socks[i];
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = i };

		if (k->fd < 0)
			continue;
		k->order = malloc(k->n * sizeof(*k->order));
		if (!k->order) {
			ret = nsnet_err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		if (epoll_ctl(ep, EPOLL_CTL_ADD, k->fd, &ev) < 0) {
			ret = nsnet_err_set(err, -errno, "epoll_ctl: %s", strerror(errno));
			goto out;
		}
	}
	for (i = 0; i < npairs; i++) {
		struct psock *k = &e.socks[e.st[i].sock];

		k->order[k->next++] = i;
	}
	/*
	 * Rotate each socket's order by its source index: not every source
	 * starts with the same destination, which spreads the neighbour
	 * resolutions over the targets.
	 */
	for (i = 0; i < e.nsocks; i++) {
		struct psock *k = &e.socks[i];
		size_t r, j, *tmp;

		k->next = 0;
		if (k->n < 2)
			continue;
		r = k->src % k->n;
		if (!r)
			continue;
		tmp = malloc(k->n * sizeof(*tmp));
		if (!tmp)
			continue;	/* order is only an optimisation */
		for (j = 0; j < k->n; j++)
			tmp[j] = k->order[(j + r) % k->n];
		free(k->order);
		k->order = tmp;
	}
	e.cookie = random_u64();
	e.id_base = (uint16_t)(e.cookie >> 48);
	e.interval_ns = (int64_t)interval_ms * 1000000;
	e.timeout_ns = (int64_t)timeout_ms * 1000000;
	e.rto_ns = 3 * e.interval_ns;	/* no round trip measured yet */
	e.cwnd = CWND_INIT;
	start = now_ns();
	e.last_answer_ns = start;
	fill_all(&e, start);
	next_tick = start + TICK_MS * 1000000;
	while (e.done < npairs) {
		int64_t now = now_ns(), wait;
		int n, j;

		if (now - e.last_answer_ns >= e.timeout_ns && e.nflight) {
			/* nothing answered for a whole timeout: the rest will not either */
			while (e.nflight)
				finish(&e, e.flight[0]);
			break;
		}
		if (now >= next_tick) {
			tick(&e, now);
			next_tick = now + TICK_MS * 1000000;
			if (e.done >= npairs)
				break;
		}
		wait = next_tick - now;
		n = epoll_wait(ep, evs, (int)e.nsocks, (int)((wait + 999999) / 1000000));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = nsnet_err_set(err, -errno, "epoll_wait: %s", strerror(errno));
			goto out;
		}
		for (j = 0; j < n; j++)
			drain(&e, &e.socks[evs[j].data.u64]);
	}
	ret = (int)e.answered;
out:
	if (ep >= 0)
		close(ep);
	if (e.socks) {
		for (i = 0; i < e.nsocks; i++) {
			if (e.socks[i].fd >= 0)
				close(e.socks[i].fd);
			free(e.socks[i].order);
		}
	}
	free(e.socks);
	free(e.st);
	free(e.flight);
	free(evs);
	return ret;
}

/*
 * Large runs are split over one engine per CPU (split-int.h), each with the
 * sources of a contiguous run of pairs (cut where the source changes, so that
 * no source has sockets in two engines): the kernel's work of a ping — the
 * whole path out, through the bridge, the echo reply and back — is done in the
 * sending thread's context, so one thread keeps one CPU busy.
 */
#define PING_SPLIT_ABOVE 20000

struct ping_split {
	const int *nsfds;
	size_t nsrc;
	struct nsnet_ping_pair *pairs;
	int interval_ms, timeout_ms;
	int ret[NSNET__SPLIT_MAX];
	struct nsnet_err err[NSNET__SPLIT_MAX];
};

static int same_source(const void *arg, size_t a, size_t b)
{
	const struct ping_split *ps = arg;

	return ps->pairs[a].src == ps->pairs[b].src;
}

static void ping_part(void *arg, size_t part, size_t from, size_t to)
{
	struct ping_split *ps = arg;

	ps->ret[part] = run_one(ps->nsfds, ps->nsrc, ps->pairs + from, to - from,
				ps->interval_ms, ps->timeout_ms, &ps->err[part]);
}

int nsnet_ping_run(const int *nsfds, size_t nsrc, struct nsnet_ping_pair *pairs, size_t npairs,
		   int interval_ms, int timeout_ms, struct nsnet_err *err)
{
	struct ping_split ps = { .nsfds = nsfds, .nsrc = nsrc, .pairs = pairs,
				 .interval_ms = interval_ms, .timeout_ms = timeout_ms };
	size_t np, i;
	int ret = 0, total = 0;

	if (npairs <= PING_SPLIT_ABOVE)
		return run_one(nsfds, nsrc, pairs, npairs, interval_ms, timeout_ms, err);
	np = nsnet__split_run(npairs, PING_SPLIT_ABOVE, same_source, ping_part, &ps);
	for (i = 0; i < np; i++) {
		if (ps.ret[i] < 0 && ret == 0) {
			ret = ps.ret[i];
			if (err)
				*err = ps.err[i];
		}
		total += ps.ret[i] > 0 ? ps.ret[i] : 0;
	}
	return ret < 0 ? ret : total;
}
