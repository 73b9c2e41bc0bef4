/* Sessions: opening rules, states per login, closing one or all, handle
 * lifetime, and what closing does to the login state. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define RO (CKF_SERIAL_SESSION)
#define RW (CKF_SERIAL_SESSION | CKF_RW_SESSION)

static CK_STATE state_of(th_env *env, CK_SESSION_HANDLE s)
{
	CK_SESSION_INFO si;

	CK(env->f->C_GetSessionInfo(s, &si));
	return si.state;
}

static CK_SLOT_ID token(void **state)
{
	return th_new_token(TH_ENV(state), "sessions");
}

static void test_open_args(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = token(state);
	CK_SESSION_HANDLE s;

	assert_int_equal(env->f->C_OpenSession(slot, RW, NULL, NULL, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(env->f->C_OpenSession(slot, 0, NULL, NULL, &s), CKR_SESSION_PARALLEL_NOT_SUPPORTED);
	assert_int_equal(env->f->C_OpenSession(slot, CKF_RW_SESSION, NULL, NULL, &s),
	                 CKR_SESSION_PARALLEL_NOT_SUPPORTED);
	assert_int_equal(env->f->C_OpenSession(777, RW, NULL, NULL, &s), CKR_SLOT_ID_INVALID);
	assert_int_equal(env->f->C_GetSessionInfo(1, NULL), CKR_ARGUMENTS_BAD);
}

static void test_info_and_states(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = token(state);
	CK_SESSION_HANDLE ro, rw;
	CK_SESSION_INFO si;

	CK(env->f->C_OpenSession(slot, RO, NULL, NULL, &ro));
	CK(env->f->C_OpenSession(slot, RW, NULL, NULL, &rw));
	assert_true(ro != CK_INVALID_HANDLE && rw != CK_INVALID_HANDLE && ro != rw);
	CK(env->f->C_GetSessionInfo(ro, &si));
	assert_int_equal(si.slotID, slot);
	assert_int_equal(si.flags, RO);
	assert_int_equal(si.state, CKS_RO_PUBLIC_SESSION);
	assert_int_equal(si.ulDeviceError, 0);
	CK(env->f->C_GetSessionInfo(rw, &si));
	assert_int_equal(si.flags, RW);
	assert_int_equal(si.state, CKS_RW_PUBLIC_SESSION);

	/* One login serves every session of the application. */
	CK(env->f->C_Login(ro, CKU_USER, (CK_UTF8CHAR_PTR)TH_USER_PIN, 6));
	assert_int_equal(state_of(env, ro), CKS_RO_USER_FUNCTIONS);
	assert_int_equal(state_of(env, rw), CKS_RW_USER_FUNCTIONS);
	CK(env->f->C_Logout(rw));
	assert_int_equal(state_of(env, ro), CKS_RO_PUBLIC_SESSION);
	assert_int_equal(state_of(env, rw), CKS_RW_PUBLIC_SESSION);
}

static void test_so_and_read_only(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = token(state);
	CK_SESSION_HANDLE ro, rw, other;

	CK(env->f->C_OpenSession(slot, RO, NULL, NULL, &ro));
	CK(env->f->C_OpenSession(slot, RW, NULL, NULL, &rw));
	/* The SO works in R/W sessions only. */
	assert_int_equal(env->f->C_Login(rw, CKU_SO, (CK_UTF8CHAR_PTR)TH_SO_PIN, 8),
	                 CKR_SESSION_READ_ONLY_EXISTS);
	CK(env->f->C_CloseSession(ro));
	CK(env->f->C_Login(rw, CKU_SO, (CK_UTF8CHAR_PTR)TH_SO_PIN, 8));
	assert_int_equal(state_of(env, rw), CKS_RW_SO_FUNCTIONS);
	assert_int_equal(env->f->C_OpenSession(slot, RO, NULL, NULL, &other),
	                 CKR_SESSION_READ_WRITE_SO_EXISTS);
	CK(env->f->C_OpenSession(slot, RW, NULL, NULL, &other));
	assert_int_equal(state_of(env, other), CKS_RW_SO_FUNCTIONS);
	CK(env->f->C_Logout(rw));
	CK(env->f->C_OpenSession(slot, RO, NULL, NULL, &ro));
	assert_int_equal(state_of(env, ro), CKS_RO_PUBLIC_SESSION);
}

static void test_close(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = token(state);
	CK_SESSION_HANDLE a, b;
	CK_SESSION_INFO si;

	CK(env->f->C_OpenSession(slot, RW, NULL, NULL, &a));
	CK(env->f->C_OpenSession(slot, RO, NULL, NULL, &b));
	CK(env->f->C_CloseSession(a));
	assert_int_equal(env->f->C_GetSessionInfo(a, &si), CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(env->f->C_CloseSession(a), CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(env->f->C_Login(a, CKU_USER, (CK_UTF8CHAR_PTR)TH_USER_PIN, 6),
	                 CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(env->f->C_CloseSession(CK_INVALID_HANDLE), CKR_SESSION_HANDLE_INVALID);
	/* The other one is untouched. */
	assert_int_equal(state_of(env, b), CKS_RO_PUBLIC_SESSION);
	/* A new session never reuses a closed handle. */
	CK(env->f->C_OpenSession(slot, RW, NULL, NULL, &a));
	assert_true(a != b);
	CK(env->f->C_CloseSession(b));
	assert_int_equal(state_of(env, a), CKS_RW_PUBLIC_SESSION);
}

static void test_last_close_logs_out(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = token(state);
	CK_SESSION_HANDLE a, b;

	a = th_user_session(env, slot);
	CK(env->f->C_OpenSession(slot, RO, NULL, NULL, &b));
	assert_int_equal(state_of(env, b), CKS_RO_USER_FUNCTIONS);
	CK(env->f->C_CloseSession(a));
	/* Another session is open: still logged in. */
	assert_int_equal(state_of(env, b), CKS_RO_USER_FUNCTIONS);
	CK(env->f->C_CloseSession(b));
	CK(env->f->C_OpenSession(slot, RO, NULL, NULL, &a));
	assert_int_equal(state_of(env, a), CKS_RO_PUBLIC_SESSION);
	assert_int_equal(env->f->C_Logout(a), CKR_USER_NOT_LOGGED_IN);
}

static void test_close_all(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = token(state), other = th_new_token(env, "other");
	CK_SESSION_HANDLE h[5], keep;
	CK_SESSION_INFO si;
	CK_TOKEN_INFO ti;

	h[0] = th_user_session(env, slot);
	for (int i = 1; i < 5; i++)
		CK(env->f->C_OpenSession(slot, i % 2 ? RO : RW, NULL, NULL, &h[i]));
	CK(env->f->C_OpenSession(other, RO, NULL, NULL, &keep));
	CK(env->f->C_CloseAllSessions(slot));
	for (int i = 0; i < 5; i++)
		assert_int_equal(env->f->C_GetSessionInfo(h[i], &si), CKR_SESSION_HANDLE_INVALID);
	CK(env->f->C_GetTokenInfo(slot, &ti));
	assert_int_equal(ti.ulSessionCount, 0);
	assert_int_equal(ti.ulRwSessionCount, 0);
	/* Only that slot's sessions. */
	assert_int_equal(state_of(env, keep), CKS_RO_PUBLIC_SESSION);
	/* The login went with them. */
	CK(env->f->C_OpenSession(slot, RW, NULL, NULL, &h[0]));
	assert_int_equal(state_of(env, h[0]), CKS_RW_PUBLIC_SESSION);
	/* Nothing open: still fine. */
	CK(env->f->C_CloseAllSessions(slot));
	CK(env->f->C_CloseAllSessions(slot));
}

static void test_many_sessions(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = token(state);
	enum { N = 300 };
	CK_SESSION_HANDLE *h = calloc(N, sizeof(*h));
	CK_TOKEN_INFO ti;

	assert_non_null(h);
	/* No fixed cap. */
	for (int i = 0; i < N; i++)
		CK(env->f->C_OpenSession(slot, RO, NULL, NULL, &h[i]));
	for (int i = 0; i < N; i++)
		for (int j = i + 1; j < N; j++)
			assert_true(h[i] != h[j]);
	CK(env->f->C_GetTokenInfo(slot, &ti));
	assert_int_equal(ti.ulSessionCount, N);
	for (int i = 0; i < N; i += 2)
		CK(env->f->C_CloseSession(h[i]));
	for (int i = 1; i < N; i += 2)
		assert_int_equal(state_of(env, h[i]), CKS_RO_PUBLIC_SESSION);
	CK(env->f->C_CloseAllSessions(slot));
	free(h);
}

static void test_handles_gone_after_finalize(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = token(state);
	CK_SESSION_HANDLE s;
	CK_SESSION_INFO si;

	CK(env->f->C_OpenSession(slot, RW, NULL, NULL, &s));
	CK(env->f->C_Finalize(NULL));
	assert_int_equal(env->f->C_GetSessionInfo(s, &si), CKR_CRYPTOKI_NOT_INITIALIZED);
	CK(env->f->C_Initialize(NULL));
	assert_int_equal(env->f->C_GetSessionInfo(s, &si), CKR_SESSION_HANDLE_INVALID);
}

static void test_operation_state(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = token(state);
	CK_SESSION_HANDLE s;
	CK_BYTE buf[64];
	CK_ULONG n = sizeof(buf);

	CK(env->f->C_OpenSession(slot, RW, NULL, NULL, &s));
	assert_int_equal(env->f->C_GetOperationState(s, buf, &n), CKR_FUNCTION_NOT_SUPPORTED);
	assert_int_equal(env->f->C_SetOperationState(s, buf, n, 0, 0), CKR_FUNCTION_NOT_SUPPORTED);
}

#define T(t) cmocka_unit_test_setup_teardown(t, th_setup, th_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_open_args),
		T(test_info_and_states),
		T(test_so_and_read_only),
		T(test_close),
		T(test_last_close_logs_out),
		T(test_close_all),
		T(test_many_sessions),
		T(test_handles_gone_after_finalize),
		T(test_operation_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
