/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * plan.h - a v9/IPFIX template compiled into a decode plan: a flat array
 * of ops, one per field the record keeps, so that the data path is a loop
 * over ops (dataset.c) and nothing about the template is looked up per
 * record.  The listener's additional-field mappings are compiled in as
 * more ops; they are handed in, since they depend on the port the template
 * arrived on.
 */
#ifndef NFX_PLAN_H
#define NFX_PLAN_H

#include <stdint.h>

#include "base/fieldmap.h"

#define NFX_TMPL_MAX_FIELDS	512	/* larger templates are rejected */
#define NFX_VARLEN		0xffff	/* IPFIX variable-length field length */

/* A template field as sent (v9: pen 0, never varlen). */
struct nfx_field_spec {
	uint16_t id;
	uint16_t len;
	uint32_t pen;
};

/* A template record as sent: what the compiler reads. */
struct nfx_tmpl_rec {
	const struct nfx_field_spec *fs;
	unsigned int n;			/* fields */
	unsigned int nscope;		/* leading scope fields; their values are skipped */
	int options;			/* an options template: its data feeds the domain */
};

/* The mappings that apply to one template. */
struct nfx_plan_maps {
	const struct nfx_fieldmap *v;	/* the whole table: an op names its entry by index */
	unsigned int n;
	uint16_t port;			/* listener the template came to: others' entries skipped */
};

/* One step of a decode plan. */
struct nfx_op {
	uint16_t off;		/* offset in the record (fixed-length plans) */
	uint16_t len;		/* field length, NFX_VARLEN for variable length */
	uint8_t xf;		/* enum nfx_xf, NFX_XF_SKIP in varlen plans */
	uint8_t pad;
};

struct nfx_plan {
	struct nfx_op ops[NFX_TMPL_MAX_FIELDS];
	unsigned int nops;
	unsigned int nfields;	/* of the template */
	uint32_t rec_len;	/* fixed length, or the minimum with varlen fields */
	uint8_t varlen;		/* walk every field, lengths read at run time */
	uint8_t options;	/* options template */
	uint8_t flow;		/* data template with a flow field: records are flows */
};

/**
 * nfx_plan_compile() - compile template record @r into @p.  Each output
 * field is fed by the best-priority element of the template that carries
 * it; a mapping of @maps' listener wins over the usual element.
 * @return 0, or -EINVAL for no fields, more than NFX_TMPL_MAX_FIELDS or
 *         more scope fields than fields (@p is then undefined).  A plan
 *         whose rec_len is 0 or longer than a message can carry is the
 *         caller's to refuse.
 */
int nfx_plan_compile(struct nfx_plan *p, const struct nfx_tmpl_rec *r,
		     const struct nfx_plan_maps *maps);

#endif /* NFX_PLAN_H */
