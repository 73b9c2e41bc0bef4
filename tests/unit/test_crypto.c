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

/* ---- fixtures -------------------------------------------------------------- */

static const uint8_t OID_P256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const uint8_t OID_P384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const uint8_t OID_P521[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23 };
static const uint8_t OID_ED25519[] = { 0x06, 0x03, 0x2b, 0x65, 0x70 };
static const uint8_t NAME_ED25519[] = { 0x13, 0x0c, 'e', 'd', 'w', 'a', 'r', 'd', 's', '2', '5', '5', '1', '9' };
static const uint8_t DI_SHA256[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	                             0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
static const uint8_t MSG[] = "the quick brown fox jumps over the lazy dog";

typedef struct kp {
	cid_attrs pub, priv;
	cid_key *kpub, *kpriv;
	CK_KEY_TYPE kt;
} kp;

static kp rsa2048, p256, p384, ed;

static void kp_load(kp *k, CK_KEY_TYPE kt)
{
	k->kt = kt;
	assert_int_equal(CKR_OK, cid_key_from_attrs(CKO_PUBLIC_KEY, kt, &k->pub, &k->kpub));
	assert_int_equal(CKR_OK, cid_key_from_attrs(CKO_PRIVATE_KEY, kt, &k->priv, &k->kpriv));
}

static void kp_free(kp *k)
{
	cid_key_unref(&k->kpub);
	cid_key_unref(&k->kpriv);
	cid_attrs_clear(&k->pub);
	cid_attrs_clear(&k->priv);
}

static int setup(void **state)
{
	(void)state;
	if (cid_keygen_rsa(2048, NULL, 0, &rsa2048.pub, &rsa2048.priv) != CKR_OK)
		return -1;
	if (cid_keygen_ec(OID_P256, sizeof(OID_P256), &p256.pub, &p256.priv) != CKR_OK ||
	    cid_keygen_ec(OID_P384, sizeof(OID_P384), &p384.pub, &p384.priv) != CKR_OK ||
	    cid_keygen_ed25519(OID_ED25519, sizeof(OID_ED25519), &ed.pub, &ed.priv) != CKR_OK)
		return -1;
	/* The caller adds the public CKA_EC_PARAMS; do it as the front would. */
	cid_attrs_set(&p256.pub, CKA_EC_PARAMS, OID_P256, sizeof(OID_P256));
	cid_attrs_set(&p384.pub, CKA_EC_PARAMS, OID_P384, sizeof(OID_P384));
	cid_attrs_set(&ed.pub, CKA_EC_PARAMS, OID_ED25519, sizeof(OID_ED25519));
	kp_load(&rsa2048, CKK_RSA);
	kp_load(&p256, CKK_EC);
	kp_load(&p384, CKK_EC);
	kp_load(&ed, CKK_EC_EDWARDS);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	kp_free(&rsa2048);
	kp_free(&p256);
	kp_free(&p384);
	kp_free(&ed);
	return 0;
}

static const CK_ATTRIBUTE *need(const cid_attrs *a, CK_ATTRIBUTE_TYPE t)
{
	const CK_ATTRIBUTE *at = cid_attrs_get(a, t);

	assert_non_null(at);
	assert_non_null(at->pValue);
	return at;
}

/* The point inside CKA_EC_POINT (DER OCTET STRING with short length). */
static const uint8_t *point_of(const cid_attrs *a, size_t *len)
{
	const CK_ATTRIBUTE *at = need(a, CKA_EC_POINT);
	const uint8_t *p = at->pValue;

	assert_int_equal(0x04, p[0]);
	assert_int_equal(at->ulValueLen - 2, p[1]);
	*len = p[1];
	return p + 2;
}

/* An OpenSSL public key built straight from the public attributes, so the
 * checks below do not depend on the code under test. */
static EVP_PKEY *ossl_pub(const kp *k)
{
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *prm;
	EVP_PKEY_CTX *c;
	EVP_PKEY *pk = NULL;
	BIGNUM *bn = NULL, *be = NULL;
	size_t len;
	const uint8_t *pt;

	if (k->kt == CKK_EC_EDWARDS) {
		OSSL_PARAM_BLD_free(b);
		pt = point_of(&k->pub, &len);
		assert_int_equal(32, len);
		pk = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, pt, 32);
		assert_non_null(pk);
		return pk;
	}
	if (k->kt == CKK_RSA) {
		const CK_ATTRIBUTE *n = need(&k->pub, CKA_MODULUS), *e = need(&k->pub, CKA_PUBLIC_EXPONENT);

		bn = BN_bin2bn(n->pValue, (int)n->ulValueLen, NULL);
		be = BN_bin2bn(e->pValue, (int)e->ulValueLen, NULL);
		/* The builder keeps the pointers until to_param. */
		assert_true(OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, bn));
		assert_true(OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, be));
		c = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	} else {
		const CK_ATTRIBUTE *prmattr = need(&k->pub, CKA_EC_PARAMS);
		const char *grp = prmattr->ulValueLen == sizeof(OID_P256) ? "P-256" : "P-384";

		pt = point_of(&k->pub, &len);
		assert_true(OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, grp, 0));
		assert_true(OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pt, len));
		c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	}
	prm = OSSL_PARAM_BLD_to_param(b);
	BN_free(bn);
	BN_free(be);
	assert_non_null(prm);
	assert_int_equal(1, EVP_PKEY_fromdata_init(c));
	assert_int_equal(1, EVP_PKEY_fromdata(c, &pk, EVP_PKEY_PUBLIC_KEY, prm));
	OSSL_PARAM_free(prm);
	OSSL_PARAM_BLD_free(b);
	EVP_PKEY_CTX_free(c);
	return pk;
}

static CK_RV do_sign(CK_MECHANISM *m, cid_key *k, const uint8_t *in, size_t len, uint8_t *out, CK_ULONG *outlen)
{
	cid_op *op = NULL;
	CK_RV rv = cid_op_new(CID_OP_SIGN, m, k, &op);

	if (rv != CKR_OK)
		return rv;
	rv = cid_op_oneshot(op, in, len, out, outlen);
	cid_op_free(&op);
	return rv;
}

static CK_RV do_verify(CK_MECHANISM *m, cid_key *k, const uint8_t *in, size_t len, const uint8_t *sig, size_t sl)
{
	cid_op *op = NULL;
	CK_RV rv = cid_op_new(CID_OP_VERIFY, m, k, &op);

	if (rv != CKR_OK)
		return rv;
	rv = cid_op_verify_oneshot(op, in, len, sig, sl);
	cid_op_free(&op);
	return rv;
}

static CK_RV do_cipher(cid_op_kind kind, CK_MECHANISM *m, cid_key *k, const uint8_t *in, size_t len,
                       uint8_t *out, CK_ULONG *outlen)
{
	cid_op *op = NULL;
	CK_RV rv = cid_op_new(kind, m, k, &op);

	if (rv != CKR_OK)
		return rv;
	rv = cid_op_oneshot(op, in, len, out, outlen);
	cid_op_free(&op);
	return rv;
}

static void sha(const char *name, const uint8_t *in, size_t len, uint8_t *out)
{
	EVP_MD *md = EVP_MD_fetch(NULL, name, NULL);
	unsigned int n;

	assert_non_null(md);
	assert_int_equal(1, EVP_Digest(in, len, out, &n, md, NULL));
	EVP_MD_free(md);
}

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

/* ---- signatures ---------------------------------------------------------------- */

typedef struct sigcase {
	CK_MECHANISM_TYPE mech;
	kp *k;
	const char *md;         /* hash for the independent check */
	int pad;                /* RSA padding, 0 for EC */
	int saltlen;
	const char *mgf;        /* NULL: same as md */
	CK_RSA_PKCS_PSS_PARAMS *pss;
	bool prehashed;         /* input is the digest (single-part mechanisms) */
	size_t siglen;
} sigcase;

static size_t to_der(const uint8_t *sig, size_t sl, uint8_t *der)
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)sl / 2, NULL), *ss = BN_bin2bn(sig + sl / 2, (int)sl / 2, NULL);
	uint8_t *p = der;
	int n;

	assert_int_equal(1, ECDSA_SIG_set0(s, r, ss));
	n = i2d_ECDSA_SIG(s, &p);
	ECDSA_SIG_free(s);
	assert_true(n > 0);
	return (size_t)n;
}

static void ossl_config(EVP_PKEY_CTX *pc, const sigcase *c)
{
	if (c->pad == 0)
		return;
	assert_int_equal(1, EVP_PKEY_CTX_set_rsa_padding(pc, c->pad));
	if (c->pad == RSA_PKCS1_PSS_PADDING) {
		assert_int_equal(1, EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, c->saltlen));
		if (c->mgf != NULL)
			assert_int_equal(1, EVP_PKEY_CTX_set_rsa_mgf1_md_name(pc, c->mgf, NULL));
	}
}

/* Verifies with OpenSSL alone, from the public attributes. */
static int ossl_verify(const sigcase *c, const uint8_t *msg, size_t mlen, const uint8_t *sig, size_t sl)
{
	EVP_PKEY *pk = ossl_pub(c->k);
	uint8_t der[160], h[64];
	int ok;

	if (c->k->kt == CKK_EC) {
		sl = to_der(sig, sl, der);
		sig = der;
	}
	if (c->prehashed) {
		EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
		EVP_MD *md = EVP_MD_fetch(NULL, c->md, NULL);

		sha(c->md, msg, mlen, h);
		assert_int_equal(1, EVP_PKEY_verify_init(pc));
		ossl_config(pc, c);
		assert_int_equal(1, EVP_PKEY_CTX_set_signature_md(pc, md));
		ok = EVP_PKEY_verify(pc, sig, sl, h, (size_t)EVP_MD_get_size(md));
		EVP_MD_free(md);
		EVP_PKEY_CTX_free(pc);
	} else {
		EVP_MD_CTX *m = EVP_MD_CTX_new();
		EVP_PKEY_CTX *pc = NULL;

		assert_int_equal(1, EVP_DigestVerifyInit_ex(m, &pc, c->md, NULL, NULL, pk, NULL));
		ossl_config(pc, c);
		ok = EVP_DigestVerify(m, sig, sl, msg, mlen);
		EVP_MD_CTX_free(m);
	}
	EVP_PKEY_free(pk);
	return ok;
}

/* The bytes the caller hands to a single-part mechanism. */
static size_t input_for(const sigcase *c, const uint8_t *msg, size_t mlen, uint8_t *in)
{
	EVP_MD *md;
	size_t off = 0;

	if (!c->prehashed) {
		memcpy(in, msg, mlen);
		return mlen;
	}
	if (c->mech == CKM_RSA_PKCS) {
		memcpy(in, DI_SHA256, sizeof(DI_SHA256));
		off = sizeof(DI_SHA256);
	}
	sha(c->md, msg, mlen, in + off);
	md = EVP_MD_fetch(NULL, c->md, NULL);
	off += (size_t)EVP_MD_get_size(md);
	EVP_MD_free(md);
	return off;
}

static void run_sigcase(const sigcase *c)
{
	CK_MECHANISM m = { c->mech, c->pss, c->pss ? sizeof(*c->pss) : 0 };
	uint8_t in[128], sig[600];
	size_t inlen = input_for(c, MSG, sizeof(MSG), in);
	CK_ULONG sl = 0;
	cid_op *op = NULL;

	/* Length query, then a short buffer, then the real call on one op. */
	assert_int_equal(CKR_OK, cid_op_new(CID_OP_SIGN, &m, c->k->kpriv, &op));
	assert_int_equal(CKR_OK, cid_op_oneshot(op, in, inlen, NULL, &sl));
	assert_int_equal(c->siglen, sl);
	sl = 3;
	assert_int_equal(CKR_BUFFER_TOO_SMALL, cid_op_oneshot(op, in, inlen, sig, &sl));
	assert_int_equal(c->siglen, sl);
	sl = sizeof(sig);
	assert_int_equal(CKR_OK, cid_op_oneshot(op, in, inlen, sig, &sl));
	assert_int_equal(c->siglen, sl);
	cid_op_free(&op);
	assert_null(op);

	assert_int_equal(1, ossl_verify(c, MSG, sizeof(MSG), sig, sl));
	assert_int_equal(CKR_OK, do_verify(&m, c->k->kpub, in, inlen, sig, sl));
	/* The private key verifies too (it holds the public half). */
	assert_int_equal(CKR_OK, do_verify(&m, c->k->kpriv, in, inlen, sig, sl));
	assert_int_equal(CKR_SIGNATURE_LEN_RANGE, do_verify(&m, c->k->kpub, in, inlen, sig, sl - 1));
	assert_int_equal(CKR_SIGNATURE_LEN_RANGE, do_verify(&m, c->k->kpub, in, inlen, sig, 0));
	sig[sl / 2] ^= 0x10;
	assert_int_equal(CKR_SIGNATURE_INVALID, do_verify(&m, c->k->kpub, in, inlen, sig, sl));
	assert_int_not_equal(1, ossl_verify(c, MSG, sizeof(MSG), sig, sl));
	sig[sl / 2] ^= 0x10;
	in[0] ^= 1;
	assert_int_equal(CKR_SIGNATURE_INVALID, do_verify(&m, c->k->kpub, in, inlen, sig, sl));
	in[0] ^= 1;

	if (!cid_mech_find(c->mech)->multipart)
		return;
	/* Multi-part in uneven pieces: sign, verify, and check with OpenSSL. */
	assert_int_equal(CKR_OK, cid_op_new(CID_OP_SIGN, &m, c->k->kpriv, &op));
	assert_int_equal(CKR_OK, cid_op_update(op, MSG, 5));
	assert_int_equal(CKR_OK, cid_op_update(op, MSG + 5, 0));
	assert_int_equal(CKR_OK, cid_op_update(op, MSG + 5, sizeof(MSG) - 5));
	sl = 0;
	assert_int_equal(CKR_OK, cid_op_final(op, NULL, &sl));
	assert_int_equal(c->siglen, sl);
	sl = 1;
	assert_int_equal(CKR_BUFFER_TOO_SMALL, cid_op_final(op, sig, &sl));
	sl = sizeof(sig);
	assert_int_equal(CKR_OK, cid_op_final(op, sig, &sl));
	cid_op_free(&op);
	assert_int_equal(1, ossl_verify(c, MSG, sizeof(MSG), sig, sl));
	assert_int_equal(CKR_OK, cid_op_new(CID_OP_VERIFY, &m, c->k->kpub, &op));
	assert_int_equal(CKR_OK, cid_op_update(op, MSG, 7));
	assert_int_equal(CKR_OK, cid_op_update(op, MSG + 7, sizeof(MSG) - 7));
	assert_int_equal(CKR_OK, cid_op_verify_final(op, sig, sl));
	cid_op_free(&op);
	assert_int_equal(CKR_OK, cid_op_new(CID_OP_VERIFY, &m, c->k->kpub, &op));
	assert_int_equal(CKR_OK, cid_op_update(op, MSG, sizeof(MSG) - 1));
	assert_int_equal(CKR_SIGNATURE_INVALID, cid_op_verify_final(op, sig, sl));
	cid_op_free(&op);
	assert_int_equal(CKR_OK, cid_op_new(CID_OP_VERIFY, &m, c->k->kpub, &op));
	assert_int_equal(CKR_SIGNATURE_LEN_RANGE, cid_op_verify_final(op, sig, sl + 1));
	cid_op_free(&op);
}

static void sign_rsa(void **state)
{
	CK_RSA_PKCS_PSS_PARAMS p256p = { CKM_SHA256, CKG_MGF1_SHA256, 32 };
	CK_RSA_PKCS_PSS_PARAMS p256sha1mgf = { CKM_SHA256, CKG_MGF1_SHA1, 0 };
	CK_RSA_PKCS_PSS_PARAMS p1 = { CKM_SHA_1, CKG_MGF1_SHA1, 20 }, p224 = { CKM_SHA224, CKG_MGF1_SHA224, 28 };
	CK_RSA_PKCS_PSS_PARAMS p384p = { CKM_SHA384, CKG_MGF1_SHA384, 48 }, p512 = { CKM_SHA512, CKG_MGF1_SHA512, 64 };
	CK_RSA_PKCS_PSS_PARAMS p384other = { CKM_SHA384, CKG_MGF1_SHA512, 10 };
	const sigcase cases[] = {
		{ CKM_RSA_PKCS, &rsa2048, "SHA256", RSA_PKCS1_PADDING, 0, NULL, NULL, true, 256 },
		{ CKM_SHA1_RSA_PKCS, &rsa2048, "SHA1", RSA_PKCS1_PADDING, 0, NULL, NULL, false, 256 },
		{ CKM_SHA224_RSA_PKCS, &rsa2048, "SHA224", RSA_PKCS1_PADDING, 0, NULL, NULL, false, 256 },
		{ CKM_SHA256_RSA_PKCS, &rsa2048, "SHA256", RSA_PKCS1_PADDING, 0, NULL, NULL, false, 256 },
		{ CKM_SHA384_RSA_PKCS, &rsa2048, "SHA384", RSA_PKCS1_PADDING, 0, NULL, NULL, false, 256 },
		{ CKM_SHA512_RSA_PKCS, &rsa2048, "SHA512", RSA_PKCS1_PADDING, 0, NULL, NULL, false, 256 },
		{ CKM_RSA_PKCS_PSS, &rsa2048, "SHA256", RSA_PKCS1_PSS_PADDING, 32, NULL, &p256p, true, 256 },
		{ CKM_RSA_PKCS_PSS, &rsa2048, "SHA256", RSA_PKCS1_PSS_PADDING, 0, "SHA1", &p256sha1mgf, true, 256 },
		{ CKM_RSA_PKCS_PSS, &rsa2048, "SHA384", RSA_PKCS1_PSS_PADDING, 10, "SHA512", &p384other, true, 256 },
		{ CKM_SHA1_RSA_PKCS_PSS, &rsa2048, "SHA1", RSA_PKCS1_PSS_PADDING, 20, NULL, &p1, false, 256 },
		{ CKM_SHA224_RSA_PKCS_PSS, &rsa2048, "SHA224", RSA_PKCS1_PSS_PADDING, 28, NULL, &p224, false, 256 },
		{ CKM_SHA256_RSA_PKCS_PSS, &rsa2048, "SHA256", RSA_PKCS1_PSS_PADDING, 0, "SHA1", &p256sha1mgf, false, 256 },
		{ CKM_SHA256_RSA_PKCS_PSS, &rsa2048, "SHA256", RSA_PKCS1_PSS_PADDING, 32, NULL, &p256p, false, 256 },
		{ CKM_SHA384_RSA_PKCS_PSS, &rsa2048, "SHA384", RSA_PKCS1_PSS_PADDING, 48, NULL, &p384p, false, 256 },
		{ CKM_SHA512_RSA_PKCS_PSS, &rsa2048, "SHA512", RSA_PKCS1_PSS_PADDING, 64, NULL, &p512, false, 256 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_sigcase(&cases[i]);
}

static void sign_ec(void **state)
{
	const sigcase cases[] = {
		{ CKM_ECDSA, &p256, "SHA256", 0, 0, NULL, NULL, true, 64 },
		{ CKM_ECDSA, &p256, "SHA1", 0, 0, NULL, NULL, true, 64 },
		/* Longer than the order: truncated as X9.62 says. */
		{ CKM_ECDSA, &p256, "SHA512", 0, 0, NULL, NULL, true, 64 },
		{ CKM_ECDSA, &p384, "SHA384", 0, 0, NULL, NULL, true, 96 },
		{ CKM_ECDSA_SHA1, &p256, "SHA1", 0, 0, NULL, NULL, false, 64 },
		{ CKM_ECDSA_SHA224, &p256, "SHA224", 0, 0, NULL, NULL, false, 64 },
		{ CKM_ECDSA_SHA256, &p256, "SHA256", 0, 0, NULL, NULL, false, 64 },
		{ CKM_ECDSA_SHA384, &p384, "SHA384", 0, 0, NULL, NULL, false, 96 },
		{ CKM_ECDSA_SHA512, &p384, "SHA512", 0, 0, NULL, NULL, false, 96 },
		{ CKM_EDDSA, &ed, NULL, 0, 0, NULL, NULL, false, 64 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_sigcase(&cases[i]);
}

static void ecdsa_many(void **state)
{
	CK_MECHANISM m = { CKM_ECDSA, NULL, 0 };
	const sigcase c = { CKM_ECDSA, &p256, "SHA256", 0, 0, NULL, NULL, true, 64 };
	uint8_t h[32], sig[64], der[80];
	CK_ULONG sl;
	bool short_r = false;

	(void)state;
	sha("SHA256", MSG, sizeof(MSG), h);
	/* Enough signatures that some r or s has leading zero bytes, which
	 * must still come out padded to 32 bytes. */
	for (int i = 0; i < 5000 && !short_r; i++) {
		sl = sizeof(sig);
		assert_int_equal(CKR_OK, do_sign(&m, p256.kpriv, h, sizeof(h), sig, &sl));
		assert_int_equal(64, sl);
		if (sig[0] == 0 || sig[32] == 0) {
			short_r = true;
			assert_int_equal(1, ossl_verify(&c, MSG, sizeof(MSG), sig, sl));
			assert_int_equal(CKR_OK, do_verify(&m, p256.kpub, h, sizeof(h), sig, sl));
		}
	}
	assert_true(short_r);
	/* r = 0 never verifies and does not crash the encoder. */
	memset(sig, 0, 32);
	assert_int_equal(CKR_SIGNATURE_INVALID, do_verify(&m, p256.kpub, h, sizeof(h), sig, 64));
	memset(sig, 0xff, 64);
	assert_int_equal(CKR_SIGNATURE_INVALID, do_verify(&m, p256.kpub, h, sizeof(h), sig, 64));
	assert_int_equal(CKR_SIGNATURE_LEN_RANGE, do_verify(&m, p256.kpub, h, sizeof(h), der, 72));
	assert_int_equal(CKR_DATA_LEN_RANGE, do_verify(&m, p256.kpub, h, 0, sig, 64));
	sl = sizeof(sig);
	assert_int_equal(CKR_DATA_LEN_RANGE, do_sign(&m, p256.kpriv, h, 0, sig, &sl));
}

static void sign_rsa_raw(void **state)
{
	CK_MECHANISM m = { CKM_RSA_X_509, NULL, 0 };
	const CK_ATTRIBUTE *n = need(&rsa2048.pub, CKA_MODULUS);
	uint8_t in[300], sig[256], rec[256];
	CK_ULONG sl = sizeof(sig), rl = sizeof(rec);
	EVP_PKEY *pk = ossl_pub(&rsa2048);
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
	size_t recl = sizeof(rec);

	(void)state;
	memset(in, 0x5a, sizeof(in));
	/* Short input is zero-padded on the left: sig^e = 0..0 || input. */
	assert_int_equal(CKR_OK, do_sign(&m, rsa2048.kpriv, in, 20, sig, &sl));
	assert_int_equal(256, sl);
	assert_int_equal(1, EVP_PKEY_encrypt_init(pc));
	assert_int_equal(1, EVP_PKEY_CTX_set_rsa_padding(pc, RSA_NO_PADDING));
	assert_int_equal(1, EVP_PKEY_encrypt(pc, rec, &recl, sig, 256));
	assert_int_equal(256, recl);
	memset(in + 300 - 256, 0, 236);
	assert_memory_equal(rec, in + 300 - 256, 256);
	assert_int_equal(CKR_OK, do_verify(&m, rsa2048.kpub, in + 300 - 20, 20, sig, sl));
	assert_int_equal(CKR_OK, do_verify(&m, rsa2048.kpub, in + 300 - 256, 256, sig, sl));
	assert_int_equal(CKR_SIGNATURE_INVALID, do_verify(&m, rsa2048.kpub, in + 300 - 19, 19, sig, sl));
	/* Input equal to n, and input longer than the modulus. */
	assert_int_equal(CKR_DATA_INVALID, do_sign(&m, rsa2048.kpriv, n->pValue, 256, sig, &sl));
	assert_int_equal(CKR_DATA_LEN_RANGE, do_sign(&m, rsa2048.kpriv, in, 257, sig, &sl));
	/* Signature not below n. */
	assert_int_equal(CKR_SIGNATURE_INVALID, do_verify(&m, rsa2048.kpub, in, 20, n->pValue, 256));
	(void)rl;
	EVP_PKEY_CTX_free(pc);
	EVP_PKEY_free(pk);
}

static void sign_errors(void **state)
{
	CK_RSA_PKCS_PSS_PARAMS pss = { CKM_SHA256, CKG_MGF1_SHA256, 32 };
	CK_EDDSA_PARAMS edp = { CK_FALSE, 0, NULL };
	uint8_t ctx[4] = { 1, 2, 3, 4 }, buf[512], sig[256];
	CK_MECHANISM m = { CKM_SHA384_RSA_PKCS_PSS, &pss, sizeof(pss) };
	CK_ULONG sl = sizeof(sig);
	cid_op *op = NULL;

	(void)state;
	/* PSS: hash must match the mechanism, MGF must be known, salt must fit. */
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, cid_op_new(CID_OP_SIGN, &m, rsa2048.kpriv, &op));
	m.mechanism = CKM_SHA256_RSA_PKCS_PSS;
	pss.mgf = 0x99;
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, cid_op_new(CID_OP_SIGN, &m, rsa2048.kpriv, &op));
	pss.mgf = CKG_MGF1_SHA256;
	pss.sLen = 256 - 32 - 1;
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, cid_op_new(CID_OP_SIGN, &m, rsa2048.kpriv, &op));
	pss.sLen = 256 - 32 - 2;
	assert_int_equal(CKR_OK, cid_op_new(CID_OP_SIGN, &m, rsa2048.kpriv, &op));
	cid_op_free(&op);
	pss.sLen = 32;
	pss.hashAlg = CKM_MD5;
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, cid_op_new(CID_OP_SIGN, &m, rsa2048.kpriv, &op));
	pss.hashAlg = CKM_SHA256;
	m.ulParameterLen = sizeof(pss) - 1;
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, cid_op_new(CID_OP_SIGN, &m, rsa2048.kpriv, &op));
	m.pParameter = NULL;
	m.ulParameterLen = 0;
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, cid_op_new(CID_OP_SIGN, &m, rsa2048.kpriv, &op));
	/* Single-part PSS: the input must be a digest of hashAlg's length. */
	m = (CK_MECHANISM){ CKM_RSA_PKCS_PSS, &pss, sizeof(pss) };
	assert_int_equal(CKR_DATA_LEN_RANGE, do_sign(&m, rsa2048.kpriv, buf, 20, sig, &sl));
	/* PKCS#1 v1.5 raw input limit k-11. */
	m = (CK_MECHANISM){ CKM_RSA_PKCS, NULL, 0 };
	memset(buf, 1, sizeof(buf));
	assert_int_equal(CKR_OK, do_sign(&m, rsa2048.kpriv, buf, 245, sig, &sl));
	assert_int_equal(CKR_OK, do_verify(&m, rsa2048.kpub, buf, 245, sig, sl));
	sl = sizeof(sig);
	assert_int_equal(CKR_DATA_LEN_RANGE, do_sign(&m, rsa2048.kpriv, buf, 246, sig, &sl));
	assert_int_equal(CKR_DATA_LEN_RANGE, do_verify(&m, rsa2048.kpub, buf, 246, sig, 256));
	/* A parameter where none is taken. */
	m.pParameter = buf;
	m.ulParameterLen = 4;
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, cid_op_new(CID_OP_SIGN, &m, rsa2048.kpriv, &op));
	m.pParameter = NULL;
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, cid_op_new(CID_OP_SIGN, &m, rsa2048.kpriv, &op));
	/* Mechanism, key type, key class. */
	m = (CK_MECHANISM){ CKM_DSA, NULL, 0 };
	assert_int_equal(CKR_MECHANISM_INVALID, cid_op_new(CID_OP_SIGN, &m, rsa2048.kpriv, &op));
	m.mechanism = CKM_ECDH1_DERIVE;
	assert_int_equal(CKR_MECHANISM_INVALID, cid_op_new(CID_OP_SIGN, &m, p256.kpriv, &op));
	m.mechanism = CKM_SHA256_RSA_PKCS_PSS;
	assert_int_equal(CKR_MECHANISM_INVALID, cid_op_new(CID_OP_ENCRYPT, &m, rsa2048.kpub, &op));
	m.mechanism = CKM_ECDSA;
	assert_int_equal(CKR_KEY_TYPE_INCONSISTENT, cid_op_new(CID_OP_SIGN, &m, rsa2048.kpriv, &op));
	assert_int_equal(CKR_KEY_TYPE_INCONSISTENT, cid_op_new(CID_OP_SIGN, &m, ed.kpriv, &op));
	assert_int_equal(CKR_KEY_FUNCTION_NOT_PERMITTED, cid_op_new(CID_OP_SIGN, &m, p256.kpub, &op));
	m.mechanism = CKM_RSA_PKCS;
	assert_int_equal(CKR_KEY_FUNCTION_NOT_PERMITTED, cid_op_new(CID_OP_DECRYPT, &m, rsa2048.kpub, &op));
	assert_null(op);
	/* EdDSA: only pure Ed25519 without context. */
	m = (CK_MECHANISM){ CKM_EDDSA, &edp, sizeof(edp) };
	assert_int_equal(CKR_OK, cid_op_new(CID_OP_SIGN, &m, ed.kpriv, &op));
	cid_op_free(&op);
	edp.phFlag = CK_TRUE;
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, cid_op_new(CID_OP_SIGN, &m, ed.kpriv, &op));
	edp.phFlag = CK_FALSE;
	edp.ulContextDataLen = sizeof(ctx);
	edp.pContextData = ctx;
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, cid_op_new(CID_OP_VERIFY, &m, ed.kpub, &op));
	assert_null(op);
	/* Out-of-sequence calls are refused, not crashed on. */
	m = (CK_MECHANISM){ CKM_ECDSA, NULL, 0 };
	assert_int_equal(CKR_OK, cid_op_new(CID_OP_SIGN, &m, p256.kpriv, &op));
	assert_int_equal(CID_OP_SIGN, cid_op_get_kind(op));
	assert_int_not_equal(CKR_OK, cid_op_update(op, buf, 1));
	assert_int_not_equal(CKR_OK, cid_op_final(op, sig, &sl));
	assert_int_not_equal(CKR_OK, cid_op_verify_final(op, sig, 64));
	cid_op_free(&op);
	cid_op_free(&op);
}

static void *sign_thread(void *arg)
{
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	uint8_t sig[256];
	CK_ULONG sl;
	long bad = 0;

	(void)arg;
	for (int i = 0; i < 20; i++) {
		sl = sizeof(sig);
		if (do_sign(&m, rsa2048.kpriv, MSG, sizeof(MSG), sig, &sl) != CKR_OK ||
		    do_verify(&m, rsa2048.kpub, MSG, sizeof(MSG), sig, sl) != CKR_OK)
			bad++;
	}
	return (void *)bad;
}

static void threads_share_key(void **state)
{
	cid_attrs a = CID_ATTRS_INIT;
	pthread_t t[4];
	void *r;

	(void)state;
	/* A fresh key so that the threads race to build its templates. */
	cid_key_unref(&rsa2048.kpriv);
	cid_key_unref(&rsa2048.kpub);
	cid_attrs_copy(&a, &rsa2048.priv);
	assert_int_equal(CKR_OK, cid_key_from_attrs(CKO_PRIVATE_KEY, CKK_RSA, &a, &rsa2048.kpriv));
	assert_int_equal(CKR_OK, cid_key_from_attrs(CKO_PUBLIC_KEY, CKK_RSA, &rsa2048.pub, &rsa2048.kpub));
	cid_attrs_clear(&a);
	for (int i = 0; i < 4; i++)
		assert_int_equal(0, pthread_create(&t[i], NULL, sign_thread, NULL));
	for (int i = 0; i < 4; i++) {
		assert_int_equal(0, pthread_join(t[i], &r));
		assert_null(r);
	}
}

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
		cmocka_unit_test(ec_params),
		cmocka_unit_test(keygen_rsa),
		cmocka_unit_test(keygen_rsa4096),
		cmocka_unit_test(keygen_ec),
		cmocka_unit_test(keygen_ed25519),
		cmocka_unit_test(public_attrs_roundtrip),
		cmocka_unit_test(import_ec_variants),
		cmocka_unit_test(import_rsa_variants),
		cmocka_unit_test(sign_rsa),
		cmocka_unit_test(sign_ec),
		cmocka_unit_test(ecdsa_many),
		cmocka_unit_test(sign_rsa_raw),
		cmocka_unit_test(sign_errors),
		cmocka_unit_test(oaep),
		cmocka_unit_test(pkcs1_and_raw_encrypt),
		cmocka_unit_test(length_convention),
		cmocka_unit_test(ecdh),
		cmocka_unit_test(threads_share_key),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
