/* pii_json: JSON-aware redaction. The document is validated with akios's
 * strict parser (shared/json.h), then copied byte for byte except string
 * values (never object keys):
 * each is decoded (escapes, \uXXXX with surrogate pairs), redacted, and
 * re-encoded only if something was found. Invariant: the output is
 * valid JSON with the input's structure, numbers and layout. */
#include "shared/common.h"
#include "shared/json.h"
#include "shared/limits.h"
#include "shared/pii/pii_int.h"

#include <errno.h>

struct jctx {
	struct pii_engine *eng;
	pii_finding_fn fn;
	void *fn_ctx;
	const uint32_t *map; /* decoded byte -> input offset */
	unsigned found;
};

static int on_finding(void *ctx, const struct pii_finding *f)
{
	struct jctx *j = ctx;
	struct pii_finding g = {.pattern = f->pattern,
				.offset = j->map[f->offset],
				.length = j->map[f->offset + f->length] -
					  j->map[f->offset]};

	j->found++;
	return j->fn ? j->fn(j->fn_ctx, &g) : 0;
}

/* One escape at s[i] (s[i] == '\\'): writes its bytes, returns the input
 * length consumed. A lone surrogate becomes U+FFFD (the parser refuses
 * them, so this is only a safe default). */
static size_t unescape(const char *s, size_t i, size_t n, char *o, size_t *k)
{
	static const char from[] = "\"\\/bfnrt";
	static const char to[] = "\"\\/\b\f\n\r\t";
	const char *p = strchr(from, s[i + 1]);
	unsigned cp;
	unsigned lo;

	if (s[i + 1] != 'u') {
		o[(*k)++] = p ? to[p - from] : s[i + 1];
		return 2;
	}
	if (i + 6 > n || json_hex4(s + i + 2, &cp))
		return 2;
	if (cp >= 0xd800 && cp < 0xdc00 && i + 12 <= n && s[i + 6] == '\\' &&
	    s[i + 7] == 'u' && !json_hex4(s + i + 8, &lo) && lo >= 0xdc00 &&
	    lo < 0xe000) {
		*k += json_put_utf8(
		    0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00), o + *k);
		return 12;
	}
	if (cp >= 0xd800 && cp < 0xe000)
		cp = 0xfffd;
	*k += json_put_utf8(cp, o + *k);
	return 6;
}

/* Decodes the string body s[0..n) (between the quotes) at input offset
 * at; dec and map hold n+1 entries. Returns the decoded length. */
static size_t decode(const char *s, size_t n, size_t at, char *dec,
		     uint32_t *map)
{
	size_t k = 0;

	for (size_t i = 0; i < n;) {
		size_t k0 = k;
		size_t used = 1;

		if (s[i] == '\\')
			used = unescape(s, i, n, dec, &k);
		else
			dec[k++] = s[i];
		for (size_t j = k0; j < k; j++)
			map[j] = (uint32_t)(at + i);
		i += used;
	}
	map[k] = (uint32_t)(at + n);
	return k;
}

static int encode(const char *s, size_t n, struct akios_buf *out)
{
	int rc = akios_buf_append(out, "\"", 1);

	for (size_t i = 0; i < n && !rc; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			rc = akios_buf_appendf(out, "\\%c", c);
		else if (c == '\n')
			rc = akios_buf_append(out, "\\n", 2);
		else if (c < 0x20)
			rc = akios_buf_appendf(out, "\\u%04x", c);
		else
			rc = akios_buf_append(out, s + i, 1);
	}
	return rc ? rc : akios_buf_append(out, "\"", 1);
}

/* The string token starting at in[i] == '"': its closing quote. */
static size_t string_end(const char *in, size_t len, size_t i)
{
	for (i++; i < len && in[i] != '"'; i++) {
		if (in[i] == '\\')
			i++;
	}
	return i;
}

static int redact_value(struct jctx *j, const char *in, size_t q0, size_t q1,
			struct akios_buf *out)
{
	size_t n = q1 - q0 - 1;
	char *dec = malloc(n + 1);
	uint32_t *map = malloc((n + 1) * sizeof(*map));
	struct akios_buf red;
	size_t dn;
	int rc = -ENOMEM;

	akios_buf_init(&red, AKIOS_MAX_REDACT_INPUT);
	if (!dec || !map)
		goto out;
	dn = decode(in + q0 + 1, n, q0 + 1, dec, map);
	j->map = map;
	j->found = 0;
	rc = pii_redact_buffer(j->eng, dec, dn, &red, on_finding, j);
	if (rc)
		goto out;
	if (j->found)
		rc = encode(red.ptr, red.len, out);
	else
		rc = akios_buf_append(out, in + q0, q1 - q0 + 1);
out:
	if (dec)
		explicit_bzero(dec, n + 1);
	free(dec);
	free(map);
	akios_buf_free(&red);
	return rc;
}

/* The parser's byte offset as the line:col a user reads. */
static int locate(const char *in, size_t len, const struct json_error *e,
		  struct akios_err *err)
{
	unsigned line = 1;
	unsigned col = 1;

	for (size_t i = 0; i < e->offset && i < len; i++) {
		col = in[i] == '\n' ? 1 : col + 1;
		line += in[i] == '\n';
	}
	return akios_err_set(err, NULL, line, col, "not valid JSON: %s",
			     e->msg);
}

static int validate_json(const char *in, size_t len, struct akios_err *err)
{
	struct json_error e;
	int rc = json_validate(in, len, &e);

	return rc == -EINVAL ? locate(in, len, &e, err) : rc;
}

int pii_redact_json(struct pii_engine *eng, const char *in, size_t len,
		    struct akios_buf *out, pii_finding_fn fn, void *fn_ctx,
		    struct akios_err *err)
{
	struct jctx j = {.eng = eng, .fn = fn, .fn_ctx = fn_ctx};
	size_t i = 0;
	int rc = validate_json(in, len, err);

	while (!rc && i < len) {
		size_t q1;
		size_t k;

		if (in[i] != '"') {
			const char *q = memchr(in + i, '"', len - i);
			size_t n = q ? (size_t)(q - (in + i)) : len - i;

			rc = akios_buf_append(out, in + i, n);
			i += n;
			continue;
		}
		q1 = string_end(in, len, i);
		for (k = q1 + 1; k < len && in[k] && strchr(" \t\r\n", in[k]);
		     k++)
			;
		if (k < len && in[k] == ':')
			rc = akios_buf_append(out, in + i, q1 - i + 1);
		else
			rc = redact_value(&j, in, i, q1, out);
		i = q1 + 1;
	}
	if (rc)
		akios_buf_free(out);
	return rc ? rc : akios_buf_append(out, "", 0);
}
