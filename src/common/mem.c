#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

void cid_wipe(void *p, size_t n)
{
	if (p != NULL && n != 0)
		explicit_bzero(p, n);
}

void cid_free_secret(void *pp, size_t n)
{
	void **p = pp;

	if (p == NULL || *p == NULL)
		return;
	cid_wipe(*p, n);
	free(*p);
	*p = NULL;
}

void *cid_memdup(const void *p, size_t n)
{
	void *q = malloc(n ? n : 1);

	if (q != NULL && n != 0)
		memcpy(q, p, n);
	return q;
}

int cid_memcmp_ct(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;

	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(x[i] ^ y[i]);
	return d != 0;
}
