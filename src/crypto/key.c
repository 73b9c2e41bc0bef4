/* Keys: construction from PKCS#11 attributes (EC and Ed25519 here, RSA in
 * key_rsa.c), reference counting and public-material export. */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include "common/log.h"
#include "common/mem.h"
#include "crypto/internal.h"

#define EC_POINT_MAX (1 + 2 * 48)

cid_key *cid_key_alloc(CK_KEY_TYPE kt, bool priv)
{
	cid_key *k = calloc(1, sizeof(*k));

	if (k == NULL)
		return NULL;
	atomic_init(&k->refs, 1);
	for (size_t i = 0; i < CID_TMPL_MAX; i++)
		atomic_init(&k->tmpl[i], NULL);
	k->type = kt;
	k->priv = priv;
	return k;
}

static void key_destroy(cid_key *k)
{
	cid_key_free_templates(k);
	if (k->ext_free != NULL)
		k->ext_free(k->ext_ctx);
	EVP_PKEY_free(k->pkey);
	free(k->modulus);
	free(k);
}

cid_key *cid_key_ref(cid_key *k)
{
	if (k != NULL)
		atomic_fetch_add_explicit(&k->refs, 1, memory_order_relaxed);
	return k;
}

void cid_key_unref(cid_key **kp)
{
	cid_key *k;

	if (kp == NULL || *kp == NULL)
		return;
	k = *kp;
	*kp = NULL;
	if (atomic_fetch_sub_explicit(&k->refs, 1, memory_order_acq_rel) == 1)
		key_destroy(k);
}

CK_KEY_TYPE cid_key_type(const cid_key *k)
{
	return k->type;
}

bool cid_key_is_private(const cid_key *k)
{
	return k->priv;
}

CK_ULONG cid_key_bits(const cid_key *k)
{
	return k->bits;
}

/* ---- EC and Ed25519 ----------------------------------------------------- */

/* CKA_EC_POINT: DER OCTET STRING around the point, or the bare point. */
static const uint8_t *point_from_attr(const CK_ATTRIBUTE *at, size_t want)
{
	const uint8_t *p = at->pValue, *v;
	size_t vlen;
	uint8_t tag;

	if (p == NULL)
		return NULL;
	if (at->ulValueLen == want)
		return p;
	if (cid_der_single(p, at->ulValueLen, &tag, &v, &vlen) && tag == 0x04 && vlen == want)
		return v;
	return NULL;
}

static CK_RV ec_pub_point(const cid_attrs *a, const cid_curve_info *ci, const uint8_t **pt, bool required)
{
	const CK_ATTRIBUTE *at = cid_attrs_get(a, CKA_EC_POINT);
	size_t want = ci->id == CID_CURVE_ED25519 ? 32 : 2 * ci->fb + 1;

	*pt = NULL;
	if (at == NULL) {
		if (required)
			CID_INFO("CKA_EC_POINT missing");
		return required ? CKR_TEMPLATE_INCOMPLETE : CKR_OK;
	}
	*pt = point_from_attr(at, want);
	if (*pt == NULL || (ci->id != CID_CURVE_ED25519 && (*pt)[0] != 0x04)) {
		CID_INFO("CKA_EC_POINT malformed (%lu bytes)", (unsigned long)at->ulValueLen);
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	return CKR_OK;
}

/* The private scalar, left-padded to the field length and checked to lie
 * in [1, n-1]; also computes the public point d*G. */
static CK_RV ec_scalar(const CK_ATTRIBUTE *at, const cid_curve_info *ci, BIGNUM **dout,
                       uint8_t *pub, size_t *publen)
{
	const uint8_t *v = at->pValue;
	size_t len = at->ulValueLen;
	EC_GROUP *g = NULL;
	EC_POINT *q = NULL;
	BIGNUM *d = NULL;
	CK_RV rv = CKR_ATTRIBUTE_VALUE_INVALID;

	while (v != NULL && len > 0 && v[0] == 0) {
		v++;
		len--;
	}
	if (v == NULL || len == 0 || len > ci->fb) {
		CID_INFO("EC private value has a bad length");
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	g = EC_GROUP_new_by_curve_name_ex(cid_libctx(), NULL, ci->nid);
	d = BN_secure_new();
	q = g != NULL ? EC_POINT_new(g) : NULL;
	if (g == NULL || d == NULL || q == NULL) {
		rv = CID_OSSL_FAIL("EC group setup");
		goto out;
	}
	BN_set_flags(d, BN_FLG_CONSTTIME);
	if (BN_bin2bn(v, (int)len, d) == NULL) {
		rv = CID_OSSL_FAIL("BN_bin2bn");
		goto out;
	}
	if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(g)) >= 0) {
		CID_INFO("EC private value out of range");
		goto out;
	}
	if (!EC_POINT_mul(g, q, d, NULL, NULL, NULL)) {
		rv = CID_OSSL_FAIL("EC_POINT_mul");
		goto out;
	}
	*publen = EC_POINT_point2oct(g, q, POINT_CONVERSION_UNCOMPRESSED, pub, EC_POINT_MAX, NULL);
	if (*publen != 2 * ci->fb + 1) {
		rv = CID_OSSL_FAIL("EC_POINT_point2oct");
		goto out;
	}
	*dout = d;
	d = NULL;
	rv = CKR_OK;
out:
	BN_clear_free(d);
	EC_POINT_free(q);
	EC_GROUP_free(g);
	return rv;
}

static CK_RV ec_from_attrs(cid_key *k, const cid_curve_info *ci, const cid_attrs *a)
{
	uint8_t pub[EC_POINT_MAX];
	size_t publen = 0;
	const uint8_t *given;
	BIGNUM *d = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *prm = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	CK_RV rv = ec_pub_point(a, ci, &given, !k->priv);

	if (rv != CKR_OK)
		return rv;
	if (k->priv) {
		const CK_ATTRIBUTE *at = cid_attrs_get(a, CKA_VALUE);

		if (at == NULL) {
			CID_INFO("EC private key without CKA_VALUE");
			return CKR_TEMPLATE_INCOMPLETE;
		}
		rv = ec_scalar(at, ci, &d, pub, &publen);
		if (rv != CKR_OK)
			return rv;
		if (given != NULL && memcmp(given, pub, publen) != 0) {
			CID_INFO("CKA_EC_POINT does not match the private value");
			rv = CKR_ATTRIBUTE_VALUE_INVALID;
			goto out;
		}
	} else {
		publen = 2 * ci->fb + 1;
		memcpy(pub, given, publen);
	}
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, ci->group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, publen) ||
	    (d != NULL && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d)) ||
	    (prm = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(cid_libctx(), CID_KT_EC, NULL)) == NULL || EVP_PKEY_fromdata_init(ctx) <= 0) {
		rv = CID_OSSL_FAIL("EC key import setup");
		goto out;
	}
	if (EVP_PKEY_fromdata(ctx, &k->pkey, k->priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, prm) <= 0) {
		/* The import checks that the point lies on the curve. */
		CID_INFO("EC key rejected (point not on the curve?)");
		ERR_clear_error();
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
		goto out;
	}
	rv = CKR_OK;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(prm);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(d);
	return rv;
}

static CK_RV ed_from_attrs(cid_key *k, const cid_attrs *a)
{
	const cid_curve_info *ci = cid_curve_get(CID_CURVE_ED25519);
	const uint8_t *given;
	CK_RV rv = ec_pub_point(a, ci, &given, !k->priv);

	if (rv != CKR_OK)
		return rv;
	if (k->priv) {
		const CK_ATTRIBUTE *at = cid_attrs_get(a, CKA_VALUE);
		uint8_t pub[32];
		size_t publen = sizeof(pub);

		if (at == NULL) {
			CID_INFO("Ed25519 private key without CKA_VALUE");
			return CKR_TEMPLATE_INCOMPLETE;
		}
		if (at->pValue == NULL || at->ulValueLen != 32) {
			CID_INFO("Ed25519 private value must be 32 bytes, got %lu", (unsigned long)at->ulValueLen);
			return CKR_ATTRIBUTE_VALUE_INVALID;
		}
		k->pkey = EVP_PKEY_new_raw_private_key_ex(cid_libctx(), CID_KT_ED25519, NULL, at->pValue, 32);
		if (k->pkey == NULL)
			return CID_OSSL_FAIL("Ed25519 private import");
		if (EVP_PKEY_get_raw_public_key(k->pkey, pub, &publen) <= 0)
			return CID_OSSL_FAIL("Ed25519 public derivation");
		if (given != NULL && memcmp(given, pub, 32) != 0) {
			CID_INFO("CKA_EC_POINT does not match the Ed25519 private value");
			return CKR_ATTRIBUTE_VALUE_INVALID;
		}
	} else {
		k->pkey = EVP_PKEY_new_raw_public_key_ex(cid_libctx(), CID_KT_ED25519, NULL, given, 32);
		if (k->pkey == NULL) {
			CID_INFO("Ed25519 public key rejected");
			ERR_clear_error();
			return CKR_ATTRIBUTE_VALUE_INVALID;
		}
	}
	return CKR_OK;
}

CK_RV cid_key_from_attrs(CK_OBJECT_CLASS cls, CK_KEY_TYPE kt, const cid_attrs *a, cid_key **out)
{
	cid_key *k;
	CK_RV rv;

	if (out == NULL || a == NULL)
		return CKR_ARGUMENTS_BAD;
	*out = NULL;
	if (cls != CKO_PUBLIC_KEY && cls != CKO_PRIVATE_KEY) {
		CID_INFO("object class 0x%lx is not an asymmetric key", (unsigned long)cls);
		return CKR_KEY_TYPE_INCONSISTENT;
	}
	if (kt != CKK_RSA && kt != CKK_EC && kt != CKK_EC_EDWARDS) {
		CID_INFO("key type 0x%lx not supported", (unsigned long)kt);
		return CKR_KEY_TYPE_INCONSISTENT;
	}
	k = cid_key_alloc(kt, cls == CKO_PRIVATE_KEY);
	if (k == NULL)
		return CID_OOM();
	if (kt == CKK_RSA) {
		rv = cid_rsa_from_attrs(k, a);
	} else {
		const CK_ATTRIBUTE *p = cid_attrs_get(a, CKA_EC_PARAMS);
		cid_curve c = CID_CURVE_NONE;

		if (p == NULL) {
			CID_INFO("CKA_EC_PARAMS missing");
			rv = CKR_TEMPLATE_INCOMPLETE;
		} else {
			rv = cid_curve_from_params(kt, p->pValue, p->ulValueLen, &c);
			/* A well-formed but unknown curve is not a key we can use. */
			if (rv == CKR_CURVE_NOT_SUPPORTED)
				rv = CKR_KEY_TYPE_INCONSISTENT;
		}
		if (rv == CKR_OK) {
			const cid_curve_info *ci = cid_curve_get(c);

			k->curve = c;
			k->bits = ci->bits;
			k->size = ci->fb;
			rv = c == CID_CURVE_ED25519 ? ed_from_attrs(k, a) : ec_from_attrs(k, ci, a);
		}
	}
	if (rv != CKR_OK) {
		cid_key_unref(&k);
		return rv;
	}
	*out = k;
	return CKR_OK;
}

/* ---- export ------------------------------------------------------------- */

CK_RV cid_pkey_point_attr(EVP_PKEY *pk, bool ed, cid_attrs *out)
{
	uint8_t pt[EC_POINT_MAX], *der = NULL;
	size_t len = sizeof(pt), derlen = 0;
	CK_RV rv;
	int ok = ed ? EVP_PKEY_get_raw_public_key(pk, pt, &len)
	            : EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &len);

	if (ok <= 0)
		return CID_OSSL_FAIL("reading the public point");
	rv = cid_der_octet(pt, len, &der, &derlen);
	if (rv == CKR_OK)
		rv = cid_attrs_set(out, CKA_EC_POINT, der, (CK_ULONG)derlen);
	free(der);
	return rv;
}

CK_RV cid_key_public_attrs(const cid_key *k, cid_attrs *out)
{
	if (k == NULL || out == NULL)
		return CKR_ARGUMENTS_BAD;
	if (k->type == CKK_RSA)
		return cid_rsa_public_attrs(k->pkey, out);
	return cid_pkey_point_attr(k->pkey, k->curve == CID_CURVE_ED25519, out);
}
