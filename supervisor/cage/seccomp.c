/* The agent's seccomp filter: the table of seccomp_table.c compiled once
 * in the supervisor (libseccomp for the syscall dispatch, a hand-written
 * prefix for the argument rules), then loaded in the cage child with the
 * raw seccomp() syscall. Invariant: the program starts with an
 * architecture check; anything not x86_64 (i386 via int 0x80, x32) kills
 * the process, and an always-denied syscall stays denied even when the
 * caller asks to trap it. The allowlist with the reason for each group is
 * the comment table at the top of seccomp_table.c. */
#include "shared/common.h"
#include "supervisor/cage/seccomp.h"
#include "supervisor/cage/seccomp_int.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/syscall.h>

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

static bool in_list(const int *list, unsigned n, int nr)
{
	for (unsigned i = 0; i < n; i++)
		if (list[i] == nr)
			return true;
	return false;
}

static bool always_denied(int nr)
{
	for (unsigned g = 0; g < sc_n_groups; g++) {
		if (sc_groups[g].action == SC_ALLOW)
			continue;
		for (const char *const *c = sc_groups[g].calls; *c; c++)
			if (sc_resolve(*c) == nr)
				return true;
	}
	return false;
}

static uint32_t group_action(const struct sc_group *g, const char *call,
			     const struct cage_seccomp_opts *o)
{
	if (g->action == SC_EPERM)
		return SCMP_ACT_ERRNO(EPERM);
	if (g->action == SC_ENOSYS)
		return SCMP_ACT_ERRNO(ENOSYS);
	if (o->deny_memfd && strcmp(call, "memfd_create") == 0)
		return SCMP_ACT_ERRNO(EPERM);
	return SCMP_ACT_ALLOW;
}

static int add_groups(scmp_filter_ctx ctx, const struct cage_seccomp_opts *o,
		      struct akios_err *err)
{
	for (unsigned g = 0; g < sc_n_groups; g++) {
		for (const char *const *c = sc_groups[g].calls; *c; c++) {
			int nr = sc_resolve(*c);
			uint32_t act;
			int rc;
			if (nr < 0)
				return akios_err_set(err, NULL, 0, 0,
						     "seccomp: unknown syscall "
						     "%s",
						     *c);
			/* A trapped syscall goes to the broker instead. */
			if (sc_groups[g].action == SC_ALLOW &&
			    in_list(o->notify_syscalls, o->n_notify, nr))
				continue;
			act = group_action(&sc_groups[g], *c, o);
			/* libseccomp refuses a rule that repeats the default
			 * action (clone3's ENOSYS): it needs none. */
			if (act == SCMP_ACT_ERRNO(ENOSYS))
				continue;
			rc = seccomp_rule_add(ctx, act, nr, 0);
			if (rc < 0) {
				akios_err_set(err, NULL, 0, 0,
					      "seccomp: rule for %s: %s", *c,
					      strerror(-rc));
				return rc;
			}
		}
	}
	return 0;
}

static int add_notify(scmp_filter_ctx ctx, const struct cage_seccomp_opts *o,
		      struct akios_err *err)
{
	for (unsigned i = 0; i < o->n_notify; i++) {
		int nr = o->notify_syscalls[i];
		int rc;
		if (nr < 0 || nr > 1023)
			return akios_err_set(err, NULL, 0, 0,
					     "seccomp: bad notify syscall %d",
					     nr);
		if (always_denied(nr) || in_list(o->notify_syscalls, i, nr))
			continue;
		rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 0);
		if (rc < 0) {
			akios_err_set(err, NULL, 0, 0,
				      "seccomp: notify rule for %d: %s", nr,
				      strerror(-rc));
			return rc;
		}
	}
	return 0;
}

#define STMT(c, k)	 ((struct sock_filter)BPF_STMT((c), (k)))
#define JUMP(c, k, t, f) ((struct sock_filter)BPF_JUMP((c), (k), (t), (f)))
#define LD_W(off)	 STMT(BPF_LD | BPF_W | BPF_ABS, (off))
/* The low 32 bits of argument i (x86_64 is little-endian): the kernel
 * reads these arguments as int/unsigned int, so the high half, which a
 * caller can fill with anything, must not take part in the comparison. */
#define ARG_LO(i) LD_W(offsetof(struct seccomp_data, args) + (size_t)8 * (i))

/* Appends one argument rule as a block that falls through to the next
 * block when the rule does not deny. Returns the new length. */
static unsigned emit_rule(struct sock_filter *f, unsigned n,
			  const struct sc_arg_rule *r, int nr)
{
	unsigned k = r->n_vals;
	uint32_t ret =
	    SECCOMP_RET_ERRNO | ((uint32_t)r->err & SECCOMP_RET_DATA);

	f[n++] = LD_W(offsetof(struct seccomp_data, nr));
	if (r->kind == SC_ARG_DENY_MASK) {
		f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 3);
		f[n++] = ARG_LO(r->arg);
		f[n++] = JUMP(BPF_JMP | BPF_JSET | BPF_K, r->vals[0], 0, 1);
	} else if (r->kind == SC_ARG_DENY_SET) {
		f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0,
			      (uint8_t)(k + 3));
		f[n++] = ARG_LO(r->arg);
		for (unsigned j = 0; j < k; j++)
			f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, r->vals[j],
				      (uint8_t)(k - j), 0);
		f[n++] = STMT(BPF_JMP | BPF_JA, 1);
	} else {
		f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0,
			      (uint8_t)(k + 2));
		f[n++] = ARG_LO(r->arg);
		for (unsigned j = 0; j < k; j++)
			f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, r->vals[j],
				      (uint8_t)(k - j), 0);
	}
	f[n++] = STMT(BPF_RET | BPF_K, ret);
	return n;
}

#define ARG_HI(i)                                                              \
	LD_W(offsetof(struct seccomp_data, args) + (size_t)8 * (i) + 4)

/* A trapped call narrowed by a notify rule: USER_NOTIF when the pointer
 * argument is non-NULL (both halves) or a flag is set, else ALLOW. */
static unsigned emit_notify(struct sock_filter *f, unsigned n,
			    const struct sc_notify_rule *r, int nr)
{
	f[n++] = LD_W(offsetof(struct seccomp_data, nr));
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 8);
	f[n++] = ARG_LO(r->ptr_arg);
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 5);
	f[n++] = ARG_HI(r->ptr_arg);
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 3);
	f[n++] = ARG_LO(r->flags_arg);
	f[n++] = JUMP(BPF_JMP | BPF_JSET | BPF_K, r->flags, 1, 0);
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF);
	return n;
}

/* Argument rule i as compiled: the persona akios runs with joins the
 * allowed personality() values ("set it to what it is" stays allowed: a
 * host may run with e.g. UNAME26). Its syscall number, -1 if unknown. */
static int arg_rule(unsigned i, struct sc_arg_rule *r)
{
	*r = sc_arg_rules[i];
	if (strcmp(r->syscall, "personality") == 0 &&
	    r->n_vals < AKIOS_ARRAY_SIZE(r->vals))
		r->vals[r->n_vals++] = (uint32_t)personality(0xffffffffu);
	return sc_resolve(r->syscall);
}

/* Notify rule i's number when the caller traps it, else -1. */
static int notify_rule(unsigned i, const int *notify, unsigned n_notify)
{
	int nr = sc_resolve(sc_notify_rules[i].syscall);

	return nr >= 0 && in_list(notify, n_notify, nr) ? nr : -1;
}

/* The argument rules, guarded by their own architecture check (an i386
 * syscall number means something else); on any other architecture the
 * prefix jumps straight to libseccomp's program, which kills. */
unsigned seccomp_prefix(struct sock_filter *f, const int *notify,
			unsigned n_notify)
{
	unsigned n = 2;

	f[0] = LD_W(offsetof(struct seccomp_data, arch));
	for (unsigned i = 0; i < sc_n_arg_rules; i++) {
		struct sc_arg_rule r;
		int nr = arg_rule(i, &r);

		if (nr >= 0 && n + 6 + r.n_vals <= SC_PREFIX_MAX)
			n = emit_rule(f, n, &r, nr);
	}
	for (unsigned i = 0; i < sc_n_notify_rules; i++) {
		int nr = notify_rule(i, notify, n_notify);

		if (nr >= 0 && n + 10 <= SC_PREFIX_MAX)
			n = emit_notify(f, n, &sc_notify_rules[i], nr);
	}
	f[1] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0,
		    (uint8_t)(n - 2));
	return n;
}

unsigned seccomp_rules_for(struct sock_filter *f, unsigned n, unsigned max,
			   int nr, const int *notify, unsigned n_notify,
			   bool *returns)
{
	/* The same rules, in the same order, as seccomp_prefix emits for nr,
	 * with its room: a rule the prefix would drop is dropped here too
	 * (scratch is the prefix being laid out alongside). */
	struct sock_filter scratch[SC_PREFIX_MAX];
	unsigned n0 = 2;

	*returns = false;
	for (unsigned i = 0; i < sc_n_arg_rules; i++) {
		struct sc_arg_rule r;
		int rn = arg_rule(i, &r);

		if (rn < 0 || n0 + 6 + r.n_vals > SC_PREFIX_MAX)
			continue;
		n0 = emit_rule(scratch, n0, &r, rn);
		if (rn != nr)
			continue;
		if (n + 6 + r.n_vals > max)
			return 0;
		n = emit_rule(f, n, &r, nr);
	}
	for (unsigned i = 0; i < sc_n_notify_rules; i++) {
		int rn = notify_rule(i, notify, n_notify);

		if (rn < 0 || n0 + 10 > SC_PREFIX_MAX)
			continue;
		n0 += 10;
		if (rn != nr)
			continue;
		if (n + 10 > max)
			return 0;
		n = emit_notify(f, n, &sc_notify_rules[i], nr);
		*returns = true; /* a notify block always returns */
	}
	return n;
}

/* libseccomp 2.5.4 has no seccomp_export_bpf_mem (2.6.0): export to a
 * memfd and read the program back. */
static int export_body(scmp_filter_ctx ctx, struct sock_filter **body,
		       size_t *len)
{
	int fd = memfd_create("akios-seccomp", MFD_CLOEXEC);
	off_t size;
	int rc;

	*body = NULL;
	if (fd < 0)
		return -errno;
	rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0)
		goto out;
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0 ||
	    size > BPF_MAXINSNS * (off_t)sizeof(struct sock_filter)) {
		rc = -EINVAL;
		goto out;
	}
	*body = malloc((size_t)size);
	if (!*body) {
		rc = -ENOMEM;
		goto out;
	}
	if (pread(fd, *body, (size_t)size, 0) != size) {
		rc = -EIO;
		free(*body);
		*body = NULL;
		goto out;
	}
	*len = (size_t)size / sizeof(struct sock_filter);
	rc = 0;
out:
	close(fd);
	return rc;
}

static int join(struct cage_bpf *out, const struct sock_filter *prefix,
		unsigned np, const struct sock_filter *body, size_t nb)
{
	if (np + nb > BPF_MAXINSNS)
		return -E2BIG;
	out->insns = malloc((np + nb) * sizeof(*out->insns));
	if (!out->insns)
		return -ENOMEM;
	memcpy(out->insns, prefix, np * sizeof(*prefix));
	memcpy(out->insns + np, body, nb * sizeof(*body));
	out->len = (unsigned short)(np + nb);
	return 0;
}

static scmp_filter_ctx new_ctx(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(ENOSYS));

	if (!ctx)
		return NULL;
	/* i386 (int 0x80) and x32 entry: a 64-bit agent has no business
	 * there, so this is an attack; kill rather than answer. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
			     SCMP_ACT_KILL_PROCESS) != 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) != 0) {
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

static int compile(const struct cage_seccomp_opts *o, struct cage_bpf *out,
		   struct akios_err *err, bool tree)
{
	struct sock_filter prefix[SC_PREFIX_MAX];
	struct sock_filter *body = NULL;
	scmp_filter_ctx ctx = new_ctx();
	size_t nb = 0;
	int rc;

	out->insns = NULL;
	out->len = 0;
	if (!ctx) {
		akios_err_set(err, NULL, 0, 0, "seccomp: libseccomp init");
		return -ENOMEM;
	}
	rc = add_groups(ctx, o, err);
	if (rc == 0)
		rc = add_notify(ctx, o, err);
	if (rc < 0)
		goto out;
	rc = export_body(ctx, &body, &nb);
	/* The search layout when it can be proven the same, else the
	 * argument prefix then libseccomp's program. */
	if (rc == 0 && (!tree || seccomp_tree(o, body, (unsigned)nb, out) != 0))
		rc = join(
		    out, prefix,
		    seccomp_prefix(prefix, o->notify_syscalls, o->n_notify),
		    body, nb);
	if (rc < 0)
		akios_err_set(err, NULL, 0, 0, "seccomp: exporting BPF: %s",
			      strerror(-rc));
out:
	free(body);
	seccomp_release(ctx);
	return rc;
}

int seccomp_compile(const struct cage_seccomp_opts *o, struct cage_bpf *out,
		    struct akios_err *err)
{
	return compile(o, out, err, true);
}

int seccomp_compile_flat(const struct cage_seccomp_opts *o,
			 struct cage_bpf *out, struct akios_err *err)
{
	return compile(o, out, err, false);
}

void cage_bpf_free(struct cage_bpf *p)
{
	if (!p)
		return;
	free(p->insns);
	p->insns = NULL;
	p->len = 0;
}

int cage_seccomp_load(const struct cage_bpf *p, bool want_listener,
		      int *listener)
{
	struct sock_fprog prog = {.len = p->len, .filter = p->insns};
	unsigned long flags = 0;
	long rc;

	*listener = -1;
	if (!p->insns || p->len == 0)
		return -EINVAL;
	if (want_listener)
		flags = SECCOMP_FILTER_FLAG_NEW_LISTENER |
			SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
	rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	/* Before 5.19 WAIT_KILLABLE_RECV is unknown: EINVAL, retry without
	 * it (the broker then sees spurious wake-ups on signals). */
	if (rc < 0 && errno == EINVAL && want_listener)
		rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			     SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (rc < 0)
		return -errno;
	if (want_listener)
		*listener = (int)rc;
	return 0;
}
