/* Slots and tokens: the free soft place, token creation in place, stable
 * slot ids, C_GetSlotList's two-call rule, token information, mechanisms
 * and slot events. */
#include <dirent.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static CK_SLOT_ID *slot_list(th_env *env, CK_BBOOL present, CK_ULONG *n)
{
	CK_SLOT_ID *list;

	CK(env->f->C_GetSlotList(present, NULL, n));
	list = calloc(*n + 1, sizeof(*list));
	assert_non_null(list);
	CK(env->f->C_GetSlotList(present, list, n));
	return list;
}

static bool blank(const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (((const CK_BYTE *)p)[i] != ' ')
			return false;
	return true;
}

static void test_free_slot(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = th_free_slot(env);
	CK_SESSION_HANDLE s;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;

	CK(env->f->C_GetSlotInfo(slot, &si));
	assert_true(si.flags & CKF_TOKEN_PRESENT);
	assert_false(si.flags & CKF_HW_SLOT);
	CK(env->f->C_GetTokenInfo(slot, &ti));
	assert_int_equal(ti.flags, CKF_RNG | CKF_LOGIN_REQUIRED);
	assert_true(blank(ti.label, sizeof(ti.label)));
	assert_int_equal(ti.ulMinPinLen, 6);
	assert_int_equal(ti.ulMaxPinLen, 8);
	assert_int_equal(ti.ulSessionCount, 0);
	assert_int_equal(ti.ulMaxSessionCount, CK_EFFECTIVELY_INFINITE);
	assert_int_equal(ti.ulTotalPublicMemory, CK_UNAVAILABLE_INFORMATION);
	assert_int_equal(ti.ulFreePrivateMemory, CK_UNAVAILABLE_INFORMATION);
	assert_true(blank(ti.utcTime, sizeof(ti.utcTime)));
	/* Nothing to open a session on until it is initialised. */
	assert_int_equal(env->f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s),
	                 CKR_TOKEN_NOT_RECOGNIZED);
}

static void test_init_token_in_place(void **state)
{
	th_env *env = TH_ENV(state);
	CK_ULONG n0, n1, n2;
	CK_SLOT_ID *before = slot_list(env, CK_FALSE, &n0);
	CK_SLOT_ID free1 = th_free_slot(env), slot, free2;
	CK_SLOT_ID *after, *again;
	CK_TOKEN_INFO ti;
	CK_UTF8CHAR lab[32];

	slot = th_new_token(env, "first card");
	assert_int_equal(slot, free1);
	after = slot_list(env, CK_FALSE, &n1);
	assert_int_equal(n1, n0 + 1);
	/* Old ids keep their places; the new free slot has a new id. */
	assert_memory_equal(after, before, n0 * sizeof(*before));
	free2 = th_free_slot(env);
	assert_true(free2 != free1);
	assert_int_equal(free2, after[n1 - 1]);
	CK(env->f->C_GetTokenInfo(slot, &ti));
	th_pad(lab, sizeof(lab), "first card");
	assert_memory_equal(ti.label, lab, sizeof(lab));
	assert_int_equal(ti.flags & (CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED | CKF_LOGIN_REQUIRED),
	                 CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED | CKF_LOGIN_REQUIRED);
	assert_int_equal(ti.ulMinPinLen, 6);
	assert_int_equal(ti.ulMaxPinLen, 8);
	assert_true(blank(ti.utcTime, sizeof(ti.utcTime)));

	/* A second token, and the ids still hold after a full reload. */
	assert_int_equal(th_new_token(env, "second card"), free2);
	CK(env->f->C_Finalize(NULL));
	CK(env->f->C_Initialize(NULL));
	again = slot_list(env, CK_FALSE, &n2);
	assert_int_equal(n2, n1 + 1);
	for (CK_ULONG i = 0; i + 1 < n2; i++) {
		CK(env->f->C_GetTokenInfo(again[i], &ti));
		assert_true(ti.flags & CKF_TOKEN_INITIALIZED);
	}
	free(before);
	free(after);
	free(again);
}

static void test_ids_stable(void **state)
{
	th_env *env = TH_ENV(state);
	CK_ULONG n1, n2;
	CK_SLOT_ID *a, *b;

	th_new_token(env, "stable");
	a = slot_list(env, CK_FALSE, &n1);
	b = slot_list(env, CK_FALSE, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(a, b, n1 * sizeof(*a));
	free(b);
	b = slot_list(env, CK_TRUE, &n2);
	/* Soft places are always present. */
	assert_int_equal(n1, n2);
	assert_memory_equal(a, b, n1 * sizeof(*a));
	free(a);
	free(b);
}

static void test_slot_list_two_calls(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID list[8], free_slot;
	CK_UTF8CHAR lab[32];
	CK_ULONG n, m;

	assert_int_equal(env->f->C_GetSlotList(CK_FALSE, list, NULL), CKR_ARGUMENTS_BAD);
	CK(env->f->C_GetSlotList(CK_FALSE, NULL, &n));
	assert_true(n >= 1);
	m = n - 1;
	assert_int_equal(env->f->C_GetSlotList(CK_FALSE, list, &m), CKR_BUFFER_TOO_SMALL);
	assert_int_equal(m, n);

	/* A token is created between the size query and the call with the
	 * buffer: the second call still reports the list the first sized. */
	free_slot = th_free_slot(env);
	th_pad(lab, sizeof(lab), "between");
	CK(env->f->C_GetSlotList(CK_FALSE, NULL, &n));
	CK(env->f->C_InitToken(free_slot, (CK_UTF8CHAR_PTR)TH_SO_PIN, 8, lab));
	m = n;
	CK(env->f->C_GetSlotList(CK_FALSE, list, &m));
	assert_int_equal(m, n);
	/* The next size query sees the new free slot. */
	CK(env->f->C_GetSlotList(CK_FALSE, NULL, &m));
	assert_int_equal(m, n + 1);
}

static void test_bad_slot_ids(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID bad = 4242;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	CK_ULONG n;
	CK_MECHANISM_INFO mi;
	CK_UTF8CHAR lab[32];

	th_pad(lab, sizeof(lab), "x");
	assert_int_equal(env->f->C_GetSlotInfo(bad, &si), CKR_SLOT_ID_INVALID);
	assert_int_equal(env->f->C_GetTokenInfo(bad, &ti), CKR_SLOT_ID_INVALID);
	assert_int_equal(env->f->C_GetMechanismList(bad, NULL, &n), CKR_SLOT_ID_INVALID);
	assert_int_equal(env->f->C_GetMechanismInfo(bad, CKM_SHA256, &mi), CKR_SLOT_ID_INVALID);
	assert_int_equal(env->f->C_InitToken(bad, (CK_UTF8CHAR_PTR)TH_SO_PIN, 8, lab), CKR_SLOT_ID_INVALID);
	assert_int_equal(env->f->C_CloseAllSessions(bad), CKR_SLOT_ID_INVALID);
	assert_int_equal(env->f->C_GetSlotInfo(0, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(env->f->C_GetTokenInfo(0, NULL), CKR_ARGUMENTS_BAD);
}

static void test_init_token_refusals(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID free1 = th_free_slot(env);
	CK_UTF8CHAR lab[32];
	CK_ULONG n0, n1;

	th_pad(lab, sizeof(lab), "refused");
	CK(env->f->C_GetSlotList(CK_FALSE, NULL, &n0));
	assert_int_equal(env->f->C_InitToken(free1, (CK_UTF8CHAR_PTR)TH_SO_PIN, 8, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(env->f->C_InitToken(free1, NULL, 8, lab), CKR_ARGUMENTS_BAD);
	assert_int_equal(env->f->C_InitToken(free1, (CK_UTF8CHAR_PTR) "12345", 5, lab), CKR_PIN_LEN_RANGE);
	assert_int_equal(env->f->C_InitToken(free1, (CK_UTF8CHAR_PTR) "123456789", 9, lab),
	                 CKR_PIN_LEN_RANGE);
	assert_int_equal(env->f->C_InitToken(free1, (CK_UTF8CHAR_PTR) "1234a678", 8, lab), CKR_PIN_INVALID);
	/* Nothing was created. */
	CK(env->f->C_GetSlotList(CK_FALSE, NULL, &n1));
	assert_int_equal(n0, n1);
	assert_int_equal(th_free_slot(env), free1);
}

static void test_reinit_token(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = th_new_token(env, "old label");
	CK_SESSION_HANDLE s;
	CK_UTF8CHAR lab[32];
	CK_TOKEN_INFO ti;

	th_pad(lab, sizeof(lab), "new label");
	CK(env->f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s));
	assert_int_equal(env->f->C_InitToken(slot, (CK_UTF8CHAR_PTR)TH_SO_PIN, 8, lab), CKR_SESSION_EXISTS);
	CK(env->f->C_CloseSession(s));
	assert_int_equal(env->f->C_InitToken(slot, (CK_UTF8CHAR_PTR) "11112222", 8, lab), CKR_PIN_INCORRECT);
	CK(env->f->C_InitToken(slot, (CK_UTF8CHAR_PTR)TH_SO_PIN, 8, lab));
	CK(env->f->C_GetTokenInfo(slot, &ti));
	assert_memory_equal(ti.label, lab, sizeof(lab));
	/* Re-initialisation clears the user passcode. */
	assert_false(ti.flags & CKF_USER_PIN_INITIALIZED);
	CK(env->f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s));
	assert_int_equal(env->f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)TH_USER_PIN, 6),
	                 CKR_USER_PIN_NOT_INITIALIZED);
}

static void test_token_info_counts(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = th_new_token(env, "counts");
	CK_SESSION_HANDLE a, b, c;
	CK_TOKEN_INFO ti;

	CK(env->f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &a));
	CK(env->f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &b));
	CK(env->f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &c));
	CK(env->f->C_GetTokenInfo(slot, &ti));
	assert_int_equal(ti.ulSessionCount, 3);
	assert_int_equal(ti.ulRwSessionCount, 2);
	assert_int_equal(ti.ulMaxRwSessionCount, CK_EFFECTIVELY_INFINITE);
	CK(env->f->C_CloseSession(b));
	CK(env->f->C_GetTokenInfo(slot, &ti));
	assert_int_equal(ti.ulSessionCount, 2);
	assert_int_equal(ti.ulRwSessionCount, 1);
}

static void test_mechanisms(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = th_free_slot(env);
	CK_MECHANISM_TYPE *list;
	CK_MECHANISM_INFO mi;
	CK_ULONG n, m;

	assert_int_equal(env->f->C_GetMechanismList(slot, NULL, NULL), CKR_ARGUMENTS_BAD);
	CK(env->f->C_GetMechanismList(slot, NULL, &n));
	assert_true(n > 0);
	list = calloc(n, sizeof(*list));
	assert_non_null(list);
	m = n - 1;
	assert_int_equal(env->f->C_GetMechanismList(slot, list, &m), CKR_BUFFER_TOO_SMALL);
	assert_int_equal(m, n);
	CK(env->f->C_GetMechanismList(slot, list, &m));
	for (CK_ULONG i = 0; i < n; i++) {
		CK(env->f->C_GetMechanismInfo(slot, list[i], &mi));
		assert_true(mi.ulMinKeySize <= mi.ulMaxKeySize);
		assert_true(mi.flags != 0);
		/* A soft token is software: nothing of it is CKF_HW. */
		assert_false(mi.flags & CKF_HW);
	}
	/* ... and it does Ed25519, which a card slot does not list. */
	CK(env->f->C_GetMechanismInfo(slot, CKM_EDDSA, &mi));
	free(list);
	assert_int_equal(env->f->C_GetMechanismInfo(slot, CKM_VENDOR_DEFINED | 0x1234, &mi),
	                 CKR_MECHANISM_INVALID);
	assert_int_equal(env->f->C_GetMechanismInfo(slot, CKM_SHA256, NULL), CKR_ARGUMENTS_BAD);
}

/* Removes every file of the private token directory: every soft token is
 * gone, as a card pulled out of its reader. */
static void remove_token_files(th_env *env)
{
	char path[1024];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/tokens", env->dir);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/tokens/%s", env->dir, de->d_name);
		unlink(path);
	}
	closedir(d);
}

static void test_token_vanishes(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = th_new_token(env, "vanishing"), ev = 99;
	CK_SESSION_HANDLE s = th_user_session(env, slot);
	CK_SESSION_INFO si;
	CK_SLOT_INFO sli;
	CK_TOKEN_INFO ti;
	CK_ULONG n_all, n_present, n_after;

	CK(env->f->C_GetSlotList(CK_FALSE, NULL, &n_all));
	remove_token_files(env);
	CK(env->f->C_GetSlotList(CK_TRUE, NULL, &n_present));
	CK(env->f->C_GetSlotList(CK_FALSE, NULL, &n_after));
	/* The slot stays, without a token; its sessions are gone (P15). */
	assert_int_equal(n_after, n_all);
	assert_int_equal(n_present, n_all - 1);
	CK(env->f->C_GetSlotInfo(slot, &sli));
	assert_false(sli.flags & CKF_TOKEN_PRESENT);
	assert_int_equal(env->f->C_GetTokenInfo(slot, &ti), CKR_TOKEN_NOT_PRESENT);
	assert_int_equal(env->f->C_GetSessionInfo(s, &si), CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(env->f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s),
	                 CKR_TOKEN_NOT_PRESENT);
	/* The removal is an event. */
	CK(env->f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &ev, NULL));
	assert_int_equal(ev, slot);
	assert_int_equal(env->f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &ev, NULL), CKR_NO_EVENT);
}

/* A token made by another process appears as a new slot and an event. */
static void test_token_from_other_process(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID ev = 99;
	CK_ULONG n0, n1;
	int status;
	pid_t pid;

	th_new_token(env, "mine");
	CK(env->f->C_GetSlotList(CK_FALSE, NULL, &n0));
	assert_int_equal(env->f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &ev, NULL), CKR_NO_EVENT);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		CK_UTF8CHAR lab[32];
		CK_SLOT_ID list[16];
		CK_ULONG n = 16, i;
		CK_TOKEN_INFO ti;

		th_pad(lab, sizeof(lab), "theirs");
		if (env->f->C_Initialize(NULL) != CKR_OK || env->f->C_GetSlotList(CK_FALSE, list, &n) != CKR_OK)
			_exit(2);
		for (i = 0; i < n; i++)
			if (env->f->C_GetTokenInfo(list[i], &ti) == CKR_OK && !(ti.flags & CKF_TOKEN_INITIALIZED))
				break;
		if (i == n || env->f->C_InitToken(list[i], (CK_UTF8CHAR_PTR)TH_SO_PIN, 8, lab) != CKR_OK)
			_exit(3);
		_exit(env->f->C_Finalize(NULL) == CKR_OK ? 0 : 4);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	CK(env->f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &ev, NULL));
	CK(env->f->C_GetSlotList(CK_FALSE, NULL, &n1));
	assert_int_equal(n1, n0 + 1);
	/* The event names the slot of the other process's token. */
	CK_TOKEN_INFO ti;
	CK_UTF8CHAR theirs[32];

	th_pad(theirs, sizeof(theirs), "theirs");
	CK(env->f->C_GetTokenInfo(ev, &ti));
	assert_memory_equal(ti.label, theirs, sizeof(theirs));
	assert_int_equal(env->f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &ev, NULL), CKR_NO_EVENT);
}

static void test_wait_dont_block(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID ev;
	int dummy;

	assert_int_equal(env->f->C_WaitForSlotEvent(CKF_DONT_BLOCK, NULL, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(env->f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &ev, &dummy), CKR_ARGUMENTS_BAD);
	assert_int_equal(env->f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &ev, NULL), CKR_NO_EVENT);
	/* Creating a token in the free slot is no insertion. */
	th_new_token(env, "no event");
	assert_int_equal(env->f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &ev, NULL), CKR_NO_EVENT);
}

struct waiter {
	th_env *env;
	CK_RV rv;
	struct timespec done;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	CK_SLOT_ID ev;

	w->rv = w->env->f->C_WaitForSlotEvent(0, &ev, NULL);
	clock_gettime(CLOCK_MONOTONIC, &w->done);
	return NULL;
}

static double since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void test_wait_ended_by_finalize(void **state)
{
	th_env *env = TH_ENV(state);
	struct waiter w = { env, CKR_OK, { 0, 0 } };
	struct timespec start;
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, wait_thread, &w), 0);
	/* Let it block. */
	nanosleep(&(struct timespec){ 0, 300 * 1000 * 1000 }, NULL);
	clock_gettime(CLOCK_MONOTONIC, &start);
	CK(env->f->C_Finalize(NULL));
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(w.rv, CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_true(since(&start, &w.done) < 2.0);
	/* The module is usable again afterwards. */
	CK(env->f->C_Initialize(NULL));
	th_free_slot(env);
}

/* A soft token's slot id is its own, not its place in a list: tokens added
 * later (whatever their serials) leave it where it was, load after load,
 * and the free slot keeps its id too. */
static void test_ids_across_loads(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID first, free0, again[8];
	char label[16];

	th_new_token(env, "first");
	CK(env->f->C_Finalize(NULL));
	CK(env->f->C_Initialize(NULL));
	first = th_slot_of(env, "first");
	free0 = th_free_slot(env);
	for (int i = 0; i < 8; i++) {
		snprintf(label, sizeof(label), "later%d", i);
		th_new_token(env, label);
		CK(env->f->C_Finalize(NULL));
		CK(env->f->C_Initialize(NULL));
		assert_int_equal(first, th_slot_of(env, "first"));
		assert_int_equal(free0, th_free_slot(env));
		again[i] = th_slot_of(env, label);
		for (int j = 0; j < i; j++) {
			snprintf(label, sizeof(label), "later%d", j);
			assert_int_equal(again[j], th_slot_of(env, label));
		}
	}
	/* Ids stay clear of reader numbers and fit in an int. */
	assert_true(first >= 0x10000000UL && first < 0x80000000UL);
}

#define T(t) cmocka_unit_test_setup_teardown(t, th_setup, th_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_free_slot),
		T(test_init_token_in_place),
		T(test_ids_stable),
		T(test_ids_across_loads),
		T(test_slot_list_two_calls),
		T(test_bad_slot_ids),
		T(test_init_token_refusals),
		T(test_reinit_token),
		T(test_token_info_counts),
		T(test_mechanisms),
		T(test_token_vanishes),
		T(test_token_from_other_process),
		T(test_wait_dont_block),
		T(test_wait_ended_by_finalize),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
