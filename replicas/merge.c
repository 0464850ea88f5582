/*
 * merge.c - applying signed change-sets made elsewhere.
 *
 * store_apply() checks everything before it changes anything (structure,
 * signature, sequence and chain, scope rights, every value), then merges
 * each change column by column: the higher (HLC, origin code) wins; the
 * tombstone is one more column.  A value that is overwritten by, or loses
 * to, a change whose writer had not seen it (per the knowledge vector the
 * change-set carries) is recorded in the conflicts table.  Re-applying a
 * held change-set changes nothing.
 */
#include "replicas/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replicas/err.h"
#include "replicas/validate.h"

#include "replicas/banned.h"

int conflict_record(struct store *s, const struct table_desc *t,
		    const char *id, const char *col, const char *wval,
		    uint16_t worg, uint64_t whlc, const char *lval,
		    uint16_t lorg, uint64_t lhlc)
{
	sqlite3_stmt *st = NULL;
	int r = 0;

	if (store_prepare(s, &st,
		"INSERT OR IGNORE INTO conflicts(tbl, rec, col, winner_value,"
		" winner_origin, winner_hlc, loser_value, loser_origin, loser_hlc,"
		" detected_ms) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)"))
		return ERR_DB;
	sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, col, -1, SQLITE_STATIC);
	if (wval)
		sqlite3_bind_text(st, 4, wval, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, store_origin_code(s, worg), -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)whlc);
	if (lval)
		sqlite3_bind_text(st, 7, lval, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, store_origin_code(s, lorg), -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)lhlc);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)hlc_wall_ms());
	if (sqlite3_step(st) != SQLITE_DONE)
		r = store_db_err(s, "cannot record a conflict");
	else if (sqlite3_changes(s->db) > 0)
		r = 1; /* newly recorded */
	sqlite3_finalize(st);
	return r;
}

int conflicts_settle_record(struct store *s, const struct table_desc *t,
			    const char *id, const char *how)
{
	sqlite3_stmt *st = NULL;
	int r = 0;

	if (store_prepare(s, &st, "UPDATE conflicts SET resolved=1, resolution=?3"
			  " WHERE tbl=?1 AND rec=?2 AND resolved=0"))
		return ERR_DB;
	sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, how, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = store_db_err(s, "cannot settle conflicts");
	sqlite3_finalize(st);
	return r;
}

/* ---- checks before merging -------------------------------------------- */

struct ctx {
	struct store *s;
	const struct changeset *cs;
	uint16_t origin;
	int nconflicts;
	/* seen-cache: max_hlc of the change-set at knowledge seq, per origin */
	struct {
		uint16_t org;
		uint64_t max_hlc; /* UINT64_MAX: everything seen */
	} seen[64];
	int nseen;
	/* writer_saw's answers, per change-set that carried a write */
	struct {
		long long local_order;
		int saw;
	} wsaw[64];
	int nwsaw;
};

/* How far ahead of this node's clock a peer's stamp may be.  A stamp far
 * in the future would win every edit until then and drag every clock along
 * (a wrong laptop clock, or an attack): refused, naming the stamp. */
#define MAX_CLOCK_AHEAD_MS (24u * 3600u * 1000u)

static int check_stamp(const struct changeset *cs, uint64_t hlc, size_t change)
{
	uint64_t limit = hlc_wall_ms() + MAX_CLOCK_AHEAD_MS;
	char when[48];

	if (hlc && HLC_MS(hlc) <= limit)
		return 0;
	hlc_format(hlc, when, sizeof(when));
	if (!hlc)
		return err_set(ERR_INVALID, "change-set %s/%s/%llu: change %zu has "
			       "no clock stamp", cs->origin, cs->scope,
			       (unsigned long long)cs->seq, change);
	return err_set(ERR_INVALID, "change-set %s/%s/%llu is stamped %s, more "
		       "than a day ahead of this node's clock: check the clock "
		       "of node '%s'", cs->origin, cs->scope,
		       (unsigned long long)cs->seq, when, cs->origin);
}

static const struct column_desc id_col = {
	"id", COL_REF, 0, "id", "id", NULL, NULL, 0, 0, 0, NULL,
};

static int check_values(struct store *s, const struct changeset *cs)
{
	char buf[8192];
	int r;

	if ((r = check_stamp(cs, cs->sealed_hlc, 0)))
		return r;
	for (size_t i = 0; i < cs->nchanges; i++) {
		const struct cs_change *c = &cs->changes[i];
		const struct table_desc *t = schema_table_find(c->table);

		if (!t || strcmp(t->name, c->table) != 0)
			return err_set(ERR_INVALID, "change %zu: unknown table '%s'",
				       i + 1, c->table);
		if (validate_value(&id_col, c->id, buf, sizeof(buf)) != 0 ||
		    strcmp(buf, c->id) != 0)
			return err_set(ERR_INVALID,
				       "change %zu: record id '%.40s' is not a "
				       "lowercase UUID", i + 1, c->id);
		if ((r = check_stamp(cs, c->hlc, i + 1)))
			return r;
		if ((r = store_may_write(s, cs->origin, cs->scope, t)))
			return err_wrap(r, "change-set %s/%s/%llu", cs->origin,
					cs->scope, (unsigned long long)cs->seq);
		for (size_t j = 0; j < c->nfields; j++) {
			const struct cs_field *f = &c->fields[j];
			int ci = schema_column_find(t, f->name, false);

			if (ci < 0 || strcmp(t->cols[ci].name, f->name) != 0)
				return err_set(ERR_INVALID,
					       "change %zu: table '%s' has no column '%s'",
					       i + 1, c->table, f->name);
			if (ci == 0 && f->value && strcmp(f->value, cs->scope) != 0)
				return err_set(ERR_SCOPE,
					       "change %zu: record of scope '%s' in a "
					       "change-set of scope '%s'", i + 1,
					       f->value, cs->scope);
			if (!f->value) {
				if (t->cols[ci].flags & (COL_REQUIRED | COL_IMMUTABLE))
					return err_set(ERR_INVALID,
						       "change %zu (%s %s): field '%s' "
						       "is required and cannot be "
						       "cleared", i + 1, c->table,
						       c->id, f->name);
				continue;
			}
			r = validate_value(&t->cols[ci], f->value, buf, sizeof(buf));
			if (r < 0)
				return err_wrap(r, "change %zu (%s %s)", i + 1,
						c->table, c->id);
			/* a sealing node stores canonical values only */
			if (r == 1 || strcmp(buf, f->value) != 0)
				return err_set(ERR_INVALID,
					       "change %zu (%s %s): field '%s' is not "
					       "in canonical form", i + 1, c->table,
					       c->id, f->name);
		}
	}
	return 0;
}

/* A stream's stamps rise with its sequence (its origin's clock never goes
 * back, and one process seals at a time): what tells which change-set
 * carried a write (writer_saw, origin_saw) relies on it, so a change-set
 * with a stamp at or below its predecessor's is refused. */
static int check_rising(struct store *s, const struct changeset *cs,
			uint64_t head)
{
	sqlite3_stmt *st = NULL;
	uint64_t prev = 0;

	if (store_prepare(s, &st, "SELECT max_hlc FROM changesets WHERE"
			  " origin=?1 AND scope=?2 AND seq=?3"))
		return ERR_DB;
	sqlite3_bind_text(st, 1, cs->origin, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, cs->scope, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)head);
	if (sqlite3_step(st) == SQLITE_ROW)
		prev = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	for (size_t i = 0; i < cs->nchanges; i++)
		if (cs->changes[i].hlc <= prev)
			return err_set(ERR_INVALID,
				       "change-set %s/%s/%llu has a change stamped "
				       "no later than sequence %llu: a stream's "
				       "clock must rise", cs->origin, cs->scope,
				       (unsigned long long)cs->seq,
				       (unsigned long long)head);
	return 0;
}

/* Signature, sequence, chain.  Returns 0 to go on, 1 for a duplicate. */
static int check_stream(struct store *s, const struct changeset *cs)
{
	struct node_info n;
	sqlite3_stmt *st = NULL;
	uint64_t head = 0;
	unsigned char hd[32] = { 0 };
	int r;

	if ((r = store_node_get(s, cs->origin, &n)))
		return err_set(ERR_UNKNOWN_NODE,
			       "change-set from '%s', which is not enrolled here",
			       cs->origin);
	if ((r = changeset_check_signature(cs, n.sign_pk)))
		return r;
	if (cs->schema_version > SCHEMA_VERSION)
		return err_set(ERR_VERSION,
			       "change-set %s/%s/%llu has schema version %u; this "
			       "node knows up to %d: upgrade taphop", cs->origin,
			       cs->scope, (unsigned long long)cs->seq,
			       cs->schema_version, SCHEMA_VERSION);
	if (store_prepare(s, &st,
			  "SELECT seq, digest FROM streams WHERE origin=?1 AND scope=?2"))
		return ERR_DB;
	sqlite3_bind_text(st, 1, cs->origin, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, cs->scope, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		head = (uint64_t)sqlite3_column_int64(st, 0);
		if (sqlite3_column_bytes(st, 1) == 32)
			memcpy(hd, sqlite3_column_blob(st, 1), 32);
	}
	sqlite3_finalize(st);
	if (cs->seq <= head) {
		int same = 0;

		if (store_prepare(s, &st, "SELECT digest FROM changesets WHERE"
				  " origin=?1 AND scope=?2 AND seq=?3"))
			return ERR_DB;
		sqlite3_bind_text(st, 1, cs->origin, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, cs->scope, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)cs->seq);
		if (sqlite3_step(st) == SQLITE_ROW &&
		    sqlite3_column_bytes(st, 0) == 32)
			same = memcmp(sqlite3_column_blob(st, 0), cs->digest, 32) == 0;
		sqlite3_finalize(st);
		if (same)
			return 1;
		return err_set(ERR_CHAIN,
			       "change-set %s/%s/%llu differs from the one already "
			       "held with that sequence (a forked stream)",
			       cs->origin, cs->scope, (unsigned long long)cs->seq);
	}
	if (cs->seq > head + 1)
		return err_set(ERR_GAP,
			       "change-set %s/%s/%llu arrived but the next one expected "
			       "is %llu", cs->origin, cs->scope,
			       (unsigned long long)cs->seq,
			       (unsigned long long)(head + 1));
	if (memcmp(cs->prev_digest, hd, 32) != 0)
		return err_set(ERR_CHAIN,
			       "change-set %s/%s/%llu does not chain to the digest of "
			       "sequence %llu", cs->origin, cs->scope,
			       (unsigned long long)cs->seq, (unsigned long long)head);
	return head ? check_rising(s, cs, head) : 0;
}

/* ---- merging ---------------------------------------------------------- */

/* Had the change-set's origin seen the write (hlc, org) when it sealed? */
static int origin_saw(struct ctx *x, uint64_t hlc, uint16_t org)
{
	const struct changeset *cs = x->cs;
	const char *code;
	uint64_t k = 0, max = 0;
	sqlite3_stmt *st = NULL;
	int i;

	if (org == x->origin || org == 0)
		return 1;
	for (i = 0; i < x->nseen; i++)
		if (x->seen[i].org == org)
			return hlc <= x->seen[i].max_hlc;
	code = store_origin_code(x->s, org);
	for (size_t j = 0; j < cs->nknowledge; j++)
		if (strcmp(cs->knowledge[j].origin, code) == 0)
			k = cs->knowledge[j].seq;
	if (k) {
		max = UINT64_MAX; /* if we do not hold seq k, we are behind it */
		if (store_prepare(x->s, &st, "SELECT max_hlc FROM changesets WHERE"
				  " origin=?1 AND scope=?2 AND seq=?3") == 0) {
			sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, cs->scope, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 3, (sqlite3_int64)k);
			if (sqlite3_step(st) == SQLITE_ROW)
				max = (uint64_t)sqlite3_column_int64(st, 0);
			sqlite3_finalize(st);
		}
	}
	if (x->nseen < 64) {
		x->seen[x->nseen].org = org;
		x->seen[x->nseen].max_hlc = max;
		x->nseen++;
	}
	return hlc <= max;
}

/* Had the writer of the stored value (hlc, org) seen the incoming
 * change-set when it wrote?  Read from the knowledge vector of the
 * change-set that carried that write. */
static int writer_saw(struct ctx *x, uint64_t hlc, uint16_t org)
{
	const struct changeset *in = x->cs;
	struct changeset *cs = NULL;
	sqlite3_stmt *st = NULL;
	long long lo = -1;
	int saw = 0;

	if (org == x->origin)
		return 1;
	/* stamps rise along a stream (check_rising): the first change-set
	 * whose largest stamp reaches hlc is the one that carried it */
	if (store_prepare(x->s, &st, "SELECT local_order, bytes FROM changesets"
			  " WHERE origin=?1 AND scope=?2 AND max_hlc >= ?3"
			  " ORDER BY max_hlc LIMIT 1"))
		return 0;
	sqlite3_bind_text(st, 1, store_origin_code(x->s, org), -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, in->scope, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)hlc);
	if (sqlite3_step(st) == SQLITE_ROW) {
		lo = sqlite3_column_int64(st, 0);
		for (int i = 0; i < x->nwsaw; i++)
			if (x->wsaw[i].local_order == lo) {
				sqlite3_finalize(st);
				return x->wsaw[i].saw;
			}
		if (changeset_decode(&cs, sqlite3_column_blob(st, 1),
				     (size_t)sqlite3_column_bytes(st, 1)) == 0) {
			for (size_t i = 0; i < cs->nknowledge; i++)
				if (strcmp(cs->knowledge[i].origin, in->origin) == 0)
					saw = cs->knowledge[i].seq >= in->seq;
			changeset_free(cs);
		}
	}
	sqlite3_finalize(st);
	if (lo >= 0 && x->nwsaw < 64) {
		x->wsaw[x->nwsaw].local_order = lo;
		x->wsaw[x->nwsaw].saw = saw;
		x->nwsaw++;
	}
	return saw;
}

/* An incoming write that wins, by an origin that had seen the current
 * value, settles the open conflicts of that field whose losing value its
 * origin had seen too: someone decided, knowing both. */
static int supersede(struct ctx *x, const struct table_desc *t,
		     const char *id, const char *col)
{
	sqlite3_stmt *st = NULL, *up = NULL;
	char how[160];
	int r = 0;

	if (store_prepare(x->s, &st, "SELECT id, loser_origin, loser_hlc FROM"
			  " conflicts WHERE tbl=?1 AND rec=?2 AND col=?3 AND"
			  " resolved=0"))
		return ERR_DB;
	sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, col, -1, SQLITE_STATIC);
	snprintf(how, sizeof(how), "settled by a later change from %s (%s)",
		 x->cs->origin, x->cs->operator_name);
	while (!r && sqlite3_step(st) == SQLITE_ROW) {
		uint16_t lorg;
		const char *lo = (const char *)sqlite3_column_text(st, 1);

		if (!lo || store_origin_idx(x->s, lo, &lorg) ||
		    !origin_saw(x, (uint64_t)sqlite3_column_int64(st, 2), lorg))
			continue;
		if ((r = store_prepare(x->s, &up, "UPDATE conflicts SET"
				       " resolved=1, resolution=?2 WHERE id=?1")))
			break;
		sqlite3_bind_int64(up, 1, sqlite3_column_int64(st, 0));
		sqlite3_bind_text(up, 2, how, -1, SQLITE_STATIC);
		if (sqlite3_step(up) != SQLITE_DONE)
			r = store_db_err(x->s, "cannot settle a conflict");
		sqlite3_finalize(up);
	}
	sqlite3_finalize(st);
	return r;
}

static int same_value(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* A change that creates a record (it names the scope column) is first
 * tried as a plain insert: on a first sync nearly every record is new, and
 * this spares a look-up per row.  1 when it was not new after all. */
static int insert_new(struct ctx *x, const struct table_desc *t,
		      const struct cs_change *c)
{
	char *vals[SCHEMA_MAX_COLUMNS] = { 0 };
	struct clk clk;
	int has_scope = 0, r;

	if (c->deleted)
		return 1;
	memset(&clk, 0, sizeof(clk));
	for (size_t j = 0; j < c->nfields; j++) {
		int ci = schema_column_find(t, c->fields[j].name, false);

		vals[ci] = (char *)c->fields[j].value; /* borrowed: not freed */
		clk.hlc[ci] = c->hlc;
		clk.org[ci] = x->origin;
		has_scope |= ci == 0;
	}
	if (!has_scope)
		return 1;
	r = row_store(x->s, t, c->id, vals, 0, &clk, 1);
	if (r && sqlite3_extended_errcode(x->s->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
		return 1;
	return r;
}

static int merge_change(struct ctx *x, const struct cs_change *c)
{
	struct store *s = x->s;
	const struct table_desc *t = schema_table_find(c->table);
	char *vals[SCHEMA_MAX_COLUMNS] = { 0 };
	int del = 0, is_new = 0, dirty = 0, r;
	struct clk clk;

	if ((r = insert_new(x, t, c)) <= 0)
		return r;
	r = row_load(s, t, c->id, vals, &del, &clk);
	if (r == ERR_NOTFOUND) {
		is_new = 1;
		memset(&clk, 0, sizeof(clk));
		vals[0] = strdup(x->cs->scope);
		r = 0;
	}
	if (r)
		goto out;
	if (!vals[0] || strcmp(vals[0], x->cs->scope) != 0) {
		r = err_set(ERR_SCOPE, "change-set %s/%s/%llu changes %s %s, "
			    "which belongs to scope '%s'", x->cs->origin,
			    x->cs->scope, (unsigned long long)x->cs->seq,
			    c->table, c->id, vals[0] ? vals[0] : "");
		goto out;
	}
	for (size_t j = 0; j < c->nfields; j++) {
		const struct cs_field *f = &c->fields[j];
		int ci = schema_column_find(t, f->name, false);
		const char *in = f->value; /* canonical: check_values */
		int cmp;

		cmp = stamp_cmp(s, c->hlc, x->origin, clk.hlc[ci], clk.org[ci]);
		if (cmp == 0)
			continue; /* this very write, applied before */
		/* concurrent: the later write's author had not seen the
		 * earlier one (the earlier one's author cannot have seen the
		 * later: its clock would then be ahead) */
		if (!same_value(in, vals[ci]) && clk.hlc[ci] &&
		    (cmp > 0 ? !origin_saw(x, clk.hlc[ci], clk.org[ci]) :
			       !writer_saw(x, clk.hlc[ci], clk.org[ci]))) {
			int rc = cmp > 0 ?
				conflict_record(s, t, c->id, f->name, in, x->origin,
						c->hlc, vals[ci], clk.org[ci],
						clk.hlc[ci]) :
				conflict_record(s, t, c->id, f->name, vals[ci],
						clk.org[ci], clk.hlc[ci], in,
						x->origin, c->hlc);
			if (rc < 0) {
				r = rc;
				goto out;
			}
			x->nconflicts += rc;
		}
		if (cmp < 0)
			continue;
		if (clk.hlc[ci] && (r = supersede(x, t, c->id, f->name)))
			goto out;
		if (!same_value(in, vals[ci]) || ci == 0) {
			free(vals[ci]);
			vals[ci] = in ? strdup(in) : NULL;
		}
		clk.hlc[ci] = c->hlc;
		clk.org[ci] = x->origin;
		dirty = 1;
	}
	if (c->deleted &&
	    stamp_cmp(s, c->hlc, x->origin, clk.hlc[TOMB_SLOT],
		      clk.org[TOMB_SLOT]) > 0) {
		char how[160];

		del = 1;
		clk.hlc[TOMB_SLOT] = c->hlc;
		clk.org[TOMB_SLOT] = x->origin;
		dirty = 1;
		/* a deleted record's conflicts are moot */
		snprintf(how, sizeof(how), "the record was deleted by %s (%s)",
			 x->cs->origin, x->cs->operator_name);
		if ((r = conflicts_settle_record(s, t, c->id, how)))
			goto out;
	}
	if (dirty || is_new)
		r = row_store(s, t, c->id, vals, del, &clk, is_new);
out:
	vals_free(vals, t->ncols);
	return r;
}

static int merge_all(struct store *s, const struct changeset *cs,
		     const unsigned char *bytes, size_t len, int *nconflicts)
{
	struct ctx *x = calloc(1, sizeof(*x));
	uint64_t max_hlc = 0;
	int r = 0;

	if (!x)
		return err_set(ERR_NOMEM, "out of memory");
	x->s = s;
	x->cs = cs;
	if ((r = store_origin_idx(s, cs->origin, &x->origin)))
		goto out;
	for (size_t i = 0; i < cs->nchanges && !r; i++) {
		r = merge_change(x, &cs->changes[i]);
		if (cs->changes[i].hlc > max_hlc)
			max_hlc = cs->changes[i].hlc;
		hlc_observe(&s->hlc, cs->changes[i].hlc);
	}
	hlc_observe(&s->hlc, cs->sealed_hlc);
	if (!r)
		r = changeset_store(s, cs, bytes, len, max_hlc);
	*nconflicts = x->nconflicts;
out:
	free(x);
	return r;
}

int store_apply(struct store *s, const unsigned char *bytes, size_t len,
		struct apply_result *res)
{
	struct changeset *cs = NULL;
	int r, own_txn = 0, nconf = 0;

	memset(res, 0, sizeof(*res));
	if (s->in_txn)
		return err_set(ERR_INTERNAL, "cannot apply inside a local transaction");
	if ((r = changeset_decode(&cs, bytes, len)))
		return r;
	s->right_table = NULL; /* another process may have revoked a key */
	snprintf(res->origin, sizeof(res->origin), "%s", cs->origin);
	snprintf(res->scope, sizeof(res->scope), "%s", cs->scope);
	res->seq = cs->seq;
	res->nchanges = (int)cs->nchanges;
	if (!s->in_batch) {
		if ((r = store_exec(s, "BEGIN IMMEDIATE")))
			goto out;
		own_txn = 1;
	} else if ((r = store_exec(s, "SAVEPOINT apply"))) {
		goto out;
	}
	r = check_stream(s, cs);
	if (r == 1) {
		res->duplicate = 1;
		r = 0;
		goto done;
	}
	if (r || (r = check_values(s, cs)) ||
	    (r = merge_all(s, cs, bytes, len, &nconf)) ||
	    (r = store_save_hlc(s)))
		goto done;
	res->nconflicts = nconf;
done:
	if (own_txn) {
		if (r || store_exec(s, "COMMIT")) {
			int keep = r ? r : ERR_DB;
			char msg[1024];

			snprintf(msg, sizeof(msg), "%s", err_msg());
			store_exec(s, "ROLLBACK");
			r = err_set(keep, "%s", msg);
		}
	} else if (r) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s", err_msg());
		store_exec(s, "ROLLBACK TO apply; RELEASE apply");
		err_set(r, "%s", msg);
	} else {
		r = store_exec(s, "RELEASE apply");
	}
out:
	changeset_free(cs);
	return r;
}

int store_batch_begin(struct store *s)
{
	if (s->in_txn || s->in_batch)
		return err_set(ERR_INTERNAL, "a transaction is already open");
	if (store_exec(s, "BEGIN IMMEDIATE"))
		return ERR_DB;
	s->in_batch = 1;
	return 0;
}

int store_batch_commit(struct store *s)
{
	int r;

	if (!s->in_batch)
		return err_set(ERR_INTERNAL, "no batch is open");
	r = store_exec(s, "COMMIT");
	if (r)
		store_exec(s, "ROLLBACK");
	s->in_batch = 0;
	return r;
}

void store_batch_rollback(struct store *s)
{
	if (!s->in_batch)
		return;
	store_exec(s, "ROLLBACK");
	s->in_batch = 0;
}
