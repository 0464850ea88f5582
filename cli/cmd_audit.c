/*
 * cmd_audit.c - taphop audit: the auditor's commands over the signed git
 * archive (replicas/audit.h, replicas/archive.h).
 *
 *   taphop audit verify [--repo PATH --signers FILE] [--node CODE] [--state FILE]
 *   taphop audit signers [--output FILE]
 *   taphop audit history ID
 *   taphop audit update
 *
 * verify prints one line per finding and a summary; exit 0 when clean, 1
 * with findings.  With --repo it audits an archive alone (a mirror made
 * with git clone --mirror) and needs the signers file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "replicas/archive.h"
#include "replicas/audit.h"
#include "replicas/err.h"
#include "replicas/hlc.h"

#include "replicas/banned.h"

extern const struct cli_command cmd_audit;

static const struct cli_option opts[] = {
	{ "repo", 0, OPT_STRING, "PATH",
	  "verify: the archive to audit (a mirror); needs --signers" },
	{ "signers", 0, OPT_STRING, "FILE",
	  "verify: allowed-signers file (default: the node's enrolled keys)" },
	{ "node", 0, OPT_STRING, "CODE",
	  "verify: the archiving node (default: the node's own, or the first "
	  "commit's committer)" },
	{ "state", 0, OPT_STRING, "FILE",
	  "verify: where the last verified head is remembered" },
	{ "output", 'o', OPT_STRING, "FILE",
	  "signers: write the file there instead of stdout" },
	{ NULL, 0, OPT_FLAG, NULL, NULL },
};

struct findings {
	json_t *list; /* --json */
};

static void on_finding(void *ctx, const char *msg)
{
	struct findings *f = ctx;

	if (f->list != NULL)
		json_array_append_new(f->list, json_string(msg));
	else
		printf("%s\n", msg);
}

static int verify(struct cli_ctx *ctx, struct cli_args *a)
{
	struct audit_opts o = { 0 };
	struct audit_summary sum;
	struct findings f = { NULL };
	struct node *n = NULL;
	json_t *j;
	int rc = 1;

	o.repo = cli_opt(a, "repo");
	o.signers = cli_opt(a, "signers");
	o.owner = cli_opt(a, "node");
	o.state = cli_opt(a, "state");
	if (o.repo != NULL && o.signers == NULL)
		return cli_usage(&cmd_audit,
				 "--repo needs --signers FILE (see 'taphop "
				 "audit signers')");
	if (o.repo == NULL) {
		if (cli_node_open(ctx, &n) != 0)
			return 1;
		o.node = n;
	}
	if (ctx->json && (f.list = json_array()) == NULL) {
		rc = cli_fail("out of memory");
		goto done;
	}
	if (audit_verify(&o, on_finding, &f, &sum) != 0) {
		rc = cli_fail("cannot audit the archive: %s", err_msg());
		goto done;
	}
	rc = sum.findings == 0 ? 0 : 1;
	if (ctx->json) {
		j = json_pack("{s:b, s:s, s:s, s:I, s:I, s:I, s:I, s:O}", "clean",
			      sum.findings == 0, "node", sum.owner, "head",
			      sum.head, "commits", (json_int_t)sum.commits,
			      "changesets", (json_int_t)sum.changesets, "streams",
			      (json_int_t)sum.streams, "records",
			      (json_int_t)sum.records, "findings", f.list);
		if (out_json_print(j) != 0)
			rc = 1;
		goto done;
	}
	printf("archive of '%s' at %.12s: %zu commit%s, %zu change-set%s in "
	       "%zu stream%s, %zu record%s: %s\n", sum.owner,
	       sum.head[0] ? sum.head : "(empty)", sum.commits,
	       sum.commits == 1 ? "" : "s", sum.changesets,
	       sum.changesets == 1 ? "" : "s", sum.streams,
	       sum.streams == 1 ? "" : "s", sum.records,
	       sum.records == 1 ? "" : "s",
	       sum.findings == 0 ? "verified" : "FAILED");
	if (sum.findings != 0)
		printf("%zu finding%s\n", sum.findings,
		       sum.findings == 1 ? "" : "s");
done:
	json_decref(f.list);
	node_close(n);
	return rc;
}

static int signers(struct cli_ctx *ctx, struct cli_args *a)
{
	const char *path = cli_opt(a, "output");
	struct node *n = NULL;
	char *text = NULL;
	FILE *fp;
	int rc = 1;

	if (cli_node_open(ctx, &n) != 0)
		return 1;
	if (audit_signers_format(&text, n->store) != 0) {
		rc = cli_fail("cannot list the signers: %s", err_msg());
		goto done;
	}
	if (path == NULL) {
		fputs(text, stdout);
		rc = 0;
		goto done;
	}
	fp = fopen(path, "w");
	if (fp == NULL) {
		rc = cli_fail("cannot write '%s': %s", path, strerror(errno));
		goto done;
	}
	fputs(text, fp);
	if (fclose(fp) != 0) {
		rc = cli_fail("cannot write '%s': %s", path, strerror(errno));
		goto done;
	}
	rc = 0;
done:
	free(text);
	node_close(n);
	return rc;
}

struct hist_out {
	struct out_table *tb;
	json_t *list;
	int rc;
};

static int on_change(void *ctx, const struct audit_change *c)
{
	struct hist_out *h = ctx;
	char when[48], seq[32];
	const char *cells[8];

	hlc_format(c->hlc, when, sizeof(when));
	if (h->list != NULL) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s?, s:s, s:s, "
				      "s:s?, s:s?}", "time", when, "origin",
				      c->origin, "scope", c->scope, "seq",
				      (json_int_t)c->seq, "operator",
				      c->operator_name, "reason", c->reason,
				      "table", c->table, "field", c->field,
				      "old", c->old_value, "new", c->new_value);

		return json_array_append_new(h->list, o) == 0 ? 0 : -1;
	}
	snprintf(seq, sizeof(seq), "%s #%llu", c->origin,
		 (unsigned long long)c->seq);
	cells[0] = when;
	cells[1] = seq;
	cells[2] = c->operator_name;
	cells[3] = c->field;
	cells[4] = c->old_value ? c->old_value : "";
	cells[5] = c->new_value ? c->new_value : "";
	cells[6] = c->reason ? c->reason : "";
	return out_table_add(h->tb, cells) == 0 ? 0 : -1;
}

static int history(struct cli_ctx *ctx, struct cli_args *a)
{
	static const char *const headers[] = { "time", "origin", "operator",
					       "field", "old", "new",
					       "reason" };
	struct hist_out h = { NULL, NULL, 0 };
	struct node *n = NULL;
	int rc = 1;

	if (a->npos != 2)
		return cli_usage(&cmd_audit, "audit history needs one record id");
	if (cli_node_open(ctx, &n) != 0)
		return 1;
	if (ctx->json)
		h.list = json_array();
	else
		h.tb = out_table_new(7, headers);
	if (h.list == NULL && h.tb == NULL) {
		rc = cli_fail("out of memory");
		goto done;
	}
	if (audit_history(n->store, a->pos[1], on_change, &h) != 0) {
		rc = cli_fail("cannot show the history of '%s': %s", a->pos[1],
			      err_msg());
		goto done;
	}
	if (h.list != NULL) {
		rc = out_json_print(h.list);
		h.list = NULL; /* stolen */
		goto done;
	}
	out_table_print(h.tb, stdout, 40);
	rc = 0;
done:
	json_decref(h.list);
	out_table_free(h.tb);
	node_close(n);
	return rc;
}

static int update(struct cli_ctx *ctx, struct cli_args *a)
{
	struct node *n = NULL;
	int rc = 0;

	(void)a;
	if (cli_node_open(ctx, &n) != 0)
		return 1;
	if (archive_update(n) != 0)
		rc = cli_fail("cannot update the archive: %s", err_msg());
	node_close(n);
	return rc;
}

static int exec(struct cli_ctx *ctx, struct cli_args *a)
{
	const char *sub = a->npos > 0 ? a->pos[0] : "";

	if (strcmp(sub, "verify") == 0 || strcmp(sub, "signers") == 0 ||
	    strcmp(sub, "update") == 0) {
		if (a->npos > 1)
			return cli_usage(&cmd_audit, "unexpected argument '%s'",
					 a->pos[1]);
	}
	if (strcmp(sub, "verify") == 0)
		return verify(ctx, a);
	if (strcmp(sub, "signers") == 0)
		return signers(ctx, a);
	if (strcmp(sub, "history") == 0)
		return history(ctx, a);
	if (strcmp(sub, "update") == 0)
		return update(ctx, a);
	if (sub[0] == '\0')
		return cli_usage(&cmd_audit, "name a subcommand: verify, "
				 "signers, history or update");
	return cli_usage(&cmd_audit, "unknown subcommand '%s' (verify, "
			 "signers, history, update)", sub);
}

const struct cli_command cmd_audit = {
	.name = "audit",
	.summary = "verify the signed audit archive; history of a record",
	.usage = "verify [--repo PATH --signers FILE] | signers [-o FILE] | "
		 "history ID | update",
	.opts = opts,
	.exec = exec,
	.description =
		"audit verify   checks every commit and change-set signature, "
		"each stream's\n"
		"               sequence and hash chain, that history was not "
		"rewritten since\n"
		"               the last verified head, and that replaying the "
		"change-sets\n"
		"               reproduces the records (and the live database). "
		"Exit 0 when\n"
		"               clean, 1 with each finding printed.\n"
		"audit signers  writes an allowed-signers file for git "
		"(gpg.format=ssh).\n"
		"audit history  every change to one record, field by field.\n"
		"audit update   brings the archive up to date with the "
		"change-set log.\n"
		"See docs/auditor.md.",
};
