/* json_int: what the json module's files share and nobody else includes. */
#pragma once

#include "shared/json.h"

/* A zeroed node of type t, or NULL. */
struct json *json_node(enum json_type t);
/* Appends item (whose next is overwritten) to parent's member list. */
void json_link(struct json *parent, struct json *item);
#ifdef AKIOS_TESTING
/* The text of one number as the printers write it (json_print.c); its
 * length, 0 when cap is too small. Tested by tests/unit/test_json.c. */
size_t json_format_number(double d, char *o, size_t cap);
#endif
