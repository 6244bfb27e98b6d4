/* relay: accepts the connections the broker set up on the cage's
 * loopback, dials their approved upstream from the host namespace and
 * splices both ways. Invariants: a connection whose source address and
 * port were not registered with relay_expect is reset before a byte is
 * read; the upstream is the one registered, never anything the agent
 * says; every connection ends with exactly one event carrying its byte
 * counts. Single-threaded; nothing here blocks.
 * size-budget: one connection state machine; split, its struct would leak. */
#include "shared/common.h"

#include "supervisor/broker/relay.h"
#include "shared/limits.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/epoll.h>

#define RELAY_CHUNK (64ul * 1024ul)

struct relay_conn;

/* What an epoll event points at: a listener (conn NULL) or one side of a
 * connection (0: agent, 1: upstream). */
struct relay_tag {
	struct relay_conn *conn;
	int side;
};

/* One direction: bytes read from src sit in the pipe until dst takes
 * them. d = 0 is agent → upstream, d = 1 upstream → agent. */
struct relay_dir {
	int pipe[2];
	size_t pending;
	bool eof;  /* src said EOF */
	bool done; /* EOF passed on to dst (shutdown) */
	uint64_t bytes;
};

struct relay_conn {
	struct relay_conn *next;
	int fd[2]; /* -1 while only expected / not yet dialled */
	struct relay_tag tag[2];
	struct relay_dir dir[2];
	bool connected;	  /* both sides there, bytes flow */
	bool upstream_ok; /* the upstream connect succeeded */
	bool peer_set;	  /* peer is known: the agent side may arrive */
	bool announce;	  /* relay_dial: report the dial's outcome */
	bool dead;	  /* closed; freed at the end of the batch */
	struct ng_addr peer, upstream;
	const char *rule, *host;
	pid_t pid;
	uint64_t cookie;
};

struct relay {
	int ep;
	int lfd[2]; /* [0] IPv4, [1] IPv6 */
	uint16_t port[2];
	struct relay_tag ltag[2];
	struct relay_conn *conns;
	unsigned n;
	relay_event_fn on_event;
	void *ctx;
};

static int local_port(int fd, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct ng_addr a;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return -errno;
	int rc = netguard_from_sockaddr(&ss, len, &a);

	if (rc == 0)
		*port = a.port;
	return rc;
}

static int ep_add(int ep, int fd, uint32_t events, struct relay_tag *tag)
{
	struct epoll_event ev = {.events = events, .data.ptr = tag};

	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
		return -errno;
	return 0;
}

/* splice() into a socket the peer reset raises SIGPIPE (it has no
 * MSG_NOSIGNAL), which by default would kill the supervisor and so the
 * whole cage: the process must ignore or block it. */
static bool sigpipe_safe(void)
{
	struct sigaction sa;
	sigset_t blocked;

	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL)
		return true;
	return pthread_sigmask(SIG_BLOCK, NULL, &blocked) == 0 &&
	       sigismember(&blocked, SIGPIPE) == 1;
}

int relay_new(int listen4, int listen6, relay_event_fn on_event, void *ctx,
	      struct relay **out)
{
	struct relay *r = calloc(1, sizeof(*r));
	int rc = -ENOMEM;

	if (!r)
		goto fail;
	r->lfd[0] = listen4;
	r->lfd[1] = listen6;
	listen4 = listen6 = -1;
	r->on_event = on_event;
	r->ctx = ctx;
	r->ep = epoll_create1(EPOLL_CLOEXEC);
	rc = r->ep < 0 ? -errno : -EINVAL;
	if (r->ep < 0 || (r->lfd[0] < 0 && r->lfd[1] < 0) || !sigpipe_safe())
		goto fail;
	for (int i = 0; i < 2; i++) {
		if (r->lfd[i] < 0)
			continue;
		r->ltag[i].side = i;
		rc = local_port(r->lfd[i], &r->port[i]);
		if (rc == 0)
			rc = ep_add(r->ep, r->lfd[i], EPOLLIN, &r->ltag[i]);
		if (rc != 0)
			goto fail;
	}
	*out = r;
	return 0;
fail:
	if (listen4 >= 0)
		close(listen4);
	if (listen6 >= 0)
		close(listen6);
	relay_free(r);
	return rc;
}

static void conn_close_fds(struct relay_conn *c)
{
	for (int i = 0; i < 2; i++) {
		if (c->fd[i] >= 0)
			close(c->fd[i]);
		c->fd[i] = -1;
		for (int k = 0; k < 2; k++) {
			if (c->dir[i].pipe[k] >= 0)
				close(c->dir[i].pipe[k]);
			c->dir[i].pipe[k] = -1;
		}
	}
}

int relay_fd(const struct relay *r)
{
	return r->ep;
}

unsigned relay_count(const struct relay *r)
{
	return r->n;
}

void relay_ports(const struct relay *r, uint16_t *port4, uint16_t *port6)
{
	*port4 = r->lfd[0] >= 0 ? r->port[0] : 0;
	*port6 = r->lfd[1] >= 0 ? r->port[1] : 0;
}

int relay_sockaddr(const struct relay *r, int family,
		   struct sockaddr_storage *ss)
{
	struct ng_addr a = {0};
	const char *ip =
	    family == AF_INET6 && r->lfd[1] >= 0 ? "::1" : "127.0.0.1";

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	if (netguard_parse_ip(ip, &a) != 0)
		return -EINVAL;
	a.port = r->port[a.family == AF_INET6 ? 1 : 0];
	if (a.family == AF_INET && r->lfd[0] < 0)
		return -EAFNOSUPPORT;
	return netguard_to_sockaddr(&a, family == AF_INET6, ss, sizeof(*ss));
}

static struct relay_conn *conn_new(struct relay *r,
				   const struct ng_addr *upstream,
				   const char *rule, const char *host,
				   pid_t pid)
{
	struct relay_conn *c;

	if (r->n >= AKIOS_MAX_RELAY_CONNS)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	for (int i = 0; i < 2; i++) {
		c->fd[i] = -1;
		c->dir[i].pipe[0] = c->dir[i].pipe[1] = -1;
		c->tag[i] = (struct relay_tag){.conn = c, .side = i};
	}
	c->upstream = *upstream;
	c->rule = rule;
	c->host = host;
	c->pid = pid;
	c->next = r->conns;
	r->conns = c;
	r->n++;
	return c;
}

int relay_expect(struct relay *r, const struct ng_addr *peer,
		 const struct ng_addr *upstream, const char *rule,
		 const char *host, pid_t pid)
{
	struct relay_conn *c = conn_new(r, upstream, rule, host, pid);

	if (!c)
		return r->n >= AKIOS_MAX_RELAY_CONNS ? -ENOSPC : -ENOMEM;
	c->peer = *peer;
	c->peer_set = true;
	return 0;
}

/* SO_LINGER 0: close() sends RST, so the other side sees a reset rather
 * than a clean EOF when something went wrong. */
static void reset_close(int fd)
{
	struct linger l = {.l_onoff = 1, .l_linger = 0};

	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

static void emit(struct relay *r, struct relay_conn *c,
		 enum relay_event_kind kind, int error)
{
	struct relay_event ev = {.kind = kind,
				 .pid = c->pid,
				 .rule = c->rule,
				 .host = c->host,
				 .upstream = &c->upstream,
				 .peer = &c->peer,
				 .bytes_up = c->dir[0].bytes,
				 .bytes_down = c->dir[1].bytes,
				 .error = error,
				 .cookie = c->cookie};

	if (r->on_event)
		r->on_event(r->ctx, &ev);
}

/* Ends a connection: one event, fds closed now, memory freed after the
 * current epoll batch (another event of the batch may point at it). */
static void conn_end(struct relay *r, struct relay_conn *c,
		     enum relay_event_kind kind, int error)
{
	if (c->dead)
		return;
	if (error != 0) {
		for (int i = 0; i < 2; i++) {
			if (c->fd[i] >= 0)
				reset_close(c->fd[i]);
			c->fd[i] = -1;
		}
	}
	conn_close_fds(c);
	c->dead = true;
	emit(r, c, kind, error);
}

static void reap(struct relay *r)
{
	struct relay_conn **pp = &r->conns;

	while (*pp) {
		struct relay_conn *c = *pp;

		if (!c->dead) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		r->n--;
		free(c);
	}
}

/* Moves what is ready in direction d until the kernel says EAGAIN (the
 * sockets are registered edge-triggered). Returns 0 or -errno. */
static int pump(struct relay_conn *c, int d)
{
	struct relay_dir *x = &c->dir[d];
	int src = c->fd[d];
	int dst = c->fd[1 - d];
	const unsigned fl = SPLICE_F_NONBLOCK | SPLICE_F_MOVE;

	for (;;) {
		ssize_t n;

		if (x->pending > 0) {
			n = splice(x->pipe[0], NULL, dst, NULL, x->pending, fl);
			if (n < 0)
				return errno == EAGAIN ? 0 : -errno;
			x->pending -= (size_t)n;
			x->bytes += (uint64_t)n;
			continue;
		}
		if (x->eof) {
			if (!x->done && shutdown(dst, SHUT_WR) != 0 &&
			    errno != ENOTCONN)
				return -errno;
			x->done = true;
			return 0;
		}
		n = splice(src, NULL, x->pipe[1], NULL, RELAY_CHUNK, fl);
		if (n == 0)
			x->eof = true;
		else if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		else
			x->pending += (size_t)n;
	}
}

static void conn_pump(struct relay *r, struct relay_conn *c)
{
	for (int d = 0; d < 2; d++) {
		int rc = pump(c, d);

		if (rc != 0) {
			conn_end(r, c, RELAY_CLOSED, -rc);
			return;
		}
	}
	if (c->dir[0].done && c->dir[1].done)
		conn_end(r, c, RELAY_CLOSED, 0);
}

static void conn_established(struct relay *r, struct relay_conn *c)
{
	for (int d = 0; d < 2; d++) {
		if (pipe2(c->dir[d].pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
			conn_end(r, c, RELAY_CLOSED, errno);
			return;
		}
	}
	c->connected = true;
	conn_pump(r, c);
}

/* The upstream socket became writable or failed: SO_ERROR says which.
 * A dial the broker waits for (announce) is reported; otherwise a
 * failure resets the agent side. */
static void conn_check_upstream(struct relay *r, struct relay_conn *c)
{
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
		soerr = errno;
	if (soerr == EINPROGRESS || soerr == EALREADY || c->upstream_ok)
		return;
	if (soerr != 0) {
		conn_end(r, c,
			 c->announce ? RELAY_DIAL_FAILED
				     : RELAY_UPSTREAM_FAILED,
			 soerr);
		return;
	}
	c->upstream_ok = true;
	if (c->announce) {
		c->announce = false;
		emit(r, c, RELAY_DIALED, 0);
	}
	if (c->fd[0] >= 0 && !c->dead)
		conn_established(r, c);
}

/* Starts the connect to the registered upstream from the supervisor's
 * (host) network namespace, non-blocking, watched by the relay's epoll. */
static int dial_upstream(struct relay *r, struct relay_conn *c)
{
	struct sockaddr_storage ss;
	int len = netguard_to_sockaddr(&c->upstream, false, &ss, sizeof(ss));
	int fd = socket(c->upstream.family,
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0 || len < 0) {
		if (fd >= 0)
			close(fd);
		return fd < 0 ? -errno : len;
	}
	c->fd[1] = fd;
	if (connect(fd, (struct sockaddr *)&ss, (socklen_t)len) != 0 &&
	    errno != EINPROGRESS)
		return -errno;
	return ep_add(r->ep, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		      &c->tag[1]);
}

/* The agent side arrived: watch it; dial now unless relay_dial did. */
static int conn_accepted(struct relay *r, struct relay_conn *c, int fd)
{
	const uint32_t ev = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
	int rc;

	c->fd[0] = fd;
	rc = ep_add(r->ep, fd, ev, &c->tag[0]);
	if (rc == 0 && c->fd[1] < 0)
		rc = dial_upstream(r, c);
	if (rc == 0 && c->upstream_ok)
		conn_established(r, c);
	return rc;
}

int relay_dial(struct relay *r, const struct ng_addr *upstream,
	       const char *rule, const char *host, pid_t pid, uint64_t cookie)
{
	struct relay_conn *c = conn_new(r, upstream, rule, host, pid);
	int rc;

	if (!c)
		return r->n >= AKIOS_MAX_RELAY_CONNS ? -ENOSPC : -ENOMEM;
	c->cookie = cookie;
	c->announce = true;
	rc = dial_upstream(r, c);
	if (rc != 0) {
		/* No event: the caller answers from the return value. */
		conn_close_fds(c);
		c->dead = true;
	}
	return rc;
}

static struct relay_conn *find_cookie(struct relay *r, uint64_t cookie)
{
	for (struct relay_conn *c = r->conns; c; c = c->next) {
		if (!c->dead && !c->peer_set && c->cookie == cookie &&
		    c->fd[1] >= 0)
			return c;
	}
	return NULL;
}

int relay_attach(struct relay *r, uint64_t cookie, const struct ng_addr *peer)
{
	struct relay_conn *c = find_cookie(r, cookie);

	if (!c)
		return -ENOENT;
	c->peer = *peer;
	c->peer_set = true;
	c->announce = false; /* a later failure resets the agent side */
	return 0;
}

void relay_cancel(struct relay *r, uint64_t cookie)
{
	struct relay_conn *c = find_cookie(r, cookie);

	if (!c)
		return;
	conn_close_fds(c);
	c->dead = true;
}

static struct relay_conn *find_expected(struct relay *r,
					const struct ng_addr *peer)
{
	for (struct relay_conn *c = r->conns; c; c = c->next) {
		if (!c->dead && c->peer_set && c->fd[0] < 0 &&
		    c->peer.port == peer->port &&
		    netguard_same_ip(&c->peer, peer))
			return c;
	}
	return NULL;
}

static void drop_unknown(struct relay *r, int fd, const struct ng_addr *peer)
{
	struct relay_event ev = {
	    .kind = RELAY_DROPPED_UNKNOWN, .peer = peer, .error = ECONNREFUSED};

	reset_close(fd);
	if (r->on_event)
		r->on_event(r->ctx, &ev);
}

static int accept_one(struct relay *r, int lfd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct ng_addr peer = {0};
	int fd = accept4(lfd, (struct sockaddr *)&ss, &len,
			 SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return -errno;
	struct relay_conn *c = NULL;

	if (netguard_from_sockaddr(&ss, len, &peer) == 0)
		c = find_expected(r, &peer);
	if (!c) {
		drop_unknown(r, fd, &peer);
		return 0;
	}
	int rc = conn_accepted(r, c, fd);

	if (rc != 0)
		conn_end(r, c, RELAY_UPSTREAM_FAILED, -rc);
	return 0;
}

static int accept_all(struct relay *r, int lfd)
{
	for (;;) {
		int rc = accept_one(r, lfd);

		if (rc == -EAGAIN)
			return 0;
		/* A connection that died in the queue, or fd exhaustion:
		 * not the relay's failure; try again on the next wakeup. */
		if (rc == -ECONNABORTED || rc == -EMFILE || rc == -ENFILE ||
		    rc == -ENOBUFS || rc == -ENOMEM)
			return 0;
		if (rc != 0)
			return rc;
	}
}

static void conn_event(struct relay *r, struct relay_conn *c, int side,
		       uint32_t events)
{
	if (c->dead)
		return;
	if (!c->connected) {
		if (side == 1 && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			conn_check_upstream(r, c);
		return;
	}
	conn_pump(r, c);
}

int relay_handle_ready(struct relay *r)
{
	struct epoll_event evs[64];
	int rc = 0;
	int n = epoll_wait(r->ep, evs, (int)AKIOS_ARRAY_SIZE(evs), 0);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n && rc == 0; i++) {
		struct relay_tag *t = evs[i].data.ptr;

		if (!t->conn)
			rc = accept_all(r, r->lfd[t->side]);
		else
			conn_event(r, t->conn, t->side, evs[i].events);
	}
	reap(r);
	return rc;
}

/* The agent is gone: what it sent or was sent is moved while the kernel
 * still has it, and every connection still open gets its event now
 * (ECONNABORTED, reset), so the audit never loses one to the run's end. */
static void relay_finish(struct relay *r)
{
	for (int pass = 0; pass < 4; pass++)
		(void)!relay_handle_ready(r);
	for (struct relay_conn *c = r->conns; c; c = c->next) {
		if (c->fd[0] < 0) /* only expected: nothing to report */
			continue;
		if (!c->dead && c->connected)
			conn_pump(r, c);
		conn_end(r, c, RELAY_CLOSED, ECONNABORTED);
	}
	reap(r);
}

void relay_free(struct relay *r)
{
	if (!r)
		return;
	relay_finish(r);
	while (r->conns) {
		struct relay_conn *c = r->conns;

		r->conns = c->next;
		conn_close_fds(c);
		free(c);
	}
	for (int i = 0; i < 2; i++)
		if (r->lfd[i] >= 0)
			close(r->lfd[i]);
	if (r->ep >= 0)
		close(r->ep);
	free(r);
}
