/*
 * bench_replica.c - the replica engine against raw SQLite.
 *
 *  (a) capture: N people inserted through the library in one transaction
 *      (store_begin, store_insert per row, store_commit: validation, column
 *      stamps, capture, sealing and signing of N / STORE_MAX_CHANGES
 *      change-sets) against the same rows inserted raw into a plain table
 *      with the same columns (id primary key, the same secondary indexes),
 *      one transaction, one prepared statement; goal <= 1.5x raw.
 *  (b) apply: those change-sets applied into a fresh replica in one batch
 *      (verification, merge), as a row rate against the raw insert's;
 *      goal >= 30% of raw.
 *
 * Both databases use the same PRAGMAs (WAL, synchronous=FULL) in the same
 * temporary directory ($TMPDIR).  Rows are generated before any timing.
 * N from $TAPHOP_BENCH_N (default 100000); seed from $TAPHOP_SEED.
 * Exits 0 when the runs succeed (goals missed are reported, not fatal),
 * 1 on an error.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "replicas/err.h"
#include "replicas/node.h"
#include "tests/lib/testnode.h"
#include "tests/lib/workload.h"

#include "replicas/banned.h"

#define CAPTURE_GOAL 1.5
#define APPLY_GOAL 0.30

/* N rows of person values, packed: row i column c at str.buf + off[i][c]
 * (UINT32_MAX: no value). */
struct rows {
	const struct table_desc *t;
	long n;
	uint32_t (*off)[SCHEMA_MAX_COLUMNS];
	struct tn_strings str;
	char (*ids)[STORE_ID_LEN + 1]; /* for the raw table */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_replica: %s: %s\n", what, err_msg());
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fprintf(stderr, "bench_replica: out of memory\n");
		exit(1);
	}
	return p;
}

/* UUIDv7 text, time-ordered like the store's own ids. */
static void uuid7(struct wl_rng *g, uint64_t ms, char *out)
{
	uint64_t a = wl_next(g), b = wl_next(g);

	ms &= 0xffffffffffffull;
	snprintf(out, STORE_ID_LEN + 1, "%08llx-%04llx-7%03llx-%04llx-%012llx",
		 (unsigned long long)((ms >> 16) & 0xffffffffu),
		 (unsigned long long)(ms & 0xffff),
		 (unsigned long long)(a & 0xfff),
		 (unsigned long long)(0x8000 | ((a >> 12) & 0x3fff)),
		 (unsigned long long)(b & 0xffffffffffffull));
}

static void rows_make(struct rows *r, long n, uint64_t seed)
{
	struct wl_rng g;
	struct wl_row row;
	uint64_t ms = (uint64_t)time(NULL) * 1000u;

	wl_rng_init(&g, seed);
	memset(r, 0, sizeof(*r));
	r->t = schema_table_find("person");
	r->n = n;
	r->off = xmalloc((size_t)n * sizeof(*r->off));
	r->ids = xmalloc((size_t)n * sizeof(*r->ids));
	for (long i = 0; i < n; i++) {
		wl_row_person(&g, "an-lac", &row);
		for (int c = 0; c < SCHEMA_MAX_COLUMNS; c++)
			r->off[i][c] = c < r->t->ncols && row.vals[c] ?
				       tn_strings_put(&r->str, row.vals[c]) : UINT32_MAX;
		uuid7(&g, ms + (uint64_t)i / 64, r->ids[i]);
	}
}

static const char *val(const struct rows *r, long i, int c)
{
	return r->off[i][c] == UINT32_MAX ? NULL : r->str.buf + r->off[i][c];
}

/* ---- raw SQLite ------------------------------------------------------- */

static int raw_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "bench_replica: raw sqlite: %s\n", msg ? msg : "?");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Inserts the rows raw; returns the seconds taken.  indexes: 0 none,
 * 1 the schema's secondary indexes, 2 the replica's own DDL (with
 * _deleted, a 16-byte _clk, _fold): what the engine's row write costs in
 * SQLite alone, to tell it from the engine's own work. */
static double raw_insert(const char *dir, const struct rows *r, int indexes)
{
	const struct table_desc *t = r->t;
	char path[4200], sql[4096];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	size_t len;
	double t0, t1;

	snprintf(path, sizeof(path), "%s/raw%d.db", dir, indexes);
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    raw_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"))
		exit(1);
	if (indexes == 2) {
		/* the replica's own DDL, from the schema */
		char *ddl = schema_table_ddl(t);

		if (!ddl)
			exit(1);
		snprintf(sql, sizeof(sql), "%s", ddl);
		free(ddl);
	} else {
		len = (size_t)snprintf(sql, sizeof(sql),
				       "CREATE TABLE person (id TEXT PRIMARY KEY NOT NULL");
		for (int c = 0; c < t->ncols; c++)
			len += (size_t)snprintf(sql + len, sizeof(sql) - len,
						", %s %s", t->cols[c].name,
						t->cols[c].type == COL_INT ||
						t->cols[c].type == COL_BOOL ?
						"INTEGER" : "TEXT");
		snprintf(sql + len, sizeof(sql) - len, ");%s", indexes ?
			 " CREATE INDEX person_ward ON person(ward);"
			 " CREATE INDEX person_citizen_id ON person(citizen_id);" : "");
	}
	if (raw_exec(db, sql))
		exit(1);
	len = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO person VALUES (?");
	for (int c = 0; c < t->ncols; c++)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, ", ?");
	snprintf(sql + len, sizeof(sql) - len, "%s)",
		 indexes == 2 ? ", 0, ?, ?" : "");

	t0 = now();
	if (raw_exec(db, "BEGIN") ||
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		exit(1);
	for (long i = 0; i < r->n; i++) {
		sqlite3_bind_text(st, 1, r->ids[i], STORE_ID_LEN, SQLITE_STATIC);
		for (int c = 0; c < t->ncols; c++) {
			const char *v = val(r, i, c);

			if (!v)
				sqlite3_bind_null(st, c + 2);
			else if (t->cols[c].type == COL_INT || t->cols[c].type == COL_BOOL)
				sqlite3_bind_int64(st, c + 2, strtoll(v, NULL, 10));
			else
				sqlite3_bind_text(st, c + 2, v, -1, SQLITE_STATIC);
		}
		if (indexes == 2) {
			static const unsigned char clk[16] = { 1, 16 };

			sqlite3_bind_blob(st, t->ncols + 2, clk, 16, SQLITE_STATIC);
			sqlite3_bind_text(st, t->ncols + 3, val(r, i, 1), -1,
					  SQLITE_STATIC);
		}
		if (sqlite3_step(st) != SQLITE_DONE) {
			fprintf(stderr, "bench_replica: raw insert: %s\n",
				sqlite3_errmsg(db));
			exit(1);
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	if (raw_exec(db, "COMMIT"))
		exit(1);
	t1 = now();
	sqlite3_close(db);
	return t1 - t0;
}

/* ---- through the library ---------------------------------------------- */

static double capture(struct node *n, const struct rows *r)
{
	const char *vals[SCHEMA_MAX_COLUMNS];
	double t0 = now();

	if (store_begin(n->store, "Nguyễn Thị Thu Hà", "nhập danh sách thanh niên"))
		die("store_begin");
	for (long i = 0; i < r->n; i++) {
		for (int c = 0; c < r->t->ncols; c++)
			vals[c] = val(r, i, c);
		if (store_insert(n->store, r->t, vals, NULL, NULL))
			die("store_insert");
	}
	if (store_commit(n->store))
		die("store_commit");
	return now() - t0;
}

struct blob {
	unsigned char *b;
	size_t len;
};

struct blobs {
	struct blob *v;
	size_t n, cap;
};

static int collect(void *ctx, const struct changeset_info *ci,
		   const unsigned char *b, size_t len)
{
	struct blobs *x = ctx;

	(void)ci;
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 64;
		x->v = realloc(x->v, x->cap * sizeof(*x->v));
		if (!x->v)
			die("out of memory");
	}
	x->v[x->n].b = xmalloc(len);
	memcpy(x->v[x->n].b, b, len);
	x->v[x->n++].len = len;
	return 0;
}

static double apply(struct node *to, const struct blobs *cs, long *rows)
{
	struct apply_result res;
	double t0 = now();

	*rows = 0;
	if (store_batch_begin(to->store))
		die("store_batch_begin");
	for (size_t i = 0; i < cs->n; i++) {
		if (store_apply(to->store, cs->v[i].b, cs->v[i].len, &res))
			die("store_apply");
		*rows += res.nchanges;
	}
	if (store_batch_commit(to->store))
		die("store_batch_commit");
	return now() - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define MAX_ROUNDS 15

/* One round on fresh replicas: raw insert, capture, apply. */
static void round_run(const struct rows *rows, int first, double out[5])
{
	struct blobs cs = { 0 };
	struct node *ward, *hub;
	unsigned char d1[32], d2[32];
	long applied = 0;
	char *dir = tn_tmpdir();

	ward = tn_node(dir, STORE_ROLE_WARD, "an-lac", "binh-tan");
	hub = tn_node(dir, STORE_ROLE_HUB, "binh-tan", NULL);
	tn_introduce((struct node *[]){ ward, hub }, 2);
	out[3] = first ? raw_insert(dir, rows, 0) : 0;
	out[4] = first ? raw_insert(dir, rows, 2) : 0;
	out[0] = raw_insert(dir, rows, 1);
	out[1] = capture(ward, rows);
	if (store_changesets(ward->store, 0, NULL, NULL, collect, &cs))
		die("store_changesets");
	out[2] = apply(hub, &cs, &applied);
	if (store_digest(ward->store, NULL, d1) || store_digest(hub->store, NULL, d2))
		die("store_digest");
	if (applied != rows->n || memcmp(d1, d2, 32) != 0) {
		fprintf(stderr, "bench_replica: the applied replica differs "
			"(%ld of %ld rows)\n", applied, rows->n);
		exit(1);
	}
	for (size_t i = 0; i < cs.n; i++)
		free(cs.v[i].b);
	free(cs.v);
	node_close(ward);
	node_close(hub);
	tn_rmtree(dir);
	free(dir);
}

int main(void)
{
	const char *e = getenv("TAPHOP_BENCH_N"), *re = getenv("TAPHOP_BENCH_ROUNDS");
	long n = e && atol(e) > 0 ? atol(e) : 100000;
	int rounds = re && atoi(re) > 0 ? atoi(re) : 3;
	double raw[MAX_ROUNDS], cap[MAX_ROUNDS], app[MAX_ROUNDS];
	double ratio[MAX_ROUNDS], rate[MAX_ROUNDS], o[5], extra[2] = { 0, 0 };
	struct rows rows;

	if (rounds > MAX_ROUNDS)
		rounds = MAX_ROUNDS;
	rows_make(&rows, n, wl_seed());
	for (int i = 0; i < rounds; i++) {
		round_run(&rows, i == 0, o);
		raw[i] = o[0];
		cap[i] = o[1];
		app[i] = o[2];
		ratio[i] = o[1] / o[0];
		rate[i] = o[0] / o[2]; /* apply's row rate as a share of raw's */
		if (getenv("TAPHOP_BENCH_VERBOSE"))
			fprintf(stderr, "round %d: raw %.2f s, capture %.2f s, apply %.2f s\n",
				i + 1, o[0], o[1], o[2]);
		if (i == 0) {
			extra[0] = o[3];
			extra[1] = o[4];
		}
	}
	/* medians over the rounds: one round can be disturbed by the machine */
	printf("raw sqlite: %ld people in %.2f s with the schema's indexes "
	       "(ward, citizen_id), %.2f s without, %.2f s with the replica's "
	       "own DDL (_clk, _fold, its indexes); median of %d rounds\n", n,
	       median(raw, rounds), extra[0], extra[1], rounds);
	{
		double r = median(ratio, rounds), a = median(rate, rounds);

		printf("capture: %ld people in %.2f s (raw sqlite %.2f s) = %.2fx raw "
		       "(goal <= %.1fx)%s\n", n, median(cap, rounds),
		       median(raw, rounds), r, CAPTURE_GOAL,
		       r <= CAPTURE_GOAL ? "" : "  GOAL MISSED");
		printf("apply: %ld people in %.2f s = %.0f rows/s (raw sqlite %.0f "
		       "rows/s) = %.0f%% of raw (goal >= %.0f%%)%s\n", n,
		       median(app, rounds), (double)n / median(app, rounds),
		       (double)n / median(raw, rounds), a * 100, APPLY_GOAL * 100,
		       a >= APPLY_GOAL ? "" : "  GOAL MISSED");
	}
	return 0;
}
