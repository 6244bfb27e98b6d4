/* akios_err: fill and format the user-facing error record.
 * Invariant: msg is always NUL-terminated, even after truncation. */
#include "shared/common.h"
#include "shared/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int akios_err_vset(struct akios_err *err, const char *file, unsigned line,
		   unsigned col, const char *fmt, va_list ap)
{
	int n;

	if (!err)
		return -EINVAL;
	err->file = file;
	err->line = line;
	err->col = col;
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	if (n < 0)
		err->msg[0] = '\0';
	else if ((size_t)n >= sizeof(err->msg))
		memcpy(err->msg + sizeof(err->msg) - 4, "...", 4);
	return -EINVAL;
}

int akios_err_set(struct akios_err *err, const char *file, unsigned line,
		  unsigned col, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = akios_err_vset(err, file, line, col, fmt, ap);
	va_end(ap);
	return rc;
}

size_t akios_err_format(const struct akios_err *err, char *out, size_t size)
{
	int n;

	if (size == 0)
		return 0;
	if (err->file && err->line)
		n = snprintf(out, size, "%s:%u:%u: %s", err->file, err->line,
			     err->col, err->msg);
	else if (err->file)
		n = snprintf(out, size, "%s: %s", err->file, err->msg);
	else
		n = snprintf(out, size, "%s", err->msg);
	if (n < 0) {
		out[0] = '\0';
		return 0;
	}
	return (size_t)n >= size ? size - 1 : (size_t)n;
}
