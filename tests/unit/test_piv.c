/* PIV commands against a scripted card: the exact bytes sent, and how
 * each answer is read (status words, tries left, structures). */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <zlib.h>

#include "card/piv.h"
#include "card/sw.h"
#include "card/tlv.h"
#include "script_io.h"

static script_io F;

static void expect(const char *cmd, const char *resp)
{
	(void)script_expect(&F, cmd, resp);
}

static int before(void **state)
{
	(void)state;
	script_init(&F, false);
	return 0;
}

static int after(void **state)
{
	(void)state;
	script_done(&F);
	return 0;
}

static void test_select(void **state)
{
	cid_piv_app app;

	(void)state;
	expect("00 A4 04 00 09 A0 00 00 03 08 00 00 10 00 00",
	       "61 11 4F 06 00 00 10 00 01 00 79 07 4F 05 A0 00 00 03 08 90 00");
	assert_int_equal(CKR_OK, cid_piv_select(&F.base, &app));
	expect(NULL, "61 07 50 05 63 61 72 64 31 90 00");
	assert_int_equal(CKR_OK, cid_piv_select(&F.base, &app));
	assert_string_equal("card1", app.label);
	/* Not a PIV card; a malformed template. */
	expect(NULL, "6A 82");
	assert_int_equal(CKR_TOKEN_NOT_RECOGNIZED, cid_piv_select(&F.base, &app));
	expect(NULL, "61 09 50 05 90 00");
	assert_int_equal(CKR_TOKEN_NOT_RECOGNIZED, cid_piv_select(&F.base, &app));
}

static void test_get_put_data(void **state)
{
	uint8_t *v = NULL;
	size_t n = 0;

	(void)state;
	expect("00 CB 3F FF 05 5C 03 5F C1 02 00", "53 04 34 02 AB CD 90 00");
	assert_int_equal(CKR_OK, cid_piv_get_data(&F.base, CID_PIV_OBJ_CHUID, &v, &n));
	assert_int_equal(4, n);
	assert_int_equal(0x34, v[0]);
	free(v);
	expect("00 CB 3F FF 03 5C 01 7E 00", "7E 02 4F 00 90 00");
	assert_int_equal(CKR_OK, cid_piv_get_data(&F.base, CID_PIV_OBJ_DISCOVERY, &v, &n));
	free(v);
	expect(NULL, "6A 82");
	assert_int_equal(CKR_OBJECT_HANDLE_INVALID, cid_piv_get_data(&F.base, CID_PIV_OBJ_CERT_9A, &v, &n));
	assert_null(v);
	/* Wrong wrapper, trailing bytes, truncated: all refused. */
	expect(NULL, "54 01 00 90 00");
	assert_int_equal(CKR_DEVICE_ERROR, cid_piv_get_data(&F.base, CID_PIV_OBJ_CERT_9A, &v, &n));
	expect(NULL, "53 01 00 00 90 00");
	assert_int_equal(CKR_DEVICE_ERROR, cid_piv_get_data(&F.base, CID_PIV_OBJ_CERT_9A, &v, &n));
	expect(NULL, "53 05 00 90 00");
	assert_int_equal(CKR_DEVICE_ERROR, cid_piv_get_data(&F.base, CID_PIV_OBJ_CERT_9A, &v, &n));
	expect(NULL, "69 82");
	assert_int_equal(CKR_USER_NOT_LOGGED_IN, cid_piv_get_data(&F.base, CID_PIV_OBJ_CERT_9A, &v, &n));

	expect("00 DB 3F FF 09 5C 03 5F C1 05 53 02 70 00", "90 00");
	assert_int_equal(CKR_OK, cid_piv_put_data(&F.base, CID_PIV_OBJ_CERT_9A, (const uint8_t *)"\x70\x00", 2));
	expect("00 DB 3F FF 07 5C 03 5F C1 05 53 00", "69 82");
	assert_int_equal(CKR_USER_NOT_LOGGED_IN, cid_piv_put_data(&F.base, CID_PIV_OBJ_CERT_9A, NULL, 0));
}

static void test_verify(void **state)
{
	int tries = 99;

	(void)state;
	expect("00 20 00 80 08 31 32 33 34 35 36 FF FF", "90 00");
	assert_int_equal(CKR_OK, cid_piv_verify(&F.base, 0x80, (const uint8_t *)"123456", 6, &tries));
	assert_int_equal(CID_PIV_TRIES_UNKNOWN, tries);
	expect("00 20 00 80 08 31 32 33 34 35 36 37 38", "63 C2");
	assert_int_equal(CKR_PIN_INCORRECT, cid_piv_verify(&F.base, 0x80, (const uint8_t *)"12345678", 8, &tries));
	assert_int_equal(2, tries);
	expect(NULL, "63 C0");
	assert_int_equal(CKR_PIN_LOCKED, cid_piv_verify(&F.base, 0x80, (const uint8_t *)"123456", 6, &tries));
	assert_int_equal(0, tries);
	expect(NULL, "69 83");
	assert_int_equal(CKR_PIN_LOCKED, cid_piv_verify(&F.base, 0x80, (const uint8_t *)"123456", 6, &tries));
	assert_int_equal(0, tries);
	/* The state query: no data, nothing spent. */
	expect("00 20 00 80", "63 C3");
	assert_int_equal(CKR_USER_NOT_LOGGED_IN, cid_piv_verify(&F.base, 0x80, NULL, 0, &tries));
	assert_int_equal(3, tries);
	expect("00 20 00 80", "90 00");
	assert_int_equal(CKR_OK, cid_piv_verify(&F.base, 0x80, NULL, 0, &tries));
	/* Too long for the 8-byte block: refused before sending. */
	assert_int_equal(CKR_PIN_LEN_RANGE, cid_piv_verify(&F.base, 0x80, (const uint8_t *)"123456789", 9, &tries));
	expect("00 20 FF 80", "90 00");
	assert_int_equal(CKR_OK, cid_piv_logout(&F.base));
	expect("00 20 FF 80", "6A 86");   /* older cards: harmless */
	assert_int_equal(CKR_OK, cid_piv_logout(&F.base));
}

static void test_change_and_reset(void **state)
{
	int tries = 0;

	(void)state;
	expect("00 24 00 81 10 31 32 33 34 35 36 37 38 31 32 33 34 35 36 37 38", "90 00");
	assert_int_equal(CKR_OK, cid_piv_change_ref(&F.base, 0x81, (const uint8_t *)"12345678", 8,
	                                            (const uint8_t *)"12345678", 8, &tries));
	expect("00 24 00 80 10 31 31 31 31 31 31 FF FF 32 32 32 32 32 32 32 FF", "63 C1");
	assert_int_equal(CKR_PIN_INCORRECT, cid_piv_change_ref(&F.base, 0x80, (const uint8_t *)"111111", 6,
	                                                       (const uint8_t *)"2222222", 7, &tries));
	assert_int_equal(1, tries);
	expect("00 2C 00 80 10 38 37 36 35 34 33 32 31 39 39 39 39 39 39 FF FF", "90 00");
	assert_int_equal(CKR_OK, cid_piv_reset_retry(&F.base, (const uint8_t *)"87654321", 8,
	                                             (const uint8_t *)"999999", 6, &tries));
	expect(NULL, "69 83");
	assert_int_equal(CKR_PIN_LOCKED, cid_piv_reset_retry(&F.base, (const uint8_t *)"87654321", 8,
	                                                     (const uint8_t *)"999999", 6, &tries));
}

static void test_general_authenticate(void **state)
{
	uint8_t h[32], out[80], raw[64];
	size_t ol = sizeof(out);
	uint16_t sw = 0;

	(void)state;
	memset(h, 0xAB, sizeof(h));
	expect("00 87 11 9A 26 7C 24 82 00 81 20 ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB 00",
	       "7C 0C 82 0A 30 08 02 02 00 81 02 02 7F 01 90 00");
	assert_int_equal(CKR_OK, cid_piv_general_auth(&F.base, 0x11, 0x9A, 0x81, h, 32, out, &ol, &sw));
	assert_int_equal(10, ol);
	assert_int_equal(CKR_OK, cid_piv_ecdsa_der_to_raw(out, ol, 32, raw));
	assert_int_equal(0x81, raw[31]);
	assert_int_equal(0x00, raw[30]);
	assert_int_equal(0x7F, raw[62]);
	assert_int_equal(0x01, raw[63]);
	/* Security status not satisfied comes back with its SW. */
	expect(NULL, "69 82");
	ol = sizeof(out);
	assert_int_equal(CKR_USER_NOT_LOGGED_IN, cid_piv_general_auth(&F.base, 0x11, 0x9C, 0x81, h, 32, out, &ol, &sw));
	assert_int_equal(0x6982, sw);
	/* An answer without 82, or bigger than the caller's buffer. */
	expect(NULL, "7C 02 83 00 90 00");
	ol = sizeof(out);
	assert_int_equal(CKR_DEVICE_ERROR, cid_piv_general_auth(&F.base, 0x11, 0x9A, 0x81, h, 32, out, &ol, &sw));
	expect(NULL, "7C 06 82 04 01 02 03 04 90 00");
	ol = 3;
	assert_int_equal(CKR_DEVICE_ERROR, cid_piv_general_auth(&F.base, 0x11, 0x9A, 0x81, h, 32, out, &ol, &sw));
}

static void test_ecdsa_der(void **state)
{
	static const uint8_t ok[] = { 0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x06 };
	static const uint8_t neg[] = { 0x30, 0x06, 0x02, 0x01, 0x85, 0x02, 0x01, 0x06 };
	static const uint8_t trail[] = { 0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x06, 0x00 };
	uint8_t big[40], raw[64];

	(void)state;
	assert_int_equal(CKR_OK, cid_piv_ecdsa_der_to_raw(ok, sizeof(ok), 32, raw));
	assert_int_equal(5, raw[31]);
	assert_int_equal(6, raw[63]);
	assert_int_equal(CKR_DEVICE_ERROR, cid_piv_ecdsa_der_to_raw(neg, sizeof(neg), 32, raw));
	assert_int_equal(CKR_DEVICE_ERROR, cid_piv_ecdsa_der_to_raw(trail, sizeof(trail), 32, raw));
	/* r one byte longer than the field. */
	big[0] = 0x30;
	big[1] = 2 + 33 + 3;
	big[2] = 0x02;
	big[3] = 33;
	memset(big + 4, 0x11, 33);
	big[37] = 0x02;
	big[38] = 1;
	big[39] = 1;
	assert_int_equal(CKR_DEVICE_ERROR, cid_piv_ecdsa_der_to_raw(big, 40, 32, raw));
}

static void test_generate(void **state)
{
	uint8_t *pub = NULL;
	size_t n = 0;

	(void)state;
	expect("00 47 00 9A 05 AC 03 80 01 11 00", "7F 49 05 86 03 04 01 02 90 00");
	assert_int_equal(CKR_OK, cid_piv_generate(&F.base, 0x9A, 0x11, &pub, &n));
	assert_int_equal(5, n);
	assert_int_equal(0x86, pub[0]);
	free(pub);
	expect(NULL, "69 82");
	assert_int_equal(CKR_USER_NOT_LOGGED_IN, cid_piv_generate(&F.base, 0x9A, 0x11, &pub, &n));
	expect(NULL, "90 00");
	assert_int_equal(CKR_DEVICE_ERROR, cid_piv_generate(&F.base, 0x9A, 0x11, &pub, &n));
}

static void test_vendor_extensions(void **state)
{
	uint32_t serial = 0;
	uint8_t v[3];

	(void)state;
	expect("00 F8 00 00 00", "00 BC 61 4E 90 00");
	assert_int_equal(CKR_OK, cid_piv_get_serial(&F.base, &serial));
	assert_int_equal(12345678, serial);
	expect("00 F8 00 00 00", "6D 00");
	assert_int_equal(CKR_FUNCTION_NOT_SUPPORTED, cid_piv_get_serial(&F.base, &serial));
	expect("00 FD 00 00 00", "05 04 03 90 00");
	assert_int_equal(CKR_OK, cid_piv_get_version(&F.base, v));
	assert_int_equal(5, v[0]);
}

/* gzip of in, as issuers' tools write compressed certificates. */
static size_t gzip(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	z_stream z;

	memset(&z, 0, sizeof(z));
	assert_int_equal(Z_OK, deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY));
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(Z_STREAM_END, deflate(&z, Z_FINISH));
	deflateEnd(&z);
	return cap - z.avail_out;
}

/* A compressed certificate (CertInfo 01) comes back as the certificate;
 * a truncated one, or one that inflates past any card object, does not. */
static void test_compressed_cert(void **state)
{
	uint8_t cert[900], packed[1200], obj[1300], bomb_src[60000], *der = NULL;
	size_t pn, on = 0, dl = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cert); i++)
		cert[i] = (uint8_t)(i * 7 + i / 13);
	cert[0] = 0x30;
	pn = gzip(cert, sizeof(cert), packed, sizeof(packed));
	assert_int_equal(CKR_OK, cid_tlv_put(obj, sizeof(obj), &on, 0x70, packed, pn));
	assert_int_equal(CKR_OK, cid_tlv_put(obj, sizeof(obj), &on, 0x71, (const uint8_t *)"\x01", 1));
	assert_int_equal(CKR_OK, cid_tlv_put(obj, sizeof(obj), &on, 0xFE, NULL, 0));
	assert_int_equal(CKR_OK, cid_piv_cert_der(obj, on, &der, &dl));
	assert_int_equal(sizeof(cert), dl);
	assert_memory_equal(cert, der, dl);
	free(der);

	on = 0;
	assert_int_equal(CKR_OK, cid_tlv_put(obj, sizeof(obj), &on, 0x70, packed, pn / 2));
	assert_int_equal(CKR_OK, cid_tlv_put(obj, sizeof(obj), &on, 0x71, (const uint8_t *)"\x01", 1));
	assert_int_equal(CKR_DATA_INVALID, cid_piv_cert_der(obj, on, &der, &dl));

	memset(bomb_src, 0, sizeof(bomb_src));
	pn = gzip(bomb_src, sizeof(bomb_src), packed, sizeof(packed));
	on = 0;
	assert_int_equal(CKR_OK, cid_tlv_put(obj, sizeof(obj), &on, 0x70, packed, pn));
	assert_int_equal(CKR_OK, cid_tlv_put(obj, sizeof(obj), &on, 0x71, (const uint8_t *)"\x01", 1));
	assert_int_equal(CKR_DATA_INVALID, cid_piv_cert_der(obj, on, &der, &dl));
}

static void test_structures(void **state)
{
	static const uint8_t plain[] = { 0x70, 0x03, 0x30, 0x01, 0x00, 0x71, 0x01, 0x00, 0xFE, 0x00 };
	static const uint8_t gz[] = { 0x70, 0x03, 0x1F, 0x8B, 0x08, 0x71, 0x01, 0x01, 0xFE, 0x00 };
	static const uint8_t empty[] = { 0x70, 0x00, 0x71, 0x01, 0x00 };
	uint8_t chuid[] = { 0x30, 0x01, 0x00, 0x34, 0x10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0xFE, 0x00 };
	uint8_t guid[16], *obj = NULL;
	uint8_t *der = NULL;
	size_t dl = 0, ol = 0;

	(void)state;
	assert_int_equal(CKR_OK, cid_piv_cert_der(plain, sizeof(plain), &der, &dl));
	assert_int_equal(3, dl);
	assert_memory_equal(plain + 2, der, 3);
	free(der);
	/* CertInfo 01 over bytes that are not gzip. */
	assert_int_equal(CKR_DATA_INVALID, cid_piv_cert_der(gz, sizeof(gz), &der, &dl));
	assert_int_equal(CKR_OBJECT_HANDLE_INVALID, cid_piv_cert_der(empty, sizeof(empty), &der, &dl));
	assert_int_equal(CKR_OBJECT_HANDLE_INVALID, cid_piv_cert_der(plain, 0, &der, &dl));
	assert_int_equal(CKR_DATA_INVALID, cid_piv_cert_der(plain, sizeof(plain) - 1, &der, &dl));
	assert_int_equal(CKR_OK, cid_piv_cert_wrap((const uint8_t *)"\x30\x01\x00", 3, &obj, &ol));
	assert_int_equal(sizeof(plain), ol);
	assert_memory_equal(plain, obj, ol);
	free(obj);
	assert_int_equal(CKR_OK, cid_piv_chuid_guid(chuid, sizeof(chuid), guid));
	assert_int_equal(16, guid[15]);
	chuid[4] = 0x0F;
	assert_int_not_equal(CKR_OK, cid_piv_chuid_guid(chuid, sizeof(chuid), guid));
	/* Key slot numbering shared with other PIV modules. */
	assert_int_equal(0x9A, cid_piv_key_from_id(1));
	assert_int_equal(0x9E, cid_piv_key_from_id(4));
	assert_int_equal(0, cid_piv_key_from_id(5));
	assert_int_equal(2, cid_piv_id_from_key(0x9C));
	assert_int_equal(CID_PIV_OBJ_CERT_9D, cid_piv_cert_tag(0x9D));
}

static void test_sw_table(void **state)
{
	unsigned t = 9;

	(void)state;
	assert_int_equal(CKR_OK, cid_sw_rv(0x9000));
	assert_int_equal(CKR_PIN_INCORRECT, cid_sw_rv(0x63C2));
	assert_int_equal(CKR_PIN_LOCKED, cid_sw_rv(0x63C0));
	assert_int_equal(CKR_PIN_LOCKED, cid_sw_rv(0x6983));
	assert_int_equal(CKR_USER_NOT_LOGGED_IN, cid_sw_rv(0x6982));
	assert_int_equal(CKR_FUNCTION_NOT_SUPPORTED, cid_sw_rv(0x6D00));
	assert_int_equal(CKR_DEVICE_ERROR, cid_sw_rv(0x6F00));
	assert_int_equal(CKR_DEVICE_ERROR, cid_sw_rv(0x1234));
	assert_true(cid_sw_tries(0x63C1, &t));
	assert_int_equal(1, t);
	assert_false(cid_sw_tries(0x6300, &t));
	assert_true(cid_sw_unsupported(0x6D00));
	assert_false(cid_sw_unsupported(0x6982));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_select, before, after),
		cmocka_unit_test_setup_teardown(test_get_put_data, before, after),
		cmocka_unit_test_setup_teardown(test_verify, before, after),
		cmocka_unit_test_setup_teardown(test_change_and_reset, before, after),
		cmocka_unit_test_setup_teardown(test_general_authenticate, before, after),
		cmocka_unit_test_setup_teardown(test_ecdsa_der, before, after),
		cmocka_unit_test_setup_teardown(test_generate, before, after),
		cmocka_unit_test_setup_teardown(test_vendor_extensions, before, after),
		cmocka_unit_test_setup_teardown(test_structures, before, after),
		cmocka_unit_test_setup_teardown(test_compressed_cert, before, after),
		cmocka_unit_test_setup_teardown(test_sw_table, before, after),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
