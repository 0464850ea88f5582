/*
 * budget.h - the protobuf-c allocator for decoding what a peer sent.
 *
 * Allocations are carved out of large chunks and charged against a limit
 * given at creation (a few times the input's size), so no input can make a
 * decoder allocate without bound; everything is released at once by
 * pb_budget_free, so a decoded message is never freed piece by piece.
 */
#ifndef TAPHOP_PROTO_BUDGET_H
#define TAPHOP_PROTO_BUDGET_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

struct pb_budget;

/* A budget of at most limit bytes; ERR_NOMEM on failure. */
int pb_budget_new(struct pb_budget **out, size_t limit);

/* The allocator to hand to protobuf-c's unpack.  Borrowed. */
ProtobufCAllocator *pb_budget_allocator(struct pb_budget *b);

/* Releases every allocation made through b, and b; NULL is a no-op. */
void pb_budget_free(struct pb_budget *b);

#endif
