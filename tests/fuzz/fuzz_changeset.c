/*
 * fuzz_changeset.c - fuzz target for the signed change-set decoder and for
 * store_apply on a real replica: no input may crash, leak or store
 * anything partial.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "replicas/changeset.h"
#include "replicas/err.h"
#include "replicas/store.h"
#include "replicas/node.h"

#include "replicas/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct node *hub;
static char dir[4096];

static void cleanup(void)
{
	char cmd[4200];

	node_close(hub);
	hub = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (dir[0] && system(cmd) != 0)
		fprintf(stderr, "fuzz: cannot remove %s\n", dir);
}

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");
	char path[4200];

	snprintf(dir, sizeof(dir), "%s/taphop-fuzz-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		abort();
	atexit(cleanup);
	snprintf(path, sizeof(path), "%s/hub", dir);
	if (node_init(path, STORE_ROLE_HUB, "binh-tan", NULL) ||
	    node_open(&hub, path)) {
		fprintf(stderr, "fuzz setup: %s\n", err_msg());
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct changeset *cs = NULL;
	struct apply_result res;

	if (!hub)
		setup();
	if (changeset_decode(&cs, data, size) == 0) {
		/* every decoded pointer must be readable */
		for (size_t i = 0; i < cs->nchanges; i++)
			for (size_t j = 0; j < cs->changes[i].nfields; j++)
				(void)cs->changes[i].fields[j].name[0];
		changeset_free(cs);
	}
	(void)store_apply(hub->store, data, size, &res);
	return 0;
}
