/* crypto: SHA-256, HMAC, Ed25519 and encodings on top of OpenSSL 3.
 * Invariants: private key bytes never leave OpenSSL except into a 0600
 * file; every buffer that held key material is wiped before it is freed. */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_CTX: in-place, no malloc */
#include "shared/common.h"
#include "shared/crypto.h"
#include "shared/fileio.h"
#include "shared/limits.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/crypto.h>
#include <sys/random.h>

_Static_assert(sizeof(SHA256_CTX) <= sizeof(struct crypto_sha256_ctx),
	       "crypto_sha256_ctx too small for SHA256_CTX");

/* A private key read from akios's own file keeps its seed and makes the
 * EVP_PKEY on first use (pkey_of): building it (provider fetch, the
 * public point) is the slowest part of akios run's start, and the audit
 * log needs it only to sign its checkpoint at the end. A key is used by
 * one thread at a time. */
struct crypto_key {
	EVP_PKEY *pkey; /* NULL until first needed when have_seed */
	bool is_private;
	bool have_seed;
	uint8_t seed[32];     /* wiped when the key is freed */
	EVP_MD_CTX *sign_ctx; /* crypto_key_prepare: one signature, ready */
};

/* The EVP_PKEY, made from the seed on first use. The key is logically
 * const: pkey is a cache of the seed. */
static EVP_PKEY *pkey_of(const struct crypto_key *ck)
{
	struct crypto_key *key = (struct crypto_key *)ck;

	if (!key->pkey && key->have_seed)
		key->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
							 key->seed, 32);
	return key->pkey;
}

/* Not SHA256(): OpenSSL 3's one-shot goes through EVP_Q_digest, which
 * fetches the algorithm from a provider and so initialises the whole
 * library (config file included) for a hash of a few bytes. */
void crypto_sha256(const void *data, size_t len, uint8_t out[32])
{
	SHA256_CTX c;

	SHA256_Init(&c);
	SHA256_Update(&c, data, len);
	SHA256_Final(out, &c);
	explicit_bzero(&c, sizeof(c));
}

int crypto_init_lean(void)
{
	/* Also no error strings (akios maps failures to errno values) and
	 * no legacy cipher/digest name tables: providers fetch by their own
	 * names, and building those tables is most of OpenSSL's first use. */
	uint64_t flags = OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT |
			 OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS |
			 OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
			 OPENSSL_INIT_NO_ADD_ALL_DIGESTS;

	return OPENSSL_init_crypto(flags, NULL) == 1 ? 0 : -EIO;
}

void crypto_sha256_init(struct crypto_sha256_ctx *ctx)
{
	SHA256_Init((SHA256_CTX *)(void *)ctx);
}

void crypto_sha256_update(struct crypto_sha256_ctx *ctx, const void *data,
			  size_t len)
{
	SHA256_Update((SHA256_CTX *)(void *)ctx, data, len);
}

void crypto_sha256_final(struct crypto_sha256_ctx *ctx, uint8_t out[32])
{
	SHA256_Final(out, (SHA256_CTX *)(void *)ctx);
	explicit_bzero(ctx, sizeof(*ctx));
}

void crypto_hmac_sha256(const void *key, size_t key_len, const void *data,
			size_t len, uint8_t out[32])
{
	unsigned out_len = 32;

	HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &out_len);
}

int crypto_random(void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n > 0) {
		ssize_t got = getrandom(p, n, 0);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

static int key_wrap(EVP_PKEY *pkey, bool is_private, struct crypto_key **out)
{
	struct crypto_key *key;

	if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(pkey);
		return -EINVAL;
	}
	key = calloc(1, sizeof(*key));
	if (!key) {
		EVP_PKEY_free(pkey);
		return -ENOMEM;
	}
	key->pkey = pkey;
	key->is_private = is_private;
	*out = key;
	return 0;
}

int crypto_key_generate(struct crypto_key **out)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

	if (!pkey)
		return -EIO;
	return key_wrap(pkey, true, out);
}

void crypto_key_free(struct crypto_key *key)
{
	if (!key)
		return;
	EVP_MD_CTX_free(key->sign_ctx);
	EVP_PKEY_free(key->pkey);
	explicit_bzero(key->seed, sizeof(key->seed));
	free(key);
}

bool crypto_key_is_private(const struct crypto_key *key)
{
	return key->is_private;
}

static int pem_of(const struct crypto_key *key, bool priv, char **pem,
		  size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	long n;
	int ok;

	if (!bio)
		return -ENOMEM;
	if (priv)
		ok = PEM_write_bio_PrivateKey(bio, pkey_of(key), NULL, NULL, 0,
					      NULL, NULL);
	else
		ok = PEM_write_bio_PUBKEY(bio, pkey_of(key));
	n = ok ? BIO_get_mem_data(bio, &data) : -1;
	if (n <= 0) {
		BIO_free(bio);
		return -EIO;
	}
	*pem = malloc((size_t)n);
	if (*pem) {
		memcpy(*pem, data, (size_t)n);
		*len = (size_t)n;
	}
	explicit_bzero(data, (size_t)n);
	BIO_free(bio);
	return *pem ? 0 : -ENOMEM;
}

static int save_pem(const struct crypto_key *key, bool priv, const char *path,
		    bool force, struct akios_err *err)
{
	char *pem = NULL;
	size_t len = 0;
	int rc = pem_of(key, priv, &pem, &len);

	if (rc)
		return akios_err_set(err, path, 0, 0, "cannot encode key: %s",
				     strerror(-rc));
	rc = fileio_write_atomic(path, pem, len, priv ? 0600 : 0644,
				 force ? FILEIO_REPLACE : 0, err);
	explicit_bzero(pem, len);
	free(pem);
	return rc;
}

int crypto_key_save(const struct crypto_key *key, const char *priv_path,
		    const char *pub_path, bool force, struct akios_err *err)
{
	int rc;

	if (!key->is_private)
		return akios_err_set(err, priv_path, 0, 0, "not a private key");
	rc = save_pem(key, true, priv_path, force, err);
	if (rc)
		return rc;
	return save_pem(key, false, pub_path, force, err);
}

/* RFC 8410's DER for Ed25519, as OpenSSL writes it: a PKCS#8 v1 private
 * key and a SubjectPublicKeyInfo are each a fixed prefix + 32 raw bytes. */
static const uint8_t der_priv[16] = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30,
				     0x05, 0x06, 0x03, 0x2b, 0x65, 0x70,
				     0x04, 0x22, 0x04, 0x20};
static const uint8_t der_pub[12] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
				    0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

struct pem_shape {
	const char *begin, *end;
	const uint8_t *prefix;
	size_t prefix_len;
	bool priv;
};

static const struct pem_shape shapes[] = {
    {"-----BEGIN PRIVATE KEY-----\n", "\n-----END PRIVATE KEY-----\n", der_priv,
     sizeof(der_priv), true},
    {"-----BEGIN PUBLIC KEY-----\n", "\n-----END PUBLIC KEY-----\n", der_pub,
     sizeof(der_pub), false},
};

/* The 32 raw bytes of pem in that shape: 0, or -ENOENT. */
static int raw_of(const struct pem_shape *sh, const char *pem, size_t len,
		  uint8_t raw[32])
{
	size_t nb = strlen(sh->begin);
	size_t ne = strlen(sh->end);
	uint8_t der[48];
	int rc = -ENOENT;
	long n;

	if (len <= nb + ne || memcmp(pem, sh->begin, nb) != 0 ||
	    memcmp(pem + len - ne, sh->end, ne) != 0)
		return rc;
	n = crypto_base64_decode(pem + nb, len - nb - ne, der, sizeof(der));
	if (n == (long)(sh->prefix_len + 32) &&
	    memcmp(der, sh->prefix, sh->prefix_len) == 0) {
		memcpy(raw, der + sh->prefix_len, 32);
		rc = 0;
	}
	explicit_bzero(der, sizeof(der));
	return rc;
}

static int key_of_seed(const uint8_t seed[32], struct crypto_key **out)
{
	struct crypto_key *key = calloc(1, sizeof(*key));

	if (!key)
		return -ENOMEM;
	memcpy(key->seed, seed, 32);
	key->have_seed = true;
	key->is_private = true;
	*out = key;
	return 0;
}

/* The key files akios writes take a direct path: base64, a fixed DER
 * prefix and the raw key (OpenSSL's generic decoder tries every
 * decoder it has, milliseconds on the start of every run). Any other
 * layout (wrapped, CRLF, other algorithm, attributes) falls back to
 * OpenSSL's PEM reader below, which decides. */
static int key_from_raw_pem(const char *pem, size_t len,
			    struct crypto_key **out)
{
	uint8_t raw[32];
	int rc = -ENOENT;

	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(shapes) && rc == -ENOENT; i++) {
		EVP_PKEY *pkey;

		if (raw_of(&shapes[i], pem, len, raw) != 0)
			continue;
		if (shapes[i].priv) {
			rc = key_of_seed(raw, out);
			break;
		}
		pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw,
						   32);
		rc = pkey ? key_wrap(pkey, false, out) : -EINVAL;
	}
	explicit_bzero(raw, sizeof(raw));
	return rc;
}

int crypto_key_from_pem(const void *pem, size_t len, struct crypto_key **out)
{
	BIO *bio;
	EVP_PKEY *pkey;
	bool priv = true;

	if (len > AKIOS_MAX_KEY_BYTES)
		return -E2BIG;
	if (key_from_raw_pem(pem, len, out) == 0)
		return 0;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return -ENOMEM;
	pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	if (!pkey) {
		priv = false;
		(void)BIO_reset(bio);
		pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	}
	BIO_free(bio);
	if (!pkey)
		return -EINVAL;
	return key_wrap(pkey, priv, out);
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
	rc = crypto_key_from_pem(pem.ptr, pem.len, out);
	explicit_bzero(pem.ptr, pem.len);
	akios_buf_free(&pem);
	if (rc == -EINVAL)
		return akios_err_set(err, path, 0, 0, "not a PEM Ed25519 key");
	if (rc)
		return akios_err_set(err, path, 0, 0, "cannot load key: %s",
				     strerror(-rc));
	return 0;
}

int crypto_key_public_raw(const struct crypto_key *key, uint8_t out[32])
{
	size_t len = CRYPTO_ED25519_PUB_LEN;

	EVP_PKEY *pkey = pkey_of(key);

	if (!pkey || EVP_PKEY_get_raw_public_key(pkey, out, &len) != 1 ||
	    len != CRYPTO_ED25519_PUB_LEN)
		return -EIO;
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
	EVP_PKEY *pkey =
	    EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, 32);

	if (!pkey)
		return -EINVAL;
	return key_wrap(pkey, false, out);
}

/* A context initialised for one Ed25519 signature, or NULL. */
static EVP_MD_CTX *sign_ctx_new(const struct crypto_key *key)
{
	EVP_PKEY *pkey = pkey_of(key);
	EVP_MD_CTX *ctx = pkey ? EVP_MD_CTX_new() : NULL;

	if (ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, pkey) != 1) {
		EVP_MD_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

int crypto_key_prepare(struct crypto_key *key)
{
	if (!key->is_private)
		return -EINVAL;
	if (!key->sign_ctx)
		key->sign_ctx = sign_ctx_new(key);
	return key->sign_ctx ? 0 : -EIO;
}

int crypto_sign(const struct crypto_key *ck, const void *msg, size_t len,
		uint8_t sig[64])
{
	struct crypto_key *key = (struct crypto_key *)ck; /* sign_ctx */
	EVP_MD_CTX *ctx;
	size_t sig_len = CRYPTO_ED25519_SIG_LEN;
	int ok;

	if (!key->is_private)
		return -EINVAL;
	/* A prepared context serves one signature (Ed25519 is one-shot). */
	ctx = key->sign_ctx ? key->sign_ctx : sign_ctx_new(key);
	key->sign_ctx = NULL;
	if (!ctx)
		return -EIO;
	ok = EVP_DigestSign(ctx, sig, &sig_len, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok && sig_len == CRYPTO_ED25519_SIG_LEN ? 0 : -EIO;
}

int crypto_verify(const struct crypto_key *key, const void *msg, size_t len,
		  const uint8_t sig[64])
{
	EVP_PKEY *pkey = pkey_of(key);
	EVP_MD_CTX *ctx = pkey ? EVP_MD_CTX_new() : NULL;
	int ok;

	if (!ctx)
		return pkey ? -ENOMEM : -EIO;
	ok = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1 &&
	     EVP_DigestVerify(ctx, sig, CRYPTO_ED25519_SIG_LEN, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -EBADMSG;
}

void crypto_hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int crypto_hex_decode(const char *in, size_t in_len, uint8_t *out,
		      size_t out_len)
{
	if (in_len != 2 * out_len)
		return -EINVAL;
	for (size_t i = 0; i < out_len; i++) {
		int hi = hex_value(in[2 * i]);
		int lo = hex_value(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

size_t crypto_base64_encode(const uint8_t *in, size_t len, char *out)
{
	return (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

long crypto_base64_decode(const char *in, size_t in_len, uint8_t *out,
			  size_t out_size)
{
	size_t pad = 0;
	int n;

	if (in_len == 0)
		return 0;
	if (in_len % 4 || in_len > (size_t)1 << 30 || out_size < in_len / 4 * 3)
		return -EINVAL;
	for (size_t i = 0; i < in_len; i++) {
		char c = in[i];
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			  (c >= '0' && c <= '9') || c == '+' || c == '/';

		if (c == '=' && i >= in_len - 2) {
			pad++;
			continue;
		}
		if (!ok || pad)
			return -EINVAL;
	}
	n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)in_len);
	if (n < 0)
		return -EINVAL;
	return (long)((size_t)n - pad);
}
