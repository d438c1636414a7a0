// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness: packet bytes (outside input: whatever a lab's nodes
 * send) through the one-line summary of nsnet capture. The first byte picks
 * the link type and the output buffer size, the rest is the packet; the
 * wire length is at least the captured length, sometimes more (a snap).
 * Promise beyond "no crash": the summary is NUL-terminated inside the
 * buffer and, with room, ends with ", length LEN".
 *
 *   make fuzz            (builds every tests/fuzz/fuzz-*.c into build-fuzz/)
 *   build-fuzz/fuzz-pkt -max_total_time=60 tests/fuzz/corpus/pkt
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsnet/capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int types[] = { 1, 1, 1, 1, 12, 14, 101, 113, 0, 147 };
	struct nsnet_capture_pkt pkt = { 0 };
	char buf[512], tail[32];
	uint8_t *copy;
	size_t room;
	int lt;

	if (size < 1)
		return 0;
	lt = types[data[0] % (sizeof(types) / sizeof(types[0]))];
	room = data[0] & 0x80 ? sizeof(buf) : 1 + (data[0] >> 4) * 8;
	copy = malloc(size - 1 ? size - 1 : 1);	/* exactly the bytes: ASan sees over-reads */
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	pkt.data = copy;
	pkt.caplen = (uint32_t)(size - 1);
	pkt.len = (uint32_t)(size - 1) + (data[0] & 0x40 ? 1000 : 0);
	memset(buf, 'x', sizeof(buf));
	nsnet_capture_summary(&pkt, lt, buf, room);
	if (!memchr(buf, '\0', room))
		abort();
	snprintf(tail, sizeof(tail), ", length %lu", (unsigned long)pkt.len);
	if (room == sizeof(buf) && (strlen(buf) < strlen(tail) ||
				    strcmp(buf + strlen(buf) - strlen(tail), tail)))
		abort();
	free(copy);
	return 0;
}
