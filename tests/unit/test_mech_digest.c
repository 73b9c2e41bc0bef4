/* The mechanism table, and digests through the crypto layer's operations:
 * known answers, one-shot against multi-part, and OpenSSL's own result for
 * every hash offered. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "crypto/crypto.h"

static const uint8_t MSG[] = "the quick brown fox jumps over the lazy dog";

static void mech_table(void **state)
{
	size_t n = 0;
	const cid_mech_desc *l = cid_mech_list(&n), *d;

	(void)state;
	assert_true(n >= 30);
	for (size_t i = 0; i < n; i++)
		assert_ptr_equal(&l[i], cid_mech_find(l[i].type));
	assert_null(cid_mech_find(CKM_DSA));
	d = cid_mech_find(CKM_RSA_PKCS);
	assert_int_equal(CKF_SIGN | CKF_VERIFY | CKF_ENCRYPT | CKF_DECRYPT, d->flags);
	assert_false(d->multipart);
	d = cid_mech_find(CKM_SHA256_RSA_PKCS_PSS);
	assert_true(d->multipart);
	assert_int_equal(CKK_RSA, d->key_type);
	d = cid_mech_find(CKM_RSA_PKCS_KEY_PAIR_GEN);
	assert_int_equal(2048, d->min_bits);
	assert_int_equal(4096, d->max_bits);
	d = cid_mech_find(CKM_ECDSA);
	assert_int_equal(256, d->min_bits);
	assert_int_equal(384, d->max_bits);
	assert_true(d->flags & CKF_EC_UNCOMPRESS);
	d = cid_mech_find(CKM_SHA256);
	assert_int_equal((CK_KEY_TYPE)-1, d->key_type);
	assert_int_equal(CKF_DIGEST, d->flags);
	assert_true(cid_mech_find(CKM_ECDH1_DERIVE)->flags & CKF_DERIVE);
	assert_false(cid_mech_find(CKM_EDDSA)->multipart);
}

static void digests(void **state)
{
	static const uint8_t sha256_abc[] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
		0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};
	static const uint8_t sha1_abc[] = { 0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81, 0x6a, 0xba, 0x3e,
		                            0x25, 0x71, 0x78, 0x50, 0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d };
	static const struct { CK_MECHANISM_TYPE m; const char *name; size_t len; } all[] = {
		{ CKM_SHA_1, "SHA1", 20 }, { CKM_SHA224, "SHA224", 28 }, { CKM_SHA256, "SHA256", 32 },
		{ CKM_SHA384, "SHA384", 48 }, { CKM_SHA512, "SHA512", 64 },
	};
	CK_MECHANISM m = { CKM_SHA256, NULL, 0 };
	uint8_t out[64], ref[64];
	CK_ULONG ol = sizeof(out);
	cid_op *op = NULL;

	(void)state;
	assert_int_equal(CKR_OK, cid_op_new(CID_OP_DIGEST, &m, NULL, &op));
	assert_int_equal(CID_OP_DIGEST, cid_op_get_kind(op));
	assert_int_equal(CKR_OK, cid_op_oneshot(op, (const uint8_t *)"abc", 3, out, &ol));
	assert_int_equal(32, ol);
	assert_memory_equal(sha256_abc, out, 32);
	cid_op_free(&op);

	m.mechanism = CKM_SHA_1;
	assert_int_equal(CKR_OK, cid_op_new(CID_OP_DIGEST, &m, NULL, &op));
	assert_int_equal(CKR_OK, cid_op_update(op, (const uint8_t *)"a", 1));
	assert_int_equal(CKR_OK, cid_op_update(op, (const uint8_t *)"bc", 2));
	ol = 0;
	assert_int_equal(CKR_OK, cid_op_final(op, NULL, &ol));
	assert_int_equal(20, ol);
	ol = 19;
	assert_int_equal(CKR_BUFFER_TOO_SMALL, cid_op_final(op, out, &ol));
	assert_int_equal(CKR_OK, cid_op_final(op, out, &ol));
	assert_memory_equal(sha1_abc, out, 20);
	cid_op_free(&op);

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		m.mechanism = all[i].m;
		assert_int_equal(CKR_OK, cid_op_new(CID_OP_DIGEST, &m, NULL, &op));
		assert_int_equal(CKR_OK, cid_op_update(op, MSG, 3));
		assert_int_equal(CKR_OK, cid_op_update(op, MSG + 3, sizeof(MSG) - 3));
		ol = sizeof(out);
		assert_int_equal(CKR_OK, cid_op_final(op, out, &ol));
		cid_op_free(&op);
		assert_int_equal(all[i].len, ol);
		assert_int_equal(1, EVP_Q_digest(NULL, all[i].name, NULL, MSG, sizeof(MSG), ref, NULL));
		assert_memory_equal(ref, out, ol);
	}
	m.mechanism = CKM_SHA256;
	m.pParameter = out;
	m.ulParameterLen = 1;
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, cid_op_new(CID_OP_DIGEST, &m, NULL, &op));
	m = (CK_MECHANISM){ CKM_MD5, NULL, 0 };
	assert_int_equal(CKR_MECHANISM_INVALID, cid_op_new(CID_OP_DIGEST, &m, NULL, &op));
	m.mechanism = CKM_SHA256_RSA_PKCS;
	assert_int_equal(CKR_MECHANISM_INVALID, cid_op_new(CID_OP_DIGEST, &m, NULL, &op));
	assert_null(op);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mech_table),
		cmocka_unit_test(digests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
