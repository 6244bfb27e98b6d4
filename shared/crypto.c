/* crypto: Ed25519 keys, their PEM files and signatures. Key files are
 * read and written here (PKCS#8 / SPKI of RFC 8410: a fixed DER prefix
 * around 32 raw bytes); the arithmetic is libsodium's, linked statically
 * into akios (no library to map or relocate at exec, no configuration).
 * Invariants: a private seed leaves the key only into a 0600 file or
 * libsodium; every buffer that held key material is wiped. */
#include "shared/common.h"
#include "shared/crypto.h"
#include "shared/fileio.h"
#include "shared/limits.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* sk and, for a private key, pub are derived from seed on first need
 * (crypto_key_prepare or the first signature); the key is logically
 * const, they are caches of its seed. One thread at a time. */
struct crypto_key {
	bool is_private;
	bool derived;	  /* sk and pub hold the seed's key pair */
	uint8_t seed[32]; /* private keys; wiped when freed */
	uint8_t pub[CRYPTO_ED25519_PUB_LEN];
	uint8_t sk[crypto_sign_SECRETKEYBYTES]; /* seed || pub; wiped */
};

static int key_new(bool is_private, const uint8_t raw[32],
		   struct crypto_key **out)
{
	struct crypto_key *key = calloc(1, sizeof(*key));

	if (!key)
		return -ENOMEM;
	key->is_private = is_private;
	memcpy(is_private ? key->seed : key->pub, raw, 32);
	*out = key;
	return 0;
}

/* The key pair from the seed, once (one scalar multiplication). No
 * sodium_init: it would probe the CPU (CPUID, a VM exit each, ~25 us on a
 * paravirtualised host: ~0.2 ms in all), stir randombytes, set up
 * sodium_malloc's guard pages and pick implementations for argon2,
 * BLAKE2b, Poly1305, X25519, ChaCha20 and Salsa20, none of which akios
 * uses. Ed25519 (keypair, sign, verify: SHA-512 and the ref10 group
 * arithmetic) has no runtime dispatch in libsodium 1.0.18, which akios
 * links statically, so its results do not depend on it; akios's own
 * randomness is getrandom (crypto_enc.c). test_crypto.c checks RFC 8032's
 * signature in a process that never initialised libsodium. */
static int derive(const struct crypto_key *ck)
{
	struct crypto_key *key = (struct crypto_key *)ck; /* caches */

	if (!key->is_private || key->derived)
		return 0;
	if (crypto_sign_seed_keypair(key->pub, key->sk, key->seed) != 0)
		return -EIO;
	key->derived = true;
	return 0;
}

int crypto_key_generate(struct crypto_key **out)
{
	uint8_t seed[32];
	int rc = crypto_random(seed, sizeof(seed));

	if (rc == 0)
		rc = key_new(true, seed, out);
	explicit_bzero(seed, sizeof(seed));
	return rc;
}

void crypto_key_free(struct crypto_key *key)
{
	if (!key)
		return;
	explicit_bzero(key, sizeof(*key));
	free(key);
}

bool crypto_key_is_private(const struct crypto_key *key)
{
	return key->is_private;
}

int crypto_key_prepare(struct crypto_key *key)
{
	return key->is_private ? derive(key) : -EINVAL;
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
		rc = key_new(shapes[i].priv, raw, out);
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

int crypto_key_public_raw(const struct crypto_key *key, uint8_t out[32])
{
	int rc = derive(key);

	if (rc == 0)
		memcpy(out, key->pub, CRYPTO_ED25519_PUB_LEN);
	return rc;
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
	return key_new(false, raw, out);
}

int crypto_key_sign(const struct crypto_key *key, const void *msg, size_t len,
		    uint8_t sig[64])
{
	int rc;

	if (!key->is_private)
		return -EINVAL;
	rc = derive(key);
	if (rc)
		return rc;
	if (crypto_sign_detached(sig, NULL, msg ? msg : (const void *)"", len,
				 key->sk) != 0)
		return -EIO;
	return 0;
}

/* libsodium's check is stricter than RFC 8032's minimum and OpenSSL's:
 * besides S < L it refuses a public key that is not canonically encoded
 * or has small order, and an R of small order. No signature made by an
 * honest signer (akios, OpenSSL, libsodium) is affected; a crafted one
 * that OpenSSL would accept may be refused here, never the reverse. */
int crypto_verify(const struct crypto_key *key, const void *msg, size_t len,
		  const uint8_t sig[64])
{
	int rc = derive(key);

	if (rc)
		return rc;
	return crypto_sign_verify_detached(sig, msg ? msg : (const void *)"",
					   len, key->pub) == 0
		   ? 0
		   : -EBADMSG;
}

const char *crypto_strerror(int rc)
{
	return strerror(rc < 0 ? -rc : rc);
}
