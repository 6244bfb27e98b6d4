/* The pty relay behind pty.h. The master is non-blocking; output to the
 * real terminal is written in full (it is ours). Invariant: whatever
 * happens, cage_pty_close restores the terminal modes we changed. */
#include "shared/common.h"
#include "shared/fileio.h"
#include "supervisor/cage/pty.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>

int cage_pty_open(struct cage_pty *p, int in, int out)
{
	char name[64];
	struct winsize ws;

	memset(p, 0, sizeof(*p));
	p->slave = -1;
	p->in = in;
	p->out = out;
	p->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (p->master < 0)
		return -errno;
	if (grantpt(p->master) != 0 || unlockpt(p->master) != 0 ||
	    ptsname_r(p->master, name, sizeof(name)) != 0)
		goto fail;
	p->slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (p->slave < 0)
		goto fail;
	if (tcgetattr(in, &p->saved) == 0)
		(void)tcsetattr(p->slave, TCSANOW, &p->saved);
	if (ioctl(in, TIOCGWINSZ, &ws) == 0)
		(void)ioctl(p->slave, TIOCSWINSZ, &ws);
	return 0;
fail:
	cage_pty_close(p);
	return -(errno ? errno : EIO);
}

int cage_pty_raw(struct cage_pty *p)
{
	struct termios t = p->saved;

	cfmakeraw(&t);
	if (tcsetattr(p->in, TCSANOW, &t) != 0)
		return -errno;
	p->raw = true;
	return 0;
}

void cage_pty_close_slave(struct cage_pty *p)
{
	if (p->slave >= 0)
		close(p->slave);
	p->slave = -1;
}

/* Agent output: master → real terminal. EIO means every slave is closed. */
static int on_master(struct cage_loop *loop, int fd, uint32_t ev, void *ctx)
{
	struct cage_pty *p = ctx;
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	(void)ev;
	if (n > 0) {
		(void)!fileio_write_full(p->out, buf, (size_t)n);
		return 0;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	cage_loop_del(loop, fd);
	return 0;
}

/* User input: real terminal → master. */
static int on_input(struct cage_loop *loop, int fd, uint32_t ev, void *ctx)
{
	struct cage_pty *p = ctx;
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	(void)ev;
	if (n > 0) {
		/* A full pty input queue drops the rest, as a terminal would
		 * when nobody reads; never block the supervisor on it. */
		(void)!write(p->master, buf, (size_t)n);
		return 0;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	cage_loop_del(loop, fd);
	return 0;
}

int cage_pty_relay(struct cage_pty *p, struct cage_loop *loop)
{
	int rc = cage_loop_add(loop, p->master, EPOLLIN, on_master, p);

	return rc ? rc : cage_loop_add(loop, p->in, EPOLLIN, on_input, p);
}

void cage_pty_resize(struct cage_pty *p)
{
	struct winsize ws;

	if (ioctl(p->in, TIOCGWINSZ, &ws) == 0)
		(void)ioctl(p->master, TIOCSWINSZ, &ws);
}

void cage_pty_drain(struct cage_pty *p)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(p->master, buf, sizeof(buf))) > 0)
		if (fileio_write_full(p->out, buf, (size_t)n) != 0)
			break;
}

void cage_pty_close(struct cage_pty *p)
{
	if (p->raw)
		(void)tcsetattr(p->in, TCSANOW, &p->saved);
	p->raw = false;
	cage_pty_close_slave(p);
	if (p->master >= 0)
		close(p->master);
	p->master = -1;
}
