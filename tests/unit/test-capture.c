// SPDX-License-Identifier: MIT
/*
 * Packet capture, the pure parts: "capture:" in lab files (parser, checker),
 * the capture file names, and the one-line packet summaries.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nsnet/capture.h"
#include "nsnet/lab.h"
#include "nsnet/state.h"
#include "check.h"

static int load(const char *text, struct nsnet_lab **lab, struct nsnet_err *e)
{
	int ret;

	nsnet_err_clear(e);
	ret = nsnet_lab_parse(text, strlen(text), "c.yaml", lab, e);
	if (ret == 0)
		ret = nsnet_lab_check(*lab, e);
	return ret;
}

static void lab_files(void)
{
	struct nsnet_lab *lab = NULL;
	struct nsnet_err e = { 0 };
	char buf[256];
	int ret;

	ret = load("name: c\nbridges: { br: }\nnodes:\n"
		   "  a:\n    interfaces:\n"
		   "      eth0: { bridge: br, capture: true }\n"
		   "      eth1: { capture: false }\n"
		   "  b:\n    interfaces: { eth1: { capture: true } }\n"
		   "links: [ { endpoints: [\"a:eth1\", \"b:eth1\"] } ]\n", &lab, &e);
	CHECK(ret == 0, "capture: true/false parses and checks (%s)", e.msg);
	if (ret == 0) {
		CHECK(lab->nodes[0].ifaces[0].capture == 1 && lab->nodes[0].ifaces[1].capture == 0 &&
		      lab->nodes[1].ifaces[0].capture == 1, "capture flags as written");
	}
	nsnet_lab_free(lab);
	lab = NULL;

	ret = load("name: c\nnodes:\n  a:\n    interfaces:\n      eth0: { capture: yes }\n",
		   &lab, &e);
	CHECK(ret == -EINVAL && strstr(e.msg, "c.yaml:5:") &&
	      strstr(e.msg, "nodes.a.interfaces.eth0.capture") &&
	      strstr(e.msg, "expected true or false"), "capture: yes refused: %s", e.msg);
	nsnet_lab_free(lab);
	lab = NULL;

	ret = load("name: c\nnodes:\n  a:\n    interfaces:\n      eth0: { capture: [1] }\n",
		   &lab, &e);
	CHECK(ret == -EINVAL && strstr(e.msg, "expected true or false"),
	      "capture: a list refused: %s", e.msg);
	nsnet_lab_free(lab);
	lab = NULL;

	/* "x-y" + "eth0" and "x" + "y-eth0" would both write x-y-eth0.pcap */
	ret = load("name: c\nnodes:\n"
		   "  x-y:\n    interfaces: { eth0: { capture: true } }\n"
		   "  x:\n    interfaces: { y-eth0: { capture: true } }\n"
		   "links: [ { endpoints: [\"x-y:eth0\", \"x:y-eth0\"] } ]\n", &lab, &e);
	CHECK(ret == -EINVAL && strstr(e.msg, "c.yaml:6:") &&
	      strstr(e.msg, "x-y-eth0.pcap") && strstr(e.msg, "nodes.x-y.interfaces.eth0"),
	      "two interfaces sharing a capture file refused: %s", e.msg);
	nsnet_lab_free(lab);
	lab = NULL;

	ret = load("name: c\nnodes:\n"
		   "  x-y:\n    interfaces: { eth0: { capture: true } }\n"
		   "  x:\n    interfaces: { y-eth0: { } }\n"
		   "links: [ { endpoints: [\"x-y:eth0\", \"x:y-eth0\"] } ]\n", &lab, &e);
	CHECK(ret == 0, "… but fine when only one of them captures (%s)", e.msg);
	nsnet_lab_free(lab);

	nsnet_state_set_dir("/run/nsnet");
	CHECK(nsnet_capture_dir("lab1", buf, sizeof(buf)) == 0 &&
	      !strcmp(buf, "/run/nsnet/lab1.captures"), "capture dir %s", buf);
	CHECK(nsnet_capture_file("lab1", "r1", "eth0", buf, sizeof(buf)) == 0 &&
	      !strcmp(buf, "/run/nsnet/lab1.captures/r1-eth0.pcap"), "capture file %s", buf);
	CHECK(nsnet_capture_dir("../x", buf, sizeof(buf)) == -EINVAL, "bad lab name refused");
	CHECK(nsnet_capture_file("lab1", "r1", "eth0", buf, 10) == -ENAMETOOLONG,
	      "short buffer: -ENAMETOOLONG");
}

static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0, 1 }, mac_b[6] = { 2, 0, 0, 0, 0, 2 };

/* Ethernet header + payload into @p; returns the length. */
static size_t eth(uint8_t *p, unsigned type, const uint8_t *pl, size_t n)
{
	memcpy(p, mac_b, 6);
	memcpy(p + 6, mac_a, 6);
	p[12] = (uint8_t)(type >> 8);
	p[13] = (uint8_t)type;
	memcpy(p + 14, pl, n);
	return 14 + n;
}

static void ip4(uint8_t *h, unsigned proto, unsigned tl, const char *src, const char *dst)
{
	unsigned a[4], b[4], i;

	memset(h, 0, 20);
	h[0] = 0x45;
	h[2] = (uint8_t)(tl >> 8);
	h[3] = (uint8_t)tl;
	h[8] = 64;
	h[9] = (uint8_t)proto;
	sscanf(src, "%u.%u.%u.%u", &a[0], &a[1], &a[2], &a[3]);
	sscanf(dst, "%u.%u.%u.%u", &b[0], &b[1], &b[2], &b[3]);
	for (i = 0; i < 4; i++) {
		h[12 + i] = (uint8_t)a[i];
		h[16 + i] = (uint8_t)b[i];
	}
}

static void sum(const uint8_t *p, size_t caplen, size_t len, int lt, const char *want)
{
	struct nsnet_capture_pkt pkt = { .caplen = (uint32_t)caplen, .len = (uint32_t)len,
					 .data = p };
	char buf[300];

	nsnet_capture_summary(&pkt, lt, buf, sizeof(buf));
	CHECK(!strcmp(buf, want), "summary \"%s\" (want \"%s\")", buf, want);
}

static void summaries(void)
{
	uint8_t pl[200], p[300], small[8];
	struct nsnet_capture_pkt pkt = { .caplen = 0, .len = 0, .data = NULL };
	size_t n;

	/* ICMP echo request, 84 bytes of IP */
	memset(pl, 0, sizeof(pl));
	ip4(pl, 1, 84, "10.0.0.1", "10.0.0.2");
	pl[20] = 8;
	pl[25] = 7;
	pl[27] = 1;
	n = eth(p, 0x0800, pl, 84);
	sum(p, n, n, 1, "10.0.0.1 > 10.0.0.2 ICMP echo request id 7 seq 1, length 98");
	pl[20] = 0;
	n = eth(p, 0x0800, pl, 84);
	sum(p, n, n, 1, "10.0.0.1 > 10.0.0.2 ICMP echo reply id 7 seq 1, length 98");
	pl[20] = 3;
	pl[21] = 3;
	n = eth(p, 0x0800, pl, 84);
	sum(p, n, n, 1, "10.0.0.1 > 10.0.0.2 ICMP port unreachable, length 98");
	/* the same as raw IP (DLT_RAW) */
	pl[20] = 8;
	pl[21] = 0;
	sum(pl, 84, 84, 12, "10.0.0.1 > 10.0.0.2 ICMP echo request id 7 seq 1, length 84");

	/* TCP SYN 40002 -> 80 */
	memset(pl, 0, sizeof(pl));
	ip4(pl, 6, 60, "10.0.0.1", "10.0.0.2");
	pl[20] = 40002 >> 8;
	pl[21] = 40002 & 255;
	pl[23] = 80;
	pl[33] = 0x02;
	n = eth(p, 0x0800, pl, 60);
	sum(p, n, n, 1, "10.0.0.1:40002 > 10.0.0.2:80 TCP [S], length 74");
	pl[33] = 0x12;
	n = eth(p, 0x0800, pl, 60);
	sum(p, n, n, 1, "10.0.0.1:40002 > 10.0.0.2:80 TCP [S.], length 74");
	/* captured short: 14 + 20 + 10 bytes */
	sum(p, 44, 74, 1, "10.0.0.1:40002 > 10.0.0.2:80 TCP [truncated], length 74");
	sum(p, 30, 74, 1, "02:00:00:00:00:01 > 02:00:00:00:00:02 ethertype 0x0800 "
	    "[truncated], length 74");

	/* a fragment (offset != 0) */
	ip4(pl, 17, 60, "10.0.0.1", "10.0.0.2");
	pl[7] = 0x10;
	n = eth(p, 0x0800, pl, 60);
	sum(p, n, n, 1, "10.0.0.1 > 10.0.0.2 IP fragment, length 74");

	/* ARP request and reply */
	memset(pl, 0, sizeof(pl));
	pl[1] = 1;
	pl[2] = 8;
	pl[4] = 6;
	pl[5] = 4;
	pl[7] = 1;
	memcpy(pl + 8, mac_a, 6);
	memcpy(pl + 14, "\x0a\x00\x00\x01", 4);
	memcpy(pl + 24, "\x0a\x00\x00\x02", 4);
	n = eth(p, 0x0806, pl, 28);
	sum(p, n, n, 1, "02:00:00:00:00:01 > 02:00:00:00:00:02 ARP who-has 10.0.0.2 tell "
	    "10.0.0.1, length 42");
	pl[7] = 2;
	n = eth(p, 0x0806, pl, 28);
	sum(p, n, n, 1, "02:00:00:00:00:01 > 02:00:00:00:00:02 ARP reply 10.0.0.1 is-at "
	    "02:00:00:00:00:01, length 42");

	/* IPv6 UDP 53 with a hop-by-hop header; ICMPv6 neighbour solicitation */
	memset(pl, 0, sizeof(pl));
	pl[0] = 0x60;
	pl[6] = 0;		/* hop-by-hop */
	pl[7] = 255;
	pl[8] = 0xfd;
	pl[23] = 1;
	pl[24] = 0xfd;
	pl[39] = 2;
	pl[40] = 17;		/* next: UDP, length 8 */
	pl[48] = 0x13;
	pl[49] = 0x88;
	pl[51] = 53;
	n = eth(p, 0x86dd, pl, 56);
	sum(p, n, n, 1, "[fd00::1]:5000 > [fd00::2]:53 UDP, length 70");
	pl[6] = 58;
	memset(pl + 40, 0, 24);
	pl[40] = 135;
	pl[48] = 0xfd;
	pl[63] = 2;
	n = eth(p, 0x86dd, pl, 64);
	sum(p, n, n, 1, "fd00::1 > fd00::2 ICMP6 neighbor solicitation who-has fd00::2, "
	    "length 78");

	/* VLAN tag, then IPv4 ICMP */
	memset(pl, 0, sizeof(pl));
	pl[0] = 0;
	pl[1] = 42;
	pl[2] = 0x08;
	pl[3] = 0x00;
	ip4(pl + 4, 1, 28, "10.0.0.1", "10.0.0.2");
	pl[24] = 8;
	n = eth(p, 0x8100, pl, 32);
	sum(p, n, n, 1, "vlan 42 10.0.0.1 > 10.0.0.2 ICMP echo request id 0 seq 0, length 46");

	/* odd and empty input */
	memset(small, 0xff, sizeof(small));
	sum(small, sizeof(small), 60, 1, "ethernet [truncated], length 60");
	sum(p, n, n, 147, "link type 147, length 46");
	{
		char buf[8];

		nsnet_capture_summary(&pkt, 1, buf, sizeof(buf));
		CHECK(strlen(buf) == 7, "a short buffer is filled and terminated: \"%s\"", buf);
		buf[0] = 'x';
		nsnet_capture_summary(&pkt, 1, buf, 0);
		CHECK(buf[0] == 'x', "a zero-length buffer is not touched");
	}
}

int main(void)
{
	lab_files();
	summaries();
	return CHECK_DONE();
}
