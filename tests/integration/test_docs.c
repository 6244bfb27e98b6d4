/* Docs are tested (STYLE.md §34): the README's exit-code table agrees with
 * shared/exitcodes.h, and every option that a command's --help lists is
 * documented in the README. Runs from the repository root. */
#include "shared/common.h"
#include "shared/buf.h"
#include "shared/exitcodes.h"
#include "shared/fileio.h"
#include "tests/lib/testlib.h"

#include <criterion/criterion.h>

static struct akios_buf readme;

static void load_readme(void)
{
	struct akios_err err = {0};

	akios_buf_init(&readme, 4u << 20);
	cr_assert_eq(fileio_read_all("README.md", &readme, &err), 0, "%s",
		     err.msg);
}

static void drop_readme(void)
{
	akios_buf_free(&readme);
}

static bool readme_row(const char *code)
{
	char needle[32];

	snprintf(needle, sizeof(needle), "\n| %s |", code);
	return strstr(readme.ptr, needle) != NULL;
}

Test(docs, exit_code_table_matches_header, .init = load_readme,
     .fini = drop_readme)
{
	char code[16];
	const int codes[] = {AKIOS_EXIT_OK,	  AKIOS_EXIT_FAIL,
			     AKIOS_EXIT_USAGE,	  AKIOS_EXIT_KILLSWITCH,
			     AKIOS_EXIT_INTERNAL, AKIOS_EXIT_NOEXEC,
			     AKIOS_EXIT_NOTFOUND};

	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(codes); i++) {
		snprintf(code, sizeof(code), "%d", codes[i]);
		cr_assert(readme_row(code), "README lacks exit code %s", code);
	}
	snprintf(code, sizeof(code), "%d+N", AKIOS_EXIT_SIGNAL_BASE);
	cr_assert(readme_row(code), "README lacks the signal row");
}

/* Collects "--name" tokens from an "Options:" block of --help output. */
static void check_options_documented(const char *help, const char *cmd)
{
	const char *p = strstr(help, "Options:");

	cr_assert_not_null(p, "akios %s --help has no Options:", cmd);
	while ((p = strstr(p, "--")) != NULL) {
		char opt[64];
		size_t n = 0;

		while (n < sizeof(opt) - 1 &&
		       (p[n] == '-' || (p[n] >= 'a' && p[n] <= 'z') ||
			(p[n] >= '0' && p[n] <= '9')))
			n++;
		memcpy(opt, p, n);
		opt[n] = '\0';
		p += n;
		if (strcmp(opt, "--help") == 0 || n <= 2)
			continue;
		cr_assert(strstr(readme.ptr, opt) != NULL,
			  "README does not document %s of 'akios %s'", opt,
			  cmd);
	}
}

Test(docs, every_option_of_every_command_is_in_readme, .init = load_readme,
     .fini = drop_readme)
{
	char names[64][TEST_CMD_NAME_MAX];
	unsigned n = test_list_commands(names, 64);

	cr_assert_gt(n, 0);
	for (unsigned i = 0; i < n; i++) {
		struct test_run h;

		cr_assert(strstr(readme.ptr, names[i]) != NULL,
			  "README does not mention 'akios %s'", names[i]);
		cr_assert_eq(test_run_help(names[i], &h), 0);
		check_options_documented(h.out, names[i]);
		test_run_free(&h);
	}
}
