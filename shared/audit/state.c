/* The writer's open-time shortcut: events.state, written beside the log
 * at each checkpoint, holds the checkpoint's size, where its last record
 * ends in events.log, that record's framed length, the tree frontier and
 * the identity of the checkpoints directory right after that checkpoint
 * went in. It is a cache and untrusted input: its tree is used only when
 * its frontier folds to the newest checkpoint's root and its offsets fit
 * the file (the caller then checks the record before the offset,
 * writer.c); its checkpoint is taken as the newest, without listing the
 * directory, only while the directory's identity is unchanged. */
#include "shared/common.h"
#include "shared/audit/audit_int.h"
#include "shared/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <time.h>

/* Layout: magic, then size, end, last and flags as u64 little-endian,
 * the directory identity as 8 u64, then one 32-byte frontier node per set
 * bit of size, lowest bit first. Version 1 files (no identity) decode as
 * bad: the next open rebuilds once and rewrites them. */
#define STATE_MAGIC	"akios-audit-state 2\n"
#define STATE_MAGIC_LEN (sizeof(STATE_MAGIC) - 1)
#define STATE_FIXED	(STATE_MAGIC_LEN + 12ul * 8ul)
#define STATE_HAVE_DIR	1u
_Static_assert(AUDIT_STATE_MAX ==
		   STATE_FIXED + (size_t)AUDIT_MAX_HEIGHT * AUDIT_HASH_LEN,
	       "AUDIT_STATE_MAX matches the layout");

static void put_u64(uint8_t *p, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* The identity's fields in their encoded order. */
static void dir_fields(struct audit_cpdir *d, uint64_t *f[8])
{
	f[0] = &d->dev;
	f[1] = &d->ino;
	f[2] = &d->size;
	f[3] = &d->nlink;
	f[4] = (uint64_t *)&d->mtime_sec;
	f[5] = (uint64_t *)&d->mtime_nsec;
	f[6] = (uint64_t *)&d->ctime_sec;
	f[7] = (uint64_t *)&d->ctime_nsec;
}

size_t audit_state_encode(const struct audit_state *st,
			  uint8_t out[AUDIT_STATE_MAX])
{
	struct audit_cpdir d = st->dir;
	uint64_t *f[8];
	size_t n = STATE_FIXED;

	dir_fields(&d, f);
	memcpy(out, STATE_MAGIC, STATE_MAGIC_LEN);
	put_u64(out + STATE_MAGIC_LEN, st->fr.size);
	put_u64(out + STATE_MAGIC_LEN + 8, st->end);
	put_u64(out + STATE_MAGIC_LEN + 16, st->last);
	put_u64(out + STATE_MAGIC_LEN + 24, st->have_dir ? STATE_HAVE_DIR : 0);
	for (unsigned i = 0; i < 8; i++)
		put_u64(out + STATE_MAGIC_LEN + 32 + 8ul * i, *f[i]);
	for (unsigned k = 0; k < AUDIT_MAX_HEIGHT; k++) {
		if (!((st->fr.size >> k) & 1))
			continue;
		memcpy(out + n, st->fr.node[k], AUDIT_HASH_LEN);
		n += AUDIT_HASH_LEN;
	}
	return n;
}

int audit_state_decode(const uint8_t *p, size_t len, struct audit_state *st)
{
	size_t n = STATE_FIXED;
	uint64_t flags;
	uint64_t *f[8];

	if (len < STATE_FIXED || memcmp(p, STATE_MAGIC, STATE_MAGIC_LEN) != 0)
		return -EBADMSG;
	audit_frontier_init(&st->fr);
	st->fr.size = get_u64(p + STATE_MAGIC_LEN);
	st->end = get_u64(p + STATE_MAGIC_LEN + 8);
	st->last = get_u64(p + STATE_MAGIC_LEN + 16);
	flags = get_u64(p + STATE_MAGIC_LEN + 24);
	if (flags & ~(uint64_t)STATE_HAVE_DIR)
		return -EBADMSG;
	st->have_dir = flags & STATE_HAVE_DIR;
	dir_fields(&st->dir, f);
	for (unsigned i = 0; i < 8; i++)
		*f[i] = get_u64(p + STATE_MAGIC_LEN + 32 + 8ul * i);
	for (unsigned k = 0; k < AUDIT_MAX_HEIGHT; k++) {
		if (!((st->fr.size >> k) & 1))
			continue;
		if (len - n < AUDIT_HASH_LEN)
			return -EBADMSG;
		memcpy(st->fr.node[k], p + n, AUDIT_HASH_LEN);
		n += AUDIT_HASH_LEN;
	}
	return n == len ? 0 : -EBADMSG;
}

int audit_state_open(int dirfd, int *fd, uint64_t *len, struct audit_state *st)
{
	uint8_t buf[AUDIT_STATE_MAX + 1];
	struct stat sb;
	ssize_t n;
	bool rw = true;
	int f = openat(dirfd, AUDIT_STATE_NAME,
		       O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
		       0600);

	*fd = -1;
	/* One we may read but not write (e.g. mode 0400) is still used;
	 * the save then replaces it by a rename. */
	if (f < 0 && errno == EACCES) {
		rw = false;
		f = openat(dirfd, AUDIT_STATE_NAME,
			   O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	}
	if (f < 0)
		return -errno;
	/* Rewritten in place later only when it is a file of its own that
	 * we may write: a hard link's other names never see our bytes
	 * (such a state is replaced by a rename, audit_state_save). */
	if (fstat(f, &sb) || !S_ISREG(sb.st_mode)) {
		close(f);
		return -EBADMSG;
	}
	n = read(f, buf, sizeof(buf)); // one read: the file is tiny
	if (rw && sb.st_nlink == 1) {
		*fd = f;
		*len = (uint64_t)sb.st_size;
	} else {
		close(f);
	}
	if (n < 0 || audit_state_decode(buf, (size_t)n, st))
		return -EBADMSG;
	return 0;
}

int audit_state_check(const struct audit_state *st,
		      const struct audit_checkpoint *cp, uint64_t file_size)
{
	uint8_t root[AUDIT_HASH_LEN];

	if (st->fr.size != cp->size)
		return -ESTALE;
	audit_frontier_root(&st->fr, root);
	if (memcmp(root, cp->root, AUDIT_HASH_LEN) != 0)
		return -EBADMSG;
	// The offsets must frame a record inside the file (or, for the empty
	// tree, sit right after the header).
	if (st->end > file_size || st->end < AUDIT_FILE_HDR_LEN ||
	    (st->fr.size == 0) != (st->last == 0) ||
	    st->last > st->end - AUDIT_FILE_HDR_LEN ||
	    (st->last && st->last < AUDIT_REC_OVERHEAD))
		return -EBADMSG;
	return 0;
}

int audit_cpdir_id(int cpfd, struct audit_cpdir *id)
{
	struct stat sb;

	if (fstat(cpfd, &sb))
		return -errno;
	if (!S_ISDIR(sb.st_mode))
		return -ENOTDIR;
	*id = (struct audit_cpdir){
	    .dev = (uint64_t)sb.st_dev,
	    .ino = (uint64_t)sb.st_ino,
	    .size = (uint64_t)sb.st_size,
	    .nlink = (uint64_t)sb.st_nlink,
	    .mtime_sec = (int64_t)sb.st_mtim.tv_sec,
	    .mtime_nsec = (int64_t)sb.st_mtim.tv_nsec,
	    .ctime_sec = (int64_t)sb.st_ctim.tv_sec,
	    .ctime_nsec = (int64_t)sb.st_ctim.tv_nsec,
	};
	return 0;
}

/* Filesystems with multigrain timestamps (Linux 6.13+): once a stat
 * has seen a ctime, the next change gets a later one, even within the
 * same clock tick. */
static bool multigrain(int cpfd)
{
	static const long types[] = {
	    0xEF53 /* ext2/3/4 */, 0x58465342 /* xfs */, 0x9123683E /* btrfs */,
	    0x01021994 /* tmpfs */};
	struct utsname u;
	struct statfs fs;
	unsigned major = 0, minor = 0;
	const char *r;

	if (uname(&u) || fstatfs(cpfd, &fs))
		return false;
	for (r = u.release; *r >= '0' && *r <= '9' && major < 100; r++)
		major = major * 10 + (unsigned)(*r - '0');
	for (r += *r == '.'; *r >= '0' && *r <= '9' && minor < 1000; r++)
		minor = minor * 10 + (unsigned)(*r - '0');
	if (major < 6 || (major == 6 && minor < 13))
		return false;
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(types); i++)
		if ((long)fs.f_type == types[i])
			return true;
	return false;
}

/* Elsewhere timestamps come from the kernel's coarse clock, one value
 * per tick, so two changes within one tick could leave the same ctime:
 * the identity is settled only once the tick of its ctime is over
 * (later changes then get at least the current tick). */
bool audit_cpdir_settled(int cpfd, const struct audit_cpdir *id)
{
	struct timespec now;

	if (multigrain(cpfd))
		return true;
	if (clock_gettime(CLOCK_REALTIME_COARSE, &now))
		return false;
	return id->ctime_sec < (int64_t)now.tv_sec ||
	       (id->ctime_sec == (int64_t)now.tv_sec &&
		id->ctime_nsec < (int64_t)now.tv_nsec);
}

bool audit_state_names_newest(int cpfd, const struct audit_state *st)
{
	struct audit_cpdir now;

	if (!st->have_dir || st->fr.size == 0 || audit_cpdir_id(cpfd, &now))
		return false;
	return memcmp(&now, &st->dir, sizeof(now)) == 0;
}

/* Over the old state, through the fd audit_open read it from (two
 * syscalls; a new file and a rename cost six and a create on tmpfs),
 * cut to the new length when that is shorter. A crash in between leaves
 * a state that does not decode, or decodes to an older tree: either is
 * rebuilt (writer.c), like a missing one. */
static int save_in_place(struct audit_log *log, const uint8_t *buf, size_t n)
{
	ssize_t w = pwrite(log->statefd, buf, n, 0);

	if (w < 0)
		return -errno;
	if ((size_t)w != n)
		return -EIO;
	if (log->state_len > n && ftruncate(log->statefd, (off_t)n))
		return -errno;
	log->state_len = n;
	return 0;
}

int audit_state_save(struct audit_log *log)
{
	struct audit_state st = {.end = log->file_off, .last = log->last_total};
	uint8_t buf[AUDIT_STATE_MAX];
	char path[sizeof(log->dir) + sizeof(AUDIT_STATE_NAME) + 1];
	size_t len;
	int n;

	st.fr = log->fr;
	/* After the checkpoint's rename and directory fsync: the identity
	 * the next open compares with (events.state itself lives in the
	 * parent directory, so writing it changes nothing there). */
	st.have_dir = log->have_cp && log->last_cp == log->fr.size &&
		      audit_cpdir_id(log->cpfd, &st.dir) == 0 &&
		      audit_cpdir_settled(log->cpfd, &st.dir);
	len = audit_state_encode(&st, buf);
	/* Not durable: a cache that every open checks. After a crash an
	 * older state (its identity no longer matches: listed, then
	 * rebuilt), an empty or torn one or none gives a full rebuild,
	 * never a wrong open; fsync of the file and the directory cost
	 * ~15 ms at the end of every run on this host's disk. */
	if (log->statefd >= 0)
		return save_in_place(log, buf, len);
	n = snprintf(path, sizeof(path), "%s/" AUDIT_STATE_NAME, log->dir);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	return fileio_write_atomic(path, buf, len, 0600,
				   FILEIO_REPLACE | FILEIO_NOT_DURABLE, NULL);
}
