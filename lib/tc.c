// SPDX-License-Identifier: MIT
/*
 * Root qdiscs (RTM_NEWQDISC/DELQDISC/GETQDISC) implementing link
 * impairments: tbf for a rate alone, netem for delay/jitter/loss/duplicate/
 * corrupt (and their rate). See include/nsnet/tc.h for the choices; the
 * message layouts follow the kernel's sch_tbf.c and sch_netem.c:
 *   tbf:   TCA_OPTIONS nests TCA_TBF_PARMS (struct tc_tbf_qopt), TCA_TBF_BURST
 *          (bytes), TCA_TBF_RATE64 (bytes/s, when >= 2^32)
 *   netem: TCA_OPTIONS holds a struct tc_netem_qopt followed by attributes
 *          (TCA_NETEM_LATENCY64/JITTER64 in ns, CORR, CORRUPT, RATE,
 *          RATE64); probabilities are 32-bit, UINT32_MAX = 100%
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/gen_stats.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include "nsnet/tc.h"

#define PSCHED_SHIFT	6		/* kernel: 1 tick = 64 ns */
#define ETH_FRAME_HDR	14
#define NETEM_LIMIT_DEFAULT 1000u
#define TBF_BURST_DIV	100		/* 10 ms of rate */
#define TBF_LATENCY_DIV	20		/* 50 ms of rate */

unsigned nsnet_tc_frame(unsigned mtu)
{
	return (mtu ? mtu : 1500) + ETH_FRAME_HDR;
}

static uint64_t cap32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : v;
}

uint64_t nsnet_tc_burst(uint64_t rate_bits, unsigned mtu)
{
	uint64_t b = rate_bits / 8 / TBF_BURST_DIV, min = 2ull * nsnet_tc_frame(mtu);

	return cap32(b > min ? b : min);
}

uint64_t nsnet_tc_tbf_limit(const struct nsnet_impair *im, unsigned mtu)
{
	if (im->set & NSNET_IMPAIR_LIMIT)
		return cap32((uint64_t)im->limit * nsnet_tc_frame(mtu));
	return cap32(im->rate / 8 / TBF_LATENCY_DIV + nsnet_tc_burst(im->rate, mtu));
}

uint32_t nsnet_tc_netem_limit(const struct nsnet_impair *im)
{
	return (im->set & NSNET_IMPAIR_LIMIT) ? im->limit : NETEM_LIMIT_DEFAULT;
}

static struct tcmsg *put_tcmsg(struct nlmsghdr *nlh, int ifindex)
{
	struct tcmsg *t = mnl_nlmsg_put_extra_header(nlh, sizeof(*t));

	t->tcm_family = AF_UNSPEC;
	t->tcm_ifindex = ifindex;
	t->tcm_handle = 0;		/* the kernel chooses */
	t->tcm_parent = TC_H_ROOT;
	return t;
}

/* Start TCA_OPTIONS without NLA_F_NESTED (as tc does: netem's is not a pure nest). */
static struct nlattr *options_start(struct nlmsghdr *nlh)
{
	struct nlattr *a = mnl_nlmsg_get_payload_tail(nlh);

	a->nla_type = TCA_OPTIONS;
	a->nla_len = MNL_ATTR_HDRLEN;
	nlh->nlmsg_len += MNL_ATTR_HDRLEN;
	return a;
}

static void options_end(struct nlmsghdr *nlh, struct nlattr *a)
{
	a->nla_len = (uint16_t)((char *)mnl_nlmsg_get_payload_tail(nlh) - (char *)a);
}

static void msg_netem(struct nlmsghdr *nlh, const struct nsnet_impair *im)
{
	struct tc_netem_qopt qopt = { 0 };
	struct tc_netem_corr corr = { 0 };
	struct tc_netem_corrupt corrupt = { 0 };
	struct tc_netem_rate rate = { 0 };
	uint64_t delay = (im->set & NSNET_IMPAIR_DELAY) ? im->delay : 0;
	uint64_t jitter = (im->set & NSNET_IMPAIR_JITTER) ? im->jitter : 0;
	uint64_t bytes = (im->set & NSNET_IMPAIR_RATE) ? im->rate / 8 : 0;
	struct nlattr *opt;
	void *p;

	/* the tick forms are for kernels before the 64-bit attributes (4.15) */
	qopt.latency = (uint32_t)cap32(delay >> PSCHED_SHIFT);
	qopt.jitter = (uint32_t)cap32(jitter >> PSCHED_SHIFT);
	qopt.limit = nsnet_tc_netem_limit(im);
	qopt.loss = (im->set & NSNET_IMPAIR_LOSS) ? nsnet_pct_to_prob(im->loss) : 0;
	qopt.duplicate = (im->set & NSNET_IMPAIR_DUPLICATE) ?
			 nsnet_pct_to_prob(im->duplicate) : 0;
	if (im->set & NSNET_IMPAIR_CORRUPT)
		corrupt.probability = nsnet_pct_to_prob(im->corrupt);
	rate.rate = (uint32_t)cap32(bytes);

	mnl_attr_put_strz(nlh, TCA_KIND, "netem");
	opt = options_start(nlh);
	p = mnl_nlmsg_get_payload_tail(nlh);
	memcpy(p, &qopt, sizeof(qopt));
	nlh->nlmsg_len += MNL_ALIGN(sizeof(qopt));
	/*
	 * Every parameter, zero or not: on a root netem already there the
	 * kernel changes it in place and keeps whatever is not given.
	 */
	mnl_attr_put_u64(nlh, TCA_NETEM_LATENCY64, delay);
	mnl_attr_put_u64(nlh, TCA_NETEM_JITTER64, jitter);
	mnl_attr_put(nlh, TCA_NETEM_CORR, sizeof(corr), &corr);
	mnl_attr_put(nlh, TCA_NETEM_CORRUPT, sizeof(corrupt), &corrupt);
	if (bytes > UINT32_MAX)
		mnl_attr_put_u64(nlh, TCA_NETEM_RATE64, bytes);
	mnl_attr_put(nlh, TCA_NETEM_RATE, sizeof(rate), &rate);
	options_end(nlh, opt);
}

/* tbf's kind and options: rate and bucket in bytes (the kernel derives the bucket's time form from TCA_TBF_BURST). */
static void put_tbf(struct nlmsghdr *nlh, uint64_t bytes, uint64_t burst, uint64_t limit)
{
	struct tc_tbf_qopt qopt = { 0 };
	unsigned __int128 ns = (unsigned __int128)burst * 1000000000u / (bytes ? bytes : 1);
	struct nlattr *opt;

	qopt.rate.linklayer = TC_LINKLAYER_ETHERNET;	/* no rate table needed */
	qopt.rate.rate = (uint32_t)cap32(bytes);
	qopt.limit = (uint32_t)cap32(limit);
	qopt.buffer = (uint32_t)cap32(ns >> PSCHED_SHIFT > UINT64_MAX ? UINT64_MAX
								  : (uint64_t)(ns >> PSCHED_SHIFT));
	mnl_attr_put_strz(nlh, TCA_KIND, "tbf");
	opt = options_start(nlh);
	mnl_attr_put(nlh, TCA_TBF_PARMS, sizeof(qopt), &qopt);
	mnl_attr_put_u32(nlh, TCA_TBF_BURST, (uint32_t)cap32(burst));
	if (bytes > UINT32_MAX)
		mnl_attr_put_u64(nlh, TCA_TBF_RATE64, bytes);
	options_end(nlh, opt);
}

static void msg_tbf(struct nlmsghdr *nlh, const struct nsnet_impair *im, unsigned mtu)
{
	put_tbf(nlh, im->rate / 8, nsnet_tc_burst(im->rate, mtu), nsnet_tc_tbf_limit(im, mtu));
}

void nsnet_tc_msg_tbf(struct nlmsghdr *nlh, int ifindex, uint64_t rate, uint64_t burst,
		      uint64_t limit)
{
	nlh->nlmsg_type = RTM_NEWQDISC;
	nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_REPLACE;
	put_tcmsg(nlh, ifindex);
	put_tbf(nlh, rate, burst, limit);
}

int nsnet_tc_msg_set(struct nlmsghdr *nlh, int ifindex, const struct nsnet_impair *im,
		     unsigned mtu)
{
	if (!im || !(im->set & (NSNET_IMPAIR_NETEM | NSNET_IMPAIR_RATE)))
		return -EINVAL;
	nlh->nlmsg_type = RTM_NEWQDISC;
	nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_REPLACE;
	put_tcmsg(nlh, ifindex);
	if (im->set & NSNET_IMPAIR_NETEM)
		msg_netem(nlh, im);
	else
		msg_tbf(nlh, im, mtu);
	return 0;
}

void nsnet_tc_msg_root(struct nlmsghdr *nlh, int ifindex)
{
	put_tcmsg(nlh, ifindex);
}

void nsnet_tc_set(struct nsnet_nl *nl, int ifindex, const char *ifname,
		  const struct nsnet_impair *im, unsigned mtu)
{
	struct nlmsghdr *nlh;
	char b[NSNET_IMPAIR_FMT_MAX];

	if (!im || !(im->set & (NSNET_IMPAIR_NETEM | NSNET_IMPAIR_RATE))) {
		nlh = nsnet_nl_req(nl, RTM_DELQDISC, 0, NULL, NULL, "clear impairment of %s",
				   ifname ? ifname : "?");
		nsnet_tc_msg_root(nlh, ifindex);
		/* no root qdisc of ours: ENOENT (default qdisc) or EINVAL (noop, link down) */
		nsnet_nl_ignore(nl, ENOENT, EINVAL);
		return;
	}
	nlh = nsnet_nl_req(nl, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE, NULL, NULL,
			   "impair %s (%s)", ifname ? ifname : "?",
			   nsnet_impair_format(im, b, sizeof(b)));
	nsnet_tc_msg_set(nlh, ifindex, im, mtu);
}

/* ---- parsing ----------------------------------------------------------------- */

/* Attributes in [@p, @p + @len): a bounded walk (each inside its parent). */
#define for_each_in(a, p, len)                                                          \
	for ((a) = (const struct nlattr *)(p);                                          \
	     mnl_attr_ok((a), (int)((const char *)(p) + (len) - (const char *)(a)));      \
	     (a) = mnl_attr_next(a))

static uint64_t get_u64(const struct nlattr *a)
{
	uint64_t v;

	memcpy(&v, mnl_attr_get_payload(a), sizeof(v));
	return v;
}

static void parse_netem(const struct nlattr *opt, struct nsnet_qdisc_info *q)
{
	size_t len = mnl_attr_get_payload_len(opt), off = MNL_ALIGN(sizeof(struct tc_netem_qopt));
	const char *p = mnl_attr_get_payload(opt);
	struct tc_netem_qopt qopt;
	uint64_t delay, jitter, rate = 0, rate64 = 0;
	uint32_t corrupt = 0;
	const struct nlattr *a;
	struct nsnet_impair *im = &q->impair;

	if (len < sizeof(qopt))
		return;
	memcpy(&qopt, p, sizeof(qopt));
	delay = (uint64_t)qopt.latency << PSCHED_SHIFT;
	jitter = (uint64_t)qopt.jitter << PSCHED_SHIFT;
	if (len > off) {
		for_each_in(a, p + off, len - off) {
			size_t alen = mnl_attr_get_payload_len(a);

			switch (mnl_attr_get_type(a)) {
			case TCA_NETEM_LATENCY64:
				if (alen >= 8)
					delay = get_u64(a);
				break;
			case TCA_NETEM_JITTER64:
				if (alen >= 8)
					jitter = get_u64(a);
				break;
			case TCA_NETEM_CORRUPT:
				if (alen >= sizeof(struct tc_netem_corrupt))
					memcpy(&corrupt, mnl_attr_get_payload(a), 4);
				break;
			case TCA_NETEM_RATE:
				if (alen >= sizeof(struct tc_netem_rate)) {
					uint32_t r32;

					memcpy(&r32, mnl_attr_get_payload(a), 4);
					rate = r32;
				}
				break;
			case TCA_NETEM_RATE64:
				if (alen >= 8)
					rate64 = get_u64(a);
				break;
			}
		}
	}
	if (rate64 > rate)
		rate = rate64;
	/* the kernel's values are signed; a negative one is nothing we set */
	if ((int64_t)delay < 0 || (int64_t)jitter < 0)
		return;
	memset(im, 0, sizeof(*im));
	q->netem_limit = qopt.limit;
	if (rate && rate <= NSNET_RATE_MAX / 8) {
		im->set |= NSNET_IMPAIR_RATE;
		im->rate = rate * 8;
	}
	if (delay || jitter) {
		im->set |= NSNET_IMPAIR_DELAY;
		im->delay = delay;
	}
	if (jitter) {
		im->set |= NSNET_IMPAIR_JITTER;
		im->jitter = jitter;
	}
	if (qopt.loss) {
		im->set |= NSNET_IMPAIR_LOSS;
		im->loss = nsnet_prob_to_pct(qopt.loss);
	}
	if (qopt.duplicate) {
		im->set |= NSNET_IMPAIR_DUPLICATE;
		im->duplicate = nsnet_prob_to_pct(qopt.duplicate);
	}
	if (corrupt) {
		im->set |= NSNET_IMPAIR_CORRUPT;
		im->corrupt = nsnet_prob_to_pct(corrupt);
	}
	if (qopt.limit != NETEM_LIMIT_DEFAULT) {
		im->set |= NSNET_IMPAIR_LIMIT;
		im->limit = qopt.limit;
	}
	q->known = 1;
}

static void parse_tbf(const struct nlattr *opt, struct nsnet_qdisc_info *q)
{
	const struct nlattr *a;
	struct tc_tbf_qopt qopt;
	uint64_t rate = 0, rate64 = 0;
	int have = 0;

	mnl_attr_for_each_nested(a, opt) {
		size_t alen = mnl_attr_get_payload_len(a);

		switch (mnl_attr_get_type(a)) {
		case TCA_TBF_PARMS:
			if (alen >= sizeof(qopt)) {
				memcpy(&qopt, mnl_attr_get_payload(a), sizeof(qopt));
				have = 1;
			}
			break;
		case TCA_TBF_RATE64:
			if (alen >= 8)
				rate64 = get_u64(a);
			break;
		}
	}
	if (!have)
		return;
	rate = qopt.rate.rate;
	if (rate64 > rate)
		rate = rate64;
	if (!rate || rate > NSNET_RATE_MAX / 8)
		return;
	memset(&q->impair, 0, sizeof(q->impair));
	q->impair.set = NSNET_IMPAIR_RATE;
	q->impair.rate = rate * 8;
	q->tbf_limit = qopt.limit;
	q->tbf_burst = (uint64_t)(((unsigned __int128)qopt.buffer << PSCHED_SHIFT) * rate /
				  1000000000u);
	q->known = 1;
}

static void parse_stats2(const struct nlattr *st, struct nsnet_qdisc_info *q)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, st) {
		size_t alen = mnl_attr_get_payload_len(a);
		const char *p = mnl_attr_get_payload(a);

		switch (mnl_attr_get_type(a)) {
		case TCA_STATS_BASIC:
			if (alen >= 12) {
				uint32_t pk;

				memcpy(&q->bytes, p, 8);
				memcpy(&pk, p + 8, 4);
				if (!q->packets)
					q->packets = pk;
			}
			break;
		case TCA_STATS_PKT64:
			if (alen >= 8)
				q->packets = get_u64(a);
			break;
		case TCA_STATS_QUEUE:
			if (alen >= sizeof(struct gnet_stats_queue)) {
				struct gnet_stats_queue qs;

				memcpy(&qs, p, sizeof(qs));
				q->qlen = qs.qlen;
				q->backlog = qs.backlog;
				q->drops = qs.drops;
				q->overlimits = qs.overlimits;
			}
			break;
		}
	}
}

int nsnet_tc_parse(const struct nlmsghdr *nlh, struct nsnet_qdisc_info *q)
{
	const struct tcmsg *t;
	const struct nlattr *a, *opt = NULL, *st = NULL;
	size_t end;

	memset(q, 0, sizeof(*q));
	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*t))
		return -EBADMSG;
	t = mnl_nlmsg_get_payload(nlh);
	q->ifindex = t->tcm_ifindex;
	q->handle = t->tcm_handle;
	q->parent = t->tcm_parent;
	end = nlh->nlmsg_len - NLMSG_HDRLEN - MNL_ALIGN(sizeof(*t));
	if (nlh->nlmsg_len < NLMSG_HDRLEN + MNL_ALIGN(sizeof(*t)))
		return 0;
	for_each_in(a, (const char *)t + MNL_ALIGN(sizeof(*t)), end) {
		switch (mnl_attr_get_type(a)) {
		case TCA_KIND: {
			size_t n = strnlen(mnl_attr_get_payload(a), mnl_attr_get_payload_len(a));

			if (n >= sizeof(q->kind))
				n = sizeof(q->kind) - 1;
			memcpy(q->kind, mnl_attr_get_payload(a), n);
			q->kind[n] = '\0';
			break;
		}
		case TCA_OPTIONS:
			opt = a;
			break;
		case TCA_STATS2:
			st = a;
			break;
		}
	}
	if (opt && !strcmp(q->kind, "netem"))
		parse_netem(opt, q);
	else if (opt && !strcmp(q->kind, "tbf"))
		parse_tbf(opt, q);
	if (st)
		parse_stats2(st, q);
	return 0;
}

int nsnet_tc_impair(const struct nsnet_qdisc_info *q, unsigned mtu, struct nsnet_impair *out)
{
	memset(out, 0, sizeof(*out));
	if (!q->known)
		return q->handle ? -ENOENT : 0;
	*out = q->impair;
	if (!strcmp(q->kind, "tbf") && q->tbf_limit != nsnet_tc_tbf_limit(out, mtu)) {
		unsigned fr = nsnet_tc_frame(mtu);

		out->set |= NSNET_IMPAIR_LIMIT;
		out->limit = (uint32_t)cap32((q->tbf_limit + fr / 2) / fr);
		if (!out->limit)
			out->limit = 1;
	}
	return 0;
}

/* The value of a field, 0 if not set. */
static uint64_t val(const struct nsnet_impair *im, unsigned bit)
{
	if (!(im->set & bit))
		return 0;
	switch (bit) {
	case NSNET_IMPAIR_RATE:
		return im->rate;
	case NSNET_IMPAIR_DELAY:
		return im->delay;
	case NSNET_IMPAIR_JITTER:
		return im->jitter;
	case NSNET_IMPAIR_LOSS:
		return im->loss;
	case NSNET_IMPAIR_DUPLICATE:
		return im->duplicate;
	case NSNET_IMPAIR_CORRUPT:
		return im->corrupt;
	}
	return 0;
}

int nsnet_tc_matches(const struct nsnet_qdisc_info *q, const struct nsnet_impair *want,
		     unsigned mtu)
{
	unsigned bit;

	if (!want || !(want->set & (NSNET_IMPAIR_NETEM | NSNET_IMPAIR_RATE)))
		return q->handle == 0;
	if (!q->known)
		return 0;
	if (want->set & NSNET_IMPAIR_NETEM) {
		/* netem: every parameter as the builder gives it (unset = 0) */
		if (strcmp(q->kind, "netem") || q->netem_limit != nsnet_tc_netem_limit(want))
			return 0;
		for (bit = NSNET_IMPAIR_RATE; bit <= NSNET_IMPAIR_CORRUPT; bit <<= 1)
			if (val(&q->impair, bit) != val(want, bit))
				return 0;
		return 1;
	}
	return !strcmp(q->kind, "tbf") && q->impair.rate == want->rate &&
	       q->tbf_limit == nsnet_tc_tbf_limit(want, mtu);
}

/* ---- requests ------------------------------------------------------------------ */

static int get_cb(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type == RTM_NEWQDISC)
		nsnet_tc_parse(nlh, data);
	return 0;
}

void nsnet_tc_get_req(struct nsnet_nl *nl, int ifindex, const char *ifname,
		      struct nsnet_qdisc_info *out)
{
	memset(out, 0, sizeof(*out));
	out->ifindex = ifindex;
	nsnet_tc_msg_root(nsnet_nl_req(nl, RTM_GETQDISC, NLM_F_ECHO, get_cb, out,
				       "read qdisc of %s",
				       ifname ? ifname : "?"),
			  ifindex);
	/* a link that was never up has the built-in noop qdisc, which is not reported */
	nsnet_nl_ignore(nl, EINVAL, ENOENT);
}

struct list_ctx {
	struct nsnet_qdisc_info *v;
	size_t n, cap;
};

static int list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct list_ctx *c = data;
	struct nsnet_qdisc_info q;

	if (nlh->nlmsg_type != RTM_NEWQDISC || nsnet_tc_parse(nlh, &q) < 0 ||
	    q.parent != TC_H_ROOT)
		return 0;
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 16;
		struct nsnet_qdisc_info *nv = realloc(c->v, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		c->v = nv;
		c->cap = ncap;
	}
	c->v[c->n++] = q;
	return 0;
}

int nsnet_tc_list(struct nsnet_nl *nl, struct nsnet_qdisc_info **v, struct nsnet_err *err)
{
	struct tcmsg t = { .tcm_family = AF_UNSPEC };
	struct list_ctx c = { 0 };
	int ret;

	*v = NULL;
	ret = nsnet_nl_dump(nl, RTM_GETQDISC, &t, sizeof(t), list_cb, &c, err);
	if (ret < 0) {
		free(c.v);
		return ret;
	}
	*v = c.v;
	return (int)c.n;
}

/* ---- is netem there? ------------------------------------------------------------- */

static int netem_state;		/* 0 not tried, 1 present, 2 absent, <0 cannot tell */

/* In the scratch namespace: a netem qdisc on its lo. 0 or -errno (plain libmnl: no batch). */
static int probe_here(void)
{
	struct nsnet_impair im = { .set = NSNET_IMPAIR_DELAY, .delay = 1000000 };
	char buf[8192] __attribute__((aligned(8)));
	struct mnl_socket *sk;
	struct nlmsghdr *nlh;
	ssize_t n;
	int ret;

	sk = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!sk)
		return -errno;
	if (mnl_socket_bind(sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	memset(buf, 0, NSNET_NL_MSG_MAX);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = 1;
	nsnet_tc_msg_set(nlh, 1, &im, 65536);
	if (mnl_socket_sendto(sk, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	do {
		n = mnl_socket_recvfrom(sk, buf, sizeof(buf));
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		ret = -errno;
		goto out;
	}
	nlh = (struct nlmsghdr *)buf;
	ret = nsnet_nl_msg_ok(nlh, (size_t)n) && nlh->nlmsg_type == NLMSG_ERROR ?
	      nsnet_nl_parse_ack(nlh, (unsigned)n, NULL, 0, NULL) : -EBADMSG;
out:
	mnl_socket_close(sk);
	return ret;
}

static void *probe_thread(void *arg)
{
	int *res = arg, ret;

	/* this thread alone moves to a scratch namespace; it goes away with the thread */
	if (unshare(CLONE_NEWNET) < 0) {
		*res = -errno;
		return NULL;
	}
	ret = probe_here();
	if (ret == 0)
		*res = 1;
	else if (ret == -ENOENT || ret == -EOPNOTSUPP)
		*res = 2;	/* "Specified qdisc kind is unknown." */
	else
		*res = ret;
	return NULL;
}

int nsnet_tc_netem_probe(void)
{
	int st = __atomic_load_n(&netem_state, __ATOMIC_ACQUIRE), res = 0;
	pthread_t t;

	if (st == 0) {
		if (pthread_create(&t, NULL, probe_thread, &res) != 0)
			return -EAGAIN;
		pthread_join(t, NULL);
		st = res;
		__atomic_store_n(&netem_state, st, __ATOMIC_RELEASE);
	}
	return st == 1 ? 1 : st == 2 ? 0 : st;
}

int nsnet_tc_netem_missing(struct nsnet_err *err)
{
	return nsnet_err_set(err, -EOPNOTSUPP, "delay/jitter/loss/duplicate/corrupt need the "
			     "kernel's netem qdisc (module sch_netem), which this kernel does "
			     "not have");
}

void nsnet_tc_explain(struct nsnet_err *err)
{
	char where[sizeof(err->where)];

	if (!err || err->error != -ENOENT || !strstr(err->msg, "qdisc kind is unknown"))
		return;
	memcpy(where, err->where, sizeof(where));
	nsnet_tc_netem_missing(err);
	memcpy(err->where, where, sizeof(where));
}
