/* Unit tests of the companion hand-off (supervisor/ext.c) and of the
 * command layer's decision which invocations need it (cli_parse_copy and
 * the .ext predicates of redact and audit export). */
#include "shared/common.h"
#include "supervisor/cli.h"
#include "supervisor/cmd_audit_int.h"
#include "supervisor/commands.h"
#include "supervisor/ext.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>

Test(ext, candidates_are_next_to_the_binary_then_lib_akios)
{
	char out[PATH_MAX];

	cr_assert_eq(ext_candidate("/usr/local/bin/akios", 0, out, sizeof(out)),
		     0);
	cr_assert_str_eq(out, "/usr/local/bin/akios-ext");
	cr_assert_eq(ext_candidate("/usr/local/bin/akios", 1, out, sizeof(out)),
		     0);
	cr_assert_str_eq(out, "/usr/local/bin/../lib/akios/akios-ext");
	cr_assert_eq(ext_candidate("/akios", 0, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/akios-ext");
}

Test(ext, bad_self_or_index_or_short_buffer_is_an_error)
{
	char out[16];

	cr_assert_eq(ext_candidate("akios", 0, out, sizeof(out)), -EINVAL);
	cr_assert_eq(
	    ext_candidate("/bin/akios", EXT_CANDIDATES, out, sizeof(out)),
	    -EINVAL);
	cr_assert_eq(
	    ext_candidate("/a/long/directory/akios", 0, out, sizeof(out)),
	    -ENAMETOOLONG);
}

/* Test binaries link no marker: they are not the static akios. */
Test(ext, test_builds_are_not_the_static_akios)
{
	cr_assert_not(ext_required());
}

/* From this test binary both candidates are missing: ext_exec returns
 * -ENOENT and names both paths, derived from /proc/self/exe. */
Test(ext, missing_companion_names_every_path_tried)
{
	char self[PATH_MAX];
	char want[PATH_MAX + 32];
	char msg[2 * PATH_MAX + 64];
	char *argv[] = {"akios", "redact", NULL};
	struct ext_tried t;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	cr_assert_gt(n, 0);
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	cr_assert_eq(ext_exec(argv, &t), -ENOENT);
	cr_assert_eq(t.n, 2);
	snprintf(want, sizeof(want), "%s/akios-ext", self);
	cr_assert_str_eq(t.path[0], want);
	cr_assert_eq(t.errnum[0], ENOENT);
	snprintf(want, sizeof(want), "%s/../lib/akios/akios-ext", self);
	cr_assert_str_eq(t.path[1], want);
	cr_assert_eq(t.errnum[1], ENOENT);
	ext_tried_format(&t, msg, sizeof(msg));
	cr_assert(strstr(msg, t.path[0]) == msg, "%s", msg);
	cr_assert(strstr(msg, "; ") != NULL, "%s", msg);
	cr_assert(strstr(msg, "No such file or directory") != NULL, "%s", msg);
}

Test(ext, format_says_when_the_companion_is_this_binary)
{
	struct ext_tried t = {.n = 1, .errnum = {EXT_SELF}};
	char msg[2 * PATH_MAX + 64];

	snprintf(t.path[0], sizeof(t.path[0]), "/x/akios-ext");
	cr_assert_str_eq(ext_tried_format(&t, msg, sizeof(msg)),
			 "/x/akios-ext: is this akios itself");
	cr_assert_str_eq(ext_tried_format(&t, msg, 8), "/x/akio");
}

static const struct cli_opt opts[] = {
    {.name = "to", .arg = "URL", .help = "t"},
};
static const struct cli_spec spec = {.name = "t",
				     .usage = "",
				     .summary = "t",
				     .opts = opts,
				     .n_opts = 1,
				     .max_pos = 1};

/* The copy is parsed, argv keeps its order (cli_parse permutes). */
Test(ext, parse_copy_leaves_argv_alone)
{
	char *argv[] = {"pos", "--to", "u", NULL};
	struct cli_args a;

	cr_assert_eq(cli_parse_copy(&spec, 3, argv, &a), 0);
	cr_assert_str_eq(cli_get(&spec, &a, "to"), "u");
	cr_assert_str_eq(argv[0], "pos");
	cr_assert_str_eq(argv[1], "--to");
	cr_assert_null(a.pos);
}

/* 1: the command reports help or a usage error itself, without work. */
Test(ext, parse_copy_help_usage_error_and_too_many)
{
	char *help[] = {"--to", "u", "--help", NULL};
	char *bad[] = {"--nope", NULL};
	char *many[200];
	struct cli_args a;

	cr_assert_eq(cli_parse_copy(&spec, 3, help, &a), 1);
	cr_assert_eq(cli_parse_copy(&spec, 1, bad, &a), 1);
	for (unsigned i = 0; i < 200; i++)
		many[i] = "x";
	cr_assert_eq(cli_parse_copy(&spec, 200, many, &a), -E2BIG);
}

/* redact always loads libhs; --help and usage errors are answered by
 * the static akios itself. */
Test(ext, redact_needs_the_companion_unless_help_or_usage_error)
{
	char *plain[] = {NULL};
	char *opts_ok[] = {"--mode", "strict", "-j", NULL};
	char *help[] = {"--help", NULL};
	char *bad[] = {"--mode", NULL};

	cr_assert(cmd_redact_ext(0, plain));
	cr_assert(cmd_redact_ext(3, opts_ok));
	cr_assert_not(cmd_redact_ext(1, help));
	cr_assert_not(cmd_redact_ext(1, bad));
}

/* audit export loads libcurl only to upload (--to, also --to=URL). */
Test(ext, audit_export_needs_the_companion_only_with_to)
{
	char *file[] = {"--format", "json", "-o", "x.json", NULL};
	char *to[] = {"--to", "file:///tmp/x", NULL};
	char *to_eq[] = {"--format=csv", "--to=http://127.0.0.1:1/", NULL};
	char *help[] = {"--to", "file:///tmp/x", "-h", NULL};
	char *dash[] = {"--", "--to", NULL};

	cr_assert_not(cmd_audit_export_ext(4, file));
	cr_assert(cmd_audit_export_ext(2, to));
	cr_assert(cmd_audit_export_ext(2, to_eq));
	cr_assert_not(cmd_audit_export_ext(3, help));
	cr_assert_not(cmd_audit_export_ext(2, dash));
}
