/*
 * archive.c - the signed git audit archive of a node (see archive.h).
 *
 * archive_update() reads the change-sets stored after the Archive-Position
 * trailer of the branch head, groups them into runs of one stream, and for
 * each run writes the signed bytes and the resulting state of the records
 * the run touched with git_tree_create_updated() (no index: a commit costs
 * the paths it touches; records fan out by their id's end, archive.h), then
 * a commit signed in SSHSIG format.  A big update reads its records in one
 * pass over the table and writes its objects as packs of its own.  A
 * round's memory follows the records it touches, not the backlog: each
 * change-set is written and decoded as the log is read, and only its
 * summary and the ids it touches are kept; the objects of a big update are
 * written as a pack whenever they reach PACK_MAX_OBJECTS or PACK_MAX_BYTES.
 * The branch
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
#include <git2/sys/odb_backend.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

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
 * packs (see "objects of a big update"): creating tens of thousands of
 * loose object files costs far more than the rest of the archive.  Smaller
 * updates stay loose (no pile of tiny packs). */
#define PACK_THRESHOLD 200
/* From this many records of one table on (and a quarter of the table or
 * more), they are read in one pass over the table. */
#define SWEEP_MIN 1000
/* A big update writes a pack whenever its batch holds this many objects
 * or bytes, and starts a new one: a round's memory follows the records it
 * touches, not the size of the backlog.  TAPHOP_ARCHIVE_PACK_OBJECTS
 * lowers the count, for the tests. */
#define PACK_MAX_OBJECTS 50000
#define PACK_MAX_BYTES ((size_t)64 << 20)

/* A change-set of the update.  Its bytes are written as a blob and
 * dropped as soon as it is decoded (bytes is set only while it waits for
 * the choice between loose objects and a pack); what commits need of it
 * is in ci. */
struct item {
	struct changeset_info ci;
	unsigned char *bytes;
	size_t len;
	git_oid blob;
};

/* Small strings of the update (ids and scopes of touches), in chunks. */
struct arena {
	struct arena *next;
	size_t used, cap;
	char data[];
};

/* One record touched by an item: read (iteration `iter`) into blob. */
struct touch {
	const struct table_desc *t;
	const char *id;    /* in the update's arena */
	const char *scope;
	size_t item;       /* index of the item that touched it */
	size_t run;
	int iter;
	int absent;        /* evicted from the live tables: file left as is */
	int read;          /* blob (or absent) set */
	git_oid blob;
};

struct run {
	size_t first, last; /* item indices, inclusive */
};

struct update {
	struct node *n;
	git_repository *repo;
	git_odb *odb;          /* with the batch in front, in a big update */
	struct batch *batch;   /* owned by odb */
	struct item *items;
	size_t nitems, capitems;
	struct touch *touches;
	size_t ntouches, captouches;
	struct run *runs;
	size_t nruns;
	long long last_seen;
	struct arena *strings;
	int iter;              /* of the log read in progress */
	int decided;           /* loose objects or a pack: chosen */
	long long changes;     /* in items waiting for that choice */
	size_t pending;        /* items [pending, nitems) wait (bytes kept) */
	size_t pack_objects;   /* PACK_MAX_OBJECTS, or the tests' value */
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
	size_t n = strlen(id);
	const char *bucket = id + (n > ARCHIVE_FANOUT ? n - ARCHIVE_FANOUT : 0);
	int k;

	if (!safe_component(table) || !safe_component(scope) ||
	    !safe_component(id) || n <= ARCHIVE_FANOUT ||
	    !safe_component(bucket))
		return err_set(ERR_INVALID,
			       "'%s/%s/%s' is not a safe archive path", table,
			       scope, id);
	k = snprintf(buf, sz, "records/%s/%s/%s/%s.json", table, scope,
		     bucket, id);
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

/* ---- objects of a big update: packs -----------------------------------
 *
 * A big update (PACK_THRESHOLD changes or more) keeps the objects it makes
 * in memory, in a small object-database backend put in front of the
 * repository's, and writes them as packs, in git's format
 * (version 2): "PACK", the version, the object count; per object a
 * type-and-size header and its bytes deflated by zlib; then the SHA-1 of
 * all that.  Every object is whole (no deltas) and deflated at zlib's
 * fastest level: the archive is written far more often than read, and
 * `git gc` recompresses it when disk space matters.  The stream goes to
 * git_odb_write_pack(), whose indexer inflates and hashes each object
 * again, checks the trailer, and writes the pack and its index itself, so
 * a pack we got wrong is refused here rather than found by an auditor.
 * So one commit of 100,000 records costs a few packs (one per
 * PACK_MAX_OBJECTS objects or PACK_MAX_BYTES, pack_rotate()), not 100,000
 * loose files, nor the packbuilder's delta search; and the packs hold only
 * this update's objects.  A pack is written between libgit2 calls, after
 * which the odb is refreshed: the trees made later name its blobs.
 *
 * Deflating is most of the pack's cost, so a second thread does it while
 * the update goes on reading records and building trees: the batch hands
 * it each object as it is added, and it appends the object's pack entry to
 * the pack body.  The thread touches only that body, its zlib stream and
 * the objects (under the lock, which also guards b->objs and b->n against
 * growing); libgit2 and err_set() stay on the calling thread.
 */

struct obj {
	git_oid oid;
	git_object_t type;
	size_t len;
	unsigned char *data;
};

/* The pack body (entries of objects [0, next)), made by the deflater. */
struct body {
	pthread_t thread;
	int running;          /* thread started, not joined */
	int closing;          /* 1: no more objects, finish; 2: stop now */
	int zrc;              /* Z_OK, or the zlib code that stopped it */
	size_t next;
	z_stream z;
	int z_ready;
	unsigned char *out;
	size_t n, cap;
};

struct batch {
	git_odb_backend parent; /* first: libgit2 sees only this */
	pthread_mutex_t lock;   /* objs and n, against the deflater */
	pthread_cond_t more;
	struct obj *objs;
	size_t n, cap;
	size_t bytes;           /* of the objects' data */
	size_t *slot;           /* open addressing: object index + 1 */
	size_t nslot;           /* a power of two */
	struct body body;
};

/* Appends o's pack entry (type-and-size header, deflated bytes) to the
 * body; Z_OK or a zlib code (Z_MEM_ERROR when out of memory). */
static int body_object(struct body *y, const struct obj *o)
{
	size_t need, cap, size = o->len;
	unsigned char *p;
	int zr;

	if (o->len > UINT_MAX)
		return Z_BUF_ERROR; /* no such record or change-set */
	zr = deflateReset(&y->z);
	if (zr != Z_OK)
		return zr;
	need = 16 + deflateBound(&y->z, (uLong)o->len);
	if (y->cap - y->n < need) {
		cap = y->cap ? y->cap : 1u << 20;
		while (cap - y->n < need)
			cap *= 2;
		p = realloc(y->out, cap);
		if (p == NULL)
			return Z_MEM_ERROR;
		y->out = p;
		y->cap = cap;
	}
	p = y->out + y->n;
	*p = (unsigned char)((o->type << 4) | (size & 0x0f));
	for (size >>= 4; size > 0; size >>= 7) {
		*p++ |= 0x80;
		*p = (unsigned char)(size & 0x7f);
	}
	y->n = (size_t)(++p - y->out);
	y->z.next_in = o->data;
	y->z.avail_in = (uInt)o->len;
	y->z.next_out = p;
	y->z.avail_out = (uInt)(y->cap - y->n < UINT_MAX ? y->cap - y->n
							  : UINT_MAX);
	zr = deflate(&y->z, Z_FINISH); /* room for all: deflateBound */
	y->n = (size_t)(y->z.next_out - y->out);
	return zr == Z_STREAM_END ? Z_OK : zr == Z_OK ? Z_BUF_ERROR : zr;
}

/* The deflater: entries for the objects as they come, until closing and
 * all done, or a failure (kept in zrc). */
static void *body_main(void *arg)
{
	struct batch *b = arg;
	struct body *y = &b->body;
	struct obj o;
	int zr;

	pthread_mutex_lock(&b->lock);
	for (;;) {
		while (y->next == b->n && !y->closing)
			pthread_cond_wait(&b->more, &b->lock);
		if (y->next == b->n || y->closing == 2)
			break;
		o = b->objs[y->next]; /* o.data stays put; objs may move */
		pthread_mutex_unlock(&b->lock);
		zr = body_object(y, &o);
		pthread_mutex_lock(&b->lock);
		if (zr != Z_OK) {
			y->zrc = zr;
			break;
		}
		y->next++;
	}
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

/* Lets the deflater finish (or, if it never started, does its work
 * here); y->zrc tells how it went.  With abandon, it stops at once (the
 * update failed: its pack will not be written). */
static void body_close(struct batch *b, int abandon)
{
	struct body *y = &b->body;

	pthread_mutex_lock(&b->lock);
	y->closing = abandon ? 2 : 1;
	pthread_cond_signal(&b->more);
	pthread_mutex_unlock(&b->lock);
	if (y->running) {
		pthread_join(y->thread, NULL);
		y->running = 0;
	} else if (y->z_ready && !abandon) {
		body_main(b);
	}
}

static size_t oid_hash(const git_oid *oid)
{
	size_t h;

	memcpy(&h, oid->id, sizeof(h));
	return h;
}

static struct obj *batch_find(struct batch *b, const git_oid *oid)
{
	size_t i, k;

	if (b->nslot == 0)
		return NULL;
	for (i = oid_hash(oid) & (b->nslot - 1);; i = (i + 1) & (b->nslot - 1)) {
		k = b->slot[i];
		if (k == 0)
			return NULL;
		if (git_oid_equal(&b->objs[k - 1].oid, oid))
			return &b->objs[k - 1];
	}
}

static int batch_grow(struct batch *b)
{
	size_t nslot = b->nslot ? b->nslot * 2 : 4096, i, j;
	size_t *slot = calloc(nslot, sizeof(*slot));

	if (slot == NULL)
		return -1;
	for (i = 0; i < b->n; i++) {
		for (j = oid_hash(&b->objs[i].oid) & (nslot - 1); slot[j] != 0;
		     j = (j + 1) & (nslot - 1))
			;
		slot[j] = i + 1;
	}
	free(b->slot);
	b->slot = slot;
	b->nslot = nslot;
	return 0;
}

/* Adds an object (copied) unless it is there already, and hands it to the
 * deflater. */
static int batch_add(struct batch *b, const git_oid *oid, const void *data,
		     size_t len, git_object_t type)
{
	struct obj *o, add;
	size_t cap, i;
	int rc = 0;

	if (batch_find(b, oid) != NULL)
		return 0;
	if ((b->n + 1) * 2 > b->nslot && batch_grow(b) < 0)
		return -1;
	add.data = malloc(len ? len : 1);
	if (add.data == NULL)
		return -1;
	memcpy(add.data, data, len);
	add.oid = *oid;
	add.type = type;
	add.len = len;
	pthread_mutex_lock(&b->lock);
	if (b->n == b->cap) {
		cap = b->cap ? b->cap * 2 : 1024;
		o = realloc(b->objs, cap * sizeof(*o));
		if (o == NULL) {
			rc = -1;
			goto done;
		}
		b->objs = o;
		b->cap = cap;
	}
	b->objs[b->n] = add;
	b->bytes += len;
	add.data = NULL; /* transferred */
	for (i = oid_hash(oid) & (b->nslot - 1); b->slot[i] != 0;
	     i = (i + 1) & (b->nslot - 1))
		;
	b->slot[i] = ++b->n;
	pthread_cond_signal(&b->more);
done:
	pthread_mutex_unlock(&b->lock);
	free(add.data);
	return rc;
}

static int batch_read(void **out, size_t *len, git_object_t *type,
		      git_odb_backend *be, const git_oid *oid)
{
	struct obj *o = batch_find((struct batch *)be, oid);

	if (o == NULL)
		return GIT_ENOTFOUND;
	*out = git_odb_backend_data_alloc(be, o->len ? o->len : 1);
	if (*out == NULL)
		return -1;
	memcpy(*out, o->data, o->len);
	*len = o->len;
	*type = o->type;
	return 0;
}

static int batch_read_header(size_t *len, git_object_t *type,
			     git_odb_backend *be, const git_oid *oid)
{
	struct obj *o = batch_find((struct batch *)be, oid);

	if (o == NULL)
		return GIT_ENOTFOUND;
	*len = o->len;
	*type = o->type;
	return 0;
}

static int batch_write(git_odb_backend *be, const git_oid *oid,
		       const void *data, size_t len, git_object_t type)
{
	if (batch_add((struct batch *)be, oid, data, len, type) < 0) {
		git_error_set_oom();
		return -1;
	}
	return 0;
}

static int batch_exists(git_odb_backend *be, const git_oid *oid)
{
	return batch_find((struct batch *)be, oid) != NULL;
}

static void batch_free(git_odb_backend *be)
{
	struct batch *b = (struct batch *)be;
	size_t i;

	if (b->body.running) /* an update that failed before its pack */
		body_close(b, 1);
	if (b->body.z_ready)
		deflateEnd(&b->body.z);
	free(b->body.out);
	for (i = 0; i < b->n; i++)
		free(b->objs[i].data);
	free(b->objs);
	free(b->slot);
	pthread_cond_destroy(&b->more);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

/* Puts a batch backend in front of the repository's object database, and
 * starts its deflater. */
static int batch_mode(struct update *u)
{
	struct batch *b = calloc(1, sizeof(*b));
	int zr;

	if (b == NULL)
		return err_set(ERR_NOMEM, "out of memory");
	if (pthread_mutex_init(&b->lock, NULL) != 0) {
		free(b);
		return err_set(ERR_INTERNAL, "archive: cannot make a lock");
	}
	if (pthread_cond_init(&b->more, NULL) != 0) {
		pthread_mutex_destroy(&b->lock);
		free(b);
		return err_set(ERR_INTERNAL, "archive: cannot make a lock");
	}
	git_odb_init_backend(&b->parent, GIT_ODB_BACKEND_VERSION);
	b->parent.read = batch_read;
	b->parent.read_header = batch_read_header;
	b->parent.write = batch_write;
	b->parent.exists = batch_exists;
	b->parent.free = batch_free;
	if (git_repository_odb(&u->odb, u->repo) < 0) {
		batch_free(&b->parent);
		return git_fail(ERR_INTERNAL, "cannot open the object database");
	}
	if (git_odb_add_backend(u->odb, &b->parent, 1000) < 0) {
		batch_free(&b->parent); /* not taken by the odb */
		return git_fail(ERR_INTERNAL, "cannot set up a pack");
	}
	u->batch = b; /* owned by the odb from here */
	zr = deflateInit(&b->body.z, 1);
	if (zr != Z_OK)
		return err_set(zr == Z_MEM_ERROR ? ERR_NOMEM : ERR_INTERNAL,
			       "archive: cannot deflate: %s", zError(zr));
	b->body.z_ready = 1;
	/* without a thread, body_close() deflates everything at the end */
	b->body.running = pthread_create(&b->body.thread, NULL, body_main,
					 b) == 0;
	return 0;
}

/* Empties a batch whose pack is written (its deflater done), and starts
 * its deflater again for the next pack. */
static void batch_reset(struct batch *b)
{
	struct body *y = &b->body;
	size_t i;

	for (i = 0; i < b->n; i++)
		free(b->objs[i].data);
	b->n = 0;
	b->bytes = 0;
	if (b->nslot > 0)
		memset(b->slot, 0, b->nslot * sizeof(*b->slot));
	y->closing = 0;
	y->zrc = Z_OK;
	y->next = 0;
	y->n = 0;
	y->running = pthread_create(&y->thread, NULL, body_main, b) == 0;
}

/* Writes a blob: into the batch (hashed here; no look-up of the object on
 * disk, no freshening), or loose in a small update. */
static int blob_write(struct update *u, git_oid *out, const void *data,
		      size_t len)
{
	if (u->batch == NULL)
		return git_blob_create_from_buffer(out, u->repo, data, len);
	if (git_odb_hash(out, data, len, GIT_OBJECT_BLOB) < 0)
		return -1;
	if (batch_add(u->batch, out, data, len, GIT_OBJECT_BLOB) < 0) {
		git_error_set_oom();
		return -1;
	}
	return 0;
}

/* -- the pack, through libgit2's indexer -- */

#define CHUNK ((size_t)1 << 20)

/* Hands data to the indexer in chunks, hashing it on the way. */
static int pack_append(git_odb_writepack *wp, git_indexer_progress *stats,
		       EVP_MD_CTX *sha, const unsigned char *data, size_t n)
{
	size_t k;

	for (; n > 0; data += k, n -= k) {
		k = n < CHUNK ? n : CHUNK;
		if (EVP_DigestUpdate(sha, data, k) != 1)
			return err_set(ERR_CRYPTO, "archive: cannot hash the pack");
		if (wp->append(wp, data, k, stats) < 0)
			return git_fail(ERR_IO, "cannot write a pack");
	}
	return 0;
}

/* Writes what the batch holds as one pack, through libgit2's indexer
 * (which names it objects/pack/pack-<sum>.{pack,idx} and writes the index
 * last: a reader only sees a pack by its index). */
static int pack_flush(struct update *u)
{
	struct batch *b = u->batch;
	struct body *y;
	git_odb_writepack *wp = NULL;
	git_indexer_progress stats = { 0 };
	EVP_MD_CTX *sha = NULL;
	unsigned char hdr[12], sum[EVP_MAX_MD_SIZE];
	unsigned int nsum = 0;
	int rc;

	if (b == NULL || b->n == 0)
		return 0;
	y = &b->body;
	body_close(b, 0);
	if (y->zrc != Z_OK)
		return err_set(y->zrc == Z_MEM_ERROR ? ERR_NOMEM : ERR_INTERNAL,
			       "archive: cannot deflate an object: %s",
			       zError(y->zrc));
	if (b->n > UINT32_MAX)
		return err_set(ERR_INVALID, "archive: too many objects for a pack");
	sha = EVP_MD_CTX_new();
	if (sha == NULL || EVP_DigestInit_ex(sha, EVP_sha1(), NULL) != 1) {
		rc = err_set(ERR_CRYPTO, "archive: cannot hash the pack");
		goto done;
	}
	if (git_odb_write_pack(&wp, u->odb, NULL, NULL) < 0) {
		wp = NULL;
		rc = git_fail(ERR_IO, "cannot start a pack");
		goto done;
	}
	memcpy(hdr, "PACK\0\0\0\2", 8);
	hdr[8] = (unsigned char)(b->n >> 24);
	hdr[9] = (unsigned char)(b->n >> 16);
	hdr[10] = (unsigned char)(b->n >> 8);
	hdr[11] = (unsigned char)b->n;
	rc = pack_append(wp, &stats, sha, hdr, sizeof(hdr));
	if (rc == 0)
		rc = pack_append(wp, &stats, sha, y->out, y->n);
	if (rc < 0)
		goto done;
	if (EVP_DigestFinal_ex(sha, sum, &nsum) != 1 || nsum != GIT_OID_RAWSZ) {
		rc = err_set(ERR_CRYPTO, "archive: cannot hash the pack");
		goto done;
	}
	/* the trailer, which the indexer checks against its own hash */
	if (wp->append(wp, sum, nsum, &stats) < 0 ||
	    wp->commit(wp, &stats) < 0) {
		rc = git_fail(ERR_IO, "cannot write a pack");
		goto done;
	}
	if (git_odb_refresh(u->odb) < 0) {
		rc = git_fail(ERR_IO, "cannot read the new pack");
		goto done;
	}
	rc = 0;
done:
	if (wp != NULL)
		wp->free(wp);
	EVP_MD_CTX_free(sha);
	return rc;
}

/* In a big update, writes the batch as a pack once it is big, and starts
 * a new one.  The pack backend sees the written pack (pack_flush()
 * refreshes the odb), so trees made later find the blobs it holds.  Only
 * between libgit2 calls, never from the batch's own callbacks. */
static int pack_rotate(struct update *u)
{
	struct batch *b = u->batch;
	int rc;

	if (b == NULL ||
	    (b->n < u->pack_objects && b->bytes < PACK_MAX_BYTES))
		return 0;
	rc = pack_flush(u);
	if (rc < 0)
		return rc;
	batch_reset(b);
	return 0;
}

/* ---- collecting change-sets and records -------------------------------- */

/* A copy of s in the update's arena. */
static const char *arena_strdup(struct update *u, const char *s)
{
	size_t len = strlen(s) + 1, cap;
	struct arena *a = u->strings;
	char *p;

	if (a == NULL || a->cap - a->used < len) {
		cap = len > ((size_t)1 << 20) ? len : (size_t)1 << 20;
		a = malloc(sizeof(*a) + cap);
		if (a == NULL)
			return NULL;
		a->next = u->strings;
		a->used = 0;
		a->cap = cap;
		u->strings = a;
	}
	p = a->data + a->used;
	memcpy(p, s, len);
	a->used += len;
	return p;
}

static void arena_free(struct arena *a)
{
	struct arena *next;

	for (; a != NULL; a = next) {
		next = a->next;
		free(a);
	}
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

/* Decodes item i's bytes, writes them as its blob and notes the records
 * it touches (ids and scope copied: the decoded change-set is freed
 * here, and the caller drops the bytes). */
static int item_take(struct update *u, size_t i, const unsigned char *bytes,
		     size_t len)
{
	struct item *it = &u->items[i];
	struct changeset *cs = NULL;
	const struct table_desc *t;
	const char *scope, *id;
	size_t j;
	int rc;

	rc = changeset_decode(&cs, bytes, len);
	if (rc < 0)
		return err_wrap(rc, "change-set %s/%s #%llu", it->ci.origin,
				it->ci.scope, (unsigned long long)it->ci.seq);
	if (blob_write(u, &it->blob, bytes, len) < 0) {
		rc = git_fail(ERR_IO, "cannot write a change-set");
		goto done;
	}
	scope = cs->nchanges > 0 ? arena_strdup(u, cs->scope) : "";
	if (scope == NULL) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto done;
	}
	for (j = 0; j < cs->nchanges; j++) {
		t = schema_table_find(cs->changes[j].table);
		if (t == NULL) {
			rc = err_set(ERR_INVALID,
				     "change-set %s/%s #%llu: unknown table "
				     "'%s'", it->ci.origin, it->ci.scope,
				     (unsigned long long)it->ci.seq,
				     cs->changes[j].table);
			goto done;
		}
		id = arena_strdup(u, cs->changes[j].id);
		if (id == NULL) {
			rc = err_set(ERR_NOMEM, "out of memory");
			goto done;
		}
		rc = touch_add(u, t, id, scope, u->iter, i);
		if (rc < 0)
			goto done;
	}
	rc = pack_rotate(u);
done:
	changeset_free(cs);
	return rc;
}

/* Takes the items that waited for the choice of loose objects or a pack
 * (now made), and frees their bytes. */
static int take_pending(struct update *u)
{
	struct item *it;
	int rc;

	u->decided = 1;
	for (; u->pending < u->nitems; u->pending++) {
		it = &u->items[u->pending];
		rc = item_take(u, u->pending, it->bytes, it->len);
		free(it->bytes);
		it->bytes = NULL;
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* One change-set of the log.  The first read of the log chooses between
 * loose objects and a pack by its number of changes: until that is known
 * (PACK_THRESHOLD reached, or the end of that read) the bytes are kept;
 * after it, each change-set is taken at once, from the log's own bytes. */
static int collect(void *ctx, const struct changeset_info *ci,
		   const unsigned char *bytes, size_t len)
{
	struct update *u = ctx;
	struct item *it, *p;
	size_t cap;
	int rc;

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
	u->nitems++;
	if (ci->local_order > u->last_seen)
		u->last_seen = ci->local_order;
	if (!u->decided) {
		u->changes += ci->nchanges;
		if (u->changes < PACK_THRESHOLD) {
			it->bytes = malloc(len ? len : 1);
			if (it->bytes == NULL)
				return err_set(ERR_NOMEM, "out of memory");
			memcpy(it->bytes, bytes, len);
			it->len = len;
			return 0;
		}
		rc = batch_mode(u);
		if (rc < 0)
			return rc;
		u->nitems--; /* this one is taken from the log's bytes */
		rc = take_pending(u);
		u->nitems++;
		if (rc < 0)
			return rc;
	}
	u->pending = u->nitems;
	return item_take(u, u->nitems - 1, bytes, len);
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

/* Writes record r's canonical text as t's blob. */
static int record_write(struct update *u, struct touch *t,
			const struct record *r)
{
	char *json = NULL;
	size_t len;
	int rc;

	rc = record_json_format(&json, &len, r);
	if (rc < 0)
		return rc;
	if (blob_write(u, &t->blob, json, len) < 0)
		rc = git_fail(ERR_IO, "cannot write a record");
	free(json);
	t->read = 1;
	if (rc == 0)
		rc = pack_rotate(u);
	return rc;
}

/* Reads one record's state into a blob. */
static int record_blob(struct update *u, struct touch *t)
{
	struct record *r = NULL;
	int rc;

	rc = store_get(u->n->store, t->t, t->id, 1, &r);
	if (rc == ERR_NOTFOUND) {
		t->absent = 1;
		t->read = 1;
		return 0;
	}
	if (rc < 0)
		return rc;
	rc = record_write(u, t, r);
	record_free(r);
	return rc;
}

/* A pass over a table's live records, for the touched ones among them. */
struct sweep {
	struct update *u;
	struct touch **v; /* the first touch of each record, by id */
	size_t n;
};

static int by_id(const void *a, const void *b)
{
	return strcmp((*(struct touch *const *)a)->id,
		      (*(struct touch *const *)b)->id);
}

static int sweep_record(void *ctx, const struct record *r)
{
	struct sweep *s = ctx;
	size_t lo = 0, hi = s->n, mid;
	int rc;

	while (lo < hi) { /* the first touch of this id */
		mid = lo + (hi - lo) / 2;
		if (strcmp(s->v[mid]->id, r->id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < s->n && strcmp(s->v[lo]->id, r->id) == 0; lo++) {
		rc = record_write(s->u, s->v[lo], r);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Reads, in one pass over table t, the records of touches [a, b) (sorted,
 * those of t) when they are many and a good part of the table: one query
 * instead of a look-up each.  The rest (deleted or evicted records, small
 * shares) are left for record_blob(). */
static int sweep_table(struct update *u, size_t a, size_t b)
{
	struct sweep s = { .u = u };
	long long live = 0;
	size_t i;
	int rc;

	for (i = a; i < b; i++)
		if (i == a || !same_record(&u->touches[i - 1], &u->touches[i]))
			s.n++;
	if (s.n < SWEEP_MIN)
		return 0;
	rc = store_count(u->n->store, u->touches[a].t, &live);
	if (rc < 0 || (long long)s.n * 4 < live)
		return rc;
	s.v = malloc(s.n * sizeof(*s.v));
	if (s.v == NULL)
		return err_set(ERR_NOMEM, "out of memory");
	for (i = a, s.n = 0; i < b; i++)
		if (i == a || !same_record(&u->touches[i - 1], &u->touches[i]))
			s.v[s.n++] = &u->touches[i];
	qsort(s.v, s.n, sizeof(*s.v), by_id);
	rc = store_scan(u->n->store, u->touches[a].t, 0, sweep_record, &s);
	free(s.v);
	return rc;
}

/* Reads the records of touches [first, ntouches) (those of the last read
 * of the log), once each. */
static int absorb(struct update *u, size_t first)
{
	size_t i, j;
	int rc;

	qsort(u->touches + first, u->ntouches - first, sizeof(*u->touches),
	      touch_cmp);
	for (i = first; i < u->ntouches; i = j) {
		for (j = i; j < u->ntouches && u->touches[j].t == u->touches[i].t;
		     j++)
			;
		rc = sweep_table(u, i, j);
		if (rc < 0)
			return rc;
	}
	for (i = first; i < u->ntouches; i++) {
		if (i > first && same_record(&u->touches[i - 1], &u->touches[i])) {
			u->touches[i].absent = u->touches[i - 1].absent;
			u->touches[i].blob = u->touches[i - 1].blob;
			continue;
		}
		if (u->touches[i].read)
			continue;
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
	char **paths = NULL, path[ARCHIVE_PATH_MAX];
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
	/* paths[] sized to fit: a run may touch every record of a district */
	for (i = run->first; i <= run->last; i++, nup++) {
		it = &u->items[i];
		rc = archive_changeset_path(path, sizeof(path), it->ci.origin,
					    it->ci.scope, it->ci.seq);
		if (rc < 0)
			goto done;
		paths[nup] = strdup(path);
		if (paths[nup] == NULL) {
			rc = err_set(ERR_NOMEM, "out of memory");
			goto done;
		}
		up[nup] = (git_tree_update){ GIT_TREE_UPDATE_UPSERT, it->blob,
					     GIT_FILEMODE_BLOB, paths[nup] };
	}
	for (; *fpos < nfin && fin[*fpos]->run == r; (*fpos)++, nup++) {
		struct touch *t = fin[*fpos];

		rc = archive_record_path(path, sizeof(path), t->t->name,
					 t->scope, t->id);
		if (rc < 0)
			goto done;
		paths[nup] = strdup(path);
		if (paths[nup] == NULL) {
			rc = err_set(ERR_NOMEM, "out of memory");
			goto done;
		}
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

static void update_release(struct update *u)
{
	size_t i;

	for (i = 0; i < u->nitems; i++)
		free(u->items[i].bytes);
	free(u->items);
	arena_free(u->strings);
	free(u->touches);
	free(u->runs);
	git_odb_free(u->odb);
	git_repository_free(u->repo);
}

/* One attempt; ERR_BUSY when another process moved the branch meanwhile. */
static int update_once(struct node *n)
{
	struct update u = { .n = n };
	git_commit *head = NULL, *tip = NULL;
	git_tree *tree = NULL;
	git_reference *ref = NULL;
	struct touch **fin = NULL;
	size_t nfin = 0, from, first, fpos = 0, r;
	const char *env;
	long long pos;
	int rc, iter;

	rc = repo_open(&u.repo, n, 1);
	if (rc < 0)
		goto done;
	rc = head_read(&head, &pos, u.repo);
	if (rc < 0)
		goto done;
	u.last_seen = pos;
	u.pack_objects = PACK_MAX_OBJECTS;
	env = getenv("TAPHOP_ARCHIVE_PACK_OBJECTS");
	if (env != NULL && atol(env) > 0)
		u.pack_objects = (size_t)atol(env);
	/* read the log, then the records, until the log stops growing;
	 * change-sets are written and decoded as they are read (collect) */
	for (iter = 0;; iter++) {
		from = u.nitems;
		first = u.ntouches;
		u.iter = iter;
		rc = store_changesets(n->store, u.last_seen, NULL, NULL,
				      collect, &u);
		if (rc == 0 && !u.decided)
			rc = take_pending(&u); /* a small update: loose */
		if (rc < 0)
			goto done;
		if (u.nitems == from)
			break;
		rc = absorb(&u, first);
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
		if (rc == 0)
			rc = pack_rotate(&u);
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
