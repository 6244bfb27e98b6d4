/* akios run: load the policy, probe the kernel, build the cage plan, then
 * either print it (--dry-run) or open the audit log, apply the plan and
 * supervise the agent to its end. The exit code is the agent's (or
 * 128+signal), 124 for a kill-switch, 125 for akios's own errors,
 * 126/127 when the agent cannot be executed or found. */
#include "shared/common.h"
#include "policy/policy.h"
#include "shared/audit/audit.h"
#include "shared/exitcodes.h"
#include "supervisor/cage/plan.h"
#include "supervisor/cage/run.h"
#include "supervisor/cli.h"
#include "supervisor/cmd_run_broker.h"
#include "supervisor/cmd_run_int.h"
#include "supervisor/commands.h"

#include <errno.h>
#include <link.h>
#include <malloc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

static const struct cli_opt run_opts[] = {
    {"policy", 0, "FILE", "the policy (default: the embedded default)", 0},
    {"audit-dir", 0, "DIR",
     "audit log directory (default: policy audit.dir, else .akios/audit)", 0},
    {"dry-run", 0, NULL, "print the enforcement plan, run nothing", 0},
    {"json", 0, NULL, "with --dry-run: print the plan as JSON", 0},
    {"no-sandbox", 0, NULL,
     "WARNING: run without the cage (refused under security.sandbox: "
     "strict or when signatures are required)",
     0},
    {"allow-degraded", 0, "WHAT",
     "WARNING: run without a missing kernel layer (seccomp, landlock)",
     CLI_OPT_MULTI},
    {"require-signed", 0, NULL,
     "refuse a policy without a valid signature (also "
     "AKIOS_REQUIRE_SIGNED=1)",
     0},
    {"trusted-keys", 0, "DIR", "directory of trusted *.pub keys", 0},
};

static const struct cli_spec run_spec = {
    .name = "run",
    .usage = "[options] -- CMD [ARGS...]",
    .summary = "Run an unmodified program inside the cage.",
    .details =
	"The program runs in new user, pid, mount, net, ipc, uts and cgroup\n"
	"namespaces on a read-only view holding the system directories and\n"
	"the policy's filesystem.allow paths, with Landlock, a seccomp\n"
	"allowlist, no capabilities and the policy's limits. Every decision\n"
	"goes to the audit log. Exit: the program's code, 128+signal,\n"
	"124 kill-switch (timeout, memory), 125 akios error, 126 not\n"
	"executable, 127 not found. --dry-run exits 0 when the run would be\n"
	"allowed, 1 when it would be refused.",
    .opts = run_opts,
    .n_opts = AKIOS_ARRAY_SIZE(run_opts),
    .min_pos = 1,
    .max_pos = CLI_REST,
};

static int load_policy(const struct cli_args *a, struct run_state *s)
{
	struct policy_trust trust;
	struct policy_errors errs = {0};
	struct akios_err err = {0};
	int rc =
	    policy_trust_init(&trust, cli_has(&run_spec, a, "require-signed"),
			      cli_get(&run_spec, a, "trusted-keys"), &err);

	if (rc != 0) {
		cli_error_err("run", &err);
		return AKIOS_EXIT_USAGE;
	}
	s->require_signed = trust.require_signed;
	rc = policy_load_checked(s->policy_path, &trust, &s->policy, &errs);
	if (rc == 0)
		return 0;
	for (unsigned i = 0; i < errs.n; i++)
		cli_error_err("run", &errs.e[i]);
	if (errs.n == 0)
		cli_error("run", "cannot load the policy: %s", strerror(-rc));
	return AKIOS_EXIT_INTERNAL;
}

static int parse_degraded(const struct cli_args *a, unsigned *bits)
{
	unsigned n = 0;
	const char *const *v = cli_get_all(&run_spec, a, "allow-degraded", &n);
	struct akios_err err = {0};

	*bits = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned b;

		if (cage_degrade_parse(v[i], &b, &err) != 0) {
			cli_error_err("run", &err);
			return AKIOS_EXIT_USAGE;
		}
		*bits |= b;
	}
	return 0;
}

static int dry_run(struct run_state *s, bool json)
{
	struct akios_buf out;
	struct resolve_set *rs = NULL;
	int rc = run_broker_resolve(s, &rs);

	if (rc != 0)
		return rc;
	akios_buf_init(&out, 4ul * 1024 * 1024);
	rc = cage_plan_describe(&s->plan, &out, json);
	if (rc == 0)
		rc = run_broker_describe(rs, &out, json);
	if (rc == 0)
		fwrite(out.ptr, 1, out.len, stdout);
	akios_buf_free(&out);
	resolve_set_free(rs);
	if (rc != 0) {
		cli_error("run", "cannot print the plan: %s", strerror(-rc));
		return AKIOS_EXIT_INTERNAL;
	}
	return s->plan.allowed ? AKIOS_EXIT_OK : AKIOS_EXIT_FAIL;
}

static int run_body(struct run_state *s, const struct cli_args *a)
{
	bool dry = cli_has(&run_spec, a, "dry-run");
	int rc;

	if (cli_has(&run_spec, a, "no-sandbox"))
		return run_no_sandbox(s);
	if (!dry) {
		rc = run_audit_setup(s, true);
		if (rc != 0)
			return rc;
	}
	rc = run_build_plan(s, dry);
	if (rc != 0)
		return rc;
	if (dry)
		return dry_run(s, cli_has(&run_spec, a, "json"));
	if (!s->plan.allowed) {
		cli_error("run", "refused: %s", s->plan.refusal);
		run_audit_refusal(s);
		return AKIOS_EXIT_INTERNAL;
	}
	return run_cage(s);
}

/* A page fault costs ~11 us on a paravirtualised host (an exception and
 * an exit to the hypervisor each); akios run touches ~14 fresh stack
 * pages and ~20 heap pages on its way to the cage. One
 * madvise(MADV_POPULATE_WRITE) per region maps them in the kernel with
 * no exception each. The stack region lies inside the stack's mapping
 * (the kernel maps 128 KB below the arguments at exec); the heap is the
 * main arena from its first chunk to the break (the page holding that
 * chunk is mapped already). A failure (an older kernel) only costs the
 * faults back. */
#define RUN_STACK_PREFAULT    ((uintptr_t)64 * 1024)
#define RUN_HEAP_PREFAULT_MAX ((uintptr_t)1024 * 1024)

/* x86_64's page (a constant: sysconf would fault in one more page of
 * libc's text; a wrong value only makes madvise fail). */
#define RUN_PAGE_MASK ((uintptr_t)4095)
/* The heap top kept when freed (mallopt): far above what a run uses. */
#define RUN_TRIM_THRESHOLD (64 * 1024 * 1024)

/* The read-only segments (code, constants) of the program and its
 * libraries, mapped in one call per object: akios run first touches
 * ~25 more of their pages after main, each a fault. */
static int prefault_object(struct dl_phdr_info *info, size_t size, void *ctx)
{
	uintptr_t lo = UINTPTR_MAX, hi = 0;

	(void)size;
	(void)ctx;
	for (unsigned i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t a = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W))
			continue;
		lo = a < lo ? a : lo;
		hi = a + ph->p_memsz > hi ? a + ph->p_memsz : hi;
	}
	lo &= ~RUN_PAGE_MASK;
	if (hi > lo && info->dlpi_name &&
	    strstr(info->dlpi_name, "vdso") == NULL)
		(void)madvise((void *)lo, hi - lo, MADV_POPULATE_READ);
	return 0;
}

/* The code and constants, then the stack below this frame. */
static void prefault_start(void)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0) & ~RUN_PAGE_MASK;

	(void)dl_iterate_phdr(prefault_object, NULL);
	(void)madvise((void *)(sp - RUN_STACK_PREFAULT), RUN_STACK_PREFAULT,
		      MADV_POPULATE_WRITE);
}

static void prefault_heap(const void *first_chunk)
{
	uintptr_t lo = ((uintptr_t)first_chunk | RUN_PAGE_MASK) + 1;
	uintptr_t top = (uintptr_t)sbrk(0);

	/* Not glibc's heap (ASan's allocator) or an unexpected size: skip. */
	if (top > lo && top - lo <= RUN_HEAP_PREFAULT_MAX)
		(void)madvise((void *)lo, top - lo, MADV_POPULATE_WRITE);
}

/* The run's state (~44 KB, mostly the plan's fixed tables) is a mapping
 * of its own, not in cmd_run's frame nor from malloc: on the stack every
 * page is probed (-fstack-clash-protection), calloc would clear every
 * page by hand. MAP_POPULATE maps its zero pages in the mmap call: most
 * are written before the cage starts, and a fault each would cost ~11 us
 * on a paravirtualised host (the cage's PID 1 shares this memory on
 * x86_64, CLONE_VM: nothing is copied). */
static int run_main(struct run_state *s, struct cli_args *args)
{
	int rc;

	s->argv = calloc(args->n_pos + 1, sizeof(*s->argv));
	if (!s->argv)
		return AKIOS_EXIT_INTERNAL;
	prefault_heap(s->argv);
	memcpy(s->argv, args->pos, args->n_pos * sizeof(*s->argv));
	s->policy_path = cli_get(&run_spec, args, "policy");
	s->audit_dir_opt = cli_get(&run_spec, args, "audit-dir");
	rc = parse_degraded(args, &s->degrade);
	if (rc == 0)
		rc = load_policy(args, s);
	if (rc == 0)
		rc = run_body(s, args);
	return rc;
}

/* The command's body, below prefault_start's frame (cli_args alone is
 * five pages, probed at entry by -fstack-clash-protection). */
static __attribute__((noinline)) int run_cmd(int argc, char **argv)
{
	struct run_state *s;
	struct cage_early *early = NULL;
	struct cli_args args;
	bool done;
	int rc = cli_parse_or_help(&run_spec, argc, argv, &args, &done);

	if (done)
		return rc;
	if (!args.dashdash || args.dash_index != 0 || args.n_pos == 0) {
		cli_error("run", "the command goes after \"--\": akios run "
				 "[options] -- CMD [ARGS...]");
		return AKIOS_EXIT_USAGE;
	}
	/* Narrow privileges first (STYLE.md §25): nothing akios or the cage
	 * runs can gain privileges through exec. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		cli_error("run", "no_new_privs: %s", strerror(errno));
		return AKIOS_EXIT_INTERNAL;
	}
	/* Freed heap stays mapped (the default trims the top of the heap
	 * past 128 KB): each trim is a brk call whose unmapping flushes
	 * the TLB of every core running akios's threads, and the next
	 * growth faults the pages in again (~11 us each on this host). */
	/* A real run's cage starts now, first: its namespaces are made and
	 * its identity map written on the other core while the run's state
	 * is set up, the policy loads and the plan builds; it waits for
	 * them (run_state_free kills it on every path that does not run
	 * it, a bad --allow-degraded included). */
	if (!cli_has(&run_spec, &args, "dry-run") &&
	    !cli_has(&run_spec, &args, "no-sandbox"))
		early = cage_early_start(getuid(), getgid());
	(void)mallopt(M_TRIM_THRESHOLD, RUN_TRIM_THRESHOLD);
	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (s == MAP_FAILED) {
		cage_early_free(early);
		return AKIOS_EXIT_INTERNAL;
	}
	s->early = early;
	rc = run_main(s, &args);
	if (run_state_free(s) != 0)
		rc = AKIOS_EXIT_INTERNAL;
	/* The mapping is left to akios's exit, which follows (main returns
	 * the code): an munmap now flushes the TLB of every core that ran
	 * one of akios's threads (the parked ones live to the exit too),
	 * measured at 0.1-0.35 ms of the run's end on this host, where the
	 * exit's teardown of the whole address space needs no such flush. */
	return rc;
}

int cmd_run(int argc, char **argv)
{
	prefault_start();
	return run_cmd(argc, argv);
}
