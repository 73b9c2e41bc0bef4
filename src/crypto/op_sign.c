/* Signature generation and verification for every signing family. */
#include <string.h>

#include <openssl/err.h>

#include "common/log.h"
#include "common/mem.h"
#include "crypto/op.h"

#define RSA_MAX_BYTES 512 /* the mechanisms stop at 4096 bits */

/* ---- ECDSA encoding ------------------------------------------------------ */

static bool read_int(const uint8_t **p, size_t *left, size_t fb, uint8_t *dst)
{
	const uint8_t *v;
	size_t vl, used;
	uint8_t tag;

	if (!cid_der_next(*p, *left, &tag, &v, &vl, &used) || tag != 0x02 || vl == 0)
		return false;
	while (vl > 1 && v[0] == 0) {
		v++;
		vl--;
	}
	if (vl > fb)
		return false;
	memset(dst, 0, fb - vl);
	memcpy(dst + fb - vl, v, vl);
	*p += used;
	*left -= used;
	return true;
}

bool cid_ecdsa_der_to_raw(const uint8_t *der, size_t derlen, size_t fb, uint8_t *raw)
{
	const uint8_t *v;
	size_t vl;
	uint8_t tag;

	return cid_der_single(der, derlen, &tag, &v, &vl) && tag == 0x30 && read_int(&v, &vl, fb, raw) &&
	       read_int(&v, &vl, fb, raw + fb) && vl == 0;
}

/* Both integers fit in short-form lengths for fields up to 61 bytes. */
size_t cid_ecdsa_raw_to_der(const uint8_t *raw, size_t fb, uint8_t *der)
{
	size_t pos = 2;

	for (int i = 0; i < 2; i++) {
		const uint8_t *x = raw + (size_t)i * fb;
		size_t n = fb;
		size_t pad;

		while (n > 1 && x[0] == 0) {
			x++;
			n--;
		}
		pad = (x[0] & 0x80) ? 1 : 0;
		der[pos++] = 0x02;
		der[pos++] = (uint8_t)(n + pad);
		if (pad)
			der[pos++] = 0;
		memcpy(der + pos, x, n);
		pos += n;
	}
	der[0] = 0x30;
	der[1] = (uint8_t)(pos - 2);
	return pos;
}

/* ---- input rules ---------------------------------------------------------- */

CK_RV cid_rsa_raw_input(const cid_key *k, const uint8_t *in, size_t len, uint8_t *padded, CK_RV too_big)
{
	if (len > k->size) {
		CID_INFO("raw RSA input of %zu bytes exceeds the modulus length %zu", len, k->size);
		return CKR_DATA_LEN_RANGE;
	}
	memset(padded, 0, k->size - len);
	if (len != 0)
		memcpy(padded + k->size - len, in, len);
	if (memcmp(padded, k->modulus, k->size) >= 0) {
		CID_INFO("raw RSA input is not below the modulus");
		return too_big;
	}
	return CKR_OK;
}

/* Checks single-part input; for raw RSA also pads it into buf. */
static CK_RV check_input(const cid_op *op, const uint8_t *in, size_t len, uint8_t *buf)
{
	const cid_key *k = op->key;

	switch (op->impl->fam) {
	case CID_F_RSA_PKCS:
		if (len > k->size - 11) {
			CID_INFO("PKCS#1 v1.5 input of %zu bytes exceeds k-11 = %zu", len, k->size - 11);
			return CKR_DATA_LEN_RANGE;
		}
		return CKR_OK;
	case CID_F_RSA_X509:
		return cid_rsa_raw_input(k, in, len, buf, CKR_DATA_INVALID);
	case CID_F_RSA_PSS:
		if (len != op->hlen) {
			CID_INFO("PSS input of %zu bytes is not a %zu-byte digest", len, op->hlen);
			return CKR_DATA_LEN_RANGE;
		}
		return CKR_OK;
	case CID_F_ECDSA:
		if (len == 0) {
			CID_INFO("empty ECDSA input");
			return CKR_DATA_LEN_RANGE;
		}
		return CKR_OK;
	default:
		return CKR_OK;
	}
}

static bool is_ecdsa(const cid_op *op)
{
	return op->impl->fam == CID_F_ECDSA || op->impl->fam == CID_F_ECDSA_HASH;
}

/* ---- sign ----------------------------------------------------------------- */

CK_RV cid_sign_run(cid_op *op, const uint8_t *in, size_t len, bool final, uint8_t *out, CK_ULONG *outlen)
{
	uint8_t buf[RSA_MAX_BYTES], der[CID_ECDSA_DER_MAX];
	bool ec = is_ecdsa(op);
	uint8_t *dst;
	size_t sl;
	CK_RV rv;
	int ok;

	if (!final) {
		rv = check_input(op, in, len, buf);
		if (rv != CKR_OK)
			return rv;
		if (op->impl->fam == CID_F_RSA_X509) {
			in = buf;
			len = op->key->size;
		}
	}
	if (cid_length_only(op->outlen, out, outlen, &rv))
		return rv;
	if (cid_op_external(op))
		return cid_ext_sign(op, in, len, final, out, outlen);
	dst = ec ? der : out;
	sl = ec ? sizeof(der) : *outlen;
	if (op->pctx != NULL)
		ok = EVP_PKEY_sign(op->pctx, dst, &sl, in, len);
	else if (final)
		ok = EVP_DigestSignFinal(op->mctx, dst, &sl);
	else
		ok = EVP_DigestSign(op->mctx, dst, &sl, in, len);
	if (ok <= 0)
		return CID_OSSL_FAIL("signing");
	if (ec) {
		if (!cid_ecdsa_der_to_raw(der, sl, op->key->size, out)) {
			CID_ERROR("ECDSA signature from OpenSSL did not parse");
			return CKR_FUNCTION_FAILED;
		}
		sl = 2 * op->key->size;
	}
	*outlen = (CK_ULONG)sl;
	return CKR_OK;
}

/* ---- verify ----------------------------------------------------------------- */

CK_RV cid_verify_run(cid_op *op, const uint8_t *in, size_t len, bool final, const uint8_t *sig, size_t siglen)
{
	uint8_t buf[RSA_MAX_BYTES], der[CID_ECDSA_DER_MAX];
	CK_RV rv;
	int ok;

	if (siglen != op->outlen) {
		CID_INFO("signature of %zu bytes, expected %zu", siglen, op->outlen);
		return CKR_SIGNATURE_LEN_RANGE;
	}
	if (!final) {
		rv = check_input(op, in, len, buf);
		if (rv != CKR_OK)
			return rv;
		if (op->impl->fam == CID_F_RSA_X509) {
			in = buf;
			len = op->key->size;
		}
	}
	if (is_ecdsa(op)) {
		siglen = cid_ecdsa_raw_to_der(sig, op->key->size, der);
		sig = der;
	}
	if (op->pctx != NULL)
		ok = EVP_PKEY_verify(op->pctx, sig, siglen, in, len);
	else if (final)
		ok = EVP_DigestVerifyFinal(op->mctx, sig, siglen);
	else
		ok = EVP_DigestVerify(op->mctx, sig, siglen, in, len);
	if (ok != 1) {
		ERR_clear_error();
		CID_INFO("signature does not verify (mechanism 0x%lx)", (unsigned long)op->desc->type);
		return CKR_SIGNATURE_INVALID;
	}
	return CKR_OK;
}
