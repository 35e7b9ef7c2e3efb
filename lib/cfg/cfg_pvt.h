/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_CFG_PVT_H
#define SIPDP_CFG_PVT_H

/*
 * The schema is data: one table of fields per YAML mapping. A field is a
 * scalar (parsed and printed by a struct cfg_type), a nested mapping (its own
 * table) or a list (of mappings or of scalars). The loader, the defaults,
 * the dump and the docs walk all read the same tables, so a key added to a
 * table is loaded, printed and checked against the docs with no other change.
 */

#include <yaml.h>

#include "sipdp_base.h"
#include "sipdp_cfg.h"

struct cfg_ctx;
struct cfg_field;

struct cfg_type {
	const char *name; /* in "expected <name>" messages */
	/* Parse scalar node @n into @dst. 0, or -1 after reporting the error. */
	int (*parse)(struct cfg_ctx *ctx, const struct cfg_field *f,
		const yaml_node_t *n, void *dst);
	/* Print the value (no key, no newline). */
	void (*dump)(FILE *out, const struct cfg_field *f, const void *src);
	/* False when the value is "not set" and the dump leaves it out. */
	bool (*is_set)(const struct cfg_field *f, const void *src);
};

struct cfg_enum {
	const char *name;
	uint8_t value;
};

enum cfg_shape {
	CFG_SCALAR,
	CFG_MAP,
	CFG_LIST,
};

#define CFG_F_REQUIRED	0x01 /* key must be present (list: non-empty) */
#define CFG_F_SETFLAG	0x02 /* set the bool at set_off when present */
#define CFG_F_POW2	0x04 /* integer must be a power of two */
#define CFG_F_OPTIONAL	0x08 /* integer 0 / enum 0 means unset: not dumped */
#define CFG_F_NODUMP	0x10 /* the dump prints it some other way */
#define CFG_F_BLOCK	0x20 /* multi-line text (CRLF lines): dump as a | block */

struct cfg_field {
	const char *key;
	uint8_t shape;
	uint8_t flags;
	const struct cfg_type *type;      /* scalar, or list element type */
	size_t off;                       /* in the enclosing struct */
	size_t size;                      /* scalar size, or list element size */
	uint64_t min, max, def;           /* integers */
	const char *def_str;              /* strings */
	const struct cfg_enum *en;        /* enums: NULL-terminated */
	const struct cfg_section *sub;    /* map, or list of maps */
	size_t count_off;                 /* list: entry count */
	uint8_t count_size;               /* list: sizeof the count, 1 or 2 */
	size_t max_count;                 /* list: capacity */
	/*
	 * List with a default: absent means these entries, an empty list means
	 * none (bridge.headers: the allow-list). NULL: absent means empty.
	 */
	const void *def_list;
	size_t def_count;
	size_t set_off;                   /* CFG_F_SETFLAG: bool */
};

struct cfg_section {
	const char *name;
	const struct cfg_field *fields;
	size_t nb_fields;
	/*
	 * Cross-field rules, run after the mapping is parsed. @map is where
	 * errors about the whole mapping point (the key that introduced it);
	 * @seen[i] is the value node of fields[i], or NULL when absent.
	 */
	void (*check)(struct cfg_ctx *ctx, const struct cfg_section *sec, void *obj,
		const yaml_node_t *map, const yaml_node_t *const *seen);
};

#define CFG_MAX_FIELDS 32 /* bits of cfg_ctx.bad */

struct cfg_ctx {
	yaml_document_t *doc;
	struct sipdp_cfg_errors *errs;
	const char *base_dir;             /* for relative sdp_file, or NULL */
	char path[SIPDP_CFG_KEY_LEN];
	size_t plen;
	/*
	 * While a section check runs: bit i set when fields[i] had an error,
	 * so a rule comparing two values stays quiet about a value that is
	 * already reported (no cascades).
	 */
	uint32_t bad;
};

/* Root table, shared by load, dump and the docs walk. */
extern const struct cfg_section cfg_root_section;

/* cfg_load.c: errors and path. */
void cfg_err(struct cfg_ctx *ctx, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void cfg_err_at(struct cfg_ctx *ctx, const yaml_node_t *n, const char *key,
	const char *fmt, ...) __attribute__((format(printf, 4, 5)));
size_t cfg_path_push(struct cfg_ctx *ctx, const char *key);
size_t cfg_path_push_index(struct cfg_ctx *ctx, size_t i);
void cfg_path_pop(struct cfg_ctx *ctx, size_t old_len);
void cfg_errors_add(struct sipdp_cfg_errors *errs, uint32_t line, uint32_t col,
	const char *key, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* cfg_load.c: document helpers. */
const yaml_node_t *cfg_map_get(const struct cfg_ctx *ctx, const yaml_node_t *map,
	const char *key);
const yaml_node_t *cfg_seq_item(const struct cfg_ctx *ctx, const yaml_node_t *seq,
	size_t i);
const char *cfg_node_kind(const yaml_node_t *n);

/* cfg_schema.c: helpers shared with the dump. */
const char *cfg_enum_name(const struct cfg_enum *en, uint8_t v);
int cfg_sdp_fill(char *dst, size_t cap, const char *s, size_t len, char *why,
	size_t whylen);
void cfg_ip_str(const struct sipdp_cfg_ip *ip, bool with_prefix, char *buf, size_t len);
bool cfg_field_is_set(const struct cfg_field *f, const void *obj);

static inline void *
cfg_at(void *obj, size_t off)
{
	return (char *)obj + off;
}

static inline const void *
cfg_cat(const void *obj, size_t off)
{
	return (const char *)obj + off;
}

/* Entry count of list field @f in @obj (counts are uint8_t or uint16_t). */
static inline size_t
cfg_list_count(const struct cfg_field *f, const void *obj)
{
	const void *c = cfg_cat(obj, f->count_off);

	return f->count_size == 1 ? *(const uint8_t *)c : *(const uint16_t *)c;
}

static inline void
cfg_list_set_count(const struct cfg_field *f, void *obj, size_t n)
{
	void *c = cfg_at(obj, f->count_off);

	if (f->count_size == 1)
		*(uint8_t *)c = (uint8_t)n;
	else
		*(uint16_t *)c = (uint16_t)n;
}

#endif /* SIPDP_CFG_PVT_H */
