/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dec_stats.h - the decoder's counters (the kernel's are struct nfx_ctr),
 * each named once with its help text: NFX_DEC_COUNTERS(X) gives the struct,
 * the report of `nfxdp decode --stats`, the JSON of --stats-json and the
 * Prometheus families (nfx_decoder_NAME_total), all in the order listed.
 */
#ifndef NFX_DEC_STATS_H
#define NFX_DEC_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "decode/tmpl_cache.h"
#include "nfx/shared.h"

/* Per version slot: (name, help). */
#define NFX_DEC_SLOT_COUNTERS(X)					\
	X(packets, "Export messages handed to a decoder")		\
	X(records, "Flow records decoded")				\
	X(dropped, "Messages dropped whole")

/*
 * One number each: (name, help).  The template cache's own sit in the
 * middle, where it counts them itself (struct nfx_tmpl_opts.stats).  The
 * pending_* counters count data sets, except pending_records_decoded.
 */
#define NFX_DEC_COUNTERS_HEAD_(X)						\
	X(options_records, "Options data records read")				\
	X(short_pkt, "Messages shorter than their version's header")		\
	X(bad_version, "Messages of a version nfxdp does not decode")		\
	X(bad_count, "Legacy messages and sFlow datagrams whose record or sample count is out of range")	\
	X(length_mismatch, "Messages whose count or length disagrees with the datagram (too short for one set, bytes after the last set or sample)") \
	X(bad_set_length, "Sets whose length is below 4 or runs past the message") \
	X(bad_template, "Malformed template or options template records")	\
	X(template_not_found, "Data sets whose template is unknown")		\
	X(record_overrun, "Data records that run past their set")		\
	X(templates_learned, "Templates learned or refreshed")			\
	X(templates_withdrawn, "Templates withdrawn by their exporter")		\
	X(template_limit, "Templates refused: the template cache is full of recently used ones") \
	X(seq_lost, "Flows, packets or records missed by sequence number")	\
	X(seq_resets, "Sequence restarts seen")					\
	X(session_limit, "Legacy and sFlow sequence sessions not tracked: table full of recently used ones") \
	X(sessions_evicted, "Idle legacy and sFlow sequence sessions evicted to make room for a new one") \
	X(not_allowed, "Messages from an exporter not in the allow-list")	\
	X(exporter_limit, "v9/IPFIX messages of exporter-domains not tracked: table full of recently used ones") \
	X(template_exporter_limit, "Templates refused: the exporter-domain's quota is full")

#define NFX_DEC_COUNTERS_TAIL_(X)						\
	X(pending_buffered, "Data sets held until their template arrives")	\
	X(pending_decoded, "Held data sets decoded when their template arrived") \
	X(pending_records_decoded, "Flow records decoded from held data sets")	\
	X(pending_dropped, "Data sets not held for want of room, or held and then aged out, pushed out or gone with their exporter") \
	X(reserved_sets, "Sets with a reserved id, skipped")			\
	X(record_truncated, "Sets with non-zero bytes after their last record")	\
	X(sflow_flow_samples, "sFlow flow samples read (compact and expanded)")	\
	X(sflow_counter_samples, "sFlow counter samples read (compact and expanded)") \
	X(sflow_samples_skipped, "sFlow samples skipped: drop reports, other formats") \
	X(sflow_records_skipped, "sFlow records skipped: formats not decoded")	\
	X(sflow_bad_sample, "sFlow samples dropped: records that do not add up, or too many") \
	X(sflow_bad_record, "sFlow records ignored: too short, or a value out of range") \
	X(sflow_bad_agent, "sFlow datagrams whose agent address type is not 0, 1 or 2") \
	X(sflow_header_unsupported, "sFlow sampled headers not read: not Ethernet, IPv4, IPv6") \
	X(sflow_counter_limit, "sFlow interface counters refused: the counter store is full") \
	X(state_templates_restored, "Templates taken from the state file at start or hand-over") \
	X(state_entries_expired, "State file entries older than the template TTL, dropped at load") \
	X(state_entries_refused, "State file entries not taken: the template does not compile or a table is full") \
	X(state_files_refused, "State files refused: truncated, corrupt, foreign or of another version") \
	X(state_writes, "State files written") \
	X(state_write_errors, "State files not written: the state directory failed") \
	X(v9_varlen_fields, "v9 template fields of length 65535 read as IPFIX variable length (a tolerated deviation)") \
	X(sampler_limit, "Sampler rates not kept: the exporter-domain announced more samplers than it has slots for") \
	X(time_fallback, "Flow records whose start or end was absent, 0, unreadable or before the exporter's boot: taken from the other time or the message's export time") \
	X(biflow_reverse_records, "Reverse-direction records made from RFC 5103 biflows (biflow_reverse_records)") \
	X(if_name_limit, "Interface names from options data refused: the name table is full") \
	X(templates_replayed, "v9/IPFIX messages with templates or options data that another worker received, replayed here for them") \
	X(templates_replay_dropped, "Such messages not replayed: the worker's replay buffer was full")

/* What a replayed message (nfx_decode_replay()) does to the data this decoder held. */
#define NFX_DEC_REPLAY_KEPT(X)							\
	X(pending_decoded) X(pending_records_decoded) X(pending_dropped)	\
	X(record_overrun) X(record_truncated) X(time_fallback) X(biflow_reverse_records)

#define NFX_DEC_COUNTERS(X)							\
	NFX_DEC_COUNTERS_HEAD_(X)						\
	NFX_TMPL_COUNTERS(X)							\
	NFX_DEC_COUNTERS_TAIL_(X)

struct nfx_dec_stats {
#define NFX_DEC_SLOT_FIELD_(name, help) uint64_t name[NFX_SLOT_MAX];
	NFX_DEC_SLOT_COUNTERS(NFX_DEC_SLOT_FIELD_)
#undef NFX_DEC_SLOT_FIELD_
#define NFX_DEC_FIELD_(name, help) uint64_t name;
	NFX_DEC_COUNTERS_HEAD_(NFX_DEC_FIELD_)
	/* the same counters two ways: by name, and as the block the cache counts in */
	union {
		struct nfx_tmpl_stats tmpl;
		struct {
			NFX_TMPL_COUNTERS(NFX_DEC_FIELD_)
		};
	};
	NFX_DEC_COUNTERS_TAIL_(NFX_DEC_FIELD_)
#undef NFX_DEC_FIELD_
};

/* @to += @from, counter by counter (several workers' decoders as one). */
void nfx_dec_stats_add(struct nfx_dec_stats *to, const struct nfx_dec_stats *from);
/* The counters as a table, or as one JSON object when json is set. */
void nfx_dec_stats_print(FILE *f, const struct nfx_dec_stats *s, int json);
/* "v1" .. "ipfix", "other" */
const char *nfx_slot_name(unsigned int slot);

#endif /* NFX_DEC_STATS_H */
