/*
 * syncdb.c - the sync state kept beside the replica (sync_parked,
 * sync_acked), through the store's sqlite3 handle, for the daemon and for
 * `taphop status` / `taphop sync --unpark`.
 */
#include "replicas/syncdb.h"

#include <sqlite3.h>
#include <sys/time.h>

#include "replicas/err.h"

#include "replicas/banned.h"

static int dberr(sqlite3 *db, const char *what)
{
	return err_set(ERR_DB, "%s: %s", what, sqlite3_errmsg(db));
}

static int exec(struct store *s, const char *sql)
{
	sqlite3 *db = store_db(s);

	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return dberr(db, "sync state");
	return 0;
}

int syncdb_init(struct store *s)
{
	return exec(s,
		    "CREATE TABLE IF NOT EXISTS sync_parked("
		    " peer TEXT NOT NULL, origin TEXT NOT NULL,"
		    " scope TEXT NOT NULL, seq INTEGER NOT NULL,"
		    " code TEXT NOT NULL, reason TEXT NOT NULL,"
		    " at_ms INTEGER NOT NULL, PRIMARY KEY(peer, origin, scope));"
		    "CREATE TABLE IF NOT EXISTS sync_acked("
		    " peer TEXT NOT NULL, origin TEXT NOT NULL,"
		    " scope TEXT NOT NULL, seq INTEGER NOT NULL,"
		    " PRIMARY KEY(peer, origin, scope));");
}

static int run(struct store *s, const char *sql, const char *const *text,
	       int ntext, const uint64_t *num, int nnum)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st = NULL;
	int rc = 0, i;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return dberr(db, "sync state");
	for (i = 0; i < ntext; i++)
		sqlite3_bind_text(st, i + 1, text[i], -1, SQLITE_TRANSIENT);
	for (int k = 0; k < nnum; k++)
		sqlite3_bind_int64(st, i + k + 1, (sqlite3_int64)num[k]);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = dberr(db, "sync state");
	sqlite3_finalize(st);
	return rc;
}

int syncdb_park(struct store *s, const char *peer, const char *origin,
		const char *scope, uint64_t seq, const char *code,
		const char *reason)
{
	const char *t[] = { peer, origin, scope, code, reason };
	struct timeval tv;
	uint64_t n[2];

	gettimeofday(&tv, NULL);
	n[0] = seq;
	n[1] = (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
	return run(s,
		   "INSERT OR IGNORE INTO sync_parked(peer, origin, scope,"
		   " code, reason, seq, at_ms) VALUES (?,?,?,?,?,?,?)",
		   t, 5, n, 2);
}

int syncdb_parked(struct store *s, syncdb_parked_cb cb, void *ctx)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st = NULL;
	int rc = 0, r;

	if (sqlite3_prepare_v2(db,
			       "SELECT peer, origin, scope, seq, code, reason"
			       " FROM sync_parked ORDER BY at_ms",
			       -1, &st, NULL) != SQLITE_OK)
		return dberr(db, "sync state");
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		rc = cb(ctx, (const char *)sqlite3_column_text(st, 0),
			(const char *)sqlite3_column_text(st, 1),
			(const char *)sqlite3_column_text(st, 2),
			(uint64_t)sqlite3_column_int64(st, 3),
			(const char *)sqlite3_column_text(st, 4),
			(const char *)sqlite3_column_text(st, 5));
		if (rc)
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = dberr(db, "sync state");
	sqlite3_finalize(st);
	return rc;
}

int syncdb_ack(struct store *s, const char *peer, const char *origin,
	       const char *scope, uint64_t seq)
{
	const char *t[] = { peer, origin, scope };

	return run(s,
		   "INSERT INTO sync_acked(peer, origin, scope, seq)"
		   " VALUES (?,?,?,?) ON CONFLICT(peer, origin, scope)"
		   " DO UPDATE SET seq = max(seq, excluded.seq)",
		   t, 3, &seq, 1);
}

int syncdb_ack_set(struct store *s, const char *peer, const char *origin,
		   const char *scope, uint64_t seq)
{
	const char *t[] = { peer, origin, scope };

	return run(s,
		   "INSERT OR REPLACE INTO sync_acked(peer, origin, scope, seq)"
		   " VALUES (?,?,?,?)",
		   t, 3, &seq, 1);
}

int syncdb_data_version(struct store *s, long long *out)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA data_version", -1, &st, NULL) !=
	    SQLITE_OK)
		return dberr(db, "data_version");
	if (sqlite3_step(st) == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else
		rc = dberr(db, "data_version");
	sqlite3_finalize(st);
	return rc;
}

uint64_t syncdb_acked(struct store *s, const char *peer, const char *origin,
		      const char *scope)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st = NULL;
	uint64_t v = 0;

	if (sqlite3_prepare_v2(db, "SELECT seq FROM sync_acked WHERE peer = ?"
			       " AND origin = ? AND scope = ?", -1, &st,
			       NULL) != SQLITE_OK)
		return 0; /* no daemon ever ran: nothing acknowledged */
	sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, origin, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, scope, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int syncdb_unpark(struct store *s, const char *origin, const char *scope,
		  int *cleared)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st = NULL;
	int rc = 0;

	*cleared = 0;
	if (sqlite3_prepare_v2(db, "DELETE FROM sync_parked WHERE origin = ?"
			       " AND scope = ?", -1, &st, NULL) != SQLITE_OK)
		return 0; /* no daemon ever ran: nothing parked */
	sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, scope, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_DONE)
		*cleared = sqlite3_changes(db);
	else
		rc = dberr(db, "sync state");
	sqlite3_finalize(st);
	return rc;
}
