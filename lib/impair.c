// SPDX-License-Identifier: MIT
/*
 * Link impairments (pure): the words "rate 10mbit delay 20ms loss 1% …",
 * their exact text form, comparison and checks. No floating point: decimal
 * fractions are read as integers scaled by a power of ten, so that a value
 * formatted and read back is the same value.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nsnet/impair.h"

static const uint64_t pow10_tab[] = {
	1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
	100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
	10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
	100000000000000000ull, 1000000000000000000ull,
};
#define POW10_MAX 18

/*
 * "123" or "12.375": *mant = 12375, *fdig = 3; *end after the number.
 * Digits, then optionally '.' and at least one digit; at most 18 digits
 * after leading zeros and 18 after the point. -EINVAL if not a number.
 */
static int decimal(const char *s, uint64_t *mant, unsigned *fdig, const char **end)
{
	unsigned sig = 0, nd = 0, nf = 0;
	uint64_t m = 0;

	for (; *s >= '0' && *s <= '9'; s++, nd++) {
		if (!m && *s == '0')
			continue;
		if (++sig > POW10_MAX)
			return -EINVAL;
		m = m * 10 + (uint64_t)(*s - '0');
	}
	if (!nd)
		return -EINVAL;
	if (*s == '.') {
		s++;
		for (; *s >= '0' && *s <= '9'; s++) {
			if (++nf > POW10_MAX)
				return -EINVAL;
			if (m || *s != '0')
				sig++;
			if (sig > POW10_MAX)
				return -EINVAL;
			m = m * 10 + (uint64_t)(*s - '0');
		}
		if (!nf)
			return -EINVAL;
	}
	*mant = m;
	*fdig = nf;
	*end = s;
	return 0;
}

/* mant / 10^fdig * mul, rounded down (@round 0) or to nearest (1); -ERANGE above @max. */
static int scale(uint64_t mant, unsigned fdig, uint64_t mul, int round, uint64_t max,
		 uint64_t *out)
{
	unsigned __int128 v = (unsigned __int128)mant * mul;
	uint64_t d = pow10_tab[fdig];

	if (round)
		v += d / 2;
	v /= d;
	if (v > max)
		return -ERANGE;
	*out = (uint64_t)v;
	return 0;
}

static const struct unit {
	const char *name;
	uint64_t mul;
} rate_units[] = {
	/* tc's rate suffixes (case does not matter); Bps are bytes per second */
	{ "bit", 1 }, { "kbit", 1000ull }, { "mbit", 1000000ull }, { "gbit", 1000000000ull },
	{ "tbit", 1000000000000ull }, { "kibit", 1024ull }, { "mibit", 1048576ull },
	{ "gibit", 1073741824ull }, { "tibit", 1099511627776ull }, { "bps", 8ull },
	{ "kbps", 8000ull }, { "mbps", 8000000ull }, { "gbps", 8000000000ull },
	{ "tbps", 8000000000000ull }, { "kibps", 8192ull }, { "mibps", 8388608ull },
	{ "gibps", 8589934592ull }, { "tibps", 8796093022208ull }, { NULL, 0 }
}, time_units[] = {
	{ "s", 1000000000ull }, { "sec", 1000000000ull }, { "secs", 1000000000ull },
	{ "ms", 1000000ull }, { "msec", 1000000ull }, { "msecs", 1000000ull },
	{ "us", 1000ull }, { "usec", 1000ull }, { "usecs", 1000ull },
	{ "ns", 1ull }, { "nsec", 1ull }, { "nsecs", 1ull }, { NULL, 0 }
};

static const struct unit *find_unit(const struct unit *t, const char *s)
{
	for (; t->name; t++)
		if (!strcasecmp(t->name, s))
			return t;
	return NULL;
}

/* Printable, quoted, truncated copy of @s for messages. */
static const char *q(const char *s, char *buf, size_t len)
{
	size_t i, o = 0;

	if (len < 8)
		return "";
	buf[o++] = '"';
	for (i = 0; s[i] && o + 5 < len; i++)
		buf[o++] = (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f ? s[i] : '?';
	if (s[i])
		o += (size_t)snprintf(buf + o, len - o, "…");
	if (o + 1 < len)
		buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

static int parse_rate(const char *v, uint64_t *bits, struct nsnet_err *err)
{
	const struct unit *u = &rate_units[0];
	const char *end;
	uint64_t m, b;
	unsigned f;
	char qb[64];

	if (decimal(v, &m, &f, &end) < 0)
		return nsnet_err_set(err, -EINVAL, "rate: %s is not a rate (like 10mbit, 500kbit, "
				     "1gbit)", q(v, qb, sizeof(qb)));
	if (*end && !(u = find_unit(rate_units, end)))
		return nsnet_err_set(err, -EINVAL, "rate: %s: unknown unit %s (bit, kbit, mbit, "
				     "gbit, tbit, Kibit…, Bps = bytes/s…)", q(v, qb, sizeof(qb)),
				     q(end, qb + 32, 32));
	if (scale(m, f, u->mul, 0, NSNET_RATE_MAX, &b) < 0)
		return nsnet_err_set(err, -EINVAL, "rate: %s is more than 100tbit",
				     q(v, qb, sizeof(qb)));
	*bits = b / 8 * 8;	/* the kernel keeps whole bytes per second */
	if (!*bits)
		return nsnet_err_set(err, -EINVAL, "rate: %s is less than 8bit (one byte per "
				     "second); to remove a limit use clear", q(v, qb, sizeof(qb)));
	return 0;
}

static int parse_time(const char *name, const char *v, uint64_t max, uint64_t *ns,
		      struct nsnet_err *err)
{
	const struct unit *u;
	const char *end;
	uint64_t m;
	unsigned f;
	char qb[64], mx[32];

	if (decimal(v, &m, &f, &end) < 0)
		return nsnet_err_set(err, -EINVAL, "%s: %s is not a time (like 20ms, 500us, 1s)",
				     name, q(v, qb, sizeof(qb)));
	if (!*end)
		return nsnet_err_set(err, -EINVAL, "%s: %s needs a unit (ms, us, s)", name,
				     q(v, qb, sizeof(qb)));
	u = find_unit(time_units, end);
	if (!u)
		return nsnet_err_set(err, -EINVAL, "%s: %s: unknown unit %s (s, ms, us, ns)", name,
				     q(v, qb, sizeof(qb)), q(end, qb + 32, 32));
	if (scale(m, f, u->mul, 1, max, ns) < 0)
		return nsnet_err_set(err, -EINVAL, "%s: %s is more than %s", name,
				     q(v, qb, sizeof(qb)), nsnet_time_fmt(max, mx, sizeof(mx)));
	return 0;
}

static int parse_pct(const char *name, const char *v, uint32_t *upct, struct nsnet_err *err)
{
	const char *end;
	uint64_t m, r;
	unsigned f;
	char qb[64];

	if (decimal(v, &m, &f, &end) < 0 || (*end && strcmp(end, "%")))
		return nsnet_err_set(err, -EINVAL, "%s: %s is not a percentage (like 1%%, 0.5%% "
				     "or 2.5)", name, q(v, qb, sizeof(qb)));
	if (scale(m, f, NSNET_PCT_ONE, 1, NSNET_PCT_MAX, &r) < 0)
		return nsnet_err_set(err, -EINVAL, "%s: %s is more than 100%%", name,
				     q(v, qb, sizeof(qb)));
	*upct = (uint32_t)r;
	return 0;
}

static int parse_limit(const char *v, uint32_t *limit, struct nsnet_err *err)
{
	const char *end;
	uint64_t m, r;
	unsigned f;
	char qb[64];

	if (decimal(v, &m, &f, &end) < 0 || *end || f)
		return nsnet_err_set(err, -EINVAL, "limit: %s is not a number of packets",
				     q(v, qb, sizeof(qb)));
	if (scale(m, 0, 1, 0, UINT32_MAX, &r) < 0 || !r)
		return nsnet_err_set(err, -EINVAL, "limit: %s is out of range (1..%u packets)",
				     q(v, qb, sizeof(qb)), UINT32_MAX);
	*limit = (uint32_t)r;
	return 0;
}

int nsnet_impair_parse_field(struct nsnet_impair *im, const char *name, const char *value,
			     struct nsnet_err *err)
{
	int ret;

	if (!strcmp(name, "rate")) {
		ret = parse_rate(value, &im->rate, err);
		if (!ret)
			im->set |= NSNET_IMPAIR_RATE;
	} else if (!strcmp(name, "delay")) {
		ret = parse_time(name, value, NSNET_DELAY_MAX, &im->delay, err);
		if (!ret)
			im->set |= NSNET_IMPAIR_DELAY;
	} else if (!strcmp(name, "jitter")) {
		ret = parse_time(name, value, NSNET_JITTER_MAX, &im->jitter, err);
		if (!ret)
			im->set |= NSNET_IMPAIR_JITTER;
	} else if (!strcmp(name, "loss")) {
		ret = parse_pct(name, value, &im->loss, err);
		if (!ret)
			im->set |= NSNET_IMPAIR_LOSS;
	} else if (!strcmp(name, "duplicate")) {
		ret = parse_pct(name, value, &im->duplicate, err);
		if (!ret)
			im->set |= NSNET_IMPAIR_DUPLICATE;
	} else if (!strcmp(name, "corrupt")) {
		ret = parse_pct(name, value, &im->corrupt, err);
		if (!ret)
			im->set |= NSNET_IMPAIR_CORRUPT;
	} else if (!strcmp(name, "limit")) {
		ret = parse_limit(value, &im->limit, err);
		if (!ret)
			im->set |= NSNET_IMPAIR_LIMIT;
	} else {
		ret = -ENOENT;
	}
	return ret;
}

static const char *const field_names[] = { "rate", "delay", "jitter", "loss", "duplicate",
					   "corrupt", "limit" };

static unsigned field_bit(const char *name)
{
	unsigned i;

	for (i = 0; i < sizeof(field_names) / sizeof(field_names[0]); i++)
		if (!strcmp(name, field_names[i]))
			return 1u << i;
	return 0;
}

int nsnet_impair_parse_arg(int argc, char *const *argv, struct nsnet_impair *im,
			   struct nsnet_err *err)
{
	struct nsnet_impair r = { 0 };
	char qb[64];
	unsigned bit;
	int i, ret;

	memset(im, 0, sizeof(*im));
	if (argc < 1)
		return nsnet_err_set(err, -EINVAL, "no setting (rate, delay, jitter, loss, "
				     "duplicate, corrupt, limit, or clear)");
	if (!strcmp(argv[0], "clear") || !strcmp(argv[0], "none")) {
		if (argc > 1)
			return nsnet_err_set(err, -EINVAL, "%s: nothing may follow it (got %s)",
					     argv[0], q(argv[1], qb, sizeof(qb)));
		return 0;
	}
	for (i = 0; i < argc; i += 2) {
		bit = field_bit(argv[i]);
		if (!bit)
			return nsnet_err_set(err, -EINVAL, "unknown word %s (expected rate, delay, "
					     "jitter, loss, duplicate, corrupt, limit, or clear)",
					     q(argv[i], qb, sizeof(qb)));
		if (r.set & bit)
			return nsnet_err_set(err, -EINVAL, "%s: given twice", argv[i]);
		if (i + 1 >= argc)
			return nsnet_err_set(err, -EINVAL, "%s: missing value", argv[i]);
		ret = nsnet_impair_parse_field(&r, argv[i], argv[i + 1], err);
		if (ret < 0)
			return ret;
	}
	ret = nsnet_impair_check(&r, err);
	if (ret < 0)
		return ret;
	*im = r;
	return 0;
}

int nsnet_impair_parse_str(const char *s, struct nsnet_impair *im, struct nsnet_err *err)
{
	char *copy, *words[33], *save = NULL, *w;
	int n = 0, ret;

	memset(im, 0, sizeof(*im));
	copy = strdup(s);
	if (!copy)
		return nsnet_err_set(err, -ENOMEM, "out of memory");
	for (w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
		if (n == 32) {
			free(copy);
			return nsnet_err_set(err, -EINVAL, "too many words");
		}
		words[n++] = w;
	}
	words[n] = NULL;
	ret = nsnet_impair_parse_arg(n, words, im, err);
	free(copy);
	return ret;
}

int nsnet_impair_check(const struct nsnet_impair *im, struct nsnet_err *err)
{
	char b[32];

	if (im->set & ~NSNET_IMPAIR_ALL)
		return nsnet_err_set(err, -EINVAL, "unknown fields set (0x%x)", im->set);
	if ((im->set & NSNET_IMPAIR_RATE) &&
	    (im->rate < 8 || im->rate > NSNET_RATE_MAX || im->rate % 8))
		return nsnet_err_set(err, -EINVAL, "rate: must be whole bytes per second, from "
				     "8bit to 100tbit");
	if ((im->set & NSNET_IMPAIR_DELAY) && im->delay > NSNET_DELAY_MAX)
		return nsnet_err_set(err, -EINVAL, "delay: more than %s",
				     nsnet_time_fmt(NSNET_DELAY_MAX, b, sizeof(b)));
	if ((im->set & NSNET_IMPAIR_JITTER) && im->jitter > NSNET_JITTER_MAX)
		return nsnet_err_set(err, -EINVAL, "jitter: more than %s (the kernel's limit)",
				     nsnet_time_fmt(NSNET_JITTER_MAX, b, sizeof(b)));
	if ((im->set & NSNET_IMPAIR_JITTER) && !(im->set & NSNET_IMPAIR_DELAY))
		return nsnet_err_set(err, -EINVAL, "jitter: needs delay (jitter varies the delay: "
				     "delay ± jitter)");
	if (((im->set & NSNET_IMPAIR_LOSS) && im->loss > NSNET_PCT_MAX) ||
	    ((im->set & NSNET_IMPAIR_DUPLICATE) && im->duplicate > NSNET_PCT_MAX) ||
	    ((im->set & NSNET_IMPAIR_CORRUPT) && im->corrupt > NSNET_PCT_MAX))
		return nsnet_err_set(err, -EINVAL, "%s: more than 100%%",
				     (im->set & NSNET_IMPAIR_LOSS) && im->loss > NSNET_PCT_MAX ?
				     "loss" : (im->set & NSNET_IMPAIR_DUPLICATE) &&
				     im->duplicate > NSNET_PCT_MAX ? "duplicate" : "corrupt");
	if ((im->set & NSNET_IMPAIR_LIMIT) && !im->limit)
		return nsnet_err_set(err, -EINVAL, "limit: must be at least 1 packet");
	if (im->set == NSNET_IMPAIR_LIMIT)
		return nsnet_err_set(err, -EINVAL, "limit: sets the queue of rate or of delay, "
				     "jitter, loss, duplicate, corrupt; give one of them too");
	return 0;
}

int nsnet_impair_eq(const struct nsnet_impair *a, const struct nsnet_impair *b)
{
	unsigned sa = a ? a->set : 0, sb = b ? b->set : 0;

	if (sa != sb)
		return 0;
	if (!sa)
		return 1;
	return (!(sa & NSNET_IMPAIR_RATE) || a->rate == b->rate) &&
	       (!(sa & NSNET_IMPAIR_DELAY) || a->delay == b->delay) &&
	       (!(sa & NSNET_IMPAIR_JITTER) || a->jitter == b->jitter) &&
	       (!(sa & NSNET_IMPAIR_LOSS) || a->loss == b->loss) &&
	       (!(sa & NSNET_IMPAIR_DUPLICATE) || a->duplicate == b->duplicate) &&
	       (!(sa & NSNET_IMPAIR_CORRUPT) || a->corrupt == b->corrupt) &&
	       (!(sa & NSNET_IMPAIR_LIMIT) || a->limit == b->limit);
}

int nsnet_impair_needs_netem(const struct nsnet_impair *im)
{
	return im && (im->set & NSNET_IMPAIR_NETEM);
}

/* @v / @div as an exact decimal with trailing zeros dropped, then @unit. */
static const char *exact(uint64_t v, uint64_t div, unsigned digits, const char *unit, char *buf,
			 size_t len)
{
	uint64_t ip = v / div, fp = v % div;
	char frac[24];
	int n;

	if (!fp) {
		snprintf(buf, len, "%llu%s", (unsigned long long)ip, unit);
		return buf;
	}
	snprintf(frac, sizeof(frac), "%0*llu", (int)digits, (unsigned long long)fp);
	for (n = (int)strlen(frac); n > 0 && frac[n - 1] == '0'; n--)
		frac[n - 1] = '\0';
	snprintf(buf, len, "%llu.%s%s", (unsigned long long)ip, frac, unit);
	return buf;
}

const char *nsnet_rate_fmt(uint64_t bits, char *buf, size_t len)
{
	if (bits >= 1000000000000ull)
		return exact(bits, 1000000000000ull, 12, "tbit", buf, len);
	if (bits >= 1000000000ull)
		return exact(bits, 1000000000ull, 9, "gbit", buf, len);
	if (bits >= 1000000ull)
		return exact(bits, 1000000ull, 6, "mbit", buf, len);
	if (bits >= 1000ull)
		return exact(bits, 1000ull, 3, "kbit", buf, len);
	return exact(bits, 1, 0, "bit", buf, len);
}

const char *nsnet_time_fmt(uint64_t ns, char *buf, size_t len)
{
	if (ns >= 1000000000ull)
		return exact(ns, 1000000000ull, 9, "s", buf, len);
	if (ns >= 1000000ull || !ns)
		return exact(ns, 1000000ull, 6, "ms", buf, len);
	if (ns >= 1000ull)
		return exact(ns, 1000ull, 3, "us", buf, len);
	return exact(ns, 1, 0, "ns", buf, len);
}

const char *nsnet_pct_fmt(uint32_t upct, char *buf, size_t len)
{
	return exact(upct, NSNET_PCT_ONE, 6, "%", buf, len);
}

const char *nsnet_impair_format(const struct nsnet_impair *im, char *buf, size_t len)
{
	char v[40];
	size_t o = 0;
	unsigned i;

	if (!len)
		return buf;
	buf[0] = '\0';
	if (!im || !im->set) {
		snprintf(buf, len, "none");
		return buf;
	}
	for (i = 0; i < sizeof(field_names) / sizeof(field_names[0]); i++) {
		unsigned bit = 1u << i;

		if (!(im->set & bit))
			continue;
		switch (bit) {
		case NSNET_IMPAIR_RATE:
			nsnet_rate_fmt(im->rate, v, sizeof(v));
			break;
		case NSNET_IMPAIR_DELAY:
			nsnet_time_fmt(im->delay, v, sizeof(v));
			break;
		case NSNET_IMPAIR_JITTER:
			nsnet_time_fmt(im->jitter, v, sizeof(v));
			break;
		case NSNET_IMPAIR_LOSS:
			nsnet_pct_fmt(im->loss, v, sizeof(v));
			break;
		case NSNET_IMPAIR_DUPLICATE:
			nsnet_pct_fmt(im->duplicate, v, sizeof(v));
			break;
		case NSNET_IMPAIR_CORRUPT:
			nsnet_pct_fmt(im->corrupt, v, sizeof(v));
			break;
		default:
			snprintf(v, sizeof(v), "%u", im->limit);
			break;
		}
		if (o < len)
			o += (size_t)snprintf(buf + o, len - o, "%s%s %s", o ? " " : "",
					      field_names[i], v);
	}
	return buf;
}

uint32_t nsnet_pct_to_prob(uint32_t upct)
{
	if (upct >= NSNET_PCT_MAX)
		return UINT32_MAX;
	return (uint32_t)(((uint64_t)upct * UINT32_MAX + NSNET_PCT_MAX / 2) / NSNET_PCT_MAX);
}

uint32_t nsnet_prob_to_pct(uint32_t prob)
{
	return (uint32_t)(((uint64_t)prob * NSNET_PCT_MAX + UINT32_MAX / 2) / UINT32_MAX);
}
