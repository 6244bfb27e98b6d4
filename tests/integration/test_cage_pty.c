/* The agent's terminal, driven through a real pty as a user's terminal
 * would drive akios, root and rootless: ttyname() resolves inside the cage
 * (the agent's pty lives in the cage's own devpts, /dev/pts/N of its
 * view), `tty` and python's os.ttyname print that path, /dev/tty opens,
 * the window size is copied, and the output comes back through the relay. */
#include "shared/common.h"
#include "tests/lib/cagetest.h"

#include <criterion/criterion.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>

static struct cage_ws W;

/* Runs cmd under akios with a fresh pty as its terminal; returns what
 * the pty showed (malloc'd) and the exit status in *status. */
static char *run_on_pty(char *const cmd[], int *status)
{
	struct winsize ws = {.ws_row = 41, .ws_col = 97};
	char *buf = calloc(1, 8192);
	size_t n = 0;
	bool done = false;
	int master;
	int slave;
	int fds[3];
	pid_t pid;

	cr_assert_not_null(buf);
	cr_assert_eq(openpty(&master, &slave, NULL, NULL, &ws), 0);
	fds[0] = fds[1] = fds[2] = slave;
	cr_assert_eq(cagetest_spawn(&W, cmd, fds, &pid), 0);
	close(slave);
	/* Read while it runs, until akios has exited and the pty is
	 * drained (EIO once no slave is open); 30 s at most. */
	for (int i = 0; i < 300 && n < 8191; i++) {
		struct pollfd p = {.fd = master, .events = POLLIN};
		ssize_t got;

		if (poll(&p, 1, 100) > 0) {
			got = read(master, buf + n, 8191 - n);
			if (got > 0) {
				n += (size_t)got;
				continue;
			}
		}
		if (done)
			break;
		/* POLLHUP: akios has closed the terminal, it is exiting. */
		done = waitpid(pid, status,
			       (p.revents & POLLHUP) ? 0 : WNOHANG) == pid;
	}
	cr_assert(done, "akios did not finish: %s", buf);
	close(master);
	return buf;
}

static void ttyname_works(bool rootless)
{
	char *cmd[] = {
	    "sh", "-c",
	    "tty; python3 -c 'import os; print(\"py=\" + os.ttyname(0))'; "
	    "stty size; echo to-dev-tty > /dev/tty && echo dev-tty-ok",
	    NULL};
	int st = -1;
	char *out;

	cr_assert_eq(cagetest_setup(&W, rootless), 0);
	out = run_on_pty(cmd, &st);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%d: %s", st, out);
	cr_assert_null(strstr(out, "not a tty"), "%s", out);
	cr_assert_not_null(strstr(out, "/dev/pts/0\r\n"), "%s", out);
	cr_assert_not_null(strstr(out, "py=/dev/pts/0\r\n"), "%s", out);
	cr_assert_not_null(strstr(out, "41 97\r\n"), "%s", out);
	cr_assert_not_null(strstr(out, "to-dev-tty"), "%s", out);
	cr_assert_not_null(strstr(out, "dev-tty-ok"), "%s", out);
	free(out);
	cagetest_teardown(&W);
}

Test(cage_pty, ttyname_resolves_in_the_cage_root)
{
	ttyname_works(false);
}
Test(cage_pty, ttyname_resolves_in_the_cage_rootless)
{
	ttyname_works(true);
}

/* Input typed on the user's terminal reaches the agent through the
 * relay (the master now comes from the cage, after the start). */
Test(cage_pty, input_is_relayed)
{
	char *cmd[] = {"sh", "-c",
		       "stty -echo; echo ready; read line; echo got=$line",
		       NULL};
	struct winsize ws = {.ws_row = 24, .ws_col = 80};
	char buf[4096] = {0};
	size_t n = 0;
	int master;
	int slave;
	int fds[3];
	int st = -1;
	bool sent = false;
	bool done = false;
	pid_t pid;

	cr_assert_eq(cagetest_setup(&W, false), 0);
	cr_assert_eq(openpty(&master, &slave, NULL, NULL, &ws), 0);
	fds[0] = fds[1] = fds[2] = slave;
	cr_assert_eq(cagetest_spawn(&W, cmd, fds, &pid), 0);
	close(slave);
	for (int i = 0; i < 300 && n < sizeof(buf) - 1; i++) {
		struct pollfd p = {.fd = master, .events = POLLIN};
		ssize_t got;

		if (!sent && strstr(buf, "ready")) {
			cr_assert_eq(write(master, "hello\r", 6), 6);
			sent = true;
		}
		if (poll(&p, 1, 100) > 0) {
			got = read(master, buf + n, sizeof(buf) - 1 - n);
			if (got > 0) {
				n += (size_t)got;
				continue;
			}
		}
		if (done)
			break;
		done = waitpid(pid, &st, (p.revents & POLLHUP) ? 0 : WNOHANG) ==
		       pid;
	}
	cr_assert(done, "akios did not finish: %s", buf);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", buf);
	cr_assert_not_null(strstr(buf, "got=hello"), "%s", buf);
	close(master);
	cagetest_teardown(&W);
}
