/*
 * ward.c - the ward role: one CURVE DEALER to the hub.
 *
 * States: waiting (no socket, until reconnect_at), connecting (socket made,
 * hello sent), connected (welcome received).  Three heartbeat intervals
 * without any traffic from the hub close the socket; the next one is made
 * after a backoff of 1 s doubling to 32 s, with up to 25% jitter, reset by
 * a welcome.  A version mismatch or any fatal error from the hub is logged
 * and retried at the longest backoff.
 *
 * The roster (the nodes whose change-sets the hub relays) comes with each
 * Welcome and with each Roster the hub sends when its nodes change.  A
 * relayed change-set signed by a node not known here yet is not applied
 * and not parked: the ward says hello again (at most once a heartbeat) to
 * get a fresh roster, and the hub resends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/log.h"
#include "daemon/role.h"
#include "replicas/syncdb.h"
#include "replicas/err.h"
#include "replicas/schema.h"

#include "replicas/banned.h"

#define BACKOFF_MIN 1000
#define BACKOFF_MAX 32000

struct ward {
	struct sync_env *e;
	struct tp_ctx *ctx;
	struct sync_session ss;
	unsigned char hub_pk[TP_KEY_LEN];
	const char *self;
	uint64_t reconnect_at, backoff;
	unsigned seed;
	char state[1400];
	char refused[512];  /* why the hub refused the handshake, if it did */
	struct stream_head *heads;
	size_t nheads;
	uint64_t last_hello_ms;
};

static int ward_filter(const struct sync_session *ss,
		       const struct stream_head *h, const char *self)
{
	(void)ss;
	return strcmp(h->origin, self) == 0;
}

static int heads_refresh(struct ward *w)
{
	free(w->heads);
	w->heads = NULL;
	w->nheads = 0;
	return store_streams(w->e->node->store, NULL, &w->heads, &w->nheads);
}

static int pump(struct ward *w)
{
	int rc;

	if (!w->ss.established)
		return 0;
	if ((rc = heads_refresh(w)) < 0)
		return rc;
	rc = sync_pump(w->e, &w->ss, w->heads, w->nheads, ward_filter);
	return rc == ERR_BUSY ? 0 : rc;
}

static void disconnect(struct ward *w, uint64_t delay, const char *why)
{
	uint64_t jitter = delay / 4 ? (uint64_t)rand_r(&w->seed) % (delay / 4)
				    : 0;

	tp_sock_close(w->e->sock);
	w->e->sock = NULL;
	w->ss.established = 0;
	w->reconnect_at = sync_now_ms() + delay + jitter;
	log_info("%s; reconnecting in %.1f s", why,
		 (double)(delay + jitter) / 1000.0);
}

static void backoff_disconnect(struct ward *w, const char *why)
{
	uint64_t d = w->backoff;

	w->backoff = w->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX
						  : w->backoff * 2;
	disconnect(w, d, why);
}

static int send_hello(struct ward *w)
{
	struct sync_env *e = w->e;
	codec_env env = TAPHOP__SYNC__ENVELOPE__INIT;
	Taphop__Sync__Hello hello = TAPHOP__SYNC__HELLO__INIT;
	int rc;

	if ((rc = heads_refresh(w)) < 0)
		return rc;
	hello.protocol_version = CODEC_PROTOCOL_VERSION;
	hello.schema_version = SCHEMA_VERSION;
	hello.node = (char *)w->self;
	hello.credit = (uint64_t)e->cfg->window;
	rc = sync_streampos(&hello.knowledge, w->heads, w->nheads, NULL, NULL,
			    NULL, &hello.n_knowledge);
	if (rc < 0)
		return rc;
	env.msg_case = TAPHOP__SYNC__ENVELOPE__MSG_HELLO;
	env.hello = &hello;
	sync_session_reset(&w->ss);
	w->last_hello_ms = sync_now_ms();
	rc = sync_send(e, &w->ss, &env);
	free(hello.knowledge);
	return rc == ERR_BUSY ? 0 : rc;
}

static int connect_hub(struct ward *w)
{
	struct sync_env *e = w->e;
	int rc;

	rc = tp_dealer_connect(&e->sock, w->ctx, e->cfg->hub_endpoint,
			       w->hub_pk, e->node->keys.box_pk,
			       e->node->keys.box_sk, CODEC_MAX_MSG);
	if (rc < 0)
		return rc;
	w->ss.last_rx_ms = sync_now_ms(); /* the silence timer starts now */
	snprintf(w->state, sizeof(w->state), "connecting to %s",
		 e->cfg->hub_endpoint);
	return send_hello(w);
}

/* Learns the nodes whose change-sets the hub relays (their signing keys). */
static int roster_put(struct ward *w, Taphop__Sync__RosterEntry **v,
		      size_t n)
{
	struct store *s = w->e->node->store;
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		const Taphop__Sync__RosterEntry *r = v[i];
		struct node_info ni, old;

		if (strcmp(r->code, w->self) == 0)
			continue;
		memset(&ni, 0, sizeof(ni));
		snprintf(ni.code, sizeof(ni.code), "%s", r->code);
		snprintf(ni.scope, sizeof(ni.scope), "%s", r->scope);
		snprintf(ni.parent, sizeof(ni.parent), "%s",
			 r->parent ? r->parent : "");
		ni.role = r->role ? STORE_ROLE_HUB : STORE_ROLE_WARD;
		memcpy(ni.sign_pk, r->sign_pk.data, STORE_PK_LEN);
		ni.revoked = r->revoked;
		if (store_node_get(s, r->code, &old) == 0) {
			memcpy(ni.box_pk, old.box_pk, STORE_PK_LEN);
			if (strcmp(old.scope, ni.scope) == 0 &&
			    strcmp(old.parent, ni.parent) == 0 &&
			    old.role == ni.role && old.revoked == ni.revoked &&
			    memcmp(old.sign_pk, ni.sign_pk, STORE_PK_LEN) == 0)
				continue;
		}
		rc = store_node_put(s, &ni);
	}
	return rc;
}

/* What the hub holds of this ward's own streams, in one transaction. */
static int welcome_knowledge(struct ward *w, const Taphop__Sync__Welcome *wel)
{
	struct store *s = w->e->node->store;
	int rc;

	if ((rc = store_batch_begin(s)) < 0)
		return rc;
	for (size_t i = 0; i < wel->n_knowledge; i++) {
		const Taphop__Sync__StreamPos *p = wel->knowledge[i];
		struct sync_stream *st;

		if (strcmp(p->origin, w->self) != 0)
			continue;
		if (!(st = sync_stream_get(&w->ss, p->origin, p->scope))) {
			rc = err_last();
			break;
		}
		st->sent = st->acked = p->seq;
		if ((rc = syncdb_ack_set(s, w->ss.peer, p->origin, p->scope,
					 p->seq)) < 0)
			break;
	}
	if (rc < 0) {
		store_batch_rollback(s);
		return rc;
	}
	return store_batch_commit(s);
}

static int on_welcome(struct ward *w, const Taphop__Sync__Welcome *wel)
{
	struct sync_env *e = w->e;
	int rc;

	if (wel->protocol_version != CODEC_PROTOCOL_VERSION ||
	    wel->schema_version != SCHEMA_VERSION) {
		snprintf(w->state, sizeof(w->state),
			 "version mismatch: hub speaks protocol %u schema %u,"
			 " this ward protocol %d schema %d",
			 wel->protocol_version, wel->schema_version,
			 CODEC_PROTOCOL_VERSION, SCHEMA_VERSION);
		log_error("%s; upgrade one of them", w->state);
		w->backoff = BACKOFF_MAX;
		disconnect(w, BACKOFF_MAX, "version mismatch");
		return 0;
	}
	if ((rc = roster_put(w, wel->roster, wel->n_roster)) < 0 ||
	    (rc = welcome_knowledge(w, wel)) < 0)
		return rc;
	w->ss.limit = wel->credit;
	w->ss.established = 1;
	w->ss.last_ack_ms = sync_now_ms();
	w->backoff = BACKOFF_MIN;
	snprintf(w->state, sizeof(w->state), "connected to %s",
		 e->cfg->hub_endpoint);
	log_info("connected to hub '%s' at %s", wel->hub,
		 e->cfg->hub_endpoint);
	return pump(w);
}

static int on_error(struct ward *w, const Taphop__Sync__Error *er)
{
	if (er->code == TAPHOP__SYNC__ERROR__CODE__NO_SESSION) {
		log_info("hub has no session for us (restarted?): hello again");
		return send_hello(w);
	}
	if (er->fatal || er->code == TAPHOP__SYNC__ERROR__CODE__VERSION) {
		/* never the hub's reason text: it could quote a value */
		if (er->code == TAPHOP__SYNC__ERROR__CODE__VERSION)
			snprintf(w->state, sizeof(w->state),
				 "refused by the hub: version mismatch (this "
				 "ward speaks protocol %d schema %d); upgrade "
				 "one of them", CODEC_PROTOCOL_VERSION,
				 SCHEMA_VERSION);
		else if (er->code == TAPHOP__SYNC__ERROR__CODE__UNKNOWN_NODE)
			snprintf(w->state, sizeof(w->state),
				 "refused by the hub: this ward is not "
				 "enrolled there, or its key was revoked");
		else
			snprintf(w->state, sizeof(w->state),
				 "refused by the hub (error %d); see the "
				 "hub's log", (int)er->code);
		log_error("%s", w->state);
		w->backoff = BACKOFF_MAX;
		disconnect(w, BACKOFF_MAX, "session refused");
		return 0;
	}
	return sync_on_error(w->e, &w->ss, er, ward_filter);
}

static int on_message(struct ward *w, struct tp_msg *m)
{
	struct sync_env *e = w->e;
	struct codec_msg *cm = NULL;
	const codec_env *env;
	int rc = 0, n;

	w->ss.last_rx_ms = w->ss.last_heard_ms = sync_now_ms();
	if (codec_decode(&cm, m->data, m->len) < 0) {
		log_warn("malformed message from the hub: %s", err_msg());
		return 0;
	}
	env = cm->env;
	if (!w->ss.established &&
	    env->msg_case != TAPHOP__SYNC__ENVELOPE__MSG_WELCOME &&
	    env->msg_case != TAPHOP__SYNC__ENVELOPE__MSG_ERROR &&
	    env->msg_case != TAPHOP__SYNC__ENVELOPE__MSG_PONG)
		goto done; /* left over from an earlier session */
	switch (env->msg_case) {
	case TAPHOP__SYNC__ENVELOPE__MSG_WELCOME:
		rc = on_welcome(w, env->welcome);
		break;
	case TAPHOP__SYNC__ENVELOPE__MSG_CHANGESETS:
		rc = sync_apply_batch(e, &w->ss, env->changesets, 0, &n);
		if (rc == 0 && n)
			log_debug("applied %d change-set(s) from the hub", n);
		if (w->ss.need_roster && sync_now_ms() - w->last_hello_ms >=
						 (uint64_t)e->cfg->heartbeat_ms) {
			log_info("asking the hub for its roster (hello again)");
			rc = send_hello(w);
		}
		break;
	case TAPHOP__SYNC__ENVELOPE__MSG_ROSTER:
		rc = roster_put(w, env->roster->nodes, env->roster->n_nodes);
		if (rc == 0)
			log_debug("roster from the hub: %zu node(s)",
				  env->roster->n_nodes);
		break;
	case TAPHOP__SYNC__ENVELOPE__MSG_ACK:
		if ((rc = sync_on_ack(e, &w->ss, env->ack)) == 0)
			rc = pump(w);
		break;
	case TAPHOP__SYNC__ENVELOPE__MSG_CREDIT:
		if (env->credit->limit > w->ss.limit)
			w->ss.limit = env->credit->limit;
		rc = pump(w);
		break;
	case TAPHOP__SYNC__ENVELOPE__MSG_PING:
		rc = sync_send_ping(e, &w->ss, 1, env->ping->nonce);
		break;
	case TAPHOP__SYNC__ENVELOPE__MSG_PONG:
		break;
	case TAPHOP__SYNC__ENVELOPE__MSG_ERROR:
		rc = on_error(w, env->error);
		break;
	default:
		log_warn("unexpected %s from the hub", codec_msg_name(env));
	}
done:
	codec_msg_free(cm);
	return rc == ERR_BUSY ? 0 : rc;
}

static int hub_key(struct ward *w)
{
	struct sync_env *e = w->e;
	struct node_info ni;

	if (!e->cfg->hub_endpoint[0])
		return err_set(ERR_INVALID,
			       "no hub configured in taphop.conf: run 'taphop "
			       "enroll --hub ENDPOINT SIGNKEY TRANSPORTKEY'");
	if (e->cfg->hub_transport_key[0])
		return keys_pk_from_text(e->cfg->hub_transport_key,
					 "[hub] transport_key", w->hub_pk);
	if (store_node_get(e->node->store, store_parent_scope(e->node->store),
			   &ni) == 0) {
		memcpy(w->hub_pk, ni.box_pk, TP_KEY_LEN);
		return 0;
	}
	return err_set(ERR_INVALID, "the hub's transport key is unknown: run "
		       "'taphop enroll --hub ENDPOINT SIGNKEY TRANSPORTKEY'");
}

/* What the status file last said. */
struct status_mark {
	uint64_t at;
	char state[sizeof(((struct ward *)0)->state)];
	int established;
};

/* Rewrites the status file every second, and at once when the state
 * changes (also while waiting to reconnect), so `taphop status` never
 * shows a stale connection state. */
static void status_tick(struct ward *w, struct status_mark *m)
{
	uint64_t now = sync_now_ms();

	if (now - m->at < 1000 && strcmp(w->state, m->state) == 0 &&
	    w->ss.established == m->established)
		return;
	if (sync_status_write(w->e, w->state, &w->ss, 1) < 0)
		log_warn("%s", err_msg());
	snprintf(m->state, sizeof(m->state), "%s", w->state);
	m->established = w->ss.established;
	m->at = now;
}

/* A refused CURVE handshake looks like silence on the socket: the
 * monitor tells the two apart, so the officer reads why. */
static void handshake_check(struct ward *w)
{
	int status = 0, ev;

	if (!w->e->sock)
		return;
	ev = tp_handshake_event(w->e->sock, &status);
	if (ev == TP_ACCEPTED) {
		w->refused[0] = '\0';
		return;
	}
	if (ev != TP_REFUSED && ev != TP_BAD_HANDSHAKE)
		return;
	if (ev == TP_REFUSED)
		snprintf(w->refused, sizeof(w->refused),
			 "refused by the hub at %s: this ward's key is not "
			 "enrolled there, or was revoked (the district officer "
			 "runs 'taphop enroll' with the line 'taphop enroll "
			 "--show' prints here)", w->e->cfg->hub_endpoint);
	else
		snprintf(w->refused, sizeof(w->refused),
			 "the secure handshake with %s failed: check the "
			 "hub's transport key in taphop.conf ('taphop enroll "
			 "--hub')", w->e->cfg->hub_endpoint);
	if (strcmp(w->state, w->refused) != 0)
		log_error("%s (status %d)", w->refused, status);
	snprintf(w->state, sizeof(w->state), "%s", w->refused);
}

int ward_run(struct sync_env *e, struct tp_ctx *ctx,
	     volatile sig_atomic_t *stop, volatile sig_atomic_t *nudge)
{
	struct ward w;
	uint64_t hb = (uint64_t)e->cfg->heartbeat_ms;
	struct status_mark st = { 0, "", -1 };
	long long dv;
	int rc;

	memset(&w, 0, sizeof(w));
	w.e = e;
	w.ctx = ctx;
	w.self = store_node_code(e->node->store);
	w.backoff = BACKOFF_MIN;
	w.seed = (unsigned)getpid() ^ (unsigned)time(NULL);
	snprintf(w.ss.peer, sizeof(w.ss.peer), "%s",
		 store_parent_scope(e->node->store));
	snprintf(w.state, sizeof(w.state), "starting");
	if ((rc = hub_key(&w)) < 0)
		goto done;
	syncdb_data_version(e->node->store, &e->data_version);
	log_info("ward '%s' syncing with hub '%s' at %s", w.self, w.ss.peer,
		 e->cfg->hub_endpoint);
	while (!*stop) {
		struct tp_msg m;
		uint64_t now = sync_now_ms();
		int changed = 0;

		if (!e->sock) {
			status_tick(&w, &st);
			if (now < w.reconnect_at) {
				struct timespec ts = { 0, 50 * 1000000L };
				nanosleep(&ts, NULL); /* EINTR ends it early */
				if (!*nudge)
					continue;
				*nudge = 0;
			}
			if ((rc = connect_hub(&w)) < 0)
				goto done;
			continue;
		}
		if ((rc = tp_poll(e->sock, 100)) < 0)
			goto done;
		for (int i = 0; e->sock && i < 64 && tp_recv(e->sock, &m) > 0;
		     i++) {
			if (on_message(&w, &m) < 0)
				log_warn("%s", err_msg());
			tp_msg_release(&m);
		}
		if (!e->sock)
			continue;
		now = sync_now_ms();
		if (syncdb_data_version(e->node->store, &dv) == 0 &&
		    dv != e->data_version) {
			e->data_version = dv; /* an officer's edit */
			changed = 1;
		}
		if (*nudge) {
			/* `taphop sync`, e.g. after --unpark: read the parked
			 * set again and resend from what the hub holds */
			if (sync_parked_load(e) < 0)
				log_warn("cannot read the parked streams: %s",
					 err_msg());
			sync_session_rewind(&w.ss);
		}
		if (changed || *nudge) {
			*nudge = 0;
			if (pump(&w) < 0)
				log_warn("%s", err_msg());
		}
		handshake_check(&w);
		sync_retransmit_check(&w.ss, 3 * hb);
		if (now - w.ss.last_tx_ms >= hb)
			sync_send_ping(e, &w.ss, 0, now);
		if (now - w.ss.last_rx_ms > 3 * hb) {
			if (w.refused[0])
				snprintf(w.state, sizeof(w.state), "%s", w.refused);
			else
				snprintf(w.state, sizeof(w.state),
					 "no contact with the hub at %s",
					 e->cfg->hub_endpoint);
			backoff_disconnect(&w, "no answer from the hub for 3 "
					       "heartbeats");
		}
		status_tick(&w, &st);
	}
	log_info("ward stopping");
	rc = 0;
done:
	w.ss.established = 0;
	sync_status_write(e, rc < 0 ? "stopped on error" : "stopped", &w.ss,
			  1);
	tp_sock_close(e->sock);
	e->sock = NULL;
	tp_ctx_free(ctx);
	sync_session_release(&w.ss);
	free(w.heads);
	return rc;
}
