/* The command-line layer: the command table, a table-driven option parser
 * shared by every subcommand (so errors and --help look the same
 * everywhere), and the one way of printing errors ("akios: what: why").
 * cli_parse() is pure: no I/O, no exit, unit-tested. */
#ifndef AKIOS_CLI_H
#define AKIOS_CLI_H

#include "shared/common.h"
#include "shared/err.h"

#include <stdbool.h>
#include <stdio.h>

#define CLI_MAX_OPTS  32
#define CLI_MAX_MULTI 64
#define CLI_MAX_POS   64

enum cli_opt_flags {
	CLI_OPT_MULTI = 1 << 0,	 /* may repeat; every value is kept */
	CLI_OPT_OPTVAL = 1 << 1, /* value optional: only as --name=VALUE;
				  * a bare --name stores "" */
};

struct cli_opt {
	const char *name; /* long name without "--" */
	char short_name;  /* 0 when none */
	const char *arg;  /* metavar; NULL for a flag without value */
	const char *help; /* one line */
	unsigned flags;	  /* enum cli_opt_flags */
};

struct cli_spec {
	const char *name;    /* "policy check" */
	const char *usage;   /* "[options] FILE" */
	const char *summary; /* one line */
	const char *details; /* more text for --help, or NULL */
	const struct cli_opt *opts;
	unsigned n_opts;
	unsigned min_pos; /* positional arguments required */
	unsigned max_pos; /* allowed; CLI_REST for "-- CMD ARGS..." */
};
#define CLI_REST 0xffffu

struct cli_args {
	const char *vals[CLI_MAX_OPTS][CLI_MAX_MULTI]; /* borrowed from argv */
	unsigned count[CLI_MAX_OPTS];
	char **pos; /* borrowed: positionals (argv is permuted in place) */
	unsigned n_pos;
	bool dashdash; /* "--" was seen; pos[dash_index..] came after it */
	unsigned dash_index;
	bool help;
};

/* Parses argv[0..argc) (argv[0] is the first argument after the command
 * name). Options may come before or between positionals; everything after
 * "--" is positional. --help/-h sets out->help and skips positional-count
 * checks. Returns 0 or -EINVAL with err set. */
int cli_parse(const struct cli_spec *spec, int argc, char **argv,
	      struct cli_args *out, struct akios_err *err)
    AKIOS_NONNULL(1, 4) AKIOS_NODISCARD;

/* Value of option `name` (the last one given), or NULL. */
const char *cli_get(const struct cli_spec *spec, const struct cli_args *args,
		    const char *name) AKIOS_NONNULL(1, 2, 3);
bool cli_has(const struct cli_spec *spec, const struct cli_args *args,
	     const char *name) AKIOS_NONNULL(1, 2, 3);
/* All values of a CLI_OPT_MULTI option; *n set to their count. */
const char *const *cli_get_all(const struct cli_spec *spec,
			       const struct cli_args *args, const char *name,
			       unsigned *n) AKIOS_NONNULL(1, 2, 3, 4);

void cli_print_help(const struct cli_spec *spec, FILE *out) AKIOS_NONNULL(1, 2);

/* "akios: <context>: <message>" on stderr. */
void cli_error(const char *context, const char *fmt, ...) AKIOS_PRINTF(2, 3);
/* Prints an akios_err with its location: "akios: file:line:col: msg". */
void cli_error_err(const char *context, const struct akios_err *err)
    AKIOS_NONNULL(2);

/* Parses argv for spec; on --help prints help and returns 0 with *done
 * set; on error prints it plus a usage hint and returns AKIOS_EXIT_USAGE
 * with *done set. Otherwise *done is false and the caller proceeds. */
int cli_parse_or_help(const struct cli_spec *spec, int argc, char **argv,
		      struct cli_args *out, bool *done) AKIOS_NONNULL(1, 4, 5);

/* Parses a copy of argv (argv is left as it is; out->pos is unusable)
 * without printing anything. 0: it parses and asks for work; 1: --help
 * or a usage error, which the command itself reports without doing any
 * work; -E2BIG: too many arguments to check. For cli_command.ext. */
int cli_parse_copy(const struct cli_spec *spec, int argc, char *const *argv,
		   struct cli_args *out) AKIOS_NONNULL(1, 4);

/* A command: either a handler or a table of subcommands. */
struct cli_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv); /* argv[0] is the first argument */
	const struct cli_command *subs;	   /* NULL-terminated, or NULL */
	/* Non-NULL when the command may load a shared library at run time:
	 * true for these arguments means a static akios execs akios-ext
	 * instead of running it (supervisor/ext.h). Pure: no output. */
	bool (*ext)(int argc, char *const *argv);
};

/* Top-level dispatch; returns the process exit code. */
int cli_main(int argc, char **argv) AKIOS_NONNULL(2);

/* The top-level command table (cli_commands.c), NULL-terminated. */
extern const struct cli_command cli_commands[];

#endif
