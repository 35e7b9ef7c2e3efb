/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_SHARD_GEN_H
#define SIPDP_SHARD_GEN_H

#include "shard_pvt.h"

/* One worker's share of the calls: is lib/call's generator
 * (sipdp_call_gen.h), made at start (shard_gen_create.c) and then touched
 * by that worker only; telemetry reads it with relaxed loads. This is its
 * former name. */
#define shard_gen sipdp_call_gen

#endif /* SIPDP_SHARD_GEN_H */
