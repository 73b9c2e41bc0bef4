/* Signing and verification through the public API.  Every signature the
 * token makes is checked by OpenSSL against the public key read back with
 * C_GetAttributeValue, and the token's own verification is checked both
 * ways. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "th_ossl.h"

typedef struct fx {
	th_env *env;
	CK_FUNCTION_LIST_3_0 *f;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE rsa_pub, rsa_priv, rsa3_pub, rsa3_priv;
	CK_OBJECT_HANDLE p256_pub, p256_priv, p384_pub, p384_priv, ed_pub, ed_priv;
} fx;

static const CK_BYTE msg[] = "The quick brown fox jumps over the lazy dog, many times over.";
#define MSGLEN ((CK_ULONG)(sizeof(msg) - 1))

static int group_setup(void **state)
{
	fx *x = th_group_new(sizeof(*x));
	x->f = x->env->f;
	CK_SLOT_ID slot = th_new_token(x->env, "sign");
	x->s = th_user_session(x->env, slot);
	th_keypair(x->env, x->s, "rsa2048", "rsa", &x->rsa_pub, &x->rsa_priv);
	th_keypair(x->env, x->s, "rsa3072", "rsa3", &x->rsa3_pub, &x->rsa3_priv);
	th_keypair(x->env, x->s, "p256", "p256", &x->p256_pub, &x->p256_priv);
	th_keypair(x->env, x->s, "p384", "p384", &x->p384_pub, &x->p384_priv);
	th_keypair(x->env, x->s, "ed25519", "ed", &x->ed_pub, &x->ed_priv);
	*state = x;
	return 0;
}

/* Signs data (in three parts when multipart), has OpenSSL and the token
 * verify it, then checks that both reject a flipped bit. */
static void sign_check(fx *x, CK_MECHANISM *m, CK_OBJECT_HANDLE priv, CK_OBJECT_HANDLE pub,
                       const CK_BYTE *data, CK_ULONG len, bool multipart)
{
	CK_BYTE sig[1024];
	CK_ULONG siglen = sizeof(sig);
	CK_ULONG a = len / 3, b = 2 * len / 3;

	CK(x->f->C_SignInit(x->s, m, priv));
	if (multipart) {
		CK(x->f->C_SignUpdate(x->s, (CK_BYTE_PTR)data, a));
		CK(x->f->C_SignUpdate(x->s, (CK_BYTE_PTR)data + a, b - a));
		CK(x->f->C_SignUpdate(x->s, (CK_BYTE_PTR)data + b, len - b));
		CK(x->f->C_SignFinal(x->s, sig, &siglen));
	} else {
		CK(x->f->C_Sign(x->s, (CK_BYTE_PTR)data, len, sig, &siglen));
	}
	EVP_PKEY *pk = tho_pubkey(x->env, x->s, pub);
	if (!tho_verify(pk, m, data, len, sig, siglen))
		fail_msg("OpenSSL rejects the signature of mechanism 0x%lx", m->mechanism);

	CK(x->f->C_VerifyInit(x->s, m, pub));
	if (multipart) {
		CK(x->f->C_VerifyUpdate(x->s, (CK_BYTE_PTR)data, a));
		CK(x->f->C_VerifyUpdate(x->s, (CK_BYTE_PTR)data + a, len - a));
		CK(x->f->C_VerifyFinal(x->s, sig, siglen));
	} else {
		CK(x->f->C_Verify(x->s, (CK_BYTE_PTR)data, len, sig, siglen));
	}

	sig[siglen / 2] ^= 0x10;
	assert_false(tho_verify(pk, m, data, len, sig, siglen));
	CK(x->f->C_VerifyInit(x->s, m, pub));
	assert_int_equal(CKR_SIGNATURE_INVALID,
	                 x->f->C_Verify(x->s, (CK_BYTE_PTR)data, len, sig, siglen));
	CK(x->f->C_VerifyInit(x->s, m, pub));
	assert_int_equal(CKR_SIGNATURE_LEN_RANGE,
	                 x->f->C_Verify(x->s, (CK_BYTE_PTR)data, len, sig, siglen - 1));
	/* Both calls ended the operation. */
	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED,
	                 x->f->C_Verify(x->s, (CK_BYTE_PTR)data, len, sig, siglen));
	EVP_PKEY_free(pk);
}

static void hash(const EVP_MD *md, const CK_BYTE *in, size_t len, CK_BYTE *out, unsigned *outlen)
{
	assert_int_equal(1, EVP_Digest(in, len, out, outlen, md, NULL));
}

static void test_rsa_pkcs_digestinfo(void **state)
{
	fx *x = *state;
	/* DER DigestInfo prefix for SHA-256. */
	static const CK_BYTE prefix[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	                                  0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
	CK_BYTE di[sizeof(prefix) + 32];
	unsigned n;
	memcpy(di, prefix, sizeof(prefix));
	hash(EVP_sha256(), msg, MSGLEN, di + sizeof(prefix), &n);
	CK_MECHANISM m = { CKM_RSA_PKCS, NULL, 0 };
	sign_check(x, &m, x->rsa_priv, x->rsa_pub, di, sizeof(di), false);
	/* Single-part only: no update or final, and the operation stays for
	 * its one-shot call (as pkcs11-tool --test expects). */
	CK(x->f->C_SignInit(x->s, &m, x->rsa_priv));
	assert_int_equal(CKR_FUNCTION_NOT_SUPPORTED, x->f->C_SignUpdate(x->s, di, 10));
	assert_int_equal(CKR_FUNCTION_NOT_SUPPORTED, x->f->C_SignFinal(x->s, NULL, &(CK_ULONG){ 0 }));
	CK_BYTE sig[512];
	CK_ULONG len = sizeof(sig);
	CK(x->f->C_Sign(x->s, di, sizeof(di), sig, &len));
	assert_int_equal(256, len);
}

static const CK_MECHANISM_TYPE rsa_hashed[] = { CKM_SHA1_RSA_PKCS, CKM_SHA224_RSA_PKCS,
	CKM_SHA256_RSA_PKCS, CKM_SHA384_RSA_PKCS, CKM_SHA512_RSA_PKCS };

static void test_rsa_pkcs_hashed(void **state)
{
	fx *x = *state;
	for (size_t i = 0; i < sizeof(rsa_hashed) / sizeof(rsa_hashed[0]); i++) {
		CK_MECHANISM m = { rsa_hashed[i], NULL, 0 };
		sign_check(x, &m, x->rsa_priv, x->rsa_pub, msg, MSGLEN, false);
		sign_check(x, &m, x->rsa_priv, x->rsa_pub, msg, MSGLEN, true);
	}
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	sign_check(x, &m, x->rsa3_priv, x->rsa3_pub, msg, MSGLEN, true);
}

static const struct { CK_MECHANISM_TYPE mech, hash; CK_RSA_PKCS_MGF_TYPE mgf; CK_ULONG len; }
pss[] = {
	{ CKM_SHA1_RSA_PKCS_PSS, CKM_SHA_1, CKG_MGF1_SHA1, 20 },
	{ CKM_SHA224_RSA_PKCS_PSS, CKM_SHA224, CKG_MGF1_SHA224, 28 },
	{ CKM_SHA256_RSA_PKCS_PSS, CKM_SHA256, CKG_MGF1_SHA256, 32 },
	{ CKM_SHA384_RSA_PKCS_PSS, CKM_SHA384, CKG_MGF1_SHA384, 48 },
	{ CKM_SHA512_RSA_PKCS_PSS, CKM_SHA512, CKG_MGF1_SHA512, 64 },
};

static void test_rsa_pss(void **state)
{
	fx *x = *state;
	for (size_t i = 0; i < sizeof(pss) / sizeof(pss[0]); i++) {
		CK_RSA_PKCS_PSS_PARAMS p = { pss[i].hash, pss[i].mgf, pss[i].len };
		CK_MECHANISM m = { pss[i].mech, &p, sizeof(p) };
		sign_check(x, &m, x->rsa_priv, x->rsa_pub, msg, MSGLEN, false);
		sign_check(x, &m, x->rsa_priv, x->rsa_pub, msg, MSGLEN, true);
	}
	/* Raw PSS over a digest the caller made. */
	CK_BYTE h[32];
	unsigned n;
	hash(EVP_sha256(), msg, MSGLEN, h, &n);
	CK_RSA_PKCS_PSS_PARAMS p = { CKM_SHA256, CKG_MGF1_SHA256, 32 };
	CK_MECHANISM m = { CKM_RSA_PKCS_PSS, &p, sizeof(p) };
	sign_check(x, &m, x->rsa_priv, x->rsa_pub, h, sizeof(h), false);
}

static void test_rsa_pss_bad_params(void **state)
{
	fx *x = *state;
	CK_RSA_PKCS_PSS_PARAMS p = { CKM_SHA_1, CKG_MGF1_SHA256, 32 };
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS_PSS, &p, sizeof(p) };
	/* Hash in the parameter differs from the mechanism's. */
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, x->f->C_SignInit(x->s, &m, x->rsa_priv));
	/* Parameter of the wrong size, and none at all. */
	p.hashAlg = CKM_SHA256;
	m.ulParameterLen = sizeof(p) - 1;
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, x->f->C_SignInit(x->s, &m, x->rsa_priv));
	m.pParameter = NULL;
	m.ulParameterLen = 0;
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, x->f->C_SignInit(x->s, &m, x->rsa_priv));
	/* None of them left an operation behind. */
	m = (CK_MECHANISM){ CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK(x->f->C_SignInit(x->s, &m, x->rsa_priv));
	CK(x->f->C_SignInit(x->s, NULL, x->rsa_priv));
}

static void test_rsa_x509(void **state)
{
	fx *x = *state;
	CK_BYTE data[64];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (CK_BYTE)(i * 7 + 1);
	CK_MECHANISM m = { CKM_RSA_X_509, NULL, 0 };
	sign_check(x, &m, x->rsa_priv, x->rsa_pub, data, sizeof(data), false);
}

static void test_ecdsa_raw(void **state)
{
	fx *x = *state;
	CK_BYTE h[64];
	unsigned n;
	CK_MECHANISM m = { CKM_ECDSA, NULL, 0 };
	hash(EVP_sha256(), msg, MSGLEN, h, &n);
	sign_check(x, &m, x->p256_priv, x->p256_pub, h, n, false);
	hash(EVP_sha384(), msg, MSGLEN, h, &n);
	sign_check(x, &m, x->p384_priv, x->p384_pub, h, n, false);
	/* P-256 signatures are 64 bytes, P-384 ones 96. */
	CK_ULONG len = 0;
	CK(x->f->C_SignInit(x->s, &m, x->p384_priv));
	CK(x->f->C_Sign(x->s, h, n, NULL, &len));
	assert_int_equal(96, len);
	CK(x->f->C_SignInit(x->s, NULL, 0));
}

static void test_ecdsa_hashed(void **state)
{
	fx *x = *state;
	static const CK_MECHANISM_TYPE mechs[] = { CKM_ECDSA_SHA1, CKM_ECDSA_SHA224, CKM_ECDSA_SHA256,
	                                           CKM_ECDSA_SHA384, CKM_ECDSA_SHA512 };
	for (size_t i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++) {
		CK_MECHANISM m = { mechs[i], NULL, 0 };
		sign_check(x, &m, x->p256_priv, x->p256_pub, msg, MSGLEN, false);
		sign_check(x, &m, x->p256_priv, x->p256_pub, msg, MSGLEN, true);
	}
	CK_MECHANISM m = { CKM_ECDSA_SHA384, NULL, 0 };
	sign_check(x, &m, x->p384_priv, x->p384_pub, msg, MSGLEN, true);
}

static void test_eddsa(void **state)
{
	fx *x = *state;
	CK_MECHANISM m = { CKM_EDDSA, NULL, 0 };
	sign_check(x, &m, x->ed_priv, x->ed_pub, msg, MSGLEN, false);
	sign_check(x, &m, x->ed_priv, x->ed_pub, (const CK_BYTE *)"", 0, false);
}

/* NULL buffer gives the length and keeps the operation; a short buffer
 * gives CKR_BUFFER_TOO_SMALL and keeps it; success ends it. */
static void test_length_convention(void **state)
{
	fx *x = *state;
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_BYTE sig[512];
	CK_ULONG len = 0;

	CK(x->f->C_SignInit(x->s, &m, x->rsa_priv));
	CK(x->f->C_Sign(x->s, (CK_BYTE_PTR)msg, MSGLEN, NULL, &len));
	assert_int_equal(256, len);
	len = 10;
	assert_int_equal(CKR_BUFFER_TOO_SMALL, x->f->C_Sign(x->s, (CK_BYTE_PTR)msg, MSGLEN, sig, &len));
	assert_int_equal(256, len);
	len = sizeof(sig);
	CK(x->f->C_Sign(x->s, (CK_BYTE_PTR)msg, MSGLEN, sig, &len));
	assert_int_equal(256, len);
	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED,
	                 x->f->C_Sign(x->s, (CK_BYTE_PTR)msg, MSGLEN, sig, &len));

	/* The same through C_SignFinal. */
	CK(x->f->C_SignInit(x->s, &m, x->rsa_priv));
	CK(x->f->C_SignUpdate(x->s, (CK_BYTE_PTR)msg, MSGLEN));
	len = 0;
	CK(x->f->C_SignFinal(x->s, NULL, &len));
	len = 1;
	assert_int_equal(CKR_BUFFER_TOO_SMALL, x->f->C_SignFinal(x->s, sig, &len));
	len = sizeof(sig);
	CK(x->f->C_SignFinal(x->s, sig, &len));
	EVP_PKEY *pk = tho_pubkey(x->env, x->s, x->rsa_pub);
	assert_true(tho_verify(pk, &m, msg, MSGLEN, sig, len));
	EVP_PKEY_free(pk);
	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED, x->f->C_SignFinal(x->s, sig, &len));
	/* Argument errors. */
	CK(x->f->C_SignInit(x->s, &m, x->rsa_priv));
	assert_int_equal(CKR_ARGUMENTS_BAD, x->f->C_Sign(x->s, (CK_BYTE_PTR)msg, MSGLEN, sig, NULL));
	/* ... which end the operation, as every error but the length convention's. */
	len = sizeof(sig);
	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED, x->f->C_Sign(x->s, (CK_BYTE_PTR)msg, MSGLEN, sig, &len));
	CK(x->f->C_SignInit(x->s, &m, x->rsa_priv));
	assert_int_equal(CKR_ARGUMENTS_BAD, x->f->C_SignUpdate(x->s, NULL, 5));
	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED, x->f->C_SignUpdate(x->s, (CK_BYTE_PTR)msg, 5));
	CK(x->f->C_SignInit(x->s, &m, x->rsa_priv));
	assert_int_equal(CKR_ARGUMENTS_BAD, x->f->C_SignFinal(x->s, sig, NULL));
	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED, x->f->C_SignFinal(x->s, sig, &len));
	CK(x->f->C_SessionCancel(x->s, CKF_SIGN));
}

static void test_state_rules(void **state)
{
	fx *x = *state;
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_BYTE sig[512];
	CK_ULONG len = sizeof(sig);

	/* Nothing started. */
	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED,
	                 x->f->C_Sign(x->s, (CK_BYTE_PTR)msg, MSGLEN, sig, &len));
	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED, x->f->C_SignUpdate(x->s, (CK_BYTE_PTR)msg, 1));
	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED, x->f->C_SignFinal(x->s, sig, &len));
	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED, x->f->C_Verify(x->s, (CK_BYTE_PTR)msg, 1, sig, 256));
	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED, x->f->C_VerifyFinal(x->s, sig, 256));

	/* A second Init is refused and leaves the first operation usable. */
	CK(x->f->C_SignInit(x->s, &m, x->rsa_priv));
	assert_int_equal(CKR_OPERATION_ACTIVE, x->f->C_SignInit(x->s, &m, x->rsa_priv));
	CK(x->f->C_Sign(x->s, (CK_BYTE_PTR)msg, MSGLEN, sig, &len));

	/* Init with no mechanism cancels. */
	CK(x->f->C_SignInit(x->s, &m, x->rsa_priv));
	CK(x->f->C_SignInit(x->s, NULL, 0));
	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED,
	                 x->f->C_Sign(x->s, (CK_BYTE_PTR)msg, MSGLEN, sig, &len));
	CK(x->f->C_VerifyInit(x->s, NULL, 0));

	/* C_SessionCancel ends only the named kinds. */
	CK(x->f->C_SignInit(x->s, &m, x->rsa_priv));
	CK(x->f->C_VerifyInit(x->s, &m, x->rsa_pub));
	CK(x->f->C_SessionCancel(x->s, CKF_SIGN));
	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED, x->f->C_SignFinal(x->s, sig, &len));
	assert_int_equal(CKR_OPERATION_ACTIVE, x->f->C_VerifyInit(x->s, &m, x->rsa_pub));
	CK(x->f->C_SessionCancel(x->s, CKF_VERIFY | CKF_SIGN | CKF_DIGEST));
	CK(x->f->C_VerifyInit(x->s, &m, x->rsa_pub));
	CK(x->f->C_SessionCancel(x->s, CKF_VERIFY));

	/* One-shot after an update is refused and ends the operation. */
	CK(x->f->C_SignInit(x->s, &m, x->rsa_priv));
	CK(x->f->C_SignUpdate(x->s, (CK_BYTE_PTR)msg, MSGLEN));
	len = sizeof(sig);
	assert_int_equal(CKR_OPERATION_ACTIVE, x->f->C_Sign(x->s, (CK_BYTE_PTR)msg, MSGLEN, sig, &len));
	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED, x->f->C_SignFinal(x->s, sig, &len));

	/* Single-part mechanisms refuse updates, for verification too, and
	 * keep the operation for its one-shot call. */
	CK_MECHANISM ec = { CKM_ECDSA, NULL, 0 };
	CK(x->f->C_VerifyInit(x->s, &ec, x->p256_pub));
	assert_int_equal(CKR_FUNCTION_NOT_SUPPORTED, x->f->C_VerifyUpdate(x->s, (CK_BYTE_PTR)msg, 3));
	assert_int_equal(CKR_FUNCTION_NOT_SUPPORTED, x->f->C_VerifyFinal(x->s, sig, 64));
	assert_int_equal(CKR_OPERATION_ACTIVE, x->f->C_VerifyInit(x->s, &ec, x->p256_pub));
	CK(x->f->C_SessionCancel(x->s, CKF_VERIFY));
	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED, x->f->C_VerifyFinal(x->s, sig, 64));
}

static void test_key_checks(void **state)
{
	fx *x = *state;
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_MECHANISM ec = { CKM_ECDSA_SHA256, NULL, 0 };
	CK_MECHANISM bad = { 0x8000ffffUL, NULL, 0 };
	CK_MECHANISM dig = { CKM_SHA256, NULL, 0 };
	CK_MECHANISM oaep = { CKM_RSA_PKCS_OAEP, NULL, 0 };

	assert_int_equal(CKR_MECHANISM_INVALID, x->f->C_SignInit(x->s, &bad, x->rsa_priv));
	assert_int_equal(CKR_MECHANISM_INVALID, x->f->C_SignInit(x->s, &dig, x->rsa_priv));
	assert_int_equal(CKR_MECHANISM_INVALID, x->f->C_SignInit(x->s, &oaep, x->rsa_priv));
	assert_int_equal(CKR_KEY_HANDLE_INVALID, x->f->C_SignInit(x->s, &m, 0xdead0000UL));
	assert_int_equal(CKR_KEY_TYPE_INCONSISTENT, x->f->C_SignInit(x->s, &m, x->rsa_pub));
	assert_int_equal(CKR_KEY_TYPE_INCONSISTENT, x->f->C_SignInit(x->s, &ec, x->rsa_priv));
	assert_int_equal(CKR_KEY_TYPE_INCONSISTENT, x->f->C_VerifyInit(x->s, &m, x->rsa_priv));
	assert_int_equal(CKR_KEY_TYPE_INCONSISTENT, x->f->C_VerifyInit(x->s, &m, x->p256_pub));
	assert_int_equal(CKR_ARGUMENTS_BAD, x->f->C_SignInit(x->s, &(CK_MECHANISM){ CKM_SHA256_RSA_PKCS_PSS, NULL, 8 }, x->rsa_priv));

	/* A key whose CKA_SIGN is false. */
	static const CK_BYTE oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE pt[] = { { CKA_EC_PARAMS, (void *)oid_p256, sizeof(oid_p256) },
	                      { CKA_VERIFY, &no, sizeof(no) } };
	CK_ATTRIBUTE vt[] = { { CKA_PRIVATE, &yes, sizeof(yes) }, { CKA_SIGN, &no, sizeof(no) } };
	CK_MECHANISM gen = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_OBJECT_HANDLE pub, priv;
	CK(x->f->C_GenerateKeyPair(x->s, &gen, pt, 2, vt, 2, &pub, &priv));
	assert_int_equal(CKR_KEY_FUNCTION_NOT_PERMITTED, x->f->C_SignInit(x->s, &ec, priv));
	assert_int_equal(CKR_KEY_FUNCTION_NOT_PERMITTED, x->f->C_VerifyInit(x->s, &ec, pub));
	CK(x->f->C_DestroyObject(x->s, pub));
	CK(x->f->C_DestroyObject(x->s, priv));
	/* An unknown session comes before any key check. */
	assert_int_equal(CKR_SESSION_HANDLE_INVALID, x->f->C_SignInit(0xdead0001UL, &m, x->rsa_priv));
}

/* CKA_ALWAYS_AUTHENTICATE: each signature needs its own context login. */
static void test_always_authenticate(void **state)
{
	fx *x = *state;
	static const CK_BYTE oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE pt[] = { { CKA_EC_PARAMS, (void *)oid_p256, sizeof(oid_p256) },
	                      { CKA_VERIFY, &yes, sizeof(yes) } };
	CK_ATTRIBUTE vt[] = { { CKA_PRIVATE, &yes, sizeof(yes) }, { CKA_SIGN, &yes, sizeof(yes) },
	                      { CKA_ALWAYS_AUTHENTICATE, &yes, sizeof(yes) } };
	CK_MECHANISM gen = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_MECHANISM m = { CKM_ECDSA_SHA256, NULL, 0 };
	CK_OBJECT_HANDLE pub, priv;
	CK_BYTE sig[128];
	CK_ULONG len = sizeof(sig);
	CK_TOKEN_INFO ti;
	CK_SESSION_INFO si;

	CK(x->f->C_GenerateKeyPair(x->s, &gen, pt, 2, vt, 3, &pub, &priv));
	CK(x->f->C_SignInit(x->s, &m, priv));
	assert_int_equal(CKR_USER_NOT_LOGGED_IN, x->f->C_Sign(x->s, (CK_BYTE_PTR)msg, MSGLEN, sig, &len));
	assert_int_equal(CKR_USER_NOT_LOGGED_IN, x->f->C_SignUpdate(x->s, (CK_BYTE_PTR)msg, MSGLEN));
	/* Still active. */
	assert_int_equal(CKR_OPERATION_ACTIVE, x->f->C_SignInit(x->s, &m, priv));

	/* A wrong context passcode costs a try and keeps the gate shut. */
	assert_int_equal(CKR_PIN_INCORRECT,
	                 x->f->C_Login(x->s, CKU_CONTEXT_SPECIFIC, (CK_UTF8CHAR_PTR) "999999", 6));
	CK(x->f->C_GetSessionInfo(x->s, &si));
	CK(x->f->C_GetTokenInfo(si.slotID, &ti));
	assert_true(ti.flags & CKF_USER_PIN_COUNT_LOW);
	assert_int_equal(CKR_USER_NOT_LOGGED_IN, x->f->C_Sign(x->s, (CK_BYTE_PTR)msg, MSGLEN, sig, &len));

	CK(x->f->C_Login(x->s, CKU_CONTEXT_SPECIFIC, (CK_UTF8CHAR_PTR)TH_USER_PIN, strlen(TH_USER_PIN)));
	CK(x->f->C_Sign(x->s, (CK_BYTE_PTR)msg, MSGLEN, sig, &len));
	EVP_PKEY *pk = tho_pubkey(x->env, x->s, pub);
	assert_true(tho_verify(pk, &m, msg, MSGLEN, sig, len));
	EVP_PKEY_free(pk);

	/* The next signature needs a new context login. */
	CK(x->f->C_SignInit(x->s, &m, priv));
	len = sizeof(sig);
	assert_int_equal(CKR_USER_NOT_LOGGED_IN, x->f->C_Sign(x->s, (CK_BYTE_PTR)msg, MSGLEN, sig, &len));
	CK(x->f->C_SessionCancel(x->s, CKF_SIGN));
	CK(x->f->C_DestroyObject(x->s, pub));
	CK(x->f->C_DestroyObject(x->s, priv));
}

/* Runs last: after logout the private keys are gone from view. */
static void test_private_key_needs_login(void **state)
{
	fx *x = *state;
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK(x->f->C_Logout(x->s));
	assert_int_equal(CKR_KEY_HANDLE_INVALID, x->f->C_SignInit(x->s, &m, x->rsa_priv));
	/* Verification with a public key needs no login. */
	CK(x->f->C_VerifyInit(x->s, &m, x->rsa_pub));
	CK(x->f->C_VerifyInit(x->s, NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsa_pkcs_digestinfo),
		cmocka_unit_test(test_rsa_pkcs_hashed),
		cmocka_unit_test(test_rsa_pss),
		cmocka_unit_test(test_rsa_pss_bad_params),
		cmocka_unit_test(test_rsa_x509),
		cmocka_unit_test(test_ecdsa_raw),
		cmocka_unit_test(test_ecdsa_hashed),
		cmocka_unit_test(test_eddsa),
		cmocka_unit_test(test_length_convention),
		cmocka_unit_test(test_state_rules),
		cmocka_unit_test(test_key_checks),
		cmocka_unit_test(test_always_authenticate),
		cmocka_unit_test(test_private_key_needs_login),
	};
	return cmocka_run_group_tests(tests, group_setup, th_group_teardown);
}
