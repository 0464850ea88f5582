/*
 * opts.c - option parsing and --help, both driven by the commands' option
 * tables and, for add/edit/list/export, by the table's column descriptors
 * (a column full_name is the option --full-name).  Also the helpers every
 * command uses: cli_fail, cli_usage, cli_node_open, cli_after_write.
 *
 * Options may come before or after positional words; "--" ends options;
 * a word of 40 or more characters without '=' is always positional (public
 * keys in URL-safe base64 may start with '-').
 * The global options (--dir, --as, --json, --quiet) are accepted anywhere.
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/output.h"
#include "replicas/archive.h"
#include "replicas/err.h"

#include "replicas/banned.h"

static const struct cli_option global_opts[] = {
	{ "dir", 0, OPT_STRING, "DIR", "the node's data directory (default $TAPHOP_DIR, else ~/.local/share/taphop)" },
	{ "as", 0, OPT_STRING, "OPERATOR", "who is at the keyboard (default $TAPHOP_OPERATOR, else $USER)" },
	{ "json", 0, OPT_FLAG, NULL, "machine-readable output" },
	{ "quiet", 'q', OPT_FLAG, NULL, "print only results" },
	{ NULL, 0, OPT_FLAG, NULL, NULL },
};

int cli_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("taphop: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int cli_usage(const struct cli_command *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("taphop: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (cmd) {
		fprintf(stderr, "usage: taphop %s %s\n", cmd->name,
			cmd->usage ? cmd->usage : "");
		fprintf(stderr, "see 'taphop %s --help'\n", cmd->name);
	} else {
		fputs("see 'taphop --help'\n", stderr);
	}
	return 2;
}

static int opt_count(const struct cli_option *o)
{
	int n = 0;

	while (o && o[n].name)
		n++;
	return n;
}

static int opt_index(const struct cli_option *o, const char *name, char sh)
{
	for (int i = 0; o && o[i].name; i++)
		if (sh ? o[i].short_name == sh : strcmp(o[i].name, name) == 0)
			return i;
	return -1;
}

const char *cli_opt(const struct cli_args *a, const char *name)
{
	int i = opt_index(a->opts, name, 0);

	return i < 0 ? NULL : a->values[i];
}

int cli_flag(const struct cli_args *a, const char *name)
{
	return cli_opt(a, name) != NULL;
}

/* Edit distance, for "did you mean". */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static void consider(const char *typed, const char *cand, char *best,
		     size_t *bestd)
{
	char dashed[64];
	size_t d;

	snprintf(dashed, sizeof(dashed), "%s", cand);
	for (char *p = dashed; *p; p++)
		if (*p == '_')
			*p = '-';
	d = distance(typed, dashed);
	if (d < *bestd) {
		*bestd = d;
		snprintf(best, 64, "%s", dashed);
	}
}

static int unknown_option(const struct cli_command *cmd,
			  const struct table_desc *t, const char *name)
{
	char best[64] = "";
	size_t bestd = 99, len = strlen(name);

	for (int i = 0; cmd->opts && cmd->opts[i].name; i++)
		consider(name, cmd->opts[i].name, best, &bestd);
	for (int i = 0; t && i < t->ncols; i++)
		consider(name, t->cols[i].name, best, &bestd);
	for (int i = 0; global_opts[i].name; i++)
		consider(name, global_opts[i].name, best, &bestd);
	if (best[0] && bestd <= (len > 6 ? len / 3 : 2))
		return cli_usage(cmd, "unknown option '--%s' (did you mean '--%s'?)",
				 name, best);
	if (cmd->table_columns && !t)
		return cli_usage(cmd, "unknown option '--%s' (name the table first: "
				 "taphop %s TABLE --%s ...)", name, cmd->name, name);
	return cli_usage(cmd, "unknown option '--%s'", name);
}

static void list_tables(FILE *f)
{
	for (int i = 0; i < schema_ntables; i++)
		fprintf(f, "%s%s", i ? ", " : "", schema_tables[i]->name);
}

const char *cli_closest(const char *typed, const char *const *cands, int n)
{
	char best[64] = "";
	size_t bestd = 99, len = strlen(typed);

	for (int i = 0; i < n; i++)
		if (cands[i])
			consider(typed, cands[i], best, &bestd);
	for (int i = 0; best[0] && i < n; i++)
		if (cands[i] && bestd <= (len > 6 ? len / 3 : 2) &&
		    distance(best, cands[i]) == 0)
			return cands[i];
	return NULL;
}

static int unknown_table(const struct cli_command *cmd, const char *name)
{
	const char *names[32] = { 0 };
	const char *near;
	int n = 0;

	for (int i = 0; i < schema_ntables && n < 32; i++)
		names[n++] = schema_tables[i]->name;
	near = cli_closest(name, names, n);
	if (near) {
		cli_usage(cmd, "unknown table '%s' (did you mean '%s'?)", name, near);
		return CLI_USAGE_ERROR;
	}
	fprintf(stderr, "taphop: unknown table '%s' (one of: ", name);
	list_tables(stderr);
	fputs(")\n", stderr);
	fprintf(stderr, "usage: taphop %s %s\n", cmd->name, cmd->usage);
	return CLI_USAGE_ERROR;
}

/* Where a parsed option goes. */
struct slot {
	enum cli_opt_kind kind;
	const char **dst;
	const char *argname;
};

static int find_slot(const struct cli_command *cmd, const struct table_desc *t,
		     struct cli_ctx *ctx, struct cli_args *out,
		     const char *name, char sh, struct slot *s)
{
	static const char *global_vals[8];
	int i = opt_index(cmd->opts, name, sh);

	if (i >= 0) {
		s->kind = cmd->opts[i].kind;
		s->dst = &out->values[i];
		s->argname = cmd->opts[i].argname;
		return 0;
	}
	if (t && !sh && (i = schema_column_find(t, name, false)) >= 0) {
		s->kind = OPT_STRING;
		s->dst = &out->colvals[i];
		s->argname = "VALUE";
		return 0;
	}
	i = opt_index(global_opts, name, sh);
	if (i < 0)
		return -1;
	s->kind = global_opts[i].kind;
	s->argname = global_opts[i].argname;
	s->dst = &global_vals[i];
	if (strcmp(global_opts[i].name, "dir") == 0)
		s->dst = &ctx->dir;
	else if (strcmp(global_opts[i].name, "as") == 0)
		s->dst = &ctx->operator_name;
	else if (strcmp(global_opts[i].name, "json") == 0)
		ctx->json = 1;
	else if (strcmp(global_opts[i].name, "quiet") == 0)
		ctx->quiet = 1;
	return 0;
}

static int int_ok(const char *v)
{
	char *end;
	long long x;

	errno = 0;
	x = strtoll(v, &end, 10);
	(void)x;
	return *v && !*end && errno == 0;
}

/* Parses one option word at argv[*i] into out. */
static int parse_option(const struct cli_command *cmd,
			const struct table_desc *t, struct cli_ctx *ctx,
			int argc, char **argv, int *i, struct cli_args *out)
{
	const char *arg = argv[*i], *inl = NULL;
	char name[64], sh = 0;
	struct slot s;

	if (arg[1] == '-') {
		const char *eq = strchr(arg + 2, '=');
		size_t n = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);

		snprintf(name, sizeof(name), "%.*s", (int)n, arg + 2);
		inl = eq ? eq + 1 : NULL;
	} else {
		sh = arg[1];
		snprintf(name, sizeof(name), "%c", sh);
		inl = arg[2] ? arg + 2 : NULL;
	}
	if (find_slot(cmd, t, ctx, out, name, sh, &s) != 0)
		return sh ? cli_usage(cmd, "unknown option '-%c'", sh)
			  : unknown_option(cmd, t, name);
	if (s.kind == OPT_FLAG) {
		if (inl)
			return cli_usage(cmd, "option '%s' takes no value", arg);
		*s.dst = "1";
		return 0;
	}
	if (!inl) {
		if (*i + 1 >= argc)
			return cli_usage(cmd, "option '%s' needs a value (%s)",
					 arg, s.argname ? s.argname : "VALUE");
		inl = argv[++*i];
	}
	if (s.kind == OPT_INT && !int_ok(inl))
		return cli_usage(cmd, "option '--%s': '%s' is not a whole number",
				 name, inl);
	*s.dst = inl;
	return 0;
}

/* A public key in URL-safe base64 (43 characters) may start with '-': a
 * word that long with no '=' is never an option, so it is an argument. */
static int is_key_text(const char *arg)
{
	return strlen(arg) >= 40 && !strchr(arg, '=');
}

int cli_parse(const struct cli_command *cmd, struct cli_ctx *ctx, int argc,
	      char **argv, struct cli_args *out)
{
	const struct table_desc *t = NULL;
	int i = 0, no_more = 0;

	memset(out, 0, sizeof(*out));
	out->opts = cmd->opts;
	out->nopts = opt_count(cmd->opts);
	if (cmd->table_columns && argc > 0 && argv[0][0] != '-') {
		t = schema_table_find(argv[0]);
		if (!t)
			return unknown_table(cmd, argv[0]);
		out->pos[out->npos++] = argv[0];
		i = 1;
	}
	for (; i < argc; i++) {
		const char *arg = argv[i];

		if (no_more || arg[0] != '-' || arg[1] == '\0' || is_key_text(arg)) {
			if (out->npos >= CLI_MAX_POS)
				return cli_usage(cmd, "too many arguments");
			out->pos[out->npos++] = arg;
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			no_more = 1;
			continue;
		}
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			cli_help(stdout, cmd, t);
			return CLI_HELP_SHOWN;
		}
		if (parse_option(cmd, t, ctx, argc, argv, &i, out) != 0)
			return CLI_USAGE_ERROR;
	}
	return CLI_PARSED;
}

const struct table_desc *cli_table_arg(const struct cli_command *cmd,
				       const struct cli_args *a)
{
	const struct table_desc *t;

	if (a->npos < 1) {
		fputs("taphop: name a table (one of: ", stderr);
		list_tables(stderr);
		fputs(")\n", stderr);
		fprintf(stderr, "usage: taphop %s %s\n", cmd->name, cmd->usage);
		return NULL;
	}
	t = schema_table_find(a->pos[0]);
	if (!t)
		unknown_table(cmd, a->pos[0]);
	return t;
}

/* ---- help ----------------------------------------------------------- */

static void help_line(FILE *f, const char *left, const char *text)
{
	int w = out_width(left);

	fprintf(f, "  %s", left);
	if (w > 24) {
		fprintf(f, "\n%28s", "");
		w = 24;
	}
	fprintf(f, "%*s%s\n", 26 - w, "", text ? text : "");
}

static void help_opts(FILE *f, const struct cli_option *o)
{
	char left[128];

	for (int i = 0; o && o[i].name; i++) {
		int n = o[i].short_name
			? snprintf(left, sizeof(left), "-%c, --%s", o[i].short_name, o[i].name)
			: snprintf(left, sizeof(left), "--%s", o[i].name);

		if (o[i].kind != OPT_FLAG && n > 0 && (size_t)n < sizeof(left))
			snprintf(left + n, sizeof(left) - (size_t)n, " %s",
				 o[i].argname ? o[i].argname : "VALUE");
		help_line(f, left, o[i].help);
	}
}

static const char *col_argname(const struct column_desc *c)
{
	switch (c->type) {
	case COL_TEXT: return "TEXT";
	case COL_INT: return "N";
	case COL_BOOL: return "yes|no";
	case COL_DATE: return "DATE";
	case COL_ENUM: return "VALUE";
	case COL_REF: return "ID";
	case COL_CITIZEN_ID: return "CCCD";
	case COL_PHONE: return "PHONE";
	case COL_SCOPE: return "CODE";
	}
	return "VALUE";
}

/* The rule of a column in words, into buf. */
static void col_rule(const struct column_desc *c, char *buf, size_t sz)
{
	size_t n = 0;

	buf[0] = '\0';
	switch (c->type) {
	case COL_ENUM:
		n = (size_t)snprintf(buf, sz, "one of:");
		for (int i = 0; c->enum_values[i] && n < sz; i++)
			n += (size_t)snprintf(buf + n, sz - n, "%s %s",
					      i ? "," : "", c->enum_values[i]);
		break;
	case COL_INT:
		snprintf(buf, sz, "a whole number from %lld to %lld", c->min, c->max);
		break;
	case COL_TEXT:
		snprintf(buf, sz, "text, at most %d characters",
			 c->max_len ? c->max_len : 200);
		break;
	case COL_REF:
		snprintf(buf, sz, "the id of a %s record", c->ref_table);
		break;
	default:
		snprintf(buf, sz, "%s", c->help ? c->help : schema_type_name(c->type));
		break;
	}
}

static void help_columns(FILE *f, const struct cli_command *cmd,
			 const struct table_desc *t)
{
	char left[96], text[512], rule[1024];

	fprintf(f, "\ncolumns of '%s' (%s / %s)%s:\n", t->name, t->label_vi,
		t->label_en,
		cmd->table_columns == CLI_COLUMNS_FILTER ? ", as exact-match filters" : "");
	for (int i = 0; i < t->ncols; i++) {
		const struct column_desc *c = &t->cols[i];
		int req = (c->flags & COL_REQUIRED) && cmd->table_columns == CLI_COLUMNS_VALUES;

		snprintf(left, sizeof(left), "--%s %s", c->name, col_argname(c));
		for (char *p = left + 2; *p && *p != ' '; p++)
			if (*p == '_')
				*p = '-';
		snprintf(text, sizeof(text), "%s / %s%s%s", c->label_vi, c->label_en,
			 req ? " (required)" : "",
			 c->flags & COL_SENSITIVE ? " (sensitive: coded value)" : "");
		help_line(f, left, text);
		col_rule(c, rule, sizeof(rule));
		if (i == 0 && cmd->table_columns == CLI_COLUMNS_VALUES)
			help_line(f, "", "default: this node's own ward (or district)");
		help_line(f, "", rule);
	}
}

void cli_help(FILE *f, const struct cli_command *cmd,
	      const struct table_desc *t)
{
	fprintf(f, "usage: taphop %s %s\n\n%s\n", cmd->name,
		cmd->usage ? cmd->usage : "", cmd->summary);
	if (cmd->description)
		fprintf(f, "\n%s\n", cmd->description);
	if (cmd->opts && cmd->opts[0].name) {
		fputs("\noptions:\n", f);
		help_opts(f, cmd->opts);
	}
	if (cmd->table_columns && t) {
		help_columns(f, cmd, t);
	} else if (cmd->table_columns) {
		fputs("\ntables: ", f);
		list_tables(f);
		fprintf(f, "\nrun 'taphop %s TABLE --help' to see a table's columns "
			"as options\n", cmd->name);
	}
	fputs("\nglobal options:\n", f);
	help_opts(f, global_opts);
}

void cli_help_globals(FILE *f)
{
	help_opts(f, global_opts);
}

/* ---- node --------------------------------------------------------------- */

int cli_node_open(struct cli_ctx *ctx, struct node **out)
{
	char *dir = node_dir_resolve(ctx->dir), *db = NULL;
	struct stat st;
	int rc = 1;

	if (!dir)
		return cli_fail("out of memory");
	if (asprintf(&db, "%s/replica.db", dir) < 0) {
		db = NULL;
		rc = cli_fail("out of memory");
		goto done;
	}
	if (stat(db, &st) != 0) {
		rc = cli_fail("no replica in '%s': run 'taphop init --ward CODE' "
			      "(or --dir DIR) first", dir);
		goto done;
	}
	if (node_open(out, dir) != 0) {
		rc = cli_fail("%s", err_msg());
		goto done;
	}
	rc = 0;
done:
	free(db);
	free(dir);
	return rc;
}

void cli_after_write(struct cli_ctx *ctx, struct node *n)
{
	/* the change-set goes out first; archiving it here does not delay it */
	if (cli_sync_nudge(ctx, n) != 0)
		out_warn("could not ask taphopd to sync now: %s", err_msg());
	if (archive_update(n) != 0)
		out_warn("the audit archive is behind (%s); it catches up on the "
			 "next write or when taphopd starts", err_msg());
}
