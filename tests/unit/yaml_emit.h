/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * yaml_emit.h - a JSON configuration rewritten as block-style YAML, so the
 * JSON test cases run through the YAML path too.  The emitter remembers the
 * line and column where it wrote each value ("listeners[1].port"), which is
 * where a YAML error about that value must point.
 */
#ifndef NFX_YAML_EMIT_H
#define NFX_YAML_EMIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#define YE_MAX_POS 512

struct yaml_emit {
	char *buf;
	size_t len, cap;
	unsigned int line, col;		/* of the next byte, 1-based */
	struct { char path[160]; unsigned int line, col; } pos[YE_MAX_POS];
	size_t npos;
};

static void ye_put(struct yaml_emit *e, const char *s, size_t n)
{
	if (e->len + n + 1 > e->cap) {
		e->cap = (e->len + n + 1) * 2;
		e->buf = realloc(e->buf, e->cap);
		if (!e->buf)
			abort();
	}
	for (size_t i = 0; i < n; i++) {
		e->buf[e->len++] = s[i];
		if (s[i] == '\n') {
			e->line++;
			e->col = 1;
		} else {
			e->col++;
		}
	}
	e->buf[e->len] = '\0';
}

static void ye_str(struct yaml_emit *e, const char *s)
{
	ye_put(e, s, strlen(s));
}

static void ye_indent(struct yaml_emit *e, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		ye_put(e, " ", 1);
}

static void ye_here(struct yaml_emit *e, const char *path)
{
	if (e->npos == YE_MAX_POS)
		return;
	snprintf(e->pos[e->npos].path, sizeof(e->pos[0].path), "%s", path);
	e->pos[e->npos].line = e->line;
	e->pos[e->npos].col = e->col;
	e->npos++;
}

/* Strings double-quoted (escapes YAML shares with C), everything else as JSON writes it. */
static void ye_scalar(struct yaml_emit *e, json_object *v)
{
	const char *s;
	size_t n;

	if (!json_object_is_type(v, json_type_string)) {
		ye_str(e, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		return;
	}
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	ye_put(e, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		char esc[8];

		if (s[i] == '"' || s[i] == '\\') {
			snprintf(esc, sizeof(esc), "\\%c", s[i]);
			ye_str(e, esc);
		} else if ((unsigned char)s[i] < 0x20) {
			snprintf(esc, sizeof(esc), "\\x%02x", (unsigned char)s[i]);
			ye_str(e, esc);
		} else {
			ye_put(e, &s[i], 1);
		}
	}
	ye_put(e, "\"", 1);
}

static bool ye_block(json_object *v)
{
	return (json_object_is_type(v, json_type_object) && json_object_object_length(v)) ||
	       (json_object_is_type(v, json_type_array) && json_object_array_length(v));
}

static void ye_node(struct yaml_emit *e, json_object *v, unsigned int indent, const char *path,
		    bool inline_first);

/* A value after "key: " or "- ": scalars and empty collections on the same line. */
static void ye_value(struct yaml_emit *e, json_object *v, unsigned int indent, const char *path,
		     bool in_seq)
{
	if (!ye_block(v)) {
		ye_here(e, path);
		if (json_object_is_type(v, json_type_object))
			ye_str(e, "{}");
		else if (json_object_is_type(v, json_type_array))
			ye_str(e, "[]");
		else
			ye_scalar(e, v);
		ye_str(e, "\n");
		return;
	}
	if (in_seq && json_object_is_type(v, json_type_object)) {
		ye_node(e, v, indent, path, true);	/* first key after the "- " */
		return;
	}
	ye_str(e, "\n");
	ye_indent(e, indent);
	ye_node(e, v, indent, path, true);
}

/* A non-empty mapping or sequence; the cursor is at its first line's indentation. */
static void ye_node(struct yaml_emit *e, json_object *v, unsigned int indent, const char *path,
		    bool inline_first)
{
	char sub[160];
	bool first = true;

	ye_here(e, path);
	if (json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			if (!first || !inline_first)
				ye_indent(e, indent);
			first = false;
			ye_str(e, "- ");
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			ye_value(e, json_object_array_get_idx(v, i), indent + 2, sub, true);
		}
		return;
	}
	json_object_object_foreach(v, key, val) {
		if (!first || !inline_first)
			ye_indent(e, indent);
		first = false;
		ye_str(e, "\"");
		ye_str(e, key);
		ye_str(e, "\": ");
		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", key);
		ye_value(e, val, indent + 2, sub, false);
	}
}

/* @json as YAML into @e (free e->buf); 0, or -1 when it is not a JSON object. */
static int yaml_from_json(struct yaml_emit *e, const char *json)
{
	json_object *v = json_tokener_parse(json);

	memset(e, 0, sizeof(*e));
	e->line = e->col = 1;
	if (!v || !json_object_is_type(v, json_type_object)) {
		json_object_put(v);
		return -1;
	}
	if (ye_block(v))
		ye_node(e, v, 0, "", true);
	else
		ye_str(e, "{}\n");
	json_object_put(v);
	return 0;
}

/* Where @path, or the nearest value that contains it, was written. */
static bool yaml_pos(const struct yaml_emit *e, const char *path, unsigned int *line,
		     unsigned int *col)
{
	char p[160];

	snprintf(p, sizeof(p), "%s", path);
	for (;;) {
		char *cut;

		for (size_t i = 0; i < e->npos; i++)
			if (!strcmp(e->pos[i].path, p)) {
				*line = e->pos[i].line;
				*col = e->pos[i].col;
				return true;
			}
		cut = strrchr(p, '.');
		if (strrchr(p, '[') > cut)
			cut = strrchr(p, '[');
		if (!cut)
			return false;
		*cut = '\0';
	}
}

#endif /* NFX_YAML_EMIT_H */
