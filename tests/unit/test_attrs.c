#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/attrs.h"

static void set_get_replace(void **state)
{
	cid_attrs a = CID_ATTRS_INIT;
	CK_ULONG v = 0;
	const CK_ATTRIBUTE *at;

	(void)state;
	assert_int_equal(CKR_OK, cid_attrs_set(&a, CKA_LABEL, "one", 3));
	assert_int_equal(CKR_OK, cid_attrs_set(&a, CKA_LABEL, "three", 5));
	assert_int_equal(1, a.n);
	at = cid_attrs_get(&a, CKA_LABEL);
	assert_non_null(at);
	assert_int_equal(5, at->ulValueLen);
	assert_memory_equal("three", at->pValue, 5);

	assert_int_equal(CKR_TEMPLATE_INCOMPLETE, cid_attrs_ulong(&a, CKA_CLASS, &v));
	assert_int_equal(CKR_OK, cid_attrs_set_ulong(&a, CKA_CLASS, CKO_DATA));
	assert_int_equal(CKR_OK, cid_attrs_ulong(&a, CKA_CLASS, &v));
	assert_int_equal(CKO_DATA, v);
	/* A CK_ULONG attribute with a wrong length is malformed, not absent. */
	assert_int_equal(CKR_OK, cid_attrs_set(&a, CKA_KEY_TYPE, "x", 1));
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, cid_attrs_ulong(&a, CKA_KEY_TYPE, &v));

	assert_false(cid_attrs_bool(&a, CKA_TOKEN, false));
	assert_int_equal(CKR_OK, cid_attrs_set_bool(&a, CKA_TOKEN, true));
	assert_true(cid_attrs_bool(&a, CKA_TOKEN, false));
	/* Malformed booleans fall back to the default. */
	assert_int_equal(CKR_OK, cid_attrs_set(&a, CKA_PRIVATE, "ab", 2));
	assert_true(cid_attrs_bool(&a, CKA_PRIVATE, true));
	assert_false(cid_attrs_bool(&a, CKA_PRIVATE, false));

	cid_attrs_remove(&a, CKA_LABEL);
	assert_null(cid_attrs_get(&a, CKA_LABEL));
	assert_non_null(cid_attrs_get(&a, CKA_TOKEN));
	assert_int_equal(CKR_ARGUMENTS_BAD, cid_attrs_set(&a, CKA_ID, NULL, 4));
	cid_attrs_clear(&a);
	assert_int_equal(0, a.n);
}

static void match_and_template(void **state)
{
	cid_attrs a = CID_ATTRS_INIT;
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_BYTE id[] = { 1, 2 }, other[] = { 1, 3 };
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, id, sizeof(id) },
		{ CKA_VALUE, NULL, 0 },
	};
	CK_ATTRIBUTE miss[] = { { CKA_ID, other, sizeof(other) } };
	CK_ATTRIBUTE shorter[] = { { CKA_ID, id, 1 } };

	(void)state;
	assert_int_equal(CKR_OK, cid_attrs_add_template(&a, t, 3));
	assert_true(cid_attrs_match(&a, t, 3));
	assert_true(cid_attrs_match(&a, NULL, 0));
	assert_false(cid_attrs_match(&a, miss, 1));
	assert_false(cid_attrs_match(&a, shorter, 1));
	assert_ptr_equal(&t[1], cid_tmpl_find(t, 3, CKA_ID));
	assert_null(cid_tmpl_find(t, 3, CKA_LABEL));
	assert_int_equal(CKR_ARGUMENTS_BAD, cid_attrs_add_template(&a, NULL, 2));
	cid_attrs_clear(&a);
}

static void encode_round_trip(void **state)
{
	cid_attrs a = CID_ATTRS_INIT, b = CID_ATTRS_INIT, c = CID_ATTRS_INIT;
	uint8_t *enc = NULL;
	size_t len = 0;

	(void)state;
	for (CK_ULONG i = 0; i < 40; i++) {
		char buf[32];
		int n = snprintf(buf, sizeof(buf), "value-%lu", i);

		assert_int_equal(CKR_OK, cid_attrs_set(&a, CKA_VENDOR_DEFINED + i, buf, (CK_ULONG)n));
	}
	assert_int_equal(CKR_OK, cid_attrs_set(&a, CKA_VALUE, NULL, 0));
	assert_int_equal(CKR_OK, cid_attrs_encode(&a, &enc, &len));
	assert_int_equal(CKR_OK, cid_attrs_decode(&b, enc, len));
	assert_int_equal(a.n, b.n);
	for (size_t i = 0; i < a.n; i++) {
		const CK_ATTRIBUTE *x = cid_attrs_get(&b, a.v[i].type);

		assert_non_null(x);
		assert_int_equal(a.v[i].ulValueLen, x->ulValueLen);
		if (x->ulValueLen)
			assert_memory_equal(a.v[i].pValue, x->pValue, x->ulValueLen);
	}
	/* Every truncation is refused, and the target is left untouched. */
	assert_int_equal(CKR_OK, cid_attrs_set(&c, CKA_LABEL, "keep", 4));
	for (size_t cut = 1; cut < len; cut++) {
		CK_RV rv = cid_attrs_decode(&c, enc, cut);

		if (rv == CKR_OK) {
			/* Only cuts on a record boundary decode, to fewer records. */
			assert_true(c.n < a.n + 1);
			assert_int_equal(CKR_OK, cid_attrs_set(&c, CKA_LABEL, "keep", 4));
			continue;
		}
		assert_int_equal(CKR_DATA_INVALID, rv);
	}
	/* A length field pointing past the end is refused. */
	enc[11] = 0xff;
	assert_int_equal(CKR_DATA_INVALID, cid_attrs_decode(&c, enc, len));
	assert_int_equal(CKR_OK, cid_attrs_copy(&c, &a));
	assert_int_equal(a.n, c.n);
	free(enc);
	cid_attrs_clear(&a);
	cid_attrs_clear(&b);
	cid_attrs_clear(&c);
}

static void decode_rejects_duplicates(void **state)
{
	/* Two records of the same type: a corrupt or hostile encoding. */
	uint8_t enc[2 * 13];
	cid_attrs a = CID_ATTRS_INIT;

	(void)state;
	memset(enc, 0, sizeof(enc));
	enc[7] = 3; enc[11] = 1; enc[12] = 'x';
	enc[20] = 3; enc[24] = 1; enc[25] = 'y';
	assert_int_equal(CKR_DATA_INVALID, cid_attrs_decode(&a, enc, sizeof(enc)));
	assert_int_equal(CKR_OK, cid_attrs_decode(&a, enc, 13));
	assert_int_equal(1, a.n);
	cid_attrs_clear(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(set_get_replace),
		cmocka_unit_test(match_and_template),
		cmocka_unit_test(encode_round_trip),
		cmocka_unit_test(decode_rejects_duplicates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
