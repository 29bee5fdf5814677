/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dec_state.h - what a decoder knows that outlives its process, as bytes:
 * the v9/IPFIX templates (as sent, with their scope and the listener port
 * whose mappings they were compiled with), each exporter-domain's options
 * state (sampling rate, system init time) and sequence, and the legacy and
 * sFlow sequence sessions.  The daemon writes them to its state file and
 * reads them back at start (control/state_file.c); a hand-over passes them
 * the same way.
 *
 * The format (all numbers big-endian):
 *   header   "NFXDPST\n", version u32, flags u32 (0), written_ms u64,
 *            body length u64, checksum u64 (64-bit FNV-1a of the header's
 *            first 32 bytes and the body)
 *   body     records: type u8, length u32, then that many bytes
 *            T (template)  proto u8, exporter addr[16], exporter port u16,
 *                          domain u32, template id u16, last_ms u64,
 *                          listener port u16, options u8, scope fields u16,
 *                          fields u16, fields x (id u16, length u16, pen u32)
 *            D (domain)    proto u8, addr[16], port u16, domain u32,
 *                          last_ms u64, sysinit_ms u64, sampling rate u32,
 *                          last sequence u32, its advance u32, flags u8
 *                          (1 sysinit known, 2 sequence valid, 4 quirk),
 *                          template ids seen 4 x u64, then samplers u8
 *                          (at most 8; absent in files of earlier builds)
 *                          and that many (sampler id u64, rate u32, not 0)
 *            S (session)   version u8, addr[16], domain u32, last_seen_ms u64,
 *                          next sequence u32
 * Templates are kept as the exporter sent them, never as compiled plans:
 * plans hold indices into the mapping table, which the next process may
 * have changed.  A file is taken whole or not at all: the header, the
 * checksum and every record are checked before anything is applied.
 */
#ifndef NFX_DEC_STATE_H
#define NFX_DEC_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"

#define NFX_STATE_VERSION	1
#define NFX_STATE_HDR_LEN	40
/* The largest state a process writes or reads: what a reader allocates at most. */
#define NFX_STATE_MAX_BYTES	(64u << 20)

/* A state being written: grows up to NFX_STATE_MAX_BYTES. */
struct nfx_state_buf {
	uint8_t *p;
	size_t len, cap;
	uint64_t left_out;	/* entries that did not fit */
};

/* What one load took and left (counted in the decoder's stats too). */
struct nfx_state_loaded {
	uint32_t templates;
	uint32_t exporters;
	uint32_t sessions;
	uint32_t expired;	/* older than the TTL */
	uint32_t refused;	/* the compiler or a full table said no */
};

/**
 * nfx_state_write() - the state of decoders @decs[0..n) (a daemon's
 * workers) into @b as one whole file, written at @now_ms.  Entries beyond
 * NFX_STATE_MAX_BYTES are left out and counted in b->left_out.
 * @return 0 or -ENOMEM.  nfx_state_buf_free() either way.
 */
int nfx_state_write(struct nfx_state_buf *b, struct nfx_decoder *const *decs, int n,
		    uint64_t now_ms);
void nfx_state_buf_free(struct nfx_state_buf *b);

/**
 * nfx_state_check() - whether @buf[0..len) is a whole state file nfxdp can
 * read: magic, version, length, checksum and every record.
 * @return 0, or -EBADMSG (with *@why saying what is wrong: truncated,
 *         checksum, foreign, version, a bad record).
 */
int nfx_state_check(const uint8_t *buf, size_t len, const char **why);

/**
 * nfx_state_load() - take the checked state @buf[0..len) into @d at
 * @now_ms: entries unused for @ttl_ms are dropped, an entry that @d holds
 * more recently is kept.  Templates are compiled again with @d's mappings.
 * @return 0, or -EBADMSG as nfx_state_check() (nothing taken then).
 */
int nfx_state_load(struct nfx_decoder *d, const uint8_t *buf, size_t len, uint64_t now_ms,
		   uint64_t ttl_ms, struct nfx_state_loaded *out, const char **why);

#endif /* NFX_DEC_STATE_H */
