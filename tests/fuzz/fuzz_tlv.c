/* BER-TLV (src/card/tlv.c): every element the reader accepts lies inside
 * the buffer, and writing it back and reading that again gives the same
 * tag and value (the writer picks the shortest length form, so the bytes
 * may differ from a reader-accepted long form). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "card/tlv.h"
#include "fuzz_io.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

static void rewrite(const cid_tlv *t)
{
	size_t cap = cid_tlv_header_len(t->tag, t->len) + t->len, off = 0, n;
	uint8_t *buf = malloc(cap ? cap : 1);
	const uint8_t *p;
	cid_tlv back;

	FUZZ_CHECK(buf != NULL);
	FUZZ_CHECK(cid_tlv_put(buf, cap, &off, t->tag, t->len ? t->val : NULL, t->len) == CKR_OK);
	FUZZ_CHECK(off == cap);
	/* One byte short must be refused, not overrun. */
	if (cap > 0) {
		size_t o2 = 0;

		FUZZ_CHECK(cid_tlv_put(buf, cap - 1, &o2, t->tag, t->len ? t->val : NULL, t->len) ==
		           CKR_BUFFER_TOO_SMALL);
		FUZZ_CHECK(o2 == 0);
	}
	p = buf;
	n = off;
	FUZZ_CHECK(cid_tlv_next(&p, &n, &back) == CKR_OK);
	FUZZ_CHECK(n == 0 && back.tag == t->tag && back.len == t->len);
	FUZZ_CHECK(t->len == 0 || memcmp(back.val, t->val, t->len) == 0);
	free(buf);
}

/* Walks a list of elements, and one level into each. */
static size_t walk(const uint8_t *buf, size_t len, int depth)
{
	const uint8_t *p = buf;
	size_t n = len, count = 0;
	cid_tlv t;

	while (n > 0 && cid_tlv_next(&p, &n, &t) == CKR_OK) {
		FUZZ_CHECK(t.val >= buf && t.len <= len && (size_t)(t.val - buf) <= len - t.len);
		FUZZ_CHECK(p == t.val + t.len && n == len - (size_t)(p - buf));
		FUZZ_CHECK(t.tag <= 0xffffff);
		rewrite(&t);
		if (depth < 2)
			(void)walk(t.val, t.len, depth + 1);
		count++;
	}
	return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A heap copy of exactly the input's size, so that ASan sees any
	 * read past its end. */
	uint8_t *buf = malloc(size ? size : 1);
	static const uint32_t tags[] = { 0x53, 0x70, 0x71, 0x7C, 0x82, 0x7F49, 0x5FC102, 0x34 };
	cid_tlv t;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	(void)walk(buf, size, 0);
	bool valid = cid_tlv_valid(buf, size);

	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		CK_RV rv = cid_tlv_find(buf, size, tags[i], &t);

		FUZZ_CHECK(rv == CKR_OK || rv == CKR_DATA_INVALID || rv == CKR_OBJECT_HANDLE_INVALID);
		if (rv == CKR_OK)
			FUZZ_CHECK(t.tag == tags[i] && t.val >= buf && (size_t)(t.val - buf) + t.len <= size);
		/* In a valid list, a tag is either found or absent. */
		if (valid)
			FUZZ_CHECK(rv != CKR_DATA_INVALID);
	}
	free(buf);
	return 0;
}
