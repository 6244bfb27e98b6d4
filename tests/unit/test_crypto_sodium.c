/* Unit tests of Ed25519 through libsodium: RFC 8032 section 7.1 tests
 * 1-3, and a differential test against OpenSSL's EVP (linked here, not
 * in akios): same public key, same deterministic signature, each side
 * verifies the other's, a flipped bit fails in both. Plus the one place
 * the two differ on purpose: libsodium refuses small-order keys. */
#include "shared/common.h"
#include "shared/crypto.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <openssl/evp.h>
#include <string.h>

struct vector {
	const char *seed, *pub, *msg, *sig;
};

/* RFC 8032, 7.1: TEST 1 (empty message), TEST 2 (one byte), TEST 3. */
static const struct vector rfc[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
     "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
     "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
     "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
};

static void unhex(const char *hex, uint8_t *out, size_t n)
{
	cr_assert_eq(strlen(hex), 2 * n);
	cr_assert_eq(crypto_hex_decode(hex, 2 * n, out, n), 0);
}

/* A private key from its seed, through the PKCS#8 PEM akios reads. */
static struct crypto_key *key_of_seed(const uint8_t seed[32])
{
	static const uint8_t prefix[16] = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30,
					   0x05, 0x06, 0x03, 0x2b, 0x65, 0x70,
					   0x04, 0x22, 0x04, 0x20};
	uint8_t der[48];
	char b64[80], pem[160];
	struct crypto_key *k = NULL;
	int n;

	memcpy(der, prefix, 16);
	memcpy(der + 16, seed, 32);
	crypto_base64_encode(der, sizeof(der), b64);
	n = snprintf(pem, sizeof(pem),
		     "-----BEGIN PRIVATE KEY-----\n%s\n"
		     "-----END PRIVATE KEY-----\n",
		     b64);
	cr_assert_eq(crypto_key_from_pem(pem, (size_t)n, &k), 0);
	return k;
}

Test(crypto_sodium, rfc8032_vectors)
{
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(rfc); i++) {
		uint8_t seed[32], pub[32], got_pub[32], msg[2], sig[64],
		    got[64];
		size_t len = strlen(rfc[i].msg) / 2;
		struct crypto_key *k, *p = NULL;

		unhex(rfc[i].seed, seed, 32);
		unhex(rfc[i].pub, pub, 32);
		unhex(rfc[i].msg, msg, len);
		unhex(rfc[i].sig, sig, 64);
		k = key_of_seed(seed);
		cr_assert_eq(crypto_key_public_raw(k, got_pub), 0);
		cr_assert_eq(memcmp(got_pub, pub, 32), 0, "test %zu", i + 1);
		cr_assert_eq(crypto_key_sign(k, msg, len, got), 0);
		cr_assert_eq(memcmp(got, sig, 64), 0, "test %zu", i + 1);
		cr_assert_eq(crypto_key_from_raw_public(pub, &p), 0);
		cr_assert_eq(crypto_verify(p, msg, len, sig), 0);
		cr_assert_eq(crypto_verify(k, msg, len, sig), 0);
		sig[i] ^= 0x01;
		cr_assert_eq(crypto_verify(p, msg, len, sig), -EBADMSG);
		crypto_key_free(k);
		crypto_key_free(p);
	}
}

static void ossl_sign(EVP_PKEY *k, const uint8_t *m, size_t n, uint8_t s[64])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	size_t len = 64;

	cr_assert_not_null(c);
	cr_assert_eq(EVP_DigestSignInit(c, NULL, NULL, NULL, k), 1);
	cr_assert_eq(EVP_DigestSign(c, s, &len, m, n), 1);
	cr_assert_eq(len, 64);
	EVP_MD_CTX_free(c);
}

static bool ossl_verify(EVP_PKEY *k, const uint8_t *m, size_t n,
			const uint8_t s[64])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	bool ok;

	cr_assert_not_null(c);
	cr_assert_eq(EVP_DigestVerifyInit(c, NULL, NULL, NULL, k), 1);
	ok = EVP_DigestVerify(c, s, 64, m, n) == 1;
	EVP_MD_CTX_free(c);
	return ok;
}

/* One random seed and message: both libraries agree on everything. */
static void differential(size_t len)
{
	uint8_t seed[32], pub[32], opub[32], msg[300], s_ours[64], s_ossl[64];
	size_t olen = 32;
	struct crypto_key *k;
	EVP_PKEY *ok;

	cr_assert_eq(crypto_random(seed, sizeof(seed)), 0);
	cr_assert_eq(crypto_random(msg, sizeof(msg)), 0);
	k = key_of_seed(seed);
	ok = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	cr_assert_not_null(ok);
	cr_assert_eq(EVP_PKEY_get_raw_public_key(ok, opub, &olen), 1);
	cr_assert_eq(crypto_key_public_raw(k, pub), 0);
	cr_assert_eq(memcmp(pub, opub, 32), 0);
	cr_assert_eq(crypto_key_sign(k, msg, len, s_ours), 0);
	ossl_sign(ok, msg, len, s_ossl);
	cr_assert_eq(memcmp(s_ours, s_ossl, 64), 0); /* deterministic */
	cr_assert(ossl_verify(ok, msg, len, s_ours));
	cr_assert_eq(crypto_verify(k, msg, len, s_ossl), 0);
	s_ours[len % 64] ^= (uint8_t)(1u << (len % 8));
	cr_assert_not(ossl_verify(ok, msg, len, s_ours));
	cr_assert_eq(crypto_verify(k, msg, len, s_ours), -EBADMSG);
	if (len) {
		msg[len / 2] ^= 0x80;
		cr_assert_not(ossl_verify(ok, msg, len, s_ossl));
		cr_assert_eq(crypto_verify(k, msg, len, s_ossl), -EBADMSG);
	}
	EVP_PKEY_free(ok);
	crypto_key_free(k);
}

Test(crypto_sodium, differential_with_openssl)
{
	for (size_t i = 0; i < 64; i++)
		differential((i * 37) % 300);
}

/* The identity as public key (small order) with R = identity, S = 0:
 * the verification equation holds for every message, and OpenSSL
 * accepts it; libsodium refuses small-order keys, and so do we. */
Test(crypto_sodium, small_order_key_refused)
{
	uint8_t id[32] = {1};
	uint8_t sig[64] = {1};
	struct crypto_key *p = NULL;
	EVP_PKEY *ok =
	    EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, id, 32);

	cr_assert_not_null(ok);
	cr_assert(ossl_verify(ok, (const uint8_t *)"any", 3, sig));
	cr_assert_eq(crypto_key_from_raw_public(id, &p), 0);
	cr_assert_eq(crypto_verify(p, "any", 3, sig), -EBADMSG);
	crypto_key_free(p);
	EVP_PKEY_free(ok);
}
