// SPDX-License-Identifier: BSD-2-Clause
/* xdp_drop.bpf.c - the generator-only baseline: every frame dropped at once. */
struct xdp_md;

#define XDP_DROP 1

__attribute__((section("xdp"), used))
int xdp_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char _license[] __attribute__((section("license"), used)) = "Dual BSD/GPL";
