/*
 * cmd_delete.c - taphop delete TABLE ID: tombstones one live record (the
 * deletion is a change like any other; history keeps the record).
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "replicas/err.h"

#include "replicas/banned.h"

extern const struct cli_command cmd_delete;

static const struct cli_option opts[] = {
	{ "reason", 0, OPT_STRING, "TEXT", "why, recorded with the change" },
	{ NULL, 0, OPT_FLAG, NULL, NULL },
};

static int exec(struct cli_ctx *ctx, struct cli_args *a)
{
	const struct table_desc *t;
	struct node *n = NULL;
	struct record *r = NULL;
	int rc = 1, tc;

	if (a->npos != 2)
		return cli_usage(&cmd_delete, a->npos < 2 ? "name a table and a record id"
				 : "unexpected argument '%s'", a->npos < 2 ? "" : a->pos[2]);
	t = cli_table_arg(&cmd_delete, a);
	if (!t)
		return 2;
	if (cli_node_open(ctx, &n) != 0)
		return 1;
	if (store_get(n->store, t, a->pos[1], 0, &r) != 0) {
		rc = cli_fail("cannot delete %s '%s': %s", t->name, a->pos[1], err_msg());
		goto done;
	}
	if (store_begin(n->store, ctx->operator_name, cli_opt(a, "reason")) != 0 ||
	    store_delete(n->store, t, r->id) != 0 ||
	    store_commit(n->store) != 0) {
		rc = cli_fail("cannot delete %s '%s': %s", t->name, r->id, err_msg());
		store_rollback(n->store);
		goto done;
	}
	tc = t->title_col ? schema_column_find(t, t->title_col, false) : -1;
	if (ctx->json)
		rc = out_json_print(json_pack("{s:s, s:s, s:b}", "id", r->id,
					      "table", t->name, "deleted", 1));
	else if (!ctx->quiet)
		rc = (printf("deleted %s %s%s%s%s\n", t->name, r->id,
			     tc >= 0 && r->vals[tc] ? " ('" : "",
			     tc >= 0 && r->vals[tc] ? r->vals[tc] : "",
			     tc >= 0 && r->vals[tc] ? "')" : ""), 0);
	else
		rc = 0;
	cli_after_write(ctx, n);
done:
	record_free(r);
	node_close(n);
	return rc;
}

const struct cli_command cmd_delete = {
	.name = "delete",
	.summary = "delete a record (kept in the signed history)",
	.usage = "TABLE ID [--reason TEXT]",
	.opts = opts,
	.exec = exec,
	.description = "ID may be the full id or a unique prefix of at least 8 characters.",
};
