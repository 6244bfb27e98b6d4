/* toolrun: tools.timeout_sec. Each tool run (an allowed exec of anything
 * but the agent command) gets a deadline; past it the tool's process is
 * killed with SIGKILL and an expiry callback names it. The process is
 * held by a pidfd taken while its exec is still trapped (so a reused pid
 * is never killed), deadlines share one timerfd, and an exited tool
 * frees its slot when its pidfd says so. Lives in the broker's epoll set
 * through toolrun_fd(); owns no thread. */
#ifndef AKIOS_BROKER_TOOLRUN_H
#define AKIOS_BROKER_TOOLRUN_H

#include "shared/common.h"

#include <stdint.h>
#include <sys/types.h>

struct toolrun; /* opaque */

struct toolrun_expiry {
	pid_t pid;	    /* the tool's process, supervisor's pid namespace */
	const char *tool;   /* the path it was started as (resolved if known) */
	unsigned limit_sec; /* tools.timeout_sec */
	int error;	    /* 0, or the errno of a kill that failed */
};

typedef void (*toolrun_expire_fn)(void *ctx, const struct toolrun_expiry *e);

/* timeout_sec > 0. 0 or -errno. */
int toolrun_new(unsigned timeout_sec, toolrun_expire_fn fn, void *ctx,
		struct toolrun **out) AKIOS_NONNULL(4) AKIOS_NODISCARD;
void toolrun_free(struct toolrun *t);

/* An epoll fd: readable when toolrun_handle_ready has work. */
int toolrun_fd(const struct toolrun *t) AKIOS_NONNULL(1);

/* The task pid (a thread id, as a seccomp notification reports it, in the
 * supervisor's pid namespace) is trapped in an allowed exec of tool: call
 * before letting the exec CONTINUE. The notification id is checked after
 * the pidfd is taken, so the process is the one that trapped. A process
 * that already is a tool run keeps its deadline (an exec does not buy
 * more time); one whose earlier exec failed starts again. Returns 0,
 * -ENOENT when the task is gone, -EAGAIN when the table is full, or
 * -errno: the caller must then refuse the exec (an unbounded tool run
 * would start). */
int toolrun_start(struct toolrun *t, int notify_fd, uint64_t id, pid_t pid,
		  const char *tool) AKIOS_NONNULL(1, 5) AKIOS_NODISCARD;

/* Frees the slots of exited tools and kills the expired ones. Never
 * blocks. 0 or -errno. */
int toolrun_handle_ready(struct toolrun *t) AKIOS_NONNULL(1) AKIOS_NODISCARD;

/* Live tool runs (tests). */
unsigned toolrun_count(const struct toolrun *t) AKIOS_NONNULL(1);

#endif
