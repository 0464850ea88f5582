/*
 * transport.c - libzmq wrapped: context, CURVE sockets, ZAP thread.
 *
 * The ZAP thread owns one REP socket bound to inproc://zeromq.zap.01 and
 * runs until the context is shut down (zmq_ctx_shutdown makes its receive
 * fail with ETERM).
 */
#include "daemon/transport.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "replicas/err.h"

#include "replicas/banned.h"

struct tp_ctx {
	void *zctx;
	void *zap;          /* REP, handed to the thread */
	pthread_t thread;
	int thread_started;
	tp_zap_cb cb;
	void *cb_arg;
};

struct tp_sock {
	void *z;
	int router;
	void *mon;   /* PAIR reading the socket's handshake events, or NULL */
};

static int zerr(int code, const char *what)
{
	return err_set(code, "%s: %s", what, zmq_strerror(zmq_errno()));
}

void tp_msg_release(struct tp_msg *m)
{
	if (!m)
		return;
	free(m->data);
	m->data = NULL;
	m->len = 0;
}

int tp_ctx_new(struct tp_ctx **out)
{
	struct tp_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return err_set(ERR_NOMEM, "out of memory");
	c->zctx = zmq_ctx_new();
	if (!c->zctx) {
		free(c);
		return zerr(ERR_INTERNAL, "cannot create zmq context");
	}
	*out = c;
	return 0;
}

void tp_ctx_free(struct tp_ctx *c)
{
	if (!c)
		return;
	zmq_ctx_shutdown(c->zctx);
	if (c->thread_started)
		pthread_join(c->thread, NULL);
	else if (c->zap)
		zmq_close(c->zap);
	zmq_ctx_term(c->zctx);
	free(c);
}

/* Receives one frame of a ZAP request into buf; returns its length or -1. */
static int zap_frame(void *sock, char *buf, size_t n, int *more)
{
	int len = zmq_recv(sock, buf, n, 0);
	size_t sz = sizeof(*more);

	if (len < 0)
		return -1;
	if ((size_t)len > n)
		len = (int)n; /* truncated: only the key's length matters */
	zmq_getsockopt(sock, ZMQ_RCVMORE, more, &sz);
	return len;
}

static void zap_reply(void *sock, const char *reqid, int reqid_len,
		      const char *status, const char *text, const char *user)
{
	zmq_send(sock, "1.0", 3, ZMQ_SNDMORE);
	zmq_send(sock, reqid, (size_t)reqid_len, ZMQ_SNDMORE);
	zmq_send(sock, status, strlen(status), ZMQ_SNDMORE);
	zmq_send(sock, text, strlen(text), ZMQ_SNDMORE);
	zmq_send(sock, user, strlen(user), ZMQ_SNDMORE);
	zmq_send(sock, "", 0, 0);
}

static void *zap_main(void *arg)
{
	struct tp_ctx *c = arg;

	for (;;) {
		char f[7][256], user[TP_USER_MAX] = "";
		int len[7] = { 0 }, more = 1, nf = 0, ok, r;

		/* version, request id, domain, address, identity, mechanism,
		 * credentials; extra frames are drained and the request refused */
		while (more) {
			char junk[256];
			int l = zap_frame(c->zap, nf < 7 ? f[nf] : junk,
					  sizeof(junk) - 1, &more);
			if (l < 0)
				goto done;
			if (nf < 7) {
				f[nf][l] = '\0';
				len[nf] = l;
			}
			nf++;
		}
		/* a REP socket must answer every request, even a malformed
		 * one, or it takes no other */
		if (nf < 2) {
			zap_reply(c->zap, "", 0, "400", "malformed request", "");
			continue;
		}
		ok = nf == 7 && len[0] == 3 && memcmp(f[0], "1.0", 3) == 0 &&
		     len[5] == 5 && memcmp(f[5], "CURVE", 5) == 0 &&
		     len[6] == TP_KEY_LEN;
		if (!ok) {
			zap_reply(c->zap, f[1], len[1], "400",
				  "malformed request", "");
			continue;
		}
		r = c->cb(c->cb_arg, (const unsigned char *)f[6], f[3], user,
			  sizeof(user));
		if (r == 0)
			zap_reply(c->zap, f[1], len[1], "200", "OK", user);
		else if (r > 0)
			zap_reply(c->zap, f[1], len[1], "400",
				  "transport key not enrolled", "");
		else
			zap_reply(c->zap, f[1], len[1], "500",
				  "cannot read the enrolled keys", "");
	}
done:
	zmq_close(c->zap);
	c->zap = NULL;
	return NULL;
}

int tp_zap_start(struct tp_ctx *c, tp_zap_cb cb, void *arg)
{
	int linger = 0;

	c->zap = zmq_socket(c->zctx, ZMQ_REP);
	if (!c->zap)
		return zerr(ERR_INTERNAL, "cannot create ZAP socket");
	if (zmq_setsockopt(c->zap, ZMQ_LINGER, &linger, sizeof(linger)) != 0)
		return zerr(ERR_INTERNAL, "cannot set up the ZAP socket");
	if (zmq_bind(c->zap, "inproc://zeromq.zap.01") != 0)
		return zerr(ERR_INTERNAL, "cannot bind the ZAP handler");
	c->cb = cb;
	c->cb_arg = arg;
	if (pthread_create(&c->thread, NULL, zap_main, c) != 0)
		return err_set(ERR_INTERNAL, "cannot start the ZAP thread");
	c->thread_started = 1;
	return 0;
}

static int sock_new(struct tp_sock **out, struct tp_ctx *c, int type,
		    size_t maxmsg)
{
	struct tp_sock *s = calloc(1, sizeof(*s));
	int64_t max = (int64_t)maxmsg;
	int linger = 0;

	if (!s)
		return err_set(ERR_NOMEM, "out of memory");
	s->z = zmq_socket(c->zctx, type);
	if (!s->z) {
		free(s);
		return zerr(ERR_INTERNAL, "cannot create socket");
	}
	s->router = type == ZMQ_ROUTER;
	if (zmq_setsockopt(s->z, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
	    zmq_setsockopt(s->z, ZMQ_MAXMSGSIZE, &max, sizeof(max)) != 0) {
		int rc = zerr(ERR_INTERNAL, "cannot limit the message size");

		tp_sock_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

int tp_router_bind(struct tp_sock **out, struct tp_ctx *c,
		   const char *endpoint, const unsigned char secret[TP_KEY_LEN],
		   size_t maxmsg)
{
	struct tp_sock *s = NULL;
	int one = 1, rc;

	if ((rc = sock_new(&s, c, ZMQ_ROUTER, maxmsg)) < 0)
		return rc;
	if (zmq_setsockopt(s->z, ZMQ_ROUTER_MANDATORY, &one, sizeof(one)) ||
	    zmq_setsockopt(s->z, ZMQ_CURVE_SERVER, &one, sizeof(one)) ||
	    zmq_setsockopt(s->z, ZMQ_CURVE_SECRETKEY, secret, TP_KEY_LEN) ||
	    zmq_setsockopt(s->z, ZMQ_ZAP_DOMAIN, "taphop", 6)) {
		rc = zerr(ERR_INTERNAL, "cannot set up CURVE server");
		goto fail;
	}
	if (zmq_bind(s->z, endpoint) != 0) {
		rc = err_set(ERR_IO, "cannot listen on '%s': %s", endpoint,
			     zmq_strerror(zmq_errno()));
		goto fail;
	}
	*out = s;
	return 0;
fail:
	tp_sock_close(s);
	return rc;
}

static void monitor_start(struct tp_sock *s, struct tp_ctx *c);

int tp_dealer_connect(struct tp_sock **out, struct tp_ctx *c,
		      const char *endpoint,
		      const unsigned char server_pk[TP_KEY_LEN],
		      const unsigned char pk[TP_KEY_LEN],
		      const unsigned char sk[TP_KEY_LEN], size_t maxmsg)
{
	struct tp_sock *s = NULL;
	int ivl = 1000, ivl_max = 32000, rc;

	if ((rc = sock_new(&s, c, ZMQ_DEALER, maxmsg)) < 0)
		return rc;
	if (zmq_setsockopt(s->z, ZMQ_CURVE_SERVERKEY, server_pk, TP_KEY_LEN) ||
	    zmq_setsockopt(s->z, ZMQ_CURVE_PUBLICKEY, pk, TP_KEY_LEN) ||
	    zmq_setsockopt(s->z, ZMQ_CURVE_SECRETKEY, sk, TP_KEY_LEN)) {
		rc = zerr(ERR_INTERNAL, "cannot set up CURVE client");
		goto fail;
	}
	zmq_setsockopt(s->z, ZMQ_RECONNECT_IVL, &ivl, sizeof(ivl));
	zmq_setsockopt(s->z, ZMQ_RECONNECT_IVL_MAX, &ivl_max, sizeof(ivl_max));
	monitor_start(s, c); /* without it, only the reason is lost */
	if (zmq_connect(s->z, endpoint) != 0) {
		rc = err_set(ERR_INVALID, "cannot connect to '%s': %s",
			     endpoint, zmq_strerror(zmq_errno()));
		goto fail;
	}
	*out = s;
	return 0;
fail:
	tp_sock_close(s);
	return rc;
}

void tp_sock_close(struct tp_sock *s)
{
	if (!s)
		return;
	if (s->mon) {
		zmq_socket_monitor(s->z, NULL, 0);
		zmq_close(s->mon);
	}
	zmq_close(s->z);
	free(s);
}

/* Watches a client socket's CURVE handshakes, so a refusal by the server
 * (ZAP: key not enrolled, or revoked) can be told from silence. */
static void monitor_start(struct tp_sock *s, struct tp_ctx *c)
{
	char ep[64];

	snprintf(ep, sizeof(ep), "inproc://taphop-monitor-%p", (void *)s);
	if (zmq_socket_monitor(s->z, ep, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
			       ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
			       ZMQ_EVENT_HANDSHAKE_SUCCEEDED) != 0)
		return;
	s->mon = zmq_socket(c->zctx, ZMQ_PAIR);
	if (s->mon && zmq_connect(s->mon, ep) != 0) {
		zmq_close(s->mon);
		s->mon = NULL;
	}
}

int tp_handshake_event(struct tp_sock *s, int *status)
{
	int ev = 0;

	while (s->mon) {
		unsigned char hdr[6];
		char ep[256];
		int n = zmq_recv(s->mon, hdr, sizeof(hdr), ZMQ_DONTWAIT);

		if (n < 0)
			break;
		/* the second frame names the endpoint; not needed */
		(void)zmq_recv(s->mon, ep, sizeof(ep), 0);
		if (n < 6)
			continue;
		ev = hdr[0] | hdr[1] << 8;
		*status = (int)((uint32_t)hdr[2] | (uint32_t)hdr[3] << 8 |
				(uint32_t)hdr[4] << 16 | (uint32_t)hdr[5] << 24);
	}
	if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
		return TP_REFUSED;
	if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
		return TP_BAD_HANDSHAKE;
	if (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
		return TP_ACCEPTED;
	return 0;
}

int tp_poll(struct tp_sock *s, int timeout_ms)
{
	zmq_pollitem_t it = { s->z, 0, ZMQ_POLLIN, 0 };
	int n = zmq_poll(&it, 1, timeout_ms);

	if (n < 0) {
		if (zmq_errno() == EINTR)
			return 0;
		return zerr(ERR_IO, "poll failed");
	}
	return n > 0 && (it.revents & ZMQ_POLLIN);
}

/* Receives one frame into a fresh zmq_msg_t; 1 got, 0 none, <0 error. */
static int recv_frame(void *z, zmq_msg_t *f, int flags)
{
	zmq_msg_init(f);
	if (zmq_msg_recv(f, z, flags) >= 0)
		return 1;
	zmq_msg_close(f);
	if (zmq_errno() == EAGAIN || zmq_errno() == EINTR)
		return 0;
	return zerr(ERR_IO, "receive failed");
}

/* Drops the remaining frames of a multipart message. */
static void drain(void *z)
{
	int more = 1;
	size_t sz = sizeof(more);

	while (zmq_getsockopt(z, ZMQ_RCVMORE, &more, &sz) == 0 && more) {
		zmq_msg_t f;
		if (recv_frame(z, &f, 0) <= 0)
			return;
		zmq_msg_close(&f);
	}
}

int tp_recv(struct tp_sock *s, struct tp_msg *m)
{
	zmq_msg_t f;
	const char *uid;
	int rc;

	memset(m, 0, sizeof(*m));
	if (s->router) {
		if ((rc = recv_frame(s->z, &f, ZMQ_DONTWAIT)) <= 0)
			return rc;
		m->rid_len = zmq_msg_size(&f);
		if (m->rid_len > TP_RID_MAX)
			m->rid_len = TP_RID_MAX;
		memcpy(m->rid, zmq_msg_data(&f), m->rid_len);
		if (!zmq_msg_more(&f)) {
			zmq_msg_close(&f);
			return 0;
		}
		zmq_msg_close(&f);
		if ((rc = recv_frame(s->z, &f, 0)) <= 0)
			return rc;
	} else if ((rc = recv_frame(s->z, &f, ZMQ_DONTWAIT)) <= 0) {
		return rc;
	}
	uid = s->router ? zmq_msg_gets(&f, "User-Id") : NULL;
	if (uid)
		snprintf(m->user_id, sizeof(m->user_id), "%s", uid);
	m->len = zmq_msg_size(&f);
	m->data = malloc(m->len ? m->len : 1);
	if (!m->data) {
		zmq_msg_close(&f);
		drain(s->z);
		return err_set(ERR_NOMEM, "out of memory");
	}
	memcpy(m->data, zmq_msg_data(&f), m->len);
	zmq_msg_close(&f);
	drain(s->z); /* a peer sending extra frames gets them ignored */
	return 1;
}

int tp_send(struct tp_sock *s, const unsigned char *rid, size_t rid_len,
	    const unsigned char *data, size_t len)
{
	if (s->router && zmq_send(s->z, rid, rid_len,
				  ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
		goto fail;
	if (zmq_send(s->z, data, len, ZMQ_DONTWAIT) < 0)
		goto fail;
	return 0;
fail:
	if (zmq_errno() == EAGAIN)
		return err_set(ERR_BUSY, "peer queue full");
	if (zmq_errno() == EHOSTUNREACH)
		return err_set(ERR_NOTFOUND, "peer disconnected");
	return zerr(ERR_IO, "send failed");
}
