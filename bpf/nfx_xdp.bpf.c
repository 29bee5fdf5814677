// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * nfx_xdp.bpf.c - the collector's fast path.  Looks at UDP datagrams to a
 * configured listener port, checks the NetFlow v1/5/6/7/9, IPFIX or sFlow
 * v5 header against the payload length, drops what the daemon could not
 * decode and redirects the rest to the AF_XDP socket of the receive queue.
 * Anything that is not UDP to a listener port goes to the stack untouched.
 *
 * Counting rules (struct nfx_ctr in shared.h): a datagram to a listener
 * port is counted once in packets/bytes of one slot and once in exactly one
 * of redirected, passed or a drop reason.  The slot is the NetFlow version
 * when the payload has a readable, known version, NFX_SLOT_SFLOW5 when its
 * first 32 bits are 5, otherwise NFX_SLOT_OTHER; the port decides only
 * whether that version is accepted.
 * Decisions beyond design §2:
 *  - a UDP length < 8, beyond the frame or beyond the IP length is
 *    bad_length in OTHER with 0 bytes (the payload size is unknown);
 *    Ethernet padding after the datagram is ignored;
 *  - a source outside the allow-list is not_allowed in OTHER, checked
 *    before anything else, fragments included: the payload of a source we
 *    do not trust is not looked at, and it cannot reach the stack's UDP
 *    socket by fragmenting;
 *  - v1/5/6/7 with count 0 (header only) is valid and redirected: the
 *    The nominal range 1..max is relaxed at the bottom because the corpus wants
 *    "0 records, no error", the daemon's decoder takes it as an empty
 *    message and its header still carries the sequence number.  v1's upper
 *    bound is 30, not 24: softflowd 1.1 sends up to 30 records per v1
 *    packet (28 in the corpus).  The others are not relaxed: v5 count 31
 *    is bad_count;
 *  - v9 with a full header but no room for a set header is truncated;
 *  - IPv4 and IPv6 fragments go to the stack (it reassembles and a UDP
 *    socket can take the datagram); the first fragment, whose UDP header is
 *    visible, is counted as passed with the whole datagram's payload size.
 *    Later fragments and IPv6 extension headers other than a leading
 *    fragment header are passed uncounted;
 *  - sFlow is looked for only where the 16-bit version is unknown (its
 *    first 16 bits are 0), so the NetFlow path does not pay for it.  Its
 *    header is checked up to the sample count: an agent address type
 *    other than 1 (IPv4) or 2 (IPv6) is bad_version (it decides the header
 *    layout, as a version does); a payload below 28 bytes, or below 40
 *    with an IPv6 agent, is short_pkt; count 0 is valid (the datagram
 *    still carries its sequence number).  The samples themselves are not
 *    looked at: an unknown sample format is the decoder's to skip.  sFlow
 *    on a NetFlow/IPFIX port is bad_version in the sFlow slot, like a
 *    NetFlow version the port does not take.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <xdp/xdp_helpers.h>
#include "nfx/shared.h"
#include "parsing.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nfx_slots);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NFX_MAP_STATS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NFX_MAX_PORTS);
	__type(key, __u16);
	__type(value, struct nfx_port);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NFX_MAP_PORTS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, NFX_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NFX_MAP_XSKS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, NFX_MAX_ALLOW);
	__type(key, struct nfx_lpm_key);
	__type(value, __u8);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NFX_MAP_ALLOW SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nfx_cfg);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NFX_MAP_CFG SEC(".maps");

/*
 * Run after packet filters (xdp-filter 10, libxdp's AF_XDP program 20) and
 * let later programs see what we pass.
 */
struct {
	__uint(priority, 30);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(nfx_xdp_rx);

/*
 * Which nfx_ctr field a packet ends up in besides the totals: one value per
 * fate and drop reason of NFX_CTR_FIELDS, NFX_OUT_<field>.
 */
enum nfx_outcome {
	NFX_OK = 0,		/* header fine: redirect */
#define NFX_OUT_(name, help) NFX_OUT_##name,
	NFX_CTR_FATES(NFX_OUT_)
	NFX_CTR_DROPS(NFX_OUT_)
#undef NFX_OUT_
};

#define NFX_UDP_HLEN	8
#define NFX_MIN_PAYLOAD	4	/* version + count/length */
#define NFX_IPFIX_HLEN	16
#define NFX_SET_HLEN	4
#define NFX_V9_HLEN	20
/*
 * sFlow v5: version, agent address type, agent address (4 or 16 bytes),
 * sub-agent id, sequence, uptime, sample count; every sample starts with
 * its format and length, so it takes 8 bytes at least.
 */
#define NFX_SFLOW_V5		5
#define NFX_SFLOW_AGENT_IP4	1
#define NFX_SFLOW_AGENT_IP6	2
#define NFX_SFLOW_HLEN_IP4	28
#define NFX_SFLOW_HLEN_IP6	40
#define NFX_SFLOW_SAMPLE_MIN	8

static __always_inline void count(__u32 slot, __u32 bytes,
				  enum nfx_outcome what)
{
	__u32 zero = 0;
	struct nfx_slots *slots = bpf_map_lookup_elem(&nfx_stats, &zero);
	struct nfx_ctr *c;

	if (!slots || slot >= NFX_SLOT_MAX)
		return;
	c = (struct nfx_ctr *)slots + slot;
	/* Per-CPU values: no other writer, plain increments are enough. */
	c->packets++;
	c->bytes += bytes;
	switch (what) {
#define NFX_COUNT_(name, help)		\
	case NFX_OUT_##name:		\
		c->name++;		\
		break;
	NFX_CTR_FATES(NFX_COUNT_)
	NFX_CTR_DROPS(NFX_COUNT_)
#undef NFX_COUNT_
	default:
		break;
	}
}

/* NFX_SLOT_OTHER for anything that is not a version we decode. */
static __always_inline __u32 version_slot(__u16 version)
{
	switch (version) {
	case 1:
		return NFX_SLOT_V1;
	case 5:
		return NFX_SLOT_V5;
	case 6:
		return NFX_SLOT_V6;
	case 7:
		return NFX_SLOT_V7;
	case 9:
		return NFX_SLOT_V9;
	case 10:
		return NFX_SLOT_IPFIX;
	default:
		return NFX_SLOT_OTHER;
	}
}

/* v1/5/6/7: fixed header, a record count and fixed-size records. */
static __always_inline enum nfx_outcome
check_fixed(__u32 plen, __u32 cnt, __u32 hlen, __u32 rlen, __u32 max)
{
	if (plen < hlen)
		return NFX_OUT_short_pkt;
	/* count 0 is allowed, see the top of the file */
	if (cnt > max)
		return NFX_OUT_bad_count;
	if (plen < hlen + cnt * rlen)
		return NFX_OUT_truncated;
	return NFX_OK;
}

/* word2 is the second 16-bit header field: count, or IPFIX length. */
static __always_inline enum nfx_outcome
check_header(__u16 version, __u32 plen, __u32 word2)
{
	switch (version) {
	case 1:
		return check_fixed(plen, word2, 16, 48, 30);	/* softflowd sends up to 30 */
	case 5:
		return check_fixed(plen, word2, 24, 48, 30);
	case 6:
	case 7:
		return check_fixed(plen, word2, 24, 52, 27);
	case 9:
		/* count is unreliable in the wild; the daemon walks flowsets */
		if (plen < NFX_V9_HLEN)
			return NFX_OUT_short_pkt;
		if (plen < NFX_V9_HLEN + NFX_SET_HLEN)
			return NFX_OUT_truncated;
		return NFX_OK;
	case 10:
		if (plen < NFX_IPFIX_HLEN)
			return NFX_OUT_short_pkt;
		/* trailing bytes after the message are refused too */
		if (word2 != plen || word2 < NFX_IPFIX_HLEN + NFX_SET_HLEN)
			return NFX_OUT_bad_length;
		return NFX_OK;
	default:
		return NFX_OUT_bad_version;
	}
}

/* The first 32 bits are 5; the caller has checked that 4 bytes are there. */
static __always_inline int is_sflow5(const void *hdr)
{
	return *(const __be32 *)hdr == bpf_htonl(NFX_SFLOW_V5);
}

/*
 * sFlow v5 header up to the sample count; the samples are the decoder's.
 * The frame tests are implied by plen (already checked against the frame);
 * they are for the verifier.
 */
static __always_inline enum nfx_outcome
check_sflow(const __be32 *h, const void *end, __u32 plen)
{
	__u32 hlen, n;

	if (plen < NFX_SFLOW_HLEN_IP4 || (const void *)h + NFX_SFLOW_HLEN_IP4 > end)
		return NFX_OUT_short_pkt;
	/* the sample count is the last word of the header */
	switch (bpf_ntohl(h[1])) {
	case NFX_SFLOW_AGENT_IP4:
		hlen = NFX_SFLOW_HLEN_IP4;
		n = bpf_ntohl(h[NFX_SFLOW_HLEN_IP4 / 4 - 1]);
		break;
	case NFX_SFLOW_AGENT_IP6:
		if (plen < NFX_SFLOW_HLEN_IP6 ||
		    (const void *)h + NFX_SFLOW_HLEN_IP6 > end)
			return NFX_OUT_short_pkt;
		hlen = NFX_SFLOW_HLEN_IP6;
		n = bpf_ntohl(h[NFX_SFLOW_HLEN_IP6 / 4 - 1]);
		break;
	default:
		return NFX_OUT_bad_version;
	}
	if (n > NFX_SFLOW_MAX_SAMPLES)
		return NFX_OUT_bad_count;
	/* n is bounded above, so the product cannot wrap */
	if (plen < hlen + n * NFX_SFLOW_SAMPLE_MIN)
		return NFX_OUT_truncated;
	return NFX_OK;
}

/* True if the allow-list is off or holds a prefix covering the source. */
static __always_inline int source_allowed(const struct l3_info *l3)
{
	struct nfx_lpm_key key = { .prefixlen = 128 };
	struct nfx_cfg *cfg;
	__u32 zero = 0;

	cfg = bpf_map_lookup_elem(&nfx_cfg, &zero);
	if (!cfg || !cfg->allow_enabled)
		return 1;
	__builtin_memcpy(key.addr, l3->src, sizeof(key.addr));
	return bpf_map_lookup_elem(&nfx_allow, &key) != NULL;
}

/*
 * First fragment to a listener port: the stack reassembles it, we only
 * count it, in its version's slot when the payload start is in this frame.
 */
static __always_inline int count_fragment(struct udphdr *uh, void *end)
{
	__u32 ulen = bpf_ntohs(uh->len);
	__be16 *ver = (void *)(uh + 1);
	__u32 slot = NFX_SLOT_OTHER;

	if ((void *)(ver + 1) <= end)
		slot = version_slot(bpf_ntohs(*ver));
	if (slot == NFX_SLOT_OTHER && (void *)(ver + 2) <= end && is_sflow5(ver))
		slot = NFX_SLOT_SFLOW5;
	count(slot, ulen >= NFX_UDP_HLEN ? ulen - NFX_UDP_HLEN : 0, NFX_OUT_passed);
	return XDP_PASS;
}

/*
 * No socket on this queue (no daemon, or between two): let a UDP socket
 * have it if one is open, counted apart so that the gap's size is known.
 */
static __always_inline int redirect(struct xdp_md *ctx, __u32 slot, __u32 plen)
{
	int ret = bpf_redirect_map(&nfx_xsks, ctx->rx_queue_index, XDP_PASS);

	count(slot, plen, ret == XDP_REDIRECT ? NFX_OUT_redirected : NFX_OUT_no_socket);
	return ret;
}

/*
 * A datagram whose first 32 bits are 5: sFlow v5, in its own slot.  The
 * frame end is read again so that the NetFlow path need not keep it.
 */
static __always_inline int sflow_rx(struct xdp_md *ctx, const struct nfx_port *port,
				    const void *hdr, __u32 plen)
{
	const void *end = (void *)(long)ctx->data_end;
	enum nfx_outcome res = NFX_OUT_bad_version;

	if (port->versions & NFX_VER_SFLOW5)
		res = check_sflow(hdr, end, plen);
	if (res != NFX_OK) {
		count(NFX_SLOT_SFLOW5, plen, res);
		return XDP_DROP;
	}
	return redirect(ctx, NFX_SLOT_SFLOW5, plen);
}

SEC("xdp")
int nfx_xdp_rx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct hdr_cursor c = { .pos = data, .end = end };
	struct l3_info l3 = {};
	struct nfx_port *port;
	enum nfx_outcome res;
	struct udphdr *uh;
	__u32 ulen, plen, slot;
	__u16 dport, version;
	__be16 *hdr;
	int proto, r;

	proto = parse_eth(&c);
	if (proto == ETH_P_IP)
		r = parse_ipv4(&c, &l3);
	else if (proto == ETH_P_IPV6)
		r = parse_ipv6(&c, &l3);
	else
		return XDP_PASS;
	/* malformed IP and later fragments are the stack's business */
	if (r != 0 || l3.proto != IPPROTO_UDP)
		return XDP_PASS;

	uh = parse_udp(&c);
	if (!uh)
		return XDP_PASS;
	dport = bpf_ntohs(uh->dest);
	port = bpf_map_lookup_elem(&nfx_ports, &dport);
	if (!port)
		return XDP_PASS;

	/*
	 * The allow-list comes before the fragment pass: a refused exporter
	 * must not get in through the stack by fragmenting.  Its later
	 * fragments still pass, but without the first the stack never
	 * completes the datagram.
	 */
	if (!source_allowed(&l3)) {
		ulen = bpf_ntohs(uh->len);
		count(NFX_SLOT_OTHER, ulen >= NFX_UDP_HLEN ? ulen - NFX_UDP_HLEN : 0,
		      NFX_OUT_not_allowed);
		return XDP_DROP;
	}
	if (l3.first_frag)
		return count_fragment(uh, end);

	ulen = bpf_ntohs(uh->len);
	if (ulen < NFX_UDP_HLEN || ulen > l3.len ||
	    (void *)uh + ulen > end) {
		count(NFX_SLOT_OTHER, 0, NFX_OUT_bad_length);
		return XDP_DROP;
	}
	plen = ulen - NFX_UDP_HLEN;

	hdr = c.pos;
	/* the second test is implied by the first; it is for the verifier */
	if (plen < NFX_MIN_PAYLOAD || (void *)(hdr + 2) > end) {
		count(NFX_SLOT_OTHER, plen, NFX_OUT_short_pkt);
		return XDP_DROP;
	}
	version = bpf_ntohs(hdr[0]);
	slot = version_slot(version);
	if (slot == NFX_SLOT_OTHER ||
	    !(port->versions & NFX_VER_BIT(version))) {
		/* sFlow's 16-bit version is 0: out of the NetFlow path */
		if (slot == NFX_SLOT_OTHER && is_sflow5(hdr))
			return sflow_rx(ctx, port, hdr, plen);
		count(slot, plen, NFX_OUT_bad_version);
		return XDP_DROP;
	}

	res = check_header(version, plen, bpf_ntohs(hdr[1]));
	if (res != NFX_OK) {
		count(slot, plen, res);
		return XDP_DROP;
	}
	return redirect(ctx, slot, plen);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
