/* Exports of the ledger (jsonl, json, csv) and the verification of a jsonl
 * or json export on its own. One event per line, "event" holding the exact
 * stored bytes so leaf hashes can be recomputed; the newest signed
 * checkpoint travels in the first line. Streams: memory is one line. */
#include "shared/common.h"
#include "shared/audit/audit_int.h"
#include "shared/audit/audit_read.h"
#include "shared/limits.h"

#include <errno.h>
#include <inttypes.h>

#define EXPORT_FORMAT "akios-audit-export/1"
#define LINE_MAX_LEN  (AKIOS_MAX_AUDIT_RECORD + 256)

static int write_header(FILE *out, enum audit_export_format fmt,
			const struct akios_buf *cp)
{
	struct json *s = json_new_string(cp->ptr ? cp->ptr : "");
	char *text = s ? json_print(s) : NULL;
	int rc = text ? 0 : -ENOMEM;

	json_free(s);
	if (rc)
		return rc;
	if (fmt == AUDIT_EXPORT_CSV)
		fputs("index,leaf_hash,time,run_id,type,decision,event\n", out);
	else
		fprintf(out,
			"{\"format\":\"" EXPORT_FORMAT
			"\",\"checkpoint\":%s%s\n",
			text, fmt == AUDIT_EXPORT_JSON ? ",\"events\":[" : "}");
	free(text);
	return 0;
}

static void csv_quoted(FILE *out, const char *s, size_t n)
{
	fputc('"', out);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			fputc('"', out);
		fputc(s[i], out);
	}
	fputc('"', out);
}

static void csv_field(FILE *out, const struct json *ev, const char *key)
{
	const char *v = json_get_str(ev, key);

	fputc(',', out);
	if (v)
		csv_quoted(out, v, strlen(v));
}

static void write_event(FILE *out, enum audit_export_format fmt,
			const struct audit_event *ev, bool first)
{
	char hex[2 * AUDIT_HASH_LEN + 1];
	struct json *j;

	crypto_hex_encode(ev->leaf, AUDIT_HASH_LEN, hex);
	if (fmt != AUDIT_EXPORT_CSV) {
		if (fmt == AUDIT_EXPORT_JSON && !first)
			fputs(",\n", out);
		fprintf(out,
			"{\"index\":%" PRIu64
			",\"leaf_hash\":\"%s\",\"event\":",
			ev->index, hex);
		fwrite(ev->json, 1, ev->len, out);
		fputs(fmt == AUDIT_EXPORT_JSON ? "}" : "}\n", out);
		return;
	}
	fprintf(out, "%" PRIu64 ",%s", ev->index, hex);
	j = json_parse(ev->json, ev->len, NULL);
	csv_field(out, j, "time");
	csv_field(out, j, "run_id");
	csv_field(out, j, "type");
	csv_field(out, j, "decision");
	json_free(j);
	fputc(',', out);
	csv_quoted(out, ev->json, ev->len);
	fputc('\n', out);
}

int audit_export(const char *dir, enum audit_export_format fmt, FILE *out,
		 uint64_t *count, struct akios_err *err)
{
	struct akios_buf cp;
	struct audit_reader *r = NULL;
	struct audit_event ev;
	int rc;

	*count = 0;
	akios_buf_init(&cp, AKIOS_MAX_CHECKPOINT_BYTES);
	rc = audit_latest_checkpoint(dir, &cp, err);
	if (!rc)
		rc = audit_reader_open(dir, &r, err);
	if (!rc)
		rc = write_header(out, fmt, &cp);
	while (!rc) {
		rc = audit_reader_next(r, &ev, err);
		if (rc != 1)
			break;
		write_event(out, fmt, &ev, *count == 0);
		(*count)++;
		rc = 0;
	}
	if (!rc && fmt == AUDIT_EXPORT_JSON)
		fputs("\n]}\n", out);
	if (!rc && (fflush(out) || ferror(out)))
		rc = akios_err_set(err, "export", 0, 0, "write: %s",
				   strerror(errno));
	audit_reader_close(r);
	akios_buf_free(&cp);
	return rc;
}

/* ---- verification of an export ---- */

struct xv {
	FILE *in;
	char *line;
	size_t len;
	unsigned lineno;
	const char *path;
	struct akios_err *err;
};

/* Reads one line without its '\n'; 0 at EOF, 1 with a line. */
static int read_line(struct xv *x)
{
	if (!fgets(x->line, LINE_MAX_LEN, x->in))
		return ferror(x->in) ? akios_err_set(x->err, x->path, 0, 0,
						     "%s", strerror(errno))
				     : 0;
	x->lineno++;
	x->len = strlen(x->line);
	if (x->len == 0 || x->line[x->len - 1] != '\n')
		return akios_err_set(x->err, x->path, x->lineno, 0,
				     "line too long or not terminated");
	x->line[--x->len] = '\0';
	return 1;
}

static int parse_header(struct xv *x, const struct crypto_key *pub,
			struct audit_checkpoint *cp, bool *json)
{
	const char *tail = ",\"events\":[";
	size_t tl = strlen(tail);
	struct json *h;
	const char *f, *c;
	int rc;

	*json = x->len > tl && !strcmp(x->line + x->len - tl, tail);
	if (*json)
		memcpy(x->line + x->len - tl, "}", 2);
	// Strict: the header is one object and nothing after it.
	h = json_parse(x->line, strlen(x->line), NULL);
	f = json_get_str(h, "format");
	c = json_get_str(h, "checkpoint");
	if (!f || strcmp(f, EXPORT_FORMAT) != 0 || !c) {
		json_free(h);
		return akios_err_set(x->err, x->path, 1, 0,
				     "not an akios audit export (jsonl or "
				     "json)");
	}
	rc = c[0] ? audit_checkpoint_verify(c, strlen(c), pub, cp, x->err)
		  : akios_err_set(x->err, x->path, 1, 0,
				  "the export carries no signed checkpoint");
	json_free(h);
	if (rc && x->err->file && !strcmp(x->err->file, "checkpoint"))
		x->err->file = x->path;
	return rc;
}

/* Splits an event line into its index, leaf hash and raw event bytes. */
static int event_line(struct xv *x, bool json, uint64_t want,
		      struct audit_rec *rec)
{
	char pre[128];
	uint8_t claimed[AUDIT_HASH_LEN];
	size_t end = x->len;
	int n = snprintf(pre, sizeof(pre),
			 "{\"index\":%" PRIu64 ",\"leaf_hash\":\"", want);
	size_t p = (size_t)n + 2ul * AUDIT_HASH_LEN;
	const char *ev = "\",\"event\":";

	if (json && end > 0 && x->line[end - 1] == ',')
		end--;
	if (end < p + strlen(ev) + 3 || memcmp(x->line, pre, (size_t)n) != 0 ||
	    crypto_hex_decode(x->line + n, 2ul * AUDIT_HASH_LEN, claimed,
			      AUDIT_HASH_LEN) ||
	    memcmp(x->line + p, ev, strlen(ev)) != 0 || x->line[end - 1] != '}')
		return akios_err_set(x->err, x->path, x->lineno, 0,
				     "event %" PRIu64 ": malformed line "
				     "(missing, reordered or edited)",
				     want);
	rec->payload = (const uint8_t *)x->line + p + strlen(ev);
	rec->len = end - 1 - (p + strlen(ev));
	audit_leaf_hash(rec->payload, rec->len, rec->leaf);
	if (memcmp(claimed, rec->leaf, AUDIT_HASH_LEN) != 0 ||
	    !audit_record_seq_ok(rec, want))
		return akios_err_set(x->err, x->path, x->lineno, 0,
				     "event %" PRIu64 ": bytes do not match "
				     "its leaf hash or position",
				     want);
	return 0;
}

static int check_root(struct xv *x, const struct audit_frontier *fr,
		      const struct audit_checkpoint *cp)
{
	uint8_t root[AUDIT_HASH_LEN];

	if (fr->size != cp->size)
		return 0;
	audit_frontier_root(fr, root);
	if (memcmp(root, cp->root, AUDIT_HASH_LEN) == 0)
		return 0;
	return akios_err_set(x->err, x->path, x->lineno, 0,
			     "the first %" PRIu64 " events do not match the "
			     "signed checkpoint",
			     cp->size);
}

static int verify_events(struct xv *x, bool json,
			 const struct audit_checkpoint *cp,
			 struct audit_frontier *fr,
			 struct audit_verify_result *res)
{
	struct audit_rec rec;
	bool closed = false;
	int rc = check_root(x, fr, cp);

	while (!rc && (rc = read_line(x)) == 1) {
		if (json && !strcmp(x->line, "]}")) {
			closed = true;
			rc = 0;
			continue;
		}
		rc = closed ? akios_err_set(x->err, x->path, x->lineno, 0,
					    "text after the end")
			    : event_line(x, json, fr->size, &rec);
		if (rc) {
			res->bad_index = fr->size;
			res->bad_offset = x->lineno;
			break;
		}
		audit_frontier_push(fr, rec.leaf);
		rc = check_root(x, fr, cp);
	}
	if (!rc && json && !closed)
		rc = akios_err_set(x->err, x->path, x->lineno, 0,
				   "truncated json export");
	if (!rc && fr->size < cp->size)
		rc = akios_err_set(x->err, x->path, x->lineno, 0,
				   "export ends after %" PRIu64 " events but "
				   "the checkpoint covers %" PRIu64,
				   fr->size, cp->size);
	return rc;
}

int audit_verify_export(const char *path, const struct audit_verify_opts *opts,
			struct audit_verify_result *res, struct akios_err *err)
{
	struct xv x = {.path = path, .err = err};
	struct crypto_key *pub = NULL;
	struct audit_checkpoint cp;
	struct audit_frontier fr;
	bool json = false;
	int rc;

	memset(res, 0, sizeof(*res));
	res->bad_index = AUDIT_NO_INDEX;
	audit_frontier_init(&fr);
	x.line = malloc(LINE_MAX_LEN);
	x.in = fopen(path, "re");
	if (!x.line || !x.in) {
		rc = akios_err_set(err, path, 0, 0, "%s", strerror(errno));
		goto out;
	}
	rc = audit_verify_load_pub(opts->pub_path, &pub, err);
	if (!rc)
		rc = read_line(&x) == 1
			 ? 0
			 : akios_err_set(err, path, 1, 0, "empty export");
	if (!rc)
		rc = parse_header(&x, pub, &cp, &json);
	if (!rc)
		rc = verify_events(&x, json, &cp, &fr, res);
	res->events = fr.size;
	res->checkpoints = rc ? 0 : 1;
	res->signed_size = cp.size;
	audit_frontier_root(&fr, res->root);
	if (!rc && opts->expected_root &&
	    memcmp(res->root, opts->expected_root, AUDIT_HASH_LEN) != 0)
		rc = akios_err_set(err, path, 0, 0,
				   "root is not the expected "
				   "hash");
out:
	if (x.in)
		fclose(x.in);
	free(x.line);
	crypto_key_free(pub);
	return rc ? -EBADMSG : 0;
}
