/* policy/validate.c: walks the node tree against the schema tables of
 * policy/schema.c, converting each scalar by hand (no strtol: strict
 * digits, explicit ranges) and recording every error with its place.
 * Invariant: a value that fails a check never reaches the struct. */
#include "shared/common.h"
#include "policy/policy_int.h"
#include "shared/strdist.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

void verr(struct vctx *c, const struct pnode *n, const char *fmt, ...)
{
	char msg[224];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (len < 0)
		msg[0] = '\0';
	if (c->keypath_len)
		policy_errf(c->errs, c->file, n ? n->line : 0, n ? n->col : 0,
			    "%s: %s", c->keypath, msg);
	else
		policy_errf(c->errs, c->file, n ? n->line : 0, n ? n->col : 0,
			    "%s", msg);
}

void v_push(struct vctx *c, const char *name)
{
	size_t room = sizeof(c->keypath) - c->keypath_len;
	int n = snprintf(c->keypath + c->keypath_len, room, "%s%s",
			 c->keypath_len ? "." : "", name);

	if (n > 0 && (size_t)n < room)
		c->keypath_len += (size_t)n;
	else
		c->keypath[c->keypath_len] = '\0';
}

void v_pop(struct vctx *c, size_t len)
{
	c->keypath_len = len;
	c->keypath[len] = '\0';
}

static const char *kind_name(enum pnode_kind k)
{
	switch (k) {
	case PNODE_SCALAR:
		return "a single value";
	case PNODE_SEQ:
		return "a list";
	case PNODE_MAP:
		return "a mapping";
	}
	return "?";
}

bool v_is(struct vctx *c, const struct pnode *n, enum pnode_kind kind)
{
	if (n->kind == kind)
		return true;
	verr(c, n, "expected %s, found %s", kind_name(kind),
	     kind_name(n->kind));
	return false;
}

/* A plain scalar YAML would read as null: "", "~", "null". */
static bool is_null(const struct pnode *n)
{
	return n->kind == PNODE_SCALAR && n->plain &&
	       (n->len == 0 || strcmp(n->str, "~") == 0 ||
		strcmp(n->str, "null") == 0 || strcmp(n->str, "Null") == 0 ||
		strcmp(n->str, "NULL") == 0);
}

bool v_uint(struct vctx *c, const struct pnode *n, unsigned long long max,
	    unsigned long long *out)
{
	unsigned long long v = 0;

	if (!v_is(c, n, PNODE_SCALAR))
		return false;
	if (!n->plain && n->len > 0) {
		verr(c, n, "expected a number, found the quoted string '%s'",
		     n->str);
		return false;
	}
	if (n->len == 0 || (n->str[0] == '0' && n->len > 1))
		goto bad;
	for (size_t i = 0; i < n->len; i++) {
		unsigned d = (unsigned)(unsigned char)n->str[i] - '0';

		if (d > 9)
			goto bad;
		if (v > (ULLONG_MAX - d) / 10)
			goto range;
		v = v * 10 + d;
	}
	if (v > max)
		goto range;
	*out = v;
	return true;
range:
	verr(c, n, "%s is out of range (0..%llu)", n->str, max);
	return false;
bad:
	verr(c, n, "expected a whole number in 0..%llu, found '%s'", max,
	     n->str);
	return false;
}

bool v_micros(struct vctx *c, const struct pnode *n, uint64_t max_units,
	      int64_t *out)
{
	uint64_t whole = 0;
	uint64_t frac = 0;
	unsigned fdigits = 0;
	size_t i = 0;

	if (!v_is(c, n, PNODE_SCALAR))
		return false;
	if (!n->plain || n->len == 0 || n->len > 32)
		goto bad;
	for (; i < n->len && n->str[i] != '.'; i++) {
		unsigned d = (unsigned)(unsigned char)n->str[i] - '0';

		if (d > 9 || whole > max_units)
			goto bad;
		whole = whole * 10 + d;
	}
	if (i == 0 || (n->str[0] == '0' && i > 1))
		goto bad;
	if (i < n->len) {
		if (++i == n->len)
			goto bad; /* "1." */
		for (; i < n->len; i++) {
			unsigned d = (unsigned)(unsigned char)n->str[i] - '0';

			if (d > 9 || ++fdigits > 6)
				goto bad;
			frac = frac * 10 + d;
		}
	}
	for (; fdigits < 6; fdigits++)
		frac *= 10;
	if (whole > max_units || (whole == max_units && frac)) {
		verr(c, n, "%s is out of range (0..%llu)", n->str,
		     (unsigned long long)max_units);
		return false;
	}
	*out = (int64_t)(whole * 1000000u + frac);
	return true;
bad:
	verr(c, n,
	     "expected a decimal number like 0.50 (at most 6 decimals), "
	     "found '%s'",
	     n->str);
	return false;
}

bool v_bool(struct vctx *c, const struct pnode *n, bool *out)
{
	if (!v_is(c, n, PNODE_SCALAR))
		return false;
	if (n->plain && strcmp(n->str, "true") == 0) {
		*out = true;
		return true;
	}
	if (n->plain && strcmp(n->str, "false") == 0) {
		*out = false;
		return true;
	}
	verr(c, n, "expected true or false, found '%s'", n->str);
	return false;
}

/* C0/C1 controls, DEL, and the Unicode line/paragraph separators, BOM
 * and non-characters: none has a place in a policy value, and refusing
 * them keeps the canonical output (double-quoted, unescaped) exact. */
bool has_control(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < len; i++) {
		size_t rest = len - i;

		if (u[i] < 0x20 || u[i] == 0x7f)
			return true;
		if (rest >= 2 && u[i] == 0xc2 && u[i + 1] >= 0x80 &&
		    u[i + 1] <= 0x9f)
			return true;
		if (rest >= 3 && u[i] == 0xe2 && u[i + 1] == 0x80 &&
		    (u[i + 2] == 0xa8 || u[i + 2] == 0xa9))
			return true;
		if (rest >= 3 && u[i] == 0xef &&
		    ((u[i + 1] == 0xbb && u[i + 2] == 0xbf) ||
		     (u[i + 1] == 0xbf && u[i + 2] >= 0xbe)))
			return true;
	}
	return false;
}

char *v_string(struct vctx *c, const struct pnode *n)
{
	char *s;

	if (!v_is(c, n, PNODE_SCALAR))
		return NULL;
	if (is_null(n)) {
		verr(c, n, "expected a string, found an empty value");
		return NULL;
	}
	if (has_control(n->str, n->len)) {
		verr(c, n, "control characters are not allowed");
		return NULL;
	}
	s = strdup(n->str);
	if (!s)
		c->oom = true;
	return s;
}

bool v_enum(struct vctx *c, const struct pnode *n, const struct venum *e,
	    int *out)
{
	char list[160] = "";
	size_t used = 0;

	if (!v_is(c, n, PNODE_SCALAR))
		return false;
	for (const struct venum *x = e; x->name; x++) {
		int w;

		if (strcmp(x->name, n->str) == 0) {
			*out = x->value;
			return true;
		}
		w = snprintf(list + used, sizeof(list) - used, "%s%s",
			     used ? ", " : "", x->name);
		if (w > 0 && (size_t)w < sizeof(list) - used)
			used += (size_t)w;
	}
	verr(c, n, "'%s' is not one of: %s", n->str, list);
	return false;
}

static void unknown_key(struct vctx *c, const struct pnode *key,
			const struct vkey *keys)
{
	const char *best = NULL;
	unsigned best_d = key->len <= 3 ? 2 : 3; /* close enough to suggest */

	for (const struct vkey *k = keys; k->name; k++) {
		unsigned d = akios_edit_distance(key->str, k->name);

		if (d < best_d) {
			best_d = d;
			best = k->name;
		}
	}
	if (best) {
		verr(c, key, "unknown key '%s'; did you mean '%s'?", key->str,
		     best);
		return;
	}
	/* A known key at the wrong level: say where it belongs. */
	for (const struct vkey *k = keys; k->name; k++) {
		const struct vkey *sub = k->aux;

		for (; k->kind == VK_SECTION && sub->name; sub++) {
			if (strcmp(sub->name, key->str) == 0) {
				verr(c, key,
				     "unknown key '%s'; it belongs "
				     "under '%s'",
				     key->str, k->name);
				return;
			}
		}
	}
	verr(c, key, "unknown key '%s'", key->str);
}

static void *field(void *base, const struct vkey *k)
{
	return (char *)base + k->off;
}

static void set_uint(struct vctx *c, const struct vkey *k,
		     const struct pnode *v, void *base)
{
	unsigned long long x;

	if (!v_uint(c, v, k->max, &x))
		return;
	if (k->width == sizeof(uint64_t))
		*(uint64_t *)field(base, k) = x;
	else
		*(unsigned *)field(base, k) = (unsigned)x;
}

/* Replaces a string field (a key appears once, but stay leak-free). */
static void set_str(const struct vkey *k, char *s, void *base)
{
	char **f = field(base, k);

	if (!s)
		return;
	free(*f);
	*f = s;
}

static void apply_key(struct vctx *c, const struct vkey *k,
		      const struct pnode *v, void *base)
{
	switch (k->kind) {
	case VK_SECTION:
		v_map(c, v, k->aux, base);
		break;
	case VK_BOOL:
		(void)v_bool(c, v, field(base, k));
		break;
	case VK_UINT:
		set_uint(c, k, v, base);
		break;
	case VK_STR:
		set_str(k, v_string(c, v), base);
		break;
	case VK_ENUM:
		(void)v_enum(c, v, k->aux, field(base, k));
		break;
	case VK_PATH:
		set_str(k, v_path(c, v), base);
		break;
	case VK_URL:
		set_str(k, v_url(c, v), base);
		break;
	case VK_FN:
		k->fn(c, v, base);
		break;
	}
}

void v_map(struct vctx *c, const struct pnode *n, const struct vkey *keys,
	   void *base)
{
	if (!v_is(c, n, PNODE_MAP))
		return;
	for (unsigned i = 0; i + 1 < n->n; i += 2) {
		const struct pnode *key = n->kids[i];
		const struct pnode *val = n->kids[i + 1];
		const struct vkey *k = keys;
		size_t saved = c->keypath_len;

		while (k->name && strcmp(k->name, key->str) != 0)
			k++;
		if (!k->name) {
			unknown_key(c, key, keys);
			continue;
		}
		v_push(c, k->name);
		apply_key(c, k, val, base);
		v_pop(c, saved);
	}
}

int policy_validate(const char *file, const struct pnode *root, const char *cwd,
		    struct akios_policy *p, struct policy_errors *errs)
{
	struct vctx c = {
	    .file = file, .errs = errs, .p = p, .cwd = cwd, .alias_budget = -1};
	unsigned before = errs->n + errs->dropped;

	if (root->kind != PNODE_MAP) {
		verr(&c, root,
		     "a policy is a mapping of sections (version, "
		     "name, security, ...)");
		return -EINVAL;
	}
	v_map(&c, root, policy_schema_top, p);
	policy_post_checks(&c);
	if (c.oom)
		return -ENOMEM;
	return errs->n + errs->dropped > before ? -EINVAL : 0;
}
