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
#include <linux/openat2.h>
#include <sys/syscall.h>

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

/* Our copy of fd's name into out (size bytes): the path in the task's
 * view when the file lies outside our root (the cage's). 0 or -1. */
static int fd_name(int fd, char *out, size_t size)
{
	char self[64];
	ssize_t len;

	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	len = readlink(self, out, size - 1);
	/* Only an absolute name: not a pipe's or a memfd's ("memfd:..."). */
	if (len <= 0 || out[0] != '/')
		return -1;
	out[len] = '\0';
	return 0;
}

/* The binary as the task sees it: relative paths through its cwd or
 * dirfd, absolute ones through its root, each symlink on the way
 * resolved inside the task's root (openat2 RESOLVE_IN_ROOT from it:
 * realpath(3) on /proc/PID/root/... reads that magic link as "/" and
 * goes on in our namespace, and even the kernel's own walk resolves an
 * absolute symlink target from the walker's root). It only adds a name
 * tools.allow may match and the audit event's "resolved"; the exec
 * itself resolves again, in the kernel. */
static void resolve_path(pid_t pid, int dirfd, bool at, struct exec_req *x)
{
	struct open_how how = {.flags = O_PATH | O_CLOEXEC,
			       .resolve = RESOLVE_IN_ROOT};
	char proc[64], base[PATH_MAX], full[2 * PATH_MAX];
	int root, fd, n;

	base[0] = '\0';
	if (x->path[0] != '/') {
		n = at && dirfd != AT_FDCWD
			? snprintf(proc, sizeof(proc), "/proc/%d/fd/%d",
				   (int)pid, dirfd)
			: snprintf(proc, sizeof(proc), "/proc/%d/cwd",
				   (int)pid);
		fd = n > 0 ? open(proc, O_PATH | O_CLOEXEC) : -1;
		n = fd < 0 ? -1 : fd_name(fd, base, sizeof(base));
		if (fd >= 0)
			close(fd);
		if (n != 0)
			return;
	}
	/* execveat(fd, "", AT_EMPTY_PATH): the fd is the file itself. */
	n = snprintf(full, sizeof(full), "%s%s%s", base, x->path[0] ? "/" : "",
		     x->path);
	snprintf(proc, sizeof(proc), "/proc/%d/root", (int)pid);
	root = n > 0 && (size_t)n < sizeof(full)
		   ? open(proc, O_PATH | O_DIRECTORY | O_CLOEXEC)
		   : -1;
	if (root < 0)
		return;
	fd = (int)syscall(SYS_openat2, root, full, &how, sizeof(how));
	close(root);
	if (fd < 0)
		return;
	x->have_resolved = fd_name(fd, x->resolved, sizeof(x->resolved)) == 0;
	close(fd);
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
	/* Resolved while the task waits: once answered it may be gone
	 * (exited, its /proc entry with it) before the audit event is
	 * made, and the name would be missing from it. */
	resolve_path((pid_t)n->pid, (int)a[0], at, x);
	enum exec_class cls = exec_class(b, x);

	/* The agent's command (its first exec among them), or any exec when
	 * no tool has a deadline and tools.allow lets everything run. */
	if (cls == EXEC_AGENT ||
	    (!b->tools && (!b->policy || !b->policy->tools.allow_set))) {
		rc = broker_continue(b);
		emit_allow(b, x);
		return rc;
	}

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
