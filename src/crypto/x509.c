/* Attributes PKCS#11 derives from an X.509 certificate's DER. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/log.h"
#include "common/mem.h"
#include "crypto/internal.h"

static CK_RV set_der(cid_attrs *out, CK_ATTRIBUTE_TYPE t, int len, uint8_t *der)
{
	CK_RV rv;

	if (len <= 0 || der == NULL)
		return CID_OSSL_FAIL("DER encoding");
	rv = cid_attrs_set(out, t, der, (CK_ULONG)len);
	OPENSSL_free(der);
	return rv;
}

static CK_RV set_name(cid_attrs *out, CK_ATTRIBUTE_TYPE t, const X509_NAME *n)
{
	uint8_t *der = NULL;
	int len = i2d_X509_NAME(n, &der);

	return set_der(out, t, len, der);
}

static void put_digits(CK_CHAR *dst, int v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		dst[i] = (CK_CHAR)('0' + v % 10);
		v /= 10;
	}
}

static CK_RV set_date(cid_attrs *out, CK_ATTRIBUTE_TYPE t, const ASN1_TIME *tm)
{
	struct tm v;
	CK_DATE d;

	memset(&v, 0, sizeof(v));
	if (tm == NULL || !ASN1_TIME_to_tm(tm, &v) || v.tm_year + 1900 < 0 || v.tm_year + 1900 > 9999) {
		ERR_clear_error();
		CID_INFO("certificate validity date unreadable");
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	put_digits(d.year, v.tm_year + 1900, 4);
	put_digits(d.month, v.tm_mon + 1, 2);
	put_digits(d.day, v.tm_mday, 2);
	return cid_attrs_set(out, t, &d, sizeof(d));
}

static CK_RV set_sha1(cid_attrs *out, CK_ATTRIBUTE_TYPE t, const void *data, size_t len)
{
	uint8_t md[20];
	unsigned int n = 0;

	if (!EVP_Digest(data, len, md, &n, cid_md(CID_H_SHA1), NULL) || n != sizeof(md))
		return CID_OSSL_FAIL("SHA-1");
	return cid_attrs_set(out, t, md, n);
}

static CK_RV derive(X509 *x, cid_attrs *out)
{
	const ASN1_BIT_STRING *spk = X509_get0_pubkey_bitstr(x);
	const ASN1_OCTET_STRING *akid = X509_get0_authority_key_id(x);
	uint8_t *der = NULL;
	CK_RV rv;

	rv = set_name(out, CKA_SUBJECT, X509_get_subject_name(x));
	if (rv == CKR_OK)
		rv = set_name(out, CKA_ISSUER, X509_get_issuer_name(x));
	if (rv == CKR_OK) {
		int len = i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &der);

		rv = set_der(out, CKA_SERIAL_NUMBER, len, der);
	}
	if (rv == CKR_OK)
		rv = set_date(out, CKA_START_DATE, X509_get0_notBefore(x));
	if (rv == CKR_OK)
		rv = set_date(out, CKA_END_DATE, X509_get0_notAfter(x));
	if (rv == CKR_OK && spk != NULL)
		rv = set_sha1(out, CKA_HASH_OF_SUBJECT_PUBLIC_KEY, spk->data, (size_t)spk->length);
	/* The key identifier is the issuer key's SHA-1 only by convention;
	 * anything but 20 bytes cannot be that hash. */
	if (rv == CKR_OK && akid != NULL && akid->length == 20)
		rv = cid_attrs_set(out, CKA_HASH_OF_ISSUER_PUBLIC_KEY, akid->data, 20);
	return rv;
}

/* Exactly one DER certificate, parsed in careid's own library context so
 * that its public key is decoded there too.  NULL (logged) otherwise. */
static X509 *parse(const uint8_t *der, size_t len)
{
	const uint8_t *p = der;
	X509 *x;

	if (der == NULL || len == 0 || len > 1u << 20) {
		CID_INFO("certificate value empty or too large (%zu bytes)", len);
		return NULL;
	}
	x = X509_new_ex(cid_libctx(), NULL);
	if (x == NULL) {
		CID_OOM();
		return NULL;
	}
	/* On failure d2i frees x and sets it to NULL. */
	if (d2i_X509(&x, &p, (long)len) == NULL || p != der + len) {
		ERR_clear_error();
		X509_free(x);
		CID_INFO("certificate value is not exactly one DER certificate (%zu bytes)", len);
		return NULL;
	}
	/* Caches the extensions and flags encodings OpenSSL could not read. */
	if ((X509_get_extension_flags(x) & EXFLAG_INVALID) != 0) {
		ERR_clear_error();
		X509_free(x);
		CID_INFO("certificate has malformed extensions");
		return NULL;
	}
	return x;
}

CK_RV cid_x509_attrs(const uint8_t *der, size_t len, cid_attrs *out)
{
	X509 *x;
	CK_RV rv;

	if (out == NULL)
		return CKR_ARGUMENTS_BAD;
	if ((x = parse(der, len)) == NULL)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	rv = derive(x, out);
	X509_free(x);
	return rv;
}

/* An EC key straight from the SubjectPublicKeyInfo: the curve's OID and
 * the point as the certificate encodes it.  Decoding the key instead would
 * go through whatever EC method the host's ENGINE installed (the libp11
 * engine's hands the point back compressed), so the bytes are read as they
 * are.  Only uncompressed points, which every PIV card writes. */
static CK_RV ec_from_spki(X509 *x, cid_attrs *out)
{
	const ASN1_OBJECT *alg = NULL, *curve;
	const X509_ALGOR *algor = NULL;
	const unsigned char *pt = NULL;
	const void *pval = NULL;
	const cid_curve_info *ci;
	uint8_t *der = NULL, *os = NULL;
	size_t oslen = 0;
	int ptlen = 0, ptype = 0, nid, len;
	CK_RV rv;

	if (!X509_PUBKEY_get0_param((ASN1_OBJECT **)&alg, &pt, &ptlen, (X509_ALGOR **)&algor,
	                            X509_get_X509_PUBKEY(x)) || algor == NULL)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	X509_ALGOR_get0(&alg, &ptype, &pval, algor);
	if (ptype != V_ASN1_OBJECT || pval == NULL) {
		CID_INFO("certificate EC key without a named curve");
		return CKR_CURVE_NOT_SUPPORTED;
	}
	curve = pval;
	nid = OBJ_obj2nid(curve);
	ci = cid_curve_get(nid == NID_X9_62_prime256v1 ? CID_CURVE_P256
	                   : nid == NID_secp384r1      ? CID_CURVE_P384
	                                               : CID_CURVE_NONE);
	if (ci == NULL) {
		CID_INFO("certificate key on a curve careid does not support");
		return CKR_CURVE_NOT_SUPPORTED;
	}
	if (pt == NULL || ptlen != (int)(1 + 2 * ci->fb) || pt[0] != 0x04) {
		CID_INFO("certificate EC point is not an uncompressed %s point (%d bytes)", ci->group, ptlen);
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	len = i2d_ASN1_OBJECT(curve, &der);
	rv = set_der(out, CKA_EC_PARAMS, len, der);
	if (rv == CKR_OK)
		rv = cid_der_octet(pt, (size_t)ptlen, &os, &oslen);
	if (rv == CKR_OK)
		rv = cid_attrs_set(out, CKA_EC_POINT, os, (CK_ULONG)oslen);
	free(os);
	return rv;
}

CK_RV cid_x509_public_key(const uint8_t *der, size_t len, CK_KEY_TYPE *kt, cid_attrs *pub)
{
	const ASN1_OBJECT *alg = NULL;
	EVP_PKEY *pk;
	X509 *x;
	CK_RV rv;

	if (kt == NULL || pub == NULL)
		return CKR_ARGUMENTS_BAD;
	if ((x = parse(der, len)) == NULL)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	if (!X509_PUBKEY_get0_param((ASN1_OBJECT **)&alg, NULL, NULL, NULL, X509_get_X509_PUBKEY(x))) {
		X509_free(x);
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	switch (OBJ_obj2nid(alg)) {
	case NID_rsaEncryption:
		*kt = CKK_RSA;
		pk = X509_get0_pubkey(x);
		rv = pk != NULL ? cid_rsa_public_attrs(pk, pub) : CKR_ATTRIBUTE_VALUE_INVALID;
		break;
	case NID_X9_62_id_ecPublicKey:
		*kt = CKK_EC;
		rv = ec_from_spki(x, pub);
		break;
	default:
		rv = CKR_KEY_TYPE_INCONSISTENT;
	}
	if (rv != CKR_OK)
		ERR_clear_error();
	X509_free(x);
	return rv;
}

bool cid_x509_subject_cn(const uint8_t *der, size_t len, char *out, size_t outlen)
{
	X509 *x = parse(der, len);
	const X509_NAME *nm = x != NULL ? X509_get_subject_name(x) : NULL;
	int i = nm != NULL ? X509_NAME_get_index_by_NID(nm, NID_commonName, -1) : -1;
	const ASN1_STRING *s = i >= 0 ? X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, i)) : NULL;
	bool ok = s != NULL && outlen > 0 && (size_t)ASN1_STRING_length(s) < outlen;

	if (ok) {
		memcpy(out, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
		out[ASN1_STRING_length(s)] = '\0';
		ok = strlen(out) == (size_t)ASN1_STRING_length(s);
	}
	if (!ok && outlen > 0)
		out[0] = '\0';
	X509_free(x);
	return ok;
}
