/*
 * cmd_enroll.c - taphop enroll: who may sync with whom.
 *
 *   on the hub:   taphop enroll CODE SIGNKEY TRANSPORTKEY
 *                 registers ward CODE (scope CODE, under the hub's scope);
 *                 its transport key is then admitted by the hub's ZAP
 *                 handler.  CODE follows the rule of `taphop init`.
 *                 --revoke CODE refuses it from then on: a running hub
 *                 ends its open session within a second.  Enrolling a
 *                 revoked ward again needs --reinstate.
 *   on a ward:    taphop enroll --hub ENDPOINT SIGNKEY TRANSPORTKEY
 *                 registers the hub (the ward's parent scope) and writes
 *                 [hub] endpoint/transport_key/sign_key into taphop.conf.
 *   anywhere:     taphop enroll --show   prints this node's
 *                 "CODE SIGNKEY TRANSPORTKEY", the words the other side
 *                 passes to enroll.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "replicas/err.h"
#include "replicas/validate.h"

#include "replicas/banned.h"

extern const struct cli_command cmd_enroll;

static const struct cli_option opts[] = {
	{ "hub", 0, OPT_STRING, "ENDPOINT", "on a ward: the hub's address, e.g. tcp://hub.example:7400" },
	{ "show", 0, OPT_FLAG, NULL, "print this node's code and public keys, for the other side" },
	{ "revoke", 0, OPT_STRING, "CODE", "on the hub: refuse ward CODE from now on" },
	{ "reinstate", 0, OPT_FLAG, NULL, "on the hub: enroll a revoked ward again" },
	{ NULL, 0, OPT_FLAG, NULL, NULL },
};

static int show(struct cli_ctx *ctx, struct node *n)
{
	char sign[64], box[64];

	keys_pk_to_text(n->keys.sign_pk, sign, sizeof(sign));
	keys_pk_to_text(n->keys.box_pk, box, sizeof(box));
	if (ctx->json)
		return out_json_print(json_pack("{s:s, s:s, s:s}", "code",
						store_node_code(n->store),
						"sign_key", sign,
						"transport_key", box));
	printf("%s %s %s\n", store_node_code(n->store), sign, box);
	return 0;
}

static int revoke(struct cli_ctx *ctx, struct node *n, const char *code)
{
	struct node_info ni;

	if (store_node_get(n->store, code, &ni) != 0)
		return cli_fail("cannot revoke '%s': not enrolled here", code);
	ni.revoked = 1;
	if (store_node_put(n->store, &ni) != 0)
		return cli_fail("cannot revoke '%s': %s", code, err_msg());
	/* a running hub notices the change itself (data_version); the nudge
	 * only makes it sooner */
	cli_sync_nudge(ctx, n);
	if (!ctx->quiet)
		printf("revoked '%s': new connections are refused, and a running "
		       "taphopd ends its open session within a second\n", code);
	return 0;
}

/* The rule of `taphop init` for a node code: a scope code, given in its
 * canonical form (2 to 63 lowercase letters, digits and '-'). */
static int check_ward_code(const char *code)
{
	struct column_desc c = { "ward code", COL_SCOPE, 0, "ward code",
				 "ward code", NULL, NULL, 0, 0, 0, NULL };
	char buf[128];
	int r = validate_value(&c, code, buf, sizeof(buf));

	if (r == 1)
		return cli_fail("ward code is required");
	if (r != 0)
		return cli_fail("cannot enroll '%s': %s", code, err_msg());
	if (strcmp(buf, code) != 0)
		return cli_fail("cannot enroll '%s': a ward code is written "
				"'%s'", code, buf);
	return 0;
}

static int enroll_ward(struct cli_ctx *ctx, struct node *n,
		       const struct cli_args *a)
{
	struct node_info ni, old;
	int known;

	if (store_role(n->store) != STORE_ROLE_HUB)
		return cli_fail("this node is a ward: enroll wards on the hub, "
				"or use 'taphop enroll --hub ENDPOINT SIGNKEY "
				"TRANSPORTKEY' to name this ward's hub");
	memset(&ni, 0, sizeof(ni));
	if (check_ward_code(a->pos[0]) != 0)
		return 1;
	if (strlen(a->pos[0]) >= sizeof(ni.code))
		return cli_fail("ward code '%s' is longer than %zu characters",
				a->pos[0], sizeof(ni.code) - 1);
	snprintf(ni.code, sizeof(ni.code), "%s", a->pos[0]);
	snprintf(ni.scope, sizeof(ni.scope), "%s", a->pos[0]);
	snprintf(ni.parent, sizeof(ni.parent), "%s", store_node_code(n->store));
	ni.role = STORE_ROLE_WARD;
	if (strcmp(ni.code, store_node_code(n->store)) == 0)
		return cli_fail("'%s' is this hub's own code", ni.code);
	if (keys_pk_from_text(a->pos[1], "signing key", ni.sign_pk) != 0 ||
	    keys_pk_from_text(a->pos[2], "transport key", ni.box_pk) != 0)
		return cli_fail("%s", err_msg());
	known = store_node_get(n->store, ni.code, &old) == 0;
	if (known && memcmp(old.sign_pk, ni.sign_pk, sizeof(ni.sign_pk)) != 0)
		return cli_fail("ward '%s' is already enrolled with another "
				"signing key; a ward keeps its key for life",
				ni.code);
	if (known && old.revoked && !cli_flag(a, "reinstate"))
		return cli_fail("ward '%s' is revoked: add --reinstate to let it "
				"connect again", ni.code);
	if (store_node_put(n->store, &ni) != 0)
		return cli_fail("cannot enroll '%s': %s", ni.code, err_msg());
	if (!ctx->quiet)
		printf("%s ward '%s' under '%s'\n",
		       known && old.revoked ? "reinstated" : "enrolled", ni.code,
		       ni.parent);
	return 0;
}

/* Rewrites taphop.conf with a new [hub] section, other lines kept. */
static int write_hub_conf(struct node *n, const char *endpoint,
			  const char *sign, const char *box)
{
	char *path = node_path(n, "taphop.conf"), *tmp = NULL, line[1024];
	FILE *in = NULL, *out = NULL;
	int in_hub = 0, rc = -1;

	if (!path || !(tmp = malloc(strlen(path) + 5)))
		goto done;
	snprintf(tmp, strlen(path) + 5, "%s.new", path);
	if (!(in = fopen(path, "r")) || !(out = fopen(tmp, "w"))) {
		err_set(ERR_IO, "cannot rewrite '%s': %s", path,
			strerror(errno));
		goto done;
	}
	chmod(tmp, 0600);
	while (fgets(line, sizeof(line), in)) {
		const char *p = line + strspn(line, " \t");

		if (*p == '[')
			in_hub = strncmp(p, "[hub]", 5) == 0;
		if (!in_hub)
			fputs(line, out);
	}
	fprintf(out, "[hub]\nendpoint = %s\ntransport_key = %s\n"
		     "sign_key = %s\n", endpoint, box, sign);
	if (fclose(out) != 0) {
		out = NULL;
		err_set(ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
		goto done;
	}
	out = NULL;
	if (rename(tmp, path) != 0) {
		err_set(ERR_IO, "cannot replace '%s': %s", path,
			strerror(errno));
		goto done;
	}
	rc = 0;
done:
	if (in)
		fclose(in);
	if (out)
		fclose(out);
	free(path);
	free(tmp);
	return rc;
}

static int enroll_hub(struct cli_ctx *ctx, struct node *n, const char *ep,
		      const struct cli_args *a)
{
	const char *hub = store_parent_scope(n->store);
	struct node_info ni;

	if (store_role(n->store) != STORE_ROLE_WARD || !hub[0])
		return cli_fail("--hub is for a ward: this node has no parent "
				"scope");
	if (strncmp(ep, "tcp://", 6) != 0 || strchr(ep, '\n'))
		return cli_fail("hub endpoint '%s' is not tcp://HOST:PORT", ep);
	memset(&ni, 0, sizeof(ni));
	snprintf(ni.code, sizeof(ni.code), "%s", hub);
	snprintf(ni.scope, sizeof(ni.scope), "%s", hub);
	ni.role = STORE_ROLE_HUB;
	if (keys_pk_from_text(a->pos[0], "hub signing key", ni.sign_pk) != 0 ||
	    keys_pk_from_text(a->pos[1], "hub transport key", ni.box_pk) != 0)
		return cli_fail("%s", err_msg());
	if (store_node_put(n->store, &ni) != 0)
		return cli_fail("cannot register hub '%s': %s", hub, err_msg());
	if (write_hub_conf(n, ep, a->pos[0], a->pos[1]) != 0)
		return cli_fail("%s", err_msg());
	if (!ctx->quiet)
		printf("this ward syncs with hub '%s' at %s (restart taphopd to "
		       "use it)\n", hub, ep);
	return 0;
}

static int exec(struct cli_ctx *ctx, struct cli_args *a)
{
	const char *hub = cli_opt(a, "hub"), *rev = cli_opt(a, "revoke");
	struct node *n = NULL;
	int rc;

	if (cli_flag(a, "show") && a->npos)
		return cli_usage(&cmd_enroll, "--show takes no arguments");
	if (rev && a->npos)
		return cli_usage(&cmd_enroll, "--revoke takes only a code");
	if (cli_flag(a, "reinstate") && (rev || hub || cli_flag(a, "show")))
		return cli_usage(&cmd_enroll, "--reinstate goes with CODE "
				 "SIGNKEY TRANSPORTKEY");
	if (!cli_flag(a, "show") && !rev && a->npos != (hub ? 2 : 3))
		return cli_usage(&cmd_enroll, hub ? "--hub needs ENDPOINT "
				 "SIGNKEY TRANSPORTKEY" :
				 "needs CODE SIGNKEY TRANSPORTKEY");
	if (cli_node_open(ctx, &n) != 0)
		return 1;
	if (cli_flag(a, "show"))
		rc = show(ctx, n);
	else if (rev)
		rc = revoke(ctx, n, rev);
	else if (hub)
		rc = enroll_hub(ctx, n, hub, a);
	else
		rc = enroll_ward(ctx, n, a);
	node_close(n);
	return rc;
}

const struct cli_command cmd_enroll = {
	.name = "enroll",
	.summary = "register a ward on the hub, or the hub on a ward",
	.usage = "[--reinstate] CODE SIGNKEY TRANSPORTKEY | --hub ENDPOINT "
		 "SIGNKEY TRANSPORTKEY | --show | --revoke CODE",
	.opts = opts,
	.exec = exec,
	.description =
		"On the hub, 'taphop enroll CODE SIGNKEY TRANSPORTKEY' lets ward "
		"CODE connect\n(run 'taphop enroll --show' on the ward to get "
		"those three words).\nOn a ward, 'taphop enroll --hub ENDPOINT "
		"SIGNKEY TRANSPORTKEY' names its hub\n(the keys from "
		"'taphop enroll --show' on the hub).",
};
