/* The scan behind the noexec binds of program directories inside library
 * directories (plan_progdirs.c), on a crafted tree: a directory of ELF
 * programs is bound noexec once (its subdirectories covered), a mixed one
 * (programs and a shared object), a script-only one, one holding a granted
 * file and one deeper than the scan are left alone. */
#include "shared/common.h"
#include "supervisor/cage/plan.h"
#include "supervisor/cage/plan_int.h"
#include "tests/lib/testlib.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <sys/stat.h>

static char *dir;
static struct cage_plan plan;

static void setup(void)
{
	dir = test_tmpdir("akios-progdirs");
	cr_assert_not_null(dir);
	memset(&plan, 0, sizeof(plan));
}

static void teardown(void)
{
	cage_plan_free(&plan);
	test_rmtree(dir);
	free(dir);
}

TestSuite(progdirs, .init = setup, .fini = teardown);

/* rel under dir, its parents created; a copy of src (NULL: text). */
static void put(const char *rel, const char *src, mode_t mode)
{
	char path[1024], buf[65536];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (char *s = path + strlen(dir) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		(void)mkdir(path, 0755);
		*s = '/';
	}
	int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	int in = src ? open(src, O_RDONLY | O_CLOEXEC) : -1;

	cr_assert_geq(out, 0, "%s", path);
	if (!src)
		cr_assert_eq(write(out, "#!/bin/sh\n", 10), 10);
	while (in >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		cr_assert_eq(write(out, buf, (size_t)n), n);
	if (in >= 0)
		close(in);
	close(out);
	cr_assert_eq(chmod(path, mode), 0);
}

static unsigned noexec_count(const char *rel)
{
	char path[1024];
	unsigned n = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (unsigned i = 0; i < plan.n_mounts; i++)
		if ((plan.mounts[i].flags & CAGE_MF_NOEXEC) &&
		    strcmp(plan.mounts[i].dst, path) == 0)
			n++;
	return n;
}

Test(progdirs, finds_program_dirs_and_leaves_the_rest)
{
	char root[1024], granted[1024];
	const char *roots[] = {root};

	snprintf(root, sizeof(root), "%s/lib", dir);
	put("lib/libc-like.so.6", "/bin/true", 0755);
	put("lib/progs/tool", "/bin/true", 0755);
	put("lib/progs/data/readme.txt", NULL, 0644);
	put("lib/progs/inner/tool2", "/bin/true", 0755); /* covered */
	put("lib/mixed/tool", "/bin/true", 0755);
	put("lib/mixed/libx.so.1", "/bin/true", 0644);
	put("lib/scripts/run", NULL, 0755);
	put("lib/granted/tool", "/bin/true", 0755);
	put("lib/deep/a/b/tool", "/bin/true", 0755);	  /* past the scan */
	put("lib/pg/15/bin/postgres", "/bin/true", 0755); /* bin: found */
	snprintf(granted, sizeof(granted), "%s/lib/granted/tool", dir);
	cr_assert_eq(plan_rule(&plan, granted, CAGE_ACC_READ | CAGE_ACC_EXEC),
		     0);
	cr_assert_eq(plan_noexec_progdirs_in(&plan, roots, 1), 0);
	cr_assert_eq(noexec_count("lib/progs"), 1);
	cr_assert_eq(noexec_count("lib/progs/inner"), 0);
	cr_assert_eq(noexec_count("lib/pg/15/bin"), 1);
	cr_assert_eq(noexec_count("lib/mixed"), 0);
	cr_assert_eq(noexec_count("lib/scripts"), 0);
	cr_assert_eq(noexec_count("lib/granted"), 0);
	cr_assert_eq(noexec_count("lib/deep/a/b"), 0);
	cr_assert_eq(noexec_count("lib"), 0, "the root stays exec-capable");
	cr_assert_eq(plan.n_mounts, 2, "only progs and pg/15/bin");
	for (unsigned i = 0; i < plan.n_mounts; i++)
		cr_assert_eq(plan.mounts[i].flags,
			     CAGE_MF_RO | CAGE_MF_NOEXEC | CAGE_MF_DIR);
	bool noted = false;

	for (unsigned i = 0; i < plan.n_notes; i++)
		noted |= strstr(plan.notes[i], "/lib/mixed") != NULL;
	cr_assert(noted, "the mixed directory is named in a note");
}
