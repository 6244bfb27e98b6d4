/* supervisor/cage/pty.h — the agent's own terminal. When akios's stdin is
 * a terminal the agent gets a fresh pty (never the real controlling
 * terminal, so TIOCSTI and friends cannot reach the user's shell); the
 * supervisor puts the real terminal in raw mode and relays bytes and
 * window size, and restores the terminal at the end. */
#ifndef AKIOS_CAGE_PTY_H
#define AKIOS_CAGE_PTY_H

#include "shared/common.h"
#include "supervisor/cage/loop.h"

#include <stdbool.h>
#include <sys/ioctl.h>
#include <termios.h>

/* The real terminal's modes and size, copied onto the agent's pty by the
 * cage child, which opens the pty in the cage's own devpts (so the agent's
 * ttyname() resolves to /dev/pts/N in its view) and sends the master back
 * over the status socket. */
struct cage_pty_modes {
	struct termios t;
	struct winsize ws;
	bool have_t;
	bool have_ws;
};

struct cage_pty {
	int master; /* from the cage, O_NONBLOCK; -1 until it arrives */
	int in;	    /* the real terminal (0) */
	int out;    /* where output goes (1) */
	bool raw;   /* the real terminal was put in raw mode */
	struct termios saved;
	struct cage_pty_modes modes; /* for the child */
};

/* Records the real terminal's modes and size. No fd is opened. */
void cage_pty_init(struct cage_pty *p, int in, int out) AKIOS_NONNULL(1);
/* Raw mode on the real terminal (after the child has started). */
int cage_pty_raw(struct cage_pty *p) AKIOS_NODISCARD;
/* Takes the master sent by the cage and starts relaying it and the
 * real terminal in loop. 0 or -errno (master closed). */
int cage_pty_attach(struct cage_pty *p, int master,
		    struct cage_loop *loop) AKIOS_NODISCARD;
/* Copies the real terminal's window size to the pty (SIGWINCH). */
void cage_pty_resize(struct cage_pty *p);
/* Writes what the agent left in the pty to out. */
void cage_pty_drain(struct cage_pty *p);
/* Restores the real terminal, closes everything. */
void cage_pty_close(struct cage_pty *p);

#endif
