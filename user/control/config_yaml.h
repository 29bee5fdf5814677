/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * config_yaml.h - a YAML configuration file (a datadog.yaml, or nfxdp's own
 * keys written in YAML) turned into the json-c tree that config.c's one
 * option table reads, with the line and column of every node kept aside so
 * that a message can say where a value was written.
 *
 * The document is input like any other and bounded: nesting depth, node
 * count (an alias counts as every node it repeats, so an alias bomb is
 * refused before it is walked) and one document per file.
 */
#ifndef NFX_CONFIG_YAML_H
#define NFX_CONFIG_YAML_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define NFX_YAML_MAX_DEPTH	64	/* nested mappings and sequences */
#define NFX_YAML_MAX_NODES	16384	/* aliases counted as what they repeat; ~13 MiB at most */
#define NFX_YAML_MAX_ANCHORS	1024

/* Where a node was written; @text is a plain scalar as written, for string keys. */
struct nfx_yaml_mark {
	const json_object *node;
	uint32_t line, col;	/* 1-based */
	char *text;		/* plain scalars that resolved to a non-string, else NULL */
};

struct nfx_yaml_doc {
	json_object *root;		/* NULL for an empty document */
	struct nfx_yaml_mark *marks;	/* sorted by node */
	size_t nmarks;
};

/**
 * nfx_yaml_load() - parse @text as one YAML document (YAML 1.2 core schema
 * for plain scalars, plus the Agent's yes/no/on/off booleans).
 * @doc:  receives the tree and its marks on success; nfx_yaml_doc_free() it
 * @err:  "L:C: what" on failure
 * @return 0; -EINVAL for a syntax error, a duplicate key, a key that is not a
 * scalar, an unknown alias or tag, a second document; -E2BIG over a bound;
 * -ENOMEM.
 */
int nfx_yaml_load(const char *text, size_t len, struct nfx_yaml_doc *doc, char *err,
		  size_t errlen);

void nfx_yaml_doc_free(struct nfx_yaml_doc *doc);

/* The mark of @node, NULL when it did not come from @doc (or @doc is NULL). */
const struct nfx_yaml_mark *nfx_yaml_mark(const struct nfx_yaml_doc *doc, const json_object *node);

#endif /* NFX_CONFIG_YAML_H */
