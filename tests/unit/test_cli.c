/* Unit tests of the table-driven option parser (supervisor/cli.c). */
#include "shared/common.h"
#include "supervisor/cli.h"

#include <criterion/criterion.h>

static const struct cli_opt opts[] = {
    {.name = "policy", .short_name = 'p', .arg = "FILE", .help = "p"},
    {.name = "json", .help = "json output"},
    {.name = "field", .arg = "K=V", .help = "f", .flags = CLI_OPT_MULTI},
};
static const struct cli_spec spec = {
    .name = "test",
    .usage = "[options] FILE",
    .summary = "test",
    .opts = opts,
    .n_opts = 3,
    .min_pos = 1,
    .max_pos = 1,
};
static const struct cli_spec rest_spec = {
    .name = "run",
    .usage = "-- CMD",
    .summary = "run",
    .opts = opts,
    .n_opts = 3,
    .min_pos = 1,
    .max_pos = CLI_REST,
};

Test(cli, long_short_and_equals_forms)
{
	char *argv[] = {"--policy", "a.yml", "x", "--json", NULL};
	char *argv2[] = {"-p", "b.yml", "x", NULL};
	char *argv3[] = {"--policy=c.yml", "x", NULL};
	struct cli_args a;
	struct akios_err err = {0};

	cr_assert_eq(cli_parse(&spec, 4, argv, &a, &err), 0);
	cr_assert_str_eq(cli_get(&spec, &a, "policy"), "a.yml");
	cr_assert(cli_has(&spec, &a, "json"));
	cr_assert_eq(a.n_pos, 1);
	cr_assert_str_eq(a.pos[0], "x");
	cr_assert_eq(cli_parse(&spec, 3, argv2, &a, &err), 0);
	cr_assert_str_eq(cli_get(&spec, &a, "policy"), "b.yml");
	cr_assert_not(cli_has(&spec, &a, "json"));
	cr_assert_eq(cli_parse(&spec, 2, argv3, &a, &err), 0);
	cr_assert_str_eq(cli_get(&spec, &a, "policy"), "c.yml");
}

Test(cli, unknown_option_is_an_error)
{
	char *argv[] = {"--polcy", "a", "x", NULL};
	struct cli_args a;
	struct akios_err err = {0};

	cr_assert_neq(cli_parse(&spec, 3, argv, &a, &err), 0);
	cr_assert(strstr(err.msg, "--polcy") != NULL, "%s", err.msg);
}

Test(cli, missing_value_and_flag_with_value)
{
	char *argv[] = {"x", "--policy", NULL};
	char *argv2[] = {"x", "--json=1", NULL};
	struct cli_args a;
	struct akios_err err = {0};

	cr_assert_neq(cli_parse(&spec, 2, argv, &a, &err), 0);
	cr_assert(strstr(err.msg, "needs a value") != NULL, "%s", err.msg);
	cr_assert_neq(cli_parse(&spec, 2, argv2, &a, &err), 0);
	cr_assert(strstr(err.msg, "takes no value") != NULL, "%s", err.msg);
}

Test(cli, positional_counts)
{
	char *none[] = {"--json", NULL};
	char *two[] = {"a", "b", NULL};
	struct cli_args a;
	struct akios_err err = {0};

	cr_assert_neq(cli_parse(&spec, 1, none, &a, &err), 0);
	cr_assert(strstr(err.msg, "missing argument") != NULL);
	cr_assert_neq(cli_parse(&spec, 2, two, &a, &err), 0);
	cr_assert(strstr(err.msg, "'b'") != NULL, "%s", err.msg);
}

Test(cli, help_skips_positional_checks)
{
	char *argv[] = {"--help", NULL};
	struct cli_args a;
	struct akios_err err = {0};

	cr_assert_eq(cli_parse(&spec, 1, argv, &a, &err), 0);
	cr_assert(a.help);
}

Test(cli, multi_values_kept_in_order)
{
	char *argv[] = {"--field", "a=1", "x", "--field=b=2", NULL};
	struct cli_args a;
	struct akios_err err = {0};
	unsigned n = 0;
	const char *const *v;

	cr_assert_eq(cli_parse(&spec, 4, argv, &a, &err), 0);
	v = cli_get_all(&spec, &a, "field", &n);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(v[0], "a=1");
	cr_assert_str_eq(v[1], "b=2");
}

Test(cli, everything_after_dashdash_is_positional)
{
	char *argv[] = {"--json", "--", "cmd", "--policy", "--help", NULL};
	struct cli_args a;
	struct akios_err err = {0};

	cr_assert_eq(cli_parse(&rest_spec, 5, argv, &a, &err), 0);
	cr_assert_not(a.help);
	cr_assert(a.dashdash);
	cr_assert_eq(a.dash_index, 0);
	cr_assert_eq(a.n_pos, 3);
	cr_assert_str_eq(a.pos[0], "cmd");
	cr_assert_str_eq(a.pos[1], "--policy");
	cr_assert_str_eq(a.pos[2], "--help");
	cr_assert(cli_has(&rest_spec, &a, "json"));
}
