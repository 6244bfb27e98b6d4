/* The cage plan is pure data built from a policy, a probe and the command
 * line: tested here without root and without running anything. Covers the
 * view order, masks, control files, refusals, degradations, rlimit
 * fallbacks, the scrubbed environment and the printed plan. */
#include "shared/common.h"
#include "shared/json.h"
#include "supervisor/cage/plan.h"
#include "tests/lib/testlib.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <criterion/criterion.h>
#include <sys/stat.h>

static char *dir;
static struct akios_policy *pol;
static struct cage_probe probe;
static struct cage_plan plan;

static void setup(void)
{
	char p[600];

	dir = test_tmpdir("akios-plan");
	cr_assert_not_null(dir);
	snprintf(p, sizeof(p), "%s/.ssh", dir);
	cr_assert_eq(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/.git", dir);
	cr_assert_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/.git/config", dir);
	cr_assert_eq(test_write_file(p, "[core]\n"), 0);
	memset(&probe, 0, sizeof(probe));
	probe.userns = true;
	probe.seccomp_filter = true;
	probe.landlock_abi = 6;
	probe.cgroup = CAGE_CGROUP_V2;
}

static void teardown(void)
{
	cage_plan_free(&plan);
	policy_free(pol);
	pol = NULL;
	test_rmtree(dir);
	free(dir);
}

/* Loads the YAML template with every "%s" replaced by the temp dir. */
static void load(const char *tmpl)
{
	char yaml[2048];
	size_t n = 0;
	struct policy_errors errs = {0};

	for (const char *t = tmpl; *t && n < sizeof(yaml) - 600;) {
		if (t[0] == '%' && t[1] == 's') {
			n += (size_t)snprintf(yaml + n, sizeof(yaml) - n, "%s",
					      dir);
			t += 2;
		} else {
			yaml[n++] = *t++;
		}
	}
	yaml[n] = '\0';
	cr_assert_eq(policy_load_buffer("t.yml", yaml, n, &pol, &errs), 0, "%s",
		     errs.n ? errs.e[0].msg : "");
}

static int build(unsigned degrade, char *const *env)
{
	char *argv[] = {"python3", "-V", NULL};
	char *noenv[] = {NULL};
	struct cage_plan_input in = {
	    .policy = pol,
	    .probe = &probe,
	    .argv = argv,
	    .host_env = env ? env : noenv,
	    .host_cwd = dir,
	    .home = dir,
	    .user_name = "alice",
	    .uid = 1000,
	    .gid = 1000,
	    .allow_degraded = degrade,
	};
	struct akios_err err = {0};

	return cage_plan_build(&in, &plan, &err);
}

static const struct cage_mount *find(const char *dst, enum cage_mnt kind)
{
	for (unsigned i = 0; i < plan.n_mounts; i++)
		if (!strcmp(plan.mounts[i].dst, dst) &&
		    plan.mounts[i].kind == kind)
			return &plan.mounts[i];
	return NULL;
}

static int index_of(const char *dst)
{
	for (unsigned i = 0; i < plan.n_mounts; i++)
		if (!strcmp(plan.mounts[i].dst, dst))
			return (int)i;
	return -1;
}

static const char rw_home[] = "version: 1\nname: t\nfilesystem:\n  allow:\n"
			      "    - path: \"%s\"\n      mode: rw\n";

TestSuite(cage_plan, .init = setup, .fini = teardown);

Test(cage_plan, view_has_system_and_workspace_in_order)
{
	const struct cage_mount *m;
	char p[600];

	load(rw_home);
	cr_assert_eq(build(0, NULL), 0);
	cr_assert(plan.allowed, "%s", plan.refusal);
	m = find("/usr", CAGE_MNT_BIND);
	cr_assert_not_null(m);
	cr_assert(m->flags & CAGE_MF_RO);
	m = find(dir, CAGE_MNT_BIND);
	cr_assert_not_null(m);
	cr_assert_not(m->flags & CAGE_MF_RO);
	cr_assert_not_null(find("/proc", CAGE_MNT_PROC));
	/* /tmp, /dev/shm, /dev: directories of the root tmpfs, each bound
	 * on itself writable and noexec (no tmpfs of their own). */
	m = find("/tmp", CAGE_MNT_ROOTDIR);
	cr_assert_not_null(m);
	cr_assert_eq(m->flags & (CAGE_MF_NOEXEC | CAGE_MF_RO | CAGE_MF_STICKY),
		     CAGE_MF_NOEXEC | CAGE_MF_STICKY);
	m = find("/dev/shm", CAGE_MNT_ROOTDIR);
	cr_assert_not_null(m);
	cr_assert_eq(m->flags & (CAGE_MF_NOEXEC | CAGE_MF_RO | CAGE_MF_STICKY),
		     CAGE_MF_NOEXEC | CAGE_MF_STICKY);
	m = find("/dev", CAGE_MNT_ROOTDIR);
	cr_assert_not_null(m);
	cr_assert_eq(m->flags & (CAGE_MF_NOEXEC | CAGE_MF_RO | CAGE_MF_STICKY),
		     CAGE_MF_NOEXEC);
	cr_assert_lt(index_of("/dev"), index_of("/dev/shm"));
	/* /tmp comes before the workspace under it; masks after both. */
	snprintf(p, sizeof(p), "%s/.ssh", dir);
	cr_assert_lt(index_of("/tmp"), index_of(dir));
	cr_assert_lt(index_of(dir), index_of(p));
	cr_assert_str_eq(plan.cwd, dir);
}

Test(cage_plan, secrets_masked_and_controls_frozen)
{
	const struct cage_mount *m;
	char p[600];

	load(rw_home);
	cr_assert_eq(build(0, NULL), 0);
	snprintf(p, sizeof(p), "%s/.ssh", dir);
	m = find(p, CAGE_MNT_MASK);
	cr_assert_not_null(m);
	cr_assert(m->flags & CAGE_MF_DIR);
	snprintf(p, sizeof(p), "%s/.git", dir);
	m = find(p, CAGE_MNT_REBIND);
	cr_assert_not_null(m); /* rename protection */
	cr_assert_not(m->flags & CAGE_MF_RO);
	snprintf(p, sizeof(p), "%s/.git/config", dir);
	m = find(p, CAGE_MNT_REBIND);
	cr_assert_not_null(m);
	cr_assert(m->flags & CAGE_MF_RO);
	cr_assert_not(m->flags & CAGE_MF_PLACEHOLDER);
	snprintf(p, sizeof(p), "%s/.git/hooks", dir);
	m = find(p, CAGE_MNT_REBIND);
	cr_assert_not_null(m);
	cr_assert(m->flags & CAGE_MF_PLACEHOLDER);
	cr_assert(m->flags & CAGE_MF_DIR);
	snprintf(p, sizeof(p), "%s/.vscode", dir);
	cr_assert_not_null(find(p, CAGE_MNT_REBIND));
	/* HOME is the workspace: rc files get placeholders too. */
	snprintf(p, sizeof(p), "%s/.bashrc", dir);
	cr_assert_not_null(find(p, CAGE_MNT_REBIND));
}

Test(cage_plan, allow_control_files_relaxes)
{
	char p[600];

	load("version: 1\nname: t\nfilesystem:\n  allow:\n"
	     "    - path: \"%s\"\n      mode: rw\n"
	     "      allow_control_files: true\n");
	cr_assert_eq(build(0, NULL), 0);
	snprintf(p, sizeof(p), "%s/.vscode", dir);
	cr_assert_null(find(p, CAGE_MNT_REBIND));
	snprintf(p, sizeof(p), "%s/.ssh", dir);
	cr_assert_not_null(find(p, CAGE_MNT_MASK)); /* secrets never */
}

Test(cage_plan, read_only_path_has_no_control_freeze)
{
	char p[600];

	load("version: 1\nname: t\nfilesystem:\n  allow:\n"
	     "    - path: \"%s\"\n      mode: r\n");
	cr_assert_eq(build(0, NULL), 0);
	cr_assert(find(dir, CAGE_MNT_BIND)->flags & CAGE_MF_RO);
	snprintf(p, sizeof(p), "%s/.envrc", dir);
	cr_assert_null(find(p, CAGE_MNT_REBIND));
}

Test(cage_plan, refuses_root_and_secret_paths)
{
	char yaml[600];
	struct policy_errors errs = {0};
	int n;

	load("version: 1\nname: t\nfilesystem:\n  allow:\n"
	     "    - path: \"%s/.ssh\"\n      mode: r\n"
	     "    - path: \"%s\"\n      mode: r\n");
	cr_assert_eq(build(0, NULL), 0);
	cr_assert_not(plan.allowed);
	cr_assert_not_null(strstr(plan.refusal, ".ssh"));
	cage_plan_free(&plan);
	policy_free(pol);
	n = snprintf(yaml, sizeof(yaml),
		     "version: 1\nname: t\nfilesystem:\n  allow:\n"
		     "    - path: \"/\"\n      mode: r\n");
	cr_assert_eq(policy_load_buffer("t.yml", yaml, (size_t)n, &pol, &errs),
		     0);
	cr_assert_eq(build(0, NULL), 0);
	cr_assert_not(plan.allowed);
	cr_assert_not_null(strstr(plan.refusal, "whole host"));
}

Test(cage_plan, cwd_outside_view_refused)
{
	load("version: 1\nname: t\nfilesystem:\n  allow:\n"
	     "    - path: \"/usr/share\"\n      mode: r\n");
	cr_assert_eq(build(0, NULL), 0);
	cr_assert_not(plan.allowed);
	cr_assert_not_null(strstr(plan.refusal, "working directory"));
}

Test(cage_plan, missing_layers_refuse_unless_degraded)
{
	char deg[64];
	unsigned bits = 0;
	struct akios_err err = {0};

	probe.landlock_abi = 0;
	probe.seccomp_filter = false;
	load(rw_home);
	cr_assert_eq(build(0, NULL), 0);
	cr_assert_not(plan.allowed);
	cr_assert_not_null(strstr(plan.refusal, "seccomp"));
	cage_plan_free(&plan);
	cr_assert_eq(cage_degrade_parse("landlock,seccomp", &bits, &err), 0);
	cr_assert_eq(build(bits, NULL), 0);
	cr_assert(plan.allowed, "%s", plan.refusal);
	cr_assert_not(plan.landlock);
	cr_assert_str_eq(cage_degrade_str(plan.degraded, deg, sizeof(deg)),
			 "seccomp,landlock");
	cr_assert_neq(cage_degrade_parse("seccomp,bogus", &bits, &err), 0);
	cr_assert_not_null(strstr(err.msg, "bogus"));
}

Test(cage_plan, no_userns_refused)
{
	probe.userns = false;
	load(rw_home);
	cr_assert_eq(build(CAGE_DEG_SECCOMP | CAGE_DEG_LANDLOCK, NULL), 0);
	cr_assert_not(plan.allowed);
	cr_assert_not_null(strstr(plan.refusal, "user namespaces"));
}

Test(cage_plan, limits_fall_back_to_rlimits_without_cgroup)
{
	probe.cgroup = CAGE_CGROUP_NONE;
	load("version: 1\nname: t\nfilesystem:\n  allow:\n"
	     "    - path: \"%s\"\n      mode: rw\n"
	     "limits:\n  memory_mb: 10\n  pids: 5\n  cpu_percent: 50\n"
	     "  wall_timeout_sec: 10\n");
	cr_assert_eq(build(0, NULL), 0);
	cr_assert(plan.allowed, "%s", plan.refusal);
	cr_assert_not(plan.use_cgroup);
	cr_assert_eq(plan.rlimits.as, 10ull * 1024 * 1024);
	cr_assert_eq(plan.rlimits.nproc, 5);
	cr_assert_eq(plan.rlimits.cpu_sec, 5);
	cr_assert_eq(plan.rlimits.core, 0);
	cr_assert_eq(plan.wall_timeout_sec, 10);
	cr_assert_geq(plan.n_notes, 3);
}

static bool has_note(const char *s)
{
	for (unsigned i = 0; i < plan.n_notes; i++)
		if (strstr(plan.notes[i], s))
			return true;
	return false;
}

/* A v2 subtree delegated without cpu: memory and pids go through the v2
 * cgroup, cpu falls back to RLIMIT_CPU, and the report says both. */
Test(cage_plan, partial_v2_cgroup_reported_as_it_is)
{
	probe.cgroup = CAGE_CGROUP_V2;
	snprintf(probe.cgroup_missing, sizeof(probe.cgroup_missing), "cpu");
	load("version: 1\nname: t\nfilesystem:\n  allow:\n"
	     "    - path: \"%s\"\n      mode: rw\n"
	     "limits:\n  memory_mb: 10\n  pids: 5\n  cpu_percent: 50\n"
	     "  wall_timeout_sec: 10\n");
	cr_assert_eq(build(0, NULL), 0);
	cr_assert(plan.allowed, "%s", plan.refusal);
	cr_assert(plan.use_cgroup);
	cr_assert_eq(plan.cgroup, CAGE_CGROUP_V2);
	cr_assert_eq(plan.limits.memory_bytes, 10ull * 1024 * 1024);
	cr_assert_eq(plan.limits.pids, 5);
	cr_assert_eq(plan.limits.cpu_percent, 0);
	cr_assert_eq(plan.rlimits.cpu_sec, 5);
	cr_assert_eq(plan.rlimits.as, CAGE_RLIM_LEAVE);
	cr_assert(has_note("limits enforced by cgroup v2"));
	cr_assert(has_note("limits.cpu: no cgroup controller; approximated"));
}

Test(cage_plan, required_limit_without_cgroup_refused)
{
	probe.cgroup = CAGE_CGROUP_V1;
	snprintf(probe.cgroup_missing, sizeof(probe.cgroup_missing), "pids");
	load("version: 1\nname: t\nfilesystem:\n  allow:\n"
	     "    - path: \"%s\"\n      mode: rw\n"
	     "limits:\n  memory_mb: 10\n  pids: 5\n  required: [pids]\n");
	cr_assert_eq(build(0, NULL), 0);
	cr_assert_not(plan.allowed);
	cr_assert_not_null(strstr(plan.refusal, "limits.pids"));
}

Test(cage_plan, environment_scrubbed)
{
	char *env[] = {"PATH=/evil", "LANG=C.UTF-8",
		       "LC_ALL=C",   "AWS_SECRET_ACCESS_KEY=nope",
		       "KEEP=me",    "TOK=s3cr3t",
		       NULL};
	char *envp[CAGE_MAX_ENV + 1];
	struct akios_err err = {0};
	bool saw_secret = false;

	load("version: 1\nname: t\nfilesystem:\n  allow:\n"
	     "    - path: \"%s\"\n      mode: rw\n"
	     "env:\n  pass: [KEEP]\n  set:\n    MODE: test\n"
	     "secrets:\n  - env: API_KEY\n    from_env: TOK\n");
	cr_assert_eq(build(0, env), 0);
	cr_assert(plan.allowed, "%s", plan.refusal);
	setenv("TOK", "s3cr3t", 1);
	cr_assert_eq(
	    cage_plan_env_materialize(&plan, envp, CAGE_MAX_ENV + 1, &err), 0,
	    "%s", err.msg);
	for (char **e = envp; *e; e++) {
		cr_assert_null(strstr(*e, "AWS_SECRET"));
		cr_assert_null(strstr(*e, "/evil"));
		saw_secret |= !strcmp(*e, "API_KEY=s3cr3t");
	}
	cr_assert(saw_secret);
	cage_plan_env_wipe(envp);
	cr_assert_null(envp[0]);
}

Test(cage_plan, describe_never_prints_secrets)
{
	char *env[] = {"TOK=s3cr3t-value", NULL};
	struct akios_buf b;
	cJSON *j;

	load("version: 1\nname: t\nfilesystem:\n  allow:\n"
	     "    - path: \"%s\"\n      mode: rw\n"
	     "secrets:\n  - env: API_KEY\n    from_env: TOK\n");
	cr_assert_eq(build(0, env), 0);
	akios_buf_init(&b, 1 << 20);
	cr_assert_eq(cage_plan_describe(&plan, &b, false), 0);
	cr_assert_not_null(strstr(b.ptr, "verdict: allowed"));
	cr_assert_not_null(
	    strstr(b.ptr, "\n  rootdir rw  /tmp noexec  [private]\n"), "%s",
	    b.ptr);
	cr_assert_not_null(strstr(b.ptr, "API_KEY=<secret from host"));
	cr_assert_null(strstr(b.ptr, "s3cr3t-value"));
	akios_buf_reset(&b);
	cr_assert_eq(cage_plan_describe(&plan, &b, true), 0);
	j = cJSON_Parse(b.ptr);
	cr_assert_not_null(j);
	cr_assert(cJSON_IsArray(cJSON_GetObjectItem(j, "mounts")));
	cr_assert_null(strstr(b.ptr, "s3cr3t-value"));
	cJSON_Delete(j);
	akios_buf_free(&b);
}

/* The plan's JSON is printed by akios's json module; cJSON printed it
 * before. The text must not change: cJSON (the test oracle) reprints
 * its own parse of it byte for byte, and the audit report is the same
 * tree the --dry-run JSON starts with. */
Test(cage_plan, json_text_unchanged_and_report_is_its_head)
{
	char *env[] = {"TOK=v", NULL};
	struct akios_buf b;
	struct json *r;
	cJSON *j;
	char *old;
	char *rep;

	load("version: 1\nname: t\nfilesystem:\n  allow:\n"
	     "    - path: \"%s\"\n      mode: rw\n"
	     "limits:\n  memory_mb: 16777216\n  pids: 7\n"
	     "env:\n  set:\n    Q: \"a\\\"b\\\\c\\u00e9\"\n");
	cr_assert_eq(build(0, env), 0);
	akios_buf_init(&b, 1 << 20);
	cr_assert_eq(cage_plan_describe(&plan, &b, true), 0);
	cr_assert(b.len > 2 && b.ptr[b.len - 1] == '\n');
	cr_assert_not_null(strstr(b.ptr, "\"memory_bytes\":17592186044416,"));
	cr_assert_not_null(strstr(b.ptr, "\"value\":\"a\\\"b\\\\c\xc3\xa9\""),
			   "%s", b.ptr);
	j = cJSON_Parse(b.ptr);
	cr_assert_not_null(j);
	old = cJSON_PrintUnformatted(j);
	cr_assert_not_null(old);
	cr_assert_eq(strlen(old), b.len - 1);
	cr_assert_eq(memcmp(old, b.ptr, b.len - 1), 0, "%s\n%s", old, b.ptr);
	r = cage_plan_report_json(&plan);
	rep = r ? json_print(r) : NULL;
	cr_assert_not_null(rep);
	cr_assert_eq(strncmp(rep, "{\"limits\":{", 11), 0, "%s", rep);
	cr_assert_eq(strncmp(rep, b.ptr, strlen(rep) - 1), 0, "%s", rep);
	free(rep);
	json_free(r);
	free(old);
	cJSON_Delete(j);
	akios_buf_free(&b);
}

Test(cage_plan, working_dir_must_be_a_directory)
{
	char p[600];

	snprintf(p, sizeof(p), "%s/file.txt", dir);
	cr_assert_eq(test_write_file(p, "x"), 0);
	load("version: 1\nname: t\nfilesystem:\n  allow:\n"
	     "    - path: \"%s\"\n      mode: rw\n"
	     "tools:\n  working_dir: \"%s/file.txt\"\n");
	cr_assert_eq(build(0, NULL), 0);
	cr_assert_not(plan.allowed);
	cr_assert_not_null(strstr(plan.refusal, "not a directory"));
}

/* The cage's /etc/hosts is a generated file in the view's private root,
 * never a bind of the host's; the broker replaces its content. */
Test(cage_plan, hosts_file_is_generated_not_bound)
{
	const struct cage_mount *m;
	struct akios_buf out;

	load(rw_home);
	cr_assert_eq(build(0, NULL), 0);
	cr_assert_null(find("/etc/hosts", CAGE_MNT_BIND));
	m = find("/etc/hosts", CAGE_MNT_FILE);
	cr_assert_not_null(m);
	cr_assert_not_null(strstr(m->src, "127.0.0.1\tlocalhost\n"));
	cr_assert_lt(index_of("/etc/hosts"), index_of(dir));
	cr_assert_eq(
	    cage_plan_set_file(&plan, "/etc/hosts", "192.0.2.7\tllm.example\n"),
	    0);
	cr_assert_str_eq(find("/etc/hosts", CAGE_MNT_FILE)->src,
			 "192.0.2.7\tllm.example\n");
	cr_assert_eq(cage_plan_set_file(&plan, "/etc/shadow", "x"), -ENOENT);
	cr_assert_eq(cage_plan_set_file(&plan, "/usr", "x"), -ENOENT);
	akios_buf_init(&out, 1 << 20);
	cr_assert_eq(cage_plan_describe(&plan, &out, true), 0);
	cr_assert_not_null(
	    memmem(out.ptr, out.len, "192.0.2.7\\tllm.example", 22));
	akios_buf_free(&out);
}

/* The walk below a writable path reads directories larger than one read
 * of their entries (plan_walk.c: 4 KB per getdents64): every one of 300
 * subdirectories is walked and the .envrc in the last-made one frozen. */
Test(cage_plan, walk_reads_large_directories_whole)
{
	char p[700];

	for (int i = 0; i < 300; i++) {
		snprintf(p, sizeof(p), "%s/subdirectory-with-a-long-name-%03d",
			 dir, i);
		cr_assert_eq(mkdir(p, 0755), 0);
	}
	snprintf(p, sizeof(p), "%s/subdirectory-with-a-long-name-299/.envrc",
		 dir);
	cr_assert_eq(test_write_file(p, "export X=1\n"), 0);
	load(rw_home);
	cr_assert_eq(build(0, NULL), 0);
	cr_assert_not_null(find(p, CAGE_MNT_REBIND));
	/* The top and its 300 subdirectories (.git is frozen apart, .ssh
	 * masked: neither is walked). */
	cr_assert(has_note("301 dir(s) walked"));
}
