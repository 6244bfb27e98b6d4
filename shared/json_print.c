/* json_print: the tree as JSON text, compact or indented, built in one
 * akios_buf (bounded by AKIOS_MAX_JSON_TEXT). Output is the same in any
 * locale: numbers are normalised to a '.' decimal point. Recursion stops
 * at JSON_MAX_DEPTH, the parser's limit, so whatever parses prints. */
#include "shared/common.h"
#include "shared/buf.h"
#include "shared/json.h"
#include "shared/json_int.h"
#include "shared/limits.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

struct jw {
	struct akios_buf b;
	bool pretty;
	int rc; /* the first error; the buffer is freed by then */
};

static void put(struct jw *w, const char *s, size_t n)
{
	if (!w->rc)
		w->rc = akios_buf_append(&w->b, s, n);
}

static void put_escape(struct jw *w, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
	const char *e = NULL;

	switch (c) {
	case '"':
		e = "\\\"";
		break;
	case '\\':
		e = "\\\\";
		break;
	case '\b':
		e = "\\b";
		break;
	case '\f':
		e = "\\f";
		break;
	case '\n':
		e = "\\n";
		break;
	case '\r':
		e = "\\r";
		break;
	case '\t':
		e = "\\t";
		break;
	default:
		put(w, u, sizeof(u));
		return;
	}
	put(w, e, 2);
}

/* Unescaped runs go out in one append; bytes >= 0x80 and DEL are raw. */
static void put_string(struct jw *w, const char *s, size_t n)
{
	size_t run = 0;

	put(w, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(w, s + run, i - run);
		put_escape(w, c);
		run = i + 1;
	}
	put(w, s + run, n - run);
	put(w, "\"", 1);
}

/* snprintf writes LC_NUMERIC's decimal point: whatever is not part of
 * the C locale's number syntax is that point, and becomes '.'. */
static size_t c_locale_point(char *t, size_t n)
{
	size_t k = 0;
	bool point = false;

	for (size_t i = 0; i < n; i++) {
		char c = t[i];

		if ((c >= '0' && c <= '9') || c == '-' || c == '+' ||
		    c == 'e' || c == '.') {
			t[k++] = c;
		} else if (!point) {
			t[k++] = '.';
			point = true;
		}
	}
	t[k] = '\0';
	return k;
}

/* Integral values within +-2^53 print as integers (no exponent, -0 as
 * 0); others take %.15g when it reads back exactly, else %.17g. */
AKIOS_STATIC size_t json_format_number(double d, char *o, size_t cap)
{
	const double exact = 9007199254740992.0; /* 2^53 */
	int n;

	if (isnan(d) || isinf(d)) {
		n = snprintf(o, cap, "null");
		return n > 0 && (size_t)n < cap ? (size_t)n : 0;
	}
	if (d >= -exact && d <= exact && (double)(long long)d == d)
		n = snprintf(o, cap, "%lld", (long long)d);
	else {
		n = snprintf(o, cap, "%.15g", d);
		if (n > 0 && (size_t)n < cap && strtod(o, NULL) != d)
			n = snprintf(o, cap, "%.17g", d);
	}
	if (n < 0 || (size_t)n >= cap)
		return 0;
	return c_locale_point(o, (size_t)n);
}

static void put_number(struct jw *w, double d)
{
	char t[64];
	size_t n = json_format_number(d, t, sizeof(t));

	if (!n && !w->rc)
		w->rc = -EINVAL;
	put(w, t, n);
}

static void put_indent(struct jw *w, unsigned depth)
{
	static const char sp[] = "                                ";
	size_t n = (size_t)depth * 2;

	put(w, "\n", 1);
	while (n) {
		size_t k = n < sizeof(sp) - 1 ? n : sizeof(sp) - 1;

		put(w, sp, k);
		n -= k;
	}
}

static void put_value(struct jw *w, const struct json *v, unsigned depth);

static void put_container(struct jw *w, const struct json *v, unsigned depth)
{
	bool obj = v->type == JSON_OBJECT;

	if (depth >= JSON_MAX_DEPTH) {
		w->rc = w->rc ? w->rc : -E2BIG;
		return;
	}
	put(w, obj ? "{" : "[", 1);
	json_for_each(m, v)
	{
		if (m != v->child)
			put(w, ",", 1);
		if (w->pretty)
			put_indent(w, depth + 1);
		if (obj) {
			/* a member linked by hand may lack a key */
			put_string(w, m->key ? m->key : "",
				   m->key ? strlen(m->key) : 0);
			put(w, ": ", w->pretty ? 2 : 1);
		}
		put_value(w, m, depth + 1);
		if (w->rc)
			return;
	}
	if (w->pretty && v->child)
		put_indent(w, depth);
	put(w, obj ? "}" : "]", 1);
}

static void put_value(struct jw *w, const struct json *v, unsigned depth)
{
	switch (v->type) {
	case JSON_NULL:
		put(w, "null", 4);
		break;
	case JSON_FALSE:
		put(w, "false", 5);
		break;
	case JSON_TRUE:
		put(w, "true", 4);
		break;
	case JSON_NUMBER:
		put_number(w, v->num);
		break;
	case JSON_STRING:
		put_string(w, v->str, v->len);
		break;
	case JSON_ARRAY:
	case JSON_OBJECT:
		put_container(w, v, depth);
		break;
	}
}

static char *print(const struct json *v, bool pretty)
{
	struct jw w = {.pretty = pretty};

	if (!v)
		return NULL;
	akios_buf_init(&w.b, AKIOS_MAX_JSON_TEXT);
	put_value(&w, v, 0);
	if (w.rc) {
		akios_buf_free(&w.b);
		return NULL;
	}
	return akios_buf_take(&w.b, NULL);
}

char *json_print(const struct json *v)
{
	return print(v, false);
}

char *json_print_pretty(const struct json *v)
{
	return print(v, true);
}
