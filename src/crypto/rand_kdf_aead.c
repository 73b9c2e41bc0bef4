/* Randomness, the passphrase KDF and the at-rest AEAD. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "common/log.h"
#include "common/mem.h"
#include "crypto/internal.h"

#define NONCE_LEN 12
#define TAG_LEN 16
#define CHUNK (1u << 30) /* EVP lengths are int */

CK_RV cid_random(uint8_t *buf, size_t len)
{
	if (buf == NULL && len != 0)
		return CKR_ARGUMENTS_BAD;
	while (len > 0) {
		size_t n = len > CHUNK ? CHUNK : len;

		if (RAND_bytes_ex(cid_libctx(), buf, n, 0) != 1)
			return CID_OSSL_FAIL("RAND_bytes");
		buf += n;
		len -= n;
	}
	return CKR_OK;
}

CK_RV cid_kdf(const uint8_t *pass, size_t passlen, const uint8_t *salt, size_t saltlen,
              const cid_kdf_params *prm, uint8_t *out, size_t outlen)
{
	static const uint8_t empty[1];
	EVP_KDF *kdf = cid_kdf_scrypt();
	EVP_KDF_CTX *kc;
	OSSL_PARAM op[7];
	uint64_t n, maxmem;
	uint32_t r, p;
	int ok;

	if (prm == NULL || out == NULL || outlen == 0 || (pass == NULL && passlen != 0) ||
	    (salt == NULL && saltlen != 0))
		return CKR_ARGUMENTS_BAD;
	r = prm->r;
	p = prm->p;
	/* Keeps 128*r*(N+p) far from overflow and below what a host has. */
	if (prm->log2_n < 1 || prm->log2_n > 30 || r == 0 || r > 64 || p == 0 || p > 64) {
		CID_INFO("scrypt parameters out of range (log2 N %u, r %u, p %u)", prm->log2_n, r, p);
		return CKR_ARGUMENTS_BAD;
	}
	n = (uint64_t)1 << prm->log2_n;
	/* What OpenSSL's scrypt allocates, plus headroom. */
	maxmem = 128ull * r * (n + 2) + 128ull * r * p + (1ull << 20);
	kc = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	if (kc == NULL)
		return CID_OSSL_FAIL("scrypt setup");
	op[0] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)(pass ? pass : empty), passlen);
	op[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)(salt ? salt : empty), saltlen);
	op[2] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
	op[3] = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r);
	op[4] = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p);
	op[5] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem);
	op[6] = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(kc, out, outlen, op);
	EVP_KDF_CTX_free(kc);
	if (ok <= 0) {
		cid_wipe(out, outlen);
		return CID_OSSL_FAIL("scrypt");
	}
	return CKR_OK;
}

/* Runs data through an initialised GCM context in int-sized pieces; out
 * NULL feeds additional data. */
static bool gcm_update(EVP_CIPHER_CTX *c, uint8_t *out, const uint8_t *in, size_t len)
{
	while (len > 0) {
		int n = (int)(len > CHUNK ? CHUNK : len), got = 0;

		if (!EVP_CipherUpdate(c, out, &got, in, n) || got != (out != NULL ? n : got))
			return false;
		in += n;
		if (out != NULL)
			out += n;
		len -= (size_t)n;
	}
	return true;
}

static EVP_CIPHER_CTX *gcm_start(const uint8_t *key, const uint8_t *nonce, int enc, const uint8_t *aad,
                                 size_t aadlen)
{
	const EVP_CIPHER *ci = cid_cipher_aes256gcm();
	EVP_CIPHER_CTX *c = ci != NULL ? EVP_CIPHER_CTX_new() : NULL;

	if (c == NULL)
		return NULL;
	if (!EVP_CipherInit_ex2(c, ci, key, nonce, enc, NULL) || !gcm_update(c, NULL, aad, aadlen)) {
		EVP_CIPHER_CTX_free(c);
		return NULL;
	}
	return c;
}

CK_RV cid_aead_seal(const uint8_t key[CID_AEAD_KEY_LEN], const uint8_t *aad, size_t aadlen,
                    const uint8_t *pt, size_t ptlen, uint8_t **out, size_t *outlen)
{
	EVP_CIPHER_CTX *c = NULL;
	uint8_t *buf;
	int fin = 0;
	CK_RV rv;

	if (key == NULL || out == NULL || outlen == NULL || (aad == NULL && aadlen != 0) ||
	    (pt == NULL && ptlen != 0) || ptlen > SIZE_MAX - CID_AEAD_OVERHEAD)
		return CKR_ARGUMENTS_BAD;
	*out = NULL;
	*outlen = 0;
	buf = malloc(ptlen + CID_AEAD_OVERHEAD);
	if (buf == NULL)
		return CID_OOM();
	rv = cid_random(buf, NONCE_LEN);
	if (rv != CKR_OK)
		goto fail;
	c = gcm_start(key, buf, 1, aad, aadlen);
	if (c == NULL || !gcm_update(c, buf + NONCE_LEN, pt, ptlen) ||
	    !EVP_CipherFinal_ex(c, buf + NONCE_LEN + ptlen, &fin) ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, TAG_LEN, buf + NONCE_LEN + ptlen) <= 0) {
		rv = CID_OSSL_FAIL("AES-GCM seal");
		goto fail;
	}
	EVP_CIPHER_CTX_free(c);
	*out = buf;
	*outlen = ptlen + CID_AEAD_OVERHEAD;
	return CKR_OK;
fail:
	EVP_CIPHER_CTX_free(c);
	cid_free_secret(&buf, ptlen + CID_AEAD_OVERHEAD);
	return rv;
}

CK_RV cid_aead_open(const uint8_t key[CID_AEAD_KEY_LEN], const uint8_t *aad, size_t aadlen,
                    const uint8_t *ct, size_t ctlen, uint8_t **out, size_t *outlen)
{
	EVP_CIPHER_CTX *c = NULL;
	uint8_t *buf;
	size_t n;
	int fin = 0;

	if (key == NULL || out == NULL || outlen == NULL || (aad == NULL && aadlen != 0) || (ct == NULL && ctlen != 0))
		return CKR_ARGUMENTS_BAD;
	*out = NULL;
	*outlen = 0;
	if (ctlen < CID_AEAD_OVERHEAD) {
		CID_INFO("sealed data of %zu bytes is shorter than nonce and tag", ctlen);
		return CKR_ENCRYPTED_DATA_LEN_RANGE;
	}
	n = ctlen - CID_AEAD_OVERHEAD;
	buf = malloc(n ? n : 1);
	if (buf == NULL)
		return CID_OOM();
	c = gcm_start(key, ct, 0, aad, aadlen);
	if (c == NULL || !gcm_update(c, buf, ct + NONCE_LEN, n) ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, TAG_LEN, (void *)(ct + NONCE_LEN + n)) <= 0) {
		EVP_CIPHER_CTX_free(c);
		cid_free_secret(&buf, n);
		return CID_OSSL_FAIL("AES-GCM open");
	}
	if (EVP_CipherFinal_ex(c, buf + n, &fin) <= 0) {
		/* Plaintext of unauthenticated data must not survive. */
		ERR_clear_error();
		EVP_CIPHER_CTX_free(c);
		cid_free_secret(&buf, n);
		/* A wrong passcode ends here too; its caller says so once. */
		CID_DEBUG("sealed data failed authentication");
		return CKR_ENCRYPTED_DATA_INVALID;
	}
	EVP_CIPHER_CTX_free(c);
	*out = buf;
	*outlen = n;
	return CKR_OK;
}
