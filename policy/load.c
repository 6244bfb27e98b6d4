/* policy/load.c: YAML text → a small node tree with line:column marks,
 * through libyaml's event parser. Accepts a strict subset: one document,
 * no anchors, aliases or tags, unique scalar keys, bounded depth and node
 * count. Every refusal is an error with its location, never a crash. */
#include "shared/common.h"
#include "policy/policy_int.h"
#include "shared/limits.h"

#include <errno.h>
#include <stdio.h>
#include <yaml.h>

struct lctx {
	yaml_parser_t parser;
	const char *data;
	size_t len;
	const char *file;
	struct policy_errors *errs;
	unsigned nodes;
	bool bad; /* a structural error was recorded (tree still built) */
	bool raw_secrets; /* the raw text had one: scalars need no rescan */
};

void policy_errf(struct policy_errors *errs, const char *file, unsigned line,
		 unsigned col, const char *fmt, ...)
{
	va_list ap;

	if (errs->n >= POLICY_MAX_ERRORS) {
		errs->dropped++;
		return;
	}
	va_start(ap, fmt);
	(void)akios_err_vset(&errs->e[errs->n++], file, line, col, fmt, ap);
	va_end(ap);
}

void pnode_free(struct pnode *n)
{
	if (!n)
		return;
	for (unsigned i = 0; i < n->n; i++)
		pnode_free(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n);
}

static void lerr(struct lctx *c, yaml_mark_t m, const char *fmt, ...)
    AKIOS_PRINTF(3, 4);
static void lerr(struct lctx *c, yaml_mark_t m, const char *fmt, ...)
{
	char msg[224];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	policy_errf(c->errs, c->file, (unsigned)m.line + 1,
		    (unsigned)m.column + 1, "%s", msg);
	c->bad = true;
}

/* The reader (encoding, control characters) reports a byte offset only. */
static yaml_mark_t mark_at(const struct lctx *c, size_t offset)
{
	yaml_mark_t m = {0};

	for (size_t i = 0; i < offset && i < c->len; i++) {
		if (c->data[i] == '\n') {
			m.line++;
			m.column = 0;
		} else if (((unsigned char)c->data[i] & 0xc0) != 0x80) {
			m.column++;
		}
	}
	return m;
}

static void secret_error(struct lctx *c, yaml_mark_t m, const char *kind)
{
	lerr(c, m,
	     "this looks like %s: never put a secret in a policy; name it "
	     "under 'secrets:' (from_env or from_file)",
	     kind);
}

/* Scans the raw text, comments included, one report per line at the
 * secret's own column. */
static void scan_raw(struct lctx *c)
{
	size_t pos = 0;

	/* Bounded: each report rescans from the start for its line:col. */
	for (unsigned hits = 0; pos < c->len && hits < POLICY_MAX_ERRORS;
	     hits++) {
		size_t at;
		const char *kind =
		    policy_secret_find(c->data + pos, c->len - pos, &at);
		const char *nl;

		if (!kind)
			return;
		secret_error(c, mark_at(c, pos + at), kind);
		c->raw_secrets = true;
		nl = memchr(c->data + pos + at, '\n', c->len - pos - at);
		if (!nl)
			return;
		pos = (size_t)(nl - c->data) + 1;
	}
}

/* libyaml's own error: its problem and the mark where it was seen. */
static int parser_error(struct lctx *c)
{
	const yaml_parser_t *p = &c->parser;
	yaml_mark_t m = p->problem_mark;

	if (p->error == YAML_MEMORY_ERROR)
		return -ENOMEM;
	if (p->error == YAML_READER_ERROR)
		m = mark_at(c, p->problem_offset);
	if (p->context)
		policy_errf(c->errs, c->file, (unsigned)m.line + 1,
			    (unsigned)m.column + 1, "YAML: %s %s (line %u)",
			    p->problem ? p->problem : "syntax error",
			    p->context, (unsigned)p->context_mark.line + 1);
	else
		policy_errf(c->errs, c->file, (unsigned)m.line + 1,
			    (unsigned)m.column + 1, "YAML: %s",
			    p->problem ? p->problem : "syntax error");
	return -EINVAL;
}

static int next_event(struct lctx *c, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&c->parser, ev))
		return parser_error(c);
	return 0;
}

static struct pnode *new_node(struct lctx *c, enum pnode_kind kind,
			      yaml_mark_t m)
{
	struct pnode *n;

	if (++c->nodes > POLICY_MAX_NODES) {
		lerr(c, m, "too many YAML nodes (limit %u)", POLICY_MAX_NODES);
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->kind = kind;
	n->line = (unsigned)m.line + 1;
	n->col = (unsigned)m.column + 1;
	return n;
}

static int add_kid(struct pnode *parent, struct pnode *kid)
{
	if (parent->n == parent->cap) {
		unsigned cap = parent->cap ? parent->cap * 2 : 8;
		struct pnode **k =
		    reallocarray(parent->kids, cap, sizeof(struct pnode *));

		if (!k)
			return -ENOMEM;
		parent->kids = k;
		parent->cap = cap;
	}
	parent->kids[parent->n++] = kid;
	return 0;
}

/* Anchors and tags are refused: aliases would let a small file expand
 * into a huge policy, and tags would give values types we do not check. */
static void check_props(struct lctx *c, const yaml_event_t *ev,
			const yaml_char_t *anchor, const yaml_char_t *tag)
{
	if (anchor)
		lerr(c, ev->start_mark,
		     "YAML anchors are not allowed in a policy ('&%s')",
		     (const char *)anchor);
	if (tag)
		lerr(c, ev->start_mark,
		     "YAML tags are not allowed in a policy ('%s')",
		     (const char *)tag);
}

static int make_scalar(struct lctx *c, const yaml_event_t *ev,
		       struct pnode **out)
{
	const char *v = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	struct pnode *n;
	const char *kind;

	check_props(c, ev, ev->data.scalar.anchor, ev->data.scalar.tag);
	n = new_node(c, PNODE_SCALAR, ev->start_mark);
	if (!n)
		return c->bad ? -EINVAL : -ENOMEM;
	n->str = strndup(v, len);
	if (!n->str) {
		free(n);
		return -ENOMEM;
	}
	n->len = len;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	if (memchr(v, '\0', len))
		lerr(c, ev->start_mark, "a NUL byte in a value");
	kind = c->raw_secrets ? NULL : policy_secret_kind(v, len);
	if (kind)
		secret_error(c, ev->start_mark, kind);
	*out = n;
	return 0;
}

static int parse_node(struct lctx *c, yaml_event_t *ev, unsigned depth,
		      struct pnode **out);

static void check_dup_key(struct lctx *c, const struct pnode *map,
			  const struct pnode *key)
{
	for (unsigned i = 0; i + 1 < map->n; i += 2) {
		const struct pnode *k = map->kids[i];

		if (k->len == key->len &&
		    memcmp(k->str, key->str, k->len) == 0) {
			char first[32];

			snprintf(first, sizeof(first), "%u:%u", k->line,
				 k->col);
			policy_errf(c->errs, c->file, key->line, key->col,
				    "duplicate key '%s' (first at %s)",
				    key->str, first);
			c->bad = true;
			return;
		}
	}
}

/* Reads the children of a sequence or mapping up to its end event. */
static int parse_kids(struct lctx *c, struct pnode *n, unsigned depth)
{
	yaml_event_type_t end = n->kind == PNODE_MAP ? YAML_MAPPING_END_EVENT
						     : YAML_SEQUENCE_END_EVENT;

	for (;;) {
		yaml_event_t ev;
		struct pnode *kid = NULL;
		int rc = next_event(c, &ev);

		if (rc)
			return rc;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (n->kind == PNODE_MAP && n->n % 2 == 0 &&
		    ev.type != YAML_SCALAR_EVENT)
			lerr(c, ev.start_mark,
			     "a mapping key must be a plain "
			     "word");
		rc = parse_node(c, &ev, depth + 1, &kid);
		yaml_event_delete(&ev);
		if (rc)
			return rc;
		if (n->kind == PNODE_MAP && n->n % 2 == 0 &&
		    kid->kind == PNODE_SCALAR)
			check_dup_key(c, n, kid);
		rc = add_kid(n, kid);
		if (rc) {
			pnode_free(kid);
			return rc;
		}
	}
}

static int parse_node(struct lctx *c, yaml_event_t *ev, unsigned depth,
		      struct pnode **out)
{
	struct pnode *n;
	int rc;

	if (depth > POLICY_MAX_DEPTH) {
		lerr(c, ev->start_mark, "nesting deeper than %u levels",
		     POLICY_MAX_DEPTH);
		return -EINVAL;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return make_scalar(c, ev, out);
	case YAML_ALIAS_EVENT:
		lerr(c, ev->start_mark,
		     "YAML aliases are not allowed in a policy ('*%s')",
		     (const char *)ev->data.alias.anchor);
		return -EINVAL;
	case YAML_SEQUENCE_START_EVENT:
		check_props(c, ev, ev->data.sequence_start.anchor,
			    ev->data.sequence_start.tag);
		n = new_node(c, PNODE_SEQ, ev->start_mark);
		break;
	case YAML_MAPPING_START_EVENT:
		check_props(c, ev, ev->data.mapping_start.anchor,
			    ev->data.mapping_start.tag);
		n = new_node(c, PNODE_MAP, ev->start_mark);
		break;
	default:
		lerr(c, ev->start_mark, "unexpected YAML event");
		return -EINVAL;
	}
	if (!n)
		return c->bad ? -EINVAL : -ENOMEM;
	rc = parse_kids(c, n, depth);
	if (rc) {
		pnode_free(n);
		return rc;
	}
	*out = n;
	return 0;
}

/* Expects an event of the given type (stream/document framing). */
static int expect(struct lctx *c, yaml_event_type_t type, yaml_event_t *ev)
{
	int rc = next_event(c, ev);

	if (rc)
		return rc;
	if (ev->type != type) {
		lerr(c, ev->start_mark, "unexpected YAML structure");
		yaml_event_delete(ev);
		return -EINVAL;
	}
	return 0;
}

static int parse_document(struct lctx *c, struct pnode **root)
{
	yaml_event_t ev;
	int rc = expect(c, YAML_STREAM_START_EVENT, &ev);

	if (rc)
		return rc;
	yaml_event_delete(&ev);
	rc = next_event(c, &ev);
	if (rc)
		return rc;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		return 0; /* empty: the caller reports it */
	}
	yaml_event_delete(&ev); /* DOCUMENT_START */
	rc = next_event(c, &ev);
	if (rc)
		return rc;
	rc = parse_node(c, &ev, 0, root);
	yaml_event_delete(&ev);
	if (rc)
		return rc;
	rc = expect(c, YAML_DOCUMENT_END_EVENT, &ev);
	if (rc)
		return rc;
	yaml_event_delete(&ev);
	rc = next_event(c, &ev);
	if (rc)
		return rc;
	if (ev.type != YAML_STREAM_END_EVENT) {
		lerr(c, ev.start_mark,
		     "a policy is one YAML document; found another");
		rc = -EINVAL;
	}
	yaml_event_delete(&ev);
	return rc;
}

int pnode_parse(const char *file, const char *data, size_t len,
		struct pnode **root, struct policy_errors *errs)
{
	struct lctx c = {.file = file, .errs = errs, .data = data, .len = len};
	int rc;

	*root = NULL;
	if (len > AKIOS_MAX_POLICY_BYTES) {
		policy_errf(errs, file, 0, 0, "policy is larger than %lu bytes",
			    AKIOS_MAX_POLICY_BYTES);
		return -EINVAL;
	}
	if (!yaml_parser_initialize(&c.parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&c.parser, (const unsigned char *)data,
				     len);
	scan_raw(&c);
	rc = parse_document(&c, root);
	yaml_parser_delete(&c.parser);
	if (rc == 0 && c.bad)
		rc = -EINVAL;
	if (rc) {
		pnode_free(*root);
		*root = NULL;
		if (rc == -EINVAL && errs->n == 0 && errs->dropped == 0)
			policy_errf(errs, file, 0, 0, "malformed YAML");
	}
	return rc;
}
