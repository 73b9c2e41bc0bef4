/* ECDH1 key derivation through the public API: two token keys agree with
 * each other, a token key agrees with an OpenSSL peer, and the refusals. */
#include <stdbool.h>
#include <string.h>

#include "harness.h"
#include "th_ossl.h"

typedef struct fx {
	th_env *env;
	CK_FUNCTION_LIST_3_0 *f;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE a_pub, a_priv, b_pub, b_priv, c_pub, c_priv;
} fx;

static const CK_BYTE oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const CK_BYTE oid_p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;

static void gen_ec(fx *x, const CK_BYTE *oid, CK_ULONG oidlen, CK_BBOOL derive,
                   CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv)
{
	CK_MECHANISM m = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_ATTRIBUTE pt[] = { { CKA_EC_PARAMS, (void *)oid, oidlen } };
	CK_ATTRIBUTE vt[] = { { CKA_PRIVATE, &yes, sizeof(yes) },
	                      { CKA_DERIVE, &derive, sizeof(derive) } };
	CK(x->f->C_GenerateKeyPair(x->s, &m, pt, 1, vt, 2, pub, priv));
}

static int group_setup(void **state)
{
	fx *x = th_group_new(sizeof(*x));
	x->f = x->env->f;
	x->s = th_user_session(x->env, th_new_token(x->env, "derive"));
	gen_ec(x, oid_p256, sizeof(oid_p256), CK_TRUE, &x->a_pub, &x->a_priv);
	gen_ec(x, oid_p256, sizeof(oid_p256), CK_TRUE, &x->b_pub, &x->b_priv);
	gen_ec(x, oid_p384, sizeof(oid_p384), CK_TRUE, &x->c_pub, &x->c_priv);
	*state = x;
	return 0;
}

/* Derives an extractable generic secret; value_len 0 leaves it out. */
static CK_RV derive(fx *x, CK_OBJECT_HANDLE base, CK_EC_KDF_TYPE kdf, const CK_BYTE *point,
                    CK_ULONG plen, CK_ULONG value_len, CK_OBJECT_HANDLE *out)
{
	CK_ECDH1_DERIVE_PARAMS p = { kdf, 0, NULL, plen, (CK_BYTE_PTR)point };
	CK_MECHANISM m = { CKM_ECDH1_DERIVE, &p, sizeof(p) };
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_KEY_TYPE, &kt, sizeof(kt) },
	                     { CKA_SENSITIVE, &no, sizeof(no) }, { CKA_EXTRACTABLE, &yes, sizeof(yes) },
	                     { CKA_VALUE_LEN, &value_len, sizeof(value_len) } };
	return x->f->C_DeriveKey(x->s, &m, base, t, value_len ? 5 : 4, out);
}

static void test_two_token_keys(void **state)
{
	fx *x = *state;
	CK_ULONG alen, blen, v1len, v2len;
	CK_BYTE *apt = tho_attr(x->env, x->s, x->a_pub, CKA_EC_POINT, &alen);
	CK_BYTE *bpt = tho_attr(x->env, x->s, x->b_pub, CKA_EC_POINT, &blen);
	size_t rawlen;
	const CK_BYTE *braw = tho_octets(bpt, blen, &rawlen);
	CK_OBJECT_HANDLE k1, k2;

	/* One side gives the bare point, the other the DER-wrapped one. */
	CK(derive(x, x->a_priv, CKD_NULL, braw, rawlen, 0, &k1));
	CK(derive(x, x->b_priv, CKD_NULL, apt, alen, 0, &k2));
	CK_BYTE *v1 = tho_attr(x->env, x->s, k1, CKA_VALUE, &v1len);
	CK_BYTE *v2 = tho_attr(x->env, x->s, k2, CKA_VALUE, &v2len);
	assert_int_equal(32, v1len);
	assert_int_equal(v1len, v2len);
	assert_memory_equal(v1, v2, v1len);
	assert_int_equal(32, tho_ulong(x->env, x->s, k1, CKA_VALUE_LEN));
	assert_int_equal(CKO_SECRET_KEY, tho_ulong(x->env, x->s, k1, CKA_CLASS));
	assert_int_equal(CKK_GENERIC_SECRET, tho_ulong(x->env, x->s, k1, CKA_KEY_TYPE));

	/* C_DigestKey feeds the secret's value to a digest. */
	CK_MECHANISM dm = { CKM_SHA256, NULL, 0 };
	CK_BYTE d[32], want[32];
	CK_ULONG dlen = sizeof(d);
	unsigned wlen;
	CK(x->f->C_DigestInit(x->s, &dm));
	CK(x->f->C_DigestKey(x->s, k1));
	CK(x->f->C_DigestFinal(x->s, d, &dlen));
	assert_int_equal(1, EVP_Digest(v1, v1len, want, &wlen, EVP_sha256(), NULL));
	assert_memory_equal(want, d, 32);

	/* With a KDF both sides still agree, at the length asked for. */
	CK_OBJECT_HANDLE k3, k4;
	CK(derive(x, x->a_priv, CKD_SHA256_KDF, braw, rawlen, 24, &k3));
	CK(derive(x, x->b_priv, CKD_SHA256_KDF, apt, alen, 24, &k4));
	CK_ULONG l3, l4;
	CK_BYTE *v3 = tho_attr(x->env, x->s, k3, CKA_VALUE, &l3);
	CK_BYTE *v4 = tho_attr(x->env, x->s, k4, CKA_VALUE, &l4);
	assert_int_equal(24, l3);
	assert_int_equal(24, l4);
	assert_memory_equal(v3, v4, 24);
	assert_memory_not_equal(v3, v1, 24);
	free(v1), free(v2), free(v3), free(v4), free(apt), free(bpt);
}

static void openssl_peer(fx *x, const char *curve, CK_OBJECT_HANDLE pub, CK_OBJECT_HANDLE priv)
{
	EVP_PKEY *peer = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
	assert_non_null(peer);
	CK_BYTE point[200];
	size_t plen = 0;
	assert_int_equal(1, EVP_PKEY_get_octet_string_param(peer, OSSL_PKEY_PARAM_PUB_KEY, point,
	                                                    sizeof(point), &plen));
	CK_OBJECT_HANDLE k;
	CK(derive(x, priv, CKD_NULL, point, plen, 0, &k));
	CK_ULONG vlen;
	CK_BYTE *v = tho_attr(x->env, x->s, k, CKA_VALUE, &vlen);

	EVP_PKEY *tok = tho_pubkey(x->env, x->s, pub);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(peer, NULL);
	CK_BYTE z[64];
	size_t zlen = sizeof(z);
	assert_int_equal(1, EVP_PKEY_derive_init(ctx));
	assert_int_equal(1, EVP_PKEY_derive_set_peer(ctx, tok));
	assert_int_equal(1, EVP_PKEY_derive(ctx, z, &zlen));
	assert_int_equal(zlen, vlen);
	assert_memory_equal(z, v, zlen);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(tok);
	EVP_PKEY_free(peer);
	free(v);
}

static void test_openssl_peer(void **state)
{
	fx *x = *state;
	openssl_peer(x, "P-256", x->a_pub, x->a_priv);
	openssl_peer(x, "P-384", x->c_pub, x->c_priv);
}

static void test_refusals(void **state)
{
	fx *x = *state;
	CK_ULONG alen;
	CK_BYTE *apt = tho_attr(x->env, x->s, x->a_pub, CKA_EC_POINT, &alen);
	CK_OBJECT_HANDLE k, pub, priv;

	/* A KDF needs the length. */
	assert_int_equal(CKR_TEMPLATE_INCOMPLETE, derive(x, x->b_priv, CKD_SHA256_KDF, apt, alen, 0, &k));
	/* The base key must allow derivation and be private. */
	gen_ec(x, oid_p256, sizeof(oid_p256), CK_FALSE, &pub, &priv);
	assert_int_equal(CKR_KEY_FUNCTION_NOT_PERMITTED, derive(x, priv, CKD_NULL, apt, alen, 0, &k));
	assert_int_equal(CKR_KEY_HANDLE_INVALID, derive(x, 0xdead0006UL, CKD_NULL, apt, alen, 0, &k));
	CK(x->f->C_DestroyObject(x->s, pub));
	CK(x->f->C_DestroyObject(x->s, priv));
	/* A point that is not on the curve, or from another curve. */
	CK_BYTE junk[65];
	memset(junk, 0x42, sizeof(junk));
	junk[0] = 0x04;
	assert_int_not_equal(CKR_OK, derive(x, x->b_priv, CKD_NULL, junk, sizeof(junk), 0, &k));
	assert_int_not_equal(CKR_OK, derive(x, x->c_priv, CKD_NULL, apt, alen, 0, &k));

	/* Mechanism and parameter. */
	CK_MECHANISM m = { CKM_ECDH1_DERIVE, NULL, 0 };
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, x->f->C_DeriveKey(x->s, &m, x->b_priv, NULL, 0, &k));
	CK_ECDH1_DERIVE_PARAMS p = { CKD_NULL, 0, NULL, alen, apt };
	m.pParameter = &p;
	m.ulParameterLen = sizeof(p) - 1;
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, x->f->C_DeriveKey(x->s, &m, x->b_priv, NULL, 0, &k));
	m.ulParameterLen = sizeof(p);
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE bad[] = { { CKA_CLASS, &cls, sizeof(cls) } };
	assert_int_equal(CKR_TEMPLATE_INCONSISTENT, x->f->C_DeriveKey(x->s, &m, x->b_priv, bad, 1, &k));
	m.mechanism = CKM_ECDSA;
	assert_int_equal(CKR_MECHANISM_INVALID, x->f->C_DeriveKey(x->s, &m, x->b_priv, NULL, 0, &k));
	m.mechanism = CKM_ECDH1_DERIVE;
	assert_int_equal(CKR_KEY_TYPE_INCONSISTENT, x->f->C_DeriveKey(x->s, &m, x->b_pub, NULL, 0, &k));
	assert_int_equal(CKR_ARGUMENTS_BAD, x->f->C_DeriveKey(x->s, &m, x->b_priv, NULL, 0, NULL));
	free(apt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_token_keys),
		cmocka_unit_test(test_openssl_peer),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, group_setup, th_group_teardown);
}
