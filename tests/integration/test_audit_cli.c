/* `akios audit ...` end to end through the real binary: append, verify
 * (summary, --expected-hash, --json, failures naming the record), show,
 * stats, proofs checked with verify-proof, exports verified on their own,
 * uploads to file:// and to a loopback HTTP server this test starts, the
 * reserved-type refusal and the single-writer lock. */
#include "shared/common.h"
#include "shared/audit/audit.h"
#include "shared/fileio.h"
#include "tests/lib/testlib.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>

static char *tmp;
static char dir[512], keyenv[700], keydir[600];

static void setup(void)
{
	tmp = test_tmpdir("akios-audit-cli");
	cr_assert_not_null(tmp);
	snprintf(dir, sizeof(dir), "%s/audit", tmp);
	snprintf(keydir, sizeof(keydir), "%s/keys", tmp);
	snprintf(keyenv, sizeof(keyenv), "AKIOS_KEY_DIR=%s", keydir);
	setenv("AKIOS_KEY_DIR", keydir, 1);
}

static void teardown(void)
{
	test_rmtree(tmp);
	free(tmp);
}

TestSuite(audit_cli, .init = setup, .fini = teardown);

/* Runs "akios audit <args...> --audit-dir DIR" (args NULL-terminated). */
static struct test_run audit_run(const char *in, const char *const *args)
{
	char *argv[32];
	char *env[] = {keyenv, NULL};
	struct test_run r;
	int n = 0;

	argv[n++] = (char *)test_akios();
	argv[n++] = "audit";
	for (; *args && n < 28; args++)
		argv[n++] = (char *)*args;
	argv[n++] = "--audit-dir";
	argv[n++] = dir;
	argv[n] = NULL;
	cr_assert_eq(test_run(argv, in, in ? strlen(in) : 0, env, 30, &r), 0);
	return r;
}

#define RUN(in, ...) audit_run(in, (const char *const[]){__VA_ARGS__, NULL})

static void seed(void)
{
	const char *lines = "{\"type\":\"ci.step\",\"step\":\"build\"}\n"
			    "{\"type\":\"ci.step\",\"decision\":\"allow\","
			    "\"step\":\"test\"}\n"
			    "{\"type\":\"ci.deploy\",\"env\":\"prod\"}\n";
	struct test_run r = RUN(lines, "append", "--json", "-");

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "appended 3 events: size 4"), "%s", r.out);
	test_run_free(&r);
}

Test(audit_cli, append_then_verify_with_expected_hash)
{
	struct test_run r;
	char root[65], *p;

	seed();
	r = RUN(NULL, "append", "--type", "ci.note", "--field", "k=v",
		"--field", "who=ci");
	cr_assert_eq(r.status, 0, "%s", r.err);
	p = strstr(r.out, "root ");
	cr_assert_not_null(p);
	snprintf(root, sizeof(root), "%s", p + 5);
	test_run_free(&r);
	r = RUN(NULL, "verify");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strncmp(r.out, "verified: 5 events, root ", 25) == 0, "%s",
		  r.out);
	cr_assert(strstr(r.out, root));
	test_run_free(&r);
	r = RUN(NULL, "verify", "--expected-hash", root, "--json");
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert(strstr(r.out, "\"ok\":true"), "%s", r.out);
	test_run_free(&r);
	root[0] = root[0] == 'a' ? 'b' : 'a';
	r = RUN(NULL, "verify", "--expected-hash", root);
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "not the expected hash"), "%s", r.err);
	test_run_free(&r);
}

Test(audit_cli, verify_failure_names_record_and_offset)
{
	struct akios_buf b;
	struct akios_err err = {0};
	struct test_run r;
	char path[600];
	char *at;

	seed();
	snprintf(path, sizeof(path), "%s/events.log", dir);
	akios_buf_init(&b, 1 << 20);
	cr_assert_eq(fileio_read_all(path, &b, &err), 0);
	at = memmem(b.ptr, b.len, "\"test\"", 6);
	cr_assert_not_null(at);
	at[1] = 'T';
	cr_assert_eq(
	    fileio_write_atomic(path, b.ptr, b.len, 0600, FILEIO_REPLACE, &err),
	    0);
	akios_buf_free(&b);
	r = RUN(NULL, "verify");
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "record 2 at byte offset "), "%s", r.err);
	cr_assert(strstr(r.err, "checksum mismatch"), "%s", r.err);
	test_run_free(&r);
	r = RUN(NULL, "verify", "--json");
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.out, "\"bad_index\":2"), "%s", r.out);
	test_run_free(&r);
}

Test(audit_cli, reserved_types_are_refused)
{
	struct test_run r = RUN(NULL, "append", "--type", "exec.allowed");

	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "reserved for the supervisor"), "%s", r.err);
	test_run_free(&r);
	r = RUN("{\"type\":\"run.end\"}\n", "append", "--json", "-");
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "reserved"), "%s", r.err);
	test_run_free(&r);
}

Test(audit_cli, second_writer_is_refused_with_a_clear_error)
{
	struct audit_log *log = NULL;
	struct akios_err err = {0};
	struct test_run r;

	cr_assert_eq(audit_open(dir, NULL, &log, &err), 0, "%s", err.msg);
	r = RUN(NULL, "append", "--type", "ci.x");
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "locked by another writer"), "%s", r.err);
	test_run_free(&r);
	cr_assert_eq(audit_close(log, &err), 0);
}

Test(audit_cli, show_and_stats)
{
	struct test_run r;

	seed();
	r = RUN(NULL, "show", "--type", "ci.step");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "\"step\":\"build\"") &&
		      strstr(r.out, "\"step\":\"test\""),
		  "%s", r.out);
	cr_assert_null(strstr(r.out, "ci.deploy"));
	test_run_free(&r);
	r = RUN(NULL, "show", "--last", "1", "--json");
	cr_assert(strncmp(r.out, "{\"seq\":3,", 9) == 0, "%s", r.out);
	cr_assert_eq(strchr(r.out, '\n'), r.out + r.out_len - 1, "one line");
	test_run_free(&r);
	r = RUN(NULL, "stats");
	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.out, "events:      4"), "%s", r.out);
	cr_assert(strstr(r.out, "ci.step"));
	test_run_free(&r);
}

static void write_out(const char *name, const struct test_run *r, char *path,
		      size_t n)
{
	snprintf(path, n, "%s/%s", tmp, name);
	cr_assert_eq(test_write_file(path, r->out), 0);
}

Test(audit_cli, inclusion_and_consistency_proofs_verify)
{
	struct test_run r;
	char proof[600], cp[700], ev[600];

	seed();
	r = RUN(NULL, "proof", "--index", "2");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strncmp(r.out,
			  "akios-audit-proof inclusion\nindex 2\n"
			  "size 4\n",
			  36) == 0,
		  "%s", r.out);
	write_out("p.txt", &r, proof, sizeof(proof));
	test_run_free(&r);
	r = RUN(NULL, "show", "--last", "2", "--json");
	*strchr(r.out, '\n') = '\0'; // event 2's exact bytes
	write_out("ev.json", &r, ev, sizeof(ev));
	test_run_free(&r);
	snprintf(cp, sizeof(cp), "%s/checkpoints/%020d", dir, 4);
	r = RUN(NULL, "verify-proof", proof, "--checkpoint", cp, "--event", ev);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "with the trusted root"), "%s", r.out);
	test_run_free(&r);
	r = RUN(NULL, "proof", "--consistency", "1", "4");
	cr_assert_eq(r.status, 0, "%s", r.err);
	write_out("c.txt", &r, proof, sizeof(proof));
	test_run_free(&r);
	r = RUN(NULL, "verify-proof", proof, "--checkpoint", cp);
	cr_assert_eq(r.status, 0, "%s", r.err);
	test_run_free(&r);
	r = RUN(NULL, "verify-proof", proof, "--root",
		"00000000000000000000000000000000000000000000000000000000000"
		"00000");
	cr_assert_eq(r.status, 1);
	test_run_free(&r);
}

static void export_verifies(const char *fmt)
{
	struct test_run r;
	char path[600];
	char *at;

	r = RUN(NULL, "export", "--format", fmt);
	cr_assert_eq(r.status, 0, "%s", r.err);
	write_out("export.out", &r, path, sizeof(path));
	test_run_free(&r);
	r = RUN(NULL, "verify", "--export", path);
	cr_assert_eq(r.status, 0, "%s: %s", fmt, r.err);
	cr_assert(strstr(r.out, "verified: 4 events"), "%s", r.out);
	test_run_free(&r);
	r = RUN(NULL, "export", "--format", fmt);
	at = strstr(r.out, "\"prod\"");
	cr_assert_not_null(at);
	at[1] = 'P';
	write_out("export.out", &r, path, sizeof(path));
	test_run_free(&r);
	r = RUN(NULL, "verify", "--export", path);
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "event 3"), "%s", r.err);
	test_run_free(&r);
}

Test(audit_cli, jsonl_and_json_exports_verify_on_their_own)
{
	struct test_run r;

	seed();
	export_verifies("jsonl");
	export_verifies("json");
	r = RUN(NULL, "export", "--format", "csv");
	cr_assert_eq(r.status, 0);
	cr_assert(strncmp(r.out,
			  "index,leaf_hash,time,run_id,type,decision,"
			  "event\n0,",
			  50) == 0,
		  "%s", r.out);
	test_run_free(&r);
}

Test(audit_cli, export_to_file_url)
{
	struct test_run r;
	char url[700], path[600];

	seed();
	snprintf(path, sizeof(path), "%s/up.jsonl", tmp);
	snprintf(url, sizeof(url), "file://%s", path);
	r = RUN(NULL, "export", "--to", url);
	cr_assert_eq(r.status, 0, "%s", r.err);
	test_run_free(&r);
	r = RUN(NULL, "verify", "--export", path);
	cr_assert_eq(r.status, 0, "%s", r.err);
	test_run_free(&r);
}

struct sink {
	int lfd;
	char method[8];
	char body[1 << 16];
	size_t body_len;
};

/* A one-shot HTTP/1.1 server on 127.0.0.1: reads one request with a
 * Content-Length body, keeps it, answers 201. */
static void *sink_main(void *arg)
{
	struct sink *s = arg;
	char buf[1 << 17];
	size_t got = 0;
	int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
	char *hdr_end = NULL;
	size_t want = 0;

	while (fd >= 0 && got < sizeof(buf) - 1) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
		hdr_end = strstr(buf, "\r\n\r\n");
		if (hdr_end && !want) {
			char *cl = strcasestr(buf, "Content-Length:");

			want = cl ? strtoul(cl + 15, NULL, 10) : 0;
			if (strstr(buf, "Expect: 100-continue"))
				(void)!write(
				    fd, "HTTP/1.1 100 Continue\r\n\r\n", 25);
		}
		if (hdr_end && got >= (size_t)(hdr_end + 4 - buf) + want)
			break;
	}
	if (hdr_end) {
		snprintf(s->method, sizeof(s->method), "%.*s",
			 (int)strcspn(buf, " "), buf);
		s->body_len = got - (size_t)(hdr_end + 4 - buf);
		memcpy(s->body, hdr_end + 4, s->body_len);
	}
	if (fd >= 0) {
		const char *ok = "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n"
				 "Connection: close\r\n\r\n";

		(void)!write(fd, ok, strlen(ok));
		close(fd);
	}
	return NULL;
}

static void http_upload(const char *method)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);
	struct sink *s = calloc(1, sizeof(*s));
	pthread_t th;
	struct test_run r;
	char url[128], path[600];

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(s->lfd, 1), 0);
	getsockname(s->lfd, (struct sockaddr *)&a, &alen);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/ledger",
		 ntohs(a.sin_port));
	pthread_create(&th, NULL, sink_main, s);
	r = RUN(NULL, "export", "--to", url, "--method", method);
	pthread_join(th, NULL);
	close(s->lfd);
	cr_assert_eq(r.status, 0, "%s", r.err);
	test_run_free(&r);
	cr_assert_str_eq(s->method, method);
	cr_assert_gt(s->body_len, 100);
	s->body[s->body_len] = '\0';
	snprintf(path, sizeof(path), "%s/posted.jsonl", tmp);
	cr_assert_eq(test_write_file(path, s->body), 0);
	free(s);
	r = RUN(NULL, "verify", "--export", path);
	cr_assert_eq(r.status, 0, "%s", r.err);
	test_run_free(&r);
}

Test(audit_cli, export_to_loopback_http_put_and_post)
{
	seed();
	http_upload("PUT");
	http_upload("POST");
}
