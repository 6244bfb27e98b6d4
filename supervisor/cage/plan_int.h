/* Declarations shared by the plan_*.c files only (STYLE.md §1). */
#ifndef AKIOS_CAGE_PLAN_INT_H
#define AKIOS_CAGE_PLAN_INT_H

#include "shared/common.h"
#include "supervisor/cage/plan.h"

#include <stdbool.h>

int plan_add(struct cage_plan *p, enum cage_mnt kind, unsigned flags,
	     const char *src, const char *dst, const char *why) AKIOS_NODISCARD;
int plan_rule(struct cage_plan *p, const char *path,
	      unsigned access) AKIOS_NODISCARD;
bool plan_path_under(const char *path, const char *parent);
int plan_join(char *out, size_t size, const char *a,
	      const char *b) AKIOS_NODISCARD;
/* Marks the plan refused (first reason wins). Returns 0. */
int plan_refuse(struct cage_plan *p, const char *fmt, ...) AKIOS_PRINTF(2, 3);

int plan_copy_argv(struct cage_plan *p, char *const *argv) AKIOS_NODISCARD;
int plan_add_identity(struct cage_plan *p,
		      const struct cage_plan_input *in) AKIOS_NODISCARD;
int plan_add_masks(struct cage_plan *p, const struct cage_plan_input *in,
		   const struct policy_path **allow,
		   unsigned n) AKIOS_NODISCARD;
int plan_add_controls(struct cage_plan *p, const struct cage_plan_input *in,
		      const struct policy_path **allow,
		      unsigned n) AKIOS_NODISCARD;
bool plan_has_mount(const struct cage_plan *p, const char *dst);
/* Control paths (plan_guard.c): freeze one path read-only (a placeholder
 * when missing and `create`); a base's .git; a git directory's config,
 * hooks and submodules (plan_walk.c). */
int plan_freeze(struct cage_plan *p, const char *path, bool dir,
		bool create) AKIOS_NODISCARD;
int plan_freeze_git(struct cage_plan *p, const char *base) AKIOS_NODISCARD;
int plan_freeze_gitdir(struct cage_plan *p, const char *gitdir,
		       unsigned depth) AKIOS_NODISCARD;
int plan_freeze_modules(struct cage_plan *p, const char *gitdir,
			unsigned depth) AKIOS_NODISCARD;
/* The walk below one writable base (plan_walk.c); the bounds of
 * shared/limits.h are counted over the whole run in *t. Adds a note. */
struct plan_walk_total {
	unsigned entries;
	unsigned frozen;
};
int plan_walk_controls(struct cage_plan *p, const char *base,
		       struct plan_walk_total *t) AKIOS_NODISCARD;
/* The plan's looks at the host (plan_fs.c), cached for one build in
 * p->fs: lstat's S_IFMT bits of path, 0 when lstat fails (a plain lstat
 * when p->fs is NULL); plan_fs_list reads dir whole once, for a caller
 * about to look up many names in it. */
struct plan_fs;
int plan_fs_new(struct plan_fs **out) AKIOS_NODISCARD;
void plan_fs_free(struct plan_fs *fs);
mode_t plan_lstat(struct cage_plan *p, const char *path);
void plan_fs_list(struct cage_plan *p, const char *dir);
/* Entry i of dir's listing (its name, and S_IFMT bits or 0 when the
 * filesystem did not say), in getdents64's order, "." and ".." left out.
 * false past the end, or when dir was not listed whole. With name NULL
 * and i 0: whether dir was listed whole (even empty). */
bool plan_fs_entry(const struct cage_plan *p, const char *dir, unsigned i,
		   const char **name, mode_t *type);
int plan_build_env(struct cage_plan *p,
		   const struct cage_plan_input *in) AKIOS_NODISCARD;
void plan_free_env(struct cage_plan *p);
int plan_build_exec(struct cage_plan *p,
		    const struct cage_plan_input *in) AKIOS_NODISCARD;
int plan_noexec_progdirs(struct cage_plan *p) AKIOS_NODISCARD;
/* The same over the given roots (absolute, no symlink); for tests. */
int plan_noexec_progdirs_in(struct cage_plan *p, const char *const *roots,
			    size_t n_roots) AKIOS_NODISCARD;
int plan_build_kernel(struct cage_plan *p,
		      const struct cage_plan_input *in) AKIOS_NODISCARD;

#endif
