/* The epoll loop behind loop.h. Handlers live in a fixed table; a deleted
 * handler is only marked dead until the current batch is dispatched, so an
 * event already returned by epoll_wait never reaches a handler that was
 * removed (or a new one that took its slot) in the same batch. */
#include "shared/common.h"
#include "supervisor/cage/loop.h"

#include <errno.h>
#include <sys/epoll.h>

#define LOOP_MAX_HANDLERS 256
#define LOOP_BATCH	  16

struct handler {
	int fd; /* -1: free */
	bool dead;
	cage_loop_fn fn;
	void *ctx;
};

struct cage_loop {
	int epfd;
	bool stop;
	struct handler h[LOOP_MAX_HANDLERS];
};

int cage_loop_new(struct cage_loop **out)
{
	struct cage_loop *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		int e = errno;

		free(l);
		return -e;
	}
	for (unsigned i = 0; i < LOOP_MAX_HANDLERS; i++)
		l->h[i].fd = -1;
	*out = l;
	return 0;
}

int cage_loop_add(struct cage_loop *l, int fd, uint32_t events, cage_loop_fn fn,
		  void *ctx)
{
	struct epoll_event ev = {.events = events};

	for (unsigned i = 0; i < LOOP_MAX_HANDLERS; i++) {
		if (l->h[i].fd != -1 || l->h[i].dead)
			continue;
		ev.data.ptr = &l->h[i];
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
			return -errno;
		l->h[i] = (struct handler){.fd = fd, .fn = fn, .ctx = ctx};
		return 0;
	}
	return -EMFILE;
}

void cage_loop_del(struct cage_loop *l, int fd)
{
	for (unsigned i = 0; i < LOOP_MAX_HANDLERS; i++) {
		if (l->h[i].fd != fd || l->h[i].dead)
			continue;
		/* The fd may already be closed by its owner: ignore errors. */
		(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
		l->h[i].dead = true;
	}
}

void cage_loop_stop(struct cage_loop *l)
{
	l->stop = true;
}

static void reap_dead(struct cage_loop *l)
{
	for (unsigned i = 0; i < LOOP_MAX_HANDLERS; i++)
		if (l->h[i].dead)
			l->h[i] = (struct handler){.fd = -1};
}

int cage_loop_run(struct cage_loop *l)
{
	struct epoll_event ev[LOOP_BATCH];
	int rc = 0;

	while (!l->stop && rc == 0) {
		int n = epoll_wait(l->epfd, ev, LOOP_BATCH, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (int i = 0; i < n && rc == 0; i++) {
			struct handler *h = ev[i].data.ptr;

			if (h->fd >= 0 && !h->dead)
				rc = h->fn(l, h->fd, ev[i].events, h->ctx);
		}
		reap_dead(l);
	}
	return rc;
}

void cage_loop_free(struct cage_loop *l)
{
	if (!l)
		return;
	close(l->epfd);
	free(l);
}
