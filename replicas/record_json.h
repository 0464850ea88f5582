/*
 * record_json.h - the canonical JSON text of a record, as the audit archive
 * stores it (records/<table>/<scope>/<xx>/<id>.json).
 *
 * Canonical form: one JSON object, keys sorted bytewise, one field per line
 * (two-space indent), UTF-8 kept as is, a final newline.  Keys are "id",
 * "_deleted" (true/false) and every declared column by name; values are the
 * stored canonical text (validate.h) as JSON strings, or null for no value.
 * Equal records give byte-equal texts, so git diff and blame show changes
 * field by field.
 */
#ifndef TAPHOP_RECORD_JSON_H
#define TAPHOP_RECORD_JSON_H

#include <stddef.h>

#include "replicas/store.h"

/* *out (malloc'd, NUL-terminated, *len bytes without the NUL) is r's
 * canonical JSON text. */
int record_json_format(char **out, size_t *len, const struct record *r);

/* Called once per field whose value differs between two texts; a value is
 * NULL when the field is absent, else its JSON text ("\"x\"", "null"). */
typedef int (*record_json_diff_cb)(void *ctx, const char *field,
				   const char *a, const char *b);

/*
 * Compares two record texts (a, b: la, lb bytes; either may be NULL for
 * "no file") field by field, calling cb for each difference in key order.
 * Returns the number of differing fields, a negative code when a text is
 * not a JSON object (ERR_INVALID), or cb's non-zero return.
 */
int record_json_diff(const char *a, size_t la, const char *b, size_t lb,
		     record_json_diff_cb cb, void *ctx);

#endif
