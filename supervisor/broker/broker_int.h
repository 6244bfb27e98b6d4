/* Declarations shared by broker.c and broker_exec.c only. */
#ifndef AKIOS_BROKER_INT_H
#define AKIOS_BROKER_INT_H

#include "supervisor/broker/broker.h"
#include "supervisor/broker/netguard.h"
#include "supervisor/broker/notify.h"
#include "supervisor/broker/relay.h"
#include "supervisor/broker/toolrun.h"

struct broker {
	int ep;
	int nfd;
	bool notify_done;
	bool sync_wakeup;
	struct notify_buf nb;
	struct relay *relay;
	struct toolrun *tools; /* NULL without tools.timeout_sec */
	struct ng_policy pol;
	const struct akios_policy *policy;
	broker_audit_fn audit;
	void *audit_ctx;
	const char *const *exec_extra;
	unsigned n_exec_extra;
};

void broker_emit(struct broker *b, const struct broker_event *ev);

/* Replies to the current notification; a reply that fails because the
 * task is gone (-ENOENT) is not an error of the broker. */
int broker_reply(struct broker *b, int err);
int broker_continue(struct broker *b);

int broker_handle_exec(struct broker *b, bool at);

#endif
