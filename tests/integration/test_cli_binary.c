/* Integration tests of the akios binary's command-line contract
 * (DESIGN.md §4): usage, --help, --version and exit codes, and how the
 * binary is linked. */
#include "shared/common.h"
#include "tests/lib/elfinfo.h"
#include "tests/lib/testlib.h"

#include <criterion/criterion.h>

static struct test_run run1(const char *a1, const char *a2)
{
	char *argv[] = {(char *)test_akios(), (char *)a1, (char *)a2, NULL};
	struct test_run r;

	cr_assert_eq(test_run(argv, NULL, 0, NULL, 10, &r), 0);
	return r;
}

Test(cli_binary, no_arguments_prints_usage_and_exits_2)
{
	char *argv[] = {(char *)test_akios(), NULL};
	struct test_run r;

	cr_assert_eq(test_run(argv, NULL, 0, NULL, 10, &r), 0);
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "Usage: akios") != NULL);
	test_run_free(&r);
}

Test(cli_binary, unknown_command_usage_on_stderr_exit_2)
{
	struct test_run r = run1("frobnicate", NULL);

	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "akios: unknown command 'frobnicate'"));
	cr_assert(strstr(r.err, "Usage: akios"));
	cr_assert_eq(r.out_len, 0);
	test_run_free(&r);
}

Test(cli_binary, help_and_version_on_stdout)
{
	struct test_run r = run1("--help", NULL);

	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.out, "Commands:"));
	test_run_free(&r);
	r = run1("--version", NULL);
	cr_assert_eq(r.status, 0);
	cr_assert(strncmp(r.out, "akios ", 6) == 0, "%s", r.out);
	test_run_free(&r);
}

/* Each command that `akios --help` lists must answer --help with exit 0
 * and a usage line. */
Test(cli_binary, every_listed_command_has_help)
{
	char names[64][TEST_CMD_NAME_MAX];
	unsigned n = test_list_commands(names, 64);

	cr_assert_gt(n, 0);
	for (unsigned i = 0; i < n; i++) {
		struct test_run h;

		cr_assert_eq(test_run_help(names[i], &h), 0);
		cr_assert_eq(h.status, 0, "akios %s --help: %d", names[i],
			     h.status);
		cr_assert(strstr(h.out, "Usage: akios"), "%s", h.out);
		test_run_free(&h);
	}
}

/* Start-up cost: the normal build's akios is a static PIE (make exports
 * AKIOS_STATIC_PIE=1): exec starts no dynamic loader and maps no shared
 * library. make asan and AKIOS_STATIC_LIBS=0 link it dynamically. Either
 * way it keeps ASLR (PIE), RELRO with every relocation done at start
 * (BIND_NOW) and a non-executable stack. */
Test(cli_binary, akios_is_linked_as_the_build_says)
{
	const char *want = getenv("AKIOS_STATIC_PIE");
	struct test_elf e;

	cr_assert_eq(test_elf_read(test_akios(), &e), 0);
	if (want && *want)
		cr_assert_eq(!e.interp, strcmp(want, "1") == 0,
			     "AKIOS_STATIC_PIE=%s but PT_INTERP %s", want,
			     e.interp ? "present" : "absent");
	if (e.interp)
		cr_assert_gt(e.needed, 0);
	else
		cr_assert_eq(e.needed, 0, "a static akios with DT_NEEDED");
	cr_assert(e.pie);
	cr_assert(e.relro);
	cr_assert(e.bind_now);
	cr_assert(e.nx_stack);
}

/* The dynamic loader lists what exec loads when LD_TRACE_LOADED_OBJECTS
 * is set (what ldd does). libstdc++, which libhs needs, is not checked:
 * make asan's ubsan runtime loads it. */
static void no_lazy_libs_at_exec(const char *path)
{
	char *argv[] = {(char *)path, NULL};
	char *env[] = {"LD_TRACE_LOADED_OBJECTS=1", NULL};
	struct test_run r;

	cr_assert_eq(test_run(argv, NULL, 0, env, 10, &r), 0);
	cr_assert_eq(r.status, 0, "%s: %s", path, r.err);
	cr_assert(strstr(r.out, "libc.so.6"), "%s: %s", path, r.out);
	cr_assert_null(strstr(r.out, "libcurl"), "%s: %s", path, r.out);
	cr_assert_null(strstr(r.out, "libhs"), "%s: %s", path, r.out);
	test_run_free(&r);
}

/* libcurl (and its ~30 dependencies) is loaded only by an upload
 * (shared/http_upload.c), libhs only by a PII engine (shared/pii/pii_hs.c),
 * never at exec: in akios-ext, always dynamic (it is the build that loads
 * them), and in akios when it is dynamic too. */
Test(cli_binary, libcurl_and_libhs_are_not_loaded_at_exec)
{
	char ext[4096];
	struct test_elf e;

	test_build_path("akios-ext", ext, sizeof(ext));
	cr_assert_eq(test_elf_read(ext, &e), 0);
	cr_assert(e.interp, "akios-ext must be dynamically linked");
	no_lazy_libs_at_exec(ext);
	cr_assert_eq(test_elf_read(test_akios(), &e), 0);
	if (e.interp)
		no_lazy_libs_at_exec(test_akios());
}
