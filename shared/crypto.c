/* crypto: Ed25519 keys, their PEM files and signatures. Key files are
 * read and written here (PKCS#8 / SPKI of RFC 8410: a fixed DER prefix
 * around 32 raw bytes); the arithmetic is libcrypto's, reached through a
 * crypto_ossl handle opened on the key's first need (or its preload's).
 * Invariants: a private seed leaves the key only into a 0600 file or
 * libcrypto; every buffer that held key material is wiped. */
#include "shared/common.h"
#include "shared/crypto.h"
#include "shared/crypto_int.h"
#include "shared/fileio.h"
#include "shared/limits.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A key is used by one thread at a time: a key bound to a preload may be
 * prepared by its thread, so pkey and sign_ctx are read only after
 * ossl_of (which joins it). They are caches of seed / pub, made on first
 * need. */
struct crypto_key {
	bool is_private;
	bool have_pub;
	uint8_t seed[32]; /* private keys; wiped when freed */
	uint8_t pub[CRYPTO_ED25519_PUB_LEN];
	struct crypto_preload *preload; /* borrowed, or NULL */
	struct crypto_ossl own;		/* when not bound to a preload */
	const struct crypto_ossl *ossl; /* own or the preload's, once open */
	EVP_PKEY *pkey;
	EVP_MD_CTX *sign_ctx; /* crypto_key_prepare: one signature, ready */
};

/* The libcrypto calls, loading them on first need. block: may wait for
 * the preload. 0, -EAGAIN, -ELIBACC. */
static int ossl_of(struct crypto_key *key, bool block)
{
	int rc;

	if (key->ossl)
		return 0;
	if (key->preload) {
		const struct crypto_ossl *o = NULL;

		rc = crypto_preload_ossl(key->preload, block, &o);
		if (rc == 0)
			key->ossl = o;
		return rc;
	}
	rc = crypto_ossl_open(&key->own, false, NULL, 0);
	if (rc == 0)
		key->ossl = &key->own;
	return rc;
}

/* The EVP_PKEY, made on first use. The key is logically const: these
 * are caches of its bytes. 0, -EAGAIN, -ELIBACC, -EIO. */
static int pkey_of(const struct crypto_key *ck, bool block)
{
	struct crypto_key *key = (struct crypto_key *)ck;
	int rc = ossl_of(key, block);

	if (rc || key->pkey)
		return rc;
	if (key->is_private)
		key->pkey = key->ossl->new_raw_private(EVP_PKEY_ED25519, NULL,
						       key->seed, 32);
	else
		key->pkey = key->ossl->new_raw_public(EVP_PKEY_ED25519, NULL,
						      key->pub, 32);
	return key->pkey ? 0 : -EIO;
}

static struct crypto_key *key_new(bool is_private, const uint8_t raw[32])
{
	struct crypto_key *key = calloc(1, sizeof(*key));

	if (!key)
		return NULL;
	key->is_private = is_private;
	key->have_pub = !is_private;
	memcpy(is_private ? key->seed : key->pub, raw, 32);
	return key;
}

int crypto_key_generate(struct crypto_key **out)
{
	uint8_t seed[32];
	int rc = crypto_random(seed, sizeof(seed));

	if (rc == 0) {
		*out = key_new(true, seed);
		rc = *out ? 0 : -ENOMEM;
	}
	explicit_bzero(seed, sizeof(seed));
	return rc;
}

void crypto_key_free(struct crypto_key *key)
{
	if (!key)
		return;
	if (key->preload)
		(void)!ossl_of(key, true); /* its thread may hold the key */
	if (key->ossl) {
		key->ossl->md_free(key->sign_ctx);
		key->ossl->pkey_free(key->pkey);
	}
	crypto_ossl_close(&key->own);
	explicit_bzero(key->seed, sizeof(key->seed));
	free(key);
}

bool crypto_key_is_private(const struct crypto_key *key)
{
	return key->is_private;
}

void crypto_key_bind(struct crypto_key *key, struct crypto_preload *p)
{
	if (key->ossl || key->preload)
		return;
	key->preload = p;
	if (key->is_private)
		crypto_preload_offer(p, key);
}

int crypto_key_prepare_with(struct crypto_key *key, const struct crypto_ossl *o)
{
	key->pkey = o->new_raw_private(EVP_PKEY_ED25519, NULL, key->seed, 32);
	key->sign_ctx = key->pkey ? o->md_new() : NULL;
	if (key->sign_ctx &&
	    o->sign_init(key->sign_ctx, NULL, NULL, NULL, key->pkey) != 1) {
		o->md_free(key->sign_ctx);
		key->sign_ctx = NULL;
	}
	return key->sign_ctx ? 0 : -EIO;
}

/* RFC 8410's DER for Ed25519, as OpenSSL writes it: a PKCS#8 v1 private
 * key and a SubjectPublicKeyInfo are each a fixed prefix + 32 raw bytes. */
static const uint8_t der_priv[16] = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30,
				     0x05, 0x06, 0x03, 0x2b, 0x65, 0x70,
				     0x04, 0x22, 0x04, 0x20};
static const uint8_t der_pub[12] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
				    0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

struct pem_shape {
	const char *label;
	const uint8_t *prefix;
	size_t prefix_len;
	bool priv;
};

static const struct pem_shape shapes[] = {
    {"PRIVATE KEY", der_priv, sizeof(der_priv), true},
    {"PUBLIC KEY", der_pub, sizeof(der_pub), false},
};

#define PEM_DER_MAX 48 /* the longer DER: 16 + 32 */
#define PEM_B64_MAX (4 * ((PEM_DER_MAX + 2) / 3))

/* The PEM text OpenSSL writes (base64 in lines of 64): the DER of both
 * shapes fits one line, so a file is three lines. */
static int pem_write(const struct pem_shape *sh, const uint8_t raw[32],
		     struct akios_buf *out)
{
	uint8_t der[PEM_DER_MAX];
	char text[PEM_B64_MAX + 1];
	int rc;

	memcpy(der, sh->prefix, sh->prefix_len);
	memcpy(der + sh->prefix_len, raw, 32);
	crypto_base64_encode(der, sh->prefix_len + 32, text);
	rc =
	    akios_buf_appendf(out, "-----BEGIN %s-----\n%s\n-----END %s-----\n",
			      sh->label, text, sh->label);
	explicit_bzero(der, sizeof(der));
	explicit_bzero(text, sizeof(text));
	return rc;
}

/* Skips "-----<word> <label>-----" then a line end (LF or CRLF, or the
 * end of the text); NULL when absent. */
static const char *marker(const char *p, const char *end, const char *word,
			  const char *label)
{
	char m[64];
	int n = snprintf(m, sizeof(m), "-----%s %s-----", word, label);

	if (n < 0 || (size_t)n >= sizeof(m) || end - p < n ||
	    memcmp(p, m, (size_t)n) != 0)
		return NULL;
	p += n;
	if (p == end)
		return p;
	if (*p == '\r')
		p++;
	if (p < end && *p == '\n')
		return p + 1;
	return NULL;
}

/* The base64 of a PEM body, its line ends dropped; the end marker must
 * close the text. Returns its length or -1. */
static long pem_body(const struct pem_shape *sh, const char *p, const char *end,
		     char *b64, size_t size)
{
	size_t n = 0;

	while (p < end && *p != '-') {
		if (*p == '\r' || *p == '\n') {
			p++;
			continue;
		}
		if (n == size)
			return -1;
		b64[n++] = *p++;
	}
	if (marker(p, end, "END", sh->label) != end)
		return -1;
	return (long)n;
}

/* The 32 raw bytes of pem in that shape: 0, or -ENOENT. */
static int raw_of(const struct pem_shape *sh, const char *pem, size_t len,
		  uint8_t raw[32])
{
	const char *end = pem + len;
	const char *p = marker(pem, end, "BEGIN", sh->label);
	char text[PEM_B64_MAX];
	uint8_t der[PEM_DER_MAX] = {0};
	long n = p ? pem_body(sh, p, end, text, sizeof(text)) : -1;
	int rc = -ENOENT;

	if (n > 0)
		n = crypto_base64_decode(text, (size_t)n, der, sizeof(der));
	if (n == (long)(sh->prefix_len + 32) &&
	    memcmp(der, sh->prefix, sh->prefix_len) == 0) {
		memcpy(raw, der + sh->prefix_len, 32);
		rc = 0;
	}
	explicit_bzero(text, sizeof(text));
	explicit_bzero(der, sizeof(der));
	return rc;
}

int crypto_key_from_pem(const void *pem, size_t len, struct crypto_key **out)
{
	uint8_t raw[32];
	int rc = -EINVAL;

	if (len > AKIOS_MAX_KEY_BYTES)
		return -E2BIG;
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(shapes); i++) {
		if (raw_of(&shapes[i], pem, len, raw) != 0)
			continue;
		*out = key_new(shapes[i].priv, raw);
		rc = *out ? 0 : -ENOMEM;
		break;
	}
	explicit_bzero(raw, sizeof(raw));
	return rc;
}

int crypto_key_load(const char *path, struct crypto_key **out,
		    struct akios_err *err)
{
	struct akios_buf pem;
	int rc;

	akios_buf_init(&pem, AKIOS_MAX_KEY_BYTES);
	rc = fileio_read_all(path, &pem, err);
	if (rc)
		return rc;
	rc = crypto_key_from_pem(pem.ptr ? pem.ptr : "", pem.len, out);
	explicit_bzero(pem.ptr, pem.len);
	akios_buf_free(&pem);
	if (rc == -EINVAL)
		return akios_err_set(err, path, 0, 0,
				     "not a PEM Ed25519 key (PKCS#8 v1 or "
				     "SubjectPublicKeyInfo, RFC 8410)");
	if (rc)
		return akios_err_set(err, path, 0, 0, "cannot load key: %s",
				     strerror(-rc));
	return 0;
}

static int save_pem(const struct crypto_key *key, bool priv, const char *path,
		    bool force, struct akios_err *err)
{
	struct akios_buf pem;
	int rc;

	akios_buf_init(&pem, AKIOS_MAX_KEY_BYTES);
	rc =
	    pem_write(&shapes[priv ? 0 : 1], priv ? key->seed : key->pub, &pem);
	if (rc == 0)
		rc = fileio_write_atomic(path, pem.ptr, pem.len,
					 priv ? 0600 : 0644,
					 force ? FILEIO_REPLACE : 0, err);
	else
		akios_err_set(err, path, 0, 0, "cannot encode key: %s",
			      strerror(-rc));
	explicit_bzero(pem.ptr, pem.len);
	akios_buf_free(&pem);
	return rc;
}

int crypto_key_save(const struct crypto_key *key, const char *priv_path,
		    const char *pub_path, bool force, struct akios_err *err)
{
	uint8_t pub[CRYPTO_ED25519_PUB_LEN];
	int rc;

	if (!key->is_private)
		return akios_err_set(err, priv_path, 0, 0, "not a private key");
	rc = crypto_key_public_raw(key, pub); /* before any file is made */
	if (rc)
		return akios_err_set(err, pub_path, 0, 0,
				     "cannot derive the public key: %s",
				     crypto_strerror(rc));
	rc = save_pem(key, true, priv_path, force, err);
	if (rc)
		return rc;
	return save_pem(key, false, pub_path, force, err);
}

int crypto_key_public_raw(const struct crypto_key *ck, uint8_t out[32])
{
	struct crypto_key *key = (struct crypto_key *)ck; /* pub cache */
	size_t len = CRYPTO_ED25519_PUB_LEN;
	int rc;

	if (!key->have_pub) {
		rc = pkey_of(key, true);
		if (rc)
			return rc;
		if (key->ossl->get_raw_public(key->pkey, key->pub, &len) != 1 ||
		    len != CRYPTO_ED25519_PUB_LEN)
			return -EIO;
		key->have_pub = true;
	}
	memcpy(out, key->pub, CRYPTO_ED25519_PUB_LEN);
	return 0;
}

int crypto_key_id(const struct crypto_key *key, uint8_t out[8])
{
	uint8_t raw[CRYPTO_ED25519_PUB_LEN];
	uint8_t digest[CRYPTO_SHA256_LEN];
	int rc = crypto_key_public_raw(key, raw);

	if (rc)
		return rc;
	crypto_sha256(raw, sizeof(raw), digest);
	memcpy(out, digest, CRYPTO_KEY_ID_LEN);
	return 0;
}

int crypto_key_from_raw_public(const uint8_t raw[32], struct crypto_key **out)
{
	*out = key_new(false, raw);
	return *out ? 0 : -ENOMEM;
}

/* A context initialised for one Ed25519 signature. */
static int sign_ctx_new(struct crypto_key *key, bool block, EVP_MD_CTX **out)
{
	int rc = pkey_of(key, block);
	EVP_MD_CTX *ctx = rc ? NULL : key->ossl->md_new();

	if (rc)
		return rc;
	if (ctx &&
	    key->ossl->sign_init(ctx, NULL, NULL, NULL, key->pkey) != 1) {
		key->ossl->md_free(ctx);
		ctx = NULL;
	}
	*out = ctx;
	return ctx ? 0 : -EIO;
}

int crypto_key_prepare(struct crypto_key *key)
{
	int rc;

	if (!key->is_private)
		return -EINVAL;
	rc = ossl_of(key, false);
	if (rc || key->sign_ctx)
		return rc;
	return sign_ctx_new(key, false, &key->sign_ctx);
}

int crypto_sign(const struct crypto_key *ck, const void *msg, size_t len,
		uint8_t sig[64])
{
	struct crypto_key *key = (struct crypto_key *)ck; /* sign_ctx */
	EVP_MD_CTX *ctx;
	size_t sig_len = CRYPTO_ED25519_SIG_LEN;
	int rc;

	if (!key->is_private)
		return -EINVAL;
	rc = ossl_of(key, true);
	if (rc)
		return rc;
	/* A prepared context serves one signature (Ed25519 is one-shot). */
	ctx = key->sign_ctx;
	key->sign_ctx = NULL;
	if (!ctx)
		rc = sign_ctx_new(key, true, &ctx);
	if (rc)
		return rc;
	if (key->ossl->sign(ctx, sig, &sig_len, msg ? msg : (const void *)"",
			    len) != 1 ||
	    sig_len != CRYPTO_ED25519_SIG_LEN)
		rc = -EIO;
	key->ossl->md_free(ctx);
	return rc;
}

int crypto_verify(const struct crypto_key *ck, const void *msg, size_t len,
		  const uint8_t sig[64])
{
	struct crypto_key *key = (struct crypto_key *)ck; /* pkey cache */
	int rc = pkey_of(key, true);
	EVP_MD_CTX *ctx = rc ? NULL : key->ossl->md_new();
	int ok;

	if (rc)
		return rc;
	if (!ctx)
		return -ENOMEM;
	ok = key->ossl->verify_init(ctx, NULL, NULL, NULL, key->pkey) == 1 &&
	     key->ossl->verify(ctx, sig, CRYPTO_ED25519_SIG_LEN,
			       msg ? msg : (const void *)"", len) == 1;
	key->ossl->md_free(ctx);
	return ok ? 0 : -EBADMSG;
}
