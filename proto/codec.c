/*
 * codec.c - bounded decoding and encoding of sync Envelopes.
 *
 * Owns the only protobuf-c calls for proto/sync.proto.  Invariants: a
 * decode allocates at most its budget (CODEC_BUDGET(len)) through a
 * counting allocator; every message and sub-message it returns has no
 * unknown fields, valid UTF-8 strings of bounded length, codes made of
 * [A-Za-z0-9._-], 32-byte keys and at most CODEC_MAX_ITEMS entries per
 * repeated field.
 */
#include "proto/codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replicas/changeset.h"
#include "proto/budget.h"
#include "replicas/err.h"

#include "replicas/banned.h"

/* Protobuf-c's in-memory form is a few times the wire form at worst for
 * legitimate messages (mostly bytes fields); tiny repeated sub-messages
 * blow past this and are refused. */
#define CODEC_BUDGET(len) ((size_t)(len) * 8 + (64u << 10))

static int utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i], need, cp, min;

		if (c < 0x80) {
			if (c == 0)
				return 0;
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			need = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			need = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			need = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return 0;
		}
		if (n - i <= need)
			return 0;
		for (unsigned k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}

static int check_text(const char *s, const char *what, size_t max)
{
	size_t n;

	if (!s)
		return err_set(ERR_PROTOCOL, "%s is missing", what);
	n = strnlen(s, max + 1);
	if (n > max)
		return err_set(ERR_PROTOCOL, "%s is longer than %zu bytes",
			       what, max);
	if (!utf8_valid((const unsigned char *)s, n))
		return err_set(ERR_PROTOCOL, "%s is not valid UTF-8", what);
	return 0;
}

static int check_code(const char *s, const char *what)
{
	size_t n;

	if (!s || !*s)
		return err_set(ERR_PROTOCOL, "%s is empty", what);
	n = strnlen(s, CODEC_MAX_CODE + 1);
	if (n > CODEC_MAX_CODE)
		return err_set(ERR_PROTOCOL, "%s is longer than %d bytes",
			       what, CODEC_MAX_CODE);
	if (s[0] == '.')
		return err_set(ERR_PROTOCOL, "%s starts with '.'", what);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.'))
			return err_set(ERR_PROTOCOL,
				       "%s has a character outside "
				       "[A-Za-z0-9._-]", what);
	}
	return 0;
}

static int check_count(size_t n, const char *what)
{
	if (n > CODEC_MAX_ITEMS)
		return err_set(ERR_PROTOCOL, "%s has %zu entries (at most %d)",
			       what, n, CODEC_MAX_ITEMS);
	return 0;
}

static int no_unknown(const ProtobufCMessage *m)
{
	if (m->n_unknown_fields)
		return err_set(ERR_PROTOCOL, "%s has %u unknown field(s)",
			       m->descriptor->short_name,
			       m->n_unknown_fields);
	return 0;
}

static int check_streams(Taphop__Sync__StreamPos **v, size_t n,
			 const char *what)
{
	int rc = check_count(n, what);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		rc = no_unknown(&v[i]->base);
		if (rc == 0)
			rc = check_code(v[i]->origin, "stream origin");
		if (rc == 0)
			rc = check_code(v[i]->scope, "stream scope");
	}
	return rc;
}

static int check_roster(Taphop__Sync__RosterEntry **v, size_t n)
{
	int rc = check_count(n, "roster");

	for (size_t i = 0; rc == 0 && i < n; i++) {
		const Taphop__Sync__RosterEntry *r = v[i];

		if ((rc = no_unknown(&r->base)) < 0 ||
		    (rc = check_code(r->code, "roster code")) < 0 ||
		    (rc = check_code(r->scope, "roster scope")) < 0)
			break;
		if (r->parent && r->parent[0] &&
		    (rc = check_code(r->parent, "roster parent")) < 0)
			break;
		if (r->role > 1)
			rc = err_set(ERR_PROTOCOL, "roster role %u is not 0 or 1",
				     r->role);
		else if (r->sign_pk.len != 32)
			rc = err_set(ERR_PROTOCOL,
				     "roster key of '%s' is %zu bytes, not 32",
				     r->code, r->sign_pk.len);
	}
	return rc;
}

static int check_changesets(const Taphop__Sync__ChangeSets *c)
{
	int rc = check_count(c->n_changesets, "change-set batch");

	for (size_t i = 0; rc == 0 && i < c->n_changesets; i++) {
		if (c->changesets[i].len == 0)
			rc = err_set(ERR_PROTOCOL, "change-set %zu is empty", i);
		else if (c->changesets[i].len > CHANGESET_MAX_BYTES)
			rc = err_set(ERR_PROTOCOL, "change-set %zu is too large",
				     i);
	}
	return rc;
}

static int check_error(const Taphop__Sync__Error *e)
{
	int rc;

	if (e->code < TAPHOP__SYNC__ERROR__CODE__PROTOCOL ||
	    e->code > TAPHOP__SYNC__ERROR__CODE__INTERNAL)
		return err_set(ERR_PROTOCOL, "unknown error code %d",
			       (int)e->code);
	if ((rc = check_text(e->reason, "error reason", CODEC_MAX_REASON)) < 0)
		return rc;
	if (e->origin && (rc = check_code(e->origin, "error origin")) < 0)
		return rc;
	if (e->scope && (rc = check_code(e->scope, "error scope")) < 0)
		return rc;
	return 0;
}

/* The message inside env: unknown fields, then its own rules. */
static int check_env(const codec_env *env)
{
	int rc;

	if ((rc = no_unknown(&env->base)) < 0)
		return rc;
	switch (env->msg_case) {
	case TAPHOP__SYNC__ENVELOPE__MSG_HELLO:
		if ((rc = no_unknown(&env->hello->base)) < 0 ||
		    (rc = check_code(env->hello->node, "hello node")) < 0)
			return rc;
		return check_streams(env->hello->knowledge,
				     env->hello->n_knowledge, "hello knowledge");
	case TAPHOP__SYNC__ENVELOPE__MSG_WELCOME:
		if ((rc = no_unknown(&env->welcome->base)) < 0 ||
		    (rc = check_code(env->welcome->hub, "welcome hub")) < 0 ||
		    (rc = check_streams(env->welcome->knowledge,
					env->welcome->n_knowledge,
					"welcome knowledge")) < 0)
			return rc;
		return check_roster(env->welcome->roster,
				    env->welcome->n_roster);
	case TAPHOP__SYNC__ENVELOPE__MSG_ROSTER:
		if ((rc = no_unknown(&env->roster->base)) < 0)
			return rc;
		return check_roster(env->roster->nodes, env->roster->n_nodes);
	case TAPHOP__SYNC__ENVELOPE__MSG_CHANGESETS:
		if ((rc = no_unknown(&env->changesets->base)) < 0)
			return rc;
		return check_changesets(env->changesets);
	case TAPHOP__SYNC__ENVELOPE__MSG_ACK:
		if ((rc = no_unknown(&env->ack->base)) < 0)
			return rc;
		return check_streams(env->ack->streams, env->ack->n_streams,
				     "ack");
	case TAPHOP__SYNC__ENVELOPE__MSG_CREDIT:
		return no_unknown(&env->credit->base);
	case TAPHOP__SYNC__ENVELOPE__MSG_PING:
		return no_unknown(&env->ping->base);
	case TAPHOP__SYNC__ENVELOPE__MSG_PONG:
		return no_unknown(&env->pong->base);
	case TAPHOP__SYNC__ENVELOPE__MSG_ERROR:
		if ((rc = no_unknown(&env->error->base)) < 0)
			return rc;
		return check_error(env->error);
	default:
		return err_set(ERR_PROTOCOL, "envelope carries no message");
	}
}

int codec_decode(struct codec_msg **out, const unsigned char *buf,
		 size_t len)
{
	struct pb_budget *b = NULL;
	struct codec_msg *m = NULL;
	codec_env *env = NULL;
	int rc = ERR_NOMEM;

	if (len > CODEC_MAX_MSG) {
		rc = err_set(ERR_PROTOCOL, "message of %zu bytes exceeds %u",
			     len, CODEC_MAX_MSG);
		goto done;
	}
	if ((rc = pb_budget_new(&b, CODEC_BUDGET(len))) < 0)
		goto done;
	if (!(m = calloc(1, sizeof(*m)))) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto done;
	}
	env = taphop__sync__envelope__unpack(pb_budget_allocator(b), len, buf);
	if (!env) {
		rc = err_set(ERR_PROTOCOL,
			     "malformed envelope (%zu bytes): truncated, "
			     "a required field missing, or over budget", len);
		goto done;
	}
	if ((rc = check_env(env)) < 0) {
		err_wrap(rc, "bad %s", codec_msg_name(env));
		goto done;
	}
	m->env = env;
	m->priv = b;
	env = NULL; /* transferred */
	b = NULL;
	*out = m;
	m = NULL;
	rc = 0;
done:
	pb_budget_free(b); /* env, if any, lives in it */
	free(m);
	return rc;
}

void codec_msg_free(struct codec_msg *m)
{
	if (!m)
		return;
	pb_budget_free(m->priv); /* m->env lives in it */
	free(m);
}

int codec_encode(const codec_env *env, unsigned char **out, size_t *len)
{
	size_t n = taphop__sync__envelope__get_packed_size(env);
	unsigned char *buf;

	if (n > CODEC_MAX_MSG)
		return err_set(ERR_PROTOCOL, "message of %zu bytes exceeds %u",
			       n, CODEC_MAX_MSG);
	buf = malloc(n ? n : 1);
	if (!buf)
		return err_set(ERR_NOMEM, "out of memory");
	taphop__sync__envelope__pack(env, buf);
	*out = buf;
	*len = n;
	return 0;
}

/* ---- reasons ----------------------------------------------------------- */

/* Where the rule begins in "field 'NAME': 'VALUE' RULE": the last "' "
 * followed by one of the words validate.c starts its rules with. */
static const char *rule_start(const char *from)
{
	static const char *const words[] = { "' is ", "' contains ",
					     "' must ", "' does " };
	const char *best = NULL;

	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++) {
		const char *p = from, *q;

		while ((q = strstr(p, words[i])) != NULL) {
			if (!best || q > best)
				best = q;
			p = q + 1;
		}
	}
	return best ? best + 2 : NULL;
}

/* Any other message: the words outside quotes and the names of fields are
 * kept, every other quoted text is withheld. */
static void strip_quoted(char *out, size_t outsz, const char *msg)
{
	size_t o = 0;
	int quoted = 0, keep = 0;

	for (const char *p = msg; *p && o + 6 < outsz; p++) {
		if (*p == '\'') {
			if (!quoted) {
				keep = p - msg >= 6 &&
				       strncmp(p - 6, "field ", 6) == 0;
				if (!keep) {
					memcpy(out + o, "'\xe2\x80\xa6'", 5);
					o += 5;
				}
			}
			quoted = !quoted;
			if (keep)
				out[o++] = '\'';
			continue;
		}
		if (!quoted || keep)
			out[o++] = *p;
	}
	out[o] = '\0';
}

void codec_reason_clean(char *out, size_t outsz, int code, const char *msg)
{
	const char *p, *rule;

	if (!outsz)
		return;
	if (!msg)
		msg = "";
	if (code != ERR_INVALID) {
		snprintf(out, outsz, "%s", msg);
		return;
	}
	if (strncmp(msg, "field '", 7) == 0 &&
	    (p = strstr(msg + 7, "': '")) != NULL) {
		rule = rule_start(p + 4);
		snprintf(out, outsz, "field '%.*s': the value (withheld) %s",
			 (int)(p - (msg + 7)), msg + 7,
			 rule ? rule : "breaks a rule");
		return;
	}
	strip_quoted(out, outsz, msg);
}

const char *codec_msg_name(const codec_env *env)
{
	switch (env->msg_case) {
	case TAPHOP__SYNC__ENVELOPE__MSG_HELLO: return "hello";
	case TAPHOP__SYNC__ENVELOPE__MSG_WELCOME: return "welcome";
	case TAPHOP__SYNC__ENVELOPE__MSG_CHANGESETS: return "changesets";
	case TAPHOP__SYNC__ENVELOPE__MSG_ACK: return "ack";
	case TAPHOP__SYNC__ENVELOPE__MSG_CREDIT: return "credit";
	case TAPHOP__SYNC__ENVELOPE__MSG_PING: return "ping";
	case TAPHOP__SYNC__ENVELOPE__MSG_PONG: return "pong";
	case TAPHOP__SYNC__ENVELOPE__MSG_ERROR: return "error";
	case TAPHOP__SYNC__ENVELOPE__MSG_ROSTER: return "roster";
	default: return "envelope";
	}
}
