/* pii_lit: where the trigger rows with literal anchors may match, found
 * in C instead of by the Vectorscan trigger database. A Teddy-style scan
 * (four-byte fingerprints and the \b before them in 16 buckets; SIMD in
 * pii_lit_simd.c) finds where an anchor may start, the anchor is checked byte by byte, and the piece
 * that can hold the row's match goes to the start-of-match rescan like a
 * trigger hit's. Invariant: every match of a row holds one of its
 * anchors (pii_patterns.c), so the pieces hold every match. */
#include "shared/common.h"
#include "shared/limits.h"
#include "shared/pii/pii_lit.h"

#include <errno.h>
#include <hs/hs.h>
#include <sys/platform/x86.h>

/* Anchor syntax (pii_pattern.lit): anchors split by '|'; each is
 * [N<][^][~]items. N<: the anchor starts 0..N bytes into the match. ^: a
 * \b right before it (its first item must take word bytes only). ~:
 * caseless (ASCII). Items: a byte, \x for the byte x, or a class [...]
 * of bytes and ranges a-z (\ escapes inside too). The first LIT_FP items
 * are the fingerprint; the rest are checked at each candidate. */

static void set_add(uint64_t set[4], unsigned c, bool ci)
{
	set[c >> 6] |= 1ull << (c & 63);
	if (ci && ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
		set_add(set, c ^ 0x20, false);
}

static bool set_has(const uint64_t set[4], unsigned c)
{
	return (set[c >> 6] >> (c & 63)) & 1;
}

/* One byte of the spec, \ escapes taken. */
static int spec_byte(const char **sp)
{
	const char *s = *sp;

	if (*s == '\\')
		s++;
	if (!*s)
		return -EINVAL;
	*sp = s + 1;
	return (unsigned char)*s;
}

static int parse_class(const char **sp, uint64_t set[4], bool ci)
{
	const char *s = *sp + 1;

	while (*s && *s != ']') {
		int a = spec_byte(&s);
		int b = a;

		if (a >= 0 && s[0] == '-' && s[1] && s[1] != ']') {
			s++;
			b = spec_byte(&s);
		}
		if (a < 0 || b < a)
			return -EINVAL;
		for (int c = a; c <= b; c++)
			set_add(set, (unsigned)c, ci);
	}
	if (*s != ']')
		return -EINVAL;
	*sp = s + 1;
	return 0;
}

/* The class's index in l->cls, added if new. */
static int class_of(struct pii_lit *l, const uint64_t set[4])
{
	for (unsigned i = 0; i < l->n_cls; i++) {
		if (memcmp(l->cls[i], set, sizeof(l->cls[i])) == 0)
			return (int)i;
	}
	if (l->n_cls == LIT_CLASSES)
		return -ENOSPC;
	memcpy(l->cls[l->n_cls], set, sizeof(l->cls[0]));
	return (int)l->n_cls++;
}

static int parse_item(struct pii_lit *l, const char **sp, bool ci)
{
	uint64_t set[4] = {0};
	int c;

	if (**sp == '[') {
		c = parse_class(sp, set, ci);
		if (c)
			return c;
	} else {
		c = spec_byte(sp);
		if (c < 0)
			return c;
		set_add(set, (unsigned)c, ci);
	}
	return class_of(l, set);
}

static bool word_only(const uint64_t set[4])
{
	for (unsigned c = 0; c < 256; c++) {
		if (set_has(set, c) && !pii_word_byte((int)c))
			return false;
	}
	return true;
}

/* [N<][^][~]items up to '|' or the end. */
static int parse_anchor(struct pii_lit *l, const char **sp, bool ci,
			struct lit_anchor *a)
{
	const char *s = *sp;
	unsigned lead = 0;
	int k;

	while (*s >= '0' && *s <= '9' && lead < 64)
		lead = lead * 10 + (unsigned)(*s++ - '0');
	if (lead && *s++ != '<')
		return -EINVAL;
	a->lead = (uint8_t)lead;
	a->wb = *s == '^';
	s += a->wb;
	ci |= *s == '~';
	s += *s == '~';
	for (a->n = 0; *s && *s != '|'; a->n++) {
		if (a->n == LIT_ITEMS)
			return -EINVAL;
		k = parse_item(l, &s, ci);
		if (k < 0)
			return k;
		a->cls[a->n] = (uint8_t)k;
	}
	if (!a->n || (a->wb && (lead || !word_only(l->cls[a->cls[0]]))))
		return -EINVAL;
	*sp = *s ? s + 1 : s;
	return 0;
}

/* How often a byte turns up in prompt-like text (a rough model: English
 * letters by frequency, spaces, some capitals, digits and punctuation),
 * in units of 1/10000; what the bucket assignment minimises. */
static unsigned text_weight(unsigned c)
{
	/* a..z, per 1000 letters */
	static const uint8_t en[26] = {82, 15, 28, 43, 127, 22, 20, 61, 70,
				       2,  8,  40, 24, 67,  75, 19, 1,	60,
				       63, 91, 28, 10, 24,  2,	20, 1};

	if (c >= 'a' && c <= 'z')
		return en[c - 'a'] * 7u + 1;
	if (c >= 'A' && c <= 'Z')
		return en[c - 'A'] / 3u + 5;
	if (c == ' ')
		return 1500;
	if (c >= '0' && c <= '9')
		return 20;
	return c >= 0x21 && c < 0x7f ? 15 : 1;
}

/* The share of prompt-like text a bucket's fingerprint accepts (b ==
 * LIT_BUCKETS: an empty one), with `with` added: the nibble tables take
 * every low nibble used at a position with every high one. */
static double bucket_cost(const struct pii_lit *l, unsigned b,
			  const struct lit_anchor *with)
{
	double cost = 1;

	for (unsigned k = 0; k < LIT_FP; k++) {
		uint16_t lo = b < LIT_BUCKETS ? l->lo_used[b][k] : 0;
		uint16_t hi = b < LIT_BUCKETS ? l->hi_used[b][k] : 0;
		unsigned sum = 0;

		for (unsigned c = 0; with && c < 256; c++) {
			if (k >= with->n || set_has(l->cls[with->cls[k]], c)) {
				lo |= (uint16_t)(1u << (c & 15));
				hi |= (uint16_t)(1u << (c >> 4));
			}
		}
		for (unsigned c = 0; c < 256; c++) {
			if ((lo >> (c & 15)) & (hi >> (c >> 4)) & 1)
				sum += text_weight(c);
		}
		cost *= sum / 10000.0;
	}
	/* a \b before a word byte: about one byte in five is not one */
	if (!(with && !with->wb) && !(b < LIT_BUCKETS && (l->no_wb >> b) & 1))
		cost *= 0.2;
	return cost;
}

/* Into the bucket it widens least; the nibble tables take it. */
static void place(struct pii_lit *l, unsigned i)
{
	const struct lit_anchor *a = &l->a[i];
	double best = 2;
	unsigned bb = 0;

	for (unsigned b = 0; b < LIT_BUCKETS; b++) {
		double now = l->bucket[b] ? bucket_cost(l, b, NULL) : 0;
		double more = bucket_cost(l, b, a) - now;

		if (more < best) {
			best = more;
			bb = b;
		}
	}
	l->bucket[bb] |= 1ull << i;
	if (!a->wb)
		l->no_wb |= (uint16_t)(1u << bb);
	for (unsigned k = 0; k < LIT_FP; k++) {
		for (unsigned c = 0; c < 256; c++) {
			if (k < a->n && !set_has(l->cls[a->cls[k]], c))
				continue;
			l->lo_used[bb][k] |= (uint16_t)(1u << (c & 15));
			l->hi_used[bb][k] |= (uint16_t)(1u << (c >> 4));
			l->lo[bb / 8][k][c & 15] |= (uint8_t)(1u << (bb % 8));
			l->hi[bb / 8][k][c >> 4] |= (uint8_t)(1u << (bb % 8));
			if (c < 128)
				l->ex[1 + k][bb / 8][c] |=
				    (uint8_t)(1u << (bb % 8));
			else
				l->ex_hi[1 + k][bb / 8] |=
				    (uint8_t)(1u << (bb % 8));
		}
	}
}

static int add_row(struct pii_lit *l, const struct pii_pattern *p,
		   unsigned width)
{
	const char *s = p->lit;
	bool ci = p->hs_flags & HS_FLAG_CASELESS;
	int rc;

	while (*s) {
		struct lit_anchor *a = &l->a[l->n];

		if (l->n == LIT_ANCHORS)
			return -ENOSPC;
		rc = parse_anchor(l, &s, ci, a);
		if (rc)
			return rc;
		a->width = width;
		l->n++;
	}
	return 0;
}

/* Broadest anchors first, each into the bucket it widens least: the
 * broad ones (an e-mail's '@', IPv6's ':') then get buckets of their
 * own instead of multiplying a narrow bucket's nibble products. */
static void place_all(struct pii_lit *l)
{
	double own[LIT_ANCHORS];
	bool done[LIT_ANCHORS] = {false};

	for (unsigned i = 0; i < l->n; i++)
		own[i] = bucket_cost(l, LIT_BUCKETS, &l->a[i]);
	for (unsigned k = 0; k < l->n; k++) {
		unsigned best = l->n;

		for (unsigned i = 0; i < l->n; i++) {
			if (!done[i] && (best == l->n || own[i] > own[best]))
				best = i;
		}
		done[best] = true;
		place(l, best);
	}
	/* the byte before: a word byte allows only the no_wb buckets */
	for (unsigned c = 0; c < 128; c++) {
		for (unsigned h = 0; h < 2; h++)
			l->ex[0][h][c] = pii_word_byte((int)c)
					     ? (uint8_t)(l->no_wb >> (8 * h))
					     : 0xff;
	}
	l->ex_hi[0][0] = l->ex_hi[0][1] = 0xff;
	/* a byte from 0x80 may read its ASCII twin's entry (VBMI looks up
	 * 7 bits): make each entry take what those bytes take too */
	for (unsigned k = 1; k <= LIT_FP; k++) {
		for (unsigned c = 0; c < 128; c++) {
			l->ex[k][0][c] |= l->ex_hi[k][0];
			l->ex[k][1][c] |= l->ex_hi[k][1];
		}
	}
	l->vbmi =
	    CPU_FEATURE_ACTIVE(AVX512BW) && CPU_FEATURE_ACTIVE(AVX512_VBMI);
}

/* The rows pii_digits.c can run (tidx[0..m): table rows, vid: their
 * Vectorscan ids) go to l->anch; a start lies at most the longest lead
 * of the row's anchors before one (so each row's start ranges come in
 * order however its anchors are met). */
static int anchored(struct pii_lit *l, const struct pii_pattern *pats,
		    const unsigned *tidx, const unsigned *vid, unsigned m)
{
	int row_of[LIT_ANCHORS];
	int rc = pii_anch_new(pats, tidx, m, row_of, &l->anch);

	for (unsigned k = 0; k < l->n; k++)
		l->a[k].crow = -1;
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	for (unsigned i = 0; i < m; i++) {
		if (row_of[i] < 0)
			continue;
		l->taken[vid[i] / 64] |= 1ull << (vid[i] % 64);
		for (unsigned k = 0; k < l->n; k++) {
			struct lit_anchor *a = &l->a[k];

			if (a->id != vid[i])
				continue;
			a->crow = (int16_t)row_of[i];
			if (a->lead > l->anch_lead[a->crow])
				l->anch_lead[a->crow] = a->lead;
		}
	}
	return 0;
}

int pii_lit_new(const struct pii_pattern *pats, const unsigned *ids,
		const unsigned *width, unsigned n, struct pii_lit **out)
{
	struct pii_lit *l = calloc(1, sizeof(*l));
	unsigned tidx[LIT_ANCHORS];
	unsigned vid[LIT_ANCHORS];
	unsigned m = 0;
	int rc = l ? 0 : -ENOMEM;

#ifdef __x86_64__
	/* without AVX2 the scan in C is slower than Vectorscan's trigger */
	if (!rc && !CPU_FEATURE_ACTIVE(AVX2))
		rc = -ENOTSUP;
#else
	rc = rc ? rc : -ENOTSUP;
#endif
	if (!rc && n > 128)
		rc = -E2BIG; /* taken[] holds ids below 128 */
	for (unsigned i = 0; !rc && i < n; i++) {
		const struct pii_pattern *p = &pats[ids[i]];
		unsigned first = l->n;

		if (!p->lit || p->scan != PII_SCAN_ALL)
			continue;
		rc = add_row(l, p, width[i]);
		for (unsigned k = first; k < l->n; k++)
			l->a[k].id = (uint8_t)i;
		tidx[m] = ids[i];
		vid[m++] = i;
	}
	if (!rc && !l->n)
		rc = -ENOENT;
	if (!rc)
		rc = anchored(l, pats, tidx, vid, m);
	if (!rc)
		place_all(l);
	if (rc) {
		pii_lit_free(l);
		l = NULL;
	}
	*out = l;
	return rc;
}

void pii_lit_free(struct pii_lit *l)
{
	if (l)
		pii_digits_free(l->anch);
	free(l);
}

bool pii_lit_takes(const struct pii_lit *l, unsigned id)
{
	return id < 128 && ((l->taken[id / 64] >> (id % 64)) & 1);
}

/* [a, b) for the rescan: extends the last piece when they meet. */
static int add_piece(struct pii_engine_view *v, size_t a, size_t b)
{
	struct pii_piece *last = v->n_piece ? &v->piece[v->n_piece - 1] : NULL;
	size_t cap = v->cap_piece ? v->cap_piece * 2 : 256;
	void *q;

	if (last && a >= last->a && a <= last->b) {
		if (b > last->b)
			last->b = (uint32_t)b;
		return 0;
	}
	if (v->n_piece == v->cap_piece) {
		if (cap > AKIOS_MAX_PII_MATCHES)
			return -E2BIG;
		q = realloc(v->piece, cap * sizeof(*v->piece));
		if (!q)
			return -ENOMEM;
		v->piece = q;
		v->cap_piece = cap;
	}
	v->piece[v->n_piece++] =
	    (struct pii_piece){.a = (uint32_t)a, .b = (uint32_t)b};
	return 0;
}

static bool anchor_at(const struct pii_lit *l, const struct lit_anchor *a,
		      const uint8_t *t, size_t p, size_t len)
{
	if (a->n > len - p || (a->wb && p && pii_word_byte(t[p - 1])))
		return false;
	for (unsigned i = 0; i < a->n; i++) {
		if (!set_has(l->cls[a->cls[i]], t[p + i]))
			return false;
	}
	return true;
}

/* A fingerprint hit at p in the buckets bits: each anchor that is
 * really there gives the piece that holds its row's match with a byte
 * of context each side, as a trigger hit's piece does. */
int pii_lit_hit(const struct pii_lit *l, struct pii_engine_view *v,
		const uint8_t *t, size_t p, size_t len, unsigned bits)
{
	int rc = 0;

	for (; bits && !rc; bits &= bits - 1) {
		uint64_t in = l->bucket[__builtin_ctz(bits)];

		for (; in && !rc; in &= in - 1) {
			const struct lit_anchor *a = &l->a[__builtin_ctzll(in)];
			size_t back = (size_t)a->lead + 1;
			size_t b = p + a->width + 1;

			if (!anchor_at(l, a, t, p, len))
				continue;
			if (a->crow >= 0) /* the row's starts, run in C */
				rc = pii_anch_try(
				    l->anch, (unsigned)a->crow,
				    p - (p < l->anch_lead[a->crow]
					     ? p
					     : l->anch_lead[a->crow]),
				    p, pii_add_raw, v);
			else
				rc = add_piece(v, p > back ? p - back : 0,
					       b < len ? b : len);
		}
	}
	return rc;
}

/* The buckets whose fingerprint is at t[p] (t[p + k] for k past len
 * read as 0: no class takes it, and anchors are checked in full). */
static unsigned fp_at(const struct pii_lit *l, const uint8_t *t, size_t p,
		      size_t len)
{
	unsigned m = p && pii_word_byte(t[p - 1]) ? l->no_wb : 0xffff;

	for (unsigned k = 0; k < LIT_FP; k++) {
		unsigned c = p + k < len ? t[p + k] : 0;

		m &= (l->lo[0][k][c & 15] & l->hi[0][k][c >> 4]) |
		     (unsigned)(l->lo[1][k][c & 15] & l->hi[1][k][c >> 4]) << 8;
	}
	return m;
}

/* Positions [from, to) one by one. */
static int scan_range(const struct pii_lit *l, struct pii_engine_view *v,
		      const uint8_t *t, size_t from, size_t to, size_t len)
{
	int rc = 0;

	for (size_t p = from; p < to && !rc; p++) {
		unsigned m = fp_at(l, t, p, len);

		if (m)
			rc = pii_lit_hit(l, v, t, p, len, m);
	}
	return rc;
}

#ifdef __x86_64__
/* The SIMD scan from 1 on, in rounds: gather candidates, then check
 * them (*from: where it stopped). */
static int scan_simd(const struct pii_lit *l, struct pii_engine_view *v,
		     const uint8_t *t, size_t len, size_t *from)
{
	struct lit_cand c[LIT_CANDS];
	size_t i = 1;
	bool wide = l->vbmi && v->lit_path == PII_LIT_BEST;
	/* the digits of each 64 bytes, for pii_digits.c (none if the
	 * window is too long for the words: it finds them itself) */
	uint64_t *bits = wide && !pii_grow((void **)&v->dbits, &v->cap_dbits,
					   sizeof(*v->dbits), len / 64 + 1)
			     ? v->dbits
			     : NULL;
	int rc = 0;

	/* 64 positions a step where the CPU can, then 32 */
	for (; !rc && wide && i + 64 + LIT_FP - 1 <= len;) {
		size_t n = 0;

		i = pii_lit_gather_avx512(l, t, i, len, c, &n, bits);
		for (size_t k = 0; k < n && !rc; k++)
			rc = pii_lit_hit(l, v, t, c[k].p, len, c[k].bits);
	}
	v->n_dbits = bits ? (i - 1) / 64 : 0;
	while (!rc && i + 32 + LIT_FP - 1 <= len) {
		size_t n = 0;

		i = pii_lit_gather_avx2(l, t, i, len, c, &n);
		for (size_t k = 0; k < n && !rc; k++)
			rc = pii_lit_hit(l, v, t, c[k].p, len, c[k].bits);
	}
	*from = i;
	return rc;
}
#endif

int pii_lit_scan(const struct pii_lit *l, struct pii_engine_view *v,
		 const char *text, size_t len)
{
	const uint8_t *t = (const uint8_t *)text;
	size_t from = 0;
	int rc = 0;

	if (l->anch)
		pii_anch_begin(l->anch, text, len);
#ifdef __x86_64__
	/* pii_lit_new made sure of AVX2; tests may ask for less */
	if (len > 1 && v->lit_path < PII_LIT_SCALAR) {
		rc = scan_range(l, v, t, 0, 1, len);
		if (!rc)
			rc = scan_simd(l, v, t, len, &from);
	}
#endif
	return rc ? rc : scan_range(l, v, t, from, len, len);
}
