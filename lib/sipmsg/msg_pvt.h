/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_MSG_PVT_H
#define SIPDP_MSG_PVT_H

/* Private to lib/sipmsg: character classes used by the indexer. */

#include <stdbool.h>
#include <stdint.h>

/* RFC 3261 §25.1 token: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" */
#define SIPDP_CC_TOKEN 0x01

extern const uint8_t sipdp_msg_cc[256];

static inline bool
sipdp_msg_is_token(unsigned char c)
{
	return sipdp_msg_cc[c] & SIPDP_CC_TOKEN;
}

#endif /* SIPDP_MSG_PVT_H */
