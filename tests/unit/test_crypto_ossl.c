/* Unit tests of the crypto module without a libcrypto link in akios: key
 * files written by our code are the bytes OpenSSL writes and load in
 * `openssl pkey`; keys from `openssl genpkey` load here and sign what
 * `openssl pkeyutl` verifies; the preload (akios run's thread); and a
 * missing libcrypto fails closed everywhere with the package named. */
#include "shared/common.h"
#include "policy/policy.h"
#include "shared/crypto.h"
#include "shared/crypto_int.h"
#include "tests/lib/testlib.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
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
	cr_assert_eq(crypto_sign(k, "checkpoint body\n", 16, s), 0);
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

/* The preload: a bound key signs after it, prepare never blocks, and the
 * signature is the one an unbound key makes. */
Test(crypto_ossl, preload_and_bound_key)
{
	struct crypto_preload *p = NULL;
	struct crypto_key *k = NULL;
	struct crypto_key *plain = NULL;
	struct akios_err err = {0};
	uint8_t s1[64], s2[64];
	int rc;

	cr_assert_eq(crypto_preload_start(&p), 0);
	cr_assert_eq(crypto_key_from_pem(rfc_priv, strlen(rfc_priv), &k), 0);
	crypto_key_bind(k, p);
	rc = crypto_key_prepare(k);
	cr_assert(rc == 0 || rc == -EAGAIN, "%d", rc);
	cr_assert_eq(crypto_preload_wait(p, &err), 0, "%s", err.msg);
	cr_assert_eq(crypto_preload_wait(p, &err), 0); /* joined once */
	cr_assert_eq(crypto_key_prepare(k), 0);
	cr_assert_eq(crypto_sign(k, "m", 1, s1), 0);
	cr_assert_eq(crypto_key_from_pem(rfc_priv, strlen(rfc_priv), &plain),
		     0);
	cr_assert_eq(crypto_sign(plain, "m", 1, s2), 0);
	cr_assert_eq(memcmp(s1, s2, 64), 0);
	cr_assert_eq(crypto_verify(plain, "m", 1, s1), 0);
	crypto_key_free(k);
	crypto_key_free(plain);
	crypto_preload_free(p);
}

/* A key offered to the preload's thread and freed at once: the free
 * waits for the thread (ASan would see a use after free otherwise); a
 * second bound key, offered late, still signs. */
Test(crypto_ossl, bound_key_freed_while_preloading)
{
	struct crypto_preload *p = NULL;
	struct crypto_key *k = NULL;
	struct crypto_key *late = NULL;
	uint8_t s1[64], s2[64];

	cr_assert_eq(crypto_preload_start(&p), 0);
	cr_assert_eq(crypto_key_from_pem(rfc_priv, strlen(rfc_priv), &k), 0);
	crypto_key_bind(k, p);
	crypto_key_bind(k, p); /* once is enough */
	crypto_key_free(k);
	cr_assert_eq(crypto_key_from_pem(rfc_priv, strlen(rfc_priv), &late), 0);
	crypto_key_bind(late, p);
	cr_assert_eq(crypto_sign(late, "x", 1, s1), 0);
	cr_assert_eq(crypto_sign(late, "x", 1, s2), 0);
	cr_assert_eq(memcmp(s1, s2, 64), 0);
	crypto_key_free(late);
	crypto_preload_free(p);
}

/* The preload's thread blocks every signal, so a signal to akios run
 * reaches its signalfd, never a default action there; the caller's own
 * mask is left as it was. */
Test(crypto_ossl, preload_thread_blocks_signals)
{
	struct crypto_preload *p = NULL;
	sigset_t before, after;

	cr_assert_eq(pthread_sigmask(SIG_BLOCK, NULL, &before), 0);
	cr_assert_eq(sigismember(&before, SIGINT), 0);
	cr_assert_eq(crypto_preload_start(&p), 0);
	cr_assert_eq(pthread_sigmask(SIG_BLOCK, NULL, &after), 0);
	cr_assert_eq(sigismember(&after, SIGINT), 0);
	cr_assert_eq(sigismember(&after, SIGTERM), 0);
	cr_assert(crypto_preload_blocks(p, SIGINT));
	cr_assert(crypto_preload_blocks(p, SIGTERM));
	cr_assert(crypto_preload_blocks(p, SIGHUP));
	cr_assert(crypto_preload_blocks(p, SIGCHLD));
	crypto_preload_free(p);
}

/* Without libcrypto nothing is signed or verified, and the error says
 * which package to install. Keys still load (that needs no libcrypto). */
Test(crypto_ossl, missing_libcrypto_fails_closed)
{
	struct crypto_preload *p = NULL;
	struct crypto_key *k = NULL;
	struct crypto_key *pub = NULL;
	struct akios_err err = {0};
	uint8_t s[64] = {0};
	uint8_t raw[32];

	setenv("AKIOS_TEST_LIBCRYPTO", "/nonexistent/libcrypto.so.3", 1);
	cr_assert_eq(crypto_key_from_pem(rfc_priv, strlen(rfc_priv), &k), 0);
	cr_assert_eq(crypto_key_from_pem(rfc_pub, strlen(rfc_pub), &pub), 0);
	cr_assert_eq(crypto_sign(k, "m", 1, s), -ELIBACC);
	cr_assert_eq(crypto_key_public_raw(k, raw), -ELIBACC);
	cr_assert_eq(crypto_verify(pub, "m", 1, s), -ELIBACC);
	cr_assert_eq(crypto_key_public_raw(pub, raw), 0);
	cr_assert(strstr(crypto_strerror(-ELIBACC), "libssl3"));
	cr_assert_eq(crypto_preload_start(&p), 0);
	crypto_key_bind(k, p);
	cr_assert_eq(crypto_preload_wait(p, &err), -ELIBACC);
	cr_assert(strstr(err.msg, "libcrypto.so.3") &&
		      strstr(err.msg, "libssl3"),
		  "%s", err.msg);
	cr_assert(strstr(err.msg, "/nonexistent/"), "%s", err.msg);
	cr_assert_eq(crypto_sign(k, "m", 1, s), -ELIBACC);
	crypto_key_free(k);
	crypto_key_free(pub);
	crypto_preload_free(p);
}

/* A signature-required policy load waits for the preload and refuses
 * the policy when libcrypto is missing, before parsing it. */
Test(crypto_ossl, signed_policy_refused_without_libcrypto)
{
	char dir[64], path[96];
	struct policy_trust t = {0};
	struct policy_errors errs = {0};
	struct akios_policy *pol = NULL;
	struct akios_err err = {0};

	setenv("AKIOS_TEST_LIBCRYPTO", "/nonexistent/libcrypto.so.3", 1);
	tmpdir(dir);
	snprintf(path, sizeof(path), "%s/p.yml", dir);
	write_file(path, "version: 1\nname: x\n");
	cr_assert_eq(policy_trust_init(&t, true, dir, &err), 0);
	cr_assert_eq(crypto_preload_start(&t.crypto), 0);
	cr_assert_neq(policy_load_checked(path, &t, &pol, &errs), 0);
	cr_assert_null(pol);
	cr_assert_geq(errs.n, 1);
	cr_assert(strstr(errs.e[0].msg, "libssl3"), "%s", errs.e[0].msg);
	crypto_preload_free(t.crypto);
}
