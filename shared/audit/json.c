/* The event serialiser: compact JSON from a shared/json.h tree, written
 * straight into a bounded buffer without printf or allocation on the
 * common paths (appends are CPU-bound on this). Output is deterministic
 * for a given tree; the stored bytes, not any re-serialisation, are what
 * is hashed, so this file alone decides them (not json_print). */
#include "shared/common.h"
#include "shared/audit/audit_int.h"

#include <errno.h>
#include <math.h>

static int put(struct akios_buf *b, const char *s, size_t n)
{
	return akios_buf_append(b, s, n);
}

int audit_json_u64(struct akios_buf *b, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return put(b, tmp + i, sizeof(tmp) - i);
}

/* Thousandths (the run's milliseconds to the microsecond) without
 * printf's float formatting: when d is exactly the double nearest to
 * r/1000 for an integer r (IEEE division rounds correctly), the decimal
 * r/1000 parses back to d. 1 when printed, 0 when d is not such. */
static int put_thousandths(struct akios_buf *b, double d, int *rc)
{
	char tmp[32];
	size_t i = sizeof(tmp);
	double r = floor(fabs(d) * 1000.0 + 0.5);
	uint64_t u, frac;

	if (!(fabs(d) < 1e12) || r / 1000.0 != fabs(d))
		return 0;
	u = (uint64_t)r;
	frac = u % 1000;
	for (unsigned k = 0; k < 3; k++, frac /= 10)
		if (frac % 10 || i < sizeof(tmp))
			tmp[--i] = (char)('0' + frac % 10);
	tmp[--i] = '.';
	u /= 1000;
	do {
		tmp[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (d < 0)
		tmp[--i] = '-';
	*rc = put(b, tmp + i, sizeof(tmp) - i);
	return 1;
}

static int put_number(struct akios_buf *b, double d)
{
	char tmp[40];
	int n;
	int rc = 0;

	if (!isfinite(d))
		return put(b, "null", 4);
	// Integers up to 2^53 are exact in a double: print them as such.
	if (d == floor(d) && fabs(d) < 9007199254740992.0) {
		if (d < 0) {
			rc = put(b, "-", 1);
			return rc ? rc : audit_json_u64(b, (uint64_t)-d);
		}
		return audit_json_u64(b, (uint64_t)d);
	}
	if (put_thousandths(b, d, &rc))
		return rc;
	n = snprintf(tmp, sizeof(tmp), "%.17g", d);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -EINVAL;
	return put(b, tmp, (size_t)n);
}

int audit_json_string(struct akios_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;
	int rc = put(b, "\"", 1);

	for (; !rc && *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		rc = put(b, run, (size_t)(s - run));
		if (!rc && (c == '"' || c == '\\')) {
			esc[1] = (char)c;
			rc = put(b, esc, 2);
		} else if (!rc) {
			rc = put(b, esc, sizeof(esc));
		}
		run = s + 1;
	}
	if (!rc)
		rc = put(b, run, (size_t)(s - run));
	return rc ? rc : put(b, "\"", 1);
}

/* Strings and keys are written up to their first NUL, as the ledger
 * always has (an embedded \u0000 ends the stored string). */
int audit_json_value(struct akios_buf *b, const struct json *v, unsigned depth)
{
	bool obj = json_is_object(v);
	int rc = 0;

	if (depth > 64)
		return -E2BIG;
	if (json_is_string(v))
		return audit_json_string(b, v->str ? v->str : "");
	if (json_is_number(v))
		return put_number(b, v->num);
	if (json_is_bool(v))
		return json_is_true(v) ? put(b, "true", 4) : put(b, "false", 5);
	if (!obj && !json_is_array(v))
		return put(b, "null", 4);
	rc = put(b, obj ? "{" : "[", 1);
	for (const struct json *c = v->child; !rc && c; c = c->next) {
		if (c != v->child)
			rc = put(b, ",", 1);
		if (!rc && obj)
			rc = audit_json_string(b, c->key ? c->key : "");
		if (!rc && obj)
			rc = put(b, ":", 1);
		if (!rc)
			rc = audit_json_value(b, c, depth + 1);
	}
	return rc ? rc : put(b, obj ? "}" : "]", 1);
}
