/*
 * changeset.c - sealing, decoding and verifying signed change-sets.
 *
 * The only file in replicas/ that includes the protobuf-c code generated
 * from proto/changeset.proto.  Decoding is bounded: input size capped,
 * allocations charged to a budget proportional to the input, unknown fields
 * rejected, every string checked for UTF-8 and length.
 */
#include "replicas/changeset.h"

#include <sodium.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "proto/budget.h"
#include "proto/changeset.pb-c.h"
#include "replicas/err.h"
#include "replicas/validate.h"

#include "replicas/banned.h"

#define SIG_CONTEXT "taphop-changeset-v1"
#define MAX_STRING 8192
#define MAX_CODE 63

struct priv {
	struct pb_budget *budget; /* every unpacked message lives in it */
	Taphop__SignedChangeSet *env;
	Taphop__ChangeSetBody *body;
	struct cs_change *changes;
	struct cs_field *fields;
	struct cs_knowledge *knowledge;
};

static void priv_free(struct priv *p)
{
	if (!p)
		return;
	pb_budget_free(p->budget);
	free(p->changes);
	free(p->fields);
	free(p->knowledge);
	free(p);
}

void changeset_free(struct changeset *cs)
{
	if (!cs)
		return;
	priv_free(cs->priv);
	free(cs);
}

/* ---- decoding ------------------------------------------------------- */

static int check_str(const char *s, const char *what, size_t max)
{
	size_t n;

	if (!s)
		return err_set(ERR_PROTOCOL, "change-set: %s is missing", what);
	n = strlen(s);
	if (n > max)
		return err_set(ERR_PROTOCOL,
			       "change-set: %s is %zu bytes long (limit %zu)",
			       what, n, max);
	if (!validate_utf8(s, n))
		return err_set(ERR_PROTOCOL, "change-set: %s is not valid UTF-8",
			       what);
	return 0;
}

static int unknown_fields(const ProtobufCMessage *m)
{
	return m->n_unknown_fields != 0;
}

static int convert_changes(struct priv *p, struct changeset *cs)
{
	Taphop__ChangeSetBody *b = p->body;
	size_t total = 0, k = 0;

	for (size_t i = 0; i < b->n_changes; i++)
		total += b->changes[i]->n_fields;
	p->changes = calloc(b->n_changes ? b->n_changes : 1, sizeof(*p->changes));
	p->fields = calloc(total ? total : 1, sizeof(*p->fields));
	if (!p->changes || !p->fields)
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < b->n_changes; i++) {
		Taphop__Change *c = b->changes[i];
		struct cs_change *o = &p->changes[i];
		int r;

		if (unknown_fields(&c->base))
			return err_set(ERR_PROTOCOL,
				       "change-set: change %zu has unknown fields", i + 1);
		if ((r = check_str(c->table, "table name", 64)) ||
		    (r = check_str(c->id, "record id", 64)))
			return r;
		o->table = c->table;
		o->id = c->id;
		o->hlc = c->hlc;
		o->deleted = c->has_deleted && c->deleted;
		o->fields = &p->fields[k];
		o->nfields = c->n_fields;
		for (size_t j = 0; j < c->n_fields; j++) {
			Taphop__Field *f = c->fields[j];

			if (unknown_fields(&f->base))
				return err_set(ERR_PROTOCOL,
					       "change-set: a field has unknown fields");
			if ((r = check_str(f->name, "field name", 64)))
				return r;
			if (f->value && (r = check_str(f->value, "field value",
						       MAX_STRING)))
				return r;
			p->fields[k].name = f->name;
			p->fields[k].value = f->value;
			k++;
		}
	}
	cs->changes = p->changes;
	cs->nchanges = b->n_changes;
	return 0;
}

static int convert_body(struct priv *p, struct changeset *cs)
{
	Taphop__ChangeSetBody *b = p->body;
	int r;

	if (unknown_fields(&b->base))
		return err_set(ERR_PROTOCOL, "change-set: body has unknown fields");
	if ((r = check_str(b->origin, "origin", MAX_CODE)) ||
	    (r = check_str(b->scope, "scope", MAX_CODE)) ||
	    (r = check_str(b->operator_, "operator", 200)))
		return r;
	if (b->reason && (r = check_str(b->reason, "reason", 1000)))
		return r;
	if (b->seq == 0)
		return err_set(ERR_PROTOCOL, "change-set: sequence 0 is not valid");
	if (b->prev_digest.len != CHANGESET_DIGEST_LEN)
		return err_set(ERR_PROTOCOL,
			       "change-set: previous digest is %zu bytes, not %d",
			       b->prev_digest.len, CHANGESET_DIGEST_LEN);
	if (b->n_knowledge > 4096)
		return err_set(ERR_PROTOCOL,
			       "change-set: knowledge vector has %zu entries",
			       b->n_knowledge);
	cs->origin = b->origin;
	cs->scope = b->scope;
	cs->seq = b->seq;
	memcpy(cs->prev_digest, b->prev_digest.data, CHANGESET_DIGEST_LEN);
	cs->operator_name = b->operator_;
	cs->reason = b->reason;
	cs->schema_version = b->schema_version;
	cs->sealed_hlc = b->sealed_hlc;
	p->knowledge = calloc(b->n_knowledge ? b->n_knowledge : 1,
			      sizeof(*p->knowledge));
	if (!p->knowledge)
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < b->n_knowledge; i++) {
		if (unknown_fields(&b->knowledge[i]->base))
			return err_set(ERR_PROTOCOL,
				       "change-set: knowledge has unknown fields");
		if ((r = check_str(b->knowledge[i]->origin, "knowledge origin",
				   MAX_CODE)))
			return r;
		p->knowledge[i].origin = b->knowledge[i]->origin;
		p->knowledge[i].seq = b->knowledge[i]->seq;
	}
	cs->knowledge = p->knowledge;
	cs->nknowledge = b->n_knowledge;
	return convert_changes(p, cs);
}

int changeset_decode(struct changeset **out, const unsigned char *bytes,
		     size_t len)
{
	struct changeset *cs = NULL;
	struct priv *p = NULL;
	int r = ERR_NOMEM;

	if (len > CHANGESET_MAX_BYTES)
		return err_set(ERR_PROTOCOL,
			       "change-set is %zu bytes (limit %u)", len,
			       CHANGESET_MAX_BYTES);
	cs = calloc(1, sizeof(*cs));
	p = calloc(1, sizeof(*p));
	if (!cs || !p) {
		free(p);
		err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	cs->priv = p;
	/* protobuf-c's in-memory form is a few times the wire size at most */
	if ((r = pb_budget_new(&p->budget, len * 8 + 65536)))
		goto out;

	r = ERR_PROTOCOL;
	p->env = taphop__signed_change_set__unpack(pb_budget_allocator(p->budget),
						   len, bytes);
	if (!p->env) {
		err_set(r, "change-set: not a valid signed change-set (%zu bytes)",
			len);
		goto out;
	}
	if (unknown_fields(&p->env->base)) {
		err_set(r, "change-set: envelope has unknown fields");
		goto out;
	}
	if (p->env->signature.len != CHANGESET_SIG_LEN) {
		err_set(r, "change-set: signature is %zu bytes, not %d",
			p->env->signature.len, CHANGESET_SIG_LEN);
		goto out;
	}
	memcpy(cs->signature, p->env->signature.data, CHANGESET_SIG_LEN);
	cs->body = p->env->body.data;
	cs->body_len = p->env->body.len;
	crypto_hash_sha256(cs->digest, cs->body, cs->body_len);
	p->body = taphop__change_set_body__unpack(pb_budget_allocator(p->budget),
						  cs->body_len,
						  cs->body);
	if (!p->body) {
		err_set(r, "change-set: body is not a valid change-set body");
		goto out;
	}
	if ((r = convert_body(p, cs)))
		goto out;
	*out = cs;
	cs = NULL; /* transferred */
	r = 0;
out:
	changeset_free(cs);
	return r;
}

/* ---- signatures ----------------------------------------------------- */

static void sig_message(unsigned char msg[sizeof(SIG_CONTEXT) + 32],
			const unsigned char digest[32])
{
	memcpy(msg, SIG_CONTEXT, sizeof(SIG_CONTEXT)); /* with its NUL */
	memcpy(msg + sizeof(SIG_CONTEXT), digest, 32);
}

int changeset_check_signature(const struct changeset *cs,
			      const unsigned char pk[32])
{
	unsigned char msg[sizeof(SIG_CONTEXT) + 32];

	sig_message(msg, cs->digest);
	if (crypto_sign_verify_detached(cs->signature, msg, sizeof(msg), pk))
		return err_set(ERR_SIGNATURE,
			       "change-set %s/%s/%llu: signature does not verify "
			       "with the key of '%s'", cs->origin, cs->scope,
			       (unsigned long long)cs->seq, cs->origin);
	return 0;
}

/* ---- sealing -------------------------------------------------------- */

int changeset_seal(const struct changeset *cs, const unsigned char sk[64],
		   unsigned char **out, size_t *outlen,
		   unsigned char digest_out[CHANGESET_DIGEST_LEN])
{
	Taphop__ChangeSetBody body = TAPHOP__CHANGE_SET_BODY__INIT;
	Taphop__SignedChangeSet env = TAPHOP__SIGNED_CHANGE_SET__INIT;
	Taphop__Change *chg = NULL, **chgp = NULL;
	Taphop__Field *fld = NULL, **fldp = NULL;
	Taphop__Knowledge *kn = NULL, **knp = NULL;
	unsigned char *bodybuf = NULL, *envbuf = NULL;
	unsigned char sig[64], msg[sizeof(SIG_CONTEXT) + 32];
	size_t nf = 0, k = 0, blen, elen;
	int r = ERR_NOMEM;

	for (size_t i = 0; i < cs->nchanges; i++)
		nf += cs->changes[i].nfields;
	chg = calloc(cs->nchanges + 1, sizeof(*chg));
	chgp = calloc(cs->nchanges + 1, sizeof(*chgp));
	fld = calloc(nf + 1, sizeof(*fld));
	fldp = calloc(nf + 1, sizeof(*fldp));
	kn = calloc(cs->nknowledge + 1, sizeof(*kn));
	knp = calloc(cs->nknowledge + 1, sizeof(*knp));
	if (!chg || !chgp || !fld || !fldp || !kn || !knp)
		goto fail_nomem;

	body.origin = (char *)cs->origin;
	body.scope = (char *)cs->scope;
	body.seq = cs->seq;
	body.prev_digest.data = (uint8_t *)cs->prev_digest;
	body.prev_digest.len = CHANGESET_DIGEST_LEN;
	body.operator_ = (char *)cs->operator_name;
	body.reason = (char *)cs->reason;
	body.schema_version = cs->schema_version;
	body.sealed_hlc = cs->sealed_hlc;
	for (size_t i = 0; i < cs->nknowledge; i++) {
		taphop__knowledge__init(&kn[i]);
		kn[i].origin = (char *)cs->knowledge[i].origin;
		kn[i].seq = cs->knowledge[i].seq;
		knp[i] = &kn[i];
	}
	body.n_knowledge = cs->nknowledge;
	body.knowledge = knp;
	for (size_t i = 0; i < cs->nchanges; i++) {
		const struct cs_change *c = &cs->changes[i];

		taphop__change__init(&chg[i]);
		chg[i].table = (char *)c->table;
		chg[i].id = (char *)c->id;
		chg[i].hlc = c->hlc;
		if (c->deleted) {
			chg[i].has_deleted = 1;
			chg[i].deleted = 1;
		}
		chg[i].fields = &fldp[k];
		chg[i].n_fields = c->nfields;
		for (size_t j = 0; j < c->nfields; j++, k++) {
			taphop__field__init(&fld[k]);
			fld[k].name = (char *)c->fields[j].name;
			fld[k].value = (char *)c->fields[j].value;
			fldp[k] = &fld[k];
		}
		chgp[i] = &chg[i];
	}
	body.n_changes = cs->nchanges;
	body.changes = chgp;

	blen = taphop__change_set_body__get_packed_size(&body);
	if (blen > CHANGESET_MAX_BYTES - 128) {
		r = err_set(ERR_INVALID, "change-set would be %zu bytes (limit %u)",
			    blen, CHANGESET_MAX_BYTES);
		goto out;
	}
	bodybuf = malloc(blen ? blen : 1);
	if (!bodybuf)
		goto fail_nomem;
	taphop__change_set_body__pack(&body, bodybuf);
	crypto_hash_sha256(digest_out, bodybuf, blen);
	sig_message(msg, digest_out);
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);

	env.body.data = bodybuf;
	env.body.len = blen;
	env.signature.data = sig;
	env.signature.len = sizeof(sig);
	elen = taphop__signed_change_set__get_packed_size(&env);
	envbuf = malloc(elen);
	if (!envbuf)
		goto fail_nomem;
	taphop__signed_change_set__pack(&env, envbuf);
	*out = envbuf;
	*outlen = elen;
	envbuf = NULL; /* transferred */
	r = 0;
	goto out;
fail_nomem:
	r = err_set(ERR_NOMEM, "out of memory sealing a change-set");
out:
	free(chg);
	free(chgp);
	free(fld);
	free(fldp);
	free(kn);
	free(knp);
	free(bodybuf);
	free(envbuf);
	return r;
}

int changeset_verify(const unsigned char *bytes, size_t len,
		     const unsigned char pk[32],
		     unsigned char digest_out[CHANGESET_DIGEST_LEN])
{
	struct changeset *cs = NULL;
	int r;

	if ((r = changeset_decode(&cs, bytes, len)))
		return r;
	r = changeset_check_signature(cs, pk);
	if (!r && digest_out)
		memcpy(digest_out, cs->digest, CHANGESET_DIGEST_LEN);
	changeset_free(cs);
	return r;
}
