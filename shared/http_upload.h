/* Uploading a file to a URL (http, https, file) through libcurl, which is
 * loaded with dlopen on first use: commands that never upload (akios run
 * above all) do not pay for libcurl's dependency tree at exec. */
#ifndef AKIOS_HTTP_UPLOAD_H
#define AKIOS_HTTP_UPLOAD_H

#include "shared/common.h"
#include "shared/err.h"

#include <stdbool.h>
#include <stdio.h>

/* The soname loaded; a missing library is an error naming it. */
#define HTTP_UPLOAD_LIBCURL "libcurl.so.4"

/* Sends size bytes read from f to url with HTTP PUT (post: POST) or a
 * file:// write. Fails (with url as the location) when libcurl cannot be
 * loaded, the scheme is not http/https/file, or the server answers >= 400. */
int http_upload(FILE *f, const char *url, bool post, long size,
		struct akios_err *err) AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;

#endif
