/* Card removal and slot event tests of the careid card test: a card pulled
 * out mid-session, C_WaitForSlotEvent polling and blocking, and
 * C_Finalize ending a blocked wait (the last test of the run). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../api/th_ossl.h"
#include "card_event_tests.h"
#include "card_fixture.h"
#include "card_sign.h"

/* A card pulled out under an open session ends that session. */
void test_removal_mid_session(void **state)
{
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_SESSION_HANDLE s, s2;
	CK_SESSION_INFO si;
	CK_SLOT_INFO sl;
	CK_TOKEN_INFO ti;
	CK_OBJECT_HANDLE h[4];
	CK_BYTE sig[512];
	CK_ULONG siglen = sizeof(sig);
	EVP_PKEY *pk = cert_key(1);
	CK_RV rv;

	(void)state;
	s = user_session(false);
	CK(F->C_SignInit(s, &m, find_one(s, CKO_PRIVATE_KEY, 1)));
	vcard_toggle();
	lib_run("card_wait_absent 10");
	rv = F->C_Sign(s, (CK_BYTE_PTR)card_msg, sizeof(card_msg), sig, &siglen);
	if (rv != CKR_DEVICE_REMOVED && rv != CKR_SESSION_HANDLE_INVALID && rv != CKR_SESSION_CLOSED)
		fail_msg("C_Sign on a pulled card: 0x%lx, expected CKR_DEVICE_REMOVED", rv);
	expect_rv(CKR_SESSION_HANDLE_INVALID, F->C_GetSessionInfo(s, &si), "the session of a pulled card");
	if (!wait_token(false, 10))
		fail_msg("the slot still shows a token 10 s after the card was pulled");
	CK(F->C_GetSlotInfo(card_g.slot, &sl));
	assert_false(sl.flags & CKF_TOKEN_PRESENT);
	assert_true(sl.flags & CKF_REMOVABLE_DEVICE);
	expect_rv(CKR_TOKEN_NOT_PRESENT, F->C_GetTokenInfo(card_g.slot, &ti), "C_GetTokenInfo without a card");
	expect_rv(CKR_TOKEN_NOT_PRESENT, F->C_OpenSession(card_g.slot, CKF_SERIAL_SESSION, NULL, NULL, &s2),
	          "C_OpenSession without a card");

	insert_card();
	s2 = open_session(false);
	CK(F->C_GetSessionInfo(s2, &si));
	assert_int_equal(CKS_RO_PUBLIC_SESSION, si.state);
	assert_int_equal(0, card_find(s2, CKO_PRIVATE_KEY, -1, h, 4));
	assert_true(card_find(s2, CKO_CERTIFICATE, -1, h, 4) >= 2);
	CK(card_login(s2, CKU_USER, USER_PIN));
	siglen = sizeof(sig);
	CK(card_sign(s2, find_one(s2, CKO_PRIVATE_KEY, 1), &m, false, card_msg, sizeof(card_msg), sig, &siglen));
	assert_true(tho_verify(pk, &m, card_msg, sizeof(card_msg), sig, siglen));
	EVP_PKEY_free(pk);
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

/* The slot whose description starts with name and that holds a token,
 * or CK_INVALID_HANDLE-like -1 when there is none. */
static CK_SLOT_ID slot_named_with_token(const CK_SLOT_ID *v, CK_ULONG n, const char *name)
{
	CK_SLOT_INFO si;

	for (CK_ULONG i = 0; i < n; i++) {
		CK(F->C_GetSlotInfo(v[i], &si));
		if (memcmp(si.slotDescription, name, strlen(name)) == 0 && (si.flags & CKF_TOKEN_PRESENT))
			return v[i];
	}
	return (CK_SLOT_ID)-1;
}

/* A reader that appears while the module is loaded becomes a new slot on
 * the next C_GetSlotList(…, NULL, …), and the slots already handed out
 * keep their ids.  pcscd learns of a new reader only when it starts, so it
 * is restarted with the card's reader renamed, which the module also has
 * to live through: the old slots stay, without a token, and the card is
 * usable in the new one.  Back under its first name, the card is in its
 * first slot again. */
void test_new_reader(void **state)
{
	static const char added[] = "careid added reader";
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_SLOT_ID *before, *after, *back, card_slot;
	CK_ULONG n0, n1, n2;
	CK_SESSION_HANDLE s;
	CK_SLOT_INFO si;
	CK_BYTE sig[512];
	CK_ULONG siglen = sizeof(sig);
	EVP_PKEY *pk = cert_key(1);

	(void)state;
	before = slot_list(&n0);
	lib_run("pcscd_swap_reader \"careid added reader\"");
	after = slot_list(&n1);
	if (n1 <= n0)
		fail_msg("the new reader gave no new slot (%lu slots before, %lu after)", n0, n1);
	for (CK_ULONG i = 0; i < n0; i++)
		if (before[i] != after[i])
			fail_msg("slot id %lu became %lu when a reader was added", before[i], after[i]);
	CK(F->C_GetSlotInfo(card_g.slot, &si));
	assert_false(si.flags & CKF_TOKEN_PRESENT);
	card_slot = slot_named_with_token(after, n1, added);
	if (card_slot == (CK_SLOT_ID)-1)
		fail_msg("no slot of the new reader holds the card");
	for (CK_ULONG i = 0; i < n0; i++)
		if (before[i] == card_slot)
			fail_msg("the new reader took the old slot id %lu", card_slot);
	CK(F->C_GetSlotInfo(card_slot, &si));
	assert_true(si.flags & CKF_REMOVABLE_DEVICE);
	CK(F->C_OpenSession(card_slot, CKF_SERIAL_SESSION, NULL, NULL, &s));
	CK(card_login(s, CKU_USER, USER_PIN));
	CK(card_sign(s, find_one(s, CKO_PRIVATE_KEY, 1), &m, false, card_msg, sizeof(card_msg), sig, &siglen));
	assert_true(tho_verify(pk, &m, card_msg, sizeof(card_msg), sig, siglen));
	CK(F->C_CloseSession(s));
	EVP_PKEY_free(pk);

	lib_run("pcscd_restore_reader");
	back = slot_list(&n2);
	assert_int_equal(n1, n2);
	if (!wait_token(true, 10))
		fail_msg("the card is not back in its first slot %lu", card_g.slot);
	free(before);
	free(after);
	free(back);
}

/* Takes the events earlier tests caused. */
static void drain_events(void)
{
	CK_SLOT_ID id;

	for (int i = 0; i < 100; i++) {
		CK_RV rv = F->C_WaitForSlotEvent(CKF_DONT_BLOCK, &id, NULL);

		if (rv == CKR_NO_EVENT)
			return;
		if (rv != CKR_OK)
			fail_msg("C_WaitForSlotEvent(CKF_DONT_BLOCK): 0x%lx", rv);
	}
	fail_msg("C_WaitForSlotEvent reports events without end");
}

static void poll_event(bool present, const char *what)
{
	CK_SLOT_ID id = (CK_SLOT_ID)-1;
	CK_RV rv = CKR_NO_EVENT;

	for (double end = card_now() + 10; rv == CKR_NO_EVENT && card_now() < end;) {
		rv = F->C_WaitForSlotEvent(CKF_DONT_BLOCK, &id, NULL);
		if (rv == CKR_NO_EVENT)
			sleep_ms(100);
	}
	if (rv != CKR_OK)
		fail_msg("%s: C_WaitForSlotEvent(CKF_DONT_BLOCK) 0x%lx after 10 s", what, rv);
	if (id != card_g.slot)
		fail_msg("%s: event for slot %lu, the card is in slot %lu", what, id, card_g.slot);
	if (!wait_token(present, 5))
		fail_msg("%s: the slot does not show the change the event announced", what);
}

void test_wait_event_nonblocking(void **state)
{
	CK_SLOT_ID id;

	(void)state;
	drain_events();
	sleep_ms(1000);
	expect_rv(CKR_NO_EVENT, F->C_WaitForSlotEvent(CKF_DONT_BLOCK, &id, NULL), "nothing happened");
	vcard_toggle();
	poll_event(false, "removal");
	vcard_toggle();
	poll_event(true, "insertion");
}

static void *toggle_soon(void *arg)
{
	(void)arg;
	sleep_ms(700);
	return (void *)(intptr_t)vcard_signal();
}

static void blocking_event(bool present, const char *what)
{
	pthread_t t;
	CK_SLOT_ID id = (CK_SLOT_ID)-1;
	void *res = NULL;
	double t0;
	CK_RV rv;

	drain_events();
	assert_int_equal(0, pthread_create(&t, NULL, toggle_soon, NULL));
	t0 = card_now();
	alarm(60);  /* a wait that never ends fails the run instead of hanging it */
	rv = F->C_WaitForSlotEvent(0, &id, NULL);
	alarm(0);
	pthread_join(t, &res);
	assert_int_equal(0, (intptr_t)res);
	if (rv != CKR_OK)
		fail_msg("%s: blocking C_WaitForSlotEvent 0x%lx", what, rv);
	if (card_now() - t0 < 0.5)
		fail_msg("%s: the blocking wait returned before the card moved", what);
	if (id != card_g.slot)
		fail_msg("%s: event for slot %lu, the card is in slot %lu", what, id, card_g.slot);
	if (!wait_token(present, 5))
		fail_msg("%s: the slot does not show the change the event announced", what);
}

void test_wait_event_blocking(void **state)
{
	(void)state;
	blocking_event(false, "removal");
	blocking_event(true, "insertion");
}

struct waiter {
	CK_RV rv;
	CK_SLOT_ID id;
	double at;
	atomic_bool done;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;

	w->rv = F->C_WaitForSlotEvent(0, &w->id, NULL);
	w->at = card_now();
	atomic_store(&w->done, true);
	return NULL;
}

/* C_Finalize from another thread ends a blocked wait.  Runs last. */
void test_finalize_ends_wait(void **state)
{
	static struct waiter w;
	pthread_t t;
	double t0;

	(void)state;
	drain_events();
	atomic_init(&w.done, false);
	assert_int_equal(0, pthread_create(&t, NULL, wait_thread, &w));
	sleep_ms(500);
	if (atomic_load(&w.done))
		fail_msg("C_WaitForSlotEvent returned 0x%lx with nothing happening", w.rv);
	t0 = card_now();
	card_g.finalized = true;
	CK(F->C_Finalize(NULL));
	for (double end = t0 + 5; !atomic_load(&w.done) && card_now() < end;)
		sleep_ms(20);
	if (!atomic_load(&w.done)) {
		card_g.wait_stuck = true;
		pthread_detach(t);
		fail_msg("C_WaitForSlotEvent still blocked 5 s after C_Finalize");
	}
	pthread_join(t, NULL);
	expect_rv(CKR_CRYPTOKI_NOT_INITIALIZED, w.rv, "the wait ended by C_Finalize");
	if (w.at - t0 > 2.0)
		fail_msg("the wait ended %.1f s after C_Finalize", w.at - t0);
}
