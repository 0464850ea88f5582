/*
 * role.h - the two event loops of taphopd.  Each runs until *stop is set
 * (by SIGTERM/SIGINT), syncing at once when *nudge is set (SIGUSR1, sent
 * by `taphop sync`), and returns 0 on a clean stop.  Each takes ctx and
 * frees it before returning (the hub's ZAP thread must stop first).
 */
#ifndef TAPHOP_ROLE_H
#define TAPHOP_ROLE_H

#include <signal.h>

#include "daemon/sync.h"

int hub_run(struct sync_env *e, struct tp_ctx *ctx,
	    volatile sig_atomic_t *stop, volatile sig_atomic_t *nudge);
int ward_run(struct sync_env *e, struct tp_ctx *ctx,
	     volatile sig_atomic_t *stop, volatile sig_atomic_t *nudge);

/* Fills a Welcome's roster from the nodes this replica knows; *out is one
 * malloc'd block (free it alone). */
int role_roster(struct store *s, Taphop__Sync__RosterEntry ***out,
		size_t *n, struct node_info **nodes);

#endif
