/* supervisor/cage/seccomp.h — the agent's syscall allowlist (issue 5),
 * built with libseccomp into a BPF program once, in the supervisor, and
 * loaded in the cage child with the raw seccomp() syscall so flags that
 * libseccomp 2.5.4 cannot set (WAIT_KILLABLE_RECV) are possible. The
 * user-notify trap list is an input: the broker (issue 6) passes execve,
 * connect, ... there; it may be empty. */
#ifndef AKIOS_CAGE_SECCOMP_H
#define AKIOS_CAGE_SECCOMP_H

#include "shared/common.h"
#include "shared/buf.h"
#include "shared/err.h"

#include <linux/filter.h>
#include <stdbool.h>

/* A compiled program. insns is owned (malloc'd): free with cage_bpf_free. */
struct cage_bpf {
	struct sock_filter *insns;
	unsigned short len;
	/* execve and execveat are among the user-notify traps (set by
	 * cage_seccomp_build): the agent's first exec then waits in a
	 * notification, which the cage's listener handover relies on
	 * (child.c). false for a program built any other way. */
	bool traps_exec;
};

struct cage_seccomp_opts {
	/* Borrowed. x86_64 syscall numbers trapped with SECCOMP_RET_USER_NOTIF
	 * (they take precedence over the allowlist and its argument filters;
	 * a number that is always denied stays denied). */
	const int *notify_syscalls;
	unsigned n_notify;
	bool deny_memfd; /* tools.allow mode: no memfd_create (fileless exec) */
};

/* Builds the filter in the supervisor, once per run, before the clone:
 * a copy of the program precompiled at build time when o is a variant
 * `akios run` uses (no trap or the broker's traps, memfd denied or not),
 * else compiled now with libseccomp (milliseconds). Side-effect free: its
 * only syscalls are memfd I/O for the export and the personality query
 * (the current persona stays allowed). 0 or -errno with err set. On
 * success out owns the program. */
int cage_seccomp_build(const struct cage_seccomp_opts *o, struct cage_bpf *out,
		       struct akios_err *err)
    AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;

/* The calls `akios run` traps for the broker (a table of the seccomp
 * module, so the build precompiles the program for it). Static storage. */
const int *cage_seccomp_broker_traps(unsigned *n) AKIOS_NONNULL(1);

/* Frees insns; p becomes {NULL, 0}. NULL is ok. */
void cage_bpf_free(struct cage_bpf *p);

/* In the cage child, after no_new_privs (and after Landlock and the caps
 * drop: the filter denies the syscalls those need). Loads the program.
 * With want_listener it sets SECCOMP_FILTER_FLAG_NEW_LISTENER, plus
 * WAIT_KILLABLE_RECV when the kernel knows it (5.19+), and stores the
 * listener fd (CLOEXEC) in *listener; else *listener = -1.
 * Async-signal-safe. 0 or -errno. */
int cage_seccomp_load(const struct cage_bpf *p, bool want_listener,
		      int *listener) AKIOS_NONNULL(1, 3) AKIOS_NODISCARD;

/* The rules, group by group, for --dry-run: text (one group a line) or a
 * JSON object {"default":..,"groups":[{"name","why","action","syscalls"}]}.
 * Appends to out. 0 or -errno. */
int cage_seccomp_describe(const struct cage_seccomp_opts *o,
			  struct akios_buf *out, bool json)
    AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;

#endif
