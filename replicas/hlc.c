/*
 * hlc.c - hybrid logical clock (see hlc.h for the invariants).
 */
#include "replicas/hlc.h"

#include <stdio.h>
#include <time.h>

uint64_t hlc_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t hlc_tick(struct hlc *c, uint64_t wall_ms)
{
	uint64_t wall = (wall_ms & 0xffffffffffffull) << 16;

	if (wall > c->last)
		c->last = wall;
	else
		c->last++; /* counter overflow carries into the ms: still monotonic */
	return c->last;
}

void hlc_observe(struct hlc *c, uint64_t remote)
{
	if (remote > c->last)
		c->last = remote;
}

void hlc_format(uint64_t h, char *buf, int bufsz)
{
	uint64_t ms = HLC_MS(h);
	time_t secs = (time_t)(ms / 1000u);
	struct tm tm;
	char date[32];

	gmtime_r(&secs, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	if (HLC_COUNTER(h))
		snprintf(buf, (size_t)bufsz, "%s.%03uZ+%u", date,
			 (unsigned)(ms % 1000u), (unsigned)HLC_COUNTER(h));
	else
		snprintf(buf, (size_t)bufsz, "%s.%03uZ", date,
			 (unsigned)(ms % 1000u));
}
