/* fail_sync: runs a command whose fdatasync calls all fail with EIO,
 * standing for a disk that cannot make the audit log durable:
 *   fail_sync [--no-seccomp] CMD ARGS...
 * A seccomp filter (installed with no_new_privs, inherited across exec
 * and by every child) returns EIO for fdatasync and allows the rest;
 * with --no-seccomp, seccomp(2) fails with ENOSYS too (a kernel without
 * seccomp, as akios's probe sees it). Exits 125 when the filter cannot
 * be installed or CMD not run. */
#include "shared/common.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#if defined(__x86_64__)
#define FS_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define FS_ARCH AUDIT_ARCH_AARCH64
#else
#error "fail_sync: unknown architecture"
#endif

int main(int argc, char **argv)
{
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		     offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, FS_ARCH, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		     offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_fdatasync, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EIO),
	    /* Patched to SYS_seccomp by --no-seccomp. */
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_fdatasync, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = AKIOS_ARRAY_SIZE(f), .filter = f};

	if (argc > 1 && strcmp(argv[1], "--no-seccomp") == 0) {
		f[6].k = SYS_seccomp;
		argv++;
		argc--;
	}
	if (argc < 2) {
		fprintf(stderr,
			"usage: fail_sync [--no-seccomp] CMD [ARGS...]\n");
		return 125;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
		fprintf(stderr, "fail_sync: seccomp: %s\n", strerror(errno));
		return 125;
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "fail_sync: %s: %s\n", argv[1], strerror(errno));
	return 125;
}
