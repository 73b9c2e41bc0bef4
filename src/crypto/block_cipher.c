/* Single ECB blocks for PIV management-key authentication.  The card layer
 * proves knowledge of the key block by block; it asks for the cipher by
 * PIV algorithm, never by an OpenSSL name. */
#include <openssl/evp.h>

#include "common/log.h"
#include "crypto/internal.h"

static const struct {
	const char *name;
	size_t block;
} algs[] = {
	[CID_BLOCK_3DES] = { "DES-EDE3-ECB", 8 },
	[CID_BLOCK_AES128] = { "AES-128-ECB", 16 },
	[CID_BLOCK_AES192] = { "AES-192-ECB", 16 },
	[CID_BLOCK_AES256] = { "AES-256-ECB", 16 },
};

CK_RV cid_block_cipher(cid_block_alg alg, bool encrypt, const uint8_t *key, const uint8_t *in,
                       uint8_t *out)
{
	EVP_CIPHER *c;
	EVP_CIPHER_CTX *ctx;
	int n = 0;
	bool ok;

	if ((unsigned)alg >= sizeof(algs) / sizeof(algs[0]) || key == NULL || in == NULL || out == NULL)
		return CKR_ARGUMENTS_BAD;
	c = EVP_CIPHER_fetch(cid_libctx(), algs[alg].name, NULL);
	ctx = c != NULL ? EVP_CIPHER_CTX_new() : NULL;
	ok = ctx != NULL && EVP_CipherInit_ex2(ctx, c, key, NULL, encrypt ? 1 : 0, NULL) == 1 &&
	     EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
	     EVP_CipherUpdate(ctx, out, &n, in, (int)algs[alg].block) == 1 && n == (int)algs[alg].block;
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(c);
	return ok ? CKR_OK : CID_OSSL_FAIL(algs[alg].name);
}
