/*
 * transport.h - the daemon's ZeroMQ sockets, CURVE and the ZAP handler.
 *
 * The only module (with transport.c) that sees zmq.h; libzmq errors are
 * translated here into err_set() codes.  Every network socket is CURVE:
 * the hub's ROUTER is a CURVE server whose handshakes are authorised by
 * the ZAP handler (inproc://zeromq.zap.01, a thread of this process); a
 * ward's DEALER is a CURVE client pinned to the hub's transport key.
 *
 * A peer's identity is only ever the ZAP User-Id the handler assigned
 * (tp_msg.user_id), never a routing id the peer could choose.
 */
#ifndef TAPHOP_TRANSPORT_H
#define TAPHOP_TRANSPORT_H

#include <stddef.h>

#define TP_KEY_LEN 32
#define TP_RID_MAX 256
#define TP_USER_MAX 64

struct tp_ctx;
struct tp_sock;

/* One received message: the routing id (ROUTER only), the payload and the
 * peer's ZAP User-Id ("" on a DEALER). */
struct tp_msg {
	unsigned char rid[TP_RID_MAX];
	size_t rid_len;
	unsigned char *data;  /* malloc'd */
	size_t len;
	char user_id[TP_USER_MAX];
};

void tp_msg_release(struct tp_msg *m);

/*
 * Called by the ZAP thread for each CURVE handshake: client_key is the
 * peer's transport public key, address its IP.  Returns 0 and writes the
 * node code into user_id to admit, a positive value to refuse (ZAP 400),
 * or a negative one when it cannot decide (ZAP 500); the callback logs why.
 */
typedef int (*tp_zap_cb)(void *arg, const unsigned char client_key[TP_KEY_LEN],
			 const char *address, char *user_id, size_t user_max);

int tp_ctx_new(struct tp_ctx **out);
/* Stops the ZAP thread, closes the context.  NULL is a no-op.  All sockets
 * must be closed first. */
void tp_ctx_free(struct tp_ctx *c);

/* Starts the ZAP handler thread; must precede tp_router_bind. */
int tp_zap_start(struct tp_ctx *c, tp_zap_cb cb, void *arg);

/* A CURVE-server ROUTER bound to endpoint, with ZMQ_ROUTER_MANDATORY and
 * ZMQ_MAXMSGSIZE = maxmsg. */
int tp_router_bind(struct tp_sock **out, struct tp_ctx *c,
		   const char *endpoint, const unsigned char secret[TP_KEY_LEN],
		   size_t maxmsg);

/* A CURVE-client DEALER connecting to endpoint, the server pinned to
 * server_pk. */
int tp_dealer_connect(struct tp_sock **out, struct tp_ctx *c,
		      const char *endpoint,
		      const unsigned char server_pk[TP_KEY_LEN],
		      const unsigned char pk[TP_KEY_LEN],
		      const unsigned char sk[TP_KEY_LEN], size_t maxmsg);

/* Closes without lingering; NULL is a no-op. */
void tp_sock_close(struct tp_sock *s);

/* The last handshake event of a client socket since the previous call:
 * TP_REFUSED (the server's ZAP said no; *status is its status code, e.g.
 * 400), TP_BAD_HANDSHAKE (e.g. the wrong server key), TP_ACCEPTED, or 0
 * when nothing happened.  Never blocks. */
#define TP_ACCEPTED 1
#define TP_REFUSED 2
#define TP_BAD_HANDSHAKE 3
int tp_handshake_event(struct tp_sock *s, int *status);

/* Waits up to timeout_ms for s to be readable: 1 readable, 0 not (timeout
 * or a signal), negative on error. */
int tp_poll(struct tp_sock *s, int timeout_ms);

/* Receives one message without blocking: 1 got one, 0 none waiting. */
int tp_recv(struct tp_sock *s, struct tp_msg *m);

/* Sends without blocking.  rid NULL on a DEALER.  ERR_BUSY when the peer's
 * queue is full (try later), ERR_NOTFOUND when a ROUTER peer is gone. */
int tp_send(struct tp_sock *s, const unsigned char *rid, size_t rid_len,
	    const unsigned char *data, size_t len);

#endif
