/*
 * store_int.h - what store.c, merge.c and query.c share; not for other
 * modules.
 *
 * Column stamps (_clk): every domain row keeps, per declared column and for
 * the tombstone (slot TOMB_SLOT), the (HLC, origin) of the write that set it.
 * Origins are stored as the rowid of the node in the nodes table.  The blob
 * is compact because most slots of a row share one stamp:
 *   u8 version (1), u8 nslots, u64 base_hlc, u16 base_origin, u32 mask,
 *   then for each slot with a non-zero stamp not in mask:
 *   u8 slot, u64 hlc, u16 origin          (all little-endian)
 * A slot whose bit is set in mask has the base stamp; others are zero.
 */
#ifndef TAPHOP_STORE_INT_H
#define TAPHOP_STORE_INT_H

#include <sqlite3.h>
#include <stdint.h>

#include "replicas/changeset.h"
#include "replicas/hlc.h"
#include "replicas/store.h"

#define MAX_SLOTS (SCHEMA_MAX_COLUMNS + 1)
/* The tombstone's slot is fixed, so adding a column (always at the end of
 * a table) never moves an existing stamp. */
#define TOMB_SLOT SCHEMA_MAX_COLUMNS
#define MAX_TABLES 16

struct clk {
	uint64_t hlc[MAX_SLOTS];
	uint16_t org[MAX_SLOTS];
};

struct tstmts {
	sqlite3_stmt *get;    /* ward, cols..., _deleted, _clk WHERE id=?1 */
	sqlite3_stmt *insert; /* id, cols..., _deleted, _clk, _fold */
	sqlite3_stmt *update; /* same order; WHERE id=?1 */
	sqlite3_stmt *live;   /* SELECT _deleted WHERE id=?1 */
};

/* One captured local change, waiting to be sealed. */
struct pchange {
	const struct table_desc *t;
	char id[STORE_ID_LEN + 1];
	uint64_t hlc;
	int deleted;
	int nf;
	struct cs_field f[SCHEMA_MAX_COLUMNS];  /* values malloc'd */
};

struct pscope {
	char scope[STORE_CODE_MAX];
	struct pchange *v;
	size_t n, cap;
};

struct store {
	sqlite3 *db;
	char code[STORE_CODE_MAX];
	char parent[STORE_CODE_MAX];
	enum store_role role;
	unsigned char sk[STORE_SK_LEN];
	int have_sk;
	struct hlc hlc;
	int in_txn;     /* store_begin */
	int in_batch;   /* store_batch_begin */
	char *operator_name;
	char *reason;
	struct tstmts ts[MAX_TABLES];
	struct pscope *pend;
	size_t npend;
	struct seal_job *inflight; /* a change-set being sealed (store.c) */
	/* the last write right granted: (origin, scope, table); cleared when
	 * a node changes */
	char right_origin[STORE_CODE_MAX];
	char right_scope[STORE_CODE_MAX];
	const struct table_desc *right_table;
	/* random bytes for ids, refilled when used up */
	unsigned char rnd[4000];
	size_t rnd_pos;
	/* origin cache: code of node rowid i (NULL if unknown) */
	char **org_code;
	size_t norg;
};

/* store.c */
int store_exec(struct store *s, const char *sql);
int store_db_err(struct store *s, const char *what);
int store_prepare(struct store *s, sqlite3_stmt **out, const char *sql);
int store_origin_idx(struct store *s, const char *code, uint16_t *out);
const char *store_origin_code(struct store *s, uint16_t idx);
int store_save_hlc(struct store *s);
void fold_row(const struct table_desc *t, char *const *vals, char **out);

/* clk encoding */
void clk_decode(struct clk *c, const void *blob, int len, int nslots);
int clk_encode(const struct clk *c, int nslots, unsigned char *out);
#define CLK_MAX_BYTES (1 + 1 + 8 + 2 + 4 + MAX_SLOTS * 11)

/* Reads row id of t into vals (malloc'd strings, NULL = no value), deleted
 * and clk.  Returns 0, ERR_NOTFOUND, or ERR_DB. */
int row_load(struct store *s, const struct table_desc *t, const char *id,
	     char **vals, int *deleted, struct clk *clk);
/* Writes a full row (insert when is_new). */
int row_store(struct store *s, const struct table_desc *t, const char *id,
	      char *const *vals, int deleted, const struct clk *clk,
	      int is_new);
void vals_free(char **vals, int n);

/* Compares stamps (hlc, origin code): <0, 0, >0. */
int stamp_cmp(struct store *s, uint64_t h1, uint16_t o1, uint64_t h2,
	      uint16_t o2);

/* Stores a change-set (own or received) and moves its stream's head. */
int changeset_store(struct store *s, const struct changeset *cs,
		    const unsigned char *bytes, size_t len, uint64_t max_hlc);

/* query.c: resolves a full id or a unique prefix of >= 8 characters. */
int store_resolve_id(struct store *s, const struct table_desc *t,
		     const char *id, int include_deleted,
		     char out[STORE_ID_LEN + 1]);

/* store_update, and with force, writes the given columns even where the
 * value is unchanged (a new stamp that says "seen and kept"). */
int store_update_cols(struct store *s, const struct table_desc *t,
		      const char *id, const char *const *vals, int force);

/* merge.c */
/* Marks every open conflict of one record settled, saying how. */
int conflicts_settle_record(struct store *s, const struct table_desc *t,
			    const char *id, const char *how);
int conflict_record(struct store *s, const struct table_desc *t,
		    const char *id, const char *col, const char *wval,
		    uint16_t worg, uint64_t whlc, const char *lval,
		    uint16_t lorg, uint64_t lhlc);

#endif
