/* SPDX-License-Identifier: BSD-3-Clause */
#include "sipdp_msg.h"
