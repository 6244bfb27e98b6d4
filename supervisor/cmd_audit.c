/* akios audit: the subcommand table, `audit verify` (of a directory or of
 * an export) and `audit stats`. Reads only: nothing here writes to the
 * audit directory. Verification failures exit 1 naming the first bad
 * record; usage errors exit 2. */
#include "shared/common.h"
#include "shared/audit/audit.h"
#include "shared/audit/audit_read.h"
#include "shared/crypto.h"
#include "shared/exitcodes.h"
#include "shared/json.h"
#include "shared/limits.h"
#include "supervisor/cli.h"
#include "supervisor/cmd_audit_int.h"
#include "supervisor/commands.h"
#include "supervisor/selfguard.h"

#include <errno.h>
#include <inttypes.h>

const struct cli_command cmd_audit_subs[] = {
    {.name = "append",
     .summary = "append events from outside the cage",
     .run = cmd_audit_append},
    {.name = "export",
     .summary = "export events (jsonl, json, csv)",
     .run = cmd_audit_export,
     .ext = cmd_audit_export_ext},
    {.name = "proof",
     .summary = "print an inclusion or consistency proof",
     .run = cmd_audit_proof},
    {.name = "show", .summary = "show events", .run = cmd_audit_show},
    {.name = "stats",
     .summary = "summarise the ledger",
     .run = cmd_audit_stats},
    {.name = "verify",
     .summary = "verify the ledger or an export",
     .run = cmd_audit_verify},
    {.name = "verify-proof",
     .summary = "check a proof printed by audit proof",
     .run = cmd_audit_verify_proof},
    {0},
};

const char *audit_cli_dir(const struct cli_spec *spec,
			  const struct cli_args *args)
{
	const char *d = cli_get(spec, args, "audit-dir");

	return d ? d : AUDIT_DEFAULT_DIR;
}

int audit_cli_readonly(void)
{
	return selfguard_no_fs_writes();
}

int audit_cli_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 19)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static const struct cli_opt verify_opts[] = {
    AUDIT_DIR_OPT,
    {"expected-hash", 0, "HEX", "fail unless the root equals HEX", 0},
    {"pub", 0, "PUB", "trusted public key (default: akios.pub)", 0},
    {"json", 0, NULL, "print the result as JSON", 0},
    {"export", 0, "FILE", "verify an export file instead of a directory", 0},
};

static const struct cli_spec verify_spec = {
    .name = "audit verify",
    .usage = "[options]",
    .summary = "Verify the audit ledger: records, tree, signed checkpoints.",
    .details = "Recomputes the RFC 6962 tree from every record, checks "
	       "each checkpoint's\nEd25519 signature and its root against "
	       "the log. Exit 0 with\n'verified: N events, root HEX'; exit 1 "
	       "naming the first bad record.",
    .opts = verify_opts,
    .n_opts = AKIOS_ARRAY_SIZE(verify_opts),
};

static void progress_cb(void *ctx, uint64_t done, uint64_t total)
{
	(void)ctx;
	if (total > 0)
		fprintf(stderr, "\rverifying: %3u%%",
			(unsigned)(done * 100 / total));
	if (done >= total)
		fputs("\r\033[K", stderr);
}

static void print_json(const struct audit_verify_result *res, int rc,
		       const struct akios_err *err)
{
	char hex[65];
	char msg[1024];
	struct json *o = json_new_object();
	char *text;

	// Out of memory leaves a member out (or, without o, prints nothing).
	crypto_hex_encode(res->root, 32, hex);
	json_add_bool(o, "ok", rc == 0);
	json_add_num(o, "events", (double)res->events);
	json_add_str(o, "root", hex);
	json_add_num(o, "checkpoints", (double)res->checkpoints);
	json_add_num(o, "signed_size", (double)res->signed_size);
	if (rc) {
		akios_err_format(err, msg, sizeof(msg));
		json_add_str(o, "error", msg);
		if (res->bad_index != AUDIT_NO_INDEX) {
			json_add_num(o, "bad_index", (double)res->bad_index);
			json_add_num(o, "bad_offset", (double)res->bad_offset);
		}
	}
	text = o ? json_print(o) : NULL;
	if (text)
		puts(text);
	free(text);
	json_free(o);
}

static int parse_expected(const char *hex, uint8_t out[32])
{
	if (crypto_hex_decode(hex, strlen(hex), out, 32)) {
		cli_error("audit verify",
			  "--expected-hash: want 64 hex digits");
		return AKIOS_EXIT_USAGE;
	}
	return 0;
}

int cmd_audit_verify(int argc, char **argv)
{
	struct cli_args args;
	struct audit_verify_opts o = {0};
	struct audit_verify_result res;
	struct akios_err err = {0};
	uint8_t expected[32];
	bool done;
	int rc = cli_parse_or_help(&verify_spec, argc, argv, &args, &done);
	const char *exp = cli_get(&verify_spec, &args, "expected-hash");
	const char *export = cli_get(&verify_spec, &args, "export");
	bool json = cli_has(&verify_spec, &args, "json");
	char hex[65];

	if (done)
		return rc;
	if (exp && parse_expected(exp, expected))
		return AKIOS_EXIT_USAGE;
	// STYLE.md §25: the log is untrusted input; verify never writes.
	(void)audit_cli_readonly();
	o.expected_root = exp ? expected : NULL;
	o.pub_path = cli_get(&verify_spec, &args, "pub");
	if (!json && isatty(STDERR_FILENO))
		o.progress = progress_cb;
	rc = export ? audit_verify_export(export, &o, &res, &err)
		    : audit_verify_dir(audit_cli_dir(&verify_spec, &args), &o,
				       &res, &err);
	if (json) {
		print_json(&res, rc, &err);
	} else if (rc) {
		cli_error_err("audit verify", &err);
	} else {
		crypto_hex_encode(res.root, 32, hex);
		printf("verified: %" PRIu64 " events, root %s (%" PRIu64
		       " checkpoints, newest signs %" PRIu64 " events)\n",
		       res.events, hex, res.checkpoints, res.signed_size);
	}
	return rc ? AKIOS_EXIT_FAIL : AKIOS_EXIT_OK;
}

static const struct cli_opt stats_opts[] = {AUDIT_DIR_OPT};

static const struct cli_spec stats_spec = {
    .name = "audit stats",
    .usage = "[options]",
    .summary = "Summarise the ledger: events, runs, types, checkpoint.",
    .opts = stats_opts,
    .n_opts = AKIOS_ARRAY_SIZE(stats_opts),
};

#define STATS_MAX_KEYS 256

struct tally {
	char *key[STATS_MAX_KEYS];
	uint64_t count[STATS_MAX_KEYS];
	size_t n;
	uint64_t other;
};

static void tally_add(struct tally *t, const char *key)
{
	for (size_t i = 0; i < t->n; i++) {
		if (!strcmp(t->key[i], key)) {
			t->count[i]++;
			return;
		}
	}
	if (t->n == STATS_MAX_KEYS || !(t->key[t->n] = strdup(key))) {
		t->other++;
		return;
	}
	t->count[t->n++] = 1;
}

static void tally_free(struct tally *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->key[i]);
}

static const char *str_of(const struct json *o, const char *key)
{
	const char *v = json_get_str(o, key);

	return v ? v : "";
}

struct stats {
	struct tally types, runs;
	uint64_t events;
	char first[40], last[40];
};

static int stats_scan(const char *dir, struct stats *st, struct akios_err *err)
{
	struct audit_reader *r = NULL;
	struct audit_event ev;
	int rc = audit_reader_open(dir, &r, err);

	while (!rc && (rc = audit_reader_next(r, &ev, err)) == 1) {
		struct json *o = json_parse(ev.json, ev.len, NULL);

		rc = 0;
		tally_add(&st->types, str_of(o, "type"));
		tally_add(&st->runs, str_of(o, "run_id"));
		snprintf(st->last, sizeof(st->last), "%s", str_of(o, "time"));
		if (st->events++ == 0)
			snprintf(st->first, sizeof(st->first), "%s", st->last);
		json_free(o);
	}
	audit_reader_close(r);
	return rc;
}

static void stats_print(const struct stats *st, const char *dir)
{
	struct akios_buf cp;
	struct akios_err err = {0};
	const char *nl;

	printf("events:      %" PRIu64 "\n", st->events);
	printf("runs:        %zu%s\n", st->runs.n, st->runs.other ? "+" : "");
	printf("first event: %s\nlast event:  %s\n", st->first, st->last);
	akios_buf_init(&cp, AKIOS_MAX_CHECKPOINT_BYTES);
	if (audit_latest_checkpoint(dir, &cp, &err) == 0 && cp.ptr) {
		nl = strchr(cp.ptr, '\n');
		printf("checkpoint:  %.*s\n",
		       nl ? (int)strcspn(nl + 1, "\n") : 0, nl ? nl + 1 : "");
	} else {
		printf("checkpoint:  none\n");
	}
	akios_buf_free(&cp);
	printf("types:\n");
	for (size_t i = 0; i < st->types.n; i++)
		printf("  %-28s %" PRIu64 "\n", st->types.key[i],
		       st->types.count[i]);
}

int cmd_audit_stats(int argc, char **argv)
{
	struct cli_args args;
	struct stats st = {0};
	struct akios_err err = {0};
	bool done;
	int rc = cli_parse_or_help(&stats_spec, argc, argv, &args, &done);
	const char *dir = audit_cli_dir(&stats_spec, &args);

	if (done)
		return rc;
	(void)audit_cli_readonly();
	rc = stats_scan(dir, &st, &err);
	if (rc)
		cli_error_err("audit stats", &err);
	else
		stats_print(&st, dir);
	tally_free(&st.types);
	tally_free(&st.runs);
	return rc ? AKIOS_EXIT_FAIL : AKIOS_EXIT_OK;
}
