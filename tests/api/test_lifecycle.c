/* The lifecycle record through PKCS#11: with issuer_cert configured a
 * token needs a record the issuer signed; the security officer writes it
 * as a CKO_CAREID_LIFECYCLE object; the holder reads it, and the days
 * left, after login; the rules refuse logins past the access end or on a
 * cancelled token.  The issuer here is a throwaway key made with OpenSSL;
 * records are encoded with the module's own policy code. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "harness.h"
#include "careid/careid.h"
#include "policy/lifecycle.h"

#define PIN(s) (CK_UTF8CHAR_PTR)(s), (CK_ULONG)strlen(s)
#define DAY 86400
#define UUID "210987654321"

typedef struct lx {
	th_env *env;
	EVP_PKEY *key, *other;
	CK_SLOT_ID slot;
	char serial[17];
} lx;

static void write_issuer(EVP_PKEY *key, const char *path)
{
	X509 *x = X509_new();
	X509_NAME *n;
	FILE *fp;

	assert_non_null(x);
	assert_int_equal(1, X509_set_version(x, 2));
	assert_int_equal(1, ASN1_INTEGER_set(X509_get_serialNumber(x), 7));
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 20L * 365 * DAY));
	n = X509_get_subject_name(x);
	assert_int_equal(1, X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"api issuer", -1,
	                                               -1, 0));
	assert_int_equal(1, X509_set_issuer_name(x, n));
	assert_int_equal(1, X509_set_pubkey(x, key));
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(1, PEM_write_X509(fp, x));
	fclose(fp);
	X509_free(x);
}

/* A token, then the module initialised again with the issuer configured. */
static int lsetup(void **state)
{
	lx *x = calloc(1, sizeof(*x));
	char path[400];
	CK_TOKEN_INFO ti;
	FILE *f;

	if (!x || th_setup((void **)&x->env) != 0)
		return -1;
	x->slot = th_new_token(x->env, "lifecycle");
	x->key = EVP_EC_gen("P-256");
	x->other = EVP_EC_gen("P-256");
	snprintf(path, sizeof(path), "%s/issuer.pem", x->env->dir);
	write_issuer(x->key, path);
	CK(x->env->f->C_GetTokenInfo(x->slot, &ti));
	memcpy(x->serial, ti.serialNumber, 16);
	x->serial[16] = '\0';
	CK(x->env->f->C_Finalize(NULL));
	if (!(f = fopen(x->env->conf, "a")))
		return -1;
	fprintf(f, "issuer_cert = %s\n", path);
	fclose(f);
	CK(x->env->f->C_Initialize(NULL));
	x->slot = th_slot_of(x->env, "lifecycle");
	*state = x;
	return 0;
}

static int lteardown(void **state)
{
	lx *x = *state;
	void *env = x->env;

	EVP_PKEY_free(x->key);
	EVP_PKEY_free(x->other);
	free(x);
	return th_teardown(&env);
}

static cid_lifecycle standard(const lx *x, int64_t certs_end)
{
	cid_lifecycle r = { 0 };

	assert_int_equal(CKR_OK, cid_lifecycle_issue(&r, CID_CARD_STANDARD, UUID, x->serial, "ra-2",
	                                             (int64_t)time(NULL), certs_end, 0, 0)
	                             .rv);
	return r;
}

/* C_CreateObject of the record by the SO; returns its result. */
static CK_RV write_record(lx *x, const cid_lifecycle *r, EVP_PKEY *key, CK_OBJECT_HANDLE *h)
{
	CK_OBJECT_CLASS cls = CKO_CAREID_LIFECYCLE;
	CK_SESSION_HANDLE s;
	uint8_t *b = NULL, sig[128];
	size_t n = 0, slen = sizeof(sig);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	CK_RV rv;

	assert_int_equal(CKR_OK, cid_lifecycle_encode(r, &b, &n));
	assert_int_equal(1, EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key));
	assert_int_equal(1, EVP_DigestSign(ctx, sig, &slen, b, n));
	EVP_MD_CTX_free(ctx);
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_VALUE, b, n },
		{ CKA_CAREID_RECORD_SIGNATURE, sig, slen },
	};
	CK(x->env->f->C_OpenSession(x->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s));
	CK(x->env->f->C_Login(s, CKU_SO, PIN(TH_SO_PIN)));
	rv = x->env->f->C_CreateObject(s, t, 3, h);
	CK(x->env->f->C_CloseSession(s));
	free(b);
	return rv;
}

static CK_RV user_login(lx *x, CK_SESSION_HANDLE *s)
{
	CK_RV rv;

	CK(x->env->f->C_OpenSession(x->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, s));
	rv = x->env->f->C_Login(*s, CKU_USER, PIN(TH_USER_PIN));
	if (rv != CKR_OK) {
		CK(x->env->f->C_CloseSession(*s));
		*s = CK_INVALID_HANDLE;
	}
	return rv;
}

static void record_required_and_read(void **state)
{
	lx *x = *state;
	th_env *env = x->env;
	CK_OBJECT_CLASS cls = CKO_CAREID_LIFECYCLE;
	CK_ATTRIBUTE by_class = { CKA_CLASS, &cls, sizeof(cls) };
	cid_lifecycle r = standard(x, (int64_t)time(NULL) + 60 * DAY + 3600), back;
	CK_OBJECT_HANDLE h = 0, h2 = 0, found;
	CK_SESSION_HANDLE s;
	uint8_t value[512];
	CK_LONG days = 0;
	CK_ATTRIBUTE get[] = { { CKA_VALUE, value, sizeof(value) }, { CKA_CAREID_DAYS_LEFT, &days, sizeof(days) } };
	CK_ATTRIBUTE set = { CKA_LABEL, "x", 1 };

	/* No record yet, an issuer configured: the right passcode is refused. */
	assert_int_equal(CKR_FUNCTION_FAILED, user_login(x, &s));
	/* A record the issuer did not sign is refused; one it signed is kept. */
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, write_record(x, &r, x->other, &h));
	CK(write_record(x, &r, x->key, &h));
	CK(user_login(x, &s));
	found = th_find_one(env, s, &by_class, 1);
	assert_int_equal(h, found);
	CK(env->f->C_GetAttributeValue(s, h, get, 2));
	assert_int_equal(CKR_OK, cid_lifecycle_decode(value, get[0].ulValueLen, &back));
	assert_string_equal(UUID, back.uuid);
	assert_int_equal(60, days);
	/* Nobody changes, copies or destroys it. */
	assert_int_equal(CKR_ACTION_PROHIBITED, env->f->C_DestroyObject(s, h));
	assert_true(env->f->C_SetAttributeValue(s, h, &set, 1) != CKR_OK);
	assert_int_equal(CKR_ACTION_PROHIBITED, env->f->C_CopyObject(s, h, NULL, 0, &h2));
	/* The holder may write only what the issuer signed. */
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_VALUE, value, get[0].ulValueLen },
	                     { CKA_CAREID_RECORD_SIGNATURE, value, 8 } };
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, env->f->C_CreateObject(s, t, 3, &h2));
	CK(env->f->C_Logout(s));
	/* Before login it is readable, without the days left. */
	get[1].ulValueLen = sizeof(days);
	assert_int_equal(CKR_ATTRIBUTE_TYPE_INVALID, env->f->C_GetAttributeValue(s, h, get, 2));
	assert_true(get[0].ulValueLen > 0);
	CK(env->f->C_CloseSession(s));
}

static void rules_at_login(void **state)
{
	lx *x = *state;
	cid_lifecycle r = standard(x, (int64_t)time(NULL) + 700 * DAY);
	CK_OBJECT_HANDLE h, h2;
	CK_SESSION_HANDLE s;

	/* A record for another token is refused at writing. */
	strcpy(r.serial, "0123456789abcdef");
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, write_record(x, &r, x->key, &h));
	r = standard(x, (int64_t)time(NULL) + 700 * DAY);
	CK(write_record(x, &r, x->key, &h));
	CK(user_login(x, &s));
	CK(x->env->f->C_CloseSession(s));
	/* A contractor whose end has passed: the same object, a new record. */
	cid_lifecycle c = r;
	c.kind = CID_CARD_CONTRACTOR;
	c.access_end = (int64_t)time(NULL) - 1;
	c.seq = 9;
	CK(write_record(x, &c, x->key, &h2));
	assert_int_equal(h, h2);
	assert_int_equal(CKR_PIN_EXPIRED, user_login(x, &s));
	/* Cancelled: every login refused, the SO's too, so that no later
	 * record can lift it (a new card is C_InitToken). */
	cid_lifecycle_cancelled(&r);
	CK(write_record(x, &r, x->key, &h2));
	assert_int_equal(CKR_PIN_LOCKED, user_login(x, &s));
	CK(x->env->f->C_OpenSession(x->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s));
	assert_int_equal(CKR_PIN_LOCKED, x->env->f->C_Login(s, CKU_SO, PIN(TH_SO_PIN)));
	CK(x->env->f->C_CloseSession(s));
}

static CK_CAREID_FUNCTION_LIST *vendor(th_env *env)
{
	CK_INTERFACE *i = NULL;

	CK(env->f->C_GetInterface((CK_UTF8CHAR_PTR)CAREID_INTERFACE_NAME, NULL, &i, 0));
	return i->pFunctionList;
}

static CK_RV issue_code(lx *x, const char *code)
{
	CK_SESSION_HANDLE s;
	CK_RV rv;

	CK(x->env->f->C_OpenSession(x->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s));
	CK(x->env->f->C_Login(s, CKU_SO, PIN(TH_SO_PIN)));
	rv = vendor(x->env)->C_CareidIssueUnlockCode(s, (CK_UTF8CHAR_PTR)code, strlen(code));
	CK(x->env->f->C_CloseSession(s));
	return rv;
}

/* P4: no unlock code for a token whose certificates have ended (repair,
 * P9) or that is cancelled; one for a token in good standing, once. */
static void unlock_codes_follow_the_record(void **state)
{
	lx *x = *state;
	cid_lifecycle r = standard(x, (int64_t)time(NULL) - DAY);
	CK_OBJECT_HANDLE h;
	CK_SESSION_HANDLE s;
	static const char code[] = "ABCDEFGHIJKLMNOP";

	/* No record and an issuer: refused. */
	assert_int_equal(CKR_FUNCTION_REJECTED, issue_code(x, code));
	CK(write_record(x, &r, x->key, &h));
	assert_int_equal(CKR_FUNCTION_REJECTED, issue_code(x, code));
	r = standard(x, (int64_t)time(NULL) + 300 * DAY);
	r.seq = 5;
	CK(write_record(x, &r, x->key, &h));
	assert_int_equal(CKR_PIN_INVALID, issue_code(x, "abcdefghijklmnop"));
	assert_int_equal(CKR_PIN_LEN_RANGE, issue_code(x, "ABCDEFGH"));
	CK(issue_code(x, code));
	CK(x->env->f->C_OpenSession(x->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s));
	CK(vendor(x->env)->C_CareidUnlock(s, (CK_UTF8CHAR_PTR)code, 16, (CK_UTF8CHAR_PTR) "135790", 6));
	assert_int_equal(CKR_PIN_EXPIRED,
	                 vendor(x->env)->C_CareidUnlock(s, (CK_UTF8CHAR_PTR)code, 16, (CK_UTF8CHAR_PTR) "246801", 6));
	CK(x->env->f->C_Login(s, CKU_USER, PIN("135790")));
	CK(x->env->f->C_CloseSession(s));
	/* Past its access end: refused again. */
	r.kind = CID_CARD_CONTRACTOR;
	r.access_end = (int64_t)time(NULL) - 1;
	r.seq = 6;
	CK(write_record(x, &r, x->key, &h));
	assert_int_equal(CKR_FUNCTION_REJECTED, issue_code(x, code));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(record_required_and_read, lsetup, lteardown),
		cmocka_unit_test_setup_teardown(rules_at_login, lsetup, lteardown),
		cmocka_unit_test_setup_teardown(unlock_codes_follow_the_record, lsetup, lteardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
