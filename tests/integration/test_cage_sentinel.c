/* The placeholder sentinel (placeholder.c) steps aside once its start
 * reply is out: SCHED_BATCH, so that its wake-up at the run's end does not
 * preempt akios's main thread; yet it is never starved, since akios waits
 * for it: with every CPU kept busy by tasks of normal priority, it still
 * removes what it made within a bound, and exits. */
#include "shared/common.h"
#include "supervisor/cage/run.h"

#include <criterion/criterion.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
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

static void start(struct fixture *f, struct cage_placeholders *ph)
{
	struct akios_err err = {0};

	cr_assert_eq(cage_placeholders_start(f->plan, NULL, 0, ph, &err), 0,
		     "%s", err.msg);
	cr_assert_gt(ph->pid, 0);
	cr_assert_eq(cage_placeholders_wait(ph, f->plan, &err), 0, "%s",
		     err.msg);
	cr_assert(exists(f->file) && exists(f->sub));
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
