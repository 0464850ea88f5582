/*
 * test_archive.c - the git audit archive and its audit: commits per run of
 * a stream, catch-up after a crash, mirror verification, tampering found
 * and named, a record's history field by field.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <git2.h>
#include <jansson.h>

#include "replicas/archive.h"
#include "replicas/audit.h"
#include "replicas/err.h"
#include "replicas/node.h"
#include "replicas/record_json.h"
#include "replicas/sshsig.h"
#include "tests/lib/testnode.h"

#include "replicas/banned.h"

struct fx {
	char *dir;
	struct node *hub, *ward;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	git_libgit2_init();
	f->dir = tn_tmpdir();
	f->hub = tn_node(f->dir, STORE_ROLE_HUB, "binh-tan", NULL);
	f->ward = tn_node(f->dir, STORE_ROLE_WARD, "an-lac", "binh-tan");
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
	free(f);
	git_libgit2_shutdown();
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
	assert_int_equal(store_begin(s, "Lê Thu Hà", "registration"), 0);
	assert_int_equal(store_insert(s, t, v, NULL, id), 0);
	assert_int_equal(store_commit(s), 0);
}

static void set_name(struct store *s, const char *id, const char *name)
{
	const struct table_desc *t = schema_table_find("person");
	const char *v[SCHEMA_MAX_COLUMNS] = { 0 };

	v[schema_column_find(t, "full_name", false)] = name;
	assert_int_equal(store_begin(s, "Phạm Minh", "typo"), 0);
	assert_int_equal(store_update(s, t, id, v), 0);
	assert_int_equal(store_commit(s), 0);
}

static git_repository *repo_of(struct node *n)
{
	git_repository *r = NULL;
	char *path = node_path(n, ARCHIVE_DIR);

	assert_int_equal(git_repository_open_bare(&r, path), 0);
	free(path);
	return r;
}

static size_t count_commits(struct node *n)
{
	git_repository *r = repo_of(n);
	git_revwalk *w = NULL;
	git_oid oid;
	size_t k = 0;

	assert_int_equal(git_revwalk_new(&w, r), 0);
	assert_int_equal(git_revwalk_push_ref(w, ARCHIVE_BRANCH), 0);
	while (git_revwalk_next(&oid, w) == 0)
		k++;
	git_revwalk_free(w);
	git_repository_free(r);
	return k;
}

/* Whether the head's tree holds path. */
static int head_has(struct node *n, const char *path)
{
	git_repository *r = repo_of(n);
	git_object *o = NULL;
	char spec[600];
	int found;

	snprintf(spec, sizeof(spec), "%s:%s", ARCHIVE_BRANCH, path);
	found = git_revparse_single(&o, r, spec) == 0;
	git_object_free(o);
	git_repository_free(r);
	return found;
}

struct found {
	char all[8192];
	size_t n;
};

static void collect(void *ctx, const char *msg)
{
	struct found *f = ctx;
	size_t len = strlen(f->all);

	f->n++;
	snprintf(f->all + len, sizeof(f->all) - len, "%s\n", msg);
}

static size_t verify(struct node *n, const char *repo, const char *signers,
		     struct found *f)
{
	struct audit_opts o = { 0 };
	struct audit_summary sum;

	memset(f, 0, sizeof(*f));
	o.node = repo ? NULL : n;
	o.repo = repo;
	o.signers = signers;
	o.owner = repo ? store_node_code(n->store) : NULL;
	assert_int_equal(audit_verify(&o, collect, f, &sum), 0);
	if (sum.findings != 0)
		print_message("%s", f->all);
	assert_int_equal(sum.findings, f->n);
	return sum.findings;
}

static void test_archive_commits_and_verifies(void **state)
{
	struct fx *f = *state;
	char a[STORE_ID_LEN + 1], b[STORE_ID_LEN + 1], path[256];
	struct found fd;
	long long pos;

	add_person(f->ward->store, "an-lac", "Nguyễn Văn Đức", a);
	assert_int_equal(archive_update(f->ward), 0);
	assert_int_equal(count_commits(f->ward), 1);
	add_person(f->ward->store, "an-lac", "Trần Thị Bích", b);
	set_name(f->ward->store, a, "Nguyễn Văn Đực");
	/* two change-sets of one stream since the last update: one commit */
	assert_int_equal(archive_update(f->ward), 0);
	assert_int_equal(count_commits(f->ward), 2);
	assert_int_equal(archive_update(f->ward), 0); /* nothing new */
	assert_int_equal(count_commits(f->ward), 2);
	assert_int_equal(archive_position(f->ward, &pos), 0);
	assert_int_equal(pos, 3);
	assert_true(head_has(f->ward, "changesets/an-lac/an-lac/3.pb"));
	snprintf(path, sizeof(path), "records/person/an-lac/%s/%s.json",
		 a + STORE_ID_LEN - ARCHIVE_FANOUT, a);
	assert_true(head_has(f->ward, path));
	assert_int_equal(verify(f->ward, NULL, NULL, &fd), 0);
}

/* A crash between the SQLite commit and the git commit: the next update
 * catches up from the head's Archive-Position. */
static void test_archive_catches_up(void **state)
{
	struct fx *f = *state;
	char id[STORE_ID_LEN + 1];
	struct found fd;
	int i;

	add_person(f->ward->store, "an-lac", "Võ Thị Sáu", id);
	assert_int_equal(archive_update(f->ward), 0);
	for (i = 0; i < 5; i++)
		add_person(f->ward->store, "an-lac", "Lý Tự Trọng", id);
	/* the live replica is ahead: verify says so, naming the stream */
	assert_int_not_equal(verify(f->ward, NULL, NULL, &fd), 0);
	assert_non_null(strstr(fd.all, "stream an-lac/an-lac: the live "
				       "replica holds up to #6, the archive "
				       "only up to #1"));
	assert_int_equal(archive_update(f->ward), 0);
	assert_true(head_has(f->ward, "changesets/an-lac/an-lac/6.pb"));
	assert_int_equal(verify(f->ward, NULL, NULL, &fd), 0);
}

/* The hub archives its own and relayed streams: one commit per run of a
 * stream; a mirror verifies with the signers file alone. */
static void test_archive_hub_and_mirror(void **state)
{
	struct fx *f = *state;
	char id[STORE_ID_LEN + 1], signers[512], mirror[512], cmd[2048];
	char *text = NULL;
	struct found fd;
	FILE *fp;

	add_person(f->ward->store, "an-lac", "Đặng Thùy Trâm", id);
	add_person(f->ward->store, "an-lac", "Phan Đình Giót", id);
	add_person(f->hub->store, "binh-tan", "Hồ Văn Huê", id);
	assert_int_equal(tn_sync(f->ward, f->hub, NULL), 2);
	assert_int_equal(archive_update(f->hub), 0);
	assert_int_equal(count_commits(f->hub), 2);
	assert_true(head_has(f->hub, "changesets/an-lac/an-lac/2.pb"));
	assert_true(head_has(f->hub, "changesets/binh-tan/binh-tan/1.pb"));
	assert_int_equal(verify(f->hub, NULL, NULL, &fd), 0);

	assert_int_equal(audit_signers_format(&text, f->hub->store), 0);
	snprintf(signers, sizeof(signers), "%s/signers", f->dir);
	fp = fopen(signers, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	free(text);
	snprintf(mirror, sizeof(mirror), "%s/mirror.git", f->dir);
	snprintf(cmd, sizeof(cmd),
		 "git clone -q --mirror '%s/binh-tan/archive.git' '%s' && "
		 "git --git-dir='%s' -c gpg.format=ssh "
		 "-c gpg.ssh.allowedSignersFile='%s' verify-commit main "
		 "2>/dev/null",
		 f->dir, mirror, mirror, signers);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(verify(f->hub, mirror, signers, &fd), 0);
}

/* A records file edited in a new commit, signed by a listed key that is
 * not the archiving node's (the hub's, in the ward's archive). */
static void test_audit_finds_foreign_records_edit(void **state)
{
	struct fx *f = *state;
	char id[STORE_ID_LEN + 1], path[256], json[256], *sig = NULL;
	git_repository *r;
	git_commit *head = NULL;
	git_tree *tree = NULL, *ntree = NULL;
	git_signature *who = NULL;
	git_buf buf = { 0 };
	git_oid hid, blob, toid, coid;
	git_tree_update up;
	git_reference *ref = NULL;
	const git_commit *parents[1];
	struct found fd;

	add_person(f->ward->store, "an-lac", "Nguyễn Thị Minh Khai", id);
	assert_int_equal(archive_update(f->ward), 0);
	r = repo_of(f->ward);
	assert_int_equal(git_reference_name_to_id(&hid, r, ARCHIVE_BRANCH), 0);
	assert_int_equal(git_commit_lookup(&head, r, &hid), 0);
	assert_int_equal(git_commit_tree(&tree, head), 0);
	snprintf(path, sizeof(path), "records/person/an-lac/%s/%s.json",
		 id + STORE_ID_LEN - ARCHIVE_FANOUT, id);
	snprintf(json, sizeof(json), "{\n  \"full_name\": \"Someone Else\",\n"
		 "  \"id\": \"%s\"\n}\n", id);
	assert_int_equal(git_blob_create_from_buffer(&blob, r, json,
						     strlen(json)), 0);
	up = (git_tree_update){ GIT_TREE_UPDATE_UPSERT, blob,
				GIT_FILEMODE_BLOB, path };
	assert_int_equal(git_tree_create_updated(&toid, r, tree, 1, &up), 0);
	assert_int_equal(git_tree_lookup(&ntree, r, &toid), 0);
	assert_int_equal(git_signature_now(&who, "an-lac",
					   "an-lac@taphop.invalid"), 0);
	parents[0] = head;
	assert_int_equal(git_commit_create_buffer(&buf, r, who, who, NULL,
						  "fix\n", ntree, 1, parents),
			 0);
	assert_int_equal(sshsig_sign(&sig, buf.ptr, buf.size, "git",
				     f->hub->keys.sign_sk), 0);
	assert_int_equal(git_commit_create_with_signature(&coid, r, buf.ptr,
							  sig, NULL), 0);
	assert_int_equal(git_reference_create(&ref, r, ARCHIVE_BRANCH, &coid,
					      1, NULL), 0);

	assert_int_not_equal(verify(f->ward, NULL, NULL, &fd), 0);
	assert_non_null(strstr(fd.all, "signed by 'binh-tan' (a listed key), "
				       "not by the archiving node 'an-lac'"));
	assert_non_null(strstr(fd.all, "changed, but no change-set of that "
				       "commit touches the record"));
	assert_non_null(strstr(fd.all, "field 'full_name' is \"Someone Else\" "
				       "in the archive"));
	free(sig);
	git_buf_dispose(&buf);
	git_signature_free(who);
	git_reference_free(ref);
	git_tree_free(ntree);
	git_tree_free(tree);
	git_commit_free(head);
	git_repository_free(r);
}

struct hist {
	char rows[4096];
	int n;
};

static int on_change(void *ctx, const struct audit_change *c)
{
	struct hist *h = ctx;
	size_t len = strlen(h->rows);

	snprintf(h->rows + len, sizeof(h->rows) - len, "%s|%s|%s|%s|%s\n",
		 c->operator_name, c->field, c->old_value ? c->old_value : "-",
		 c->new_value ? c->new_value : "-", c->reason ? c->reason : "-");
	h->n++;
	return 0;
}

static void test_audit_history_field_by_field(void **state)
{
	struct fx *f = *state;
	char id[STORE_ID_LEN + 1];
	struct hist h = { "", 0 };

	add_person(f->ward->store, "an-lac", "Nguyễn Văn Trỗi", id);
	set_name(f->ward->store, id, "Nguyễn Văn Trổi");
	assert_int_equal(audit_history(f->ward->store, id, on_change, &h), 0);
	assert_non_null(strstr(h.rows, "Lê Thu Hà|full_name|-|Nguyễn Văn Trỗi|"
				       "registration\n"));
	assert_non_null(strstr(h.rows, "Phạm Minh|full_name|Nguyễn Văn Trỗi|"
				       "Nguyễn Văn Trổi|typo\n"));
	assert_int_equal(audit_history(f->ward->store,
				       "00000000-0000-7000-8000-000000000000",
				       on_change, &h), ERR_NOTFOUND);
}

/* The record path fans out by the id's last two characters, and refuses
 * what would not be a safe path. */
static void test_archive_record_path_fans_out(void **state)
{
	char p[ARCHIVE_PATH_MAX];

	(void)state;
	assert_int_equal(archive_record_path(p, sizeof(p), "person", "an-lac",
			 "01a21832-0e80-7ed2-871e-864ecf3d6f25"), 0);
	assert_string_equal(p, "records/person/an-lac/25/"
			       "01a21832-0e80-7ed2-871e-864ecf3d6f25.json");
	assert_int_equal(archive_record_path(p, sizeof(p), "person", "an-lac",
					     "ab"), ERR_INVALID);
	assert_int_equal(archive_record_path(p, sizeof(p), "person", "an-lac",
					     "x.."), ERR_INVALID);
	assert_int_equal(archive_record_path(p, sizeof(p), "person", "a/b",
					     "0123456789"), ERR_INVALID);
}

/* record_json_format gives jansson's sorted, indented dump of the record
 * (the form every archived file has, whatever writes it) plus a final
 * newline, and refuses what json_string() refuses (not UTF-8). */
static void test_record_json_matches_jansson(void **state)
{
	const struct table_desc *t = schema_table_find("person");
	struct record r;
	char val[64], *mine, *ref;
	size_t len, n, i;
	json_t *o, *v;
	int k, iter, rc;

	(void)state;
	srand(7);
	for (iter = 0; iter < 3000; iter++) {
		memset(&r, 0, sizeof(r));
		r.t = t;
		r.deleted = iter % 3 == 0;
		snprintf(r.id, sizeof(r.id), "0190%04x-0000-7000-8000-00000000%04x",
			 iter, iter);
		o = json_object();
		json_object_set_new(o, "id", json_string(r.id));
		json_object_set_new(o, "_deleted", json_boolean(r.deleted));
		for (k = 0; k < t->ncols; k++) {
			n = (size_t)(rand() % 12);
			for (i = 0; i < n; i++) /* ASCII, controls, UTF-8 bytes */
				val[i] = (char)(iter < 2000
						? "a\"\\/\x01\x1f\x7f\n\t\xc3\xa1 "
						  [rand() % 12]
						: 1 + rand() % 255);
			val[n] = '\0';
			r.vals[k] = rand() % 5 == 0 ? NULL : strdup(val);
			v = r.vals[k] ? json_string(r.vals[k]) : json_null();
			if (v != NULL)
				json_object_set_new(o, t->cols[k].name, v);
			else
				json_object_set_new(o, t->cols[k].name,
						    json_string("INVALID"));
		}
		rc = record_json_format(&mine, &len, &r);
		ref = json_dumps(o, JSON_SORT_KEYS | JSON_INDENT(2));
		assert_non_null(ref);
		if (strstr(ref, "INVALID") != NULL) {
			assert_int_equal(rc, ERR_INVALID);
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(len, strlen(mine));
			assert_int_equal(mine[len - 1], '\n');
			mine[len - 1] = '\0';
			assert_string_equal(mine, ref);
			free(mine);
		}
		free(ref);
		json_decref(o);
		for (k = 0; k < t->ncols; k++)
			free(r.vals[k]);
	}
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The canonical text byte for byte, as archived files and the audit's
 * replay have it: "_deleted" then the other keys sorted bytewise, one per
 * line, two-space indent, Vietnamese kept as UTF-8 (not \u escapes),
 * quotes and control characters escaped, null for no value, a final
 * newline.  The expected text is built from the schema's column names, so
 * a new column does not break the test. */
static void test_record_json_canonical_bytes(void **state)
{
	const struct table_desc *t = schema_table_find("person");
	const char *names[SCHEMA_MAX_COLUMNS + 1], *v;
	char *text = NULL, expect[4096];
	struct record r;
	size_t len, n;
	int k, m = 0;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.t = t;
	r.deleted = 1;
	snprintf(r.id, sizeof(r.id), "01a21832-0e80-7ed2-871e-864ecf3d6f25");
	r.vals[schema_column_find(t, "full_name", false)] = "Lê Thu Hà";
	r.vals[schema_column_find(t, "notes", false)] = "a \"b\"\tc\n";
	assert_int_equal(record_json_format(&text, &len, &r), 0);
	assert_int_equal(len, strlen(text));

	for (k = 0; k < t->ncols; k++)
		names[m++] = t->cols[k].name;
	names[m++] = "id";
	qsort(names, (size_t)m, sizeof(*names), cmp_name);
	n = (size_t)snprintf(expect, sizeof(expect), "{\n  \"_deleted\": true");
	for (k = 0; k < m; k++) {
		if (strcmp(names[k], "id") == 0)
			v = "\"01a21832-0e80-7ed2-871e-864ecf3d6f25\"";
		else if (strcmp(names[k], "full_name") == 0)
			v = "\"Lê Thu Hà\"";
		else if (strcmp(names[k], "notes") == 0)
			v = "\"a \\\"b\\\"\\tc\\n\"";
		else
			v = "null";
		n += (size_t)snprintf(expect + n, sizeof(expect) - n,
				      ",\n  \"%s\": %s", names[k], v);
	}
	snprintf(expect + n, sizeof(expect) - n, "\n}\n");
	assert_string_equal(text, expect);
	assert_non_null(strstr(text, "\n  \"full_name\": \"Lê Thu Hà\",\n"));
	free(text);
}

/* Files in n's archive objects/pack whose names end in suffix. */
static int pack_files(struct node *n, const char *suffix)
{
	char *dir = node_path(n, ARCHIVE_DIR "/objects/pack");
	size_t k = strlen(suffix), len;
	struct dirent *e;
	DIR *d;
	int count = 0;

	assert_non_null(dir);
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		len = strlen(e->d_name);
		if (len > k && strcmp(e->d_name + len - k, suffix) == 0)
			count++;
	}
	closedir(d);
	free(dir);
	return count;
}

/* A big update (one pack, checked and indexed by libgit2's indexer,
 * records read in one pass over the table) gives an archive that libgit2
 * reads and that verifies; a later small edit goes on top of it. */
static void test_archive_big_update(void **state)
{
	struct fx *f = *state;
	const struct table_desc *t = schema_table_find("person");
	const char *v[SCHEMA_MAX_COLUMNS] = { 0 };
	char name[64], id[STORE_ID_LEN + 1], first[STORE_ID_LEN + 1];
	char path[ARCHIVE_PATH_MAX];
	git_repository *r;
	git_config *cfg = NULL;
	int64_t x;
	struct found fd;
	int i;

	v[0] = "an-lac";
	v[schema_column_find(t, "birth_date", false)] = "2001-05-17";
	v[schema_column_find(t, "full_name", false)] = name;
	assert_int_equal(store_begin(f->ward->store, "Lê Thu Hà", "import"), 0);
	for (i = 0; i < 1200; i++) {
		snprintf(name, sizeof(name), "Người Thứ %d", i);
		assert_int_equal(store_insert(f->ward->store, t, v, NULL, id), 0);
		if (i == 0)
			memcpy(first, id, sizeof(id));
	}
	assert_int_equal(store_commit(f->ward->store), 0);
	assert_int_equal(archive_update(f->ward), 0);
	snprintf(path, sizeof(path), "records/person/an-lac/%s/%s.json",
		 id + STORE_ID_LEN - ARCHIVE_FANOUT, id);
	assert_true(head_has(f->ward, path));
	/* one pack, and its index written by libgit2's indexer */
	assert_int_equal(pack_files(f->ward, ".pack"), 1);
	assert_int_equal(pack_files(f->ward, ".idx"), 1);
	set_name(f->ward->store, first, "Người Đầu Tiên");
	assert_int_equal(archive_update(f->ward), 0);
	assert_int_equal(count_commits(f->ward), 2);
	assert_int_equal(verify(f->ward, NULL, NULL, &fd), 0);
	assert_int_equal(fd.n, 0);
	/* no packing knobs left in the archive's configuration */
	r = repo_of(f->ward);
	assert_int_equal(git_repository_config_snapshot(&cfg, r), 0);
	assert_int_equal(git_config_get_int64(&x, cfg, "pack.windowMemory"),
			 GIT_ENOTFOUND);
	git_config_free(cfg);
	git_repository_free(r);
}

/* The record file at the head, as text (caller frees). */
static char *head_text(struct node *n, const char *path)
{
	git_repository *r = repo_of(n);
	git_object *o = NULL;
	char spec[600], *text;
	size_t len;

	snprintf(spec, sizeof(spec), "%s:%s", ARCHIVE_BRANCH, path);
	assert_int_equal(git_revparse_single(&o, r, spec), 0);
	assert_int_equal(git_object_type(o), GIT_OBJECT_BLOB);
	len = (size_t)git_blob_rawsize((git_blob *)o);
	text = malloc(len + 1);
	assert_non_null(text);
	memcpy(text, git_blob_rawcontent((git_blob *)o), len);
	text[len] = '\0';
	git_object_free(o);
	git_repository_free(r);
	return text;
}

/* A big round written as several packs (a small object limit here): the
 * trees of later runs name blobs of packs already written, each commit
 * shows its runs' states only, and stock git accepts the archive. */
static void test_archive_big_update_many_packs(void **state)
{
	struct fx *f = *state;
	const struct table_desc *t = schema_table_find("person");
	const char *v[SCHEMA_MAX_COLUMNS] = { 0 };
	char name[64], id[STORE_ID_LEN + 1], first[STORE_ID_LEN + 1];
	char path[ARCHIVE_PATH_MAX], cmd[1024];
	struct found fd;
	char *text;
	int i;

	assert_int_equal(setenv("TAPHOP_ARCHIVE_PACK_OBJECTS", "100", 1), 0);
	v[0] = "an-lac";
	v[schema_column_find(t, "birth_date", false)] = "2001-05-17";
	v[schema_column_find(t, "full_name", false)] = name;
	assert_int_equal(store_begin(f->ward->store, "Lê Thu Hà", "import"), 0);
	for (i = 0; i < 1200; i++) {
		snprintf(name, sizeof(name), "Người Thứ %d", i);
		assert_int_equal(store_insert(f->ward->store, t, v, NULL, id), 0);
		if (i == 0)
			memcpy(first, id, sizeof(id));
	}
	assert_int_equal(store_commit(f->ward->store), 0);
	/* hub's own stream, then the ward's, the hub's and the ward's again:
	 * four runs, the first record touched in the second and the last */
	add_person(f->hub->store, "binh-tan", "Hồ Văn Huê", id);
	set_name(f->ward->store, first, "Người Đầu Tiên");
	assert_true(tn_sync(f->ward, f->hub, NULL) > 0);
	add_person(f->hub->store, "binh-tan", "Võ Thị Sáu", id);
	set_name(f->ward->store, first, "Người Cuối Cùng");
	assert_true(tn_sync(f->ward, f->hub, NULL) > 0);
	assert_int_equal(archive_update(f->hub), 0);
	assert_int_equal(count_commits(f->hub), 4);
	assert_true(pack_files(f->hub, ".pack") > 1);
	assert_int_equal(pack_files(f->hub, ".pack"),
			 pack_files(f->hub, ".idx"));
	snprintf(path, sizeof(path), "records/person/an-lac/%s/%s.json",
		 first + STORE_ID_LEN - ARCHIVE_FANOUT, first);
	text = head_text(f->hub, path);
	assert_non_null(strstr(text, "Người Cuối Cùng"));
	free(text);
	assert_int_equal(verify(f->hub, NULL, NULL, &fd), 0);
	assert_int_equal(fd.n, 0);
	snprintf(cmd, sizeof(cmd),
		 "git --git-dir='%s/binh-tan/archive.git' fsck --strict "
		 "--no-dangling >/dev/null 2>&1",
		 f->dir);
	assert_int_equal(system(cmd), 0);
	/* a later small round goes on top, loose */
	set_name(f->hub->store, id, "Võ Thị Sáu (Sáu)");
	assert_int_equal(archive_update(f->hub), 0);
	assert_int_equal(count_commits(f->hub), 5);
	assert_int_equal(verify(f->hub, NULL, NULL, &fd), 0);
	assert_int_equal(fd.n, 0);
	assert_int_equal(unsetenv("TAPHOP_ARCHIVE_PACK_OBJECTS"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_archive_commits_and_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_archive_catches_up, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_archive_hub_and_mirror,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_audit_finds_foreign_records_edit, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_audit_history_field_by_field, setup, teardown),
		cmocka_unit_test(test_archive_record_path_fans_out),
		cmocka_unit_test(test_record_json_matches_jansson),
		cmocka_unit_test(test_record_json_canonical_bytes),
		cmocka_unit_test_setup_teardown(test_archive_big_update, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_archive_big_update_many_packs, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
