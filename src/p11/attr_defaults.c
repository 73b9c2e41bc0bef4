/* Default values of attributes a creator did not give.
 *
 * The spec leaves several defaults to the token; this module's choices:
 *   CKA_PRIVATE      true for private and secret keys, false for public
 *                    keys, certificates and data (certificates must be
 *                    readable before login, see clients.md)
 *   CKA_SENSITIVE    true   } a key's secret is never revealed unless the
 *   CKA_EXTRACTABLE  false  } creator asked for it explicitly
 *   usage flags      true for what the key type can do (RSA: sign, verify,
 *                    encrypt, decrypt; EC: sign, verify, derive;
 *                    Edwards: sign, verify), false otherwise; secret keys
 *                    from ECDH have no usage unless asked
 *   CKA_TOKEN false, CKA_MODIFIABLE/COPYABLE/DESTROYABLE true, labels, ids,
 *   subjects and dates empty, as the spec says. */
#include "p11/objects.h"

typedef struct {
	CK_ATTRIBUTE_TYPE type;
	cid_attr_kind kind;
	CK_ULONG value;      /* bool or ulong; byte strings default to empty */
} dflt;

static const dflt storage_d[] = {
	{ CKA_TOKEN, CID_AK_BOOL, false },
	{ CKA_MODIFIABLE, CID_AK_BOOL, true },
	{ CKA_COPYABLE, CID_AK_BOOL, true },
	{ CKA_DESTROYABLE, CID_AK_BOOL, true },
	{ CKA_LABEL, CID_AK_BYTES, 0 },
};

static const dflt data_d[] = {
	{ CKA_PRIVATE, CID_AK_BOOL, false },
	{ CKA_APPLICATION, CID_AK_BYTES, 0 },
	{ CKA_OBJECT_ID, CID_AK_BYTES, 0 },
	{ CKA_VALUE, CID_AK_BYTES, 0 },
};

static const dflt cert_d[] = {
	{ CKA_PRIVATE, CID_AK_BOOL, false },
	{ CKA_TRUSTED, CID_AK_BOOL, false },
	{ CKA_CERTIFICATE_CATEGORY, CID_AK_ULONG, CK_CERTIFICATE_CATEGORY_UNSPECIFIED },
	{ CKA_ID, CID_AK_BYTES, 0 },
	{ CKA_JAVA_MIDP_SECURITY_DOMAIN, CID_AK_ULONG, CK_SECURITY_DOMAIN_UNSPECIFIED },
};

static const dflt key_d[] = {
	{ CKA_ID, CID_AK_BYTES, 0 },
	{ CKA_START_DATE, CID_AK_DATE, 0 },
	{ CKA_END_DATE, CID_AK_DATE, 0 },
};

static const dflt public_d[] = {
	{ CKA_PRIVATE, CID_AK_BOOL, false },
	{ CKA_SUBJECT, CID_AK_BYTES, 0 },
	{ CKA_VERIFY, CID_AK_BOOL, true },
	{ CKA_VERIFY_RECOVER, CID_AK_BOOL, false },
	{ CKA_WRAP, CID_AK_BOOL, false },
	{ CKA_TRUSTED, CID_AK_BOOL, false },
};

static const dflt private_d[] = {
	{ CKA_PRIVATE, CID_AK_BOOL, true },
	{ CKA_SUBJECT, CID_AK_BYTES, 0 },
	{ CKA_SENSITIVE, CID_AK_BOOL, true },
	{ CKA_EXTRACTABLE, CID_AK_BOOL, false },
	{ CKA_SIGN, CID_AK_BOOL, true },
	{ CKA_SIGN_RECOVER, CID_AK_BOOL, false },
	{ CKA_UNWRAP, CID_AK_BOOL, false },
	{ CKA_WRAP_WITH_TRUSTED, CID_AK_BOOL, false },
	{ CKA_ALWAYS_AUTHENTICATE, CID_AK_BOOL, false },
};

static const dflt secret_d[] = {
	{ CKA_PRIVATE, CID_AK_BOOL, true },
	{ CKA_SENSITIVE, CID_AK_BOOL, true },
	{ CKA_EXTRACTABLE, CID_AK_BOOL, false },
	{ CKA_ENCRYPT, CID_AK_BOOL, false },
	{ CKA_DECRYPT, CID_AK_BOOL, false },
	{ CKA_SIGN, CID_AK_BOOL, false },
	{ CKA_VERIFY, CID_AK_BOOL, false },
	{ CKA_WRAP, CID_AK_BOOL, false },
	{ CKA_UNWRAP, CID_AK_BOOL, false },
	{ CKA_DERIVE, CID_AK_BOOL, false },
	{ CKA_WRAP_WITH_TRUSTED, CID_AK_BOOL, false },
	{ CKA_TRUSTED, CID_AK_BOOL, false },
};

#define N(t) (sizeof(t) / sizeof((t)[0]))

static CK_RV apply(cid_attrs *a, const dflt *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		CK_RV rv = CKR_OK;

		if (cid_attrs_get(a, d[i].type))
			continue;
		switch (d[i].kind) {
		case CID_AK_BOOL:
			rv = cid_attrs_set_bool(a, d[i].type, d[i].value != 0);
			break;
		case CID_AK_ULONG:
			rv = cid_attrs_set_ulong(a, d[i].type, d[i].value);
			break;
		case CID_AK_BYTES:
		case CID_AK_DATE:
			rv = cid_attrs_set(a, d[i].type, NULL, 0);
			break;
		}
		if (rv != CKR_OK)
			return rv;
	}
	return CKR_OK;
}

/* Usage flags follow what the key type can do. */
static CK_RV key_usage(CK_OBJECT_CLASS cls, CK_KEY_TYPE kt, cid_attrs *a)
{
	bool rsa = kt == CKK_RSA, ec = kt == CKK_EC;
	dflt d[2];
	size_t n = 0;

	if (cls == CKO_PUBLIC_KEY) {
		d[n++] = (dflt){ CKA_ENCRYPT, CID_AK_BOOL, rsa };
		/* As its private half, so that the two halves of a pair agree. */
		d[n++] = (dflt){ CKA_DERIVE, CID_AK_BOOL, ec };
	} else if (cls == CKO_PRIVATE_KEY) {
		d[n++] = (dflt){ CKA_DECRYPT, CID_AK_BOOL, rsa };
		d[n++] = (dflt){ CKA_DERIVE, CID_AK_BOOL, ec };
	}
	return apply(a, d, n);
}

CK_RV cid_rules_defaults(CK_OBJECT_CLASS cls, CK_KEY_TYPE kt, cid_attrs *a)
{
	CK_RV rv = apply(a, storage_d, N(storage_d));

	if (rv != CKR_OK)
		return rv;
	switch (cls) {
	case CKO_DATA:
		return apply(a, data_d, N(data_d));
	case CKO_CERTIFICATE:
		return apply(a, cert_d, N(cert_d));
	case CKO_PUBLIC_KEY:
		if ((rv = apply(a, public_d, N(public_d))) != CKR_OK)
			return rv;
		break;
	case CKO_PRIVATE_KEY:
		if ((rv = apply(a, private_d, N(private_d))) != CKR_OK)
			return rv;
		break;
	case CKO_SECRET_KEY:
		if ((rv = apply(a, secret_d, N(secret_d))) != CKR_OK)
			return rv;
		break;
	default:
		return CKR_OK;
	}
	if ((rv = apply(a, key_d, N(key_d))) != CKR_OK)
		return rv;
	return key_usage(cls, kt, a);
}
