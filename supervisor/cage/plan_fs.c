/* The plan's looks at the host during one cage_plan_build, each answered
 * once: lstat's file type of a path, from a memo of exact paths and from
 * whole directory listings (one getdents64 read instead of dozens of
 * lstat probes of names in one directory; a syscall costs >= 1.25 us on a
 * paravirtualised host). Invariant: every answer equals what lstat(2)
 * would have said at that moment; whatever a listing cannot tell (a
 * symlink on the way, "..", a type the filesystem did not give) is asked
 * of lstat itself. Like the rest of the plan, it only looks. */
#include "shared/common.h"
#include "supervisor/cage/plan.h"
#include "supervisor/cage/plan_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/stat.h>
#include <unistd.h>

#define FS_MEMO	     64u
#define FS_LISTS     8u
#define FS_LIST_MAX  512u  /* entries: a larger directory is not listed */
#define FS_READ_SIZE 4096u /* one getdents64 read; more: not listed */

struct fs_ent {
	uint32_t hash;
	uint16_t off; /* of the name in names */
	uint16_t len;
	mode_t type; /* S_IFMT bits; 0: the filesystem did not say */
};

struct fs_list {
	char *dir; /* as the caller named it: the same string lstat resolves */
	size_t dir_len;
	bool failed; /* not listable (unreadable, not searchable, too large) */
	unsigned n;
	struct fs_ent *ents;
	char *names;
};

struct fs_memo {
	uint32_t hash;
	mode_t type; /* 0: lstat failed */
	char *path;
};

/* The read buffers live here, not on the stack: the plan runs deep in
 * akios's stack, where each fresh page costs a fault (~7-14 us on a
 * paravirtualised host, even when prefaulted). */
struct plan_fs {
	struct fs_memo memo[FS_MEMO];
	unsigned n_memo;
	struct fs_list lists[FS_LISTS];
	unsigned n_lists;
	char buf[FS_READ_SIZE] __attribute__((aligned(8)));
	char end[sizeof(struct dirent64) + 256] __attribute__((aligned(8)));
};

static uint32_t hash_bytes(const char *s, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

int plan_fs_new(struct plan_fs **out)
{
	/* The buffers need no zeroing: only what a read filled is read. */
	*out = malloc(sizeof(**out));
	if (!*out)
		return -ENOMEM;
	memset(*out, 0, offsetof(struct plan_fs, buf));
	return 0;
}

void plan_fs_free(struct plan_fs *fs)
{
	if (!fs)
		return;
	for (unsigned i = 0; i < fs->n_memo; i++)
		free(fs->memo[i].path);
	for (unsigned i = 0; i < fs->n_lists; i++) {
		free(fs->lists[i].dir);
		free(fs->lists[i].ents);
		free(fs->lists[i].names);
	}
	free(fs);
}

/* A path a listing may answer for: absolute, every component a plain
 * name (no "", ".", ".."): then "dir/name" names entry name of dir. */
static bool plain_path(const char *path)
{
	const char *c = path;

	if (path[0] != '/' || path[1] == '\0')
		return false;
	while (*c == '/') {
		const char *e = strchrnul(c + 1, '/');
		size_t n = (size_t)(e - c - 1);

		if (n == 0 || (n == 1 && c[1] == '.') ||
		    (n == 2 && c[1] == '.' && c[2] == '.'))
			return false;
		c = e;
	}
	return true;
}

static const struct fs_list *find_list(const struct plan_fs *fs,
				       const char *dir, size_t len)
{
	for (unsigned i = 0; i < fs->n_lists; i++)
		if (fs->lists[i].dir_len == len &&
		    memcmp(fs->lists[i].dir, dir, len) == 0)
			return &fs->lists[i];
	return NULL;
}

/* The entries of one getdents64 read, "." and ".." left out. */
static int keep_entries(struct fs_list *l, const char *buf, size_t len)
{
	size_t names = 0;
	unsigned n = 0;

	for (size_t pos = 0; pos < len;) {
		const struct dirent64 *e = (const void *)(buf + pos);

		pos += e->d_reclen;
		names += strlen(e->d_name) + 1;
		n++;
	}
	if (n > FS_LIST_MAX)
		return -E2BIG;
	l->ents = calloc(n ? n : 1, sizeof(*l->ents));
	l->names = malloc(names ? names : 1);
	if (!l->ents || !l->names)
		return -ENOMEM;
	names = 0;
	for (size_t pos = 0; pos < len;) {
		const struct dirent64 *e = (const void *)(buf + pos);
		size_t k = strlen(e->d_name);
		struct fs_ent *x = &l->ents[l->n];

		pos += e->d_reclen;
		if (e->d_ino == 0 || strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0)
			continue;
		memcpy(l->names + names, e->d_name, k + 1);
		x->hash = hash_bytes(e->d_name, k);
		x->off = (uint16_t)names;
		x->len = (uint16_t)k;
		x->type = e->d_type == DT_UNKNOWN ? 0 : DTTOIF(e->d_type);
		names += k + 1;
		l->n++;
	}
	return 0;
}

/* Reads the directory whole in one getdents64 (the second read must say
 * its end), after checking that names in it can be looked up at all: a
 * readable but unsearchable directory lists names lstat cannot reach. */
static int read_list(struct plan_fs *fs, struct fs_list *l)
{
	int fd = open(l->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ssize_t n;
	int rc = -EIO;

	if (fd < 0)
		return -errno;
	if (faccessat(fd, ".", X_OK, AT_EACCESS) != 0) {
		rc = -errno;
		goto out;
	}
	n = getdents64(fd, fs->buf, sizeof(fs->buf));
	if (n < 0 || (n > 0 && getdents64(fd, fs->end, sizeof(fs->end)) != 0))
		goto out; /* an error, or more than one read: not listed */
	rc = keep_entries(l, fs->buf, (size_t)n);
out:
	close(fd);
	return rc;
}

void plan_fs_list(struct cage_plan *p, const char *dir)
{
	struct plan_fs *fs = p->fs;
	struct fs_list *l;

	if (!fs || fs->n_lists >= FS_LISTS || !plain_path(dir) ||
	    find_list(fs, dir, strlen(dir)))
		return;
	l = &fs->lists[fs->n_lists];
	l->dir = strdup(dir);
	if (!l->dir)
		return;
	l->dir_len = strlen(dir);
	fs->n_lists++;
	if (read_list(fs, l) != 0) {
		free(l->ents);
		free(l->names);
		l->ents = NULL;
		l->names = NULL;
		l->n = 0;
		l->failed = true;
	}
}

/* In a listing: 1 with *type (0 when the filesystem did not say), 0 when
 * the name is not there. */
static int list_has(const struct fs_list *l, const char *name, size_t len,
		    mode_t *type)
{
	uint32_t h = hash_bytes(name, len);

	for (unsigned i = 0; i < l->n; i++) {
		const struct fs_ent *e = &l->ents[i];

		if (e->hash == h && e->len == len &&
		    memcmp(l->names + e->off, name, len) == 0) {
			*type = e->type;
			return 1;
		}
	}
	return 0;
}

/* What the listings say of a plain path: 1 with *type when it is there,
 * 0 when lstat would fail (missing, or a parent is not a directory), -1
 * when they cannot tell. */
static int from_lists(struct plan_fs *fs, const char *path, size_t len,
		      mode_t *type)
{
	const char *slash = path + len;
	const struct fs_list *l;
	mode_t parent;
	int r;

	while (slash > path && slash[-1] != '/')
		slash--;
	if (slash - 1 == path)
		l = find_list(fs, "/", 1);
	else
		l = find_list(fs, path, (size_t)(slash - 1 - path));
	if (l && !l->failed)
		return list_has(l, slash, (size_t)(path + len - slash), type);
	if (slash - 1 == path)
		return -1;
	/* The parent, as its own parent's listing sees it. */
	r = from_lists(fs, path, (size_t)(slash - 1 - path), &parent);
	if (r <= 0)
		return r;
	if (parent == 0 || S_ISDIR(parent) || S_ISLNK(parent))
		return -1; /* lstat goes on through it */
	return 0;	   /* lstat would fail: ENOTDIR */
}

static mode_t memo_get(struct plan_fs *fs, const char *path, uint32_t h,
		       bool *hit)
{
	for (unsigned i = 0; i < fs->n_memo; i++)
		if (fs->memo[i].hash == h &&
		    strcmp(fs->memo[i].path, path) == 0) {
			*hit = true;
			return fs->memo[i].type;
		}
	*hit = false;
	return 0;
}

static void memo_put(struct plan_fs *fs, const char *path, uint32_t h,
		     mode_t type)
{
	struct fs_memo *m;

	if (fs->n_memo >= FS_MEMO)
		return;
	m = &fs->memo[fs->n_memo];
	m->path = strdup(path);
	if (!m->path)
		return; /* only a cache */
	m->hash = h;
	m->type = type;
	fs->n_memo++;
}

static mode_t real_lstat(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? st.st_mode & S_IFMT : 0;
}

mode_t plan_lstat(struct cage_plan *p, const char *path)
{
	struct plan_fs *fs = p->fs;
	size_t len = strlen(path);
	uint32_t h;
	mode_t type = 0;
	bool hit;
	int r;

	if (!fs)
		return real_lstat(path);
	if (plain_path(path)) {
		r = from_lists(fs, path, len, &type);
		if (r == 0 || (r == 1 && type != 0))
			return type;
	}
	h = hash_bytes(path, len);
	type = memo_get(fs, path, h, &hit);
	if (hit)
		return type;
	type = real_lstat(path);
	memo_put(fs, path, h, type);
	return type;
}

bool plan_fs_entry(const struct cage_plan *p, const char *dir, unsigned i,
		   const char **name, mode_t *type)
{
	const struct fs_list *l =
	    p->fs ? find_list(p->fs, dir, strlen(dir)) : NULL;

	if (!l || l->failed || (i >= l->n && !(i == 0 && !name)))
		return false;
	if (name)
		*name = l->names + l->ents[i].off;
	if (type)
		*type = l->ents[i].type;
	return true;
}
