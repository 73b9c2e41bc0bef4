#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "policy/policy.h"

#define FMT(s) cid_policy_pin_format((const CK_UTF8CHAR *)(s), strlen(s))

static void pin_format(void **state)
{
	(void)state;
	assert_int_equal(CKR_OK, FMT("123456"));
	assert_int_equal(CKR_OK, FMT("12345678"));
	assert_int_equal(CKR_PIN_LEN_RANGE, FMT("12345"));
	assert_int_equal(CKR_PIN_LEN_RANGE, FMT("123456789"));
	assert_int_equal(CKR_PIN_LEN_RANGE, FMT(""));
	assert_int_equal(CKR_PIN_INVALID, FMT("12345a"));
	assert_int_equal(CKR_PIN_INVALID, FMT("1234 56"));
	assert_int_equal(CKR_ARGUMENTS_BAD, cid_policy_pin_format(NULL, 6));
	assert_true(cid_policy_pin_plausible((const CK_UTF8CHAR *)"000000", 6));
	assert_false(cid_policy_pin_plausible((const CK_UTF8CHAR *)"00000x", 6));
	assert_false(cid_policy_pin_plausible(NULL, 0));
}

static void pin_flags(void **state)
{
	(void)state;
	assert_int_equal(0, cid_policy_pin_flags(3, 3, false));
	assert_int_equal(CKF_USER_PIN_COUNT_LOW, cid_policy_pin_flags(2, 3, false));
	assert_int_equal(CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY, cid_policy_pin_flags(1, 3, false));
	assert_int_equal(CKF_USER_PIN_LOCKED, cid_policy_pin_flags(0, 3, false));
	assert_int_equal(CKF_SO_PIN_COUNT_LOW | CKF_SO_PIN_FINAL_TRY, cid_policy_pin_flags(1, 3, true));
	assert_int_equal(CKF_SO_PIN_LOCKED, cid_policy_pin_flags(0, 3, true));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pin_format),
		cmocka_unit_test(pin_flags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
