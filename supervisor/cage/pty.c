/* The pty relay behind pty.h (the supervisor side; child.c opens the pty
 * in the cage). The master is non-blocking; output to the real terminal
 * is written in full (it is ours). Invariant: whatever happens,
 * cage_pty_close restores the terminal modes we changed. */
#include "shared/common.h"
#include "shared/fileio.h"
#include "supervisor/cage/pty.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>

void cage_pty_init(struct cage_pty *p, int in, int out)
{
	memset(p, 0, sizeof(*p));
	p->master = -1;
	p->in = in;
	p->out = out;
	p->modes.have_t = tcgetattr(in, &p->saved) == 0;
	p->modes.t = p->saved;
	p->modes.have_ws = ioctl(in, TIOCGWINSZ, &p->modes.ws) == 0;
}

int cage_pty_raw(struct cage_pty *p)
{
	struct termios t = p->saved;

	if (!p->modes.have_t)
		return -ENOTTY;
	cfmakeraw(&t);
	if (tcsetattr(p->in, TCSANOW, &t) != 0)
		return -errno;
	p->raw = true;
	return 0;
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

int cage_pty_attach(struct cage_pty *p, int master, struct cage_loop *loop)
{
	int fl = fcntl(master, F_GETFL);
	int rc;

	if (p->master >= 0 || fl < 0 ||
	    fcntl(master, F_SETFL, fl | O_NONBLOCK) != 0) {
		close(master);
		return p->master >= 0 ? 0 : -EBADF; /* one pty per run */
	}
	p->master = master;
	/* The size may have changed since the child copied it. */
	cage_pty_resize(p);
	rc = cage_loop_add(loop, p->master, EPOLLIN, on_master, p);
	return rc ? rc : cage_loop_add(loop, p->in, EPOLLIN, on_input, p);
}

void cage_pty_resize(struct cage_pty *p)
{
	struct winsize ws;

	if (p->master >= 0 && ioctl(p->in, TIOCGWINSZ, &ws) == 0)
		(void)ioctl(p->master, TIOCSWINSZ, &ws);
}

void cage_pty_drain(struct cage_pty *p)
{
	char buf[4096];
	ssize_t n;

	while (p->master >= 0 && (n = read(p->master, buf, sizeof(buf))) > 0)
		if (fileio_write_full(p->out, buf, (size_t)n) != 0)
			break;
}

void cage_pty_close(struct cage_pty *p)
{
	if (p->raw)
		(void)tcsetattr(p->in, TCSANOW, &p->saved);
	p->raw = false;
	if (p->master >= 0)
		close(p->master);
	p->master = -1;
}
