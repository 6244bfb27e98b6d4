/* Real programs under the agent's seccomp filter: the syscall-probe
 * helper (every always-denied call answers EPERM, and the same call
 * without the filter does not, so the filter is what said no), python3
 * and node (the allowlist is broad enough for real runtimes). */
#include "shared/common.h"
#include "supervisor/cage/seccomp.h"
#include "supervisor/cage/seccomp_int.h"
#include "tests/lib/testlib.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#define OUT_MAX 65536

/* Runs argv with stdout captured into out, under the filter when p is
 * not NULL. Returns the wait status. */
static int run(const struct cage_bpf *p, char *const argv[], char *out)
{
	int fds[2];
	pid_t pid;
	size_t len = 0;
	ssize_t n;
	int st;

	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int l;
		dup2(fds[1], 1);
		setsid(); /* no controlling tty for the probes */
		if (p && (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
			  cage_seccomp_load(p, false, &l) != 0))
			_exit(99);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	while (len < OUT_MAX - 1 &&
	       (n = read(fds[0], out + len, OUT_MAX - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(fds[0]);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	return st;
}

static struct cage_bpf filter(bool deny_memfd)
{
	struct cage_seccomp_opts o = {.deny_memfd = deny_memfd};
	struct cage_bpf p;
	struct akios_err err = {0};

	cr_assert_eq(cage_seccomp_build(&o, &p, &err), 0, "%s", err.msg);
	return p;
}

static const char *probe(char *buf, size_t size)
{
	return test_build_path("tests/helpers/syscall_probe", buf, size);
}

/* The probe's answer for name in a "name=RESULT" listing. */
static const char *answer(const char *out, const char *name, char *buf,
			  size_t size)
{
	size_t n = strlen(name);

	const char *l = out;

	while (l && *l) {
		if (strncmp(l, name, n) == 0 && l[n] == '=') {
			size_t m = strcspn(l + n + 1, "\n");
			snprintf(buf, size, "%.*s", (int)m, l + n + 1);
			return buf;
		}
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	return "missing";
}

/* argv: probe path + every name of the always-denied groups. */
static unsigned denied_argv(char **argv, unsigned max, const char *path)
{
	unsigned n = 0;

	argv[n++] = (char *)path;
	for (unsigned g = 0; g < sc_n_groups; g++) {
		if (sc_groups[g].action != SC_EPERM)
			continue;
		for (const char *const *c = sc_groups[g].calls; *c; c++)
			if (n + 1 < max)
				argv[n++] = (char *)*c;
	}
	argv[n] = NULL;
	return n;
}

/* The probe knows most of the table by number; those it does not know
 * (ancient calls like _sysctl, nfsservctl) are covered by the unit test
 * that calls them directly. Every call it knows must be EPERM under the
 * filter and something else without it. */
Test(harden_seccomp, always_denied_calls_via_probe)
{
	char path[512], *argv[128], bare[OUT_MAX], caged[OUT_MAX];
	char a[64], b[64];
	struct cage_bpf p = filter(false);
	unsigned n = denied_argv(argv, 128, probe(path, sizeof(path)));
	unsigned checked = 0;

	cr_assert(WIFEXITED(run(NULL, argv, bare)));
	cr_assert(WIFEXITED(run(&p, argv, caged)), "%s", caged);
	for (unsigned i = 1; i < n; i++) {
		if (strcmp(answer(bare, argv[i], a, sizeof(a)), "unknown") == 0)
			continue;
		cr_expect_str_eq(answer(caged, argv[i], b, sizeof(b)), "EPERM",
				 "%s", argv[i]);
		cr_expect_str_neq(a, "EPERM", "%s: EPERM without filter",
				  argv[i]);
		checked++;
	}
	cr_assert_geq(checked, 55, "only %u calls probed", checked);
	cage_bpf_free(&p);
}

Test(harden_seccomp, narrowed_calls_via_probe)
{
	static const char *const want[][2] = {
	    {"x:tiocsti", "EPERM"},
	    {"x:tiocsti_hi", "EPERM"},
	    {"x:tioclinux", "EPERM"},
	    {"x:tcgets", "EBADF"},
	    {"x:clone_newuser", "EPERM"},
	    {"x:clone3", "ENOSYS"},
	    {"x:fork", "ok"},
	    {"x:unshare_user", "EPERM"},
	    {"x:personality_query", "ok"},
	    {"x:personality_set", "EPERM"},
	    {"x:socket_packet", "EAFNOSUPPORT"},
	    {"x:socket_unix", "ok"},
	    {"x:memfd", "EPERM"},
	    {"getpid", "ok"},
	    {"statx", "allowed"},
	    {"openat2", "allowed"},
	};
	char path[512], *argv[32], out[OUT_MAX], buf[64];
	struct cage_bpf p = filter(true);
	unsigned n = 0;

	argv[n++] = (char *)probe(path, sizeof(path));
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(want); i++)
		argv[n++] = (char *)want[i][0];
	argv[n] = NULL;
	cr_assert(WIFEXITED(run(&p, argv, out)), "%s", out);
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(want); i++) {
		const char *got = answer(out, want[i][0], buf, sizeof(buf));
		/* "allowed": the kernel judged the bad arguments. */
		if (strcmp(want[i][1], "allowed") == 0)
			cr_expect(strcmp(got, "EPERM") != 0 &&
				      strcmp(got, "ENOSYS") != 0 &&
				      strcmp(got, "missing") != 0,
				  "%s=%s", want[i][0], got);
		else
			cr_expect_str_eq(got, want[i][1], "%s", want[i][0]);
	}
	cage_bpf_free(&p);
}

Test(harden_seccomp, python3_runs_under_the_filter, .timeout = 30)
{
	char *argv[] = {"/usr/bin/python3", "-c",
			"import json, os, subprocess, threading, tempfile\n"
			"t = threading.Thread(target=lambda: None); t.start()\n"
			"t.join()\n"
			"r = subprocess.run(['/bin/echo', 'sub'], "
			"capture_output=True)\n"
			"print(json.dumps({'n': 6 * 7, 'sub': r.stdout.decode()"
			".strip()}))",
			NULL};
	char out[OUT_MAX];
	struct cage_bpf p = filter(false);
	int st = run(&p, argv, out);

	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%#x %s", st, out);
	cr_assert_str_eq(out, "{\"n\": 42, \"sub\": \"sub\"}\n");
	cage_bpf_free(&p);
}

Test(harden_seccomp, node_runs_under_the_filter, .timeout = 30)
{
	char *argv[] = {
	    "/usr/bin/node", "-e",
	    "const cp = require('child_process');"
	    "const fs = require('fs');"
	    "fs.writeFileSync('/dev/null', 'x');"
	    "setTimeout(() => console.log(6 * 7, "
	    "cp.execFileSync('/bin/echo', ['sub']).toString().trim()"
	    "), 10);",
	    NULL};
	char out[OUT_MAX];
	struct cage_bpf p = filter(false);
	int st = run(&p, argv, out);

	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%#x %s", st, out);
	cr_assert_str_eq(out, "42 sub\n");
	cage_bpf_free(&p);
}
