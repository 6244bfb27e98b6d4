/* Appending events: build the event's JSON (envelope, then redacted
 * fields), frame it, hash it into the frontier, and group-commit with one
 * fdatasync. Invariants: an event is acknowledged durable only after its
 * fdatasync returned 0; after any write or sync error the log refuses all
 * further work (fail closed), because what reached the disk is unknown. */
#include "shared/common.h"
#include "shared/audit/audit_int.h"
#include "shared/fileio.h"
#include "shared/limits.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <time.h>

static const char *const reserved_prefixes[] = {
    "audit.",	   "budget.", "cage.",	 "connect.", "exec.",	"kill.",
    "killswitch.", "llm.",    "policy.", "run.",     "tokens.",
};

static const char *const reserved_keys[] = {
    "seq", "time", "run_id", "type", "decision",
};

bool audit_type_valid(const char *type)
{
	size_t n = strlen(type);

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = type[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

bool audit_type_reserved(const char *type)
{
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(reserved_prefixes); i++) {
		const char *p = reserved_prefixes[i];
		size_t n = strlen(p);

		// "exec" and "exec.allowed" are both reserved.
		if (!strncmp(type, p, n) ||
		    (!strncmp(type, p, n - 1) && type[n - 1] == '\0'))
			return true;
	}
	return false;
}

static int fail(struct audit_log *log, int rc, struct akios_err *err,
		const char *what)
{
	if (rc > 0)
		rc = -rc;
	log->failed = rc;
	akios_err_set(err, AUDIT_LOG_NAME, 0, 0,
		      "%s: %s; the audit log is closed for this run", what,
		      crypto_strerror(rc));
	return rc;
}

static int check_usable(struct audit_log *log, struct akios_err *err)
{
	if (!log->failed)
		return 0;
	akios_err_set(err, AUDIT_LOG_NAME, 0, 0,
		      "audit log failed earlier (%s); refusing to continue",
		      strerror(-log->failed));
	return log->failed;
}

/* Redacts every string value under node and its siblings (keys are the
 * caller's own names, not data). A value is redacted up to its first NUL:
 * that is all the serialiser stores. */
static int redact_tree(struct audit_log *log, struct json *node)
{
	for (struct json *c = node; c; c = c->next) {
		struct akios_buf out;
		int rc;

		if (c->child) {
			rc = redact_tree(log, c->child);
			if (rc)
				return rc;
		}
		if (!json_is_string(c) || !c->str)
			continue;
		akios_buf_init(&out, AKIOS_MAX_AUDIT_RECORD);
		rc = log->redact(log->redact_ctx, c->str, strlen(c->str), &out);
		if (!rc)
			rc = json_set_str(c, out.ptr ? out.ptr : "");
		akios_buf_free(&out);
		if (rc)
			return rc;
	}
	return 0;
}

static int check_fields(const struct json *fields, struct akios_err *err)
{
	if (!json_is_object(fields))
		return akios_err_set(err, "audit event", 0, 0,
				     "fields must be a JSON object");
	for (const struct json *c = fields->child; c; c = c->next) {
		for (size_t i = 0; i < AKIOS_ARRAY_SIZE(reserved_keys); i++) {
			if (c->key && !strcmp(c->key, reserved_keys[i]))
				return akios_err_set(err, "audit event", 0, 0,
						     "field '%s' is set by the "
						     "writer",
						     c->key);
		}
	}
	return 0;
}

static int put_fields(struct audit_log *log, const struct json *fields)
{
	int rc = 0;

	for (const struct json *c = fields->child; c && !rc; c = c->next) {
		rc = akios_buf_append(&log->scratch, ",", 1);
		if (!rc)
			rc = audit_json_string(&log->scratch,
					       c->key ? c->key : "");
		if (!rc)
			rc = akios_buf_append(&log->scratch, ":", 1);
		if (!rc)
			rc = audit_json_value(&log->scratch, c, 0);
	}
	return rc;
}

/* ",<fields>" after redaction (of a copy: fields are borrowed). */
static int append_fields(struct audit_log *log, const struct json *fields,
			 struct akios_err *err)
{
	struct json *copy;
	int rc = check_fields(fields, err);

	if (rc || !fields->child)
		return rc;
	if (!log->redact)
		return put_fields(log, fields);
	copy = json_dup(fields);
	if (!copy)
		return -ENOMEM;
	rc = redact_tree(log, copy->child);
	if (rc) {
		json_free(copy);
		return akios_err_set(err, "audit event", 0, 0,
				     "redaction failed (%s): event refused",
				     strerror(rc < 0 ? -rc : rc));
	}
	rc = put_fields(log, copy);
	json_free(copy);
	return rc;
}

/* Days since 1970-01-01 to a proleptic Gregorian date, by 400-year eras
 * of 146097 days whose years start on March 1st (the leap day is then
 * the era-year's last). Not gmtime_r: glibc's runs tzset, which reads
 * /etc/localtime (seven syscalls at a run's first event) for a zone a
 * UTC stamp never uses. */
static void civil_date(int64_t days, unsigned *y, unsigned *m, unsigned *d)
{
	int64_t z = days + 719468; /* days since 0000-03-01 */
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153; /* 0 = March */

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (unsigned)((int64_t)yoe + era * 400 + (*m <= 2));
}

void audit_utc_text(int64_t sec, char out[20])
{
	int64_t days = sec / 86400 - (sec % 86400 < 0);
	unsigned tod = (unsigned)(sec - days * 86400);
	unsigned v[6] = {0, 0, 0, tod / 3600, tod / 60 % 60, tod % 60};
	const char sep[] = "--T::";
	char *p = out;

	civil_date(days, &v[0], &v[1], &v[2]);
	for (unsigned i = 0; i < 6; i++) {
		for (unsigned k = i ? 10u : 1000u; k > 0; k /= 10)
			*p++ = (char)('0' + v[i] / k % 10u);
		if (i < 5)
			*p++ = sep[i];
	}
	*p = '\0';
}

/* RFC 3339 UTC with microseconds; the date part is cached per second
 * (formatting it costs more than the rest of an append). */
static int put_time(struct audit_log *log)
{
	struct timespec ts;
	char frac[9] = {'.', '0', '0', '0', '0', '0', '0', 'Z', '"'};
	long us;
	int rc;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != log->time_sec || !log->time_text[0]) {
		audit_utc_text((int64_t)ts.tv_sec, log->time_text);
		log->time_sec = ts.tv_sec;
	}
	us = ts.tv_nsec / 1000;
	for (int i = 6; i >= 1; i--, us /= 10)
		frac[i] = (char)('0' + us % 10);
	rc = akios_buf_append(&log->scratch, log->time_text,
			      strlen(log->time_text));
	return rc ? rc : akios_buf_append(&log->scratch, frac, sizeof(frac));
}

static int put_str(struct audit_log *log, const char *s)
{
	return akios_buf_append(&log->scratch, s, strlen(s));
}

/* run_id, type and decision are [a-z0-9_.-] (checked): no escaping. */
static int append_envelope(struct audit_log *log, const char *type,
			   const char *decision)
{
	int rc = put_str(log, "{\"seq\":");

	if (!rc)
		rc = audit_json_u64(&log->scratch, log->fr.size);
	if (!rc)
		rc = put_str(log, ",\"time\":\"");
	if (!rc)
		rc = put_time(log);
	if (!rc)
		rc = put_str(log, ",\"run_id\":\"");
	if (!rc)
		rc = put_str(log, log->run_id);
	if (!rc)
		rc = put_str(log, "\",\"type\":\"");
	if (!rc)
		rc = put_str(log, type);
	if (!rc && decision)
		rc = put_str(log, "\",\"decision\":\"");
	if (!rc && decision)
		rc = put_str(log, decision);
	return rc ? rc : put_str(log, "\"");
}

static int build_event(struct audit_log *log, const char *type,
		       const char *decision, const struct json *fields,
		       struct akios_err *err)
{
	int rc;

	if (!audit_type_valid(type))
		return akios_err_set(err, "audit event", 0, 0,
				     "bad type '%s' (1-64 of [a-z0-9_.-])",
				     type);
	if (decision && !audit_type_valid(decision))
		return akios_err_set(err, "audit event", 0, 0,
				     "bad decision '%s'", decision);
	akios_buf_reset(&log->scratch);
	rc = append_envelope(log, type, decision);
	if (!rc && fields)
		rc = append_fields(log, fields, err);
	if (!rc)
		rc = akios_buf_append(&log->scratch, "}", 1);
	if (rc == -E2BIG)
		return akios_err_set(err, "audit event", 0, 0,
				     "event larger than %lu bytes",
				     AKIOS_MAX_AUDIT_RECORD);
	return rc;
}

int audit_append(struct audit_log *log, const char *type, const char *decision,
		 const struct json *fields, struct akios_err *err)
{
	uint8_t leaf[AUDIT_HASH_LEN];
	uint8_t hdr[AUDIT_REC_HDR_LEN];
	int rc = check_usable(log, err);

	if (rc)
		return rc;
	rc = build_event(log, type, decision, fields, err);
	if (rc)
		return rc < 0 ? rc : -EINVAL;
	audit_leaf_hash(log->scratch.ptr, log->scratch.len, leaf);
	audit_record_header(log->scratch.len, leaf, hdr);
	if (log->pending.len + log->scratch.len + AUDIT_REC_OVERHEAD >
	    AUDIT_PENDING_MAX) {
		rc = audit_flush(log, err);
		if (rc)
			return rc;
	}
	rc = akios_buf_append(&log->pending, hdr, sizeof(hdr));
	if (!rc)
		rc = akios_buf_append(&log->pending, log->scratch.ptr,
				      log->scratch.len);
	if (!rc)
		rc = akios_buf_append(&log->pending, "\n", 1);
	if (rc)
		return fail(log, rc, err, "buffer");
	audit_frontier_push(&log->fr, leaf);
	log->last_total = log->scratch.len + AUDIT_REC_OVERHEAD;
	if (log->pending.len >= AUDIT_PENDING_FLUSH)
		return audit_flush(log, err);
	return 0;
}

/* Writes pending records; `hint` starts their writeback (no fsync). */
static int flush(struct audit_log *log, bool hint, struct akios_err *err)
{
	size_t done = 0;

	while (done < log->pending.len) {
		ssize_t n = log->io.write(log->io.ctx, log->logfd,
					  log->pending.ptr + done,
					  log->pending.len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return fail(log, n < 0 ? errno : EIO, err, "write");
		done += (size_t)n;
	}
	// Start writeback now so the commit's fdatasync finds most pages
	// already on their way: disk and CPU overlap. Only a hint: the
	// fdatasync in audit_commit is what makes events durable; a commit
	// that syncs at once has nothing to overlap and skips it.
	if (hint &&
	    sync_file_range(log->logfd, (off64_t)log->file_off, (off64_t)done,
			    SYNC_FILE_RANGE_WRITE) &&
	    errno != ESPIPE && errno != EINVAL)
		return fail(log, errno, err, "sync_file_range");
	log->file_off += done;
	akios_buf_reset(&log->pending);
	log->written = log->fr.size;
	return 0;
}

int audit_flush(struct audit_log *log, struct akios_err *err)
{
	return flush(log, true, err);
}

int audit_commit(struct audit_log *log, struct akios_err *err)
{
	int rc = check_usable(log, err);

	if (rc)
		return rc;
	if (log->durable == log->fr.size)
		return 0;
	rc = flush(log, false, err);
	if (rc)
		return rc;
	// An fdatasync error may mean pages were dropped: nothing since the
	// last good sync can be trusted, so the run must stop (fail closed).
	if (log->io.fdatasync(log->io.ctx, log->logfd))
		return fail(log, errno, err, "fdatasync");
	log->durable = log->fr.size;
	return 0;
}

/* events.state only speeds up the next audit_open, which checks it and
 * rebuilds without it: failing to write it costs time, never integrity,
 * so it does not fail the run. A stale one (crash between the checkpoint
 * and this write) names an older size and is ignored. */
static int save_state(struct audit_log *log)
{
	if (!log->state_fresh && audit_state_save(log) == 0)
		log->state_fresh = true;
	return 0;
}

int audit_checkpoint(struct audit_log *log, struct akios_err *err)
{
	struct audit_checkpoint cp = {.size = log->fr.size};
	struct akios_buf text;
	int rc = audit_commit(log, err);

	if (rc)
		return rc;
	if (log->have_cp && log->last_cp == log->fr.size)
		return save_state(log);
	memcpy(cp.origin, log->origin, sizeof(cp.origin));
	audit_frontier_root(&log->fr, cp.root);
	akios_buf_init(&text, AKIOS_MAX_CHECKPOINT_BYTES);
	rc = audit_checkpoint_sign(&cp, log->key, &text);
	if (!rc)
		rc = audit_cp_write(log, cp.size, text.ptr, text.len);
	akios_buf_free(&text);
	if (rc)
		return fail(log, rc, err, "checkpoint");
	log->have_cp = true;
	log->last_cp = cp.size;
	log->state_fresh = false;
	return save_state(log);
}
