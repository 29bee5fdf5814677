// SPDX-License-Identifier: BSD-2-Clause
/*
 * nfgen.c - NetFlow v5 / v9 / IPFIX load generator for the nfxdp benchmarks.
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
 * IP_RECVERR is set, so a datagram the local stack refuses (veth peer ring
 * or backlog full: ENOBUFS) is seen and counted as refused, never as sent.
 * At the end one JSON object on stdout says exactly what went out.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
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

enum proto { P_V5, P_V9, P_IPFIX };

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
	unsigned int ephemeral;	/* % of flows with an ephemeral client port */
	unsigned int pool;	/* packets prebuilt */
	unsigned int batch;
	unsigned int tmpl_every;
	unsigned int mtu_payload;
	uint64_t seed;
	double flow_churn;	/* new flow identities per second, 0 = fixed population */
	double tmpl_churn;	/* seconds per template id, 0 = one id */
	int domain_churn;	/* each template id also gets a new domain */
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
		uint32_t j = rnd_below(o->flows);
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
		uint32_t j = rnd_below(o->flows);
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

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nfgen --dst IP [--port P] [--proto v5|v9|ipfix] [--rate RECORDS/S | --pps N]\n"
		"             [--duration S] [--count RECORDS] [--records-per-packet N]\n"
		"             [--exporters N] [--src-base IP] [--hosts N] [--flows N]\n"
		"             [--ephemeral PCT] [--pool N] [--batch N] [--tmpl-every PKTS] [--seed N]\n"
		"             [--flow-churn FLOWS/S] [--tmpl-churn S [--domain-churn]]\n"
		"Sends NetFlow/IPFIX at the given rate (0 = flat out) for --duration seconds\n"
		"(default 10, at most 3600) or --count records; prints what it sent as JSON.\n");
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
		{ "ephemeral", required_argument, NULL, 'E' },
		{ "pool", required_argument, NULL, 'o' },
		{ "batch", required_argument, NULL, 'b' },
		{ "tmpl-every", required_argument, NULL, 'T' },
		{ "seed", required_argument, NULL, 'S' },
		{ "flow-churn", required_argument, NULL, 'C' },
		{ "tmpl-churn", required_argument, NULL, 'G' },
		{ "domain-churn", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ .proto = P_V5, .port = 2055, .duration = 10, .exporters = 4,
			    .hosts = 4096, .flows = 65536, .ephemeral = 50, .pool = 2048,
			    .batch = 32, .tmpl_every = 1000, .mtu_payload = 1472, .seed = 1 };
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': o->dst = optarg; break;
		case 'p': o->port = (uint16_t)atoi(optarg); break;
		case 'P':
			if (!strcmp(optarg, "v5"))
				o->proto = P_V5;
			else if (!strcmp(optarg, "v9"))
				o->proto = P_V9;
			else if (!strcmp(optarg, "ipfix"))
				o->proto = P_IPFIX;
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
		case 'E': o->ephemeral = (unsigned int)atoi(optarg); break;
		case 'o': o->pool = (unsigned int)atoi(optarg); break;
		case 'b': o->batch = (unsigned int)atoi(optarg); break;
		case 'T': o->tmpl_every = (unsigned int)atoi(optarg); break;
		case 'S': o->seed = strtoull(optarg, NULL, 10); break;
		case 'C': o->flow_churn = atof(optarg); break;
		case 'G': o->tmpl_churn = atof(optarg); break;
		case 'D': o->domain_churn = 1; break;
		case 'h': usage(stdout); exit(0);
		default: return -1;
		}
	}
	if (!o->dst || o->duration <= 0 || o->duration > 3600 || !o->exporters ||
	    o->exporters > MAX_EXPORTERS || !o->hosts || o->hosts > (1u << 20) || !o->flows ||
	    o->ephemeral > 100 || !o->pool || !o->batch || o->batch > MAX_BATCH ||
	    o->flow_churn < 0 || o->flow_churn > 1e8 || o->tmpl_churn < 0 ||
	    (o->tmpl_churn > 0 && o->tmpl_churn < 0.001) ||
	    ((o->tmpl_churn > 0 || o->domain_churn) && o->proto == P_V5) ||
	    (o->domain_churn && !(o->tmpl_churn > 0)))
		return -1;
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

static int open_exporter(struct exporter *e, const struct opts *o, unsigned int i,
			 const struct sockaddr_in *dst)
{
	int one = 1, sndbuf = 4 << 20;
	struct sockaddr_in sa = { .sin_family = AF_INET };

	e->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (e->fd < 0)
		return -1;
	/* see ENOBUFS instead of a silent drop when the path is full */
	setsockopt(e->fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
	setsockopt(e->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (o->src_base) {
		struct in_addr a;

		if (inet_pton(AF_INET, o->src_base, &a) != 1)
			return -1;
		sa.sin_addr.s_addr = htonl(ntohl(a.s_addr) + i);
	}
	if (bind(e->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    connect(e->fd, (const struct sockaddr *)dst, sizeof(*dst)))
		return -1;
	e->domain = 1 + i;
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
static int send_one(struct exporter *e, const uint8_t *b, size_t len, struct counts *ct)
{
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
	double t0, t_end, elapsed, pps;
	uint64_t batches = 0, rec_budget, w = 0, pool_flows = 0;
	unsigned int cur = 0, pi = 0;
	struct timespec wall;

	if (parse(argc, argv, &o)) {
		usage(stderr);
		return 2;
	}
	dst.sin_port = htons(o.port);
	if (inet_pton(AF_INET, o.dst, &dst.sin_addr) != 1) {
		fprintf(stderr, "nfgen: bad --dst %s\n", o.dst);
		return 2;
	}
	rng_state = o.seed * 0x9e3779b97f4a7c15ull + 1;
	flows = calloc(o.flows, sizeof(*flows));
	pool = calloc(o.pool, sizeof(*pool));
	ex = calloc(o.exporters, sizeof(*ex));
	if (!flows || !pool || !ex)
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
				     ipfix_build(pk->buf, flows, &o, export_ms, pk));
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
		if (o.proto != P_V5)
			exporter_tmpl(&ex[i], &o);
	}
	signal(SIGINT, on_sig);
	signal(SIGTERM, on_sig);

	pps = o.pps > 0 ? o.pps : o.rate > 0 ? o.rate / o.rpp : 0;
	rec_budget = o.count ? o.count : UINT64_MAX;
	t0 = now_s();
	t_end = t0 + o.duration;
	for (unsigned int i = 0; i < o.exporters && o.proto != P_V5; i++) {
		patch(ex[i].tmpl, &o, &ex[i], wall.tv_sec);
		if (send_one(&ex[i], ex[i].tmpl, ex[i].tmpl_len, &ct)) {
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
		if ((uint64_t)nb * o.rpp > left)
			nb = (unsigned int)((left + o.rpp - 1) / o.rpp);
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
		if (o.proto != P_V5 && e->pkts_since_tmpl >= o.tmpl_every) {
			clock_gettime(CLOCK_REALTIME, &wall);
			patch(e->tmpl, &o, e, wall.tv_sec);
			if (send_one(e, e->tmpl, e->tmpl_len, &ct)) {
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
		while (sent < nb) {
			int n = sendmmsg(e->fd, msgs + sent, nb - sent, 0);

			if (n > 0) {
				for (int i = 0; i < n; i++) {
					const struct pkt *pk = &pool[idxs[sent + (unsigned int)i]];

					ct.packets++;
					ct.records += pk->nrec;
					ct.bytes += pk->len;
					ct.fpackets += pk->fpackets;
					ct.fbytes += pk->fbytes;
				}
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
	       "\"offered_rate\":%.0f,\"elapsed_s\":%.4f,\"packets\":%llu,\"records\":%llu,"
	       "\"bytes\":%llu,\"template_packets\":%llu,\"flow_packets\":%llu,"
	       "\"flow_bytes\":%llu,\"refused_packets\":%llu,\"refused_records\":%llu,"
	       "\"errors\":%llu,\"records_per_s\":%.0f,\"flow_churn\":%.0f,"
	       "\"pool_flows\":%llu,\"flow_keys_est\":%.0f,\"tmpl_churn_s\":%g,\"template_ids_per_exporter\":%llu}\n",
	       o.proto == P_V5 ? "v5" : o.proto == P_V9 ? "v9" : "ipfix", o.exporters, o.rpp,
	       pps * o.rpp, elapsed, (unsigned long long)ct.packets,
	       (unsigned long long)ct.records, (unsigned long long)ct.bytes,
	       (unsigned long long)ct.tmpl_packets, (unsigned long long)ct.fpackets,
	       (unsigned long long)ct.fbytes, (unsigned long long)ct.refused_packets,
	       (unsigned long long)ct.refused_records, (unsigned long long)ct.errors,
	       elapsed > 0 ? ct.records / elapsed : 0, o.flow_churn, (unsigned long long)pool_flows,
	       /* each pool flow takes a new identity every flows / churn seconds */
	       (double)pool_flows * (1 + o.flow_churn * elapsed / o.flows),
	       o.tmpl_churn, (unsigned long long)(o.proto == P_V5 ? 0 :
		o.tmpl_churn > 0 ? (uint64_t)(elapsed / o.tmpl_churn) + 1 : 1));
	for (unsigned int i = 0; i < o.exporters; i++)
		close(ex[i].fd);
	return 0;
}
#endif /* NFGEN_NO_MAIN */
