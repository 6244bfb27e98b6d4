/* pii_validate: checksums and the validators of financial patterns (the
 * secrets' are in pii_validate_key.c). Pure functions of the candidate's bytes: a validator reads at
 * most PII_CTX bytes outside its raw match, so its answer is the same in
 * any window that holds the match (the streaming proof relies on it). */
#include "shared/common.h"
#include "shared/crypto.h"
#include "shared/pii/pii_int.h"

#include <ctype.h>
#include <stdint.h>

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
	uint64_t rem = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == ' ')
			continue;
		if (k == sizeof(v) || !isalnum((unsigned char)s[i]))
			return false;
		v[k++] = (char)toupper((unsigned char)s[i]);
	}
	if (k < 15 || iban_country_len(v) != k)
		return false;
	/* mod 97 of the digits (a letter is two), the first four moved to
	 * the end; reduced only when the sum nears 64 bits */
	for (size_t i = 0; i < k; i++) {
		char ch = v[i + 4 < k ? i + 4 : i + 4 - k];

		if (rem >= 10000000000000000ull)
			rem %= 97;
		if (isdigit((unsigned char)ch))
			rem = rem * 10 + (unsigned)(ch - '0');
		else
			rem = rem * 100 + (unsigned)(ch - 'A' + 10);
	}
	return rem % 97 == 1;
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
