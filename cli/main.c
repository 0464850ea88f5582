/*
 * main.c - taphop, the officers' and auditors' command line: the table of
 * commands, global options, dispatch.
 *
 *   taphop [--dir DIR] [--as OPERATOR] [--json] COMMAND [ARGS...]
 *
 * Exit codes: 0 ok, 1 failure, 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"

#include "replicas/banned.h"

extern const struct cli_command cmd_init, cmd_add, cmd_edit, cmd_delete,
	cmd_show, cmd_list, cmd_find, cmd_import, cmd_export, cmd_conflicts,
	cmd_log, cmd_digest, cmd_bundle, cmd_nodes, cmd_enroll, cmd_sync,
	cmd_status, cmd_audit;

static const struct entry {
	const struct cli_command *cmd;
	int hidden; /* not in `taphop --help`; for tests, the demo, experts */
} commands[] = {
	{ &cmd_init, 0 },
	{ &cmd_enroll, 0 },
	{ &cmd_add, 0 },
	{ &cmd_edit, 0 },
	{ &cmd_delete, 0 },
	{ &cmd_show, 0 },
	{ &cmd_list, 0 },
	{ &cmd_find, 0 },
	{ &cmd_import, 0 },
	{ &cmd_export, 0 },
	{ &cmd_conflicts, 0 },
	{ &cmd_log, 0 },
	{ &cmd_digest, 0 },
	{ &cmd_sync, 0 },
	{ &cmd_status, 0 },
	{ &cmd_audit, 0 },
	{ &cmd_bundle, 0 },
	{ &cmd_nodes, 1 },
};

#define NCOMMANDS ((int)(sizeof(commands) / sizeof(commands[0])))

static void main_help(FILE *f)
{
	fputs("usage: taphop [--dir DIR] [--as OPERATOR] [--json] COMMAND [ARGS...]\n\n"
	      "taphop keeps a Youth Union ward's (or the district hub's) records in a\n"
	      "local replica that works offline; every change is signed and synced.\n\n"
	      "commands:\n", f);
	for (int i = 0; i < NCOMMANDS; i++) {
		const struct cli_command *c = commands[i].cmd;

		if (c && !commands[i].hidden)
			fprintf(f, "  %-12s%s\n", c->name, c->summary);
	}
	fputs("\nglobal options:\n", f);
	cli_help_globals(f);
	fputs("  -h, --help                show help (also 'taphop COMMAND --help')\n"
	      "\nexit status: 0 ok, 1 failure, 2 usage error\n", f);
}

static const struct cli_command *lookup(const char *name)
{
	for (int i = 0; i < NCOMMANDS; i++)
		if (commands[i].cmd && strcmp(commands[i].cmd->name, name) == 0)
			return commands[i].cmd;
	return NULL;
}

static int unknown_command(const char *name)
{
	const char *names[NCOMMANDS];
	const char *near;

	for (int i = 0; i < NCOMMANDS; i++)
		names[i] = commands[i].cmd && !commands[i].hidden ? commands[i].cmd->name : NULL;
	near = cli_closest(name, names, NCOMMANDS);
	if (near)
		return cli_usage(NULL, "unknown command '%s' (did you mean '%s'?)", name, near);
	return cli_usage(NULL, "unknown command '%s'", name);
}

/* Reads the global options before the command word; returns the index of
 * the command word, or -1 after printing a usage error (or help: *rc). */
static int globals(struct cli_ctx *ctx, int argc, char **argv, int *rc)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			main_help(stdout);
			*rc = 0;
			return -1;
		} else if (strcmp(a, "--json") == 0) {
			ctx->json = 1;
		} else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
			ctx->quiet = 1;
		} else if (strncmp(a, "--dir=", 6) == 0) {
			ctx->dir = a + 6;
		} else if (strncmp(a, "--as=", 5) == 0) {
			ctx->operator_name = a + 5;
		} else if (strcmp(a, "--dir") == 0 || strcmp(a, "--as") == 0) {
			if (i + 1 >= argc) {
				*rc = cli_usage(NULL, "option '%s' needs a value", a);
				return -1;
			}
			if (a[2] == 'd')
				ctx->dir = argv[++i];
			else
				ctx->operator_name = argv[++i];
		} else {
			*rc = cli_usage(NULL, "unknown option '%s' before the command", a);
			return -1;
		}
	}
	if (i >= argc) {
		main_help(stderr);
		*rc = 2;
		return -1;
	}
	return i;
}

int main(int argc, char **argv)
{
	struct cli_ctx ctx = { 0 };
	const struct cli_command *cmd;
	struct cli_args args;
	int rc = 2, at;

	at = globals(&ctx, argc, argv, &rc);
	if (at < 0)
		return rc;
	if (strcmp(argv[at], "help") == 0) {
		if (at + 1 < argc && (cmd = lookup(argv[at + 1])) != NULL) {
			cli_help(stdout, cmd, NULL);
			return 0;
		}
		main_help(stdout);
		return 0;
	}
	cmd = lookup(argv[at]);
	if (!cmd)
		return unknown_command(argv[at]);
	switch (cli_parse(cmd, &ctx, argc - at - 1, argv + at + 1, &args)) {
	case CLI_PARSED:
		break;
	case CLI_HELP_SHOWN:
		return 0;
	default:
		return 2;
	}
	ctx.operator_name = out_operator(&ctx);
	rc = cmd->exec(&ctx, &args);
	if (fflush(stdout) != 0 && rc == 0)
		rc = cli_fail("cannot write the output");
	return rc;
}
