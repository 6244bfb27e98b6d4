/* broker_exec: the execve/execveat handler. It records each attempt
 * (path, resolved binary, argv) and applies tools.allow, then lets the
 * kernel run an allowed exec with CONTINUE. That is sound only because
 * the real exec boundary is Landlock's EXECUTE right on the files that
 * may run: a thread racing to rewrite the path after our read can change
 * what the audit log says was attempted, never what is allowed to run
 * (those grants: supervisor/cage/plan_exec.c, README "Tools allowlist").
 * A refusal needs no such argument: the call simply fails. */
#include "shared/common.h"

#include "shared/limits.h"
#include "supervisor/broker/broker_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>

struct exec_req {
	char path[PATH_MAX];
	char resolved[PATH_MAX];
	bool have_resolved;
	char *argbuf; /* AKIOS_MAX_EXEC_ARGV_BYTES, strings back to back */
	const char *argv[AKIOS_MAX_EXEC_ARGS];
	unsigned argc;
	bool truncated;
};

/* Reads argv: the pointer array first, then each string, each read
 * checked against the notification id. A bad pointer ends the list
 * (the kernel will fail the exec with EFAULT itself). */
static int read_argv(struct broker *b, uint64_t argv_addr, struct exec_req *x)
{
	const struct seccomp_notif *n = b->nb.req;
	size_t used = 0;

	if (argv_addr == 0)
		return 0;
	for (unsigned i = 0; i < AKIOS_MAX_EXEC_ARGS; i++) {
		uint64_t p = 0;
		int rc =
		    notify_read_mem(b->nfd, n->id, (pid_t)n->pid,
				    argv_addr + i * sizeof(p), &p, sizeof(p));

		if (rc == -ENOENT)
			return rc;
		if (rc != 0 || p == 0)
			return 0;
		if (used >= AKIOS_MAX_EXEC_ARGV_BYTES)
			break;
		rc = notify_read_string(b->nfd, n->id, (pid_t)n->pid, p,
					x->argbuf + used,
					AKIOS_MAX_EXEC_ARGV_BYTES - used);
		if (rc == -ENOENT)
			return rc;
		if (rc < 0)
			break;
		x->argv[x->argc++] = x->argbuf + used;
		used += (size_t)rc + 1;
	}
	x->truncated = true;
	return 0;
}

/* The binary as the supervisor sees it: relative paths through the
 * task's cwd or dirfd, absolute ones through its root. Informational
 * (audit only): the exec itself resolves again, in the kernel. */
static void resolve_path(pid_t pid, int dirfd, bool at, struct exec_req *x)
{
	char base[64], full[PATH_MAX + 64];
	int n;

	if (x->path[0] == '/')
		n = snprintf(base, sizeof(base), "/proc/%d/root", (int)pid);
	else if (at && dirfd != AT_FDCWD)
		n = snprintf(base, sizeof(base), "/proc/%d/fd/%d", (int)pid,
			     dirfd);
	else
		n = snprintf(base, sizeof(base), "/proc/%d/cwd", (int)pid);
	if (n < 0 || (size_t)n >= sizeof(base))
		return;
	n = snprintf(full, sizeof(full), "%s%s%s", base,
		     x->path[0] == '/' || x->path[0] == '\0' ? "" : "/",
		     x->path);
	if (n < 0 || (size_t)n >= sizeof(full))
		return;
	x->have_resolved = realpath(full, x->resolved) != NULL;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

enum exec_class { EXEC_DENY, EXEC_AGENT, EXEC_TOOL };

static bool name_matches(const char *rule, const char *const cand[2])
{
	for (int c = 0; c < 2; c++) {
		if (cand[c] &&
		    (strchr(rule, '/') ? strcmp(cand[c], rule) == 0
				       : strcmp(base_name(cand[c]), rule) == 0))
			return true;
	}
	return false;
}

/* The agent command (and what exec_extra names) is not a tool run: no
 * tools.allow entry needed, no tools.timeout_sec deadline. */
static enum exec_class exec_class(const struct broker *b,
				  const struct exec_req *x)
{
	const struct akios_policy *p = b->policy;
	const char *cand[2] = {x->path, x->have_resolved ? x->resolved : NULL};

	for (unsigned i = 0; i < b->n_exec_extra; i++)
		if (name_matches(b->exec_extra[i], cand))
			return EXEC_AGENT;
	if (!p || !p->tools.allow_set)
		return EXEC_TOOL;
	for (unsigned i = 0; i < p->tools.n_allow; i++) {
		const char *t = p->tools.allow[i].name;

		/* A bare name matches the file name, a path the path. */
		if (t[0] == '/' ? (strcmp(x->path, t) == 0 ||
				   (cand[1] && strcmp(cand[1], t) == 0))
				: name_matches(t, cand))
			return EXEC_TOOL;
	}
	return EXEC_DENY;
}

static void emit_exec(struct broker *b, const struct exec_req *x,
		      const char *decision, const char *rule, int error)
{
	struct broker_event ev = {
	    .kind = BROKER_EV_EXEC,
	    .decision = decision,
	    .rule = rule,
	    .pid = (pid_t)b->nb.req->pid,
	    .error = error,
	    .path = x->path,
	    .resolved = x->have_resolved ? x->resolved : NULL,
	    .argv = x->argv,
	    .argc = x->argc,
	    .argv_truncated = x->truncated,
	};

	broker_emit(b, &ev);
}

static void emit_allow(struct broker *b, const struct exec_req *x)
{
	emit_exec(b, x, "allow",
		  b->policy && b->policy->tools.allow_set ? "tools.allow"
							  : "exec.audit",
		  0);
}

static int exec_decide(struct broker *b, bool at, struct exec_req *x)
{
	const struct seccomp_notif *n = b->nb.req;
	const __u64 *a = n->data.args;
	int rc = notify_read_string(b->nfd, n->id, (pid_t)n->pid,
				    at ? a[1] : a[0], x->path, sizeof(x->path));

	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return broker_reply(b, -rc);
	rc = read_argv(b, at ? a[2] : a[1], x);
	if (rc == -ENOENT)
		return 0;
	/* The agent's command (its first exec among them), or any exec when
	 * no tool has a deadline and tools.allow lets everything run: the
	 * resolved name, which only adds matches, cannot change the answer;
	 * it is looked up after it, for the audit event. */
	if (exec_class(b, x) == EXEC_AGENT ||
	    (!b->tools && (!b->policy || !b->policy->tools.allow_set))) {
		rc = broker_continue(b);
		resolve_path((pid_t)n->pid, (int)a[0], at, x);
		emit_allow(b, x);
		return rc;
	}
	resolve_path((pid_t)n->pid, (int)a[0], at, x);
	enum exec_class cls = exec_class(b, x);

	/* Each answer goes before its audit event: the process waits for
	 * the first, not for the second, and the event says the same either
	 * way (appended, durable with the run's next commit, and before any
	 * later event: this loop handles one notification at a time). */
	if (cls == EXEC_DENY) {
		rc = broker_reply(b, EACCES);
		emit_exec(b, x, "deny", "tools.allow", EACCES);
		return rc;
	}
	/* The deadline is set before the exec may run: a tool run that
	 * cannot be bounded does not start. */
	rc = cls == EXEC_TOOL && b->tools
		 ? toolrun_start(b->tools, b->nfd, n->id, (pid_t)n->pid,
				 x->have_resolved ? x->resolved : x->path)
		 : 0;
	if (rc == -ENOENT)
		return 0;
	if (rc != 0) {
		int err = -rc;

		rc = broker_reply(b, err);
		emit_exec(b, x, "deny", "tools.timeout_sec", err);
		return rc;
	}
	/* CONTINUE: see the comment at the top of this file. */
	rc = broker_continue(b);
	emit_allow(b, x);
	return rc;
}

/* Made with the broker, which akios run makes while the cage builds its
 * view: every page is touched now, so the agent's first execve, which
 * waits for our answer, takes no page fault here. */
int broker_exec_new(struct broker *b)
{
	struct exec_req *x = malloc(sizeof(*x));

	if (!x)
		return -ENOMEM;
	memset(x, 0, sizeof(*x));
	x->argbuf = malloc(AKIOS_MAX_EXEC_ARGV_BYTES);
	if (!x->argbuf) {
		free(x);
		return -ENOMEM;
	}
	memset(x->argbuf, 0, 4096);
	b->exec = x;
	return 0;
}

void broker_exec_free(struct broker *b)
{
	if (!b->exec)
		return;
	free(b->exec->argbuf);
	free(b->exec);
	b->exec = NULL;
}

int broker_handle_exec(struct broker *b, bool at)
{
	struct exec_req *x = b->exec;

	x->path[0] = '\0';
	x->resolved[0] = '\0';
	x->have_resolved = false;
	x->argc = 0;
	x->truncated = false;
	return exec_decide(b, at, x);
}
