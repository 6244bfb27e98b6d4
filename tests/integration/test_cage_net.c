/* What the cage must not reach: a TCP listener on the host's 127.0.0.1, a
 * host pathname unix socket, a host abstract unix socket, and (TIOCSTI)
 * the real terminal. Each listener is created here, on loopback, on an
 * ephemeral port or a unique name; each must see no connection. */
#include "shared/common.h"
#include "tests/lib/cagetest.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pty.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

static struct cage_ws W;

static void expect_fail(bool rootless, char *const cmd[])
{
	struct test_run r;

	cr_assert_eq(cagetest_run(&W, NULL, cmd, NULL, 30, &r), 0);
	cr_assert_eq(r.status, 1, "%s %s: out %s err %s", cmd[1], cmd[2], r.out,
		     r.err);
	cr_assert(strncmp(r.out, "fail ", 5) == 0, "%s", r.out);
	test_run_free(&r);
	(void)rootless;
}

static void no_connection(int lfd)
{
	int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	cr_assert_lt(c, 0, "the cage reached a host listener");
	close(lfd);
}

static void tcp(bool rootless)
{
	struct sockaddr_in in = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(in);
	int lfd =
	    socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	char port[16];
	char *cmd[] = {"./cage_try", "connect-tcp", port, NULL};

	cr_assert_eq(cagetest_setup(&W, rootless), 0);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&in, sizeof(in)), 0);
	cr_assert_eq(listen(lfd, 4), 0);
	cr_assert_eq(getsockname(lfd, (struct sockaddr *)&in, &len), 0);
	snprintf(port, sizeof(port), "%u", ntohs(in.sin_port));
	expect_fail(rootless, cmd);
	no_connection(lfd);
	cagetest_teardown(&W);
}

Test(cage_net, host_tcp_listener_unreachable_root)
{
	tcp(false);
}
Test(cage_net, host_tcp_listener_unreachable_rootless)
{
	tcp(true);
}

static int unix_listener(const char *name, bool abstract)
{
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	int lfd =
	    socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	size_t n = strlen(name);

	memcpy(un.sun_path + (abstract ? 1 : 0), name, n);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&un,
			  (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				      n + (abstract ? 1 : 0))),
		     0);
	cr_assert_eq(listen(lfd, 4), 0);
	return lfd;
}

static void unix_sockets(bool rootless)
{
	char path[600];
	char name[64];
	char *c1[] = {"./cage_try", "connect-unix", path, NULL};
	char *c2[] = {"./cage_try", "connect-abstract", name, NULL};
	int lfd;

	cr_assert_eq(cagetest_setup(&W, rootless), 0);
	/* Beside the workspace, outside the view. */
	snprintf(path, sizeof(path), "%s/host.sock", W.root);
	lfd = unix_listener(path, false);
	chmod(path, 0777);
	expect_fail(rootless, c1);
	no_connection(lfd);
	snprintf(name, sizeof(name), "akios-test-%d", (int)getpid());
	lfd = unix_listener(name, true);
	expect_fail(rootless, c2);
	no_connection(lfd);
	cagetest_teardown(&W);
}

Test(cage_net, host_unix_sockets_unreachable_root)
{
	unix_sockets(false);
}
Test(cage_net, host_unix_sockets_unreachable_rootless)
{
	unix_sockets(true);
}

/* stdin is a pipe (so akios gives no pty) and stdout is a terminal the
 * test owns: the agent must not be able to push input into it. */
Test(cage_net, tiocsti_to_real_terminal_fails)
{
	char *cmd[] = {"./cage_try", "tiocsti", "1", NULL};
	int master;
	int slave;
	int in[2];
	int fds[3];
	pid_t pid;
	int st;
	char buf[256] = {0};
	ssize_t got;

	cr_assert_eq(cagetest_setup(&W, false), 0);
	cr_assert_eq(openpty(&master, &slave, NULL, NULL, NULL), 0);
	cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
	fds[0] = in[0];
	fds[1] = slave;
	fds[2] = -1;
	cr_assert_eq(cagetest_spawn(&W, cmd, fds, &pid), 0);
	close(in[0]);
	close(in[1]);
	close(slave);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st));
	got = read(master, buf, sizeof(buf) - 1);
	cr_assert_eq(WEXITSTATUS(st), 1, "%s", got > 0 ? buf : "");
	cr_assert_not_null(strstr(buf, "fail"), "%s", buf);
	close(master);
	cagetest_teardown(&W);
}
