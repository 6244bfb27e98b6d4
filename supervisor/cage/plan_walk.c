/* The bounded walk below each writable allowed path for control files that
 * already exist deeper than its top (nested repositories, .envrc, .vscode,
 * .idea, .gitmodules, submodules' git directories): each one is frozen like
 * the top-level ones. Bounded by depth, entries examined and paths frozen
 * (shared/limits.h); every cut and every directory left unwalked is named in
 * the plan's notes, never silent. Like the rest of the plan, it only looks. */
#include "shared/common.h"
#include "shared/buf.h"
#include "shared/limits.h"
#include "supervisor/cage/plan.h"
#include "supervisor/cage/plan_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

/* Control names frozen where found below the top (.git is handled apart:
 * a directory keeps its inside writable, only config and hooks freeze).
 * Shell rc files are not here: a shell reads them from $HOME only. */
static const struct {
	const char *name;
	bool dir;
} nested[] = {
    {".gitmodules", false},
    {".envrc", false},
    {".vscode", true},
    {".idea", true},
};

/* Directories not walked because they are large and generated; counted
 * and named in the notes. */
static const char *const heavy[] = {
    "node_modules",
    "__pycache__",
    ".venv",
    ".tox",
};

/* Room kept in the mount table for what comes after the walk. */
#define WALK_MOUNT_RESERVE 64u

struct walk {
	struct cage_plan *p;	    /* NULL after the run: report only */
	const struct cage_plan *cp; /* the same plan, read */
	struct akios_buf *report;   /* after the run: unfrozen paths */
	int reported;
	struct plan_walk_total *t;
	char path[PATH_MAX];
	size_t len;
	unsigned dirs;
	unsigned frozen;
	unsigned skipped; /* heavy directories */
	unsigned deep;	  /* directories below the depth bound */
	unsigned unreadable;
	char skip_ex[256]; /* one example of each, for the note */
	char deep_ex[256];
	const char *cut; /* why the walk stopped early, or NULL */
};

static bool in_list(const char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

static int push(struct walk *w, const char *name)
{
	size_t n = strlen(name);

	if (w->len + 1 + n >= sizeof(w->path))
		return -ENAMETOOLONG;
	w->path[w->len] = '/';
	memcpy(w->path + w->len + 1, name, n + 1);
	w->len += 1 + n;
	return 0;
}

static void pop(struct walk *w, size_t len)
{
	w->len = len;
	w->path[len] = '\0';
}

/* Keeps the first path seen, cut to fit (it only illustrates a note). */
static void example(char *ex, size_t size, const char *path)
{
	size_t n = strnlen(path, size - 1);

	if (ex[0])
		return;
	memcpy(ex, path, n);
	ex[n] = '\0';
}

static bool room(struct walk *w)
{
	if (w->t->frozen >= AKIOS_CTL_WALK_FROZEN)
		w->cut = "the bound on nested control paths";
	else if (w->p->n_mounts + WALK_MOUNT_RESERVE >= CAGE_MAX_MOUNTS)
		w->cut = "the mount table's room";
	return w->cut == NULL;
}

/* After the run: name in w->path, unless the plan froze it. */
static int report_here(struct walk *w, const char *name)
{
	size_t len = w->len;
	int rc = push(w, name);

	if (rc == 0 && !plan_has_mount(w->cp, w->path)) {
		/* The first ones are named; all are counted. */
		if (w->reported < CAGE_UNFROZEN_LISTED)
			rc = akios_buf_appendf(w->report, "%s\n", w->path);
		w->reported++;
	}
	pop(w, len);
	return rc;
}

/* A control entry named `name` in the directory at w->path. */
static int freeze_here(struct walk *w, const char *name, unsigned type)
{
	size_t len = w->len;
	unsigned before;
	int rc;

	if (!w->p)
		return report_here(w, name);
	if (!room(w))
		return 0;
	before = w->p->n_mounts;
	if (strcmp(name, ".git") == 0) {
		rc = plan_freeze_git(w->p, w->path);
	} else {
		rc = push(w, name);
		for (size_t i = 0; rc == 0 && i < AKIOS_ARRAY_SIZE(nested); i++)
			if (strcmp(nested[i].name, name) == 0)
				rc = plan_freeze(w->p, w->path, type == DT_DIR,
						 false);
		pop(w, len);
	}
	if (w->p->n_mounts > before) {
		w->frozen++;
		w->t->frozen++;
	}
	return rc;
}

static bool is_control(const char *name)
{
	if (strcmp(name, ".git") == 0)
		return true;
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(nested); i++)
		if (strcmp(nested[i].name, name) == 0)
			return true;
	return false;
}

/* A directory's entries straight from getdents64 into the walk's own
 * buffer: fdopendir would add an fstat, two fcntl and a 32 KB buffer per
 * directory (a syscall is >= 1.25 us on a paravirtualised host). Like
 * readdir, entries with no inode (deleted) are skipped. */
struct dir_read {
	int fd;
	size_t pos;
	size_t len;
	char buf[4096] __attribute__((aligned(8)));
};

static const struct dirent64 *next_entry(struct dir_read *r)
{
	const struct dirent64 *e;

	do {
		if (r->pos >= r->len) {
			ssize_t n = getdents64(r->fd, r->buf, sizeof(r->buf));

			if (n <= 0)
				return NULL;
			r->len = (size_t)n;
			r->pos = 0;
		}
		e = (const struct dirent64 *)(r->buf + r->pos);
		r->pos += e->d_reclen;
	} while (e->d_ino == 0);
	return e;
}

static unsigned entry_type(int dfd, const struct dirent64 *e)
{
	struct stat st;

	if (e->d_type != DT_UNKNOWN)
		return e->d_type;
	if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return DT_UNKNOWN;
	return S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
}

static int walk_dir(struct walk *w, int fd, unsigned depth);

/* A subdirectory: walked unless heavy, another mount of the plan (an
 * allowed path of its own, a masked secret) or below the depth bound.
 * dfd < 0: opened by its whole path. */
static int descend(struct walk *w, int dfd, const char *name, unsigned depth)
{
	size_t len = w->len;
	int rc = push(w, name);
	int fd;

	if (rc != 0)
		return rc == -ENAMETOOLONG ? (w->unreadable++, 0) : rc;
	if (in_list(heavy, AKIOS_ARRAY_SIZE(heavy), name)) {
		w->skipped++;
		example(w->skip_ex, sizeof(w->skip_ex), w->path);
	} else if (plan_has_mount(w->cp, w->path)) {
		/* handled by its own plan line */
	} else if (depth >= AKIOS_CTL_WALK_DEPTH) {
		w->deep++;
		example(w->deep_ex, sizeof(w->deep_ex), w->path);
	} else {
		fd = openat(dfd < 0 ? AT_FDCWD : dfd, dfd < 0 ? w->path : name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			w->unreadable++;
		else
			rc = walk_dir(w, fd, depth + 1);
	}
	pop(w, len);
	return rc;
}

/* Takes fd. depth 0 is the allowed path itself, whose own control files
 * plan_guard.c has frozen already (placeholders included). */
static int walk_dir(struct walk *w, int fd, unsigned depth)
{
	struct dir_read d = {.fd = fd};
	const struct dirent64 *e;
	int rc = 0;

	w->dirs++;
	while (rc == 0 && !w->cut) {
		unsigned type;

		e = next_entry(&d);
		if (!e)
			break;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (++w->t->entries > AKIOS_CTL_WALK_ENTRIES) {
			w->cut = "the bound on entries examined";
			break;
		}
		type = entry_type(fd, e);
		if (is_control(e->d_name))
			rc = depth ? freeze_here(w, e->d_name, type) : 0;
		else if (type == DT_DIR)
			rc = descend(w, fd, e->d_name, depth);
	}
	close(fd);
	return rc;
}

static int note(struct walk *w, const char *base)
{
	char skip[400] = "";
	char deep[400] = "";

	if (w->skipped)
		snprintf(skip, sizeof(skip),
			 "; NOT walked: %u generated dir(s) (node_modules, "
			 "__pycache__, .venv, .tox), e.g. %s",
			 w->skipped, w->skip_ex);
	if (w->deep)
		snprintf(deep, sizeof(deep),
			 "; NOT walked: %u dir(s) deeper than %u levels, "
			 "e.g. %s",
			 w->deep, AKIOS_CTL_WALK_DEPTH, w->deep_ex);
	return cage_plan_note(
	    w->p,
	    "control files below %s: %u dir(s) walked, %u nested control "
	    "path(s) frozen (bounds per run: %u levels, %u entries, %u "
	    "paths)%s%s%s%s%s; control files created below the top during "
	    "the run are not protected",
	    base, w->dirs, w->frozen, AKIOS_CTL_WALK_DEPTH,
	    AKIOS_CTL_WALK_ENTRIES, AKIOS_CTL_WALK_FROZEN, skip, deep,
	    w->unreadable ? "; some dirs unreadable (NOT walked)" : "",
	    w->cut ? "; walk STOPPED at " : "", w->cut ? w->cut : "");
}

/* The top of a walk from the listing plan_fs.c read already (the plan's
 * masks and control files looked names up in it): the same entries in
 * the same order as walk_dir would read them, without reading again. */
static int walk_listed(struct walk *w, const char *base)
{
	const char *name;
	mode_t type;
	int rc = 0;

	w->dirs++;
	for (unsigned i = 0;
	     rc == 0 && !w->cut && plan_fs_entry(w->p, base, i, &name, &type);
	     i++) {
		if (++w->t->entries > AKIOS_CTL_WALK_ENTRIES) {
			w->cut = "the bound on entries examined";
			break;
		}
		if (is_control(name))
			continue; /* depth 0: plan_guard.c froze these */
		if (type == 0) {
			size_t len = w->len;

			rc = push(w, name);
			type = rc == 0 ? plan_lstat(w->p, w->path) : 0;
			pop(w, len);
			if (rc != 0)
				return rc == -ENAMETOOLONG ? 0 : rc;
		}
		if (S_ISDIR(type))
			rc = descend(w, -1, name, 0);
	}
	return rc;
}

/* One walk below base: freezing (w->p) or, after the run, reporting. */
static int walk_base(struct walk *w, const char *base)
{
	int fd;

	if (strlen(base) >= sizeof(w->path))
		return -ENAMETOOLONG;
	/* "/" is never a writable allowed path (check_forbidden). */
	memcpy(w->path, base, strlen(base) + 1);
	w->len = strlen(base);
	if (w->t->entries > AKIOS_CTL_WALK_ENTRIES)
		w->cut = "the bound on entries examined";
	if (!w->cut && w->p && plan_fs_entry(w->p, base, 0, NULL, NULL))
		return walk_listed(w, base);
	fd = w->cut
		 ? -1
		 : open(base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		return walk_dir(w, fd, 0);
	w->unreadable += w->cut ? 0 : 1;
	return 0;
}

int plan_walk_controls(struct cage_plan *p, const char *base,
		       struct plan_walk_total *t)
{
	struct walk *w = calloc(1, sizeof(*w));
	int rc;

	if (!w)
		return -ENOMEM;
	w->p = p;
	w->cp = p;
	w->t = t;
	rc = walk_base(w, base);
	if (rc == 0)
		rc = note(w, base);
	if (rc == 0 && p->n_walked < CAGE_MAX_NOTES) {
		p->walked[p->n_walked] = strdup(base);
		rc = p->walked[p->n_walked] ? 0 : -ENOMEM;
		p->n_walked += rc == 0;
	}
	free(w);
	return rc;
}

int cage_plan_unfrozen_controls(const struct cage_plan *p,
				struct akios_buf *out)
{
	struct plan_walk_total t = {0};
	struct walk *w = calloc(1, sizeof(*w));
	int rc = 0;
	int n;

	if (!w)
		return -ENOMEM;
	w->cp = p;
	w->t = &t;
	w->report = out;
	for (unsigned i = 0; i < p->n_walked && rc == 0; i++)
		rc = walk_base(w, p->walked[i]);
	n = w->reported;
	free(w);
	return rc ? rc : n;
}

/* Submodules keep their git directories in <gitdir>/modules/<name>, where
 * <name> may itself contain slashes: a directory with a HEAD is a git
 * directory, any other is looked into a few levels deeper for one. */
static int scan_modules(struct cage_plan *p, const char *dir, unsigned depth)
{
	char sub[PATH_MAX];
	char head[PATH_MAX];
	struct dirent *e;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	int rc = 0;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (p->n_mounts + WALK_MOUNT_RESERVE >= CAGE_MAX_MOUNTS) {
			rc = cage_plan_note(p,
					    "submodule git directories in %s "
					    "NOT frozen: the mount table is "
					    "full",
					    dir);
			break;
		}
		rc = plan_join(sub, sizeof(sub), dir, e->d_name);
		if (rc != 0 || !S_ISDIR(plan_lstat(p, sub)))
			continue;
		rc = plan_join(head, sizeof(head), sub, "HEAD");
		if (rc == 0 && plan_lstat(p, head) != 0)
			rc = plan_freeze_gitdir(p, sub, depth + 1);
		else if (rc == 0 && depth < 4)
			rc = scan_modules(p, sub, depth + 1);
	}
	closedir(d);
	return rc;
}

int plan_freeze_modules(struct cage_plan *p, const char *gitdir, unsigned depth)
{
	char mod[PATH_MAX];
	int rc = plan_join(mod, sizeof(mod), gitdir, "modules");

	if (rc != 0 || depth >= 4)
		return rc;
	return scan_modules(p, mod, depth);
}
