/* The audit writer (shared/audit/writer.c, append.c): open, append, group
 * commit, checkpoints, the single-writer lock, key generation, redaction,
 * torn-tail recovery and fault injection on write/fdatasync (an acknowledged
 * event is never lost; after an error the log is fail-closed). */
#include "shared/common.h"
#include "shared/audit/audit_int.h"
#include "shared/audit/audit_read.h"
#include "shared/limits.h"
#include "tests/lib/testlib.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

static char *tmp;
static char dir[512];

static void setup(void)
{
	char keys[600];

	tmp = test_tmpdir("akios-audit-w");
	cr_assert_not_null(tmp);
	snprintf(dir, sizeof(dir), "%s/audit", tmp);
	snprintf(keys, sizeof(keys), "%s/keys", tmp);
	setenv("AKIOS_KEY_DIR", keys, 1);
}

static void teardown(void)
{
	test_rmtree(tmp);
	free(tmp);
}

TestSuite(audit_writer, .init = setup, .fini = teardown);

static struct audit_log *open_ok(void)
{
	struct audit_log *log = NULL;
	struct akios_err err = {0};

	cr_assert_eq(audit_open(dir, NULL, &log, &err), 0, "%s", err.msg);
	return log;
}

static void append_n(struct audit_log *log, unsigned n)
{
	struct akios_err err = {0};

	for (unsigned i = 0; i < n; i++) {
		struct json *f = json_new_object();

		cr_assert_not_null(json_add_num(f, "i", i));
		cr_assert_eq(audit_append(log, "test.step", "allow", f, &err),
			     0, "%s", err.msg);
		json_free(f);
	}
}

/* Reads back every record; returns the count, fills the last payload. */
static uint64_t read_back(char *last, size_t size)
{
	struct audit_scan s;
	struct audit_rec rec;
	struct akios_err err = {0};
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	cr_assert_geq(dfd, 0);
	cr_assert_eq(audit_scan_open(dfd, dir, &s, &err), 0, "%s", err.msg);
	while ((rc = audit_scan_next(&s, &rec, &err)) == 1) {
		if (last)
			snprintf(last, size, "%.*s", (int)rec.len,
				 (const char *)rec.payload);
	}
	cr_assert_eq(rc, 0, "%s", err.msg);
	audit_scan_close(&s);
	close(dfd);
	return s.index;
}

Test(audit_writer, append_commit_close_reopen)
{
	struct audit_log *log = open_ok();
	struct akios_err err = {0};
	uint8_t root[32], root2[32];
	char last[512];
	uint64_t n;

	append_n(log, 10);
	cr_assert_eq(audit_commit(log, &err), 0, "%s", err.msg);
	n = audit_size(log);
	cr_assert_eq(n, 11); // audit.key_generated + 10
	audit_root(log, root);
	cr_assert_eq(audit_close(log, &err), 0, "%s", err.msg);
	cr_assert_eq(read_back(last, sizeof(last)), 11);
	cr_assert(strstr(last, "\"seq\":10,\"time\":\"") == last + 1, "%s",
		  last);
	cr_assert(strstr(last, "\"type\":\"test.step\",\"decision\":\"allow\","
			       "\"i\":9}"),
		  "%s", last);
	log = open_ok();
	cr_assert_eq(audit_size(log), 11);
	audit_root(log, root2);
	cr_assert_arr_eq(root, root2, 32);
	cr_assert_eq(audit_close(log, &err), 0);
}

Test(audit_writer, first_open_generates_the_default_key)
{
	struct audit_log *log = open_ok();
	struct akios_err err = {0};
	char path[700], last[512];
	struct stat st;

	cr_assert_eq(audit_close(log, &err), 0);
	snprintf(path, sizeof(path), "%s/keys/akios.key", tmp);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	read_back(last, sizeof(last));
	cr_assert(strstr(last, "\"type\":\"audit.key_generated\""), "%s", last);
}

Test(audit_writer, explicit_missing_key_is_an_error)
{
	struct audit_opts o = {.key_path = "/nonexistent/akios.key"};
	struct audit_log *log = NULL;
	struct akios_err err = {0};

	cr_assert_neq(audit_open(dir, &o, &log, &err), 0);
	cr_assert_null(log);
	cr_assert(strstr(err.file ? err.file : "", "/nonexistent"), "%s",
		  err.file);
}

Test(audit_writer, second_writer_gets_a_lock_error)
{
	struct audit_log *a = open_ok();
	struct audit_log *b = NULL;
	struct akios_err err = {0};

	cr_assert_eq(audit_open(dir, NULL, &b, &err), -EBUSY);
	cr_assert(strstr(err.msg, "locked by another writer (pid "), "%s",
		  err.msg);
	cr_assert_eq(audit_close(a, &err), 0);
	b = open_ok(); // released on close
	cr_assert_eq(audit_close(b, &err), 0);
}

Test(audit_writer, bad_types_and_reserved_fields_are_refused)
{
	struct audit_log *log = open_ok();
	struct akios_err err = {0};
	struct json *f = json_new_object();

	cr_assert_neq(audit_append(log, "Bad Type", NULL, NULL, &err), 0);
	cr_assert_not_null(json_add_str(f, "seq", "7"));
	cr_assert_neq(audit_append(log, "x", NULL, f, &err), 0);
	cr_assert(strstr(err.msg, "'seq'"), "%s", err.msg);
	json_free(f);
	cr_assert(audit_type_reserved("run.start"));
	cr_assert(audit_type_reserved("exec"));
	cr_assert_not(audit_type_reserved("ci.step"));
	cr_assert_not(audit_type_reserved("execute"));
	cr_assert_eq(audit_close(log, &err), 0);
}

static int redact_digits(void *ctx, const char *in, size_t len,
			 struct akios_buf *out)
{
	(*(int *)ctx)++;
	for (size_t i = 0; i < len; i++) {
		char c = in[i] >= '0' && in[i] <= '9' ? '#' : in[i];
		int rc = akios_buf_append(out, &c, 1);

		if (rc)
			return rc;
	}
	return 0;
}

Test(audit_writer, redaction_happens_before_storage)
{
	int calls = 0;
	struct audit_opts o = {.redact = redact_digits, .redact_ctx = &calls};
	struct audit_log *log = NULL;
	struct akios_err err = {0};
	static const char in[] =
	    "{\"card\":\"4111 1111\",\"n\":{\"x\":\"a1\"}}";
	struct json *f = json_parse(in, sizeof(in) - 1, NULL);
	char last[512];

	cr_assert_not_null(f);
	cr_assert_eq(audit_open(dir, &o, &log, &err), 0, "%s", err.msg);
	cr_assert_eq(audit_append(log, "llm-note", NULL, f, &err), 0);
	cr_assert_eq(audit_close(log, &err), 0);
	json_free(f);
	read_back(last, sizeof(last));
	cr_assert(strstr(last, "\"card\":\"#### ####\",\"n\":{\"x\":\"a#\"}"),
		  "%s", last);
	cr_assert_null(strstr(last, "4111"));
	cr_assert_geq(calls, 2);
}

Test(audit_writer, torn_tail_is_truncated_and_reported)
{
	struct audit_log *log = open_ok();
	struct akios_err err = {0};
	char path[700], last[512];
	int fd;

	append_n(log, 3);
	cr_assert_eq(audit_close(log, &err), 0);
	snprintf(path, sizeof(path), "%s/events.log", dir);
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	cr_assert_eq(write(fd,
			   "\x40\x00\x00\x00"
			   "abcdefgh{\"seq\"",
			   19),
		     19);
	close(fd);
	log = open_ok();
	cr_assert_eq(audit_size(log), 5);
	cr_assert_eq(audit_close(log, &err), 0);
	cr_assert_eq(read_back(last, sizeof(last)), 5);
	cr_assert(strstr(last, "\"type\":\"audit.recovered\""), "%s", last);
	cr_assert(strstr(last, "\"truncated_bytes\":19"), "%s", last);
}

Test(audit_writer, removed_records_behind_a_checkpoint_are_refused)
{
	struct audit_log *log = open_ok();
	struct akios_err err = {0};
	char path[700];
	struct stat st;

	append_n(log, 4);
	cr_assert_eq(audit_close(log, &err), 0);
	snprintf(path, sizeof(path), "%s/events.log", dir);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(truncate(path, st.st_size - 5), 0);
	log = NULL;
	cr_assert_neq(audit_open(dir, NULL, &log, &err), 0);
	cr_assert(strstr(err.msg, "records were removed"), "%s", err.msg);
}

struct fault {
	int fail_write_at; /* 1-based call to fail; 0: never */
	int fail_sync_at;
	int writes, syncs;
};

static ssize_t f_write(void *ctx, int fd, const void *p, size_t n)
{
	struct fault *f = ctx;

	if (++f->writes == f->fail_write_at) {
		// A short write first, as a full disk would give.
		if (n > 7)
			(void)!write(fd, p, 7);
		errno = ENOSPC;
		return -1;
	}
	return write(fd, p, n);
}

static int f_sync(void *ctx, int fd)
{
	struct fault *f = ctx;

	if (++f->syncs == f->fail_sync_at) {
		errno = EIO;
		return -1;
	}
	return fdatasync(fd);
}

/* Appends and commits one event per round until a fault; returns how many
 * events were acknowledged durable. */
static uint64_t run_with_fault(struct fault *fl)
{
	struct audit_io io = {f_write, f_sync, fl};
	struct audit_log *log = open_ok();
	struct akios_err err = {0};
	uint64_t acked = audit_size(log);

	audit_set_io(log, &io);
	for (int i = 0; i < 8; i++) {
		append_n(log, 1);
		if (audit_commit(log, &err) != 0) {
			cr_assert(strstr(err.msg, "closed for this run"), "%s",
				  err.msg);
			cr_assert_neq(audit_append(log, "x", NULL, NULL, &err),
				      0, "fail closed");
			break;
		}
		acked = audit_size(log);
	}
	(void)audit_close(log, &err);
	return acked;
}

Test(audit_writer, fault_injection_never_loses_acknowledged_events)
{
	for (int n = 1; n <= 6; n++) {
		for (int kind = 0; kind < 2; kind++) {
			struct fault fl = {0};
			struct audit_log *log;
			struct akios_err err = {0};
			uint64_t acked;

			test_rmtree(dir);
			if (kind)
				fl.fail_sync_at = n;
			else
				fl.fail_write_at = n;
			acked = run_with_fault(&fl);
			log = open_ok(); // recovers any torn tail
			cr_assert_geq(audit_size(log), acked, "n=%d kind=%d", n,
				      kind);
			cr_assert_eq(audit_close(log, &err), 0, "%s", err.msg);
		}
	}
}

/* akios run prepares the checkpoint's signature while the cage starts
 * (audit_prepare_signing on a key loaded lazily from its file): the
 * checkpoint it then signs verifies, and preparing twice is harmless. */
Test(audit_writer, prepared_signature_verifies)
{
	struct audit_log *log = open_ok();
	struct akios_err err = {0};
	struct audit_verify_opts vo = {0};
	struct audit_verify_result res;

	cr_assert_eq(audit_close(log, &err), 0, "%s", err.msg);
	log = open_ok(); /* the key now comes from its file */
	cr_assert_eq(audit_prepare_signing(log), 0);
	cr_assert_eq(audit_prepare_signing(log), 0);
	append_n(log, 3);
	cr_assert_eq(audit_close(log, &err), 0, "%s", err.msg);
	cr_assert_eq(audit_verify_dir(dir, &vo, &res, &err), 0, "%s", err.msg);
	cr_assert_eq(res.events, 4);
	cr_assert_eq(res.signed_size, 4);
	cr_assert_eq(res.checkpoints, 2);
}
