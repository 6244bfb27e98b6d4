/* pii_digits_build: the digit rows' trees (pii_digits_parse.c) and the
 * tables pii_digits.c filters candidate starts with, derived from them.
 * Invariants: every row is at most DG_BLOCK bytes wide and holds its
 * first digit fewer than DG_BLOCK bytes past its start; a row the parser
 * cannot take makes pii_digits_new fail (the engine then keeps
 * Vectorscan for the digit rows). */
#include "shared/common.h"
#include "shared/pii/pii_int.h"

#include <errno.h>
#include <sys/platform/x86.h>

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

/* A DG_REP whose kid is a DG_CAT of classes and runs (see dg_node). */
static bool flat_rep(const struct pii_digits *d, const struct dg_node *n)
{
	const struct dg_node *c = n->kind == DG_REP ? kid(d, n, 0) : NULL;

	if (!c || c->kind != DG_CAT)
		return false;
	for (unsigned i = 0; i < c->n_kid; i++) {
		const struct dg_node *k = kid(d, c, i);

		if (k->kind != DG_CLS &&
		    !(k->kind == DG_REP && kid(d, k, 0)->kind == DG_CLS))
			return false;
	}
	return true;
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
	unsigned first = d->n_node;
	unsigned w;
	int n;

	if (d->n_row == DG_MAX_ROWS || (p->hs_flags & ~HS_FLAG_CASELESS))
		return -ENOTSUP;
	n = pii_digits_parse(d, p->regex, p->hs_flags & HS_FLAG_CASELESS);
	if (n < 0)
		return n;
	root = &d->node[n];
	lead(d, root);
	w = width(d, root);
	if (w > DG_BLOCK || root->part < 0 || root->part >= (int)DG_BLOCK)
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
	/* the row's nodes are those parsed last */
	for (unsigned i = first; i < d->n_node; i++)
		d->node[i].flat = flat_rep(d, &d->node[i]);
	r->min_digits = min_digits(d, root);
	r->span = w == DG_BLOCK ? ~0ull : (1ull << w) - 1;
	d->n_row++;
	return 0;
}

static int put(struct pii_digits *d, struct dg_op op)
{
	if (d->n_op == DG_MAX_OPS)
		return -E2BIG;
	d->op[d->n_op++] = op;
	return 0;
}

static int emit(struct pii_digits *d, const struct dg_node *n, unsigned depth);

/* A flat repeat: its body's classes and runs follow it as data. */
static int emit_flat(struct pii_digits *d, const struct dg_node *n)
{
	const struct dg_node *c = kid(d, n, 0);
	int rc = put(d, (struct dg_op){.op = DG_OP_FLAT,
				       .n = (uint8_t)c->n_kid,
				       .min = n->min,
				       .max = n->max});

	for (unsigned i = 0; !rc && i < c->n_kid; i++) {
		const struct dg_node *k = kid(d, c, i);

		rc = put(d, k->kind == DG_CLS
				? (struct dg_op){.op = DG_OP_CLS, .cls = k->cls}
				: (struct dg_op){.op = DG_OP_RUN,
						 .cls = k->cls,
						 .min = k->min,
						 .max = k->max});
	}
	return rc;
}

static int emit_rep(struct pii_digits *d, const struct dg_node *n,
		    unsigned depth)
{
	unsigned body = d->n_op + 1;
	int rc;

	if (n->run)
		return put(d, (struct dg_op){.op = DG_OP_RUN,
					     .cls = n->cls,
					     .min = n->min,
					     .max = n->max});
	if (n->flat && kid(d, n, 0)->n_kid <= UINT8_MAX)
		return emit_flat(d, n);
	rc = put(d, (struct dg_op){.op = DG_OP_REP, .min = n->min});
	if (!rc)
		rc = emit(d, kid(d, n, 0), depth + 1);
	return rc ? rc
		  : put(d, (struct dg_op){.op = DG_OP_END_REP,
					  .min = n->min,
					  .max = n->max,
					  .jmp = (uint16_t)body});
}

/* Appends n's ops; depth: the frames (DG_OP_ALT, DG_OP_REP) open. */
static int emit(struct pii_digits *d, const struct dg_node *n, unsigned depth)
{
	int rc = 0;

	if ((n->kind == DG_ALT || n->kind == DG_REP) && depth == DG_DEPTH)
		return -ENOTSUP;
	switch (n->kind) {
	case DG_CLS:
		return put(d, (struct dg_op){.op = DG_OP_CLS, .cls = n->cls});
	case DG_BND:
		return put(d, (struct dg_op){.op = DG_OP_BND});
	case DG_REP:
		return emit_rep(d, n, depth);
	case DG_CAT:
		for (unsigned i = 0; !rc && i < n->n_kid; i++)
			rc = emit(d, kid(d, n, i), depth);
		return rc;
	default:
		rc = put(d, (struct dg_op){.op = DG_OP_ALT});
		for (unsigned i = 0; !rc && i < n->n_kid; i++) {
			if (i)
				rc = put(d, (struct dg_op){.op = DG_OP_OR});
			if (!rc)
				rc = emit(d, kid(d, n, i), depth + 1);
		}
		return rc ? rc : put(d, (struct dg_op){.op = DG_OP_END_ALT});
	}
}

static bool ends_seq(uint8_t op)
{
	return op == DG_OP_OR || op == DG_OP_END_ALT || op == DG_OP_END_REP ||
	       op == DG_OP_END;
}

/* Each op's fail: the first sequence end after it at its own depth. */
static void fail_targets(struct pii_digits *d, unsigned first)
{
	for (unsigned i = first; i < d->n_op; i++) {
		int depth = 0;
		unsigned j = i + 1;

		for (; j < d->n_op && !(depth == 0 && ends_seq(d->op[j].op));
		     j++) {
			depth += d->op[j].op == DG_OP_ALT ||
				 d->op[j].op == DG_OP_REP;
			depth -= d->op[j].op == DG_OP_END_ALT ||
				 d->op[j].op == DG_OP_END_REP;
		}
		d->op[i].fail = (uint16_t)j;
	}
}

/* Row r's program (after mark_runs: runs are ops of their own). */
static int compile_row(struct pii_digits *d, unsigned r)
{
	unsigned first = d->n_op;
	int rc = emit(d, &d->node[d->row[r].root], 0);

	d->row[r].prog = first;
	if (!rc)
		rc = put(d, (struct dg_op){.op = DG_OP_END});
	if (!rc)
		fail_targets(d, first);
	return rc;
}

/* Each class as byte ranges, for the SIMD masks of pii_digits.c. */
static void ranges(struct pii_digits *d)
{
	static const uint64_t dig[4] = {0x03ff000000000000ull, 0, 0, 0};

	d->digit_cls = -1;
	for (unsigned k = 0; k < d->n_cls; k++) {
		unsigned n = 0;

		for (unsigned c = 0; c < 256; c++) {
			unsigned e = c;

			if (!has_bit(d->cls_bits[k], c))
				continue;
			while (e + 1 < 256 && has_bit(d->cls_bits[k], e + 1))
				e++;
			if (n < DG_RANGES) {
				d->cls_lo[k][n] = (uint8_t)c;
				d->cls_span[k][n] = (uint8_t)(e - c);
			}
			n++;
			c = e;
		}
		d->cls_nr[k] = (uint8_t)(n > DG_RANGES ? DG_RANGES + 1 : n);
		if (!memcmp(d->cls_bits[k], dig, sizeof(dig)))
			d->digit_cls = (int)k;
	}
}

/* The ranges of at_of[0]'s bytes, the closest two merged while there
 * are more than DG_RANGES (a superset only lets more starts through). */
static void first_ranges(struct pii_digits *d)
{
	unsigned lo[256] = {0};
	unsigned hi[256] = {0};
	unsigned n = 0;

	for (unsigned c = 0; c < 256; c++) {
		if (!d->at_of[0][c])
			continue;
		if (n && hi[n - 1] + 1 == c) {
			hi[n - 1] = c;
			continue;
		}
		lo[n] = hi[n] = c;
		n++;
	}
	while (n > DG_RANGES) {
		unsigned best = 0;

		for (unsigned i = 1; i + 1 < n; i++) {
			if (lo[i + 1] - hi[i] < lo[best + 1] - hi[best])
				best = i;
		}
		hi[best] = hi[best + 1];
		n--;
		memmove(lo + best + 1, lo + best + 2,
			(n - best - 1) * sizeof(*lo));
		memmove(hi + best + 1, hi + best + 2,
			(n - best - 1) * sizeof(*hi));
	}
	for (unsigned i = 0; i < n; i++) {
		d->first_lo[i] = (uint8_t)lo[i];
		d->first_span[i] = (uint8_t)(hi[i] - lo[i]);
	}
	d->first_nr = (uint8_t)n;
}

/* The tables made from every row, once they are all in. */
static int finish(struct pii_digits *d)
{
	ranges(d);
	for (unsigned c = 0; c < 256; c++) {
		d->word[c] = pii_word_byte((int)c);
		d->nb_any[c] = d->nb_first[c] != 0;
	}
	first_ranges(d);
	d->avx512 = CPU_FEATURE_ACTIVE(AVX512F) && CPU_FEATURE_ACTIVE(AVX512BW);
	d->as = calloc(1, pii_digits_scan_size());
	return d->as ? 0 : -ENOMEM;
}

int pii_digits_new(const struct pii_pattern *pats, const unsigned *idx,
		   unsigned n, struct pii_digits **out)
{
	struct pii_digits *d = calloc(1, sizeof(*d));
	int rc = d ? 0 : -ENOMEM;

	for (unsigned i = 0; !rc && i < n; i++)
		rc = add_row(d, &pats[idx[i]], idx[i]);
	if (!rc)
		mark_runs(d);
	for (unsigned r = 0; !rc && r < d->n_row; r++)
		rc = compile_row(d, r);
	if (!rc)
		rc = finish(d);
	if (rc) {
		pii_digits_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

/* Row idx as one more row of d, or d as it was (-errno). */
static int try_add(struct pii_digits *d, const struct pii_pattern *p,
		   unsigned idx)
{
	const unsigned was[5] = {d->n_node, d->n_kid, d->n_cls, d->n_row,
				 d->n_op};
	int rc = add_row(d, p, idx);

	if (!rc) {
		mark_runs(d);
		rc = compile_row(d, d->n_row - 1);
	}
	if (!rc)
		return 0;
	for (unsigned c = 0; c < 256; c++) { /* the classes it interned */
		for (unsigned k = was[2]; k < d->n_cls; k++)
			d->cls_of[c][k / 64] &= ~(1ull << (k % 64));
	}
	d->n_node = was[0];
	d->n_kid = was[1];
	d->n_cls = was[2];
	d->n_row = was[3];
	d->n_op = was[4];
	return rc;
}

int pii_anch_new(const struct pii_pattern *pats, const unsigned *idx,
		 unsigned n, int *row_of, struct pii_digits **out)
{
	struct pii_digits *d = calloc(1, sizeof(*d));
	int rc = d ? 0 : -ENOMEM;

	for (unsigned i = 0; !rc && i < n; i++) {
		rc = try_add(d, &pats[idx[i]], idx[i]);
		row_of[i] = rc ? -1 : (int)d->n_row - 1;
		if (rc != -ENOMEM)
			rc = 0; /* a row it cannot take stays with Vectorscan */
	}
	if (!rc && !d->n_row)
		rc = -ENOENT;
	if (!rc)
		rc = finish(d);
	if (rc) {
		pii_digits_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

void pii_digits_free(struct pii_digits *d)
{
	if (d)
		free(d->as);
	free(d);
}
