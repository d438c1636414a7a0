// SPDX-License-Identifier: MIT
/*
 * Regressions found by the fuzzers (tests/fuzz/): each input that once broke
 * a parser or its promise, replayed through the same checks as the harness.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "nsnet/addr.h"
#include "nsnet/lab.h"
#include "nsnet/link.h"
#include "nsnet/netns.h"
#include "nsnet/route.h"
#include "nsnet/sysctl.h"
#include "check.h"

/* the status text of a parsed route parses back to the same route */
static int route_roundtrip(const char *s, char *out, size_t len)
{
	struct nsnet_route r, r2;

	if (nsnet_route_parse_str(s, &r, NULL) < 0)
		return -1;
	nsnet_route_fmt(&r, r.dev, out, len);
	if (nsnet_route_parse_str(out, &r2, NULL) < 0)
		return -2;
	if (r2.family != r.family || r2.dst.plen != r.dst.plen || r2.metric != r.metric ||
	    memcmp(r2.dst.addr, r.dst.addr, 16) || strcmp(r2.dev, r.dev) ||
	    (r.gw.family && !nsnet_ip_equal(&r.gw, &r2.gw)))
		return -3;
	return 0;
}

static void test_route_roundtrip(void)
{
	/* fuzz-parse crash-56ce3831: "::/0 dev e" was shown as "default dev e" (IPv4) */
	const char *v[] = { "::/0 dev e", "::/0 dev eth0 metric 5", "0.0.0.0/0 dev e",
			    "default via fe80::1 dev eth0", "default dev eth0",
			    "default via 10.0.0.1", "fd00::/8 via fd00::1", "10.0.0.0/8 dev x metric 7" };
	char buf[256];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		CHECK(route_roundtrip(v[i], buf, sizeof(buf)) == 0, "route \"%s\" -> \"%s\" reads back",
		      v[i], buf);
}

static void test_names(void)
{
	char long_name[300];

	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	CHECK(nsnet_netns_name_check(long_name, NULL) == -EINVAL, "300-byte namespace name rejected");
	CHECK(nsnet_netns_name_check("a\nb", NULL) == 0, "newline allowed in a namespace name (like ip)");
	CHECK(nsnet_ifname_check("a\nb", NULL) == -EINVAL, "newline rejected in an interface name");
	CHECK(nsnet_ifname_check("a\xa0" "b", NULL) == -EINVAL, "0xa0 rejected in an interface name");
	CHECK(nsnet_sysctl_check("net/../../etc", NULL) == -EINVAL, "sysctl key with .. rejected");
}

int main(void)
{
	test_route_roundtrip();
	test_names();
	return CHECK_DONE();
}
