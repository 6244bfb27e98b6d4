/* Unit tests of the crypto module's key files against the openssl CLI:
 * files written by our code are the bytes OpenSSL writes and load in
 * `openssl pkey`; keys from `openssl genpkey` load here and sign what
 * `openssl pkeyutl` verifies. */
#include "shared/common.h"
#include "shared/crypto.h"
#include "tests/lib/testlib.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* RFC 8032 test 1 as OpenSSL writes it (openssl pkey -in ... -out). */
static const char rfc_priv[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
    "-----END PRIVATE KEY-----\n";
static const char rfc_pub[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
    "-----END PUBLIC KEY-----\n";

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 4096);
	size_t n;

	cr_assert_not_null(f, "%s", path);
	n = fread(buf, 1, 4095, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

static void tmpdir(char dir[64])
{
	snprintf(dir, 64, "/tmp/akios-ossl-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static int run(char *const argv[], struct test_run *r)
{
	int rc = test_run(argv, NULL, 0, NULL, 20, r);

	cr_assert_eq(rc, 0, "cannot run %s", argv[0]);
	return r->status;
}

/* Existing key files load (byte for byte: saving them again gives the
 * same files), and what we write is what OpenSSL reads and writes. */
Test(crypto_ossl, key_files_are_openssls_bytes)
{
	char dir[64], priv[96], pub[96], again[96];
	struct crypto_key *k = NULL;
	struct akios_err err = {0};
	struct test_run r = {0};
	char *text;

	tmpdir(dir);
	snprintf(priv, sizeof(priv), "%s/k.key", dir);
	snprintf(pub, sizeof(pub), "%s/k.pub", dir);
	snprintf(again, sizeof(again), "%s/again.pub", dir);
	cr_assert_eq(crypto_key_from_pem(rfc_priv, strlen(rfc_priv), &k), 0);
	cr_assert_eq(crypto_key_save(k, priv, pub, false, &err), 0, "%s",
		     err.msg);
	text = slurp(priv);
	cr_assert_str_eq(text, rfc_priv);
	free(text);
	text = slurp(pub);
	cr_assert_str_eq(text, rfc_pub);
	free(text);
	/* openssl derives the same public key file from our private one */
	cr_assert_eq(run((char *[]){"openssl", "pkey", "-in", priv, "-pubout",
				    "-out", again, NULL},
			 &r),
		     0, "%s", r.err);
	test_run_free(&r);
	text = slurp(again);
	cr_assert_str_eq(text, rfc_pub);
	free(text);
	crypto_key_free(k);
}

/* A key made by openssl genpkey loads here; our signature verifies in
 * openssl pkeyutl, and our fresh keys load in openssl pkey. */
Test(crypto_ossl, openssl_cli_interop)
{
	char dir[64], key[96], pub[96], msg[96], sig[96];
	struct crypto_key *k = NULL;
	struct crypto_key *mine = NULL;
	struct akios_err err = {0};
	struct test_run r = {0};
	uint8_t s[64];
	FILE *f;

	tmpdir(dir);
	snprintf(key, sizeof(key), "%s/o.key", dir);
	snprintf(pub, sizeof(pub), "%s/o.pub", dir);
	snprintf(msg, sizeof(msg), "%s/msg", dir);
	snprintf(sig, sizeof(sig), "%s/sig", dir);
	cr_assert_eq(run((char *[]){"openssl", "genpkey", "-algorithm",
				    "ed25519", "-out", key, NULL},
			 &r),
		     0, "%s", r.err);
	test_run_free(&r);
	cr_assert_eq(crypto_key_load(key, &k, &err), 0, "%s", err.msg);
	write_file(msg, "checkpoint body\n");
	cr_assert_eq(crypto_key_sign(k, "checkpoint body\n", 16, s), 0);
	f = fopen(sig, "w");
	cr_assert_eq(fwrite(s, 1, 64, f), 64);
	fclose(f);
	cr_assert_eq(
	    run((char *[]){"openssl", "pkeyutl", "-verify", "-rawin", "-inkey",
			   key, "-in", msg, "-sigfile", sig, NULL},
		&r),
	    0, "%s%s", r.out, r.err);
	test_run_free(&r);
	cr_assert_eq(crypto_key_generate(&mine), 0);
	cr_assert_eq(crypto_key_save(mine, key, pub, true, &err), 0);
	cr_assert_eq(
	    run((char *[]){"openssl", "pkey", "-in", key, "-noout", NULL}, &r),
	    0, "%s", r.err);
	test_run_free(&r);
	cr_assert_eq(run((char *[]){"openssl", "pkey", "-pubin", "-in", pub,
				    "-noout", NULL},
			 &r),
		     0, "%s", r.err);
	test_run_free(&r);
	crypto_key_free(k);
	crypto_key_free(mine);
}

/* Other spellings of the same key: CRLF, the body wrapped, no final
 * newline. Anything else is refused, including non-canonical base64. */
Test(crypto_ossl, pem_layouts)
{
	static const char wrapped[] = "-----BEGIN PUBLIC KEY-----\r\n"
				      "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7T\r\n"
				      "yWQHOg7hcvPapiMlrwIaaPcHURo=\r\n"
				      "-----END PUBLIC KEY-----";
	static const char bad_bits[] =
	    "-----BEGIN PUBLIC KEY-----\n"
	    "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURp=\n"
	    "-----END PUBLIC KEY-----\n";
	static const char trailing[] =
	    "-----BEGIN PUBLIC KEY-----\n"
	    "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
	    "-----END PUBLIC KEY-----\nmore\n";
	static const char mixed[] =
	    "-----BEGIN PRIVATE KEY-----\n"
	    "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
	    "-----END PRIVATE KEY-----\n";
	struct crypto_key *k = NULL;
	uint8_t raw[32], want[32];

	cr_assert_eq(crypto_key_from_pem(wrapped, strlen(wrapped), &k), 0);
	cr_assert_not(crypto_key_is_private(k));
	cr_assert_eq(crypto_key_public_raw(k, raw), 0);
	crypto_key_free(k);
	k = NULL;
	cr_assert_eq(crypto_hex_decode("d75a980182b10ab7d54bfed3c964073a"
				       "0ee172f3daa62325af021a68f707511a",
				       64, want, 32),
		     0);
	cr_assert_eq(memcmp(raw, want, 32), 0);
	cr_assert_eq(crypto_key_from_pem(bad_bits, strlen(bad_bits), &k),
		     -EINVAL);
	cr_assert_eq(crypto_key_from_pem(trailing, strlen(trailing), &k),
		     -EINVAL);
	cr_assert_eq(crypto_key_from_pem(mixed, strlen(mixed), &k), -EINVAL);
	cr_assert_null(k);
}
