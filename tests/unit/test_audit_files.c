/* The writer's files at the end of a run, written with few syscalls
 * (shared/audit/cpwrite.c, state.c, writer.c): events.state is rewritten
 * in place (cut when it shrinks) unless it has other names, the
 * checkpoint's temp file is never written through when one is left over,
 * and the lock file names its current holder over a longer old pid. Each
 * case ends with a log that reopens by the shortcut and verifies. */
#include "shared/common.h"
#include "shared/audit/audit_int.h"
#include "shared/audit/audit_read.h"
#include "tests/lib/testlib.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>

static char *tmp;
static char dir[512];
static char statepath[600];

static void setup(void)
{
	char keys[600];

	tmp = test_tmpdir("akios-audit-files");
	cr_assert_not_null(tmp);
	snprintf(dir, sizeof(dir), "%s/audit", tmp);
	snprintf(statepath, sizeof(statepath), "%s/" AUDIT_STATE_NAME, dir);
	snprintf(keys, sizeof(keys), "%s/keys", tmp);
	setenv("AKIOS_KEY_DIR", keys, 1);
}

static void teardown(void)
{
	test_rmtree(tmp);
	free(tmp);
}

TestSuite(audit_files, .init = setup, .fini = teardown);

static struct audit_log *open_ok(void)
{
	struct audit_log *log = NULL;
	struct akios_err err = {0};

	cr_assert_eq(audit_open(dir, NULL, &log, &err), 0, "%s", err.msg);
	return log;
}

/* Appends until the tree has `size` records, then closes (checkpoint and
 * state). */
static void grow_to(uint64_t size)
{
	struct audit_log *log = open_ok();
	struct akios_err err = {0};

	while (audit_size(log) < size)
		cr_assert_eq(audit_append(log, "test.step", NULL, NULL, &err),
			     0, "%s", err.msg);
	cr_assert_eq(audit_close(log, &err), 0, "%s", err.msg);
}

static struct stat stat_ok(const char *path)
{
	struct stat st;

	cr_assert_eq(lstat(path, &st), 0, "%s: %s", path, strerror(errno));
	return st;
}

/* The state file decodes exactly (no stale tail) to a tree of size. */
static void state_names(uint64_t size)
{
	uint8_t buf[AUDIT_STATE_MAX + 1];
	struct audit_state st;
	int fd = open(statepath, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	cr_assert_geq(fd, 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	cr_assert_gt(n, 0);
	cr_assert_eq(audit_state_decode(buf, (size_t)n, &st), 0,
		     "a state of %zd bytes does not decode", n);
	cr_assert_eq(st.fr.size, size);
}

/* Reopens: by the shortcut (one record read, no listing), then verifies. */
static void reopens_fast_and_verifies(uint64_t size)
{
	struct audit_verify_opts o = {0};
	struct audit_verify_result res;
	struct akios_err err = {0};
	struct audit_log *log = open_ok();

	cr_assert_eq(audit_size(log), size);
	cr_assert_eq(log->open_scanned, 1, "the state was used");
	cr_assert_not(log->open_listed);
	cr_assert_eq(audit_close(log, &err), 0, "%s", err.msg);
	cr_assert_eq(audit_verify_dir(dir, &o, &res, &err), 0, "%s", err.msg);
}

Test(audit_files, state_is_rewritten_in_place_and_cut_when_shorter)
{
	struct stat a, b;

	grow_to(7); // 3 frontier nodes
	state_names(7);
	a = stat_ok(statepath);
	grow_to(8); // 1 node: the file shrinks by 64 bytes
	state_names(8);
	b = stat_ok(statepath);
	cr_assert_eq(a.st_ino, b.st_ino, "the same file, not a new one");
	cr_assert_eq(b.st_size, a.st_size - 2 * AUDIT_HASH_LEN);
	grow_to(15); // 4 nodes: it grows again
	state_names(15);
	cr_assert_eq(stat_ok(statepath).st_ino, a.st_ino);
	reopens_fast_and_verifies(15);
}

/* A state with another name (a hard link) is replaced, never written
 * through: the other name keeps its bytes. */
Test(audit_files, linked_state_is_replaced_not_written_through)
{
	char other[700];
	struct stat before;

	grow_to(5);
	snprintf(other, sizeof(other), "%s/other", tmp);
	cr_assert_eq(link(statepath, other), 0, "%s", strerror(errno));
	before = stat_ok(other);
	grow_to(9);
	state_names(9);
	cr_assert_neq(stat_ok(statepath).st_ino, before.st_ino);
	cr_assert_eq(stat_ok(other).st_size, before.st_size);
	cr_assert_eq(stat_ok(other).st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	reopens_fast_and_verifies(9);
}

/* A leftover temp name (here a symlink to a file of the user) is removed
 * and made again: the checkpoint lands, the link's target is untouched. */
Test(audit_files, leftover_checkpoint_temp_is_not_written_through)
{
	char victim[700];
	char tmpname[700];

	grow_to(3);
	snprintf(victim, sizeof(victim), "%s/victim", tmp);
	cr_assert_eq(test_write_file(victim, "mine\n"), 0);
	snprintf(tmpname, sizeof(tmpname),
		 "%s/" AUDIT_CP_DIR "/%020" PRIu64 ".tmp", dir, (uint64_t)6);
	cr_assert_eq(symlink(victim, tmpname), 0, "%s", strerror(errno));
	grow_to(6);
	cr_assert_eq(stat_ok(victim).st_size, 5);
	cr_assert_eq(access(tmpname, F_OK), -1, "the temp name is gone");
	reopens_fast_and_verifies(6);
}

/* The pid goes over the old one without a truncation first: readers stop
 * at its newline, so a shorter pid still reads whole. */
Test(audit_files, lock_names_its_holder_over_a_longer_old_pid)
{
	char lockpath[700];
	char want[64];
	struct audit_log *a, *b = NULL;
	struct akios_err err = {0};

	grow_to(2);
	snprintf(lockpath, sizeof(lockpath), "%s/" AUDIT_LOCK_NAME, dir);
	cr_assert_eq(test_write_file(lockpath, "99999999999999999\n"), 0);
	a = open_ok();
	cr_assert_eq(audit_open(dir, NULL, &b, &err), -EBUSY);
	snprintf(want, sizeof(want), "(pid %d)", (int)getpid());
	cr_assert(strstr(err.msg, want), "%s", err.msg);
	cr_assert_eq(audit_close(a, &err), 0, "%s", err.msg);
}

/* A state we may read but not write is still used for the open, then
 * replaced by a rename (a writable one of its own from then on). Root
 * writes a 0400 file anyway: then it is simply rewritten in place. */
Test(audit_files, read_only_state_is_used_then_replaced)
{
	grow_to(4);
	cr_assert_eq(chmod(statepath, 0400), 0);
	reopens_fast_and_verifies(4);
	grow_to(5);
	state_names(5);
	if (geteuid() != 0)
		cr_assert_eq(stat_ok(statepath).st_mode & 0777, 0600);
	reopens_fast_and_verifies(5);
}
