/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sets.h - what NetFlow v9 and IPFIX do alike once their own header and
 * set framing are read: start a message, learn a template record (compile,
 * store, replay the data held for it) and decode or hold a data set.
 */
#ifndef NFX_SETS_H
#define NFX_SETS_H

#include <stddef.h>
#include <stdint.h>

#include "decode/dataset.h"
#include "decode/decode.h"
#include "decode/plan.h"
#include "decode/tmpl_cache.h"

/* The longest record a UDP message of each protocol could carry. */
#define NFX_V9_MAX_REC		(65535 - 20 - 4)
#define NFX_IPFIX_MAX_REC	(65535 - 16 - 4)

/*
 * nfx_msg_begin() - start decoding message @m of @d from @src: its
 * exporter-domain state (counted in exporter_limit when the table is
 * full) and the fields every record of it shares.  m->proto must be set.
 */
void nfx_msg_begin(struct nfx_decoder *d, struct nfx_msg *m, const struct nfx_src *src,
		   const struct nfx_sink *out, uint8_t type, uint32_t domain, uint32_t seq);

/*
 * nfx_sets_learn() - learn template record @r as @k, compiled with the
 * mappings of the listener @src came to; a record longer than a message
 * of @k's protocol can carry is a bad template.  Counted as
 * templates_learned, bad_template, template_limit or
 * template_exporter_limit; data held for it is decoded now.
 */
void nfx_sets_learn(struct nfx_decoder *d, struct nfx_msg *m, const struct nfx_src *src,
		    const struct nfx_tkey *k, const struct nfx_tmpl_rec *r);

/*
 * nfx_sets_store() - compile template record @r of @k's protocol with the
 * mappings of listener @lport and store it as @k, used last at @now_ms,
 * without counting: the state file's templates (dec_state.c).
 * @return 0, or the errors of nfx_plan_compile() and nfx_tmpl_store()
 *         (-EINVAL also for a record no message of the protocol can carry).
 */
int nfx_sets_store(struct nfx_decoder *d, const struct nfx_tkey *k,
		   const struct nfx_tmpl_rec *r, uint16_t lport, uint64_t now_ms);

/*
 * nfx_sets_data() - a data set of message @m: decoded with its template,
 * or held until the template arrives (counted as template_not_found).  A
 * data set that turns out malformed drops its template, which the next
 * refresh brings back.
 */
void nfx_sets_data(struct nfx_decoder *d, struct nfx_msg *m, const struct nfx_src *src,
		   uint32_t domain, uint16_t tid, const uint8_t *p, size_t len);

#endif /* NFX_SETS_H */
