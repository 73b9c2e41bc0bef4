/* Certificate attribute derivation (src/crypto/x509.c): what a
 * certificate object and the key objects beside it get from a DER
 * certificate.  Whatever the input, a certificate either is refused or
 * yields well-formed attributes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

static void check_date(const cid_attrs *a, CK_ATTRIBUTE_TYPE t)
{
	const CK_ATTRIBUTE *d = cid_attrs_get(a, t);
	const CK_CHAR *c;

	FUZZ_CHECK(d != NULL && d->ulValueLen == sizeof(CK_DATE));
	c = d->pValue;
	for (size_t i = 0; i < sizeof(CK_DATE); i++)
		FUZZ_CHECK(c[i] >= '0' && c[i] <= '9');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *der = malloc(size ? size : 1);
	cid_attrs a, pub;
	CK_KEY_TYPE kt = 0;
	char cn[13];
	bool attrs_ok;
	CK_RV rv;

	if (der == NULL)
		return 0;
	memcpy(der, data, size);
	cid_attrs_init(&a);
	cid_attrs_init(&pub);

	rv = cid_x509_attrs(der, size, &a);
	attrs_ok = rv == CKR_OK;
	if (attrs_ok) {
		FUZZ_CHECK(cid_attrs_get(&a, CKA_SUBJECT) != NULL && cid_attrs_get(&a, CKA_ISSUER) != NULL);
		FUZZ_CHECK(cid_attrs_get(&a, CKA_SERIAL_NUMBER) != NULL);
		check_date(&a, CKA_START_DATE);
		check_date(&a, CKA_END_DATE);
	}

	rv = cid_x509_public_key(der, size, &kt, &pub);
	if (rv == CKR_OK) {
		cid_key *key = NULL;

		FUZZ_CHECK(kt == CKK_RSA || kt == CKK_EC);
		if (kt == CKK_RSA)
			FUZZ_CHECK(cid_attrs_get(&pub, CKA_MODULUS) != NULL &&
			           cid_attrs_get(&pub, CKA_PUBLIC_EXPONENT) != NULL);
		else
			FUZZ_CHECK(cid_attrs_get(&pub, CKA_EC_PARAMS) != NULL && cid_attrs_get(&pub, CKA_EC_POINT) != NULL);
		/* What the card path does next with a certificate's key. */
		if (cid_key_from_attrs(CKO_PUBLIC_KEY, kt, &pub, &key) == CKR_OK) {
			FUZZ_CHECK(cid_key_bits(key) > 0);
			cid_key_unref(&key);
		}
	}

	/* Each call parses the certificate again, and OpenSSL's key decoding
	 * is slow: one CN call, at the size the card path uses (a 12-digit
	 * UUID and its NUL), keeps the executions up. */
	if (cid_x509_subject_cn(der, size, cn, sizeof(cn))) {
		FUZZ_CHECK(strlen(cn) < sizeof(cn));
	} else {
		FUZZ_CHECK(cn[0] == '\0');
	}

	cid_attrs_clear(&a);
	cid_attrs_clear(&pub);
	free(der);
	return 0;
}
