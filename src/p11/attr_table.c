/* Which attributes each kind of object has, and who may change them.
 *
 * The spec describes objects as a class hierarchy (storage object ->
 * key -> private key -> RSA private key); each level below is one table
 * and an object's attributes are the union of the tables on its path.
 * Everything the rules do with an attribute (length checks, read-only,
 * one-way changes, hiding secrets) is read from these flags, so adding an
 * attribute is one line here.
 *
 * Choices where the spec leaves room (see also attr_defaults.c):
 *   - certificate CKA_SUBJECT, CKA_ISSUER, CKA_SERIAL_NUMBER and the dates
 *     are fixed: they are derived from CKA_VALUE and must stay equal to it;
 *   - CKA_ALWAYS_AUTHENTICATE is fixed at creation, so that a signing key
 *     cannot be relaxed later;
 *   - CKA_COPYABLE may only be turned off, CKA_DESTROYABLE either way
 *     (CKA_MODIFIABLE false protects it). */
#include <string.h>

#include "p11/objects.h"

#define ROW(t, k, f) { (t), (k), (f) }
#define B CID_AK_BOOL
#define U CID_AK_ULONG
#define Y CID_AK_BYTES
#define D CID_AK_DATE

static const cid_attr_rule storage_rules[] = {
	ROW(CKA_CLASS, U, CID_AF_FIXED),
	ROW(CKA_TOKEN, B, CID_AF_COPY),
	ROW(CKA_PRIVATE, B, CID_AF_COPY),
	ROW(CKA_MODIFIABLE, B, CID_AF_COPY),
	ROW(CKA_COPYABLE, B, CID_AF_TO_FALSE),
	ROW(CKA_DESTROYABLE, B, 0),
	ROW(CKA_LABEL, Y, 0),
	ROW(CKA_UNIQUE_ID, Y, CID_AF_MODULE),
};

static const cid_attr_rule data_rules[] = {
	ROW(CKA_APPLICATION, Y, 0),
	ROW(CKA_OBJECT_ID, Y, 0),
	ROW(CKA_VALUE, Y, 0),
};

static const cid_attr_rule cert_rules[] = {
	ROW(CKA_CERTIFICATE_TYPE, U, CID_AF_FIXED),
	ROW(CKA_TRUSTED, B, CID_AF_SO),
	ROW(CKA_CERTIFICATE_CATEGORY, U, 0),
	ROW(CKA_CHECK_VALUE, Y, CID_AF_FIXED),
	ROW(CKA_START_DATE, D, CID_AF_FIXED),
	ROW(CKA_END_DATE, D, CID_AF_FIXED),
	ROW(CKA_PUBLIC_KEY_INFO, Y, CID_AF_FIXED),
	/* X.509 public key certificates */
	ROW(CKA_SUBJECT, Y, CID_AF_FIXED),
	ROW(CKA_ID, Y, 0),
	ROW(CKA_ISSUER, Y, CID_AF_FIXED),
	ROW(CKA_SERIAL_NUMBER, Y, CID_AF_FIXED),
	ROW(CKA_VALUE, Y, CID_AF_FIXED),
	ROW(CKA_URL, Y, CID_AF_FIXED),
	ROW(CKA_HASH_OF_SUBJECT_PUBLIC_KEY, Y, CID_AF_FIXED),
	ROW(CKA_HASH_OF_ISSUER_PUBLIC_KEY, Y, CID_AF_FIXED),
	ROW(CKA_JAVA_MIDP_SECURITY_DOMAIN, U, CID_AF_FIXED),
	ROW(CKA_NAME_HASH_ALGORITHM, U, CID_AF_FIXED),
};

static const cid_attr_rule key_rules[] = {
	ROW(CKA_KEY_TYPE, U, CID_AF_FIXED),
	ROW(CKA_ID, Y, 0),
	ROW(CKA_START_DATE, D, 0),
	ROW(CKA_END_DATE, D, 0),
	ROW(CKA_DERIVE, B, 0),
	ROW(CKA_LOCAL, B, CID_AF_MODULE),
	ROW(CKA_KEY_GEN_MECHANISM, U, CID_AF_MODULE),
};

static const cid_attr_rule public_rules[] = {
	ROW(CKA_SUBJECT, Y, 0),
	ROW(CKA_ENCRYPT, B, 0),
	ROW(CKA_VERIFY, B, 0),
	ROW(CKA_VERIFY_RECOVER, B, 0),
	ROW(CKA_WRAP, B, 0),
	ROW(CKA_TRUSTED, B, CID_AF_SO),
	ROW(CKA_PUBLIC_KEY_INFO, Y, CID_AF_FIXED),
};

static const cid_attr_rule private_rules[] = {
	ROW(CKA_SUBJECT, Y, 0),
	ROW(CKA_SENSITIVE, B, CID_AF_TO_TRUE),
	ROW(CKA_DECRYPT, B, 0),
	ROW(CKA_SIGN, B, 0),
	ROW(CKA_SIGN_RECOVER, B, 0),
	ROW(CKA_UNWRAP, B, 0),
	ROW(CKA_EXTRACTABLE, B, CID_AF_TO_FALSE),
	ROW(CKA_ALWAYS_SENSITIVE, B, CID_AF_MODULE),
	ROW(CKA_NEVER_EXTRACTABLE, B, CID_AF_MODULE),
	ROW(CKA_WRAP_WITH_TRUSTED, B, CID_AF_TO_TRUE),
	ROW(CKA_ALWAYS_AUTHENTICATE, B, CID_AF_FIXED),
	ROW(CKA_PUBLIC_KEY_INFO, Y, CID_AF_FIXED),
};

static const cid_attr_rule secret_rules[] = {
	ROW(CKA_SENSITIVE, B, CID_AF_TO_TRUE),
	ROW(CKA_ENCRYPT, B, 0),
	ROW(CKA_DECRYPT, B, 0),
	ROW(CKA_SIGN, B, 0),
	ROW(CKA_VERIFY, B, 0),
	ROW(CKA_WRAP, B, 0),
	ROW(CKA_UNWRAP, B, 0),
	ROW(CKA_EXTRACTABLE, B, CID_AF_TO_FALSE),
	ROW(CKA_ALWAYS_SENSITIVE, B, CID_AF_MODULE),
	ROW(CKA_NEVER_EXTRACTABLE, B, CID_AF_MODULE),
	ROW(CKA_CHECK_VALUE, Y, CID_AF_FIXED),
	ROW(CKA_WRAP_WITH_TRUSTED, B, CID_AF_TO_TRUE),
	ROW(CKA_TRUSTED, B, CID_AF_SO),
	/* generic secret */
	ROW(CKA_VALUE, Y, CID_AF_FIXED | CID_AF_SECRET),
	ROW(CKA_VALUE_LEN, U, CID_AF_FIXED),
};

static const cid_attr_rule rsa_public_rules[] = {
	ROW(CKA_MODULUS, Y, CID_AF_FIXED),
	ROW(CKA_MODULUS_BITS, U, CID_AF_FIXED),
	ROW(CKA_PUBLIC_EXPONENT, Y, CID_AF_FIXED),
};

static const cid_attr_rule rsa_private_rules[] = {
	ROW(CKA_MODULUS, Y, CID_AF_FIXED),
	ROW(CKA_PUBLIC_EXPONENT, Y, CID_AF_FIXED),
	ROW(CKA_PRIVATE_EXPONENT, Y, CID_AF_FIXED | CID_AF_SECRET),
	ROW(CKA_PRIME_1, Y, CID_AF_FIXED | CID_AF_SECRET),
	ROW(CKA_PRIME_2, Y, CID_AF_FIXED | CID_AF_SECRET),
	ROW(CKA_EXPONENT_1, Y, CID_AF_FIXED | CID_AF_SECRET),
	ROW(CKA_EXPONENT_2, Y, CID_AF_FIXED | CID_AF_SECRET),
	ROW(CKA_COEFFICIENT, Y, CID_AF_FIXED | CID_AF_SECRET),
};

/* EC and Edwards keys share their attributes. */
static const cid_attr_rule ec_public_rules[] = {
	ROW(CKA_EC_PARAMS, Y, CID_AF_FIXED),
	ROW(CKA_EC_POINT, Y, CID_AF_FIXED),
};

static const cid_attr_rule ec_private_rules[] = {
	ROW(CKA_EC_PARAMS, Y, CID_AF_FIXED),
	/* Public point of an imported or generated key, for clients that
	 * read it from the private key (pkcs11-tool, p11-kit). */
	ROW(CKA_EC_POINT, Y, CID_AF_FIXED),
	ROW(CKA_VALUE, Y, CID_AF_FIXED | CID_AF_SECRET),
};

static const cid_attr_rule profile_rules[] = {
	ROW(CKA_PROFILE_ID, U, CID_AF_FIXED),
};

typedef struct {
	const cid_attr_rule *rows;
	size_t n;
} rule_set;

#define SET(t) { (t), sizeof(t) / sizeof((t)[0]) }

static const cid_attr_rule *search(rule_set s, CK_ATTRIBUTE_TYPE t)
{
	for (size_t i = 0; i < s.n; i++)
		if (s.rows[i].type == t)
			return &s.rows[i];
	return NULL;
}

/* The tables on the path from storage object to the concrete kind; the
 * more specific table is searched first so that it can override. */
static size_t path_of(CK_OBJECT_CLASS cls, CK_KEY_TYPE kt, rule_set out[4])
{
	size_t n = 0;
	bool ec = kt == CKK_EC || kt == CKK_EC_EDWARDS;

	switch (cls) {
	case CKO_DATA:
		out[n++] = (rule_set)SET(data_rules);
		break;
	case CKO_CERTIFICATE:
		out[n++] = (rule_set)SET(cert_rules);
		break;
	case CKO_PUBLIC_KEY:
		if (kt == CKK_RSA)
			out[n++] = (rule_set)SET(rsa_public_rules);
		else if (ec)
			out[n++] = (rule_set)SET(ec_public_rules);
		out[n++] = (rule_set)SET(public_rules);
		out[n++] = (rule_set)SET(key_rules);
		break;
	case CKO_PRIVATE_KEY:
		if (kt == CKK_RSA)
			out[n++] = (rule_set)SET(rsa_private_rules);
		else if (ec)
			out[n++] = (rule_set)SET(ec_private_rules);
		out[n++] = (rule_set)SET(private_rules);
		out[n++] = (rule_set)SET(key_rules);
		break;
	case CKO_SECRET_KEY:
		out[n++] = (rule_set)SET(secret_rules);
		out[n++] = (rule_set)SET(key_rules);
		break;
	case CKO_PROFILE:
		out[n++] = (rule_set)SET(profile_rules);
		break;
	default:
		return 0;
	}
	out[n++] = (rule_set)SET(storage_rules);
	return n;
}

const cid_attr_rule *cid_rule_find(CK_OBJECT_CLASS cls, CK_KEY_TYPE kt, CK_ATTRIBUTE_TYPE t)
{
	rule_set path[4];
	size_t n = path_of(cls, kt, path);

	for (size_t i = 0; i < n; i++) {
		const cid_attr_rule *r = search(path[i], t);
		if (r)
			return r;
	}
	return NULL;
}

cid_attr_kind cid_attr_kind_of(CK_ATTRIBUTE_TYPE t)
{
	static const rule_set all[] = {
		SET(storage_rules), SET(data_rules), SET(cert_rules), SET(key_rules),
		SET(public_rules), SET(private_rules), SET(secret_rules),
		SET(rsa_private_rules), SET(rsa_public_rules), SET(ec_private_rules),
		SET(profile_rules),
	};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		const cid_attr_rule *r = search(all[i], t);
		if (r)
			return r->kind;
	}
	return CID_AK_BYTES;
}

static bool digits(const CK_CHAR *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

CK_RV cid_attr_check_value(const CK_ATTRIBUTE *at)
{
	if (at->pValue == NULL && at->ulValueLen != 0)
		return CKR_ATTRIBUTE_VALUE_INVALID;

	switch (cid_attr_kind_of(at->type)) {
	case CID_AK_BOOL:
		if (at->ulValueLen != sizeof(CK_BBOOL))
			return CKR_ATTRIBUTE_VALUE_INVALID;
		break;
	case CID_AK_ULONG:
		if (at->ulValueLen != sizeof(CK_ULONG))
			return CKR_ATTRIBUTE_VALUE_INVALID;
		break;
	case CID_AK_DATE:
		/* An empty date means "not given", as the spec allows. */
		if (at->ulValueLen == 0)
			break;
		if (at->ulValueLen != sizeof(CK_DATE) || !digits(at->pValue, sizeof(CK_DATE)))
			return CKR_ATTRIBUTE_VALUE_INVALID;
		break;
	case CID_AK_BYTES:
		break;
	}
	return CKR_OK;
}
