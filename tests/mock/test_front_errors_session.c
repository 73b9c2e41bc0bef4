/* The front when a backend's session, login and passcode operations fail, and on removal. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "front_fixture.h"

/* Every generic failure of every operation reaches the application
 * unchanged, and the call reached the backend (the count moved). */
static void generic_codes_pass_through(void **state)
{
	(void)state;
	for (size_t i = 0; i < NVIAS; i++) {
		if (!vias[i].passes_code)
			continue;
		for (size_t k = 0; k < NGENERIC; k++) {
			CK_SESSION_HANDLE s = open_rw();
			unsigned long before = calls(vias[i].op);
			CK_RV rv = vias[i].provoke(s, generic[k]);

			if (rv != generic[k])
				fail_msg("%s failing with 0x%lx: the front answered 0x%lx", vias[i].op, generic[k], rv);
			assert_true(calls(vias[i].op) > before);
			disarm(vias[i].op);
			CK(F->C_CloseAllSessions(FX->slot));
			/* Undo what the provoking call may have left. */
			FX->reset();
			reload_module();
		}
	}
}

/* CKR_DEVICE_REMOVED from any operation: the call answers it (or, for a
 * call that cannot report a token's trouble, answers normally), and every
 * session of the slot is gone; a new session on the token works. */
static void removal_ends_sessions(void **state)
{
	(void)state;
	for (size_t i = 0; i < NVIAS; i++) {
		CK_SESSION_HANDLE s = open_rw(), other = open_rw();
		CK_SESSION_INFO si;
		CK_RV rv = vias[i].provoke(s, CKR_DEVICE_REMOVED);

		if (vias[i].passes_code && rv != CKR_DEVICE_REMOVED)
			fail_msg("%s failing with CKR_DEVICE_REMOVED: the front answered 0x%lx", vias[i].op, rv);
		if (F->C_GetSessionInfo(other, &si) != CKR_SESSION_HANDLE_INVALID)
			fail_msg("%s: a session survived CKR_DEVICE_REMOVED", vias[i].op);
		assert_int_equal(CKR_SESSION_HANDLE_INVALID, F->C_GetSessionInfo(s, &si));
		/* The token is opened anew, nobody logged in. */
		assert_int_equal(0, session_count());
		s = open_rw();
		assert_int_equal(CKS_RW_PUBLIC_SESSION, state_of(s));
		CK(F->C_CloseSession(s));
		FX->reset();
		reload_module();
	}
}

/* ---- status --------------------------------------------------------------- */

static void status_fails_token_info(void **state)
{
	CK_TOKEN_INFO ti;

	(void)state;
	for (size_t k = 0; k < NGENERIC; k++) {
		arm("status", 0, generic[k]);
		assert_int_equal(generic[k], F->C_GetTokenInfo(FX->slot, &ti));
		disarm("status");
		CK(F->C_GetTokenInfo(FX->slot, &ti));
		assert_true(ti.flags & CKF_TOKEN_INITIALIZED);
	}
}

/* C_OpenSession asks the token's status: when that fails no session is
 * counted, and the sessions already open stay. */
static void status_fails_open_session(void **state)
{
	CK_SESSION_HANDLE keep = open_rw();

	(void)state;
	for (size_t k = 0; k < NGENERIC; k++)
		assert_int_equal(generic[k], via_status(CK_INVALID_HANDLE, generic[k]));
	assert_int_equal(1, session_count());
	assert_int_equal(CKS_RW_PUBLIC_SESSION, state_of(keep));
}

static void status_removed_in_token_info(void **state)
{
	CK_SESSION_HANDLE s = open_rw();
	CK_TOKEN_INFO ti;
	CK_SESSION_INFO si;
	unsigned long released = calls("release");

	(void)state;
	arm("status", 1, CKR_DEVICE_REMOVED);
	assert_int_equal(CKR_DEVICE_REMOVED, F->C_GetTokenInfo(FX->slot, &ti));
	assert_int_equal(CKR_SESSION_HANDLE_INVALID, F->C_GetSessionInfo(s, &si));
	/* The removed token's handle was given back. */
	assert_int_equal(released + 1, calls("release"));
	CK(F->C_GetTokenInfo(FX->slot, &ti));
	assert_int_equal(0, ti.ulSessionCount);
}

/* Removal noticed by a slot call, with nothing else on the slot touched
 * afterwards: a slot call (not only a session lookup) must end the
 * sessions, or C_GetTokenInfo keeps counting sessions of a token gone. */
static void finding_removed_session_count(void **state)
{
	CK_TOKEN_INFO ti;

	(void)state;
	(void)open_rw();
	arm("status", 1, CKR_DEVICE_REMOVED);
	assert_int_equal(CKR_DEVICE_REMOVED, F->C_GetTokenInfo(FX->slot, &ti));
	CK(F->C_GetTokenInfo(FX->slot, &ti));
	assert_int_equal(0, ti.ulSessionCount);
}

/* Removal met by a slot call while no session is open: the token is
 * opened anew for the next session, which then works.  The removal must
 * not be held against a session opened after it. */
static void finding_removed_without_sessions(void **state)
{
	const char *ops[] = { "status", "open", "init_token" };
	size_t bad = 0;
	CK_UTF8CHAR lab[32];
	CK_TOKEN_INFO ti;
	CK_SESSION_INFO si;
	CK_SESSION_HANDLE s;

	(void)state;
	th_pad(lab, sizeof(lab), "renamed");
	for (size_t i = 0; i < 3; i++) {
		/* Slot ids stay; the token is opened at its first use. */
		CK(F->C_Finalize(NULL));
		CK(F->C_Initialize(NULL));
		if (strcmp(ops[i], "open") != 0)
			CK(F->C_GetTokenInfo(FX->slot, &ti));
		arm(ops[i], 1, CKR_DEVICE_REMOVED);
		if (strcmp(ops[i], "init_token") == 0)
			assert_int_equal(CKR_DEVICE_REMOVED, F->C_InitToken(FX->slot, (CK_UTF8CHAR_PTR)TH_SO_PIN,
			                                                    strlen(TH_SO_PIN), lab));
		else
			assert_int_equal(CKR_DEVICE_REMOVED, F->C_GetTokenInfo(FX->slot, &ti));
		s = open_rw();
		if (F->C_GetSessionInfo(s, &si) != CKR_OK) {
			print_message("%s: a session opened after the removal was ended by it\n", ops[i]);
			bad++;
		}
	}
	assert_int_equal(0, bad);
}

/* ---- open, scan, create, mechanism ---------------------------------------- */

static void open_fails(void **state)
{
	const CK_RV codes[] = { CKR_DEVICE_ERROR, CKR_DEVICE_MEMORY, CKR_HOST_MEMORY, CKR_FUNCTION_FAILED,
	                        CKR_GENERAL_ERROR, CKR_TOKEN_NOT_PRESENT, CKR_DEVICE_REMOVED };
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;

	(void)state;
	for (size_t k = 0; k < sizeof(codes) / sizeof(codes[0]); k++) {
		/* Opened at the first use after C_Initialize. */
		CK(F->C_Finalize(NULL));
		CK(F->C_Initialize(NULL));
		arm("open", 1, codes[k]);
		assert_int_equal(codes[k], F->C_GetTokenInfo(FX->slot, &ti));
		/* Not remembered: the next call opens again. */
		CK(F->C_GetTokenInfo(FX->slot, &ti));
		CK(F->C_Finalize(NULL));
		CK(F->C_Initialize(NULL));
		arm("open", 1, codes[k]);
		assert_int_equal(codes[k], F->C_OpenSession(FX->slot, CKF_SERIAL_SESSION, NULL, NULL, &s));
		assert_int_equal(s, CK_INVALID_HANDLE);
		assert_int_equal(0, session_count());
	}
	FX->slot = th_slot_of(FX->env, "mock-a");
}

static CK_SLOT_ID *slot_list(CK_ULONG *n)
{
	CK_SLOT_ID *v;

	CK(F->C_GetSlotList(CK_FALSE, NULL, n));
	v = calloc(*n + 1, sizeof(*v));
	assert_non_null(v);
	CK(F->C_GetSlotList(CK_FALSE, v, n));
	return v;
}

/* A failed scan changes nothing: same slots, the token still present, its
 * sessions alive (a transient error is not a removal). */
static void scan_fails_slots_unchanged(void **state)
{
	CK_ULONG n0, n1;
	CK_SLOT_ID *before = slot_list(&n0), *after;
	CK_SESSION_HANDLE s = user_rw();
	CK_SLOT_INFO si;

	(void)state;
	assert_true(n0 >= 3);   /* mock-a, mock-b, the free place */
	for (size_t k = 0; k < NGENERIC; k++) {
		arm("scan", 0, generic[k]);
		after = slot_list(&n1);
		assert_int_equal(n0, n1);
		assert_memory_equal(before, after, n0 * sizeof(*before));
		free(after);
		CK(F->C_GetSlotInfo(FX->slot, &si));
		assert_true(si.flags & CKF_TOKEN_PRESENT);
		assert_int_equal(CKS_RW_USER_FUNCTIONS, state_of(s));
	}
	disarm("scan");
	free(before);
}

/* The first scan failing: no slots yet; the next scan finds them. */
static void scan_fails_first(void **state)
{
	CK_ULONG n = 99;
	CK_SLOT_ID *v;

	(void)state;
	CK(F->C_Finalize(NULL));
	CK(F->C_Initialize(NULL));
	arm("scan", 1, CKR_DEVICE_ERROR);
	CK(F->C_GetSlotList(CK_FALSE, NULL, &n));
	assert_int_equal(0, n);
	v = slot_list(&n);
	assert_true(n >= 3);
	free(v);
	FX->slot = th_slot_of(FX->env, "mock-a");
}

/* C_InitToken in the free place: a failed creation leaves the place free
 * and adds no slot; the retry creates the token there. */
static void create_fails(void **state)
{
	CK_SLOT_ID free_slot = th_free_slot(FX->env);
	CK_UTF8CHAR lab[32];
	CK_TOKEN_INFO ti;
	CK_ULONG n0, n1;
	CK_SLOT_ID *v = slot_list(&n0);

	(void)state;
	free(v);
	th_pad(lab, sizeof(lab), "made");
	for (size_t k = 0; k < NGENERIC; k++) {
		arm("create", 1, generic[k]);
		assert_int_equal(generic[k],
		                 F->C_InitToken(free_slot, (CK_UTF8CHAR_PTR)TH_SO_PIN, strlen(TH_SO_PIN), lab));
		CK(F->C_GetTokenInfo(free_slot, &ti));
		assert_false(ti.flags & CKF_TOKEN_INITIALIZED);
		v = slot_list(&n1);
		free(v);
		assert_int_equal(n0, n1);
		assert_int_equal(free_slot, th_free_slot(FX->env));
	}
	CK(F->C_InitToken(free_slot, (CK_UTF8CHAR_PTR)TH_SO_PIN, strlen(TH_SO_PIN), lab));
	CK(F->C_GetTokenInfo(free_slot, &ti));
	assert_true(ti.flags & CKF_TOKEN_INITIALIZED);
	assert_memory_equal(ti.label, lab, sizeof(lab));
}

/* The provider says no mechanism: the slot lists none. */
static void mechanism_refused(void **state)
{
	CK_ULONG n = 0;
	CK_MECHANISM_INFO mi;

	(void)state;
	CK(F->C_GetMechanismList(FX->slot, NULL, &n));
	assert_true(n > 0);
	CK(F->C_GetMechanismInfo(FX->slot, CKM_ECDSA, &mi));
	arm("mechanism", 0, CKR_FUNCTION_FAILED);
	CK(F->C_GetMechanismList(FX->slot, NULL, &n));
	assert_int_equal(0, n);
	assert_int_equal(CKR_MECHANISM_INVALID, F->C_GetMechanismInfo(FX->slot, CKM_ECDSA, &mi));
}

/* ---- login, logout -------------------------------------------------------- */

static void login_fails_not_logged_in(void **state)
{
	const CK_RV codes[] = { CKR_DEVICE_ERROR, CKR_DEVICE_MEMORY, CKR_HOST_MEMORY, CKR_FUNCTION_FAILED,
	                        CKR_GENERAL_ERROR, CKR_PIN_INCORRECT, CKR_PIN_LOCKED };
	CK_SESSION_HANDLE s = open_rw();

	(void)state;
	for (size_t k = 0; k < sizeof(codes) / sizeof(codes[0]); k++) {
		arm("login", 1, codes[k]);
		assert_int_equal(codes[k], login(s, CKU_USER, TH_USER_PIN));
		assert_int_equal(CKS_RW_PUBLIC_SESSION, state_of(s));
		/* Not half logged in: the real login works, then logout. */
		CK(login(s, CKU_USER, TH_USER_PIN));
		assert_int_equal(CKS_RW_USER_FUNCTIONS, state_of(s));
		CK(F->C_Logout(s));
		arm("login", 1, codes[k]);
		assert_int_equal(codes[k], login(s, CKU_SO, TH_SO_PIN));
		assert_int_equal(CKS_RW_PUBLIC_SESSION, state_of(s));
		CK(login(s, CKU_SO, TH_SO_PIN));
		assert_int_equal(CKS_RW_SO_FUNCTIONS, state_of(s));
		CK(F->C_Logout(s));
	}
}

/* A real wrong passcode: refused, a try spent (the token says so), no
 * private object visible. */
static void login_wrong_pin(void **state)
{
	CK_SESSION_HANDLE s = user_rw(), p;
	CK_OBJECT_HANDLE h;
	CK_TOKEN_INFO ti;

	(void)state;
	CK(make_data(s, "secret", true, true, &h));
	CK(F->C_Logout(s));
	p = open_rw();
	assert_int_equal(CKR_PIN_INCORRECT, login(p, CKU_USER, "000000"));
	assert_int_equal(CKS_RW_PUBLIC_SESSION, state_of(p));
	assert_int_equal(0, count_label(p, "secret"));
	CK(F->C_GetTokenInfo(FX->slot, &ti));
	assert_true(ti.flags & CKF_USER_PIN_COUNT_LOW);
	CK(login(p, CKU_USER, TH_USER_PIN));
	assert_int_equal(1, count_label(p, "secret"));
}

/* Loading the private objects after a successful login fails: either the
 * login fails too, or the private objects appear (at the latest at the
 * next search).  A login that succeeds without them would leave an
 * application that cannot see its keys until something else changes. */
static void finding_login_load_fails(void **state)
{
	CK_SESSION_HANDLE s = user_rw();
	CK_OBJECT_HANDLE h;
	CK_RV rv;

	(void)state;
	CK(make_data(s, "secret", true, true, &h));
	CK(F->C_Logout(s));
	arm("load_objects", 1, CKR_DEVICE_ERROR);
	rv = login(s, CKU_USER, TH_USER_PIN);
	if (rv == CKR_OK) {
		assert_int_equal(CKS_RW_USER_FUNCTIONS, state_of(s));
		assert_int_equal(1, count_label(s, "secret"));
	} else {
		assert_int_equal(CKR_DEVICE_ERROR, rv);
		assert_int_equal(CKS_RW_PUBLIC_SESSION, state_of(s));
	}
}

/* C_Logout ends the login whatever the token answers: no private object
 * stays usable, and the next login is a login, not "already logged in". */
static void logout_fails_state_ends(void **state)
{
	CK_SESSION_HANDLE s = user_rw();
	CK_OBJECT_HANDLE h;
	char label[16];

	(void)state;
	CK(make_data(s, "secret", true, true, &h));
	for (size_t k = 0; k < NGENERIC; k++) {
		arm("logout", 1, generic[k]);
		assert_int_equal(generic[k], F->C_Logout(s));
		assert_int_equal(CKS_RW_PUBLIC_SESSION, state_of(s));
		assert_int_equal(CKR_OBJECT_HANDLE_INVALID,
		                 F->C_GetAttributeValue(s, h, &(CK_ATTRIBUTE){ CKA_LABEL, label, sizeof(label) }, 1));
		assert_int_equal(0, count_label(s, "secret"));
		CK(login(s, CKU_USER, TH_USER_PIN));
		assert_int_equal(1, count_label(s, "secret"));
		h = th_find_one(FX->env, s, &(CK_ATTRIBUTE){ CKA_LABEL, "secret", 6 }, 1);
	}
}

/* The token forgets the user login (a card reset elsewhere): the sessions
 * say public, private objects are gone, a new login works. */
static void check_login_lost(void **state)
{
	CK_SESSION_HANDLE s = user_rw();
	CK_OBJECT_HANDLE h;
	char label[16];

	(void)state;
	CK(make_data(s, "secret", true, true, &h));
	FX->forget_login();
	assert_int_equal(CKS_RW_PUBLIC_SESSION, state_of(s));
	assert_true(calls("check_login") > 0);
	assert_int_equal(CKR_OBJECT_HANDLE_INVALID,
	                 F->C_GetAttributeValue(s, h, &(CK_ATTRIBUTE){ CKA_LABEL, label, sizeof(label) }, 1));
	assert_int_equal(0, count_label(s, "secret"));
	CK(login(s, CKU_USER, TH_USER_PIN));
	assert_int_equal(1, count_label(s, "secret"));
}

/* The check itself failing is not a lost login: the state stays. */
static void check_login_fails_keeps_login(void **state)
{
	CK_SESSION_HANDLE s = user_rw();

	(void)state;
	for (size_t k = 0; k < NGENERIC; k++) {
		unsigned long before = calls("check_login");

		arm("check_login", 1, generic[k]);
		assert_int_equal(CKS_RW_USER_FUNCTIONS, state_of(s));
		assert_int_equal(before + 1, calls("check_login"));
	}
	assert_int_equal(CKR_USER_ALREADY_LOGGED_IN, login(s, CKU_USER, TH_USER_PIN));
}

/* ---- init_token, init_pin, set_pin ---------------------------------------- */

static void init_token_fails_token_unchanged(void **state)
{
	const CK_RV codes[] = { CKR_DEVICE_ERROR, CKR_DEVICE_MEMORY, CKR_HOST_MEMORY, CKR_FUNCTION_FAILED,
	                        CKR_GENERAL_ERROR, CKR_PIN_INCORRECT, CKR_PIN_LOCKED };
	CK_SESSION_HANDLE s = open_rw();
	CK_OBJECT_HANDLE h;
	CK_UTF8CHAR lab[32], old[32];
	CK_TOKEN_INFO ti;

	(void)state;
	CK(make_data(s, "kept", true, false, &h));
	CK(F->C_CloseAllSessions(FX->slot));
	th_pad(lab, sizeof(lab), "renamed");
	th_pad(old, sizeof(old), "mock-a");
	for (size_t k = 0; k < sizeof(codes) / sizeof(codes[0]); k++) {
		arm("init_token", 1, codes[k]);
		assert_int_equal(codes[k], F->C_InitToken(FX->slot, (CK_UTF8CHAR_PTR)TH_SO_PIN, strlen(TH_SO_PIN), lab));
		CK(F->C_GetTokenInfo(FX->slot, &ti));
		assert_memory_equal(ti.label, old, sizeof(old));
		s = open_rw();
		assert_int_equal(1, count_label(s, "kept"));
		CK(F->C_CloseSession(s));
	}
	/* The real wrong SO passcode too. */
	assert_int_equal(CKR_PIN_INCORRECT, F->C_InitToken(FX->slot, (CK_UTF8CHAR_PTR) "00000000", 8, lab));
	s = open_rw();
	assert_int_equal(1, count_label(s, "kept"));
	CK(F->C_CloseSession(s));
	/* And the real re-initialisation empties it (the checks above can
	 * tell). */
	CK(F->C_InitToken(FX->slot, (CK_UTF8CHAR_PTR)TH_SO_PIN, strlen(TH_SO_PIN), lab));
	s = open_rw();
	assert_int_equal(0, count_label(s, "kept"));
}

static void init_pin_fails_pin_unchanged(void **state)
{
	CK_SESSION_HANDLE s = open_rw();

	(void)state;
	for (size_t k = 0; k < NGENERIC; k++) {
		assert_int_equal(generic[k], via_init_pin(s, generic[k]));
		/* Still the SO, still the old user passcode. */
		assert_int_equal(CKS_RW_SO_FUNCTIONS, state_of(s));
		CK(F->C_Logout(s));
		CK(login(s, CKU_USER, TH_USER_PIN));
		CK(F->C_Logout(s));
	}
}

static void set_pin_fails_pin_unchanged(void **state)
{
	const CK_RV codes[] = { CKR_DEVICE_ERROR, CKR_DEVICE_MEMORY, CKR_HOST_MEMORY, CKR_FUNCTION_FAILED,
	                        CKR_GENERAL_ERROR, CKR_PIN_INCORRECT, CKR_PIN_LOCKED };
	CK_SESSION_HANDLE s = open_rw();

	(void)state;
	for (size_t k = 0; k < sizeof(codes) / sizeof(codes[0]); k++) {
		assert_int_equal(codes[k], via_set_pin(s, codes[k]));
		assert_int_equal(CKS_RW_PUBLIC_SESSION, state_of(s));
		assert_int_equal(CKR_PIN_INCORRECT, login(s, CKU_USER, "654321"));
		CK(login(s, CKU_USER, TH_USER_PIN));
		/* Logged in: the user's own passcode change fails the same way. */
		assert_int_equal(codes[k], via_set_pin(s, codes[k]));
		assert_int_equal(CKS_RW_USER_FUNCTIONS, state_of(s));
		CK(F->C_Logout(s));
		CK(login(s, CKU_USER, TH_USER_PIN));
		CK(F->C_Logout(s));
	}
}

/* A key needing the passcode again for each use (CKA_ALWAYS_AUTHENTICATE):
 * the context-specific login failing passes the code through, the
 * signature is refused (CKR_USER_NOT_LOGGED_IN) until a context login
 * succeeds, and then the same operation signs. */
static void context_login_fails(void **state)
{
	static const CK_BYTE oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
	CK_SESSION_HANDLE s = user_rw();
	CK_BBOOL yes = CK_TRUE;
	CK_MECHANISM gen = { CKM_EC_KEY_PAIR_GEN, NULL, 0 }, m = { CKM_ECDSA, NULL, 0 };
	CK_ATTRIBUTE pt[] = { { CKA_TOKEN, &yes, 1 }, { CKA_EC_PARAMS, (void *)oid_p256, sizeof(oid_p256) },
	                      { CKA_VERIFY, &yes, 1 } };
	CK_ATTRIBUTE vt[] = { { CKA_TOKEN, &yes, 1 }, { CKA_PRIVATE, &yes, 1 }, { CKA_SIGN, &yes, 1 },
	                      { CKA_ALWAYS_AUTHENTICATE, &yes, 1 } };
	CK_OBJECT_HANDLE pub, priv;
	CK_BYTE data[32] = { 7 }, sig[96];
	CK_ULONG siglen;

	(void)state;
	CK(F->C_GenerateKeyPair(s, &gen, pt, 3, vt, 4, &pub, &priv));
	CK(F->C_SignInit(s, &m, priv));
	for (size_t k = 0; k < NGENERIC; k++) {
		arm("login", 1, generic[k]);
		assert_int_equal(generic[k], login(s, CKU_CONTEXT_SPECIFIC, TH_USER_PIN));
		siglen = sizeof(sig);
		assert_int_equal(CKR_USER_NOT_LOGGED_IN, F->C_Sign(s, data, sizeof(data), sig, &siglen));
		/* The user login itself is untouched. */
		assert_int_equal(CKS_RW_USER_FUNCTIONS, state_of(s));
	}
	/* The operation waited for the login (the front keeps it, so that
	 * the application can prove the passcode and sign). */
	CK(login(s, CKU_CONTEXT_SPECIFIC, TH_USER_PIN));
	siglen = sizeof(sig);
	CK(F->C_Sign(s, data, sizeof(data), sig, &siglen));
}

/* The last session's close logs the token out; the token failing that
 * logout still leaves nobody logged in. */
static void close_logout_fails(void **state)
{
	CK_SESSION_HANDLE s = user_rw();

	(void)state;
	arm("logout", 0, CKR_DEVICE_ERROR);
	CK(F->C_CloseSession(s));
	assert_true(calls("logout") > 0);
	s = open_rw();
	assert_int_equal(CKS_RW_PUBLIC_SESSION, state_of(s));
	disarm("logout");
	CK(login(s, CKU_USER, TH_USER_PIN));
}

/* C_InitToken meeting a removed device: the code passes through, the
 * token is unchanged and opened anew at the next use. */
static void init_token_removed(void **state)
{
	CK_UTF8CHAR lab[32], old[32];
	CK_TOKEN_INFO ti;

	(void)state;
	th_pad(lab, sizeof(lab), "renamed");
	th_pad(old, sizeof(old), "mock-a");
	arm("init_token", 1, CKR_DEVICE_REMOVED);
	assert_int_equal(CKR_DEVICE_REMOVED, F->C_InitToken(FX->slot, (CK_UTF8CHAR_PTR)TH_SO_PIN, strlen(TH_SO_PIN), lab));
	CK(F->C_GetTokenInfo(FX->slot, &ti));
	assert_memory_equal(ti.label, old, sizeof(old));
	/* A session opened now: finding_removed_without_sessions. */
}

/* ---- findings ------------------------------------------------------------- */

/* A backend's CKR_TOKEN_NOT_PRESENT on a session call: PKCS#11 lists that
 * code for slot functions only (C_Login's list lacks it); for a session,
 * the token went away during the call: CKR_DEVICE_REMOVED, and the
 * sessions end. */
static void finding_token_not_present_on_session(void **state)
{
	size_t bad = 0;

	(void)state;
	for (size_t i = 0; i < NVIAS; i++) {
		CK_SESSION_HANDLE s = open_rw();
		CK_SESSION_INFO si;
		CK_RV rv;

		if (!vias[i].passes_code || strcmp(vias[i].op, "status") == 0)
			continue;   /* C_OpenSession may answer CKR_TOKEN_NOT_PRESENT */
		rv = vias[i].provoke(s, CKR_TOKEN_NOT_PRESENT);
		if (rv != CKR_DEVICE_REMOVED || F->C_GetSessionInfo(s, &si) != CKR_SESSION_HANDLE_INVALID) {
			print_message("%s: CKR_TOKEN_NOT_PRESENT from the token: front answered 0x%lx\n", vias[i].op, rv);
			bad++;
		}
		FX->reset();
		reload_module();
	}
	assert_int_equal(0, bad);
}

/* The slot lists no mechanism, yet C_SignInit accepts one: PKCS#11 wants
 * CKR_MECHANISM_INVALID for a mechanism the token does not support. */
static void finding_sign_init_unlisted_mechanism(void **state)
{
	CK_SESSION_HANDLE s = user_rw();
	CK_OBJECT_HANDLE pub, priv;
	CK_MECHANISM m = { CKM_ECDSA, NULL, 0 };

	(void)state;
	th_keypair(FX->env, s, "p256", "ec", &pub, &priv);
	arm("mechanism", 0, CKR_FUNCTION_FAILED);
	assert_int_equal(CKR_MECHANISM_INVALID, F->C_SignInit(s, &m, priv));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(generic_codes_pass_through),
		T(removal_ends_sessions),
		T(status_fails_token_info),
		T(status_fails_open_session),
		T(status_removed_in_token_info),
		T(finding_removed_session_count),
		T(finding_removed_without_sessions),
		T(open_fails),
		T(scan_fails_slots_unchanged),
		T(scan_fails_first),
		T(create_fails),
		T(mechanism_refused),
		T(login_fails_not_logged_in),
		T(login_wrong_pin),
		T(finding_login_load_fails),
		T(logout_fails_state_ends),
		T(check_login_lost),
		T(check_login_fails_keeps_login),
		T(init_token_fails_token_unchanged),
		T(init_pin_fails_pin_unchanged),
		T(set_pin_fails_pin_unchanged),
		T(context_login_fails),
		T(close_logout_fails),
		T(init_token_removed),
		T(finding_token_not_present_on_session),
		T(finding_sign_init_unlisted_mechanism),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
