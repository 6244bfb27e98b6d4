/* The PII and secret redaction engine (issue 3). An engine compiles the
 * enabled patterns once (Vectorscan) and is then used to redact buffers,
 * JSON documents and streams. Pure: no I/O, no syscalls but memory.
 * Threading: an engine and the streams made from it are used by one
 * thread at a time (they share the engine's scan scratch).
 * Lifecycle: pii_engine_new → pii_redact_* / pii_stream_* → pii_engine_free
 * (after every stream made from it is freed). */
#ifndef AKIOS_PII_H
#define AKIOS_PII_H

#include "shared/common.h"
#include "shared/buf.h"
#include "shared/err.h"

#include <stdbool.h>
#include <stdint.h>

enum pii_mode {
	PII_MODE_STRICT = 0, /* validated / unmistakable patterns only */
	PII_MODE_BALANCED,   /* default: adds context-sensitive patterns */
	PII_MODE_AGGRESSIVE, /* adds context-free, lower-confidence ones */
};

enum pii_style {
	PII_STYLE_LABEL = 0, /* [EMAIL] */
	PII_STYLE_HASH,	     /* [EMAIL:3f2a9c1b], keyed HMAC-SHA-256 */
};

enum pii_flags {
	/* WARNING: weakens redaction: private, loopback and link-local IP
	 * addresses are left in the text. */
	PII_KEEP_PRIVATE_IPS = 1 << 0,
};

#define PII_HASH_KEY_LEN 32

struct pii_config {
	enum pii_mode mode;
	/* Pattern or category names (shared/pii/pii_names.h), borrowed;
	 * n_names == 0 means every pattern of the mode. A named pattern that
	 * the mode excludes is an error, never silently dropped. */
	const char *const *names;
	unsigned n_names;
	enum pii_style style;
	/* HMAC key for PII_STYLE_HASH, copied; NULL: a fresh random key per
	 * engine (a per-run key: tags link values within a run only). */
	const uint8_t *hash_key;
	unsigned flags; /* enum pii_flags */
};

/* One redaction, as reported: never the value itself. */
struct pii_finding {
	const char *pattern; /* stable name, static storage */
	uint64_t offset;     /* byte offset in the input */
	uint64_t length;     /* bytes replaced */
};

/* Called once per redaction, in input order. Non-zero aborts the call
 * that reported it with that value. */
typedef int (*pii_finding_fn)(void *ctx, const struct pii_finding *f);

struct pii_engine; /* opaque */
struct pii_stream; /* opaque */

/* Compiles the enabled patterns. cfg borrowed; *out set on success only;
 * free with pii_engine_free. Errors: -EINVAL (bad name or mode, err
 * says which), -ENOMEM, -EIO (Vectorscan refused a pattern). */
int pii_engine_new(const struct pii_config *cfg, struct pii_engine **out,
		   struct akios_err *err) AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;
void pii_engine_free(struct pii_engine *eng);

/* The longest span (bytes) one match may cover; streams keep at most
 * about twice this much text. */
size_t pii_engine_max_match(const struct pii_engine *eng) AKIOS_NONNULL(1);

/* Appends the redacted copy of in[0..len) to out. fn may be NULL.
 * Returns 0 or -errno (out is then freed: nothing half-redacted stays). */
int pii_redact_buffer(struct pii_engine *eng, const char *in, size_t len,
		      struct akios_buf *out, pii_finding_fn fn, void *fn_ctx)
    AKIOS_NONNULL(1, 4) AKIOS_NODISCARD;

/* JSON-aware: in must be one JSON document; only string values change
 * (object keys, numbers and layout are copied byte for byte), escapes
 * such as \u0040 are decoded before scanning, and the output is valid
 * JSON. Finding offsets are in the input document. -EINVAL with err set
 * (line:col) when in is not JSON. */
int pii_redact_json(struct pii_engine *eng, const char *in, size_t len,
		    struct akios_buf *out, pii_finding_fn fn, void *fn_ctx,
		    struct akios_err *err) AKIOS_NONNULL(1, 4) AKIOS_NODISCARD;

/* The audit writer's redact hook (audit_redact_fn): ctx is the engine. */
int pii_audit_redact(void *ctx, const char *in, size_t len,
		     struct akios_buf *out) AKIOS_NODISCARD;

/* Streaming: output is byte-identical to pii_redact_buffer on the
 * concatenated input, however the input is split; a match spanning
 * feeds is redacted. State per stream is fixed at creation and at most
 * PII_STREAM_MAX_STATE bytes. fn may be NULL. */
#define PII_STREAM_MAX_STATE 4096u
int pii_stream_new(struct pii_engine *eng, pii_finding_fn fn, void *fn_ctx,
		   struct pii_stream **out) AKIOS_NONNULL(1, 4) AKIOS_NODISCARD;
/* Appends whatever output is final to out. On error the stream is dead
 * (every later call fails) and out is freed. */
int pii_stream_feed(struct pii_stream *st, const char *data, size_t len,
		    struct akios_buf *out) AKIOS_NONNULL(1, 4) AKIOS_NODISCARD;
/* Flushes the rest; the stream accepts no more input afterwards. */
int pii_stream_finish(struct pii_stream *st, struct akios_buf *out)
    AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;
void pii_stream_free(struct pii_stream *st);
/* Bytes of memory the stream holds between calls (struct + buffer). */
size_t pii_stream_state_size(const struct pii_stream *st) AKIOS_NONNULL(1);

#endif
