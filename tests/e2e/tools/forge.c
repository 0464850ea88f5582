/*
 * forge.c - a misbehaving ward, for the sync daemon's end-to-end tests.
 *
 *   forge bulk DIR N             N local transactions of one person each
 *                                (N change-sets) in DIR's own scope
 *   forge send DIR ENDPOINT HUBKEY MODE [ARG]
 *       connects with DIR's transport keys, says hello, then per MODE:
 *       version   hello with protocol version 99
 *       badsig    the next unsent change-set with its signature altered
 *       gap       the change-set after the next unsent one (a hole)
 *       chain     the next one resealed with a wrong prev_digest
 *       scope     the next one resealed into scope ARG (another ward's)
 *       replay    every change-set of DIR's streams, shuffled, each twice
 *       value F V the next one resealed with field F set to V (added to
 *                 its last change if absent): a value breaking a rule
 *       refuse O/S CODE SEQ [REASON]   an Error{CODE} about stream O/S
 *                 at SEQ, as if DIR had refused a change-set the hub
 *                 relayed
 *       bighello N  a hello claiming N streams the hub never relayed
 *       next      the next unsent change-set, unchanged
 *       garbage | truncated | unknown | empty   malformed envelopes
 *       oversized an envelope larger than the hub's ZMQ_MAXMSGSIZE
 *   and prints every Error the hub answers as "error CODE REASON", and
 *   "acked N" for acknowledgements, until ~1.5 s pass without traffic.
 * Exit 0 when the exchange ran (the caller checks what was printed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/transport.h"
#include "proto/codec.h"
#include "replicas/changeset.h"
#include "replicas/err.h"
#include "replicas/node.h"
#include "replicas/schema.h"

#include "replicas/banned.h"

static int die(const char *what)
{
	fprintf(stderr, "forge: %s: %s\n", what, err_msg());
	return 1;
}

static int bulk(const char *dir, long n)
{
	const struct table_desc *t = schema_table_find("person");
	struct node *nd = NULL;
	const char *vals[SCHEMA_MAX_COLUMNS] = { 0 };
	char name[64];

	if (node_open(&nd, dir) < 0)
		return die("open");
	for (long i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "Nguyễn Văn Số %ld", i);
		vals[0] = store_node_code(nd->store);
		vals[1] = name;
		vals[2] = "2001-05-12";
		if (store_begin(nd->store, "forge", NULL) < 0 ||
		    store_insert(nd->store, t, vals, NULL, NULL) < 0 ||
		    store_commit(nd->store) < 0)
			return die("bulk");
	}
	node_close(nd);
	printf("sealed %ld change-sets\n", n);
	return 0;
}

static struct tp_sock *sock;

static int send_env(codec_env *env)
{
	unsigned char *buf;
	size_t len;

	if (codec_encode(env, &buf, &len) < 0)
		return -1;
	tp_send(sock, NULL, 0, buf, len);
	free(buf);
	return 0;
}

static int send_raw(const unsigned char *b, size_t len)
{
	return tp_send(sock, NULL, 0, b, len);
}

static int send_batch(unsigned char **cs, size_t *lens, size_t n,
		      uint64_t first)
{
	codec_env env = TAPHOP__SYNC__ENVELOPE__INIT;
	Taphop__Sync__ChangeSets b = TAPHOP__SYNC__CHANGE_SETS__INIT;
	ProtobufCBinaryData *items = calloc(n ? n : 1, sizeof(*items));
	int rc;

	for (size_t i = 0; i < n; i++) {
		items[i].data = cs[i];
		items[i].len = lens[i];
	}
	b.first = first;
	b.n_changesets = n;
	b.changesets = items;
	env.msg_case = TAPHOP__SYNC__ENVELOPE__MSG_CHANGESETS;
	env.changesets = &b;
	rc = send_env(&env);
	free(items);
	return rc;
}

/* Reads and prints messages until quiet for ms; returns the welcome's
 * head of (origin, scope) through *head when one arrives. */
static void drain(int ms, const char *origin, const char *scope,
		  uint64_t *head, int *welcomed)
{
	for (;;) {
		struct tp_msg m;
		struct codec_msg *cm = NULL;

		if (tp_poll(sock, ms) <= 0)
			return;
		while (tp_recv(sock, &m) > 0) {
			if (codec_decode(&cm, m.data, m.len) == 0) {
				const codec_env *e = cm->env;
				if (e->msg_case == TAPHOP__SYNC__ENVELOPE__MSG_ERROR)
					printf("error %d %s\n", e->error->code,
					       e->error->reason);
				else if (e->msg_case == TAPHOP__SYNC__ENVELOPE__MSG_ACK)
					printf("acked %zu\n", e->ack->n_streams);
				else if (e->msg_case == TAPHOP__SYNC__ENVELOPE__MSG_WELCOME) {
					*welcomed = 1;
					for (size_t i = 0; i < e->welcome->n_knowledge; i++) {
						Taphop__Sync__StreamPos *p = e->welcome->knowledge[i];
						if (strcmp(p->origin, origin) == 0 &&
						    strcmp(p->scope, scope) == 0)
							*head = p->seq;
					}
					printf("welcome\n");
				}
				codec_msg_free(cm);
			}
			tp_msg_release(&m);
		}
		fflush(stdout);
		if (*welcomed == 1) {
			*welcomed = 2; /* back to the caller at once */
			return;
		}
	}
}

static int reseal(struct node *nd, const unsigned char *b, size_t len,
		  const char *scope, int bad_chain, const char *fname,
		  const char *fval, unsigned char **out, size_t *outlen)
{
	int fset = 0;

	struct changeset *cs = NULL, c;
	struct cs_change *ch = NULL;
	struct cs_field *fl = NULL;
	unsigned char dig[32];
	size_t nf = 0, k = 0;

	if (changeset_decode(&cs, b, len) < 0)
		return -1;
	c = *cs;
	for (size_t i = 0; i < c.nchanges; i++)
		nf += c.changes[i].nfields;
	ch = calloc(c.nchanges + 1, sizeof(*ch));
	fl = calloc(nf + 1, sizeof(*fl));
	for (size_t i = 0; i < c.nchanges; i++) {
		ch[i] = c.changes[i];
		ch[i].fields = &fl[k];
		for (size_t j = 0; j < c.changes[i].nfields; j++, k++) {
			fl[k] = c.changes[i].fields[j];
			if (scope && strcmp(fl[k].name, "ward") == 0)
				fl[k].value = scope;
			if (fname && strcmp(fl[k].name, fname) == 0) {
				fl[k].value = fval;
				fset = 1;
			}
		}
	}
	if (fname && !fset && c.nchanges) {
		/* the last change's fields end the array: append there */
		fl[k].name = fname;
		fl[k].value = fval;
		ch[c.nchanges - 1].nfields++;
	}
	c.changes = ch;
	if (scope) {
		c.scope = scope;
		c.seq = 1;
		c.nknowledge = 0;
		memset(c.prev_digest, 0, sizeof(c.prev_digest));
	}
	if (bad_chain)
		memset(c.prev_digest, 0x5a, sizeof(c.prev_digest));
	if (changeset_seal(&c, nd->keys.sign_sk, out, outlen, dig) < 0)
		return -1;
	free(ch);
	free(fl);
	changeset_free(cs);
	return 0;
}

static int do_send(const char *dir, const char *ep, const char *hubkey,
		   const char *mode, const char *arg, char **extra,
		   int argc_extra)
{
	codec_env env = TAPHOP__SYNC__ENVELOPE__INIT;
	Taphop__Sync__Hello hello = TAPHOP__SYNC__HELLO__INIT;
	struct tp_ctx *ctx = NULL;
	struct node *nd = NULL;
	unsigned char hpk[32], *b = NULL, *b2 = NULL;
	const char *self;
	uint64_t head = 0;
	size_t len = 0, len2 = 0;
	int welcomed = 0;

	if (node_open(&nd, dir) < 0 || keys_pk_from_text(hubkey, "hub key", hpk) < 0)
		return die("setup");
	self = store_node_code(nd->store);
	if (tp_ctx_new(&ctx) < 0 ||
	    tp_dealer_connect(&sock, ctx, ep, hpk, nd->keys.box_pk,
			      nd->keys.box_sk, 64u << 20) < 0)
		return die("connect");
	hello.protocol_version = strcmp(mode, "version") == 0 ? 99 : CODEC_PROTOCOL_VERSION;
	hello.schema_version = SCHEMA_VERSION;
	hello.node = (char *)self;
	hello.credit = 1000000;
	if (strcmp(mode, "bighello") == 0) {
		size_t n = arg ? strtoul(arg, NULL, 10) : 100000;
		Taphop__Sync__StreamPos *pos = calloc(n ? n : 1, sizeof(*pos));
		char (*names)[2][24] = calloc(n ? n : 1, sizeof(*names));

		hello.knowledge = calloc(n ? n : 1, sizeof(*hello.knowledge));
		for (size_t i = 0; i < n; i++) {
			taphop__sync__stream_pos__init(&pos[i]);
			snprintf(names[i][0], sizeof(names[i][0]), "o-%zu", i);
			snprintf(names[i][1], sizeof(names[i][1]), "s-%zu", i);
			pos[i].origin = names[i][0];
			pos[i].scope = names[i][1];
			pos[i].seq = i + 1;
			hello.knowledge[i] = &pos[i];
		}
		hello.n_knowledge = n;
	}
	env.msg_case = TAPHOP__SYNC__ENVELOPE__MSG_HELLO;
	env.hello = &hello;
	send_env(&env);
	drain(3000, self, self, &head, &welcomed);
	if (!welcomed) {
		printf("no welcome\n");
		goto out;
	}
	if (strcmp(mode, "bighello") == 0) {
		printf("hello with %zu streams\n", hello.n_knowledge);
	} else if (strcmp(mode, "refuse") == 0) {
		Taphop__Sync__Error er = TAPHOP__SYNC__ERROR__INIT;
		char o[64];
		const char *sl = arg ? strchr(arg, '/') : NULL;

		if (!sl || argc_extra < 2) {
			fprintf(stderr, "forge: refuse ORIGIN/SCOPE CODE SEQ\n");
			return 2;
		}
		snprintf(o, sizeof(o), "%.*s", (int)(sl - arg), arg);
		er.code = (Taphop__Sync__Error__Code)atoi(extra[0]);
		er.reason = argc_extra > 2 ? extra[2] : "forged refusal";
		er.origin = o;
		er.scope = (char *)(sl + 1);
		er.has_seq = 1;
		er.seq = strtoull(extra[1], NULL, 10);
		memset(&env, 0, sizeof(env));
		taphop__sync__envelope__init(&env);
		env.msg_case = TAPHOP__SYNC__ENVELOPE__MSG_ERROR;
		env.error = &er;
		send_env(&env);
		printf("refused %s\n", arg);
	} else if (strcmp(mode, "badsig") == 0 || strcmp(mode, "chain") == 0 ||
	    strcmp(mode, "scope") == 0 || strcmp(mode, "gap") == 0 ||
	    strcmp(mode, "value") == 0 || strcmp(mode, "next") == 0) {
		uint64_t seq = head + (strcmp(mode, "gap") == 0 ? 2 : 1);
		if (store_changeset_get(nd->store, self, self, seq, &b, &len) < 0)
			return die("no unsent change-set in DIR");
		if (strcmp(mode, "badsig") == 0)
			b[len - 1] ^= 0x01;
		if (strcmp(mode, "chain") == 0 || strcmp(mode, "scope") == 0 ||
		    strcmp(mode, "value") == 0) {
			int val = strcmp(mode, "value") == 0;

			if (val && argc_extra < 1) {
				fprintf(stderr, "forge: value FIELD VALUE\n");
				return 2;
			}
			if (reseal(nd, b, len, strcmp(mode, "scope") == 0 ? arg : NULL,
				   strcmp(mode, "chain") == 0, val ? arg : NULL,
				   val ? extra[0] : NULL, &b2, &len2) < 0)
				return die("reseal");
			free(b);
			b = b2;
			len = len2;
		}
		send_batch(&b, &len, 1, 0);
	} else if (strcmp(mode, "replay") == 0) {
		struct stream_head *h = NULL;
		size_t nh = 0, n = 0, cap = 0;
		unsigned char **v = NULL;
		size_t *lv = NULL;

		store_streams(nd->store, NULL, &h, &nh);
		for (size_t i = 0; i < nh; i++) {
			if (strcmp(h[i].origin, self) != 0)
				continue;
			for (uint64_t s = 1; s <= h[i].seq; s++) {
				if (n + 2 > cap) {
					cap = cap ? cap * 2 : 64;
					v = realloc(v, cap * sizeof(*v));
					lv = realloc(lv, cap * sizeof(*lv));
				}
				store_changeset_get(nd->store, h[i].origin, h[i].scope,
						    s, &v[n], &lv[n]);
				v[n + 1] = v[n];
				lv[n + 1] = lv[n];
				n += 2;
			}
		}
		srand((unsigned)time(NULL));
		for (size_t i = n; i > 1; i--) {
			size_t j = (size_t)rand() % i;
			unsigned char *t = v[i - 1];
			size_t tl = lv[i - 1];
			v[i - 1] = v[j], lv[i - 1] = lv[j];
			v[j] = t, lv[j] = tl;
		}
		for (size_t i = 0; i < n; i += 7)
			send_batch(v + i, lv + i, n - i < 7 ? n - i : 7, i);
		/* free each distinct buffer once: pairs share one */
		free(h);
		printf("replayed %zu\n", n);
	} else {
		static const unsigned char garbage[] = { 0xff, 0xff, 0xff, 0x0f, 0x42 };
		static const unsigned char unknown[] = { 0x32, 0x02, 0x08, 0x01, 0xa0, 0x06, 0x01 };
		static const unsigned char truncated[] = { 0x0a, 0x40, 0x08, 0x01 };
		if (strcmp(mode, "garbage") == 0)
			send_raw(garbage, sizeof(garbage));
		else if (strcmp(mode, "unknown") == 0)
			send_raw(unknown, sizeof(unknown));
		else if (strcmp(mode, "truncated") == 0)
			send_raw(truncated, sizeof(truncated));
		else if (strcmp(mode, "empty") == 0)
			send_raw(garbage, 0);
		else if (strcmp(mode, "oversized") == 0) {
			size_t big = CODEC_MAX_MSG + 4096;
			unsigned char *p = calloc(1, big);
			send_raw(p, big);
			free(p);
		} else {
			fprintf(stderr, "forge: unknown mode '%s'\n", mode);
			return 2;
		}
	}
	drain(1500, self, self, &head, &welcomed);
out:
	free(b);
	tp_sock_close(sock);
	tp_ctx_free(ctx);
	node_close(nd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "bulk") == 0)
		return bulk(argv[2], strtol(argv[3], NULL, 10));
	if (argc >= 6 && strcmp(argv[1], "send") == 0)
		return do_send(argv[2], argv[3], argv[4], argv[5],
			       argc > 6 ? argv[6] : NULL, argv + 7,
			       argc > 7 ? argc - 7 : 0);
	fprintf(stderr, "usage: forge bulk DIR N | forge send DIR ENDPOINT "
			"HUBKEY MODE [ARG]\n");
	return 2;
}
