/* The placeholder sentinel (placeholder.c) steps aside once its start
 * reply is out: SCHED_BATCH, so that its wake-up at the run's end does not
 * preempt akios's main thread; yet it is never starved, since akios waits
 * for it: with every CPU kept busy by tasks of normal priority, it still
 * removes what it made within a bound, and exits. Given the cage's pidfd
 * and go pipe at its start (an early cage), it sends the go byte itself
 * once the placeholders exist, never after a failure, and keeps them
 * until that process is gone when akios goes away without "e". */
#include "shared/common.h"
#include "supervisor/cage/run.h"
#include "tests/lib/cagetest.h"

#include <criterion/criterion.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#define MAX_HOGS 16

struct fixture {
	char dir[64];
	char file[96];
	char sub[96];
	struct cage_plan *plan;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A plan with two placeholders, a file and a directory, in a fresh
 * directory (neither exists yet). */
static void fixture_init(struct fixture *f)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/akios-sentinel-XXXXXX");
	cr_assert_not_null(mkdtemp(f->dir));
	snprintf(f->file, sizeof(f->file), "%s/.envrc", f->dir);
	snprintf(f->sub, sizeof(f->sub), "%s/.vscode", f->dir);
	f->plan = calloc(1, sizeof(*f->plan));
	cr_assert_not_null(f->plan);
	f->plan->mounts[0] = (struct cage_mount){
	    .flags = CAGE_MF_PLACEHOLDER, .dst = f->file, .why = "control"};
	f->plan->mounts[1] =
	    (struct cage_mount){.flags = CAGE_MF_PLACEHOLDER | CAGE_MF_DIR,
				.dst = f->sub,
				.why = "control"};
	f->plan->n_mounts = 2;
}

static void fixture_fini(struct fixture *f)
{
	(void)rmdir(f->dir);
	free(f->plan);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void start_with(struct fixture *f, struct cage_placeholders *ph,
		       int pidfd, int go_fd)
{
	struct akios_err err = {0};

	cr_assert_eq(
	    cage_placeholders_start(f->plan, NULL, 0, pidfd, go_fd, ph, &err),
	    0, "%s", err.msg);
	cr_assert_gt(ph->pid, 0);
	cr_assert_eq(cage_placeholders_wait(ph, f->plan, &err), 0, "%s",
		     err.msg);
	cr_assert(exists(f->file) && exists(f->sub));
}

static void start(struct fixture *f, struct cage_placeholders *ph)
{
	start_with(f, ph, -1, -1);
}

/* The sentinel's policy, once it has had the time to set it (it does so
 * right after its reply, which wait has read). */
static int policy_after_reply(pid_t pid)
{
	double end = now_s() + 5;
	int pol = sched_getscheduler(pid);

	while (pol != SCHED_BATCH && pol >= 0 && now_s() < end) {
		usleep(1000);
		pol = sched_getscheduler(pid);
	}
	return pol;
}

Test(cage_sentinel, batch_after_start_reply)
{
	struct fixture f;
	struct cage_placeholders ph;

	fixture_init(&f);
	start(&f, &ph);
	cr_assert_eq(policy_after_reply(ph.pid), SCHED_BATCH);
	/* akios's own thread keeps its policy: only the sentinel's. */
	cr_assert_eq(sched_getscheduler(0), SCHED_OTHER);
	cage_placeholders_over(&ph);
	cage_placeholders_remove(&ph);
	cr_assert(!exists(f.file) && !exists(f.sub));
	fixture_fini(&f);
}

static pid_t hog(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		volatile unsigned long n = 0;

		for (;;)
			n++;
	}
	return pid;
}

Test(cage_sentinel, not_starved_by_busy_cpus)
{
	struct fixture f;
	struct cage_placeholders ph;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	pid_t hogs[MAX_HOGS];
	int n = ncpu < 1 ? 1 : ncpu > MAX_HOGS ? MAX_HOGS : (int)ncpu;
	double t0;
	double took;

	fixture_init(&f);
	start(&f, &ph);
	cr_assert_eq(policy_after_reply(ph.pid), SCHED_BATCH);
	for (int i = 0; i < n; i++) {
		hogs[i] = hog();
		cr_assert_gt(hogs[i], 0);
	}
	usleep(20000); /* every CPU busy */
	t0 = now_s();
	cage_placeholders_over(&ph);
	cage_placeholders_remove(&ph);
	took = now_s() - t0;
	for (int i = 0; i < n; i++) {
		kill(hogs[i], SIGKILL);
		waitpid(hogs[i], NULL, 0);
	}
	cr_assert(!exists(f.file) && !exists(f.sub),
		  "the sentinel exited without removing its placeholders");
	cr_assert_lt(took, 3.0, "the sentinel took %.3f s", took);
	fixture_fini(&f);
}

static pid_t sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		pause();
		_exit(0);
	}
	cr_assert_gt(pid, 0);
	return pid;
}

/* The go byte comes from the sentinel (our write end is closed at once),
 * after the placeholders exist; the pidfd it got at its start keeps them
 * while that process lives, though akios's end closed without "e". */
Test(cage_sentinel, sends_go_and_keeps_pidfd)
{
	struct fixture f;
	struct cage_placeholders ph;
	int go[2];
	pid_t cage = sleeper();
	int pidfd = (int)syscall(SYS_pidfd_open, cage, 0);
	char byte = 0;

	cr_assert_geq(pidfd, 0);
	cr_assert_eq(pipe2(go, O_CLOEXEC), 0);
	fixture_init(&f);
	start_with(&f, &ph, pidfd, go[1]);
	close(go[1]);
	close(pidfd);
	cr_assert_eq(read(go[0], &byte, 1), 1);
	cr_assert_eq(byte, 'g');
	cr_assert_eq(read(go[0], &byte, 1), 0, "a second byte, or a copy left");
	cage_placeholders_release(&ph);
	usleep(100000);
	cr_assert(exists(f.file) && exists(f.sub),
		  "removed while the cage still ran");
	kill(cage, SIGKILL);
	waitpid(cage, NULL, 0);
	cage_placeholders_remove(&ph);
	cr_assert(!exists(f.file) && !exists(f.sub));
	close(go[0]);
	fixture_fini(&f);
}

/* A placeholder that cannot be made: no go byte (the pipe's end), the
 * error for that path, nothing left behind. */
Test(cage_sentinel, no_go_after_failure)
{
	struct fixture f;
	struct cage_placeholders ph;
	struct akios_err err = {0};
	char missing[128];
	int go[2];
	char byte;

	cr_assert_eq(pipe2(go, O_CLOEXEC), 0);
	fixture_init(&f);
	snprintf(missing, sizeof(missing), "%s/no/such", f.dir);
	f.plan->mounts[1].dst = missing;
	cr_assert_eq(
	    cage_placeholders_start(f.plan, NULL, 0, -1, go[1], &ph, &err), 0,
	    "%s", err.msg);
	close(go[1]);
	cr_assert_eq(read(go[0], &byte, 1), 0, "the cage got its go");
	cr_assert_eq(cage_placeholders_wait(&ph, f.plan, &err), -ENOENT);
	cr_assert_not_null(strstr(err.msg, missing), "%s", err.msg);
	cage_placeholders_remove(&ph);
	cr_assert(!exists(f.file));
	close(go[0]);
	fixture_fini(&f);
}

/* A placeholder that cannot be made (rootless, the workspace is root's):
 * the run stops with that reason; the cage never got its go and says
 * nothing of its own (the supervisor still held the go pipe when it
 * killed it: no "akios is gone"); the audit log has run.start and
 * run.end, as when the launch waited for the sentinel. */
Test(cage_sentinel, failed_placeholder_stops_the_run, .timeout = 60)
{
	struct cage_ws w;
	char *cmd[] = {"true", NULL};
	struct test_run r;
	char *log;

	cr_assert_eq(cagetest_setup(&w, true), 0);
	cr_assert_eq(chown(w.ws, 0, 0), 0);
	cr_assert_eq(chmod(w.ws, 0755), 0);
	cr_assert_eq(cagetest_run(&w, NULL, cmd, NULL, 30, &r), 0);
	cr_assert(!r.timed_out);
	cr_assert_eq(r.status, 125, "%d: %s", r.status, r.err);
	cr_assert_not_null(
	    strstr(r.err, "cannot create the read-only placeholder"), "%s",
	    r.err);
	cr_assert_null(strstr(r.err, "akios is gone"), "%s", r.err);
	log = cagetest_audit_text(&w);
	cr_assert_not_null(log);
	cr_assert_not_null(strstr(log, "run.start"));
	cr_assert_not_null(strstr(log, "run.end"));
	free(log);
	test_run_free(&r);
	cagetest_teardown(&w);
}
