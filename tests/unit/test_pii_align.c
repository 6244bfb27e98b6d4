/* The scan's result must not depend on where the input sits in memory.
 * Vectorscan 5.4.9's AVX-512 scan path (what hs_scan dispatches to on an
 * AVX-512 CPU) misses matches at some addresses; shared/pii/pii_hs.c
 * picks the AVX2 path instead. These tests replay fuzz_pii's reproducer
 * at every address offset 0..63, through libhs and through the engine. */
#include "shared/common.h"
#include "shared/pii/pii.h"
#include "shared/pii/pii_hs.h"

#include <criterion/criterion.h>

/* tests/fuzz/corpus/fuzz_pii/regress-align-phone without its 9-byte
 * harness header: the AVX-512 path misses the `\b0...` phone row on it
 * at 21 of the 64 offsets in a cache line. */
static const char repro[] =
    "\xf2\xf2\xf2\xf2\xf2\xf2\xf2"
    "0555\xff\xff\xff\xff\xff\xff\xff\xff"
    "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
    "\xff\xff\xff\xff\xff\xff\xff, \x00\xff\xf7\xff\xff\xff\xff\xff"
    "\xff-----BEGIN PRIVATE KEY-----\x0eMmail a.b@ex\xf2\xff\xf2\xf2"
    "\xf2\xf2\xf2"
    "0555 1111 1111, mail \xff";

static const char phone0[] = "\\b0[1-9]\\d{1,4}(?:[ /-]?\\d{2,5}){1,3}\\b";

static char area[sizeof(repro) + 128] __attribute__((aligned(64)));

static int count(unsigned id, unsigned long long from, unsigned long long to,
		 unsigned flags, void *ctx)
{
	(void)id;
	(void)from;
	(void)flags;
	if (to == 114) /* the end of "0555 1111 1111" */
		++*(int *)ctx;
	return 0;
}

/* The scan function the engine uses finds the phone at every offset. */
Test(pii_align, libhs_scan_path_finds_repro_everywhere)
{
	struct pii_hs hs;
	hs_database_t *db = NULL;
	hs_scratch_t *scratch = NULL;
	hs_compile_error_t *ce = NULL;

	cr_assert_eq(memcmp(repro + 100, "0555 1111 1111", 14), 0);
	cr_assert_eq(pii_hs_load(&hs, NULL), 0);
	if (__builtin_cpu_supports("avx2"))
		cr_assert(hs.scan_exact, "Debian's fat libhs has avx2_hs_scan");
	cr_assert_eq(hs.compile_multi((const char *const[]){phone0},
				      (const unsigned[]){HS_FLAG_SOM_LEFTMOST},
				      (const unsigned[]){0}, 1, HS_MODE_BLOCK,
				      hs.platform, &db, &ce),
		     HS_SUCCESS);
	cr_assert_eq(hs.alloc_scratch(db, &scratch), HS_SUCCESS);
	for (int a = 0; a < 64 && hs.scan_exact; a++) {
		int found = 0;

		memcpy(area + a, repro, sizeof(repro) - 1);
		cr_assert_eq(hs.scan(db, area + a, sizeof(repro) - 1, 0,
				     scratch, count, &found),
			     HS_SUCCESS);
		cr_assert_eq(found, 1, "address offset %d: %d matches", a,
			     found);
	}
	hs.free_scratch(scratch);
	hs.free_database(db);
	pii_hs_unload(&hs);
}

/* The engine redacts the reproducer alike at every offset, and the
 * phone number is gone each time. */
static void engine_output_is_address_free(void)
{
	struct pii_config cfg = {.mode = PII_MODE_BALANCED};
	struct pii_engine *eng = NULL;
	struct akios_buf first;

	cr_assert_eq(pii_engine_new(&cfg, &eng, NULL), 0);
	akios_buf_init(&first, 1 << 16);
	for (int a = 0; a < 64; a++) {
		struct akios_buf out;

		memcpy(area + a, repro, sizeof(repro) - 1);
		akios_buf_init(&out, 1 << 16);
		cr_assert_eq(pii_redact_buffer(eng, area + a, sizeof(repro) - 1,
					       &out, NULL, NULL),
			     0);
		cr_assert(memmem(out.ptr, out.len, "1111", 4) == NULL,
			  "address offset %d: phone left", a);
		if (a == 0)
			cr_assert_eq(akios_buf_append(&first, out.ptr, out.len),
				     0);
		cr_assert_eq(out.len, first.len, "address offset %d", a);
		cr_assert_eq(memcmp(out.ptr, first.ptr, out.len), 0,
			     "address offset %d", a);
		akios_buf_free(&out);
	}
	akios_buf_free(&first);
	pii_engine_free(eng);
}

Test(pii_align, engine_output_is_address_free)
{
	engine_output_is_address_free();
}

/* The fallback for a libhs without per-ISA entry points: hs_scan (the
 * AVX-512 path on such a CPU) over a copy at an input-congruent address,
 * twice, half a line apart. Test builds select it by environment. */
Test(pii_align, fallback_double_scan_is_address_free)
{
	struct pii_hs hs;

	cr_assert_eq(setenv("AKIOS_TEST_PII_HS_SCAN", "1", 1), 0);
	cr_assert_eq(pii_hs_load(&hs, NULL), 0);
	cr_assert_eq(hs.platform, NULL);
	pii_hs_unload(&hs);
	engine_output_is_address_free();
}
