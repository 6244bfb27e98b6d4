/* Verification of an audit directory: every record's framing, checksum and
 * position (seq), the tree recomputed with the frontier (memory fixed
 * whatever the log size), every checkpoint's signature by the trusted key
 * and its root against the tree of the same size. The first failure is
 * reported with the record index and byte offset it concerns. */
#include "shared/common.h"
#include "shared/audit/audit_int.h"
#include "shared/audit/audit_read.h"
#include "shared/keys.h"
#include "shared/limits.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>

struct cp_entry {
	uint64_t size;
	uint8_t root[AUDIT_HASH_LEN];
};

struct vctx {
	const struct audit_verify_opts *opts;
	struct audit_verify_result *res;
	struct crypto_key *pub;
	struct cp_entry *cps;
	size_t n_cps, next_cp;
	uint64_t last_cp_size;
};

int audit_verify_load_pub(const char *path, struct crypto_key **pub,
			  struct akios_err *err)
{
	char def[4096];

	if (!path) {
		if (keys_path(NULL, KEYS_PUBLIC_NAME, def, sizeof(def)))
			return akios_err_set(err, "public key", 0, 0,
					     "no default key directory; use "
					     "--pub");
		path = def;
	}
	return crypto_key_load(path, pub, err);
}

static int load_one_cp(int dirfd, uint64_t size, const char *origin,
		       struct vctx *v, struct cp_entry *out,
		       struct akios_err *err)
{
	struct akios_buf text;
	struct audit_checkpoint cp;
	char name[64];
	int rc;

	if (audit_cp_name(size, name, sizeof(name)))
		return -ENAMETOOLONG;
	akios_buf_init(&text, AKIOS_MAX_CHECKPOINT_BYTES);
	rc = audit_cp_read(dirfd, size, &text, err);
	if (!rc)
		rc = audit_checkpoint_verify(text.ptr, text.len, v->pub, &cp,
					     err);
	akios_buf_free(&text);
	if (rc) {
		struct akios_err inner = *err;

		return akios_err_set(err, name, inner.line, 0, "%s", inner.msg);
	}
	if (cp.size != size || strcmp(cp.origin, origin) != 0)
		return akios_err_set(err, name, 0, 0,
				     "checkpoint for size %" PRIu64
				     " of log '%s' does not belong here",
				     cp.size, cp.origin);
	out->size = size;
	memcpy(out->root, cp.root, AUDIT_HASH_LEN);
	return 0;
}

static int load_cps(int dirfd, const char *origin, struct vctx *v,
		    struct akios_err *err)
{
	uint64_t *sizes = NULL;
	size_t n = 0;
	int rc = audit_cp_list(dirfd, &sizes, &n);

	if (rc)
		return akios_err_set(err, AUDIT_CP_DIR, 0, 0, "%s",
				     strerror(-rc));
	v->cps = calloc(n ? n : 1, sizeof(*v->cps));
	if (!v->cps) {
		free(sizes);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n && !rc; i++)
		rc = load_one_cp(dirfd, sizes[i], origin, v, &v->cps[i], err);
	v->n_cps = rc ? 0 : n;
	v->res->checkpoints = v->n_cps;
	v->res->signed_size = n ? sizes[n - 1] : 0;
	free(sizes);
	return rc ? -EBADMSG : 0;
}

/* Compares the tree so far with any checkpoint of this size. */
static int check_cps(struct vctx *v, const struct audit_frontier *fr,
		     uint64_t off, struct akios_err *err)
{
	uint8_t root[AUDIT_HASH_LEN];

	while (v->next_cp < v->n_cps && v->cps[v->next_cp].size == fr->size) {
		audit_frontier_root(fr, root);
		if (memcmp(root, v->cps[v->next_cp].root, AUDIT_HASH_LEN) !=
		    0) {
			v->res->bad_index = v->last_cp_size;
			v->res->bad_offset = off;
			return akios_err_set(
			    err, "events.log", 0, 0,
			    "the first %" PRIu64 " records do not match their "
			    "signed checkpoint: a record between index %" PRIu64
			    " and %" PRIu64 " was altered",
			    fr->size, v->last_cp_size, fr->size - 1);
		}
		v->last_cp_size = fr->size;
		v->next_cp++;
	}
	return 0;
}

static void progress(struct vctx *v, const struct audit_scan *s, bool force)
{
	if (v->opts->progress && (force || (s->index & 0xffff) == 0))
		v->opts->progress(v->opts->progress_ctx, s->off, s->file_size);
}

static int scan_records(struct vctx *v, struct audit_scan *s,
			struct audit_frontier *fr, struct akios_err *err)
{
	struct audit_rec rec;
	int rc;

	for (;;) {
		rc = check_cps(v, fr, s->off, err);
		if (rc)
			return rc;
		rc = audit_scan_next(s, &rec, err);
		if (rc != 1)
			break;
		audit_frontier_push(fr, rec.leaf);
		progress(v, s, false);
	}
	progress(v, s, true);
	if (rc < 0) {
		v->res->bad_index = s->index;
		v->res->bad_offset = s->off;
		return rc == -ENODATA || rc == -EBADMSG ? -EBADMSG : rc;
	}
	if (v->next_cp < v->n_cps) {
		v->res->bad_index = fr->size;
		v->res->bad_offset = s->off;
		return akios_err_set(
		    err, "events.log", 0, 0,
		    "record %" PRIu64 " at byte offset %" PRIu64
		    ": log ends here but a signed checkpoint "
		    "covers %" PRIu64 " records (records removed)",
		    fr->size, s->off, v->cps[v->n_cps - 1].size);
	}
	return 0;
}

static int check_expected(struct vctx *v, struct akios_err *err)
{
	char got[65];

	if (!v->opts->expected_root ||
	    memcmp(v->res->root, v->opts->expected_root, AUDIT_HASH_LEN) == 0)
		return 0;
	crypto_hex_encode(v->res->root, AUDIT_HASH_LEN, got);
	return akios_err_set(err, "events.log", 0, 0,
			     "root %s is not the expected hash", got);
}

static int verify_open(const char *dir, struct vctx *v, struct audit_scan *s,
		       int *dirfd, struct akios_err *err)
{
	char origin[AUDIT_ORIGIN_MAX];
	int rc;

	*dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd < 0)
		return akios_err_set(err, dir, 0, 0, "%s", strerror(errno));
	rc = audit_verify_load_pub(v->opts->pub_path, &v->pub, err);
	if (!rc)
		rc = audit_scan_open(*dirfd, AUDIT_LOG_NAME, s, err);
	if (!rc)
		rc = audit_origin(s->log_id, origin, sizeof(origin));
	if (!rc)
		rc = load_cps(*dirfd, origin, v, err);
	return rc;
}

int audit_verify_dir(const char *dir, const struct audit_verify_opts *opts,
		     struct audit_verify_result *res, struct akios_err *err)
{
	struct vctx v = {.opts = opts, .res = res};
	struct audit_frontier fr;
	struct audit_scan s = {.fd = -1};
	int dirfd = -1;
	int rc;

	memset(res, 0, sizeof(*res));
	res->bad_index = AUDIT_NO_INDEX;
	audit_frontier_init(&fr);
	rc = verify_open(dir, &v, &s, &dirfd, err);
	if (!rc)
		rc = scan_records(&v, &s, &fr, err);
	res->events = fr.size;
	audit_frontier_root(&fr, res->root);
	if (!rc)
		rc = check_expected(&v, err);
	audit_scan_close(&s);
	if (dirfd >= 0)
		close(dirfd);
	crypto_key_free(v.pub);
	free(v.cps);
	return rc < 0 ? rc : (rc ? -EBADMSG : 0);
}

int audit_checkpoint_check(const char *text, size_t len, const char *pub_path,
			   uint64_t *size, uint8_t root[32],
			   struct akios_err *err)
{
	struct crypto_key *pub = NULL;
	struct audit_checkpoint cp;
	int rc = audit_verify_load_pub(pub_path, &pub, err);

	if (!rc)
		rc = audit_checkpoint_verify(text, len, pub, &cp, err);
	crypto_key_free(pub);
	if (rc)
		return -EBADMSG;
	*size = cp.size;
	memcpy(root, cp.root, AUDIT_HASH_LEN);
	return 0;
}
