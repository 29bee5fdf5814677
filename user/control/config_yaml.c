// SPDX-License-Identifier: BSD-2-Clause
/*
 * config_yaml.c - YAML into a json-c tree with libyaml's event parser
 * (yaml_parser_parse), so the configuration keeps one option table and one
 * set of checks (config.c) whatever the file's syntax.
 *
 * libyaml's own document loader is not used: it builds the whole node graph
 * first and would expand nothing for us to count.  Here every event is
 * checked as it arrives: depth, node count (an alias adds the size of what it
 * repeats, while the tree only takes a reference), anchors, one document.
 * Plain scalars resolve as YAML 1.2's core schema does, plus the YAML 1.1
 * booleans yes/no/on/off that the Agent's own parser accepts; quoted
 * scalars are always strings.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "control/config_yaml.h"

struct anchor {
	char *name;
	json_object *node;	/* borrowed: the tree holds it */
	size_t count;		/* nodes it stands for */
};

struct yctx {
	yaml_parser_t parser;
	yaml_event_t ev;	/* the current event */
	bool have_ev;
	struct nfx_yaml_doc *doc;
	size_t cap;		/* of doc->marks */
	size_t nodes;		/* expanded */
	struct anchor anchors[NFX_YAML_MAX_ANCHORS];
	size_t nanchors;
	char *err;
	size_t errlen;
};

static int yerr(struct yctx *y, int err, const yaml_mark_t *m, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* "L:C: what" into the caller's buffer; returns @err. */
static int yerr(struct yctx *y, int err, const yaml_mark_t *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!y->err || !y->errlen)
		return err;
	n = snprintf(y->err, y->errlen, "%zu:%zu: ", m->line + 1, m->column + 1);
	if (n >= 0 && (size_t)n < y->errlen) {
		va_start(ap, fmt);
		vsnprintf(y->err + n, y->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return err;
}

static int syntax_error(struct yctx *y)
{
	const yaml_parser_t *p = &y->parser;

	if (p->error == YAML_MEMORY_ERROR)
		return -ENOMEM;
	if (p->context)
		return yerr(y, -EINVAL, &p->problem_mark, "YAML syntax error: %s (%s at %zu:%zu)",
			    p->problem ? p->problem : "?", p->context, p->context_mark.line + 1,
			    p->context_mark.column + 1);
	return yerr(y, -EINVAL, &p->problem_mark, "YAML syntax error: %s",
		    p->problem ? p->problem : "?");
}

static int next(struct yctx *y)
{
	if (y->have_ev)
		yaml_event_delete(&y->ev);
	y->have_ev = yaml_parser_parse(&y->parser, &y->ev) != 0;
	return y->have_ev ? 0 : syntax_error(y);
}

/* Counts @n more nodes against the bound; aliases count what they repeat. */
static int count_nodes(struct yctx *y, size_t n)
{
	if (n > NFX_YAML_MAX_NODES - y->nodes)
		return yerr(y, -E2BIG, &y->ev.start_mark,
			    "more than %u YAML nodes (an alias counts every node it repeats)",
			    NFX_YAML_MAX_NODES);
	y->nodes += n;
	return 0;
}

static int add_mark(struct yctx *y, const json_object *node, const char *text)
{
	struct nfx_yaml_doc *d = y->doc;
	struct nfx_yaml_mark *m;

	if (!node)		/* json-c's null is NULL: nothing to point at */
		return 0;
	if (d->nmarks == y->cap) {
		size_t cap = y->cap ? 2 * y->cap : 64;

		m = realloc(d->marks, cap * sizeof(*m));
		if (!m)
			return -ENOMEM;
		d->marks = m;
		y->cap = cap;
	}
	m = &d->marks[d->nmarks];
	m->node = node;
	m->line = (uint32_t)y->ev.start_mark.line + 1;
	m->col = (uint32_t)y->ev.start_mark.column + 1;
	m->text = NULL;
	if (text && !(m->text = strdup(text)))
		return -ENOMEM;
	d->nmarks++;
	return 0;
}

/* ---- scalars ---- */

static bool word_in(const char *s, const char *const *words)
{
	for (unsigned int i = 0; words[i]; i++)
		if (!strcmp(s, words[i]))
			return true;
	return false;
}

static bool all_of(const char *s, const char *set)
{
	return *s && strspn(s, set) == strlen(s);
}

/* [-+]?[0-9]+, 0x[0-9a-fA-F]+ or 0o[0-7]+; what does not fit is clamped as json-c does. */
static json_object *resolve_int(const char *s)
{
	const char *d = s + (*s == '-' || *s == '+');
	unsigned long long u;
	long long v;

	if (!strncmp(s, "0x", 2) && all_of(s + 2, "0123456789abcdefABCDEF")) {
		errno = 0;
		u = strtoull(s + 2, NULL, 16);
		return json_object_new_uint64(errno ? UINT64_MAX : u);
	}
	if (!strncmp(s, "0o", 2) && all_of(s + 2, "01234567")) {
		errno = 0;
		u = strtoull(s + 2, NULL, 8);
		return json_object_new_uint64(errno ? UINT64_MAX : u);
	}
	if (!all_of(d, "0123456789"))
		return NULL;
	errno = 0;
	v = strtoll(s, NULL, 10);
	if (errno != ERANGE)
		return json_object_new_int64(v);
	if (*s == '-')
		return json_object_new_int64(INT64_MIN);
	errno = 0;
	u = strtoull(s, NULL, 10);
	return json_object_new_uint64(errno ? UINT64_MAX : u);
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, .inf, .nan */
static bool is_float(const char *s)
{
	static const char *const special[] = { ".inf", ".Inf", ".INF", "-.inf", "-.Inf",
					       "-.INF", "+.inf", "+.Inf", "+.INF", ".nan",
					       ".NaN", ".NAN", NULL };
	size_t i = 0, digits = 0;

	if (word_in(s, special))
		return true;
	i += s[i] == '-' || s[i] == '+';
	while (s[i] >= '0' && s[i] <= '9')
		i++, digits++;
	if (s[i] == '.')
		for (i++; s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
	if (!digits)
		return false;
	if (s[i] == 'e' || s[i] == 'E') {
		i++;
		i += s[i] == '-' || s[i] == '+';
		if (s[i] < '0' || s[i] > '9')
			return false;
		while (s[i] >= '0' && s[i] <= '9')
			i++;
	}
	return s[i] == '\0';
}

enum scalar_kind { SK_NULL, SK_BOOL, SK_INT, SK_FLOAT, SK_STR };

static enum scalar_kind plain_kind(const char *s)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
	static const char *const bools[] = { "true", "True", "TRUE", "false", "False", "FALSE",
					     "yes", "Yes", "YES", "no", "No", "NO",
					     "on", "On", "ON", "off", "Off", "OFF", NULL };
	const char *d = s + (*s == '-' || *s == '+');

	if (word_in(s, nulls))
		return SK_NULL;
	if (word_in(s, bools))
		return SK_BOOL;
	if (all_of(d, "0123456789") || (!strncmp(s, "0x", 2) && all_of(s + 2, "0123456789abcdefABCDEF")) ||
	    (!strncmp(s, "0o", 2) && all_of(s + 2, "01234567")))
		return SK_INT;
	if (is_float(s))
		return SK_FLOAT;
	return SK_STR;
}

/* An explicit core tag: the kind it asks for; -1 for a tag nfxdp does not know. */
static int tag_kind(const char *tag)
{
	static const struct { const char *tag; enum scalar_kind kind; } tags[] = {
		{ YAML_STR_TAG, SK_STR },     { YAML_INT_TAG, SK_INT }, { YAML_FLOAT_TAG, SK_FLOAT },
		{ YAML_BOOL_TAG, SK_BOOL },   { YAML_NULL_TAG, SK_NULL },
	};

	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (!strcmp(tag, tags[i].tag))
			return (int)tags[i].kind;
	return -1;
}

static json_object *make_scalar(enum scalar_kind k, const char *s, size_t len)
{
	switch (k) {
	case SK_BOOL:
		return json_object_new_boolean(strchr("tTyY", s[0]) || !strcmp(s, "on") ||
					       !strcmp(s, "On") || !strcmp(s, "ON"));
	case SK_INT:
		return resolve_int(s);
	case SK_FLOAT:
		if (strstr(s, ".inf") || strstr(s, ".Inf") || strstr(s, ".INF"))
			return json_object_new_double(s[0] == '-' ? -INFINITY : INFINITY);
		if (strstr(s, ".nan") || strstr(s, ".NaN") || strstr(s, ".NAN"))
			return json_object_new_double(NAN);
		return json_object_new_double(strtod(s, NULL));
	default:
		return json_object_new_string_len(s, (int)len);
	}
}

static int parse_scalar(struct yctx *y, json_object **out)
{
	const char *s = (const char *)y->ev.data.scalar.value;
	const char *tag = (const char *)y->ev.data.scalar.tag;
	size_t len = y->ev.data.scalar.length;
	enum scalar_kind k = SK_STR;
	bool plain = y->ev.data.scalar.plain_implicit;

	if (tag && strcmp(tag, "!")) {
		int want = tag_kind(tag);

		if (want < 0)
			return yerr(y, -EINVAL, &y->ev.start_mark, "YAML tag %s is not supported",
				    tag);
		k = want == SK_STR ? SK_STR : plain_kind(s);
		if (k != (enum scalar_kind)want)
			return yerr(y, -EINVAL, &y->ev.start_mark, "\"%s\" does not fit its tag %s",
				    s, tag);
	} else if (plain) {
		k = plain_kind(s);
	}
	if (k != SK_STR && strlen(s) != len)	/* !!int "1\0junk" is no integer */
		return yerr(y, -EINVAL, &y->ev.start_mark, "a NUL character in a %s",
			    tag ? tag : "scalar");
	if (k == SK_NULL) {
		*out = NULL;
		return 0;
	}
	if (len > INT32_MAX)
		return yerr(y, -E2BIG, &y->ev.start_mark, "scalar too long");
	*out = make_scalar(k, s, len);
	if (!*out)
		return -ENOMEM;
	/* a plain 2024 or 0640 is still its text to a key that wants a string */
	return add_mark(y, *out, k == SK_STR ? NULL : s);
}

/* ---- anchors ---- */

static const yaml_char_t *event_anchor(const yaml_event_t *e)
{
	switch (e->type) {
	case YAML_SCALAR_EVENT:
		return e->data.scalar.anchor;
	case YAML_MAPPING_START_EVENT:
		return e->data.mapping_start.anchor;
	case YAML_SEQUENCE_START_EVENT:
		return e->data.sequence_start.anchor;
	default:
		return NULL;
	}
}

static int add_anchor(struct yctx *y, const yaml_mark_t *at, const yaml_char_t *name,
		      json_object *node, size_t count)
{
	struct anchor *a = &y->anchors[y->nanchors];

	if (y->nanchors == NFX_YAML_MAX_ANCHORS)
		return yerr(y, -E2BIG, at, "more than %u YAML anchors", NFX_YAML_MAX_ANCHORS);
	a->name = strdup((const char *)name);
	if (!a->name)
		return -ENOMEM;
	a->node = node;
	a->count = count;
	y->nanchors++;
	return 0;
}

/* *name: a new reference to the anchored node, counted as all of it. */
static int parse_alias(struct yctx *y, json_object **out, size_t *count)
{
	const char *name = (const char *)y->ev.data.alias.anchor;
	int err;

	/* the latest definition of a name wins, as YAML says */
	for (size_t i = y->nanchors; i-- > 0;) {
		if (strcmp(y->anchors[i].name, name))
			continue;
		err = count_nodes(y, y->anchors[i].count);
		if (err)
			return err;
		*out = json_object_get(y->anchors[i].node);
		*count = y->anchors[i].count;
		return 0;
	}
	return yerr(y, -EINVAL, &y->ev.start_mark, "unknown YAML alias *%s", name);
}

/* ---- collections ---- */

static int parse_node(struct yctx *y, unsigned int depth, json_object **out, size_t *count);

/* Keys are scalars, unique, without NUL (json-c keys are C strings). */
static int mapping_key(struct yctx *y, json_object *obj, char **key)
{
	const char *k = (const char *)y->ev.data.scalar.value;

	if (y->ev.type != YAML_SCALAR_EVENT)
		return yerr(y, -EINVAL, &y->ev.start_mark, "a mapping key must be a scalar");
	if (strlen(k) != y->ev.data.scalar.length)
		return yerr(y, -EINVAL, &y->ev.start_mark, "a mapping key contains a NUL character");
	if (json_object_object_get_ex(obj, k, NULL))
		return yerr(y, -EINVAL, &y->ev.start_mark, "duplicate key \"%s\"", k);
	*key = strdup(k);
	return *key ? 0 : -ENOMEM;
}

static int parse_mapping(struct yctx *y, unsigned int depth, json_object *obj, size_t *count)
{
	int err;

	for (;;) {
		json_object *v = NULL;
		size_t n = 0;
		char *key = NULL;

		if ((err = next(y)))
			return err;
		if (y->ev.type == YAML_MAPPING_END_EVENT)
			return 0;
		err = mapping_key(y, obj, &key);
		if (!err)
			err = count_nodes(y, 1);
		if (!err && !(err = next(y)))
			err = parse_node(y, depth + 1, &v, &n);
		if (!err && json_object_object_add(obj, key, v))
			err = -ENOMEM;
		else if (!err)
			v = NULL;	/* the mapping owns it */
		json_object_put(v);
		free(key);
		if (err)
			return err;
		*count += n + 1;
	}
}

static int parse_sequence(struct yctx *y, unsigned int depth, json_object *arr, size_t *count)
{
	int err;

	for (;;) {
		json_object *v = NULL;
		size_t n = 0;

		if ((err = next(y)))
			return err;
		if (y->ev.type == YAML_SEQUENCE_END_EVENT)
			return 0;
		err = parse_node(y, depth + 1, &v, &n);
		if (!err && json_object_array_add(arr, v))
			err = -ENOMEM;
		if (err) {
			json_object_put(v);
			return err;
		}
		*count += n;
	}
}

static int parse_collection(struct yctx *y, unsigned int depth, json_object **out, size_t *count)
{
	bool map = y->ev.type == YAML_MAPPING_START_EVENT;
	const char *tag = (const char *)(map ? y->ev.data.mapping_start.tag
					     : y->ev.data.sequence_start.tag);
	int err;

	if (tag && strcmp(tag, map ? YAML_MAP_TAG : YAML_SEQ_TAG))
		return yerr(y, -EINVAL, &y->ev.start_mark, "YAML tag %s is not supported", tag);
	if (depth >= NFX_YAML_MAX_DEPTH)
		return yerr(y, -E2BIG, &y->ev.start_mark, "nested more than %u levels deep",
			    NFX_YAML_MAX_DEPTH);
	*out = map ? json_object_new_object() : json_object_new_array();
	if (!*out)
		return -ENOMEM;
	err = add_mark(y, *out, NULL);
	if (err)
		return err;
	return map ? parse_mapping(y, depth, *out, count) : parse_sequence(y, depth, *out, count);
}

/*
 * The node whose first event is current; returns with its last event
 * current.  *out is NULL for a null scalar; on error it may hold a partial
 * tree the caller frees.
 */
static int parse_node(struct yctx *y, unsigned int depth, json_object **out, size_t *count)
{
	yaml_mark_t start = y->ev.start_mark;
	const yaml_char_t *anchor = event_anchor(&y->ev);
	char *name = NULL;
	int err;

	*out = NULL;
	*count = 1;
	if (y->ev.type == YAML_ALIAS_EVENT)
		return parse_alias(y, out, count);
	err = count_nodes(y, 1);
	if (err)
		return err;
	/* the event is gone once the collection's end is read */
	if (anchor && !(name = strdup((const char *)anchor)))
		return -ENOMEM;
	switch (y->ev.type) {
	case YAML_SCALAR_EVENT:
		err = parse_scalar(y, out);
		break;
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT:
		err = parse_collection(y, depth, out, count);
		break;
	default:
		err = yerr(y, -EINVAL, &start, "unexpected YAML event %d", (int)y->ev.type);
		break;
	}
	if (!err && name)
		err = add_anchor(y, &start, (const yaml_char_t *)name, *out, *count);
	free(name);
	return err;
}

/* ---- document ---- */

static int mark_cmp(const void *a, const void *b)
{
	const struct nfx_yaml_mark *x = a, *y = b;

	return x->node < y->node ? -1 : x->node > y->node;
}

/* STREAM-START, at most one DOCUMENT, STREAM-END. */
static int parse_stream(struct yctx *y)
{
	size_t count;
	int err;

	if ((err = next(y)) || (err = next(y)))		/* STREAM-START, then the document */
		return err;
	if (y->ev.type == YAML_STREAM_END_EVENT)
		return 0;				/* nothing but comments: no document */
	if ((err = next(y)))				/* DOCUMENT-START, then the root */
		return err;
	err = parse_node(y, 0, &y->doc->root, &count);
	if (!err && !(err = next(y)))			/* DOCUMENT-END */
		err = next(y);
	if (!err && y->ev.type != YAML_STREAM_END_EVENT)
		err = yerr(y, -EINVAL, &y->ev.start_mark,
			   "a second YAML document: one configuration per file");
	return err;
}

int nfx_yaml_load(const char *text, size_t len, struct nfx_yaml_doc *doc, char *err,
		  size_t errlen)
{
	struct yctx *y = calloc(1, sizeof(*y));
	int rc;

	memset(doc, 0, sizeof(*doc));
	if (!y)
		return -ENOMEM;
	y->doc = doc;
	y->err = err;
	y->errlen = errlen;
	if (!yaml_parser_initialize(&y->parser)) {
		free(y);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&y->parser, (const unsigned char *)text, len);
	rc = parse_stream(y);
	if (y->have_ev)
		yaml_event_delete(&y->ev);
	yaml_parser_delete(&y->parser);
	for (size_t i = 0; i < y->nanchors; i++)
		free(y->anchors[i].name);
	free(y);
	if (rc) {
		nfx_yaml_doc_free(doc);
		return rc;
	}
	if (doc->nmarks)	/* a document of comments or a null has none: marks is NULL */
		qsort(doc->marks, doc->nmarks, sizeof(*doc->marks), mark_cmp);
	return 0;
}

void nfx_yaml_doc_free(struct nfx_yaml_doc *doc)
{
	json_object_put(doc->root);
	for (size_t i = 0; i < doc->nmarks; i++)
		free(doc->marks[i].text);
	free(doc->marks);
	memset(doc, 0, sizeof(*doc));
}

const struct nfx_yaml_mark *nfx_yaml_mark(const struct nfx_yaml_doc *doc, const json_object *node)
{
	struct nfx_yaml_mark key = { .node = node };

	if (!doc || !node || !doc->nmarks)
		return NULL;
	return bsearch(&key, doc->marks, doc->nmarks, sizeof(key), mark_cmp);
}
