/* The cage's status messages, as the supervisor takes them: a setup
 * error, the relay's sockets (only from the cage's PID 1, once, before
 * the agent is ready), the agent's seccomp listener (copied with
 * pidfd_getfd, handed to the hook only after the relay's), its ready
 * message, a failed exec, the agent's end. Invariant: a message that
 * breaks the protocol stops the run (the caller kills the cage). */
#include "shared/common.h"
#include "shared/limits.h"
#include "supervisor/cage/run_int.h"
#include "supervisor/cage/status_msg.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/syscall.h>

void run_add_reason(struct run_ctx *c, const char *s, size_t n)
{
	size_t room = sizeof(c->r->reason) - 1 - c->reason_len;

	if (n > room)
		n = room;
	memcpy(c->r->reason + c->reason_len, s, n);
	c->reason_len += n;
	c->r->reason[c->reason_len] = '\0';
}

/* The sender's pid (in our namespace) as the kernel stamped it; 0 when
 * the message has none. */
static pid_t msg_sender(struct msghdr *mh)
{
	for (struct cmsghdr *m = CMSG_FIRSTHDR(mh); m; m = CMSG_NXTHDR(mh, m)) {
		struct ucred cr;

		if (m->cmsg_level != SOL_SOCKET ||
		    m->cmsg_type != SCM_CREDENTIALS)
			continue;
		memcpy(&cr, CMSG_DATA(m), sizeof(cr));
		return cr.pid;
	}
	return 0;
}

/* The agent's pidfd, for pid (a message's sender: the agent's listener
 * or its ready message); kept when it is open for that pid already. */
static int agent_pidfd_for(struct run_ctx *c, pid_t pid)
{
	if (c->agent_pidfd >= 0 && c->agent_pidfd_pid == pid)
		return 0;
	if (c->agent_pidfd >= 0)
		close(c->agent_pidfd);
	c->agent_pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	c->agent_pidfd_pid = pid;
	return c->agent_pidfd < 0 ? -errno : 0;
}

/* The copied listener to the hook (taken), or closed without one. */
static int pass_listener(struct run_ctx *c, int fd)
{
	if (c->o->on_listener)
		return c->o->on_listener(c->o->hook_ctx, c->loop, fd);
	close(fd);
	return 0;
}

/* The listener held back for the relay (got_listener), if any. */
static int flush_listener(struct run_ctx *c)
{
	int fd = c->listener_fd;

	c->listener_fd = -1;
	return fd >= 0 ? pass_listener(c, fd) : 0;
}

/* Every layer is on; the agent's exec follows. When its filter traps
 * that exec, its listener came before (at the filter's load: agent.c,
 * hand_over_listener): without our copy the exec would wait forever, so
 * the run stops; and should the relay not have come, the listener goes
 * to the hook now. */
static int got_ready(struct run_ctx *c, struct msghdr *mh)
{
	pid_t pid = msg_sender(mh);
	int rc;

	if (!pid)
		return 0;
	c->r->started = true;
	c->r->agent_pid = pid;
	if (c->draining)
		return 0;
	(void)agent_pidfd_for(c, pid);
	if (c->early_listener && !c->got_listener)
		return c->listener_err ? c->listener_err : -EPROTO;
	rc = flush_listener(c);
	if (rc == 0 && c->o->on_start)
		rc = c->o->on_start(c->o->hook_ctx, c->loop, pid);
	return rc;
}

/* The fd of a CAGE_MSG_PTY message (taken). */
static int got_fd(struct run_ctx *c, struct msghdr *mh, char kind)
{
	for (struct cmsghdr *m = CMSG_FIRSTHDR(mh); m; m = CMSG_NXTHDR(mh, m)) {
		int fd;

		if (m->cmsg_level != SOL_SOCKET || m->cmsg_type != SCM_RIGHTS)
			continue;
		memcpy(&fd, CMSG_DATA(m), sizeof(fd));
		if (kind == CAGE_MSG_PTY && c->have_pty)
			return cage_pty_attach(&c->pty, fd, c->loop);
		close(fd);
	}
	return 0;
}

/* "L<fd>[w]": copy the agent's listener (its pidfd from the message's
 * sender); with "w" (after its ready message) it waits until we have,
 * else (sent at the filter's load, long before the ready message) its
 * first execve waits in a notification only our copy can answer
 * (agent.c: hand_over_listener). A failure stops the run and kills the
 * cage: the broker's calls would hang. But for one: the early copy finds
 * the agent gone (ESRCH) or its fds closed (EBADF), which only its end
 * does, as it closes none before its exec, and that exec cannot complete
 * before we answer it: its setup failed, it says why and its end is
 * reported as such; should its ready message come all the same, got_ready
 * stops the run. The relay's hook comes first (run.h): a listener copied
 * before the relay came waits for it (got_relay), or for the ready
 * message. */
static int got_listener(struct run_ctx *c, const char *num, size_t n,
			struct msghdr *mh)
{
	bool wait = n > 0 && num[n - 1] == 'w';
	pid_t from = msg_sender(mh);
	int fd = -1;
	int rc;

	if (c->draining) /* the run has stopped: nobody takes it */
		return 0;
	rc = from ? agent_pidfd_for(c, from) : c->agent_pidfd < 0 ? -ESRCH : 0;
	if (rc == 0)
		fd = (int)syscall(SYS_pidfd_getfd, c->agent_pidfd,
				  cage_msg_code(num, n), 0);
	if (rc == 0 && fd < 0)
		rc = -errno;
	if (!wait && (rc == -ESRCH || rc == -EBADF)) {
		c->listener_err = rc;
		return 0;
	}
	c->got_listener = rc == 0;
	if (rc == 0 && c->o->on_relay && !c->got_relay && !wait) {
		c->listener_fd = fd;
		return 0;
	}
	if (rc == 0)
		rc = pass_listener(c, fd);
	if (rc == 0 && wait && send(c->l.status_fd, "A", 1, MSG_NOSIGNAL) != 1)
		rc = -errno;
	return rc;
}

/* "B<m4><m6><md><errno>" + the fds present: taken only from the cage's
 * PID 1 (the kernel stamps every message with its sender's pid: the
 * agent holds this socket until its exec), once, before the agent has
 * started; anything else is a broken cage and stops the run. */
static int got_relay(struct run_ctx *c, const char *b, size_t n,
		     struct msghdr *mh)
{
	struct cage_relay_fds r = {-1, -1, -1,
				   n > 4 ? cage_msg_code(b + 4, n - 4) : 0};
	int *slot[CAGE_RELAY_FDS] = {&r.relay4, &r.relay6, &r.diag};
	int got[CAGE_RELAY_FDS];
	unsigned ng = 0, want = 0;
	pid_t from = 0;
	int rc = cage_msg_fds(mh, got, &ng, &from);

	for (unsigned i = 0; i < CAGE_RELAY_FDS && i + 1 < n; i++)
		if (b[1 + i] == '1' && want++ < ng)
			*slot[i] = got[want - 1];
	if (from != c->l.pid || c->r->started || c->got_relay || n < 4 ||
	    want != ng)
		rc = -EPROTO;
	c->got_relay = true;
	if (rc == 0 && c->o->on_relay && !c->draining) {
		rc = c->o->on_relay(c->o->hook_ctx, c->loop, &r);
		return rc == 0 ? flush_listener(c) : rc;
	}
	for (unsigned i = 0; i < ng; i++)
		close(got[i]);
	return rc;
}

static int dispatch(struct run_ctx *c, const char *b, size_t n,
		    struct msghdr *mh)
{
	switch (b[0]) {
	case CAGE_MSG_ERROR:
		c->setup_err = true;
		run_add_reason(c, b + 1 + (n > 1 && b[1] == '+'),
			       n - 1 - (n > 1 && b[1] == '+'));
		return 0;
	case CAGE_MSG_NOEXEC:
		c->r->end = CAGE_END_NOEXEC;
		c->r->code = cage_msg_code(b + 1, n - 1);
		run_add_reason(c, b + 5 > b + n ? b + n : b + 5,
			       n > 5 ? n - 5 : 0);
		return 0;
	case CAGE_MSG_READY:
		return got_ready(c, mh);
	case CAGE_MSG_LISTEN:
		return got_listener(c, b + 1, n - 1, mh);
	case CAGE_MSG_PTY:
		return got_fd(c, mh, b[0]);
	case CAGE_MSG_RELAY:
		return got_relay(c, b, n, mh);
	case CAGE_MSG_EXIT:
		c->got_exit = n > 2;
		c->exit_kind = n > 1 ? b[1] : 'e';
		c->exit_from_pid1 = c->l.pid > 0 && msg_sender(mh) == c->l.pid;
		if (c->r->end != CAGE_END_NOEXEC)
			c->r->code = cage_msg_code(b + 2, n > 2 ? n - 2 : 0);
		c->have_usage =
		    n > 2 && cage_msg_usage(b + 2, n - 2, &c->r->ru);
		/* Nothing of the cage runs any more: the run is over. */
		cage_loop_stop(c->loop);
		return 0;
	}
	return 0;
}

int run_read_status(struct run_ctx *c, int flags)
{
	char b[AKIOS_MAX_STATUS_LINE] = {0}; /* (recvmsg fills it) */
	char cbuf[CMSG_SPACE(sizeof(struct ucred)) +
		  CMSG_SPACE(CAGE_RELAY_FDS * sizeof(int))];
	int rc = 0;

	while (rc == 0) {
		struct iovec iov = {.iov_base = b, .iov_len = sizeof(b)};
		struct msghdr mh = {.msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf)};
		ssize_t n = recvmsg(c->l.status_fd, &mh,
				    MSG_CMSG_CLOEXEC | MSG_DONTWAIT | flags);

		if (n <= 0)
			return 0;
		rc = dispatch(c, b, (size_t)n, &mh);
	}
	return rc;
}
