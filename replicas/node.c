/*
 * node.c - a node's data directory: keys, the config skeleton, the replica.
 *
 * Key files are INI (read with libinih): node.key holds the secret keys and
 * must be mode 0600 (refused otherwise); node.pub holds the public keys and
 * the node's code, and may be shared.  Keys are base64 (URL-safe, no
 * padding), via libsodium.
 */
#include "replicas/node.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "replicas/err.h"
#include "replicas/validate.h"

#include "replicas/banned.h"

#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

int keys_generate(struct keys *k)
{
	if (sodium_init() < 0)
		return err_set(ERR_CRYPTO, "cannot initialise libsodium");
	crypto_sign_keypair(k->sign_pk, k->sign_sk);
	crypto_box_keypair(k->box_pk, k->box_sk);
	return 0;
}

void keys_wipe(struct keys *k)
{
	sodium_memzero(k, sizeof(*k));
}

void keys_pk_to_text(const unsigned char pk[32], char *out, size_t outsz)
{
	/* standard base64: a key never starts with "-", so no CLI takes it
	 * for an option */
	sodium_bin2base64(out, outsz, pk, 32, sodium_base64_VARIANT_ORIGINAL);
}

static int from_b64(const char *text, unsigned char *out, size_t want,
		    const char *what, int secret)
{
	size_t n = 0;
	const char *end = NULL;

	if (sodium_base642bin(out, want, text, strlen(text), " \t\r\n", &n,
			      &end, B64) == 0 && n == want && (!end || !*end))
		return 0;
	n = 0;
	end = NULL;
	if (sodium_base642bin(out, want, text, strlen(text), " \t\r\n", &n,
			      &end, sodium_base64_VARIANT_ORIGINAL) == 0 &&
	    n == want && (!end || !*end))
		return 0;
	if (secret) /* never echo any of a secret key */
		return err_set(ERR_INVALID, "%s is not a base64 key of %zu bytes",
			       what, want);
	return err_set(ERR_INVALID, "%s: '%.60s' is not a base64 key of %zu bytes",
		       what, text, want);
}

int keys_pk_from_text(const char *text, const char *what, unsigned char pk[32])
{
	return from_b64(text, pk, 32, what, 0);
}

static int write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	size_t len = strlen(text), off = 0;

	if (fd < 0)
		return err_set(errno == EEXIST ? ERR_EXISTS : ERR_IO,
			       "cannot create '%s': %s", path, strerror(errno));
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return err_set(ERR_IO, "cannot write '%s': %s", path,
				       strerror(errno));
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0)
		return err_set(ERR_IO, "cannot write '%s': %s", path, strerror(errno));
	return 0;
}

static char *path_join(const char *dir, const char *file)
{
	size_t n = strlen(dir) + strlen(file) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s", dir, file);
	return p;
}

int keys_write(const char *dir, const char *code, const struct keys *k)
{
	char ss[128], bs[64], sp[64], bp[64], text[1024];
	char *kpath = path_join(dir, "node.key"), *ppath = path_join(dir, "node.pub");
	int r;

	if (!kpath || !ppath) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	sodium_bin2base64(ss, sizeof(ss), k->sign_sk, 64, B64);
	sodium_bin2base64(bs, sizeof(bs), k->box_sk, 32, B64);
	keys_pk_to_text(k->sign_pk, sp, sizeof(sp));
	keys_pk_to_text(k->box_pk, bp, sizeof(bp));
	snprintf(text, sizeof(text),
		 "; taphop node secret keys: keep this file private (mode 0600)\n"
		 "[keys]\nsign_secret = %s\ntransport_secret = %s\n", ss, bs);
	r = write_file(kpath, text, 0600);
	sodium_memzero(text, sizeof(text));
	sodium_memzero(ss, sizeof(ss));
	sodium_memzero(bs, sizeof(bs));
	if (r)
		goto out;
	snprintf(text, sizeof(text),
		 "; taphop node public keys: share these to enroll the node\n"
		 "[node]\ncode = %s\nsign_key = %s\ntransport_key = %s\n",
		 code, sp, bp);
	r = write_file(ppath, text, 0644);
out:
	free(kpath);
	free(ppath);
	return r;
}

struct keyread {
	struct keys *k;
	int have_sign, have_box, have_spk, have_bpk;
	int r;
};

static int key_handler(void *user, const char *section, const char *name,
		       const char *value)
{
	struct keyread *kr = user;

	if (kr->r)
		return 0;
	if (strcmp(section, "keys") == 0 && strcmp(name, "sign_secret") == 0) {
		kr->r = from_b64(value, kr->k->sign_sk, 64, "node.key sign_secret", 1);
		kr->have_sign = 1;
	} else if (strcmp(section, "keys") == 0 &&
		   strcmp(name, "transport_secret") == 0) {
		kr->r = from_b64(value, kr->k->box_sk, 32, "node.key transport_secret",
				 1);
		kr->have_box = 1;
	} else if (strcmp(section, "node") == 0 && strcmp(name, "sign_key") == 0) {
		kr->r = from_b64(value, kr->k->sign_pk, 32, "node.pub sign_key", 0);
		kr->have_spk = 1;
	} else if (strcmp(section, "node") == 0 &&
		   strcmp(name, "transport_key") == 0) {
		kr->r = from_b64(value, kr->k->box_pk, 32, "node.pub transport_key",
				 0);
		kr->have_bpk = 1;
	}
	return 1;
}

int keys_read(const char *dir, struct keys *k)
{
	char *kpath = path_join(dir, "node.key"), *ppath = path_join(dir, "node.pub");
	struct keyread kr = { k, 0, 0, 0, 0, 0 };
	unsigned char derived[32];
	struct stat sb;
	int r = 0, rc;

	if (!kpath || !ppath) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	if (stat(kpath, &sb) != 0) {
		r = err_set(ERR_NOTFOUND, "cannot read '%s': %s", kpath,
			    strerror(errno));
		goto out;
	}
	if (sb.st_mode & 077) {
		r = err_set(ERR_CRYPTO, "'%s' is readable by others (mode %03o): "
			    "run 'chmod 600 %s'", kpath,
			    (unsigned)(sb.st_mode & 0777), kpath);
		goto out;
	}
	if ((rc = ini_parse(kpath, key_handler, &kr)) != 0 && !kr.r)
		kr.r = err_set(ERR_INVALID, "cannot parse '%s' (line %d)", kpath, rc);
	if (!kr.r && (rc = ini_parse(ppath, key_handler, &kr)) != 0 && !kr.r)
		kr.r = err_set(ERR_INVALID, "cannot parse '%s' (line %d)", ppath, rc);
	if ((r = kr.r))
		goto out;
	if (!kr.have_sign || !kr.have_box || !kr.have_spk || !kr.have_bpk) {
		r = err_set(ERR_INVALID, "key files in '%s' are incomplete", dir);
		goto out;
	}
	/* the public keys must belong to the secret ones */
	crypto_sign_ed25519_sk_to_pk(derived, k->sign_sk);
	if (memcmp(derived, k->sign_pk, 32) != 0) {
		r = err_set(ERR_CRYPTO, "node.pub sign_key does not match node.key");
		goto out;
	}
	crypto_scalarmult_base(derived, k->box_sk);
	if (memcmp(derived, k->box_pk, 32) != 0)
		r = err_set(ERR_CRYPTO, "node.pub transport_key does not match node.key");
out:
	if (r)
		keys_wipe(k);
	free(kpath);
	free(ppath);
	return r;
}

/* ---- the data directory ---------------------------------------------- */

char *node_dir_resolve(const char *dir)
{
	const char *env = getenv("TAPHOP_DIR"), *xdg, *home;
	char buf[4096];

	if (dir && *dir)
		return strdup(dir);
	if (env && *env)
		return strdup(env);
	xdg = getenv("XDG_DATA_HOME");
	if (xdg && *xdg) {
		snprintf(buf, sizeof(buf), "%s/taphop", xdg);
		return strdup(buf);
	}
	home = getenv("HOME");
	snprintf(buf, sizeof(buf), "%s/.local/share/taphop", home ? home : ".");
	return strdup(buf);
}

char *node_path(const struct node *n, const char *file)
{
	return path_join(n->dir, file);
}

static int mkdir_p(const char *dir)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s", dir);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST)
			return err_set(ERR_IO, "cannot create '%s': %s", buf,
				       strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, 0700) != 0 && errno != EEXIST)
		return err_set(ERR_IO, "cannot create '%s': %s", buf, strerror(errno));
	return 0;
}

static int check_code(const char *code, const char *what)
{
	struct column_desc c = { what, COL_SCOPE, 0, what, what, NULL, NULL,
				 0, 0, 0, NULL };
	char buf[128];
	int r = validate_value(&c, code ? code : "", buf, sizeof(buf));

	if (r == 1)
		return err_set(ERR_INVALID, "%s is required", what);
	return r;
}

int node_init(const char *dir, enum store_role role, const char *code,
	      const char *parent)
{
	char *db = NULL, *conf = NULL, text[1024];
	struct keys k;
	struct stat sb;
	int r;

	if ((r = check_code(code, role == STORE_ROLE_HUB ? "district code" :
			    "ward code")))
		return r;
	if (parent && *parent && (r = check_code(parent, "district code")))
		return r;
	if ((r = mkdir_p(dir)))
		return r;
	db = path_join(dir, "replica.db");
	conf = path_join(dir, "taphop.conf");
	if (!db || !conf) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	if (stat(db, &sb) == 0) {
		r = err_set(ERR_EXISTS, "'%s' already holds a replica", dir);
		goto out;
	}
	if ((r = keys_generate(&k)))
		goto out;
	if ((r = keys_write(dir, code, &k)))
		goto wipe;
	snprintf(text, sizeof(text),
		 "; taphop node configuration (INI)\n"
		 "[node]\ncode = %s\nrole = %s\ndistrict = %s\n",
		 code, role == STORE_ROLE_HUB ? "hub" : "ward",
		 role == STORE_ROLE_HUB ? code : (parent ? parent : ""));
	if ((r = write_file(conf, text, 0600)))
		goto wipe;
	r = store_create(db, code, role == STORE_ROLE_HUB ? "" : parent, role,
			 k.sign_pk, k.box_pk);
wipe:
	keys_wipe(&k);
out:
	free(db);
	free(conf);
	return r;
}

int node_open(struct node **out, const char *dir)
{
	struct node *n = calloc(1, sizeof(*n));
	char *db = NULL;
	struct stat sb;
	int r;

	if (!n)
		return err_set(ERR_NOMEM, "out of memory");
	n->dir = strdup(dir);
	db = path_join(dir, "replica.db");
	if (!n->dir || !db) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto fail;
	}
	if (stat(db, &sb) != 0) {
		r = err_set(ERR_NOTFOUND, "no replica in '%s'", dir);
		goto fail;
	}
	if ((r = keys_read(dir, &n->keys)) ||
	    (r = store_open(&n->store, db, n->keys.sign_sk)))
		goto fail;
	free(db);
	*out = n;
	return 0;
fail:
	free(db);
	node_close(n);
	return r;
}

void node_close(struct node *n)
{
	if (!n)
		return;
	store_close(n->store);
	keys_wipe(&n->keys);
	free(n->dir);
	free(n);
}
