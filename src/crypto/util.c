/* Process-wide algorithm objects, curve table, error logging and the few
 * DER shapes the layer has to read or write. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/obj_mac.h>

#include "common/log.h"
#include "common/mem.h"
#include "crypto/internal.h"

/* ---- cached algorithm objects ------------------------------------------ */

static const struct {
	const char *name;
	size_t len;
	CK_MECHANISM_TYPE ckm;
	CK_RSA_PKCS_MGF_TYPE mgf;
} hashes[CID_H_COUNT] = {
	[CID_H_SHA1] = { "SHA1", 20, CKM_SHA_1, CKG_MGF1_SHA1 },
	[CID_H_SHA224] = { "SHA224", 28, CKM_SHA224, CKG_MGF1_SHA224 },
	[CID_H_SHA256] = { "SHA256", 32, CKM_SHA256, CKG_MGF1_SHA256 },
	[CID_H_SHA384] = { "SHA384", 48, CKM_SHA384, CKG_MGF1_SHA384 },
	[CID_H_SHA512] = { "SHA512", 64, CKM_SHA512, CKG_MGF1_SHA512 },
};

static pthread_once_t algs_once = PTHREAD_ONCE_INIT;
static EVP_MD *mds[CID_H_COUNT];
static EVP_KDF *kdf_x963, *kdf_scrypt;
static EVP_CIPHER *aes_gcm;

/* Never freed: they live as long as libcrypto does, and freeing them from
 * a destructor would race with other users of the library at exit. */
static void algs_init(void)
{
	for (int h = CID_H_SHA1; h < CID_H_COUNT; h++) {
		mds[h] = EVP_MD_fetch(cid_libctx(), hashes[h].name, NULL);
		if (mds[h] == NULL)
			cid_ossl_fail(__func__, hashes[h].name);
	}
	kdf_x963 = EVP_KDF_fetch(cid_libctx(), "X963KDF", NULL);
	kdf_scrypt = EVP_KDF_fetch(cid_libctx(), "SCRYPT", NULL);
	aes_gcm = EVP_CIPHER_fetch(cid_libctx(), "AES-256-GCM", NULL);
	if (kdf_x963 == NULL || kdf_scrypt == NULL || aes_gcm == NULL)
		cid_ossl_fail(__func__, "fetching KDF or cipher");
}

const EVP_MD *cid_md(cid_hash h)
{
	if (h <= CID_H_NONE || h >= CID_H_COUNT)
		return NULL;
	pthread_once(&algs_once, algs_init);
	return mds[h];
}

EVP_KDF *cid_kdf_x963(void)
{
	pthread_once(&algs_once, algs_init);
	return kdf_x963;
}

EVP_KDF *cid_kdf_scrypt(void)
{
	pthread_once(&algs_once, algs_init);
	return kdf_scrypt;
}

const EVP_CIPHER *cid_cipher_aes256gcm(void)
{
	pthread_once(&algs_once, algs_init);
	return aes_gcm;
}

const char *cid_hash_name(cid_hash h)
{
	return (h > CID_H_NONE && h < CID_H_COUNT) ? hashes[h].name : NULL;
}

size_t cid_hash_len(cid_hash h)
{
	return (h > CID_H_NONE && h < CID_H_COUNT) ? hashes[h].len : 0;
}

cid_hash cid_hash_from_ckm(CK_MECHANISM_TYPE m)
{
	for (int h = CID_H_SHA1; h < CID_H_COUNT; h++)
		if (hashes[h].ckm == m)
			return (cid_hash)h;
	return CID_H_NONE;
}

CK_MECHANISM_TYPE cid_hash_ckm(cid_hash h)
{
	return h > CID_H_NONE && h < CID_H_COUNT ? hashes[h].ckm : CKM_VENDOR_DEFINED;
}

cid_hash cid_hash_from_mgf(CK_RSA_PKCS_MGF_TYPE g)
{
	for (int h = CID_H_SHA1; h < CID_H_COUNT; h++)
		if (hashes[h].mgf == g)
			return (cid_hash)h;
	return CID_H_NONE;
}

/* ---- curves ------------------------------------------------------------ */

static const cid_curve_info curves[] = {
	{ CID_CURVE_P256, "prime256v1", NID_X9_62_prime256v1, 256, 32 },
	{ CID_CURVE_P384, "secp384r1", NID_secp384r1, 384, 48 },
	{ CID_CURVE_ED25519, "ED25519", NID_ED25519, 255, 32 },
};

const cid_curve_info *cid_curve_get(cid_curve c)
{
	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (curves[i].id == c)
			return &curves[i];
	return NULL;
}

static const uint8_t oid_p256[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const uint8_t oid_p384[] = { 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const uint8_t oid_ed25519[] = { 0x2b, 0x65, 0x70 };

static bool val_eq(const uint8_t *v, size_t vlen, const void *want, size_t wlen)
{
	return vlen == wlen && memcmp(v, want, wlen) == 0;
}

CK_RV cid_curve_from_params(CK_KEY_TYPE kt, const uint8_t *p, size_t len, cid_curve *out)
{
	uint8_t tag;
	const uint8_t *v;
	size_t vlen;

	*out = CID_CURVE_NONE;
	if (kt != CKK_EC && kt != CKK_EC_EDWARDS) {
		CID_INFO("key type 0x%lx has no curve parameters", (unsigned long)kt);
		return CKR_KEY_TYPE_INCONSISTENT;
	}
	if (p == NULL || !cid_der_single(p, len, &tag, &v, &vlen)) {
		CID_INFO("EC parameters are not one DER element (%zu bytes)", len);
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	switch (tag) {
	case 0x06: /* OBJECT IDENTIFIER */
		if (vlen == 0 || (v[vlen - 1] & 0x80) != 0) {
			CID_INFO("malformed curve OID");
			return CKR_ATTRIBUTE_VALUE_INVALID;
		}
		if (kt == CKK_EC && val_eq(v, vlen, oid_p256, sizeof(oid_p256)))
			*out = CID_CURVE_P256;
		else if (kt == CKK_EC && val_eq(v, vlen, oid_p384, sizeof(oid_p384)))
			*out = CID_CURVE_P384;
		else if (kt == CKK_EC_EDWARDS && val_eq(v, vlen, oid_ed25519, sizeof(oid_ed25519)))
			*out = CID_CURVE_ED25519;
		break;
	case 0x13: /* PrintableString: the curve-name form of PKCS#11 3.0 */
		if (kt == CKK_EC_EDWARDS && val_eq(v, vlen, "edwards25519", 12))
			*out = CID_CURVE_ED25519;
		break;
	case 0x30: /* explicit ECParameters */
	case 0x05: /* implicitlyCA */
		break;
	default:
		CID_INFO("EC parameters with unexpected DER tag 0x%02x", tag);
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	if (*out == CID_CURVE_NONE) {
		CID_INFO("curve not supported for key type 0x%lx", (unsigned long)kt);
		return CKR_CURVE_NOT_SUPPORTED;
	}
	return CKR_OK;
}

CK_RV cid_ec_params_bits(CK_KEY_TYPE kt, const uint8_t *params, size_t len, CK_ULONG *bits)
{
	cid_curve c;
	CK_RV rv = cid_curve_from_params(kt, params, len, &c);

	if (rv == CKR_OK)
		*bits = cid_curve_get(c)->bits;
	return rv;
}

/* ---- errors ------------------------------------------------------------ */

CK_RV cid_ossl_fail(const char *where, const char *what)
{
	char buf[256];
	unsigned long e = ERR_peek_last_error();

	if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	else
		strcpy(buf, "no OpenSSL error recorded");
	cid_log(CID_LOG_ERROR, where, "%s failed: %s", what, buf);
	ERR_clear_error();
	return CKR_FUNCTION_FAILED;
}

CK_RV cid_oom(const char *where)
{
	cid_log(CID_LOG_ERROR, where, "out of memory");
	return CKR_HOST_MEMORY;
}

/* ---- DER --------------------------------------------------------------- */

bool cid_der_next(const uint8_t *p, size_t len, uint8_t *tag, const uint8_t **val, size_t *vlen,
                  size_t *used)
{
	size_t n, hdr = 2;

	if (p == NULL || len < 2 || (p[0] & 0x1f) == 0x1f)
		return false;
	*tag = p[0];
	n = p[1];
	if (n & 0x80) {
		size_t nb = n & 0x7f;

		/* Four length bytes are far beyond anything this layer reads. */
		if (nb == 0 || nb > 4 || len < 2 + nb || p[2] == 0)
			return false;
		n = 0;
		for (size_t i = 0; i < nb; i++)
			n = (n << 8) | p[2 + i];
		if (n < 0x80)
			return false; /* not minimal */
		hdr += nb;
	}
	if (n > len - hdr)
		return false;
	*val = p + hdr;
	*vlen = n;
	*used = hdr + n;
	return true;
}

bool cid_der_single(const uint8_t *p, size_t len, uint8_t *tag, const uint8_t **val, size_t *vlen)
{
	size_t used;

	return cid_der_next(p, len, tag, val, vlen, &used) && used == len;
}

CK_RV cid_der_octet(const uint8_t *v, size_t vlen, uint8_t **out, size_t *outlen)
{
	size_t hdr = vlen < 0x80 ? 2 : vlen < 0x100 ? 3 : 4;
	uint8_t *b;

	if (vlen > 0xffff)
		return CKR_GENERAL_ERROR;
	b = malloc(hdr + vlen);
	if (b == NULL)
		return CID_OOM();
	b[0] = 0x04;
	if (hdr == 2) {
		b[1] = (uint8_t)vlen;
	} else if (hdr == 3) {
		b[1] = 0x81;
		b[2] = (uint8_t)vlen;
	} else {
		b[1] = 0x82;
		b[2] = (uint8_t)(vlen >> 8);
		b[3] = (uint8_t)vlen;
	}
	memcpy(b + hdr, v, vlen);
	*out = b;
	*outlen = hdr + vlen;
	return CKR_OK;
}

CK_RV cid_attrs_set_bn(cid_attrs *a, CK_ATTRIBUTE_TYPE t, const BIGNUM *bn)
{
	int n = BN_num_bytes(bn);
	uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
	CK_RV rv;

	if (b == NULL)
		return CID_OOM();
	/* A zero value still needs one byte. */
	if (n == 0) {
		b[0] = 0;
		n = 1;
	} else {
		BN_bn2bin(bn, b);
	}
	rv = cid_attrs_set(a, t, b, (CK_ULONG)n);
	cid_free_secret(&b, (size_t)n);
	return rv;
}
