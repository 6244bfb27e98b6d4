/* The cgroup v2 back-end where it can be tested without a v2 host with
 * real controllers (these machines bind memory/pids/cpu to v1): parsing
 * /proc/self/mounts and /proc/self/cgroup text of v2-only and hybrid
 * hosts, the delegation check on a fake cgroup tree (run as nobody, so
 * permissions count), the limit files written, and the run report's
 * counters read back from fake v2 files. */
#include "shared/common.h"
#include "supervisor/cage/cgroup.h"
#include "supervisor/cage/cgroup_int.h"
#include "tests/lib/testlib.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>

static const char hybrid_mounts[] =
    "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0\n"
    "tmpfs /sys/fs/cgroup tmpfs ro,nosuid,nodev,noexec,mode=755 0 0\n"
    "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,nosuid,nodev,noexec 0 0\n"
    "cgroup /sys/fs/cgroup/cpuset cgroup rw,nosuid,cpuset 0 0\n"
    "cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,cpu,cpuacct 0 0\n"
    "cgroup /sys/fs/cgroup/memory cgroup rw,nosuid,nodev,memory 0 0\n"
    "cgroup /sys/fs/cgroup/pids cgroup rw,nosuid,nodev,pids 0 0\n";

static const char v2_mounts[] =
    "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n"
    "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,"
    "nsdelegate,memory_recursiveprot 0 0";

Test(cage_cgroup, mounts_of_a_hybrid_host)
{
	char out[256];

	cr_assert(cg_parse_mounts(hybrid_mounts, NULL, out, sizeof(out)));
	cr_assert_str_eq(out, "/sys/fs/cgroup/unified");
	cr_assert(cg_parse_mounts(hybrid_mounts, "cpu", out, sizeof(out)));
	cr_assert_str_eq(out, "/sys/fs/cgroup/cpu,cpuacct");
	cr_assert(cg_parse_mounts(hybrid_mounts, "memory", out, sizeof(out)));
	cr_assert_str_eq(out, "/sys/fs/cgroup/memory");
	cr_assert_not(
	    cg_parse_mounts(hybrid_mounts, "freezer", out, sizeof(out)));
	/* Too small for the path: not found rather than cut. */
	cr_assert_not(cg_parse_mounts(hybrid_mounts, "pids", out, 8));
}

Test(cage_cgroup, mounts_of_a_v2_only_host)
{
	char out[256];

	cr_assert(cg_parse_mounts(v2_mounts, NULL, out, sizeof(out)));
	cr_assert_str_eq(out, "/sys/fs/cgroup");
	cr_assert_not(cg_parse_mounts(v2_mounts, "memory", out, sizeof(out)));
	cr_assert_not(cg_parse_mounts("", NULL, out, sizeof(out)));
	cr_assert_not(cg_parse_mounts("garbage\n\n", NULL, out, sizeof(out)));
}

Test(cage_cgroup, own_cgroup_paths)
{
	static const char v2[] = "0::/user.slice/user-1000.slice/"
				 "user@1000.service/app.slice/t.scope\n";
	static const char hyb[] = "12:cpuset:/\n"
				  "4:cpu,cpuacct:/user.slice\n"
				  "3:pids:/user.slice/user-0.slice/s.scope\n"
				  "1:name=systemd:/user.slice/x.scope\n"
				  "0::/user.slice/user-0.slice/s.scope\n";
	char out[256];

	cr_assert(cg_parse_own(v2, NULL, out, sizeof(out)));
	cr_assert_str_eq(out, "/user.slice/user-1000.slice/user@1000.service/"
			      "app.slice/t.scope");
	cr_assert_not(cg_parse_own(v2, "memory", out, sizeof(out)));
	cr_assert(cg_parse_own(hyb, NULL, out, sizeof(out)));
	cr_assert_str_eq(out, "/user.slice/user-0.slice/s.scope");
	cr_assert(cg_parse_own(hyb, "cpu", out, sizeof(out)));
	cr_assert_str_eq(out, "/user.slice");
	cr_assert(cg_parse_own(hyb, "pids", out, sizeof(out)));
	cr_assert_str_eq(out, "/user.slice/user-0.slice/s.scope");
	/* "systemd" is a named hierarchy, not a controller of v2. */
	cr_assert_not(cg_parse_own("1:name=systemd:/a\n", NULL, out, 64));
	cr_assert_not(cg_parse_own("no colon here\n", NULL, out, 64));
}

Test(cage_cgroup, required_controllers)
{
	struct cage_limits l = {.memory_bytes = 1, .cpu_percent = 50};

	cr_assert_eq(cg_required(&l), (1u << CG_MEMORY) | (1u << CG_CPU));
	l = (struct cage_limits){.pids = 4};
	cr_assert_eq(cg_required(&l), 1u << CG_PIDS);
	l = (struct cage_limits){0};
	cr_assert_eq(cg_required(&l), 0);
}

/* A fake cgroup2 tree like a systemd host's: the root and user.slice
 * belong to root; user@1000.service is delegated to the user (nobody
 * here) with memory, pids and cpu in its subtree_control; app.slice
 * enables memory and pids only; the process sits in t.scope. */
static char *tree;

static void mk(const char *rel, const char *ctl, bool delegated)
{
	char path[600];
	char f[700];

	snprintf(path, sizeof(path), "%s%s", tree, rel);
	cr_assert_eq(mkdir(path, 0755), 0, "%s", path);
	snprintf(f, sizeof(f), "%s/cgroup.subtree_control", path);
	cr_assert_eq(test_write_file(f, ctl), 0);
	snprintf(f, sizeof(f), "%s/cgroup.procs", path);
	cr_assert_eq(test_write_file(f, ""), 0);
	if (delegated) {
		cr_assert_eq(chown(path, 65534, 65534), 0);
		cr_assert_eq(chown(f, 65534, 65534), 0);
	}
}

static void become_nobody(void)
{
	cr_assert_eq(setgroups(0, NULL), 0);
	cr_assert_eq(setresgid(65534, 65534, 65534), 0);
	cr_assert_eq(setresuid(65534, 65534, 65534), 0);
}

static void make_tree(void)
{
	tree = test_tmpdir("akios-cgv2");
	cr_assert_not_null(tree);
	cr_assert_eq(chmod(tree, 0755), 0);
	mk("/r", "cpuset cpu io memory pids\n", false);
	mk("/r/user.slice", "cpu memory pids\n", false);
	mk("/r/user.slice/u@1000.service", "cpu memory pids\n", true);
	mk("/r/user.slice/u@1000.service/app.slice", "memory pids\n", true);
	mk("/r/user.slice/u@1000.service/app.slice/t.scope", "", true);
}

static void drop_tree(void)
{
	test_rmtree(tree);
	free(tree);
}

static const char own[] = "/user.slice/u@1000.service/app.slice/t.scope";

TestSuite(cage_cgroup_v2, .init = make_tree, .fini = drop_tree);

Test(cage_cgroup_v2, deepest_delegated_ancestor_with_the_controllers)
{
	char mnt[600];
	char out[700];
	char want[700];
	struct cage_limits all = {
	    .memory_bytes = 1, .pids = 1, .cpu_percent = 1};
	struct cage_limits mp = {.memory_bytes = 1, .pids = 1};

	snprintf(mnt, sizeof(mnt), "%s/r", tree);
	become_nobody();
	/* cpu is enabled no deeper than u@1000.service. */
	cr_assert(cg_v2_base_at(mnt, own, cg_required(&all), out, sizeof(out)));
	snprintf(want, sizeof(want), "%s/user.slice/u@1000.service", mnt);
	cr_assert_str_eq(out, want);
	/* memory and pids alone: app.slice, the deepest that has them. */
	cr_assert(cg_v2_base_at(mnt, own, cg_required(&mp), out, sizeof(out)));
	snprintf(want, sizeof(want), "%s/user.slice/u@1000.service/app.slice",
		 mnt);
	cr_assert_str_eq(out, want);
	/* From user.slice up nothing is delegated to this user. */
	cr_assert_not(cg_v2_base_at(mnt, "/user.slice", cg_required(&mp), out,
				    sizeof(out)));
}

/* A writable directory whose cgroup.procs is not ours cannot receive the
 * cage (the kernel checks the common ancestor's cgroup.procs): skipped. */
Test(cage_cgroup_v2, procs_not_writable_is_not_delegated)
{
	char mnt[600];
	char f[700];
	char out[700];
	char want[700];
	struct cage_limits mp = {.memory_bytes = 1, .pids = 1};

	snprintf(mnt, sizeof(mnt), "%s/r", tree);
	snprintf(f, sizeof(f),
		 "%s/user.slice/u@1000.service/app.slice/"
		 "cgroup.procs",
		 mnt);
	cr_assert_eq(chown(f, 0, 0), 0);
	become_nobody();
	cr_assert(cg_v2_base_at(mnt, own, cg_required(&mp), out, sizeof(out)));
	snprintf(want, sizeof(want), "%s/user.slice/u@1000.service", mnt);
	cr_assert_str_eq(out, want);
}

Test(cage_cgroup_v2, nothing_delegated_means_no_v2)
{
	char mnt[600];
	char out[700];
	char f[700];
	struct cage_limits none = {0};

	snprintf(mnt, sizeof(mnt), "%s/r", tree);
	snprintf(f, sizeof(f), "%s/user.slice/u@1000.service", mnt);
	cr_assert_eq(chown(f, 0, 0), 0);
	snprintf(f, sizeof(f), "%s/user.slice/u@1000.service/app.slice", mnt);
	cr_assert_eq(chown(f, 0, 0), 0);
	snprintf(f, sizeof(f), "%s/user.slice/u@1000.service/app.slice/t.scope",
		 mnt);
	cr_assert_eq(chown(f, 0, 0), 0);
	become_nobody();
	/* Even with no controller needed, a cgroup must be creatable. */
	cr_assert_not(
	    cg_v2_base_at(mnt, own, cg_required(&none), out, sizeof(out)));
}

static int dirfd_with(const char *const *files, size_t n)
{
	char path[700];
	int fd;

	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", tree, files[i]);
		cr_assert_eq(test_write_file(path, ""), 0);
	}
	fd = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	return fd;
}

static void assert_file(const char *name, const char *want)
{
	char buf[128];
	int fd = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	cr_assert_geq(cg_read(fd, name, buf, sizeof(buf)), 0, "%s", name);
	close(fd);
	cr_assert_str_eq(buf, want, "%s", name);
}

Test(cage_cgroup_v2, limit_files_written)
{
	static const char *const files[] = {"memory.max", "memory.swap.max",
					    "pids.max", "cpu.max"};
	struct cage_limits l = {
	    .memory_bytes = 64ull << 20, .pids = 24, .cpu_percent = 150};
	int fd = dirfd_with(files, AKIOS_ARRAY_SIZE(files));

	cr_assert_eq(cg_limits_v2(fd, &l), 0);
	close(fd);
	assert_file("memory.max", "67108864");
	assert_file("memory.swap.max", "0");
	assert_file("pids.max", "24");
	assert_file("cpu.max", "150000 100000");
}

/* A controller missing from the cgroup is an error, never a skipped
 * limit; only swap (absent without swap accounting) may be missing. */
Test(cage_cgroup_v2, missing_controller_file_fails)
{
	static const char *const files[] = {"memory.max", "cpu.max"};
	struct cage_limits mem = {.memory_bytes = 1 << 20};
	struct cage_limits pids = {.pids = 5};
	int fd = dirfd_with(files, AKIOS_ARRAY_SIZE(files));

	cr_assert_eq(cg_limits_v2(fd, &mem), 0);
	cr_assert_eq(cg_limits_v2(fd, &pids), -ENOENT);
	close(fd);
}

static void write_in_tree(const char *name, const char *data)
{
	char path[700];

	snprintf(path, sizeof(path), "%s/%s", tree, name);
	cr_assert_eq(test_write_file(path, data), 0);
}

/* The run report's counters come from the v2 files as they are. */
Test(cage_cgroup_v2, stats_read_back)
{
	struct cage_cgroup cg = {.backend = CAGE_CGROUP_V2};
	struct cage_cgroup_stats st;

	for (int c = 0; c < CG_N; c++)
		cg.v1[c].fd = -1;
	write_in_tree("memory.peak", "1234567\n");
	write_in_tree("memory.events",
		      "low 0\nhigh 0\nmax 9\noom 2\noom_kill 1\n");
	write_in_tree("pids.events", "max 3\n");
	write_in_tree("cpu.stat", "usage_usec 4242\nuser_usec 4000\n");
	cg.v2.fd = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(cg.v2.fd, 0);
	cr_assert_eq(cage_cgroup_stats(&cg, &st), 0);
	cr_assert_eq(st.memory_peak, 1234567);
	cr_assert(st.oom_killed);
	cr_assert(st.pids_max_hit);
	cr_assert_eq(st.cpu_usec, 4242);
	write_in_tree("memory.events", "low 0\nmax 9\noom 0\noom_kill 0\n");
	write_in_tree("pids.events", "max 0\n");
	cr_assert_eq(cage_cgroup_stats(&cg, &st), 0);
	cr_assert_not(st.oom_killed);
	cr_assert_not(st.pids_max_hit);
	close(cg.v2.fd);
}

/* When one directory cannot offer every controller, detection reports
 * what one can (the rest falls back to rlimits): here cpu is enabled only
 * at the root, which the user does not own. */
Test(cage_cgroup_v2, partial_delegation_reports_what_one_base_has)
{
	char mnt[600];
	char f[700];
	struct cage_limits all = {
	    .memory_bytes = 1, .pids = 1, .cpu_percent = 1};

	snprintf(mnt, sizeof(mnt), "%s/r", tree);
	snprintf(f, sizeof(f),
		 "%s/user.slice/u@1000.service/cgroup.subtree_control", mnt);
	cr_assert_eq(test_write_file(f, "memory pids\n"), 0);
	become_nobody();
	cr_assert_eq(cg_v2_have_at(mnt, own, cg_required(&all)),
		     (1 << CG_MEMORY) | (1 << CG_PIDS));
	cr_assert_eq(cg_v2_have_at(mnt, own, 1u << CG_CPU), 0);
	cr_assert_eq(cg_v2_have_at(mnt, "/user.slice", cg_required(&all)), -1);
}
