/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-connection byte handling: frame, deliver, answer keep-alives, enforce
 * the size limits and the message deadline. It sees only a buffer, so the
 * fuzzer drives it through buffer connections without sockets.
 *
 * Memory: a connection holds a receive buffer only while it has an
 * incomplete unit. Complete messages are delivered straight from the shared
 * read scratch area (zero copy), so an idle connection costs its slot only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_pvt.h"
#include "sipdp_msg.h"
#include "sipdp_msg_build.h"

/*
 * The body is over the limit but the header section is complete: answer
 * 513 (RFC 3261 §21.5.14) before closing, as a UDP UAS would. The parser
 * needs a consistent message, so a copy of the header section has its
 * Content-Length digits blanked to "0" (trailing LWS is trimmed). Cold.
 */
static SIPDP_COLD void
answer_513(struct sipdp_ctl *c, struct ctl_conn *k, const char *buf, uint32_t len)
{
	uint32_t hdr = 0;

	for (uint32_t i = 0; i + 3 < len && i + 4 <= c->p.max_header_bytes; i++)
		if (memcmp(buf + i, "\r\n\r\n", 4) == 0) {
			hdr = i + 4;
			break;
		}
	if (hdr == 0)
		return;
	char *cp = malloc(hdr);
	if (cp == NULL)
		return;
	memcpy(cp, buf, hdr);
	/* Blank the value of every Content-Length line (long or compact). */
	for (uint32_t i = 0; i < hdr;) {
		uint32_t e = i;
		while (e < hdr && cp[e] != '\n')
			e++;
		uint32_t n = i;
		while (n < e && cp[n] != ':' && cp[n] != ' ' && cp[n] != '\t')
			n++;
		enum sipdp_hdr_id id = sipdp_hdr_lookup(cp + i, n - i);
		if (id == SIPDP_HDR_CONTENT_LENGTH) {
			uint32_t v = n;
			while (v < e && cp[v] != ':')
				v++;
			bool first = true;
			for (v++; v < e && cp[v] != '\r'; v++)
				if (cp[v] >= '0' && cp[v] <= '9') {
					cp[v] = first ? '0' : ' ';
					first = false;
				}
		}
		i = e + 1;
	}
	struct sipdp_msg *m = malloc(sizeof(*m));
	char *out = malloc(4096);
	if (m != NULL && out != NULL &&
	    sipdp_msg_parse(m, cp, hdr, 0) > 0 && m->is_request &&
	    m->method != SIPDP_METHOD_ACK) {
		int n = sipdp_build_response_simple(out, 4096, m, 513, SIPDP_STR_NULL,
			SIPDP_STR_NULL);
		if (n > 0 && ctl_conn_write(c, k, out, (uint32_t)n) == 0)
			c->st.oversize_513++;
	}
	free(m);
	free(out);
	free(cp);
}

/* Consume every complete unit at the start of buf. @return bytes consumed. */
static uint32_t
frame_all(struct sipdp_ctl *c, struct ctl_conn *k, const char *buf, uint32_t len)
{
	uint32_t off = 0;
	struct sipdp_frame f;

	while (off < len && !(k->flags & CF_DOOMED)) {
		int r = sipdp_framer_next(&k->fr, buf + off, len - off, &f);
		if (r == -EAGAIN)
			break;
		if (r == -EMSGSIZE) {
			c->st.framing_errors++;
			answer_513(c, k, buf + off, len - off);
			ctl_conn_close(c, k, SIPDP_CTL_CLOSE_OVERSIZE);
			break;
		}
		if (r < 0) {
			c->st.framing_errors++;
			ctl_conn_close(c, k, SIPDP_CTL_CLOSE_FRAMING);
			break;
		}
		switch (f.kind) {
		case SIPDP_FRAME_MESSAGE: {
			struct sipdp_ctl_rx rx = {
				.buf = buf + off, .len = f.len, .conn_id = k->id,
				.transport = k->transport, .peer = k->peer, .local = k->local,
			};
			if (c->vmsg != NULL) {
				int n = sipdp_ctl_via_stamp(c->vmsg, rx.buf, rx.len, &k->peer,
					c->vbuf, c->vcap);
				if (n > 0) {
					rx.buf = c->vbuf;
					rx.len = (uint32_t)n;
				}
			}
			c->st.msgs_in++;
			c->p.on_message(c->p.arg, &rx);
			break;
		}
		case SIPDP_FRAME_PING:
			/* RFC 5626 §4.4.1: answer a double CRLF with one CRLF. */
			c->st.pings_in++;
			ctl_conn_write(c, k, "\r\n", 2);
			break;
		default:
			c->st.pongs_in++;
			break;
		}
		off += f.len;
	}
	return off;
}

static int
rbuf_reserve(struct ctl_conn *k, uint32_t need)
{
	if (need <= k->rcap)
		return 0;
	/* 1 KiB steps: most leftovers are a partial small message. */
	uint32_t cap = (need + 1023u) & ~1023u;
	char *p = realloc(k->rbuf, cap);
	if (p == NULL)
		return -ENOMEM;
	k->rbuf = p;
	k->rcap = cap;
	return 0;
}

void
ctl_stream_input(struct sipdp_ctl *c, struct ctl_conn *k, const char *data, uint32_t len)
{
	uint32_t had = k->rlen, used, left;
	const char *base;

	c->st.bytes_in += len;
	ctl_touch(c, k);
	k->flags |= CF_BUSY;
	if (had == 0) {
		base = data;
		used = frame_all(c, k, data, len);
		left = len - used;
	} else {
		if (rbuf_reserve(k, had + len) < 0) {
			k->flags &= (uint8_t)~CF_BUSY;
			ctl_conn_close(c, k, SIPDP_CTL_CLOSE_ERROR);
			return;
		}
		memcpy(k->rbuf + had, data, len);
		k->rlen = had + len;
		base = k->rbuf;
		used = frame_all(c, k, k->rbuf, k->rlen);
		left = k->rlen - used;
	}
	k->flags &= (uint8_t)~CF_BUSY;
	if (k->flags & CF_DOOMED) {
		ctl_conn_close(c, k, (enum sipdp_ctl_close_reason)k->doom_reason);
		return;
	}
	if (left == 0) {
		free(k->rbuf);
		k->rbuf = NULL;
		k->rlen = k->rcap = 0;
		ctl_list_del(c, k, CL_DEADLINE);
		return;
	}
	/* The deadline runs from the first byte of the unit still incomplete. */
	if (had == 0 || used > 0)
		ctl_list_add(c, k, CL_DEADLINE);
	if (base == data) {
		if (rbuf_reserve(k, left) < 0) {
			ctl_conn_close(c, k, SIPDP_CTL_CLOSE_ERROR);
			return;
		}
		memcpy(k->rbuf, data + used, left);
	} else if (used > 0) {
		memmove(k->rbuf, k->rbuf + used, left);
	}
	k->rlen = left;
}
