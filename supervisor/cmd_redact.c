/* akios redact: a filter that copies stdin to stdout with PII and secrets
 * replaced (shared/pii). Plain text is streamed (bounded memory, output
 * as it goes); --json-aware reads one bounded JSON document. Findings
 * (pattern, offset, length; never the value) go out as JSONL. */
#include "shared/common.h"
#include "shared/exitcodes.h"
#include "shared/fileio.h"
#include "shared/limits.h"
#include "shared/pii/pii.h"
#include "supervisor/cli.h"
#include "supervisor/commands.h"
#include "supervisor/selfguard.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>

#define MAX_NAMES 64

static const struct cli_opt redact_opts[] = {
    {"mode", 'm', "MODE", "strict, balanced (default) or aggressive", 0},
    {"patterns", 'p', "LIST",
     "comma-separated pattern or category names (default: all of the mode)",
     CLI_OPT_MULTI},
    {"json-aware", 'j', NULL,
     "input is one JSON document: redact string values only", 0},
    {"style", 's', "STYLE",
     "label ([EMAIL], default) or hash ([EMAIL:1a2b3c4d])", 0},
    {"report", 0, "FILE",
     "write findings as JSONL to stderr, or to FILE with --report=FILE",
     CLI_OPT_OPTVAL},
    {"keep-private-ips", 0, NULL,
     "WARNING: leaves private and loopback IP addresses unredacted", 0},
};

static const struct cli_spec redact_spec = {
    .name = "redact",
    .usage = "[options] < IN > OUT",
    .summary = "Redact PII and secrets from stdin to stdout.",
    .details = "Patterns and modes are listed in the README (PII "
	       "redaction).\nExit: 0 done, 1 input is not valid JSON "
	       "(--json-aware), 2 usage.",
    .opts = redact_opts,
    .n_opts = AKIOS_ARRAY_SIZE(redact_opts),
};

struct redact_run {
	struct pii_engine *eng;
	FILE *report;
};

static int on_finding(void *ctx, const struct pii_finding *f)
{
	struct redact_run *run = ctx;

	if (!run->report)
		return 0;
	fprintf(run->report,
		"{\"pattern\":\"%s\",\"offset\":%" PRIu64 ",\"length\":%" PRIu64
		"}\n",
		f->pattern, f->offset, f->length);
	return 0;
}

static int parse_mode(const char *s, enum pii_mode *m)
{
	static const char *const names[] = {"strict", "balanced", "aggressive"};

	for (unsigned i = 0; i < 3; i++) {
		if (strcmp(s, names[i]) == 0) {
			*m = (enum pii_mode)i;
			return 0;
		}
	}
	cli_error("redact", "unknown mode '%s' (strict, balanced, aggressive)",
		  s);
	return -EINVAL;
}

/* Splits every --patterns value at commas into names[] (pointing into
 * the copies in store, which the caller frees). */
static int split_names(const char *const *vals, unsigned nv, char **store,
		       const char **names, unsigned *n)
{
	*n = 0;
	for (unsigned i = 0; i < nv; i++) {
		char *save = NULL;
		char *copy = strdup(vals[i]);

		if (!copy)
			return -ENOMEM;
		store[i] = copy;
		for (char *t = strtok_r(copy, ",", &save); t;
		     t = strtok_r(NULL, ",", &save)) {
			if (*n == MAX_NAMES) {
				cli_error("redact", "too many pattern names");
				return -EINVAL;
			}
			names[(*n)++] = t;
		}
	}
	return 0;
}

static int build_config(const struct cli_args *a, struct pii_config *cfg,
			char **store, const char **names)
{
	const char *v = cli_get(&redact_spec, a, "mode");
	unsigned nv = 0;
	const char *const *vals = cli_get_all(&redact_spec, a, "patterns", &nv);

	if (v && parse_mode(v, &cfg->mode))
		return -EINVAL;
	v = cli_get(&redact_spec, a, "style");
	if (v && strcmp(v, "hash") == 0) {
		cfg->style = PII_STYLE_HASH;
	} else if (v && strcmp(v, "label") != 0) {
		cli_error("redact", "unknown style '%s' (label, hash)", v);
		return -EINVAL;
	}
	if (cli_has(&redact_spec, a, "keep-private-ips"))
		cfg->flags |= PII_KEEP_PRIVATE_IPS;
	cfg->names = names;
	return split_names(vals, nv, store, names, &cfg->n_names);
}

static int write_out(struct akios_buf *out)
{
	int rc =
	    out->len ? fileio_write_full(STDOUT_FILENO, out->ptr, out->len) : 0;

	akios_buf_reset(out);
	return rc;
}

static int run_stream(struct redact_run *run)
{
	struct pii_stream *st = NULL;
	struct akios_buf out;
	char chunk[65536];
	ssize_t n;
	int rc = pii_stream_new(run->eng, on_finding, run, &st);

	akios_buf_init(&out, 2 * sizeof(chunk) + PII_STREAM_MAX_STATE);
	while (!rc) {
		n = read(STDIN_FILENO, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : pii_stream_finish(st, &out);
			break;
		}
		rc = pii_stream_feed(st, chunk, (size_t)n, &out);
		if (!rc)
			rc = write_out(&out);
	}
	if (!rc)
		rc = write_out(&out);
	explicit_bzero(chunk, sizeof(chunk));
	pii_stream_free(st);
	akios_buf_free(&out);
	return rc;
}

static int run_json(struct redact_run *run)
{
	struct akios_buf in;
	struct akios_buf out;
	struct akios_err err = {0};
	int rc;

	akios_buf_init(&in, AKIOS_MAX_REDACT_INPUT);
	akios_buf_init(&out, 2 * AKIOS_MAX_REDACT_INPUT);
	rc = fileio_read_fd(STDIN_FILENO, "stdin", &in, &err);
	if (!rc)
		rc = pii_redact_json(run->eng, in.ptr ? in.ptr : "", in.len,
				     &out, on_finding, run, &err);
	if (rc == -EINVAL) {
		err.file = "stdin";
		cli_error_err("redact", &err);
		rc = AKIOS_EXIT_FAIL;
	} else if (!rc) {
		rc = write_out(&out);
	}
	if (in.ptr)
		explicit_bzero(in.ptr, in.len);
	akios_buf_free(&in);
	akios_buf_free(&out);
	return rc;
}

static FILE *open_report(const char *path)
{
	int fd;

	if (!path)
		return NULL;
	if (!*path)
		return stderr;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	return fd < 0 ? NULL : fdopen(fd, "w");
}

static int redact_main(const struct cli_args *a)
{
	struct pii_config cfg = {.mode = PII_MODE_BALANCED};
	const char *names[MAX_NAMES];
	char *store[CLI_MAX_MULTI] = {0};
	struct redact_run run = {0};
	struct akios_err err = {0};
	const char *rp = cli_get(&redact_spec, a, "report");
	int rc = build_config(a, &cfg, store, names);

	if (rc) {
		rc = AKIOS_EXIT_USAGE;
		goto out;
	}
	rc = pii_engine_new(&cfg, &run.eng, &err);
	if (rc) {
		cli_error_err("redact", &err);
		rc = rc == -EINVAL ? AKIOS_EXIT_USAGE : AKIOS_EXIT_INTERNAL;
		goto out;
	}
	run.report = open_report(rp);
	if (rp && !run.report) {
		cli_error("redact", "%s: %s", rp, strerror(errno));
		rc = AKIOS_EXIT_INTERNAL;
		goto out;
	}
	rc = selfguard_stdio_only();
	if (rc) {
		cli_error("redact", "cannot confine the filter: %s",
			  strerror(-rc));
		rc = AKIOS_EXIT_INTERNAL;
		goto out;
	}
	rc = cli_has(&redact_spec, a, "json-aware") ? run_json(&run)
						    : run_stream(&run);
	if (rc < 0) {
		cli_error("redact", "%s", strerror(-rc));
		rc = AKIOS_EXIT_INTERNAL;
	}
out:
	if (run.report && run.report != stderr)
		fclose(run.report);
	pii_engine_free(run.eng);
	for (unsigned i = 0; i < CLI_MAX_MULTI; i++)
		free(store[i]);
	return rc;
}

/* Every redaction builds a PII engine, which loads libhs. */
bool cmd_redact_ext(int argc, char *const *argv)
{
	struct cli_args args;

	return cli_parse_copy(&redact_spec, argc, argv, &args) != 1;
}

int cmd_redact(int argc, char **argv)
{
	struct cli_args args;
	bool done;
	int rc = cli_parse_or_help(&redact_spec, argc, argv, &args, &done);

	if (done)
		return rc;
	return redact_main(&args);
}
