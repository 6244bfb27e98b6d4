/* The digit rows are matched in C (pii_digits.c); the former path,
 * Vectorscan over each digit piece, stays as the reference. Both must
 * report the same raw matches (row, leftmost start, end) and redact byte
 * for byte alike, with the same findings, on the labeled quality corpus
 * and the bench text (tests/fixtures/pii_corpus.py), in every mode, whole
 * and streamed, and on crafted edge cases. */
#include "shared/common.h"
#include "shared/buf.h"
#include "shared/fileio.h"
#include "shared/pii/pii.h"
#include "shared/pii/pii_int.h"
#include "tests/lib/testlib.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <sys/platform/x86.h>

/* Every finding as text, in order. */
static int note(void *ctx, const struct pii_finding *f)
{
	return akios_buf_appendf(ctx, "%s %llu %llu\n", f->pattern,
				 (unsigned long long)f->offset,
				 (unsigned long long)f->length);
}

static void redact(struct pii_engine *eng, bool apart, bool streamed,
		   const struct akios_buf *in, struct akios_buf *out,
		   struct akios_buf *found)
{
	struct pii_stream *st = NULL;

	cr_assert_eq(pii_engine_reference(eng, apart), 0);
	akios_buf_init(out, 64 * in->len + 4096);
	akios_buf_init(found, 1u << 26);
	if (!streamed) {
		cr_assert_eq(
		    pii_redact_buffer(eng, in->ptr, in->len, out, note, found),
		    0);
		return;
	}
	cr_assert_eq(pii_stream_new(eng, note, found, &st), 0);
	for (size_t off = 0; off < in->len; off += 65536) {
		size_t n = in->len - off < 65536 ? in->len - off : 65536;

		cr_assert_eq(pii_stream_feed(st, in->ptr + off, n, out), 0);
	}
	cr_assert_eq(pii_stream_finish(st, out), 0);
	pii_stream_free(st);
}

static size_t count_lines(const struct akios_buf *b)
{
	size_t n = 0;

	for (size_t i = 0; i < b->len; i++)
		n += b->ptr[i] == '\n';
	return n;
}

/* The raw matches of both paths over text[0..len), one window. */
static size_t same_raw(struct pii_engine *eng, const char *text, size_t len)
{
	const struct pii_raw *r;
	struct pii_raw *ref;
	size_t n_ref;
	size_t n;

	cr_assert_eq(pii_digit_matches(eng, text, len, true, &r, &n_ref), 0);
	ref = malloc(n_ref * sizeof(*ref) + 1);
	cr_assert_not_null(ref);
	if (n_ref) /* no matches yet: r may be NULL */
		memcpy(ref, r, n_ref * sizeof(*ref));
	cr_assert_eq(pii_digit_matches(eng, text, len, false, &r, &n), 0);
	cr_assert_eq(n, n_ref, "raw matches: %zu in C, %zu by Vectorscan", n,
		     n_ref);
	for (size_t i = 0; i < n; i++)
		cr_assert(r[i].idx == ref[i].idx && r[i].s == ref[i].s &&
			      r[i].e == ref[i].e,
			  "raw match %zu: row %u [%u, %u) in C, row %u "
			  "[%u, %u) by Vectorscan",
			  i, r[i].idx, r[i].s, r[i].e, ref[i].idx, ref[i].s,
			  ref[i].e);
	free(ref);
	return n;
}

/* Raw matches over windows of 64 KiB (as a stream's rounds see). */
static size_t same_raw_windows(struct pii_engine *eng,
			       const struct akios_buf *in)
{
	size_t n = 0;

	for (size_t off = 0; off < in->len; off += 65536)
		n += same_raw(eng, in->ptr + off,
			      in->len - off < 65536 ? in->len - off : 65536);
	return n;
}

/* Both paths on one text in one mode; returns how many findings. */
static size_t compare(const struct akios_buf *in, enum pii_mode mode,
		      bool streamed)
{
	struct pii_config cfg = {.mode = mode};
	struct pii_engine *eng = NULL;
	struct akios_buf out[2];
	struct akios_buf found[2];
	size_t n;

	cr_assert_eq(pii_engine_new(&cfg, &eng, NULL), 0);
	cr_assert_not_null(pii_engine_view(eng)->digits,
			   "mode %d: no C matcher", (int)mode);
	if (!streamed)
		cr_assert_gt(same_raw_windows(eng, in), 0u);
	redact(eng, false, streamed, in, &out[0], &found[0]);
	redact(eng, true, streamed, in, &out[1], &found[1]);
	cr_assert_eq(out[0].len, out[1].len, "mode %d: output lengths differ",
		     (int)mode);
	cr_assert(out[0].len == 0 ||
		      memcmp(out[0].ptr, out[1].ptr, out[0].len) == 0,
		  "mode %d: outputs differ", (int)mode);
	cr_assert_eq(found[0].len, found[1].len);
	cr_assert(found[0].len == 0 ||
		      memcmp(found[0].ptr, found[1].ptr, found[0].len) == 0,
		  "mode %d: findings differ", (int)mode);
	n = count_lines(&found[0]);
	for (int i = 0; i < 2; i++) {
		akios_buf_free(&out[i]);
		akios_buf_free(&found[i]);
	}
	pii_engine_free(eng);
	return n;
}

/* Writes the generator's text to dir/name and reads it back. */
static void generate(const char *dir, const char *name, char *const args[],
		     struct akios_buf *text)
{
	char out[512];

	snprintf(out, sizeof(out), "%s/%s", dir, name);
	cr_assert_eq(test_pii_corpus(out, args, text), 0);
}

static void both_paths_on(char *const args[], size_t min_found)
{
	char *dir = test_tmpdir("akios-pii-digits");
	struct akios_buf text;

	generate(dir, "text", args, &text);
	cr_assert_gt(text.len, 100000u);
	for (int mode = PII_MODE_STRICT; mode <= PII_MODE_AGGRESSIVE; mode++) {
		cr_assert_geq(compare(&text, (enum pii_mode)mode, false),
			      min_found);
		cr_assert_geq(compare(&text, (enum pii_mode)mode, true),
			      min_found);
	}
	akios_buf_free(&text);
	test_rmtree(dir);
	free(dir);
}

Test(pii_digits, quality_corpus_same_both_paths, .timeout = 120)
{
	char *const args[] = {"--items", "4000", "--seed", "3", NULL};

	both_paths_on(args, 1000);
}

Test(pii_digits, bench_text_same_both_paths, .timeout = 120)
{
	char *const args[] = {"--filler", "1048576", "--seed", "2", NULL};

	both_paths_on(args, 300);
}

/* The class masks by SSE2 (sse2) or the best the CPU has. */
static void use_sse2(struct pii_engine *eng, bool sse2)
{
	struct pii_digits *d = pii_engine_view(eng)->digits;

	cr_assert_not_null(d);
	d->avx512 = !sse2 && CPU_FEATURE_ACTIVE(AVX512F) &&
		    CPU_FEATURE_ACTIVE(AVX512BW);
}

/* pii_digits.c looks at the text in 64-byte blocks, from each digit's
 * block back to the one holding its lead: every shape, with the longest
 * lead (29 bytes of context before the first digit) and none, shifted
 * across the block edges at 64 and 128 and cut at the text's end, after
 * padding that is a word, a digit run, spaces or non-ASCII bytes. */
static void block_edges_same_raw_matches(bool sse2)
{
	static const char *const shapes[] = {
	    "Date of Birth  :   September 30, 1990",
	    "routing number #: 021000021 account no. 12345678",
	    "4111 1111 1111 1111",
	    "+1 (555) 123-4567 +44 20 7946 0958",
	    "DE89 3704 0044 0532 0130 00",
	    "SSN 123-45-6789 192.168.1.1",
	};
	static const char pads[] = "x7 \xff";
	char text[256];

	for (int mode = PII_MODE_STRICT; mode <= PII_MODE_AGGRESSIVE; mode++) {
		struct pii_config cfg = {.mode = (enum pii_mode)mode};
		struct pii_engine *eng = NULL;
		size_t n = 0;

		cr_assert_eq(pii_engine_new(&cfg, &eng, NULL), 0);
		use_sse2(eng, sse2);
		for (size_t i = 0; i < AKIOS_ARRAY_SIZE(shapes); i++) {
			size_t len = strlen(shapes[i]);

			for (size_t p = 0; p + 1 < sizeof(pads); p++) {
				for (size_t k = 0; k <= 140; k++) {
					memset(text, pads[p], k);
					memcpy(text + k, shapes[i], len);
					memset(text + k + len, pads[p], 8);
					n += same_raw(eng, text, k + len + p);
					n += same_raw(eng, text, k + len / 2);
				}
			}
		}
		cr_assert_gt(n, 1000u, "mode %d: too few matches", mode);
		pii_engine_free(eng);
	}
}

/* Edge cases for the parser's semantics: \s with \v, \b next to
 * non-ASCII bytes and '_', caseless context words, matches at the very
 * start and end of the text, overlapping shapes, 0xff bytes. sse2: the
 * class masks without AVX-512 (what a CPU without it runs). */
static void crafted_edges_same_raw_matches(bool sse2)
{
	static const char *const texts[] = {
	    "4111 1111 1111 1111",
	    "x4111-1111-1111-1111_ 4111 1111 1111 1111\xe9"
	    "1",
	    "SSN\v123-45-6789 ssn: 123456789 Social Security No. 078051120",
	    "routing #: 021000021 ACCOUNT NUMBER = 12345678901 a/c 9876543",
	    "dob: 01/02/1990 D.O.B. 1990-01-02 born on March 3, 1990 "
	    "Date of Birth 3 March 1990",
	    "+1 (555) 123-4567 +44 20 7946 0958 0049 30 901820 030 1234567",
	    "(555)123-4567 555.123.4567 5551234567 +15551234567",
	    "192.168.1.1 10.0.0.256 1.2.3.4.5 GB82 WEST 1234 5698 7654 32",
	    "DE89370400440532013000 CVV 123 cvc2: 9876 NHS 943 476 5919",
	    "npi 1234567893 SIN 046 454 286 AB123456C QQ 12 34 56 C",
	    "1 85 05 78 006 084 91 2 69 05 49 588 157 80 12345678Z "
	    "X1234567L RSSMRA85T10A562S ABCDE1234F 123.456.789-09",
	    "S1234567D 1EG4-TE5-MK73 AB1234563 12-3456789 912-70-1234",
	    "1BoatSLRHtKNngkdXEeobR76b53LETtpyT 12345678:AAEhBOweik6ad"
	    "9r_QXMENQjcrGbqCr4K-bs 2123 4567 8901",
	    "\xff"
	    "4111111111111111\xff 9999999999999999999999 12",
	    "0123456789",
	};
	for (int mode = PII_MODE_STRICT; mode <= PII_MODE_AGGRESSIVE; mode++) {
		struct pii_config cfg = {.mode = (enum pii_mode)mode};
		struct pii_engine *eng = NULL;
		size_t n = 0;

		cr_assert_eq(pii_engine_new(&cfg, &eng, NULL), 0);
		use_sse2(eng, sse2);
		for (size_t i = 0; i < AKIOS_ARRAY_SIZE(texts); i++) {
			n += same_raw(eng, texts[i], strlen(texts[i]));
			/* every cut of the text, so matches meet both ends */
			for (size_t k = 1; k < strlen(texts[i]); k++) {
				n += same_raw(eng, texts[i], k);
				n += same_raw(eng, texts[i] + k,
					      strlen(texts[i]) - k);
			}
		}
		cr_assert_gt(n, 100u, "mode %d: too few matches", mode);
		pii_engine_free(eng);
	}
	block_edges_same_raw_matches(sse2);
}

Test(pii_digits, crafted_edges_same_raw_matches, .timeout = 120)
{
	crafted_edges_same_raw_matches(false);
}

Test(pii_digits, crafted_edges_sse2_masks_same_raw_matches, .timeout = 120)
{
	crafted_edges_same_raw_matches(true);
}
