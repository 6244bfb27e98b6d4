/* The old root is gone before the agent's program runs (child.c: the
 * agent sets up Landlock while PID 1 detaches it, and may chdir and exec
 * only after): from the agent's cwd and from "/", ".." climbs nowhere but
 * the view's root, and the mount table holds no mount stacked on "/",
 * as root and as an unprivileged user. */
#include "shared/common.h"
#include "tests/lib/cagetest.h"

#include <criterion/criterion.h>

static struct cage_ws W;

static void no_old_root(bool rootless)
{
	/* "/.." and a climb from the cwd are "/" itself; the listing of
	 * "/.." is the listing of "/"; mountinfo's root entry (mount point
	 * "/") appears once. */
	char *cmd[] = {"sh", "-c",
		       "test / -ef /.. && test / -ef /../.. && "
		       "cd ../../../../../../.. && test . -ef / && "
		       "test \"$(ls -a /)\" = \"$(ls -a /..)\" && "
		       "awk '$5 == \"/\"' /proc/self/mountinfo | wc -l",
		       NULL};
	struct test_run r;

	cr_assert_eq(cagetest_setup(&W, rootless), 0);
	cr_assert_eq(cagetest_run(&W, NULL, cmd, NULL, 30, &r), 0);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert_str_eq(r.out, "1\n", "%s", r.out);
	test_run_free(&r);
	cagetest_teardown(&W);
}

Test(cage_detach, no_old_root_root)
{
	no_old_root(false);
}

Test(cage_detach, no_old_root_rootless)
{
	no_old_root(true);
}
