/* Privilege drop for the cage child: no_new_privs, securebits locked, all
 * five capability sets emptied, rlimits. Invariant: after a successful
 * cage_lock_caps no path through execve (setuid file, file caps, ambient
 * raise, uid 0 fixups) can give a capability back, in this process or in
 * any it clones afterwards. Only syscalls and libcap's non-allocating
 * prctl wrappers run here (fork-safe). */
#include "shared/common.h"
#include "supervisor/cage/caps.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

int cage_set_no_new_privs(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -errno;
	return 0;
}

/* NOROOT: uid 0 gets no caps at execve; NO_SETUID_FIXUP: no cap juggling
 * on uid changes; KEEP_CAPS stays off (locked); NO_CAP_AMBIENT_RAISE. */
#define CAGE_SECBITS                                                           \
	(SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |       \
	 SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |             \
	 SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED)

static int drop_bounding(struct akios_err *err)
{
	/* cap_max_bits() is what the running kernel knows, not what libcap
	 * was built with, so a newer capability is dropped too. */
	cap_value_t max = (cap_value_t)cap_max_bits();

	for (cap_value_t c = 0; c < max; c++) {
		if (cap_drop_bound(c) != 0 && errno != EINVAL) {
			int e = errno;
			akios_err_set(
			    err, NULL, 0, 0,
			    "dropping capability %d from the bounding "
			    "set: %s",
			    (int)c, strerror(e));
			return -e;
		}
	}
	return 0;
}

/* The raw capset(2): cap_set_proc() needs a malloc'd cap_t, which is not
 * safe in a child forked from a threaded parent. */
static int clear_sets(void)
{
	struct __user_cap_header_struct hdr = {
	    .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) != 0)
		return -errno;
	return 0;
}

int cage_lock_caps(struct akios_err *err)
{
	int rc;

	/* Securebits first: setting them needs CAP_SETPCAP, and so does
	 * dropping from the bounding set. */
	if (cap_set_secbits(CAGE_SECBITS) != 0) {
		rc = -errno;
		akios_err_set(err, NULL, 0, 0, "locking securebits: %s",
			      strerror(-rc));
		return rc;
	}
	rc = drop_bounding(err);
	if (rc < 0)
		return rc;
	/* One call (libcap's cap_reset_ambient asks about each cap first). */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
		rc = -errno;
		akios_err_set(err, NULL, 0, 0, "clearing ambient caps: %s",
			      strerror(-rc));
		return rc;
	}
	return 0;
}

int cage_clear_caps(struct akios_err *err)
{
	int rc = clear_sets();

	if (rc < 0)
		akios_err_set(err, NULL, 0, 0, "clearing capability sets: %s",
			      strerror(-rc));
	return rc;
}

int cage_drop_all_caps(struct akios_err *err)
{
	int rc = cage_lock_caps(err);

	return rc < 0 ? rc : cage_clear_caps(err);
}

struct cage_rlimits cage_rlimits_leave(void)
{
	struct cage_rlimits r = {CAGE_RLIM_LEAVE, CAGE_RLIM_LEAVE,
				 CAGE_RLIM_LEAVE, CAGE_RLIM_LEAVE,
				 CAGE_RLIM_LEAVE, CAGE_RLIM_LEAVE};
	return r;
}

static int set_one(int resource, const char *name, uint64_t v,
		   struct akios_err *err)
{
	struct rlimit cur;
	struct rlimit want;

	if (v == CAGE_RLIM_LEAVE)
		return 0;
	/* 0 is below any hard limit: nothing to read (one syscall less on
	 * the agent's way to execve, where core is always 0). */
	cur.rlim_max = 0;
	if (v != 0 && getrlimit(resource, &cur) != 0)
		return -errno;
	/* Never raise: raising the hard limit needs CAP_SYS_RESOURCE and a
	 * lower host limit is a decision we respect. */
	want.rlim_max = (cur.rlim_max != RLIM_INFINITY && v > cur.rlim_max)
			    ? cur.rlim_max
			    : (rlim_t)v;
	want.rlim_cur = want.rlim_max;
	if (setrlimit(resource, &want) != 0) {
		int e = errno;
		akios_err_set(err, NULL, 0, 0, "setrlimit %s=%llu: %s", name,
			      (unsigned long long)v, strerror(e));
		return -e;
	}
	return 0;
}

int cage_apply_rlimits(const struct cage_rlimits *r, struct akios_err *err)
{
	const struct {
		int res;
		const char *name;
		uint64_t v;
	} t[] = {
	    {RLIMIT_CORE, "core", r->core},
	    {RLIMIT_NOFILE, "nofile", r->nofile},
	    {RLIMIT_FSIZE, "fsize", r->fsize},
	    {RLIMIT_NPROC, "nproc", r->nproc},
	    {RLIMIT_AS, "as", r->as},
	    {RLIMIT_CPU, "cpu", r->cpu_sec},
	};

	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(t); i++) {
		int rc = set_one(t[i].res, t[i].name, t[i].v, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}
