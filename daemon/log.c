/*
 * log.c - leveled logging to stderr for taphopd.
 *
 * One fprintf per line (stderr is unbuffered, so lines from the ZAP thread
 * and the main loop do not interleave mid-line).
 */
#include "daemon/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "replicas/err.h"
#include "replicas/node.h"

#include "replicas/banned.h"

static enum log_level current = LOG_INFO;

static const char *const names[] = { "error", "warn", "info", "debug" };

int log_level_parse(const char *text, enum log_level *out)
{
	for (int i = 0; i <= LOG_DEBUG; i++) {
		if (strcmp(text, names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (strcmp(text, "warning") == 0) {
		*out = LOG_WARN;
		return 0;
	}
	return err_set(ERR_INVALID,
		       "log level '%s' is not one of: error, warn, info, debug",
		       text);
}

void log_set_level(enum log_level level)
{
	current = level;
}

int log_enabled(enum log_level level)
{
	return level <= current;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[1024], stamp[32];
	struct timeval tv;
	struct tm tm;
	va_list ap;

	if (!log_enabled(level))
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s.%03ldZ taphopd[%ld] %s: %s\n", stamp,
		(long)(tv.tv_usec / 1000), (long)getpid(), names[level], line);
}

void log_key_fpr(const unsigned char pk[32], char *out, size_t outsz)
{
	char text[64];

	keys_pk_to_text(pk, text, sizeof(text));
	snprintf(out, outsz, "%.12s", text);
}
