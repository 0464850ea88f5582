/*
 * cmd_digest.c - taphop digest: one hash of the replica's content (every
 * scope, or one), equal on two replicas exactly when they hold the same
 * records; used to check convergence.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "replicas/err.h"

#include "replicas/banned.h"

extern const struct cli_command cmd_digest;

static const struct cli_option opts[] = {
	{ "scope", 0, OPT_STRING, "CODE", "only the records of scope CODE" },
	{ NULL, 0, OPT_FLAG, NULL, NULL },
};

static int exec(struct cli_ctx *ctx, struct cli_args *a)
{
	unsigned char d[STORE_DIGEST_LEN];
	char hex[2 * STORE_DIGEST_LEN + 1];
	const char *scope = cli_opt(a, "scope");
	struct node *n = NULL;
	int rc = 1;

	if (a->npos > 0)
		return cli_usage(&cmd_digest, "unexpected argument '%s'", a->pos[0]);
	if (cli_node_open(ctx, &n) != 0)
		return 1;
	if (store_digest(n->store, scope, d) != 0) {
		rc = cli_fail("cannot compute the digest: %s", err_msg());
		goto done;
	}
	out_hex(d, sizeof(d), hex);
	if (ctx->json)
		rc = out_json_print(json_pack("{s:s, s:s?}", "digest", hex, "scope", scope));
	else
		rc = (printf("%s\n", hex), 0);
done:
	node_close(n);
	return rc;
}

const struct cli_command cmd_digest = {
	.name = "digest",
	.summary = "one hash of the replica's content, to compare replicas",
	.usage = "[--scope CODE]",
	.opts = opts,
	.exec = exec,
};
