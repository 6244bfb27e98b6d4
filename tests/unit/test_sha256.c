/* Unit tests of shared/sha256.c: FIPS 180-4 / NIST and RFC 4231 vectors,
 * then differential tests against OpenSSL (linked here only): random
 * lengths 0..4096 split at random points for the streaming API, HMAC
 * with random keys, and the portable block function against the SHA
 * extensions one on random states. */
#include "shared/common.h"
#include "shared/crypto.h"
#include "shared/crypto_int.h"

#include <criterion/criterion.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdlib.h>

static void hex_of(const uint8_t d[32], char out[65])
{
	crypto_hex_encode(d, 32, out);
}

static void sha_is(const void *data, size_t len, const char *want)
{
	uint8_t d[32];
	char h[65];

	crypto_sha256(data, len, d);
	hex_of(d, h);
	cr_assert_str_eq(h, want, "length %zu", len);
}

Test(sha256, nist_vectors)
{
	static const char m448[] =
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	static const char m896[] =
	    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	    "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	char *million = malloc(1000000);

	sha_is("", 0,
	       "e3b0c44298fc1c149afbf4c8996fb924"
	       "27ae41e4649b934ca495991b7852b855");
	sha_is(NULL, 0,
	       "e3b0c44298fc1c149afbf4c8996fb924"
	       "27ae41e4649b934ca495991b7852b855");
	sha_is("abc", 3,
	       "ba7816bf8f01cfea414140de5dae2223"
	       "b00361a396177a9cb410ff61f20015ad");
	sha_is(m448, strlen(m448),
	       "248d6a61d20638b8e5c026930c3e6039"
	       "a33ce45964ff2167f6ecedd419db06c1");
	sha_is(m896, strlen(m896),
	       "cf5b16a778af8380036ce59e7b049237"
	       "0b249b11e8f07a51afac45037afee9d1");
	cr_assert_not_null(million);
	memset(million, 'a', 1000000);
	sha_is(million, 1000000,
	       "cdc76e5c9914fb9281a1c7e284d73e67"
	       "f1809a48a497200e046d39ccc7112cd0");
	free(million);
}

static void hmac_is(const void *key, size_t klen, const void *data, size_t len,
		    const char *want)
{
	uint8_t d[32];
	char h[65];

	crypto_hmac_sha256(key, klen, data, len, d);
	hex_of(d, h);
	cr_assert_str_eq(h, want, "key %zu data %zu", klen, len);
}

Test(sha256, hmac_rfc4231)
{
	uint8_t k[131];
	uint8_t data[50];
	static const char big1[] =
	    "Test Using Larger Than Block-Size Key - Hash Key First";
	static const char big2[] =
	    "This is a test using a larger than block-size key and a larger "
	    "than block-size data. The key needs to be hashed before being "
	    "used by the HMAC algorithm.";

	memset(k, 0x0b, 20);
	hmac_is(
	    k, 20, "Hi There", 8,
	    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	hmac_is(
	    "Jefe", 4, "what do ya want for nothing?", 28,
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	memset(k, 0xaa, 20);
	memset(data, 0xdd, 50);
	hmac_is(
	    k, 20, data, 50,
	    "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
	for (unsigned i = 0; i < 25; i++)
		k[i] = (uint8_t)(i + 1);
	memset(data, 0xcd, 50);
	hmac_is(
	    k, 25, data, 50,
	    "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
	memset(k, 0xaa, 131);
	hmac_is(
	    k, 131, big1, strlen(big1),
	    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	hmac_is(
	    k, 131, big2, strlen(big2),
	    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

static void fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)random();
}

/* Streaming in up to four pieces cut at random points. */
static void stream(const uint8_t *p, size_t len, uint8_t out[32])
{
	struct crypto_sha256_ctx c;
	size_t at = 0;

	crypto_sha256_init(&c);
	for (int i = 0; i < 3 && at < len; i++) {
		size_t take = (size_t)random() % (len - at + 1);

		crypto_sha256_update(&c, p + at, take);
		at += take;
	}
	crypto_sha256_update(&c, p + at, len - at);
	crypto_sha256_final(&c, out);
}

Test(sha256, matches_openssl_random_lengths_and_splits)
{
	static uint8_t buf[4097];
	uint8_t ours[32];
	uint8_t theirs[32];

	srandom(20261129);
	fill(buf, sizeof(buf));
	for (size_t len = 0; len <= 4096; len++) {
		size_t off = (size_t)random() % 2; /* unaligned too */

		SHA256(buf + off, len, theirs);
		crypto_sha256(buf + off, len, ours);
		cr_assert_eq(memcmp(ours, theirs, 32), 0, "one-shot %zu", len);
		stream(buf + off, len, ours);
		cr_assert_eq(memcmp(ours, theirs, 32), 0, "stream %zu", len);
	}
}

Test(sha256, hmac_matches_openssl_random_keys)
{
	static uint8_t buf[4096];
	uint8_t key[200];
	uint8_t ours[32];
	uint8_t theirs[32];
	unsigned n = 32;

	srandom(4231);
	fill(buf, sizeof(buf));
	fill(key, sizeof(key));
	for (unsigned i = 0; i < 600; i++) {
		size_t klen = (size_t)random() % (sizeof(key) + 1);
		size_t len = (size_t)random() % (sizeof(buf) + 1);

		cr_assert_not_null(
		    HMAC(EVP_sha256(), key, (int)klen, buf, len, theirs, &n));
		crypto_hmac_sha256(key, klen, buf, len, ours);
		cr_assert_eq(memcmp(ours, theirs, 32), 0, "key %zu data %zu",
			     klen, len);
	}
}

/* The two block functions agree from any state, one or many blocks (the
 * dispatch uses one of them; this checks the other on this CPU too). */
Test(sha256, block_functions_agree)
{
	static uint8_t blocks[64 * 9];
	uint32_t a[8];
	uint32_t b[8];

	if (!sha256_have_ni()) {
		/* Without the extensions only the portable one runs, and the
		 * vectors above test it; say so, then test it once more. */
		cr_log_warn("no SHA extensions on this CPU");
	}
	srandom(180);
	for (unsigned round = 0; round < 200; round++) {
		size_t n = 1 + (size_t)random() % 9;

		fill(blocks, sizeof(blocks));
		fill((uint8_t *)a, sizeof(a));
		memcpy(b, a, sizeof(a));
		sha256_blocks_c(a, blocks, n);
		if (sha256_have_ni())
			sha256_blocks_ni(b, blocks, n);
		else
			for (size_t i = 0; i < n; i++)
				sha256_blocks_c(b, blocks + 64 * i, 1);
		cr_assert_eq(memcmp(a, b, sizeof(a)), 0, "round %u", round);
	}
}
