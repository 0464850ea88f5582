/*
 * sync.h - what the hub and ward roles share: one session's sending state
 * (per-stream cursors under credit), applying a received batch, building
 * and sending each protocol message, the parked set, the status file.
 *
 * Sending state of a session (docs/protocol.md, "State"):
 *   per stream: sent (highest seq put on the wire this session) and acked
 *   (highest seq the peer said is durable); nsent, the session index of the
 *   next change-set; limit, the peer's credit (send while nsent < limit).
 * Nothing here is trusted across sessions: a new hello/welcome resets the
 * cursors from the peer's knowledge vector, i.e. from its durable state.
 */
#ifndef TAPHOP_SYNC_H
#define TAPHOP_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/config.h"
#include "daemon/transport.h"
#include "proto/codec.h"
#include "replicas/node.h"

#define SYNC_MAX_SCOPES 8
#define SYNC_BATCH_BYTES (4u << 20)
#define SYNC_MAX_STREAMS 65536 /* per session: more is a peer's attack */

struct sync_stream {
	char origin[STORE_CODE_MAX];
	char scope[STORE_CODE_MAX];
	uint64_t sent, acked;
	uint64_t hi; /* highest seq put on the wire this session */
};

struct sync_session {
	char peer[STORE_CODE_MAX];     /* node code (ZAP User-Id on the hub) */
	unsigned char rid[TP_RID_MAX]; /* ROUTER routing id, 0 len on a ward */
	size_t rid_len;
	int established;
	struct sync_stream *streams;
	size_t nstreams, cap;
	uint64_t nsent, limit;         /* session index, credit */
	uint64_t last_rx_ms, last_tx_ms, last_ack_ms;
	uint64_t last_heard_ms; /* a message really came (0: never); status */
	uint64_t sent_total, recv_total; /* change-sets, for status */
	char scopes[SYNC_MAX_SCOPES][STORE_CODE_MAX]; /* hub: relay scopes */
	int nscopes;
	int need_roster; /* a change-set named a node unknown here */
};

/*
 * One parked stream: (origin, scope) as exchanged with peer.  A parking
 * concerns only that peer's session: nothing of the stream is sent to it
 * or applied from it; other peers are not affected.
 */
struct sync_park {
	char peer[STORE_CODE_MAX];
	char origin[STORE_CODE_MAX];
	char scope[STORE_CODE_MAX];
};

/* Everything a role needs; filled by main. */
struct sync_env {
	struct node *node;
	const struct daemon_config *cfg;
	struct tp_sock *sock;
	/* parked streams, loaded from syncdb, added after each commit */
	struct sync_park *parked;
	size_t nparked;
	long long data_version;
	struct archiver *archiver; /* sync_archiver_start */
};

/*
 * The archiver: a thread with its own connection to the replica that keeps
 * the audit archive up to date, at most once per SYNC_ARCHIVE_MS, so
 * archiving never holds up the sync loop and one commit covers many network
 * batches.  The archive is derived from the change-set log, so a crash in
 * between loses nothing: it is caught up when the daemon starts.
 */
#define SYNC_ARCHIVE_MS 1000
int sync_archiver_start(struct sync_env *e);
/* Change-sets were stored: archive them soon.  Cheap; never blocks long. */
void sync_archiver_poke(struct sync_env *e);
/* Ends the thread once its current update (if any) is done; what is not
 * archived yet is caught up at the next start.  No-op if never started. */
void sync_archiver_stop(struct sync_env *e);

uint64_t sync_now_ms(void);

/* Filter deciding which of this node's streams go to the session. */
typedef int (*sync_filter)(const struct sync_session *ss,
			   const struct stream_head *h, const char *self);

void sync_session_reset(struct sync_session *ss);
void sync_session_release(struct sync_session *ss);
/* The stream entry for (origin, scope), added at 0 if absent; NULL (error
 * recorded) on OOM or past SYNC_MAX_STREAMS. */
struct sync_stream *sync_stream_get(struct sync_session *ss,
				    const char *origin, const char *scope);
/* The stream entry for (origin, scope) or NULL; never adds one. */
struct sync_stream *sync_stream_find(struct sync_session *ss,
				     const char *origin, const char *scope);
/* Puts every stream's cursor back to what the peer acknowledged. */
void sync_session_rewind(struct sync_session *ss);

/* (Re)loads the parked set from syncdb, replacing the one in memory. */
int sync_parked_load(struct sync_env *e);
int sync_is_parked(const struct sync_env *e, const char *peer,
		   const char *origin, const char *scope);


/* Encodes and sends env to the session's peer. */
int sync_send(struct sync_env *e, struct sync_session *ss,
	      const codec_env *env);
int sync_send_error(struct sync_env *e, struct sync_session *ss, int code,
		    const char *origin, const char *scope, uint64_t seq,
		    int fatal, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));
int sync_send_ping(struct sync_env *e, struct sync_session *ss, int pong,
		   uint64_t nonce);
int sync_send_credit(struct sync_env *e, struct sync_session *ss,
		     uint64_t limit);

/*
 * Sends what the peer lacks of the streams in heads that pass filter, in
 * batches of at most cfg->batch change-sets, while credit lasts.  Returns
 * the number of change-sets sent or a negative code.
 */
int sync_pump(struct sync_env *e, struct sync_session *ss,
	      const struct stream_head *heads, size_t nheads,
	      sync_filter filter);

/* Handles an Ack from the session's peer (cursors, sync_acked).  Only
 * streams this session sends are taken; others are ignored. */
int sync_on_ack(struct sync_env *e, struct sync_session *ss,
		const Taphop__Sync__Ack *ack);

/*
 * A peer's Error about one of our streams.  Taken only for a stream this
 * session sends (passes filter) up to a seq it put on the wire: GAP,
 * INTERNAL and UNKNOWN_NODE rewind the cursor, a refusal parks the stream
 * for this peer only.  Logs the code, stream and seq, never the reason.
 */
int sync_on_error(struct sync_env *e, struct sync_session *ss,
		  const Taphop__Sync__Error *er, sync_filter filter);

/* Rewinds every stream's cursor to what the peer acknowledged if nothing
 * was acknowledged for after_ms while change-sets were in flight. */
void sync_retransmit_check(struct sync_session *ss, uint64_t after_ms);

/*
 * Applies a received batch: one SQLite transaction, every change-set
 * through store_apply.  A refused one is parked (for this peer) in the same
 * transaction; only after the commit are the parks taken into memory and
 * the refusals answered (a rollback leaves neither).  A GAP or an unknown
 * origin is answered at once and never parks (the latter sets
 * ss->need_roster).  After the commit the archive is updated and the
 * durable heads of the touched streams acknowledged, then credit granted.
 * On a hub (only_origin set) a change-set whose origin is not the peer is
 * refused, never applied nor parked.  *napplied gets the number of
 * change-sets newly applied.
 */
int sync_apply_batch(struct sync_env *e, struct sync_session *ss,
		     const Taphop__Sync__ChangeSets *b, int only_origin,
		     int *napplied);

/* Fills pos (malloc'd array of pointers into one block) from heads. */
int sync_streampos(Taphop__Sync__StreamPos ***out,
		   const struct stream_head *heads, size_t n,
		   const struct sync_session *ss, sync_filter filter,
		   const char *self, size_t *nout);

/* Writes dir/taphopd.status (JSON) atomically.  state: a short phrase. */
int sync_status_write(struct sync_env *e, const char *state,
		      const struct sync_session *sessions, size_t n);

#endif
