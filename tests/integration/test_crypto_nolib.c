/* Integration tests of akios without a crypto library at run time: the
 * binary needs neither libcrypto nor libsodium (libsodium is linked in
 * statically), and on a host where neither shared library can be loaded
 * (here: /dev/null bound over both in a private mount namespace,
 * `unshare -rm`, so it works rootless) every signature path works:
 * keygen, policy sign and verify, a signed policy and the run's signed
 * checkpoint. */
#include "shared/common.h"
#include "tests/lib/testlib.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* The dynamic section names no libcrypto or libsodium and the symbol
 * table holds no OpenSSL function but libsodium's: akios maps and
 * relocates no crypto library at exec. */
Test(crypto_nolib, akios_does_not_link_libcrypto)
{
	struct test_run r;

	cr_assert_eq(
	    test_run((char *[]){"readelf", "-d", (char *)test_akios(), NULL},
		     NULL, 0, NULL, 20, &r),
	    0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* a static PIE has a dynamic section too, without NEEDED */
	cr_assert(strstr(r.out, "Dynamic section") != NULL, "%s", r.out);
	cr_assert_null(strstr(r.out, "libcrypto"), "%s", r.out);
	cr_assert_null(strstr(r.out, "libssl"), "%s", r.out);
	cr_assert_null(strstr(r.out, "libsodium"), "%s", r.out);
	test_run_free(&r);
	cr_assert_eq(test_run((char *[]){"nm", (char *)test_akios(), NULL},
			      NULL, 0, NULL, 20, &r),
		     0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, " crypto_key_sign") != NULL); /* symbols */
	cr_assert(strstr(r.out, " crypto_sign_detached") != NULL);
	cr_assert_null(strstr(r.out, " EVP_"));
	cr_assert_null(strstr(r.out, " OPENSSL_"));
	cr_assert_null(strstr(r.out, " SHA256_"));
	test_run_free(&r);
}

/* The binary's absolute path (the scripts change directory). */
static const char *akios_abs(char buf[4096])
{
	cr_assert_not_null(realpath(test_akios(), buf));
	return buf;
}

/* The file behind a library name, which a bind mount can hide. */
static void real_lib(const char *name, char out[4096])
{
	char *real = realpath(name, NULL);

	cr_assert_not_null(real, "no %s on this host", name);
	snprintf(out, 4096, "%s", real);
	free(real);
}

/* Runs `sh -c script` with libcrypto.so.3 and libsodium.so.23 hidden; $A
 * is akios, $D a fresh directory holding a key pair and a signed policy
 * p.yml. */
static struct test_run hidden(const char *dir, const char *script)
{
	char ossl[4096];
	char sodium[4096];
	char full[16384];
	char a[4096];
	struct test_run r;

	real_lib("/lib/x86_64-linux-gnu/libcrypto.so.3", ossl);
	real_lib("/lib/x86_64-linux-gnu/libsodium.so.23", sodium);
	snprintf(full, sizeof(full),
		 "mount --bind /dev/null '%s' && mount --bind /dev/null '%s' "
		 "|| exit 99; A='%s'; D='%s'; %s",
		 ossl, sodium, akios_abs(a), dir, script);
	cr_assert_eq(
	    test_run((char *[]){"unshare", "-rm", "sh", "-c", full, NULL}, NULL,
		     0, NULL, 60, &r),
	    0);
	cr_assert_neq(r.status, 99, "bind mount failed: %s", r.err);
	return r;
}

static char *signed_setup(void)
{
	char *d = test_tmpdir("akios-nolib");
	char cmd[16384];
	char a[4096];
	struct test_run r;

	akios_abs(a);
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && mkdir w && '%s' keygen --out k >/dev/null && "
		 "printf 'version: 1\\nname: s\\nfilesystem:\\n  allow:\\n"
		 "    - path: ${CWD}\\n      mode: rw\\n' >p.yml && "
		 "'%s' policy sign --key k/akios.key p.yml >/dev/null",
		 d, a, a);
	cr_assert_eq(
	    test_run((char *[]){"sh", "-c", cmd, NULL}, NULL, 0, NULL, 20, &r),
	    0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	test_run_free(&r);
	return d;
}

/* Keys, signatures and verification need no shared crypto library; a
 * policy re-signed by another key is still refused. */
Test(crypto_nolib, signatures_work_without_shared_crypto_libs)
{
	char *d = signed_setup();
	struct test_run r = hidden(
	    d, "\"$A\" version >/dev/null || exit 10; "
	       "\"$A\" policy verify --pub \"$D/k/akios.pub\" "
	       "\"$D/p.yml\" || exit 11; "
	       "\"$A\" keygen --out \"$D/k2\" || exit 12; "
	       "\"$A\" policy sign --key \"$D/k2/akios.key\" \"$D/p.yml\" "
	       "|| exit 13; "
	       "\"$A\" policy verify --pub \"$D/k/akios.pub\" "
	       "\"$D/p.yml\" && exit 14; "
	       "exit 0");

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "not by the given key") != NULL, "%s", r.err);
	test_run_free(&r);
	free(d);
}

/* --require-signed with the library hidden: the policy is verified and
 * the agent runs; the run's checkpoint is signed (exit 0), and the log
 * verifies. */
Test(crypto_nolib, signed_run_without_shared_crypto_libs)
{
	char *d = signed_setup();
	char marker[4200];
	struct test_run r = hidden(
	    d,
	    "cd \"$D/w\" && AKIOS_KEY_DIR=\"$D/k\" \"$A\" run --require-signed "
	    "--trusted-keys \"$D/k\" --policy \"$D/p.yml\" --audit-dir "
	    "\"$D/audit\" -- /bin/touch \"$D/w/marker\" || exit 20; "
	    "\"$A\" audit verify --pub \"$D/k/akios.pub\" --audit-dir "
	    "\"$D/audit\"");

	cr_assert_eq(r.status, 0, "%s", r.err);
	snprintf(marker, sizeof(marker), "%s/w/marker", d);
	cr_assert_eq(access(marker, F_OK), 0, "the agent did not run");
	test_run_free(&r);
	free(d);
}
