/*
 * archive.c - the signed git audit archive of a node (see archive.h).
 *
 * archive_update() reads the change-sets stored after the Archive-Position
 * trailer of the branch head, groups them into runs of one stream, and for
 * each run writes the signed bytes and the resulting state of the records
 * the run touched with git_tree_create_updated() (no index: a commit costs
 * the paths it touches), then a commit signed in SSHSIG format.  The branch
 * moves once, by compare-and-swap from the head it started from; a lost
 * race (another process archived meanwhile) starts over.
 *
 * Consistency without a read transaction: every write to a record stores a
 * change-set in the same SQLite transaction, so after reading the records
 * the log is read again; a record changed since it was read shows up there
 * as a new change-set, and is read again with it.  A record's file is
 * written in the last run of the update that touched it, so no commit shows
 * a state made by a later change-set.
 *
 * Fault injection for the crash tests: TAPHOP_FAULT=archive-start or
 * archive-before-ref kills the process (SIGKILL) at that point.
 */
#include "replicas/archive.h"

#include <git2.h>
#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "replicas/changeset.h"
#include "replicas/err.h"
#include "replicas/hlc.h"
#include "replicas/record_json.h"
#include "replicas/schema.h"
#include "replicas/sshsig.h"

#include "replicas/banned.h"

#define POSITION_TRAILER "Archive-Position"
#define MAX_ATTEMPTS 3
/* From this many changes on, objects are gathered in memory and written as
 * one pack: creating tens of thousands of loose object files costs far more
 * than the rest of the archive.  Smaller updates stay loose (no pile of
 * tiny packs). */
#define PACK_THRESHOLD 200

struct item {
	struct changeset_info ci;
	unsigned char *bytes;
	size_t len;
	struct changeset *cs;
	git_oid blob;
};

/* One record touched by an item: read (iteration `iter`) into blob. */
struct touch {
	const struct table_desc *t;
	const char *id;    /* borrowed from the item's decoded change-set */
	const char *scope;
	size_t item;       /* index of the item that touched it */
	size_t run;
	int iter;
	int absent;        /* evicted from the live tables: file left as is */
	git_oid blob;
};

struct run {
	size_t first, last; /* item indices, inclusive */
};

struct update {
	struct node *n;
	git_repository *repo;
	git_odb *odb;          /* with mempack in front, in pack mode */
	git_odb_backend *mempack;
	struct item *items;
	size_t nitems, capitems;
	struct touch *touches;
	size_t ntouches, captouches;
	struct run *runs;
	size_t nruns;
	long long last_seen;
};

static int git_fail(int code, const char *what)
{
	const git_error *e = git_error_last();

	return err_set(code, "archive: %s: %s", what,
		       e != NULL && e->message != NULL ? e->message : "failed");
}

static void fault_point(const char *name)
{
	const char *f = getenv("TAPHOP_FAULT");

	if (f != NULL && strcmp(f, name) == 0)
		raise(SIGKILL);
}

/* ---- paths ------------------------------------------------------------- */

static int safe_component(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (*p == '\0' || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return 0;
	for (; *p != '\0'; p++)
		if (*p < 0x20 || *p == '/' || *p == '\\' || *p == 0x7f)
			return 0;
	return 1;
}

int archive_changeset_path(char *buf, size_t sz, const char *origin,
			   const char *scope, uint64_t seq)
{
	int k;

	if (!safe_component(origin) || !safe_component(scope))
		return err_set(ERR_INVALID,
			       "'%s/%s' is not a safe archive path", origin,
			       scope);
	k = snprintf(buf, sz, "changesets/%s/%s/%llu.pb", origin, scope,
		     (unsigned long long)seq);
	if (k < 0 || (size_t)k >= sz)
		return err_set(ERR_INVALID, "archive path too long");
	return 0;
}

int archive_record_path(char *buf, size_t sz, const char *table,
			const char *scope, const char *id)
{
	int k;

	if (!safe_component(table) || !safe_component(scope) ||
	    !safe_component(id))
		return err_set(ERR_INVALID,
			       "'%s/%s/%s' is not a safe archive path", table,
			       scope, id);
	k = snprintf(buf, sz, "records/%s/%s/%s.json", table, scope, id);
	if (k < 0 || (size_t)k >= sz)
		return err_set(ERR_INVALID, "archive path too long");
	return 0;
}

/* ---- a small string builder for commit messages ------------------------ */

struct sb {
	char *s;
	size_t n, cap;
	int failed;
};

__attribute__((format(printf, 2, 3)))
static void sb_printf(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	size_t need;
	char *p;
	int k;

	if (b->failed)
		return;
	va_start(ap, fmt);
	k = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (k < 0) {
		b->failed = 1;
		return;
	}
	need = b->n + (size_t)k + 1;
	if (need > b->cap) {
		p = realloc(b->s, need * 2);
		if (p == NULL) {
			b->failed = 1;
			return;
		}
		b->s = p;
		b->cap = need * 2;
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
	va_end(ap);
	b->n += (size_t)k;
}

/* One line of text for a trailer or a signature name: control characters
 * and angle brackets become spaces. */
static void one_line(char *out, size_t sz, const char *in)
{
	size_t i;

	for (i = 0; in[i] != '\0' && i + 1 < sz; i++)
		out[i] = ((unsigned char)in[i] < 0x20 || in[i] == '<' ||
			  in[i] == '>') ? ' ' : in[i];
	out[i] = '\0';
}

/* ---- repository and head ----------------------------------------------- */

static int repo_open(git_repository **out, struct node *n, int create)
{
	git_repository_init_options o;
	char *path = node_path(n, ARCHIVE_DIR);
	int rc;

	git_repository_init_options_init(&o, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	if (path == NULL)
		return err_set(ERR_NOMEM, "out of memory");
	rc = git_repository_open_bare(out, path);
	if (rc == 0)
		goto done;
	if (rc != GIT_ENOTFOUND) {
		rc = git_fail(ERR_IO, path);
		goto done;
	}
	if (!create) {
		rc = err_set(ERR_NOTFOUND, "no archive at '%s'", path);
		goto done;
	}
	o.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
	o.initial_head = "main";
	o.description = "taphop audit archive";
	rc = git_repository_init_ext(out, path, &o);
	if (rc < 0)
		rc = git_fail(ERR_IO, path);
done:
	free(path);
	return rc;
}

/* The head commit (NULL if the branch does not exist yet) and the
 * Archive-Position it records. */
static int head_read(git_commit **out, long long *pos, git_repository *repo)
{
	git_message_trailer_array tr = { 0 };
	git_commit *c = NULL;
	git_oid oid;
	size_t i;
	int rc;

	*out = NULL;
	*pos = 0;
	rc = git_reference_name_to_id(&oid, repo, ARCHIVE_BRANCH);
	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc < 0)
		return git_fail(ERR_IO, "cannot read " ARCHIVE_BRANCH);
	if (git_commit_lookup(&c, repo, &oid) < 0)
		return git_fail(ERR_IO, "cannot read the head commit");
	if (git_message_trailers(&tr, git_commit_message(c)) < 0) {
		rc = git_fail(ERR_INTERNAL, "cannot parse the head's trailers");
		goto done;
	}
	rc = err_set(ERR_INVALID,
		     "archive: head commit %.12s has no " POSITION_TRAILER
		     " trailer", git_oid_tostr_s(&oid));
	for (i = 0; i < tr.count; i++) {
		if (strcmp(tr.trailers[i].key, POSITION_TRAILER) != 0)
			continue;
		*pos = strtoll(tr.trailers[i].value, NULL, 10);
		rc = 0;
	}
	if (rc == 0) {
		*out = c;
		c = NULL; /* transferred */
	}
done:
	git_message_trailer_array_free(&tr);
	git_commit_free(c);
	return rc;
}

int archive_position(struct node *n, long long *out)
{
	git_repository *repo = NULL;
	git_commit *head = NULL;
	int rc;

	git_libgit2_init();
	rc = repo_open(&repo, n, 0);
	if (rc == ERR_NOTFOUND) {
		*out = 0;
		rc = 0;
		goto done;
	}
	if (rc < 0)
		goto done;
	rc = head_read(&head, out, repo);
done:
	git_commit_free(head);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
}

/* ---- collecting change-sets and records -------------------------------- */

static int collect(void *ctx, const struct changeset_info *ci,
		   const unsigned char *bytes, size_t len)
{
	struct update *u = ctx;
	struct item *it, *p;
	size_t cap;

	if (u->nitems == u->capitems) {
		cap = u->capitems ? u->capitems * 2 : 64;
		p = realloc(u->items, cap * sizeof(*p));
		if (p == NULL)
			return err_set(ERR_NOMEM, "out of memory");
		u->items = p;
		u->capitems = cap;
	}
	it = &u->items[u->nitems];
	memset(it, 0, sizeof(*it));
	it->ci = *ci;
	it->bytes = malloc(len ? len : 1);
	if (it->bytes == NULL)
		return err_set(ERR_NOMEM, "out of memory");
	memcpy(it->bytes, bytes, len);
	it->len = len;
	u->nitems++;
	if (ci->local_order > u->last_seen)
		u->last_seen = ci->local_order;
	return 0;
}

static int touch_add(struct update *u, const struct table_desc *t,
		     const char *id, const char *scope, int iter, size_t item)
{
	struct touch *p;
	size_t cap;

	if (u->ntouches == u->captouches) {
		cap = u->captouches ? u->captouches * 2 : 256;
		p = realloc(u->touches, cap * sizeof(*p));
		if (p == NULL)
			return err_set(ERR_NOMEM, "out of memory");
		u->touches = p;
		u->captouches = cap;
	}
	p = &u->touches[u->ntouches++];
	memset(p, 0, sizeof(*p));
	p->t = t;
	p->id = id;
	p->scope = scope;
	p->iter = iter;
	p->item = item;
	return 0;
}

static int touch_cmp(const void *a, const void *b)
{
	const struct touch *x = a, *y = b;
	int c = strcmp(x->t->name, y->t->name);

	if (c == 0)
		c = strcmp(x->scope, y->scope);
	if (c == 0)
		c = strcmp(x->id, y->id);
	if (c == 0)
		c = (x->item > y->item) - (x->item < y->item);
	return c;
}

static int same_record(const struct touch *x, const struct touch *y)
{
	return x->t == y->t && strcmp(x->scope, y->scope) == 0 &&
	       strcmp(x->id, y->id) == 0;
}

/* Reads one record's state into a blob. */
static int record_blob(struct update *u, struct touch *t)
{
	struct record *r = NULL;
	char *json = NULL;
	size_t len;
	int rc;

	rc = store_get(u->n->store, t->t, t->id, 1, &r);
	if (rc == ERR_NOTFOUND) {
		t->absent = 1;
		return 0;
	}
	if (rc < 0)
		return rc;
	rc = record_json_format(&json, &len, r);
	if (rc < 0)
		goto done;
	if (git_blob_create_from_buffer(&t->blob, u->repo, json, len) < 0)
		rc = git_fail(ERR_IO, "cannot write a record");
done:
	free(json);
	record_free(r);
	return rc;
}

/* Decodes items [from, nitems), notes the records they touch, and reads
 * those records (once each) as iteration iter. */
static int absorb(struct update *u, size_t from, int iter)
{
	size_t i, j, first = u->ntouches;
	const struct table_desc *t;
	struct item *it;
	int rc;

	for (i = from; i < u->nitems; i++) {
		it = &u->items[i];
		rc = changeset_decode(&it->cs, it->bytes, it->len);
		if (rc < 0)
			return err_wrap(rc, "change-set %s/%s #%llu",
					it->ci.origin, it->ci.scope,
					(unsigned long long)it->ci.seq);
		if (git_blob_create_from_buffer(&it->blob, u->repo, it->bytes,
						it->len) < 0)
			return git_fail(ERR_IO, "cannot write a change-set");
		for (j = 0; j < it->cs->nchanges; j++) {
			t = schema_table_find(it->cs->changes[j].table);
			if (t == NULL)
				return err_set(ERR_INVALID,
					       "change-set %s/%s #%llu: unknown "
					       "table '%s'", it->ci.origin,
					       it->ci.scope,
					       (unsigned long long)it->ci.seq,
					       it->cs->changes[j].table);
			rc = touch_add(u, t, it->cs->changes[j].id,
				       it->cs->scope, iter, i);
			if (rc < 0)
				return rc;
		}
	}
	qsort(u->touches + first, u->ntouches - first, sizeof(*u->touches),
	      touch_cmp);
	for (i = first; i < u->ntouches; i++) {
		if (i > first && same_record(&u->touches[i - 1], &u->touches[i])) {
			u->touches[i].absent = u->touches[i - 1].absent;
			u->touches[i].blob = u->touches[i - 1].blob;
			continue;
		}
		rc = record_blob(u, &u->touches[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Splits the items into runs of one stream, and gives each record's final
 * state (its last touch, read last) to the run of that touch's item. */
static int plan_runs(struct update *u, struct touch ***finals, size_t *nfinal)
{
	size_t i, k = 0, *run_of;
	struct touch **f;
	struct item *it, *prev;

	u->runs = calloc(u->nitems, sizeof(*u->runs));
	run_of = calloc(u->nitems, sizeof(*run_of));
	f = calloc(u->ntouches + 1, sizeof(*f));
	if (u->runs == NULL || run_of == NULL || f == NULL) {
		free(run_of);
		free(f);
		return err_set(ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < u->nitems; i++) {
		it = &u->items[i];
		prev = u->nruns ? &u->items[u->runs[u->nruns - 1].last] : NULL;
		if (prev != NULL && strcmp(prev->ci.origin, it->ci.origin) == 0 &&
		    strcmp(prev->ci.scope, it->ci.scope) == 0) {
			u->runs[u->nruns - 1].last = i;
		} else {
			u->runs[u->nruns].first = u->runs[u->nruns].last = i;
			u->nruns++;
		}
		run_of[i] = u->nruns - 1;
	}
	qsort(u->touches, u->ntouches, sizeof(*u->touches), touch_cmp);
	for (i = 0; i < u->ntouches; i++) {
		if (i + 1 < u->ntouches &&
		    same_record(&u->touches[i], &u->touches[i + 1]))
			continue;
		u->touches[i].run = run_of[u->touches[i].item];
		if (!u->touches[i].absent)
			f[k++] = &u->touches[i];
	}
	free(run_of);
	*finals = f;
	*nfinal = k;
	return 0;
}

/* ---- commits ----------------------------------------------------------- */

static int message_build(struct sb *m, const struct update *u,
			 const struct run *r)
{
	const struct item *a = &u->items[r->first], *z = &u->items[r->last];
	long long changes = 0;
	char line[512];
	size_t i, count = r->last - r->first + 1;

	for (i = r->first; i <= r->last; i++)
		changes += u->items[i].ci.nchanges;
	sb_printf(m, "%s/%s: %zu change-set%s, %lld change%s\n\n",
		  a->ci.origin, a->ci.scope, count, count == 1 ? "" : "s",
		  changes, changes == 1 ? "" : "s");
	sb_printf(m, "Origin: %s\nScope: %s\nSequence: %llu-%llu\n"
		  "Changes: %lld\n", a->ci.origin, a->ci.scope,
		  (unsigned long long)a->ci.seq, (unsigned long long)z->ci.seq,
		  changes);
	/* one Operator / Reason trailer per distinct value, in order */
	for (i = r->first; i <= r->last; i++) {
		if (i > r->first && strcmp(u->items[i].ci.operator_name,
					   u->items[i - 1].ci.operator_name) == 0)
			continue;
		one_line(line, sizeof(line), u->items[i].ci.operator_name);
		sb_printf(m, "Operator: %s\n", line);
	}
	for (i = r->first; i <= r->last; i++) {
		if (u->items[i].ci.reason[0] == '\0' ||
		    (i > r->first && strcmp(u->items[i].ci.reason,
					    u->items[i - 1].ci.reason) == 0))
			continue;
		one_line(line, sizeof(line), u->items[i].ci.reason);
		sb_printf(m, "Reason: %s\n", line);
	}
	sb_printf(m, POSITION_TRAILER ": %lld\n", z->ci.local_order);
	if (m->failed)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

static int signatures_make(git_signature **author, git_signature **committer,
			   const struct update *u, const struct run *r)
{
	const struct item *z = &u->items[r->last];
	const char *code = store_node_code(u->n->store);
	char name[STORE_CODE_MAX + 208], email[160], op[200];
	int rc;

	one_line(op, sizeof(op), z->ci.operator_name);
	if (op[strspn(op, " ")] == '\0')
		snprintf(name, sizeof(name), "%s", z->ci.origin);
	else
		snprintf(name, sizeof(name), "%s (%s)", op, z->ci.origin);
	snprintf(email, sizeof(email), "%s@" ARCHIVE_EMAIL_DOMAIN,
		 z->ci.origin);
	rc = git_signature_new(author, name, email,
			       (git_time_t)(HLC_MS(z->ci.sealed_hlc) / 1000), 0);
	if (rc < 0)
		return git_fail(ERR_INVALID, "cannot make the author");
	snprintf(email, sizeof(email), "%s@" ARCHIVE_EMAIL_DOMAIN, code);
	rc = git_signature_new(committer, code, email, (git_time_t)time(NULL),
			       0);
	if (rc < 0) {
		git_signature_free(*author);
		*author = NULL;
		return git_fail(ERR_INVALID, "cannot make the committer");
	}
	return 0;
}

/* Writes the commit of run r on top of *parent (NULL for the first), whose
 * tree is *tree; both are replaced by the new commit and tree. */
static int commit_run(struct update *u, size_t r, struct touch **fin,
		      size_t nfin, size_t *fpos, git_commit **parent,
		      git_tree **tree)
{
	const struct run *run = &u->runs[r];
	git_tree_update *up = NULL;
	char **paths = NULL;
	size_t nup = 0, cap, i;
	git_signature *author = NULL, *committer = NULL;
	git_buf buf = { 0 };
	git_tree *ntree = NULL;
	git_commit *ncommit = NULL;
	struct sb msg = { 0 };
	char *sig = NULL;
	git_oid toid, coid;
	const git_commit *parents[1];
	struct item *it;
	int rc;

	cap = run->last - run->first + 1;
	for (i = *fpos; i < nfin && fin[i]->run == r; i++)
		cap++;
	up = calloc(cap, sizeof(*up));
	paths = calloc(cap, sizeof(*paths));
	if (up == NULL || paths == NULL) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto done;
	}
	for (i = run->first; i <= run->last; i++, nup++) {
		it = &u->items[i];
		paths[nup] = malloc(ARCHIVE_PATH_MAX);
		if (paths[nup] == NULL) {
			rc = err_set(ERR_NOMEM, "out of memory");
			goto done;
		}
		rc = archive_changeset_path(paths[nup], ARCHIVE_PATH_MAX,
					    it->ci.origin, it->ci.scope,
					    it->ci.seq);
		if (rc < 0)
			goto done;
		up[nup] = (git_tree_update){ GIT_TREE_UPDATE_UPSERT, it->blob,
					     GIT_FILEMODE_BLOB, paths[nup] };
	}
	for (; *fpos < nfin && fin[*fpos]->run == r; (*fpos)++, nup++) {
		struct touch *t = fin[*fpos];

		paths[nup] = malloc(ARCHIVE_PATH_MAX);
		if (paths[nup] == NULL) {
			rc = err_set(ERR_NOMEM, "out of memory");
			goto done;
		}
		rc = archive_record_path(paths[nup], ARCHIVE_PATH_MAX,
					 t->t->name, t->scope, t->id);
		if (rc < 0)
			goto done;
		up[nup] = (git_tree_update){ GIT_TREE_UPDATE_UPSERT, t->blob,
					     GIT_FILEMODE_BLOB, paths[nup] };
	}
	if (git_tree_create_updated(&toid, u->repo, *tree, nup, up) < 0 ||
	    git_tree_lookup(&ntree, u->repo, &toid) < 0) {
		rc = git_fail(ERR_IO, "cannot write a tree");
		goto done;
	}
	rc = message_build(&msg, u, run);
	if (rc < 0)
		goto done;
	rc = signatures_make(&author, &committer, u, run);
	if (rc < 0)
		goto done;
	parents[0] = *parent;
	if (git_commit_create_buffer(&buf, u->repo, author, committer, NULL,
				     msg.s, ntree, *parent ? 1 : 0,
				     parents) < 0) {
		rc = git_fail(ERR_INTERNAL, "cannot make a commit");
		goto done;
	}
	rc = sshsig_sign(&sig, buf.ptr, buf.size, SSHSIG_NAMESPACE_GIT,
			 u->n->keys.sign_sk);
	if (rc < 0)
		goto done;
	if (git_commit_create_with_signature(&coid, u->repo, buf.ptr, sig,
					     "gpgsig") < 0 ||
	    git_commit_lookup(&ncommit, u->repo, &coid) < 0) {
		rc = git_fail(ERR_IO, "cannot write a commit");
		goto done;
	}
	git_commit_free(*parent);
	git_tree_free(*tree);
	*parent = ncommit;
	*tree = ntree;
	ncommit = NULL; /* transferred */
	ntree = NULL;
	rc = 0;
done:
	for (i = 0; paths != NULL && i < cap; i++)
		free(paths[i]);
	free(paths);
	free(up);
	free(sig);
	free(msg.s);
	git_buf_dispose(&buf);
	git_signature_free(author);
	git_signature_free(committer);
	git_tree_free(ntree);
	git_commit_free(ncommit);
	return rc;
}

static int run_cmp(const void *a, const void *b)
{
	const struct touch *x = *(struct touch *const *)a;
	const struct touch *y = *(struct touch *const *)b;

	return (x->run > y->run) - (x->run < y->run);
}

static int empty_tree(git_tree **out, git_repository *repo)
{
	git_treebuilder *tb = NULL;
	git_oid oid;
	int rc = 0;

	if (git_treebuilder_new(&tb, repo, NULL) < 0 ||
	    git_treebuilder_write(&oid, tb) < 0 ||
	    git_tree_lookup(out, repo, &oid) < 0)
		rc = git_fail(ERR_IO, "cannot write the empty tree");
	git_treebuilder_free(tb);
	return rc;
}

/* Puts an in-memory object store in front of the repository's. */
static int pack_mode(struct update *u)
{
	git_config *cfg = NULL;

	/* a fast pack, not a small one: no delta search over thousands of
	 * similar records (libgit2 1.5 reads its big-file threshold, over
	 * which nothing is deltified, from pack.deltaCacheSize) */
	if (git_repository_config(&cfg, u->repo) == 0) {
		git_config_set_int64(cfg, "pack.windowMemory", 1);
		git_config_set_int64(cfg, "pack.deltaCacheSize", 1);
		git_config_free(cfg);
	}
	if (git_repository_odb(&u->odb, u->repo) < 0 ||
	    git_mempack_new(&u->mempack) < 0)
		return git_fail(ERR_INTERNAL, "cannot set up a pack");
	if (git_odb_add_backend(u->odb, u->mempack, 1000) < 0) {
		u->mempack->free(u->mempack); /* not taken by the odb */
		u->mempack = NULL;
		return git_fail(ERR_INTERNAL, "cannot set up a pack");
	}
	return 0;
}

/* Writes what the in-memory store holds as one pack (with its index). */
static int pack_flush(struct update *u)
{
	git_odb_writepack *wp = NULL;
	git_indexer_progress stats = { 0 };
	git_buf pack = { 0 };
	int rc = 0;

	if (u->mempack == NULL)
		return 0;
	if (git_mempack_dump(&pack, u->repo, u->mempack) < 0 ||
	    git_odb_write_pack(&wp, u->odb, NULL, NULL) < 0 ||
	    wp->append(wp, pack.ptr, pack.size, &stats) < 0 ||
	    wp->commit(wp, &stats) < 0 || git_odb_refresh(u->odb) < 0)
		rc = git_fail(ERR_IO, "cannot write a pack");
	if (wp != NULL)
		wp->free(wp);
	git_buf_dispose(&pack);
	if (rc == 0)
		git_mempack_reset(u->mempack);
	return rc;
}

static void update_release(struct update *u)
{
	size_t i;

	for (i = 0; i < u->nitems; i++) {
		free(u->items[i].bytes);
		changeset_free(u->items[i].cs);
	}
	free(u->items);
	free(u->touches);
	free(u->runs);
	git_odb_free(u->odb);
	git_repository_free(u->repo);
}

static int big_update(const struct update *u)
{
	long long changes = 0;
	size_t i;

	for (i = 0; i < u->nitems; i++)
		changes += u->items[i].ci.nchanges;
	return changes >= PACK_THRESHOLD;
}

/* One attempt; ERR_BUSY when another process moved the branch meanwhile. */
static int update_once(struct node *n)
{
	struct update u = { .n = n };
	git_commit *head = NULL, *tip = NULL;
	git_tree *tree = NULL;
	git_reference *ref = NULL;
	struct touch **fin = NULL;
	size_t nfin = 0, from, fpos = 0, r;
	long long pos;
	int rc, iter;

	rc = repo_open(&u.repo, n, 1);
	if (rc < 0)
		goto done;
	rc = head_read(&head, &pos, u.repo);
	if (rc < 0)
		goto done;
	u.last_seen = pos;
	/* read the log, then the records, until the log stops growing */
	for (iter = 0;; iter++) {
		from = u.nitems;
		rc = store_changesets(n->store, u.last_seen, NULL, NULL,
				      collect, &u);
		if (rc < 0)
			goto done;
		if (u.nitems == from)
			break;
		if (iter == 0 && big_update(&u)) {
			rc = pack_mode(&u);
			if (rc < 0)
				goto done;
		}
		rc = absorb(&u, from, iter);
		if (rc < 0)
			goto done;
	}
	if (u.nitems == 0)
		goto done;
	rc = plan_runs(&u, &fin, &nfin);
	if (rc < 0)
		goto done;
	qsort(fin, nfin, sizeof(*fin), run_cmp);

	if (head != NULL) {
		rc = git_commit_tree(&tree, head);
		if (rc < 0) {
			rc = git_fail(ERR_IO, "cannot read the head's tree");
			goto done;
		}
		rc = git_commit_dup(&tip, head);
		if (rc < 0) {
			rc = git_fail(ERR_INTERNAL, "cannot copy a commit");
			goto done;
		}
	} else {
		rc = empty_tree(&tree, u.repo);
		if (rc < 0)
			goto done;
	}
	for (r = 0; r < u.nruns; r++) {
		rc = commit_run(&u, r, fin, nfin, &fpos, &tip, &tree);
		if (rc < 0)
			goto done;
	}
	rc = pack_flush(&u);
	if (rc < 0)
		goto done;
	fault_point("archive-before-ref");
	rc = git_reference_create_matching(&ref, u.repo, ARCHIVE_BRANCH,
					   git_commit_id(tip), head != NULL,
					   head ? git_commit_id(head) : NULL,
					   "taphop: archive");
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS) {
		rc = err_set(ERR_BUSY, "archive: updated concurrently");
		goto done;
	}
	if (rc < 0) {
		rc = git_fail(ERR_IO, "cannot move " ARCHIVE_BRANCH);
		goto done;
	}
	rc = 0;
done:
	git_reference_free(ref);
	git_commit_free(head);
	git_commit_free(tip);
	git_tree_free(tree);
	free(fin);
	update_release(&u);
	return rc;
}

int archive_update(struct node *n)
{
	int rc = 0, attempt;

	if (n == NULL || n->store == NULL)
		return err_set(ERR_INVALID, "archive: no open node");
	fault_point("archive-start");
	git_libgit2_init();
	/* blobs and trees are written just before the trees naming them */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 0);
	for (attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
		rc = update_once(n);
		if (rc != ERR_BUSY)
			break;
	}
	git_libgit2_shutdown();
	return rc;
}
