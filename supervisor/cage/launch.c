/* Starting the cage: clone3 into new user, pid, mount, net, ipc, uts and
 * cgroup namespaces (straight into the run's cgroup when the v2 back-end
 * gives a directory fd). PID 1 writes its own identity map (the caller's
 * uid and gid are the only ids in the cage, the same numbers inside as
 * outside) and builds the view at once; the supervisor attaches it to a
 * v1 cgroup and waits for the placeholders, then sends the go byte that
 * PID 1 waits for before the first placeholder bind and the agent.
 * On x86_64 PID 1 shares akios's memory (CLONE_VM) and runs on the TLS of
 * a parked thread (launch_park.c). There the launch can be early
 * (cage_launch_early, right after the command line): a parked thread
 * clones PID 1 at once, which makes its namespaces and identity map on
 * the other core while akios loads the policy and builds the plan, and
 * waits; cage_launch then moves it into the run's cgroup (attach, for
 * both back-ends: the cgroup does not exist at the clone), publishes the
 * plan (a release store, then a byte on the sync pipe) and lets it go as
 * above. Invariant: an early PID 1 is killed and reaped by
 * cage_launch_free when no cage_launch took it. */
#include "shared/common.h"
#include "supervisor/cage/launch_int.h"
#include "supervisor/cage/run.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The mapping: a guard page, the agent's stack, a guard page, PID 1's
 * stack, then its block (page-aligned: each stack's top is aligned for
 * any ABI). One mapping, unmapped once, after PID 1 is reaped. */
static struct cage_pid1 *map_pid1(struct cage_launch *l)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	char *base;
	struct cage_pid1 *b;

	l->block = (sizeof(struct cage_pid1) + page - 1) / page * page;
	l->map_size = page + AGENT_STACK + page + PID1_STACK + l->block;
	base = mmap(NULL, l->map_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	l->map = base;
	b = (struct cage_pid1 *)(base + l->map_size - l->block);
	b->park_fd = -1; /* cage_launch_free reads it, whatever fails next */
	b->args.agent_stack = base + page + AGENT_STACK;
	if (mprotect(base, page, PROT_NONE) != 0 ||
	    mprotect(base + page + AGENT_STACK, page, PROT_NONE) != 0)
		return NULL;
	return b;
}

/* What PID 1 needs of the plan and the options. */
static void fill_plan(struct cage_pid1 *b, const struct cage_launch_opts *o)
{
	b->args.plan = o->plan;
	b->args.envp = o->envp;
	b->args.pty = o->pty ? &b->pty : NULL;
	b->args.bpf = o->bpf;
	b->args.want_listener = o->want_listener;
	b->args.want_relay = o->want_relay;
	if (o->pty)
		b->pty = *o->pty;
}

/* The clone's arguments: into the new namespaces, on PID 1's stack. */
static void fill_clone(struct cage_pid1 *b, uint64_t flags, char *stack_top)
{
	b->pidfd = -1;
	b->ca = (struct clone_args){
	    .flags = CAGE_NS_FLAGS | CLONE_PIDFD | flags,
	    .pidfd = (uint64_t)(uintptr_t)&b->pidfd,
	    .exit_signal = SIGCHLD,
	    .stack = (uint64_t)(uintptr_t)(stack_top - PID1_STACK),
	    .stack_size = PID1_STACK,
	};
}

static void fill_pid1(struct cage_pid1 *b, const struct cage_launch_opts *o,
		      int status_fd, int sync_fd, char *stack_top)
{
	int cg = o->cgroup ? cage_cgroup_fd(o->cgroup) : -1;

	b->args = (struct cage_child_args){
	    .agent_stack = b->args.agent_stack,
	    .status_fd = status_fd,
	    .sync_fd = sync_fd,
	    .uid = o->plan->uid,
	    .gid = o->plan->gid,
	    .go_before_agent =
		o->cgroup && cg < 0 &&
		cage_cgroup_backend(o->cgroup) != CAGE_CGROUP_NONE,
	};
	b->args.new_cgroupns = b->args.go_before_agent;
	fill_plan(b, o);
	fill_clone(b, 0, stack_top);
	if (cg >= 0) {
		b->ca.flags |= CLONE_INTO_CGROUP;
		b->ca.cgroup = (uint64_t)cg;
	}
}

/* Moves PID 1 into the run's cgroup unless the clone put it there. */
static int attach(struct cage_launch *l, const struct cage_launch_opts *o,
		  struct akios_err *err)
{
	int rc;

	if (!o->cgroup || (!l->early && cage_cgroup_fd(o->cgroup) >= 0) ||
	    cage_cgroup_backend(o->cgroup) == CAGE_CGROUP_NONE)
		return 0;
	rc = cage_cgroup_attach(o->cgroup, l->pid);
	if (rc != 0)
		akios_err_set(err, NULL, 0, 0,
			      "cannot move the cage into its cgroup: %s",
			      strerror(-rc));
	return rc;
}

/* After clone: cgroup (an early PID 1 is in it already), go. On failure
 * the child is killed. */
static int release_child(struct cage_launch *l,
			 const struct cage_launch_opts *o, int go_fd,
			 struct akios_err *err)
{
	int rc = l->early ? 0 : attach(l, o, err);

	if (rc == 0 && o->before_go)
		rc = o->before_go(o->go_ctx, l->pidfd, go_fd, err);
	if (rc == 1)
		return 0; /* the go is someone else's to send */
	if (rc == 0 && write(go_fd, "g", 1) != 1) {
		rc = -errno;
		akios_err_set(err, NULL, 0, 0, "cannot start the cage: %s",
			      strerror(errno));
	}
	return rc;
}

static int launch_error(int rc, struct akios_err *err)
{
	akios_err_set(err, NULL, 0, 0,
		      "cannot create the cage's namespaces: %s (are user "
		      "namespaces enabled for this user? see "
		      "/proc/sys/user/max_user_namespaces and `akios doctor`)",
		      strerror(-rc));
	return rc;
}

static void launch_init(struct cage_launch *l)
{
	*l = (struct cage_launch){.pid = -1,
				  .pidfd = -1,
				  .status_fd = -1,
				  .park_wr = -1,
				  .early_status = -1,
				  .early_sync = -1,
				  .early_child = {-1, -1}};
}

int cage_launch_prepare(struct cage_launch *l)
{
	struct cage_pid1 *b;

	launch_init(l);
	b = map_pid1(l);
	l->prep_err = b ? cage_park_threads(l, b) : -errno;
	return l->prep_err;
}

#if CAGE_SHARED_VM
int cage_launch_early(struct cage_launch *l, uid_t uid, gid_t gid)
{
	struct cage_pid1 *b;

	launch_init(l);
	l->early = true;
	b = map_pid1(l);
	if (!b)
		return -errno;
	b->args.uid = uid;
	b->args.gid = gid;
	/* Into a cgroup only later (attach): the clone happens before the
	 * plan says whether there is one. */
	fill_clone(b, CLONE_VM, (char *)b);
	for (int i = 0; i < 4; i++)
		b->early_fd[i] = -1;
	return cage_park_early(l, b);
}
#else
int cage_launch_early(struct cage_launch *l, uid_t uid, gid_t gid)
{
	(void)uid;
	(void)gid;
	launch_init(l);
	return -ENOSYS;
}
#endif

/* The cloner's outcome, and the fds it made, now ours. */
static long await_early(struct cage_launch *l, struct cage_pid1 *b)
{
	long pid = cage_await_clone(b);
	int *to[4] = {&l->early_status, &l->early_sync, &l->early_child[0],
		      &l->early_child[1]};

	for (int i = 0; i < 4; i++) {
		if (b->early_fd[i] >= 0)
			*to[i] = b->early_fd[i];
		b->early_fd[i] = -1;
	}
	return pid;
}

/* PID 1 cloned early: what it waits for (the plan, its cgroup), then go.
 * Our fds are the early ones; on failure after the clone PID 1 is
 * killed. */
static int launch_early(const struct cage_launch_opts *o, struct cage_launch *l,
			struct akios_err *err)
{
	struct cage_pid1 *b = cage_pid1_block(l);
	long pid = await_early(l, b);
	int rc = 0;

	for (int i = 0; i < 2; i++)
		close_fd(&l->early_child[i]);
	if (b->thread_err) {
		akios_err_set(err, NULL, 0, 0, "cannot set up the cage: %s",
			      strerror(-b->thread_err));
		return b->thread_err;
	}
	if (pid < 0)
		return launch_error((int)pid, err);
	l->pid = (pid_t)pid;
	l->pidfd = b->pidfd;
	/* The agent's thread: its TLS recorded, it is quiet. */
	for (; l->n_parked < l->n_threads; l->n_parked++)
		while (sem_wait(&b->parked) != 0)
			;
	rc = attach(l, o, err);
	if (rc == 0) {
		fill_plan(b, o);
		b->args.agent_tls = b->tls[1];
		b->args.new_cgroupns =
		    o->cgroup &&
		    cage_cgroup_backend(o->cgroup) != CAGE_CGROUP_NONE;
		__atomic_store_n(&b->args.published, true, __ATOMIC_RELEASE);
		if (write(l->early_sync, "p", 1) != 1) {
			rc = -errno;
			akios_err_set(err, NULL, 0, 0,
				      "cannot start the cage: %s",
				      strerror(errno));
		}
	}
	if (rc == 0)
		rc = release_child(l, o, l->early_sync, err);
	close_fd(&l->early_sync);
	if (rc != 0) {
		(void)syscall(SYS_pidfd_send_signal, l->pidfd, SIGKILL, NULL,
			      0);
		return rc;
	}
	l->status_fd = l->early_status;
	l->early_status = -1;
	return 0;
}

int cage_launch(const struct cage_launch_opts *o, struct cage_launch *l,
		struct akios_err *err)
{
	int sv[2] = {-1, -1};
	int sync[2] = {-1, -1};
	int one = 1;
	struct cage_pid1 *b;
	long pid;
	int rc = l->map ? l->prep_err : -ENOMEM;

	if (rc == 0 && l->early)
		return launch_early(o, l, err);
	if (rc != 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) ||
	    pipe2(sync, O_CLOEXEC) != 0 ||
	    setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one))) {
		rc = rc ? rc : -errno;
		akios_err_set(err, NULL, 0, 0, "cannot set up the cage: %s",
			      strerror(-rc));
		goto out;
	}
	/* (SO_PASSCRED: each message then carries its sender's pid.) */
	b = cage_pid1_block(l);
	fill_pid1(b, o, sv[1], sync[0], (char *)b);
	pid = cage_clone_pid1(l, b);
	if (pid < 0) {
		rc = launch_error((int)pid, err);
		goto out;
	}
	l->pid = (pid_t)pid;
	l->pidfd = b->pidfd;
	close_fd(&sv[1]);
	close_fd(&sync[0]);
	rc = release_child(l, o, sync[1], err);
	if (rc != 0) {
		(void)syscall(SYS_pidfd_send_signal, l->pidfd, SIGKILL, NULL,
			      0);
		goto out;
	}
	l->status_fd = sv[0];
	sv[0] = -1;
out:
	close_fd(&sv[0]);
	close_fd(&sv[1]);
	close_fd(&sync[0]);
	close_fd(&sync[1]);
	return rc;
}

/* An early launch's cloner is quiet (its clone done), and a PID 1 that
 * cage_launch did not take is killed and reaped: nothing may outlive
 * the run, and the threads may end only once it is gone. */
static void early_quiet(struct cage_launch *l, struct cage_pid1 *b)
{
	long pid;
	int st;

	if (!l->cloner)
		return;
	pid = await_early(l, b);
	for (int i = 0; i < 2; i++)
		close_fd(&l->early_child[i]);
	close_fd(&l->early_sync); /* PID 1 sees EOF: it gives up */
	close_fd(&l->early_status);
	if (pid > 0 && l->pid < 0) {
		(void)syscall(SYS_pidfd_send_signal, b->pidfd, SIGKILL, NULL,
			      0);
		while (waitpid((pid_t)pid, &st, __WALL) < 0 && errno == EINTR)
			;
	}
	if (pid > 0 && l->pid < 0 && b->pidfd >= 0)
		close(b->pidfd);
}

void cage_launch_free(struct cage_launch *l)
{
	struct cage_pid1 *b = cage_pid1_block(l);

	if (l->early && b)
		early_quiet(l, b);
	/* Each parked thread reads the block until it posts. */
	for (; b && l->n_parked < l->n_threads; l->n_parked++)
		while (sem_wait(&b->parked) != 0)
			;
	close_fd(&l->park_wr); /* their EOF: they end on their own */
	if (b && b->park_fd >= 0)
		close(b->park_fd);
	if (l->map)
		(void)munmap(l->map, l->map_size);
	l->map = NULL;
}

/* Their end overlaps the rest of the run's end, and akios's exit then
 * has no thread to kill and wait for (each woken on the other core):
 * the thread that exits last tears the address space down, now akios's
 * main thread, on a core that is awake. No munmap: its TLB flush would
 * cost more than the exit's teardown of the same pages. */
void cage_launch_end_threads(struct cage_launch *l)
{
	struct cage_pid1 *b = cage_pid1_block(l);

	for (; b && l->n_parked < l->n_threads; l->n_parked++)
		while (sem_wait(&b->parked) != 0)
			;
	close_fd(&l->park_wr);
}

struct cage_early {
	struct cage_launch l;
	bool taken; /* by cage_run */
};

struct cage_early *cage_early_start(uid_t uid, gid_t gid)
{
	struct cage_early *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	if (cage_launch_early(&e->l, uid, gid) != 0) {
		cage_launch_free(&e->l);
		free(e);
		return NULL;
	}
	return e;
}

int cage_launch_adopt(struct cage_launch *l, struct cage_early *e)
{
	if (!e || e->taken)
		return -ENOENT;
	*l = e->l;
	e->taken = true;
	return 0;
}

void cage_early_free(struct cage_early *e)
{
	if (!e)
		return;
	if (!e->taken)
		cage_launch_free(&e->l);
	free(e);
}
