/* The rows with literal anchors are found by a C literal scan
 * (pii_lit.c); the former path, every row in Vectorscan's trigger
 * database, stays as the reference (pii_engine_reference). Both must
 * report the same raw matches (row, leftmost start, end) and redact byte
 * for byte alike, with the same findings, in every mode: on crafted
 * anchors cut at every byte, on random text made of anchor pieces, and
 * on the quality corpus and the bench text; each scan (AVX-512, AVX2,
 * scalar) too, and streaming keeps its chunking invariance. */
#include "shared/common.h"
#include "shared/buf.h"
#include "shared/fileio.h"
#include "shared/pii/pii.h"
#include "shared/pii/pii_int.h"
#include "shared/pii/pii_lit.h"
#include "tests/lib/testlib.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <sys/platform/x86.h>

static int note(void *ctx, const struct pii_finding *f)
{
	return akios_buf_appendf(ctx, "%s %llu %llu\n", f->pattern,
				 (unsigned long long)f->offset,
				 (unsigned long long)f->length);
}

static struct pii_engine *engine(int mode)
{
	struct pii_config cfg = {.mode = (enum pii_mode)mode};
	struct pii_engine *eng = NULL;

	cr_assert_eq(pii_engine_new(&cfg, &eng, NULL), 0);
	return eng;
}

/* Raw matches of the reference and of the default path (AVX-512 where the
 * CPU has it, AVX2, scalar) over text alone; returns how many. */
static size_t same_raw(struct pii_engine *eng, const char *text, size_t len)
{
	struct pii_engine_view *v = pii_engine_view(eng);
	const struct pii_raw *r;
	struct pii_raw *ref;
	size_t n_ref;
	size_t n;

	cr_assert_eq(pii_raw_matches(eng, text, len, true, &r, &n_ref), 0);
	ref = malloc(n_ref * sizeof(*ref) + 1);
	cr_assert_not_null(ref);
	memcpy(ref, r, n_ref * sizeof(*ref));
	for (int path = PII_LIT_BEST; path <= PII_LIT_SCALAR; path++) {
		v->lit_path = path;
		cr_assert_eq(pii_raw_matches(eng, text, len, false, &r, &n), 0);
		cr_assert_eq(n, n_ref,
			     "raw matches: %zu, reference %zu (scan %d)", n,
			     n_ref, path);
		for (size_t i = 0; i < n; i++)
			cr_assert(r[i].idx == ref[i].idx &&
				      r[i].s == ref[i].s && r[i].e == ref[i].e,
				  "raw match %zu: row %u [%u, %u), reference "
				  "row %u [%u, %u)",
				  i, r[i].idx, r[i].s, r[i].e, ref[i].idx,
				  ref[i].s, ref[i].e);
	}
	v->lit_path = PII_LIT_BEST;
	free(ref);
	return n;
}

/* Whole (reference or not) or streamed in chunks drawn from seed. */
static void redact(struct pii_engine *eng, bool reference, uint64_t seed,
		   const char *in, size_t len, struct akios_buf *out,
		   struct akios_buf *found)
{
	struct pii_stream *st = NULL;

	cr_assert_eq(pii_engine_reference(eng, reference), 0);
	akios_buf_init(out, 64 * len + 4096);
	akios_buf_init(found, 1u << 26);
	if (!seed) {
		cr_assert_eq(pii_redact_buffer(eng, in, len, out, note, found),
			     0);
		return;
	}
	cr_assert_eq(pii_stream_new(eng, note, found, &st), 0);
	for (size_t off = 0, n; off < len; off += n) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		n = 1 + (size_t)((seed >> 33) % (seed & 1 ? 9 : 70000));
		n = n < len - off ? n : len - off;
		cr_assert_eq(pii_stream_feed(st, in + off, n, out), 0);
	}
	cr_assert_eq(pii_stream_finish(st, out), 0);
	pii_stream_free(st);
}

static void same_buf(const struct akios_buf *a, const struct akios_buf *b,
		     const char *what)
{
	cr_assert_eq(a->len, b->len, "%s: lengths %zu and %zu", what, a->len,
		     b->len);
	cr_assert(a->len == 0 || memcmp(a->ptr, b->ptr, a->len) == 0,
		  "%s differ", what);
}

/* Reference whole, default whole, default streamed: one output, one
 * list of findings; returns how many findings. */
static size_t same_redaction(struct pii_engine *eng, const char *in, size_t len,
			     uint64_t seed)
{
	struct akios_buf out[3];
	struct akios_buf found[3];
	size_t n = 0;

	redact(eng, true, 0, in, len, &out[0], &found[0]);
	redact(eng, false, 0, in, len, &out[1], &found[1]);
	redact(eng, false, seed | 1, in, len, &out[2], &found[2]);
	cr_assert_eq(pii_engine_reference(eng, false), 0);
	for (int i = 1; i < 3; i++) {
		same_buf(&out[0], &out[i], i == 1 ? "outputs" : "streamed");
		same_buf(&found[0], &found[i], "findings");
	}
	for (size_t i = 0; i < found[0].len; i++)
		n += found[0].ptr[i] == '\n';
	for (int i = 0; i < 3; i++) {
		akios_buf_free(&out[i]);
		akios_buf_free(&found[i]);
	}
	return n;
}

/* Every anchor, in and out of case, at word boundaries and not, at the
 * ends of the text, next to \v, '_' and non-ASCII bytes. */
static const char *const crafted[] = {
    "key sk-proj-abcdefghij0123456789XYZ sk-ant-api03-abcdefghij0123456789"
    "_x Sk-abcdefghijklmnopqrstuvwxyz0123456789",
    "xsk-abcdefghijklmnopqrstuvwxyz0123456789 _ghp_"
    "abcdefghijklmnopqrstuvwxyz0123456789 ghp_"
    "abcdefghijklmnopqrstuvwxyz0123456789",
    "github_pat_abcdefghijklmnopqrstuv_abcdefghijklmnopqrstuvwxyzabcdefghij"
    "klmnopqrstuvwxyz0123456 npm_abcdefghijklmnopqrstuvwxyz0123456789",
    "glpat-abcdefghij0123456789 AKIAABCDEFGHIJKLMNOP ASIA234567ABCDEFGHIJ "
    "aKIAABCDEFGHIJKLMNOP AIzaSyA1234567890abcdefghijklmnopqrstu",
    "https://hooks.slack.com/services/T12345678/B12345678/abcdefghijklmnop"
    "qrstuvwx xoxb-1234567890 sk_live_abcdefghijklmnopqrst rk_test_"
    "abcdefghijklmnopqrstu",
    "SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyzabcdefghijklmnopq "
    "hf_abcdefghijklmnopqrstuvwxyzabcdefgh pypi-AgEIcHlwaS5vcmc"
    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwx",
    "shpat_0123456789abcdef0123456789abcdef AccountKey=abcdefghijklmnopqrst"
    "uvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl"
    "mnopqrstuv0123== eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc",
    "https://user:pa55@host.example ftp://a:b@c x://:@ AWS_SECRET = "
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123 laws sk: "
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123",
    "Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345 BASIC\v"
    "dXNlcjpwYXNzd29yZA== xbearer abcdefghijklmnopqrstuvwxyz",
    "password=hunter22 PASSWD: 'secret99' pwd=abcd passphrase:xyzw "
    "client_secret=\"abcdef\" API-KEY=1234 apikey=abcd Access_Token: wxyz "
    "authtoken=abcd secret_key=abcd _password=abcd",
    "SWIFT code: DEUTDEFF500 bic DEUTDEFF Passport No. X1234567 mrn: "
    "AB-12345 Medical Record #: 1234567 patient id 7654321",
    "a.b@example.com x@y z%+@-a fe80::1 ::1 1:2:3:4:5:6:7:8 ab:: "
    "00:1a:2b:3c:4d:5e 00-1A-2B-3C-4D-5E x00:1a:2b:3c:4d:5e",
    "\xff"
    "password=\xff\xff\xff\xff sk-\xe9 eyJ\v \xc3\xa9passport AB123456",
    "sk-abcdefghijklmnopqrstuvwxyz012345",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----",
    /* the rows run in C from their anchors (pii_anch_*): anchors inside
     * matches, repeated, overlapping, one start serving several */
    "sk-ant-sk-ant-api03-abcdefghij0123456789_x sk-proj-sk-proj-"
    "abcdefghij0123456789XYZ ghp_ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "passwordpassword=abcd password=password=abcd secret_key:secret=abcd "
    "PWD = 'x y' api_key api-key=abcd auth-token=\"abcdef\"",
    "fe80:fe80::1:2 a:b:c:d ::::: 1::2:3.4.5.6 abcd:ef01::192.168.1.1 "
    "12345:1:2:3 :a:b:c dead:beef:: ::ffff:10.0.0.1x",
    "a@b@c.d x.y@z@w ab@@cd @a.b a@b a@-b @ AKIAAKIAABCDEFGHIJKLMNOP "
    "AKIAABCDEFGHIJKLMNOPQ eyJeyJabcdefghijk.eyJabcdefghijk.x",
    "mrn mrn: 12345 MRN 1234 patient patient: AB-123456 Passport Passport "
    "No: X1234567 bic SWIFT DEUTDEFF swift code DEUTDEFFXXX1",
    "00:1a:2b:3c:4d:5e:6f 00:1a:2b:3c:4d 0:1a:2b:3c:4d:5e AIzaAIza"
    "Sy1234567890abcdefghijklmnopqrstuvw xoxb-xoxb-1234567890 hf_hf_"
    "abcdefghijklmnopqrstuvwxyzabcdef",
};

Test(pii_lit, anchored_rows_leave_the_trigger_database)
{
	for (int mode = PII_MODE_STRICT; mode <= PII_MODE_AGGRESSIVE; mode++) {
		struct pii_engine *eng = engine(mode);
		struct pii_engine_view *v = pii_engine_view(eng);

		if (__builtin_cpu_supports("avx2")) {
			cr_assert_not_null(v->lit, "mode %d", mode);
			/* every PII_SCAN_ALL row has anchors today */
			cr_assert_null(v->trigger, "mode %d", mode);
		}
		cr_assert_eq(pii_engine_reference(eng, true), 0);
		cr_assert_not_null(v->trigger_all);
		pii_engine_free(eng);
	}
}

/* The rows pii_digits.c can run (no wider than DG_BLOCK) are matched in
 * C from their anchors, and the rescan database leaves them out; the
 * others (a private key block is wider) stay in it. */
Test(pii_lit, narrow_rows_run_in_c)
{
	struct pii_engine *eng = engine(PII_MODE_AGGRESSIVE);
	struct pii_engine_view *v = pii_engine_view(eng);
	bool email = false;
	bool key = false;
	unsigned n;

	(void)pii_patterns(&n);
	cr_assert(v->lit || !CPU_FEATURE_ACTIVE(AVX2));
	if (!v->lit) { /* no AVX2: every row stays in Vectorscan */
		cr_assert_eq(v->som, v->db[PII_SCAN_ALL]);
		pii_engine_free(eng);
		return;
	}
	cr_assert_not_null(v->lit->anch);
	cr_assert_not_null(v->rest);
	cr_assert_eq(v->som, v->rest);
	/* Vectorscan ids: the PII_SCAN_ALL rows first */
	for (unsigned i = 0; i < n; i++) {
		const char *name = v->pats[v->ids[i]].name;

		if (v->pats[v->ids[i]].scan != PII_SCAN_ALL)
			break;
		email |= !strcmp(name, "email") && pii_lit_takes(v->lit, i);
		key |= !strcmp(name, "private_key") && pii_lit_takes(v->lit, i);
	}
	cr_assert(email, "the e-mail row is not matched in C");
	cr_assert(!key, "the private key row (wider than 64) is taken");
	pii_engine_free(eng);
}

Test(pii_lit, crafted_anchors_same_raw_matches_at_every_cut, .timeout = 60)
{
	for (int mode = PII_MODE_STRICT; mode <= PII_MODE_AGGRESSIVE; mode++) {
		struct pii_engine *eng = engine(mode);
		size_t n = 0;

		for (size_t i = 0; i < AKIOS_ARRAY_SIZE(crafted); i++) {
			const char *t = crafted[i];
			size_t len = strlen(t);

			n += same_raw(eng, t, len);
			for (size_t k = 1; k < len; k++) {
				same_raw(eng, t, k);
				same_raw(eng, t + k, len - k);
			}
			same_redaction(eng, t, len, i);
		}
		cr_assert_gt(n, 20u, "mode %d: too few matches", mode);
		pii_engine_free(eng);
	}
}

/* Random text from anchor pieces, key-like runs, separators and bytes. */
static size_t random_text(uint64_t *seed, char *out, size_t cap)
{
	static const char *const bits[] = {"password",
					   "PassWord",
					   "passwd",
					   "pwd",
					   "passphrase",
					   "secret",
					   "client_secret",
					   "api_key",
					   "API-KEY",
					   "apikey",
					   "access_token",
					   "accesstoken",
					   "auth-token",
					   "secret_key",
					   "Bearer ",
					   "basic ",
					   "aws",
					   "swift",
					   "BIC",
					   "passport",
					   "MRN",
					   "medical record",
					   "patient",
					   "sk-",
					   "sk-ant-api03-",
					   "sk-proj-",
					   "ghp_",
					   "github_pat_",
					   "npm_",
					   "glpat-",
					   "AKIA",
					   "ASIA",
					   "AIza",
					   "https://hooks.slack.com/services/T",
					   "xoxb-",
					   "sk_live_",
					   "rk_test_",
					   "SG.",
					   "hf_",
					   "pypi-AgEIcHlwaS5vcmc",
					   "shpat_",
					   "AccountKey=",
					   "eyJ",
					   "://",
					   "@",
					   "::",
					   ":",
					   "-",
					   "=",
					   ": ",
					   "\"",
					   "'",
					   " ",
					   "\n",
					   "\v",
					   "_",
					   "\xff",
					   "ab12",
					   "00:1a:2b",
					   "fe80::",
					   "-----BEGIN ",
					   "PRIVATE KEY-----",
					   "0",
					   "#",
					   "No. ",
					   "/"};
	static const char alnum[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	size_t n = 0;

	while (n + 64 < cap) {
		uint64_t r;

		*seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
		r = *seed >> 20;
		if (r % 3) {
			const char *b = bits[r / 3 % AKIOS_ARRAY_SIZE(bits)];

			memcpy(out + n, b, strlen(b));
			n += strlen(b);
			continue;
		}
		for (size_t k = 1 + r / 3 % 48; k; k--, r = r * 31 + 7)
			out[n++] = alnum[(r >> 7) % (sizeof(alnum) - 1)];
	}
	return n;
}

Test(pii_lit, random_anchor_text_same_raw_and_redaction, .timeout = 120)
{
	char *text = malloc(1u << 16);
	uint64_t seed = 42;

	cr_assert_not_null(text);
	for (int mode = PII_MODE_STRICT; mode <= PII_MODE_AGGRESSIVE; mode++) {
		struct pii_engine *eng = engine(mode);
		size_t raw = 0;
		size_t found = 0;

		for (int round = 0; round < 12; round++) {
			size_t len = random_text(&seed, text,
						 round % 3 ? 4096 : 1u << 16);

			raw += same_raw(eng, text, len);
			found += same_redaction(eng, text, len, seed);
		}
		cr_assert_gt(raw, 100u, "mode %d: too few raw matches", mode);
		cr_assert_gt(found, 20u, "mode %d: too few findings", mode);
		pii_engine_free(eng);
	}
	free(text);
}

/* Writes the generator's text to dir/name and reads it back. */
static void generate(const char *dir, char *const args[],
		     struct akios_buf *text)
{
	char out[512];

	snprintf(out, sizeof(out), "%s/text", dir);
	cr_assert_eq(test_pii_corpus(out, args, text), 0);
}

/* The generator's text, raw matches per 64 KiB window and redaction. */
static void corpus_same(char *const args[], size_t min_found)
{
	char *dir = test_tmpdir("akios-pii-lit");
	struct akios_buf text;

	generate(dir, args, &text);
	cr_assert_gt(text.len, 100000u);
	for (int mode = PII_MODE_STRICT; mode <= PII_MODE_AGGRESSIVE; mode++) {
		struct pii_engine *eng = engine(mode);
		size_t raw = 0;

		for (size_t off = 0; off < text.len; off += 65536)
			raw += same_raw(eng, text.ptr + off,
					text.len - off < 65536 ? text.len - off
							       : 65536);
		cr_assert_gt(raw, min_found);
		cr_assert_geq(same_redaction(eng, text.ptr, text.len, 7),
			      min_found);
		pii_engine_free(eng);
	}
	akios_buf_free(&text);
	test_rmtree(dir);
	free(dir);
}

Test(pii_lit, quality_corpus_same_both_paths, .timeout = 120)
{
	char *const args[] = {"--items", "3000", "--seed", "5", NULL};

	corpus_same(args, 800);
}

Test(pii_lit, bench_text_same_both_paths, .timeout = 120)
{
	char *const args[] = {"--filler", "524288", "--seed", "2", NULL};

	corpus_same(args, 150);
}
