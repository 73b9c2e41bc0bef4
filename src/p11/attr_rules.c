/* The spec's rules for attributes: what a creator must give, what it may
 * not give, which changes are allowed afterwards and which values are
 * never revealed.  The per-attribute facts live in attr_table.c, the
 * defaults in attr_defaults.c, derived values in attr_material.c; this
 * file applies them. */
#include <string.h>

#include "common/log.h"
#include "p11/objects.h"

static bool is_key(CK_OBJECT_CLASS cls)
{
	return cls == CKO_PUBLIC_KEY || cls == CKO_PRIVATE_KEY || cls == CKO_SECRET_KEY;
}

static bool same_value(const CK_ATTRIBUTE *a, const CK_ATTRIBUTE *b)
{
	if (a->ulValueLen != b->ulValueLen)
		return false;
	if (cid_attr_kind_of(a->type) == CID_AK_BOOL && a->ulValueLen == sizeof(CK_BBOOL))
		return (*(const CK_BBOOL *)a->pValue != CK_FALSE) ==
		       (*(const CK_BBOOL *)b->pValue != CK_FALSE);
	return a->ulValueLen == 0 || memcmp(a->pValue, b->pValue, a->ulValueLen) == 0;
}

bool cid_attrs_equal(const cid_attrs *a, const cid_attrs *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const CK_ATTRIBUTE *o = cid_attrs_get(b, a->v[i].type);
		if (!o || !same_value(&a->v[i], o))
			return false;
	}
	return true;
}

CK_RV cid_rules_template(const CK_ATTRIBUTE *tmpl, CK_ULONG n, bool copying)
{
	for (CK_ULONG i = 0; i < n; i++) {
		const CK_ATTRIBUTE *at = &tmpl[i];
		/* Every module-set attribute belongs to private keys. */
		const cid_attr_rule *r = cid_rule_find(CKO_PRIVATE_KEY, CKK_RSA, at->type);

		if (at->type & CKF_ARRAY_ATTRIBUTE) {
			CID_WARN("refused: array attribute 0x%lx is not supported",
			         (unsigned long)at->type);
			return CKR_ATTRIBUTE_TYPE_INVALID;
		}
		if (cid_attr_check_value(at) != CKR_OK) {
			CID_WARN("refused: attribute 0x%lx has a malformed value (%lu bytes)",
			         (unsigned long)at->type, (unsigned long)at->ulValueLen);
			return CKR_ATTRIBUTE_VALUE_INVALID;
		}
		/* A copy's template is checked against its source instead
		 * (cid_rules_may_set), where restating a value is allowed. */
		if (!copying && r && (r->flags & CID_AF_MODULE)) {
			CID_WARN("refused: attribute 0x%lx is set by the module only",
			         (unsigned long)at->type);
			return CKR_ATTRIBUTE_READ_ONLY;
		}
		for (CK_ULONG j = 0; j < i; j++) {
			if (tmpl[j].type == at->type && !same_value(&tmpl[j], at)) {
				CID_WARN("refused: attribute 0x%lx given twice with different values",
				         (unsigned long)at->type);
				return CKR_TEMPLATE_INCONSISTENT;
			}
		}
	}
	return CKR_OK;
}

static CK_RV class_of(const cid_attrs *a, CK_OBJECT_CLASS *cls, CK_KEY_TYPE *kt)
{
	CK_RV rv = cid_attrs_ulong(a, CKA_CLASS, cls);

	*kt = 0;
	if (rv != CKR_OK) {
		CID_WARN("refused: object without a valid CKA_CLASS");
		return rv;
	}
	if (!is_key(*cls))
		return CKR_OK;
	if ((rv = cid_attrs_ulong(a, CKA_KEY_TYPE, kt)) != CKR_OK)
		CID_WARN("refused: key without a valid CKA_KEY_TYPE");
	return rv;
}

/* Classes and types this module stores. */
static CK_RV supported(const cid_attrs *a, CK_OBJECT_CLASS cls, CK_KEY_TYPE kt)
{
	CK_ULONG ct;
	CK_RV rv;

	switch (cls) {
	case CKO_DATA:
		return CKR_OK;
	case CKO_CERTIFICATE:
		if ((rv = cid_attrs_ulong(a, CKA_CERTIFICATE_TYPE, &ct)) != CKR_OK) {
			CID_WARN("refused: certificate without CKA_CERTIFICATE_TYPE");
			return rv;
		}
		if (ct != CKC_X_509) {
			CID_WARN("refused: certificate type 0x%lx (only X.509)", (unsigned long)ct);
			return CKR_ATTRIBUTE_VALUE_INVALID;
		}
		return CKR_OK;
	case CKO_PUBLIC_KEY:
	case CKO_PRIVATE_KEY:
		if (kt == CKK_RSA || kt == CKK_EC || kt == CKK_EC_EDWARDS)
			return CKR_OK;
		break;
	case CKO_SECRET_KEY:
		if (kt == CKK_GENERIC_SECRET)
			return CKR_OK;
		break;
	case CKO_PROFILE:
		CID_WARN("refused: CKO_PROFILE objects are made by the module, not by callers");
		return CKR_ATTRIBUTE_VALUE_INVALID;
	default:
		CID_WARN("refused: object class 0x%lx is not supported", (unsigned long)cls);
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	CID_WARN("refused: key type 0x%lx is not supported for class 0x%lx",
	         (unsigned long)kt, (unsigned long)cls);
	return CKR_ATTRIBUTE_VALUE_INVALID;
}

static CK_RV check_members(cid_origin origin, CK_OBJECT_CLASS cls, CK_KEY_TYPE kt, const cid_attrs *a)
{
	for (size_t i = 0; i < a->n; i++) {
		const CK_ATTRIBUTE *at = &a->v[i];
		const cid_attr_rule *r = cid_rule_find(cls, kt, at->type);

		if (!r) {
			CID_WARN("refused: attribute 0x%lx does not belong to class 0x%lx",
			         (unsigned long)at->type, (unsigned long)cls);
			return CKR_ATTRIBUTE_TYPE_INVALID;
		}
		if (cid_attr_check_value(at) != CKR_OK) {
			CID_WARN("refused: attribute 0x%lx has a malformed value (%lu bytes)",
			         (unsigned long)at->type, (unsigned long)at->ulValueLen);
			return CKR_ATTRIBUTE_VALUE_INVALID;
		}
		if (origin == CID_ORIGIN_CREATE && (r->flags & CID_AF_MODULE)) {
			CID_WARN("refused: attribute 0x%lx is set by the module only",
			         (unsigned long)at->type);
			return CKR_ATTRIBUTE_READ_ONLY;
		}
	}
	return CKR_OK;
}

/* CKA_LOCAL and its companions record how the key came to be; a copy is
 * the same key, so it keeps its source's values. */
static CK_RV provenance(cid_origin origin, CK_OBJECT_CLASS cls, cid_attrs *a)
{
	bool secret = cls == CKO_PRIVATE_KEY || cls == CKO_SECRET_KEY;
	bool sens = cid_attrs_bool(a, CKA_SENSITIVE, true);
	bool extr = cid_attrs_bool(a, CKA_EXTRACTABLE, false);
	bool always = false, never = false;
	CK_RV rv;

	if (origin == CID_ORIGIN_COPY)
		return CKR_OK;
	switch (origin) {
	case CID_ORIGIN_GENERATE:
	case CID_ORIGIN_TOKEN_GENERATE:
		always = sens;
		never = !extr;
		break;
	case CID_ORIGIN_DERIVE:
		/* The deriving code may pass the base key's values in. */
		always = sens && cid_attrs_bool(a, CKA_ALWAYS_SENSITIVE, true);
		never = !extr && cid_attrs_bool(a, CKA_NEVER_EXTRACTABLE, true);
		break;
	default:
		break;
	}
	bool generated = origin == CID_ORIGIN_GENERATE || origin == CID_ORIGIN_TOKEN_GENERATE;

	if ((rv = cid_attrs_set_bool(a, CKA_LOCAL, generated)) != CKR_OK)
		return rv;
	if (!generated || !cid_attrs_get(a, CKA_KEY_GEN_MECHANISM))
		if ((rv = cid_attrs_set_ulong(a, CKA_KEY_GEN_MECHANISM, CK_UNAVAILABLE_INFORMATION)) != CKR_OK)
			return rv;
	if (!secret)
		return CKR_OK;
	if ((rv = cid_attrs_set_bool(a, CKA_ALWAYS_SENSITIVE, always)) != CKR_OK)
		return rv;
	return cid_attrs_set_bool(a, CKA_NEVER_EXTRACTABLE, never);
}

/* Callers may send any non-zero byte for true; store exactly CK_TRUE so
 * that byte-wise searches match. */
static CK_RV normalise_bools(cid_attrs *a)
{
	for (size_t i = 0; i < a->n; i++) {
		CK_ATTRIBUTE *at = &a->v[i];
		if (cid_attr_kind_of(at->type) == CID_AK_BOOL && at->ulValueLen == sizeof(CK_BBOOL))
			*(CK_BBOOL *)at->pValue = *(CK_BBOOL *)at->pValue ? CK_TRUE : CK_FALSE;
	}
	return CKR_OK;
}

CK_RV cid_rules_complete(cid_origin origin, cid_attrs *a)
{
	CK_OBJECT_CLASS cls;
	CK_KEY_TYPE kt;
	CK_RV rv;

	if ((rv = class_of(a, &cls, &kt)) != CKR_OK)
		return rv;
	if ((rv = supported(a, cls, kt)) != CKR_OK)
		return rv;
	if ((rv = check_members(origin, cls, kt, a)) != CKR_OK)
		return rv;
	/* A copy's content was checked when its source was made and cannot
	 * have changed since (those attributes are fixed). */
	if (origin != CID_ORIGIN_COPY) {
		if (cls == CKO_CERTIFICATE)
			rv = cid_rules_cert(a);
		else if (is_key(cls) && origin != CID_ORIGIN_TOKEN_GENERATE)
			rv = cid_rules_key(cls, kt, a);
		if (rv != CKR_OK)
			return rv;
	}
	if ((rv = cid_rules_defaults(cls, kt, a)) != CKR_OK)
		return rv;
	if (is_key(cls) && (rv = provenance(origin, cls, a)) != CKR_OK)
		return rv;
	return normalise_bools(a);
}

CK_RV cid_rules_may_set(const cid_attrs *a, const CK_ATTRIBUTE *t, bool copying)
{
	CK_OBJECT_CLASS cls;
	CK_KEY_TYPE kt;
	const cid_attr_rule *r;
	const CK_ATTRIBUTE *cur;

	if (t->type & CKF_ARRAY_ATTRIBUTE) {
		CID_WARN("refused: array attribute 0x%lx is not supported", (unsigned long)t->type);
		return CKR_ATTRIBUTE_TYPE_INVALID;
	}
	if (class_of(a, &cls, &kt) != CKR_OK)
		return CKR_GENERAL_ERROR;
	if (!(r = cid_rule_find(cls, kt, t->type))) {
		CID_WARN("refused: attribute 0x%lx does not belong to class 0x%lx",
		         (unsigned long)t->type, (unsigned long)cls);
		return CKR_ATTRIBUTE_TYPE_INVALID;
	}
	if (cid_attr_check_value(t) != CKR_OK) {
		CID_WARN("refused: attribute 0x%lx has a malformed value (%lu bytes)",
		         (unsigned long)t->type, (unsigned long)t->ulValueLen);
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	if (!copying && !cid_attrs_bool(a, CKA_MODIFIABLE, true)) {
		CID_WARN("refused: object is not modifiable (CKA_MODIFIABLE false)");
		return CKR_ACTION_PROHIBITED;
	}
	cur = cid_attrs_get(a, t->type);
	/* Restating the current value changes nothing; clients copy whole
	 * templates that include CKA_CLASS and the like. */
	if (cur && same_value(cur, t))
		return CKR_OK;
	if ((r->flags & (CID_AF_FIXED | CID_AF_MODULE)) || ((r->flags & CID_AF_COPY) && !copying)) {
		CID_WARN("refused: attribute 0x%lx cannot be changed %s", (unsigned long)t->type,
		         copying ? "by a copy" : "after creation");
		return CKR_ATTRIBUTE_READ_ONLY;
	}
	if (cur && cur->ulValueLen == sizeof(CK_BBOOL)) {
		bool was = *(const CK_BBOOL *)cur->pValue != CK_FALSE;
		bool want = *(const CK_BBOOL *)t->pValue != CK_FALSE;

		if (((r->flags & CID_AF_TO_TRUE) && was && !want) ||
		    ((r->flags & CID_AF_TO_FALSE) && !was && want)) {
			CID_WARN("refused: attribute 0x%lx may only change one way",
			         (unsigned long)t->type);
			return CKR_ATTRIBUTE_VALUE_INVALID;
		}
	}
	return CKR_OK;
}

bool cid_rules_readable(const cid_attrs *a, CK_ATTRIBUTE_TYPE t)
{
	CK_OBJECT_CLASS cls;
	CK_KEY_TYPE kt;
	const cid_attr_rule *r;

	if (class_of(a, &cls, &kt) != CKR_OK)
		return false;
	r = cid_rule_find(cls, kt, t);
	if (!r || !(r->flags & CID_AF_SECRET))
		return true;
	return !cid_attrs_bool(a, CKA_SENSITIVE, true) && cid_attrs_bool(a, CKA_EXTRACTABLE, false);
}

bool cid_rules_known(CK_OBJECT_CLASS cls, CK_ATTRIBUTE_TYPE t)
{
	static const CK_KEY_TYPE kts[] = { CKK_RSA, CKK_EC, CKK_GENERIC_SECRET };

	if (!is_key(cls))
		return cid_rule_find(cls, 0, t) != NULL;
	for (size_t i = 0; i < sizeof(kts) / sizeof(kts[0]); i++)
		if (cid_rule_find(cls, kts[i], t))
			return true;
	return false;
}
