/* Unit tests of policy signatures: a signature verifies only for the
 * exact bytes and the exact signer; a one-byte change anywhere in the
 * file or the .sig fails; --require-signed loading refuses unsigned,
 * tampered or untrusted policies and accepts the embedded default. */
#include "shared/common.h"
#include "policy/policy.h"
#include "shared/buf.h"
#include "shared/crypto.h"
#include "shared/limits.h"
#include "tests/lib/testlib.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

static const char policy_text[] = "version: 1\nname: signed\n";

static struct crypto_key *new_key(void)
{
	struct crypto_key *k = NULL;

	cr_assert_eq(crypto_key_generate(&k), 0);
	return k;
}

static char *make_sig(struct crypto_key *k, const char *data, size_t len)
{
	struct akios_buf b;

	akios_buf_init(&b, AKIOS_MAX_SIG_BYTES);
	cr_assert_eq(policy_sig_make(k, data, len, &b), 0);
	return akios_buf_take(&b, NULL);
}

static int check(const char *sig, const char *data, size_t len,
		 struct crypto_key *k, struct akios_err *err)
{
	return policy_sig_check("p.yml.sig", sig, strlen(sig), data, len, k,
				err);
}

Test(policy_sign, format_and_valid_signature)
{
	struct crypto_key *k = new_key();
	char *sig = make_sig(k, policy_text, strlen(policy_text));
	struct akios_err err = {0};

	cr_assert(strncmp(sig, "akios-policy-signature v1\nkey-id: ", 34) == 0,
		  "%s", sig);
	cr_assert(strstr(sig, "\nsha256: "));
	cr_assert(strstr(sig, "\nsignature: "));
	cr_assert_eq(sig[strlen(sig) - 1], '\n');
	cr_assert_eq(check(sig, policy_text, strlen(policy_text), k, &err), 0,
		     "%s", err.msg);
	free(sig);
	crypto_key_free(k);
}

Test(policy_sign, every_one_byte_change_of_the_file_fails)
{
	struct crypto_key *k = new_key();
	char *sig = make_sig(k, policy_text, strlen(policy_text));
	char data[sizeof(policy_text)];
	struct akios_err err;

	for (size_t i = 0; i < strlen(policy_text); i++) {
		memcpy(data, policy_text, sizeof(data));
		data[i] ^= 0x01;
		cr_assert_neq(check(sig, data, strlen(policy_text), k, &err), 0,
			      "byte %zu", i);
		cr_assert(strstr(err.msg, "changed after it was signed"));
	}
	cr_assert_neq(check(sig, policy_text, strlen(policy_text) - 1, k, &err),
		      0);
	free(sig);
	crypto_key_free(k);
}

Test(policy_sign, every_one_byte_change_of_the_signature_fails)
{
	struct crypto_key *k = new_key();
	char *sig = make_sig(k, policy_text, strlen(policy_text));
	size_t n = strlen(sig);
	char *bad = malloc(n + 2);
	struct akios_err err;

	cr_assert_not_null(bad);
	for (size_t i = 0; i < n; i++) {
		memcpy(bad, sig, n + 1);
		bad[i] ^= 0x01;
		cr_assert_neq(
		    check(bad, policy_text, strlen(policy_text), k, &err), 0,
		    "byte %zu", i);
		if (islower((unsigned char)sig[i])) {
			memcpy(bad, sig, n + 1);
			bad[i] = (char)toupper((unsigned char)sig[i]);
			cr_assert_neq(check(bad, policy_text,
					    strlen(policy_text), k, &err),
				      0, "upper-case byte %zu", i);
		}
	}
	memcpy(bad, sig, n + 1);
	bad[n] = '\n'; /* a trailing extra line */
	bad[n + 1] = '\0';
	cr_assert_neq(check(bad, policy_text, strlen(policy_text), k, &err), 0);
	free(bad);
	free(sig);
	crypto_key_free(k);
}

Test(policy_sign, wrong_key_fails_with_both_ids)
{
	struct crypto_key *k = new_key();
	struct crypto_key *other = new_key();
	char *sig = make_sig(k, policy_text, strlen(policy_text));
	struct akios_err err = {0};

	cr_assert_neq(check(sig, policy_text, strlen(policy_text), other, &err),
		      0);
	cr_assert(strstr(err.msg, "not by the given key"), "%s", err.msg);
	free(sig);
	crypto_key_free(k);
	crypto_key_free(other);
}

/* A temp dir with a key pair in keys/, another in other/, and p.yml. */
struct fixture {
	char *dir;
	char keys[256];
	char other[256];
	char policy[256];
	char priv[300];
	char pub[300];
	char other_pub[300];
};

static void make_pair(const char *dir, char *priv, char *pub)
{
	struct crypto_key *k = new_key();
	struct akios_err err = {0};

	cr_assert_eq(mkdir(dir, 0700), 0);
	snprintf(priv, 300, "%s/akios.key", dir);
	snprintf(pub, 300, "%s/akios.pub", dir);
	cr_assert_eq(crypto_key_save(k, priv, pub, false, &err), 0, "%s",
		     err.msg);
	crypto_key_free(k);
}

static void setup(struct fixture *f)
{
	char other_priv[300];

	f->dir = test_tmpdir("akios-sign");
	cr_assert_not_null(f->dir);
	snprintf(f->keys, sizeof(f->keys), "%s/keys", f->dir);
	snprintf(f->other, sizeof(f->other), "%s/other", f->dir);
	snprintf(f->policy, sizeof(f->policy), "%s/p.yml", f->dir);
	make_pair(f->keys, f->priv, f->pub);
	make_pair(f->other, other_priv, f->other_pub);
	cr_assert_eq(test_write_file(f->policy, policy_text), 0);
}

static int load_signed(const char *path, const char *dir,
		       struct policy_errors *errs)
{
	struct policy_trust t = {.require_signed = true,
				 .trusted_keys_dir = dir};
	struct akios_policy *p = NULL;
	int rc;

	*errs = (struct policy_errors){0};
	rc = policy_load_checked(path, &t, &p, errs);
	policy_free(p);
	return rc;
}

Test(policy_sign, files_sign_verify_and_require_signed)
{
	struct fixture f;
	struct akios_err err = {0};
	struct policy_errors errs;
	char sig_path[512];
	char id[2 * CRYPTO_KEY_ID_LEN + 1];

	setup(&f);
	cr_assert_eq(load_signed(f.policy, f.keys, &errs), -EPERM);
	cr_assert(strstr(errs.e[0].msg, "not signed"), "%s", errs.e[0].msg);
	cr_assert_eq(policy_sign_file(f.policy, f.priv, sig_path,
				      sizeof(sig_path), &err),
		     0, "%s", err.msg);
	cr_assert(strstr(sig_path, "p.yml.sig"));
	cr_assert_eq(policy_verify_file(f.policy, f.pub, NULL, id, &err), 0,
		     "%s", err.msg);
	cr_assert_eq(strlen(id), 16);
	cr_assert_eq(policy_verify_file(f.policy, NULL, f.keys, NULL, &err), 0);
	cr_assert_eq(load_signed(f.policy, f.keys, &errs), 0);
	/* Signed, but by a key that is not trusted. */
	cr_assert_neq(policy_verify_file(f.policy, NULL, f.other, NULL, &err),
		      0);
	cr_assert(strstr(err.msg, "not among the trusted keys"));
	cr_assert_eq(load_signed(f.policy, f.other, &errs), -EPERM);
	cr_assert_neq(
	    policy_verify_file(f.policy, f.other_pub, NULL, NULL, &err), 0);
	/* A public key cannot sign. */
	cr_assert_neq(
	    policy_sign_file(f.policy, f.pub, sig_path, sizeof(sig_path), &err),
	    0);
	/* One byte appended to the policy. */
	cr_assert_eq(test_write_file(f.policy, "version: 1\nname: signeD\n"),
		     0);
	cr_assert_neq(policy_verify_file(f.policy, f.pub, NULL, NULL, &err), 0);
	cr_assert_eq(load_signed(f.policy, f.keys, &errs), -EPERM);
	test_rmtree(f.dir);
	free(f.dir);
}

Test(policy_sign, default_policy_is_trusted_when_signatures_required)
{
	struct policy_errors errs;

	cr_assert_eq(load_signed(NULL, "/nonexistent", &errs), 0);
}

Test(policy_sign, trust_from_environment)
{
	struct policy_trust t;
	struct akios_err err = {0};

	unsetenv("AKIOS_REQUIRE_SIGNED");
	cr_assert_eq(policy_trust_init(&t, false, "/k", &err), 0);
	cr_assert_not(t.require_signed);
	cr_assert_str_eq(t.trusted_keys_dir, "/k");
	cr_assert_eq(policy_trust_init(&t, true, NULL, &err), 0);
	cr_assert(t.require_signed);
	cr_assert_null(t.trusted_keys_dir);
	setenv("AKIOS_REQUIRE_SIGNED", "1", 1);
	cr_assert_eq(policy_trust_init(&t, false, NULL, &err), 0);
	cr_assert(t.require_signed);
	setenv("AKIOS_REQUIRE_SIGNED", "0", 1);
	cr_assert_eq(policy_trust_init(&t, false, NULL, &err), 0);
	cr_assert_not(t.require_signed);
	setenv("AKIOS_REQUIRE_SIGNED", "yes", 1);
	cr_assert_neq(policy_trust_init(&t, false, NULL, &err), 0);
	cr_assert(strstr(err.msg, "must be 1 or 0"));
	unsetenv("AKIOS_REQUIRE_SIGNED");
}
