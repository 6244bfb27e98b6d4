/* The one error type a user reads: a message with the place it was found
 * (STYLE.md §12). Filled at the point of detection, printed by the CLI as
 * "akios: file:line:col: message". */
#ifndef AKIOS_ERR_H
#define AKIOS_ERR_H

#include "shared/common.h"

#include <stdarg.h>

struct akios_err {
	char msg[256];
	const char *file; /* borrowed; NULL when there is no file */
	unsigned line;	  /* 1-based; 0 when unknown */
	unsigned col;	  /* 1-based; 0 when unknown */
};

/* Sets msg (truncated with "..." if longer than the buffer) and the place.
 * err may be NULL, in which case nothing happens. Returns -EINVAL so a
 * caller can write `return akios_err_set(...)`. */
int akios_err_set(struct akios_err *err, const char *file, unsigned line,
		  unsigned col, const char *fmt, ...) AKIOS_PRINTF(5, 6);

/* The same with a va_list, for callers that keep their own lists of
 * errors. Returns -EINVAL. */
int akios_err_vset(struct akios_err *err, const char *file, unsigned line,
		   unsigned col, const char *fmt, va_list ap)
    AKIOS_PRINTF(5, 0);

/* Formats "file:line:col: msg" (or the shorter forms when fields are
 * missing) into out. Returns the length written, never more than size-1. */
size_t akios_err_format(const struct akios_err *err, char *out, size_t size)
    AKIOS_NONNULL(1, 2);

#endif
