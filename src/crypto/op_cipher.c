/* RSA encryption and decryption (PKCS#1 v1.5, OAEP, raw). */
#include <string.h>

#include <openssl/err.h>

#include "common/log.h"
#include "common/mem.h"
#include "crypto/op.h"

#define RSA_MAX_BYTES 512

CK_RV cid_encrypt_run(cid_op *op, const uint8_t *in, size_t len, uint8_t *out, CK_ULONG *outlen)
{
	const cid_key *k = op->key;
	uint8_t buf[RSA_MAX_BYTES];
	size_t sl, max = k->size;
	CK_RV rv = CKR_OK;

	switch (op->impl->fam) {
	case CID_F_RSA_PKCS:
		max = k->size - 11;
		break;
	case CID_F_RSA_OAEP:
		max = k->size - 2 * op->hlen - 2;
		break;
	case CID_F_RSA_X509:
		rv = cid_rsa_raw_input(k, in, len, buf, CKR_DATA_INVALID);
		in = buf;
		len = k->size;
		break;
	default:
		break;
	}
	if (rv == CKR_OK && len > max) {
		CID_INFO("plaintext of %zu bytes exceeds %zu for this mechanism", len, max);
		rv = CKR_DATA_LEN_RANGE;
	}
	if (rv != CKR_OK || cid_length_only(k->size, out, outlen, &rv))
		goto out;
	sl = *outlen;
	if (EVP_PKEY_encrypt(op->pctx, out, &sl, in, len) <= 0) {
		rv = CID_OSSL_FAIL("RSA encryption");
		goto out;
	}
	*outlen = (CK_ULONG)sl;
out:
	cid_wipe(buf, sizeof(buf));
	return rv;
}

CK_RV cid_decrypt_run(cid_op *op, const uint8_t *in, size_t len, uint8_t *out, size_t *outlen)
{
	const cid_key *k = op->key;
	size_t sl = k->size;

	if (len != k->size) {
		CID_INFO("ciphertext of %zu bytes, expected %zu", len, k->size);
		return CKR_ENCRYPTED_DATA_LEN_RANGE;
	}
	if (memcmp(in, k->modulus, k->size) >= 0) {
		CID_INFO("ciphertext is not below the modulus");
		return CKR_ENCRYPTED_DATA_INVALID;
	}
	if (cid_op_external(op))
		return cid_ext_decrypt(op, in, len, out, outlen);
	if (EVP_PKEY_decrypt(op->pctx, out, &sl, in, len) <= 0) {
		ERR_clear_error();
		CID_INFO("decryption failed (mechanism 0x%lx)", (unsigned long)op->desc->type);
		return CKR_ENCRYPTED_DATA_INVALID;
	}
	*outlen = sl;
	return CKR_OK;
}
