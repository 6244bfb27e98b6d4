/* Inside the pii module only: pii_lit.c's compiled anchors, shared with
 * its SIMD scans (pii_lit_simd.c). */
#ifndef AKIOS_PII_LIT_H
#define AKIOS_PII_LIT_H

#include "shared/common.h"
#include "shared/pii/pii_int.h"

#include <stdbool.h>
#include <stdint.h>

/* Fingerprint bytes per anchor, items, anchors, byte classes, buckets. */
#define LIT_FP	    4u
#define LIT_ITEMS   40u
#define LIT_ANCHORS 64u
#define LIT_CLASSES 96u
#define LIT_BUCKETS 16u

struct lit_anchor {
	uint8_t cls[LIT_ITEMS];
	uint8_t n;	/* items */
	uint8_t lead;	/* starts 0..lead bytes into the match */
	bool wb;	/* \b right before it */
	uint32_t width; /* widest match of its row */
	uint8_t id;	/* its row's Vectorscan id */
	int16_t crow;	/* its row in anch, or -1 (a piece for Vectorscan) */
};

struct pii_lit {
	/* bucket bits per fingerprint position, by low and high nibble,
	 * buckets 0-7 in [0], 8-15 in [1] (AVX2, scalar) */
	uint8_t lo[2][LIT_FP][16];
	uint8_t hi[2][LIT_FP][16];
	/* the same by whole byte (AVX-512 VBMI): ex[0] for the byte before
	 * (\b), ex[1 + k] for position k; ASCII bytes, then ex_hi for all
	 * bytes from 0x80 */
	uint8_t ex[LIT_FP + 1][2][128];
	uint8_t ex_hi[LIT_FP + 1][2];
	bool vbmi;		      /* the CPU has AVX-512 VBMI */
	uint64_t bucket[LIT_BUCKETS]; /* anchors in each bucket (bit i) */
	/* buckets with an anchor that needs no \b before it: the others
	 * are dropped where a word byte comes before */
	uint16_t no_wb;
	struct lit_anchor a[LIT_ANCHORS];
	unsigned n;
	uint64_t cls[LIT_CLASSES][4]; /* byte sets */
	unsigned n_cls;
	/* the rows pii_digits.c runs from the anchors' starts (NULL:
	 * none), the most bytes a start lies before an anchor of each, and
	 * their Vectorscan ids (bit i: id i) */
	struct pii_digits *anch;
	uint8_t anch_lead[DG_MAX_ROWS];
	uint64_t taken[2];
	/* per bucket and position, the nibbles used (for the assignment) */
	uint16_t lo_used[LIT_BUCKETS][LIT_FP];
	uint16_t hi_used[LIT_BUCKETS][LIT_FP];
};

/* Candidates at t[p] in the buckets of bits: the pieces of the anchors
 * really there go to v. */
int pii_lit_hit(const struct pii_lit *l, struct pii_engine_view *v,
		const uint8_t *t, size_t p, size_t len,
		unsigned bits) AKIOS_NODISCARD;

/* A fingerprint hit: a position and its buckets. */
struct lit_cand {
	size_t p;
	unsigned bits;
};
#define LIT_CANDS 512u

/* The SIMD scans only gather candidates into c[*n..] (no call inside
 * their loops, so the tables stay in registers): positions from `from`
 * (>= 1) on, a vector at a time, while a whole vector and LIT_FP - 1
 * bytes more are left and fewer than LIT_CANDS - 64 candidates are
 * kept. They return where they stopped. The AVX2 one needs AVX2, the
 * AVX-512 one l->vbmi. */
size_t pii_lit_gather_avx2(const struct pii_lit *l, const uint8_t *t,
			   size_t from, size_t len, struct lit_cand *c,
			   size_t *n);
/* dbits (may be NULL): the digits of each 64-byte word t[i - 1, i + 63)
 * it steps over go to dbits[(i - 1) / 64] (from is 1 mod 64). */
size_t pii_lit_gather_avx512(const struct pii_lit *l, const uint8_t *t,
			     size_t from, size_t len, struct lit_cand *c,
			     size_t *n, uint64_t *dbits);

#endif
