/* Supervising one cage run: the loop watches the signalfd (forwarded to
 * the agent), the status socket (run_status.c: setup errors, readiness,
 * the listener fd, the agent's end), the reaper's pidfd (the end of the cage), an optional
 * wall-clock timerfd and the pty. It stops at the agent's end (the reaper
 * has killed and reaped the rest) or the reaper's; on_ended then runs
 * while the kernel tears the namespaces down. Invariant: when cage_run
 * returns, the reaper has been waited for, so the kernel has killed every
 * process of the cage's pid namespace; the terminal and signal mask are
 * restored. */
#include "shared/common.h"
#include "shared/exitcodes.h"
#include "shared/limits.h"
#include "supervisor/cage/cage_int.h"
#include "supervisor/cage/pty.h"
#include "supervisor/cage/run.h"
#include "supervisor/cage/run_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>

static const int forwarded[] = {SIGINT,	 SIGTERM, SIGHUP,  SIGQUIT,
				SIGUSR1, SIGUSR2, SIGWINCH};

static void kill_cage(struct run_ctx *c)
{
	if (c->o->cgroup)
		(void)!cage_cgroup_kill(c->o->cgroup);
	if (c->l.pidfd >= 0)
		(void)syscall(SYS_pidfd_send_signal, c->l.pidfd, SIGKILL, NULL,
			      0);
}

static int on_signal(struct cage_loop *loop, int fd, uint32_t ev, void *ctx)
{
	struct run_ctx *c = ctx;
	struct signalfd_siginfo si;

	(void)loop;
	(void)ev;
	if (read(fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return 0;
	if ((int)si.ssi_signo == SIGWINCH && c->have_pty) {
		cage_pty_resize(&c->pty);
		return 0;
	}
	/* Forwarded once the agent is ready (its pidfd may be open since
	 * its listener came): before, the signal stops the cage. */
	if (c->agent_pidfd >= 0 && c->r->started) {
		(void)syscall(SYS_pidfd_send_signal, c->agent_pidfd,
			      (int)si.ssi_signo, NULL, 0);
		c->r->signals_forwarded++;
		return 0;
	}
	if ((int)si.ssi_signo == SIGWINCH)
		return 0;
	/* Nothing to forward to yet: stop the cage as the signal asks. */
	c->aborted = true;
	c->r->code = (int)si.ssi_signo;
	kill_cage(c);
	return 0;
}

static int on_timer(struct cage_loop *loop, int fd, uint32_t ev, void *ctx)
{
	struct run_ctx *c = ctx;
	uint64_t n;

	(void)ev;
	(void)!read(fd, &n, sizeof(n));
	c->timed_out = true;
	kill_cage(c);
	cage_loop_del(loop, fd);
	return 0;
}

static int on_status(struct cage_loop *loop, int fd, uint32_t ev, void *ctx)
{
	struct run_ctx *c = ctx;

	if (ev & (EPOLLHUP | EPOLLERR)) {
		int rc = run_read_status(c, 0);

		cage_loop_del(loop, fd);
		return rc;
	}
	return run_read_status(c, 0);
}

static int on_reaper(struct cage_loop *loop, int fd, uint32_t ev, void *ctx)
{
	struct run_ctx *c = ctx;

	(void)ev;
	cage_loop_del(loop, fd);
	cage_loop_stop(loop);
	return run_read_status(c, 0);
}

static int watch(struct run_ctx *c)
{
	unsigned t = c->o->plan->wall_timeout_sec;
	int rc = cage_loop_add(c->loop, c->sigfd, EPOLLIN, on_signal, c);

	if (rc == 0)
		rc = cage_loop_add(c->loop, c->l.status_fd, EPOLLIN, on_status,
				   c);
	if (rc == 0)
		rc = cage_loop_add(c->loop, c->l.pidfd, EPOLLIN, on_reaper, c);
	if (rc == 0 && t) {
		struct itimerspec its = {.it_value = {.tv_sec = (time_t)t}};

		c->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
		if (c->timerfd < 0 ||
		    timerfd_settime(c->timerfd, 0, &its, NULL) != 0)
			return -errno;
		rc = cage_loop_add(c->loop, c->timerfd, EPOLLIN, on_timer, c);
	}
	return rc;
}

static void classify(struct run_ctx *c)
{
	struct cage_result *r = c->r;
	bool killed9 = c->got_exit && c->exit_kind == 's' && r->code == SIGKILL;

	if (c->timed_out) {
		r->end = CAGE_END_TIMEOUT;
		snprintf(r->reason, sizeof(r->reason),
			 "wall-clock timeout of %u s reached",
			 c->o->plan->wall_timeout_sec);
	} else if (killed9 && r->have_cg && r->cg.oom_killed) {
		r->end = CAGE_END_LIMIT;
		snprintf(r->reason, sizeof(r->reason),
			 "killed by the memory limit");
	} else if (r->end == CAGE_END_NOEXEC) {
		return;
	} else if (c->setup_err && !r->started) {
		/* The agent's own setup (Landlock, caps, seccomp) failed: it
		 * said why, then exited 125 to its reaper. */
		r->end = CAGE_END_SETUP;
	} else if (c->got_exit) {
		r->end = c->exit_kind == 's' ? CAGE_END_SIGNAL : CAGE_END_EXIT;
	} else {
		r->end = CAGE_END_ABORTED;
		if (!r->reason[0])
			snprintf(r->reason, sizeof(r->reason), "%s",
				 c->aborted ? "stopped by a signal before the "
					      "agent started"
				 : c->l.pid <= 0
				     ? "the cage was not started"
				     : "the cage ended without a status");
	}
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int prepare(struct run_ctx *c, sigset_t *old, struct akios_err *err)
{
	sigset_t set;
	int rc;

	sigemptyset(&set);
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(forwarded); i++)
		sigaddset(&set, forwarded[i]);
	if (sigprocmask(SIG_BLOCK, &set, old) != 0)
		return -errno;
	c->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (c->sigfd < 0)
		return -errno;
	if (c->o->use_pty) {
		cage_pty_init(&c->pty, STDIN_FILENO, STDOUT_FILENO);
		c->have_pty = true;
	}
	rc = cage_loop_new(&c->loop);
	if (rc != 0)
		akios_err_set(err, NULL, 0, 0,
			      "cannot set up the event loop: %s",
			      strerror(-rc));
	return rc;
}

/* Before the cage goes on: the placeholders it binds exist (the sentinel
 * made them while we cloned), and the sentinel holds the cage's pidfd.
 * With an early cage the sentinel is cloned only now, once the plan is
 * published, while PID 1 builds its view: it keeps its copy of the
 * pidfd from the clone and sends the go itself once they exist (1: the
 * launch does not), so that neither our wake-up for its reply nor our
 * own start of the run (on_launched: the audit log, run.start) is on the
 * cage's path; its reply is read after that (placeholders_made). */
static int placeholders_ready(void *ctx, int pidfd, int go_fd,
			      struct akios_err *err)
{
	struct run_ctx *c = ctx;
	int rc;

	if (c->l.early) {
		rc = cage_placeholders_start(c->o->plan, c->o->spare_dirs,
					     c->o->n_spare_dirs, pidfd, go_fd,
					     &c->ph, err);
		if (rc != 0 || c->ph.pid <= 0)
			return rc;
		c->go_hold = fcntl(go_fd, F_DUPFD_CLOEXEC, 0);
		return c->go_hold >= 0 ? 1 : -errno;
	}
	rc = cage_placeholders_wait(&c->ph, c->o->plan, err);
	if (rc == 0)
		cage_placeholders_watch(&c->ph, pidfd);
	return rc;
}

/* The early sentinel's reply (placeholders_ready), before the loop: on
 * a failure the cage never got its go (it is killed with the run), and
 * err names the placeholder, as when the launch waited for it. */
static int placeholders_made(struct run_ctx *c, struct akios_err *err)
{
	return c->l.early ? cage_placeholders_wait(&c->ph, c->o->plan, err) : 0;
}

static int start(struct run_ctx *c, struct akios_err *err)
{
	char **envp = calloc(CAGE_MAX_ENV + 1, sizeof(*envp));
	struct cage_launch_opts lo = {
	    .plan = c->o->plan,
	    .envp = envp,
	    .cgroup = c->o->cgroup,
	    .bpf = c->o->plan->seccomp ? c->o->bpf : NULL,
	    .want_listener = c->o->want_listener,
	    .want_relay = c->o->on_relay != NULL,
	    .pty = c->have_pty ? &c->pty.modes : NULL,
	    .before_go = placeholders_ready,
	    .go_ctx = c,
	};
	int rc;

	if (!envp)
		return -ENOMEM;
	/* Such a filter holds the agent's first execve until the listener's
	 * owner answers it (agent.c: hand_over_listener): someone must. */
	c->early_listener = lo.bpf && lo.bpf->traps_exec && lo.want_listener;
	if (c->early_listener && !c->o->on_listener) {
		free(envp);
		akios_err_set(err, NULL, 0, 0,
			      "the seccomp filter traps exec: a listener hook "
			      "must answer it");
		return -EINVAL;
	}
	rc = cage_plan_env_materialize(c->o->plan, envp, CAGE_MAX_ENV + 1, err);
	/* PID 1 shares our memory and reads envp up to the agent's exec,
	 * then wipes it; we wipe and free it once PID 1 is reaped. */
	c->envp = envp;
	if (rc == 0)
		rc = cage_launch(&lo, &c->l, err);
	if (rc == 0 && c->have_pty)
		(void)!cage_pty_raw(&c->pty);
	return rc;
}

/* The caller's hook while the cage builds; on failure (its err says why)
 * the cage is stopped before the agent's exec. */
static int launched(struct run_ctx *c, struct akios_err *err)
{
	static const char why[] = "the agent was not started";
	struct akios_err e = {0};
	int rc = c->o->on_launched(c->o->launched_ctx, &e);

	if (rc == 0)
		return 0;
	run_add_reason(c, why, sizeof(why) - 1);
	if (err)
		*err = e;
	return rc;
}

/* Waits for the reaper (the cage's PID 1): once it is reaped, its
 * namespaces are gone with every process in them. Its rusage is the
 * cage's unless the exit message brought one (the same figures, less
 * PID 1's last instants). */
static void reap(struct run_ctx *c)
{
	struct rusage ru;
	int st;

	if (c->reaped || c->l.pid <= 0)
		return;
	while (wait4(c->l.pid, &st, 0, &ru) < 0 && errno == EINTR)
		;
	c->reaped = true;
	if (!c->have_usage)
		c->r->ru = ru;
	run_read_status(c, 0);
}

/* The outcome, once nothing of the cage runs: the agent's end and usage,
 * the pty's last output, the cgroup's figures. The sentinel may remove
 * the placeholders as soon as the reaper is gone. */
static void conclude(struct run_ctx *c, double t0)
{
	/* PID 1 sends its exit report only once it has killed and reaped
	 * every other process of the cage: the placeholders may go now,
	 * while its own exit (the namespaces' teardown) and the end of the
	 * run go on; the sentinel otherwise waits for PID 1's end. */
	if (c->got_exit && c->exit_from_pid1)
		cage_placeholders_over(&c->ph);
	if (!c->have_usage)
		reap(c);
	if (c->have_pty) {
		cage_pty_drain(&c->pty);
		cage_pty_close(&c->pty);
	}
	if (c->o->cgroup)
		c->r->have_cg = cage_cgroup_stats(c->o->cgroup, &c->r->cg) == 0;
	cage_placeholders_release(&c->ph);
	c->r->wall_ms = now_ms() - t0;
	c->r->usage_from_reaper = c->have_usage;
	classify(c);
	c->r->exit_code = cage_exit_code(c->r, c->aborted);
}

static void finish(struct run_ctx *c, const sigset_t *old)
{
	bool leave;

	reap(c);
	/* With PID 1 reaped, nothing runs on the cage's memory any more. */
	leave = c->o->exiting && c->reaped;
	if (!leave)
		cage_launch_free(&c->l);
	else
		cage_launch_end_threads(&c->l);
	if (c->envp) {
		cage_plan_env_wipe(c->envp);
		free(c->envp);
	}
	if (leave)
		cage_placeholders_reap(&c->ph);
	else
		cage_placeholders_remove(&c->ph);
	const int fds[] = {c->sigfd,	   c->timerfd, c->agent_pidfd,
			   c->listener_fd, c->go_hold, c->l.pidfd,
			   c->l.status_fd};

	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	cage_loop_free(c->loop);
	(void)sigprocmask(SIG_SETMASK, old, NULL);
}

int cage_run(const struct cage_run_opts *o, struct cage_result *r,
	     struct akios_err *err)
{
	struct run_ctx c = {.o = o,
			    .r = r,
			    .sigfd = -1,
			    .timerfd = -1,
			    .agent_pidfd = -1,
			    .listener_fd = -1,
			    .go_hold = -1,
			    .ph = {.pid = -1, .fd = -1},
			    .l = {.pid = -1, .pidfd = -1, .status_fd = -1}};
	double t0 = now_ms();
	sigset_t old;
	int rc;

	/* The parked threads start while the rest is set up, unless an
	 * early cage waits already. */
	if (cage_launch_adopt(&c.l, o->early) != 0)
		(void)cage_launch_prepare(&c.l);
	memset(r, 0, sizeof(*r));
	sigemptyset(&old);
	rc = prepare(&c, &old, err);
	if (rc == 0 && !c.l.early)
		rc = cage_placeholders_start(o->plan, o->spare_dirs,
					     o->n_spare_dirs, -1, -1, &c.ph,
					     err);
	if (rc == 0)
		rc = start(&c, err);
	if (rc == 0 && o->on_launched)
		rc = launched(&c, err);
	if (rc == 0)
		rc = placeholders_made(&c, err);
	if (rc == 0)
		rc = watch(&c);
	if (rc == 0)
		rc = cage_loop_run(c.loop);
	c.draining = true;
	if (rc != 0 && err && !err->msg[0])
		akios_err_set(err, NULL, 0, 0, "supervising the cage: %s",
			      strerror(-rc));
	if (rc != 0)
		kill_cage(&c);
	conclude(&c, t0);
	/* The caller's end of the run overlaps the kernel's teardown of the
	 * cage's namespaces, which the reaper's exit started. */
	if (o->on_ended)
		o->on_ended(o->ended_ctx, r, err);
	finish(&c, &old);
	return rc;
}
