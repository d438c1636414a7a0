// SPDX-License-Identifier: MIT
/* The journal index `down` looks names up in (lib/teardown.c): pure. */
#include <stdlib.h>
#include <string.h>

#include "nsnet/netns.h"
#include "../../lib/apply-int.h"
#include "check.h"

int main(void)
{
	char *lines[] = {
		"lab big", "ns h1", "ns h10", "link h1-eth0", "link br0", "nsino h10 5 100",
		"nsino h1 5 7", "link h10-eth0", "nsino h1 5 9", "nsino h1x 5 11",
		"nsino h2 5 garbage", "pid 1 2",
	};
	struct nsnet__jindex x;
	struct nsnet_nsid id = { 0, 0 };
	char big[64][32];
	char *many[64];
	int i, ok = 1;

	CHECK(nsnet__jindex_init(&x, lines, 12) == 0, "index 12 lines");
	CHECK(x.nlinks == 3 && x.ninos == 5, "3 links, 5 inodes (%zu, %zu)", x.nlinks, x.ninos);
	CHECK(nsnet__jindex_link(&x, "h1-eth0") && nsnet__jindex_link(&x, "br0") &&
	      nsnet__jindex_link(&x, "h10-eth0"), "journaled links found");
	CHECK(!nsnet__jindex_link(&x, "h1") && !nsnet__jindex_link(&x, "br") &&
	      !nsnet__jindex_link(&x, "h1-eth0x") && !nsnet__jindex_link(&x, ""),
	      "no prefix or extension matches");
	CHECK(nsnet__jindex_ino(&x, "h1", &id) && id.dev == 5 && id.ino == 9,
	      "h1: the last inode journaled (a converge made it again): %lu", id.ino);
	CHECK(nsnet__jindex_ino(&x, "h10", &id) && id.ino == 100, "h10: its own, not h1's");
	CHECK(nsnet__jindex_ino(&x, "h1x", &id) && id.ino == 11, "h1x");
	CHECK(!nsnet__jindex_ino(&x, "h2", &id), "a malformed line is no inode");
	CHECK(!nsnet__jindex_ino(&x, "h3", &id) && !nsnet__jindex_ino(&x, "h", &id), "unknown: none");
	nsnet__jindex_free(&x);
	for (i = 0; i < 64; i++) {
		snprintf(big[i], sizeof(big[i]), "link v%d", 63 - i);
		many[i] = big[i];
	}
	CHECK(nsnet__jindex_init(&x, many, 64) == 0, "index 64 links");
	for (i = 0; i < 64; i++) {
		char name[16];

		snprintf(name, sizeof(name), "v%d", i);
		ok &= nsnet__jindex_link(&x, name);
	}
	CHECK(ok && !nsnet__jindex_link(&x, "v64"), "every one found, no other");
	nsnet__jindex_free(&x);
	CHECK(nsnet__jindex_init(&x, NULL, 0) == 0 && !nsnet__jindex_link(&x, "x") &&
	      !nsnet__jindex_ino(&x, "x", &id), "empty journal");
	nsnet__jindex_free(&x);
	return CHECK_DONE();
}
