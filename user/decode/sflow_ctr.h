/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sflow_ctr.h - the interface counters sFlow agents send in counter
 * samples, kept per (agent address, ifIndex): the latest generic interface
 * counters (counter record 1) and Ethernet counters (record 2) of each.
 *
 * The decoder owns one store, fills it from counter samples and forgets
 * interfaces its sweep finds idle.  The store is sized once: when it is
 * full a new interface is refused (the decoder counts it), known ones are
 * never evicted.  Readers (metrics) walk it with nfx_sflow_ctr_foreach()
 * and name each value with the lists below.
 */
#ifndef NFX_SFLOW_CTR_H
#define NFX_SFLOW_CTR_H

#include <stdint.h>

#include "base/flow.h"

/*
 * Generic interface counters (sFlow counter record 1, 88 bytes): X(name,
 * offset in the record, size in bytes, help).  The interface's identity
 * and state (if_index at 0, if_type at 4, if_speed at 8, if_direction at
 * 16, if_status at 20, if_promisc at 84) are fields of their own below.
 */
#define NFX_SFLOW_GENERIC_COUNTERS(X)						\
	X(in_octets, 24, 8, "Octets received (ifHCInOctets)")			\
	X(in_ucast_pkts, 32, 4, "Unicast packets received")			\
	X(in_mcast_pkts, 36, 4, "Multicast packets received")			\
	X(in_bcast_pkts, 40, 4, "Broadcast packets received")			\
	X(in_discards, 44, 4, "Inbound packets discarded")			\
	X(in_errors, 48, 4, "Inbound packets with errors")			\
	X(in_unknown_protos, 52, 4, "Inbound packets of an unknown protocol")	\
	X(out_octets, 56, 8, "Octets sent (ifHCOutOctets)")			\
	X(out_ucast_pkts, 64, 4, "Unicast packets sent")			\
	X(out_mcast_pkts, 68, 4, "Multicast packets sent")			\
	X(out_bcast_pkts, 72, 4, "Broadcast packets sent")			\
	X(out_discards, 76, 4, "Outbound packets discarded")			\
	X(out_errors, 80, 4, "Outbound packets with errors")
#define NFX_SFLOW_GENERIC_LEN	88

/* Ethernet interface counters (sFlow counter record 2, 52 bytes), dot3Stats*. */
#define NFX_SFLOW_ETHER_COUNTERS(X)						\
	X(alignment_errors, 0, 4, "dot3StatsAlignmentErrors")			\
	X(fcs_errors, 4, 4, "dot3StatsFCSErrors")				\
	X(single_collision_frames, 8, 4, "dot3StatsSingleCollisionFrames")	\
	X(multiple_collision_frames, 12, 4, "dot3StatsMultipleCollisionFrames") \
	X(sqe_test_errors, 16, 4, "dot3StatsSQETestErrors")			\
	X(deferred_transmissions, 20, 4, "dot3StatsDeferredTransmissions")	\
	X(late_collisions, 24, 4, "dot3StatsLateCollisions")			\
	X(excessive_collisions, 28, 4, "dot3StatsExcessiveCollisions")		\
	X(internal_mac_tx_errors, 32, 4, "dot3StatsInternalMacTransmitErrors") \
	X(carrier_sense_errors, 36, 4, "dot3StatsCarrierSenseErrors")		\
	X(frame_too_longs, 40, 4, "dot3StatsFrameTooLongs")			\
	X(internal_mac_rx_errors, 44, 4, "dot3StatsInternalMacReceiveErrors")	\
	X(symbol_errors, 48, 4, "dot3StatsSymbolErrors")
#define NFX_SFLOW_ETHER_LEN	52

struct nfx_sflow_generic {
	uint32_t if_type;		/* IANA ifType */
	uint64_t if_speed;		/* bit/s */
	uint32_t if_direction;		/* 0 unknown, 1 full duplex, 2 half, 3 in, 4 out */
	uint32_t if_status;		/* bit 0 admin up, bit 1 oper up */
	uint32_t if_promisc;		/* 1 promiscuous */
#define NFX_SFLOW_CTR_FIELD_(name, off, size, help) uint64_t name;
	NFX_SFLOW_GENERIC_COUNTERS(NFX_SFLOW_CTR_FIELD_)
};

struct nfx_sflow_ether {
	NFX_SFLOW_ETHER_COUNTERS(NFX_SFLOW_CTR_FIELD_)
#undef NFX_SFLOW_CTR_FIELD_
};

/* One interface of one agent: what its last counter samples said. */
struct nfx_sflow_if {
	struct nfx_addr agent;		/* the datagram's agent address */
	uint32_t if_index;
	uint32_t sub_agent;		/* of the last sample */
	uint32_t sample_seq;		/* the last counter sample's sequence number */
	uint32_t uptime_ms;		/* the agent's uptime when it sent it */
	uint64_t updated_ms;		/* when it arrived */
	uint8_t has_generic;		/* gen / eth hold a record */
	uint8_t has_ether;
	struct nfx_sflow_generic gen;
	struct nfx_sflow_ether eth;
};

struct nfx_sflow_ctr;

/* Returns NULL with errno set.  max_ifs 0 = default (4096), at most 2^20. */
struct nfx_sflow_ctr *nfx_sflow_ctr_new(uint32_t max_ifs);
void nfx_sflow_ctr_free(struct nfx_sflow_ctr *s);

/**
 * nfx_sflow_ctr_get() - the entry of (@agent, @if_index), added (zeroed,
 * key set) when new.  NULL when it is new and the store is full.  The
 * caller fills it and sets updated_ms (what the sweep goes by).
 */
struct nfx_sflow_if *nfx_sflow_ctr_get(struct nfx_sflow_ctr *s, const struct nfx_addr *agent,
				       uint32_t if_index);
/* Forget interfaces not updated for ttl_ms.  Returns how many went. */
uint32_t nfx_sflow_ctr_sweep(struct nfx_sflow_ctr *s, uint64_t now_ms, uint64_t ttl_ms);
uint32_t nfx_sflow_ctr_count(const struct nfx_sflow_ctr *s);

/* Calls @fn for every interface held, in no particular order; @fn must not change the store. */
void nfx_sflow_ctr_foreach(const struct nfx_sflow_ctr *s,
			   void (*fn)(void *ctx, const struct nfx_sflow_if *e), void *ctx);

#endif /* NFX_SFLOW_CTR_H */
