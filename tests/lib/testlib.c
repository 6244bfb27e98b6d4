/* testlib: process running and temp-file helpers for integration tests.
 * Uses poll() on both pipes so a chatty child can never deadlock us. */
#include "shared/common.h"
#include "tests/lib/testlib.h"
#include "shared/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

const char *test_akios(void)
{
	static char path[512];
	const char *b = getenv("AKIOS_BUILD");

	snprintf(path, sizeof(path), "%s/akios", b && *b ? b : "build");
	return path;
}

const char *test_build_path(const char *rel, char *buf, size_t size)
{
	const char *b = getenv("AKIOS_BUILD");

	snprintf(buf, size, "%s/%s", b && *b ? b : "build", rel);
	return buf;
}

static char **merge_env(char *const extra[])
{
	size_t n = 0;
	size_t m = 0;
	char **env;

	while (environ[n])
		n++;
	while (extra && extra[m])
		m++;
	env = calloc(n + m + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < m; i++)
		env[i] = extra[i];
	for (size_t i = 0; i < n; i++)
		env[m + i] = environ[i];
	return env;
}

static int append(char **buf, size_t *len, const char *p, size_t n)
{
	char *b = realloc(*buf, *len + n + 1);

	if (!b)
		return -ENOMEM;
	memcpy(b + *len, p, n);
	*len += n;
	b[*len] = '\0';
	*buf = b;
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Moves bytes between us and the child until both output pipes close. */
static void pump(int in_fd, const char *in, size_t in_len, int out_fd,
		 int err_fd, pid_t pid, unsigned timeout_sec,
		 struct test_run *r)
{
	size_t in_off = 0;
	double deadline = now() + timeout_sec;
	struct pollfd p[3] = {
	    {in_fd, POLLOUT, 0}, {out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};

	if (in_len == 0 && in_fd >= 0) {
		close(in_fd);
		p[0].fd = -1;
	}
	while (p[1].fd >= 0 || p[2].fd >= 0) {
		char chunk[65536];

		if (now() > deadline && !r->timed_out) {
			r->timed_out = true;
			kill(pid, SIGKILL);
		}
		if (poll(p, 3, 100) < 0 && errno != EINTR)
			break;
		if (p[0].fd >= 0 && (p[0].revents & (POLLOUT | POLLERR))) {
			ssize_t n =
			    write(p[0].fd, in + in_off, in_len - in_off);

			if (n > 0)
				in_off += (size_t)n;
			if ((n < 0 && errno != EAGAIN) || in_off == in_len) {
				close(p[0].fd);
				p[0].fd = -1;
			}
		}
		for (int i = 1; i < 3; i++) {
			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP)))
				continue;
			ssize_t n = read(p[i].fd, chunk, sizeof(chunk));

			if (n <= 0) {
				close(p[i].fd);
				p[i].fd = -1;
			} else if (i == 1) {
				append(&r->out, &r->out_len, chunk, (size_t)n);
			} else {
				append(&r->err, &r->err_len, chunk, (size_t)n);
			}
		}
	}
	if (p[0].fd >= 0)
		close(p[0].fd);
}

int test_run(char *const argv[], const char *in, size_t in_len,
	     char *const extra_env[], unsigned timeout_sec, struct test_run *r)
{
	int pin[2];
	int pout[2];
	int perr[2];
	posix_spawn_file_actions_t fa;
	char **env = merge_env(extra_env);
	pid_t pid;
	int st = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	if (!env || pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC) ||
	    pipe2(perr, O_CLOEXEC))
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
	posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
	posix_spawn_file_actions_adddup2(&fa, perr[1], 2);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	if (rc) {
		close(pin[1]);
		close(pout[0]);
		close(perr[0]);
		return -rc;
	}
	/* Non-blocking stdin: a child that fills its stdout before reading
	 * all of its input must not block our write while we wait to read. */
	(void)fcntl(pin[1], F_SETFL, O_NONBLOCK);
	append(&r->out, &r->out_len, "", 0);
	append(&r->err, &r->err_len, "", 0);
	pump(pin[1], in, in ? in_len : 0, pout[0], perr[0], pid, timeout_sec,
	     r);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 0;
}

void test_run_free(struct test_run *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

char *test_tmpdir(const char *prefix)
{
	char tmpl[256];

	snprintf(tmpl, sizeof(tmpl), "/tmp/%s-XXXXXX", prefix);
	if (!mkdtemp(tmpl))
		return NULL;
	return strdup(tmpl);
}

int test_write_file(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t len = strlen(data);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, data, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

static int rm_one(const char *path, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void test_rmtree(const char *path)
{
	if (!path || strncmp(path, "/tmp/", 5) != 0)
		return;
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Parses the usage's "  <name padded to 24> summary" lines after
 * "Commands:". */
unsigned test_list_commands(char names[][TEST_CMD_NAME_MAX], unsigned max)
{
	char *argv[] = {(char *)test_akios(), "--help", NULL};
	struct test_run r;
	char *save = NULL;
	bool in_cmds = false;
	unsigned n = 0;

	if (test_run(argv, NULL, 0, NULL, 10, &r))
		return 0;
	for (char *line = strtok_r(r.out, "\n", &save); line && n < max;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "Commands:", 9) == 0) {
			in_cmds = true;
			continue;
		}
		if (!in_cmds)
			continue;
		if (strncmp(line, "  ", 2) != 0 || strlen(line) < 27)
			break;
		memcpy(names[n], line + 2, TEST_CMD_NAME_MAX - 1);
		names[n][TEST_CMD_NAME_MAX - 1] = '\0';
		for (int i = TEST_CMD_NAME_MAX - 2;
		     i >= 0 && names[n][i] == ' '; i--)
			names[n][i] = '\0';
		n++;
	}
	test_run_free(&r);
	return n;
}

int test_run_help(const char *cmd, struct test_run *r)
{
	char words[TEST_CMD_NAME_MAX];
	char *sub;

	snprintf(words, sizeof(words), "%s", cmd);
	sub = strchr(words, ' ');
	if (sub)
		*sub++ = '\0';
	char *argv[] = {(char *)test_akios(), words, sub ? sub : "--help",
			sub ? "--help" : NULL, NULL};

	return test_run(argv, NULL, 0, NULL, 10, r);
}

int test_pii_corpus(const char *out, char *const args[], struct akios_buf *text)
{
	char path[4096];
	char *argv[12] = {"python3", "tests/fixtures/pii_corpus.py", "--out",
			  (char *)out};
	struct test_run r;
	int k = 4;
	int st;

	while (*args && k < 11)
		argv[k++] = *args++;
	argv[k] = NULL;
	if (test_run(argv, NULL, 0, NULL, 60, &r) != 0)
		return -1;
	st = r.status;
	if (st != 0)
		fprintf(stderr, "pii_corpus.py: %s", r.err);
	test_run_free(&r);
	if (st != 0)
		return -1;
	snprintf(path, sizeof(path), "%s.txt", out);
	if (access(path, F_OK) != 0)
		snprintf(path, sizeof(path), "%s", out);
	akios_buf_init(text, 1u << 24);
	return fileio_read_all(path, text, NULL) == 0 ? 0 : -1;
}
