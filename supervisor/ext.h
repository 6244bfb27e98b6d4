/* ext: akios-ext, the dynamically linked companion of a static akios.
 * A static binary cannot load a shared library (glibc's static dlopen
 * would map a second libc), so the commands that do (redact: libhs;
 * audit export --to: libcurl) run in akios-ext, the same code linked like
 * a normal program. The command layer decides, before any work, and execs
 * it with the same argv and environment. */
#ifndef AKIOS_EXT_H
#define AKIOS_EXT_H

#include "shared/common.h"

#include <limits.h>
#include <stdbool.h>

#define EXT_NAME "akios-ext"
/* Where the companion is looked for, relative to the directory of the
 * running binary (/proc/self/exe, never PATH), in this order: next to it
 * (the build tree), then make install's layout (bin/ and lib/akios/). */
#define EXT_CANDIDATES 2u

/* Writes candidate i (< EXT_CANDIDATES) for the binary at self (an
 * absolute path) to out. 0, -EINVAL or -ENAMETOOLONG. Pure. */
int ext_candidate(const char *self, unsigned i, char *out, size_t size)
    AKIOS_NONNULL(1, 3) AKIOS_NODISCARD;

/* True only in the static akios: supervisor/ext_static.c, linked into
 * that binary alone, says so at link time. False in akios-ext, in the
 * dynamic builds (sanitizers, AKIOS_STATIC_LIBS=0) and in tests. */
bool ext_required(void);

/* In the static akios, limits the NSS lookups akios makes (passwd: the
 * user's name; hosts: the policy's endpoints) to glibc's built-in files
 * and dns services. Any other service nsswitch.conf names (systemd,
 * resolve, mdns, ldap...) would be dlopen'ed with a second libc: on
 * Debian 12's "passwd: files systemd", getpwuid of a uid missing from
 * /etc/passwd then kills a static program with SIGSEGV. Call before such
 * a lookup (it reads nsswitch.conf, so not at start-up); a no-op in the
 * dynamic builds, which load every service as usual. */
void ext_nss_builtin(void);

/* What ext_exec tried: each candidate path and the errno it failed with,
 * or EXT_SELF: the candidate is the running binary itself. */
#define EXT_SELF (-1)
struct ext_tried {
	char path[EXT_CANDIDATES][PATH_MAX];
	int errnum[EXT_CANDIDATES];
	unsigned n;
};

/* Execs the companion with argv (borrowed; argv[0] as given) and the
 * current environment; fds are left as they are. Returns only on failure:
 * -errno (-ELOOP for EXT_SELF), with every path tried in *t. A missing first candidate moves on
 * to the next; any other failure stops there (fail closed). */
int ext_exec(char *const argv[], struct ext_tried *t) AKIOS_NONNULL(1, 2);

/* "PATH: why; PATH: why" for an error line; returns out. */
const char *ext_tried_format(const struct ext_tried *t, char *out, size_t size)
    AKIOS_NONNULL(1, 2);

#endif
