/* Message digests through the public API: known answers (FIPS 180 "abc"
 * vectors), multi-part, the length convention, and the operation rules.
 * Everything runs in a public session: NSS digests before any login. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

typedef struct fx {
	th_env *env;
	CK_FUNCTION_LIST_3_0 *f;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s;
} fx;

static const struct { CK_MECHANISM_TYPE mech; const char *hex; } abc[] = {
	{ CKM_SHA_1, "a9993e364706816aba3e25717850c26c9cd0d89d" },
	{ CKM_SHA224, "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7" },
	{ CKM_SHA256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ CKM_SHA384, "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded163"
	              "1a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7" },
	{ CKM_SHA512, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	              "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f" },
};

static int group_setup(void **state)
{
	fx *x = th_group_new(sizeof(*x));
	x->f = x->env->f;
	x->slot = th_new_token(x->env, "digest");
	CK(x->f->C_OpenSession(x->slot, CKF_SERIAL_SESSION, NULL, NULL, &x->s));
	*state = x;
	return 0;
}

static void to_hex(const CK_BYTE *b, CK_ULONG n, char *out)
{
	for (CK_ULONG i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static void test_known_answers(void **state)
{
	fx *x = *state;
	for (size_t i = 0; i < sizeof(abc) / sizeof(abc[0]); i++) {
		CK_MECHANISM m = { abc[i].mech, NULL, 0 };
		CK_BYTE d[64];
		CK_ULONG len = sizeof(d);
		char hex[129];

		CK(x->f->C_DigestInit(x->s, &m));
		CK(x->f->C_Digest(x->s, (CK_BYTE_PTR) "abc", 3, d, &len));
		assert_int_equal(strlen(abc[i].hex) / 2, len);
		to_hex(d, len, hex);
		assert_string_equal(abc[i].hex, hex);

		/* The same in parts, with an empty part in the middle. */
		CK(x->f->C_DigestInit(x->s, &m));
		CK(x->f->C_DigestUpdate(x->s, (CK_BYTE_PTR) "a", 1));
		CK(x->f->C_DigestUpdate(x->s, NULL, 0));
		CK(x->f->C_DigestUpdate(x->s, (CK_BYTE_PTR) "bc", 2));
		len = sizeof(d);
		CK(x->f->C_DigestFinal(x->s, d, &len));
		to_hex(d, len, hex);
		assert_string_equal(abc[i].hex, hex);
	}
}

static void test_empty_message(void **state)
{
	fx *x = *state;
	CK_MECHANISM m = { CKM_SHA256, NULL, 0 };
	CK_BYTE d[32];
	CK_ULONG len = sizeof(d);
	char hex[65];
	CK(x->f->C_DigestInit(x->s, &m));
	CK(x->f->C_Digest(x->s, NULL, 0, d, &len));
	to_hex(d, len, hex);
	assert_string_equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", hex);
	/* Final straight after Init digests nothing, too. */
	CK(x->f->C_DigestInit(x->s, &m));
	len = sizeof(d);
	CK(x->f->C_DigestFinal(x->s, d, &len));
	to_hex(d, len, hex);
	assert_string_equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", hex);
}

static void test_length_convention(void **state)
{
	fx *x = *state;
	CK_MECHANISM m = { CKM_SHA384, NULL, 0 };
	CK_BYTE d[64];
	CK_ULONG len = 0;
	CK(x->f->C_DigestInit(x->s, &m));
	CK(x->f->C_Digest(x->s, (CK_BYTE_PTR) "abc", 3, NULL, &len));
	assert_int_equal(48, len);
	len = 47;
	assert_int_equal(CKR_BUFFER_TOO_SMALL, x->f->C_Digest(x->s, (CK_BYTE_PTR) "abc", 3, d, &len));
	assert_int_equal(48, len);
	CK(x->f->C_Digest(x->s, (CK_BYTE_PTR) "abc", 3, d, &len));
	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED,
	                 x->f->C_Digest(x->s, (CK_BYTE_PTR) "abc", 3, d, &len));

	CK(x->f->C_DigestInit(x->s, &m));
	CK(x->f->C_DigestUpdate(x->s, (CK_BYTE_PTR) "abc", 3));
	len = 0;
	CK(x->f->C_DigestFinal(x->s, NULL, &len));
	len = 2;
	assert_int_equal(CKR_BUFFER_TOO_SMALL, x->f->C_DigestFinal(x->s, d, &len));
	CK(x->f->C_DigestFinal(x->s, d, &len));
	char hex[97];
	to_hex(d, len, hex);
	assert_string_equal(abc[3].hex, hex);
	/* A bad argument ends the operation; none active, the state speaks first. */
	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED, x->f->C_DigestFinal(x->s, d, NULL));
	CK(x->f->C_DigestInit(x->s, &m));
	CK(x->f->C_DigestUpdate(x->s, (CK_BYTE_PTR) "abc", 3));
	assert_int_equal(CKR_ARGUMENTS_BAD, x->f->C_DigestFinal(x->s, d, NULL));
	len = sizeof(d);
	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED, x->f->C_DigestFinal(x->s, d, &len));
	CK(x->f->C_DigestInit(x->s, &m));
	assert_int_equal(CKR_ARGUMENTS_BAD, x->f->C_Digest(x->s, NULL, 3, d, &len));
	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED, x->f->C_DigestUpdate(x->s, (CK_BYTE_PTR) "abc", 3));
	/* A one-shot length query commits the operation to its one-shot call:
	 * Final then is refused and ends it, as a one-shot after an Update. */
	CK(x->f->C_DigestInit(x->s, &m));
	CK(x->f->C_Digest(x->s, (CK_BYTE_PTR) "abc", 3, NULL, &len));
	len = sizeof(d);
	assert_int_equal(CKR_OPERATION_ACTIVE, x->f->C_DigestFinal(x->s, d, &len));
	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED, x->f->C_Digest(x->s, (CK_BYTE_PTR) "abc", 3, d, &len));
	CK(x->f->C_DigestInit(x->s, &m));
	CK(x->f->C_Digest(x->s, (CK_BYTE_PTR) "abc", 3, NULL, &len));
	assert_int_equal(CKR_OPERATION_ACTIVE, x->f->C_DigestUpdate(x->s, (CK_BYTE_PTR) "abc", 3));
	CK(x->f->C_DigestInit(x->s, &m));
	CK(x->f->C_Digest(x->s, (CK_BYTE_PTR) "abc", 3, NULL, &len));
	len = sizeof(d);
	CK(x->f->C_Digest(x->s, (CK_BYTE_PTR) "abc", 3, d, &len));
	assert_int_equal(48, len);
}

static void test_state_rules(void **state)
{
	fx *x = *state;
	CK_MECHANISM m = { CKM_SHA256, NULL, 0 };
	CK_MECHANISM sign = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_MECHANISM unknown = { 0x8000abcdUL, NULL, 0 };
	CK_BYTE d[64];
	CK_ULONG len = sizeof(d);

	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED, x->f->C_DigestUpdate(x->s, (CK_BYTE_PTR) "a", 1));
	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED, x->f->C_DigestFinal(x->s, d, &len));
	assert_int_equal(CKR_MECHANISM_INVALID, x->f->C_DigestInit(x->s, &sign));
	assert_int_equal(CKR_MECHANISM_INVALID, x->f->C_DigestInit(x->s, &unknown));

	CK(x->f->C_DigestInit(x->s, &m));
	assert_int_equal(CKR_OPERATION_ACTIVE, x->f->C_DigestInit(x->s, &m));
	CK(x->f->C_DigestUpdate(x->s, (CK_BYTE_PTR) "a", 1));
	/* One-shot after an update: refused, and the operation is over. */
	assert_int_equal(CKR_OPERATION_ACTIVE, x->f->C_Digest(x->s, (CK_BYTE_PTR) "a", 1, d, &len));
	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED, x->f->C_DigestFinal(x->s, d, &len));

	CK(x->f->C_DigestInit(x->s, &m));
	CK(x->f->C_DigestInit(x->s, NULL));
	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED, x->f->C_DigestFinal(x->s, d, &len));
	CK(x->f->C_DigestInit(x->s, &m));
	CK(x->f->C_SessionCancel(x->s, CKF_DIGEST));
	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED, x->f->C_DigestFinal(x->s, d, &len));
	assert_int_equal(CKR_SESSION_HANDLE_INVALID, x->f->C_DigestInit(0xdead0002UL, &m));
}

/* Asymmetric keys have no value to digest. */
static void test_digest_key(void **state)
{
	fx *x = *state;
	CK_SESSION_HANDLE us = th_user_session(x->env, x->slot);
	CK_OBJECT_HANDLE pub, priv;
	CK_MECHANISM m = { CKM_SHA256, NULL, 0 };
	CK_BYTE d[32];
	CK_ULONG len = sizeof(d);

	th_keypair(x->env, us, "p256", "dk", &pub, &priv);
	CK(x->f->C_DigestInit(us, &m));
	assert_int_equal(CKR_KEY_INDIGESTIBLE, x->f->C_DigestKey(us, pub));
	/* The error ended the operation. */
	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED, x->f->C_DigestFinal(us, d, &len));
	CK(x->f->C_DigestInit(us, &m));
	assert_int_equal(CKR_KEY_INDIGESTIBLE, x->f->C_DigestKey(us, priv));
	CK(x->f->C_DigestInit(us, &m));
	assert_int_equal(CKR_KEY_HANDLE_INVALID, x->f->C_DigestKey(us, 0xdead0003UL));
	assert_int_equal(CKR_OPERATION_NOT_INITIALIZED, x->f->C_DigestKey(us, pub));
	CK(x->f->C_Logout(us));
	CK(x->f->C_CloseSession(us));
}

/* Randomness needs no login either. */
static void test_random(void **state)
{
	fx *x = *state;
	CK_BYTE a[32], b[32];
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	CK(x->f->C_GenerateRandom(x->s, a, sizeof(a)));
	CK(x->f->C_GenerateRandom(x->s, b, sizeof(b)));
	assert_memory_not_equal(a, b, sizeof(a));
	CK(x->f->C_GenerateRandom(x->s, NULL, 0));
	CK(x->f->C_GenerateRandom(x->s, a, 0));
	assert_int_equal(CKR_ARGUMENTS_BAD, x->f->C_GenerateRandom(x->s, NULL, 16));
	assert_int_equal(CKR_SESSION_HANDLE_INVALID, x->f->C_GenerateRandom(0xdead0004UL, a, 4));
	assert_int_equal(CKR_RANDOM_SEED_NOT_SUPPORTED, x->f->C_SeedRandom(x->s, a, sizeof(a)));
	assert_int_equal(CKR_ARGUMENTS_BAD, x->f->C_SeedRandom(x->s, NULL, 4));
	/* A large request is served whole. */
	CK_BYTE *big = calloc(1, 100000);
	assert_non_null(big);
	CK(x->f->C_GenerateRandom(x->s, big, 100000));
	size_t zeros = 0;
	for (size_t i = 0; i < 100000; i++)
		zeros += big[i] == 0;
	assert_true(zeros < 1000);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_empty_message),
		cmocka_unit_test(test_length_convention),
		cmocka_unit_test(test_state_rules),
		cmocka_unit_test(test_digest_key),
		cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, group_setup, th_group_teardown);
}
