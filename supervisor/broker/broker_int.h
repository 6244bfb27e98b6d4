/* Declarations shared by broker.c and broker_exec.c only. */
#ifndef AKIOS_BROKER_INT_H
#define AKIOS_BROKER_INT_H

#include "shared/limits.h"
#include "supervisor/broker/broker.h"
#include "supervisor/broker/netguard.h"
#include "supervisor/broker/notify.h"
#include "supervisor/broker/relay.h"
#include "supervisor/broker/toolrun.h"

#include <sys/socket.h>

/* A connect held until its upstream answers (connect-first). */
struct broker_pending {
	uint64_t id; /* the notification it answers; the relay's cookie */
	pid_t pid;
	int sock; /* the agent's socket (pidfd_getfd copy); -1: free slot */
	bool nonblock;
	uint64_t deadline_ms; /* CLOCK_MONOTONIC; 0: the upstream decides */
	struct ng_addr dst;
	const char *rule, *host;
};

struct exec_req; /* broker_exec.c */

struct broker {
	int ep;
	int tfd; /* ticks while connects are pending */
	struct broker_pending pend[AKIOS_MAX_PENDING_CONNECTS];
	unsigned n_pend;
	int cb_err; /* a reply that failed inside a relay callback */
	int udiag;  /* NETLINK_SOCK_DIAG in the cage's netns; <= 0: none */
	int nfd;
	bool notify_done;
	bool sync_wakeup;
	bool no_sync_wakeup; /* the bench's opt-out */
	struct notify_buf nb;
	struct relay *relay;
	struct toolrun *tools; /* NULL without tools.timeout_sec */
	struct ng_policy pol;
	const struct akios_policy *policy;
	broker_audit_fn audit;
	void *audit_ctx;
	const char *const *exec_extra;
	unsigned n_exec_extra;
	struct exec_req *exec; /* one exec's buffers, made with the broker */
};

/* broker_exec.c: the buffers of b->exec (0 or -ENOMEM), and their end. */
int broker_exec_new(struct broker *b) AKIOS_NODISCARD;
void broker_exec_free(struct broker *b);

void broker_emit(struct broker *b, const struct broker_event *ev);

/* A network event, for the calls answered later (pid given). */
struct broker_net_ev {
	enum broker_event_kind kind;
	const char *decision, *rule, *host, *outcome;
	pid_t pid;
	int error;
	const struct ng_addr *dst;
};
void broker_emit_net(struct broker *b, const struct broker_net_ev *ne);
/* Audits a refusal of the current notification and answers it. */
int broker_deny_net(struct broker *b, enum broker_event_kind kind,
		    const char *rule, int error, const struct ng_addr *dst);

/* broker_connect.c: an allowed host endpoint. The upstream is dialled
 * first and the notification answered with its outcome. */
int broker_connect(struct broker *b, const struct ng_decision *d,
		   const struct ng_addr *dst);
/* The relay's RELAY_DIALED (error 0) / RELAY_DIAL_FAILED for cookie. */
void broker_dial_done(struct broker *b, uint64_t cookie, int error);
/* The timer: holds past their deadline, tasks that went away. */
int broker_pending_tick(struct broker *b);
void broker_pending_free(struct broker *b);

/* broker_unix.c: a connect to a pathname Unix socket (sun_path[0] not
 * NUL), done on the agent's behalf when the socket was bound inside the
 * cage, refused otherwise. */
bool broker_unix_pathname(const struct sockaddr_storage *ss, size_t len);
int broker_connect_unix(struct broker *b, const struct sockaddr_storage *ss,
			size_t len);

/* Replies to the current notification; a reply that fails because the
 * task is gone (-ENOENT) is not an error of the broker. */
int broker_reply(struct broker *b, int err);
int broker_continue(struct broker *b);

int broker_handle_exec(struct broker *b, bool at);

#endif
