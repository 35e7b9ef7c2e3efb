/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_GUARD_PAGE_H
#define SIPDP_GUARD_PAGE_H

/**
 * @file
 * Place test input right before an unreadable page (picohttpparser's trick):
 * a parser that reads one byte past what it was given faults at once, with or
 * without a sanitizer.
 */

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct guard_buf {
	uint8_t *map;
	size_t map_len;
	char *data; /* input copy, ends exactly at the guard page */
};

static inline int
guard_buf_make(struct guard_buf *g, const void *src, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t pages = (len + page - 1) / page + 1;

	g->map_len = pages * page;
	g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->map == MAP_FAILED)
		return -1;
	if (mprotect(g->map + (pages - 1) * page, page, PROT_NONE) != 0)
		return -1;
	g->data = (char *)g->map + (pages - 1) * page - len;
	memcpy(g->data, src, len);
	return 0;
}

static inline void
guard_buf_free(struct guard_buf *g)
{
	munmap(g->map, g->map_len);
}

#endif /* SIPDP_GUARD_PAGE_H */
