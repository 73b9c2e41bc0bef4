/* Host-side RSA padding checked against OpenSSL: blocks we encode and the
 * key signs raw must verify with OpenSSL's own padding, and ciphertexts
 * OpenSSL pads must decode after a raw decryption. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "crypto/rsa_pad.h"

static EVP_PKEY *k2048, *k1025;
static const uint8_t MSG[] = "Care Identity authentication challenge";

static int setup(void **state)
{
	(void)state;
	k2048 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	k1025 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1025);
	return k2048 != NULL && k1025 != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(k2048);
	EVP_PKEY_free(k1025);
	return 0;
}

static size_t klen(EVP_PKEY *k)
{
	return (size_t)EVP_PKEY_get_size(k);
}

/* The card's part: the raw private-key operation. */
static void raw_private(EVP_PKEY *k, bool sign, const uint8_t *in, size_t inlen, uint8_t *out)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k, NULL);
	size_t ol = klen(k);

	assert_non_null(c);
	if (sign) {
		assert_int_equal(1, EVP_PKEY_sign_init(c));
		assert_true(EVP_PKEY_CTX_set_rsa_padding(c, RSA_NO_PADDING) > 0);
		assert_int_equal(1, EVP_PKEY_sign(c, out, &ol, in, inlen));
	} else {
		assert_int_equal(1, EVP_PKEY_decrypt_init(c));
		assert_true(EVP_PKEY_CTX_set_rsa_padding(c, RSA_NO_PADDING) > 0);
		assert_int_equal(1, EVP_PKEY_decrypt(c, out, &ol, in, inlen));
	}
	assert_int_equal(ol, klen(k));
	EVP_PKEY_CTX_free(c);
}

static const struct {
	CK_MECHANISM_TYPE ckm;
	CK_RSA_PKCS_MGF_TYPE mgf;
	const char *name;
	size_t len;
} H[] = {
	{ CKM_SHA_1, CKG_MGF1_SHA1, "SHA1", 20 },
	{ CKM_SHA224, CKG_MGF1_SHA224, "SHA224", 28 },
	{ CKM_SHA256, CKG_MGF1_SHA256, "SHA256", 32 },
	{ CKM_SHA384, CKG_MGF1_SHA384, "SHA384", 48 },
	{ CKM_SHA512, CKG_MGF1_SHA512, "SHA512", 64 },
};

static void hash(size_t i, const uint8_t *m, size_t n, uint8_t *out)
{
	unsigned ol = 0;

	assert_int_equal(1, EVP_Digest(m, n, out, &ol, EVP_get_digestbyname(H[i].name), NULL));
	assert_int_equal(ol, H[i].len);
}

static int verify_with(EVP_PKEY *k, size_t hi, int pad, int saltlen, const char *mgf, const uint8_t *sig)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	int r;

	assert_int_equal(1, EVP_DigestVerifyInit_ex(m, &pc, H[hi].name, NULL, NULL, k, NULL));
	assert_true(EVP_PKEY_CTX_set_rsa_padding(pc, pad) > 0);
	if (pad == RSA_PKCS1_PSS_PADDING) {
		assert_true(EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, saltlen) > 0);
		assert_true(EVP_PKEY_CTX_set_rsa_mgf1_md_name(pc, mgf, NULL) > 0);
	}
	r = EVP_DigestVerify(m, sig, klen(k), MSG, sizeof(MSG));
	EVP_MD_CTX_free(m);
	return r;
}

static void test_pkcs1_sign_all_hashes(void **state)
{
	uint8_t h[64], di[128], em[256], sig[256];
	size_t dl = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(H) / sizeof(H[0]); i++) {
		hash(i, MSG, sizeof(MSG), h);
		assert_int_equal(CKR_OK, cid_rsa_digest_info(H[i].ckm, h, H[i].len, di, sizeof(di), &dl));
		assert_int_equal(CKR_OK, cid_rsa_pkcs1_sign_pad(di, dl, em, sizeof(em)));
		assert_int_equal(0x00, em[0]);
		assert_int_equal(0x01, em[1]);
		raw_private(k2048, true, em, sizeof(em), sig);
		assert_int_equal(1, verify_with(k2048, i, RSA_PKCS1_PADDING, 0, NULL, sig));
		/* One flipped bit in the block and OpenSSL must refuse it. */
		em[sizeof(em) - 1] ^= 1;
		raw_private(k2048, true, em, sizeof(em), sig);
		assert_int_not_equal(1, verify_with(k2048, i, RSA_PKCS1_PADDING, 0, NULL, sig));
	}
}

static void test_pkcs1_sign_errors(void **state)
{
	uint8_t h[32] = { 0 }, di[64], em[256], big[246];
	size_t dl = 0;

	(void)state;
	assert_int_equal(CKR_DATA_LEN_RANGE, cid_rsa_digest_info(CKM_SHA256, h, 31, di, sizeof(di), &dl));
	assert_int_equal(CKR_BUFFER_TOO_SMALL, cid_rsa_digest_info(CKM_SHA256, h, 32, di, 50, &dl));
	assert_int_equal(51, dl);
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, cid_rsa_digest_info(CKM_MD5, h, 16, di, sizeof(di), &dl));
	memset(big, 0x5a, sizeof(big));
	assert_int_equal(CKR_OK, cid_rsa_pkcs1_sign_pad(big, 245, em, sizeof(em)));
	assert_int_equal(CKR_DATA_LEN_RANGE, cid_rsa_pkcs1_sign_pad(big, 246, em, sizeof(em)));
	assert_int_equal(CKR_OK, cid_rsa_pkcs1_sign_pad(NULL, 0, em, sizeof(em)));
	assert_int_equal(0x00, em[255]);
}

static void pss_case(EVP_PKEY *k, size_t hi, size_t mi, size_t slen)
{
	uint8_t h[64], em[512], sig[512];
	size_t kl = klen(k), bits = (size_t)EVP_PKEY_get_bits(k);
	static const char *mgfname[] = { "SHA1", "SHA224", "SHA256", "SHA384", "SHA512" };

	hash(hi, MSG, sizeof(MSG), h);
	assert_int_equal(CKR_OK, cid_rsa_pss_encode(H[hi].ckm, H[mi].mgf, slen, h, H[hi].len, bits, em, kl));
	raw_private(k, true, em, kl, sig);
	assert_int_equal(1, verify_with(k, hi, RSA_PKCS1_PSS_PADDING, (int)slen, mgfname[mi], sig));
	/* A different salt length is a different signature scheme. */
	assert_int_not_equal(1, verify_with(k, hi, RSA_PKCS1_PSS_PADDING, (int)slen + 1, mgfname[mi], sig));
}

static void test_pss(void **state)
{
	(void)state;
	pss_case(k2048, 2, 2, 32);
	pss_case(k2048, 2, 2, 0);
	pss_case(k2048, 0, 0, 20);
	pss_case(k2048, 4, 4, 64);
	pss_case(k2048, 3, 0, 48);
	/* 1025 bits: the encoded message is one byte shorter than the modulus. */
	pss_case(k1025, 2, 2, 32);
	pss_case(k1025, 0, 2, 20);
}

static void test_pss_errors(void **state)
{
	uint8_t h[64] = { 0 }, em[256];

	(void)state;
	assert_int_equal(CKR_DATA_LEN_RANGE, cid_rsa_pss_encode(CKM_SHA256, CKG_MGF1_SHA256, 32, h, 20, 2048, em, 256));
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, cid_rsa_pss_encode(CKM_SHA256, 0x99, 32, h, 32, 2048, em, 256));
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, cid_rsa_pss_encode(CKM_MD5, CKG_MGF1_SHA256, 32, h, 16, 2048, em, 256));
	/* 512-bit modulus: too small for SHA-512 with a 64-byte salt. */
	assert_int_equal(CKR_KEY_SIZE_RANGE, cid_rsa_pss_encode(CKM_SHA512, CKG_MGF1_SHA512, 64, h, 64, 512, em, 64));
	assert_int_equal(CKR_ARGUMENTS_BAD, cid_rsa_pss_encode(CKM_SHA256, CKG_MGF1_SHA256, 32, h, 32, 2048, em, 255));
}

static size_t encrypt_with(EVP_PKEY *k, int pad, const char *oaep_md, const char *label, const uint8_t *pt,
                           size_t n, uint8_t *ct)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k, NULL);
	size_t ol = klen(k);

	assert_int_equal(1, EVP_PKEY_encrypt_init(c));
	assert_true(EVP_PKEY_CTX_set_rsa_padding(c, pad) > 0);
	if (pad == RSA_PKCS1_OAEP_PADDING) {
		assert_true(EVP_PKEY_CTX_set_rsa_oaep_md_name(c, oaep_md, NULL) > 0);
		assert_true(EVP_PKEY_CTX_set_rsa_mgf1_md_name(c, oaep_md, NULL) > 0);
		if (label != NULL) {
			/* OpenSSL takes ownership of the label. */
			void *l = OPENSSL_memdup(label, strlen(label));
			assert_true(EVP_PKEY_CTX_set0_rsa_oaep_label(c, l, (int)strlen(label)) > 0);
		}
	}
	assert_int_equal(1, EVP_PKEY_encrypt(c, ct, &ol, pt, n));
	EVP_PKEY_CTX_free(c);
	return ol;
}

static void test_pkcs1_decrypt(void **state)
{
	uint8_t ct[256], em[256], bad[256], out[256];
	size_t ol;

	(void)state;
	for (size_t n = 0; n <= 245; n += 49) {
		encrypt_with(k2048, RSA_PKCS1_PADDING, NULL, NULL, MSG, n < sizeof(MSG) ? n : sizeof(MSG), ct);
		raw_private(k2048, false, ct, sizeof(ct), em);
		ol = sizeof(out);
		assert_int_equal(CKR_OK, cid_rsa_pkcs1_decrypt_unpad(em, sizeof(em), out, &ol));
		assert_int_equal(ol, n < sizeof(MSG) ? n : sizeof(MSG));
		assert_memory_equal(out, MSG, ol);
	}
	/* Corruptions of every kind give the one error. */
	memcpy(bad, em, sizeof(bad));
	bad[0] = 1;
	ol = sizeof(out);
	assert_int_equal(CKR_ENCRYPTED_DATA_INVALID, cid_rsa_pkcs1_decrypt_unpad(bad, 256, out, &ol));
	memcpy(bad, em, sizeof(bad));
	bad[1] = 1;
	assert_int_equal(CKR_ENCRYPTED_DATA_INVALID, cid_rsa_pkcs1_decrypt_unpad(bad, 256, out, &ol));
	memset(bad, 0x33, sizeof(bad));
	bad[0] = 0;
	bad[1] = 2;
	assert_int_equal(CKR_ENCRYPTED_DATA_INVALID, cid_rsa_pkcs1_decrypt_unpad(bad, 256, out, &ol));
	bad[9] = 0;   /* only seven bytes of padding */
	assert_int_equal(CKR_ENCRYPTED_DATA_INVALID, cid_rsa_pkcs1_decrypt_unpad(bad, 256, out, &ol));
	bad[9] = 0x33;
	bad[10] = 0;  /* eight: acceptable */
	assert_int_equal(CKR_OK, cid_rsa_pkcs1_decrypt_unpad(bad, 256, out, &ol));
	assert_int_equal(245, ol);
	ol = 10;
	assert_int_equal(CKR_BUFFER_TOO_SMALL, cid_rsa_pkcs1_decrypt_unpad(bad, 256, out, &ol));
	assert_int_equal(245, ol);
}

static void test_oaep(void **state)
{
	uint8_t ct[256], em[256], bad[256], out[256];
	size_t ol;

	(void)state;
	encrypt_with(k2048, RSA_PKCS1_OAEP_PADDING, "SHA256", "careid", MSG, sizeof(MSG), ct);
	raw_private(k2048, false, ct, sizeof(ct), em);
	ol = sizeof(out);
	assert_int_equal(CKR_OK, cid_rsa_oaep_unpad(CKM_SHA256, CKG_MGF1_SHA256, (const uint8_t *)"careid", 6, em,
	                                            sizeof(em), out, &ol));
	assert_int_equal(sizeof(MSG), ol);
	assert_memory_equal(out, MSG, ol);
	/* Wrong label, wrong hash, wrong MGF. */
	ol = sizeof(out);
	assert_int_equal(CKR_ENCRYPTED_DATA_INVALID,
	                 cid_rsa_oaep_unpad(CKM_SHA256, CKG_MGF1_SHA256, (const uint8_t *)"careiD", 6, em, 256, out, &ol));
	assert_int_equal(CKR_ENCRYPTED_DATA_INVALID,
	                 cid_rsa_oaep_unpad(CKM_SHA256, CKG_MGF1_SHA256, NULL, 0, em, 256, out, &ol));
	assert_int_equal(CKR_ENCRYPTED_DATA_INVALID,
	                 cid_rsa_oaep_unpad(CKM_SHA_1, CKG_MGF1_SHA256, (const uint8_t *)"careid", 6, em, 256, out, &ol));
	assert_int_equal(CKR_ENCRYPTED_DATA_INVALID,
	                 cid_rsa_oaep_unpad(CKM_SHA256, CKG_MGF1_SHA1, (const uint8_t *)"careid", 6, em, 256, out, &ol));
	/* Any single corrupted byte ruins the block. */
	for (size_t i = 0; i < sizeof(em); i += 7) {
		memcpy(bad, em, sizeof(bad));
		bad[i] ^= 0x80;
		ol = sizeof(out);
		assert_int_equal(CKR_ENCRYPTED_DATA_INVALID,
		                 cid_rsa_oaep_unpad(CKM_SHA256, CKG_MGF1_SHA256, (const uint8_t *)"careid", 6, bad, 256,
		                                    out, &ol));
	}
	/* SHA-1 without label, and an empty message. */
	encrypt_with(k2048, RSA_PKCS1_OAEP_PADDING, "SHA1", NULL, MSG, 0, ct);
	raw_private(k2048, false, ct, sizeof(ct), em);
	ol = sizeof(out);
	assert_int_equal(CKR_OK, cid_rsa_oaep_unpad(CKM_SHA_1, CKG_MGF1_SHA1, NULL, 0, em, 256, out, &ol));
	assert_int_equal(0, ol);
	ol = 100;
	assert_int_equal(CKR_BUFFER_TOO_SMALL, cid_rsa_oaep_unpad(CKM_SHA_1, CKG_MGF1_SHA1, NULL, 0, em, 256, out, &ol));
	assert_int_equal(256 - 42, ol);
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, cid_rsa_oaep_unpad(CKM_MD5, CKG_MGF1_SHA1, NULL, 0, em, 256, out, &ol));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pkcs1_sign_all_hashes),
		cmocka_unit_test(test_pkcs1_sign_errors),
		cmocka_unit_test(test_pss),
		cmocka_unit_test(test_pss_errors),
		cmocka_unit_test(test_pkcs1_decrypt),
		cmocka_unit_test(test_oaep),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
