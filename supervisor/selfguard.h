/* Self-confinement of the akios commands that read untrusted input
 * (STYLE.md §25): once the command line is parsed, `policy check`,
 * `audit verify` and friends give up the rights they no longer need, so a
 * bug in a parser cannot be turned into a write or an exec. */
#ifndef AKIOS_SELFGUARD_H
#define AKIOS_SELFGUARD_H

#include "shared/common.h"

/* no_new_privs + a Landlock domain that handles every filesystem write
 * right and grants none: reads stay possible, no file can be created,
 * changed, renamed or removed anywhere. Returns 0, -EOPNOTSUPP without
 * Landlock (the caller then runs unconfined), or -errno. */
int selfguard_no_fs_writes(void) AKIOS_NODISCARD;

/* no_new_privs + a seccomp filter allowing only I/O on open descriptors,
 * memory management and exit: everything else fails with EPERM. Skipped
 * in ASan builds (LeakSanitizer's exit scan needs clone and ptrace). */
int selfguard_stdio_only(void) AKIOS_NODISCARD;

#endif
