/* Fuzzes akios's JSON parser and printers (shared/json*.c). Traps unless:
 * a failed parse reports an offset within the input, and json_parse_prefix
 * agrees with json_parse; a parsed document prints (compact and pretty)
 * to text that parses back to an equal tree, compact printing is a fixed
 * point, json_dup is equal, and cJSON accepts it as the same tree;
 * json_validate always agrees with json_parse. */
#include "shared/common.h"
#include "shared/json.h"
#include "tests/fuzz/json_oracle.h"

#include <errno.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

static void rejected(const char *in, size_t len, const struct json_error *e)
{
	struct json_error pe;
	size_t end = 0;
	struct json *v = json_parse_prefix(in, len, &end, &pe);

	check(e->msg && e->offset <= len);
	if (strcmp(e->msg, "trailing characters") != 0) {
		check(!v && pe.msg == e->msg && pe.offset == e->offset);
		return;
	}
	check(v && end <= e->offset && e->offset < len);
	json_free(v);
}

/* text parses to a tree equal to v; returns that tree. */
static struct json *reparse(const struct json *v, const char *text)
{
	struct json_error e;
	struct json *w;

	check(text != NULL);
	w = json_parse(text, strlen(text), &e);
	check(w && json_equal(v, w));
	return w;
}

static void accepted(const struct json *v, const char *in, size_t len)
{
	char *t = json_print(v);
	struct json *w = reparse(v, t);
	char *t2 = json_print(w);
	char *p = json_print_pretty(v);
	struct json *pw = reparse(v, p);
	struct json *d = json_dup(v);
	size_t end = 0;
	struct json *pv = json_parse_prefix(in, len, &end, NULL);

	check(t2 && strcmp(t, t2) == 0);
	check(d && json_equal(v, d));
	check(pv && json_equal(v, pv) && end <= len);
	check(json_oracle_agrees(v, in, len));
	json_free(pv);
	json_free(d);
	json_free(pw);
	free(p);
	free(t2);
	json_free(w);
	free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	struct json_error e = {0};
	struct json *v = json_parse(in, size, &e);
	struct json_error ve = {0};
	int rc = json_validate(in, size, &ve);

	check(v ? rc == 0 && !ve.msg
		: rc == -EINVAL && ve.msg == e.msg && ve.offset == e.offset);
	if (v)
		accepted(v, in, size);
	else
		rejected(in, size, &e);
	json_free(v);
	return 0;
}
