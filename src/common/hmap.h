/* A small open-addressing map from a non-zero 64-bit key to a pointer.
 * Used for session and object handles, so that handles are plain counters
 * (never casted pointers) with no fixed limit.  Not thread-safe: the owner
 * holds its own lock. */
#ifndef CAREID_COMMON_HMAP_H
#define CAREID_COMMON_HMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct cid_hmap {
	uint64_t *keys;   /* 0 = empty, UINT64_MAX = tombstone */
	void **vals;
	size_t cap;       /* power of two or 0 */
	size_t used;      /* live entries */
	size_t filled;    /* live + tombstones */
} cid_hmap;

void cid_hmap_init(cid_hmap *m);
void cid_hmap_free(cid_hmap *m);
/* 0 on success, -1 on allocation failure.  Replaces an existing key. */
int cid_hmap_put(cid_hmap *m, uint64_t key, void *val);
void *cid_hmap_get(const cid_hmap *m, uint64_t key);
/* Returns the removed value or NULL. */
void *cid_hmap_del(cid_hmap *m, uint64_t key);
/* Iteration: for (size_t i = 0; cid_hmap_next(m, &i, &k, &v);) ... ; the
 * map must not change during iteration except by cid_hmap_del of the
 * current key. */
int cid_hmap_next(const cid_hmap *m, size_t *pos, uint64_t *key, void **val);

#endif
