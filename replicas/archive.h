/*
 * archive.h - the node's git audit archive (libgit2).
 *
 * The archive is derived from the change-set log: archive_update() commits,
 * as signed git commits, every change-set stored in the replica since the
 * last one archived.  It is safe to call at any time, and after a crash.
 *
 * Layout of the bare repository n->dir/archive.git, branch ARCHIVE_BRANCH:
 *   changesets/<origin>/<scope>/<seq>.pb   the signed bytes, as stored
 *   records/<table>/<scope>/<xx>/<id>.json the record's resulting state,
 *                                          canonical JSON (record_json.h);
 *                                          xx = the id's last two characters
 * Records fan out by the random end of their UUIDv7 so that no tree holds
 * more than a few hundred entries at 100k records: a commit rewrites only
 * the trees on the paths it touches, so a flat directory of every record
 * would make each commit rewrite a multi-megabyte tree.
 * Each commit holds one run of consecutive change-sets (in this replica's
 * storing order) of one stream (origin and scope).  Author: the operator and
 * origin; committer: the archiving node; the message ends with trailers
 * Origin, Scope, Sequence ("first-last"), Changes, Operator, Reason and
 * Archive-Position (this replica's local_order of the last change-set
 * archived, which is how a restarted node knows where to resume).  Commits
 * are signed in SSHSIG format (sshsig.h, namespace "git") with the
 * archiving node's key; the branch only moves forward, by compare-and-swap.
 */
#ifndef TAPHOP_ARCHIVE_H
#define TAPHOP_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "replicas/node.h"

#define ARCHIVE_DIR "archive.git"
#define ARCHIVE_BRANCH "refs/heads/main"
#define ARCHIVE_PATH_MAX 512
#define ARCHIVE_EMAIL_DOMAIN "taphop.invalid"
#define ARCHIVE_FANOUT 2 /* characters of the bucket directory */

/* Brings n's archive (n->dir/archive.git, created if missing) up to date
 * with its change-set log.  Returns 0 or a negative code (err_msg()). */
int archive_update(struct node *n);

/* The local_order of the last change-set archived in n's archive (0 when
 * the archive is empty or missing). */
int archive_position(struct node *n, long long *out);

/* "changesets/<origin>/<scope>/<seq>.pb" into buf; ERR_INVALID when a code
 * is not a safe path component. */
int archive_changeset_path(char *buf, size_t sz, const char *origin,
			   const char *scope, uint64_t seq);

/* "records/<table>/<scope>/<xx>/<id>.json" into buf, xx being the id's
 * last two characters (ARCHIVE_FANOUT); ERR_INVALID likewise, or when the
 * id is shorter than that. */
int archive_record_path(char *buf, size_t sz, const char *table,
			const char *scope, const char *id);

#endif
