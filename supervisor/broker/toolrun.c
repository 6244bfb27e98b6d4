/* toolrun: deadlines of tool runs (toolrun.h). Invariants: a slot's pidfd
 * was taken while the exec was trapped and checked against the
 * notification id, so a kill reaches only that process; the timerfd is
 * armed for the earliest live deadline; a process whose exec failed
 * (its image stamp unchanged) is never killed. */
#include "shared/common.h"

#include "shared/limits.h"
#include "supervisor/broker/notify.h"
#include "supervisor/broker/toolrun.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>

#define TIMER_TAG UINT32_MAX

/* What a successful exec changes: the name and the memory layout of the
 * process (code, stack and argv addresses; ASLR makes them differ even
 * for the same binary). */
struct image {
	char comm[32];
	unsigned long long f[5];
};

struct slot {
	int pidfd; /* -1: free */
	pid_t pid;
	uint64_t deadline; /* CLOCK_MONOTONIC ns */
	struct image pre;  /* the image before the exec that was trapped */
	bool is_tool;	   /* an exec of a tool is known to have happened */
	char tool[PATH_MAX];
};

struct toolrun {
	int ep, tfd;
	unsigned limit;
	unsigned hi; /* slots [0, hi) may be in use */
	unsigned live;
	toolrun_expire_fn fn;
	void *ctx;
	struct slot s[AKIOS_MAX_TOOL_RUNS];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int ep_add(int ep, int fd, uint32_t tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = tag};

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : -errno;
}

int toolrun_new(unsigned timeout_sec, toolrun_expire_fn fn, void *ctx,
		struct toolrun **out)
{
	struct toolrun *t = calloc(1, sizeof(*t));
	int rc;

	if (!t)
		return -ENOMEM;
	for (unsigned i = 0; i < AKIOS_MAX_TOOL_RUNS; i++)
		t->s[i].pidfd = -1;
	t->limit = timeout_sec;
	t->fn = fn;
	t->ctx = ctx;
	t->ep = epoll_create1(EPOLL_CLOEXEC);
	t->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	rc =
	    t->ep < 0 || t->tfd < 0 ? -errno : ep_add(t->ep, t->tfd, TIMER_TAG);
	if (rc != 0) {
		toolrun_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

void toolrun_free(struct toolrun *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < t->hi; i++)
		if (t->s[i].pidfd >= 0)
			close(t->s[i].pidfd);
	if (t->ep >= 0)
		close(t->ep);
	if (t->tfd >= 0)
		close(t->tfd);
	free(t);
}

int toolrun_fd(const struct toolrun *t)
{
	return t->ep;
}

unsigned toolrun_count(const struct toolrun *t)
{
	return t->live;
}

/* The image stamp from /proc/PID/stat: comm, then fields 26-28
 * (startcode, endcode, startstack) and 48-49 (arg_start, arg_end). */
static int read_image(pid_t pid, struct image *im)
{
	static const int want[5] = {26, 27, 28, 48, 49};
	char path[64], line[1024];
	int fd, k = 0;
	ssize_t n;

	memset(im, 0, sizeof(*im));
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	line[n] = '\0';
	char *open_p = strchr(line, '('), *close_p = strrchr(line, ')');

	if (!open_p || !close_p || close_p < open_p)
		return -EIO;
	snprintf(im->comm, sizeof(im->comm), "%.*s",
		 (int)(close_p - open_p - 1), open_p + 1);
	char *p = close_p + 1;

	for (int field = 3; field <= want[4] && *p; field++) {
		char *end;
		unsigned long long v;

		p += strspn(p, " ");
		v = strtoull(p, &end, 10);
		if (k < 5 && field == want[k])
			im->f[k++] = v;
		p = end + strcspn(end, " ");
	}
	return k == 5 ? 0 : -EIO;
}

/* Whether the process replaced its image since `pre`. A process whose
 * layout we may not read (all zero) counts as replaced: the kill then
 * errs on the side of the deadline. */
static bool image_changed(pid_t pid, const struct image *pre)
{
	struct image now;

	if (read_image(pid, &now) != 0)
		return true;
	if (strcmp(now.comm, pre->comm) != 0)
		return true;
	for (int i = 0; i < 5; i++)
		if (now.f[i] != pre->f[i])
			return true;
	return now.f[0] == 0 && now.f[2] == 0;
}

static void rearm(struct toolrun *t)
{
	uint64_t min = 0;
	struct itimerspec its = {0};

	for (unsigned i = 0; i < t->hi; i++)
		if (t->s[i].pidfd >= 0 && (min == 0 || t->s[i].deadline < min))
			min = t->s[i].deadline;
	its.it_value.tv_sec = (time_t)(min / 1000000000ull);
	its.it_value.tv_nsec = (long)(min % 1000000000ull);
	/* min == 0 disarms. An absolute time already past fires at once. */
	(void)timerfd_settime(t->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void release(struct toolrun *t, struct slot *s)
{
	(void)epoll_ctl(t->ep, EPOLL_CTL_DEL, s->pidfd, NULL);
	close(s->pidfd);
	s->pidfd = -1;
	t->live--;
	while (t->hi > 0 && t->s[t->hi - 1].pidfd < 0)
		t->hi--;
}

/* The thread group of a thread id (an exec from a thread other than the
 * leader leaves the process with the leader's pid). */
static pid_t tgid_of(pid_t tid)
{
	char path[64], buf[1024];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	const char *p = strstr(buf, "\nTgid:");

	return p ? (pid_t)strtol(p + 6, NULL, 10) : -EIO;
}

/* A pidfd on the process of task tid, proven to be the trapped one. */
static int open_process(int nfd, uint64_t id, pid_t tid, pid_t *pid)
{
	int fd = (int)syscall(SYS_pidfd_open, tid, 0);

	*pid = tid;
	if (fd < 0 && errno == EINVAL) {
		*pid = tgid_of(tid);
		fd = *pid > 0 ? (int)syscall(SYS_pidfd_open, *pid, 0) : -1;
	}
	if (fd < 0)
		return errno == ESRCH ? -ENOENT : -errno;
	int rc = notify_id_valid(nfd, id);

	if (rc != 0) {
		close(fd);
		return rc;
	}
	return fd;
}

static struct slot *find(struct toolrun *t, pid_t pid)
{
	for (unsigned i = 0; i < t->hi; i++)
		if (t->s[i].pidfd >= 0 && t->s[i].pid == pid)
			return &t->s[i];
	return NULL;
}

static struct slot *take(struct toolrun *t)
{
	for (unsigned i = 0; i < AKIOS_MAX_TOOL_RUNS; i++) {
		if (t->s[i].pidfd >= 0)
			continue;
		if (i >= t->hi)
			t->hi = i + 1;
		return &t->s[i];
	}
	return NULL;
}

int toolrun_start(struct toolrun *t, int nfd, uint64_t id, pid_t tid,
		  const char *tool)
{
	pid_t pid;
	int fd = open_process(nfd, id, tid, &pid);
	struct slot *s;
	struct image pre;

	if (fd < 0)
		return fd;
	if (read_image(pid, &pre) != 0)
		memset(&pre, 0, sizeof(pre));
	s = find(t, pid);
	/* The slot's pidfd may be of an exited process whose pid came
	 * back; its exit is then still queued in our epoll set. */
	if (s && syscall(SYS_pidfd_send_signal, s->pidfd, 0, NULL, 0) != 0) {
		release(t, s);
		s = NULL;
	}
	if (s) {
		close(fd);
		/* Already a tool (its exec took effect): the run goes on
		 * under its first deadline. Else that exec failed: the
		 * process is still what it was and this is its first run. */
		if (s->is_tool || image_changed(pid, &s->pre))
			s->is_tool = true;
		else
			s->deadline = now_ns() + t->limit * 1000000000ull;
		s->pre = pre;
		snprintf(s->tool, sizeof(s->tool), "%s", tool);
		rearm(t);
		return 0;
	}
	s = take(t);
	int rc = s ? ep_add(t->ep, fd, (uint32_t)(s - t->s)) : -EAGAIN;

	if (rc != 0) {
		close(fd);
		return rc;
	}
	*s = (struct slot){.pidfd = fd,
			   .pid = pid,
			   .deadline = now_ns() + t->limit * 1000000000ull,
			   .pre = pre};
	snprintf(s->tool, sizeof(s->tool), "%s", tool);
	t->live++;
	rearm(t);
	return 0;
}

/* SIGKILL, not SIGTERM first: the deadline is the policy's, and a grace
 * period would be time a hostile tool could use or ignore. */
static void expire(struct toolrun *t, struct slot *s)
{
	struct toolrun_expiry e = {
	    .pid = s->pid, .tool = s->tool, .limit_sec = t->limit};

	if (!s->is_tool && !image_changed(s->pid, &s->pre)) {
		release(t, s); /* its exec failed: not a tool run */
		return;
	}
	if (syscall(SYS_pidfd_send_signal, s->pidfd, SIGKILL, NULL, 0) != 0)
		e.error = errno;
	if (e.error != ESRCH && t->fn)
		t->fn(t->ctx, &e);
	release(t, s);
}

static void on_timer(struct toolrun *t)
{
	uint64_t ticks, now = now_ns();

	(void)!read(t->tfd, &ticks, sizeof(ticks));
	for (unsigned i = 0; i < t->hi; i++)
		if (t->s[i].pidfd >= 0 && t->s[i].deadline <= now)
			expire(t, &t->s[i]);
	rearm(t);
}

int toolrun_handle_ready(struct toolrun *t)
{
	struct epoll_event ev[32];
	int n = epoll_wait(t->ep, ev, (int)AKIOS_ARRAY_SIZE(ev), 0);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		uint32_t tag = ev[i].data.u32;

		if (tag == TIMER_TAG)
			on_timer(t);
		else if (tag < t->hi && t->s[tag].pidfd >= 0)
			release(t, &t->s[tag]); /* the tool exited */
	}
	if (n > 0)
		rearm(t);
	return 0;
}
