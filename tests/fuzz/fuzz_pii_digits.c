/* libFuzzer harness for the digit rows' C matcher (pii_digits.c): on
 * random bytes, the raw matches (row, leftmost start, end) must equal
 * those of Vectorscan over each digit piece (the reference), and
 * redacting with either must give the same output and findings; any
 * difference traps. Byte 0 picks the mode and whether the C matcher's
 * class masks take AVX-512 (where the CPU has it) or SSE2; the rest is
 * the text. */
#include "shared/common.h"
#include "shared/buf.h"
#include "shared/pii/pii.h"
#include "shared/pii/pii_int.h"

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

static void redact(struct pii_engine *eng, bool apart, const char *in,
		   size_t len, struct akios_buf *out, struct akios_buf *found)
{
	if (pii_engine_reference(eng, apart))
		__builtin_trap();
	akios_buf_init(out, 64 * len + 4096);
	akios_buf_init(found, 64 * len + 4096);
	if (pii_redact_buffer(eng, in, len, out, note, found))
		__builtin_trap();
}

static bool same(const struct akios_buf *a, const struct akios_buf *b)
{
	/* an empty buffer may have no storage: no memcmp on NULL */
	return a->len == b->len &&
	       (a->len == 0 || memcmp(a->ptr, b->ptr, a->len) == 0);
}

/* The raw matches of both paths, compared. */
static bool same_raw(struct pii_engine *eng, const char *text, size_t len)
{
	const struct pii_raw *r;
	struct pii_raw *ref;
	size_t n_ref;
	size_t n;
	bool ok;

	if (pii_digit_matches(eng, text, len, true, &r, &n_ref))
		__builtin_trap();
	ref = malloc(n_ref * sizeof(*ref) + 1);
	if (!ref)
		__builtin_trap();
	if (n_ref)
		memcpy(ref, r, n_ref * sizeof(*ref));
	if (pii_digit_matches(eng, text, len, false, &r, &n))
		__builtin_trap();
	ok = n == n_ref;
	for (size_t i = 0; ok && i < n; i++)
		ok = r[i].idx == ref[i].idx && r[i].s == ref[i].s &&
		     r[i].e == ref[i].e;
	free(ref);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct akios_buf out[2];
	struct akios_buf found[2];
	struct pii_engine *eng;

	if (size < 1)
		return 0;
	eng = engine(data[0] % 3);
	pii_engine_view(eng)->digits->avx512 = (data[0] / 3) % 2 == 0 &&
					       CPU_FEATURE_ACTIVE(AVX512F) &&
					       CPU_FEATURE_ACTIVE(AVX512BW);
	if (!same_raw(eng, (const char *)data + 1, size - 1))
		__builtin_trap(); /* the C matcher diverged */
	redact(eng, false, (const char *)data + 1, size - 1, &out[0],
	       &found[0]);
	redact(eng, true, (const char *)data + 1, size - 1, &out[1], &found[1]);
	if (!same(&out[0], &out[1]) || !same(&found[0], &found[1]))
		__builtin_trap(); /* the redactions diverged */
	if (pii_engine_reference(eng, false))
		__builtin_trap();
	for (int i = 0; i < 2; i++) {
		akios_buf_free(&out[i]);
		akios_buf_free(&found[i]);
	}
	return 0;
}
