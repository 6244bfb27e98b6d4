/* relay: accept only expected connections, dial the registered upstream,
 * splice both ways with exact byte counts, reset on failure. Loopback
 * only, in the test's own network namespace. */
#include "shared/common.h"

#include "shared/limits.h"
#include "supervisor/broker/relay.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>

#define UP_BYTES   (1024u * 1024u + 17u)
#define DOWN_BYTES (512u * 1024u + 3u)

struct events {
	struct relay_event last;
	unsigned n;
};

static void on_event(void *ctx, const struct relay_event *ev)
{
	struct events *e = ctx;

	e->last = *ev;
	e->last.upstream = NULL;
	e->last.peer = NULL;
	e->n++;
}

static struct ng_addr lo4(uint16_t port)
{
	struct ng_addr a;

	cr_assert_eq(netguard_parse_ip("127.0.0.1", &a), 0);
	a.port = port;
	return a;
}

static int tcp_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	return fd;
}

static uint16_t bound_port(int fd)
{
	struct sockaddr_in in;
	socklen_t len = sizeof(in);

	cr_assert_eq(getsockname(fd, (struct sockaddr *)&in, &len), 0);
	return ntohs(in.sin_port);
}

/* A socket bound to 127.0.0.1:0, its port in *port. */
static int bound_socket(uint16_t *port)
{
	int fd = tcp_socket();
	struct sockaddr_in in = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

	cr_assert_eq(bind(fd, (struct sockaddr *)&in, sizeof(in)), 0);
	*port = bound_port(fd);
	return fd;
}

struct upstream {
	int lfd;
	atomic_uint got;
};

/* Reads everything, then answers DOWN_BYTES and closes. */
static void *upstream_main(void *arg)
{
	struct upstream *u = arg;
	static char buf[65536];
	int fd = accept4(u->lfd, NULL, NULL, SOCK_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return NULL;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		u->got += (unsigned)n;
	memset(buf, 'd', sizeof(buf));
	for (unsigned left = DOWN_BYTES; left > 0;) {
		size_t k = left < sizeof(buf) ? left : sizeof(buf);

		n = write(fd, buf, k);
		if (n <= 0)
			break;
		left -= (unsigned)n;
	}
	close(fd);
	return NULL;
}

struct client {
	int fd;
	struct sockaddr_storage relay;
	socklen_t len;
	unsigned sent, got;
	int read_errno;
	atomic_bool done;
};

static void *client_main(void *arg)
{
	struct client *c = arg;
	static char buf[65536];
	ssize_t n;

	if (connect(c->fd, (struct sockaddr *)&c->relay, c->len) != 0)
		goto out;
	memset(buf, 'u', sizeof(buf));
	while (c->sent < UP_BYTES) {
		size_t k = UP_BYTES - c->sent;

		n = send(c->fd, buf, k < sizeof(buf) ? k : sizeof(buf),
			 MSG_NOSIGNAL);
		if (n <= 0)
			goto out;
		c->sent += (unsigned)n;
	}
	(void)shutdown(c->fd, SHUT_WR);
	while ((n = read(c->fd, buf, sizeof(buf))) > 0)
		c->got += (unsigned)n;
	if (n < 0)
		c->read_errno = errno;
out:
	c->done = true;
	return NULL;
}

static struct relay *make_relay(struct events *ev)
{
	struct sigaction ign = {.sa_handler = SIG_IGN};

	cr_assert_eq(sigaction(SIGPIPE, &ign, NULL), 0);
	struct relay *r = NULL;
	int l4 = -1;

	cr_assert_eq(relay_listen_in_netns(-1, AF_INET, &l4), 0);
	cr_assert_eq(relay_new(l4, -1, on_event, ev, &r), 0);
	return r;
}

/* Runs the relay's loop (this thread is its only user) until the client
 * is done and the relay has nothing left. */
static void run_until(struct relay *r, struct client *c, unsigned want_ev,
		      const struct events *ev, unsigned want_count)
{
	for (int i = 0; i < 500; i++) {
		struct pollfd p = {.fd = relay_fd(r), .events = POLLIN};

		(void)poll(&p, 1, 10);
		cr_assert_eq(relay_handle_ready(r), 0);
		if (c->done && ev->n >= want_ev && relay_count(r) == want_count)
			return;
	}
	cr_assert_fail("relay loop did not finish");
}

static void start_client(struct relay *r, struct client *c, pthread_t *t)
{
	c->len = (socklen_t)relay_sockaddr(r, AF_INET, &c->relay);
	cr_assert_gt(c->len, 0);
	cr_assert_eq(pthread_create(t, NULL, client_main, c), 0);
}

Test(relay, splices_both_ways_and_counts)
{
	struct events ev = {0};
	struct relay *r = make_relay(&ev);
	uint16_t up_port, peer_port;
	struct upstream u = {.lfd = bound_socket(&up_port)};
	struct client c = {.fd = bound_socket(&peer_port)};
	pthread_t tu, tc;
	struct ng_addr peer = lo4(peer_port), up = lo4(up_port);

	cr_assert_eq(listen(u.lfd, 4), 0);
	cr_assert_eq(pthread_create(&tu, NULL, upstream_main, &u), 0);
	cr_assert_eq(relay_expect(r, &peer, &up, "test.rule", "up", 42), 0);
	cr_assert_eq(relay_count(r), 1);
	start_client(r, &c, &tc);
	run_until(r, &c, 1, &ev, 0);
	pthread_join(tc, NULL);
	pthread_join(tu, NULL);
	cr_assert_eq(c.sent, UP_BYTES);
	cr_assert_eq(u.got, UP_BYTES);
	cr_assert_eq(c.got, DOWN_BYTES);
	cr_assert_eq(ev.n, 1);
	cr_assert_eq(ev.last.kind, RELAY_CLOSED);
	cr_assert_eq(ev.last.error, 0);
	cr_assert_eq(ev.last.bytes_up, UP_BYTES);
	cr_assert_eq(ev.last.bytes_down, DOWN_BYTES);
	cr_assert_eq(ev.last.pid, 42);
	cr_assert_str_eq(ev.last.rule, "test.rule");
	close(c.fd);
	close(u.lfd);
	relay_free(r);
}

Test(relay, unknown_connection_is_reset)
{
	struct events ev = {0};
	struct relay *r = make_relay(&ev);
	uint16_t up_port, peer_port, other_port;
	int up = bound_socket(&up_port);
	struct client c = {.fd = bound_socket(&peer_port)};
	int other = bound_socket(&other_port);
	pthread_t tc;
	struct ng_addr peer = lo4(other_port), upa = lo4(up_port);

	cr_assert_eq(listen(up, 4), 0);
	/* Expected: another socket; the client's own port is unknown. */
	cr_assert_eq(relay_expect(r, &peer, &upa, "r", NULL, 1), 0);
	start_client(r, &c, &tc);
	run_until(r, &c, 1, &ev, 1);
	pthread_join(tc, NULL);
	cr_assert_eq(ev.last.kind, RELAY_DROPPED_UNKNOWN);
	cr_assert_eq(c.got, 0);
	cr_assert(c.read_errno == ECONNRESET || c.sent < UP_BYTES,
		  "the client saw a reset");
	cr_assert_eq(relay_count(r), 1, "the real expectation stays");
	struct pollfd pu = {.fd = up, .events = POLLIN};

	cr_assert_eq(poll(&pu, 1, 0), 0, "upstream never dialled");
	close(c.fd);
	close(other);
	close(up);
	relay_free(r);
}

Test(relay, refused_upstream_resets_agent)
{
	struct events ev = {0};
	struct relay *r = make_relay(&ev);
	uint16_t closed_port, peer_port;
	/* Bound but not listening: a connect there is refused (RST). */
	int closed = bound_socket(&closed_port);
	struct client c = {.fd = bound_socket(&peer_port)};
	pthread_t tc;
	struct ng_addr peer = lo4(peer_port), up = lo4(closed_port);

	cr_assert_eq(relay_expect(r, &peer, &up, "r", NULL, 7), 0);
	start_client(r, &c, &tc);
	run_until(r, &c, 1, &ev, 0);
	pthread_join(tc, NULL);
	cr_assert_eq(ev.last.kind, RELAY_UPSTREAM_FAILED);
	cr_assert_eq(ev.last.error, ECONNREFUSED);
	cr_assert_eq(ev.last.bytes_down, 0);
	cr_assert_eq(c.got, 0);
	close(c.fd);
	close(closed);
	relay_free(r);
}

Test(relay, addresses_ports_and_limits)
{
	struct events ev = {0};
	struct relay *r = NULL;
	int l4 = -1, l6 = -1;
	uint16_t p4, p6;
	struct sockaddr_storage ss;

	cr_assert_eq(relay_listen_in_netns(-1, AF_INET, &l4), 0);
	cr_assert_eq(relay_listen_in_netns(-1, AF_UNIX, &l6), -EAFNOSUPPORT);
	cr_assert_eq(relay_new(-1, -1, NULL, NULL, &r), -EINVAL);
	/* SIGPIPE must be ignored: splice() to a reset socket raises it. */
	struct sigaction dfl = {.sa_handler = SIG_DFL};

	cr_assert_eq(sigaction(SIGPIPE, &dfl, NULL), 0);
	cr_assert_eq(relay_new(l4, -1, on_event, &ev, &r), -EINVAL);
	cr_assert_eq(relay_listen_in_netns(-1, AF_INET, &l4), 0);
	struct sigaction ign = {.sa_handler = SIG_IGN};

	cr_assert_eq(sigaction(SIGPIPE, &ign, NULL), 0);
	cr_assert_eq(relay_new(l4, -1, on_event, &ev, &r), 0);
	relay_ports(r, &p4, &p6);
	cr_assert_gt(p4, 0);
	cr_assert_eq(p6, 0);
	/* An AF_INET6 socket reaches the v4 relay through ::ffff:127.0.0.1. */
	cr_assert_eq(relay_sockaddr(r, AF_INET6, &ss),
		     (int)sizeof(struct sockaddr_in6));
	struct ng_addr a;

	cr_assert_eq(netguard_from_sockaddr(&ss, sizeof(ss), &a), 0);
	cr_assert_eq(a.family, AF_INET);
	cr_assert_eq(a.port, p4);
	cr_assert_eq(relay_sockaddr(r, AF_UNIX, &ss), -EAFNOSUPPORT);
	struct ng_addr x = lo4(1);

	for (unsigned i = 0; i < AKIOS_MAX_RELAY_CONNS; i++)
		cr_assert_eq(relay_expect(r, &x, &x, "r", NULL, 1), 0);
	cr_assert_eq(relay_expect(r, &x, &x, "r", NULL, 1), -ENOSPC);
	relay_free(r);
}

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

static uint64_t cookie(int fd)
{
	uint64_t c = 0;
	socklen_t len = sizeof(c);

	cr_assert_eq(getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &c, &len), 0);
	return c;
}

/* Root runs the test: the child enters a new user + net namespace; the
 * relay's sockets made through the setns thread (the test harnesses'
 * route) must live in the child's netns. */
Test(relay, listeners_are_made_in_the_target_namespace, .timeout = 20)
{
	int up[2], down[2];
	uint64_t theirs = 0;
	char path[64];

	cr_assert_eq(pipe2(up, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(down, O_CLOEXEC), 0);
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char b;

		close(down[1]);
		close(up[0]);
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0)
			_exit(1);
		int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		uint64_t c = 0;
		socklen_t len = sizeof(c);

		getsockopt(s, SOL_SOCKET, SO_NETNS_COOKIE, &c, &len);
		(void)!write(up[1], &c, sizeof(c));
		(void)!read(down[0], &b, 1);
		_exit(0);
	}
	close(down[0]);
	cr_assert_eq(read(up[0], &theirs, sizeof(theirs)),
		     (ssize_t)sizeof(theirs));
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	int netns = open(path, O_RDONLY | O_CLOEXEC);
	int own = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int a = -1, b = -1, d = -1;

	cr_assert_geq(netns, 0);
	cr_assert_eq(relay_listen_in_netns(netns, AF_INET, &a), 0);
	cr_assert_eq(relay_listen_in_netns(netns, AF_INET6, &b), 0);
	cr_assert_eq(relay_listen_in_netns(netns, AF_NETLINK, &d), 0);
	cr_assert_eq(cookie(a), theirs);
	cr_assert_eq(cookie(b), theirs);
	cr_assert_eq(cookie(d), theirs);
	cr_assert_neq(cookie(own), theirs);
	cr_assert_eq(relay_listen_in_netns(netns, AF_UNIX, &d), -EAFNOSUPPORT);
	/* Not a namespace fd: setns's error comes back. */
	cr_assert_lt(relay_listen_in_netns(own, AF_INET, &d), 0);
	close(a);
	close(b);
	close(d);
	close(own);
	close(netns);
	close(down[1]);
	waitpid(pid, NULL, 0);
}

/* What the cage child calls in the cage's namespace: loopback listeners
 * (IPv6 only for AF_INET6), the diag socket, nothing else. */
Test(relay, listen_here_makes_loopback_listeners)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int v = 0;
	socklen_t vl = sizeof(v);
	int l4 = relay_listen_here(AF_INET);
	int l6 = relay_listen_here(AF_INET6);
	int d = relay_listen_here(AF_NETLINK);

	cr_assert_geq(l4, 0);
	cr_assert_geq(l6, 0);
	cr_assert_geq(d, 0);
	cr_assert_eq(relay_listen_here(AF_UNIX), -EAFNOSUPPORT);
	cr_assert_eq(getsockname(l4, (struct sockaddr *)&ss, &len), 0);
	cr_assert_eq(((struct sockaddr_in *)&ss)->sin_addr.s_addr,
		     htonl(INADDR_LOOPBACK));
	cr_assert_neq(((struct sockaddr_in *)&ss)->sin_port, 0);
	len = sizeof(ss);
	cr_assert_eq(getsockname(l6, (struct sockaddr *)&ss, &len), 0);
	cr_assert(
	    IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&ss)->sin6_addr));
	cr_assert_eq(getsockopt(l6, IPPROTO_IPV6, IPV6_V6ONLY, &v, &vl), 0);
	cr_assert_eq(v, 1);
	cr_assert_eq(getsockopt(l4, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl), 0);
	cr_assert_eq(v, 1);
	cr_assert(fcntl(l4, F_GETFD) & FD_CLOEXEC);
	cr_assert(fcntl(l4, F_GETFL) & O_NONBLOCK);
	cr_assert_eq(getsockopt(d, SOL_SOCKET, SO_PROTOCOL, &v, &vl), 0);
	cr_assert_eq(v, NETLINK_SOCK_DIAG);
	cr_assert(fcntl(d, F_GETFD) & FD_CLOEXEC);
	close(l4);
	close(l6);
	close(d);
}

/* Connect-first: the dial's outcome is reported before any agent socket
 * exists; a refused upstream leaves nothing behind, a connected one is
 * attached to the agent's socket afterwards and spliced as usual. */
static void pump_until(struct relay *r, const struct events *ev, unsigned n)
{
	for (int i = 0; i < 500 && ev->n < n; i++) {
		struct pollfd p = {.fd = relay_fd(r), .events = POLLIN};

		(void)poll(&p, 1, 10);
		cr_assert_eq(relay_handle_ready(r), 0);
	}
	cr_assert_eq(ev->n, n);
}

Test(relay, dial_first_reports_refusal_then_attaches)
{
	struct events ev = {0};
	struct relay *r = make_relay(&ev);
	uint16_t closed_port, up_port, peer_port;
	int closed = bound_socket(&closed_port);
	struct upstream u = {.lfd = bound_socket(&up_port)};
	struct client c = {.fd = bound_socket(&peer_port)};
	struct ng_addr bad = lo4(closed_port), up = lo4(up_port);
	struct ng_addr peer = lo4(peer_port);
	pthread_t tu, tc;

	cr_assert_eq(relay_dial(r, &bad, "r", "h", 3, 11), 0);
	pump_until(r, &ev, 1);
	cr_assert_eq(ev.last.kind, RELAY_DIAL_FAILED);
	cr_assert_eq(ev.last.error, ECONNREFUSED);
	cr_assert_eq(ev.last.cookie, 11);
	cr_assert_eq(relay_count(r), 0);
	cr_assert_eq(relay_attach(r, 11, &peer), -ENOENT);

	cr_assert_eq(listen(u.lfd, 4), 0);
	cr_assert_eq(pthread_create(&tu, NULL, upstream_main, &u), 0);
	cr_assert_eq(relay_dial(r, &up, "r", "h", 3, 12), 0);
	pump_until(r, &ev, 2);
	cr_assert_eq(ev.last.kind, RELAY_DIALED);
	cr_assert_eq(ev.last.cookie, 12);
	cr_assert_eq(relay_attach(r, 12, &peer), 0);
	start_client(r, &c, &tc);
	run_until(r, &c, 3, &ev, 0);
	pthread_join(tc, NULL);
	pthread_join(tu, NULL);
	cr_assert_eq(ev.last.kind, RELAY_CLOSED);
	cr_assert_eq(u.got, UP_BYTES);
	cr_assert_eq(c.got, DOWN_BYTES);
	close(c.fd);
	close(u.lfd);
	close(closed);
	relay_free(r);
}
