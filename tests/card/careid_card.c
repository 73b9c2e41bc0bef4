/* careid-pkcs11.so on a card through a real pcscd: the virtual Care
 * Identity card (careid-vcard) in the private rig of tests/card/rig.sh,
 * run by tests/card/careid.sh.
 *
 * The tests share one card and run in order.  Each leaves the card in the
 * reader, unlocked, with passcode 123456 and no session open, so that one
 * failure does not hide the checks after it.  OpenSSL judges every
 * signature and supplies every ciphertext, from the card's certificates.
 *
 * This file holds the ordered list of the tests; the shared state and
 * helpers are in card_fixture.c and card_sign.c, the tests in
 * card_login_tests.c, card_crypto_tests.c and card_event_tests.c. */
#include "card_fixture.h"
#include "card_crypto_tests.h"
#include "card_event_tests.h"
#include "card_login_tests.h"

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_token_info, after_each),
		cmocka_unit_test_teardown(test_card_mechanisms, after_each),
		cmocka_unit_test_teardown(test_objects, after_each),
		cmocka_unit_test_teardown(test_cold_listing, after_each),
		cmocka_unit_test_teardown(test_login_user, after_each),
		cmocka_unit_test_teardown(test_reset_elsewhere, after_each),
		cmocka_unit_test_teardown(test_malformed_passcode, after_each),
		cmocka_unit_test_teardown(test_lockout, after_each),
		cmocka_unit_test_teardown(test_unblock, after_each),
		cmocka_unit_test_teardown(test_set_pin, after_each),
		cmocka_unit_test_teardown(test_sign_rsa, after_each),
		cmocka_unit_test_teardown(test_sign_ec, after_each),
		cmocka_unit_test_teardown(test_always_authenticate, after_each),
		cmocka_unit_test_teardown(test_decrypt_rsa, after_each),
		cmocka_unit_test_teardown(test_admin_refused, after_each),
		cmocka_unit_test_teardown(test_admin_keygen_and_cert, after_each),
		cmocka_unit_test_teardown(test_ecdh_derive, after_each),
		cmocka_unit_test_teardown(test_removal_mid_session, after_each),
		cmocka_unit_test_teardown(test_new_reader, after_each),
		cmocka_unit_test_teardown(test_wait_event_nonblocking, after_each),
		cmocka_unit_test_teardown(test_wait_event_blocking, after_each),
		cmocka_unit_test_teardown(test_finalize_ends_wait, after_each),
	};

	return cmocka_run_group_tests_name("careid module on the card", tests, group_setup, group_teardown);
}
