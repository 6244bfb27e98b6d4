/* json: the document tree (construction, access, copy, comparison, free).
 * Invariants: a container's child..last list is NULL-terminated and
 * last points at its final member (NULL when empty); a JSON_STRING's str
 * is NUL-terminated with len bytes before the terminator; members of an
 * object carry a malloc'd key, members of an array none. */
#include "shared/common.h"
#include "shared/json.h"
#include "shared/json_int.h"

#include <errno.h>

struct json *json_node(enum json_type t)
{
	/* malloc, not calloc: glibc's calloc skips the thread cache for
	 * these small blocks, measurably on the audit event path. */
	struct json *v = malloc(sizeof(*v));

	if (v)
		*v = (struct json){.type = t};
	return v;
}

struct json *json_new_object(void)
{
	return json_node(JSON_OBJECT);
}

struct json *json_new_array(void)
{
	return json_node(JSON_ARRAY);
}

struct json *json_new_null(void)
{
	return json_node(JSON_NULL);
}

struct json *json_new_bool(bool v)
{
	return json_node(v ? JSON_TRUE : JSON_FALSE);
}

struct json *json_new_number(double v)
{
	struct json *n = json_node(JSON_NUMBER);

	if (n)
		n->num = v;
	return n;
}

static char *copy_bytes(const char *s, size_t len)
{
	char *p = malloc(len + 1);

	if (!p)
		return NULL;
	if (len)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

struct json *json_new_string_len(const char *s, size_t len)
{
	struct json *v;

	if (!s)
		return NULL;
	v = json_node(JSON_STRING);
	if (!v)
		return NULL;
	v->str = copy_bytes(s, len);
	if (!v->str) {
		free(v);
		return NULL;
	}
	v->len = len;
	return v;
}

struct json *json_new_string(const char *s)
{
	return s ? json_new_string_len(s, strlen(s)) : NULL;
}

/* Iterative, so a tree of any depth (built by hand, not parsed) is freed
 * without recursion: each container's members are spliced in front of
 * the work list before the container itself goes. */
void json_free(struct json *v)
{
	struct json *todo = v;

	if (v)
		v->next = NULL;
	while (todo) {
		struct json *n = todo;

		todo = n->next;
		if (n->child) {
			n->last->next = todo;
			todo = n->child;
		}
		free(n->key);
		free(n->str);
		free(n);
	}
}

void json_link(struct json *parent, struct json *item)
{
	item->next = NULL;
	if (parent->last)
		parent->last->next = item;
	else
		parent->child = item;
	parent->last = item;
}

struct json *json_add(struct json *obj, const char *key, struct json *item)
{
	char *k;

	if (!item)
		return NULL;
	if (!json_is_object(obj) || !key)
		goto fail;
	k = copy_bytes(key, strlen(key));
	if (!k)
		goto fail;
	free(item->key);
	item->key = k;
	json_link(obj, item);
	return item;
fail:
	json_free(item);
	return NULL;
}

struct json *json_push(struct json *arr, struct json *item)
{
	if (!item)
		return NULL;
	if (!json_is_array(arr)) {
		json_free(item);
		return NULL;
	}
	free(item->key);
	item->key = NULL;
	json_link(arr, item);
	return item;
}

struct json *json_add_str(struct json *obj, const char *key, const char *s)
{
	return json_add(obj, key, json_new_string(s));
}

struct json *json_add_num(struct json *obj, const char *key, double v)
{
	return json_add(obj, key, json_new_number(v));
}

struct json *json_add_bool(struct json *obj, const char *key, bool v)
{
	return json_add(obj, key, json_new_bool(v));
}

struct json *json_add_null(struct json *obj, const char *key)
{
	return json_add(obj, key, json_new_null());
}

struct json *json_add_object(struct json *obj, const char *key)
{
	return json_add(obj, key, json_new_object());
}

struct json *json_add_array(struct json *obj, const char *key)
{
	return json_add(obj, key, json_new_array());
}

struct json *json_new_string_array(const char *const *s, size_t n)
{
	struct json *arr = json_new_array();

	for (size_t i = 0; arr && i < n; i++) {
		if (!json_push(arr, json_new_string(s[i]))) {
			json_free(arr);
			arr = NULL;
		}
	}
	return arr;
}

int json_set_str(struct json *v, const char *s)
{
	size_t len;
	char *p;

	if (!json_is_string(v) || !s)
		return -EINVAL;
	len = strlen(s);
	p = copy_bytes(s, len);
	if (!p)
		return -ENOMEM;
	free(v->str);
	v->str = p;
	v->len = len;
	return 0;
}

int json_set_num(struct json *v, double n)
{
	if (!json_is_number(v))
		return -EINVAL;
	v->num = n;
	return 0;
}

struct json *json_get(const struct json *obj, const char *key)
{
	if (!json_is_object(obj) || !key)
		return NULL;
	json_for_each(m, obj)
	{
		if (m->key && strcmp(m->key, key) == 0)
			return m;
	}
	return NULL;
}

const char *json_get_str(const struct json *obj, const char *key)
{
	const struct json *v = json_get(obj, key);

	return json_is_string(v) ? v->str : NULL;
}

struct json *json_detach(struct json *obj, const char *key)
{
	struct json *prev = NULL;

	if (!json_is_object(obj) || !key)
		return NULL;
	for (struct json *m = obj->child; m; prev = m, m = m->next) {
		if (!m->key || strcmp(m->key, key) != 0)
			continue;
		if (prev)
			prev->next = m->next;
		else
			obj->child = m->next;
		if (obj->last == m)
			obj->last = prev;
		m->next = NULL;
		return m;
	}
	return NULL;
}

bool json_remove(struct json *obj, const char *key)
{
	struct json *m = json_detach(obj, key);

	json_free(m);
	return m != NULL;
}

size_t json_size(const struct json *v)
{
	size_t n = 0;

	if (!json_is_array(v) && !json_is_object(v))
		return 0;
	json_for_each(m, v) n++;
	return n;
}

struct json *json_at(const struct json *arr, size_t i)
{
	if (!json_is_array(arr) && !json_is_object(arr))
		return NULL;
	json_for_each(m, arr)
	{
		if (i-- == 0)
			return m;
	}
	return NULL;
}

/* Recursion is bounded like the parser's: a copy or comparison deeper
 * than JSON_MAX_DEPTH fails (NULL, false), as printing would. */
static struct json *dup_at(const struct json *v, unsigned depth)
{
	struct json *c;

	if (v->type == JSON_STRING)
		return json_new_string_len(v->str, v->len);
	if (v->type == JSON_NUMBER)
		return json_new_number(v->num);
	if (depth >= JSON_MAX_DEPTH &&
	    (v->type == JSON_ARRAY || v->type == JSON_OBJECT))
		return NULL;
	c = json_node(v->type);
	if (!c)
		return NULL;
	json_for_each(m, v)
	{
		struct json *d = dup_at(m, depth + 1);

		if (!d)
			goto fail;
		json_link(c, d);
		if (m->key) {
			d->key = copy_bytes(m->key, strlen(m->key));
			if (!d->key)
				goto fail;
		}
	}
	return c;
fail:
	json_free(c);
	return NULL;
}

struct json *json_dup(const struct json *v)
{
	return v ? dup_at(v, 0) : NULL;
}

static bool same_key(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) == 0 : a == b;
}

static bool equal_at(const struct json *a, const struct json *b, unsigned depth)
{
	const struct json *x;
	const struct json *y;

	if (a->type != b->type)
		return false;
	if (a->type == JSON_NUMBER)
		return a->num == b->num;
	if (a->type == JSON_STRING)
		return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
	if (a->type != JSON_ARRAY && a->type != JSON_OBJECT)
		return true;
	if (depth >= JSON_MAX_DEPTH)
		return false;
	for (x = a->child, y = b->child; x && y; x = x->next, y = y->next) {
		if (a->type == JSON_OBJECT && !same_key(x->key, y->key))
			return false;
		if (!equal_at(x, y, depth + 1))
			return false;
	}
	return !x && !y;
}

bool json_equal(const struct json *a, const struct json *b)
{
	if (!a || !b)
		return a == b;
	return equal_at(a, b, 0);
}
