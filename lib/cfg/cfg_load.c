/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loader: libyaml builds the document (nodes with marks), then one generic
 * walk applies the schema tables of cfg_schema.c. Nothing stops at the first
 * error: each problem is recorded with its line and the walk goes on, so an
 * operator fixes a file in one pass.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_pvt.h"

void
cfg_errors_add(struct sipdp_cfg_errors *errs, uint32_t line, uint32_t col,
	const char *key, const char *fmt, ...)
{
	va_list ap;

	if (errs->count >= SIPDP_CFG_ERRORS_MAX) {
		errs->dropped++;
		return;
	}
	struct sipdp_cfg_error *e = &errs->e[errs->count++];
	e->line = line;
	e->col = col;
	snprintf(e->key, sizeof(e->key), "%s", key ? key : "");
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

static void
cfg_verr(struct cfg_ctx *ctx, const yaml_node_t *n, const char *fmt, va_list ap)
{
	char msg[SIPDP_CFG_MSG_LEN];
	uint32_t line = 1, col = 1;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n != NULL) {
		line = (uint32_t)n->start_mark.line + 1;
		col = (uint32_t)n->start_mark.column + 1;
	}
	cfg_errors_add(ctx->errs, line, col, ctx->path, "%s", msg);
}

void
cfg_err(struct cfg_ctx *ctx, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_verr(ctx, n, fmt, ap);
	va_end(ap);
}

void
cfg_err_at(struct cfg_ctx *ctx, const yaml_node_t *n, const char *key,
	const char *fmt, ...)
{
	va_list ap;
	size_t old = cfg_path_push(ctx, key);

	va_start(ap, fmt);
	cfg_verr(ctx, n, fmt, ap);
	va_end(ap);
	cfg_path_pop(ctx, old);
}

size_t
cfg_path_push(struct cfg_ctx *ctx, const char *key)
{
	size_t old = ctx->plen;
	int n = snprintf(ctx->path + old, sizeof(ctx->path) - old, "%s%s",
		old ? "." : "", key);

	if (n > 0)
		ctx->plen = SIPDP_MIN(old + (size_t)n, sizeof(ctx->path) - 1);
	return old;
}

size_t
cfg_path_push_index(struct cfg_ctx *ctx, size_t i)
{
	size_t old = ctx->plen;
	int n = snprintf(ctx->path + old, sizeof(ctx->path) - old, "[%zu]", i);

	if (n > 0)
		ctx->plen = SIPDP_MIN(old + (size_t)n, sizeof(ctx->path) - 1);
	return old;
}

void
cfg_path_pop(struct cfg_ctx *ctx, size_t old_len)
{
	ctx->plen = old_len;
	ctx->path[old_len] = '\0';
}

const char *
cfg_node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return n->data.scalar.length ? "a scalar" : "an empty value";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

static bool
cfg_key_is(const yaml_node_t *k, const char *key)
{
	size_t len = strlen(key);

	return k->type == YAML_SCALAR_NODE && k->data.scalar.length == len &&
		memcmp(k->data.scalar.value, key, len) == 0;
}

const yaml_node_t *
cfg_map_get(const struct cfg_ctx *ctx, const yaml_node_t *map, const char *key)
{
	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_document_get_node(ctx->doc, p->key);
		if (k != NULL && cfg_key_is(k, key))
			return yaml_document_get_node(ctx->doc, p->value);
	}
	return NULL;
}

const yaml_node_t *
cfg_seq_item(const struct cfg_ctx *ctx, const yaml_node_t *seq, size_t i)
{
	if (seq == NULL || seq->type != YAML_SEQUENCE_NODE)
		return NULL;
	if (i >= (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start))
		return NULL;
	return yaml_document_get_node(ctx->doc, seq->data.sequence.items.start[i]);
}

/* Edit distance, to suggest the key the operator probably meant. */
static size_t
cfg_distance(const char *a, size_t la, const char *b)
{
	size_t lb = strlen(b), row[SIPDP_CFG_NAME_LEN];

	if (la >= SIPDP_CFG_NAME_LEN || lb >= SIPDP_CFG_NAME_LEN)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			best = SIPDP_MIN(best, row[j - 1] + 1);
			best = SIPDP_MIN(best, up + 1);
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static void
cfg_apply_defaults(const struct cfg_section *sec, void *obj)
{
	for (size_t i = 0; i < sec->nb_fields; i++) {
		const struct cfg_field *f = &sec->fields[i];
		void *dst = cfg_at(obj, f->off);

		if (f->shape == CFG_MAP) {
			cfg_apply_defaults(f->sub, dst);
		} else if (f->shape == CFG_LIST) {
			if (f->def_list != NULL) {
				memcpy(dst, f->def_list, f->def_count * f->size);
				cfg_list_set_count(f, obj, f->def_count);
			}
		} else if (f->shape == CFG_SCALAR) {
			if (f->def_str != NULL)
				snprintf(dst, f->size, "%s", f->def_str);
			else if (f->size == 1)
				*(uint8_t *)dst = (uint8_t)f->def;
			else if (f->size == 2)
				*(uint16_t *)dst = (uint16_t)f->def;
			else if (f->size == 4)
				*(uint32_t *)dst = (uint32_t)f->def;
			else if (f->size == 8)
				*(uint64_t *)dst = f->def;
		}
	}
}

static void cfg_parse_map(struct cfg_ctx *ctx, const struct cfg_section *sec,
	void *obj, const yaml_node_t *map, const yaml_node_t *at);

static void
cfg_parse_list(struct cfg_ctx *ctx, const struct cfg_field *f, void *obj,
	const yaml_node_t *seq)
{
	size_t n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);

	/* A list written replaces its default entries, even when empty. */
	cfg_list_set_count(f, obj, 0);
	if (n == 0 && (f->flags & CFG_F_REQUIRED))
		cfg_err(ctx, seq, "must not be empty");
	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *item = cfg_seq_item(ctx, seq, i);
		size_t old = cfg_path_push_index(ctx, i);

		if (i >= f->max_count) {
			cfg_err(ctx, item, "too many entries (at most %zu)", f->max_count);
			cfg_path_pop(ctx, old);
			break;
		}
		void *elem = cfg_at(obj, f->off + i * f->size);
		if (f->sub != NULL) {
			cfg_apply_defaults(f->sub, elem);
			cfg_parse_map(ctx, f->sub, elem, item, item);
		} else if (item->type != YAML_SCALAR_NODE) {
			cfg_err(ctx, item, "expected %s, got %s", f->type->name,
				cfg_node_kind(item));
		} else {
			struct cfg_field ef = *f;
			ef.off = 0;
			ef.shape = CFG_SCALAR;
			f->type->parse(ctx, &ef, item, elem);
		}
		cfg_list_set_count(f, obj, i + 1);
		cfg_path_pop(ctx, old);
	}
}

static void
cfg_parse_field(struct cfg_ctx *ctx, const struct cfg_field *f, void *obj,
	const yaml_node_t *k, const yaml_node_t *v)
{
	switch (f->shape) {
	case CFG_SCALAR:
		if (v->type != YAML_SCALAR_NODE) {
			cfg_err(ctx, v, "expected %s, got %s", f->type->name, cfg_node_kind(v));
			return;
		}
		if (f->type->parse(ctx, f, v, cfg_at(obj, f->off)) != 0)
			return;
		break;
	case CFG_MAP:
		if (v->type != YAML_MAPPING_NODE) {
			cfg_err(ctx, v, "expected a mapping (key: value), got %s",
				cfg_node_kind(v));
			return;
		}
		cfg_parse_map(ctx, f->sub, cfg_at(obj, f->off), v, k);
		break;
	case CFG_LIST:
		if (v->type != YAML_SEQUENCE_NODE) {
			cfg_err(ctx, v, "expected a list, got %s", cfg_node_kind(v));
			return;
		}
		cfg_parse_list(ctx, f, obj, v);
		break;
	}
	if (f->flags & CFG_F_SETFLAG)
		*(bool *)cfg_at(obj, f->set_off) = true;
}

/*
 * @at is where errors about the mapping as a whole (missing key, section
 * rules) point: the key that introduced it, since a block mapping's own mark
 * is its first key, one line below what the operator thinks of as "calls:".
 */
static void
cfg_parse_map(struct cfg_ctx *ctx, const struct cfg_section *sec, void *obj,
	const yaml_node_t *map, const yaml_node_t *at)
{
	const yaml_node_t *seen[CFG_MAX_FIELDS] = { NULL };
	uint32_t bad = 0;

	if (map->type != YAML_MAPPING_NODE) {
		cfg_err(ctx, map, "expected a mapping (key: value), got %s",
			cfg_node_kind(map));
		return;
	}
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_document_get_node(ctx->doc, p->key);
		const yaml_node_t *v = yaml_document_get_node(ctx->doc, p->value);
		size_t i;

		if (k->type != YAML_SCALAR_NODE) {
			cfg_err(ctx, k, "a key must be a plain name, got %s", cfg_node_kind(k));
			continue;
		}
		const char *ks = (const char *)k->data.scalar.value;
		size_t kl = k->data.scalar.length;
		for (i = 0; i < sec->nb_fields; i++)
			if (cfg_key_is(k, sec->fields[i].key))
				break;
		if (i == sec->nb_fields) {
			const char *best = NULL;
			size_t bestd = 3; /* suggest only near misses */
			for (size_t j = 0; j < sec->nb_fields; j++) {
				size_t d = cfg_distance(ks, kl, sec->fields[j].key);
				if (d < bestd) {
					bestd = d;
					best = sec->fields[j].key;
				}
			}
			if (best != NULL)
				cfg_err(ctx, k, "unknown key '%.*s' (did you mean '%s'?)",
					(int)SIPDP_MIN(kl, 64), ks, best);
			else
				cfg_err(ctx, k, "unknown key '%.*s' in %s",
					(int)SIPDP_MIN(kl, 64), ks, sec->name);
			continue;
		}
		size_t old = cfg_path_push(ctx, sec->fields[i].key);
		if (seen[i] != NULL) {
			/* YAML 1.2 §3.2.1.1: keys are unique; libyaml does not check. */
			cfg_err(ctx, k, "duplicate key (first set at line %zu)",
				seen[i]->start_mark.line + 1);
		} else {
			uint32_t before = ctx->errs->count + ctx->errs->dropped;
			seen[i] = v;
			cfg_parse_field(ctx, &sec->fields[i], obj, k, v);
			if (ctx->errs->count + ctx->errs->dropped != before)
				bad |= UINT32_C(1) << i;
		}
		cfg_path_pop(ctx, old);
	}
	for (size_t i = 0; i < sec->nb_fields; i++)
		if ((sec->fields[i].flags & CFG_F_REQUIRED) && seen[i] == NULL)
			cfg_err(ctx, at, "missing required key '%s'", sec->fields[i].key);
	if (sec->check != NULL) {
		ctx->bad = bad;
		sec->check(ctx, sec, obj, at, seen);
	}
}

static int
cfg_errcmp(const void *a, const void *b)
{
	const struct sipdp_cfg_error *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return 0;
}

static void
cfg_errors_sort(struct sipdp_cfg_errors *errs)
{
	/* Insertion sort: stable, so errors at one place keep their order. */
	for (uint32_t i = 1; i < errs->count; i++) {
		struct sipdp_cfg_error tmp = errs->e[i];
		uint32_t j = i;
		while (j > 0 && cfg_errcmp(&errs->e[j - 1], &tmp) > 0) {
			errs->e[j] = errs->e[j - 1];
			j--;
		}
		errs->e[j] = tmp;
	}
}

static void
cfg_parser_error(struct sipdp_cfg_errors *errs, const yaml_parser_t *p)
{
	const yaml_mark_t *m = &p->problem_mark;
	char ctxbuf[96] = "";

	if (p->context != NULL)
		snprintf(ctxbuf, sizeof(ctxbuf), " (%s at line %zu)", p->context,
			p->context_mark.line + 1);
	cfg_errors_add(errs, (uint32_t)m->line + 1, (uint32_t)m->column + 1, "",
		"YAML syntax error: %s%s", p->problem ? p->problem : "unknown problem",
		ctxbuf);
}

int
sipdp_cfg_load_string(const char *text, size_t len, const char *base_dir,
	struct sipdp_cfg **out, struct sipdp_cfg_errors *errs)
{
	struct sipdp_cfg_errors local;
	yaml_parser_t parser;
	yaml_document_t doc;
	struct cfg_ctx ctx;
	struct sipdp_cfg *cfg;

	if (errs == NULL)
		errs = &local;
	memset(errs, 0, sizeof(*errs));
	*out = NULL;
	if (len > SIPDP_CFG_FILE_MAX) {
		cfg_errors_add(errs, 0, 0, "", "file too large (%zu bytes, at most %u)",
			len, SIPDP_CFG_FILE_MAX);
		return -EFBIG;
	}
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL)
		return -ENOMEM;
	if (!yaml_parser_initialize(&parser)) {
		free(cfg);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	memset(&ctx, 0, sizeof(ctx));
	ctx.doc = &doc;
	ctx.errs = errs;
	ctx.base_dir = base_dir;

	if (!yaml_parser_load(&parser, &doc)) {
		if (parser.error == YAML_MEMORY_ERROR) {
			yaml_parser_delete(&parser);
			free(cfg);
			return -ENOMEM;
		}
		cfg_parser_error(errs, &parser);
		goto done;
	}
	const yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (root == NULL) {
		cfg_errors_add(errs, 1, 1, "", "empty configuration: expected a mapping "
			"with at least ports and lcores");
	} else {
		cfg_apply_defaults(&cfg_root_section, cfg);
		cfg_parse_map(&ctx, &cfg_root_section, cfg, root, root);
		/* A second document would be silently ignored: refuse it. */
		yaml_document_t next;
		if (!yaml_parser_load(&parser, &next)) {
			cfg_parser_error(errs, &parser);
		} else {
			const yaml_node_t *r2 = yaml_document_get_root_node(&next);
			if (r2 != NULL)
				cfg_errors_add(errs, (uint32_t)r2->start_mark.line + 1,
					(uint32_t)r2->start_mark.column + 1, "",
					"more than one YAML document: only one is read");
			yaml_document_delete(&next);
		}
	}
	yaml_document_delete(&doc);
done:
	yaml_parser_delete(&parser);
	cfg_errors_sort(errs);
	if (errs->count || errs->dropped) {
		free(cfg);
		return -EINVAL;
	}
	*out = cfg;
	return 0;
}

int
sipdp_cfg_load_file(const char *path, struct sipdp_cfg **out,
	struct sipdp_cfg_errors *errs)
{
	struct sipdp_cfg_errors local;
	char dir[SIPDP_CFG_PATH_LEN];
	char *buf = NULL;
	size_t len = 0;
	int ret;

	if (errs == NULL)
		errs = &local;
	memset(errs, 0, sizeof(*errs));
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		ret = -errno;
		cfg_errors_add(errs, 0, 0, "", "cannot open: %s", strerror(-ret));
		return ret;
	}
	/* Read at most one byte past the bound, so "too large" needs no stat. */
	buf = malloc(SIPDP_CFG_FILE_MAX + 1);
	if (buf == NULL) {
		fclose(f);
		return -ENOMEM;
	}
	len = fread(buf, 1, SIPDP_CFG_FILE_MAX + 1, f);
	if (ferror(f)) {
		ret = errno ? -errno : -EIO;
		cfg_errors_add(errs, 0, 0, "", "cannot read: %s", strerror(-ret));
		fclose(f);
		free(buf);
		return ret;
	}
	fclose(f);
	if (len > SIPDP_CFG_FILE_MAX) {
		cfg_errors_add(errs, 0, 0, "", "file too large (more than %u bytes)",
			SIPDP_CFG_FILE_MAX);
		free(buf);
		return -EFBIG;
	}
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	ret = sipdp_cfg_load_string(buf, len, dir, out, errs);
	free(buf);
	return ret;
}

void
sipdp_cfg_free(struct sipdp_cfg *cfg)
{
	free(cfg);
}

uint32_t
sipdp_cfg_errors_print(FILE *f, const struct sipdp_cfg_errors *errs, const char *path)
{
	if (path == NULL)
		path = "<config>";
	for (uint32_t i = 0; i < errs->count; i++) {
		const struct sipdp_cfg_error *e = &errs->e[i];

		fprintf(f, "%s:", path);
		if (e->line)
			fprintf(f, "%u:%u:", e->line, e->col);
		if (e->key[0])
			fprintf(f, " %s:", e->key);
		fprintf(f, " %s\n", e->msg);
	}
	if (errs->dropped)
		fprintf(f, "%s: %u more error(s) not shown\n", path, errs->dropped);
	return errs->count + errs->dropped;
}

int
sipdp_cfg_reload_check(const struct sipdp_cfg *cur, const struct sipdp_cfg *next,
	struct sipdp_cfg_errors *errs)
{
	struct sipdp_cfg_errors local;
	int ret = 0;

	if (cur == NULL || next == NULL)
		return -EINVAL;
	if (errs == NULL)
		errs = &local;
	memset(errs, 0, sizeof(*errs));
	/*
	 * Snapshots come from calloc and only members are written, so padding
	 * is zero in both and memcmp compares values.
	 */
	if (cur->nb_ports != next->nb_ports ||
	    memcmp(cur->ports, next->ports, sizeof(cur->ports)) != 0) {
		cfg_errors_add(errs, 0, 0, "ports", "changed: needs a restart");
		ret = -EBUSY;
	}
	if (memcmp(&cur->lcores, &next->lcores, sizeof(cur->lcores)) != 0) {
		cfg_errors_add(errs, 0, 0, "lcores", "changed: needs a restart");
		ret = -EBUSY;
	}
	if (memcmp(&cur->sip, &next->sip, sizeof(cur->sip)) != 0) {
		cfg_errors_add(errs, 0, 0, "sip", "changed: needs a restart");
		ret = -EBUSY;
	}
	if (memcmp(&cur->limits, &next->limits, sizeof(cur->limits)) != 0) {
		cfg_errors_add(errs, 0, 0, "limits", "changed: needs a restart");
		ret = -EBUSY;
	}
	/* The TLS contexts are built once when lib/ctl starts. */
	if (memcmp(&cur->tls, &next->tls, sizeof(cur->tls)) != 0) {
		cfg_errors_add(errs, 0, 0, "tls", "changed: needs a restart");
		ret = -EBUSY;
	}
	/* The /metrics listener and the HEP socket are opened at start. */
	if (memcmp(&cur->metrics, &next->metrics, sizeof(cur->metrics)) != 0) {
		cfg_errors_add(errs, 0, 0, "metrics", "changed: needs a restart");
		ret = -EBUSY;
	}
	if (memcmp(&cur->hep, &next->hep, sizeof(cur->hep)) != 0) {
		cfg_errors_add(errs, 0, 0, "hep", "changed: needs a restart");
		ret = -EBUSY;
	}
	return ret;
}
