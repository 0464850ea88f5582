/*
 * cmd_init.c - taphop init: creates a node's data directory (keys, config,
 * empty replica) for a ward or for the district hub, and tells the officer
 * how to enroll it.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "replicas/err.h"

#include "replicas/banned.h"

extern const struct cli_command cmd_init;

static const struct cli_option opts[] = {
	{ "ward", 0, OPT_STRING, "CODE", "this node is the office of ward CODE (e.g. an-lac)" },
	{ "hub", 0, OPT_FLAG, NULL, "this node is the district hub" },
	{ "district", 0, OPT_STRING, "CODE", "the district's code (default " SCHEMA_DEFAULT_DISTRICT ")" },
	{ "parent", 0, OPT_STRING, "CODE", "for a hub: the scope above it (a city hub), if any" },
	{ NULL, 0, OPT_FLAG, NULL, NULL },
};

/* 1 if code is lower-case letters, digits and single dashes, 2..63 long. */
static int code_ok(const char *code)
{
	size_t n = strlen(code);

	if (n < 2 || n > 63 || code[0] == '-' || code[n - 1] == '-')
		return 0;
	for (const char *p = code; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      (*p == '-' && p[1] != '-')))
			return 0;
	return 1;
}

static const char *ward_name(const char *code)
{
	for (int i = 0; schema_ward_codes[i]; i++)
		if (strcmp(schema_ward_codes[i], code) == 0)
			return schema_ward_names[i];
	return NULL;
}

static int print_result(struct cli_ctx *ctx, const char *dir, int hub,
			const char *code, const char *parent,
			const char *sign, const char *box)
{
	if (ctx->json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s}",
				      "dir", dir, "role", hub ? "hub" : "ward",
				      "code", code, "parent", parent,
				      "sign_key", sign, "transport_key", box);
		return out_json_print(o);
	}
	if (hub)
		printf("initialised the hub of district '%s' in '%s'\n", code, dir);
	else
		printf("initialised ward '%s' (%s) of district '%s' in '%s'\n",
		       code, ward_name(code) ? ward_name(code) : code, parent, dir);
	printf("signing key:   %s\ntransport key: %s\n", sign, box);
	if (ctx->quiet)
		return 0;
	putchar('\n');
	if (hub) {
		printf("each ward's officer gives you the 'taphop enroll ...' line that\n"
		       "their 'taphop init' printed; run it here, on the hub.  Each ward\n"
		       "names this hub by running, on the ward:\n"
		       "  taphop enroll --hub tcp://HUB-ADDRESS:PORT %s %s\n", sign, box);
	} else {
		printf("the district officer registers this ward by running, on the hub:\n"
		       "  taphop enroll %s %s %s\n", code, sign, box);
	}
	return 0;
}

static int exec(struct cli_ctx *ctx, struct cli_args *a)
{
	const char *ward = cli_opt(a, "ward"), *district = cli_opt(a, "district");
	const char *parent = cli_opt(a, "parent"), *code;
	int hub = cli_flag(a, "hub"), rc = 1;
	char *dir = NULL, sign[64], box[64];
	struct keys k;

	if (a->npos > 0)
		return cli_usage(&cmd_init, "unexpected argument '%s'", a->pos[0]);
	if (!!ward == !!hub)
		return cli_usage(&cmd_init, "give exactly one of --ward CODE or --hub");
	if (!district)
		district = SCHEMA_DEFAULT_DISTRICT;
	if (!code_ok(district))
		return cli_usage(&cmd_init, "district code '%s' must be lower-case "
				 "letters, digits and dashes", district);
	if (ward && !code_ok(ward))
		return cli_usage(&cmd_init, "ward code '%s' must be lower-case letters, "
				 "digits and dashes (e.g. an-lac)", ward);
	if (ward && parent)
		return cli_usage(&cmd_init, "--parent is for a hub; a ward's parent is its district");
	if (parent && !code_ok(parent))
		return cli_usage(&cmd_init, "parent code '%s' must be lower-case "
				 "letters, digits and dashes", parent);
	if (ward && strcmp(district, SCHEMA_DEFAULT_DISTRICT) == 0 && !ward_name(ward))
		out_warn("'%s' is not one of the wards of %s that taphop knows; "
			 "check the spelling", ward, district);
	code = hub ? district : ward;
	if (!hub)
		parent = district;
	dir = node_dir_resolve(ctx->dir);
	if (!dir)
		return cli_fail("out of memory");
	if (node_init(dir, hub ? STORE_ROLE_HUB : STORE_ROLE_WARD, code, parent) != 0) {
		rc = cli_fail("%s", err_msg());
		goto done;
	}
	if (keys_read(dir, &k) != 0) {
		rc = cli_fail("%s", err_msg());
		goto done;
	}
	keys_pk_to_text(k.sign_pk, sign, sizeof(sign));
	keys_pk_to_text(k.box_pk, box, sizeof(box));
	keys_wipe(&k);
	rc = print_result(ctx, dir, hub, code, parent, sign, box);
done:
	free(dir);
	return rc;
}

const struct cli_command cmd_init = {
	.name = "init",
	.summary = "create this node's data directory: keys, config, replica",
	.usage = "--ward CODE [--district CODE] | --hub [--district CODE]",
	.opts = opts,
	.exec = exec,
	.description =
		"A ward office runs 'taphop init --ward CODE' once on its laptop; the\n"
		"district runs 'taphop init --hub'.  The data directory is --dir, else\n"
		"$TAPHOP_DIR, else ~/.local/share/taphop.  Known ward codes of Bình Tân:\n"
		"an-lac, an-lac-a, binh-hung-hoa, binh-hung-hoa-a, binh-hung-hoa-b,\n"
		"binh-tri-dong, binh-tri-dong-a, binh-tri-dong-b, tan-tao, tan-tao-a.",
};
