/* Hashing, Ed25519 keys and signatures, hex and base64, over OpenSSL.
 * The only module that includes OpenSSL headers; the rest of akios sees
 * fixed-size byte arrays and an opaque key handle. */
#ifndef AKIOS_CRYPTO_H
#define AKIOS_CRYPTO_H

#include "shared/common.h"
#include "shared/err.h"

#include <stdbool.h>
#include <stdint.h>

#define CRYPTO_SHA256_LEN      32
#define CRYPTO_ED25519_PUB_LEN 32
#define CRYPTO_ED25519_SIG_LEN 64
#define CRYPTO_KEY_ID_LEN      8 /* first 8 bytes of SHA-256(raw public key) */

struct crypto_key; /* opaque: a private or public Ed25519 key */

/* Initialises OpenSSL without reading openssl.cnf, without an exit-time
 * cleanup (the process is about to end; the kernel frees), without
 * error strings and without the legacy name tables of every cipher.
 * For commands that use this module and no TLS (akios run): the system
 * config only tunes TLS and provider choice, and akios's Ed25519 and
 * SHA-256 come from the built-in default provider either way. Call it
 * before any other function here; afterwards it is a no-op. 0 or -EIO. */
int crypto_init_lean(void) AKIOS_NODISCARD;

void crypto_sha256(const void *data, size_t len,
		   uint8_t out[CRYPTO_SHA256_LEN]);

/* Incremental SHA-256. The ctx is in-place; no allocation. */
struct crypto_sha256_ctx {
	uint64_t opaque[16]; /* big enough for OpenSSL's SHA256_CTX */
};
void crypto_sha256_init(struct crypto_sha256_ctx *ctx) AKIOS_NONNULL(1);
void crypto_sha256_update(struct crypto_sha256_ctx *ctx, const void *data,
			  size_t len) AKIOS_NONNULL(1);
void crypto_sha256_final(struct crypto_sha256_ctx *ctx,
			 uint8_t out[CRYPTO_SHA256_LEN]) AKIOS_NONNULL(1, 2);

/* HMAC-SHA-256 (for keyed PII hashes). */
void crypto_hmac_sha256(const void *key, size_t key_len, const void *data,
			size_t len, uint8_t out[CRYPTO_SHA256_LEN]);

/* Fills buf with n bytes from the kernel CSPRNG. Returns 0 or -errno. */
int crypto_random(void *buf, size_t n) AKIOS_NODISCARD;

/* New private key. Caller frees with crypto_key_free. */
int crypto_key_generate(struct crypto_key **out) AKIOS_NODISCARD;
void crypto_key_free(struct crypto_key *key);
bool crypto_key_is_private(const struct crypto_key *key) AKIOS_NONNULL(1);

/* Writes the private key (PKCS#8 PEM, mode 0600) and public key (SPKI
 * PEM, 0644). Refuses to replace an existing file unless force; never
 * follows a symlink at either path. */
int crypto_key_save(const struct crypto_key *key, const char *priv_path,
		    const char *pub_path, bool force, struct akios_err *err)
    AKIOS_NONNULL(1, 2, 3) AKIOS_NODISCARD;

/* Loads a PEM key file (private or public); the file must hold an Ed25519
 * key. *out is set only on success. */
int crypto_key_load(const char *path, struct crypto_key **out,
		    struct akios_err *err) AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;

/* Parses a PEM key already in memory (private or public). */
int crypto_key_from_pem(const void *pem, size_t len, struct crypto_key **out)
    AKIOS_NONNULL(1, 3) AKIOS_NODISCARD;

/* The raw 32-byte public key and its id. */
int crypto_key_public_raw(const struct crypto_key *key,
			  uint8_t out[CRYPTO_ED25519_PUB_LEN])
    AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;
int crypto_key_id(const struct crypto_key *key, uint8_t out[CRYPTO_KEY_ID_LEN])
    AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;

/* A public key from its raw 32 bytes. */
int crypto_key_from_raw_public(const uint8_t raw[CRYPTO_ED25519_PUB_LEN],
			       struct crypto_key **out)
    AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;

/* Does now the slow part of the next crypto_sign (for a key read from
 * akios's own file, building the key itself; for any key, the signing
 * context), so a caller can run it while it would otherwise wait. 0,
 * -EINVAL for a public key, -EIO. */
int crypto_key_prepare(struct crypto_key *key) AKIOS_NONNULL(1) AKIOS_NODISCARD;

int crypto_sign(const struct crypto_key *key, const void *msg, size_t len,
		uint8_t sig[CRYPTO_ED25519_SIG_LEN])
    AKIOS_NONNULL(1, 4) AKIOS_NODISCARD;
/* Returns 0 when the signature is valid, -EBADMSG when it is not. */
int crypto_verify(const struct crypto_key *key, const void *msg, size_t len,
		  const uint8_t sig[CRYPTO_ED25519_SIG_LEN])
    AKIOS_NONNULL(1, 4) AKIOS_NODISCARD;

/* Lower-case hex; out must hold 2*len+1 bytes. */
void crypto_hex_encode(const uint8_t *in, size_t len, char *out);
/* Decodes exactly 2*out_len hex digits (either case). 0 or -EINVAL. */
int crypto_hex_decode(const char *in, size_t in_len, uint8_t *out,
		      size_t out_len) AKIOS_NODISCARD;

/* Standard base64 with padding; out must hold 4*((len+2)/3)+1 bytes.
 * Returns the encoded length. */
size_t crypto_base64_encode(const uint8_t *in, size_t len, char *out);
/* Strict decode (no whitespace). Returns the decoded length or -EINVAL;
 * out must hold 3*(in_len/4) bytes. */
long crypto_base64_decode(const char *in, size_t in_len, uint8_t *out,
			  size_t out_size) AKIOS_NODISCARD;

#endif
