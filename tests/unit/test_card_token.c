/* careid's card token on the virtual card (the engine of careid-vcard, in
 * this process): opening, the objects and their cache, removal, and a reset
 * by another program.  Login is in test_card_login.c, key operations and
 * the administrator in test_card_keys.c; the card is described in
 * card_fixture_unit.h. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "card_fixture_unit.h"

static void test_open_selects_only(void **state)
{
	cid_token *t;

	(void)state;
	t = open_card();
	assert_int_equal(1, V.total);
	assert_int_equal(1, V.ins[0xA4]);
	t->ops->release(t);
}

static void test_not_piv(void **state)
{
	cid_token *t = NULL;

	(void)state;
	V.other_card = true;
	assert_int_equal(CKR_TOKEN_NOT_RECOGNIZED, cid_card_token_open(&V.base, &t));
	assert_null(t);
	assert_int_equal(1, V.total);
	V.other_card = false;
	vcard_io_pull(&V);
	assert_int_equal(CKR_TOKEN_NOT_PRESENT, cid_card_token_open(&V.base, &t));
	assert_null(t);
}

static void test_objects_and_cache(void **state)
{
	cid_token *t = open_card(), *t2;
	objs o = { .n = 0 };
	const cid_attrs *a;
	cid_token_status st;
	unsigned gets;

	(void)state;
	assert_int_equal(CKR_OK, t->ops->load_objects(t, collect, &o));
	assert_int_equal(9, o.n);   /* 3 slots x (certificate, public, private) */
	for (uint8_t id = 1; id <= 3; id++) {
		assert_non_null(find_obj(&o, CKO_CERTIFICATE, id));
		assert_non_null(find_obj(&o, CKO_PUBLIC_KEY, id));
		assert_non_null(find_obj(&o, CKO_PRIVATE_KEY, id));
	}
	assert_null(find_obj(&o, CKO_CERTIFICATE, 4));
	a = find_obj(&o, CKO_PRIVATE_KEY, 2);
	assert_true(cid_attrs_bool(a, CKA_ALWAYS_AUTHENTICATE, false));
	assert_true(cid_attrs_bool(a, CKA_PRIVATE, false));
	assert_true(cid_attrs_bool(a, CKA_SENSITIVE, false));
	assert_false(cid_attrs_bool(a, CKA_EXTRACTABLE, true));
	assert_false(cid_attrs_bool(a, CKA_DECRYPT, true));
	assert_true(cid_attrs_bool(a, CKA_DERIVE, false));
	assert_null(cid_attrs_get(a, CKA_VALUE));     /* no private material */
	assert_non_null(cid_attrs_get(a, CKA_EC_POINT));
	assert_int_equal(0x9C, *(const uint8_t *)cid_attrs_get(a, CKA_CAREID_KEY_REF)->pValue);
	a = find_obj(&o, CKO_PRIVATE_KEY, 1);
	assert_false(cid_attrs_bool(a, CKA_ALWAYS_AUTHENTICATE, true));
	a = find_obj(&o, CKO_PRIVATE_KEY, 3);
	assert_true(cid_attrs_bool(a, CKA_DECRYPT, false));
	assert_null(cid_attrs_get(a, CKA_PRIVATE_EXPONENT));
	assert_non_null(cid_attrs_get(a, CKA_MODULUS));
	a = find_obj(&o, CKO_CERTIFICATE, 1);
	assert_false(cid_attrs_bool(a, CKA_PRIVATE, true));
	assert_non_null(cid_attrs_get(a, CKA_SUBJECT));
	assert_non_null(cid_attrs_get(a, CKA_VALUE));
	a = find_obj(&o, CKO_PUBLIC_KEY, 1);
	assert_false(cid_attrs_bool(a, CKA_PRIVATE, true));
	objs_free(&o);

	/* P13: the label is the UUID from the 9A certificate. */
	assert_int_equal(CKR_OK, t->ops->status(t, &st));
	assert_memory_equal("123456789012    ", st.label, 16);
	assert_memory_equal("1234567 ", st.serial, 8);
	assert_int_equal(6, st.min_pin_len);
	assert_int_equal(8, st.max_pin_len);
	assert_true(st.flags & CKF_LOGIN_REQUIRED);
	assert_false(st.flags & CKF_RNG);
	assert_null(t->ops->random);

	/* Listing again reads nothing from the card. */
	gets = V.ins[0xCB];
	assert_int_equal(CKR_OK, t->ops->load_objects(t, collect, &o));
	assert_int_equal(9, o.n);
	assert_int_equal(gets, V.ins[0xCB]);
	objs_free(&o);
	t->ops->release(t);

	/* The same card opened again: only its identity (CHUID) and its
	 * lifecycle record, the mark of a change made elsewhere, are read. */
	t2 = open_card();
	assert_int_equal(CKR_OK, t2->ops->load_objects(t2, collect, &o));
	assert_int_equal(9, o.n);
	assert_int_equal(gets + 2, V.ins[0xCB]);
	objs_free(&o);
	t2->ops->release(t2);
}

static void test_removal(void **state)
{
	cid_token *t = open_card();
	uint8_t h[32] = { 0 }, rs[64];
	size_t rl = sizeof(rs);
	cid_token_status st;
	unsigned before;

	(void)state;
	assert_int_equal(CKR_OK, login(t, CKU_USER, "123456"));
	vcard_io_pull(&V);
	assert_int_equal(CKR_DEVICE_REMOVED, t->ops->key_op(t, priv_id(0x9A), CID_EXT_ECDSA, h, 32, rs, &rl));
	vcard_io_insert(&V);   /* even if the transport recovered: a pulled card stays pulled */
	before = V.total;
	assert_int_equal(CKR_DEVICE_REMOVED, t->ops->status(t, &st));
	assert_int_equal(CKR_DEVICE_REMOVED, login(t, CKU_USER, "123456"));
	assert_int_equal(before, V.total);
	assert_int_equal(CKR_OK, t->ops->logout(t));
	t->ops->release(t);
}

static void test_reset_by_another_process(void **state)
{
	cid_token *t = open_card();
	uint8_t h[32] = { 0 }, rs[64];
	size_t rl = sizeof(rs);
	unsigned selects;

	(void)state;
	assert_int_equal(CKR_OK, login(t, CKU_USER, "123456"));
	vcard_io_reset_by_other(&V);
	selects = V.ins[0xA4];
	/* The login is gone with the reset: reported, not hidden. */
	assert_int_equal(CKR_USER_NOT_LOGGED_IN, t->ops->key_op(t, priv_id(0x9A), CID_EXT_ECDSA, h, 32, rs, &rl));
	assert_int_equal(selects + 1, V.ins[0xA4]);
	assert_int_equal(CKR_OK, login(t, CKU_USER, "123456"));
	rl = sizeof(rs);
	assert_int_equal(CKR_OK, t->ops->key_op(t, priv_id(0x9A), CID_EXT_ECDSA, h, 32, rs, &rl));
	/* Nobody logged in: a reset is handled silently (SELECT again). */
	assert_int_equal(CKR_OK, t->ops->logout(t));
	vcard_io_reset_by_other(&V);
	selects = V.ins[0xA4];
	assert_true(flags(t) & CKF_TOKEN_INITIALIZED);
	assert_int_equal(selects + 1, V.ins[0xA4]);
	t->ops->release(t);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, card_setup, card_teardown)
	const struct CMUnitTest tests[] = {
		T(test_open_selects_only),
		T(test_not_piv),
		T(test_objects_and_cache),
		T(test_removal),
		T(test_reset_by_another_process),
	};
#undef T

	return cmocka_run_group_tests(tests, card_group_setup, card_group_teardown);
}
