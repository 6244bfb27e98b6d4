/* json_parse: a strict RFC 8259 parser into the json tree. It never reads
 * text[len] (no NUL needed), recurses at most JSON_MAX_DEPTH levels, and
 * on failure reports the offset of the offending byte (len at the end of
 * input) with one of a fixed set of short messages. String bytes >= 0x80
 * are copied unchecked (redaction feeds arbitrary bodies through here). */
#include "shared/common.h"
#include "shared/json.h"
#include "shared/json_int.h"

#include <errno.h>
#include <locale.h>
#include <math.h>

struct jp {
	const char *s;
	size_t len;
	size_t pos;
	const char *msg; /* the first error wins */
	size_t at;
	bool check; /* json_validate: members are freed, not kept */
};

static const char msg_eof[] = "unexpected end of input";
static const char msg_oom[] = "out of memory";

static bool fail(struct jp *p, size_t at, const char *msg)
{
	if (!p->msg) {
		p->msg = msg;
		p->at = at;
	}
	return false;
}

static void *perr(struct jp *p, size_t at, const char *msg)
{
	fail(p, at, msg);
	return NULL;
}

static void *oom(struct jp *p)
{
	p->msg = msg_oom;
	p->at = 0;
	return NULL;
}

static void skip_ws(struct jp *p)
{
	while (p->pos < p->len) {
		char c = p->s[p->pos];

		if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
			return;
		p->pos++;
	}
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static struct json *parse_literal(struct jp *p, const char *word,
				  enum json_type t)
{
	struct json *v;

	for (size_t i = 0; word[i]; i++, p->pos++) {
		if (p->pos >= p->len)
			return perr(p, p->len, msg_eof);
		if (p->s[p->pos] != word[i])
			return perr(p, p->pos, "invalid literal");
	}
	v = json_node(t);
	return v ? v : oom(p);
}

/* Digits at p->pos: at least one is required. */
static bool digits(struct jp *p)
{
	if (p->pos >= p->len)
		return fail(p, p->len, msg_eof);
	if (!is_digit(p->s[p->pos]))
		return fail(p, p->pos, "invalid number");
	while (p->pos < p->len && is_digit(p->s[p->pos]))
		p->pos++;
	return true;
}

/* The grammar: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
 * Sets *simple when the number is an integer of at most 15 digits. */
static bool scan_number(struct jp *p, bool *simple)
{
	size_t st;

	if (p->s[p->pos] == '-')
		p->pos++;
	st = p->pos;
	if (p->pos < p->len && p->s[p->pos] == '0') {
		p->pos++;
		if (p->pos < p->len && is_digit(p->s[p->pos]))
			return fail(p, p->pos, "invalid number");
	} else if (!digits(p)) {
		return false;
	}
	*simple = p->pos - st <= 15;
	if (p->pos < p->len && p->s[p->pos] == '.') {
		p->pos++;
		*simple = false;
		if (!digits(p))
			return false;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		p->pos++;
		*simple = false;
		if (p->pos < p->len &&
		    (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (!digits(p))
			return false;
	}
	return true;
}

/* strtod reads the decimal point of LC_NUMERIC. akios never sets a
 * locale, but should anything in the process do so, the '.' is swapped
 * for the locale's own point and the text read again. */
static int locale_strtod(const char *t, size_t n, double *out)
{
	const char *dp = localeconv()->decimal_point;
	size_t dn = strlen(dp);
	char *b = malloc(n + dn + 1);
	size_t k = 0;
	char *end;

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (t[i] == '.') {
			memcpy(b + k, dp, dn);
			k += dn;
		} else {
			b[k++] = t[i];
		}
	}
	b[k] = '\0';
	*out = strtod(b, &end);
	k = (size_t)(end - b);
	free(b);
	return k == n - 1 + dn ? 0 : -EINVAL;
}

/* Text t[0..n) that matched the grammar, converted correctly rounded. */
static int text_to_double(const char *t, size_t n, double *out)
{
	char small[64];
	char *b = n < sizeof(small) ? small : malloc(n + 1);
	char *end;
	int rc = 0;

	if (!b)
		return -ENOMEM;
	memcpy(b, t, n);
	b[n] = '\0';
	*out = strtod(b, &end);
	if (end != b + n)
		rc = memchr(t, '.', n) ? locale_strtod(t, n, out) : -EINVAL;
	if (b != small)
		free(b);
	return rc;
}

static struct json *parse_number(struct jp *p)
{
	size_t st = p->pos;
	bool simple = false;
	double d = 0;
	struct json *v;

	if (!scan_number(p, &simple))
		return NULL;
	if (simple) {
		/* Up to 15 digits are exact in a double: no strtod needed. */
		bool neg = p->s[st] == '-';
		long long n = 0;

		for (size_t i = st + neg; i < p->pos; i++)
			n = n * 10 + (p->s[i] - '0');
		d = neg ? -(double)n : (double)n;
	} else {
		int rc = text_to_double(p->s + st, p->pos - st, &d);

		if (rc == -ENOMEM)
			return oom(p);
		if (rc || isinf(d))
			return perr(p, st, "number out of range");
	}
	v = json_node(JSON_NUMBER);
	if (!v)
		return oom(p);
	v->num = d;
	return v;
}

int json_hex4(const char *h, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = h[i];
		unsigned d;

		if (is_digit(c))
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -EINVAL;
		*v = *v << 4 | d;
	}
	return 0;
}

size_t json_put_utf8(unsigned cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* The \u escape at s[k] (before the closing quote at q): appends its
 * UTF-8 to o[*n] and returns the bytes consumed, 0 on error. Surrogates
 * must come as a high-low pair; each escape is 6 bytes and decodes to at
 * most 3 (a pair: 12 to 4), so the output never outgrows the input. */
static size_t unicode_escape(struct jp *p, size_t k, size_t q, char *o,
			     size_t *n)
{
	const char *s = p->s;
	unsigned cp;
	unsigned lo;

	if (q - k < 6 || json_hex4(s + k + 2, &cp))
		return fail(p, k, "invalid \\u escape");
	if (cp >= 0xdc00 && cp < 0xe000)
		return fail(p, k, "invalid surrogate");
	if (cp < 0xd800 || cp >= 0xdc00) {
		*n += json_put_utf8(cp, o + *n);
		return 6;
	}
	if (q - k < 12 || s[k + 6] != '\\' || s[k + 7] != 'u' ||
	    json_hex4(s + k + 8, &lo) || lo < 0xdc00 || lo >= 0xe000)
		return fail(p, k, "invalid surrogate");
	*n += json_put_utf8(0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00),
			    o + *n);
	return 12;
}

/* Decodes the body s[b..q) of a string that has escapes into o. */
static bool decode(struct jp *p, size_t b, size_t q, char *o, size_t *n)
{
	static const char from[] = "\"\\/bfnrt";
	static const char to[] = "\"\\/\b\f\n\r\t";

	for (size_t k = b; k < q;) {
		const char *e;
		size_t used;

		if (p->s[k] != '\\') {
			o[(*n)++] = p->s[k++];
			continue;
		}
		/* k + 1 < q: the scan never ends a string on an escaped quote */
		e = memchr(from, p->s[k + 1], sizeof(from) - 1);
		if (e) {
			o[(*n)++] = to[e - from];
			k += 2;
			continue;
		}
		if (p->s[k + 1] != 'u')
			return fail(p, k, "invalid escape");
		used = unicode_escape(p, k, q, o, n);
		if (!used)
			return false;
		k += used;
	}
	return true;
}

/* The string whose opening quote is at p->pos: a malloc'd NUL-terminated
 * copy of its decoded bytes, their count in *len. */
static char *parse_chars(struct jp *p, size_t *len)
{
	size_t b = p->pos + 1;
	size_t q = b;
	bool esc = false;
	char *o;

	for (; q < p->len && p->s[q] != '"'; q++) {
		if ((unsigned char)p->s[q] < 0x20)
			return perr(p, q, "control character in string");
		if (p->s[q] == '\\') {
			esc = true;
			q++;
		}
	}
	if (q >= p->len)
		return perr(p, p->pos, "unterminated string");
	o = malloc(q - b + 1);
	if (!o)
		return oom(p);
	*len = 0;
	if (!esc) {
		memcpy(o, p->s + b, q - b);
		*len = q - b;
	} else if (!decode(p, b, q, o, len)) {
		free(o);
		return NULL;
	}
	o[*len] = '\0';
	p->pos = q + 1;
	return o;
}

static struct json *parse_string(struct jp *p)
{
	size_t len;
	char *s = parse_chars(p, &len);
	struct json *v;

	if (!s)
		return NULL;
	v = json_node(JSON_STRING);
	if (!v) {
		free(s);
		return oom(p);
	}
	v->str = s;
	v->len = len;
	return v;
}

static struct json *parse_value(struct jp *p, unsigned depth);

/* After a member: true to go on (','), false at the end or an error. */
static bool next_member(struct jp *p, char close, const char *msg, bool *done)
{
	skip_ws(p);
	if (p->pos >= p->len)
		return fail(p, p->len, msg_eof);
	if (p->s[p->pos] == ',') {
		p->pos++;
		return true;
	}
	if (p->s[p->pos] != close)
		return fail(p, p->pos, msg);
	p->pos++;
	*done = true;
	return true;
}

/* Opens a container at p->pos: NULL when too deep, out of memory, or
 * (with *done set) when it is empty and already closed. */
static struct json *open_container(struct jp *p, enum json_type t,
				   unsigned depth, bool *done)
{
	struct json *c;

	if (depth >= JSON_MAX_DEPTH)
		return perr(p, p->pos, "nesting too deep");
	c = json_node(t);
	if (!c)
		return oom(p);
	p->pos++;
	skip_ws(p);
	*done =
	    p->pos < p->len && p->s[p->pos] == (t == JSON_ARRAY ? ']' : '}');
	if (*done)
		p->pos++;
	return c;
}

/* Links a parsed member into its container, or when only validating
 * frees it, so memory follows the nesting depth and not the document. */
static void keep(struct jp *p, struct json *parent, struct json *v)
{
	if (p->check)
		json_free(v);
	else
		json_link(parent, v);
}

static struct json *parse_array(struct jp *p, unsigned depth)
{
	bool done = false;
	struct json *arr = open_container(p, JSON_ARRAY, depth, &done);

	while (arr && !done) {
		struct json *v = parse_value(p, depth + 1);

		if (!v)
			goto fail;
		keep(p, arr, v);
		if (!next_member(p, ']', "expected ',' or ']'", &done))
			goto fail;
	}
	return arr;
fail:
	json_free(arr);
	return NULL;
}

/* One "key": value member of an object, the key already attached. */
static struct json *parse_member(struct jp *p, unsigned depth)
{
	size_t at;
	size_t klen;
	char *key;
	struct json *v;

	skip_ws(p);
	if (p->pos >= p->len)
		return perr(p, p->len, msg_eof);
	if (p->s[p->pos] != '"')
		return perr(p, p->pos, "expected a key");
	at = p->pos;
	key = parse_chars(p, &klen);
	if (!key)
		return NULL;
	/* keys are C strings: an embedded NUL would alias a shorter key */
	if (strlen(key) != klen) {
		free(key);
		return perr(p, at, "\\u0000 in a key");
	}
	skip_ws(p);
	v = NULL;
	if (p->pos >= p->len) {
		fail(p, p->len, msg_eof);
	} else if (p->s[p->pos] != ':') {
		fail(p, p->pos, "expected ':'");
	} else {
		p->pos++;
		v = parse_value(p, depth);
	}
	if (v)
		v->key = key;
	else
		free(key);
	return v;
}

static struct json *parse_object(struct jp *p, unsigned depth)
{
	bool done = false;
	struct json *obj = open_container(p, JSON_OBJECT, depth, &done);

	while (obj && !done) {
		struct json *v = parse_member(p, depth + 1);

		if (!v)
			goto fail;
		keep(p, obj, v);
		if (!next_member(p, '}', "expected ',' or '}'", &done))
			goto fail;
	}
	return obj;
fail:
	json_free(obj);
	return NULL;
}

/* depth counts the containers around the value; recursion happens only
 * through parse_array/parse_object, which refuse depth >= the maximum. */
static struct json *parse_value(struct jp *p, unsigned depth)
{
	skip_ws(p);
	if (p->pos >= p->len)
		return perr(p, p->len, msg_eof);
	switch (p->s[p->pos]) {
	case '{':
		return parse_object(p, depth);
	case '[':
		return parse_array(p, depth);
	case '"':
		return parse_string(p);
	case 't':
		return parse_literal(p, "true", JSON_TRUE);
	case 'f':
		return parse_literal(p, "false", JSON_FALSE);
	case 'n':
		return parse_literal(p, "null", JSON_NULL);
	default:
		if (p->s[p->pos] == '-' || is_digit(p->s[p->pos]))
			return parse_number(p);
		return perr(p, p->pos, "expected a value");
	}
}

static struct json *finish(struct jp *p, struct json *v, struct json_error *err)
{
	if (!err)
		return v;
	err->offset = v ? 0 : p->at;
	err->msg = v ? NULL : p->msg;
	return v;
}

struct json *json_parse_prefix(const char *text, size_t len, size_t *end,
			       struct json_error *err)
{
	struct jp p = {.s = text, .len = text ? len : 0};
	struct json *v = parse_value(&p, 0);

	if (end)
		*end = v ? p.pos : 0;
	return finish(&p, v, err);
}

/* One value and nothing but whitespace after it. */
static struct json *parse_whole(struct jp *p)
{
	struct json *v = parse_value(p, 0);

	if (v) {
		skip_ws(p);
		if (p->pos < p->len) {
			perr(p, p->pos, "trailing characters");
			json_free(v);
			v = NULL;
		}
	}
	return v;
}

struct json *json_parse(const char *text, size_t len, struct json_error *err)
{
	struct jp p = {.s = text, .len = text ? len : 0};

	return finish(&p, parse_whole(&p), err);
}

int json_validate(const char *text, size_t len, struct json_error *err)
{
	struct jp p = {.s = text, .len = text ? len : 0, .check = true};
	struct json *v = finish(&p, parse_whole(&p), err);

	json_free(v);
	if (v)
		return 0;
	return p.msg == msg_oom ? -ENOMEM : -EINVAL;
}
