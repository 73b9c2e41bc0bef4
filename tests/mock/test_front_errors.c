/* The PKCS#11 front's answers when a backend call fails.
 *
 * careid-mock-pkcs11.so is the front and core over the in-memory mock
 * backend (mock_backend.h); these tests make each backend operation fail
 * and check what the front answers and the state it leaves.  The table of
 * front error paths and the test reaching each is docs/mock-backend.md.
 *
 * Codes used for "a backend failure": every function of PKCS#11 3.0 may
 * answer CKR_DEVICE_ERROR, CKR_DEVICE_MEMORY, CKR_HOST_MEMORY,
 * CKR_FUNCTION_FAILED and CKR_GENERAL_ERROR, so the front passes them
 * through unchanged.  CKR_DEVICE_REMOVED also ends the slot's sessions.
 *
 * Tests named finding_* check behaviour the spec asks for that an earlier
 * front lacked (docs/mock-backend.md tells each story). */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* ---- fixture -------------------------------------------------------------- */

typedef struct fx {
	th_env *env;
	int (*arm_fn)(const char *op, unsigned nth, CK_RV rv);
	unsigned long (*calls)(const char *op);
	void (*reset)(void);
	void (*forget_login)(void);
	void (*keys_on_host)(bool on);
	CK_SLOT_ID slot;   /* the token labelled mock-a */
} fx;

static const CK_RV generic[] = {
	CKR_DEVICE_ERROR, CKR_DEVICE_MEMORY, CKR_HOST_MEMORY, CKR_FUNCTION_FAILED, CKR_GENERAL_ERROR,
};
#define NGENERIC (sizeof(generic) / sizeof(generic[0]))

static fx *FX;
#define F (FX->env->f)

static void *sym(th_env *env, const char *name)
{
	void *p = dlsym(env->dl, name);

	if (p == NULL)
		fail_msg("%s is not exported by the mock module (CAREID_MODULE=%s)", name, getenv("CAREID_MODULE"));
	return p;
}

static int setup(void **state)
{
	fx *x = calloc(1, sizeof(*x));
	void *envp = NULL;

	assert_non_null(x);
	th_setup_loaded(&envp);
	x->env = envp;
	*(void **)&x->arm_fn = sym(x->env, "careid_mock_fail");
	*(void **)&x->calls = sym(x->env, "careid_mock_calls");
	*(void **)&x->reset = sym(x->env, "careid_mock_reset");
	*(void **)&x->forget_login = sym(x->env, "careid_mock_forget_login");
	*(void **)&x->keys_on_host = sym(x->env, "careid_mock_keys_on_host");
	/* The module stays loaded between tests (-z nodelete), and with it
	 * the mock's tokens: each test starts from the same state. */
	x->reset();
	CK(x->env->f->C_Initialize(NULL));
	x->slot = th_slot_of(x->env, "mock-a");
	FX = x;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	fx *x = *state;
	void *envp = x->env;

	th_teardown(&envp);
	free(x);
	FX = NULL;
	return 0;
}

static void arm(const char *op, unsigned nth, CK_RV rv)
{
	assert_int_equal(0, FX->arm_fn(op, nth, rv));
}

/* Every call succeeds again (a rule answering CKR_OK). */
static void disarm(const char *op)
{
	arm(op, 0, CKR_OK);
}

static unsigned long calls(const char *op)
{
	return FX->calls(op);
}

/* C_Finalize and C_Initialize: the token is opened and its objects are
 * read anew, from the mock's state, which stays. */
static void reload_module(void)
{
	CK(F->C_Finalize(NULL));
	CK(F->C_Initialize(NULL));
	FX->slot = th_slot_of(FX->env, "mock-a");
}

static CK_SESSION_HANDLE open_rw(void)
{
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;

	CK(F->C_OpenSession(FX->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s));
	return s;
}

static CK_SESSION_HANDLE user_rw(void)
{
	CK_SESSION_HANDLE s = open_rw();

	CK(F->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)TH_USER_PIN, strlen(TH_USER_PIN)));
	return s;
}

static CK_STATE state_of(CK_SESSION_HANDLE s)
{
	CK_SESSION_INFO si;

	CK(F->C_GetSessionInfo(s, &si));
	return si.state;
}

static CK_RV login(CK_SESSION_HANDLE s, CK_USER_TYPE who, const char *pin)
{
	return F->C_Login(s, who, (CK_UTF8CHAR_PTR)pin, strlen(pin));
}

static CK_ULONG session_count(void)
{
	CK_TOKEN_INFO ti;

	CK(F->C_GetTokenInfo(FX->slot, &ti));
	return ti.ulSessionCount;
}

/* A data object; token and private as asked. */
static CK_RV make_data(CK_SESSION_HANDLE s, const char *label, bool token, bool priv, CK_OBJECT_HANDLE *h)
{
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_BBOOL tok = token ? CK_TRUE : CK_FALSE, pr = priv ? CK_TRUE : CK_FALSE;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_TOKEN, &tok, sizeof(tok) },
		{ CKA_PRIVATE, &pr, sizeof(pr) },
		{ CKA_LABEL, (void *)label, strlen(label) },
		{ CKA_VALUE, (void *)"payload", 7 },
	};

	return F->C_CreateObject(s, t, 5, h);
}

/* Objects labelled label visible to s (the search itself must work). */
static CK_ULONG count_label(CK_SESSION_HANDLE s, const char *label)
{
	CK_ATTRIBUTE t[] = { { CKA_LABEL, (void *)label, strlen(label) } };
	CK_OBJECT_HANDLE h[8];
	CK_ULONG n = 0;

	CK(F->C_FindObjectsInit(s, t, 1));
	CK(F->C_FindObjects(s, h, 8, &n));
	CK(F->C_FindObjectsFinal(s));
	return n;
}

static void label_of(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, char *out, size_t cap)
{
	CK_ATTRIBUTE a = { CKA_LABEL, out, cap - 1 };

	CK(F->C_GetAttributeValue(s, h, &a, 1));
	out[a.ulValueLen] = '\0';
}

/* ---- provoking each backend operation ------------------------------------
 *
 * Each function brings a fresh session s (read/write, public) to the point
 * where the next front call reaches the backend operation, arms the rule,
 * makes that call and returns the front's answer.  The table drives the
 * codes-pass-through and removal tests. */

static CK_RV via_status(CK_SESSION_HANDLE s, CK_RV rv)
{
	CK_SESSION_HANDLE s2 = CK_INVALID_HANDLE;

	(void)s;
	arm("status", 1, rv);
	rv = F->C_OpenSession(FX->slot, CKF_SERIAL_SESSION, NULL, NULL, &s2);
	/* No session handle comes out of a failed open. */
	assert_int_equal(s2, CK_INVALID_HANDLE);
	return rv;
}

static CK_RV via_login(CK_SESSION_HANDLE s, CK_RV rv)
{
	arm("login", 1, rv);
	return login(s, CKU_USER, TH_USER_PIN);
}

static CK_RV via_logout(CK_SESSION_HANDLE s, CK_RV rv)
{
	CK(login(s, CKU_USER, TH_USER_PIN));
	arm("logout", 1, rv);
	return F->C_Logout(s);
}

static CK_RV via_init_pin(CK_SESSION_HANDLE s, CK_RV rv)
{
	CK(login(s, CKU_SO, TH_SO_PIN));
	arm("init_pin", 1, rv);
	return F->C_InitPIN(s, (CK_UTF8CHAR_PTR) "654321", 6);
}

static CK_RV via_set_pin(CK_SESSION_HANDLE s, CK_RV rv)
{
	arm("set_pin", 1, rv);
	return F->C_SetPIN(s, (CK_UTF8CHAR_PTR)TH_USER_PIN, strlen(TH_USER_PIN), (CK_UTF8CHAR_PTR) "654321", 6);
}

static CK_RV via_load_objects(CK_SESSION_HANDLE s, CK_RV rv)
{
	CK_ATTRIBUTE t[] = { { CKA_LABEL, "x", 1 } };

	arm("load_objects", 1, rv);
	rv = F->C_FindObjectsInit(s, t, 1);
	if (rv == CKR_OK)
		(void)F->C_FindObjectsFinal(s);
	return rv;
}

static CK_RV via_changed(CK_SESSION_HANDLE s, CK_RV rv)
{
	CK_ATTRIBUTE t[] = { { CKA_LABEL, "x", 1 } };

	assert_int_equal(0, count_label(s, "x"));   /* objects loaded */
	arm("changed", 1, rv);
	rv = F->C_FindObjectsInit(s, t, 1);
	if (rv == CKR_OK)
		(void)F->C_FindObjectsFinal(s);
	return rv;
}

static CK_RV via_create_object(CK_SESSION_HANDLE s, CK_RV rv)
{
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;

	arm("create_object", 1, rv);
	rv = make_data(s, "x", true, false, &h);
	if (rv != CKR_OK)
		assert_int_equal(h, CK_INVALID_HANDLE);
	return rv;
}

static CK_RV via_update_object(CK_SESSION_HANDLE s, CK_RV rv)
{
	CK_OBJECT_HANDLE h;
	CK_ATTRIBUTE a = { CKA_LABEL, "y", 1 };

	CK(make_data(s, "x", true, false, &h));
	arm("update_object", 1, rv);
	return F->C_SetAttributeValue(s, h, &a, 1);
}

static CK_RV via_destroy_object(CK_SESSION_HANDLE s, CK_RV rv)
{
	CK_OBJECT_HANDLE h;

	CK(make_data(s, "x", true, false, &h));
	arm("destroy_object", 1, rv);
	return F->C_DestroyObject(s, h);
}

static CK_RV via_key_op(CK_SESSION_HANDLE s, CK_RV rv)
{
	CK_OBJECT_HANDLE pub, priv;
	CK_MECHANISM m = { CKM_ECDSA, NULL, 0 };
	CK_BYTE hash[32] = { 1 }, sig[96];
	CK_ULONG siglen = sizeof(sig);

	CK(login(s, CKU_USER, TH_USER_PIN));
	th_keypair(FX->env, s, "p256", "k", &pub, &priv);
	CK(F->C_SignInit(s, &m, priv));
	arm("key_op", 1, rv);
	return F->C_Sign(s, hash, sizeof(hash), sig, &siglen);
}

static CK_RV via_generate_keypair(CK_SESSION_HANDLE s, CK_RV rv)
{
	static const CK_BYTE oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
	CK_BBOOL yes = CK_TRUE;
	CK_MECHANISM m = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_ATTRIBUTE pt[] = { { CKA_TOKEN, &yes, 1 }, { CKA_EC_PARAMS, (void *)oid_p256, sizeof(oid_p256) },
	                      { CKA_LABEL, "g", 1 } };
	CK_ATTRIBUTE vt[] = { { CKA_TOKEN, &yes, 1 }, { CKA_PRIVATE, &yes, 1 }, { CKA_SIGN, &yes, 1 },
	                      { CKA_LABEL, "g", 1 } };
	CK_OBJECT_HANDLE pub = CK_INVALID_HANDLE, priv = CK_INVALID_HANDLE;

	CK(login(s, CKU_USER, TH_USER_PIN));
	arm("generate_keypair", 1, rv);
	rv = F->C_GenerateKeyPair(s, &m, pt, 3, vt, 4, &pub, &priv);
	if (rv != CKR_OK) {
		assert_int_equal(pub, CK_INVALID_HANDLE);
		assert_int_equal(priv, CK_INVALID_HANDLE);
	}
	return rv;
}

static CK_RV via_check_login(CK_SESSION_HANDLE s, CK_RV rv)
{
	CK_SESSION_INFO si;

	CK(login(s, CKU_USER, TH_USER_PIN));
	arm("check_login", 1, rv);
	return F->C_GetSessionInfo(s, &si);
}

typedef struct via {
	const char *op;
	CK_RV (*provoke)(CK_SESSION_HANDLE s, CK_RV rv);
	/* The front passes the backend's code through (false: it may not
	 * tell, see the op's own test). */
	bool passes_code;
} via;

static const via vias[] = {
	{ "status", via_status, true },
	{ "login", via_login, true },
	{ "logout", via_logout, true },
	{ "init_pin", via_init_pin, true },
	{ "set_pin", via_set_pin, true },
	{ "load_objects", via_load_objects, true },
	{ "changed", via_changed, true },
	{ "create_object", via_create_object, true },
	{ "update_object", via_update_object, true },
	{ "destroy_object", via_destroy_object, true },
	{ "key_op", via_key_op, true },
	{ "generate_keypair", via_generate_keypair, true },
	/* C_GetSessionInfo cannot fail for a token's trouble; a failed check
	 * keeps the login (check_login_fails_keeps_login). */
	{ "check_login", via_check_login, false },
};
#define NVIAS (sizeof(vias) / sizeof(vias[0]))

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

/* ---- objects -------------------------------------------------------------- */

/* Loading fails on first use: the search fails, and the next one loads. */
static void load_fails_then_retry(void **state)
{
	CK_SESSION_HANDLE s = open_rw();
	CK_OBJECT_HANDLE h;

	(void)state;
	CK(make_data(s, "stored", true, false, &h));
	reload_module();
	s = open_rw();
	for (size_t k = 0; k < NGENERIC; k++) {
		assert_int_equal(generic[k], via_load_objects(s, generic[k]));
		/* No search is active after a failed init. */
		assert_int_equal(CKR_OPERATION_NOT_INITIALIZED, F->C_FindObjectsFinal(s));
	}
	assert_int_equal(1, count_label(s, "stored"));
}

/* The change check failing fails the search; the objects stay. */
static void changed_fails_then_retry(void **state)
{
	CK_SESSION_HANDLE s = open_rw();
	CK_OBJECT_HANDLE h;

	(void)state;
	CK(make_data(s, "stored", true, false, &h));
	for (size_t k = 0; k < NGENERIC; k++)
		assert_int_equal(generic[k], via_changed(s, generic[k]));
	assert_int_equal(1, count_label(s, "stored"));
}

/* A token object the token refused: no handle, nothing found, nothing
 * stored (a later load shows nothing either). */
static void create_object_fails_nothing_appears(void **state)
{
	CK_SESSION_HANDLE s = user_rw();
	CK_OBJECT_HANDLE h;
	unsigned long n;

	(void)state;
	for (size_t k = 0; k < NGENERIC; k++) {
		assert_int_equal(generic[k], via_create_object(s, generic[k]));
		assert_int_equal(0, count_label(s, "x"));
	}
	reload_module();
	s = user_rw();
	assert_int_equal(0, count_label(s, "x"));
	/* A session object never reaches the backend. */
	n = calls("create_object");
	arm("create_object", 0, CKR_DEVICE_ERROR);
	CK(make_data(s, "mem", false, false, &h));
	assert_int_equal(n, calls("create_object"));
	assert_int_equal(1, count_label(s, "mem"));
}

static void update_fails_object_unchanged(void **state)
{
	CK_SESSION_HANDLE s = open_rw();
	CK_OBJECT_HANDLE h;
	char label[16];

	(void)state;
	for (size_t k = 0; k < NGENERIC; k++) {
		assert_int_equal(generic[k], via_update_object(s, generic[k]));
		h = th_find_one(FX->env, s, &(CK_ATTRIBUTE){ CKA_LABEL, "x", 1 }, 1);
		label_of(s, h, label, sizeof(label));
		assert_string_equal("x", label);
		assert_int_equal(0, count_label(s, "y"));
		CK(F->C_DestroyObject(s, h));
	}
	/* Nor on the token. */
	CK(make_data(s, "x", true, false, &h));
	arm("update_object", 1, CKR_DEVICE_ERROR);
	assert_int_equal(CKR_DEVICE_ERROR, F->C_SetAttributeValue(s, h, &(CK_ATTRIBUTE){ CKA_LABEL, "y", 1 }, 1));
	reload_module();
	s = open_rw();
	assert_int_equal(1, count_label(s, "x"));
	assert_int_equal(0, count_label(s, "y"));
}

static void destroy_fails_object_stays(void **state)
{
	CK_SESSION_HANDLE s = open_rw();
	CK_OBJECT_HANDLE h;
	char value[16];

	(void)state;
	for (size_t k = 0; k < NGENERIC; k++) {
		assert_int_equal(generic[k], via_destroy_object(s, generic[k]));
		assert_int_equal(1, count_label(s, "x"));
		h = th_find_one(FX->env, s, &(CK_ATTRIBUTE){ CKA_LABEL, "x", 1 }, 1);
		/* Still whole: its value reads. */
		CK(F->C_GetAttributeValue(s, h, &(CK_ATTRIBUTE){ CKA_VALUE, value, sizeof(value) }, 1));
		assert_memory_equal(value, "payload", 7);
		CK(F->C_DestroyObject(s, h));
		assert_int_equal(0, count_label(s, "x"));
	}
	/* And still on the token. */
	CK(make_data(s, "x", true, false, &h));
	arm("destroy_object", 1, CKR_DEVICE_ERROR);
	assert_int_equal(CKR_DEVICE_ERROR, F->C_DestroyObject(s, h));
	reload_module();
	s = open_rw();
	assert_int_equal(1, count_label(s, "x"));
}

/* ---- keys ----------------------------------------------------------------- */

static void sign_ok(CK_SESSION_HANDLE s, CK_MECHANISM *m, CK_OBJECT_HANDLE priv, CK_OBJECT_HANDLE pub)
{
	CK_BYTE data[32] = { 7 }, sig[512];
	CK_ULONG siglen = sizeof(sig);

	CK(F->C_SignInit(s, m, priv));
	CK(F->C_Sign(s, data, sizeof(data), sig, &siglen));
	CK(F->C_VerifyInit(s, m, pub));
	CK(F->C_Verify(s, data, sizeof(data), sig, siglen));
}

/* The key operation failing ends the signing operation with the token's
 * code; a new one works and its signature verifies.  For EC and RSA. */
static void key_op_fails_operation_ends(void **state)
{
	CK_SESSION_HANDLE s = user_rw();
	CK_OBJECT_HANDLE pub[2], priv[2];
	CK_MECHANISM mechs[2] = { { CKM_ECDSA, NULL, 0 }, { CKM_RSA_PKCS, NULL, 0 } };
	CK_BYTE data[32] = { 7 }, sig[512];
	CK_ULONG siglen;

	(void)state;
	th_keypair(FX->env, s, "p256", "ec", &pub[0], &priv[0]);
	th_keypair(FX->env, s, "rsa2048", "rsa", &pub[1], &priv[1]);
	for (size_t i = 0; i < 2; i++) {
		sign_ok(s, &mechs[i], priv[i], pub[i]);
		for (size_t k = 0; k < NGENERIC; k++) {
			unsigned long before = calls("key_op");

			CK(F->C_SignInit(s, &mechs[i], priv[i]));
			arm("key_op", 1, generic[k]);
			siglen = sizeof(sig);
			assert_int_equal(generic[k], F->C_Sign(s, data, sizeof(data), sig, &siglen));
			assert_int_equal(before + 1, calls("key_op"));
			siglen = sizeof(sig);
			assert_int_equal(CKR_OPERATION_NOT_INITIALIZED, F->C_Sign(s, data, sizeof(data), sig, &siglen));
			sign_ok(s, &mechs[i], priv[i], pub[i]);
		}
	}
}

/* The key operation answers "not logged in" (the card forgot its PIN):
 * the code reaches the application and the operation is over. */
static void key_op_not_logged_in(void **state)
{
	CK_SESSION_HANDLE s = user_rw();
	CK_OBJECT_HANDLE pub, priv;
	CK_MECHANISM m = { CKM_ECDSA, NULL, 0 };
	CK_BYTE data[32] = { 7 }, sig[96];
	CK_ULONG siglen = sizeof(sig);

	(void)state;
	th_keypair(FX->env, s, "p256", "ec", &pub, &priv);
	CK(F->C_SignInit(s, &m, priv));
	arm("key_op", 1, CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(CKR_USER_NOT_LOGGED_IN, F->C_Sign(s, data, sizeof(data), sig, &siglen));
	siglen = sizeof(sig);
	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED, F->C_Sign(s, data, sizeof(data), sig, &siglen));
}

/* A key pair the token did not make: no handles, no half found by label
 * (neither now nor after a reload), and a retry makes a usable pair. */
static void generate_fails_no_half_key(void **state)
{
	CK_SESSION_HANDLE s = open_rw();
	CK_OBJECT_HANDLE pub, priv;
	CK_MECHANISM m = { CKM_ECDSA, NULL, 0 };

	(void)state;
	for (size_t k = 0; k < NGENERIC; k++) {
		assert_int_equal(generic[k], via_generate_keypair(s, generic[k]));
		assert_int_equal(0, count_label(s, "g"));
		CK(F->C_Logout(s));
	}
	reload_module();
	s = user_rw();
	assert_int_equal(0, count_label(s, "g"));
	th_keypair(FX->env, s, "p256", "g", &pub, &priv);
	assert_int_equal(2, count_label(s, "g"));
	sign_ok(s, &m, priv, pub);
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

/* The control API itself: "the 2nd call" fails the 2nd call only. */
static void mock_nth_call(void **state)
{
	CK_TOKEN_INFO ti;
	unsigned long n = calls("status");

	(void)state;
	arm("status", 2, CKR_DEVICE_ERROR);
	CK(F->C_GetTokenInfo(FX->slot, &ti));
	assert_int_equal(CKR_DEVICE_ERROR, F->C_GetTokenInfo(FX->slot, &ti));
	CK(F->C_GetTokenInfo(FX->slot, &ti));
	assert_int_equal(n + 3, calls("status"));
	arm("status", 0, CKR_GENERAL_ERROR);
	assert_int_equal(CKR_GENERAL_ERROR, F->C_GetTokenInfo(FX->slot, &ti));
	assert_int_equal(CKR_GENERAL_ERROR, F->C_GetTokenInfo(FX->slot, &ti));
	assert_int_equal(-1, FX->arm_fn("no_such_op", 1, CKR_OK));
	assert_int_equal(~0UL, calls("no_such_op"));
}

/* A token that keeps no keys (the soft token's kind): the front makes the
 * pair on the host and stores the halves one by one.  The token refusing
 * either half leaves no half behind, and the code reaches the
 * application; private keys are then used on the host (no key_op). */
static void host_pair_store_fails_no_half_key(void **state)
{
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE pub, priv;
	CK_MECHANISM m = { CKM_ECDSA, NULL, 0 };

	(void)state;
	FX->keys_on_host(true);
	reload_module();
	s = open_rw();
	for (unsigned nth = 1; nth <= 2; nth++) {
		for (size_t k = 0; k < NGENERIC; k++) {
			unsigned long before = calls("create_object");

			/* via_generate_keypair arms generate_keypair, never called here. */
			arm("create_object", nth, generic[k]);
			assert_int_equal(generic[k], via_generate_keypair(s, CKR_OK));
			assert_int_equal(before + nth, calls("create_object"));
			assert_int_equal(0, count_label(s, "g"));
			CK(F->C_Logout(s));
		}
	}
	assert_int_equal(0, calls("generate_keypair"));
	reload_module();
	s = user_rw();
	assert_int_equal(0, count_label(s, "g"));
	th_keypair(FX->env, s, "p256", "g", &pub, &priv);
	assert_int_equal(2, count_label(s, "g"));
	sign_ok(s, &m, priv, pub);
	assert_int_equal(0, calls("key_op"));
}

/* ---- random, release ------------------------------------------------------ */

/* C_GenerateRandom uses the host's generator, never the token's: a token
 * whose generator fails changes nothing (and is never asked). */
static void random_not_used(void **state)
{
	CK_SESSION_HANDLE s = open_rw();
	CK_BYTE buf[32] = { 0 }, zero[32] = { 0 };

	(void)state;
	arm("random", 0, CKR_DEVICE_ERROR);
	CK(F->C_GenerateRandom(s, buf, sizeof(buf)));
	assert_memory_not_equal(buf, zero, sizeof(buf));
	assert_int_equal(0, calls("random"));
}

/* Every token handle opened is given back by C_Finalize, and the
 * provider too. */
static void finalize_releases_all(void **state)
{
	CK_SESSION_HANDLE s;
	CK_SLOT_ID b = th_slot_of(FX->env, "mock-b");

	(void)state;
	s = user_rw();
	CK(F->C_OpenSession(b, CKF_SERIAL_SESSION, NULL, NULL, &s));
	CK(F->C_Finalize(NULL));
	assert_true(calls("open") >= 2);
	assert_int_equal(calls("open"), calls("release"));
	assert_int_equal(1, calls("prov_release"));
	CK(F->C_Initialize(NULL));
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
		T(load_fails_then_retry),
		T(changed_fails_then_retry),
		T(create_object_fails_nothing_appears),
		T(update_fails_object_unchanged),
		T(destroy_fails_object_stays),
		T(key_op_fails_operation_ends),
		T(key_op_not_logged_in),
		T(generate_fails_no_half_key),
		T(context_login_fails),
		T(close_logout_fails),
		T(init_token_removed),
		T(mock_nth_call),
		T(host_pair_store_fails_no_half_key),
		T(random_not_used),
		T(finalize_releases_all),
		T(finding_token_not_present_on_session),
		T(finding_sign_init_unlisted_mechanism),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
