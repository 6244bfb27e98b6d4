/* Shared by run.c and run_status.c only: one run's state, and the
 * status messages' handling (the cage's PID 1 and the agent report on
 * the status socket: errors, the relay, the listener, ready, the end). */
#ifndef AKIOS_CAGE_RUN_INT_H
#define AKIOS_CAGE_RUN_INT_H

#include "shared/common.h"
#include "supervisor/cage/cage_int.h"
#include "supervisor/cage/pty.h"
#include "supervisor/cage/run.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct run_ctx {
	const struct cage_run_opts *o;
	struct cage_result *r;
	struct cage_launch l;
	struct cage_loop *loop;
	struct cage_pty pty;
	bool have_pty;
	struct cage_placeholders ph;
	char **envp; /* the agent's environment, until PID 1 is reaped */
	int sigfd;
	int timerfd;
	int agent_pidfd;
	pid_t agent_pidfd_pid; /* whose pidfd agent_pidfd is */
	/* The agent's listener, copied before the relay came: on_relay goes
	 * first (run.h), the listener then. -1: none waiting. */
	int listener_fd;
	int listener_err; /* why an early copy failed (-errno) */
	/* Our copy of the go pipe's write end while the early sentinel has
	 * the go to send: PID 1 sees no EOF (and says nothing) before it is
	 * killed, should the sentinel fail. -1: none. */
	int go_hold;
	bool early_listener; /* the agent sends it at its filter's load */
	bool got_listener;
	/* The loop is over: messages still read (reap) are recorded, but
	 * no hook is called any more (a failed run is being stopped). */
	bool draining;
	bool got_exit;
	bool exit_from_pid1; /* the exit message came from the cage's PID 1 */
	bool got_relay;
	bool have_usage; /* r->ru came with the agent's end */
	bool reaped;	 /* the reaper waited for */
	char exit_kind;
	bool setup_err;
	bool timed_out;
	bool aborted;
	size_t reason_len;
};

/* s[0..n) appended to the result's reason (cut at its size). */
void run_add_reason(struct run_ctx *c, const char *s, size_t n);

/* Reads and handles every pending status message (flags for recvmsg
 * besides MSG_DONTWAIT); 0 at EOF or when drained, else the first
 * handler's error (the run then stops and the cage is killed). */
int run_read_status(struct run_ctx *c, int flags);

#endif
