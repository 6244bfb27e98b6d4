/* pii_digits: the digit rows (PII_SCAN_DIGITS) matched in C, without
 * Vectorscan. Each row's regex, the very string Vectorscan compiles, is
 * parsed (pii_digits_parse.c) into a small tree and run from every
 * candidate start over the set of positions it can reach (bit i: i bytes
 * past the start). Per row, each end is reported once, with the leftmost
 * start that reaches it: the pairs HS_FLAG_SOM_LEFTMOST reports over the
 * window. Invariant: every row is narrower than DG_SPAN; a row the parser
 * cannot take makes pii_digits_new fail (the engine then keeps
 * Vectorscan for the digit rows). */
#include "shared/common.h"
#include "shared/pii/pii_int.h"

#include <errno.h>
#include <limits.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

static bool has_bit(const uint64_t b[4], unsigned c)
{
	return (b[c / 64] >> (c % 64)) & 1;
}

static const struct dg_node *kid(const struct pii_digits *d,
				 const struct dg_node *n, unsigned i)
{
	return &d->node[d->kid[n->kid0 + i]];
}

static unsigned width(const struct pii_digits *d, const struct dg_node *n)
{
	unsigned w = 0;

	if (n->kind == DG_CLS)
		return 1;
	if (n->kind == DG_REP)
		return n->max * width(d, kid(d, n, 0));
	for (unsigned i = 0; i < n->n_kid; i++) {
		unsigned k = width(d, kid(d, n, i));

		if (n->kind == DG_CAT)
			w += k;
		else if (k > w)
			w = k;
	}
	return w;
}

/* Digit-free lengths: thru, the most bytes n consumes whole without a
 * digit (-1: it cannot); part, the most digit-free bytes it consumes
 * before a byte that must be a digit. A match's first digit lies at most
 * part(root) bytes past its start (every digit row's match has one). */
static void lead(struct pii_digits *d, struct dg_node *n)
{
	int thru = 0;
	int part = 0;

	for (unsigned i = 0; i < n->n_kid; i++)
		lead(d, &d->node[d->kid[n->kid0 + i]]);
	if (n->kind == DG_CLS) {
		const uint64_t *b = d->cls_bits[n->cls];
		bool other =
		    (b[0] & ~0x03ff000000000000ull) || b[1] || b[2] || b[3];

		/* a class with a non-digit byte may be passed digit-free */
		thru = other ? 1 : -1;
		part = other ? 1 : 0;
	} else if (n->kind == DG_REP) {
		const struct dg_node *k = kid(d, n, 0);

		thru = k->thru < 0 ? (n->min ? -1 : 0) : n->max * k->thru;
		part = k->thru < 0 ? k->part : (n->max - 1) * k->thru + k->part;
	} else if (n->kind == DG_ALT) {
		thru = -1;
		for (unsigned i = 0; i < n->n_kid; i++) {
			const struct dg_node *k = kid(d, n, i);

			thru = k->thru > thru ? k->thru : thru;
			part = k->part > part ? k->part : part;
		}
	} else if (n->kind == DG_CAT) {
		for (unsigned i = 0; i < n->n_kid && thru >= 0; i++) {
			const struct dg_node *k = kid(d, n, i);

			part = thru + k->part > part ? thru + k->part : part;
			thru = k->thru < 0 ? -1 : thru + k->thru;
		}
	}
	n->thru = (int16_t)thru;
	n->part = (int16_t)(thru > part ? thru : part);
}

/* Marks DG_REP nodes over one class: run() counts them in one loop. */
static void mark_runs(struct pii_digits *d)
{
	for (unsigned i = 0; i < d->n_node; i++) {
		struct dg_node *n = &d->node[i];

		if (n->kind == DG_REP && kid(d, n, 0)->kind == DG_CLS) {
			n->run = true;
			n->cls = kid(d, n, 0)->cls;
		}
	}
}

static unsigned min_width(const struct pii_digits *d, const struct dg_node *n)
{
	unsigned w = n->kind == DG_ALT ? UINT16_MAX : 0;

	if (n->kind == DG_CLS)
		return 1;
	if (n->kind == DG_REP)
		return n->min * min_width(d, kid(d, n, 0));
	for (unsigned i = 0; i < n->n_kid; i++) {
		unsigned k = min_width(d, kid(d, n, i));

		if (n->kind == DG_CAT)
			w += k;
		else if (k < w)
			w = k;
	}
	return n->kind == DG_ALT && !n->n_kid ? 0 : w;
}

/* The fewest digits a match of n holds. */
static unsigned min_digits(const struct pii_digits *d, const struct dg_node *n)
{
	unsigned k = n->kind == DG_ALT ? UINT16_MAX : 0;

	if (n->kind == DG_CLS)
		return n->thru < 0; /* only digits */
	if (n->kind == DG_REP)
		return n->min * min_digits(d, kid(d, n, 0));
	for (unsigned i = 0; i < n->n_kid; i++) {
		unsigned m = min_digits(d, kid(d, n, i));

		if (n->kind == DG_CAT)
			k += m;
		else if (m < k)
			k = m;
	}
	return n->kind == DG_ALT && !n->n_kid ? 0 : k;
}

#define BEYOND (1u << DG_AHEAD)

/* Where n can be after starting at the offsets in `in` (bit j: j bytes
 * in, j < DG_AHEAD; BEYOND: further); adds the bytes each class may
 * take at each offset to at. */
static unsigned ahead(const struct pii_digits *d, const struct dg_node *n,
		      unsigned in, uint64_t at[DG_AHEAD][4], bool no_b)
{
	unsigned out = 0;
	unsigned acc;

	switch (n->kind) {
	case DG_CLS:
		for (unsigned j = 0; j < DG_AHEAD; j++) {
			for (int i = 0; (in >> j & 1) && i < 4; i++)
				at[j][i] |= d->cls_bits[n->cls][i];
		}
		return ((in << 1) | (in & BEYOND)) & (2 * BEYOND - 1);
	case DG_BND: /* no_b: no word boundary at the start */
		return no_b ? in & ~1u : in;
	case DG_CAT:
		for (unsigned i = 0; i < n->n_kid; i++)
			in = ahead(d, kid(d, n, i), in, at, no_b);
		return in;
	case DG_ALT:
		for (unsigned i = 0; i < n->n_kid; i++)
			out |= ahead(d, kid(d, n, i), in, at, no_b);
		return out;
	default:
		for (unsigned i = 0; i < n->min; i++)
			in = ahead(d, kid(d, n, 0), in, at, no_b);
		acc = in;
		for (unsigned i = n->min; i < n->max; i++) {
			in = ahead(d, kid(d, n, 0), in, at, no_b);
			if (!(in & ~acc))
				break;
			acc |= in;
		}
		return acc;
	}
}

/* Fills the row's bit in at_of (see struct pii_digits). */
static void add_ahead(struct pii_digits *d, const struct dg_node *root)
{
	uint64_t at[DG_AHEAD][4] = {{0}};
	unsigned minw = min_width(d, root);
	uint64_t bit = 1ull << d->n_row;

	(void)ahead(d, root, 1, at, true);
	for (unsigned c = 0; c < 256; c++) {
		if (has_bit(at[0], c))
			d->nb_first[c] |= bit;
	}
	memset(at, 0, sizeof(at));
	(void)ahead(d, root, 1, at, false);
	for (unsigned j = 0; j < DG_AHEAD; j++) {
		for (unsigned c = 0; c < 256; c++) {
			if (j >= minw || has_bit(at[j], c))
				d->at_of[j][c] |= bit;
		}
	}
}

static int add_row(struct pii_digits *d, const struct pii_pattern *p,
		   unsigned idx)
{
	struct dg_row *r = &d->row[d->n_row];
	struct dg_node *root;
	int n;

	if (d->n_row == DG_MAX_ROWS || (p->hs_flags & ~HS_FLAG_CASELESS))
		return -ENOTSUP;
	n = pii_digits_parse(d, p->regex, p->hs_flags & HS_FLAG_CASELESS);
	if (n < 0)
		return n;
	root = &d->node[n];
	lead(d, root);
	if (width(d, root) >= DG_SPAN || root->part < 0)
		return -ENOTSUP;
	if ((size_t)root->part > d->lead)
		d->lead = (size_t)root->part;
	for (int k = 0; k <= root->part; k++)
		d->near[k] |= 1ull << d->n_row;
	add_ahead(d, root);
	for (unsigned c = 0; c < 256; c++) {
		if ((d->nb_first[c] >> d->n_row) & 1 &&
		    (size_t)root->part > d->lead_nb)
			d->lead_nb = (size_t)root->part;
	}
	*r = (struct dg_row){.idx = idx, .root = (unsigned)n};
	/* counted only where the whole match fits in DG_COUNT bytes */
	if (width(d, root) <= DG_COUNT)
		r->min_digits = min_digits(d, root);
	d->n_row++;
	return 0;
}

int pii_digits_new(const struct pii_pattern *pats, const unsigned *idx,
		   unsigned n, struct pii_digits **out)
{
	struct pii_digits *d = calloc(1, sizeof(*d));
	int rc = d ? 0 : -ENOMEM;

	for (unsigned i = 0; !rc && i < n; i++)
		rc = add_row(d, &pats[idx[i]], idx[i]);
	if (rc) {
		free(d);
		return rc;
	}
	mark_runs(d);
	for (unsigned c = 0; c < 256; c++)
		d->word[c] = pii_word_byte((int)c);
	*out = d;
	return 0;
}

void pii_digits_free(struct pii_digits *d)
{
	free(d);
}

struct dg_scan {
	const struct pii_digits *d;
	const unsigned char *t;
	size_t len;
	size_t s;	 /* the start: bit i of a set is t[s + i] */
	unsigned digits; /* count_digits() at s, or UINT_MAX */
};

static unsigned low_bit(DG_SET x)
{
	uint64_t lo = (uint64_t)x;

	return lo ? (unsigned)__builtin_ctzll(lo)
		  : 64u + (unsigned)__builtin_ctzll((uint64_t)(x >> 64));
}

static bool word_at(const struct dg_scan *x, size_t p)
{
	return p < x->len && x->d->word[x->t[p]];
}

static bool boundary(const struct dg_scan *x, size_t p)
{
	return (p > 0 && word_at(x, p - 1)) != word_at(x, p);
}

static bool in_cls(const struct dg_scan *x, unsigned cls, size_t p)
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

static DG_SET eval(const struct dg_scan *x, const struct dg_node *n, DG_SET in);

/* n{min,max} over one class: one count per start. */
static DG_SET eval_run(const struct dg_scan *x, const struct dg_node *n,
		       DG_SET in)
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

static DG_SET eval_rep(const struct dg_scan *x, const struct dg_node *n,
		       DG_SET in)
{
	const struct dg_node *k = kid(x->d, n, 0);
	DG_SET acc;

	if (n->run)
		return eval_run(x, n, in);
	for (unsigned i = 0; i < n->min && in; i++)
		in = eval(x, k, in);
	acc = in;
	for (unsigned i = n->min; i < n->max && in; i++) {
		in = eval(x, k, in);
		if (!(in & ~acc))
			break; /* nothing new: later rounds add nothing */
		acc |= in;
	}
	return acc;
}

static DG_SET eval(const struct dg_scan *x, const struct dg_node *n, DG_SET in)
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

/* Row r from start x->s: reports each end not reached from an earlier
 * start (starts come in increasing order). */
/* Digits in t[s, s + DG_COUNT) (fewer at the end of the text). */
static unsigned count_digits(const struct dg_scan *x)
{
	size_t end = x->len - x->s < DG_COUNT ? x->len : x->s + DG_COUNT;
	size_t p = x->s;
	unsigned k = 0;

#ifdef __SSE2__
	const __m128i zero = _mm_set1_epi8('0');
	const __m128i nine = _mm_set1_epi8(9);

	for (; p + 16 <= end; p += 16) {
		__m128i v = _mm_sub_epi8(
		    _mm_loadu_si128((const __m128i *)(const void *)(x->t + p)),
		    zero);

		k += (unsigned)__builtin_popcount((unsigned)_mm_movemask_epi8(
		    _mm_cmpeq_epi8(_mm_min_epu8(v, nine), v)));
	}
#endif
	for (; p < end; p++)
		k += (unsigned)(x->t[p] - '0') < 10;
	return k;
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

	if (row->min_digits > 1) {
		if (x->digits == UINT_MAX)
			x->digits = count_digits(x);
		if (x->digits < row->min_digits)
			return 0;
	}
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
	x->digits = UINT_MAX;
	for (; m && !rc; m &= m - 1)
		rc = try_row(d, x, (unsigned)__builtin_ctzll(m), fn, ctx);
	return rc;
}

/* The starts before the digit run at t: where only rows that need a \b
 * there can start (more than lead_nb bytes before t), only word
 * boundaries are tried; one table look-up per byte. */
static int try_before(struct pii_digits *d, struct dg_scan *x, size_t from,
		      size_t t, pii_digits_fn fn, void *ctx)
{
	bool prev = from > 0 && d->word[x->t[from - 1]];
	int rc = 0;

	for (x->s = from; x->s < t && !rc; x->s++) {
		bool cur = d->word[x->t[x->s]];
		bool b = cur != prev;

		prev = cur;
		if (b || x->s + d->lead_nb >= t)
			rc = try_at(d, x, t, b, fn, ctx);
	}
	return rc;
}

/* Every match holds a digit t and starts in [t - lead, t]: only those
 * starts are tried, run of digits by run of digits. */
int pii_digits_scan(struct pii_digits *d, const char *text, size_t len,
		    pii_digits_fn fn, void *ctx)
{
	struct dg_scan x = {
	    .d = d, .t = (const unsigned char *)text, .len = len};
	size_t pos = 0;
	int rc = 0;

	for (unsigned r = 0; r < d->n_row; r++) {
		d->row[r].done = 0;
		d->row[r].done_at = 0;
	}
	for (size_t t = pii_next_digit(text, 0, len); t < len && !rc;
	     t = pii_next_digit(text, pos, len)) {
		rc = try_before(d, &x, t > pos + d->lead ? t - d->lead : pos, t,
				fn, ctx);
		/* each digit of the run: the next digit is itself */
		for (x.s = t;
		     !rc && x.s < len && (unsigned)(x.t[x.s] - '0') < 10; x.s++)
			rc = try_at(d, &x, x.s, boundary(&x, x.s), fn, ctx);
		pos = x.s;
	}
	return rc;
}
