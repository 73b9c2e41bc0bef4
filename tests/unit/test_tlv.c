/* BER-TLV: every length form, multi-byte tags, nesting, truncation at
 * every byte, bounded building, and random input. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "card/tlv.h"

static void test_short_and_long_lengths(void **state)
{
	static const uint8_t a[] = { 0x53, 0x02, 0xAA, 0xBB };
	uint8_t b[4 + 300];
	const uint8_t *p = a;
	size_t n = sizeof(a);
	cid_tlv t;

	(void)state;
	assert_int_equal(CKR_OK, cid_tlv_next(&p, &n, &t));
	assert_int_equal(0x53, t.tag);
	assert_int_equal(2, t.len);
	assert_ptr_equal(a + 2, t.val);
	assert_int_equal(0, n);
	assert_ptr_equal(a + sizeof(a), p);

	/* 81 xx, 82 xx xx, 83 xx xx xx */
	memset(b, 0x11, sizeof(b));
	b[0] = 0x70;
	b[1] = 0x81;
	b[2] = 200;
	p = b;
	n = 3 + 200;
	assert_int_equal(CKR_OK, cid_tlv_next(&p, &n, &t));
	assert_int_equal(200, t.len);
	b[1] = 0x82;
	b[2] = 0x01;
	b[3] = 0x2C;
	p = b;
	n = 4 + 300;
	assert_int_equal(CKR_OK, cid_tlv_next(&p, &n, &t));
	assert_int_equal(300, t.len);
	assert_int_equal(0, n);
	{
		uint8_t c[5 + 2] = { 0x70, 0x83, 0x00, 0x00, 0x02, 0xAB, 0xCD };

		p = c;
		n = sizeof(c);
		assert_int_equal(CKR_OK, cid_tlv_next(&p, &n, &t));
		assert_int_equal(2, t.len);
	}
	/* Indefinite and over-long length forms are refused. */
	{
		uint8_t c[] = { 0x70, 0x80, 0x00, 0x00 };
		uint8_t d[] = { 0x70, 0x84, 0x00, 0x00, 0x00, 0x01, 0xAA };

		p = c;
		n = sizeof(c);
		assert_int_equal(CKR_DATA_INVALID, cid_tlv_next(&p, &n, &t));
		p = d;
		n = sizeof(d);
		assert_int_equal(CKR_DATA_INVALID, cid_tlv_next(&p, &n, &t));
	}
}

static void test_multibyte_tags(void **state)
{
	static const uint8_t a[] = { 0x5F, 0xC1, 0x05, 0x01, 0x00, 0x7F, 0x49, 0x00 };
	static const uint8_t too_long[] = { 0x5F, 0xC1, 0x85, 0x81, 0x01, 0x00 };
	const uint8_t *p = a;
	size_t n = sizeof(a);
	cid_tlv t;

	(void)state;
	assert_int_equal(CKR_OK, cid_tlv_next(&p, &n, &t));
	assert_int_equal(0x5FC105, t.tag);
	assert_int_equal(1, t.len);
	assert_int_equal(CKR_OK, cid_tlv_next(&p, &n, &t));
	assert_int_equal(0x7F49, t.tag);
	assert_int_equal(0, t.len);
	assert_int_equal(0, n);
	/* A fourth tag byte is beyond what this parser (and PIV) takes. */
	p = too_long;
	n = sizeof(too_long);
	assert_int_equal(CKR_DATA_INVALID, cid_tlv_next(&p, &n, &t));
}

/* 53 { 70 {DER...}, 71 01 00, FE 00 } with a 2-byte length. */
static size_t build_cert_object(uint8_t *out, size_t cap)
{
	uint8_t der[300], inner[400];
	size_t il = 0, off = 0;

	for (size_t i = 0; i < sizeof(der); i++)
		der[i] = (uint8_t)i;
	assert_int_equal(CKR_OK, cid_tlv_put(inner, sizeof(inner), &il, 0x70, der, sizeof(der)));
	assert_int_equal(CKR_OK, cid_tlv_put(inner, sizeof(inner), &il, 0x71, (const uint8_t *)"\x00", 1));
	assert_int_equal(CKR_OK, cid_tlv_put(inner, sizeof(inner), &il, 0xFE, NULL, 0));
	assert_int_equal(CKR_OK, cid_tlv_put(out, cap, &off, 0x53, inner, il));
	return off;
}

static void test_nested_and_find(void **state)
{
	uint8_t obj[512];
	size_t n = build_cert_object(obj, sizeof(obj));
	cid_tlv outer, c, info, fe;

	(void)state;
	assert_true(cid_tlv_valid(obj, n));
	assert_int_equal(CKR_OK, cid_tlv_find(obj, n, 0x53, &outer));
	assert_true(cid_tlv_valid(outer.val, outer.len));
	assert_int_equal(CKR_OK, cid_tlv_find(outer.val, outer.len, 0x70, &c));
	assert_int_equal(300, c.len);
	assert_int_equal(299 & 0xff, c.val[299]);
	assert_int_equal(CKR_OK, cid_tlv_find(outer.val, outer.len, 0x71, &info));
	assert_int_equal(CKR_OK, cid_tlv_find(outer.val, outer.len, 0xFE, &fe));
	assert_int_equal(0, fe.len);
	/* Absent is told apart from malformed. */
	assert_int_equal(CKR_OBJECT_HANDLE_INVALID, cid_tlv_find(outer.val, outer.len, 0x72, &c));
	assert_int_equal(CKR_OBJECT_HANDLE_INVALID, cid_tlv_find(obj, n, 0x70, &c));
}

static void test_every_truncation_refused(void **state)
{
	uint8_t obj[512];
	size_t n = build_cert_object(obj, sizeof(obj));
	cid_tlv t;

	(void)state;
	for (size_t cut = 0; cut < n; cut++) {
		const uint8_t *p = obj;
		size_t left = cut;
		uint8_t *copy = malloc(cut ? cut : 1);

		/* A heap copy of exactly cut bytes lets a sanitizer see any
		 * read past the end. */
		memcpy(copy, obj, cut);
		p = copy;
		assert_int_equal(CKR_DATA_INVALID, cid_tlv_next(&p, &left, &t));
		assert_false(cid_tlv_valid(copy, cut) && cut != 0);
		free(copy);
	}
}

static void test_builder_bounds(void **state)
{
	static const size_t lens[] = { 0, 1, 127, 128, 255, 256, 65535, 65536 };
	uint8_t *buf = malloc(70000), *val = calloc(1, 65536);
	cid_tlv t;

	(void)state;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t off = 0, need = cid_tlv_header_len(0x5FC105, lens[i]) + lens[i];
		const uint8_t *p = buf;
		size_t n;

		assert_int_equal(CKR_OK, cid_tlv_put(buf, 70000, &off, 0x5FC105, val, lens[i]));
		assert_int_equal(need, off);
		n = off;
		assert_int_equal(CKR_OK, cid_tlv_next(&p, &n, &t));
		assert_int_equal(0x5FC105, t.tag);
		assert_int_equal(lens[i], t.len);
		/* One byte short: refused, nothing moved, nothing written past. */
		memset(buf, 0xEE, 70000);
		off = 0;
		assert_int_equal(CKR_BUFFER_TOO_SMALL, cid_tlv_put(buf, need - 1, &off, 0x5FC105, val, lens[i]));
		assert_int_equal(0, off);
		assert_int_equal(0xEE, buf[need - 1]);
	}
	{
		size_t off = 0;

		assert_int_equal(CKR_DATA_LEN_RANGE, cid_tlv_put_header(buf, 70000, &off, 0x53, 0x1000000));
		assert_int_equal(CKR_BUFFER_TOO_SMALL, cid_tlv_put_header(buf, 1, &off, 0x53, 5));
	}
	free(buf);
	free(val);
}

/* Parse a buffer recursively, checking every value lies inside it. */
static void walk(const uint8_t *base, size_t total, const uint8_t *p, size_t n, int depth)
{
	cid_tlv t;

	while (n > 0) {
		CK_RV rv = cid_tlv_next(&p, &n, &t);

		if (rv != CKR_OK) {
			assert_int_equal(CKR_DATA_INVALID, rv);
			return;
		}
		assert_true(t.val >= base && t.val + t.len <= base + total);
		if (depth < 4 && t.len > 0)
			walk(base, total, t.val, t.len, depth + 1);
	}
}

static void test_random_input(void **state)
{
	cid_tlv t;

	(void)state;
	srand(7);
	for (int i = 0; i < 5000; i++) {
		size_t n = (size_t)(rand() % 300);
		uint8_t *b = malloc(n ? n : 1);

		for (size_t j = 0; j < n; j++) {
			b[j] = (uint8_t)rand();
			/* Bias towards structure so parsing goes deep. */
			if (j % 5 == 1 && (rand() & 1))
				b[j] = (uint8_t)(rand() % 8);
		}
		walk(b, n, b, n, 0);
		(void)cid_tlv_valid(b, n);
		(void)cid_tlv_find(b, n, 0x53, &t);
		free(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short_and_long_lengths),
		cmocka_unit_test(test_multibyte_tags),
		cmocka_unit_test(test_nested_and_find),
		cmocka_unit_test(test_every_truncation_refused),
		cmocka_unit_test(test_builder_bounds),
		cmocka_unit_test(test_random_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
