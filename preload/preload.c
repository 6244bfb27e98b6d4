/* libakios-preload.so: the thin layer inside the agent (DESIGN.md §1–2).
 * It is a convenience for seeing LLM traffic, never a boundary. All state
 * lives in one static struct; in a setuid/AT_SECURE process it does
 * nothing at all (STYLE.md §29). */
#include "shared/wire.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/auxv.h>

static struct preload_state {
	bool active;
	int channel_fd; /* -1 when the supervisor gave us none */
} preload_state = {.active = false, .channel_fd = -1};

/* Parses the channel fd number strictly: digits only, below 2^20, and the
 * fd must be open. Anything else leaves the preload inactive. */
static int parse_fd(const char *s)
{
	long v = 0;

	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (1L << 20))
			return -1;
		v = v * 10 + (*s - '0');
	}
	if (fcntl((int)v, F_GETFD) < 0)
		return -1;
	return (int)v;
}

__attribute__((constructor)) static void preload_init(void)
{
	if (getauxval(AT_SECURE))
		return;
	preload_state.channel_fd = parse_fd(getenv(WIRE_ENV_CHANNEL_FD));
	preload_state.active = preload_state.channel_fd >= 0;
}

/* Exported for the supervisor's tests: whether the preload found its
 * channel. */
__attribute__((visibility("default"))) int akios_preload_active(void);
int akios_preload_active(void)
{
	return preload_state.active ? 1 : 0;
}
