/* Integration tests of the policy commands through the real binary:
 * check (ok line, every error with file:line:col, exit codes), show
 * (canonical YAML and JSON), keygen (modes, no silent overwrite), sign and
 * verify (one-byte tampering fails) and --require-signed. */
#include "shared/common.h"
#include "tests/lib/testlib.h"

#include <cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <sys/stat.h>

#define EXAMPLE "policy/examples/hardened-production.yml"

static struct test_run akios(char *const env[], const char *a1, const char *a2,
			     const char *a3, const char *a4, const char *a5)
{
	char *argv[] = {
	    (char *)test_akios(), (char *)a1, (char *)a2, (char *)a3,
	    (char *)a4,		  (char *)a5, NULL};
	struct test_run r;

	cr_assert_eq(test_run(argv, NULL, 0, env, 20, &r), 0);
	return r;
}

static char *tmp_file(const char *dir, const char *name, const char *text,
		      char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", dir, name);
	if (text)
		cr_assert_eq(test_write_file(buf, text), 0);
	return buf;
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "re");
	char *s = calloc(1, 65536);

	cr_assert_not_null(f);
	cr_assert_not_null(s);
	cr_assert_gt(fread(s, 1, 65535, f), 0);
	fclose(f);
	return s;
}

Test(policy_cli, check_example_ok)
{
	struct test_run r = akios(NULL, "policy", "check", EXAMPLE, NULL, NULL);

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "ok: " EXAMPLE " (name hardened-production)\n");
	test_run_free(&r);
}

Test(policy_cli, typo_reports_line_and_column_for_every_file)
{
	char *d = test_tmpdir("akios-pcli");
	char bad[512];
	char bad2[512];
	struct test_run r;

	tmp_file(d, "bad.yml",
		 "version: 1\nsecurity:\n  sandbx: strict\n"
		 "audit: {merkle: maybe}\n",
		 bad, sizeof(bad));
	tmp_file(d, "bad2.yml", "version: 1\nllm: {max_tokens: -1}\n", bad2,
		 sizeof(bad2));
	r = akios(NULL, "policy", "check", bad, EXAMPLE, bad2);
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, ":3:3: security: unknown key 'sandbx'; did "
				"you mean 'sandbox'?\n"),
		  "%s", r.err);
	cr_assert(strstr(r.err, "bad.yml:4:17: audit.merkle:"), "%s", r.err);
	cr_assert(strstr(r.err, "bad2.yml:2:19: llm.max_tokens:"), "%s", r.err);
	cr_assert(strncmp(r.err, "akios: /tmp/", 12) == 0, "%s", r.err);
	cr_assert(strstr(r.out, "ok: " EXAMPLE));
	test_run_free(&r);
	test_rmtree(d);
	free(d);
}

Test(policy_cli, show_yaml_json_and_default)
{
	struct test_run r =
	    akios(NULL, "policy", "show", "--json", EXAMPLE, NULL);
	cJSON *j;

	cr_assert_eq(r.status, 0, "%s", r.err);
	j = cJSON_Parse(r.out);
	cr_assert_not_null(j);
	cr_assert_str_eq(cJSON_GetObjectItem(j, "name")->valuestring,
			 "hardened-production");
	cJSON_Delete(j);
	test_run_free(&r);
	r = akios(NULL, "policy", "show", "--default", NULL, NULL);
	cr_assert_eq(r.status, 0);
	cr_assert(strncmp(r.out, "version: 1\nname: \"default\"\n", 27) == 0);
	cr_assert(strstr(r.out, "  network: isolated\n"));
	test_run_free(&r);
	r = akios(NULL, "policy", "show", "--default", EXAMPLE, NULL);
	cr_assert_eq(r.status, 2);
	test_run_free(&r);
}

Test(policy_cli, keygen_modes_and_force)
{
	char *d = test_tmpdir("akios-kg");
	char keys[512];
	char priv[600];
	char *before;
	char *after;
	struct stat st;
	struct test_run r;

	snprintf(keys, sizeof(keys), "%s/k", d);
	snprintf(priv, sizeof(priv), "%s/akios.key", keys);
	r = akios(NULL, "keygen", "--out", keys, NULL, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "key id "));
	test_run_free(&r);
	cr_assert_eq(stat(priv, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert_eq(stat(keys, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700);
	before = read_text(priv);
	r = akios(NULL, "keygen", "--out", keys, NULL, NULL);
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "already exists; use --force"));
	test_run_free(&r);
	after = read_text(priv);
	cr_assert_str_eq(before, after, "key replaced without --force");
	free(after);
	r = akios(NULL, "keygen", "--out", keys, "--force", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	test_run_free(&r);
	after = read_text(priv);
	cr_assert_str_neq(before, after);
	cr_assert_eq(stat(priv, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	free(before);
	free(after);
	test_rmtree(d);
	free(d);
}

Test(policy_cli, sign_verify_tamper_and_require_signed)
{
	char *d = test_tmpdir("akios-sv");
	char keys[512];
	char env_dir[600];
	char pol[512];
	char sig[600];
	char pub[600];
	char *sig_text;
	char *env[] = {env_dir, NULL};
	char *strict_env[] = {env_dir, "AKIOS_REQUIRE_SIGNED=1", NULL};
	struct test_run r;

	snprintf(keys, sizeof(keys), "%s/keys", d);
	snprintf(env_dir, sizeof(env_dir), "AKIOS_KEY_DIR=%s", keys);
	tmp_file(d, "p.yml", "version: 1\nname: p\n", pol, sizeof(pol));
	snprintf(sig, sizeof(sig), "%s.sig", pol);
	r = akios(env, "keygen", NULL, NULL, NULL, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	test_run_free(&r);
	r = akios(strict_env, "policy", "check", pol, NULL, NULL);
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "not signed"), "%s", r.err);
	test_run_free(&r);
	r = akios(env, "policy", "sign", pol, NULL, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	test_run_free(&r);
	r = akios(env, "policy", "verify", pol, NULL, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "signed by key"));
	test_run_free(&r);
	r = akios(NULL, "policy", "check", "--require-signed", "--trusted-keys",
		  keys);
	test_run_free(&r); /* no FILE: usage error, tested elsewhere */
	r = akios(strict_env, "policy", "check", "--trusted-keys", keys, pol);
	cr_assert_eq(r.status, 0, "%s", r.err);
	test_run_free(&r);
	/* One byte of the signature changed. */
	sig_text = read_text(sig);
	sig_text[strlen(sig_text) - 3] ^= 0x01;
	cr_assert_eq(test_write_file(sig, sig_text), 0);
	r = akios(env, "policy", "verify", pol, NULL, NULL);
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "p.yml.sig: not an akios policy signature"),
		  "%s", r.err);
	test_run_free(&r);
	sig_text[strlen(sig_text) - 3] ^= 0x01;
	cr_assert_eq(test_write_file(sig, sig_text), 0);
	free(sig_text);
	/* One byte of the policy changed. */
	cr_assert_eq(test_write_file(pol, "version: 1\nname: q\n"), 0);
	snprintf(pub, sizeof(pub), "%s/akios.pub", keys);
	r = akios(NULL, "policy", "verify", "--pub", pub, pol);
	cr_assert(strstr(r.err, "changed after it was signed"), "%s", r.err);
	cr_assert_eq(r.status, 1);
	test_run_free(&r);
	r = akios(env, "policy", "verify", pol, NULL, NULL);
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "changed after it was signed"), "%s", r.err);
	test_run_free(&r);
	r = akios(NULL, "policy", "check", "--require-signed", "--trusted-keys",
		  keys);
	cr_assert_eq(r.status, 2, "no FILE is a usage error");
	test_run_free(&r);
	r = akios(env, "policy", "check", "--require-signed", pol, NULL);
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "changed after it was signed"), "%s", r.err);
	test_run_free(&r);
	r = akios(strict_env, "policy", "show", "--trusted-keys", keys, pol);
	cr_assert_eq(r.status, 1);
	test_run_free(&r);
	test_rmtree(d);
	free(d);
}

Test(policy_cli, sign_refuses_an_invalid_policy)
{
	char *d = test_tmpdir("akios-si");
	char pol[512];
	struct test_run r;

	tmp_file(d, "p.yml", "version: 1\nnmae: p\n", pol, sizeof(pol));
	r = akios(NULL, "policy", "sign", "--key", "/nonexistent", pol);
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, ":2:1: unknown key 'nmae'; did you mean "
				"'name'?"),
		  "%s", r.err);
	test_run_free(&r);
	test_rmtree(d);
	free(d);
}
