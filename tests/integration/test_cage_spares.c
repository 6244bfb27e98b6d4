/* The pool of spare placeholder directories (placeholder_spare.c), as
 * root and as an unprivileged user: the directories that stood in for a
 * missing .git, .vscode or .idea go into <audit dir>/placeholders at the
 * end of a run and come back at the next (the same inodes); the
 * workspace is left as it was; a pool entry with anything in it is never
 * used nor touched; a pool others could write to is not used. */
#include "shared/common.h"
#include "tests/lib/cagetest.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <sys/stat.h>

static struct cage_ws W;

struct pool {
	unsigned n;
	ino_t ino[32];
	char name[32][256];
};

static void pool_path(char *out, size_t size)
{
	snprintf(out, size, "%s/placeholders", W.audit);
}

/* The pool's entries, sorted by inode. */
static void read_pool(struct pool *p)
{
	char dir[600];
	DIR *d;
	struct dirent *e;

	pool_path(dir, sizeof(dir));
	memset(p, 0, sizeof(*p));
	d = opendir(dir);
	cr_assert_not_null(d, "%s", dir);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		cr_assert_lt(p->n, 32);
		p->ino[p->n] = e->d_ino;
		snprintf(p->name[p->n], sizeof(p->name[0]), "%s", e->d_name);
		p->n++;
	}
	closedir(d);
	for (unsigned i = 1; i < p->n; i++)
		for (unsigned j = i; j > 0 && p->ino[j - 1] > p->ino[j]; j--) {
			ino_t t = p->ino[j];
			char tn[256];

			p->ino[j] = p->ino[j - 1];
			p->ino[j - 1] = t;
			memcpy(tn, p->name[j], sizeof(tn));
			memcpy(p->name[j], p->name[j - 1], sizeof(tn));
			memcpy(p->name[j - 1], tn, sizeof(tn));
		}
}

static bool in_ws(const char *rel)
{
	char path[700];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", W.ws, rel);
	return lstat(path, &st) == 0;
}

static void run_ok(char *const cmd[])
{
	struct test_run r;

	cr_assert_eq(cagetest_run(&W, NULL, cmd, NULL, 30, &r), 0);
	cr_assert(!r.timed_out);
	cr_assert_eq(r.status, 0, "%s: out %s err %s", cmd[0], r.out, r.err);
	test_run_free(&r);
	cr_assert(!in_ws(".git") && !in_ws(".vscode") && !in_ws(".idea") &&
		      !in_ws(".envrc") && !in_ws(".gitmodules"),
		  "a placeholder is left in the workspace");
}

static void reused(bool rootless)
{
	/* Inside, the stand-ins are read-only and empty. */
	char *check[] = {"sh", "-c",
			 "test -d .git && test -z \"$(ls -A .git)\" && "
			 "test -z \"$(ls -A .vscode)\" && "
			 "! mkdir .git/hooks 2>/dev/null",
			 NULL};
	char *t[] = {"true", NULL};
	char dir[600];
	char keep[1024];
	struct pool a;
	struct pool b;
	struct stat st;
	FILE *f;

	cr_assert_eq(cagetest_setup(&W, rootless), 0);
	run_ok(check);
	pool_path(dir, sizeof(dir));
	cr_assert_eq(stat(dir, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700);
	read_pool(&a);
	cr_assert_geq(a.n, 3, "the pool holds %u",
		      a.n); /* .git .vscode .idea */
	run_ok(check);
	read_pool(&b);
	cr_assert_eq(b.n, a.n);
	for (unsigned i = 0; i < a.n; i++)
		cr_assert_eq(a.ino[i], b.ino[i], "entry %u was not reused", i);
	/* One spare gets content: it stays as it is, out of every run. */
	snprintf(keep, sizeof(keep), "%s/%s/keep", dir, a.name[0]);
	f = fopen(keep, "we");
	cr_assert_not_null(f);
	fputs("mine\n", f);
	fclose(f);
	run_ok(t);
	cr_assert_eq(stat(keep, &st), 0, "the used spare lost its file");
	read_pool(&b);
	cr_assert_eq(b.n, a.n + 1, "one directory made anew: %u", b.n);
	cagetest_teardown(&W);
}

Test(cage_spares, reused_across_runs_root)
{
	reused(false);
}
Test(cage_spares, reused_across_runs_rootless)
{
	reused(true);
}

/* A pool others could write to is left alone; the run goes on. */
Test(cage_spares, shared_pool_not_used)
{
	char *t[] = {"true", NULL};
	char dir[600];
	struct pool p;

	cr_assert_eq(cagetest_setup(&W, false), 0);
	pool_path(dir, sizeof(dir));
	cr_assert_eq(mkdir(dir, 0700), 0);
	cr_assert_eq(chmod(dir, 0777), 0);
	run_ok(t);
	read_pool(&p);
	cr_assert_eq(p.n, 0, "a spare went into a shared pool");
	cagetest_teardown(&W);
}
