/* Streaming redaction (shared/pii/pii_stream.c): the output and the
 * findings are byte-identical to the whole-buffer result for random
 * chunkings (seeded PRNG, including one byte at a time), matches that
 * span chunk boundaries are redacted, and the state stays bounded. */
#include "shared/common.h"
#include "shared/pii/pii.h"
#include "shared/pii/pii_int.h"

#include <criterion/criterion.h>
#include <stdint.h>

/* splitmix64: a fixed seed makes every failure reproducible. */
static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static const char *const pieces[] = {
    "card 4111 1111 1111 1111 ",
    "mail a.b@example.com, ",
    "key sk-proj-Ab3dEfGh1jKlMnOpQrStUvWxYz0123456789_-abcdEFGH ",
    "call +1 (415) 555-2671. ",
    "iban DE89 3704 0044 0532 0130 00 ",
    "ssn 123-45-6789 ",
    "ip 203.0.113.7 and 2001:db8::1 ",
    "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcDEF_ghi ",
    "password=hunter22 ",
    "Lorem ipsum dolor sit amet, version 1.2.3 on 2024-01-15. ",
    "order 4111111111111112 ",
    "\n",
};

/* A private key body longer than PII_MAX_MATCH, to cross windows. */
static void add_long_pem(struct akios_buf *b, uint64_t *seed)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
				  "rstuvwxyz0123456789+/";

	cr_assert_eq(akios_buf_appendf(b, "-----BEGIN RSA PRIVATE KEY-----\n"),
		     0);
	for (int line = 0; line < 60; line++) {
		char l[65];

		for (int i = 0; i < 64; i++)
			l[i] = b64[next_rand(seed) % 64];
		l[64] = '\n';
		cr_assert_eq(akios_buf_append(b, l, 65), 0);
	}
	cr_assert_eq(akios_buf_appendf(b, "-----END RSA PRIVATE KEY-----\n"),
		     0);
}

static void make_text(struct akios_buf *b, uint64_t seed, size_t target)
{
	akios_buf_init(b, 1 << 24);
	while (b->len < target) {
		uint64_t r = next_rand(&seed);

		if (r % 97 == 0)
			add_long_pem(b, &seed);
		else
			cr_assert_eq(
			    akios_buf_appendf(
				b, "%s", pieces[r % AKIOS_ARRAY_SIZE(pieces)]),
			    0);
	}
}

static int log_finding(void *ctx, const struct pii_finding *f)
{
	return akios_buf_appendf(ctx, "%s@%llu+%llu;", f->pattern,
				 (unsigned long long)f->offset,
				 (unsigned long long)f->length);
}

static struct pii_engine *engine(enum pii_mode mode)
{
	struct pii_config cfg = {.mode = mode};
	struct pii_engine *eng = NULL;

	cr_assert_eq(pii_engine_new(&cfg, &eng, NULL), 0);
	return eng;
}

/* Feeds `in` in chunks drawn by `sizes`; returns output and findings. */
static void run_stream(struct pii_engine *eng, const struct akios_buf *in,
		       uint64_t *seed, size_t maxchunk, struct akios_buf *out,
		       struct akios_buf *log)
{
	struct pii_stream *st = NULL;
	size_t off = 0;

	akios_buf_init(out, 1 << 24);
	akios_buf_init(log, 1 << 24);
	cr_assert_eq(pii_stream_new(eng, log_finding, log, &st), 0);
	while (off < in->len) {
		size_t n = maxchunk == 1 ? 1 : 1 + next_rand(seed) % maxchunk;

		if (n > in->len - off)
			n = in->len - off;
		cr_assert_eq(pii_stream_feed(st, in->ptr + off, n, out), 0);
		off += n;
	}
	cr_assert_eq(pii_stream_finish(st, out), 0);
	pii_stream_free(st);
}

static void check_invariance(enum pii_mode mode, uint64_t seed, size_t len,
			     int rounds)
{
	struct pii_engine *eng = engine(mode);
	struct akios_buf in;
	struct akios_buf whole;
	struct akios_buf wlog;
	static const size_t maxchunks[] = {1, 3, 17, 200, 1500, 5000, 300000};

	make_text(&in, seed, len);
	akios_buf_init(&whole, 1 << 24);
	akios_buf_init(&wlog, 1 << 24);
	cr_assert_eq(
	    pii_redact_buffer(eng, in.ptr, in.len, &whole, log_finding, &wlog),
	    0);
	cr_assert(strstr(whole.ptr, "[PRIVATE_KEY]") != NULL);
	cr_assert(strstr(whole.ptr, "4111 1111") == NULL);
	for (int r = 0; r < rounds; r++) {
		struct akios_buf out;
		struct akios_buf log;
		size_t mc = maxchunks[r % AKIOS_ARRAY_SIZE(maxchunks)];

		run_stream(eng, &in, &seed, mc, &out, &log);
		size_t d = 0;

		while (d < out.len && d < whole.len &&
		       out.ptr[d] == whole.ptr[d])
			d++;
		cr_assert_eq(out.len, whole.len,
			     "round %d (max chunk %zu): differs at %zu:\n"
			     "stream: %.80s\nwhole:  %.80s",
			     r, mc, d, out.ptr + (d > 40 ? d - 40 : 0),
			     whole.ptr + (d > 40 ? d - 40 : 0));
		cr_assert(memcmp(out.ptr, whole.ptr, out.len) == 0,
			  "round %d differs", r);
		cr_assert_str_eq(log.ptr, wlog.ptr, "findings, round %d", r);
		akios_buf_free(&out);
		akios_buf_free(&log);
	}
	akios_buf_free(&in);
	akios_buf_free(&whole);
	akios_buf_free(&wlog);
	pii_engine_free(eng);
}

Test(pii_stream, chunking_invariance_balanced)
{
	check_invariance(PII_MODE_BALANCED, 42, 40000, 28);
}

Test(pii_stream, chunking_invariance_aggressive_large)
{
	check_invariance(PII_MODE_AGGRESSIVE, 7, 900000, 6);
}

Test(pii_stream, one_byte_at_a_time)
{
	check_invariance(PII_MODE_STRICT, 99, 12000, 1);
}

Test(pii_stream, match_across_feeds_is_redacted)
{
	struct pii_engine *eng = engine(PII_MODE_BALANCED);
	struct pii_stream *st = NULL;
	struct akios_buf out;

	akios_buf_init(&out, 1 << 16);
	cr_assert_eq(pii_stream_new(eng, NULL, NULL, &st), 0);
	cr_assert_eq(pii_stream_feed(st, "card 4111 11", 12, &out), 0);
	cr_assert_eq(pii_stream_feed(st, "11 1111 1111 and a.b@exa", 24, &out),
		     0);
	cr_assert_eq(pii_stream_feed(st, "mple.com", 8, &out), 0);
	cr_assert_eq(pii_stream_finish(st, &out), 0);
	cr_assert_str_eq(out.ptr, "card [CREDIT_CARD] and [EMAIL]");
	cr_assert_neq(pii_stream_feed(st, "x", 1, &out), 0);
	pii_stream_free(st);
	akios_buf_free(&out);
	pii_engine_free(eng);
}

Test(pii_stream, state_is_bounded)
{
	struct pii_engine *eng = engine(PII_MODE_STRICT);
	struct pii_stream *st = NULL;
	struct akios_buf out;
	char chunk[8192];

	memset(chunk, '7', sizeof(chunk));
	akios_buf_init(&out, 1 << 26);
	cr_assert_eq(pii_stream_new(eng, NULL, NULL, &st), 0);
	cr_assert_leq(pii_stream_state_size(st), 4096);
	cr_assert_leq(2 * (PII_MAX_MATCH + PII_CTX + 1), 4096);
	for (int i = 0; i < 512; i++) {
		cr_assert_eq(pii_stream_feed(st, chunk, sizeof(chunk), &out),
			     0);
		/* Everything but the kept tail is already out. */
		cr_assert_geq(out.len + 2 * (PII_MAX_MATCH + PII_CTX + 1),
			      (size_t)(i + 1) * sizeof(chunk));
	}
	cr_assert_eq(pii_stream_finish(st, &out), 0);
	cr_assert_eq(out.len, 512 * sizeof(chunk));
	pii_stream_free(st);
	akios_buf_free(&out);
	pii_engine_free(eng);
}

/* Vectorscan 5.4.9 misses this phone number at some buffer addresses
 * (found by fuzz_pii); the engine must not care where the bytes are. */
Test(pii_stream, buffer_address_does_not_matter)
{
	static const char text[] =
	    "       0555                               ,          -----BEGIN "
	    "PRIVATE KEY----- Mmail a.b@ex       0555 1111 1111, mail  ";
	static char area[sizeof(text) + 128] __attribute__((aligned(64)));
	struct pii_engine *eng = engine(PII_MODE_BALANCED);

	for (int a = 0; a < 64; a++) {
		struct akios_buf out;

		memcpy(area + a, text, sizeof(text));
		akios_buf_init(&out, 4096);
		cr_assert_eq(pii_redact_buffer(eng, area + a, sizeof(text) - 1,
					       &out, NULL, NULL),
			     0);
		cr_assert(strstr(out.ptr, "[PHONE], mail") != NULL,
			  "address offset %d: %s", a, out.ptr);
		akios_buf_free(&out);
	}
	pii_engine_free(eng);
}

/* A large whole buffer (many rounds that prefetch the next one's input,
 * an output that grows by reallocation to over 32 MiB) gives the
 * stream's output and findings. The text repeats a 1 MiB base, each copy
 * shifted by a few bytes so rounds and runs of unchanged text start at
 * every alignment. */
Test(pii_stream, large_whole_buffer_matches_stream, .timeout = 120)
{
	struct pii_engine *eng = engine(PII_MODE_AGGRESSIVE);
	struct akios_buf base;
	struct akios_buf in;
	struct akios_buf whole;
	struct akios_buf wlog;
	struct akios_buf out;
	struct akios_buf log;
	uint64_t seed = 7;

	make_text(&base, 11, 1 << 20);
	akios_buf_init(&in, 40u << 20);
	for (unsigned i = 0; in.len < (33u << 20); i++) {
		cr_assert_eq(akios_buf_append(&in, "                ", i % 17),
			     0);
		cr_assert_eq(akios_buf_append(&in, base.ptr, base.len), 0);
	}
	akios_buf_init(&whole, 2 * in.len); /* grown from empty */
	akios_buf_init(&wlog, 1u << 28);
	cr_assert_eq(
	    pii_redact_buffer(eng, in.ptr, in.len, &whole, log_finding, &wlog),
	    0);
	cr_assert(strstr(whole.ptr, "4111 1111") == NULL);
	akios_buf_init(&out, 2 * in.len);
	akios_buf_init(&log, 1u << 28);
	{
		struct pii_stream *st = NULL;

		cr_assert_eq(pii_stream_new(eng, log_finding, &log, &st), 0);
		for (size_t off = 0, n; off < in.len; off += n) {
			n = 1 + next_rand(&seed) % 200000;
			n = n < in.len - off ? n : in.len - off;
			cr_assert_eq(pii_stream_feed(st, in.ptr + off, n, &out),
				     0);
		}
		cr_assert_eq(pii_stream_finish(st, &out), 0);
		pii_stream_free(st);
	}
	cr_assert_eq(out.len, whole.len);
	cr_assert(memcmp(out.ptr, whole.ptr, out.len) == 0);
	cr_assert_eq(log.len, wlog.len);
	cr_assert(memcmp(log.ptr, wlog.ptr, log.len) == 0);
	akios_buf_free(&base);
	akios_buf_free(&in);
	akios_buf_free(&whole);
	akios_buf_free(&wlog);
	akios_buf_free(&out);
	akios_buf_free(&log);
	pii_engine_free(eng);
}
