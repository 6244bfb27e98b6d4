/* relay: the only way out of the cage's network namespace. The broker
 * connects an agent's own socket to this relay's listener (on the cage's
 * loopback, owned by the supervisor) and tells the relay, with
 * relay_expect(), which upstream it approved for that socket's source
 * address and port. The relay accepts only connections it was told
 * about (anything else is reset), dials the upstream from the host
 * namespace and splices bytes both ways, counting them for the audit.
 * It is also where TLS interception and credential injection will live.
 * Lifecycle: relay_listen_here (x2, in the cage child) → relay_new →
 * relay_expect... + relay_handle_ready from the supervisor's epoll loop
 * → relay_free.
 * Single-threaded: every call from the loop's thread. */
#ifndef AKIOS_BROKER_RELAY_H
#define AKIOS_BROKER_RELAY_H

#include "shared/common.h"
#include "supervisor/broker/netguard.h"

#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

struct relay; /* opaque */

enum relay_event_kind {
	RELAY_CLOSED,	       /* a relayed connection ended */
	RELAY_UPSTREAM_FAILED, /* the upstream connect failed; agent reset */
	RELAY_DROPPED_UNKNOWN, /* a connection nobody expected: reset */
	RELAY_DIALED,	       /* relay_dial's upstream is connected (cookie) */
	RELAY_DIAL_FAILED,     /* relay_dial's upstream failed (cookie, error);
			      nothing of it is left */
};

/* Borrowed for the duration of the callback only. */
struct relay_event {
	enum relay_event_kind kind;
	pid_t pid;			/* the agent task that connected */
	const char *rule;		/* the rule that allowed it */
	const char *host;		/* the endpoint's name, or NULL */
	const struct ng_addr *upstream; /* NULL for DROPPED_UNKNOWN */
	const struct ng_addr *peer;	/* the agent socket's address */
	uint64_t bytes_up;		/* agent → upstream, delivered */
	uint64_t bytes_down;		/* upstream → agent, delivered */
	int error;			/* errno, 0 for a clean close */
	uint64_t cookie;		/* relay_dial's, else 0 */
};

typedef void (*relay_event_fn)(void *ctx, const struct relay_event *ev);

/* Creates a listening TCP socket on the loopback address of family
 * (127.0.0.1 or ::1, ephemeral port; IPv6 only for AF_INET6) in the
 * caller's own network namespace, whose lo must be up; family AF_NETLINK
 * gives a NETLINK_SOCK_DIAG socket instead (unixdiag.h). No allocation,
 * async-signal-safe: the cage's PID 1 calls it in the cage's namespace
 * before the agent runs any command (never into the agent's fd table).
 * Returns the fd (CLOEXEC, non-blocking) or -errno (-EAFNOSUPPORT for
 * another family). */
int relay_listen_here(int family) AKIOS_NODISCARD;

/* The same inside the network namespace netns_fd (a /proc/PID/ns/net
 * fd; -1: the caller's own), through a short-lived thread that
 * setns()es into it and brings its lo up if it is down. Needs
 * CAP_SYS_ADMIN over the namespace and in the caller's own user
 * namespace (root). For the test harnesses, whose cage has no child of
 * akios's own. Returns 0 and the fd, or -errno. */
int relay_listen_in_netns(int netns_fd, int family, int *fd_out)
    AKIOS_NONNULL(3) AKIOS_NODISCARD;

/* Takes the listeners (either may be -1, not both); they are closed by
 * relay_free, also on failure. on_event may be NULL. The process must
 * ignore (or block) SIGPIPE, else -EINVAL: splice() into a socket whose
 * peer reset raises it. */
int relay_new(int listen4, int listen6, relay_event_fn on_event, void *ctx,
	      struct relay **out) AKIOS_NONNULL(5) AKIOS_NODISCARD;

void relay_free(struct relay *r);

/* An epoll fd that is readable when relay_handle_ready has work. */
int relay_fd(const struct relay *r) AKIOS_NONNULL(1);

/* Accepts, dials and splices whatever is ready; never blocks. Returns 0,
 * or -errno for a failure of the relay itself (not of one connection). */
int relay_handle_ready(struct relay *r) AKIOS_NONNULL(1) AKIOS_NODISCARD;

/* The address an agent socket of `family` must connect to (a v4 relay
 * reached from an AF_INET6 socket is given as ::ffff:127.0.0.1). Returns
 * the sockaddr length or -EAFNOSUPPORT. */
int relay_sockaddr(const struct relay *r, int family,
		   struct sockaddr_storage *ss)
    AKIOS_NONNULL(1, 3) AKIOS_NODISCARD;

/* The relay's ports (0 when that family has no listener), for netguard's
 * relay_port4/6. */
void relay_ports(const struct relay *r, uint16_t *port4, uint16_t *port6)
    AKIOS_NONNULL(1, 2, 3);

/* Registers the next connection from `peer` (the local address of the
 * socket the broker just connected to the relay) as approved for
 * `upstream`. rule and host must outlive the relay (static or policy
 * strings). Returns 0, or -ENOSPC when AKIOS_MAX_RELAY_CONNS entries are
 * pending or live. */
int relay_expect(struct relay *r, const struct ng_addr *peer,
		 const struct ng_addr *upstream, const char *rule,
		 const char *host, pid_t pid)
    AKIOS_NONNULL(1, 2, 3) AKIOS_NODISCARD;

/* Connect-first (the agent learns the upstream's answer): starts a
 * non-blocking connect to upstream now and reports its outcome with
 * RELAY_DIALED or RELAY_DIAL_FAILED carrying cookie (a caller's unique
 * id, e.g. the notification's). After RELAY_DIALED the caller connects
 * the agent's socket to the relay and calls relay_attach with its local
 * address; relay_attach before the outcome is allowed too (a later
 * failure then resets the agent side, like relay_expect). Returns 0, or
 * -errno when the connect failed at once (no event then). */
int relay_dial(struct relay *r, const struct ng_addr *upstream,
	       const char *rule, const char *host, pid_t pid, uint64_t cookie)
    AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;

/* The agent socket connected for cookie's dial has local address peer.
 * 0, or -ENOENT when no such dial is waiting. */
int relay_attach(struct relay *r, uint64_t cookie, const struct ng_addr *peer)
    AKIOS_NONNULL(1, 3) AKIOS_NODISCARD;

/* Drops cookie's dial that was not attached (the agent gone); no event. */
void relay_cancel(struct relay *r, uint64_t cookie) AKIOS_NONNULL(1);

/* Live relayed connections plus pending expectations (for tests). */
unsigned relay_count(const struct relay *r) AKIOS_NONNULL(1);

#endif
