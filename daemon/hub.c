/*
 * hub.c - the hub role: a CURVE ROUTER serving every enrolled ward.
 *
 * State per ward (struct sync_session, keyed by the ZAP User-Id, i.e. the
 * ward's code): its routing id of the current connection, the scopes it
 * receives (its own and every scope above it), and the sending cursors.
 * A session exists only after a valid hello; a session silent for three
 * heartbeat intervals is dropped (the ward will say hello again).  A bad
 * message from one ward is answered and logged, never fatal to the loop.
 *
 * The hub keeps a copy of the nodes table (the roster).  When another
 * process changes it (SQLite data_version, e.g. `taphop enroll`), every
 * session is re-checked: a revoked ward's session ends at once and its
 * messages are dropped from then on (ZAP only runs at connect), the other
 * wards get the new roster and their relay scopes are recomputed.  What a
 * ward says about streams (hello, ack, error) is taken only for streams the
 * hub holds and relays to that ward.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/log.h"
#include "daemon/role.h"
#include "replicas/syncdb.h"
#include "replicas/err.h"
#include "replicas/schema.h"

#include "replicas/banned.h"

struct hub {
	struct sync_env *e;
	struct sync_session *peers;
	size_t npeers, cap;
	struct stream_head *heads;
	size_t nheads;
	int dirty;
	int status_due; /* a ward came or went: rewrite the status file */
	struct node_info *nodes; /* the roster as last read */
	size_t nnodes;
	uint64_t roster_fp;      /* its fingerprint, to notice changes */
	int roster_read;
};

struct zapctx {
	char *db_path;
	char self[STORE_CODE_MAX];
	struct store *s; /* the ZAP thread's own handle */
};

/* ZAP thread: admit an enrolled, non-revoked node other than ourselves
 * (0); refuse anything else (1); -1 when the keys cannot be read. */
static int zap_check(void *arg, const unsigned char key[TP_KEY_LEN],
		     const char *address, char *user_id, size_t user_max)
{
	struct zapctx *z = arg;
	struct node_info *nodes = NULL;
	char fpr[16];
	size_t n = 0;
	int rc = 1;

	log_key_fpr(key, fpr, sizeof(fpr));
	if (!z->s && store_open(&z->s, z->db_path, NULL) < 0) {
		log_error("refused connection from %s: cannot read the "
			  "enrolled keys: %s", address, err_msg());
		return -1;
	}
	if (store_nodes(z->s, &nodes, &n) < 0) {
		log_error("refused connection from %s: cannot read the "
			  "enrolled keys: %s", address, err_msg());
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (memcmp(nodes[i].box_pk, key, TP_KEY_LEN) != 0 ||
		    strcmp(nodes[i].code, z->self) == 0)
			continue;
		if (nodes[i].revoked) {
			log_warn("refused connection from %s: transport key "
				 "%s of '%s' is revoked", address, fpr,
				 nodes[i].code);
			goto done;
		}
		snprintf(user_id, user_max, "%s", nodes[i].code);
		log_debug("admitted '%s' from %s", nodes[i].code, address);
		rc = 0;
		goto done;
	}
	log_warn("refused connection from %s: transport key %s is not "
		 "enrolled", address, fpr);
done:
	free(nodes);
	return rc;
}

static int hub_filter(const struct sync_session *ss,
		      const struct stream_head *h, const char *self)
{
	(void)self;
	if (strcmp(h->origin, ss->peer) == 0)
		return 0;
	for (int i = 0; i < ss->nscopes; i++)
		if (strcmp(h->scope, ss->scopes[i]) == 0)
			return 1;
	return 0;
}

static struct sync_session *peer_find(struct hub *h, const char *code)
{
	for (size_t i = 0; i < h->npeers; i++)
		if (strcmp(h->peers[i].peer, code) == 0)
			return &h->peers[i];
	return NULL;
}

static struct sync_session *peer_add(struct hub *h, const char *code)
{
	struct sync_session *ss = peer_find(h, code);

	if (ss)
		return ss;
	if (h->npeers == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 16;
		void *p = realloc(h->peers, cap * sizeof(*h->peers));
		if (!p)
			return NULL;
		h->peers = p;
		h->cap = cap;
	}
	ss = &h->peers[h->npeers++];
	memset(ss, 0, sizeof(*ss));
	snprintf(ss->peer, sizeof(ss->peer), "%s", code);
	return ss;
}

static int heads_refresh(struct hub *h)
{
	free(h->heads);
	h->heads = NULL;
	h->nheads = 0;
	return store_streams(h->e->node->store, NULL, &h->heads, &h->nheads);
}

/* The ward's scope (its node's scope, as store_may_write and `bundle
 * --for` take it) and every scope above it; a parent this hub does not
 * know as a node counts as a scope of that name. */
static void peer_scopes(struct hub *h, struct sync_session *ss)
{
	struct store *s = h->e->node->store;
	struct node_info ni;

	ss->nscopes = 0;
	if (store_node_get(s, ss->peer, &ni) < 0)
		return;
	for (;;) {
		char parent[STORE_CODE_MAX];

		snprintf(ss->scopes[ss->nscopes++], STORE_CODE_MAX, "%s",
			 ni.scope);
		if (!ni.parent[0] || ss->nscopes == SYNC_MAX_SCOPES)
			break;
		snprintf(parent, sizeof(parent), "%s", ni.parent);
		if (store_node_get(s, parent, &ni) < 0) {
			snprintf(ss->scopes[ss->nscopes++], STORE_CODE_MAX,
				 "%s", parent);
			break;
		}
	}
}

int role_roster(struct store *s, Taphop__Sync__RosterEntry ***out,
		size_t *n, struct node_info **nodes)
{
	Taphop__Sync__RosterEntry **v, *r;
	int rc;

	if ((rc = store_nodes(s, nodes, n)) < 0)
		return rc;
	v = malloc((*n ? *n : 1) * (sizeof(*v) + sizeof(*r)));
	if (!v)
		return err_set(ERR_NOMEM, "out of memory");
	r = (Taphop__Sync__RosterEntry *)(v + *n);
	for (size_t i = 0; i < *n; i++) {
		struct node_info *ni = &(*nodes)[i];

		taphop__sync__roster_entry__init(&r[i]);
		r[i].code = ni->code;
		r[i].scope = ni->scope;
		r[i].parent = ni->parent;
		r[i].role = (uint32_t)ni->role;
		r[i].sign_pk.data = ni->sign_pk;
		r[i].sign_pk.len = STORE_PK_LEN;
		r[i].has_revoked = 1;
		r[i].revoked = ni->revoked != 0;
		v[i] = &r[i];
	}
	*out = v;
	return 0;
}

static int send_welcome(struct hub *h, struct sync_session *ss)
{
	struct sync_env *e = h->e;
	codec_env env = TAPHOP__SYNC__ENVELOPE__INIT;
	Taphop__Sync__Welcome w = TAPHOP__SYNC__WELCOME__INIT;
	struct node_info *nodes = NULL;
	int rc;

	w.protocol_version = CODEC_PROTOCOL_VERSION;
	w.schema_version = SCHEMA_VERSION;
	w.hub = (char *)store_node_code(e->node->store);
	w.credit = (uint64_t)e->cfg->window;
	rc = sync_streampos(&w.knowledge, h->heads, h->nheads, ss, NULL, NULL,
			    &w.n_knowledge);
	if (rc < 0)
		return rc;
	/* the ward's own streams and those it receives */
	{
		size_t k = 0;
		for (size_t i = 0; i < w.n_knowledge; i++) {
			struct stream_head hd;
			snprintf(hd.origin, sizeof(hd.origin), "%s",
				 w.knowledge[i]->origin);
			snprintf(hd.scope, sizeof(hd.scope), "%s",
				 w.knowledge[i]->scope);
			if (strcmp(hd.origin, ss->peer) == 0 ||
			    hub_filter(ss, &hd, NULL))
				w.knowledge[k++] = w.knowledge[i];
		}
		w.n_knowledge = k;
	}
	rc = role_roster(e->node->store, &w.roster, &w.n_roster, &nodes);
	if (rc == 0) {
		env.msg_case = TAPHOP__SYNC__ENVELOPE__MSG_WELCOME;
		env.welcome = &w;
		rc = sync_send(e, ss, &env);
		free(w.roster);
	}
	free(nodes);
	free(w.knowledge);
	return rc;
}

/* 1 if the hub holds stream (origin, scope). */
static int holds(const struct hub *h, const char *origin, const char *scope)
{
	for (size_t i = 0; i < h->nheads; i++)
		if (strcmp(h->heads[i].origin, origin) == 0 &&
		    strcmp(h->heads[i].scope, scope) == 0)
			return 1;
	return 0;
}

/* 1 if code is revoked or no longer enrolled, by the roster as last read. */
static int revoked(const struct hub *h, const char *code)
{
	for (size_t i = 0; i < h->nnodes; i++)
		if (strcmp(h->nodes[i].code, code) == 0)
			return h->nodes[i].revoked != 0;
	return 1;
}

/*
 * Takes the positions a hello claims, in one transaction: only for streams
 * the hub holds and relays to this ward (anything else a ward says is
 * ignored, so it cannot make the hub's memory or sync_acked grow).
 */
static int hello_knowledge(struct hub *h, struct sync_session *ss,
			   const Taphop__Sync__Hello *hello)
{
	struct store *s = h->e->node->store;
	size_t taken = 0;
	int rc;

	if ((rc = store_batch_begin(s)) < 0)
		return rc;
	for (size_t i = 0; i < hello->n_knowledge; i++) {
		const Taphop__Sync__StreamPos *p = hello->knowledge[i];
		struct stream_head hd;
		struct sync_stream *st;

		memset(&hd, 0, sizeof(hd));
		snprintf(hd.origin, sizeof(hd.origin), "%s", p->origin);
		snprintf(hd.scope, sizeof(hd.scope), "%s", p->scope);
		if (!hub_filter(ss, &hd, NULL) || !holds(h, p->origin, p->scope))
			continue;
		if (!(st = sync_stream_get(ss, p->origin, p->scope))) {
			rc = err_last();
			break;
		}
		st->sent = st->acked = p->seq;
		if ((rc = syncdb_ack_set(s, ss->peer, p->origin, p->scope,
					 p->seq)) < 0)
			break;
		taken++;
	}
	if (rc < 0) {
		store_batch_rollback(s);
		return rc;
	}
	if ((rc = store_batch_commit(s)) < 0)
		return rc;
	if (taken < hello->n_knowledge)
		log_debug("hello of '%s': %zu of %zu stream position(s) are of "
			  "streams not relayed to it: ignored", ss->peer,
			  hello->n_knowledge - taken, hello->n_knowledge);
	return 0;
}

static int on_hello(struct hub *h, const struct tp_msg *m,
		    const Taphop__Sync__Hello *hello)
{
	struct sync_env *e = h->e;
	struct sync_session tmp, *ss;
	int rc;

	memset(&tmp, 0, sizeof(tmp));
	memcpy(tmp.rid, m->rid, m->rid_len);
	tmp.rid_len = m->rid_len;
	snprintf(tmp.peer, sizeof(tmp.peer), "%s", m->user_id);
	if (hello->protocol_version != CODEC_PROTOCOL_VERSION ||
	    hello->schema_version != SCHEMA_VERSION) {
		log_error("refused '%s': it speaks protocol %u schema %u, this "
			  "hub protocol %d schema %d; upgrade one of them",
			  m->user_id, hello->protocol_version,
			  hello->schema_version, CODEC_PROTOCOL_VERSION,
			  SCHEMA_VERSION);
		return sync_send_error(e, &tmp,
				       TAPHOP__SYNC__ERROR__CODE__VERSION,
				       NULL, NULL, 0, 1,
				       "version mismatch: ward speaks protocol "
				       "%u schema %u, hub speaks protocol %d "
				       "schema %d", hello->protocol_version,
				       hello->schema_version,
				       CODEC_PROTOCOL_VERSION, SCHEMA_VERSION);
	}
	if (strcmp(hello->node, m->user_id) != 0) {
		log_warn("refused hello: '%s' claims to be '%s'", m->user_id,
			 hello->node);
		return sync_send_error(e, &tmp,
				       TAPHOP__SYNC__ERROR__CODE__PROTOCOL,
				       NULL, NULL, 0, 1,
				       "hello names '%s' but your key is "
				       "enrolled as '%s'", hello->node,
				       m->user_id);
	}
	if (!(ss = peer_add(h, m->user_id)))
		return err_set(ERR_NOMEM, "out of memory");
	sync_session_reset(ss);
	memcpy(ss->rid, m->rid, m->rid_len);
	ss->rid_len = m->rid_len;
	peer_scopes(h, ss);
	if ((rc = heads_refresh(h)) < 0 ||
	    (rc = hello_knowledge(h, ss, hello)) < 0)
		return rc;
	ss->limit = hello->credit;
	ss->established = 1;
	ss->last_rx_ms = ss->last_ack_ms = sync_now_ms();
	if ((rc = send_welcome(h, ss)) < 0)
		return rc;
	h->status_due = 1;
	log_info("ward '%s' connected (%zu stream(s) known)", ss->peer,
		 hello->n_knowledge);
	return sync_pump(e, ss, h->heads, h->nheads, hub_filter);
}

static int send_roster(struct hub *h, struct sync_session *ss)
{
	codec_env env = TAPHOP__SYNC__ENVELOPE__INIT;
	Taphop__Sync__Roster ro = TAPHOP__SYNC__ROSTER__INIT;
	struct node_info *nodes = NULL;
	int rc;

	rc = role_roster(h->e->node->store, &ro.nodes, &ro.n_nodes, &nodes);
	if (rc == 0) {
		env.msg_case = TAPHOP__SYNC__ENVELOPE__MSG_ROSTER;
		env.roster = &ro;
		rc = sync_send(h->e, ss, &env);
		free(ro.nodes);
	}
	free(nodes);
	return rc;
}

/* FNV-1a over what the roster carries and what the hub decides from. */
static uint64_t roster_fp(const struct node_info *v, size_t n)
{
	uint64_t x = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++) {
		const unsigned char *p;
		struct node_info ni;

		/* copy field by field so padding and bytes after a string's
		 * end never count */
		memset(&ni, 0, sizeof(ni));
		snprintf(ni.code, sizeof(ni.code), "%s", v[i].code);
		snprintf(ni.scope, sizeof(ni.scope), "%s", v[i].scope);
		snprintf(ni.parent, sizeof(ni.parent), "%s", v[i].parent);
		memcpy(ni.sign_pk, v[i].sign_pk, sizeof(ni.sign_pk));
		memcpy(ni.box_pk, v[i].box_pk, sizeof(ni.box_pk));
		ni.role = v[i].role;
		ni.revoked = v[i].revoked;
		p = (const unsigned char *)&ni;
		for (size_t k = 0; k < sizeof(ni); k++)
			x = (x ^ p[k]) * 1099511628211ull;
	}
	return x;
}

/*
 * Reads the nodes table again; when it changed, ends the session of every
 * revoked ward and sends the others the new roster.  Called at start and
 * whenever another process committed.
 */
static int roster_check(struct hub *h)
{
	struct node_info *v = NULL;
	size_t n = 0;
	uint64_t fp;
	int rc;

	if ((rc = store_nodes(h->e->node->store, &v, &n)) < 0)
		return rc;
	fp = roster_fp(v, n);
	if (h->roster_read && fp == h->roster_fp) {
		free(v);
		return 0;
	}
	free(h->nodes);
	h->nodes = v;
	h->nnodes = n;
	h->roster_fp = fp;
	h->roster_read = 1;
	for (size_t i = 0; i < h->npeers; i++) {
		struct sync_session *ss = &h->peers[i];

		if (!ss->established)
			continue;
		if (revoked(h, ss->peer)) {
			log_warn("ward '%s' is revoked: its session ends now "
				 "and its messages are dropped", ss->peer);
			sync_send_error(h->e, ss,
					TAPHOP__SYNC__ERROR__CODE__UNKNOWN_NODE,
					NULL, NULL, 0, 1,
					"this node's key has been revoked");
			ss->established = 0;
			h->status_due = 1;
			continue;
		}
		peer_scopes(h, ss);
		if ((rc = send_roster(h, ss)) < 0 && rc != ERR_BUSY &&
		    rc != ERR_NOTFOUND)
			log_warn("cannot send the roster to '%s': %s",
				 ss->peer, err_msg());
	}
	return 0;
}

static int on_message(struct hub *h, struct tp_msg *m)
{
	struct sync_env *e = h->e;
	struct codec_msg *cm = NULL;
	struct sync_session *ss, tmp;
	const codec_env *env;
	int rc = 0, n;

	if (!m->user_id[0])
		return 0; /* cannot happen under CURVE + ZAP; ignore */
	if (revoked(h, m->user_id)) {
		/* admitted before its revocation: ZAP does not see it again */
		log_debug("dropped a message from revoked '%s'", m->user_id);
		return 0;
	}
	ss = peer_find(h, m->user_id);
	if (codec_decode(&cm, m->data, m->len) < 0) {
		log_warn("malformed message from '%s': %s", m->user_id,
			 err_msg());
		memset(&tmp, 0, sizeof(tmp));
		memcpy(tmp.rid, m->rid, m->rid_len);
		tmp.rid_len = m->rid_len;
		return sync_send_error(e, &tmp,
				       TAPHOP__SYNC__ERROR__CODE__PROTOCOL,
				       NULL, NULL, 0, 0, "%s", err_msg());
	}
	env = cm->env;
	if (env->msg_case == TAPHOP__SYNC__ENVELOPE__MSG_HELLO) {
		rc = on_hello(h, m, env->hello);
		goto done;
	}
	if (!ss || !ss->established || ss->rid_len != m->rid_len ||
	    memcmp(ss->rid, m->rid, m->rid_len) != 0) {
		memset(&tmp, 0, sizeof(tmp));
		memcpy(tmp.rid, m->rid, m->rid_len);
		tmp.rid_len = m->rid_len;
		log_debug("%s from '%s' outside a session: asking for hello",
			  codec_msg_name(env), m->user_id);
		rc = sync_send_error(e, &tmp,
				     TAPHOP__SYNC__ERROR__CODE__NO_SESSION,
				     NULL, NULL, 0, 0, "send hello first");
		goto done;
	}
	ss->last_rx_ms = ss->last_heard_ms = sync_now_ms();
	switch (env->msg_case) {
	case TAPHOP__SYNC__ENVELOPE__MSG_CHANGESETS:
		rc = sync_apply_batch(e, ss, env->changesets, 1, &n);
		if (rc == 0 && n) {
			h->dirty = 1;
			log_debug("applied %d change-set(s) from '%s'", n,
				  ss->peer);
		}
		break;
	case TAPHOP__SYNC__ENVELOPE__MSG_ACK:
		rc = sync_on_ack(e, ss, env->ack);
		if (rc == 0)
			rc = sync_pump(e, ss, h->heads, h->nheads, hub_filter);
		break;
	case TAPHOP__SYNC__ENVELOPE__MSG_CREDIT:
		if (env->credit->limit > ss->limit)
			ss->limit = env->credit->limit;
		rc = sync_pump(e, ss, h->heads, h->nheads, hub_filter);
		break;
	case TAPHOP__SYNC__ENVELOPE__MSG_PING:
		rc = sync_send_ping(e, ss, 1, env->ping->nonce);
		break;
	case TAPHOP__SYNC__ENVELOPE__MSG_PONG:
		break;
	case TAPHOP__SYNC__ENVELOPE__MSG_ERROR:
		rc = sync_on_error(e, ss, env->error, hub_filter);
		break;
	default:
		log_warn("unexpected %s from '%s'", codec_msg_name(env),
			 ss->peer);
		rc = sync_send_error(e, ss, TAPHOP__SYNC__ERROR__CODE__PROTOCOL,
				     NULL, NULL, 0, 0, "unexpected %s",
				     codec_msg_name(env));
	}
done:
	codec_msg_free(cm);
	return rc;
}

/* Periodic work: relay new change-sets, expire silent wards, retransmit. */
static void tick(struct hub *h, int relay)
{
	struct sync_env *e = h->e;
	uint64_t now = sync_now_ms(), dead = 3u * (uint64_t)e->cfg->heartbeat_ms;

	if (relay && heads_refresh(h) < 0)
		log_error("cannot read streams: %s", err_msg());
	for (size_t i = 0; i < h->npeers; i++) {
		struct sync_session *ss = &h->peers[i];

		if (!ss->established)
			continue;
		if (now - ss->last_rx_ms > dead) {
			log_info("lost contact with ward '%s' (silent for "
				 "%llu ms)", ss->peer,
				 (unsigned long long)(now - ss->last_rx_ms));
			ss->established = 0;
			continue;
		}
		sync_retransmit_check(ss, dead);
		if (sync_pump(e, ss, h->heads, h->nheads, hub_filter) < 0 &&
		    err_last() == ERR_NOTFOUND) {
			log_info("ward '%s' disconnected", ss->peer);
			ss->established = 0;
		}
	}
}

/* `taphop sync` (SIGUSR1), e.g. after `--unpark`: the parked set is read
 * again and every cursor rewound, so an unparked stream flows again. */
static void parked_reload(struct hub *h)
{
	if (sync_parked_load(h->e) < 0) {
		log_warn("cannot read the parked streams: %s", err_msg());
		return;
	}
	for (size_t i = 0; i < h->npeers; i++)
		sync_session_rewind(&h->peers[i]);
}

static void write_status(struct hub *h)
{
	size_t up = 0;
	char state[64];

	for (size_t i = 0; i < h->npeers; i++)
		up += h->peers[i].established != 0;
	snprintf(state, sizeof(state), "serving %zu ward(s)", up);
	if (sync_status_write(h->e, state, h->peers, h->npeers) < 0)
		log_warn("%s", err_msg());
}

int hub_run(struct sync_env *e, struct tp_ctx *ctx,
	    volatile sig_atomic_t *stop, volatile sig_atomic_t *nudge)
{
	struct hub h;
	struct zapctx z;
	uint64_t last_status = 0, last_tick = 0;
	long long dv;
	int rc;

	memset(&h, 0, sizeof(h));
	memset(&z, 0, sizeof(z));
	h.e = e;
	z.db_path = node_path(e->node, "replica.db");
	snprintf(z.self, sizeof(z.self), "%s", store_node_code(e->node->store));
	if (!z.db_path) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto done;
	}
	if ((rc = tp_zap_start(ctx, zap_check, &z)) < 0 ||
	    (rc = tp_router_bind(&e->sock, ctx, e->cfg->listen, e->node->keys.box_sk,
				 CODEC_MAX_MSG)) < 0)
		goto done;
	if ((rc = heads_refresh(&h)) < 0 || (rc = roster_check(&h)) < 0)
		goto done;
	syncdb_data_version(e->node->store, &e->data_version);
	log_info("hub '%s' listening on %s", z.self, e->cfg->listen);
	while (!*stop) {
		struct tp_msg m;
		uint64_t now;
		int relay = 0;

		if ((rc = tp_poll(e->sock, 100)) < 0)
			goto done;
		for (int i = 0; i < 512 && tp_recv(e->sock, &m) > 0; i++) {
			if (on_message(&h, &m) < 0 && err_last() != ERR_BUSY &&
			    err_last() != ERR_NOTFOUND)
				log_warn("%s", err_msg());
			tp_msg_release(&m);
		}
		if (syncdb_data_version(e->node->store, &dv) == 0 &&
		    dv != e->data_version) {
			e->data_version = dv; /* an officer's edit on the hub */
			relay = 1;
			if (roster_check(&h) < 0)
				log_warn("cannot read the nodes: %s",
					 err_msg());
		}
		if (*nudge)
			parked_reload(&h);
		now = sync_now_ms();
		if (h.dirty || relay || *nudge || now - last_tick >= 200) {
			tick(&h, h.dirty || relay || *nudge);
			h.dirty = 0;
			*nudge = 0;
			last_tick = now;
		}
		if (h.status_due || now - last_status >= 1000) {
			h.status_due = 0;
			write_status(&h);
			last_status = now;
		}
	}
	log_info("hub stopping");
	rc = 0;
done:
	for (size_t i = 0; i < h.npeers; i++)
		h.peers[i].established = 0;
	if (e->sock)
		sync_status_write(e, "stopped", h.peers, h.npeers);
	tp_sock_close(e->sock);
	e->sock = NULL;
	for (size_t i = 0; i < h.npeers; i++)
		sync_session_release(&h.peers[i]);
	free(h.peers);
	free(h.heads);
	free(h.nodes);
	/* the ZAP thread may still use z: the caller frees ctx before we go */
	tp_ctx_free(ctx);
	store_close(z.s);
	free(z.db_path);
	return rc;
}
