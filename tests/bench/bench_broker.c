/* bench_broker: runs a broker_client benchmark either directly or under
 * the broker (broker_cage + broker loop in this process), with host-side
 * servers on 127.0.0.1: "@ACCEPT" in the client's arguments becomes the
 * port of an accept-and-close server, "@SINK" the port of a sink that
 * reads to EOF and answers one byte. Both ports are allowed endpoints.
 * After the run it prints the run's wall time and CPU time (user + sys of
 * this process, where the broker runs, and of every child), in µs, as
 * "wall_us=" and "cpu_us=" on stdout.
 * Usage: bench_broker BUILD (direct|cage|cage-nosync) PROG ARGS... */
#include "shared/common.h"

#include "supervisor/broker/broker.h"
#include "supervisor/broker/relay.h"
#include "supervisor/broker/resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static double tv_us(struct timeval tv)
{
	return (double)tv.tv_sec * 1e6 + (double)tv.tv_usec;
}

/* CPU time of this process and of its waited-for children, in µs. */
static double cpu_us(void)
{
	struct rusage self, kids;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	return tv_us(self.ru_utime) + tv_us(self.ru_stime) +
	       tv_us(kids.ru_utime) + tv_us(kids.ru_stime);
}

static int listener(uint16_t *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(fd, 512) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0)
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
}

static void *accept_main(void *arg)
{
	int lfd = *(int *)arg;

	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

static void *sink_main(void *arg)
{
	static char buf[1 << 16];
	int lfd = *(int *)arg;

	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0)
			continue;
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		(void)!write(fd, "k", 1);
		close(fd);
	}
	return NULL;
}

static int take_listener(pid_t pid, int ctl)
{
	int num = -1;
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (pidfd < 0 || read(ctl, &num, sizeof(num)) != sizeof(num))
		return -1;
	int fd = (int)syscall(SYS_pidfd_getfd, pidfd, num, 0);

	close(pidfd);
	return fd;
}

static int make_broker(pid_t pid, int nfd, bool nosync,
		       const struct resolve_set *rs, struct broker **b)
{
	char path[64];
	int r4 = -1, r6 = -1;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	int ns = open(path, O_RDONLY | O_CLOEXEC);

	if (ns < 0 || relay_listen_in_netns(ns, AF_INET, &r4) != 0)
		return -1;
	close(ns);
	struct broker_opts o = {.endpoints = rs,
				.notify_fd = nfd,
				.relay4 = r4,
				.relay6 = r6,
				.no_sync_wakeup = nosync};

	return broker_new(&o, b);
}

static int run_caged(const char *build, char **args, bool nosync,
		     const struct resolve_set *rs)
{
	char helper[512];
	int sv[2];
	struct broker *b = NULL;

	snprintf(helper, sizeof(helper), "%s/tests/helpers/broker_cage", build);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return 1;
	pid_t pid = fork();

	if (pid == 0) {
		if (dup2(sv[1], 3) < 0)
			_exit(126);
		args[-1] = "3";
		args[-2] = helper;
		execv(helper, args - 2);
		_exit(127);
	}
	close(sv[1]);
	if (make_broker(pid, take_listener(pid, sv[0]), nosync, rs, &b) != 0 ||
	    write(sv[0], "g", 1) != 1)
		return 1;
	fprintf(stderr, "sync_wakeup=%d\n", broker_sync_wakeup(b));
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

	for (;;) {
		struct pollfd p[2] = {{.fd = broker_fd(b), .events = POLLIN},
				      {.fd = pidfd, .events = POLLIN}};

		(void)poll(p, 2, -1);
		if (broker_handle_ready(b) != 0 || p[1].revents)
			break;
	}
	int st = 0;

	waitpid(pid, &st, 0);
	broker_free(b);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static int run_direct(char **args)
{
	pid_t pid = fork();
	int st = 0;

	if (pid == 0) {
		execv(args[0], args);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

/* Both server ports are allowed endpoints. */
static int run_allowed(char **argv, uint16_t pa, uint16_t ps)
{
	struct policy_endpoint eps[] = {{.host = "127.0.0.1", .port = pa},
					{.host = "127.0.0.1", .port = ps}};
	struct akios_policy pol = {0};
	struct resolve_set *rs = NULL;

	pol.security.network = POLICY_NET_ALLOWLIST;
	pol.security.allowed_endpoints = eps;
	pol.security.n_allowed_endpoints = 2;
	if (resolve_endpoints(&pol, resolve_getaddrinfo, NULL, &rs, NULL) != 0)
		return 1;
	int rc =
	    run_caged(argv[1], argv + 3, !strcmp(argv[2], "cage-nosync"), rs);

	resolve_set_free(rs);
	return rc;
}

int main(int argc, char **argv)
{
	uint16_t pa = 0, ps = 0;
	int la = listener(&pa), ls = listener(&ps);
	pthread_t t1, t2;
	char sa[8], ss[8];
	struct sigaction ign = {.sa_handler = SIG_IGN};

	if (argc < 4 || la < 0 || ls < 0)
		return 2;
	sigaction(SIGPIPE, &ign, NULL);
	snprintf(sa, sizeof(sa), "%u", (unsigned)pa);
	snprintf(ss, sizeof(ss), "%u", (unsigned)ps);
	/* argv[1..2] become the helper's "path CTLFD" slots when caged. */
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "@ACCEPT"))
			argv[i] = sa;
		else if (!strcmp(argv[i], "@SINK"))
			argv[i] = ss;
	}
	pthread_create(&t1, NULL, accept_main, &la);
	pthread_create(&t2, NULL, sink_main, &ls);
	int rc = 1;
	double w0 = now_us(), c0 = cpu_us();

	if (!strcmp(argv[2], "direct"))
		rc = run_direct(argv + 3);
	else
		rc = run_allowed(argv, pa, ps);
	printf("wall_us=%.0f\ncpu_us=%.0f\n", now_us() - w0, cpu_us() - c0);
	return rc;
}
