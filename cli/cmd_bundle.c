/*
 * cmd_bundle.c - taphop bundle export | import: sneakernet.  A bundle file
 * carries signed change-sets exactly as stored, for weeks without a link:
 *
 *   "taphop-bundle-1\n"  then, per change-set, a 4-byte big-endian length
 *   and the signed bytes (at most CHANGESET_MAX_BYTES each).
 *
 * Export writes them in this replica's storing order, which keeps every
 * stream in sequence order; --for CODE keeps only the scopes that node may
 * hold (its own and those above it), as the hub's relay does.  Import
 * applies them in file order with store_apply: the same checks as over the
 * network (signature by the origin's registered key, sequence, chain,
 * scope rights); a rejected change-set is named and nothing of it lands.
 * As on the network, a refusal other than a gap or an unknown origin parks
 * the stream (sync_parked, with the peer the stream would come from over
 * the network: the hub on a ward, the origin on a hub): nothing later of it
 * is imported until `taphop sync --unpark`.  A bundle cut short keeps what
 * came before the cut, and says so; a local failure (disk, memory) keeps
 * nothing.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "proto/codec.h"
#include "replicas/changeset.h"
#include "replicas/err.h"
#include "replicas/syncdb.h"

#include "replicas/banned.h"

extern const struct cli_command cmd_bundle;

#define MAGIC "taphop-bundle-1\n"
#define MAGIC_LEN 16
#define MAX_SCOPES 8

static const struct cli_option opts[] = {
	{ "for", 0, OPT_STRING, "CODE", "export: only what node CODE may hold" },
	{ "scope", 0, OPT_STRING, "CODE", "export: only change-sets of scope CODE" },
	{ "origin", 0, OPT_STRING, "CODE", "export: only change-sets made by CODE" },
	{ NULL, 0, OPT_FLAG, NULL, NULL },
};

struct exp {
	FILE *f;
	const char *scopes[MAX_SCOPES];
	char buf[MAX_SCOPES][STORE_CODE_MAX];
	int nscopes; /* 0: every scope */
	const char *skip_origin; /* --for CODE: CODE has its own change-sets */
	long count;
	int failed;
};

static int export_cb(void *ctx, const struct changeset_info *ci,
		     const unsigned char *bytes, size_t len)
{
	struct exp *ex = ctx;
	unsigned char hdr[4];
	int keep = ex->nscopes == 0;

	for (int i = 0; i < ex->nscopes && !keep; i++)
		keep = strcmp(ex->scopes[i], ci->scope) == 0;
	if (!keep || (ex->skip_origin && strcmp(ex->skip_origin, ci->origin) == 0))
		return 0;
	hdr[0] = (unsigned char)(len >> 24);
	hdr[1] = (unsigned char)(len >> 16);
	hdr[2] = (unsigned char)(len >> 8);
	hdr[3] = (unsigned char)len;
	if (fwrite(hdr, 1, 4, ex->f) != 4 || fwrite(bytes, 1, len, ex->f) != len) {
		ex->failed = 1;
		return 1;
	}
	ex->count++;
	return 0;
}

/* The scopes node `code` may hold: its own and those above it; a hub may
 * hold everything below it too, so no filter (nscopes 0). */
static int scopes_for(struct store *s, const char *code, struct exp *ex)
{
	struct node_info ni;

	if (store_node_get(s, code, &ni) != 0)
		return cli_fail("cannot export for '%s': %s", code, err_msg());
	ex->skip_origin = code;
	if (ni.role == STORE_ROLE_HUB)
		return 0;
	while (ex->nscopes < MAX_SCOPES) {
		snprintf(ex->buf[ex->nscopes], STORE_CODE_MAX, "%s", ni.scope);
		ex->scopes[ex->nscopes] = ex->buf[ex->nscopes];
		ex->nscopes++;
		if (!ni.parent[0] || store_node_get(s, ni.parent, &ni) != 0)
			break;
	}
	/* the parent scope may belong to no registered node (yet) */
	if (ex->nscopes == 1 && ex->nscopes < MAX_SCOPES) {
		struct node_info self;

		if (store_node_get(s, code, &self) == 0 && self.parent[0]) {
			snprintf(ex->buf[1], STORE_CODE_MAX, "%s", self.parent);
			ex->scopes[1] = ex->buf[1];
			ex->nscopes = 2;
		}
	}
	return 0;
}

static int do_export(struct cli_ctx *ctx, struct cli_args *a, struct node *n)
{
	const char *path = a->pos[1];
	struct exp ex = { 0 };
	int rc = 1;

	if (cli_opt(a, "for") && scopes_for(n->store, cli_opt(a, "for"), &ex) != 0)
		return 1;
	ex.f = fopen(path, "wb");
	if (!ex.f)
		return cli_fail("cannot write '%s': %s", path, strerror(errno));
	if (fwrite(MAGIC, 1, MAGIC_LEN, ex.f) != MAGIC_LEN)
		ex.failed = 1;
	if (!ex.failed &&
	    store_changesets(n->store, 0, cli_opt(a, "origin"), cli_opt(a, "scope"),
			     export_cb, &ex) < 0) {
		fclose(ex.f);
		return cli_fail("cannot export '%s': %s", path, err_msg());
	}
	if (fclose(ex.f) != 0 || ex.failed) {
		rc = cli_fail("cannot write '%s': %s", path, strerror(errno));
		return rc;
	}
	if (ctx->json)
		return out_json_print(json_pack("{s:s, s:I}", "file", path,
						"changesets", (json_int_t)ex.count));
	if (!ctx->quiet)
		printf("wrote %ld change-set%s to '%s'\n", ex.count,
		       ex.count == 1 ? "" : "s", path);
	return 0;
}

struct imp_count {
	long applied, duplicates, conflicts, rejected, parked;
};

/* The parked streams, as (peer, origin, scope), and the import's peer. */
struct imp {
	struct node *n;
	const char *path;
	struct imp_count c;
	char (*parked)[3][STORE_CODE_MAX];
	uint64_t *parked_seq; /* parked from this seq on */
	size_t nparked;
	int failed; /* a local failure: keep nothing */
};

static int parked_cb(void *ctx, const char *peer, const char *origin,
		     const char *scope, uint64_t seq, const char *code,
		     const char *reason)
{
	struct imp *im = ctx;
	void *p = realloc(im->parked, (im->nparked + 1) * sizeof(*im->parked));
	uint64_t *q;

	(void)code, (void)reason;
	if (!p)
		return err_set(ERR_NOMEM, "out of memory");
	im->parked = p;
	q = realloc(im->parked_seq, (im->nparked + 1) * sizeof(*q));
	if (!q)
		return err_set(ERR_NOMEM, "out of memory");
	im->parked_seq = q;
	q[im->nparked] = seq;
	snprintf(im->parked[im->nparked][0], STORE_CODE_MAX, "%s", peer);
	snprintf(im->parked[im->nparked][1], STORE_CODE_MAX, "%s", origin);
	snprintf(im->parked[im->nparked][2], STORE_CODE_MAX, "%s", scope);
	im->nparked++;
	return 0;
}

/* The peer a stream would come from over the network. */
static const char *peer_of(struct imp *im, const struct changeset *cs)
{
	struct store *s = im->n->store;

	return store_role(s) == STORE_ROLE_HUB ? cs->origin
					       : store_parent_scope(s);
}

static int is_parked(struct imp *im, const struct changeset *cs)
{
	const char *peer = peer_of(im, cs);

	for (size_t i = 0; i < im->nparked; i++)
		if (strcmp(im->parked[i][0], peer) == 0 &&
		    strcmp(im->parked[i][1], cs->origin) == 0 &&
		    strcmp(im->parked[i][2], cs->scope) == 0 &&
		    cs->seq >= im->parked_seq[i])
			return 1;
	return 0;
}

/* Reads the next change-set; 1 at a clean end of file, -1 on error. */
static int read_one(FILE *f, const char *path, long nth, unsigned char **out,
		    size_t *len)
{
	unsigned char hdr[4];
	size_t got = fread(hdr, 1, 4, f);
	uint32_t n;

	if (got == 0 && feof(f))
		return 1;
	if (got != 4)
		return cli_fail("cannot import '%s': change-set %ld is cut short", path, nth), -1;
	n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	if (n == 0 || n > CHANGESET_MAX_BYTES)
		return cli_fail("cannot import '%s': change-set %ld has a bad length "
				"(%u bytes)", path, nth, n), -1;
	*out = malloc(n);
	if (!*out)
		return cli_fail("out of memory"), -1;
	if (fread(*out, 1, n, f) != n) {
		free(*out);
		*out = NULL;
		return cli_fail("cannot import '%s': change-set %ld is cut short", path, nth), -1;
	}
	*len = n;
	return 0;
}

/* A refused change-set: park its stream, as the network path does. */
static void park(struct imp *im, const struct changeset *cs, int code)
{
	char reason[CODEC_MAX_REASON], text[CODEC_MAX_REASON];

	codec_reason_clean(reason, sizeof(reason), code, err_msg());
	snprintf(text, sizeof(text), "refused %s/%s#%llu from bundle: %.800s",
		 cs->origin, cs->scope, (unsigned long long)cs->seq, reason);
	if (syncdb_park(im->n->store, peer_of(im, cs), cs->origin, cs->scope,
			cs->seq, err_name(code), text) != 0 ||
	    parked_cb(im, peer_of(im, cs), cs->origin, cs->scope, cs->seq,
		      NULL, NULL) != 0) {
		im->failed = 1;
		return;
	}
	cli_fail("'%s': stream %s/%s is parked: nothing later of it is "
		 "imported until the cause is fixed and 'taphop sync --unpark "
		 "%s/%s' is run", im->path, cs->origin, cs->scope, cs->origin,
		 cs->scope);
}

static void apply_one(struct imp *im, long nth, const unsigned char *b,
		      size_t len)
{
	struct imp_count *c = &im->c;
	struct apply_result res;
	struct changeset *cs = NULL;
	int r;

	if (changeset_decode(&cs, b, len) == 0 && is_parked(im, cs)) {
		c->parked++;
		changeset_free(cs);
		return;
	}
	memset(&res, 0, sizeof(res));
	r = store_apply(im->n->store, b, len, &res);
	if (r == 0 || r == ERR_DUPLICATE) {
		if (r == ERR_DUPLICATE || res.duplicate)
			c->duplicates++;
		else
			c->applied++;
		c->conflicts += res.nconflicts;
		changeset_free(cs);
		return;
	}
	if (r == ERR_DB || r == ERR_NOMEM || r == ERR_IO || r == ERR_INTERNAL) {
		cli_fail("cannot import '%s': %s", im->path, err_msg());
		im->failed = 1;
		changeset_free(cs);
		return;
	}
	c->rejected++;
	if (cs) {
		cli_fail("'%s': change-set %s/%s #%llu rejected: %s", im->path,
			 cs->origin, cs->scope, (unsigned long long)cs->seq,
			 err_msg());
		if (r != ERR_GAP && r != ERR_UNKNOWN_NODE)
			park(im, cs, r);
	} else {
		cli_fail("'%s': change-set %ld rejected: %s", im->path, nth,
			 err_msg());
	}
	changeset_free(cs);
}

static int do_import(struct cli_ctx *ctx, struct cli_args *a, struct node *n)
{
	const char *path = a->pos[1];
	struct imp im;
	struct imp_count *c = &im.c;
	char magic[MAGIC_LEN];
	FILE *f = fopen(path, "rb");
	int r = 0, rc = 1;
	long nth = 0;

	memset(&im, 0, sizeof(im));
	im.n = n;
	im.path = path;
	if (!f)
		return cli_fail("cannot read '%s': %s", path, strerror(errno));
	if (fread(magic, 1, MAGIC_LEN, f) != MAGIC_LEN || memcmp(magic, MAGIC, MAGIC_LEN) != 0) {
		fclose(f);
		return cli_fail("cannot import '%s': not a taphop bundle", path);
	}
	if (syncdb_init(n->store) != 0 || syncdb_parked(n->store, parked_cb, &im) != 0 ||
	    store_batch_begin(n->store) != 0) {
		fclose(f);
		free(im.parked);
		free(im.parked_seq);
		return cli_fail("cannot import '%s': %s", path, err_msg());
	}
	while (!im.failed) {
		unsigned char *b = NULL;
		size_t len = 0;

		r = read_one(f, path, ++nth, &b, &len);
		if (r != 0)
			break;
		apply_one(&im, nth, b, len);
		free(b);
	}
	fclose(f);
	free(im.parked);
	free(im.parked_seq);
	if (im.failed) {
		store_batch_rollback(n->store);
		return cli_fail("nothing of '%s' was imported", path);
	}
	if (store_batch_commit(n->store) != 0)
		return cli_fail("cannot import '%s': %s; nothing of it was imported",
				path, err_msg());
	if (r < 0)
		cli_fail("'%s': the %ld change-set%s before the cut were kept; import "
			 "a complete copy of the bundle to get the rest", path, nth - 1,
			 nth - 1 == 1 ? "" : "s");
	if (ctx->json)
		rc = out_json_print(json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:b}", "file",
			path, "applied", (json_int_t)c->applied, "duplicates",
			(json_int_t)c->duplicates, "conflicts", (json_int_t)c->conflicts,
			"rejected", (json_int_t)c->rejected, "parked", (json_int_t)c->parked,
			"complete", r >= 0));
	else
		rc = ctx->quiet ? 0 : (printf("'%s': %ld applied, %ld already held, "
			"%ld rejected, %ld skipped (stream parked), %ld conflict%s "
			"recorded\n", path, c->applied, c->duplicates, c->rejected,
			c->parked, c->conflicts, c->conflicts == 1 ? "" : "s"), 0);
	if (c->applied > 0)
		cli_after_write(ctx, n);
	if (rc == 0 && (r < 0 || c->rejected > 0 || c->parked > 0))
		rc = 1;
	return rc;
}

static int exec(struct cli_ctx *ctx, struct cli_args *a)
{
	const char *sub = a->npos > 0 ? a->pos[0] : "";
	struct node *n = NULL;
	int rc;

	if (strcmp(sub, "export") != 0 && strcmp(sub, "import") != 0)
		return cli_usage(&cmd_bundle, a->npos ? "unknown subcommand '%s' (export, import)"
				 : "name a subcommand%s (export, import)", sub);
	if (a->npos != 2)
		return cli_usage(&cmd_bundle, "'bundle %s' needs one FILE", sub);
	if (cli_node_open(ctx, &n) != 0)
		return 1;
	rc = strcmp(sub, "export") == 0 ? do_export(ctx, a, n) : do_import(ctx, a, n);
	node_close(n);
	return rc;
}

const struct cli_command cmd_bundle = {
	.name = "bundle",
	.summary = "carry change-sets by hand (USB stick) when there is no link",
	.usage = "export FILE [--for CODE] [--scope CODE] [--origin CODE] | import FILE",
	.opts = opts,
	.exec = exec,
	.description =
		"On the hub: taphop bundle export for-an-lac.tpb --for an-lac\n"
		"On the ward: taphop bundle import for-an-lac.tpb\n"
		"Importing a bundle twice changes nothing.",
};
