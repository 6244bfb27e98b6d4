/* Differential tests of akios's JSON module against cJSON (a test-only
 * dependency): both parse a corpus of valid documents to the same tree;
 * cJSON reads back what our printers write, and we read what cJSON
 * writes; random trees and numbers survive the crossing exactly. */
#include "shared/common.h"
#include "shared/json.h"
#include "tests/fuzz/json_oracle.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>

static const char *const valid[] = {
    "null",
    "true",
    "false",
    "0",
    "-0",
    "-0.0e0",
    "1E+2",
    "1e-2",
    "123456789012345678901234567890",
    "1.5e308",
    "4.9e-324",
    "1e-400",
    "\"\"",
    "\"plain\"",
    "\"\\u0041\\u00e9\\u20ac\\ud83d\\ude00\\uDBFF\\uDFFF\"",
    "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
    "\"\xc3\xa9 raw \xf0\x9f\x98\x80 \x7f\"",
    "[]",
    "{}",
    "[[[]],[{}]]",
    " [ 1 , 2 , 3 ] ",
    "{\"a\":{\"b\":{\"c\":[1,{\"d\":null}]}}}",
    "{\"a\":1,\"a\":2,\"A\":3}",
    "{\"\":\"empty key\",\"\\u00e9\":\"\\u00e9\"}",
    "[0.1,0.2,0.30000000000000004,1e21,1e22,-1e-7,2.5e-310]",
    "{\"ts\":\"2026-11-29T22:00:00.123456Z\",\"seq\":18446744073709551615,"
    "\"type\":\"llm_request\",\"provider\":\"openai\",\"model\":\"gpt\","
    "\"tokens\":{\"in\":1234,\"out\":56},\"pii\":[\"email\",\"ssn\"],"
    "\"prev\":\"0123456789abcdef0123456789abcdef\",\"ok\":true}",
    "\n\t{\r\n  \"pretty\": [\n    1,\n    2\n  ]\n}\n",
};

Test(json_diff, corpus_parses_as_cjson_does)
{
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(valid); i++) {
		const char *s = valid[i];
		struct json_error e = {0};
		struct json *v = json_parse(s, strlen(s), &e);

		cr_assert_not_null(v, "%s: %s at %zu", s, e.msg, e.offset);
		cr_assert(json_oracle_agrees(v, s, strlen(s)), "%s", s);
		json_free(v);
	}
}

/* Our printers' text, read by cJSON, is the same tree. */
static void cjson_reads(const struct json *v, const char *text)
{
	cJSON *c = cJSON_Parse(text);

	cr_assert_not_null(c, "cJSON refused %s", text);
	cr_assert(json_oracle_same(v, c), "%s", text);
	cJSON_Delete(c);
}

/* cJSON's text, read by us, is the tree cJSON reads from it. (Not always
 * cJSON's original tree: cJSON's printer checks its %.15g with a relative
 * epsilon, so its numbers do not always survive its own round trip.) */
static void we_read(const char *text)
{
	struct json_error e;
	struct json *v = json_parse(text, strlen(text), &e);
	cJSON *c = cJSON_Parse(text);

	cr_assert_not_null(v, "%s: %s at %zu", text, e.msg, e.offset);
	cr_assert_not_null(c);
	cr_assert(json_oracle_same(v, c), "%s", text);
	cJSON_Delete(c);
	json_free(v);
}

Test(json_diff, printers_cross_both_ways)
{
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(valid); i++) {
		const char *s = valid[i];
		struct json *v = json_parse(s, strlen(s), NULL);
		char *c = json_print(v);
		char *p = json_print_pretty(v);
		cJSON *cj = cJSON_Parse(s);
		char *cc = cJSON_PrintUnformatted(cj);
		char *cp = cJSON_Print(cj);

		cjson_reads(v, c);
		cjson_reads(v, p);
		we_read(cc);
		we_read(cp);
		free(cc);
		free(cp);
		cJSON_Delete(cj);
		free(c);
		free(p);
		json_free(v);
	}
}

Test(json_diff, every_byte_in_a_string)
{
	char all[256] = {0};
	const size_t n = 255; /* bytes 1..255: cJSON strings end at a NUL */
	struct json *v;
	char *t;
	cJSON *c;

	for (size_t i = 0; i < n; i++)
		all[i] = (char)(i + 1);
	v = json_new_string_len(all, n);
	t = json_print(v);
	c = cJSON_Parse(t);
	cr_assert_not_null(c);
	cr_assert_str_eq(c->valuestring, all);
	cJSON_Delete(c);
	c = cJSON_CreateString(all);
	free(t);
	t = cJSON_PrintUnformatted(c);
	json_free(v);
	v = json_parse(t, strlen(t), NULL);
	cr_assert_not_null(v);
	cr_assert_eq(v->len, n);
	cr_assert_eq(memcmp(v->str, all, n), 0);
	json_free(v);
	cJSON_Delete(c);
	free(t);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static double rnd_double(uint64_t *s)
{
	uint64_t bits = rnd(s);
	double d;

	switch (bits % 4) {
	case 0:
		return (double)(int64_t)(rnd(s) >> (rnd(s) % 64));
	case 1:
		return (double)(rnd(s) % 1000000) / 1000.0;
	default:
		memcpy(&d, &bits, sizeof(d));
		return isfinite(d) ? d : 1.5;
	}
}

Test(json_diff, numbers_cross_exactly)
{
	uint64_t s = 0x9e3779b97f4a7c15ull;

	for (int i = 0; i < 20000; i++) {
		double d = rnd_double(&s);
		struct json *v = json_new_number(d);
		char *t = json_print(v);
		cJSON *c = cJSON_Parse(t);
		char *ct;
		struct json *back;

		cr_assert_not_null(c, "%s", t);
		cr_assert_eq(c->valuedouble, d, "%s", t);
		ct = cJSON_PrintUnformatted(c);
		cJSON_Delete(c);
		c = cJSON_Parse(ct);
		back = json_parse(ct, strlen(ct), NULL);
		cr_assert_not_null(back, "%s", ct);
		cr_assert_eq(back->num, c->valuedouble, "%s", ct);
		json_free(back);
		free(ct);
		cJSON_Delete(c);
		free(t);
		json_free(v);
	}
}

static struct json *rnd_tree(uint64_t *s, unsigned depth);

static struct json *rnd_container(uint64_t *s, unsigned depth, bool obj)
{
	struct json *c = obj ? json_new_object() : json_new_array();
	unsigned n = (unsigned)(rnd(s) % 5);

	for (unsigned i = 0; i < n; i++) {
		char key[8] = {(char)('a' + rnd(s) % 3), '\0'};
		struct json *m = rnd_tree(s, depth + 1);

		cr_assert_not_null(obj ? json_add(c, key, m) : json_push(c, m));
	}
	return c;
}

static struct json *rnd_tree(uint64_t *s, unsigned depth)
{
	char str[6];
	unsigned k = (unsigned)(rnd(s) % (depth > 4 ? 5 : 7));

	switch (k) {
	case 0:
		return json_new_null();
	case 1:
		return json_new_bool(rnd(s) & 1);
	case 2:
		return json_new_number(rnd_double(s));
	case 3:
	case 4:
		for (size_t i = 0; i < sizeof(str); i++)
			str[i] = (char)(rnd(s) % 255 + 1);
		return json_new_string_len(str, sizeof(str));
	default:
		return rnd_container(s, depth, k == 5);
	}
}

Test(json_diff, random_trees_cross)
{
	uint64_t s = 42;

	for (int i = 0; i < 3000; i++) {
		struct json *v = rnd_tree(&s, 0);
		char *c = json_print(v);
		char *p = json_print_pretty(v);
		struct json *back = json_parse(c, strlen(c), NULL);

		cr_assert(json_equal(v, back), "%s", c);
		cjson_reads(v, c);
		cjson_reads(v, p);
		json_free(back);
		free(c);
		free(p);
		json_free(v);
	}
}
