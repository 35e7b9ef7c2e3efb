/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Effective config as YAML, driven by the same tables as the loader so that
 * dump -> load gives back the same snapshot (the tests check it). Strings are
 * always double-quoted: a user agent like "yes" or "1.0" must come back as
 * the same string, not as something a YAML reader might retype.
 */
#include <errno.h>
#include <string.h>

#include "cfg_pvt.h"

static void dump_map(FILE *out, const struct cfg_section *sec, const void *obj,
	int indent, bool dash);

static bool
field_emitted(const struct cfg_field *f, const void *obj)
{
	return !(f->flags & CFG_F_NODUMP) && cfg_field_is_set(f, obj);
}

static bool
map_has_output(const struct cfg_section *sec, const void *obj)
{
	for (size_t i = 0; i < sec->nb_fields; i++)
		if (field_emitted(&sec->fields[i], obj))
			return true;
	return false;
}

/* Start a line: "- " for the first key of a list item, else the indent. */
static void
dump_lead(FILE *out, int indent, bool *dash)
{
	if (*dash) {
		fprintf(out, "%*s- ", indent - 2, "");
		*dash = false;
	} else {
		fprintf(out, "%*s", indent, "");
	}
}

/*
 * An SDP template reads best as a literal block. Its lines are CRLF-ended
 * and start with "<letter>=", so dropping the CR and indenting each line
 * loses nothing: loading converts LF back to CRLF.
 */
static void
dump_block(FILE *out, const char *key, const char *text, int indent)
{
	fprintf(out, "%s: |\n", key);
	while (*text) {
		size_t n = strcspn(text, "\r\n");
		fprintf(out, "%*s%.*s\n", indent + 2, "", (int)n, text);
		text += n;
		if (*text == '\r')
			text++;
		if (*text == '\n')
			text++;
	}
}

static void
dump_map(FILE *out, const struct cfg_section *sec, const void *obj, int indent, bool dash)
{
	for (size_t i = 0; i < sec->nb_fields; i++) {
		const struct cfg_field *f = &sec->fields[i];
		const void *v = cfg_cat(obj, f->off);

		if ((f->flags & CFG_F_NODUMP) && f->type != NULL && f->type->is_set != NULL &&
		    f->type->is_set(f, v)) {
			dump_lead(out, indent, &dash);
			fprintf(out, "# %s: ", f->key);
			f->type->dump(out, f, v);
			fputs(" (its content is shown as sdp)\n", out);
			continue;
		}
		if (!field_emitted(f, obj))
			continue;
		dump_lead(out, indent, &dash);
		switch (f->shape) {
		case CFG_SCALAR:
			if (f->flags & CFG_F_BLOCK) {
				dump_block(out, f->key, v, indent);
				break;
			}
			fprintf(out, "%s: ", f->key);
			f->type->dump(out, f, v);
			fputc('\n', out);
			break;
		case CFG_MAP:
			if (!map_has_output(f->sub, v)) {
				fprintf(out, "%s: {}\n", f->key);
				break;
			}
			fprintf(out, "%s:\n", f->key);
			dump_map(out, f->sub, v, indent + 2, false);
			break;
		case CFG_LIST: {
			size_t n = cfg_list_count(f, obj);
			if (f->sub == NULL) {
				fprintf(out, "%s: [", f->key);
				for (size_t k = 0; k < n; k++) {
					if (k)
						fputs(", ", out);
					f->type->dump(out, f, cfg_cat(v, k * f->size));
				}
				fputs("]\n", out);
				break;
			}
			fprintf(out, "%s:\n", f->key);
			for (size_t k = 0; k < n; k++) {
				const void *elem = cfg_cat(v, k * f->size);
				if (!map_has_output(f->sub, elem))
					fprintf(out, "%*s- {}\n", indent + 2, "");
				else
					dump_map(out, f->sub, elem, indent + 4, true);
			}
			break;
		}
		}
	}
	if (dash) /* nothing printed for a list item */
		fprintf(out, "%*s- {}\n", indent - 2, "");
}

int
sipdp_cfg_dump(FILE *f, const struct sipdp_cfg *cfg)
{
	fputs("# sipdp effective configuration (defaults included)\n", f);
	dump_map(f, &cfg_root_section, cfg, 0, false);
	return ferror(f) ? -EIO : 0;
}
