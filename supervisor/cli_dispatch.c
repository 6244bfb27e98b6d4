/* Top-level dispatch: "akios [--help|--version] <command> [<sub>] ...".
 * Unknown commands print the usage on stderr and exit 2, so scripts never
 * mistake a typo for success. A static akios hands a command that loads a
 * shared library to akios-ext here, before the command does anything. */
#include "shared/common.h"
#include "shared/exitcodes.h"
#include "supervisor/cli.h"
#include "supervisor/ext.h"

#include <stdio.h>
#include <string.h>

static void print_commands(FILE *out, const char *prefix,
			   const struct cli_command *cmds)
{
	for (const struct cli_command *c = cmds; c->name; c++) {
		if (c->subs) {
			char sub_prefix[64];
			int n = snprintf(sub_prefix, sizeof(sub_prefix),
					 "%s%s ", prefix, c->name);

			if (n > 0 && (size_t)n < sizeof(sub_prefix))
				print_commands(out, sub_prefix, c->subs);
			continue;
		}
		char name[64];
		int n = snprintf(name, sizeof(name), "%s%s", prefix, c->name);

		if (n > 0 && (size_t)n < sizeof(name))
			fprintf(out, "  %-24s %s\n", name, c->summary);
	}
}

static void print_usage(FILE *out)
{
	fprintf(out, "Usage: akios <command> [options] [--] [args]\n\n"
		     "akios runs an AI agent inside a security cage: kernel "
		     "isolation,\nPII redaction, budgets and a tamper-evident "
		     "audit log.\n\nCommands:\n");
	print_commands(out, "", cli_commands);
	fprintf(out, "\nGlobal options:\n"
		     "  -h, --help                 show this help\n"
		     "  --version                  print the version\n\n"
		     "Run 'akios <command> --help' for a command's "
		     "options.\n");
}

static const struct cli_command *find(const struct cli_command *cmds,
				      const char *name)
{
	for (const struct cli_command *c = cmds; c->name; c++) {
		if (strcmp(c->name, name) == 0)
			return c;
	}
	return NULL;
}

/* Returns only when akios-ext could not be executed. */
static int run_in_ext(char **all, const char *context, const char *name)
{
	struct ext_tried t;
	char why[2 * PATH_MAX + 128];

	ext_exec(all, &t); /* returns only on failure, which t describes */
	cli_error(NULL,
		  "%s%s: runs in %s, the dynamically linked companion of "
		  "this static akios, which could not be executed: %s",
		  context, name, EXT_NAME,
		  ext_tried_format(&t, why, sizeof(why)));
	return AKIOS_EXIT_INTERNAL;
}

/* all is the whole argv of the process (what akios-ext gets). */
static int dispatch(const struct cli_command *cmds, const char *context,
		    int argc, char **argv, char **all)
{
	const struct cli_command *c;

	if (argc < 1 || strcmp(argv[0], "--help") == 0 ||
	    strcmp(argv[0], "-h") == 0) {
		FILE *out = argc < 1 ? stderr : stdout;

		if (context[0] == '\0')
			print_usage(out);
		else
			print_commands(out, context, cmds);
		return argc < 1 ? AKIOS_EXIT_USAGE : AKIOS_EXIT_OK;
	}
	c = find(cmds, argv[0]);
	if (!c) {
		cli_error(NULL, "unknown command '%s%s'", context, argv[0]);
		fprintf(stderr, "\n");
		print_usage(stderr);
		return AKIOS_EXIT_USAGE;
	}
	if (c->subs) {
		char sub[64];
		int n = snprintf(sub, sizeof(sub), "%s%s ", context, c->name);

		if (n < 0 || (size_t)n >= sizeof(sub))
			return AKIOS_EXIT_INTERNAL;
		return dispatch(c->subs, sub, argc - 1, argv + 1, all);
	}
	if (c->ext && ext_required() && c->ext(argc - 1, argv + 1))
		return run_in_ext(all, context, c->name);
	return c->run(argc - 1, argv + 1);
}

int cli_main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		printf("akios %s\n", AKIOS_VERSION);
		return AKIOS_EXIT_OK;
	}
	return dispatch(cli_commands, "", argc - 1, argv + 1, argv);
}
