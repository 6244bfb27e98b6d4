/* Hashing, Ed25519 keys and signatures, hex and base64. SHA-256, HMAC,
 * key files and encodings are our own code; Ed25519 arithmetic is
 * libsodium's, linked statically into akios (nothing is loaded at run
 * time). The only module that includes libsodium's header; the rest of
 * akios sees byte arrays and opaque handles. */
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

/* strerror of a crypto function's -errno. */
const char *crypto_strerror(int rc);

void crypto_sha256(const void *data, size_t len,
		   uint8_t out[CRYPTO_SHA256_LEN]);

/* Incremental SHA-256 (shared/sha256.c). The ctx is
 * in-place, no allocation; its fields are private to shared/sha256.c. */
struct crypto_sha256_ctx {
	uint32_t h[8];
	uint64_t len; /* bytes hashed */
	uint8_t buf[64];
	unsigned n; /* bytes in buf */
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

/* New private key (a random seed). Caller frees with crypto_key_free. */
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
 * key as PKCS#8 v1 or SubjectPublicKeyInfo (RFC 8410, what akios keygen
 * and `openssl genpkey -algorithm ed25519` write; LF or CRLF, any line
 * width). *out is set only on success. */
int crypto_key_load(const char *path, struct crypto_key **out,
		    struct akios_err *err) AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;

/* Parses a PEM key already in memory (private or public). */
int crypto_key_from_pem(const void *pem, size_t len, struct crypto_key **out)
    AKIOS_NONNULL(1, 3) AKIOS_NODISCARD;

/* The raw 32-byte public key and its id (a private key's public half
 * is derived from its seed on first need). */
int crypto_key_public_raw(const struct crypto_key *key,
			  uint8_t out[CRYPTO_ED25519_PUB_LEN])
    AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;
int crypto_key_id(const struct crypto_key *key, uint8_t out[CRYPTO_KEY_ID_LEN])
    AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;

/* A public key from its raw 32 bytes. */
int crypto_key_from_raw_public(const uint8_t raw[CRYPTO_ED25519_PUB_LEN],
			       struct crypto_key **out)
    AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;

/* Does now the slow part of the next crypto_key_sign (the key pair from
 * its seed), so a caller can run it while it would otherwise wait.
 * 0, -EINVAL for a public key, -EIO. */
int crypto_key_prepare(struct crypto_key *key) AKIOS_NONNULL(1) AKIOS_NODISCARD;

int crypto_key_sign(const struct crypto_key *key, const void *msg, size_t len,
		    uint8_t sig[CRYPTO_ED25519_SIG_LEN])
    AKIOS_NONNULL(1, 4) AKIOS_NODISCARD;
/* Returns 0 when the signature is valid, -EBADMSG when it is not (or
 * when it uses an encoding libsodium refuses: see shared/crypto.c),
 * another -errno when it could not be checked. */
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
