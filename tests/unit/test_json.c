/* Unit tests of akios's JSON module (shared/json*.c): parser errors and
 * their offsets, escapes, surrogates, numbers, the depth limit, both
 * printers and the tree operations. The cJSON cross-checks are in
 * test_json_diff.c. */
#include "shared/common.h"
#include "shared/json.h"
#include "shared/json_int.h"
#include "tests/lib/testlib.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <sys/wait.h>

struct bad {
	const char *in;
	size_t len; /* 0: strlen(in) */
	size_t offset;
	const char *msg;
};

static const struct bad bad_inputs[] = {
    {"", 0, 0, "unexpected end of input"},
    {"   ", 0, 3, "unexpected end of input"},
    {"[1,", 0, 3, "unexpected end of input"},
    {"[1", 0, 2, "unexpected end of input"},
    {"{\"a\"", 0, 4, "unexpected end of input"},
    {"{\"a\":", 0, 5, "unexpected end of input"},
    {"{", 0, 1, "unexpected end of input"},
    {"tru", 0, 3, "unexpected end of input"},
    {"-", 0, 1, "unexpected end of input"},
    {"1.", 0, 2, "unexpected end of input"},
    {"1e+", 0, 3, "unexpected end of input"},
    {"x", 0, 0, "expected a value"},
    {"[1,]", 0, 3, "expected a value"},
    {"[,1]", 0, 1, "expected a value"},
    {"+1", 0, 0, "expected a value"},
    {".5", 0, 0, "expected a value"},
    {"NaN", 0, 0, "expected a value"},
    {"Infinity", 0, 0, "expected a value"},
    {"'a'", 0, 0, "expected a value"},
    {"[1 2]", 0, 3, "expected ',' or ']'"},
    {"[1}", 0, 2, "expected ',' or ']'"},
    {"{\"a\":1 \"b\":2}", 0, 7, "expected ',' or '}'"},
    {"{\"a\":1]", 0, 6, "expected ',' or '}'"},
    {"{\"a\" 1}", 0, 5, "expected ':'"},
    {"{\"a\"}", 0, 4, "expected ':'"},
    {"{1:2}", 0, 1, "expected a key"},
    {"{\"a\":1,}", 0, 7, "expected a key"},
    {"{a:1}", 0, 1, "expected a key"},
    {"trux", 0, 3, "invalid literal"},
    {"nul", 0, 3, "unexpected end of input"},
    {"nulL", 0, 3, "invalid literal"},
    {"True", 0, 0, "expected a value"},
    {"fals e", 0, 4, "invalid literal"},
    {"01", 0, 1, "invalid number"},
    {"-01", 0, 2, "invalid number"},
    {"00", 0, 1, "invalid number"},
    {"-a", 0, 1, "invalid number"},
    {"1.e5", 0, 2, "invalid number"},
    {"1ex", 0, 2, "invalid number"},
    {"1e+x", 0, 3, "invalid number"},
    {"0x10", 0, 1, "trailing characters"},
    {"1e400", 0, 0, "number out of range"},
    {"[-1e309]", 0, 1, "number out of range"},
    {"\"abc", 0, 0, "unterminated string"},
    {"[\"a\\\"]", 0, 1, "unterminated string"},
    {"\"a\nb\"", 0, 2, "control character in string"},
    {"\"\t\"", 0, 1, "control character in string"},
    {"\"\\x\"", 0, 1, "invalid escape"},
    {"\"ab\\'\"", 0, 3, "invalid escape"},
    {"\"\\\x01\"", 0, 1, "invalid escape"},
    {"\"\\u12\"", 0, 1, "invalid \\u escape"},
    {"\"\\u12g4\"", 0, 1, "invalid \\u escape"},
    {"\"x\\ud800\"", 0, 2, "invalid surrogate"},
    {"\"\\udc00\"", 0, 1, "invalid surrogate"},
    {"\"\\ud800\\u0041\"", 0, 1, "invalid surrogate"},
    {"\"\\ud800\\n\"", 0, 1, "invalid surrogate"},
    {"\"\\ud800\\udbff\"", 0, 1, "invalid surrogate"},
    {"{\"a\\u0000b\":1}", 0, 1, "\\u0000 in a key"},
    {"1 2", 0, 2, "trailing characters"},
    {"{} x", 0, 3, "trailing characters"},
    {"[]]", 0, 2, "trailing characters"},
    {"1\0", 2, 1, "trailing characters"},
    {"\"a\" \"b\"", 0, 4, "trailing characters"},
};

Test(json, bad_inputs_have_exact_offsets_and_messages)
{
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(bad_inputs); i++) {
		const struct bad *b = &bad_inputs[i];
		size_t len = b->len ? b->len : strlen(b->in);
		struct json_error err = {0};
		struct json *v = json_parse(b->in, len, &err);

		cr_assert_null(v, "accepted: %s", b->in);
		cr_assert_str_eq(err.msg, b->msg, "input %s", b->in);
		cr_assert_eq(err.offset, b->offset, "input %s: offset %zu",
			     b->in, err.offset);
		err.msg = NULL;
		cr_assert_eq(json_validate(b->in, len, &err), -EINVAL);
		cr_assert_str_eq(err.msg, b->msg, "validate %s", b->in);
		cr_assert_eq(err.offset, b->offset, "validate %s", b->in);
	}
}

Test(json, never_reads_past_len)
{
	/* The bytes after len would complete the document. */
	const char *in = "[1,2]";
	struct json_error err;

	for (size_t n = 0; n < 5; n++) {
		char *copy = malloc(n ? n : 1);

		memcpy(copy, in, n);
		cr_assert_null(json_parse(copy, n, &err));
		cr_assert_leq(err.offset, n);
		free(copy);
	}
	cr_assert_null(json_parse("\"abc\"", 4, &err));
	cr_assert_str_eq(err.msg, "unterminated string");
	cr_assert_null(json_parse("\"\\u0041\"", 6, &err));
	cr_assert_str_eq(err.msg, "unterminated string");
	cr_assert_null(json_parse("12", 0, &err));
	cr_assert_null(json_parse(NULL, 5, &err));
	cr_assert_str_eq(err.msg, "unexpected end of input");
}

Test(json, literals_and_whitespace)
{
	struct json_error err = {.msg = "stale", .offset = 9};
	struct json *v = json_parse(" \t\r\n[true,false,null]\n ", 23, &err);

	cr_assert_not_null(v);
	cr_assert_null(err.msg);
	cr_assert_eq(json_size(v), 3);
	cr_assert(json_is_true(json_at(v, 0)));
	cr_assert(json_is_bool(json_at(v, 1)));
	cr_assert(!json_is_true(json_at(v, 1)));
	cr_assert(json_is_null(json_at(v, 2)));
	cr_assert_null(json_at(v, 3));
	json_free(v);
	/* a form feed is not JSON whitespace */
	cr_assert_null(json_parse("\f1", 2, &err));
	cr_assert_eq(err.offset, 0);
}

Test(json, parse_prefix_reports_the_end)
{
	size_t end = 99;
	struct json_error err;
	struct json *v =
	    json_parse_prefix(" {\"a\":[1]} trailing", 19, &end, &err);

	cr_assert_not_null(v);
	cr_assert_eq(end, 10);
	json_free(v);
	v = json_parse_prefix("12x", 3, &end, &err);
	cr_assert_eq(v->num, 12);
	cr_assert_eq(end, 2);
	json_free(v);
	cr_assert_null(json_parse_prefix("[1,", 3, &end, &err));
	cr_assert_eq(err.offset, 3);
}

static struct json *parse_str(const char *s)
{
	struct json_error err = {0};
	struct json *v = json_parse(s, strlen(s), &err);

	cr_assert_not_null(v, "%s: %s at %zu", s, err.msg, err.offset);
	return v;
}

static void check_print(const char *in, const char *want)
{
	struct json *v = parse_str(in);
	char *out = json_print(v);

	cr_assert_str_eq(out, want, "input %s", in);
	free(out);
	json_free(v);
}

Test(json, string_escapes_decode)
{
	struct json *v = parse_str("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9"
				   "\\u20ac\\ud83d\\ude00\\uD83D\\uDE00\"");
	const char want[] = "\"\\/\b\f\n\r\tA\xc3\xa9\xe2\x82\xac"
			    "\xf0\x9f\x98\x80\xf0\x9f\x98\x80";

	cr_assert_eq(v->len, sizeof(want) - 1);
	cr_assert_eq(memcmp(v->str, want, v->len), 0);
	json_free(v);
	v = parse_str("\"a\\u0000b\"");
	cr_assert_eq(v->len, 3);
	cr_assert_eq(memcmp(v->str, "a\0b", 4), 0);
	json_free(v);
}

Test(json, raw_bytes_pass_unchecked)
{
	/* invalid UTF-8 and DEL are copied, like cJSON: bodies are not ours */
	const char in[] = "\"\xff\xfe\x80\x7f\xc3\"";
	struct json *v = json_parse(in, sizeof(in) - 1, NULL);
	char *out;

	cr_assert_not_null(v);
	cr_assert_eq(v->len, 5);
	out = json_print(v);
	cr_assert_str_eq(out, in);
	free(out);
	json_free(v);
}

Test(json, strings_print_escaped)
{
	struct json *v =
	    json_new_string_len("\"\\/\b\f\n\r\t\x01\x1f\x7f\0z", 13);
	char *out = json_print(v);

	cr_assert_str_eq(out, "\"\\\"\\\\/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f"
			      "\\u0000z\"");
	free(out);
	json_free(v);
	check_print("\"\\u00e9\\/\"", "\"\xc3\xa9/\"");
	check_print("\"\\ud83d\\ude00\"", "\"\xf0\x9f\x98\x80\"");
}

struct num {
	double v;
	const char *text;
};

static const struct num numbers[] = {
    {0, "0"},
    {-0.0, "0"},
    {1, "1"},
    {-1, "-1"},
    {42, "42"},
    {1e15, "1000000000000000"},
    {9007199254740992.0, "9007199254740992"},
    {-9007199254740992.0, "-9007199254740992"},
    {9007199254740994.0, "9007199254740994"},
    {1e300, "1e+300"},
    {0.5, "0.5"},
    {-2.25, "-2.25"},
    {0.1, "0.1"},
    {1.0 / 3, "0.33333333333333331"},
    {3.14159, "3.14159"},
    {1e-7, "1e-07"},
    {5e-324, "4.94065645841247e-324"},
    {1.7976931348623157e308, "1.7976931348623157e+308"},
    {123456.789, "123456.789"},
    {NAN, "null"},
    {INFINITY, "null"},
    {-INFINITY, "null"},
};

Test(json, numbers_format)
{
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(numbers); i++) {
		char t[64];
		size_t n = json_format_number(numbers[i].v, t, sizeof(t));

		cr_assert_str_eq(t, numbers[i].text, "value %.17g",
				 numbers[i].v);
		cr_assert_eq(n, strlen(numbers[i].text));
	}
}

static const struct num parsed[] = {
    {0, "0"},
    {-0.0, "-0"},
    {10, "1e1"},
    {150, "1.5E+2"},
    {0.015, "1.5e-2"},
    {123456789012345.0, "123456789012345"},
    {1234567890123456.0, "1234567890123456"},
    {-123456789012345678.0, "-123456789012345678"},
    {0.1, "0.1"},
    {0, "1e-400"},
    {1.7976931348623157e308, "1.7976931348623157e308"},
    {2.5, "2.50000000000000000000000000000000000000000000000000000000000000"
	  "00000000000000000000000000000000000000000"},
};

Test(json, numbers_parse)
{
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(parsed); i++) {
		struct json *v = parse_str(parsed[i].text);

		cr_assert(json_is_number(v));
		cr_assert_eq(v->num, parsed[i].v, "%s", parsed[i].text);
		cr_assert_eq(signbit(v->num), signbit(parsed[i].v), "%s",
			     parsed[i].text);
		json_free(v);
	}
}

Test(json, number_round_trips)
{
	const double vals[] = {0.1,   0.2,  1.0 / 3, 2.0 / 3,  1e-300, 6.02e23,
			       1e21,  1e22, -1e-5,   123.456,  4.35,   0.3,
			       2.675, 1e16, 9.5e15,  1.1e-310, 7.0e-10};

	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(vals); i++) {
		struct json *v = json_new_number(vals[i]);
		char *t = json_print(v);
		struct json *back = parse_str(t);

		cr_assert_eq(back->num, vals[i], "%s", t);
		json_free(back);
		json_free(v);
		free(t);
	}
}

static char *nested(unsigned n, char open, char close)
{
	char *s = malloc(2 * n + 1);

	memset(s, open, n);
	memset(s + n, close, n);
	s[2 * n] = '\0';
	return s;
}

Test(json, depth_limit_is_exact)
{
	struct json_error err;
	char *ok = nested(JSON_MAX_DEPTH, '[', ']');
	char *deep = nested(JSON_MAX_DEPTH + 1, '[', ']');
	struct json *v = json_parse(ok, strlen(ok), &err);
	char *out;

	cr_assert_not_null(v);
	out = json_print(v);
	cr_assert_str_eq(out, ok);
	free(out);
	out = json_print_pretty(v);
	cr_assert_not_null(out);
	free(out);
	json_free(v);
	cr_assert_null(json_parse(deep, strlen(deep), &err));
	cr_assert_str_eq(err.msg, "nesting too deep");
	cr_assert_eq(err.offset, JSON_MAX_DEPTH);
	free(ok);
	free(deep);
}

Test(json, depth_limit_for_objects_and_printing)
{
	struct json_error err;
	struct json *root = json_new_array();
	struct json *cur = root;
	size_t n = 0;
	char *s = malloc(8 * (JSON_MAX_DEPTH + 1) + 1);

	for (unsigned i = 0; i < JSON_MAX_DEPTH + 1; i++) {
		memcpy(s + n, "{\"k\":", 5);
		n += 5;
	}
	s[n++] = '1';
	memset(s + n, '}', JSON_MAX_DEPTH + 1);
	n += JSON_MAX_DEPTH + 1;
	cr_assert_null(json_parse(s, n, &err));
	cr_assert_str_eq(err.msg, "nesting too deep");
	cr_assert_eq(err.offset, 5 * JSON_MAX_DEPTH);
	/* a tree built by hand 513 deep neither prints nor copies */
	for (unsigned i = 1; i < JSON_MAX_DEPTH + 1; i++)
		cur = json_push(cur, json_new_array());
	cr_assert_null(json_print(root));
	cr_assert_null(json_print_pretty(root));
	cr_assert_null(json_dup(root));
	cur = json_dup(root->child);
	cr_assert_not_null(cur);
	json_free(cur);
	json_free(root);
	free(s);
}

static void *free_tree(void *root)
{
	json_free(root);
	return NULL;
}

Test(json, free_is_not_recursive)
{
	/* 100000 levels on a 64 KiB stack: recursion would overflow it */
	struct json *root = json_new_array();
	struct json *cur = root;
	pthread_attr_t attr;
	pthread_t t;

	for (unsigned i = 0; i < 100000; i++)
		cur = json_push(cur, json_new_array());
	cr_assert_not_null(cur);
	cr_assert_eq(pthread_attr_init(&attr), 0);
	cr_assert_eq(pthread_attr_setstacksize(&attr, 64 * 1024), 0);
	cr_assert_eq(pthread_create(&t, &attr, free_tree, root), 0);
	cr_assert_eq(pthread_join(t, NULL), 0);
	pthread_attr_destroy(&attr);
}

Test(json, compact_and_pretty)
{
	const char *in = "{\"a\": [1, \"x\", {}, []], \"b\": {\"c\": null, "
			 "\"d\": true}, \"e\": -1.5}";
	struct json *v = parse_str(in);
	char *c = json_print(v);
	char *p = json_print_pretty(v);

	cr_assert_str_eq(c, "{\"a\":[1,\"x\",{},[]],\"b\":{\"c\":null,\"d\":"
			    "true},\"e\":-1.5}");
	cr_assert_str_eq(p, "{\n"
			    "  \"a\": [\n"
			    "    1,\n"
			    "    \"x\",\n"
			    "    {},\n"
			    "    []\n"
			    "  ],\n"
			    "  \"b\": {\n"
			    "    \"c\": null,\n"
			    "    \"d\": true\n"
			    "  },\n"
			    "  \"e\": -1.5\n"
			    "}");
	free(c);
	free(p);
	json_free(v);
	check_print("[]", "[]");
	check_print(" \"s\" ", "\"s\"");
	check_print("7", "7");
}

Test(json, duplicate_keys_kept_get_returns_first)
{
	struct json *v = parse_str("{\"a\":1,\"b\":2,\"a\":3}");
	char *out = json_print(v);

	cr_assert_str_eq(out, "{\"a\":1,\"b\":2,\"a\":3}");
	cr_assert_eq(json_get(v, "a")->num, 1);
	cr_assert_null(json_get(v, "A"));
	cr_assert(json_remove(v, "a"));
	cr_assert_eq(json_get(v, "a")->num, 3);
	cr_assert_eq(json_size(v), 2);
	free(out);
	json_free(v);
}

Test(json, build_and_access)
{
	struct json *o = json_new_object();
	struct json *a;
	char *out;

	cr_assert_not_null(json_add_str(o, "s", "v"));
	cr_assert_not_null(json_add_num(o, "n", 2.5));
	cr_assert_not_null(json_add_bool(o, "t", true));
	cr_assert_not_null(json_add_bool(o, "f", false));
	cr_assert_not_null(json_add_null(o, "z"));
	cr_assert_not_null(json_add_object(o, "o"));
	a = json_add_array(o, "a");
	cr_assert_not_null(json_push(a, json_new_string("x")));
	cr_assert_not_null(json_push(a, json_new_number(-3)));
	out = json_print(o);
	cr_assert_str_eq(out, "{\"s\":\"v\",\"n\":2.5,\"t\":true,\"f\":false,"
			      "\"z\":null,\"o\":{},\"a\":[\"x\",-3]}");
	free(out);
	cr_assert_str_eq(json_get_str(o, "s"), "v");
	cr_assert_null(json_get_str(o, "n"));
	cr_assert_null(json_get_str(o, "missing"));
	cr_assert_eq(json_size(o), 7);
	cr_assert_eq(json_size(a), 2);
	cr_assert_eq(json_size(json_get(o, "s")), 0);
	cr_assert_eq(json_at(a, 1)->num, -3);
	cr_assert_null(json_at(json_get(o, "s"), 0));
	json_free(o);
}

Test(json, adds_free_what_they_cannot_attach)
{
	struct json *o = json_new_object();
	struct json *a = json_new_array();

	/* ASan would report the leaked item if these did not free it */
	cr_assert_null(json_add(a, "k", json_new_string("x")));
	cr_assert_null(json_add(o, NULL, json_new_string("x")));
	cr_assert_null(json_add(NULL, "k", json_new_string("x")));
	cr_assert_null(json_add(o, "k", NULL));
	cr_assert_null(json_push(o, json_new_null()));
	cr_assert_null(json_push(NULL, json_new_null()));
	cr_assert_null(json_add_str(o, "k", NULL));
	cr_assert_null(json_new_string(NULL));
	cr_assert_null(json_new_string_len(NULL, 0));
	cr_assert_eq(json_size(o), 0);
	cr_assert_eq(json_size(a), 0);
	json_free(o);
	json_free(a);
	json_free(NULL);
}

Test(json, detach_remove_and_reattach)
{
	struct json *o = parse_str("{\"a\":1,\"b\":[2],\"c\":3}");
	struct json *b = json_detach(o, "b");
	struct json *c;
	char *out;

	cr_assert_not_null(b);
	cr_assert_null(b->next);
	cr_assert_null(json_detach(o, "b"));
	cr_assert_eq(json_size(o), 2);
	/* the last member goes: appends must still land at the end */
	c = json_detach(o, "c");
	cr_assert_eq(o->last, json_get(o, "a"));
	cr_assert_not_null(json_add(o, "B", b));
	cr_assert_not_null(json_push(json_get(o, "B"), c));
	out = json_print(o);
	cr_assert_str_eq(out, "{\"a\":1,\"B\":[2,3]}");
	free(out);
	cr_assert(json_remove(o, "a"));
	cr_assert(!json_remove(o, "a"));
	cr_assert(json_remove(o, "B"));
	cr_assert_null(o->child);
	cr_assert_null(o->last);
	cr_assert_not_null(json_add_num(o, "n", 1));
	out = json_print(o);
	cr_assert_str_eq(out, "{\"n\":1}");
	free(out);
	cr_assert_null(json_detach(json_get(o, "n"), "x"));
	json_free(o);
}

Test(json, set_values_in_place)
{
	struct json *s = json_new_string("old");
	struct json *n = json_new_number(1);

	cr_assert_eq(json_set_str(s, "new value"), 0);
	cr_assert_str_eq(s->str, "new value");
	cr_assert_eq(s->len, 9);
	cr_assert_eq(json_set_num(n, 7.5), 0);
	cr_assert_eq(n->num, 7.5);
	cr_assert_eq(json_set_str(n, "x"), -EINVAL);
	cr_assert_eq(json_set_num(s, 1), -EINVAL);
	cr_assert_eq(json_set_str(s, NULL), -EINVAL);
	cr_assert_eq(json_set_str(NULL, "x"), -EINVAL);
	json_free(s);
	json_free(n);
}

Test(json, string_array)
{
	const char *const names[] = {"a", "b\"", "c"};
	struct json *a = json_new_string_array(names, 3);
	struct json *e = json_new_string_array(NULL, 0);
	char *out = json_print(a);

	cr_assert_str_eq(out, "[\"a\",\"b\\\"\",\"c\"]");
	free(out);
	out = json_print(e);
	cr_assert_str_eq(out, "[]");
	free(out);
	json_free(a);
	json_free(e);
}

Test(json, dup_and_equal)
{
	struct json *v = parse_str("{\"a\":[1,\"x\\u0000y\",{\"b\":null}],"
				   "\"c\":true,\"d\":-0}");
	struct json *d = json_dup(v);
	struct json *other;

	cr_assert_not_null(d);
	cr_assert_neq(d, v);
	cr_assert(json_equal(v, d));
	cr_assert(json_equal(d, v));
	cr_assert_str_eq(json_get(d, "a")->key, "a");
	cr_assert_eq(json_at(json_get(d, "a"), 1)->len, 3);
	cr_assert(json_equal(NULL, NULL));
	cr_assert(!json_equal(v, NULL));
	/* -0 equals 0 numerically */
	other = parse_str("{\"a\":[1,\"x\\u0000y\",{\"b\":null}],\"c\":true,"
			  "\"d\":0}");
	cr_assert(json_equal(v, other));
	json_free(other);
	other = parse_str("{\"a\":[1,\"x\\u0000z\",{\"b\":null}],\"c\":true,"
			  "\"d\":0}");
	cr_assert(!json_equal(v, other));
	json_free(other);
	other = parse_str("{\"c\":true,\"a\":[1,\"x\\u0000y\",{\"b\":null}],"
			  "\"d\":0}");
	cr_assert(!json_equal(v, other), "member order matters");
	json_free(other);
	other = parse_str("{\"a\":[1,\"x\\u0000y\",{\"B\":null}],\"c\":true,"
			  "\"d\":0}");
	cr_assert(!json_equal(v, other), "keys matter");
	json_free(other);
	other = parse_str("{\"a\":[1,\"x\\u0000y\",{\"b\":null}],\"c\":true}");
	cr_assert(!json_equal(v, other), "member count matters");
	json_free(other);
	cr_assert(!json_equal(json_get(v, "c"), json_get(v, "d")));
	json_free(d);
	json_free(v);
}

/* Builds a locale whose decimal point is ',' under dir (localedef takes
 * ~0.2 s for this one-category definition) and switches LC_NUMERIC to it. */
static void comma_locale(const char *dir)
{
	char def[256];
	char out[256];
	FILE *f;
	pid_t pid;
	int st;

	cr_assert_lt(snprintf(def, sizeof(def), "%s/comma.def", dir),
		     (int)sizeof(def));
	cr_assert_lt(snprintf(out, sizeof(out), "%s/comma", dir),
		     (int)sizeof(out));
	f = fopen(def, "we");
	cr_assert_not_null(f);
	fputs("LC_CTYPE\ncopy \"POSIX\"\nEND LC_CTYPE\nLC_NUMERIC\n"
	      "decimal_point \"<U002C>\"\nthousands_sep \"\"\ngrouping -1\n"
	      "END LC_NUMERIC\n",
	      f);
	cr_assert_eq(fclose(f), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		dup2(null, 1);
		dup2(null, 2);
		execlp("localedef", "localedef", "-c", "-i", def, "-f",
		       "ANSI_X3.4-1968", out, (char *)NULL);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) != 127, "localedef");
	cr_assert_eq(setenv("LOCPATH", dir, 1), 0);
	cr_assert_not_null(setlocale(LC_NUMERIC, "comma"));
	cr_assert_str_eq(localeconv()->decimal_point, ",");
}

Test(json, numbers_ignore_the_locale)
{
	char dir[] = "/tmp/akios-json-XXXXXX";
	struct json *v;
	char *out;

	cr_assert_not_null(mkdtemp(dir));
	comma_locale(dir);
	v = parse_str("[1.5,-2.25e1,0.1,1e-7,3,1e300]");
	cr_assert_eq(json_at(v, 0)->num, 1.5);
	cr_assert_eq(json_at(v, 1)->num, -22.5);
	cr_assert_eq(json_at(v, 2)->num, 0.1);
	cr_assert(json_push(v, json_new_number(1.0 / 3)));
	out = json_print(v);
	cr_assert_str_eq(out, "[1.5,-22.5,0.1,1e-07,3,1e+300,"
			      "0.33333333333333331]");
	free(out);
	json_free(v);
	test_rmtree(dir);
	cr_assert_neq(access(dir, F_OK), 0, "%s left behind", dir);
}

Test(json, validate_agrees_on_a_big_document)
{
	/* 200000 members (a tree of them is not kept: not measured here) */
	const char *ok = "{\"a\":[1,{\"b\":\"\\u00e9\"}]}";
	size_t n = 200000;
	char *s = malloc(3 * n + 2);
	struct json_error err;

	s[0] = '[';
	for (size_t i = 0; i < n; i++)
		memcpy(s + 1 + 3 * i, "{},", 3);
	s[3 * n] = ']';
	cr_assert_eq(json_validate(s, 3 * n + 1, &err), 0);
	cr_assert_null(err.msg);
	cr_assert_eq(json_validate(ok, strlen(ok), NULL), 0);
	cr_assert_eq(json_validate(NULL, 0, NULL), -EINVAL);
	s[3 * n] = ',';
	cr_assert_eq(json_validate(s, 3 * n + 1, &err), -EINVAL);
	cr_assert_str_eq(err.msg, "unexpected end of input");
	cr_assert_eq(err.offset, 3 * n + 1);
	free(s);
}

Test(json, keys_are_escaped_and_round_trip)
{
	struct json *o = json_new_object();
	struct json *back;
	char *out;

	cr_assert_not_null(json_add_num(o, "q\"b\\s\n\x01\xc3\xa9", 1));
	out = json_print(o);
	cr_assert_str_eq(out, "{\"q\\\"b\\\\s\\n\\u0001\xc3\xa9\":1}");
	back = parse_str(out);
	cr_assert(json_equal(o, back));
	cr_assert_not_null(json_get(back, "q\"b\\s\n\x01\xc3\xa9"));
	free(out);
	out = json_print_pretty(back);
	cr_assert_str_eq(out, "{\n  \"q\\\"b\\\\s\\n\\u0001\xc3\xa9\": 1\n}");
	free(out);
	json_free(back);
	json_free(o);
}
