/* Reading and writing whole files the careful way: never following a
 * symlink at the named path, bounded reads, and atomic durable replacement
 * (temp file, fsync, rename, fsync of the directory). */
#ifndef AKIOS_FILEIO_H
#define AKIOS_FILEIO_H

#include "shared/common.h"
#include "shared/buf.h"
#include "shared/err.h"

#include <sys/types.h>

enum fileio_flags {
	FILEIO_REPLACE = 1 << 0, /* replace an existing file at path */
	/* WARNING: atomic but not durable (no fsync of the file or its
	 * directory): after a crash the old file, the new one or an empty
	 * one may be there. Only for caches that are checked when read. */
	FILEIO_NOT_DURABLE = 1 << 1,
};

/* Appends the whole file to buf (which bounds its size: a larger file is
 * an error naming the limit). O_NOFOLLOW: a symlink at path is refused. */
int fileio_read_all(const char *path, struct akios_buf *buf,
		    struct akios_err *err) AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;

/* Same, from an open fd (not closed). name is used in errors only. */
int fileio_read_fd(int fd, const char *name, struct akios_buf *buf,
		   struct akios_err *err) AKIOS_NONNULL(2, 3) AKIOS_NODISCARD;

/* Writes data to path atomically and durably (unless FILEIO_NOT_DURABLE)
 * with the given mode. Without FILEIO_REPLACE an existing file (or
 * symlink) at path is an error. */
int fileio_write_atomic(const char *path, const void *data, size_t len,
			mode_t mode, unsigned flags, struct akios_err *err)
    AKIOS_NONNULL(1) AKIOS_NODISCARD;

/* mkdir -p: creates each missing component of dir with mode (existing
 * ones are left as they are). Returns 0 or -errno. */
int fileio_mkdir_p(const char *dir, mode_t mode)
    AKIOS_NONNULL(1) AKIOS_NODISCARD;

/* write(2) until done; retries EINTR. Returns 0 or -errno. */
int fileio_write_full(int fd, const void *data, size_t len) AKIOS_NODISCARD;

#endif
