/* The pool of spare placeholder directories: an empty directory that
 * stood in for a missing .git or .vscode is renamed into a private pool
 * at the end of a run instead of removed, and the next run renames it
 * back into place instead of making one. On ext4 mounted with `discard`
 * (without a journal the discard is synchronous) freeing a directory's
 * block costs ~0.2 ms, and that happened in the cage's teardown, which
 * akios waits for; a rename costs ~10 us and frees nothing.
 * Invariants: the pool is a directory akios made, private to the user
 * (0700, theirs), inside the audit or the key directory (hidden from
 * every cage's view by the plan), on the placeholders' filesystem. Only
 * an empty directory enters the pool or leaves it (checked before the
 * move and again after it: anything found inside goes back where it
 * was); nothing in it is ever deleted; it keeps at most
 * AKIOS_PH_SPARE_MAX entries (beyond that, placeholders are removed as
 * without a pool). The sentinel's side makes raw syscalls only
 * (placeholder.c says why). */
#include "shared/common.h"
#include "shared/limits.h"
#include "supervisor/cage/placeholder_int.h"

#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define SPARE_DIR    "placeholders"
#define SPARE_PREFIX "ph-"

/* The kernel's getdents64 record. */
struct ph_dirent {
	uint64_t ino;
	int64_t off;
	uint16_t reclen;
	uint8_t type;
	char name[];
};

PH_BARE static int is_dot(const char *n)
{
	return n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'));
}

/* 1 when the directory fd holds nothing but . and .., 0 when it holds
 * something, -errno when it cannot be read. */
PH_BARE static long dir_empty(int fd)
{
	union {
		char buf[512];
		uint64_t align;
	} u;
	long n;

	while ((n = PH_SYS(SYS_getdents64, fd, u.buf, sizeof(u.buf), 0, 0, 0)) >
	       0) {
		for (long at = 0; at < n;) {
			const struct ph_dirent *d =
			    (const struct ph_dirent *)(u.buf + at);

			if (!is_dot(d->name))
				return 0;
			at += d->reclen;
		}
	}
	return n == 0 ? 1 : n;
}

/* The empty directory name in dirfd, its inode in *st: 0, or -errno
 * (-ENOTEMPTY when it holds anything, -ENOTDIR when not a directory). */
PH_BARE static long check_empty(int dirfd, const char *name, struct statx *st)
{
	long fd =
	    PH_SYS(SYS_openat, dirfd, name,
		   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0, 0, 0);
	long rc;

	if (fd < 0)
		return fd;
	rc = ph_statx((int)fd, "", AT_EMPTY_PATH, st);
	if (rc == 0)
		rc = dir_empty((int)fd);
	(void)PH_SYS(SYS_close, fd, 0, 0, 0, 0, 0);
	return rc == 1 ? 0 : rc == 0 ? -ENOTEMPTY : rc;
}

PH_BARE static int same_inode(const struct statx *a, const struct statx *b)
{
	return a->stx_ino == b->stx_ino &&
	       a->stx_dev_major == b->stx_dev_major &&
	       a->stx_dev_minor == b->stx_dev_minor;
}

PH_BARE static int has_prefix(const char *n)
{
	return n[0] == 'p' && n[1] == 'h' && n[2] == '-' && n[3] != '\0';
}

/* One pool entry, by name, into place at path. */
PH_BARE static long take_one(struct ph_block *b, const char *name,
			     const char *path, struct statx *st)
{
	struct statx was;
	long rc = check_empty(b->spare, name, &was);

	if (rc != 0)
		return rc;
	rc = PH_SYS(SYS_renameat2, b->spare, name, AT_FDCWD, path,
		    RENAME_NOREPLACE, 0);
	if (rc != 0)
		return rc;
	/* The one checked, still empty: else it goes back. */
	rc = check_empty(AT_FDCWD, path, st);
	if (rc == 0 && !same_inode(st, &was))
		rc = -ESTALE;
	if (rc != 0)
		(void)PH_SYS(SYS_renameat2, AT_FDCWD, path, b->spare, name,
			     RENAME_NOREPLACE, 0);
	return rc;
}

PH_BARE long ph_spare_take(struct ph_block *b, const char *path,
			   struct statx *st)
{
	union {
		char buf[1024];
		uint64_t align;
	} u;
	long n;

	if (b->spare < 0)
		return -ENOENT;
	(void)PH_SYS(SYS_lseek, b->spare, 0, SEEK_SET, 0, 0, 0);
	while ((n = PH_SYS(SYS_getdents64, b->spare, u.buf, sizeof(u.buf), 0, 0,
			   0)) > 0) {
		for (long at = 0; at < n;) {
			const struct ph_dirent *d =
			    (const struct ph_dirent *)(u.buf + at);
			long rc;

			at += d->reclen;
			if (!has_prefix(d->name))
				continue;
			rc = take_one(b, d->name, path, st);
			if (rc == 0) {
				b->spare_taken++;
				return 0;
			}
			if (rc == -EEXIST || rc == -EXDEV) {
				if (rc == -EXDEV)
					b->spare = -1; /* not this fs */
				return rc;
			}
		}
	}
	return -ENOENT;
}

/* "ph-" and the inode number in hex: unique on the filesystem. */
PH_BARE static void spare_name(char *out, uint64_t ino)
{
	char hex[17];
	int k = 0;

	do {
		hex[k++] = "0123456789abcdef"[ino & 15];
		ino >>= 4;
	} while (ino && k < 16);
	out[0] = 'p';
	out[1] = 'h';
	out[2] = '-';
	for (int i = 0; i < k; i++)
		out[3 + i] = hex[k - 1 - i];
	out[3 + k] = '\0';
}

PH_BARE long ph_spare_give(struct ph_block *b, const struct ph_entry *e,
			   const char *path)
{
	char name[24];
	struct statx st;
	long rc;

	if (b->spare < 0 || b->spare_seen - b->spare_taken + b->spare_given >=
				AKIOS_PH_SPARE_MAX)
		return -ENOSPC;
	rc = check_empty(AT_FDCWD, path, &st);
	if (rc != 0)
		return rc;
	if (st.stx_ino != e->ino || st.stx_dev_major != e->dev_major ||
	    st.stx_dev_minor != e->dev_minor)
		return -ESTALE;
	spare_name(name, e->ino);
	rc = PH_SYS(SYS_renameat2, AT_FDCWD, path, b->spare, name,
		    RENAME_NOREPLACE, 0);
	if (rc != 0)
		return rc;
	/* Something written into it meanwhile goes back where it was. */
	if (check_empty(b->spare, name, &st) != 0) {
		(void)PH_SYS(SYS_renameat2, b->spare, name, AT_FDCWD, path,
			     RENAME_NOREPLACE, 0);
		return -ENOTEMPTY;
	}
	b->spare_given++;
	return 0;
}

/* The device of the directory holding the plan's first directory
 * placeholder; 0 when the plan has none. */
static dev_t placeholder_dev(const struct cage_plan *p)
{
	for (unsigned i = 0; i < p->n_mounts; i++) {
		const struct cage_mount *m = &p->mounts[i];
		char parent[PATH_MAX];
		struct stat st;

		if ((m->flags & (CAGE_MF_PLACEHOLDER | CAGE_MF_DIR)) !=
		    (CAGE_MF_PLACEHOLDER | CAGE_MF_DIR))
			continue;
		if (strlen(m->dst) >= sizeof(parent))
			return 0;
		memcpy(parent, m->dst, strlen(m->dst) + 1);
		return stat(dirname(parent), &st) == 0 ? st.st_dev : 0;
	}
	return 0;
}

/* Its entries, for the bound on the pool's size. */
static uint32_t count_spares(int fd)
{
	int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	DIR *d = dup_fd < 0 ? NULL : fdopendir(dup_fd);
	struct dirent *e;
	uint32_t n = 0;

	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return AKIOS_PH_SPARE_MAX; /* unknown: give nothing back */
	}
	while ((e = readdir(d)) != NULL)
		n += strncmp(e->d_name, SPARE_PREFIX, 3) == 0;
	closedir(d);
	return n;
}

/* dir/placeholders, made if missing (dir itself is never made), when it
 * is private to us and on dev: its fd, else -1. */
static int open_pool(const char *dir, dev_t dev)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	int fd;

	if (dfd < 0)
		return -1;
	if (fstat(dfd, &st) != 0 || st.st_dev != dev) {
		close(dfd);
		return -1;
	}
	(void)mkdirat(dfd, SPARE_DIR, 0700);
	fd = openat(dfd, SPARE_DIR,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(dfd);
	if (fd >= 0 && (fstat(fd, &st) != 0 || st.st_dev != dev ||
			st.st_uid != geteuid() || (st.st_mode & 077) != 0)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int ph_spare_open(const struct cage_plan *p, const char *const *dirs,
		  unsigned n_dirs, uint32_t *n_in)
{
	dev_t dev = placeholder_dev(p);
	int fd = -1;

	for (unsigned i = 0; dev && fd < 0 && i < n_dirs; i++)
		if (dirs[i] && dirs[i][0] == '/')
			fd = open_pool(dirs[i], dev);
	*n_in = fd < 0 ? 0 : count_spares(fd);
	return fd;
}
