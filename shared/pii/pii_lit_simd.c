/* pii_lit_simd: pii_lit.c's fingerprint scans, 32 positions a step with
 * AVX2 (nibble tables: each position takes the product of its low and
 * high nibble sets) or 64 with AVX-512 VBMI (whole-byte tables: exact
 * sets). Both only propose candidates: pii_lit_hit checks each anchor
 * in full, so either gives the same pieces as the scalar scan. */
#include "shared/common.h"
#include "shared/pii/pii_lit.h"

#ifdef __x86_64__
#include <immintrin.h>

/* Bytes of x that are word bytes ([A-Za-z0-9_]) as 0xff. */
__attribute__((target("avx2"))) static __m256i word_avx2(__m256i x)
{
	__m256i d = _mm256_sub_epi8(x, _mm256_set1_epi8('0'));
	__m256i a = _mm256_sub_epi8(_mm256_or_si256(x, _mm256_set1_epi8(0x20)),
				    _mm256_set1_epi8('a'));
	__m256i dig =
	    _mm256_cmpeq_epi8(_mm256_min_epu8(d, _mm256_set1_epi8(9)), d);
	__m256i alpha =
	    _mm256_cmpeq_epi8(_mm256_min_epu8(a, _mm256_set1_epi8(25)), a);

	return _mm256_or_si256(_mm256_or_si256(dig, alpha),
			       _mm256_cmpeq_epi8(x, _mm256_set1_epi8('_')));
}

/* The nibble tables, both halves, broadcast to both 128-bit lanes. */
struct lit_tables {
	__m256i lo[2][LIT_FP], hi[2][LIT_FP];
};

__attribute__((target("avx2"))) static void tables_avx2(const struct pii_lit *l,
							struct lit_tables *tb)
{
	for (unsigned h = 0; h < 2; h++) {
		for (unsigned k = 0; k < LIT_FP; k++) {
			tb->lo[h][k] =
			    _mm256_broadcastsi128_si256(_mm_loadu_si128(
				(const __m128i *)(const void *)l->lo[h][k]));
			tb->hi[h][k] =
			    _mm256_broadcastsi128_si256(_mm_loadu_si128(
				(const __m128i *)(const void *)l->hi[h][k]));
		}
	}
}

/* Buckets 0-7 in m[0], 8-15 in m[1] at the 32 positions of t, where
 * m[] already allows them (\b or no need of it). */
__attribute__((target("avx2"))) static inline void
buckets_avx2(const struct lit_tables *tb, const uint8_t *t, __m256i m[2])
{
	const __m256i nib = _mm256_set1_epi8(0x0f);

#pragma GCC unroll 4
	for (unsigned k = 0; k < LIT_FP; k++) {
		__m256i x =
		    _mm256_loadu_si256((const __m256i *)(const void *)(t + k));
		__m256i xl = _mm256_and_si256(x, nib);
		__m256i xh = _mm256_and_si256(_mm256_srli_epi16(x, 4), nib);

		m[0] = _mm256_and_si256(
		    m[0],
		    _mm256_and_si256(_mm256_shuffle_epi8(tb->lo[0][k], xl),
				     _mm256_shuffle_epi8(tb->hi[0][k], xh)));
		m[1] = _mm256_and_si256(
		    m[1],
		    _mm256_and_si256(_mm256_shuffle_epi8(tb->lo[1][k], xl),
				     _mm256_shuffle_epi8(tb->hi[1][k], xh)));
	}
}

/* The candidates of one vector: each set bit of `bits` is a position
 * i + j whose buckets are m0[j] | m1[j] << 8. */
static size_t keep(struct lit_cand *c, size_t n, size_t i, uint64_t bits,
		   const uint8_t *m0, const uint8_t *m1)
{
	for (; bits; bits &= bits - 1) {
		unsigned j = (unsigned)__builtin_ctzll(bits);

		c[n++] = (struct lit_cand){
		    .p = i + j, .bits = m0[j] | (unsigned)m1[j] << 8};
	}
	return n;
}

__attribute__((target("avx2"))) size_t
pii_lit_gather_avx2(const struct pii_lit *l, const uint8_t *t, size_t from,
		    size_t len, struct lit_cand *c, size_t *n)
{
	const __m256i wb0 = _mm256_set1_epi8((char)(l->no_wb & 0xff));
	const __m256i wb1 = _mm256_set1_epi8((char)(l->no_wb >> 8));
	struct lit_tables tb;
	size_t i = from;

	tables_avx2(l, &tb);
	for (; *n < LIT_CANDS - 64 && i + 32 + LIT_FP - 1 <= len; i += 32) {
		__m256i nw = _mm256_xor_si256(
		    word_avx2(_mm256_loadu_si256(
			(const __m256i *)(const void *)(t + i - 1))),
		    _mm256_set1_epi8(-1));
		__m256i m[2] = {_mm256_or_si256(nw, wb0),
				_mm256_or_si256(nw, wb1)};
		uint8_t mb[2][32];
		unsigned bits;

		buckets_avx2(&tb, t + i, m);
		bits = ~(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(
		    _mm256_or_si256(m[0], m[1]), _mm256_setzero_si256()));
		if (!bits)
			continue;
		_mm256_storeu_si256((__m256i *)(void *)mb[0], m[0]);
		_mm256_storeu_si256((__m256i *)(void *)mb[1], m[1]);
		*n = keep(c, *n, i, bits, mb[0], mb[1]);
	}
	return i;
}

#define AVX512 "avx512f,avx512bw,avx512vbmi"

/* The whole-byte tables live in 20 named registers: through an array,
 * GCC kept them on the stack and reloaded each one per step (vpermt2b
 * overwrites a table), which made the scan load-bound. T(k, h): position
 * k's table for bucket half h, 128 ASCII entries in two vectors. */
#define TAB(k, h)                                                              \
	const __m512i lo##k##h = _mm512_loadu_si512(l->ex[k][h]);              \
	const __m512i hi##k##h = _mm512_loadu_si512(l->ex[k][h] + 64)
#define LUT(k, h, x) _mm512_permutex2var_epi8(lo##k##h, x, hi##k##h)
/* position k >= 1 at t + k - 1, looked up by its low 7 bits (pii_lit.c
 * made each entry cover the bytes from 0x80 that share it) */
#define STEP(k, t)                                                             \
	do {                                                                   \
		__m512i x_ = _mm512_loadu_si512((t) + (k)-1);                  \
		m0 = _mm512_and_si512(m0, LUT(k, 0, x_));                      \
		m1 = _mm512_and_si512(m1, LUT(k, 1, x_));                      \
	} while (0)

_Static_assert(LIT_FP == 4, "pii_lit_gather_avx512 looks at 4 bytes");

__attribute__((target(AVX512))) size_t
pii_lit_gather_avx512(const struct pii_lit *l, const uint8_t *t, size_t from,
		      size_t len, struct lit_cand *c, size_t *n,
		      uint64_t *dbits)
{
	TAB(0, 0);
	TAB(0, 1);
	TAB(1, 0);
	TAB(1, 1);
	TAB(2, 0);
	TAB(2, 1);
	TAB(3, 0);
	TAB(3, 1);
	TAB(4, 0);
	TAB(4, 1);
	const __m512i top0 = _mm512_set1_epi8((char)l->ex_hi[0][0]);
	const __m512i top1 = _mm512_set1_epi8((char)l->ex_hi[0][1]);
	size_t i = from;

	for (; *n < LIT_CANDS - 64 && i + 64 + LIT_FP - 1 <= len; i += 64) {
		/* the byte before: from 0x80 it is no word byte */
		__m512i x = _mm512_loadu_si512(t + i - 1);
		__mmask64 top = _mm512_movepi8_mask(x);

		if (dbits)
			dbits[(i - 1) / 64] = _mm512_cmple_epu8_mask(
			    _mm512_sub_epi8(x, _mm512_set1_epi8('0')),
			    _mm512_set1_epi8(9));
		__m512i m0 = _mm512_mask_blend_epi8(top, LUT(0, 0, x), top0);
		__m512i m1 = _mm512_mask_blend_epi8(top, LUT(0, 1, x), top1);
		uint8_t mb[2][64];
		uint64_t bits;

		STEP(1, t + i);
		STEP(2, t + i);
		STEP(3, t + i);
		STEP(4, t + i);
		bits = _mm512_test_epi8_mask(_mm512_or_si512(m0, m1),
					     _mm512_set1_epi8(-1));
		if (!bits)
			continue;
		_mm512_storeu_si512(mb[0], m0);
		_mm512_storeu_si512(mb[1], m1);
		*n = keep(c, *n, i, bits, mb[0], mb[1]);
	}
	return i;
}
#endif
