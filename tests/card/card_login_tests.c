/* Token, object and passcode tests of the careid card test: token info,
 * the card's objects, a cold listing that costs no APDU, user login, a
 * reset by another program, malformed passcodes, lockout, unblock by the
 * SO and passcode change. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "../api/th_ossl.h"
#include "card_fixture.h"
#include "card_login_tests.h"
#include "careid/careid.h"

static void pad_cmp(const CK_UTF8CHAR *field, size_t n, const char *want, const char *what)
{
	char exp[64];

	memset(exp, ' ', n);
	memcpy(exp, want, strlen(want));
	if (memcmp(field, exp, n) != 0)
		fail_msg("%s is '%.*s', expected '%s'", what, (int)n, (const char *)field, want);
}

void test_token_info(void **state)
{
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	const CK_FLAGS must = CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED | CKF_LOGIN_REQUIRED;
	const char *reader = getenv("CAREID_READER");

	(void)state;
	CK(F->C_GetSlotInfo(card_g.slot, &si));
	assert_true(si.flags & CKF_HW_SLOT);
	if (reader != NULL && memmem(si.slotDescription, sizeof(si.slotDescription), reader, strlen(reader)) == NULL)
		fail_msg("slot description '%.64s' does not name reader '%s'", (const char *)si.slotDescription,
		         reader);
	CK(F->C_GetTokenInfo(card_g.slot, &ti));
	/* P13: the token is labelled with the holder's UUID. */
	pad_cmp(ti.label, sizeof(ti.label), card_g.uuid, "token label");
	pad_cmp(ti.serialNumber, sizeof(ti.serialNumber), card_g.serial, "token serial");
	assert_int_equal(6, ti.ulMinPinLen);
	assert_int_equal(8, ti.ulMaxPinLen);
	if ((ti.flags & must) != must)
		fail_msg("token flags 0x%lx lack 0x%lx", ti.flags, must & ~ti.flags);
	assert_false(ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH);
	assert_int_equal(0, ti.flags & PIN_FLAGS);
	/* C_GenerateRandom works on the card's sessions: the token says so. */
	assert_true(ti.flags & CKF_RNG);
}

/* The card slot lists what the card does: no Edwards curves (PIV has
 * none), the private-key operations marked as the card's own (CKF_HW), and
 * digests, which the host computes, not. */
void test_card_mechanisms(void **state)
{
	CK_MECHANISM_TYPE list[64];
	CK_ULONG n = 0;
	CK_MECHANISM_INFO mi;
	bool ecdsa = false, rsa = false;

	(void)state;
	CK(F->C_GetMechanismList(card_g.slot, NULL, &n));
	assert_true(n > 0 && n <= 64);
	CK(F->C_GetMechanismList(card_g.slot, list, &n));
	for (CK_ULONG i = 0; i < n; i++) {
		if (list[i] == CKM_EDDSA || list[i] == CKM_EC_EDWARDS_KEY_PAIR_GEN)
			fail_msg("card slot lists mechanism 0x%lx, which the card cannot do", list[i]);
		ecdsa = ecdsa || list[i] == CKM_ECDSA;
		rsa = rsa || list[i] == CKM_SHA256_RSA_PKCS;
	}
	assert_true(ecdsa && rsa);
	assert_int_equal(CKR_MECHANISM_INVALID, F->C_GetMechanismInfo(card_g.slot, CKM_EDDSA, &mi));
	CK(F->C_GetMechanismInfo(card_g.slot, CKM_ECDSA, &mi));
	assert_true(mi.flags & CKF_HW);
	assert_true(mi.flags & CKF_SIGN);
	CK(F->C_GetMechanismInfo(card_g.slot, CKM_RSA_PKCS_KEY_PAIR_GEN, &mi));
	assert_true(mi.flags & CKF_HW);
	CK(F->C_GetMechanismInfo(card_g.slot, CKM_SHA256, &mi));
	assert_false(mi.flags & CKF_HW);
}

void test_objects(void **state)
{
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE h[8];
	static const struct {
		int id;
		CK_BYTE ref;
		CK_KEY_TYPE kt;
		int bits;
		bool always;
	} want[] = { { 1, 0x9a, CKK_RSA, 2048, false }, { 2, 0x9c, CKK_EC, 256, true } };

	(void)state;
	s = open_session(false);
	assert_int_equal(2, card_find(s, CKO_CERTIFICATE, -1, h, 8));
	/* Private keys are private objects: invisible before login. */
	assert_int_equal(0, card_find(s, CKO_PRIVATE_KEY, -1, h, 8));
	CK(card_login(s, CKU_USER, USER_PIN));
	assert_int_equal(2, card_find(s, CKO_PRIVATE_KEY, -1, h, 8));
	assert_int_equal(2, card_find(s, CKO_PUBLIC_KEY, -1, h, 8));

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		CK_OBJECT_HANDLE c = find_one(s, CKO_CERTIFICATE, want[i].id);
		CK_OBJECT_HANDLE pub = find_one(s, CKO_PUBLIC_KEY, want[i].id);
		CK_OBJECT_HANDLE priv = find_one(s, CKO_PRIVATE_KEY, want[i].id);
		X509 *x = cert_of(s, c);
		EVP_PKEY *pk = X509_get_pubkey(x), *ppk = tho_pubkey(&card_g.env, s, pub);
		unsigned char *subj = NULL;
		int subjlen = i2d_X509_NAME(X509_get_subject_name(x), &subj);
		CK_BYTE start[8], end[8], value[1] = { 0 };
		CK_ATTRIBUTE a[] = { { CKA_SUBJECT, NULL, 0 }, { CKA_START_DATE, start, sizeof(start) },
			             { CKA_END_DATE, end, sizeof(end) } };
		CK_ATTRIBUTE secret = { want[i].kt == CKK_RSA ? CKA_PRIVATE_EXPONENT : CKA_VALUE, value,
			                sizeof(value) };
		char cn[64] = "", date[9];
		struct tm tm;

		assert_non_null(pk);
		assert_int_equal(want[i].kt == CKK_RSA ? EVP_PKEY_RSA : EVP_PKEY_EC, EVP_PKEY_get_base_id(pk));
		assert_int_equal(want[i].bits, EVP_PKEY_get_bits(pk));
		X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn));
		assert_string_equal(card_g.uuid, cn);
		assert_int_equal(CKC_X_509, tho_ulong(&card_g.env, s, c, CKA_CERTIFICATE_TYPE));

		/* CKA_SUBJECT, CKA_START_DATE and CKA_END_DATE as the
		 * certificate has them. */
		CK(F->C_GetAttributeValue(s, c, a, 3));
		assert_true(subjlen > 0);
		assert_int_equal(subjlen, a[0].ulValueLen);
		assert_int_equal(8, a[1].ulValueLen);
		assert_int_equal(8, a[2].ulValueLen);
		a[0].pValue = malloc(a[0].ulValueLen);
		CK(F->C_GetAttributeValue(s, c, a, 1));
		assert_memory_equal(subj, a[0].pValue, (size_t)subjlen);
		free(a[0].pValue);
		OPENSSL_free(subj);
		assert_int_equal(1, ASN1_TIME_to_tm(X509_get0_notBefore(x), &tm));
		strftime(date, sizeof(date), "%Y%m%d", &tm);
		assert_memory_equal(date, start, 8);
		assert_int_equal(1, ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm));
		strftime(date, sizeof(date), "%Y%m%d", &tm);
		assert_memory_equal(date, end, 8);

		/* Public and private key paired with the certificate by CKA_ID. */
		assert_int_equal(want[i].kt, tho_ulong(&card_g.env, s, pub, CKA_KEY_TYPE));
		assert_int_equal(want[i].kt, tho_ulong(&card_g.env, s, priv, CKA_KEY_TYPE));
		assert_int_equal(1, EVP_PKEY_eq(pk, ppk));
		assert_int_equal(want[i].ref, attr_byte(s, priv, CKA_CAREID_KEY_REF));
		assert_true(attr_bool(s, priv, CKA_TOKEN));
		assert_true(attr_bool(s, priv, CKA_PRIVATE));
		assert_true(attr_bool(s, priv, CKA_SIGN));
		assert_true(attr_bool(s, priv, CKA_SENSITIVE));
		assert_false(attr_bool(s, priv, CKA_EXTRACTABLE));
		assert_int_equal(want[i].always, attr_bool(s, priv, CKA_ALWAYS_AUTHENTICATE));
		assert_int_equal(CKR_ATTRIBUTE_SENSITIVE, F->C_GetAttributeValue(s, priv, &secret, 1));
		if (want[i].kt == CKK_RSA)
			assert_int_equal(want[i].bits, tho_ulong(&card_g.env, s, pub, CKA_MODULUS_BITS));
		EVP_PKEY_free(pk);
		EVP_PKEY_free(ppk);
		X509_free(x);
	}
	CK(F->C_Logout(s));
	assert_int_equal(0, card_find(s, CKO_PRIVATE_KEY, -1, h, 8));
}

/* The card's contents are read once: listing certificates again in a new
 * session costs no APDU. */
void test_cold_listing(void **state)
{
	CK_OBJECT_HANDLE h[8];
	CK_SESSION_HANDLE s;
	CK_ULONG len;
	long before, after;

	(void)state;
	s = open_session(false);
	assert_int_equal(2, card_find(s, CKO_CERTIFICATE, -1, h, 8));
	CK(F->C_CloseSession(s));
	before = apdu_count();
	assert_true(before > 0);

	s = open_session(false);
	assert_int_equal(2, card_find(s, CKO_CERTIFICATE, -1, h, 8));
	for (int i = 0; i < 2; i++)
		free(tho_attr(&card_g.env, s, h[i], CKA_VALUE, &len));
	CK(F->C_CloseSession(s));
	after = apdu_count();
	if (after != before)
		fail_msg("the second certificate listing sent %ld APDUs to the card", after - before);
}

void test_login_user(void **state)
{
	CK_SESSION_HANDLE s;
	CK_SESSION_INFO si;

	(void)state;
	s = open_session(false);
	CK(F->C_GetSessionInfo(s, &si));
	assert_int_equal(CKS_RO_PUBLIC_SESSION, si.state);
	CK(card_login(s, CKU_USER, USER_PIN));
	CK(F->C_GetSessionInfo(s, &si));
	assert_int_equal(CKS_RO_USER_FUNCTIONS, si.state);
	expect_rv(CKR_USER_ALREADY_LOGGED_IN, card_login(s, CKU_USER, USER_PIN), "second C_Login");
	CK(F->C_Logout(s));
	CK(F->C_GetSessionInfo(s, &si));
	assert_int_equal(CKS_RO_PUBLIC_SESSION, si.state);
}

/* Another program resets the card under a logged-in session: the card
 * forgets the passcode, so the session must stop claiming a user login,
 * and logging in again must work rather than say "already logged in". */
void test_reset_elsewhere(void **state)
{
	CK_SESSION_HANDLE s;
	CK_SESSION_INFO si;

	(void)state;
	s = user_session(false);
	CK(F->C_GetSessionInfo(s, &si));
	assert_int_equal(CKS_RO_USER_FUNCTIONS, si.state);
	if (system("opensc-tool -r 0 --reset >/dev/null 2>&1") != 0)
		fail_msg("opensc-tool could not reset the card");
	CK(F->C_GetSessionInfo(s, &si));
	assert_int_equal(CKS_RO_PUBLIC_SESSION, si.state);
	CK(card_login(s, CKU_USER, USER_PIN));
	CK(F->C_GetSessionInfo(s, &si));
	assert_int_equal(CKS_RO_USER_FUNCTIONS, si.state);
	CK(F->C_Logout(s));
}

/* P1: a passcode that cannot be right is refused before the card sees it,
 * and costs no try (CONFORMANCE.md: CKR_PIN_INCORRECT). */
void test_malformed_passcode(void **state)
{
	static const char *const bad[] = { "12ab", "12345", "123456789", "12ab56" };
	CK_SESSION_HANDLE s;

	(void)state;
	s = open_session(false);
	expect_pin_flags(0, "before");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char what[64];

		snprintf(what, sizeof(what), "malformed passcode #%zu", i + 1);
		expect_rv(CKR_PIN_INCORRECT, card_login(s, CKU_USER, bad[i]), what);
		expect_pin_flags(0, what);
	}
	assert_int_equal(3, state_pin_tries());
	/* Exactly one try goes with one wrong, well-formed passcode. */
	expect_rv(CKR_PIN_INCORRECT, card_login(s, CKU_USER, "000000"), "wrong passcode");
	expect_pin_flags(CKF_USER_PIN_COUNT_LOW, "after one wrong passcode");
	assert_int_equal(2, state_pin_tries());
	CK(card_login(s, CKU_USER, USER_PIN));
	expect_pin_flags(0, "after the right passcode");
	assert_int_equal(3, state_pin_tries());
}

static void expect_locked(const char *when)
{
	CK_SESSION_HANDLE s = open_session(false);

	expect_pin_flags(CKF_USER_PIN_LOCKED, when);
	expect_rv(CKR_PIN_LOCKED, card_login(s, CKU_USER, USER_PIN), when);
	CK(F->C_CloseSession(s));
}

/* P2: three wrong passcodes block the card, and the card keeps it so. */
void test_lockout(void **state)
{
	CK_SESSION_HANDLE s;

	(void)state;
	s = open_session(false);
	expect_rv(CKR_PIN_INCORRECT, card_login(s, CKU_USER, "000000"), "wrong passcode #1");
	expect_pin_flags(CKF_USER_PIN_COUNT_LOW, "after wrong passcode #1");
	expect_rv(CKR_PIN_INCORRECT, card_login(s, CKU_USER, "000001"), "wrong passcode #2");
	expect_pin_flags(CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY, "after wrong passcode #2");
	expect_rv(CKR_PIN_LOCKED, card_login(s, CKU_USER, "000002"), "wrong passcode #3");
	expect_pin_flags(CKF_USER_PIN_LOCKED, "after wrong passcode #3");
	expect_rv(CKR_PIN_LOCKED, card_login(s, CKU_USER, USER_PIN), "right passcode on a blocked card");
	assert_int_equal(0, state_pin_tries());
	CK(F->C_CloseSession(s));

	remove_card();
	insert_card();
	expect_locked("after removal and re-insertion");

	lib_run("card_restart");
	if (!wait_token(true, 15))
		fail_msg("no token 15 s after the card process restarted");
	/* The restart may be too quick for the module to see the card go:
	 * the first use then finds a new card and ends the old state. */
	for (double end = card_now() + 10; card_now() < end; sleep_ms(200)) {
		CK_TOKEN_INFO ti;

		if (F->C_GetTokenInfo(card_g.slot, &ti) == CKR_OK)
			break;
		(void)slot_has_token();
	}
	expect_locked("after the card process restarted");
}

/* P3: the SO (the card's PUK) unblocks by setting a new user passcode. */
void test_unblock(void **state)
{
	CK_SESSION_HANDLE s;

	(void)state;
	expect_pin_flags(CKF_USER_PIN_LOCKED, "before unblocking (test_lockout leaves the card blocked)");
	s = open_session(true);
	CK(card_login(s, CKU_SO, PUK));
	expect_rv(CKR_PIN_LEN_RANGE, F->C_InitPIN(s, (CK_UTF8CHAR_PTR) "12345", 5), "C_InitPIN, 5 digits");
	expect_rv(CKR_PIN_INVALID, F->C_InitPIN(s, (CK_UTF8CHAR_PTR) "12ab56", 6), "C_InitPIN, not digits");
	CK(F->C_InitPIN(s, (CK_UTF8CHAR_PTR)USER_PIN, strlen(USER_PIN)));
	expect_pin_flags(0, "after C_InitPIN");
	assert_int_equal(3, state_pin_tries());
	CK(F->C_Logout(s));
	CK(card_login(s, CKU_USER, USER_PIN));
}

/* P5: the user changes the passcode, and changes it back. */
void test_set_pin(void **state)
{
	CK_SESSION_HANDLE s;

	(void)state;
	s = user_session(true);
	expect_rv(CKR_PIN_LEN_RANGE, F->C_SetPIN(s, (CK_UTF8CHAR_PTR)USER_PIN, 6, (CK_UTF8CHAR_PTR) "12345", 5),
	          "C_SetPIN to 5 digits");
	expect_rv(CKR_PIN_INVALID, F->C_SetPIN(s, (CK_UTF8CHAR_PTR)USER_PIN, 6, (CK_UTF8CHAR_PTR) "12ab56", 6),
	          "C_SetPIN to non-digits");
	expect_rv(CKR_PIN_INVALID, F->C_SetPIN(s, (CK_UTF8CHAR_PTR)USER_PIN, 6, (CK_UTF8CHAR_PTR)USER_PIN, 6),
	          "C_SetPIN to the same passcode");
	expect_pin_flags(0, "after refused changes");
	CK(F->C_SetPIN(s, (CK_UTF8CHAR_PTR)USER_PIN, 6, (CK_UTF8CHAR_PTR)OTHER_PIN, strlen(OTHER_PIN)));
	CK(F->C_Logout(s));
	expect_rv(CKR_PIN_INCORRECT, card_login(s, CKU_USER, USER_PIN), "old passcode after C_SetPIN");
	CK(card_login(s, CKU_USER, OTHER_PIN));
	expect_pin_flags(0, "after login with the new passcode");
	CK(F->C_SetPIN(s, (CK_UTF8CHAR_PTR)OTHER_PIN, strlen(OTHER_PIN), (CK_UTF8CHAR_PTR)USER_PIN, 6));
	CK(F->C_Logout(s));
	expect_rv(CKR_PIN_INCORRECT, card_login(s, CKU_USER, OTHER_PIN), "changed passcode after changing back");
	CK(card_login(s, CKU_USER, USER_PIN));
	expect_pin_flags(0, "at the end");
}
