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
#include <termios.h>

struct cage_pty {
	int master; /* O_NONBLOCK, CLOEXEC */
	int slave;  /* for the child; closed by cage_pty_close_slave */
	int in;	    /* the real terminal (0) */
	int out;    /* where output goes (1) */
	bool raw;   /* the real terminal was put in raw mode */
	struct termios saved;
};

/* Opens a pty with the real terminal's modes and size. 0 or -errno. */
int cage_pty_open(struct cage_pty *p, int in, int out) AKIOS_NODISCARD;
/* Raw mode on the real terminal (after the child has started). */
int cage_pty_raw(struct cage_pty *p) AKIOS_NODISCARD;
void cage_pty_close_slave(struct cage_pty *p);
/* Watches the master and the real terminal in loop. */
int cage_pty_relay(struct cage_pty *p, struct cage_loop *loop) AKIOS_NODISCARD;
/* Copies the real terminal's window size to the pty (SIGWINCH). */
void cage_pty_resize(struct cage_pty *p);
/* Writes what the agent left in the pty to out. */
void cage_pty_drain(struct cage_pty *p);
/* Restores the real terminal, closes everything. */
void cage_pty_close(struct cage_pty *p);

#endif
