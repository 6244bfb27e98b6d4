/* Signed checkpoints in the C2SP tlog-checkpoint / signed-note text form:
 * "<origin>\n<size>\n<base64 root>\n" [extension lines], a blank line,
 * then "— <name> <base64(key id[4] || Ed25519 signature[64])>\n" lines.
 * The parser accepts a strict subset and names the line of any error;
 * it never reads past `len`. No syscalls. */
#include "shared/common.h"
#include "shared/audit/audit_int.h"
#include "shared/limits.h"

#include <errno.h>
#include <inttypes.h>

#define SIG_PREFIX     "\xe2\x80\x94 " /* U+2014 EM DASH, then a space */
#define SIG_PREFIX_LEN (sizeof(SIG_PREFIX) - 1)
#define SIG_BLOB_LEN   (4 + CRYPTO_ED25519_SIG_LEN)
#define ROOT_B64_LEN   44

int audit_origin(const char *log_id, char *out, size_t size)
{
	int n = snprintf(out, size, "akios.local/audit/%s", log_id);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

void audit_note_key_id(const char *name, const uint8_t pub[32], uint8_t out[4])
{
	struct crypto_sha256_ctx c;
	uint8_t h[CRYPTO_SHA256_LEN];
	const uint8_t sep[2] = {0x0a, 0x01}; // newline, then alg 1 = Ed25519

	crypto_sha256_init(&c);
	crypto_sha256_update(&c, name, strlen(name));
	crypto_sha256_update(&c, sep, sizeof(sep));
	crypto_sha256_update(&c, pub, CRYPTO_ED25519_PUB_LEN);
	crypto_sha256_final(&c, h);
	memcpy(out, h, 4);
}

int audit_checkpoint_body(const struct audit_checkpoint *cp,
			  struct akios_buf *out)
{
	char b64[ROOT_B64_LEN + 1];

	crypto_base64_encode(cp->root, AUDIT_HASH_LEN, b64);
	return akios_buf_appendf(out, "%s\n%" PRIu64 "\n%s\n", cp->origin,
				 cp->size, b64);
}

int audit_checkpoint_sign(const struct audit_checkpoint *cp,
			  const struct crypto_key *key, struct akios_buf *out)
{
	uint8_t blob[SIG_BLOB_LEN];
	uint8_t pub[CRYPTO_ED25519_PUB_LEN];
	char b64[4 * ((SIG_BLOB_LEN + 2) / 3) + 1];
	size_t body_at = out->len;
	int rc = audit_checkpoint_body(cp, out);

	if (!rc)
		rc = crypto_key_public_raw(key, pub);
	if (rc)
		return rc;
	audit_note_key_id(cp->origin, pub, blob);
	rc = crypto_key_sign(key, out->ptr + body_at, out->len - body_at,
			     blob + 4);
	if (rc)
		return rc;
	crypto_base64_encode(blob, sizeof(blob), b64);
	return akios_buf_appendf(out, "\n" SIG_PREFIX "%s %s\n", cp->origin,
				 b64);
}

/* A cursor over the text, one line at a time. */
struct lines {
	const char *p;
	size_t len, pos;
	unsigned line;
};

static bool next_line(struct lines *l, const char **s, size_t *n)
{
	const char *nl;

	l->line++; // a missing line is reported where it should have been
	if (l->pos >= l->len)
		return false;
	nl = memchr(l->p + l->pos, '\n', l->len - l->pos);
	if (!nl)
		return false;
	*s = l->p + l->pos;
	*n = (size_t)(nl - *s);
	l->pos += *n + 1;
	return true;
}

static int bad(struct akios_err *err, const struct lines *l, const char *why)
{
	akios_err_set(err, "checkpoint", l->line, 0, "%s", why);
	return -EBADMSG;
}

static bool printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] <= ' ' || s[i] > '~')
			return false;
	}
	return n > 0;
}

static int parse_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int parse_head(struct lines *l, struct audit_checkpoint *cp,
		      struct akios_err *err)
{
	const char *s;
	size_t n;
	uint8_t root[48];

	if (!next_line(l, &s, &n) || !printable(s, n) || n >= AUDIT_ORIGIN_MAX)
		return bad(err, l, "bad origin line");
	memcpy(cp->origin, s, n);
	cp->origin[n] = '\0';
	if (!next_line(l, &s, &n) || parse_u64(s, n, &cp->size))
		return bad(err, l, "bad tree size line");
	if (!next_line(l, &s, &n) || n != ROOT_B64_LEN ||
	    crypto_base64_decode(s, n, root, sizeof(root)) != AUDIT_HASH_LEN)
		return bad(err, l, "bad root hash line");
	memcpy(cp->root, root, AUDIT_HASH_LEN);
	// Extension lines (signed, ignored) up to the blank separator.
	for (;;) {
		if (!next_line(l, &s, &n))
			return bad(err, l,
				   "missing blank line before "
				   "signatures");
		if (n == 0)
			return 0;
		if (!printable(s, 1))
			return bad(err, l, "bad extension line");
	}
}

struct sig_line {
	const char *name;
	size_t name_len;
	uint8_t blob[SIG_BLOB_LEN];
};

static int parse_sig(struct lines *l, const char *s, size_t n,
		     struct sig_line *sig, struct akios_err *err)
{
	const char *sp;
	uint8_t blob[96];
	long got;

	if (n < SIG_PREFIX_LEN || memcmp(s, SIG_PREFIX, SIG_PREFIX_LEN) != 0)
		return bad(err, l, "signature line must start with '— '");
	s += SIG_PREFIX_LEN;
	n -= SIG_PREFIX_LEN;
	sp = memchr(s, ' ', n);
	if (!sp || !printable(s, (size_t)(sp - s)))
		return bad(err, l, "bad signature key name");
	sig->name = s;
	sig->name_len = (size_t)(sp - s);
	s = sp + 1;
	n -= sig->name_len + 1;
	if (n > 4 * ((sizeof(blob) + 2) / 3))
		return bad(err, l, "signature too long");
	got = crypto_base64_decode(s, n, blob, sizeof(blob));
	if (got < 5)
		return bad(err, l, "bad signature encoding");
	if (got != SIG_BLOB_LEN) // another algorithm: keep, never matches
		memset(sig->blob, 0, sizeof(sig->blob));
	else
		memcpy(sig->blob, blob, SIG_BLOB_LEN);
	return 0;
}

static int check_sigs(struct lines *l, size_t body_len,
		      const struct crypto_key *pub,
		      const struct audit_checkpoint *cp, struct akios_err *err)
{
	uint8_t raw[CRYPTO_ED25519_PUB_LEN];
	uint8_t id[4];
	const char *s;
	size_t n;
	unsigned count = 0;
	int found = -ENOKEY;
	char hex[9];

	if (pub && crypto_key_public_raw(pub, raw))
		return akios_err_set(err, "checkpoint", 0, 0, "bad public key");
	if (pub)
		audit_note_key_id(cp->origin, raw, id);
	while (next_line(l, &s, &n)) {
		struct sig_line sig;
		int rc = parse_sig(l, s, n, &sig, err);

		if (rc)
			return rc;
		if (++count > AUDIT_MAX_SIGS)
			return bad(err, l, "too many signatures");
		if (!pub || sig.name_len != strlen(cp->origin) ||
		    memcmp(sig.name, cp->origin, sig.name_len) != 0 ||
		    memcmp(sig.blob, id, 4) != 0)
			continue;
		rc = crypto_verify(pub, l->p, body_len, sig.blob + 4);
		if (rc && rc != -EBADMSG) // not checked is not valid
			return akios_err_set(err, "checkpoint", 0, 0,
					     "cannot check the signature: %s",
					     crypto_strerror(rc));
		if (rc == 0)
			found = 0;
		else if (found)
			found = -EBADMSG;
	}
	if (l->pos != l->len)
		return bad(err, l, "text after the last newline");
	if (count == 0)
		return bad(err, l, "no signature lines");
	if (!pub || !found)
		return 0;
	crypto_hex_encode(id, 4, hex);
	if (found == -EBADMSG)
		return akios_err_set(err, "checkpoint", 0, 0,
				     "signature by key %s does not verify "
				     "(forged or altered)",
				     hex);
	return akios_err_set(err, "checkpoint", 0, 0,
			     "no signature by the trusted key (key id %s); "
			     "signed with another key?",
			     hex);
}

int audit_checkpoint_verify(const char *text, size_t len,
			    const struct crypto_key *pub,
			    struct audit_checkpoint *cp, struct akios_err *err)
{
	struct lines l = {.p = text, .len = len};
	size_t body_len;
	int rc;

	if (len > AKIOS_MAX_CHECKPOINT_BYTES)
		return akios_err_set(err, "checkpoint", 0, 0, "too large");
	rc = parse_head(&l, cp, err);
	if (rc)
		return rc;
	body_len = l.pos - 1; // the body ends before the blank line
	rc = check_sigs(&l, body_len, pub, cp, err);
	return rc ? -EBADMSG : 0;
}
