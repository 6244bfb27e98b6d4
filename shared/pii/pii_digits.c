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
#ifdef __x86_64__
#include <immintrin.h>
#endif

struct dg_scan {
	const struct pii_digits *d;
	const unsigned char *t;
	size_t len;
	const uint64_t *dbits; /* digits by 64-byte word, dbits[0..nw) */
	size_t nw;
	size_t s;	/* the start */
	uint64_t ahead; /* bit i: t[s + i] is a digit (i < DG_BLOCK) */
	size_t o;	/* the block holding s: sets are block bits */
	DG_SET dm;	/* bit i: t[o + i] is a digit */
	DG_SET bnd;	/* bit i: a word boundary right before t[o + i] */
	/* class masks of the block, made when first used: bit i of cm[c]:
	 * t[o + i] is in class c (i < 2 * DG_BLOCK, o + i < len). A row
	 * is at most DG_BLOCK wide and starts in [o, o + DG_BLOCK), so
	 * each byte it can take has its bit. */
	uint64_t have[2]; /* bit c: cm[c] is made */
	DG_SET cm[DG_MAX_CLS];
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

#endif

#ifdef __x86_64__
/* ranges64() by AVX-512: a mask register per range. */
__attribute__((target("avx512f,avx512bw"))) static uint64_t
ranges_avx512(const uint8_t *lo, const uint8_t *span, unsigned nr,
	      const unsigned char *p)
{
	const __m512i v = _mm512_loadu_si512(p);
	uint64_t m = 0;

	for (unsigned r = 0; r < nr; r++)
		m |= _mm512_cmple_epu8_mask(
		    _mm512_sub_epi8(v, _mm512_set1_epi8((char)lo[r])),
		    _mm512_set1_epi8((char)span[r]));
	return m;
}
#endif

/* Bit i: p[i] lies in one of the byte ranges [lo[r], lo[r] + span[r]],
 * r < nr (<= DG_RANGES), for DG_BLOCK bytes. */
static uint64_t ranges64(const struct pii_digits *d, const uint8_t *lo,
			 const uint8_t *span, unsigned nr,
			 const unsigned char *p)
{
	uint64_t m = 0;

#ifdef __x86_64__
	if (d->avx512)
		return ranges_avx512(lo, span, nr, p);
#endif
#ifdef __SSE2__
	for (unsigned i = 0; i < DG_BLOCK; i += 16) {
		__m128i v = load16(p + i);
		uint64_t b = 0;

		for (unsigned r = 0; r < nr; r++)
			b |= in_range(v, (char)lo[r], (char)span[r]);
		m |= b << i;
	}
#else
	for (unsigned i = 0; i < DG_BLOCK; i++) {
		for (unsigned r = 0; r < nr; r++)
			m |= (uint64_t)((uint8_t)(p[i] - lo[r]) <= span[r])
			     << i;
	}
#endif
	return m;
}

/* Bit i: t[o + i] is in class k (i < 2 * DG_BLOCK; 0 past len). */
static DG_SET class_block(const struct dg_scan *x, unsigned k)
{
	const struct pii_digits *d = x->d;
	const unsigned char *p = x->t + x->o;
	const size_t two = 2 * (size_t)DG_BLOCK;
	size_t n = x->len - x->o < two ? x->len - x->o : two;
	DG_SET m = 0;

	if (n == two && d->cls_nr[k] <= DG_RANGES)
		return ranges64(d, d->cls_lo[k], d->cls_span[k], d->cls_nr[k],
				p) |
		       (DG_SET)ranges64(d, d->cls_lo[k], d->cls_span[k],
					d->cls_nr[k], p + DG_BLOCK)
			   << 64;
	for (size_t i = 0; i < n; i++)
		m |= (DG_SET)((d->cls_of[p[i]][k / 64] >> (k % 64)) & 1) << i;
	return m;
}

/* Class k's mask over the block, made once per block. */
static DG_SET mask(struct dg_scan *x, unsigned k)
{
	if (!((x->have[k / 64] >> (k % 64)) & 1)) {
		x->have[k / 64] |= 1ull << (k % 64);
		x->cm[k] = class_block(x, k);
	}
	return x->cm[k];
}

static unsigned low_bit(DG_SET x)
{
	uint64_t lo = (uint64_t)x;

	return lo ? (unsigned)__builtin_ctzll(lo)
		  : 64u + (unsigned)__builtin_ctzll((uint64_t)(x >> 64));
}

/* One byte of class k from each position of in: a lone position
 * tests its byte (a keyword's letters are classes of their own, each
 * used once), more use the block's mask. */
static DG_SET cls_step(struct dg_scan *x, unsigned k, DG_SET in)
{
	size_t p;

	if (in & (in - 1) || ((x->have[k / 64] >> (k % 64)) & 1))
		return (in & mask(x, k)) << 1;
	if (!in)
		return 0;
	p = x->o + low_bit(in);
	return p < x->len && ((x->d->cls_of[x->t[p]][k / 64] >> (k % 64)) & 1)
		   ? in << 1
		   : 0;
}

/* min..max bytes of the class m from each position of in. */
static DG_SET run(DG_SET in, DG_SET m, unsigned min, unsigned max)
{
	DG_SET acc;

	for (unsigned j = 0; j < min && in; j++)
		in = (in & m) << 1;
	acc = in;
	for (unsigned j = min; j < max && in; j++) {
		in = (in & m) << 1;
		acc |= in;
	}
	return acc;
}

/* One round of a flat repeat's body (the n ops at b). */
static DG_SET flat_round(struct dg_scan *x, const struct dg_op *b, unsigned n,
			 DG_SET in)
{
	for (unsigned i = 0; i < n && in; i++) {
		DG_SET m = mask(x, b[i].cls);

		in = b[i].op == DG_OP_CLS ? (in & m) << 1
					  : run(in, m, b[i].min, b[i].max);
	}
	return in;
}

/* A repeat's rounds; later rounds that add nothing new end it (each
 * op distributes over union, so no later one could). */
static DG_SET flat(struct dg_scan *x, const struct dg_op *o, DG_SET in)
{
	DG_SET acc;

	for (unsigned i = 0; i < o->min && in; i++)
		in = flat_round(x, o + 1, o->n, in);
	acc = in;
	for (unsigned i = o->min; i < o->max && in; i++) {
		in = flat_round(x, o + 1, o->n, in);
		if (!(in & ~acc))
			break;
		acc |= in;
	}
	return acc;
}

struct dg_frame {
	DG_SET a;   /* DG_OP_ALT: the set at the start; REP: the union */
	DG_SET b;   /* DG_OP_ALT: the branches' union */
	unsigned n; /* DG_OP_REP: rounds done */
};

/* The end of a repeat's round (as flat()): true to go round again,
 * else *in is the repeat's set. */
static bool rep_again(struct dg_frame *f, const struct dg_op *o, DG_SET *in)
{
	f->n++;
	if (f->n < o->min)
		return *in != 0;
	if (f->n == o->min) {
		f->a = *in;
		return *in && f->n < o->max;
	}
	if (!(*in & ~f->a)) {
		*in = f->a;
		return false;
	}
	f->a |= *in;
	if (f->n < o->max)
		return true;
	*in = f->a;
	return false;
}

/* The program at op `first` from the positions in (block bits). */
static DG_SET run_row(struct dg_scan *x, unsigned first, DG_SET in)
{
	const struct dg_op *prog = x->d->op; /* jmp and fail index it */
	const struct dg_op *o = prog + first;
	struct dg_frame st[DG_DEPTH];
	unsigned sp = 0;

	for (;;) {
		switch (o->op) {
		case DG_OP_CLS:
			in = cls_step(x, o->cls, in);
			break;
		case DG_OP_RUN:
			in = run(in, mask(x, o->cls), o->min, o->max);
			break;
		case DG_OP_BND:
			in &= x->bnd;
			break;
		case DG_OP_FLAT:
			in = flat(x, o, in);
			break;
		case DG_OP_ALT:
			st[sp++] = (struct dg_frame){.a = in};
			o++;
			continue;
		case DG_OP_OR:
			st[sp - 1].b |= in;
			in = st[sp - 1].a;
			o++;
			continue;
		case DG_OP_END_ALT:
			in |= st[--sp].b;
			break;
		case DG_OP_REP:
			st[sp++] = (struct dg_frame){.a = o->min ? 0 : in};
			o++;
			continue;
		case DG_OP_END_REP:
			if (rep_again(&st[sp - 1], o, &in)) {
				o = prog + o->jmp;
				continue;
			}
			sp--;
			break;
		default:
			return in;
		}
		o = in ? o + 1 + (o->op == DG_OP_FLAT ? o->n : 0)
		       : prog + o->fail;
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

/* The row from start x->s: reports each end not reached from an
 * earlier start (starts come in increasing order). */
static int ends_at(struct dg_scan *x, struct dg_row *row, pii_digits_fn fn,
		   void *ctx)
{
	DG_SET ends;
	DG_SET fresh;
	size_t gap = x->s - row->done_at;
	int rc = 0;

	ends =
	    run_row(x, row->prog, (DG_SET)1 << (x->s - x->o)) >> (x->s - x->o);
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

/* Row r from start x->s, if the digits ahead allow it. */
static int try_row(struct pii_digits *d, struct dg_scan *x, unsigned r,
		   pii_digits_fn fn, void *ctx)
{
	struct dg_row *row = &d->row[r];

	if (popcount64(x->ahead & row->span) < row->min_digits)
		return 0;
	return ends_at(x, row, fn, ctx);
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
	for (; m && !rc; m &= m - 1)
		rc = try_row(d, x, (unsigned)__builtin_ctzll(m), fn, ctx);
	return rc;
}

/* The bytes of t[o, o + DG_BLOCK) in the ranges (ranges64()); a
 * short last block through a zeroed copy: NUL is neither a digit nor
 * a word byte, and first_at() says why it does no harm there. */
static uint64_t mask_at(const struct dg_scan *x, size_t o, const uint8_t *lo,
			const uint8_t *span, unsigned nr)
{
	unsigned char tail[DG_BLOCK] = {0};

	if (o >= x->len)
		return 0;
	if (x->len - o >= DG_BLOCK)
		return ranges64(x->d, lo, span, nr, x->t + o);
	memcpy(tail, x->t + o, x->len - o);
	return ranges64(x->d, lo, span, nr, tail);
}

/* [0-9], and word bytes [0-9A-Z_a-z], as ranges */
static const uint8_t digit_lo[] = {'0'};
static const uint8_t digit_span[] = {9};
static const uint8_t word_lo[] = {'0', 'A', '_', 'a'};
static const uint8_t word_span[] = {9, 25, 0, 25};

static uint64_t digits_at(const struct dg_scan *x, size_t o)
{
	if (o / DG_BLOCK < x->nw) /* o is a multiple of DG_BLOCK */
		return x->dbits[o / DG_BLOCK];
	return mask_at(x, o, digit_lo, digit_span, 1);
}

/* The first digit at or after o, or len: from the words where there
 * are some, else by pii_next_digit. */
static size_t next_digit(const struct dg_scan *x, size_t o)
{
	for (size_t k = o / DG_BLOCK; k < x->nw; k++) {
		uint64_t w = x->dbits[k];

		if (k == o / DG_BLOCK)
			w &= ~0ull << (o % DG_BLOCK);
		if (w)
			return k * DG_BLOCK + (size_t)__builtin_ctzll(w);
	}
	if (o < x->nw * DG_BLOCK)
		o = x->nw * DG_BLOCK;
	return pii_next_digit((const char *)x->t, o, x->len);
}

static uint64_t words_at(const struct dg_scan *x, size_t o)
{
	return mask_at(x, o, word_lo, word_span, 4);
}

/* Bit i: t[o + i] may start a row at a word boundary (first_lo). Past
 * len the zeroed copy may say yes: no start is tried there (none is
 * before a digit). */
static uint64_t first_at(const struct dg_scan *x)
{
	const struct pii_digits *d = x->d;

	return mask_at(x, x->o, d->first_lo, d->first_span, d->first_nr);
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
 * at most lead_nb bytes before a digit. *w: the block's word bytes. */
static uint64_t starts(const struct pii_digits *d, struct dg_scan *x,
		       uint64_t *w)
{
	uint64_t near = (uint64_t)smear(x->dm, (unsigned)d->lead);
	uint64_t nb = (uint64_t)smear(x->dm, (unsigned)d->lead_nb) & near;
	uint64_t b;
	uint64_t out;

	*w = near ? words_at(x, x->o) : 0;
	b = *w ^ ((*w << 1) | (x->o > 0 && d->word[x->t[x->o - 1]]));
	out = near & b;
	if (out)
		out &= first_at(x);
	for (uint64_t m = nb & ~b; m; m &= m - 1) {
		unsigned i = (unsigned)__builtin_ctzll(m);

		if (d->nb_any[x->t[x->o + i]])
			out |= 1ull << i;
	}
	return out;
}

/* Block o's word boundaries; no class mask made yet. */
static void set_block(const struct pii_digits *d, struct dg_scan *x, size_t o,
		      uint64_t w)
{
	DG_SET ws = w | (DG_SET)words_at(x, o + DG_BLOCK) << 64;

	x->o = o;
	x->bnd = ws ^ ((ws << 1) | (o > 0 && d->word[x->t[o - 1]]));
	x->have[0] = x->have[1] = 0;
}

/* The starts in block x->o (see starts()), tried in order. */
static int try_block(struct pii_digits *d, struct dg_scan *x, pii_digits_fn fn,
		     void *ctx)
{
	uint64_t w;
	uint64_t s = starts(d, x, &w);
	uint64_t bnd;
	int rc = 0;

	if (!s)
		return 0;
	/* both blocks' boundaries; past len no byte is a word byte */
	set_block(d, x, x->o, w);
	bnd = (uint64_t)x->bnd;
	if (d->digit_cls >= 0) {
		x->have[d->digit_cls / 64] = 1ull << (d->digit_cls % 64);
		x->cm[d->digit_cls] = x->dm;
	}
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
		    const uint64_t *dbits, size_t nw, pii_digits_fn fn,
		    void *ctx)
{
	struct dg_scan x = {.d = d,
			    .t = (const unsigned char *)text,
			    .len = len,
			    .dbits = dbits,
			    .nw = nw};
	size_t o = 0;	 /* blocks before o are done */
	size_t have = 1; /* next holds the mask of block have (1: none) */
	uint64_t next = 0;
	int rc = 0;

	for (unsigned r = 0; r < d->n_row; r++) {
		d->row[r].done = 0;
		d->row[r].done_at = 0;
	}
	while (o < len && !rc) {
		size_t t = next_digit(&x, o);
		uint64_t cur;

		if (t == len)
			break;
		t = t > d->lead ? (t - d->lead) & ~(size_t)(DG_BLOCK - 1) : 0;
		x.o = t > o ? t : o;
		cur = have == x.o ? next : digits_at(&x, x.o);
		next = digits_at(&x, x.o + DG_BLOCK);
		have = x.o + DG_BLOCK;
		x.dm = cur | (DG_SET)next << 64;
		rc = try_block(d, &x, fn, ctx);
		o = x.o + DG_BLOCK;
	}
	return rc;
}

size_t pii_digits_scan_size(void)
{
	return sizeof(struct dg_scan);
}

void pii_anch_begin(struct pii_digits *d, const char *text, size_t len)
{
	*d->as = (struct dg_scan){.d = d,
				  .t = (const unsigned char *)text,
				  .len = len,
				  .o = SIZE_MAX};
	for (unsigned r = 0; r < d->n_row; r++) {
		d->row[r].done = 0;
		d->row[r].done_at = 0;
		d->row[r].next = 0;
	}
}

int pii_anch_try(struct pii_digits *d, unsigned r, size_t from, size_t to,
		 pii_digits_fn fn, void *ctx)
{
	struct dg_scan *x = d->as;
	struct dg_row *row = &d->row[r];
	int rc = 0;

	if (from < row->next)
		from = row->next;
	if (to >= x->len)
		to = x->len - 1; /* no match starts at len: none is empty */
	for (size_t s = from; s <= to && !rc && to < x->len; s++) {
		size_t o = s & ~(size_t)(DG_BLOCK - 1);

		if (o != x->o)
			set_block(d, x, o, words_at(x, o));
		x->s = s;
		rc = ends_at(x, row, fn, ctx);
	}
	if (to + 1 > row->next && to < x->len)
		row->next = to + 1;
	return rc;
}
