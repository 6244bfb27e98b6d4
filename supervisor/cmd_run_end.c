/* The end of `akios run`: supervising the cage, the events that describe
 * how it ended (limits hit, kill-switch, resource usage), what the user
 * reads on stderr, and --no-sandbox (loud, audited, refused by strict
 * policies and signed-policy mode). */
#include "shared/common.h"
#include "shared/buf.h"
#include "shared/exitcodes.h"
#include "shared/json.h"
#include "shared/keys.h"
#include "supervisor/cli.h"
#include "supervisor/cmd_run_broker.h"
#include "supervisor/cmd_run_int.h"

#include <errno.h>
#include <sys/wait.h>

static const char *const end_names[] = {
    [CAGE_END_EXIT] = "exit",	      [CAGE_END_SIGNAL] = "signal",
    [CAGE_END_SETUP] = "setup_error", [CAGE_END_NOEXEC] = "exec_error",
    [CAGE_END_TIMEOUT] = "timeout",   [CAGE_END_LIMIT] = "memory_limit",
    [CAGE_END_ABORTED] = "aborted",
};

/* Control files below the top of a writable path that were writable
 * during the run (README "Control files stay read-only"): the agent may
 * have planted them for git, direnv or an editor. Said and recorded. */
static int control_check(struct run_state *s)
{
	struct akios_buf b;
	struct json *f;
	int n;
	int rc = 0;

	if (!s->plan.n_walked)
		return 0;
	akios_buf_init(&b, 64ul * 1024ul);
	n = cage_plan_unfrozen_controls(&s->plan, &b);
	if (n > 0 && b.ptr) {
		fprintf(stderr,
			"akios: warning: %d control file(s) below the top of "
			"a writable path were not read-only during the run "
			"(made by the agent, or beyond the walk's bounds); "
			"review them before git, direnv or an editor uses "
			"them:\n%s%s",
			n, b.ptr,
			n > CAGE_UNFROZEN_LISTED ? "(list cut)\n" : "");
		f = json_new_object();
		json_add_num(f, "count", n);
		json_add_str(f, "paths", b.ptr);
		rc = run_event(s, "cage.control_files", NULL, f);
	}
	akios_buf_free(&b);
	return rc;
}

static double tv_ms(struct timeval tv)
{
	return (double)tv.tv_sec * 1e3 + (double)tv.tv_usec / 1e3;
}

static struct json *end_fields(const struct cage_result *r)
{
	struct json *f = json_new_object();

	json_add_num(f, "exit_code", r->exit_code);
	json_add_str(f, "end", end_names[r->end]);
	json_add_num(f, "code", r->code);
	if (r->reason[0])
		json_add_str(f, "reason", r->reason);
	/* Microseconds: the figure the bench reads, printed short. */
	json_add_num(f, "wall_ms",
		     (double)(int64_t)(r->wall_ms * 1e3 + 0.5) / 1e3);
	/* Who measured the usage below: the cage's PID 1, for itself and
	 * every cage process it reaped ("reaper"), or akios's wait4 for
	 * PID 1 when the cage ended without that report ("wait4"). */
	json_add_str(f, "usage_from",
		     r->usage_from_reaper ? "reaper" : "wait4");
	json_add_num(f, "user_ms", tv_ms(r->ru.ru_utime));
	json_add_num(f, "sys_ms", tv_ms(r->ru.ru_stime));
	json_add_num(f, "max_rss_kb", (double)r->ru.ru_maxrss);
	json_add_num(f, "signals_forwarded", r->signals_forwarded);
	if (r->have_cg) {
		json_add_num(f, "memory_peak", (double)r->cg.memory_peak);
		json_add_num(f, "cpu_usec", (double)r->cg.cpu_usec);
		json_add_bool(f, "oom_killed", r->cg.oom_killed);
		json_add_bool(f, "pids_max_hit", r->cg.pids_max_hit);
	}
	return f;
}

static int limit_events(struct run_state *s, const struct cage_result *r)
{
	struct json *f;
	int rc = 0;

	if (r->end == CAGE_END_TIMEOUT || r->end == CAGE_END_LIMIT) {
		f = json_new_object();
		json_add_str(f, "reason", r->reason);
		rc = run_event(s,
			       r->end == CAGE_END_TIMEOUT ? "kill.timeout"
							  : "kill.memory",
			       "kill", f);
	}
	if (rc == 0 && r->have_cg && r->cg.pids_max_hit) {
		f = json_new_object();
		json_add_num(f, "pids", s->plan.limits.pids);
		rc = run_event(s, "limit.pids", "deny", f);
	}
	if (rc == 0 && r->end == CAGE_END_SETUP) {
		f = json_new_object();
		json_add_str(f, "reason", r->reason);
		rc = run_event(s, "cage.error", "deny", f);
	}
	return rc;
}

static void tell_user(const struct cage_result *r)
{
	switch (r->end) {
	case CAGE_END_SETUP:
		cli_error("run", "cage setup failed: %s", r->reason);
		break;
	case CAGE_END_NOEXEC:
		cli_error("run", "%s", r->reason);
		break;
	case CAGE_END_TIMEOUT:
	case CAGE_END_LIMIT:
		cli_error("run", "kill-switch: %s", r->reason);
		break;
	case CAGE_END_ABORTED:
		cli_error("run", "%s", r->reason);
		break;
	default:
		break;
	}
}

/* While the cage builds its view the supervisor would only wait: the
 * audit log is opened then (when run_audit_setup let it wait), run.start
 * is written and made durable (the fdatasync is ~0.5 ms on a disk), and
 * the checkpoint's signing key and context are made, so the end of the
 * run is shorter (a failure there is retried, and reported, by the
 * checkpoint itself). The agent cannot execute before: its first execve
 * (or, with a filter that does not trap exec, its listener handover)
 * waits for an answer from the run's loop, which starts after this; a
 * failure stops the cage (run_cage does all this before the cage when
 * nothing holds the agent so). */
static int launched(void *ctx, struct akios_err *err)
{
	struct run_state *s = ctx;

	if (!s->start_tried && run_log_start(s, err) != 0)
		return -EIO;
	if (s->log)
		(void)!audit_prepare_signing(s->log);
	return 0;
}

struct run_end {
	struct run_state *s;
	struct run_broker *rb;
	int exit_code;
};

/* The end of the run, written while the kernel tears the cage's
 * namespaces down (cage_run waits for that after this returns): the
 * events that say how it ended, then everything the run no longer needs
 * is closed and freed (the audit log's final checkpoint included). */
static void run_ended(void *ctx, const struct cage_result *r,
		      const struct akios_err *err)
{
	struct run_end *e = ctx;
	struct run_state *s = e->s;
	struct akios_err le = {0};
	int rc;

	if (err && err->msg[0])
		cli_error_err("run", err);
	/* The cage ended before launched: the record still starts with
	 * run.start. */
	if (!s->start_tried && run_log_start(s, &le) != 0 && le.msg[0])
		cli_error_err("run: audit", &le);
	run_broker_free(e->rb);
	tell_user(r);
	rc = limit_events(s, r);
	if (rc == 0)
		rc = control_check(s);
	if (run_event(s, "run.end", NULL, end_fields(r)) != 0 || rc != 0)
		e->exit_code = AKIOS_EXIT_INTERNAL;
	else
		e->exit_code = r->exit_code;
	run_state_release(s);
}

int run_cage(struct run_state *s)
{
	char keydir[PATH_MAX];
	/* The pool of spare placeholder directories may live in akios's
	 * own directories, which the plan hides from the view. */
	const char *spare_dirs[] = {
	    s->audit_dir,
	    keys_default_dir(keydir, sizeof(keydir)) == 0 ? keydir : NULL};
	struct cage_run_opts o = {
	    .plan = &s->plan,
	    .bpf = &s->bpf,
	    .use_pty = isatty(STDIN_FILENO) == 1,
	    .on_launched = launched,
	    .launched_ctx = s,
	    .on_ended = run_ended,
	    .spare_dirs = spare_dirs,
	    .n_spare_dirs = AKIOS_ARRAY_SIZE(spare_dirs),
	    /* akios run ends with the run (cmd_run: main returns). */
	    .exiting = true,
	};
	struct cage_result r;
	struct akios_err err = {0};
	struct run_broker rb;
	struct run_end end = {
	    .s = s, .rb = &rb, .exit_code = AKIOS_EXIT_INTERNAL};
	int rc = run_broker_prepare(s, &rb);

	if (rc == 0)
		rc = run_prepare(s);
	if (rc == 0 && s->plan.seccomp)
		run_broker_hook(&rb, &o);

	if (rc != 0) {
		struct json *f = run_start_fields(s);

		json_add_str(f, "reason", "setup failed");
		(void)!run_event(s, "run.refused", "deny", f);
		run_broker_free(&rb);
		return rc;
	}
	/* run.start comes after prepare, so the report says what is really
	 * enforced, and is durable before the agent can execute: written
	 * while the cage builds (launched), or here already when the agent
	 * would not wait for the supervisor before its exec. */
	if (!o.want_listener && run_log_start(s, &err) != 0) {
		cli_error_err("run: audit", &err);
		run_broker_free(&rb);
		return AKIOS_EXIT_INTERNAL;
	}
	o.cgroup = s->cgroup;
	o.early = s->early;
	o.ended_ctx = &end;
	(void)!cage_run(&o, &r, &err); /* run_ended has said it all */
	return end.exit_code;
}

static int spawn_bare(char **argv)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return AKIOS_EXIT_INTERNAL;
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(errno == ENOENT ? AKIOS_EXIT_NOTFOUND
				      : AKIOS_EXIT_NOEXEC);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return AKIOS_EXIT_INTERNAL;
	return WIFEXITED(st) ? WEXITSTATUS(st)
			     : AKIOS_EXIT_SIGNAL_BASE + WTERMSIG(st);
}

int run_no_sandbox(struct run_state *s)
{
	struct json *f;
	int rc;

	if (s->policy->security.sandbox == POLICY_SANDBOX_STRICT) {
		cli_error("run", "--no-sandbox is refused: the policy says "
				 "security.sandbox: strict");
		return AKIOS_EXIT_INTERNAL;
	}
	if (s->require_signed) {
		cli_error("run", "--no-sandbox is refused when signed "
				 "policies are required");
		return AKIOS_EXIT_INTERNAL;
	}
	rc = run_audit_setup(s, false);
	if (rc != 0)
		return rc;
	fprintf(stderr,
		"akios: WARNING: --no-sandbox: %s runs WITHOUT the cage: no "
		"namespaces, no filesystem view, no seccomp, no limits. "
		"This is recorded in the audit log.\n",
		s->argv[0]);
	if (run_event(s, "run.no_sandbox", "allow", run_start_fields(s)))
		return AKIOS_EXIT_INTERNAL;
	rc = spawn_bare(s->argv);
	f = json_new_object();
	json_add_num(f, "exit_code", rc);
	json_add_str(f, "end", "no_sandbox");
	return run_event(s, "run.end", NULL, f) ? AKIOS_EXIT_INTERNAL : rc;
}

void run_state_release(struct run_state *s)
{
	struct akios_err err = {0};

	cage_bpf_free(&s->bpf);
	if (s->have_plan)
		cage_plan_free(&s->plan);
	s->have_plan = false;
	if (s->log && audit_close(s->log, &err) != 0) {
		cli_error_err("run: audit", &err);
		s->close_failed = true; /* an unsigned log is not a success */
	}
	s->log = NULL;
	policy_free(s->policy);
	s->policy = NULL;
}

int run_state_free(struct run_state *s)
{
	/* The cage first (an early one that no run took), then the
	 * cgroup: its directory goes only once empty, and the cage is gone
	 * by now (cage_run waited for it). */
	cage_early_free(s->early);
	s->early = NULL;
	if (s->cgroup)
		cage_cgroup_destroy(s->cgroup);
	s->cgroup = NULL;
	run_state_release(s);
	free(s->argv);
	s->argv = NULL;
	return s->close_failed ? AKIOS_EXIT_INTERNAL : 0;
}
