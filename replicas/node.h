/*
 * node.h - a node's data directory: keys, config, replica, archive.
 *
 * Layout of a data directory (mode 0700):
 *   taphop.conf    INI config (see docs/protocol.md and README)
 *   node.key       secret keys, mode 0600: ed25519 signing + X25519 transport
 *   node.pub       public keys and the node's code (shareable)
 *   replica.db     the SQLite replica (WAL)
 *   archive.git/   the bare git audit archive
 *   taphopd.pid    held (locked) by a running daemon
 */
#ifndef TAPHOP_NODE_H
#define TAPHOP_NODE_H

#include "replicas/store.h"

struct keys {
	unsigned char sign_pk[32];
	unsigned char sign_sk[64];
	unsigned char box_pk[32];   /* X25519 (CURVE) transport key */
	unsigned char box_sk[32];
};

/* Makes fresh keys. */
int keys_generate(struct keys *k);
/* Writes node.key (0600) and node.pub into dir. */
int keys_write(const char *dir, const char *code, const struct keys *k);
/* Reads node.key and node.pub from dir; refuses a node.key readable by
 * group or others. */
int keys_read(const char *dir, struct keys *k);
/* Wipes secret material. */
void keys_wipe(struct keys *k);

/* Standard base64 of a 32-byte public key into out (>= 48 bytes). */
void keys_pk_to_text(const unsigned char pk[32], char *out, size_t outsz);
/* Parses such text (or standard base64) back; ERR_INVALID naming what. */
int keys_pk_from_text(const char *text, const char *what,
		      unsigned char pk[32]);

struct node {
	char *dir;
	struct store *store;
	struct keys keys;
};

/* The data directory: dir if given, else $TAPHOP_DIR, else
 * $XDG_DATA_HOME/taphop or ~/.local/share/taphop.  Malloc'd. */
char *node_dir_resolve(const char *dir);

/* Creates a data directory for a new node: keys, config, empty replica.
 * Refuses (ERR_EXISTS) if dir already holds a replica. */
int node_init(const char *dir, enum store_role role, const char *code,
	      const char *parent);

/* Opens the node in dir: keys and replica. */
int node_open(struct node **out, const char *dir);
void node_close(struct node *n);

/* Path of a file in the node's directory, malloc'd. */
char *node_path(const struct node *n, const char *file);

#endif
