// SPDX-License-Identifier: BSD-2-Clause
/*
 * plan.c - the template compiler: field specifiers in, decode plan out.
 * Fixed-length plans keep only the fields that feed something, each with
 * its offset; variable-length plans keep every field (runs of skipped
 * fixed-length fields merged), since offsets are only known at run time.
 */
#include <errno.h>
#include <string.h>

#include "decode/ie.h"
#include "decode/plan.h"

#define PRIO_FORCED	0xfe	/* a mapping to a built-in field: nothing beats it */
#define PRIO_NONE	0xff

/* The mapping of @m's listener for element @fs, or NULL. */
static const struct nfx_fieldmap *field_map(const struct nfx_plan_maps *m,
					    const struct nfx_field_spec *fs)
{
	for (unsigned int i = 0; i < m->n; i++)
		if (m->v[i].field == fs->id && m->v[i].pen == fs->pen &&
		    (!m->v[i].port || m->v[i].port == m->port))
			return &m->v[i];
	return NULL;
}

/*
 * The transform a field feeds, or SKIP.  A mapping to a built-in field
 * borrows the transform of the element that normally feeds it, and
 * @forced says it must win over that element.
 */
static unsigned int field_xf(const struct nfx_plan_maps *m, const struct nfx_field_spec *fs,
			     int scope, int options, const struct nfx_ie **iep, int *forced)
{
	const struct nfx_fieldmap *map = options ? NULL : field_map(m, fs);
	const struct nfx_ie *ie;

	*iep = NULL;
	*forced = 0;
	/* the interface options data names: as a scope (Cisco) or a field */
	if (options && !fs->pen && (fs->id == 10 || fs->id == 14) && fs->len >= 1 && fs->len <= 8)
		return NFX_XF_OPT_IFINDEX;
	if (!scope && map && !map->builtin4) {
		if (map - m->v >= 255 - NFX_XF_EXTRA)
			return NFX_XF_SKIP;
		return NFX_XF_EXTRA + (unsigned int)(map - m->v);
	}
	if (!scope && map) {
		ie = nfx_ie_get(fs->len == 16 && map->builtin16 ? map->builtin16 : map->builtin4, 0);
		if (!ie || (fs->len != NFX_VARLEN && !nfx_ie_len_ok(ie->xf, fs->len)))
			return NFX_XF_SKIP;
		*iep = ie;
		*forced = 1;
		return ie->xf;
	}
	ie = nfx_ie_get(fs->id, fs->pen);
	/* scope values are skipped, except a sampler's id: its rate is keyed by it */
	if (!ie || (scope && !ie->scope))
		return NFX_XF_SKIP;
	if (ie->where != NFX_IE_BOTH && ie->where != (options ? NFX_IE_OPTIONS : NFX_IE_DATA))
		return NFX_XF_SKIP;
	if (fs->len != NFX_VARLEN && !nfx_ie_len_ok(ie->xf, fs->len))
		return NFX_XF_SKIP;
	*iep = ie;
	return ie->xf;
}

/* Fixed-length plans: drop the ops that lost their target to a later, better field. */
static void drop_skipped(struct nfx_plan *p)
{
	unsigned int j = 0;

	for (unsigned int i = 0; i < p->nops; i++)
		if (p->ops[i].xf != NFX_XF_SKIP)
			p->ops[j++] = p->ops[i];
	p->nops = j;
}

/*
 * A repeated address, port or protocol element (the same element id feeding
 * the same target).  RFC 7011 section 8: repeated elements follow the
 * order in which the Metering Process treated them, so the first is the
 * outer header (the tunnel: SRv6, IP-in-IP, GRE, VXLAN) and the last the
 * packet inside it, which is the flow.  The first occurrence goes to the
 * tunnel slot, occurrences between them are dropped; other repeated
 * elements keep their first occurrence as before.
 */
static int repeat_to_tunnel(struct nfx_plan *p, int16_t *tun, unsigned int target,
			    unsigned int o, unsigned int xf)
{
	unsigned int txf = nfx_xf_tunnel(xf);

	if (txf == NFX_XF_SKIP)
		return 0;
	if (tun[target] < 0) {
		p->ops[o].xf = (uint8_t)txf;
		tun[target] = (int16_t)o;
	} else {
		p->ops[o].xf = NFX_XF_SKIP;
	}
	return 1;
}

/*
 * A template listing both address families (IOS-XR): its family elements
 * fill per-family slots and the record's family is chosen per record
 * (dataset.c).  Templates of one family keep the direct transforms.
 */
static void dual_family(struct nfx_plan *p)
{
	unsigned int seen = 0;

	for (unsigned int i = 0; i < p->nops; i++)
		seen |= nfx_xf_family(p->ops[i].xf);
	if (seen != (4 | 6))
		return;
	for (unsigned int i = 0; i < p->nops; i++)
		if (nfx_xf_family(p->ops[i].xf) && p->ops[i].xf < NFX_XF_DUAL_FIRST)
			p->ops[i].xf = (uint8_t)(p->ops[i].xf - NFX_XF_SRC_V4 + NFX_XF_DUAL_FIRST);
}

int nfx_plan_compile(struct nfx_plan *p, const struct nfx_tmpl_rec *r,
		     const struct nfx_plan_maps *maps)
{
	uint16_t ids[NFX_TMPL_MAX_FIELDS];	/* of each op's element */
	int16_t tun[NFX_T_MAX];
	static const struct nfx_plan_maps none;
	uint8_t prio[NFX_TMPL_MAX_FIELDS];	/* of each op's element */
	const struct nfx_field_spec *fs = r->fs;
	int16_t best[NFX_T_MAX];
	uint32_t off = 0;

	if (!r->n || r->n > NFX_TMPL_MAX_FIELDS || r->nscope > r->n)
		return -EINVAL;
	if (!maps)
		maps = &none;
	memset(best, 0xff, sizeof(best));
	memset(tun, 0xff, sizeof(tun));
	p->nops = 0;
	p->nfields = r->n;
	p->varlen = 0;
	p->options = !!r->options;
	for (unsigned int i = 0; i < r->n; i++)
		if (fs[i].len == NFX_VARLEN)
			p->varlen = 1;
	for (unsigned int i = 0; i < r->n; i++) {
		const struct nfx_ie *ie;
		int forced;
		unsigned int xf = field_xf(maps, &fs[i], i < r->nscope, r->options, &ie, &forced);
		struct nfx_op *op;

		if (ie && best[ie->target] >= 0) {
			int16_t o = best[ie->target];

			/* a mapping beats the usual source; PRIO_FORCED keeps it there */
			if (!forced && prio[o] != PRIO_FORCED && ids[o] == fs[i].id &&
			    repeat_to_tunnel(p, tun, ie->target, (unsigned int)o, xf)) {
				/* this, the inner occurrence, is the flow's */
			} else if ((forced || ie->prio < prio[o]) && prio[o] != PRIO_FORCED) {
				/* the earlier op loses its place to this field */
				p->ops[o].xf = NFX_XF_SKIP;
			} else {
				xf = NFX_XF_SKIP;
				ie = NULL;
			}
		}
		if (xf == NFX_XF_SKIP && !p->varlen) {
			off += fs[i].len;
			continue;
		}
		if (p->varlen && xf == NFX_XF_SKIP && fs[i].len != NFX_VARLEN && p->nops &&
		    p->ops[p->nops - 1].xf == NFX_XF_SKIP &&
		    p->ops[p->nops - 1].len != NFX_VARLEN &&
		    p->ops[p->nops - 1].len + fs[i].len < NFX_VARLEN) {
			p->ops[p->nops - 1].len += fs[i].len;
			off += fs[i].len;
			continue;
		}
		op = &p->ops[p->nops];
		op->off = (uint16_t)(off > 0xffff ? 0xffff : off);
		op->len = fs[i].len;
		op->xf = (uint8_t)xf;
		op->pad = 0;
		prio[p->nops] = ie ? (forced ? PRIO_FORCED : ie->prio) : PRIO_NONE;
		ids[p->nops] = fs[i].id;
		if (ie)
			best[ie->target] = (int16_t)p->nops;
		p->nops++;
		off += fs[i].len == NFX_VARLEN ? 1 : fs[i].len;
	}
	p->rec_len = off;
	if (!p->varlen)
		drop_skipped(p);
	dual_family(p);
	p->flow = 0;
	for (unsigned int i = 0; i < p->nops && !p->options; i++)
		if (p->ops[i].xf != NFX_XF_SKIP && !nfx_xf_is_context(p->ops[i].xf))
			p->flow = 1;
	return 0;
}
