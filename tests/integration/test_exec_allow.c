/* tools.allow as a kernel boundary, through the real `akios run`: the
 * allowed tools run and cat is refused however it is launched (PATH,
 * env, sh -c, os.execv, subprocess, ld.so, copies in writable paths,
 * memfd, O_TMPFILE, execveat AT_EMPTY_PATH, a thread flipping the exec
 * path), root and rootless; without tools.allow everything still runs. */
#include "tests/lib/cagetest.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <sys/stat.h>

static struct cage_ws W;

/* One cage at a time: each test starts several `akios run`s and the race
 * forks a hundred children; in parallel on 2 cores they only compete
 * (and under `make asan` Criterion's runner was seen leaking 48 bytes
 * when two of these workers ended together). Read by Criterion's main. */
__attribute__((constructor)) static void one_job(void)
{
	setenv("CRITERION_JOBS", "1", 0);
}

static void copy(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	ssize_t n;

	cr_assert_geq(in, 0, "%s", from);
	cr_assert_geq(out, 0, "%s", to);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		cr_assert_eq(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
	cr_assert_eq(chmod(to, 0755), 0);
}

/* policy/examples/hardened-production.yml with /workspace moved. */
static void hardened_policy(void)
{
	char *text = calloc(1, 8192);
	char *out = calloc(1, 16384);
	size_t n = 0;
	int fd = open("policy/examples/hardened-production.yml",
		      O_RDONLY | O_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_gt(read(fd, text, 8191), 0);
	close(fd);
	for (const char *p = text; *p;) {
		if (!strncmp(p, "/workspace", 10)) {
			n += (size_t)snprintf(out + n, 16384 - n, "%s", W.ws);
			p += 10;
		} else {
			out[n++] = *p++;
		}
	}
	cr_assert_eq(cagetest_policy(&W, out), 0);
	free(text);
	free(out);
}

/* Each attempt prints "name: ran" or "name: refused"; cat --version
 * would print "coreutils". */
static const char hardened_agent[] =
    "import os, shutil, subprocess\n"
    "def run(name, argv):\n"
    "    try:\n"
    "        r = subprocess.run(argv, input=b'{\"a\":7}', "
    "capture_output=True)\n"
    "        ok = r.returncode == 0\n"
    "        print(name + ':', 'ran ' + r.stdout.decode().strip() if ok "
    "else 'refused')\n"
    "    except PermissionError:\n"
    "        print(name + ': refused')\n"
    "run('jq', ['jq', '.a'])\n"
    "run('grep', ['grep', '-c', 'a'])\n"
    "run('cat', ['cat', '--version'])\n"
    "run('/usr/bin/cat', ['/usr/bin/cat', '--version'])\n"
    "run('env cat', ['env', 'cat', '--version'])\n"
    "run('sh -c cat', ['sh', '-c', 'cat --version'])\n"
    "run('ld.so cat', ['/lib64/ld-linux-x86-64.so.2', '/usr/bin/cat', "
    "'--version'])\n"
    "run('copy in output', ['./output/jq', '--version'])\n"
    "run('copy in input', ['./input/jq', '--version'])\n"
    "shutil.copy('input/jq', '/tmp/jq')\n"
    "os.chmod('/tmp/jq', 0o755)\n"
    "run('copy in /tmp', ['/tmp/jq', '--version'])\n"
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    try:\n"
    "        os.execv('/usr/bin/cat', ['cat', '--version'])\n"
    "    except OSError:\n"
    "        os._exit(126)\n"
    "print('os.execv:', os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))\n"
    "try:\n"
    "    os.memfd_create('x')\n"
    "    print('memfd: created')\n"
    "except OSError as e:\n"
    "    print('memfd:', e.errno)\n";

Test(exec_allow, hardened_example_runs_jq_and_refuses_cat, .timeout = 60)
{
	char *cmd[] = {"python3", "-c", (char *)hardened_agent, NULL};
	char path[700];
	struct test_run r;

	cr_assert_eq(cagetest_setup(&W, false), 0);
	cr_assert_eq(cagetest_file(&W, "input/a.txt", "hello"), 0);
	cr_assert_eq(cagetest_file(&W, "output/.keep", ""), 0);
	/* cat under an allowed name, where the agent can reach it. */
	snprintf(path, sizeof(path), "%s/input/jq", W.ws);
	copy("/usr/bin/cat", path);
	snprintf(path, sizeof(path), "%s/output/jq", W.ws);
	copy("/usr/bin/cat", path);
	hardened_policy();
	cr_assert_eq(cagetest_run(&W, NULL, cmd, NULL, 40, &r), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "jq: ran 7\n"
				"grep: ran 1\n"
				"cat: refused\n"
				"/usr/bin/cat: refused\n"
				"env cat: refused\n"
				"sh -c cat: refused\n"
				"ld.so cat: refused\n"
				"copy in output: refused\n"
				"copy in input: refused\n"
				"copy in /tmp: refused\n"
				"os.execv: 126\n"
				"memfd: 1\n");
	test_run_free(&r);
	cagetest_teardown(&W);
}

/* The exec_probe helper as an allowed tool (a read-only file bind), with
 * the loader and sh named too: the broker lets those through, so what
 * refuses cat here is the kernel (Landlock, noexec, seccomp). */
static void probe_policy(const char *probe)
{
	char yaml[2048];

	snprintf(yaml, sizeof(yaml),
		 "version: 1\nname: exec-allow\n"
		 "security:\n  network: isolated\n"
		 "filesystem:\n  allow:\n"
		 "    - path: \"%s\"\n      mode: \"rw\"\n"
		 "    - path: \"%s\"\n      mode: \"r\"\n"
		 "tools:\n  allow:\n    - name: \"jq\"\n    - name: \"grep\"\n"
		 "    - name: \"sh\"\n    - name: \"ld-linux-x86-64.so.2\"\n"
		 "    - name: \"%s\"\n",
		 W.ws, probe, probe);
	cr_assert_eq(cagetest_policy(&W, yaml), 0);
}

static void probe_run(bool rootless)
{
	char probe[600], path[700], script[2048];
	struct test_run r;
	int ran = -1;

	cr_assert_eq(cagetest_setup(&W, rootless), 0);
	snprintf(probe, sizeof(probe), "%s/exec_probe", W.root);
	test_build_path("tests/helpers/exec_probe", path, sizeof(path));
	copy(path, probe);
	snprintf(path, sizeof(path), "%s/jq", W.ws); /* cat, named jq */
	copy("/usr/bin/cat", path);
	probe_policy(probe);
	snprintf(script, sizeof(script),
		 "P=%s\n"
		 "sh -c 'cat --version'; echo sh-cat=$?\n"
		 "/lib64/ld-linux-x86-64.so.2 /usr/bin/cat --version "
		 "2>/dev/null; echo ldso-cat=$?\n"
		 "./jq --version; echo ws-copy=$?\n"
		 "$P memfd ./jq\n$P tmpfile /tmp ./jq\n$P tmpfile . ./jq\n"
		 "$P copy ./jq /tmp/grep\n$P emptypath /usr/bin/cat\n"
		 "$P race /usr/bin/jq /usr/bin/cat 100\n"
		 "jq -n 7\n",
		 probe);
	char *cmd[] = {"sh", "-c", script, NULL};

	cr_assert_eq(cagetest_run(&W, NULL, cmd, NULL, 50, &r), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_null(strstr(r.out, "coreutils"), "cat ran: %s", r.out);
	cr_assert_not_null(strstr(r.out,
				  "sh-cat=126\n"
				  "ldso-cat=127\n"
				  "ws-copy=126\n"
				  "memfd_create: Operation not permitted\n"
				  "tmpfile exec: Permission denied\n"
				  "tmpfile exec: Permission denied\n"
				  "copy exec: Permission denied\n"
				  "emptypath exec: Permission denied\n"),
			   "%s", r.out);
	const char *race = strstr(r.out, "race: ");

	cr_assert_not_null(race, "%s", r.out);
	cr_assert_eq(sscanf(race, "race: %d of 100 ran", &ran), 1);
	cr_assert_gt(ran, 0, "jq never ran: %s", r.out);
	cr_assert_not_null(strstr(r.out, "jq-"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "ran\n7\n"), "%s", r.out);
	test_run_free(&r);
	cagetest_teardown(&W);
}

Test(exec_allow, kernel_refuses_what_the_broker_lets_through_root,
     .timeout = 60)
{
	probe_run(false);
}

Test(exec_allow, kernel_refuses_what_the_broker_lets_through_rootless,
     .timeout = 60)
{
	probe_run(true);
}

Test(exec_allow, dry_run_shows_the_exec_rules, .timeout = 30)
{
	char *dry[] = {"--dry-run", NULL};
	char *json[] = {"--dry-run", "--json", NULL};
	char *cmd[] = {"python3", "-c", "1", NULL};
	struct test_run r;

	cr_assert_eq(cagetest_setup(&W, false), 0);
	cr_assert_eq(cagetest_file(&W, "input/a.txt", "hello"), 0);
	cr_assert_eq(cagetest_file(&W, "output/.keep", ""), 0);
	hardened_policy();
	cr_assert_eq(cagetest_run(&W, dry, cmd, NULL, 20, &r), 0);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert_not_null(strstr(r.out, "exec: tools allowlist"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "/usr/bin/jq"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "read exec  [tools.allow]"), "%s",
			   r.out);
	cr_assert_not_null(strstr(r.out, "read exec  [ELF loader]"), "%s",
			   r.out);
	cr_assert_not_null(strstr(r.out, "memfd_create denied"), "%s", r.out);
	cr_assert_null(strstr(r.out, "/usr/bin/cat"), "%s", r.out);
	test_run_free(&r);
	cr_assert_eq(cagetest_run(&W, json, cmd, NULL, 20, &r), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "\"exec_allowlist\":true"), "%s",
			   r.out);
	cr_assert_not_null(strstr(r.out, "\"path\":\"/usr/bin/grep\","
					 "\"access\":\"read exec\","
					 "\"why\":\"tools.allow\""),
			   "%s", r.out);
	test_run_free(&r);
	cagetest_teardown(&W);
}

/* No tools.allow: every program of the view runs, from anywhere. */
Test(exec_allow, without_tools_allow_everything_runs, .timeout = 30)
{
	char yaml[1024], path[700];
	struct test_run r;
	char *cmd[] = {
	    "sh", "-c",
	    "cat /dev/null && echo cat; env true && echo env; "
	    "/lib64/ld-linux-x86-64.so.2 /usr/bin/true && echo ldso; "
	    "./mycat /dev/null && echo copy",
	    NULL};

	cr_assert_eq(cagetest_setup(&W, false), 0);
	snprintf(path, sizeof(path), "%s/mycat", W.ws);
	copy("/usr/bin/cat", path);
	snprintf(yaml, sizeof(yaml),
		 "version: 1\nname: open\n"
		 "filesystem:\n  allow:\n    - path: \"%s\"\n"
		 "      mode: \"rw\"\n",
		 W.ws);
	cr_assert_eq(cagetest_policy(&W, yaml), 0);
	cr_assert_eq(cagetest_run(&W, NULL, cmd, NULL, 20, &r), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "cat\nenv\nldso\ncopy\n");
	test_run_free(&r);
	cagetest_teardown(&W);
}

/* A script tool runs with its #! interpreter, which the agent still
 * cannot start by itself. */
Test(exec_allow, script_tool_runs_with_its_interpreter, .timeout = 30)
{
	char yaml[1024];
	struct test_run r;
	char *cmd[] = {"python3", "-c",
		       "import subprocess\n"
		       "r = subprocess.run(['which', 'jq'], "
		       "capture_output=True)\n"
		       "print(r.returncode, r.stdout.decode().strip())\n"
		       "try:\n"
		       "    subprocess.run(['sh', '-c', 'true'])\n"
		       "except PermissionError:\n"
		       "    print('sh refused')\n",
		       NULL};

	cr_assert_eq(cagetest_setup(&W, true), 0);
	snprintf(yaml, sizeof(yaml),
		 "version: 1\nname: script\n"
		 "filesystem:\n  allow:\n    - path: \"%s\"\n"
		 "      mode: \"rw\"\n"
		 "tools:\n  allow:\n    - name: which\n    - name: jq\n",
		 W.ws);
	cr_assert_eq(cagetest_policy(&W, yaml), 0);
	cr_assert_eq(cagetest_run(&W, NULL, cmd, NULL, 20, &r), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "0 /usr/bin/jq\nsh refused\n");
	test_run_free(&r);
	cagetest_teardown(&W);
}
