/* pii_digits_parse: a digit row's regex into the tree pii_digits.c runs.
 * Takes the subset the digit rows use: literals, classes, \d \s \b,
 * (?: ) and (?i: ) groups, alternation, ? and {m,n}; anything else
 * (dot, anchors, unbounded repeats, captures) is -ENOTSUP, never a
 * guess. \s is [\t\n\v\f\r ] and \d is [0-9], as in Vectorscan. */
#include "shared/common.h"
#include "shared/pii/pii_int.h"

#include <errno.h>

struct dg_parse {
	struct pii_digits *d;
	const char *p;
	bool ci; /* inside (?i: ) */
	int err;
};

static int new_node(struct dg_parse *ps, enum dg_kind kind)
{
	struct pii_digits *d = ps->d;

	if (d->n_node == DG_MAX_NODES) {
		ps->err = -E2BIG;
		return -1;
	}
	memset(&d->node[d->n_node], 0, sizeof(d->node[0]));
	d->node[d->n_node].kind = (uint8_t)kind;
	return (int)d->n_node++;
}

static void set_bit(uint64_t b[4], unsigned c)
{
	b[c / 64] |= 1ull << (c % 64);
}

static bool has_bit(const uint64_t b[4], unsigned c)
{
	return (b[c / 64] >> (c % 64)) & 1;
}

static void add_range(uint64_t b[4], unsigned lo, unsigned hi, bool ci)
{
	for (unsigned c = lo; c <= hi && c < 256; c++) {
		set_bit(b, c);
		if (ci && c >= 'a' && c <= 'z')
			set_bit(b, c - 32);
		if (ci && c >= 'A' && c <= 'Z')
			set_bit(b, c + 32);
	}
}

/* \d, \s or an escaped literal; the byte after the backslash. */
static int add_escape(uint64_t b[4], char e, bool ci)
{
	if (e == 'd') {
		add_range(b, '0', '9', false);
	} else if (e == 's') {
		add_range(b, '\t', '\r', false); /* \t \n \v \f \r */
		add_range(b, ' ', ' ', false);
	} else if (e && !pii_word_byte((unsigned char)e)) {
		add_range(b, (unsigned char)e, (unsigned char)e, ci);
	} else {
		return -ENOTSUP; /* \w, \x.., \b in a class, ... */
	}
	return 0;
}

static int cls_node(struct dg_parse *ps, unsigned cls)
{
	int n = new_node(ps, DG_CLS);

	if (n >= 0)
		ps->d->node[n].cls = (uint8_t)cls;
	return n;
}

/* Interns a byte set as a class and returns a node matching it. */
static int intern(struct dg_parse *ps, const uint64_t b[4])
{
	struct pii_digits *d = ps->d;

	for (unsigned i = 0; i < d->n_cls; i++) {
		if (!memcmp(d->cls_bits[i], b, sizeof(d->cls_bits[i])))
			return cls_node(ps, i);
	}
	if (d->n_cls == DG_MAX_CLS) {
		ps->err = -E2BIG;
		return -1;
	}
	memcpy(d->cls_bits[d->n_cls], b, sizeof(d->cls_bits[0]));
	for (unsigned c = 0; c < 256; c++) {
		if (has_bit(b, c))
			d->cls_of[c][d->n_cls / 64] |= 1ull << (d->n_cls % 64);
	}
	return cls_node(ps, d->n_cls++);
}

static int fail(struct dg_parse *ps, int err)
{
	ps->err = err;
	return -1;
}

/* [...] after the '['; no ']' as a member. */
static int parse_class(struct dg_parse *ps)
{
	uint64_t b[4] = {0};
	bool neg = *ps->p == '^';

	ps->p += neg;
	while (*ps->p && *ps->p != ']') {
		unsigned lo = (unsigned char)*ps->p++;
		unsigned hi = lo;

		if (lo == '\\') {
			if (add_escape(b, *ps->p++, ps->ci))
				return fail(ps, -ENOTSUP);
			continue;
		}
		if (ps->p[0] == '-' && ps->p[1] && ps->p[1] != ']') {
			hi = (unsigned char)ps->p[1];
			ps->p += 2;
			if (hi == '\\' || hi < lo)
				return fail(ps, -ENOTSUP);
		}
		add_range(b, lo, hi, ps->ci);
	}
	if (*ps->p++ != ']')
		return fail(ps, -EINVAL);
	for (int i = 0; neg && i < 4; i++)
		b[i] = ~b[i];
	return intern(ps, b);
}

/* Stores kids as node n's children. */
static int link_kids(struct dg_parse *ps, int n, const int *kids, unsigned k)
{
	struct pii_digits *d = ps->d;

	if (d->n_kid + k > DG_MAX_NODES)
		return fail(ps, -E2BIG);
	d->node[n].kid0 = (uint16_t)d->n_kid;
	d->node[n].n_kid = (uint16_t)k;
	for (unsigned i = 0; i < k; i++)
		d->kid[d->n_kid++] = (uint16_t)kids[i];
	return n;
}

static int parse_alt(struct dg_parse *ps);

/* ( after the '(': only (?: and (?i: groups. */
static int parse_group(struct dg_parse *ps)
{
	bool ci = ps->ci;
	int n;

	if (strncmp(ps->p, "?:", 2) == 0) {
		ps->p += 2;
	} else if (strncmp(ps->p, "?i:", 3) == 0) {
		ps->p += 3;
		ps->ci = true;
	} else {
		return fail(ps, -ENOTSUP); /* capturing, lookaround, ... */
	}
	n = parse_alt(ps);
	ps->ci = ci;
	if (n < 0 || *ps->p != ')')
		return fail(ps, ps->err ? ps->err : -EINVAL);
	ps->p++;
	return n;
}

static int parse_atom(struct dg_parse *ps)
{
	uint64_t b[4] = {0};
	char c = *ps->p++;

	if (c == '(')
		return parse_group(ps);
	if (c == '[')
		return parse_class(ps);
	if (c == '\\' && *ps->p == 'b') {
		ps->p++;
		return new_node(ps, DG_BND);
	}
	if (c == '\\') {
		if (add_escape(b, *ps->p++, ps->ci))
			return fail(ps, -ENOTSUP);
		return intern(ps, b);
	}
	if (strchr(".^$*+?{})|", c))
		return fail(ps, -ENOTSUP); /* dot, anchors, unbounded */
	add_range(b, (unsigned char)c, (unsigned char)c, ps->ci);
	return intern(ps, b);
}

/* A decimal bound of a {m,n} quantifier. */
static unsigned number(struct dg_parse *ps)
{
	unsigned v = 0;

	while (*ps->p >= '0' && *ps->p <= '9' && v < 10000)
		v = v * 10 + (unsigned)(*ps->p++ - '0');
	return v;
}

static int quantify(struct dg_parse *ps, int kid)
{
	unsigned min = 0;
	unsigned max = 1;
	int n;

	if (*ps->p == '{') {
		ps->p++;
		min = number(ps);
		max = min;
		if (*ps->p == ',') {
			ps->p++;
			max = number(ps);
		}
		if (*ps->p != '}' || max < min || max == 0 || max > 1000)
			return fail(ps, -ENOTSUP);
	} else if (*ps->p != '?') {
		return kid;
	}
	ps->p++;
	n = new_node(ps, DG_REP);
	if (n < 0)
		return -1;
	ps->d->node[n].min = (uint16_t)min;
	ps->d->node[n].max = (uint16_t)max;
	return link_kids(ps, n, &kid, 1);
}

#define DG_MAX_SEQ 64

/* Items up to '|', ')' or the end. */
static int parse_cat(struct dg_parse *ps)
{
	int kids[DG_MAX_SEQ];
	unsigned k = 0;
	int n;

	while (*ps->p && *ps->p != '|' && *ps->p != ')') {
		n = parse_atom(ps);
		if (n >= 0)
			n = quantify(ps, n);
		if (n < 0)
			return -1;
		if (k == DG_MAX_SEQ)
			return fail(ps, -E2BIG);
		kids[k++] = n;
	}
	if (k == 1)
		return kids[0];
	n = new_node(ps, DG_CAT);
	return n < 0 ? -1 : link_kids(ps, n, kids, k);
}

static int parse_alt(struct dg_parse *ps)
{
	int kids[DG_MAX_SEQ];
	unsigned k = 0;
	int n;

	for (;;) {
		n = parse_cat(ps);
		if (n < 0)
			return -1;
		if (k == DG_MAX_SEQ)
			return fail(ps, -E2BIG);
		kids[k++] = n;
		if (*ps->p != '|')
			break;
		ps->p++;
	}
	if (k == 1)
		return kids[0];
	n = new_node(ps, DG_ALT);
	return n < 0 ? -1 : link_kids(ps, n, kids, k);
}

int pii_digits_parse(struct pii_digits *d, const char *re, bool ci)
{
	struct dg_parse ps = {.d = d, .p = re, .ci = ci};
	int n = parse_alt(&ps);

	if (n < 0 || *ps.p)
		return ps.err ? ps.err : -ENOTSUP;
	return n;
}
