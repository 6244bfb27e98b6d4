/* Integration tests of akios without libcrypto in its exec path: the
 * binary links none of it, and on a host where libcrypto.so.3 cannot be
 * loaded (here: /dev/null bound over it in a private mount namespace,
 * `unshare -rm`, so it works rootless) commands that need no signature
 * still run, and every signature path fails closed, naming the package:
 * a signed policy is refused before the agent runs. */
#include "shared/common.h"
#include "tests/lib/testlib.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define PKG_HINT "apt-get install libssl3"

/* The dynamic section names no libcrypto and the symbol table holds no
 * OpenSSL function: akios maps and relocates none of it at exec. */
Test(crypto_nolib, akios_does_not_link_libcrypto)
{
	struct test_run r;

	cr_assert_eq(
	    test_run((char *[]){"readelf", "-d", (char *)test_akios(), NULL},
		     NULL, 0, NULL, 20, &r),
	    0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "(NEEDED)") != NULL, "%s", r.out);
	cr_assert_null(strstr(r.out, "libcrypto"), "%s", r.out);
	cr_assert_null(strstr(r.out, "libssl"), "%s", r.out);
	test_run_free(&r);
	cr_assert_eq(test_run((char *[]){"nm", (char *)test_akios(), NULL},
			      NULL, 0, NULL, 20, &r),
		     0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, " crypto_sign") != NULL); /* has symbols */
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

/* Runs `sh -c script` with libcrypto.so.3 hidden; $A is akios, $D a
 * fresh directory holding a key pair and a signed policy p.yml. */
static struct test_run hidden(const char *dir, const char *script)
{
	char lib[4096];
	char full[16384];
	char a[4096];
	struct test_run r;
	char *real = realpath("/lib/x86_64-linux-gnu/libcrypto.so.3", NULL);

	cr_assert_not_null(real, "no libcrypto.so.3 on this host");
	snprintf(lib, sizeof(lib), "%s", real);
	free(real);
	snprintf(full, sizeof(full),
		 "mount --bind /dev/null '%s' || exit 99; A='%s'; D='%s'; %s",
		 lib, akios_abs(a), dir, script);
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
		 "printf 'version: 1\\nname: s\\n' >p.yml && "
		 "'%s' policy sign --key k/akios.key p.yml >/dev/null",
		 d, a, a);
	cr_assert_eq(
	    test_run((char *[]){"sh", "-c", cmd, NULL}, NULL, 0, NULL, 20, &r),
	    0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	test_run_free(&r);
	return d;
}

Test(crypto_nolib, signatures_fail_closed_naming_the_package)
{
	char *d = signed_setup();
	struct test_run r =
	    hidden(d, "\"$A\" version >/dev/null || exit 10; "
		      "\"$A\" policy verify --pub \"$D/k/akios.pub\" "
		      "\"$D/p.yml\" && exit 11; "
		      "\"$A\" keygen --out \"$D/k2\" && exit 12; "
		      "exit 0");

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "cannot check the signature") != NULL, "%s",
		  r.err);
	cr_assert(strstr(r.err, "key generation failed") != NULL, "%s", r.err);
	cr_assert(strstr(r.err, PKG_HINT) != NULL, "%s", r.err);
	test_run_free(&r);
	free(d);
}

/* --require-signed: the policy is refused (signature not checked) before
 * anything runs: the agent would create a file. */
Test(crypto_nolib, run_refuses_signed_policy_before_the_agent)
{
	char *d = signed_setup();
	char marker[4200];
	struct test_run r = hidden(
	    d,
	    "cd \"$D/w\" && AKIOS_KEY_DIR=\"$D/k\" \"$A\" run --require-signed "
	    "--trusted-keys \"$D/k\" --policy \"$D/p.yml\" --audit-dir "
	    "\"$D/audit\" -- /bin/touch \"$D/w/marker\"");

	cr_assert_eq(r.status, 125, "%s", r.err);
	cr_assert(strstr(r.err, PKG_HINT) != NULL, "%s", r.err);
	snprintf(marker, sizeof(marker), "%s/w/marker", d);
	cr_assert_neq(access(marker, F_OK), 0, "the agent ran");
	test_run_free(&r);
	free(d);
}

/* An unsigned policy runs (the audit events are written and durable),
 * but the checkpoint cannot be signed: akios says why and exits 125. */
Test(crypto_nolib, run_without_libcrypto_is_not_a_success)
{
	char *d = signed_setup();
	struct test_run r = hidden(
	    d, "cd \"$D/w\" && AKIOS_KEY_DIR=\"$D/k\" \"$A\" run --audit-dir "
	       "\"$D/audit\" -- /bin/echo agent-ran");

	cr_assert_eq(r.status, 125, "%s", r.err);
	cr_assert(strstr(r.out, "agent-ran") != NULL, "%s", r.out);
	cr_assert(strstr(r.err, "checkpoint") != NULL, "%s", r.err);
	cr_assert(strstr(r.err, PKG_HINT) != NULL, "%s", r.err);
	test_run_free(&r);
	free(d);
}
