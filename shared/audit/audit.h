/* The audit ledger's writer API (issue 4): an append-only log of JSON
 * events hashed as an RFC 6962 Merkle tree, with signed checkpoints.
 * The supervisor is the only writer of an audit directory (lock file).
 * Lifecycle: audit_open → audit_append… → audit_commit → audit_close.
 * Events are redacted (opts.redact) before they are hashed or stored. */
#ifndef AKIOS_AUDIT_H
#define AKIOS_AUDIT_H

#include "shared/common.h"
#include "shared/buf.h"
#include "shared/err.h"
#include "shared/json.h"

#include <stdbool.h>
#include <stdint.h>

struct audit_log; /* opaque writer handle; not thread-safe: callers on
		   * several threads serialise their calls */

/* Redaction hook: writes a redacted copy of `in` to `out` (an empty
 * akios_buf the caller frees). Returns 0 or -errno; on error the event is
 * refused, never stored unredacted. */
typedef int (*audit_redact_fn)(void *ctx, const char *in, size_t len,
			       struct akios_buf *out);

struct audit_opts {
	const char *key_path;	/* private key for checkpoints; NULL: the
				* default (shared/keys.h), generated on first
				* use if missing */
	const char *run_id;	/* NULL: a fresh random run id */
	audit_redact_fn redact; /* applied to every string value; NULL: none */
	void *redact_ctx;
};

/* Opens (creating if needed, mode 0700) the audit directory as its single
 * writer, recovering a torn final record (logged as audit.recovered).
 * Fails with a clear error (-EBUSY) if another writer holds the lock, and
 * refuses a log that is corrupt or disagrees with its newest checkpoint.
 * With no opts->key_path and no default key, one is generated (0600) and
 * logged as audit.key_generated; a missing explicit key_path is an error.
 * dir and opts are borrowed for the call only; err->file, when set, is
 * dir or a static string. *out is set only on success. */
int audit_open(const char *dir, const struct audit_opts *opts,
	       struct audit_log **out, struct akios_err *err)
    AKIOS_NONNULL(1, 3) AKIOS_NODISCARD;

/* Appends one event: the writer adds seq, time, run_id and type, then
 * copies `fields` (a JSON object, borrowed, may be NULL; its keys must
 * not be seq/time/run_id/type/decision) and `decision` (NULL when not
 * relevant: "allow", "deny", ...). type and decision are [a-z0-9_.-],
 * 1-64 chars. Buffered, not yet durable: call audit_commit. */
int audit_append(struct audit_log *log, const char *type, const char *decision,
		 const struct json *fields, struct akios_err *err)
    AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;

/* Group commit: one fdatasync for everything appended so far. Only after
 * it returns 0 is an event durable. An error is fatal for the run: every
 * later call on this log fails too (fail closed). */
int audit_commit(struct audit_log *log, struct akios_err *err)
    AKIOS_NONNULL(1) AKIOS_NODISCARD;

/* Commits, then writes a signed checkpoint of the current tree head. */
int audit_checkpoint(struct audit_log *log, struct akios_err *err)
    AKIOS_NONNULL(1) AKIOS_NODISCARD;

/* Commits, checkpoints and releases the lock. NULL is a no-op. Returns
 * the first error (the log is closed either way). */
int audit_close(struct audit_log *log, struct akios_err *err);

/* Does now the slow part of the next checkpoint's signature (the key
 * pair from its seed: see crypto_key_prepare), for a caller that would
 * otherwise sit idle. Optional; 0 or -errno (the checkpoint then tries
 * again and reports). */
int audit_prepare_signing(struct audit_log *log) AKIOS_NODISCARD;

/* True for the event types only the supervisor may write (audit.*,
 * budget.*, cage.*, connect.*, exec.*, kill.*, killswitch.*, llm.*,
 * policy.*, run.*, tokens.*, and those prefixes without the dot); `akios audit append`
 * refuses them. */
bool audit_type_reserved(const char *type) AKIOS_NONNULL(1);

/* The run id and the current tree size and root (for reports). */
const char *audit_run_id(const struct audit_log *log) AKIOS_NONNULL(1);
uint64_t audit_size(const struct audit_log *log) AKIOS_NONNULL(1);
void audit_root(const struct audit_log *log, uint8_t root[32])
    AKIOS_NONNULL(1, 2);

/* The audit directory used when neither --audit-dir nor the policy names
 * one. */
#define AUDIT_DEFAULT_DIR ".akios/audit"

#endif
