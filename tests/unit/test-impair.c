// SPDX-License-Identifier: MIT
/*
 * Link impairments without privileges: the words (nsnet_impair_parse_arg),
 * their text form and comparison, the checks, and the tc message builders
 * read back with libmnl (layouts of the kernel's sch_tbf.c / sch_netem.c)
 * and with our own qdisc parser.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include "nsnet/cable.h"
#include "nsnet/impair.h"
#include "nsnet/lab.h"
#include "nsnet/tc.h"
#include "check.h"

static char buf[NSNET_NL_MSG_MAX] __attribute__((aligned(8)));

static int parse(const char *s, struct nsnet_impair *im, struct nsnet_err *err)
{
	nsnet_err_clear(err);
	return nsnet_impair_parse_str(s, im, err);
}

static void good(const char *s, const char *want)
{
	struct nsnet_impair im, im2;
	struct nsnet_err err = { 0 };
	char out[NSNET_IMPAIR_FMT_MAX];
	int ret = parse(s, &im, &err);

	CHECK(ret == 0, "accepts \"%s\"%s%s", s, ret ? ": " : "", ret ? err.msg : "");
	if (ret)
		return;
	nsnet_impair_format(&im, out, sizeof(out));
	CHECK(!strcmp(out, want), "\"%s\" formats as \"%s\" (got \"%s\")", s, want, out);
	CHECK(parse(out, &im2, &err) == 0 && nsnet_impair_eq(&im, &im2),
	      "\"%s\" reads back as the same setting", out);
}

static void bad(const char *s, const char *why)
{
	struct nsnet_impair im;
	struct nsnet_err err = { 0 };
	int ret = parse(s, &im, &err);

	CHECK(ret == -EINVAL && strstr(err.msg, why), "refuses \"%s\" with \"%s\" (got %d \"%s\")",
	      s, why, ret, err.msg);
}

static void test_words(void)
{
	struct nsnet_impair im;
	struct nsnet_err err = { 0 };

	good("rate 10mbit", "rate 10mbit");
	good("rate 1gbit", "rate 1gbit");
	good("rate 500kbit", "rate 500kbit");
	good("rate 1.5Mbit", "rate 1.5mbit");
	good("rate 10000000", "rate 10mbit");
	good("rate 1mbps", "rate 8mbit");
	good("rate 1Kibit", "rate 1.024kbit");
	good("rate 12bit", "rate 8bit");		/* whole bytes, like the kernel */
	good("rate 5gbit", "rate 5gbit");
	good("delay 20ms", "delay 20ms");
	good("delay 1.5s", "delay 1.5s");
	good("delay 250us jitter 10us", "delay 250us jitter 10us");
	good("delay 0.5ms", "delay 500us");
	good("delay 20msec", "delay 20ms");
	good("delay 0ms", "delay 0ms");
	good("loss 1%", "loss 1%");
	good("loss 1.5", "loss 1.5%");
	good("loss 100%", "loss 100%");
	good("loss 0.000001%", "loss 0.000001%");
	good("corrupt 0.1% duplicate 1%", "duplicate 1% corrupt 0.1%");
	good("limit 1000 rate 10mbit", "rate 10mbit limit 1000");
	good("rate 10mbit delay 20ms jitter 5ms loss 1% duplicate 1% corrupt 0.1% limit 1000",
	     "rate 10mbit delay 20ms jitter 5ms loss 1% duplicate 1% corrupt 0.1% limit 1000");
	good("clear", "none");
	good("none", "none");

	CHECK(parse("loss 1.23456789%", &im, &err) == 0 && im.loss == 1234568,
	      "percentages round to a millionth of a percent (%u)", im.loss);
	CHECK(parse("rate 10mbit", &im, &err) == 0 && im.set == NSNET_IMPAIR_RATE &&
	      im.rate == 10000000, "rate in bit/s");
	CHECK(parse("delay 20ms jitter 5ms", &im, &err) == 0 && im.delay == 20000000 &&
	      im.jitter == 5000000, "times in ns");

	bad("rate 10 mbit", "unknown word");
	bad("rate 10furlongs", "unknown unit");
	bad("rate fast", "not a rate");
	bad("rate -1mbit", "not a rate");
	bad("rate 0", "less than 8bit");
	bad("rate 7bit", "less than 8bit");
	bad("rate 101tbit", "more than 100tbit");
	bad("delay 20", "needs a unit");
	bad("delay 20parsecs", "unknown unit");
	bad("delay 2000s", "more than 1000s");
	bad("delay 1e3ms", "unknown unit");
	bad("delay 10ms jitter 3s", "more than 2.147483647s");
	bad("jitter 5ms", "jitter: needs delay");
	bad("loss 101%", "more than 100%");
	bad("loss 50%%", "not a percentage");
	bad("loss 1%x", "not a percentage");
	bad("duplicate 200", "more than 100%");
	bad("corrupt .5", "not a percentage");
	bad("corrupt 5.", "not a percentage");
	bad("limit 0 rate 1mbit", "out of range");
	bad("limit 1.5 rate 1mbit", "not a number of packets");
	bad("limit 5000000000 rate 1mbit", "out of range");
	bad("limit 100", "give one of them too");
	bad("rate 1mbit rate 2mbit", "given twice");
	bad("rate", "missing value");
	bad("clear rate 1mbit", "nothing may follow");
	bad("", "no setting");
	bad("speed 10mbit", "unknown word");
	bad("loss 1234567890123456789012%", "not a percentage");
	bad("rate 1.0000000000000000001mbit", "not a rate");
}

static void test_eq_check(void)
{
	struct nsnet_impair a = { 0 }, b = { 0 };
	struct nsnet_err err = { 0 };

	CHECK(nsnet_impair_eq(&a, &b) && nsnet_impair_eq(NULL, &b) && nsnet_impair_eq(NULL, NULL),
	      "none equals none (and NULL)");
	a.set = NSNET_IMPAIR_RATE;
	a.rate = 8000;
	b = a;
	b.delay = 5;	/* not set: ignored */
	CHECK(nsnet_impair_eq(&a, &b), "fields not set do not count");
	b.rate = 16000;
	CHECK(!nsnet_impair_eq(&a, &b), "different rates differ");
	b = a;
	b.set |= NSNET_IMPAIR_LIMIT;
	b.limit = 10;
	CHECK(!nsnet_impair_eq(&a, &b), "a field more differs");
	CHECK(!nsnet_impair_eq(&a, NULL), "a setting differs from none");
	a.rate = 12;
	CHECK(nsnet_impair_check(&a, &err) == -EINVAL && strstr(err.msg, "rate"),
	      "check: rate not in whole bytes");
	a.set = NSNET_IMPAIR_LOSS;
	a.loss = NSNET_PCT_MAX + 1;
	CHECK(nsnet_impair_check(&a, &err) == -EINVAL && strstr(err.msg, "loss: more than 100%"),
	      "check: loss above 100%%");
	a.set = NSNET_IMPAIR_DELAY | NSNET_IMPAIR_CORRUPT;
	a.corrupt = NSNET_PCT_MAX;
	a.delay = 1;
	CHECK(nsnet_impair_check(&a, &err) == 0, "check: delay and corrupt 100%%");
	CHECK(nsnet_impair_needs_netem(&a) && !nsnet_impair_needs_netem(&b),
	      "netem is needed for delay/corrupt, not for rate/limit");
}

static void test_prob(void)
{
	uint32_t p;

	CHECK(nsnet_pct_to_prob(0) == 0 && nsnet_pct_to_prob(NSNET_PCT_MAX) == UINT32_MAX,
	      "0%% and 100%% are 0 and UINT32_MAX");
	CHECK(nsnet_pct_to_prob(NSNET_PCT_ONE) == 42949673, "1%% is 42949673 (tc: rint(0.01 * "
	      "UINT32_MAX))");
	CHECK(nsnet_pct_to_prob(50 * NSNET_PCT_ONE) == 2147483648u, "50%% is 2^31");
	for (p = 0; p < NSNET_PCT_MAX; p += 997)
		if (nsnet_prob_to_pct(nsnet_pct_to_prob(p)) != p)
			break;
	CHECK(p >= NSNET_PCT_MAX, "percent -> probability -> percent is exact (stopped at %u)", p);
	CHECK(nsnet_prob_to_pct(UINT32_MAX) == NSNET_PCT_MAX, "UINT32_MAX reads as 100%%");
}

static struct nlmsghdr *new_msg(void)
{
	struct nlmsghdr *nlh;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_flags = NLM_F_REQUEST;
	return nlh;
}

static const struct nlattr *attr(const struct nlmsghdr *nlh, uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct tcmsg))
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

static void test_tbf_msg(void)
{
	struct nsnet_impair im;
	struct nsnet_err err = { 0 };
	struct nlmsghdr *nlh = new_msg();
	const struct tcmsg *t;
	const struct nlattr *opt, *a, *parms = NULL, *burst = NULL, *r64 = NULL;
	struct tc_tbf_qopt q;
	struct nsnet_qdisc_info qi;
	struct nsnet_impair back;

	parse("rate 10mbit", &im, &err);
	CHECK(nsnet_tc_msg_set(nlh, 7, &im, 1500) == 0, "tbf message built");
	t = mnl_nlmsg_get_payload(nlh);
	CHECK(nlh->nlmsg_type == RTM_NEWQDISC &&
	      (nlh->nlmsg_flags & (NLM_F_CREATE | NLM_F_REPLACE | NLM_F_EXCL)) ==
	      (NLM_F_CREATE | NLM_F_REPLACE), "RTM_NEWQDISC with CREATE|REPLACE, not EXCL");
	CHECK(t->tcm_ifindex == 7 && t->tcm_parent == TC_H_ROOT && t->tcm_handle == 0,
	      "root of ifindex 7, kernel-chosen handle");
	a = attr(nlh, TCA_KIND);
	CHECK(a && !strcmp(mnl_attr_get_str(a), "tbf"), "kind tbf");
	opt = attr(nlh, TCA_OPTIONS);
	CHECK(opt != NULL, "TCA_OPTIONS present");
	if (!opt)
		return;
	mnl_attr_for_each_nested(a, opt) {
		if (mnl_attr_get_type(a) == TCA_TBF_PARMS)
			parms = a;
		else if (mnl_attr_get_type(a) == TCA_TBF_BURST)
			burst = a;
		else if (mnl_attr_get_type(a) == TCA_TBF_RATE64)
			r64 = a;
	}
	CHECK(parms && mnl_attr_get_payload_len(parms) == sizeof(q), "TCA_TBF_PARMS is a tc_tbf_qopt");
	if (!parms)
		return;
	memcpy(&q, mnl_attr_get_payload(parms), sizeof(q));
	CHECK(q.rate.rate == 1250000 && q.rate.linklayer == TC_LINKLAYER_ETHERNET,
	      "rate 1250000 bytes/s, ethernet link layer (%u)", q.rate.rate);
	CHECK(burst && mnl_attr_get_u32(burst) == 12500, "burst: 10 ms of rate = 12500 bytes");
	CHECK(q.limit == 12500 + 62500, "limit: 50 ms of rate + burst (%u)", q.limit);
	CHECK(q.buffer == 10000000 / 64, "buffer: 10 ms in 64 ns ticks (%u)", q.buffer);
	CHECK(!r64, "no RATE64 below 2^32 bytes/s");
	CHECK(q.peakrate.rate == 0 && q.mtu == 0, "no peak rate");

	/* read back as if it were the kernel's dump (same layout) */
	nlh->nlmsg_type = RTM_NEWQDISC;
	CHECK(nsnet_tc_parse(nlh, &qi) == 0 && qi.known && !strcmp(qi.kind, "tbf") &&
	      qi.impair.set == NSNET_IMPAIR_RATE && qi.impair.rate == 10000000 &&
	      qi.tbf_limit == 75000 && qi.tbf_burst == 12500,
	      "parsed back: tbf rate 10mbit limit 75000 burst %llu",
	      (unsigned long long)qi.tbf_burst);
	((struct tcmsg *)mnl_nlmsg_get_payload(nlh))->tcm_handle = 0x80010000;
	nsnet_tc_parse(nlh, &qi);
	CHECK(nsnet_tc_matches(&qi, &im, 1500), "it matches what was asked");
	CHECK(!nsnet_tc_matches(&qi, &im, 9000), "not on a link of another MTU (other queue)");
	CHECK(nsnet_tc_impair(&qi, 1500, &back) == 0 && nsnet_impair_eq(&back, &im),
	      "the impairment it implements is the one asked for");

	parse("rate 20mbit limit 100", &im, &err);
	nlh = new_msg();
	nsnet_tc_msg_set(nlh, 7, &im, 9000);
	nlh->nlmsg_type = RTM_NEWQDISC;
	nsnet_tc_parse(nlh, &qi);
	qi.handle = 0x80010000;
	CHECK(qi.tbf_limit == 100 * 9014, "limit 100 frames of MTU 9000 (%llu)",
	      (unsigned long long)qi.tbf_limit);
	CHECK(nsnet_tc_impair(&qi, 9000, &back) == 0 && nsnet_impair_eq(&back, &im),
	      "limit reads back in packets");

	parse("rate 40gbit", &im, &err);
	nlh = new_msg();
	nsnet_tc_msg_set(nlh, 7, &im, 1500);
	opt = attr(nlh, TCA_OPTIONS);
	r64 = NULL;
	mnl_attr_for_each_nested(a, opt) {
		if (mnl_attr_get_type(a) == TCA_TBF_PARMS)
			memcpy(&q, mnl_attr_get_payload(a), sizeof(q));
		else if (mnl_attr_get_type(a) == TCA_TBF_RATE64)
			r64 = a;
	}
	CHECK(r64 && mnl_attr_get_u64(r64) == 5000000000ull && q.rate.rate == UINT32_MAX,
	      "40gbit: RATE64 = 5e9 bytes/s, the 32-bit rate saturated");
	nlh->nlmsg_type = RTM_NEWQDISC;
	CHECK(nsnet_tc_parse(nlh, &qi) == 0 && qi.impair.rate == 40000000000ull,
	      "40gbit reads back");
}

static void test_netem_msg(void)
{
	struct nsnet_impair im, back;
	struct nsnet_err err = { 0 };
	struct nlmsghdr *nlh = new_msg();
	const struct nlattr *opt, *a, *lat = NULL, *jit = NULL, *cor = NULL, *rate = NULL,
			    *corr = NULL, *r64 = NULL;
	struct tc_netem_qopt q;
	struct tc_netem_corrupt c;
	struct tc_netem_rate r;
	struct nsnet_qdisc_info qi;
	const char *p;
	size_t len;

	parse("delay 20ms jitter 5ms loss 1% duplicate 50% corrupt 0.1% rate 10mbit", &im, &err);
	CHECK(nsnet_tc_msg_set(nlh, 3, &im, 1500) == 0, "netem message built");
	a = attr(nlh, TCA_KIND);
	CHECK(a && !strcmp(mnl_attr_get_str(a), "netem"), "kind netem");
	opt = attr(nlh, TCA_OPTIONS);
	CHECK(opt && !(opt->nla_type & NLA_F_NESTED), "TCA_OPTIONS without the nested flag (as tc)");
	if (!opt)
		return;
	len = mnl_attr_get_payload_len(opt);
	p = mnl_attr_get_payload(opt);
	CHECK(len > sizeof(q), "TCA_OPTIONS starts with a tc_netem_qopt, attributes follow");
	memcpy(&q, p, sizeof(q));
	CHECK(q.limit == 1000, "limit 1000 packets by default");
	CHECK(q.loss == 42949673, "loss 1%% = 42949673 (%u)", q.loss);
	CHECK(q.duplicate == 2147483648u, "duplicate 50%% = 2^31 (%u)", q.duplicate);
	CHECK(q.latency == 20000000 / 64 && q.jitter == 5000000 / 64,
	      "latency/jitter also in 64 ns ticks for old kernels");
	CHECK(q.gap == 0, "no reordering");
	for (a = (const void *)(p + MNL_ALIGN(sizeof(q)));
	     mnl_attr_ok(a, (int)(p + len - (const char *)a)); a = mnl_attr_next(a)) {
		switch (mnl_attr_get_type(a)) {
		case TCA_NETEM_LATENCY64: lat = a; break;
		case TCA_NETEM_JITTER64: jit = a; break;
		case TCA_NETEM_CORRUPT: cor = a; break;
		case TCA_NETEM_RATE: rate = a; break;
		case TCA_NETEM_RATE64: r64 = a; break;
		case TCA_NETEM_CORR: corr = a; break;
		}
	}
	CHECK(lat && mnl_attr_get_payload_len(lat) == 8 && mnl_attr_get_u64(lat) == 20000000,
	      "TCA_NETEM_LATENCY64 = 20000000 ns");
	CHECK(jit && mnl_attr_get_payload_len(jit) == 8 && mnl_attr_get_u64(jit) == 5000000,
	      "TCA_NETEM_JITTER64 = 5000000 ns");
	CHECK(cor && mnl_attr_get_payload_len(cor) == sizeof(c), "TCA_NETEM_CORRUPT is a tc_netem_corrupt");
	if (cor) {
		memcpy(&c, mnl_attr_get_payload(cor), sizeof(c));
		CHECK(c.probability == 4294967 && c.correlation == 0, "corrupt 0.1%% = 4294967");
	}
	CHECK(rate && mnl_attr_get_payload_len(rate) == sizeof(r), "TCA_NETEM_RATE is a tc_netem_rate");
	if (rate) {
		memcpy(&r, mnl_attr_get_payload(rate), sizeof(r));
		CHECK(r.rate == 1250000 && !r.packet_overhead && !r.cell_size,
		      "netem rate 1250000 bytes/s");
	}
	CHECK(!r64, "no RATE64 below 2^32 bytes/s");
	CHECK(corr && mnl_attr_get_payload_len(corr) == sizeof(struct tc_netem_corr),
	      "correlations given (zero) so a change in place resets them");

	nlh->nlmsg_type = RTM_NEWQDISC;
	((struct tcmsg *)mnl_nlmsg_get_payload(nlh))->tcm_handle = 0x80010000;
	CHECK(nsnet_tc_parse(nlh, &qi) == 0 && qi.known && qi.netem_limit == 1000,
	      "netem parsed back");
	CHECK(nsnet_impair_eq(&qi.impair, &im), "the same impairment reads back");
	CHECK(nsnet_tc_matches(&qi, &im, 1500), "it matches what was asked");
	CHECK(nsnet_tc_impair(&qi, 1500, &back) == 0 && nsnet_impair_eq(&back, &im),
	      "nsnet_tc_impair gives it back");

	parse("loss 100%", &im, &err);
	nlh = new_msg();
	nsnet_tc_msg_set(nlh, 3, &im, 1500);
	opt = attr(nlh, TCA_OPTIONS);
	memcpy(&q, mnl_attr_get_payload(opt), sizeof(q));
	CHECK(q.loss == UINT32_MAX && q.latency == 0, "loss 100%% = UINT32_MAX, no delay");
	nlh->nlmsg_type = RTM_NEWQDISC;
	nsnet_tc_parse(nlh, &qi);
	CHECK(qi.impair.set == NSNET_IMPAIR_LOSS && qi.impair.loss == NSNET_PCT_MAX,
	      "loss 100%% alone reads back");

	parse("delay 1ms rate 50gbit limit 20", &im, &err);
	nlh = new_msg();
	nsnet_tc_msg_set(nlh, 3, &im, 1500);
	nlh->nlmsg_type = RTM_NEWQDISC;
	((struct tcmsg *)mnl_nlmsg_get_payload(nlh))->tcm_handle = 0x80010000;
	CHECK(nsnet_tc_parse(nlh, &qi) == 0 && qi.impair.rate == 50000000000ull &&
	      qi.netem_limit == 20 && nsnet_tc_matches(&qi, &im, 1500),
	      "netem RATE64 and limit read back");
	im.limit = 21;
	CHECK(!nsnet_tc_matches(&qi, &im, 1500), "another limit does not match");

	CHECK(nsnet_tc_msg_set(new_msg(), 3, NULL, 1500) == -EINVAL, "none: nothing to build");
	im.set = NSNET_IMPAIR_LIMIT;
	CHECK(nsnet_tc_msg_set(new_msg(), 3, &im, 1500) == -EINVAL, "limit alone: nothing to build");
}

static void test_parse_bad(void)
{
	struct nsnet_qdisc_info qi;
	struct nlmsghdr *nlh = new_msg();
	struct tcmsg *t;
	struct nlattr *o;

	nlh->nlmsg_type = RTM_NEWQDISC;
	CHECK(nsnet_tc_parse(nlh, &qi) == -EBADMSG, "a message without tcmsg is refused");
	t = mnl_nlmsg_put_extra_header(nlh, sizeof(*t));
	t->tcm_parent = TC_H_ROOT;
	t->tcm_handle = 0x10000;
	mnl_attr_put_strz(nlh, TCA_KIND, "netem");
	mnl_attr_put(nlh, TCA_OPTIONS, 8, "12345678");	/* shorter than tc_netem_qopt */
	CHECK(nsnet_tc_parse(nlh, &qi) == 0 && !qi.known, "a short netem TCA_OPTIONS is not read");
	nlh = new_msg();
	t = mnl_nlmsg_put_extra_header(nlh, sizeof(*t));
	t->tcm_handle = 0x10000;
	mnl_attr_put_strz(nlh, TCA_KIND, "htb");
	o = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_nest_end(nlh, o);
	CHECK(nsnet_tc_parse(nlh, &qi) == 0 && !qi.known && !strcmp(qi.kind, "htb"),
	      "another kind is read as foreign");
	{
		struct nsnet_impair none;

		CHECK(nsnet_tc_impair(&qi, 1500, &none) == -ENOENT && !none.set,
		      "nsnet_tc_impair: not ours");
		CHECK(!nsnet_tc_matches(&qi, NULL, 1500), "a foreign root is not \"none\"");
	}
}

/* Parse and check a lab file; returns the lab or NULL with the message in @err. */
static struct nsnet_lab *lab_of(const char *yaml, struct nsnet_err *err)
{
	struct nsnet_lab *lab = NULL;

	nsnet_err_clear(err);
	if (nsnet_lab_parse(yaml, strlen(yaml), "t.yaml", &lab, err) < 0)
		return NULL;
	if (nsnet_lab_check(lab, err) < 0) {
		nsnet_lab_free(lab);
		return NULL;
	}
	return lab;
}

static void lab_bad(const char *yaml, const char *want)
{
	struct nsnet_err err = { 0 };
	struct nsnet_lab *lab = lab_of(yaml, &err);

	CHECK(!lab && err.error == -EINVAL && strstr(err.msg, want), "lab refused: \"%s\" (got \"%s\")",
	      want, err.msg);
	nsnet_lab_free(lab);
}

#define LAB_HEAD "name: t\nbridges:\n  br0: {}\nnodes:\n  a:\n    interfaces:\n"

static void test_lab(void)
{
	struct nsnet_err err = { 0 };
	struct nsnet_lab *lab;
	struct nsnet_cable c;
	char key[NSNET_CABLE_KEY_MAX], field[NSNET_CABLE_KEY_MAX], name[NSNET_CABLE_KEY_MAX];
	size_t n, i;

	lab = lab_of(LAB_HEAD
		     "      eth0: { bridge: br0, impair: { rate: 10mbit, limit: 100 } }\n"
		     "      eth1: {}\n"
		     "  b:\n"
		     "    interfaces:\n"
		     "      eth0: { bridge: br0 }\n"
		     "      eth1: { impair: { loss: 1.5, delay: 20ms, jitter: 1ms } }\n"
		     "links:\n"
		     "  - endpoints: [\"a:eth1\", \"b:eth1\"]\n"
		     "  - endpoints: [\"a:eth2\", br0]\n"
		     "    impair: { rate: 1gbit }\n", &err);
	CHECK(lab != NULL, "a lab with impairments is valid%s%s", lab ? "" : ": ", lab ? "" : err.msg);
	if (!lab)
		return;
	CHECK(lab->nodes[0].ifaces[0].impair.set == (NSNET_IMPAIR_RATE | NSNET_IMPAIR_LIMIT) &&
	      lab->nodes[0].ifaces[0].impair.rate == 10000000 &&
	      lab->nodes[0].ifaces[0].impair.limit == 100, "iface impair: rate and limit");
	CHECK(lab->nodes[0].ifaces[0].impair_loc.line == 7 &&
	      lab->nodes[0].ifaces[0].impair_loc.col == 28, "impair location %d:%d",
	      lab->nodes[0].ifaces[0].impair_loc.line, lab->nodes[0].ifaces[0].impair_loc.col);
	CHECK(lab->links[1].impair.set == NSNET_IMPAIR_RATE && lab->links[1].impair.rate ==
	      1000000000ull, "links[] impair");

	nsnet_cable_of(lab, 0, 0, &c, field);
	nsnet_cable_key(lab, &c, key, sizeof(key));
	nsnet_cable_end_name(lab, &c, 1, name, sizeof(name));
	CHECK(c.impair == &lab->nodes[0].ifaces[0].impair && !strcmp(key, "a:eth0") &&
	      !strcmp(name, "host:a-eth0") && !strcmp(field, "nodes.a.interfaces.eth0"),
	      "a:eth0: bridge cable to host:a-eth0 (%s %s %s)", key, name, field);
	nsnet_cable_of(lab, 0, 1, &c, field);
	nsnet_cable_key(lab, &c, key, sizeof(key));
	nsnet_cable_end_name(lab, &c, 1, name, sizeof(name));
	CHECK(c.impair == &lab->nodes[1].ifaces[1].impair && !strcmp(name, "b:eth1") &&
	      !strcmp(key, "a:eth1") && !strcmp(field, "nodes.b.interfaces.eth1"),
	      "a:eth1: cable to b:eth1 with b:eth1's impairment (%s %s)", name, field);
	nsnet_cable_of(lab, 1, 1, &c, NULL);
	nsnet_cable_key(lab, &c, key, sizeof(key));
	CHECK(!strcmp(key, "a:eth1") && c.node[1] == 0, "b:eth1 is the same cable, key a:eth1");
	CHECK(nsnet_cable_find(lab, "a:eth2", &n, &i, &err) == 0 && n == 0 && i == 2,
	      "a:eth2 found (declared by its link)");
	nsnet_cable_of(lab, n, i, &c, field);
	CHECK(c.impair == &lab->links[1].impair && !strcmp(field, "links[1]") && c.ifname[1],
	      "a:eth2: the link's impairment, host end %s", c.ifname[1] ? c.ifname[1] : "?");
	CHECK(nsnet_cable_find(lab, "a:eth9", &n, &i, &err) == -EINVAL &&
	      strstr(err.msg, "no interface \"eth9\" (it has: eth0, eth1, eth2)"),
	      "unknown interface named with the list: %s", err.msg);
	CHECK(nsnet_cable_find(lab, "z:eth0", &n, &i, &err) == -EINVAL &&
	      strstr(err.msg, "no node \"z\""), "unknown node: %s", err.msg);
	CHECK(nsnet_cable_find(lab, "a", &n, &i, &err) == -EINVAL &&
	      strstr(err.msg, "is not NODE:IF"), "not NODE:IF: %s", err.msg);
	nsnet_lab_free(lab);

	lab_bad(LAB_HEAD "      eth0: { bridge: br0, impair: { rate: 10furlongs } }\n",
		"t.yaml:7:44: nodes.a.interfaces.eth0.impair.rate: \"10furlongs\": unknown unit");
	lab_bad(LAB_HEAD "      eth0: { bridge: br0, impair: { delay: 10 } }\n",
		"t.yaml:7:45: nodes.a.interfaces.eth0.impair.delay: \"10\" needs a unit");
	lab_bad(LAB_HEAD "      eth0: { bridge: br0, impair: { loss: 101% } }\n",
		"nodes.a.interfaces.eth0.impair.loss: \"101%\" is more than 100%");
	lab_bad(LAB_HEAD "      eth0: { bridge: br0, impair: { jitter: 1ms } }\n",
		"t.yaml:7:28: nodes.a.interfaces.eth0.impair.jitter: needs delay");
	lab_bad(LAB_HEAD "      eth0: { bridge: br0, impair: { limit: 10 } }\n",
		"t.yaml:7:28: nodes.a.interfaces.eth0.impair.limit: sets the queue");
	lab_bad(LAB_HEAD "      eth0: { bridge: br0, impair: { speed: 10 } }\n",
		"impair: unknown key \"speed\"");
	lab_bad(LAB_HEAD "      eth0: { bridge: br0, impair: { rate: [1] } }\n",
		"impair.rate: expected a string, got a list");
	lab_bad(LAB_HEAD "      eth0: { bridge: br0, impair: 10mbit }\n",
		"nodes.a.interfaces.eth0.impair: expected a mapping");
	lab_bad(LAB_HEAD "      eth1: { impair: { rate: 1mbit } }\n"
		"  b: { interfaces: { eth1: { impair: { rate: 2mbit } } } }\n"
		"links:\n  - endpoints: [\"a:eth1\", \"b:eth1\"]\n",
		"t.yaml:8:30: nodes.b.interfaces.eth1.impair: this cable's impairment is already "
		"given at line 7 column 15");
	lab_bad(LAB_HEAD "      eth1: { impair: { rate: 1mbit } }\n"
		"  b: { interfaces: { eth1: {} } }\n"
		"links:\n  - endpoints: [\"a:eth1\", \"b:eth1\"]\n    impair: { rate: 1mbit }\n",
		"nodes.a.interfaces.eth1.impair: this cable's impairment is already given at line 11");
	lab_bad(LAB_HEAD "      eth0: { bridge: br0 }\n"
		"links:\n  - endpoints: [br0, br1]\n    impair: { corrupt: 5, jitter: 1s }\n"
		"bridges2: 1\n", "unknown key \"bridges2\"");
	lab_bad("name: t\nbridges: { br0: {}, br1: {} }\n"
		"links:\n  - endpoints: [br0, br1]\n    impair: { corrupt: 5, jitter: 1s }\n",
		"t.yaml:5:5: links[0].impair.jitter: needs delay");
}

static void test_state_text(void)
{
	struct nsnet_cable_state *v = NULL, *w = NULL;
	size_t n = 0, m = 0;
	const char *in = "a:eth0 down\nb:eth1 impair rate 10mbit delay 5ms\njunk\nx:y impair bogus 1\n"
			 "a:eth0 impair none\n\n:nokey down\nc:eth0 up\n";
	char *text;

	CHECK(nsnet_cable_state_parse(in, strlen(in), &v, &n) == 0 && n == 2, "2 records (%zu)", n);
	if (n != 2)
		return;
	CHECK(!strcmp(v[0].key, "a:eth0") && v[0].down && v[0].has_impair && !v[0].impair.set,
	      "a:eth0: down, impairment cleared");
	CHECK(!strcmp(v[1].key, "b:eth1") && !v[1].down && v[1].has_impair &&
	      v[1].impair.rate == 10000000 && v[1].impair.delay == 5000000, "b:eth1: impairment");
	text = nsnet_cable_state_text(v, n);
	CHECK(text && !strcmp(text, "a:eth0 down\na:eth0 impair none\nb:eth1 impair rate 10mbit "
			      "delay 5ms\n"), "the records' text is one fact a line");
	CHECK(text && nsnet_cable_state_parse(text, strlen(text), &w, &m) == 0 && m == 2 &&
	      nsnet_impair_eq(&w[1].impair, &v[1].impair), "text reads back");
	CHECK(nsnet_cable_state_find(v, n, "b:eth1") == &v[1] && !nsnet_cable_state_find(v, n, "q:r"),
	      "find by key");
	free(text);
	free(v);
	free(w);
}

int main(void)
{
	test_words();
	test_eq_check();
	test_prob();
	test_tbf_msg();
	test_netem_msg();
	test_parse_bad();
	test_lab();
	test_state_text();
	return CHECK_DONE();
}
