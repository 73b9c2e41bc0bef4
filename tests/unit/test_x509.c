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

#include <openssl/core_names.h>
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
	assert_true(X509_sign(x, pk, EVP_sha256()) > 0);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(x509_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
