/*
 * budget.c - a capped arena for protobuf-c decoding (see budget.h).
 */
#include "proto/budget.h"

#include <stdint.h>
#include <stdlib.h>

#include "replicas/err.h"

#include "replicas/banned.h"

#define CHUNK (64u << 10)

struct chunk {
	struct chunk *next;
	size_t used, cap;
	max_align_t data[];
};

struct pb_budget {
	ProtobufCAllocator alloc;
	size_t left;
	struct chunk *chunks;
};

static void *budget_alloc(void *data, size_t size)
{
	struct pb_budget *b = data;
	struct chunk *c = b->chunks;
	size_t need = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	void *p;

	if (need < size || need > b->left)
		return NULL;
	if (!c || c->cap - c->used < need) {
		size_t cap = need > CHUNK ? need : CHUNK;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = b->chunks;
		b->chunks = c;
	}
	p = (char *)c->data + c->used;
	c->used += need;
	b->left -= need;
	return p;
}

static void budget_free(void *data, void *ptr)
{
	(void)data;
	(void)ptr; /* released with the whole budget */
}

int pb_budget_new(struct pb_budget **out, size_t limit)
{
	struct pb_budget *b = calloc(1, sizeof(*b));

	if (!b)
		return err_set(ERR_NOMEM, "out of memory");
	b->alloc.alloc = budget_alloc;
	b->alloc.free = budget_free;
	b->alloc.allocator_data = b;
	b->left = limit;
	*out = b;
	return 0;
}

ProtobufCAllocator *pb_budget_allocator(struct pb_budget *b)
{
	return &b->alloc;
}

void pb_budget_free(struct pb_budget *b)
{
	if (!b)
		return;
	while (b->chunks) {
		struct chunk *c = b->chunks;

		b->chunks = c->next;
		free(c);
	}
	free(b);
}
