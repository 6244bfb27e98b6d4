/* policy/secretscan.c: recognises literals shaped like credentials (API
 * keys, tokens, PEM private keys) anywhere in a policy's text, so a
 * secret never lands in a file that is signed, copied and shown. Pure:
 * no allocation, no I/O; a prefix only counts at a word boundary. The
 * loader runs it over the raw text (comments included) and over every
 * decoded scalar (escapes cannot hide a key). */
#include "shared/common.h"
#include "policy/policy_int.h"

#include <ctype.h>

enum charset {
	CS_ALNUM,	/* A-Z a-z 0-9 */
	CS_TOKEN,	/* A-Z a-z 0-9 _ - */
	CS_UPPER_DIGIT, /* A-Z 0-9 */
};

struct shape {
	const char *prefix;
	enum charset set;
	unsigned min_len; /* characters of set required after the prefix */
	const char *kind;
};

/* Longer prefixes first, so "sk-ant-" is named before "sk-". */
static const struct shape shapes[] = {
    {"sk-ant-", CS_TOKEN, 20, "an Anthropic API key"},
    {"sk-proj-", CS_TOKEN, 20, "an OpenAI API key"},
    {"sk-", CS_TOKEN, 20, "an OpenAI-style API key"},
    {"sk_live_", CS_ALNUM, 16, "a Stripe secret key"},
    {"rk_live_", CS_ALNUM, 16, "a Stripe restricted key"},
    {"AKIA", CS_UPPER_DIGIT, 16, "an AWS access key id"},
    {"ASIA", CS_UPPER_DIGIT, 16, "an AWS temporary access key id"},
    {"github_pat_", CS_TOKEN, 22, "a GitHub token"},
    {"ghp_", CS_ALNUM, 30, "a GitHub token"},
    {"gho_", CS_ALNUM, 30, "a GitHub token"},
    {"ghs_", CS_ALNUM, 30, "a GitHub token"},
    {"ghu_", CS_ALNUM, 30, "a GitHub token"},
    {"ghr_", CS_ALNUM, 30, "a GitHub token"},
    {"glpat-", CS_TOKEN, 20, "a GitLab token"},
    {"xoxb-", CS_TOKEN, 10, "a Slack token"},
    {"xoxp-", CS_TOKEN, 10, "a Slack token"},
    {"xoxa-", CS_TOKEN, 10, "a Slack token"},
    {"xoxr-", CS_TOKEN, 10, "a Slack token"},
    {"xoxs-", CS_TOKEN, 10, "a Slack token"},
    {"AIza", CS_TOKEN, 35, "a Google API key"},
};

static bool in_set(char ch, enum charset set)
{
	unsigned char u = (unsigned char)ch;

	switch (set) {
	case CS_ALNUM:
		return isascii(u) && isalnum(u);
	case CS_TOKEN:
		return isascii(u) && (isalnum(u) || u == '_' || u == '-');
	case CS_UPPER_DIGIT:
		return (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9');
	}
	return false;
}

/* The first character is compared before anything else: this runs at
 * every word boundary of every policy, for every shape. */
static bool matches_at(const char *s, size_t len, size_t i,
		       const struct shape *sh)
{
	size_t plen;
	size_t run = 0;

	if (s[i] != sh->prefix[0])
		return false;
	plen = strlen(sh->prefix);
	if (len - i < plen || memcmp(s + i, sh->prefix, plen) != 0)
		return false;
	while (i + plen + run < len && in_set(s[i + plen + run], sh->set))
		run++;
	return run >= sh->min_len;
}

/* "-----BEGIN <anything> PRIVATE KEY-----" on one line. */
static bool pem_private_at(const char *s, size_t len, size_t i)
{
	static const char begin[] = "-----BEGIN ";
	static const char tail[] = "PRIVATE KEY-----";
	size_t j;

	if (s[i] != begin[0] || len - i < sizeof(begin) - 1 ||
	    memcmp(s + i, begin, sizeof(begin) - 1) != 0)
		return false;
	for (j = i + sizeof(begin) - 1; j < len && s[j] != '\n'; j++) {
		if (len - j >= sizeof(tail) - 1 &&
		    memcmp(s + j, tail, sizeof(tail) - 1) == 0)
			return true;
	}
	return false;
}

const char *policy_secret_find(const char *s, size_t len, size_t *at)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char prev = i ? (unsigned char)s[i - 1] : ' ';

		if (isascii(prev) && isalnum(prev))
			continue; /* not at a word boundary */
		*at = i;
		if (pem_private_at(s, len, i))
			return "a PEM private key";
		for (size_t k = 0; k < AKIOS_ARRAY_SIZE(shapes); k++) {
			if (matches_at(s, len, i, &shapes[k]))
				return shapes[k].kind;
		}
	}
	return NULL;
}

const char *policy_secret_kind(const char *s, size_t len)
{
	size_t at;

	return policy_secret_find(s, len, &at);
}
