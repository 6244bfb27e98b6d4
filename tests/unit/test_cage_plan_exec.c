/* The exec half of the plan (plan_exec.c) as data: with tools.allow only
 * the agent command, the tools, their ELF loaders and #! interpreters get
 * EXECUTE, exec directories are not readable wholesale, policy directories
 * are noexec, and a program outside a read-only place cannot run. Without
 * tools.allow the system directories stay executable (no regression). */
#include "shared/common.h"
#include "supervisor/cage/plan.h"
#include "tests/lib/testlib.h"

#include <criterion/criterion.h>
#include <limits.h>
#include <sys/stat.h>

static char *dir;
static struct akios_policy *pol;
static struct cage_plan plan;

static void setup(void)
{
	dir = test_tmpdir("akios-plan-exec");
	cr_assert_not_null(dir);
}

static void teardown(void)
{
	cage_plan_free(&plan);
	policy_free(pol);
	pol = NULL;
	test_rmtree(dir);
	free(dir);
}

TestSuite(plan_exec, .init = setup, .fini = teardown);

static void load(const char *tools)
{
	char yaml[2048];
	struct policy_errors errs = {0};
	int n = snprintf(yaml, sizeof(yaml),
			 "version: 1\nname: t\nfilesystem:\n  allow:\n"
			 "    - path: \"%s/ws\"\n      mode: rw\n"
			 "    - path: \"%s/ro\"\n      mode: r\n"
			 "    - path: \"%s/tool.py\"\n      mode: r\n%s",
			 dir, dir, dir, tools);

	cr_assert_eq(policy_load_buffer("t.yml", yaml, (size_t)n, &pol, &errs),
		     0, "%s", errs.n ? errs.e[0].msg : "");
}

static void files(void)
{
	char p[600];

	snprintf(p, sizeof(p), "%s/ws", dir);
	cr_assert_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/ro", dir);
	cr_assert_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/ws/mytool", dir);
	cr_assert_eq(test_write_file(p, "#!/bin/sh\necho hi\n"), 0);
	cr_assert_eq(chmod(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/tool.py", dir);
	cr_assert_eq(test_write_file(p, "#!/usr/bin/env -S python3 -u\n"), 0);
	cr_assert_eq(chmod(p, 0755), 0);
}

static int build(const char *agent)
{
	char ws[600];
	char *argv[] = {(char *)agent, NULL};
	char *noenv[] = {NULL};
	struct cage_probe probe = {.userns = true,
				   .seccomp_filter = true,
				   .landlock_abi = 7,
				   .cgroup = CAGE_CGROUP_V2};
	struct cage_plan_input in = {
	    .policy = pol,
	    .probe = &probe,
	    .argv = argv,
	    .host_env = noenv,
	    .host_cwd = ws,
	    .home = dir,
	    .user_name = "alice",
	    .uid = 1000,
	    .gid = 1000,
	};
	struct akios_err err = {0};

	snprintf(ws, sizeof(ws), "%s/ws", dir);
	return cage_plan_build(&in, &plan, &err);
}

/* The first rule on path with all of the rights in want, or NULL. */
static const struct cage_rule *rule_with(const char *path, unsigned want)
{
	for (unsigned i = 0; i < plan.n_rules; i++)
		if (!strcmp(plan.rules[i].path, path) &&
		    (plan.rules[i].access & want) == want)
			return &plan.rules[i];
	return NULL;
}

static const struct cage_rule *rule(const char *path)
{
	return rule_with(path, 0);
}

static void assert_exec(const char *path, const char *why)
{
	char real[PATH_MAX];
	const struct cage_rule *r;

	cr_assert_not_null(realpath(path, real), "%s", path);
	r = rule_with(real, CAGE_ACC_EXEC);
	cr_assert_not_null(r, "no exec rule on %s", real);
	cr_assert_eq(r->access, CAGE_ACC_READ | CAGE_ACC_EXEC, "%s", real);
	cr_assert_str_eq(r->why, why, "%s", real);
}

static const struct cage_mount *mount_at(const char *dst)
{
	for (unsigned i = 0; i < plan.n_mounts; i++)
		if (!strcmp(plan.mounts[i].dst, dst))
			return &plan.mounts[i];
	return NULL;
}

static bool noted(const char *needle)
{
	for (unsigned i = 0; i < plan.n_notes; i++)
		if (strstr(plan.notes[i], needle))
			return true;
	return false;
}

Test(plan_exec, only_the_needed_files_execute)
{
	char p[600];
	unsigned n_exec = 0;

	files();
	snprintf(p, sizeof(p),
		 "tools:\n  allow:\n    - name: which\n    - name: jq\n"
		 "    - name: \"%s/tool.py\"\n    - name: \"%s/ws/mytool\"\n"
		 "    - name: no-such-tool-here\n",
		 dir, dir);
	load(p);
	cr_assert_eq(build("python3"), 0);
	cr_assert(plan.allowed, "%s", plan.refusal);
	cr_assert(plan.exec_allowlist);
	assert_exec("/usr/bin/python3", "agent command");
	assert_exec("/lib64/ld-linux-x86-64.so.2", "ELF loader");
	assert_exec("/usr/bin/which", "tools.allow");
	assert_exec("/bin/sh", "#! interpreter"); /* which is a sh script */
	assert_exec("/usr/bin/jq", "tools.allow");
	snprintf(p, sizeof(p), "%s/tool.py", dir);
	assert_exec(p, "tools.allow");
	assert_exec("/usr/bin/env", "#! interpreter");
	assert_exec("/usr/bin/python3", "agent command"); /* not twice */
	for (unsigned i = 0; i < plan.n_rules; i++)
		n_exec += (plan.rules[i].access & CAGE_ACC_EXEC) != 0;
	cr_assert_eq(n_exec, 7, "one rule per file: %u", n_exec);
	/* Exec directories are not readable wholesale. */
	cr_assert_null(rule("/usr/bin"));
	cr_assert_eq(rule("/usr")->access, CAGE_ACC_LISTDIR);
	cr_assert_eq(rule("/usr/lib")->access, CAGE_ACC_READ);
	/* A tool in the writable workspace cannot run: noexec there. */
	snprintf(p, sizeof(p), "%s/ws/mytool", dir);
	cr_assert_null(rule(p));
	cr_assert(noted("/ws/mytool: neither in a read-only system"));
	cr_assert(noted("no-such-tool-here: not found"));
	snprintf(p, sizeof(p), "%s/ws", dir);
	cr_assert(mount_at(p)->flags & CAGE_MF_NOEXEC);
	cr_assert_eq(rule(p)->access, CAGE_ACC_READ | CAGE_ACC_WRITE);
	snprintf(p, sizeof(p), "%s/ro", dir);
	cr_assert(mount_at(p)->flags & CAGE_MF_NOEXEC);
	snprintf(p, sizeof(p), "%s/tool.py", dir);
	cr_assert_not(mount_at(p)->flags & CAGE_MF_NOEXEC);
}

Test(plan_exec, agent_command_in_the_workspace_is_refused)
{
	char p[600];

	files();
	load("tools:\n  allow: []\n");
	snprintf(p, sizeof(p), "%s/ws/mytool", dir);
	cr_assert_eq(build(p), 0);
	cr_assert_not(plan.allowed);
	cr_assert_not_null(strstr(plan.refusal, "the agent command"), "%s",
			   plan.refusal);
}

Test(plan_exec, without_tools_allow_the_system_stays_executable)
{
	char p[600];

	files();
	load("");
	cr_assert_eq(build("python3"), 0);
	cr_assert(plan.allowed, "%s", plan.refusal);
	cr_assert_not(plan.exec_allowlist);
	cr_assert_eq(rule("/usr")->access, CAGE_ACC_READ | CAGE_ACC_EXEC);
	cr_assert_null(rule("/usr/bin/python3.11"));
	snprintf(p, sizeof(p), "%s/ws", dir);
	cr_assert_not(mount_at(p)->flags & CAGE_MF_NOEXEC);
	cr_assert(rule(p)->access & CAGE_ACC_EXEC);
}
