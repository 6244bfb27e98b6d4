/* The audit ledger's reader API: verification of an audit directory or of
 * an export, streaming reads of events, inclusion and consistency proofs
 * and their text form. Nothing here writes to the audit directory, and no
 * lock is taken: readers run beside a live writer. */
#ifndef AKIOS_AUDIT_READ_H
#define AKIOS_AUDIT_READ_H

#include "shared/common.h"
#include "shared/buf.h"
#include "shared/err.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define AUDIT_PROOF_MAX_HASHES 128

struct audit_verify_opts {
	const char *pub_path; /* NULL: the default akios.pub (shared/keys.h) */
	const uint8_t *expected_root; /* 32 bytes, or NULL */
	/* Called now and then with bytes done and total; may be NULL. */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
};

#define AUDIT_NO_INDEX UINT64_MAX

struct audit_verify_result {
	uint64_t events;
	uint8_t root[32];
	uint64_t checkpoints; /* how many were checked */
	uint64_t signed_size; /* size of the newest checkpoint */
	uint64_t bad_index;   /* first bad record, or AUDIT_NO_INDEX */
	uint64_t bad_offset;  /* its byte offset (log) or line (export) */
};

/* Recomputes the tree of dir/events.log, checks every checkpoint's
 * signature and that it matches the log, and the expected root if given.
 * 0 when all holds; otherwise -EBADMSG (or -errno for I/O) with err
 * naming the first bad record or checkpoint. */
int audit_verify_dir(const char *dir, const struct audit_verify_opts *opts,
		     struct audit_verify_result *res, struct akios_err *err)
    AKIOS_NONNULL(1, 2, 3) AKIOS_NODISCARD;

/* Checks a signed checkpoint text against the trusted key (pub_path NULL:
 * the default akios.pub); gives its tree size and root. */
int audit_checkpoint_check(const char *text, size_t len, const char *pub_path,
			   uint64_t *size, uint8_t root[32],
			   struct akios_err *err)
    AKIOS_NONNULL(1, 4, 5) AKIOS_NODISCARD;

/* Same for an export file (jsonl or json written by audit export). */
int audit_verify_export(const char *path, const struct audit_verify_opts *opts,
			struct audit_verify_result *res, struct akios_err *err)
    AKIOS_NONNULL(1, 2, 3) AKIOS_NODISCARD;

enum audit_export_format {
	AUDIT_EXPORT_JSONL,
	AUDIT_EXPORT_JSON,
	AUDIT_EXPORT_CSV, /* for spreadsheets: carries no checkpoint */
};

/* Writes every event of dir to out (borrowed) in the given format, with
 * the newest signed checkpoint (jsonl/json); *count gets the events. */
int audit_export(const char *dir, enum audit_export_format fmt, FILE *out,
		 uint64_t *count, struct akios_err *err)
    AKIOS_NONNULL(1, 3, 4) AKIOS_NODISCARD;

/* Streaming reader of the events of a directory. */
struct audit_reader;
struct audit_event {
	uint64_t index;
	uint64_t offset;  /* byte offset of the record in events.log */
	const char *json; /* the stored bytes, borrowed until the next call */
	size_t len;
	uint8_t leaf[32];
};
int audit_reader_open(const char *dir, struct audit_reader **out,
		      struct akios_err *err)
    AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;
/* 1 with an event, 0 at the end, <0 with err set. */
int audit_reader_next(struct audit_reader *r, struct audit_event *ev,
		      struct akios_err *err)
    AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;
/* Log file size in bytes (for progress). */
uint64_t audit_reader_bytes(const struct audit_reader *r) AKIOS_NONNULL(1);
void audit_reader_close(struct audit_reader *r);

/* Text of the newest checkpoint (empty buffer when there is none). */
int audit_latest_checkpoint(const char *dir, struct akios_buf *out,
			    struct akios_err *err)
    AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;

struct audit_proof {
	bool consistency;     /* else inclusion */
	uint64_t index;	      /* inclusion: leaf index; consistency: old size */
	uint64_t size;	      /* tree size the proof is for */
	uint8_t leaf[32];     /* inclusion: leaf hash */
	uint8_t old_root[32]; /* consistency: root at old size */
	uint8_t root[32];
	size_t len;
	uint8_t hashes[AUDIT_PROOF_MAX_HASHES][32];
};

/* Builds a proof from the log in dir. size 0 means the current size. */
int audit_prove(const char *dir, struct audit_proof *p, struct akios_err *err)
    AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;
/* The proof's text form (documented in README "Audit log"). */
int audit_proof_format(const struct audit_proof *p, struct akios_buf *out)
    AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;
/* Parses the text form; errors name the line. */
int audit_proof_parse(const char *text, size_t len, struct audit_proof *p,
		      struct akios_err *err)
    AKIOS_NONNULL(1, 3) AKIOS_NODISCARD;
/* 0 when the proof's hashes lead from its leaf (or old root) to its
 * root, -EBADMSG otherwise. */
int audit_proof_check(const struct audit_proof *p)
    AKIOS_NONNULL(1) AKIOS_NODISCARD;

#endif
