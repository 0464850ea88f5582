/*
 * query.c - reading a replica: records, search, digest, streams, the
 * change-set log and conflicts.  Nothing here writes except
 * store_conflict_resolve, which goes through store_update.
 */
#include "replicas/store_int.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replicas/err.h"
#include "replicas/fold.h"
#include "replicas/validate.h"

#include "replicas/banned.h"

/* ---- records ---------------------------------------------------------- */

void record_free(struct record *r)
{
	if (!r)
		return;
	for (int i = 0; i < SCHEMA_MAX_COLUMNS; i++)
		free(r->vals[i]);
	free(r);
}

static int valid_id_chars(const char *id)
{
	size_t n = strlen(id);

	if (n < 8 || n > STORE_ID_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789abcdef-", id[i]))
			return 0;
	return 1;
}

int store_resolve_id(struct store *s, const struct table_desc *t,
		     const char *id, int include_deleted,
		     char out[STORE_ID_LEN + 1])
{
	sqlite3_stmt *st = NULL;
	char sql[256], pat[64];
	int n = 0;

	if (!valid_id_chars(id))
		return err_set(ERR_INVALID,
			       "'%s' is not a record id (at least 8 characters "
			       "of its UUID)", id);
	snprintf(sql, sizeof(sql),
		 "SELECT id FROM %s WHERE id >= ?1 AND id < ?2%s LIMIT 2",
		 t->name, include_deleted ? "" : " AND _deleted=0");
	if (store_prepare(s, &st, sql))
		return ERR_DB;
	snprintf(pat, sizeof(pat), "%s\x7f", id);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, pat, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n++ == 0)
			snprintf(out, STORE_ID_LEN + 1, "%s",
				 sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	if (n == 0)
		return err_set(ERR_NOTFOUND, "no %s with id '%s'", t->name, id);
	if (n > 1)
		return err_set(ERR_INVALID,
			       "id '%s' matches several %s records: give more of it",
			       id, t->name);
	return 0;
}

/* "SELECT id, ward, <cols>, _deleted, _clk FROM t": every record query
 * reads whole rows in one step (fill_record reads them). */
static size_t select_row(char *sql, size_t sz, const struct table_desc *t)
{
	size_t len = (size_t)snprintf(sql, sz, "SELECT id");

	for (int c = 0; c < t->ncols && len < sz; c++)
		len += (size_t)snprintf(sql + len, sz - len, ", %s", t->cols[c].name);
	if (len < sz)
		len += (size_t)snprintf(sql + len, sz - len,
					", _deleted, _clk FROM %s", t->name);
	return len;
}

static int fill_record(struct store *s, const struct table_desc *t,
		       sqlite3_stmt *st, struct record **out)
{
	struct record *rec = calloc(1, sizeof(*rec));
	struct clk clk;

	if (!rec)
		return err_set(ERR_NOMEM, "out of memory");
	rec->t = t;
	snprintf(rec->id, sizeof(rec->id), "%s", sqlite3_column_text(st, 0));
	for (int i = 0; i < t->ncols; i++) {
		const char *v = (const char *)sqlite3_column_text(st, i + 1);

		if (v && !(rec->vals[i] = strdup(v))) {
			record_free(rec);
			return err_set(ERR_NOMEM, "out of memory");
		}
	}
	rec->deleted = sqlite3_column_int(st, t->ncols + 1);
	clk_decode(&clk, sqlite3_column_blob(st, t->ncols + 2),
		   sqlite3_column_bytes(st, t->ncols + 2), MAX_SLOTS);
	for (int i = 0; i < MAX_SLOTS; i++) {
		rec->stamps[i] = clk.hlc[i];
		if (clk.hlc[i])
			snprintf(rec->origins[i], STORE_CODE_MAX, "%s",
				 store_origin_code(s, clk.org[i]));
	}
	*out = rec;
	return 0;
}

int store_get(struct store *s, const struct table_desc *t, const char *id,
	      int include_deleted, struct record **out)
{
	char rid[STORE_ID_LEN + 1], sql[2048];
	sqlite3_stmt *st = NULL;
	size_t len;
	int r;

	if ((r = store_resolve_id(s, t, id, include_deleted, rid)))
		return r;
	len = select_row(sql, sizeof(sql), t);
	snprintf(sql + len, sizeof(sql) - len, " WHERE id = ?1");
	if ((r = store_prepare(s, &st, sql)))
		return r;
	sqlite3_bind_text(st, 1, rid, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		r = fill_record(s, t, st, out);
	else if (r == SQLITE_DONE)
		r = err_set(ERR_NOTFOUND, "no %s with id '%s'", t->name, rid);
	else
		r = store_db_err(s, "cannot read a record");
	sqlite3_finalize(st);
	return r;
}

/* Steps st (a select_row query) and calls cb with each record. */
static int each_record(struct store *s, const struct table_desc *t,
		       sqlite3_stmt *st, store_record_cb cb, void *ctx)
{
	int r = 0, rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct record *rec = NULL;

		if ((r = fill_record(s, t, st, &rec)))
			break;
		r = cb(ctx, rec);
		record_free(rec);
		if (r)
			break;
	}
	if (!r && rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = store_db_err(s, "cannot list records");
	return r;
}

int store_scan(struct store *s, const struct table_desc *t,
	       int include_deleted, store_record_cb cb, void *ctx)
{
	sqlite3_stmt *st = NULL;
	char sql[2048];
	size_t len = select_row(sql, sizeof(sql), t);
	int r;

	snprintf(sql + len, sizeof(sql) - len, "%s ORDER BY id",
		 include_deleted ? "" : " WHERE _deleted=0");
	if ((r = store_prepare(s, &st, sql)))
		return r;
	r = each_record(s, t, st, cb, ctx);
	sqlite3_finalize(st);
	return r;
}

int store_list(struct store *s, const struct table_desc *t,
	       const struct store_filter *f, int nf, int limit,
	       store_record_cb cb, void *ctx)
{
	char sql[2048];
	char *vals[SCHEMA_MAX_COLUMNS] = { 0 };
	sqlite3_stmt *st = NULL;
	size_t len;
	int r = 0;

	if (nf > SCHEMA_MAX_COLUMNS)
		return err_set(ERR_INVALID, "too many filters");
	len = select_row(sql, sizeof(sql), t);
	len += (size_t)snprintf(sql + len, sizeof(sql) - len, " WHERE _deleted=0");
	for (int i = 0; i < nf && len < sizeof(sql); i++) {
		char buf[8192];
		int v;

		if (f[i].col < 0 || f[i].col >= t->ncols)
			return err_set(ERR_INVALID, "bad filter column");
		v = validate_value(&t->cols[f[i].col], f[i].value, buf, sizeof(buf));
		if (v < 0)
			goto out_err;
		vals[i] = strdup(v == 1 ? "" : buf);
		len += (size_t)snprintf(sql + len, sizeof(sql) - len,
					v == 1 ? " AND %s IS NULL" : " AND %s = ?%d",
					t->cols[f[i].col].name, i + 1);
	}
	if (len < sizeof(sql))
		len += (size_t)snprintf(sql + len, sizeof(sql) - len,
					" ORDER BY %s, id", t->title_col ?
					t->title_col : "id");
	if (limit > 0 && len < sizeof(sql))
		snprintf(sql + len, sizeof(sql) - len, " LIMIT %d", limit);
	if ((r = store_prepare(s, &st, sql)))
		goto out;
	for (int i = 0; i < nf; i++)
		if (vals[i][0]) {
			enum col_type ty = t->cols[f[i].col].type;

			if (ty == COL_INT || ty == COL_BOOL)
				sqlite3_bind_int64(st, i + 1, strtoll(vals[i], NULL, 10));
			else
				sqlite3_bind_text(st, i + 1, vals[i], -1, SQLITE_STATIC);
		}
	r = each_record(s, t, st, cb, ctx);
	goto out;
out_err:
	r = ERR_INVALID;
out:
	sqlite3_finalize(st);
	for (int i = 0; i < nf && i < SCHEMA_MAX_COLUMNS; i++)
		free(vals[i]);
	return r;
}

int store_find(struct store *s, const char *text, int limit,
	       store_record_cb cb, void *ctx)
{
	char *folded = fold_text(text ? text : ""), *save = NULL, *w;
	char *words[16];
	int nw = 0, r = 0;

	if (!folded)
		return err_set(ERR_NOMEM, "out of memory");
	for (w = strtok_r(folded, " ", &save); w && nw < 16;
	     w = strtok_r(NULL, " ", &save))
		words[nw++] = w;
	if (!nw) {
		free(folded);
		return err_set(ERR_INVALID, "nothing to search for");
	}
	for (int i = 0; i < schema_ntables && !r; i++) {
		const struct table_desc *t = schema_tables[i];
		sqlite3_stmt *st = NULL;
		char sql[4096];
		size_t len;

		if (!t->title_col)
			continue;
		len = select_row(sql, sizeof(sql), t);
		len += (size_t)snprintf(sql + len, sizeof(sql) - len,
					" WHERE _deleted=0");
		for (int k = 0; k < nw; k++)
			len += (size_t)snprintf(sql + len, sizeof(sql) - len,
				" AND instr(_fold, ?%d) > 0", k + 1);
		snprintf(sql + len, sizeof(sql) - len, " ORDER BY %s, id LIMIT %d",
			 t->title_col, limit > 0 ? limit : -1);
		if ((r = store_prepare(s, &st, sql)))
			break;
		for (int k = 0; k < nw; k++)
			sqlite3_bind_text(st, k + 1, words[k], -1, SQLITE_STATIC);
		r = each_record(s, t, st, cb, ctx);
		sqlite3_finalize(st);
	}
	free(folded);
	return r;
}

int store_count(struct store *s, const struct table_desc *t, long long *out)
{
	sqlite3_stmt *st = NULL;
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE _deleted=0",
		 t->name);
	if (store_prepare(s, &st, sql))
		return ERR_DB;
	*out = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return 0;
}

/* ---- digest ----------------------------------------------------------- */

static void hash_str(crypto_hash_sha256_state *h, const void *p, size_t n)
{
	unsigned char len[4] = { (unsigned char)(n >> 24), (unsigned char)(n >> 16),
				 (unsigned char)(n >> 8), (unsigned char)n };

	crypto_hash_sha256_update(h, len, 4);
	crypto_hash_sha256_update(h, p, n);
}

int store_digest(struct store *s, const char *scope,
		 unsigned char out[STORE_DIGEST_LEN])
{
	crypto_hash_sha256_state h;
	int r = 0;

	crypto_hash_sha256_init(&h);
	for (int i = 0; i < schema_ntables && !r; i++) {
		const struct table_desc *t = schema_tables[i];
		sqlite3_stmt *st = NULL;
		char sql[2048];
		size_t len;
		int rc;

		len = (size_t)snprintf(sql, sizeof(sql), "SELECT id");
		for (int c = 0; c < t->ncols; c++)
			len += (size_t)snprintf(sql + len, sizeof(sql) - len, ", %s",
						t->cols[c].name);
		snprintf(sql + len, sizeof(sql) - len,
			 ", _deleted FROM %s%s ORDER BY id", t->name,
			 scope ? " WHERE ward = ?1" : "");
		if ((r = store_prepare(s, &st, sql)))
			break;
		if (scope)
			sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
		hash_str(&h, t->name, strlen(t->name));
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			for (int c = 0; c <= t->ncols + 1; c++) {
				const unsigned char *v = sqlite3_column_text(st, c);
				unsigned char tag = v ? 1 : 0;

				crypto_hash_sha256_update(&h, &tag, 1);
				if (v)
					hash_str(&h, v, (size_t)sqlite3_column_bytes(st, c));
			}
		}
		if (rc != SQLITE_DONE)
			r = store_db_err(s, "cannot compute the digest");
		sqlite3_finalize(st);
	}
	crypto_hash_sha256_final(&h, out);
	return r;
}

/* ---- streams and the change-set log ----------------------------------- */

int store_streams(struct store *s, const char *scope,
		  struct stream_head **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	struct stream_head *v = NULL;
	size_t cnt = 0, cap = 0;

	if (store_prepare(s, &st, scope ?
			  "SELECT origin, scope, seq, digest FROM streams WHERE scope=?1"
			  " ORDER BY scope, origin" :
			  "SELECT origin, scope, seq, digest FROM streams"
			  " ORDER BY scope, origin"))
		return ERR_DB;
	if (scope)
		sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (cnt == cap) {
			struct stream_head *nv;

			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				sqlite3_finalize(st);
				return err_set(ERR_NOMEM, "out of memory");
			}
			v = nv;
		}
		memset(&v[cnt], 0, sizeof(v[cnt]));
		snprintf(v[cnt].origin, STORE_CODE_MAX, "%s", sqlite3_column_text(st, 0));
		snprintf(v[cnt].scope, STORE_CODE_MAX, "%s", sqlite3_column_text(st, 1));
		v[cnt].seq = (uint64_t)sqlite3_column_int64(st, 2);
		if (sqlite3_column_bytes(st, 3) == 32)
			memcpy(v[cnt].digest, sqlite3_column_blob(st, 3), 32);
		cnt++;
	}
	sqlite3_finalize(st);
	*out = v;
	*n = cnt;
	return 0;
}

int store_changeset_get(struct store *s, const char *origin,
			const char *scope, uint64_t seq,
			unsigned char **bytes, size_t *len)
{
	sqlite3_stmt *st = NULL;
	int r = 0;

	if (store_prepare(s, &st, "SELECT bytes FROM changesets WHERE origin=?1"
			  " AND scope=?2 AND seq=?3"))
		return ERR_DB;
	sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, scope, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)seq);
	if (sqlite3_step(st) == SQLITE_ROW) {
		int n = sqlite3_column_bytes(st, 0);

		*bytes = malloc(n ? (size_t)n : 1);
		if (!*bytes) {
			r = err_set(ERR_NOMEM, "out of memory");
		} else {
			memcpy(*bytes, sqlite3_column_blob(st, 0), (size_t)n);
			*len = (size_t)n;
		}
	} else {
		r = err_set(ERR_NOTFOUND, "no change-set %s/%s/%llu here", origin,
			    scope, (unsigned long long)seq);
	}
	sqlite3_finalize(st);
	return r;
}

int store_changesets(struct store *s, long long after, const char *origin,
		     const char *scope, store_changeset_cb cb, void *ctx)
{
	sqlite3_stmt *st = NULL;
	int r = 0, rc;

	if (store_prepare(s, &st,
		"SELECT local_order, origin, scope, seq, sealed_hlc, operator,"
		" reason, nchanges, digest, stored_ms, bytes FROM changesets"
		" WHERE local_order > ?1 AND (?2 IS NULL OR origin = ?2)"
		" AND (?3 IS NULL OR scope = ?3) ORDER BY local_order"))
		return ERR_DB;
	sqlite3_bind_int64(st, 1, after);
	if (origin)
		sqlite3_bind_text(st, 2, origin, -1, SQLITE_STATIC);
	if (scope)
		sqlite3_bind_text(st, 3, scope, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct changeset_info ci;
		const char *v;

		memset(&ci, 0, sizeof(ci));
		ci.local_order = sqlite3_column_int64(st, 0);
		snprintf(ci.origin, sizeof(ci.origin), "%s", sqlite3_column_text(st, 1));
		snprintf(ci.scope, sizeof(ci.scope), "%s", sqlite3_column_text(st, 2));
		ci.seq = (uint64_t)sqlite3_column_int64(st, 3);
		ci.sealed_hlc = (uint64_t)sqlite3_column_int64(st, 4);
		if ((v = (const char *)sqlite3_column_text(st, 5)))
			snprintf(ci.operator_name, sizeof(ci.operator_name), "%s", v);
		if ((v = (const char *)sqlite3_column_text(st, 6)))
			snprintf(ci.reason, sizeof(ci.reason), "%s", v);
		ci.nchanges = sqlite3_column_int(st, 7);
		if (sqlite3_column_bytes(st, 8) == 32)
			memcpy(ci.digest, sqlite3_column_blob(st, 8), 32);
		ci.stored_ms = (uint64_t)sqlite3_column_int64(st, 9);
		if ((r = cb(ctx, &ci, sqlite3_column_blob(st, 10),
			    (size_t)sqlite3_column_bytes(st, 10))))
			break;
	}
	if (!r && rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = store_db_err(s, "cannot read the change-set log");
	sqlite3_finalize(st);
	return r;
}

/* ---- conflicts -------------------------------------------------------- */

void conflict_release(struct conflict *c)
{
	if (!c)
		return;
	free(c->winner_value);
	free(c->loser_value);
	c->winner_value = c->loser_value = NULL;
}

#define CONFLICT_COLS "id, tbl, rec, col, winner_value, winner_origin," \
	" winner_hlc, loser_value, loser_origin, loser_hlc, detected_ms," \
	" resolved, resolution"

static void conflict_from_row(sqlite3_stmt *st, struct conflict *c)
{
	const char *v;

	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(st, 0);
	snprintf(c->table, sizeof(c->table), "%s", sqlite3_column_text(st, 1));
	snprintf(c->record, sizeof(c->record), "%s", sqlite3_column_text(st, 2));
	snprintf(c->column, sizeof(c->column), "%s", sqlite3_column_text(st, 3));
	v = (const char *)sqlite3_column_text(st, 4);
	c->winner_value = v ? strdup(v) : NULL;
	v = (const char *)sqlite3_column_text(st, 5);
	snprintf(c->winner_origin, sizeof(c->winner_origin), "%s", v ? v : "");
	c->winner_hlc = (uint64_t)sqlite3_column_int64(st, 6);
	v = (const char *)sqlite3_column_text(st, 7);
	c->loser_value = v ? strdup(v) : NULL;
	snprintf(c->loser_origin, sizeof(c->loser_origin), "%s",
		 sqlite3_column_text(st, 8));
	c->loser_hlc = (uint64_t)sqlite3_column_int64(st, 9);
	c->detected_ms = (uint64_t)sqlite3_column_int64(st, 10);
	c->resolved = sqlite3_column_int(st, 11);
	v = (const char *)sqlite3_column_text(st, 12);
	snprintf(c->resolution, sizeof(c->resolution), "%s", v ? v : "");
}

int store_conflicts(struct store *s, int include_resolved,
		    store_conflict_cb cb, void *ctx)
{
	sqlite3_stmt *st = NULL;
	int r = 0;

	if (store_prepare(s, &st, include_resolved ?
			  "SELECT " CONFLICT_COLS " FROM conflicts ORDER BY id" :
			  "SELECT " CONFLICT_COLS " FROM conflicts WHERE resolved=0"
			  " ORDER BY id"))
		return ERR_DB;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct conflict c;

		conflict_from_row(st, &c);
		r = cb(ctx, &c);
		conflict_release(&c);
		if (r)
			break;
	}
	sqlite3_finalize(st);
	return r;
}

int store_conflict_get(struct store *s, long long id, struct conflict *out)
{
	sqlite3_stmt *st = NULL;
	int r = 0;

	if (store_prepare(s, &st, "SELECT " CONFLICT_COLS " FROM conflicts WHERE id=?1"))
		return ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		conflict_from_row(st, out);
	else
		r = err_set(ERR_NOTFOUND, "no conflict with id %lld", id);
	sqlite3_finalize(st);
	return r;
}

int store_conflict_count(struct store *s, long long *open_out)
{
	sqlite3_stmt *st = NULL;

	if (store_prepare(s, &st, "SELECT count(*) FROM conflicts WHERE resolved=0"))
		return ERR_DB;
	*open_out = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return 0;
}

int store_conflict_resolve(struct store *s, long long id, const char *choice)
{
	const char *vals[SCHEMA_MAX_COLUMNS] = { 0 };
	const struct table_desc *t;
	struct conflict c;
	sqlite3_stmt *st = NULL;
	char how[512];
	int r, ci;

	if (!s->in_txn)
		return err_set(ERR_INTERNAL, "no transaction is open (store_begin)");
	if ((r = store_conflict_get(s, id, &c)))
		return r;
	if (c.resolved) {
		r = err_set(ERR_INVALID, "conflict %lld is already resolved (%s)",
			    id, c.resolution);
		goto out;
	}
	t = schema_table_find(c.table);
	ci = t ? schema_column_find(t, c.column, false) : -1;
	if (ci < 0) {
		r = err_set(ERR_INTERNAL, "conflict %lld names an unknown column", id);
		goto out;
	}
	if (strcmp(choice, "winner") == 0) {
		struct record *cur = NULL;

		/* written again with a new stamp, so that every replica learns
		 * the conflict was settled */
		if ((r = store_get(s, t, c.record, 1, &cur)))
			goto out;
		vals[ci] = cur->vals[ci] ? cur->vals[ci] : "";
		r = cur->deleted ? 0 : store_update_cols(s, t, c.record, vals, 1);
		record_free(cur);
		if (r)
			goto out;
		snprintf(how, sizeof(how), "kept the current value");
	} else {
		vals[ci] = strcmp(choice, "loser") == 0 ?
			   (c.loser_value ? c.loser_value : "") : choice;
		if ((r = store_update(s, t, c.record, vals)))
			goto out;
		snprintf(how, sizeof(how), "wrote %s", strcmp(choice, "loser") == 0 ?
			 "the other value back" : "a new value");
	}
	if ((r = store_prepare(s, &st, "UPDATE conflicts SET resolved=1,"
			       " resolution=?2 WHERE id=?1")))
		goto out;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, how, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = store_db_err(s, "cannot mark the conflict resolved");
	sqlite3_finalize(st);
out:
	conflict_release(&c);
	return r;
}
