/*
 * sshsig.h - SSH signatures (the SSHSIG format of OpenSSH's
 * PROTOCOL.sshsig) made and checked with libsodium's ed25519.
 *
 * This is what `ssh-keygen -Y sign` writes and what git checks with
 * gpg.format=ssh: an armored blob ("-----BEGIN SSH SIGNATURE-----") holding
 * the signer's public key (ssh-ed25519 wire format), a namespace ("git" for
 * commits), the hash algorithm (sha512 here; sha256 accepted on reading)
 * and an ed25519 signature over the SSHSIG preamble, namespace and the hash
 * of the message.  Only ed25519 keys are supported.  Base64 is libsodium's.
 */
#ifndef TAPHOP_SSHSIG_H
#define TAPHOP_SSHSIG_H

#include <stddef.h>

#define SSHSIG_PK_LEN 32
#define SSHSIG_SK_LEN 64
#define SSHSIG_NAMESPACE_GIT "git"

/*
 * Signs msg (len bytes) in namespace ns with the ed25519 secret key sk
 * (libsodium's 64-byte form).  *out is the malloc'd, NUL-terminated armored
 * signature, ending with a newline.
 */
int sshsig_sign(char **out, const void *msg, size_t len, const char *ns,
		const unsigned char sk[SSHSIG_SK_LEN]);

/*
 * Checks an armored signature over msg in namespace ns.  On success writes
 * the signer's public key (as found in the signature) to pk_out; the caller
 * decides whether that key is trusted.  ERR_INVALID for a malformed
 * signature, ERR_SIGNATURE when it does not verify.
 */
int sshsig_verify(const char *armored, const void *msg, size_t len,
		  const char *ns, unsigned char pk_out[SSHSIG_PK_LEN]);

/* "ssh-ed25519 AAAAC3Nza..." for pk: *out malloc'd. */
int sshsig_pubkey_format(char **out, const unsigned char pk[SSHSIG_PK_LEN]);

/* Parses "ssh-ed25519 BASE64" (anything after the key is ignored) into pk;
 * *end, when not NULL, points past the key. ERR_INVALID. */
int sshsig_pubkey_parse(const char *text, unsigned char pk[SSHSIG_PK_LEN],
			const char **end);

#endif
