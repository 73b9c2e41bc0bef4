/* The lifecycle record's encoding and the rules P7-P12 that read it, with
 * times given, not taken from a clock. */
#define _DEFAULT_SOURCE
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "policy/lifecycle.h"

#define DAY 86400
#define UUID "123456789012"

static int64_t utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { 0 };

	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return (int64_t)timegm(&tm);
}

/* Field by field: padding bytes are not part of a record. */
static bool same(const cid_lifecycle *a, const cid_lifecycle *b)
{
	return strcmp(a->uuid, b->uuid) == 0 && strcmp(a->serial, b->serial) == 0 && a->kind == b->kind &&
	       a->issued_at == b->issued_at && a->access_end == b->access_end && a->certs_end == b->certs_end &&
	       a->self_renewals == b->self_renewals && a->cancelled == b->cancelled && a->seq == b->seq &&
	       strcmp(a->issued_by, b->issued_by) == 0;
}

static const int64_t now0 = 1796212800; /* 2026-12-02 12:00:00 UTC */

static cid_lifecycle standard(void)
{
	cid_lifecycle r = { 0 };
	cid_verdict v = cid_lifecycle_issue(&r, CID_CARD_STANDARD, UUID, "aa3ca68b0c8c0c0f", "ra-agent-7", now0,
	                                    cid_policy_add_months(now0, 24), 0, 0);

	assert_int_equal(CKR_OK, v.rv);
	return r;
}

static void encoding_round_trip(void **state)
{
	cid_lifecycle r = standard(), back;
	uint8_t *b = NULL;
	size_t n = 0;

	(void)state;
	r.self_renewals = 1;
	r.cancelled = true;
	assert_int_equal(CKR_OK, cid_lifecycle_encode(&r, &b, &n));
	assert_int_equal(CKR_OK, cid_lifecycle_decode(b, n, &back));
	assert_true(same(&r, &back));
	/* Every shorter prefix and one byte more are refused. */
	for (size_t k = 0; k < n; k++)
		assert_int_equal(CKR_DATA_INVALID, cid_lifecycle_decode(b, k, &back));
	uint8_t *longer = malloc(n + 1);
	assert_non_null(longer);
	memcpy(longer, b, n);
	longer[n] = 0;
	assert_int_equal(CKR_DATA_INVALID, cid_lifecycle_decode(longer, n + 1, &back));
	/* A flipped byte never decodes to the same record. */
	for (size_t k = 0; k < n; k++) {
		memcpy(longer, b, n);
		longer[k] ^= 0x01;
		if (cid_lifecycle_decode(longer, n, &back) == CKR_OK)
			assert_false(same(&r, &back));
	}
	free(longer);
	free(b);
}

static void encoding_refuses_bad_records(void **state)
{
	cid_lifecycle r = standard();
	uint8_t *b = NULL;
	size_t n = 0;

	(void)state;
	strcpy(r.uuid, "12345678901");
	assert_int_equal(CKR_ARGUMENTS_BAD, cid_lifecycle_encode(&r, &b, &n));
	strcpy(r.uuid, "12345678901x");
	assert_int_equal(CKR_ARGUMENTS_BAD, cid_lifecycle_encode(&r, &b, &n));
	r = standard();
	r.kind = CID_CARD_TEMPORARY; /* without an access end */
	assert_int_equal(CKR_ARGUMENTS_BAD, cid_lifecycle_encode(&r, &b, &n));
	r = standard();
	r.kind = (cid_card_kind)7;
	assert_int_equal(CKR_ARGUMENTS_BAD, cid_lifecycle_encode(&r, &b, &n));
	r = standard();
	strcpy(r.issued_by, "tab\there");
	assert_int_equal(CKR_ARGUMENTS_BAD, cid_lifecycle_encode(&r, &b, &n));
	assert_int_equal(CKR_DATA_INVALID, cid_lifecycle_decode((const uint8_t *)"CIDLR\x02", 6, &r));
	assert_int_equal(CKR_DATA_INVALID, cid_lifecycle_decode((const uint8_t *)"", 0, &r));
}

static void temporary_cards(void **state)
{
	cid_lifecycle r = { 0 };
	cid_verdict v;

	(void)state;
	v = cid_lifecycle_issue(&r, CID_CARD_TEMPORARY, UUID, "s1", "", now0, now0 + 730 * DAY, 73, 0);
	assert_int_equal(CKR_FUNCTION_REJECTED, v.rv);
	assert_string_equal("P11", v.rule);
	v = cid_lifecycle_issue(&r, CID_CARD_TEMPORARY, UUID, "s1", "", now0, now0 + 730 * DAY, 0, 0);
	assert_int_equal(CKR_ARGUMENTS_BAD, v.rv);
	v = cid_lifecycle_issue(&r, CID_CARD_TEMPORARY, UUID, "s1", "", now0, now0 + 730 * DAY, 72, 0);
	assert_int_equal(CKR_OK, v.rv);
	assert_int_equal(now0 + 72 * 3600, r.access_end);
	assert_int_equal(CKR_OK, cid_lifecycle_login(&r, now0 + 72 * 3600 - 1).rv);
	v = cid_lifecycle_login(&r, now0 + 72 * 3600);
	assert_int_equal(CKR_PIN_EXPIRED, v.rv);
	assert_string_equal("P11", v.rule);
	assert_int_equal(CKR_FUNCTION_REJECTED, cid_lifecycle_may_self_renew(&r, now0 + 3600).rv);
}

static void contractor_cards(void **state)
{
	cid_lifecycle r = { 0 };
	cid_verdict v;

	(void)state;
	/* Without an end date: three calendar months. */
	v = cid_lifecycle_issue(&r, CID_CARD_CONTRACTOR, UUID, "s1", "", now0, now0 + 730 * DAY, 0, 0);
	assert_int_equal(CKR_OK, v.rv);
	assert_int_equal(utc(2027, 3, 2, 12, 0), r.access_end);
	assert_int_equal(CKR_OK, cid_lifecycle_login(&r, utc(2027, 3, 2, 11, 59)).rv);
	v = cid_lifecycle_login(&r, utc(2027, 3, 2, 12, 0));
	assert_int_equal(CKR_PIN_EXPIRED, v.rv);
	assert_string_equal("P12", v.rule);
	/* With one: access lasts to the end of that UTC day. */
	v = cid_lifecycle_issue(&r, CID_CARD_CONTRACTOR, UUID, "s1", "", now0, now0 + 730 * DAY, 0,
	                        utc(2027, 1, 15, 0, 0));
	assert_int_equal(CKR_OK, v.rv);
	assert_int_equal(utc(2027, 1, 16, 0, 0), r.access_end);
	v = cid_lifecycle_issue(&r, CID_CARD_CONTRACTOR, UUID, "s1", "", now0, now0 + 730 * DAY, 0,
	                        utc(2026, 12, 1, 0, 0));
	assert_int_equal(CKR_ARGUMENTS_BAD, v.rv);
	v = cid_lifecycle_issue(&r, CID_CARD_CONTRACTOR, UUID, "s1", "", now0, now0 + 730 * DAY, 5, 0);
	assert_int_equal(CKR_ARGUMENTS_BAD, v.rv);
}

static void cancelled_cards(void **state)
{
	cid_lifecycle r = standard();
	cid_verdict v;
	uint64_t seq = r.seq;

	(void)state;
	cid_lifecycle_cancelled(&r);
	assert_true(r.seq > seq);
	v = cid_lifecycle_login(&r, now0 + DAY);
	assert_int_equal(CKR_PIN_LOCKED, v.rv);
	assert_string_equal("P10", v.rule);
	assert_int_equal(CKR_PIN_LOCKED, cid_lifecycle_may_self_renew(&r, r.certs_end - DAY).rv);
}

static void expiry_alert(void **state)
{
	cid_lifecycle r = standard();

	(void)state;
	assert_int_equal(89, cid_lifecycle_days_left(&r, r.certs_end - 89 * DAY - 5));
	assert_true(cid_lifecycle_alert_due(&r, r.certs_end - 89 * DAY - 5));
	assert_true(cid_lifecycle_alert_due(&r, r.certs_end - 90 * DAY));
	assert_false(cid_lifecycle_alert_due(&r, r.certs_end - 90 * DAY - 1));
	assert_int_equal(100, cid_lifecycle_days_left(&r, r.certs_end - 100 * DAY));
	assert_false(cid_lifecycle_alert_due(&r, r.certs_end - 100 * DAY));
	assert_int_equal(0, cid_lifecycle_days_left(&r, r.certs_end - 1));
	assert_int_equal(-1, cid_lifecycle_days_left(&r, r.certs_end + 1));
	assert_int_equal(-2, cid_lifecycle_days_left(&r, r.certs_end + DAY + 1));
	/* Still due after the end: the alert says the certificates ended. */
	assert_true(cid_lifecycle_alert_due(&r, r.certs_end + 10 * DAY));
	assert_false(cid_lifecycle_window_open(&r, r.certs_end));
}

static void self_renewal(void **state)
{
	cid_lifecycle r = standard();
	cid_verdict v;
	int64_t t;

	(void)state;
	/* Too early: refused, with the day it opens. */
	t = r.certs_end - 100 * DAY;
	v = cid_lifecycle_may_self_renew(&r, t);
	assert_int_equal(CKR_FUNCTION_REJECTED, v.rv);
	assert_string_equal("P7", v.rule);
	assert_int_equal(r.certs_end - 90 * DAY, v.allowed_from);
	/* Twice inside the window... */
	for (int i = 0; i < 2; i++) {
		t = r.certs_end - 30 * DAY;
		assert_int_equal(CKR_OK, cid_lifecycle_may_self_renew(&r, t).rv);
		cid_lifecycle_renewed(&r, cid_policy_add_months(t, 24), false, t);
	}
	assert_int_equal(2, r.self_renewals);
	/* ...the third is refused, in person starts the count again. */
	t = r.certs_end - 30 * DAY;
	v = cid_lifecycle_may_self_renew(&r, t);
	assert_int_equal(CKR_FUNCTION_REJECTED, v.rv);
	assert_string_equal("P8", v.rule);
	cid_lifecycle_renewed(&r, cid_policy_add_months(t, 24), true, t);
	assert_int_equal(0, r.self_renewals);
	assert_int_equal(t, r.issued_at);
	t = r.certs_end - 30 * DAY;
	assert_int_equal(CKR_OK, cid_lifecycle_may_self_renew(&r, t).rv);
	/* Expired: repair, in person. */
	v = cid_lifecycle_may_self_renew(&r, r.certs_end);
	assert_string_equal("P9", v.rule);
	cid_lifecycle_repaired(&r, cid_policy_add_months(r.certs_end + DAY, 24), r.certs_end + DAY);
	assert_int_equal(CKR_FUNCTION_REJECTED, cid_lifecycle_may_self_renew(&r, r.issued_at + DAY).rv);
}

/* What the audit trail calls each procedure. */
static void change_names(void **state)
{
	cid_lifecycle a = standard(), b = a;

	(void)state;
	assert_string_equal("issued", cid_lifecycle_change(NULL, &a));
	strcpy(b.uuid, "999999999999");
	assert_string_equal("issued", cid_lifecycle_change(&a, &b));
	b = a;
	b.seq++;
	assert_string_equal("record-updated", cid_lifecycle_change(&a, &b));
	b.self_renewals = 1;
	b.certs_end += 86400;
	assert_string_equal("renewed", cid_lifecycle_change(&a, &b));
	b.issued_at += 60;
	b.self_renewals = 0;
	assert_string_equal("renewed-in-person", cid_lifecycle_change(&a, &b));
	b = a;
	cid_lifecycle_cancelled(&b);
	assert_string_equal("cancelled", cid_lifecycle_change(&a, &b));
	assert_string_equal("record-updated", cid_lifecycle_change(&b, &b));
}

static void calendar(void **state)
{
	(void)state;
	assert_int_equal(utc(2027, 2, 28, 9, 0), cid_policy_add_months(utc(2027, 1, 31, 9, 0), 1));
	assert_int_equal(utc(2028, 2, 29, 9, 0), cid_policy_add_months(utc(2028, 1, 31, 9, 0), 1));
	assert_int_equal(utc(2028, 2, 29, 0, 0), cid_policy_add_months(utc(2027, 11, 30, 0, 0), 3));
	assert_int_equal(utc(2030, 2, 28, 0, 0), cid_policy_add_months(utc(2028, 2, 29, 0, 0), 24));
	assert_int_equal(utc(2028, 12, 2, 12, 0), cid_policy_add_months(now0, 24));
	assert_int_equal(utc(2026, 11, 2, 12, 0), cid_policy_add_months(now0, -1));
	assert_int_equal(utc(2025, 12, 2, 12, 0), cid_policy_add_months(now0, -12));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(encoding_round_trip),
		cmocka_unit_test(encoding_refuses_bad_records),
		cmocka_unit_test(temporary_cards),
		cmocka_unit_test(contractor_cards),
		cmocka_unit_test(cancelled_cards),
		cmocka_unit_test(expiry_alert),
		cmocka_unit_test(self_renewal),
		cmocka_unit_test(calendar),
		cmocka_unit_test(change_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
