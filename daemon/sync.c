/*
 * sync.c - the sending and receiving halves of a sync session, shared by
 * the hub and ward roles.
 *
 * Invariants: an Ack names only heads read back after the SQLite commit of
 * the batch it answers (so it never acknowledges anything not durable); a
 * parked stream is neither sent nor applied; every change-set travels as
 * the bytes store_changeset_get returned, never re-encoded.  Parking is
 * per peer: what one peer refuses or sends never stops another's streams.
 * No reason text a peer sent, and no apply error that can quote a value,
 * is ever logged.
 */
#include "daemon/sync.h"

#include <errno.h>
#include <jansson.h>
#include <malloc.h>
#include <stdarg.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "daemon/log.h"
#include "replicas/syncdb.h"
#include "replicas/archive.h"
#include "replicas/changeset.h"
#include "replicas/err.h"

#include "replicas/banned.h"

uint64_t sync_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t wall_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

void sync_session_reset(struct sync_session *ss)
{
	ss->established = 0;
	ss->need_roster = 0;
	ss->nstreams = 0;
	ss->nsent = 0;
	ss->limit = 0;
}

void sync_session_release(struct sync_session *ss)
{
	if (!ss)
		return;
	free(ss->streams);
	ss->streams = NULL;
	ss->nstreams = ss->cap = 0;
}

struct sync_stream *sync_stream_find(struct sync_session *ss,
				     const char *origin, const char *scope)
{
	for (size_t i = 0; i < ss->nstreams; i++) {
		struct sync_stream *st = &ss->streams[i];

		if (strcmp(st->origin, origin) == 0 &&
		    strcmp(st->scope, scope) == 0)
			return st;
	}
	return NULL;
}

struct sync_stream *sync_stream_get(struct sync_session *ss,
				    const char *origin, const char *scope)
{
	struct sync_stream *st = sync_stream_find(ss, origin, scope);

	if (st)
		return st;
	if (ss->nstreams >= SYNC_MAX_STREAMS) {
		err_set(ERR_PROTOCOL, "more than %d streams with '%s'",
			SYNC_MAX_STREAMS, ss->peer);
		return NULL;
	}
	if (ss->nstreams == ss->cap) {
		size_t cap = ss->cap ? ss->cap * 2 : 16;
		void *p = realloc(ss->streams, cap * sizeof(*ss->streams));

		if (!p) {
			err_set(ERR_NOMEM, "out of memory");
			return NULL;
		}
		ss->streams = p;
		ss->cap = cap;
	}
	st = &ss->streams[ss->nstreams++];
	memset(st, 0, sizeof(*st));
	snprintf(st->origin, sizeof(st->origin), "%s", origin);
	snprintf(st->scope, sizeof(st->scope), "%s", scope);
	return st;
}

void sync_session_rewind(struct sync_session *ss)
{
	for (size_t i = 0; i < ss->nstreams; i++)
		ss->streams[i].sent = ss->streams[i].acked;
}

/* ---- parked streams ---------------------------------------------------- */

static int parked_add(struct sync_env *e, const char *peer,
		      const char *origin, const char *scope)
{
	struct sync_park *p;

	if (sync_is_parked(e, peer, origin, scope))
		return 0;
	p = realloc(e->parked, (e->nparked + 1) * sizeof(*e->parked));
	if (!p)
		return err_set(ERR_NOMEM, "out of memory");
	e->parked = p;
	p = &e->parked[e->nparked++];
	snprintf(p->peer, sizeof(p->peer), "%s", peer);
	snprintf(p->origin, sizeof(p->origin), "%s", origin);
	snprintf(p->scope, sizeof(p->scope), "%s", scope);
	return 0;
}

static int parked_cb(void *ctx, const char *peer, const char *origin,
		     const char *scope, uint64_t seq, const char *code,
		     const char *reason)
{
	(void)seq, (void)code, (void)reason;
	return parked_add(ctx, peer, origin, scope);
}

int sync_parked_load(struct sync_env *e)
{
	e->nparked = 0;
	return syncdb_parked(e->node->store, parked_cb, e);
}

int sync_is_parked(const struct sync_env *e, const char *peer,
		   const char *origin, const char *scope)
{
	for (size_t i = 0; i < e->nparked; i++) {
		const struct sync_park *p = &e->parked[i];

		if (strcmp(p->origin, origin) == 0 &&
		    strcmp(p->scope, scope) == 0 &&
		    strcmp(p->peer, peer) == 0)
			return 1;
	}
	return 0;
}

/* ---- sending ----------------------------------------------------------- */

int sync_send(struct sync_env *e, struct sync_session *ss,
	      const codec_env *env)
{
	unsigned char *buf = NULL;
	size_t len;
	int rc;

	if ((rc = codec_encode(env, &buf, &len)) < 0)
		return rc;
	rc = tp_send(e->sock, ss->rid_len ? ss->rid : NULL, ss->rid_len, buf,
		     len);
	free(buf);
	if (rc == 0)
		ss->last_tx_ms = sync_now_ms();
	return rc;
}

int sync_send_error(struct sync_env *e, struct sync_session *ss, int code,
		    const char *origin, const char *scope, uint64_t seq,
		    int fatal, const char *fmt, ...)
{
	codec_env env = TAPHOP__SYNC__ENVELOPE__INIT;
	Taphop__Sync__Error er = TAPHOP__SYNC__ERROR__INIT;
	char reason[CODEC_MAX_REASON];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	er.code = (Taphop__Sync__Error__Code)code;
	er.reason = reason;
	er.origin = (char *)origin;
	er.scope = (char *)scope;
	er.has_seq = seq != 0;
	er.seq = seq;
	er.has_fatal = fatal != 0;
	er.fatal = fatal != 0;
	env.msg_case = TAPHOP__SYNC__ENVELOPE__MSG_ERROR;
	env.error = &er;
	return sync_send(e, ss, &env);
}

int sync_send_ping(struct sync_env *e, struct sync_session *ss, int pong,
		   uint64_t nonce)
{
	codec_env env = TAPHOP__SYNC__ENVELOPE__INIT;
	Taphop__Sync__Ping pi = TAPHOP__SYNC__PING__INIT;
	Taphop__Sync__Pong po = TAPHOP__SYNC__PONG__INIT;

	if (pong) {
		po.nonce = nonce;
		env.msg_case = TAPHOP__SYNC__ENVELOPE__MSG_PONG;
		env.pong = &po;
	} else {
		pi.nonce = nonce;
		env.msg_case = TAPHOP__SYNC__ENVELOPE__MSG_PING;
		env.ping = &pi;
	}
	return sync_send(e, ss, &env);
}

int sync_send_credit(struct sync_env *e, struct sync_session *ss,
		     uint64_t limit)
{
	codec_env env = TAPHOP__SYNC__ENVELOPE__INIT;
	Taphop__Sync__Credit cr = TAPHOP__SYNC__CREDIT__INIT;

	cr.limit = limit;
	env.msg_case = TAPHOP__SYNC__ENVELOPE__MSG_CREDIT;
	env.credit = &cr;
	return sync_send(e, ss, &env);
}

int sync_streampos(Taphop__Sync__StreamPos ***out,
		   const struct stream_head *heads, size_t n,
		   const struct sync_session *ss, sync_filter filter,
		   const char *self, size_t *nout)
{
	Taphop__Sync__StreamPos **v, *pos;
	size_t k = 0;

	v = malloc((n ? n : 1) * (sizeof(*v) + sizeof(*pos)));
	if (!v)
		return err_set(ERR_NOMEM, "out of memory");
	pos = (Taphop__Sync__StreamPos *)(v + n);
	for (size_t i = 0; i < n; i++) {
		if (filter && !filter(ss, &heads[i], self))
			continue;
		taphop__sync__stream_pos__init(&pos[k]);
		pos[k].origin = (char *)heads[i].origin;
		pos[k].scope = (char *)heads[i].scope;
		pos[k].seq = heads[i].seq;
		v[k] = &pos[k];
		k++;
	}
	*out = v;
	*nout = k;
	return 0;
}

static int in_flight(const struct sync_session *ss)
{
	for (size_t i = 0; i < ss->nstreams; i++)
		if (ss->streams[i].sent > ss->streams[i].acked)
			return 1;
	return 0;
}

static void rewind_all(struct sync_session *ss)
{
	for (size_t i = 0; i < ss->nstreams; i++)
		ss->streams[i].sent = ss->streams[i].acked;
}

/* Collects up to the batch limits from the streams passing filter. */
static int fill_batch(struct sync_env *e, struct sync_session *ss,
		      const struct stream_head *heads, size_t nheads,
		      sync_filter filter, ProtobufCBinaryData *items,
		      size_t max, size_t *count)
{
	const char *self = store_node_code(e->node->store);
	size_t bytes = 0, k = 0;
	int rc = 0;

	for (size_t i = 0; i < nheads && k < max; i++) {
		const struct stream_head *h = &heads[i];
		struct sync_stream *st;

		if (!filter(ss, h, self) ||
		    sync_is_parked(e, ss->peer, h->origin, h->scope))
			continue;
		if (!(st = sync_stream_get(ss, h->origin, h->scope)))
			return err_last();
		while (st->sent < h->seq && k < max &&
		       bytes < SYNC_BATCH_BYTES) {
			unsigned char *b = NULL;
			size_t len = 0;

			rc = store_changeset_get(e->node->store, h->origin,
						 h->scope, st->sent + 1, &b,
						 &len);
			if (rc < 0)
				goto done;
			items[k].data = b;
			items[k].len = len;
			bytes += len;
			k++;
			st->sent++;
			if (st->sent > st->hi)
				st->hi = st->sent;
		}
	}
done:
	*count = k;
	return rc;
}

int sync_pump(struct sync_env *e, struct sync_session *ss,
	      const struct stream_head *heads, size_t nheads,
	      sync_filter filter)
{
	size_t max = (size_t)e->cfg->batch, count = 0;
	ProtobufCBinaryData *items;
	int total = 0, rc = 0;

	if (!ss->established)
		return 0;
	items = calloc(max, sizeof(*items));
	if (!items)
		return err_set(ERR_NOMEM, "out of memory");
	while (ss->nsent < ss->limit) {
		codec_env env = TAPHOP__SYNC__ENVELOPE__INIT;
		Taphop__Sync__ChangeSets cs = TAPHOP__SYNC__CHANGE_SETS__INIT;
		size_t room = ss->limit - ss->nsent < max ?
				      (size_t)(ss->limit - ss->nsent) : max;
		int was_idle = !in_flight(ss);

		rc = fill_batch(e, ss, heads, nheads, filter, items, room,
				&count);
		if (rc == 0 && count) {
			cs.first = ss->nsent;
			cs.n_changesets = count;
			cs.changesets = items;
			env.msg_case = TAPHOP__SYNC__ENVELOPE__MSG_CHANGESETS;
			env.changesets = &cs;
			rc = sync_send(e, ss, &env);
		}
		for (size_t i = 0; i < count; i++) {
			free(items[i].data);
			items[i].data = NULL;
		}
		if (rc < 0) {
			rewind_all(ss); /* not on the wire: send again later */
			break;
		}
		if (!count)
			break;
		if (was_idle)
			ss->last_ack_ms = sync_now_ms();
		ss->nsent += count;
		ss->sent_total += count;
		total += (int)count;
		log_debug("sent %zu change-set(s) to '%s'", count, ss->peer);
	}
	free(items);
	return rc < 0 ? rc : total;
}

void sync_retransmit_check(struct sync_session *ss, uint64_t after_ms)
{
	uint64_t now = sync_now_ms();

	if (!ss->established || !in_flight(ss) ||
	    now - ss->last_ack_ms < after_ms)
		return;
	log_info("no acknowledgement from '%s' for %llu ms: sending again "
		 "from its last acknowledged change-sets", ss->peer,
		 (unsigned long long)(now - ss->last_ack_ms));
	rewind_all(ss);
	ss->last_ack_ms = now;
}

int sync_on_ack(struct sync_env *e, struct sync_session *ss,
		const Taphop__Sync__Ack *ack)
{
	struct store *s = e->node->store;
	int rc = 0;

	ss->last_ack_ms = sync_now_ms();
	if (!ack->n_streams)
		return 0;
	if ((rc = store_batch_begin(s)) < 0)
		return rc;
	/* only streams this session sends: an Ack cannot add any */
	for (size_t i = 0; i < ack->n_streams && rc == 0; i++) {
		const Taphop__Sync__StreamPos *p = ack->streams[i];

		if (sync_stream_find(ss, p->origin, p->scope))
			rc = syncdb_ack(s, ss->peer, p->origin, p->scope,
					p->seq);
	}
	if (rc < 0) {
		store_batch_rollback(s);
		return rc;
	}
	if ((rc = store_batch_commit(s)) < 0)
		return rc;
	for (size_t i = 0; i < ack->n_streams; i++) {
		const Taphop__Sync__StreamPos *p = ack->streams[i];
		struct sync_stream *st = sync_stream_find(ss, p->origin,
							  p->scope);

		if (!st)
			continue;
		if (p->seq > st->acked)
			st->acked = p->seq;
		if (st->sent < st->acked)
			st->sent = st->acked;
	}
	return 0;
}

static const char *code_name(int code)
{
	switch (code) {
	case TAPHOP__SYNC__ERROR__CODE__PROTOCOL: return "protocol";
	case TAPHOP__SYNC__ERROR__CODE__VERSION: return "version";
	case TAPHOP__SYNC__ERROR__CODE__NO_SESSION: return "no-session";
	case TAPHOP__SYNC__ERROR__CODE__SIGNATURE: return "signature";
	case TAPHOP__SYNC__ERROR__CODE__GAP: return "gap";
	case TAPHOP__SYNC__ERROR__CODE__CHAIN: return "chain";
	case TAPHOP__SYNC__ERROR__CODE__SCOPE: return "scope";
	case TAPHOP__SYNC__ERROR__CODE__INVALID: return "invalid";
	case TAPHOP__SYNC__ERROR__CODE__UNKNOWN_NODE: return "unknown-node";
	case TAPHOP__SYNC__ERROR__CODE__PARKED: return "parked";
	default: return "internal";
	}
}

int sync_on_error(struct sync_env *e, struct sync_session *ss,
		  const Taphop__Sync__Error *er, sync_filter filter)
{
	const char *self = store_node_code(e->node->store);
	char reason[CODEC_MAX_REASON];
	struct stream_head h;
	struct sync_stream *st;
	int rc;

	/* the reason is the peer's text: it may quote values, never log it */
	if (!er->origin || !er->scope) {
		log_warn("'%s' reports a %s error", ss->peer,
			 code_name(er->code));
		return 0;
	}
	memset(&h, 0, sizeof(h));
	snprintf(h.origin, sizeof(h.origin), "%s", er->origin);
	snprintf(h.scope, sizeof(h.scope), "%s", er->scope);
	st = sync_stream_find(ss, er->origin, er->scope);
	if (!st || !filter(ss, &h, self) || !er->has_seq ||
	    er->seq <= st->acked || er->seq > st->hi) {
		log_debug("ignored a %s error from '%s' about %s/%s#%llu: not "
			  "a change-set sent to it", code_name(er->code),
			  ss->peer, er->origin, er->scope,
			  (unsigned long long)er->seq);
		return 0;
	}
	switch (er->code) {
	case TAPHOP__SYNC__ERROR__CODE__GAP:
	case TAPHOP__SYNC__ERROR__CODE__INTERNAL:
	case TAPHOP__SYNC__ERROR__CODE__UNKNOWN_NODE:
		log_info("'%s' reports %s at %s/%s#%llu: resending", ss->peer,
			 code_name(er->code), er->origin, er->scope,
			 (unsigned long long)er->seq);
		st->sent = st->acked;
		return 0;
	case TAPHOP__SYNC__ERROR__CODE__SIGNATURE:
	case TAPHOP__SYNC__ERROR__CODE__CHAIN:
	case TAPHOP__SYNC__ERROR__CODE__SCOPE:
	case TAPHOP__SYNC__ERROR__CODE__INVALID:
	case TAPHOP__SYNC__ERROR__CODE__PARKED:
	case TAPHOP__SYNC__ERROR__CODE__VERSION:
		break;
	default:
		return 0;
	}
	log_error("'%s' refused change-set %s/%s#%llu (%s): the stream is "
		  "parked for '%s' until an officer acts", ss->peer,
		  er->origin, er->scope, (unsigned long long)er->seq,
		  code_name(er->code), ss->peer);
	codec_reason_clean(reason, sizeof(reason),
			  er->code == TAPHOP__SYNC__ERROR__CODE__INVALID ?
				  ERR_INVALID : ERR_PROTOCOL,
			  er->reason);
	rc = syncdb_park(e->node->store, ss->peer, er->origin, er->scope,
			 er->seq, code_name(er->code), reason);
	if (rc == 0)
		rc = parked_add(e, ss->peer, er->origin, er->scope);
	return rc;
}

/* ---- receiving --------------------------------------------------------- */

static int err_to_wire(int code)
{
	switch (code) {
	case ERR_SIGNATURE: return TAPHOP__SYNC__ERROR__CODE__SIGNATURE;
	case ERR_GAP: return TAPHOP__SYNC__ERROR__CODE__GAP;
	case ERR_CHAIN: return TAPHOP__SYNC__ERROR__CODE__CHAIN;
	case ERR_SCOPE: return TAPHOP__SYNC__ERROR__CODE__SCOPE;
	case ERR_INVALID: return TAPHOP__SYNC__ERROR__CODE__INVALID;
	case ERR_UNKNOWN_NODE: return TAPHOP__SYNC__ERROR__CODE__UNKNOWN_NODE;
	case ERR_VERSION: return TAPHOP__SYNC__ERROR__CODE__VERSION;
	case ERR_PROTOCOL: return TAPHOP__SYNC__ERROR__CODE__PROTOCOL;
	default: return TAPHOP__SYNC__ERROR__CODE__INTERNAL;
	}
}

#define MAX_TOUCHED 256
#define MAX_VERDICTS 64

struct touched {
	char origin[STORE_CODE_MAX], scope[STORE_CODE_MAX];
};

/* A refusal decided inside the batch transaction, told after its commit. */
struct verdict {
	int wire, park;
	char origin[STORE_CODE_MAX], scope[STORE_CODE_MAX];
	uint64_t seq;
	char reason[CODEC_MAX_REASON];
};

/* What one batch collects while its transaction is open. */
struct batch {
	struct touched t[MAX_TOUCHED];
	size_t nt;
	struct verdict v[MAX_VERDICTS];
	size_t nv;
};

static void touch(struct batch *bt, const char *origin, const char *scope)
{
	for (size_t i = 0; i < bt->nt; i++)
		if (strcmp(bt->t[i].origin, origin) == 0 &&
		    strcmp(bt->t[i].scope, scope) == 0)
			return;
	if (bt->nt == MAX_TOUCHED)
		return;
	snprintf(bt->t[bt->nt].origin, STORE_CODE_MAX, "%s", origin);
	snprintf(bt->t[bt->nt].scope, STORE_CODE_MAX, "%s", scope);
	bt->nt++;
}

static int verdict_has(const struct batch *bt, const char *origin,
		       const char *scope)
{
	for (size_t i = 0; i < bt->nv; i++)
		if (strcmp(bt->v[i].origin, origin) == 0 &&
		    strcmp(bt->v[i].scope, scope) == 0)
			return 1;
	return 0;
}

/* Adds a verdict; NULL when the batch has too many (the change-set is then
 * left unapplied and unanswered: the sender resends it later). */
static struct verdict *verdict_add(struct batch *bt, int wire, int park,
				   const char *origin, const char *scope,
				   uint64_t seq)
{
	struct verdict *v;

	if (bt->nv == MAX_VERDICTS)
		return NULL;
	v = &bt->v[bt->nv++];
	v->wire = wire;
	v->park = park;
	v->seq = seq;
	snprintf(v->origin, sizeof(v->origin), "%s", origin);
	snprintf(v->scope, sizeof(v->scope), "%s", scope);
	v->reason[0] = '\0';
	return v;
}

/*
 * One change-set that store_apply refused (code rc), described by cs (NULL
 * if it does not even decode).  GAP and UNKNOWN_NODE are temporary: told at
 * once, never parked.  Any other refusal is parked in the open transaction
 * and becomes a verdict, told after the commit.
 */
static int refuse(struct sync_env *e, struct sync_session *ss, int rc,
		  const struct changeset *cs, struct batch *bt)
{
	char reason[CODEC_MAX_REASON];
	const char *origin = cs ? cs->origin : "?", *scope = cs ? cs->scope : "?";
	uint64_t seq = cs ? cs->seq : 0;
	int wire = err_to_wire(rc);
	struct verdict *v;

	codec_reason_clean(reason, sizeof(reason), rc, err_msg());
	if (rc == ERR_GAP || rc == ERR_UNKNOWN_NODE) {
		if (rc == ERR_UNKNOWN_NODE && !ss->need_roster)
			log_info("change-set %s/%s#%llu from '%s' is signed "
				 "by a node not known here yet: not applied, "
				 "asking for the roster", origin, scope,
				 (unsigned long long)seq, ss->peer);
		else
			log_debug("change-set %s/%s#%llu from '%s' is ahead "
				  "of its stream: not applied", origin, scope,
				  (unsigned long long)seq, ss->peer);
		if (rc == ERR_UNKNOWN_NODE)
			ss->need_roster = 1;
		if (cs)
			touch(bt, origin, scope);
		/* a lost answer is harmless: the sender resends */
		sync_send_error(e, ss, wire, cs ? origin : NULL,
				cs ? scope : NULL, seq, 0, "%s", reason);
		return 0;
	}
	if (!cs) {
		/* nothing to park: the peer learns it sent garbage */
		log_warn("refused an undecodable change-set from '%s' (%s)",
			 ss->peer, err_name(rc));
		sync_send_error(e, ss, wire, NULL, NULL, 0, 0,
				"refused a change-set: %s", reason);
		return 0;
	}
	if (!(v = verdict_add(bt, wire, 1, origin, scope, seq)))
		return 0;
	snprintf(v->reason, sizeof(v->reason), "refused %s/%s#%llu: %.800s",
		 origin, scope, (unsigned long long)seq, reason);
	return syncdb_park(e->node->store, ss->peer, origin, scope, seq,
			   err_name(rc), v->reason);
}

/* After the commit: take the parks into memory, then tell the peer. */
static int verdicts_tell(struct sync_env *e, struct sync_session *ss,
			 const struct batch *bt)
{
	int rc = 0;

	for (size_t i = 0; i < bt->nv; i++) {
		const struct verdict *v = &bt->v[i];
		int r;

		if (v->park) {
			log_warn("refused change-set %s/%s#%llu from '%s' "
				 "(%s): stream parked for '%s'", v->origin,
				 v->scope, (unsigned long long)v->seq,
				 ss->peer, code_name(v->wire), ss->peer);
			if ((r = parked_add(e, ss->peer, v->origin,
					    v->scope)) < 0)
				rc = r;
		}
		r = sync_send_error(e, ss, v->wire, v->origin, v->scope,
				    v->seq, 0, "%s", v->reason);
		if (r < 0 && r != ERR_BUSY && rc == 0)
			rc = r;
	}
	return rc;
}

static int send_ack(struct sync_env *e, struct sync_session *ss,
		    const struct batch *bt)
{
	codec_env env = TAPHOP__SYNC__ENVELOPE__INIT;
	Taphop__Sync__Ack ack = TAPHOP__SYNC__ACK__INIT;
	struct stream_head *heads = NULL, *keep;
	size_t nh = 0, k = 0;
	int rc;

	if ((rc = store_streams(e->node->store, NULL, &heads, &nh)) < 0)
		return rc;
	keep = heads;
	for (size_t i = 0; i < nh; i++)
		for (size_t j = 0; j < bt->nt; j++)
			if (strcmp(heads[i].origin, bt->t[j].origin) == 0 &&
			    strcmp(heads[i].scope, bt->t[j].scope) == 0) {
				keep[k++] = heads[i];
				break;
			}
	rc = sync_streampos(&ack.streams, keep, k, NULL, NULL, NULL,
			    &ack.n_streams);
	if (rc == 0) {
		env.msg_case = TAPHOP__SYNC__ENVELOPE__MSG_ACK;
		env.ack = &ack;
		rc = sync_send(e, ss, &env);
		free(ack.streams);
	}
	free(heads);
	return rc;
}

/* Decides, before applying, whether a change-set is to be left alone
 * (1: another origin on a hub, a stream refused earlier in this batch, or
 * parked for this peer) or applied (0). */
static int screen(struct sync_env *e, struct sync_session *ss,
		  const struct changeset *cs, int only_origin,
		  struct batch *bt)
{
	struct verdict *v;

	if (!cs)
		return 0; /* store_apply says what is wrong with it */
	if (only_origin && strcmp(cs->origin, ss->peer) != 0) {
		log_warn("refused change-set %s/%s#%llu from '%s': a ward "
			 "sends only its own change-sets", cs->origin,
			 cs->scope, (unsigned long long)cs->seq, ss->peer);
		sync_send_error(e, ss, TAPHOP__SYNC__ERROR__CODE__SCOPE,
				cs->origin, cs->scope, cs->seq, 0,
				"'%s' may send only change-sets it made, not "
				"those of '%s'", ss->peer, cs->origin);
		return 1;
	}
	if (verdict_has(bt, cs->origin, cs->scope))
		return 1; /* refused earlier in this batch: told once */
	if (!sync_is_parked(e, ss->peer, cs->origin, cs->scope))
		return 0;
	if ((v = verdict_add(bt, TAPHOP__SYNC__ERROR__CODE__PARKED, 0,
			     cs->origin, cs->scope, cs->seq)))
		snprintf(v->reason, sizeof(v->reason),
			 "stream %s/%s is parked after an earlier refusal; an "
			 "officer must clear it", cs->origin, cs->scope);
	return 1;
}

int sync_apply_batch(struct sync_env *e, struct sync_session *ss,
		     const Taphop__Sync__ChangeSets *b, int only_origin,
		     int *napplied)
{
	struct store *s = e->node->store;
	struct batch *bt = NULL;
	int rc, n = 0;

	*napplied = 0;
	bt = calloc(1, sizeof(*bt));
	if (!bt)
		return err_set(ERR_NOMEM, "out of memory");
	if ((rc = store_batch_begin(s)) < 0)
		goto done;
	for (size_t i = 0; i < b->n_changesets; i++) {
		const ProtobufCBinaryData *c = &b->changesets[i];
		struct changeset *cs = NULL;
		struct apply_result res;

		if (changeset_decode(&cs, c->data, c->len) < 0)
			cs = NULL;
		if (screen(e, ss, cs, only_origin, bt)) {
			changeset_free(cs);
			continue;
		}
		memset(&res, 0, sizeof(res));
		rc = store_apply(s, c->data, c->len, &res);
		if (rc == 0 || rc == ERR_DUPLICATE) {
			if (rc == 0 && !res.duplicate)
				n++;
			if (res.origin[0])
				touch(bt, res.origin, res.scope);
			changeset_free(cs);
			rc = 0;
			continue;
		}
		if (rc == ERR_DB || rc == ERR_NOMEM || rc == ERR_INTERNAL ||
		    rc == ERR_IO) {
			changeset_free(cs);
			goto fail;
		}
		rc = refuse(e, ss, rc, cs, bt);
		changeset_free(cs);
		if (rc < 0)
			goto fail;
	}
	if ((rc = store_batch_commit(s)) < 0)
		goto fail_told;
	ss->recv_total += b->n_changesets;
	if (n)
		sync_archiver_poke(e);
	*napplied = n;
	if ((rc = verdicts_tell(e, ss, bt)) < 0)
		goto done;
	if ((rc = send_ack(e, ss, bt)) < 0 && rc != ERR_BUSY)
		goto done;
	rc = sync_send_credit(e, ss, b->first + b->n_changesets +
				     (uint64_t)e->cfg->window);
	if (rc == ERR_BUSY)
		rc = 0;
	goto done;
fail:
	store_batch_rollback(s);
fail_told:
	/* nothing of the batch is durable, no park either: the sender
	 * resends it all */
	err_wrap(rc, "cannot apply a batch from '%s'", ss->peer);
	rc = err_last();
	sync_send_error(e, ss, TAPHOP__SYNC__ERROR__CODE__INTERNAL, NULL, NULL,
			0, 0, "receiver failed; will retry");
done:
	free(bt);
	return rc;
}

/* ---- status file ------------------------------------------------------- */

int sync_status_write(struct sync_env *e, const char *state,
		      const struct sync_session *sessions, size_t n)
{
	json_t *root = json_object(), *peers = json_array();
	char *path = NULL, *tmp = NULL;
	uint64_t now = sync_now_ms(), wall = wall_ms();
	int rc = ERR_NOMEM;

	if (!root || !peers)
		goto done;
	json_object_set_new(root, "pid", json_integer(getpid()));
	json_object_set_new(root, "role", json_string(
		store_role(e->node->store) == STORE_ROLE_HUB ? "hub" : "ward"));
	json_object_set_new(root, "code",
			    json_string(store_node_code(e->node->store)));
	json_object_set_new(root, "state", json_string(state));
	json_object_set_new(root, "updated_ms", json_integer((json_int_t)wall));
	json_object_set_new(root, "heartbeat_ms",
			    json_integer(e->cfg->heartbeat_ms));
	for (size_t i = 0; i < n; i++) {
		const struct sync_session *ss = &sessions[i];
		json_t *p = json_object();
		uint64_t ago = now - ss->last_heard_ms;

		if (!p)
			goto done;
		json_object_set_new(p, "code", json_string(ss->peer));
		json_object_set_new(p, "connected",
				    json_boolean(ss->established));
		json_object_set_new(p, "last_contact_ms",
			ss->last_heard_ms ? json_integer((json_int_t)(wall - ago))
				       : json_null());
		json_object_set_new(p, "sent",
				    json_integer((json_int_t)ss->sent_total));
		json_object_set_new(p, "received",
				    json_integer((json_int_t)ss->recv_total));
		json_array_append_new(peers, p);
	}
	json_object_set_new(root, "peers", peers);
	peers = NULL;
	path = node_path(e->node, "taphopd.status");
	tmp = node_path(e->node, "taphopd.status.tmp");
	if (!path || !tmp)
		goto done;
	if (json_dump_file(root, tmp, JSON_INDENT(1) | JSON_SORT_KEYS) != 0 ||
	    rename(tmp, path) != 0) {
		rc = err_set(ERR_IO, "cannot write '%s': %s", path,
			     strerror(errno));
		goto done;
	}
	rc = 0;
done:
	json_decref(peers);
	json_decref(root);
	free(path);
	free(tmp);
	return rc;
}

/* ---- the archiver thread --------------------------------------------- */

struct archiver {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int due, stop;
	char *dir;
};

/* Waits until ms have passed or the archiver is told to stop; with mu held. */
static void archiver_pause(struct archiver *a, unsigned ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (!a->stop && pthread_cond_timedwait(&a->cv, &a->mu, &ts) == 0)
		;
}

static void *archiver_main(void *arg)
{
	struct archiver *a = arg;
	struct node *n = NULL;
	int stop;

	/* background work: the sync loop (acks, relays) comes first when the
	 * cores are busy; threads the archive starts inherit this */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), 10) != 0)
		log_debug("archive: cannot lower the thread's priority");
	if (node_open(&n, a->dir) < 0)
		log_warn("archive: cannot open the replica: %s", err_msg());
	pthread_mutex_lock(&a->mu);
	for (;;) {
		while (!a->due && !a->stop)
			pthread_cond_wait(&a->cv, &a->mu);
		stop = a->stop;
		a->due = 0;
		pthread_mutex_unlock(&a->mu);
		if (stop)
			break; /* a backlog is caught up at the next start */
		if (n && archive_update(n) < 0)
			log_warn("archive not updated (caught up later): %s",
				 err_msg());
		malloc_trim(0); /* a big round's memory goes back to the system */
		pthread_mutex_lock(&a->mu);
		archiver_pause(a, SYNC_ARCHIVE_MS);
	}
	node_close(n);
	return NULL;
}

int sync_archiver_start(struct sync_env *e)
{
	struct archiver *a = calloc(1, sizeof(*a));
	pthread_condattr_t ca;
	sigset_t all, old;
	int rc;

	if (!a || !(a->dir = strdup(e->node->dir))) {
		free(a);
		return err_set(ERR_NOMEM, "out of memory");
	}
	pthread_mutex_init(&a->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->cv, &ca);
	pthread_condattr_destroy(&ca);
	a->due = 1; /* catch up with whatever a crash left behind */
	/* signals (stop, sync now) belong to the sync loop's thread */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&a->th, NULL, archiver_main, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_mutex_destroy(&a->mu);
		pthread_cond_destroy(&a->cv);
		free(a->dir);
		free(a);
		return err_set(ERR_INTERNAL, "cannot start the archive thread");
	}
	e->archiver = a;
	return 0;
}

void sync_archiver_poke(struct sync_env *e)
{
	struct archiver *a = e->archiver;

	if (!a)
		return;
	pthread_mutex_lock(&a->mu);
	a->due = 1;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

void sync_archiver_stop(struct sync_env *e)
{
	struct archiver *a = e->archiver;

	if (!a)
		return;
	pthread_mutex_lock(&a->mu);
	a->stop = 1;
	a->due = 1;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
	pthread_join(a->th, NULL);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
	free(a->dir);
	free(a);
	e->archiver = NULL;
}
