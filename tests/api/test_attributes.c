/* Attribute rules through the public API: C_GetAttributeValue's
 * per-attribute algorithm, read-only and module-set attributes, one-way
 * changes, defaults, provenance of imported versus generated keys, and
 * malformed templates.  Keys to import are made with OpenSSL here. */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "harness.h"

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
static CK_OBJECT_CLASS data_cls = CKO_DATA, priv_cls = CKO_PRIVATE_KEY, pub_cls = CKO_PUBLIC_KEY;
static CK_KEY_TYPE ec_kt = CKK_EC, rsa_kt = CKK_RSA;
static const CK_BYTE p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };

typedef struct {
	CK_BYTE scalar[32];
	CK_BYTE point[67];   /* DER OCTET STRING around the 65-byte point */
} ec_material;

static void ec_key(ec_material *m)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	BIGNUM *d = NULL;
	size_t len = 0;

	assert_non_null(k);
	assert_true(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, &d));
	assert_int_equal(BN_bn2binpad(d, m->scalar, 32), 32);
	m->point[0] = 0x04;
	m->point[1] = 65;
	assert_true(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, m->point + 2, 65, &len));
	assert_int_equal(len, 65);
	BN_clear_free(d);
	EVP_PKEY_free(k);
}

/* Imports an EC private key; extra attributes are appended. */
static CK_RV import_ec(th_env *env, CK_SESSION_HANDLE s, const ec_material *m,
                       const CK_ATTRIBUTE *extra, CK_ULONG nextra, CK_OBJECT_HANDLE *h)
{
	CK_ATTRIBUTE t[16] = {
		{ CKA_CLASS, &priv_cls, sizeof(priv_cls) },
		{ CKA_KEY_TYPE, &ec_kt, sizeof(ec_kt) },
		{ CKA_EC_PARAMS, (void *)p256, sizeof(p256) },
		{ CKA_VALUE, (void *)m->scalar, sizeof(m->scalar) },
		{ CKA_LABEL, "imported", 8 },
	};
	CK_ULONG n = 5;

	assert_true(nextra <= 11);
	for (CK_ULONG i = 0; i < nextra; i++)
		t[n++] = extra[i];
	return env->f->C_CreateObject(s, t, n, h);
}

static CK_RV make_data(th_env *env, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE *h)
{
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &data_cls, sizeof(data_cls) },
		{ CKA_LABEL, "data label", 10 },
		{ CKA_VALUE, "0123456789", 10 },
	};
	return env->f->C_CreateObject(s, t, 3, h);
}

static CK_BBOOL get_bool(th_env *env, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE t)
{
	CK_BBOOL v = 0x55;
	CK_ATTRIBUTE a = { t, &v, sizeof(v) };
	CK(env->f->C_GetAttributeValue(s, h, &a, 1));
	assert_int_equal(a.ulValueLen, 1);
	return v;
}

static int setup(void **state)
{
	th_setup(state);
	return 0;
}

static void test_get_attribute_algorithm(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SESSION_HANDLE s = th_user_session(env, th_new_token(env, "getattr"));
	CK_OBJECT_HANDLE key, data;
	ec_material m;
	CK_BYTE label[32], small[4], value[32], point[80];
	CK_ULONG cls = 0;

	ec_key(&m);
	CK(import_ec(env, s, &m, NULL, 0, &key));
	CK(make_data(env, s, &data));

	/* Mixed: filled, sensitive, absent, length query, too small, filled. */
	CK_ATTRIBUTE t[] = {
		{ CKA_LABEL, label, sizeof(label) },
		{ CKA_VALUE, value, sizeof(value) },
		{ CKA_MODULUS, value, sizeof(value) },
		{ CKA_EC_POINT, NULL, 0 },
		{ CKA_EC_PARAMS, small, sizeof(small) },
		{ CKA_CLASS, &cls, sizeof(cls) },
	};
	CK_RV rv = env->f->C_GetAttributeValue(s, key, t, 6);
	assert_true(rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_ATTRIBUTE_TYPE_INVALID ||
	            rv == CKR_BUFFER_TOO_SMALL);
	assert_int_equal(t[0].ulValueLen, 8);
	assert_memory_equal(label, "imported", 8);
	assert_int_equal(t[1].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_int_equal(t[2].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_int_equal(t[3].ulValueLen, sizeof(m.point));
	assert_int_equal(t[4].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_int_equal(t[5].ulValueLen, sizeof(CK_ULONG));
	assert_int_equal(cls, CKO_PRIVATE_KEY);

	/* The public point of an imported private key is derived. */
	CK_ATTRIBUTE pt = { CKA_EC_POINT, point, sizeof(point) };
	CK(env->f->C_GetAttributeValue(s, key, &pt, 1));
	assert_int_equal(pt.ulValueLen, sizeof(m.point));
	assert_memory_equal(point, m.point, sizeof(m.point));

	/* Each error alone gives its own code. */
	CK_ATTRIBUTE one = { CKA_VALUE, NULL, 0 };
	assert_int_equal(env->f->C_GetAttributeValue(s, key, &one, 1), CKR_ATTRIBUTE_SENSITIVE);
	assert_int_equal(one.ulValueLen, CK_UNAVAILABLE_INFORMATION);
	one = (CK_ATTRIBUTE){ CKA_MODULUS_BITS, NULL, 0 };
	assert_int_equal(env->f->C_GetAttributeValue(s, data, &one, 1), CKR_ATTRIBUTE_TYPE_INVALID);
	assert_int_equal(one.ulValueLen, CK_UNAVAILABLE_INFORMATION);
	one = (CK_ATTRIBUTE){ CKA_VALUE, small, sizeof(small) };
	assert_int_equal(env->f->C_GetAttributeValue(s, data, &one, 1), CKR_BUFFER_TOO_SMALL);
	assert_int_equal(one.ulValueLen, CK_UNAVAILABLE_INFORMATION);
	one = (CK_ATTRIBUTE){ CKA_VALUE, NULL, 0 };
	CK(env->f->C_GetAttributeValue(s, data, &one, 1));
	assert_int_equal(one.ulValueLen, 10);
	one = (CK_ATTRIBUTE){ CKA_WRAP_TEMPLATE, NULL, 0 };
	assert_int_equal(env->f->C_GetAttributeValue(s, key, &one, 1), CKR_ATTRIBUTE_TYPE_INVALID);
	/* An exact-size buffer is enough. */
	one = (CK_ATTRIBUTE){ CKA_VALUE, value, 10 };
	CK(env->f->C_GetAttributeValue(s, data, &one, 1));
	assert_memory_equal(value, "0123456789", 10);

	/* Sensitive values cannot be searched for either. */
	CK_ATTRIBUTE probe[] = { { CKA_VALUE, m.scalar, sizeof(m.scalar) } };
	CK_OBJECT_HANDLE found[4];
	CK_ULONG n = 9;
	CK(env->f->C_FindObjectsInit(s, probe, 1));
	CK(env->f->C_FindObjects(s, found, 4, &n));
	CK(env->f->C_FindObjectsFinal(s));
	assert_int_equal(n, 0);
	CK(env->f->C_CloseSession(s));
}

static void test_defaults(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SESSION_HANDLE s = th_user_session(env, th_new_token(env, "defaults"));
	CK_OBJECT_HANDLE data, key;
	ec_material m;
	CK_ATTRIBUTE empty[] = { { CKA_ID, NULL, 0 }, { CKA_APPLICATION, NULL, 0 } };
	CK_ULONG mech = 0;
	CK_ATTRIBUTE kgm = { CKA_KEY_GEN_MECHANISM, &mech, sizeof(mech) };

	CK(make_data(env, s, &data));
	assert_int_equal(get_bool(env, s, data, CKA_TOKEN), CK_FALSE);
	assert_int_equal(get_bool(env, s, data, CKA_PRIVATE), CK_FALSE);
	assert_int_equal(get_bool(env, s, data, CKA_MODIFIABLE), CK_TRUE);
	assert_int_equal(get_bool(env, s, data, CKA_COPYABLE), CK_TRUE);
	assert_int_equal(get_bool(env, s, data, CKA_DESTROYABLE), CK_TRUE);
	assert_int_equal(env->f->C_GetAttributeValue(s, data, empty, 2), CKR_ATTRIBUTE_TYPE_INVALID);
	assert_int_equal(empty[1].ulValueLen, 0);

	ec_key(&m);
	CK(import_ec(env, s, &m, NULL, 0, &key));
	assert_int_equal(get_bool(env, s, key, CKA_PRIVATE), CK_TRUE);
	assert_int_equal(get_bool(env, s, key, CKA_SENSITIVE), CK_TRUE);
	assert_int_equal(get_bool(env, s, key, CKA_EXTRACTABLE), CK_FALSE);
	assert_int_equal(get_bool(env, s, key, CKA_SIGN), CK_TRUE);
	assert_int_equal(get_bool(env, s, key, CKA_DERIVE), CK_TRUE);
	assert_int_equal(get_bool(env, s, key, CKA_ALWAYS_AUTHENTICATE), CK_FALSE);
	CK(env->f->C_GetAttributeValue(s, key, empty, 1));
	assert_int_equal(empty[0].ulValueLen, 0);
	/* Provenance of an imported key. */
	assert_int_equal(get_bool(env, s, key, CKA_LOCAL), CK_FALSE);
	assert_int_equal(get_bool(env, s, key, CKA_ALWAYS_SENSITIVE), CK_FALSE);
	assert_int_equal(get_bool(env, s, key, CKA_NEVER_EXTRACTABLE), CK_FALSE);
	CK(env->f->C_GetAttributeValue(s, key, &kgm, 1));
	assert_int_equal(mech, CK_UNAVAILABLE_INFORMATION);
	CK(env->f->C_CloseSession(s));
}

static void test_generated_provenance(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SESSION_HANDLE s = th_user_session(env, th_new_token(env, "generated"));
	CK_OBJECT_HANDLE pub, priv;
	CK_ULONG mech = 0;
	CK_ATTRIBUTE kgm = { CKA_KEY_GEN_MECHANISM, &mech, sizeof(mech) };

	th_keypair(env, s, "p256", "gen", &pub, &priv);
	assert_int_equal(get_bool(env, s, priv, CKA_LOCAL), CK_TRUE);
	assert_int_equal(get_bool(env, s, pub, CKA_LOCAL), CK_TRUE);
	assert_int_equal(get_bool(env, s, priv, CKA_ALWAYS_SENSITIVE), CK_TRUE);
	assert_int_equal(get_bool(env, s, priv, CKA_NEVER_EXTRACTABLE), CK_TRUE);
	CK(env->f->C_GetAttributeValue(s, priv, &kgm, 1));
	assert_int_equal(mech, CKM_EC_KEY_PAIR_GEN);
	/* A copy is the same key: provenance kept, new unique id. */
	CK_OBJECT_HANDLE copy;
	CK_BYTE u1[64], u2[64];
	CK_ATTRIBUTE a1 = { CKA_UNIQUE_ID, u1, sizeof(u1) }, a2 = { CKA_UNIQUE_ID, u2, sizeof(u2) };
	CK(env->f->C_CopyObject(s, priv, NULL, 0, &copy));
	assert_int_equal(get_bool(env, s, copy, CKA_LOCAL), CK_TRUE);
	CK(env->f->C_GetAttributeValue(s, priv, &a1, 1));
	CK(env->f->C_GetAttributeValue(s, copy, &a2, 1));
	assert_true(a1.ulValueLen != a2.ulValueLen || memcmp(u1, u2, a1.ulValueLen) != 0);
	CK(env->f->C_CloseSession(s));
}

static void test_read_only_attributes(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SESSION_HANDLE s = th_user_session(env, th_new_token(env, "readonly"));
	CK_OBJECT_HANDLE key, data, out;
	ec_material m;
	CK_OBJECT_CLASS other = CKO_SECRET_KEY;
	CK_KEY_TYPE rsa = CKK_RSA;
	CK_ULONG mech = CKM_EC_KEY_PAIR_GEN;
	CK_BYTE zero[32] = { 1 };

	ec_key(&m);
	CK(import_ec(env, s, &m, NULL, 0, &key));
	CK(make_data(env, s, &data));

	CK_ATTRIBUTE refused[] = {
		{ CKA_CLASS, &other, sizeof(other) },
		{ CKA_KEY_TYPE, &rsa, sizeof(rsa) },
		{ CKA_VALUE, zero, sizeof(zero) },
		{ CKA_EC_PARAMS, zero, 5 },
		{ CKA_LOCAL, &yes, 1 },
		{ CKA_ALWAYS_SENSITIVE, &yes, 1 },
		{ CKA_NEVER_EXTRACTABLE, &yes, 1 },
		{ CKA_KEY_GEN_MECHANISM, &mech, sizeof(mech) },
		{ CKA_UNIQUE_ID, "mine", 4 },
		{ CKA_TOKEN, &yes, 1 },
		{ CKA_PRIVATE, &no, 1 },
		{ CKA_ALWAYS_AUTHENTICATE, &yes, 1 },
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		assert_int_equal(env->f->C_SetAttributeValue(s, key, &refused[i], 1), CKR_ATTRIBUTE_READ_ONLY);
	/* All or nothing: a good change next to a refused one is not made. */
	CK_ATTRIBUTE mixed[] = { { CKA_LABEL, "changed", 7 }, { CKA_CLASS, &other, sizeof(other) } };
	assert_int_equal(env->f->C_SetAttributeValue(s, key, mixed, 2), CKR_ATTRIBUTE_READ_ONLY);
	CK_BYTE lab[16];
	CK_ATTRIBUTE gl = { CKA_LABEL, lab, sizeof(lab) };
	CK(env->f->C_GetAttributeValue(s, key, &gl, 1));
	assert_int_equal(gl.ulValueLen, 8);
	/* Restating a value is not a change. */
	CK_ATTRIBUTE same = { CKA_CLASS, &priv_cls, sizeof(priv_cls) };
	CK(env->f->C_SetAttributeValue(s, key, &same, 1));

	/* Module-set attributes in a creation template. */
	for (size_t i = 4; i <= 8; i++)
		assert_int_equal(import_ec(env, s, &m, &refused[i], 1, &out), CKR_ATTRIBUTE_READ_ONLY);
	/* CKA_TOKEN / CKA_PRIVATE may change in a copy, CKA_CLASS may not. */
	CK_ATTRIBUTE to_token[] = { { CKA_TOKEN, &yes, 1 }, { CKA_LABEL, "copied", 6 } };
	CK(env->f->C_CopyObject(s, data, to_token, 2, &out));
	assert_int_equal(get_bool(env, s, out, CKA_TOKEN), CK_TRUE);
	assert_int_equal(env->f->C_CopyObject(s, data, &refused[0], 1, &out), CKR_ATTRIBUTE_READ_ONLY);
	assert_int_equal(env->f->C_CopyObject(s, key, &refused[4], 1, &out), CKR_ATTRIBUTE_READ_ONLY);
	CK(env->f->C_CloseSession(s));
}

static void test_one_way(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SESSION_HANDLE s = th_user_session(env, th_new_token(env, "oneway"));
	CK_OBJECT_HANDLE key, copy;
	ec_material m;
	CK_ATTRIBUTE open_key[] = { { CKA_SENSITIVE, &no, 1 }, { CKA_EXTRACTABLE, &yes, 1 } };
	CK_ATTRIBUTE sens_on = { CKA_SENSITIVE, &yes, 1 }, sens_off = { CKA_SENSITIVE, &no, 1 };
	CK_ATTRIBUTE extr_on = { CKA_EXTRACTABLE, &yes, 1 }, extr_off = { CKA_EXTRACTABLE, &no, 1 };
	CK_ATTRIBUTE wwt_on = { CKA_WRAP_WITH_TRUSTED, &yes, 1 }, wwt_off = { CKA_WRAP_WITH_TRUSTED, &no, 1 };
	CK_BYTE v[32];
	CK_ATTRIBUTE val = { CKA_VALUE, v, sizeof(v) };

	ec_key(&m);
	CK(import_ec(env, s, &m, open_key, 2, &key));
	CK(env->f->C_GetAttributeValue(s, key, &val, 1));
	assert_memory_equal(v, m.scalar, 32);

	/* SENSITIVE: false -> true only. */
	CK(env->f->C_CopyObject(s, key, NULL, 0, &copy));
	CK(env->f->C_SetAttributeValue(s, key, &sens_on, 1));
	val.ulValueLen = sizeof(v);
	assert_int_equal(env->f->C_GetAttributeValue(s, key, &val, 1), CKR_ATTRIBUTE_SENSITIVE);
	assert_int_equal(env->f->C_SetAttributeValue(s, key, &sens_off, 1), CKR_ATTRIBUTE_VALUE_INVALID);
	assert_int_equal(env->f->C_CopyObject(s, key, &sens_off, 1, &copy), CKR_ATTRIBUTE_VALUE_INVALID);
	assert_int_equal(get_bool(env, s, key, CKA_SENSITIVE), CK_TRUE);

	/* EXTRACTABLE: true -> false only; an unextractable secret is hidden
	 * even when not sensitive. */
	CK(import_ec(env, s, &m, open_key, 2, &key));
	CK(env->f->C_SetAttributeValue(s, key, &extr_off, 1));
	val.ulValueLen = sizeof(v);
	assert_int_equal(env->f->C_GetAttributeValue(s, key, &val, 1), CKR_ATTRIBUTE_SENSITIVE);
	assert_int_equal(env->f->C_SetAttributeValue(s, key, &extr_on, 1), CKR_ATTRIBUTE_VALUE_INVALID);

	/* WRAP_WITH_TRUSTED: false -> true only. */
	CK(env->f->C_SetAttributeValue(s, key, &wwt_on, 1));
	assert_int_equal(env->f->C_SetAttributeValue(s, key, &wwt_off, 1), CKR_ATTRIBUTE_VALUE_INVALID);
	CK(env->f->C_CloseSession(s));
}

static void test_bad_templates(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SESSION_HANDLE s = th_user_session(env, th_new_token(env, "templates"));
	CK_OBJECT_HANDLE h;
	ec_material m;
	CK_ULONG four = 0;
	uint32_t short_cls = CKO_DATA;
	CK_ULONG wide_bool = 1;
	CK_OBJECT_CLASS hw = CKO_HW_FEATURE, sk = CKO_SECRET_KEY;
	CK_KEY_TYPE aes = CKK_AES;
	CK_ATTRIBUTE inner[] = { { CKA_SIGN, &yes, 1 } };
	CK_DATE bad_date = { { '2', '0', '2', 'x' }, { '0', '1' }, { '0', '1' } };

#define TRY(rv, ...)                                                                   \
	do {                                                                           \
		CK_ATTRIBUTE t_[] = { __VA_ARGS__ };                                   \
		assert_int_equal(env->f->C_CreateObject(s, t_, sizeof(t_) / sizeof(t_[0]), &h), rv); \
	} while (0)

	TRY(CKR_ATTRIBUTE_VALUE_INVALID, { CKA_CLASS, &short_cls, sizeof(short_cls) });
	TRY(CKR_ATTRIBUTE_VALUE_INVALID, { CKA_CLASS, &data_cls, sizeof(data_cls) }, { CKA_TOKEN, &wide_bool, sizeof(wide_bool) });
	TRY(CKR_ATTRIBUTE_VALUE_INVALID, { CKA_CLASS, &data_cls, sizeof(data_cls) }, { CKA_LABEL, NULL, 5 });
	TRY(CKR_ATTRIBUTE_TYPE_INVALID, { CKA_CLASS, &data_cls, sizeof(data_cls) }, { CKA_MODULUS, "x", 1 });
	TRY(CKR_ATTRIBUTE_TYPE_INVALID, { CKA_CLASS, &data_cls, sizeof(data_cls) }, { CKA_VENDOR_DEFINED | 7, "x", 1 });
	TRY(CKR_ATTRIBUTE_TYPE_INVALID, { CKA_CLASS, &data_cls, sizeof(data_cls) }, { CKA_WRAP_TEMPLATE, inner, sizeof(inner) });
	TRY(CKR_TEMPLATE_INCOMPLETE, { CKA_LABEL, "no class", 8 });
	TRY(CKR_TEMPLATE_INCONSISTENT, { CKA_CLASS, &data_cls, sizeof(data_cls) }, { CKA_LABEL, "a", 1 }, { CKA_LABEL, "b", 1 });
	TRY(CKR_OK, { CKA_CLASS, &data_cls, sizeof(data_cls) }, { CKA_LABEL, "a", 1 }, { CKA_LABEL, "a", 1 });
	TRY(CKR_ATTRIBUTE_VALUE_INVALID, { CKA_CLASS, &hw, sizeof(hw) });
	TRY(CKR_ATTRIBUTE_VALUE_INVALID, { CKA_CLASS, &sk, sizeof(sk) }, { CKA_KEY_TYPE, &aes, sizeof(aes) }, { CKA_VALUE, "0123456789abcdef", 16 });
	TRY(CKR_TEMPLATE_INCOMPLETE, { CKA_CLASS, &priv_cls, sizeof(priv_cls) }, { CKA_EC_PARAMS, (void *)p256, sizeof(p256) });
	TRY(CKR_TEMPLATE_INCOMPLETE, { CKA_CLASS, &pub_cls, sizeof(pub_cls) }, { CKA_KEY_TYPE, &ec_kt, sizeof(ec_kt) }, { CKA_EC_PARAMS, (void *)p256, sizeof(p256) });
	TRY(CKR_TEMPLATE_INCOMPLETE, { CKA_CLASS, &pub_cls, sizeof(pub_cls) }, { CKA_KEY_TYPE, &rsa_kt, sizeof(rsa_kt) });
	TRY(CKR_ATTRIBUTE_VALUE_INVALID, { CKA_CLASS, &data_cls, sizeof(data_cls) }, { CKA_CERTIFICATE_CATEGORY, &four, sizeof(four) - 1 });

	ec_key(&m);
	CK_ATTRIBUTE date[] = { { CKA_START_DATE, &bad_date, sizeof(bad_date) } };
	assert_int_equal(import_ec(env, s, &m, date, 1, &h), CKR_ATTRIBUTE_VALUE_INVALID);
	/* The public point of another key contradicts the private value. */
	ec_material other;
	ec_key(&other);
	CK_ATTRIBUTE point[] = { { CKA_EC_POINT, other.point, sizeof(other.point) } };
	assert_int_equal(import_ec(env, s, &m, point, 1, &h), CKR_TEMPLATE_INCONSISTENT);
	CK_ATTRIBUTE app[] = { { CKA_APPLICATION, "x", 1 } };
	assert_int_equal(import_ec(env, s, &m, app, 1, &h), CKR_ATTRIBUTE_TYPE_INVALID);

	/* The same checks on C_SetAttributeValue. */
	CK(make_data(env, s, &h));
	CK_ATTRIBUTE set_bad[] = {
		{ CKA_LABEL, NULL, 3 },
		{ CKA_MODULUS, "x", 1 },
		{ CKA_WRAP_TEMPLATE, inner, sizeof(inner) },
		{ CKA_TOKEN, &wide_bool, sizeof(wide_bool) },
	};
	assert_int_equal(env->f->C_SetAttributeValue(s, h, &set_bad[0], 1), CKR_ATTRIBUTE_VALUE_INVALID);
	assert_int_equal(env->f->C_SetAttributeValue(s, h, &set_bad[1], 1), CKR_ATTRIBUTE_TYPE_INVALID);
	assert_int_equal(env->f->C_SetAttributeValue(s, h, &set_bad[2], 1), CKR_ATTRIBUTE_TYPE_INVALID);
	assert_int_equal(env->f->C_SetAttributeValue(s, h, &set_bad[3], 1), CKR_ATTRIBUTE_VALUE_INVALID);
	CK_ATTRIBUTE dup[] = { { CKA_LABEL, "a", 1 }, { CKA_LABEL, "b", 1 } };
	assert_int_equal(env->f->C_SetAttributeValue(s, h, dup, 2), CKR_TEMPLATE_INCONSISTENT);
	CK(env->f->C_CloseSession(s));
#undef TRY
}

static void test_rsa_public_import(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SESSION_HANDLE s = th_user_session(env, th_new_token(env, "rsapub"));
	EVP_PKEY *k = EVP_RSA_gen(2048);
	BIGNUM *n = NULL, *e = NULL;
	CK_BYTE mod[256], exp[8];
	CK_ULONG bits = 0, wrong = 1024;
	CK_OBJECT_HANDLE h;

	assert_non_null(k);
	assert_true(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n));
	assert_true(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e));
	int nl = BN_bn2bin(n, mod), el = BN_bn2bin(e, exp);
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &pub_cls, sizeof(pub_cls) },
		{ CKA_KEY_TYPE, &rsa_kt, sizeof(rsa_kt) },
		{ CKA_MODULUS, mod, (CK_ULONG)nl },
		{ CKA_PUBLIC_EXPONENT, exp, (CK_ULONG)el },
		{ CKA_MODULUS_BITS, &wrong, sizeof(wrong) },
	};
	assert_int_equal(env->f->C_CreateObject(s, t, 5, &h), CKR_TEMPLATE_INCONSISTENT);
	CK(env->f->C_CreateObject(s, t, 4, &h));
	CK_ATTRIBUTE b = { CKA_MODULUS_BITS, &bits, sizeof(bits) };
	CK(env->f->C_GetAttributeValue(s, h, &b, 1));
	assert_int_equal(bits, 2048);
	assert_int_equal(get_bool(env, s, h, CKA_PRIVATE), CK_FALSE);
	assert_int_equal(get_bool(env, s, h, CKA_VERIFY), CK_TRUE);
	/* Malformed material. */
	t[2].ulValueLen = 0;
	assert_int_equal(env->f->C_CreateObject(s, t, 4, &h), CKR_TEMPLATE_INCOMPLETE);
	BN_free(n);
	BN_free(e);
	EVP_PKEY_free(k);
	CK(env->f->C_CloseSession(s));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_get_attribute_algorithm, setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_defaults, setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_generated_provenance, setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_read_only_attributes, setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_one_way, setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_bad_templates, setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_rsa_public_import, setup, th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
