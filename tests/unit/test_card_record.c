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
#include "vcard/vcard.h"
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

static CK_RV ignore_object(void *ctx, uint64_t id, const cid_attrs *attrs)
{
	(void)ctx;
	(void)id;
	(void)attrs;
	return CKR_OK;
}

/* What another program (careid-tool in another process, at the RA desk)
 * writes: the record object as careid writes it, C1 record, C2 signature. */
static void written_elsewhere(const char *serial, bool cancel)
{
	uint8_t *b = NULL, obj[512];
	size_t n = 0;

	encoded(serial, cancel, &b, &n);
	assert_true(n < 128);
	obj[0] = 0xC1;
	obj[1] = (uint8_t)n;
	memcpy(obj + 2, b, n);
	memcpy(obj + 2 + n, "\xC2\x01s", 3);
	assert_int_equal(0, vc_obj_set(chip(), 0x5FFF10, obj, n + 5));
	free(b);
}

/* PIV has no change counter: the record is careid's marker of a card
 * changed by another program, checked at every login and when a known
 * card comes back. */
static void changed_by_another_program(void **state)
{
	atomic_bool removed = false;
	cid_tok *tok = NULL;
	uint8_t *rec = NULL, *sig = NULL;
	size_t rlen = 0, slen = 0;
	char serial[17];
	cid_lifecycle r;
	cid_token *be = open_card();
	unsigned before;
	bool changed = true;

	(void)state;
	serial_of(be, serial);
	assert_int_equal(CKR_OK, be->ops->load_objects(be, ignore_object, NULL));
	assert_int_equal(CKR_OK, be->ops->changed(be, &changed));
	assert_false(changed);
	assert_int_equal(CKR_OK, cid_tok_wrap(be, &removed, &tok));
	assert_int_equal(CKR_OK, cid_tok_login(tok, CKU_USER, (const CK_UTF8CHAR *)"123456", 6));
	assert_int_equal(CKR_OK, cid_tok_logout(tok));

	/* Cancelled elsewhere: the next login sees it, at one APDU's cost
	 * when nothing changed and the card read again when it did. */
	written_elsewhere(serial, true);
	before = V.total;
	assert_int_equal(CKR_PIN_LOCKED, cid_tok_login(tok, CKU_USER, (const CK_UTF8CHAR *)"123456", 6));
	assert_true(V.total - before > 3);
	assert_int_equal(CKR_OK, be->ops->changed(be, &changed));
	assert_true(changed);
	cid_tok_release(&tok);

	/* Reissued elsewhere while out of the reader: the cached contents
	 * are checked when the card comes back. */
	written_elsewhere(serial, false);
	be = open_card();
	assert_int_equal(CKR_OK, be->ops->get_record(be, &rec, &rlen, &sig, &slen));
	assert_int_equal(CKR_OK, cid_lifecycle_decode(rec, rlen, &r));
	assert_false(r.cancelled);
	free(rec);
	free(sig);
	/* Unchanged: a login is its VERIFY and one GET DATA, nothing read
	 * again, and reading the record costs nothing more. */
	before = V.total;
	assert_int_equal(CKR_OK, be->ops->login(be, CKU_USER, (const CK_UTF8CHAR *)"123456", 6));
	assert_int_equal(2, V.total - before);
	before = V.total;
	assert_int_equal(CKR_OK, be->ops->get_record(be, &rec, &rlen, &sig, &slen));
	assert_int_equal(0, V.total - before);
	free(rec);
	free(sig);
	be->ops->release(be);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, card_setup, card_teardown)
	const struct CMUnitTest tests[] = {
		T(record_object),
		T(obeyed_at_login),
		T(changed_by_another_program),
	};
#undef T
	return cmocka_run_group_tests(tests, card_group_setup, card_group_teardown);
}
