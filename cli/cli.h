/*
 * cli.h - the taphop command table and option parsing.
 *
 * Each command lives in its own file cli/cmd_<name>.c and defines one
 * `const struct cli_command cmd_<name>`, whose option table drives both
 * parsing and --help.  cli/main.c holds the table of commands.
 * Exit codes: 0 ok, 1 failure, 2 usage.
 */
#ifndef TAPHOP_CLI_H
#define TAPHOP_CLI_H

#include <stdio.h>

#include "replicas/node.h"

enum cli_opt_kind {
	OPT_FLAG,   /* --name */
	OPT_STRING, /* --name VALUE or --name=VALUE */
	OPT_INT,    /* --name N */
};

struct cli_option {
	const char *name;      /* long name without dashes; NULL ends a table */
	char short_name;       /* 0 if none */
	enum cli_opt_kind kind;
	const char *argname;   /* e.g. "FILE" for help */
	const char *help;
};

#define CLI_MAX_OPTS 64
#define CLI_MAX_POS 16

/* Parsed arguments of one command. */
struct cli_args {
	const char *values[CLI_MAX_OPTS]; /* by option index; flags: "1" */
	const struct cli_option *opts;
	int nopts;
	const char *pos[CLI_MAX_POS];     /* positional arguments */
	int npos;
	/* options generated from a table's columns (add/edit/list): */
	const char *colvals[SCHEMA_MAX_COLUMNS];
};

/* Global context: options given before the command. */
struct cli_ctx {
	const char *dir;      /* --dir, resolved later with node_dir_resolve */
	const char *operator_name; /* --as, else $TAPHOP_OPERATOR, else $USER */
	int json;             /* --json */
	int quiet;
};

struct cli_command {
	const char *name;
	const char *summary;          /* one line, for `taphop --help` */
	const char *usage;            /* e.g. "TABLE [--COLUMN VALUE...]" */
	const struct cli_option *opts;/* NULL-name terminated; may be NULL */
	/* columns of a table become options (add, edit, list) */
	int table_columns;
	int (*exec)(struct cli_ctx *ctx, struct cli_args *args);
	const char *description;      /* longer text for --help; may be NULL */
};

/* Value of option name, or NULL if not given. */
const char *cli_opt(const struct cli_args *a, const char *name);
/* 1 if flag name was given. */
int cli_flag(const struct cli_args *a, const char *name);

/* Prints "taphop: <message>" to stderr; returns 1 (the failure exit code). */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints a usage error naming the command; returns 2. */
int cli_usage(const struct cli_command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Opens the node of ctx->dir (resolved), printing a helpful error (e.g.
 * "no replica in '...': run 'taphop init --ward CODE' first") on failure. */
int cli_node_open(struct cli_ctx *ctx, struct node **out);

/* After a successful local write: brings the audit archive up to date and
 * nudges a running daemon to sync now.  Failures there are warnings only. */
void cli_after_write(struct cli_ctx *ctx, struct node *n);

#endif
