/* P2/P3 lockout: three wrong passcodes lock the user passcode, durably
 * (across C_Finalize/C_Initialize and a reload of the module); the SO
 * unblocks with C_InitPIN; the SO passcode has its own lockout. */
#include <string.h>

#include "harness.h"

#define RW (CKF_SERIAL_SESSION | CKF_RW_SESSION)
#define PIN(s) (CK_UTF8CHAR_PTR)(s), (CK_ULONG)strlen(s)
#define WRONG "000111"
#define WRONG_SO "00011122"

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

/* Three wrong passcodes; the third may already say locked. */
static void lock_user(th_env *env, CK_SLOT_ID slot)
{
	CK_SESSION_HANDLE s = open_rw(env, slot);
	CK_RV rv;

	assert_int_equal(env->f->C_Login(s, CKU_USER, PIN(WRONG)), CKR_PIN_INCORRECT);
	assert_int_equal(env->f->C_Login(s, CKU_USER, PIN(WRONG)), CKR_PIN_INCORRECT);
	assert_false(token_flags(env, slot) & CKF_USER_PIN_LOCKED);
	rv = env->f->C_Login(s, CKU_USER, PIN(WRONG));
	assert_true(rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED);
	CK(env->f->C_CloseSession(s));
}

static void assert_user_locked(th_env *env, CK_SLOT_ID slot)
{
	CK_SESSION_HANDLE s = open_rw(env, slot);

	assert_true(token_flags(env, slot) & CKF_USER_PIN_LOCKED);
	/* Even the right passcode is refused. */
	assert_int_equal(env->f->C_Login(s, CKU_USER, PIN(TH_USER_PIN)), CKR_PIN_LOCKED);
	assert_int_equal(env->f->C_SetPIN(s, PIN(TH_USER_PIN), PIN("121212")), CKR_PIN_LOCKED);
	CK(env->f->C_CloseSession(s));
}

/* The token's slot after a restart: found again by its label. */
static CK_SLOT_ID find_token(th_env *env, const char *label)
{
	CK_SLOT_ID list[32];
	CK_ULONG n = 32;
	CK_UTF8CHAR lab[32];
	CK_TOKEN_INFO ti;

	th_pad(lab, sizeof(lab), label);
	CK(env->f->C_GetSlotList(CK_TRUE, list, &n));
	for (CK_ULONG i = 0; i < n; i++) {
		CK(env->f->C_GetTokenInfo(list[i], &ti));
		if (memcmp(ti.label, lab, sizeof(lab)) == 0)
			return list[i];
	}
	fail_msg("token %s not found", label);
	return 0;
}

static void test_three_strikes(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = th_new_token(env, "locked");

	lock_user(env, slot);
	assert_user_locked(env, slot);
	assert_int_equal(token_flags(env, slot) &
	                 (CKF_USER_PIN_LOCKED | CKF_USER_PIN_FINAL_TRY | CKF_SO_PIN_LOCKED),
	                 CKF_USER_PIN_LOCKED);
}

static void test_locked_across_restart(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = th_new_token(env, "durable");

	lock_user(env, slot);
	CK(env->f->C_Finalize(NULL));
	CK(env->f->C_Initialize(NULL));
	assert_user_locked(env, find_token(env, "durable"));

	/* Unload and load the module again, as a new process would. */
	CK(env->f->C_Finalize(NULL));
	th_unload(env);
	th_load(env);
	CK(env->f->C_Initialize(NULL));
	assert_user_locked(env, find_token(env, "durable"));
}

static void test_unblock(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = th_new_token(env, "unblock");
	CK_SESSION_HANDLE s;

	lock_user(env, slot);
	s = open_rw(env, slot);
	CK(env->f->C_Login(s, CKU_SO, PIN(TH_SO_PIN)));
	/* The unblock passcode follows P1 as well. */
	assert_int_equal(env->f->C_InitPIN(s, PIN("1234")), CKR_PIN_LEN_RANGE);
	assert_true(token_flags(env, slot) & CKF_USER_PIN_LOCKED);
	CK(env->f->C_InitPIN(s, PIN("24681357")));
	CK(env->f->C_Logout(s));
	assert_int_equal(token_flags(env, slot) & (CKF_USER_PIN_LOCKED | CKF_USER_PIN_COUNT_LOW |
	                                           CKF_USER_PIN_FINAL_TRY),
	                 0);
	assert_int_equal(env->f->C_Login(s, CKU_USER, PIN(TH_USER_PIN)), CKR_PIN_INCORRECT);
	CK(env->f->C_Login(s, CKU_USER, PIN("24681357")));
	CK(env->f->C_Logout(s));
	/* The counter is back at three: two wrong ones do not lock. */
	assert_int_equal(env->f->C_Login(s, CKU_USER, PIN(WRONG)), CKR_PIN_INCORRECT);
	assert_int_equal(env->f->C_Login(s, CKU_USER, PIN(WRONG)), CKR_PIN_INCORRECT);
	CK(env->f->C_Login(s, CKU_USER, PIN("24681357")));
}

static void test_so_lockout(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = th_new_token(env, "so lockout");
	CK_SESSION_HANDLE s = open_rw(env, slot);
	CK_RV rv;

	assert_int_equal(env->f->C_Login(s, CKU_SO, PIN(WRONG_SO)), CKR_PIN_INCORRECT);
	assert_int_equal(token_flags(env, slot) & (CKF_SO_PIN_COUNT_LOW | CKF_USER_PIN_COUNT_LOW),
	                 CKF_SO_PIN_COUNT_LOW);
	assert_int_equal(env->f->C_Login(s, CKU_SO, PIN(WRONG_SO)), CKR_PIN_INCORRECT);
	assert_true(token_flags(env, slot) & CKF_SO_PIN_FINAL_TRY);
	rv = env->f->C_Login(s, CKU_SO, PIN(WRONG_SO));
	assert_true(rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED);
	assert_true(token_flags(env, slot) & CKF_SO_PIN_LOCKED);
	assert_int_equal(env->f->C_Login(s, CKU_SO, PIN(TH_SO_PIN)), CKR_PIN_LOCKED);
	/* The user is not affected. */
	assert_false(token_flags(env, slot) & CKF_USER_PIN_LOCKED);
	CK(env->f->C_Login(s, CKU_USER, PIN(TH_USER_PIN)));
}

/* A wrong old passcode in C_SetPIN counts like a wrong login. */
static void test_set_pin_counts(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = th_new_token(env, "setpin tries");
	CK_SESSION_HANDLE s = open_rw(env, slot);
	CK_RV rv;

	assert_int_equal(env->f->C_SetPIN(s, PIN(WRONG), PIN("313131")), CKR_PIN_INCORRECT);
	assert_int_equal(env->f->C_Login(s, CKU_USER, PIN(WRONG)), CKR_PIN_INCORRECT);
	assert_true(token_flags(env, slot) & CKF_USER_PIN_FINAL_TRY);
	rv = env->f->C_SetPIN(s, PIN(WRONG), PIN("313131"));
	assert_true(rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED);
	CK(env->f->C_CloseSession(s));
	assert_user_locked(env, slot);
}

#define T(t) cmocka_unit_test_setup_teardown(t, th_setup, th_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_three_strikes),
		T(test_locked_across_restart),
		T(test_unblock),
		T(test_so_lockout),
		T(test_set_pin_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
