/* The one growable byte buffer of akios (STYLE.md §16–17): in-place struct,
 * bytes carry their length, and a maximum fixed at init. Passing the
 * maximum is an error that frees the buffer, so an attacker-sized input
 * can never grow memory without bound. */
#ifndef AKIOS_BUF_H
#define AKIOS_BUF_H

#include "shared/common.h"

#include <stdint.h>

struct akios_buf {
	char *ptr; /* owned; NUL-terminated for convenience, len excludes it */
	size_t len;
	size_t cap;
	size_t max; /* hard limit on len, from shared/limits.h */
};

void akios_buf_init(struct akios_buf *b, size_t max) AKIOS_NONNULL(1);

/* Copies n bytes. Returns 0, -ENOMEM, or -E2BIG when len would pass max
 * (the buffer is freed in both error cases). */
int akios_buf_append(struct akios_buf *b, const void *p, size_t n)
    AKIOS_NONNULL(1) AKIOS_NODISCARD;
int akios_buf_appendf(struct akios_buf *b, const char *fmt, ...)
    AKIOS_NONNULL(1, 2) AKIOS_PRINTF(2, 3) AKIOS_NODISCARD;

/* Empties the buffer but keeps its memory. */
void akios_buf_reset(struct akios_buf *b) AKIOS_NONNULL(1);

/* Frees the memory; the buffer is re-usable (as after init, same max). */
void akios_buf_free(struct akios_buf *b) AKIOS_NONNULL(1);

/* Transfers ownership of the bytes to the caller (free() them) and leaves
 * the buffer empty. Returns NULL for an empty buffer; *len may be NULL. */
char *akios_buf_take(struct akios_buf *b, size_t *len) AKIOS_NONNULL(1);

#endif
