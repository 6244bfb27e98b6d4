/* Helpers for the cage integration tests: a temporary workspace (the
 * agent's cwd and fake HOME, with the cage_try probe copied in), an audit
 * directory and a key directory outside it, and a runner that starts
 * `akios run` in that workspace as root or as the unprivileged test user
 * (created on first use: useradd -M akios-test). */
#ifndef AKIOS_CAGETEST_H
#define AKIOS_CAGETEST_H

#include "shared/common.h"
#include "tests/lib/testlib.h"

#include <stdbool.h>
#include <sys/types.h>

#define CAGETEST_USER "akios-test"

struct cage_ws {
	char *root;   /* /tmp/akios-cage-XXXXXX (0755) */
	char ws[512]; /* root/ws: cwd and HOME of the agent */
	char audit[512];
	char keys[512];
	char policy[512]; /* root/policy.yml once written */
	bool rootless;
};

/* 0 or -errno. The workspace holds ./cage_try. */
int cagetest_setup(struct cage_ws *w, bool rootless);
void cagetest_teardown(struct cage_ws *w);
/* Writes root/policy.yml (the text is used as is). */
int cagetest_policy(struct cage_ws *w, const char *yaml);
/* Writes a file under the workspace (owned by the test user when
 * rootless); the directories on the way are created likewise. */
int cagetest_file(struct cage_ws *w, const char *rel, const char *data);
/* akios run [--policy] --audit-dir ... -- cmd..., in the workspace.
 * extra_args go before "--" (NULL-terminated, may be NULL). */
int cagetest_run(struct cage_ws *w, char *const extra_args[], char *const cmd[],
		 char *const extra_env[], unsigned timeout, struct test_run *r);
/* The same run started in the background with fds[i] (>= 0) as its
 * stdin/stdout/stderr; *pid to wait for. 0 or -errno. */
int cagetest_spawn(struct cage_ws *w, char *const cmd[], const int fds[3],
		   pid_t *pid);
/* The run's audit log (events.log) as one NUL-terminated string, at most
 * 1 MiB, NUL bytes turned into spaces so string searches see every
 * record; NULL if it cannot be read. The caller frees it. */
char *cagetest_audit_text(const struct cage_ws *w);
/* The uid of the test user (creating it when missing), or -1. */
int cagetest_user_uid(void);

/* What `cage_try creds` prints for an agent with every privilege lock in
 * place (each securebit with its lock, KEEP_CAPS off, no_new_privs, empty
 * bounding and ambient sets) and the cage's host name. */
void cagetest_creds_want(char *buf, size_t size);

#endif
