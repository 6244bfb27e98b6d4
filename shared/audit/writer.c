/* The audit writer's life cycle: open (directory, single-writer lock, key,
 * scan and recovery of events.log, cross-check with the newest
 * checkpoint) and close. Invariant: a log handed out by audit_open has a
 * frontier equal to the tree of every record in events.log, and that
 * tree agrees with the newest checkpoint; anything else is refused. */
#include "shared/common.h"
#include "shared/audit/audit_int.h"
#include "shared/fileio.h"
#include "shared/keys.h"
#include "shared/limits.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/file.h>
#include <sys/stat.h>

static ssize_t sys_write(void *ctx, int fd, const void *p, size_t n)
{
	(void)ctx;
	return write(fd, p, n);
}

static int sys_fdatasync(void *ctx, int fd)
{
	(void)ctx;
	return fdatasync(fd);
}

void audit_set_io(struct audit_log *log, const struct audit_io *io)
{
	log->io = *io;
}

static int take_lock(struct audit_log *log, struct akios_err *err)
{
	char pid[32] = "";
	ssize_t n;
	int len;

	log->lockfd = openat(log->dirfd, AUDIT_LOCK_NAME,
			     O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (log->lockfd < 0)
		return akios_err_set(err, log->name, 0, 0, "lock file: %s",
				     strerror(errno));
	if (flock(log->lockfd, LOCK_EX | LOCK_NB) == 0) {
		/* Over the previous holder's pid, not truncated first (a
		 * page freed and allocated again on tmpfs): readers stop
		 * at the first newline. Informative only. */
		len = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
		(void)!pwrite(log->lockfd, pid, (size_t)len, 0);
		return 0;
	}
	if (errno != EWOULDBLOCK)
		return akios_err_set(err, log->name, 0, 0, "lock: %s",
				     strerror(errno));
	n = pread(log->lockfd, pid, sizeof(pid) - 1, 0);
	pid[n > 0 ? n : 0] = '\0';
	pid[strcspn(pid, "\n")] = '\0';
	akios_err_set(err, log->name, 0, 0,
		      "audit directory is locked by another writer (pid %s); "
		      "only one writer may append at a time",
		      pid[0] ? pid : "unknown");
	return -EBUSY;
}

/* Loads the checkpoint key; the default one is created on first use and
 * *generated is set so the caller can record that in the log. */
static int load_key(struct audit_log *log, const char *path, bool *generated,
		    struct akios_err *err)
{
	char priv[4096];
	char pub[4096];
	char kdir[4096];
	struct stat st;
	int rc;

	if (path)
		return crypto_key_load(path, &log->key, err);
	if (keys_default_dir(kdir, sizeof(kdir)) ||
	    keys_path(kdir, KEYS_PRIVATE_NAME, priv, sizeof(priv)))
		return akios_err_set(err, "audit key", 0, 0,
				     "no key directory (set HOME or "
				     "AKIOS_KEY_DIR)");
	/* Loaded at once: only a failure asks whether the key is missing
	 * (then made) or unreadable (that error stands). */
	rc = crypto_key_load(priv, &log->key, err);
	if (rc == 0 || lstat(priv, &st) == 0 || errno != ENOENT)
		return rc;
	if (err)
		*err = (struct akios_err){0};
	if (keys_path(kdir, KEYS_PUBLIC_NAME, pub, sizeof(pub)))
		return akios_err_set(err, "audit key", 0, 0,
				     "key directory path too long");
	rc = keys_make_dir(kdir);
	if (rc)
		return akios_err_set(err, kdir, 0, 0, "%s", strerror(-rc));
	rc = crypto_key_generate(&log->key);
	if (rc)
		return akios_err_set(err, "audit key", 0, 0, "generate: %s",
				     strerror(-rc));
	*generated = true;
	return crypto_key_save(log->key, priv, pub, false, err);
}

static int create_log(struct audit_log *log, struct akios_err *err)
{
	uint8_t id[AUDIT_LOG_ID_HEX / 2];
	char hdr[AUDIT_FILE_HDR_LEN + 1];
	char hex[AUDIT_LOG_ID_HEX + 1];
	int rc = crypto_random(id, sizeof(id));

	if (rc)
		return akios_err_set(err, "audit log", 0, 0, "random: %s",
				     strerror(-rc));
	crypto_hex_encode(id, sizeof(id), hex);
	snprintf(hdr, sizeof(hdr), AUDIT_FILE_MAGIC "%s\n", hex);
	rc = fileio_write_full(log->logfd, hdr, AUDIT_FILE_HDR_LEN);
	if (!rc && log->io.fdatasync(log->io.ctx, log->logfd))
		rc = -errno;
	if (!rc && fsync(log->dirfd))
		rc = -errno;
	if (rc)
		return akios_err_set(err, log->name, 0, 0, "create log: %s",
				     strerror(-rc));
	return 0;
}

struct cp_check {
	uint64_t file_size; /* of events.log when opened */
	uint64_t size;
	struct audit_checkpoint cp;
	bool have;
	struct audit_state st; /* events.state, when have_st */
	bool have_st;
};

/* Reads and verifies checkpoint c->size. */
static int load_cp(struct audit_log *log, struct cp_check *c,
		   struct akios_err *err)
{
	struct akios_buf text;
	int rc;

	akios_buf_init(&text, AKIOS_MAX_CHECKPOINT_BYTES);
	rc = audit_cp_read(log->dirfd, c->size, &text, err);
	if (!rc)
		rc = audit_checkpoint_verify(text.ptr, text.len, NULL, &c->cp,
					     err);
	akios_buf_free(&text);
	if (rc)
		return rc;
	if (c->cp.size != c->size)
		return akios_err_set(err, log->name, 0, 0,
				     "checkpoint %" PRIu64
				     " names size %" PRIu64,
				     c->size, c->cp.size);
	c->have = true;
	return 0;
}

/* The newest checkpoint: the one events.state names while the checkpoints
 * directory is as it was when the state was written (state.c), else the
 * largest name in a listing of the directory, whose length grows by one
 * entry per run. Either way a log shorter than it is refused (recover). */
static int newest_cp(struct audit_log *log, struct cp_check *c,
		     struct akios_err *err)
{
	uint64_t *sizes = NULL;
	size_t n = 0;
	int rc;

	c->have_st = audit_state_open(log->dirfd, &log->statefd,
				      &log->state_len, &c->st) == 0;
	if (c->have_st && audit_state_names_newest(log->cpfd, &c->st)) {
		c->size = c->st.fr.size;
		if (load_cp(log, c, NULL) == 0)
			return 0;
		c->have = false; // not as the state says: list
	}
	rc = audit_cp_list(log->dirfd, &sizes, &n);
	log->open_listed = true;
	if (rc || n == 0) {
		free(sizes);
		return rc ? akios_err_set(err, log->name, 0, 0, "%s",
					  strerror(-rc))
			  : 0;
	}
	c->size = sizes[n - 1];
	free(sizes);
	return load_cp(log, c, err);
}

/* Reads the records from the scan's position on, pushing them onto the
 * frontier; truncates a torn final record and reports how many bytes went
 * in *torn. */
static int scan_rest(struct audit_log *log, const struct cp_check *c,
		     struct audit_scan *s, uint64_t *torn,
		     struct akios_err *err)
{
	struct audit_rec rec;
	uint8_t root[AUDIT_HASH_LEN];
	int rc = 0;

	while (!rc) {
		if (c->have && log->fr.size == c->size) {
			audit_frontier_root(&log->fr, root);
			if (memcmp(root, c->cp.root, AUDIT_HASH_LEN) != 0) {
				rc = akios_err_set(err, log->name, 0, 0,
						   "log does not match its "
						   "checkpoint at size %" PRIu64
						   ": run akios audit verify",
						   c->size);
				break;
			}
		}
		rc = audit_scan_next(s, &rec, err);
		if (rc != 1)
			break;
		audit_frontier_push(&log->fr, rec.leaf);
		log->last_total = rec.total;
		log->open_scanned++;
		rc = 0;
	}
	if (rc && rc != -ENODATA)
		return rc;
	memcpy(log->origin, s->log_id, sizeof(s->log_id));
	*torn = s->file_size - s->off;
	if (rc == -ENODATA && ftruncate(log->logfd, (off_t)s->off))
		return akios_err_set(err, log->name, 0, 0, "truncate: %s",
				     strerror(errno));
	return 0;
}

/* The shortcut: events.state vouches for the tree up to the newest
 * checkpoint (its frontier folds to the checkpoint's root) and for where
 * that tree's last record ends; that record is read back and must be the
 * one (index size-1, same length, and its leaf when it is a frontier
 * node), then only the records after it are scanned. Any mismatch: not
 * used (the caller rebuilds from the start). */
static int open_fast(struct audit_log *log, const struct cp_check *c,
		     uint64_t *torn)
{
	struct audit_state st;
	struct audit_scan s;
	struct audit_rec rec;
	int rc;

	if (!c->have || !c->have_st)
		return -ENOENT;
	st = c->st;
	rc = audit_state_check(&st, &c->cp, c->file_size);
	if (rc)
		return rc;
	rc = audit_scan_fd_at(log->logfd, log->name, st.end - st.last,
			      st.fr.size - (st.last ? 1 : 0), &s, NULL);
	if (!rc && st.last) {
		rc = audit_scan_next(&s, &rec, NULL) == 1 ? 0 : -EBADMSG;
		if (!rc && (rec.total != st.last ||
			    ((st.fr.size & 1) && memcmp(rec.leaf, st.fr.node[0],
							AUDIT_HASH_LEN) != 0)))
			rc = -EBADMSG;
		log->last_total = st.last;
		log->open_scanned = 1;
	}
	log->fr = st.fr;
	if (!rc)
		rc = scan_rest(log, c, &s, torn, NULL);
	audit_scan_close(&s);
	return rc;
}

/* Rebuilds the frontier, from events.state and the records after it when
 * that holds, else from every record; then refuses a log shorter than its
 * newest checkpoint. */
static int recover(struct audit_log *log, const struct cp_check *c,
		   uint64_t *torn, struct akios_err *err)
{
	struct audit_scan s;
	int rc = open_fast(log, c, torn);

	log->state_fresh = rc == 0;
	if (rc) {
		audit_frontier_init(&log->fr);
		log->last_total = log->open_scanned = 0;
		*torn = 0;
		rc = audit_scan_fd(log->logfd, log->name, &s, err);
		if (!rc)
			rc = scan_rest(log, c, &s, torn, err);
		audit_scan_close(&s);
	}
	if (!rc && c->have && log->fr.size < c->size)
		rc = akios_err_set(err, log->name, 0, 0,
				   "log has %" PRIu64 " records but its "
				   "checkpoint covers %" PRIu64
				   ": records were removed",
				   log->fr.size, c->size);
	return rc;
}

static int open_log(struct audit_log *log, uint64_t *torn,
		    struct akios_err *err)
{
	struct cp_check c = {0};
	char id[AUDIT_LOG_ID_HEX + 1];
	struct stat st;
	int rc;

	log->logfd = openat(log->dirfd, AUDIT_LOG_NAME,
			    O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (log->logfd < 0 || fstat(log->logfd, &st))
		return akios_err_set(err, log->name, 0, 0, "%s: %s",
				     AUDIT_LOG_NAME, strerror(errno));
	c.file_size = (uint64_t)st.st_size;
	if (st.st_size == 0) {
		rc = create_log(log, err);
		if (rc)
			return rc;
		c.file_size = AUDIT_FILE_HDR_LEN;
	}
	rc = newest_cp(log, &c, err);
	if (!rc)
		rc = recover(log, &c, torn, err);
	if (rc)
		return rc;
	memcpy(id, log->origin, sizeof(id));
	rc = audit_origin(id, log->origin, sizeof(log->origin));
	log->durable = log->written = log->fr.size;
	log->have_cp = c.have;
	log->last_cp = c.size;
	if (!rc) {
		off_t end = lseek(log->logfd, 0, SEEK_END);

		rc = end < 0 ? -errno : 0;
		log->file_off = end < 0 ? 0 : (uint64_t)end;
	}
	return rc;
}

static int set_run_id(struct audit_log *log, const char *run_id,
		      struct akios_err *err)
{
	uint8_t r[16];
	int rc;

	if (!run_id) {
		rc = crypto_random(r, sizeof(r));
		if (rc)
			return rc;
		crypto_hex_encode(r, sizeof(r), log->run_id);
		return 0;
	}
	if (strlen(run_id) > AUDIT_RUN_ID_MAX || !audit_type_valid(run_id))
		return akios_err_set(err, "run id", 0, 0,
				     "must be 1-64 of [a-z0-9_.-]");
	memcpy(log->run_id, run_id, strlen(run_id) + 1);
	return 0;
}

static int init_log(struct audit_log *log, const char *dir,
		    const struct audit_opts *opts, struct akios_err *err)
{
	const int cp_flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW;
	int n = snprintf(log->dir, sizeof(log->dir), "%s", dir);
	int rc;

	log->name = dir;
	log->dirfd = log->lockfd = log->logfd = log->cpfd = log->statefd = -1;
	log->io = (struct audit_io){sys_write, sys_fdatasync, NULL};
	akios_buf_init(&log->pending, AUDIT_PENDING_MAX);
	akios_buf_init(&log->scratch, AKIOS_MAX_AUDIT_RECORD);
	audit_frontier_init(&log->fr);
	if (n < 0 || (size_t)n >= sizeof(log->dir))
		return akios_err_set(err, "audit dir", 0, 0, "path too long");
	if (opts) {
		log->redact = opts->redact;
		log->redact_ctx = opts->redact_ctx;
	}
	rc = set_run_id(log, opts ? opts->run_id : NULL, err);
	if (rc)
		return rc;
	/* The directory exists at every run but the first: one open, not a
	 * mkdir per path component first. */
	log->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (log->dirfd < 0 && errno == ENOENT) {
		rc = fileio_mkdir_p(dir, 0700);
		if (rc)
			return akios_err_set(err, dir, 0, 0, "%s",
					     strerror(-rc));
		log->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (log->dirfd < 0)
		return akios_err_set(err, dir, 0, 0, "%s", strerror(errno));
	/* Kept open: the checkpoint is written, and the directory's
	 * identity taken, relative to it. Made only when missing. */
	log->cpfd = openat(log->dirfd, AUDIT_CP_DIR, cp_flags);
	if (log->cpfd < 0 && errno == ENOENT &&
	    (mkdirat(log->dirfd, AUDIT_CP_DIR, 0700) == 0 || errno == EEXIST))
		log->cpfd = openat(log->dirfd, AUDIT_CP_DIR, cp_flags);
	if (log->cpfd < 0)
		return akios_err_set(err, dir, 0, 0, "%s: %s", AUDIT_CP_DIR,
				     strerror(errno));
	return 0;
}

static void free_log(struct audit_log *log)
{
	if (log->logfd >= 0)
		close(log->logfd);
	if (log->statefd >= 0)
		close(log->statefd);
	if (log->cpfd >= 0)
		close(log->cpfd);
	if (log->lockfd >= 0)
		close(log->lockfd); // releases the flock
	if (log->dirfd >= 0)
		close(log->dirfd);
	akios_buf_free(&log->pending);
	akios_buf_free(&log->scratch);
	crypto_key_free(log->key);
	free(log);
}

static int note_open(struct audit_log *log, bool generated, uint64_t torn,
		     struct akios_err *err)
{
	uint8_t raw[CRYPTO_ED25519_PUB_LEN];
	char hex[2 * CRYPTO_ED25519_PUB_LEN + 1];
	struct json *f = NULL;
	int rc = 0;

	if (!generated && !torn)
		return 0; // nothing to note (every run but the first)
	f = json_new_object();
	rc = f ? 0 : -ENOMEM;
	if (!rc && generated) {
		rc = crypto_key_public_raw(log->key, raw);
		crypto_hex_encode(raw, sizeof(raw), hex);
		if (!rc && !json_add_str(f, "public_key", hex))
			rc = -ENOMEM;
		if (!rc)
			rc = audit_append(log, "audit.key_generated", NULL, f,
					  err);
	}
	json_free(f);
	f = NULL;
	if (!rc && torn) {
		f = json_new_object();
		if (!json_add_num(f, "truncated_bytes", (double)torn))
			rc = -ENOMEM;
		if (!rc)
			rc = audit_append(log, "audit.recovered", NULL, f, err);
		json_free(f);
	}
	return rc;
}

int audit_open(const char *dir, const struct audit_opts *opts,
	       struct audit_log **out, struct akios_err *err)
{
	struct audit_log *log = calloc(1, sizeof(*log));
	bool generated = false;
	uint64_t torn = 0;
	int rc;

	*out = NULL;
	if (!log)
		return -ENOMEM;
	rc = init_log(log, dir, opts, err);
	if (!rc)
		rc = take_lock(log, err);
	if (!rc) {
		rc = load_key(log, opts ? opts->key_path : NULL, &generated,
			      err);
		if (rc && !(opts && opts->key_path))
			audit_err_detach(err); // default paths are ours
	}
	if (!rc && !crypto_key_is_private(log->key))
		rc = akios_err_set(err, "audit key", 0, 0,
				   "a private key is needed to sign "
				   "checkpoints");
	if (!rc)
		rc = open_log(log, &torn, err);
	if (!rc)
		rc = note_open(log, generated, torn, err);
	if (rc) {
		free_log(log);
		return rc < 0 ? rc : -EINVAL;
	}
	log->name = AUDIT_LOG_NAME; // the caller's string may go away
	*out = log;
	return 0;
}

int audit_close(struct audit_log *log, struct akios_err *err)
{
	int rc;

	if (!log)
		return 0;
	rc = audit_checkpoint(log, err);
	free_log(log);
	return rc;
}

int audit_prepare_signing(struct audit_log *log)
{
	return crypto_key_prepare(log->key);
}

const char *audit_run_id(const struct audit_log *log)
{
	return log->run_id;
}

uint64_t audit_size(const struct audit_log *log)
{
	return log->fr.size;
}

void audit_root(const struct audit_log *log, uint8_t root[32])
{
	audit_frontier_root(&log->fr, root);
}
