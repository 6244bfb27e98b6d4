/* akios audit export (to a file, stdout, or a URL through http_upload: HTTP
 * PUT/POST or file://), akios audit proof and akios audit verify-proof.
 * An upload is staged in an unlinked temp file so a failing sink never
 * sees half an export from us, and memory stays fixed. */
#include "shared/common.h"
#include "shared/audit/audit.h"
#include "shared/audit/audit_read.h"
#include "shared/crypto.h"
#include "shared/exitcodes.h"
#include "shared/fileio.h"
#include "shared/http_upload.h"
#include "shared/limits.h"
#include "supervisor/cli.h"
#include "supervisor/cmd_audit_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>

static const struct cli_opt export_opts[] = {
    AUDIT_DIR_OPT,
    {"format", 0, "FMT", "jsonl (default), json or csv", 0},
    {"output", 'o', "FILE|-", "write to FILE (default: stdout)", 0},
    {"to", 0, "URL", "upload to URL (http, https, file)", 0},
    {"method", 0, "PUT|POST", "HTTP method for --to (default PUT)", 0},
};

static const struct cli_spec export_spec = {
    .name = "audit export",
    .usage = "[--format jsonl|json|csv] [--output FILE|-] [--to URL]",
    .summary = "Export events with their leaf hashes and the signed "
	       "checkpoint.",
    .details = "jsonl and json exports verify on their own: akios audit "
	       "verify --export FILE.\ncsv is for spreadsheets and carries "
	       "no checkpoint.",
    .opts = export_opts,
    .n_opts = AKIOS_ARRAY_SIZE(export_opts),
};

static int parse_format(const char *s, enum audit_export_format *f)
{
	if (!s || !strcmp(s, "jsonl"))
		*f = AUDIT_EXPORT_JSONL;
	else if (!strcmp(s, "json"))
		*f = AUDIT_EXPORT_JSON;
	else if (!strcmp(s, "csv"))
		*f = AUDIT_EXPORT_CSV;
	else
		return -EINVAL;
	return 0;
}

static FILE *open_output(const char *out, bool staged, struct akios_err *err)
{
	int fd;

	if (staged)
		fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	else if (!out || !strcmp(out, "-"))
		return stdout;
	else
		fd = open(out,
			  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
			  0644);
	if (fd < 0) {
		akios_err_set(err, staged ? "/tmp" : out, 0, 0, "%s",
			      strerror(errno));
		return NULL;
	}
	return fdopen(fd, staged ? "w+" : "w");
}

static int export_run(const struct cli_args *args, enum audit_export_format fmt,
		      struct akios_err *err)
{
	const char *url = cli_get(&export_spec, args, "to");
	const char *method = cli_get(&export_spec, args, "method");
	FILE *f = open_output(cli_get(&export_spec, args, "output"), url, err);
	uint64_t count = 0;
	long size;
	int rc;

	if (!f)
		return -EIO;
	rc = audit_export(audit_cli_dir(&export_spec, args), fmt, f, &count,
			  err);
	if (!rc && url) {
		size = ftell(f);
		rewind(f);
		rc = http_upload(f, url, method && !strcmp(method, "POST"),
				 size, err);
	}
	if (f != stdout && fclose(f) && !rc)
		rc = akios_err_set(err, "export", 0, 0, "%s", strerror(errno));
	if (!rc && url)
		fprintf(stderr, "exported %" PRIu64 " events to %s\n", count,
			url);
	return rc;
}

/* An upload (--to) loads libcurl; an export to a file or stdout does not. */
bool cmd_audit_export_ext(int argc, char *const *argv)
{
	struct cli_args args;
	int rc = cli_parse_copy(&export_spec, argc, argv, &args);

	return rc < 0 || (rc == 0 && cli_has(&export_spec, &args, "to"));
}

int cmd_audit_export(int argc, char **argv)
{
	struct cli_args args;
	struct akios_err err = {0};
	enum audit_export_format fmt;
	bool done;
	int rc = cli_parse_or_help(&export_spec, argc, argv, &args, &done);
	const char *method = cli_get(&export_spec, &args, "method");

	if (done)
		return rc;
	if (parse_format(cli_get(&export_spec, &args, "format"), &fmt)) {
		cli_error("audit export", "--format: want jsonl, json or csv");
		return AKIOS_EXIT_USAGE;
	}
	if (method && strcmp(method, "PUT") != 0 &&
	    strcmp(method, "POST") != 0) {
		cli_error("audit export", "--method: want PUT or POST");
		return AKIOS_EXIT_USAGE;
	}
	rc = export_run(&args, fmt, &err);
	if (rc) {
		cli_error_err("audit export", &err);
		return AKIOS_EXIT_FAIL;
	}
	return AKIOS_EXIT_OK;
}

static const struct cli_opt proof_opts[] = {
    AUDIT_DIR_OPT,
    {"index", 0, "I", "inclusion proof for event I", 0},
    {"size", 0, "N", "tree size (default: the current size)", 0},
    {"consistency", 0, "M", "consistency proof from size M to N", 0},
};

static const struct cli_spec proof_spec = {
    .name = "audit proof",
    .usage = "--index I [--size N] | --consistency M N",
    .summary = "Print an RFC 6962 inclusion or consistency proof.",
    .details = "Output: 'akios-audit-proof inclusion|consistency', the "
	       "index (or old-size),\nsize, leaf (or old-root), root, then "
	       "one 'hash HEX' line per proof hash.",
    .opts = proof_opts,
    .n_opts = AKIOS_ARRAY_SIZE(proof_opts),
    .max_pos = 1,
};

static int proof_args(const struct cli_args *args, struct audit_proof *p)
{
	const char *idx = cli_get(&proof_spec, args, "index");
	const char *m = cli_get(&proof_spec, args, "consistency");
	const char *size = cli_get(&proof_spec, args, "size");

	memset(p, 0, sizeof(*p));
	if (args->n_pos == 1 && m && !size)
		size = args->pos[0];
	else if (args->n_pos)
		return -EINVAL;
	if (!idx == !m || (m && !size))
		return -EINVAL;
	p->consistency = m != NULL;
	if (audit_cli_u64(m ? m : idx, &p->index))
		return -EINVAL;
	if (size && (audit_cli_u64(size, &p->size) || p->size == 0))
		return -EINVAL;
	return 0;
}

int cmd_audit_proof(int argc, char **argv)
{
	struct cli_args args;
	struct akios_err err = {0};
	struct akios_buf out;
	struct audit_proof *p = calloc(1, sizeof(*p));
	bool done;
	int rc = cli_parse_or_help(&proof_spec, argc, argv, &args, &done);

	if (done || !p) {
		free(p);
		return done ? rc : AKIOS_EXIT_INTERNAL;
	}
	if (proof_args(&args, p)) {
		free(p);
		cli_error("audit proof", "want --index I [--size N] or "
					 "--consistency M N");
		return AKIOS_EXIT_USAGE;
	}
	akios_buf_init(&out, 64ul * 1024ul);
	rc = audit_prove(audit_cli_dir(&proof_spec, &args), p, &err);
	if (!rc)
		rc = audit_proof_format(p, &out);
	if (!rc)
		fwrite(out.ptr, 1, out.len, stdout);
	else
		cli_error_err("audit proof", &err);
	akios_buf_free(&out);
	free(p);
	return rc ? AKIOS_EXIT_FAIL : AKIOS_EXIT_OK;
}

static const struct cli_opt vproof_opts[] = {
    AUDIT_DIR_OPT,
    {"root", 0, "HEX", "the trusted root the proof must end at", 0},
    {"leaf", 0, "HEX", "the leaf hash the proof must start from", 0},
    {"event", 0, "FILE", "hash this event's exact bytes as the leaf", 0},
    {"checkpoint", 0, "FILE", "take the trusted root from a checkpoint", 0},
    {"pub", 0, "PUB", "key for --checkpoint (default: akios.pub)", 0},
};

static const struct cli_spec vproof_spec = {
    .name = "audit verify-proof",
    .usage = "[options] [FILE|-]",
    .summary = "Check a proof printed by akios audit proof.",
    .details = "Recomputes the root from the proof's hashes and checks it "
	       "against --root,\n--checkpoint, or else the audit directory's "
	       "signed checkpoint of the\nproof's size when there is one.",
    .opts = vproof_opts,
    .n_opts = AKIOS_ARRAY_SIZE(vproof_opts),
    .max_pos = 1,
};

static int read_file(const char *path, size_t max, struct akios_buf *b,
		     struct akios_err *err)
{
	akios_buf_init(b, max);
	if (!strcmp(path, "-"))
		return fileio_read_fd(STDIN_FILENO, "stdin", b, err);
	return fileio_read_all(path, b, err);
}

static int hex_opt(const char *hex, const uint8_t want[32], const char *what,
		   struct akios_err *err)
{
	uint8_t h[32];

	if (crypto_hex_decode(hex, strlen(hex), h, 32))
		return akios_err_set(err, what, 0, 0, "want 64 hex digits");
	if (memcmp(h, want, 32) != 0)
		return akios_err_set(err, what, 0, 0,
				     "does not match the proof");
	return 0;
}

/* RFC 6962 leaf hash: SHA-256(0x00 || bytes). */
static void leaf_hash(const void *p, size_t n, uint8_t h[32])
{
	struct crypto_sha256_ctx c;
	const uint8_t zero = 0;

	crypto_sha256_init(&c);
	crypto_sha256_update(&c, &zero, 1);
	crypto_sha256_update(&c, p, n);
	crypto_sha256_final(&c, h);
}

static int event_leaf(const char *path, const struct audit_proof *p,
		      struct akios_err *err)
{
	struct akios_buf b;
	uint8_t h[32];
	int rc = read_file(path, AKIOS_MAX_AUDIT_RECORD + 1, &b, err);

	if (rc)
		return rc;
	if (b.len && b.ptr[b.len - 1] == '\n')
		b.len--; // as printed by `audit show --json`
	leaf_hash(b.ptr ? b.ptr : "", b.len, h);
	akios_buf_free(&b);
	if (p->consistency || memcmp(h, p->leaf, 32) != 0)
		return akios_err_set(err, path, 0, 0,
				     "event bytes do not hash to the proof's "
				     "leaf");
	return 0;
}

static int checkpoint_root(const char *path, const char *pub,
			   const struct audit_proof *p, struct akios_err *err)
{
	struct akios_buf b;
	uint64_t size;
	uint8_t root[32];
	int rc = read_file(path, AKIOS_MAX_CHECKPOINT_BYTES, &b, err);

	if (!rc)
		rc = audit_checkpoint_check(b.ptr ? b.ptr : "", b.len, pub,
					    &size, root, err);
	akios_buf_free(&b);
	if (!rc && (size != p->size || memcmp(root, p->root, 32) != 0))
		rc = akios_err_set(err, path, 0, 0,
				   "checkpoint (size %" PRIu64
				   ") does not sign the proof's root",
				   size);
	return rc;
}

/* Without --root or --checkpoint: the directory's checkpoint of the
 * proof's size, if there is one. */
static const char *dir_checkpoint(const struct cli_args *args,
				  const struct audit_proof *p, char *buf,
				  size_t n)
{
	int len = snprintf(buf, n, "%s/checkpoints/%020" PRIu64,
			   audit_cli_dir(&vproof_spec, args), p->size);

	if (len < 0 || (size_t)len >= n || access(buf, F_OK) != 0)
		return NULL;
	return buf;
}

static int vproof_run(const struct cli_args *args, struct audit_proof *p,
		      bool *trusted, struct akios_err *err)
{
	const char *src = args->n_pos ? args->pos[0] : "-";
	const char *root = cli_get(&vproof_spec, args, "root");
	const char *leaf = cli_get(&vproof_spec, args, "leaf");
	const char *event = cli_get(&vproof_spec, args, "event");
	const char *cp = cli_get(&vproof_spec, args, "checkpoint");
	char cpbuf[4200];
	struct akios_buf b;
	int rc = read_file(src, 64ul * 1024ul, &b, err);

	if (!rc)
		rc = audit_proof_parse(b.ptr ? b.ptr : "", b.len, p, err);
	akios_buf_free(&b);
	if (!rc && audit_proof_check(p))
		rc = akios_err_set(err, src, 0, 0,
				   "proof does not verify: its hashes do not "
				   "lead to its root");
	if (!rc && root)
		rc = hex_opt(root, p->root, "--root", err);
	if (!rc && leaf)
		rc = hex_opt(leaf, p->consistency ? p->old_root : p->leaf,
			     "--leaf", err);
	if (!rc && event)
		rc = event_leaf(event, p, err);
	if (!rc && !cp && !root)
		cp = dir_checkpoint(args, p, cpbuf, sizeof(cpbuf));
	if (!rc && cp)
		rc = checkpoint_root(cp, cli_get(&vproof_spec, args, "pub"), p,
				     err);
	*trusted = root || cp;
	return rc;
}

int cmd_audit_verify_proof(int argc, char **argv)
{
	struct cli_args args;
	struct akios_err err = {0};
	struct audit_proof *p = calloc(1, sizeof(*p));
	bool done;
	int rc = cli_parse_or_help(&vproof_spec, argc, argv, &args, &done);
	bool trusted = false;

	if (done || !p) {
		free(p);
		return done ? rc : AKIOS_EXIT_INTERNAL;
	}
	(void)audit_cli_readonly();
	rc = vproof_run(&args, p, &trusted, &err);
	if (rc)
		cli_error_err("audit verify-proof", &err);
	else
		printf("proof ok: %s %" PRIu64 " in tree of size %" PRIu64
		       "%s\n",
		       p->consistency ? "consistency from size" : "event",
		       p->index, p->size,
		       trusted ? " with the trusted root"
			       : " (self-consistent only: give --root or "
				 "--checkpoint)");
	free(p);
	return rc ? AKIOS_EXIT_FAIL : AKIOS_EXIT_OK;
}
