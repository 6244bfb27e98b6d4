/* Exit codes of the akios binary (DESIGN.md §4, STYLE.md §15). The README
 * table and tests/unit/test_exitcodes.c must agree with this file. */
#ifndef AKIOS_EXITCODES_H
#define AKIOS_EXITCODES_H

enum akios_exit {
	AKIOS_EXIT_OK = 0,
	AKIOS_EXIT_FAIL = 1,	      /* a check failed (policy, verify) */
	AKIOS_EXIT_USAGE = 2,	      /* bad command line */
	AKIOS_EXIT_KILLSWITCH = 124,  /* run stopped: budget, timeout, limits */
	AKIOS_EXIT_INTERNAL = 125,    /* akios's own error (policy, setup) */
	AKIOS_EXIT_NOEXEC = 126,      /* agent found but not executable */
	AKIOS_EXIT_NOTFOUND = 127,    /* agent not found */
	AKIOS_EXIT_SIGNAL_BASE = 128, /* + signal number */
};

#endif
