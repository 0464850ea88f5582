/*
 * test_store.c - the replica engine: local writes, capture and sealing,
 * validation through the store, apply, idempotence, conflicts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "replicas/changeset.h"
#include "replicas/err.h"
#include "replicas/hlc.h"
#include "replicas/node.h"
#include "tests/lib/testnode.h"

#include "replicas/banned.h"

struct fx {
	char *dir;
	struct node *hub, *ward;
	char *ward_dir;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = tn_tmpdir();
	f->hub = tn_node(f->dir, STORE_ROLE_HUB, "binh-tan", NULL);
	f->ward = tn_node(f->dir, STORE_ROLE_WARD, "an-lac", "binh-tan");
	f->ward_dir = strdup(f->ward->dir);
	tn_introduce((struct node *[]){ f->hub, f->ward }, 2);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	node_close(f->hub);
	node_close(f->ward);
	tn_rmtree(f->dir);
	free(f->dir);
	free(f->ward_dir);
	free(f);
	return 0;
}

static void add_person(struct store *s, const char *ward, const char *name,
		       char *id)
{
	const struct table_desc *t = schema_table_find("person");
	const char *v[SCHEMA_MAX_COLUMNS] = { 0 };

	v[0] = ward;
	v[schema_column_find(t, "full_name", false)] = name;
	v[schema_column_find(t, "birth_date", false)] = "2001-05-17";
	assert_int_equal(store_begin(s, "tester", NULL), 0);
	assert_int_equal(store_insert(s, t, v, NULL, id), 0);
	assert_int_equal(store_commit(s), 0);
}

static void test_store_insert_seals(void **state)
{
	struct fx *f = *state;
	struct record *r = NULL;
	struct stream_head *h = NULL;
	size_t n = 0;
	char id[40];

	add_person(f->ward->store, "an-lac", "Nguyễn Văn Đức", id);
	assert_int_equal(store_get(f->ward->store, schema_table_find("person"),
				   id, 0, &r), 0);
	assert_string_equal(r->vals[1], "Nguyễn Văn Đức");
	record_free(r);
	assert_int_equal(store_streams(f->ward->store, NULL, &h, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].origin, "an-lac");
	assert_int_equal(h[0].seq, 1);
	free(h);
}

static void test_store_rejects_bad_value(void **state)
{
	struct fx *f = *state;
	const struct table_desc *t = schema_table_find("person");
	const char *v[SCHEMA_MAX_COLUMNS] = { 0 };
	long long cnt = -1;

	v[0] = "an-lac";
	v[1] = "Trần Thị B";
	v[2] = "2001-02-31";
	assert_int_equal(store_begin(f->ward->store, "tester", NULL), 0);
	assert_int_equal(store_insert(f->ward->store, t, v, NULL, NULL), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "birth_date"));
	store_rollback(f->ward->store);
	assert_int_equal(store_count(f->ward->store, t, &cnt), 0);
	assert_int_equal(cnt, 0);
}

static void test_store_scope_rights(void **state)
{
	struct fx *f = *state;
	const struct table_desc *t = schema_table_find("person");
	const char *v[SCHEMA_MAX_COLUMNS] = { 0 };

	v[0] = "tan-tao";
	v[1] = "Lê Văn C";
	v[2] = "2000-01-01";
	assert_int_equal(store_begin(f->ward->store, "tester", NULL), 0);
	assert_int_equal(store_insert(f->ward->store, t, v, NULL, NULL), ERR_SCOPE);
	store_rollback(f->ward->store);
}

static void test_store_apply_idempotent(void **state)
{
	struct fx *f = *state;
	unsigned char d1[32], d2[32];
	char id[40];

	add_person(f->ward->store, "an-lac", "Phạm Thị Hoa", id);
	assert_int_equal(tn_sync(f->ward, f->hub, NULL), 1);
	assert_int_equal(tn_sync(f->ward, f->hub, NULL), 0);
	assert_int_equal(store_digest(f->ward->store, NULL, d1), 0);
	assert_int_equal(store_digest(f->hub->store, NULL, d2), 0);
	assert_memory_equal(d1, d2, 32);
}

static void test_store_concurrent_conflict(void **state)
{
	struct fx *f = *state;
	const struct table_desc *t = schema_table_find("partner");
	const char *v[SCHEMA_MAX_COLUMNS] = { 0 };
	unsigned char d1[32], d2[32];
	long long c1 = 0, c2 = 0;
	char id[40];

	v[0] = "binh-tan";
	v[1] = "Ngân hàng Chính sách xã hội";
	v[2] = "bank";
	assert_int_equal(store_begin(f->hub->store, "hub officer", NULL), 0);
	assert_int_equal(store_insert(f->hub->store, t, v, NULL, id), 0);
	assert_int_equal(store_commit(f->hub->store), 0);
	assert_int_equal(tn_sync(f->hub, f->ward, NULL), 1);

	memset(v, 0, sizeof(v));
	v[3] = "Chị Lan";
	assert_int_equal(store_begin(f->hub->store, "hub officer", NULL), 0);
	assert_int_equal(store_update(f->hub->store, t, id, v), 0);
	assert_int_equal(store_commit(f->hub->store), 0);
	v[3] = "Anh Minh";
	assert_int_equal(store_begin(f->ward->store, "ward officer", NULL), 0);
	assert_int_equal(store_update(f->ward->store, t, id, v), 0);
	assert_int_equal(store_commit(f->ward->store), 0);

	assert_true(tn_sync(f->hub, f->ward, NULL) >= 0);
	assert_true(tn_sync(f->ward, f->hub, NULL) >= 0);
	assert_int_equal(store_digest(f->ward->store, NULL, d1), 0);
	assert_int_equal(store_digest(f->hub->store, NULL, d2), 0);
	assert_memory_equal(d1, d2, 32);
	assert_int_equal(store_conflict_count(f->hub->store, &c1), 0);
	assert_int_equal(store_conflict_count(f->ward->store, &c2), 0);
	assert_int_equal(c1, 1);
	assert_int_equal(c2, 1);

	/* the district settles it: the ward's copy of the conflict closes
	 * when the settling change arrives */
	assert_int_equal(store_begin(f->hub->store, "hub officer", NULL), 0);
	assert_int_equal(store_conflict_resolve(f->hub->store, 1, "winner"), 0);
	assert_int_equal(store_commit(f->hub->store), 0);
	assert_int_equal(store_conflict_count(f->hub->store, &c1), 0);
	assert_int_equal(c1, 0);
	assert_true(tn_sync(f->hub, f->ward, NULL) >= 1);
	assert_int_equal(store_conflict_count(f->ward->store, &c2), 0);
	assert_int_equal(c2, 0);
	assert_int_equal(store_digest(f->ward->store, NULL, d1), 0);
	assert_int_equal(store_digest(f->hub->store, NULL, d2), 0);
	assert_memory_equal(d1, d2, 32);
}

/* A replica made by schema version 1 (no person.email) is migrated when
 * opened, keeps its records and stamps, and takes the new column. */
static void test_store_migrates_v1(void **state)
{
	struct fx *f = *state;
	const struct table_desc *t = schema_table_find("person");
	const char *v[SCHEMA_MAX_COLUMNS] = { 0 };
	struct record *r = NULL;
	struct store *s = NULL;
	char id[40], path[4200];
	char *msg = NULL;
	sqlite3 *db = NULL;

	add_person(f->ward->store, "an-lac", "Võ Thị Mai", id);
	snprintf(path, sizeof(path), "%s/replica.db", f->ward->dir);
	node_close(f->ward);
	f->ward = NULL;
	/* turn it back into a version-1 replica */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "ALTER TABLE person DROP COLUMN email;"
				      "UPDATE meta SET value='1' WHERE key='schema_version'",
				      NULL, NULL, &msg), SQLITE_OK);
	sqlite3_close(db);

	assert_int_equal(node_open(&f->ward, f->ward_dir), 0);
	s = f->ward->store;
	assert_int_equal(store_get(s, t, id, 0, &r), 0);
	assert_string_equal(r->vals[1], "Võ Thị Mai");
	assert_int_not_equal(r->stamps[1], 0);
	record_free(r);
	v[schema_column_find(t, "email", false)] = "mai@example.vn";
	assert_int_equal(store_begin(s, "tester", NULL), 0);
	assert_int_equal(store_update(s, t, id, v), 0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_get(s, t, id, 0, &r), 0);
	assert_string_equal(r->vals[schema_column_find(t, "email", false)],
			    "mai@example.vn");
	record_free(r);
}

/* Seals one change from the ward with the ward's key, as a faulty or
 * hostile ward could, and applies it on the hub. */
static int forge_seq(struct node *from, struct node *to, uint64_t seq,
		     const unsigned char *prev, const char *id, uint64_t hlc,
		     const struct cs_field *fields, size_t nf)
{
	struct cs_change ch = { "partner", id, hlc, 0, nf, fields };
	struct changeset cs = { 0 };
	struct apply_result res;
	unsigned char *bytes = NULL;
	size_t len = 0;
	int r;

	cs.origin = store_node_code(from->store);
	cs.scope = "binh-tan";
	cs.seq = seq;
	if (prev)
		memcpy(cs.prev_digest, prev, 32);
	cs.operator_name = "forger";
	cs.schema_version = SCHEMA_VERSION;
	cs.sealed_hlc = hlc_wall_ms() << 16;
	cs.changes = &ch;
	cs.nchanges = 1;
	assert_int_equal(changeset_seal(&cs, from->keys.sign_sk, &bytes, &len,
					cs.digest), 0);
	r = store_apply(to->store, bytes, len, &res);
	free(bytes);
	return r;
}

static int forge_to(struct node *from, struct node *to, const char *id,
		    uint64_t hlc, const struct cs_field *fields, size_t nf)
{
	return forge_seq(from, to, 1, NULL, id, hlc, fields, nf);
}

static int forge_apply(struct fx *f, const char *id, uint64_t hlc,
		       const struct cs_field *fields, size_t nf)
{
	return forge_to(f->ward, f->hub, id, hlc, fields, nf);
}

/* What a peer sends is checked like what an officer types: stamps far in
 * the future, cleared required fields and malformed ids are refused, and
 * nothing of the change-set is stored. */
static void test_store_apply_refuses_bad_peer_input(void **state)
{
	struct fx *f = *state;
	const char *good = "01a21835-9fdd-7135-93cb-81bd6c2d47c4";
	struct cs_field ok[] = { { "ward", "binh-tan" }, { "name", "Ngân hàng" },
				 { "kind", "bank" } };
	struct cs_field cleared[] = { { "ward", "binh-tan" }, { "name", NULL },
				      { "kind", "bank" } };
	uint64_t now = hlc_wall_ms() << 16, ahead = (hlc_wall_ms() + 3 * 86400000ull) << 16;
	struct stream_head *h = NULL;
	size_t nh = 0;

	assert_int_equal(forge_apply(f, good, ahead, ok, 3), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "ahead"));
	assert_int_equal(forge_apply(f, good, UINT64_MAX, ok, 3), ERR_INVALID);
	assert_int_equal(forge_apply(f, good, now, cleared, 3), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "'name'"));
	assert_int_equal(forge_apply(f, "../../../../etc/passwd-xxxxxxxxxxxxx", now,
				     ok, 3), ERR_INVALID);
	assert_int_equal(forge_apply(f, "01A21835-9FDD-7135-93CB-81BD6C2D47C4", now,
				     ok, 3), ERR_INVALID);
	assert_int_equal(store_streams(f->hub->store, NULL, &h, &nh), 0);
	assert_int_equal(nh, 0);
	free(h);
	assert_int_equal(forge_apply(f, good, now, ok, 3), 0);
}

/* Two processes on one replica: one never stamps below what the other
 * has saved, and the file is private. */
static void test_store_clock_shared_between_processes(void **state)
{
	struct fx *f = *state;
	struct node *other = NULL;
	struct record *a = NULL, *b = NULL;
	char id1[40], id2[40], path[4200];
	struct stat sb;

	struct cs_field ok[] = { { "ward", "binh-tan" }, { "name", "Ngân hàng" },
				 { "kind", "bank" } };
	uint64_t hour_ahead = (hlc_wall_ms() + 3600000ull) << 16;

	assert_int_equal(node_open(&other, f->ward_dir), 0);
	/* the first process's clock is pushed an hour ahead by a peer's
	 * stamp, and it writes */
	assert_int_equal(forge_to(f->hub, f->ward,
				  "01a21835-9fdd-7135-93cb-81bd6c2d47c4",
				  hour_ahead, ok, 3), 0);
	add_person(f->ward->store, "an-lac", "Đặng Văn Lâm", id1);
	/* the second, opened before, must stamp after that */
	add_person(other->store, "an-lac", "Hồ Thị Nga", id2);
	assert_int_equal(store_get(f->ward->store, schema_table_find("person"),
				   id1, 0, &a), 0);
	assert_int_equal(store_get(other->store, schema_table_find("person"),
				   id2, 0, &b), 0);
	assert_true(b->stamps[1] > a->stamps[1]);
	record_free(a);
	record_free(b);
	node_close(other);
	snprintf(path, sizeof(path), "%s/replica.db", f->ward_dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 077, 0);
}

/* A stream whose clock goes back is refused: which change-set carried a
 * write is told by its stamps. */
static void test_store_stream_clock_must_rise(void **state)
{
	struct fx *f = *state;
	struct cs_field ok[] = { { "ward", "binh-tan" }, { "name", "Ngân hàng" },
				 { "kind", "bank" } };
	const char *id = "01a21835-9fdd-7135-93cb-81bd6c2d47c4";
	uint64_t now = hlc_wall_ms() << 16;
	struct stream_head *h = NULL;
	size_t nh = 0;

	assert_int_equal(forge_seq(f->ward, f->hub, 1, NULL, id, now, ok, 3), 0);
	assert_int_equal(store_streams(f->hub->store, "binh-tan", &h, &nh), 0);
	assert_int_equal(nh, 1);
	assert_int_equal(forge_seq(f->ward, f->hub, 2, h[0].digest, id,
				   now - 1000, ok, 3), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "clock must rise"));
	assert_int_equal(forge_seq(f->ward, f->hub, 2, h[0].digest, id,
				   now + 1000, ok, 3), 0);
	free(h);
}

/* Deleting a record settles its open conflicts, here and where the delete
 * arrives. */
static void test_store_delete_settles_conflicts(void **state)
{
	struct fx *f = *state;
	const struct table_desc *t = schema_table_find("partner");
	const char *v[SCHEMA_MAX_COLUMNS] = { 0 };
	long long c1 = 0, c2 = 0;
	char id[40];

	v[0] = "binh-tan";
	v[1] = "Trường nghề";
	v[2] = "vocational_school";
	assert_int_equal(store_begin(f->hub->store, "hub", NULL), 0);
	assert_int_equal(store_insert(f->hub->store, t, v, NULL, id), 0);
	assert_int_equal(store_commit(f->hub->store), 0);
	assert_true(tn_sync(f->hub, f->ward, NULL) >= 1);
	memset(v, 0, sizeof(v));
	v[3] = "Cô Hạnh";
	assert_int_equal(store_begin(f->hub->store, "hub", NULL), 0);
	assert_int_equal(store_update(f->hub->store, t, id, v), 0);
	assert_int_equal(store_commit(f->hub->store), 0);
	v[3] = "Thầy Phúc";
	assert_int_equal(store_begin(f->ward->store, "ward", NULL), 0);
	assert_int_equal(store_update(f->ward->store, t, id, v), 0);
	assert_int_equal(store_commit(f->ward->store), 0);
	assert_true(tn_sync(f->hub, f->ward, NULL) >= 0);
	assert_true(tn_sync(f->ward, f->hub, NULL) >= 0);
	assert_int_equal(store_conflict_count(f->ward->store, &c2), 0);
	assert_int_equal(c2, 1);
	assert_int_equal(store_begin(f->hub->store, "hub", "closed"), 0);
	assert_int_equal(store_delete(f->hub->store, t, id), 0);
	assert_int_equal(store_commit(f->hub->store), 0);
	assert_int_equal(store_conflict_count(f->hub->store, &c1), 0);
	assert_int_equal(c1, 0);
	assert_true(tn_sync(f->hub, f->ward, NULL) >= 1);
	assert_int_equal(store_conflict_count(f->ward->store, &c2), 0);
	assert_int_equal(c2, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_store_insert_seals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_rejects_bad_value, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_scope_rights, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_apply_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_concurrent_conflict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_migrates_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_apply_refuses_bad_peer_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_clock_shared_between_processes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_stream_clock_must_rise, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_delete_settles_conflicts, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
