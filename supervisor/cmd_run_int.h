/* Shared by the cmd_run*.c files only: the state of one `akios run`. */
#ifndef AKIOS_CMD_RUN_INT_H
#define AKIOS_CMD_RUN_INT_H

#include "shared/common.h"
#include "policy/policy.h"
#include "shared/audit/audit.h"
#include "supervisor/cage/cgroup.h"
#include "supervisor/cage/plan.h"
#include "supervisor/cage/probe.h"
#include "supervisor/cage/run.h"
#include "supervisor/cage/seccomp.h"

#include <limits.h>
#include <stdbool.h>

struct run_state {
	char **argv;		 /* the agent command (NULL-ended, borrowed
				    strings) */
	const char *policy_path; /* NULL: the embedded default */
	const char *audit_dir_opt;
	unsigned degrade; /* --allow-degraded */
	bool require_signed;
	struct akios_policy *policy;
	struct cage_probe probe;
	struct cage_plan plan;
	bool have_plan;
	char audit_dir[PATH_MAX];
	char run_id[33];       /* the audit log's and the cgroup's */
	struct audit_log *log; /* NULL until opened (run_audit_setup) */
	bool start_tried;      /* run_log_start was called */
	bool open_failed;      /* audit_open failed (and said why) */
	struct cage_cgroup *cgroup;
	struct cage_bpf bpf;
	bool close_failed; /* audit_close failed: the run exits 125 */
	/* The cage's PID 1, cloned at once for a real run (it waits for
	 * the plan); NULL: none (cage_run then clones it). */
	struct cage_early *early;
};

/* The audit directory and the run id; the log is opened now unless
 * may_wait and opening it later creates nothing the plan must hide:
 * then at its first use, normally run_log_start while the cage builds
 * its view. Returns 0 or an exit code (the error printed). */
int run_audit_setup(struct run_state *s, bool may_wait) AKIOS_NODISCARD;
/* run.start (and cage.degraded), opening the log if it waited, then
 * committed: 0 once durable, else -errno with err set. */
int run_log_start(struct run_state *s, struct akios_err *err) AKIOS_NODISCARD;
/* full_probe: the whole kernel probe (--dry-run), else the quick one. */
int run_build_plan(struct run_state *s, bool full_probe) AKIOS_NODISCARD;
int run_cage(struct run_state *s) AKIOS_NODISCARD;
int run_no_sandbox(struct run_state *s) AKIOS_NODISCARD;
void run_audit_refusal(struct run_state *s);
/* Fields of run.start: argv, policy name/source/hash, the report. */
struct json *run_start_fields(struct run_state *s);
/* The seccomp program and the cgroup. Returns 0
 * or the exit code to stop with. */
int run_prepare(struct run_state *s) AKIOS_NODISCARD;
/* Appends one event (opening the log if it waited) and commits (durable
 * on return 0); an audit failure is reported and returned. Takes
 * fields. */
int run_event(struct run_state *s, const char *type, const char *decision,
	      struct json *fields) AKIOS_NODISCARD;
/* Frees what the end of a run no longer needs (the seccomp program, the
 * plan, the policy) and closes the audit log (its signed checkpoint);
 * idempotent. The cage's end calls it while the kernel tears the cage
 * down; run_state_free calls it too. A log that cannot be closed (e.g.
 * the checkpoint cannot be signed) sets close_failed. */
void run_state_release(struct run_state *s);
/* Everything: an early cage (killed and reaped unless cage_run took
 * it), the cgroup (the cage must be gone), then as above; 0, or
 * the exit code when the audit log could not be closed. */
int run_state_free(struct run_state *s) AKIOS_NODISCARD;

#endif
