/* Control files below the top of a writable path, as root and as an
 * unprivileged user: nested repositories (config, hooks, the .git itself,
 * submodules' git directories), .envrc, .vscode and .gitmodules found by
 * the plan's bounded walk stay read-only while the rest stays writable;
 * --dry-run names what the walk did not cover (node_modules, depth, the
 * bound on frozen paths). The placeholders made for missing control files
 * are gone after the run even when akios is killed with SIGKILL. Control
 * files the agent makes below the top are named after the run. */
#include "shared/common.h"
#include "shared/limits.h"
#include "tests/lib/cagetest.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

static struct cage_ws W;

static void expect(char *const cmd[], int status)
{
	struct test_run r;

	cr_assert_eq(cagetest_run(&W, NULL, cmd, NULL, 30, &r), 0);
	cr_assert(!r.timed_out);
	cr_assert_eq(r.status, status, "%s %s: out %s err %s", cmd[1], cmd[2],
		     r.out, r.err);
	test_run_free(&r);
}

static void assert_content(const char *rel, const char *want)
{
	char path[700];
	char got[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", W.ws, rel);
	f = fopen(path, "re");
	cr_assert_not_null(f, "%s", rel);
	cr_assert_eq(fread(got, 1, sizeof(got) - 1, f), strlen(want));
	fclose(f);
	cr_assert_str_eq(got, want, "%s", rel);
}

static void nested(bool rootless)
{
	static const char *const frozen[] = {
	    "sub/.git/config",
	    "sub/.git/hooks/pre-commit",
	    "sub/.git/modules/lib/m/config",
	    "sub/.git/modules/lib/m/hooks/post-checkout",
	    "a/b/c/.envrc",
	    "x/.vscode/settings.json",
	    "x/.gitmodules",
	    "wt/.git",
	};
	char *mv[] = {"./cage_try", "rename", "sub/.git", "sub/gone", NULL};
	char *ok[] = {"./cage_try", "write", "sub/.git/objects-ok", NULL};
	char *ok2[] = {"./cage_try", "write", "a/b/c/notes", NULL};

	cr_assert_eq(cagetest_setup(&W, rootless), 0);
	cr_assert_eq(cagetest_file(&W, "sub/.git/config", "[core]\n"), 0);
	cr_assert_eq(cagetest_file(&W, "sub/.git/hooks/keep", ""), 0);
	cr_assert_eq(cagetest_file(&W, "sub/.git/modules/lib/m/HEAD", "ref\n"),
		     0);
	cr_assert_eq(
	    cagetest_file(&W, "sub/.git/modules/lib/m/config", "[m]\n"), 0);
	cr_assert_eq(cagetest_file(&W, "a/b/c/.envrc", "export A=1\n"), 0);
	cr_assert_eq(cagetest_file(&W, "x/.vscode/settings.json", "{}\n"), 0);
	cr_assert_eq(cagetest_file(&W, "x/.gitmodules", "[sm]\n"), 0);
	cr_assert_eq(cagetest_file(&W, "wt/.git", "gitdir: ../sub/.git\n"), 0);
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(frozen); i++) {
		char *cmd[] = {"./cage_try", "write", (char *)frozen[i], NULL};

		expect(cmd, 1);
	}
	expect(mv, 1);
	expect(ok, 0); /* the rest of a nested .git stays writable */
	expect(ok2, 0);
	assert_content("sub/.git/config", "[core]\n");
	assert_content("sub/.git/modules/lib/m/config", "[m]\n");
	assert_content("a/b/c/.envrc", "export A=1\n");
	assert_content("x/.vscode/settings.json", "{}\n");
	assert_content("wt/.git", "gitdir: ../sub/.git\n");
	cagetest_teardown(&W);
}

Test(cage_controls, nested_control_files_read_only_root)
{
	nested(false);
}
Test(cage_controls, nested_control_files_read_only_rootless)
{
	nested(true);
}

/* What the walk does not cover is said, with the bounds. */
Test(cage_controls, dry_run_names_what_is_not_walked)
{
	char *dry[] = {"--dry-run", NULL};
	char *cmd[] = {"true", NULL};
	char rel[128];
	struct test_run r;

	cr_assert_eq(cagetest_setup(&W, false), 0);
	cr_assert_eq(cagetest_file(&W, "node_modules/p/.envrc", ""), 0);
	cr_assert_eq(cagetest_file(&W, "sub/.envrc", ""), 0);
	/* A .envrc 17 levels below the top is below the depth bound. */
	size_t n = 0;

	for (unsigned i = 0; i <= AKIOS_CTL_WALK_DEPTH; i++)
		n += (size_t)snprintf(rel + n, sizeof(rel) - n, "d/");
	snprintf(rel + n, sizeof(rel) - n, ".envrc");
	cr_assert_eq(cagetest_file(&W, rel, ""), 0);
	cr_assert_eq(cagetest_run(&W, dry, cmd, NULL, 30, &r), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "1 nested control path(s) frozen"),
			   "%s", r.out);
	cr_assert_not_null(strstr(r.out, "/sub/.envrc  [control]"), "%s",
			   r.out);
	cr_assert_not_null(strstr(r.out, "NOT walked: 1 generated dir(s)"),
			   "%s", r.out);
	cr_assert_not_null(strstr(r.out, "/ws/node_modules"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "deeper than 16 levels"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "not protected"), "%s", r.out);
	cr_assert_null(strstr(r.out, "STOPPED"), "%s", r.out);
	test_run_free(&r);
	cagetest_teardown(&W);
}

Test(cage_controls, dry_run_says_when_the_walk_stops)
{
	char *dry[] = {"--dry-run", NULL};
	char *cmd[] = {"true", NULL};
	char rel[64];
	struct test_run r;

	cr_assert_eq(cagetest_setup(&W, false), 0);
	for (unsigned i = 0; i < AKIOS_CTL_WALK_FROZEN + 3; i++) {
		snprintf(rel, sizeof(rel), "p%u/.envrc", i);
		cr_assert_eq(cagetest_file(&W, rel, ""), 0);
	}
	cr_assert_eq(cagetest_run(&W, dry, cmd, NULL, 30, &r), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(
	    strstr(r.out, "walk STOPPED at the bound on nested control paths"),
	    "%s", r.out);
	test_run_free(&r);
	cagetest_teardown(&W);
}

static bool exists(const char *rel)
{
	char path[700];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", W.ws, rel);
	return lstat(path, &st) == 0;
}

static void placeholders_after_sigkill(bool rootless)
{
	static const char *const ph[] = {".git", ".envrc", ".vscode", ".idea",
					 ".gitmodules"};
	char *cmd[] = {"sh", "-c", "touch ready; exec sleep 60", NULL};
	const int fds[3] = {-1, -1, -1};
	pid_t pid;
	int st;
	int left = 1;

	cr_assert_eq(cagetest_setup(&W, rootless), 0);
	cr_assert_eq(cagetest_spawn(&W, cmd, fds, &pid), 0);
	for (int i = 0; i < 200 && !exists("ready"); i++)
		nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
	cr_assert(exists("ready"), "the agent never started");
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(ph); i++)
		cr_assert(exists(ph[i]), "no placeholder %s during the run",
			  ph[i]);
	cr_assert_eq(kill(pid, SIGKILL), 0);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	/* The sentinel waits for the cage's end first; give a loaded
	 * machine up to 5 s. */
	for (int i = 0; i < 100 && left; i++) {
		left = 0;
		for (size_t k = 0; k < AKIOS_ARRAY_SIZE(ph); k++)
			left += exists(ph[k]);
		if (left)
			nanosleep(&(struct timespec){0, 50 * 1000 * 1000},
				  NULL);
	}
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(ph); i++)
		cr_assert(!exists(ph[i]), "placeholder %s survived", ph[i]);
	cr_assert(exists("ready")); /* the agent's own file stays */
	cagetest_teardown(&W);
}

Test(cage_controls, no_placeholder_survives_sigkill_root)
{
	placeholders_after_sigkill(false);
}
Test(cage_controls, no_placeholder_survives_sigkill_rootless)
{
	placeholders_after_sigkill(true);
}

/* Every process akios left (reparented to us, a child subreaper) and
 * every placeholder gone within 5 s. */
static void settle(const char *const *ph, size_t n)
{
	int left = 1;
	bool kids = true;

	for (int i = 0; i < 500 && (left || kids); i++) {
		int st;

		while (waitpid(-1, &st, WNOHANG) > 0)
			;
		kids = waitpid(-1, &st, WNOHANG) == 0;
		left = 0;
		for (size_t k = 0; k < n; k++)
			left += exists(ph[k]);
		if (left || kids)
			nanosleep(&(struct timespec){0, 10 * 1000 * 1000},
				  NULL);
	}
	cr_assert(!kids, "a process of akios survived its SIGKILL");
	for (size_t k = 0; k < n; k++)
		cr_assert(!exists(ph[k]), "placeholder %s survived", ph[k]);
}

static long elapsed_us(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000000L +
	       (t.tv_nsec - t0->tv_nsec) / 1000;
}

/* A run killed as soon as its first placeholder is seen (polled): whether
 * it was seen before the run ended. */
static bool kill_once_placed(char *const *cmd, const char *ph)
{
	const int fds[3] = {-1, -1, -1};
	bool seen = false;
	pid_t pid;
	int st;

	cr_assert_eq(cagetest_spawn(&W, cmd, fds, &pid), 0);
	while (!(seen = exists(ph)) && waitpid(pid, &st, WNOHANG) == 0)
		nanosleep(&(struct timespec){0, 50 * 1000}, NULL);
	if (seen) {
		cr_assert_eq(kill(pid, SIGKILL), 0);
		cr_assert_eq(waitpid(pid, &st, 0), pid);
	}
	return seen;
}

/* SIGKILL at every moment of a run, from 0 to 1.25 times its length
 * (timed first: sanitizer builds and loaded machines are slower): before
 * the sentinel exists, while it creates the placeholders, while the cage
 * is cloned and builds its view, while the agent runs: nothing is left.
 * The placeholders' window may be a small part of a run (a sanitizer
 * build's start and exit dominate it) that the timed kills miss on a
 * loaded machine: four more runs are killed right as it opens. */
Test(cage_controls, nothing_survives_sigkill_during_start)
{
	static const char *const ph[] = {".git", ".envrc", ".vscode", ".idea",
					 ".gitmodules"};
	char *cmd[] = {"/bin/true", NULL};
	const int fds[3] = {-1, -1, -1};
	struct timespec t0;
	unsigned hit = 0;
	long len;
	pid_t pid;
	int st;

	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	cr_assert_eq(cagetest_setup(&W, false), 0);
	expect(cmd, 0); /* the keys and the audit log exist from now on */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(cagetest_spawn(&W, cmd, fds, &pid), 0);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	len = elapsed_us(&t0);
	for (long i = 0; i <= 40; i++) {
		long us = len * i / 32;

		cr_assert_eq(cagetest_spawn(&W, cmd, fds, &pid), 0);
		nanosleep(&(struct timespec){us / 1000000, us % 1000000 * 1000},
			  NULL);
		hit += exists(ph[0]) || exists(ph[AKIOS_ARRAY_SIZE(ph) - 1]);
		cr_assert_eq(kill(pid, SIGKILL), 0);
		cr_assert_eq(waitpid(pid, &st, 0), pid);
		settle(ph, AKIOS_ARRAY_SIZE(ph));
	}
	for (int i = 0; i < 4; i++) {
		hit += kill_once_placed(cmd, ph[0]);
		settle(ph, AKIOS_ARRAY_SIZE(ph));
	}
	/* Some kills came while the placeholders existed. */
	cr_assert_gt(hit, 0, "run length %ld us", len);
	cagetest_teardown(&W);
}

static bool audit_has(const char *what)
{
	char *buf = cagetest_audit_text(&W);
	bool found;

	cr_assert_not_null(buf);
	found = strstr(buf, what) != NULL;
	free(buf);
	return found;
}

/* New control files below the top are not frozen (README): after the run
 * akios names them on stderr and in the audit log. */
Test(cage_controls, new_nested_control_files_reported_after_the_run)
{
	char *plant[] = {"sh", "-c",
			 "mkdir -p b x/.git/hooks && echo a > b/.envrc", NULL};
	char *quiet[] = {"sh", "-c", "mkdir -p c && echo a > c/notes", NULL};
	char want[700];
	struct test_run r;

	cr_assert_eq(cagetest_setup(&W, false), 0);
	cr_assert_eq(cagetest_run(&W, NULL, quiet, NULL, 30, &r), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_null(strstr(r.err, "control file"), "%s", r.err);
	test_run_free(&r);
	cr_assert_not(audit_has("cage.control_files"));
	cr_assert_eq(cagetest_run(&W, NULL, plant, NULL, 30, &r), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.err, "2 control file(s)"), "%s", r.err);
	snprintf(want, sizeof(want), "%s/b/.envrc\n", W.ws);
	cr_assert_not_null(strstr(r.err, want), "%s", r.err);
	snprintf(want, sizeof(want), "%s/x/.git\n", W.ws);
	cr_assert_not_null(strstr(r.err, want), "%s", r.err);
	test_run_free(&r);
	cr_assert(audit_has("cage.control_files"));
	cagetest_teardown(&W);
}
