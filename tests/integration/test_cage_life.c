/* The lifecycle contract of `akios run` (DESIGN.md §4): exit codes (the
 * agent's, 128+signal, 125, 126, 127, 124 for the kill-switch), signals
 * forwarded to the agent, no process left after SIGKILL to akios, and the
 * limits: a fork bomb and a memory balloon are contained and reported,
 * the wall-clock timeout kills. */
#include "shared/common.h"
#include "tests/lib/cagetest.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>

static struct cage_ws W;

static int run_status(char *const cmd[], struct test_run *r)
{
	cr_assert_eq(cagetest_run(&W, NULL, cmd, NULL, 30, r), 0);
	cr_assert(!r->timed_out);
	return r->status;
}

static void exit_codes(bool rootless)
{
	char *e3[] = {"sh", "-c", "exit 3", NULL};
	char *sig[] = {"sh", "-c", "kill -TERM $$", NULL};
	char *nf[] = {"no-such-program-akios", NULL};
	char *nx[] = {"/etc/hosts", NULL};
	struct test_run r;

	cr_assert_eq(cagetest_setup(&W, rootless), 0);
	cr_assert_eq(run_status(e3, &r), 3, "%s", r.err);
	test_run_free(&r);
	cr_assert_eq(run_status(sig, &r), 128 + SIGTERM, "%s", r.err);
	test_run_free(&r);
	cr_assert_eq(run_status(nf, &r), 127, "%s", r.err);
	cr_assert_not_null(strstr(r.err, "no-such-program-akios"));
	test_run_free(&r);
	cr_assert_eq(run_status(nx, &r), 126, "%s", r.err);
	test_run_free(&r);
	cagetest_teardown(&W);
}

Test(cage_life, exit_codes_root)
{
	exit_codes(false);
}
Test(cage_life, exit_codes_rootless)
{
	exit_codes(true);
}

Test(cage_life, setup_error_is_125)
{
	char *cmd[] = {"true", NULL};
	struct test_run r;

	cr_assert_eq(cagetest_setup(&W, false), 0);
	cr_assert_eq(cagetest_policy(&W, "version: 1\nname: x\nbogus: 1\n"), 0);
	cr_assert_eq(run_status(cmd, &r), 125);
	test_run_free(&r);
	cagetest_teardown(&W);
}

static bool wait_for_file(const char *path, double sec)
{
	struct timespec ts = {0, 20 * 1000 * 1000};

	for (double t = 0; t < sec; t += 0.02) {
		if (access(path, F_OK) == 0)
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

Test(cage_life, signals_are_forwarded)
{
	char *cmd[] = {"sh", "-c",
		       "trap 'exit 42' USR1; touch ready; "
		       "while :; do sleep 0.05; done",
		       NULL};
	const int fds[3] = {-1, -1, -1};
	char ready[700];
	pid_t pid;
	int st;

	cr_assert_eq(cagetest_setup(&W, false), 0);
	snprintf(ready, sizeof(ready), "%s/ready", W.ws);
	cr_assert_eq(cagetest_spawn(&W, cmd, fds, &pid), 0);
	cr_assert(wait_for_file(ready, 10));
	/* env(1) execs akios: pid is akios itself. */
	cr_assert_eq(kill(pid, SIGUSR1), 0);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st));
	cr_assert_eq(WEXITSTATUS(st), 42);
	cagetest_teardown(&W);
}

/* Any process on the host whose command line contains tag? */
static bool process_with(const char *tag)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	bool found = false;

	while (d && !found && (e = readdir(d)) != NULL) {
		char path[300];
		char buf[4096];
		ssize_t n;
		int fd;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		for (ssize_t i = 0; i < n; i++)
			if (!buf[i])
				buf[i] = ' ';
		buf[n > 0 ? n : 0] = '\0';
		found = strstr(buf, tag) && !strstr(buf, "akios");
	}
	if (d)
		closedir(d);
	return found;
}

Test(cage_life, nothing_survives_sigkill_of_akios)
{
	char *cmd[] = {"sh", "-c",
		       "(setsid sh -c 'sleep 4711 & sleep 4712' &) ; "
		       "sleep 4713 & touch ready; wait",
		       NULL};
	const int fds[3] = {-1, -1, -1};
	char ready[700];
	struct timespec ts = {0, 300 * 1000 * 1000};
	pid_t pid;
	int st;

	cr_assert_eq(cagetest_setup(&W, false), 0);
	snprintf(ready, sizeof(ready), "%s/ready", W.ws);
	cr_assert_eq(cagetest_spawn(&W, cmd, fds, &pid), 0);
	cr_assert(wait_for_file(ready, 10));
	nanosleep(&ts, NULL);
	cr_assert(process_with("sleep 4711"), "the daemon never started");
	cr_assert_eq(kill(pid, SIGKILL), 0);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	/* The kernel kills the namespace as its init dies; give a loaded
	 * machine up to 5 s to schedule the deaths. */
	for (int i = 0; i < 50 && process_with("sleep 471"); i++)
		nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
	cr_assert(!process_with("sleep 4711"), "a daemon survived");
	cr_assert(!process_with("sleep 4712"));
	cr_assert(!process_with("sleep 4713"));
	cagetest_teardown(&W);
}

static const char limits_policy[] =
    "version: 1\nname: limits\nfilesystem:\n  allow:\n"
    "    - path: \"${CWD}\"\n      mode: rw\n"
    "limits:\n  memory_mb: 64\n  pids: 24\n  wall_timeout_sec: 2\n";

static char *audit_log(void)
{
	char *buf = cagetest_audit_text(&W);

	cr_assert_not_null(buf);
	return buf;
}

Test(cage_life, fork_bomb_contained_and_reported)
{
	char *cmd[] = {"bash", "-c", "f(){ f|f& }; f 2>/dev/null; sleep 1",
		       NULL};
	struct test_run r;
	char *log;

	cr_assert_eq(cagetest_setup(&W, false), 0);
	cr_assert_eq(cagetest_policy(&W, limits_policy), 0);
	run_status(cmd, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	test_run_free(&r);
	log = audit_log();
	cr_assert(strstr(log, "\"limit.pids\"") || strstr(log, "RLIMIT_NPROC"),
		  "not reported: %s", log);
	free(log);
	cr_assert(!process_with("f|f"));
	cagetest_teardown(&W);
}

static void balloon(bool rootless)
{
	char *cmd[] = {"python3", "-c",
		       "b = bytearray(256 * 1024 * 1024); print('fit')", NULL};
	struct test_run r;
	char *log;

	cr_assert_eq(cagetest_setup(&W, rootless), 0);
	cr_assert_eq(cagetest_policy(&W, limits_policy), 0);
	run_status(cmd, &r);
	cr_assert_null(strstr(r.out, "fit"));
	cr_assert_neq(r.status, 0);
	log = audit_log();
	/* cgroup: killed (124, kill.memory); rlimit fallback: MemoryError,
	 * with the approximation named in the enforcement report. */
	if (r.status == 124)
		cr_assert_not_null(strstr(log, "\"kill.memory\""));
	else
		cr_assert_not_null(strstr(log, "RLIMIT_AS"), "%s", log);
	free(log);
	test_run_free(&r);
	cagetest_teardown(&W);
}

Test(cage_life, memory_balloon_contained_root)
{
	balloon(false);
}
Test(cage_life, memory_balloon_contained_rootless)
{
	balloon(true);
}

Test(cage_life, wall_timeout_is_killswitch)
{
	char *cmd[] = {"sleep", "30", NULL};
	struct test_run r;
	char *log;

	cr_assert_eq(cagetest_setup(&W, false), 0);
	cr_assert_eq(cagetest_policy(&W, limits_policy), 0);
	cr_assert_eq(run_status(cmd, &r), 124, "%s", r.err);
	cr_assert_not_null(strstr(r.err, "timeout"));
	test_run_free(&r);
	log = audit_log();
	cr_assert_not_null(strstr(log, "\"kill.timeout\""));
	free(log);
	cagetest_teardown(&W);
}

/* run.end's "<name>":<number> (the first), or -1. */
static double end_field(const char *log, const char *name)
{
	const char *end = strstr(log, "\"type\":\"run.end\"");
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "\"%s\":", name);
	p = end ? strstr(end, key) : NULL;
	return p ? strtod(p + strlen(key), NULL) : -1;
}

/* When the agent ends, the cage's PID 1 kills and reaps what is left (a
 * double-forked daemon included) before it reports, so nothing of the
 * cage is left once akios returns; run.end's usage is the reaper's, and
 * it counts an orphan's CPU time (a busy loop that ran 0.3 s, reaped by
 * PID 1 before the agent's end). */
Test(cage_life, agent_end_reaps_all_and_reports_usage)
{
	char *cmd[] = {"sh", "-c",
		       "(timeout 0.3 sh -c 'while :; do :; done' &) ; "
		       "(setsid sleep 4714 &) ; sleep 0.8; exit 7",
		       NULL};
	struct test_run r;
	char *log;

	cr_assert_eq(cagetest_setup(&W, false), 0);
	cr_assert_eq(run_status(cmd, &r), 7, "%s", r.err);
	test_run_free(&r);
	cr_assert(!process_with("sleep 4714"), "a daemon survived the run");
	log = audit_log();
	cr_assert_not_null(strstr(log, "\"usage_from\":\"reaper\""), "%s", log);
	cr_assert_eq(end_field(log, "exit_code"), 7);
	/* 0.3 s of a busy loop: at least 60 ms of CPU on a loaded machine. */
	cr_assert_geq(end_field(log, "user_ms") + end_field(log, "sys_ms"), 60,
		      "%s", log);
	free(log);
	cagetest_teardown(&W);
}
