/*
 * cmd_conflicts.c - taphop conflicts list | show ID | resolve ID: the
 * values that lost to a concurrent edit, kept for an officer to review.
 * Resolving writes an ordinary new change (so it travels like any edit).
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "replicas/err.h"
#include "replicas/hlc.h"

#include "replicas/banned.h"

extern const struct cli_command cmd_conflicts;

static const struct cli_option opts[] = {
	{ "all", 'a', OPT_FLAG, NULL, "list: include resolved conflicts" },
	{ "keep-current", 0, OPT_FLAG, NULL, "resolve: keep the value the record has now" },
	{ "take-other", 0, OPT_FLAG, NULL, "resolve: write the losing value back" },
	{ "value", 0, OPT_STRING, "VALUE", "resolve: write this value instead" },
	{ "reason", 0, OPT_STRING, "TEXT", "resolve: why, recorded with the change" },
	{ NULL, 0, OPT_FLAG, NULL, NULL },
};

static json_t *conflict_json(const struct conflict *c)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:s?, s:s, s:I, s:s?, s:s, s:I, s:I, s:b, s:s}",
			 "id", (json_int_t)c->id, "table", c->table,
			 "record", c->record, "column", c->column,
			 "current_value", c->winner_value,
			 "current_origin", c->winner_origin,
			 "current_hlc", (json_int_t)c->winner_hlc,
			 "other_value", c->loser_value,
			 "other_origin", c->loser_origin,
			 "other_hlc", (json_int_t)c->loser_hlc,
			 "detected_ms", (json_int_t)c->detected_ms,
			 "resolved", c->resolved, "resolution", c->resolution);
}

struct list_ctx {
	json_t *arr;
	struct out_table *tb;
	long n;
};

static int list_cb(void *ctx, const struct conflict *c)
{
	struct list_ctx *lc = ctx;
	char id[32], when[40];
	const char *cells[8];

	lc->n++;
	if (lc->arr)
		return json_array_append_new(lc->arr, conflict_json(c)) ? -1 : 0;
	snprintf(id, sizeof(id), "%lld", c->id);
	out_time(c->detected_ms, when, sizeof(when));
	cells[0] = id;
	cells[1] = c->table;
	cells[2] = c->record;
	cells[3] = c->column;
	cells[4] = c->winner_value ? c->winner_value : "(none)";
	cells[5] = c->loser_value ? c->loser_value : "(none)";
	cells[6] = c->loser_origin;
	cells[7] = c->resolved ? "resolved" : when;
	return out_table_add(lc->tb, cells);
}

static int do_list(struct cli_ctx *ctx, struct cli_args *a, struct node *n)
{
	static const char *const heads[] = { "id", "table", "record", "column",
		"current", "other", "other from", "detected" };
	struct list_ctx lc = { 0 };
	int rc = 1;

	if (ctx->json)
		lc.arr = json_array();
	else
		lc.tb = out_table_new(8, heads);
	if (!lc.arr && !lc.tb)
		return cli_fail("out of memory");
	if (store_conflicts(n->store, cli_flag(a, "all"), list_cb, &lc) < 0) {
		rc = cli_fail("cannot list conflicts: %s", err_msg());
		goto done;
	}
	if (lc.arr) {
		rc = out_json_print(lc.arr);
		lc.arr = NULL;
		goto done;
	}
	if (lc.n > 0)
		out_table_print(lc.tb, stdout, 36);
	if (!ctx->quiet)
		fprintf(stderr, "%ld %sconflict%s\n", lc.n, cli_flag(a, "all") ? "" : "open ",
			lc.n == 1 ? "" : "s");
	rc = 0;
done:
	json_decref(lc.arr);
	out_table_free(lc.tb);
	return rc;
}

static int parse_id(const char *s, long long *out)
{
	char *end;

	*out = strtoll(s, &end, 10);
	return *s && !*end && *out > 0;
}

static int do_show(struct cli_ctx *ctx, long long id, struct node *n)
{
	struct conflict c;
	char a[48], b[48];

	memset(&c, 0, sizeof(c));
	if (store_conflict_get(n->store, id, &c) != 0)
		return cli_fail("cannot show conflict %lld: %s", id, err_msg());
	if (ctx->json) {
		int rc = out_json_print(conflict_json(&c));

		conflict_release(&c);
		return rc;
	}
	hlc_format(c.winner_hlc, a, sizeof(a));
	hlc_format(c.loser_hlc, b, sizeof(b));
	printf("conflict %lld%s\nrecord:   %s %s\ncolumn:   %s\n"
	       "current:  %s  (written by %s at %s)\n"
	       "other:    %s  (written by %s at %s)\n",
	       c.id, c.resolved ? " (resolved)" : "", c.table, c.record, c.column,
	       c.winner_value ? c.winner_value : "(none)", c.winner_origin, a,
	       c.loser_value ? c.loser_value : "(none)", c.loser_origin, b);
	if (c.resolved)
		printf("resolution: %s\n", c.resolution);
	else
		printf("\nresolve with: taphop conflicts resolve %lld --keep-current | "
		       "--take-other | --value VALUE\n", c.id);
	conflict_release(&c);
	return 0;
}

static int do_resolve(struct cli_ctx *ctx, struct cli_args *a, long long id,
		      struct node *n)
{
	const char *choice = NULL;
	int given = cli_flag(a, "keep-current") + cli_flag(a, "take-other") +
		    (cli_opt(a, "value") != NULL);

	if (given != 1)
		return cli_usage(&cmd_conflicts, "resolve needs exactly one of "
				 "--keep-current, --take-other, --value VALUE");
	if (cli_flag(a, "keep-current"))
		choice = "winner";
	else if (cli_flag(a, "take-other"))
		choice = "loser";
	else
		choice = cli_opt(a, "value");
	if (store_begin(n->store, ctx->operator_name, cli_opt(a, "reason")) != 0 ||
	    store_conflict_resolve(n->store, id, choice) != 0 ||
	    store_commit(n->store) != 0) {
		store_rollback(n->store);
		return cli_fail("cannot resolve conflict %lld: %s", id, err_msg());
	}
	if (!ctx->quiet)
		printf("resolved conflict %lld\n", id);
	cli_after_write(ctx, n);
	return 0;
}

static int exec(struct cli_ctx *ctx, struct cli_args *a)
{
	const char *sub = a->npos > 0 ? a->pos[0] : "list";
	struct node *n = NULL;
	long long id = 0;
	int rc, list = strcmp(sub, "list") == 0;

	if (!list && strcmp(sub, "show") != 0 && strcmp(sub, "resolve") != 0)
		return cli_usage(&cmd_conflicts, "unknown subcommand '%s' (list, show, resolve)", sub);
	if (list && a->npos > 1)
		return cli_usage(&cmd_conflicts, "unexpected argument '%s'", a->pos[1]);
	if (!list && (a->npos != 2 || !parse_id(a->pos[1], &id)))
		return cli_usage(&cmd_conflicts, "'%s' needs one conflict id (a number "
				 "from 'taphop conflicts list')", sub);
	if (cli_node_open(ctx, &n) != 0)
		return 1;
	if (list)
		rc = do_list(ctx, a, n);
	else if (strcmp(sub, "show") == 0)
		rc = do_show(ctx, id, n);
	else
		rc = do_resolve(ctx, a, id, n);
	node_close(n);
	return rc;
}

const struct cli_command cmd_conflicts = {
	.name = "conflicts",
	.summary = "review and resolve values lost to concurrent edits",
	.usage = "[list [--all] | show ID | resolve ID --keep-current|--take-other|--value V]",
	.opts = opts,
	.exec = exec,
	.description =
		"When two offices edit the same field before seeing each other's edit,\n"
		"the later one (by clock, then origin) wins and the other value is kept\n"
		"here.  Resolving writes a normal change that syncs everywhere.",
};
