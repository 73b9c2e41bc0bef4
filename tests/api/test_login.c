/* Login and passcodes: C_Login/C_LoginUser/C_Logout rules, exact passcode
 * flags after failures (P2), malformed passcodes (P1), C_InitPIN and
 * C_SetPIN (P1, P5). */
#include <string.h>

#include "harness.h"

#define RO (CKF_SERIAL_SESSION)
#define RW (CKF_SERIAL_SESSION | CKF_RW_SESSION)
#define PIN(s) (CK_UTF8CHAR_PTR)(s), (CK_ULONG)strlen(s)

#define USER_PIN_FLAGS (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED)
#define SO_PIN_FLAGS (CKF_SO_PIN_COUNT_LOW | CKF_SO_PIN_FINAL_TRY | CKF_SO_PIN_LOCKED)

static CK_FLAGS token_flags(th_env *env, CK_SLOT_ID slot)
{
	CK_TOKEN_INFO ti;

	CK(env->f->C_GetTokenInfo(slot, &ti));
	return ti.flags;
}

static CK_SESSION_HANDLE open_rw(th_env *env, CK_SLOT_ID slot)
{
	CK_SESSION_HANDLE s;

	CK(env->f->C_OpenSession(slot, RW, NULL, NULL, &s));
	return s;
}

static void test_login_logout(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = th_new_token(env, "login");
	CK_SESSION_HANDLE s = open_rw(env, slot);

	assert_int_equal(env->f->C_Logout(s), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(env->f->C_Login(s, CKU_USER, PIN("654321")), CKR_PIN_INCORRECT);
	CK(env->f->C_Login(s, CKU_USER, PIN(TH_USER_PIN)));
	assert_int_equal(env->f->C_Login(s, CKU_USER, PIN(TH_USER_PIN)), CKR_USER_ALREADY_LOGGED_IN);
	assert_int_equal(env->f->C_Login(s, CKU_SO, PIN(TH_SO_PIN)), CKR_USER_ANOTHER_ALREADY_LOGGED_IN);
	CK(env->f->C_Logout(s));
	assert_int_equal(env->f->C_Logout(s), CKR_USER_NOT_LOGGED_IN);
	CK(env->f->C_Login(s, CKU_SO, PIN(TH_SO_PIN)));
	assert_int_equal(env->f->C_Login(s, CKU_SO, PIN(TH_SO_PIN)), CKR_USER_ALREADY_LOGGED_IN);
	assert_int_equal(env->f->C_Login(s, CKU_USER, PIN(TH_USER_PIN)), CKR_USER_ANOTHER_ALREADY_LOGGED_IN);
	CK(env->f->C_Logout(s));
}

static void test_login_args(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = th_new_token(env, "args");
	CK_SESSION_HANDLE s = open_rw(env, slot);

	assert_int_equal(env->f->C_Login(s, 7, PIN(TH_USER_PIN)), CKR_USER_TYPE_INVALID);
	assert_int_equal(env->f->C_Login(s, CKU_USER, NULL, 6), CKR_ARGUMENTS_BAD);
	assert_int_equal(env->f->C_Login(s + 1000, CKU_USER, PIN(TH_USER_PIN)), CKR_SESSION_HANDLE_INVALID);
	/* No operation waits for a context-specific login. */
	assert_int_equal(env->f->C_Login(s, CKU_CONTEXT_SPECIFIC, PIN(TH_USER_PIN)),
	                 CKR_OPERATION_NOT_INITIALIZED);
	/* None of this spent a try. */
	assert_int_equal(token_flags(env, slot) & USER_PIN_FLAGS, 0);
}

static void test_login_user(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = th_new_token(env, "loginuser");
	CK_SESSION_HANDLE s = open_rw(env, slot);
	CK_SESSION_INFO si;

	assert_int_equal(env->f->C_LoginUser(s, CKU_USER, PIN(TH_USER_PIN), (CK_UTF8CHAR_PTR) "bob", 3),
	                 CKR_ARGUMENTS_BAD);
	assert_int_equal(env->f->C_LoginUser(s, CKU_USER, PIN(TH_USER_PIN), NULL, 3), CKR_ARGUMENTS_BAD);
	assert_int_equal(env->f->C_LoginUser(s, CKU_USER, PIN("000000"), NULL, 0), CKR_PIN_INCORRECT);
	CK(env->f->C_LoginUser(s, CKU_USER, PIN(TH_USER_PIN), NULL, 0));
	CK(env->f->C_GetSessionInfo(s, &si));
	assert_int_equal(si.state, CKS_RW_USER_FUNCTIONS);
	CK(env->f->C_Logout(s));
	CK(env->f->C_LoginUser(s, CKU_SO, PIN(TH_SO_PIN), (CK_UTF8CHAR_PTR) "", 0));
	CK(env->f->C_GetSessionInfo(s, &si));
	assert_int_equal(si.state, CKS_RW_SO_FUNCTIONS);
}

/* P2: the flags follow every failure exactly, and a success clears them. */
static void test_pin_flags(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = th_new_token(env, "flags");
	CK_SESSION_HANDLE s = open_rw(env, slot);

	assert_int_equal(token_flags(env, slot) & USER_PIN_FLAGS, 0);
	assert_int_equal(env->f->C_Login(s, CKU_USER, PIN("999999")), CKR_PIN_INCORRECT);
	assert_int_equal(token_flags(env, slot) & USER_PIN_FLAGS, CKF_USER_PIN_COUNT_LOW);
	assert_int_equal(env->f->C_Login(s, CKU_USER, PIN("999999")), CKR_PIN_INCORRECT);
	assert_int_equal(token_flags(env, slot) & USER_PIN_FLAGS,
	                 CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY);
	/* The SO's counter is separate. */
	assert_int_equal(token_flags(env, slot) & SO_PIN_FLAGS, 0);
	CK(env->f->C_Login(s, CKU_USER, PIN(TH_USER_PIN)));
	assert_int_equal(token_flags(env, slot) & USER_PIN_FLAGS, 0);
	CK(env->f->C_Logout(s));
	assert_int_equal(env->f->C_Login(s, CKU_USER, PIN("999999")), CKR_PIN_INCORRECT);
	assert_int_equal(token_flags(env, slot) & USER_PIN_FLAGS, CKF_USER_PIN_COUNT_LOW);
	CK(env->f->C_Login(s, CKU_USER, PIN(TH_USER_PIN)));
	assert_int_equal(token_flags(env, slot) & USER_PIN_FLAGS, 0);
}

/* P1: a passcode that can never be right costs no try. */
static void test_malformed_costs_nothing(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = th_new_token(env, "malformed");
	CK_SESSION_HANDLE s = open_rw(env, slot);
	const char *bad[] = { "12345", "123456789", "12a456", "", "1234 6" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CK_RV rv = env->f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)bad[i], strlen(bad[i]));

		assert_true(rv != CKR_OK);
		assert_int_equal(token_flags(env, slot) & USER_PIN_FLAGS, 0);
		rv = env->f->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR)bad[i], strlen(bad[i]));
		assert_true(rv != CKR_OK);
		assert_int_equal(token_flags(env, slot) & SO_PIN_FLAGS, 0);
	}
	/* The right one still works after all of them. */
	CK(env->f->C_Login(s, CKU_USER, PIN(TH_USER_PIN)));
}

static void test_user_pin_not_set(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = th_new_token_no_user(env, "no user");
	CK_SESSION_HANDLE s = open_rw(env, slot);

	assert_false(token_flags(env, slot) & CKF_USER_PIN_INITIALIZED);
	assert_int_equal(env->f->C_Login(s, CKU_USER, PIN(TH_USER_PIN)), CKR_USER_PIN_NOT_INITIALIZED);
}

static void test_init_pin(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = th_new_token_no_user(env, "initpin");
	CK_SESSION_HANDLE ro, rw;

	CK(env->f->C_OpenSession(slot, RO, NULL, NULL, &ro));
	rw = open_rw(env, slot);
	assert_int_equal(env->f->C_InitPIN(ro, PIN("112233")), CKR_SESSION_READ_ONLY);
	assert_int_equal(env->f->C_InitPIN(rw, PIN("112233")), CKR_USER_NOT_LOGGED_IN);
	CK(env->f->C_CloseSession(ro));
	CK(env->f->C_Login(rw, CKU_SO, PIN(TH_SO_PIN)));
	assert_int_equal(env->f->C_InitPIN(rw, NULL, 6), CKR_ARGUMENTS_BAD);
	assert_int_equal(env->f->C_InitPIN(rw, PIN("12345")), CKR_PIN_LEN_RANGE);
	assert_int_equal(env->f->C_InitPIN(rw, PIN("123456789")), CKR_PIN_LEN_RANGE);
	assert_int_equal(env->f->C_InitPIN(rw, PIN("12345x")), CKR_PIN_INVALID);
	assert_false(token_flags(env, slot) & CKF_USER_PIN_INITIALIZED);
	CK(env->f->C_InitPIN(rw, PIN("11223344")));
	assert_true(token_flags(env, slot) & CKF_USER_PIN_INITIALIZED);
	CK(env->f->C_Logout(rw));
	CK(env->f->C_Login(rw, CKU_USER, PIN("11223344")));
}

static void test_set_pin_user(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = th_new_token(env, "setpin");
	CK_SESSION_HANDLE ro, rw;

	CK(env->f->C_OpenSession(slot, RO, NULL, NULL, &ro));
	rw = open_rw(env, slot);
	assert_int_equal(env->f->C_SetPIN(ro, PIN(TH_USER_PIN), PIN("222333")), CKR_SESSION_READ_ONLY);
	assert_int_equal(env->f->C_SetPIN(rw, NULL, 0, PIN("222333")), CKR_ARGUMENTS_BAD);
	assert_int_equal(env->f->C_SetPIN(rw, PIN(TH_USER_PIN), PIN("22233")), CKR_PIN_LEN_RANGE);
	assert_int_equal(env->f->C_SetPIN(rw, PIN(TH_USER_PIN), PIN("222333444")), CKR_PIN_LEN_RANGE);
	assert_int_equal(env->f->C_SetPIN(rw, PIN(TH_USER_PIN), PIN("2223x3")), CKR_PIN_INVALID);
	/* P5: the new passcode must differ. */
	assert_int_equal(env->f->C_SetPIN(rw, PIN(TH_USER_PIN), PIN(TH_USER_PIN)), CKR_PIN_INVALID);
	assert_int_equal(token_flags(env, slot) & USER_PIN_FLAGS, 0);
	/* A wrong old passcode costs a try. */
	assert_int_equal(env->f->C_SetPIN(rw, PIN("999999"), PIN("222333")), CKR_PIN_INCORRECT);
	assert_int_equal(token_flags(env, slot) & USER_PIN_FLAGS, CKF_USER_PIN_COUNT_LOW);
	/* In a public session: changes the user passcode. */
	CK(env->f->C_SetPIN(rw, PIN(TH_USER_PIN), PIN("222333")));
	assert_int_equal(token_flags(env, slot) & USER_PIN_FLAGS, 0);
	assert_int_equal(env->f->C_Login(rw, CKU_USER, PIN(TH_USER_PIN)), CKR_PIN_INCORRECT);
	CK(env->f->C_Login(rw, CKU_USER, PIN("222333")));
	/* In a user session too. */
	CK(env->f->C_SetPIN(rw, PIN("222333"), PIN("44445555")));
	CK(env->f->C_Logout(rw));
	CK(env->f->C_Login(rw, CKU_USER, PIN("44445555")));
}

static void test_set_pin_so(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = th_new_token(env, "setsopin");
	CK_SESSION_HANDLE rw = open_rw(env, slot);

	CK(env->f->C_Login(rw, CKU_SO, PIN(TH_SO_PIN)));
	assert_int_equal(env->f->C_SetPIN(rw, PIN(TH_SO_PIN), PIN(TH_SO_PIN)), CKR_PIN_INVALID);
	CK(env->f->C_SetPIN(rw, PIN(TH_SO_PIN), PIN("55556666")));
	CK(env->f->C_Logout(rw));
	assert_int_equal(env->f->C_Login(rw, CKU_SO, PIN(TH_SO_PIN)), CKR_PIN_INCORRECT);
	CK(env->f->C_Login(rw, CKU_SO, PIN("55556666")));
	CK(env->f->C_Logout(rw));
	/* The user passcode did not change. */
	CK(env->f->C_Login(rw, CKU_USER, PIN(TH_USER_PIN)));
}

#define T(t) cmocka_unit_test_setup_teardown(t, th_setup, th_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_login_logout),
		T(test_login_args),
		T(test_login_user),
		T(test_pin_flags),
		T(test_malformed_costs_nothing),
		T(test_user_pin_not_set),
		T(test_init_pin),
		T(test_set_pin_user),
		T(test_set_pin_so),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
