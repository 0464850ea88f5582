/*
 * cmd_log.c - taphop log: the change-sets this replica holds, newest
 * first: stream (origin, scope), sequence, time, operator, number of
 * changes, reason.  Never shows field values (they may be sensitive).
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "replicas/err.h"
#include "replicas/hlc.h"

#include "replicas/banned.h"

extern const struct cli_command cmd_log;

static const struct cli_option opts[] = {
	{ "limit", 'n', OPT_INT, "N", "the last N change-sets (default 20; 0: all)" },
	{ "origin", 0, OPT_STRING, "CODE", "only change-sets made by node CODE" },
	{ "scope", 0, OPT_STRING, "CODE", "only change-sets of scope CODE" },
	{ NULL, 0, OPT_FLAG, NULL, NULL },
};

/* The last `limit` infos, in a ring (or all, growing, when limit is 0). */
struct ring {
	struct changeset_info *v;
	size_t cap, n, total;
	int grow;
};

static int keep_cb(void *ctx, const struct changeset_info *ci,
		   const unsigned char *bytes, size_t len)
{
	struct ring *r = ctx;

	(void)bytes;
	(void)len;
	if (r->grow && r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct changeset_info *v = realloc(r->v, cap * sizeof(*v));

		if (!v)
			return -1;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->total % r->cap] = *ci;
	r->total++;
	if (r->n < r->cap)
		r->n++;
	return 0;
}

static json_t *info_json(const struct changeset_info *ci)
{
	char digest[2 * STORE_DIGEST_LEN + 1], when[40];

	out_hex(ci->digest, STORE_DIGEST_LEN, digest);
	hlc_format(ci->sealed_hlc, when, sizeof(when));
	return json_pack("{s:I, s:s, s:s, s:I, s:s, s:I, s:s, s:s?, s:i, s:s}",
			 "order", (json_int_t)ci->local_order, "origin", ci->origin,
			 "scope", ci->scope, "seq", (json_int_t)ci->seq,
			 "sealed", when, "stored_ms", (json_int_t)ci->stored_ms,
			 "operator", ci->operator_name,
			 "reason", ci->reason[0] ? ci->reason : NULL,
			 "changes", ci->nchanges, "digest", digest);
}

static int print_ring(struct cli_ctx *ctx, const struct ring *r)
{
	static const char *const heads[] = { "seq", "sealed", "origin", "scope",
		"operator", "changes", "reason" };
	struct out_table *tb = NULL;
	json_t *arr = NULL;
	int rc = 1;

	if (ctx->json ? !(arr = json_array()) : !(tb = out_table_new(7, heads)))
		return cli_fail("out of memory");
	for (size_t k = 0; k < r->n; k++) {
		const struct changeset_info *ci = &r->v[(r->total - 1 - k) % r->cap];
		char seq[24], when[40], nch[16];
		const char *cells[7] = { seq, when, ci->origin, ci->scope,
					 ci->operator_name, nch, ci->reason };

		if (arr) {
			json_array_append_new(arr, info_json(ci));
			continue;
		}
		snprintf(seq, sizeof(seq), "%llu", (unsigned long long)ci->seq);
		out_time(HLC_MS(ci->sealed_hlc), when, sizeof(when));
		snprintf(nch, sizeof(nch), "%d", ci->nchanges);
		if (out_table_add(tb, cells) != 0)
			goto done;
	}
	if (arr) {
		rc = out_json_print(arr);
		arr = NULL;
		goto done;
	}
	if (r->n > 0)
		out_table_print(tb, stdout, 40);
	if (!ctx->quiet)
		fprintf(stderr, "%zu of %zu change-sets\n", r->n, r->total);
	rc = 0;
done:
	json_decref(arr);
	out_table_free(tb);
	return rc;
}

static int exec(struct cli_ctx *ctx, struct cli_args *a)
{
	struct ring r = { 0 };
	struct node *n = NULL;
	int rc = 1, limit = 20;

	if (a->npos > 0)
		return cli_usage(&cmd_log, "unexpected argument '%s'", a->pos[0]);
	if (cli_opt(a, "limit"))
		limit = atoi(cli_opt(a, "limit"));
	if (limit < 0)
		return cli_usage(&cmd_log, "--limit must be 0 or more");
	r.grow = limit == 0;
	if (limit > 0) {
		r.cap = (size_t)limit;
		r.v = calloc(r.cap, sizeof(*r.v));
		if (!r.v)
			return cli_fail("out of memory");
	}
	if (cli_node_open(ctx, &n) != 0)
		goto done;
	if (store_changesets(n->store, 0, cli_opt(a, "origin"), cli_opt(a, "scope"),
			     keep_cb, &r) < 0) {
		rc = cli_fail("cannot read the change-set log: %s", err_msg());
		goto done;
	}
	rc = print_ring(ctx, &r);
done:
	free(r.v);
	node_close(n);
	return rc;
}

const struct cli_command cmd_log = {
	.name = "log",
	.summary = "the signed change-sets this replica holds, last received first",
	.usage = "[--limit N] [--origin CODE] [--scope CODE]",
	.opts = opts,
	.exec = exec,
};
