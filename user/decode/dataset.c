// SPDX-License-Identifier: BSD-2-Clause
/*
 * dataset.c - the data path of v9 and IPFIX: each record of a data set
 * walked with its template's plan, one transform per op, then finished
 * with what needs the message (uptime-relative times) and handed on.
 * Fixed-length plans index the record by offset; variable-length plans
 * read each field's length as they go.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "base/wire.h"
#include "decode/dataset.h"
#include "decode/ie.h"
#include "decode/pkthdr.h"
#include "decode/ifnames.h"
#include "decode/times.h"

/*
 * Sampling rate from an options record.  IE 305/306 (RFC 5477 systematic
 * count-based: select "interval" packets, skip "space") give
 * (interval + space) / interval; 309/310 (random n-out-of-N) give
 * population / size; 311 (probability) gives 1 / p; then 50 (v9 random
 * sampler interval) and 34 (sampling interval).  304 selectorAlgorithm and
 * 49 samplerMode are not needed for the rate and are not read.
 */
static uint64_t options_rate(const struct nfx_rec *r)
{
	if ((r->have & NFX_R_SAMP_PKT_INT) && r->samp_pkt_int) {
		if (r->have & NFX_R_SAMP_PKT_SPACE)
			return (r->samp_pkt_int + r->samp_pkt_space) / r->samp_pkt_int;
		return r->samp_pkt_int;
	}
	if ((r->have & NFX_R_SAMP_SIZE) && (r->have & NFX_R_SAMP_POP) && r->samp_size)
		return r->samp_pop / r->samp_size;
	if (r->have & NFX_R_SAMP_PROB) {
		double prob;

		memcpy(&prob, &r->samp_prob_bits, sizeof(prob));
		/* below 1 in 2^32 the rate is clamped anyway; 1/prob could overflow */
		if (prob > 0 && prob < 1.0 / UINT32_MAX)
			return UINT32_MAX;
		if (prob > 0 && prob <= 1)
			return (uint64_t)(1 / prob + 0.5);
	}
	if ((r->have & NFX_R_SAMP_RANDOM) && r->samp_random)
		return r->samp_random;
	if (r->have & NFX_R_SAMP_INTERVAL)
		return r->samp_interval;
	return 0;
}

/* The rate of sampler @id of the domain, 0 when it was never announced. */
static uint32_t sampler_rate(const struct nfx_dom *dm, uint64_t id)
{
	for (unsigned int i = 0; i < NFX_DOM_SAMPLERS && dm->samplers[i].rate; i++)
		if (dm->samplers[i].id == id)
			return dm->samplers[i].rate;
	return 0;
}

/* Keep sampler @id's rate; a domain announcing more samplers than slots is counted. */
static void sampler_set(struct nfx_msg *m, uint64_t id, uint32_t rate)
{
	struct nfx_sampler *s = m->dom->samplers;

	for (unsigned int i = 0; i < NFX_DOM_SAMPLERS; i++) {
		if (s[i].rate && s[i].id != id)
			continue;
		s[i].id = id;
		s[i].rate = rate;
		return;
	}
	m->st->sampler_limit++;
}

static uint32_t clamp_rate(uint64_t rate)
{
	return rate > UINT32_MAX ? UINT32_MAX : (uint32_t)rate;
}

/* ifName is the short one dashboards show; ifDescr when it is all there is. */
static void if_name_learn(struct nfx_msg *m, const struct nfx_rec *r)
{
	const uint8_t *name = NULL;
	unsigned int len = 0;
	struct nfx_addr a;

	if ((r->have & NFX_R_IFNAME) && r->ifname_len && r->ifname[0]) {
		name = r->ifname;
		len = r->ifname_len;
	} else if ((r->have & NFX_R_IFDESCR) && r->ifdescr_len && r->ifdescr[0]) {
		name = r->ifdescr;
		len = r->ifdescr_len;
	}
	if (!name)
		return;		/* no name, or only empty ones */
	memcpy(a.b, m->dom->key.addr, sizeof(a.b));
	if (nfx_ifnames_set(m->ifn, &a, r->opt_ifindex, name, len, m->now_ms))
		m->st->if_name_limit++;
	else
		m->dom->has_ifnames = 1;
}

/*
 * Options data: the boot time and the sampling rate of the domain.  A rate
 * that names its sampler (flowSamplerId, selectorId) is kept for records
 * carrying that id; it is also the domain's rate for records that carry
 * none, as the last rate seen.
 */
static void options_record(struct nfx_msg *m, const struct nfx_rec *r)
{
	uint64_t rate;

	m->st->options_records++;
	if (!m->dom)
		return;
	if (r->have & NFX_R_SYSINIT) {
		m->dom->sysinit_ms = r->sysinit_ms;
		m->dom->has_sysinit = 1;
	}
	rate = options_rate(r);
	if (rate) {
		if (r->have & NFX_R_SAMPLER)
			sampler_set(m, r->sampler_id, clamp_rate(rate));
		m->dom->sampling_rate = clamp_rate(rate);
	}
	if (r->have & NFX_R_IFINDEX)
		if_name_learn(m, r);
	if (r->have & NFX_R_EXPORTER) {
		m->dom->export_addr = r->export_addr;
		m->dom->has_export_addr = 1;
		/* the records after it in this message are the exporter's too */
		if (m->pol->exporter_from_export)
			m->base.exporter = r->export_addr;
	}
}

/*
 * A data record's own rate, or the rate of the sampler it names.  A named
 * sampler the domain never announced is unknown (0) once the domain has
 * announced any: another sampler's rate would be wrong.
 */
static void record_sampling(const struct nfx_msg *m, struct nfx_rec *r)
{
	uint64_t rate = options_rate(r);

	if (rate) {
		r->f.sampling_rate = clamp_rate(rate);
		return;
	}
	if (!(r->have & NFX_R_SAMPLER) || !m->dom || !m->dom->samplers[0].rate)
		return;
	r->f.sampling_rate = sampler_rate(m->dom, r->sampler_id);
}

/*
 * The exporter's boot for the check of times.h: systemInitTime (IE 160)
 * of the record, else (IPFIX) of the domain's options data; v9 the export time less the header
 * uptime, unless a time of the record is later on the uptime clock than
 * the header, which means the 32-bit uptime wrapped (or the exporter
 * stamped the flow after the header) and the boot is not known.
 */
static uint64_t boot_ms(const struct nfx_msg *m, const struct nfx_rec *r)
{
	if (r->have & NFX_R_SYSINIT)
		return r->sysinit_ms;	/* the record's own (Huawei), as flow_times() */
	if (m->proto != NFX_PROTO_V9)
		return m->dom && m->dom->has_sysinit ? m->dom->sysinit_ms : 0;
	if (((r->have & NFX_R_START_UP) && r->up_start > m->sys_uptime) ||
	    ((r->have & NFX_R_END_UP) && r->up_end > m->sys_uptime) ||
	    m->sys_uptime > m->export_ms)
		return 0;
	return m->export_ms - m->sys_uptime;
}

/* µs before the export time; 0 (unreadable) when that is before the epoch. */
static uint64_t delta_ms(const struct nfx_msg *m, uint64_t dus)
{
	return dus / 1000 >= m->export_ms ? 0 : m->export_ms - dus / 1000;
}

/*
 * Times that need the message: uptime-relative and export-relative ones.
 * IPFIX sysUpTime elements count from IE 160 (RFC 7011); without it they
 * have no anchor and stay absent.
 */
static void flow_times(const struct nfx_msg *m, struct nfx_rec *r)
{
	struct nfx_flow *f = &r->f;

	if (r->have & (NFX_R_START_UP | NFX_R_END_UP)) {
		if (r->have & NFX_R_SYSINIT) {
			/* the record's own boot time (Huawei) beats any other anchor */
			if (r->have & NFX_R_START_UP) {
				f->start_ms = r->sysinit_ms + r->up_start;
				f->present |= NFX_F_START;
			}
			if (r->have & NFX_R_END_UP) {
				f->end_ms = r->sysinit_ms + r->up_end;
				f->present |= NFX_F_END;
			}
		} else if (m->proto == NFX_PROTO_V9) {
			if (r->have & NFX_R_START_UP) {
				f->start_ms = nfx_uptime_to_epoch_ms(m->export_ms, m->sys_uptime,
								     r->up_start);
				f->present |= NFX_F_START;
			}
			if (r->have & NFX_R_END_UP) {
				f->end_ms = nfx_uptime_to_epoch_ms(m->export_ms, m->sys_uptime,
								   r->up_end);
				f->present |= NFX_F_END;
			}
		} else if (m->dom && m->dom->has_sysinit) {
			/* RFC 7011: sysUpTime elements count from IE 160; without it
			 * there is no anchor and the times stay absent */
			if (r->have & NFX_R_START_UP) {
				f->start_ms = m->dom->sysinit_ms + r->up_start;
				f->present |= NFX_F_START;
			}
			if (r->have & NFX_R_END_UP) {
				f->end_ms = m->dom->sysinit_ms + r->up_end;
				f->present |= NFX_F_END;
			}
		}
	}
	if (r->have & NFX_R_START_DUS) {
		f->start_ms = delta_ms(m, r->dus_start);
		f->present |= NFX_F_START;
	}
	if (r->have & NFX_R_END_DUS) {
		f->end_ms = delta_ms(m, r->dus_end);
		f->present |= NFX_F_END;
	}
}

/* A family's source and destination address bits. */
#define FAM_ADDRS	(NFX_F_SRC_ADDR | NFX_F_DST_ADDR)

/* The family of a record that may carry both (ie.h struct nfx_fam). */
static unsigned int record_family(const struct nfx_rec *r)
{
	int a4 = (r->have & NFX_R_FAM4) && (r->fam[0].present & FAM_ADDRS);
	int a6 = (r->have & NFX_R_FAM6) && (r->fam[1].present & FAM_ADDRS);

	if ((r->have & NFX_R_IPVER) && (r->ipver == 6 ? a6 : a4))
		return r->ipver == 6;
	if (a4 != a6)
		return (unsigned int)a6;
	if (a4 && r->fam[0].set != r->fam[1].set)
		return r->fam[1].set;	/* the all-zero family is padding */
	if (!a4 && (r->have & NFX_R_IPVER))
		return r->ipver == 6;
	/* both set: the later one is the inner packet (RFC 7011 section 8) */
	return r->fam_last;
}

/* 0.0.0.0 or :: : what a template's unused family carries. */
static int addr_unset(const struct nfx_addr *a)
{
	static const uint8_t zero[16];

	return !memcmp(a->b, zero, 16) || (nfx_addr_is_v4(a) && !memcmp(a->b + 12, zero, 4));
}

/*
 * The family whose (BGP, @bgp) next hop the flow takes: its own, or the
 * other's when only that one is set (an IPv4 route over an IPv6 next hop).
 */
static const struct nfx_fam *nh_from(const struct nfx_fam *c, const struct nfx_fam *o, int bgp)
{
	uint32_t bit = bgp ? NFX_F_BGP_NEXT_HOP : NFX_F_NEXT_HOP;

	if ((c->present & bit) && !addr_unset(bgp ? &c->bgp_nh : &c->nh))
		return c;
	if ((o->present & bit) && !addr_unset(bgp ? &o->bgp_nh : &o->nh))
		return o;
	if (c->present & bit)
		return c;
	return o->present & bit ? o : NULL;
}

/*
 * Address family per record, never per template: IOS-XR lists the IPv6
 * fields before the IPv4 ones and sends them all zero with IPv4 flows.
 * The family is ipVersion's when the record has its addresses, else the
 * one whose addresses are there and not zero; masks and ICMP come from it,
 * or from the other when it has none.  When both families hold addresses
 * the other one is the outer header: the tunnel, unless a repeated
 * element already filled it.
 */
static void record_addresses(struct nfx_rec *r)
{
	static const struct nfx_fam none;
	struct nfx_flow *f = &r->f;
	unsigned int six = record_family(r);
	const struct nfx_fam *c = (r->have & (six ? NFX_R_FAM6 : NFX_R_FAM4)) ? &r->fam[six] : &none;
	const struct nfx_fam *o = (r->have & (six ? NFX_R_FAM4 : NFX_R_FAM6)) ? &r->fam[!six] : &none;
	const struct nfx_fam *mk = c->present & (NFX_F_SRC_MASK | NFX_F_DST_MASK) ? c : o;
	const struct nfx_fam *ic = c->present & NFX_F_ICMP ? c : o;
	const struct nfx_fam *nh;

	if (c->present & NFX_F_SRC_ADDR)
		f->src = c->src;
	if (c->present & NFX_F_DST_ADDR)
		f->dst = c->dst;
	f->present |= c->present & FAM_ADDRS;
	if (c->present & FAM_ADDRS)
		f->ip_version = six ? 6 : 4;
	else if (r->have & NFX_R_IPVER)
		f->ip_version = r->ipver;
	f->src_mask = mk->src_mask;
	f->dst_mask = mk->dst_mask;
	f->present |= mk->present & (NFX_F_SRC_MASK | NFX_F_DST_MASK);
	f->icmp_type = ic->icmp_type;
	f->icmp_code = ic->icmp_code;
	f->present |= ic->present & NFX_F_ICMP;
	if ((nh = nh_from(c, o, 0))) {
		f->next_hop = nh->nh;
		f->present |= NFX_F_NEXT_HOP;
	}
	if ((nh = nh_from(c, o, 1))) {
		f->bgp_next_hop = nh->bgp_nh;
		f->present |= NFX_F_BGP_NEXT_HOP;
	}
	if (c->set && o->set && !(f->xpresent & (NFX_X_TUN_SRC | NFX_X_TUN_DST))) {
		f->tun_src = o->src;
		f->tun_dst = o->dst;
		f->xpresent |= (o->present & NFX_F_SRC_ADDR ? NFX_X_TUN_SRC : 0) |
			       (o->present & NFX_F_DST_ADDR ? NFX_X_TUN_DST : 0);
	}
}

/*
 * A packet section (IE 313/315/104) read with the sFlow decoder's header
 * parser: it fills only what the record's own fields left out.
 */
static void record_raw(struct nfx_rec *r)
{
	struct nfx_flow *f = &r->f, g;
	enum nfx_pkthdr_link link = NFX_PKTHDR_ETHER;

	if (r->raw_ip)
		link = r->raw[0] >> 4 == 6 ? NFX_PKTHDR_IPV6 : NFX_PKTHDR_IPV4;
	memset(&g, 0, sizeof(g));
	if (nfx_pkthdr_parse(r->raw, r->raw_len, link, &g) == NFX_PKTHDR_NONE)
		return;
	if (!(f->present & FAM_ADDRS) && (g.present & FAM_ADDRS)) {
		f->src = g.src;
		f->dst = g.dst;
		f->ip_version = g.ip_version;
		f->present |= g.present & FAM_ADDRS;
	}
#define FILL(bit, ...)							\
	do {								\
		if (!(f->present & (bit)) && (g.present & (bit))) {	\
			__VA_ARGS__;					\
			f->present |= g.present & (bit);		\
		}							\
	} while (0)
	FILL(NFX_F_PROTO, f->proto = g.proto);
	FILL(NFX_F_SRC_PORT, f->src_port = g.src_port);
	FILL(NFX_F_DST_PORT, f->dst_port = g.dst_port);
	FILL(NFX_F_TOS, f->tos = g.tos);
	FILL(NFX_F_VLAN, f->vlan = g.vlan);
	FILL(NFX_F_SRC_MAC, memcpy(f->src_mac, g.src_mac, 6));
	FILL(NFX_F_DST_MAC, memcpy(f->dst_mac, g.dst_mac, 6));
	FILL(NFX_F_ICMP, f->icmp_type = g.icmp_type; f->icmp_code = g.icmp_code);
#undef FILL
	if (!f->tcp_flags)
		f->tcp_flags = g.tcp_flags;
}

/*
 * A wireless controller's client (staMacAddress, staIPv4Address): the
 * source of what it sends (ingress), the destination of what it receives,
 * where the record has no address or MAC of its own there.
 */
static void record_station(struct nfx_rec *r)
{
	struct nfx_flow *f = &r->f;
	int dst = f->direction == 1;

	if ((r->have & NFX_R_STA_V4) && !(f->present & (dst ? NFX_F_DST_ADDR : NFX_F_SRC_ADDR))) {
		nfx_addr_set_v4(dst ? &f->dst : &f->src, r->sta_v4);
		f->present |= dst ? NFX_F_DST_ADDR : NFX_F_SRC_ADDR;
		if (!f->ip_version)
			f->ip_version = 4;
	}
	if ((r->have & NFX_R_STA_MAC) && !(f->present & (dst ? NFX_F_DST_MAC : NFX_F_SRC_MAC))) {
		memcpy(dst ? f->dst_mac : f->src_mac, r->sta_mac, 6);
		f->present |= dst ? NFX_F_DST_MAC : NFX_F_SRC_MAC;
	}
}

/* A firewall event's time is the flow's when it has no other (NSEL). */
static void record_event_time(struct nfx_rec *r)
{
	struct nfx_flow *f = &r->f;

	if (!(f->present & NFX_F_START)) {
		f->start_ms = r->event_ms;
		f->present |= NFX_F_START;
	}
	if (!(f->present & NFX_F_END)) {
		f->end_ms = r->event_ms;
		f->present |= NFX_F_END;
	}
}

/* Fields filled from other fields of the record: family, client, packet section. */
static void record_fill(struct nfx_rec *r)
{
	if (r->have & (NFX_R_FAM4 | NFX_R_FAM6))
		record_addresses(r);
	else if ((r->have & NFX_R_IPVER) && !r->f.ip_version)
		r->f.ip_version = r->ipver;	/* the addresses say it better */
	if (r->have & (NFX_R_STA_MAC | NFX_R_STA_V4))
		record_station(r);
	if (r->have & NFX_R_RAW)
		record_raw(r);
}

/* What most records carry: the cases below are for some exporters only. */
#define R_TIMES		(NFX_R_START_UP | NFX_R_END_UP | NFX_R_START_DUS | NFX_R_END_DUS)
#define R_FILL		(NFX_R_FAM4 | NFX_R_FAM6 | NFX_R_IPVER | NFX_R_STA_MAC | NFX_R_STA_V4 | \
			 NFX_R_RAW)
#define R_SAMPLING	(NFX_R_SAMP_INTERVAL | NFX_R_SAMP_RANDOM | NFX_R_SAMP_PKT_INT | \
			 NFX_R_SAMP_PKT_SPACE | NFX_R_SAMP_SIZE | NFX_R_SAMP_POP | \
			 NFX_R_SAMP_PROB | NFX_R_SAMPLER)


/*
 * RFC 5103: the reverse direction of biflow @f as a record of its own, the
 * endpoints (addresses, ports, masks, MACs, AS numbers, interfaces)
 * swapped, the reverse counters, TCP flags and ToS.  Reverse time elements
 * are not read: it keeps the biflow's times.
 */
static void reverse_record(const struct nfx_rec *r, const struct nfx_flow *f,
			   struct nfx_flow *rv)
{
	static const uint32_t pairs[][2] = {
		{ NFX_F_SRC_ADDR, NFX_F_DST_ADDR }, { NFX_F_SRC_PORT, NFX_F_DST_PORT },
		{ NFX_F_SRC_MASK, NFX_F_DST_MASK }, { NFX_F_SRC_MAC, NFX_F_DST_MAC },
		{ NFX_F_SRC_AS, NFX_F_DST_AS }, { NFX_F_IN_IF, NFX_F_OUT_IF },
	};

	*rv = *f;
	rv->src = f->dst;
	rv->dst = f->src;
	rv->src_port = f->dst_port;
	rv->dst_port = f->src_port;
	rv->src_mask = f->dst_mask;
	rv->dst_mask = f->src_mask;
	memcpy(rv->src_mac, f->dst_mac, 6);
	memcpy(rv->dst_mac, f->src_mac, 6);
	rv->src_as = f->dst_as;
	rv->dst_as = f->src_as;
	rv->in_if = f->out_if;
	rv->out_if = f->in_if;
	memcpy(rv->in_if_name, f->out_if_name, sizeof(rv->in_if_name));
	memcpy(rv->out_if_name, f->in_if_name, sizeof(rv->out_if_name));
	rv->present2 &= ~(NFX_F2_IN_IF_NAME | NFX_F2_OUT_IF_NAME);
	if (f->present2 & NFX_F2_IN_IF_NAME)
		rv->present2 |= NFX_F2_OUT_IF_NAME;
	if (f->present2 & NFX_F2_OUT_IF_NAME)
		rv->present2 |= NFX_F2_IN_IF_NAME;
	for (unsigned int i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		rv->present &= ~(pairs[i][0] | pairs[i][1]);
		if (f->present & pairs[i][0])
			rv->present |= pairs[i][1];
		if (f->present & pairs[i][1])
			rv->present |= pairs[i][0];
	}
	rv->bytes = r->rev_bytes;
	rv->packets = r->rev_packets;
	rv->tcp_flags = r->rev_tcp_flags;
	rv->tos = r->rev_tos;
	/* the biflow's ICMP type and NAT translation belong to its forward direction */
	rv->present &= ~NFX_F_ICMP;
	rv->present2 &= ~(NFX_F2_NAT_SRC | NFX_F2_NAT_DST | NFX_F2_NAT_SRC_PORT |
			  NFX_F2_NAT_DST_PORT);
}

/* Copy @name (NUL-terminated, shorter than NFX_IFNAME_LEN) into @dst; 1 when there was one. */
static int if_name_copy(char dst[NFX_IFNAME_LEN], const char *name)
{
	if (!name || !name[0])
		return 0;
	memcpy(dst, name, strlen(name) + 1);
	return 1;
}

/* The names the exporter's options data gave the record's interfaces. */
static void if_names(const struct nfx_msg *m, struct nfx_flow *f)
{
	struct nfx_addr a;

	memcpy(a.b, m->dom->key.addr, sizeof(a.b));
	if ((f->present & NFX_F_IN_IF) &&
	    if_name_copy(f->in_if_name, nfx_ifnames_get(m->ifn, &a, f->in_if)))
		f->present2 |= NFX_F2_IN_IF_NAME;
	if ((f->present & NFX_F_OUT_IF) &&
	    if_name_copy(f->out_if_name, nfx_ifnames_get(m->ifn, &a, f->out_if)))
		f->present2 |= NFX_F2_OUT_IF_NAME;
}

/* A finished flow record out, with the configured sampling rate. */
static void emit(struct nfx_msg *m, struct nfx_flow *f)
{
	nfx_policy_sampling(m->pol, m->rule, f);
	m->out->emit(m->out->ctx, f);
	m->emitted++;
}

static void record_done(struct nfx_msg *m, const struct nfx_tmpl *t, struct nfx_rec *r)
{
	m->data_records++;
	if (t->options) {
		options_record(m, r);
		return;
	}
	if (!t->flow)
		return;
	if (r->have & R_FILL)
		record_fill(r);
	if (r->have & R_TIMES)
		flow_times(m, r);
	if (r->have & NFX_R_EVENT)
		record_event_time(r);
	if (r->have & R_SAMPLING)
		record_sampling(m, r);
	/* postVlanId alone (softflowd) is the flow's VLAN, as it always was */
	if ((r->f.xpresent & (1u << NFX_X_POST_VLAN)) && !(r->f.present & NFX_F_VLAN)) {
		r->f.vlan = r->f.xv.x_POST_VLAN;
		r->f.present |= NFX_F_VLAN;
	}
	if (nfx_times_settle(&r->f, m->export_ms, boot_ms(m, r)))
		m->st->time_fallback++;
	if (m->dom && m->dom->has_ifnames)
		if_names(m, &r->f);
	if ((r->have & NFX_R_REV) && m->pol->biflow_reverse && (r->rev_bytes || r->rev_packets)) {
		struct nfx_flow rv;

		reverse_record(r, &r->f, &rv);	/* from the counters as sent */
		emit(m, &r->f);
		emit(m, &rv);
		m->st->biflow_reverse_records++;
		return;
	}
	emit(m, &r->f);
}

/*
 * A record starts as the message's base.  The flow's tail (tunnel, vendor
 * fields) is read only under its xpresent bits, so it is not copied: a
 * third of the copy every record would pay.
 */
static inline void rec_begin(struct nfx_rec *r, const struct nfx_msg *m)
{
	memcpy(&r->f, &m->base, offsetof(struct nfx_flow, tun_src));
	r->f.xpresent = 0;
	r->have = 0;
	r->fam_last = 0;
	r->rev_bytes = r->rev_packets = 0;	/* 0 unless sent */
	r->rev_tcp_flags = r->rev_tos = 0;
}

static int data_set_fixed(struct nfx_msg *m, const struct nfx_tmpl *t, const uint8_t *p,
			  size_t len)
{
	const struct nfx_op *ops = t->ops, *end = t->ops + t->nops;
	struct nfx_rec r;

	size_t pos = 0;

	for (; len - pos >= t->rec_len; pos += t->rec_len) {
		const uint8_t *rec = p + pos;

		rec_begin(&r, m);
		for (const struct nfx_op *op = ops; op < end; op++)
			nfx_ie_apply(&r, op->xf, rec + op->off, op->len);
		record_done(m, t, &r);
	}
	/* padding is zeros (RFC 7011 3.3.1); anything else is a cut record */
	for (; pos < len; pos++) {
		if (p[pos]) {
			m->st->record_truncated++;
			break;
		}
	}
	return 0;
}

/* Length of the next variable-length field at p[*q]; -1 past the set. */
static long varlen_len(const uint8_t *p, size_t len, size_t *q)
{
	unsigned int l;

	if (*q >= len)
		return -1;
	l = p[(*q)++];
	if (l == 255) {
		if (len - *q < 2)
			return -1;
		l = nfx_get16(p + *q);
		*q += 2;
	}
	return l;
}

static int data_set_varlen(struct nfx_msg *m, const struct nfx_tmpl *t, const uint8_t *p,
			   size_t len)
{
	struct nfx_rec r;
	size_t pos = 0;

	while (len - pos >= t->rec_len) {
		size_t q = pos;

		rec_begin(&r, m);
		for (unsigned int i = 0; i < t->nops; i++) {
			const struct nfx_op *op = &t->ops[i];
			long fl = op->len;

			if (op->len == NFX_VARLEN)
				fl = varlen_len(p, len, &q);
			if (fl < 0 || len - q < (size_t)fl) {
				m->st->record_overrun++;
				return -EINVAL;
			}
			if (op->xf && nfx_ie_len_ok(op->xf, (unsigned int)fl))
				nfx_ie_apply(&r, op->xf, p + q, (unsigned int)fl);
			q += (size_t)fl;
		}
		record_done(m, t, &r);
		pos = q;
	}
	return 0;
}

int nfx_dataset_decode(struct nfx_msg *m, const struct nfx_tmpl *t, const uint8_t *p,
		       size_t len)
{
	m->base.sampling_rate = m->dom ? m->dom->sampling_rate : 0;
	if (t->varlen)
		return data_set_varlen(m, t, p, len);
	return data_set_fixed(m, t, p, len);
}
