/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/sipmsg stream framer (sipdp_framer_next).
 *  - every corpus message, alone and concatenated with keep-alives between,
 *    is framed to exactly its own length and Content-Length (RFC 3261 §18.3)
 *  - split invariance: the stream fed whole, one byte a read, and split into
 *    two reads at every split point gives the same units and the same final
 *    answer (also for the RFC 4475 torture messages, valid or not)
 *  - RFC 5626 §4.4.1 keep-alives at a message boundary: CRLFCRLF is a ping,
 *    a CRLF followed by a non-CR byte is a pong, "\r\n" / "\r\n\r" at the end
 *    of the bytes wait for more
 *  - Content-Length is mandatory over a stream (§18.3, §20.14): missing,
 *    repeated with different values, negative, signed, non-numeric, empty or
 *    overflowing 32 bits is -EBADMSG; equal repeats are accepted
 *  - header names are case-insensitive, compact "l" works, SP/HTAB before
 *    the colon (HCOLON) and folds before or inside the value are LWS (§7.3.1);
 *    a Content-Length text inside another header's fold is not a header
 *  - limits: a header section longer than max_header_bytes (with or without
 *    its CRLFCRLF yet) and a message longer than max_message_bytes are
 *    -EMSGSIZE, decided on the bytes so the split does not change it
 *  - never reads past len: reads beyond the bytes given are caught by ASan
 *    poisoning of the receive buffer tail and by a guard page
 *  - the resume offset advances on -EAGAIN and is reset when a unit is
 *    returned
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/asan_interface.h>

#include "guard_page.h"
#include "sipdp_msg_framer.h"
#include "sipdp_test.h"

#ifndef SIPDP_TEST_DATA_DIR
#error "SIPDP_TEST_DATA_DIR must be defined by meson"
#endif

#define MAX_UNITS 512

/* One framer answer: a unit (rc > 0) or the final status of the run. */
struct unit {
	int rc;
	uint8_t kind;
	uint32_t len, hdr_len, body_len;
};

struct run {
	struct unit u[MAX_UNITS];
	uint32_t n;
};

/*
 * Feed @p s as a TCP receiver would: reads end at @p first, then every @p step
 * bytes, then at @p n. After each read, take units until -EAGAIN or an error.
 * The last entry is the final status: an error code, -EAGAIN when bytes are
 * left over, or 0 when everything was consumed. Bytes not yet "received" are
 * poisoned for ASan, so any read past len faults.
 */
static void
drive(const struct sipdp_framer_params *pp, const char *s, uint32_t n, uint32_t first,
      uint32_t step, struct run *r)
{
	uint32_t cap = (n + 7) & ~7u;
	char *buf = malloc(cap ? cap : 8);
	struct sipdp_framer f;
	uint32_t avail = 0, consumed = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	memcpy(buf, s, n);
	sipdp_framer_init(&f, pp);
	r->n = 0;
	if (first > n || first == 0)
		first = n;
	while (avail < n) {
		avail = avail == 0 ? first : (n - avail > step ? avail + step : n);
		ASAN_POISON_MEMORY_REGION(buf, cap);
		ASAN_UNPOISON_MEMORY_REGION(buf, avail);
		for (;;) {
			struct sipdp_frame fr;
			int rc = sipdp_framer_next(&f, buf + consumed, avail - consumed, &fr);

			if (rc == -EAGAIN)
				break;
			CU_ASSERT_FATAL(r->n < MAX_UNITS);
			if (rc < 0) {
				r->u[r->n++] = (struct unit){ .rc = rc };
				goto out;
			}
			CU_ASSERT_EQUAL(rc, (int)fr.len);
			CU_ASSERT(fr.len <= avail - consumed);
			/* Reset on every unit so the next one starts fresh. */
			CU_ASSERT_EQUAL(f.scanned, 0);
			r->u[r->n++] = (struct unit){ rc, fr.kind, fr.len,
						      fr.kind == SIPDP_FRAME_MESSAGE ? fr.hdr_len : 0,
						      fr.kind == SIPDP_FRAME_MESSAGE ? fr.body_len : 0 };
			consumed += fr.len;
		}
	}
	CU_ASSERT_FATAL(r->n < MAX_UNITS);
	r->u[r->n++] = (struct unit){ .rc = consumed == n ? 0 : -EAGAIN };
out:
	ASAN_UNPOISON_MEMORY_REGION(buf, cap);
	free(buf);
}

static bool
run_eq(const struct run *a, const struct run *b)
{
	if (a->n != b->n)
		return false;
	for (uint32_t i = 0; i < a->n; i++)
		if (a->u[i].rc != b->u[i].rc || a->u[i].kind != b->u[i].kind ||
		    a->u[i].len != b->u[i].len || a->u[i].hdr_len != b->u[i].hdr_len ||
		    a->u[i].body_len != b->u[i].body_len)
			return false;
	return true;
}

/* Whole, per byte and every two-read split agree. Returns the whole run. */
static void
check_split_invariant(const struct sipdp_framer_params *pp, const char *s, uint32_t n,
		      const char *what, struct run *whole)
{
	static struct run other;

	drive(pp, s, n, n, n, whole);
	drive(pp, s, n, 1, 1, &other);
	if (!run_eq(whole, &other)) {
		fprintf(stderr, "%s: per-byte feed differs from whole\n", what);
		CU_FAIL("per-byte feed differs from whole");
	}
	for (uint32_t k = 1; k < n; k++) {
		drive(pp, s, n, k, n, &other);
		if (!run_eq(whole, &other)) {
			fprintf(stderr, "%s: split at %u differs from whole\n", what, k);
			CU_FAIL("two-read split differs from whole");
			break;
		}
	}
}

/* ------------------------------------------------------------ corpus */

struct file {
	char name[128];
	char *data;
	size_t len;
};

static int
cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct file *)a)->name, ((const struct file *)b)->name);
}

/* Files of a directory with a suffix, sorted by name. */
static size_t
load_dir(const char *dir, const char *suffix, struct file *out, size_t max)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0, sl = strlen(suffix);

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < max) {
		size_t l = strlen(de->d_name);
		char path[512];

		if (l <= sl || strcmp(de->d_name + l - sl, suffix) != 0 || l >= sizeof(out->name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		out[n].data = sipdp_test_read_file(path, &out[n].len);
		if (out[n].data == NULL)
			continue;
		memcpy(out[n].name, de->d_name, l + 1);
		n++;
	}
	closedir(d);
	qsort(out, n, sizeof(*out), cmp_file);
	return n;
}

static void
free_files(struct file *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(f[i].data);
}

/* Content-Length of a corpus file, found independently of the framer:
 * corpus files use the long form at the start of a line. */
static uint32_t
corpus_clen(const struct file *f, uint32_t *hdr_len)
{
	const char *end = strstr(f->data, "\r\n\r\n");
	const char *cl = strstr(f->data, "\r\nContent-Length: ");

	CU_ASSERT_PTR_NOT_NULL_FATAL(end);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cl);
	*hdr_len = (uint32_t)(end + 4 - f->data);
	return (uint32_t)strtoul(cl + 18, NULL, 10);
}

#define MAX_FILES 64

static void
test_corpus_message_framed_whole_bytewise_and_every_split(void)
{
	static struct file files[MAX_FILES];
	static struct run r;
	size_t nf = load_dir(SIPDP_TEST_DATA_DIR "/corpus", ".sip", files, MAX_FILES);

	CU_ASSERT_FATAL(nf >= 10);
	for (size_t i = 0; i < nf; i++) {
		uint32_t hl, cl = corpus_clen(&files[i], &hl);

		check_split_invariant(NULL, files[i].data, (uint32_t)files[i].len, files[i].name, &r);
		/* One message, exactly the file, framed by its Content-Length. */
		CU_ASSERT_EQUAL(r.n, 2);
		CU_ASSERT_EQUAL(r.u[0].kind, SIPDP_FRAME_MESSAGE);
		CU_ASSERT_EQUAL(r.u[0].len, files[i].len);
		CU_ASSERT_EQUAL(r.u[0].hdr_len, hl);
		CU_ASSERT_EQUAL(r.u[0].body_len, cl);
		CU_ASSERT_EQUAL(r.u[1].rc, 0);
	}
	free_files(files, nf);
}

static void
test_corpus_concatenation_with_keepalives_is_split_invariant(void)
{
	static struct file files[MAX_FILES];
	static struct run r;
	static const char *const sep[] = { "", "\r\n\r\n", "\r\n", "\r\n\r\n\r\n", "\r\n\r\n\r\n\r\n" };
	/* Units each separator yields before the next message. */
	static const uint8_t sep_kinds[][2] = {
		{ 0, 0 },
		{ SIPDP_FRAME_PING, 0 },
		{ SIPDP_FRAME_PONG, 0 },
		{ SIPDP_FRAME_PING, SIPDP_FRAME_PONG },
		{ SIPDP_FRAME_PING, SIPDP_FRAME_PING },
	};
	size_t nf = load_dir(SIPDP_TEST_DATA_DIR "/corpus", ".sip", files, MAX_FILES);
	size_t total = 16;
	char *s;
	uint32_t n = 0, k = 0;

	CU_ASSERT_FATAL(nf >= 10);
	for (size_t i = 0; i < nf; i++)
		total += files[i].len + 8;
	s = malloc(total);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (size_t i = 0; i < nf; i++) {
		const char *sp = sep[i % SIPDP_ARRAY_SIZE(sep)];
		memcpy(s + n, sp, strlen(sp));
		n += (uint32_t)strlen(sp);
		memcpy(s + n, files[i].data, files[i].len);
		n += (uint32_t)files[i].len;
	}
	/* A trailing ping, then half a keep-alive that must wait. */
	memcpy(s + n, "\r\n\r\n\r\n", 6);
	n += 6;

	check_split_invariant(NULL, s, n, "corpus concatenation", &r);

	for (size_t i = 0; i < nf; i++) {
		const uint8_t *sk = sep_kinds[i % SIPDP_ARRAY_SIZE(sep)];
		for (int j = 0; j < 2 && sk[j]; j++, k++) {
			CU_ASSERT_FATAL(k < r.n);
			CU_ASSERT_EQUAL(r.u[k].kind, sk[j]);
			CU_ASSERT_EQUAL(r.u[k].len, sk[j] == SIPDP_FRAME_PING ? 4 : 2);
		}
		CU_ASSERT_FATAL(k < r.n);
		CU_ASSERT_EQUAL(r.u[k].kind, SIPDP_FRAME_MESSAGE);
		CU_ASSERT_EQUAL(r.u[k].len, files[i].len);
		k++;
	}
	CU_ASSERT_FATAL(k + 2 == r.n);
	CU_ASSERT_EQUAL(r.u[k].kind, SIPDP_FRAME_PING);
	CU_ASSERT_EQUAL(r.u[k + 1].rc, -EAGAIN); /* "\r\n" left, waiting */
	free(s);
	free_files(files, nf);
}

static void
test_torture_messages_get_the_same_answer_however_split(void)
{
	static struct file files[MAX_FILES];
	static struct run r;
	size_t nf = load_dir(SIPDP_TEST_DATA_DIR "/torture/rfc4475", ".dat", files, MAX_FILES);
	int framed = 0;

	CU_ASSERT_FATAL(nf >= 20);
	for (size_t i = 0; i < nf; i++) {
		check_split_invariant(NULL, files[i].data, (uint32_t)files[i].len, files[i].name, &r);
		framed += r.u[0].rc > 0;
	}
	/* Most of them carry a usable Content-Length. */
	CU_ASSERT(framed > (int)nf / 2);
	free_files(files, nf);
}

/* ------------------------------------------------------- keep-alives */

static void
test_keepalive_ping_pong_and_partial_wait(void)
{
	struct sipdp_framer f;
	struct sipdp_frame fr;

	sipdp_framer_init(&f, NULL);
	CU_ASSERT_EQUAL(sipdp_framer_next(&f, "\r\n\r\n", 4, &fr), 4);
	CU_ASSERT_EQUAL(fr.kind, SIPDP_FRAME_PING);
	CU_ASSERT_EQUAL(fr.len, 4);
	CU_ASSERT_EQUAL(sipdp_framer_next(&f, "\r\nOPTIONS", 9, &fr), 2);
	CU_ASSERT_EQUAL(fr.kind, SIPDP_FRAME_PONG);
	CU_ASSERT_EQUAL(fr.len, 2);
	/* Could still become a ping: wait, whatever the split. */
	CU_ASSERT_EQUAL(sipdp_framer_next(&f, "\r\n", 2, &fr), -EAGAIN);
	CU_ASSERT_EQUAL(sipdp_framer_next(&f, "\r\n\r", 3, &fr), -EAGAIN);
	CU_ASSERT_EQUAL(sipdp_framer_next(&f, "\r", 1, &fr), -EAGAIN);
	CU_ASSERT_EQUAL(sipdp_framer_next(&f, "", 0, &fr), -EAGAIN);
	/* CRLF CR followed by something else: the CRLF was a pong. */
	CU_ASSERT_EQUAL(sipdp_framer_next(&f, "\r\n\rX", 4, &fr), 2);
	CU_ASSERT_EQUAL(fr.kind, SIPDP_FRAME_PONG);
	CU_ASSERT_EQUAL(sipdp_framer_next(&f, "\r\n\r\n\r\n", 6, &fr), 4);
	CU_ASSERT_EQUAL(fr.kind, SIPDP_FRAME_PING);
}

/* ----------------------------------------------- Content-Length rules */

struct clen_case {
	const char *hdrs;  /* header lines after the start line, each ending CRLF */
	const char *body;
	int rc;            /* > 0: expect one message of the whole input */
	uint32_t body_len;
	const char *why;
};

#define SL "MESSAGE sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n"

static const struct clen_case clen_cases[] = {
	{ "Content-Length: 5\r\n", "hello", 1, 5, "plain long form" },
	{ "content-LENGTH: 5\r\n", "hello", 1, 5, "header names are case-insensitive (§7.3.1)" },
	{ "l: 5\r\n", "hello", 1, 5, "compact form l (§7.3.3)" },
	{ "L:5\r\n", "hello", 1, 5, "compact form, upper case, no SP after colon" },
	{ "Content-Length : 5\r\n", "hello", 1, 5, "SP before the colon (HCOLON)" },
	{ "Content-Length\t \t:\t5 \t\r\n", "hello", 1, 5, "HTAB/SP around the colon and trailing" },
	{ "Content-Length:\r\n 5\r\n", "hello", 1, 5, "value folded onto the next line" },
	{ "Subject: a\r\n  folded\r\n\tmore\r\nContent-Length: 5\r\n", "hello", 1, 5,
	  "folded header before it" },
	{ "Content-Length: 0005\r\n", "hello", 1, 5, "leading zeros (RFC 4475 wsinv)" },
	{ "Content-Length: 5\r\nl: 5\r\n", "hello", 1, 5, "repeated with the same value" },
	{ "Content-Length: 0\r\n", "", 1, 0, "empty body" },
	{ "Subject: x\r\n", "", -EBADMSG, 0, "no Content-Length on a stream (§18.3)" },
	{ "Subject: x\r\n Content-Length: 0\r\n", "", -EBADMSG, 0,
	  "Content-Length text inside a fold is not a header" },
	{ "X-Content-Length: 0\r\n", "", -EBADMSG, 0, "a longer name is another header" },
	{ "Content-Length: 5\r\nContent-Length: 6\r\n", "hello!", -EBADMSG, 0,
	  "two values: never pick one (request smuggling)" },
	{ "l: 5\r\nContent-Length: 0\r\n", "hello", -EBADMSG, 0, "compact and long disagree" },
	{ "Content-Length: -5\r\n", "", -EBADMSG, 0, "negative" },
	{ "Content-Length: +5\r\n", "hello", -EBADMSG, 0, "signed" },
	{ "Content-Length: five\r\n", "", -EBADMSG, 0, "not a number" },
	{ "Content-Length: 5 5\r\n", "hello", -EBADMSG, 0, "two numbers" },
	{ "Content-Length: 5, 5\r\n", "hello", -EBADMSG, 0, "comma list" },
	{ "Content-Length:\r\n", "", -EBADMSG, 0, "empty value" },
	{ "Content-Length: 4294967296\r\n", "", -EBADMSG, 0, "overflows 32 bits" },
	{ "Content-Length: 99999999999999999999999\r\n", "", -EBADMSG, 0, "overflows 64 bits" },
	{ "Content-Length: 4294967295\r\n", "", -EMSGSIZE, 0, "fits 32 bits but over the limit" },
	{ "Content-Length: 65536\r\n", "", -EMSGSIZE, 0, "over max_message_bytes by default" },
};

static void
test_content_length_rules(void)
{
	static char msg[1024];
	static struct run r;

	for (size_t i = 0; i < SIPDP_ARRAY_SIZE(clen_cases); i++) {
		const struct clen_case *c = &clen_cases[i];
		int n = snprintf(msg, sizeof(msg), SL "%s\r\n%s", c->hdrs, c->body);

		check_split_invariant(NULL, msg, (uint32_t)n, c->why, &r);
		if (c->rc > 0) {
			if (r.u[0].rc != n)
				fprintf(stderr, "case '%s': rc %d\n", c->why, r.u[0].rc);
			CU_ASSERT_EQUAL(r.u[0].rc, n);
			CU_ASSERT_EQUAL(r.u[0].kind, SIPDP_FRAME_MESSAGE);
			CU_ASSERT_EQUAL(r.u[0].body_len, c->body_len);
			CU_ASSERT_EQUAL(r.u[0].hdr_len, (uint32_t)n - c->body_len);
		} else {
			if (r.u[0].rc != c->rc)
				fprintf(stderr, "case '%s': rc %d\n", c->why, r.u[0].rc);
			CU_ASSERT_EQUAL(r.u[0].rc, c->rc);
			CU_ASSERT_EQUAL(r.n, 1);
		}
	}
}

static void
test_incomplete_body_waits_then_frames(void)
{
	static const char m[] = SL "Content-Length: 5\r\n\r\nhello" SL "l: 0\r\n\r\n";
	struct sipdp_framer f;
	struct sipdp_frame fr;
	uint32_t first = (uint32_t)(strstr(m, "hello") - m) + 5;

	sipdp_framer_init(&f, NULL);
	CU_ASSERT_EQUAL(sipdp_framer_next(&f, m, first - 1, &fr), -EAGAIN);
	CU_ASSERT_EQUAL(sipdp_framer_next(&f, m, first, &fr), (int)first);
	CU_ASSERT_EQUAL(fr.body_len, 5);
	CU_ASSERT_EQUAL(fr.hdr_len, first - 5);
	/* The body is framed, not parsed: the next message starts after it. */
	CU_ASSERT_EQUAL(sipdp_framer_next(&f, m + first, sizeof(m) - 1 - first, &fr),
			(int)(sizeof(m) - 1 - first));
	CU_ASSERT_EQUAL(fr.body_len, 0);
}

/* ------------------------------------------------------------ limits */

static void
test_header_section_over_limit_is_emsgsize(void)
{
	struct sipdp_framer_params p = { .max_header_bytes = 200, .max_message_bytes = 1000 };
	static char big[400];
	static struct run r;
	int n;

	/* 199 bytes of headers without an end: still waiting. */
	memset(big, 'a', 199);
	check_split_invariant(&p, big, 199, "199 bytes, no end", &r);
	CU_ASSERT_EQUAL(r.u[0].rc, -EAGAIN);
	/* 200 bytes without CRLFCRLF can never fit. */
	check_split_invariant(&p, big, 200, "200 bytes, no end", &r);
	CU_ASSERT_EQUAL(r.u[0].rc, -EMSGSIZE);

	/* Exactly at the limit is fine; one byte more is not, even when the
	 * terminator has arrived. */
	n = snprintf(big, sizeof(big), SL "l: 0\r\nX: ");
	memset(big + n, 'x', (size_t)(200 - 4 - n));
	memcpy(big + 196, "\r\n\r\n", 4);
	check_split_invariant(&p, big, 200, "header section of 200", &r);
	CU_ASSERT_EQUAL(r.u[0].rc, 200);
	memmove(big + 197, "\r\n\r\n", 4);
	big[196] = 'x';
	check_split_invariant(&p, big, 201, "header section of 201", &r);
	CU_ASSERT_EQUAL(r.u[0].rc, -EMSGSIZE);

	/* Defaults: 8192 bytes of header section. */
	static char huge[9000];
	memset(huge, 'h', sizeof(huge));
	struct sipdp_framer f;
	struct sipdp_frame fr;
	sipdp_framer_init(&f, NULL);
	CU_ASSERT_EQUAL(f.max_header_bytes, 8192);
	CU_ASSERT_EQUAL(f.max_message_bytes, 65535);
	CU_ASSERT_EQUAL(sipdp_framer_next(&f, huge, 8191, &fr), -EAGAIN);
	CU_ASSERT_EQUAL(sipdp_framer_next(&f, huge, 8192, &fr), -EMSGSIZE);
}

static void
test_message_over_limit_is_emsgsize(void)
{
	struct sipdp_framer_params p = { .max_header_bytes = 0, .max_message_bytes = 300 };
	static char m[512];
	static struct run r;
	int hl = snprintf(m, sizeof(m), SL "Content-Length: 100\r\n\r\n");

	memset(m + hl, 'b', 100);
	/* Fits when the limit allows it exactly, fails one byte below. */
	p.max_message_bytes = (uint32_t)hl + 100;
	check_split_invariant(&p, m, (uint32_t)hl + 100, "message at the limit", &r);
	CU_ASSERT_EQUAL(r.u[0].rc, hl + 100);
	p.max_message_bytes = (uint32_t)hl + 99;
	check_split_invariant(&p, m, (uint32_t)hl + 100, "message over the limit", &r);
	CU_ASSERT_EQUAL(r.u[0].rc, -EMSGSIZE);
	/* Decided as soon as the header section is complete. */
	struct sipdp_framer f;
	struct sipdp_frame fr;
	sipdp_framer_init(&f, &p);
	CU_ASSERT_EQUAL(sipdp_framer_next(&f, m, (uint32_t)hl, &fr), -EMSGSIZE);
}

/* ------------------------------------------- over-read and resume offset */

static void
test_never_reads_past_len_guard_page(void)
{
	static struct file files[MAX_FILES];
	size_t nf = load_dir(SIPDP_TEST_DATA_DIR "/corpus", ".sip", files, MAX_FILES);
	struct guard_buf g;

	CU_ASSERT_FATAL(nf > 0);
	for (size_t i = 0; i < nf; i++) {
		uint32_t n = (uint32_t)files[i].len;
		CU_ASSERT_FATAL(guard_buf_make(&g, files[i].data, n) == 0);
		char *end = g.data + n;
		/* Every prefix ends right at the unreadable page. */
		for (uint32_t k = 0; k <= n; k++) {
			struct sipdp_framer f;
			struct sipdp_frame fr;
			sipdp_framer_init(&f, NULL);
			memmove(end - k, files[i].data, k);
			int rc = sipdp_framer_next(&f, end - k, k, &fr);
			CU_ASSERT_EQUAL(rc, k == n ? (int)n : -EAGAIN);
		}
		guard_buf_free(&g);
	}
	free_files(files, nf);
	/* Keep-alive prefixes too. */
	CU_ASSERT_FATAL(guard_buf_make(&g, "\r\n\r", 3) == 0);
	for (uint32_t k = 0; k <= 3; k++) {
		struct sipdp_framer f;
		struct sipdp_frame fr;
		sipdp_framer_init(&f, NULL);
		CU_ASSERT_EQUAL(sipdp_framer_next(&f, g.data + 3 - k, k, &fr), -EAGAIN);
	}
	guard_buf_free(&g);
}

static void
test_resume_offset_advances_and_resets(void)
{
	static const char m[] = SL "Content-Length: 2\r\n\r\nhi";
	uint32_t n = sizeof(m) - 1;
	struct sipdp_framer f;
	struct sipdp_frame fr;

	sipdp_framer_init(&f, NULL);
	CU_ASSERT_EQUAL(sipdp_framer_next(&f, m, 20, &fr), -EAGAIN);
	CU_ASSERT_EQUAL(f.scanned, 20); /* the next call starts there */
	CU_ASSERT_EQUAL(sipdp_framer_next(&f, m, 40, &fr), -EAGAIN);
	CU_ASSERT_EQUAL(f.scanned, 40);
	CU_ASSERT_EQUAL(sipdp_framer_next(&f, m, n - 1, &fr), -EAGAIN);
	CU_ASSERT_EQUAL(sipdp_framer_next(&f, m, n, &fr), (int)n);
	CU_ASSERT_EQUAL(f.scanned, 0);
	CU_ASSERT_EQUAL(fr.hdr_len, n - 2);
	CU_ASSERT_EQUAL(fr.body_len, 2);
}

static struct sipdp_test_case cases[] = {
	{ "corpus_message_framed_whole_bytewise_and_every_split",
	  test_corpus_message_framed_whole_bytewise_and_every_split },
	{ "corpus_concatenation_with_keepalives_is_split_invariant",
	  test_corpus_concatenation_with_keepalives_is_split_invariant },
	{ "torture_messages_get_the_same_answer_however_split",
	  test_torture_messages_get_the_same_answer_however_split },
	{ "keepalive_ping_pong_and_partial_wait", test_keepalive_ping_pong_and_partial_wait },
	{ "content_length_rules", test_content_length_rules },
	{ "incomplete_body_waits_then_frames", test_incomplete_body_waits_then_frames },
	{ "header_section_over_limit_is_emsgsize", test_header_section_over_limit_is_emsgsize },
	{ "message_over_limit_is_emsgsize", test_message_over_limit_is_emsgsize },
	{ "never_reads_past_len_guard_page", test_never_reads_past_len_guard_page },
	{ "resume_offset_advances_and_resets", test_resume_offset_advances_and_resets },
	{ NULL, NULL }
};

int
main(void)
{
	return sipdp_test_run("sipmsg_framer", cases);
}
