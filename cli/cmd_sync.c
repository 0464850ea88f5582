/*
 * cmd_sync.c - taphop sync: ask the running taphopd to sync now.
 *
 * The nudge is SIGUSR1 to the pid in DATA/taphopd.pid, sent only while a
 * daemon holds that file's lock (so a stale pid is never signalled).  The
 * daemon also notices other processes' commits by itself within ~100 ms;
 * the nudge makes a waiting ward reconnect at once.
 *   --wait SECONDS   then wait until the hub has acknowledged everything
 *                    (ward) or every ward has (hub); exit 1 on timeout
 *   --unpark ORIGIN/SCOPE   clear a parked stream after the cause is fixed;
 *                    a running daemon is nudged and reads the parked set
 *                    again, no restart needed.  Each side keeps its own
 *                    parking: the other side must unpark too.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "replicas/err.h"
#include "replicas/syncdb.h"

#include "replicas/banned.h"

extern const struct cli_command cmd_sync;

/* From cmd_status.c. */
int cli_daemon_pid(struct node *n, long *pid);
int cli_sync_waiting(struct node *n, const char *ward, long long *out);

static const struct cli_option opts[] = {
	{ "wait", 'w', OPT_INT, "SECONDS", "wait until nothing is waiting to go out" },
	{ "unpark", 0, OPT_STRING, "ORIGIN/SCOPE", "clear a parked stream so it syncs again" },
	{ NULL, 0, OPT_FLAG, NULL, NULL },
};

int cli_sync_nudge(struct cli_ctx *ctx, struct node *n)
{
	long pid;

	(void)ctx;
	if (!cli_daemon_pid(n, &pid) || pid <= 0)
		return 0;
	if (kill((pid_t)pid, SIGUSR1) != 0)
		return err_set(ERR_IO, "cannot signal taphopd (pid %ld)", pid);
	return 0;
}

static int unpark(struct cli_ctx *ctx, struct node *n, const char *what)
{
	const char *slash = strchr(what, '/');
	char origin[STORE_CODE_MAX];
	int changed = 0;
	long pid;

	if (!slash || (size_t)(slash - what) >= sizeof(origin))
		return cli_fail("--unpark: '%s' is not ORIGIN/SCOPE", what);
	snprintf(origin, sizeof(origin), "%.*s", (int)(slash - what), what);
	if (syncdb_unpark(n->store, origin, slash + 1, &changed))
		return cli_fail("cannot unpark '%s': %s", what, err_msg());
	if (!changed)
		return cli_fail("stream '%s' is not parked", what);
	if (cli_daemon_pid(n, &pid) && cli_sync_nudge(ctx, n) == 0)
		printf("stream %s unparked here; taphopd (pid %ld) syncs it "
		       "again now\n", what, pid);
	else
		printf("stream %s unparked here; it syncs again when taphopd "
		       "runs\n", what);
	if (store_role(n->store) == STORE_ROLE_HUB)
		printf("the ward that parked it keeps its own parking: run "
		       "'taphop sync --unpark %s' there too if its status "
		       "shows it\n", what);
	else
		printf("the hub keeps its own parking: run 'taphop sync "
		       "--unpark %s' on the hub too if its status shows it\n",
		       what);
	return 0;
}

static long long waiting_total(struct node *n)
{
	long long sum = 0, w;
	struct node_info *v = NULL;
	size_t nv = 0;

	if (store_role(n->store) != STORE_ROLE_HUB)
		return cli_sync_waiting(n, NULL, &w) == 0 ? w : -1;
	if (store_nodes(n->store, &v, &nv) != 0)
		return -1;
	for (size_t i = 0; i < nv; i++)
		if (!v[i].revoked && strcmp(v[i].code, store_node_code(n->store)) &&
		    cli_sync_waiting(n, v[i].code, &w) == 0)
			sum += w;
	free(v);
	return sum;
}

static int exec(struct cli_ctx *ctx, struct cli_args *a)
{
	const char *wait = cli_opt(a, "wait"), *up = cli_opt(a, "unpark");
	struct node *n = NULL;
	long pid;
	int rc = 1;

	if (a->npos)
		return cli_usage(&cmd_sync, "unexpected argument '%s'", a->pos[0]);
	if (cli_node_open(ctx, &n) != 0)
		return 1;
	if (up) {
		rc = unpark(ctx, n, up);
		goto done;
	}
	if (!cli_daemon_pid(n, &pid)) {
		rc = cli_fail("taphopd is not running on this data directory: "
			      "start it with 'taphopd --dir DIR'");
		goto done;
	}
	if (cli_sync_nudge(ctx, n) != 0) {
		rc = cli_fail("%s", err_msg());
		goto done;
	}
	if (!ctx->quiet)
		printf("asked taphopd (pid %ld) to sync now\n", pid);
	if (wait) {
		struct timespec ts = { 0, 100 * 1000000L };
		long secs = strtol(wait, NULL, 10);
		long long left = -1;

		for (long i = 0; i <= secs * 10; i++) {
			if ((left = waiting_total(n)) == 0)
				break;
			nanosleep(&ts, NULL);
		}
		if (left != 0) {
			rc = cli_fail("%lld change-set(s) still waiting after %ld s",
				      left, secs);
			goto done;
		}
		if (!ctx->quiet)
			printf("nothing waiting to go out\n");
	}
	rc = 0;
done:
	node_close(n);
	return rc;
}

const struct cli_command cmd_sync = {
	.name = "sync",
	.summary = "ask the running taphopd to sync now",
	.usage = "[--wait SECONDS] [--unpark ORIGIN/SCOPE]",
	.opts = opts,
	.exec = exec,
};
