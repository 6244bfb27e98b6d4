/* Shared by launch.c and launch_park.c only: PID 1's block at the top of
 * its mapping, and the parked threads that lend it (and the agent) their
 * TLS. */
#ifndef AKIOS_LAUNCH_INT_H
#define AKIOS_LAUNCH_INT_H

#include "shared/common.h"
#include "supervisor/cage/cage_int.h"

#include <linux/sched.h>
#include <sched.h>
#include <semaphore.h>
#include <stdint.h>

#define CAGE_NS_FLAGS                                                          \
	(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET |           \
	 CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP)

/* AKIOS_CAGE_FORK (a build flag) forces the other architectures' path
 * on x86_64, to test it. */
#if defined(__x86_64__) && !defined(AKIOS_CAGE_FORK)
#define CAGE_SHARED_VM 1
#else
#define CAGE_SHARED_VM 0
#endif

/* PID 1's stack: the view build's arrays (a few per mount) and path
 * buffers; the agent's: Landlock's rule array and a path buffer. */
#define PID1_STACK  ((size_t)256 * 1024)
#define AGENT_STACK ((size_t)256 * 1024)

/* At the top of PID 1's mapping (a guard page, the agent's stack, a
 * guard page, PID 1's stack, this): what PID 1 reads, and the parked
 * threads' thread pointers. Nothing in it moves or is freed before PID 1
 * has been reaped. */
struct cage_pid1 {
	struct cage_child_args args;
	struct cage_pty_modes pty;
	struct clone_args ca;
	sem_t parked; /* posted by each thread once its TLS is quiet */
	/* Their thread pointers: PID 1's, then the agent's. */
	unsigned long tls[CAGE_PARKED];
	uint64_t signals; /* the non-default dispositions, for the agent */
	int park_fd;	  /* what they block on: EOF once PID 1 is reaped */
	int pidfd;
	/* Early (cage_launch_early): the cloner's clone. clone_ret is
	 * PID 1's pid or -errno, or thread_err when the cloner could not
	 * make its fds (no clone then); cloned, a futex word, is set
	 * (release) once both are. */
	long clone_ret;
	int thread_err;
	int cloned;
	/* Early: made by the cloner before its clone, taken by launch.c
	 * once cloned (-1: not made): our end of the status socket, the sync
	 * pipe's write end, PID 1's ends of both. */
	int early_fd[4];
	bool early; /* the one parked thread is the agent's */
};

static inline struct cage_pid1 *cage_pid1_block(const struct cage_launch *l)
{
	return l->map ? (struct cage_pid1 *)((char *)l->map + l->map_size -
					     l->block)
		      : NULL;
}

/* The pipe the parked threads block on (EOF once PID 1 is reaped; its
 * write end in *wr) and their semaphore. 0 or -errno. */
int cage_park_pipe(struct cage_pid1 *b, int *wr);
/* Late launch: both parked threads (x86_64; elsewhere only the signal
 * dispositions are recorded). 0 or -errno. */
int cage_park_threads(struct cage_launch *l, struct cage_pid1 *b);
/* Late launch: clones PID 1 (b->ca, b->args filled) once the threads are
 * parked; its pid or -errno. */
long cage_clone_pid1(struct cage_launch *l, struct cage_pid1 *b);
/* Early launch (x86_64): the park pipe, the agent's parked thread, then
 * the cloner, which makes the status socket and the sync pipe
 * (b->early_fd) and clones PID 1 (cage_child_early), off the main
 * thread. Sets l->n_threads and l->cloner. 0 or -errno. */
int cage_park_early(struct cage_launch *l, struct cage_pid1 *b);
/* Early launch: waits for that clone; PID 1's pid or -errno
 * (b->thread_err when the cloner could not make its fds). */
long cage_await_clone(struct cage_pid1 *b);

#endif
