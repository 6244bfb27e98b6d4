/* A finished run's result in the two forms callers use: akios's exit code
 * (the agent's own, 128+signal, or the documented akios codes; exitcodes.h)
 * and one line of text for stderr. Pure functions of struct cage_result. */
#include "shared/common.h"
#include "shared/exitcodes.h"
#include "supervisor/cage/cage_int.h"
#include "supervisor/cage/run.h"

#include <stdio.h>
#include <string.h>

int cage_exit_code(const struct cage_result *r, bool aborted)
{
	switch (r->end) {
	case CAGE_END_EXIT:
		return r->code;
	case CAGE_END_SIGNAL:
		return AKIOS_EXIT_SIGNAL_BASE + r->code;
	case CAGE_END_NOEXEC:
		return r->code == AKIOS_EXIT_NOEXEC ? AKIOS_EXIT_NOEXEC
						    : AKIOS_EXIT_NOTFOUND;
	case CAGE_END_TIMEOUT:
	case CAGE_END_LIMIT:
		return AKIOS_EXIT_KILLSWITCH;
	case CAGE_END_ABORTED:
		return aborted && r->code ? AKIOS_EXIT_SIGNAL_BASE + r->code
					  : AKIOS_EXIT_INTERNAL;
	case CAGE_END_SETUP:
		break;
	}
	return AKIOS_EXIT_INTERNAL;
}

const char *cage_result_str(const struct cage_result *r, char *buf, size_t size)
{
	switch (r->end) {
	case CAGE_END_EXIT:
		snprintf(buf, size, "exited with %d", r->code);
		break;
	case CAGE_END_SIGNAL:
		snprintf(buf, size, "killed by signal %d (%s)", r->code,
			 strsignal(r->code));
		break;
	case CAGE_END_SETUP:
		snprintf(buf, size, "cage setup failed: %s", r->reason);
		break;
	default:
		snprintf(buf, size, "%s", r->reason);
		break;
	}
	return buf;
}
