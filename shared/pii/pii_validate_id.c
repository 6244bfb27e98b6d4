/* pii_validate_id: validators of government ids, contact data and health
 * identifiers (check digits, issuing rules, context words). Same rule as
 * pii_validate.c: a validator reads only its match plus PII_CTX bytes. */
#include "shared/common.h"
#include "shared/pii/pii_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>

static bool ssn_rules(const char *d)
{
	unsigned area =
	    (unsigned)((d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0'));

	if (area == 0 || area == 666 || area >= 900)
		return false;
	if (d[3] == '0' && d[4] == '0')
		return false;
	return memcmp(d + 5, "0000", 4) != 0;
}

bool pii_chk_ssn(struct pii_cand *c)
{
	char d[10];

	if (!pii_tail_digits(c, 9, "- "))
		return false;
	if (pii_digits(c->text + c->vs, c->ve - c->vs, d, 9) != 9)
		return false;
	return ssn_rules(d) && pii_standalone(c);
}

bool pii_chk_ein(struct pii_cand *c)
{
	static const char bad[] = "00070809171819282949696970787989969700";
	const char *t = c->text + c->s;

	for (size_t i = 0; bad[i]; i += 2) {
		if (t[0] == bad[i] && t[1] == bad[i + 1])
			return false;
	}
	return true;
}

/* Passport numbers: the trailing id after the context word, with
 * digits in it (a word after "passport" is not a number). */
bool pii_chk_tail_id(struct pii_cand *c)
{
	size_t digits = 0;

	if (!pii_tail_value(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 6))
		return false;
	for (size_t i = c->vs; i < c->ve; i++)
		digits += isdigit((unsigned char)c->text[i]) != 0;
	return digits >= 2;
}

bool pii_chk_nino(struct pii_cand *c)
{
	static const char *const bad[] = {"BG", "GB", "KN", "NK",
					  "NT", "TN", "ZZ"};

	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(bad); i++) {
		if (memcmp(c->text + c->s, bad[i], 2) == 0)
			return false;
	}
	return true;
}

bool pii_chk_sin(struct pii_cand *c)
{
	char d[10];

	if (!pii_tail_digits(c, 9, " -"))
		return false;
	pii_digits(c->text + c->vs, c->ve - c->vs, d, 9);
	return d[0] != '0' && d[0] != '8' && pii_luhn(d, 9);
}

/* French NIR: key = 97 - (first 13 digits mod 97); Corsica's 2A/2B
 * departments count as 19/18. */
bool pii_chk_nir(struct pii_cand *c)
{
	char v[16];
	size_t k = 0;
	uint64_t n = 0;
	unsigned key;

	for (size_t i = c->s; i < c->e && k < 15; i++) {
		if (c->text[i] != ' ')
			v[k++] = c->text[i];
	}
	if (k != 15)
		return false;
	if (v[5] == 'A' || v[5] == 'B') {
		v[6] = v[5] == 'A' ? '9' : '8';
		v[5] = '1';
	}
	for (int i = 0; i < 13; i++) {
		if (!isdigit((unsigned char)v[i]))
			return false;
		n = n * 10 + (uint64_t)(v[i] - '0');
	}
	key = (unsigned)((v[13] - '0') * 10 + (v[14] - '0'));
	return key == 97 - n % 97;
}

bool pii_chk_dni(struct pii_cand *c)
{
	static const char letters[] = "TRWAGMYFPDXBNJZSQVHLCKE";
	const char *t = c->text + c->s;
	unsigned n = 0;
	char last = c->text[c->e - 1];

	for (int i = 0; i < 8; i++) {
		char ch = t[i];

		if (i == 0 && ch >= 'X' && ch <= 'Z')
			ch = (char)('0' + (ch - 'X'));
		n = n * 10 + (unsigned)(ch - '0');
	}
	return letters[n % 23] == last;
}

/* Italian codice fiscale check character. */
bool pii_chk_cf(struct pii_cand *c)
{
	static const unsigned odd[26] = {1,  0,	 5,  7,	 9,  13, 15, 17, 19,
					 21, 2,	 4,  18, 20, 11, 3,  6,	 8,
					 12, 14, 16, 10, 22, 25, 24, 23};
	const char *t = c->text + c->s;
	unsigned sum = 0;

	for (int i = 0; i < 15; i++) {
		unsigned v = isdigit((unsigned char)t[i])
				 ? (unsigned)(t[i] - '0')
				 : (unsigned)(t[i] - 'A');

		sum += (i % 2 == 0) ? odd[v] : v;
	}
	return t[15] == (char)('A' + sum % 26);
}

static bool verhoeff(const char *d, size_t n)
{
	static const uint8_t m[10][10] = {
	    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5},
	    {2, 3, 4, 0, 1, 7, 8, 9, 5, 6}, {3, 4, 0, 1, 2, 8, 9, 5, 6, 7},
	    {4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
	    {6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3},
	    {8, 7, 6, 5, 9, 3, 2, 1, 0, 4}, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}};
	static const uint8_t p[8][10] = {
	    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4},
	    {5, 8, 0, 3, 7, 9, 6, 1, 4, 2}, {8, 9, 1, 6, 0, 4, 3, 5, 2, 7},
	    {9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
	    {2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8}};
	unsigned x = 0;

	for (size_t i = 0; i < n; i++)
		x = m[x][p[i % 8][d[n - 1 - i] - '0']];
	return x == 0;
}

bool pii_chk_aadhaar(struct pii_cand *c)
{
	char d[13];

	return pii_standalone(c) &&
	       pii_digits(c->text + c->s, c->e - c->s, d, 12) == 12 &&
	       verhoeff(d, 12);
}

bool pii_chk_cpf(struct pii_cand *c)
{
	char d[12];
	unsigned s1 = 0;
	unsigned s2 = 0;
	bool same = true;

	if (pii_digits(c->text + c->s, c->e - c->s, d, 11) != 11)
		return false;
	for (int i = 0; i < 11; i++)
		same &= d[i] == d[0];
	for (int i = 0; i < 9; i++)
		s1 += (unsigned)(d[i] - '0') * (unsigned)(10 - i);
	for (int i = 0; i < 10; i++)
		s2 += (unsigned)(d[i] - '0') * (unsigned)(11 - i);
	return !same && (s1 * 10 % 11) % 10 == (unsigned)(d[9] - '0') &&
	       (s2 * 10 % 11) % 10 == (unsigned)(d[10] - '0');
}

bool pii_chk_nric(struct pii_cand *c)
{
	static const unsigned w[7] = {2, 7, 6, 5, 4, 3, 2};
	const char *t = c->text + c->s;
	unsigned sum = 0;

	for (int i = 0; i < 7; i++)
		sum += w[i] * (unsigned)(t[i + 1] - '0');
	if (t[0] == 'T' || t[0] == 'G')
		sum += 4;
	if (t[0] == 'S' || t[0] == 'T')
		return t[8] == "JZIHGFEDCBA"[sum % 11];
	return t[8] == "XWUTRQPNMLK"[sum % 11];
}

/* [A-Za-z0-9-]: a domain label's bytes (ch may be -1: outside) */
static bool label_char(int ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= '0' && ch <= '9') || ch == '-';
}

/* [A-Za-z0-9._%+-]: a local part's */
static bool local_char(int ch)
{
	return label_char(ch) || ch == '.' || ch == '_' || ch == '%' ||
	       ch == '+';
}

/* The domain after the '@' at text[at]: labels joined by dots, the last
 * one alphabetic (the TLD). Returns its end, or 0 if it is not one. */
static size_t email_domain(const struct pii_cand *c, size_t at)
{
	size_t i = at + 1;
	size_t label = i;

	for (;;) {
		size_t n = 0;

		label = i;
		while (n < 64 && label_char(pii_peek(c, (long)(i + n))))
			n++;
		if (n == 0 || n == 64 || i + n - at > 254)
			return 0;
		i += n;
		if (pii_peek(c, (long)i) != '.' ||
		    !label_char(pii_peek(c, (long)i + 1)))
			break;
		i++;
	}
	if (label == at + 1 || i - label < 2 || i - label > 24)
		return 0;
	for (size_t k = label; k < i; k++) {
		if (!isalpha((unsigned char)c->text[k]))
			return 0;
	}
	return i;
}

/* Vectorscan finds "x@y"; the local part grows left (at most 64 bytes:
 * a longer run is cut, never skipped) and the domain right. */
bool pii_chk_email(struct pii_cand *c)
{
	size_t at = c->s + 1;
	size_t i = at;
	size_t end = email_domain(c, at);

	while (i > 0 && at - i < 64 &&
	       local_char((unsigned char)c->text[i - 1]))
		i--;
	/* A local part cannot start with a dot or hold "..": keep the part
	 * after the last bad spot so the address is still redacted. */
	for (size_t k = i; k + 1 < at; k++) {
		if (c->text[k] == '.' && c->text[k + 1] == '.')
			i = k + 2;
	}
	while (i < at && c->text[i] == '.')
		i++;
	if (!end || i == at || c->text[at - 1] == '.')
		return false;
	c->vs = i;
	c->ve = end;
	return true;
}

static bool phone_edges_ok(const struct pii_cand *c)
{
	int before = pii_peek(c, (long)c->s - 1);
	int after = pii_peek(c, (long)c->e);

	/* Part of a longer dotted or dashed number: not a phone. */
	if ((before == '.' || before == '-' || before == '/') &&
	    isdigit(pii_peek(c, (long)c->s - 2)))
		return false;
	if ((after == '.' || after == '-' || after == '/') &&
	    isdigit(pii_peek(c, (long)c->e + 1)))
		return false;
	/* "~+20191229111838+6991d5": a version stamp, not a number. */
	return before != '+' && before != '~' && after != '+' &&
	       !isalnum(before) && !isalnum(after);
}

bool pii_chk_phone(struct pii_cand *c)
{
	char d[20];
	const char *t = c->text + c->s;
	size_t n = pii_digits(t, c->e - c->s, d, 16);
	size_t seps = 0;

	for (size_t i = 0; i < c->e - c->s; i++)
		seps += !isdigit((unsigned char)t[i]);
	if (!phone_edges_ok(c) || seps == 0)
		return false;
	/* One piece of a longer space-grouped number (an IBAN, a card). */
	if (memchr(t, ' ', c->e - c->s) &&
	    (pii_after_group(c) || (pii_peek(c, (long)c->e) == ' ' &&
				    isdigit(pii_peek(c, (long)c->e + 1)))))
		return false;
	if (t[0] == '0' && t[1] == '0')
		return n >= 10 && n <= 17;
	if (t[0] == '+' && d[0] != '1')
		return n >= 8 && n <= 15;
	if (t[0] == '0')
		return n >= 10 && n <= 12;
	if (n == 11 && d[0] == '1')
		return d[1] >= '2' && d[4] >= '2';
	return n == 10 && d[0] >= '2' && d[3] >= '2';
}

bool pii_chk_phone_bare(struct pii_cand *c)
{
	return phone_edges_ok(c) && pii_standalone(c);
}

static bool ipv4_private(const uint8_t o[4])
{
	return o[0] == 10 || o[0] == 127 || o[0] == 0 ||
	       (o[0] == 172 && (o[1] & 0xf0) == 16) ||
	       (o[0] == 192 && o[1] == 168) || (o[0] == 169 && o[1] == 254) ||
	       (o[0] == 100 && (o[1] & 0xc0) == 64);
}

/* "version 1.2.3.4", "v1.2.3.4", "ver 1.2.3.4": a version, not a host. */
static bool version_word(const struct pii_cand *c)
{
	static const char *const words[] = {
	    "version ", "version: ", "ver ", "release ", "build ", "v", "v."};

	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(words); i++) {
		size_t n = strlen(words[i]);

		if (c->s >= n &&
		    strncasecmp(c->text + c->s - n, words[i], n) == 0 &&
		    (c->s == n || !isalpha(pii_peek(c, (long)(c->s - n) - 1))))
			return true;
	}
	return false;
}

/* "-2" after a dotted quad: a Debian-style revision, not a range. */
static bool revision(const struct pii_cand *c)
{
	long i = (long)c->e + 1;
	int n = 0;

	while (n < 4 && isdigit(pii_peek(c, i + n)))
		n++;
	return n > 0 && n < 4 && pii_peek(c, i + n) != '.';
}

bool pii_chk_ipv4(struct pii_cand *c)
{
	uint8_t o[4];
	unsigned k = 0;
	unsigned v = 0;
	unsigned len = 0;
	int before = pii_peek(c, (long)c->s - 1);
	int after = pii_peek(c, (long)c->e);

	for (size_t i = c->s; i <= c->e; i++) {
		if (i == c->e || c->text[i] == '.') {
			if (len == 0 || v > 255 ||
			    (len > 1 && c->text[i - len] == '0'))
				return false;
			o[k++] = (uint8_t)v;
			v = 0;
			len = 0;
			continue;
		}
		v = v * 10 + (unsigned)(c->text[i] - '0');
		len++;
	}
	/* Inside a longer dotted name, a file or package name or version
	 * ("pkg-3.2.2.1.gz", "1.2.5.1-2"); "10.0.0.1-10.0.0.9" is a range. */
	if ((before == '.' && isdigit(pii_peek(c, (long)c->s - 2))) ||
	    (after == '.' && isalnum(pii_peek(c, (long)c->e + 1))) ||
	    ((before == '-' || before == '_') &&
	     isalpha(pii_peek(c, (long)c->s - 2))) ||
	    (after == '-' && revision(c)))
		return false;
	/* x.y.0.0 names a network (or a version), never a host, unless it
	 * is written as a CIDR block. */
	if (version_word(c) || (o[2] == 0 && o[3] == 0 && after != '/'))
		return false;
	return !((c->flags & PII_KEEP_PRIVATE_IPS) && ipv4_private(o));
}

bool pii_chk_ipv6(struct pii_cand *c)
{
	char buf[64];
	uint8_t a[16];
	size_t n = c->e - c->s;
	int before = pii_peek(c, (long)c->s - 1);
	int after = pii_peek(c, (long)c->e);
	bool hex = false;

	if (n >= sizeof(buf) || isalnum(before) || before == ':' ||
	    before == '.' || isalnum(after) || after == ':')
		return false;
	memcpy(buf, c->text + c->s, n);
	buf[n] = 0;
	for (size_t i = 0; i < n; i++)
		hex |= isxdigit((unsigned char)buf[i]) != 0;
	if (!hex || inet_pton(AF_INET6, buf, a) != 1)
		return false;
	if (!(c->flags & PII_KEEP_PRIVATE_IPS))
		return true;
	if ((a[0] == 0xfe && (a[1] & 0xc0) == 0x80) || (a[0] & 0xfe) == 0xfc)
		return false;
	for (int i = 0; i < 15; i++) {
		if (a[i])
			return true;
	}
	return a[15] > 1; /* :: and ::1 */
}

bool pii_chk_mac(struct pii_cand *c)
{
	char sep = c->text[c->s + 2];

	for (size_t i = c->s + 2; i < c->e; i += 3) {
		if (c->text[i] != sep)
			return false;
	}
	return true;
}

bool pii_chk_urlcred(struct pii_cand *c)
{
	const char *p = memmem(c->text + c->s, c->e - c->s, "://", 3);

	if (!p)
		return false;
	c->vs = (size_t)(p - c->text) + 3;
	c->ve = c->e - 1; /* keep the '@' and the host */
	return c->ve > c->vs;
}

static bool month_word(const char *p, size_t n)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";

	if (n < 3)
		return false;
	for (size_t i = 0; i < 36; i += 3) {
		if (strncasecmp(p, months + i, 3) == 0)
			return true;
	}
	return false;
}

/* The value starts at the first digit or month name after the context
 * words (which contain neither). */
bool pii_chk_dob(struct pii_cand *c)
{
	for (size_t i = c->s; i < c->e; i++) {
		if (isdigit((unsigned char)c->text[i]) ||
		    (isalpha((unsigned char)c->text[i]) &&
		     !isalpha(pii_peek(c, (long)i - 1)) &&
		     month_word(c->text + i, c->e - i))) {
			c->vs = i;
			return true;
		}
	}
	return false;
}

bool pii_chk_mrn(struct pii_cand *c)
{
	size_t digits = 0;

	if (!pii_tail_value(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", 5))
		return false;
	for (size_t i = c->vs; i < c->ve; i++)
		digits += isdigit((unsigned char)c->text[i]) != 0;
	return digits >= 4;
}

bool pii_chk_nhs(struct pii_cand *c)
{
	char d[11];
	unsigned sum = 0;
	unsigned chk;

	if (!pii_tail_digits(c, 10, " -"))
		return false;
	pii_digits(c->text + c->vs, c->ve - c->vs, d, 10);
	for (int i = 0; i < 9; i++)
		sum += (unsigned)(d[i] - '0') * (unsigned)(10 - i);
	chk = 11 - sum % 11;
	if (chk == 11)
		chk = 0;
	return chk != 10 && chk == (unsigned)(d[9] - '0');
}

bool pii_chk_dea(struct pii_cand *c)
{
	const char *d = c->text + c->s + 2;
	unsigned sum = (unsigned)(d[0] - '0') + (unsigned)(d[2] - '0') +
		       (unsigned)(d[4] - '0') +
		       2 * ((unsigned)(d[1] - '0') + (unsigned)(d[3] - '0') +
			    (unsigned)(d[5] - '0'));

	return sum % 10 == (unsigned)(d[6] - '0');
}

bool pii_chk_npi(struct pii_cand *c)
{
	char d[16] = "80840";

	if (!pii_tail_digits(c, 10, ""))
		return false;
	memcpy(d + 5, c->text + c->vs, 10);
	return pii_luhn(d, 15);
}
