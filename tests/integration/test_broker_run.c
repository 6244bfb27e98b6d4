/* The broker inside `akios run` (the relay's sockets are made by the
 * cage's PID 1 in its network namespace, root and rootless alike): a
 * policy allowing 127.0.0.1:PORT lets curl reach a test server there and
 * nothing else, the agent holds none of the relay's sockets nor the
 * seccomp listener, tools.allow refuses a program it does not name, and
 * each decision is in the audit log. Loopback only. */
#include "tests/integration/broker_harness.h"
#include "tests/lib/cagetest.h"

static struct cage_ws W;

static void policy(uint16_t port, const char *tools)
{
	char yaml[1024];

	snprintf(yaml, sizeof(yaml),
		 "version: 1\nname: broker\n"
		 "security:\n  network: allowlist\n"
		 "  allowed_endpoints: [\"127.0.0.1:%u\"]\n"
		 "filesystem:\n  allow:\n    - path: \"${CWD}\"\n"
		 "      mode: \"rw\"\n%s",
		 (unsigned)port, tools ? tools : "");
	cr_assert_eq(cagetest_policy(&W, yaml), 0);
}

/* True when the audit log holds a record containing every needle. */
static bool audited(const char *a, const char *b)
{
	char *data = cagetest_audit_text(&W);
	bool found = false;
	size_t len;

	cr_assert_not_null(data);
	len = strlen(data);
	for (char *p = data; p < data + len && !found;) {
		char *e = memchr(p, '\n', (size_t)(data + len - p));

		if (!e)
			e = data + len;
		*e = '\0';
		found = memmem(p, (size_t)(e - p), a, strlen(a)) &&
			memmem(p, (size_t)(e - p), b, strlen(b));
		p = e + 1;
	}
	free(data);
	return found;
}

/* The agent's fd table holds its stdio (pipes here) and no socket
 * (relay, diag, status) or seccomp listener. */
static void agent_fds_clean(void)
{
	char *cmd[] = {"sh", "-c", "ls -l /proc/$$/fd", NULL};
	struct test_run r;

	cr_assert_eq(cagetest_run(&W, NULL, cmd, NULL, 30, &r), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "pipe:"), "%s", r.out);
	cr_assert_null(strstr(r.out, "socket:"), "%s", r.out);
	cr_assert_null(strstr(r.out, "seccomp"), "%s", r.out);
	test_run_free(&r);
}

static void allowlisted_only(bool rootless)
{
	struct srv ok, bad;
	char url[64], dest[64];
	struct test_run r;

	srv_start(&ok);
	srv_start(&bad);
	cr_assert_eq(cagetest_setup(&W, rootless), 0);
	policy(ok.port, NULL);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", (unsigned)ok.port);
	char *cmd[] = {"curl", "-sS", "--max-time", "5", url, NULL};

	cr_assert_eq(cagetest_run(&W, NULL, cmd, NULL, 30, &r), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "hello");
	test_run_free(&r);
	snprintf(dest, sizeof(dest), "\"dest\":\"127.0.0.1:%u\"",
		 (unsigned)ok.port);
	cr_assert(
	    audited("\"type\":\"net.connect\",\"decision\":\"allow\"", dest));
	cr_assert(audited("\"type\":\"net.close\"", "\"bytes_down\":43"));

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", (unsigned)bad.port);
	cr_assert_eq(cagetest_run(&W, NULL, cmd, NULL, 30, &r), 0);
	cr_assert_eq(r.status, 7, "curl: couldn't connect: %s", r.err);
	test_run_free(&r);
	srv_stop(&ok);
	srv_stop(&bad);
	cr_assert_eq(ok.accepted, 1);
	cr_assert_eq(bad.accepted, 0, "the other port was reached");
	agent_fds_clean();
	cagetest_teardown(&W);
}

Test(broker_run, allowlisted_loopback_endpoint_only_root, .timeout = 60)
{
	allowlisted_only(false);
}

/* Rootless: the same path (the cage child makes the relay). */
Test(broker_run, allowlisted_loopback_endpoint_only_rootless, .timeout = 60)
{
	allowlisted_only(true);
}

Test(broker_run, tools_allow_refuses_unlisted_programs, .timeout = 60)
{
	struct test_run r;
	char *cmd[] = {"sh", "-c",
		       "env true; echo env=$?; cat /dev/null; echo cat=$?",
		       NULL};

	cr_assert_eq(cagetest_setup(&W, false), 0);
	policy(1, "tools:\n  allow:\n    - name: \"curl\"\n");
	cr_assert_eq(cagetest_run(&W, NULL, cmd, NULL, 30, &r), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "env=126\ncat=126\n");
	test_run_free(&r);
	cr_assert(audited("\"decision\":\"deny\",\"rule\":\"tools.allow\"",
			  "\"argv\":[\"cat\",\"/dev/null\"]"));
	cagetest_teardown(&W);
}

/* An exec's "resolved" name is the file in the cage's view, not the one
 * at that path on the host: the cage's /tmp is its own (and noexec: the
 * exec itself fails in the kernel, after the broker's answer). */
Test(broker_run, exec_resolved_in_the_cage, .timeout = 60)
{
	struct test_run r;
	char *cmd[] = {"sh", "-c",
		       "cp /bin/true /tmp/akios-only-here && "
		       "ln -s /tmp/akios-only-here /tmp/akios-link && "
		       "/tmp/akios-link; echo rc=$?",
		       NULL};

	cr_assert_eq(cagetest_setup(&W, false), 0);
	policy(1, NULL);
	cr_assert_eq(cagetest_run(&W, NULL, cmd, NULL, 30, &r), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "rc=126\n", "%s", r.err);
	test_run_free(&r);
	cr_assert(access("/tmp/akios-only-here", F_OK) != 0);
	cr_assert(audited("\"path\":\"/tmp/akios-link\"",
			  "\"resolved\":\"/tmp/akios-only-here\""));
	cagetest_teardown(&W);
}

/* A name that resolves to 127.0.0.1 is refused (no literal listed): the
 * dry run says so, and a live curl to it never reaches the host. */
Test(broker_run, name_resolving_to_loopback_is_refused, .timeout = 60)
{
	struct srv ok;
	char yaml[512], url[64];
	struct test_run r;
	char *dry[] = {"--dry-run", NULL};
	char *drycmd[] = {"true", NULL};

	srv_start(&ok);
	cr_assert_eq(cagetest_setup(&W, false), 0);
	snprintf(yaml, sizeof(yaml),
		 "version: 1\nname: broker\n"
		 "security:\n  network: allowlist\n"
		 "  allowed_endpoints: [\"localhost:%u\"]\n"
		 "filesystem:\n  allow:\n    - path: \"${CWD}\"\n"
		 "      mode: \"rw\"\n",
		 (unsigned)ok.port);
	cr_assert_eq(cagetest_policy(&W, yaml), 0);
	cr_assert_eq(cagetest_run(&W, dry, drycmd, NULL, 30, &r), 0);
	cr_assert_not_null(strstr(r.out, "refuse 127.0.0.1 (loopback, "
					 "guard.resolved-special)"),
			   "%s", r.out);
	test_run_free(&r);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", (unsigned)ok.port);
	char *cmd[] = {"curl", "-sS", "--max-time", "5", url, NULL};

	cr_assert_eq(cagetest_run(&W, NULL, cmd, NULL, 30, &r), 0);
	cr_assert_eq(r.status, 7, "%s", r.err);
	test_run_free(&r);
	srv_stop(&ok);
	cr_assert_eq(ok.accepted, 0);
	cagetest_teardown(&W);
}

/* A connection still open when the agent ends (the upstream never
 * answers nor closes) gets its net.close, bytes and ECONNABORTED, before
 * run.end: the run's end must not swallow it. */
Test(broker_run, connection_open_at_run_end_is_audited, .timeout = 60)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char prog[256];
	struct test_run r;

	cr_assert_geq(lfd, 0);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(lfd, 4), 0); /* never accepted: held open */
	cr_assert_eq(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
	snprintf(prog, sizeof(prog),
		 "import socket; s = socket.create_connection(('127.0.0.1', "
		 "%u)); s.sendall(b'hello')",
		 (unsigned)ntohs(a.sin_port));
	char *cmd[] = {"python3", "-c", prog, NULL};

	cr_assert_eq(cagetest_setup(&W, false), 0);
	policy(ntohs(a.sin_port), NULL);
	cr_assert_eq(cagetest_run(&W, NULL, cmd, NULL, 30, &r), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	test_run_free(&r);
	cr_assert(audited("\"type\":\"net.close\"", "\"bytes_up\":5"));
	cr_assert(audited("\"type\":\"net.close\"", "ECONNABORTED"));
	close(lfd);
	cagetest_teardown(&W);
}
