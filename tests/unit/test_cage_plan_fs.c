/* The plan's cached looks at the host (plan_fs.c): every answer must be
 * the type lstat(2) gives, whether it comes from a directory listing, the
 * memo of exact paths or lstat itself: present and missing names, names
 * below a missing directory, below a file, through a symlink, "." and
 * "..", doubled and trailing slashes, and a directory too large to list. */
#include "shared/common.h"
#include "supervisor/cage/plan.h"
#include "supervisor/cage/plan_int.h"
#include "tests/lib/testlib.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

static char *dir;
static struct cage_plan plan;

static void path_of(char *out, size_t size, const char *rel)
{
	int n = snprintf(out, size, "%s%s%s", dir, rel[0] ? "/" : "", rel);

	cr_assert(n > 0 && (size_t)n < size);
}

static void mk(const char *rel, bool is_dir)
{
	char p[1024];

	path_of(p, sizeof(p), rel);
	if (is_dir)
		cr_assert_eq(mkdir(p, 0755), 0, "%s", p);
	else
		cr_assert_eq(test_write_file(p, "x"), 0, "%s", p);
}

static void setup(void)
{
	char p[1024];

	dir = test_tmpdir("akios-planfs");
	cr_assert_not_null(dir);
	mk(".ssh", true);
	mk(".netrc", false);
	mk(".config", true);
	mk(".config/gh", true);
	mk("afile", false);
	mk("real", true);
	mk("real/inner", false);
	path_of(p, sizeof(p), "link");
	cr_assert_eq(symlink("real", p), 0);
	path_of(p, sizeof(p), "dangling");
	cr_assert_eq(symlink("nowhere", p), 0);
	memset(&plan, 0, sizeof(plan));
	cr_assert_eq(plan_fs_new(&plan.fs), 0);
}

static void teardown(void)
{
	plan_fs_free(plan.fs);
	plan.fs = NULL;
	test_rmtree(dir);
	free(dir);
}

static mode_t truth(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? st.st_mode & S_IFMT : 0;
}

/* Each name twice (the second from the memo or the listing), each
 * compared with lstat. */
static void check_all(const char *const *rel, size_t n)
{
	char p[1024];

	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < n; i++) {
			path_of(p, sizeof(p), rel[i]);
			cr_assert_eq(plan_lstat(&plan, p), truth(p),
				     "%s (round %d): %o, lstat %o", p, round,
				     (unsigned)plan_lstat(&plan, p),
				     (unsigned)truth(p));
		}
}

static const char *const names[] = {
    "",
    ".ssh",
    ".netrc",
    ".aws",
    ".config",
    ".config/gh",
    ".config/gcloud",
    ".local/share/keyrings",
    "afile",
    "afile/x",
    "afile/x/y",
    "real",
    "real/inner",
    "real/missing",
    "link",
    "link/inner",
    "link/missing",
    "dangling",
    "dangling/x",
    ".",
    "..",
    "./.ssh",
    "real/../.ssh",
    "real/../.aws",
    "/.ssh",
    ".ssh/",
    "afile/",
    "missing/",
};

TestSuite(cage_plan_fs, .init = setup, .fini = teardown);

Test(cage_plan_fs, listed_directory_answers_like_lstat)
{
	plan_fs_list(&plan, dir);
	check_all(names, AKIOS_ARRAY_SIZE(names));
}

Test(cage_plan_fs, memo_alone_answers_like_lstat)
{
	check_all(names, AKIOS_ARRAY_SIZE(names));
}

Test(cage_plan_fs, listing_a_subdirectory_and_a_symlinked_one)
{
	char p[1024];

	path_of(p, sizeof(p), "real");
	plan_fs_list(&plan, p);
	path_of(p, sizeof(p), "link");
	plan_fs_list(&plan, p);
	path_of(p, sizeof(p), ".config");
	plan_fs_list(&plan, p);
	check_all(names, AKIOS_ARRAY_SIZE(names));
}

/* A directory larger than one read is not listed: the answers still come
 * from lstat, right for names present and missing alike. */
Test(cage_plan_fs, a_large_directory_is_answered_by_lstat)
{
	char rel[64];
	char p[1024];

	mk("big", true);
	for (int i = 0; i < 400; i++) {
		snprintf(rel, sizeof(rel), "big/entry-with-a-long-name-%03d",
			 i);
		mk(rel, i % 2 == 0);
	}
	path_of(p, sizeof(p), "big");
	plan_fs_list(&plan, p);
	for (int i = 0; i < 420; i += 7) {
		snprintf(rel, sizeof(rel), "big/entry-with-a-long-name-%03d",
			 i);
		path_of(p, sizeof(p), rel);
		cr_assert_eq(plan_lstat(&plan, p), truth(p), "%s", p);
	}
}

/* The cache is a snapshot of one build: a name made afterwards is not
 * seen by that build, and a plan without a cache asks lstat each time. */
Test(cage_plan_fs, without_a_cache_every_look_is_fresh)
{
	char p[1024];
	struct plan_fs *fs = plan.fs;

	plan.fs = NULL;
	path_of(p, sizeof(p), "later");
	cr_assert_eq(plan_lstat(&plan, p), 0);
	mk("later", true);
	cr_assert_eq(plan_lstat(&plan, p), S_IFDIR);
	plan.fs = fs;
	cr_assert_eq(plan_lstat(&plan, p), S_IFDIR);
}

Test(cage_plan_fs, a_missing_directory_is_not_listed)
{
	char p[1024];

	path_of(p, sizeof(p), "nothere");
	plan_fs_list(&plan, p);
	check_all(names, AKIOS_ARRAY_SIZE(names));
	path_of(p, sizeof(p), "nothere/x");
	cr_assert_eq(plan_lstat(&plan, p), 0);
}
