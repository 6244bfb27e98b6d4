/* spawn_time: wall-clock start-to-exit time of commands, interleaved so a
 * noisy machine hurts every variant alike. Prints one line per command:
 * median and mean in milliseconds.
 *   spawn_time N CMD ARGS... [::: CMD ARGS...]... */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#define MAX_CMDS 8
#define MAX_RUNS 1000

extern char **environ;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a;
	double y = *(const double *)b;

	return (x > y) - (x < y);
}

static double once(char **argv, posix_spawn_file_actions_t *fa, int *bad)
{
	double t0 = now_ms();
	pid_t pid;
	int st;

	if (posix_spawnp(&pid, argv[0], fa, NULL, argv, environ) != 0 ||
	    waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0)
		*bad = 1;
	return now_ms() - t0;
}

int main(int argc, char **argv)
{
	static double t[MAX_CMDS][MAX_RUNS];
	char **cmd[MAX_CMDS];
	int n = argc > 2 ? atoi(argv[1]) : 0;
	int k = 0;
	int bad = 0;
	posix_spawn_file_actions_t fa;

	if (n < 1 || n > MAX_RUNS) {
		fprintf(stderr, "usage: spawn_time N CMD... [::: CMD...]\n");
		return 2;
	}
	cmd[k++] = &argv[2];
	for (int i = 2; i < argc && k < MAX_CMDS; i++)
		if (!strcmp(argv[i], ":::")) {
			argv[i] = NULL;
			cmd[k++] = &argv[i + 1];
		}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	for (int r = 0; r < n; r++)
		for (int c = 0; c < k; c++)
			t[c][r] = once(cmd[c], &fa, &bad);
	for (int c = 0; c < k; c++) {
		double sum = 0;

		for (int r = 0; r < n; r++)
			sum += t[c][r];
		qsort(t[c], (size_t)n, sizeof(double), cmp);
		printf("%.3f %.3f\n", t[c][n / 2], sum / n);
	}
	return bad;
}
