/*
 * bench_sync.c - the sync daemon over the network, against raw SQLite.
 *
 * Real taphopd processes (bin/taphopd from $TAPHOP_BIN) on 127.0.0.1, on
 * random free ports, in a temporary directory ($TMPDIR).  Node directories
 * are made in-process with the library (node_init, enrollment by
 * store_node_put both ways, the [hub] section of taphop.conf as `taphop
 * enroll --hub` writes it); data is prepared before any clock starts.
 *
 *  (1) throughput: raw SQLite inserts N people (one transaction, one
 *      prepared statement, WAL, synchronous=FULL, the schema's indexes);
 *      then a ward holding the same N people (one import: N / 2000
 *      change-sets) starts against a running hub, and the clock runs until
 *      the hub holds its whole stream; the same with M one-row change-sets.
 *      Printed as rows/s and change-sets/s, and as a share of raw's row rate
 *      (goal >= 30%).
 *  (2) district: W wards x P people, each with memberships (60%), its
 *      activities (P/250 of its own, 10 district-wide) and participation
 *      (0..4 per person, 2 on average), imported per table as `taphop
 *      import` would (one transaction each, then the archive).  The clock
 *      starts when the hub is started; then every ward; it stops when the
 *      hub holds every ward's streams and every ward holds every
 *      district-wide stream (polled every 20 ms); digests are then checked
 *      (district scope on all nodes, each ward's scope on hub and ward).
 *      Goal <= 15 s.  The archive cannot be turned off in taphopd: the
 *      figure is with it (said so in the output).
 *  (3) connected: C wards connected to one hub.  R of them (default 20:
 *      an idle taphopd ward costs ~15 MB and ~2% of a core here, so 200
 *      would need about four cores) are real taphopd processes; the rest
 *      are simulated in one child process by lightweight clients that
 *      speak the real protocol (CURVE
 *      DEALER with an enrolled key, Hello, Ack/Credit for what the hub
 *      relays, Ping every heartbeat).  Reported: the cost of one ward
 *      process (RSS, CPU when idle), hub VmHWM (goal <= 100 MB) and E edits'
 *      time to reach the hub, p50/p99 (goal p99 <= 50 ms).  An edit is made
 *      as `taphop edit` makes it: commit, archive_update, SIGUSR1 to the
 *      ward's taphopd; its time runs from the ward's commit to the moment
 *      the hub's replica shows it (the hub's head of that ward's stream,
 *      polled every 0.2 ms through a read-only SQLite connection).
 *
 * Environment (defaults are the sizes):
 *   TAPHOP_BIN                 directory of taphopd (default: ../../bin
 *                              next to this binary, else ./bin)
 *   TAPHOP_BENCH_PARTS         comma list of throughput,district,connected
 *   TAPHOP_BENCH_ROWS          (1) people of the bulk run        100000
 *   TAPHOP_BENCH_CHANGESETS    (1) one-row change-sets            20000
 *   TAPHOP_BENCH_WARDS         (2) wards                              10
 *   TAPHOP_BENCH_PEOPLE        (2) people per ward                 25000
 *   TAPHOP_BENCH_CONNECTED     (3) connected wards                   200
 *   TAPHOP_BENCH_REAL          (3) of which real taphopd processes    20
 *   TAPHOP_BENCH_EDITS         (3) timed edits                       200
 *   TAPHOP_BENCH_TIMEOUT       whole run bound, seconds             1500
 *   TAPHOP_SEED                data seed
 * Exits 0 when the runs succeed (goals missed are printed, not fatal), 1 on
 * an error or timeout.  Every process started is stopped and the
 * temporary directory removed, also on error, timeout or SIGINT/SIGTERM.
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "proto/codec.h"
#include "replicas/archive.h"
#include "replicas/changeset.h"
#include "replicas/err.h"
#include "replicas/node.h"
#include "replicas/schema.h"
#include "replicas/validate.h"
#include "tests/lib/testnode.h"
#include "tests/lib/workload.h"

#include "replicas/banned.h"

#define DISTRICT SCHEMA_DEFAULT_DISTRICT
#define RATE_GOAL 0.30
#define DISTRICT_GOAL_S 15.0
#define RSS_GOAL_MB 100.0
#define P99_GOAL_MS 50.0
#define MAXPROC 1024

/* ---- process bookkeeping and cleanup ----------------------------------- */

static char *tmp;           /* the run's temporary directory */
static char bindir[PATH_MAX];
static pid_t procs[MAXPROC];
static int nprocs;
static pid_t self_pid;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(double ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)((ms - (double)ts.tv_sec * 1000) * 1e6);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void stop_all(void)
{
	double t0;

	for (int i = 0; i < nprocs; i++)
		if (procs[i] > 0)
			kill(procs[i], SIGTERM);
	t0 = now();
	for (int i = 0; i < nprocs; i++) {
		while (procs[i] > 0) {
			pid_t r = waitpid(procs[i], NULL, WNOHANG);

			if (r == procs[i] || (r < 0 && errno == ECHILD)) {
				procs[i] = 0;
				break;
			}
			if (now() - t0 > 5) {
				kill(procs[i], SIGKILL);
				waitpid(procs[i], NULL, 0);
				procs[i] = 0;
				break;
			}
			sleep_ms(5);
		}
	}
	nprocs = 0;
}

static void cleanup(void)
{
	if (getpid() != self_pid)
		return;
	stop_all();
	if (tmp && !getenv("TAPHOP_BENCH_KEEP"))
		tn_rmtree(tmp);
	else if (tmp)
		fprintf(stderr, "bench_sync: kept %s\n", tmp);
	free(tmp);
	tmp = NULL;
}

static void on_signal(int sig)
{
	/* not async-signal-safe in theory; the run ends here either way */
	fprintf(stderr, "bench_sync: %s: stopping\n",
		sig == SIGALRM ? "time bound reached" : "interrupted");
	cleanup();
	_exit(1);
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench_sync: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static void die_err(const char *what)
{
	die("%s: %s", what, err_msg());
}

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (!p)
		die("out of memory");
	return p;
}

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);
	long x = v && *v ? atol(v) : def;

	return x > 0 ? x : def;
}

static int part_on(const char *name)
{
	const char *v = getenv("TAPHOP_BENCH_PARTS");

	return !v || !*v || strstr(v, name) != NULL;
}

/* ---- nodes -------------------------------------------------------------- */

struct nd {
	char dir[PATH_MAX];
	char code[STORE_CODE_MAX];
	char log[PATH_MAX];
	pid_t pid;
	struct node_info info; /* as enrolled elsewhere */
};

static void nd_make(struct nd *d, const char *sub, enum store_role role,
		    const char *code)
{
	struct node *n = NULL;

	snprintf(d->dir, sizeof(d->dir), "%s/%s", tmp, sub);
	snprintf(d->log, sizeof(d->log), "%s/%s.log", tmp, sub);
	snprintf(d->code, sizeof(d->code), "%s", code);
	d->pid = 0;
	if (node_init(d->dir, role, code, role == STORE_ROLE_HUB ? NULL :
		      DISTRICT) < 0 || node_open(&n, d->dir) < 0)
		die_err(code);
	if (store_node_get(n->store, code, &d->info) < 0)
		die_err("store_node_get");
	memcpy(d->info.box_pk, n->keys.box_pk, STORE_PK_LEN);
	node_close(n);
}

/* What `taphop enroll` does on both sides. */
static void nd_enroll(struct node *hub, const struct nd *h, const struct nd *w,
		      const char *endpoint)
{
	struct node_info wi = w->info, hi = h->info;
	struct node *wn = NULL;
	char path[PATH_MAX + 16], sign[64], box[64];
	FILE *f;

	snprintf(wi.scope, sizeof(wi.scope), "%s", w->code);
	snprintf(wi.parent, sizeof(wi.parent), "%s", h->code);
	wi.role = STORE_ROLE_WARD;
	if (store_node_put(hub->store, &wi) < 0)
		die_err("enroll ward");
	snprintf(hi.scope, sizeof(hi.scope), "%s", h->code);
	hi.parent[0] = '\0';
	hi.role = STORE_ROLE_HUB;
	if (node_open(&wn, w->dir) < 0 || store_node_put(wn->store, &hi) < 0)
		die_err("enroll hub");
	node_close(wn);
	keys_pk_to_text(h->info.sign_pk, sign, sizeof(sign));
	keys_pk_to_text(h->info.box_pk, box, sizeof(box));
	snprintf(path, sizeof(path), "%s/taphop.conf", w->dir);
	if (!(f = fopen(path, "a")))
		die("cannot append to %s", path);
	fprintf(f, "[hub]\nendpoint = %s\ntransport_key = %s\nsign_key = %s\n",
		endpoint, box, sign);
	fclose(f);
}

static int free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(s, (struct sockaddr *)&a, &len) != 0)
		die("cannot find a free port: %s", strerror(errno));
	port = ntohs(a.sin_port);
	close(s);
	return port;
}

static void nd_start(struct nd *d, const char *listen)
{
	char exe[PATH_MAX + 16];
	pid_t pid;

	if (nprocs == MAXPROC)
		die("too many processes");
	snprintf(exe, sizeof(exe), "%s/taphopd", bindir);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		FILE *lf = fopen(d->log, "a");

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (lf)
			dup2(fileno(lf), 2);
		if (listen)
			execl(exe, "taphopd", "--dir", d->dir, "--listen",
			      listen, "--log-level", "warn", (char *)NULL);
		else
			execl(exe, "taphopd", "--dir", d->dir, "--log-level",
			      "warn", (char *)NULL);
		fprintf(stderr, "cannot run %s: %s\n", exe, strerror(errno));
		_exit(127);
	}
	d->pid = pid;
	procs[nprocs++] = pid;
}

static void show_log(const struct nd *d)
{
	char cmd[PATH_MAX + 64];

	fprintf(stderr, "--- last lines of %s\n", d->log);
	snprintf(cmd, sizeof(cmd), "tail -n 8 '%s' >&2", d->log);
	if (system(cmd) != 0)
		fprintf(stderr, "(no log)\n");
}

static void check_alive(const struct nd *d)
{
	if (d->pid > 0 && waitpid(d->pid, NULL, WNOHANG) == d->pid) {
		show_log(d);
		die("taphopd of '%s' exited", d->code);
	}
}

/* kB of "Key:" in /proc/PID/status, -1 if unknown. */
static long proc_kb(pid_t pid, const char *key)
{
	char path[64], line[256];
	size_t kl = strlen(key);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
			v = atol(line + kl + 1);
			break;
		}
	fclose(f);
	return v;
}

/* CPU seconds (user + system) used so far by pid. */
static double proc_cpu(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (!(f = fopen(path, "r")))
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (!(p = strrchr(buf, ')')))
		return 0;
	/* fields after ')': state(3) ... utime(14) stime(15) */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
		   &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Waits until the hub's status file says it serves want wards. */
static void wait_serving(const struct nd *hub, int want, double timeout)
{
	static char buf[1 << 20]; /* the status lists every ward */
	char path[PATH_MAX + 32], pat[64];
	double t0 = now();

	snprintf(path, sizeof(path), "%s/taphopd.status", hub->dir);
	snprintf(pat, sizeof(pat), "\"serving %d ward(s)\"", want);
	for (;;) {
		FILE *f = fopen(path, "r");
		size_t n = 0;

		if (f) {
			n = fread(buf, 1, sizeof(buf) - 1, f);
			fclose(f);
		}
		buf[n] = '\0';
		if (strstr(buf, pat))
			return;
		check_alive(hub);
		if (now() - t0 > timeout) {
			show_log(hub);
			die("hub not serving %d ward(s) after %.0f s (status: "
			    "%.200s)", want, timeout, buf);
		}
		sleep_ms(10);
	}
}

/* ---- stream heads, read from a replica while its daemon runs ----------- */

struct head {
	char origin[STORE_CODE_MAX], scope[STORE_CODE_MAX];
	uint64_t seq;
};

struct ro {
	sqlite3 *db;
	sqlite3_stmt *one;
};

static void ro_open(struct ro *r, const char *dir)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/replica.db", dir);
	if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK)
		die("cannot open %s read-only", path);
	sqlite3_busy_timeout(r->db, 2000);
	if (sqlite3_prepare_v2(r->db, "SELECT seq FROM streams WHERE origin=?1"
			       " AND scope=?2", -1, &r->one, NULL) != SQLITE_OK)
		die("prepare: %s", sqlite3_errmsg(r->db));
}

static void ro_close(struct ro *r)
{
	sqlite3_finalize(r->one);
	sqlite3_close(r->db);
	r->db = NULL;
	r->one = NULL;
}

static uint64_t ro_head(struct ro *r, const char *origin, const char *scope)
{
	uint64_t seq = 0;

	sqlite3_bind_text(r->one, 1, origin, -1, SQLITE_STATIC);
	sqlite3_bind_text(r->one, 2, scope, -1, SQLITE_STATIC);
	if (sqlite3_step(r->one) == SQLITE_ROW)
		seq = (uint64_t)sqlite3_column_int64(r->one, 0);
	sqlite3_reset(r->one);
	return seq;
}

/* The heads of every stream of a node (opened briefly, daemon down). */
static struct head *heads_of(const char *dir, size_t *n)
{
	struct node *nd = NULL;
	struct stream_head *h = NULL;
	struct head *out;
	size_t k;

	if (node_open(&nd, dir) < 0 || store_streams(nd->store, NULL, &h, &k) < 0)
		die_err("heads");
	out = xcalloc(k, sizeof(*out));
	for (size_t i = 0; i < k; i++) {
		snprintf(out[i].origin, sizeof(out[i].origin), "%s", h[i].origin);
		snprintf(out[i].scope, sizeof(out[i].scope), "%s", h[i].scope);
		out[i].seq = h[i].seq;
	}
	free(h);
	node_close(nd);
	*n = k;
	return out;
}

/* ---- data --------------------------------------------------------------- */

/* Inserts a random valid row of t (a few tries: random values may break a
 * cross-field rule); refs[] sets COL_REF columns by name. */
static void insert_random(struct store *s, struct wl_rng *g,
			  const struct table_desc *t, const char *scope,
			  const char *ref1, const char *id1, const char *ref2,
			  const char *id2, char *id_out)
{
	struct wl_row row;

	for (int tries = 0; tries < 20; tries++) {
		int r;

		wl_row_random(g, t, scope, 60, &row);
		if (ref1)
			wl_row_set(&row, schema_column_find(t, ref1, false), id1);
		if (ref2)
			wl_row_set(&row, schema_column_find(t, ref2, false), id2);
		r = store_insert(s, t, row.vals, NULL, id_out);
		if (r == 0)
			return;
		if (r != ERR_INVALID)
			die_err(t->name);
	}
	die_err(t->name);
}

static void tx_begin(struct store *s, const char *reason)
{
	if (store_begin(s, "Nguyễn Thị Thu Hà", reason) < 0)
		die_err("store_begin");
}

static void tx_commit(struct store *s)
{
	if (store_commit(s) < 0)
		die_err("store_commit");
}

static void fast_prep(struct node *n)
{
	/* preparation only, never timed */
	sqlite3_exec(store_db(n->store), "PRAGMA synchronous=OFF", NULL, NULL,
		     NULL);
}

/* The district's own data on the hub: partners, units, activities,
 * targets.  Returns the number of rows. */
static long prep_hub(const char *dir, uint64_t seed)
{
	const struct table_desc *tp = schema_table_find("partner"),
		*tu = schema_table_find("unit"),
		*ta = schema_table_find("activity"),
		*tt = schema_table_find("target");
	struct wl_rng g;
	struct node *n = NULL;
	long rows = 0;

	wl_rng_init(&g, seed);
	if (node_open(&n, dir) < 0)
		die_err("hub");
	fast_prep(n);
	tx_begin(n->store, "district data");
	for (int i = 0; i < 50; i++, rows++)
		insert_random(n->store, &g, tp, DISTRICT, NULL, NULL, NULL, NULL,
			      NULL);
	for (int i = 0; i < 20; i++, rows++)
		insert_random(n->store, &g, tu, DISTRICT, NULL, NULL, NULL, NULL,
			      NULL);
	for (int i = 0; i < 100; i++, rows++)
		insert_random(n->store, &g, ta, DISTRICT, NULL, NULL, NULL, NULL,
			      NULL);
	for (int i = 0; i < 20; i++, rows++)
		insert_random(n->store, &g, tt, DISTRICT, NULL, NULL, NULL, NULL,
			      NULL);
	tx_commit(n->store);
	if (archive_update(n) < 0)
		die_err("archive_update hub");
	node_close(n);
	return rows;
}

/* A ward's records: people, memberships, activities, participation, one
 * import (transaction) per table, then the archive, as taphop import does.
 * Returns the number of rows. */
static long prep_ward(const char *dir, const char *code, long people,
		      uint64_t seed)
{
	const struct table_desc *tpe = schema_table_find("person"),
		*tm = schema_table_find("membership"),
		*ta = schema_table_find("activity"),
		*tpa = schema_table_find("participation");
	long nact = people / 250 > 20 ? people / 250 : 20, ndist = 10, rows = 0;
	char (*pid)[STORE_ID_LEN + 1] = xcalloc((size_t)people, sizeof(*pid));
	char (*aid)[STORE_ID_LEN + 1] = xcalloc((size_t)(nact + ndist),
					       sizeof(*aid));
	struct wl_rng g;
	struct node *n = NULL;

	wl_rng_init(&g, seed);
	if (node_open(&n, dir) < 0)
		die_err(code);
	fast_prep(n);
	tx_begin(n->store, "nhập danh sách thanh niên");
	for (long i = 0; i < people; i++, rows++)
		insert_random(n->store, &g, tpe, code, NULL, NULL, NULL, NULL,
			      pid[i]);
	tx_commit(n->store);
	tx_begin(n->store, "nhập hoạt động");
	for (long i = 0; i < nact + ndist; i++, rows++)
		insert_random(n->store, &g, ta, i < nact ? code : DISTRICT, NULL,
			      NULL, NULL, NULL, aid[i]);
	tx_commit(n->store);
	tx_begin(n->store, "nhập đoàn viên, hội viên");
	for (long i = 0; i < people; i++)
		if (wl_chance(&g, 60)) {
			insert_random(n->store, &g, tm, code, "person", pid[i],
				      NULL, NULL, NULL);
			rows++;
		}
	tx_commit(n->store);
	tx_begin(n->store, "nhập danh sách tham gia");
	for (long i = 0; i < people; i++) {
		uint32_t k = wl_below(&g, 5);

		for (uint32_t j = 0; j < k; j++, rows++)
			insert_random(n->store, &g, tpa, code, "person", pid[i],
				      "activity",
				      aid[wl_below(&g, (uint32_t)(nact + ndist))],
				      NULL);
	}
	tx_commit(n->store);
	if (archive_update(n) < 0)
		die_err("archive_update ward");
	node_close(n);
	free(pid);
	free(aid);
	return rows;
}

/* Runs fn for items [0, n) in up to `jobs` forked children; returns the sum
 * of what the items return (passed back through a pipe). */
typedef long (*item_fn)(void *ctx, int i);

static long parallel(int n, int jobs, item_fn fn, void *ctx)
{
	int fds[2];
	long total = 0, v;
	pid_t kids[64];

	if (jobs > 64)
		jobs = 64;
	if (jobs > n)
		jobs = n;
	if (pipe(fds) != 0)
		die("pipe: %s", strerror(errno));
	for (int j = 0; j < jobs; j++) {
		kids[j] = fork();
		if (kids[j] < 0)
			die("fork: %s", strerror(errno));
		if (kids[j] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(fds[0]);
			for (int i = j; i < n; i += jobs) {
				v = fn(ctx, i);
				if (write(fds[1], &v, sizeof(v)) != sizeof(v))
					_exit(1);
			}
			_exit(0);
		}
	}
	close(fds[1]);
	while (read(fds[0], &v, sizeof(v)) == sizeof(v))
		total += v;
	close(fds[0]);
	for (int j = 0; j < jobs; j++) {
		int st = 0;

		waitpid(kids[j], &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			die("a preparation job failed");
	}
	return total;
}

/* ---- (1) throughput ----------------------------------------------------- */

struct rows {
	long n;
	uint32_t (*off)[SCHEMA_MAX_COLUMNS];
	struct tn_strings str;
};

static const char *rv(const struct rows *r, long i, int c)
{
	return r->off[i][c] == UINT32_MAX ? NULL : r->str.buf + r->off[i][c];
}

static void rows_make(struct rows *r, long n, const char *scope,
		      uint64_t seed)
{
	const struct table_desc *t = schema_table_find("person");
	struct wl_rng g;
	struct wl_row row;

	wl_rng_init(&g, seed);
	memset(r, 0, sizeof(*r));
	r->n = n;
	r->off = xcalloc((size_t)n, sizeof(*r->off));
	for (long i = 0; i < n; i++) {
		char vb[WL_VALUE_MAX * 4];
		int bad;

		do { /* a row every rule of validate.h accepts */
			wl_row_person(&g, scope, &row);
			bad = 0;
			for (int c = 0; c < t->ncols && !bad; c++)
				bad = row.vals[c] && validate_value(&t->cols[c],
						row.vals[c], vb, sizeof(vb)) != 0;
		} while (bad);
		for (int c = 0; c < SCHEMA_MAX_COLUMNS; c++)
			r->off[i][c] = c < t->ncols && row.vals[c] ?
				       tn_strings_put(&r->str, row.vals[c]) : UINT32_MAX;
	}
}

static void raw_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		die("raw sqlite: %s", msg ? msg : "?");
}

/* The same rows into a plain table (id primary key, the schema's indexes
 * on ward and citizen_id), one transaction, one prepared statement, WAL,
 * synchronous=FULL.  Seconds. */
static double raw_insert(const struct rows *r)
{
	const struct table_desc *t = schema_table_find("person");
	char path[PATH_MAX + 16], sql[4096], id[64];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	size_t len;
	double t0, t1;

	snprintf(path, sizeof(path), "%s/raw.db", tmp);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die("cannot open %s", path);
	raw_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
	len = (size_t)snprintf(sql, sizeof(sql),
			       "CREATE TABLE person (id TEXT PRIMARY KEY NOT NULL");
	for (int c = 0; c < t->ncols; c++)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, ", %s %s",
					t->cols[c].name,
					t->cols[c].type == COL_INT ||
					t->cols[c].type == COL_BOOL ? "INTEGER" : "TEXT");
	snprintf(sql + len, sizeof(sql) - len, "); CREATE INDEX person_ward ON "
		 "person(ward); CREATE INDEX person_citizen_id ON "
		 "person(citizen_id);");
	raw_exec(db, sql);
	len = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO person VALUES (?");
	for (int c = 0; c < t->ncols; c++)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, ", ?");
	snprintf(sql + len, sizeof(sql) - len, ")");
	t0 = now();
	raw_exec(db, "BEGIN");
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		die("raw prepare: %s", sqlite3_errmsg(db));
	for (long i = 0; i < r->n; i++) {
		/* time-ordered ids like the store's UUIDv7 */
		snprintf(id, sizeof(id), "0190a1b2-%04lx-7%03lx-8%03lx-%012lx",
			 (i >> 24) & 0xffff, (i >> 12) & 0xfff, i & 0xfff,
			 (unsigned long)i * 2654435761u % 0xffffffffffffu);
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
		for (int c = 0; c < t->ncols; c++) {
			const char *v = rv(r, i, c);

			if (!v)
				sqlite3_bind_null(st, c + 2);
			else if (t->cols[c].type == COL_INT ||
				 t->cols[c].type == COL_BOOL)
				sqlite3_bind_int64(st, c + 2, strtoll(v, NULL, 10));
			else
				sqlite3_bind_text(st, c + 2, v, -1, SQLITE_STATIC);
		}
		if (sqlite3_step(st) != SQLITE_DONE)
			die("raw insert: %s", sqlite3_errmsg(db));
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	raw_exec(db, "COMMIT");
	t1 = now();
	sqlite3_close(db);
	return t1 - t0;
}

/* Imports the rows into a ward: one transaction (bulk) or one per row. */
static void import_rows(const char *dir, const struct rows *r, int per_row)
{
	const struct table_desc *t = schema_table_find("person");
	const char *vals[SCHEMA_MAX_COLUMNS];
	struct node *n = NULL;

	if (node_open(&n, dir) < 0)
		die_err("ward");
	fast_prep(n);
	if (!per_row)
		tx_begin(n->store, "nhập danh sách thanh niên");
	for (long i = 0; i < r->n; i++) {
		for (int c = 0; c < t->ncols; c++)
			vals[c] = rv(r, i, c);
		if (per_row)
			tx_begin(n->store, NULL);
		if (store_insert(n->store, t, vals, NULL, NULL) < 0)
			die_err("import");
		if (per_row)
			tx_commit(n->store);
	}
	if (!per_row)
		tx_commit(n->store);
	node_close(n);
}

/* Starts ward w against the running hub; seconds until the hub holds its
 * stream up to want (and until the first change-set arrived). */
static double time_stream(struct nd *hub, struct nd *w, uint64_t want,
			  double *first, double timeout)
{
	struct ro r;
	double t0, t;
	int seen = 0;

	ro_open(&r, hub->dir);
	t0 = now();
	nd_start(w, NULL);
	for (;;) {
		uint64_t h = ro_head(&r, w->code, w->code);

		t = now();
		if (h > 0 && !seen) {
			seen = 1;
			*first = t - t0;
		}
		if (h >= want)
			break;
		if (t - t0 > timeout) {
			show_log(hub);
			show_log(w);
			die("hub holds %llu of %llu change-sets of '%s' after %.0f s",
			    (unsigned long long)h, (unsigned long long)want,
			    w->code, timeout);
		}
		check_alive(hub);
		check_alive(w);
		sleep_ms(2);
	}
	ro_close(&r);
	return t - t0;
}

/* ---- in-process reference: the hub's apply loop without the network --- */

struct blobs {
	unsigned char **b;
	size_t *len;
	size_t n, cap;
};

static int collect(void *ctx, const struct changeset_info *ci,
		   const unsigned char *b, size_t len)
{
	struct blobs *x = ctx;

	(void)ci;
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 64;
		x->b = realloc(x->b, x->cap * sizeof(*x->b));
		x->len = realloc(x->len, x->cap * sizeof(*x->len));
		if (!x->b || !x->len)
			die("out of memory");
	}
	x->b[x->n] = xcalloc(len, 1);
	memcpy(x->b[x->n], b, len);
	x->len[x->n++] = len;
	return 0;
}

static void blobs_free(struct blobs *x)
{
	for (size_t i = 0; i < x->n; i++)
		free(x->b[i]);
	free(x->b);
	free(x->len);
}

/* Applies every change-set of ward w into a fresh hub replica in batches of
 * 128 (taphopd's default batch), one transaction each, as
 * sync_apply_batch does, with or without archive_update after each. */
static double ref_apply(const struct nd *w, const char *sub, int archive)
{
	struct blobs x = { 0 };
	struct nd h;
	struct node *hn = NULL, *wn = NULL;
	struct node_info wi = w->info;
	double t0, t;

	if (node_open(&wn, w->dir) < 0 ||
	    store_changesets(wn->store, 0, w->code, NULL, collect, &x) < 0)
		die_err("collect");
	node_close(wn);
	nd_make(&h, sub, STORE_ROLE_HUB, DISTRICT);
	snprintf(wi.scope, sizeof(wi.scope), "%s", w->code);
	snprintf(wi.parent, sizeof(wi.parent), "%s", DISTRICT);
	wi.role = STORE_ROLE_WARD;
	if (node_open(&hn, h.dir) < 0 || store_node_put(hn->store, &wi) < 0)
		die_err("reference hub");
	t0 = now();
	for (size_t i = 0; i < x.n; i += 128) {
		if (store_batch_begin(hn->store) < 0)
			die_err("batch");
		for (size_t j = i; j < x.n && j < i + 128; j++) {
			struct apply_result res;

			if (store_apply(hn->store, x.b[j], x.len[j], &res) < 0)
				die_err("store_apply");
		}
		if (store_batch_commit(hn->store) < 0)
			die_err("commit");
		if (archive && archive_update(hn) < 0)
			die_err("archive_update");
	}
	t = now() - t0;
	node_close(hn);
	blobs_free(&x);
	tn_rmtree(h.dir);
	return t;
}

static void bench_throughput(uint64_t seed)
{
	long n = env_long("TAPHOP_BENCH_ROWS", 100000);
	long m = env_long("TAPHOP_BENCH_CHANGESETS", 20000);
	struct nd hub, wa, wb;
	struct node *hn = NULL;
	struct rows ra, rb;
	size_t nh;
	struct head *h;
	uint64_t want_a = 0, want_b = 0;
	char ep[64];
	double raw, ta, tb, fa, fb, t0, ratio_a, ratio_b, rate_raw;

	printf("== throughput at the hub over the network (%ld people in one "
	       "import; %ld one-row change-sets)\n", n, m);
	fflush(stdout);
	rows_make(&ra, n, "an-lac", seed);
	rows_make(&rb, m, "tan-tao", seed ^ 0x5eedu);
	raw = raw_insert(&ra);
	rate_raw = (double)n / raw;

	snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", free_port());
	nd_make(&hub, "t-hub", STORE_ROLE_HUB, DISTRICT);
	nd_make(&wa, "t-an-lac", STORE_ROLE_WARD, "an-lac");
	nd_make(&wb, "t-tan-tao", STORE_ROLE_WARD, "tan-tao");
	if (node_open(&hn, hub.dir) < 0)
		die_err("hub");
	nd_enroll(hn, &hub, &wa, ep);
	nd_enroll(hn, &hub, &wb, ep);
	node_close(hn);
	t0 = now();
	import_rows(wa.dir, &ra, 0);
	import_rows(wb.dir, &rb, 1);
	h = heads_of(wa.dir, &nh);
	for (size_t i = 0; i < nh; i++)
		if (!strcmp(h[i].origin, "an-lac") && !strcmp(h[i].scope, "an-lac"))
			want_a = h[i].seq;
	free(h);
	h = heads_of(wb.dir, &nh);
	for (size_t i = 0; i < nh; i++)
		if (!strcmp(h[i].origin, "tan-tao") && !strcmp(h[i].scope, "tan-tao"))
			want_b = h[i].seq;
	free(h);
	printf("prepared in %.1f s: an-lac %llu change-sets, tan-tao %llu\n",
	       now() - t0, (unsigned long long)want_a,
	       (unsigned long long)want_b);

	nd_start(&hub, ep);
	wait_serving(&hub, 0, 30);
	ta = time_stream(&hub, &wa, want_a, &fa, 600);
	tb = time_stream(&hub, &wb, want_b, &fb, 600);
	ratio_a = ((double)n / ta) / rate_raw;
	ratio_b = ((double)m / tb) / rate_raw;
	printf("raw sqlite: %ld people in %.2f s = %.0f rows/s (one transaction,"
	       " prepared statement, WAL, synchronous=FULL, indexes on ward "
	       "and citizen_id)\n", n, raw, rate_raw);
	printf("hub, bulk: %ld rows in %llu change-sets in %.2f s from ward "
	       "start (first change-set after %.2f s) = %.0f rows/s, %.1f "
	       "change-sets/s = %.0f%% of raw (goal >= %.0f%%)%s\n", n,
	       (unsigned long long)want_a, ta, fa, (double)n / ta,
	       (double)want_a / ta, ratio_a * 100, RATE_GOAL * 100,
	       ratio_a >= RATE_GOAL ? "" : "  GOAL MISSED");
	printf("hub, one-row change-sets: %ld in %.2f s (first after %.2f s) = "
	       "%.0f change-sets/s = %.0f rows/s = %.0f%% of raw (goal >= "
	       "%.0f%%)%s\n", m, tb, fb, (double)m / tb, (double)m / tb,
	       ratio_b * 100, RATE_GOAL * 100,
	       ratio_b >= RATE_GOAL ? "" : "  GOAL MISSED");
	printf("hub peak RSS (VmHWM) after the throughput runs: %.1f MB\n",
	       (double)proc_kb(hub.pid, "VmHWM") / 1024);
	fflush(stdout);
	stop_all();
	if (!getenv("TAPHOP_BENCH_NOREF")) {
		double a0 = ref_apply(&wa, "t-ref0", 0),
		       a1 = ref_apply(&wa, "t-ref1", 1),
		       b0 = ref_apply(&wb, "t-ref2", 0),
		       b1 = ref_apply(&wb, "t-ref3", 1);

		printf("reference, in-process (no network, no daemon), batches "
		       "of 128: bulk %.0f rows/s without the archive, %.0f with "
		       "archive_update per batch (%.0f%% / %.0f%% of raw)\n",
		       (double)n / a0, (double)n / a1,
		       (double)n / a0 / rate_raw * 100,
		       (double)n / a1 / rate_raw * 100);
		printf("reference, in-process: one-row change-sets %.0f/s without "
		       "the archive, %.0f/s with archive_update per batch\n",
		       (double)m / b0, (double)m / b1);
	}
	free(ra.off);
	free(ra.str.buf);
	free(rb.off);
	free(rb.str.buf);
}

/* ---- (2) a district's first sync --------------------------------------- */

struct district {
	struct nd *w;
	long people;
	uint64_t seed;
};

static long prep_one(void *ctx, int i)
{
	struct district *d = ctx;

	return prep_ward(d->w[i].dir, d->w[i].code, d->people,
			 d->seed + (uint64_t)i * 7919u);
}

static void ward_code(int i, int n, char *out, size_t sz)
{
	if (n <= 10)
		snprintf(out, sz, "%s", schema_ward_codes[i]);
	else
		snprintf(out, sz, "ward-%03d", i + 1);
}

/* 1 when node r holds every expected stream at its head. */
static int holds(struct ro *r, const struct head *want, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ro_head(r, want[i].origin, want[i].scope) < want[i].seq)
			return 0;
	return 1;
}

static int digest_of(const char *dir, const char *scope, unsigned char *out)
{
	struct node *n = NULL;
	int rc;

	if (node_open(&n, dir) < 0)
		return -1;
	rc = store_digest(n->store, scope, out);
	node_close(n);
	return rc;
}

static void bench_district(uint64_t seed)
{
	int nw = (int)env_long("TAPHOP_BENCH_WARDS", 10);
	long people = env_long("TAPHOP_BENCH_PEOPLE", 25000), rows;
	long jobs = sysconf(_SC_NPROCESSORS_ONLN);
	struct district d;
	struct nd hub;
	struct node *hn = NULL;
	struct head *hub_want, *dist_want, *h;
	size_t nhub = 0, ndist = 0, nh;
	struct ro *r;
	char ep[64], code[STORE_CODE_MAX];
	unsigned char d0[32], d1[32];
	double t0, t_conv = 0, t_hub = 0, tprep;
	int ok;

	printf("== a district's first sync: %d wards x %ld people (memberships "
	       "60%%, activities, participation 0..4 per person), archive on\n",
	       nw, people);
	fflush(stdout);
	d.w = xcalloc((size_t)nw, sizeof(*d.w));
	d.people = people;
	d.seed = seed;
	snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", free_port());
	tprep = now();
	nd_make(&hub, "d-hub", STORE_ROLE_HUB, DISTRICT);
	if (node_open(&hn, hub.dir) < 0)
		die_err("hub");
	for (int i = 0; i < nw; i++) {
		char sub[96];

		ward_code(i, nw, code, sizeof(code));
		snprintf(sub, sizeof(sub), "d-%s", code);
		nd_make(&d.w[i], sub, STORE_ROLE_WARD, code);
		nd_enroll(hn, &hub, &d.w[i], ep);
	}
	node_close(hn);
	rows = prep_hub(hub.dir, seed);
	rows += parallel(nw, (int)(jobs > 0 ? jobs : 2), prep_one, &d);

	/* what must be where at the end */
	hub_want = xcalloc(1, sizeof(*hub_want));
	dist_want = NULL;
	h = heads_of(hub.dir, &nh);
	for (size_t i = 0; i < nh; i++) {
		dist_want = realloc(dist_want, (ndist + 1) * sizeof(*dist_want));
		dist_want[ndist++] = h[i];
	}
	free(h);
	for (int i = 0; i < nw; i++) {
		h = heads_of(d.w[i].dir, &nh);
		for (size_t j = 0; j < nh; j++) {
			if (strcmp(h[j].origin, d.w[i].code) != 0)
				continue;
			hub_want = realloc(hub_want, (nhub + 1) * sizeof(*hub_want));
			hub_want[nhub++] = h[j];
			if (!strcmp(h[j].scope, DISTRICT)) {
				dist_want = realloc(dist_want, (ndist + 1) *
						    sizeof(*dist_want));
				dist_want[ndist++] = h[j];
			}
		}
		free(h);
	}
	if (!hub_want || !dist_want)
		die("out of memory");
	{
		uint64_t ncs = 0;

		for (size_t i = 0; i < nhub; i++)
			ncs += hub_want[i].seq;
		printf("prepared in %.1f s: %ld rows, %llu change-sets from the "
		       "wards, %zu district-wide streams\n", now() - tprep, rows,
		       (unsigned long long)ncs, ndist);
	}
	fflush(stdout);

	r = xcalloc((size_t)nw + 1, sizeof(*r));
	t0 = now();
	nd_start(&hub, ep);
	for (int i = 0; i < nw; i++)
		nd_start(&d.w[i], NULL);
	for (;;) {
		double t = now();

		if (!r[nw].db && access(hub.dir, F_OK) == 0)
			ro_open(&r[nw], hub.dir);
		ok = 1;
		if (!t_hub) {
			if (holds(&r[nw], hub_want, nhub))
				t_hub = t - t0;
			else
				ok = 0;
		}
		for (int i = 0; ok && i < nw; i++) {
			if (!r[i].db)
				ro_open(&r[i], d.w[i].dir);
			ok = holds(&r[i], dist_want, ndist);
		}
		if (ok) {
			t_conv = t - t0;
			break;
		}
		if (t - t0 > 600) {
			show_log(&hub);
			die("no convergence after 600 s");
		}
		check_alive(&hub);
		for (int i = 0; i < nw; i++)
			check_alive(&d.w[i]);
		sleep_ms(20);
	}
	for (int i = 0; i <= nw; i++)
		if (r[i].db)
			ro_close(&r[i]);
	free(r);

	/* digests: the district scope everywhere, each ward's on hub and ward */
	ok = digest_of(hub.dir, DISTRICT, d0) == 0;
	for (int i = 0; ok && i < nw; i++) {
		unsigned char a[32], b2[32];

		ok = digest_of(d.w[i].dir, DISTRICT, d1) == 0 &&
		     memcmp(d0, d1, 32) == 0 &&
		     digest_of(hub.dir, d.w[i].code, a) == 0 &&
		     digest_of(d.w[i].dir, d.w[i].code, b2) == 0 &&
		     memcmp(a, b2, 32) == 0;
	}
	printf("district first sync: hub held every ward's records after %.2f "
	       "s, converged (every ward holds the district scope) after %.2f "
	       "s = %.0f rows/s (goal <= %.0f s)%s; digests %s\n", t_hub,
	       t_conv, (double)rows / t_conv, DISTRICT_GOAL_S,
	       t_conv <= DISTRICT_GOAL_S ? "" : "  GOAL MISSED",
	       ok ? "agree" : "DIFFER");
	printf("district first sync: hub peak RSS (VmHWM) %.1f MB\n",
	       (double)proc_kb(hub.pid, "VmHWM") / 1024);
	printf("district first sync: archive enabled (taphopd has no setting "
	       "to disable it; archive disabled not measured)\n");
	fflush(stdout);
	stop_all();
	free(hub_want);
	free(dist_want);
	free(d.w);
	if (!ok)
		die("digests differ after convergence");
}

/* ---- (3) many connected wards ------------------------------------------ */

/* A simulated ward: one CURVE DEALER speaking the protocol. */
struct sim {
	char code[STORE_CODE_MAX];
	struct keys k;
	void *z;
	int welcomed;
	double last_tx;
	uint64_t recv_n; /* session index of change-sets received */
};

static void sim_send(struct sim *s, const codec_env *env)
{
	unsigned char *buf = NULL;
	size_t len = 0;

	if (codec_encode(env, &buf, &len) < 0)
		die_err("encode");
	zmq_send(s->z, buf, len, ZMQ_DONTWAIT);
	free(buf);
	s->last_tx = now();
}

static void sim_hello(struct sim *s)
{
	codec_env env = TAPHOP__SYNC__ENVELOPE__INIT;
	Taphop__Sync__Hello hello = TAPHOP__SYNC__HELLO__INIT;

	hello.protocol_version = CODEC_PROTOCOL_VERSION;
	hello.schema_version = SCHEMA_VERSION;
	hello.node = s->code;
	hello.credit = 512;
	env.msg_case = TAPHOP__SYNC__ENVELOPE__MSG_HELLO;
	env.hello = &hello;
	s->recv_n = 0;
	sim_send(s, &env);
}

static void sim_connect(struct sim *s, void *zctx, const char *ep,
			const unsigned char *server_pk)
{
	int linger = 0;

	s->z = zmq_socket(zctx, ZMQ_DEALER);
	if (!s->z ||
	    zmq_setsockopt(s->z, ZMQ_LINGER, &linger, sizeof(linger)) ||
	    zmq_setsockopt(s->z, ZMQ_CURVE_SERVERKEY, server_pk, 32) ||
	    zmq_setsockopt(s->z, ZMQ_CURVE_PUBLICKEY, s->k.box_pk, 32) ||
	    zmq_setsockopt(s->z, ZMQ_CURVE_SECRETKEY, s->k.box_sk, 32) ||
	    zmq_connect(s->z, ep))
		die("simulated ward: %s", zmq_strerror(zmq_errno()));
	sim_hello(s);
}

/* Acks what the hub relays (as if stored) and grants credit. */
static void sim_on(struct sim *s, const unsigned char *data, size_t len)
{
	struct codec_msg *cm = NULL;
	const codec_env *e;

	if (codec_decode(&cm, data, len) < 0)
		return;
	e = cm->env;
	if (e->msg_case == TAPHOP__SYNC__ENVELOPE__MSG_WELCOME) {
		s->welcomed = 1;
	} else if (e->msg_case == TAPHOP__SYNC__ENVELOPE__MSG_CHANGESETS) {
		const Taphop__Sync__ChangeSets *b = e->changesets;
		Taphop__Sync__StreamPos *pos = xcalloc(b->n_changesets,
						       sizeof(*pos));
		Taphop__Sync__StreamPos **pp = xcalloc(b->n_changesets,
						       sizeof(*pp));
		struct changeset **cs = xcalloc(b->n_changesets, sizeof(*cs));
		codec_env env = TAPHOP__SYNC__ENVELOPE__INIT;
		Taphop__Sync__Ack ack = TAPHOP__SYNC__ACK__INIT;
		Taphop__Sync__Credit cr = TAPHOP__SYNC__CREDIT__INIT;
		size_t k = 0;

		for (size_t i = 0; i < b->n_changesets; i++) {
			if (changeset_decode(&cs[i], b->changesets[i].data,
					     b->changesets[i].len) < 0)
				continue;
			taphop__sync__stream_pos__init(&pos[k]);
			pos[k].origin = (char *)cs[i]->origin;
			pos[k].scope = (char *)cs[i]->scope;
			pos[k].seq = cs[i]->seq;
			pp[k] = &pos[k];
			k++;
		}
		ack.n_streams = k;
		ack.streams = pp;
		env.msg_case = TAPHOP__SYNC__ENVELOPE__MSG_ACK;
		env.ack = &ack;
		sim_send(s, &env);
		cr.limit = b->first + b->n_changesets + 512;
		env.msg_case = TAPHOP__SYNC__ENVELOPE__MSG_CREDIT;
		env.credit = &cr;
		sim_send(s, &env);
		for (size_t i = 0; i < b->n_changesets; i++)
			changeset_free(cs[i]);
		free(cs);
		free(pos);
		free(pp);
	} else if (e->msg_case == TAPHOP__SYNC__ENVELOPE__MSG_ERROR &&
		   e->error->code == TAPHOP__SYNC__ERROR__CODE__NO_SESSION) {
		sim_hello(s);
	} else if (e->msg_case == TAPHOP__SYNC__ENVELOPE__MSG_PING) {
		codec_env env = TAPHOP__SYNC__ENVELOPE__INIT;
		Taphop__Sync__Pong po = TAPHOP__SYNC__PONG__INIT;

		po.nonce = e->ping->nonce;
		env.msg_case = TAPHOP__SYNC__ENVELOPE__MSG_PONG;
		env.pong = &po;
		sim_send(s, &env);
	}
	codec_msg_free(cm);
}

/* The simulated wards' loop, in a child process, until SIGTERM. */
static volatile sig_atomic_t sim_stop;

static void sim_on_term(int sig)
{
	(void)sig;
	sim_stop = 1;
}

static void sim_run(struct sim *s, int n, const char *ep,
		    const unsigned char *server_pk, int heartbeat_ms)
{
	void *zctx = zmq_ctx_new();
	zmq_pollitem_t *it = xcalloc((size_t)n, sizeof(*it));
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sim_on_term;
	sigaction(SIGTERM, &sa, NULL);
	zmq_ctx_set(zctx, ZMQ_MAX_SOCKETS, 4 * n + 64);
	for (int i = 0; i < n; i++) {
		sim_connect(&s[i], zctx, ep, server_pk);
		it[i].socket = s[i].z;
		it[i].events = ZMQ_POLLIN;
	}
	while (!sim_stop) {
		double t;

		if (zmq_poll(it, n, 100) < 0 && zmq_errno() != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			zmq_msg_t m;

			if (!(it[i].revents & ZMQ_POLLIN))
				continue;
			for (;;) {
				zmq_msg_init(&m);
				if (zmq_msg_recv(&m, s[i].z, ZMQ_DONTWAIT) < 0) {
					zmq_msg_close(&m);
					break;
				}
				sim_on(&s[i], zmq_msg_data(&m), zmq_msg_size(&m));
				zmq_msg_close(&m);
			}
		}
		t = now();
		for (int i = 0; i < n; i++)
			if ((t - s[i].last_tx) * 1000 >= heartbeat_ms) {
				codec_env env = TAPHOP__SYNC__ENVELOPE__INIT;
				Taphop__Sync__Ping pi = TAPHOP__SYNC__PING__INIT;

				pi.nonce = (uint64_t)(t * 1000);
				env.msg_case = TAPHOP__SYNC__ENVELOPE__MSG_PING;
				env.ping = &pi;
				sim_send(&s[i], &env);
			}
	}
	for (int i = 0; i < n; i++)
		zmq_close(s[i].z);
	zmq_ctx_term(zctx);
	free(it);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(const double *v, int n, double p)
{
	int i = (int)(p * (n - 1) + 0.5);

	return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

/* One edit as taphop edit makes it; ms from the ward's commit until the
 * hub's replica holds it.  *arch_ms: the ward-side archive_update. */
static double one_edit(struct nd *w, const char *person, struct wl_rng *g,
		       struct ro *hub, int nudge, double *arch_ms,
		       double *sync_ms)
{
	const struct table_desc *t = schema_table_find("person");
	const char *vals[SCHEMA_MAX_COLUMNS] = { 0 };
	char phone[32];
	struct node *n = NULL;
	uint64_t want;
	double t0, t1, t2;

	if (node_open(&n, w->dir) < 0)
		die_err("ward");
	want = ro_head(hub, w->code, w->code) + 1;
	wl_phone(g, phone, sizeof(phone));
	vals[schema_column_find(t, "phone", false)] = phone;
	tx_begin(n->store, "số điện thoại mới");
	if (store_update(n->store, t, person, vals) < 0)
		die_err("edit");
	tx_commit(n->store);
	t0 = now();
	if (archive_update(n) < 0)
		die_err("archive_update");
	*arch_ms = (now() - t0) * 1000;
	if (nudge)
		kill(w->pid, SIGUSR1);
	t2 = now();
	for (;;) {
		t1 = now();
		if (ro_head(hub, w->code, w->code) >= want)
			break;
		if (t1 - t0 > 30) {
			show_log(w);
			die("an edit of '%s' did not reach the hub in 30 s",
			    w->code);
		}
		sleep_ms(0.2);
	}
	node_close(n);
	*sync_ms = (t1 - t2) * 1000;
	return (t1 - t0) * 1000;
}

static void bench_connected(uint64_t seed)
{
	int nc = (int)env_long("TAPHOP_BENCH_CONNECTED", 200);
	int nr = (int)env_long("TAPHOP_BENCH_REAL", nc < 20 ? nc : 20);
	int ne = (int)env_long("TAPHOP_BENCH_EDITS", 200);
	int nsim, hb = 5000, nq = ne / 4 > 0 ? ne / 4 : 1;
	struct nd hub, *w;
	struct sim *sims = NULL;
	struct node *hn = NULL;
	char (*person)[STORE_ID_LEN + 1];
	char ep[64];
	struct wl_rng g;
	struct ro r;
	double *lat, *lat_q, *arch, *syn, t0, cpu0, cpu1, cpu_h0, cpu_h1, tidle = 5;
	long rss_sum = 0, hwm_max = 0, rss_one = 0;
	pid_t sim_pid = 0;

	if (nr > nc)
		nr = nc;
	nsim = nc - nr;
	printf("== %d wards connected to one hub: %d taphopd processes, %d "
	       "simulated in-process; %d edits\n", nc, nr, nsim, ne);
	fflush(stdout);
	wl_rng_init(&g, seed);
	w = xcalloc((size_t)nr, sizeof(*w));
	person = xcalloc((size_t)nr, sizeof(*person));
	snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", free_port());
	t0 = now();
	nd_make(&hub, "c-hub", STORE_ROLE_HUB, DISTRICT);
	if (node_open(&hn, hub.dir) < 0)
		die_err("hub");
	for (int i = 0; i < nr; i++) {
		char code[32], sub[48];
		struct node *n = NULL;

		snprintf(code, sizeof(code), "ward-%03d", i + 1);
		snprintf(sub, sizeof(sub), "c-%s", code);
		nd_make(&w[i], sub, STORE_ROLE_WARD, code);
		nd_enroll(hn, &hub, &w[i], ep);
		if (node_open(&n, w[i].dir) < 0)
			die_err("ward");
		tx_begin(n->store, NULL);
		insert_random(n->store, &g, schema_table_find("person"), code,
			      NULL, NULL, NULL, NULL, person[i]);
		tx_commit(n->store);
		node_close(n);
	}
	if (nsim) {
		sims = xcalloc((size_t)nsim, sizeof(*sims));
		for (int i = 0; i < nsim; i++) {
			struct node_info ni;

			memset(&ni, 0, sizeof(ni));
			snprintf(sims[i].code, sizeof(sims[i].code), "sim-%03d",
				 i + 1);
			if (keys_generate(&sims[i].k) < 0)
				die_err("keys");
			snprintf(ni.code, sizeof(ni.code), "%s", sims[i].code);
			snprintf(ni.scope, sizeof(ni.scope), "%s", sims[i].code);
			snprintf(ni.parent, sizeof(ni.parent), "%s", DISTRICT);
			ni.role = STORE_ROLE_WARD;
			memcpy(ni.sign_pk, sims[i].k.sign_pk, 32);
			memcpy(ni.box_pk, sims[i].k.box_pk, 32);
			if (store_node_put(hn->store, &ni) < 0)
				die_err("enroll simulated ward");
		}
	}
	node_close(hn);
	prep_hub(hub.dir, seed);
	printf("prepared %d ward directories in %.1f s\n", nr, now() - t0);
	fflush(stdout);

	nd_start(&hub, ep);
	wait_serving(&hub, 0, 30);
	t0 = now();
	for (int i = 0; i < nr; i++)
		nd_start(&w[i], NULL);
	if (nsim) {
		sim_pid = fork();
		if (sim_pid < 0)
			die("fork: %s", strerror(errno));
		if (sim_pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			sim_run(sims, nsim, ep, hub.info.box_pk, hb);
			_exit(0);
		}
		procs[nprocs++] = sim_pid;
	}
	wait_serving(&hub, nc, 300);
	printf("all %d wards connected %.1f s after starting them\n", nc,
	       now() - t0);
	fflush(stdout);
	/* the district data relayed to every real ward */
	{
		size_t nh, k = 0;
		struct head *hh = heads_of(hub.dir, &nh);

		for (size_t j = 0; j < nh; j++)
			if (!strcmp(hh[j].scope, DISTRICT))
				hh[k++] = hh[j];
		nh = k;

		for (int i = 0; i < nr; i++) {
			struct ro wr;

			ro_open(&wr, w[i].dir);
			while (!holds(&wr, hh, nh)) {
				if (now() - t0 > 600)
					die("'%s' lacks the district data",
					    w[i].code);
				check_alive(&w[i]);
				sleep_ms(20);
			}
			ro_close(&wr);
		}
		free(hh);
	}
	printf("district data relayed to every ward %.1f s after start\n",
	       now() - t0);
	fflush(stdout);

	/* idle cost of the ward processes, once the first sync's work (the
	 * wards archiving what they received) is over: 1 s windows until the
	 * wards' CPU stops falling (at most 60 s) */
	{
		double prev = 1e9, c0 = 0, c1;

		for (int i = 0; i < nr; i++)
			c0 += proc_cpu(w[i].pid);
		for (int k = 0; k < 60; k++) {
			sleep_ms(1000);
			c1 = 0;
			for (int i = 0; i < nr; i++)
				c1 += proc_cpu(w[i].pid);
			if (c1 - c0 >= prev * 0.9 && k >= 2)
				break;
			prev = c1 - c0;
			c0 = c1;
		}
	}
	cpu0 = 0;
	for (int i = 0; i < nr; i++)
		cpu0 += proc_cpu(w[i].pid);
	cpu_h0 = proc_cpu(hub.pid);
	sleep_ms(tidle * 1000);
	cpu1 = 0;
	for (int i = 0; i < nr; i++) {
		long rss = proc_kb(w[i].pid, "VmRSS"),
		     hwm = proc_kb(w[i].pid, "VmHWM");

		cpu1 += proc_cpu(w[i].pid);
		rss_sum += rss;
		if (hwm > hwm_max)
			hwm_max = hwm;
		if (i == 0)
			rss_one = rss;
	}
	cpu_h1 = proc_cpu(hub.pid);
	if (nr)
		printf("one ward process: VmRSS %.1f MB (mean over %d: %.1f MB, "
		       "largest VmHWM %.1f MB); idle, all %d together use %.1f%% "
		       "of one core (%.2f%% each); the hub idle uses %.1f%%\n",
		       (double)rss_one / 1024, nr, (double)rss_sum / nr / 1024,
		       (double)hwm_max / 1024, nr, (cpu1 - cpu0) / tidle * 100,
		       (cpu1 - cpu0) / tidle * 100 / nr,
		       (cpu_h1 - cpu_h0) / tidle * 100);
	if (nsim)
		printf("the %d simulated wards' process: VmRSS %.1f MB\n", nsim,
		       (double)proc_kb(sim_pid, "VmRSS") / 1024);
	fflush(stdout);

	/* edits */
	lat = xcalloc((size_t)ne, sizeof(*lat));
	lat_q = xcalloc((size_t)nq, sizeof(*lat_q));
	arch = xcalloc((size_t)ne, sizeof(*arch));
	syn = xcalloc((size_t)ne, sizeof(*syn));
	ro_open(&r, hub.dir);
	if (nr == 0)
		die("TAPHOP_BENCH_REAL must be >= 1 to time edits");
	for (int e = 0; e < ne; e++) {
		int i = e % nr;

		lat[e] = one_edit(&w[i], person[i], &g, &r, 1, &arch[e],
				  &syn[e]);
		sleep_ms(5);
	}
	for (int e = 0; e < nq; e++) {
		int i = (e * 7 + 3) % nr;
		double a, b2;

		lat_q[e] = one_edit(&w[i], person[i], &g, &r, 0, &a, &b2);
		sleep_ms(5);
	}
	ro_close(&r);
	qsort(lat, (size_t)ne, sizeof(*lat), cmp_double);
	qsort(lat_q, (size_t)nq, sizeof(*lat_q), cmp_double);
	qsort(arch, (size_t)ne, sizeof(*arch), cmp_double);
	qsort(syn, (size_t)ne, sizeof(*syn), cmp_double);
	{
		double p99 = pct(lat, ne, 0.99), hwm =
			(double)proc_kb(hub.pid, "VmHWM") / 1024;

		printf("connected: hub peak RSS (VmHWM) with %d wards: %.1f MB "
		       "(goal <= %.0f MB)%s\n", nc, hwm, RSS_GOAL_MB,
		       hwm <= RSS_GOAL_MB ? "" : "  GOAL MISSED");
		printf("connected: one edit's time to reach the hub (commit, "
		       "archive, nudge as taphop edit does), %d edits: p50 %.1f "
		       "ms, p99 %.1f ms, max %.1f ms (goal p99 <= %.0f ms)%s\n",
		       ne, pct(lat, ne, 0.5), p99, lat[ne - 1], P99_GOAL_MS,
		       p99 <= P99_GOAL_MS ? "" : "  GOAL MISSED");
		printf("connected: of which the ward's archive_update: p50 %.1f "
		       "ms, p99 %.1f ms\n", pct(arch, ne, 0.5),
		       pct(arch, ne, 0.99));
		printf("connected: from the nudge (after the ward's archive) to "
		       "the hub's commit: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
		       pct(syn, ne, 0.5), pct(syn, ne, 0.99), syn[ne - 1]);
		printf("connected: without the nudge (the daemon's own 100 ms "
		       "data_version poll), %d edits: p50 %.1f ms, p99 %.1f ms\n",
		       nq, pct(lat_q, nq, 0.5), pct(lat_q, nq, 0.99));
	}
	fflush(stdout);
	stop_all();
	free(lat);
	free(lat_q);
	free(arch);
	free(syn);
	free(w);
	free(person);
	free(sims);
}

int main(int argc, char **argv)
{
	const char *b = getenv("TAPHOP_BIN");
	uint64_t seed = wl_seed();
	long timeout = env_long("TAPHOP_BENCH_TIMEOUT", 1500);
	struct sigaction sa;
	char exe[PATH_MAX + 64];

	(void)argc;
	self_pid = getpid();
	if (b && *b) {
		snprintf(bindir, sizeof(bindir), "%s", b);
	} else {
		char *slash;

		snprintf(bindir, sizeof(bindir), "%s", argv[0]);
		slash = strrchr(bindir, '/');
		if (slash) {
			*slash = '\0';
			snprintf(exe, sizeof(exe), "%.*s/../../bin/taphopd",
				 PATH_MAX - 64, bindir);
			if (access(exe, X_OK) == 0)
				snprintf(bindir + strlen(bindir),
					 sizeof(bindir) - strlen(bindir),
					 "/../../bin");
			else
				snprintf(bindir, sizeof(bindir), "bin");
		} else {
			snprintf(bindir, sizeof(bindir), "bin");
		}
	}
	snprintf(exe, sizeof(exe), "%.*s/taphopd", PATH_MAX - 64, bindir);
	if (access(exe, X_OK) != 0)
		die("no taphopd at %s: set TAPHOP_BIN", exe);
	setvbuf(stdout, NULL, _IOLBF, 0);
	tmp = tn_tmpdir();
	atexit(cleanup);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	alarm((unsigned)timeout);
	printf("bench_sync: seed %llu, taphopd from %s, bound %ld s\n",
	       (unsigned long long)seed, bindir, timeout);
	if (part_on("throughput"))
		bench_throughput(seed);
	if (part_on("district"))
		bench_district(seed);
	if (part_on("connected"))
		bench_connected(seed);
	return 0;
}
