/* Certificate parsing on OpenSSL: the attributes a certificate object gets
 * from its DER (subject, issuer, serial, dates, key hashes), and malformed
 * input refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/rsa.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/attrs.h"
#include "crypto/crypto.h"

static const uint8_t KID[20] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20 };

static uint8_t *make_cert(EVP_PKEY *pk, bool with_aki, int *len)
{
	X509 *x = X509_new();
	X509_NAME *sn = X509_NAME_new(), *in = X509_NAME_new();
	ASN1_INTEGER *serial = ASN1_INTEGER_new();
	uint8_t *der = NULL;

	assert_int_equal(1, X509_set_version(x, 2));
	assert_int_equal(1, ASN1_INTEGER_set_uint64(serial, 0x89abcdef01ULL));
	assert_int_equal(1, X509_set_serialNumber(x, serial));
	assert_int_equal(1, X509_NAME_add_entry_by_txt(sn, "CN", MBSTRING_ASC, (const uint8_t *)"careid subject", -1, -1, 0));
	assert_int_equal(1, X509_NAME_add_entry_by_txt(in, "CN", MBSTRING_ASC, (const uint8_t *)"careid issuer", -1, -1, 0));
	assert_int_equal(1, X509_set_subject_name(x, sn));
	assert_int_equal(1, X509_set_issuer_name(x, in));
	/* UTCTime before, GeneralizedTime after 2049. */
	assert_int_equal(1, ASN1_TIME_set_string(X509_getm_notBefore(x), "240102030405Z"));
	assert_int_equal(1, ASN1_TIME_set_string(X509_getm_notAfter(x), "20510607080910Z"));
	assert_int_equal(1, X509_set_pubkey(x, pk));
	if (with_aki) {
		AUTHORITY_KEYID *ak = AUTHORITY_KEYID_new();

		ak->keyid = ASN1_OCTET_STRING_new();
		assert_int_equal(1, ASN1_OCTET_STRING_set(ak->keyid, KID, sizeof(KID)));
		assert_int_equal(1, X509_add1_ext_i2d(x, NID_authority_key_identifier, ak, 0, X509V3_ADD_DEFAULT));
		AUTHORITY_KEYID_free(ak);
	}
	/* Ed25519 signs without a separate digest. */
	assert_true(X509_sign(x, pk, EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519 ? NULL : EVP_sha256()) > 0);
	*len = i2d_X509(x, &der);
	assert_true(*len > 0);
	X509_free(x);
	X509_NAME_free(sn);
	X509_NAME_free(in);
	ASN1_INTEGER_free(serial);
	return der;
}

static void assert_attr(const cid_attrs *a, CK_ATTRIBUTE_TYPE t, const void *v, size_t len)
{
	const CK_ATTRIBUTE *at = cid_attrs_get(a, t);

	assert_non_null(at);
	assert_int_equal(len, at->ulValueLen);
	assert_memory_equal(v, at->pValue, len);
}

static void x509_parse(void **state)
{
	static const uint8_t serial[] = { 0x02, 0x06, 0x00, 0x89, 0xab, 0xcd, 0xef, 0x01 };
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	cid_attrs a = CID_ATTRS_INIT;
	uint8_t *der, *buf, *nder = NULL, pt[65], h[20];
	X509_NAME *nm = X509_NAME_new();
	size_t ptlen = 0;
	int len, nlen;
	CK_DATE d;

	(void)state;
	assert_non_null(pk);
	der = make_cert(pk, true, &len);
	assert_int_equal(CKR_OK, cid_x509_attrs(der, (size_t)len, &a));

	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const uint8_t *)"careid subject", -1, -1, 0);
	nlen = i2d_X509_NAME(nm, &nder);
	assert_attr(&a, CKA_SUBJECT, nder, (size_t)nlen);
	OPENSSL_free(nder);
	nder = NULL;
	X509_NAME_free(nm);
	nm = X509_NAME_new();
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const uint8_t *)"careid issuer", -1, -1, 0);
	nlen = i2d_X509_NAME(nm, &nder);
	assert_attr(&a, CKA_ISSUER, nder, (size_t)nlen);
	OPENSSL_free(nder);
	X509_NAME_free(nm);

	assert_attr(&a, CKA_SERIAL_NUMBER, serial, sizeof(serial));
	memcpy(d.year, "2024", 4);
	memcpy(d.month, "01", 2);
	memcpy(d.day, "02", 2);
	assert_attr(&a, CKA_START_DATE, &d, sizeof(d));
	memcpy(d.year, "2051", 4);
	memcpy(d.month, "06", 2);
	memcpy(d.day, "07", 2);
	assert_attr(&a, CKA_END_DATE, &d, sizeof(d));
	/* The subjectPublicKey BIT STRING of an EC key holds the point. */
	assert_int_equal(1, EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &ptlen));
	assert_int_equal(1, EVP_Q_digest(NULL, "SHA1", NULL, pt, ptlen, h, NULL));
	assert_attr(&a, CKA_HASH_OF_SUBJECT_PUBLIC_KEY, h, 20);
	assert_attr(&a, CKA_HASH_OF_ISSUER_PUBLIC_KEY, KID, 20);
	cid_attrs_clear(&a);

	/* Truncated, trailing bytes, garbage, empty. */
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, cid_x509_attrs(der, (size_t)len - 1, &a));
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, cid_x509_attrs(der, 40, &a));
	buf = malloc((size_t)len + 1);
	memcpy(buf, der, (size_t)len);
	buf[len] = 0;
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, cid_x509_attrs(buf, (size_t)len + 1, &a));
	memset(buf, 0x30, (size_t)len);
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, cid_x509_attrs(buf, (size_t)len, &a));
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, cid_x509_attrs(buf, 0, &a));
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, cid_x509_attrs(NULL, 10, &a));
	/* Two certificates back to back are not one certificate. */
	free(buf);
	buf = malloc(2 * (size_t)len);
	memcpy(buf, der, (size_t)len);
	memcpy(buf + len, der, (size_t)len);
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, cid_x509_attrs(buf, 2 * (size_t)len, &a));
	assert_int_equal(0, a.n);
	free(buf);
	OPENSSL_free(der);

	/* Without an authority key identifier there is no issuer-key hash. */
	der = make_cert(pk, false, &len);
	assert_int_equal(CKR_OK, cid_x509_attrs(der, (size_t)len, &a));
	assert_null(cid_attrs_get(&a, CKA_HASH_OF_ISSUER_PUBLIC_KEY));
	assert_non_null(cid_attrs_get(&a, CKA_HASH_OF_SUBJECT_PUBLIC_KEY));
	cid_attrs_clear(&a);
	OPENSSL_free(der);
	EVP_PKEY_free(pk);
}

static const uint8_t OID_P256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const uint8_t OID_P384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };

/* CKA_EC_POINT is the certificate's own point, uncompressed, in an OCTET
 * STRING; CKA_EC_PARAMS the named curve's OID. */
static void check_ec(EVP_PKEY *pk, const uint8_t *oid, size_t oidlen)
{
	cid_attrs a = CID_ATTRS_INIT;
	uint8_t pt[100];
	size_t ptlen = 0;
	CK_KEY_TYPE kt = 0;
	int len;
	uint8_t *der = make_cert(pk, false, &len);
	const CK_ATTRIBUTE *at;

	assert_int_equal(CKR_OK, cid_x509_public_key(der, (size_t)len, &kt, &a));
	assert_int_equal(CKK_EC, kt);
	assert_attr(&a, CKA_EC_PARAMS, oid, oidlen);
	assert_int_equal(1, EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &ptlen));
	at = cid_attrs_get(&a, CKA_EC_POINT);
	assert_non_null(at);
	assert_int_equal(ptlen + 2, at->ulValueLen);
	assert_int_equal(0x04, ((uint8_t *)at->pValue)[0]);
	assert_int_equal(ptlen, ((uint8_t *)at->pValue)[1]);
	assert_memory_equal(pt, (uint8_t *)at->pValue + 2, ptlen);
	cid_attrs_clear(&a);
	OPENSSL_free(der);
}

static void x509_public_key_and_cn(void **state)
{
	EVP_PKEY *p256 = EVP_EC_gen("P-256"), *p384 = EVP_EC_gen("P-384");
	EVP_PKEY *rsa = EVP_RSA_gen(2048), *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	cid_attrs a = CID_ATTRS_INIT;
	CK_KEY_TYPE kt = 0;
	BIGNUM *n = NULL;
	uint8_t nb[256], *der;
	char cn[32];
	int len;

	(void)state;
	assert_non_null(p256);
	assert_non_null(p384);
	assert_non_null(rsa);
	assert_non_null(ed);
	check_ec(p256, OID_P256, sizeof(OID_P256));
	check_ec(p384, OID_P384, sizeof(OID_P384));

	der = make_cert(rsa, false, &len);
	assert_int_equal(CKR_OK, cid_x509_public_key(der, (size_t)len, &kt, &a));
	assert_int_equal(CKK_RSA, kt);
	assert_int_equal(1, EVP_PKEY_get_bn_param(rsa, OSSL_PKEY_PARAM_RSA_N, &n));
	assert_int_equal(256, BN_bn2bin(n, nb));
	assert_attr(&a, CKA_MODULUS, nb, 256);
	assert_attr(&a, CKA_PUBLIC_EXPONENT, "\x01\x00\x01", 3);
	cid_attrs_clear(&a);
	BN_free(n);
	assert_true(cid_x509_subject_cn(der, (size_t)len, cn, sizeof(cn)));
	assert_string_equal("careid subject", cn);
	/* A CN that does not fit is no CN. */
	assert_false(cid_x509_subject_cn(der, (size_t)len, cn, 8));
	assert_string_equal("", cn);
	assert_false(cid_x509_subject_cn(der, 10, cn, sizeof(cn)));
	OPENSSL_free(der);

	/* Keys careid does not use, and a damaged certificate. */
	der = make_cert(ed, false, &len);
	assert_int_equal(CKR_KEY_TYPE_INCONSISTENT, cid_x509_public_key(der, (size_t)len, &kt, &a));
	OPENSSL_free(der);
	assert_int_equal(CKR_ARGUMENTS_BAD, cid_x509_public_key(der, (size_t)len, NULL, &a));

	/* A compressed point, which no PIV card writes, is refused rather
	 * than stored in a form PKCS#11 clients do not expect. */
	assert_int_equal(1, EVP_PKEY_set_utf8_string_param(p256, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
	                                                   "compressed"));
	der = make_cert(p256, false, &len);
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, cid_x509_public_key(der, (size_t)len, &kt, &a));
	assert_int_equal(0, a.n);
	OPENSSL_free(der);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(x509_public_key_and_cn),
		cmocka_unit_test(x509_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
