// SPDX-License-Identifier: BSD-2-Clause
/*
 * nfgen.c - NetFlow v5 / v9 / IPFIX / sFlow v5 load generator for the nfxdp
 * benchmarks.
 *
 * Several exporters (one UDP socket each, each bound to its own source
 * address when given a range, else to its own source port) send export
 * packets built from a fixed population of flows: many hosts, a service
 * port on one side and, for a configurable share of flows, an ephemeral
 * port on the other.  A pool of packets is built once; sending only patches
 * the header (sequence, export time, engine/source id/domain) and hands
 * batches to sendmmsg(), so the generator itself stays cheap.  v9 and IPFIX
 * exporters send their template first and again every --tmpl-every packets.
 *
 * A changing population (bench/memory.sh): --flow-churn N slides the
 * --flows live flows over an endless sequence of flow identities, N new ones
 * a second (each record's source address is patched at send time from its
 * flow's current identity, so every new identity is a new flow key), and
 * --tmpl-churn S gives every v9/IPFIX exporter a new template id every S
 * seconds (sent at once; data sets carry it), with --domain-churn a new
 * source id / observation domain too.
 *
 * Rate: --rate records/s or --pps packets/s (0 = flat out), paced per
 * batch.  Bounded: --duration seconds (default 10, at most 3600) and/or
 * --count records, whichever comes first.
 *
 * sFlow v5 (--proto sflow): each exporter is an agent (its own agent
 * address, --subagents sub-agents taking turns, each with its own datagram
 * sequence); datagrams of up to --sflow-dgram bytes carry compact flow
 * samples (format 1) of the same flow population, 1:--sampling, each with a
 * raw packet header record (Ethernet, the first 128 bytes of an IPv4 or,
 * for --v6 % of flows, IPv6 TCP/UDP/ICMP frame of a realistic length) and
 * an extended switch record (--no-sflow-switch leaves it out).  Sample
 * sequence numbers and sample pools advance per agent, sub-agent and source
 * id (the input ifIndex).  One flow sample is one record.
 *
 * --pcap FILE writes the datagrams into a capture (Ethernet / IPv4 / UDP
 * from each exporter's address to --dst) instead of sending them: no
 * sockets, no root; for checking the streams with tshark.
 *
 * IP_RECVERR is set, so a datagram the local stack refuses (veth peer ring
 * or backlog full: ENOBUFS) is seen and counted as refused, never as sent.
 * At the end one JSON object on stdout says exactly what went out.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_EXPORTERS	256
#define MAX_BATCH	256
#define PKT_MAX		1500
#define MAX_RPP		32	/* v9's shortest record (45 bytes) in 1472 */

enum proto { P_V5, P_V9, P_IPFIX, P_SFLOW };

struct opts {
	enum proto proto;
	const char *dst;
	uint16_t port;
	double rate;		/* records/s, 0 = flat out */
	double pps;		/* packets/s, overrides rate */
	double duration;
	uint64_t count;		/* records, 0 = no bound */
	unsigned int rpp;	/* records per packet */
	unsigned int exporters;
	const char *src_base;	/* first exporter address, NULL = dst's route */
	unsigned int hosts;
	unsigned int flows;
	double zipf;		/* flows drawn by a Zipf law of this exponent, 0 = uniformly */
	unsigned int ephemeral;	/* % of flows with an ephemeral client port */
	unsigned int pool;	/* packets prebuilt */
	unsigned int batch;
	unsigned int tmpl_every;
	unsigned int mtu_payload;
	uint64_t seed;
	double flow_churn;	/* new flow identities per second, 0 = fixed population */
	double tmpl_churn;	/* seconds per template id, 0 = one id */
	int domain_churn;	/* each template id also gets a new domain */
	/* sFlow */
	uint32_t sampling;	/* 1 in N packets */
	unsigned int subagents;	/* per agent */
	unsigned int v6;	/* % of flows carried over IPv6 */
	int sflow_switch;	/* add an extended switch record to each sample */
	unsigned int dgram_max;	/* datagram size an agent fills up to */
	const char *agent_base;	/* first agent address, default the first source */
	const char *pcap;	/* write a capture instead of sending */
};

struct flow {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint8_t proto, tos, flags, smask, dmask;
	uint16_t in_if, out_if, src_as, dst_as;
};

struct pkt {
	uint8_t *buf;
	uint16_t len;
	uint16_t nrec;
	uint64_t fpackets, fbytes;	/* sums of the records' counters */
	uint32_t slot[MAX_RPP];		/* each record's flow (index into the population) */
	uint16_t soff[MAX_RPP];		/* sFlow: each sample's offset */
	uint8_t sif[MAX_RPP];		/* sFlow: each sample's source id (input ifIndex) */
};

#define SF_IFS		16	/* source ids tracked per sub-agent (in_if is 1..8) */
#define SF_MAX_SUB	16

/* An sFlow sub-agent's sequences: datagrams, and samples per source id. */
struct sf_sub {
	uint32_t seq;
	uint32_t sseq[SF_IFS];
	uint32_t pool[SF_IFS];
};

struct exporter {
	int fd;
	uint32_t seq;		/* v5: flows, v9: packets, IPFIX: data records */
	uint32_t domain;
	uint64_t pkts_since_tmpl;
	uint64_t gen;		/* template generation (--tmpl-churn) */
	uint16_t tid;
	uint8_t tmpl[PKT_MAX];
	uint16_t tmpl_len;
	uint32_t src;		/* source address (host order; 0 = the route's) */
	uint16_t sport;		/* --pcap: the source port written */
	uint32_t agent;		/* sFlow agent address (host order) */
	unsigned int sub_next;	/* sFlow: the sub-agent sending next */
	struct sf_sub sf[SF_MAX_SUB];
};

struct counts {
	uint64_t packets, records, bytes, tmpl_packets, fpackets, fbytes;
	uint64_t refused_packets, refused_records, errors;
};

static volatile sig_atomic_t stop;

static __attribute__((unused)) void on_sig(int sig)
{
	(void)sig;
	stop = 1;
}

/* xorshift64* */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint32_t rnd_below(uint32_t n)
{
	return (uint32_t)(((rnd() >> 32) * (uint64_t)n) >> 32);
}

/*
 * --zipf S: flow j is drawn with a weight of 1 / (j + 1)^S (a few flows
 * carry most records, as in real traffic), through a table of the
 * cumulative weights; uniform without it.  The pool is built once, so the
 * binary search per draw costs nothing while sending.
 */
static double *zipf_cdf;

static int zipf_init(unsigned int flows, double s)
{
	double sum = 0;

	if (s <= 0)
		return 0;
	zipf_cdf = malloc(flows * sizeof(*zipf_cdf));
	if (!zipf_cdf)
		return -1;
	for (unsigned int j = 0; j < flows; j++) {
		sum += pow(j + 1.0, -s);
		zipf_cdf[j] = sum;
	}
	for (unsigned int j = 0; j < flows; j++)
		zipf_cdf[j] /= sum;
	return 0;
}

static uint32_t pick_flow(uint32_t flows)
{
	double u = (double)(rnd() >> 11) * 0x1p-53;
	uint32_t lo = 0, hi = flows - 1;

	if (!zipf_cdf)
		return rnd_below(flows);
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (zipf_cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static inline uint8_t *put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

static inline uint8_t *put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	return put32(p + 4, (uint32_t)v);
}

static const uint16_t services[] = {
	443, 80, 53, 22, 123, 25, 3306, 5432, 8080, 8443, 6379, 9092, 389, 161, 993, 3389,
};

static void make_flows(struct flow *fl, const struct opts *o)
{
	for (unsigned int i = 0; i < o->flows; i++) {
		struct flow *f = &fl[i];
		unsigned int h1 = rnd_below(o->hosts), h2 = rnd_below(o->hosts);
		uint16_t svc = services[rnd_below(sizeof(services) / sizeof(services[0]))];
		uint32_t pr = rnd_below(100);
		int client_is_src = rnd_below(2);
		uint16_t cport;

		f->src = 0x0a000000u | h1;		/* 10.0.0.0/8 */
		f->dst = 0xac100000u | h2;		/* 172.16.0.0/12 */
		f->proto = pr < 80 ? 6 : pr < 98 ? 17 : 1;
		if (rnd_below(100) < o->ephemeral)
			cport = (uint16_t)(32768 + rnd_below(28232));	/* Linux ephemeral range */
		else
			cport = (uint16_t)(1024 + rnd_below(256));	/* a few fixed client ports */
		if (f->proto == 1) {
			f->sport = 0;
			f->dport = (uint16_t)(rnd_below(2) ? 0x0800 : 0x0000);
		} else if (client_is_src) {
			f->sport = cport;
			f->dport = svc;
		} else {
			f->sport = svc;
			f->dport = cport;
		}
		f->tos = (uint8_t)(rnd_below(4) == 0 ? 0x28 : 0);
		f->flags = f->proto == 6 ? (uint8_t)(0x10 | (rnd_below(4) == 0 ? 0x02 : 0) |
						     (rnd_below(4) == 0 ? 0x01 : 0)) : 0;
		f->smask = 24;
		f->dmask = 16;
		f->in_if = (uint16_t)(1 + rnd_below(8));
		f->out_if = (uint16_t)(1 + rnd_below(8));
		f->src_as = (uint16_t)(64512 + rnd_below(16));
		f->dst_as = (uint16_t)(64512 + rnd_below(16));
	}
}

/* One record's counters and times (relative to sys_uptime / export time). */
struct rec_vals {
	uint32_t packets, bytes;
	uint32_t age_first, age_last;	/* ms before export */
};

static void rec_vals(struct rec_vals *v)
{
	v->packets = 1 + rnd_below(rnd_below(4) ? 16 : 2000);
	v->bytes = v->packets * (40 + rnd_below(1460));
	v->age_last = rnd_below(5000);
	v->age_first = v->age_last + rnd_below(60000);
}

#define SYS_UPTIME	86400000u	/* a day: every age below fits */

/* ---- v5 ---- */

static size_t v5_build(uint8_t *b, const struct flow *fl, const struct opts *o, struct pkt *pk)
{
	uint8_t *p = b + 24;

	memset(b, 0, 24);
	put16(b, 5);
	put16(b + 2, (uint16_t)o->rpp);
	put32(b + 4, SYS_UPTIME);
	for (unsigned int i = 0; i < o->rpp; i++) {
		uint32_t j = pick_flow(o->flows);
		const struct flow *f = &fl[j];
		struct rec_vals v;

		pk->slot[i] = j;
		rec_vals(&v);
		pk->fpackets += v.packets;
		pk->fbytes += v.bytes;
		p = put32(p, f->src);
		p = put32(p, f->dst);
		p = put32(p, 0xc0a80001u);		/* next hop */
		p = put16(p, f->in_if);
		p = put16(p, f->out_if);
		p = put32(p, v.packets);
		p = put32(p, v.bytes);
		p = put32(p, SYS_UPTIME - v.age_first);
		p = put32(p, SYS_UPTIME - v.age_last);
		p = put16(p, f->sport);
		p = put16(p, f->dport);
		*p++ = 0;
		*p++ = f->flags;
		*p++ = f->proto;
		*p++ = f->tos;
		p = put16(p, f->src_as);
		p = put16(p, f->dst_as);
		*p++ = f->smask;
		*p++ = f->dmask;
		p = put16(p, 0);
	}
	return (size_t)(p - b);
}

/* ---- v9 / IPFIX: one data template, 18 fields ---- */

struct field {
	uint16_t id, v9len, ipfixlen;
};

static const struct field tfields[] = {
	{ 8, 4, 4 },	/* sourceIPv4Address */
	{ 12, 4, 4 },	/* destinationIPv4Address */
	{ 7, 2, 2 },	/* sourceTransportPort */
	{ 11, 2, 2 },	/* destinationTransportPort */
	{ 4, 1, 1 },	/* protocolIdentifier */
	{ 5, 1, 1 },	/* ipClassOfService */
	{ 6, 1, 1 },	/* tcpControlBits */
	{ 10, 2, 4 },	/* ingressInterface */
	{ 14, 2, 4 },	/* egressInterface */
	{ 1, 4, 8 },	/* octetDeltaCount */
	{ 2, 4, 8 },	/* packetDeltaCount */
	{ 22, 4, 0 },	/* v9 FIRST_SWITCHED (sysUpTime ms) */
	{ 21, 4, 0 },	/* v9 LAST_SWITCHED */
	{ 152, 0, 8 },	/* IPFIX flowStartMilliseconds */
	{ 153, 0, 8 },	/* IPFIX flowEndMilliseconds */
	{ 15, 4, 4 },	/* ipNextHopIPv4Address */
	{ 9, 1, 1 },	/* sourceIPv4PrefixLength */
	{ 13, 1, 1 },	/* destinationIPv4PrefixLength */
	{ 16, 2, 4 },	/* bgpSourceAsNumber */
	{ 17, 2, 4 },	/* bgpDestinationAsNumber */
};
#define NFIELDS (sizeof(tfields) / sizeof(tfields[0]))
#define TID 256

static unsigned int rec_len(int ipfix)
{
	unsigned int n = 0;

	for (size_t i = 0; i < NFIELDS; i++)
		n += ipfix ? tfields[i].ipfixlen : tfields[i].v9len;
	return n;
}

static uint8_t *put_uint(uint8_t *p, uint64_t v, unsigned int len)
{
	switch (len) {
	case 1: *p = (uint8_t)v; return p + 1;
	case 2: return put16(p, (uint16_t)v);
	case 4: return put32(p, (uint32_t)v);
	default: return put64(p, v);
	}
}

/* Template set; returns its length. */
static size_t tmpl_set(uint8_t *p, int ipfix)
{
	uint8_t *q = p + 4;
	uint16_t n = 0;

	q = put16(q, TID);
	q += 2;
	for (size_t i = 0; i < NFIELDS; i++) {
		unsigned int len = ipfix ? tfields[i].ipfixlen : tfields[i].v9len;

		if (!len)
			continue;
		q = put16(q, tfields[i].id);
		q = put16(q, (uint16_t)len);
		n++;
	}
	put16(p + 6, n);
	put16(p, ipfix ? 2 : 0);
	put16(p + 2, (uint16_t)(q - p));
	return (size_t)(q - p);
}

static size_t data_set(uint8_t *p, const struct flow *fl, const struct opts *o, int ipfix,
		       uint64_t export_ms, struct pkt *pk)
{
	uint8_t *q = p + 4;

	for (unsigned int r = 0; r < o->rpp; r++) {
		uint32_t j = pick_flow(o->flows);
		const struct flow *f = &fl[j];
		struct rec_vals v;

		pk->slot[r] = j;
		rec_vals(&v);
		pk->fpackets += v.packets;
		pk->fbytes += v.bytes;
		for (size_t i = 0; i < NFIELDS; i++) {
			unsigned int len = ipfix ? tfields[i].ipfixlen : tfields[i].v9len;
			uint64_t x = 0;

			if (!len)
				continue;
			switch (tfields[i].id) {
			case 8: x = f->src; break;
			case 12: x = f->dst; break;
			case 7: x = f->sport; break;
			case 11: x = f->dport; break;
			case 4: x = f->proto; break;
			case 5: x = f->tos; break;
			case 6: x = f->flags; break;
			case 10: x = f->in_if; break;
			case 14: x = f->out_if; break;
			case 1: x = v.bytes; break;
			case 2: x = v.packets; break;
			case 22: x = SYS_UPTIME - v.age_first; break;
			case 21: x = SYS_UPTIME - v.age_last; break;
			case 152: x = export_ms - v.age_first; break;
			case 153: x = export_ms - v.age_last; break;
			case 15: x = 0xc0a80001u; break;
			case 9: x = f->smask; break;
			case 13: x = f->dmask; break;
			case 16: x = f->src_as; break;
			case 17: x = f->dst_as; break;
			}
			q = put_uint(q, x, len);
		}
	}
	while ((q - p) % 4)
		*q++ = 0;
	put16(p, TID);
	put16(p + 2, (uint16_t)(q - p));
	return (size_t)(q - p);
}

static size_t v9_build(uint8_t *b, const struct flow *fl, const struct opts *o, struct pkt *pk)
{
	size_t n = 20;

	memset(b, 0, 20);
	put16(b, 9);
	put16(b + 2, (uint16_t)o->rpp);
	put32(b + 4, SYS_UPTIME);
	n += data_set(b + n, fl, o, 0, 0, pk);
	return n;
}

static size_t ipfix_build(uint8_t *b, const struct flow *fl, const struct opts *o,
			  uint64_t export_ms, struct pkt *pk)
{
	size_t n = 16;

	memset(b, 0, 16);
	put16(b, 10);
	n += data_set(b + n, fl, o, 1, export_ms, pk);
	put16(b + 2, (uint16_t)n);
	return n;
}

static void exporter_tmpl(struct exporter *e, const struct opts *o)
{
	int ipfix = o->proto == P_IPFIX;
	size_t hdr = ipfix ? 16 : 20, n;

	memset(e->tmpl, 0, hdr);
	n = hdr + tmpl_set(e->tmpl + hdr, ipfix);
	if (ipfix) {
		put16(e->tmpl, 10);
		put16(e->tmpl + 2, (uint16_t)n);
	} else {
		put16(e->tmpl, 9);
		put16(e->tmpl + 2, 1);
		put32(e->tmpl + 4, SYS_UPTIME);
	}
	e->tmpl_len = (uint16_t)n;
}

/* Header fields that change per send: time, sequence, engine / domain. */
static void patch(uint8_t *b, const struct opts *o, const struct exporter *e, time_t secs)
{
	switch (o->proto) {
	case P_V5:
		put32(b + 8, (uint32_t)secs);
		put32(b + 16, e->seq);
		b[20] = 0;
		b[21] = (uint8_t)e->domain;
		break;
	case P_V9:
		put32(b + 8, (uint32_t)secs);
		put32(b + 12, e->seq);
		put32(b + 16, e->domain);
		break;
	case P_IPFIX:
		put32(b + 4, (uint32_t)secs);
		put32(b + 8, e->seq);
		put32(b + 12, e->domain);
		break;
	case P_SFLOW:	/* sflow_patch(): per sub-agent and sample */
		break;
	}
}

/* Offset of the first data record; v9/IPFIX: past the set header. */
static size_t rec0_off(enum proto p)
{
	return p == P_V5 ? 24 : p == P_V9 ? 20 + 4 : 16 + 4;
}

/*
 * --flow-churn: the live population is identities [w, w + flows); slot j
 * holds the one congruent to j.  Its source address (the first field of
 * every record layout here) is a bijection of the identity in 10/8, so a
 * new identity is a new flow and an old one never comes back.
 */
static void patch_flows(uint8_t *b, const struct opts *o, const struct pkt *pk, uint64_t w)
{
	size_t off = rec0_off(o->proto), rl = o->proto == P_V5 ? 48 : rec_len(o->proto == P_IPFIX);
	uint64_t wm = w % o->flows;

	for (unsigned int i = 0; i < pk->nrec && i < MAX_RPP; i++) {
		uint64_t id = w + (pk->slot[i] + o->flows - wm) % o->flows;

		put32(b + off + i * rl, 0x0a000000u | ((uint32_t)(id * 0x9e3779b1u) & 0xffffffu));
	}
}

/* --tmpl-churn: data sets carry the exporter's current template id. */
static void patch_tid(uint8_t *b, const struct opts *o, const struct exporter *e)
{
	put16(b + rec0_off(o->proto) - 4, e->tid);
}

/* ---- sFlow v5: compact flow samples of raw Ethernet headers ---- */

#define SF_HDR		28	/* datagram header with an IPv4 agent address */
#define SF_SNAP		128	/* bytes of each sampled frame kept (agents' usual default) */
#define SF_STRIPPED	4	/* the FCS, counted in the frame length, not in the header */
#define SF_SAMPLE_MAX	(8 + 32 + 24 + 8 + 16 + SF_SNAP)

/* Fibonacci hashing: well spread high bits for consecutive inputs. */
static uint32_t fib32(uint32_t x)
{
	return x * 0x9e3779b1u;
}

/* Is flow j carried over IPv6?  A hash of its index, not a draw, so that
 * the population and the NetFlow streams built from it stay as they are. */
static int sf_flow_v6(uint32_t j, const struct opts *o)
{
	return (uint32_t)(((uint64_t)fib32(j + 1) * 100) >> 32) < o->v6;
}

/* The flow's addresses as IPv6: 2001:db8:a::/48 and 2001:db8:ac::/48 with
 * the IPv4 address as the last 32 bits. */
static uint8_t *put_v6(uint8_t *p, uint16_t net, uint32_t v4)
{
	p = put32(p, 0x20010db8u);
	p = put16(p, net);
	memset(p, 0, 6);
	return put32(p + 6, v4);
}

/* Length of the sampled IP packet: pure ACKs, full segments and the rest
 * in between for TCP, small queries and larger datagrams for UDP, pings. */
static unsigned int sf_l3_len(uint8_t proto, int v6)
{
	unsigned int ip = v6 ? 40 : 20, r = rnd_below(100);

	switch (proto) {
	case 6:
		return r < 40 ? ip + 32 : r < 85 ? 1500 : ip + 32 + 60 + rnd_below(1400 - ip);
	case 17:
		return r < 50 ? ip + 8 + 40 + rnd_below(160) : ip + 8 + 200 + rnd_below(1240 - ip);
	default:
		return ip + 8 + 56;
	}
}

static uint16_t ip_csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* The first SF_SNAP bytes of a frame of flow f with an IP packet of l3
 * bytes: Ethernet, IPv4 or IPv6, TCP (timestamps; a SYN its usual options)
 * / UDP / ICMP, then payload and padding up to the 60-byte minimum frame
 * (zeros: collectors read headers only, and zeros keep tshark's
 * application dissectors quiet in checks). */
static void sf_frame(uint8_t *h, const struct flow *f, int v6, unsigned int l3)
{
	unsigned int ip = v6 ? 40 : 20;
	uint8_t proto = f->proto == 1 && v6 ? 58 : f->proto, *p;

	memset(h, 0, SF_SNAP);
	p = put16(h, 0x0201);			/* locally administered MACs per host */
	p = put32(p, fib32(f->dst));
	p = put16(p, 0x0200);
	p = put32(p, fib32(f->src));
	p = put16(p, v6 ? 0x86dd : 0x0800);
	if (v6) {
		p = put32(p, 0x60000000u | (uint32_t)f->tos << 20 | (fib32(f->src ^ f->dst) & 0xfffff));
		p = put16(p, (uint16_t)(l3 - ip));
		*p++ = proto;
		*p++ = 64;
		p = put_v6(p, 0x000a, f->src);
		p = put_v6(p, 0x00ac, f->dst);
	} else {
		uint8_t *iph = p;

		*p++ = 0x45;
		*p++ = f->tos;
		p = put16(p, (uint16_t)l3);
		p = put16(p, (uint16_t)rnd());
		p = put16(p, proto == 6 ? 0x4000 : 0);	/* DF on TCP */
		*p++ = (uint8_t)(64 - fib32(f->src) % 8);
		*p++ = proto;
		p += 2;
		p = put32(p, f->src);
		p = put32(p, f->dst);
		put16(iph + 10, ip_csum(iph, 20));
	}
	switch (proto) {
	case 6: {
		int bare = l3 == ip + 32;
		uint8_t flags = bare ? 0x10 : 0x18;		/* ACK / PSH ACK */

		if (bare && (f->flags & 0x02) && rnd_below(4) == 0)
			flags = rnd_below(2) ? 0x02 : 0x12;	/* SYN / SYN ACK */
		else if (bare && (f->flags & 0x01) && rnd_below(8) == 0)
			flags = 0x11;				/* FIN ACK */
		p = put16(p, f->sport);
		p = put16(p, f->dport);
		p = put32(p, (uint32_t)rnd());
		p = put32(p, flags == 0x02 ? 0 : (uint32_t)rnd());
		*p++ = 0x80;					/* 32-byte header */
		*p++ = flags;
		p = put16(p, (uint16_t)(502 + rnd_below(64000)));
		p = put16(p, (uint16_t)rnd());			/* checksum (not checked) */
		p = put16(p, 0);
		if (flags & 0x02) {	/* MSS, NOP, window scale, NOP NOP, SACK permitted */
			p = put32(p, 0x020405b4u);
			p = put32(p, 0x01030307u);
			p = put32(p, 0x01010402u);
		} else {		/* NOP NOP timestamps */
			p = put32(p, 0x0101080au);
			p = put32(p, (uint32_t)rnd());
			p = put32(p, (uint32_t)rnd());
		}
		break;
	}
	case 17:
		p = put16(p, f->sport);
		p = put16(p, f->dport);
		p = put16(p, (uint16_t)(l3 - ip));
		p = put16(p, (uint16_t)(rnd() | 1));		/* never "no checksum" */
		break;
	default: {						/* an echo request / reply */
		uint8_t type = (uint8_t)(f->dport >> 8);

		*p++ = v6 ? (type == 8 ? 128 : 129) : type;
		*p++ = (uint8_t)f->dport;
		p = put16(p, (uint16_t)rnd());
		p = put16(p, (uint16_t)rnd());
		p = put16(p, (uint16_t)rnd_below(1000));
		break;
	}
	}
}

/* One compact flow sample (format 1) of flow j at p; returns its length.
 * Its sequence number and sample pool are patched at send time. */
static size_t sf_sample(uint8_t *p, const struct flow *fl, uint32_t j, const struct opts *o,
			uint32_t *frame_len)
{
	const struct flow *f = &fl[j];
	int v6 = sf_flow_v6(j, o);
	unsigned int l3 = sf_l3_len(f->proto, v6);
	unsigned int frame = 14 + l3 + 4 < 64 ? 64 : 14 + l3 + 4;
	unsigned int hl = frame - SF_STRIPPED < SF_SNAP ? frame - SF_STRIPPED : SF_SNAP;
	unsigned int padded = (hl + 3) & ~3u;
	uint8_t h[SF_SNAP], *q = p, *len_at;

	sf_frame(h, f, v6, l3);
	q = put32(q, 1);			/* enterprise 0, format 1: flow sample */
	len_at = q;
	q += 4;
	q = put32(q, 0);			/* sample sequence number */
	q = put32(q, f->in_if);			/* source id: class 0, the input ifIndex */
	q = put32(q, o->sampling);
	q = put32(q, 0);			/* sample pool */
	q = put32(q, 0);			/* drops */
	q = put32(q, f->in_if);
	q = put32(q, f->out_if);
	q = put32(q, o->sflow_switch ? 2 : 1);
	q = put32(q, 1);			/* raw packet header */
	q = put32(q, 16 + padded);
	q = put32(q, 1);			/* header protocol: Ethernet */
	q = put32(q, frame);
	q = put32(q, SF_STRIPPED);
	q = put32(q, hl);
	memcpy(q, h, hl);
	memset(q + hl, 0, padded - hl);
	q += padded;
	if (o->sflow_switch) {
		q = put32(q, 1001);		/* extended switch */
		q = put32(q, 16);
		q = put32(q, 100 + f->in_if % 4);
		q = put32(q, 0);
		q = put32(q, 100 + f->out_if % 4);
		q = put32(q, 0);
	}
	put32(len_at, (uint32_t)(q - len_at - 4));
	*frame_len = frame;
	return (size_t)(q - p);
}

/* A datagram filled as an agent fills it: samples are added until the next
 * would not fit in --sflow-dgram bytes (or --records-per-packet are in). */
static size_t sflow_build(uint8_t *b, const struct flow *fl, const struct opts *o, struct pkt *pk)
{
	unsigned int want = o->rpp ? o->rpp : MAX_RPP, k = 0;
	size_t n = SF_HDR;

	memset(b, 0, SF_HDR);
	put32(b, 5);
	put32(b + 4, 1);			/* agent address type: IPv4 */
	while (k < want) {
		uint8_t s[SF_SAMPLE_MAX];
		uint32_t j = pick_flow(o->flows), frame;
		size_t sl = sf_sample(s, fl, j, o, &frame);

		if (n + sl > o->dgram_max)
			break;
		memcpy(b + n, s, sl);
		pk->soff[k] = (uint16_t)n;
		pk->sif[k] = (uint8_t)fl[j].in_if;
		pk->slot[k] = j;
		pk->fpackets++;		/* a sample counts one packet, unscaled */
		pk->fbytes += frame;
		n += sl;
		k++;
	}
	put32(b + 24, k);
	pk->nrec = (uint16_t)k;
	return n;
}

/* What changes per send: the agent, its next sub-agent, that sub-agent's
 * datagram sequence and uptime, and each sample's sequence number and
 * sample pool under its source id. */
static void sflow_patch(uint8_t *b, const struct pkt *pk, struct exporter *e,
			const struct opts *o, uint32_t uptime_ms)
{
	struct sf_sub *s = &e->sf[e->sub_next];

	put32(b + 8, e->agent);
	put32(b + 12, e->sub_next);
	put32(b + 16, ++s->seq);
	put32(b + 20, uptime_ms);
	for (unsigned int k = 0; k < pk->nrec && k < MAX_RPP; k++) {
		uint8_t *smp = b + pk->soff[k];
		unsigned int i = pk->sif[k] % SF_IFS;

		s->pool[i] += o->sampling;
		put32(smp + 8, ++s->sseq[i]);
		put32(smp + 20, s->pool[i]);
	}
	if (++e->sub_next == o->subagents)
		e->sub_next = 0;
}

/* ---- --pcap: the datagrams as a capture ---- */

static int pcap_open(FILE *f)
{
	uint32_t gh[6] = { 0xa1b2c3d4u, 2 | 4u << 16, 0, 0, 65535, 1 };

	return fwrite(gh, sizeof(gh), 1, f) == 1 ? 0 : -1;
}

/* One datagram from exporter e to dst:port, as Ethernet / IPv4 / UDP. */
static int pcap_put(FILE *f, const struct exporter *e, uint32_t dst, uint16_t port,
		    const uint8_t *b, size_t len)
{
	struct timespec ts;
	uint8_t h[42], *p = h;
	uint32_t rh[4];

	clock_gettime(CLOCK_REALTIME, &ts);
	p = put32(p, 0x02000000u);		/* dst MAC 02:00:00:00:00:01 */
	p = put32(p, 0x00010200u);		/* src MAC 02:00:00:00:00:02 */
	p = put32(p, 0x00000002u);
	p = put16(p, 0x0800);
	*p++ = 0x45;
	*p++ = 0;
	p = put16(p, (uint16_t)(28 + len));
	p = put32(p, 0);
	*p++ = 64;
	*p++ = 17;
	p = put16(p, 0);
	p = put32(p, e->src);
	p = put32(p, dst);
	put16(h + 24, ip_csum(h + 14, 20));
	p = put16(p, e->sport);
	p = put16(p, port);
	p = put16(p, (uint16_t)(8 + len));
	put16(p, 0);				/* no UDP checksum */
	rh[0] = (uint32_t)ts.tv_sec;
	rh[1] = (uint32_t)(ts.tv_nsec / 1000);
	rh[2] = rh[3] = (uint32_t)(sizeof(h) + len);
	return fwrite(rh, sizeof(rh), 1, f) == 1 && fwrite(h, sizeof(h), 1, f) == 1 &&
	       fwrite(b, len, 1, f) == 1 ? 0 : -1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nfgen --dst IP [--port P] [--proto v5|v9|ipfix|sflow] [--rate RECORDS/S | --pps N]\n"
		"             [--duration S] [--count RECORDS] [--records-per-packet N]\n"
		"             [--exporters N] [--src-base IP] [--hosts N] [--flows N] [--zipf S]\n"
		"             [--ephemeral PCT] [--pool N] [--batch N] [--tmpl-every PKTS] [--seed N]\n"
		"             [--flow-churn FLOWS/S] [--tmpl-churn S [--domain-churn]]\n"
		"             sFlow: [--sampling N] [--subagents N] [--v6 PCT] [--sflow-dgram BYTES]\n"
		"             [--agent-base IP] [--no-sflow-switch]\n"
		"             [--pcap FILE]\n"
		"Sends NetFlow/IPFIX/sFlow at the given rate (0 = flat out) for --duration seconds\n"
		"(default 10, at most 3600) or --count records (sFlow: flow samples); prints what\n"
		"it sent as JSON.  --pcap FILE writes a capture instead of sending.\n"
		"--zipf S draws the pool's records from the --flows population by a Zipf law\n"
		"(flow j weighs 1/(j+1)^S: a few flows carry most records); uniformly without.\n"
		"sFlow defaults: port 6343, 1:1000, 2 sub-agents per agent, 20 %% IPv6 flows,\n"
		"datagrams up to 1400 bytes, agent address = the exporter's source address\n"
		"(192.0.2.1 + i without --src-base), a pool of 8192 datagrams.\n");
}

/* sFlow's defaults and bounds; --rpp 0 = fill each datagram as agents do.
 * Its population is fixed and it has no templates. */
static int sflow_opts(struct opts *o, int port_set, int pool_set)
{
	if (!port_set)
		o->port = 6343;
	if (!pool_set)
		o->pool = 8192;	/* ~57 000 samples: most of the population */
	if (o->flow_churn > 0 || o->tmpl_churn > 0 || !o->sampling || !o->subagents ||
	    o->subagents > SF_MAX_SUB || o->v6 > 100 || o->dgram_max < SF_HDR + SF_SAMPLE_MAX ||
	    o->dgram_max > o->mtu_payload || o->rpp > MAX_RPP ||
	    (size_t)o->rpp * SF_SAMPLE_MAX + SF_HDR > o->dgram_max)
		return -1;
	return 0;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "dst", required_argument, NULL, 'd' },
		{ "port", required_argument, NULL, 'p' },
		{ "proto", required_argument, NULL, 'P' },
		{ "rate", required_argument, NULL, 'r' },
		{ "pps", required_argument, NULL, 'k' },
		{ "duration", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'c' },
		{ "records-per-packet", required_argument, NULL, 'n' },
		{ "exporters", required_argument, NULL, 'e' },
		{ "src-base", required_argument, NULL, 's' },
		{ "hosts", required_argument, NULL, 'H' },
		{ "flows", required_argument, NULL, 'F' },
		{ "zipf", required_argument, NULL, 'z' },
		{ "ephemeral", required_argument, NULL, 'E' },
		{ "pool", required_argument, NULL, 'o' },
		{ "batch", required_argument, NULL, 'b' },
		{ "tmpl-every", required_argument, NULL, 'T' },
		{ "seed", required_argument, NULL, 'S' },
		{ "flow-churn", required_argument, NULL, 'C' },
		{ "tmpl-churn", required_argument, NULL, 'G' },
		{ "domain-churn", no_argument, NULL, 'D' },
		{ "sampling", required_argument, NULL, 'R' },
		{ "subagents", required_argument, NULL, 'U' },
		{ "v6", required_argument, NULL, '6' },
		{ "sflow-dgram", required_argument, NULL, 'M' },
		{ "agent-base", required_argument, NULL, 'A' },
		{ "no-sflow-switch", no_argument, NULL, 'W' },
		{ "pcap", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, port_set = 0, pool_set = 0;

	*o = (struct opts){ .proto = P_V5, .port = 2055, .duration = 10, .exporters = 4,
			    .hosts = 4096, .flows = 65536, .ephemeral = 50, .pool = 2048,
			    .batch = 32, .tmpl_every = 1000, .mtu_payload = 1472, .seed = 1,
			    .sampling = 1000, .subagents = 2, .v6 = 20, .sflow_switch = 1,
			    .dgram_max = 1400 };
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': o->dst = optarg; break;
		case 'p': o->port = (uint16_t)atoi(optarg); port_set = 1; break;
		case 'P':
			if (!strcmp(optarg, "v5"))
				o->proto = P_V5;
			else if (!strcmp(optarg, "v9"))
				o->proto = P_V9;
			else if (!strcmp(optarg, "ipfix"))
				o->proto = P_IPFIX;
			else if (!strcmp(optarg, "sflow"))
				o->proto = P_SFLOW;
			else
				return -1;
			break;
		case 'r': o->rate = atof(optarg); break;
		case 'k': o->pps = atof(optarg); break;
		case 't': o->duration = atof(optarg); break;
		case 'c': o->count = strtoull(optarg, NULL, 10); break;
		case 'n': o->rpp = (unsigned int)atoi(optarg); break;
		case 'e': o->exporters = (unsigned int)atoi(optarg); break;
		case 's': o->src_base = optarg; break;
		case 'H': o->hosts = (unsigned int)atoi(optarg); break;
		case 'F': o->flows = (unsigned int)atoi(optarg); break;
		case 'z': o->zipf = atof(optarg); break;
		case 'E': o->ephemeral = (unsigned int)atoi(optarg); break;
		case 'o': o->pool = (unsigned int)atoi(optarg); pool_set = 1; break;
		case 'b': o->batch = (unsigned int)atoi(optarg); break;
		case 'T': o->tmpl_every = (unsigned int)atoi(optarg); break;
		case 'S': o->seed = strtoull(optarg, NULL, 10); break;
		case 'C': o->flow_churn = atof(optarg); break;
		case 'G': o->tmpl_churn = atof(optarg); break;
		case 'D': o->domain_churn = 1; break;
		case 'R': o->sampling = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'U': o->subagents = (unsigned int)atoi(optarg); break;
		case '6': o->v6 = (unsigned int)atoi(optarg); break;
		case 'M': o->dgram_max = (unsigned int)atoi(optarg); break;
		case 'A': o->agent_base = optarg; break;
		case 'W': o->sflow_switch = 0; break;
		case 'w': o->pcap = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: return -1;
		}
	}
	if (o->pcap && !o->dst)
		o->dst = "192.0.2.100";
	if (!o->dst || o->duration <= 0 || o->duration > 3600 || !o->exporters ||
	    o->exporters > MAX_EXPORTERS || !o->hosts || o->hosts > (1u << 20) || !o->flows ||
	    o->ephemeral > 100 || !o->pool || !o->batch || o->batch > MAX_BATCH ||
	    o->flow_churn < 0 || o->flow_churn > 1e8 || o->tmpl_churn < 0 ||
	    (o->tmpl_churn > 0 && o->tmpl_churn < 0.001) ||
	    ((o->tmpl_churn > 0 || o->domain_churn) && o->proto == P_V5) ||
	    (o->domain_churn && !(o->tmpl_churn > 0)))
		return -1;
	if (o->proto == P_SFLOW)
		return sflow_opts(o, port_set, pool_set);
	{
		unsigned int max_rpp = o->proto == P_V5 ? 30 :
			(o->mtu_payload - (o->proto == P_V9 ? 24 : 20)) / rec_len(o->proto == P_IPFIX);

		if (max_rpp > MAX_RPP)
			max_rpp = MAX_RPP;
		if (!o->rpp)
			o->rpp = max_rpp;
		if (o->rpp > max_rpp)
			return -1;
	}
	return 0;
}

static int addr_plus(const char *base, unsigned int i, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, base, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr) + i;
	return 0;
}

/* Exporter i's addresses, and its socket unless it writes a capture. */
static int open_exporter(struct exporter *e, const struct opts *o, unsigned int i,
			 const struct sockaddr_in *dst)
{
	int one = 1, sndbuf = 4 << 20;
	struct sockaddr_in sa = { .sin_family = AF_INET };

	e->fd = -1;
	e->domain = 1 + i;
	e->sport = (uint16_t)(40000 + i);
	if (o->src_base ? addr_plus(o->src_base, i, &e->src) : addr_plus("192.0.2.1", i, &e->src))
		return -1;
	e->agent = e->src;
	if (o->agent_base && addr_plus(o->agent_base, i, &e->agent))
		return -1;
	if (o->pcap)
		return 0;
	e->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (e->fd < 0)
		return -1;
	/* see ENOBUFS instead of a silent drop when the path is full */
	setsockopt(e->fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
	setsockopt(e->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (o->src_base)
		sa.sin_addr.s_addr = htonl(e->src);
	if (bind(e->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    connect(e->fd, (const struct sockaddr *)dst, sizeof(*dst)))
		return -1;
	return 0;
}

/* Drain queued errors (IP_RECVERR) so the socket keeps sending. */
static void drain_errq(int fd)
{
	char buf[64];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	char ctl[256];

	mh.msg_control = ctl;
	for (int i = 0; i < 64; i++) {
		mh.msg_controllen = sizeof(ctl);
		if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			break;
	}
}

/* Send one datagram; 1 sent, 0 refused. */
/* --pcap: where the datagrams go instead of the sockets. */
static FILE *pcap_out;
static uint32_t pcap_dst;

static int send_one(struct exporter *e, const uint8_t *b, size_t len, struct counts *ct,
		    uint16_t port)
{
	if (pcap_out) {
		if (!pcap_put(pcap_out, e, pcap_dst, port, b, len))
			return 1;
		ct->errors++;
		return 0;
	}
	for (;;) {
		ssize_t n = send(e->fd, b, len, 0);

		if (n >= 0)
			return 1;
		if (errno == EINTR)
			continue;
		if (errno == ENOBUFS || errno == EAGAIN || errno == ECONNREFUSED) {
			drain_errq(e->fd);
			return 0;
		}
		ct->errors++;
		drain_errq(e->fd);
		return 0;
	}
}

static void count_sent(struct counts *ct, const struct pkt *pk)
{
	ct->packets++;
	ct->records += pk->nrec;
	ct->bytes += pk->len;
	ct->fpackets += pk->fpackets;
	ct->fbytes += pk->fbytes;
}

#ifndef NFGEN_NO_MAIN
int main(int argc, char **argv)
{
	static struct mmsghdr msgs[MAX_BATCH];
	static struct iovec iov[MAX_BATCH];
	static unsigned int idxs[MAX_BATCH];
	struct exporter *ex;
	struct sockaddr_in dst = { .sin_family = AF_INET };
	struct counts ct = { 0 };
	struct flow *flows;
	struct pkt *pool;
	struct opts o;
	double t0, t_end, elapsed, pps, rpp_avg;
	uint64_t batches = 0, rec_budget, w = 0, pool_flows = 0, pool_recs = 0;
	unsigned int cur = 0, pi = 0, rpp_max = 1;
	struct timespec wall;
	int tmpl;
	static const char *const names[] = { "v5", "v9", "ipfix", "sflow" };

	if (parse(argc, argv, &o)) {
		usage(stderr);
		return 2;
	}
	dst.sin_port = htons(o.port);
	if (inet_pton(AF_INET, o.dst, &dst.sin_addr) != 1) {
		fprintf(stderr, "nfgen: bad --dst %s\n", o.dst);
		return 2;
	}
	tmpl = o.proto == P_V9 || o.proto == P_IPFIX;
	rng_state = o.seed * 0x9e3779b97f4a7c15ull + 1;
	flows = calloc(o.flows, sizeof(*flows));
	pool = calloc(o.pool, sizeof(*pool));
	ex = calloc(o.exporters, sizeof(*ex));
	if (!flows || !pool || !ex || zipf_init(o.flows, o.zipf))
		return 1;
	make_flows(flows, &o);
	clock_gettime(CLOCK_REALTIME, &wall);
	for (unsigned int i = 0; i < o.pool; i++) {
		struct pkt *pk = &pool[i];
		uint64_t export_ms = (uint64_t)wall.tv_sec * 1000;

		pk->buf = malloc(PKT_MAX);
		if (!pk->buf)
			return 1;
		pk->nrec = (uint16_t)o.rpp;
		pk->len = (uint16_t)(o.proto == P_V5 ? v5_build(pk->buf, flows, &o, pk) :
				     o.proto == P_V9 ? v9_build(pk->buf, flows, &o, pk) :
				     o.proto == P_IPFIX ? ipfix_build(pk->buf, flows, &o, export_ms, pk) :
				     sflow_build(pk->buf, flows, &o, pk));
		pool_recs += pk->nrec;
		if (pk->nrec > rpp_max)
			rpp_max = pk->nrec;
	}
	/* sFlow datagrams hold as many samples as fit: pace by the mean */
	rpp_avg = (double)pool_recs / o.pool;
	if (o.pcap) {
		pcap_out = fopen(o.pcap, "wb");
		if (!pcap_out || pcap_open(pcap_out)) {
			fprintf(stderr, "nfgen: %s: %s\n", o.pcap, strerror(errno));
			return 1;
		}
		pcap_dst = ntohl(dst.sin_addr.s_addr);
	}
	/* the flows the pool's records actually draw on: the live population */
	{
		uint8_t *seen = calloc(o.flows, 1);

		if (!seen)
			return 1;
		for (unsigned int i = 0; i < o.pool; i++)
			for (unsigned int r = 0; r < pool[i].nrec && r < MAX_RPP; r++) {
				uint32_t j = pool[i].slot[r];

				if (!seen[j]) {
					seen[j] = 1;
					pool_flows++;
				}
			}
		free(seen);
	}
	for (unsigned int i = 0; i < o.exporters; i++) {
		if (open_exporter(&ex[i], &o, i, &dst)) {
			fprintf(stderr, "nfgen: exporter %u: %s\n", i, strerror(errno));
			return 1;
		}
		ex[i].tid = TID;
		if (tmpl)
			exporter_tmpl(&ex[i], &o);
	}
	signal(SIGINT, on_sig);
	signal(SIGTERM, on_sig);

	pps = o.pps > 0 ? o.pps : o.rate > 0 ? o.rate / rpp_avg : 0;
	rec_budget = o.count ? o.count : UINT64_MAX;
	t0 = now_s();
	t_end = t0 + o.duration;
	for (unsigned int i = 0; i < o.exporters && tmpl; i++) {
		patch(ex[i].tmpl, &o, &ex[i], wall.tv_sec);
		if (send_one(&ex[i], ex[i].tmpl, ex[i].tmpl_len, &ct, o.port)) {
			ct.tmpl_packets++;
			ct.bytes += ex[i].tmpl_len;
			if (o.proto == P_V9)
				ex[i].seq++;
		}
	}
	while (!stop && ct.records + ct.refused_records < rec_budget) {
		struct exporter *e = &ex[cur];
		uint64_t left = rec_budget - ct.records - ct.refused_records;
		unsigned int nb = o.batch, sent;
		double t = now_s();
		time_t secs;

		if (t >= t_end)
			break;
		if (pps > 0) {
			/* pace: batch k goes out at t0 + packets_so_far / pps */
			double due = t0 + (double)(ct.packets + ct.refused_packets) / pps;

			if (due > t) {
				struct timespec ts;
				double d = due - t;

				if (due > t_end)
					break;
				ts.tv_sec = (time_t)d;
				ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
				nanosleep(&ts, NULL);
			}
		}
		if ((uint64_t)nb * rpp_max > left)
			nb = (unsigned int)((left + rpp_max - 1) / rpp_max);
		if (o.tmpl_churn > 0) {
			uint64_t gen = (uint64_t)((t - t0) / o.tmpl_churn);

			if (gen != e->gen) {
				/* a new template id (and domain) from now on: announce it */
				e->gen = gen;
				e->tid = (uint16_t)(TID + gen % (65536 - TID));
				if (o.domain_churn)
					e->domain = (uint32_t)(1 + cur + gen * o.exporters);
				put16(e->tmpl + rec0_off(o.proto), e->tid);
				e->pkts_since_tmpl = o.tmpl_every;
			}
		}
		if (tmpl && e->pkts_since_tmpl >= o.tmpl_every) {
			clock_gettime(CLOCK_REALTIME, &wall);
			patch(e->tmpl, &o, e, wall.tv_sec);
			if (send_one(e, e->tmpl, e->tmpl_len, &ct, o.port)) {
				ct.tmpl_packets++;
				ct.bytes += e->tmpl_len;
				if (o.proto == P_V9)
					e->seq++;
			}
			e->pkts_since_tmpl = 0;
		}
		if ((batches & 63) == 0)
			clock_gettime(CLOCK_REALTIME, &wall);
		secs = wall.tv_sec;
		if (o.flow_churn > 0)
			w = (uint64_t)(o.flow_churn * (t - t0));
		/* sequence numbers are patched assuming every packet goes out; a
		 * refused one leaves a gap, as a real lost packet would */
		for (unsigned int i = 0; i < nb; i++) {
			struct pkt *pk = &pool[pi];

			idxs[i] = pi;
			patch(pk->buf, &o, e, secs);
			if (o.proto == P_SFLOW)
				sflow_patch(pk->buf, pk, e, &o, SYS_UPTIME + (uint32_t)((t - t0) * 1000));
			if (o.flow_churn > 0)
				patch_flows(pk->buf, &o, pk, w);
			if (o.tmpl_churn > 0)
				patch_tid(pk->buf, &o, e);
			e->seq += o.proto == P_V9 ? 1 : pk->nrec;
			iov[i] = (struct iovec){ pk->buf, pk->len };
			msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1 };
			if (++pi == o.pool)
				pi = 0;
		}
		sent = 0;
		for (; pcap_out && sent < nb; sent++) {
			const struct pkt *pk = &pool[idxs[sent]];

			if (pcap_put(pcap_out, e, pcap_dst, o.port, pk->buf, pk->len)) {
				ct.errors++;
				stop = 1;
				break;
			}
			count_sent(&ct, pk);
		}
		while (sent < nb && !pcap_out) {
			int n = sendmmsg(e->fd, msgs + sent, nb - sent, 0);

			if (n > 0) {
				for (int i = 0; i < n; i++)
					count_sent(&ct, &pool[idxs[sent + (unsigned int)i]]);
				sent += (unsigned int)n;
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			/* the first datagram left was refused: count it, go on */
			if (n < 0 && errno != ENOBUFS && errno != EAGAIN && errno != ECONNREFUSED)
				ct.errors++;
			drain_errq(e->fd);
			ct.refused_packets++;
			ct.refused_records += pool[idxs[sent]].nrec;
			sent++;
		}
		e->pkts_since_tmpl += nb;
		batches++;
		if (++cur == o.exporters)
			cur = 0;
	}
	elapsed = now_s() - t0;
	printf("{\"proto\":\"%s\",\"exporters\":%u,\"records_per_packet\":%u,"
	       "\"records_per_packet_avg\":%.3f,\"sampling_rate\":%u,\"subagents\":%u,"
	       "\"offered_rate\":%.0f,\"elapsed_s\":%.4f,\"packets\":%llu,\"records\":%llu,"
	       "\"bytes\":%llu,\"template_packets\":%llu,\"flow_packets\":%llu,"
	       "\"flow_bytes\":%llu,\"refused_packets\":%llu,\"refused_records\":%llu,"
	       "\"errors\":%llu,\"records_per_s\":%.0f,\"flow_churn\":%.0f,"
	       "\"pool_flows\":%llu,\"flow_keys_est\":%.0f,\"tmpl_churn_s\":%g,\"template_ids_per_exporter\":%llu,"
	       "\"zipf\":%g}\n",
	       names[o.proto], o.exporters, rpp_max, rpp_avg,
	       o.proto == P_SFLOW ? o.sampling : 0, o.proto == P_SFLOW ? o.subagents : 0,
	       pps * rpp_avg, elapsed, (unsigned long long)ct.packets,
	       (unsigned long long)ct.records, (unsigned long long)ct.bytes,
	       (unsigned long long)ct.tmpl_packets, (unsigned long long)ct.fpackets,
	       (unsigned long long)ct.fbytes, (unsigned long long)ct.refused_packets,
	       (unsigned long long)ct.refused_records, (unsigned long long)ct.errors,
	       elapsed > 0 ? ct.records / elapsed : 0, o.flow_churn, (unsigned long long)pool_flows,
	       /* each pool flow takes a new identity every flows / churn seconds */
	       (double)pool_flows * (1 + o.flow_churn * elapsed / o.flows),
	       o.tmpl_churn, (unsigned long long)(!tmpl ? 0 :
		o.tmpl_churn > 0 ? (uint64_t)(elapsed / o.tmpl_churn) + 1 : 1), o.zipf);
	for (unsigned int i = 0; i < o.exporters; i++)
		if (ex[i].fd >= 0)
			close(ex[i].fd);
	if (pcap_out && fclose(pcap_out)) {
		fprintf(stderr, "nfgen: %s: %s\n", o.pcap, strerror(errno));
		return 1;
	}
	return 0;
}
#endif /* NFGEN_NO_MAIN */
