/* broker: the notify loop's dispatch and the network handlers. A connect
 * to an allowed host endpoint is never CONTINUEd: the broker connects
 * its own copy of the agent's socket to the relay and registers the
 * destination it read, so a thread rewriting the sockaddr afterwards
 * changes nothing. Everything not allowed is answered with an error and
 * an audit event naming the rule. */
#include "shared/common.h"

#include "shared/limits.h"
#include "supervisor/broker/broker_int.h"

#include <errno.h>
#include <linux/audit.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>

#if defined(__x86_64__)
#define BROKER_NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define BROKER_NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
/* Unknown here: no arch matches, so every trapped call is refused. */
#define BROKER_NATIVE_ARCH 0
#endif

void broker_emit(struct broker *b, const struct broker_event *ev)
{
	if (b->audit)
		b->audit(b->audit_ctx, ev);
}

int broker_reply(struct broker *b, int err)
{
	int rc = err ? notify_reply_error(b->nfd, &b->nb, err)
		     : notify_reply_value(b->nfd, &b->nb, 0);

	return rc == -ENOENT ? 0 : rc;
}

int broker_continue(struct broker *b)
{
	int rc = notify_reply_continue(b->nfd, &b->nb);

	return rc == -ENOENT ? 0 : rc;
}

static void on_relay_event(void *ctx, const struct relay_event *rev)
{
	struct broker *b = ctx;

	if (rev->kind == RELAY_DIALED || rev->kind == RELAY_DIAL_FAILED) {
		broker_dial_done(b, rev->cookie, rev->error);
		return;
	}
	char dest[64] = "";
	struct broker_event ev = {.pid = rev->pid,
				  .rule = rev->rule,
				  .host = rev->host,
				  .error = rev->error,
				  .bytes_up = rev->bytes_up,
				  .bytes_down = rev->bytes_down,
				  .dest = dest};
	const struct ng_addr *a =
	    rev->kind == RELAY_DROPPED_UNKNOWN ? rev->peer : rev->upstream;

	if (a && netguard_format(a, true, dest, sizeof(dest)) != 0)
		dest[0] = '\0';
	ev.kind = rev->kind == RELAY_DROPPED_UNKNOWN ? BROKER_EV_RELAY_DROP
						     : BROKER_EV_RELAY_CLOSE;
	ev.decision = rev->kind == RELAY_CLOSED ? "allow" : "deny";
	if (rev->kind == RELAY_DROPPED_UNKNOWN)
		ev.rule = "broker.relay-unknown";
	broker_emit(b, &ev);
}

static void on_tool_timeout(void *ctx, const struct toolrun_expiry *e)
{
	struct broker_event ev = {.kind = BROKER_EV_TOOL_TIMEOUT,
				  .decision = "kill",
				  .rule = "tools.timeout_sec",
				  .pid = e->pid,
				  .error = e->error,
				  .path = e->tool,
				  .limit_sec = e->limit_sec};

	broker_emit(ctx, &ev);
}

static int ep_add(int ep, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : -errno;
}

int broker_new(const struct broker_opts *o, struct broker **out)
{
	struct broker *b = calloc(1, sizeof(*b));
	int r4 = o->relay4, r6 = o->relay6, nfd = o->notify_fd;
	int rc = -ENOMEM;

	if (!b) {
		if (o->unix_diag > 0)
			close(o->unix_diag);
		goto fail_fds;
	}
	b->nfd = -1;
	b->udiag = o->unix_diag;
	b->tfd = -1;
	for (unsigned i = 0; i < AKIOS_MAX_PENDING_CONNECTS; i++)
		b->pend[i].sock = -1;
	b->policy = o->policy;
	b->audit = o->audit;
	b->audit_ctx = o->audit_ctx;
	b->exec_extra = o->exec_extra;
	b->n_exec_extra = o->n_exec_extra;
	b->ep = epoll_create1(EPOLL_CLOEXEC);
	rc = 0;
	/* No relay (it could not be made in the cage's namespace): then
	 * nothing is brokered, every host endpoint is refused. */
	if (r4 >= 0 || r6 >= 0)
		rc = relay_new(r4, r6, on_relay_event, b, &b->relay);
	r4 = r6 = -1;
	if (rc == 0)
		rc = b->ep < 0 ? -errno : notify_buf_init(&b->nb);
	if (rc == 0)
		rc = broker_exec_new(b);
	if (rc == 0 && b->relay)
		rc = ep_add(b->ep, relay_fd(b->relay));
	if (rc == 0) {
		b->tfd =
		    timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		rc = b->tfd < 0 ? -errno : ep_add(b->ep, b->tfd);
	}
	if (rc == 0 && b->policy && b->policy->tools.timeout_sec > 0)
		rc = toolrun_new(b->policy->tools.timeout_sec, on_tool_timeout,
				 b, &b->tools);
	if (rc == 0 && b->tools)
		rc = ep_add(b->ep, toolrun_fd(b->tools));
	if (rc != 0)
		goto fail;
	resolve_policy(o->endpoints, &b->pol);
	if (b->relay)
		relay_ports(b->relay, &b->pol.relay_port4, &b->pol.relay_port6);
	b->no_sync_wakeup = o->no_sync_wakeup;
	rc = nfd >= 0 ? broker_set_listener(b, nfd) : 0;
	nfd = -1; /* taken, also on failure */
	if (rc != 0)
		goto fail;
	*out = b;
	return 0;
fail:
	broker_free(b);
fail_fds:
	if (nfd >= 0)
		close(nfd);
	if (r4 >= 0)
		close(r4);
	if (r6 >= 0)
		close(r6);
	return rc;
}

void broker_free(struct broker *b)
{
	if (!b)
		return;
	broker_pending_free(b);
	relay_free(b->relay);
	toolrun_free(b->tools);
	notify_buf_free(&b->nb);
	broker_exec_free(b);
	if (b->tfd >= 0)
		close(b->tfd);
	if (b->udiag > 0)
		close(b->udiag);
	if (b->ep >= 0)
		close(b->ep);
	if (b->nfd >= 0)
		close(b->nfd);
	free(b);
}

int broker_set_listener(struct broker *b, int fd)
{
	int rc = b->nfd >= 0 ? -EBUSY : ep_add(b->ep, fd);

	if (rc != 0) {
		close(fd);
		return rc;
	}
	b->nfd = fd;
	b->sync_wakeup = !b->no_sync_wakeup && notify_set_sync_wakeup(fd) == 0;
	return 0;
}

int broker_fd(const struct broker *b)
{
	return b->ep;
}

bool broker_notify_done(const struct broker *b)
{
	return b->notify_done;
}

bool broker_sync_wakeup(const struct broker *b)
{
	return b->sync_wakeup;
}

unsigned broker_tool_runs(const struct broker *b)
{
	return b->tools ? toolrun_count(b->tools) : 0;
}

unsigned broker_relay_count(const struct broker *b)
{
	return b->relay ? relay_count(b->relay) : 0;
}

void broker_emit_net(struct broker *b, const struct broker_net_ev *ne)
{
	char dest[64] = "non-ip";
	struct broker_event ev = {.kind = ne->kind,
				  .decision = ne->decision,
				  .rule = ne->rule,
				  .pid = ne->pid,
				  .error = ne->error,
				  .dest = dest,
				  .host = ne->host,
				  .outcome = ne->outcome};
	const struct ng_addr *dst = ne->dst;

	if (dst && (dst->family == AF_INET || dst->family == AF_INET6)) {
		if (netguard_format(dst, true, dest, sizeof(dest)) != 0)
			dest[0] = '\0';
		ev.addr_class = netguard_class_name(netguard_classify(dst));
	}
	broker_emit(b, &ev);
}

static void emit_net(struct broker *b, enum broker_event_kind kind,
		     const char *decision, const char *rule, int error,
		     const struct ng_addr *dst, const char *host)
{
	struct broker_net_ev ne = {.kind = kind,
				   .decision = decision,
				   .rule = rule,
				   .pid = (pid_t)b->nb.req->pid,
				   .error = error,
				   .dst = dst,
				   .host = host};

	broker_emit_net(b, &ne);
}

int broker_deny_net(struct broker *b, enum broker_event_kind kind,
		    const char *rule, int error, const struct ng_addr *dst)
{
	emit_net(b, kind, "deny", rule, error, dst, NULL);
	return broker_reply(b, error);
}

/* Reads the sockaddr at addr (len bytes, as the call gave them). */
static int read_sockaddr(struct broker *b, uint64_t addr, uint64_t len,
			 struct sockaddr_storage *ss)
{
	const struct seccomp_notif *n = b->nb.req;

	if (len < sizeof(sa_family_t) || len > sizeof(*ss))
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	return notify_read_mem(b->nfd, n->id, (pid_t)n->pid, addr, ss,
			       (size_t)len);
}

/* Families with no destination outside the cage: AF_UNIX abstract or
 * unnamed (Landlock scopes abstract sockets; pathnames go to
 * broker_unix.c), AF_NETLINK (the cage's own netns), AF_UNSPEC (a
 * disconnect). */
static bool family_local(sa_family_t fam)
{
	return fam == AF_UNIX || fam == AF_NETLINK || fam == AF_UNSPEC;
}

static int handle_connect(struct broker *b)
{
	const struct seccomp_notif *n = b->nb.req;
	struct sockaddr_storage ss;
	struct ng_addr dst = {0};
	struct ng_decision d;
	int rc = read_sockaddr(b, n->data.args[1], n->data.args[2], &ss);

	if (rc == -ENOENT)
		return 0;
	if (rc != 0)
		return broker_reply(b, -rc);
	if (broker_unix_pathname(&ss, (size_t)n->data.args[2]))
		return broker_connect_unix(b, &ss, (size_t)n->data.args[2]);
	if (family_local(ss.ss_family))
		return broker_continue(b);
	if (netguard_from_sockaddr(&ss, (size_t)n->data.args[2], &dst) != 0)
		return broker_deny_net(b, BROKER_EV_CONNECT, "broker.family",
				       EACCES, NULL);
	netguard_decide(&b->pol, &dst, &d);
	if (d.verdict == NG_CONTINUE_CAGE_LOOPBACK) {
		emit_net(b, BROKER_EV_CONNECT, "continue", d.rule, 0, &dst,
			 NULL);
		return broker_continue(b);
	}
	if (d.verdict == NG_DENY)
		return broker_deny_net(b, BROKER_EV_CONNECT, d.rule, d.error,
				       &dst);
	return broker_connect(b, &d, &dst);
}

/* A destination on a send: only the cage's own loopback (or a local
 * family) is let through; UDP and friends are not brokered. Returns 0 to
 * let it through, or the errno it was refused with (audited). */
static int send_check(struct broker *b, const struct sockaddr_storage *ss,
		      size_t len)
{
	struct ng_addr dst = {0};
	struct ng_decision d;

	/* Unconnected datagrams to a path: not done on the agent's behalf,
	 * so refused (connect the socket first, which is). */
	if (broker_unix_pathname(ss, len)) {
		emit_net(b, BROKER_EV_SEND, "deny", "broker.unix-send-path",
			 EACCES, NULL, NULL);
		return EACCES;
	}
	if (family_local(ss->ss_family))
		return 0;
	if (netguard_from_sockaddr(ss, len, &dst) != 0) {
		emit_net(b, BROKER_EV_SEND, "deny", "broker.family", EACCES,
			 NULL, NULL);
		return EACCES;
	}
	netguard_decide(&b->pol, &dst, &d);
	if (d.verdict == NG_CONTINUE_CAGE_LOOPBACK)
		return 0;
	emit_net(b, BROKER_EV_SEND, "deny",
		 d.verdict == NG_ALLOW_BROKERED ? "broker.send-not-brokered"
						: d.rule,
		 EACCES, &dst, NULL);
	return EACCES;
}

static int send_to(struct broker *b, uint64_t addr, uint64_t len)
{
	struct sockaddr_storage ss;
	int rc = read_sockaddr(b, addr, len, &ss);

	if (rc == -ENOENT)
		return 0;
	if (rc != 0)
		return broker_reply(b, -rc);
	rc = send_check(b, &ss, (size_t)len);
	return rc ? broker_reply(b, rc) : broker_continue(b);
}

static int handle_sendto(struct broker *b)
{
	const struct seccomp_notif *n = b->nb.req;

	/* TCP Fast Open connects and sends in one call, past connect(). */
	if (n->data.args[3] & MSG_FASTOPEN)
		return broker_deny_net(b, BROKER_EV_SEND, "broker.msg-fastopen",
				       EOPNOTSUPP, NULL);
	if (n->data.args[4] == 0)
		return broker_continue(b);
	return send_to(b, n->data.args[4], n->data.args[5]);
}

static int handle_sendmsg(struct broker *b)
{
	const struct seccomp_notif *n = b->nb.req;
	struct msghdr mh;
	int rc;

	if (n->data.args[2] & MSG_FASTOPEN)
		return broker_deny_net(b, BROKER_EV_SEND, "broker.msg-fastopen",
				       EOPNOTSUPP, NULL);
	rc = notify_read_mem(b->nfd, n->id, (pid_t)n->pid, n->data.args[1], &mh,
			     sizeof(mh));
	if (rc == -ENOENT)
		return 0;
	if (rc != 0)
		return broker_reply(b, -rc);
	if (!mh.msg_name || mh.msg_namelen == 0)
		return broker_continue(b);
	return send_to(b, (uintptr_t)mh.msg_name, mh.msg_namelen);
}

/* Every message of the vector is checked; one refused destination
 * refuses the whole call (nothing was sent). */
static int handle_sendmmsg(struct broker *b)
{
	const struct seccomp_notif *n = b->nb.req;
	unsigned vlen = (unsigned)n->data.args[2];
	struct mmsghdr *v;
	int rc;

	if (n->data.args[3] & MSG_FASTOPEN)
		return broker_deny_net(b, BROKER_EV_SEND, "broker.msg-fastopen",
				       EOPNOTSUPP, NULL);
	if (vlen > AKIOS_MAX_SENDMMSG)
		vlen = AKIOS_MAX_SENDMMSG; /* the kernel's own cap */
	if (vlen == 0)
		return broker_continue(b);
	v = calloc(vlen, sizeof(*v));
	if (!v)
		return broker_reply(b, ENOMEM);
	rc = notify_read_mem(b->nfd, n->id, (pid_t)n->pid, n->data.args[1], v,
			     vlen * sizeof(*v));
	for (unsigned i = 0; rc == 0 && i < vlen; i++) {
		struct sockaddr_storage ss;
		struct msghdr *mh = &v[i].msg_hdr;

		if (!mh->msg_name || mh->msg_namelen == 0)
			continue;
		rc = read_sockaddr(b, (uintptr_t)mh->msg_name, mh->msg_namelen,
				   &ss);
		if (rc == 0 && send_check(b, &ss, mh->msg_namelen) != 0)
			rc = -EACCES;
	}
	free(v);
	if (rc == -ENOENT)
		return 0;
	return rc ? broker_reply(b, -rc) : broker_continue(b);
}

static int dispatch(struct broker *b)
{
	const struct seccomp_notif *n = b->nb.req;

	/* The cage's filter kills other ABIs; a stray one is refused
	 * rather than decoded with the wrong syscall table. */
	if (n->data.arch != BROKER_NATIVE_ARCH)
		return broker_reply(b, ENOSYS);
	switch (n->data.nr) {
	case SYS_connect:
		return handle_connect(b);
	case SYS_sendto:
		return handle_sendto(b);
	case SYS_sendmsg:
		return handle_sendmsg(b);
	case SYS_sendmmsg:
		return handle_sendmmsg(b);
	case SYS_execve:
		return broker_handle_exec(b, false);
	case SYS_execveat:
		return broker_handle_exec(b, true);
	default:
		/* Trapped but unknown here: fail closed. */
		return broker_reply(b, ENOSYS);
	}
}

/* Handles the pending notifications; RECV is only called when poll says
 * one is there, so the loop never blocks on the agent. */
static int handle_notify(struct broker *b)
{
	for (int i = 0; i < 64; i++) {
		struct pollfd p = {.fd = b->nfd, .events = POLLIN};

		if (poll(&p, 1, 0) <= 0)
			return 0;
		if (p.revents & (POLLHUP | POLLERR | POLLNVAL)) {
			b->notify_done = true;
			return epoll_ctl(b->ep, EPOLL_CTL_DEL, b->nfd, NULL);
		}
		int rc = notify_recv(b->nfd, &b->nb);

		if (rc == -ENOENT || rc == -EINTR)
			continue;
		if (rc == 0)
			rc = dispatch(b);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int broker_handle_ready(struct broker *b)
{
	int rc = 0;

	if (!b->notify_done && b->nfd >= 0)
		rc = handle_notify(b);
	if (rc == 0 && b->relay)
		rc = relay_handle_ready(b->relay);
	/* Always: a tick left over once nothing is pending must be read
	 * (and the timer stopped), or the loop would spin on it. */
	if (rc == 0)
		rc = broker_pending_tick(b);
	if (rc == 0)
		rc = b->cb_err;
	if (rc == 0 && b->tools)
		rc = toolrun_handle_ready(b->tools);
	return rc;
}
