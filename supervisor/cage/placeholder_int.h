/* Declarations shared by the placeholder sentinel's files only
 * (placeholder.c, placeholder_spare.c): its block, its raw syscalls. The
 * sentinel shares akios's memory, so its code makes no libc call (see
 * placeholder.c): everything here is inline or raw. */
#ifndef AKIOS_CAGE_PLACEHOLDER_INT_H
#define AKIOS_CAGE_PLACEHOLDER_INT_H

#include "shared/common.h"
#include "supervisor/cage/plan.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/stat.h>
#include <stdint.h>
#include <sys/syscall.h>

#if defined(__x86_64__) || defined(__aarch64__)
#define PH_SHARED_VM 1
#else
#define PH_SHARED_VM 0
#endif

#define PH_STACK ((size_t)64 * 1024)

/* Code the sentinel runs: nothing that reaches akios's TLS. */
#define PH_BARE                                                                \
	__attribute__((noinline, no_stack_protector,                           \
		       no_sanitize("address", "undefined")))

/* The sentinel's one answer: 0, or -errno and the mount that failed. */
struct ph_result {
	int32_t err;
	uint32_t index;
};

struct ph_entry {
	uint32_t index; /* in plan->mounts */
	uint32_t dir;	/* 1: a directory, 0: a file */
	uint32_t path;	/* offset of the NUL-ended path in the block */
	uint32_t made;	/* 1: we made it, dev/ino say which inode */
	uint32_t dev_major;
	uint32_t dev_minor;
	uint64_t ino;
};

/* At the top of the sentinel's stack; the paths follow the entries. */
struct ph_block {
	int32_t sock;
	uint32_t n;
	/* The spare directories' pool (placeholder_spare.c), -1: none;
	 * how many it held before the run, how many this run took from it
	 * and gave to it since. */
	int32_t spare;
	uint32_t spare_seen;
	uint32_t spare_taken;
	uint32_t spare_given;
	/* With an early cage (run.c), numbers in the sentinel's own fd table
	 * (a copy of akios's at the clone): the cage's pidfd, and the sync
	 * pipe's write end, on which the sentinel itself sends the cage's go
	 * once the placeholders exist. -1: none (pidfd then comes later). */
	int32_t pidfd;
	int32_t go;
	struct ph_entry e[];
};

#if defined(__x86_64__)
static inline long ph_sys(long n, long a, long b, long c, long d, long e,
			  long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
#elif defined(__aarch64__)
static inline long ph_sys(long n, long a, long b, long c, long d, long e,
			  long f)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;

	__asm__ volatile("svc 0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
}
#else
/* A forked sentinel owns its memory: libc is fine there. */
static inline long ph_sys(long n, long a, long b, long c, long d, long e,
			  long f)
{
	long r = syscall(n, a, b, c, d, e, f);

	return r < 0 ? -errno : r;
}
#endif

#define PH_SYS(n, a, b, c, d, e, f)                                            \
	ph_sys((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e),     \
	       (long)(f))

static inline long ph_statx(int dfd, const char *path, int flags,
			    struct statx *st)
{
	return PH_SYS(SYS_statx, dfd, path, flags,
		      STATX_TYPE | STATX_INO | STATX_SIZE, st, 0);
}

/* The pool of spare placeholder directories (placeholder_spare.c). */
/* Sentinel side. Puts an empty directory of the pool at path (renamed,
 * RENAME_NOREPLACE) and fills *st: 0, -EEXIST when path exists, another
 * -errno when the pool has none to give (the caller makes one). */
long ph_spare_take(struct ph_block *b, const char *path, struct statx *st);
/* Sentinel side. Moves the placeholder e (still the inode made, a
 * directory) back into the pool when it is empty: 0 when moved, else
 * -errno and the caller removes it as it would without a pool. */
long ph_spare_give(struct ph_block *b, const struct ph_entry *e,
		   const char *path);
/* akios's side, before the sentinel: the pool to use for the plan's
 * directory placeholders, in the first of dirs on their filesystem (an
 * fd, -1 for none) and, in *n_in, how many it holds. */
int ph_spare_open(const struct cage_plan *p, const char *const *dirs,
		  unsigned n_dirs, uint32_t *n_in);

#endif
