/* libFuzzer harness for shared/pii: random bytes must not crash the
 * whole-buffer, streaming or JSON-aware redaction, and the stream's
 * output must equal the whole-buffer output for a chunking drawn from
 * the input itself and for a copy at another address. Byte 0 picks the
 * mode, bytes 1-8 seed the chunking (byte 1 also the address shift). */
#include "shared/common.h"
#include "shared/pii/pii.h"

#include <cjson/cJSON.h>
#include <stdint.h>

#include "tests/fuzz/pii_engines.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void stream(struct pii_engine *eng, const char *in, size_t len,
		   uint64_t seed, struct akios_buf *out)
{
	struct pii_stream *st = NULL;
	size_t off = 0;

	if (pii_stream_new(eng, NULL, NULL, &st))
		__builtin_trap();
	while (off < len) {
		size_t n;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		n = 1 + (size_t)((seed >> 33) % (seed & 1 ? 7 : 5000));
		if (n > len - off)
			n = len - off;
		if (pii_stream_feed(st, in + off, n, out))
			__builtin_trap();
		off += n;
	}
	if (pii_stream_finish(st, out))
		__builtin_trap();
	pii_stream_free(st);
}

/* The same bytes at another address (offset 1..63 from a 64-byte line)
 * must redact the same: Vectorscan's AVX-512 path did not (pii_hs.c). */
static void moved(struct pii_engine *eng, const char *in, size_t len,
		  unsigned shift, const struct akios_buf *whole)
{
	struct akios_buf out;
	char *area = aligned_alloc(64, (len + 127) / 64 * 64 + 64);

	if (!area)
		__builtin_trap();
	memcpy(area + shift, in, len);
	akios_buf_init(&out, 64 * len + 4096);
	if (pii_redact_buffer(eng, area + shift, len, &out, NULL, NULL) ||
	    out.len != whole->len || memcmp(out.ptr, whole->ptr, out.len))
		__builtin_trap();
	akios_buf_free(&out);
	free(area);
}

static void json(struct pii_engine *eng, const char *in, size_t len)
{
	struct akios_buf out;
	cJSON *doc;

	akios_buf_init(&out, 64 * len + 4096);
	if (pii_redact_json(eng, in, len, &out, NULL, NULL, NULL) == 0) {
		doc = cJSON_ParseWithLength(out.ptr, out.len);
		if (!doc)
			__builtin_trap(); /* output must stay valid JSON */
		cJSON_Delete(doc);
	}
	akios_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct akios_buf whole;
	struct akios_buf streamed;
	struct pii_engine *eng;
	uint64_t seed = 0;
	const char *in = (const char *)data + 9;
	size_t len;

	if (size < 9)
		return 0;
	memcpy(&seed, data + 1, 8);
	len = size - 9;
	eng = engine(data[0] % 3);
	akios_buf_init(&whole, 64 * len + 4096);
	akios_buf_init(&streamed, 64 * len + 4096);
	if (pii_redact_buffer(eng, in, len, &whole, NULL, NULL))
		__builtin_trap();
	stream(eng, in, len, seed, &streamed);
	if (whole.len != streamed.len ||
	    memcmp(whole.ptr, streamed.ptr, whole.len) != 0)
		__builtin_trap(); /* chunking changed the output */
	moved(eng, in, len, 1 + data[1] % 63, &whole);
	akios_buf_free(&whole);
	akios_buf_free(&streamed);
	json(eng, in, len);
	return 0;
}
