/* broker_connect: a connect to an allowed host endpoint, connect-first.
 * The relay dials the upstream at once and the agent's call is held until
 * it answers, so a refused upstream reaches the agent as ECONNREFUSED
 * (not a reset after a fake success); then the agent's own socket (a
 * pidfd_getfd copy: flags, options and epoll registrations are its own)
 * is connected to the relay and the call returns 0 or EINPROGRESS.
 * Invariants: each held call is answered once (or dropped when its task
 * is gone); a non-blocking socket is held at most AKIOS_BROKER_HOLD_MS. */
#include "shared/common.h"

#include "supervisor/broker/broker_int.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>

#define TICK_MS 100

static int sock_int(int fd, int opt)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, opt, &v, &len) != 0)
		return -errno;
	return v;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Answers notification id later: the reply buffer takes the id of the
 * request it is built from, so that id is swapped in for the call. */
static int reply_to(struct broker *b, uint64_t id, int err)
{
	uint64_t save = b->nb.req->id;
	int rc;

	b->nb.req->id = id;
	rc = broker_reply(b, err);
	b->nb.req->id = save;
	return rc;
}

/* Connects the agent's socket to the relay and attaches it to dial id.
 * Returns the errno for the agent (0 or EINPROGRESS) or -errno. A
 * blocking socket makes this a blocking connect, which on the cage's
 * loopback to the listening relay completes at once. */
static int attach_agent(struct broker *b, int sock, uint64_t id)
{
	struct sockaddr_storage relay, local;
	socklen_t len = sizeof(local);
	struct ng_addr peer;
	int rc = relay_sockaddr(b->relay, sock_int(sock, SO_DOMAIN), &relay);
	int err = 0;

	if (rc < 0)
		return rc;
	if (connect(sock, (struct sockaddr *)&relay, (socklen_t)rc) != 0)
		err = errno;
	if (err != 0 && err != EINPROGRESS)
		return -err;
	/* Attached before the loop next runs the relay's accept: the relay
	 * cannot see this connection before it knows it. */
	if (getsockname(sock, (struct sockaddr *)&local, &len) != 0 ||
	    netguard_from_sockaddr(&local, len, &peer) != 0 ||
	    relay_attach(b->relay, id, &peer) != 0)
		return -ECONNREFUSED; /* the relay resets it as unknown */
	return err;
}

static void keep_err(struct broker *b, int rc)
{
	if (rc != 0 && b->cb_err == 0)
		b->cb_err = rc;
}

/* Audits the outcome and answers the held call; frees the slot. */
static void finish(struct broker *b, struct broker_pending *p, int err,
		   const char *outcome)
{
	bool ok = err == 0 || err == EINPROGRESS;
	struct broker_net_ev ne = {.kind = BROKER_EV_CONNECT,
				   .decision = ok ? "allow" : "deny",
				   .rule = ok ? p->rule : "broker.upstream",
				   .host = p->host,
				   .outcome = outcome,
				   .pid = p->pid,
				   .error = ok ? 0 : err,
				   .dst = &p->dst};

	broker_emit_net(b, &ne);
	keep_err(b, reply_to(b, p->id, err));
	close(p->sock);
	p->sock = -1;
	b->n_pend--;
}

static struct broker_pending *find(struct broker *b, uint64_t id)
{
	for (unsigned i = 0; i < AKIOS_MAX_PENDING_CONNECTS; i++)
		if (b->pend[i].sock >= 0 && b->pend[i].id == id)
			return &b->pend[i];
	return NULL;
}

void broker_dial_done(struct broker *b, uint64_t cookie, int error)
{
	struct broker_pending *p = find(b, cookie);
	int rc;

	if (!p) {
		if (error == 0)
			relay_cancel(b->relay, cookie);
		return;
	}
	if (error != 0) {
		finish(b, p, error,
		       error == ECONNREFUSED ? "upstream-refused"
					     : "upstream-failed");
		return;
	}
	rc = attach_agent(b, p->sock, p->id);
	if (rc < 0)
		relay_cancel(b->relay, p->id);
	finish(b, p, rc < 0 ? -rc : rc,
	       rc < 0 ? "relay-connect-failed" : "connected");
}

static int arm(struct broker *b, bool on)
{
	struct itimerspec its = {0};

	if (on) {
		its.it_value.tv_nsec = TICK_MS * 1000000L;
		its.it_interval = its.it_value;
	}
	return timerfd_settime(b->tfd, 0, &its, NULL) == 0 ? 0 : -errno;
}

int broker_pending_tick(struct broker *b)
{
	uint64_t n;
	uint64_t now = now_ms();

	if (read(b->tfd, &n, sizeof(n)) != (ssize_t)sizeof(n))
		return 0; /* not due yet */
	for (unsigned i = 0; i < AKIOS_MAX_PENDING_CONNECTS; i++) {
		struct broker_pending *p = &b->pend[i];

		if (p->sock < 0)
			continue;
		if (notify_id_valid(b->nfd, p->id) != 0) {
			relay_cancel(b->relay, p->id); /* its task is gone */
			close(p->sock);
			p->sock = -1;
			b->n_pend--;
		} else if (p->deadline_ms && now >= p->deadline_ms) {
			int rc = attach_agent(b, p->sock, p->id);

			if (rc < 0)
				relay_cancel(b->relay, p->id);
			finish(b, p, rc < 0 ? -rc : rc,
			       rc < 0 ? "relay-connect-failed" : "in-progress");
		}
	}
	return b->n_pend ? 0 : arm(b, false);
}

void broker_pending_free(struct broker *b)
{
	for (unsigned i = 0; i < AKIOS_MAX_PENDING_CONNECTS; i++) {
		if (b->pend[i].sock >= 0)
			close(b->pend[i].sock);
		b->pend[i].sock = -1;
	}
	b->n_pend = 0;
}

static int hold(struct broker *b, int sock, const struct ng_decision *d,
		const struct ng_addr *dst)
{
	const struct seccomp_notif *n = b->nb.req;
	struct broker_pending *p = NULL;
	int fl = fcntl(sock, F_GETFL);

	for (unsigned i = 0; !p && i < AKIOS_MAX_PENDING_CONNECTS; i++)
		if (b->pend[i].sock < 0)
			p = &b->pend[i];
	if (!p)
		return -EAGAIN;
	int rc = relay_dial(b->relay, dst, d->rule, d->ep->host, (pid_t)n->pid,
			    n->id);

	if (rc != 0)
		return rc;
	*p = (struct broker_pending){.id = n->id,
				     .pid = (pid_t)n->pid,
				     .sock = sock,
				     .nonblock = fl >= 0 && (fl & O_NONBLOCK),
				     .dst = *dst,
				     .rule = d->rule,
				     .host = d->ep->host};
	if (p->nonblock)
		p->deadline_ms = now_ms() + AKIOS_BROKER_HOLD_MS;
	/* The slot is taken whatever the timer says: without it, a held
	 * non-blocking call just waits for the upstream's own answer. */
	if (b->n_pend++ == 0)
		(void)arm(b, true);
	return 0;
}

int broker_connect(struct broker *b, const struct ng_decision *d,
		   const struct ng_addr *dst)
{
	const struct seccomp_notif *n = b->nb.req;
	int sock = -1;

	if (!b->relay)
		return broker_deny_net(b, BROKER_EV_CONNECT, "broker.no-relay",
				       ECONNREFUSED, dst);
	int rc = notify_getfd(b->nfd, n->id, (pid_t)n->pid,
			      (int)n->data.args[0], &sock);

	if (rc == -ENOENT)
		return 0; /* the task is gone: nothing to answer */
	if (rc == 0 && (sock_int(sock, SO_TYPE) != SOCK_STREAM ||
			sock_int(sock, SO_PROTOCOL) != IPPROTO_TCP))
		rc = -EPROTOTYPE;
	if (rc == 0)
		rc = hold(b, sock, d, dst);
	if (rc == 0)
		return 0; /* answered when the upstream does */
	if (sock >= 0)
		close(sock);
	if (rc == -EPROTOTYPE)
		return broker_deny_net(b, BROKER_EV_CONNECT, "broker.tcp-only",
				       EACCES, dst);
	return broker_deny_net(b, BROKER_EV_CONNECT,
			       rc == -EAGAIN ? "broker.too-many-pending"
					     : "broker.upstream",
			       -rc, dst);
}
