/*
 * codec.h - bounded encoding and decoding of the sync protocol's Envelope
 * (proto/sync.proto).
 *
 * Decoding never trusts its input: at most CODEC_MAX_MSG bytes, a budgeted
 * allocator (a few times the input size), no unknown fields anywhere,
 * exactly one message of the oneof set, valid UTF-8 and sane lengths in
 * every string, 32-byte keys, known error codes, bounded counts.  Anything
 * else is ERR_PROTOCOL with a message naming what is wrong.  Whatever the
 * input, decoding allocates no more than its budget and never crashes.
 */
#ifndef TAPHOP_CODEC_H
#define TAPHOP_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "proto/sync.pb-c.h"

#define CODEC_PROTOCOL_VERSION 1
#define CODEC_MAX_MSG (20u << 20)     /* one Envelope on the wire */
#define CODEC_MAX_ITEMS 100000        /* entries of any repeated field */
#define CODEC_MAX_CODE 63             /* bytes of a node or scope code */
#define CODEC_MAX_REASON 1024         /* bytes of an error's reason */

typedef Taphop__Sync__Envelope codec_env;

/* A decoded Envelope and the allocator that owns it. */
struct codec_msg {
	codec_env *env;
	void *priv;
};

/* Decodes and validates one Envelope.  *out belongs to the caller
 * (codec_msg_free); untouched on failure (ERR_PROTOCOL, ERR_NOMEM). */
int codec_decode(struct codec_msg **out, const unsigned char *buf,
		 size_t len);

/* Frees a decoded message; NULL is a no-op. */
void codec_msg_free(struct codec_msg *m);

/* Serialises env; *out is malloc'd.  Fails with ERR_PROTOCOL if the
 * result would exceed CODEC_MAX_MSG. */
int codec_encode(const codec_env *env, unsigned char **out, size_t *len);

/*
 * Writes into out a reason fit for an Error on the wire, sync_parked and
 * logs: for code ERR_INVALID the value a validation message quotes is
 * withheld (values may be sensitive, e.g. an ethnicity), only the field and
 * the rule are kept ("field 'x': the value (withheld) is not ...").  Other
 * codes' messages are copied.  out always ends with a NUL.
 */
void codec_reason_clean(char *out, size_t outsz, int code, const char *msg);

/* A printable name of a message case ("hello", "ack", ...). */
const char *codec_msg_name(const codec_env *env);

#endif
