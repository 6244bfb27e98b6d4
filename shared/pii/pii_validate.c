/* pii_validate: checksums and the validators of financial patterns and
 * secrets. Pure functions of the candidate's bytes: a validator reads at
 * most PII_CTX bytes outside its raw match, so its answer is the same in
 * any window that holds the match (the streaming proof relies on it). */
#include "shared/common.h"
#include "shared/crypto.h"
#include "shared/pii/pii_int.h"

#include <ctype.h>
#include <stdint.h>

#define TOKEN_CHARS                                                            \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
#define B64_CHARS                                                              \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

int pii_peek(const struct pii_cand *c, long off)
{
	if (off < 0 || (size_t)off >= c->len)
		return -1;
	return (unsigned char)c->text[off];
}

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

bool pii_standalone(const struct pii_cand *c)
{
	int b = pii_peek(c, (long)c->s - 1);
	int a = pii_peek(c, (long)c->e);

	if (b > 0 && strchr("-./", b) && isalnum(pii_peek(c, (long)c->s - 2)))
		return false;
	return !(a > 0 && strchr("-./", a) &&
		 isalnum(pii_peek(c, (long)c->e + 1)));
}

bool pii_after_group(const struct pii_cand *c)
{
	return pii_peek(c, (long)c->s - 1) == ' ' &&
	       isdigit(pii_peek(c, (long)c->s - 2));
}

bool pii_tail_value(struct pii_cand *c, const char *set, size_t min)
{
	size_t i = c->e;

	while (i > c->s && in_set((unsigned char)c->text[i - 1], set))
		i--;
	if (c->e - i < min)
		return false;
	c->vs = i;
	c->ve = c->e;
	return true;
}

bool pii_tail_digits(struct pii_cand *c, size_t n, const char *seps)
{
	size_t i = c->e;
	size_t got = 0;

	while (i > c->s && got < n) {
		int ch = (unsigned char)c->text[i - 1];

		if (isdigit(ch))
			got++;
		else if (!in_set(ch, seps))
			break;
		i--;
	}
	if (got < n)
		return false;
	c->vs = i;
	c->ve = c->e;
	return true;
}

size_t pii_digits(const char *s, size_t n, char *out, size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			continue;
		if (k == max)
			return max + 1;
		out[k++] = s[i];
	}
	return k;
}

bool pii_luhn(const char *d, size_t n)
{
	unsigned sum = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned v = (unsigned)(d[n - 1 - i] - '0');

		if (i & 1) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return n > 0 && sum % 10 == 0;
}

/* Brand prefixes and lengths of the major card networks. */
static bool card_brand_ok(const char *d, size_t n)
{
	unsigned p2 = (unsigned)((d[0] - '0') * 10 + (d[1] - '0'));
	unsigned p4 = p2 * 100 + (unsigned)((d[2] - '0') * 10 + (d[3] - '0'));

	if (d[0] == '4')
		return n == 13 || n == 16 || n == 19;
	if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720))
		return n == 16;
	if (p2 == 34 || p2 == 37)
		return n == 15;
	if (p4 == 6011 || p2 == 65 || (p4 >= 6440 && p4 <= 6499) || p2 == 62 ||
	    (p4 >= 3528 && p4 <= 3589))
		return n >= 16 && n <= 19;
	if ((p4 >= 3000 && p4 <= 3059) || p2 == 36 || p2 == 38 || p2 == 39)
		return n >= 14 && n <= 19;
	return false;
}

/* Separators, when present, are one kind and cut the digits into the
 * groups cards are printed in (4-4-4-4[-3], 4-6-5, 4-6-4). */
static bool card_groups_ok(const char *s, size_t n)
{
	unsigned groups[8];
	unsigned ng = 0;
	unsigned cur = 0;
	char sep = 0;

	for (size_t i = 0; i < n; i++) {
		if (isdigit((unsigned char)s[i])) {
			cur++;
			continue;
		}
		if ((sep && s[i] != sep) || ng == 7)
			return false;
		sep = s[i];
		groups[ng++] = cur;
		cur = 0;
	}
	groups[ng++] = cur;
	if (ng == 1)
		return true;
	if (ng == 3 && groups[0] == 4 && groups[1] == 6)
		return groups[2] == 5 || groups[2] == 4;
	for (unsigned i = 0; i + 1 < ng; i++) {
		if (groups[i] != 4)
			return false;
	}
	return groups[ng - 1] >= 1 && groups[ng - 1] <= 4;
}

bool pii_chk_card(struct pii_cand *c)
{
	char d[20];
	size_t n = pii_digits(c->text + c->s, c->e - c->s, d, 19);
	int after = pii_peek(c, (long)c->e);

	if (n < 13 || n > 19 || !card_brand_ok(d, n) || !pii_luhn(d, n))
		return false;
	/* A decimal fraction or a dotted version is not a card. */
	if ((after == '.' || after == ',') &&
	    isdigit(pii_peek(c, (long)c->e + 1)))
		return false;
	if (pii_peek(c, (long)c->s - 1) == '.' &&
	    isdigit(pii_peek(c, (long)c->s - 2)))
		return false;
	if (memchr(c->text + c->s, ' ', c->e - c->s) && pii_after_group(c))
		return false;
	return card_groups_ok(c->text + c->s, c->e - c->s);
}

/* IBAN lengths per country (ISO 13616 registry). */
static const char iban_len[] =
    "AD24AE23AL28AT20AZ28BA20BE16BG22BH22BR29BY28CH21CR22CY28CZ24DE22DK18"
    "DO28EE20EG29ES24FI18FO18FR27GB22GE22GI23GL18GR27GT28HR21HU28IE22IL23"
    "IQ23IS26IT27JO30KW30KZ20LB28LC32LI21LT20LU20LV21LY25MC27MD24ME22MK19"
    "MR27MT31MU30NL18NO15PK24PL28PS29PT25QA29RO24RS22SA24SC31SE24SI19SK24"
    "SM27ST25SV28TL23TN24TR26UA29VA22VG24XK20";

static unsigned iban_country_len(const char *cc)
{
	for (size_t i = 0; iban_len[i]; i += 4) {
		if (iban_len[i] == cc[0] && iban_len[i + 1] == cc[1])
			return (unsigned)((iban_len[i + 2] - '0') * 10 +
					  (iban_len[i + 3] - '0'));
	}
	return 0;
}

bool pii_iban_valid(const char *s, size_t n)
{
	char v[40];
	size_t k = 0;
	unsigned rem = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == ' ')
			continue;
		if (k == sizeof(v) || !isalnum((unsigned char)s[i]))
			return false;
		v[k++] = (char)toupper((unsigned char)s[i]);
	}
	if (k < 15 || iban_country_len(v) != k)
		return false;
	for (size_t i = 0; i < k; i++) {
		char ch = v[(i + 4) % k];

		if (isdigit((unsigned char)ch))
			rem = (rem * 10 + (unsigned)(ch - '0')) % 97;
		else
			rem = (rem * 100 + (unsigned)(ch - 'A' + 10)) % 97;
	}
	return rem == 1;
}

bool pii_chk_iban(struct pii_cand *c)
{
	const char *s = c->text + c->s;
	size_t n = c->e - c->s;

	/* Spaced IBANs are printed in groups of four. */
	for (size_t i = 0; i < n; i++) {
		if (s[i] == ' ' && i % 5 != 4)
			return false;
	}
	return pii_iban_valid(s, n);
}

bool pii_aba_valid(const char *d)
{
	unsigned p2 = (unsigned)((d[0] - '0') * 10 + (d[1] - '0'));
	unsigned sum = 0;
	static const unsigned w[9] = {3, 7, 1, 3, 7, 1, 3, 7, 1};

	if (!(p2 <= 12 || (p2 >= 21 && p2 <= 32) || (p2 >= 61 && p2 <= 72) ||
	      p2 == 80))
		return false;
	for (unsigned i = 0; i < 9; i++)
		sum += w[i] * (unsigned)(d[i] - '0');
	return sum % 10 == 0;
}

bool pii_chk_aba_ctx(struct pii_cand *c)
{
	return pii_tail_digits(c, 9, "") && pii_aba_valid(c->text + c->vs);
}

bool pii_chk_bank(struct pii_cand *c)
{
	return pii_aba_valid(c->text + c->s);
}

bool pii_chk_acct_ctx(struct pii_cand *c)
{
	return pii_tail_value(c, "0123456789", 6);
}

bool pii_chk_cvv(struct pii_cand *c)
{
	return pii_tail_value(c, "0123456789", 3);
}

static const char iso_countries[] =
    "ADAEAFAGAIALAMAOARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBWBYBZ"
    "CACCCDCFCGCHCICKCLCMCNCOCRCUCVCWCXCYCZDEDJDKDMDODZECEEEGERESETFIFJFKFM"
    "FOFRGAGBGDGEGFGGGHGIGLGMGNGPGQGRGTGUGWGYHKHNHRHTHUIDIEILIMINIQIRISITJE"
    "JMJOJPKEKGKHKIKMKNKPKRKWKYKZLALBLCLILKLRLSLTLULVLYMAMCMDMEMFMGMHMKMLMM"
    "MNMOMPMQMRMSMTMUMVMWMXMYMZNANCNENFNGNINLNONPNRNUNZOMPAPEPFPGPHPKPLPMPN"
    "PRPSPTPWPYQARERORSRURWSASBSCSDSESGSHSISKSLSMSNSOSRSSSTSVSXSYSZTCTDTGTH"
    "TJTKTLTMTNTOTRTTTVTWTZUAUGUSUYUZVAVCVEVGVIVNVUWFWSXKYEYTZAZMZW";

static bool iso_country(const char *cc)
{
	for (size_t i = 0; iso_countries[i]; i += 2) {
		if (iso_countries[i] == cc[0] && iso_countries[i + 1] == cc[1])
			return true;
	}
	return false;
}

bool pii_chk_bic(struct pii_cand *c)
{
	size_t n;

	if (!pii_tail_value(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 8))
		return false;
	n = c->ve - c->vs;
	return (n == 8 || n == 11) && iso_country(c->text + c->vs + 4);
}

static const char b58[] =
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/* Base58Check: 25 bytes, version 0 or 5, double-SHA-256 checksum. */
bool pii_chk_btc(struct pii_cand *c)
{
	uint8_t raw[25] = {0};
	uint8_t h[CRYPTO_SHA256_LEN];

	for (size_t i = c->s; i < c->e; i++) {
		const char *p = strchr(b58, c->text[i]);
		unsigned carry;

		if (!p || !*p)
			return false;
		carry = (unsigned)(p - b58);
		for (int j = 24; j >= 0; j--) {
			carry += 58u * raw[j];
			raw[j] = (uint8_t)carry;
			carry >>= 8;
		}
		if (carry)
			return false;
	}
	if (raw[0] != 0 && raw[0] != 5)
		return false;
	crypto_sha256(raw, 21, h);
	crypto_sha256(h, sizeof(h), h);
	return memcmp(h, raw + 21, 4) == 0;
}

/* Extends the value right over chars of set, up to max bytes from vs. */
static void extend(struct pii_cand *c, size_t max)
{
	while (c->ve < c->len && c->ve < c->vs + max &&
	       token_char((unsigned char)c->text[c->ve]))
		c->ve++;
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

uint32_t pii_crc32(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t crc = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		crc ^= b[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

static const char b62[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* GitHub and npm tokens end with CRC32(body) in base62, 6 digits. */
bool pii_base62_crc_ok(const char *body, size_t n, const char *six)
{
	uint64_t v = 0;

	for (int i = 0; i < 6; i++) {
		const char *p = strchr(b62, six[i]);

		if (!p || !*p)
			return false;
		v = v * 62 + (uint64_t)(p - b62);
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
	size_t n = 0;

	while (i + n < c->len && n <= max &&
	       token_char((unsigned char)c->text[i + n]))
		n++;
	return n;
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
