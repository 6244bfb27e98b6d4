/* Declarations shared by the launcher files of supervisor/cage only:
 * the child side (view.c, child.c) and the supervisor side (launch.c,
 * run.c). The child code runs between clone3() and execve(): it allocates
 * nothing and reports failure through the status socket (STYLE.md §14). */
#ifndef AKIOS_CAGE_INT_H
#define AKIOS_CAGE_INT_H

#include "shared/common.h"
#include "supervisor/cage/cgroup.h"
#include "supervisor/cage/plan.h"
#include "supervisor/cage/pty.h"
#include "supervisor/cage/seccomp.h"

#include <stdbool.h>
#include <sys/types.h>

/* Status socket messages (SOCK_SEQPACKET, one message each): the first
 * byte is the kind, the rest is text. */
#define CAGE_MSG_ERROR 'E' /* setup failed: "E<reason>"; then exit 125 */
#define CAGE_MSG_READY 'R' /* the agent is about to exec (creds: pid) */
/* "L<fd>" or "L<fd>w": the agent's listener fd number, which the
 * supervisor copies (pidfd_getfd); with "w" the agent waits for one byte
 * back (child.c: hand_over_listener says when it does not). */
#define CAGE_MSG_LISTEN 'L'
#define CAGE_MSG_NOEXEC 'N' /* "N<126|127> <reason>": exec failed */
/* "Xe<code> <user_us> <sys_us> <maxrss_kb>" (or "Xs<signal> ..."): the
 * agent ended and every other process of the cage is killed and reaped;
 * the usage is of them all (and PID 1). PID 1 exits right after. */
#define CAGE_MSG_EXIT 'X'
#define CAGE_MSG_PTY  'P' /* the agent's pty master (SCM_RIGHTS) */
/* "B<m4><m6><md><errno>": the relay's sockets made by PID 1 in the cage's
 * netns (before the plan, or beside the agent's start), never in the
 * agent's fd table; each m is '1' when that fd (IPv4 listener, IPv6
 * listener, unix diag, in that order) is among the SCM_RIGHTS fds, errno
 * is why the IPv4 listener is missing. */
#define CAGE_MSG_RELAY 'B'
#define CAGE_RELAY_FDS 3

/* Threads parked by cage_launch_prepare: PID 1's TLS, the agent's. */
#define CAGE_PARKED 2

/* Where a child step failed: the status line names what and where. */
struct cage_fail {
	const char *what;
	const char *path; /* may be NULL */
	int err;	  /* errno */
};

struct cage_child_args {
	const struct cage_plan *plan;
	char *const *envp;
	int status_fd; /* child end of the status socket */
	/* Read end: one byte once the supervisor has the cage in its cgroup
	 * and the placeholders exist (cage_view_await_go). */
	int sync_fd;
	/* The real terminal's modes: the child opens the agent's pty in the
	 * cage's devpts and sends the master back. NULL: no pty. */
	const struct cage_pty_modes *pty;
	const struct cage_bpf *bpf; /* NULL: no filter */
	/* The agent's TLS (a parked thread's, launch.c); 0: the agent is a
	 * copy of PID 1 (fork-like) instead of sharing its memory. */
	unsigned long agent_tls;
	void *agent_stack; /* its top (launch.c maps it with PID 1's) */
	uint64_t signals;  /* cage_nondefault_signals() of akios */
	uid_t uid;	   /* the identity map's (the caller's) */
	gid_t gid;
	bool want_listener;
	bool want_relay; /* make the relay's sockets (CAGE_MSG_RELAY) */
	/* The supervisor moves PID 1 into a v1 cgroup after the clone: the
	 * agent is cloned only after the go byte (it inherits the cgroup). */
	bool go_before_agent;
	/* PID 1 was moved into the run's cgroup after its clone (v1, or an
	 * early PID 1): it makes a cgroup namespace rooted there. */
	bool new_cgroupns;
	/* Early: set (release) by akios once the fields above are filled,
	 * before the sync pipe's first byte. */
	bool published;
};

/* agent.c: the signals whose disposition is not the default, bit s-1 for
 * signal s (SigIgn | SigCgt of /proc/thread-self/status), or every bit
 * when that cannot be read. */
uint64_t cage_nondefault_signals(void);

/* What cage_view_build leaves for after the old root's detach: the
 * placeholders' rebinds, when the plan ends with them (they exist only
 * once the supervisor says go, and waiting for that before the pivot
 * would put the detach's RCU grace period after the go). */
struct cage_view_rest {
	int root;      /* O_PATH fd of the view's root; -1: nothing left */
	unsigned from; /* the first mount left */
};

/* In the new namespaces: builds the view and pivots into it, the old root
 * still stacked on "/" until cage_view_detach, which must come before the
 * agent may exec. In between only absolute normal paths may be resolved
 * (they start at the new root; a ".." reaching the root would climb into
 * the old one), and no cwd may be taken. The fds it
 * opens (all CLOEXEC) may be left open: the caller closes every fd it
 * does not need with close_range right after (rest->root excepted).
 * When the plan's mounts from the first placeholder on are all rebinds,
 * they are left in *rest for cage_view_finish; otherwise *go_fd (the
 * sync pipe) is waited on (cage_view_await_go) before the first mount
 * on a placeholder and then set to -1. */
int cage_view_build(const struct cage_plan *p, int *go_fd,
		    struct cage_view_rest *rest, struct cage_fail *f);
/* After cage_view_detach: waits for the go (*go_fd) if anything is left
 * in *rest, then rebinds what is left, by their paths in the view, and
 * closes rest->root. */
int cage_view_finish(const struct cage_plan *p, struct cage_view_rest *rest,
		     int *go_fd, struct cage_fail *f);
/* Detaches the old root, cwd "/", the root read-only. */
int cage_view_detach(struct cage_fail *f);
/* Reads the go byte from *fd unless it was read already (*fd < 0); then
 * *fd is closed and -1. 0, or -EPIPE when the supervisor is gone. */
int cage_view_await_go(int *fd, struct cage_fail *f);
/* view_late.c: the first mount cage_view_build leaves for
 * cage_view_finish (n_mounts: none). */
unsigned cage_view_late_from(const struct cage_plan *p);
#ifdef AKIOS_TESTING
/* view.c, static but for tests/unit/test_cage_view_dirs.c: the length of
 * the leading whole path components a and b share. */
size_t cage_view_common_dirs(const char *a, size_t alen, const char *b,
			     size_t blen);
#endif
/* Brings up lo in the new network namespace. */
int cage_net_lo_up(struct cage_fail *f);

/* The child's whole life: never returns. */
_Noreturn void cage_child_main(const struct cage_child_args *a);
/* The same for a PID 1 cloned before the plan exists (launch.c:
 * cage_launch_early): only status_fd, sync_fd, uid and gid are set at the
 * clone; it waits for the rest (published, then one byte on sync_fd). */
_Noreturn void cage_child_early(const struct cage_child_args *a);
/* agent.c: the agent's start, side by side with PID 1's view build: it
 * makes what needs no view (signals, session, rlimits, the seccomp
 * filter), then waits on ready_fd for one message from PID 1 (the view
 * is done; with a pty, its slave as SCM_RIGHTS) and locks itself in and
 * execs. ready_fd is CLOEXEC: PID 1 sees EOF on its end at the exec (or
 * the agent's death). Returns the agent's pid or -1 (errno). */
pid_t cage_spawn_agent(const struct cage_child_args *a, int ready_fd,
		       unsigned todo);
/* cage_spawn_agent's todo: what PID 1 left to the agent's start (before
 * its filter) because the plan came before PID 1 got to it. */
#define CAGE_AGENT_LO	1u /* lo up */
#define CAGE_AGENT_HOST 2u /* the host name */
/* v in decimal, NUL-ended, into buf (room for 21 bytes). */
void cage_fmt_uint(char *buf, unsigned long long v);

/* Sends one status message (best effort; the reader may be gone). */
void cage_status_send(int fd, char kind, const char *a, const char *b,
		      const char *c, const char *d);
/* "E<what> <path>: " + "E+<strerror>", then _exit(125). */
_Noreturn void cage_child_fail(int fd, const struct cage_fail *f);

/* Supervisor side of the start. */
struct cage_launch_opts {
	const struct cage_plan *plan;
	char *const *envp;	    /* materialized environment */
	struct cage_cgroup *cgroup; /* NULL: none */
	const struct cage_bpf *bpf; /* NULL: no filter */
	bool want_listener;
	bool want_relay;
	const struct cage_pty_modes *pty; /* NULL: no pty */
	/* Called once the child exists and its maps are written, just
	 * before it is let go (nothing of the cage runs yet): pidfd is the
	 * reaper's and go_fd the pipe's write end for the go byte (both
	 * borrowed). 0: the launch writes the go byte; 1: the hook has
	 * handed it on (someone it started writes it); -errno: a failure
	 * stops the launch. May be NULL. */
	int (*before_go)(void *ctx, int pidfd, int go_fd,
			 struct akios_err *err);
	void *go_ctx;
};
struct cage_launch {
	pid_t pid;     /* the reaper (cage PID 1), our child */
	int pidfd;     /* its pidfd */
	int status_fd; /* our end of the status socket */
	/* PID 1's stack and block (launch.c), and the parked thread whose
	 * TLS it uses: both live until PID 1 has been reaped. */
	void *map;
	size_t map_size;
	size_t block;
	unsigned n_threads; /* started */
	unsigned n_parked;  /* seen parked (their posts taken) */
	int park_wr;	    /* closed to let the parked thread end */
	int prep_err;
	/* cage_launch_early: PID 1 is cloned by the first parked thread
	 * before the plan exists. Until cage_launch: our end of the status
	 * socket, the sync pipe's write end and PID 1's ends (closed once
	 * it is cloned); -1 when none. */
	bool early;
	bool cloner; /* its cloner thread was started */
	int early_status;
	int early_sync;
	int early_child[2];
};
/* First, as early as possible: maps PID 1's stack and starts the thread
 * that lends it its TLS, so that cage_launch finds it parked.
 * Initializes *l; 0 or -errno (cage_launch then reports it). */
int cage_launch_prepare(struct cage_launch *l);
/* Instead of cage_launch_prepare, as early as possible (x86_64 only,
 * -ENOSYS elsewhere): the same, and the first parked thread clones PID 1
 * at once with uid/gid as its identity map; cage_launch then publishes
 * the plan to it. On failure cage_launch_free undoes what was done. */
int cage_launch_early(struct cage_launch *l, uid_t uid, gid_t gid);
/* cage_run: takes e's launch into *l (then freed by cage_launch_free);
 * -ENOENT when there is none. */
struct cage_early;
int cage_launch_adopt(struct cage_launch *l, struct cage_early *e);
/* Clones the cage and releases it (l from cage_launch_prepare). On
 * failure after the clone the child has been SIGKILLed: l->pid >= 0 must
 * still be reaped by the caller.
 * Either way cage_launch_free follows the reap. Until then PID 1 may read
 * o->plan, o->envp and o->bpf: they must stay as they are. */
int cage_launch(const struct cage_launch_opts *o, struct cage_launch *l,
		struct akios_err *err) AKIOS_NODISCARD;
/* Once PID 1 has been reaped (or was never cloned): lets the parked
 * threads end and unmaps PID 1's stack. An early PID 1 that cage_launch
 * never took is killed and reaped here. */
void cage_launch_free(struct cage_launch *l);
/* For a caller about to exit, once PID 1 has been reaped: only lets the
 * parked threads end (they need nothing but their EOF), leaving PID 1's
 * stack to the exit. */
void cage_launch_end_threads(struct cage_launch *l);

/* akios's exit code for a finished run (result.c): the agent's code,
 * 128+signal, or the documented akios codes; an aborted run that akios
 * itself was signalled out of reports that signal. */
struct cage_result;
int cage_exit_code(const struct cage_result *r, bool aborted);

#endif
