/*
 * workload.h - seeded random data for tests, benchmarks and demos:
 * realistic Vietnamese names with diacritics (NFC), birth dates of young
 * people, valid CCCD numbers (real province code, the century/gender digit
 * and the birth year in place), Vietnamese mobile numbers, Bình Tân
 * addresses, partners and activities, and a generic random value for any
 * declared column.
 *
 * Everything is deterministic given the seed (struct wl_rng, splitmix64);
 * nothing here reads the clock except wl_seed() when no seed is given.
 * Every value produced is valid for its column per validate.h and already
 * in canonical form, so a test may compare it with what the store keeps.
 */
#ifndef TAPHOP_WORKLOAD_H
#define TAPHOP_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "replicas/schema.h"

#define WL_VALUE_MAX 256 /* enough for every value made here, with NUL */

struct wl_rng {
	uint64_t s;
};

/* The seed from $TAPHOP_SEED (decimal or 0x hex) when set, else one made
 * from the clock and the pid.  Callers print it so a failure reproduces. */
uint64_t wl_seed(void);

void wl_rng_init(struct wl_rng *r, uint64_t seed);
uint64_t wl_next(struct wl_rng *r);
/* Uniform in [0, n); n 0 gives 0. */
uint32_t wl_below(struct wl_rng *r, uint32_t n);
/* 1 with probability pct/100. */
int wl_chance(struct wl_rng *r, unsigned pct);
/* Fisher-Yates over n elements of size sz. */
void wl_shuffle(struct wl_rng *r, void *base, size_t n, size_t sz);

/* A random Bình Tân ward code (schema_ward_codes). */
const char *wl_ward(struct wl_rng *r);

/* "Nguyễn Thị Thu Hương": family name, middle name(s), given name that
 * suits the gender. */
void wl_full_name(struct wl_rng *r, int female, char *out, size_t sz);

/* YYYY-MM-DD, a real date with the year in [y0, y1]. */
void wl_date(struct wl_rng *r, int y0, int y1, char *out, size_t sz);

/* A 12-digit CCCD: province code (mostly 079, Hồ Chí Minh, else the
 * provinces people move to Bình Tân from), century/gender digit, the two
 * last digits of the birth year of birth_date (YYYY-MM-DD), 6 digits. */
void wl_citizen_id(struct wl_rng *r, const char *birth_date, int female,
		   char *out, size_t sz);

/* A Vietnamese mobile number 0xxxxxxxxx with a real carrier prefix. */
void wl_phone(struct wl_rng *r, char *out, size_t sz);

/* "127/4 Tên Lửa, khu phố 3" */
void wl_address(struct wl_rng *r, char *out, size_t sz);

/* A partner's name and the matching partner kind (enum value). */
void wl_partner(struct wl_rng *r, char *name, size_t sz, const char **kind);

/* An activity title, e.g. "Ngày Chủ nhật xanh tháng 3". */
void wl_activity_title(struct wl_rng *r, char *out, size_t sz);

/*
 * A random valid value for column ci of t, fitting the column's meaning
 * where the workload knows it (full_name, phone, address, ...), else by
 * type.  COL_SCOPE gives a ward code; COL_REF has no random value: returns
 * 1 and leaves out empty.  Returns 0 otherwise.
 */
int wl_value(struct wl_rng *r, const struct table_desc *t, int ci, char *out,
	     size_t sz);

/* One row of values for store_insert: vals[i] points into buf[i] or is
 * NULL (not given). */
struct wl_row {
	const struct table_desc *t;
	const char *vals[SCHEMA_MAX_COLUMNS];
	char buf[SCHEMA_MAX_COLUMNS][WL_VALUE_MAX];
};

/* A person of ward scope: coherent name/gender, birth date 1994..2010,
 * citizen id matching both, and most optional fields filled. */
void wl_row_person(struct wl_rng *r, const char *scope, struct wl_row *row);

/*
 * A row of any table in scope: every required column and each optional
 * one with probability fill_pct; COL_REF columns are left NULL (the caller
 * sets ids of records it knows, at least for required ones).  Uses
 * wl_row_person for person.
 */
void wl_row_random(struct wl_rng *r, const struct table_desc *t,
		   const char *scope, unsigned fill_pct, struct wl_row *row);

/* Points row->vals[ci] at a copy of v (NULL: not given). */
void wl_row_set(struct wl_row *row, int ci, const char *v);

#endif
