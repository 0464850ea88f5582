/*
 * cmd_show.c - taphop show TABLE ID: every field of one record with its
 * Vietnamese and English label (sensitive fields included: this is the
 * officer's own screen), or the record as JSON.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "replicas/err.h"

#include "replicas/banned.h"

extern const struct cli_command cmd_show;

static const struct cli_option opts[] = {
	{ "deleted", 0, OPT_FLAG, NULL, "show the record even if it was deleted" },
	{ NULL, 0, OPT_FLAG, NULL, NULL },
};

static int exec(struct cli_ctx *ctx, struct cli_args *a)
{
	const struct table_desc *t;
	struct node *n = NULL;
	struct record *r = NULL;
	int rc = 1;

	if (a->npos != 2)
		return cli_usage(&cmd_show, a->npos < 2 ? "name a table and a record id"
				 : "unexpected argument '%s'", a->npos < 2 ? "" : a->pos[2]);
	t = cli_table_arg(&cmd_show, a);
	if (!t)
		return 2;
	if (cli_node_open(ctx, &n) != 0)
		return 1;
	if (store_get(n->store, t, a->pos[1], cli_flag(a, "deleted"), &r) != 0) {
		rc = cli_fail("cannot show %s '%s': %s", t->name, a->pos[1], err_msg());
		goto done;
	}
	if (ctx->json) {
		rc = out_json_print(out_record_json(r));
	} else {
		out_record_show(stdout, r);
		rc = 0;
	}
done:
	record_free(r);
	node_close(n);
	return rc;
}

const struct cli_command cmd_show = {
	.name = "show",
	.summary = "show every field of a record",
	.usage = "TABLE ID [--deleted]",
	.opts = opts,
	.exec = exec,
	.description = "ID may be the full id or a unique prefix of at least 8 characters.",
};
