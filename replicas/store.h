/*
 * store.h - a node's replica: domain tables, change capture, sealing,
 * verification and merge, over one SQLite file (WAL mode).
 *
 * Invariants:
 *  - Every write to a domain table goes through store_insert/update/delete
 *    (local writes, captured and sealed at store_commit) or store_apply
 *    (signed change-sets from elsewhere).  Both record column stamps in the
 *    same SQLite transaction as the data.
 *  - A local transaction seals one change-set per scope it touched (a large
 *    one, more than STORE_MAX_CHANGES changes, seals several consecutive
 *    change-sets of the same stream), all committed atomically with the data.
 *  - The signed bytes of a change-set are stored as they were made and never
 *    re-serialised.
 *  - Merge is last-writer-wins per column ordered by (HLC, origin code);
 *    delete is a tombstone column merged the same way; applying a change-set
 *    twice changes nothing.  A value overwritten by, or losing to, a change
 *    its writer had not seen (knowledge vector) is kept in the conflicts
 *    table.
 *
 * Thread-safety: one struct store per thread.  Several processes may open
 * the same file (SQLite serialises writers; busy timeout 10 s).
 */
#ifndef TAPHOP_STORE_H
#define TAPHOP_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "replicas/schema.h"

#define STORE_ID_LEN 36          /* UUID text, without NUL */
#define STORE_CODE_MAX 64        /* node and scope codes, with NUL */
#define STORE_MAX_CHANGES 2000   /* changes per sealed change-set */
#define STORE_DIGEST_LEN 32
#define STORE_SIG_LEN 64
#define STORE_PK_LEN 32
#define STORE_SK_LEN 64

struct store;

/* ---- opening ----------------------------------------------------------- */

enum store_role { STORE_ROLE_WARD = 0, STORE_ROLE_HUB = 1 };

/*
 * Creates a new replica file at path for a node with the given code
 * (its origin id and its own scope), parent scope (the district's code for a
 * ward, NULL/"" for a top hub) and role, and registers the node's own
 * signing public key.  Fails with ERR_EXISTS if path exists.
 */
int store_create(const char *path, const char *code, const char *parent,
		 enum store_role role, const unsigned char sign_pk[STORE_PK_LEN],
		 const unsigned char box_pk[STORE_PK_LEN]);

/*
 * Opens an existing replica, migrating it to SCHEMA_VERSION if it was made
 * by an older version.  sign_sk (64 bytes, copied) is needed to seal local
 * writes; pass NULL to open read-only for writes (apply still works).
 */
int store_open(struct store **out, const char *path,
	       const unsigned char *sign_sk);

/* Closes; a NULL s is a no-op.  An open transaction is rolled back. */
void store_close(struct store *s);

const char *store_node_code(const struct store *s);
const char *store_parent_scope(const struct store *s); /* "" if none */
enum store_role store_role(const struct store *s);

/* Sets the page cache of this connection (SQLite's cache_size), in MB. */
int store_cache_mb(struct store *s, int mb);

/* The sqlite3 handle, for the few modules that run their own read-only
 * queries (reports) and for tests.  Borrowed. */
void *store_db(struct store *s);

/* ---- local writes ------------------------------------------------------ */

/*
 * Starts a local transaction.  operator names the person at the keyboard
 * (required, as it goes into every change-set); reason is optional.
 */
int store_begin(struct store *s, const char *operator, const char *reason);

/* Seals one or more change-sets, signs them and commits.  On failure
 * everything since store_begin is rolled back. */
int store_commit(struct store *s);

/* Abandons the transaction; no-op if none is open. */
void store_rollback(struct store *s);

/*
 * Inserts a record.  vals has t->ncols entries in column order, each the
 * user's text or NULL (not given).  Every value is validated (see
 * validate.h), required columns enforced, references checked to exist, and
 * the scope (column 0) must be one this node may write.  id: NULL to make a
 * new UUIDv7, or a given id (must be a well-formed UUID not yet used).
 * The id is written to id_out (STORE_ID_LEN + 1 bytes) when not NULL.
 * Must be inside store_begin/commit.  A failure with ERR_INVALID,
 * ERR_NOTFOUND, ERR_EXISTS or ERR_SCOPE stores nothing of that record and
 * leaves the transaction usable (an importer goes on to report every bad
 * row); after any other error the caller must store_rollback().
 */
int store_insert(struct store *s, const struct table_desc *t,
		 const char *const *vals, const char *id, char *id_out);

/* Changes the given columns of a live record: vals[i] NULL leaves column i
 * as it is, "" clears it (error if required).  The scope may not change. */
int store_update(struct store *s, const struct table_desc *t, const char *id,
		 const char *const *vals);

/* Deletes (tombstones) a live record. */
int store_delete(struct store *s, const struct table_desc *t, const char *id);

/* ---- reading ----------------------------------------------------------- */

struct record {
	const struct table_desc *t;
	char id[STORE_ID_LEN + 1];
	char *vals[SCHEMA_MAX_COLUMNS]; /* NULL = no value */
	int deleted;
	uint64_t stamps[SCHEMA_MAX_COLUMNS + 1]; /* per column HLC;
						 [SCHEMA_MAX_COLUMNS] = tombstone */
	char origins[SCHEMA_MAX_COLUMNS + 1][STORE_CODE_MAX]; /* who wrote each */
};

void record_free(struct record *r);

/* Gets one record by id (a unique prefix of at least 8 characters is
 * accepted).  Deleted records only when include_deleted. ERR_NOTFOUND. */
int store_get(struct store *s, const struct table_desc *t, const char *id,
	      int include_deleted, struct record **out);

struct store_filter {
	int col;           /* column index */
	const char *value; /* exact match after validation/canonicalisation */
};

/* Calls cb for each live record matching all filters, ordered by the title
 * column then id; stops when cb returns non-zero (and returns that). */
typedef int (*store_record_cb)(void *ctx, const struct record *r);
int store_list(struct store *s, const struct table_desc *t,
	       const struct store_filter *f, int nf, int limit,
	       store_record_cb cb, void *ctx);

/* Calls cb for every record of t (and the deleted ones when
 * include_deleted) in id order, reading each row once: for passes over a
 * whole table (the archive). */
int store_scan(struct store *s, const struct table_desc *t,
	       int include_deleted, store_record_cb cb, void *ctx);

/* Folded search (fold.h) over the title column of every table with one
 * (and a person's citizen id and phone); every word of text must occur. */
int store_find(struct store *s, const char *text, int limit,
	       store_record_cb cb, void *ctx);

/* Number of live records of t. */
int store_count(struct store *s, const struct table_desc *t, long long *out);

/* The content digest (SHA-256) of the domain tables, live rows and
 * tombstones, over every scope (scope NULL) or one scope.  Equal digests
 * mean equal content. */
int store_digest(struct store *s, const char *scope,
		 unsigned char out[STORE_DIGEST_LEN]);

/* ---- nodes and keys ---------------------------------------------------- */

struct node_info {
	char code[STORE_CODE_MAX];
	char scope[STORE_CODE_MAX];  /* the node's own scope (== code) */
	char parent[STORE_CODE_MAX]; /* scope above it, "" for a top hub */
	enum store_role role;
	unsigned char sign_pk[STORE_PK_LEN];
	unsigned char box_pk[STORE_PK_LEN];
	int revoked;
};

/* Registers or updates a node (enrollment; keys learnt from the hub). */
int store_node_put(struct store *s, const struct node_info *n);
int store_node_get(struct store *s, const char *code, struct node_info *out);
/* All known nodes; *out malloc'd array. */
int store_nodes(struct store *s, struct node_info **out, size_t *n);

/* 0 if origin may write a record of table t in scope, else ERR_SCOPE with
 * a message saying why.  t NULL: any table. */
int store_may_write(struct store *s, const char *origin, const char *scope,
		    const struct table_desc *t);

/* ---- streams, change-sets, merge --------------------------------------- */

struct stream_head {
	char origin[STORE_CODE_MAX];
	char scope[STORE_CODE_MAX];
	uint64_t seq;                         /* 0: nothing yet */
	unsigned char digest[STORE_DIGEST_LEN];
};

/* The streams this replica holds, every scope (scope NULL) or one. */
int store_streams(struct store *s, const char *scope,
		  struct stream_head **out, size_t *n);

/* The signed bytes of one change-set; *bytes malloc'd. ERR_NOTFOUND. */
int store_changeset_get(struct store *s, const char *origin,
			const char *scope, uint64_t seq,
			unsigned char **bytes, size_t *len);

struct changeset_info {
	long long local_order;  /* order in which this replica stored it */
	char origin[STORE_CODE_MAX];
	char scope[STORE_CODE_MAX];
	uint64_t seq;
	uint64_t sealed_hlc;
	char operator_name[128];
	char reason[256];
	int nchanges;
	unsigned char digest[STORE_DIGEST_LEN];
	uint64_t stored_ms;     /* wall time it was stored here */
};

/* Calls cb for each change-set stored after local_order `after`
 * (0 = from the start), in storing order; bytes are borrowed for the call.
 * origin/scope filters may be NULL. */
typedef int (*store_changeset_cb)(void *ctx, const struct changeset_info *ci,
				  const unsigned char *bytes, size_t len);
int store_changesets(struct store *s, long long after, const char *origin,
		     const char *scope, store_changeset_cb cb, void *ctx);

struct apply_result {
	int duplicate;           /* already held: nothing changed */
	char origin[STORE_CODE_MAX];
	char scope[STORE_CODE_MAX];
	uint64_t seq;
	int nchanges;
	int nconflicts;          /* conflicts recorded by this apply */
};

/*
 * Verifies and applies a signed change-set made elsewhere: decodes it within
 * bounds, checks the signature against the origin's registered key, that
 * seq is the stream's next (a lower, already held seq with the same digest
 * is a duplicate: success with res->duplicate) and prev_digest matches, that
 * the origin may write the scope and every value is valid; then merges it.
 * Nothing of a rejected change-set is stored.  Runs in its own SQLite
 * transaction unless store_batch_begin() opened one.
 * Errors: ERR_PROTOCOL (malformed), ERR_UNKNOWN_NODE, ERR_SIGNATURE,
 * ERR_GAP, ERR_CHAIN, ERR_SCOPE, ERR_INVALID, ERR_VERSION, ERR_DB.
 */
int store_apply(struct store *s, const unsigned char *bytes, size_t len,
		struct apply_result *res);

/* Groups many store_apply calls into one SQLite transaction (much faster).
 * A failed apply inside a batch rolls back only itself (savepoint). */
int store_batch_begin(struct store *s);
int store_batch_commit(struct store *s);
void store_batch_rollback(struct store *s);

/* ---- conflicts --------------------------------------------------------- */

struct conflict {
	long long id;
	char table[32];
	char record[STORE_ID_LEN + 1];
	char column[64];
	char *winner_value;      /* NULL = no value */
	char winner_origin[STORE_CODE_MAX];
	uint64_t winner_hlc;
	char *loser_value;
	char loser_origin[STORE_CODE_MAX];
	uint64_t loser_hlc;
	uint64_t detected_ms;
	int resolved;
	char resolution[512];
};

void conflict_release(struct conflict *c);

typedef int (*store_conflict_cb)(void *ctx, const struct conflict *c);
int store_conflicts(struct store *s, int include_resolved,
		    store_conflict_cb cb, void *ctx);
int store_conflict_get(struct store *s, long long id, struct conflict *out);
int store_conflict_count(struct store *s, long long *open_out);

/*
 * Resolves a conflict: choice "winner" keeps the current value, "loser"
 * writes the losing value back as a new ordinary change, anything else is
 * written as a new value (validated).  Must be inside store_begin/commit.
 */
int store_conflict_resolve(struct store *s, long long id, const char *choice);

#endif
