/*
 * sshsig.c - SSHSIG signatures over libsodium ed25519 (see sshsig.h).
 *
 * Wire format (OpenSSH PROTOCOL.sshsig), every "string" a uint32 big-endian
 * length and its bytes:
 *   blob   = "SSHSIG" uint32(1) string(pubkey) string(namespace)
 *            string(reserved="") string(hash_alg) string(signature)
 *   signed = "SSHSIG" string(namespace) string(reserved="")
 *            string(hash_alg) string(H(message))
 *   pubkey = string("ssh-ed25519") string(32-byte key)
 *   signature = string("ssh-ed25519") string(64-byte ed25519 signature)
 * The blob is base64 (libsodium, original variant), wrapped at 70 columns,
 * between BEGIN/END SSH SIGNATURE lines, as ssh-keygen writes it.
 */
#include "replicas/sshsig.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "replicas/err.h"

#include "replicas/banned.h"

#define MAGIC "SSHSIG"
#define MAGIC_LEN 6
#define KEYTYPE "ssh-ed25519"
#define ARMOR_BEGIN "-----BEGIN SSH SIGNATURE-----"
#define ARMOR_END "-----END SSH SIGNATURE-----"
#define WRAP 70
#define BLOB_MAX 4096

/* A fixed-capacity byte buffer: everything here is small and bounded. */
struct wbuf {
	unsigned char b[BLOB_MAX];
	size_t n;
	int overflow;
};

static void put_raw(struct wbuf *w, const void *p, size_t n)
{
	if (w->overflow || n > sizeof(w->b) - w->n) {
		w->overflow = 1;
		return;
	}
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void put_u32(struct wbuf *w, uint32_t v)
{
	unsigned char b[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 8), (unsigned char)v };

	put_raw(w, b, 4);
}

static void put_str(struct wbuf *w, const void *p, size_t n)
{
	put_u32(w, (uint32_t)n);
	put_raw(w, p, n);
}

static void put_cstr(struct wbuf *w, const char *s)
{
	put_str(w, s, strlen(s));
}

static void put_pubkey(struct wbuf *w, const unsigned char pk[SSHSIG_PK_LEN])
{
	struct wbuf k = { .n = 0 };

	put_cstr(&k, KEYTYPE);
	put_str(&k, pk, SSHSIG_PK_LEN);
	put_str(w, k.b, k.n);
}

/* A reader over a byte range; any short read sets bad. */
struct rbuf {
	const unsigned char *p;
	size_t n;
	int bad;
};

static uint32_t get_u32(struct rbuf *r)
{
	uint32_t v;

	if (r->bad || r->n < 4) {
		r->bad = 1;
		return 0;
	}
	v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
	    (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	r->n -= 4;
	return v;
}

static struct rbuf get_str(struct rbuf *r)
{
	struct rbuf s = { NULL, 0, 1 };
	uint32_t len = get_u32(r);

	if (r->bad || len > r->n) {
		r->bad = 1;
		return s;
	}
	s.p = r->p;
	s.n = len;
	s.bad = 0;
	r->p += len;
	r->n -= len;
	return s;
}

static int str_is(const struct rbuf *s, const char *want)
{
	return !s->bad && s->n == strlen(want) && memcmp(s->p, want, s->n) == 0;
}

/* The bytes that are signed: preamble, namespace, hash of msg. */
static int signed_data(struct wbuf *w, const char *ns, const char *alg,
		       const void *msg, size_t len)
{
	unsigned char h[crypto_hash_sha512_BYTES];
	size_t hlen;

	if (strcmp(alg, "sha512") == 0) {
		crypto_hash_sha512(h, msg, len);
		hlen = crypto_hash_sha512_BYTES;
	} else if (strcmp(alg, "sha256") == 0) {
		crypto_hash_sha256(h, msg, len);
		hlen = crypto_hash_sha256_BYTES;
	} else {
		return err_set(ERR_INVALID,
			       "ssh signature: unsupported hash '%s'", alg);
	}
	w->n = 0;
	put_raw(w, MAGIC, MAGIC_LEN);
	put_cstr(w, ns);
	put_str(w, "", 0);
	put_cstr(w, alg);
	put_str(w, h, hlen);
	if (w->overflow)
		return err_set(ERR_INVALID, "ssh signature: namespace too long");
	return 0;
}

int sshsig_sign(char **out, const void *msg, size_t len, const char *ns,
		const unsigned char sk[SSHSIG_SK_LEN])
{
	struct wbuf data = { .n = 0 }, sig = { .n = 0 }, blob = { .n = 0 };
	unsigned char raw[crypto_sign_BYTES];
	char *b64 = NULL, *text = NULL;
	size_t b64len, i, pos;
	int rc;

	if (sodium_init() < 0)
		return err_set(ERR_CRYPTO, "cannot initialise libsodium");
	rc = signed_data(&data, ns, "sha512", msg, len);
	if (rc < 0)
		goto done;
	if (crypto_sign_detached(raw, NULL, data.b, data.n, sk) != 0) {
		rc = err_set(ERR_CRYPTO, "ssh signature: signing failed");
		goto done;
	}
	put_cstr(&sig, KEYTYPE);
	put_str(&sig, raw, sizeof(raw));

	put_raw(&blob, MAGIC, MAGIC_LEN);
	put_u32(&blob, 1);
	/* the public key is the second half of libsodium's secret key */
	put_pubkey(&blob, sk + 32);
	put_cstr(&blob, ns);
	put_str(&blob, "", 0);
	put_cstr(&blob, "sha512");
	put_str(&blob, sig.b, sig.n);
	if (blob.overflow) {
		rc = err_set(ERR_INVALID, "ssh signature: namespace too long");
		goto done;
	}

	b64len = sodium_base64_ENCODED_LEN(blob.n,
					   sodium_base64_VARIANT_ORIGINAL);
	b64 = malloc(b64len);
	/* armor lines, the base64 with a newline every WRAP chars, NUL */
	text = malloc(b64len + b64len / WRAP + sizeof(ARMOR_BEGIN) +
		      sizeof(ARMOR_END) + 4);
	if (b64 == NULL || text == NULL) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto done;
	}
	sodium_bin2base64(b64, b64len, blob.b, blob.n,
			  sodium_base64_VARIANT_ORIGINAL);
	pos = 0;
	memcpy(text, ARMOR_BEGIN "\n", sizeof(ARMOR_BEGIN));
	pos += sizeof(ARMOR_BEGIN);
	for (i = 0; b64[i] != '\0'; i++) {
		text[pos++] = b64[i];
		if ((i + 1) % WRAP == 0 && b64[i + 1] != '\0')
			text[pos++] = '\n';
	}
	text[pos++] = '\n';
	memcpy(text + pos, ARMOR_END "\n", sizeof(ARMOR_END) + 1);
	*out = text;
	text = NULL; /* transferred */
	rc = 0;
done:
	sodium_memzero(raw, sizeof(raw));
	free(b64);
	free(text);
	return rc;
}

/* Decodes the armored text into blob. */
static int unarmor(struct wbuf *blob, const char *armored)
{
	const char *b, *e;
	size_t len;

	b = strstr(armored, ARMOR_BEGIN);
	if (b == NULL)
		return err_set(ERR_INVALID, "not an ssh signature");
	b += strlen(ARMOR_BEGIN);
	e = strstr(b, ARMOR_END);
	if (e == NULL)
		return err_set(ERR_INVALID, "ssh signature: no END line");
	if (sodium_base642bin(blob->b, sizeof(blob->b), b, (size_t)(e - b),
			      " \t\r\n", &len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		return err_set(ERR_INVALID, "ssh signature: bad base64");
	blob->n = len;
	return 0;
}

int sshsig_verify(const char *armored, const void *msg, size_t len,
		  const char *ns, unsigned char pk_out[SSHSIG_PK_LEN])
{
	struct wbuf blob = { .n = 0 }, data = { .n = 0 };
	struct rbuf r, pub, kt, key, sns, alg, sig, st, sraw;
	char algname[16];
	int rc;

	if (sodium_init() < 0)
		return err_set(ERR_CRYPTO, "cannot initialise libsodium");
	rc = unarmor(&blob, armored);
	if (rc < 0)
		return rc;
	r = (struct rbuf){ blob.b, blob.n, 0 };
	if (r.n < MAGIC_LEN || memcmp(r.p, MAGIC, MAGIC_LEN) != 0)
		return err_set(ERR_INVALID, "ssh signature: bad magic");
	r.p += MAGIC_LEN;
	r.n -= MAGIC_LEN;
	if (get_u32(&r) != 1)
		return err_set(ERR_INVALID, "ssh signature: unknown version");
	pub = get_str(&r);
	sns = get_str(&r);
	(void)get_str(&r); /* reserved */
	alg = get_str(&r);
	sig = get_str(&r);
	if (r.bad || r.n != 0)
		return err_set(ERR_INVALID, "ssh signature: malformed blob");

	kt = get_str(&pub);
	key = get_str(&pub);
	if (!str_is(&kt, KEYTYPE) || key.bad || key.n != SSHSIG_PK_LEN)
		return err_set(ERR_INVALID,
			       "ssh signature: not an ssh-ed25519 key");
	if (!str_is(&sns, ns))
		return err_set(ERR_SIGNATURE,
			       "ssh signature: wrong namespace (want '%s')", ns);
	if (alg.n >= sizeof(algname))
		return err_set(ERR_INVALID, "ssh signature: unknown hash");
	memcpy(algname, alg.p, alg.n);
	algname[alg.n] = '\0';
	st = get_str(&sig);
	sraw = get_str(&sig);
	if (!str_is(&st, KEYTYPE) || sraw.bad || sraw.n != crypto_sign_BYTES)
		return err_set(ERR_INVALID,
			       "ssh signature: not an ed25519 signature");

	rc = signed_data(&data, ns, algname, msg, len);
	if (rc < 0)
		return rc;
	if (crypto_sign_verify_detached(sraw.p, data.b, data.n, key.p) != 0)
		return err_set(ERR_SIGNATURE, "ssh signature does not verify");
	memcpy(pk_out, key.p, SSHSIG_PK_LEN);
	return 0;
}

int sshsig_pubkey_format(char **out, const unsigned char pk[SSHSIG_PK_LEN])
{
	struct wbuf w = { .n = 0 };
	struct rbuf r;
	size_t b64len;
	char *text;

	put_pubkey(&w, pk);
	/* put_pubkey wrote string(key blob): skip the outer length */
	r = (struct rbuf){ w.b, w.n, 0 };
	r = get_str(&r);
	b64len = sodium_base64_ENCODED_LEN(r.n, sodium_base64_VARIANT_ORIGINAL);
	text = malloc(sizeof(KEYTYPE) + b64len);
	if (text == NULL)
		return err_set(ERR_NOMEM, "out of memory");
	memcpy(text, KEYTYPE " ", sizeof(KEYTYPE));
	sodium_bin2base64(text + sizeof(KEYTYPE), b64len, r.p, r.n,
			  sodium_base64_VARIANT_ORIGINAL);
	*out = text;
	return 0;
}

int sshsig_pubkey_parse(const char *text, unsigned char pk[SSHSIG_PK_LEN],
			const char **end)
{
	unsigned char raw[128];
	const char *p = text, *b64end;
	struct rbuf r, kt, key;
	size_t len;

	while (*p == ' ' || *p == '\t')
		p++;
	if (strncmp(p, KEYTYPE, strlen(KEYTYPE)) != 0 ||
	    (p[strlen(KEYTYPE)] != ' ' && p[strlen(KEYTYPE)] != '\t'))
		return err_set(ERR_INVALID, "not an ssh-ed25519 key");
	p += strlen(KEYTYPE);
	while (*p == ' ' || *p == '\t')
		p++;
	if (sodium_base642bin(raw, sizeof(raw), p, strlen(p), NULL, &len,
			      &b64end, sodium_base64_VARIANT_ORIGINAL) != 0)
		return err_set(ERR_INVALID, "ssh-ed25519 key: bad base64");
	r = (struct rbuf){ raw, len, 0 };
	kt = get_str(&r);
	key = get_str(&r);
	if (!str_is(&kt, KEYTYPE) || key.bad || key.n != SSHSIG_PK_LEN ||
	    r.n != 0)
		return err_set(ERR_INVALID, "ssh-ed25519 key: malformed");
	memcpy(pk, key.p, SSHSIG_PK_LEN);
	if (end != NULL)
		*end = b64end;
	return 0;
}
