/* cgroup back-end detection and per-run cgroup creation. Invariant: a
 * limit is either written to a controller file of the run's own cgroup or
 * the creation fails naming what is missing; a NONE handle is only ever
 * returned when no limit was asked for. */
#include "shared/common.h"
#include "shared/buf.h"
#include "shared/fileio.h"
#include "supervisor/cage/cgroup_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <sys/stat.h>

const char *const cg_ctrl_names[CG_N] = {"memory", "pids", "cpu", "freezer",
					 "cpuacct"};

const char *cage_cgroup_backend_name(enum cage_cgroup_backend b)
{
	switch (b) {
	case CAGE_CGROUP_V2:
		return "v2";
	case CAGE_CGROUP_V1:
		return "v1";
	default:
		return "none";
	}
}

static bool has_word(const char *list, const char *word, char sep)
{
	size_t n = strlen(word);

	for (const char *p = list; *p;) {
		const char *e = strchr(p, sep);
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && memcmp(p, word, n) == 0)
			return true;
		if (!e)
			break;
		p = e + 1;
	}
	return false;
}

/* Reads a whole /proc file (their stat size is 0, so read to EOF) into
 * b, bounded by AKIOS_MAX_PROC_FILE: a host with thousands of mounts
 * must not make detection miss a hierarchy. */
static int read_proc(const char *path, struct akios_buf *b)
{
	akios_buf_init(b, AKIOS_MAX_PROC_FILE);
	if (fileio_read_all(path, b, NULL) != 0 || !b->ptr) {
		akios_buf_free(b);
		return -EIO;
	}
	return 0;
}

/* Splits line in place at spaces into at most n fields; returns how many. */
static int split_fields(char *line, char **f, int n)
{
	int i = 0;

	while (i < n && *line) {
		f[i++] = line;
		line = strchr(line, ' ');
		if (!line)
			break;
		*line++ = '\0';
	}
	return i;
}

/* Copies the line at *pos into line (cut to size) and moves past it;
 * false at the end of text. */
static bool next_line(const char **pos, char *line, size_t size)
{
	const char *p = *pos;
	size_t n = strcspn(p, "\n");

	if (!*p)
		return false;
	*pos = p + n + (p[n] == '\n');
	if (n >= size)
		n = size - 1; /* a cut line cannot match a short field */
	memcpy(line, p, n);
	line[n] = '\0';
	return true;
}

bool cg_parse_mounts(const char *text, const char *ctrl, char *out, size_t size)
{
	char line[AKIOS_MAX_PATH_BYTES * 2];

	while (next_line(&text, line, sizeof(line))) {
		char *f[4];

		if (split_fields(line, f, 4) < 4)
			continue;
		if (ctrl ? (strcmp(f[2], "cgroup") == 0 &&
			    has_word(f[3], ctrl, ','))
			 : strcmp(f[2], "cgroup2") == 0)
			return (size_t)snprintf(out, size, "%s", f[1]) < size;
	}
	return false;
}

bool cg_parse_own(const char *text, const char *ctrl, char *out, size_t size)
{
	char line[AKIOS_MAX_PATH_BYTES * 2];

	while (next_line(&text, line, sizeof(line))) {
		char *c = strchr(line, ':');
		char *p = c ? strchr(c + 1, ':') : NULL;

		if (!p)
			continue;
		*p = '\0';
		/* v2 is "0::/path"; v1 lines name their controllers. */
		if (ctrl ? has_word(c + 1, ctrl, ',')
			 : c[1] == '\0' && strncmp(line, "0:", 2) == 0)
			return (size_t)snprintf(out, size, "%s", p + 1) < size;
	}
	return false;
}

/* Mount point of the v1 hierarchy holding ctrl, or of cgroup2 when ctrl
 * is NULL, from /proc/self/mounts. */
static bool find_mount(const char *ctrl, char *out, size_t size)
{
	struct akios_buf b;
	bool found;

	if (read_proc("/proc/self/mounts", &b) < 0)
		return false;
	found = cg_parse_mounts(b.ptr, ctrl, out, size);
	akios_buf_free(&b);
	return found;
}

/* This process's cgroup path in the hierarchy of ctrl (NULL: v2), from
 * /proc/self/cgroup. */
static bool own_path(const char *ctrl, char *out, size_t size)
{
	struct akios_buf b;
	bool found;

	if (read_proc("/proc/self/cgroup", &b) < 0)
		return false;
	found = cg_parse_own(b.ptr, ctrl, out, size);
	akios_buf_free(&b);
	return found;
}

/* v1: the directory below which this user would create the run's cgroup
 * for ctrl: <mount><own path>, when it exists and is writable. */
static bool v1_base(enum cg_ctrl c, char *out, size_t size)
{
	char mnt[512], own[1024];

	if (!find_mount(cg_ctrl_names[c], mnt, sizeof(mnt)) ||
	    !own_path(cg_ctrl_names[c], own, sizeof(own)))
		return false;
	if ((size_t)snprintf(out, size, "%s%s", mnt,
			     strcmp(own, "/") == 0 ? "" : own) >= size)
		return false;
	return access(out, W_OK | X_OK) == 0;
}

unsigned cg_required(const struct cage_limits *l)
{
	return (l->memory_bytes ? 1u << CG_MEMORY : 0) |
	       (l->pids ? 1u << CG_PIDS : 0) |
	       (l->cpu_percent ? 1u << CG_CPU : 0);
}

/* A directory the run's cgroup can go below: we may create it there
 * (write on the directory), move the cage into it (write on its
 * cgroup.procs: the kernel checks the common ancestor of the source and
 * the destination, which is this directory since it is one of our own
 * cgroup's ancestors), and its subtree_control enables every needed
 * controller (else the limit files would not exist in the new cgroup). */
static bool v2_dir_ok(const char *dir, unsigned need)
{
	char ctl[256];
	int fd;
	bool ok;

	if (access(dir, W_OK | X_OK) != 0)
		return false;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ok = faccessat(fd, "cgroup.procs", W_OK, 0) == 0;
	if (cg_read(fd, "cgroup.subtree_control", ctl, sizeof(ctl)) < 0)
		ctl[0] = '\0';
	close(fd);
	ctl[strcspn(ctl, "\n")] = '\0';
	for (int c = 0; c < CG_FREEZER; c++)
		if ((need & (1u << c)) && !has_word(ctl, cg_ctrl_names[c], ' '))
			ok = false;
	return ok;
}

bool cg_v2_base_at(const char *mnt, const char *own, unsigned need, char *out,
		   size_t size)
{
	size_t mlen = strlen(mnt);

	if ((size_t)snprintf(out, size, "%s%s", mnt,
			     strcmp(own, "/") == 0 ? "" : own) >= size)
		return false;
	for (;;) {
		char *slash;

		if (v2_dir_ok(out, need))
			return true;
		slash = strrchr(out, '/');
		if (!slash || (size_t)(slash - out) < mlen)
			return false;
		*slash = '\0';
	}
}

/* v2: the deepest ancestor of our own cgroup (itself included) that
 * passes v2_dir_ok. */
static bool v2_base(unsigned need, char *out, size_t size)
{
	char mnt[512], own[1024];

	if (!find_mount(NULL, mnt, sizeof(mnt)) ||
	    !own_path(NULL, own, sizeof(own)))
		return false;
	return cg_v2_base_at(mnt, own, need, out, size);
}

int cg_v2_have_at(const char *mnt, const char *own, unsigned need)
{
	char out[AKIOS_MAX_PATH_BYTES];
	unsigned have = 0;

	if (!cg_v2_base_at(mnt, own, 0, out, sizeof(out)))
		return -1;
	for (int c = 0; c < CG_FREEZER; c++)
		if ((need & (1u << c)) &&
		    cg_v2_base_at(mnt, own, have | (1u << c), out, sizeof(out)))
			have |= 1u << c;
	return (int)have;
}

static int v2_have(unsigned need)
{
	char mnt[512], own[1024];

	if (!find_mount(NULL, mnt, sizeof(mnt)) ||
	    !own_path(NULL, own, sizeof(own)))
		return -1;
	return cg_v2_have_at(mnt, own, need);
}

static void list_missing(unsigned bits, char *missing, size_t size)
{
	size_t off = 0;

	for (int c = 0; missing && c < CG_FREEZER; c++) {
		int n;

		if (!(bits & (1u << c)))
			continue;
		n = snprintf(missing + off, size - off, "%s%s", off ? " " : "",
			     cg_ctrl_names[c]);
		if (n < 0 || (size_t)n >= size - off)
			break;
		off += (size_t)n;
	}
}

/* When no back-end has every needed controller, the one that has more of
 * them is reported with the rest as missing (the plan falls back to
 * rlimits for those, or refuses a required one), so a v2 host without
 * cpu delegation still gets memory and pids from its cgroup. */
enum cage_cgroup_backend cage_cgroup_detect(const struct cage_limits *l,
					    char *missing, size_t size)
{
	char path[AKIOS_MAX_PATH_BYTES];
	unsigned need = cg_required(l);
	unsigned v1 = 0;
	int v2;

	if (missing && size)
		missing[0] = '\0';
	if (v2_base(need, path, sizeof(path)))
		return CAGE_CGROUP_V2;
	for (int c = 0; c < CG_FREEZER; c++)
		if (v1_base((enum cg_ctrl)c, path, sizeof(path)))
			v1 |= 1u << c;
	if ((need & v1) == need && v1 != 0)
		return CAGE_CGROUP_V1;
	v2 = v2_have(need);
	if (v2 > 0 && __builtin_popcount(need & (unsigned)v2) >=
			  __builtin_popcount(need & v1)) {
		list_missing(need & ~(unsigned)v2, missing, size);
		return CAGE_CGROUP_V2;
	}
	list_missing(need & ~v1, missing, size);
	return (need & v1) ? CAGE_CGROUP_V1 : CAGE_CGROUP_NONE;
}

void cage_cgroup_hierarchies(char *v2, size_t v2_size, bool *v2_mounted,
			     char *v1, size_t v1_size)
{
	char mnt[512], path[AKIOS_MAX_PATH_BYTES];
	size_t off = 0;
	int fd;

	v2[0] = '\0';
	v1[0] = '\0';
	*v2_mounted = find_mount(NULL, mnt, sizeof(mnt));
	fd = *v2_mounted ? open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (fd >= 0) {
		if (cg_read(fd, "cgroup.controllers", v2, v2_size) < 0)
			v2[0] = '\0';
		v2[strcspn(v2, "\n")] = '\0';
		close(fd);
	}
	for (int c = 0; c < CG_N; c++) {
		int n;
		if (!v1_base((enum cg_ctrl)c, path, sizeof(path)))
			continue;
		n = snprintf(v1 + off, v1_size - off, "%s%s", off ? " " : "",
			     cg_ctrl_names[c]);
		if (n < 0 || (size_t)n >= v1_size - off)
			break;
		off += (size_t)n;
	}
}

static bool valid_run_id(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > 64 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '_' ||
			  c == '-';
		if (!ok)
			return false;
	}
	return true;
}

/* mkdir base/akios-<id> and open it. 0 or -errno. */
static int make_dir(struct cg_dir *d, const char *base, const char *id)
{
	if ((size_t)snprintf(d->path, sizeof(d->path), "%s/akios-%s", base,
			     id) >= sizeof(d->path))
		return -ENAMETOOLONG;
	if (mkdir(d->path, 0755) != 0)
		return -errno;
	d->fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->fd < 0) {
		int rc = -errno;
		rmdir(d->path);
		d->path[0] = '\0';
		return rc;
	}
	return 0;
}

static int write_u64(int fd, const char *file, uint64_t v)
{
	char s[32];

	snprintf(s, sizeof(s), "%" PRIu64, v);
	return cg_write(fd, file, s);
}

/* memory.swap.max / memory.memsw are absent without swap accounting:
 * then there is no swap to escape to, so skipping is not a weakening. */
int cg_limits_v2(int fd, const struct cage_limits *l)
{
	char cpu[48];
	int rc = 0;

	if (l->memory_bytes) {
		rc = write_u64(fd, "memory.max", l->memory_bytes);
		if (rc == 0 && faccessat(fd, "memory.swap.max", W_OK, 0) == 0)
			rc = cg_write(fd, "memory.swap.max", "0");
	}
	if (rc == 0 && l->pids)
		rc = write_u64(fd, "pids.max", l->pids);
	if (rc == 0 && l->cpu_percent) {
		snprintf(cpu, sizeof(cpu), "%u 100000", l->cpu_percent * 1000u);
		rc = cg_write(fd, "cpu.max", cpu);
	}
	return rc;
}

static int limits_v1(struct cage_cgroup *cg, const struct cage_limits *l)
{
	int rc = 0;
	int fd;

	if (l->memory_bytes) {
		fd = cg->v1[CG_MEMORY].fd;
		rc = write_u64(fd, "memory.limit_in_bytes", l->memory_bytes);
		if (rc == 0 &&
		    faccessat(fd, "memory.memsw.limit_in_bytes", W_OK, 0) == 0)
			rc = write_u64(fd, "memory.memsw.limit_in_bytes",
				       l->memory_bytes);
	}
	if (rc == 0 && l->pids)
		rc = write_u64(cg->v1[CG_PIDS].fd, "pids.max", l->pids);
	if (rc == 0 && l->cpu_percent) {
		fd = cg->v1[CG_CPU].fd;
		rc = cg_write(fd, "cpu.cfs_period_us", "100000");
		if (rc == 0)
			rc = write_u64(fd, "cpu.cfs_quota_us",
				       (uint64_t)l->cpu_percent * 1000u);
	}
	return rc;
}

static int create_v2(struct cage_cgroup *cg, const struct cage_limits *l,
		     const char *id)
{
	char base[AKIOS_MAX_PATH_BYTES];
	int rc;

	if (!v2_base(cg_required(l), base, sizeof(base)))
		return -EOPNOTSUPP;
	rc = make_dir(&cg->v2, base, id);
	if (rc == 0)
		rc = cg_limits_v2(cg->v2.fd, l);
	return rc;
}

/* Every v1 hierarchy we can write joins the run: required ones for the
 * limits, freezer for a race-free kill, cpuacct for the CPU figure, and
 * any one of them to list the run's tasks. */
static int create_v1(struct cage_cgroup *cg, const struct cage_limits *l,
		     const char *id)
{
	char base[AKIOS_MAX_PATH_BYTES];
	unsigned need = cg_required(l);
	bool any = false;
	int rc;

	for (int c = 0; c < CG_N; c++) {
		if (!v1_base((enum cg_ctrl)c, base, sizeof(base))) {
			if (need & (1u << c))
				return -EOPNOTSUPP;
			continue;
		}
		rc = make_dir(&cg->v1[c], base, id);
		if (rc < 0)
			return rc;
		any = true;
	}
	if (!any)
		return -EOPNOTSUPP;
	return limits_v1(cg, l);
}

static struct cage_cgroup *cg_alloc(void)
{
	struct cage_cgroup *cg = calloc(1, sizeof(*cg));

	if (!cg)
		return NULL;
	cg->v2.fd = -1;
	for (int c = 0; c < CG_N; c++)
		cg->v1[c].fd = -1;
	return cg;
}

int cage_cgroup_create(const struct cage_limits *l, const char *run_id,
		       struct cage_cgroup **out, struct akios_err *err)
{
	char missing[64];
	struct cage_cgroup *cg = NULL;
	int rc;

	*out = NULL;
	if (!valid_run_id(run_id))
		return akios_err_set(err, NULL, 0, 0,
				     "cgroup: bad run id \"%s\"", run_id);
	cg = cg_alloc();
	if (!cg)
		return -ENOMEM;
	cg->backend = cage_cgroup_detect(l, missing, sizeof(missing));
	if (missing[0]) {
		akios_err_set(err, NULL, 0, 0,
			      "cgroup: no cgroup back-end this user can write "
			      "has the %s controller(s)",
			      missing);
		rc = -EOPNOTSUPP;
		goto fail;
	}
	rc = 0;
	if (cg->backend == CAGE_CGROUP_V2)
		rc = create_v2(cg, l, run_id);
	else if (cg->backend == CAGE_CGROUP_V1)
		rc = create_v1(cg, l, run_id);
	if (rc < 0) {
		akios_err_set(err, NULL, 0, 0, "cgroup %s: creating %s: %s",
			      cage_cgroup_backend_name(cg->backend), run_id,
			      strerror(-rc));
		goto fail;
	}
	*out = cg;
	return 0;
fail:
	cage_cgroup_destroy(cg);
	return rc;
}
