/* Internals of the seccomp module: the documented syscall table
 * (seccomp_table.c) read by the builder and the describer (seccomp.c). */
#ifndef AKIOS_CAGE_SECCOMP_INT_H
#define AKIOS_CAGE_SECCOMP_INT_H

#include "shared/common.h"
#include "supervisor/cage/seccomp.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>

enum sc_action {
	SC_ALLOW,  /* allowed (possibly narrowed by an argument rule) */
	SC_EPERM,  /* always denied with EPERM */
	SC_ENOSYS, /* denied with ENOSYS so libc falls back */
};

struct sc_group {
	const char *name;
	const char *why; /* why the group is allowed or denied */
	enum sc_action action;
	const char *const *calls; /* NULL-terminated */
};

enum sc_arg_kind {
	SC_ARG_DENY_SET,  /* deny when the low 32 bits equal one of vals */
	SC_ARG_ALLOW_SET, /* deny unless the low 32 bits equal one of vals */
	SC_ARG_DENY_MASK, /* deny when the low 32 bits share a bit with vals[0] */
};

/* An argument rule, compiled by hand into the prefix of the program
 * (libseccomp 2.5.4 lets an unconditional rule swallow conditional ones
 * of another action, and compares 64 bits where the kernel reads 32). */
struct sc_arg_rule {
	const char *syscall;
	unsigned arg; /* 0..5 */
	enum sc_arg_kind kind;
	uint32_t vals[4];
	unsigned n_vals;
	int err; /* errno returned when denied */
	const char *why;
};

/* A trapped (user-notify) syscall narrowed by its arguments: it reaches
 * the broker only when the pointer argument ptr_arg is non-NULL (all 64
 * bits) or the flags argument has a bit of `flags`; otherwise it is
 * allowed in the kernel. Applies only when the caller traps it. */
struct sc_notify_rule {
	const char *syscall;
	unsigned ptr_arg;
	unsigned flags_arg;
	uint32_t flags;
	const char *why;
};

extern const struct sc_group sc_groups[];
extern const unsigned sc_n_groups;
extern const struct sc_arg_rule sc_arg_rules[];
extern const unsigned sc_n_arg_rules;
extern const struct sc_notify_rule sc_notify_rules[];
extern const unsigned sc_n_notify_rules;

extern const int sc_broker_traps[];
extern const unsigned sc_n_broker_traps;

/* A program compiled at build time by tools/seccomp_gen.c (which runs
 * seccomp_compile on this table) into $(BUILD)/gen/seccomp_pre.c, one per
 * variant `akios run` asks for. The only run-time input of the program,
 * the supervisor's persona (an allowed personality() value), is patched
 * in at persona_slot (SC_NO_SLOT: none). */
#define SC_NO_SLOT 0xffffu
struct sc_precompiled {
	bool deny_memfd;
	bool broker_traps; /* notify list == sc_broker_traps, else empty */
	unsigned short len;
	unsigned short persona_slot;
	const struct sock_filter *insns;
};
extern const struct sc_precompiled sc_precompiled[];
extern const unsigned sc_n_precompiled;

/* The variant for o, or NULL when none was precompiled. */
const struct sc_precompiled *
seccomp_precompiled_find(const struct cage_seccomp_opts *o);

/* Compiles the program with libseccomp (the reference the precompiled
 * programs are made with and checked against). Same contract as
 * cage_seccomp_build. */
int seccomp_compile(const struct cage_seccomp_opts *o, struct cage_bpf *out,
		    struct akios_err *err) AKIOS_NODISCARD;

/* The same rules as the argument prefix followed by libseccomp's program
 * (the layout seccomp_tree reorganises): the reference the tests compare
 * seccomp_compile's program with. */
int seccomp_compile_flat(const struct cage_seccomp_opts *o,
			 struct cage_bpf *out,
			 struct akios_err *err) AKIOS_NODISCARD;

/* x86_64 number of a syscall name: libseccomp's table, then ours for the
 * calls newer than libseccomp 2.5.4. -1 when unknown. */
int sc_resolve(const char *name);

/* Writes the hand-compiled argument-rule prefix into f (room for
 * SC_PREFIX_MAX instructions) and returns its length: the argument
 * rules, then the notify rules of the syscalls in notify[] (n of them).
 * Exported for tests/unit/test_cage_seccomp.c. */
#define SC_PREFIX_MAX 128
unsigned seccomp_prefix(struct sock_filter *f, const int *notify, unsigned n);

/* Appends at f[n] (room up to f[max - 1]) the blocks seccomp_prefix
 * emits for syscall nr, in its order: each falls through when it does
 * not decide; *returns says the last one always returns. The new length,
 * n when nr has no rule, 0 when they do not fit. */
unsigned seccomp_rules_for(struct sock_filter *f, unsigned n, unsigned max,
			   int nr, const int *notify, unsigned n_notify,
			   bool *returns);

/* The program prefix + body (libseccomp's) as a search over syscall
 * numbers with the rule blocks at its leaves (seccomp_tree.c), deciding
 * the same for every input. 0, or -EINVAL / -E2BIG when body is not a
 * function of (arch, nr) this layout can prove equal (the caller then
 * keeps prefix + body), or -ENOMEM. On success out owns the program. */
int seccomp_tree(const struct cage_seccomp_opts *o,
		 const struct sock_filter *body, unsigned nb,
		 struct cage_bpf *out) AKIOS_NODISCARD;

/* Runs a classic BPF seccomp program on d (the instructions these
 * programs use): its return value, or -1 for anything else. */
int64_t seccomp_eval(const struct sock_filter *f, unsigned len,
		     const struct seccomp_data *d);

#endif
