/* The object index on its own: chains follow additions and removals, the
 * shortest chain is chosen, and an allocation failure turns the index off
 * (searches scan) without losing track of the objects already filed.
 * calloc is wrapped (meson: -Wl,--wrap=calloc) so that a chosen
 * allocation fails. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "p11/objindex.h"

void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);

static int fail_in = -1; /* fail the calloc this many calls from now */

void *__wrap_calloc(size_t n, size_t size)
{
	if (fail_in >= 0 && fail_in-- == 0)
		return NULL;
	return __real_calloc(n, size);
}

static cid_object *obj(CK_OBJECT_CLASS cls, const char *label, CK_SESSION_HANDLE owner)
{
	cid_object *o = __real_calloc(1, sizeof(*o));

	assert_non_null(o);
	cid_attrs_init(&o->attrs);
	assert_int_equal(CKR_OK, cid_attrs_set_ulong(&o->attrs, CKA_CLASS, cls));
	assert_int_equal(CKR_OK, cid_attrs_set(&o->attrs, CKA_LABEL, label, (CK_ULONG)strlen(label)));
	o->cls = cls;
	o->owner = owner;
	o->on_token = owner == 0;
	return o;
}

static void obj_free(cid_object *o)
{
	cid_attrs_clear(&o->attrs);
	free(o);
}

static size_t chain_len(const cid_objindex *ix, CK_ATTRIBUTE *t, CK_ULONG n)
{
	cid_object *o;
	int kind;
	size_t k = 0, want = cid_ix_select(ix, t, n, &o, &kind);

	if (want == SIZE_MAX)
		return SIZE_MAX;
	for (; o; o = cid_ix_next(o, kind))
		k++;
	assert_int_equal(want, k);
	return k;
}

static void chains_follow_changes(void **state)
{
	enum { N = 300 };
	static cid_object *v[N];
	cid_objindex ix;
	CK_OBJECT_CLASS data = CKO_DATA, cert = CKO_CERTIFICATE;
	CK_ATTRIBUTE by_data = { CKA_CLASS, &data, sizeof(data) };
	CK_ATTRIBUTE by_cert = { CKA_CLASS, &cert, sizeof(cert) };
	CK_ATTRIBUTE both[2] = { { CKA_CLASS, &data, sizeof(data) }, { CKA_LABEL, "odd", 3 } };
	bool usable;
	size_t owned = 0;

	(void)state;
	cid_ix_init(&ix);
	for (int i = 0; i < N; i++) {
		v[i] = obj(i % 3 ? CKO_DATA : CKO_CERTIFICATE, i % 2 ? "odd" : "even", i % 5 == 0 ? 7 : 0);
		cid_ix_add(&ix, v[i]);
	}
	assert_int_equal(200, chain_len(&ix, &by_data, 1));
	assert_int_equal(100, chain_len(&ix, &by_cert, 1));
	/* The label chain (150) is shorter than the class chain (200). */
	assert_int_equal(150, chain_len(&ix, both, 2));
	assert_int_equal(0, chain_len(&ix, &(CK_ATTRIBUTE){ CKA_LABEL, "none", 4 }, 1));
	assert_int_equal(SIZE_MAX, chain_len(&ix, &(CK_ATTRIBUTE){ CKA_SIGN, NULL, 0 }, 1));
	for (cid_object *o = cid_ix_owned(&ix, 7, &usable); o; o = cid_ix_next(o, CID_IX_OWNER))
		owned++;
	assert_true(usable);
	assert_int_equal(60, owned);

	/* Removing from the middle, the head and the tail of chains. */
	for (int i = 0; i < N; i += 3)
		cid_ix_del(&ix, v[i]);
	cid_ix_del(&ix, v[0]); /* twice: a no-op */
	assert_int_equal(200, chain_len(&ix, &by_data, 1));
	assert_int_equal(0, chain_len(&ix, &by_cert, 1));
	assert_int_equal(1, ix.by[CID_IX_CLASS].used);
	for (int i = 0; i < N; i++) {
		cid_ix_del(&ix, v[i]);
		obj_free(v[i]);
	}
	for (int k = 0; k < CID_IX_COUNT; k++)
		assert_int_equal(0, ix.by[k].used);
	cid_ix_free(&ix);
}

static void allocation_failure_turns_index_off(void **state)
{
	cid_objindex ix;
	cid_object *a = obj(CKO_DATA, "a", 5), *b = obj(CKO_DATA, "b", 5), *c = obj(CKO_DATA, "c", 0);
	bool usable;

	(void)state;
	cid_ix_init(&ix);
	cid_ix_add(&ix, a);
	/* b's label is new: its chain head is the first allocation. */
	fail_in = 0;
	cid_ix_add(&ix, b);
	fail_in = -1;
	assert_true(ix.broken);
	assert_false(b->indexed);
	assert_int_equal(SIZE_MAX, chain_len(&ix, &(CK_ATTRIBUTE){ CKA_LABEL, "a", 1 }, 1));
	assert_null(cid_ix_owned(&ix, 5, &usable));
	assert_false(usable);
	/* Nothing more is filed while broken; what was filed still leaves
	 * cleanly (ASan and valgrind watch this). */
	cid_ix_add(&ix, c);
	assert_false(c->indexed);
	cid_ix_del(&ix, a);
	cid_ix_del(&ix, b);
	for (int k = 0; k < CID_IX_COUNT; k++)
		assert_int_equal(0, ix.by[k].used);
	cid_ix_free(&ix);
	assert_false(ix.broken);
	cid_ix_init(&ix);
	cid_ix_add(&ix, a);
	assert_int_equal(1, chain_len(&ix, &(CK_ATTRIBUTE){ CKA_LABEL, "a", 1 }, 1));
	cid_ix_del(&ix, a);
	cid_ix_free(&ix);
	obj_free(a);
	obj_free(b);
	obj_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(chains_follow_changes),
		cmocka_unit_test(allocation_failure_turns_index_off),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
