/*
 * audit.h - verification and history of a node's audit archive.
 *
 * audit_verify() checks an archive (archive.h) from nothing but the
 * archive, the signers (an allowed-signers file, or a live node's enrolled
 * keys) and, when present, the live replica:
 *   - every commit is signed (SSHSIG, namespace "git") by a listed key whose
 *     principal is the archiving node, and is committed by it;
 *   - history is linear, and the last verified head (remembered in a state
 *     file) is an ancestor of the current head;
 *   - a commit only adds change-set files, and changes only the records its
 *     change-sets touch;
 *   - every change-set is signed by its origin's key, sits at its path, and
 *     each stream runs from seq 1 with no gap, duplicate or broken
 *     prev_digest chain;
 *   - replaying every change-set, in archive order, into an empty temporary
 *     replica reproduces the records tree at the head, and the live
 *     replica's digest and records when it is present (and the live replica
 *     holds no change-set the archive lacks).
 * Each failure is a finding, a line naming the commit, the stream and seq,
 * or the record and field.
 *
 * Signers files written by audit_signers_format() are valid git/OpenSSH
 * allowed-signers files (principal = node code); comment lines
 * "# taphop-node CODE ROLE PARENT BOXKEY" carry what a replay needs to know
 * about each node.
 */
#ifndef TAPHOP_AUDIT_H
#define TAPHOP_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "replicas/node.h"

#define AUDIT_STATE_FILE "audit.head"          /* in the data directory */
#define AUDIT_MIRROR_STATE_FILE "taphop-audit-head" /* in a --repo archive */

struct audit_opts {
	struct node *node;   /* the live node, or NULL (a mirror) */
	const char *repo;    /* the archive; NULL: node's archive.git */
	const char *signers; /* allowed-signers file; NULL: node's keys */
	const char *state;   /* last-verified-head file; NULL: default */
	const char *owner;   /* archiving node's code; NULL: node's, else
			      * the first commit's committer */
};

struct audit_summary {
	size_t commits;
	size_t changesets;
	size_t streams;
	size_t records;
	size_t findings;
	char owner[STORE_CODE_MAX];
	char head[41];      /* hex, "" when the archive is empty */
};

/* Called once per finding, a one-line message. */
typedef void (*audit_finding_cb)(void *ctx, const char *finding);

/*
 * Verifies the archive.  Returns 0 when the checks could run (then
 * sum->findings says whether it is clean; when it is, the head is
 * remembered in the state file), or a negative code when they could not
 * (no archive, unreadable signers file, ...).
 */
int audit_verify(const struct audit_opts *o, audit_finding_cb cb, void *ctx,
		 struct audit_summary *sum);

/* An allowed-signers file for every node s knows; *out malloc'd. */
int audit_signers_format(char **out, struct store *s);

/* One field changed by one change-set. */
struct audit_change {
	uint64_t hlc;
	const char *origin;
	const char *scope;
	uint64_t seq;
	const char *operator_name;
	const char *reason;  /* NULL if none */
	const char *table;
	const char *id;
	const char *field;   /* a column, or "_deleted" */
	const char *old_value; /* NULL: no value before */
	const char *new_value; /* NULL: no value */
};

typedef int (*audit_change_cb)(void *ctx, const struct audit_change *c);

/*
 * Every change to the record id (or a unique prefix of at least 8
 * characters) in s's change-set log, field by field, in merge order (HLC,
 * then origin), with the value each replaced.  Fields a change set to
 * their current value are left out.  ERR_NOTFOUND when no change-set
 * touches such a record.
 */
int audit_history(struct store *s, const char *id, audit_change_cb cb,
		  void *ctx);

#endif
