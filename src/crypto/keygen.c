/* Key-pair generation.  Only the key-material attributes are produced;
 * the caller owns class, type, policy and the public CKA_EC_PARAMS. */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/rsa.h>

#include "common/log.h"
#include "common/mem.h"
#include "crypto/internal.h"

/* FIPS 186-5 bounds: 2^16 < e < 2^256, odd.  Smaller exponents are legal
 * RSA but no reason to create new keys with them. */
static CK_RV parse_exponent(const uint8_t *e, size_t elen, BIGNUM **out)
{
	BIGNUM *b = BN_new();

	*out = NULL;
	if (b == NULL)
		return CID_OOM();
	if (e == NULL) {
		if (!BN_set_word(b, 65537)) {
			BN_free(b);
			return CID_OSSL_FAIL("BN_set_word");
		}
		*out = b;
		return CKR_OK;
	}
	if (elen == 0 || elen > 64 || BN_bin2bn(e, (int)elen, b) == NULL || !BN_is_odd(b) ||
	    BN_num_bits(b) <= 16 || BN_num_bits(b) > 256) {
		BN_free(b);
		CID_INFO("RSA public exponent rejected for key generation (%zu bytes)", elen);
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	*out = b;
	return CKR_OK;
}

static CK_RV generate(EVP_PKEY_CTX *ctx, EVP_PKEY **pk)
{
	if (EVP_PKEY_generate(ctx, pk) <= 0)
		return CID_OSSL_FAIL("key generation");
	return CKR_OK;
}

CK_RV cid_keygen_rsa(CK_ULONG bits, const uint8_t *e, size_t elen, cid_attrs *pub, cid_attrs *priv)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;
	BIGNUM *be = NULL;
	CK_RV rv;

	if (pub == NULL || priv == NULL)
		return CKR_ARGUMENTS_BAD;
	if (bits != 2048 && bits != 3072 && bits != 4096) {
		CID_INFO("RSA key size %lu not offered for generation", (unsigned long)bits);
		return CKR_KEY_SIZE_RANGE;
	}
	rv = parse_exponent(e, elen, &be);
	if (rv != CKR_OK)
		return rv;
	ctx = EVP_PKEY_CTX_new_from_name(cid_libctx(), CID_KT_RSA, NULL);
	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0 || EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits) <= 0 ||
	    EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, be) <= 0)
		rv = CID_OSSL_FAIL("RSA keygen setup");
	if (rv == CKR_OK)
		rv = generate(ctx, &pk);
	if (rv == CKR_OK)
		rv = cid_rsa_export(pk, false, pub);
	if (rv == CKR_OK)
		rv = cid_rsa_export(pk, true, priv);
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(ctx);
	BN_free(be);
	return rv;
}

CK_RV cid_keygen_ec(const uint8_t *params, size_t len, cid_attrs *pub, cid_attrs *priv)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;
	BIGNUM *d = NULL;
	uint8_t val[48];
	const cid_curve_info *ci;
	cid_curve c;
	CK_RV rv;

	if (pub == NULL || priv == NULL)
		return CKR_ARGUMENTS_BAD;
	rv = cid_curve_from_params(CKK_EC, params, len, &c);
	if (rv != CKR_OK)
		return rv;
	ci = cid_curve_get(c);
	ctx = EVP_PKEY_CTX_new_from_name(cid_libctx(), CID_KT_EC, NULL);
	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0 || EVP_PKEY_CTX_set_group_name(ctx, ci->group) <= 0)
		rv = CID_OSSL_FAIL("EC keygen setup");
	if (rv == CKR_OK)
		rv = generate(ctx, &pk);
	if (rv == CKR_OK)
		rv = cid_pkey_point_attr(pk, false, pub);
	if (rv == CKR_OK && EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_PRIV_KEY, &d) <= 0)
		rv = CID_OSSL_FAIL("reading the EC private value");
	/* PKCS#11 wants the scalar at the field length, zeros included. */
	if (rv == CKR_OK && BN_bn2binpad(d, val, (int)ci->fb) != (int)ci->fb)
		rv = CID_OSSL_FAIL("BN_bn2binpad");
	if (rv == CKR_OK)
		rv = cid_attrs_set(priv, CKA_VALUE, val, (CK_ULONG)ci->fb);
	if (rv == CKR_OK)
		rv = cid_attrs_set(priv, CKA_EC_PARAMS, params, (CK_ULONG)len);
	cid_wipe(val, sizeof(val));
	BN_clear_free(d);
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(ctx);
	return rv;
}

CK_RV cid_keygen_ed25519(const uint8_t *params, size_t len, cid_attrs *pub, cid_attrs *priv)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;
	uint8_t seed[32];
	size_t slen = sizeof(seed);
	cid_curve c;
	CK_RV rv;

	if (pub == NULL || priv == NULL)
		return CKR_ARGUMENTS_BAD;
	rv = cid_curve_from_params(CKK_EC_EDWARDS, params, len, &c);
	if (rv != CKR_OK)
		return rv;
	ctx = EVP_PKEY_CTX_new_from_name(cid_libctx(), CID_KT_ED25519, NULL);
	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0)
		rv = CID_OSSL_FAIL("Ed25519 keygen setup");
	if (rv == CKR_OK)
		rv = generate(ctx, &pk);
	if (rv == CKR_OK)
		rv = cid_pkey_point_attr(pk, true, pub);
	if (rv == CKR_OK && (EVP_PKEY_get_raw_private_key(pk, seed, &slen) <= 0 || slen != 32))
		rv = CID_OSSL_FAIL("reading the Ed25519 seed");
	if (rv == CKR_OK)
		rv = cid_attrs_set(priv, CKA_VALUE, seed, 32);
	if (rv == CKR_OK)
		rv = cid_attrs_set(priv, CKA_EC_PARAMS, params, (CK_ULONG)len);
	cid_wipe(seed, sizeof(seed));
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(ctx);
	return rv;
}
