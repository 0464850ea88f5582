/*
 * test_sshsig.c - SSHSIG signatures: round trip, tampering, and the
 * ground truth: OpenSSH's own `ssh-keygen -Y verify` accepts ours and we
 * accept what `ssh-keygen -Y sign` makes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replicas/err.h"
#include "replicas/sshsig.h"

#include "replicas/banned.h"

static const char msg[] = "tree 4b825dc642cb6eb9a060e54bf8d69288fbe4904\n"
			  "author w01 <w01@taphop.invalid> 0 +0000\n\nhello\n";

struct fixture {
	unsigned char pk[32], sk[64];
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_true(sodium_init() >= 0);
	crypto_sign_keypair(f->pk, f->sk);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_sshsig.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static char *read_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *buf = calloc(1, 65536);
	size_t n;

	assert_non_null(fp);
	assert_non_null(buf);
	n = fread(buf, 1, 65535, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static void test_sshsig_round_trip(void **state)
{
	struct fixture *f = *state;
	unsigned char got[32];
	char *sig = NULL;

	assert_int_equal(sshsig_sign(&sig, msg, strlen(msg), "git", f->sk), 0);
	assert_non_null(strstr(sig, "-----BEGIN SSH SIGNATURE-----\n"));
	assert_non_null(strstr(sig, "-----END SSH SIGNATURE-----\n"));
	assert_int_equal(sshsig_verify(sig, msg, strlen(msg), "git", got), 0);
	assert_memory_equal(got, f->pk, 32);
	free(sig);
}

static void test_sshsig_rejects_tampering(void **state)
{
	struct fixture *f = *state;
	unsigned char got[32];
	char *sig = NULL;
	char other[sizeof(msg)];

	assert_int_equal(sshsig_sign(&sig, msg, strlen(msg), "git", f->sk), 0);
	memcpy(other, msg, sizeof(msg));
	other[5] ^= 1;
	assert_int_equal(sshsig_verify(sig, other, strlen(other), "git", got),
			 ERR_SIGNATURE);
	assert_int_equal(sshsig_verify(sig, msg, strlen(msg), "file", got),
			 ERR_SIGNATURE);
	assert_int_equal(sshsig_verify("garbage", msg, strlen(msg), "git", got),
			 ERR_INVALID);
	free(sig);
}

static void test_sshsig_pubkey_text(void **state)
{
	struct fixture *f = *state;
	unsigned char back[32];
	const char *end = NULL;
	char *text = NULL, line[256];

	assert_int_equal(sshsig_pubkey_format(&text, f->pk), 0);
	assert_int_equal(strncmp(text, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5", 32),
			 0);
	snprintf(line, sizeof(line), "%s a comment", text);
	assert_int_equal(sshsig_pubkey_parse(line, back, &end), 0);
	assert_memory_equal(back, f->pk, 32);
	assert_string_equal(end, " a comment");
	assert_int_equal(sshsig_pubkey_parse("ssh-rsa AAAA", back, NULL),
			 ERR_INVALID);
	free(text);
}

/* OpenSSH verifies what we sign. */
static void test_sshsig_ssh_keygen_verifies_ours(void **state)
{
	struct fixture *f = *state;
	char path[128], cmd[512], *sig = NULL, *key = NULL, *line = NULL;
	size_t n;

	assert_int_equal(sshsig_sign(&sig, msg, strlen(msg), "git", f->sk), 0);
	assert_int_equal(sshsig_pubkey_format(&key, f->pk), 0);
	snprintf(path, sizeof(path), "%s/msg", f->dir);
	write_file(path, msg, strlen(msg));
	snprintf(path, sizeof(path), "%s/msg.sig", f->dir);
	write_file(path, sig, strlen(sig));
	n = strlen(key) + 64;
	line = malloc(n);
	assert_non_null(line);
	snprintf(line, n, "w01 namespaces=\"git\" %s\n", key);
	snprintf(path, sizeof(path), "%s/signers", f->dir);
	write_file(path, line, strlen(line));
	snprintf(cmd, sizeof(cmd),
		 "ssh-keygen -q -Y verify -f '%s/signers' -I w01 -n git "
		 "-s '%s/msg.sig' < '%s/msg' >/dev/null 2>&1",
		 f->dir, f->dir, f->dir);
	assert_int_equal(system(cmd), 0);
	/* and refuses it for another principal */
	snprintf(cmd, sizeof(cmd),
		 "ssh-keygen -q -Y verify -f '%s/signers' -I w02 -n git "
		 "-s '%s/msg.sig' < '%s/msg' >/dev/null 2>&1",
		 f->dir, f->dir, f->dir);
	assert_int_not_equal(system(cmd), 0);
	free(line);
	free(sig);
	free(key);
}

/* We verify what OpenSSH signs, and find the same public key. */
static void test_sshsig_we_verify_ssh_keygen(void **state)
{
	struct fixture *f = *state;
	char path[128], cmd[512], *sig, *pub;
	unsigned char got[32], want[32];

	snprintf(cmd, sizeof(cmd),
		 "ssh-keygen -q -t ed25519 -N '' -f '%s/key' >/dev/null && "
		 "printf '%%s' '%s' > '%s/m' && "
		 "ssh-keygen -q -Y sign -f '%s/key' -n git '%s/m' 2>/dev/null",
		 f->dir, "payload", f->dir, f->dir, f->dir);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/m.sig", f->dir);
	sig = read_file(path);
	snprintf(path, sizeof(path), "%s/key.pub", f->dir);
	pub = read_file(path);
	assert_int_equal(sshsig_pubkey_parse(pub, want, NULL), 0);
	assert_int_equal(sshsig_verify(sig, "payload", 7, "git", got), 0);
	assert_memory_equal(got, want, 32);
	assert_int_equal(sshsig_verify(sig, "payloaD", 7, "git", got),
			 ERR_SIGNATURE);
	free(sig);
	free(pub);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sshsig_round_trip, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sshsig_rejects_tampering,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_sshsig_pubkey_text, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_sshsig_ssh_keygen_verifies_ours, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_sshsig_we_verify_ssh_keygen, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
