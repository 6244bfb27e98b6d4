/* supervisor/cage/run.h — applying a plan: start the cage, supervise it
 * (signals forwarded, pty relayed, wall-clock timeout, status from the
 * child), and report how it ended. The caller (akios run) owns the policy,
 * the audit log and the cgroup; this module owns the processes and
 * guarantees that none survives cage_run's return. */
#ifndef AKIOS_CAGE_RUN_H
#define AKIOS_CAGE_RUN_H

#include "shared/common.h"
#include "shared/err.h"
#include "shared/limits.h"
#include "supervisor/cage/cgroup.h"
#include "supervisor/cage/loop.h"
#include "supervisor/cage/plan.h"
#include "supervisor/cage/seccomp.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

struct cage_result; /* below */

/* The broker's sockets in the cage's network namespace (relay.h), made by
 * the agent's start before its filter and sent on by the cage's PID 1.
 * Each fd -1 when missing. */
struct cage_relay_fds {
	int relay4, relay6; /* loopback listeners */
	int diag;	    /* NETLINK_SOCK_DIAG */
	int err4;	    /* errno: why relay4 is missing */
};

/* The cage's PID 1 started before the plan exists (x86_64: it shares
 * akios's memory), so that the clone of its namespaces and its identity
 * map overlap with the policy load and the plan build on the other
 * core; it then waits, and cage_run hands it the plan. start: as soon as
 * a real run is known (after no_new_privs), with the caller's uid/gid;
 * NULL when not possible here (cage_run then clones the cage itself;
 * a failed clone is kept and reported by cage_run as then). free: kills
 * and reaps it unless cage_run took it; NULL is fine. Every path out of
 * a run calls free. */
struct cage_early; /* launch.c */
struct cage_early *cage_early_start(uid_t uid, gid_t gid);
void cage_early_free(struct cage_early *e);

struct cage_run_opts {
	const struct cage_plan *plan; /* borrowed, must be allowed */
	/* From cage_early_start (borrowed: cage_run takes its cage and
	 * reaps it); NULL: cage_run clones the cage itself. */
	struct cage_early *early;
	struct cage_cgroup *cgroup; /* borrowed; NULL: none */
	const struct cage_bpf *bpf; /* borrowed; NULL: no seccomp filter */
	bool want_listener;	    /* ask the child for a notify fd */
	bool use_pty;		    /* give the agent its own terminal */
	/* Where a pool of spare placeholder directories may live (in the
	 * first of them on the placeholders' filesystem, as
	 * <dir>/placeholders): akios's own directories, absolute, hidden
	 * from the view by the plan. NULL entries are skipped. */
	const char *const *spare_dirs;
	unsigned n_spare_dirs;
	/* The caller exits right after cage_run returns: the cage's memory
	 * (PID 1's and the agent's stacks, the sentinel's) and the parked
	 * threads are left to the process's exit, which drops them in one
	 * go, instead of being woken and unmapped one by one (each munmap
	 * flushes the TLB of every CPU running this mm). PID 1 and the
	 * sentinel are still waited for first. */
	bool exiting;
	/* Extension points for the broker (issue 6). Each may be NULL. */
	void *hook_ctx;
	/* The seccomp listener fd (taken: the hook closes it); the hook
	 * typically adds it to the loop. Without a hook it is closed, and
	 * a filter that traps exec (bpf->traps_exec) is refused (-EINVAL):
	 * the agent's first execve waits until the hook's broker answers. */
	int (*on_listener)(void *ctx, struct cage_loop *loop, int fd);
	/* The agent is about to exec; agent_pid is in akios's namespace. */
	int (*on_start)(void *ctx, struct cage_loop *loop, pid_t agent_pid);
	/* Set: the cage child makes the relay's sockets and the hook takes
	 * them (closes them), before on_start and on_listener; it is
	 * called at most once, and only with fds from the cage's PID 1 sent
	 * before the agent existed. Never called when the child could not
	 * send them (the broker then works without). */
	int (*on_relay)(void *ctx, struct cage_loop *loop,
			const struct cage_relay_fds *fds);
	/* Called once the cage child is released and building its view,
	 * before the loop: the caller's own work that can overlap with it
	 * (akios run makes run.start durable and prepares the audit
	 * checkpoint's signature). Nonzero (err set) stops the cage: with
	 * want_listener, before the agent's exec, which waits for an answer
	 * only the loop gives (the trapped execve, or the listener's
	 * handover). May be NULL. */
	int (*on_launched)(void *launched_ctx, struct akios_err *err);
	void *launched_ctx;
	/* Called once, when r is final (the agent and every other process
	 * of the cage reaped, or the cage never started), before cage_run
	 * waits for the cage's PID 1 to finish exiting: the caller's end of
	 * the run (akios run writes run.end) overlaps the kernel's teardown
	 * of the cage's namespaces. err is cage_run's (NULL if it got none;
	 * msg[0] set when it failed). After it, cage_run reads nothing
	 * through opts: the caller may free the plan, the filter and the
	 * hooks' state in it, but not the cgroup (still in use until the
	 * cage is gone). May be NULL. */
	void (*on_ended)(void *ended_ctx, const struct cage_result *r,
			 const struct akios_err *err);
	void *ended_ctx;
};

enum cage_end {
	CAGE_END_EXIT,	  /* the agent exited: code */
	CAGE_END_SIGNAL,  /* the agent died of signal: code */
	CAGE_END_SETUP,	  /* the cage could not be built: reason */
	CAGE_END_NOEXEC,  /* exec failed: code 126/127, reason */
	CAGE_END_TIMEOUT, /* limits.wall_timeout_sec: killed */
	CAGE_END_LIMIT,	  /* killed by a cgroup limit (memory) */
	CAGE_END_ABORTED, /* akios stopped it (its own error, a signal
			     before the agent started) */
};

struct cage_result {
	enum cage_end end;
	int code;	 /* exit status or signal number */
	int exit_code;	 /* what `akios run` exits with */
	bool started;	 /* the agent reached exec */
	pid_t agent_pid; /* in akios's pid namespace; 0 if never started */
	char reason[AKIOS_MAX_STATUS_LINE * 2];
	bool have_cg; /* cg is valid */
	struct cage_cgroup_stats cg;
	struct rusage ru; /* of the whole cage */
	/* ru as the cage's PID 1 reported it with the agent's end (every
	 * process of the cage, reaped, and PID 1 itself); false: from its
	 * wait4 (the cage ended without that report). */
	bool usage_from_reaper;
	/* cage_run's start (sentinel, clone) to the agent's end with every
	 * cage process reaped, microsecond precision */
	double wall_ms;
	unsigned signals_forwarded;
};

/* Runs the plan to the end (control-file placeholders included: created
 * before, removed after). Returns 0 when the run happened (whatever
 * the agent did: see r), or -errno with err set when akios could not even
 * try; in both cases no cage process is left: the cage's PID 1 has been
 * waited for (after on_ended), and the placeholders' sentinel too. */
int cage_run(const struct cage_run_opts *o, struct cage_result *r,
	     struct akios_err *err) AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;

/* Control-file placeholders (CAGE_MF_PLACEHOLDER), kept by a sentinel
 * process (placeholder.c) that creates them and removes them (when still
 * the empty inode it made) once the run ends or akios dies, SIGKILL
 * included. start clones it when the plan has any placeholder and
 * returns at once (it creates them meanwhile); wait returns when they
 * exist (or why not, err naming the path); watch hands it the cage's
 * pidfd (borrowed: it keeps a copy) so that it removes nothing before the
 * cage's end, even after akios's death. When the cage exists already,
 * start takes its pidfd and the write end of its go pipe (both borrowed,
 * -1: none): the sentinel keeps its copy of the pidfd from the clone (no
 * watch then) and writes the go byte itself once every placeholder
 * exists, never after a failure (wait then says why); release tells it the run is over
 * (it removes them once the cage's PID 1 is gone); over tells it the
 * cage's PID 1 has reported every process of the cage reaped (it removes
 * them at once, while the kernel tears the cage down): only on that
 * report; remove releases, waits for it and frees its memory.
 * Directory placeholders come from, and go back to, a pool of spare empty
 * directories when spare_dirs offers one on their filesystem
 * (placeholder_spare.c: a rename instead of mkdir and rmdir). */
struct ph_block; /* placeholder.c */
struct cage_placeholders {
	pid_t pid;   /* the sentinel, -1 when none */
	int fd;	     /* our end of its socket, -1 when none */
	void *map;   /* its stack and data: unmapped only once it is reaped */
	size_t size; /* of map */
	struct ph_block *block; /* inside map */
};
int cage_placeholders_start(const struct cage_plan *plan,
			    const char *const *spare_dirs,
			    unsigned n_spare_dirs, int pidfd, int go_fd,
			    struct cage_placeholders *ph, struct akios_err *err)
    AKIOS_NONNULL(1, 6) AKIOS_NODISCARD;
int cage_placeholders_wait(struct cage_placeholders *ph,
			   const struct cage_plan *plan, struct akios_err *err)
    AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;
void cage_placeholders_watch(const struct cage_placeholders *ph, int pidfd)
    AKIOS_NONNULL(1);
void cage_placeholders_release(struct cage_placeholders *ph) AKIOS_NONNULL(1);
void cage_placeholders_over(struct cage_placeholders *ph) AKIOS_NONNULL(1);
void cage_placeholders_remove(struct cage_placeholders *ph) AKIOS_NONNULL(1);
/* remove, but the sentinel's memory stays mapped (for a process about to
 * exit: cage_run_opts.exiting). */
void cage_placeholders_reap(struct cage_placeholders *ph) AKIOS_NONNULL(1);

/* "exited with 3", "killed by signal 9 (Killed)", ... into buf. */
const char *cage_result_str(const struct cage_result *r, char *buf, size_t size)
    AKIOS_NONNULL(1, 2);

#endif
