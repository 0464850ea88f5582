/*
 * testnode.h - helpers shared by unit tests and benchmarks: in-process
 * replicas in a temporary directory, wired to know each other's keys.
 */
#ifndef TAPHOP_TESTNODE_H
#define TAPHOP_TESTNODE_H

#include "replicas/node.h"

/* A growing buffer of NUL-terminated strings addressed by offset (how the
 * benchmarks keep their pre-generated rows compact). */
struct tn_strings {
	char *buf;
	size_t len, cap;
};

/* Appends s; returns its offset.  Aborts when out of memory. */
uint32_t tn_strings_put(struct tn_strings *p, const char *s);

/* A fresh temporary directory (mkdtemp), malloc'd. */
char *tn_tmpdir(void);

/* Removes a directory tree (rm -rf). */
void tn_rmtree(const char *dir);

/* Creates and opens a node in dir/<code>. role hub: parent ignored. */
struct node *tn_node(const char *dir, enum store_role role, const char *code,
		     const char *parent);

/* Registers each node's keys in every other node (enrollment). */
void tn_introduce(struct node **nodes, int n);

/* Copies every change-set of from that to lacks (by stream heads) into to
 * with store_apply, in storing order; returns the number applied or -1. */
int tn_sync(struct node *from, struct node *to, const char *scope);

#endif
