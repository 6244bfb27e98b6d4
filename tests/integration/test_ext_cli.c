/* Integration tests of the hand-off to akios-ext (supervisor/ext.c): a
 * static akios runs redact and audit export --to in its companion with
 * the same argv, environment and fds, so results are the companion's to
 * the byte; a missing companion is a precise error (exit 125) that leaves
 * every other command working; akios-ext never execs. Which akios this is
 * comes from `akios version` ("companion:"); builds without the hand-off
 * (make asan, AKIOS_STATIC_LIBS=0) must then run redact on their own. */
#include "shared/common.h"
#include "tests/lib/elfinfo.h"
#include "tests/lib/testlib.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <sys/stat.h>

#define MAIL_IN	 "mail a.b@example.com\n"
#define MAIL_OUT "mail [EMAIL]\n"

static char *tmp;

static void setup(void)
{
	tmp = test_tmpdir("akios-ext-cli");
	cr_assert_not_null(tmp);
}

static void teardown(void)
{
	test_rmtree(tmp);
	free(tmp);
}

TestSuite(ext_cli, .init = setup, .fini = teardown);

/* Copies the build's `name` to tmp/dst (creating tmp/dir first). */
static void install(const char *name, const char *dir, const char *dst)
{
	char src[4096];
	char d[4096];
	char path[4096];
	struct test_run r;

	test_build_path(name, src, sizeof(src));
	snprintf(d, sizeof(d), "%s/%s", tmp, dir);
	snprintf(path, sizeof(path), "%s/%s", tmp, dst);
	cr_assert_eq(
	    test_run((char *[]){"mkdir", "-p", d, NULL}, NULL, 0, NULL, 10, &r),
	    0);
	test_run_free(&r);
	cr_assert_eq(
	    test_run((char *[]){"cp", src, path, NULL}, NULL, 0, NULL, 10, &r),
	    0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	test_run_free(&r);
}

/* Runs tmp/bin (or an absolute path) with up to 4 arguments. */
static struct test_run run4(const char *bin, const char *in, const char *a1,
			    const char *a2, const char *a3, const char *a4)
{
	char path[4096];
	char keys[4200];
	char *argv[] = {path,	    (char *)a1, (char *)a2,
			(char *)a3, (char *)a4, NULL};
	char *env[] = {keys, NULL};
	struct test_run r;

	if (bin[0] == '/')
		snprintf(path, sizeof(path), "%s", bin);
	else
		snprintf(path, sizeof(path), "%s/%s", tmp, bin);
	snprintf(keys, sizeof(keys), "AKIOS_KEY_DIR=%s/keys", tmp);
	cr_assert_eq(test_run(argv, in, in ? strlen(in) : 0, env, 30, &r), 0,
		     "%s", path);
	cr_assert_not(r.timed_out, "%s %s timed out", bin, a1);
	return r;
}

static struct test_run run(const char *bin, const char *in, const char *a1,
			   const char *a2, const char *a3)
{
	return run4(bin, in, a1, a2, a3, NULL);
}

/* The absolute path of a file of the build. */
static const char *build_abs(const char *name, char out[4096])
{
	char rel[4096];

	test_build_path(name, rel, sizeof(rel));
	cr_assert_not_null(realpath(rel, out));
	return out;
}

/* Does this akios hand redact to akios-ext? Asked of the binary itself. */
static bool hands_off(const char *bin)
{
	struct test_run r = run(bin, NULL, "version", NULL, NULL);
	bool yes = strstr(r.out, "companion: akios-ext") != NULL;

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(yes || strstr(r.out, "companion: none"), "%s", r.out);
	test_run_free(&r);
	return yes;
}

static void expect_redacted(struct test_run r)
{
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, MAIL_OUT);
	test_run_free(&r);
}

/* A static akios must hand off: it cannot load libhs or libcurl. */
Test(ext_cli, a_static_akios_hands_off)
{
	struct test_elf e;
	char path[4096];

	cr_assert_eq(test_elf_read(test_akios(), &e), 0);
	if (!e.interp)
		cr_assert(hands_off(build_abs("akios", path)));
	cr_assert_not(hands_off(build_abs("akios-ext", path)));
}

static void expect_missing(struct test_run r, const char *cmd)
{
	char want[4096];

	cr_assert_eq(r.status, 125, "%s", r.err);
	cr_assert_eq(r.out_len, 0, "%s", r.out);
	snprintf(want, sizeof(want),
		 "akios: %s: runs in akios-ext, the dynamically linked "
		 "companion of this static akios, which could not be "
		 "executed: %s/alone/akios-ext: No such file or directory; "
		 "%s/alone/../lib/akios/akios-ext: No such file or directory\n",
		 cmd, tmp, tmp);
	cr_assert_str_eq(r.err, want);
	test_run_free(&r);
}

/* akios copied alone: redact and audit export --to fail closed naming
 * both paths tried; version, run, a plain export and --help still work.
 * An akios that does not hand off redacts on its own. */
Test(ext_cli, without_the_companion)
{
	char audit[4200];
	char url[4200];
	struct test_run r;

	install("akios", "alone", "alone/akios");
	snprintf(audit, sizeof(audit), "--audit-dir=%s/audit", tmp);
	snprintf(url, sizeof(url), "--to=file://%s/up.jsonl", tmp);
	r = run4("alone/akios", NULL, "run", audit, "--", "/bin/true");
	cr_assert_eq(r.status, 0, "%s", r.err);
	test_run_free(&r);
	if (!hands_off("alone/akios")) {
		expect_redacted(
		    run("alone/akios", MAIL_IN, "redact", NULL, NULL));
		return;
	}
	expect_missing(run("alone/akios", MAIL_IN, "redact", NULL, NULL),
		       "redact");
	expect_missing(run("alone/akios", NULL, "audit", "export", url),
		       "audit export");
	r = run("alone/akios", NULL, "audit", "export", audit);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "\"run.start\""), "%s", r.out);
	test_run_free(&r);
	r = run("alone/akios", NULL, "redact", "--help", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "Usage: akios redact"), "%s", r.out);
	test_run_free(&r);
}

/* make install's layout: bin/akios and lib/akios/akios-ext. */
Test(ext_cli, installed_layout)
{
	install("akios", "bin", "bin/akios");
	install("akios-ext", "lib/akios", "lib/akios/akios-ext");
	expect_redacted(run("bin/akios", MAIL_IN, "redact", NULL, NULL));
}

/* The companion never execs: alone, it redacts by itself. */
Test(ext_cli, the_companion_runs_everything_itself)
{
	install("akios-ext", "x", "x/akios-ext");
	expect_redacted(run("x/akios-ext", MAIL_IN, "redact", NULL, NULL));
}

/* A static akios installed as its own companion is refused, not looped. */
Test(ext_cli, a_static_companion_is_refused)
{
	struct test_run r;

	install("akios", "loop", "loop/akios");
	install("akios", "loop", "loop/akios-ext");
	r = run("loop/akios", MAIL_IN, "redact", NULL, NULL);
	if (!hands_off("loop/akios")) {
		expect_redacted(r);
		return;
	}
	cr_assert_eq(r.status, 125, "%s", r.err);
	cr_assert(strstr(r.err, "/loop/akios-ext: is this akios itself"), "%s",
		  r.err);
	cr_assert_eq(r.out_len, 0);
	test_run_free(&r);
}

/* Through akios or run in akios-ext directly: the same bytes, the same
 * exit code, for a success, a failure in the command (not JSON: exit 1)
 * and a usage error. */
Test(ext_cli, results_are_the_companions)
{
	const char *cases[][3] = {
	    {MAIL_IN, "--report", NULL},
	    {"{\"a\": ", "--json-aware", NULL},
	    {MAIL_IN, "--mode", "bogus"},
	};
	char ext[4096];
	char akios[4096];

	build_abs("akios-ext", ext);
	build_abs("akios", akios);
	for (unsigned i = 0; i < AKIOS_ARRAY_SIZE(cases); i++) {
		struct test_run a =
		    run(akios, cases[i][0], "redact", cases[i][1], cases[i][2]);
		struct test_run b =
		    run(ext, cases[i][0], "redact", cases[i][1], cases[i][2]);

		cr_assert_eq(a.status, b.status, "case %u", i);
		cr_assert_str_eq(a.out, b.out, "case %u", i);
		cr_assert_str_eq(a.err, b.err, "case %u", i);
		test_run_free(&a);
		test_run_free(&b);
	}
}

/* A uid with no /etc/passwd entry: Debian's "passwd: files systemd" sends
 * getpwuid on to libnss_systemd, which a static program can only dlopen
 * with a second libc (a SIGSEGV); the static akios asks files alone
 * (ext_nss_builtin) and goes on without a user name. */
Test(ext_cli, a_uid_missing_from_passwd_can_run)
{
	char akios[4200];
	struct test_run r;

	install("akios", "u", "u/akios");
	snprintf(akios, sizeof(akios), "%s/u/akios", tmp);
	cr_assert_eq(chmod(tmp, 0755), 0);
	cr_assert_eq(test_run((char *[]){"/usr/bin/setpriv", "--reuid=54321",
					 "--regid=54321", "--clear-groups",
					 "env", "-C", tmp, akios, "run",
					 "--dry-run", "--", "/bin/true", NULL},
			      NULL, 0, NULL, 30, &r),
		     0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "identity: uid 54321 gid 54321"), "%s", r.out);
	test_run_free(&r);
}

/* The two loaders of akios's code, disassembled: in a static akios every
 * dlopen call goes to the wrapper that fails (ext_static.c), never to
 * glibc's static dlopen, which would map a second libc. */
Test(ext_cli, a_static_akios_cannot_dlopen)
{
	const char *fns[] = {"--disassemble=pii_hs_load",
			     "--disassemble=http_upload"};
	struct test_elf e;

	cr_assert_eq(test_elf_read(test_akios(), &e), 0);
	for (unsigned i = 0; i < AKIOS_ARRAY_SIZE(fns); i++) {
		struct test_run r;

		cr_assert_eq(
		    test_run((char *[]){"objdump", "-d", (char *)fns[i],
					(char *)test_akios(), NULL},
			     NULL, 0, NULL, 30, &r),
		    0);
		cr_assert_eq(r.status, 0, "%s", r.err);
		cr_assert(strstr(r.out, "dlopen"), "%s: %s", fns[i], r.out);
		if (!e.interp) {
			cr_assert(strstr(r.out, "<__wrap_dlopen>"), "%s",
				  r.out);
			cr_assert_null(strstr(r.out, "<dlopen"), "%s", r.out);
		}
		test_run_free(&r);
	}
}
