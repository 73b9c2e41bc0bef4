/* The issuing library of careid-tool (src/tool/issuer.c): every property of
 * an issued certificate is read back from its DER with OpenSSL, and every
 * refusal is checked for its own status. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "policy/policy.h"
#include "tool/issuer.h"

#define ORG "Test Care Trust"
#define UUID "004512345678"

static char root[64];
static char ca_cert[128], ca_key[128];
static tool_issuer *iss;
static uint8_t *auth_spki, *sign_spki;
static size_t auth_len, sign_len;
static EVP_PKEY *auth_key, *sign_key;

/* An instant from its text, written out rather than computed by the code
 * under test. */
static time_t at(const char *iso)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	assert_non_null(strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm));
	return timegm(&tm);
}

static void text_of(const ASN1_TIME *a, char out[32])
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	assert_int_equal(1, ASN1_TIME_to_tm(a, &tm));
	assert_true(strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0);
}

static uint8_t *spki_of(EVP_PKEY *k, size_t *len)
{
	unsigned char *p = NULL;
	int n = i2d_PUBKEY(k, &p);

	assert_true(n > 0);
	*len = (size_t)n;
	return p;
}

static X509 *parse(const tool_issued *c)
{
	const unsigned char *p = c->der;
	X509 *x = d2i_X509(NULL, &p, (long)c->der_len);

	assert_non_null(x);
	assert_ptr_equal(p, c->der + c->der_len);
	return x;
}

static X509 *read_pem(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x;

	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	return x;
}

static int group_setup(void **state)
{
	char *cp, *kp;
	tool_issuer_why why;

	(void)state;
	strcpy(root, "/tmp/careid-issuer-XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(ca_cert, sizeof(ca_cert), "%s/ca", root);
	/* An issuer from 2026 to 2056: every start date below fits. */
	assert_int_equal(TOOL_ISSUER_OK,
	                 tool_issuer_init(ca_cert, ORG, 30, at("2026-01-01T00:00:00Z"), &cp, &kp, &why));
	snprintf(ca_cert, sizeof(ca_cert), "%s", cp);
	snprintf(ca_key, sizeof(ca_key), "%s", kp);
	free(cp);
	free(kp);
	assert_int_equal(TOOL_ISSUER_OK, tool_issuer_load(ca_cert, ca_key, ORG, &iss, &why));
	auth_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	sign_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	assert_non_null(auth_key);
	assert_non_null(sign_key);
	auth_spki = spki_of(auth_key, &auth_len);
	sign_spki = spki_of(sign_key, &sign_len);
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	tool_issuer_free(iss);
	OPENSSL_free(auth_spki);
	OPENSSL_free(sign_spki);
	EVP_PKEY_free(auth_key);
	EVP_PKEY_free(sign_key);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- the calendar ---------------------------------------------------- */

static void two_calendar_years(void **state)
{
	static const char *const cases[][2] = {
		{ "2027-01-15T12:34:56Z", "2029-01-15T12:34:56Z" },
		{ "2028-02-28T08:00:00Z", "2030-02-28T08:00:00Z" },
		/* 29 February ends on the last day of February, never 1 March. */
		{ "2028-02-29T00:00:00Z", "2030-02-28T00:00:00Z" },
		{ "2028-02-29T23:59:59Z", "2030-02-28T23:59:59Z" },
		{ "2028-03-01T00:00:00Z", "2030-03-01T00:00:00Z" },
		{ "2029-12-31T23:59:59Z", "2031-12-31T23:59:59Z" },
		{ "2030-02-28T10:00:00Z", "2032-02-28T10:00:00Z" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(at(cases[i][1]), tool_issuer_add_years(at(cases[i][0]), 2));
	/* Four years from 29 February is a leap year again. */
	assert_int_equal(at("2032-02-29T06:00:00Z"), tool_issuer_add_years(at("2028-02-29T06:00:00Z"), 4));
	assert_int_equal(2, CID_POLICY_CERT_VALIDITY_YEARS);
}

/* ---- one certificate, every property ---------------------------------- */

static void check_common(X509 *x, X509 *ca, const char *nb, const char *na, EVP_PKEY *subject_key)
{
	const X509_NAME *s = X509_get_subject_name(x);
	const ASN1_OCTET_STRING *ski, *ca_ski;
	const ASN1_INTEGER *serial = X509_get0_serialNumber(x);
	BASIC_CONSTRAINTS *bc;
	BIGNUM *bn;
	char buf[80], t[32];
	unsigned char md[20];
	unsigned int mdlen;
	const unsigned char *bits;
	int bitslen, crit;
	EVP_PKEY *pub;

	assert_int_equal(X509_VERSION_3, X509_get_version(x));
	text_of(X509_get0_notBefore(x), t);
	assert_string_equal(nb, t);
	text_of(X509_get0_notAfter(x), t);
	assert_string_equal(na, t);

	/* Subject: exactly O, OU=people, CN=UUID, in that order; no name. */
	assert_int_equal(3, X509_NAME_entry_count(s));
	assert_int_equal(NID_organizationName, OBJ_obj2nid(X509_NAME_ENTRY_get_object(X509_NAME_get_entry(s, 0))));
	assert_int_equal(NID_organizationalUnitName, OBJ_obj2nid(X509_NAME_ENTRY_get_object(X509_NAME_get_entry(s, 1))));
	assert_int_equal(NID_commonName, OBJ_obj2nid(X509_NAME_ENTRY_get_object(X509_NAME_get_entry(s, 2))));
	X509_NAME_oneline(s, buf, sizeof(buf));
	assert_string_equal("/O=" ORG "/OU=people/CN=" UUID, buf);
	assert_int_equal(0, X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(ca)));

	/* The subject's own key, signed by the issuer. */
	pub = X509_get0_pubkey(x);
	assert_int_equal(1, EVP_PKEY_eq(pub, subject_key));
	assert_int_equal(1, X509_verify(x, X509_get0_pubkey(ca)));

	/* A positive serial of at most 128 bits. */
	bn = ASN1_INTEGER_to_BN(serial, NULL);
	assert_non_null(bn);
	assert_false(BN_is_negative(bn));
	assert_false(BN_is_zero(bn));
	assert_true(BN_num_bits(bn) <= 128);
	BN_free(bn);

	bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
	assert_non_null(bc);
	assert_int_equal(0, bc->ca);
	assert_int_equal(1, crit);
	BASIC_CONSTRAINTS_free(bc);
	assert_true(X509_get_extension_flags(x) & EXFLAG_KUSAGE);
	assert_int_equal(1, X509_EXTENSION_get_critical(X509_get_ext(x, X509_get_ext_by_NID(x, NID_key_usage, -1))));

	/* Key identifiers: SHA-1 of the key bits, and the issuer's own. */
	ski = X509_get0_subject_key_id(x);
	assert_non_null(ski);
	assert_int_equal(1, X509_PUBKEY_get0_param(NULL, &bits, &bitslen, NULL, X509_get_X509_PUBKEY(x)));
	assert_int_equal(1, EVP_Digest(bits, (size_t)bitslen, md, &mdlen, EVP_sha1(), NULL));
	assert_int_equal(20, ASN1_STRING_length(ski));
	assert_memory_equal(md, ASN1_STRING_get0_data(ski), 20);
	ca_ski = X509_get0_subject_key_id(ca);
	assert_non_null(ca_ski);
	assert_non_null(X509_get0_authority_key_id(x));
	assert_int_equal(0, ASN1_OCTET_STRING_cmp(ca_ski, X509_get0_authority_key_id(x)));
	assert_int_equal(-1, X509_get_ext_by_NID(x, NID_subject_alt_name, -1));
}

/* A chain check at a moment inside the validity, for purpose. */
static void check_chain(X509 *x, X509 *ca, time_t when, int purpose, int want)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *c = X509_STORE_CTX_new();

	assert_non_null(st);
	assert_non_null(c);
	assert_int_equal(1, X509_STORE_add_cert(st, ca));
	assert_int_equal(1, X509_STORE_CTX_init(c, st, x, NULL));
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(c), when);
	X509_STORE_CTX_set_purpose(c, purpose);
	assert_int_equal(want, X509_verify_cert(c));
	X509_STORE_CTX_free(c);
	X509_STORE_free(st);
}

static void auth_certificate(void **state)
{
	static const char *const starts[][2] = {
		{ "2027-01-15T12:34:56Z", "2029-01-15T12:34:56Z" },
		{ "2028-02-29T23:59:59Z", "2030-02-28T23:59:59Z" },
		{ "2028-02-28T23:59:59Z", "2030-02-28T23:59:59Z" },
		{ "2029-12-31T23:59:59Z", "2031-12-31T23:59:59Z" },
		/* ends past 2049: GeneralizedTime */
		{ "2049-06-01T09:00:00Z", "2051-06-01T09:00:00Z" },
	};
	X509 *ca = read_pem(ca_cert);

	(void)state;
	for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		tool_issuer_why why;
		tool_issued c;
		EXTENDED_KEY_USAGE *eku;
		X509 *x;

		assert_int_equal(TOOL_ISSUER_OK, tool_issuer_issue(iss, auth_spki, auth_len, UUID, TOOL_CERT_AUTH,
		                                                   at(starts[i][0]), &c, &why));
		assert_int_equal(at(starts[i][0]), c.not_before);
		assert_int_equal(at(starts[i][1]), c.not_after);
		x = parse(&c);
		check_common(x, ca, starts[i][0], starts[i][1], auth_key);
		assert_int_equal(KU_DIGITAL_SIGNATURE, X509_get_key_usage(x));
		eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
		assert_non_null(eku);
		assert_int_equal(1, sk_ASN1_OBJECT_num(eku));
		assert_int_equal(NID_client_auth, OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 0)));
		sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
		/* basicConstraints, keyUsage, extendedKeyUsage, two key ids */
		assert_int_equal(5, X509_get_ext_count(x));
		check_chain(x, ca, at(starts[i][0]) + 60, X509_PURPOSE_SSL_CLIENT, 1);
		check_chain(x, ca, at(starts[i][1]) + 1, X509_PURPOSE_SSL_CLIENT, 0);
		X509_free(x);
		tool_issued_free(&c);
		assert_null(c.der);
	}
	X509_free(ca);
}

static void sign_certificate(void **state)
{
	X509 *ca = read_pem(ca_cert);
	tool_issuer_why why;
	tool_issued c;
	X509 *x;

	(void)state;
	assert_int_equal(TOOL_ISSUER_OK, tool_issuer_issue(iss, sign_spki, sign_len, UUID, TOOL_CERT_SIGN,
	                                                   at("2028-02-29T12:00:00Z"), &c, &why));
	x = parse(&c);
	check_common(x, ca, "2028-02-29T12:00:00Z", "2030-02-28T12:00:00Z", sign_key);
	assert_int_equal(KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION, X509_get_key_usage(x));
	assert_int_equal(-1, X509_get_ext_by_NID(x, NID_ext_key_usage, -1));
	assert_int_equal(4, X509_get_ext_count(x));
	X509_free(x);
	tool_issued_free(&c);
	X509_free(ca);
}

static void serials_differ(void **state)
{
	tool_issuer_why why;
	tool_issued a, b, pair[2];
	X509 *xa, *xb, *xp0, *xp1;
	time_t now = at("2027-05-05T05:05:05Z");

	(void)state;
	assert_int_equal(TOOL_ISSUER_OK, tool_issuer_issue(iss, auth_spki, auth_len, UUID, TOOL_CERT_AUTH, now, &a, &why));
	assert_int_equal(TOOL_ISSUER_OK, tool_issuer_issue(iss, auth_spki, auth_len, UUID, TOOL_CERT_AUTH, now, &b, &why));
	assert_int_equal(TOOL_ISSUER_OK, tool_issuer_issue_pair(iss, auth_spki, auth_len, sign_spki, sign_len, UUID, now,
	                                                        pair, &why));
	xa = parse(&a);
	xb = parse(&b);
	xp0 = parse(&pair[0]);
	xp1 = parse(&pair[1]);
	assert_int_not_equal(0, ASN1_INTEGER_cmp(X509_get0_serialNumber(xa), X509_get0_serialNumber(xb)));
	assert_int_not_equal(0, ASN1_INTEGER_cmp(X509_get0_serialNumber(xp0), X509_get0_serialNumber(xp1)));
	/* 16 random bytes: shorter than 12 only once in 2^32 runs, never a short counter. */
	assert_true(ASN1_STRING_length(X509_get0_serialNumber(xa)) >= 12);
	X509_free(xa);
	X509_free(xb);
	X509_free(xp0);
	X509_free(xp1);
	tool_issued_free(&a);
	tool_issued_free(&b);
	tool_issued_free(&pair[0]);
	tool_issued_free(&pair[1]);
}

static void pair_of_a_card(void **state)
{
	X509 *ca = read_pem(ca_cert);
	tool_issuer_why why;
	tool_issued pair[2];
	X509 *x0, *x1;

	(void)state;
	assert_int_equal(TOOL_ISSUER_OK, tool_issuer_issue_pair(iss, auth_spki, auth_len, sign_spki, sign_len, UUID,
	                                                        at("2028-02-29T07:00:00Z"), pair, &why));
	x0 = parse(&pair[0]);
	x1 = parse(&pair[1]);
	check_common(x0, ca, "2028-02-29T07:00:00Z", "2030-02-28T07:00:00Z", auth_key);
	check_common(x1, ca, "2028-02-29T07:00:00Z", "2030-02-28T07:00:00Z", sign_key);
	assert_int_equal(KU_DIGITAL_SIGNATURE, X509_get_key_usage(x0));
	assert_true(X509_get_extended_key_usage(x0) & XKU_SSL_CLIENT);
	assert_int_equal(KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION, X509_get_key_usage(x1));
	X509_free(x0);
	X509_free(x1);
	tool_issued_free(&pair[0]);
	tool_issued_free(&pair[1]);
	X509_free(ca);

	/* A bad second key: neither certificate is made. */
	assert_int_equal(TOOL_ISSUER_BAD_KEY, tool_issuer_issue_pair(iss, auth_spki, auth_len, sign_spki, 10, UUID,
	                                                             at("2028-02-29T07:00:00Z"), pair, &why));
	assert_null(pair[0].der);
	assert_null(pair[1].der);
}

/* ---- refusals ---------------------------------------------------------- */

static void refused_past_the_issuer(void **state)
{
	tool_issuer *shortlived;
	tool_issuer_why why;
	tool_issued c, pair[2];
	char dir[128], *cp, *kp;
	time_t made = at("2027-03-10T10:00:00Z");

	(void)state;
	snprintf(dir, sizeof(dir), "%s/short", root);
	assert_int_equal(TOOL_ISSUER_OK, tool_issuer_init(dir, ORG, 3, made, &cp, &kp, &why));
	assert_int_equal(TOOL_ISSUER_OK, tool_issuer_load(cp, kp, ORG, &shortlived, &why));
	assert_int_equal(at("2030-03-10T10:00:00Z"), tool_issuer_not_after(shortlived));
	assert_int_equal(made, tool_issuer_not_before(shortlived));
	/* Ending on the issuer's last second is allowed; one second later not. */
	assert_int_equal(TOOL_ISSUER_OK, tool_issuer_issue(shortlived, auth_spki, auth_len, UUID, TOOL_CERT_AUTH,
	                                                   at("2028-03-10T10:00:00Z"), &c, &why));
	tool_issued_free(&c);
	assert_int_equal(TOOL_ISSUER_PAST_ISSUER, tool_issuer_issue(shortlived, auth_spki, auth_len, UUID, TOOL_CERT_AUTH,
	                                                            at("2028-03-10T10:00:01Z"), &c, &why));
	assert_null(c.der);
	assert_non_null(strstr(why.text, "P6"));
	assert_non_null(strstr(why.text, "2030-03-10T10:00:00Z"));
	assert_int_equal(TOOL_ISSUER_PAST_ISSUER, tool_issuer_issue_pair(shortlived, auth_spki, auth_len, sign_spki,
	                                                                 sign_len, UUID, at("2031-01-01T00:00:00Z"), pair,
	                                                                 &why));
	assert_null(pair[0].der);
	assert_null(pair[1].der);
	/* Before the issuer's own start. */
	assert_int_equal(TOOL_ISSUER_NOT_YET, tool_issuer_issue(shortlived, auth_spki, auth_len, UUID, TOOL_CERT_AUTH,
	                                                        made - 1, &c, &why));
	assert_null(c.der);
	tool_issuer_free(shortlived);
	free(cp);
	free(kp);
}

static void refused_bad_uuids(void **state)
{
	static const char *const bad[] = {
		"00451234567", "0045123456789", "00451234567a", "", " 04512345678", "004512345678\n",
		"0045-2345678", "+04512345678", "\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6",
		"Jane Smith",
	};
	tool_issuer_why why;
	tool_issued c, pair[2];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(TOOL_ISSUER_BAD_UUID, tool_issuer_issue(iss, auth_spki, auth_len, bad[i], TOOL_CERT_AUTH,
		                                                         at("2027-01-01T00:00:00Z"), &c, &why));
		assert_null(c.der);
		assert_non_null(strstr(why.text, "P13"));
	}
	assert_int_equal(TOOL_ISSUER_BAD_UUID, tool_issuer_issue(iss, auth_spki, auth_len, NULL, TOOL_CERT_SIGN,
	                                                         at("2027-01-01T00:00:00Z"), &c, &why));
	assert_int_equal(TOOL_ISSUER_BAD_UUID, tool_issuer_issue_pair(iss, auth_spki, auth_len, sign_spki, sign_len,
	                                                              "12345", at("2027-01-01T00:00:00Z"), pair, &why));
	assert_null(pair[0].der);
}

static void refused_bad_keys(void **state)
{
	uint8_t junk[40], *longer;
	tool_issuer_why why;
	tool_issued c;
	time_t now = at("2027-01-01T00:00:00Z");

	(void)state;
	memset(junk, 0x30, sizeof(junk));
	assert_int_equal(TOOL_ISSUER_BAD_KEY, tool_issuer_issue(iss, junk, sizeof(junk), UUID, TOOL_CERT_AUTH, now, &c, &why));
	assert_int_equal(TOOL_ISSUER_BAD_KEY, tool_issuer_issue(iss, auth_spki, 0, UUID, TOOL_CERT_AUTH, now, &c, &why));
	assert_int_equal(TOOL_ISSUER_BAD_KEY, tool_issuer_issue(iss, NULL, 5, UUID, TOOL_CERT_AUTH, now, &c, &why));
	assert_int_equal(TOOL_ISSUER_BAD_KEY,
	                 tool_issuer_issue(iss, auth_spki, auth_len - 1, UUID, TOOL_CERT_AUTH, now, &c, &why));
	/* Trailing bytes after the SubjectPublicKeyInfo. */
	longer = malloc(auth_len + 1);
	assert_non_null(longer);
	memcpy(longer, auth_spki, auth_len);
	longer[auth_len] = 0;
	assert_int_equal(TOOL_ISSUER_BAD_KEY,
	                 tool_issuer_issue(iss, longer, auth_len + 1, UUID, TOOL_CERT_AUTH, now, &c, &why));
	free(longer);
	assert_int_equal(TOOL_ISSUER_BAD_KEY,
	                 tool_issuer_issue(iss, auth_spki, auth_len, UUID, (tool_cert_role)7, now, &c, &why));
	assert_null(c.der);
}

/* ---- making and loading an issuer -------------------------------------- */

static void init_files(void **state)
{
	X509 *ca = read_pem(ca_cert);
	struct stat st;
	BASIC_CONSTRAINTS *bc;
	char buf[192], dir[128], t[32], *cp, *kp;
	int crit;
	tool_issuer_why why;
	mode_t old;

	(void)state;
	assert_int_equal(0, stat(ca_key, &st));
	assert_int_equal(0600, st.st_mode & 07777);
	snprintf(dir, sizeof(dir), "%s/ca", root);
	assert_int_equal(0, stat(dir, &st));
	assert_int_equal(0700, st.st_mode & 07777);

	X509_NAME_oneline(X509_get_subject_name(ca), buf, sizeof(buf));
	assert_string_equal("/O=" ORG "/OU=registration authority/CN=" ORG " Care Identity issuer", buf);
	assert_int_equal(0, X509_NAME_cmp(X509_get_subject_name(ca), X509_get_issuer_name(ca)));
	assert_int_equal(1, X509_verify(ca, X509_get0_pubkey(ca)));
	assert_true(EVP_PKEY_is_a(X509_get0_pubkey(ca), "EC"));
	assert_int_equal(256, EVP_PKEY_get_bits(X509_get0_pubkey(ca)));
	text_of(X509_get0_notBefore(ca), t);
	assert_string_equal("2026-01-01T00:00:00Z", t);
	text_of(X509_get0_notAfter(ca), t);
	assert_string_equal("2056-01-01T00:00:00Z", t);
	bc = X509_get_ext_d2i(ca, NID_basic_constraints, &crit, NULL);
	assert_non_null(bc);
	assert_int_not_equal(0, bc->ca);
	assert_int_equal(1, crit);
	BASIC_CONSTRAINTS_free(bc);
	assert_int_equal(KU_KEY_CERT_SIGN | KU_CRL_SIGN, X509_get_key_usage(ca));
	assert_int_equal(1, X509_EXTENSION_get_critical(X509_get_ext(ca, X509_get_ext_by_NID(ca, NID_key_usage, -1))));
	assert_non_null(X509_get0_subject_key_id(ca));
	X509_free(ca);

	/* Never overwritten, and left as it was. */
	assert_int_equal(0, stat(ca_key, &st));
	snprintf(dir, sizeof(dir), "%s/ca", root);
	assert_int_equal(TOOL_ISSUER_EXISTS,
	                 tool_issuer_init(dir, ORG, 20, at("2027-01-01T00:00:00Z"), &cp, &kp, &why));
	assert_null(cp);
	assert_null(kp);
	assert_non_null(strstr(why.text, "never overwritten"));
	{
		tool_issuer *again;

		assert_int_equal(TOOL_ISSUER_OK, tool_issuer_load(ca_cert, ca_key, ORG, &again, &why));
		assert_int_equal(at("2026-01-01T00:00:00Z"), tool_issuer_not_before(again));
		tool_issuer_free(again);
	}
	/* Half an issuer is an issuer too. */
	snprintf(dir, sizeof(dir), "%s/half", root);
	assert_int_equal(0, mkdir(dir, 0700));
	snprintf(buf, sizeof(buf), "%s/issuer.pem", dir);
	fclose(fopen(buf, "w"));
	assert_int_equal(TOOL_ISSUER_EXISTS, tool_issuer_init(dir, ORG, 20, time(NULL), &cp, &kp, &why));
	snprintf(buf, sizeof(buf), "%s/issuer.key", dir);
	assert_int_not_equal(0, access(buf, F_OK));

	/* A umask that lets everyone read changes nothing. */
	old = umask(0);
	snprintf(dir, sizeof(dir), "%s/open-umask", root);
	assert_int_equal(TOOL_ISSUER_OK, tool_issuer_init(dir, "X", 3, time(NULL), &cp, &kp, &why));
	umask(old);
	assert_int_equal(0, stat(kp, &st));
	assert_int_equal(0600, st.st_mode & 07777);
	assert_int_equal(0, stat(dir, &st));
	assert_int_equal(0700, st.st_mode & 07777);
	free(cp);
	free(kp);
	/* Nor does one that would leave the key unwritable: still exactly 0600. */
	old = umask(0277);
	snprintf(dir, sizeof(dir), "%s/tight-umask", root);
	assert_int_equal(TOOL_ISSUER_OK, tool_issuer_init(dir, "X", 3, time(NULL), &cp, &kp, &why));
	umask(old);
	assert_int_equal(0, stat(kp, &st));
	assert_int_equal(0600, st.st_mode & 07777);
	free(cp);
	free(kp);
}

static void init_refusals(void **state)
{
	static const char *const bad_orgs[] = {
		"", " leading", "trail ", "a#b", "new\nline", "01234567890123456789012345678901234567890123",
	};
	tool_issuer_why why;
	char dir[128], *cp, *kp;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/refused", root);
	for (size_t i = 0; i < sizeof(bad_orgs) / sizeof(bad_orgs[0]); i++)
		assert_int_equal(TOOL_ISSUER_BAD_ARGUMENT, tool_issuer_init(dir, bad_orgs[i], 20, time(NULL), &cp, &kp, &why));
	assert_int_equal(TOOL_ISSUER_BAD_ARGUMENT, tool_issuer_init(dir, ORG, 2, time(NULL), &cp, &kp, &why));
	assert_int_equal(TOOL_ISSUER_BAD_ARGUMENT, tool_issuer_init(dir, ORG, 101, time(NULL), &cp, &kp, &why));
	/* Nothing was made for a refused request. */
	assert_int_not_equal(0, access(dir, F_OK));
	/* A path the configuration file could not carry. */
	snprintf(dir, sizeof(dir), "%s/has#hash", root);
	assert_int_equal(TOOL_ISSUER_BAD_ARGUMENT, tool_issuer_init(dir, ORG, 20, time(NULL), &cp, &kp, &why));
	assert_int_not_equal(0, access(dir, F_OK));
	snprintf(dir, sizeof(dir), "%s/no/such/parent", root);
	assert_int_equal(TOOL_ISSUER_IO, tool_issuer_init(dir, ORG, 20, time(NULL), &cp, &kp, &why));
	assert_null(cp);
}

static void load_refusals(void **state)
{
	tool_issuer *x = NULL;
	tool_issuer_why why;
	char path[160], other_cert[160], *cp, *kp;
	EVP_PKEY *k;
	FILE *f;

	(void)state;
	assert_int_equal(TOOL_ISSUER_BAD_ISSUER,
	                 tool_issuer_load(ca_cert, "pkcs11:token=ra;object=issuer", ORG, &x, &why));
	assert_non_null(strstr(why.text, "module-path"));
	assert_null(x);
	assert_int_equal(TOOL_ISSUER_NOT_CONFIGURED, tool_issuer_load(ca_cert, NULL, ORG, &x, &why));
	assert_int_equal(TOOL_ISSUER_BAD_ISSUER, tool_issuer_load(ca_cert, ca_key, "a#b", &x, &why));
	assert_int_equal(TOOL_ISSUER_BAD_ISSUER, tool_issuer_load("/nonexistent.pem", ca_key, ORG, &x, &why));
	assert_int_equal(TOOL_ISSUER_BAD_ISSUER, tool_issuer_load(ca_cert, "/nonexistent.key", ORG, &x, &why));
	/* The key file as the certificate, and the certificate as the key. */
	assert_int_equal(TOOL_ISSUER_BAD_ISSUER, tool_issuer_load(ca_key, ca_key, ORG, &x, &why));
	assert_int_equal(TOOL_ISSUER_BAD_ISSUER, tool_issuer_load(ca_cert, ca_cert, ORG, &x, &why));

	/* Another issuer's key. */
	snprintf(path, sizeof(path), "%s/other", root);
	assert_int_equal(TOOL_ISSUER_OK, tool_issuer_init(path, ORG, 20, time(NULL), &cp, &kp, &why));
	snprintf(other_cert, sizeof(other_cert), "%s", cp);
	assert_int_equal(TOOL_ISSUER_BAD_ISSUER, tool_issuer_load(ca_cert, kp, ORG, &x, &why));
	assert_non_null(strstr(why.text, "is not the key of"));
	free(cp);
	free(kp);

	/* A certificate that is no CA: one the issuer made for a card. */
	{
		tool_issued c;
		FILE *out;
		X509 *card;

		assert_int_equal(TOOL_ISSUER_OK, tool_issuer_issue(iss, auth_spki, auth_len, UUID, TOOL_CERT_AUTH,
		                                                   time(NULL), &c, &why));
		card = parse(&c);
		snprintf(path, sizeof(path), "%s/card.pem", root);
		out = fopen(path, "w");
		assert_non_null(out);
		assert_int_equal(1, PEM_write_X509(out, card));
		fclose(out);
		snprintf(other_cert, sizeof(other_cert), "%s/card.key", root);
		out = fopen(other_cert, "w");
		assert_non_null(out);
		assert_int_equal(1, PEM_write_PrivateKey(out, auth_key, NULL, NULL, 0, NULL, NULL));
		fclose(out);
		assert_int_equal(TOOL_ISSUER_BAD_ISSUER, tool_issuer_load(path, other_cert, ORG, &x, &why));
		assert_non_null(strstr(why.text, "not a CA"));
		X509_free(card);
		tool_issued_free(&c);
	}

	/* An encrypted key is refused, never prompted for. */
	f = fopen(ca_key, "r");
	assert_non_null(f);
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(k);
	snprintf(path, sizeof(path), "%s/encrypted.key", root);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(1, PEM_write_PrivateKey(f, k, EVP_aes_128_cbc(), (unsigned char *)"secret", 6, NULL, NULL));
	fclose(f);
	EVP_PKEY_free(k);
	assert_int_equal(TOOL_ISSUER_UNSUPPORTED, tool_issuer_load(ca_cert, path, ORG, &x, &why));
	assert_non_null(strstr(why.text, "encrypted"));
	assert_null(x);
}

/* ---- the issuer's key on a PKCS#11 token (SoftHSM2) -------------------- */

#define SOFTHSM "/usr/lib/softhsm/libsofthsm2.so"

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void key_on_a_token(void **state)
{
	char conf[160], pin[160], wrong[160], uri[512], other[160], *cp, *kp;
	X509 *ca, *x0, *x1;
	tool_issuer *t = NULL;
	tool_issuer_why why;
	tool_issued pair[2];
	FILE *f;

	(void)state;
	if (access(SOFTHSM, R_OK) != 0 || run("command -v softhsm2-util >/dev/null") != 0)
		skip();
	snprintf(conf, sizeof(conf), "%s/softhsm2.conf", root);
	f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f, "directories.tokendir = %s/hsm\nobjectstore.backend = file\nlog.level = ERROR\n", root);
	fclose(f);
	setenv("SOFTHSM2_CONF", conf, 1);
	snprintf(pin, sizeof(pin), "%s/hsm.pin", root);
	snprintf(wrong, sizeof(wrong), "%s/wrong.pin", root);
	f = fopen(pin, "w");
	assert_non_null(f);
	fputs("1234\n", f);
	fclose(f);
	f = fopen(wrong, "w");
	assert_non_null(f);
	fputs("9999\n", f);
	fclose(f);
	snprintf(other, sizeof(other), "%s/hsm-other", root);
	assert_int_equal(TOOL_ISSUER_OK, tool_issuer_init(other, "Other", 20, time(NULL), &cp, &kp, &why));
	assert_int_equal(0, run("mkdir -p %s/hsm && softhsm2-util --init-token --free --label ra --pin 1234 "
	                        "--so-pin 12345678 >/dev/null && "
	                        "softhsm2-util --import %s --token ra --label issuer --id 01 --pin 1234 >/dev/null && "
	                        "softhsm2-util --import %s --token ra --label other --id 02 --pin 1234 >/dev/null",
	                        root, ca_key, kp));
	free(cp);
	free(kp);

	snprintf(uri, sizeof(uri), "pkcs11:token=ra;object=issuer;type=private?module-path=" SOFTHSM
	         "&pin-source=file:%s", pin);
	assert_int_equal(TOOL_ISSUER_OK, tool_issuer_load(ca_cert, uri, ORG, &t, &why));
	assert_int_equal(TOOL_ISSUER_OK, tool_issuer_issue_pair(t, auth_spki, auth_len, sign_spki, sign_len, UUID,
	                                                        at("2028-02-29T07:00:00Z"), pair, &why));
	ca = read_pem(ca_cert);
	x0 = parse(&pair[0]);
	x1 = parse(&pair[1]);
	check_common(x0, ca, "2028-02-29T07:00:00Z", "2030-02-28T07:00:00Z", auth_key);
	check_common(x1, ca, "2028-02-29T07:00:00Z", "2030-02-28T07:00:00Z", sign_key);
	assert_int_equal(KU_DIGITAL_SIGNATURE, X509_get_key_usage(x0));
	assert_int_equal(KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION, X509_get_key_usage(x1));
	check_chain(x0, ca, at("2028-03-01T00:00:00Z"), X509_PURPOSE_SSL_CLIENT, 1);
	X509_free(x0);
	X509_free(x1);
	X509_free(ca);
	tool_issued_free(&pair[0]);
	tool_issued_free(&pair[1]);
	tool_issuer_free(t);

	/* The same key by its CKA_ID. */
	snprintf(uri, sizeof(uri), "pkcs11:token=ra;id=%%01?module-path=" SOFTHSM "&pin-source=%s", pin);
	assert_int_equal(TOOL_ISSUER_OK, tool_issuer_load(ca_cert, uri, ORG, &t, &why));
	tool_issuer_free(t);

	/* Another key on the token: not the certificate's. */
	snprintf(uri, sizeof(uri), "pkcs11:token=ra;object=other?module-path=" SOFTHSM "&pin-source=file:%s", pin);
	assert_int_equal(TOOL_ISSUER_BAD_ISSUER, tool_issuer_load(ca_cert, uri, ORG, &t, &why));
	assert_non_null(strstr(why.text, "is not the key of"));
	/* No such key, no such token, no PIN, a wrong PIN, a PIN in the URI. */
	snprintf(uri, sizeof(uri), "pkcs11:token=ra;object=nokey?module-path=" SOFTHSM "&pin-source=file:%s", pin);
	assert_int_equal(TOOL_ISSUER_BAD_ISSUER, tool_issuer_load(ca_cert, uri, ORG, &t, &why));
	assert_non_null(strstr(why.text, "no EC private key"));
	snprintf(uri, sizeof(uri), "pkcs11:token=nosuch;object=issuer?module-path=" SOFTHSM "&pin-source=file:%s", pin);
	assert_int_equal(TOOL_ISSUER_BAD_ISSUER, tool_issuer_load(ca_cert, uri, ORG, &t, &why));
	assert_non_null(strstr(why.text, "no token matches"));
	assert_int_equal(TOOL_ISSUER_BAD_ISSUER,
	                 tool_issuer_load(ca_cert, "pkcs11:token=ra;object=issuer?module-path=" SOFTHSM, ORG, &t, &why));
	assert_non_null(strstr(why.text, "needs a PIN"));
	snprintf(uri, sizeof(uri), "pkcs11:token=ra;object=issuer?module-path=" SOFTHSM "&pin-source=file:%s", wrong);
	assert_int_equal(TOOL_ISSUER_BAD_ISSUER, tool_issuer_load(ca_cert, uri, ORG, &t, &why));
	assert_non_null(strstr(why.text, "login"));
	assert_int_equal(TOOL_ISSUER_BAD_ISSUER,
	                 tool_issuer_load(ca_cert, "pkcs11:token=ra;object=issuer?module-path=" SOFTHSM "&pin-value=1234",
	                                  ORG, &t, &why));
	assert_non_null(strstr(why.text, "pin-value is refused"));
	assert_int_equal(TOOL_ISSUER_BAD_ISSUER,
	                 tool_issuer_load(ca_cert, "pkcs11:token=ra;object=issuer;type=public?module-path=" SOFTHSM,
	                                  ORG, &t, &why));
	assert_int_equal(TOOL_ISSUER_BAD_ISSUER,
	                 tool_issuer_load(ca_cert, "pkcs11:object=issuer?module-path=" SOFTHSM, ORG, &t, &why));
	assert_int_equal(TOOL_ISSUER_BAD_ISSUER,
	                 tool_issuer_load(ca_cert, "pkcs11:token=ra?module-path=" SOFTHSM, ORG, &t, &why));
	assert_int_equal(TOOL_ISSUER_BAD_ISSUER,
	                 tool_issuer_load(ca_cert, "pkcs11:token=ra;object=issuer?module-path=/nonexistent.so", ORG, &t,
	                                  &why));
	assert_null(t);
	unsetenv("SOFTHSM2_CONF");
}

/* The key on a careid soft token, through the module under test. */
static void key_on_a_careid_token(void **state)
{
	const char *module = getenv("CAREID_MODULE");
	char conf[160], pin[160], uri[640];
	tool_issuer *t = NULL;
	tool_issuer_why why;
	tool_issued pair[2];
	X509 *ca, *x0;
	FILE *f;

	(void)state;
	if (module == NULL || *module != '/' || access(module, R_OK) != 0 ||
	    run("command -v pkcs11-tool >/dev/null && command -v openssl >/dev/null") != 0)
		skip();
	snprintf(conf, sizeof(conf), "%s/careid-issuer.conf", root);
	f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f, "token_dir = %s/careid-tokens\nkdf_cost = 10\ncard_readers = no\n", root);
	fclose(f);
	setenv("CAREID_CONF", conf, 1);
	snprintf(pin, sizeof(pin), "%s/careid.pin", root);
	f = fopen(pin, "w");
	assert_non_null(f);
	fputs("123456\n", f);
	fclose(f);
	assert_int_equal(0, run("p() { pkcs11-tool --module '%s' \"$@\" >/dev/null 2>&1; }; "
	                        "p --init-token --label 000000000001 --so-pin 12345678 && "
	                        "p --token-label 000000000001 --login --login-type so --so-pin 12345678 "
	                        "--init-pin --new-pin 123456 && "
	                        "openssl pkey -in '%s' -outform DER -out '%s/ra.der' && "
	                        "p --token-label 000000000001 --login --pin 123456 --write-object '%s/ra.der' "
	                        "--type privkey --id 01 --label issuer",
	                        module, ca_key, root, root));
	snprintf(uri, sizeof(uri), "pkcs11:token=000000000001;object=issuer;type=private?module-path=%s"
	         "&pin-source=file:%s", module, pin);
	assert_int_equal(TOOL_ISSUER_OK, tool_issuer_load(ca_cert, uri, ORG, &t, &why));
	assert_int_equal(TOOL_ISSUER_OK, tool_issuer_issue_pair(t, auth_spki, auth_len, sign_spki, sign_len, UUID,
	                                                        at("2027-06-30T12:00:00Z"), pair, &why));
	ca = read_pem(ca_cert);
	x0 = parse(&pair[0]);
	check_common(x0, ca, "2027-06-30T12:00:00Z", "2029-06-30T12:00:00Z", auth_key);
	X509_free(x0);
	x0 = parse(&pair[1]);
	check_common(x0, ca, "2027-06-30T12:00:00Z", "2029-06-30T12:00:00Z", sign_key);
	X509_free(x0);
	X509_free(ca);
	tool_issued_free(&pair[0]);
	tool_issued_free(&pair[1]);
	tool_issuer_free(t);
	unsetenv("CAREID_CONF");
}

static void load_from_config(void **state)
{
	char conf[160];
	tool_issuer *x;
	tool_issuer_why why;
	FILE *f;

	(void)state;
	snprintf(conf, sizeof(conf), "%s/careid.conf", root);
	f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f, "issuer_cert = %s\nissuer_key = %s\n", ca_cert, ca_key);
	fclose(f);
	setenv("CAREID_CONF", conf, 1);
	assert_int_equal(TOOL_ISSUER_NOT_CONFIGURED, tool_issuer_load_config(&x, &why));
	assert_non_null(strstr(why.text, "issuer_org"));
	f = fopen(conf, "a");
	assert_non_null(f);
	fprintf(f, "issuer_org = Another Org\n");
	fclose(f);
	assert_int_equal(TOOL_ISSUER_OK, tool_issuer_load_config(&x, &why));
	{
		tool_issued c;
		X509 *cert;
		char buf[80];

		assert_int_equal(TOOL_ISSUER_OK, tool_issuer_issue(x, auth_spki, auth_len, UUID, TOOL_CERT_AUTH,
		                                                   at("2030-01-01T00:00:00Z"), &c, &why));
		cert = parse(&c);
		X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof(buf));
		assert_string_equal("/O=Another Org/OU=people/CN=" UUID, buf);
		X509_free(cert);
		tool_issued_free(&c);
	}
	tool_issuer_free(x);
	unsetenv("CAREID_CONF");
}

/* With the argument "tokens", only the tests that keep the issuer's key on
 * a PKCS#11 token: they run other programs (softhsm2-util, pkcs11-tool,
 * openssl) and load other modules, so they are a test of their own in the
 * tool suite (tests/meson.build), away from the sanitizer and valgrind
 * passes of the unit suite. */
int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(two_calendar_years),
		cmocka_unit_test(auth_certificate),
		cmocka_unit_test(sign_certificate),
		cmocka_unit_test(serials_differ),
		cmocka_unit_test(pair_of_a_card),
		cmocka_unit_test(refused_past_the_issuer),
		cmocka_unit_test(refused_bad_uuids),
		cmocka_unit_test(refused_bad_keys),
		cmocka_unit_test(init_files),
		cmocka_unit_test(init_refusals),
		cmocka_unit_test(load_refusals),
		cmocka_unit_test(load_from_config),
	};
	const struct CMUnitTest token_tests[] = {
		cmocka_unit_test(key_on_a_token),
		cmocka_unit_test(key_on_a_careid_token),
	};
	setenv("CAREID_LOG", "none", 1);
	if (argc > 1 && strcmp(argv[1], "tokens") == 0)
		return cmocka_run_group_tests_name("issuer keys on tokens", token_tests, group_setup, group_teardown);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
