/* Object life cycle through the public API: data objects created, found,
 * read, changed, copied and destroyed, as token and as session objects;
 * who sees them (other sessions, before and after login); the token's
 * CKO_PROFILE object; and the refusals of read-only sessions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
static CK_OBJECT_CLASS data_cls = CKO_DATA;

static int setup(void **state)
{
	th_setup(state);
	return 0;
}

/* A data object with label and value; token and private as given. */
static CK_RV make_data(th_env *env, CK_SESSION_HANDLE s, const char *label, const char *value,
                       CK_BBOOL *token, CK_BBOOL *priv, CK_OBJECT_HANDLE *h)
{
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &data_cls, sizeof(data_cls) },
		{ CKA_TOKEN, token, sizeof(*token) },
		{ CKA_PRIVATE, priv, sizeof(*priv) },
		{ CKA_LABEL, (void *)label, strlen(label) },
		{ CKA_VALUE, (void *)value, strlen(value) },
		{ CKA_APPLICATION, "careid tests", 12 },
	};
	return env->f->C_CreateObject(s, t, sizeof(t) / sizeof(t[0]), h);
}

static CK_ULONG count_label(th_env *env, CK_SESSION_HANDLE s, const char *label)
{
	CK_ATTRIBUTE t[] = { { CKA_LABEL, (void *)label, strlen(label) } };
	CK_OBJECT_HANDLE h[8];
	CK_ULONG n = 0;

	CK(env->f->C_FindObjectsInit(s, t, 1));
	CK(env->f->C_FindObjects(s, h, 8, &n));
	CK(env->f->C_FindObjectsFinal(s));
	return n;
}

static void check_value(th_env *env, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, const char *value)
{
	char buf[64] = { 0 };
	CK_ATTRIBUTE a = { CKA_VALUE, buf, sizeof(buf) };

	CK(env->f->C_GetAttributeValue(s, h, &a, 1));
	assert_int_equal(a.ulValueLen, strlen(value));
	assert_memory_equal(buf, value, a.ulValueLen);
}

static void test_data_token_lifecycle(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SESSION_HANDLE s = th_user_session(env, th_new_token(env, "objects"));
	CK_OBJECT_HANDLE h, copy, again;
	CK_ATTRIBUTE set[] = { { CKA_VALUE, "second", 6 }, { CKA_LABEL, "renamed", 7 } };
	CK_ATTRIBUTE relabel[] = { { CKA_LABEL, "the copy", 8 } };
	CK_ULONG size = 0;

	CK(make_data(env, s, "first", "one", &yes, &no, &h));
	assert_int_equal(count_label(env, s, "first"), 1);
	check_value(env, s, h, "one");

	CK(env->f->C_SetAttributeValue(s, h, set, 2));
	check_value(env, s, h, "second");
	assert_int_equal(count_label(env, s, "first"), 0);
	assert_int_equal(count_label(env, s, "renamed"), 1);

	CK(env->f->C_CopyObject(s, h, relabel, 1, &copy));
	assert_int_not_equal(copy, h);
	check_value(env, s, copy, "second");
	assert_int_equal(count_label(env, s, "the copy"), 1);

	CK(env->f->C_GetObjectSize(s, h, &size));
	assert_true(size > 6 && size != CK_UNAVAILABLE_INFORMATION);

	CK(env->f->C_DestroyObject(s, h));
	assert_int_equal(env->f->C_GetAttributeValue(s, h, set, 1), CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(env->f->C_DestroyObject(s, h), CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(count_label(env, s, "renamed"), 0);

	/* Handles are never reused. */
	CK(make_data(env, s, "first", "one", &yes, &no, &again));
	assert_int_not_equal(again, h);
	assert_int_not_equal(again, copy);
	CK(env->f->C_DestroyObject(s, copy));
	CK(env->f->C_DestroyObject(s, again));
}

static void test_session_objects_shared(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = th_new_token(env, "shared");
	CK_SESSION_HANDLE a, b;
	CK_OBJECT_HANDLE h;

	CK(env->f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &a));
	CK(env->f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &b));
	/* Public session objects need neither login nor a R/W session. */
	CK(make_data(env, a, "ephemeral", "v", &no, &no, &h));
	assert_int_equal(count_label(env, b, "ephemeral"), 1);
	check_value(env, b, h, "v");

	CK(env->f->C_CloseSession(a));
	assert_int_equal(count_label(env, b, "ephemeral"), 0);
	assert_int_equal(env->f->C_GetAttributeValue(b, h, NULL, 0), CKR_OBJECT_HANDLE_INVALID);
	CK(env->f->C_CloseSession(b));
}

static void test_private_objects_and_logout(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = th_new_token(env, "private");
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE tok, ses, pub, later;
	CK_ATTRIBUTE lab[] = { { CKA_LABEL, "secret", 6 } };

	CK(env->f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s));
	assert_int_equal(make_data(env, s, "secret", "x", &yes, &yes, &tok), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(make_data(env, s, "secret", "x", &no, &yes, &ses), CKR_USER_NOT_LOGGED_IN);
	CK(make_data(env, s, "public", "p", &yes, &no, &pub));

	CK(env->f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)TH_USER_PIN, strlen(TH_USER_PIN)));
	CK(make_data(env, s, "secret", "x", &yes, &yes, &tok));
	CK(make_data(env, s, "secret", "y", &no, &yes, &ses));
	assert_int_equal(count_label(env, s, "secret"), 2);

	CK(env->f->C_Logout(s));
	assert_int_equal(count_label(env, s, "secret"), 0);
	assert_int_equal(env->f->C_GetAttributeValue(s, tok, lab, 0), CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(env->f->C_GetAttributeValue(s, ses, lab, 0), CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(env->f->C_DestroyObject(s, tok), CKR_OBJECT_HANDLE_INVALID);
	check_value(env, s, pub, "p");

	CK(env->f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)TH_USER_PIN, strlen(TH_USER_PIN)));
	/* The token object is back under a new handle; the private session
	 * object is gone for good; old handles stay invalid. */
	later = th_find_one(env, s, lab, 1);
	assert_int_not_equal(later, tok);
	assert_int_not_equal(later, ses);
	check_value(env, s, later, "x");
	assert_int_equal(env->f->C_GetAttributeValue(s, tok, lab, 0), CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(env->f->C_GetAttributeValue(s, ses, lab, 0), CKR_OBJECT_HANDLE_INVALID);
	CK(env->f->C_CloseSession(s));
}

static CK_SLOT_ID slot_by_label(th_env *env, const char *label)
{
	CK_SLOT_ID list[16];
	CK_ULONG n = 16;
	CK_UTF8CHAR want[32];

	th_pad(want, sizeof(want), label);
	CK(env->f->C_GetSlotList(CK_TRUE, NULL, &n));
	assert_true(n <= 16);
	CK(env->f->C_GetSlotList(CK_TRUE, list, &n));
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;
		if (env->f->C_GetTokenInfo(list[i], &ti) == CKR_OK && memcmp(ti.label, want, 32) == 0)
			return list[i];
	}
	fail_msg("no token labelled %s", label);
	return 0;
}

static void test_persistence(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SESSION_HANDLE s = th_user_session(env, th_new_token(env, "persist"));
	CK_OBJECT_HANDLE h;
	CK_ATTRIBUTE lab[] = { { CKA_LABEL, "kept", 4 } };

	CK(make_data(env, s, "kept", "stored value", &yes, &no, &h));
	CK(make_data(env, s, "kept-private", "hidden", &yes, &yes, &h));
	CK(make_data(env, s, "gone", "session only", &no, &no, &h));
	CK(env->f->C_Finalize(NULL));
	CK(env->f->C_Initialize(NULL));

	CK(env->f->C_OpenSession(slot_by_label(env, "persist"), CKF_SERIAL_SESSION, NULL, NULL, &s));
	check_value(env, s, th_find_one(env, s, lab, 1), "stored value");
	assert_int_equal(count_label(env, s, "kept-private"), 0);
	assert_int_equal(count_label(env, s, "gone"), 0);
	CK(env->f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)TH_USER_PIN, strlen(TH_USER_PIN)));
	assert_int_equal(count_label(env, s, "kept-private"), 1);
	assert_int_equal(count_label(env, s, "gone"), 0);
	CK(env->f->C_CloseSession(s));
}

static void test_find_rules(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SESSION_HANDLE s = th_user_session(env, th_new_token(env, "find"));
	CK_OBJECT_HANDLE h[3], got[8];
	CK_ULONG n = 0, total = 0;
	CK_ATTRIBUTE app[] = { { CKA_APPLICATION, "careid tests", 12 }, { CKA_CLASS, &data_cls, sizeof(data_cls) } };
	CK_ATTRIBUTE nothing[] = { { CKA_LABEL, "no such label", 13 } };

	assert_int_equal(env->f->C_FindObjects(s, got, 8, &n), CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(env->f->C_FindObjectsFinal(s), CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(env->f->C_FindObjectsInit(s, NULL, 1), CKR_ARGUMENTS_BAD);

	CK(make_data(env, s, "a", "1", &yes, &no, &h[0]));
	CK(make_data(env, s, "b", "2", &no, &no, &h[1]));
	CK(make_data(env, s, "c", "3", &yes, &yes, &h[2]));

	/* One at a time, across token, session and private objects. */
	CK(env->f->C_FindObjectsInit(s, app, 2));
	assert_int_equal(env->f->C_FindObjectsInit(s, app, 2), CKR_OPERATION_ACTIVE);
	do {
		CK(env->f->C_FindObjects(s, got + total, 1, &n));
		total += n;
	} while (n == 1 && total < 8);
	CK(env->f->C_FindObjectsFinal(s));
	assert_int_equal(total, 3);

	/* An empty template finds every visible object, the profile too. */
	CK(env->f->C_FindObjectsInit(s, NULL, 0));
	CK(env->f->C_FindObjects(s, got, 8, &n));
	CK(env->f->C_FindObjectsFinal(s));
	assert_int_equal(n, 4);

	CK(env->f->C_FindObjectsInit(s, nothing, 1));
	CK(env->f->C_FindObjects(s, got, 8, &n));
	CK(env->f->C_FindObjectsFinal(s));
	assert_int_equal(n, 0);

	/* Objects destroyed after the snapshot are not returned. */
	CK(env->f->C_FindObjectsInit(s, app, 2));
	CK(env->f->C_DestroyObject(s, h[0]));
	CK(env->f->C_FindObjects(s, got, 8, &n));
	CK(env->f->C_FindObjectsFinal(s));
	assert_int_equal(n, 2);
	CK(env->f->C_CloseSession(s));
}

static void test_profile_object(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = th_new_token(env, "profile");
	CK_OBJECT_CLASS pc = CKO_PROFILE;
	CK_ULONG id = 0, size = 0;
	CK_BBOOL tok = CK_FALSE;
	CK_ATTRIBUTE find[] = { { CKA_CLASS, &pc, sizeof(pc) } };
	CK_ATTRIBUTE get[] = { { CKA_PROFILE_ID, &id, sizeof(id) }, { CKA_TOKEN, &tok, sizeof(tok) } };
	CK_ATTRIBUTE label[] = { { CKA_LABEL, "x", 1 } };
	CK_ATTRIBUTE create[] = { { CKA_CLASS, &pc, sizeof(pc) }, { CKA_PROFILE_ID, &id, sizeof(id) } };
	CK_SESSION_HANDLE s, rw;
	CK_OBJECT_HANDLE h, out;

	/* Before any login, in a read-only session. */
	CK(env->f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s));
	h = th_find_one(env, s, find, 1);
	CK(env->f->C_GetAttributeValue(s, h, get, 2));
	assert_int_equal(id, CKP_PUBLIC_CERTIFICATES_TOKEN);
	assert_int_equal(tok, CK_TRUE);

	rw = th_user_session(env, slot);
	assert_int_equal(env->f->C_DestroyObject(rw, h), CKR_ACTION_PROHIBITED);
	assert_int_equal(env->f->C_SetAttributeValue(rw, h, label, 1), CKR_ACTION_PROHIBITED);
	assert_int_equal(env->f->C_CopyObject(rw, h, NULL, 0, &out), CKR_ACTION_PROHIBITED);
	assert_int_equal(env->f->C_CreateObject(rw, create, 2, &out), CKR_ATTRIBUTE_VALUE_INVALID);
	CK(env->f->C_GetObjectSize(rw, h, &size));
	assert_int_equal(size, CK_UNAVAILABLE_INFORMATION);
	/* Still exactly one, and still there after logout. */
	assert_int_equal(th_find_one(env, rw, find, 1), h);
	CK(env->f->C_Logout(rw));
	assert_int_equal(th_find_one(env, s, find, 1), h);
	CK(env->f->C_CloseAllSessions(slot));
}

static void test_read_only_session(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SLOT_ID slot = th_new_token(env, "readonly");
	CK_SESSION_HANDLE rw = th_user_session(env, slot), ro;
	CK_OBJECT_HANDLE tok, ses, out;
	CK_ATTRIBUTE label[] = { { CKA_LABEL, "new", 3 } };
	CK_ATTRIBUTE to_token[] = { { CKA_TOKEN, &yes, sizeof(yes) } };

	CK(make_data(env, rw, "tok", "t", &yes, &no, &tok));
	CK(env->f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &ro));

	assert_int_equal(make_data(env, ro, "x", "x", &yes, &no, &out), CKR_SESSION_READ_ONLY);
	assert_int_equal(make_data(env, ro, "x", "x", &yes, &yes, &out), CKR_SESSION_READ_ONLY);
	assert_int_equal(env->f->C_SetAttributeValue(ro, tok, label, 1), CKR_SESSION_READ_ONLY);
	assert_int_equal(env->f->C_DestroyObject(ro, tok), CKR_SESSION_READ_ONLY);
	assert_int_equal(env->f->C_CopyObject(ro, tok, NULL, 0, &out), CKR_SESSION_READ_ONLY);

	/* Session objects are fine in a read-only session, private ones too
	 * (the user is logged in on the slot). */
	CK(make_data(env, ro, "ses", "s", &no, &yes, &ses));
	CK(env->f->C_SetAttributeValue(ro, ses, label, 1));
	assert_int_equal(env->f->C_CopyObject(ro, ses, to_token, 1, &out), CKR_SESSION_READ_ONLY);
	CK(env->f->C_CopyObject(ro, ses, NULL, 0, &out));
	CK(env->f->C_DestroyObject(ro, out));
	CK(env->f->C_DestroyObject(ro, ses));
	assert_int_equal(count_label(env, rw, "tok"), 1);
	CK(env->f->C_CloseAllSessions(slot));
}

static void test_protection_flags(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SESSION_HANDLE s = th_user_session(env, th_new_token(env, "flags"));
	CK_OBJECT_HANDLE h, out;
	CK_ATTRIBUTE fixed[] = {
		{ CKA_CLASS, &data_cls, sizeof(data_cls) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &no, sizeof(no) },
		{ CKA_LABEL, "fixed", 5 },
		{ CKA_MODIFIABLE, &no, sizeof(no) },
		{ CKA_COPYABLE, &no, sizeof(no) },
		{ CKA_DESTROYABLE, &no, sizeof(no) },
	};
	CK_ATTRIBUTE label[] = { { CKA_LABEL, "other", 5 } };
	CK_ATTRIBUTE destroyable[] = { { CKA_DESTROYABLE, &yes, sizeof(yes) } };
	CK_ATTRIBUTE copyable[] = { { CKA_COPYABLE, &yes, sizeof(yes) } };
	CK_BBOOL v = CK_TRUE;
	CK_ATTRIBUTE mod = { CKA_MODIFIABLE, &v, 1 };

	CK(env->f->C_CreateObject(s, fixed, 7, &h));
	CK(env->f->C_GetAttributeValue(s, h, &mod, 1));
	assert_int_equal(v, CK_FALSE);
	assert_int_equal(env->f->C_SetAttributeValue(s, h, label, 1), CKR_ACTION_PROHIBITED);
	assert_int_equal(env->f->C_SetAttributeValue(s, h, destroyable, 1), CKR_ACTION_PROHIBITED);
	assert_int_equal(env->f->C_CopyObject(s, h, NULL, 0, &out), CKR_ACTION_PROHIBITED);
	assert_int_equal(env->f->C_DestroyObject(s, h), CKR_ACTION_PROHIBITED);
	assert_int_equal(count_label(env, s, "fixed"), 1);

	/* Each flag on its own; CKA_COPYABLE cannot be turned back on. */
	fixed[4].pValue = &yes;
	fixed[6].pValue = &yes;
	CK(env->f->C_CreateObject(s, fixed, 7, &h));
	assert_int_equal(env->f->C_CopyObject(s, h, NULL, 0, &out), CKR_ACTION_PROHIBITED);
	assert_int_equal(env->f->C_SetAttributeValue(s, h, copyable, 1), CKR_ATTRIBUTE_VALUE_INVALID);
	CK(env->f->C_SetAttributeValue(s, h, label, 1));
	CK(env->f->C_DestroyObject(s, h));
	CK(env->f->C_CloseSession(s));
}

static void test_bad_handles_and_args(void **state)
{
	th_env *env = TH_ENV(state);
	CK_SESSION_HANDLE s = th_user_session(env, th_new_token(env, "args"));
	CK_OBJECT_HANDLE h;
	CK_ULONG size;
	CK_ATTRIBUTE lab = { CKA_LABEL, NULL, 0 };

	assert_int_equal(env->f->C_GetAttributeValue(s, 0, &lab, 1), CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(env->f->C_GetAttributeValue(s, 0x7fffff, &lab, 1), CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(env->f->C_DestroyObject(s, 0x7fffff), CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(env->f->C_GetObjectSize(s, 0x7fffff, &size), CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(env->f->C_CreateObject(s, NULL, 1, &h), CKR_ARGUMENTS_BAD);
	assert_int_equal(env->f->C_CreateObject(s, &lab, 1, NULL), CKR_ARGUMENTS_BAD);
	CK(make_data(env, s, "x", "y", &no, &no, &h));
	assert_int_equal(env->f->C_GetObjectSize(s, h, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(env->f->C_GetAttributeValue(s, h, NULL, 1), CKR_ARGUMENTS_BAD);
	assert_int_equal(env->f->C_GetAttributeValue(0x7fffff, h, &lab, 1), CKR_SESSION_HANDLE_INVALID);
	CK(env->f->C_CloseSession(s));
	assert_int_equal(env->f->C_CreateObject(s, &lab, 1, &h), CKR_SESSION_HANDLE_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_data_token_lifecycle, setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_session_objects_shared, setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_private_objects_and_logout, setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_persistence, setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_find_rules, setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_profile_object, setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_read_only_session, setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_protection_flags, setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_bad_handles_and_args, setup, th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
