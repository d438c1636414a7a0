// SPDX-License-Identifier: MIT
/*
 * One-line packet summaries for nsnet capture (pure; fuzzed by
 * tests/fuzz/fuzz-pkt.c). Every read is checked against the captured length.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nsnet/capture.h"

#define DLT_EN10MB_ 1
#define DLT_RAW_A 12		/* DLT_RAW on most systems */
#define DLT_RAW_B 14		/* DLT_RAW on some BSDs */
#define LINKTYPE_RAW_ 101
#define DLT_LINUX_SLL_ 113

struct out {
	char *buf;
	size_t len, off;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->off + 1 >= o->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->off, o->len - o->off, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	o->off += (size_t)n;
	if (o->off >= o->len)
		o->off = o->len - 1;
}

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static void put_mac(struct out *o, const uint8_t *m)
{
	put(o, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* Address (and port if @port >= 0) as text; IPv6 with a port in brackets. */
static void put_addr(struct out *o, int family, const uint8_t *a, long port)
{
	char s[INET6_ADDRSTRLEN];

	if (!inet_ntop(family, a, s, sizeof(s)))
		snprintf(s, sizeof(s), "?");
	if (port < 0)
		put(o, "%s", s);
	else if (family == AF_INET6)
		put(o, "[%s]:%ld", s, port);
	else
		put(o, "%s:%ld", s, port);
}

static void put_ends(struct out *o, int family, const uint8_t *src, const uint8_t *dst,
		     long sport, long dport)
{
	put_addr(o, family, src, sport);
	put(o, " > ");
	put_addr(o, family, dst, dport);
}

static const char *icmp4_unreach(unsigned code)
{
	static const char *const n[] = { "net", "host", "protocol", "port", "need-frag",
					 "source-route" };

	return code < sizeof(n) / sizeof(n[0]) ? n[code] : NULL;
}

static void icmp4(struct out *o, const uint8_t *p, size_t n)
{
	const char *u;

	if (n < 4) {
		put(o, " ICMP [truncated]");
		return;
	}
	switch (p[0]) {
	case 0:
	case 8:
		put(o, " ICMP echo %s", p[0] ? "request" : "reply");
		if (n >= 8)
			put(o, " id %u seq %u", get16(p + 4), get16(p + 6));
		return;
	case 3:
		u = icmp4_unreach(p[1]);
		if (u)
			put(o, " ICMP %s unreachable", u);
		else
			put(o, " ICMP unreachable code %u", p[1]);
		return;
	case 11:
		put(o, " ICMP time exceeded");
		return;
	default:
		put(o, " ICMP type %u code %u", p[0], p[1]);
	}
}

static void icmp6(struct out *o, const uint8_t *p, size_t n)
{
	char s[INET6_ADDRSTRLEN];

	if (n < 4) {
		put(o, " ICMP6 [truncated]");
		return;
	}
	switch (p[0]) {
	case 128:
	case 129:
		put(o, " ICMP6 echo %s", p[0] == 128 ? "request" : "reply");
		if (n >= 8)
			put(o, " id %u seq %u", get16(p + 4), get16(p + 6));
		return;
	case 1:
		put(o, " ICMP6 unreachable code %u", p[1]);
		return;
	case 3:
		put(o, " ICMP6 time exceeded");
		return;
	case 133:
		put(o, " ICMP6 router solicitation");
		return;
	case 134:
		put(o, " ICMP6 router advertisement");
		return;
	case 135:
	case 136:
		put(o, " ICMP6 neighbor %s", p[0] == 135 ? "solicitation" : "advertisement");
		if (n >= 24 && inet_ntop(AF_INET6, p + 8, s, sizeof(s)))
			put(o, " %s%s", p[0] == 135 ? "who-has " : "", s);
		return;
	case 143:
		put(o, " ICMP6 multicast listener report v2");
		return;
	default:
		put(o, " ICMP6 type %u code %u", p[0], p[1]);
	}
}

static void tcp_flags(struct out *o, unsigned f)
{
	char s[8];
	size_t i = 0;

	if (f & 0x02)
		s[i++] = 'S';
	if (f & 0x01)
		s[i++] = 'F';
	if (f & 0x08)
		s[i++] = 'P';
	if (f & 0x04)
		s[i++] = 'R';
	if (f & 0x20)
		s[i++] = 'U';
	if (f & 0x10)
		s[i++] = '.';
	s[i] = '\0';
	put(o, " [%s]", i ? s : "none");
}

/* Transport part after the IP header: @p, @n bytes of protocol @proto. */
static void l4(struct out *o, int family, const uint8_t *src, const uint8_t *dst, unsigned proto,
	       const uint8_t *p, size_t n, int fragment)
{
	static const char *const names[] = { [6] = "TCP", [17] = "UDP", [132] = "SCTP" };
	const char *name = proto < sizeof(names) / sizeof(names[0]) ? names[proto] : NULL;

	if (fragment) {
		put_ends(o, family, src, dst, -1, -1);
		put(o, " %s fragment", family == AF_INET ? "IP" : "IP6");
		return;
	}
	if (name) {
		if (n < 4) {
			put_ends(o, family, src, dst, -1, -1);
			put(o, " %s [truncated]", name);
			return;
		}
		put_ends(o, family, src, dst, get16(p), get16(p + 2));
		put(o, " %s", name);
		if (proto == 6) {
			if (n >= 14)
				tcp_flags(o, p[13]);
			else
				put(o, " [truncated]");
		}
		return;
	}
	put_ends(o, family, src, dst, -1, -1);
	if (family == AF_INET && proto == 1)
		icmp4(o, p, n);
	else if (family == AF_INET6 && proto == 58)
		icmp6(o, p, n);
	else if (proto == 2)
		put(o, " IGMP");
	else
		put(o, " %s proto %u", family == AF_INET ? "IP" : "IP6", proto);
}

static int ipv4(struct out *o, const uint8_t *p, size_t n)
{
	size_t hl, tl;

	if (n < 20 || (p[0] >> 4) != 4)
		return -1;
	hl = (size_t)(p[0] & 15) * 4;
	tl = get16(p + 2);
	if (hl < 20 || hl > n) {
		put_ends(o, AF_INET, p + 12, p + 16, -1, -1);
		put(o, " IP [bad header length %zu]", hl);
		return 0;
	}
	if (tl >= hl && tl < n)
		n = tl;		/* Ethernet padding */
	l4(o, AF_INET, p + 12, p + 16, p[9], p + hl, n - hl, (get16(p + 6) & 0x1fff) != 0);
	return 0;
}

static int ipv6(struct out *o, const uint8_t *p, size_t n)
{
	unsigned nh;
	size_t off = 40;
	int hops;

	if (n < 40 || (p[0] >> 4) != 6)
		return -1;
	nh = p[6];
	for (hops = 0; hops < 8; hops++) {
		if (nh == 0 || nh == 43 || nh == 60) {		/* hop-by-hop, routing, dest opts */
			if (off + 2 > n)
				break;
			nh = p[off];
			off += ((size_t)p[off + 1] + 1) * 8;
		} else if (nh == 44) {				/* fragment */
			if (off + 8 > n)
				break;
			if (get16(p + off + 2) & 0xfff8) {
				l4(o, AF_INET6, p + 8, p + 24, p[off], NULL, 0, 1);
				return 0;
			}
			nh = p[off];
			off += 8;
		} else {
			break;
		}
		if (off > n)
			break;
	}
	if (off > n || nh == 0 || nh == 43 || nh == 60 || nh == 44) {
		put_ends(o, AF_INET6, p + 8, p + 24, -1, -1);
		put(o, " IP6 [truncated]");
		return 0;
	}
	l4(o, AF_INET6, p + 8, p + 24, nh, p + off, n - off, 0);
	return 0;
}

static void arp(struct out *o, const uint8_t *l2src, const uint8_t *l2dst, const uint8_t *p,
		size_t n)
{
	char s[INET_ADDRSTRLEN], t[INET_ADDRSTRLEN];
	unsigned op;

	if (l2src) {
		put_mac(o, l2src);
		put(o, " > ");
		put_mac(o, l2dst);
	}
	if (n < 8 || get16(p) != 1 || get16(p + 2) != 0x0800 || p[4] != 6 || p[5] != 4 ||
	    n < 28) {
		put(o, " ARP%s", n < 28 ? " [truncated]" : "");
		return;
	}
	op = get16(p + 6);
	inet_ntop(AF_INET, p + 14, s, sizeof(s));
	inet_ntop(AF_INET, p + 24, t, sizeof(t));
	if (op == 1) {
		put(o, " ARP who-has %s tell %s", t, s);
	} else if (op == 2) {
		put(o, " ARP reply %s is-at ", s);
		put_mac(o, p + 8);
	} else {
		put(o, " ARP op %u", op);
	}
}

/* A layer-3 payload of @ethertype; 0 if it printed something. */
static int l3(struct out *o, unsigned type, const uint8_t *l2src, const uint8_t *l2dst,
	      const uint8_t *p, size_t n)
{
	if (type == 0x0800 && ipv4(o, p, n) == 0)
		return 0;
	if (type == 0x86dd && ipv6(o, p, n) == 0)
		return 0;
	if (type == 0x0806) {
		arp(o, l2src, l2dst, p, n);
		return 0;
	}
	if (l2src) {
		put_mac(o, l2src);
		put(o, " > ");
		put_mac(o, l2dst);
		put(o, " ethertype 0x%04x%s", type,
		    type == 0x0800 || type == 0x86dd ? " [truncated]" : "");
		return 0;
	}
	return -1;
}

const char *nsnet_capture_summary(const struct nsnet_capture_pkt *pkt, int linktype, char *buf,
				  size_t len)
{
	struct out o = { buf, len, 0 };
	const uint8_t *p = pkt->data;
	size_t n = pkt->caplen, off;
	unsigned type;
	int tags;

	if (!len)
		return buf;
	buf[0] = '\0';
	if (!p)
		n = 0;
	if (n > pkt->len && pkt->len)
		n = pkt->len;
	switch (linktype) {
	case DLT_EN10MB_:
		if (n < 14) {
			put(&o, "ethernet [truncated]");
			break;
		}
		type = get16(p + 12);
		off = 14;
		for (tags = 0; (type == 0x8100 || type == 0x88a8) && tags < 4; tags++) {
			if (off + 4 > n)
				break;
			type = get16(p + off + 2);
			off += 4;
		}
		if (type == 0x8100 || type == 0x88a8) {
			put_mac(&o, p + 6);
			put(&o, " > ");
			put_mac(&o, p);
			put(&o, " 802.1Q [truncated]");
			break;
		}
		if (tags)
			put(&o, "vlan %u ", get16(p + 14) & 0xfff);
		l3(&o, type, p + 6, p, p + off, n - off);
		break;
	case DLT_LINUX_SLL_:
		if (n < 16) {
			put(&o, "linux-sll [truncated]");
			break;
		}
		if (l3(&o, get16(p + 14), NULL, NULL, p + 16, n - 16) < 0)
			put(&o, "linux-sll protocol 0x%04x", get16(p + 14));
		break;
	case DLT_RAW_A:
	case DLT_RAW_B:
	case LINKTYPE_RAW_:
		if (n && (p[0] >> 4) == 4 && ipv4(&o, p, n) == 0)
			break;
		if (n && (p[0] >> 4) == 6 && ipv6(&o, p, n) == 0)
			break;
		put(&o, "raw IP [truncated or unknown version]");
		break;
	default:
		put(&o, "link type %d", linktype);
	}
	put(&o, ", length %lu", (unsigned long)pkt->len);
	return buf;
}
