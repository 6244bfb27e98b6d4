/* The digit rows are scanned with their pieces joined into one buffer
 * (pii_scan.c scan_joined); the former path, one Vectorscan call per
 * piece, stays as the reference. Both must redact byte for byte alike,
 * with the same findings, on the labeled quality corpus and the bench
 * text (tests/fixtures/pii_corpus.py), in every mode, whole and
 * streamed. */
#include "shared/common.h"
#include "shared/buf.h"
#include "shared/fileio.h"
#include "shared/pii/pii.h"
#include "shared/pii/pii_int.h"
#include "tests/lib/testlib.h"

#include <criterion/criterion.h>
#include <stdio.h>

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

	pii_engine_digits_apart(eng, apart);
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
	char path[520];
	char *argv[12] = {"python3", "tests/fixtures/pii_corpus.py", "--out",
			  out};
	struct test_run r;
	int k = 4;

	snprintf(out, sizeof(out), "%s/%s", dir, name);
	while (*args && k < 11)
		argv[k++] = *args++;
	argv[k] = NULL;
	cr_assert_eq(test_run(argv, NULL, 0, NULL, 60, &r), 0);
	cr_assert_eq(r.status, 0, "pii_corpus.py: %s", r.err);
	test_run_free(&r);
	/* --items writes PREFIX.txt, --filler writes the file itself */
	snprintf(path, sizeof(path), "%s.txt", out);
	if (access(path, F_OK) != 0)
		snprintf(path, sizeof(path), "%s", out);
	akios_buf_init(text, 1u << 24);
	cr_assert_eq(fileio_read_all(path, text, NULL), 0);
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
