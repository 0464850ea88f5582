/*
 * audit.c - verification and history of the audit archive (see audit.h).
 *
 * audit_verify() walks the branch from the root to the head once.  For
 * each commit it checks the SSHSIG signature and its principal, then diffs
 * the commit's tree against its parent's: change-set files may only be
 * added, and each is decoded, checked (path, signature, stream continuity)
 * and applied at once to a temporary replica; records files may only change
 * where the commit's own change-sets touched.  After the walk the replay is
 * compared with the records tree at the head and with the live replica.
 * Findings are reported through a callback as they are found; only a
 * failure to run at all is an error.
 */
#include "replicas/audit.h"

#include <errno.h>
#include <git2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replicas/archive.h"
#include "replicas/changeset.h"
#include "replicas/err.h"
#include "replicas/hlc.h"
#include "replicas/record_json.h"
#include "replicas/schema.h"
#include "replicas/sshsig.h"

#include "replicas/banned.h"

#define NODE_META "# taphop-node "

static int git_fail(int code, const char *what)
{
	const git_error *e = git_error_last();

	return err_set(code, "%s: %s", what,
		       e != NULL && e->message != NULL ? e->message : "failed");
}

/* ---- trust: signers and nodes ------------------------------------------ */

struct signer {
	char principal[STORE_CODE_MAX];
	unsigned char pk[STORE_PK_LEN];
};

struct trust {
	struct signer *signers;
	size_t nsigners;
	struct node_info *nodes; /* for change-set keys and the replay */
	size_t nnodes;
};

static void trust_release(struct trust *t)
{
	free(t->signers);
	free(t->nodes);
}

static int signer_add(struct trust *t, const char *principal, size_t plen,
		      const unsigned char pk[STORE_PK_LEN])
{
	struct signer *p = realloc(t->signers,
				   (t->nsigners + 1) * sizeof(*p));

	if (p == NULL)
		return err_set(ERR_NOMEM, "out of memory");
	t->signers = p;
	p = &t->signers[t->nsigners++];
	if (plen >= sizeof(p->principal))
		plen = sizeof(p->principal) - 1;
	memcpy(p->principal, principal, plen);
	p->principal[plen] = '\0';
	memcpy(p->pk, pk, STORE_PK_LEN);
	return 0;
}

static struct node_info *node_find(struct trust *t, const char *code)
{
	size_t i;

	for (i = 0; i < t->nnodes; i++)
		if (strcmp(t->nodes[i].code, code) == 0)
			return &t->nodes[i];
	return NULL;
}

static int node_add(struct trust *t, const struct node_info *n)
{
	struct node_info *p = node_find(t, n->code);

	if (p != NULL) {
		*p = *n;
		return 0;
	}
	p = realloc(t->nodes, (t->nnodes + 1) * sizeof(*p));
	if (p == NULL)
		return err_set(ERR_NOMEM, "out of memory");
	t->nodes = p;
	t->nodes[t->nnodes++] = *n;
	return 0;
}

/* "# taphop-node CODE ROLE PARENT BOXKEY" */
static int parse_meta(struct trust *t, const char *line)
{
	char code[STORE_CODE_MAX], role[16], parent[STORE_CODE_MAX], box[128];
	struct node_info n;

	memset(&n, 0, sizeof(n));
	if (sscanf(line, NODE_META "%63s %15s %63s %127s", code, role, parent,
		   box) != 4)
		return 0; /* not ours: a comment */
	snprintf(n.code, sizeof(n.code), "%s", code);
	snprintf(n.scope, sizeof(n.scope), "%s", code);
	snprintf(n.parent, sizeof(n.parent), "%s",
		 strcmp(parent, "-") == 0 ? "" : parent);
	n.role = strcmp(role, "hub") == 0 ? STORE_ROLE_HUB : STORE_ROLE_WARD;
	if (keys_pk_from_text(box, "transport key", n.box_pk) < 0)
		memset(n.box_pk, 0, sizeof(n.box_pk));
	return node_add(t, &n);
}

/* One allowed-signers line: principals [options] ssh-ed25519 KEY [comment].
 * Lines with other key types are skipped. */
static int parse_signer(struct trust *t, const char *line)
{
	const char *p = line, *pend, *q, *start;
	unsigned char pk[STORE_PK_LEN];
	int quoted = 0, rc;

	pend = p + strcspn(p, " \t");
	q = pend + strspn(pend, " \t");
	if (strncmp(q, "ssh-", 4) != 0) {
		/* options: up to unquoted white space */
		for (; *q != '\0' && (quoted || (*q != ' ' && *q != '\t')); q++)
			if (*q == '"')
				quoted = !quoted;
		q += strspn(q, " \t");
	}
	if (sshsig_pubkey_parse(q, pk, NULL) < 0)
		return 0;
	for (start = p; start < pend;) {
		const char *comma = memchr(start, ',', (size_t)(pend - start));
		const char *e = comma ? comma : pend;

		rc = signer_add(t, start, (size_t)(e - start), pk);
		if (rc < 0)
			return rc;
		start = e + 1;
	}
	return 0;
}

static int trust_load_file(struct trust *t, const char *path)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, i;
	ssize_t len;
	struct node_info *n;
	int rc = 0;

	if (fp == NULL)
		return err_set(ERR_IO, "cannot open '%s': %s", path, strerror(errno));
	while (rc == 0 && (len = getline(&line, &cap, fp)) >= 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (strncmp(line, NODE_META, strlen(NODE_META)) == 0)
			rc = parse_meta(t, line);
		else if (line[strspn(line, " \t")] != '#' &&
			 line[strspn(line, " \t")] != '\0')
			rc = parse_signer(t, line + strspn(line, " \t"));
	}
	free(line);
	fclose(fp);
	if (rc < 0)
		return err_wrap(rc, "'%s'", path);
	/* a node's signing key is the key listed for its principal */
	for (i = 0; i < t->nsigners; i++) {
		n = node_find(t, t->signers[i].principal);
		if (n == NULL) {
			struct node_info bare;

			memset(&bare, 0, sizeof(bare));
			snprintf(bare.code, sizeof(bare.code), "%s",
				 t->signers[i].principal);
			snprintf(bare.scope, sizeof(bare.scope), "%s",
				 t->signers[i].principal);
			rc = node_add(t, &bare);
			if (rc < 0)
				return rc;
			n = node_find(t, t->signers[i].principal);
		}
		memcpy(n->sign_pk, t->signers[i].pk, STORE_PK_LEN);
	}
	return 0;
}

static int trust_load(struct trust *t, const struct audit_opts *o)
{
	struct node_info *nodes = NULL;
	size_t n = 0, i;
	int rc;

	if (o->signers != NULL) {
		rc = trust_load_file(t, o->signers);
		if (rc < 0)
			return rc;
	}
	if (o->node == NULL)
		return o->signers != NULL ? 0
					  : err_set(ERR_USAGE,
						    "a signers file is needed "
						    "to audit an archive alone");
	/* the live replica's enrolled keys are authoritative */
	rc = store_nodes(o->node->store, &nodes, &n);
	if (rc < 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++) {
		rc = node_add(t, &nodes[i]);
		if (rc == 0 && o->signers == NULL)
			rc = signer_add(t, nodes[i].code, strlen(nodes[i].code),
					nodes[i].sign_pk);
	}
	free(nodes);
	return rc;
}

int audit_signers_format(char **out, struct store *s)
{
	struct node_info *nodes = NULL;
	char *key = NULL, *text = NULL, box[64];
	size_t n = 0, i, len = 0;
	FILE *fp;
	int rc;

	rc = store_nodes(s, &nodes, &n);
	if (rc < 0)
		return rc;
	fp = open_memstream(&text, &len);
	if (fp == NULL) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto done;
	}
	fprintf(fp, "# taphop allowed signers, from the enrolled keys of '%s'.\n"
		"# Principal = node code.  Use with:\n"
		"#   git -c gpg.format=ssh -c gpg.ssh.allowedSignersFile=FILE "
		"verify-commit ...\n"
		"#   taphop audit verify --repo ARCHIVE --signers FILE\n",
		store_node_code(s));
	for (i = 0; i < n; i++) {
		rc = sshsig_pubkey_format(&key, nodes[i].sign_pk);
		if (rc < 0)
			break;
		keys_pk_to_text(nodes[i].box_pk, box, sizeof(box));
		fprintf(fp, NODE_META "%s %s %s %s\n%s namespaces=\"git\" %s %s%s\n",
			nodes[i].code,
			nodes[i].role == STORE_ROLE_HUB ? "hub" : "ward",
			nodes[i].parent[0] ? nodes[i].parent : "-", box,
			nodes[i].code, key, nodes[i].code,
			nodes[i].revoked ? " (revoked)" : "");
		free(key);
		key = NULL;
	}
	if (fclose(fp) != 0 && rc == 0)
		rc = err_set(ERR_NOMEM, "out of memory");
	if (rc == 0) {
		*out = text;
		text = NULL; /* transferred */
	}
done:
	free(text);
	free(nodes);
	return rc;
}

/* ---- verification state ------------------------------------------------ */

struct stream {
	char origin[STORE_CODE_MAX];
	char scope[STORE_CODE_MAX];
	uint64_t last;
	unsigned char digest[STORE_DIGEST_LEN];
	char commit[16];     /* short id of the commit holding `last` */
	int broken;          /* replay stopped: later ones would not apply */
};

struct verify {
	const struct audit_opts *o;
	audit_finding_cb cb;
	void *cbctx;
	struct audit_summary *sum;
	git_repository *repo;
	struct trust trust;
	struct stream *streams;
	size_t nstreams;
	char **touched;      /* records/... paths touched by any change-set */
	size_t ntouched, captouched;
	char **ctouched;     /* ... by the current commit's change-sets */
	size_t nctouched, capctouched;
	struct store *replay;
	char tmpdir[256];
	char commit[16];     /* short id of the commit being checked */
	int live_ahead;      /* the live replica holds unarchived ones */
};

__attribute__((format(printf, 2, 3)))
static void finding(struct verify *v, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	v->sum->findings++;
	if (v->cb != NULL)
		v->cb(v->cbctx, buf);
}

static int strv_add(char ***v, size_t *n, size_t *cap, const char *s)
{
	char **p;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		p = realloc(*v, *cap * sizeof(*p));
		if (p == NULL)
			return err_set(ERR_NOMEM, "out of memory");
		*v = p;
	}
	(*v)[*n] = strdup(s);
	if ((*v)[*n] == NULL)
		return err_set(ERR_NOMEM, "out of memory");
	(*n)++;
	return 0;
}

static void strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts and removes duplicates. */
static void strv_uniq(char **v, size_t *n)
{
	size_t i, j;

	if (*n == 0)
		return; /* v may be NULL */
	qsort(v, *n, sizeof(*v), cmp_strp);
	for (i = j = 0; i < *n; i++) {
		if (j > 0 && strcmp(v[j - 1], v[i]) == 0) {
			free(v[i]);
			continue;
		}
		v[j++] = v[i];
	}
	*n = j;
}

static int strv_has(char *const *v, size_t n, const char *s)
{
	return n > 0 && bsearch(&s, v, n, sizeof(*v), cmp_strp) != NULL;
}

static struct stream *stream_get(struct verify *v, const char *origin,
				 const char *scope)
{
	struct stream *p;
	size_t i;

	for (i = 0; i < v->nstreams; i++)
		if (strcmp(v->streams[i].origin, origin) == 0 &&
		    strcmp(v->streams[i].scope, scope) == 0)
			return &v->streams[i];
	p = realloc(v->streams, (v->nstreams + 1) * sizeof(*p));
	if (p == NULL)
		return NULL;
	v->streams = p;
	p = &v->streams[v->nstreams++];
	memset(p, 0, sizeof(*p));
	snprintf(p->origin, sizeof(p->origin), "%s", origin);
	snprintf(p->scope, sizeof(p->scope), "%s", scope);
	return p;
}

/* ---- the replay replica ------------------------------------------------ */

static int replay_open(struct verify *v)
{
	const char *tmp = getenv("TMPDIR");
	struct node_info *own = node_find(&v->trust, v->sum->owner);
	char path[300];
	size_t i;
	int rc;

	if (own == NULL) {
		finding(v, "cannot replay: the archiving node '%s' is not among "
			"the signers", v->sum->owner);
		return 0;
	}
	snprintf(v->tmpdir, sizeof(v->tmpdir), "%s/taphop-audit.XXXXXX",
		 tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(v->tmpdir) == NULL) {
		v->tmpdir[0] = '\0';
		return err_set(ERR_IO, "cannot make a temporary directory: %s", strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/replay.db", v->tmpdir);
	rc = store_create(path, own->code, own->parent[0] ? own->parent : NULL,
			  own->role, own->sign_pk, own->box_pk);
	if (rc < 0)
		return err_wrap(rc, "cannot make the replay replica");
	rc = store_open(&v->replay, path, NULL);
	if (rc < 0)
		return err_wrap(rc, "cannot open the replay replica");
	for (i = 0; i < v->trust.nnodes && rc == 0; i++)
		if (strcmp(v->trust.nodes[i].code, own->code) != 0)
			rc = store_node_put(v->replay, &v->trust.nodes[i]);
	if (rc < 0)
		return err_wrap(rc, "cannot enrol keys in the replay replica");
	return store_batch_begin(v->replay);
}

static void replay_remove(struct verify *v)
{
	static const char *const files[] = { "replay.db", "replay.db-wal",
					     "replay.db-shm",
					     "replay.db-journal" };
	char path[300];
	size_t i;

	store_close(v->replay);
	v->replay = NULL;
	if (v->tmpdir[0] == '\0')
		return;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", v->tmpdir, files[i]);
		unlink(path);
	}
	rmdir(v->tmpdir);
}

/* ---- change-sets ------------------------------------------------------- */

struct added {
	char origin[STORE_CODE_MAX];
	char scope[STORE_CODE_MAX];
	uint64_t seq;
	char path[ARCHIVE_PATH_MAX];
	git_oid blob;
};

static int added_cmp(const void *a, const void *b)
{
	const struct added *x = a, *y = b;
	int c = strcmp(x->origin, y->origin);

	if (c == 0)
		c = strcmp(x->scope, y->scope);
	if (c == 0)
		c = (x->seq > y->seq) - (x->seq < y->seq);
	return c;
}

/* "changesets/O/S/N.pb" -> origin, scope, seq; 0 if not that shape. */
static int parse_cs_path(struct added *a, const char *path)
{
	char tail[32];
	char *end;

	if (sscanf(path, "changesets/%63[^/]/%63[^/]/%31s", a->origin,
		   a->scope, tail) != 3)
		return 0;
	a->seq = strtoull(tail, &end, 10);
	return strcmp(end, ".pb") == 0 && a->seq > 0;
}

static const unsigned char zero_digest[STORE_DIGEST_LEN];

/* Checks one change-set's stream position; returns 1 if it may be
 * replayed. */
static int check_stream(struct verify *v, struct stream *st,
			const struct changeset *cs)
{
	const char *o = cs->origin, *s = cs->scope;
	unsigned long long seq = cs->seq, last = st->last;

	if (seq <= last) {
		finding(v, "stream %s/%s #%llu (commit %s): already archived "
			"(up to #%llu, commit %s): replayed or reordered", o, s,
			seq, v->commit, last, st->commit);
		return 0;
	}
	if (seq > last + 1) {
		if (seq == last + 2)
			finding(v, "stream %s/%s: #%llu missing before commit %s",
				o, s, last + 1, v->commit);
		else
			finding(v, "stream %s/%s: #%llu-#%llu missing before "
				"commit %s", o, s, last + 1, seq - 1, v->commit);
		st->broken = 1;
	} else if (memcmp(cs->prev_digest, last ? st->digest : zero_digest,
			  STORE_DIGEST_LEN) != 0) {
		finding(v, "stream %s/%s #%llu (commit %s): previous digest does "
			"not match #%llu: chain broken", o, s, seq, v->commit,
			last);
		st->broken = 1;
	}
	st->last = cs->seq;
	memcpy(st->digest, cs->digest, STORE_DIGEST_LEN);
	snprintf(st->commit, sizeof(st->commit), "%s", v->commit);
	return !st->broken;
}

static int note_touched(struct verify *v, const struct changeset *cs)
{
	char path[ARCHIVE_PATH_MAX];
	size_t i;
	int rc;

	for (i = 0; i < cs->nchanges; i++) {
		if (archive_record_path(path, sizeof(path),
					cs->changes[i].table, cs->scope,
					cs->changes[i].id) < 0)
			continue;
		rc = strv_add(&v->touched, &v->ntouched, &v->captouched, path);
		if (rc == 0)
			rc = strv_add(&v->ctouched, &v->nctouched,
				      &v->capctouched, path);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int check_changeset(struct verify *v, const struct added *a)
{
	struct changeset *cs = NULL;
	struct apply_result res;
	struct node_info *origin;
	struct stream *st;
	git_blob *blob = NULL;
	int rc, ok;

	if (git_blob_lookup(&blob, v->repo, &a->blob) < 0) {
		finding(v, "commit %s: %s: cannot read the file", v->commit,
			a->path);
		return 0;
	}
	v->sum->changesets++;
	rc = changeset_decode(&cs, git_blob_rawcontent(blob),
			      (size_t)git_blob_rawsize(blob));
	if (rc < 0) {
		finding(v, "commit %s: %s: not a change-set (%s)", v->commit,
			a->path, err_msg());
		rc = 0;
		goto done;
	}
	if (strcmp(cs->origin, a->origin) != 0 ||
	    strcmp(cs->scope, a->scope) != 0 || cs->seq != a->seq)
		finding(v, "commit %s: %s holds change-set %s/%s #%llu",
			v->commit, a->path, cs->origin, cs->scope,
			(unsigned long long)cs->seq);
	st = stream_get(v, cs->origin, cs->scope);
	if (st == NULL) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto done;
	}
	origin = node_find(&v->trust, cs->origin);
	ok = 1;
	if (origin == NULL) {
		finding(v, "stream %s/%s #%llu (commit %s): origin '%s' is not a "
			"known node", cs->origin, cs->scope,
			(unsigned long long)cs->seq, v->commit, cs->origin);
		ok = 0;
	} else if (changeset_check_signature(cs, origin->sign_pk) < 0) {
		finding(v, "stream %s/%s #%llu (commit %s): change-set signature "
			"does not verify with %s's key", cs->origin, cs->scope,
			(unsigned long long)cs->seq, v->commit, cs->origin);
		ok = 0;
	}
	if (!check_stream(v, st, cs))
		ok = 0;
	if (!ok)
		st->broken = 1;
	rc = note_touched(v, cs);
	if (rc < 0 || !ok || v->replay == NULL)
		goto done;
	rc = store_apply(v->replay, git_blob_rawcontent(blob),
			 (size_t)git_blob_rawsize(blob), &res);
	if (rc < 0) {
		finding(v, "stream %s/%s #%llu (commit %s): replay refused it: "
			"%s", cs->origin, cs->scope,
			(unsigned long long)cs->seq, v->commit, err_msg());
		st->broken = 1;
	}
	rc = 0;
done:
	changeset_free(cs);
	git_blob_free(blob);
	return rc;
}

/* ---- commits ----------------------------------------------------------- */

static void check_commit_signature(struct verify *v, const git_oid *id,
				   const git_commit *c)
{
	const git_signature *committer = git_commit_committer(c);
	git_buf sig = { 0 }, data = { 0 };
	unsigned char pk[STORE_PK_LEN];
	const char *by = NULL;
	char *keytext = NULL;
	size_t i;
	int rc;

	if (strcmp(committer->name, v->sum->owner) != 0)
		finding(v, "commit %s: committed by '%s', not by the archiving "
			"node '%s'", v->commit, committer->name, v->sum->owner);
	rc = git_commit_extract_signature(&sig, &data, v->repo,
					  (git_oid *)id, "gpgsig");
	if (rc == GIT_ENOTFOUND) {
		finding(v, "commit %s: not signed", v->commit);
		return;
	}
	if (rc < 0) {
		finding(v, "commit %s: cannot read its signature", v->commit);
		return;
	}
	if (sshsig_verify(sig.ptr, data.ptr, data.size, SSHSIG_NAMESPACE_GIT,
			  pk) < 0) {
		finding(v, "commit %s: %s", v->commit, err_msg());
		goto done;
	}
	for (i = 0; i < v->trust.nsigners; i++) {
		if (memcmp(v->trust.signers[i].pk, pk, STORE_PK_LEN) != 0)
			continue;
		by = v->trust.signers[i].principal;
		if (strcmp(by, v->sum->owner) == 0)
			goto done; /* listed, and the archiving node's */
	}
	if (by != NULL) {
		finding(v, "commit %s: signed by '%s' (a listed key), not by the "
			"archiving node '%s'", v->commit, by, v->sum->owner);
		goto done;
	}
	if (sshsig_pubkey_format(&keytext, pk) == 0)
		finding(v, "commit %s: signed by a key that is not in the "
			"signers file (%s)", v->commit, keytext);
done:
	free(keytext);
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
}

/* Diffs the commit against its parent; checks every change-set added, and
 * that records change only where they were touched. */
static int check_commit_tree(struct verify *v, git_tree *old, git_tree *cur)
{
	git_diff_options dopts;
	git_diff *diff = NULL;
	const git_diff_delta *d;
	struct added *adds = NULL;
	size_t i, n, nadds = 0;
	const char *path;
	int rc = 0;

	git_diff_options_init(&dopts, GIT_DIFF_OPTIONS_VERSION);
	if (git_diff_tree_to_tree(&diff, v->repo, old, cur, &dopts) < 0)
		return git_fail(ERR_IO, "cannot diff a commit");
	n = git_diff_num_deltas(diff);
	adds = calloc(n + 1, sizeof(*adds));
	if (adds == NULL) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto done;
	}
	strv_free(v->ctouched, v->nctouched);
	v->ctouched = NULL;
	v->nctouched = v->capctouched = 0;
	for (i = 0; i < n; i++) {
		d = git_diff_get_delta(diff, i);
		path = d->status == GIT_DELTA_DELETED ? d->old_file.path
						      : d->new_file.path;
		if (strncmp(path, "changesets/", 11) == 0) {
			if (d->status != GIT_DELTA_ADDED)
				finding(v, "commit %s: %s was %s: archived "
					"change-sets may only be added",
					v->commit, path,
					d->status == GIT_DELTA_DELETED
						? "removed" : "changed");
			else if (!parse_cs_path(&adds[nadds], path))
				finding(v, "commit %s: %s is not a change-set "
					"path", v->commit, path);
			else {
				snprintf(adds[nadds].path,
					 sizeof(adds[nadds].path), "%s", path);
				adds[nadds++].blob = d->new_file.id;
			}
		} else if (strncmp(path, "records/", 8) != 0) {
			finding(v, "commit %s: unexpected file %s", v->commit,
				path);
		}
	}
	qsort(adds, nadds, sizeof(*adds), added_cmp);
	for (i = 0; i < nadds && rc == 0; i++)
		rc = check_changeset(v, &adds[i]);
	if (rc < 0)
		goto done;
	strv_uniq(v->ctouched, &v->nctouched);
	for (i = 0; i < n; i++) {
		d = git_diff_get_delta(diff, i);
		if (strncmp(d->old_file.path, "records/", 8) != 0 &&
		    strncmp(d->new_file.path, "records/", 8) != 0)
			continue;
		if (d->status == GIT_DELTA_DELETED)
			finding(v, "commit %s: %s was removed", v->commit,
				d->old_file.path);
		else if (!strv_has(v->ctouched, v->nctouched,
				   d->new_file.path))
			finding(v, "commit %s: %s changed, but no change-set of "
				"that commit touches the record", v->commit,
				d->new_file.path);
	}
done:
	free(adds);
	git_diff_free(diff);
	return rc;
}

/* The commits from the root to the head (first parents), oldest first. */
static int history_list(struct verify *v, const git_oid *head, git_oid **out,
			size_t *n)
{
	git_commit *c = NULL, *p;
	git_oid *ids = NULL, *tmp;
	size_t k = 0, cap = 0, i;
	char hex[GIT_OID_HEXSZ + 1];

	if (git_commit_lookup(&c, v->repo, head) < 0)
		return git_fail(ERR_IO, "cannot read the head commit");
	for (;;) {
		if (k == cap) {
			cap = cap ? cap * 2 : 256;
			tmp = realloc(ids, cap * sizeof(*ids));
			if (tmp == NULL) {
				git_commit_free(c);
				free(ids);
				return err_set(ERR_NOMEM, "out of memory");
			}
			ids = tmp;
		}
		ids[k++] = *git_commit_id(c);
		if (git_commit_parentcount(c) > 1) {
			git_oid_tostr(hex, 13, git_commit_id(c));
			finding(v, "commit %s: a merge: archive history must be "
				"linear", hex);
		}
		if (git_commit_parentcount(c) == 0)
			break;
		if (git_commit_parent(&p, c, 0) < 0) {
			git_commit_free(c);
			free(ids);
			return git_fail(ERR_IO, "cannot read a parent commit");
		}
		git_commit_free(c);
		c = p;
	}
	git_commit_free(c);
	for (i = 0; i < k / 2; i++) {
		git_oid t = ids[i];

		ids[i] = ids[k - 1 - i];
		ids[k - 1 - i] = t;
	}
	*out = ids;
	*n = k;
	return 0;
}

static int walk(struct verify *v, const git_oid *ids, size_t n)
{
	git_commit *c = NULL;
	git_tree *old = NULL, *cur = NULL;
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		git_oid_tostr(v->commit, 13, &ids[i]);
		if (git_commit_lookup(&c, v->repo, &ids[i]) < 0 ||
		    git_commit_tree(&cur, c) < 0) {
			rc = git_fail(ERR_IO, "cannot read a commit");
			break;
		}
		if (i == 0 && v->sum->owner[0] == '\0')
			snprintf(v->sum->owner, sizeof(v->sum->owner), "%s",
				 git_commit_committer(c)->name);
		if (i == 0) {
			rc = replay_open(v);
			if (rc < 0)
				break;
		}
		v->sum->commits++;
		check_commit_signature(v, &ids[i], c);
		rc = check_commit_tree(v, old, cur);
		git_tree_free(old);
		old = cur;
		cur = NULL;
		git_commit_free(c);
		c = NULL;
	}
	git_commit_free(c);
	git_tree_free(old);
	git_tree_free(cur);
	return rc;
}

/* ---- the replay against the head's records and the live replica ------- */

struct field_ctx {
	struct verify *v;
	const char *what;  /* "record person/w01/ID" */
	const char *a_name, *b_name;
};

static int field_finding(void *ctx, const char *field, const char *a,
			 const char *b)
{
	struct field_ctx *f = ctx;

	finding(f->v, "%s: field '%s' is %s %s, %s %s", f->what, field,
		a ? a : "absent", f->a_name, b ? b : "absent", f->b_name);
	return 0;
}

/* The canonical JSON of a record of s, or NULL text when s lacks it. */
static int record_text(struct store *s, const struct table_desc *t,
		       const char *id, char **out, size_t *len)
{
	struct record *r = NULL;
	int rc;

	*out = NULL;
	*len = 0;
	rc = store_get(s, t, id, 1, &r);
	if (rc == ERR_NOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	rc = record_json_format(out, len, r);
	record_free(r);
	return rc;
}

/* "records/T/S/XX/ID.json" -> table, id (scope checked by the caller);
 * NULL unless XX is the bucket archive_record_path() puts ID in. */
static const struct table_desc *parse_record_path(const char *path,
						  char *id, size_t idsz)
{
	char table[64], scope[STORE_CODE_MAX], bucket[8], file[128];
	size_t n;

	if (sscanf(path, "records/%63[^/]/%63[^/]/%7[^/]/%127s", table, scope,
		   bucket, file) != 4)
		return NULL;
	n = strlen(file);
	if (n < 6 || strcmp(file + n - 5, ".json") != 0 || n - 5 >= idsz ||
	    n - 5 <= ARCHIVE_FANOUT || strlen(bucket) != ARCHIVE_FANOUT ||
	    memcmp(file + n - 5 - ARCHIVE_FANOUT, bucket, ARCHIVE_FANOUT) != 0)
		return NULL;
	memcpy(id, file, n - 5);
	id[n - 5] = '\0';
	return schema_table_find(table);
}

struct head_walk {
	struct verify *v;
	char **seen;
	size_t nseen, capseen;
	int rc;
};

static int head_entry(const char *root, const git_tree_entry *e, void *ctx)
{
	struct head_walk *h = ctx;
	struct verify *v = h->v;
	char path[ARCHIVE_PATH_MAX], id[STORE_ID_LEN + 8], *mine = NULL;
	const struct table_desc *t;
	git_blob *blob = NULL;
	size_t mlen;
	struct field_ctx f = { v, path, "in the archive", "on replay" };

	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB)
		return 0;
	snprintf(path, sizeof(path), "records/%s%s", root,
		 git_tree_entry_name(e));
	v->sum->records++;
	h->rc = strv_add(&h->seen, &h->nseen, &h->capseen, path);
	if (h->rc < 0)
		return -1;
	t = parse_record_path(path, id, sizeof(id));
	if (t == NULL) {
		finding(v, "head: %s is not a record path", path);
		return 0;
	}
	if (git_blob_lookup(&blob, v->repo, git_tree_entry_id(e)) < 0) {
		finding(v, "head: cannot read %s", path);
		return 0;
	}
	h->rc = record_text(v->replay, t, id, &mine, &mlen);
	if (h->rc < 0)
		goto done;
	if (mine == NULL)
		finding(v, "%s: in the archive but not made by any change-set",
			path);
	else if (mlen != (size_t)git_blob_rawsize(blob) ||
		 memcmp(mine, git_blob_rawcontent(blob), mlen) != 0)
		if (record_json_diff(git_blob_rawcontent(blob),
				     (size_t)git_blob_rawsize(blob), mine, mlen,
				     field_finding, &f) <= 0)
			finding(v, "%s: differs from the replay", path);
done:
	free(mine);
	git_blob_free(blob);
	return h->rc < 0 ? -1 : 0;
}

static int check_head_records(struct verify *v, const git_oid *head)
{
	struct head_walk h = { .v = v };
	git_commit *c = NULL;
	git_tree *tree = NULL, *records = NULL;
	git_tree_entry *e = NULL;
	size_t i;
	int rc = 0;

	if (git_commit_lookup(&c, v->repo, head) < 0 ||
	    git_commit_tree(&tree, c) < 0) {
		rc = git_fail(ERR_IO, "cannot read the head's tree");
		goto done;
	}
	if (git_tree_entry_bypath(&e, tree, "records") == 0) {
		if (git_tree_lookup(&records, v->repo,
				    git_tree_entry_id(e)) < 0) {
			rc = git_fail(ERR_IO, "cannot read records/");
			goto done;
		}
		if (git_tree_walk(records, GIT_TREEWALK_PRE, head_entry, &h) < 0 &&
		    h.rc == 0)
			h.rc = git_fail(ERR_IO, "cannot walk records/");
		rc = h.rc;
		if (rc < 0)
			goto done;
	}
	strv_uniq(h.seen, &h.nseen);
	for (i = 0; i < v->ntouched; i++)
		if (!strv_has(h.seen, h.nseen, v->touched[i]))
			finding(v, "%s: touched by a change-set but missing "
				"from the head", v->touched[i]);
done:
	strv_free(h.seen, h.nseen);
	git_tree_entry_free(e);
	git_tree_free(records);
	git_tree_free(tree);
	git_commit_free(c);
	return rc;
}

struct live_list {
	struct verify *v;
	size_t untracked;
};

static int live_record(void *ctx, const struct record *r)
{
	struct live_list *l = ctx;
	char path[ARCHIVE_PATH_MAX];

	if (archive_record_path(path, sizeof(path), r->t->name,
				r->vals[0] ? r->vals[0] : "", r->id) < 0 ||
	    !strv_has(l->v->touched, l->v->ntouched, path)) {
		finding(l->v, "record %s/%s/%s: in the live database but made "
			"by no archived change-set", r->t->name,
			r->vals[0] ? r->vals[0] : "", r->id);
		l->untracked++;
	}
	return 0;
}

static int check_live(struct verify *v)
{
	struct store *live = v->o->node->store;
	unsigned char a[STORE_DIGEST_LEN], b[STORE_DIGEST_LEN];
	char *x = NULL, *y = NULL, id[STORE_ID_LEN + 8];
	struct live_list l = { v, 0 };
	const struct table_desc *t;
	size_t before = v->sum->findings, i, lx, ly;
	int rc;

	rc = store_digest(live, NULL, a);
	if (rc == 0)
		rc = store_digest(v->replay, NULL, b);
	if (rc < 0 || memcmp(a, b, sizeof(a)) == 0)
		return rc;
	/* name what differs: every archived record, then unarchived ones */
	for (i = 0; i < v->ntouched && rc == 0; i++) {
		struct field_ctx f = { v, v->touched[i], "in the live database",
				       "on replay" };

		t = parse_record_path(v->touched[i], id, sizeof(id));
		if (t == NULL)
			continue;
		rc = record_text(live, t, id, &x, &lx);
		if (rc == 0)
			rc = record_text(v->replay, t, id, &y, &ly);
		if (rc == 0 && (lx != ly || (x && y && memcmp(x, y, lx) != 0)))
			record_json_diff(x, lx, y, ly, field_finding, &f);
		free(x);
		free(y);
		x = y = NULL;
	}
	for (i = 0; i < (size_t)schema_ntables && rc == 0; i++)
		rc = store_list(live, schema_tables[i], NULL, 0, 0, live_record,
				&l);
	if (rc == 0 && v->sum->findings == before)
		finding(v, "the live database's digest differs from the replay's");
	return rc;
}

static int check_live_streams(struct verify *v)
{
	struct stream_head *heads = NULL;
	struct stream *st;
	size_t n = 0, i;
	int rc;

	rc = store_streams(v->o->node->store, NULL, &heads, &n);
	if (rc < 0)
		return rc;
	for (i = 0; i < n; i++) {
		unsigned long long l = heads[i].seq, a;

		st = stream_get(v, heads[i].origin, heads[i].scope);
		if (st == NULL) {
			rc = err_set(ERR_NOMEM, "out of memory");
			break;
		}
		a = st->last;
		if (a < l)
			v->live_ahead = 1;
		if (a < l)
			finding(v, "stream %s/%s: the live replica holds up to "
				"#%llu, the archive only up to #%llu (run "
				"'taphop audit update' if this is a lag)",
				heads[i].origin, heads[i].scope, l, a);
		else if (a > l)
			finding(v, "stream %s/%s: the archive holds #%llu, past "
				"the live replica's #%llu", heads[i].origin,
				heads[i].scope, a, l);
		else if (l > 0 && memcmp(st->digest, heads[i].digest,
					 STORE_DIGEST_LEN) != 0)
			finding(v, "stream %s/%s #%llu: differs from the live "
				"replica's", heads[i].origin, heads[i].scope, l);
	}
	free(heads);
	return rc;
}

/* ---- the last verified head -------------------------------------------- */

static char *state_path(const struct audit_opts *o, const char *repo)
{
	char *p = NULL;

	if (o->state != NULL)
		return strdup(o->state);
	if (o->repo == NULL && o->node != NULL)
		return node_path(o->node, AUDIT_STATE_FILE);
	if (asprintf(&p, "%s/%s", repo, AUDIT_MIRROR_STATE_FILE) < 0)
		return NULL;
	return p;
}

static void check_state(struct verify *v, const char *path,
			const git_oid *head)
{
	char hex[GIT_OID_HEXSZ + 2] = "", shead[16];
	git_oid old;
	FILE *fp = fopen(path, "r");

	if (fp == NULL)
		return; /* never verified */
	if (fgets(hex, sizeof(hex), fp) == NULL)
		hex[0] = '\0';
	fclose(fp);
	hex[strcspn(hex, "\r\n")] = '\0';
	if (git_oid_fromstr(&old, hex) < 0) {
		finding(v, "'%s' does not hold a commit id", path);
		return;
	}
	if (head == NULL) {
		finding(v, "history rewritten: the archive is empty, but %.12s "
			"was verified before", hex);
		return;
	}
	if (git_oid_equal(&old, head) ||
	    git_graph_descendant_of(v->repo, head, &old) == 1)
		return;
	git_oid_tostr(shead, 13, head);
	finding(v, "history rewritten: the last verified head %.12s is not an "
		"ancestor of the head %s", hex, shead);
}

static int state_write(const char *path, const git_oid *head)
{
	char tmp[4096];
	FILE *fp;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fp = fopen(tmp, "w");
	if (fp == NULL)
		return err_set(ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
	fprintf(fp, "%s\n", git_oid_tostr_s(head));
	if (fclose(fp) != 0 || rename(tmp, path) != 0)
		return err_set(ERR_IO, "cannot write '%s': %s", path, strerror(errno));
	return 0;
}

/* ---- audit_verify ------------------------------------------------------ */

static int repo_open(git_repository **out, const struct audit_opts *o,
		     char **path)
{
	if (o->repo != NULL)
		*path = strdup(o->repo);
	else if (o->node != NULL)
		*path = node_path(o->node, ARCHIVE_DIR);
	else
		return err_set(ERR_USAGE, "no archive named");
	if (*path == NULL)
		return err_set(ERR_NOMEM, "out of memory");
	if (git_repository_open_ext(out, *path, GIT_REPOSITORY_OPEN_NO_SEARCH,
				    NULL) < 0)
		return git_fail(ERR_NOTFOUND, *path);
	return 0;
}

static int head_resolve(git_repository *repo, git_oid *out)
{
	int rc = git_reference_name_to_id(out, repo, ARCHIVE_BRANCH);

	if (rc == GIT_ENOTFOUND)
		rc = git_reference_name_to_id(out, repo, "HEAD");
	if (rc == GIT_ENOTFOUND)
		return 1;
	if (rc < 0)
		return git_fail(ERR_IO, "cannot read the archive's head");
	return 0;
}

int audit_verify(const struct audit_opts *o, audit_finding_cb cb, void *ctx,
		 struct audit_summary *sum)
{
	struct verify v = { .o = o, .cb = cb, .cbctx = ctx, .sum = sum };
	char *repo_path = NULL, *state = NULL;
	git_oid head, *ids = NULL;
	size_t n = 0;
	int rc, empty;

	memset(sum, 0, sizeof(*sum));
	git_libgit2_init();
	if (o->owner != NULL)
		snprintf(sum->owner, sizeof(sum->owner), "%s", o->owner);
	else if (o->node != NULL)
		snprintf(sum->owner, sizeof(sum->owner), "%s",
			 store_node_code(o->node->store));
	rc = trust_load(&v.trust, o);
	if (rc < 0)
		goto done;
	rc = repo_open(&v.repo, o, &repo_path);
	if (rc < 0)
		goto done;
	state = state_path(o, repo_path);
	if (state == NULL) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto done;
	}
	rc = head_resolve(v.repo, &head);
	if (rc < 0)
		goto done;
	empty = rc == 1;
	rc = 0;
	check_state(&v, state, empty ? NULL : &head);
	if (!empty) {
		git_oid_tostr(sum->head, sizeof(sum->head), &head);
		rc = history_list(&v, &head, &ids, &n);
		if (rc == 0)
			rc = walk(&v, ids, n);
		if (rc == 0 && v.replay != NULL)
			rc = store_batch_commit(v.replay);
		if (rc < 0)
			goto done;
		strv_uniq(v.touched, &v.ntouched);
		if (v.replay != NULL)
			rc = check_head_records(&v, &head);
	}
	if (rc == 0 && o->node != NULL)
		rc = check_live_streams(&v);
	/* a lagging archive cannot reproduce the live database: said above */
	if (rc == 0 && o->node != NULL && v.replay != NULL && !v.live_ahead)
		rc = check_live(&v);
	if (rc < 0)
		goto done;
	sum->streams = v.nstreams;
	if (sum->findings == 0 && !empty)
		rc = state_write(state, &head);
done:
	replay_remove(&v);
	strv_free(v.touched, v.ntouched);
	strv_free(v.ctouched, v.nctouched);
	free(v.streams);
	free(ids);
	free(state);
	free(repo_path);
	trust_release(&v.trust);
	git_repository_free(v.repo);
	git_libgit2_shutdown();
	return rc;
}

/* ---- history ----------------------------------------------------------- */

struct hist_entry {
	uint64_t hlc;
	uint64_t seq;
	char *origin, *scope, *operator_name, *reason, *table;
	int deleted;
	size_t nfields;
	char **names, **values; /* values[i] NULL = no value */
};

struct hist {
	const char *id;
	const char *table;
	struct hist_entry *e;
	size_t n, cap;
	int oom;
};

static char *dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static void hist_entry_release(struct hist_entry *e)
{
	size_t i;

	for (i = 0; i < e->nfields; i++) {
		free(e->names[i]);
		free(e->values[i]);
	}
	free(e->names);
	free(e->values);
	free(e->origin);
	free(e->scope);
	free(e->operator_name);
	free(e->reason);
	free(e->table);
}

static int hist_add(struct hist *h, const struct changeset *cs,
		    const struct cs_change *ch)
{
	struct hist_entry *e, *p;
	size_t i;

	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 16;
		p = realloc(h->e, h->cap * sizeof(*p));
		if (p == NULL)
			return err_set(ERR_NOMEM, "out of memory");
		h->e = p;
	}
	e = &h->e[h->n++];
	memset(e, 0, sizeof(*e));
	e->hlc = ch->hlc;
	e->seq = cs->seq;
	e->deleted = ch->deleted;
	e->origin = strdup(cs->origin);
	e->scope = strdup(cs->scope);
	e->operator_name = strdup(cs->operator_name ? cs->operator_name : "");
	e->reason = dup_or_null(cs->reason);
	e->table = strdup(ch->table);
	e->names = calloc(ch->nfields + 1, sizeof(char *));
	e->values = calloc(ch->nfields + 1, sizeof(char *));
	if (!e->origin || !e->scope || !e->operator_name || !e->table ||
	    !e->names || !e->values)
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < ch->nfields; i++, e->nfields++) {
		e->names[i] = strdup(ch->fields[i].name);
		e->values[i] = dup_or_null(ch->fields[i].value);
		if (e->names[i] == NULL ||
		    (ch->fields[i].value != NULL && e->values[i] == NULL))
			return err_set(ERR_NOMEM, "out of memory");
	}
	return 0;
}

static int hist_collect(void *ctx, const struct changeset_info *ci,
			const unsigned char *bytes, size_t len)
{
	struct hist *h = ctx;
	struct changeset *cs = NULL;
	size_t i;
	int rc;

	(void)ci;
	rc = changeset_decode(&cs, bytes, len);
	if (rc < 0)
		return rc;
	for (i = 0; i < cs->nchanges && rc == 0; i++)
		if (strcmp(cs->changes[i].id, h->id) == 0 &&
		    (h->table == NULL ||
		     strcmp(cs->changes[i].table, h->table) == 0))
			rc = hist_add(h, cs, &cs->changes[i]);
	changeset_free(cs);
	return rc;
}

static int hist_cmp(const void *a, const void *b)
{
	const struct hist_entry *x = a, *y = b;

	if (x->hlc != y->hlc)
		return x->hlc < y->hlc ? -1 : 1;
	return strcmp(x->origin, y->origin);
}

/* Current values while replaying one record's changes. */
struct cur {
	const char *name;
	const char *value;
};

static int same_value(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	       (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static int hist_emit(struct hist *h, audit_change_cb cb, void *ctx)
{
	struct cur cur[SCHEMA_MAX_COLUMNS + 2];
	struct audit_change c;
	struct hist_entry *e;
	size_t ncur = 0, i, j, k;
	const char *nv;
	int rc = 0;

	for (i = 0; i < h->n && rc == 0; i++) {
		e = &h->e[i];
		c = (struct audit_change){ e->hlc, e->origin, e->scope, e->seq,
					   e->operator_name, e->reason,
					   e->table, h->id, NULL, NULL, NULL };
		for (j = 0; j <= e->nfields && rc == 0; j++) {
			if (j == e->nfields && !e->deleted)
				break;
			c.field = j < e->nfields ? e->names[j] : "_deleted";
			nv = j < e->nfields ? e->values[j] : "true";
			for (k = 0; k < ncur; k++)
				if (strcmp(cur[k].name, c.field) == 0)
					break;
			if (k == ncur) {
				if (ncur == sizeof(cur) / sizeof(cur[0]))
					continue;
				cur[ncur++] = (struct cur){ c.field, NULL };
			}
			if (same_value(cur[k].value, nv))
				continue;
			c.old_value = cur[k].value;
			c.new_value = nv;
			cur[k].value = nv;
			rc = cb(ctx, &c);
		}
	}
	return rc;
}

int audit_history(struct store *s, const char *id, audit_change_cb cb,
		  void *ctx)
{
	struct hist h = { .id = id };
	struct record *r = NULL;
	char full[STORE_ID_LEN + 1];
	int i, rc = ERR_NOTFOUND;
	size_t k;

	/* a prefix names a record the replica holds */
	for (i = 0; i < schema_ntables && rc == ERR_NOTFOUND; i++) {
		rc = store_get(s, schema_tables[i], id, 1, &r);
		if (rc == 0) {
			snprintf(full, sizeof(full), "%s", r->id);
			h.id = full;
			h.table = schema_tables[i]->name;
		}
		record_free(r);
		r = NULL;
	}
	if (rc < 0 && rc != ERR_NOTFOUND)
		return rc;
	rc = store_changesets(s, 0, NULL, NULL, hist_collect, &h);
	if (rc < 0)
		goto done;
	if (h.n == 0) {
		rc = err_set(ERR_NOTFOUND, "no change-set touches a record '%s'",
			     id);
		goto done;
	}
	qsort(h.e, h.n, sizeof(*h.e), hist_cmp);
	rc = hist_emit(&h, cb, ctx);
done:
	for (k = 0; k < h.n; k++)
		hist_entry_release(&h.e[k]);
	free(h.e);
	return rc;
}
