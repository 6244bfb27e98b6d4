/* Streaming reader of events.log and of the checkpoints directory. Memory
 * is one buffer of about one maximal record, whatever the log size; every
 * error names the record index and its byte offset. Files are opened
 * O_NOFOLLOW | O_CLOEXEC. */
#include "shared/common.h"
#include "shared/audit/audit_int.h"
#include "shared/fileio.h"
#include "shared/limits.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>

#define SCAN_CAP (2 * (AKIOS_MAX_AUDIT_RECORD + AUDIT_REC_OVERHEAD))

/* A short scan's buffer (the writer's open reads only the records after
 * the last checkpoint, a few hundred bytes) holds what the file had at
 * the start, plus a page: malloc serves that from the heap, where 2 MB
 * would be a fresh mapping whose munmap flushes the TLB of every core
 * running one of our threads. A file that grew meanwhile grows the
 * buffer to the full size. */
#define SCAN_SLACK 4096u

static int grow(struct audit_scan *s)
{
	uint8_t *b = realloc(s->buf, SCAN_CAP);

	if (!b)
		return -ENOMEM;
	s->buf = b;
	s->cap = SCAN_CAP;
	return 0;
}

/* Tops the buffer up; sets eof when the file is exhausted. */
static int fill(struct audit_scan *s)
{
	if (s->start > 0) {
		memmove(s->buf, s->buf + s->start, s->end - s->start);
		s->end -= s->start;
		s->start = 0;
	}
	while (!s->eof) {
		ssize_t n;

		if (s->end == s->cap && s->cap == SCAN_CAP)
			break;
		if (s->end == s->cap && grow(s) != 0)
			return -ENOMEM;
		n = read(s->fd, s->buf + s->end, s->cap - s->end);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			s->eof = true;
		s->end += (size_t)n;
	}
	return 0;
}

int audit_scan_fd_at(int fd, const char *name, uint64_t off, uint64_t index,
		     struct audit_scan *s, struct akios_err *err)
{
	uint8_t hdr[AUDIT_FILE_HDR_LEN];
	struct stat st;
	ssize_t n;

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->name = name;
	if (fstat(fd, &st))
		return akios_err_set(err, name, 0, 0, "%s", strerror(errno));
	s->file_size = (uint64_t)st.st_size;
	n = pread(fd, hdr, sizeof(hdr), 0);
	if (n < 0)
		return akios_err_set(err, name, 0, 0, "%s", strerror(errno));
	if (audit_file_header_parse(hdr, (size_t)n, s->log_id))
		return akios_err_set(err, name, 0, 0,
				     "not an akios audit log (bad header "
				     "at byte offset 0)");
	if (off < AUDIT_FILE_HDR_LEN || off > s->file_size)
		return akios_err_set(err, name, 0, 0,
				     "scan offset %" PRIu64 " outside the log",
				     off);
	if (lseek(fd, (off_t)off, SEEK_SET) < 0)
		return akios_err_set(err, name, 0, 0, "%s", strerror(errno));
	s->off = off;
	s->index = index;
	s->cap = s->file_size - off < SCAN_CAP - SCAN_SLACK
		     ? (size_t)(s->file_size - off) + SCAN_SLACK
		     : SCAN_CAP;
	s->buf = malloc(s->cap);
	if (!s->buf)
		return -ENOMEM;
	n = fill(s);
	if (n)
		return akios_err_set(err, name, 0, 0, "%s", strerror((int)-n));
	return 0;
}

int audit_scan_fd(int fd, const char *name, struct audit_scan *s,
		  struct akios_err *err)
{
	return audit_scan_fd_at(fd, name, AUDIT_FILE_HDR_LEN, 0, s, err);
}

int audit_scan_open(int dirfd, const char *name, struct audit_scan *s,
		    struct akios_err *err)
{
	int fd =
	    openat(dirfd, AUDIT_LOG_NAME, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int rc;

	if (fd < 0) {
		memset(s, 0, sizeof(*s));
		s->fd = -1;
		rc = -errno;
		akios_err_set(err, name, 0, 0, "%s", strerror(errno));
		return rc;
	}
	rc = audit_scan_fd(fd, name, s, err);
	s->own_fd = true;
	if (rc)
		audit_scan_close(s);
	return rc;
}

int audit_scan_next(struct audit_scan *s, struct audit_rec *rec,
		    struct akios_err *err)
{
	const char *why;
	enum audit_rec_status st;
	int rc;

	if (s->end - s->start < AKIOS_MAX_AUDIT_RECORD + AUDIT_REC_OVERHEAD &&
	    !s->eof) {
		rc = fill(s);
		if (rc) {
			akios_err_set(err, s->name, 0, 0, "%s", strerror(-rc));
			return rc;
		}
	}
	if (s->start == s->end)
		return 0;
	st = audit_record_decode(s->buf + s->start, s->end - s->start, rec,
				 &why);
	if (st == AUDIT_REC_OK && !audit_record_seq_ok(rec, s->index)) {
		st = AUDIT_REC_BAD;
		why = "seq field does not match the record's position "
		      "(records removed, inserted or reordered)";
	}
	if (st != AUDIT_REC_OK) {
		akios_err_set(err, s->name, 0, 0,
			      "record %" PRIu64 " at byte offset %" PRIu64
			      ": %s",
			      s->index, s->off, why);
		return st == AUDIT_REC_SHORT ? -ENODATA : -EBADMSG;
	}
	s->start += rec->total;
	s->off += rec->total;
	s->index++;
	return 1;
}

void audit_scan_close(struct audit_scan *s)
{
	if (s->own_fd && s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->own_fd = false;
	free(s->buf);
	s->buf = NULL;
}

void audit_err_detach(struct akios_err *err)
{
	char line[sizeof(err->msg)];

	if (!err || !err->file)
		return;
	akios_err_format(err, line, sizeof(line));
	memcpy(err->msg, line, sizeof(line));
	err->file = NULL;
	err->line = err->col = 0;
}

int audit_cp_name(uint64_t size, char *out, size_t len)
{
	int n = snprintf(out, len, AUDIT_CP_DIR "/%020" PRIu64, size);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int parse_cp_name(const char *name, uint64_t *size)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; name[i]; i++) {
		unsigned d = (unsigned)(name[i] - '0');

		if (d > 9 || i >= 20 || v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	if (i != 20)
		return -EINVAL;
	*size = v;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a;
	uint64_t y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cp_collect(DIR *d, uint64_t **sizes, size_t *n)
{
	size_t cap = 0;
	struct dirent *e;

	while ((e = readdir(d)) != NULL) {
		uint64_t v;

		if (parse_cp_name(e->d_name, &v))
			continue; // temp files of an interrupted atomic write
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			uint64_t *p = realloc(*sizes, ncap * sizeof(*p));

			if (!p)
				return -ENOMEM;
			*sizes = p;
			cap = ncap;
		}
		(*sizes)[(*n)++] = v;
	}
	return 0;
}

int audit_cp_list(int dirfd, uint64_t **sizes, size_t *n)
{
	int fd = openat(dirfd, AUDIT_CP_DIR,
			O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *d;
	int rc;

	*sizes = NULL;
	*n = 0;
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	d = fdopendir(fd);
	if (!d) {
		rc = -errno;
		close(fd);
		return rc;
	}
	rc = cp_collect(d, sizes, n);
	closedir(d);
	if (rc) {
		free(*sizes);
		*sizes = NULL;
		*n = 0;
		return rc;
	}
	if (*n)
		qsort(*sizes, *n, sizeof(**sizes), cmp_u64);
	return 0;
}

int audit_cp_read(int dirfd, uint64_t size, struct akios_buf *buf,
		  struct akios_err *err)
{
	char name[64];
	int fd;
	int rc = audit_cp_name(size, name, sizeof(name));

	if (rc)
		return rc;
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		rc = akios_err_set(err, name, 0, 0, "%s", strerror(errno));
	else
		rc = fileio_read_fd(fd, name, buf, err);
	if (fd >= 0)
		close(fd);
	if (rc)
		audit_err_detach(err); // name is on our stack
	return rc;
}
