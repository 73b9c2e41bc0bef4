/* The cryptography tests of the careid card test, in the order
 * careid_card.c runs them (card_crypto_tests.c). */
#ifndef CAREID_TESTS_CARD_CRYPTO_TESTS_H
#define CAREID_TESTS_CARD_CRYPTO_TESTS_H

void test_sign_rsa(void **state);
void test_sign_ec(void **state);
void test_always_authenticate(void **state);
void test_decrypt_rsa(void **state);
void test_admin_refused(void **state);
void test_admin_keygen_and_cert(void **state);
void test_ecdh_derive(void **state);

#endif
