/* The token's storage primitives on OpenSSL: random bytes, the scrypt
 * key derivation and AES-256-GCM sealing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/mem.h"
#include "crypto/crypto.h"

static const uint8_t MSG[] = "the quick brown fox jumps over the lazy dog";

static void random_bytes(void **state)
{
	uint8_t a[32] = { 0 }, b[32] = { 0 };

	(void)state;
	assert_int_equal(CKR_OK, cid_random(a, sizeof(a)));
	assert_int_equal(CKR_OK, cid_random(b, sizeof(b)));
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(CKR_OK, cid_random(a, 0));
	assert_int_equal(CKR_ARGUMENTS_BAD, cid_random(NULL, 1));
}

static void scrypt_kdf(void **state)
{
	/* RFC 7914 section 12, first two vectors. */
	static const uint8_t v1[] = {
		0x77, 0xd6, 0x57, 0x62, 0x38, 0x65, 0x7b, 0x20, 0x3b, 0x19, 0xca, 0x42, 0xc1, 0x8a, 0x04, 0x97,
		0xf1, 0x6b, 0x48, 0x44, 0xe3, 0x07, 0x4a, 0xe8, 0xdf, 0xdf, 0xfa, 0x3f, 0xed, 0xe2, 0x14, 0x42,
		0xfc, 0xd0, 0x06, 0x9d, 0xed, 0x09, 0x48, 0xf8, 0x32, 0x6a, 0x75, 0x3a, 0x0f, 0xc8, 0x1f, 0x17,
		0xe8, 0xd3, 0xe0, 0xfb, 0x2e, 0x0d, 0x36, 0x28, 0xcf, 0x35, 0xe2, 0x0c, 0x38, 0xd1, 0x89, 0x06,
	};
	static const uint8_t v2[] = {
		0xfd, 0xba, 0xbe, 0x1c, 0x9d, 0x34, 0x72, 0x00, 0x78, 0x56, 0xe7, 0x19, 0x0d, 0x01, 0xe9, 0xfe,
		0x7c, 0x6a, 0xd7, 0xcb, 0xc8, 0x23, 0x78, 0x30, 0xe7, 0x73, 0x76, 0x63, 0x4b, 0x37, 0x31, 0x62,
		0x2e, 0xaf, 0x30, 0xd9, 0x2e, 0x22, 0xa3, 0x88, 0x6f, 0xf1, 0x09, 0x27, 0x9d, 0x98, 0x30, 0xda,
		0xc7, 0x27, 0xaf, 0xb9, 0x4a, 0x83, 0xee, 0x6d, 0x83, 0x60, 0xcb, 0xdf, 0xa2, 0xcc, 0x06, 0x40,
	};
	cid_kdf_params p = { 4, 1, 1 };
	uint8_t out[64], out2[64];

	(void)state;
	assert_int_equal(CKR_OK, cid_kdf(NULL, 0, NULL, 0, &p, out, sizeof(out)));
	assert_memory_equal(v1, out, 64);
	p = (cid_kdf_params){ 10, 8, 16 };
	assert_int_equal(CKR_OK, cid_kdf((const uint8_t *)"password", 8, (const uint8_t *)"NaCl", 4, &p, out, 64));
	assert_memory_equal(v2, out, 64);
	/* Deterministic, and sensitive to every input. */
	p = (cid_kdf_params){ 12, 8, 1 };
	assert_int_equal(CKR_OK, cid_kdf((const uint8_t *)"pin", 3, (const uint8_t *)"salt", 4, &p, out, 32));
	assert_int_equal(CKR_OK, cid_kdf((const uint8_t *)"pin", 3, (const uint8_t *)"salt", 4, &p, out2, 32));
	assert_memory_equal(out, out2, 32);
	assert_int_equal(CKR_OK, cid_kdf((const uint8_t *)"pin", 3, (const uint8_t *)"salu", 4, &p, out2, 32));
	assert_memory_not_equal(out, out2, 32);
	p.log2_n = 13;
	assert_int_equal(CKR_OK, cid_kdf((const uint8_t *)"pin", 3, (const uint8_t *)"salt", 4, &p, out2, 32));
	assert_memory_not_equal(out, out2, 32);
	p.log2_n = 0;
	assert_int_equal(CKR_ARGUMENTS_BAD, cid_kdf((const uint8_t *)"pin", 3, (const uint8_t *)"salt", 4, &p, out2, 32));
	p = (cid_kdf_params){ 12, 0, 1 };
	assert_int_equal(CKR_ARGUMENTS_BAD, cid_kdf((const uint8_t *)"pin", 3, (const uint8_t *)"salt", 4, &p, out2, 32));
	assert_int_equal(CKR_ARGUMENTS_BAD, cid_kdf((const uint8_t *)"pin", 3, (const uint8_t *)"salt", 4, NULL, out2, 32));
}

static void aead(void **state)
{
	uint8_t key[CID_AEAD_KEY_LEN], key2[CID_AEAD_KEY_LEN], *ct = NULL, *ct2 = NULL, *pt = NULL;
	size_t cl = 0, cl2 = 0, pl = 0;
	static const uint8_t aad[] = "object 42";

	(void)state;
	memset(key, 0x11, sizeof(key));
	memset(key2, 0x12, sizeof(key2));
	assert_int_equal(CKR_OK, cid_aead_seal(key, aad, sizeof(aad), MSG, sizeof(MSG), &ct, &cl));
	assert_int_equal(sizeof(MSG) + CID_AEAD_OVERHEAD, cl);
	assert_int_equal(CKR_OK, cid_aead_open(key, aad, sizeof(aad), ct, cl, &pt, &pl));
	assert_int_equal(sizeof(MSG), pl);
	assert_memory_equal(MSG, pt, pl);
	cid_free_secret(&pt, pl);
	/* A fresh nonce every time. */
	assert_int_equal(CKR_OK, cid_aead_seal(key, aad, sizeof(aad), MSG, sizeof(MSG), &ct2, &cl2));
	assert_memory_not_equal(ct, ct2, 12);
	free(ct2);
	/* Tampered ciphertext, tag, nonce, AAD; wrong key; short input. */
	for (size_t i = 0; i < cl; i += cl / 5) {
		ct[i] ^= 0x80;
		assert_int_equal(CKR_ENCRYPTED_DATA_INVALID, cid_aead_open(key, aad, sizeof(aad), ct, cl, &pt, &pl));
		assert_null(pt);
		ct[i] ^= 0x80;
	}
	ct[cl - 1] ^= 1;
	assert_int_equal(CKR_ENCRYPTED_DATA_INVALID, cid_aead_open(key, aad, sizeof(aad), ct, cl, &pt, &pl));
	ct[cl - 1] ^= 1;
	assert_int_equal(CKR_ENCRYPTED_DATA_INVALID, cid_aead_open(key, aad, sizeof(aad) - 1, ct, cl, &pt, &pl));
	assert_int_equal(CKR_ENCRYPTED_DATA_INVALID, cid_aead_open(key, NULL, 0, ct, cl, &pt, &pl));
	assert_int_equal(CKR_ENCRYPTED_DATA_INVALID, cid_aead_open(key2, aad, sizeof(aad), ct, cl, &pt, &pl));
	assert_int_equal(CKR_ENCRYPTED_DATA_INVALID, cid_aead_open(key, aad, sizeof(aad), ct, cl - 1, &pt, &pl));
	assert_int_equal(CKR_ENCRYPTED_DATA_LEN_RANGE, cid_aead_open(key, aad, sizeof(aad), ct, 27, &pt, &pl));
	assert_null(pt);
	free(ct);
	/* Empty plaintext, no AAD. */
	assert_int_equal(CKR_OK, cid_aead_seal(key, NULL, 0, NULL, 0, &ct, &cl));
	assert_int_equal(CID_AEAD_OVERHEAD, cl);
	assert_int_equal(CKR_OK, cid_aead_open(key, NULL, 0, ct, cl, &pt, &pl));
	assert_int_equal(0, pl);
	free(pt);
	free(ct);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(random_bytes),
		cmocka_unit_test(scrypt_kdf),
		cmocka_unit_test(aead),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
