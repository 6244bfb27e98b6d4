/* The open-time shortcut (shared/audit/state.c, writer.c): audit_open
 * reads only the records after the newest checkpoint when events.state
 * holds, and rebuilds from every record, with identical results, when the
 * state is missing, garbage, stale or disagrees with the checkpoint. The
 * guarantees of the full rebuild stay: torn tails are truncated, records
 * removed below the checkpoint are refused, appends continue the tree. */
#include "shared/common.h"
#include "shared/audit/audit_int.h"
#include "shared/audit/audit_read.h"
#include "tests/lib/testlib.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#define N_EVENTS 300

static char *tmp;
static char dir[512];
static char logpath[600];
static char statepath[600];

static void setup(void)
{
	char keys[600];

	tmp = test_tmpdir("akios-audit-st");
	cr_assert_not_null(tmp);
	snprintf(dir, sizeof(dir), "%s/audit", tmp);
	snprintf(logpath, sizeof(logpath), "%s/" AUDIT_LOG_NAME, dir);
	snprintf(statepath, sizeof(statepath), "%s/" AUDIT_STATE_NAME, dir);
	snprintf(keys, sizeof(keys), "%s/keys", tmp);
	setenv("AKIOS_KEY_DIR", keys, 1);
}

static void teardown(void)
{
	test_rmtree(tmp);
	free(tmp);
}

TestSuite(audit_state, .init = setup, .fini = teardown);

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
		cr_assert_eq(audit_append(log, "test.step", NULL, f, &err), 0,
			     "%s", err.msg);
		json_free(f);
	}
}

static void close_ok(struct audit_log *log)
{
	struct akios_err err = {0};

	cr_assert_eq(audit_close(log, &err), 0, "%s", err.msg);
}

/* A log of N_EVENTS + 1 records (key_generated first), checkpointed, with
 * its state file; gives the size and root. */
static uint64_t make_log(uint8_t root[32])
{
	struct audit_log *log = open_ok();
	uint64_t n;

	append_n(log, N_EVENTS);
	n = audit_size(log);
	audit_root(log, root);
	close_ok(log);
	cr_assert_eq(access(statepath, F_OK), 0, "state written");
	return n;
}

/* Opens and returns how many records the open read; checks size/root. */
static uint64_t open_expect(uint64_t size, const uint8_t root[32])
{
	struct audit_log *log = open_ok();
	uint8_t r[32];
	uint64_t scanned = log->open_scanned;

	cr_assert_eq(audit_size(log), size);
	audit_root(log, r);
	cr_assert_arr_eq(r, root, 32);
	close_ok(log);
	return scanned;
}

static void verify_ok(void)
{
	struct audit_verify_opts o = {0};
	struct audit_verify_result res;
	struct akios_err err = {0};

	cr_assert_eq(audit_verify_dir(dir, &o, &res, &err), 0, "%s", err.msg);
}

static void write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, p, n), (ssize_t)n);
	close(fd);
}

static size_t read_state(struct audit_state *st, uint8_t *buf)
{
	int fd = open(statepath, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	cr_assert_geq(fd, 0);
	n = read(fd, buf, AUDIT_STATE_MAX);
	close(fd);
	cr_assert_gt(n, 0);
	cr_assert_eq(audit_state_decode(buf, (size_t)n, st), 0);
	return (size_t)n;
}

static void write_state(const struct audit_state *st)
{
	uint8_t buf[AUDIT_STATE_MAX];

	write_file(statepath, buf, audit_state_encode(st, buf));
}

Test(audit_state, open_reads_only_the_records_after_the_checkpoint)
{
	uint8_t root[32];
	uint64_t n = make_log(root);

	cr_assert_eq(open_expect(n, root), 1, "only the vouched record");
	verify_ok();
}

Test(audit_state, early_record_change_passes_open_but_not_verify)
{
	struct audit_verify_opts o = {0};
	struct audit_verify_result res;
	struct akios_err err = {0};
	uint8_t root[32];
	uint64_t n = make_log(root);
	int fd = open(logpath, O_WRONLY | O_CLOEXEC);

	// Byte 100 is inside record 0's JSON: a fast open does not read it.
	cr_assert_geq(fd, 0);
	cr_assert_eq(pwrite(fd, "Z", 1, 100), 1);
	close(fd);
	cr_assert_eq(open_expect(n, root), 1);
	cr_assert_neq(audit_verify_dir(dir, &o, &res, &err), 0);
	cr_assert_eq(res.bad_index, 0, "%s", err.msg);
}

/* Each damaged state must give the full rebuild's answer. */
static void expect_full_rebuild(uint64_t n, const uint8_t root[32])
{
	cr_assert_eq(open_expect(n, root), n, "full rebuild");
	// That open rewrote the state: the next one is fast again.
	cr_assert_eq(open_expect(n, root), 1);
}

Test(audit_state, missing_state_rebuilds)
{
	uint8_t root[32];
	uint64_t n = make_log(root);

	cr_assert_eq(unlink(statepath), 0);
	expect_full_rebuild(n, root);
}

Test(audit_state, garbage_or_truncated_state_rebuilds)
{
	uint8_t buf[AUDIT_STATE_MAX];
	struct audit_state st;
	uint8_t root[32];
	uint64_t n = make_log(root);
	size_t len = read_state(&st, buf);

	write_file(statepath, "not a state\n", 12);
	expect_full_rebuild(n, root);
	write_file(statepath, buf, len - 1);
	expect_full_rebuild(n, root);
	write_file(statepath, "", 0);
	expect_full_rebuild(n, root);
}

Test(audit_state, mismatched_root_rebuilds)
{
	uint8_t buf[AUDIT_STATE_MAX];
	struct audit_state st;
	uint8_t root[32];
	uint64_t n = make_log(root);

	read_state(&st, buf);
	st.fr.node[0][5] ^= 1; // well-formed, but not the signed tree
	write_state(&st);
	expect_full_rebuild(n, root);
}

Test(audit_state, wrong_offsets_rebuild)
{
	uint8_t buf[AUDIT_STATE_MAX];
	struct audit_state st, good;
	uint8_t root[32];
	uint64_t n = make_log(root);

	read_state(&good, buf);
	st = good;
	st.end -= 1; // the vouched record no longer frames
	write_state(&st);
	expect_full_rebuild(n, root);
	st = good;
	st.end += 1u << 20; // beyond the file
	write_state(&st);
	expect_full_rebuild(n, root);
	st = good;
	st.last = 0; // claims no record for a non-empty tree
	write_state(&st);
	expect_full_rebuild(n, root);
}

Test(audit_state, stale_state_rebuilds_and_appends_continue_the_tree)
{
	uint8_t buf[AUDIT_STATE_MAX];
	struct audit_state old;
	struct audit_log *log;
	uint8_t root[32];
	uint64_t n;

	make_log(root);
	read_state(&old, buf);
	log = open_ok();
	append_n(log, 7);
	n = audit_size(log);
	audit_root(log, root);
	close_ok(log);
	write_state(&old); // an older checkpoint's state, genuine
	expect_full_rebuild(n, root);
}

Test(audit_state, appends_after_a_fast_open_match_a_full_rebuild)
{
	uint8_t root[32], fast[32];
	struct audit_log *log;
	uint64_t n = make_log(root);

	for (int round = 0; round < 3; round++) {
		log = open_ok();
		cr_assert_eq(log->open_scanned, 1);
		append_n(log, 5 + (unsigned)round); // odd and even sizes
		n = audit_size(log);
		audit_root(log, fast);
		close_ok(log);
	}
	verify_ok(); // every checkpoint's root recomputed from the records
	cr_assert_eq(unlink(statepath), 0);
	cr_assert_eq(open_expect(n, fast), n);
}

Test(audit_state, torn_tail_after_a_fast_open_is_truncated)
{
	uint8_t root[32];
	struct audit_log *log;
	uint64_t n = make_log(root);
	struct stat st;
	int fd = open(logpath, O_WRONLY | O_APPEND | O_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd,
			   "\x40\x00\x00\x00"
			   "abcdefgh{\"seq\"",
			   19),
		     19);
	close(fd);
	log = open_ok();
	cr_assert_eq(log->open_scanned, 1, "fast open");
	cr_assert_eq(audit_size(log), n + 1, "audit.recovered appended");
	close_ok(log);
	cr_assert_eq(stat(logpath, &st), 0);
	verify_ok();
}

Test(audit_state, truncation_below_the_checkpoint_is_refused)
{
	struct audit_log *log = NULL;
	struct akios_err err = {0};
	uint8_t root[32];
	struct stat st;

	make_log(root);
	cr_assert_eq(stat(logpath, &st), 0);
	// Whole records cut: the state's offset is now past the end.
	cr_assert_eq(truncate(logpath, st.st_size / 2), 0);
	cr_assert_neq(audit_open(dir, NULL, &log, &err), 0);
	cr_assert_null(log);
	cr_assert(strstr(err.msg, "records were removed"), "%s", err.msg);
}

Test(audit_state, removed_record_below_the_checkpoint_is_refused)
{
	struct audit_log *log = NULL;
	struct akios_err err = {0};
	struct audit_scan s;
	struct audit_rec rec;
	uint8_t root[32], *all;
	uint64_t at = 0, len = 0;
	struct stat st;
	int fd;

	make_log(root);
	// Find record 10 and cut it out: later records shift down, and the
	// state's offset now frames the wrong bytes.
	fd = open(logpath, O_RDWR | O_CLOEXEC);
	cr_assert_eq(audit_scan_fd(fd, "log", &s, NULL), 0);
	while (audit_scan_next(&s, &rec, NULL) == 1 && s.index <= 11) {
		at = s.off - rec.total;
		len = rec.total;
	}
	audit_scan_close(&s);
	cr_assert_eq(fstat(fd, &st), 0);
	all = malloc((size_t)st.st_size);
	cr_assert_eq(pread(fd, all, (size_t)st.st_size, 0), st.st_size);
	memmove(all + at, all + at + len, (size_t)(st.st_size - at - len));
	cr_assert_eq(pwrite(fd, all, (size_t)(st.st_size - len), 0),
		     st.st_size - (off_t)len);
	cr_assert_eq(ftruncate(fd, st.st_size - (off_t)len), 0);
	close(fd);
	free(all);
	cr_assert_neq(audit_open(dir, NULL, &log, &err), 0);
	cr_assert_null(log);
	cr_assert(strstr(err.msg, "record 10"), "%s", err.msg);
}

Test(audit_state, state_codec_round_trips_and_rejects_trailing_bytes)
{
	struct audit_state a = {.end = 51, .last = 0}, b;
	uint8_t buf[AUDIT_STATE_MAX + 1];
	size_t n;

	audit_frontier_init(&a.fr);
	for (unsigned i = 0; i < 13; i++) {
		uint8_t leaf[32] = {(uint8_t)i};

		audit_frontier_push(&a.fr, leaf);
	}
	a.have_dir = true;
	a.dir = (struct audit_cpdir){1, 2, 3, 4, 5, 6, 7, -8};
	n = audit_state_encode(&a, buf);
	cr_assert_eq(n, 20 + 32 + 64 + 3 * 32, "13 = 0b1101: three nodes");
	cr_assert_eq(audit_state_decode(buf, n, &b), 0);
	cr_assert_eq(b.fr.size, 13);
	cr_assert_arr_eq(b.fr.node[3], a.fr.node[3], 32);
	cr_assert(b.have_dir);
	cr_assert_eq(memcmp(&b.dir, &a.dir, sizeof(a.dir)), 0);
	buf[n] = 0;
	cr_assert_eq(audit_state_decode(buf, n + 1, &b), -EBADMSG);
	cr_assert_eq(audit_state_decode(buf, n - 1, &b), -EBADMSG);
	buf[20 + 24] = 2; // an unknown flag
	cr_assert_eq(audit_state_decode(buf, n, &b), -EBADMSG);
	buf[20 + 24] = 1;
	buf[18] = '1'; // "akios-audit-state 1": the old layout, rebuilt
	cr_assert_eq(audit_state_decode(buf, n, &b), -EBADMSG);
}

/* ---- the newest checkpoint without a listing ---- */

static void cpdir_path(char *out, size_t size)
{
	snprintf(out, size, "%s/" AUDIT_CP_DIR, dir);
}

/* The state as written, but vouching for the directory as it is now. */
static void vouch_for_dir_now(struct audit_state *st)
{
	char cp[700];
	int dfd;

	cpdir_path(cp, sizeof(cp));
	dfd = open(cp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	cr_assert_geq(dfd, 0);
	cr_assert_eq(audit_cpdir_id(dfd, &st->dir), 0);
	close(dfd);
	st->have_dir = true;
	write_state(st);
}

Test(audit_state, unchanged_checkpoint_dir_is_not_listed)
{
	uint8_t buf[AUDIT_STATE_MAX];
	struct audit_state st;
	struct audit_log *log;
	uint8_t root[32];
	uint64_t n = make_log(root);

	read_state(&st, buf);
	vouch_for_dir_now(&st);
	log = open_ok();
	cr_assert_not(log->open_listed, "the state named the newest");
	cr_assert_eq(log->open_scanned, 1);
	cr_assert_eq(audit_size(log), n);
	close_ok(log);
	verify_ok();
}

Test(audit_state, changed_checkpoint_dir_is_listed)
{
	uint8_t buf[AUDIT_STATE_MAX];
	struct audit_state st;
	struct audit_log *log;
	char cp[700], stray[800];
	uint8_t root[32];
	uint64_t n = make_log(root);

	read_state(&st, buf);
	vouch_for_dir_now(&st);
	cpdir_path(cp, sizeof(cp));
	snprintf(stray, sizeof(stray), "%s/stray.tmp", cp);
	write_file(stray, "x", 1); // any new entry changes the identity
	log = open_ok();
	cr_assert(log->open_listed);
	cr_assert_eq(audit_size(log), n);
	close_ok(log);
	st.have_dir = false; // a state that vouches for nothing
	write_state(&st);
	log = open_ok();
	cr_assert(log->open_listed);
	close_ok(log);
}

/* The case the listing exists for: events.state restored from an older
 * copy and the log cut back to match it. The newer checkpoint is still
 * there, so the directory is not as that state saw it: listed, refused. */
Test(audit_state, rolled_back_state_and_log_are_refused)
{
	uint8_t buf[AUDIT_STATE_MAX];
	struct audit_state old;
	struct audit_log *log = NULL;
	struct akios_err err = {0};
	uint8_t root[32];

	make_log(root);
	read_state(&old, buf);
	vouch_for_dir_now(&old); // genuine and vouching, at its time
	log = open_ok();
	append_n(log, 7);
	close_ok(log); // a newer checkpoint and state
	log = NULL;
	write_state(&old);
	cr_assert_eq(truncate(logpath, (off_t)old.end), 0);
	cr_assert_neq(audit_open(dir, NULL, &log, &err), 0);
	cr_assert_null(log);
	cr_assert(strstr(err.msg, "records were removed"), "%s", err.msg);
}

/* A state naming a checkpoint that cannot be read is not believed. */
Test(audit_state, vouched_but_missing_checkpoint_falls_back_to_listing)
{
	uint8_t buf[AUDIT_STATE_MAX];
	struct audit_state st;
	struct audit_log *log;
	uint8_t root[32];
	uint64_t n = make_log(root);

	read_state(&st, buf);
	st.fr.size += 1000; // no such checkpoint (and not this tree)
	vouch_for_dir_now(&st);
	log = open_ok();
	cr_assert(log->open_listed);
	cr_assert_eq(audit_size(log), n);
	close_ok(log);
}

Test(audit_state, cpdir_identity_settles_once_its_tick_is_over)
{
	struct audit_cpdir id = {.ctime_sec = 1000, .ctime_nsec = 5};
	char cp[700];
	int fd;

	make_log((uint8_t[32]){0});
	cpdir_path(cp, sizeof(cp));
	fd = open(cp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert(audit_cpdir_settled(fd, &id), "a ctime of 1970 is settled");
	close(fd);
}

/* A scan's buffer is sized to what the log holds from its start offset
 * (scan.c: no 2 MB mapping for the few records after a checkpoint), and
 * every record is read, a large one included. */
static uint64_t scan_all(size_t *cap)
{
	struct akios_err err = {0};
	struct audit_scan s;
	struct audit_rec rec;
	uint64_t n = 0;
	int rc;
	int fd = open(logpath, O_RDONLY | O_CLOEXEC);

	cr_assert_eq(audit_scan_fd(fd, "log", &s, NULL), 0);
	*cap = s.cap;
	while ((rc = audit_scan_next(&s, &rec, &err)) == 1)
		n++;
	cr_assert_eq(rc, 0, "%s", err.msg);
	audit_scan_close(&s);
	close(fd);
	return n;
}

Test(audit_state, scan_buffer_fits_the_log)
{
	struct audit_log *log = open_ok();
	struct akios_err err = {0};
	size_t cap, big_len = 64 * 1024;
	char *big = malloc(big_len);
	struct json *f = json_new_object();
	uint64_t size;

	append_n(log, 3);
	size = audit_size(log);
	close_ok(log);
	cr_assert_eq(scan_all(&cap), size);
	cr_assert_lt(cap, (size_t)8 * 1024, "a short log's buffer is small");
	memset(big, 'x', big_len - 1);
	big[big_len - 1] = '\0';
	cr_assert_not_null(json_add_str(f, "big", big));
	log = open_ok();
	cr_assert_eq(audit_append(log, "test.big", NULL, f, &err), 0, "%s",
		     err.msg);
	append_n(log, 2);
	size = audit_size(log);
	close_ok(log);
	cr_assert_eq(scan_all(&cap), size);
	cr_assert_gt(cap, big_len);
	cr_assert_lt(cap, 2 * big_len);
	json_free(f);
	free(big);
}
