/*
 * main.c - taphopd: the sync daemon of one node (ward or hub).
 *
 *   taphopd [--dir DIR] [--listen ENDPOINT] [--log-level LEVEL]
 *           [--heartbeat-ms N]
 *
 * Runs in the foreground and logs to stderr (systemd-friendly).  Holds an
 * exclusive flock on DIR/taphopd.pid for its lifetime, so a second daemon
 * on the same data directory refuses to start.  SIGTERM/SIGINT stop it
 * cleanly; SIGUSR1 (sent by `taphop sync`) makes it sync at once.
 * Exit: 0 clean stop, 1 failure, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/log.h"
#include "daemon/role.h"
#include "replicas/syncdb.h"
#include "replicas/err.h"
#include "replicas/node.h"

#include "replicas/banned.h"

static volatile sig_atomic_t stop_flag, nudge_flag;

static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void on_nudge(int sig)
{
	(void)sig;
	nudge_flag = 1;
}

static void signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop; /* no SA_RESTART: wake the poll */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_nudge;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: taphopd [--dir DIR] [--listen ENDPOINT] "
		"[--log-level LEVEL] [--heartbeat-ms N]\n"
		"\n"
		"The taphop sync daemon of the node in DIR (else $TAPHOP_DIR).\n"
		"Its role (ward or hub) and settings come from DIR/taphop.conf;\n"
		"options override the file.  See docs/protocol.md.\n"
		"\n"
		"  --dir DIR           the node's data directory\n"
		"  --listen ENDPOINT   hub: address to bind, e.g. "
		"tcp://0.0.0.0:7400\n"
		"  --log-level LEVEL   error, warn, info or debug\n"
		"  --heartbeat-ms N    ping interval in milliseconds\n");
}

/* Takes the data directory's lock; *fd_out holds it until exit. */
static int pid_lock(const char *dir, int *fd_out)
{
	char path[4096], buf[32];
	int fd, n;

	snprintf(path, sizeof(path), "%s/taphopd.pid", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_set(ERR_IO, "cannot open '%s': %s", path,
			       strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		n = (int)read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		close(fd);
		return err_set(ERR_BUSY, "another taphopd (pid %s) is already "
			       "running on '%s'", buf[0] ? buf : "?", dir);
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || write(fd, buf, (size_t)n) != n) {
		close(fd);
		return err_set(ERR_IO, "cannot write '%s': %s", path,
			       strerror(errno));
	}
	*fd_out = fd;
	return 0;
}

struct opts {
	const char *dir, *listen, *level, *heartbeat;
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char **slot = NULL;

		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			exit(0);
		}
		if (strcmp(argv[i], "--dir") == 0)
			slot = &o->dir;
		else if (strcmp(argv[i], "--listen") == 0)
			slot = &o->listen;
		else if (strcmp(argv[i], "--log-level") == 0)
			slot = &o->level;
		else if (strcmp(argv[i], "--heartbeat-ms") == 0)
			slot = &o->heartbeat;
		if (!slot || i + 1 >= argc) {
			fprintf(stderr, "taphopd: %s '%s'\n",
				slot ? "missing value for" : "unknown option",
				argv[i]);
			usage(stderr);
			return -1;
		}
		*slot = argv[++i];
	}
	return 0;
}

static int apply_overrides(struct daemon_config *c, const struct opts *o)
{
	char *end;
	long v;

	if (o->listen)
		snprintf(c->listen, sizeof(c->listen), "%s", o->listen);
	if (o->level && log_level_parse(o->level, &c->log_level) < 0)
		return ERR_INVALID;
	if (o->heartbeat) {
		v = strtol(o->heartbeat, &end, 10);
		if (*end || v < 50 || v > 600000)
			return err_set(ERR_INVALID, "--heartbeat-ms: '%s' is "
				       "not a number from 50 to 600000",
				       o->heartbeat);
		c->heartbeat_ms = (int)v;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct daemon_config cfg;
	struct sync_env e;
	struct tp_ctx *ctx = NULL;
	struct node *n = NULL;
	char *dir = NULL, conf[4096];
	int lockfd = -1, rc, status = 1;

	memset(&e, 0, sizeof(e));
	if (parse_args(argc, argv, &o) < 0)
		return 2;
	if (!(dir = node_dir_resolve(o.dir))) {
		fprintf(stderr, "taphopd: out of memory\n");
		return 1;
	}
	snprintf(conf, sizeof(conf), "%s/taphop.conf", dir);
	if ((rc = config_load(&cfg, conf)) < 0 ||
	    (rc = apply_overrides(&cfg, &o)) < 0)
		goto done;
	log_set_level(cfg.log_level);
	if ((rc = pid_lock(dir, &lockfd)) < 0 || (rc = node_open(&n, dir)) < 0)
		goto done;
	if ((rc = syncdb_init(n->store)) < 0)
		goto done;
	/* a hub's indexes span the district: a larger cache keeps its
	 * first sync from going to the disk for every look-up */
	if ((rc = store_cache_mb(n->store, cfg.cache_mb ? cfg.cache_mb :
				 store_role(n->store) == STORE_ROLE_HUB ? 128 : 32)) < 0)
		goto done;
	e.node = n;
	e.cfg = &cfg;
	if ((rc = sync_parked_load(&e)) < 0)
		goto done;
	if (e.nparked)
		log_warn("%zu stream(s) parked: see 'taphop status'",
			 e.nparked);
	signals_install();
	if ((rc = sync_archiver_start(&e)) < 0)
		goto done;
	if ((rc = tp_ctx_new(&ctx)) < 0)
		goto done;
	if (store_role(n->store) == STORE_ROLE_HUB)
		rc = hub_run(&e, ctx, &stop_flag, &nudge_flag);
	else
		rc = ward_run(&e, ctx, &stop_flag, &nudge_flag);
	ctx = NULL; /* freed by the role */
	if (rc < 0)
		goto done;
	log_info("stopped");
	status = 0;
done:
	if (status)
		log_error("%s", err_msg());
	sync_archiver_stop(&e); /* a last update, before the replica closes */
	tp_ctx_free(ctx);
	node_close(n);
	free(e.parked);
	if (lockfd >= 0) {
		if (ftruncate(lockfd, 0) != 0)
			status = status ? status : 1;
		close(lockfd);
	}
	free(dir);
	return status;
}
