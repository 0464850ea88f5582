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
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "replicas/changeset.h"
#include "replicas/err.h"

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
	long applied, duplicates, conflicts, rejected;
};

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

static void apply_one(struct node *n, const char *path, long nth,
		      const unsigned char *b, size_t len, struct imp_count *c)
{
	struct apply_result res;
	struct changeset *cs = NULL;

	memset(&res, 0, sizeof(res));
	if (store_apply(n->store, b, len, &res) == 0) {
		if (res.duplicate)
			c->duplicates++;
		else
			c->applied++;
		c->conflicts += res.nconflicts;
		return;
	}
	c->rejected++;
	if (changeset_decode(&cs, b, len) == 0) {
		cli_fail("'%s': change-set %s/%s #%llu rejected: %s", path, cs->origin,
			 cs->scope, (unsigned long long)cs->seq, err_msg());
		changeset_free(cs);
	} else {
		cli_fail("'%s': change-set %ld rejected: %s", path, nth, err_msg());
	}
}

static int do_import(struct cli_ctx *ctx, struct cli_args *a, struct node *n)
{
	const char *path = a->pos[1];
	struct imp_count c = { 0 };
	char magic[MAGIC_LEN];
	FILE *f = fopen(path, "rb");
	int r = 0, rc = 1;
	long nth = 0;

	if (!f)
		return cli_fail("cannot read '%s': %s", path, strerror(errno));
	if (fread(magic, 1, MAGIC_LEN, f) != MAGIC_LEN || memcmp(magic, MAGIC, MAGIC_LEN) != 0) {
		fclose(f);
		return cli_fail("cannot import '%s': not a taphop bundle", path);
	}
	if (store_batch_begin(n->store) != 0) {
		fclose(f);
		return cli_fail("cannot import '%s': %s", path, err_msg());
	}
	for (;;) {
		unsigned char *b = NULL;
		size_t len = 0;

		r = read_one(f, path, ++nth, &b, &len);
		if (r != 0)
			break;
		apply_one(n, path, nth, b, len, &c);
		free(b);
	}
	fclose(f);
	if (store_batch_commit(n->store) != 0) {
		store_batch_rollback(n->store);
		return cli_fail("cannot import '%s': %s", path, err_msg());
	}
	if (ctx->json)
		rc = out_json_print(json_pack("{s:s, s:I, s:I, s:I, s:I}", "file", path,
			"applied", (json_int_t)c.applied, "duplicates", (json_int_t)c.duplicates,
			"conflicts", (json_int_t)c.conflicts, "rejected", (json_int_t)c.rejected));
	else
		rc = ctx->quiet ? 0 : (printf("'%s': %ld applied, %ld already held, "
			"%ld rejected, %ld conflict%s recorded\n", path, c.applied,
			c.duplicates, c.rejected, c.conflicts,
			c.conflicts == 1 ? "" : "s"), 0);
	if (c.applied > 0)
		cli_after_write(ctx, n);
	if (rc == 0 && (r < 0 || c.rejected > 0))
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
