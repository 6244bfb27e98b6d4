/* Fault injection for the JSON module (STYLE.md §33): this test program
 * interposes malloc, calloc, realloc and free so that the Nth allocation
 * fails, loops N over parsing, validating, printing, copying and building,
 * and checks every failure comes back as NULL, "out of memory" or -ENOMEM
 * with as many blocks live afterwards as before (no leak: LeakSanitizer's
 * reports from Criterion's test processes do not fail a test). */
#include "shared/common.h"
#include "shared/json.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdatomic.h>

/* The allocator underneath: ASan's in make asan, glibc's otherwise. */
#ifdef __SANITIZE_ADDRESS__
#define REAL(f) __interceptor_##f
#else
#define REAL(f) __libc_##f
#endif
void *REAL(malloc)(size_t n);
void *REAL(calloc)(size_t n, size_t m);
void *REAL(realloc)(void *p, size_t n);
void REAL(free)(void *p);

static atomic_long countdown = -1; /* allocations before the failing one */
static atomic_bool injected;
static atomic_long live; /* blocks from these functions not yet freed */

static bool fail_now(void)
{
	if (atomic_load(&countdown) < 0)
		return false;
	if (atomic_fetch_sub(&countdown, 1) != 0)
		return false;
	atomic_store(&injected, true);
	return true;
}

static void *counted(void *p)
{
	if (p)
		atomic_fetch_add(&live, 1);
	return p;
}

void *malloc(size_t n)
{
	return fail_now() ? NULL : counted(REAL(malloc)(n));
}

void *calloc(size_t n, size_t m)
{
	return fail_now() ? NULL : counted(REAL(calloc)(n, m));
}

void *realloc(void *p, size_t n)
{
	void *q;

	if (fail_now())
		return NULL;
	q = REAL(realloc)(p, n);
	return p ? q : counted(q);
}

/* Blocks from other allocators (none in the code under test) would
 * skew the count; the checks compare counts around JSON calls only. */
void free(void *p)
{
	if (p)
		atomic_fetch_sub(&live, 1);
	REAL(free)(p);
}

static atomic_long base; /* live blocks when armed */

static void arm(long n)
{
	atomic_store(&base, atomic_load(&live));
	atomic_store(&injected, false);
	atomic_store(&countdown, n);
}

/* Disarms; true when the armed allocation was reached and failed. */
static bool disarm(void)
{
	atomic_store(&countdown, -1);
	return atomic_load(&injected);
}

/* Blocks allocated since arm() and still live: call after freeing the
 * results, before any assertion (Criterion may allocate). */
static long leaked(void)
{
	return atomic_load(&live) - atomic_load(&base);
}

static const char doc[] =
    "{\"v\":1,\"ts\":\"2026-11-29T22:00:00Z\",\"argv\":[\"/bin/true\","
    "\"-x\"],\"s\":\"caf\\u00e9 \\ud83d\\ude00\",\"n\":[-0.5,1e3,null,true,"
    "false],\"o\":{\"k\":{\"deep\":[[],{}]}}}";

/* Parses (or validates) with the nth allocation failing: 1 when the
 * failure hit and was reported, 0 when nothing failed and the tree is
 * right, -1 otherwise. */
static int parse_once(long n, const struct json *ref, bool validate)
{
	struct json_error e = {0};
	struct json *v = NULL;
	int rc = 0;
	bool hit;
	bool ok;
	long lost;

	arm(n);
	if (validate)
		rc = json_validate(doc, sizeof(doc) - 1, &e);
	else
		v = json_parse(doc, sizeof(doc) - 1, &e);
	hit = disarm();
	if (validate)
		ok = hit ? rc == -ENOMEM && strcmp(e.msg, "out of memory") == 0
			 : rc == 0;
	else
		ok = hit ? !v && strcmp(e.msg, "out of memory") == 0 &&
			       e.offset == 0
			 : json_equal(v, ref);
	json_free(v);
	lost = leaked();
	cr_assert_eq(lost, 0, "allocation %ld: %ld blocks leaked", n, lost);
	cr_assert(ok, "allocation %ld (validate %d)", n, validate);
	return hit;
}

Test(json_oom, parse_and_validate)
{
	struct json *ref = json_parse(doc, sizeof(doc) - 1, NULL);
	long n = 0;

	cr_assert_not_null(ref);
	while (parse_once(n, ref, false))
		n++;
	cr_assert_gt(n, 20, "only %ld allocations", n);
	for (n = 0; parse_once(n, ref, true);)
		n++;
	cr_assert_gt(n, 5, "only %ld allocations", n);
	json_free(ref);
}

/* One armed print or copy; true when the failure did not hit. */
static bool print_once(long n, int what, const struct json *v, const char *want)
{
	char *t = NULL;
	struct json *d = NULL;
	bool hit;
	bool ok;
	long lost;

	arm(n);
	if (what == 2)
		d = json_dup(v);
	else
		t = what ? json_print_pretty(v) : json_print(v);
	hit = disarm();
	if (what == 2)
		ok = hit ? !d : json_equal(d, v);
	else
		ok = hit ? !t : t && strcmp(t, want) == 0;
	free(t);
	json_free(d);
	lost = leaked();
	cr_assert_eq(lost, 0, "allocation %ld: %ld blocks leaked", n, lost);
	cr_assert(ok, "allocation %ld (%d)", n, what);
	return !hit;
}

Test(json_oom, print_and_dup)
{
	struct json *ref = json_parse(doc, sizeof(doc) - 1, NULL);
	char *want = json_print(ref);
	char *want_pretty = json_print_pretty(ref);

	for (long n = 0; !print_once(n, 0, ref, want); n++)
		;
	for (long n = 0; !print_once(n, 1, ref, want_pretty); n++)
		;
	for (long n = 0; !print_once(n, 2, ref, NULL); n++)
		;
	free(want);
	free(want_pretty);
	json_free(ref);
}

/* A caller's chain of adds: every failure frees what it could not attach,
 * and the object either is complete or misses members, never crashes. */
static struct json *build(void)
{
	const char *const names[] = {"a", "b", "c"};
	struct json *o = json_new_object();
	struct json *a = json_add_array(o, "list");

	json_add_str(o, "s", "text");
	json_add_num(o, "n", 2.5);
	json_add_bool(o, "b", true);
	json_add_null(o, "z");
	json_add_object(o, "o");
	json_push(a, json_new_string_len("x\0y", 3));
	json_push(a, json_new_number(1));
	json_add(o, "names", json_new_string_array(names, 3));
	if (json_set_str(json_get(o, "s"), "other") == -ENOMEM)
		json_remove(o, "s");
	return o;
}

Test(json_oom, builders)
{
	struct json *ref = build();
	long n = 0;

	cr_assert_eq(json_size(ref), 7);
	for (;; n++) {
		struct json *o;
		bool hit;
		bool same;
		long lost;

		arm(n);
		o = build();
		hit = disarm();
		same = json_equal(o, ref);
		json_free(o);
		lost = leaked();
		cr_assert_eq(lost, 0, "allocation %ld: %ld blocks leaked", n,
			     lost);
		/* every failure shows: a member or an element is missing */
		cr_assert_eq(same, !hit, "allocation %ld", n);
		if (!hit)
			break;
	}
	cr_assert_gt(n, 15, "only %ld allocations", n);
	json_free(ref);
}
