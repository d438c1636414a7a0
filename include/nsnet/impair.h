/* SPDX-License-Identifier: MIT */
#ifndef NSNET_IMPAIR_H
#define NSNET_IMPAIR_H

#include <stddef.h>
#include <stdint.h>

#include "nsnet/err.h"

/*
 * A link impairment: what `impair:` in a lab file and `nsnet link set NODE:IF
 * rate … delay … loss …` describe, and what is read back from the kernel.
 * Everything here is pure (no system access): the words of the command line
 * and of the lab file, their text form, comparison and checks.
 *
 * Units are fixed so that equal settings compare equal: rate in bits per
 * second (whole bytes: a multiple of 8, as the kernel keeps bytes), delay and
 * jitter in nanoseconds, probabilities in millionths of a percent (100% =
 * 100000000), limit in packets.
 */
enum {
	NSNET_IMPAIR_RATE = 1u << 0,
	NSNET_IMPAIR_DELAY = 1u << 1,
	NSNET_IMPAIR_JITTER = 1u << 2,
	NSNET_IMPAIR_LOSS = 1u << 3,
	NSNET_IMPAIR_DUPLICATE = 1u << 4,
	NSNET_IMPAIR_CORRUPT = 1u << 5,
	NSNET_IMPAIR_LIMIT = 1u << 6,
};
#define NSNET_IMPAIR_ALL 0x7fu
/* The fields only the kernel's netem qdisc (module sch_netem) implements. */
#define NSNET_IMPAIR_NETEM (NSNET_IMPAIR_DELAY | NSNET_IMPAIR_JITTER | NSNET_IMPAIR_LOSS | \
			    NSNET_IMPAIR_DUPLICATE | NSNET_IMPAIR_CORRUPT)

#define NSNET_PCT_ONE		1000000u		/* 1% in millionths of a percent */
#define NSNET_PCT_MAX		(100u * NSNET_PCT_ONE)	/* 100% */
#define NSNET_RATE_MAX		100000000000000ull	/* 100 tbit */
#define NSNET_DELAY_MAX		1000000000000ull	/* 1000 s */
#define NSNET_JITTER_MAX	2147483647ull		/* the kernel caps jitter at INT_MAX ns */

struct nsnet_impair {
	unsigned set;		/* NSNET_IMPAIR_* of the fields given; 0: no impairment */
	uint64_t rate;		/* bits per second, a multiple of 8 */
	uint64_t delay;		/* ns */
	uint64_t jitter;	/* ns, delay ± jitter (uniform) */
	uint32_t loss;		/* millionths of a percent */
	uint32_t duplicate;
	uint32_t corrupt;
	uint32_t limit;		/* packets queued at most */
};

/*
 * One field from its name and text: "rate" "10mbit" (tc's units: bit, kbit,
 * mbit, gbit, tbit, Kibit…, Bps = bytes/s…; a bare number is bit/s), "delay"
 * / "jitter" "20ms" (s, ms, us, ns; a unit is required), "loss" /
 * "duplicate" / "corrupt" "1%" or "1.5" (percent), "limit" "1000" (packets).
 * Decimal fractions are exact (no floating point). Sets the field and its bit.
 * -EINVAL with the reason in @err (e.g. "delay: \"20\" needs a unit (ms, us, s)");
 * -ENOENT if @name is not a field.
 */
int nsnet_impair_parse_field(struct nsnet_impair *im, const char *name, const char *value,
			     struct nsnet_err *err);

/*
 * The words of the command line: "rate 10mbit delay 20ms jitter 5ms loss 1%
 * duplicate 1% corrupt 0.1% limit 1000", or the single word "clear" (or
 * "none"): no impairment. Each field at most once; the result passes
 * nsnet_impair_check(). -EINVAL with the word and the reason in @err.
 */
int nsnet_impair_parse_arg(int argc, char *const *argv, struct nsnet_impair *im,
			   struct nsnet_err *err);
/* The same from one string of blank-separated words (at most 32 words). */
int nsnet_impair_parse_str(const char *s, struct nsnet_impair *im, struct nsnet_err *err);

/*
 * Checks across fields and ranges: jitter needs delay, probabilities at most
 * 100%, rate 8 bit/s..100 tbit, delay at most 1000 s, jitter at most 2.147 s
 * (the kernel's limit), limit >= 1 and needs rate or a netem field. 0 or
 * -EINVAL with "FIELD: reason" in @err.
 */
int nsnet_impair_check(const struct nsnet_impair *im, struct nsnet_err *err);

/* 1 if @a and @b set the same fields to the same values (NULL = none). */
int nsnet_impair_eq(const struct nsnet_impair *a, const struct nsnet_impair *b);

/*
 * The words that nsnet_impair_parse_str() reads back as the same setting:
 * "rate 10mbit delay 20ms loss 1%"; "none" for no impairment. Exact (no
 * rounding). Returns @buf. 256 bytes are always enough.
 */
#define NSNET_IMPAIR_FMT_MAX 256
const char *nsnet_impair_format(const struct nsnet_impair *im, char *buf, size_t len);

/* 1 if the setting needs the kernel's netem qdisc (delay, jitter, loss, duplicate, corrupt). */
int nsnet_impair_needs_netem(const struct nsnet_impair *im);

/* Text forms of single values (exact, shortest unit): "10mbit", "20ms", "0.1%". */
const char *nsnet_rate_fmt(uint64_t bits, char *buf, size_t len);
const char *nsnet_time_fmt(uint64_t ns, char *buf, size_t len);
const char *nsnet_pct_fmt(uint32_t upct, char *buf, size_t len);

/* Millionths of a percent <-> the kernel's 32-bit probability (UINT32_MAX = 100%). */
uint32_t nsnet_pct_to_prob(uint32_t upct);
uint32_t nsnet_prob_to_pct(uint32_t prob);

#endif
