/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the response builder: for any request the parser
 * accepts, sipdp_build_response_simple() must give a response the parser
 * accepts again with the same Via list, From, Call-ID and CSeq, a To that
 * starts with the request's, and (100 only) the Timestamp (RFC 3261 §8.2.6).
 * Values are compared after trimming LWS at their edges: a copied value must
 * never end the response's header section early (response splitting).
 * Into a smaller buffer it must be -ENOSPC without writing past the
 * capacity (the tail of the buffer is poisoned), or the same bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/asan_interface.h>

#include "sipdp_msg.h"
#include "sipdp_msg_build.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sipdp_msg req, rsp;
static char out[SIPDP_MSG_MAX_LEN];
static char small[SIPDP_MSG_MAX_LEN];

static void
same_values(enum sipdp_hdr_id id)
{
	const struct sipdp_hdr *x = sipdp_msg_hdr(&req, id), *y = sipdp_msg_hdr(&rsp, id);

	if (id != SIPDP_HDR_VIA) {
		/* Only the first instance is copied. */
		if ((x == NULL) != (y == NULL) ||
		    (x && !sipdp_str_eq(sipdp_str_trim(x->value), y->value)))
			abort();
		return;
	}
	for (; x && y; x = sipdp_msg_hdr_next(&req, x), y = sipdp_msg_hdr_next(&rsp, y))
		if (!sipdp_str_eq(sipdp_str_trim(x->value), y->value))
			abort();
	if (x || y)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t codes[] = { 100, 180, 200, 400, 481, 503, 299 };
	uint64_t h = 0xcbf29ce484222325ULL;

	if (size > SIPDP_MSG_MAX_LEN)
		return 0;
	if (sipdp_msg_parse(&req, (const char *)data, size, 0) <= 0 || !req.is_request)
		return 0;
	for (size_t i = 0; i < size; i++) {
		h ^= data[i];
		h *= 0x100000001b3ULL;
	}
	uint16_t code = codes[h % (sizeof(codes) / sizeof(codes[0]))];
	struct sipdp_str tag = (h >> 8) & 1 ? SIPDP_STR("fz-tag") : SIPDP_STR_NULL;
	struct sipdp_str extra = (h >> 9) & 1 ? SIPDP_STR("Retry-After: 5\r\n") : SIPDP_STR_NULL;

	int len = sipdp_build_response_simple(out, sizeof(out), &req, code, tag, extra);
	if (len == -ENOSPC)
		return 0;
	if (len <= 0)
		abort();

	/* Header lines written: every Via line, From/To/Call-ID/CSeq when
	 * present, Timestamp for 100, the extra, Content-Length. */
	unsigned lines = req.count[SIPDP_HDR_VIA] + 1 + extra.len / 16;
	for (int id = SIPDP_HDR_FROM; id <= SIPDP_HDR_CSEQ; id++)
		lines += req.first[id] != 0;
	lines += code == 100 && req.first[SIPDP_HDR_TIMESTAMP] != 0;
	int prc = sipdp_msg_parse(&rsp, out, (size_t)len, SIPDP_MSG_F_STREAM);
	if (req.count[SIPDP_HDR_VIA] == UINT8_MAX || lines > SIPDP_MSG_MAX_HDRS) {
		if (prc != len && prc != -ENOSPC)
			abort();
		return 0;
	}
	if (prc != len || rsp.is_request || rsp.status != code || rsp.body.len != 0)
		abort();
	same_values(SIPDP_HDR_VIA);
	same_values(SIPDP_HDR_FROM);
	same_values(SIPDP_HDR_CALL_ID);
	same_values(SIPDP_HDR_CSEQ);
	if (code == 100)
		same_values(SIPDP_HDR_TIMESTAMP);
	else if (sipdp_msg_hdr(&rsp, SIPDP_HDR_TIMESTAMP))
		abort();
	struct sipdp_str rt = sipdp_msg_hdr_value(&req, SIPDP_HDR_TO);
	if (rt.p)
		rt = sipdp_str_trim(rt);
	struct sipdp_str st = sipdp_msg_hdr_value(&rsp, SIPDP_HDR_TO);
	if ((rt.p == NULL) != (st.p == NULL) || st.len < rt.len ||
	    (rt.len && memcmp(st.p, rt.p, rt.len) != 0))
		abort();

	/* Smaller capacity: all or nothing, never a byte past cap. */
	uint32_t cap = (uint32_t)((h >> 16) % ((uint64_t)len + 1));
	ASAN_POISON_MEMORY_REGION(small + cap, sizeof(small) - cap);
	int rc = sipdp_build_response_simple(small, cap, &req, code, tag, extra);
	ASAN_UNPOISON_MEMORY_REGION(small + cap, sizeof(small) - cap);
	if (cap < (uint32_t)len ? rc != -ENOSPC : (rc != len || memcmp(small, out, (size_t)len) != 0))
		abort();
	return 0;
}
