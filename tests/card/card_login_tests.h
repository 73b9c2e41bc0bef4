/* The token, object and passcode tests of the careid card test, in the
 * order careid_card.c runs them (card_login_tests.c). */
#ifndef CAREID_TESTS_CARD_LOGIN_TESTS_H
#define CAREID_TESTS_CARD_LOGIN_TESTS_H

void test_token_info(void **state);
void test_card_mechanisms(void **state);
void test_objects(void **state);
void test_cold_listing(void **state);
void test_login_user(void **state);
void test_reset_elsewhere(void **state);
void test_malformed_passcode(void **state);
void test_lockout(void **state);
void test_unblock(void **state);
void test_set_pin(void **state);

#endif
