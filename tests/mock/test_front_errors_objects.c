/* The front when a backend's object, key, random and release operations fail. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "front_fixture.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(load_fails_then_retry),
		T(changed_fails_then_retry),
		T(create_object_fails_nothing_appears),
		T(update_fails_object_unchanged),
		T(destroy_fails_object_stays),
		T(key_op_fails_operation_ends),
		T(key_op_not_logged_in),
		T(generate_fails_no_half_key),
		T(mock_nth_call),
		T(host_pair_store_fails_no_half_key),
		T(random_not_used),
		T(finalize_releases_all),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
