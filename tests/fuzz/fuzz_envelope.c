/*
 * fuzz_envelope.c - fuzz target for the sync codec (proto/codec.c): any
 * input must decode to a valid message or ERR_PROTOCOL, within budget,
 * and a decoded message must re-encode.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "proto/codec.h"

#include "replicas/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct codec_msg *m = NULL;
	unsigned char *out = NULL;
	size_t len;

	if (codec_decode(&m, data, size) == 0) {
		if (codec_encode(m->env, &out, &len) != 0)
			abort();
		free(out);
		codec_msg_free(m);
	}
	return 0;
}
