/*
 * cmd_add.c - taphop add TABLE --COLUMN VALUE...: inserts one record
 * through the store (validated, captured, sealed, signed) and prints its id.
 *
 * A person whose citizen id is already registered is refused, showing the
 * existing record, unless --force: duplicates are reviewable findings, but
 * an officer should not make one by accident.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "replicas/err.h"

#include "replicas/banned.h"

extern const struct cli_command cmd_add;

static const struct cli_option opts[] = {
	{ "force", 0, OPT_FLAG, NULL, "add a person even if the citizen id is already registered" },
	{ "reason", 0, OPT_STRING, "TEXT", "why, recorded with the change" },
	{ NULL, 0, OPT_FLAG, NULL, NULL },
};

struct dup {
	int found;
	char id[STORE_ID_LEN + 1];
	char name[256], birth[32];
};

static int dup_cb(void *ctx, const struct record *r)
{
	struct dup *d = ctx;
	int nc = schema_column_find(r->t, "full_name", false);
	int bc = schema_column_find(r->t, "birth_date", false);

	d->found = 1;
	snprintf(d->id, sizeof(d->id), "%s", r->id);
	snprintf(d->name, sizeof(d->name), "%s", nc >= 0 && r->vals[nc] ? r->vals[nc] : "");
	snprintf(d->birth, sizeof(d->birth), "%s", bc >= 0 && r->vals[bc] ? r->vals[bc] : "");
	return 1;
}

/* 0 if no live person holds the citizen id in vals, else 1 (printed). */
static int check_citizen(struct store *s, const struct table_desc *t,
			 const char *const *vals)
{
	int col = schema_column_find(t, "citizen_id", false);
	struct store_filter f;
	struct dup d = { 0 };
	int rc;

	if (col < 0 || !vals[col] || !*vals[col])
		return 0;
	f.col = col;
	f.value = vals[col];
	rc = store_list(s, t, &f, 1, 1, dup_cb, &d);
	if (rc < 0)
		return cli_fail("%s", err_msg());
	if (!d.found)
		return 0;
	return cli_fail("citizen id '%s' is already registered to %s, born %s "
			"(id %s); use 'taphop edit person %s' to change that record, "
			"or --force to add another person anyway",
			vals[col], d.name, d.birth, d.id, d.id);
}

static int exec(struct cli_ctx *ctx, struct cli_args *a)
{
	const struct table_desc *t = cli_table_arg(&cmd_add, a);
	struct node *n = NULL;
	char id[STORE_ID_LEN + 1];
	int rc = 1, given = 0;

	if (!t)
		return 2;
	if (a->npos > 1)
		return cli_usage(&cmd_add, "unexpected argument '%s' (values are given "
				 "as --COLUMN VALUE)", a->pos[1]);
	for (int i = 0; i < t->ncols; i++)
		given += a->colvals[i] != NULL;
	if (!given)
		return cli_usage(&cmd_add, "give the new record's values as options; "
				 "see 'taphop add %s --help'", t->name);
	if (cli_node_open(ctx, &n) != 0)
		return 1;
	if (!a->colvals[0])
		a->colvals[0] = store_node_code(n->store);
	if (!cli_flag(a, "force") && check_citizen(n->store, t, a->colvals) != 0)
		goto done;
	if (store_begin(n->store, ctx->operator_name, cli_opt(a, "reason")) != 0 ||
	    store_insert(n->store, t, a->colvals, NULL, id) != 0 ||
	    store_commit(n->store) != 0) {
		rc = cli_fail("cannot add %s: %s", t->name, err_msg());
		store_rollback(n->store);
		goto done;
	}
	if (ctx->json)
		rc = out_json_print(json_pack("{s:s, s:s}", "id", id, "table", t->name));
	else
		rc = (printf("%s\n", id), 0);
	cli_after_write(ctx, n);
done:
	node_close(n);
	return rc;
}

const struct cli_command cmd_add = {
	.name = "add",
	.summary = "add a record (a person, membership, unit, activity, ...)",
	.usage = "TABLE --COLUMN VALUE... [--reason TEXT] [--force]",
	.opts = opts,
	.table_columns = CLI_COLUMNS_VALUES,
	.exec = exec,
	.description =
		"Prints the new record's id.  Example:\n"
		"  taphop add person --full-name 'Nguyễn Văn Đức' --birth-date 2001-05-12 \\\n"
		"      --citizen-id 079201001234 --phone 0903123456",
};
