/*
 * cmd_edit.c - taphop edit TABLE ID --COLUMN VALUE...: changes the given
 * columns of one live record; an empty VALUE clears a column.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "replicas/err.h"

#include "replicas/banned.h"

extern const struct cli_command cmd_edit;

static const struct cli_option opts[] = {
	{ "reason", 0, OPT_STRING, "TEXT", "why, recorded with the change" },
	{ NULL, 0, OPT_FLAG, NULL, NULL },
};

static int exec(struct cli_ctx *ctx, struct cli_args *a)
{
	const struct table_desc *t = cli_table_arg(&cmd_edit, a);
	struct node *n = NULL;
	struct record *r = NULL;
	int rc = 1, given = 0;

	if (!t)
		return 2;
	if (a->npos != 2)
		return cli_usage(&cmd_edit, a->npos < 2 ? "name the record: taphop edit %s ID --COLUMN VALUE"
				 : "unexpected argument '%s'", a->npos < 2 ? t->name : a->pos[2]);
	for (int i = 0; i < t->ncols; i++)
		given += a->colvals[i] != NULL;
	if (!given)
		return cli_usage(&cmd_edit, "nothing to change; see 'taphop edit %s --help'",
				 t->name);
	if (cli_node_open(ctx, &n) != 0)
		return 1;
	if (store_get(n->store, t, a->pos[1], 0, &r) != 0) {
		rc = cli_fail("cannot edit %s '%s': %s", t->name, a->pos[1], err_msg());
		goto done;
	}
	if (store_begin(n->store, ctx->operator_name, cli_opt(a, "reason")) != 0 ||
	    store_update(n->store, t, r->id, a->colvals) != 0 ||
	    store_commit(n->store) != 0) {
		rc = cli_fail("cannot edit %s '%s': %s", t->name, r->id, err_msg());
		store_rollback(n->store);
		goto done;
	}
	if (ctx->json)
		rc = out_json_print(json_pack("{s:s, s:s}", "id", r->id, "table", t->name));
	else
		rc = (ctx->quiet ? 0 : printf("changed %s %s\n", t->name, r->id), 0);
	cli_after_write(ctx, n);
done:
	record_free(r);
	node_close(n);
	return rc;
}

const struct cli_command cmd_edit = {
	.name = "edit",
	.summary = "change columns of a record",
	.usage = "TABLE ID --COLUMN VALUE... [--reason TEXT]",
	.opts = opts,
	.table_columns = CLI_COLUMNS_EDIT,
	.exec = exec,
	.description =
		"ID may be the full id or a unique prefix of at least 8 characters.\n"
		"An empty VALUE (--phone '') clears the column.  The ward of a record\n"
		"cannot change: a person moving to another ward is a transfer.",
};
