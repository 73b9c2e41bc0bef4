/* Attributes a new object derives from its own content: certificate
 * fields from the DER value, and sizes and public parts of keys.  What
 * the creator gave must agree with what is derived; a mismatch is a
 * CKR_TEMPLATE_INCONSISTENT rather than a silent overwrite, because a
 * client that sent a different CKA_SUBJECT would otherwise search for an
 * object that does not exist. */
#include <string.h>

#include "common/log.h"
#include "p11/objects.h"

static const char *attr_name(CK_ATTRIBUTE_TYPE t)
{
	switch (t) {
	case CKA_SUBJECT: return "CKA_SUBJECT";
	case CKA_ISSUER: return "CKA_ISSUER";
	case CKA_SERIAL_NUMBER: return "CKA_SERIAL_NUMBER";
	case CKA_START_DATE: return "CKA_START_DATE";
	case CKA_END_DATE: return "CKA_END_DATE";
	case CKA_MODULUS: return "CKA_MODULUS";
	case CKA_PUBLIC_EXPONENT: return "CKA_PUBLIC_EXPONENT";
	case CKA_EC_POINT: return "CKA_EC_POINT";
	default: return "attribute";
	}
}

/* An Edwards point may be given bare (32 bytes) or as a DER OCTET STRING;
 * both name the same key. */
static bool same_point(const CK_ATTRIBUTE *given, const CK_ATTRIBUTE *made)
{
	const uint8_t *g = given->pValue, *m = made->pValue;

	if (given->ulValueLen == 32 && made->ulValueLen == 34 && m[0] == 0x04 && m[1] == 32)
		return memcmp(g, m + 2, 32) == 0;
	return false;
}

/* Adds every attribute of derived to a that the object's class knows,
 * refusing disagreement with a non-empty value already there. */
static CK_RV merge(CK_OBJECT_CLASS cls, CK_KEY_TYPE kt, cid_attrs *a, const cid_attrs *derived)
{
	for (size_t i = 0; i < derived->n; i++) {
		const CK_ATTRIBUTE *d = &derived->v[i];
		const CK_ATTRIBUTE *have = cid_attrs_get(a, d->type);
		CK_RV rv;

		if (!cid_rule_find(cls, kt, d->type))
			continue;
		if (have && have->ulValueLen != 0) {
			if (have->ulValueLen == d->ulValueLen &&
			    memcmp(have->pValue, d->pValue, d->ulValueLen) == 0)
				continue;
			if (d->type == CKA_EC_POINT && same_point(have, d))
				continue;
			CID_WARN("refused: %s given does not match the object's content",
			         attr_name(d->type));
			return CKR_TEMPLATE_INCONSISTENT;
		}
		if ((rv = cid_attrs_set(a, d->type, d->pValue, d->ulValueLen)) != CKR_OK)
			return rv;
	}
	return CKR_OK;
}

CK_RV cid_rules_cert(cid_attrs *a)
{
	const CK_ATTRIBUTE *v = cid_attrs_get(a, CKA_VALUE);
	cid_attrs derived = CID_ATTRS_INIT;
	CK_RV rv;

	if (!v || v->ulValueLen == 0) {
		CID_WARN("refused: certificate without CKA_VALUE");
		return CKR_TEMPLATE_INCOMPLETE;
	}
	rv = cid_x509_attrs(v->pValue, v->ulValueLen, &derived);
	if (rv != CKR_OK) {
		CID_WARN("refused: CKA_VALUE is not one well-formed X.509 certificate (%lu bytes)",
		         (unsigned long)v->ulValueLen);
		cid_attrs_clear(&derived);
		return rv == CKR_HOST_MEMORY ? rv : CKR_ATTRIBUTE_VALUE_INVALID;
	}
	rv = merge(CKO_CERTIFICATE, 0, a, &derived);
	cid_attrs_clear(&derived);
	return rv;
}

static bool has_value(const cid_attrs *a, CK_ATTRIBUTE_TYPE t)
{
	const CK_ATTRIBUTE *at = cid_attrs_get(a, t);
	return at && at->ulValueLen != 0;
}

static CK_RV need(const cid_attrs *a, CK_ATTRIBUTE_TYPE t, const char *name)
{
	if (has_value(a, t))
		return CKR_OK;
	CID_WARN("refused: key without %s", name);
	return CKR_TEMPLATE_INCOMPLETE;
}

static CK_RV secret_key(cid_attrs *a)
{
	const CK_ATTRIBUTE *v = cid_attrs_get(a, CKA_VALUE);
	CK_ULONG len;
	CK_RV rv;

	if (!v || v->ulValueLen == 0) {
		CID_WARN("refused: secret key without CKA_VALUE");
		return CKR_TEMPLATE_INCOMPLETE;
	}
	rv = cid_attrs_ulong(a, CKA_VALUE_LEN, &len);
	if (rv == CKR_OK && len != v->ulValueLen) {
		CID_WARN("refused: CKA_VALUE_LEN %lu differs from the value's length",
		         (unsigned long)len);
		return CKR_TEMPLATE_INCONSISTENT;
	}
	return cid_attrs_set_ulong(a, CKA_VALUE_LEN, v->ulValueLen);
}

/* The crypto layer's verdict, in the codes C_CreateObject may return. */
static CK_RV key_rv(CK_RV rv)
{
	if (rv == CKR_KEY_TYPE_INCONSISTENT)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	return rv;
}

CK_RV cid_rules_key(CK_OBJECT_CLASS cls, CK_KEY_TYPE kt, cid_attrs *a)
{
	cid_key *k = NULL;
	CK_RV rv;

	if (cls == CKO_SECRET_KEY)
		return secret_key(a);

	if (kt == CKK_RSA) {
		if ((rv = need(a, CKA_MODULUS, "CKA_MODULUS")) != CKR_OK)
			return rv;
		if (cls == CKO_PUBLIC_KEY &&
		    (rv = need(a, CKA_PUBLIC_EXPONENT, "CKA_PUBLIC_EXPONENT")) != CKR_OK)
			return rv;
		if (cls == CKO_PRIVATE_KEY &&
		    (rv = need(a, CKA_PRIVATE_EXPONENT, "CKA_PRIVATE_EXPONENT")) != CKR_OK)
			return rv;
	} else {
		const CK_ATTRIBUTE *p;
		CK_ULONG bits;

		if ((rv = need(a, CKA_EC_PARAMS, "CKA_EC_PARAMS")) != CKR_OK)
			return rv;
		p = cid_attrs_get(a, CKA_EC_PARAMS);
		if ((rv = cid_ec_params_bits(kt, p->pValue, p->ulValueLen, &bits)) != CKR_OK) {
			CID_WARN("refused: CKA_EC_PARAMS not usable for this key type (%lu bytes)",
			         (unsigned long)p->ulValueLen);
			return rv;
		}
		if (cls == CKO_PUBLIC_KEY && (rv = need(a, CKA_EC_POINT, "CKA_EC_POINT")) != CKR_OK)
			return rv;
		if (cls == CKO_PRIVATE_KEY && (rv = need(a, CKA_VALUE, "CKA_VALUE")) != CKR_OK)
			return rv;
	}

	/* A private EC key is built from its value alone, so that a given
	 * point that does not belong to it shows as a contradiction below. */
	if (cls == CKO_PRIVATE_KEY && kt != CKK_RSA) {
		cid_attrs bare = CID_ATTRS_INIT;
		if ((rv = cid_attrs_copy(&bare, a)) == CKR_OK) {
			cid_attrs_remove(&bare, CKA_EC_POINT);
			rv = cid_key_from_attrs(cls, kt, &bare, &k);
		}
		cid_attrs_clear(&bare);
	} else {
		rv = cid_key_from_attrs(cls, kt, a, &k);
	}
	if (rv != CKR_OK) {
		CID_WARN("refused: key material rejected by the crypto layer (0x%lx)",
		         (unsigned long)rv);
		return key_rv(rv);
	}

	if (cls == CKO_PUBLIC_KEY && kt == CKK_RSA) {
		CK_ULONG given, bits = cid_key_bits(k);

		if (cid_attrs_ulong(a, CKA_MODULUS_BITS, &given) == CKR_OK && given != bits) {
			CID_WARN("refused: CKA_MODULUS_BITS %lu, modulus has %lu bits",
			         (unsigned long)given, (unsigned long)bits);
			rv = CKR_TEMPLATE_INCONSISTENT;
		} else {
			rv = cid_attrs_set_ulong(a, CKA_MODULUS_BITS, bits);
		}
	} else if (cls == CKO_PRIVATE_KEY) {
		cid_attrs pub = CID_ATTRS_INIT;

		rv = cid_key_public_attrs(k, &pub);
		if (rv == CKR_OK)
			rv = merge(cls, kt, a, &pub);
		cid_attrs_clear(&pub);
	}
	cid_key_unref(&k);
	return rv;
}
