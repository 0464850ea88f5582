/*
 * err.c - per-thread last-error message.
 */
#include "replicas/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char msg[1024];
static _Thread_local int last;

int err_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	last = code;
	return code;
}

int err_wrap(int code, const char *fmt, ...)
{
	char prefix[512], old[sizeof(msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, msg, sizeof(old));
	snprintf(msg, sizeof(msg), "%.500s: %.500s", prefix, old);
	last = code;
	return code;
}

const char *err_msg(void)
{
	return msg;
}

int err_last(void)
{
	return last;
}

void err_clear(void)
{
	msg[0] = '\0';
	last = 0;
}

const char *err_name(int code)
{
	switch (code) {
	case ERR_OK: return "ok";
	case ERR_INTERNAL: return "internal";
	case ERR_NOMEM: return "out of memory";
	case ERR_INVALID: return "invalid";
	case ERR_NOTFOUND: return "not found";
	case ERR_EXISTS: return "exists";
	case ERR_IO: return "i/o";
	case ERR_DB: return "database";
	case ERR_CRYPTO: return "crypto";
	case ERR_SIGNATURE: return "bad signature";
	case ERR_GAP: return "sequence gap";
	case ERR_CHAIN: return "broken chain";
	case ERR_SCOPE: return "scope not allowed";
	case ERR_DUPLICATE: return "duplicate";
	case ERR_PROTOCOL: return "protocol";
	case ERR_BUSY: return "busy";
	case ERR_UNKNOWN_NODE: return "unknown node";
	case ERR_VERSION: return "version mismatch";
	case ERR_USAGE: return "usage";
	}
	return "error";
}
