/* akios doctor: what this host offers the cage, checked for real (the
 * same probe `akios run` uses), one ✅/⚠️/❌ line per mechanism, or JSON.
 * Exit 0 only when the cage can run with full enforcement; it never
 * reports a check it did not make. */
#include "shared/common.h"
#include "shared/exitcodes.h"
#include "shared/json.h"
#include "supervisor/cage/probe.h"
#include "supervisor/cli.h"
#include "supervisor/commands.h"

#include <stdarg.h>
#include <stdio.h>

static const struct cli_opt doctor_opts[] = {
    {.name = "json", .help = "print the findings as one JSON object"},
};

static const struct cli_spec doctor_spec = {
    .name = "doctor",
    .usage = "[--json]",
    .summary = "Check what this kernel and host offer the cage.",
    .details = "Exit status: 0 when the cage can run with full enforcement "
	       "(user namespaces,\nseccomp filter and user-notify, Landlock, "
	       "a cgroup with memory, pids and cpu\nfor this user), 1 "
	       "otherwise.",
    .opts = doctor_opts,
    .n_opts = AKIOS_ARRAY_SIZE(doctor_opts),
};

enum level { OK, WARN, FAIL };

static void line(enum level l, const char *label, const char *fmt, ...)
    AKIOS_PRINTF(3, 4);

static void line(enum level l, const char *label, const char *fmt, ...)
{
	static const char *const mark[] = {"\u2705", "\u26a0\ufe0f", "\u274c"};
	va_list ap;

	printf("%s %s: ", mark[l], label);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static const char *yes(bool b)
{
	return b ? "yes" : "no";
}

static void kernel_lines(const struct cage_probe *p)
{
	bool recent = p->kernel_major > 5 ||
		      (p->kernel_major == 5 && p->kernel_minor >= 15);

	line(recent && p->seccomp_filter ? OK : FAIL, "Kernel", "%s (%s%s)",
	     p->kernel_release,
	     p->seccomp_filter ? "seccomp-bpf supported" : "no seccomp-bpf",
	     recent ? "" : "; 5.15 or newer recommended");
	line(!p->seccomp_user_notif					? FAIL
	     : p->seccomp_wait_killable_recv && p->seccomp_sync_wake_up ? OK
									: WARN,
	     "seccomp user-notify",
	     "%s (WAIT_KILLABLE_RECV: %s, "
	     "SYNC_WAKE_UP: %s)",
	     p->seccomp_user_notif ? "available" : "missing",
	     yes(p->seccomp_wait_killable_recv), yes(p->seccomp_sync_wake_up));
	if (p->landlock_abi >= 1)
		line(p->landlock_abi >= 6 ? OK : WARN, "Landlock",
		     "ABI %d (filesystem%s%s%s)", p->landlock_abi,
		     p->landlock_abi >= 2 ? ", cross-dir rename" : "",
		     p->landlock_abi >= 4 ? ", TCP" : "",
		     p->landlock_abi >= 6 ? ", IPC scoping" : "");
	else
		line(FAIL, "Landlock",
		     "not available (kernel 5.13+ with "
		     "lsm=landlock)");
}

static void cgroup_line(const struct cage_probe *p)
{
	const char *v2 = p->cgroup_v2_mounted ? (p->cgroup_v2_controllers[0]
						     ? p->cgroup_v2_controllers
						     : "no controllers")
					      : "not mounted";

	if (p->cgroup != CAGE_CGROUP_NONE && p->cgroup_missing[0])
		line(WARN, "cgroups",
		     "%s has only part of memory, pids, cpu: %s fall(s) back "
		     "to rlimits (v1: %s; v2: %s)",
		     cage_cgroup_backend_name(p->cgroup), p->cgroup_missing,
		     p->cgroup_v1_controllers[0] ? p->cgroup_v1_controllers
						 : "none",
		     v2);
	else if (p->cgroup == CAGE_CGROUP_V2)
		line(OK, "cgroups",
		     "v2, delegated subtree with memory, pids, "
		     "cpu");
	else if (p->cgroup == CAGE_CGROUP_V1)
		line(OK, "cgroups", "v1 controllers (%s) writable; v2: %s",
		     p->cgroup_v1_controllers, v2);
	else
		line(FAIL, "cgroups",
		     "no writable cgroup with %s for this "
		     "user (v1: %s; v2: %s); limits fall "
		     "back to rlimits",
		     p->cgroup_missing,
		     p->cgroup_v1_controllers[0] ? p->cgroup_v1_controllers
						 : "none",
		     v2);
}

static void host_lines(const struct cage_probe *p)
{
	line(p->userns ? OK : FAIL, "User namespaces", "%s (max %u)",
	     p->userns ? "enabled" : "not usable by this user",
	     p->max_user_namespaces);
	line(p->tmp_noexec ? OK : WARN, "/tmp",
	     p->tmp_noexec ? "noexec mount"
			   : "exec allowed on the host /tmp (the cage's own "
			     "/tmp is noexec; mount -o remount,noexec /tmp)");
	if (p->caps_effective == 0)
		line(OK, "Capabilities",
		     "akios holds none; the agent gets "
		     "none");
	else
		line(WARN, "Capabilities",
		     "akios holds %u effective (%s); "
		     "the agent gets none (all sets emptied, securebits "
		     "locked)",
		     p->caps_effective, p->is_root ? "root" : "file caps");
}

static struct json *probe_tree(const struct cage_probe *p)
{
	struct json *j = json_new_object();

	json_add_str(j, "kernel", p->kernel_release);
	json_add_bool(j, "seccomp_filter", p->seccomp_filter);
	json_add_bool(j, "seccomp_user_notif", p->seccomp_user_notif);
	json_add_bool(j, "seccomp_wait_killable_recv",
		      p->seccomp_wait_killable_recv);
	json_add_bool(j, "seccomp_sync_wake_up", p->seccomp_sync_wake_up);
	json_add_num(j, "landlock_abi", p->landlock_abi);
	json_add_str(j, "cgroup", cage_cgroup_backend_name(p->cgroup));
	json_add_str(j, "cgroup_missing", p->cgroup_missing);
	json_add_str(j, "cgroup_v1_controllers", p->cgroup_v1_controllers);
	json_add_bool(j, "cgroup_v2_mounted", p->cgroup_v2_mounted);
	json_add_str(j, "cgroup_v2_controllers", p->cgroup_v2_controllers);
	json_add_bool(j, "userns", p->userns);
	json_add_bool(j, "tmp_noexec", p->tmp_noexec);
	json_add_bool(j, "root", p->is_root);
	json_add_num(j, "caps_effective", p->caps_effective);
	json_add_bool(j, "full_enforcement", cage_probe_full(p));
	return j;
}

static int print_json(const struct cage_probe *p)
{
	struct json *j = probe_tree(p);
	char *s = j ? json_print(j) : NULL;

	json_free(j);
	if (!s) {
		cli_error("doctor", "out of memory");
		return AKIOS_EXIT_INTERNAL;
	}
	puts(s);
	free(s);
	return cage_probe_full(p) ? AKIOS_EXIT_OK : AKIOS_EXIT_FAIL;
}

int cmd_doctor(int argc, char **argv)
{
	struct cli_args args;
	struct cage_probe p;
	bool done;
	int rc = cli_parse_or_help(&doctor_spec, argc, argv, &args, &done);

	if (done)
		return rc;
	(void)cage_probe_run(&p);
	if (cli_has(&doctor_spec, &args, "json"))
		return print_json(&p);
	printf("[akios] System Diagnostics\n");
	kernel_lines(&p);
	cgroup_line(&p);
	host_lines(&p);
	if (cage_probe_full(&p)) {
		printf("Cage: full enforcement available\n");
		return AKIOS_EXIT_OK;
	}
	printf("Cage: degraded: `akios run` refuses unless "
	       "--allow-degraded names what is missing (lines marked "
	       "\u274c)\n");
	return AKIOS_EXIT_FAIL;
}
