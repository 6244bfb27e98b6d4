/* libFuzzer harness for the literal scan (pii_lit.c): on random bytes,
 * every row's raw matches (row, leftmost start, end) must equal those of
 * the all-Vectorscan reference (every row in the trigger database), by
 * each scan (AVX-512, AVX2, scalar), and redacting with either path must
 * give the same output and findings, whole and streamed in chunks drawn
 * from the input; any difference traps. Byte 0 picks the mode and
 * whether the rows run in C (pii_anch_*) take AVX-512 or SSE2 class
 * masks, byte 1 the chunking; the rest is the text. */
#include "shared/common.h"
#include "shared/buf.h"
#include "shared/pii/pii.h"
#include "shared/pii/pii_int.h"
#include "shared/pii/pii_lit.h"

#include <stdint.h>
#include <sys/platform/x86.h>

#include "tests/fuzz/pii_engines.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int note(void *ctx, const struct pii_finding *f)
{
	return akios_buf_appendf(ctx, "%s %llu %llu\n", f->pattern,
				 (unsigned long long)f->offset,
				 (unsigned long long)f->length);
}

/* chunk == 0: whole buffer; else streamed in feeds of 1..chunk bytes. */
static void redact(struct pii_engine *eng, bool reference, unsigned chunk,
		   const char *in, size_t len, struct akios_buf *out,
		   struct akios_buf *found)
{
	struct pii_stream *st = NULL;

	if (pii_engine_reference(eng, reference))
		__builtin_trap();
	akios_buf_init(out, 64 * len + 4096);
	akios_buf_init(found, 64 * len + 4096);
	if (!chunk) {
		if (pii_redact_buffer(eng, in, len, out, note, found))
			__builtin_trap();
		return;
	}
	if (pii_stream_new(eng, note, found, &st))
		__builtin_trap();
	for (size_t off = 0, n; off < len; off += n) {
		n = 1 + (off * 7 + len) % chunk;
		n = n < len - off ? n : len - off;
		if (pii_stream_feed(st, in + off, n, out))
			__builtin_trap();
	}
	if (pii_stream_finish(st, out))
		__builtin_trap();
	pii_stream_free(st);
}

static bool same(const struct akios_buf *a, const struct akios_buf *b)
{
	return a->len == b->len &&
	       (a->len == 0 || memcmp(a->ptr, b->ptr, a->len) == 0);
}

/* The raw matches of the reference and of both default scans. */
static bool same_raw(struct pii_engine *eng, const char *text, size_t len)
{
	struct pii_engine_view *v = pii_engine_view(eng);
	const struct pii_raw *r;
	struct pii_raw *ref;
	size_t n_ref;
	size_t n;
	bool ok = true;

	if (pii_raw_matches(eng, text, len, true, &r, &n_ref))
		__builtin_trap();
	ref = malloc(n_ref * sizeof(*ref) + 1);
	if (!ref)
		__builtin_trap();
	if (n_ref)
		memcpy(ref, r, n_ref * sizeof(*ref));
	for (int path = PII_LIT_BEST; ok && path <= PII_LIT_SCALAR; path++) {
		v->lit_path = path;
		if (pii_raw_matches(eng, text, len, false, &r, &n))
			__builtin_trap();
		ok = n == n_ref;
		for (size_t i = 0; ok && i < n; i++)
			ok = r[i].idx == ref[i].idx && r[i].s == ref[i].s &&
			     r[i].e == ref[i].e;
	}
	v->lit_path = PII_LIT_BEST;
	free(ref);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct akios_buf out[3];
	struct akios_buf found[3];
	struct pii_engine *eng;
	const char *in = (const char *)data + 2;
	size_t len;

	if (size < 2)
		return 0;
	len = size - 2;
	eng = engine(data[0] % 3);
	/* the rows run in C: class masks by AVX-512 or SSE2 */
	if (pii_engine_view(eng)->lit && pii_engine_view(eng)->lit->anch)
		pii_engine_view(eng)->lit->anch->avx512 =
		    (data[0] / 3) % 2 == 0 && CPU_FEATURE_ACTIVE(AVX512F) &&
		    CPU_FEATURE_ACTIVE(AVX512BW);
	if (!same_raw(eng, in, len))
		__builtin_trap(); /* the literal scan diverged */
	redact(eng, true, 0, in, len, &out[0], &found[0]);
	redact(eng, false, 0, in, len, &out[1], &found[1]);
	redact(eng, false, 1 + data[1], in, len, &out[2], &found[2]);
	if (pii_engine_reference(eng, false))
		__builtin_trap();
	for (int i = 1; i < 3; i++) {
		if (!same(&out[0], &out[i]) || !same(&found[0], &found[i]))
			__builtin_trap(); /* the redactions diverged */
	}
	for (int i = 0; i < 3; i++) {
		akios_buf_free(&out[i]);
		akios_buf_free(&found[i]);
	}
	return 0;
}
