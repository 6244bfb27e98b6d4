/* cgroup back-ends (supervisor/cage/cgroup*.c) for real, as root: limits
 * written, a fork bomb held at pids.max, a memory balloon OOM-killed and
 * reported, kill empties the cgroup, destroy removes it; the v2 path with
 * clone3(CLONE_INTO_CGROUP) and cgroup.kill where a writable cgroup2
 * exists; and the refusal of an unprivileged user without delegation. */
#include "shared/common.h"
#include "supervisor/cage/cgroup.h"
#include "supervisor/cage/cgroup_int.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static const struct cage_limits lim = {
    .memory_bytes = 64u << 20, .pids = 16, .cpu_percent = 50};

static struct cage_cgroup *create(const struct cage_limits *l, const char *tag)
{
	struct cage_cgroup *cg = NULL;
	struct akios_err err = {0};
	char id[64];

	snprintf(id, sizeof(id), "test-%s-%d", tag, (int)getpid());
	cr_assert_eq(cage_cgroup_create(l, id, &cg, &err), 0, "%s", err.msg);
	cr_assert_not_null(cg);
	return cg;
}

/* Forks a child that waits until it is in the cgroup, then runs fn. */
static pid_t spawn_in(struct cage_cgroup *cg, int (*fn)(void))
{
	int go[2];
	char c = 0;
	pid_t pid;

	/* Orphans of the run (the bomb's children, double-forked daemons)
	 * come back to this test, not to Criterion's runner. */
	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	cr_assert_eq(pipe2(go, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(100);
		_exit(fn());
	}
	close(go[0]);
	cr_assert_eq(cage_cgroup_attach(cg, pid), 0);
	cr_assert_eq(write(go[1], &c, 1), 1);
	close(go[1]);
	return pid;
}

static int wait_status(pid_t pid)
{
	int st;

	cr_assert_eq(waitpid(pid, &st, 0), pid);
	return st;
}

/* After a kill: collects every child left, orphans included. */
static void reap_all(void)
{
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
}

static bool gone(const char *path)
{
	struct stat st;

	return path[0] == '\0' || stat(path, &st) != 0;
}

/* Fails loudly (not a skip) when this host has no back-end for root. */
static void need_backend(void)
{
	char missing[64];

	cr_assert_eq(geteuid(), 0, "cgroup tests run as root");
	cr_assert_neq(cage_cgroup_detect(&lim, missing, sizeof(missing)),
		      CAGE_CGROUP_NONE, "no back-end for root: missing %s",
		      missing);
}

Test(harden_cgroup, limits_written_and_destroy_removes)
{
	struct cage_cgroup *cg;
	char buf[64], paths[CG_N + 1][AKIOS_MAX_PATH_BYTES];

	need_backend();
	cg = create(&lim, "lim");
	if (cage_cgroup_backend(cg) == CAGE_CGROUP_V1) {
		cr_assert_geq(cg_read(cg->v1[CG_MEMORY].fd,
				      "memory.limit_in_bytes", buf,
				      sizeof(buf)),
			      0);
		cr_assert_str_eq(buf, "67108864\n");
		cr_assert_geq(
		    cg_read(cg->v1[CG_PIDS].fd, "pids.max", buf, sizeof(buf)),
		    0);
		cr_assert_str_eq(buf, "16\n");
		cr_assert_geq(cg_read(cg->v1[CG_CPU].fd, "cpu.cfs_quota_us",
				      buf, sizeof(buf)),
			      0);
		cr_assert_str_eq(buf, "50000\n");
	} else {
		cr_assert_geq(cg_read(cg->v2.fd, "pids.max", buf, sizeof(buf)),
			      0);
		cr_assert_str_eq(buf, "16\n");
	}
	for (int c = 0; c < CG_N; c++)
		memcpy(paths[c], cg->v1[c].path, sizeof(paths[c]));
	memcpy(paths[CG_N], cg->v2.path, sizeof(paths[CG_N]));
	cr_assert_eq(cage_cgroup_count(cg), 0);
	cage_cgroup_destroy(cg);
	for (int c = 0; c <= CG_N; c++)
		cr_assert(gone(paths[c]), "%s left behind", paths[c]);
}

static int fork_bomb(void)
{
	int n = 0;

	for (int i = 0; i < 1000; i++) {
		pid_t p = fork();
		if (p < 0)
			return errno == EAGAIN && n < 16 ? 0 : 1;
		if (p == 0) {
			pause();
			_exit(0);
		}
		n++;
	}
	return 2; /* never stopped: not contained */
}

Test(harden_cgroup, fork_bomb_contained_and_killed, .timeout = 20)
{
	struct cage_cgroup *cg;
	struct cage_cgroup_stats s;
	pid_t pid;
	int st;

	need_backend();
	cg = create(&lim, "bomb");
	pid = spawn_in(cg, fork_bomb);
	st = wait_status(pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
	cr_assert_gt(cage_cgroup_count(cg), 0, "the bomb's children remain");
	cr_assert_eq(cage_cgroup_stats(cg, &s), 0);
	cr_assert(s.pids_max_hit);
	cr_assert_eq(cage_cgroup_kill(cg), 0);
	cr_assert_eq(cage_cgroup_count(cg), 0);
	reap_all();
	cage_cgroup_destroy(cg);
}

static int balloon(void)
{
	size_t size = 256u << 20;
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 1;
	for (size_t i = 0; i < size; i += 4096)
		p[i] = 1;
	return 2; /* survived: not contained */
}

Test(harden_cgroup, memory_balloon_oom_killed_and_reported, .timeout = 30)
{
	struct cage_cgroup *cg;
	struct cage_cgroup_stats s;
	int st;

	need_backend();
	cg = create(&lim, "oom");
	st = wait_status(spawn_in(cg, balloon));
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "status %#x", st);
	cr_assert_eq(cage_cgroup_stats(cg, &s), 0);
	cr_assert(s.oom_killed);
	cr_assert_geq(s.memory_peak, 48u << 20, "peak %llu",
		      (unsigned long long)s.memory_peak);
	cr_assert_leq(s.memory_peak, 64u << 20);
	/* Touching 256 MiB costs CPU; cpuacct (v1) or cpu.stat (v2) saw it. */
	if (cage_cgroup_backend(cg) == CAGE_CGROUP_V2 ||
	    cg->v1[CG_CPUACCT].fd >= 0)
		cr_assert_gt(s.cpu_usec, 0);
	cage_cgroup_destroy(cg);
}

static int sleepers(void)
{
	for (int i = 0; i < 4; i++) {
		pid_t p = fork();
		if (p == 0) {
			/* A double fork: the daemon is no child of ours. */
			if (fork() == 0)
				pause();
			pause();
			_exit(0);
		}
	}
	pause();
	return 0;
}

Test(harden_cgroup, kill_empties_including_daemons, .timeout = 20)
{
	struct cage_cgroup *cg;
	pid_t pid;
	int st;

	need_backend();
	cg = create(&lim, "kill");
	pid = spawn_in(cg, sleepers);
	for (int i = 0; i < 200 && cage_cgroup_count(cg) < 9; i++)
		usleep(5000);
	cr_assert_eq(cage_cgroup_count(cg), 9);
	cr_assert_eq(cage_cgroup_kill(cg), 0);
	cr_assert_eq(cage_cgroup_count(cg), 0);
	st = wait_status(pid);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	reap_all();
	cage_cgroup_destroy(cg);
}

static int v2_child(void)
{
	char buf[256];
	int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);

	if (n <= 0)
		return 1;
	buf[n] = '\0';
	/* The unified line names our run's cgroup. */
	return strstr(buf, "0::/") && strstr(buf, "/akios-test-v2-") ? 0 : 2;
}

/* No limits asked: any writable cgroup can hold and kill the run. Where
 * that is a cgroup2 (here: the controller-less /sys/fs/cgroup/unified)
 * the v2 path is exercised: clone3 into it, then cgroup.kill. */
Test(harden_cgroup, v2_clone_into_cgroup_and_cgroup_kill)
{
	struct cage_limits none = {0};
	struct clone_args a = {.flags = CLONE_INTO_CGROUP,
			       .exit_signal = SIGCHLD};
	struct cage_cgroup *cg;
	long pid;
	int st;

	cr_assert_eq(geteuid(), 0);
	cg = create(&none, "v2");
	if (cage_cgroup_backend(cg) != CAGE_CGROUP_V2) {
		/* A host without a writable cgroup2: the fd must say so. */
		cr_assert_eq(cage_cgroup_fd(cg), -1);
		cage_cgroup_destroy(cg);
		return;
	}
	a.cgroup = (uint64_t)cage_cgroup_fd(cg);
	pid = syscall(SYS_clone3, &a, sizeof(a));
	cr_assert_geq(pid, 0, "clone3: %s", strerror(errno));
	if (pid == 0)
		_exit(v2_child());
	st = wait_status((pid_t)pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%#x", st);
	pid = syscall(SYS_clone3, &a, sizeof(a));
	if (pid == 0) {
		pause();
		_exit(0);
	}
	cr_assert_eq(cage_cgroup_count(cg), 1);
	cr_assert_eq(cage_cgroup_kill(cg), 0);
	st = wait_status((pid_t)pid);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	/* Without clone3: attach moves a running process in. */
	pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	cr_assert_eq(cage_cgroup_attach(cg, (pid_t)pid), 0);
	cr_assert_eq(cage_cgroup_count(cg), 1);
	cr_assert_eq(cage_cgroup_kill(cg), 0);
	st = wait_status((pid_t)pid);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	cage_cgroup_destroy(cg);
}

static int unprivileged_child(void)
{
	struct cage_cgroup *cg = NULL;
	struct akios_err err = {0};
	char missing[64];

	if (setgid(65534) != 0 || setuid(65534) != 0)
		return 1;
	if (cage_cgroup_detect(&lim, missing, sizeof(missing)) !=
	    CAGE_CGROUP_NONE)
		return 0; /* delegated: the host grants it, nothing to refuse */
	if (strcmp(missing, "memory pids cpu") != 0)
		return 2;
	if (cage_cgroup_create(&lim, "nobody", &cg, &err) != -EOPNOTSUPP ||
	    cg != NULL || !strstr(err.msg, "memory pids cpu"))
		return 3;
	return 42;
}

Test(harden_cgroup, no_backend_refuses_required_limits)
{
	pid_t pid = fork();
	int st;

	if (pid == 0)
		_exit(unprivileged_child());
	st = wait_status(pid);
	cr_assert(WIFEXITED(st), "%#x", st);
	/* On this project's hosts nobody (65534) has no delegation. */
	cr_assert_eq(WEXITSTATUS(st), 42, "exit %d", WEXITSTATUS(st));
}

Test(harden_cgroup, bad_run_id_and_describe)
{
	struct cage_cgroup *cg = NULL;
	struct akios_err err = {0};
	struct akios_buf b;

	cr_assert_eq(cage_cgroup_create(&lim, "../x", &cg, &err), -EINVAL);
	cr_assert(strstr(err.msg, "bad run id"));
	akios_buf_init(&b, 4096);
	cr_assert_eq(cage_cgroup_describe(&lim, &b, true), 0);
	cr_assert(strstr(b.ptr, "\"pids\":16"), "%s", b.ptr);
	akios_buf_free(&b);
}
