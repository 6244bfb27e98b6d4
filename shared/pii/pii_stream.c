/* pii_stream: whole-buffer and streaming redaction, both as a series of
 * pii_scan rounds over windows of the input. A window keeps
 * KEEP = PII_MAX_MATCH + PII_CTX + 1 bytes before the decision point and
 * decides only values that start at least KEEP bytes before its end, so
 * every round sees each of its matches whole, with context (see
 * pii_scan.c): the output cannot depend on how the input was cut.
 * A stream holds at most 2*KEEP bytes of input between calls. */
#include "shared/common.h"
#include "shared/limits.h"
#include "shared/pii/pii_int.h"

#include <errno.h>

#define KEEP ((uint64_t)PII_MAX_MATCH + PII_CTX + 1)

struct pii_stream {
	struct pii_engine *eng;
	pii_finding_fn fn;
	void *fn_ctx;
	uint64_t base; /* input offset of buf[0] */
	uint64_t done; /* output emitted for input [0, done) */
	uint32_t len;  /* bytes in buf */
	bool pem_open;
	bool finished;
	bool dead;
	char buf[]; /* BUF_CAP bytes */
};

#define BUF_CAP (PII_STREAM_MAX_STATE - sizeof(struct pii_stream))
_Static_assert(BUF_CAP >= 2 * KEEP + 64, "stream buffer below two windows");
_Static_assert(AKIOS_PII_SLICE > 4 * KEEP, "slice too small to progress");

static uint64_t window_base(uint64_t base, uint64_t done)
{
	return done > base + KEEP ? done - KEEP : base;
}

static int fail(struct akios_buf *out, int rc)
{
	akios_buf_free(out);
	return rc;
}

int pii_redact_buffer(struct pii_engine *eng, const char *in, size_t len,
		      struct akios_buf *out, pii_finding_fn fn, void *fn_ctx)
{
	struct pii_round r = {.fn = fn, .fn_ctx = fn_ctx};
	uint64_t end;

	do {
		end = r.done + AKIOS_PII_SLICE < len ? r.done + AKIOS_PII_SLICE
						     : len;
		r.eof = end == len;
		r.text = in + r.base;
		r.len = (size_t)(end - r.base);
		r.limit = r.eof ? end : end - KEEP;
		r.ahead = in + end;
		r.ahead_len =
		    len - end < AKIOS_PII_SLICE ? len - end : AKIOS_PII_SLICE;
		int rc = pii_round_run(eng, &r, out);

		if (rc)
			return fail(out, rc);
		r.base = window_base(r.base, r.done);
	} while (!r.eof);
	/* An empty input still leaves a valid (empty) string behind. */
	return len ? 0 : akios_buf_append(out, "", 0);
}

int pii_audit_redact(void *ctx, const char *in, size_t len,
		     struct akios_buf *out)
{
	if (!ctx || !out || (!in && len))
		return -EINVAL;
	return pii_redact_buffer(ctx, in ? in : "", len, out, NULL, NULL);
}

int pii_stream_new(struct pii_engine *eng, pii_finding_fn fn, void *fn_ctx,
		   struct pii_stream **out)
{
	struct pii_stream *st = calloc(1, PII_STREAM_MAX_STATE);

	if (!st)
		return -ENOMEM;
	st->eng = eng;
	st->fn = fn;
	st->fn_ctx = fn_ctx;
	*out = st;
	return 0;
}

/* One round over buf + data[0..take): decide, emit, keep the tail. */
static int stream_round(struct pii_stream *st, const char *data, size_t take,
			struct akios_buf *out)
{
	size_t cap;
	char *win = pii_engine_window(st->eng, &cap);
	size_t wlen = st->len + take;
	struct pii_round r = {.text = win,
			      .len = wlen,
			      .base = st->base,
			      .done = st->done,
			      .limit = st->base + wlen - KEEP,
			      .pem_open = st->pem_open,
			      .fn = st->fn,
			      .fn_ctx = st->fn_ctx};
	uint64_t nb;
	int rc;

	memcpy(win, st->buf, st->len);
	memcpy(win + st->len, data, take);
	rc = pii_round_run(st->eng, &r, out);
	if (rc)
		return rc;
	nb = window_base(st->base, r.done);
	st->len = (uint32_t)(st->base + wlen - nb);
	memcpy(st->buf, win + (nb - st->base), st->len);
	st->base = nb;
	st->done = r.done;
	st->pem_open = r.pem_open;
	return 0;
}

int pii_stream_feed(struct pii_stream *st, const char *data, size_t len,
		    struct akios_buf *out)
{
	int rc;

	if (st->dead || st->finished)
		return fail(out, -EINVAL);
	while (len > 0) {
		size_t take = len < AKIOS_PII_SLICE ? len : AKIOS_PII_SLICE;

		if (st->len + len <= BUF_CAP) {
			memcpy(st->buf + st->len, data, len);
			st->len += (uint32_t)len;
			return 0;
		}
		rc = stream_round(st, data, take, out);
		if (rc) {
			st->dead = true;
			return fail(out, rc);
		}
		data += take;
		len -= take;
	}
	return 0;
}

int pii_stream_finish(struct pii_stream *st, struct akios_buf *out)
{
	struct pii_round r = {.text = st->buf,
			      .len = st->len,
			      .base = st->base,
			      .done = st->done,
			      .limit = st->base + st->len,
			      .eof = true,
			      .pem_open = st->pem_open,
			      .fn = st->fn,
			      .fn_ctx = st->fn_ctx};
	int rc;

	if (st->dead || st->finished)
		return fail(out, -EINVAL);
	st->finished = true;
	rc = pii_round_run(st->eng, &r, out);
	if (rc) {
		st->dead = true;
		return fail(out, rc);
	}
	explicit_bzero(st->buf, st->len);
	st->len = 0;
	return akios_buf_append(out, "", 0);
}

void pii_stream_free(struct pii_stream *st)
{
	if (!st)
		return;
	explicit_bzero(st, PII_STREAM_MAX_STATE);
	free(st);
}

size_t pii_stream_state_size(const struct pii_stream *st)
{
	(void)st;
	return PII_STREAM_MAX_STATE;
}
