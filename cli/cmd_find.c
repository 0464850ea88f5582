/*
 * cmd_find.c - taphop find TEXT...: search every table's names (and a
 * person's citizen id and phone) without typing diacritics: "nguyen van
 * duc" finds "Nguyễn Văn Đức".
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "replicas/err.h"

#include "replicas/banned.h"

extern const struct cli_command cmd_find;

static const struct cli_option opts[] = {
	{ "limit", 'n', OPT_INT, "N", "at most N records (default 50)" },
	{ NULL, 0, OPT_FLAG, NULL, NULL },
};

struct find_ctx {
	struct out_table *tb;
	json_t *arr;
	long long count;
};

/* A second column worth showing next to the title: a person's birth date,
 * a partner's or unit's kind. */
static const char *detail(const struct record *r)
{
	static const char *const prefer[] = { "birth_date", "kind", "start_date", NULL };

	for (int i = 0; prefer[i]; i++) {
		int c = schema_column_find(r->t, prefer[i], false);

		if (c >= 0 && r->vals[c])
			return r->vals[c];
	}
	return "";
}

static int row_cb(void *ctx, const struct record *r)
{
	struct find_ctx *fc = ctx;
	int tc = r->t->title_col ? schema_column_find(r->t, r->t->title_col, false) : -1;
	const char *cells[5];

	fc->count++;
	if (fc->arr)
		return json_array_append_new(fc->arr, out_record_json(r)) ? -1 : 0;
	cells[0] = r->t->name;
	cells[1] = r->id;
	cells[2] = r->vals[0];
	cells[3] = tc >= 0 ? r->vals[tc] : "";
	cells[4] = detail(r);
	return out_table_add(fc->tb, cells);
}

/* The positional words joined by single spaces, malloc'd. */
static char *join(const struct cli_args *a)
{
	size_t len = 1;
	char *s;

	for (int i = 0; i < a->npos; i++)
		len += strlen(a->pos[i]) + 1;
	s = calloc(1, len);
	if (!s)
		return NULL;
	for (int i = 0; i < a->npos; i++) {
		size_t at = strlen(s);

		snprintf(s + at, len - at, "%s%s", i ? " " : "", a->pos[i]);
	}
	return s;
}

static int exec(struct cli_ctx *ctx, struct cli_args *a)
{
	static const char *const heads[] = { "table", "id", "ward", "name", "" };
	struct find_ctx fc = { 0 };
	struct node *n = NULL;
	char *text = NULL;
	int rc = 1, limit = 50;

	if (a->npos < 1)
		return cli_usage(&cmd_find, "give the text to find, e.g. taphop find nguyen van duc");
	if (cli_opt(a, "limit"))
		limit = atoi(cli_opt(a, "limit"));
	text = join(a);
	if (!text)
		return cli_fail("out of memory");
	if (cli_node_open(ctx, &n) != 0)
		goto done;
	if (ctx->json)
		fc.arr = json_array();
	else
		fc.tb = out_table_new(5, heads);
	if (!fc.arr && !fc.tb) {
		rc = cli_fail("out of memory");
		goto done;
	}
	if (store_find(n->store, text, limit, row_cb, &fc) < 0) {
		rc = cli_fail("cannot search for '%s': %s", text, err_msg());
		goto done;
	}
	if (fc.arr) {
		rc = out_json_print(fc.arr);
		fc.arr = NULL;
		goto done;
	}
	if (fc.count > 0)
		out_table_print(fc.tb, stdout, 40);
	if (!ctx->quiet)
		fprintf(stderr, "%lld found for '%s'\n", fc.count, text);
	rc = 0;
done:
	json_decref(fc.arr);
	out_table_free(fc.tb);
	node_close(n);
	free(text);
	return rc;
}

const struct cli_command cmd_find = {
	.name = "find",
	.summary = "find people, units, activities, partners by name (no diacritics needed)",
	.usage = "TEXT... [--limit N]",
	.opts = opts,
	.exec = exec,
	.description =
		"Every word must occur; case and Vietnamese marks are ignored (đ = d).\n"
		"A citizen id or a phone number finds its person.  Example:\n"
		"  taphop find nguyen van duc",
};
