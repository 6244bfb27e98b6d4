/* spawn_time: start-to-exit time of commands, interleaved so a noisy
 * machine hurts every variant alike. For each command it prints one line:
 *   median_wall_ms mean_wall_ms min_wall_ms median_cpu_ms
 * where cpu is user+sys of the whole process tree (wait4's rusage covers
 * every descendant the command reaped), less sensitive than wall time to
 * other load on a shared machine.
 *   spawn_time N CMD ARGS... [::: CMD ARGS...]... */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CMDS 8
#define MAX_RUNS 2000

extern char **environ;

struct sample {
	double wall[MAX_RUNS];
	double cpu[MAX_RUNS];
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double tv_ms(struct timeval tv)
{
	return (double)tv.tv_sec * 1e3 + (double)tv.tv_usec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a;
	double y = *(const double *)b;

	return (x > y) - (x < y);
}

static void once(char **argv, posix_spawn_file_actions_t *fa, double *wall,
		 double *cpu, int *bad)
{
	double t0 = now_ms();
	struct rusage ru = {0};
	pid_t pid;
	int st = 0;

	if (posix_spawnp(&pid, argv[0], fa, NULL, argv, environ) != 0 ||
	    wait4(pid, &st, 0, &ru) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0)
		*bad = 1;
	*wall = now_ms() - t0;
	*cpu = tv_ms(ru.ru_utime) + tv_ms(ru.ru_stime);
}

static void report(double *wall, double *cpu, int n)
{
	double sum = 0;

	for (int r = 0; r < n; r++)
		sum += wall[r];
	qsort(wall, (size_t)n, sizeof(double), cmp);
	qsort(cpu, (size_t)n, sizeof(double), cmp);
	printf("%.3f %.3f %.3f %.3f\n", wall[n / 2], sum / n, wall[0],
	       cpu[n / 2]);
}

int main(int argc, char **argv)
{
	static struct sample s[MAX_CMDS];
	char **cmd[MAX_CMDS];
	int n = argc > 2 ? (int)strtol(argv[1], NULL, 10) : 0;
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
			once(cmd[c], &fa, &s[c].wall[r], &s[c].cpu[r], &bad);
	for (int c = 0; c < k; c++)
		report(s[c].wall, s[c].cpu, n);
	return bad;
}
