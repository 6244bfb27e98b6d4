/* Benchmark driver for tests/bench/bench_audit.sh (issue 4). Modes:
 *   append DIR N GROUP   N small events through the writer API, one
 *                        audit_commit (fdatasync) every GROUP events
 *   append-build DIR N GROUP   the same, each event's fields built and
 *                        freed per event (a path, a 3-string argv, a
 *                        pid, a bool) as `akios run` does: the JSON
 *                        tree's own cost on top of the writer's
 *   raw SRC DST GROUP_BYTES   the baseline: the same bytes as SRC written
 *                        to DST with one fdatasync every GROUP_BYTES
 *   verify DIR PUB       audit_verify_dir
 *   open DIR RUNS        audit_open + audit_close of an existing log,
 *                        RUNS times: median seconds, CPU seconds per open
 *   open-full DIR RUNS   the same, deleting events.state before each
 *                        open: the full rebuild from the first record
 * Each prints "<seconds> <units> <peak RSS KiB>" on one line. */
#include "shared/common.h"
#include "shared/audit/audit.h"
#include "shared/audit/audit_read.h"
#include "shared/fileio.h"

#include <fcntl.h>
#include <inttypes.h>
#include <sys/resource.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* Like the broker's exec event: built per event, then freed. */
static struct json *exec_fields(uint64_t i)
{
	static const char *const argv[] = {"python3", "-c", "print(1)"};
	struct json *f = json_new_object();
	struct json *a = json_new_string_array(argv, 3);

	if (!json_add_str(f, "path", "/usr/bin/python3") ||
	    !json_add(f, "argv", a) || !json_add_num(f, "pid", (double)i) ||
	    !json_add_bool(f, "ok", true)) {
		json_free(f);
		return NULL;
	}
	return f;
}

static int bench_append(const char *dir, uint64_t n, uint64_t group, bool build)
{
	struct audit_log *log = NULL;
	struct akios_err err = {0};
	struct json *f = json_new_object();
	struct json *num = json_add_num(f, "i", 0);
	double t0;

	if (!num || !json_add_str(f, "path", "/usr/bin/python3"))
		return 1;
	if (audit_open(dir, NULL, &log, &err)) {
		fprintf(stderr, "bench: %s\n", err.msg);
		return 1;
	}
	t0 = now();
	for (uint64_t i = 0; i < n; i++) {
		struct json *e = build ? exec_fields(i) : NULL;
		int rc = build ? !e : json_set_num(num, (double)i);

		if (!rc)
			rc = audit_append(log, "bench.exec", "allow",
					  build ? e : f, &err);
		json_free(e);
		if (rc || ((i + 1) % group == 0 && audit_commit(log, &err))) {
			fprintf(stderr, "bench: %s\n", err.msg);
			return 1;
		}
	}
	if (audit_close(log, &err)) {
		fprintf(stderr, "bench: %s\n", err.msg);
		return 1;
	}
	printf("%.3f %" PRIu64 " %ld\n", now() - t0, n, peak_kib());
	json_free(f);
	return 0;
}

static int bench_raw(const char *src, const char *dst, size_t group)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	char *buf = malloc(group);
	double spent = 0;
	uint64_t total = 0;
	ssize_t got;

	if (in < 0 || out < 0 || !buf)
		return 1;
	// Only the writes and syncs are timed: the source sits in the cache.
	while ((got = read(in, buf, group)) > 0) {
		double t0 = now();

		if (fileio_write_full(out, buf, (size_t)got) || fdatasync(out))
			return 1;
		spent += now() - t0;
		total += (uint64_t)got;
	}
	printf("%.3f %" PRIu64 " %ld\n", spent, total, peak_kib());
	free(buf);
	close(in);
	close(out);
	return 0;
}

static int bench_verify(const char *dir, const char *pub)
{
	struct audit_verify_opts o = {.pub_path = pub};
	struct audit_verify_result res;
	struct akios_err err = {0};
	double t0 = now();

	if (audit_verify_dir(dir, &o, &res, &err)) {
		fprintf(stderr, "bench: %s\n", err.msg);
		return 1;
	}
	printf("%.3f %" PRIu64 " %ld\n", now() - t0, res.events, peak_kib());
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a;
	double y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double cpu_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Open cost alone: nothing is appended, so close writes no checkpoint. */
/* Times audit_open alone (wall median, mean CPU); the close after it
 * writes events.state when the open had to rebuild, and is not timed. */
static int bench_open(const char *dir, unsigned runs, bool full)
{
	char state[4200];
	double t[257];
	double cpu = 0;

	snprintf(state, sizeof(state), "%s/events.state", dir);
	if (runs == 0 || runs > 257)
		return 2;
	for (unsigned i = 0; i < runs; i++) {
		struct audit_log *log = NULL;
		struct akios_err err = {0};
		double t0, c0;
		int rc;

		if (full)
			(void)unlink(state);
		c0 = cpu_now();
		t0 = now();
		rc = audit_open(dir, NULL, &log, &err);
		t[i] = now() - t0;
		cpu += cpu_now() - c0;
		if (rc || audit_close(log, &err)) {
			fprintf(stderr, "bench: %s\n", err.msg);
			return 1;
		}
	}
	qsort(t, runs, sizeof(t[0]), cmp_double);
	printf("%.6f %.6f %ld\n", t[runs / 2], cpu / runs, peak_kib());
	return 0;
}

int main(int argc, char **argv)
{
	char *end;

	if (argc == 5 &&
	    (!strcmp(argv[1], "append") || !strcmp(argv[1], "append-build")))
		return bench_append(argv[2], strtoull(argv[3], &end, 10),
				    strtoull(argv[4], &end, 10),
				    !strcmp(argv[1], "append-build"));
	if (argc == 5 && !strcmp(argv[1], "raw"))
		return bench_raw(argv[2], argv[3], strtoull(argv[4], &end, 10));
	if (argc == 4 && !strcmp(argv[1], "verify"))
		return bench_verify(argv[2], argv[3]);
	if (argc == 4 &&
	    (!strcmp(argv[1], "open") || !strcmp(argv[1], "open-full")))
		return bench_open(argv[2], (unsigned)strtoul(argv[3], &end, 10),
				  !strcmp(argv[1], "open-full"));
	fprintf(stderr, "usage: bench_audit append[-build] DIR N GROUP | raw "
			"SRC DST BYTES | verify DIR PUB | open[-full] DIR "
			"RUNS\n");
	return 2;
}
