/* ECDH1 key agreement with the ANSI X9.63 KDF of PKCS#11's CKD_SHA*_KDF. */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>

#include "common/log.h"
#include "common/mem.h"
#include "crypto/internal.h"

static cid_hash kdf_hash(CK_EC_KDF_TYPE kdf)
{
	switch (kdf) {
	case CKD_SHA1_KDF:
		return CID_H_SHA1;
	case CKD_SHA224_KDF:
		return CID_H_SHA224;
	case CKD_SHA256_KDF:
		return CID_H_SHA256;
	case CKD_SHA384_KDF:
		return CID_H_SHA384;
	case CKD_SHA512_KDF:
		return CID_H_SHA512;
	default:
		return CID_H_NONE;
	}
}

/* The peer's point, as a bare uncompressed point or wrapped in a DER
 * OCTET STRING (both appear in the wild). */
static CK_RV peer_key(const cid_key *priv, const CK_ECDH1_DERIVE_PARAMS *p, EVP_PKEY **out,
                      const uint8_t **point)
{
	const cid_curve_info *ci = cid_curve_get(priv->curve);
	size_t want = 2 * ci->fb + 1;
	const uint8_t *pt = p->pPublicData, *v;
	size_t vlen;
	uint8_t tag;
	OSSL_PARAM prm[3];
	EVP_PKEY_CTX *ctx;
	int ok;

	if (pt == NULL)
		goto bad;
	if (p->ulPublicDataLen != want) {
		if (!cid_der_single(pt, p->ulPublicDataLen, &tag, &v, &vlen) || tag != 0x04 || vlen != want)
			goto bad;
		pt = v;
	}
	if (pt[0] != 0x04)
		goto bad;
	prm[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)ci->group, 0);
	prm[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pt, want);
	prm[2] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(cid_libctx(), CID_KT_EC, NULL);
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0) {
		EVP_PKEY_CTX_free(ctx);
		return CID_OSSL_FAIL("peer key setup");
	}
	ok = EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, prm);
	EVP_PKEY_CTX_free(ctx);
	*point = pt;
	if (ok > 0)
		return CKR_OK;
	ERR_clear_error();
bad:
	CID_INFO("ECDH peer public value is not a point on the key's curve");
	return CKR_MECHANISM_PARAM_INVALID;
}

static CK_RV x963(cid_hash h, const uint8_t *z, size_t zlen, const CK_ECDH1_DERIVE_PARAMS *p, uint8_t *out,
                  size_t outlen)
{
	EVP_KDF *kdf = cid_kdf_x963();
	EVP_KDF_CTX *kc = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM prm[4], *q = prm;
	int ok;

	if (kc == NULL)
		return CID_OSSL_FAIL("X9.63 KDF setup");
	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)cid_hash_name(h), 0);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)z, zlen);
	if (p->ulSharedDataLen != 0)
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, p->pSharedData, p->ulSharedDataLen);
	*q = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(kc, out, outlen, prm);
	EVP_KDF_CTX_free(kc);
	return ok > 0 ? CKR_OK : CID_OSSL_FAIL("X9.63 KDF");
}

CK_RV cid_ecdh_derive(cid_key *priv, const CK_ECDH1_DERIVE_PARAMS *p, size_t out_len, uint8_t **secret,
                      size_t *secret_len)
{
	EVP_PKEY *peer = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	const uint8_t *point = NULL;
	uint8_t z[48], *res = NULL;
	size_t zlen = sizeof(z), rlen;
	cid_hash h = CID_H_NONE;
	CK_RV rv;

	if (priv == NULL || p == NULL || secret == NULL || secret_len == NULL)
		return CKR_ARGUMENTS_BAD;
	*secret = NULL;
	*secret_len = 0;
	if (priv->type != CKK_EC || !priv->priv) {
		CID_INFO("ECDH needs a private EC key");
		return CKR_KEY_TYPE_INCONSISTENT;
	}
	if (p->kdf != CKD_NULL) {
		h = kdf_hash(p->kdf);
		if (h == CID_H_NONE) {
			CID_INFO("ECDH KDF 0x%lx not supported", (unsigned long)p->kdf);
			return CKR_MECHANISM_PARAM_INVALID;
		}
	} else if (p->ulSharedDataLen != 0) {
		CID_INFO("ECDH shared data given with CKD_NULL");
		return CKR_MECHANISM_PARAM_INVALID;
	}
	if (p->ulSharedDataLen != 0 && p->pSharedData == NULL) {
		CID_INFO("ECDH shared data length without data");
		return CKR_MECHANISM_PARAM_INVALID;
	}
	rlen = out_len != 0 ? out_len : priv->size;
	if (h == CID_H_NONE && rlen > priv->size) {
		CID_INFO("ECDH without KDF yields only %zu bytes, %zu requested", priv->size, rlen);
		return CKR_TEMPLATE_INCONSISTENT;
	}
	rv = peer_key(priv, p, &peer, &point);
	if (rv != CKR_OK)
		return rv;
	if (priv->ext != NULL) {
		/* A token's key: the token computes the shared X coordinate. */
		rv = priv->ext(priv->ext_ctx, CID_EXT_ECDH, point, 2 * priv->size + 1, z, &zlen);
		if (rv == CKR_OK && zlen != priv->size) {
			CID_ERROR("token returned a %zu-byte shared secret, expected %zu", zlen, priv->size);
			rv = CKR_DEVICE_ERROR;
		}
		if (rv != CKR_OK)
			goto out;
	} else {
		ctx = EVP_PKEY_CTX_new_from_pkey(cid_libctx(), priv->pkey, NULL);
		if (ctx == NULL || EVP_PKEY_derive_init(ctx) <= 0 || EVP_PKEY_derive_set_peer(ctx, peer) <= 0 ||
		    EVP_PKEY_derive(ctx, z, &zlen) <= 0) {
			rv = CID_OSSL_FAIL("ECDH");
			goto out;
		}
	}
	res = malloc(rlen);
	if (res == NULL) {
		rv = CID_OOM();
		goto out;
	}
	/* CKD_NULL: a shorter key takes the leading bytes of the secret. */
	if (h == CID_H_NONE)
		memcpy(res, z, rlen);
	else
		rv = x963(h, z, zlen, p, res, rlen);
	if (rv == CKR_OK) {
		*secret = res;
		*secret_len = rlen;
		res = NULL;
	}
out:
	cid_free_secret(&res, rlen);
	cid_wipe(z, sizeof(z));
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	return rv;
}
