// SPDX-License-Identifier: BSD-2-Clause
/*
 * sets.c - the template and data sets of v9 and IPFIX, handled alike:
 * this is where the template cache, the plan compiler, the data set walker
 * and the pending buffer meet, each handed what it needs for one message.
 */
#include <errno.h>

#include "decode/pending.h"
#include "decode/sets.h"

void nfx_msg_begin(struct nfx_decoder *d, struct nfx_msg *m, const struct nfx_src *src,
		   const struct nfx_sink *out, uint8_t type, uint32_t domain, uint32_t seq)
{
	struct nfx_tkey dk;

	m->st = &d->stats;
	m->out = out;
	m->pol = &d->pol;
	m->ifn = d->ifn;
	m->now_ms = src->now_ms;
	nfx_tmpl_key(d->tmpl, &dk, m->proto, src, domain, 0);
	m->dom = nfx_tmpl_domain(d->tmpl, &dk, m->now_ms);
	if (!m->dom)
		m->st->exporter_limit++;
	m->base.type = type;
	m->base.exporter = src->addr;
	m->base.exporter_port = src->port;
	m->base.domain_id = domain;
	m->base.sequence = seq;
	m->base.present = NFX_F_DOMAIN;
	if (m->pol->exporter_from_export && m->dom && m->dom->has_export_addr)
		m->base.exporter = m->dom->export_addr;
	m->rule = nfx_policy_rule(m->pol, &m->base.exporter);
}

int nfx_sets_store(struct nfx_decoder *d, const struct nfx_tkey *k,
		   const struct nfx_tmpl_rec *r, uint16_t lport, uint64_t now_ms)
{
	const struct nfx_plan_maps maps = { d->maps, d->nmaps, lport };
	uint32_t max_rec = k->proto == NFX_PROTO_V9 ? NFX_V9_MAX_REC : NFX_IPFIX_MAX_REC;
	struct nfx_plan plan;
	int err;

	err = nfx_plan_compile(&plan, r, &maps);
	if (err)
		return err;
	/* a record must fit a message and make the data walk move forward */
	if (!plan.rec_len || plan.rec_len > max_rec)
		return -EINVAL;
	return nfx_tmpl_store(d->tmpl, k, &plan, r, lport, now_ms);
}

void nfx_sets_learn(struct nfx_decoder *d, struct nfx_msg *m, const struct nfx_src *src,
		    const struct nfx_tkey *k, const struct nfx_tmpl_rec *r)
{
	switch (nfx_sets_store(d, k, r, src->dst_port, m->now_ms)) {
	case 0:
		m->st->templates_learned++;
		nfx_pending_run(d->pend, d->tmpl, m, k);
		break;
	case -EINVAL:
		m->st->bad_template++;
		break;
	case -EDQUOT:
		m->st->template_exporter_limit++;
		break;
	case -ENFILE:
		break;		/* the message already counts as exporter_limit */
	default:
		m->st->template_limit++;
		break;
	}
}

void nfx_sets_data(struct nfx_decoder *d, struct nfx_msg *m, const struct nfx_src *src,
		   uint32_t domain, uint16_t tid, const uint8_t *p, size_t len)
{
	const struct nfx_tmpl *t;
	struct nfx_tkey k;

	nfx_tmpl_key(d->tmpl, &k, m->proto, src, domain, tid);
	if (d->replaying) {
		/* only the options data: the receiving decoder emitted the flows */
		t = nfx_tmpl_peek(d->tmpl, &k);
		if (t && t->options)
			nfx_dataset_decode(m, t, p, len);
		return;
	}
	t = nfx_tmpl_find(d->tmpl, &k, m->now_ms);
	if (t && t->options)
		d->control_seen = 1;
	if (!t) {
		m->st->template_not_found++;
		if (m->dom)
			m->dom->template_not_found++;
		nfx_pending_add(d->pend, d->tmpl, m, tid, p, len);
		return;
	}
	if (nfx_dataset_decode(m, t, p, len))
		nfx_tmpl_remove(d->tmpl, &k);
}
