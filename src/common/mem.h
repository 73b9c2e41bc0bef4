/* Memory helpers for secrets: wiping that the compiler cannot elide, and
 * free functions that wipe first and leave the caller's pointer NULL. */
#ifndef CAREID_COMMON_MEM_H
#define CAREID_COMMON_MEM_H

#include <stddef.h>
#include <stdint.h>

void cid_wipe(void *p, size_t n);
/* Wipes n bytes at *p, frees it, sets *p = NULL.  Accepts *p == NULL. */
void cid_free_secret(void *pp, size_t n);
/* Duplicates n bytes (n may be 0: returns a 1-byte allocation). NULL on OOM. */
void *cid_memdup(const void *p, size_t n);
/* Constant-time comparison: 0 when equal. */
int cid_memcmp_ct(const void *a, const void *b, size_t n);

#endif
