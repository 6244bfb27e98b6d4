/* The writer's open-time shortcut: events.state, written beside the log
 * at each checkpoint, holds the checkpoint's size, where its last record
 * ends in events.log, that record's framed length and the tree frontier.
 * It is a cache and untrusted input: it is used only when its frontier
 * folds to the newest checkpoint's root and its offsets fit the file;
 * the caller then checks the record before the offset (writer.c). */
#include "shared/common.h"
#include "shared/audit/audit_int.h"
#include "shared/fileio.h"

#include <errno.h>
#include <fcntl.h>

/* Layout: magic, then size, end and last as u64 little-endian, then one
 * 32-byte frontier node per set bit of size, lowest bit first. */
#define STATE_MAGIC	"akios-audit-state 1\n"
#define STATE_MAGIC_LEN (sizeof(STATE_MAGIC) - 1)
#define STATE_FIXED	(STATE_MAGIC_LEN + 3ul * 8ul)
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

size_t audit_state_encode(const struct audit_state *st,
			  uint8_t out[AUDIT_STATE_MAX])
{
	size_t n = STATE_FIXED;

	memcpy(out, STATE_MAGIC, STATE_MAGIC_LEN);
	put_u64(out + STATE_MAGIC_LEN, st->fr.size);
	put_u64(out + STATE_MAGIC_LEN + 8, st->end);
	put_u64(out + STATE_MAGIC_LEN + 16, st->last);
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

	if (len < STATE_FIXED || memcmp(p, STATE_MAGIC, STATE_MAGIC_LEN) != 0)
		return -EBADMSG;
	audit_frontier_init(&st->fr);
	st->fr.size = get_u64(p + STATE_MAGIC_LEN);
	st->end = get_u64(p + STATE_MAGIC_LEN + 8);
	st->last = get_u64(p + STATE_MAGIC_LEN + 16);
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

int audit_state_load(int dirfd, const struct audit_checkpoint *cp,
		     uint64_t file_size, struct audit_state *st)
{
	uint8_t buf[AUDIT_STATE_MAX + 1];
	uint8_t root[AUDIT_HASH_LEN];
	int fd = openat(dirfd, AUDIT_STATE_NAME,
			O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf)); // one read: the file is tiny
	close(fd);
	if (n < 0 || audit_state_decode(buf, (size_t)n, st))
		return -EBADMSG;
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

int audit_state_save(const struct audit_log *log)
{
	struct audit_state st = {.end = log->file_off, .last = log->last_total};
	uint8_t buf[AUDIT_STATE_MAX];
	char path[sizeof(log->dir) + sizeof(AUDIT_STATE_NAME) + 1];
	int n = snprintf(path, sizeof(path), "%s/" AUDIT_STATE_NAME, log->dir);

	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	st.fr = log->fr;
	return fileio_write_atomic(path, buf, audit_state_encode(&st, buf),
				   0600, FILEIO_REPLACE, NULL);
}
