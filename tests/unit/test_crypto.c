/* The crypto layer: mechanism parameters, key generation and key import. */
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

/* ---- mechanism table and parameters ---------------------------------------- */

static void ec_params(void **state)
{
	CK_ULONG bits = 0;
	uint8_t bad[sizeof(OID_P256)];

	(void)state;
	assert_int_equal(CKR_OK, cid_ec_params_bits(CKK_EC, OID_P256, sizeof(OID_P256), &bits));
	assert_int_equal(256, bits);
	assert_int_equal(CKR_OK, cid_ec_params_bits(CKK_EC, OID_P384, sizeof(OID_P384), &bits));
	assert_int_equal(384, bits);
	assert_int_equal(CKR_OK, cid_ec_params_bits(CKK_EC_EDWARDS, OID_ED25519, sizeof(OID_ED25519), &bits));
	assert_int_equal(255, bits);
	assert_int_equal(CKR_OK, cid_ec_params_bits(CKK_EC_EDWARDS, NAME_ED25519, sizeof(NAME_ED25519), &bits));
	assert_int_equal(255, bits);
	assert_int_equal(CKR_CURVE_NOT_SUPPORTED, cid_ec_params_bits(CKK_EC, OID_P521, sizeof(OID_P521), &bits));
	assert_int_equal(CKR_CURVE_NOT_SUPPORTED, cid_ec_params_bits(CKK_EC, OID_ED25519, sizeof(OID_ED25519), &bits));
	assert_int_equal(CKR_CURVE_NOT_SUPPORTED, cid_ec_params_bits(CKK_EC_EDWARDS, OID_P256, sizeof(OID_P256), &bits));
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, cid_ec_params_bits(CKK_EC, OID_P256, sizeof(OID_P256) - 1, &bits));
	memcpy(bad, OID_P256, sizeof(bad));
	bad[0] = 0x02;
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, cid_ec_params_bits(CKK_EC, bad, sizeof(bad), &bits));
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, cid_ec_params_bits(CKK_EC, (const uint8_t *)"", 0, &bits));
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, cid_ec_params_bits(CKK_EC, (const uint8_t *)"\x06\x80", 2, &bits));
	assert_int_equal(CKR_KEY_TYPE_INCONSISTENT, cid_ec_params_bits(CKK_RSA, OID_P256, sizeof(OID_P256), &bits));
}

/* ---- key generation and import ----------------------------------------------- */

static void check_rsa_attrs(const kp *k, CK_ULONG bits)
{
	static const CK_ATTRIBUTE_TYPE parts[] = { CKA_MODULUS, CKA_PUBLIC_EXPONENT, CKA_PRIVATE_EXPONENT,
		                                   CKA_PRIME_1, CKA_PRIME_2, CKA_EXPONENT_1,
		                                   CKA_EXPONENT_2, CKA_COEFFICIENT };
	const CK_ATTRIBUTE *n = need(&k->pub, CKA_MODULUS);

	assert_int_equal(bits / 8, n->ulValueLen);
	assert_memory_equal("\x01\x00\x01", need(&k->pub, CKA_PUBLIC_EXPONENT)->pValue, 3);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		const CK_ATTRIBUTE *at = need(&k->priv, parts[i]);

		/* Big integers carry no leading zero byte. */
		assert_int_not_equal(0, ((const uint8_t *)at->pValue)[0]);
	}
	assert_null(cid_attrs_get(&k->pub, CKA_PRIVATE_EXPONENT));
	assert_int_equal(bits, cid_key_bits(k->kpriv));
	assert_int_equal(bits, cid_key_bits(k->kpub));
	assert_true(cid_key_is_private(k->kpriv));
	assert_false(cid_key_is_private(k->kpub));
	assert_int_equal(CKK_RSA, cid_key_type(k->kpub));
}

static void keygen_rsa(void **state)
{
	static const uint8_t e3[] = { 3 }, e_even[] = { 1, 0, 0 }, e_f4[] = { 0, 1, 0, 1 };
	cid_attrs a = CID_ATTRS_INIT, b = CID_ATTRS_INIT;
	kp k3 = { 0 };

	(void)state;
	check_rsa_attrs(&rsa2048, 2048);
	assert_int_equal(CKR_KEY_SIZE_RANGE, cid_keygen_rsa(1024, NULL, 0, &a, &b));
	assert_int_equal(CKR_KEY_SIZE_RANGE, cid_keygen_rsa(2047, NULL, 0, &a, &b));
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, cid_keygen_rsa(2048, e3, 1, &a, &b));
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, cid_keygen_rsa(2048, e_even, 3, &a, &b));
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, cid_keygen_rsa(2048, e_even, 0, &a, &b));
	assert_int_equal(0, a.n);
	/* A leading zero in the requested exponent is harmless. */
	assert_int_equal(CKR_OK, cid_keygen_rsa(3072, e_f4, sizeof(e_f4), &k3.pub, &k3.priv));
	kp_load(&k3, CKK_RSA);
	check_rsa_attrs(&k3, 3072);
	kp_free(&k3);
}

static void keygen_rsa4096(void **state)
{
	kp k = { 0 };
	uint8_t sig[512];
	CK_ULONG sl = sizeof(sig);
	CK_MECHANISM m = { CKM_SHA512_RSA_PKCS, NULL, 0 };

	(void)state;
	assert_int_equal(CKR_OK, cid_keygen_rsa(4096, NULL, 0, &k.pub, &k.priv));
	kp_load(&k, CKK_RSA);
	check_rsa_attrs(&k, 4096);
	assert_int_equal(CKR_OK, do_sign(&m, k.kpriv, MSG, sizeof(MSG), sig, &sl));
	assert_int_equal(512, sl);
	assert_int_equal(CKR_OK, do_verify(&m, k.kpub, MSG, sizeof(MSG), sig, sl));
	kp_free(&k);
}

static void keygen_ec(void **state)
{
	size_t len;
	const uint8_t *pt;
	cid_attrs a = CID_ATTRS_INIT, b = CID_ATTRS_INIT;

	(void)state;
	pt = point_of(&p256.pub, &len);
	assert_int_equal(65, len);
	assert_int_equal(0x04, pt[0]);
	assert_int_equal(32, need(&p256.priv, CKA_VALUE)->ulValueLen);
	assert_memory_equal(OID_P256, need(&p256.priv, CKA_EC_PARAMS)->pValue, sizeof(OID_P256));
	pt = point_of(&p384.pub, &len);
	assert_int_equal(97, len);
	assert_int_equal(48, need(&p384.priv, CKA_VALUE)->ulValueLen);
	assert_int_equal(384, cid_key_bits(p384.kpriv));
	assert_int_equal(CKK_EC, cid_key_type(p384.kpub));
	assert_int_equal(CKR_CURVE_NOT_SUPPORTED, cid_keygen_ec(OID_P521, sizeof(OID_P521), &a, &b));
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, cid_keygen_ec(OID_P256, 3, &a, &b));
	assert_int_equal(0, a.n + b.n);
}

static void keygen_ed25519(void **state)
{
	size_t len;
	kp k = { 0 };
	uint8_t sig[64];
	CK_ULONG sl = sizeof(sig);
	CK_MECHANISM m = { CKM_EDDSA, NULL, 0 };

	(void)state;
	point_of(&ed.pub, &len);
	assert_int_equal(32, len);
	assert_int_equal(32, need(&ed.priv, CKA_VALUE)->ulValueLen);
	assert_int_equal(255, cid_key_bits(ed.kpriv));
	/* The curve-name form of the parameters works the same. */
	assert_int_equal(CKR_OK, cid_keygen_ed25519(NAME_ED25519, sizeof(NAME_ED25519), &k.pub, &k.priv));
	cid_attrs_set(&k.pub, CKA_EC_PARAMS, NAME_ED25519, sizeof(NAME_ED25519));
	kp_load(&k, CKK_EC_EDWARDS);
	assert_int_equal(CKR_OK, do_sign(&m, k.kpriv, MSG, sizeof(MSG), sig, &sl));
	assert_int_equal(CKR_OK, do_verify(&m, k.kpub, MSG, sizeof(MSG), sig, sl));
	kp_free(&k);
	assert_int_equal(CKR_CURVE_NOT_SUPPORTED, cid_keygen_ed25519(OID_P256, sizeof(OID_P256), &k.pub, &k.priv));
}

static void assert_same_attr(const cid_attrs *a, const cid_attrs *b, CK_ATTRIBUTE_TYPE t)
{
	const CK_ATTRIBUTE *x = need(a, t), *y = need(b, t);

	assert_int_equal(x->ulValueLen, y->ulValueLen);
	assert_memory_equal(x->pValue, y->pValue, x->ulValueLen);
}

static void public_attrs_roundtrip(void **state)
{
	cid_attrs o = CID_ATTRS_INIT;

	(void)state;
	assert_int_equal(CKR_OK, cid_key_public_attrs(rsa2048.kpriv, &o));
	assert_same_attr(&o, &rsa2048.pub, CKA_MODULUS);
	assert_same_attr(&o, &rsa2048.pub, CKA_PUBLIC_EXPONENT);
	assert_null(cid_attrs_get(&o, CKA_PRIVATE_EXPONENT));
	cid_attrs_clear(&o);
	assert_int_equal(CKR_OK, cid_key_public_attrs(p384.kpriv, &o));
	assert_same_attr(&o, &p384.pub, CKA_EC_POINT);
	cid_attrs_clear(&o);
	assert_int_equal(CKR_OK, cid_key_public_attrs(ed.kpriv, &o));
	assert_same_attr(&o, &ed.pub, CKA_EC_POINT);
	cid_attrs_clear(&o);
	assert_int_equal(CKR_OK, cid_key_public_attrs(p256.kpub, &o));
	assert_same_attr(&o, &p256.pub, CKA_EC_POINT);
	cid_attrs_clear(&o);
}

static void import_ec_variants(void **state)
{
	cid_attrs a = CID_ATTRS_INIT, o = CID_ATTRS_INIT;
	cid_key *k = NULL;
	size_t len;
	const uint8_t *pt;
	uint8_t bad[67];

	(void)state;
	/* Private key without its point: the point is derived. */
	cid_attrs_set(&a, CKA_EC_PARAMS, OID_P256, sizeof(OID_P256));
	assert_int_equal(CKR_TEMPLATE_INCOMPLETE, cid_key_from_attrs(CKO_PRIVATE_KEY, CKK_EC, &a, &k));
	assert_same_attr(&p256.priv, &p256.priv, CKA_VALUE);
	cid_attrs_set(&a, CKA_VALUE, need(&p256.priv, CKA_VALUE)->pValue, 32);
	assert_int_equal(CKR_OK, cid_key_from_attrs(CKO_PRIVATE_KEY, CKK_EC, &a, &k));
	assert_int_equal(CKR_OK, cid_key_public_attrs(k, &o));
	assert_same_attr(&o, &p256.pub, CKA_EC_POINT);
	cid_key_unref(&k);
	assert_null(k);
	/* A matching point is accepted, a different one refused. */
	cid_attrs_set(&a, CKA_EC_POINT, need(&p256.pub, CKA_EC_POINT)->pValue, 67);
	assert_int_equal(CKR_OK, cid_key_from_attrs(CKO_PRIVATE_KEY, CKK_EC, &a, &k));
	cid_key_unref(&k);
	memcpy(bad, need(&p256.pub, CKA_EC_POINT)->pValue, 67);
	bad[66] ^= 1;
	cid_attrs_set(&a, CKA_EC_POINT, bad, 67);
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, cid_key_from_attrs(CKO_PRIVATE_KEY, CKK_EC, &a, &k));
	/* The same bytes as a public key: not on the curve. */
	cid_attrs_remove(&a, CKA_VALUE);
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, cid_key_from_attrs(CKO_PUBLIC_KEY, CKK_EC, &a, &k));
	/* A bare uncompressed point is accepted on input. */
	pt = point_of(&p256.pub, &len);
	cid_attrs_set(&a, CKA_EC_POINT, pt, len);
	assert_int_equal(CKR_OK, cid_key_from_attrs(CKO_PUBLIC_KEY, CKK_EC, &a, &k));
	cid_key_unref(&k);
	cid_attrs_set(&a, CKA_EC_POINT, pt, len - 1);
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, cid_key_from_attrs(CKO_PUBLIC_KEY, CKK_EC, &a, &k));
	/* Scalar zero and an unsupported curve. */
	memset(bad, 0, 32);
	cid_attrs_set(&a, CKA_VALUE, bad, 32);
	cid_attrs_remove(&a, CKA_EC_POINT);
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, cid_key_from_attrs(CKO_PRIVATE_KEY, CKK_EC, &a, &k));
	cid_attrs_set(&a, CKA_EC_PARAMS, OID_P521, sizeof(OID_P521));
	assert_int_equal(CKR_KEY_TYPE_INCONSISTENT, cid_key_from_attrs(CKO_PRIVATE_KEY, CKK_EC, &a, &k));
	assert_int_equal(CKR_KEY_TYPE_INCONSISTENT, cid_key_from_attrs(CKO_PRIVATE_KEY, CKK_DSA, &a, &k));
	assert_null(k);
	cid_attrs_clear(&a);
	cid_attrs_clear(&o);

	/* Ed25519: bare 32-byte point on input; seed without point. */
	cid_attrs_set(&a, CKA_EC_PARAMS, NAME_ED25519, sizeof(NAME_ED25519));
	pt = point_of(&ed.pub, &len);
	cid_attrs_set(&a, CKA_EC_POINT, pt, len);
	assert_int_equal(CKR_OK, cid_key_from_attrs(CKO_PUBLIC_KEY, CKK_EC_EDWARDS, &a, &k));
	cid_key_unref(&k);
	cid_attrs_remove(&a, CKA_EC_POINT);
	cid_attrs_set(&a, CKA_VALUE, need(&ed.priv, CKA_VALUE)->pValue, 31);
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, cid_key_from_attrs(CKO_PRIVATE_KEY, CKK_EC_EDWARDS, &a, &k));
	cid_attrs_set(&a, CKA_VALUE, need(&ed.priv, CKA_VALUE)->pValue, 32);
	assert_int_equal(CKR_OK, cid_key_from_attrs(CKO_PRIVATE_KEY, CKK_EC_EDWARDS, &a, &k));
	assert_int_equal(CKR_OK, cid_key_public_attrs(k, &o));
	assert_same_attr(&o, &ed.pub, CKA_EC_POINT);
	cid_key_unref(&k);
	cid_attrs_clear(&a);
	cid_attrs_clear(&o);
}

static void copy_attr(cid_attrs *dst, const cid_attrs *src, CK_ATTRIBUTE_TYPE t)
{
	const CK_ATTRIBUTE *at = need(src, t);

	assert_int_equal(CKR_OK, cid_attrs_set(dst, t, at->pValue, at->ulValueLen));
}

static void import_rsa_variants(void **state)
{
	cid_attrs a = CID_ATTRS_INIT, o = CID_ATTRS_INIT;
	cid_key *k = NULL, *r;
	uint8_t sig[256], buf[256];
	CK_ULONG sl = sizeof(sig);
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	const CK_ATTRIBUTE *p;

	(void)state;
	assert_int_equal(CKR_TEMPLATE_INCOMPLETE, cid_key_from_attrs(CKO_PUBLIC_KEY, CKK_RSA, &a, &k));
	copy_attr(&a, &rsa2048.priv, CKA_MODULUS);
	assert_int_equal(CKR_TEMPLATE_INCOMPLETE, cid_key_from_attrs(CKO_PUBLIC_KEY, CKK_RSA, &a, &k));
	copy_attr(&a, &rsa2048.priv, CKA_PRIVATE_EXPONENT);
	/* n and d alone: e cannot be recovered. */
	assert_int_equal(CKR_TEMPLATE_INCOMPLETE, cid_key_from_attrs(CKO_PRIVATE_KEY, CKK_RSA, &a, &k));
	/* n, d, p, q: e and the CRT values are recomputed. */
	copy_attr(&a, &rsa2048.priv, CKA_PRIME_1);
	copy_attr(&a, &rsa2048.priv, CKA_PRIME_2);
	assert_int_equal(CKR_OK, cid_key_from_attrs(CKO_PRIVATE_KEY, CKK_RSA, &a, &k));
	assert_int_equal(CKR_OK, cid_key_public_attrs(k, &o));
	assert_same_attr(&o, &rsa2048.pub, CKA_PUBLIC_EXPONENT);
	assert_int_equal(CKR_OK, do_sign(&m, k, MSG, sizeof(MSG), sig, &sl));
	assert_int_equal(CKR_OK, do_verify(&m, rsa2048.kpub, MSG, sizeof(MSG), sig, sl));
	r = cid_key_ref(k);
	assert_ptr_equal(r, k);
	cid_key_unref(&k);
	cid_key_unref(&r);
	cid_attrs_clear(&o);
	/* n, e, d without primes still signs. */
	cid_attrs_remove(&a, CKA_PRIME_1);
	cid_attrs_remove(&a, CKA_PRIME_2);
	copy_attr(&a, &rsa2048.priv, CKA_PUBLIC_EXPONENT);
	assert_int_equal(CKR_OK, cid_key_from_attrs(CKO_PRIVATE_KEY, CKK_RSA, &a, &k));
	sl = sizeof(sig);
	assert_int_equal(CKR_OK, do_sign(&m, k, MSG, sizeof(MSG), sig, &sl));
	assert_int_equal(CKR_OK, do_verify(&m, rsa2048.kpub, MSG, sizeof(MSG), sig, sl));
	cid_key_unref(&k);
	/* A wrong private exponent is caught with and without primes. */
	p = need(&rsa2048.priv, CKA_PRIVATE_EXPONENT);
	memcpy(buf, p->pValue, p->ulValueLen);
	buf[p->ulValueLen - 1] ^= 2;
	cid_attrs_set(&a, CKA_PRIVATE_EXPONENT, buf, p->ulValueLen);
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, cid_key_from_attrs(CKO_PRIVATE_KEY, CKK_RSA, &a, &k));
	copy_attr(&a, &rsa2048.priv, CKA_PRIME_1);
	copy_attr(&a, &rsa2048.priv, CKA_PRIME_2);
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, cid_key_from_attrs(CKO_PRIVATE_KEY, CKK_RSA, &a, &k));
	copy_attr(&a, &rsa2048.priv, CKA_PRIVATE_EXPONENT);
	/* Wrong coefficient; one prime only. */
	p = need(&rsa2048.priv, CKA_COEFFICIENT);
	memcpy(buf, p->pValue, p->ulValueLen);
	buf[0] ^= 0x40;
	cid_attrs_set(&a, CKA_COEFFICIENT, buf, p->ulValueLen);
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, cid_key_from_attrs(CKO_PRIVATE_KEY, CKK_RSA, &a, &k));
	cid_attrs_remove(&a, CKA_COEFFICIENT);
	cid_attrs_remove(&a, CKA_PRIME_2);
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, cid_key_from_attrs(CKO_PRIVATE_KEY, CKK_RSA, &a, &k));
	/* Even modulus and even exponent. */
	cid_attrs_clear(&a);
	p = need(&rsa2048.pub, CKA_MODULUS);
	memcpy(buf, p->pValue, 256);
	buf[255] &= 0xfe;
	cid_attrs_set(&a, CKA_MODULUS, buf, 256);
	cid_attrs_set(&a, CKA_PUBLIC_EXPONENT, "\x01\x00\x01", 3);
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, cid_key_from_attrs(CKO_PUBLIC_KEY, CKK_RSA, &a, &k));
	copy_attr(&a, &rsa2048.pub, CKA_MODULUS);
	cid_attrs_set(&a, CKA_PUBLIC_EXPONENT, "\x01\x00\x00", 3);
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, cid_key_from_attrs(CKO_PUBLIC_KEY, CKK_RSA, &a, &k));
	cid_attrs_set(&a, CKA_PUBLIC_EXPONENT, "", 0);
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, cid_key_from_attrs(CKO_PUBLIC_KEY, CKK_RSA, &a, &k));
	assert_int_equal(CKR_KEY_TYPE_INCONSISTENT, cid_key_from_attrs(CKO_DATA, CKK_RSA, &a, &k));
	assert_null(k);
	cid_attrs_clear(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ec_params),
		cmocka_unit_test(keygen_rsa),
		cmocka_unit_test(keygen_rsa4096),
		cmocka_unit_test(keygen_ec),
		cmocka_unit_test(keygen_ed25519),
		cmocka_unit_test(public_attrs_roundtrip),
		cmocka_unit_test(import_ec_variants),
		cmocka_unit_test(import_rsa_variants),
	};

	return cmocka_run_group_tests(tests, crypto_fx_setup, crypto_fx_teardown);
}
