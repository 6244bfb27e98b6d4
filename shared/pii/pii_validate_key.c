/* pii_validate_key: the validators of secrets (tokens and their
 * checksums, JWTs, assignments, bearer and basic credentials, private key
 * blocks). Same rule as pii_validate.c: a validator reads only its match
 * plus PII_CTX bytes (and a token's run of characters within the span
 * rules of pii_int.h). */
#include "shared/common.h"
#include "shared/crypto.h"
#include "shared/pii/pii_int.h"

#include <ctype.h>
#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define TOKEN_CHARS                                                            \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
#define B64_CHARS                                                              \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

static bool in_set(int ch, const char *set)
{
	return ch > 0 && strchr(set, ch) != NULL;
}

/* TOKEN_CHARS without a strchr per byte: tokens run for hundreds. */
static bool token_char(int ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
}

#ifdef __SSE2__
/* Bit i: v[i] - lo <= span (unsigned). */
static unsigned in_range(__m128i v, char lo, char span)
{
	__m128i x = _mm_sub_epi8(v, _mm_set1_epi8(lo));

	return (unsigned)_mm_movemask_epi8(
	    _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(span)), x));
}
#endif

/* How many bytes of p[0..n) are TOKEN_CHARS before the first that is
 * not (sixteen a step). */
static size_t token_run(const char *p, size_t n)
{
	size_t i = 0;

#ifdef __SSE2__
	for (; i + 16 <= n; i += 16) {
		__m128i v =
		    _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		unsigned m =
		    in_range(v, '0', 9) |
		    in_range(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 25) |
		    (unsigned)_mm_movemask_epi8(
			_mm_cmpeq_epi8(v, _mm_set1_epi8('_'))) |
		    (unsigned)_mm_movemask_epi8(
			_mm_cmpeq_epi8(v, _mm_set1_epi8('-')));

		if (m != 0xffff)
			return i + (size_t)__builtin_ctz(~m);
	}
#endif
	while (i < n && token_char((unsigned char)p[i]))
		i++;
	return i;
}

/* The value of a B64_CHARS byte, or -1. */
static int b64_value(int ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	return ch == '+' ? 62 : ch == '/' ? 63 : -1;
}

/* Extends the value right over token chars, up to max bytes from vs. */
static void extend(struct pii_cand *c, size_t max)
{
	size_t stop = c->vs + max < c->len ? c->vs + max : c->len;

	if (c->ve < stop)
		c->ve += token_run(c->text + c->ve, stop - c->ve);
}

/* A fixed-width head grows over the token's characters (up to the
 * pattern's max_len; a longer run is cut there, never skipped). Without
 * max_len the token must end where token characters end. */
bool pii_chk_token(struct pii_cand *c)
{
	if (c->max_len) {
		extend(c, c->max_len);
		return true;
	}
	return !token_char(pii_peek(c, (long)c->e));
}

bool pii_chk_any(struct pii_cand *c)
{
	(void)c;
	return true;
}

/* CRC-32 (zlib's polynomial, reflected), four bits a step: the table
 * holds the remainder of each nibble. */
static const uint32_t crc_nibble[16] = {
    0x00000000u, 0x1db71064u, 0x3b6e20c8u, 0x26d930acu,
    0x76dc4190u, 0x6b6b51f4u, 0x4db26158u, 0x5005713cu,
    0xedb88320u, 0xf00f9344u, 0xd6d6a3e8u, 0xcb61b38cu,
    0x9b64c2b0u, 0x86d3d2d4u, 0xa00ae278u, 0xbdbdf21cu};

uint32_t pii_crc32(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t crc = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		crc ^= b[i];
		crc = (crc >> 4) ^ crc_nibble[crc & 15];
		crc = (crc >> 4) ^ crc_nibble[crc & 15];
	}
	return ~crc;
}

/* A base62 digit (0-9A-Za-z) or -1. */
static int b62_value(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A' + 10;
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 36;
	return -1;
}

/* GitHub and npm tokens end with CRC32(body) in base62, 6 digits. */
bool pii_base62_crc_ok(const char *body, size_t n, const char *six)
{
	uint64_t v = 0;

	for (int i = 0; i < 6; i++) {
		int k = b62_value((unsigned char)six[i]);

		if (k < 0)
			return false;
		v = v * 62 + (uint64_t)k;
	}
	return v == pii_crc32(body, n);
}

bool pii_chk_ghtoken(struct pii_cand *c)
{
	const char *t = c->text + c->s;

	return c->e - c->s == 40 && pii_base62_crc_ok(t + 4, 30, t + 34);
}

static long b64_decode(const char *s, size_t n, bool url, uint8_t *out,
		       size_t max)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t k = 0;

	for (size_t i = 0; i < n && s[i] != '='; i++) {
		int ch = (unsigned char)s[i];
		int v;

		if (url && ch == '-')
			ch = '+';
		else if (url && ch == '_')
			ch = '/';
		v = b64_value(ch);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (k == max)
				return (long)k;
			out[k++] = (uint8_t)(acc >> bits);
		}
	}
	return (long)k;
}

/* Length of the base64url run at text[i], or max+1 if longer. */
static size_t b64url_run(const struct pii_cand *c, size_t i, size_t max)
{
	if (i >= c->len)
		return 0;
	return token_run(c->text + i,
			 c->len - i < max + 1 ? c->len - i : max + 1);
}

/* header.payload.signature; the header decodes to a JSON object naming
 * its algorithm. A signature longer than 200 is cut (its tail alone is
 * no credential). */
bool pii_chk_jwt(struct pii_cand *c)
{
	size_t h = b64url_run(c, c->s, 400);
	size_t p;
	uint8_t hdr[320];
	long n;

	if (h > 400 || pii_peek(c, (long)(c->s + h)) != '.')
		return false;
	p = b64url_run(c, c->s + h + 1, 800);
	if (p < 13 || p > 800 ||
	    memcmp(c->text + c->s + h + 1, "eyJ", 3) != 0 ||
	    pii_peek(c, (long)(c->s + h + 1 + p)) != '.')
		return false;
	c->ve = c->s + h + p + 2;
	extend(c, h + p + 2 + 200);
	n = b64_decode(c->text + c->s, h, true, hdr, sizeof(hdr) - 1);
	if (n < 8 || hdr[0] != '{')
		return false;
	return memmem(hdr, (size_t)n, "\"alg\"", 5) != NULL ||
	       memmem(hdr, (size_t)n, "\"typ\"", 5) != NULL;
}

bool pii_chk_secret_ctx(struct pii_cand *c)
{
	return pii_tail_value(c, B64_CHARS, 40) && c->ve - c->vs == 40;
}

bool pii_chk_azure(struct pii_cand *c)
{
	c->vs = c->s + strlen("AccountKey=");
	return true;
}

/* Values that are placeholders, not secrets (and our own labels, so a
 * second pass over redacted text changes nothing). */
static bool placeholder(const char *v, size_t n)
{
	static const char *const words[] = {
	    "null", "none", "true", "false", "undefined", "required", "hidden"};
	size_t stars = 0;

	if (strchr("$[<{%(*", v[0]))
		return true;
	for (size_t i = 0; i < n; i++)
		stars += v[i] == '*' || v[i] == 'x' || v[i] == 'X';
	if (stars == n)
		return true;
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(words); i++) {
		if (n == strlen(words[i]) && strncasecmp(v, words[i], n) == 0)
			return true;
	}
	return false;
}

bool pii_chk_assign(struct pii_cand *c)
{
	size_t i = c->s;

	while (i < c->e && c->text[i] != ':' && c->text[i] != '=')
		i++;
	i++;
	while (i < c->e && strchr(" \t\"'", c->text[i]))
		i++;
	if (i + 4 > c->e)
		return false;
	c->vs = i;
	while (c->ve < c->len && c->ve < c->vs + c->max_len &&
	       !strchr(" \t\r\n\"',;", c->text[c->ve]))
		c->ve++;
	return !placeholder(c->text + i, c->ve - i);
}

bool pii_chk_bearer(struct pii_cand *c)
{
	size_t i = c->s + 6;
	bool digit = false;

	while (i < c->e && isspace((unsigned char)c->text[i]))
		i++;
	for (size_t k = i; k < c->e; k++)
		digit |= isdigit((unsigned char)c->text[k]) != 0;
	c->vs = i;
	return digit && !in_set(pii_peek(c, (long)c->e), TOKEN_CHARS "=./+~");
}

bool pii_chk_basic(struct pii_cand *c)
{
	size_t i = c->s + 5;
	uint8_t dec[240];
	long n;

	while (i < c->e && isspace((unsigned char)c->text[i]))
		i++;
	if (in_set(pii_peek(c, (long)c->e), B64_CHARS "="))
		return false;
	n = b64_decode(c->text + i, c->e - i, false, dec, sizeof(dec));
	if (n < 3 || !memchr(dec, ':', (size_t)n))
		return false;
	for (long k = 0; k < n; k++) {
		if (dec[k] < 0x20 || dec[k] > 0x7e)
			return false;
	}
	c->vs = i;
	return true;
}

/* A PEM body runs over base64, whitespace, header lines and JSON "\n"
 * escapes up to its END line. It stops PII_MAX_MATCH bytes after the
 * candidate's start with `open` set; the scanner then continues it. */
void pii_pem_body(struct pii_cand *c, size_t from)
{
	size_t limit = c->s + PII_MAX_MATCH - 48;
	size_t i = from;

	c->open = false;
	while (i < limit && i < c->len) {
		if (c->len - i >= 8 &&
		    memcmp(c->text + i, "-----END", 8) == 0) {
			const char *end =
			    memmem(c->text + i + 8,
				   c->len - i - 8 < 40 ? c->len - i - 8 : 40,
				   "-----", 5);

			c->ve = end ? (size_t)(end - c->text) + 5 : i;
			return;
		}
		if (!in_set((unsigned char)c->text[i],
			    B64_CHARS "= \t\r\n\\:,-."))
			break;
		i++;
	}
	c->ve = i;
	c->open = i == limit;
}

bool pii_chk_pem(struct pii_cand *c)
{
	pii_pem_body(c, c->e);
	return true;
}
