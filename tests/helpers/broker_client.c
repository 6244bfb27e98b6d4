/* broker_client: the network behaviours the broker's tests need, as one
 * plain program (also built -static). Prints one result line per action
 * ("connect=0", "connect=ECONNREFUSED", "reply=...") on stdout.
 *   connect PORT        blocking connect to 127.0.0.1:PORT, HTTP GET
 *   connect6 PORT       the same from an AF_INET6 socket (v4-mapped)
 *   epoll PORT          non-blocking connect, registered with epoll first
 *   fastopen PORT       sendto(MSG_FASTOPEN) to 127.0.0.1:PORT
 *   udp PORT            a UDP datagram to 127.0.0.1:PORT
 *   listen PORT         listen on 127.0.0.1:PORT, wait 3 s for a client
 *   race OKPORT BADPORT N   a thread flips the sockaddr's port while
 *                       another connects N times with it
 *   bench-connect PORT N   N connect+close, prints "us=" per connect
 *   bench-send PORT MB     sends MB MiB, prints "mbps="
 *   bench-exec N           N fork+execve(/bin/true)+wait, prints the
 *                          median per exec as "us="
 *   bench-execfail N       N execve of a missing path (no fork), prints
 *                          the median per call as "us="
 *   bench-udp N ADDR       N UDP datagrams to a socket of this process
 *                          on 127.0.0.1, sendto with the address (ADDR 1)
 *                          or sendmsg on the connected socket (ADDR 0),
 *                          each received; prints "us=" per datagram */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char req[] = "GET / HTTP/1.0\r\n\r\n";

static struct sockaddr_in lo(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((unsigned short)port)};

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static const char *ename(int e)
{
	const char *s = strerrorname_np(e);

	return s ? s : "?";
}

static int report(const char *what, int rc)
{
	if (rc == 0)
		printf("%s=0\n", what);
	else
		printf("%s=%s\n", what, ename(errno));
	fflush(stdout);
	return rc == 0 ? 0 : 1;
}

static int get_reply(int fd)
{
	char buf[512];
	ssize_t n, got = 0;

	if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) < 0)
		return report("send", -1);
	while (got < (ssize_t)sizeof(buf) - 1 &&
	       (n = read(fd, buf + got, sizeof(buf) - 1 - (size_t)got)) > 0)
		got += n;
	buf[got] = '\0';
	char *body = strstr(buf, "\r\n\r\n");

	printf("reply=%s\n", body ? body + 4 : "");
	return body ? 0 : 1;
}

static int do_connect(int port, int v6)
{
	int fd;
	int rc;

	if (v6) {
		struct sockaddr_in6 a = {.sin6_family = AF_INET6,
					 .sin6_port =
					     htons((unsigned short)port)};

		inet_pton(AF_INET6, "::ffff:127.0.0.1", &a.sin6_addr);
		fd = socket(AF_INET6, SOCK_STREAM, 0);
		rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
	} else {
		struct sockaddr_in a = lo(port);

		fd = socket(AF_INET, SOCK_STREAM, 0);
		rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
	}
	if (report("connect", rc) != 0)
		return 1;
	return get_reply(fd);
}

static int wait_ev(int ep, unsigned want)
{
	struct epoll_event ev;

	for (int i = 0; i < 50; i++) {
		if (epoll_wait(ep, &ev, 1, 100) == 1 && (ev.events & want))
			return 0;
	}
	return -1;
}

/* Go's runtime shape: the socket is in epoll before connect is called,
 * and the readiness of that very registration must fire. */
static int do_epoll(int port)
{
	struct sockaddr_in a = lo(port);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET};
	int err = 0;
	socklen_t len = sizeof(err);

	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
		return report("epoll_ctl", -1);
	int rc = connect(fd, (struct sockaddr *)&a, sizeof(a));

	printf("nonblock=%s\n", rc == 0 ? "0" : ename(errno));
	if (rc != 0 && errno != EINPROGRESS)
		return 1;
	if (report("epollout", wait_ev(ep, EPOLLOUT)) != 0)
		return 1;
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	printf("so_error=%d\n", err);
	if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) < 0)
		return report("send", -1);
	if (report("epollin", wait_ev(ep, EPOLLIN)) != 0)
		return 1;
	char buf[256];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);

	buf[n > 0 ? n : 0] = '\0';
	char *body = strstr(buf, "\r\n\r\n");

	printf("reply=%s\n", body ? body + 4 : "");
	return 0;
}

static int do_send(int port, int type, int flags, const char *what)
{
	struct sockaddr_in a = lo(port);
	int fd = socket(AF_INET, type, 0);
	ssize_t n = sendto(fd, req, sizeof(req) - 1, flags | MSG_NOSIGNAL,
			   (struct sockaddr *)&a, sizeof(a));

	report(what, n < 0 ? -1 : 0);
	return 0;
}

static int do_listen(int port)
{
	struct sockaddr_in a = lo(port);
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (report("listen", bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
				 listen(fd, 4)) != 0)
		return 1;
	struct pollfd p = {.fd = fd, .events = POLLIN};

	printf("accepted=%s\n", poll(&p, 1, 3000) == 1 ? "yes" : "no");
	return 0;
}

struct race {
	struct sockaddr_in addr;
	int ok, bad;
	atomic_bool stop;
};

static void *flipper(void *arg)
{
	struct race *r = arg;
	volatile unsigned short *port = &r->addr.sin_port;

	/* Equal time in each state, so both outcomes happen. */
	while (!r->stop) {
		*port = htons((unsigned short)r->bad);
		for (volatile int i = 0; i < 2000; i++)
			;
		*port = htons((unsigned short)r->ok);
		for (volatile int i = 0; i < 2000; i++)
			;
	}
	return NULL;
}

static int do_race(int ok, int bad, int n)
{
	struct race r = {.addr = lo(ok), .ok = ok, .bad = bad};
	pthread_t t;
	int good = 0, refused = 0, other = 0;

	pthread_create(&t, NULL, flipper, &r);
	for (int i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (connect(fd, (struct sockaddr *)&r.addr, sizeof(r.addr)) ==
		    0)
			good++;
		else if (errno == ECONNREFUSED)
			refused++;
		else
			other++;
		close(fd);
	}
	r.stop = true;
	pthread_join(t, NULL);
	printf("race good=%d refused=%d other=%d\n", good, refused, other);
	return 0;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int bench_connect(int port, int n)
{
	struct sockaddr_in a = lo(port);
	double t0 = now_us();

	for (int i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
			return report("connect", -1);
		close(fd);
	}
	printf("us=%.2f\n", (now_us() - t0) / n);
	return 0;
}

static int bench_send(int port, int mb)
{
	static char buf[1 << 16];
	struct sockaddr_in a = lo(port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	double t0;
	long long left = (long long)mb << 20;

	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		return report("connect", -1);
	t0 = now_us();
	while (left > 0) {
		ssize_t w = write(fd, buf, sizeof(buf));

		if (w <= 0)
			return report("write", -1);
		left -= w;
	}
	shutdown(fd, SHUT_WR);
	/* The sink answers one byte once it has everything. */
	if (read(fd, buf, 1) != 1)
		return report("ack", -1);
	printf("mbps=%.1f\n", (double)mb / ((now_us() - t0) / 1e6));
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of the per-exec times: one slow exec (the machine is
 * shared) moves a mean, not a median. 20 warm-up execs are not timed. */
static int bench_exec(int n)
{
	static double t[10000];

	if (n < 1 || n > (int)(sizeof(t) / sizeof(t[0])))
		return 2;
	for (int i = -20; i < n; i++) {
		double t0 = now_us();
		pid_t p = fork();

		if (p == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		int st;

		if (p < 0 || waitpid(p, &st, 0) != p || st != 0)
			return report("exec", -1);
		if (i >= 0)
			t[i] = now_us() - t0;
	}
	qsort(t, (size_t)n, sizeof(t[0]), cmp_double);
	printf("us=%.2f\n", t[n / 2]);
	return 0;
}

/* N execve of a path that does not exist, in this process: the call
 * alone (trapped: notification, the broker's decision, CONTINUE, the
 * kernel's failed lookup), without a fork or a program start. Prints
 * the median per call as "us=". */
static int bench_exec_fail(int n)
{
	static double t[100000];
	char *const args[] = {"x", NULL};

	if (n < 1 || n > (int)(sizeof(t) / sizeof(t[0])))
		return 2;
	for (int i = -20; i < n; i++) {
		double t0 = now_us();

		if (execve("/nonexistent/akios-bench", args, args + 1) == 0 ||
		    errno != ENOENT)
			return report("execfail", -1);
		if (i >= 0)
			t[i] = now_us() - t0;
	}
	qsort(t, (size_t)n, sizeof(t[0]), cmp_double);
	printf("us=%.2f\n", t[n / 2]);
	return 0;
}

static int bench_udp(int n, int with_addr)
{
	struct sockaddr_in a = lo(0);
	socklen_t len = sizeof(a);
	int r = socket(AF_INET, SOCK_DGRAM, 0);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	char c = 'u';
	struct iovec iov = {.iov_base = &c, .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	double t0;

	if (bind(r, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(r, (struct sockaddr *)&a, &len) != 0 ||
	    (!with_addr && connect(s, (struct sockaddr *)&a, len) != 0))
		return report("udp setup", -1);
	t0 = now_us();
	for (int i = 0; i < n; i++) {
		ssize_t w =
		    with_addr ? sendto(s, &c, 1, 0, (struct sockaddr *)&a, len)
			      : sendmsg(s, &mh, 0);

		if (w != 1 || recv(r, &c, 1, 0) != 1)
			return report("udp", -1);
	}
	printf("us=%.2f\n", (now_us() - t0) / n);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3)
		return 2;
	int port = (int)strtol(argv[2], NULL, 10);

	if (!strcmp(argv[1], "connect"))
		return do_connect(port, 0);
	if (!strcmp(argv[1], "connect6"))
		return do_connect(port, 1);
	if (!strcmp(argv[1], "epoll"))
		return do_epoll(port);
	if (!strcmp(argv[1], "fastopen"))
		return do_send(port, SOCK_STREAM, MSG_FASTOPEN, "fastopen");
	if (!strcmp(argv[1], "udp"))
		return do_send(port, SOCK_DGRAM, 0, "udp");
	if (!strcmp(argv[1], "listen"))
		return do_listen(port);
	if (!strcmp(argv[1], "bench-exec"))
		return bench_exec(port);
	if (!strcmp(argv[1], "bench-execfail"))
		return bench_exec_fail(port);
	if (!strcmp(argv[1], "bench-connect") && argc == 4)
		return bench_connect(port, (int)strtol(argv[3], NULL, 10));
	if (!strcmp(argv[1], "bench-udp") && argc == 4)
		return bench_udp(port, (int)strtol(argv[3], NULL, 10));
	if (!strcmp(argv[1], "bench-send") && argc == 4)
		return bench_send(port, (int)strtol(argv[3], NULL, 10));
	if (!strcmp(argv[1], "race") && argc == 5)
		return do_race(port, (int)strtol(argv[3], NULL, 10),
			       (int)strtol(argv[4], NULL, 10));
	return 2;
}
