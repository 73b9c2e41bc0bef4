/* The registry of the test module careid-mock-pkcs11.so: the in-memory
 * mock provider instead of the soft token and the card readers.  It
 * defines the two functions of src/token/registry.h, so the linker never
 * takes src/token/registry.c (and with it the real backends) out of the
 * core library. */
#include <stdlib.h>

#include "mock_backend.h"
#include "token/registry.h"

CK_RV cid_providers_open(const cid_config *cfg, cid_provider ***list, size_t *count)
{
	cid_provider **v = calloc(1, sizeof(*v));
	CK_RV rv;

	(void)cfg;
	if (v == NULL)
		return CKR_HOST_MEMORY;
	if ((rv = cid_mock_provider_new(&v[0])) != CKR_OK) {
		free(v);
		return rv;
	}
	*list = v;
	*count = 1;
	return CKR_OK;
}

void cid_providers_close(cid_provider **list, size_t count, int abandon)
{
	if (list == NULL || abandon)
		return;
	for (size_t i = 0; i < count; i++)
		list[i]->ops->release(list[i]);
	free(list);
}
