/*
 * store.c - opening a replica, local writes with change capture, sealing.
 *
 * A local transaction (store_begin .. store_commit) validates every value,
 * writes the row and its column stamps, and keeps the change in memory per
 * scope; at commit (or every STORE_MAX_CHANGES changes of one scope) the
 * changes are sealed into a signed change-set that is stored in the same
 * SQLite transaction.  So the domain tables always equal the fold of the
 * change-set log.  merge.c applies change-sets from elsewhere; query.c reads.
 */
#include "replicas/store_int.h"

#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "replicas/err.h"
#include "replicas/fold.h"
#include "replicas/validate.h"

#include "replicas/banned.h"

static const char sync_ddl[] =
	"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value);\n"
	"CREATE TABLE IF NOT EXISTS nodes (\n"
	"  id INTEGER PRIMARY KEY, /* stamps name origins by it: stable */\n"
	"  code TEXT NOT NULL UNIQUE, scope TEXT NOT NULL,\n"
	"  parent TEXT NOT NULL DEFAULT '', role INTEGER NOT NULL,\n"
	"  sign_pk BLOB NOT NULL, box_pk BLOB,\n"
	"  revoked INTEGER NOT NULL DEFAULT 0);\n"
	"CREATE TABLE IF NOT EXISTS changesets (\n"
	"  local_order INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	"  origin TEXT NOT NULL, scope TEXT NOT NULL, seq INTEGER NOT NULL,\n"
	"  digest BLOB NOT NULL, sealed_hlc INTEGER NOT NULL,\n"
	"  max_hlc INTEGER NOT NULL, operator TEXT, reason TEXT,\n"
	"  nchanges INTEGER NOT NULL, stored_ms INTEGER NOT NULL,\n"
	"  bytes BLOB NOT NULL, UNIQUE (origin, scope, seq));\n"
	"CREATE INDEX IF NOT EXISTS changesets_hlc\n"
	"  ON changesets (origin, scope, max_hlc);\n"
	"CREATE TABLE IF NOT EXISTS streams (\n"
	"  origin TEXT NOT NULL, scope TEXT NOT NULL, seq INTEGER NOT NULL,\n"
	"  digest BLOB NOT NULL, PRIMARY KEY (origin, scope)) WITHOUT ROWID;\n"
	"CREATE TABLE IF NOT EXISTS conflicts (\n"
	"  id INTEGER PRIMARY KEY, tbl TEXT NOT NULL, rec TEXT NOT NULL,\n"
	"  col TEXT NOT NULL, winner_value, winner_origin TEXT,\n"
	"  winner_hlc INTEGER, loser_value, loser_origin TEXT NOT NULL,\n"
	"  loser_hlc INTEGER NOT NULL, detected_ms INTEGER NOT NULL,\n"
	"  resolved INTEGER NOT NULL DEFAULT 0, resolution TEXT,\n"
	"  UNIQUE (tbl, rec, col, loser_origin, loser_hlc));\n";

/* ---- small helpers ---------------------------------------------------- */

int store_db_err(struct store *s, const char *what)
{
	return err_set(ERR_DB, "%s: %s", what, sqlite3_errmsg(s->db));
}

int store_exec(struct store *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		err_set(ERR_DB, "database: %s", msg ? msg : "error");
		sqlite3_free(msg);
		return ERR_DB;
	}
	return 0;
}

int store_prepare(struct store *s, sqlite3_stmt **out, const char *sql)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, out, NULL) != SQLITE_OK)
		return store_db_err(s, "cannot prepare a statement");
	return 0;
}

void vals_free(char **vals, int n)
{
	for (int i = 0; i < n; i++) {
		free(vals[i]);
		vals[i] = NULL;
	}
}

static int meta_get(struct store *s, const char *key, char *out, size_t sz)
{
	sqlite3_stmt *st = NULL;
	int r = ERR_NOTFOUND;

	if (store_prepare(s, &st, "SELECT value FROM meta WHERE key=?1"))
		return ERR_DB;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);

		snprintf(out, sz, "%s", v ? v : "");
		r = 0;
	}
	sqlite3_finalize(st);
	return r;
}

static int meta_set(struct store *s, const char *key, const char *value)
{
	sqlite3_stmt *st = NULL;
	int r = 0;

	if (store_prepare(s, &st,
			  "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)"))
		return ERR_DB;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = store_db_err(s, "cannot write meta");
	sqlite3_finalize(st);
	return r;
}

/* Saves the clock; never lowers what another process saved. */
int store_save_hlc(struct store *s)
{
	sqlite3_stmt *st = NULL;
	int r = 0;

	if (store_prepare(s, &st, "INSERT INTO meta(key, value) VALUES('hlc', ?1)"
			  " ON CONFLICT(key) DO UPDATE SET value ="
			  " max(CAST(value AS INTEGER), excluded.value)"))
		return ERR_DB;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)s->hlc.last);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = store_db_err(s, "cannot save the clock");
	sqlite3_finalize(st);
	return r;
}

/* Catches up with the clock another process (the daemon, the CLI) saved
 * since this store was opened: called inside a write transaction. */
static void hlc_reload(struct store *s)
{
	char buf[32];

	if (meta_get(s, "hlc", buf, sizeof(buf)) == 0)
		hlc_observe(&s->hlc, strtoull(buf, NULL, 10));
}

/* ---- column stamps ---------------------------------------------------- */

static void put_le(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

void clk_decode(struct clk *c, const void *blob, int len, int nslots)
{
	const unsigned char *p = blob;
	uint64_t bh;
	uint16_t bo;
	uint32_t mask;
	int pos;

	memset(c, 0, sizeof(*c));
	if (!p || len < 16 || p[0] != 1)
		return;
	bh = get_le(p + 2, 8);
	bo = (uint16_t)get_le(p + 10, 2);
	mask = (uint32_t)get_le(p + 12, 4);
	for (int i = 0; i < nslots && i < MAX_SLOTS; i++)
		if (mask & (1u << i)) {
			c->hlc[i] = bh;
			c->org[i] = bo;
		}
	for (pos = 16; pos + 11 <= len; pos += 11) {
		int slot = p[pos];

		if (slot >= MAX_SLOTS)
			continue;
		c->hlc[slot] = get_le(p + pos + 1, 8);
		c->org[slot] = (uint16_t)get_le(p + pos + 9, 2);
	}
}

int clk_encode(const struct clk *c, int nslots, unsigned char *out)
{
	int best = -1, bestn = 0, len = 16;
	uint32_t mask = 0;

	/* the base stamp is the most common non-zero one */
	for (int i = 0; i < nslots; i++) {
		int n = 0;

		if (!c->hlc[i] || (best >= 0 && c->hlc[i] == c->hlc[best] &&
				   c->org[i] == c->org[best]))
			continue;
		if (bestn >= nslots - i)
			break; /* no later stamp can be more common */
		for (int j = i; j < nslots; j++)
			n += c->hlc[j] == c->hlc[i] && c->org[j] == c->org[i];
		if (n > bestn) {
			bestn = n;
			best = i;
		}
	}
	out[0] = 1;
	out[1] = (unsigned char)nslots;
	put_le(out + 2, best >= 0 ? c->hlc[best] : 0, 8);
	put_le(out + 10, best >= 0 ? c->org[best] : 0, 2);
	for (int i = 0; i < nslots; i++) {
		if (!c->hlc[i])
			continue;
		if (best >= 0 && c->hlc[i] == c->hlc[best] &&
		    c->org[i] == c->org[best]) {
			mask |= 1u << i;
			continue;
		}
		out[len] = (unsigned char)i;
		put_le(out + len + 1, c->hlc[i], 8);
		put_le(out + len + 9, c->org[i], 2);
		len += 11;
	}
	put_le(out + 12, mask, 4);
	return len;
}

/* ---- origins ---------------------------------------------------------- */

static int org_cache_load(struct store *s)
{
	sqlite3_stmt *st = NULL;
	int r = 0;

	for (size_t i = 0; i < s->norg; i++)
		free(s->org_code[i]);
	free(s->org_code);
	s->org_code = NULL;
	s->norg = 0;
	if (store_prepare(s, &st, "SELECT rowid, code FROM nodes"))
		return ERR_DB;
	while (sqlite3_step(st) == SQLITE_ROW) {
		sqlite3_int64 id = sqlite3_column_int64(st, 0);
		const char *code = (const char *)sqlite3_column_text(st, 1);

		if (id <= 0 || id > 65535)
			continue;
		if ((size_t)id >= s->norg) {
			size_t n = (size_t)id + 16;
			char **v = realloc(s->org_code, n * sizeof(*v));

			if (!v) {
				r = err_set(ERR_NOMEM, "out of memory");
				break;
			}
			memset(v + s->norg, 0, (n - s->norg) * sizeof(*v));
			s->org_code = v;
			s->norg = n;
		}
		free(s->org_code[id]);
		s->org_code[id] = strdup(code ? code : "");
	}
	sqlite3_finalize(st);
	return r;
}

int store_origin_idx(struct store *s, const char *code, uint16_t *out)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 1; i < s->norg; i++)
			if (s->org_code[i] && strcmp(s->org_code[i], code) == 0) {
				*out = (uint16_t)i;
				return 0;
			}
		if (pass == 0 && org_cache_load(s))
			return ERR_DB;
	}
	return err_set(ERR_UNKNOWN_NODE, "node '%s' is not known here", code);
}

const char *store_origin_code(struct store *s, uint16_t idx)
{
	if (idx >= s->norg || !s->org_code[idx])
		org_cache_load(s);
	if (idx < s->norg && s->org_code[idx])
		return s->org_code[idx];
	return "";
}

int stamp_cmp(struct store *s, uint64_t h1, uint16_t o1, uint64_t h2,
	      uint16_t o2)
{
	if (h1 != h2)
		return h1 < h2 ? -1 : 1;
	if (o1 == o2)
		return 0;
	return strcmp(store_origin_code(s, o1), store_origin_code(s, o2));
}

/* ---- rows ------------------------------------------------------------- */

static int append(char *sql, size_t cap, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int append(char *sql, size_t cap, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(sql + *len, cap - *len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - *len)
		return err_set(ERR_INTERNAL, "statement too long");
	*len += (size_t)n;
	return 0;
}

static int prepare_table(struct store *s, const struct table_desc *t,
			 struct tstmts *ts)
{
	char sql[4096];
	size_t len = 0;
	int r = 0;

	r |= append(sql, sizeof(sql), &len, "SELECT %s", t->cols[0].name);
	for (int i = 1; i < t->ncols; i++)
		r |= append(sql, sizeof(sql), &len, ", %s", t->cols[i].name);
	r |= append(sql, sizeof(sql), &len, ", _deleted, _clk FROM %s WHERE id=?1",
		    t->name);
	if (r || store_prepare(s, &ts->get, sql))
		return ERR_DB;

	len = 0;
	r |= append(sql, sizeof(sql), &len, "INSERT INTO %s (id", t->name);
	for (int i = 0; i < t->ncols; i++)
		r |= append(sql, sizeof(sql), &len, ", %s", t->cols[i].name);
	r |= append(sql, sizeof(sql), &len, "%s", ", _deleted, _clk, _fold) VALUES (?1");
	for (int i = 0; i < t->ncols + 3; i++)
		r |= append(sql, sizeof(sql), &len, "%s", ", ?");
	r |= append(sql, sizeof(sql), &len, "%s", ")");
	if (r || store_prepare(s, &ts->insert, sql))
		return ERR_DB;

	len = 0;
	r |= append(sql, sizeof(sql), &len, "UPDATE %s SET ", t->name);
	for (int i = 0; i < t->ncols; i++)
		r |= append(sql, sizeof(sql), &len, "%s%s=?%d", i ? ", " : "",
			    t->cols[i].name, i + 2);
	r |= append(sql, sizeof(sql), &len,
		    ", _deleted=?%d, _clk=?%d, _fold=?%d WHERE id=?1",
		    t->ncols + 2, t->ncols + 3, t->ncols + 4);
	if (r || store_prepare(s, &ts->update, sql))
		return ERR_DB;
	len = 0;
	r |= append(sql, sizeof(sql), &len, "SELECT _deleted FROM %s WHERE id=?1",
		    t->name);
	if (r || store_prepare(s, &ts->live, sql))
		return ERR_DB;
	return 0;
}

static struct tstmts *stmts(struct store *s, const struct table_desc *t)
{
	int i = schema_table_index(t);

	return i < 0 ? NULL : &s->ts[i];
}

int row_load(struct store *s, const struct table_desc *t, const char *id,
	     char **vals, int *deleted, struct clk *clk)
{
	sqlite3_stmt *st = stmts(s, t)->get;
	int rc, r = 0;

	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		r = ERR_NOTFOUND;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = store_db_err(s, "cannot read a record");
		goto out;
	}
	for (int i = 0; i < t->ncols; i++) {
		const char *v = (const char *)sqlite3_column_text(st, i);

		vals[i] = v ? strdup(v) : NULL;
	}
	*deleted = sqlite3_column_int(st, t->ncols);
	clk_decode(clk, sqlite3_column_blob(st, t->ncols + 1),
		   sqlite3_column_bytes(st, t->ncols + 1), MAX_SLOTS);
out:
	sqlite3_reset(st);
	return r;
}

void fold_row(const struct table_desc *t, char *const *vals, char **out)
{
	/* the searched columns of each table, looked up once */
	static _Thread_local signed char cols[MAX_TABLES][3];
	static _Thread_local int known;
	int ti = schema_table_index(t), tc, ci, ph;
	char buf[1024];

	*out = NULL;
	if (ti < 0)
		return;
	if (!known) {
		for (int i = 0; i < schema_ntables && i < MAX_TABLES; i++) {
			const struct table_desc *x = schema_tables[i];

			cols[i][0] = (signed char)(x->title_col ?
				schema_column_find(x, x->title_col, false) : -1);
			cols[i][1] = (signed char)schema_column_find(x, "citizen_id", false);
			cols[i][2] = (signed char)schema_column_find(x, "phone", false);
		}
		known = 1;
	}
	tc = cols[ti][0];
	ci = cols[ti][1];
	ph = cols[ti][2];
	if (tc < 0 || !vals[tc])
		return;
	snprintf(buf, sizeof(buf), "%s %s %s", vals[tc],
		 ci >= 0 && vals[ci] ? vals[ci] : "",
		 ph >= 0 && vals[ph] ? vals[ph] : "");
	*out = fold_text(buf);
}

int row_store(struct store *s, const struct table_desc *t, const char *id,
	      char *const *vals, int deleted, const struct clk *clk,
	      int is_new)
{
	struct tstmts *ts = stmts(s, t);
	sqlite3_stmt *st = is_new ? ts->insert : ts->update;
	unsigned char blob[CLK_MAX_BYTES];
	char *fold = NULL;
	int n = clk_encode(clk, MAX_SLOTS, blob), r = 0;

	fold_row(t, vals, &fold);
	sqlite3_reset(st);
	/* every bound value outlives the step: no copies */
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	for (int i = 0; i < t->ncols; i++) {
		enum col_type ty = t->cols[i].type;

		if (!vals[i])
			sqlite3_bind_null(st, i + 2);
		else if (ty == COL_INT || ty == COL_BOOL)
			sqlite3_bind_int64(st, i + 2, strtoll(vals[i], NULL, 10));
		else
			sqlite3_bind_text(st, i + 2, vals[i], -1, SQLITE_STATIC);
	}
	sqlite3_bind_int(st, t->ncols + 2, deleted);
	sqlite3_bind_blob(st, t->ncols + 3, blob, n, SQLITE_STATIC);
	if (fold)
		sqlite3_bind_text(st, t->ncols + 4, fold, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, t->ncols + 4);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = store_db_err(s, "cannot write a record");
	sqlite3_reset(st);
	free(fold);
	return r;
}

/* ---- create, open, close ---------------------------------------------- */

static int open_db(struct store *s, const char *path, int create)
{
	/* one struct store per thread (store.h): no SQLite mutexes needed */
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
		    (create ? SQLITE_OPEN_CREATE : 0);

	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
		if (!s->db)
			return err_set(ERR_NOMEM, "out of memory");
		return err_set(create ? ERR_IO : ERR_NOTFOUND,
			       "cannot open replica '%s': %s", path,
			       sqlite3_errmsg(s->db));
	}
	sqlite3_busy_timeout(s->db, 10000);
	sqlite3_extended_result_codes(s->db, 1);
	return store_exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			     " PRAGMA foreign_keys=OFF;"
			     /* 32 MB of pages: a district replica's indexes */
			     " PRAGMA cache_size=-32768;");
}

static int create_tables(struct store *s)
{
	int r = store_exec(s, sync_ddl);

	for (int i = 0; !r && i < schema_ntables; i++) {
		char *ddl = schema_table_ddl(schema_tables[i]);

		if (!ddl)
			return err_set(ERR_NOMEM, "out of memory");
		r = store_exec(s, ddl);
		free(ddl);
	}
	return r;
}

int store_create(const char *path, const char *code, const char *parent,
		 enum store_role role, const unsigned char sign_pk[STORE_PK_LEN],
		 const unsigned char box_pk[STORE_PK_LEN])
{
	struct store s0 = { 0 }, *s = &s0;
	struct node_info self = { 0 };
	struct stat sb;
	char ver[16];
	int r;

	if (stat(path, &sb) == 0)
		return err_set(ERR_EXISTS, "a replica already exists at '%s'", path);
	/* private from the start: SQLite gives -wal and -shm the same mode */
	{
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);

		if (fd < 0)
			return err_set(ERR_IO, "cannot create '%s': %s", path,
				       strerror(errno));
		close(fd);
	}
	if ((r = open_db(s, path, 1)))
		goto out;
	if ((r = store_exec(s, "BEGIN")) || (r = create_tables(s)))
		goto out;
	snprintf(ver, sizeof(ver), "%d", SCHEMA_VERSION);
	if ((r = meta_set(s, "schema_version", ver)) ||
	    (r = meta_set(s, "code", code)) ||
	    (r = meta_set(s, "parent", parent ? parent : "")) ||
	    (r = meta_set(s, "role", role == STORE_ROLE_HUB ? "hub" : "ward")) ||
	    (r = meta_set(s, "hlc", "0")))
		goto out;
	snprintf(self.code, sizeof(self.code), "%s", code);
	snprintf(self.scope, sizeof(self.scope), "%s", code);
	snprintf(self.parent, sizeof(self.parent), "%s", parent ? parent : "");
	self.role = role;
	memcpy(self.sign_pk, sign_pk, STORE_PK_LEN);
	if (box_pk)
		memcpy(self.box_pk, box_pk, STORE_PK_LEN);
	if ((r = store_node_put(s, &self)))
		goto out;
	r = store_exec(s, "COMMIT");
out:
	if (s->db)
		sqlite3_close(s->db);
	return r;
}

/* Migration steps: migrations[v] brings a version-v replica to v+1.  New
 * columns always go at the end of their table (stamps are by position). */
static const char *const migrations[] = {
	NULL, /* version 0 does not exist */
	"ALTER TABLE person ADD COLUMN email TEXT;", /* 1 -> 2 */
};

static int migrate(struct store *s)
{
	char buf[32];
	int v, r = 0;

	if (meta_get(s, "schema_version", buf, sizeof(buf)))
		return err_set(ERR_VERSION, "not a taphop replica (no schema version)");
	v = atoi(buf);
	if (v > SCHEMA_VERSION)
		return err_set(ERR_VERSION,
			       "replica has schema version %d; this taphop knows "
			       "up to %d: upgrade taphop", v, SCHEMA_VERSION);
	if (v == SCHEMA_VERSION)
		return 0;
	if ((r = store_exec(s, "BEGIN IMMEDIATE")))
		return r;
	for (; v < SCHEMA_VERSION && !r; v++)
		if (v < (int)(sizeof(migrations) / sizeof(*migrations)) &&
		    migrations[v])
			r = store_exec(s, migrations[v]);
	if (!r)
		r = create_tables(s); /* tables new in this version */
	snprintf(buf, sizeof(buf), "%d", SCHEMA_VERSION);
	if (!r)
		r = meta_set(s, "schema_version", buf);
	if (!r)
		return store_exec(s, "COMMIT");
	store_exec(s, "ROLLBACK");
	return r;
}

int store_open(struct store **out, const char *path,
	       const unsigned char *sign_sk)
{
	struct store *s = calloc(1, sizeof(*s));
	char buf[64];
	int r;

	if (!s)
		return err_set(ERR_NOMEM, "out of memory");
	if ((r = open_db(s, path, 0)) || (r = migrate(s)))
		goto fail;
	if ((r = meta_get(s, "code", s->code, sizeof(s->code))) ||
	    (r = meta_get(s, "parent", s->parent, sizeof(s->parent))) ||
	    (r = meta_get(s, "role", buf, sizeof(buf)))) {
		r = err_set(ERR_VERSION, "replica '%s' has no node identity", path);
		goto fail;
	}
	s->role = strcmp(buf, "hub") == 0 ? STORE_ROLE_HUB : STORE_ROLE_WARD;
	if (meta_get(s, "hlc", buf, sizeof(buf)) == 0)
		s->hlc.last = strtoull(buf, NULL, 10);
	if (sign_sk) {
		memcpy(s->sk, sign_sk, STORE_SK_LEN);
		s->have_sk = 1;
	}
	s->rnd_pos = sizeof(s->rnd); /* empty: filled on first use */
	for (int i = 0; i < schema_ntables; i++)
		if ((r = prepare_table(s, schema_tables[i], &s->ts[i])))
			goto fail;
	if ((r = org_cache_load(s)))
		goto fail;
	*out = s;
	return 0;
fail:
	store_close(s);
	return r;
}

static void pending_clear(struct store *s)
{
	for (size_t i = 0; i < s->npend; i++) {
		for (size_t j = 0; j < s->pend[i].n; j++)
			for (int k = 0; k < s->pend[i].v[j].nf; k++)
				free((char *)s->pend[i].v[j].f[k].value);
		free(s->pend[i].v);
	}
	free(s->pend);
	s->pend = NULL;
	s->npend = 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->in_txn)
		store_rollback(s);
	else if (s->in_batch)
		store_exec(s, "ROLLBACK");
	pending_clear(s);
	for (int i = 0; i < MAX_TABLES; i++) {
		sqlite3_finalize(s->ts[i].get);
		sqlite3_finalize(s->ts[i].insert);
		sqlite3_finalize(s->ts[i].update);
		sqlite3_finalize(s->ts[i].live);
	}
	for (size_t i = 0; i < s->norg; i++)
		free(s->org_code[i]);
	free(s->org_code);
	free(s->operator_name);
	free(s->reason);
	if (s->db)
		sqlite3_close(s->db);
	sodium_memzero(s->sk, sizeof(s->sk));
	free(s);
}

const char *store_node_code(const struct store *s) { return s->code; }
const char *store_parent_scope(const struct store *s) { return s->parent; }
enum store_role store_role(const struct store *s) { return s->role; }
void *store_db(struct store *s) { return s->db; }

int store_cache_mb(struct store *s, int mb)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA cache_size=%d;", -1024 * mb);
	return store_exec(s, sql);
}

/* ---- nodes and rights ------------------------------------------------- */

int store_node_put(struct store *s, const struct node_info *n)
{
	sqlite3_stmt *st = NULL;
	int r = 0;

	if (store_prepare(s, &st,
		"INSERT INTO nodes(code, scope, parent, role, sign_pk, box_pk, revoked)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(code) DO UPDATE SET"
		" scope=?2, parent=?3, role=?4, sign_pk=?5, box_pk=?6, revoked=?7"))
		return ERR_DB;
	sqlite3_bind_text(st, 1, n->code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, n->scope[0] ? n->scope : n->code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, n->parent, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, n->role);
	sqlite3_bind_blob(st, 5, n->sign_pk, STORE_PK_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, n->box_pk, STORE_PK_LEN, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, n->revoked);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = store_db_err(s, "cannot register a node");
	sqlite3_finalize(st);
	if (!r && s->norg)
		r = org_cache_load(s);
	s->right_table = NULL; /* rights may have changed */
	s->right_origin[0] = '\0';
	return r;
}

static void node_from_row(sqlite3_stmt *st, struct node_info *n)
{
	const void *pk;

	memset(n, 0, sizeof(*n));
	snprintf(n->code, sizeof(n->code), "%s", sqlite3_column_text(st, 0));
	snprintf(n->scope, sizeof(n->scope), "%s", sqlite3_column_text(st, 1));
	snprintf(n->parent, sizeof(n->parent), "%s", sqlite3_column_text(st, 2));
	n->role = sqlite3_column_int(st, 3) ? STORE_ROLE_HUB : STORE_ROLE_WARD;
	if ((pk = sqlite3_column_blob(st, 4)) &&
	    sqlite3_column_bytes(st, 4) == STORE_PK_LEN)
		memcpy(n->sign_pk, pk, STORE_PK_LEN);
	if ((pk = sqlite3_column_blob(st, 5)) &&
	    sqlite3_column_bytes(st, 5) == STORE_PK_LEN)
		memcpy(n->box_pk, pk, STORE_PK_LEN);
	n->revoked = sqlite3_column_int(st, 6);
}

#define NODE_COLS "code, scope, parent, role, sign_pk, box_pk, revoked"

int store_node_get(struct store *s, const char *code, struct node_info *out)
{
	sqlite3_stmt *st = NULL;
	int r;

	if (store_prepare(s, &st, "SELECT " NODE_COLS " FROM nodes WHERE code=?1"))
		return ERR_DB;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		node_from_row(st, out);
		r = 0;
	} else {
		r = err_set(ERR_UNKNOWN_NODE, "node '%s' is not enrolled here", code);
	}
	sqlite3_finalize(st);
	return r;
}

int store_nodes(struct store *s, struct node_info **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	struct node_info *v = NULL;
	size_t cnt = 0, cap = 0;

	if (store_prepare(s, &st, "SELECT " NODE_COLS " FROM nodes ORDER BY code"))
		return ERR_DB;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (cnt == cap) {
			struct node_info *nv;

			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				sqlite3_finalize(st);
				return err_set(ERR_NOMEM, "out of memory");
			}
			v = nv;
		}
		node_from_row(st, &v[cnt++]);
	}
	sqlite3_finalize(st);
	*out = v;
	*n = cnt;
	return 0;
}

static int known_child_scope(struct store *s, const char *parent,
			     const char *scope)
{
	sqlite3_stmt *st = NULL;
	int found = 0;

	if (store_prepare(s, &st, "SELECT 1 FROM nodes WHERE scope=?1 AND parent=?2"))
		return 0;
	sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, parent, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (!found)
		for (int i = 0; schema_ward_codes[i]; i++)
			if (strcmp(schema_ward_codes[i], scope) == 0)
				return 1; /* a ward of the district not yet enrolled */
	return found;
}

static int may_write(struct store *s, const char *origin, const char *scope,
		     const struct table_desc *t);

int store_may_write(struct store *s, const char *origin, const char *scope,
		    const struct table_desc *t)
{
	int r;

	/* writes come in runs of one origin, scope and table: remember the
	 * last right granted */
	if (t && t == s->right_table && strcmp(origin, s->right_origin) == 0 &&
	    strcmp(scope, s->right_scope) == 0)
		return 0;
	if ((r = may_write(s, origin, scope, t)))
		return r;
	if (t && strlen(origin) < STORE_CODE_MAX && strlen(scope) < STORE_CODE_MAX) {
		snprintf(s->right_origin, sizeof(s->right_origin), "%s", origin);
		snprintf(s->right_scope, sizeof(s->right_scope), "%s", scope);
		s->right_table = t;
	}
	return 0;
}

static int may_write(struct store *s, const char *origin, const char *scope,
		     const struct table_desc *t)
{
	struct node_info n;
	const char *tn = t ? t->name : "records";
	int r;

	if ((r = store_node_get(s, origin, &n)))
		return r;
	if (n.revoked)
		return err_set(ERR_SCOPE, "the key of node '%s' has been revoked",
			       origin);
	if (n.role == STORE_ROLE_HUB) {
		if (strcmp(scope, n.scope) == 0 ||
		    known_child_scope(s, n.scope, scope))
			return 0;
		return err_set(ERR_SCOPE,
			       "hub '%s' may not write %s in scope '%s': not "
			       "its own scope nor one below it", origin, tn, scope);
	}
	if (t && t->rights == RIGHTS_HUB_ONLY)
		return err_set(ERR_SCOPE,
			       "only the district may write %s (node '%s' is a ward)",
			       tn, origin);
	if (strcmp(scope, n.scope) == 0)
		return 0;
	if (n.parent[0] && strcmp(scope, n.parent) == 0 &&
	    (!t || t->rights == RIGHTS_SHARED))
		return 0;
	return err_set(ERR_SCOPE,
		       "ward '%s' may not write %s in scope '%s': a ward writes "
		       "only its own scope%s", origin, tn, scope,
		       t && t->rights == RIGHTS_SHARED ?
		       " and the district's" : "");
}

/* ---- transactions and sealing ----------------------------------------- */

int store_begin(struct store *s, const char *operator_name, const char *reason)
{
	if (s->in_txn || s->in_batch)
		return err_set(ERR_INTERNAL, "a transaction is already open");
	if (!s->have_sk)
		return err_set(ERR_CRYPTO, "this replica was opened without its "
				"signing key: cannot make changes");
	if (!operator_name || !*operator_name)
		return err_set(ERR_INVALID, "an operator name is required");
	if (!validate_utf8(operator_name, strlen(operator_name)) ||
	    strlen(operator_name) > 120)
		return err_set(ERR_INVALID,
			       "operator name must be valid UTF-8, at most 120 bytes");
	if (reason && (!validate_utf8(reason, strlen(reason)) ||
		       strlen(reason) > 500))
		return err_set(ERR_INVALID,
			       "reason must be valid UTF-8, at most 500 bytes");
	if (store_exec(s, "BEGIN IMMEDIATE"))
		return ERR_DB;
	s->right_table = NULL; /* another process may have changed a node */
	hlc_reload(s);
	free(s->operator_name);
	free(s->reason);
	s->operator_name = strdup(operator_name);
	s->reason = reason && *reason ? strdup(reason) : NULL;
	s->in_txn = 1;
	return 0;
}

static int seal_finish(struct store *s, int store);

void store_rollback(struct store *s)
{
	if (!s->in_txn)
		return;
	seal_finish(s, 0);
	store_exec(s, "ROLLBACK");
	pending_clear(s);
	s->in_txn = 0;
}

static int stream_head(struct store *s, const char *origin, const char *scope,
		       uint64_t *seq, unsigned char digest[32])
{
	sqlite3_stmt *st = NULL;

	*seq = 0;
	memset(digest, 0, 32);
	if (store_prepare(s, &st,
			  "SELECT seq, digest FROM streams WHERE origin=?1 AND scope=?2"))
		return ERR_DB;
	sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, scope, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
		if (sqlite3_column_bytes(st, 1) == 32)
			memcpy(digest, sqlite3_column_blob(st, 1), 32);
	}
	sqlite3_finalize(st);
	return 0;
}

int changeset_store(struct store *s, const struct changeset *cs,
		    const unsigned char *bytes, size_t len, uint64_t max_hlc)
{
	sqlite3_stmt *st = NULL;
	int r = 0;

	if (store_prepare(s, &st,
		"INSERT INTO changesets(origin, scope, seq, digest, sealed_hlc,"
		" max_hlc, operator, reason, nchanges, stored_ms, bytes)"
		" VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)"))
		return ERR_DB;
	sqlite3_bind_text(st, 1, cs->origin, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, cs->scope, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)cs->seq);
	sqlite3_bind_blob(st, 4, cs->digest, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)cs->sealed_hlc);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)max_hlc);
	sqlite3_bind_text(st, 7, cs->operator_name, -1, SQLITE_STATIC);
	if (cs->reason)
		sqlite3_bind_text(st, 8, cs->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)cs->nchanges);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)hlc_wall_ms());
	sqlite3_bind_blob(st, 11, bytes, (int)len, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = store_db_err(s, "cannot store a change-set");
	sqlite3_finalize(st);
	if (r)
		return r;
	if (store_prepare(s, &st,
		"INSERT INTO streams(origin, scope, seq, digest) VALUES(?1,?2,?3,?4)"
		" ON CONFLICT(origin, scope) DO UPDATE SET seq=?3, digest=?4"))
		return ERR_DB;
	sqlite3_bind_text(st, 1, cs->origin, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, cs->scope, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)cs->seq);
	sqlite3_bind_blob(st, 4, cs->digest, 32, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = store_db_err(s, "cannot move a stream's head");
	sqlite3_finalize(st);
	return r;
}

static int knowledge_load(struct store *s, const char *scope,
			  struct cs_knowledge **out, size_t *n, char ***names)
{
	sqlite3_stmt *st = NULL;
	struct cs_knowledge *v = NULL;
	char **nm = NULL;
	size_t cnt = 0, cap = 0;

	if (store_prepare(s, &st, "SELECT origin, seq FROM streams WHERE scope=?1"))
		return ERR_DB;
	sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (cnt == cap) {
			struct cs_knowledge *nv;
			char **nn;

			cap = cap ? cap * 2 : 8;
			nv = realloc(v, cap * sizeof(*v));
			if (nv)
				v = nv;
			nn = nv ? realloc(nm, cap * sizeof(*nm)) : NULL;
			if (nn)
				nm = nn;
			if (!nv || !nn)
				goto nomem;
		}
		nm[cnt] = strdup((const char *)sqlite3_column_text(st, 0));
		if (!nm[cnt])
			goto nomem;
		v[cnt].origin = nm[cnt];
		v[cnt].seq = (uint64_t)sqlite3_column_int64(st, 1);
		cnt++;
	}
	sqlite3_finalize(st);
	*out = v;
	*n = cnt;
	*names = nm;
	return 0;
nomem:
	sqlite3_finalize(st);
	for (size_t i = 0; i < cnt; i++)
		free(nm[i]);
	free(nm);
	free(v);
	return err_set(ERR_NOMEM, "out of memory");
}

/*
 * Sealing.  A full list of changes is sealed (protobuf, SHA-256, Ed25519)
 * on a worker thread while the officer's import goes on writing rows; the
 * sealed bytes are stored by this thread, before the next list of the
 * transaction is sealed, since that one names its digest (the chain) and
 * its sequence in the knowledge vector.  At most one seal is in flight.
 */
struct seal_job {
	pthread_t th;
	struct changeset cs;
	struct cs_change *ch;
	struct cs_knowledge *kn;
	char **names;
	size_t nk;
	struct pchange *v;     /* the changes; values freed with the job */
	size_t n;
	char scope[STORE_CODE_MAX];
	char *operator_name, *reason;
	const unsigned char *sk;
	uint64_t max_hlc;
	unsigned char *bytes;
	size_t len;
	int rc;
	char msg[512];
};

static void job_free(struct seal_job *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->nk; i++)
		free(j->names[i]);
	free(j->names);
	free(j->kn);
	free(j->ch);
	free(j->bytes);
	for (size_t i = 0; i < j->n; i++)
		for (int k = 0; k < j->v[i].nf; k++)
			free((char *)j->v[i].f[k].value);
	free(j->v);
	free(j->operator_name);
	free(j->reason);
	free(j);
}

static void *seal_main(void *arg)
{
	struct seal_job *j = arg;

	j->rc = changeset_seal(&j->cs, j->sk, &j->bytes, &j->len, j->cs.digest);
	if (j->rc) /* the message is this thread's: carry it over */
		snprintf(j->msg, sizeof(j->msg), "%s", err_msg());
	return NULL;
}

/* Waits for the change-set in flight, if any, and stores it (or, with
 * store 0, throws it away: the transaction is being rolled back). */
static int seal_finish(struct store *s, int store)
{
	struct seal_job *j = s->inflight;
	int r = 0;

	if (!j)
		return 0;
	s->inflight = NULL;
	pthread_join(j->th, NULL);
	if (store)
		r = j->rc ? err_set(j->rc, "%s", j->msg) :
			    changeset_store(s, &j->cs, j->bytes, j->len, j->max_hlc);
	job_free(j);
	return r;
}

/* Takes the pending changes of one scope into a new job. */
static int job_new(struct store *s, struct pscope *ps, struct seal_job **out)
{
	struct seal_job *j = calloc(1, sizeof(*j));
	int r;

	if (!j)
		return err_set(ERR_NOMEM, "out of memory");
	j->v = ps->v;          /* transferred */
	j->n = ps->n;
	ps->v = NULL;
	ps->n = ps->cap = 0;
	snprintf(j->scope, sizeof(j->scope), "%s", ps->scope);
	j->operator_name = strdup(s->operator_name);
	j->reason = s->reason ? strdup(s->reason) : NULL;
	j->ch = calloc(j->n, sizeof(*j->ch));
	if (!j->operator_name || (s->reason && !j->reason) || !j->ch) {
		job_free(j);
		return err_set(ERR_NOMEM, "out of memory");
	}
	if ((r = stream_head(s, s->code, j->scope, &j->cs.seq,
			     j->cs.prev_digest)) ||
	    (r = knowledge_load(s, j->scope, &j->kn, &j->nk, &j->names))) {
		job_free(j);
		return r;
	}
	for (size_t i = 0; i < j->n; i++) {
		j->ch[i].table = j->v[i].t->name;
		j->ch[i].id = j->v[i].id;
		j->ch[i].hlc = j->v[i].hlc;
		j->ch[i].deleted = j->v[i].deleted;
		j->ch[i].nfields = (size_t)j->v[i].nf;
		j->ch[i].fields = j->v[i].f;
		if (j->v[i].hlc > j->max_hlc)
			j->max_hlc = j->v[i].hlc;
	}
	j->cs.seq++;
	j->cs.origin = s->code;
	j->cs.scope = j->scope;
	j->cs.knowledge = j->kn;
	j->cs.nknowledge = j->nk;
	j->cs.operator_name = j->operator_name;
	j->cs.reason = j->reason;
	j->cs.schema_version = SCHEMA_VERSION;
	j->cs.sealed_hlc = hlc_tick(&s->hlc, hlc_wall_ms());
	j->cs.changes = j->ch;
	j->cs.nchanges = j->n;
	j->sk = s->sk;
	*out = j;
	return 0;
}

/* Seals the pending changes of one scope into one change-set: on the
 * worker thread when background, else here and now. */
static int seal_scope(struct store *s, struct pscope *ps, int background)
{
	struct seal_job *j = NULL;
	int r;

	if (!ps->n)
		return 0;
	/* the previous one must be stored first: this one chains to it */
	if ((r = seal_finish(s, 1)) || (r = job_new(s, ps, &j)))
		return r;
	if (background && pthread_create(&j->th, NULL, seal_main, j) == 0) {
		s->inflight = j;
		return 0;
	}
	seal_main(j);
	r = j->rc ? err_set(j->rc, "%s", j->msg) :
		    changeset_store(s, &j->cs, j->bytes, j->len, j->max_hlc);
	job_free(j);
	return r;
}

int store_commit(struct store *s)
{
	int r = 0;

	if (!s->in_txn)
		return err_set(ERR_INTERNAL, "no transaction is open");
	for (size_t i = 0; i < s->npend && !r; i++)
		r = seal_scope(s, &s->pend[i], 0);
	if (!r)
		r = seal_finish(s, 1);
	if (!r)
		r = store_save_hlc(s);
	if (!r)
		r = store_exec(s, "COMMIT");
	if (r) {
		store_rollback(s);
		return r;
	}
	pending_clear(s);
	s->in_txn = 0;
	return 0;
}

/* Adds a captured change to its scope's pending list, sealing the list
 * when it is full. */
static int capture(struct store *s, const char *scope, struct pchange *pc)
{
	struct pscope *ps = NULL;

	for (size_t i = 0; i < s->npend; i++)
		if (strcmp(s->pend[i].scope, scope) == 0)
			ps = &s->pend[i];
	if (!ps) {
		struct pscope *v = realloc(s->pend, (s->npend + 1) * sizeof(*v));

		if (!v)
			return err_set(ERR_NOMEM, "out of memory");
		s->pend = v;
		ps = &s->pend[s->npend++];
		memset(ps, 0, sizeof(*ps));
		snprintf(ps->scope, sizeof(ps->scope), "%s", scope);
	}
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 64;
		struct pchange *v = realloc(ps->v, cap * sizeof(*v));

		if (!v)
			return err_set(ERR_NOMEM, "out of memory");
		ps->v = v;
		ps->cap = cap;
	}
	ps->v[ps->n++] = *pc;
	if (ps->n >= STORE_MAX_CHANGES)
		return seal_scope(s, ps, 1);
	return 0;
}

/* ---- local writes ----------------------------------------------------- */

static int ref_exists(struct store *s, const struct column_desc *c,
		      const char *id)
{
	const struct table_desc *rt = schema_table_find(c->ref_table);
	sqlite3_stmt *st;
	int rc, live;

	if (!rt)
		return 0;
	st = s->ts[schema_table_index(rt)].live;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	live = rc == SQLITE_ROW && sqlite3_column_int(st, 0) == 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_err(s, "cannot check a reference");
	if (!live)
		return err_set(ERR_INVALID,
			       "field '%s': no %s with id '%s' (it must be an "
			       "existing record)", c->name, rt->name, id);
	return 0;
}

/* Validates vals[i] into canonical out[i] (malloc'd); "" -> clear.  A
 * reference must name a live record, unless it is the value the record
 * already has (cur, when updating): an edit of another field, or keeping a
 * value, does not fail because the referenced record was deleted since. */
static int canon_values(struct store *s, const struct table_desc *t,
			const char *const *vals, char *const *cur, char **out,
			int *given)
{
	char buf[8192];
	int r;

	for (int i = 0; i < t->ncols; i++) {
		given[i] = vals[i] != NULL;
		if (!vals[i])
			continue;
		r = validate_value(&t->cols[i], vals[i], buf, sizeof(buf));
		if (r < 0)
			return r;
		out[i] = r == 1 ? NULL : strdup(buf);
		if (out[i] && t->cols[i].type == COL_REF &&
		    !(cur && cur[i] && strcmp(cur[i], out[i]) == 0) &&
		    (r = ref_exists(s, &t->cols[i], out[i])))
			return r;
	}
	return 0;
}

/* A new UUIDv7: 48 bits of milliseconds, then 74 random bits (drawn from
 * a pool refilled by libsodium, so a bulk import makes no system call per
 * id). */
static void uuid_v7(struct store *s, char out[STORE_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	uint64_t ms = hlc_wall_ms();
	int k = 0;

	if (s->rnd_pos + 10 > sizeof(s->rnd)) {
		randombytes_buf(s->rnd, sizeof(s->rnd));
		s->rnd_pos = 0;
	}
	for (int i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (40 - 8 * i));
	memcpy(b + 6, s->rnd + s->rnd_pos, 10);
	sodium_memzero(s->rnd + s->rnd_pos, 10); /* never handed out twice */
	s->rnd_pos += 10;
	b[6] = (unsigned char)(0x70 | (b[6] & 0x0f));
	b[8] = (unsigned char)(0x80 | (b[8] & 0x3f));
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[k++] = '-';
		out[k++] = hex[b[i] >> 4];
		out[k++] = hex[b[i] & 15];
	}
	out[k] = '\0';
}

static int capture_row(struct store *s, const struct table_desc *t,
		       const char *id, const char *scope, uint64_t h,
		       char *const *vals, const int *changed, int deleted)
{
	struct pchange pc;

	memset(&pc, 0, sizeof(pc));
	pc.t = t;
	snprintf(pc.id, sizeof(pc.id), "%s", id);
	pc.hlc = h;
	pc.deleted = deleted;
	for (int i = 0; i < t->ncols; i++) {
		if (!changed[i])
			continue;
		pc.f[pc.nf].name = t->cols[i].name;
		pc.f[pc.nf].value = vals[i] ? strdup(vals[i]) : NULL;
		pc.nf++;
	}
	return capture(s, scope, &pc);
}

static int need_txn(struct store *s)
{
	if (!s->in_txn)
		return err_set(ERR_INTERNAL, "no transaction is open (store_begin)");
	return 0;
}

int store_insert(struct store *s, const struct table_desc *t,
		 const char *const *vals, const char *id, char *id_out)
{
	char *cv[SCHEMA_MAX_COLUMNS] = { 0 }, newid[STORE_ID_LEN + 1];
	int given[SCHEMA_MAX_COLUMNS] = { 0 }, r;
	struct clk clk;
	uint16_t self;
	uint64_t h;

	if ((r = need_txn(s)) || (r = canon_values(s, t, vals, NULL, cv, given)))
		goto out;
	for (int i = 0; i < t->ncols; i++)
		if ((t->cols[i].flags & COL_REQUIRED) && !cv[i]) {
			r = err_set(ERR_INVALID, "field '%s' (%s) is required",
				    t->cols[i].name, t->cols[i].label_vi);
			goto out;
		}
	if ((r = store_may_write(s, s->code, cv[0], t)))
		goto out;
	if (id) {
		char buf[64];
		struct column_desc idc = { "id", COL_REF, 0, "id", "id", NULL,
					   NULL, 0, 0, 0, NULL };

		if ((r = validate_value(&idc, id, buf, sizeof(buf))) != 0) {
			r = r == 1 ? err_set(ERR_INVALID, "field 'id' is empty")
				   : r;
			goto out;
		}
		if (strlen(buf) != STORE_ID_LEN) {
			r = err_set(ERR_INVALID, "field 'id': '%s' is not a UUID",
				    buf);
			goto out;
		}
		memcpy(newid, buf, STORE_ID_LEN + 1);
	} else {
		uuid_v7(s, newid);
	}
	if ((r = store_origin_idx(s, s->code, &self)))
		goto out;
	h = hlc_tick(&s->hlc, hlc_wall_ms());
	memset(&clk, 0, sizeof(clk));
	for (int i = 0; i < t->ncols; i++)
		if (cv[i]) {
			clk.hlc[i] = h;
			clk.org[i] = self;
			given[i] = 1;
		} else {
			given[i] = 0;
		}
	if ((r = row_store(s, t, newid, cv, 0, &clk, 1))) {
		if (sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
			r = err_set(ERR_EXISTS, "a %s with id '%s' already exists",
				    t->name, newid);
		goto out;
	}
	if ((r = capture_row(s, t, newid, cv[0], h, cv, given, 0)))
		goto out;
	if (id_out)
		snprintf(id_out, STORE_ID_LEN + 1, "%s", newid);
out:
	vals_free(cv, t->ncols);
	return r;
}

int store_update(struct store *s, const struct table_desc *t, const char *id,
		 const char *const *vals)
{
	return store_update_cols(s, t, id, vals, 0);
}

int store_update_cols(struct store *s, const struct table_desc *t,
		      const char *id, const char *const *vals, int force)
{
	char *cur[SCHEMA_MAX_COLUMNS] = { 0 }, *cv[SCHEMA_MAX_COLUMNS] = { 0 };
	int given[SCHEMA_MAX_COLUMNS] = { 0 }, changed[SCHEMA_MAX_COLUMNS] = { 0 };
	char rid[STORE_ID_LEN + 1];
	int del = 0, any = 0, r;
	struct clk clk;
	uint16_t self;
	uint64_t h;

	if ((r = need_txn(s)) || (r = store_resolve_id(s, t, id, 0, rid)) ||
	    (r = row_load(s, t, rid, cur, &del, &clk)) ||
	    (r = canon_values(s, t, vals, cur, cv, given)))
		goto out;
	if ((r = store_may_write(s, s->code, cur[0] ? cur[0] : "", t)))
		goto out;
	for (int i = 0; i < t->ncols; i++) {
		const char *a = cv[i], *b = cur[i];

		if (!given[i])
			continue;
		if ((t->cols[i].flags & COL_REQUIRED) && !a) {
			r = err_set(ERR_INVALID, "field '%s' (%s) is required: it "
				    "cannot be cleared", t->cols[i].name,
				    t->cols[i].label_vi);
			goto out;
		}
		if (((a && b && strcmp(a, b) == 0) || (!a && !b)) && !force)
			continue;
		if (t->cols[i].flags & COL_IMMUTABLE) {
			r = err_set(ERR_INVALID, "field '%s' cannot be changed "
				    "(a person moves to another ward by a transfer)",
				    t->cols[i].name);
			goto out;
		}
		changed[i] = 1;
		any = 1;
	}
	if (!any)
		goto out; /* nothing differs: no change to record */
	if ((r = store_origin_idx(s, s->code, &self)))
		goto out;
	h = hlc_tick(&s->hlc, hlc_wall_ms());
	for (int i = 0; i < t->ncols; i++)
		if (changed[i]) {
			free(cur[i]);
			cur[i] = cv[i];
			cv[i] = NULL;
			clk.hlc[i] = h;
			clk.org[i] = self;
		}
	if ((r = row_store(s, t, rid, cur, 0, &clk, 0)))
		goto out;
	r = capture_row(s, t, rid, cur[0], h, cur, changed, 0);
out:
	vals_free(cur, t->ncols);
	vals_free(cv, t->ncols);
	return r;
}

int store_delete(struct store *s, const struct table_desc *t, const char *id)
{
	char *cur[SCHEMA_MAX_COLUMNS] = { 0 };
	int none[SCHEMA_MAX_COLUMNS] = { 0 };
	char rid[STORE_ID_LEN + 1];
	int del = 0, r;
	struct clk clk;
	uint16_t self;
	uint64_t h;

	if ((r = need_txn(s)) || (r = store_resolve_id(s, t, id, 0, rid)) ||
	    (r = row_load(s, t, rid, cur, &del, &clk)))
		goto out;
	if ((r = store_may_write(s, s->code, cur[0] ? cur[0] : "", t)) ||
	    (r = store_origin_idx(s, s->code, &self)))
		goto out;
	h = hlc_tick(&s->hlc, hlc_wall_ms());
	clk.hlc[TOMB_SLOT] = h;
	clk.org[TOMB_SLOT] = self;
	if ((r = row_store(s, t, rid, cur, 1, &clk, 0)) ||
	    (r = conflicts_settle_record(s, t, rid, "the record was deleted here")))
		goto out;
	r = capture_row(s, t, rid, cur[0], h, cur, none, 1);
out:
	vals_free(cur, t->ncols);
	return r;
}
