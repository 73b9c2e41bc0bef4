/* RSA encryption and decryption through the public API, with OpenSSL on
 * the other side of every exchange. */
#include <stdbool.h>
#include <string.h>

#include "harness.h"
#include "th_ossl.h"

typedef struct fx {
	th_env *env;
	CK_FUNCTION_LIST_3_0 *f;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE pub, priv;
	EVP_PKEY *pk;
} fx;

static const CK_BYTE secret[] = "attack at dawn, bring the key card";
#define SECRETLEN ((CK_ULONG)(sizeof(secret) - 1))

static void gen_rsa(fx *x, CK_BBOOL decrypt, CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv)
{
	CK_BBOOL yes = CK_TRUE;
	CK_ULONG bits = 2048;
	CK_ATTRIBUTE pt[] = { { CKA_MODULUS_BITS, &bits, sizeof(bits) },
	                      { CKA_ENCRYPT, &decrypt, sizeof(decrypt) } };
	CK_ATTRIBUTE vt[] = { { CKA_PRIVATE, &yes, sizeof(yes) },
	                      { CKA_DECRYPT, &decrypt, sizeof(decrypt) } };
	CK_MECHANISM gen = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK(x->f->C_GenerateKeyPair(x->s, &gen, pt, 2, vt, 2, pub, priv));
}

static int group_setup(void **state)
{
	fx *x = th_group_new(sizeof(*x));
	x->f = x->env->f;
	x->s = th_user_session(x->env, th_new_token(x->env, "cipher"));
	gen_rsa(x, CK_TRUE, &x->pub, &x->priv);
	x->pk = tho_pubkey(x->env, x->s, x->pub);
	*state = x;
	return 0;
}

static int group_teardown(void **state)
{
	fx *x = *state;
	EVP_PKEY_free(x->pk);
	return th_group_teardown(state);
}

/* OpenSSL encryption; oaep_md NULL selects PKCS#1 v1.5 padding. */
static size_t ossl_encrypt(EVP_PKEY *pk, const EVP_MD *oaep_md, const CK_BYTE *in, size_t len,
                           CK_BYTE *out)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pk, NULL);
	size_t outlen = 512;
	assert_int_equal(1, EVP_PKEY_encrypt_init(ctx));
	if (oaep_md != NULL) {
		assert_int_equal(1, EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING));
		assert_int_equal(1, EVP_PKEY_CTX_set_rsa_oaep_md(ctx, oaep_md));
		assert_int_equal(1, EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, oaep_md));
	} else {
		assert_int_equal(1, EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING));
	}
	assert_int_equal(1, EVP_PKEY_encrypt(ctx, out, &outlen, in, len));
	EVP_PKEY_CTX_free(ctx);
	return outlen;
}

/* C_Decrypt through the whole length convention. */
static void token_decrypt(fx *x, CK_MECHANISM *m, CK_BYTE *ct, CK_ULONG ctlen)
{
	CK_BYTE pt[512];
	CK_ULONG len = 0;
	CK(x->f->C_DecryptInit(x->s, m, x->priv));
	CK(x->f->C_Decrypt(x->s, ct, ctlen, NULL, &len));
	assert_true(len >= SECRETLEN);
	len = SECRETLEN - 1;
	assert_int_equal(CKR_BUFFER_TOO_SMALL, x->f->C_Decrypt(x->s, ct, ctlen, pt, &len));
	assert_true(len >= SECRETLEN);
	len = sizeof(pt);
	CK(x->f->C_Decrypt(x->s, ct, ctlen, pt, &len));
	assert_int_equal(SECRETLEN, len);
	assert_memory_equal(secret, pt, SECRETLEN);
	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED, x->f->C_Decrypt(x->s, ct, ctlen, pt, &len));
}

static void test_openssl_to_token(void **state)
{
	fx *x = *state;
	CK_BYTE ct[512];
	size_t n;

	CK_RSA_PKCS_OAEP_PARAMS p256 = { CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, NULL, 0 };
	CK_MECHANISM oaep = { CKM_RSA_PKCS_OAEP, &p256, sizeof(p256) };
	n = ossl_encrypt(x->pk, EVP_sha256(), secret, SECRETLEN, ct);
	token_decrypt(x, &oaep, ct, n);

	CK_RSA_PKCS_OAEP_PARAMS p1 = { CKM_SHA_1, CKG_MGF1_SHA1, CKZ_DATA_SPECIFIED, NULL, 0 };
	oaep.pParameter = &p1;
	n = ossl_encrypt(x->pk, EVP_sha1(), secret, SECRETLEN, ct);
	token_decrypt(x, &oaep, ct, n);

	CK_MECHANISM pkcs = { CKM_RSA_PKCS, NULL, 0 };
	n = ossl_encrypt(x->pk, NULL, secret, SECRETLEN, ct);
	token_decrypt(x, &pkcs, ct, n);
}

static void test_token_roundtrip(void **state)
{
	fx *x = *state;
	CK_RSA_PKCS_OAEP_PARAMS p = { CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, NULL, 0 };
	CK_MECHANISM mechs[] = { { CKM_RSA_PKCS_OAEP, &p, sizeof(p) }, { CKM_RSA_PKCS, NULL, 0 } };

	for (size_t i = 0; i < 2; i++) {
		CK_BYTE ct1[512], ct2[512];
		CK_ULONG l1 = 0, l2 = sizeof(ct2);
		CK(x->f->C_EncryptInit(x->s, &mechs[i], x->pub));
		CK(x->f->C_Encrypt(x->s, (CK_BYTE_PTR)secret, SECRETLEN, NULL, &l1));
		assert_int_equal(256, l1);
		CK(x->f->C_Encrypt(x->s, (CK_BYTE_PTR)secret, SECRETLEN, ct1, &l1));
		CK(x->f->C_EncryptInit(x->s, &mechs[i], x->pub));
		CK(x->f->C_Encrypt(x->s, (CK_BYTE_PTR)secret, SECRETLEN, ct2, &l2));
		/* Both paddings are randomised. */
		assert_memory_not_equal(ct1, ct2, 256);
		token_decrypt(x, &mechs[i], ct1, l1);
		token_decrypt(x, &mechs[i], ct2, l2);
	}
}

static void test_raw_rsa(void **state)
{
	fx *x = *state;
	CK_MECHANISM m = { CKM_RSA_X_509, NULL, 0 };
	CK_BYTE in[256] = { 0 }, ct[256], pt[256];
	CK_ULONG clen = sizeof(ct), plen = sizeof(pt);
	memcpy(in + 256 - SECRETLEN, secret, SECRETLEN);
	CK(x->f->C_EncryptInit(x->s, &m, x->pub));
	CK(x->f->C_Encrypt(x->s, in, sizeof(in), ct, &clen));
	CK(x->f->C_DecryptInit(x->s, &m, x->priv));
	CK(x->f->C_Decrypt(x->s, ct, clen, pt, &plen));
	assert_true(plen >= SECRETLEN);
	assert_memory_equal(pt + plen - SECRETLEN, secret, SECRETLEN);
}

static void test_errors(void **state)
{
	fx *x = *state;
	CK_RSA_PKCS_OAEP_PARAMS p = { CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, NULL, 0 };
	CK_MECHANISM oaep = { CKM_RSA_PKCS_OAEP, &p, sizeof(p) };
	CK_MECHANISM pkcs = { CKM_RSA_PKCS, NULL, 0 };
	CK_MECHANISM ecdsa = { CKM_ECDSA, NULL, 0 };
	CK_BYTE buf[512], out[512];
	CK_ULONG len = sizeof(out);

	/* Ciphertext of the wrong length, and garbage of the right one. */
	memset(buf, 0x5a, sizeof(buf));
	CK(x->f->C_DecryptInit(x->s, &oaep, x->priv));
	assert_int_equal(CKR_ENCRYPTED_DATA_LEN_RANGE, x->f->C_Decrypt(x->s, buf, 255, out, &len));
	CK(x->f->C_DecryptInit(x->s, &oaep, x->priv));
	len = sizeof(out);
	assert_int_equal(CKR_ENCRYPTED_DATA_INVALID, x->f->C_Decrypt(x->s, buf, 256, out, &len));
	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED, x->f->C_Decrypt(x->s, buf, 256, out, &len));

	/* Plaintext longer than the padding allows (k - 11). */
	CK(x->f->C_EncryptInit(x->s, &pkcs, x->pub));
	len = sizeof(out);
	assert_int_equal(CKR_DATA_LEN_RANGE, x->f->C_Encrypt(x->s, buf, 246, out, &len));

	/* Single-part only: no Update or Final, and the operation stays for
	 * its one-shot call. */
	CK(x->f->C_EncryptInit(x->s, &pkcs, x->pub));
	len = sizeof(out);
	assert_int_equal(CKR_FUNCTION_NOT_SUPPORTED, x->f->C_EncryptUpdate(x->s, buf, 10, out, &len));
	assert_int_equal(CKR_FUNCTION_NOT_SUPPORTED, x->f->C_EncryptFinal(x->s, out, &len));
	len = sizeof(out);
	CK(x->f->C_Encrypt(x->s, buf, 10, out, &len));
	CK(x->f->C_DecryptInit(x->s, &pkcs, x->priv));
	assert_int_equal(CKR_FUNCTION_NOT_SUPPORTED, x->f->C_DecryptFinal(x->s, out, &len));
	CK(x->f->C_SessionCancel(x->s, CKF_DECRYPT));
	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED, x->f->C_EncryptFinal(x->s, out, &len));

	/* Key and mechanism checks. */
	assert_int_equal(CKR_KEY_TYPE_INCONSISTENT, x->f->C_DecryptInit(x->s, &pkcs, x->pub));
	assert_int_equal(CKR_KEY_TYPE_INCONSISTENT, x->f->C_EncryptInit(x->s, &pkcs, x->priv));
	assert_int_equal(CKR_MECHANISM_INVALID, x->f->C_EncryptInit(x->s, &ecdsa, x->pub));
	oaep.ulParameterLen = sizeof(p) + 1;
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, x->f->C_DecryptInit(x->s, &oaep, x->priv));
	oaep.ulParameterLen = sizeof(p);
	CK_OBJECT_HANDLE pub2, priv2;
	gen_rsa(x, CK_FALSE, &pub2, &priv2);
	assert_int_equal(CKR_KEY_FUNCTION_NOT_PERMITTED, x->f->C_DecryptInit(x->s, &pkcs, priv2));
	assert_int_equal(CKR_KEY_FUNCTION_NOT_PERMITTED, x->f->C_EncryptInit(x->s, &pkcs, pub2));
	CK(x->f->C_DestroyObject(x->s, pub2));
	CK(x->f->C_DestroyObject(x->s, priv2));

	/* Encryption and decryption are independent operations. */
	CK(x->f->C_EncryptInit(x->s, &pkcs, x->pub));
	CK(x->f->C_DecryptInit(x->s, &pkcs, x->priv));
	assert_int_equal(CKR_OPERATION_ACTIVE, x->f->C_EncryptInit(x->s, &pkcs, x->pub));
	CK(x->f->C_SessionCancel(x->s, CKF_ENCRYPT | CKF_DECRYPT));
	CK(x->f->C_EncryptInit(x->s, &pkcs, x->pub));
	CK(x->f->C_EncryptInit(x->s, NULL, 0));
	/* The operation's state is checked before the arguments, and a bad
	 * argument ends an active operation. */
	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED, x->f->C_Encrypt(x->s, NULL, 5, out, &len));
	CK(x->f->C_EncryptInit(x->s, &pkcs, x->pub));
	assert_int_equal(CKR_ARGUMENTS_BAD, x->f->C_Encrypt(x->s, NULL, 5, out, &len));
	len = sizeof(out);
	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED, x->f->C_Encrypt(x->s, (CK_BYTE_PTR)"hello", 5, out, &len));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_openssl_to_token),
		cmocka_unit_test(test_token_roundtrip),
		cmocka_unit_test(test_raw_rsa),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
