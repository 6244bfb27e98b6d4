/* Integration tests of the akios binary's command-line contract
 * (DESIGN.md §4): usage, --help, --version and exit codes. */
#include "shared/common.h"
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

/* The usage lists "  <name padded to 24> summary"; the name may be two
 * words ("policy check"). Each must answer --help with exit 0. */
Test(cli_binary, every_listed_command_has_help)
{
	struct test_run r = run1("--help", NULL);
	char *save = NULL;
	bool in_cmds = false;
	unsigned n = 0;

	for (char *line = strtok_r(r.out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[25] = "";
		char *sub;
		struct test_run h;

		if (strncmp(line, "Commands:", 9) == 0) {
			in_cmds = true;
			continue;
		}
		if (!in_cmds)
			continue;
		if (strncmp(line, "  ", 2) != 0 || strlen(line) < 27)
			break;
		memcpy(name, line + 2, 24);
		for (int i = 23; i >= 0 && name[i] == ' '; i--)
			name[i] = '\0';
		sub = strchr(name, ' ');
		if (sub)
			*sub++ = '\0';
		char *argv[] = {(char *)test_akios(), name,
				sub ? sub : "--help", sub ? "--help" : NULL,
				NULL};

		cr_assert_eq(test_run(argv, NULL, 0, NULL, 10, &h), 0);
		cr_assert_eq(h.status, 0, "akios %s --help: %d", name,
			     h.status);
		cr_assert(strstr(h.out, "Usage: akios"), "%s", h.out);
		test_run_free(&h);
		n++;
	}
	cr_assert_gt(n, 0);
	test_run_free(&r);
}

/* Start-up cost: libcurl (and its ~30 dependencies) is loaded only by an
 * upload (shared/http_upload.c), libhs only by a PII engine
 * (shared/pii/pii_hs.c), never at exec. The dynamic loader lists what exec
 * loads when LD_TRACE_LOADED_OBJECTS is set (what ldd does). libstdc++,
 * which libhs needs, is not checked: make asan's ubsan runtime loads it. */
Test(cli_binary, libcurl_and_libhs_are_not_loaded_at_exec)
{
	char *argv[] = {(char *)test_akios(), NULL};
	char *env[] = {"LD_TRACE_LOADED_OBJECTS=1", NULL};
	struct test_run r;

	cr_assert_eq(test_run(argv, NULL, 0, env, 10, &r), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "libc.so.6"), "%s", r.out);
	cr_assert_null(strstr(r.out, "libcurl"), "%s", r.out);
	cr_assert_null(strstr(r.out, "libhs"), "%s", r.out);
	test_run_free(&r);
}
