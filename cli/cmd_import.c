/*
 * cmd_import.c - taphop import TABLE FILE.csv: a ward's existing
 * spreadsheet into the replica, all or nothing, every bad row reported.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "replicas/csvio.h"
#include "replicas/err.h"

#include "replicas/banned.h"

extern const struct cli_command cmd_import;

static const struct cli_option opts[] = {
	{ "dry-run", 0, OPT_FLAG, NULL, "check every row, store nothing" },
	{ "force", 0, OPT_FLAG, NULL, "import people whose citizen id is already registered" },
	{ "reason", 0, OPT_STRING, "TEXT", "why, recorded with the changes" },
	{ "progress", 0, OPT_FLAG, NULL, "print progress on stderr even when it is not a terminal" },
	{ NULL, 0, OPT_FLAG, NULL, NULL },
};

static void progress(void *ctx, long rows)
{
	fprintf(stderr, "taphop: %s: %ld rows read\n", (const char *)ctx, rows);
}

static int report(struct cli_ctx *ctx, const char *path, int dry,
		  const struct csvio_report *rep)
{
	if (ctx->json)
		return out_json_print(json_pack("{s:s, s:b, s:I, s:I, s:I, s:I}",
			"file", path, "dry_run", dry, "rows", (json_int_t)rep->rows,
			"inserted", (json_int_t)rep->inserted,
			"updated", (json_int_t)rep->updated,
			"unchanged", (json_int_t)rep->unchanged));
	if (!ctx->quiet)
		printf("%s '%s': %ld rows, %ld added, %ld updated, %ld unchanged\n",
		       dry ? "checked (dry run, nothing stored)" : "imported",
		       path, rep->rows, rep->inserted, rep->updated, rep->unchanged);
	return 0;
}

static int exec(struct cli_ctx *ctx, struct cli_args *a)
{
	struct csvio_import_opts o = { 0 };
	struct csvio_report rep = { 0 };
	const struct table_desc *t;
	struct node *n = NULL;
	int rc;

	if (a->npos != 2)
		return cli_usage(&cmd_import, a->npos < 2 ? "name a table and a csv file"
				 : "unexpected argument '%s'", a->npos < 2 ? "" : a->pos[2]);
	t = cli_table_arg(&cmd_import, a);
	if (!t)
		return 2;
	if (cli_node_open(ctx, &n) != 0)
		return 1;
	o.dry_run = cli_flag(a, "dry-run");
	o.force = cli_flag(a, "force");
	o.operator_name = ctx->operator_name;
	o.reason = cli_opt(a, "reason");
	if (cli_flag(a, "progress") || isatty(STDERR_FILENO)) {
		o.progress = progress;
		o.progress_ctx = (void *)a->pos[1];
	}
	rc = csvio_import(n->store, t, a->pos[1], &o, &rep);
	if (rc == ERR_INVALID && rep.nerrors > 0) {
		for (int i = 0; i < rep.nmessages; i++)
			cli_fail("cannot import '%s': %s", a->pos[1], rep.messages[i]);
		if (rep.nerrors > rep.nmessages)
			cli_fail("cannot import '%s': and %ld more errors", a->pos[1],
				 rep.nerrors - rep.nmessages);
		rc = cli_fail("nothing imported from '%s': %ld error%s in %ld rows",
			      a->pos[1], rep.nerrors, rep.nerrors == 1 ? "" : "s", rep.rows);
	} else if (rc != 0) {
		rc = cli_fail("%s", err_msg());
	} else {
		rc = report(ctx, a->pos[1], o.dry_run, &rep);
		if (!o.dry_run && rep.inserted + rep.updated > 0)
			cli_after_write(ctx, n);
	}
	csvio_report_release(&rep);
	node_close(n);
	return rc;
}

const struct cli_command cmd_import = {
	.name = "import",
	.summary = "import a CSV file (a spreadsheet) into a table, all or nothing",
	.usage = "TABLE FILE.csv [--dry-run] [--force] [--reason TEXT]",
	.opts = opts,
	.exec = exec,
	.description =
		"The first line names the columns, by name (full_name) or by Vietnamese\n"
		"label (Họ và tên); UTF-8 with or without a BOM, ',' or ';' separated.\n"
		"A row with an 'id' that exists updates that record (what 'taphop export'\n"
		"writes can be edited and imported back); other rows are added.  A row\n"
		"without a ward gets this node's own.  If any row is bad nothing is\n"
		"stored, and every bad row is reported with its line, field and rule.",
};
