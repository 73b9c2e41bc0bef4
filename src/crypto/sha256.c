/* SHA-256 over pieces, for the layers above that chain or bind records
 * (the soft token's audit trail) without touching OpenSSL themselves. */
#include <openssl/evp.h>

#include "common/log.h"
#include "crypto/internal.h"

CK_RV cid_sha256(const cid_piece *pieces, size_t n, uint8_t out[CID_SHA256_LEN])
{
	const EVP_MD *md = cid_md(CID_H_SHA256);
	EVP_MD_CTX *c;
	int ok;

	if ((pieces == NULL && n != 0) || out == NULL)
		return CKR_ARGUMENTS_BAD;
	c = md != NULL ? EVP_MD_CTX_new() : NULL;
	ok = c != NULL && EVP_DigestInit_ex2(c, md, NULL) == 1;
	for (size_t i = 0; ok && i < n; i++)
		ok = pieces[i].len == 0 || EVP_DigestUpdate(c, pieces[i].p, pieces[i].len) == 1;
	ok = ok && EVP_DigestFinal_ex(c, out, NULL) == 1;
	EVP_MD_CTX_free(c);
	return ok ? CKR_OK : CID_OSSL_FAIL("SHA-256");
}
