/* Helpers for integration tests: run a real program (usually build/akios)
 * with given stdin, capture its stdout, stderr and exit status, with a
 * timeout so a hung child fails the test instead of hanging the suite. */
#ifndef AKIOS_TESTLIB_H
#define AKIOS_TESTLIB_H

#include "shared/common.h"

#include "shared/buf.h"

#include <stdbool.h>

struct test_run {
	char *out; /* stdout, NUL-terminated; free with test_run_free */
	size_t out_len;
	char *err; /* stderr, NUL-terminated */
	size_t err_len;
	int status; /* exit code, or 128+signal */
	bool timed_out;
};

/* Path of the akios binary under test: $AKIOS_BUILD/akios (default
 * build/akios). Static storage. */
const char *test_akios(void);
/* Path of a file in the build directory ("tests/helpers/probe"). */
const char *test_build_path(const char *rel, char *buf, size_t size);

/* Runs argv (argv[0] is looked up in PATH when it has no '/'), feeding
 * `in` (may be NULL) on stdin; extra_env entries ("K=V", NULL-terminated,
 * may be NULL) are added to the environment. Kills the child after
 * timeout_sec. Returns 0 when it ran; the run must be freed. */
int test_run(char *const argv[], const char *in, size_t in_len,
	     char *const extra_env[], unsigned timeout_sec, struct test_run *r);
void test_run_free(struct test_run *r);

/* The commands `akios --help` lists ("audit verify" as two words), each
 * NUL-terminated in names[i]; returns how many (at most max). */
#define TEST_CMD_NAME_MAX 25
unsigned test_list_commands(char names[][TEST_CMD_NAME_MAX], unsigned max);

/* Runs `akios <cmd words> --help` (cmd as listed by test_list_commands). */
int test_run_help(const char *cmd, struct test_run *r);

/* mkdtemp under /tmp with the given prefix; returns a malloc'd path. */
char *test_tmpdir(const char *prefix);
/* Writes a file (mode 0644), creating nothing else. 0 or -errno. */
int test_write_file(const char *path, const char *data);
/* rm -rf of a test directory (refuses paths outside /tmp). */
void test_rmtree(const char *path);

/* Runs tests/fixtures/pii_corpus.py --out out ARGS... (at most 7 args)
 * and reads what it wrote (out.txt for --items, out itself for --filler)
 * into text (initialised here). 0, or -1 with the reason on stderr. */
int test_pii_corpus(const char *out, char *const args[],
		    struct akios_buf *text);

#endif
