/* json: akios's own JSON document model, parser and printer (RFC 8259).
 * A tree of heap nodes: objects and arrays keep their members as a singly
 * linked list in insertion order (an object's duplicate keys are kept;
 * lookups return the first). Strings are stored with their length, so a
 * \u0000 survives a parse/print round trip. Every constructor returns NULL
 * when out of memory, and every json_add* frees the item it could not
 * attach, so a caller can chain adds and check once. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum json_type {
	JSON_NULL,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json {
	struct json *next;  /* next member of the parent array/object */
	struct json *child; /* first member (arrays and objects) */
	struct json *last;  /* last member: appends are O(1) */
	char *key;	    /* member name when inside an object, else NULL */
	char *str;	    /* JSON_STRING: NUL-terminated copy ... */
	size_t len;	    /* ... and its length (may hold NULs) */
	double num;	    /* JSON_NUMBER */
	enum json_type type;
};

/* Where a parse failed: byte offset into the input and a fixed message. */
struct json_error {
	size_t offset;
	const char *msg;
};

/* Nesting deeper than this is refused by the parser and the printer. */
#define JSON_MAX_DEPTH 512u

/* --- construction ------------------------------------------------------ */
struct json *json_new_object(void);
struct json *json_new_array(void);
struct json *json_new_string(const char *s); /* NULL s -> NULL */
struct json *json_new_string_len(const char *s, size_t len);
struct json *json_new_number(double v);
struct json *json_new_bool(bool v);
struct json *json_new_null(void);
/* A deep copy (keys included for the copy's members, not for the root).
 * NULL on OOM or when v nests deeper than JSON_MAX_DEPTH. */
struct json *json_dup(const struct json *v);
/* Frees v and everything under it; NULL is fine. v must be detached. */
void json_free(struct json *v);

/* Attach item as obj[key] (key copied). Returns item, or NULL (item freed)
 * when obj is not an object, item or key is NULL, or memory runs out. */
struct json *json_add(struct json *obj, const char *key, struct json *item);
/* Shorthands: create and attach; the new member, or NULL. */
struct json *json_add_str(struct json *obj, const char *key, const char *s);
struct json *json_add_num(struct json *obj, const char *key, double v);
struct json *json_add_bool(struct json *obj, const char *key, bool v);
struct json *json_add_null(struct json *obj, const char *key);
struct json *json_add_object(struct json *obj, const char *key);
struct json *json_add_array(struct json *obj, const char *key);
/* Append item to an array. Returns item, or NULL (item freed). */
struct json *json_push(struct json *arr, struct json *item);
/* An array of copies of the n strings (n may be 0); NULL on OOM. */
struct json *json_new_string_array(const char *const *s, size_t n);

/* Replace a string's or number's value in place; -ENOMEM / -EINVAL. */
int json_set_str(struct json *v, const char *s);
int json_set_num(struct json *v, double n);

/* --- access -------------------------------------------------------------- */
/* obj's first member named key (exact, case-sensitive), or NULL (also
 * when obj is NULL or not an object). */
struct json *json_get(const struct json *obj, const char *key);
/* The member's string when it is a string, else NULL. */
const char *json_get_str(const struct json *obj, const char *key);
/* Unlinks and returns obj[key] (the caller owns it), or NULL. */
struct json *json_detach(struct json *obj, const char *key);
/* Detach and free obj[key]; true when there was one. */
bool json_remove(struct json *obj, const char *key);
size_t json_size(const struct json *v); /* members of an array/object */
struct json *json_at(const struct json *arr, size_t i);
/* Same type and value; objects member by member in order, keys included.
 * Numbers compare with == (-0 equals 0). False past JSON_MAX_DEPTH. */
bool json_equal(const struct json *a, const struct json *b);

#define json_for_each(el, parent)                                              \
	for (struct json *el = (parent) ? (parent)->child : NULL; el;          \
	     el = el->next)

static inline bool json_is_null(const struct json *v)
{
	return v && v->type == JSON_NULL;
}
static inline bool json_is_bool(const struct json *v)
{
	return v && (v->type == JSON_TRUE || v->type == JSON_FALSE);
}
static inline bool json_is_true(const struct json *v)
{
	return v && v->type == JSON_TRUE;
}
static inline bool json_is_number(const struct json *v)
{
	return v && v->type == JSON_NUMBER;
}
static inline bool json_is_string(const struct json *v)
{
	return v && v->type == JSON_STRING;
}
static inline bool json_is_array(const struct json *v)
{
	return v && v->type == JSON_ARRAY;
}
static inline bool json_is_object(const struct json *v)
{
	return v && v->type == JSON_OBJECT;
}

/* --- text ---------------------------------------------------------------- */
/* Parse exactly one value from text[0..len) (no NUL needed); whitespace may
 * surround it, anything else after it is an error. NULL on failure with
 * *err (may be NULL) set; out of memory reports offset 0, "out of memory".
 * err->offset is the offending byte (len at the end of input, the opening
 * quote of an unterminated string); err->msg is a static string, NULL on
 * success. Strict RFC 8259: no leading zeros, '+', NaN, hex, comments or
 * raw control characters; numbers beyond a double's range and lone
 * surrogates are errors, and so is a \u0000 in an object key (keys are C
 * strings). Bytes >= 0x80 in strings are copied unvalidated. */
struct json *json_parse(const char *text, size_t len, struct json_error *err);
/* Like json_parse, but stops after the first value and stores in *end the
 * offset just past it (trailing bytes are the caller's business). */
struct json *json_parse_prefix(const char *text, size_t len, size_t *end,
			       struct json_error *err);

/* Checks text[0..len) exactly as json_parse would, without keeping the
 * tree: memory follows the nesting depth and the longest string, not the
 * document's size. 0, -EINVAL (*err set as by json_parse) or -ENOMEM. */
int json_validate(const char *text, size_t len, struct json_error *err);

/* For callers that decode string escapes themselves (pii_json maps each
 * decoded byte back to its input offset): the four hex digits at h as a
 * UTF-16 code unit (0, or -EINVAL for a non-hex digit), and code point cp
 * as UTF-8 into o (room for 4 bytes; returns how many were written). */
int json_hex4(const char *h, unsigned *v);
size_t json_put_utf8(unsigned cp, char *o);

/* Compact text (no whitespace), malloc'd, NUL-terminated; NULL on OOM or
 * nesting deeper than JSON_MAX_DEPTH. Numbers: integral values up to 2^53
 * as integers, others in the shortest of %.15g/%.17g that reads back
 * exactly; NaN and infinities print as null. Non-ASCII bytes are copied,
 * control characters, '"' and '\\' escaped. */
char *json_print(const struct json *v);
/* The same with two-space indentation and "key": value, for people; one
 * member per line, empty containers as {} and [], no final newline. */
char *json_print_pretty(const struct json *v);
