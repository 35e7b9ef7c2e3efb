/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Small typed values: CSeq (RFC 3261 §20.16), delta-seconds numbers,
 * Replaces (RFC 3891), Refer-Sub (RFC 4488), Event and Subscription-State
 * (RFC 3265), RAck/RSeq (RFC 3262), Session-Expires (RFC 4028),
 * Reason (RFC 3326), Retry-After (RFC 3261 §20.33) and Max-Forwards (§20.22).
 * Numbers never wrap: anything over the field's range is -ERANGE.
 */
#include <errno.h>

#include "msg_hdr_pvt.h"
#include "sipdp_msg_hdr.h"

/* RFC 3261 §8.1.1.5: the CSeq number MUST be less than 2^31. */
#define CSEQ_MAX 0x7fffffffu

/* [p, end) trimmed of LWS on both sides. */
static inline void
trim(struct sipdp_str s, const char **p, const char **end)
{
	s = sipdp_hdr_nonnull(s);
	*end = s.p + s.len;
	*p = sipdp_hdr_lws(s.p, *end);
	*end = sipdp_hdr_rtrim(*p, *end);
}

/* A method token followed by nothing. */
static int
method_tail(const char *p, const char *end, uint8_t *method, struct sipdp_str *method_str)
{
	const char *q = sipdp_hdr_span(p, end, SIPDP_HDR_CC_TOKEN);

	if (q == p || q != end)
		return -EBADMSG;
	*method_str = sipdp_hdr_view(p, q);
	*method = (uint8_t)sipdp_method_lookup(p, (uint32_t)(q - p));
	return 0;
}

/* Number, then at least one LWS (RFC 3261 CSeq, RFC 3262 RAck). */
static int
number_lws(const char **pp, const char *end, uint32_t max, uint32_t *out)
{
	const char *q, *p;
	int rc = sipdp_hdr_number(*pp, end, max, out, &q);

	if (rc != 0)
		return rc;
	p = sipdp_hdr_lws(q, end);
	if (p == q)
		return -EBADMSG;
	*pp = p;
	return 0;
}

int
sipdp_cseq_parse(struct sipdp_str s, struct sipdp_cseq *cseq)
{
	const char *p, *end;
	int rc;

	memset(cseq, 0, sizeof(*cseq));
	trim(s, &p, &end);
	/* Leading zeros are fine (RFC 4475 wsinv "0009"); 2^31 and up is
	 * RFC 4475 scalar02/scalarlg. */
	rc = number_lws(&p, end, CSEQ_MAX, &cseq->num);
	if (rc == 0)
		rc = method_tail(p, end, &cseq->method, &cseq->method_str);
	if (rc != 0)
		memset(cseq, 0, sizeof(*cseq));
	return rc;
}

/*
 * "<digits> SP <method>" as the indexer leaves it (trimmed), in one pass;
 * NULL-free shapes only: anything else (LWS runs, folds, a number out of
 * range, no method) is sipdp_cseq_parse()'s to decide.
 * Measured: sipdp_msg_cseq() ~240 -> ~125 instructions (callgrind, corpus).
 */
static inline bool
cseq_fast(struct sipdp_str s, struct sipdp_cseq *cseq)
{
	const char *p = s.p, *end = s.p + s.len, *q;
	uint64_t v = 0;
	unsigned d;

	/* At most 10 digits: 2^31 - 1 has 10, and 10 digits cannot
	 * overflow the 64-bit accumulator. */
	const char *lim = end - p > 10 ? p + 10 : end;
	for (q = p; q < lim && (d = (unsigned)(unsigned char)*q - '0') <= 9; q++)
		v = v * 10 + d;
	if (q == p || v > CSEQ_MAX || end - q < 2 || q[0] != ' ')
		return false;
	p = ++q;
	/* A method we know is a token already: only others need the scan. */
	uint8_t method = (uint8_t)sipdp_method_lookup(p, (uint32_t)(end - p));
	if (method == SIPDP_METHOD_OTHER && sipdp_hdr_span(p, end, SIPDP_HDR_CC_TOKEN) != end)
		return false;
	cseq->num = (uint32_t)v;
	cseq->method_str = sipdp_hdr_view(p, end);
	cseq->method = method;
	return true;
}

int
sipdp_msg_cseq(const struct sipdp_msg *m, struct sipdp_cseq *cseq)
{
	const struct sipdp_hdr *h = sipdp_msg_hdr(m, SIPDP_HDR_CSEQ);

	if (h == NULL) {
		memset(cseq, 0, sizeof(*cseq));
		return -ENOENT;
	}
	if (h->value.p != NULL && cseq_fast(h->value, cseq))
		return 0;
	return sipdp_cseq_parse(h->value, cseq);
}

/* Params after a value: empty, or ';'-led and well-formed. */
static int
tail_params(const char *p, const char *end, struct sipdp_str *params)
{
	struct sipdp_str ps;
	int rc;

	p = sipdp_hdr_lws(p, end);
	if (p < end && *p != ';')
		return -EBADMSG;
	ps = sipdp_hdr_view(p, end);
	rc = sipdp_hdr_params_check(ps);
	if (rc == 0 && params != NULL)
		*params = ps;
	return rc;
}

int
sipdp_uint_parse(struct sipdp_str s, uint32_t max, uint32_t *out, struct sipdp_str *params)
{
	const char *p, *end, *q;
	uint32_t v;
	int rc;

	trim(s, &p, &end);
	rc = sipdp_hdr_number(p, end, max, &v, &q);
	if (rc == 0)
		rc = tail_params(q, end, params);
	if (rc == 0)
		*out = v;
	return rc;
}

int
sipdp_replaces_parse(struct sipdp_str s, struct sipdp_replaces *r)
{
	const char *p, *end, *q;
	struct sipdp_str cur, n, v;
	int rc;

	memset(r, 0, sizeof(*r));
	trim(s, &p, &end);
	/* callid = word [ "@" word ] */
	q = sipdp_hdr_span(p, end, SIPDP_HDR_CC_WORD);
	if (q == p)
		goto bad;
	if (q < end && *q == '@') {
		const char *w = q + 1;
		q = sipdp_hdr_span(w, end, SIPDP_HDR_CC_WORD);
		if (q == w)
			goto bad;
	}
	r->call_id = sipdp_hdr_view(p, q);
	q = sipdp_hdr_lws(q, end);
	if (q < end && *q != ';')
		goto bad;
	cur = sipdp_hdr_view(q, end);
	while ((rc = sipdp_param_next(&cur, &n, &v)) > 0) {
		if (SIPDP_HDR_LIT_EQ(n, "to-tag")) {
			if (v.p == NULL || r->to_tag.p != NULL)
				goto bad;
			r->to_tag = v;
		} else if (SIPDP_HDR_LIT_EQ(n, "from-tag")) {
			if (v.p == NULL || r->from_tag.p != NULL)
				goto bad;
			r->from_tag = v;
		} else if (SIPDP_HDR_LIT_EQ(n, "early-only")) {
			if (v.p != NULL)
				goto bad;
			r->early_only = true;
		}
	}
	/* RFC 3891 §6.1: to-tag and from-tag are both mandatory. */
	if (rc < 0 || r->to_tag.p == NULL || r->from_tag.p == NULL)
		goto bad;
	return 0;
bad:
	memset(r, 0, sizeof(*r));
	return -EBADMSG;
}

int
sipdp_refer_sub_parse(struct sipdp_str s, bool *value)
{
	const char *p, *end, *q;
	struct sipdp_str t;

	trim(s, &p, &end);
	q = sipdp_hdr_span(p, end, SIPDP_HDR_CC_TOKEN);
	t = sipdp_hdr_view(p, q);
	/* ABNF literals are case-insensitive. */
	if (SIPDP_HDR_LIT_EQ(t, "true"))
		*value = true;
	else if (SIPDP_HDR_LIT_EQ(t, "false"))
		*value = false;
	else
		return -EBADMSG;
	return tail_params(q, end, NULL);
}

int
sipdp_event_parse(struct sipdp_str s, struct sipdp_event *ev)
{
	const char *p, *end, *q;
	struct sipdp_str cur, n, v;
	int rc;

	memset(ev, 0, sizeof(*ev));
	trim(s, &p, &end);
	/* event-type = event-package *( "." event-template ): tokens. */
	q = sipdp_hdr_span(p, end, SIPDP_HDR_CC_TOKEN);
	if (q == p)
		goto bad;
	ev->type = sipdp_hdr_view(p, q);
	if (tail_params(q, end, &ev->params) != 0)
		goto bad;
	cur = ev->params;
	while ((rc = sipdp_param_next(&cur, &n, &v)) > 0) {
		if (SIPDP_HDR_LIT_EQ(n, "id")) {
			if (v.p == NULL)
				goto bad;
			ev->id = v;
			break;
		}
	}
	return 0;
bad:
	memset(ev, 0, sizeof(*ev));
	return -EBADMSG;
}

/* A parameter value that must be a bare number within @p max. */
static int
param_u32(struct sipdp_str v, uint32_t max, uint32_t *out)
{
	const char *next;
	int rc;

	if (v.p == NULL)
		return -EBADMSG;
	rc = sipdp_hdr_number(v.p, v.p + v.len, max, out, &next);
	if (rc == 0 && next != v.p + v.len)
		rc = -EBADMSG;
	return rc;
}

int
sipdp_subscription_state_parse(struct sipdp_str s, struct sipdp_subscription_state *ss)
{
	const char *p, *end, *q;
	struct sipdp_str cur, n, v;
	int rc;

	memset(ss, 0, sizeof(*ss));
	trim(s, &p, &end);
	q = sipdp_hdr_span(p, end, SIPDP_HDR_CC_TOKEN);
	if (q == p) {
		rc = -EBADMSG;
		goto bad;
	}
	ss->state_str = sipdp_hdr_view(p, q);
	if (SIPDP_HDR_LIT_EQ(ss->state_str, "active"))
		ss->state = SIPDP_SUBSTATE_ACTIVE;
	else if (SIPDP_HDR_LIT_EQ(ss->state_str, "pending"))
		ss->state = SIPDP_SUBSTATE_PENDING;
	else if (SIPDP_HDR_LIT_EQ(ss->state_str, "terminated"))
		ss->state = SIPDP_SUBSTATE_TERMINATED;
	p = sipdp_hdr_lws(q, end);
	if (p < end && *p != ';') {
		rc = -EBADMSG;
		goto bad;
	}
	cur = sipdp_hdr_view(p, end);
	while ((rc = sipdp_param_next(&cur, &n, &v)) > 0) {
		if (SIPDP_HDR_LIT_EQ(n, "reason")) {
			if (v.p == NULL) {
				rc = -EBADMSG;
				goto bad;
			}
			ss->reason = v;
		} else if (SIPDP_HDR_LIT_EQ(n, "expires")) {
			rc = param_u32(v, UINT32_MAX, &ss->expires);
			if (rc != 0)
				goto bad;
			ss->has_expires = true;
		} else if (SIPDP_HDR_LIT_EQ(n, "retry-after")) {
			rc = param_u32(v, UINT32_MAX, &ss->retry_after);
			if (rc != 0)
				goto bad;
			ss->has_retry_after = true;
		}
	}
	if (rc == 0)
		return 0;
bad:
	memset(ss, 0, sizeof(*ss));
	return rc;
}

int
sipdp_rack_parse(struct sipdp_str s, struct sipdp_rack *rack)
{
	const char *p, *end;
	int rc;

	memset(rack, 0, sizeof(*rack));
	trim(s, &p, &end);
	/* RAck = response-num LWS CSeq-num LWS Method (RFC 3262 §7.2); the
	 * response-num echoes an RSeq, so it has RSeq's range. */
	rc = number_lws(&p, end, CSEQ_MAX, &rack->rseq);
	if (rc == 0 && rack->rseq == 0)
		rc = -ERANGE;
	if (rc == 0)
		rc = number_lws(&p, end, CSEQ_MAX, &rack->cseq);
	if (rc == 0)
		rc = method_tail(p, end, &rack->method, &rack->method_str);
	if (rc != 0)
		memset(rack, 0, sizeof(*rack));
	return rc;
}

int
sipdp_rseq_parse(struct sipdp_str s, uint32_t *rseq)
{
	const char *p, *end, *q;
	uint32_t v;
	int rc;

	trim(s, &p, &end);
	/* RFC 3262 §7.1: 1 .. 2^31-1. */
	rc = sipdp_hdr_number(p, end, CSEQ_MAX, &v, &q);
	if (rc == 0 && q != end)
		rc = -EBADMSG;
	if (rc == 0 && v == 0)
		rc = -ERANGE;
	if (rc == 0)
		*rseq = v;
	return rc;
}

int
sipdp_session_expires_parse(struct sipdp_str s, struct sipdp_session_expires *se)
{
	const char *p, *end, *q;
	struct sipdp_str cur, n, v;
	int rc;

	memset(se, 0, sizeof(*se));
	trim(s, &p, &end);
	rc = sipdp_hdr_number(p, end, UINT32_MAX, &se->delta, &q);
	/* A zero interval cannot be refreshed (RFC 4028 §4: delta-seconds,
	 * and Min-SE is at least 90). */
	if (rc == 0 && se->delta == 0)
		rc = -ERANGE;
	if (rc != 0)
		goto bad;
	p = sipdp_hdr_lws(q, end);
	if (p < end && *p != ';') {
		rc = -EBADMSG;
		goto bad;
	}
	cur = sipdp_hdr_view(p, end);
	while ((rc = sipdp_param_next(&cur, &n, &v)) > 0) {
		if (!SIPDP_HDR_LIT_EQ(n, "refresher"))
			continue;
		if (v.p != NULL && SIPDP_HDR_LIT_EQ(v, "uac")) {
			se->refresher = SIPDP_REFRESHER_UAC;
		} else if (v.p != NULL && SIPDP_HDR_LIT_EQ(v, "uas")) {
			se->refresher = SIPDP_REFRESHER_UAS;
		} else {
			rc = -EBADMSG;
			goto bad;
		}
	}
	if (rc == 0)
		return 0;
bad:
	memset(se, 0, sizeof(*se));
	return rc;
}

int
sipdp_reason_parse(struct sipdp_str s, struct sipdp_reason *r)
{
	struct sipdp_str cur = s, item, pc, n, v;
	const char *p, *end, *q;
	uint32_t cause;
	int rc;

	memset(r, 0, sizeof(*r));
	/* Reason = reason-value *(COMMA reason-value): the first one. */
	rc = sipdp_list_next(&cur, &item);
	if (rc <= 0) {
		rc = -EBADMSG;
		goto bad;
	}
	p = item.p;
	end = item.p + item.len;
	q = sipdp_hdr_span(p, end, SIPDP_HDR_CC_TOKEN);
	if (q == p) {
		rc = -EBADMSG;
		goto bad;
	}
	r->protocol = sipdp_hdr_view(p, q);
	p = sipdp_hdr_lws(q, end);
	if (p < end && *p != ';') {
		rc = -EBADMSG;
		goto bad;
	}
	pc = sipdp_hdr_view(p, end);
	while ((rc = sipdp_param_next(&pc, &n, &v)) > 0) {
		if (SIPDP_HDR_LIT_EQ(n, "cause")) {
			rc = param_u32(v, UINT16_MAX, &cause);
			if (rc != 0)
				goto bad;
			r->cause = (uint16_t)cause;
			r->has_cause = true;
		} else if (SIPDP_HDR_LIT_EQ(n, "text")) {
			if (v.p == NULL) {
				rc = -EBADMSG;
				goto bad;
			}
			/* reason-text is a quoted-string; a bare token is
			 * taken as is from lenient peers. */
			if (v.p[0] == '"')
				r->text = sipdp_str_make(v.p + 1, v.len - 2);
			else
				r->text = v;
		}
	}
	if (rc == 0)
		return 0;
bad:
	memset(r, 0, sizeof(*r));
	return rc;
}

/* comment = LPAREN *(ctext / quoted-pair / comment) RPAREN, nested. */
static const char *
comment_end(const char *p, const char *end)
{
	unsigned depth = 0;

	for (; p < end; p++) {
		switch (*p) {
		case '(':
			depth++;
			break;
		case ')':
			if (--depth == 0)
				return p + 1;
			break;
		case '\\':
			if (end - p < 2 || p[1] == '\r' || p[1] == '\n')
				return NULL;
			p++;
			break;
		default:
			break;
		}
	}
	return NULL;
}

int
sipdp_retry_after_parse(struct sipdp_str s, struct sipdp_retry_after *ra)
{
	const char *p, *end, *q;
	struct sipdp_str cur, n, v;
	int rc;

	memset(ra, 0, sizeof(*ra));
	trim(s, &p, &end);
	/* 27 digits (RFC 4475 scalarlg) is -ERANGE, never a wrap. */
	rc = sipdp_hdr_number(p, end, UINT32_MAX, &ra->delta, &q);
	if (rc != 0)
		goto bad;
	p = sipdp_hdr_lws(q, end);
	if (p < end && *p == '(') {
		q = comment_end(p, end);
		if (q == NULL) {
			rc = -EBADMSG;
			goto bad;
		}
		ra->comment = sipdp_hdr_view(p + 1, q - 1);
		p = sipdp_hdr_lws(q, end);
	}
	if (p < end && *p != ';') {
		rc = -EBADMSG;
		goto bad;
	}
	cur = sipdp_hdr_view(p, end);
	while ((rc = sipdp_param_next(&cur, &n, &v)) > 0) {
		if (SIPDP_HDR_LIT_EQ(n, "duration")) {
			rc = param_u32(v, UINT32_MAX, &ra->duration);
			if (rc != 0)
				goto bad;
			ra->has_duration = true;
		}
	}
	if (rc == 0)
		return 0;
bad:
	memset(ra, 0, sizeof(*ra));
	return rc;
}

int
sipdp_msg_max_forwards(const struct sipdp_msg *m, uint32_t *out)
{
	const struct sipdp_hdr *h = sipdp_msg_hdr(m, SIPDP_HDR_MAX_FORWARDS);
	const char *p, *end;
	uint32_t v = 0;

	if (h == NULL)
		return -ENOENT;
	trim(h->value, &p, &end);
	if (p == end)
		return -EBADMSG;
	/* Leading zeros are digits too; v stays <= 2559 before the check. */
	for (; p < end; p++) {
		unsigned d = (unsigned)(unsigned char)*p - '0';
		if (d > 9)
			return -EBADMSG;
		v = v * 10 + d;
		if (v > 255)
			return -EBADMSG;
	}
	*out = v;
	return 0;
}
