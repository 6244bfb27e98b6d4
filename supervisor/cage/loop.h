/* supervisor/cage/loop.h — the supervisor's event loop: one epoll set
 * over every fd the run watches (signalfd, the cage's status socket, the
 * reaper's pidfd, the wall-clock timerfd, the pty, and later the seccomp
 * listener and the broker's relay sockets). A module plugs in by adding
 * an fd with its handler; no module needs to know the others. */
#ifndef AKIOS_CAGE_LOOP_H
#define AKIOS_CAGE_LOOP_H

#include "shared/common.h"

#include <stdbool.h>
#include <stdint.h>

struct cage_loop; /* opaque */

/* Called with the ready events (EPOLLIN, EPOLLHUP, ...). Return 0 to go
 * on, or -errno to stop the loop with that error. A handler may add or
 * delete handlers, its own included. */
typedef int (*cage_loop_fn)(struct cage_loop *loop, int fd, uint32_t events,
			    void *ctx);

int cage_loop_new(struct cage_loop **out) AKIOS_NONNULL(1) AKIOS_NODISCARD;
/* Watches fd (borrowed: the caller closes it after deleting it). */
int cage_loop_add(struct cage_loop *loop, int fd, uint32_t events,
		  cage_loop_fn fn, void *ctx)
    AKIOS_NONNULL(1, 4) AKIOS_NODISCARD;
/* Stops watching fd; a no-op when it is not watched. */
void cage_loop_del(struct cage_loop *loop, int fd) AKIOS_NONNULL(1);
/* Makes cage_loop_run return 0 after the current batch. */
void cage_loop_stop(struct cage_loop *loop) AKIOS_NONNULL(1);
/* Dispatches until stopped (0) or a handler fails (its -errno). */
int cage_loop_run(struct cage_loop *loop) AKIOS_NONNULL(1) AKIOS_NODISCARD;
/* Closes the epoll fd and frees the handlers (not their fds). */
void cage_loop_free(struct cage_loop *loop);

#endif
