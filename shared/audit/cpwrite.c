/* Writing a signed checkpoint into the checkpoints directory, relative to
 * the writer's open fd of it: a temp file, fsync, rename over the final
 * name, fsync of the directory. Invariants: a reader sees either no
 * checkpoint of that size or the whole one, and it is durable (file and
 * name) before this returns 0; nothing is written through a symlink or a
 * file that already existed under the temp name. */
#include "shared/common.h"
#include "shared/audit/audit_int.h"
#include "shared/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>

/* The temp name: the writer holds the directory's lock, so one name is
 * enough; a leftover of a crashed writer is removed and made again (never
 * opened as it is: it may be a link to another file). The listing skips
 * it (not 20 digits). */
static int open_temp(int cpfd, const char *tmp)
{
	const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	int fd = openat(cpfd, tmp, flags, 0644);

	if (fd < 0 && errno == EEXIST && unlinkat(cpfd, tmp, 0) == 0)
		fd = openat(cpfd, tmp, flags, 0644);
	return fd < 0 ? -errno : fd;
}

static int write_temp(int cpfd, const char *tmp, const void *text, size_t len)
{
	int fd = open_temp(cpfd, tmp);
	int rc;

	if (fd < 0)
		return fd;
	/* The mode exactly, whatever the umask (checkpoints are public). */
	rc = fchmod(fd, 0644) ? -errno : 0;
	if (!rc)
		rc = fileio_write_full(fd, text, len);
	if (!rc && fsync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	return rc;
}

int audit_cp_write(struct audit_log *log, uint64_t size, const void *text,
		   size_t len)
{
	char name[32];
	char tmp[40];
	int rc;

	/* The name inside the directory: 20 digits (audit_cp_name's). */
	snprintf(name, sizeof(name), "%020" PRIu64, size);
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	rc = write_temp(log->cpfd, tmp, text, len);
	if (!rc && renameat(log->cpfd, tmp, log->cpfd, name))
		rc = -errno;
	if (rc) {
		(void)unlinkat(log->cpfd, tmp, 0);
		return rc;
	}
	return fsync(log->cpfd) ? -errno : 0;
}
