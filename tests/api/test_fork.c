/* Fork: a child inherits nothing usable.  It sees an uninitialised module
 * until it calls C_Initialize, can then use the token on its own, and its
 * C_Finalize leaves the parent's sessions and login alone. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define PIN(s) (CK_UTF8CHAR_PTR)(s), (CK_ULONG)strlen(s)

/* In the child, a failed check exits with the step number; cmocka's
 * state belongs to the parent. */
#define STEP(n, cond) \
	do { \
		if (!(cond)) \
			_exit(n); \
	} while (0)

static int run_child(void (*body)(th_env *, CK_SLOT_ID), th_env *env, CK_SLOT_ID slot)
{
	int status = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		body(env, slot);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* The parent still works: its session, its login, its objects. */
static void assert_parent_works(th_env *env, CK_SLOT_ID slot, CK_SESSION_HANDLE s)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE tmpl[] = { { CKA_CLASS, &cls, sizeof(cls) } };
	CK_OBJECT_HANDLE found[4];
	CK_SESSION_INFO si;
	CK_ULONG n = 0;

	CK(env->f->C_GetSessionInfo(s, &si));
	assert_int_equal(si.slotID, slot);
	assert_int_equal(si.state, CKS_RW_USER_FUNCTIONS);
	CK(env->f->C_Logout(s));
	CK(env->f->C_Login(s, CKU_USER, PIN(TH_USER_PIN)));
	CK(env->f->C_FindObjectsInit(s, tmpl, 1));
	CK(env->f->C_FindObjects(s, found, 4, &n));
	CK(env->f->C_FindObjectsFinal(s));
}

static void child_uninitialised(th_env *env, CK_SLOT_ID slot)
{
	CK_SESSION_HANDLE s;
	CK_INFO info;
	CK_ULONG n;

	STEP(10, env->f->C_GetInfo(&info) == CKR_CRYPTOKI_NOT_INITIALIZED);
	STEP(11, env->f->C_GetSlotList(CK_FALSE, NULL, &n) == CKR_CRYPTOKI_NOT_INITIALIZED);
	STEP(12, env->f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s) ==
	                 CKR_CRYPTOKI_NOT_INITIALIZED);
	STEP(13, env->f->C_GetTokenInfo(slot, &(CK_TOKEN_INFO){ 0 }) == CKR_CRYPTOKI_NOT_INITIALIZED);
	STEP(14, env->f->C_CloseAllSessions(slot) == CKR_CRYPTOKI_NOT_INITIALIZED);
	STEP(15, env->f->C_Logout(1) == CKR_CRYPTOKI_NOT_INITIALIZED);
	/* Finalising the inherited state must not touch the parent's. */
	STEP(16, env->f->C_Finalize(NULL) == CKR_CRYPTOKI_NOT_INITIALIZED);
	/* Leave through exit(), running atexit handlers as a real program. */
	exit(0);
}

static void child_uses_token(th_env *env, CK_SLOT_ID slot)
{
	CK_SESSION_HANDLE s;
	CK_SESSION_INFO si;
	CK_TOKEN_INFO ti;
	CK_ULONG n;

	STEP(20, env->f->C_GetSessionInfo(1, &si) == CKR_CRYPTOKI_NOT_INITIALIZED);
	STEP(21, env->f->C_Initialize(NULL) == CKR_OK);
	STEP(22, env->f->C_Initialize(NULL) == CKR_CRYPTOKI_ALREADY_INITIALIZED);
	STEP(23, env->f->C_GetSlotList(CK_TRUE, NULL, &n) == CKR_OK && n >= 2);
	STEP(24, env->f->C_GetTokenInfo(slot, &ti) == CKR_OK && (ti.flags & CKF_TOKEN_INITIALIZED));
	STEP(25, env->f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s) == CKR_OK);
	/* Its own, fresh login state. */
	STEP(26, env->f->C_GetSessionInfo(s, &si) == CKR_OK && si.state == CKS_RW_PUBLIC_SESSION);
	STEP(27, env->f->C_Login(s, CKU_USER, PIN(TH_USER_PIN)) == CKR_OK);
	STEP(28, env->f->C_Logout(s) == CKR_OK);
	STEP(29, env->f->C_CloseSession(s) == CKR_OK);
	STEP(30, env->f->C_Finalize(NULL) == CKR_OK);
	exit(0);
}

/* A grandchild: the fork handling holds at every generation. */
static void child_forks_again(th_env *env, CK_SLOT_ID slot)
{
	int status = 0;
	pid_t pid;

	STEP(40, env->f->C_Initialize(NULL) == CKR_OK);
	pid = fork();
	STEP(41, pid >= 0);
	if (pid == 0) {
		CK_INFO info;

		STEP(50, env->f->C_GetInfo(&info) == CKR_CRYPTOKI_NOT_INITIALIZED);
		STEP(51, env->f->C_Initialize(NULL) == CKR_OK);
		STEP(52, env->f->C_GetTokenInfo(slot, &(CK_TOKEN_INFO){ 0 }) == CKR_OK);
		STEP(53, env->f->C_Finalize(NULL) == CKR_OK);
		_exit(0);
	}
	STEP(42, waitpid(pid, &status, 0) == pid && WIFEXITED(status));
	STEP(WEXITSTATUS(status) ? WEXITSTATUS(status) : 43, WEXITSTATUS(status) == 0);
	/* The child's own initialisation is still fine. */
	STEP(44, env->f->C_GetTokenInfo(slot, &(CK_TOKEN_INFO){ 0 }) == CKR_OK);
	STEP(45, env->f->C_Finalize(NULL) == CKR_OK);
}

static CK_SESSION_HANDLE parent_setup(th_env *env, CK_SLOT_ID *slot)
{
	th_new_token(env, "forked");
	/* Initialised again, the token sits in the slot of its own id, the
	 * one every later C_Initialize (the children's too) gives it. */
	CK(env->f->C_Finalize(NULL));
	CK(env->f->C_Initialize(NULL));
	*slot = th_slot_of(env, "forked");
	return th_user_session(env, *slot);
}

static void test_child_uninitialised(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s = parent_setup(env, &slot);

	assert_int_equal(run_child(child_uninitialised, env, slot), 0);
	assert_parent_works(env, slot, s);
}

static void test_child_initialises(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s = parent_setup(env, &slot);

	assert_int_equal(run_child(child_uses_token, env, slot), 0);
	assert_parent_works(env, slot, s);
	/* The parent can still finalise and start again. */
	CK(env->f->C_Finalize(NULL));
	CK(env->f->C_Initialize(NULL));
	s = th_user_session(env, slot);
	assert_parent_works(env, slot, s);
}

static void test_grandchild(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s = parent_setup(env, &slot);

	assert_int_equal(run_child(child_forks_again, env, slot), 0);
	assert_parent_works(env, slot, s);
}

#define T(t) cmocka_unit_test_setup_teardown(t, th_setup, th_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_child_uninitialised),
		T(test_child_initialises),
		T(test_grandchild),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
