/* pii_digits: the digit rows (PII_SCAN_DIGITS) matched in C, without
 * Vectorscan. Each row's tree (pii_digits_build.c) is run from every
 * candidate start over the set of positions it can reach (bit i: i bytes
 * past the start). Per row, each end is reported once, with the leftmost
 * start that reaches it: the pairs HS_FLAG_SOM_LEFTMOST reports over the
 * window. Invariant: candidate starts are tried in increasing order, and
 * every start of a match is tried. */
#include "shared/common.h"
#include "shared/pii/pii_int.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

static const struct dg_node *kid(const struct pii_digits *d,
				 const struct dg_node *n, unsigned i)
{
	return &d->node[d->kid[n->kid0 + i]];
}

struct dg_scan {
	const struct pii_digits *d;
	const unsigned char *t;
	size_t len;
	size_t s;	/* the start: bit i of a set is t[s + i] */
	uint64_t ahead; /* bit i: t[s + i] is a digit (i < DG_BLOCK) */
	size_t o;	/* the block holding s */
	DG_SET dm;	/* bit i: t[o + i] is a digit */
	/* flat nodes' class masks, made once per start: bit i of cm[c]:
	 * t[s + i] is in class c (i < DG_BLOCK) */
	uint64_t have[2]; /* bit c: cm[c] is made */
	uint64_t cm[DG_MAX_CLS];
};

#ifdef __SSE2__
/* Bit i: p[i] - lo <= span (unsigned), for 16 bytes. */
static uint64_t in_range(__m128i v, char lo, char span)
{
	__m128i x = _mm_sub_epi8(v, _mm_set1_epi8(lo));

	return (uint16_t)_mm_movemask_epi8(
	    _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(span)), x));
}

static __m128i load16(const unsigned char *p)
{
	return _mm_loadu_si128((const __m128i *)(const void *)p);
}

/* Bit i: p[i] is a digit, for DG_BLOCK bytes. */
static uint64_t digits64(const unsigned char *p)
{
	uint64_t m = 0;

	for (unsigned i = 0; i < DG_BLOCK; i += 16)
		m |= in_range(load16(p + i), '0', 9) << i;
	return m;
}

/* Bit i: p[i] is a word byte ([0-9A-Za-z_]). */
static uint64_t words64(const unsigned char *p)
{
	uint64_t m = 0;

	for (unsigned i = 0; i < DG_BLOCK; i += 16) {
		__m128i v = load16(p + i);
		__m128i us = _mm_cmpeq_epi8(v, _mm_set1_epi8('_'));

		m |= (in_range(v, '0', 9) |
		      in_range(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 25) |
		      (uint16_t)_mm_movemask_epi8(us))
		     << i;
	}
	return m;
}
#else
static uint64_t digits64(const unsigned char *p)
{
	uint64_t m = 0;

	for (unsigned i = 0; i < DG_BLOCK; i++)
		m |= (uint64_t)((unsigned)(p[i] - '0') < 10) << i;
	return m;
}

static uint64_t words64(const unsigned char *p)
{
	uint64_t m = 0;

	for (unsigned i = 0; i < DG_BLOCK; i++)
		m |= (uint64_t)pii_word_byte(p[i]) << i;
	return m;
}
#endif

/* Bit i: t[s + i] is in class k (i < DG_BLOCK, s + i < len). */
static uint64_t class_at(struct dg_scan *x, unsigned k)
{
	const struct pii_digits *d = x->d;
	const unsigned char *p = x->t + x->s;
	size_t n = x->len - x->s < DG_BLOCK ? x->len - x->s : DG_BLOCK;
	uint64_t m = 0;

#ifdef __SSE2__
	if (n == DG_BLOCK && d->cls_nr[k] <= DG_RANGES) {
		for (unsigned i = 0; i < DG_BLOCK; i += 16) {
			__m128i v = load16(p + i);
			uint64_t b = 0;

			for (unsigned r = 0; r < d->cls_nr[k]; r++)
				b |= in_range(v, (char)d->cls_lo[k][r],
					      (char)d->cls_span[k][r]);
			m |= b << i;
		}
		return m;
	}
#endif
	for (size_t i = 0; i < n; i++)
		m |= (uint64_t)((d->cls_of[p[i]][k / 64] >> (k % 64)) & 1) << i;
	return m;
}

static uint64_t cls_mask(struct dg_scan *x, unsigned k)
{
	if (x->d->cls_digit[k])
		return x->ahead;
	if (!((x->have[k / 64] >> (k % 64)) & 1)) {
		x->have[k / 64] |= 1ull << (k % 64);
		x->cm[k] = class_at(x, k);
	}
	return x->cm[k];
}

/* One round of a flat node's kid over masks: a class moves each
 * position one byte on, a run {min,max} min to max bytes. A position
 * of in that a class would consume is below DG_BLOCK (no match of the
 * row is wider), so the 64-bit masks cover every byte consumed. */
static DG_SET flat_step(struct dg_scan *x, const struct dg_node *cat, DG_SET in)
{
	for (unsigned i = 0; i < cat->n_kid && in; i++) {
		const struct dg_node *k = kid(x->d, cat, i);
		bool run = k->kind == DG_REP;
		DG_SET m = cls_mask(x, run ? kid(x->d, k, 0)->cls : k->cls);
		DG_SET acc;

		if (!run) {
			in = (in & m) << 1;
			continue;
		}
		for (unsigned j = 0; j < k->min && in; j++)
			in = (in & m) << 1;
		acc = in;
		for (unsigned j = k->min; j < k->max && in; j++) {
			in = (in & m) << 1;
			acc |= in;
		}
		in = acc;
	}
	return in;
}

static unsigned low_bit(DG_SET x)
{
	uint64_t lo = (uint64_t)x;

	return lo ? (unsigned)__builtin_ctzll(lo)
		  : 64u + (unsigned)__builtin_ctzll((uint64_t)(x >> 64));
}

static bool word_at(struct dg_scan *x, size_t p)
{
	return p < x->len && x->d->word[x->t[p]];
}

static bool boundary(struct dg_scan *x, size_t p)
{
	return (p > 0 && word_at(x, p - 1)) != word_at(x, p);
}

static bool in_cls(struct dg_scan *x, unsigned cls, size_t p)
{
	return p < x->len &&
	       ((x->d->cls_of[x->t[p]][cls / 64] >> (cls % 64)) & 1);
}

/* Bits lo..hi (hi < DG_SPAN); unsigned wrap-around makes hi == 127
 * come out right. */
static DG_SET bits(unsigned lo, unsigned hi)
{
	return ((DG_SET)2 << hi) - ((DG_SET)1 << lo);
}

static DG_SET eval(struct dg_scan *x, const struct dg_node *n, DG_SET in);

/* n{min,max} over one class: one count per start. */
static DG_SET eval_run(struct dg_scan *x, const struct dg_node *n, DG_SET in)
{
	DG_SET out = 0;

	while (in) {
		unsigned i = low_bit(in);
		unsigned r = 0;

		in &= in - 1;
		while (r < n->max && in_cls(x, n->cls, x->s + i + r))
			r++;
		if (r >= n->min)
			out |= bits(i + n->min, i + r);
	}
	return out;
}

static DG_SET eval_rep(struct dg_scan *x, const struct dg_node *n, DG_SET in)
{
	const struct dg_node *k = kid(x->d, n, 0);
	DG_SET acc;

	if (n->run)
		return eval_run(x, n, in);
	for (unsigned i = 0; i < n->min && in; i++)
		in = n->flat ? flat_step(x, k, in) : eval(x, k, in);
	acc = in;
	for (unsigned i = n->min; i < n->max && in; i++) {
		in = n->flat ? flat_step(x, k, in) : eval(x, k, in);
		if (!(in & ~acc))
			break; /* nothing new: later rounds add nothing */
		acc |= in;
	}
	return acc;
}

static DG_SET eval(struct dg_scan *x, const struct dg_node *n, DG_SET in)
{
	DG_SET out = 0;

	switch (n->kind) {
	case DG_CLS:
		for (DG_SET m = in; m; m &= m - 1) {
			unsigned i = low_bit(m);

			if (in_cls(x, n->cls, x->s + i))
				out |= (DG_SET)1 << (i + 1);
		}
		return out;
	case DG_BND:
		for (DG_SET m = in; m; m &= m - 1) {
			unsigned i = low_bit(m);

			if (boundary(x, x->s + i))
				out |= (DG_SET)1 << i;
		}
		return out;
	case DG_REP:
		return eval_rep(x, n, in);
	case DG_CAT:
		for (unsigned i = 0; i < n->n_kid && in; i++)
			in = eval(x, kid(x->d, n, i), in);
		return in;
	default:
		for (unsigned i = 0; i < n->n_kid; i++)
			out |= eval(x, kid(x->d, n, i), in);
		return out;
	}
}

/* Bits set in m (no popcnt instruction in the baseline x86-64). */
static unsigned popcount64(uint64_t m)
{
	m -= (m >> 1) & 0x5555555555555555ull;
	m = (m & 0x3333333333333333ull) + ((m >> 2) & 0x3333333333333333ull);
	m = (m + (m >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (unsigned)((m * 0x0101010101010101ull) >> 56);
}

/* Row r from start x->s: reports each end not reached from an earlier
 * start (starts come in increasing order). */
static int try_row(struct pii_digits *d, struct dg_scan *x, unsigned r,
		   pii_digits_fn fn, void *ctx)
{
	struct dg_row *row = &d->row[r];
	DG_SET ends;
	DG_SET fresh;
	size_t gap = x->s - row->done_at;
	int rc = 0;

	if (popcount64(x->ahead & row->span) < row->min_digits)
		return 0;
	ends = eval(x, &d->node[row->root], 1);
	if (!ends)
		return 0;
	row->done = gap >= DG_SPAN ? 0 : row->done >> gap;
	row->done_at = x->s;
	fresh = ends & ~row->done;
	row->done |= ends;
	for (; fresh && !rc; fresh &= fresh - 1)
		rc = fn(ctx, row->idx, x->s, x->s + low_bit(fresh));
	return rc;
}

/* The start x->s, next digit at t, b: a word boundary at x->s. */
static int try_at(struct pii_digits *d, struct dg_scan *x, size_t t, bool b,
		  pii_digits_fn fn, void *ctx)
{
	size_t n = x->len - x->s < DG_AHEAD ? x->len - x->s : DG_AHEAD;
	unsigned char c = x->t[x->s];
	uint64_t m = d->near[t - x->s] & d->at_of[0][c];
	int rc = 0;

	if (!b)
		m &= d->nb_first[c];
	for (size_t j = 1; j < n && m; j++)
		m &= d->at_of[j][x->t[x->s + j]];
	x->ahead = (uint64_t)(x->dm >> (x->s - x->o));
	x->have[0] = x->have[1] = 0;
	for (; m && !rc; m &= m - 1)
		rc = try_row(d, x, (unsigned)__builtin_ctzll(m), fn, ctx);
	return rc;
}

/* fn's mask of t[o, o + DG_BLOCK); a short last block through a zeroed
 * copy (NUL is neither a digit nor a word byte). */
static uint64_t mask_at(struct dg_scan *x, size_t o,
			uint64_t (*fn)(const unsigned char *))
{
	unsigned char tail[DG_BLOCK] = {0};

	if (o >= x->len)
		return 0;
	if (x->len - o >= DG_BLOCK)
		return fn(x->t + o);
	memcpy(tail, x->t + o, x->len - o);
	return fn(tail);
}

/* Bit i: a bit of m is set at i .. i + k (k < 64). */
static DG_SET smear(DG_SET m, unsigned k)
{
	DG_SET r = m;

	for (unsigned have = 1; have <= k;) {
		unsigned step = have <= k + 1 - have ? have : k + 1 - have;

		r |= r >> step;
		have += step;
	}
	return r;
}

/* The starts in block o: every match holds a digit at most lead bytes
 * past its start; it starts at a word boundary, or (rows in nb_first)
 * at most lead_nb bytes before a digit. *bnd: the word boundaries. */
static uint64_t starts(const struct pii_digits *d, struct dg_scan *x,
		       uint64_t *bnd)
{
	uint64_t near = (uint64_t)smear(x->dm, (unsigned)d->lead);
	uint64_t nb = (uint64_t)smear(x->dm, (unsigned)d->lead_nb) & near;
	uint64_t w = near ? mask_at(x, x->o, words64) : 0;
	uint64_t b = w ^ ((w << 1) | (x->o > 0 && d->word[x->t[x->o - 1]]));
	uint64_t out = near & b;

	*bnd = b;
	for (uint64_t m = nb & ~b; m; m &= m - 1) {
		unsigned i = (unsigned)__builtin_ctzll(m);

		if (d->nb_any[x->t[x->o + i]])
			out |= 1ull << i;
	}
	return out;
}

/* The starts in block x->o (see starts()), tried in order. */
static int try_block(struct pii_digits *d, struct dg_scan *x, pii_digits_fn fn,
		     void *ctx)
{
	uint64_t bnd;
	uint64_t s = starts(d, x, &bnd);
	int rc = 0;

	for (; s && !rc; s &= s - 1) {
		unsigned i = (unsigned)__builtin_ctzll(s);

		x->s = x->o + i;
		rc = try_at(d, x, x->s + low_bit(x->dm >> i), (bnd >> i) & 1,
			    fn, ctx);
	}
	return rc;
}

/* Every match holds a digit t and starts in [t - lead, t]: the text is
 * taken in blocks of DG_BLOCK bytes (offsets multiple of it); from each
 * digit found by pii_next_digit's vector scan, the blocks from the one
 * holding t - lead on are looked at. */
int pii_digits_scan(struct pii_digits *d, const char *text, size_t len,
		    pii_digits_fn fn, void *ctx)
{
	struct dg_scan x = {
	    .d = d, .t = (const unsigned char *)text, .len = len};
	size_t o = 0;	 /* blocks before o are done */
	size_t have = 1; /* next holds the mask of block have (1: none) */
	uint64_t next = 0;
	int rc = 0;

	for (unsigned r = 0; r < d->n_row; r++) {
		d->row[r].done = 0;
		d->row[r].done_at = 0;
	}
	while (o < len && !rc) {
		size_t t = pii_next_digit(text, o, len);
		uint64_t cur;

		if (t == len)
			break;
		t = t > d->lead ? (t - d->lead) & ~(size_t)(DG_BLOCK - 1) : 0;
		x.o = t > o ? t : o;
		cur = have == x.o ? next : mask_at(&x, x.o, digits64);
		next = mask_at(&x, x.o + DG_BLOCK, digits64);
		have = x.o + DG_BLOCK;
		x.dm = cur | (DG_SET)next << 64;
		rc = try_block(d, &x, fn, ctx);
		o = x.o + DG_BLOCK;
	}
	return rc;
}
