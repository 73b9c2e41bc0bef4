/* The card removal and slot event tests of the careid card test, in the
 * order careid_card.c runs them (card_event_tests.c). */
#ifndef CAREID_TESTS_CARD_EVENT_TESTS_H
#define CAREID_TESTS_CARD_EVENT_TESTS_H

void test_removal_mid_session(void **state);
void test_new_reader(void **state);
void test_wait_event_nonblocking(void **state);
void test_wait_event_blocking(void **state);
void test_finalize_ends_wait(void **state);

#endif
