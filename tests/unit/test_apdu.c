/* The APDU layer against a scripted transport: encoding bytes, chaining,
 * GET RESPONSE and resend rules, bounds, and transaction pairing. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "card/apdu.h"
#include "script_io.h"

/* ---- encoding -------------------------------------------------------------- */

static void enc(const cid_apdu *a, bool ext, const char *want)
{
	uint8_t out[80], w[80];
	size_t n = 0, wn = script_hex(want, w);

	assert_int_equal(CKR_OK, cid_apdu_encode(a, ext, out, sizeof(out), &n));
	assert_int_equal(wn, n);
	assert_memory_equal(w, out, n);
}

static void test_encode(void **state)
{
	static const uint8_t d[3] = { 1, 2, 3 };
	uint8_t big[300] = { 0 }, out[8];
	size_t n;

	(void)state;
	enc(&(cid_apdu){ .ins = 0x20, .p2 = 0x80 }, false, "00 20 00 80");
	enc(&(cid_apdu){ .ins = 0xFD, .le = 256 }, false, "00 FD 00 00 00");
	enc(&(cid_apdu){ .ins = 0xFD, .le = CID_APDU_LE_ALL }, false, "00 FD 00 00 00");
	enc(&(cid_apdu){ .ins = 0xFD, .le = 5 }, false, "00 FD 00 00 05");
	enc(&(cid_apdu){ .ins = 0xDB, .p1 = 0x3F, .p2 = 0xFF, .data = d, .lc = 3 }, false, "00 DB 3F FF 03 010203");
	enc(&(cid_apdu){ .cla = 0x10, .ins = 0x87, .data = d, .lc = 3, .le = 256 }, false, "10 87 00 00 03 010203 00");
	/* Extended forms. */
	enc(&(cid_apdu){ .ins = 0xCB, .le = CID_APDU_LE_ALL }, true, "00 CB 00 00 00 00 00");
	enc(&(cid_apdu){ .ins = 0xCB, .le = 300 }, true, "00 CB 00 00 00 01 2C");
	enc(&(cid_apdu){ .ins = 0xDB, .data = d, .lc = 3 }, true, "00 DB 00 00 00 00 03 010203");
	enc(&(cid_apdu){ .ins = 0x87, .data = d, .lc = 3, .le = 256 }, true, "00 87 00 00 00 00 03 010203 01 00");
	/* Limits. */
	assert_int_equal(CKR_DATA_LEN_RANGE,
	                 cid_apdu_encode(&(cid_apdu){ .ins = 1, .data = big, .lc = 256 }, false, big, sizeof(big), &n));
	assert_int_equal(CKR_BUFFER_TOO_SMALL,
	                 cid_apdu_encode(&(cid_apdu){ .ins = 1, .data = d, .lc = 3, .le = 1 }, false, out, 8, &n));
	assert_int_equal(CKR_ARGUMENTS_BAD, cid_apdu_encode(&(cid_apdu){ .ins = 1, .lc = 3 }, false, out, 8, &n));
}

/* ---- exchanges ------------------------------------------------------------- */

static void test_plain_exchange(void **state)
{
	script_io f;
	uint8_t r[16];
	size_t rl = 0;
	uint16_t sw = 0;

	(void)state;
	script_init(&f, true);
	script_expect(&f, "00 FD 00 00 00", "05 07 01 90 00");
	assert_int_equal(CKR_OK, cid_apdu_transceive(&f.base, false, &(cid_apdu){ .ins = 0xFD, .le = 256 }, r,
	                                             sizeof(r), &rl, &sw));
	assert_int_equal(0x9000, sw);
	assert_int_equal(3, rl);
	assert_int_equal(7, r[1]);
	assert_int_equal(1, f.begins);
	script_done(&f);
}

static void test_chaining(void **state)
{
	uint8_t data[600], r[8], want[700];
	size_t rl = 0, n;
	uint16_t sw = 0;
	script_io f;

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	script_init(&f, true);
	/* 255 + 255 + 90: the chaining bit on all but the last, Le only there. */
	for (int b = 0; b < 3; b++) {
		size_t len = b < 2 ? 255 : 90;
		/* Commands built from bytes rather than hex text. */
		script_step *s = script_expect(&f, NULL, "90 00");

		n = 0;
		want[n++] = b < 2 ? 0x10 : 0x00;
		want[n++] = 0xDB;
		want[n++] = 0x3F;
		want[n++] = 0xFF;
		want[n++] = (uint8_t)len;
		memcpy(want + n, data + 255 * b, len);
		n += len;
		if (b == 2)
			want[n++] = 0x00;
		memcpy(s->cmd, want, n);
		s->cmdlen = n;
	}
	assert_int_equal(CKR_OK, cid_apdu_transceive(&f.base, false,
	                                             &(cid_apdu){ .ins = 0xDB, .p1 = 0x3F, .p2 = 0xFF, .data = data,
	                                                          .lc = sizeof(data), .le = 256 },
	                                             r, sizeof(r), &rl, &sw));
	assert_int_equal(0x9000, sw);
	assert_int_equal(1, f.begins);   /* the whole chain in one transaction */
	script_done(&f);

	/* A block refused stops the chain with the card's status. */
	script_init(&f, true);
	script_expect(&f, NULL, "6A 80");
	assert_int_equal(CKR_OK, cid_apdu_transceive(&f.base, false,
	                                             &(cid_apdu){ .ins = 0xDB, .data = data, .lc = sizeof(data) }, r,
	                                             sizeof(r), &rl, &sw));
	assert_int_equal(0x6A80, sw);
	assert_int_equal(1, f.transmits);
	script_done(&f);
}

static void test_get_response_loop(void **state)
{
	uint8_t r[600];
	size_t rl = 0;
	uint16_t sw = 0;
	script_io f;

	(void)state;
	script_init(&f, true);
	script_expect(&f, "00 CB 3F FF 05 5C 03 5F C1 02 00", "AA BB 61 03");
	script_expect(&f, "00 C0 00 00 03", "CC DD EE 61 00");
	/* 61 00: 256 bytes (or more) wait; Le 00 asks for them. */
	{
		script_step *s = script_expect(&f, "00 C0 00 00 00", "");

		memset(s->resp, 0x42, 256);
		s->resp[256] = 0x90;
		s->resp[257] = 0x00;
		s->resplen = 258;
	}
	assert_int_equal(CKR_OK, cid_apdu_transceive(&f.base, false,
	                                             &(cid_apdu){ .ins = 0xCB, .p1 = 0x3F, .p2 = 0xFF,
	                                                          .data = (const uint8_t *)"\x5C\x03\x5F\xC1\x02",
	                                                          .lc = 5, .le = CID_APDU_LE_ALL },
	                                             r, sizeof(r), &rl, &sw));
	assert_int_equal(0x9000, sw);
	assert_int_equal(2 + 3 + 256, rl);
	assert_int_equal(0xAA, r[0]);
	assert_int_equal(0xEE, r[4]);
	assert_int_equal(0x42, r[260]);
	script_done(&f);
}

static void test_wrong_le_resend(void **state)
{
	uint8_t r[16];
	size_t rl = 0;
	uint16_t sw = 0;
	script_io f;

	(void)state;
	script_init(&f, true);
	script_expect(&f, "00 F8 00 00 00", "6C 04");
	script_expect(&f, "00 F8 00 00 04", "00 01 E2 40 90 00");
	assert_int_equal(CKR_OK, cid_apdu_transceive(&f.base, false, &(cid_apdu){ .ins = 0xF8, .le = 256 }, r,
	                                             sizeof(r), &rl, &sw));
	assert_int_equal(0x9000, sw);
	assert_int_equal(4, rl);
	assert_int_equal(0x40, r[3]);
	script_done(&f);
}

static void test_bounds(void **state)
{
	uint8_t r[4];
	size_t rl = 7;
	uint16_t sw = 0;
	script_io f;

	(void)state;
	/* More data than the caller can take: an error, never an overflow. */
	script_init(&f, true);
	script_expect(&f, NULL, "01 02 03 04 05 06 90 00");
	assert_int_equal(CKR_DEVICE_ERROR, cid_apdu_transceive(&f.base, false, &(cid_apdu){ .ins = 0xCB, .le = 256 },
	                                                       r, sizeof(r), &rl, &sw));
	script_done(&f);
	/* The same across GET RESPONSE pieces. */
	script_init(&f, true);
	script_expect(&f, NULL, "01 02 03 61 02");
	script_expect(&f, "00 C0 00 00 02", "04 05 90 00");
	assert_int_equal(CKR_DEVICE_ERROR, cid_apdu_transceive(&f.base, false, &(cid_apdu){ .ins = 0xCB, .le = 256 },
	                                                       r, sizeof(r), &rl, &sw));
	script_done(&f);
	/* A response without a status word. */
	script_init(&f, true);
	script_expect(&f, NULL, "90");
	assert_int_equal(CKR_DEVICE_ERROR, cid_apdu_transceive(&f.base, false, &(cid_apdu){ .ins = 0xCB }, r,
	                                                       sizeof(r), &rl, &sw));
	script_done(&f);
	/* A card that never stops saying "more": bounded. */
	script_init(&f, true);
	script_expect(&f, NULL, "61 01");
	f.s[0].forever = true;
	f.n = 1;
	{
		uint8_t *big = malloc(100000);

		assert_int_equal(CKR_DEVICE_ERROR, cid_apdu_transceive(&f.base, false,
		                                                       &(cid_apdu){ .ins = 0xCB, .le = 256 }, big, 100000,
		                                                       &rl, &sw));
		free(big);
	}
	assert_true(f.transmits < 1000);
	assert_int_equal(f.begins, f.ends);
}

static void test_transactions(void **state)
{
	uint8_t r[4];
	size_t rl = 0;
	uint16_t sw = 0;
	script_io f;

	(void)state;
	/* Nested begin: one transport transaction around both commands. */
	script_init(&f, true);
	script_expect(&f, NULL, "90 00");
	script_expect(&f, NULL, "90 00");
	assert_int_equal(CKR_OK, cid_io_begin(&f.base));
	assert_int_equal(CKR_OK, cid_apdu_transceive(&f.base, false, &(cid_apdu){ .ins = 1 }, r, 4, &rl, &sw));
	assert_int_equal(CKR_OK, cid_apdu_transceive(&f.base, false, &(cid_apdu){ .ins = 2 }, r, 4, &rl, &sw));
	assert_int_equal(1, f.begins);
	assert_int_equal(0, f.ends);
	cid_io_end(&f.base);
	assert_int_equal(1, f.ends);
	cid_io_end(&f.base);   /* unbalanced end: ignored */
	assert_int_equal(1, f.ends);
	script_done(&f);

	/* A transport failure ends the transaction too. */
	script_init(&f, true);
	script_expect(&f, NULL, "");
	f.s[0].rv = CKR_DEVICE_REMOVED;
	assert_int_equal(CKR_DEVICE_REMOVED, cid_apdu_transceive(&f.base, false, &(cid_apdu){ .ins = 1 }, r, 4, &rl, &sw));
	script_done(&f);

	/* No transaction, no command. */
	script_init(&f, true);
	f.begin_rv = CKR_DEVICE_REMOVED;
	assert_int_equal(CKR_DEVICE_REMOVED, cid_apdu_transceive(&f.base, false, &(cid_apdu){ .ins = 1 }, r, 4, &rl, &sw));
	assert_int_equal(0, f.transmits);
	assert_int_equal(0, f.base.tx_depth);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_plain_exchange),
		cmocka_unit_test(test_chaining),
		cmocka_unit_test(test_get_response_loop),
		cmocka_unit_test(test_wrong_le_resend),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_transactions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
