/* Compressed certificates (src/card/piv_parse.c): a certificate object
 * whose CertInfo (71) says gzip, the input being the compressed bytes
 * under tag 70.  Inflation is bounded whatever the stream claims, and
 * what comes out goes on to certificate parsing as on a card. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "card/card_int.h"
#include "card/piv.h"
#include "card/tlv.h"
#include "common/attrs.h"
#include "crypto/crypto.h"
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t gzip_info = 0x01;
	size_t cap, off = 0, dl = 0;
	uint8_t *obj, *der = NULL;
	CK_RV rv;

	if (size > CID_PIV_MAX_OBJECT)
		return 0;
	cap = size + 16;
	obj = malloc(cap);
	if (obj == NULL)
		return 0;
	FUZZ_CHECK(cid_tlv_put(obj, cap, &off, 0x70, size ? data : NULL, size) == CKR_OK);
	FUZZ_CHECK(cid_tlv_put(obj, cap, &off, 0x71, &gzip_info, 1) == CKR_OK);
	FUZZ_CHECK(cid_tlv_put(obj, cap, &off, 0xFE, NULL, 0) == CKR_OK);
	rv = cid_piv_cert_der(obj, off, &der, &dl);
	FUZZ_CHECK(rv == CKR_OK || rv == CKR_DATA_INVALID || rv == CKR_OBJECT_HANDLE_INVALID ||
	           rv == CKR_HOST_MEMORY);
	if (rv == CKR_OK) {
		card_key k;

		/* The bound of piv_parse.c: four card objects. */
		FUZZ_CHECK(der != NULL && dl > 0 && dl <= 4 * CID_PIV_MAX_OBJECT);
		memset(&k, 0, sizeof(k));
		k.ref = CID_PIV_KEY_AUTH;
		if (card_key_from_cert(&k, der, dl) == CKR_OK)
			FUZZ_CHECK(k.present && k.certlen == dl);
		card_key_clear(&k);
		free(der);
	} else {
		FUZZ_CHECK(size == 0 || rv != CKR_OBJECT_HANDLE_INVALID);
	}
	free(obj);
	return 0;
}
