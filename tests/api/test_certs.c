/* Certificate objects (policy P6): the attributes the module derives from
 * CKA_VALUE must equal what OpenSSL computes from the same certificate,
 * made here with a two-year validity and a UUID-only subject; malformed
 * values are refused; NSS's look-ups (issuer + serial, CKA_ID, before
 * login) work. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "harness.h"

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
static CK_OBJECT_CLASS cert_cls = CKO_CERTIFICATE;
static CK_CERTIFICATE_TYPE x509 = CKC_X_509;

typedef struct {
	unsigned char *der;
	int len;
	X509 *x;
} cert;

static X509_NAME *name(const char *org, const char *ou, const char *cn)
{
	X509_NAME *n = X509_NAME_new();
	assert_non_null(n);
	assert_true(X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)org, -1, -1, 0));
	if (ou)
		assert_true(X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_ASC, (const unsigned char *)ou, -1, -1, 0));
	assert_true(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0));
	return n;
}

/* A certificate for uuid issued by a test CA, valid exactly two years. */
static void make_cert(cert *c, const char *uuid, long serial)
{
	EVP_PKEY *ca = EVP_EC_gen("P-256"), *holder = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *subj = name("careid test", "people", uuid), *iss = name("careid test", NULL, "test CA");
	time_t now = time(NULL);
	struct tm tm;
	time_t end;

	gmtime_r(&now, &tm);
	tm.tm_year += 2;
	end = timegm(&tm);
	assert_non_null(x);
	assert_true(X509_set_version(x, 2));
	assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), serial));
	assert_true(X509_set_subject_name(x, subj));
	assert_true(X509_set_issuer_name(x, iss));
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), now));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), end));
	assert_true(X509_set_pubkey(x, holder));
	assert_true(X509_sign(x, ca, EVP_sha256()) > 0);
	c->der = NULL;
	c->len = i2d_X509(x, &c->der);
	assert_true(c->len > 0);
	c->x = x;
	X509_NAME_free(subj);
	X509_NAME_free(iss);
	EVP_PKEY_free(ca);
	EVP_PKEY_free(holder);
}

static void free_cert(cert *c)
{
	OPENSSL_free(c->der);
	X509_free(c->x);
}

static CK_RV store_cert(th_env *env, CK_SESSION_HANDLE s, const void *der, CK_ULONG len,
                        const CK_ATTRIBUTE *extra, CK_ULONG nextra, CK_OBJECT_HANDLE *h)
{
	CK_BYTE id[] = { 0x42 };
	CK_ATTRIBUTE t[12] = {
		{ CKA_CLASS, &cert_cls, sizeof(cert_cls) },
		{ CKA_CERTIFICATE_TYPE, &x509, sizeof(x509) },
		{ CKA_TOKEN, &yes, 1 },
		{ CKA_PRIVATE, &no, 1 },
		{ CKA_LABEL, "auth cert", 9 },
		{ CKA_ID, id, sizeof(id) },
		{ CKA_VALUE, (void *)der, len },
	};
	CK_ULONG n = 7;

	for (CK_ULONG i = 0; i < nextra; i++)
		t[n++] = extra[i];
	return env->f->C_CreateObject(s, t, n, h);
}

/* An attribute into a buffer the caller frees. */
static CK_BYTE *attr(th_env *env, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE t, CK_ULONG *len)
{
	CK_ATTRIBUTE a = { t, NULL, 0 };
	CK(env->f->C_GetAttributeValue(s, h, &a, 1));
	a.pValue = malloc(a.ulValueLen + 1);
	assert_non_null(a.pValue);
	CK(env->f->C_GetAttributeValue(s, h, &a, 1));
	*len = a.ulValueLen;
	return a.pValue;
}

static void expect_der(th_env *env, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE t,
                       const unsigned char *der, int len)
{
	CK_ULONG got;
	CK_BYTE *v = attr(env, s, h, t, &got);
	assert_int_equal(got, (CK_ULONG)len);
	assert_memory_equal(v, der, (size_t)len);
	free(v);
}

static void expect_date(th_env *env, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE t,
                        const ASN1_TIME *when)
{
	struct tm tm;
	char want[9];
	CK_DATE d;
	CK_ATTRIBUTE a = { t, &d, sizeof(d) };

	assert_true(ASN1_TIME_to_tm(when, &tm));
	strftime(want, sizeof(want), "%Y%m%d", &tm);
	CK(env->f->C_GetAttributeValue(s, h, &a, 1));
	assert_int_equal(a.ulValueLen, sizeof(CK_DATE));
	assert_memory_equal(&d, want, 8);
}

static int setup(void **state)
{
	th_setup(state);
	return 0;
}

static void test_derived_attributes(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SESSION_HANDLE s = th_user_session(env, th_new_token(env, "certs"));
	CK_OBJECT_HANDLE h;
	cert c;
	unsigned char *der = NULL;
	int len;
	CK_ULONG cat = 9;
	CK_ATTRIBUTE ga = { CKA_CERTIFICATE_CATEGORY, &cat, sizeof(cat) };

	make_cert(&c, "123456789012", 4711);
	CK(store_cert(env, s, c.der, (CK_ULONG)c.len, NULL, 0, &h));

	len = i2d_X509_NAME(X509_get_subject_name(c.x), &der);
	expect_der(env, s, h, CKA_SUBJECT, der, len);
	OPENSSL_free(der);
	der = NULL;
	len = i2d_X509_NAME(X509_get_issuer_name(c.x), &der);
	expect_der(env, s, h, CKA_ISSUER, der, len);
	OPENSSL_free(der);
	der = NULL;
	len = i2d_ASN1_INTEGER(X509_get_serialNumber(c.x), &der);
	expect_der(env, s, h, CKA_SERIAL_NUMBER, der, len);
	OPENSSL_free(der);
	expect_der(env, s, h, CKA_VALUE, c.der, c.len);
	expect_date(env, s, h, CKA_START_DATE, X509_get0_notBefore(c.x));
	expect_date(env, s, h, CKA_END_DATE, X509_get0_notAfter(c.x));
	CK(env->f->C_GetAttributeValue(s, h, &ga, 1));
	assert_int_equal(cat, CK_CERTIFICATE_CATEGORY_UNSPECIFIED);

	/* P6: the end date is the start date two years on. */
	CK_DATE sd, ed;
	CK_ATTRIBUTE dates[] = { { CKA_START_DATE, &sd, sizeof(sd) }, { CKA_END_DATE, &ed, sizeof(ed) } };
	CK(env->f->C_GetAttributeValue(s, h, dates, 2));
	assert_int_equal(atoi((char[5]){ ed.year[0], ed.year[1], ed.year[2], ed.year[3], 0 }),
	                 atoi((char[5]){ sd.year[0], sd.year[1], sd.year[2], sd.year[3], 0 }) + 2);
	free_cert(&c);
	CK(env->f->C_CloseSession(s));
}

static void test_malformed(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SESSION_HANDLE s = th_user_session(env, th_new_token(env, "badcerts"));
	CK_OBJECT_HANDLE h;
	cert c;
	unsigned char *longer;
	CK_CERTIFICATE_TYPE attr_cert = CKC_X_509_ATTR_CERT;

	make_cert(&c, "123456789012", 1);
	assert_int_equal(store_cert(env, s, c.der, (CK_ULONG)c.len - 1, NULL, 0, &h), CKR_ATTRIBUTE_VALUE_INVALID);
	assert_int_equal(store_cert(env, s, c.der, 20, NULL, 0, &h), CKR_ATTRIBUTE_VALUE_INVALID);
	assert_int_equal(store_cert(env, s, "not a certificate", 17, NULL, 0, &h), CKR_ATTRIBUTE_VALUE_INVALID);
	longer = malloc((size_t)c.len + 2);
	memcpy(longer, c.der, (size_t)c.len);
	longer[c.len] = 0x05;
	longer[c.len + 1] = 0x00;
	assert_int_equal(store_cert(env, s, longer, (CK_ULONG)c.len + 2, NULL, 0, &h), CKR_ATTRIBUTE_VALUE_INVALID);
	free(longer);
	/* Missing value or type, unsupported type. */
	assert_int_equal(store_cert(env, s, NULL, 0, NULL, 0, &h), CKR_TEMPLATE_INCOMPLETE);
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cert_cls, sizeof(cert_cls) },
		{ CKA_VALUE, c.der, (CK_ULONG)c.len },
		{ CKA_CERTIFICATE_TYPE, &attr_cert, sizeof(attr_cert) },
	};
	assert_int_equal(env->f->C_CreateObject(s, t, 2, &h), CKR_TEMPLATE_INCOMPLETE);
	assert_int_equal(env->f->C_CreateObject(s, t, 3, &h), CKR_ATTRIBUTE_VALUE_INVALID);

	/* A caller's subject must be the certificate's. */
	unsigned char *der = NULL;
	int len = i2d_X509_NAME(X509_get_subject_name(c.x), &der);
	CK_ATTRIBUTE good = { CKA_SUBJECT, der, (CK_ULONG)len };
	CK_ATTRIBUTE bad = { CKA_SUBJECT, der, (CK_ULONG)len - 1 };
	assert_int_equal(store_cert(env, s, c.der, (CK_ULONG)c.len, &bad, 1, &h), CKR_TEMPLATE_INCONSISTENT);
	CK(store_cert(env, s, c.der, (CK_ULONG)c.len, &good, 1, &h));
	OPENSSL_free(der);

	/* Fixed and SO-only attributes. */
	CK_ATTRIBUTE value = { CKA_VALUE, "x", 1 }, subject = { CKA_SUBJECT, "x", 1 };
	CK_ATTRIBUTE trusted = { CKA_TRUSTED, &yes, 1 };
	CK_BYTE new_id[] = { 7, 7 };
	CK_ATTRIBUTE id = { CKA_ID, new_id, sizeof(new_id) };
	assert_int_equal(env->f->C_SetAttributeValue(s, h, &value, 1), CKR_ATTRIBUTE_READ_ONLY);
	assert_int_equal(env->f->C_SetAttributeValue(s, h, &subject, 1), CKR_ATTRIBUTE_READ_ONLY);
	assert_int_equal(env->f->C_SetAttributeValue(s, h, &trusted, 1), CKR_ATTRIBUTE_READ_ONLY);
	assert_int_equal(store_cert(env, s, c.der, (CK_ULONG)c.len, &trusted, 1, &h), CKR_ATTRIBUTE_READ_ONLY);
	CK(env->f->C_SetAttributeValue(s, h, &id, 1));
	free_cert(&c);
	CK(env->f->C_CloseSession(s));
}

static void test_nss_lookups(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = th_new_token(env, "lookups");
	CK_SESSION_HANDLE s = th_user_session(env, slot), ro;
	CK_OBJECT_HANDLE h1, h2, pub, priv, found[4];
	CK_ULONG n = 0;
	cert a, b;
	unsigned char *iss = NULL, *ser = NULL;
	int il, sl;

	make_cert(&a, "123456789012", 1001);
	make_cert(&b, "210987654321", 1002);
	CK(store_cert(env, s, a.der, (CK_ULONG)a.len, NULL, 0, &h1));
	CK(store_cert(env, s, b.der, (CK_ULONG)b.len, NULL, 0, &h2));

	il = i2d_X509_NAME(X509_get_issuer_name(b.x), &iss);
	sl = i2d_ASN1_INTEGER(X509_get_serialNumber(b.x), &ser);
	CK_ATTRIBUTE by_issuer[] = {
		{ CKA_CLASS, &cert_cls, sizeof(cert_cls) },
		{ CKA_ISSUER, iss, (CK_ULONG)il },
		{ CKA_SERIAL_NUMBER, ser, (CK_ULONG)sl },
	};
	assert_int_equal(th_find_one(env, s, by_issuer, 3), h2);

	/* The key pair with the same CKA_ID pairs with the certificate. */
	th_keypair(env, s, "p256", "auth key", &pub, &priv);
	CK_BYTE id[] = { 0x01 };
	CK_ATTRIBUTE set_id = { CKA_ID, id, sizeof(id) };
	CK(env->f->C_SetAttributeValue(s, h1, &set_id, 1));
	CK_ATTRIBUTE by_id[] = { { CKA_ID, id, sizeof(id) } };
	CK(env->f->C_FindObjectsInit(s, by_id, 1));
	CK(env->f->C_FindObjects(s, found, 4, &n));
	CK(env->f->C_FindObjectsFinal(s));
	assert_int_equal(n, 3);

	/* Before login, in a read-only session: certificates and the public
	 * key, not the private key. */
	CK(env->f->C_Logout(s));
	CK(env->f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &ro));
	assert_int_equal(th_find_one(env, ro, by_issuer, 3), h2);
	CK(env->f->C_FindObjectsInit(ro, by_id, 1));
	CK(env->f->C_FindObjects(ro, found, 4, &n));
	CK(env->f->C_FindObjectsFinal(ro));
	assert_int_equal(n, 2);
	CK_ATTRIBUTE lab = { CKA_LABEL, NULL, 0 };
	assert_int_equal(env->f->C_GetAttributeValue(ro, priv, &lab, 1), CKR_OBJECT_HANDLE_INVALID);

	OPENSSL_free(iss);
	OPENSSL_free(ser);
	free_cert(&a);
	free_cert(&b);
	CK(env->f->C_CloseAllSessions(slot));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_derived_attributes, setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_nss_lookups, setup, th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
