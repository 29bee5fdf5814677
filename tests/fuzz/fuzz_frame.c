// SPDX-License-Identifier: BSD-2-Clause
/* fuzz_frame.c - libFuzzer target for the frame parser (pcap and AF_XDP input). */
#include <stdlib.h>
#include <string.h>

#include "io/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nfx_udp_view v;
	uint8_t *copy;

	if (size < 1)
		return 0;
	copy = malloc(size - 1 ? size - 1 : 1);
	memcpy(copy, data + 1, size - 1);
	if (!nfx_frame_parse((enum nfx_link)(data[0] % 3), copy, size - 1, &v)) {
		/* the payload must lie inside the frame */
		if (v.payload < copy || v.payload + v.len > copy + size - 1)
			abort();
	}
	free(copy);
	return 0;
}
