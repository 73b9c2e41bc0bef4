/* The soft token's attribute encoding (src/common/attrs.c as the store
 * uses it in src/soft/seal.c): the input is a stored object's attribute
 * blob.  A blob is either refused or decodes to a set that encodes back
 * to the same bytes; through the store's own row code, a public row
 * opens to that set, and the set sealed under a token key and opened
 * again is the same set, with no secret value ever in the clear part. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/attrs.h"
#include "soft/soft_int.h"
#include "fuzz_io.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static soft_token tok;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	memset(&tok, 0, sizeof(tok));
	/* The row code only names the token (label from the file) in its
	 * error lines: an empty in-memory token file is enough. */
	if (sqlite3_open(":memory:", &tok.db) != SQLITE_OK || soft_db_create_schema(tok.db) != CKR_OK)
		abort();
	memcpy(tok.serial, "f0220a1b2c3d4e5f", SOFT_SERIAL_LEN);
	tok.who = CKU_USER;
	tok.have_key = true;
	for (size_t i = 0; i < sizeof(tok.key); i++)
		tok.key[i] = (uint8_t)(0x40 + i);
	return 0;
}

/* Same types with the same values, in any order. */
static bool same_set(const cid_attrs *a, const cid_attrs *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const CK_ATTRIBUTE *o = cid_attrs_get(b, a->v[i].type);

		if (o == NULL || o->ulValueLen != a->v[i].ulValueLen ||
		    (o->ulValueLen > 0 && memcmp(o->pValue, a->v[i].pValue, o->ulValueLen) != 0))
			return false;
	}
	return true;
}

static void seal_and_open(const cid_attrs *set)
{
	soft_row row;
	cid_attrs back = CID_ATTRS_INIT, pub = CID_ATTRS_INIT;
	uint64_t id = 42;
	CK_RV rv = soft_row_seal(&tok, id, set, &row);

	if (rv != CKR_OK)
		return;
	FUZZ_CHECK(row.priv == cid_attrs_bool(set, CKA_PRIVATE, true));
	FUZZ_CHECK(soft_row_open(&tok, id, &row, true, &back) == CKR_OK);
	FUZZ_CHECK(same_set(set, &back));
	if (!row.priv) {
		/* What anyone may read: exactly the attributes that are not secret. */
		size_t public_n = 0;

		FUZZ_CHECK(row.attrs != NULL || set->n == 0);
		if (row.attrs_len > 0) {
			FUZZ_CHECK(cid_attrs_decode(&pub, row.attrs, row.attrs_len) == CKR_OK);
			for (size_t i = 0; i < pub.n; i++)
				FUZZ_CHECK(!soft_attr_is_secret(set, pub.v[i].type));
		}
		for (size_t i = 0; i < set->n; i++)
			public_n += !soft_attr_is_secret(set, set->v[i].type);
		FUZZ_CHECK(pub.n == public_n);
		FUZZ_CHECK((row.sealed != NULL) == soft_attrs_have_secret(set));
	}
	/* Another object's id does not open it. */
	if (row.sealed != NULL) {
		cid_attrs other = CID_ATTRS_INIT;

		FUZZ_CHECK(soft_row_open(&tok, id + 1, &row, true, &other) != CKR_OK);
		cid_attrs_clear(&other);
	}
	cid_attrs_clear(&pub);
	cid_attrs_clear(&back);
	soft_row_clear(&row);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *blob = malloc(size ? size : 1), *enc = NULL;
	cid_attrs set = CID_ATTRS_INIT, opened = CID_ATTRS_INIT;
	size_t enclen = 0;
	soft_row row;
	CK_RV rv, orv;

	if (blob == NULL)
		return 0;
	memcpy(blob, data, size);
	rv = cid_attrs_decode(&set, blob, size);
	FUZZ_CHECK(rv == CKR_OK || rv == CKR_DATA_INVALID || rv == CKR_HOST_MEMORY);

	/* The same blob as a public row read from the file. */
	memset(&row, 0, sizeof(row));
	row.attrs = blob;
	row.attrs_len = size;
	orv = soft_row_open(&tok, 7, &row, false, &opened);
	if (size > 0 && rv == CKR_OK)
		FUZZ_CHECK(orv == CKR_OK && same_set(&set, &opened));
	else
		FUZZ_CHECK(orv != CKR_OK && opened.n == 0);

	if (rv == CKR_OK) {
		FUZZ_CHECK(cid_attrs_encode(&set, &enc, &enclen) == CKR_OK);
		FUZZ_CHECK(enclen == size && (size == 0 || memcmp(enc, blob, size) == 0));
		free(enc);
		seal_and_open(&set);
	} else {
		FUZZ_CHECK(set.n == 0);
	}
	cid_attrs_clear(&opened);
	cid_attrs_clear(&set);
	free(blob);
	return 0;
}
