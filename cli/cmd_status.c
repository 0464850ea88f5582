/*
 * cmd_status.c - taphop status: this node's sync state, also when taphopd
 * is down.
 *
 * Reads the replica (streams, conflicts, and the daemon's tables
 * sync_acked and sync_parked, see replicas/syncdb.h) and, when a daemon
 * holds the data directory's lock, the status file it rewrites every
 * second (taphopd.status, JSON).  "Waiting to go out" counts change-sets
 * the peer has not acknowledged as durable.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "replicas/err.h"
#include "replicas/syncdb.h"

#include "replicas/banned.h"

extern const struct cli_command cmd_status;

/* Shared with cmd_sync.c. */
int cli_daemon_pid(struct node *n, long *pid);
int cli_sync_waiting(struct node *n, const char *ward, long long *out);

static const struct cli_option opts[] = {
	{ NULL, 0, OPT_FLAG, NULL, NULL },
};

int cli_daemon_pid(struct node *n, long *pid)
{
	char *path = node_path(n, "taphopd.pid"), buf[32];
	int fd, running = 0;
	ssize_t r;

	*pid = 0;
	if (!path)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
		running = 1;
		r = read(fd, buf, sizeof(buf) - 1);
		buf[r > 0 ? r : 0] = '\0';
		*pid = strtol(buf, NULL, 10);
	}
	close(fd);
	return running;
}

/* ward NULL: on a ward, this node's change-sets the hub lacks.  ward set
 * (on the hub): change-sets of ward's scopes the ward lacks. */
int cli_sync_waiting(struct node *n, const char *ward, long long *out)
{
	struct store *s = n->store;
	struct stream_head *h = NULL;
	char scopes[8][STORE_CODE_MAX];
	const char *self = store_node_code(s), *peer;
	int nscopes = 0;
	size_t nh = 0;
	long long sum = 0;

	if (store_streams(s, NULL, &h, &nh) != 0)
		return -1;
	peer = ward ? ward : store_parent_scope(s);
	if (ward) {
		/* the ward's node scope and those above it, as the hub relays */
		struct node_info ni;
		int known = store_node_get(s, ward, &ni) == 0;

		while (known && nscopes < 8) {
			char parent[STORE_CODE_MAX];

			snprintf(scopes[nscopes++], STORE_CODE_MAX, "%s", ni.scope);
			if (!ni.parent[0] || nscopes == 8)
				break;
			snprintf(parent, sizeof(parent), "%s", ni.parent);
			if (store_node_get(s, parent, &ni) != 0) {
				snprintf(scopes[nscopes++], STORE_CODE_MAX, "%s", parent);
				break;
			}
		}
	}
	for (size_t i = 0; i < nh; i++) {
		int mine = 0;

		if (!ward) {
			mine = strcmp(h[i].origin, self) == 0;
		} else if (strcmp(h[i].origin, ward) != 0) {
			for (int k = 0; k < nscopes; k++)
				mine |= strcmp(h[i].scope, scopes[k]) == 0;
		}
		if (mine) {
			uint64_t a = syncdb_acked(s, peer, h[i].origin,
						 h[i].scope);
			if (h[i].seq > a)
				sum += (long long)(h[i].seq - a);
		}
	}
	free(h);
	*out = sum;
	return 0;
}

static int parked_one(void *ctx, const char *peer, const char *origin,
		      const char *scope, uint64_t seq, const char *code,
		      const char *reason)
{
	json_array_append_new(ctx, json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}",
					     "peer", peer, "origin", origin,
					     "scope", scope, "seq", (json_int_t)seq,
					     "code", code, "reason", reason));
	return 0;
}

static json_t *parked_list(struct store *s)
{
	json_t *arr = json_array();

	if (arr)
		syncdb_parked(s, parked_one, arr); /* none if no daemon ran */
	return arr;
}

static void ago(char *buf, size_t n, json_int_t ms)
{
	struct timeval tv;
	long long now, d;

	gettimeofday(&tv, NULL);
	now = (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
	d = (now - (long long)ms) / 1000;
	if (d < 0)
		d = 0;
	if (d < 120)
		snprintf(buf, n, "%lld s ago", d);
	else if (d < 7200)
		snprintf(buf, n, "%lld min ago", d / 60);
	else
		snprintf(buf, n, "%lld h ago", d / 3600);
}

/* The whole status as JSON (also what the text form prints). */
static json_t *collect(struct node *n)
{
	struct store *s = n->store;
	int hub = store_role(s) == STORE_ROLE_HUB;
	json_t *root, *file = NULL, *peers = json_array();
	long pid = 0;
	long long conflicts = 0, waiting = 0;
	int running = cli_daemon_pid(n, &pid);
	char *path;

	store_conflict_count(s, &conflicts);
	root = json_pack("{s:s, s:s, s:s, s:b, s:I}", "code",
			 store_node_code(s), "role", hub ? "hub" : "ward",
			 "parent", store_parent_scope(s), "daemon_running",
			 running, "open_conflicts", (json_int_t)conflicts);
	if (!root || !peers)
		return NULL;
	if (running)
		json_object_set_new(root, "pid", json_integer(pid));
	path = node_path(n, "taphopd.status");
	if (path)
		file = json_load_file(path, 0, NULL);
	free(path);
	if (running && file)
		json_object_set(root, "state", json_object_get(file, "state"));
	else
		json_object_set_new(root, "state", json_string(
			running ? "starting" : "not running"));
	if (!hub) {
		json_t *p = file ? json_array_get(json_object_get(file, "peers"), 0)
				 : NULL;
		cli_sync_waiting(n, NULL, &waiting);
		json_object_set_new(root, "waiting", json_integer(waiting));
		json_object_set_new(root, "connected", json_boolean(
			running && p && json_is_true(json_object_get(p, "connected"))));
		if (p)
			json_object_set(root, "last_contact_ms",
					json_object_get(p, "last_contact_ms"));
	} else {
		struct node_info *v = NULL;
		size_t nv = 0;

		store_nodes(s, &v, &nv);
		for (size_t i = 0; i < nv; i++) {
			json_t *fp = NULL, *arr, *e;
			size_t k;

			if (strcmp(v[i].code, store_node_code(s)) == 0)
				continue;
			arr = file ? json_object_get(file, "peers") : NULL;
			json_array_foreach(arr, k, e)
				if (json_is_string(json_object_get(e, "code")) &&
				    strcmp(json_string_value(json_object_get(e, "code")),
					   v[i].code) == 0)
					fp = e;
			cli_sync_waiting(n, v[i].code, &waiting);
			json_array_append_new(peers, json_pack(
				"{s:s, s:b, s:b, s:I, s:O?}", "code", v[i].code,
				"revoked", v[i].revoked, "connected",
				running && fp && json_is_true(json_object_get(fp, "connected")),
				"waiting", (json_int_t)waiting, "last_contact_ms",
				fp ? json_object_get(fp, "last_contact_ms") : NULL));
		}
		free(v);
	}
	json_object_set_new(root, "wards", peers);
	json_object_set_new(root, "parked", parked_list(s));
	json_decref(file);
	return root;
}

static void print_text(json_t *st)
{
	json_t *p, *e, *lc = json_object_get(st, "last_contact_ms");
	size_t i;
	char when[64];
	int hub = strcmp(json_string_value(json_object_get(st, "role")), "hub") == 0;

	printf("node:              %s (%s%s%s)\n",
	       json_string_value(json_object_get(st, "code")), hub ? "hub" : "ward",
	       hub ? "" : " under ", hub ? "" : json_string_value(json_object_get(st, "parent")));
	if (json_is_true(json_object_get(st, "daemon_running")))
		printf("daemon:            running (pid %lld): %s\n",
		       (long long)json_integer_value(json_object_get(st, "pid")),
		       json_string_value(json_object_get(st, "state")));
	else
		printf("daemon:            not running\n");
	if (!hub) {
		printf("connection:        %s\n",
		       json_is_true(json_object_get(st, "connected")) ? "connected" : "not connected");
		if (json_is_integer(lc)) {
			ago(when, sizeof(when), json_integer_value(lc));
			printf("last contact:      %s\n", when);
		} else {
			printf("last contact:      never (since the daemon started)\n");
		}
		printf("waiting to go out: %lld change-set(s)\n",
		       (long long)json_integer_value(json_object_get(st, "waiting")));
	}
	printf("open conflicts:    %lld\n",
	       (long long)json_integer_value(json_object_get(st, "open_conflicts")));
	json_array_foreach(json_object_get(st, "wards"), i, e) {
		lc = json_object_get(e, "last_contact_ms");
		if (json_is_integer(lc))
			ago(when, sizeof(when), json_integer_value(lc));
		else
			snprintf(when, sizeof(when), "no contact yet");
		printf("ward %-14s %s, last contact %s, %lld change-set(s) waiting%s\n",
		       json_string_value(json_object_get(e, "code")),
		       json_is_true(json_object_get(e, "connected")) ? "connected" : "not connected",
		       when, (long long)json_integer_value(json_object_get(e, "waiting")),
		       json_is_true(json_object_get(e, "revoked")) ? " (revoked)" : "");
	}
	p = json_object_get(st, "parked");
	if (!json_array_size(p))
		printf("parked streams:    none\n");
	json_array_foreach(p, i, e) {
		printf("PARKED: stream %s/%s stopped at change-set %lld (%s): %s\n"
		       "        nothing after it syncs until an officer fixes the cause "
		       "and runs 'taphop sync --unpark %s/%s'\n",
		       json_string_value(json_object_get(e, "origin")),
		       json_string_value(json_object_get(e, "scope")),
		       (long long)json_integer_value(json_object_get(e, "seq")),
		       json_string_value(json_object_get(e, "code")),
		       json_string_value(json_object_get(e, "reason")),
		       json_string_value(json_object_get(e, "origin")),
		       json_string_value(json_object_get(e, "scope")));
	}
}

static int exec(struct cli_ctx *ctx, struct cli_args *a)
{
	struct node *n = NULL;
	json_t *st;
	int rc = 0;

	if (a->npos)
		return cli_usage(&cmd_status, "unexpected argument '%s'", a->pos[0]);
	if (cli_node_open(ctx, &n) != 0)
		return 1;
	st = collect(n);
	if (!st) {
		rc = cli_fail("out of memory");
	} else if (ctx->json) {
		rc = out_json_print(st);
		st = NULL;
	} else {
		print_text(st);
	}
	json_decref(st);
	node_close(n);
	return rc;
}

const struct cli_command cmd_status = {
	.name = "status",
	.summary = "sync state: connection, last contact, waiting, conflicts, parked",
	.usage = "",
	.opts = opts,
	.exec = exec,
	.description = "Works also when taphopd is not running (from the replica).",
};
