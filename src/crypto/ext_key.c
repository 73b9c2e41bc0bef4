/* Keys held by a token.
 *
 * A card runs only the private-key primitive; everything around it (the
 * hash, the PKCS#1 or PSS block, OAEP and PKCS#1 unpadding, the ECDSA
 * input length) happens here, with the same checks and length convention
 * as for keys the module holds.  Verification and encryption use the
 * public half like any other key. */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/mem.h"
#include "crypto/op.h"
#include "crypto/rsa_pad.h"

#define RSA_MAX_BYTES 512
#define DIGEST_INFO_MAX (19 + 64)

CK_RV cid_key_external(CK_KEY_TYPE kt, const cid_attrs *pub, cid_ext_fn fn, void *ctx,
                       void (*ctx_free)(void *), cid_key **out)
{
	CK_RV rv;

	if (fn == NULL || out == NULL)
		return CKR_ARGUMENTS_BAD;
	if (kt != CKK_RSA && kt != CKK_EC) {
		CID_INFO("key type 0x%lx cannot be used on a token", (unsigned long)kt);
		return CKR_KEY_TYPE_INCONSISTENT;
	}
	rv = cid_key_from_attrs(CKO_PUBLIC_KEY, kt, pub, out);
	if (rv != CKR_OK)
		return rv;
	(*out)->priv = true;
	(*out)->ext = fn;
	(*out)->ext_ctx = ctx;
	(*out)->ext_free = ctx_free;
	return CKR_OK;
}

CK_RV cid_ext_setup(cid_op *op)
{
	const cid_mech_impl *im = op->impl;

	if (im->fam == CID_F_EDDSA) {
		CID_INFO("EdDSA is not available for keys held by a token");
		return CKR_KEY_TYPE_INCONSISTENT;
	}
	if (im->fam != CID_F_RSA_PKCS_HASH && im->fam != CID_F_RSA_PSS_HASH && im->fam != CID_F_ECDSA_HASH)
		return CKR_OK;
	/* The token signs a digest: hash-and-sign hashes on the host. */
	op->mctx = EVP_MD_CTX_new();
	if (op->mctx == NULL || !EVP_DigestInit_ex(op->mctx, cid_md(im->hash), NULL))
		return CID_OSSL_FAIL("digest for a token key");
	return CKR_OK;
}

static CK_RV primitive(cid_op *op, cid_ext_kind kind, const uint8_t *in, size_t len, uint8_t *out,
                       size_t cap, size_t want)
{
	cid_key *k = op->key;
	size_t n = cap;
	CK_RV rv = k->ext(k->ext_ctx, kind, in, len, out, &n);

	if (rv == CKR_OK && n != want) {
		CID_ERROR("token returned %zu bytes, expected %zu", n, want);
		rv = CKR_DEVICE_ERROR;
	}
	return rv;
}

/* ECDSA signs the leftmost order-length bytes of the digest; the order
 * of P-256 and P-384 is a whole number of bytes, so bytes suffice. */
static CK_RV ext_ecdsa(cid_op *op, const uint8_t *h, size_t hl, uint8_t *out, CK_ULONG *outlen)
{
	size_t fb = op->key->size;
	uint8_t e[64];
	CK_RV rv;

	memset(e, 0, sizeof(e));
	if (hl >= fb)
		memcpy(e, h, fb);
	else
		memcpy(e + fb - hl, h, hl);
	rv = primitive(op, CID_EXT_ECDSA, e, fb, out, *outlen, 2 * fb);
	if (rv == CKR_OK)
		*outlen = (CK_ULONG)(2 * fb);
	return rv;
}

static CK_RV rsa_block(cid_op *op, const uint8_t *in, size_t len, uint8_t *block)
{
	cid_key *k = op->key;
	uint8_t t[DIGEST_INFO_MAX];
	size_t tl;
	CK_RV rv;

	switch (op->impl->fam) {
	case CID_F_RSA_PKCS:
		return cid_rsa_pkcs1_sign_pad(in, len, block, k->size);
	case CID_F_RSA_PKCS_HASH:
		rv = cid_rsa_digest_info(cid_hash_ckm(op->impl->hash), in, len, t, sizeof(t), &tl);
		return rv != CKR_OK ? rv : cid_rsa_pkcs1_sign_pad(t, tl, block, k->size);
	case CID_F_RSA_X509:
		/* Already left-padded and checked against the modulus. */
		memcpy(block, in, k->size);
		return CKR_OK;
	case CID_F_RSA_PSS:
	case CID_F_RSA_PSS_HASH:
		return cid_rsa_pss_encode(op->pad_hash, op->pad_mgf, op->salt_len, in, len, k->bits, block,
		                          k->size);
	default:
		CID_ERROR("mechanism family %d has no RSA block", (int)op->impl->fam);
		return CKR_FUNCTION_FAILED;
	}
}

CK_RV cid_ext_sign(cid_op *op, const uint8_t *in, size_t len, bool final, uint8_t *out, CK_ULONG *outlen)
{
	uint8_t h[EVP_MAX_MD_SIZE], block[RSA_MAX_BYTES];
	unsigned int hl = 0;
	CK_RV rv;

	if (op->mctx != NULL) {
		if ((!final && len != 0 && !EVP_DigestUpdate(op->mctx, in, len)) ||
		    !EVP_DigestFinal_ex(op->mctx, h, &hl))
			return CID_OSSL_FAIL("digest for a token key");
		in = h;
		len = hl;
	}
	if (op->key->type == CKK_EC)
		return ext_ecdsa(op, in, len, out, outlen);
	rv = rsa_block(op, in, len, block);
	if (rv == CKR_OK)
		rv = primitive(op, CID_EXT_RSA_RAW, block, op->key->size, out, *outlen, op->key->size);
	if (rv == CKR_OK)
		*outlen = (CK_ULONG)op->key->size;
	cid_wipe(block, sizeof(block));
	return rv;
}

CK_RV cid_ext_decrypt(cid_op *op, const uint8_t *in, size_t len, uint8_t *out, size_t *outlen)
{
	size_t k = op->key->size, n = k;
	uint8_t block[RSA_MAX_BYTES];
	CK_RV rv = primitive(op, CID_EXT_RSA_RAW, in, len, block, sizeof(block), k);

	if (rv != CKR_OK)
		goto out;
	switch (op->impl->fam) {
	case CID_F_RSA_X509:
		memcpy(out, block, k);
		break;
	case CID_F_RSA_PKCS:
		rv = cid_rsa_pkcs1_decrypt_unpad(block, k, out, &n);
		break;
	case CID_F_RSA_OAEP:
		rv = cid_rsa_oaep_unpad(op->pad_hash, op->pad_mgf, op->label, op->label_len, block, k, out, &n);
		break;
	default:
		CID_ERROR("mechanism family %d cannot decrypt", (int)op->impl->fam);
		rv = CKR_FUNCTION_FAILED;
	}
	if (rv == CKR_OK)
		*outlen = n;
out:
	cid_wipe(block, sizeof(block));
	return rv;
}
