/* Key pair generation through the public API: every key type, the
 * attributes the pair carries, the refusals, and no half pairs. */
#include <stdbool.h>
#include <string.h>

#include "harness.h"
#include "th_ossl.h"

typedef struct fx {
	th_env *env;
	CK_FUNCTION_LIST_3_0 *f;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s;
} fx;

static const CK_BYTE oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const CK_BYTE oid_p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const CK_BYTE oid_ed25519[] = { 0x06, 0x03, 0x2b, 0x65, 0x70 };
/* secp256k1: well-formed, not supported. */
static const CK_BYTE oid_k256[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a };
static const CK_BYTE not_der[] = { 0x06, 0x09, 0x2a };
static CK_BBOOL yes = CK_TRUE;

static int group_setup(void **state)
{
	fx *x = th_group_new(sizeof(*x));
	x->f = x->env->f;
	x->slot = th_new_token(x->env, "keygen");
	x->s = th_user_session(x->env, x->slot);
	*state = x;
	return 0;
}

static CK_RV gen(fx *x, CK_MECHANISM_TYPE mech, CK_ATTRIBUTE *pt, CK_ULONG pn,
                 CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv)
{
	CK_MECHANISM m = { mech, NULL, 0 };
	CK_ATTRIBUTE vt[] = { { CKA_PRIVATE, &yes, sizeof(yes) }, { CKA_SIGN, &yes, sizeof(yes) } };
	return x->f->C_GenerateKeyPair(x->s, &m, pt, pn, vt, 2, pub, priv);
}

/* Signs with the new private key and has OpenSSL check it against the new
 * public key: the two halves belong together. */
static void check_pair(fx *x, CK_MECHANISM_TYPE mech, CK_OBJECT_HANDLE pub, CK_OBJECT_HANDLE priv)
{
	CK_MECHANISM m = { mech, NULL, 0 };
	CK_BYTE sig[1024];
	CK_ULONG len = sizeof(sig);
	static const CK_BYTE data[] = "pair check";
	CK(x->f->C_SignInit(x->s, &m, priv));
	CK(x->f->C_Sign(x->s, (CK_BYTE_PTR)data, sizeof(data), sig, &len));
	EVP_PKEY *pk = tho_pubkey(x->env, x->s, pub);
	assert_true(tho_verify(pk, &m, data, sizeof(data), sig, len));
	EVP_PKEY_free(pk);

	assert_int_equal(CKO_PUBLIC_KEY, tho_ulong(x->env, x->s, pub, CKA_CLASS));
	assert_int_equal(CKO_PRIVATE_KEY, tho_ulong(x->env, x->s, priv, CKA_CLASS));
	assert_int_equal(tho_ulong(x->env, x->s, pub, CKA_KEY_TYPE),
	                 tho_ulong(x->env, x->s, priv, CKA_KEY_TYPE));
	CK_BBOOL local = CK_FALSE;
	CK_ATTRIBUTE a = { CKA_LOCAL, &local, sizeof(local) };
	CK(x->f->C_GetAttributeValue(x->s, priv, &a, 1));
	assert_true(local);
}

static void check_rsa(fx *x, CK_ULONG bits)
{
	CK_OBJECT_HANDLE pub, priv;
	CK_ATTRIBUTE pt[] = { { CKA_MODULUS_BITS, &bits, sizeof(bits) },
	                      { CKA_VERIFY, &yes, sizeof(yes) } };
	CK(gen(x, CKM_RSA_PKCS_KEY_PAIR_GEN, pt, 2, &pub, &priv));
	check_pair(x, CKM_SHA256_RSA_PKCS, pub, priv);
	CK_ULONG len;
	CK_BYTE *n = tho_attr(x->env, x->s, pub, CKA_MODULUS, &len);
	assert_int_equal(bits / 8, len);
	assert_true(n[0] & 0x80);
	free(n);
	CK_BYTE *e = tho_attr(x->env, x->s, pub, CKA_PUBLIC_EXPONENT, &len);
	assert_int_equal(3, len);
	assert_memory_equal("\x01\x00\x01", e, 3);
	free(e);
	assert_int_equal(bits, tho_ulong(x->env, x->s, pub, CKA_MODULUS_BITS));
	assert_int_equal(CKM_RSA_PKCS_KEY_PAIR_GEN,
	                 tho_ulong(x->env, x->s, priv, CKA_KEY_GEN_MECHANISM));
	/* The private exponent stays inside. */
	CK_BYTE d[512];
	CK_ATTRIBUTE a = { CKA_PRIVATE_EXPONENT, d, sizeof(d) };
	assert_int_equal(CKR_ATTRIBUTE_SENSITIVE, x->f->C_GetAttributeValue(x->s, priv, &a, 1));
}

static void test_rsa(void **state)
{
	fx *x = *state;
	check_rsa(x, 2048);
	check_rsa(x, 3072);
	/* The only RSA-4096 generation of the whole suite. */
	check_rsa(x, 4096);
}

static void check_ec(fx *x, CK_MECHANISM_TYPE gen_mech, const CK_BYTE *oid, CK_ULONG oidlen,
                     CK_MECHANISM_TYPE sign_mech)
{
	CK_OBJECT_HANDLE pub, priv;
	CK_ATTRIBUTE pt[] = { { CKA_EC_PARAMS, (void *)oid, oidlen },
	                      { CKA_VERIFY, &yes, sizeof(yes) } };
	CK(gen(x, gen_mech, pt, 2, &pub, &priv));
	check_pair(x, sign_mech, pub, priv);
	/* The private key names its curve too. */
	CK_ULONG len;
	CK_BYTE *p = tho_attr(x->env, x->s, priv, CKA_EC_PARAMS, &len);
	assert_int_equal(oidlen, len);
	assert_memory_equal(oid, p, len);
	free(p);
	CK_BYTE v[128];
	CK_ATTRIBUTE a = { CKA_VALUE, v, sizeof(v) };
	assert_int_equal(CKR_ATTRIBUTE_SENSITIVE, x->f->C_GetAttributeValue(x->s, priv, &a, 1));
}

static void test_ec(void **state)
{
	fx *x = *state;
	check_ec(x, CKM_EC_KEY_PAIR_GEN, oid_p256, sizeof(oid_p256), CKM_ECDSA_SHA256);
	check_ec(x, CKM_EC_KEY_PAIR_GEN, oid_p384, sizeof(oid_p384), CKM_ECDSA_SHA384);
	/* The old name is the same mechanism. */
	check_ec(x, CKM_ECDSA_KEY_PAIR_GEN, oid_p256, sizeof(oid_p256), CKM_ECDSA_SHA256);
	check_ec(x, CKM_EC_EDWARDS_KEY_PAIR_GEN, oid_ed25519, sizeof(oid_ed25519), CKM_EDDSA);
	/* Curve by name, as some clients give it. */
	static const CK_BYTE name[] = { 0x13, 0x0c, 'e', 'd', 'w', 'a', 'r', 'd', 's', '2', '5', '5', '1', '9' };
	check_ec(x, CKM_EC_EDWARDS_KEY_PAIR_GEN, name, sizeof(name), CKM_EDDSA);
}

static void test_refusals(void **state)
{
	fx *x = *state;
	CK_OBJECT_HANDLE pub = 0, priv = 0;
	CK_ULONG bits = 1024;
	CK_ATTRIBUTE rsa[] = { { CKA_MODULUS_BITS, &bits, sizeof(bits) } };
	CK_ATTRIBUTE none[] = { { CKA_VERIFY, &yes, sizeof(yes) } };
	CK_ATTRIBUTE k256[] = { { CKA_EC_PARAMS, (void *)oid_k256, sizeof(oid_k256) } };
	CK_ATTRIBUTE bad[] = { { CKA_EC_PARAMS, (void *)not_der, sizeof(not_der) } };
	CK_ATTRIBUTE p256[] = { { CKA_EC_PARAMS, (void *)oid_p256, sizeof(oid_p256) } };
	CK_ULONG wrong_class = CKO_SECRET_KEY;
	CK_ATTRIBUTE cls[] = { { CKA_EC_PARAMS, (void *)oid_p256, sizeof(oid_p256) },
	                       { CKA_CLASS, &wrong_class, sizeof(wrong_class) } };

	assert_int_equal(CKR_KEY_SIZE_RANGE, gen(x, CKM_RSA_PKCS_KEY_PAIR_GEN, rsa, 1, &pub, &priv));
	bits = 8192;
	assert_int_equal(CKR_KEY_SIZE_RANGE, gen(x, CKM_RSA_PKCS_KEY_PAIR_GEN, rsa, 1, &pub, &priv));
	assert_int_equal(CKR_TEMPLATE_INCOMPLETE, gen(x, CKM_RSA_PKCS_KEY_PAIR_GEN, none, 1, &pub, &priv));
	assert_int_equal(CKR_TEMPLATE_INCOMPLETE, gen(x, CKM_EC_KEY_PAIR_GEN, none, 1, &pub, &priv));
	assert_int_equal(CKR_TEMPLATE_INCOMPLETE, gen(x, CKM_EC_EDWARDS_KEY_PAIR_GEN, none, 1, &pub, &priv));
	assert_int_equal(CKR_CURVE_NOT_SUPPORTED, gen(x, CKM_EC_KEY_PAIR_GEN, k256, 1, &pub, &priv));
	assert_int_equal(CKR_CURVE_NOT_SUPPORTED, gen(x, CKM_EC_EDWARDS_KEY_PAIR_GEN, p256, 1, &pub, &priv));
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, gen(x, CKM_EC_KEY_PAIR_GEN, bad, 1, &pub, &priv));
	assert_int_equal(CKR_TEMPLATE_INCONSISTENT, gen(x, CKM_EC_KEY_PAIR_GEN, cls, 2, &pub, &priv));
	assert_int_equal(CKR_MECHANISM_INVALID, gen(x, CKM_ECDSA, p256, 1, &pub, &priv));
	assert_int_equal(CKR_MECHANISM_INVALID, gen(x, CKM_SHA256, p256, 1, &pub, &priv));
	assert_int_equal(CKR_MECHANISM_INVALID, gen(x, 0x8000fff0UL, p256, 1, &pub, &priv));

	CK_MECHANISM m = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	assert_int_equal(CKR_ARGUMENTS_BAD, x->f->C_GenerateKeyPair(x->s, &m, p256, 1, NULL, 0, NULL, &priv));
	assert_int_equal(CKR_ARGUMENTS_BAD, x->f->C_GenerateKeyPair(x->s, NULL, p256, 1, NULL, 0, &pub, &priv));
	assert_int_equal(CKR_ARGUMENTS_BAD, x->f->C_GenerateKeyPair(x->s, &m, NULL, 1, NULL, 0, &pub, &priv));
	assert_int_equal(CKR_SESSION_HANDLE_INVALID,
	                 x->f->C_GenerateKeyPair(0xdead0005UL, &m, p256, 1, NULL, 0, &pub, &priv));

	/* No secret-key generation, no wrapping. */
	CK_MECHANISM gk = { CKM_GENERIC_SECRET_KEY_GEN, NULL, 0 };
	CK_OBJECT_HANDLE k;
	assert_int_equal(CKR_MECHANISM_INVALID, x->f->C_GenerateKey(x->s, &gk, NULL, 0, &k));
	CK_MECHANISM wm = { CKM_RSA_PKCS, NULL, 0 };
	CK_ULONG wl = 0;
	assert_int_equal(CKR_FUNCTION_NOT_SUPPORTED, x->f->C_WrapKey(x->s, &wm, 1, 2, NULL, &wl));
	assert_int_equal(CKR_FUNCTION_NOT_SUPPORTED,
	                 x->f->C_UnwrapKey(x->s, &wm, 1, (CK_BYTE_PTR) "x", 1, NULL, 0, &k));
}

static CK_ULONG count_label(fx *x, CK_SESSION_HANDLE s, const char *label)
{
	CK_ATTRIBUTE t[] = { { CKA_LABEL, (void *)label, strlen(label) } };
	CK_OBJECT_HANDLE h[8];
	CK_ULONG n = 0;
	CK(x->f->C_FindObjectsInit(s, t, 1));
	CK(x->f->C_FindObjects(s, h, 8, &n));
	CK(x->f->C_FindObjectsFinal(s));
	return n;
}

/* When the private half cannot be stored, the public half is not kept. */
static void test_no_half_pairs(void **state)
{
	fx *x = *state;
	CK_SESSION_HANDLE ro;
	CK_MECHANISM m = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_OBJECT_HANDLE pub, priv;
	const char *label = "half";
	CK_ATTRIBUTE pt[] = { { CKA_EC_PARAMS, (void *)oid_p256, sizeof(oid_p256) },
	                      { CKA_LABEL, (void *)label, strlen(label) } };
	CK_ATTRIBUTE vt[] = { { CKA_TOKEN, &yes, sizeof(yes) },
	                      { CKA_LABEL, (void *)label, strlen(label) } };

	/* Read-only session: the session public key is fine, the token
	 * private key is not. */
	CK(x->f->C_OpenSession(x->slot, CKF_SERIAL_SESSION, NULL, NULL, &ro));
	assert_int_equal(CKR_SESSION_READ_ONLY,
	                 x->f->C_GenerateKeyPair(ro, &m, pt, 2, vt, 2, &pub, &priv));
	assert_int_equal(0, count_label(x, ro, label));
	CK(x->f->C_CloseSession(ro));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsa),
		cmocka_unit_test(test_ec),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_no_half_pairs),
	};
	return cmocka_run_group_tests(tests, group_setup, th_group_teardown);
}
