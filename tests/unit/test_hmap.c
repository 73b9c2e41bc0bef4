#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/hmap.h"

static void put_get_del(void **state)
{
	cid_hmap m;
	static int vals[5000];
	size_t pos = 0, seen = 0;
	uint64_t k;
	void *v;

	(void)state;
	cid_hmap_init(&m);
	assert_null(cid_hmap_get(&m, 1));
	assert_int_equal(-1, cid_hmap_put(&m, 0, &vals[0]));
	for (uint64_t i = 1; i < 5000; i++)
		assert_int_equal(0, cid_hmap_put(&m, i, &vals[i]));
	assert_int_equal(4999, m.used);
	for (uint64_t i = 1; i < 5000; i++)
		assert_ptr_equal(&vals[i], cid_hmap_get(&m, i));
	for (uint64_t i = 1; i < 5000; i += 2)
		assert_ptr_equal(&vals[i], cid_hmap_del(&m, i));
	assert_null(cid_hmap_del(&m, 1));
	for (uint64_t i = 1; i < 5000; i++)
		assert_ptr_equal(i % 2 ? NULL : &vals[i], cid_hmap_get(&m, i));
	while (cid_hmap_next(&m, &pos, &k, &v)) {
		assert_int_equal(0, k % 2);
		assert_ptr_equal(&vals[k], v);
		seen++;
	}
	assert_int_equal(2499, seen);
	/* Churn through tombstones: the table must not fill up with them. */
	for (uint64_t i = 10000; i < 200000; i++) {
		assert_int_equal(0, cid_hmap_put(&m, i, &vals[0]));
		assert_ptr_equal(&vals[0], cid_hmap_del(&m, i));
	}
	assert_true(m.cap < 65536);
	cid_hmap_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(put_get_del) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
