/* tools.allow and programs in library directories: `ld.so
 * /usr/lib/git-core/git` must not run git. The policy names the loader
 * as a tool, as a thread that won the race past the broker's check would
 * get it: only the kernel (the noexec bind of git-core) decides here.
 * Root and rootless. */
#include "tests/lib/cagetest.h"

#include <criterion/criterion.h>

static struct cage_ws W;

#define GIT_CORE "/usr/lib/git-core/git"
#define LDSO	 "/lib64/ld-linux-x86-64.so.2"

static void ldso_policy(const char *extra_tool)
{
	char yaml[1024];

	snprintf(yaml, sizeof(yaml),
		 "version: 1\nname: exec-libdirs\n"
		 "filesystem:\n  allow:\n    - path: \"%s\"\n"
		 "      mode: \"rw\"\n"
		 "tools:\n  allow:\n    - name: git\n"
		 "    - name: ld-linux-x86-64.so.2\n    - name: \"%s\"\n",
		 W.ws, extra_tool);
	cr_assert_eq(cagetest_policy(&W, yaml), 0);
}

static void ldso_run(bool rootless)
{
	char *cmd[] = {"sh", "-c",
		       "git --version >/dev/null && echo git=ok\n" LDSO
		       " " GIT_CORE " --version; echo ldso-git-core=$?\n" LDSO
		       " /usr/lib/openssh/ssh-pkcs11-helper -h 2>/dev/null;"
		       " echo ldso-openssh=$?\n",
		       NULL};
	struct test_run r;

	cr_assert_eq(access(GIT_CORE, R_OK), 0, "git is not installed");
	cr_assert_eq(cagetest_setup(&W, rootless), 0);
	ldso_policy("sh");
	cr_assert_eq(cagetest_run(&W, NULL, cmd, NULL, 30, &r), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* git itself (an allowed tool in /usr/bin) runs; its copy in
	 * git-core cannot be mapped by the loader. */
	cr_assert_null(strstr(r.out, "git version"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "git=ok\nldso-git-core=127\n"), "%s%s",
			   r.out, r.err);
	cr_assert_not_null(strstr(r.err, "failed to map segment"), "%s", r.err);
	if (access("/usr/lib/openssh/ssh-pkcs11-helper", R_OK) == 0)
		cr_assert_not_null(strstr(r.out, "ldso-openssh=127\n"), "%s",
				   r.out);
	test_run_free(&r);
	cagetest_teardown(&W);
}

Test(exec_libdirs, ldso_cannot_run_git_core_root, .timeout = 40)
{
	ldso_run(false);
}

Test(exec_libdirs, ldso_cannot_run_git_core_rootless, .timeout = 40)
{
	ldso_run(true);
}

/* The dry run lists the noexec binds; a directory holding a file the
 * policy allows to run keeps exec (the tool must still start). */
Test(exec_libdirs, dry_run_shows_noexec_program_dirs, .timeout = 30)
{
	char *dry[] = {"--dry-run", NULL};
	char *cmd[] = {"sh", "-c", "true", NULL};
	struct test_run r;

	cr_assert_eq(cagetest_setup(&W, false), 0);
	ldso_policy("sh");
	cr_assert_eq(cagetest_run(&W, dry, cmd, NULL, 20, &r), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(
	    strstr(r.out, "/usr/lib/git-core noexec  [noexec: programs in "
			  "a library directory]"),
	    "%s", r.out);
	test_run_free(&r);
	ldso_policy(GIT_CORE);
	cr_assert_eq(cagetest_run(&W, dry, cmd, NULL, 20, &r), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_null(strstr(r.out, "/usr/lib/git-core noexec"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, GIT_CORE), "%s", r.out);
	test_run_free(&r);
	cagetest_teardown(&W);
}
