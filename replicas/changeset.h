/*
 * changeset.h - decoding, sealing and verifying signed change-sets.
 *
 * This module wraps protobuf-c: nothing else in replicas/ includes the
 * generated code for proto/changeset.proto.  Decoding is bounded: at most
 * CHANGESET_MAX_BYTES of input, a budgeted allocator, no unknown fields,
 * valid UTF-8 in every string, sane counts; a bad input is ERR_PROTOCOL with
 * a message naming what is wrong.
 *
 * The signature is Ed25519 over "taphop-changeset-v1\0" || SHA-256(body);
 * SHA-256(body) is the change-set's digest (the next one's prev_digest).
 */
#ifndef TAPHOP_CHANGESET_H
#define TAPHOP_CHANGESET_H

#include <stddef.h>
#include <stdint.h>

#define CHANGESET_MAX_BYTES (16u << 20)  /* one signed change-set */
#define CHANGESET_DIGEST_LEN 32
#define CHANGESET_SIG_LEN 64

struct cs_field {
	const char *name;
	const char *value; /* NULL = SQL NULL */
};

struct cs_change {
	const char *table;
	const char *id;
	uint64_t hlc;
	int deleted;       /* tombstone set by this change */
	size_t nfields;
	const struct cs_field *fields;
};

struct cs_knowledge {
	const char *origin;
	uint64_t seq;
};

struct changeset {
	const char *origin;
	const char *scope;
	uint64_t seq;
	unsigned char prev_digest[CHANGESET_DIGEST_LEN];
	size_t nknowledge;
	const struct cs_knowledge *knowledge;
	const char *operator_name;
	const char *reason;          /* NULL if none */
	uint32_t schema_version;
	uint64_t sealed_hlc;
	size_t nchanges;
	const struct cs_change *changes;
	/* of the signed envelope */
	unsigned char digest[CHANGESET_DIGEST_LEN];
	unsigned char signature[CHANGESET_SIG_LEN];
	const unsigned char *body;   /* the signed bytes, inside the input */
	size_t body_len;
	void *priv;
};

/* Decodes signed change-set bytes (structure only; the signature is not
 * checked).  The result borrows nothing from bytes after return except
 * that body points into the decoded copy, valid until changeset_free. */
int changeset_decode(struct changeset **out, const unsigned char *bytes,
		     size_t len);
void changeset_free(struct changeset *cs);

/* 0 if cs->signature is a valid signature of cs's digest by pk, else
 * ERR_SIGNATURE. */
int changeset_check_signature(const struct changeset *cs,
			      const unsigned char pk[32]);

/* Builds, serialises once, and signs a change-set from cs's fields
 * (digest/signature/body ignored).  *out is the malloc'd signed bytes,
 * digest_out its digest. */
int changeset_seal(const struct changeset *cs, const unsigned char sk[64],
		   unsigned char **out, size_t *outlen,
		   unsigned char digest_out[CHANGESET_DIGEST_LEN]);

/* Decodes bytes, checks the signature with pk and writes the digest
 * (digest_out may be NULL); touches no replica. */
int changeset_verify(const unsigned char *bytes, size_t len,
		     const unsigned char pk[32],
		     unsigned char digest_out[CHANGESET_DIGEST_LEN]);

#endif
