/* The broker's part of `akios run` (issue 6): resolve the allowlist, trap
 * connect/execve/execveat, take the relay the cage child makes in its
 * network namespace, run the broker in the run's loop and
 * turn its decisions into audit events. Used by cmd_run_*.c only. */
#ifndef AKIOS_CMD_RUN_BROKER_H
#define AKIOS_CMD_RUN_BROKER_H

#include "shared/common.h"
#include "supervisor/broker/broker.h"
#include "supervisor/cage/run.h"
#include "supervisor/cage/seccomp.h"

struct run_state;

struct run_broker {
	struct run_state *s; /* borrowed */
	struct resolve_set *rs;
	struct broker *b;
	int relay4, relay6;
	int diag; /* the Unix socket census in the cage's netns, or -1 */
	const char *extra[1]; /* the agent command, allowed by tools.allow */
};

/* Resolves the endpoints (an error is printed) and makes the process
 * ignore SIGPIPE (the relay splices into sockets; the cage child resets
 * every signal before exec). Returns 0 or an exit code. */
int run_broker_prepare(struct run_state *s, struct run_broker *rb)
    AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;

/* The syscalls to trap (for cage_seccomp_opts). Static storage. */
const int *run_broker_notify_syscalls(unsigned *n) AKIOS_NONNULL(1);

/* Plugs the broker into a cage run (relay and listener hooks). */
void run_broker_hook(struct run_broker *rb, struct cage_run_opts *o)
    AKIOS_NONNULL(1, 2);

void run_broker_free(struct run_broker *rb) AKIOS_NONNULL(1);

/* Resolves the policy's endpoints into *rs (owned by the caller:
 * resolve_set_free) and serves the names as the plan's /etc/hosts. An
 * error is printed. Returns 0 or an exit code. */
int run_broker_resolve(struct run_state *s, struct resolve_set **rs)
    AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;

/* --dry-run: adds the network endpoints (from run_broker_resolve) to the
 * printed plan in out (text: a section appended with the cage's
 * /etc/hosts; JSON: a "network" key added to the plan object). 0 or
 * -errno. */
int run_broker_describe(const struct resolve_set *rs, struct akios_buf *out,
			bool json) AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;

#endif
