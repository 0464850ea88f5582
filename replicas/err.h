/*
 * err.h - the project's error codes and the last-error message.
 *
 * Every function that can fail returns 0 or one of the negative codes below
 * and records a message where the failure is detected, with err_set().  The
 * message is per thread and is read with err_msg() until the next err_set().
 * Library code never prints; only main() functions print err_msg().
 */
#ifndef TAPHOP_ERR_H
#define TAPHOP_ERR_H

enum err_code {
	ERR_OK = 0,
	ERR_INTERNAL = -1, /* a bug or an unexpected library failure */
	ERR_NOMEM = -2,
	ERR_INVALID = -3,  /* bad input from a user, a file or a peer */
	ERR_NOTFOUND = -4,
	ERR_EXISTS = -5,   /* e.g. a citizen id already registered */
	ERR_IO = -6,
	ERR_DB = -7,
	ERR_CRYPTO = -8,
	ERR_SIGNATURE = -9, /* a signature does not verify */
	ERR_GAP = -10,      /* a change-set's sequence is past the next one */
	ERR_CHAIN = -11,    /* prev_digest does not match the stream's head */
	ERR_SCOPE = -12,    /* the origin may not write that scope */
	ERR_DUPLICATE = -13,/* already applied (callers may treat as success) */
	ERR_PROTOCOL = -14, /* a malformed or unexpected message */
	ERR_BUSY = -15,     /* e.g. a data directory already in use */
	ERR_UNKNOWN_NODE = -16, /* origin not enrolled / key unknown */
	ERR_VERSION = -17,  /* schema or protocol version mismatch */
	ERR_USAGE = -18,
};

/* Records a message for the calling thread and returns code. printf-style. */
int err_set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prefixes the current message with "prefix: ", keeping the code. */
int err_wrap(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The calling thread's last message ("" if none). Borrowed. */
const char *err_msg(void);

/* The calling thread's last code. */
int err_last(void);

/* A short name for a code ("invalid", "signature", ...). */
const char *err_name(int code);

void err_clear(void);

#endif
