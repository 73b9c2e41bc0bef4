/* Shared fixture of the mock front-error tests (front_fixture.h). */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "front_fixture.h"

const CK_RV generic[] = {
	CKR_DEVICE_ERROR, CKR_DEVICE_MEMORY, CKR_HOST_MEMORY, CKR_FUNCTION_FAILED, CKR_GENERAL_ERROR,
};

fx *FX;

static void *sym(th_env *env, const char *name)
{
	void *p = dlsym(env->dl, name);

	if (p == NULL)
		fail_msg("%s is not exported by the mock module (CAREID_MODULE=%s)", name, getenv("CAREID_MODULE"));
	return p;
}

int setup(void **state)
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

int teardown(void **state)
{
	fx *x = *state;
	void *envp = x->env;

	th_teardown(&envp);
	free(x);
	FX = NULL;
	return 0;
}

void arm(const char *op, unsigned nth, CK_RV rv)
{
	assert_int_equal(0, FX->arm_fn(op, nth, rv));
}

/* Every call succeeds again (a rule answering CKR_OK). */
void disarm(const char *op)
{
	arm(op, 0, CKR_OK);
}

unsigned long calls(const char *op)
{
	return FX->calls(op);
}

/* C_Finalize and C_Initialize: the token is opened and its objects are
 * read anew, from the mock's state, which stays. */
void reload_module(void)
{
	CK(F->C_Finalize(NULL));
	CK(F->C_Initialize(NULL));
	FX->slot = th_slot_of(FX->env, "mock-a");
}

CK_SESSION_HANDLE open_rw(void)
{
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;

	CK(F->C_OpenSession(FX->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s));
	return s;
}

CK_SESSION_HANDLE user_rw(void)
{
	CK_SESSION_HANDLE s = open_rw();

	CK(F->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)TH_USER_PIN, strlen(TH_USER_PIN)));
	return s;
}

CK_STATE state_of(CK_SESSION_HANDLE s)
{
	CK_SESSION_INFO si;

	CK(F->C_GetSessionInfo(s, &si));
	return si.state;
}

CK_RV login(CK_SESSION_HANDLE s, CK_USER_TYPE who, const char *pin)
{
	return F->C_Login(s, who, (CK_UTF8CHAR_PTR)pin, strlen(pin));
}

CK_ULONG session_count(void)
{
	CK_TOKEN_INFO ti;

	CK(F->C_GetTokenInfo(FX->slot, &ti));
	return ti.ulSessionCount;
}

/* A data object; token and private as asked. */
CK_RV make_data(CK_SESSION_HANDLE s, const char *label, bool token, bool priv, CK_OBJECT_HANDLE *h)
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
CK_ULONG count_label(CK_SESSION_HANDLE s, const char *label)
{
	CK_ATTRIBUTE t[] = { { CKA_LABEL, (void *)label, strlen(label) } };
	CK_OBJECT_HANDLE h[8];
	CK_ULONG n = 0;

	CK(F->C_FindObjectsInit(s, t, 1));
	CK(F->C_FindObjects(s, h, 8, &n));
	CK(F->C_FindObjectsFinal(s));
	return n;
}

void label_of(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, char *out, size_t cap)
{
	CK_ATTRIBUTE a = { CKA_LABEL, out, cap - 1 };

	CK(F->C_GetAttributeValue(s, h, &a, 1));
	out[a.ulValueLen] = '\0';
}

/* ---- provoking each backend operation (see front_fixture.h) ----------- */

/* Opening a session asks the status only until the token is seen
 * initialised; C_GetTokenInfo asks it every time. */
CK_RV via_status(CK_SESSION_HANDLE s, CK_RV rv)
{
	CK_TOKEN_INFO ti;

	(void)s;
	arm("status", 1, rv);
	return F->C_GetTokenInfo(FX->slot, &ti);
}

CK_RV via_login(CK_SESSION_HANDLE s, CK_RV rv)
{
	arm("login", 1, rv);
	return login(s, CKU_USER, TH_USER_PIN);
}

CK_RV via_logout(CK_SESSION_HANDLE s, CK_RV rv)
{
	CK(login(s, CKU_USER, TH_USER_PIN));
	arm("logout", 1, rv);
	return F->C_Logout(s);
}

CK_RV via_init_pin(CK_SESSION_HANDLE s, CK_RV rv)
{
	CK(login(s, CKU_SO, TH_SO_PIN));
	arm("init_pin", 1, rv);
	return F->C_InitPIN(s, (CK_UTF8CHAR_PTR) "654321", 6);
}

CK_RV via_set_pin(CK_SESSION_HANDLE s, CK_RV rv)
{
	arm("set_pin", 1, rv);
	return F->C_SetPIN(s, (CK_UTF8CHAR_PTR)TH_USER_PIN, strlen(TH_USER_PIN), (CK_UTF8CHAR_PTR) "654321", 6);
}

CK_RV via_load_objects(CK_SESSION_HANDLE s, CK_RV rv)
{
	CK_ATTRIBUTE t[] = { { CKA_LABEL, "x", 1 } };

	arm("load_objects", 1, rv);
	rv = F->C_FindObjectsInit(s, t, 1);
	if (rv == CKR_OK)
		(void)F->C_FindObjectsFinal(s);
	return rv;
}

CK_RV via_changed(CK_SESSION_HANDLE s, CK_RV rv)
{
	CK_ATTRIBUTE t[] = { { CKA_LABEL, "x", 1 } };

	assert_int_equal(0, count_label(s, "x"));   /* objects loaded */
	arm("changed", 1, rv);
	rv = F->C_FindObjectsInit(s, t, 1);
	if (rv == CKR_OK)
		(void)F->C_FindObjectsFinal(s);
	return rv;
}

CK_RV via_create_object(CK_SESSION_HANDLE s, CK_RV rv)
{
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;

	arm("create_object", 1, rv);
	rv = make_data(s, "x", true, false, &h);
	if (rv != CKR_OK)
		assert_int_equal(h, CK_INVALID_HANDLE);
	return rv;
}

CK_RV via_update_object(CK_SESSION_HANDLE s, CK_RV rv)
{
	CK_OBJECT_HANDLE h;
	CK_ATTRIBUTE a = { CKA_LABEL, "y", 1 };

	CK(make_data(s, "x", true, false, &h));
	arm("update_object", 1, rv);
	return F->C_SetAttributeValue(s, h, &a, 1);
}

CK_RV via_destroy_object(CK_SESSION_HANDLE s, CK_RV rv)
{
	CK_OBJECT_HANDLE h;

	CK(make_data(s, "x", true, false, &h));
	arm("destroy_object", 1, rv);
	return F->C_DestroyObject(s, h);
}

CK_RV via_key_op(CK_SESSION_HANDLE s, CK_RV rv)
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

CK_RV via_generate_keypair(CK_SESSION_HANDLE s, CK_RV rv)
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

CK_RV via_check_login(CK_SESSION_HANDLE s, CK_RV rv)
{
	CK_SESSION_INFO si;

	CK(login(s, CKU_USER, TH_USER_PIN));
	arm("check_login", 1, rv);
	return F->C_GetSessionInfo(s, &si);
}

const via vias[] = {
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
