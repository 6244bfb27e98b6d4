/* pii_lit: where the trigger rows with literal anchors may match, found
 * in C instead of by the Vectorscan trigger database. A Teddy-style scan
 * (four-byte fingerprints in 8 buckets, nibble tables, AVX2) finds where
 * an anchor may start, the anchor is checked byte by byte, and the piece
 * that can hold the row's match goes to the start-of-match rescan like a
 * trigger hit's. Invariant: every match of a row holds one of its
 * anchors (pii_patterns.c), so the pieces hold every match. */
#include "shared/common.h"
#include "shared/limits.h"
#include "shared/pii/pii_int.h"

#include <errno.h>
#include <hs/hs.h>
#ifdef __x86_64__
#include <immintrin.h>
#endif

/* Anchor syntax (pii_pattern.lit): anchors split by '|'; each is
 * [N<][^][~]items. N<: the anchor starts 0..N bytes into the match. ^: a
 * \b right before it (its first item must take word bytes only). ~:
 * caseless (ASCII). Items: a byte, \x for the byte x, or a class [...]
 * of bytes and ranges a-z (\ escapes inside too). The first LIT_FP items
 * are the fingerprint; the rest are checked at each candidate. */
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
};

struct pii_lit {
	/* bucket bits per fingerprint position, by low and high nibble,
	 * buckets 0-7 in [0], 8-15 in [1] */
	uint8_t lo[2][LIT_FP][16];
	uint8_t hi[2][LIT_FP][16];
	uint64_t bucket[LIT_BUCKETS]; /* anchors in each bucket (bit i) */
	/* buckets with an anchor that needs no \b before it: the others
	 * are dropped where a word byte comes before */
	uint16_t no_wb;
	struct lit_anchor a[LIT_ANCHORS];
	unsigned n;
	uint64_t cls[LIT_CLASSES][4]; /* byte sets */
	unsigned n_cls;
	/* per bucket and position, the nibbles used (for the assignment) */
	uint16_t lo_used[LIT_BUCKETS][LIT_FP];
	uint16_t hi_used[LIT_BUCKETS][LIT_FP];
};

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
}

int pii_lit_new(const struct pii_pattern *pats, const unsigned *ids,
		const unsigned *width, unsigned n, struct pii_lit **out)
{
	struct pii_lit *l = calloc(1, sizeof(*l));
	int rc = l ? 0 : -ENOMEM;

#ifdef __x86_64__
	/* without AVX2 the scan in C is slower than Vectorscan's trigger */
	if (!rc && !__builtin_cpu_supports("avx2"))
		rc = -ENOTSUP;
#else
	rc = rc ? rc : -ENOTSUP;
#endif
	for (unsigned i = 0; !rc && i < n; i++) {
		const struct pii_pattern *p = &pats[ids[i]];

		if (p->lit && p->scan == PII_SCAN_ALL)
			rc = add_row(l, p, width[i]);
	}
	if (!rc && !l->n)
		rc = -ENOENT;
	if (!rc)
		place_all(l);
	if (rc) {
		free(l);
		l = NULL;
	}
	*out = l;
	return rc;
}

void pii_lit_free(struct pii_lit *l)
{
	free(l);
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
static int hit(const struct pii_lit *l, struct pii_engine_view *v,
	       const uint8_t *t, size_t p, size_t len, unsigned bits)
{
	int rc = 0;

	for (; bits && !rc; bits &= bits - 1) {
		uint64_t in = l->bucket[__builtin_ctz(bits)];

		for (; in && !rc; in &= in - 1) {
			const struct lit_anchor *a = &l->a[__builtin_ctzll(in)];
			size_t back = (size_t)a->lead + 1;
			size_t b = p + a->width + 1;

			if (anchor_at(l, a, t, p, len))
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
			rc = hit(l, v, t, p, len, m);
	}
	return rc;
}

#ifdef __x86_64__
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

/* Positions from 1 on, 32 per step; stops where fewer than 32 +
 * LIT_FP - 1 bytes are left (*done: where the caller goes on). */
__attribute__((target("avx2"))) static int scan_avx2(const struct pii_lit *l,
						     struct pii_engine_view *v,
						     const uint8_t *t,
						     size_t len, size_t *done)
{
	const __m256i wb0 = _mm256_set1_epi8((char)(l->no_wb & 0xff));
	const __m256i wb1 = _mm256_set1_epi8((char)(l->no_wb >> 8));
	struct lit_tables tb;
	size_t i = 1;
	int rc = 0;

	tables_avx2(l, &tb);
	for (; !rc && i + 32 + LIT_FP - 1 <= len; i += 32) {
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
		for (; bits && !rc; bits &= bits - 1) {
			unsigned j = (unsigned)__builtin_ctz(bits);

			rc = hit(l, v, t, i + j, len,
				 mb[0][j] | (unsigned)mb[1][j] << 8);
		}
	}
	*done = i;
	return rc;
}
#endif

int pii_lit_scan(const struct pii_lit *l, struct pii_engine_view *v,
		 const char *text, size_t len)
{
	const uint8_t *t = (const uint8_t *)text;
	size_t from = 0;
	int rc = 0;

#ifdef __x86_64__
	if (len > 1 && __builtin_cpu_supports("avx2") && !v->lit_scalar) {
		rc = scan_range(l, v, t, 0, 1, len);
		if (!rc)
			rc = scan_avx2(l, v, t, len, &from);
	}
#endif
	return rc ? rc : scan_range(l, v, t, from, len, len);
}
