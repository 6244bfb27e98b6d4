/* Internals of the audit module shared by its .c files and its unit tests:
 * RFC 6962 hashing and proofs (merkle.c), record framing (record.c), the
 * signed checkpoint text (checkpoint.c) and the log scanner (scan.c).
 * Everything but the scanner is pure: no syscalls, no allocation. */
#ifndef AKIOS_AUDIT_INT_H
#define AKIOS_AUDIT_INT_H

#include "shared/audit/audit.h"
#include "shared/buf.h"
#include "shared/crypto.h"
#include "shared/err.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define AUDIT_HASH_LEN	 32
#define AUDIT_MAX_HEIGHT 64 /* a tree of 2^64 leaves: the u64 ceiling */
#define AUDIT_MAX_PROOF	 (2ul * AUDIT_MAX_HEIGHT)

/* ---- merkle.c: RFC 6962 / RFC 9162 hashing ---- */

void audit_leaf_hash(const void *data, size_t len, uint8_t out[32]);
void audit_node_hash(const uint8_t left[32], const uint8_t right[32],
		     uint8_t out[32]);
/* Largest power of two strictly below n (n >= 2). */
uint64_t audit_split(uint64_t n);

/* The right frontier of the tree: roots of the perfect subtrees whose
 * sizes are the set bits of `size`. Appends are O(log n), memory fixed. */
struct audit_frontier {
	uint64_t size;
	uint8_t node[AUDIT_MAX_HEIGHT][AUDIT_HASH_LEN];
};
void audit_frontier_init(struct audit_frontier *f);
void audit_frontier_push(struct audit_frontier *f, const uint8_t leaf[32]);
/* Tree head; the empty tree's head is SHA-256 of nothing. */
void audit_frontier_root(const struct audit_frontier *f, uint8_t out[32]);

/* Tree head over leaf hashes[0..n). */
void audit_root_of(const uint8_t (*leaves)[32], uint64_t n, uint8_t out[32]);

/* Proofs over leaf hashes[0..n): written to proof[], count in *len (at
 * most AUDIT_MAX_PROOF). -EINVAL for an index or size out of range. */
int audit_inclusion_proof(const uint8_t (*leaves)[32], uint64_t n,
			  uint64_t index, uint8_t (*proof)[32],
			  size_t *len) AKIOS_NODISCARD;
int audit_consistency_proof(const uint8_t (*leaves)[32], uint64_t m, uint64_t n,
			    uint8_t (*proof)[32], size_t *len) AKIOS_NODISCARD;

/* RFC 9162 §2.1.3.2 and §2.1.4.2. 0 when the proof holds, -EBADMSG when
 * it does not. */
int audit_inclusion_verify(uint64_t index, uint64_t size,
			   const uint8_t leaf[32], const uint8_t (*proof)[32],
			   size_t len, const uint8_t root[32]) AKIOS_NODISCARD;
int audit_consistency_verify(uint64_t m, uint64_t n, const uint8_t root1[32],
			     const uint8_t root2[32],
			     const uint8_t (*proof)[32],
			     size_t len) AKIOS_NODISCARD;

/* ---- record.c: the log file and record framing ----
 * File:   "akios-audit-log 1 <32 hex log id>\n"  (AUDIT_FILE_HDR_LEN bytes)
 * Record: u32 little-endian payload length, the first 8 bytes of the
 *         payload's leaf hash (checksum), the payload, '\n'. */
#define AUDIT_FILE_MAGIC   "akios-audit-log 1 "
#define AUDIT_LOG_ID_HEX   32
#define AUDIT_FILE_HDR_LEN (sizeof(AUDIT_FILE_MAGIC) - 1 + AUDIT_LOG_ID_HEX + 1)
#define AUDIT_REC_HDR_LEN  12
#define AUDIT_REC_OVERHEAD (AUDIT_REC_HDR_LEN + 1)
#define AUDIT_LOG_NAME	   "events.log"
#define AUDIT_LOCK_NAME	   "lock"
#define AUDIT_CP_DIR	   "checkpoints"

enum audit_rec_status {
	AUDIT_REC_OK = 0,
	AUDIT_REC_SHORT = 1, /* needs more bytes: a torn tail at EOF */
	AUDIT_REC_BAD = 2,   /* corrupt; *why says how */
};

struct audit_rec {
	const uint8_t *payload; /* borrowed from the input */
	size_t len;
	size_t total; /* framed size */
	uint8_t leaf[AUDIT_HASH_LEN];
};

/* Writes the 12-byte header for payload (whose leaf hash is given). */
void audit_record_header(size_t len, const uint8_t leaf[32],
			 uint8_t hdr[AUDIT_REC_HDR_LEN]);
/* Decodes one record at p[0..avail). */
enum audit_rec_status audit_record_decode(const uint8_t *p, size_t avail,
					  struct audit_rec *out,
					  const char **why);
/* Validates a file header; fills log_id (33 bytes). 0 or -EBADMSG. */
int audit_file_header_parse(const uint8_t *p, size_t len,
			    char *log_id) AKIOS_NODISCARD;
/* The payload must start with {"seq":<index>, (reordering shows here). */
bool audit_record_seq_ok(const struct audit_rec *rec, uint64_t index);

/* ---- checkpoint.c: C2SP tlog-checkpoint / signed note ---- */
#define AUDIT_ORIGIN_MAX 128
#define AUDIT_MAX_SIGS	 16

struct audit_checkpoint {
	char origin[AUDIT_ORIGIN_MAX];
	uint64_t size;
	uint8_t root[AUDIT_HASH_LEN];
};

/* "akios.local/audit/<log id>": the origin (and key name) of a log. */
int audit_origin(const char *log_id, char *out, size_t size) AKIOS_NODISCARD;
/* Signed-note key id: SHA-256(name || 0x0A || 0x01 || pubkey)[0..4). */
void audit_note_key_id(const char *name, const uint8_t pub[32], uint8_t out[4]);
/* Checkpoint body (origin, size, base64 root, each followed by '\n'). */
int audit_checkpoint_body(const struct audit_checkpoint *cp,
			  struct akios_buf *out) AKIOS_NODISCARD;
/* Body, blank line, and one signature line by key (name = origin). */
int audit_checkpoint_sign(const struct audit_checkpoint *cp,
			  const struct crypto_key *key,
			  struct akios_buf *out) AKIOS_NODISCARD;
/* Parses a signed checkpoint and checks it carries a valid signature by
 * pub under the checkpoint's origin. pub NULL: parse only. Errors name
 * the line. */
int audit_checkpoint_verify(const char *text, size_t len,
			    const struct crypto_key *pub,
			    struct audit_checkpoint *cp, struct akios_err *err)
    AKIOS_NONNULL(1, 4) AKIOS_NODISCARD;

/* ---- scan.c: streaming reader of events.log ---- */
struct audit_scan {
	int fd;
	uint8_t *buf;
	size_t cap, start, end;
	uint64_t off;	/* file offset of buf[start] */
	uint64_t index; /* index of the next record */
	uint64_t file_size;
	bool eof;
	bool own_fd;
	char log_id[AUDIT_LOG_ID_HEX + 1];
	const char *name; /* for errors */
};

/* Opens the log at dirfd/events.log read-only and checks its header. */
int audit_scan_open(int dirfd, const char *name, struct audit_scan *s,
		    struct akios_err *err) AKIOS_NODISCARD;
/* Opens on an fd the caller owns (not closed by audit_scan_close). */
int audit_scan_fd(int fd, const char *name, struct audit_scan *s,
		  struct akios_err *err) AKIOS_NODISCARD;
/* Same, but after checking the header (and taking the log id) starts at
 * byte offset off with record index `index`: the caller vouches that a
 * record starts there. Nothing before off is read. */
int audit_scan_fd_at(int fd, const char *name, uint64_t off, uint64_t index,
		     struct audit_scan *s,
		     struct akios_err *err) AKIOS_NODISCARD;
/* 1 with a record (valid until the next call), 0 at a clean end,
 * -ENODATA for an incomplete final record (s->off is its offset),
 * -EBADMSG for corruption; errors name the index and byte offset. */
int audit_scan_next(struct audit_scan *s, struct audit_rec *rec,
		    struct akios_err *err) AKIOS_NODISCARD;
void audit_scan_close(struct audit_scan *s);

/* Moves err's file (and line) into its message and clears err->file,
 * for errors whose file name lives in a buffer about to go away. */
void audit_err_detach(struct akios_err *err);

/* Lists checkpoint sizes in dirfd/checkpoints, ascending. *sizes is
 * malloc'd (caller frees); *n may be 0. */
int audit_cp_list(int dirfd, uint64_t **sizes, size_t *n) AKIOS_NODISCARD;
/* Reads dirfd/checkpoints/<size> into buf. */
int audit_cp_read(int dirfd, uint64_t size, struct akios_buf *buf,
		  struct akios_err *err) AKIOS_NODISCARD;
int audit_cp_name(uint64_t size, char *out, size_t len) AKIOS_NODISCARD;

/* verify.c: the trusted public key (path NULL: the default akios.pub). */
int audit_verify_load_pub(const char *path, struct crypto_key **pub,
			  struct akios_err *err) AKIOS_NODISCARD;

/* ---- state.c: the open-time shortcut (events.state) ---- */
#define AUDIT_STATE_NAME "events.state"
#define AUDIT_STATE_MAX                                                        \
	(20ul + 12ul * 8ul + (size_t)AUDIT_MAX_HEIGHT * AUDIT_HASH_LEN)

/* What the checkpoints directory looked like right after the newest
 * checkpoint went in: adding, removing or renaming any entry changes
 * its mtime and ctime (and on tmpfs its size). */
struct audit_cpdir {
	uint64_t dev, ino, size, nlink;
	int64_t mtime_sec, mtime_nsec, ctime_sec, ctime_nsec;
};

struct audit_state {
	struct audit_frontier fr; /* the tree of the checkpoint */
	uint64_t end;		  /* byte offset where record size-1 ends */
	uint64_t last;		  /* framed length of record size-1 (0: none) */
	bool have_dir;		  /* dir below is set and settled */
	struct audit_cpdir dir;
};
size_t audit_state_encode(const struct audit_state *st,
			  uint8_t out[AUDIT_STATE_MAX]);
/* 0, or -EBADMSG when p is not exactly one encoded state. */
int audit_state_decode(const uint8_t *p, size_t len,
		       struct audit_state *st) AKIOS_NODISCARD;
/* Opens (creating it empty when missing) and decodes dirfd/events.state:
 * 0, -errno or -EBADMSG. *fd is left open (O_RDWR), with the file's
 * length in *len, for audit_state_save to rewrite it in place; -1 when
 * it is not a regular file with a single link that we may write (it is
 * then replaced by a rename, never written through). */
int audit_state_open(int dirfd, int *fd, uint64_t *len,
		     struct audit_state *st) AKIOS_NODISCARD;
/* Checks a read state against the newest checkpoint (same size, frontier
 * folding to its root) and the log's size. 0 when usable; -ESTALE
 * (another size) or -EBADMSG when not. */
int audit_state_check(const struct audit_state *st,
		      const struct audit_checkpoint *cp,
		      uint64_t file_size) AKIOS_NODISCARD;
/* The identity of the checkpoints directory open at cpfd, now (an fstat,
 * which also marks its timestamps as seen: see audit_cpdir_settled).
 * 0 or -errno. */
int audit_cpdir_id(int cpfd, struct audit_cpdir *id) AKIOS_NODISCARD;
/* True when any later change to the directory open at cpfd is sure to
 * change id's timestamps, so an equal identity later means no change. */
bool audit_cpdir_settled(int cpfd, const struct audit_cpdir *id)
    AKIOS_NONNULL(2);
/* True when the state names the newest checkpoint without a listing:
 * it carries a settled identity equal to the directory's (at cpfd) now. */
bool audit_state_names_newest(int cpfd, const struct audit_state *st);

/* ---- writer.c / append.c ---- */
/* The writer's I/O, replaceable by tests to inject faults. */
struct audit_io {
	ssize_t (*write)(void *ctx, int fd, const void *p, size_t n);
	int (*fdatasync)(void *ctx, int fd);
	void *ctx;
};
void audit_set_io(struct audit_log *log, const struct audit_io *io)
    AKIOS_NONNULL(1, 2);

#define AUDIT_PENDING_MAX   (8ul * 1024ul * 1024ul)
#define AUDIT_PENDING_FLUSH (64ul * 1024ul)
#define AUDIT_RUN_ID_MAX    64

struct audit_log {
	int dirfd, lockfd, logfd;
	int cpfd;	    /* the checkpoints directory */
	int statefd;	    /* events.state, rewritten in place; -1: none */
	uint64_t state_len; /* its length as last read or written */
	int failed; /* sticky -errno: the log is fail-closed after an error */
	char dir[4096];
	const char *name; /* names the log in errors: the caller's dir
			   * string during audit_open (errors outlive the
			   * log), then a static name */
	char origin[AUDIT_ORIGIN_MAX];
	char run_id[AUDIT_RUN_ID_MAX + 1];
	struct audit_frontier fr; /* over every appended event */
	uint64_t durable;	  /* events known to be on disk */
	uint64_t written;	  /* events handed to write(2) */
	uint64_t file_off;	  /* end of events.log as written */
	uint64_t last_cp;	  /* size of the newest checkpoint */
	uint64_t last_total;	  /* framed length of the newest record */
	uint64_t open_scanned;	  /* records read by audit_open (tests) */
	bool open_listed;	  /* audit_open listed checkpoints (tests) */
	bool have_cp;
	bool state_fresh;	  /* events.state matches last_cp */
	struct akios_buf pending; /* framed records not yet written */
	struct akios_buf scratch; /* one event being built */
	struct crypto_key *key;
	audit_redact_fn redact;
	void *redact_ctx;
	struct audit_io io;
	int64_t time_sec;   /* second of the cached time_text */
	char time_text[24]; /* "YYYY-MM-DDTHH:MM:SS" */
};

/* json.c: compact JSON into a bounded buffer. */
int audit_json_u64(struct akios_buf *b, uint64_t v) AKIOS_NODISCARD;
int audit_json_string(struct akios_buf *b, const char *s) AKIOS_NODISCARD;
int audit_json_value(struct akios_buf *b, const struct json *v,
		     unsigned depth) AKIOS_NODISCARD;

/* append.c: "YYYY-MM-DDTHH:MM:SS" in UTC for sec since the epoch (years
 * 0-9999; as gmtime_r, without its tzset). */
void audit_utc_text(int64_t sec, char out[20]) AKIOS_NONNULL(2);
/* append.c: writes pending records (no fsync). */
int audit_flush(struct audit_log *log, struct akios_err *err) AKIOS_NODISCARD;
/* Writes events.state for the current tree, which must be durable and
 * flushed (right after a checkpoint). 0 or -errno. */
int audit_state_save(struct audit_log *log) AKIOS_NODISCARD;
/* Writes signed checkpoint text as checkpoints/<size>, atomically and
 * durably (temp file in that directory, fsync, rename over any old one,
 * fsync of the directory). 0 or -errno. */
int audit_cp_write(struct audit_log *log, uint64_t size, const void *text,
		   size_t len) AKIOS_NODISCARD;
/* True for a well-formed event type: [a-z0-9_.-]{1,64}. */
bool audit_type_valid(const char *type);

#endif
