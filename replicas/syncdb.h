/*
 * syncdb.h - the sync state kept in the replica file: parked streams
 * and what each peer has acknowledged.  Kept in two tables beside the
 * store's (sync_parked, sync_acked), reached through store_db(), so that
 * `taphop status` can read them while the daemon is down.
 *
 *   sync_parked(peer, origin, scope, seq, code, reason, at_ms)
 *       a stream refused by the hub (or refused from the hub): nothing of
 *       (origin, scope) from seq on is sent or applied until an officer
 *       clears it (`taphop sync --unpark ORIGIN/SCOPE`).
 *   sync_acked(peer, origin, scope, seq)
 *       the highest sequence of (origin, scope) peer acknowledged durable.
 */
#ifndef TAPHOP_SYNCDB_H
#define TAPHOP_SYNCDB_H

#include <stdint.h>

#include "replicas/store.h"

int syncdb_init(struct store *s);

int syncdb_park(struct store *s, const char *peer, const char *origin,
		const char *scope, uint64_t seq, const char *code,
		const char *reason);

/* Calls cb for each parked stream; stops early when cb returns non-zero. */
typedef int (*syncdb_parked_cb)(void *ctx, const char *peer,
				const char *origin, const char *scope,
				uint64_t seq, const char *code,
				const char *reason);
int syncdb_parked(struct store *s, syncdb_parked_cb cb, void *ctx);

/* Records that peer holds (origin, scope) up to seq (never lowers it). */
int syncdb_ack(struct store *s, const char *peer, const char *origin,
	       const char *scope, uint64_t seq);

/* Sets peer's position exactly (what its hello or welcome said). */
int syncdb_ack_set(struct store *s, const char *peer, const char *origin,
		   const char *scope, uint64_t seq);

/* What peer has acknowledged of (origin, scope): 0 if nothing recorded
 * (or no daemon ever ran here). */
uint64_t syncdb_acked(struct store *s, const char *peer, const char *origin,
		      const char *scope);

/* Clears the parking of (origin, scope); *cleared = rows removed. */
int syncdb_unpark(struct store *s, const char *origin, const char *scope,
		  int *cleared);

/* SQLite's data_version: changes when another connection commits. */
int syncdb_data_version(struct store *s, long long *out);

#endif
