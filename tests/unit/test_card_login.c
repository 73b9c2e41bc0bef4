/* careid's card token on the virtual card: the PIN and the PUK.  Passcodes
 * the card could never accept send nothing; tries and lockout as the card
 * counts them; unblocking with the PUK; changing either; and the
 * context-specific login of the PIN-always key 9C. */
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
#include "common/host_trail.h"
#include "crypto/crypto.h"
#include "token/tok.h"

static void test_implausible_pin_sends_nothing(void **state)
{
	cid_token *t = open_card();
	unsigned before = V.total;

	(void)state;
	assert_int_equal(CKR_PIN_INCORRECT, login(t, CKU_USER, "12ab56"));
	assert_int_equal(CKR_PIN_INCORRECT, login(t, CKU_USER, "12345"));
	assert_int_equal(CKR_PIN_INCORRECT, login(t, CKU_USER, "123456789"));
	assert_int_equal(CKR_PIN_INCORRECT, login(t, CKU_SO, "1234567x"));
	assert_int_equal(CKR_PIN_INCORRECT, login(t, CKU_CONTEXT_SPECIFIC, ""));
	assert_int_equal(before, V.total);
	assert_int_equal(3, chip()->pin.tries);
	t->ops->release(t);
}

static void test_tries_and_lockout(void **state)
{
	cid_token *t = open_card();
	CK_FLAGS f;

	(void)state;
	f = flags(t);
	assert_false(f & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED));
	assert_int_equal(CKR_PIN_INCORRECT, login(t, CKU_USER, "654321"));
	f = flags(t);
	assert_true(f & CKF_USER_PIN_COUNT_LOW);
	assert_false(f & CKF_USER_PIN_FINAL_TRY);
	assert_int_equal(CKR_PIN_INCORRECT, login(t, CKU_USER, "654321"));
	f = flags(t);
	assert_true(f & CKF_USER_PIN_FINAL_TRY);
	assert_int_equal(CKR_PIN_LOCKED, login(t, CKU_USER, "654321"));
	assert_true(flags(t) & CKF_USER_PIN_LOCKED);
	/* Even the right passcode now meets 6983. */
	assert_int_equal(CKR_PIN_LOCKED, login(t, CKU_USER, "123456"));
	t->ops->release(t);

	/* A fresh token learns the state from the card without spending a try. */
	t = open_card();
	assert_true(flags(t) & CKF_USER_PIN_LOCKED);
	assert_int_equal(0, chip()->pin.tries);
	t->ops->release(t);
}

static void test_so_unblock(void **state)
{
	cid_token *t = open_card();
	atomic_bool removed = false;
	cid_tok *tk = NULL;
	static const uint8_t want[] = { 0x00, 0x2C, 0x00, 0x80, 0x10, '1', '2', '3', '4', '5', '6', '7', '8',
		                        '2', '4', '6', '8', '1', '0', 0xFF, 0xFF };

	(void)state;
	chip()->pin.tries = 0;
	assert_int_equal(CKR_USER_NOT_LOGGED_IN, t->ops->init_pin(t, (const CK_UTF8CHAR *)"246810", 6));
	/* Wrong PUK: costs a PUK try, reported as such. */
	assert_int_equal(CKR_PIN_INCORRECT, login(t, CKU_SO, "87654321"));
	assert_int_equal(2, chip()->puk.tries);
	assert_true(flags(t) & CKF_SO_PIN_COUNT_LOW);
	/* Through the token layer, which holds the login state and the rules
	 * for new passcodes. */
	assert_int_equal(CKR_OK, cid_tok_wrap(t, &removed, &tk));
	assert_int_equal(CKR_OK, cid_tok_login(tk, CKU_SO, (const CK_UTF8CHAR *)"12345678", 8));
	assert_int_equal(0x24, V.last[1]);
	assert_int_equal(0x81, V.last[3]);
	assert_memory_equal(V.last + 5, V.last + 13, 8);   /* old == new */
	assert_int_equal(3, chip()->puk.tries);
	/* P1 on the new passcode, on the host: the token layer's. */
	{
		unsigned before = V.total;

		assert_int_equal(CKR_PIN_LEN_RANGE, cid_tok_init_pin(tk, (const CK_UTF8CHAR *)"12345", 5));
		assert_int_equal(CKR_PIN_INVALID, cid_tok_init_pin(tk, (const CK_UTF8CHAR *)"12345a", 6));
		assert_int_equal(before, V.total);
	}
	assert_int_equal(CKR_OK, t->ops->init_pin(t, (const CK_UTF8CHAR *)"246810", 6));
	assert_int_equal(sizeof(want), V.lastlen);
	assert_memory_equal(want, V.last, sizeof(want));
	assert_int_equal(3, chip()->pin.tries);
	assert_false(flags(t) & CKF_USER_PIN_LOCKED);
	assert_int_equal(CKR_OK, t->ops->logout(t));
	assert_int_equal(CKR_USER_NOT_LOGGED_IN, t->ops->init_pin(t, (const CK_UTF8CHAR *)"246810", 6));
	assert_int_equal(CKR_OK, login(t, CKU_USER, "246810"));
	cid_tok_release(&tk);
}

static void test_set_pin(void **state)
{
	cid_token *t = open_card();
	cid_token_status st;
	unsigned before;
	atomic_bool removed = false;
	cid_tok *tk = NULL;

	(void)state;
	/* P5 and P1 on the new passcode, the token layer's: nothing reaches the
	 * card (the card's name for the refusal's log line is read once, as
	 * any first listing does). */
	assert_int_equal(CKR_OK, t->ops->status(t, &st));
	before = V.total;
	assert_int_equal(CKR_OK, cid_tok_wrap(t, &removed, &tk));
	assert_int_equal(CKR_PIN_INVALID, cid_tok_set_pin(tk, (const CK_UTF8CHAR *)"123456", 6,
	                                                  (const CK_UTF8CHAR *)"123456", 6));
	assert_int_equal(CKR_PIN_LEN_RANGE, cid_tok_set_pin(tk, (const CK_UTF8CHAR *)"123456", 6,
	                                                    (const CK_UTF8CHAR *)"1234", 4));
	assert_int_equal(before, V.total);
	assert_int_equal(CKR_PIN_INCORRECT, t->ops->set_pin(t, CKU_USER, (const CK_UTF8CHAR *)"111111", 6,
	                                                    (const CK_UTF8CHAR *)"222222", 6));
	assert_int_equal(2, chip()->pin.tries);
	assert_int_equal(CKR_OK, t->ops->set_pin(t, CKU_USER, (const CK_UTF8CHAR *)"123456", 6,
	                                         (const CK_UTF8CHAR *)"22223333", 8));
	assert_int_equal(CKR_PIN_INCORRECT, login(t, CKU_USER, "123456"));
	assert_int_equal(CKR_OK, login(t, CKU_USER, "22223333"));
	assert_int_equal(CKR_OK, t->ops->set_pin(t, CKU_SO, (const CK_UTF8CHAR *)"12345678", 8,
	                                         (const CK_UTF8CHAR *)"87654321", 8));
	assert_int_equal(CKR_TOKEN_WRITE_PROTECTED, t->ops->init_token(t, (const CK_UTF8CHAR *)"87654321", 8,
	                                                               (const CK_UTF8CHAR *)"x"));
	cid_tok_release(&tk);
}

static void test_context_specific(void **state)
{
	cid_token *t = open_card();
	uint8_t h[32], rs[64];
	size_t rl = sizeof(rs);
	unsigned v;

	(void)state;
	/* 9C wants a VERIFY right before each use (PIN policy always). */
	assert_int_equal(PINPOL_ALWAYS, vc_key_get(chip(), 0x9C)->pin_policy);
	memset(h, 0x11, sizeof(h));
	assert_int_equal(CKR_OK, login(t, CKU_USER, "123456"));
	/* As if another application had used the fresh VERIFY. */
	chip_session()->pin_fresh = false;
	/* Without the context login the card refuses, and we say so. */
	assert_int_equal(CKR_USER_NOT_LOGGED_IN, t->ops->key_op(t, priv_id(0x9C), CID_EXT_ECDSA, h, 32, rs, &rl));
	/* A wrong passcode is reported at C_Login time. */
	assert_int_equal(CKR_PIN_INCORRECT, login(t, CKU_CONTEXT_SPECIFIC, "999999"));
	/* Context login: VERIFY now, then the signature. */
	v = V.ins[0x20];
	assert_int_equal(CKR_OK, login(t, CKU_CONTEXT_SPECIFIC, "123456"));
	assert_int_equal(v + 1, V.ins[0x20]);
	vcard_io_trace_clear(&V);
	rl = sizeof(rs);
	assert_int_equal(CKR_OK, t->ops->key_op(t, priv_id(0x9C), CID_EXT_ECDSA, h, 32, rs, &rl));
	assert_string_equal("G", V.trace);
	assert_int_equal(1, ecdsa_ok(chip_key(0x9C), h, 32, rs, 32));
	/* The authorisation was for one signature. */
	rl = sizeof(rs);
	assert_int_equal(CKR_USER_NOT_LOGGED_IN, t->ops->key_op(t, priv_id(0x9C), CID_EXT_ECDSA, h, 32, rs, &rl));
	/* The card forgot in between (e.g. another application signed):
	 * VERIFY again right before the retried GENERAL AUTHENTICATE. */
	assert_int_equal(CKR_OK, login(t, CKU_CONTEXT_SPECIFIC, "123456"));
	chip_session()->pin_fresh = false;
	vcard_io_trace_clear(&V);
	v = V.begins;
	rl = sizeof(rs);
	assert_int_equal(CKR_OK, t->ops->key_op(t, priv_id(0x9C), CID_EXT_ECDSA, h, 32, rs, &rl));
	assert_string_equal("GVG", V.trace);
	assert_int_equal(v + 1, V.begins);   /* one transaction */
	assert_int_equal(1, ecdsa_ok(chip_key(0x9C), h, 32, rs, 32));
	t->ops->release(t);
}

static CK_RV trail_sha256(const cid_piece *pieces, size_t n, uint8_t out[CID_AUDIT_HASH_LEN])
{
	return cid_sha256(pieces, n, out);
}

typedef struct {
	char text[2048];
	unsigned n;
} events;

static CK_RV add_event(void *ctx, const cid_audit_record *r)
{
	events *e = ctx;
	size_t used = strlen(e->text);

	snprintf(e->text + used, sizeof(e->text) - used, "%s%s %s", e->n++ ? "; " : "", r->event, r->detail);
	return CKR_OK;
}

/* P14 on a card: the host keeps the trail, named for the card's serial,
 * with the soft token's events and words; no passcode in it. */
static void test_host_trail_of_card_events(void **state)
{
	char dir[] = "/tmp/careid-cardtrail-XXXXXX", serial[40], cmd[80];
	cid_token *t = open_card();
	cid_token_status st;
	cid_audit_check chk;
	events e = { "", 0 };

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(CKR_OK, cid_card_token_keep_trail(t, dir));
	assert_int_equal(CKR_OK, t->ops->status(t, &st));
	snprintf(serial, sizeof(serial), "%.16s", (const char *)st.serial);
	for (char *p = serial + strlen(serial); p > serial && p[-1] == ' ';)
		*--p = '\0';

	assert_int_equal(CKR_PIN_INCORRECT, login(t, CKU_USER, "12ab56"));
	assert_int_equal(CKR_PIN_INCORRECT, login(t, CKU_USER, "654321"));
	assert_int_equal(CKR_PIN_INCORRECT, login(t, CKU_USER, "654321"));
	assert_int_equal(CKR_PIN_LOCKED, login(t, CKU_USER, "654321"));
	assert_int_equal(CKR_PIN_LOCKED, login(t, CKU_USER, "123456"));
	assert_int_equal(CKR_PIN_INCORRECT, login(t, CKU_SO, "87654321"));
	assert_int_equal(CKR_OK, login(t, CKU_SO, "12345678"));
	assert_int_equal(CKR_OK, t->ops->init_pin(t, (const CK_UTF8CHAR *)"246810", 6));
	assert_int_equal(CKR_OK, t->ops->logout(t));
	assert_int_equal(CKR_OK, login(t, CKU_USER, "246810"));
	assert_int_equal(CKR_OK, t->ops->set_pin(t, CKU_USER, (const CK_UTF8CHAR *)"246810", 6,
	                                         (const CK_UTF8CHAR *)"13572468", 8));
	assert_int_equal(CKR_OK, t->ops->audit(t, "expiry-alert", "days_left=89"));

	assert_int_equal(CKR_OK, cid_host_trail_verify(dir, serial, trail_sha256, &chk));
	assert_int_equal(12, chk.records);
	assert_int_equal(CKR_OK, cid_host_trail_foreach(dir, serial, add_event, &e));
	assert_string_equal("login-failed who=user malformed, no try spent; "
	                    "login-failed who=user tries_left=2; login-failed who=user tries_left=1; "
	                    "login-failed who=user tries_left=0; locked who=user; login-refused who=user locked; "
	                    "login-failed who=so tries_left=2; login-ok who=so; "
	                    "pin-init who=so user passcode set, counter reset (unblock); login-ok who=user; "
	                    "pin-changed who=user; expiry-alert days_left=89",
	                    e.text);
	assert_null(strstr(e.text, "654321"));
	assert_null(strstr(e.text, "246810"));
	t->ops->release(t);

	/* Without a place for it, a card keeps no trail and still works. */
	t = open_card();
	assert_int_equal(CKR_OK, login(t, CKU_USER, "13572468"));
	assert_int_equal(CKR_OK, t->ops->audit(t, "expiry-alert", "days_left=88"));
	t->ops->release(t);
	assert_int_equal(CKR_OK, cid_host_trail_verify(dir, serial, trail_sha256, &chk));
	assert_int_equal(12, chk.records);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(0, system(cmd));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, card_setup, card_teardown)
	const struct CMUnitTest tests[] = {
		T(test_implausible_pin_sends_nothing),
		T(test_tries_and_lockout),
		T(test_so_unblock),
		T(test_set_pin),
		T(test_context_specific),
		T(test_host_trail_of_card_events),
	};
#undef T

	return cmocka_run_group_tests(tests, card_group_setup, card_group_teardown);
}
