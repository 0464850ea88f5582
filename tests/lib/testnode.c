/*
 * testnode.c - see testnode.h.
 */
#include "tests/lib/testnode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replicas/err.h"

#include "replicas/banned.h"

uint32_t tn_strings_put(struct tn_strings *p, const char *s)
{
	size_t n = strlen(s) + 1;
	uint32_t at;

	if (p->len + n > p->cap) {
		char *b;

		p->cap = (p->cap + n) * 2;
		b = realloc(p->buf, p->cap);
		if (!b) {
			fprintf(stderr, "tn_strings_put: out of memory\n");
			abort();
		}
		p->buf = b;
	}
	at = (uint32_t)p->len;
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	return at;
}

char *tn_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s/taphop-test-XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(buf)) {
		perror("mkdtemp");
		abort();
	}
	return strdup(buf);
}

void tn_rmtree(const char *dir)
{
	char cmd[4200];

	if (!dir || !*dir || strcmp(dir, "/") == 0)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: cannot remove %s\n", dir);
}

struct node *tn_node(const char *dir, enum store_role role, const char *code,
		     const char *parent)
{
	char path[4096];
	struct node *n = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, code);
	if (node_init(path, role, code, parent) || node_open(&n, path)) {
		fprintf(stderr, "tn_node %s: %s\n", code, err_msg());
		abort();
	}
	return n;
}

void tn_introduce(struct node **nodes, int n)
{
	for (int i = 0; i < n; i++) {
		struct node_info self;

		if (store_node_get(nodes[i]->store, store_node_code(nodes[i]->store),
				   &self))
			abort();
		for (int j = 0; j < n; j++)
			if (j != i && store_node_put(nodes[j]->store, &self))
				abort();
	}
}

struct sync_ctx {
	struct node *to;
	struct stream_head *heads;
	size_t nheads;
	int applied;
	int failed;
};

static uint64_t held(struct sync_ctx *x, const char *origin, const char *scope)
{
	for (size_t i = 0; i < x->nheads; i++)
		if (!strcmp(x->heads[i].origin, origin) &&
		    !strcmp(x->heads[i].scope, scope))
			return x->heads[i].seq;
	return 0;
}

static int sync_one(void *ctx, const struct changeset_info *ci,
		    const unsigned char *bytes, size_t len)
{
	struct sync_ctx *x = ctx;
	struct apply_result res;

	if (ci->seq <= held(x, ci->origin, ci->scope))
		return 0;
	if (store_apply(x->to->store, bytes, len, &res)) {
		fprintf(stderr, "tn_sync: %s\n", err_msg());
		x->failed = 1;
		return 1;
	}
	x->applied += !res.duplicate;
	return 0;
}

int tn_sync(struct node *from, struct node *to, const char *scope)
{
	struct sync_ctx x = { to, NULL, 0, 0, 0 };

	if (store_streams(to->store, NULL, &x.heads, &x.nheads))
		return -1;
	if (store_batch_begin(to->store)) {
		free(x.heads);
		return -1;
	}
	store_changesets(from->store, 0, NULL, scope, sync_one, &x);
	free(x.heads);
	if (x.failed) {
		store_batch_rollback(to->store);
		return -1;
	}
	if (store_batch_commit(to->store))
		return -1;
	return x.applied;
}
