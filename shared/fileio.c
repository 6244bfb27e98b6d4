/* fileio: bounded whole-file reads and atomic durable writes.
 * Invariant: a reader never follows a symlink at the final component, and
 * a writer never leaves a half-written file at the target path. */
#include "shared/common.h"
#include "shared/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fileio_write_full(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fileio_read_fd(int fd, const char *name, struct akios_buf *buf,
		   struct akios_err *err)
{
	char chunk[16384];

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		int rc;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return akios_err_set(err, name, 0, 0, "read: %s",
					     strerror(errno));
		if (n == 0)
			return 0;
		rc = akios_buf_append(buf, chunk, (size_t)n);
		if (rc == -E2BIG)
			return akios_err_set(err, name, 0, 0,
					     "file is larger than %zu bytes",
					     buf->max);
		if (rc)
			return akios_err_set(err, name, 0, 0, "%s",
					     strerror(-rc));
	}
}

int fileio_read_all(const char *path, struct akios_buf *buf,
		    struct akios_err *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	int rc;

	if (fd < 0) {
		if (errno == ELOOP)
			return akios_err_set(err, path, 0, 0,
					     "is a symbolic link (refused)");
		return akios_err_set(err, path, 0, 0, "%s", strerror(errno));
	}
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
		close(fd);
		return akios_err_set(err, path, 0, 0, "not a regular file");
	}
	if (st.st_size > 0 && (size_t)st.st_size > buf->max) {
		close(fd);
		return akios_err_set(err, path, 0, 0,
				     "file is larger than %zu bytes", buf->max);
	}
	rc = fileio_read_fd(fd, path, buf, err);
	close(fd);
	return rc;
}

static int dir_of(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');
	int n;

	if (!slash)
		n = snprintf(dir, size, ".");
	else if (slash == path)
		n = snprintf(dir, size, "/");
	else
		n = snprintf(dir, size, "%.*s", (int)(slash - path), path);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int fsync_dir(const char *path)
{
	char dir[PATH_MAX];
	int fd;
	int rc = dir_of(path, dir, sizeof(dir));

	if (rc)
		return rc;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = fsync(fd) ? -errno : 0;
	close(fd);
	return rc;
}

int fileio_write_atomic(const char *path, const void *data, size_t len,
			mode_t mode, unsigned flags, struct akios_err *err)
{
	char tmp[PATH_MAX];
	int fd = -1;
	int rc;
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());

	if (n < 0 || (size_t)n >= sizeof(tmp))
		return akios_err_set(err, path, 0, 0, "path too long");
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  mode);
	if (fd < 0)
		return akios_err_set(err, tmp, 0, 0, "%s", strerror(errno));
	rc = fchmod(fd, mode) ? -errno : 0;
	if (!rc)
		rc = fileio_write_full(fd, data, len);
	if (!rc && !(flags & FILEIO_NOT_DURABLE) && fsync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && (flags & FILEIO_REPLACE))
		rc = rename(tmp, path) ? -errno : 0;
	else if (!rc)
		rc = renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE)
			 ? -errno
			 : 0;
	if (rc) {
		(void)unlink(tmp);
		if (rc == -EEXIST)
			return akios_err_set(err, path, 0, 0,
					     "already exists (use --force "
					     "to replace it)");
		return akios_err_set(err, path, 0, 0, "%s", strerror(-rc));
	}
	rc = flags & FILEIO_NOT_DURABLE ? 0 : fsync_dir(path);
	if (rc)
		return akios_err_set(err, path, 0, 0, "fsync of directory: %s",
				     strerror(-rc));
	return 0;
}

int fileio_mkdir_p(const char *dir, mode_t mode)
{
	char path[PATH_MAX];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, mode) && errno != EEXIST)
			return -errno;
		path[i] = i == len ? '\0' : '/';
	}
	return 0;
}
