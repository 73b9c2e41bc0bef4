/* Module life cycle and discovery: C_Initialize's locking cases and
 * argument rules, C_Finalize, C_GetInfo, the function lists and the 3.x
 * interface calls. */
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "careid/careid.h"

/* ---- counting mutex callbacks ------------------------------------------- */

static int n_create, n_destroy, n_lock, n_unlock;

static CK_RV count_create(CK_VOID_PTR_PTR out)
{
	pthread_mutex_t *m = malloc(sizeof(*m));

	if (m == NULL)
		return CKR_HOST_MEMORY;
	pthread_mutex_init(m, NULL);
	__atomic_add_fetch(&n_create, 1, __ATOMIC_SEQ_CST);
	*out = m;
	return CKR_OK;
}

static CK_RV count_destroy(CK_VOID_PTR p)
{
	pthread_mutex_destroy(p);
	free(p);
	__atomic_add_fetch(&n_destroy, 1, __ATOMIC_SEQ_CST);
	return CKR_OK;
}

static CK_RV count_lock(CK_VOID_PTR p)
{
	pthread_mutex_lock(p);
	__atomic_add_fetch(&n_lock, 1, __ATOMIC_SEQ_CST);
	return CKR_OK;
}

static CK_RV count_unlock(CK_VOID_PTR p)
{
	__atomic_add_fetch(&n_unlock, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(p);
	return CKR_OK;
}

static void reset_counts(void)
{
	n_create = n_destroy = n_lock = n_unlock = 0;
}

static CK_C_INITIALIZE_ARGS callbacks(CK_FLAGS flags)
{
	CK_C_INITIALIZE_ARGS a = { count_create, count_destroy, count_lock, count_unlock, flags, NULL };

	return a;
}

/* Some real work that has to lock: slot table, a session. */
static void exercise(th_env *env)
{
	CK_SLOT_ID slot = th_new_token(env, "locking");
	CK_SESSION_HANDLE s;
	CK_SESSION_INFO si;

	CK(env->f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s));
	CK(env->f->C_GetSessionInfo(s, &si));
	assert_int_equal(si.state, CKS_RO_PUBLIC_SESSION);
	CK(env->f->C_CloseSession(s));
}

/* ---- C_Initialize: the four locking cases ---------------------------------- */

static void test_init_no_args(void **state)
{
	th_env *env = TH_ENV(state);

	CK(env->f->C_Initialize(NULL));
	exercise(env);
}

static void test_init_single_threaded(void **state)
{
	th_env *env = TH_ENV(state);
	CK_C_INITIALIZE_ARGS a = { NULL, NULL, NULL, NULL, 0, NULL };

	CK(env->f->C_Initialize(&a));
	exercise(env);
}

static void test_init_os_locking(void **state)
{
	th_env *env = TH_ENV(state);
	CK_C_INITIALIZE_ARGS a = { NULL, NULL, NULL, NULL, CKF_OS_LOCKING_OK, NULL };

	CK(env->f->C_Initialize(&a));
	exercise(env);
}

static void test_init_callbacks_only(void **state)
{
	th_env *env = TH_ENV(state);
	CK_C_INITIALIZE_ARGS a = callbacks(0);

	reset_counts();
	CK(env->f->C_Initialize(&a));
	assert_true(n_create >= 2);
	exercise(env);
	assert_true(n_lock > 0);
	assert_int_equal(n_lock, n_unlock);
	CK(env->f->C_Finalize(NULL));
	/* Every mutex made through the callbacks went back through them. */
	assert_int_equal(n_create, n_destroy);
}

/* NSS: CKF_OS_LOCKING_OK | CKF_LIBRARY_CANT_CREATE_OS_THREADS plus
 * callbacks.  Both are allowed; the module takes OS locking. */
static void test_init_callbacks_and_os_locking(void **state)
{
	th_env *env = TH_ENV(state);
	CK_C_INITIALIZE_ARGS a = callbacks(CKF_OS_LOCKING_OK | CKF_LIBRARY_CANT_CREATE_OS_THREADS);

	reset_counts();
	CK(env->f->C_Initialize(&a));
	exercise(env);
	assert_int_equal(n_create, 0);
	assert_int_equal(n_lock, 0);
}

/* ---- C_Initialize: refusals ------------------------------------------------- */

static void test_init_some_callbacks(void **state)
{
	th_env *env = TH_ENV(state);
	CK_C_INITIALIZE_ARGS a = callbacks(0);

	a.UnlockMutex = NULL;
	assert_int_equal(env->f->C_Initialize(&a), CKR_ARGUMENTS_BAD);
	a = callbacks(CKF_OS_LOCKING_OK);
	a.CreateMutex = NULL;
	assert_int_equal(env->f->C_Initialize(&a), CKR_ARGUMENTS_BAD);
	/* Nothing was initialised by the refused calls. */
	assert_int_equal(env->f->C_GetSlotList(CK_FALSE, NULL, &(CK_ULONG){ 0 }),
	                 CKR_CRYPTOKI_NOT_INITIALIZED);
	CK(env->f->C_Initialize(NULL));
}

static void test_init_reserved(void **state)
{
	th_env *env = TH_ENV(state);
	char params[] = "configdir=/nowhere";
	CK_C_INITIALIZE_ARGS a = { NULL, NULL, NULL, NULL, CKF_OS_LOCKING_OK, params };

	assert_int_equal(env->f->C_Initialize(&a), CKR_ARGUMENTS_BAD);
	assert_int_equal(env->f->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
}

static void test_init_twice(void **state)
{
	th_env *env = TH_ENV(state);
	CK_C_INITIALIZE_ARGS a = { NULL, NULL, NULL, NULL, CKF_OS_LOCKING_OK, NULL };

	CK(env->f->C_Initialize(NULL));
	assert_int_equal(env->f->C_Initialize(NULL), CKR_CRYPTOKI_ALREADY_INITIALIZED);
	assert_int_equal(env->f->C_Initialize(&a), CKR_CRYPTOKI_ALREADY_INITIALIZED);
	/* Still usable. */
	exercise(env);
}

static void test_finalize(void **state)
{
	th_env *env = TH_ENV(state);
	int dummy;

	assert_int_equal(env->f->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
	CK(env->f->C_Initialize(NULL));
	assert_int_equal(env->f->C_Finalize(&dummy), CKR_ARGUMENTS_BAD);
	CK(env->f->C_Finalize(NULL));
	assert_int_equal(env->f->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
	/* And again, from fresh state. */
	CK(env->f->C_Initialize(NULL));
	exercise(env);
	CK(env->f->C_Finalize(NULL));
}

static void test_finalize_ends_sessions(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SESSION_HANDLE s;
	CK_SESSION_INFO si;
	CK_SLOT_ID slot;

	CK(env->f->C_Initialize(NULL));
	slot = th_new_token(env, "finalize");
	s = th_user_session(env, slot);
	CK(env->f->C_Finalize(NULL));
	CK(env->f->C_Initialize(NULL));
	assert_int_equal(env->f->C_GetSessionInfo(s, &si), CKR_SESSION_HANDLE_INVALID);
	/* The login did not survive either. */
	slot = th_slot_of(env, "finalize");
	CK(env->f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s));
	CK(env->f->C_GetSessionInfo(s, &si));
	assert_int_equal(si.state, CKS_RO_PUBLIC_SESSION);
}

static void test_not_initialized(void **state)
{
	th_env *env = TH_ENV(state);
	CK_INFO info;
	CK_ULONG n = 0;
	CK_SESSION_HANDLE s;

	assert_int_equal(env->f->C_GetInfo(&info), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(env->f->C_GetSlotList(CK_FALSE, NULL, &n), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(env->f->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &s),
	                 CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(env->f->C_CloseAllSessions(0), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(env->f->C_Logout(1), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(env->f->C_MessageSignInit(1, NULL, 0), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(env->f->C_GetFunctionStatus(1), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(env->f->C_GetOperationState(1, NULL, &n), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(env->f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &n, NULL),
	                 CKR_CRYPTOKI_NOT_INITIALIZED);
	/* Initialisation is checked before the arguments. */
	assert_int_equal(env->f->C_GetInfo(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(env->f->C_GetSlotList(CK_FALSE, NULL, NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(env->f->C_GetTokenInfo(0, NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(env->f->C_InitToken(0, NULL, 0, NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(env->f->C_OpenSession(0, 0, NULL, NULL, NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(env->f->C_Login(1, CKU_USER, NULL, 0), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(env->f->C_LoginUser(1, CKU_USER, NULL, 0, NULL, 5), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(env->f->C_SetPIN(1, NULL, 0, NULL, 0), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(env->f->C_WaitForSlotEvent(0, NULL, NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
	/* Discovery works without it. */
	CK(env->f->C_GetInterfaceList(NULL, &n));
}

/* ---- C_GetInfo ------------------------------------------------------------- */

static void test_get_info(void **state)
{
	th_env *env = TH_ENV(state);
	CK_UTF8CHAR man[32];
	CK_INFO info;

	assert_int_equal(env->f->C_GetInfo(NULL), CKR_ARGUMENTS_BAD);
	memset(&info, 0xa5, sizeof(info));
	CK(env->f->C_GetInfo(&info));
	assert_int_equal(info.cryptokiVersion.major, 3);
	assert_int_equal(info.cryptokiVersion.minor, 1);
	th_pad(man, sizeof(man), "careid");
	assert_memory_equal(info.manufacturerID, man, sizeof(man));
	assert_int_equal(info.flags, 0);
	assert_true(info.libraryDescription[0] != ' ');
	for (size_t i = 0; i < sizeof(info.libraryDescription); i++)
		assert_true(info.libraryDescription[i] >= 0x20 && info.libraryDescription[i] < 0x7f);
	assert_false(info.libraryVersion.major == 0 && info.libraryVersion.minor == 0);
}

/* ---- function lists ---------------------------------------------------------- */

/* Every entry after the version field, as an array of pointers. */
static void assert_all_entries(const void *list, size_t size, size_t expected)
{
	size_t n = (size - offsetof(CK_FUNCTION_LIST, C_Initialize)) / sizeof(void (*)(void));
	const char *base = (const char *)list + offsetof(CK_FUNCTION_LIST, C_Initialize);

	assert_int_equal(n, expected);
	for (size_t i = 0; i < n; i++) {
		void (*fn)(void);

		memcpy(&fn, base + i * sizeof(fn), sizeof(fn));
		if (fn == NULL)
			fail_msg("function list entry %zu is NULL", i);
	}
}

static void test_function_list(void **state)
{
	th_env *env = TH_ENV(state);
	CK_RV (*get_list)(CK_FUNCTION_LIST_PTR_PTR);
	CK_FUNCTION_LIST *l = NULL;

	*(void **)&get_list = dlsym(env->dl, "C_GetFunctionList");
	assert_non_null(get_list);
	assert_int_equal(get_list(NULL), CKR_ARGUMENTS_BAD);
	CK(get_list(&l));
	assert_ptr_equal(l, env->f2);
	assert_int_equal(l->version.major, 2);
	assert_int_equal(l->version.minor, 40);
	assert_all_entries(l, sizeof(*l), 68);
	assert_ptr_equal(l->C_GetFunctionList, get_list);
	/* Usable before C_Initialize, and the list works. */
	CK(l->C_Initialize(NULL));
	CK(l->C_Finalize(NULL));
}

static void test_interface_list(void **state)
{
	th_env *env = TH_ENV(state);
	CK_INTERFACE list[5];
	CK_ULONG n = 0;
	static const CK_BYTE want[3][2] = { { 3, 1 }, { 3, 0 }, { 2, 40 } };
	CK_CAREID_FUNCTION_LIST *vendor;

	assert_int_equal(env->f->C_GetInterfaceList(list, NULL), CKR_ARGUMENTS_BAD);
	CK(env->f->C_GetInterfaceList(NULL, &n));
	assert_int_equal(n, 4);
	n = 3;
	assert_int_equal(env->f->C_GetInterfaceList(list, &n), CKR_BUFFER_TOO_SMALL);
	assert_int_equal(n, 4);
	n = 5;
	CK(env->f->C_GetInterfaceList(list, &n));
	assert_int_equal(n, 4);
	for (int i = 0; i < 3; i++) {
		CK_VERSION *v = list[i].pFunctionList;

		assert_string_equal((char *)list[i].pInterfaceName, "PKCS 11");
		assert_int_equal(v->major, want[i][0]);
		assert_int_equal(v->minor, want[i][1]);
		/* Fork safety in the spec's sense is not offered. */
		assert_int_equal(list[i].flags & CKF_INTERFACE_FORK_SAFE, 0);
		if (v->major == 3)
			assert_all_entries(list[i].pFunctionList, sizeof(CK_FUNCTION_LIST_3_0), 92);
		else
			assert_all_entries(list[i].pFunctionList, sizeof(CK_FUNCTION_LIST), 68);
	}
	assert_ptr_equal(list[2].pFunctionList, env->f2);
	/* careid's own interface, last, every entry filled. */
	assert_string_equal((char *)list[3].pInterfaceName, CAREID_INTERFACE_NAME);
	vendor = list[3].pFunctionList;
	assert_int_equal(vendor->version.major, 1);
	assert_non_null(vendor->C_CareidIssueUnlockCode);
	assert_non_null(vendor->C_CareidUnlock);
	/* Before C_Initialize, as every entry point. */
	assert_int_equal(CKR_CRYPTOKI_NOT_INITIALIZED,
	                 vendor->C_CareidIssueUnlockCode(1, (CK_UTF8CHAR_PTR) "AAAAAAAAAAAAAAAA", 16));
	assert_int_equal(CKR_CRYPTOKI_NOT_INITIALIZED, vendor->C_CareidUnlock(1, NULL, 0, NULL, 0));
	CK(env->f->C_Initialize(NULL));
	assert_int_equal(CKR_SESSION_HANDLE_INVALID,
	                 vendor->C_CareidUnlock(12345, (CK_UTF8CHAR_PTR) "AAAAAAAAAAAAAAAA", 16,
	                                        (CK_UTF8CHAR_PTR) "123456", 6));
	assert_int_equal(CKR_ARGUMENTS_BAD, vendor->C_CareidIssueUnlockCode(12345, NULL, 16));
	CK(env->f->C_Finalize(NULL));
}

static CK_VERSION *iface_version(CK_INTERFACE *i)
{
	return i->pFunctionList;
}

static void test_get_interface(void **state)
{
	th_env *env = TH_ENV(state);
	CK_UTF8CHAR name[] = "PKCS 11", bad[] = "Vendor X", almost[] = "PKCS 11 ";
	CK_VERSION v30 = { 3, 0 }, v31 = { 3, 1 }, v240 = { 2, 40 }, v32 = { 3, 2 }, v220 = { 2, 20 };
	CK_INTERFACE *i = NULL;

	CK(env->f->C_GetInterface(NULL, NULL, &i, 0));
	assert_int_equal(iface_version(i)->major, 3);
	assert_int_equal(iface_version(i)->minor, 1);
	CK(env->f->C_GetInterface(name, NULL, &i, 0));
	assert_int_equal(iface_version(i)->minor, 1);
	CK(env->f->C_GetInterface(name, &v31, &i, 0));
	assert_int_equal(iface_version(i)->minor, 1);
	CK(env->f->C_GetInterface(name, &v30, &i, 0));
	assert_int_equal(iface_version(i)->major, 3);
	assert_int_equal(iface_version(i)->minor, 0);
	assert_ptr_equal(i->pFunctionList, env->f);
	CK(env->f->C_GetInterface(NULL, &v240, &i, 0));
	assert_ptr_equal(i->pFunctionList, env->f2);

	assert_int_equal(env->f->C_GetInterface(bad, NULL, &i, 0), CKR_ARGUMENTS_BAD);
	assert_int_equal(env->f->C_GetInterface(almost, NULL, &i, 0), CKR_ARGUMENTS_BAD);
	assert_int_equal(env->f->C_GetInterface(name, &v32, &i, 0), CKR_ARGUMENTS_BAD);
	assert_int_equal(env->f->C_GetInterface(name, &v220, &i, 0), CKR_ARGUMENTS_BAD);
	assert_int_equal(env->f->C_GetInterface(name, NULL, &i, CKF_INTERFACE_FORK_SAFE),
	                 CKR_ARGUMENTS_BAD);
	assert_int_equal(env->f->C_GetInterface(name, NULL, NULL, 0), CKR_ARGUMENTS_BAD);
}

/* ---- what is not offered ------------------------------------------------------ */

static void test_unsupported(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SESSION_HANDLE s;
	CK_ULONG n = 0;
	CK_SLOT_ID slot;

	CK(env->f->C_Initialize(NULL));
	slot = th_new_token(env, "unsupported");
	CK(env->f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s));
	assert_int_equal(env->f->C_GetFunctionStatus(s), CKR_FUNCTION_NOT_PARALLEL);
	assert_int_equal(env->f->C_CancelFunction(s), CKR_FUNCTION_NOT_PARALLEL);
	assert_int_equal(env->f->C_GetOperationState(s, NULL, &n), CKR_FUNCTION_NOT_SUPPORTED);
	assert_int_equal(env->f->C_SetOperationState(s, (CK_BYTE_PTR) "x", 1, 0, 0),
	                 CKR_FUNCTION_NOT_SUPPORTED);
	assert_int_equal(env->f->C_MessageEncryptInit(s, NULL, 0), CKR_FUNCTION_NOT_SUPPORTED);
	assert_int_equal(env->f->C_MessageDecryptFinal(s), CKR_FUNCTION_NOT_SUPPORTED);
	assert_int_equal(env->f->C_SignMessage(s, NULL, 0, NULL, 0, NULL, &n), CKR_FUNCTION_NOT_SUPPORTED);
	assert_int_equal(env->f->C_MessageVerifyFinal(s), CKR_FUNCTION_NOT_SUPPORTED);
	assert_int_equal(env->f->C_DigestEncryptUpdate(s, NULL, 0, NULL, &n), CKR_FUNCTION_NOT_SUPPORTED);
	assert_int_equal(env->f->C_DecryptVerifyUpdate(s, NULL, 0, NULL, &n), CKR_FUNCTION_NOT_SUPPORTED);
	CK(env->f->C_CloseSession(s));
}

#define LOADED(t) cmocka_unit_test_setup_teardown(t, th_setup_loaded, th_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		LOADED(test_init_no_args),
		LOADED(test_init_single_threaded),
		LOADED(test_init_os_locking),
		LOADED(test_init_callbacks_only),
		LOADED(test_init_callbacks_and_os_locking),
		LOADED(test_init_some_callbacks),
		LOADED(test_init_reserved),
		LOADED(test_init_twice),
		LOADED(test_finalize),
		LOADED(test_finalize_ends_sessions),
		LOADED(test_not_initialized),
		cmocka_unit_test_setup_teardown(test_get_info, th_setup, th_teardown),
		LOADED(test_function_list),
		LOADED(test_interface_list),
		LOADED(test_get_interface),
		LOADED(test_unsupported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
