/* The card's contents as PKCS#11 objects.  Each standard key slot with a
 * known public key gives a certificate (when there is one), a public key
 * and a private key without private material, paired by a 1-byte CKA_ID
 * (01 for 9A ... 04 for 9E, the numbering other PIV modules use, so that
 * scripts written for them find the same objects). */
#include <stdlib.h>
#include <string.h>

#include "card/card_int.h"
#include "card/tlv.h"
#include "careid/careid.h"
#include "common/log.h"
#include "common/mem.h"
#include "crypto/crypto.h"

static const uint8_t OID_P256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const uint8_t OID_P384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };

static const struct {
	uint8_t ref;
	const char *label;
} names[CARD_NKEYS] = {
	{ CID_PIV_KEY_AUTH, "Authentication" },
	{ CID_PIV_KEY_SIGN, "Digital Signature" },
	{ CID_PIV_KEY_KM, "Key Management" },
	{ CID_PIV_KEY_CARDAUTH, "Card Authentication" },
};

uint8_t card_key_ref(size_t i)
{
	return i < CARD_NKEYS ? names[i].ref : 0;
}

size_t card_key_index(uint8_t ref)
{
	for (size_t i = 0; i < CARD_NKEYS; i++)
		if (names[i].ref == ref)
			return i;
	return CARD_NKEYS;
}

uint64_t card_obj_id(uint8_t ref, int kind)
{
	return ((uint64_t)ref << 8) | (uint64_t)kind;
}

bool card_obj_parse(uint64_t id, uint8_t *ref, int *kind)
{
	if (id >> 16 != 0 || card_key_index((uint8_t)(id >> 8)) == CARD_NKEYS)
		return false;
	*ref = (uint8_t)(id >> 8);
	*kind = (int)(id & 0xff);
	return *kind >= CARD_OBJ_CERT && *kind <= CARD_OBJ_PRIV;
}

void card_key_clear(card_key *k)
{
	uint8_t ref = k->ref;

	cid_attrs_clear(&k->pub);
	free(k->cert);
	free(k->subject);
	memset(k, 0, sizeof(*k));
	k->ref = ref;
}

bool card_pub_equal(const cid_attrs *a, const cid_attrs *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const CK_ATTRIBUTE *o = cid_attrs_get(b, a->v[i].type);

		if (o == NULL || o->ulValueLen != a->v[i].ulValueLen ||
		    (o->ulValueLen > 0 && memcmp(o->pValue, a->v[i].pValue, o->ulValueLen) != 0))
			return false;
	}
	return true;
}

CK_RV card_key_copy(card_key *dst, const card_key *src)
{
	CK_RV rv;

	*dst = *src;
	cid_attrs_init(&dst->pub);
	dst->cert = dst->subject = NULL;
	rv = cid_attrs_copy(&dst->pub, &src->pub);
	if (rv == CKR_OK && src->cert != NULL && (dst->cert = cid_memdup(src->cert, src->certlen)) == NULL)
		rv = CKR_HOST_MEMORY;
	if (rv == CKR_OK && src->subject != NULL &&
	    (dst->subject = cid_memdup(src->subject, src->subjlen)) == NULL)
		rv = CKR_HOST_MEMORY;
	if (rv != CKR_OK)
		card_key_clear(dst);
	return rv;
}

/* Checks the public material through the crypto layer and records its size. */
static CK_RV settle(card_key *k)
{
	cid_key *key = NULL;
	CK_RV rv = cid_key_from_attrs(CKO_PUBLIC_KEY, k->kt, &k->pub, &key);

	if (rv != CKR_OK)
		return rv;
	k->bits = cid_key_bits(key);
	cid_key_unref(&key);
	k->present = true;
	return CKR_OK;
}

static CK_RV set_ec(card_key *k, bool p384, const uint8_t *point, size_t plen)
{
	uint8_t os[2 + 133];
	CK_RV rv;

	if (plen < 3 || plen > 133 || point[0] != 0x04)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	if (p384)
		rv = cid_attrs_set(&k->pub, CKA_EC_PARAMS, OID_P384, sizeof(OID_P384));
	else
		rv = cid_attrs_set(&k->pub, CKA_EC_PARAMS, OID_P256, sizeof(OID_P256));
	os[0] = 0x04;
	os[1] = (uint8_t)plen;
	memcpy(os + 2, point, plen);
	if (rv == CKR_OK)
		rv = cid_attrs_set(&k->pub, CKA_EC_POINT, os, (CK_ULONG)(plen + 2));
	k->kt = CKK_EC;
	return rv;
}

CK_RV card_key_from_cert(card_key *k, const uint8_t *der, size_t len)
{
	cid_attrs subj;
	const CK_ATTRIBUTE *s;
	CK_RV rv;

	card_key_clear(k);
	cid_attrs_init(&subj);
	rv = cid_x509_public_key(der, len, &k->kt, &k->pub);
	if (rv == CKR_OK)
		rv = cid_x509_attrs(der, len, &subj);
	if (rv == CKR_OK && (s = cid_attrs_get(&subj, CKA_SUBJECT)) != NULL) {
		k->subject = cid_memdup(s->pValue, s->ulValueLen);
		k->subjlen = s->ulValueLen;
		if (k->subject == NULL)
			rv = CKR_HOST_MEMORY;
	}
	cid_attrs_clear(&subj);
	if (rv == CKR_OK && (k->cert = cid_memdup(der, len)) == NULL)
		rv = CKR_HOST_MEMORY;
	k->certlen = len;
	if (rv == CKR_OK)
		rv = settle(k);
	if (rv != CKR_OK)
		card_key_clear(k);
	return rv;
}

CK_RV card_key_from_generated(card_key *k, uint8_t alg, const uint8_t *tmpl, size_t len)
{
	cid_tlv n, e, pt;
	CK_RV rv;

	card_key_clear(k);
	switch (alg) {
	case CID_PIV_ALG_RSA2048:
	case CID_PIV_ALG_RSA3072:
	case CID_PIV_ALG_RSA4096:
		if (cid_tlv_find(tmpl, len, 0x81, &n) != CKR_OK || cid_tlv_find(tmpl, len, 0x82, &e) != CKR_OK)
			return CKR_DEVICE_ERROR;
		k->kt = CKK_RSA;
		/* Stored without leading zeros, as the crypto layer keeps them. */
		while (n.len > 1 && n.val[0] == 0) {
			n.val++;
			n.len--;
		}
		rv = cid_attrs_set(&k->pub, CKA_MODULUS, n.val, (CK_ULONG)n.len);
		if (rv == CKR_OK)
			rv = cid_attrs_set(&k->pub, CKA_PUBLIC_EXPONENT, e.val, (CK_ULONG)e.len);
		break;
	case CID_PIV_ALG_P256:
	case CID_PIV_ALG_P384:
		if (cid_tlv_find(tmpl, len, 0x86, &pt) != CKR_OK)
			return CKR_DEVICE_ERROR;
		rv = set_ec(k, alg == CID_PIV_ALG_P384, pt.val, pt.len);
		break;
	default:
		return CKR_MECHANISM_INVALID;
	}
	if (rv == CKR_OK)
		rv = settle(k);
	if (rv != CKR_OK) {
		CID_WARN("the card returned an unusable public key (0x%lx)", (unsigned long)rv);
		card_key_clear(k);
		return CKR_DEVICE_ERROR;
	}
	k->generated = true;
	return CKR_OK;
}

void card_cert_uuid(const uint8_t *der, size_t len, char out[13])
{
	char cn[16];
	bool digits = cid_x509_subject_cn(der, len, cn, sizeof(cn)) && strlen(cn) == 12;

	for (int j = 0; digits && j < 12; j++)
		digits = cn[j] >= '0' && cn[j] <= '9';
	if (digits)
		memcpy(out, cn, 13);
	else
		out[0] = '\0';
}

/* ---- attribute sets ------------------------------------------------------ */

static CK_RV common(const card_key *k, CK_OBJECT_CLASS cls, bool priv, cid_attrs *a)
{
	size_t i = card_key_index(k->ref);
	uint8_t id = cid_piv_id_from_key(k->ref);
	const char *label = i < CARD_NKEYS ? names[i].label : "";
	CK_RV rv;

	rv = cid_attrs_set_ulong(a, CKA_CLASS, cls);
	if (rv == CKR_OK)
		rv = cid_attrs_set_bool(a, CKA_TOKEN, true);
	if (rv == CKR_OK)
		rv = cid_attrs_set_bool(a, CKA_PRIVATE, priv);
	if (rv == CKR_OK)
		rv = cid_attrs_set_bool(a, CKA_MODIFIABLE, false);
	if (rv == CKR_OK)
		rv = cid_attrs_set_bool(a, CKA_COPYABLE, false);
	if (rv == CKR_OK)
		rv = cid_attrs_set(a, CKA_LABEL, label, (CK_ULONG)strlen(label));
	if (rv == CKR_OK)
		rv = cid_attrs_set(a, CKA_ID, &id, 1);
	return rv;
}

CK_RV card_model_cert(const card_key *k, cid_attrs *a)
{
	CK_RV rv;

	if (k->cert == NULL)
		return CKR_OBJECT_HANDLE_INVALID;
	rv = common(k, CKO_CERTIFICATE, false, a);
	if (rv == CKR_OK)
		rv = cid_attrs_set_ulong(a, CKA_CERTIFICATE_TYPE, CKC_X_509);
	/* Writable with the management key, so destroyable through us. */
	if (rv == CKR_OK)
		rv = cid_attrs_set_bool(a, CKA_DESTROYABLE, true);
	if (rv == CKR_OK)
		rv = cid_attrs_set_bool(a, CKA_TRUSTED, false);
	if (rv == CKR_OK)
		rv = cid_attrs_set_ulong(a, CKA_CERTIFICATE_CATEGORY, CK_CERTIFICATE_CATEGORY_TOKEN_USER);
	if (rv == CKR_OK)
		rv = cid_attrs_set_ulong(a, CKA_JAVA_MIDP_SECURITY_DOMAIN, CK_SECURITY_DOMAIN_UNSPECIFIED);
	if (rv == CKR_OK)
		rv = cid_attrs_set(a, CKA_VALUE, k->cert, (CK_ULONG)k->certlen);
	if (rv == CKR_OK)
		rv = cid_x509_attrs(k->cert, k->certlen, a);
	return rv;
}

static CK_RV key_common(const card_key *k, CK_OBJECT_CLASS cls, cid_attrs *a)
{
	CK_ULONG unavailable = CK_UNAVAILABLE_INFORMATION;
	CK_RV rv = common(k, cls, cls == CKO_PRIVATE_KEY, a);

	if (rv == CKR_OK)
		rv = cid_attrs_set_ulong(a, CKA_KEY_TYPE, k->kt);
	if (rv == CKR_OK)
		rv = cid_attrs_set_bool(a, CKA_DESTROYABLE, false);
	if (rv == CKR_OK)
		rv = cid_attrs_set_bool(a, CKA_LOCAL, k->generated);
	if (rv == CKR_OK)
		rv = cid_attrs_set_ulong(a, CKA_KEY_GEN_MECHANISM,
		                         k->generated ? (k->kt == CKK_RSA ? CKM_RSA_PKCS_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN)
		                                      : unavailable);
	if (rv == CKR_OK)
		rv = cid_attrs_set(a, CKA_SUBJECT, k->subject, (CK_ULONG)(k->subject ? k->subjlen : 0));
	if (rv == CKR_OK)
		rv = cid_attrs_set(a, CKA_START_DATE, NULL, 0);
	if (rv == CKR_OK)
		rv = cid_attrs_set(a, CKA_END_DATE, NULL, 0);
	if (rv == CKR_OK)
		/* Both halves of an EC pair say so (ECDH runs on the private one). */
		rv = cid_attrs_set_bool(a, CKA_DERIVE, k->kt == CKK_EC);
	for (size_t i = 0; rv == CKR_OK && i < k->pub.n; i++)
		rv = cid_attrs_set(a, k->pub.v[i].type, k->pub.v[i].pValue, k->pub.v[i].ulValueLen);
	if (rv == CKR_OK && k->kt == CKK_RSA)
		rv = cid_attrs_set_ulong(a, CKA_MODULUS_BITS, k->bits);
	return rv;
}

CK_RV card_model_pub(const card_key *k, cid_attrs *a)
{
	bool rsa = k->kt == CKK_RSA;
	CK_RV rv = key_common(k, CKO_PUBLIC_KEY, a);

	if (rv == CKR_OK)
		rv = cid_attrs_set_bool(a, CKA_VERIFY, true);
	if (rv == CKR_OK)
		rv = cid_attrs_set_bool(a, CKA_ENCRYPT, rsa);
	if (rv == CKR_OK)
		rv = cid_attrs_set_bool(a, CKA_VERIFY_RECOVER, false);
	if (rv == CKR_OK)
		rv = cid_attrs_set_bool(a, CKA_WRAP, false);
	if (rv == CKR_OK)
		rv = cid_attrs_set_bool(a, CKA_TRUSTED, false);
	return rv;
}

CK_RV card_model_priv(const card_key *k, cid_attrs *a)
{
	bool rsa = k->kt == CKK_RSA;
	uint8_t ref = k->ref;
	CK_RV rv = key_common(k, CKO_PRIVATE_KEY, a);

	if (rv == CKR_OK)
		rv = cid_attrs_set(a, CKA_CAREID_KEY_REF, &ref, 1);
	if (rv == CKR_OK)
		rv = cid_attrs_set_bool(a, CKA_SENSITIVE, true);
	if (rv == CKR_OK)
		rv = cid_attrs_set_bool(a, CKA_ALWAYS_SENSITIVE, true);
	if (rv == CKR_OK)
		rv = cid_attrs_set_bool(a, CKA_EXTRACTABLE, false);
	if (rv == CKR_OK)
		rv = cid_attrs_set_bool(a, CKA_NEVER_EXTRACTABLE, true);
	if (rv == CKR_OK)
		rv = cid_attrs_set_bool(a, CKA_SIGN, true);
	if (rv == CKR_OK)
		rv = cid_attrs_set_bool(a, CKA_DECRYPT, rsa);
	if (rv == CKR_OK)
		rv = cid_attrs_set_bool(a, CKA_SIGN_RECOVER, false);
	if (rv == CKR_OK)
		rv = cid_attrs_set_bool(a, CKA_UNWRAP, false);
	if (rv == CKR_OK)
		rv = cid_attrs_set_bool(a, CKA_WRAP_WITH_TRUSTED, false);
	/* PIV: the signature key wants the PIN right before each use. */
	if (rv == CKR_OK)
		rv = cid_attrs_set_bool(a, CKA_ALWAYS_AUTHENTICATE, ref == CID_PIV_KEY_SIGN);
	return rv;
}
