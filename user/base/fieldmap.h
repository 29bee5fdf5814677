/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fieldmap.h - additional-field mapping (the Datadog Agent's listener
 * `mapping`): an information element of a v9/IPFIX template is copied into
 * the record and written under a key of the operator's choosing, or, when
 * the key names a built-in field ("destination.port"), it feeds that field.
 * The template compiler turns a mapping into one more op of the plan, so
 * the data path pays only for fields that are mapped.
 */
#ifndef NFX_FIELDMAP_H
#define NFX_FIELDMAP_H

#include <stdint.h>

enum nfx_map_type {
	NFX_MAP_HEX = 0,		/* default: raw bytes as lowercase hex */
	NFX_MAP_STRING,
	NFX_MAP_INTEGER,
	NFX_MAP_IP,
};

/* At most this many mappings in all (the plan op encodes the index). */
#define NFX_FIELDMAP_MAX	64
#define NFX_FIELDMAP_KEY	64

struct nfx_fieldmap {
	uint32_t pen;			/* enterprise number (IPFIX), 0 = IANA */
	uint16_t port;			/* listener port it applies to; 0 = every one */
	uint16_t field;			/* element id (v9 field type) */
	uint8_t type;			/* enum nfx_map_type */
	uint8_t little_endian;		/* integers only */
	/*
	 * Built-in override: the element whose transform feeds the field the
	 * key names, for 4-byte and for 16-byte values (addresses differ by
	 * length); 0 when the key is not a built-in field.
	 */
	uint16_t builtin4, builtin16;
	char key[NFX_FIELDMAP_KEY];	/* output key, JSON-escaped */
};

/**
 * nfx_fieldmap_builtin() - the elements feeding the built-in output key
 * @key ("bytes", "source.port", "destination.ip", ...).
 * @return 1 and fills @ie4/@ie16 when @key is a built-in field, else 0.
 */
int nfx_fieldmap_builtin(const char *key, uint16_t *ie4, uint16_t *ie16);

/* Sets the output key (JSON-escaped).  0 or -ENAMETOOLONG. */
int nfx_fieldmap_set_key(struct nfx_fieldmap *m, const char *key);

#endif /* NFX_FIELDMAP_H */
