/* broker_new without a listener, then broker_set_listener (what akios run
 * does: the broker is made when the relay arrives, before the agent
 * exists): it waits without answering anything, takes one listener only,
 * and closes what it refuses. */
#include "shared/common.h"

#include "policy/policy.h"
#include "supervisor/broker/broker.h"
#include "supervisor/broker/relay.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>

static struct broker *make(struct akios_policy *pol, struct resolve_set **rs)
{
	struct sigaction ign = {.sa_handler = SIG_IGN};
	struct broker_opts o = {.policy = pol,
				.notify_fd = -1,
				.relay4 = relay_listen_here(AF_INET),
				.relay6 = -1,
				.unix_diag = -1};
	struct broker *b = NULL;

	cr_assert_eq(sigaction(SIGPIPE, &ign, NULL), 0);
	memset(pol, 0, sizeof(*pol));
	cr_assert_geq(o.relay4, 0);
	cr_assert_eq(
	    resolve_endpoints(pol, resolve_getaddrinfo, NULL, rs, NULL), 0);
	o.endpoints = *rs;
	cr_assert_eq(broker_new(&o, &b), 0);
	return b;
}

Test(broker_listener, set_once_later)
{
	struct akios_policy pol;
	struct resolve_set *rs = NULL;
	struct broker *b = make(&pol, &rs);
	int p[2], q[2];

	/* Nothing to answer yet: the loop may call it, it does nothing. */
	cr_assert_eq(broker_handle_ready(b), 0);
	cr_assert(!broker_notify_done(b));
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(q, O_CLOEXEC), 0);
	cr_assert_eq(broker_set_listener(b, p[0]), 0);
	/* Not a seccomp listener: no SYNC_WAKE_UP, still taken. */
	cr_assert(!broker_sync_wakeup(b));
	cr_assert_eq(broker_set_listener(b, q[0]), -EBUSY);
	cr_assert_eq(fcntl(q[0], F_GETFD), -1, "the refused fd is closed");
	cr_assert_eq(errno, EBADF);
	broker_free(b);
	cr_assert_eq(fcntl(p[0], F_GETFD), -1, "the listener is closed");
	close(p[1]);
	close(q[1]);
	resolve_set_free(rs);
}

/* A listener the epoll set cannot take is closed too. */
Test(broker_listener, bad_listener_closed)
{
	struct akios_policy pol;
	struct resolve_set *rs = NULL;
	struct broker *b = make(&pol, &rs);
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_eq(broker_set_listener(b, fd), -EPERM); /* regular file */
	cr_assert_eq(fcntl(fd, F_GETFD), -1);
	broker_free(b);
	resolve_set_free(rs);
}
