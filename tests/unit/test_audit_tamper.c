/* Tamper evidence of the ledger (shared/audit/verify.c): every single-byte
 * flip, a deleted record, two swapped records, a mid-record truncation, a
 * replaced checkpoint and a checkpoint re-signed with another key are each
 * detected and the first bad record is named. Also: a writer killed with
 * SIGKILL loses no acknowledged event, and the log verifies after recovery. */
#include "shared/common.h"
#include "shared/audit/audit_int.h"
#include "shared/audit/audit_read.h"
#include "shared/fileio.h"
#include "shared/limits.h"
#include "tests/lib/testlib.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

static char *tmp;
static char dir[512], logp[600], pubp[700];

static void setup(void)
{
	char keys[600];

	tmp = test_tmpdir("akios-audit-t");
	cr_assert_not_null(tmp);
	snprintf(dir, sizeof(dir), "%s/audit", tmp);
	snprintf(logp, sizeof(logp), "%s/events.log", dir);
	snprintf(keys, sizeof(keys), "%s/keys", tmp);
	snprintf(pubp, sizeof(pubp), "%s/akios.pub", keys);
	setenv("AKIOS_KEY_DIR", keys, 1);
}

static void teardown(void)
{
	test_rmtree(tmp);
	free(tmp);
}

TestSuite(audit_tamper, .init = setup, .fini = teardown);

/* Writes `runs` writer sessions of `per` events each. */
static void make_log(unsigned runs, unsigned per)
{
	for (unsigned r = 0; r < runs; r++) {
		struct audit_log *log = NULL;
		struct akios_err err = {0};

		cr_assert_eq(audit_open(dir, NULL, &log, &err), 0, "%s",
			     err.msg);
		for (unsigned i = 0; i < per; i++) {
			struct json *f = json_new_object();

			cr_assert_not_null(json_add_num(f, "i", i));
			cr_assert_not_null(
			    json_add_str(f, "note", "some text"));
			cr_assert_eq(
			    audit_append(log, "t.ev", "allow", f, &err), 0);
			json_free(f);
		}
		cr_assert_eq(audit_close(log, &err), 0, "%s", err.msg);
	}
}

static int verify(struct audit_verify_result *res, struct akios_err *err)
{
	struct audit_verify_opts o = {.pub_path = pubp};

	memset(err, 0, sizeof(*err));
	return audit_verify_dir(dir, &o, res, err);
}

/* Byte offsets of each record (ends[i] is where record i ends). */
static size_t record_ends(const struct akios_buf *b, size_t *ends, size_t max)
{
	size_t off = AUDIT_FILE_HDR_LEN;
	size_t n = 0;

	while (off < b->len && n < max) {
		const uint8_t *p = (const uint8_t *)b->ptr + off;
		size_t len = p[0] | p[1] << 8 | p[2] << 16 | (size_t)p[3] << 24;

		off += len + AUDIT_REC_OVERHEAD;
		ends[n++] = off;
	}
	return n;
}

static void load(struct akios_buf *b)
{
	struct akios_err err = {0};

	akios_buf_init(b, 16 * 1024 * 1024);
	cr_assert_eq(fileio_read_all(logp, b, &err), 0, "%s", err.msg);
}

static void store(const void *p, size_t n)
{
	int fd = open(logp, O_WRONLY | O_TRUNC | O_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_eq(fileio_write_full(fd, p, n), 0);
	close(fd);
}

Test(audit_tamper, untouched_log_verifies_after_many_runs)
{
	struct audit_verify_result res;
	struct akios_err err;

	for (int i = 0; i < 8; i++) {
		make_log(1, 5);
		cr_assert_eq(verify(&res, &err), 0, "%s", err.msg);
	}
	cr_assert_eq(res.events, 41); // key_generated + 8 * 5
	cr_assert_eq(res.checkpoints, 8);
	cr_assert_eq(res.signed_size, 41);
}

Test(audit_tamper, every_byte_flip_is_detected_at_its_record)
{
	struct audit_verify_result res;
	struct akios_err err;
	struct akios_buf b;
	size_t ends[64];
	size_t n, k = 0;

	make_log(2, 4);
	load(&b);
	n = record_ends(&b, ends, 64);
	cr_assert_eq(n, 9);
	for (size_t pos = 0; pos < b.len; pos++) {
		b.ptr[pos] ^= 0x20;
		store(b.ptr, b.len);
		cr_assert_neq(verify(&res, &err), 0, "flip at %zu undetected",
			      pos);
		while (k < n && pos >= ends[k])
			k++;
		if (pos >= AUDIT_FILE_HDR_LEN)
			cr_assert_eq(res.bad_index, k,
				     "flip at %zu: named %lu, want %zu (%s)",
				     pos, (unsigned long)res.bad_index, k,
				     err.msg);
		b.ptr[pos] ^= 0x20;
	}
	store(b.ptr, b.len);
	cr_assert_eq(verify(&res, &err), 0, "%s", err.msg);
	akios_buf_free(&b);
}

Test(audit_tamper, deleted_record_is_named)
{
	struct audit_verify_result res;
	struct akios_err err;
	struct akios_buf b;
	size_t ends[64];

	make_log(1, 6);
	load(&b);
	record_ends(&b, ends, 64);
	// Drop record 3: [ends[2], ends[3]).
	memmove(b.ptr + ends[2], b.ptr + ends[3], b.len - ends[3]);
	store(b.ptr, b.len - (ends[3] - ends[2]));
	cr_assert_neq(verify(&res, &err), 0);
	cr_assert_eq(res.bad_index, 3, "%s", err.msg);
	cr_assert_eq(res.bad_offset, ends[2]);
	cr_assert(strstr(err.msg, "record 3 at byte offset"), "%s", err.msg);
	akios_buf_free(&b);
}

Test(audit_tamper, swapped_records_are_named)
{
	struct audit_verify_result res;
	struct akios_err err;
	struct akios_buf b;
	struct akios_buf out;
	size_t ends[64];

	make_log(1, 6);
	load(&b);
	record_ends(&b, ends, 64);
	akios_buf_init(&out, b.len);
	// Records 2 and 4 trade places.
	cr_assert_eq(akios_buf_append(&out, b.ptr, ends[1]), 0);
	cr_assert_eq(akios_buf_append(&out, b.ptr + ends[3], ends[4] - ends[3]),
		     0);
	cr_assert_eq(akios_buf_append(&out, b.ptr + ends[2], ends[3] - ends[2]),
		     0);
	cr_assert_eq(akios_buf_append(&out, b.ptr + ends[1], ends[2] - ends[1]),
		     0);
	cr_assert_eq(akios_buf_append(&out, b.ptr + ends[4], b.len - ends[4]),
		     0);
	store(out.ptr, out.len);
	cr_assert_neq(verify(&res, &err), 0);
	cr_assert_eq(res.bad_index, 2, "%s", err.msg);
	akios_buf_free(&b);
	akios_buf_free(&out);
}

Test(audit_tamper, truncation_mid_record_is_named)
{
	struct audit_verify_result res;
	struct akios_err err;
	struct akios_buf b;
	size_t ends[64];

	make_log(1, 6);
	load(&b);
	record_ends(&b, ends, 64);
	store(b.ptr, ends[4] + 9);
	cr_assert_neq(verify(&res, &err), 0);
	cr_assert_eq(res.bad_index, 5, "%s", err.msg);
	cr_assert_eq(res.bad_offset, ends[4]);
	// Whole records cut at a boundary: the checkpoint still says more.
	store(b.ptr, ends[4]);
	cr_assert_neq(verify(&res, &err), 0);
	cr_assert_eq(res.bad_index, 5, "%s", err.msg);
	cr_assert(strstr(err.msg, "records removed"), "%s", err.msg);
	akios_buf_free(&b);
}

Test(audit_tamper, rewritten_record_with_fixed_checksum_fails_the_checkpoint)
{
	struct audit_verify_result res;
	struct akios_err err;
	struct akios_buf b;
	size_t ends[64];
	uint8_t leaf[32];
	char *at;

	make_log(2, 3); // checkpoints at 4 and 7
	load(&b);
	record_ends(&b, ends, 64);
	at = memmem(b.ptr + ends[4], ends[5] - ends[4], "allow", 5);
	cr_assert_not_null(at);
	memcpy(at, "ALLOW", 5); // record 5: same length, checksum redone
	audit_leaf_hash(b.ptr + ends[4] + AUDIT_REC_HDR_LEN,
			ends[5] - ends[4] - AUDIT_REC_OVERHEAD, leaf);
	memcpy(b.ptr + ends[4] + 4, leaf, 8);
	store(b.ptr, b.len);
	cr_assert_neq(verify(&res, &err), 0);
	cr_assert_eq(res.bad_index, 4, "%s", err.msg); // after checkpoint 4
	cr_assert(strstr(err.msg, "between index 4 and 6"), "%s", err.msg);
	akios_buf_free(&b);
}

static void cp_path(uint64_t size, char *out, size_t n)
{
	snprintf(out, n, "%s/checkpoints/%020lu", dir, (unsigned long)size);
}

Test(audit_tamper, replaced_checkpoint_is_detected)
{
	struct audit_verify_result res;
	struct akios_err err;
	struct akios_buf b;
	char p4[700], p7[700];

	make_log(2, 3);
	cp_path(4, p4, sizeof(p4));
	cp_path(7, p7, sizeof(p7));
	akios_buf_init(&b, AKIOS_MAX_CHECKPOINT_BYTES);
	cr_assert_eq(fileio_read_all(p7, &b, &err), 0);
	cr_assert_eq(
	    fileio_write_atomic(p4, b.ptr, b.len, 0644, FILEIO_REPLACE, &err),
	    0);
	cr_assert_neq(verify(&res, &err), 0);
	cr_assert(strstr(err.msg, "00000000000000000004"), "%s", err.msg);
	// An edited root breaks the signature.
	b.ptr[strlen(b.ptr) / 3] ^= 1;
	cr_assert_eq(
	    fileio_write_atomic(p7, b.ptr, b.len, 0644, FILEIO_REPLACE, &err),
	    0);
	akios_buf_free(&b);
	cr_assert_neq(verify(&res, &err), 0);
}

Test(audit_tamper, checkpoint_signed_by_another_key_is_refused)
{
	struct audit_verify_result res;
	struct akios_err err = {0};
	struct crypto_key *other = NULL;
	struct audit_checkpoint cp = {0};
	struct akios_buf text;
	struct audit_log *log = NULL;
	char p[700];

	make_log(1, 3);
	cr_assert_eq(audit_open(dir, NULL, &log, &err), 0);
	memcpy(cp.origin, log->origin, sizeof(cp.origin));
	cp.size = audit_size(log);
	audit_root(log, cp.root);
	cr_assert_eq(audit_close(log, &err), 0);
	cr_assert_eq(crypto_key_generate(&other), 0);
	akios_buf_init(&text, AKIOS_MAX_CHECKPOINT_BYTES);
	cr_assert_eq(audit_checkpoint_sign(&cp, other, &text), 0);
	cp_path(cp.size, p, sizeof(p));
	cr_assert_eq(fileio_write_atomic(p, text.ptr, text.len, 0644,
					 FILEIO_REPLACE, &err),
		     0);
	cr_assert_neq(verify(&res, &err), 0);
	cr_assert(strstr(err.msg, "no signature by the trusted key"), "%s",
		  err.msg);
	akios_buf_free(&text);
	crypto_key_free(other);
}

/* The child appends and commits in a loop, reporting each acknowledged
 * size on the pipe, until it is killed. */
static void crash_child(int wfd)
{
	struct audit_log *log = NULL;
	struct akios_err err = {0};

	if (audit_open(dir, NULL, &log, &err))
		_exit(3);
	for (;;) {
		uint64_t size;

		for (int i = 0; i < 3; i++) {
			if (audit_append(log, "t.loop", NULL, NULL, &err))
				_exit(4);
		}
		if (audit_commit(log, &err))
			_exit(5);
		size = audit_size(log);
		if (write(wfd, &size, sizeof(size)) != sizeof(size))
			_exit(6);
	}
}

static uint64_t last_acked(int rfd, uint64_t last)
{
	uint64_t v;

	while (read(rfd, &v, sizeof(v)) == sizeof(v))
		last = v;
	return last;
}

Test(audit_tamper, sigkill_loses_no_acknowledged_event, .timeout = 60)
{
	struct audit_verify_result res;
	struct akios_err err;

	uint64_t total = 0;

	make_log(1, 1);
	for (int round = 0; round < 20; round++) {
		int fds[2];
		pid_t pid;
		struct timespec ts = {0, (1 + round % 7) * 3000000L};
		struct audit_log *log = NULL;
		uint64_t acked;

		cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
		pid = fork();
		cr_assert_geq(pid, 0);
		if (pid == 0) {
			close(fds[0]);
			crash_child(fds[1]);
		}
		close(fds[1]);
		// The kill lands a few ms after the first acknowledgement,
		// whatever the start-up cost (ASan builds are slow).
		cr_assert_eq(read(fds[0], &acked, sizeof(acked)),
			     sizeof(acked));
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		acked = last_acked(fds[0], acked);
		close(fds[0]);
		cr_assert_eq(audit_open(dir, NULL, &log, &err), 0, "%s",
			     err.msg);
		cr_assert_geq(audit_size(log), acked, "round %d", round);
		total += acked;
		cr_assert_eq(audit_close(log, &err), 0);
		cr_assert_eq(verify(&res, &err), 0, "round %d: %s", round,
			     err.msg);
	}
	cr_assert_gt(total, 20, "the writer never acknowledged an event");
}

Test(audit_tamper, deleting_every_checkpoint_is_detected)
{
	struct audit_verify_result res;
	struct akios_err err;
	char p[700];

	make_log(1, 2);
	cp_path(3, p, sizeof(p));
	cr_assert_eq(unlink(p), 0);
	cr_assert_neq(verify(&res, &err), 0);
	cr_assert(strstr(err.msg, "no signed checkpoint"), "%s", err.msg);
}
