/*
 * cmd_nodes.c - taphop nodes list | self | add: the nodes this replica
 * knows (code, role, scope above, public keys).  Hidden from --help: the
 * officers' way to register a ward is 'taphop enroll' on the hub; this is
 * for tests, the demo and bundles exchanged by hand.
 *
 *   taphop nodes self   prints "CODE SIGNKEY TRANSPORTKEY --role R [--parent P]",
 *                       exactly the arguments 'nodes add' takes elsewhere
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "replicas/err.h"

#include "replicas/banned.h"

extern const struct cli_command cmd_nodes;

static const struct cli_option opts[] = {
	{ "role", 0, OPT_STRING, "ward|hub", "add: the node's role (default ward)" },
	{ "parent", 0, OPT_STRING, "CODE", "add: the scope above the node's own" },
	{ NULL, 0, OPT_FLAG, NULL, NULL },
};

static json_t *node_json(const struct node_info *ni)
{
	char sign[64], box[64];

	keys_pk_to_text(ni->sign_pk, sign, sizeof(sign));
	keys_pk_to_text(ni->box_pk, box, sizeof(box));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "code", ni->code,
			 "role", ni->role == STORE_ROLE_HUB ? "hub" : "ward",
			 "parent", ni->parent, "sign_key", sign,
			 "transport_key", box, "revoked", ni->revoked);
}

static void node_line(const struct node_info *ni)
{
	char sign[64], box[64];

	keys_pk_to_text(ni->sign_pk, sign, sizeof(sign));
	keys_pk_to_text(ni->box_pk, box, sizeof(box));
	printf("%s %s %s --role %s%s%s%s\n", ni->code, sign, box,
	       ni->role == STORE_ROLE_HUB ? "hub" : "ward",
	       ni->parent[0] ? " --parent " : "", ni->parent,
	       ni->revoked ? "   # revoked" : "");
}

static int do_list(struct cli_ctx *ctx, struct node *n, int self_only)
{
	struct node_info *v = NULL, one;
	size_t cnt = 0;
	json_t *arr = NULL;

	if (self_only) {
		if (store_node_get(n->store, store_node_code(n->store), &one) != 0)
			return cli_fail("%s", err_msg());
		if (ctx->json)
			return out_json_print(node_json(&one));
		node_line(&one);
		return 0;
	}
	if (store_nodes(n->store, &v, &cnt) != 0)
		return cli_fail("cannot list nodes: %s", err_msg());
	if (ctx->json && !(arr = json_array())) {
		free(v);
		return cli_fail("out of memory");
	}
	for (size_t i = 0; i < cnt; i++) {
		if (arr)
			json_array_append_new(arr, node_json(&v[i]));
		else
			node_line(&v[i]);
	}
	free(v);
	return arr ? out_json_print(arr) : 0;
}

static int do_add(struct cli_ctx *ctx, struct cli_args *a, struct node *n)
{
	const char *role = cli_opt(a, "role"), *parent = cli_opt(a, "parent");
	struct node_info ni;

	memset(&ni, 0, sizeof(ni));
	if (a->npos != 4)
		return cli_usage(&cmd_nodes, "add needs CODE SIGNKEY TRANSPORTKEY");
	if (role && strcmp(role, "ward") != 0 && strcmp(role, "hub") != 0)
		return cli_usage(&cmd_nodes, "--role: '%s' is not one of: ward, hub", role);
	ni.role = role && strcmp(role, "hub") == 0 ? STORE_ROLE_HUB : STORE_ROLE_WARD;
	if (!parent)
		parent = ni.role == STORE_ROLE_HUB ? "" :
			 store_role(n->store) == STORE_ROLE_HUB ? store_node_code(n->store)
								: store_parent_scope(n->store);
	snprintf(ni.code, sizeof(ni.code), "%s", a->pos[1]);
	snprintf(ni.scope, sizeof(ni.scope), "%s", a->pos[1]);
	snprintf(ni.parent, sizeof(ni.parent), "%s", parent);
	if (keys_pk_from_text(a->pos[2], "signing key", ni.sign_pk) != 0 ||
	    keys_pk_from_text(a->pos[3], "transport key", ni.box_pk) != 0)
		return cli_fail("%s", err_msg());
	if (store_node_put(n->store, &ni) != 0)
		return cli_fail("cannot register node '%s': %s", ni.code, err_msg());
	if (!ctx->quiet)
		printf("registered %s '%s'%s%s\n", ni.role == STORE_ROLE_HUB ? "hub" : "ward",
		       ni.code, ni.parent[0] ? " under " : "", ni.parent);
	return 0;
}

static int exec(struct cli_ctx *ctx, struct cli_args *a)
{
	const char *sub = a->npos > 0 ? a->pos[0] : "list";
	struct node *n = NULL;
	int rc;

	if (strcmp(sub, "list") != 0 && strcmp(sub, "self") != 0 && strcmp(sub, "add") != 0)
		return cli_usage(&cmd_nodes, "unknown subcommand '%s' (list, self, add)", sub);
	if (strcmp(sub, "add") != 0 && a->npos > 1)
		return cli_usage(&cmd_nodes, "unexpected argument '%s'", a->pos[1]);
	if (cli_node_open(ctx, &n) != 0)
		return 1;
	if (strcmp(sub, "add") == 0)
		rc = do_add(ctx, a, n);
	else
		rc = do_list(ctx, n, strcmp(sub, "self") == 0);
	node_close(n);
	return rc;
}

const struct cli_command cmd_nodes = {
	.name = "nodes",
	.summary = "the nodes this replica knows, and their keys",
	.usage = "[list | self | add CODE SIGNKEY TRANSPORTKEY [--role ward|hub] [--parent CODE]]",
	.opts = opts,
	.exec = exec,
};
