/* The broker in `akios run`: the glue between the cage's run loop
 * (cage_run_opts hooks), the broker and the audit log. Invariants: the
 * relay is created inside the cage's network namespace (by the cage's
 * PID 1) before the first trapped call can be answered; without it nothing is brokered (host
 * endpoints are refused, never reached another way); every broker
 * decision becomes one audit event. */
#include "shared/common.h"

#include "shared/exitcodes.h"
#include "shared/json.h"
#include "shared/limits.h"
#include "supervisor/broker/relay.h"
#include "supervisor/cage/seccomp.h"
#include "supervisor/cli.h"
#include "supervisor/cmd_run_broker.h"
#include "supervisor/cmd_run_int.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>

/* The list is a table of the seccomp module (seccomp_table.c), so the
 * build precompiles the program that traps exactly these calls. */
const int *run_broker_notify_syscalls(unsigned *n)
{
	return cage_seccomp_broker_traps(n);
}

/* The resolved names become the cage's /etc/hosts: a file the plan
 * writes into the view's private root (never the host's /etc). */
static int serve_hosts(struct run_state *s, const struct resolve_set *rs)
{
	struct akios_buf hosts;
	int rc;

	akios_buf_init(&hosts, AKIOS_MAX_HOSTS_BYTES);
	rc = resolve_hosts_file(rs, &hosts);
	if (rc == 0)
		rc = akios_buf_append(&hosts, "", 1); /* the NUL */
	if (rc == 0)
		rc = cage_plan_set_file(&s->plan, "/etc/hosts", hosts.ptr);
	akios_buf_free(&hosts);
	return rc;
}

int run_broker_resolve(struct run_state *s, struct resolve_set **rs)
{
	struct akios_err err = {0};
	int rc =
	    resolve_endpoints(s->policy, resolve_getaddrinfo, NULL, rs, &err);

	if (rc != 0) {
		cli_error_err("run: network", &err);
		return AKIOS_EXIT_INTERNAL;
	}
	rc = serve_hosts(s, *rs);
	if (rc != 0) {
		cli_error("run", "network: cannot serve /etc/hosts: %s",
			  strerror(-rc));
		return AKIOS_EXIT_INTERNAL;
	}
	return 0;
}

int run_broker_prepare(struct run_state *s, struct run_broker *rb)
{
	struct sigaction ign = {.sa_handler = SIG_IGN};
	int rc;

	memset(rb, 0, sizeof(*rb));
	rb->s = s;
	rb->relay4 = rb->relay6 = rb->diag = -1;
	rb->extra[0] = s->argv[0];
	rc = run_broker_resolve(s, &rb->rs);
	if (rc != 0)
		return rc;
	if (sigaction(SIGPIPE, &ign, NULL) != 0)
		return AKIOS_EXIT_INTERNAL;
	return 0;
}

static const char *event_type(enum broker_event_kind k)
{
	switch (k) {
	case BROKER_EV_CONNECT:
		return "net.connect";
	case BROKER_EV_SEND:
		return "net.send";
	case BROKER_EV_EXEC:
		return "exec";
	case BROKER_EV_RELAY_CLOSE:
		return "net.close";
	case BROKER_EV_TOOL_TIMEOUT:
		return "tool.timeout";
	case BROKER_EV_RELAY_DROP:
		break;
	}
	return "net.drop";
}

static void add_str(struct json *f, const char *k, const char *v)
{
	if (v)
		json_add_str(f, k, v);
}

static struct json *event_fields(const struct broker_event *ev)
{
	struct json *f = json_new_object();

	if (!f)
		return NULL;
	add_str(f, "rule", ev->rule);
	json_add_num(f, "pid", ev->pid);
	add_str(f, "dest", ev->dest);
	add_str(f, "class", ev->addr_class);
	add_str(f, "host", ev->host);
	add_str(f, "outcome", ev->outcome);
	if (ev->error)
		add_str(f, "error", strerrorname_np(ev->error));
	add_str(f, ev->kind == BROKER_EV_TOOL_TIMEOUT ? "tool" : "path",
		ev->path);
	add_str(f, "resolved", ev->resolved);
	if (ev->kind == BROKER_EV_TOOL_TIMEOUT) {
		json_add_num(f, "limit_sec", ev->limit_sec);
		json_add_str(f, "signal", "SIGKILL");
	}
	if (ev->kind == BROKER_EV_EXEC) {
		struct json *a = json_add_array(f, "argv");

		for (unsigned i = 0; a && i < ev->argc; i++)
			json_push(a, json_new_string(ev->argv[i]));
		json_add_bool(f, "argv_truncated", ev->argv_truncated);
	}
	if (ev->kind == BROKER_EV_RELAY_CLOSE) {
		json_add_num(f, "bytes_up", (double)ev->bytes_up);
		json_add_num(f, "bytes_down", (double)ev->bytes_down);
	}
	return f;
}

/* Appended without a commit each: the run's own commits (and run.end)
 * make them durable; an fdatasync per exec would dominate its cost. */
static void on_event(void *ctx, const struct broker_event *ev)
{
	struct run_broker *rb = ctx;
	struct akios_err err = {0};
	struct json *f = event_fields(ev);

	if (rb->s->log && audit_append(rb->s->log, event_type(ev->kind),
				       ev->decision, f, &err) != 0)
		cli_error_err("run: audit", &err);
	json_free(f);
}

static int on_ready(struct cage_loop *loop, int fd, uint32_t events, void *ctx)
{
	struct run_broker *rb = ctx;

	(void)loop;
	(void)fd;
	(void)events;
	return broker_handle_ready(rb->b);
}

/* The broker with the relay (nfd -1: the listener comes later). A
 * failure stops the run: without a broker the agent's trapped calls
 * would wait forever. */
static int make_broker(struct run_broker *rb, struct cage_loop *loop, int nfd)
{
	struct broker_opts o = {.policy = rb->s->policy,
				.endpoints = rb->rs,
				.notify_fd = nfd,
				.relay4 = rb->relay4,
				.relay6 = rb->relay6,
				.unix_diag = rb->diag,
				.audit = on_event,
				.audit_ctx = rb,
				.exec_extra = rb->extra,
				.n_exec_extra = 1};
	int rc;

	rb->relay4 = rb->relay6 = rb->diag = -1; /* taken by broker_new */
	rc = broker_new(&o, &rb->b);
	if (rc == 0)
		rc = cage_loop_add(loop, broker_fd(rb->b), EPOLLIN, on_ready,
				   rb);
	if (rc != 0)
		cli_error("run", "network broker: %s", strerror(-rc));
	return rc;
}

/* The relay's sockets, made by the cage's PID 1 in its own network
 * namespace before the agent is ready (cage_run checks the sender). The
 * broker is made now, while the cage is still being built, so the
 * listener's arrival costs one epoll_ctl: the agent's first execve
 * waits for it (child.c: hand_over_listener). */
static int on_relay(void *ctx, struct cage_loop *loop,
		    const struct cage_relay_fds *fds)
{
	struct run_broker *rb = ctx;

	rb->relay4 = fds->relay4;
	rb->relay6 = fds->relay6;
	/* Without it, every connect to a pathname Unix socket is refused. */
	rb->diag = fds->diag;
	if (fds->relay4 < 0 && rb->rs->n > 0)
		cli_error("run",
			  "network broker: no relay in the cage (%s): "
			  "the allowed endpoints are unreachable",
			  strerror(fds->err4 ? fds->err4 : EIO));
	return make_broker(rb, loop, -1);
}

static int on_listener(void *ctx, struct cage_loop *loop, int fd)
{
	struct run_broker *rb = ctx;
	int rc;

	if (!rb->b) /* no relay came: the broker works without */
		return make_broker(rb, loop, fd);
	rc = broker_set_listener(rb->b, fd);
	if (rc != 0)
		cli_error("run", "network broker: %s", strerror(-rc));
	return rc;
}

void run_broker_hook(struct run_broker *rb, struct cage_run_opts *o)
{
	o->want_listener = true;
	o->hook_ctx = rb;
	o->on_relay = on_relay;
	o->on_listener = on_listener;
}

void run_broker_free(struct run_broker *rb)
{
	broker_free(rb->b);
	rb->b = NULL;
	if (rb->relay4 >= 0)
		close(rb->relay4);
	if (rb->relay6 >= 0)
		close(rb->relay6);
	if (rb->diag >= 0)
		close(rb->diag);
	rb->relay4 = rb->relay6 = rb->diag = -1;
	resolve_set_free(rb->rs);
	rb->rs = NULL;
}

/* The plan's JSON object gets a "network" key: the endpoints as
 * resolve_describe prints them. */
static int add_json(struct akios_buf *out, const struct akios_buf *net)
{
	/* Both texts are akios's own compact JSON (the plan's ends with a
	 * newline, which the strict parser takes as whitespace). */
	struct json *plan = json_parse(out->ptr, out->len, NULL);
	char *txt = NULL;
	int rc = -ENOMEM;

	/* json_add owns the endpoints from here, attached or freed. */
	if (json_is_object(plan) &&
	    json_add(plan, "network", json_parse(net->ptr, net->len, NULL)))
		txt = json_print(plan);
	if (txt) {
		akios_buf_reset(out);
		rc = akios_buf_append(out, txt, strlen(txt));
	}
	if (rc == 0)
		rc = akios_buf_append(out, "\n", 1);
	free(txt);
	json_free(plan);
	return rc;
}

int run_broker_describe(const struct resolve_set *rs, struct akios_buf *out,
			bool json)
{
	struct akios_buf net;
	int rc;

	akios_buf_init(&net, AKIOS_MAX_HOSTS_BYTES);
	rc = resolve_describe(rs, &net, json);
	if (rc == 0 && json)
		rc = add_json(out, &net);
	else if (rc == 0)
		rc = akios_buf_append(out, net.ptr, net.len);
	/* The JSON plan shows the file's content among its mounts. */
	if (rc == 0 && !json)
		rc = akios_buf_appendf(out, "/etc/hosts in the cage:\n");
	if (rc == 0 && !json)
		rc = resolve_hosts_file(rs, out);
	akios_buf_free(&net);
	return rc;
}
