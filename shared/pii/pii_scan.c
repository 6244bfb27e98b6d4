/* pii_scan: the raw matches of one round's window (pii_round.c decides
 * on them): every (row, end) with its leftmost start, as Vectorscan with
 * HS_FLAG_SOM_LEFTMOST reports them over the whole window, found by
 * pii_lit.c, pii_digits.c and Vectorscan rescans of pieces. Invariant:
 * the same raw matches as one Vectorscan scan of the window, however
 * they are found (the reference path checks it). */
#include "shared/common.h"
#include "shared/limits.h"
#include "shared/pii/pii_int.h"

#include <errno.h>
#include <hs/hs.h>
#include <sys/platform/x86.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#ifdef __x86_64__
#include <immintrin.h>
#endif

int pii_grow(void **p, size_t *cap, size_t elem, size_t need)
{
	size_t n = *cap ? *cap : 256;
	void *q;

	if (need <= *cap)
		return 0;
	if (need > AKIOS_MAX_PII_MATCHES)
		return -E2BIG;
	while (n < need)
		n *= 2;
	if (n > AKIOS_MAX_PII_MATCHES)
		n = AKIOS_MAX_PII_MATCHES;
	q = realloc(*p, n * elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to,
		    unsigned flags, void *ctx)
{
	struct pii_engine_view *v = ctx;
	int rc;

	(void)flags;
	if ((from + v->scan_off == v->cut_a) || (to + v->scan_off == v->cut_b))
		return 0; /* the piece's edge may have made it (scan_pieces) */
	if (v->n_raw == v->cap_raw) {
		rc = pii_grow((void **)&v->raw, &v->cap_raw, sizeof(*v->raw),
			      v->n_raw + 1);
		if (rc) {
			v->scan_err = rc;
			return 1; /* stop the scan: fail closed */
		}
	}
	v->raw[v->n_raw++] =
	    (struct pii_raw){.idx = v->ids[id],
			     .s = (uint32_t)(from + v->scan_off),
			     .e = (uint32_t)(to + v->scan_off)};
	return 0;
}

#ifdef __x86_64__
/* AVX-512: 64 bytes per step, as next_digit_avx2. */
__attribute__((target("avx512f,avx512bw"))) static size_t
next_digit_avx512(const char *p, size_t i, size_t len)
{
	const __m512i zero = _mm512_set1_epi8('0');
	const __m512i nine = _mm512_set1_epi8(9);

	for (; i + 64 <= len; i += 64) {
		uint64_t m = _mm512_cmple_epu8_mask(
		    _mm512_sub_epi8(_mm512_loadu_si512(p + i), zero), nine);

		if (m)
			return i + (size_t)__builtin_ctzll(m);
	}
	return i;
}

/* AVX2: 32 bytes per step. Stops at a digit or where fewer than 32
 * bytes are left (the caller goes on from there). */
__attribute__((target("avx2"))) static size_t
next_digit_avx2(const char *p, size_t i, size_t len)
{
	const __m256i zero = _mm256_set1_epi8('0');
	const __m256i nine = _mm256_set1_epi8(9);

	for (; i + 32 <= len; i += 32) {
		__m256i d = _mm256_sub_epi8(
		    _mm256_loadu_si256((const __m256i *)(const void *)(p + i)),
		    zero);
		unsigned m = (unsigned)_mm256_movemask_epi8(
		    _mm256_cmpeq_epi8(_mm256_min_epu8(d, nine), d));

		if (m)
			return i + (size_t)__builtin_ctz(m);
	}
	return i;
}
#endif

/* SSE2: sixteen bytes per step (AVX2 32, AVX-512 64 where the CPU has
 * it); prose is mostly digit-free. */
size_t pii_next_digit(const char *p, size_t from, size_t len)
{
	size_t i = from;

#ifdef __x86_64__
	if (len - i >= 128 && CPU_FEATURE_ACTIVE(AVX512BW))
		i = next_digit_avx512(p, i, len);
	else if (len - i >= 64 && CPU_FEATURE_ACTIVE(AVX2))
		i = next_digit_avx2(p, i, len);
#endif
#ifdef __SSE2__
	const __m128i zero = _mm_set1_epi8('0');
	const __m128i nine = _mm_set1_epi8(9);

	for (; i + 16 <= len; i += 16) {
		__m128i d = _mm_sub_epi8(
		    _mm_loadu_si128((const __m128i *)(const void *)(p + i)),
		    zero);
		unsigned m = (unsigned)_mm_movemask_epi8(
		    _mm_cmpeq_epi8(_mm_min_epu8(d, nine), d));

		if (m)
			return i + (size_t)__builtin_ctz(m);
	}
#endif
	for (; i < len; i++) {
		if ((unsigned char)(p[i] - '0') < 10)
			return i;
	}
	return len;
}

/* Vectorscan 5.4.9's AVX-512 path can miss a match depending on the
 * address of the bytes it scans (pii_hs.c picks the AVX2 path when it
 * can: then scan_exact, and the window is scanned in place, once).
 * Otherwise the bytes are copied to an address congruent to their input
 * offset mod 64, which makes the result a function of the input alone
 * (chunking invariance), and scanned twice, half a line apart; the
 * match lists are joined (duplicates are harmless: emit skips
 * overlaps). */
static int scan(struct pii_engine_view *v, const struct pii_round *r, void *db,
		match_event_handler fn, size_t a, size_t b)
{
	hs_error_t he = HS_SUCCESS;

	v->scan_off = a;
	v->cut_a = a ? a : SIZE_MAX;
	v->cut_b = b < r->len ? b : SIZE_MAX;
	if (v->hs.scan_exact) {
		he = v->hs.scan(db, r->text + a, (unsigned)(b - a), 0,
				v->scratch, fn, v);
		goto out;
	}
	if (b - a + 64 > v->scan_cap)
		return -E2BIG;
	for (unsigned shift = 0; shift < 64 && he == HS_SUCCESS && !v->scan_err;
	     shift += 32) {
		char *p = v->scan + (r->base + a + shift) % 64;

		memcpy(p, r->text + a, b - a);
		he = v->hs.scan(db, p, (unsigned)(b - a), 0, v->scratch, fn, v);
	}
out:
	if (v->scan_err)
		return v->scan_err;
	return he == HS_SUCCESS ? 0 : -EIO;
}

/* Every digit-row match holds a digit t and lies in [t - reach + 2,
 * t + reach - 1), so the pieces [t - reach, t + reach + 1) around each
 * digit (merged when they overlap) hold every match a whole-window scan
 * finds, with a byte of context for \b on each side. No piece can
 * report a match the window would not: a false one at a cut piece edge
 * would hold a digit within `reach` of it, which would have widened the
 * piece. */
static int digit_pieces(struct pii_engine_view *v, const struct pii_round *r)
{
	size_t reach = v->reach;
	size_t d = pii_next_digit(r->text, 0, r->len);
	int rc;

	v->n_dpiece = 0;
	while (d < r->len) {
		size_t a = d > reach ? d - reach : 0;
		size_t b = d + reach + 1;

		while (b < r->len) {
			d = pii_next_digit(r->text, d + 1, r->len);
			if (d >= r->len || d > b + reach)
				break;
			b = d + reach + 1;
		}
		if (b >= r->len) {
			b = r->len;
			d = r->len;
		}
		rc = pii_grow((void **)&v->dpiece, &v->cap_dpiece,
			      sizeof(*v->dpiece), v->n_dpiece + 1);
		if (rc)
			return rc;
		v->dpiece[v->n_dpiece++] =
		    (struct pii_dpiece){.a = (uint32_t)a, .b = (uint32_t)b};
	}
	return 0;
}

/* A match from pii_digits.c: as Vectorscan reports it. */
int pii_add_raw(void *ctx, unsigned idx, size_t s, size_t e)
{
	struct pii_engine_view *v = ctx;
	int rc;

	pii_prefetch(v);
	if (v->n_raw == v->cap_raw) {
		rc = pii_grow((void **)&v->raw, &v->cap_raw, sizeof(*v->raw),
			      v->n_raw + 1);
		if (rc)
			return rc;
	}
	v->raw[v->n_raw++] =
	    (struct pii_raw){.idx = idx, .s = (uint32_t)s, .e = (uint32_t)e};
	return 0;
}

/* pii_digits.c by default; Vectorscan over each digit piece as the
 * tests' reference (or when the C matcher could not be built). */
static int scan_digits(struct pii_engine_view *v, const struct pii_round *r)
{
	int rc;

	if (v->digits && !(v->reference && v->db[PII_SCAN_DIGITS]))
		return pii_digits_scan(v->digits, r->text, r->len, v->dbits,
				       v->n_dbits, pii_add_raw, v);
	rc = digit_pieces(v, r);
	for (size_t i = 0; !rc && i < v->n_dpiece; i++)
		rc = scan(v, r, v->db[PII_SCAN_DIGITS], on_match,
			  v->dpiece[i].a, v->dpiece[i].b);
	return rc;
}

int pii_raw_cmp(const void *a, const void *b)
{
	const struct pii_raw *x = a;
	const struct pii_raw *y = b;

	if (x->idx != y->idx)
		return x->idx < y->idx ? -1 : 1;
	if (x->e != y->e)
		return x->e < y->e ? -1 : 1;
	return x->s < y->s ? -1 : (x->s > y->s);
}

int pii_digit_matches(struct pii_engine *eng, const char *text, size_t len,
		      bool reference, const struct pii_raw **raw, size_t *n)
{
	struct pii_engine_view *v = pii_engine_view(eng);
	struct pii_round r = {.text = text, .len = len};
	bool apart = v->reference;
	int rc;

	if (len > UINT32_MAX - 2)
		return -E2BIG;
	rc = reference ? pii_engine_digit_db(eng, NULL) : 0;
	if (rc)
		return rc;
	v->n_raw = 0;
	v->scan_err = 0;
	v->n_dbits = 0;
	v->reference = reference;
	if (v->digits || v->db[PII_SCAN_DIGITS])
		rc = scan_digits(v, &r);
	v->reference = apart;
	if (v->n_raw > 1)
		qsort(v->raw, v->n_raw, sizeof(*v->raw), pii_raw_cmp);
	*raw = v->raw;
	*n = v->n_raw;
	return rc;
}

/* A trigger hit: some row matches [s, to) with to - s <= its width, so
 * [to - width - 1, to + 1) holds it with a byte of context each side
 * (for \b). Hits arrive mostly in end order: extend the last piece. */
static int on_hit(unsigned id, unsigned long long from, unsigned long long to,
		  unsigned flags, void *ctx)
{
	struct pii_engine_view *v = ctx;
	size_t w = (size_t)v->width[id] + 1;
	uint32_t a = (uint32_t)(to > w ? to - w : 0);
	uint32_t b = (uint32_t)(to + 1 < v->scan_len ? to + 1 : v->scan_len);
	struct pii_piece *last = v->n_piece ? &v->piece[v->n_piece - 1] : NULL;
	int rc;

	(void)from;
	(void)flags;
	if (last && a >= last->a && a <= last->b) {
		if (b > last->b)
			last->b = b;
		return 0;
	}
	if (v->n_piece == v->cap_piece) {
		rc = pii_grow((void **)&v->piece, &v->cap_piece,
			      sizeof(*v->piece), v->n_piece + 1);
		if (rc) {
			v->scan_err = rc;
			return 1;
		}
	}
	v->piece[v->n_piece++] = (struct pii_piece){.a = a, .b = b};
	return 0;
}

static int cmp_piece(const void *x, const void *y)
{
	const struct pii_piece *p = x;
	const struct pii_piece *q = y;

	return p->a < q->a ? -1 : (p->a > q->a);
}

/* Sorts and joins overlapping pieces; returns how many are left. */
static size_t merge_pieces(struct pii_piece *p, size_t n)
{
	size_t k = 0;

	if (n > 1)
		qsort(p, n, sizeof(*p), cmp_piece);
	for (size_t i = 0; i < n; i++) {
		if (k && p[i].a <= p[k - 1].b) {
			if (p[i].b > p[k - 1].b)
				p[k - 1].b = p[i].b;
			continue;
		}
		p[k++] = p[i];
	}
	return k;
}

/* A match in the joined buffer: handled as its piece's own scan would
 * have handled it (on_match drops what touches a cut edge). */
static int on_joined(unsigned id, unsigned long long from,
		     unsigned long long to, unsigned flags, void *ctx)
{
	struct pii_engine_view *v = ctx;
	size_t lo = 0;
	size_t hi = v->n_piece;
	const struct pii_piece *p;

	pii_prefetch(v);
	while (hi - lo > 1) { /* the last piece with j <= from */
		size_t mid = lo + (hi - lo) / 2;

		if (v->piece[mid].j <= from)
			lo = mid;
		else
			hi = mid;
	}
	p = &v->piece[lo];
	if (from < p->j || to - p->j > p->b - p->a)
		return 0; /* into the separator: not a match of the piece */
	v->scan_off = p->a;
	v->cut_a = p->a ? p->a : SIZE_MAX;
	v->cut_b = p->b < v->scan_len ? p->b : SIZE_MAX;
	return on_match(id, from - p->j, to - p->j, flags, ctx);
}

/* The rescan pieces copied end to end with PII_JOIN between them and
 * scanned in one call: hs_scan's cost per call (about 1 us for the
 * start-of-match database) dominated when each piece was scanned alone.
 * No row can match across PII_JOIN (pii_patterns.c says why), none can
 * start in it, and to \b it is non-word on both sides, as the ends of
 * the data are; a match running into it from a piece is dropped
 * (on_joined). So each piece's matches are found with the same leftmost
 * start as by its own scan, and no other. */
static int scan_joined(struct pii_engine_view *v, const struct pii_round *r)
{
	const size_t sep = sizeof(PII_JOIN) - 1;
	size_t need = 0;
	hs_error_t he;

	for (size_t i = 0; i < v->n_piece; i++)
		need += v->piece[i].b - v->piece[i].a + sep;
	if (need > UINT32_MAX)
		return -E2BIG;
	if (need > v->joined_cap) {
		char *q = realloc(v->joined, need);

		if (!q)
			return -ENOMEM;
		v->joined = q;
		v->joined_cap = need;
	}
	need = 0;
	for (size_t i = 0; i < v->n_piece; i++) {
		struct pii_piece *p = &v->piece[i];

		p->j = (uint32_t)need;
		memcpy(v->joined + need, r->text + p->a, p->b - p->a);
		need += p->b - p->a;
		memcpy(v->joined + need, PII_JOIN, sep);
		need += sep;
	}
	he = v->hs.scan(v->som, v->joined, (unsigned)need, 0, v->scratch,
			on_joined, v);
	if (v->scan_err)
		return v->scan_err;
	return he == HS_SUCCESS ? 0 : -EIO;
}

/* The rows of PII_SCAN_ALL: pii_lit.c (rows with literal anchors) and
 * the trigger database (no start of match, the rest) find where matches
 * may be; only the pieces around those places are scanned again
 * with leftmost start of match. Each real match lies in a piece
 * with a byte of context each side, so the piece scan reports it with
 * the same leftmost start the whole window would; a match touching a cut
 * piece edge could be an artefact of the cut and is dropped (on_match):
 * a real one never touches a cut edge, being no wider than its row. */
static int scan_triggered(struct pii_engine_view *v, const struct pii_round *r)
{
	void *trigger = v->reference ? v->trigger_all : v->trigger;
	void *som;
	int rc;

	v->n_piece = 0;
	v->scan_len = r->len;
	rc = v->lit && !v->reference ? pii_lit_scan(v->lit, v, r->text, r->len)
				     : 0;
	if (!rc && trigger)
		rc = scan(v, r, trigger, on_hit, 0, r->len);
	if (rc)
		return rc;
	v->n_piece = merge_pieces(v->piece, v->n_piece);
	som = v->reference ? v->db[PII_SCAN_ALL] : v->som;
	if (!som) /* every row with a piece is matched in C */
		return 0;
	if (v->hs.scan_exact && !v->reference && v->n_piece > 1)
		return scan_joined(v, r);
	for (size_t i = 0; !rc && i < v->n_piece; i++)
		rc = scan(v, r, som, on_match, v->piece[i].a, v->piece[i].b);
	return rc;
}

int pii_scan_raw(struct pii_engine_view *v, const struct pii_round *r)
{
	int rc = 0;

	if (r->len > UINT32_MAX - 2)
		return -E2BIG;
	v->n_dbits = 0; /* until this window's literal scan makes them */
	if (v->any_all)
		rc = scan_triggered(v, r);
	if (!rc && (v->digits || v->db[PII_SCAN_DIGITS]))
		rc = scan_digits(v, r);
	return rc;
}
