/* Unit tests of shared/fileio.c: mkdir -p, atomic writes that refuse to
 * replace without FILEIO_REPLACE, bounded reads that refuse symlinks. */
#include "shared/common.h"
#include "shared/fileio.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <sys/stat.h>

Test(fileio, mkdir_p_creates_every_component_with_mode)
{
	char dir[] = "/tmp/akios-fileio-XXXXXX";
	char deep[256];
	struct stat st;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(deep, sizeof(deep), "%s/a/b/c", dir);
	cr_assert_eq(fileio_mkdir_p(deep, 0700), 0);
	cr_assert_eq(stat(deep, &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	cr_assert_eq(st.st_mode & 0777, 0700);
	cr_assert_eq(fileio_mkdir_p(deep, 0700), 0, "existing dirs are fine");
	snprintf(deep, sizeof(deep), "%s/a/b/c/file", dir);
	cr_assert_eq(fileio_write_atomic(deep, "x", 1, 0644, 0, NULL), 0);
	snprintf(deep, sizeof(deep), "%s/a/b/c/file/sub", dir);
	cr_assert_eq(fileio_mkdir_p(deep, 0700), -ENOTDIR);
}

Test(fileio, atomic_write_replaces_only_when_asked)
{
	char dir[] = "/tmp/akios-fileio-XXXXXX";
	char path[256];
	struct akios_buf b;
	struct akios_err err = {0};

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	cr_assert_eq(fileio_write_atomic(path, "one", 3, 0600, 0, &err), 0);
	cr_assert_neq(fileio_write_atomic(path, "two", 3, 0600, 0, &err), 0);
	cr_assert(strstr(err.msg, "already exists") != NULL, "%s", err.msg);
	cr_assert_eq(
	    fileio_write_atomic(path, "two", 3, 0600, FILEIO_REPLACE, &err), 0);
	akios_buf_init(&b, 16);
	cr_assert_eq(fileio_read_all(path, &b, &err), 0);
	cr_assert_str_eq(b.ptr, "two");
	akios_buf_free(&b);
}

/* The cache mode (no fsync) is still atomic and mode-exact, and leaves
 * no temporary file; durability itself is a crash property, not tested. */
Test(fileio, not_durable_write_is_still_atomic)
{
	char dir[] = "/tmp/akios-fileio-XXXXXX";
	char path[256], tmp[300];
	struct akios_buf b;
	struct akios_err err = {0};
	struct stat st;
	const unsigned fl = FILEIO_REPLACE | FILEIO_NOT_DURABLE;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cache", dir);
	cr_assert_eq(fileio_write_atomic(path, "old", 3, 0600, fl, &err), 0);
	cr_assert_eq(fileio_write_atomic(path, "newer", 5, 0640, fl, &err), 0);
	akios_buf_init(&b, 16);
	cr_assert_eq(fileio_read_all(path, &b, &err), 0);
	cr_assert_eq(b.len, 5);
	cr_assert_eq(memcmp(b.ptr, "newer", 5), 0);
	akios_buf_free(&b);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0640);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	cr_assert_eq(access(tmp, F_OK), -1, "no temporary file left");
	cr_assert_neq(
	    fileio_write_atomic(path, "x", 1, 0600, FILEIO_NOT_DURABLE, &err),
	    0, "still no replace without FILEIO_REPLACE");
}

Test(fileio, read_is_bounded)
{
	char dir[] = "/tmp/akios-fileio-XXXXXX";
	char path[256];
	struct akios_buf b;
	struct akios_err err = {0};

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/big", dir);
	cr_assert_eq(fileio_write_atomic(path, "0123456789", 10, 0600, 0, &err),
		     0);
	akios_buf_init(&b, 4);
	cr_assert_neq(fileio_read_all(path, &b, &err), 0);
	cr_assert(strstr(err.msg, "larger than 4 bytes") != NULL, "%s",
		  err.msg);
	akios_buf_free(&b);
}
