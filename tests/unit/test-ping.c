// SPDX-License-Identifier: MIT
/* Pure helpers of the ping engine: Internet checksum, echo request layout. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "nsnet/ping.h"
#include "check.h"

int main(void)
{
	/* RFC 1071 §3 example: words 0001 f203 f4f5 f6f7 sum to ddf2 */
	static const uint8_t rfc[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	/* an IPv4 header (wikipedia's example), checksum b861 */
	static const uint8_t ip[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
				      0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	/* `ping` (iputils) request id 0x1234 seq 1, no payload: 08 00 e5 ca 12 34 00 01 */
	static const uint8_t want_echo[] = { 0x08, 0x00, 0xe5, 0xca, 0x12, 0x34, 0x00, 0x01 };
	uint8_t buf[64], odd[3] = { 0x01, 0x02, 0x03 }, ipc[sizeof(ip)];
	const char pl[] = "abcdefgh";
	size_t n;

	CHECK(nsnet_inet_csum(rfc, sizeof(rfc)) == (uint16_t)~0xddf2,
	      "RFC 1071 vector: 0x%04x", nsnet_inet_csum(rfc, sizeof(rfc)));
	CHECK(nsnet_inet_csum(ip, sizeof(ip)) == 0xb861, "IPv4 header vector: 0x%04x",
	      nsnet_inet_csum(ip, sizeof(ip)));
	memcpy(ipc, ip, sizeof(ip));
	ipc[10] = 0xb8;
	ipc[11] = 0x61;
	CHECK(nsnet_inet_csum(ipc, sizeof(ipc)) == 0, "a header with its checksum sums to 0");
	CHECK(nsnet_inet_csum(NULL, 0) == 0xffff, "empty input: 0xffff");
	/* odd length: the last byte is the high half of a zero-padded word */
	CHECK(nsnet_inet_csum(odd, 3) == (uint16_t)~(0x0102 + 0x0300), "odd length pads with zero");
	memset(buf, 0xff, 4);
	CHECK(nsnet_inet_csum(buf, 4) == 0, "all ones: 0 (end-around carry folded)");

	n = nsnet_icmp_echo_build(buf, sizeof(buf), AF_INET, 0x1234, 1, NULL, 0);
	CHECK(n == 8 && !memcmp(buf, want_echo, 8), "echo v4, no payload matches iputils bytes");
	n = nsnet_icmp_echo_build(buf, sizeof(buf), AF_INET, 0xbeef, 0x0102, pl, 8);
	CHECK(n == 16, "echo v4 with payload: length %zu", n);
	CHECK(buf[0] == 8 && buf[1] == 0 && buf[4] == 0xbe && buf[5] == 0xef && buf[6] == 1 &&
	      buf[7] == 2 && !memcmp(buf + 8, pl, 8), "echo v4: type, code, id, seq, payload");
	CHECK(nsnet_inet_csum(buf, n) == 0, "echo v4: checksum verifies");
	n = nsnet_icmp_echo_build(buf, sizeof(buf), AF_INET6, 7, 9, pl, 3);
	CHECK(n == 11 && buf[0] == 128 && buf[1] == 0 && buf[2] == 0 && buf[3] == 0 &&
	      buf[5] == 7 && buf[7] == 9, "echo v6: type 128, checksum left to the kernel");
	n = nsnet_icmp_echo_build(buf, sizeof(buf), AF_INET, 1, 1, pl, 5);
	CHECK(n == 13 && nsnet_inet_csum(buf, n) == 0, "echo v4, odd payload: checksum verifies");
	CHECK(nsnet_icmp_echo_build(buf, 7, AF_INET, 1, 1, NULL, 0) == 0, "buffer < 8: 0");
	CHECK(nsnet_icmp_echo_build(buf, 15, AF_INET, 1, 1, pl, 8) == 0, "payload does not fit: 0");
	CHECK(nsnet_icmp_echo_build(buf, 16, AF_INET, 1, 1, pl, 8) == 16, "exact fit");
	CHECK(nsnet_icmp_echo_build(buf, sizeof(buf), AF_UNIX, 1, 1, NULL, 0) == 0,
	      "unknown family: 0");
	CHECK(nsnet_ping_run(NULL, 0, NULL, 0, 100, 1000, NULL) == 0, "no pairs: 0, nothing opened");
	{
		struct nsnet_ping_pair p = { .src = 3 };
		int fd = -1;

		p.dst.family = AF_INET;
		CHECK(nsnet_ping_run(&fd, 1, &p, 1, 100, 1000, NULL) == -EINVAL,
		      "source index out of range: -EINVAL");
		p.src = 0;
		CHECK(nsnet_ping_run(&fd, 1, &p, 1, 0, 1000, NULL) == -EINVAL, "interval 0: -EINVAL");
	}
	return CHECK_DONE();
}
