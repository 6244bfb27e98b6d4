/* Inside the crypto module only: libcrypto's Ed25519 calls, resolved
 * with dlopen when a key first needs them, so akios does not map or
 * relocate libcrypto at exec. Only types come from OpenSSL's headers. */
#ifndef AKIOS_CRYPTO_INT_H
#define AKIOS_CRYPTO_INT_H

#include "shared/common.h"
#include "shared/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

/* The soname loaded and the package that ships it (named in errors). */
#define CRYPTO_OSSL_LIB "libcrypto.so.3"
#define CRYPTO_OSSL_PKG "libssl3"

/* Each member has the exact type of the libcrypto function it stands
 * for. lib is NULL until opened. */
struct crypto_ossl {
	void *lib;
	__typeof__(OPENSSL_init_crypto) *init_crypto;
	__typeof__(EVP_PKEY_new_raw_private_key) *new_raw_private;
	__typeof__(EVP_PKEY_new_raw_public_key) *new_raw_public;
	__typeof__(EVP_PKEY_get_raw_public_key) *get_raw_public;
	__typeof__(EVP_PKEY_free) *pkey_free;
	__typeof__(EVP_MD_CTX_new) *md_new;
	__typeof__(EVP_MD_CTX_free) *md_free;
	__typeof__(EVP_DigestSignInit) *sign_init;
	__typeof__(EVP_DigestSign) *sign;
	__typeof__(EVP_DigestVerifyInit) *verify_init;
	__typeof__(EVP_DigestVerify) *verify;
};

/* dlopen (RTLD_NOW) and every symbol, or nothing: 0 or -ELIBACC, with
 * dlerror's text in why (may be NULL). lean: initialise without
 * openssl.cnf (see crypto_preload_start). */
int crypto_ossl_open(struct crypto_ossl *o, bool lean, char *why,
		     size_t why_len) AKIOS_NONNULL(1) AKIOS_NODISCARD;
void crypto_ossl_close(struct crypto_ossl *o) AKIOS_NONNULL(1);

/* The preload's handle once its thread is done: 0 and *o, -EAGAIN when
 * block is false and it is still running, -ELIBACC. */
int crypto_preload_ossl(struct crypto_preload *p, bool block,
			const struct crypto_ossl **o)
    AKIOS_NONNULL(1, 3) AKIOS_NODISCARD;

/* Offers a bound private key to the preload's thread, which prepares it
 * (crypto_key_prepare_with) if it has not started on its own work yet.
 * The key's owner must not touch the key's libcrypto side before the
 * preload is joined (every such use goes through crypto_preload_ossl). */
void crypto_preload_offer(struct crypto_preload *p, struct crypto_key *key)
    AKIOS_NONNULL(1, 2);
/* Builds key's EVP_PKEY and signing context with o (on the preload's
 * thread). 0, -EIO. */
int crypto_key_prepare_with(struct crypto_key *key, const struct crypto_ossl *o)
    AKIOS_NONNULL(1, 2);

#ifdef AKIOS_TESTING
/* shared/sha256.c's block functions, compared by tests/unit/test_sha256.c:
 * n 64-byte blocks into the state h. */
void sha256_blocks_c(uint32_t h[8], const uint8_t *p, size_t n);
void sha256_blocks_ni(uint32_t h[8], const uint8_t *p, size_t n);
bool sha256_have_ni(void);
/* Joins p, then: did its thread run with sig blocked? */
bool crypto_preload_blocks(struct crypto_preload *p, int sig);
#endif

#endif
