/*
 * test_capture.c - no write path bypasses change capture.
 *
 * A seeded random workload runs on one ward: inserts, updates (set and
 * clear), deletes, in its own scope and in the district's shared tables,
 * in transactions from one change to more than STORE_MAX_CHANGES (forcing
 * several seals of one stream), some rolled back, some with writes that
 * fail and are refused; the hub edits the same district records meanwhile
 * and the ward applies those change-sets and resolves the conflicts that
 * result (store_conflict_resolve is a write path too).  Then the ward's
 * whole change-set log is replayed into a fresh replica, which must end
 * with the same content (store_digest, and record by record with column
 * stamps), and every stored change-set must verify and chain per stream.
 *
 * TAPHOP_SEED overrides the seed; the seed is printed on failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "replicas/changeset.h"
#include "replicas/err.h"
#include "replicas/node.h"
#include "replicas/validate.h"
#include "tests/lib/testnode.h"
#include "tests/lib/workload.h"

#include "replicas/banned.h"

#define WARD "an-lac"
#define DISTRICT "binh-tan"
#define NTXN 160

static uint64_t seed;

#define CHECK(cond, ...)                                                  \
	do {                                                              \
		if (!(cond)) {                                            \
			print_message("seed %llu (TAPHOP_SEED=%llu): ",   \
				      (unsigned long long)seed,           \
				      (unsigned long long)seed);          \
			print_message(__VA_ARGS__);                       \
			print_message("\n  err: %s\n", err_msg());        \
			fail_msg("%s", #cond);                            \
		}                                                         \
	} while (0)

struct rec {
	const struct table_desc *t;
	char id[STORE_ID_LEN + 1];
	char scope[STORE_CODE_MAX];
	int live;
};

struct model {
	struct rec *v;
	size_t n, cap;
};

struct fx {
	char *dir;
	struct node *ward, *hub, *fresh;
	struct wl_rng rng;
	struct model m;
	long changes[2];       /* expected changes per scope: 0 ward, 1 district */
	uint64_t seals[2];     /* expected stream head per scope */
	long txn_changes[2];
	char rolled_back[64][STORE_ID_LEN + 1];
	int nrolled;
	long ops_ok, ops_refused, big_txns, rollbacks, resolved;
	/* district partners the hub made, edited by both */
	char hub_partner[8][STORE_ID_LEN + 1];
	int nhub_partner;
};

static int scope_idx(const char *scope)
{
	return strcmp(scope, WARD) == 0 ? 0 : 1;
}

static void model_add(struct model *m, const struct table_desc *t,
		      const char *id, const char *scope)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 256;
		m->v = realloc(m->v, m->cap * sizeof(*m->v));
		assert_non_null(m->v);
	}
	m->v[m->n].t = t;
	snprintf(m->v[m->n].id, sizeof(m->v[m->n].id), "%s", id);
	snprintf(m->v[m->n].scope, sizeof(m->v[m->n].scope), "%s", scope);
	m->v[m->n].live = 1;
	m->n++;
}

/* A random live record of t (any scope when scope NULL), or NULL. */
static struct rec *pick_live(struct fx *f, const struct table_desc *t,
			     const char *scope)
{
	for (int tries = 0; tries < 40 && f->m.n; tries++) {
		struct rec *r = &f->m.v[wl_below(&f->rng, (uint32_t)f->m.n)];

		if (r->live && (!t || r->t == t) &&
		    (!scope || strcmp(r->scope, scope) == 0))
			return r;
	}
	for (size_t i = 0; i < f->m.n; i++) /* rare: scan */
		if (f->m.v[i].live && (!t || f->m.v[i].t == t) &&
		    (!scope || strcmp(f->m.v[i].scope, scope) == 0))
			return &f->m.v[i];
	return NULL;
}

/* Fills the REF columns of row: required ones always (0 if impossible). */
static int fill_refs(struct fx *f, struct wl_row *row, unsigned pct)
{
	const struct table_desc *t = row->t;

	for (int i = 1; i < t->ncols; i++) {
		const struct column_desc *c = &t->cols[i];
		struct rec *r;

		if (c->type != COL_REF)
			continue;
		if (!(c->flags & COL_REQUIRED) && !wl_chance(&f->rng, pct))
			continue;
		r = pick_live(f, schema_table_find(c->ref_table), NULL);
		if (!r) {
			if (c->flags & COL_REQUIRED)
				return 0;
			continue;
		}
		wl_row_set(row, i, r->id);
	}
	return 1;
}

static const char *const own_tables[] = {
	"person", "person", "person", "unit", "membership", "transfer",
	"support_case", "party_referral", "activity", "participation",
	"partner",
};
static const char *const shared_tables[] = {
	"partner", "partner", "activity", "activity", "participation",
};

static void op_insert(struct fx *f, const char *scope)
{
	const char *tn = strcmp(scope, WARD) == 0 ?
		own_tables[wl_below(&f->rng, sizeof(own_tables) / sizeof(own_tables[0]))] :
		shared_tables[wl_below(&f->rng, sizeof(shared_tables) / sizeof(shared_tables[0]))];
	const struct table_desc *t = schema_table_find(tn);
	struct wl_row *row = malloc(sizeof(*row));
	char id[STORE_ID_LEN + 1];
	int r;

	assert_non_null(row);
	wl_row_random(&f->rng, t, scope, 50, row);
	if (!fill_refs(f, row, 40)) { /* nothing to refer to yet */
		t = schema_table_find("person");
		wl_row_person(&f->rng, WARD, row);
		scope = WARD;
	}
	r = store_insert(f->ward->store, t, row->vals, NULL, id);
	CHECK(r == 0, "insert %s in %s: %d", t->name, scope, r);
	model_add(&f->m, t, id, scope);
	f->txn_changes[scope_idx(scope)]++;
	f->ops_ok++;
	free(row);
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void op_update(struct fx *f)
{
	struct rec *rc = pick_live(f, NULL, NULL);
	const char *vals[SCHEMA_MAX_COLUMNS] = { 0 };
	char buf[4][WL_VALUE_MAX];
	struct record *cur = NULL;
	int differs = 0, r, k = 0, n;

	if (!rc)
		return;
	assert_int_equal(store_get(f->ward->store, rc->t, rc->id, 0, &cur), 0);
	n = 1 + (int)wl_below(&f->rng, 3);
	for (int j = 0; j < n; j++) {
		int ci = 1 + (int)wl_below(&f->rng, (uint32_t)rc->t->ncols - 1);
		const struct column_desc *c = &rc->t->cols[ci];

		if (vals[ci] || (c->flags & COL_IMMUTABLE))
			continue;
		if (!(c->flags & COL_REQUIRED) && wl_chance(&f->rng, 10)) {
			vals[ci] = ""; /* clear */
		} else if (c->type == COL_REF) {
			struct rec *t2 = pick_live(f, schema_table_find(c->ref_table),
						   NULL);

			if (!t2)
				continue;
			snprintf(buf[k], WL_VALUE_MAX, "%s", t2->id);
			vals[ci] = buf[k++];
		} else {
			wl_value(&f->rng, rc->t, ci, buf[k], WL_VALUE_MAX);
			vals[ci] = buf[k++];
		}
		if (!same(vals[ci][0] ? vals[ci] : NULL, cur->vals[ci]))
			differs = 1;
	}
	record_free(cur);
	r = store_update(f->ward->store, rc->t, rc->id, vals);
	CHECK(r == 0, "update %s %s: %d", rc->t->name, rc->id, r);
	f->txn_changes[scope_idx(rc->scope)] += differs;
	f->ops_ok++;
}

static void op_delete(struct fx *f)
{
	struct rec *rc = pick_live(f, NULL, NULL);
	int r;

	if (!rc)
		return;
	r = store_delete(f->ward->store, rc->t, rc->id);
	CHECK(r == 0, "delete %s %s: %d", rc->t->name, rc->id, r);
	rc->live = 0;
	f->txn_changes[scope_idx(rc->scope)]++;
	f->ops_ok++;
}

/* Writes that must be refused and leave the transaction usable. */
static void op_refused(struct fx *f)
{
	struct wl_row *row = malloc(sizeof(*row));
	const struct table_desc *person = schema_table_find("person");
	int r = 0, want = 0;

	assert_non_null(row);
	wl_row_person(&f->rng, WARD, row);
	switch (wl_below(&f->rng, 5)) {
	case 0: /* not a real date */
		wl_row_set(row, schema_column_find(person, "birth_date", false),
			   "2001-02-30");
		want = ERR_INVALID;
		r = store_insert(f->ward->store, person, row->vals, NULL, NULL);
		break;
	case 1: /* another ward's people */
		wl_row_set(row, 0, "tan-tao");
		want = ERR_SCOPE;
		r = store_insert(f->ward->store, person, row->vals, NULL, NULL);
		break;
	case 2: /* targets are the district's */
		wl_row_random(&f->rng, schema_table_find("target"), DISTRICT, 50, row);
		want = ERR_SCOPE;
		r = store_insert(f->ward->store, row->t, row->vals, NULL, NULL);
		break;
	case 3: { /* a deleted record cannot be edited */
		const char *vals[SCHEMA_MAX_COLUMNS] = { 0 };

		for (size_t i = 0; i < f->m.n; i++)
			if (!f->m.v[i].live && f->m.v[i].t == person) {
				vals[1] = "Người Đã Xóa";
				want = ERR_NOTFOUND;
				r = store_update(f->ward->store, person, f->m.v[i].id,
						 vals);
				break;
			}
		break;
	}
	default: { /* a reference to nothing */
		const struct table_desc *ms = schema_table_find("membership");
		struct wl_row *m2 = row;

		wl_row_random(&f->rng, ms, WARD, 50, m2);
		wl_row_set(m2, schema_column_find(ms, "person", false),
			   "0190a6e4-7c1b-7d3e-9f00-123456789abc");
		want = ERR_INVALID;
		r = store_insert(f->ward->store, ms, m2->vals, NULL, NULL);
		break;
	}
	}
	CHECK(r == want, "a refused write returned %d, expected %d", r, want);
	f->ops_refused += want != 0;
	free(row);
}

/* ---- the hub's side: concurrent edits of district partners ----------- */

static void hub_edit(struct fx *f)
{
	const struct table_desc *t = schema_table_find("partner");
	const char *vals[SCHEMA_MAX_COLUMNS] = { 0 };
	char buf[WL_VALUE_MAX], id[STORE_ID_LEN + 1];

	assert_int_equal(store_begin(f->hub->store, "Cán bộ quận", NULL), 0);
	if (f->nhub_partner < 8 && (f->nhub_partner < 2 || wl_chance(&f->rng, 30))) {
		struct wl_row row;

		wl_row_random(&f->rng, t, DISTRICT, 60, &row);
		CHECK(store_insert(f->hub->store, t, row.vals, NULL, id) == 0,
		      "hub insert");
		snprintf(f->hub_partner[f->nhub_partner++], STORE_ID_LEN + 1,
			 "%s", id);
	} else {
		int ci = schema_column_find(t, wl_chance(&f->rng, 50) ? "contact"
					    : "address", false);

		wl_value(&f->rng, t, ci, buf, sizeof(buf));
		vals[ci] = buf;
		CHECK(store_update(f->hub->store, t,
				   f->hub_partner[wl_below(&f->rng,
					(uint32_t)f->nhub_partner)], vals) == 0,
		      "hub update");
	}
	CHECK(store_commit(f->hub->store) == 0, "hub commit");
}

/* The ward edits a hub partner it holds (often concurrently). */
static void ward_edit_hub_partner(struct fx *f)
{
	const struct table_desc *t = schema_table_find("partner");
	const char *vals[SCHEMA_MAX_COLUMNS] = { 0 };
	char buf[WL_VALUE_MAX];
	struct record *rec = NULL;
	int ci, differs;

	if (!f->nhub_partner)
		return;
	if (store_get(f->ward->store, t,
		      f->hub_partner[wl_below(&f->rng, (uint32_t)f->nhub_partner)],
		      0, &rec))
		return; /* not received yet */
	ci = schema_column_find(t, wl_chance(&f->rng, 50) ? "contact" : "address",
				false);
	wl_value(&f->rng, t, ci, buf, sizeof(buf));
	vals[ci] = buf;
	differs = !same(buf, rec->vals[ci]);
	CHECK(store_update(f->ward->store, t, rec->id, vals) == 0, "ward update");
	f->txn_changes[1] += differs;
	record_free(rec);
}

static void hub_to_ward(struct fx *f)
{
	int n = tn_sync(f->hub, f->ward, DISTRICT);

	CHECK(n >= 0, "sync hub -> ward");
	for (int i = 0; i < f->nhub_partner; i++) {
		struct record *rec = NULL;
		int found = 0;

		if (store_get(f->ward->store, schema_table_find("partner"),
			      f->hub_partner[i], 1, &rec) == 0) {
			for (size_t j = 0; j < f->m.n; j++)
				found |= strcmp(f->m.v[j].id, rec->id) == 0;
			if (!found)
				model_add(&f->m, rec->t, rec->id, DISTRICT);
			record_free(rec);
		}
	}
}

static int resolve_one(void *ctx, const struct conflict *c)
{
	struct fx *f = ctx;
	const struct table_desc *t = schema_table_find(c->table);
	const char *choice = wl_chance(&f->rng, 50) ? "loser" : "winner";
	struct record *cur = NULL;
	int ci = schema_column_find(t, c->column, false);

	if (store_get(f->ward->store, t, c->record, 0, &cur) != 0)
		choice = "winner"; /* deleted since: nothing to write back */
	CHECK(store_conflict_resolve(f->ward->store, c->id, choice) == 0,
	      "resolve conflict %lld", c->id);
	/* keeping the current value writes it again (so every replica learns
	 * the conflict is settled); taking the other writes it if it differs */
	if (cur && (strcmp(choice, "winner") == 0 ||
		    !same(c->loser_value, cur->vals[ci])))
		f->txn_changes[scope_idx(cur->vals[0])]++;
	record_free(cur);
	f->resolved++;
	return 1; /* one per transaction */
}

/* ---- one transaction -------------------------------------------------- */

static int txn_size(struct fx *f, int i)
{
	unsigned p = wl_below(&f->rng, 100);

	if (i == 20 || i == 55 || i == 90) /* several seals of one stream */
		return 2 * STORE_MAX_CHANGES + 1 + (int)wl_below(&f->rng, 1000);
	if (p < 60)
		return 1 + (int)wl_below(&f->rng, 5);
	if (p < 88)
		return 6 + (int)wl_below(&f->rng, 60);
	if (p < 98)
		return 100 + (int)wl_below(&f->rng, 500);
	return STORE_MAX_CHANGES - 2 + (int)wl_below(&f->rng, 5); /* at the edge */
}

static void run_txn(struct fx *f, int i)
{
	struct model snap = f->m;
	int r, n = txn_size(f, i), rollback = wl_chance(&f->rng, 10);

	/* the big ones: one is abandoned after its mid-transaction seals */
	if (n > STORE_MAX_CHANGES)
		rollback = i == 55;
	snap.cap = f->m.n + 1;
	snap.v = malloc(snap.cap * sizeof(*snap.v));
	assert_non_null(snap.v);
	if (f->m.n)
		memcpy(snap.v, f->m.v, f->m.n * sizeof(*snap.v));
	f->txn_changes[0] = f->txn_changes[1] = 0;
	if (n > STORE_MAX_CHANGES)
		f->big_txns++;
	assert_int_equal(store_begin(f->ward->store, "Nguyễn Thị Thu Hà",
				     wl_chance(&f->rng, 30) ? "cập nhật danh sách" :
				     NULL), 0);
	if (wl_chance(&f->rng, 15)) {
		long long open = 0;

		assert_int_equal(store_conflict_count(f->ward->store, &open), 0);
		if (open)
			store_conflicts(f->ward->store, 0, resolve_one, f);
	}
	for (int k = 0; k < n; k++) {
		unsigned p = wl_below(&f->rng, 100);

		if (n > 1000 || p < 45)
			op_insert(f, wl_chance(&f->rng, 20) ? DISTRICT : WARD);
		else if (p < 75)
			op_update(f);
		else if (p < 85)
			op_delete(f);
		else if (p < 92)
			ward_edit_hub_partner(f);
		else
			op_refused(f);
	}
	if (rollback) {
		for (size_t k = snap.n; k < f->m.n && f->nrolled < 64; k++)
			snprintf(f->rolled_back[f->nrolled++], STORE_ID_LEN + 1,
				 "%s", f->m.v[k].id);
		store_rollback(f->ward->store);
		free(f->m.v);
		f->m = snap;
		f->rollbacks++;
		return;
	}
	r = store_commit(f->ward->store);
	CHECK(r == 0, "commit of %d operations", n);
	free(snap.v);
	for (int s = 0; s < 2; s++) {
		f->changes[s] += f->txn_changes[s];
		f->seals[s] += (uint64_t)(f->txn_changes[s] + STORE_MAX_CHANGES - 1) /
			       STORE_MAX_CHANGES;
	}
}

/* ---- checks ----------------------------------------------------------- */

struct chain {
	struct fx *f;
	struct {
		char origin[STORE_CODE_MAX], scope[STORE_CODE_MAX];
		uint64_t seq;
		unsigned char digest[32];
	} s[8];
	int ns;
	long changes[2];
	int full;     /* change-sets of exactly STORE_MAX_CHANGES changes */
	long count;
};

static int chain_one(void *ctx, const struct changeset_info *ci,
		     const unsigned char *bytes, size_t len)
{
	struct chain *x = ctx;
	struct node_info ni;
	struct changeset *cs = NULL;
	unsigned char d[32], zero[32] = { 0 };
	int k;

	x->count++;
	assert_int_equal(store_node_get(x->f->ward->store, ci->origin, &ni), 0);
	CHECK(changeset_verify(bytes, len, ni.sign_pk, d) == 0,
	      "change-set %s/%s/%llu does not verify", ci->origin, ci->scope,
	      (unsigned long long)ci->seq);
	assert_memory_equal(d, ci->digest, 32);
	assert_int_equal(changeset_decode(&cs, bytes, len), 0);
	assert_string_equal(cs->origin, ci->origin);
	assert_string_equal(cs->scope, ci->scope);
	assert_int_equal(cs->seq, ci->seq);
	assert_true(cs->nchanges >= 1 && cs->nchanges <= STORE_MAX_CHANGES);
	assert_int_equal((long)cs->nchanges, ci->nchanges);
	for (k = 0; k < x->ns; k++)
		if (!strcmp(x->s[k].origin, cs->origin) &&
		    !strcmp(x->s[k].scope, cs->scope))
			break;
	if (k == x->ns) {
		assert_true(x->ns < 8);
		snprintf(x->s[k].origin, STORE_CODE_MAX, "%s", cs->origin);
		snprintf(x->s[k].scope, STORE_CODE_MAX, "%s", cs->scope);
		x->s[k].seq = 0;
		memset(x->s[k].digest, 0, 32);
		x->ns++;
	}
	CHECK(cs->seq == x->s[k].seq + 1, "%s/%s: seq %llu after %llu",
	      cs->origin, cs->scope, (unsigned long long)cs->seq,
	      (unsigned long long)x->s[k].seq);
	CHECK(memcmp(cs->prev_digest, x->s[k].seq ? x->s[k].digest : zero,
		     32) == 0, "%s/%s/%llu does not chain", cs->origin,
	      cs->scope, (unsigned long long)cs->seq);
	x->s[k].seq = cs->seq;
	memcpy(x->s[k].digest, d, 32);
	if (!strcmp(cs->origin, WARD)) {
		x->changes[scope_idx(cs->scope)] += (long)cs->nchanges;
		x->full += cs->nchanges == STORE_MAX_CHANGES;
	}
	/* every change's record belongs to the change-set's scope */
	for (size_t i = 0; i < cs->nchanges; i++)
		for (size_t j = 0; j < cs->changes[i].nfields; j++)
			if (!strcmp(cs->changes[i].fields[j].name, "ward"))
				assert_string_equal(cs->changes[i].fields[j].value,
						    cs->scope);
	changeset_free(cs);
	return 0;
}

static int replay_one(void *ctx, const struct changeset_info *ci,
		      const unsigned char *bytes, size_t len)
{
	struct fx *f = ctx;
	struct apply_result res;
	unsigned char *held = NULL;
	size_t hlen = 0;
	int r = store_apply(f->fresh->store, bytes, len, &res);

	CHECK(r == 0, "replay of %s/%s/%llu", ci->origin, ci->scope,
	      (unsigned long long)ci->seq);
	assert_false(res.duplicate);
	/* stored as they were signed, never re-serialised */
	assert_int_equal(store_changeset_get(f->fresh->store, ci->origin,
					     ci->scope, ci->seq, &held, &hlen), 0);
	assert_int_equal(hlen, len);
	assert_memory_equal(held, bytes, len);
	free(held);
	return 0;
}

static void same_record(struct fx *f, const struct rec *rc)
{
	struct record *a = NULL, *b = NULL;

	CHECK(store_get(f->ward->store, rc->t, rc->id, 1, &a) == 0,
	      "ward lacks %s %s", rc->t->name, rc->id);
	CHECK(store_get(f->fresh->store, rc->t, rc->id, 1, &b) == 0,
	      "replay lacks %s %s", rc->t->name, rc->id);
	CHECK(a->deleted == !rc->live, "%s %s deleted=%d", rc->t->name, rc->id,
	      a->deleted);
	assert_int_equal(a->deleted, b->deleted);
	for (int i = 0; i < rc->t->ncols; i++)
		CHECK(same(a->vals[i], b->vals[i]), "%s %s column %s: '%s' vs '%s'",
		      rc->t->name, rc->id, rc->t->cols[i].name,
		      a->vals[i] ? a->vals[i] : "(null)",
		      b->vals[i] ? b->vals[i] : "(null)");
	for (int i = 0; i <= rc->t->ncols; i++) {
		CHECK(a->stamps[i] == b->stamps[i], "%s %s stamp of slot %d",
		      rc->t->name, rc->id, i);
		assert_string_equal(a->origins[i], b->origins[i]);
	}
	record_free(a);
	record_free(b);
}

struct cset {
	char (*v)[512];
	size_t n, cap;
};

static int collect_conflict(void *ctx, const struct conflict *c)
{
	struct cset *x = ctx;

	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 64;
		x->v = realloc(x->v, x->cap * sizeof(*x->v));
		assert_non_null(x->v);
	}
	snprintf(x->v[x->n++], 512, "%s|%s|%s|%s|%llu|%s", c->table, c->record,
		 c->column, c->loser_origin, (unsigned long long)c->loser_hlc,
		 c->loser_value ? c->loser_value : "(null)");
	return 0;
}

static int cmp512(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* ---- the test --------------------------------------------------------- */

static void test_capture_replay_equals_live(void **state)
{
	struct fx *f = *state;
	struct chain ch;
	struct stream_head *h = NULL;
	struct cset ca = { 0 }, cb = { 0 };
	unsigned char d1[32], d2[32];
	size_t nh = 0;
	int r;

	for (int i = 0; i < NTXN; i++) {
		if (wl_chance(&f->rng, 20))
			hub_edit(f);
		if (wl_chance(&f->rng, 15))
			hub_to_ward(f);
		run_txn(f, i);
	}
	hub_to_ward(f);

	/* rolled-back inserts left nothing */
	for (int i = 0; i < f->nrolled; i++) {
		struct record *rec = NULL;
		int found = 0;

		for (size_t j = 0; j < f->m.n; j++)
			found |= !strcmp(f->m.v[j].id, f->rolled_back[i]);
		if (!found)
			for (int t = 0; t < schema_ntables; t++)
				CHECK(store_get(f->ward->store, schema_tables[t],
						f->rolled_back[i], 1, &rec) ==
				      ERR_NOTFOUND, "rolled back %s is there",
				      f->rolled_back[i]);
	}

	/* every change-set verifies and chains per stream; the counts match */
	memset(&ch, 0, sizeof(ch));
	ch.f = f;
	assert_int_equal(store_changesets(f->ward->store, 0, NULL, NULL,
					  chain_one, &ch), 0);
	CHECK(ch.changes[0] == f->changes[0] && ch.changes[1] == f->changes[1],
	      "changes sealed %ld/%ld, made %ld/%ld", ch.changes[0],
	      ch.changes[1], f->changes[0], f->changes[1]);
	CHECK(ch.full >= 2, "only %d full change-sets: no multi-seal", ch.full);
	assert_int_equal(store_streams(f->ward->store, NULL, &h, &nh), 0);
	for (size_t i = 0; i < nh; i++) {
		if (strcmp(h[i].origin, WARD) != 0)
			continue;
		CHECK(h[i].seq == f->seals[scope_idx(h[i].scope)],
		      "stream %s/%s at %llu, expected %llu", h[i].origin,
		      h[i].scope, (unsigned long long)h[i].seq,
		      (unsigned long long)f->seals[scope_idx(h[i].scope)]);
		for (int k = 0; k < ch.ns; k++)
			if (!strcmp(ch.s[k].origin, h[i].origin) &&
			    !strcmp(ch.s[k].scope, h[i].scope))
				assert_memory_equal(ch.s[k].digest, h[i].digest, 32);
	}
	free(h);

	/* replaying the whole log gives the same replica */
	assert_int_equal(store_batch_begin(f->fresh->store), 0);
	r = store_changesets(f->ward->store, 0, NULL, NULL, replay_one, f);
	assert_int_equal(r, 0);
	assert_int_equal(store_batch_commit(f->fresh->store), 0);
	assert_int_equal(store_digest(f->ward->store, NULL, d1), 0);
	assert_int_equal(store_digest(f->fresh->store, NULL, d2), 0);
	CHECK(memcmp(d1, d2, 32) == 0, "replayed replica differs");
	for (int s = 0; s < 2; s++) {
		assert_int_equal(store_digest(f->ward->store, s ? DISTRICT : WARD, d1), 0);
		assert_int_equal(store_digest(f->fresh->store, s ? DISTRICT : WARD, d2), 0);
		assert_memory_equal(d1, d2, 32);
	}
	for (size_t i = 0; i < f->m.n; i++)
		same_record(f, &f->m.v[i]);

	/* the replay found the same conflicts the ward recorded */
	assert_int_equal(store_conflicts(f->ward->store, 1, collect_conflict, &ca), 0);
	assert_int_equal(store_conflicts(f->fresh->store, 1, collect_conflict, &cb), 0);
	qsort(ca.v, ca.n, sizeof(*ca.v), cmp512);
	qsort(cb.v, cb.n, sizeof(*cb.v), cmp512);
	CHECK(ca.n == cb.n, "ward has %zu conflicts, replay %zu", ca.n, cb.n);
	for (size_t i = 0; i < ca.n; i++)
		assert_string_equal(ca.v[i], cb.v[i]);
	free(ca.v);
	free(cb.v);

	print_message("capture: seed %llu, %zu records, %ld writes, %ld refused, "
		      "%ld rolled back txns, %ld big txns, %ld change-sets, "
		      "%zu conflicts (%ld resolved)\n", (unsigned long long)seed,
		      f->m.n, f->ops_ok, f->ops_refused, f->rollbacks,
		      f->big_txns, ch.count, ca.n, f->resolved);
}

/* The workload's values are all valid for their columns, as the store
 * would keep them (so tests may compare them with what is stored). */
static void test_capture_workload_values_valid(void **state)
{
	struct fx *f = *state;
	char out[8192];

	for (int i = 0; i < schema_ntables; i++) {
		const struct table_desc *t = schema_tables[i];

		for (int k = 0; k < 300; k++) {
			struct wl_row row;

			wl_row_random(&f->rng, t, wl_ward(&f->rng), 80, &row);
			for (int c = 0; c < t->ncols; c++) {
				int r;

				if (!row.vals[c])
					continue;
				r = validate_value(&t->cols[c], row.vals[c], out,
						   sizeof(out));
				CHECK(r == 0, "%s.%s: %s", t->name, t->cols[c].name,
				      err_msg());
				CHECK(strcmp(out, row.vals[c]) == 0,
				      "%s.%s '%s' is not canonical ('%s')", t->name,
				      t->cols[c].name, row.vals[c], out);
			}
		}
	}
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = tn_tmpdir();
	f->ward = tn_node(f->dir, STORE_ROLE_WARD, WARD, DISTRICT);
	f->hub = tn_node(f->dir, STORE_ROLE_HUB, DISTRICT, NULL);
	f->fresh = tn_node(f->dir, STORE_ROLE_HUB, "replay", NULL);
	tn_introduce((struct node *[]){ f->ward, f->hub, f->fresh }, 3);
	wl_rng_init(&f->rng, seed);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	node_close(f->ward);
	node_close(f->hub);
	node_close(f->fresh);
	tn_rmtree(f->dir);
	free(f->dir);
	free(f->m.v);
	free(f);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_capture_workload_values_valid,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_capture_replay_equals_live,
						setup, teardown),
	};

	seed = wl_seed();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
