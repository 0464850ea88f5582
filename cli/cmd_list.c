/*
 * cmd_list.c - taphop list TABLE [--COLUMN VALUE...] [--limit N]: the live
 * records of a table, filtered by exact column values, as an aligned table
 * (a few columns that fit a screen, or --columns) or as JSON (every field).
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "replicas/err.h"

#include "replicas/banned.h"

extern const struct cli_command cmd_list;

static const struct cli_option opts[] = {
	{ "limit", 'n', OPT_INT, "N", "at most N records" },
	{ "columns", 'c', OPT_STRING, "A,B,...", "the columns to show (text output)" },
	{ NULL, 0, OPT_FLAG, NULL, NULL },
};

#define MAX_SHOWN 7

struct list_ctx {
	int cols[SCHEMA_MAX_COLUMNS], ncols;
	struct out_table *tb;
	json_t *arr;
	long long count;
};

/* The default columns: the ward, the title, the required ones, then others
 * that are neither sensitive nor long text, up to MAX_SHOWN. */
static void default_columns(const struct table_desc *t, struct list_ctx *lc)
{
	int used[SCHEMA_MAX_COLUMNS] = { 0 };
	int tc = t->title_col ? schema_column_find(t, t->title_col, false) : -1;

	lc->cols[lc->ncols++] = 0;
	used[0] = 1;
	if (tc > 0) {
		lc->cols[lc->ncols++] = tc;
		used[tc] = 1;
	}
	for (int pass = 0; pass < 2; pass++)
		for (int i = 1; i < t->ncols && lc->ncols < MAX_SHOWN; i++) {
			const struct column_desc *c = &t->cols[i];

			if (used[i] || (c->flags & COL_SENSITIVE) ||
			    (c->type == COL_TEXT && c->max_len > 300))
				continue;
			if (pass == 0 && !(c->flags & COL_REQUIRED))
				continue;
			lc->cols[lc->ncols++] = i;
			used[i] = 1;
		}
}

static int pick_columns(const struct table_desc *t, const char *spec,
			struct list_ctx *lc)
{
	char *copy = strdup(spec), *save = NULL;

	if (!copy)
		return cli_fail("out of memory");
	for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		int c = schema_column_find(t, w, true);

		if (c < 0) {
			cli_usage(&cmd_list, "table '%s' has no column '%s'", t->name, w);
			free(copy);
			return 2;
		}
		if (lc->ncols < SCHEMA_MAX_COLUMNS)
			lc->cols[lc->ncols++] = c;
	}
	free(copy);
	return 0;
}

static int row_cb(void *ctx, const struct record *r)
{
	struct list_ctx *lc = ctx;
	const char *cells[SCHEMA_MAX_COLUMNS + 1];

	lc->count++;
	if (lc->arr)
		return json_array_append_new(lc->arr, out_record_json(r)) ? -1 : 0;
	cells[0] = r->id;
	for (int i = 0; i < lc->ncols; i++)
		cells[i + 1] = out_value_text(&r->t->cols[lc->cols[i]], r->vals[lc->cols[i]]);
	return out_table_add(lc->tb, cells);
}

static int make_output(const struct table_desc *t, struct cli_ctx *ctx,
		       struct list_ctx *lc)
{
	const char *heads[SCHEMA_MAX_COLUMNS + 1];

	if (ctx->json) {
		lc->arr = json_array();
		return lc->arr ? 0 : cli_fail("out of memory");
	}
	heads[0] = "id";
	for (int i = 0; i < lc->ncols; i++)
		heads[i + 1] = t->cols[lc->cols[i]].name;
	lc->tb = out_table_new(lc->ncols + 1, heads);
	return lc->tb ? 0 : cli_fail("out of memory");
}

static int exec(struct cli_ctx *ctx, struct cli_args *a)
{
	const struct table_desc *t = cli_table_arg(&cmd_list, a);
	struct store_filter f[SCHEMA_MAX_COLUMNS];
	struct list_ctx lc = { .ncols = 0 };
	struct node *n = NULL;
	int rc = 1, nf = 0, limit = 0;

	if (!t)
		return 2;
	if (a->npos > 1)
		return cli_usage(&cmd_list, "unexpected argument '%s' (filters are "
				 "given as --COLUMN VALUE)", a->pos[1]);
	if (cli_opt(a, "limit"))
		limit = atoi(cli_opt(a, "limit"));
	if (cli_opt(a, "columns")) {
		if ((rc = pick_columns(t, cli_opt(a, "columns"), &lc)) != 0)
			return rc;
	} else {
		default_columns(t, &lc);
	}
	for (int i = 0; i < t->ncols; i++)
		if (a->colvals[i]) {
			f[nf].col = i;
			f[nf++].value = a->colvals[i];
		}
	if (cli_node_open(ctx, &n) != 0)
		return 1;
	if ((rc = make_output(t, ctx, &lc)) != 0)
		goto done;
	if (store_list(n->store, t, f, nf, limit, row_cb, &lc) < 0) {
		rc = cli_fail("cannot list %s: %s", t->name, err_msg());
		goto done;
	}
	if (lc.arr) {
		rc = out_json_print(lc.arr);
		lc.arr = NULL;
	} else {
		if (lc.count > 0)
			out_table_print(lc.tb, stdout, 40);
		if (!ctx->quiet)
			fprintf(stderr, "%lld %s record%s\n", lc.count, t->name,
				lc.count == 1 ? "" : "s");
		rc = 0;
	}
done:
	json_decref(lc.arr);
	out_table_free(lc.tb);
	node_close(n);
	return rc;
}

const struct cli_command cmd_list = {
	.name = "list",
	.summary = "list the records of a table, with filters",
	.usage = "TABLE [--COLUMN VALUE...] [--limit N] [--columns A,B,...]",
	.opts = opts,
	.table_columns = CLI_COLUMNS_FILTER,
	.exec = exec,
	.description =
		"Example: taphop list person --occupation worker --limit 20\n"
		"With --json every field of every record is printed.",
};
