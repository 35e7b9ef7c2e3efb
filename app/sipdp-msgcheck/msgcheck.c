/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipdp-msgcheck: classify SIP messages the way the appliance would.
 *
 *   sipdp-msgcheck [--strict] FILE...|-
 *
 * One file is one message, read as a datagram. Prints one JSON object per
 * message. Exit 0 when all are valid, 1 when any is not, 2 on usage or I/O
 * errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipdp_msg.h"
#include "sipdp_msg_hdr.h"

static void
json_str(FILE *out, const char *p, size_t len)
{
	fputc('"', out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			/* Bytes, not code points: messages may carry any octet,
			 * and a byte-exact rendering is what an operator needs. */
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void
json_view(FILE *out, const char *key, struct sipdp_str s)
{
	fprintf(out, ",\"%s\":", key);
	if (s.p == NULL)
		fputs("null", out);
	else
		json_str(out, s.p, s.len);
}

static int
check_one(const char *name, const char *buf, size_t len, bool strict, FILE *out)
{
	static struct sipdp_msg m; /* large; one at a time */
	int rc = sipdp_msg_parse(&m, buf, len, 0);

	if (rc >= 0 && strict) {
		int st = sipdp_msg_check(&m);
		if (st != 0)
			rc = -EBADMSG;
	}

	fputs("{\"file\":", out);
	json_str(out, name, strlen(name));
	if (rc < 0) {
		fputs(",\"valid\":false,\"error\":", out);
		const char *what = m.err.what ? m.err.what : strerror(-rc);
		json_str(out, what, strlen(what));
		fprintf(out, ",\"offset\":%u,\"status\":%u}\n", m.err.offset, m.err.status);
		return 1;
	}

	fputs(",\"valid\":true", out);
	if (m.is_request) {
		fputs(",\"kind\":\"request\"", out);
		json_view(out, "method", m.method_str);
	} else {
		fprintf(out, ",\"kind\":\"response\",\"status\":%u", m.status);
	}
	json_view(out, "call_id", sipdp_msg_call_id(&m));

	struct sipdp_cseq cseq;
	if (sipdp_msg_cseq(&m, &cseq) == 0)
		fprintf(out, ",\"cseq\":%u", cseq.num);
	else
		fputs(",\"cseq\":null", out);

	struct sipdp_via via;
	json_view(out, "branch", sipdp_msg_top_via(&m, &via) == 0 ? via.branch : SIPDP_STR_NULL);

	struct sipdp_nameaddr na;
	json_view(out, "from_tag", sipdp_msg_from(&m, &na) == 0 ? na.tag : SIPDP_STR_NULL);
	json_view(out, "to_tag", sipdp_msg_to(&m, &na) == 0 ? na.tag : SIPDP_STR_NULL);
	fprintf(out, ",\"headers\":%u}\n", m.nhdrs);
	return 0;
}

static char *
slurp(FILE *f, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);

	while (buf) {
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
		if (n == cap) {
			char *nb = realloc(buf, cap * 2);
			if (nb == NULL) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (buf == NULL || ferror(f)) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static void
usage(FILE *f)
{
	fputs("usage: sipdp-msgcheck [--strict] FILE...|-\n"
	      "  Parses each FILE (or standard input for -) as one SIP message and\n"
	      "  prints one JSON line per message.\n"
	      "  --strict  also apply the acceptance checks a UAS applies (400/505)\n"
	      "  exit: 0 all valid, 1 any invalid, 2 usage or I/O error\n",
	      f);
}

int
main(int argc, char **argv)
{
	bool strict = false;
	int first = 1, status = 0;

	for (; first < argc && argv[first][0] == '-' && argv[first][1] != '\0'; first++) {
		if (strcmp(argv[first], "--strict") == 0) {
			strict = true;
		} else if (strcmp(argv[first], "--help") == 0 || strcmp(argv[first], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[first], "--") == 0) {
			first++;
			break;
		} else {
			fprintf(stderr, "sipdp-msgcheck: unknown option %s\n", argv[first]);
			usage(stderr);
			return 2;
		}
	}
	if (first >= argc) {
		usage(stderr);
		return 2;
	}

	for (int i = first; i < argc; i++) {
		bool is_stdin = strcmp(argv[i], "-") == 0;
		FILE *f = is_stdin ? stdin : fopen(argv[i], "rb");
		if (f == NULL) {
			fprintf(stderr, "sipdp-msgcheck: %s: %s\n", argv[i], strerror(errno));
			return 2;
		}
		size_t len = 0;
		char *buf = slurp(f, &len);
		if (!is_stdin)
			fclose(f);
		if (buf == NULL) {
			fprintf(stderr, "sipdp-msgcheck: %s: read error\n", argv[i]);
			return 2;
		}
		if (check_one(is_stdin ? "-" : argv[i], buf, len, strict, stdout))
			status = 1;
		free(buf);
	}
	return status;
}
