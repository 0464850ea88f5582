/*
 * log.h - the daemon's log: one line per event to stderr, with a level.
 *
 * Lines look like "2025-01-31T08:00:00.123Z taphopd[42] info: message" so
 * journald and a terminal both read them.  Callers never pass record
 * contents, operator reasons or secret keys: only codes, counts, stream
 * positions, addresses and public-key fingerprints (log_key_fpr).
 */
#ifndef TAPHOP_LOG_H
#define TAPHOP_LOG_H

#include <stddef.h>

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Parses "error", "warn", "info" or "debug"; ERR_INVALID otherwise. */
int log_level_parse(const char *text, enum log_level *out);
void log_set_level(enum log_level level);
int log_enabled(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* A short printable fingerprint of a public key (first 12 characters of
 * its base64) into out (>= 16 bytes). */
void log_key_fpr(const unsigned char pk[32], char *out, size_t outsz);

#endif
