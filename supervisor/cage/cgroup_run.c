/* The life of a run's cgroup after creation: attach, counters for the run
 * report, kill and removal. Invariant: destroy leaves no task and no
 * directory behind when the kernel lets it; kill returns 0 only when the
 * cgroup was seen empty. */
#include "shared/common.h"
#include "supervisor/cage/cgroup_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <time.h>

int cg_read(int dirfd, const char *file, char *buf, size_t size)
{
	int fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return (int)len;
}

int cg_write(int dirfd, const char *file, const char *s)
{
	int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t n = strlen(s);
	ssize_t w;

	if (fd < 0)
		return -errno;
	/* Control files take one write; a short write is an error. */
	w = write(fd, s, n);
	if (w < 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	close(fd);
	return (size_t)w == n ? 0 : -EIO;
}

static uint64_t parse_u64(const char *p)
{
	uint64_t v = 0;

	while (*p >= '0' && *p <= '9' && v < UINT64_MAX / 10)
		v = v * 10 + (uint64_t)(*p++ - '0');
	return v;
}

uint64_t cg_keyed(int dirfd, const char *file, const char *key)
{
	char buf[4096];
	size_t klen = strlen(key);

	if (dirfd < 0 || cg_read(dirfd, file, buf, sizeof(buf)) < 0)
		return 0;
	for (const char *l = buf; *l;) {
		const char *nl = strchr(l, '\n');
		if (strncmp(l, key, klen) == 0 && l[klen] == ' ')
			return parse_u64(l + klen + 1);
		if (!nl)
			break;
		l = nl + 1;
	}
	return 0;
}

const struct cg_dir *cg_tracker(const struct cage_cgroup *cg)
{
	if (cg->backend == CAGE_CGROUP_V2)
		return &cg->v2;
	for (int c = 0; c < CG_N; c++)
		if (cg->v1[c].fd >= 0)
			return &cg->v1[c];
	return NULL;
}

enum cage_cgroup_backend cage_cgroup_backend(const struct cage_cgroup *cg)
{
	return cg->backend;
}

int cage_cgroup_fd(const struct cage_cgroup *cg)
{
	return cg->backend == CAGE_CGROUP_V2 ? cg->v2.fd : -1;
}

int cage_cgroup_attach(struct cage_cgroup *cg, pid_t pid)
{
	char s[24];
	int rc;

	snprintf(s, sizeof(s), "%d", (int)pid);
	if (cg->backend == CAGE_CGROUP_V2)
		return cg_write(cg->v2.fd, "cgroup.procs", s);
	if (cg->backend == CAGE_CGROUP_NONE)
		return -EOPNOTSUPP;
	for (int c = 0; c < CG_N; c++) {
		if (cg->v1[c].fd < 0)
			continue;
		rc = cg_write(cg->v1[c].fd, "cgroup.procs", s);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int cage_cgroup_stats(const struct cage_cgroup *cg,
		      struct cage_cgroup_stats *out)
{
	char buf[64];
	int fd;

	memset(out, 0, sizeof(*out));
	if (cg->backend == CAGE_CGROUP_NONE)
		return -EOPNOTSUPP;
	if (cg->backend == CAGE_CGROUP_V2) {
		fd = cg->v2.fd;
		if (cg_read(fd, "memory.peak", buf, sizeof(buf)) > 0)
			out->memory_peak = parse_u64(buf);
		out->oom_killed = cg_keyed(fd, "memory.events", "oom_kill") > 0;
		out->pids_max_hit = cg_keyed(fd, "pids.events", "max") > 0;
		out->cpu_usec = cg_keyed(fd, "cpu.stat", "usage_usec");
		return 0;
	}
	fd = cg->v1[CG_MEMORY].fd;
	if (fd >= 0 &&
	    cg_read(fd, "memory.max_usage_in_bytes", buf, sizeof(buf)) > 0)
		out->memory_peak = parse_u64(buf);
	out->oom_killed = cg_keyed(fd, "memory.oom_control", "oom_kill") > 0;
	out->pids_max_hit =
	    cg_keyed(cg->v1[CG_PIDS].fd, "pids.events", "max") > 0;
	fd = cg->v1[CG_CPUACCT].fd;
	if (fd >= 0 && cg_read(fd, "cpuacct.usage", buf, sizeof(buf)) > 0)
		out->cpu_usec = parse_u64(buf) / 1000u;
	return 0;
}

int cage_cgroup_count(const struct cage_cgroup *cg)
{
	const struct cg_dir *t = cg_tracker(cg);
	char buf[65536];
	int n = 0;
	int len;

	if (!t)
		return -EOPNOTSUPP;
	len = cg_read(t->fd, "cgroup.procs", buf, sizeof(buf));
	if (len < 0)
		return len;
	for (int i = 0; i < len; i++)
		n += buf[i] == '\n';
	return n;
}

/* SIGKILLs every pid listed in the tracker's cgroup.procs. */
static int kill_listed(const struct cg_dir *t)
{
	char buf[65536];
	int n = 0;

	if (cg_read(t->fd, "cgroup.procs", buf, sizeof(buf)) < 0)
		return -errno;
	for (const char *p = buf; *p;) {
		uint64_t pid = parse_u64(p);
		if (pid > 0 && pid < INT32_MAX &&
		    kill((pid_t)pid, SIGKILL) == 0)
			n++;
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	return n;
}

static void pause_ms(long ms)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};

	nanosleep(&ts, NULL);
}

/* v1 (or v2 without cgroup.kill): freeze so nothing can fork between the
 * read of cgroup.procs and the kills, kill, thaw so the kills land. */
static int kill_loop(const struct cage_cgroup *cg)
{
	const struct cg_dir *t = cg_tracker(cg);
	int fz = cg->backend == CAGE_CGROUP_V1 ? cg->v1[CG_FREEZER].fd : -1;

	for (int i = 0; i < 200; i++) {
		if (cage_cgroup_count(cg) == 0)
			return 0;
		if (fz >= 0 && cg_write(fz, "freezer.state", "FROZEN") == 0)
			pause_ms(1);
		kill_listed(t);
		if (fz >= 0)
			(void)cg_write(fz, "freezer.state", "THAWED");
		pause_ms(10);
	}
	return -ETIMEDOUT;
}

int cage_cgroup_kill(struct cage_cgroup *cg)
{
	if (cg->backend == CAGE_CGROUP_NONE)
		return -EOPNOTSUPP;
	/* cgroup.kill (5.14+) kills the whole subtree atomically in the
	 * kernel, forks in flight included. */
	if (cg->backend == CAGE_CGROUP_V2 &&
	    cg_write(cg->v2.fd, "cgroup.kill", "1") == 0) {
		for (int i = 0; i < 200; i++) {
			if (cage_cgroup_count(cg) == 0)
				return 0;
			pause_ms(10);
		}
		return -ETIMEDOUT;
	}
	return kill_loop(cg);
}

static void close_dir(struct cg_dir *d)
{
	if (d->fd < 0)
		return;
	close(d->fd);
	d->fd = -1;
	/* rmdir fails with EBUSY while a task is still exiting: retry. */
	for (int i = 0; i < 100 && rmdir(d->path) != 0 && errno == EBUSY; i++)
		pause_ms(10);
}

void cage_cgroup_destroy(struct cage_cgroup *cg)
{
	if (!cg)
		return;
	/* Best effort: a task that survives keeps its directory busy and
	 * the rmdir below fails, which is all that is left to do. */
	if (cg->backend != CAGE_CGROUP_NONE && cg_tracker(cg) &&
	    cage_cgroup_kill(cg) < 0)
		cg->backend = CAGE_CGROUP_NONE;
	close_dir(&cg->v2);
	for (int c = 0; c < CG_N; c++)
		close_dir(&cg->v1[c]);
	free(cg);
}

int cage_cgroup_describe(const struct cage_limits *l, struct akios_buf *out,
			 bool json)
{
	char missing[64];
	enum cage_cgroup_backend b =
	    cage_cgroup_detect(l, missing, sizeof(missing));
	const char *name = cage_cgroup_backend_name(b);
	bool v1 = b == CAGE_CGROUP_V1;

	if (json)
		return akios_buf_appendf(
		    out,
		    "{\"backend\":\"%s\",\"memory_bytes\":%" PRIu64
		    ",\"pids\":%u,\"cpu_percent\":%u,\"missing\":\"%s\"}",
		    name, l->memory_bytes, l->pids, l->cpu_percent, missing);
	if (b == CAGE_CGROUP_NONE)
		return akios_buf_appendf(out, "cgroup: none (missing: %s)\n",
					 missing[0] ? missing : "-");
	return akios_buf_appendf(
	    out, "cgroup: %s; %s=%" PRIu64 " pids.max=%u %s=%u/100000\n", name,
	    v1 ? "memory.limit_in_bytes" : "memory.max", l->memory_bytes,
	    l->pids, v1 ? "cpu.cfs_quota_us" : "cpu.max",
	    l->cpu_percent * 1000u);
}
