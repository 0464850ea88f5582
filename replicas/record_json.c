/*
 * record_json.c - canonical JSON of a record (see record_json.h), with
 * jansson: JSON_SORT_KEYS | JSON_INDENT(2) gives sorted keys, one field per
 * line, and no other freedom in the output; read back with jansson to
 * compare two texts field by field.
 */
#include "replicas/record_json.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "replicas/err.h"

#include "replicas/banned.h"

/* Sorted keys and one field per line; non-ASCII UTF-8 kept as is (no
 * JSON_ENSURE_ASCII), so Vietnamese names read as written. */
#define DUMP_FLAGS (JSON_SORT_KEYS | JSON_INDENT(2))

/* A JSON string for s, or for NULL a JSON null; NULL when s is not UTF-8
 * (json_string() checks) or out of memory. */
static json_t *value_new(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

int record_json_format(char **out, size_t *len, const struct record *r)
{
	json_t *o = NULL, *v;
	char *text = NULL, *full;
	size_t n;
	int i, rc = ERR_NOMEM;

	o = json_object();
	if (o == NULL)
		goto nomem;
	/* keys are the schema's ASCII names: no need to check them */
	if (json_object_set_new_nocheck(o, "_deleted",
					json_boolean(r->deleted)) != 0)
		goto nomem;
	for (i = -1; i < r->t->ncols; i++) {
		v = value_new(i < 0 ? r->id : r->vals[i]);
		if (v == NULL) {
			rc = err_set(ERR_INVALID,
				     "record '%s': field '%s' is not UTF-8",
				     r->id, i < 0 ? "id" : r->t->cols[i].name);
			goto done;
		}
		if (json_object_set_new_nocheck(o, i < 0 ? "id"
						: r->t->cols[i].name, v) != 0)
			goto nomem;
	}
	text = json_dumps(o, DUMP_FLAGS);
	if (text == NULL)
		goto nomem;
	/* the canonical text ends with a newline, as a text file does */
	n = strlen(text);
	full = realloc(text, n + 2);
	if (full == NULL)
		goto nomem;
	text = full;
	text[n++] = '\n';
	text[n] = '\0';
	*out = text;
	*len = n;
	text = NULL; /* transferred */
	rc = 0;
	goto done;
nomem:
	rc = err_set(ERR_NOMEM, "out of memory");
done:
	free(text);
	json_decref(o);
	return rc;
}

static int load(json_t **out, const char *s, size_t n)
{
	json_error_t e;
	json_t *o;

	if (s == NULL) {
		*out = NULL;
		return 0;
	}
	o = json_loadb(s, n, 0, &e);
	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		return err_set(ERR_INVALID, "not a JSON object: line %d: %s",
			       e.line, e.text);
	}
	*out = o;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The sorted union of the keys of a and b (either may be NULL). */
static int union_keys(const char ***out, size_t *n, json_t *a, json_t *b)
{
	size_t cap = json_object_size(a) + json_object_size(b), k = 0, i, j;
	const char **keys, *key;
	json_t *v;

	keys = calloc(cap + 1, sizeof(*keys));
	if (keys == NULL)
		return err_set(ERR_NOMEM, "out of memory");
	json_object_foreach(a, key, v)
		keys[k++] = key;
	json_object_foreach(b, key, v)
		if (json_object_get(a, key) == NULL)
			keys[k++] = key;
	qsort(keys, k, sizeof(*keys), cmp_str);
	for (i = j = 0; i < k; i++)
		if (j == 0 || strcmp(keys[j - 1], keys[i]) != 0)
			keys[j++] = keys[i];
	*out = keys;
	*n = j;
	return 0;
}

int record_json_diff(const char *a, size_t la, const char *b, size_t lb,
		     record_json_diff_cb cb, void *ctx)
{
	json_t *ja = NULL, *jb = NULL, *va, *vb;
	const char **keys = NULL;
	char *ta = NULL, *tb = NULL;
	size_t n = 0, i;
	int rc, ndiff = 0;

	rc = load(&ja, a, la);
	if (rc < 0)
		goto done;
	rc = load(&jb, b, lb);
	if (rc < 0)
		goto done;
	rc = union_keys(&keys, &n, ja, jb);
	if (rc < 0)
		goto done;
	for (i = 0; i < n; i++) {
		va = json_object_get(ja, keys[i]);
		vb = json_object_get(jb, keys[i]);
		if (va != NULL && vb != NULL && json_equal(va, vb))
			continue;
		ndiff++;
		ta = va ? json_dumps(va, JSON_ENCODE_ANY) : NULL;
		tb = vb ? json_dumps(vb, JSON_ENCODE_ANY) : NULL;
		rc = cb != NULL ? cb(ctx, keys[i], ta, tb) : 0;
		free(ta);
		free(tb);
		if (rc != 0)
			goto done;
	}
	rc = ndiff;
done:
	free(keys);
	json_decref(ja);
	json_decref(jb);
	return rc;
}
