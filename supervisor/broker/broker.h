/* broker: the supervisor's answer to the calls a static seccomp filter
 * cannot decide (issue 6): connect (brokered through the relay, left to
 * the cage's own loopback, or refused), sendto/sendmsg with an address
 * (MSG_FASTOPEN refused; UDP never leaves the cage) and execve/execveat
 * (audited; tools.allow applied; Landlock EXECUTE is the real boundary).
 * It plugs into the supervisor's epoll loop: add broker_fd() and call
 * broker_handle_ready() when it is readable; it owns no thread and no
 * process. Lifecycle: broker_new (→ broker_set_listener) → loop →
 * broker_free. */
#ifndef AKIOS_BROKER_H
#define AKIOS_BROKER_H

#include "shared/common.h"
#include "policy/policy.h"
#include "supervisor/broker/resolve.h"

#include <stdint.h>
#include <sys/types.h>

struct broker; /* opaque */

enum broker_event_kind {
	BROKER_EV_CONNECT,	/* a connect decision */
	BROKER_EV_SEND,		/* sendto/sendmsg with an address or flags */
	BROKER_EV_EXEC,		/* an execve/execveat attempt */
	BROKER_EV_RELAY_CLOSE,	/* a brokered connection ended (bytes) */
	BROKER_EV_RELAY_DROP,	/* the relay reset a connection nobody set up */
	BROKER_EV_TOOL_TIMEOUT, /* a tool run outlived tools.timeout_sec */
};

/* One audit event. Every pointer is borrowed for the callback only. */
struct broker_event {
	enum broker_event_kind kind;
	const char *decision; /* "allow", "deny", "continue" */
	const char *rule;     /* the rule that decided */
	pid_t pid;
	int error;	  /* errno given to the agent (deny), or of the close */
	const char *dest; /* "1.2.3.4:443" / "[::1]:80" / "unix" / NULL */
	const char *addr_class;	 /* netguard class name, or NULL */
	const char *host;	 /* the endpoint's name when brokered */
	const char *outcome;	 /* connect: "connected", "refused-upstream",
				    "in-progress" (held too long), or NULL */
	const char *path;	 /* exec: the path as the agent gave it */
	const char *resolved;	 /* exec: that path resolved, or NULL */
	const char *const *argv; /* exec: argv (argc entries) */
	unsigned argc;
	bool argv_truncated;
	unsigned limit_sec;	       /* tool timeout: tools.timeout_sec */
	uint64_t bytes_up, bytes_down; /* relay close */
};

typedef void (*broker_audit_fn)(void *ctx, const struct broker_event *ev);

struct broker_opts {
	/* Borrowed; tools.allow, tools.timeout_sec. */
	const struct akios_policy *policy;
	const struct resolve_set *endpoints; /* borrowed; from resolve */
	/* Taken: the seccomp listener; -1: given later with
	 * broker_set_listener (the broker is ready before the agent). */
	int notify_fd;
	int relay4; /* taken: relay listeners (relay_listen_in_netns) */
	int relay6; /* -1 when absent */
	/* Taken: a NETLINK_SOCK_DIAG socket made in the cage's netns
	 * (relay_listen_in_netns(AF_NETLINK)); 0 or -1: none, and every
	 * connect to a pathname Unix socket is refused. */
	int unix_diag;
	broker_audit_fn audit;
	void *audit_ctx;
	/* Programs that may run although tools.allow does not name them:
	 * the agent command and the interpreters it needs (absolute paths
	 * as seen in the cage, or a bare name matched against the file
	 * name). Borrowed. */
	const char *const *exec_extra;
	unsigned n_exec_extra;
	/* WARNING: for the benchmark only: leave SYNC_WAKE_UP off. */
	bool no_sync_wakeup;
};

/* Takes the fds in opts (closed by broker_free, also on failure). Sets
 * SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP when the kernel has it. The process
 * must ignore SIGPIPE (see relay.h). 0 or -errno. */
int broker_new(const struct broker_opts *opts, struct broker **out)
    AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;
void broker_free(struct broker *b);

/* The seccomp listener for a broker made without one (taken: closed on
 * failure too). Until then no call is answered (they wait in the
 * kernel). 0, -EBUSY when it has one, or -errno. */
int broker_set_listener(struct broker *b, int fd)
    AKIOS_NONNULL(1) AKIOS_NODISCARD;

/* An fd (epoll) readable when broker_handle_ready has work. */
int broker_fd(const struct broker *b) AKIOS_NONNULL(1);

/* Handles what is ready (notifications, relay traffic); never blocks on
 * the agent. Returns 0, or -errno when the broker itself failed (the run
 * must then be stopped: a broker that cannot answer fails closed, the
 * agent's trapped calls wait until it dies). */
int broker_handle_ready(struct broker *b) AKIOS_NONNULL(1) AKIOS_NODISCARD;

/* True once the seccomp listener hung up (no task uses the filter). */
bool broker_notify_done(const struct broker *b) AKIOS_NONNULL(1);

/* Whether SYNC_WAKE_UP is in force, for --dry-run and the bench. */
bool broker_sync_wakeup(const struct broker *b) AKIOS_NONNULL(1);

/* Live relayed connections (for tests and the run summary). */
unsigned broker_relay_count(const struct broker *b) AKIOS_NONNULL(1);

/* Tool runs under a tools.timeout_sec deadline right now (tests). */
unsigned broker_tool_runs(const struct broker *b) AKIOS_NONNULL(1);

#endif
