/* akios audit append (events from outside the cage: CI steps, tests,
 * benchmarks) and akios audit show. append is a writer: it takes the
 * directory's lock, refuses reserved (supervisor-only) types, and commits
 * everything it read under one group commit before it reports success. */
#include "shared/common.h"
#include "shared/audit/audit.h"
#include "shared/audit/audit_read.h"
#include "shared/crypto.h"
#include "shared/exitcodes.h"
#include "shared/json.h"
#include "shared/limits.h"
#include "supervisor/cli.h"
#include "supervisor/cmd_audit_int.h"

#include <errno.h>
#include <inttypes.h>

static const struct cli_opt append_opts[] = {
    AUDIT_DIR_OPT,
    {"type", 0, "TYPE", "event type ([a-z0-9_.-], not reserved)", 0},
    {"decision", 0, "DECISION", "decision field (allow, deny, ...)", 0},
    {"field", 0, "KEY=VALUE", "a string field (repeatable)", CLI_OPT_MULTI},
    {"json", 0, "FILE|-", "one JSON object per line (\"type\" inside)", 0},
    {"run", 0, "RUN", "run id (default: a fresh random one)", 0},
    {"key", 0, "KEY", "private key for checkpoints (default: akios.key)", 0},
};

static const struct cli_spec append_spec = {
    .name = "audit append",
    .usage = "--type TYPE [--field KEY=VALUE]... | --json FILE|-",
    .summary = "Append events to the ledger from outside the cage.",
    .details = "Reserved types (audit.* budget.* cage.* connect.* exec.* "
	       "kill.*\nkillswitch.* llm.* policy.* run.* tokens.*) are "
	       "written only by the\nsupervisor and refused. With --json, "
	       "every line is one object; all\nlines share one group "
	       "commit.",
    .opts = append_opts,
    .n_opts = AKIOS_ARRAY_SIZE(append_opts),
};

static int check_type(const char *type, const char *where)
{
	if (!audit_type_reserved(type))
		return 0;
	cli_error("audit append",
		  "%s: type '%s' is reserved for the supervisor", where, type);
	return -EPERM;
}

static int append_fields(struct audit_log *log, const struct cli_args *args,
			 struct akios_err *err)
{
	const char *type = cli_get(&append_spec, args, "type");
	unsigned n = 0;
	const char *const *kv = cli_get_all(&append_spec, args, "field", &n);
	struct json *f = json_new_object();
	int rc = f ? 0 : -ENOMEM;

	for (unsigned i = 0; i < n && !rc; i++) {
		const char *eq = strchr(kv[i], '=');
		char key[128];

		if (!eq || eq == kv[i] || (size_t)(eq - kv[i]) >= sizeof(key)) {
			rc = akios_err_set(err, "--field", 0, 0,
					   "'%s': want KEY=VALUE", kv[i]);
			break;
		}
		snprintf(key, sizeof(key), "%.*s", (int)(eq - kv[i]), kv[i]);
		if (!json_add_str(f, key, eq + 1))
			rc = -ENOMEM;
	}
	if (!rc)
		rc = audit_append(
		    log, type, cli_get(&append_spec, args, "decision"), f, err);
	json_free(f);
	return rc;
}

/* Takes "type" and "decision" out of obj; the rest are fields. */
static int append_object(struct audit_log *log, struct json *obj,
			 const char *where, const char *dflt_type,
			 struct akios_err *err)
{
	struct json *t = json_detach(obj, "type");
	struct json *d = json_detach(obj, "decision");
	const char *type = json_is_string(t) ? t->str : dflt_type;
	int rc = 0;

	if (!type || (d && !json_is_string(d)))
		rc = akios_err_set(err, where, 0, 0,
				   "needs a string \"type\" (and a string "
				   "\"decision\" if any)");
	else if (check_type(type, where))
		rc = -EPERM;
	else
		rc = audit_append(log, type, d ? d->str : NULL, obj, err);
	json_free(t);
	json_free(d);
	return rc;
}

static int append_json(struct audit_log *log, const char *path,
		       const char *dflt_type, uint64_t *count,
		       struct akios_err *err)
{
	FILE *in = strcmp(path, "-") ? fopen(path, "re") : stdin;
	char *line = malloc(AKIOS_MAX_AUDIT_RECORD + 2);
	unsigned lineno = 0;
	int rc = 0;

	if (!in || !line) {
		rc = akios_err_set(err, path, 0, 0, "%s", strerror(errno));
		goto out;
	}
	while (!rc && fgets(line, AKIOS_MAX_AUDIT_RECORD + 2, in)) {
		size_t n = strlen(line);
		char where[64];
		struct json *obj;

		lineno++;
		snprintf(where, sizeof(where), "line %u", lineno);
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n == 0)
			continue;
		// Strict: one object per line, nothing after it.
		obj = json_parse(line, n, NULL);
		if (!json_is_object(obj))
			rc = akios_err_set(err, path, lineno, 0,
					   "not a JSON object");
		else
			rc = append_object(log, obj, where, dflt_type, err);
		json_free(obj);
		if (!rc)
			(*count)++;
	}
out:
	if (in && in != stdin)
		fclose(in);
	free(line);
	return rc;
}

static int append_run(const struct cli_args *args, struct akios_err *err)
{
	struct audit_opts o = {
	    .key_path = cli_get(&append_spec, args, "key"),
	    .run_id = cli_get(&append_spec, args, "run"),
	};
	struct audit_log *log = NULL;
	const char *json = cli_get(&append_spec, args, "json");
	uint64_t count = 0;
	uint8_t root[32];
	char hex[65];
	int rc = audit_open(audit_cli_dir(&append_spec, args), &o, &log, err);

	if (rc)
		return rc;
	if (json) {
		rc = append_json(log, json, cli_get(&append_spec, args, "type"),
				 &count, err);
	} else {
		rc = append_fields(log, args, err);
		count = 1;
	}
	if (!rc)
		rc = audit_checkpoint(log, err); // commits first
	if (!rc) {
		audit_root(log, root);
		crypto_hex_encode(root, 32, hex);
		printf("appended %" PRIu64 " events: size %" PRIu64
		       ", root %s\n",
		       count, audit_size(log), hex);
	}
	if (audit_close(log, rc ? NULL : err) && !rc)
		rc = -EIO;
	return rc;
}

int cmd_audit_append(int argc, char **argv)
{
	struct cli_args args;
	struct akios_err err = {0};
	bool done;
	int rc = cli_parse_or_help(&append_spec, argc, argv, &args, &done);
	const char *type = cli_get(&append_spec, &args, "type");

	if (done)
		return rc;
	if (!type && !cli_has(&append_spec, &args, "json")) {
		cli_error("audit append", "--type or --json is required");
		return AKIOS_EXIT_USAGE;
	}
	if (type && check_type(type, "--type"))
		return AKIOS_EXIT_FAIL;
	rc = append_run(&args, &err);
	if (rc == -EPERM)
		return AKIOS_EXIT_FAIL;
	if (rc) {
		cli_error_err("audit append", &err);
		return AKIOS_EXIT_FAIL;
	}
	return AKIOS_EXIT_OK;
}

static const struct cli_opt show_opts[] = {
    AUDIT_DIR_OPT,
    {"type", 0, "T", "only events of this type", 0},
    {"run", 0, "RUN", "only events of this run", 0},
    {"last", 0, "N", "only the last N matching events", 0},
    {"json", 0, NULL, "print the stored JSON of each event", 0},
};

static const struct cli_spec show_spec = {
    .name = "audit show",
    .usage = "[options]",
    .summary = "Show events of the ledger, oldest first.",
    .opts = show_opts,
    .n_opts = AKIOS_ARRAY_SIZE(show_opts),
};

struct show_filter {
	const char *type, *run;
	uint64_t skip; /* matching events to pass over before printing */
	bool json, print;
};

static const char *field_str(const struct json *o, const char *key)
{
	const char *v = json_get_str(o, key);

	return v ? v : "-";
}

static void show_event(const struct audit_event *ev, struct json *o, bool json)
{
	char *rest;

	if (json) {
		printf("%.*s\n", (int)ev->len, ev->json);
		return;
	}
	printf("#%" PRIu64 " %s %s %s run=%s", ev->index, field_str(o, "time"),
	       field_str(o, "type"), field_str(o, "decision"),
	       field_str(o, "run_id"));
	for (const char *k = "seq\0time\0type\0decision\0run_id\0"; *k;
	     k += strlen(k) + 1)
		(void)json_remove(o, k);
	rest = o->child ? json_print(o) : NULL;
	printf("%s%s\n", rest ? " " : "", rest ? rest : "");
	free(rest);
}

/* One pass; returns the number of matching events in *matched. */
static int show_pass(const char *dir, const struct show_filter *f,
		     uint64_t *matched, struct akios_err *err)
{
	struct audit_reader *r = NULL;
	struct audit_event ev;
	int rc = audit_reader_open(dir, &r, err);

	*matched = 0;
	while (!rc && (rc = audit_reader_next(r, &ev, err)) == 1) {
		struct json *o = json_parse(ev.json, ev.len, NULL);

		rc = 0;
		if (o && (!f->type || !strcmp(field_str(o, "type"), f->type)) &&
		    (!f->run || !strcmp(field_str(o, "run_id"), f->run))) {
			if (f->print && *matched >= f->skip)
				show_event(&ev, o, f->json);
			(*matched)++;
		}
		json_free(o);
	}
	audit_reader_close(r);
	return rc;
}

int cmd_audit_show(int argc, char **argv)
{
	struct cli_args args;
	struct akios_err err = {0};
	struct show_filter f = {0};
	uint64_t last = 0, matched = 0;
	bool done;
	int rc = cli_parse_or_help(&show_spec, argc, argv, &args, &done);
	const char *dir = audit_cli_dir(&show_spec, &args);
	const char *l = cli_get(&show_spec, &args, "last");

	if (done)
		return rc;
	if (l && (audit_cli_u64(l, &last) || last == 0)) {
		cli_error("audit show", "--last: want a positive number");
		return AKIOS_EXIT_USAGE;
	}
	f.type = cli_get(&show_spec, &args, "type");
	f.run = cli_get(&show_spec, &args, "run");
	f.json = cli_has(&show_spec, &args, "json");
	(void)audit_cli_readonly();
	// --last: count first, then print the tail (memory stays fixed).
	rc = l ? show_pass(dir, &f, &matched, &err) : 0;
	f.skip = matched > last ? matched - last : 0;
	f.print = true;
	if (!rc)
		rc = show_pass(dir, &f, &matched, &err);
	if (rc) {
		cli_error_err("audit show", &err);
		return AKIOS_EXIT_FAIL;
	}
	return AKIOS_EXIT_OK;
}
