/* Reading an audit directory without writing to it: a streaming event
 * reader, the newest checkpoint, and RFC 6962 proofs with their text form.
 * Proof generation holds the leaf hashes (32 bytes per event) of the tree
 * it proves; everything else streams. */
#include "shared/common.h"
#include "shared/audit/audit_int.h"
#include "shared/audit/audit_read.h"
#include "shared/limits.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>

_Static_assert(AUDIT_PROOF_MAX_HASHES >= AUDIT_MAX_PROOF,
	       "proof buffer smaller than the deepest proof");

struct audit_reader {
	int dirfd;
	struct audit_scan s;
};

int audit_reader_open(const char *dir, struct audit_reader **out,
		      struct akios_err *err)
{
	struct audit_reader *r = calloc(1, sizeof(*r));
	int rc;

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->s.fd = -1;
	r->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->dirfd < 0) {
		rc = akios_err_set(err, dir, 0, 0, "%s", strerror(errno));
		free(r);
		return rc;
	}
	rc = audit_scan_open(r->dirfd, AUDIT_LOG_NAME, &r->s, err);
	if (rc) {
		audit_reader_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

int audit_reader_next(struct audit_reader *r, struct audit_event *ev,
		      struct akios_err *err)
{
	struct audit_rec rec;
	uint64_t index = r->s.index;
	uint64_t off = r->s.off;
	int rc = audit_scan_next(&r->s, &rec, err);

	if (rc != 1)
		return rc;
	ev->index = index;
	ev->offset = off;
	ev->json = (const char *)rec.payload;
	ev->len = rec.len;
	memcpy(ev->leaf, rec.leaf, AUDIT_HASH_LEN);
	return 1;
}

uint64_t audit_reader_bytes(const struct audit_reader *r)
{
	return r->s.file_size;
}

void audit_reader_close(struct audit_reader *r)
{
	if (!r)
		return;
	audit_scan_close(&r->s);
	if (r->dirfd >= 0)
		close(r->dirfd);
	free(r);
}

int audit_latest_checkpoint(const char *dir, struct akios_buf *out,
			    struct akios_err *err)
{
	uint64_t *sizes = NULL;
	size_t n = 0;
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (dirfd < 0)
		return akios_err_set(err, dir, 0, 0, "%s", strerror(errno));
	rc = audit_cp_list(dirfd, &sizes, &n);
	if (!rc && n)
		rc = audit_cp_read(dirfd, sizes[n - 1], out, err);
	free(sizes);
	close(dirfd);
	return rc;
}

/* Leaf hashes of the first `limit` records (all when limit is 0). */
static int load_leaves(const char *dir, uint64_t limit, uint8_t (**leaves)[32],
		       uint64_t *n, struct akios_err *err)
{
	struct audit_reader *r = NULL;
	struct audit_event ev;
	uint64_t cap = 0;
	int rc = audit_reader_open(dir, &r, err);

	*leaves = NULL;
	*n = 0;
	while (!rc && (limit == 0 || *n < limit)) {
		rc = audit_reader_next(r, &ev, err);
		if (rc != 1)
			break;
		rc = 0;
		if (*n == cap) {
			uint64_t ncap = cap ? cap * 2 : 1024;
			uint8_t(*p)[32] = realloc(*leaves, ncap * 32);

			if (!p) {
				rc = -ENOMEM;
				break;
			}
			*leaves = p;
			cap = ncap;
		}
		memcpy((*leaves)[(*n)++], ev.leaf, AUDIT_HASH_LEN);
	}
	audit_reader_close(r);
	return rc;
}

static int prove_with(const uint8_t (*leaves)[32], uint64_t n,
		      struct audit_proof *p, struct akios_err *err)
{
	int rc;

	if (p->size == 0)
		p->size = n;
	if (p->size > n || (!p->consistency && p->index >= p->size) ||
	    (p->consistency && p->index > p->size))
		return akios_err_set(
		    err, "proof", 0, 0,
		    "out of range: the log has %" PRIu64 " events", n);
	audit_root_of(leaves, p->size, p->root);
	if (p->consistency) {
		audit_root_of(leaves, p->index, p->old_root);
		rc = audit_consistency_proof(leaves, p->index, p->size,
					     p->hashes, &p->len);
	} else {
		memcpy(p->leaf, leaves[p->index], AUDIT_HASH_LEN);
		rc = audit_inclusion_proof(leaves, p->size, p->index, p->hashes,
					   &p->len);
	}
	return rc;
}

int audit_prove(const char *dir, struct audit_proof *p, struct akios_err *err)
{
	uint8_t(*leaves)[32] = NULL;
	uint64_t n = 0;
	int rc = load_leaves(dir, p->size, &leaves, &n, err);

	if (!rc)
		rc = prove_with((const uint8_t(*)[32])leaves, n, p, err);
	free(leaves);
	return rc;
}

static int put_hash(struct akios_buf *out, const char *key, const uint8_t *h)
{
	char hex[2 * AUDIT_HASH_LEN + 1];

	crypto_hex_encode(h, AUDIT_HASH_LEN, hex);
	return akios_buf_appendf(out, "%s %s\n", key, hex);
}

int audit_proof_format(const struct audit_proof *p, struct akios_buf *out)
{
	int rc;

	if (p->consistency)
		rc = akios_buf_appendf(out,
				       "akios-audit-proof consistency\n"
				       "old-size %" PRIu64 "\nsize %" PRIu64
				       "\n",
				       p->index, p->size);
	else
		rc = akios_buf_appendf(out,
				       "akios-audit-proof inclusion\n"
				       "index %" PRIu64 "\nsize %" PRIu64 "\n",
				       p->index, p->size);
	if (!rc)
		rc = put_hash(out, p->consistency ? "old-root" : "leaf",
			      p->consistency ? p->old_root : p->leaf);
	if (!rc)
		rc = put_hash(out, "root", p->root);
	for (size_t i = 0; i < p->len && !rc; i++)
		rc = put_hash(out, "hash", p->hashes[i]);
	return rc;
}

struct pcur {
	const char *p;
	size_t len, pos;
	unsigned line;
	struct akios_err *err;
};

/* Next line "key value"; checks the key; *val points into the text. */
static int field(struct pcur *c, const char *key, const char **val,
		 size_t *vlen)
{
	const char *s = c->p + c->pos;
	const char *nl = memchr(s, '\n', c->len - c->pos);
	size_t klen = strlen(key);
	size_t n;

	c->line++;
	if (!nl)
		return akios_err_set(c->err, "proof", c->line, 0,
				     "expected '%s' line", key);
	n = (size_t)(nl - s);
	if (n < klen + 2 || memcmp(s, key, klen) != 0 || s[klen] != ' ')
		return akios_err_set(c->err, "proof", c->line, 0,
				     "expected '%s' line", key);
	*val = s + klen + 1;
	*vlen = n - klen - 1;
	c->pos += n + 1;
	return 0;
}

static int num_field(struct pcur *c, const char *key, uint64_t *out)
{
	const char *v;
	size_t n;
	uint64_t x = 0;
	int rc = field(c, key, &v, &n);

	if (rc)
		return rc;
	if (n == 0 || n > 19 || (n > 1 && v[0] == '0'))
		return akios_err_set(c->err, "proof", c->line, 0, "bad number");
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return akios_err_set(c->err, "proof", c->line, 0,
					     "bad number");
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	*out = x;
	return 0;
}

static int hash_field(struct pcur *c, const char *key, uint8_t out[32])
{
	const char *v;
	size_t n;
	int rc = field(c, key, &v, &n);

	if (rc)
		return rc;
	if (crypto_hex_decode(v, n, out, AUDIT_HASH_LEN))
		return akios_err_set(c->err, "proof", c->line, 0,
				     "bad hash (64 hex digits)");
	return 0;
}

int audit_proof_parse(const char *text, size_t len, struct audit_proof *p,
		      struct akios_err *err)
{
	struct pcur c = {.p = text, .len = len, .err = err};
	const char *kind;
	size_t n;
	int rc = field(&c, "akios-audit-proof", &kind, &n);

	memset(p, 0, sizeof(*p));
	if (rc)
		return rc;
	p->consistency = n == 11 && memcmp(kind, "consistency", 11) == 0;
	if (!p->consistency && (n != 9 || memcmp(kind, "inclusion", 9) != 0))
		return akios_err_set(err, "proof", 1, 0, "unknown proof kind");
	rc = num_field(&c, p->consistency ? "old-size" : "index", &p->index);
	if (!rc)
		rc = num_field(&c, "size", &p->size);
	if (!rc)
		rc = hash_field(&c, p->consistency ? "old-root" : "leaf",
				p->consistency ? p->old_root : p->leaf);
	if (!rc)
		rc = hash_field(&c, "root", p->root);
	while (!rc && c.pos < len) {
		if (p->len >= AUDIT_PROOF_MAX_HASHES)
			return akios_err_set(err, "proof", c.line + 1, 0,
					     "too many hashes");
		rc = hash_field(&c, "hash", p->hashes[p->len++]);
	}
	return rc;
}

int audit_proof_check(const struct audit_proof *p)
{
	if (p->len > AUDIT_MAX_PROOF)
		return -EBADMSG;
	if (p->consistency)
		return audit_consistency_verify(
		    p->index, p->size, p->old_root, p->root,
		    (const uint8_t(*)[32])p->hashes, p->len);
	return audit_inclusion_verify(p->index, p->size, p->leaf,
				      (const uint8_t(*)[32])p->hashes, p->len,
				      p->root);
}
