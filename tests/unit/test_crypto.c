/* Unit tests of shared/crypto.c: SHA-256 and HMAC test vectors, Ed25519
 * sign/verify (RFC 8032 test 1), key files, hex and base64. */
#include "shared/common.h"
#include "shared/crypto.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <sys/stat.h>

static void hex(const uint8_t *in, size_t n, char *out)
{
	crypto_hex_encode(in, n, out);
}

Test(crypto, sha256_vectors)
{
	uint8_t d[32];
	char h[65];
	struct crypto_sha256_ctx ctx;

	crypto_sha256("abc", 3, d);
	hex(d, 32, h);
	cr_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223"
			    "b00361a396177a9cb410ff61f20015ad");
	crypto_sha256_init(&ctx);
	crypto_sha256_update(&ctx, "a", 1);
	crypto_sha256_update(&ctx, "bc", 2);
	crypto_sha256_final(&ctx, d);
	hex(d, 32, h);
	cr_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223"
			    "b00361a396177a9cb410ff61f20015ad");
}

Test(crypto, hmac_rfc4231_case2)
{
	uint8_t d[32];
	char h[65];
	const char *data = "what do ya want for nothing?";

	crypto_hmac_sha256("Jefe", 4, data, strlen(data), d);
	hex(d, 32, h);
	cr_assert_str_eq(h, "5bdcc146bf60754e6a042426089575c7"
			    "5a003f089d2739839dec58b964ec3843");
}

Test(crypto, ed25519_rfc8032_test1_verifies)
{
	uint8_t pub[32];
	uint8_t sig[64];
	struct crypto_key *key = NULL;

	cr_assert_eq(crypto_hex_decode("d75a980182b10ab7d54bfed3c964073a"
				       "0ee172f3daa62325af021a68f707511a",
				       64, pub, 32),
		     0);
	cr_assert_eq(crypto_hex_decode("e5564300c360ac729086e2cc806e828a"
				       "84877f1eb8e5d974d873e06522490155"
				       "5fb8821590a33bacc61e39701cf9b46b"
				       "d25bf5f0595bbe24655141438e7a100b",
				       128, sig, 64),
		     0);
	cr_assert_eq(crypto_key_from_raw_public(pub, &key), 0);
	cr_assert_eq(crypto_verify(key, "", 0, sig), 0);
	sig[0] ^= 1;
	cr_assert_eq(crypto_verify(key, "", 0, sig), -EBADMSG);
	crypto_key_free(key);
}

Test(crypto, sign_verify_roundtrip_and_tamper)
{
	struct crypto_key *key = NULL;
	uint8_t sig[64];
	char msg[] = "policy bytes";

	cr_assert_eq(crypto_key_generate(&key), 0);
	cr_assert(crypto_key_is_private(key));
	cr_assert_eq(crypto_key_sign(key, msg, strlen(msg), sig), 0);
	cr_assert_eq(crypto_verify(key, msg, strlen(msg), sig), 0);
	msg[0] = 'P';
	cr_assert_eq(crypto_verify(key, msg, strlen(msg), sig), -EBADMSG);
	crypto_key_free(key);
}

Test(crypto, key_files_modes_and_no_overwrite)
{
	char dir[] = "/tmp/akios-crypto-XXXXXX";
	char priv[128];
	char pub[128];
	struct crypto_key *key = NULL;
	struct crypto_key *loaded = NULL;
	struct crypto_key *loaded_pub = NULL;
	struct akios_err err = {0};
	struct stat st;
	uint8_t id1[8];
	uint8_t id2[8];

	cr_assert_not_null(mkdtemp(dir));
	snprintf(priv, sizeof(priv), "%s/k.key", dir);
	snprintf(pub, sizeof(pub), "%s/k.pub", dir);
	cr_assert_eq(crypto_key_generate(&key), 0);
	cr_assert_eq(crypto_key_save(key, priv, pub, false, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(stat(priv, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert_neq(crypto_key_save(key, priv, pub, false, &err), 0);
	cr_assert(strstr(err.msg, "already exists") != NULL, "%s", err.msg);
	cr_assert_eq(crypto_key_save(key, priv, pub, true, &err), 0);
	cr_assert_eq(crypto_key_load(priv, &loaded, &err), 0, "%s", err.msg);
	cr_assert_eq(crypto_key_load(pub, &loaded_pub, &err), 0);
	cr_assert(crypto_key_is_private(loaded));
	cr_assert_not(crypto_key_is_private(loaded_pub));
	cr_assert_eq(crypto_key_id(key, id1), 0);
	cr_assert_eq(crypto_key_id(loaded_pub, id2), 0);
	cr_assert_eq(memcmp(id1, id2, 8), 0);
	crypto_key_free(key);
	crypto_key_free(loaded);
	crypto_key_free(loaded_pub);
}

Test(crypto, load_refuses_symlink_and_garbage)
{
	char dir[] = "/tmp/akios-crypto-XXXXXX";
	char path[128];
	char link[128];
	struct crypto_key *key = NULL;
	struct akios_err err = {0};
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/garbage", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	f = fopen(path, "w");
	fputs("not a key\n", f);
	fclose(f);
	cr_assert_neq(crypto_key_load(path, &key, &err), 0);
	cr_assert(strstr(err.msg, "not a PEM Ed25519 key") != NULL);
	cr_assert_eq(symlink(path, link), 0);
	cr_assert_neq(crypto_key_load(link, &key, &err), 0);
	cr_assert(strstr(err.msg, "symbolic link") != NULL, "%s", err.msg);
}

Test(crypto, hex_and_base64)
{
	uint8_t raw[5] = {0, 1, 0xab, 0xcd, 0xff};
	uint8_t back[8];
	char h[11];
	char b64[16];

	hex(raw, 5, h);
	cr_assert_str_eq(h, "0001abcdff");
	cr_assert_eq(crypto_hex_decode("0001ABCDFF", 10, back, 5), 0);
	cr_assert_eq(memcmp(raw, back, 5), 0);
	cr_assert_eq(crypto_hex_decode("0001abcdfg", 10, back, 5), -EINVAL);
	cr_assert_eq(crypto_hex_decode("0001", 4, back, 5), -EINVAL);
	cr_assert_eq(crypto_base64_encode(raw, 5, b64), 8);
	cr_assert_str_eq(b64, "AAGrzf8=");
	cr_assert_eq(crypto_base64_decode(b64, 8, back, sizeof(back)), 5);
	cr_assert_eq(memcmp(raw, back, 5), 0);
	cr_assert_eq(crypto_base64_decode("AA=r", 4, back, sizeof(back)),
		     -EINVAL);
	cr_assert_eq(crypto_base64_decode("AAG", 3, back, sizeof(back)),
		     -EINVAL);
}

/* RFC 8032 test 1 as the PKCS#8 / SPKI PEM files akios writes: the
 * decoder (shared/crypto.c raw_of) must give the same key for another
 * layout of the same file (CRLF), and OpenSSL's public key. */
static const char rfc_priv[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVp"
    "ezJpGXA7rAMcrn9g\n"
    "-----END PRIVATE KEY-----\n";
static const char rfc_pub_hex[] = "d75a980182b10ab7d54bfed3c964073a"
				  "0ee172f3daa62325af021a68f707511a";

static void crlf(const char *in, char *out, size_t size)
{
	size_t n = 0;

	for (; *in && n + 2 < size; in++) {
		if (*in == '\n')
			out[n++] = '\r';
		out[n++] = *in;
	}
	out[n] = '\0';
}

Test(crypto, pem_decoder_takes_lf_and_crlf)
{
	struct crypto_key *fast = NULL;
	struct crypto_key *slow = NULL;
	uint8_t pub[32];
	uint8_t want[32];
	uint8_t s1[64];
	uint8_t s2[64];
	char alt[256];

	cr_assert_eq(crypto_key_from_pem(rfc_priv, strlen(rfc_priv), &fast), 0);
	crlf(rfc_priv, alt, sizeof(alt));
	cr_assert_eq(crypto_key_from_pem(alt, strlen(alt), &slow), 0);
	cr_assert(crypto_key_is_private(fast) && crypto_key_is_private(slow));
	cr_assert_eq(crypto_key_public_raw(fast, pub), 0);
	cr_assert_eq(crypto_hex_decode(rfc_pub_hex, 64, want, 32), 0);
	cr_assert_eq(memcmp(pub, want, 32), 0);
	/* Ed25519 is deterministic: one key, one signature. */
	cr_assert_eq(crypto_key_sign(fast, "m", 1, s1), 0);
	cr_assert_eq(crypto_key_sign(slow, "m", 1, s2), 0);
	cr_assert_eq(memcmp(s1, s2, 64), 0);
	crypto_key_free(fast);
	crypto_key_free(slow);
	/* HMAC needs no libcrypto (RFC 4231 case 2). */
	crypto_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, s1);
	crypto_hex_encode(s1, 32, alt);
	cr_assert_str_eq(alt, "5bdcc146bf60754e6a042426089575c7"
			      "5a003f089d2739839dec58b964ec3843");
}

Test(crypto, raw_pem_path_refuses_other_keys)
{
	/* An X25519 key in the same PKCS#8 layout (OID 1.3.101.110): not
	 * an Ed25519 key, refused; so is a truncated one. */
	static const char x25519[] =
	    "-----BEGIN PRIVATE KEY-----\n"
	    "MC4CAQAwBQYDK2VuBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
	    "-----END PRIVATE KEY-----\n";
	static const char short_key[] =
	    "-----BEGIN PRIVATE KEY-----\n"
	    "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMc\n"
	    "-----END PRIVATE KEY-----\n";
	struct crypto_key *k = NULL;

	cr_assert_eq(crypto_key_from_pem(x25519, strlen(x25519), &k), -EINVAL);
	cr_assert_eq(crypto_key_from_pem(short_key, strlen(short_key), &k),
		     -EINVAL);
	cr_assert_null(k);
}

/* A private key read from akios's file is built on first use; a
 * prepared signing context gives the same (deterministic) signature and
 * serves one signature; a public key cannot be prepared. */
Test(crypto, prepared_and_lazy_keys_sign_the_same)
{
	struct crypto_key *k = NULL;
	struct crypto_key *pub = NULL;
	uint8_t raw[32];
	uint8_t want[32];
	uint8_t s1[64];
	uint8_t s2[64];
	uint8_t s3[64];

	cr_assert_eq(crypto_key_from_pem(rfc_priv, strlen(rfc_priv), &k), 0);
	cr_assert_eq(crypto_key_sign(k, "abc", 3, s1), 0);
	cr_assert_eq(crypto_key_prepare(k), 0);
	cr_assert_eq(crypto_key_prepare(k), 0);
	cr_assert_eq(crypto_key_sign(k, "abc", 3, s2), 0);
	cr_assert_eq(crypto_key_sign(k, "abc", 3, s3),
		     0); /* unprepared again */
	cr_assert_eq(memcmp(s1, s2, 64), 0);
	cr_assert_eq(memcmp(s1, s3, 64), 0);
	cr_assert_eq(crypto_key_public_raw(k, raw), 0);
	cr_assert_eq(crypto_hex_decode(rfc_pub_hex, 64, want, 32), 0);
	cr_assert_eq(memcmp(raw, want, 32), 0);
	cr_assert_eq(crypto_key_from_raw_public(raw, &pub), 0);
	cr_assert_eq(crypto_verify(pub, "abc", 3, s2), 0);
	cr_assert_eq(crypto_key_prepare(pub), -EINVAL);
	crypto_key_free(pub);
	crypto_key_free(k);
}

/* RFC 8032 7.1 TEST 1's signature of the empty message, made by akios's
 * own path (crypto.c never calls sodium_init, and nothing in this test's
 * process has) and equal byte for byte; the public half too. */
Test(crypto, rfc8032_test1_signature_without_sodium_init)
{
	struct crypto_key *k = NULL;
	uint8_t sig[64];
	uint8_t want[64];
	uint8_t raw[32];
	uint8_t want_pub[32];

	cr_assert_eq(crypto_hex_decode("e5564300c360ac729086e2cc806e828a"
				       "84877f1eb8e5d974d873e06522490155"
				       "5fb8821590a33bacc61e39701cf9b46b"
				       "d25bf5f0595bbe24655141438e7a100b",
				       128, want, 64),
		     0);
	cr_assert_eq(crypto_key_from_pem(rfc_priv, strlen(rfc_priv), &k), 0);
	cr_assert_eq(crypto_key_sign(k, "", 0, sig), 0);
	cr_assert_eq(memcmp(sig, want, 64), 0);
	cr_assert_eq(crypto_key_public_raw(k, raw), 0);
	cr_assert_eq(crypto_hex_decode(rfc_pub_hex, 64, want_pub, 32), 0);
	cr_assert_eq(memcmp(raw, want_pub, 32), 0);
	cr_assert_eq(crypto_verify(k, "", 0, sig), 0);
	crypto_key_free(k);
}
