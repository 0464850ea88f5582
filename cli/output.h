/*
 * output.h - what the taphop commands share: text tables aligned by display
 * width (Vietnamese letters with marks are one column wide), record and
 * value formatting, JSON output (jansson), and the parser/help entry points
 * implemented in cli/opts.c.
 *
 * Results go to stdout only; messages go to stderr through cli_fail() and
 * out_warn().  Sensitive columns are shown on the officer's own screen
 * (show, list --json, export) but never written to any log.
 */
#ifndef TAPHOP_CLI_OUTPUT_H
#define TAPHOP_CLI_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "cli/cli.h"
#include "replicas/store.h"

/* ---- parsing and help (cli/opts.c) ------------------------------------ */

enum cli_parse_result {
	CLI_PARSED = 0,
	CLI_HELP_SHOWN = 1,   /* --help was printed: exit 0 */
	CLI_USAGE_ERROR = 2,  /* a usage error was printed: exit 2 */
};

/*
 * Parses argv (the words after the command name) against cmd's option
 * table, and, when cmd->table_columns, against the columns of the table
 * named by the first word.  The global options (--dir, --as, --json,
 * --quiet) are also accepted here and set in ctx.
 */
int cli_parse(const struct cli_command *cmd, struct cli_ctx *ctx, int argc,
	      char **argv, struct cli_args *out);

/* Values of cli_command.table_columns for the commands of this file set:
 * how the table's columns are offered as options. */
#define CLI_COLUMNS_VALUES 1  /* add: values, required ones marked */
#define CLI_COLUMNS_EDIT 2    /* edit: new values, "" clears */
#define CLI_COLUMNS_FILTER 3  /* list, export: exact-match filters */

/* Prints cmd's help; t, if not NULL, adds the table's column options. */
void cli_help(FILE *f, const struct cli_command *cmd,
	      const struct table_desc *t);

/* Prints the global options' help lines, for `taphop --help`. */
void cli_help_globals(FILE *f);

/* The table named by args->pos[0] for a table_columns command, or NULL
 * after a usage error naming the known tables has been printed. */
const struct table_desc *cli_table_arg(const struct cli_command *cmd,
				       const struct cli_args *a);

/* The candidate closest to typed (edit distance, '_' read as '-'), or
 * NULL when none is close enough to suggest. */
const char *cli_closest(const char *typed, const char *const *cands, int n);

/* "taphop: warning: ..." on stderr. */
void out_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* In cli/cmd_sync.c: asks a
 * running taphopd on n's data directory to sync now.  Returns 0 when a
 * daemon was nudged or none runs. */
int cli_sync_nudge(struct cli_ctx *ctx, struct node *n);

/* ---- text tables ------------------------------------------------------- */

/* Columns the terminal shows for UTF-8 s (combining marks 0, wide 2). */
int out_width(const char *s);

struct out_table;

/* A table of ncols columns with the given headers (copied). NULL on ENOMEM. */
struct out_table *out_table_new(int ncols, const char *const *headers);
/* Appends a row of ncols cells (copied; NULL prints as empty). */
int out_table_add(struct out_table *tb, const char *const *cells);
/* Prints with columns aligned; cells wider than maxw are cut with "…". */
void out_table_print(struct out_table *tb, FILE *f, int maxw);
void out_table_free(struct out_table *tb);

/* ---- values and records ------------------------------------------------ */

/* A value as officers read it: bools yes/no, else as stored; "" for NULL.
 * Borrowed from v or a constant. */
const char *out_value_text(const struct column_desc *c, const char *v);

/* Writes "Họ và tên / Full name" style labels and values of r, aligned. */
void out_record_show(FILE *f, const struct record *r);

/* r as a JSON object: id, table, each column typed (ints and bools as
 * numbers and booleans), deleted when set.  New reference. */
json_t *out_record_json(const struct record *r);

/* Dumps j (stolen) to stdout, indented, followed by a newline.
 * Returns 0 or 1 on failure (message printed). */
int out_json_print(json_t *j);

/* Local time of ms since 1970 as "2026-03-14 09:26:53" into buf. */
void out_time(uint64_t ms, char *buf, size_t bufsz);

/* Lower-case hex of n bytes into buf (>= 2n + 1). */
void out_hex(const unsigned char *p, size_t n, char *buf);

/* The operator name (ctx, else $TAPHOP_OPERATOR, $USER, "unknown"). */
const char *out_operator(const struct cli_ctx *ctx);

#endif
