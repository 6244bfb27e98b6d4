/* A test harness for the broker without the cage: broker_cage (a test
 * helper) enters its own network namespace, installs a user-notify filter
 * and execs a real client; this side copies the listener with
 * pidfd_getfd, creates the relay inside the child's namespace, and runs
 * the broker's loop in a thread while the test drives host-side servers.
 * Loopback traffic only. Included by tests/integration/test_broker_*.c. */
#ifndef AKIOS_TEST_BROKER_HARNESS_H
#define AKIOS_TEST_BROKER_HARNESS_H

#include "shared/common.h"

#include "supervisor/broker/broker.h"
#include "supervisor/broker/relay.h"
#include "supervisor/broker/resolve.h"
#include "tests/lib/testlib.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* An HTTP/1.0 server on 127.0.0.1:ephemeral answering "hello". */
struct srv {
	int lfd;
	uint16_t port;
	atomic_uint accepted;
	atomic_bool stop;
	pthread_t t;
};

AKIOS_UNUSED static void srv_serve(int fd)
{
	static const char resp[] = "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n"
				   "\r\nhello";
	char buf[1024];
	size_t got = 0;
	struct pollfd p = {.fd = fd, .events = POLLIN};

	while (got < sizeof(buf) - 1 && poll(&p, 1, 2000) == 1) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
		if (strstr(buf, "\r\n\r\n")) {
			(void)!write(fd, resp, sizeof(resp) - 1);
			break;
		}
	}
	close(fd);
}

AKIOS_UNUSED static void *srv_main(void *arg)
{
	struct srv *s = arg;

	while (!s->stop) {
		struct pollfd p = {.fd = s->lfd, .events = POLLIN};

		if (poll(&p, 1, 50) != 1)
			continue;
		int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0)
			continue;
		s->accepted++;
		srv_serve(fd);
	}
	return NULL;
}

AKIOS_UNUSED static void srv_start(struct srv *s)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);

	memset(s, 0, sizeof(*s));
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(s->lfd, 0);
	cr_assert_eq(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(s->lfd, 64), 0);
	cr_assert_eq(getsockname(s->lfd, (struct sockaddr *)&a, &len), 0);
	s->port = ntohs(a.sin_port);
	cr_assert_eq(pthread_create(&s->t, NULL, srv_main, s), 0);
}

AKIOS_UNUSED static void srv_stop(struct srv *s)
{
	s->stop = true;
	pthread_join(s->t, NULL);
	close(s->lfd);
}

/* The audit hook's record of events. */
struct rec {
	enum broker_event_kind kind;
	char decision[16], rule[64], dest[64], path[256], argv[256];
	int error;
	uint64_t up, down;
};

struct cage {
	pid_t pid;
	int out;
	int stopfd;
	struct broker *b;
	pthread_t loop;
	int loop_rc;
	struct akios_policy pol;
	struct policy_endpoint ep[2];
	struct resolve_set *rs;
	pthread_mutex_t mu;
	struct rec recs[1024];
	unsigned n;
	char outbuf[16384];
	size_t outlen;
};

AKIOS_UNUSED static void on_audit(void *ctx, const struct broker_event *ev)
{
	struct cage *c = ctx;

	pthread_mutex_lock(&c->mu);
	if (c->n < AKIOS_ARRAY_SIZE(c->recs)) {
		struct rec *r = &c->recs[c->n++];
		size_t off = 0;

		r->kind = ev->kind;
		r->error = ev->error;
		r->up = ev->bytes_up;
		r->down = ev->bytes_down;
		snprintf(r->decision, sizeof(r->decision), "%s", ev->decision);
		snprintf(r->rule, sizeof(r->rule), "%s", ev->rule);
		snprintf(r->dest, sizeof(r->dest), "%s",
			 ev->dest ? ev->dest : "");
		snprintf(r->path, sizeof(r->path), "%s",
			 ev->path ? ev->path : "");
		for (unsigned i = 0; i < ev->argc && off < sizeof(r->argv);
		     i++) {
			int k = snprintf(r->argv + off, sizeof(r->argv) - off,
					 "%s%s", i ? " " : "", ev->argv[i]);
			off += k > 0 ? (size_t)k : 0;
		}
	}
	pthread_mutex_unlock(&c->mu);
}

/* Counts events of kind with decision (NULL: any) whose rule and dest
 * contain the given strings (NULL: any). */
AKIOS_UNUSED static unsigned cage_count(struct cage *c,
					enum broker_event_kind kind,
					const char *decision, const char *rule,
					const char *dest)
{
	unsigned k = 0;

	pthread_mutex_lock(&c->mu);
	for (unsigned i = 0; i < c->n; i++) {
		const struct rec *r = &c->recs[i];

		if (r->kind == kind &&
		    (!decision || !strcmp(r->decision, decision)) &&
		    (!rule || strstr(r->rule, rule)) &&
		    (!dest || strstr(r->dest, dest) || strstr(r->path, dest)))
			k++;
	}
	pthread_mutex_unlock(&c->mu);
	return k;
}

AKIOS_UNUSED static void *loop_main(void *arg)
{
	struct cage *c = arg;

	for (;;) {
		struct pollfd p[2] = {{.fd = broker_fd(c->b), .events = POLLIN},
				      {.fd = c->stopfd, .events = POLLIN}};

		(void)poll(p, 2, 100);
		int rc = broker_handle_ready(c->b);

		if (rc != 0) {
			c->loop_rc = rc;
			return NULL;
		}
		if (p[1].revents)
			return NULL;
	}
}

/* The policy: network allowlist with 127.0.0.1:port (0: isolated). */
AKIOS_UNUSED static void cage_policy(struct cage *c, uint16_t port)
{
	memset(&c->pol, 0, sizeof(c->pol));
	c->ep[0] = (struct policy_endpoint){.host = "127.0.0.1", .port = port};
	c->pol.security.network =
	    port ? POLICY_NET_ALLOWLIST : POLICY_NET_ISOLATED;
	c->pol.security.allowed_endpoints = c->ep;
	c->pol.security.n_allowed_endpoints = port ? 1 : 0;
}

AKIOS_UNUSED static int recv_listener(pid_t pid, int ctl)
{
	struct pollfd p = {.fd = ctl, .events = POLLIN};
	int num = -1, fd = -1;

	cr_assert_eq(poll(&p, 1, 5000), 1, "broker_cage did not report");
	cr_assert_eq(read(ctl, &num, sizeof(num)), (ssize_t)sizeof(num));
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

	cr_assert_geq(pidfd, 0);
	fd = (int)syscall(SYS_pidfd_getfd, pidfd, num, 0);
	cr_assert_geq(fd, 0, "pidfd_getfd: %s", strerror(errno));
	close(pidfd);
	return fd;
}

AKIOS_UNUSED static void relay_fds(pid_t pid, int *r4, int *r6)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	int ns = open(path, O_RDONLY | O_CLOEXEC);

	cr_assert_geq(ns, 0);
	cr_assert_eq(relay_listen_in_netns(ns, AF_INET, r4), 0);
	if (relay_listen_in_netns(ns, AF_INET6, r6) != 0)
		*r6 = -1;
	close(ns);
}

AKIOS_UNUSED static void cage_exec(char *const argv[])
{
	char helper[512];
	char *args[32] = {helper, "3"};
	unsigned i = 0;

	while (argv[i] && i < 29) {
		args[2 + i] = argv[i];
		i++;
	}
	args[2 + i] = NULL;
	test_build_path("tests/helpers/broker_cage", helper, sizeof(helper));
	execv(helper, args);
	_exit(127);
}

/* Starts argv in the test cage with the broker running. */
AKIOS_UNUSED static void cage_start(struct cage *c, char *const argv[],
				    const char *const *extra, unsigned n_extra)
{
	int sv[2], out[2], r4 = -1, r6 = -1;
	struct sigaction ign = {.sa_handler = SIG_IGN};

	cr_assert_eq(sigaction(SIGPIPE, &ign, NULL), 0);
	pthread_mutex_init(&c->mu, NULL);
	cr_assert_eq(
	    resolve_endpoints(&c->pol, resolve_getaddrinfo, NULL, &c->rs, NULL),
	    0);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
	c->pid = fork();
	cr_assert_geq(c->pid, 0);
	if (c->pid == 0) {
		if (dup2(out[1], 1) < 0 || dup2(sv[1], 3) < 0)
			_exit(126);
		cage_exec(argv);
	}
	close(out[1]);
	close(sv[1]);
	c->out = out[0];
	struct broker_opts o = {.policy = &c->pol,
				.endpoints = c->rs,
				.notify_fd = -1,
				.audit = on_audit,
				.audit_ctx = c,
				.exec_extra = extra,
				.n_exec_extra = n_extra};
	int nfd = recv_listener(c->pid, sv[0]);

	/* As akios run does: the broker first, the listener after. */
	relay_fds(c->pid, &r4, &r6);
	o.relay4 = r4;
	o.relay6 = r6;
	cr_assert_eq(broker_new(&o, &c->b), 0);
	cr_assert_eq(broker_set_listener(c->b, nfd), 0);
	cr_assert_eq(write(sv[0], "g", 1), 1);
	close(sv[0]);
	c->stopfd = eventfd(0, EFD_CLOEXEC);
	cr_assert_eq(pthread_create(&c->loop, NULL, loop_main, c), 0);
}

/* Reads the child's output until needle shows up (NULL: EOF). */
AKIOS_UNUSED static bool cage_read_until(struct cage *c, const char *needle)
{
	for (int i = 0; i < 200; i++) {
		struct pollfd p = {.fd = c->out, .events = POLLIN};

		c->outbuf[c->outlen] = '\0';
		if (needle && strstr(c->outbuf, needle))
			return true;
		if (poll(&p, 1, 100) != 1)
			continue;
		ssize_t n = read(c->out, c->outbuf + c->outlen,
				 sizeof(c->outbuf) - 1 - c->outlen);
		if (n <= 0) {
			c->outbuf[c->outlen] = '\0';
			return !needle;
		}
		c->outlen += (size_t)n;
	}
	return false;
}

/* Waits for the child, lets the relay drain, stops the loop. Returns the
 * exit status. */
AKIOS_UNUSED static int cage_finish(struct cage *c)
{
	int st = 0;

	cr_assert(cage_read_until(c, NULL), "the child did not finish");
	cr_assert_eq(waitpid(c->pid, &st, 0), c->pid);
	for (int i = 0; i < 100 && broker_relay_count(c->b) > 0; i++)
		usleep(20000);
	uint64_t one = 1;

	cr_assert_eq(write(c->stopfd, &one, sizeof(one)), 8);
	pthread_join(c->loop, NULL);
	cr_assert_eq(c->loop_rc, 0, "broker loop: %s", strerror(-c->loop_rc));
	broker_free(c->b);
	resolve_set_free(c->rs);
	close(c->out);
	close(c->stopfd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Runs argv to completion; returns the exit status, output in c. */
AKIOS_UNUSED static int cage_run(struct cage *c, char *const argv[])
{
	cage_start(c, argv, NULL, 0);
	return cage_finish(c);
}

#endif
