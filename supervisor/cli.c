/* CLI core: option parsing by table, help text, error printing, and the
 * dispatch from "akios <command> [<sub>]" to a handler.
 * Invariant: cli_parse never prints or exits; only the *_or_help and
 * dispatch helpers talk to the user. */
#include "shared/common.h"
#include "shared/exitcodes.h"
#include "supervisor/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

static int find_long(const struct cli_spec *spec, const char *name, size_t len)
{
	for (unsigned i = 0; i < spec->n_opts; i++) {
		if (strlen(spec->opts[i].name) == len &&
		    memcmp(spec->opts[i].name, name, len) == 0)
			return (int)i;
	}
	return -1;
}

static int find_short(const struct cli_spec *spec, char c)
{
	for (unsigned i = 0; i < spec->n_opts; i++) {
		if (spec->opts[i].short_name == c)
			return (int)i;
	}
	return -1;
}

static int store(const struct cli_spec *spec, struct cli_args *out, int idx,
		 const char *val, struct akios_err *err)
{
	const struct cli_opt *opt = &spec->opts[idx];
	unsigned *n = &out->count[idx];

	if (!(opt->flags & CLI_OPT_MULTI)) {
		out->vals[idx][0] = val;
		*n = 1;
		return 0;
	}
	if (*n >= CLI_MAX_MULTI)
		return akios_err_set(err, NULL, 0, 0,
				     "--%s given more than %d times", opt->name,
				     CLI_MAX_MULTI);
	out->vals[idx][(*n)++] = val;
	return 0;
}

/* Handles argv[*i], an option; may consume argv[*i + 1] as its value. */
static int parse_option(const struct cli_spec *spec, int argc, char **argv,
			int *i, struct cli_args *out, struct akios_err *err)
{
	const char *a = argv[*i];
	const char *val = NULL;
	int idx;

	if (a[1] == '-') {
		const char *eq = strchr(a + 2, '=');
		size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);

		idx = find_long(spec, a + 2, len);
		val = eq ? eq + 1 : NULL;
	} else {
		idx = a[2] == '\0' ? find_short(spec, a[1]) : -1;
	}
	if (idx < 0)
		return akios_err_set(err, NULL, 0, 0, "unknown option '%s'", a);
	if (!spec->opts[idx].arg) {
		if (val)
			return akios_err_set(err, NULL, 0, 0,
					     "option --%s takes no value",
					     spec->opts[idx].name);
		return store(spec, out, idx, "", err);
	}
	if (!val && (spec->opts[idx].flags & CLI_OPT_OPTVAL))
		return store(spec, out, idx, "", err);
	if (!val) {
		if (*i + 1 >= argc)
			return akios_err_set(
			    err, NULL, 0, 0, "option --%s needs a value (%s)",
			    spec->opts[idx].name, spec->opts[idx].arg);
		val = argv[++*i];
	}
	return store(spec, out, idx, val, err);
}

static bool is_help(const char *a)
{
	return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

static int check_positionals(const struct cli_spec *spec,
			     const struct cli_args *out, struct akios_err *err)
{
	if (out->n_pos < spec->min_pos)
		return akios_err_set(err, NULL, 0, 0,
				     "missing argument (usage: akios %s %s)",
				     spec->name, spec->usage);
	if (spec->max_pos != CLI_REST && out->n_pos > spec->max_pos)
		return akios_err_set(err, NULL, 0, 0,
				     "unexpected argument '%s'",
				     out->pos[spec->max_pos]);
	return 0;
}

int cli_parse(const struct cli_spec *spec, int argc, char **argv,
	      struct cli_args *out, struct akios_err *err)
{
	int i;
	int rc;

	memset(out, 0, sizeof(*out));
	out->pos = argv;
	if (spec->n_opts > CLI_MAX_OPTS)
		return akios_err_set(err, NULL, 0, 0, "too many options");
	for (i = 0; i < argc; i++) {
		char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			out->dashdash = true;
			out->dash_index = out->n_pos;
			for (i++; i < argc; i++)
				argv[out->n_pos++] = argv[i];
			break;
		}
		if (is_help(a)) {
			out->help = true;
			continue;
		}
		if (a[0] == '-' && a[1] != '\0') {
			rc = parse_option(spec, argc, argv, &i, out, err);
			if (rc)
				return rc;
			continue;
		}
		/* Positionals are packed to the front of argv; options were
		 * already consumed, so the write index never passes i. */
		argv[out->n_pos++] = a;
	}
	if (out->help)
		return 0;
	return check_positionals(spec, out, err);
}

const char *const *cli_get_all(const struct cli_spec *spec,
			       const struct cli_args *args, const char *name,
			       unsigned *n)
{
	int idx = find_long(spec, name, strlen(name));

	*n = idx < 0 ? 0 : args->count[idx];
	return idx < 0 ? NULL : args->vals[idx];
}

const char *cli_get(const struct cli_spec *spec, const struct cli_args *args,
		    const char *name)
{
	unsigned n;
	const char *const *v = cli_get_all(spec, args, name, &n);

	return n ? v[n - 1] : NULL;
}

bool cli_has(const struct cli_spec *spec, const struct cli_args *args,
	     const char *name)
{
	return cli_get(spec, args, name) != NULL;
}

int cli_parse_copy(const struct cli_spec *spec, int argc, char *const *argv,
		   struct cli_args *out)
{
	char *copy[CLI_MAX_POS + 2 * CLI_MAX_OPTS];
	int rc;

	if (argc < 0 || (size_t)argc > AKIOS_ARRAY_SIZE(copy))
		return -E2BIG;
	memcpy(copy, argv, (size_t)argc * sizeof(*copy));
	rc = cli_parse(spec, argc, copy, out, NULL);
	out->pos = NULL;
	return rc || out->help ? 1 : 0;
}

void cli_print_help(const struct cli_spec *spec, FILE *out)
{
	fprintf(out, "Usage: akios %s %s\n\n%s\n", spec->name, spec->usage,
		spec->summary);
	if (spec->details)
		fprintf(out, "\n%s\n", spec->details);
	fprintf(out, "\nOptions:\n");
	for (unsigned i = 0; i < spec->n_opts; i++) {
		const struct cli_opt *o = &spec->opts[i];
		char left[64];
		bool optval = (o->flags & CLI_OPT_OPTVAL) != 0;
		int n = snprintf(left, sizeof(left), "%c%c%s--%s%s%s%s",
				 o->short_name ? '-' : ' ',
				 o->short_name ? o->short_name : ' ',
				 o->short_name ? ", " : "  ", o->name,
				 !o->arg  ? ""
				 : optval ? "[="
					  : " ",
				 o->arg ? o->arg : "", optval ? "]" : "");

		if (n < 0 || (size_t)n >= sizeof(left))
			left[sizeof(left) - 1] = '\0';
		fprintf(out, "  %-30s %s\n", left, o->help);
	}
	fprintf(out, "  %-30s %s\n", "-h, --help", "show this help");
}

void cli_error(const char *context, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "akios: ");
	if (context)
		fprintf(stderr, "%s: ", context);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_error_err(const char *context, const struct akios_err *err)
{
	char line[1024];

	akios_err_format(err, line, sizeof(line));
	if (err->file || !context)
		cli_error(NULL, "%s", line);
	else
		cli_error(context, "%s", line);
}

int cli_parse_or_help(const struct cli_spec *spec, int argc, char **argv,
		      struct cli_args *out, bool *done)
{
	struct akios_err err = {0};

	*done = true;
	if (cli_parse(spec, argc, argv, out, &err)) {
		cli_error(spec->name, "%s", err.msg);
		fprintf(stderr, "Try 'akios %s --help'.\n", spec->name);
		return AKIOS_EXIT_USAGE;
	}
	if (out->help) {
		cli_print_help(spec, stdout);
		return AKIOS_EXIT_OK;
	}
	*done = false;
	return AKIOS_EXIT_OK;
}
