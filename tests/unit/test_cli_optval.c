/* CLI_OPT_OPTVAL (supervisor/cli.c): an option whose value may only be
 * attached with '=' (akios redact --report[=FILE]). */
#include "shared/common.h"
#include "supervisor/cli.h"

#include <criterion/criterion.h>
#include <errno.h>

static const struct cli_opt opts[] = {
    {"report", 0, "FILE", "findings", CLI_OPT_OPTVAL},
};
static const struct cli_spec spec = {
    .name = "t",
    .usage = "[FILE]",
    .summary = "t",
    .opts = opts,
    .n_opts = 1,
    .max_pos = 1,
};

Test(cli_optval, bare_attached_and_absent)
{
	char *a1[] = {"--report", "x"};
	char *a2[] = {"--report=out.jsonl"};
	char *a3[] = {"x"};
	struct cli_args args;

	cr_assert_eq(cli_parse(&spec, 2, a1, &args, NULL), 0);
	cr_assert_str_eq(cli_get(&spec, &args, "report"), "");
	cr_assert_eq(args.n_pos, 1, "the next word stays positional");
	cr_assert_eq(cli_parse(&spec, 1, a2, &args, NULL), 0);
	cr_assert_str_eq(cli_get(&spec, &args, "report"), "out.jsonl");
	cr_assert_eq(cli_parse(&spec, 1, a3, &args, NULL), 0);
	cr_assert_null(cli_get(&spec, &args, "report"));
}
