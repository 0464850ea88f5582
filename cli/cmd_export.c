/*
 * cmd_export.c - taphop export TABLE: the live records of a table as CSV
 * with a UTF-8 BOM (LibreOffice and Excel keep the diacritics), id first,
 * so that an edited file can be imported back as updates.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "replicas/csvio.h"
#include "replicas/err.h"

#include "replicas/banned.h"

extern const struct cli_command cmd_export;

static const struct cli_option opts[] = {
	{ "output", 'o', OPT_STRING, "FILE", "write to FILE instead of standard output" },
	{ "labels", 0, OPT_FLAG, NULL, "Vietnamese column labels as headers" },
	{ "omit-sensitive", 0, OPT_FLAG, NULL, "leave out ethnicity, religion and disability" },
	{ "no-bom", 0, OPT_FLAG, NULL, "no UTF-8 byte order mark" },
	{ NULL, 0, OPT_FLAG, NULL, NULL },
};

static int exec(struct cli_ctx *ctx, struct cli_args *a)
{
	const struct table_desc *t = cli_table_arg(&cmd_export, a);
	struct store_filter f[SCHEMA_MAX_COLUMNS];
	struct csvio_export_opts o = { 0 };
	const char *path = cli_opt(a, "output");
	struct node *n = NULL;
	FILE *out = stdout;
	long count = 0;
	int rc = 1, nf = 0;

	if (!t)
		return 2;
	if (a->npos > 1)
		return cli_usage(&cmd_export, "unexpected argument '%s' (use --output FILE)",
				 a->pos[1]);
	for (int i = 0; i < t->ncols; i++)
		if (a->colvals[i]) {
			f[nf].col = i;
			f[nf++].value = a->colvals[i];
		}
	o.labels = cli_flag(a, "labels");
	o.omit_sensitive = cli_flag(a, "omit-sensitive");
	o.no_bom = cli_flag(a, "no-bom");
	o.filters = f;
	o.nfilters = nf;
	if (cli_node_open(ctx, &n) != 0)
		return 1;
	if (path && !(out = fopen(path, "wb"))) {
		rc = cli_fail("cannot write '%s': %s", path, strerror(errno));
		goto done;
	}
	if (csvio_export(n->store, t, out, &o, &count) != 0) {
		rc = cli_fail("cannot export %s: %s", t->name, err_msg());
		goto done;
	}
	if (path && fclose(out) != 0) {
		out = stdout;
		rc = cli_fail("cannot write '%s': %s", path, strerror(errno));
		goto done;
	}
	if (path)
		out = stdout;
	if (!ctx->quiet)
		fprintf(stderr, "exported %ld %s record%s%s%s\n", count, t->name,
			count == 1 ? "" : "s", path ? " to " : "", path ? path : "");
	rc = 0;
done:
	if (out != stdout)
		fclose(out);
	node_close(n);
	return rc;
}

const struct cli_command cmd_export = {
	.name = "export",
	.summary = "export a table as CSV for LibreOffice or Excel",
	.usage = "TABLE [--COLUMN VALUE...] [--output FILE] [--labels]",
	.opts = opts,
	.table_columns = CLI_COLUMNS_FILTER,
	.exec = exec,
	.description =
		"The file can be edited and imported back with 'taphop import': rows\n"
		"keep their id, so they update the records they came from.",
};
