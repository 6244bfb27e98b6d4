/* cJSON as an independent oracle for akios's JSON parser: whatever
 * shared/json_parse.c accepts, cJSON must accept too and read as the same
 * tree. Not the converse: cJSON is laxer (leading zeros, raw control
 * characters, a BOM, numbers out of range). Used by fuzz_json and by
 * tests/unit/test_json_diff.c. */
#ifndef AKIOS_TESTS_FUZZ_JSON_ORACLE_H
#define AKIOS_TESTS_FUZZ_JSON_ORACLE_H

#include "shared/json.h"

#include <cjson/cJSON.h>
#include <stdbool.h>

static bool json_oracle_scalar(const struct json *a, const cJSON *b)
{
	switch (a->type) {
	case JSON_NULL:
		return cJSON_IsNull(b);
	case JSON_FALSE:
		return cJSON_IsFalse(b);
	case JSON_TRUE:
		return cJSON_IsTrue(b);
	case JSON_NUMBER:
		return cJSON_IsNumber(b) && a->num == b->valuedouble;
	case JSON_STRING:
		/* cJSON's strings end at a decoded \u0000 */
		return cJSON_IsString(b) && strcmp(a->str, b->valuestring) == 0;
	default:
		return false;
	}
}

/* Same types, values, keys and member order. Recursion: our trees are at
 * most JSON_MAX_DEPTH deep. */
static bool json_oracle_same(const struct json *a, const cJSON *b)
{
	const struct json *x;
	const cJSON *y;

	if (a->type != JSON_ARRAY && a->type != JSON_OBJECT)
		return json_oracle_scalar(a, b);
	if (a->type == JSON_ARRAY ? !cJSON_IsArray(b) : !cJSON_IsObject(b))
		return false;
	for (x = a->child, y = b->child; x && y; x = x->next, y = y->next) {
		if (a->type == JSON_OBJECT && strcmp(x->key, y->string) != 0)
			return false;
		if (!json_oracle_same(x, y))
			return false;
	}
	return !x && !y;
}

/* cJSON 1.7.15 reads at most 63 bytes of a number: longer runs of number
 * characters are outside what the oracle can judge. */
static bool json_oracle_applies(const char *s, size_t n)
{
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		run = strchr("0123456789+-.eE", s[i]) && s[i] ? run + 1 : 0;
		if (run >= 60)
			return false;
	}
	return true;
}

/* For a document a parsed from s[0..n): does cJSON agree? */
static bool json_oracle_agrees(const struct json *a, const char *s, size_t n)
{
	char *z;
	cJSON *b;
	bool same;

	if (!json_oracle_applies(s, n))
		return true;
	z = malloc(n + 1);
	if (!z)
		return true;
	memcpy(z, s, n);
	z[n] = '\0';
	b = cJSON_ParseWithOpts(z, NULL, true);
	same = b && json_oracle_same(a, b);
	cJSON_Delete(b);
	free(z);
	return same;
}

#endif
