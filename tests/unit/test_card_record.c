/* The lifecycle record on a card: its data object, written with the
 * management key only, read back as written, and obeyed at the card's
 * user login through the token layer, as on a soft token (P16). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "card_fixture_unit.h"
#include "policy/lifecycle.h"
#include "token/tok.h"

static void serial_of(cid_token *t, char out[17])
{
	cid_token_status st;
	size_t n = 16;

	assert_int_equal(CKR_OK, t->ops->status(t, &st));
	memcpy(out, st.serial, 16);
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

static void encoded(const char *serial, bool cancel, uint8_t **b, size_t *n)
{
	cid_lifecycle r = { 0 };
	int64_t now = (int64_t)time(NULL);

	assert_int_equal(CKR_OK, cid_lifecycle_issue(&r, CID_CARD_STANDARD, "123456789012", serial, "ra", now,
	                                             now + 700 * 86400, 0, 0)
	                             .rv);
	if (cancel)
		cid_lifecycle_cancelled(&r);
	assert_int_equal(CKR_OK, cid_lifecycle_encode(&r, b, n));
}

static void record_object(void **state)
{
	cid_token *t = open_card();
	uint8_t *b = NULL, *rec = NULL, *sig = NULL;
	size_t n = 0, rlen = 0, slen = 0;
	char serial[17];

	(void)state;
	serial_of(t, serial);
	assert_int_equal(CKR_OK, t->ops->get_record(t, &rec, &rlen, &sig, &slen));
	assert_null(rec);
	encoded(serial, false, &b, &n);
	assert_int_equal(CKR_USER_NOT_LOGGED_IN, t->ops->put_record(t, b, n, (const uint8_t *)"sig", 3));
	assert_null(chip_obj(0x5FFF10));
	assert_int_equal(CKR_OK, t->ops->login(t, CKU_CAREID_CARD_ADMIN, MGMT, sizeof(MGMT)));
	assert_int_equal(CKR_OK, t->ops->put_record(t, b, n, (const uint8_t *)"sig", 3));
	assert_non_null(chip_obj(0x5FFF10));
	assert_int_equal(CKR_OK, t->ops->get_record(t, &rec, &rlen, &sig, &slen));
	assert_int_equal(n, rlen);
	assert_memory_equal(b, rec, n);
	assert_int_equal(3, slen);
	assert_memory_equal("sig", sig, 3);
	free(rec);
	free(sig);
	free(b);
	t->ops->release(t);
}

static void obeyed_at_login(void **state)
{
	atomic_bool removed = false;
	cid_tok *tok = NULL;
	uint8_t *b = NULL;
	size_t n = 0;
	char serial[17];
	cid_token *be = open_card();

	(void)state;
	serial_of(be, serial);
	assert_int_equal(CKR_OK, cid_tok_wrap(be, &removed, &tok));
	assert_int_equal(CKR_OK, cid_tok_login(tok, CKU_CAREID_CARD_ADMIN, MGMT, sizeof(MGMT)));
	/* Another card's record is refused. */
	encoded("7654321", true, &b, &n);
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, cid_tok_put_record(tok, b, n, (const uint8_t *)"s", 1));
	free(b);
	encoded(serial, true, &b, &n);
	assert_int_equal(CKR_OK, cid_tok_put_record(tok, b, n, (const uint8_t *)"s", 1));
	free(b);
	assert_int_equal(CKR_OK, cid_tok_logout(tok));
	/* Cancelled (no issuer configured: obeyed unverified). */
	assert_int_equal(CKR_PIN_LOCKED, cid_tok_login(tok, CKU_USER, (const CK_UTF8CHAR *)"123456", 6));
	assert_int_equal(CID_NO_USER, cid_tok_who(tok));
	/* The right PIN cost no try. */
	assert_int_equal(0, flags(be) & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_LOCKED));
	cid_tok_release(&tok);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, card_setup, card_teardown)
	const struct CMUnitTest tests[] = {
		T(record_object),
		T(obeyed_at_login),
	};
#undef T
	return cmocka_run_group_tests(tests, card_group_setup, card_group_teardown);
}
