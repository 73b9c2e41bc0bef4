/* The crypto layer: RSA encryption and decryption, the length convention, ECDH. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/attrs.h"
#include "common/mem.h"
#include "crypto/crypto.h"

#include "crypto_fixture.h"

/* ---- encryption ------------------------------------------------------------------ */

static void oaep(void **state)
{
	static const char label[] = "careid label";
	CK_RSA_PKCS_OAEP_PARAMS p = { CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, (void *)label, sizeof(label) };
	CK_MECHANISM m = { CKM_RSA_PKCS_OAEP, &p, sizeof(p) };
	uint8_t ct[256], pt[256], big[256];
	CK_ULONG cl = sizeof(ct), pl = sizeof(pt);
	EVP_PKEY *pk = ossl_pub(&rsa2048);
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
	size_t ol = sizeof(ct);

	(void)state;
	assert_int_equal(CKR_OK, do_cipher(CID_OP_ENCRYPT, &m, rsa2048.kpub, MSG, sizeof(MSG), ct, &cl));
	assert_int_equal(256, cl);
	assert_int_equal(CKR_OK, do_cipher(CID_OP_DECRYPT, &m, rsa2048.kpriv, ct, cl, pt, &pl));
	assert_int_equal(sizeof(MSG), pl);
	assert_memory_equal(MSG, pt, pl);
	/* Encrypted by OpenSSL alone with the same parameters. */
	assert_int_equal(1, EVP_PKEY_encrypt_init(pc));
	assert_int_equal(1, EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_OAEP_PADDING));
	assert_int_equal(1, EVP_PKEY_CTX_set_rsa_oaep_md_name(pc, "SHA256", NULL));
	assert_int_equal(1, EVP_PKEY_CTX_set_rsa_mgf1_md_name(pc, "SHA256", NULL));
	assert_int_equal(1, EVP_PKEY_CTX_set0_rsa_oaep_label(pc, OPENSSL_memdup(label, sizeof(label)), sizeof(label)));
	assert_int_equal(1, EVP_PKEY_encrypt(pc, ct, &ol, (const uint8_t *)"hello", 5));
	pl = sizeof(pt);
	assert_int_equal(CKR_OK, do_cipher(CID_OP_DECRYPT, &m, rsa2048.kpriv, ct, ol, pt, &pl));
	assert_int_equal(5, pl);
	assert_memory_equal("hello", pt, 5);
	/* Tampering, wrong label, wrong length. */
	ct[100] ^= 1;
	pl = sizeof(pt);
	assert_int_equal(CKR_ENCRYPTED_DATA_INVALID, do_cipher(CID_OP_DECRYPT, &m, rsa2048.kpriv, ct, 256, pt, &pl));
	ct[100] ^= 1;
	p.ulSourceDataLen--;
	assert_int_equal(CKR_ENCRYPTED_DATA_INVALID, do_cipher(CID_OP_DECRYPT, &m, rsa2048.kpriv, ct, 256, pt, &pl));
	p.ulSourceDataLen++;
	assert_int_equal(CKR_ENCRYPTED_DATA_LEN_RANGE, do_cipher(CID_OP_DECRYPT, &m, rsa2048.kpriv, ct, 255, pt, &pl));
	/* Plaintext limit k - 2hLen - 2 = 190. */
	memset(big, 7, sizeof(big));
	cl = sizeof(ct);
	assert_int_equal(CKR_OK, do_cipher(CID_OP_ENCRYPT, &m, rsa2048.kpub, big, 190, ct, &cl));
	assert_int_equal(CKR_DATA_LEN_RANGE, do_cipher(CID_OP_ENCRYPT, &m, rsa2048.kpub, big, 191, ct, &cl));
	/* No label, source left at 0, SHA-1 everywhere. */
	p = (CK_RSA_PKCS_OAEP_PARAMS){ CKM_SHA_1, CKG_MGF1_SHA1, 0, NULL, 0 };
	cl = sizeof(ct);
	pl = sizeof(pt);
	assert_int_equal(CKR_OK, do_cipher(CID_OP_ENCRYPT, &m, rsa2048.kpub, big, 214, ct, &cl));
	assert_int_equal(CKR_OK, do_cipher(CID_OP_DECRYPT, &m, rsa2048.kpriv, ct, cl, pt, &pl));
	assert_int_equal(214, pl);
	/* Bad parameters. */
	p.source = 7;
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, do_cipher(CID_OP_ENCRYPT, &m, rsa2048.kpub, big, 1, ct, &cl));
	p.source = CKZ_DATA_SPECIFIED;
	p.ulSourceDataLen = 3;
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, do_cipher(CID_OP_ENCRYPT, &m, rsa2048.kpub, big, 1, ct, &cl));
	p.ulSourceDataLen = 0;
	p.mgf = 0;
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, do_cipher(CID_OP_ENCRYPT, &m, rsa2048.kpub, big, 1, ct, &cl));
	m.pParameter = NULL;
	m.ulParameterLen = 0;
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, do_cipher(CID_OP_ENCRYPT, &m, rsa2048.kpub, big, 1, ct, &cl));
	EVP_PKEY_CTX_free(pc);
	EVP_PKEY_free(pk);
}

static void pkcs1_and_raw_encrypt(void **state)
{
	CK_MECHANISM m = { CKM_RSA_PKCS, NULL, 0 };
	const CK_ATTRIBUTE *n = need(&rsa2048.pub, CKA_MODULUS);
	uint8_t ct[256], pt[256], in[300];
	CK_ULONG cl = sizeof(ct), pl = sizeof(pt);

	(void)state;
	assert_int_equal(CKR_OK, do_cipher(CID_OP_ENCRYPT, &m, rsa2048.kpub, MSG, sizeof(MSG), ct, &cl));
	assert_int_equal(CKR_OK, do_cipher(CID_OP_DECRYPT, &m, rsa2048.kpriv, ct, cl, pt, &pl));
	assert_int_equal(sizeof(MSG), pl);
	assert_memory_equal(MSG, pt, pl);
	ct[0] ^= 0x01;
	pl = sizeof(pt);
	assert_int_equal(CKR_ENCRYPTED_DATA_INVALID, do_cipher(CID_OP_DECRYPT, &m, rsa2048.kpriv, ct, 256, pt, &pl));
	assert_int_equal(CKR_ENCRYPTED_DATA_INVALID, do_cipher(CID_OP_DECRYPT, &m, rsa2048.kpriv, n->pValue, 256, pt, &pl));
	assert_int_equal(CKR_DATA_LEN_RANGE, do_cipher(CID_OP_ENCRYPT, &m, rsa2048.kpub, in, 246, ct, &cl));

	/* Raw RSA: short input is left-padded, output is the full block. */
	m.mechanism = CKM_RSA_X_509;
	memset(in, 0x33, sizeof(in));
	cl = sizeof(ct);
	pl = sizeof(pt);
	assert_int_equal(CKR_OK, do_cipher(CID_OP_ENCRYPT, &m, rsa2048.kpub, in, 10, ct, &cl));
	assert_int_equal(256, cl);
	assert_int_equal(CKR_OK, do_cipher(CID_OP_DECRYPT, &m, rsa2048.kpriv, ct, cl, pt, &pl));
	assert_int_equal(256, pl);
	memset(in, 0, 246);
	assert_memory_equal(in, pt, 256);
	assert_int_equal(CKR_DATA_INVALID, do_cipher(CID_OP_ENCRYPT, &m, rsa2048.kpub, n->pValue, 256, ct, &cl));
	assert_int_equal(CKR_DATA_LEN_RANGE, do_cipher(CID_OP_ENCRYPT, &m, rsa2048.kpub, in, 257, ct, &cl));
	assert_int_equal(CKR_ENCRYPTED_DATA_INVALID, do_cipher(CID_OP_DECRYPT, &m, rsa2048.kpriv, n->pValue, 256, pt, &pl));
	assert_int_equal(CKR_ENCRYPTED_DATA_LEN_RANGE, do_cipher(CID_OP_DECRYPT, &m, rsa2048.kpriv, ct, 10, pt, &pl));
}

static void length_convention(void **state)
{
	CK_MECHANISM m = { CKM_RSA_PKCS, NULL, 0 };
	uint8_t ct[256], pt[256], junk[256];
	CK_ULONG cl = 0, pl = 0;
	cid_op *op = NULL;

	(void)state;
	assert_int_equal(CKR_OK, cid_op_new(CID_OP_ENCRYPT, &m, rsa2048.kpub, &op));
	assert_int_equal(CKR_OK, cid_op_oneshot(op, MSG, 10, NULL, &cl));
	assert_int_equal(256, cl);
	cl = 255;
	assert_int_equal(CKR_BUFFER_TOO_SMALL, cid_op_oneshot(op, MSG, 10, ct, &cl));
	assert_int_equal(256, cl);
	assert_int_equal(CKR_OK, cid_op_oneshot(op, MSG, 10, ct, &cl));
	cid_op_free(&op);

	/* Decrypt: the query reports the exact length; the plaintext computed
	 * for it is what the later calls return, whatever input they pass. */
	assert_int_equal(CKR_OK, cid_op_new(CID_OP_DECRYPT, &m, rsa2048.kpriv, &op));
	assert_int_equal(CKR_OK, cid_op_oneshot(op, ct, cl, NULL, &pl));
	assert_int_equal(10, pl);
	pl = 9;
	memset(junk, 0, sizeof(junk));
	assert_int_equal(CKR_BUFFER_TOO_SMALL, cid_op_oneshot(op, junk, sizeof(junk), pt, &pl));
	assert_int_equal(10, pl);
	assert_int_equal(CKR_OK, cid_op_oneshot(op, junk, sizeof(junk), pt, &pl));
	assert_int_equal(10, pl);
	assert_memory_equal(MSG, pt, 10);
	cid_op_free(&op);

	/* A small but sufficient buffer on the first call. */
	assert_int_equal(CKR_OK, cid_op_new(CID_OP_DECRYPT, &m, rsa2048.kpriv, &op));
	pl = 10;
	assert_int_equal(CKR_OK, cid_op_oneshot(op, ct, cl, pt, &pl));
	assert_int_equal(10, pl);
	cid_op_free(&op);
	/* A failed decryption leaves nothing behind for a retry. */
	assert_int_equal(CKR_OK, cid_op_new(CID_OP_DECRYPT, &m, rsa2048.kpriv, &op));
	pl = 0;
	assert_int_equal(CKR_ENCRYPTED_DATA_INVALID, cid_op_oneshot(op, junk, sizeof(junk), NULL, &pl));
	cid_op_free(&op);
	assert_int_equal(CKR_ARGUMENTS_BAD, cid_op_new(CID_OP_DECRYPT, &m, rsa2048.kpriv, NULL));
	assert_int_equal(CKR_ARGUMENTS_BAD, cid_op_new(CID_OP_DECRYPT, NULL, rsa2048.kpriv, &op));
	assert_int_equal(CKR_ARGUMENTS_BAD, cid_op_new(CID_OP_DECRYPT, &m, NULL, &op));
}

/* ---- ECDH ------------------------------------------------------------------------ */

static void ecdh(void **state)
{
	kp b = { 0 };
	size_t alen, blen, s1l, s2l;
	const uint8_t *apt = point_of(&p256.pub, &alen), *bpt;
	uint8_t *s1 = NULL, *s2 = NULL, bad[65];
	CK_ECDH1_DERIVE_PARAMS pa = { CKD_NULL, 0, NULL, 0, NULL }, pb;
	static uint8_t shared[] = "shared info";

	(void)state;
	assert_int_equal(CKR_OK, cid_keygen_ec(OID_P256, sizeof(OID_P256), &b.pub, &b.priv));
	cid_attrs_set(&b.pub, CKA_EC_PARAMS, OID_P256, sizeof(OID_P256));
	kp_load(&b, CKK_EC);
	bpt = point_of(&b.pub, &blen);

	/* CKD_NULL: raw x coordinate, peer given bare on one side and as DER
	 * on the other. */
	pa.pPublicData = (uint8_t *)bpt;
	pa.ulPublicDataLen = blen;
	pb = pa;
	pb.pPublicData = (uint8_t *)need(&p256.pub, CKA_EC_POINT)->pValue;
	pb.ulPublicDataLen = need(&p256.pub, CKA_EC_POINT)->ulValueLen;
	assert_int_equal(CKR_OK, cid_ecdh_derive(p256.kpriv, &pa, 0, &s1, &s1l));
	assert_int_equal(CKR_OK, cid_ecdh_derive(b.kpriv, &pb, 0, &s2, &s2l));
	assert_int_equal(32, s1l);
	assert_int_equal(32, s2l);
	assert_memory_equal(s1, s2, 32);
	cid_free_secret(&s2, s2l);
	assert_int_equal(CKR_OK, cid_ecdh_derive(b.kpriv, &pb, 16, &s2, &s2l));
	assert_int_equal(16, s2l);
	assert_memory_equal(s1, s2, 16);
	cid_free_secret(&s1, s1l);
	cid_free_secret(&s2, s2l);
	assert_int_equal(CKR_TEMPLATE_INCONSISTENT, cid_ecdh_derive(b.kpriv, &pb, 33, &s2, &s2l));

	/* X9.63 KDF with shared data, longer than the raw secret. */
	pa.kdf = pb.kdf = CKD_SHA256_KDF;
	pa.pSharedData = pb.pSharedData = shared;
	pa.ulSharedDataLen = pb.ulSharedDataLen = sizeof(shared);
	assert_int_equal(CKR_OK, cid_ecdh_derive(p256.kpriv, &pa, 48, &s1, &s1l));
	assert_int_equal(CKR_OK, cid_ecdh_derive(b.kpriv, &pb, 48, &s2, &s2l));
	assert_int_equal(48, s1l);
	assert_memory_equal(s1, s2, 48);
	cid_free_secret(&s2, s2l);
	pb.ulSharedDataLen--;
	assert_int_equal(CKR_OK, cid_ecdh_derive(b.kpriv, &pb, 48, &s2, &s2l));
	assert_memory_not_equal(s1, s2, 48);
	cid_free_secret(&s2, s2l);
	pb.kdf = CKD_SHA512_KDF;
	pb.ulSharedDataLen++;
	assert_int_equal(CKR_OK, cid_ecdh_derive(b.kpriv, &pb, 48, &s2, &s2l));
	assert_memory_not_equal(s1, s2, 48);
	cid_free_secret(&s1, s1l);
	cid_free_secret(&s2, s2l);

	/* Refusals: unknown KDF, shared data with CKD_NULL, bad points, wrong
	 * curve, public or non-EC key. */
	pa.kdf = CKD_SHA1_KDF_ASN1;
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, cid_ecdh_derive(p256.kpriv, &pa, 0, &s1, &s1l));
	pa.kdf = CKD_NULL;
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, cid_ecdh_derive(p256.kpriv, &pa, 0, &s1, &s1l));
	pa.ulSharedDataLen = 0;
	pa.pSharedData = NULL;
	memcpy(bad, bpt, 65);
	bad[64] ^= 1;
	pa.pPublicData = bad;
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, cid_ecdh_derive(p256.kpriv, &pa, 0, &s1, &s1l));
	pa.ulPublicDataLen = 64;
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, cid_ecdh_derive(p256.kpriv, &pa, 0, &s1, &s1l));
	pa.pPublicData = (uint8_t *)apt;
	pa.ulPublicDataLen = alen;
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, cid_ecdh_derive(p384.kpriv, &pa, 0, &s1, &s1l));
	assert_int_equal(CKR_KEY_TYPE_INCONSISTENT, cid_ecdh_derive(b.kpub, &pa, 0, &s1, &s1l));
	assert_int_equal(CKR_KEY_TYPE_INCONSISTENT, cid_ecdh_derive(rsa2048.kpriv, &pa, 0, &s1, &s1l));
	assert_null(s1);
	kp_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(oaep),
		cmocka_unit_test(pkcs1_and_raw_encrypt),
		cmocka_unit_test(length_convention),
		cmocka_unit_test(ecdh),
	};

	return cmocka_run_group_tests(tests, crypto_fx_setup, crypto_fx_teardown);
}
