/* Cryptography tests of the careid card test: RSA and EC signatures with
 * every mechanism offered, context-specific login, RSA decryption, the
 * card administrator refused and then generating a key and writing its
 * certificate, and ECDH with that key. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>
#include <openssl/x509.h>

#include "../api/th_ossl.h"
#include "card_crypto_tests.h"
#include "card_fixture.h"
#include "card_sign.h"
#include "careid/careid.h"

/* The fresh card's administrator key (docs/vcard.md). */
static const CK_BYTE admin_key[24] = { 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8 };

static const CK_BYTE oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };

void test_sign_rsa(void **state)
{
	static const CK_MECHANISM_TYPE all[] = {
		CKM_RSA_PKCS, CKM_SHA1_RSA_PKCS, CKM_SHA224_RSA_PKCS, CKM_SHA256_RSA_PKCS, CKM_SHA384_RSA_PKCS,
		CKM_SHA512_RSA_PKCS, CKM_RSA_PKCS_PSS, CKM_SHA1_RSA_PKCS_PSS, CKM_SHA224_RSA_PKCS_PSS,
		CKM_SHA256_RSA_PKCS_PSS, CKM_SHA384_RSA_PKCS_PSS, CKM_SHA512_RSA_PKCS_PSS, CKM_RSA_X_509,
	};
	static const CK_MECHANISM_TYPE req[] = { CKM_RSA_PKCS, CKM_SHA256_RSA_PKCS, CKM_RSA_PKCS_PSS,
		                                 CKM_SHA256_RSA_PKCS_PSS };
	EVP_PKEY *pk = cert_key(1);
	CK_SESSION_HANDLE s = user_session(false);

	(void)state;
	sign_all(s, find_one(s, CKO_PRIVATE_KEY, 1), pk, false, all, sizeof(all) / sizeof(all[0]), req,
	         sizeof(req) / sizeof(req[0]));
	EVP_PKEY_free(pk);
}

/* 9C wants the passcode before each signature (CKA_ALWAYS_AUTHENTICATE). */
void test_sign_ec(void **state)
{
	static const CK_MECHANISM_TYPE all[] = { CKM_ECDSA, CKM_ECDSA_SHA1, CKM_ECDSA_SHA224, CKM_ECDSA_SHA256,
		                                 CKM_ECDSA_SHA384, CKM_ECDSA_SHA512 };
	static const CK_MECHANISM_TYPE req[] = { CKM_ECDSA, CKM_ECDSA_SHA256 };
	EVP_PKEY *pk = cert_key(2);
	CK_SESSION_HANDLE s = user_session(false);

	(void)state;
	sign_all(s, find_one(s, CKO_PRIVATE_KEY, 2), pk, true, all, sizeof(all) / sizeof(all[0]), req,
	         sizeof(req) / sizeof(req[0]));
	EVP_PKEY_free(pk);
}

void test_always_authenticate(void **state)
{
	CK_MECHANISM m = { CKM_ECDSA_SHA256, NULL, 0 }, rsa = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	EVP_PKEY *pk = cert_key(2);
	CK_SESSION_HANDLE s = user_session(false);
	CK_OBJECT_HANDLE k9c = find_one(s, CKO_PRIVATE_KEY, 2), k9a = find_one(s, CKO_PRIVATE_KEY, 1);
	CK_BYTE sig[512];
	CK_ULONG siglen = sizeof(sig);

	(void)state;
	assert_true(attr_bool(s, k9c, CKA_ALWAYS_AUTHENTICATE));
	/* A context-specific login with no operation waiting for it. */
	expect_rv(CKR_OPERATION_NOT_INITIALIZED, card_login(s, CKU_CONTEXT_SPECIFIC, USER_PIN),
	          "context-specific login without an operation");
	CK(F->C_SignInit(s, &m, k9c));
	expect_rv(CKR_USER_NOT_LOGGED_IN, F->C_Sign(s, (CK_BYTE_PTR)card_msg, sizeof(card_msg), sig, &siglen),
	          "C_Sign with 9C without context-specific login");
	/* The operation waits for the login, as on soft tokens
	 * (tests/api/test_sign.c). */
	CK(card_login(s, CKU_CONTEXT_SPECIFIC, USER_PIN));
	siglen = sizeof(sig);
	CK(F->C_Sign(s, (CK_BYTE_PTR)card_msg, sizeof(card_msg), sig, &siglen));
	assert_true(tho_verify(pk, &m, card_msg, sizeof(card_msg), sig, siglen));
	/* The context-specific login was for that one signature. */
	siglen = sizeof(sig);
	CK(F->C_SignInit(s, &m, k9c));
	expect_rv(CKR_USER_NOT_LOGGED_IN, F->C_Sign(s, (CK_BYTE_PTR)card_msg, sizeof(card_msg), sig, &siglen),
	          "second C_Sign with 9C after one context-specific login");
	CK(F->C_SignInit(s, NULL, CK_INVALID_HANDLE));
	siglen = sizeof(sig);
	CK(card_sign(s, k9c, &m, true, card_msg, sizeof(card_msg), sig, &siglen));
	assert_true(tho_verify(pk, &m, card_msg, sizeof(card_msg), sig, siglen));
	/* 9A signs on the session login alone, as often as asked. */
	assert_false(attr_bool(s, k9a, CKA_ALWAYS_AUTHENTICATE));
	for (int i = 0; i < 2; i++) {
		siglen = sizeof(sig);
		CK(card_sign(s, k9a, &rsa, false, card_msg, sizeof(card_msg), sig, &siglen));
	}
	EVP_PKEY_free(pk);
}

static size_t ossl_encrypt(EVP_PKEY *pk, const CK_MECHANISM *m, const CK_BYTE *in, size_t inlen, CK_BYTE *out)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(pk, NULL);
	size_t outlen = 512;
	int ok;

	assert_non_null(c);
	ok = EVP_PKEY_encrypt_init(c) == 1;
	if (ok && m->mechanism == CKM_RSA_PKCS)
		ok = EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1;
	if (ok && m->mechanism == CKM_RSA_X_509)
		ok = EVP_PKEY_CTX_set_rsa_padding(c, RSA_NO_PADDING) == 1;
	if (ok && m->mechanism == CKM_RSA_PKCS_OAEP) {
		const CK_RSA_PKCS_OAEP_PARAMS *p = m->pParameter;

		ok = EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_rsa_oaep_md(c, tho_md(p->hashAlg)) == 1 &&
		     EVP_PKEY_CTX_set_rsa_mgf1_md(c, tho_mgf_md(p->mgf)) == 1;
		if (ok && p->ulSourceDataLen > 0)
			ok = EVP_PKEY_CTX_set0_rsa_oaep_label(
				     c, OPENSSL_memdup(p->pSourceData, p->ulSourceDataLen),
				     (int)p->ulSourceDataLen) == 1;
	}
	ok = ok && EVP_PKEY_encrypt(c, out, &outlen, in, inlen) == 1;
	EVP_PKEY_CTX_free(c);
	assert_true(ok);
	return outlen;
}

void test_decrypt_rsa(void **state)
{
	static CK_BYTE label[] = "careid";
	CK_RSA_PKCS_OAEP_PARAMS sha1 = { CKM_SHA_1, CKG_MGF1_SHA1, CKZ_DATA_SPECIFIED, NULL, 0 };
	CK_RSA_PKCS_OAEP_PARAMS sha256 = { CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, label,
		                           sizeof(label) - 1 };
	CK_MECHANISM mechs[] = {
		{ CKM_RSA_PKCS, NULL, 0 },
		{ CKM_RSA_PKCS_OAEP, &sha1, sizeof(sha1) },
		{ CKM_RSA_PKCS_OAEP, &sha256, sizeof(sha256) },
		{ CKM_RSA_X_509, NULL, 0 },
	};
	EVP_PKEY *pk = cert_key(1);
	CK_SESSION_HANDLE s = user_session(false);
	CK_OBJECT_HANDLE key = find_one(s, CKO_PRIVATE_KEY, 1);
	size_t modlen = (size_t)EVP_PKEY_get_size(pk);

	(void)state;
	assert_true(attr_bool(s, key, CKA_DECRYPT));
	for (size_t i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++) {
		CK_BYTE pt[512], ct[512], out[512];
		size_t ptlen = 32, ctlen;
		CK_ULONG outlen = 0;
		CK_RV rv;

		if (mechs[i].mechanism == CKM_RSA_X_509 && !offered(CKM_RSA_X_509, CKF_DECRYPT))
			continue;
		if (!offered(mechs[i].mechanism, CKF_DECRYPT))
			fail_msg("%s is not offered for decryption", mech_name(mechs[i].mechanism));
		assert_int_equal(1, RAND_bytes(pt, sizeof(pt)));
		if (mechs[i].mechanism == CKM_RSA_X_509) {
			ptlen = modlen;
			pt[0] = 0;  /* below the modulus */
		}
		ctlen = ossl_encrypt(pk, &mechs[i], pt, ptlen, ct);
		rv = F->C_DecryptInit(s, &mechs[i], key);
		if (rv == CKR_OK)
			rv = F->C_Decrypt(s, ct, ctlen, NULL, &outlen);
		if (rv == CKR_OK && outlen > sizeof(out))
			rv = CKR_BUFFER_TOO_SMALL;
		if (rv == CKR_OK)
			rv = F->C_Decrypt(s, ct, ctlen, out, &outlen);
		if (rv != CKR_OK)
			fail_msg("decrypt #%zu with %s: 0x%lx", i + 1, mech_name(mechs[i].mechanism), rv);
		assert_int_equal(ptlen, outlen);
		assert_memory_equal(pt, out, ptlen);
	}
	EVP_PKEY_free(pk);
}

void test_admin_refused(void **state)
{
	CK_BYTE wrong[24];
	CK_BBOOL yes = CK_TRUE;
	CK_BYTE id = 3;
	CK_ATTRIBUTE pubt[] = { { CKA_TOKEN, &yes, 1 }, { CKA_EC_PARAMS, (void *)oid_p256, sizeof(oid_p256) },
		                { CKA_ID, &id, 1 } };
	CK_ATTRIBUTE privt[] = { { CKA_TOKEN, &yes, 1 }, { CKA_PRIVATE, &yes, 1 }, { CKA_ID, &id, 1 },
		                 { CKA_SIGN, &yes, 1 } };
	CK_MECHANISM gen = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_OBJECT_HANDLE pub = 0, priv = 0, h[4];
	CK_SESSION_HANDLE ro, s;
	CK_RV rv;

	(void)state;
	memcpy(wrong, admin_key, sizeof(wrong));
	/* Not bit 0: 3DES ignores the parity bits. */
	wrong[23] ^= 0x02;
	ro = open_session(false);
	s = open_session(true);
	CK(card_login(s, CKU_USER, USER_PIN));
	expect_rv(CKR_SESSION_READ_ONLY, F->C_Login(ro, CKU_CAREID_CARD_ADMIN, (CK_UTF8CHAR_PTR)admin_key, 24),
	          "administrator login in a read-only session");
	expect_rv(CKR_PIN_INCORRECT, F->C_Login(s, CKU_CAREID_CARD_ADMIN, wrong, 24), "wrong administrator key");
	rv = F->C_Login(s, CKU_CAREID_CARD_ADMIN, wrong, 10);
	if (rv != CKR_PIN_LEN_RANGE && rv != CKR_PIN_INCORRECT)
		fail_msg("administrator key of 10 bytes: 0x%lx", rv);
	/* Without the administrator, the card generates and writes nothing. */
	expect_rv(CKR_USER_NOT_LOGGED_IN, F->C_GenerateKeyPair(s, &gen, pubt, 3, privt, 4, &pub, &priv),
	          "C_GenerateKeyPair without the administrator");
	assert_int_equal(0, card_find(s, CKO_PRIVATE_KEY, 3, h, 4));
	assert_int_equal(0, card_find(s, CKO_PUBLIC_KEY, 3, h, 4));
}

static CK_BYTE *make_cert(EVP_PKEY *pub, size_t *len, CK_BYTE **subj, size_t *subjlen)
{
	EVP_PKEY *ca = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n;
	unsigned char *der = NULL, *sd = NULL;
	int dl, sl;

	assert_non_null(ca);
	assert_non_null(x);
	assert_int_equal(1, X509_set_version(x, X509_VERSION_3));
	assert_int_equal(1, ASN1_INTEGER_set(X509_get_serialNumber(x), 0x9d));
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 730L * 86400));
	n = X509_get_subject_name(x);
	assert_int_equal(1, X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"careid", -1, -1, 0));
	assert_int_equal(1, X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_ASC, (const unsigned char *)"people", -1, -1, 0));
	assert_int_equal(1, X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)card_g.uuid, -1, -1, 0));
	n = X509_get_issuer_name(x);
	assert_int_equal(1, X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	                                               (const unsigned char *)"careid card test issuer", -1, -1, 0));
	assert_int_equal(1, X509_set_pubkey(x, pub));
	assert_true(X509_sign(x, ca, EVP_sha256()) > 0);
	dl = i2d_X509(x, &der);
	sl = i2d_X509_NAME(X509_get_subject_name(x), &sd);
	assert_true(dl > 0 && sl > 0);
	X509_free(x);
	EVP_PKEY_free(ca);
	*len = (size_t)dl;
	*subjlen = (size_t)sl;
	*subj = sd;
	return der;
}

static void sign_and_check(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv, EVP_PKEY *pk)
{
	CK_MECHANISM m = { CKM_ECDSA_SHA256, NULL, 0 };
	CK_BYTE sig[128];
	CK_ULONG siglen = sizeof(sig);

	CK(card_sign(s, priv, &m, false, card_msg, sizeof(card_msg), sig, &siglen));
	assert_int_equal(64, siglen);
	assert_true(tho_verify(pk, &m, card_msg, sizeof(card_msg), sig, siglen));
}

/* Whether the card's state file holds the certificate in object 5FC10B
 * (key 9D): the card, not the module's cache, has it. */
static bool card_holds_cert(const CK_BYTE *der, size_t len)
{
	char *v = state_line("obj 5fc10b"), *hex = malloc(2 * len + 1);
	bool found;

	assert_non_null(hex);
	for (size_t i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", der[i]);
	found = v != NULL && strstr(v, hex) != NULL;
	free(v);
	free(hex);
	return found;
}

static void expect_cert(CK_SESSION_HANDLE s, const CK_BYTE *der, size_t len, const char *when)
{
	CK_OBJECT_HANDLE h[4];
	CK_ULONG n = card_find(s, CKO_CERTIFICATE, 3, h, 4), got = 0;
	CK_BYTE *v;

	if (n != 1)
		fail_msg("%s: %lu certificates with CKA_ID 03, expected 1", when, n);
	v = tho_attr(&card_g.env, s, h[0], CKA_VALUE, &got);
	if (got != len || memcmp(v, der, len) != 0)
		fail_msg("%s: the certificate read back differs from the one written", when);
	free(v);
}

/* The administrator generates a P-256 key in 9D (CKA_ID 03) and writes
 * its certificate, which the card keeps. */
void test_admin_keygen_and_cert(void **state)
{
	CK_BBOOL yes = CK_TRUE;
	CK_BYTE id = 3;
	CK_ATTRIBUTE pubt[] = { { CKA_TOKEN, &yes, 1 }, { CKA_EC_PARAMS, (void *)oid_p256, sizeof(oid_p256) },
		                { CKA_ID, &id, 1 }, { CKA_VERIFY, &yes, 1 } };
	CK_ATTRIBUTE privt[] = { { CKA_TOKEN, &yes, 1 }, { CKA_PRIVATE, &yes, 1 }, { CKA_SENSITIVE, &yes, 1 },
		                 { CKA_ID, &id, 1 },     { CKA_SIGN, &yes, 1 },    { CKA_DERIVE, &yes, 1 } };
	CK_MECHANISM gen = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_OBJECT_CLASS cc = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ct = CKC_X_509;
	CK_OBJECT_HANDLE pub = 0, priv = 0, cert = 0, h[8];
	CK_SESSION_HANDLE s;
	CK_BYTE *der, *subj;
	size_t derlen, subjlen;
	EVP_PKEY *pk;
	X509 *x;

	(void)state;
	s = open_session(true);
	CK(card_login(s, CKU_USER, USER_PIN));
	CK(F->C_Login(s, CKU_CAREID_CARD_ADMIN, (CK_UTF8CHAR_PTR)admin_key, sizeof(admin_key)));
	CK(F->C_GenerateKeyPair(s, &gen, pubt, 4, privt, 6, &pub, &priv));
	assert_int_equal(0x9d, attr_byte(s, priv, CKA_CAREID_KEY_REF));
	assert_int_equal(3, attr_byte(s, priv, CKA_ID));
	assert_int_equal(3, attr_byte(s, pub, CKA_ID));
	assert_true(attr_bool(s, priv, CKA_LOCAL));
	assert_false(attr_bool(s, priv, CKA_ALWAYS_AUTHENTICATE));
	assert_int_equal(CKK_EC, tho_ulong(&card_g.env, s, priv, CKA_KEY_TYPE));
	assert_int_equal(priv, find_one(s, CKO_PRIVATE_KEY, 3));
	pk = tho_pubkey(&card_g.env, s, pub);
	sign_and_check(s, priv, pk);

	der = make_cert(pk, &derlen, &subj, &subjlen);
	{
		CK_ATTRIBUTE t[] = { { CKA_CLASS, &cc, sizeof(cc) },   { CKA_CERTIFICATE_TYPE, &ct, sizeof(ct) },
			             { CKA_TOKEN, &yes, 1 },            { CKA_ID, &id, 1 },
			             { CKA_SUBJECT, subj, subjlen },    { CKA_VALUE, der, derlen } };

		CK(F->C_CreateObject(s, t, 6, &cert));
	}
	expect_cert(s, der, derlen, "right after C_CreateObject");
	assert_int_equal(3, card_find(s, CKO_CERTIFICATE, -1, h, 8));
	assert_true(card_holds_cert(der, derlen));
	CK(F->C_CloseSession(s));

	remove_card();
	insert_card();
	s = open_session(false);
	expect_cert(s, der, derlen, "after re-insertion");
	CK(F->C_CloseSession(s));

	/* A new module instance has no cache: it reads the card, and finds
	 * the key through its certificate. */
	CK(F->C_Finalize(NULL));
	CK(F->C_Initialize(&card_init_args));
	card_g.slot = find_card_slot();
	s = user_session(false);
	expect_cert(s, der, derlen, "after C_Finalize and C_Initialize");
	x = cert_of(s, find_one(s, CKO_CERTIFICATE, 3));
	EVP_PKEY_free(pk);
	pk = X509_get_pubkey(x);
	X509_free(x);
	priv = find_one(s, CKO_PRIVATE_KEY, 3);
	assert_int_equal(0x9d, attr_byte(s, priv, CKA_CAREID_KEY_REF));
	sign_and_check(s, priv, pk);

	EVP_PKEY_free(pk);
	OPENSSL_free(der);
	OPENSSL_free(subj);
}

/* ECDH on the card with the key generated in 9D, against OpenSSL. */
void test_ecdh_derive(void **state)
{
	CK_SESSION_HANDLE s = user_session(false);
	CK_OBJECT_HANDLE priv = find_one(s, CKO_PRIVATE_KEY, 3), secret = 0;
	CK_OBJECT_CLASS sc = CKO_SECRET_KEY;
	CK_KEY_TYPE gk = CKK_GENERIC_SECRET;
	CK_ULONG vlen = 32, klen = 0;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &sc, sizeof(sc) },      { CKA_KEY_TYPE, &gk, sizeof(gk) },
		             { CKA_VALUE_LEN, &vlen, sizeof(vlen) }, { CKA_TOKEN, &no, 1 },
		             { CKA_SENSITIVE, &no, 1 },           { CKA_EXTRACTABLE, &yes, 1 } };
	CK_BYTE point[133], want[66], *got;
	size_t plen = 0, wlen = sizeof(want);
	CK_ECDH1_DERIVE_PARAMS p = { CKD_NULL, 0, NULL, 0, point };
	CK_MECHANISM m = { CKM_ECDH1_DERIVE, &p, sizeof(p) };
	EVP_PKEY *card = cert_key(3), *eph = EVP_EC_gen("P-256");
	EVP_PKEY_CTX *c;

	(void)state;
	if (!offered(CKM_ECDH1_DERIVE, CKF_DERIVE))
		fail_msg("CKM_ECDH1_DERIVE is not offered for derivation");
	assert_true(attr_bool(s, priv, CKA_DERIVE));
	/* The two halves of an EC key pair agree. */
	assert_true(attr_bool(s, find_one(s, CKO_PUBLIC_KEY, 3), CKA_DERIVE));
	assert_true(attr_bool(s, find_one(s, CKO_PUBLIC_KEY, 2), CKA_DERIVE));
	assert_true(attr_bool(s, find_one(s, CKO_PRIVATE_KEY, 2), CKA_DERIVE));
	assert_non_null(eph);
	assert_int_equal(1, EVP_PKEY_get_octet_string_param(eph, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
	                                                    sizeof(point), &plen));
	p.ulPublicDataLen = (CK_ULONG)plen;
	c = EVP_PKEY_CTX_new(eph, NULL);
	assert_non_null(c);
	assert_int_equal(1, EVP_PKEY_derive_init(c));
	assert_int_equal(1, EVP_PKEY_derive_set_peer(c, card));
	assert_int_equal(1, EVP_PKEY_derive(c, want, &wlen));
	EVP_PKEY_CTX_free(c);

	CK(F->C_DeriveKey(s, &m, priv, t, sizeof(t) / sizeof(t[0]), &secret));
	got = tho_attr(&card_g.env, s, secret, CKA_VALUE, &klen);
	assert_int_equal(wlen, klen);
	assert_memory_equal(want, got, wlen);
	free(got);
	EVP_PKEY_free(eph);
	EVP_PKEY_free(card);
}
