/* Internals shared by the policy module's files (STYLE.md §1): the small
 * YAML node tree the loader builds, the error collector, and the
 * validator's entry point. No file outside policy/ includes this. */
#ifndef AKIOS_POLICY_INT_H
#define AKIOS_POLICY_INT_H

#include "policy/policy.h"
#include "shared/common.h"

#include <stdarg.h>
#include <stdbool.h>

/* Limits of the node tree: deep nesting and huge node counts are refused
 * before they can cost stack or memory. */
#define POLICY_MAX_DEPTH 32
#define POLICY_MAX_NODES 65536

enum pnode_kind {
	PNODE_SCALAR,
	PNODE_SEQ,
	PNODE_MAP,
};

/* One YAML node with its place in the file. A map keeps its pairs as
 * kids[2i] (key, always a scalar) and kids[2i+1] (value). */
struct pnode {
	enum pnode_kind kind;
	unsigned line; /* 1-based */
	unsigned col;  /* 1-based */
	char *str;     /* scalar text, NUL-terminated, no NUL inside */
	size_t len;
	bool plain; /* an unquoted scalar (so "true" quoted is a string) */
	struct pnode **kids;
	unsigned n; /* kids used */
	unsigned cap;
};

/* Records one error; past POLICY_MAX_ERRORS only counts it. */
void policy_errf(struct policy_errors *errs, const char *file, unsigned line,
		 unsigned col, const char *fmt, ...) AKIOS_PRINTF(5, 6);

/* Parses YAML text into a node tree (NULL for an empty document).
 * Refuses anchors, aliases, tags, several documents, duplicate keys,
 * non-scalar keys, NUL bytes in scalars and secret-looking scalars, all
 * recorded in errs. Returns 0 or -EINVAL (errs has at least one entry)
 * or -ENOMEM. Caller frees *root with pnode_free. */
int pnode_parse(const char *file, const char *data, size_t len,
		struct pnode **root, struct policy_errors *errs)
    AKIOS_NONNULL(1, 2, 4, 5) AKIOS_NODISCARD;
void pnode_free(struct pnode *n);

/* Fills p (already holding the defaults) from the tree; cwd expands
 * "${CWD}" (NULL: the token is an error). Every problem goes to errs;
 * returns 0 when none was found, -EINVAL otherwise, -ENOMEM on OOM. */
int policy_validate(const char *file, const struct pnode *root, const char *cwd,
		    struct akios_policy *p, struct policy_errors *errs)
    AKIOS_NONNULL(1, 2, 4, 5) AKIOS_NODISCARD;

/* The defaults every policy starts from (policy/defaults.c). */
int policy_set_defaults(struct akios_policy *p)
    AKIOS_NONNULL(1) AKIOS_NODISCARD;

/* Describes the secret that s looks like ("an OpenAI API key"), or NULL
 * when it looks like none (policy/secretscan.c). */
const char *policy_secret_kind(const char *s, size_t len) AKIOS_NONNULL(1);
/* The same, with the offset of the match in *at. */
const char *policy_secret_find(const char *s, size_t len, size_t *at)
    AKIOS_NONNULL(1, 3);

/* Optimal string alignment distance, capped at 99 for long strings. */

/* The validator's state while walking one tree (policy/validate.c owns
 * the walk, policy/schema.c the tables, policy/check.c the value checks). */
struct vctx {
	const char *file;
	struct policy_errors *errs;
	struct akios_policy *p;
	const char *cwd;
	bool oom;
	char keypath[128]; /* "security.network", for messages */
	size_t keypath_len;
	bool seen_version;
	bool seen_redact_headers;
	int64_t alias_budget; /* budget.max_cost_per_run, -1 unset */
	struct policy_loc alias_loc;
	struct policy_loc budget_loc;
	struct policy_loc endpoints_loc;
	struct policy_loc required_loc;
	struct policy_loc env_loc;
};

enum vkind {
	VK_SECTION, /* a mapping walked with the sub-table in aux */
	VK_BOOL,
	VK_UINT,
	VK_STR,
	VK_ENUM, /* one of the names in aux (struct venum[]) */
	VK_PATH, /* an absolute normalised path, "${CWD}" expanded */
	VK_URL,	 /* an http:// or https:// URL */
	VK_FN,	 /* handled by fn */
};

struct venum {
	const char *name;
	int value;
};

/* One key of a mapping: what it holds and where it goes in the struct. */
struct vkey {
	const char *name;
	enum vkind kind;
	size_t off;		/* field offset in the walked struct */
	unsigned width;		/* VK_UINT: field size (4 or 8) */
	unsigned long long max; /* VK_UINT: largest value allowed */
	const void *aux;
	void (*fn)(struct vctx *c, const struct pnode *val, void *base);
};

/* The schema's top-level table, NULL-terminated (policy/schema.c). */
extern const struct vkey policy_schema_top[];
/* The secrets: list (policy/crosscheck.c). */
void policy_fn_secrets(struct vctx *c, const struct pnode *v, void *base)
    AKIOS_NONNULL(1, 2);
/* Cross-field checks once the whole tree is read (policy/crosscheck.c). */
void policy_post_checks(struct vctx *c) AKIOS_NONNULL(1);

/* Walker and scalar conversions (policy/validate.c). Each reports its
 * own error at the node and returns false/NULL/-EINVAL on failure. */
void verr(struct vctx *c, const struct pnode *n, const char *fmt, ...)
    AKIOS_PRINTF(3, 4) AKIOS_NONNULL(1);
/* Walks mapping n with the table keys, storing into base (the struct the
 * table's offsets refer to). */
void v_map(struct vctx *c, const struct pnode *n, const struct vkey *keys,
	   void *base) AKIOS_NONNULL(1, 2, 3, 4);
bool v_is(struct vctx *c, const struct pnode *n, enum pnode_kind kind)
    AKIOS_NONNULL(1, 2);
bool v_uint(struct vctx *c, const struct pnode *n, unsigned long long max,
	    unsigned long long *out) AKIOS_NONNULL(1, 2, 4);
bool v_bool(struct vctx *c, const struct pnode *n, bool *out)
    AKIOS_NONNULL(1, 2, 3);
/* A decimal with at most 6 fraction digits, in millionths. */
bool v_micros(struct vctx *c, const struct pnode *n, uint64_t max_units,
	      int64_t *out) AKIOS_NONNULL(1, 2, 4);
char *v_string(struct vctx *c, const struct pnode *n) AKIOS_NONNULL(1, 2);
/* True when s holds a control or invisible separator character. */
bool has_control(const char *s, size_t len) AKIOS_NONNULL(1);
/* Why s is not an absolute, normalised path the policy accepts, or NULL. */
const char *policy_path_problem(const char *s) AKIOS_NONNULL(1);
/* The embedded default policy for the working directory cwd, built
 * directly (defaults.c): the struct its YAML parses into. -EAGAIN when
 * only the parser can say what that cwd gives (none, not normalised,
 * "/usr" itself: an error to report); -ENOMEM. */
int policy_default_build(const char *cwd, struct akios_policy **out)
    AKIOS_NONNULL(2) AKIOS_NODISCARD;
bool v_enum(struct vctx *c, const struct pnode *n, const struct venum *e,
	    int *out) AKIOS_NONNULL(1, 2, 3, 4);
void v_push(struct vctx *c, const char *name) AKIOS_NONNULL(1, 2);
void v_pop(struct vctx *c, size_t len) AKIOS_NONNULL(1);

/* Value checks (policy/check.c): each returns a new string or NULL with
 * the error reported at n. */
char *v_path(struct vctx *c, const struct pnode *n) AKIOS_NONNULL(1, 2);
char *v_url(struct vctx *c, const struct pnode *n) AKIOS_NONNULL(1, 2);
bool v_endpoint(struct vctx *c, const struct pnode *n,
		struct policy_endpoint *out) AKIOS_NONNULL(1, 2, 3);
/* An environment variable name a policy may name (not LD_*, AKIOS_*). */
char *v_env_name(struct vctx *c, const struct pnode *n) AKIOS_NONNULL(1, 2);

/* Frees a string list's items and empties it. */
void policy_strlist_free(struct policy_string_list *l) AKIOS_NONNULL(1);

#endif
