/*
 * hlc.h - hybrid logical clock.
 *
 * A stamp is 64 bits: the high 48 bits are milliseconds since 1970 (UTC),
 * the low 16 bits a counter.  hlc_tick() never returns a value less than or
 * equal to any value it returned or observed before, even when the wall
 * clock steps back.  The last value is persisted by the store so this holds
 * across restarts too.
 */
#ifndef TAPHOP_HLC_H
#define TAPHOP_HLC_H

#include <stdint.h>

struct hlc {
	uint64_t last;
};

#define HLC_MS(h) ((h) >> 16)
#define HLC_COUNTER(h) ((h) & 0xffffu)

/* Wall clock in ms since 1970 (CLOCK_REALTIME). */
uint64_t hlc_wall_ms(void);

/* A new stamp for a local event at wall time wall_ms. */
uint64_t hlc_tick(struct hlc *c, uint64_t wall_ms);

/* Takes note of a stamp received from elsewhere. */
void hlc_observe(struct hlc *c, uint64_t remote);

/* Formats a stamp as "2026-11-26T14:03:07.123Z+5" (counter after '+',
 * omitted when 0) into buf (>= 40 bytes). */
void hlc_format(uint64_t h, char *buf, int bufsz);

#endif
