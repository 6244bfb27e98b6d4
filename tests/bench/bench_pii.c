/* Throughput of shared/pii on one core: whole-buffer and streaming
 * redaction of a file held in memory, plus the engine's compile time and
 * the per-stream state, by the wall clock and by CPU time.
 * Usage: bench_pii FILE [strict|balanced|aggressive]
 * Prints one table row per measurement (figures only, never fails on
 * speed). */
#include "shared/common.h"
#include "shared/fileio.h"
#include "shared/pii/pii.h"

#include <time.h>

static double clock_s(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* CPU time of this (single-threaded) process: on a shared machine the
 * wall clock also counts other jobs' turns on the core. */
static double cpu(void)
{
	return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

static int by_buffer(struct pii_engine *eng, const struct akios_buf *in,
		     struct akios_buf *out)
{
	akios_buf_reset(out);
	return pii_redact_buffer(eng, in->ptr, in->len, out, NULL, NULL);
}

static int by_stream(struct pii_engine *eng, const struct akios_buf *in,
		     struct akios_buf *out)
{
	struct pii_stream *st = NULL;
	int rc = pii_stream_new(eng, NULL, NULL, &st);

	for (size_t off = 0; !rc && off < in->len; off += 65536) {
		size_t n = in->len - off < 65536 ? in->len - off : 65536;

		akios_buf_reset(out);
		rc = pii_stream_feed(st, in->ptr + off, n, out);
	}
	if (!rc)
		rc = pii_stream_finish(st, out);
	pii_stream_free(st);
	return rc;
}

static void measure(const char *what, struct pii_engine *eng,
		    const struct akios_buf *in,
		    int (*fn)(struct pii_engine *, const struct akios_buf *,
			      struct akios_buf *))
{
	struct akios_buf out;
	double t0;
	double c0;
	double t;
	int runs = 0;

	akios_buf_init(&out, 4 * in->len + 65536);
	/* One untimed run first: it grows the output buffer (realloc
	 * copies and page faults of up to 64 MiB that a long-lived caller
	 * pays once, and that would dominate a 1.5 s sample). */
	if (fn(eng, in, &out)) {
		printf("%-28s error\n", what);
		return;
	}
	t0 = now();
	c0 = cpu();
	do {
		if (fn(eng, in, &out)) {
			printf("%-28s error\n", what);
			return;
		}
		runs++;
		t = now() - t0;
	} while (t < 1.5);
	printf("%-28s %10.1f MB/s (CPU time: %.1f MB/s)\n", what,
	       (double)in->len * runs / t / 1e6,
	       (double)in->len * runs / (cpu() - c0) / 1e6);
	akios_buf_free(&out);
}

int main(int argc, char **argv)
{
	struct pii_config cfg = {.mode = PII_MODE_AGGRESSIVE};
	struct pii_engine *eng = NULL;
	struct pii_stream *st = NULL;
	struct akios_buf in;
	struct akios_err err = {0};
	double t0;

	if (argc < 2)
		return 2;
	if (argc > 2)
		cfg.mode = strcmp(argv[2], "strict") == 0 ? PII_MODE_STRICT
			   : strcmp(argv[2], "balanced") == 0
			       ? PII_MODE_BALANCED
			       : PII_MODE_AGGRESSIVE;
	akios_buf_init(&in, 1ul << 30);
	if (fileio_read_all(argv[1], &in, &err))
		return 1;
	t0 = now();
	double c0 = cpu();
	if (pii_engine_new(&cfg, &eng, &err))
		return 1;
	printf("%-28s %10.0f ms (CPU time: %.0f ms)\n", "engine compile",
	       (now() - t0) * 1e3, (cpu() - c0) * 1e3);
	measure("redact, whole buffer", eng, &in, by_buffer);
	measure("redact, stream 64 KiB feeds", eng, &in, by_stream);
	if (pii_stream_new(eng, NULL, NULL, &st))
		return 1;
	printf("%-28s %10zu bytes (limit %u)\n", "stream state",
	       pii_stream_state_size(st), PII_STREAM_MAX_STATE);
	pii_stream_free(st);
	pii_engine_free(eng);
	akios_buf_free(&in);
	return 0;
}
