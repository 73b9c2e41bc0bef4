/* OpenSSL as the independent judge of the module's cryptography: public
 * keys rebuilt from what C_GetAttributeValue reveals, and signatures
 * checked the way any relying party would check them.  Header-only so that
 * each API test stays one source file plus the harness. */
#ifndef CAREID_TESTS_TH_OSSL_H
#define CAREID_TESTS_TH_OSSL_H

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "harness.h"

/* Reads an attribute into a fresh buffer (the test fails when absent). */
static inline CK_BYTE *tho_attr(th_env *env, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
                                CK_ATTRIBUTE_TYPE t, CK_ULONG *len)
{
	CK_ATTRIBUTE a = { t, NULL, 0 };
	CK(env->f->C_GetAttributeValue(s, o, &a, 1));
	a.pValue = malloc(a.ulValueLen + 1);
	assert_non_null(a.pValue);
	CK(env->f->C_GetAttributeValue(s, o, &a, 1));
	*len = a.ulValueLen;
	return a.pValue;
}

static inline CK_ULONG tho_ulong(th_env *env, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
                                 CK_ATTRIBUTE_TYPE t)
{
	CK_ULONG v = 0;
	CK_ATTRIBUTE a = { t, &v, sizeof(v) };
	CK(env->f->C_GetAttributeValue(s, o, &a, 1));
	return v;
}

/* The contents of a DER OCTET STRING (short or long form length). */
static inline const CK_BYTE *tho_octets(const CK_BYTE *der, CK_ULONG len, size_t *out)
{
	size_t hdr = 2, n;
	assert_true(len >= 2 && der[0] == 0x04);
	if (der[1] < 0x80) {
		n = der[1];
	} else {
		size_t k = der[1] & 0x7f;
		assert_true(k >= 1 && k <= 2 && len >= 2 + k);
		n = k == 1 ? der[2] : ((size_t)der[2] << 8 | der[3]);
		hdr += k;
	}
	assert_int_equal(hdr + n, len);
	*out = n;
	return der + hdr;
}

static inline EVP_PKEY *tho_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pk = NULL;
	assert_non_null(params);
	assert_non_null(ctx);
	assert_int_equal(1, EVP_PKEY_fromdata_init(ctx));
	assert_int_equal(1, EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params));
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return pk;
}

/* The OpenSSL public key of a token public key object. */
static inline EVP_PKEY *tho_pubkey(th_env *env, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE pub)
{
	CK_ULONG kt = tho_ulong(env, s, pub, CKA_KEY_TYPE), len, plen;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *pk = NULL;
	assert_non_null(bld);
	if (kt == CKK_RSA) {
		CK_BYTE *n = tho_attr(env, s, pub, CKA_MODULUS, &len);
		CK_BYTE *e = tho_attr(env, s, pub, CKA_PUBLIC_EXPONENT, &plen);
		BIGNUM *bn = BN_bin2bn(n, (int)len, NULL), *be = BN_bin2bn(e, (int)plen, NULL);
		OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn);
		OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be);
		pk = tho_fromdata("RSA", bld);
		BN_free(bn);
		BN_free(be);
		free(n);
		free(e);
		return pk;
	}
	CK_BYTE *point = tho_attr(env, s, pub, CKA_EC_POINT, &len);
	CK_BYTE *params = tho_attr(env, s, pub, CKA_EC_PARAMS, &plen);
	size_t rawlen;
	const CK_BYTE *raw = tho_octets(point, len, &rawlen);
	if (kt == CKK_EC_EDWARDS) {
		OSSL_PARAM_BLD_free(bld);
		pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, rawlen);
	} else {
		assert_int_equal(CKK_EC, kt);
		/* P-384's OID is the shorter one (1.3.132.0.34). */
		const char *curve = plen == 7 ? "secp384r1" : "prime256v1";
		OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, curve, 0);
		OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, raw, rawlen);
		pk = tho_fromdata("EC", bld);
	}
	assert_non_null(pk);
	free(point);
	free(params);
	return pk;
}

static inline const EVP_MD *tho_md(CK_MECHANISM_TYPE m)
{
	switch (m) {
	case CKM_SHA_1: case CKM_SHA1_RSA_PKCS: case CKM_SHA1_RSA_PKCS_PSS: case CKM_ECDSA_SHA1:
		return EVP_sha1();
	case CKM_SHA224: case CKM_SHA224_RSA_PKCS: case CKM_SHA224_RSA_PKCS_PSS:
	case CKM_ECDSA_SHA224:
		return EVP_sha224();
	case CKM_SHA256: case CKM_SHA256_RSA_PKCS: case CKM_SHA256_RSA_PKCS_PSS:
	case CKM_ECDSA_SHA256:
		return EVP_sha256();
	case CKM_SHA384: case CKM_SHA384_RSA_PKCS: case CKM_SHA384_RSA_PKCS_PSS:
	case CKM_ECDSA_SHA384:
		return EVP_sha384();
	case CKM_SHA512: case CKM_SHA512_RSA_PKCS: case CKM_SHA512_RSA_PKCS_PSS:
	case CKM_ECDSA_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

/* MGF1 codes overlap mechanism codes (CKG_MGF1_SHA1 == CKM_RSA_PKCS). */
static inline const EVP_MD *tho_mgf_md(CK_RSA_PKCS_MGF_TYPE g)
{
	switch (g) {
	case CKG_MGF1_SHA1: return EVP_sha1();
	case CKG_MGF1_SHA224: return EVP_sha224();
	case CKG_MGF1_SHA256: return EVP_sha256();
	case CKG_MGF1_SHA384: return EVP_sha384();
	case CKG_MGF1_SHA512: return EVP_sha512();
	default: return NULL;
	}
}

/* PKCS#11 ECDSA signatures are r || s; OpenSSL wants DER. */
static inline unsigned char *tho_ecdsa_der(const CK_BYTE *sig, CK_ULONG len, size_t *outlen)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	unsigned char *der = NULL;
	assert_non_null(es);
	assert_true(len % 2 == 0);
	BIGNUM *r = BN_bin2bn(sig, (int)(len / 2), NULL);
	BIGNUM *sv = BN_bin2bn(sig + len / 2, (int)(len / 2), NULL);
	assert_int_equal(1, ECDSA_SIG_set0(es, r, sv));
	int n = i2d_ECDSA_SIG(es, &der);
	assert_true(n > 0);
	ECDSA_SIG_free(es);
	*outlen = (size_t)n;
	return der;
}

static inline int tho_set_pss(EVP_PKEY_CTX *ctx, const CK_MECHANISM *m)
{
	const CK_RSA_PKCS_PSS_PARAMS *p = m->pParameter;
	return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1 &&
	       EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, tho_mgf_md(p->mgf)) == 1 &&
	       EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, (int)p->sLen) == 1;
}

/* 1 when OpenSSL accepts sig over data for the PKCS#11 mechanism m. */
static inline int tho_verify(EVP_PKEY *pk, const CK_MECHANISM *m, const CK_BYTE *data,
                             CK_ULONG len, const CK_BYTE *sig, CK_ULONG siglen)
{
	EVP_PKEY_CTX *pctx = NULL;
	int ok = 0;
	const EVP_MD *md = tho_md(m->mechanism);
	unsigned char *der = NULL;
	size_t derlen = siglen;
	const unsigned char *s = sig;
	bool ecdsa = EVP_PKEY_is_a(pk, "EC");

	if (ecdsa) {
		der = tho_ecdsa_der(sig, siglen, &derlen);
		s = der;
	}
	if (md != NULL || m->mechanism == CKM_EDDSA) {
		EVP_MD_CTX *mctx = EVP_MD_CTX_new();
		ok = EVP_DigestVerifyInit(mctx, &pctx, md, NULL, pk) == 1;
		if (ok && m->mechanism != CKM_EDDSA && !ecdsa)
			ok = m->pParameter != NULL ? tho_set_pss(pctx, m)
			     : EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
		ok = ok && EVP_DigestVerify(mctx, s, derlen, data, len) == 1;
		EVP_MD_CTX_free(mctx);
	} else {
		pctx = EVP_PKEY_CTX_new(pk, NULL);
		ok = EVP_PKEY_verify_init(pctx) == 1;
		if (ok && m->mechanism == CKM_RSA_PKCS)
			ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
		if (ok && m->mechanism == CKM_RSA_PKCS_PSS) {
			const CK_RSA_PKCS_PSS_PARAMS *p = m->pParameter;
			ok = tho_set_pss(pctx, m) &&
			     EVP_PKEY_CTX_set_signature_md(pctx, tho_md(p->hashAlg)) == 1;
		}
		if (ok && m->mechanism == CKM_RSA_X_509) {
			/* Raw RSA: sig^e mod n must give the data, left-padded. */
			unsigned char rec[512];
			size_t reclen = sizeof(rec);
			ok = EVP_PKEY_verify_recover_init(pctx) == 1 &&
			     EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_NO_PADDING) == 1 &&
			     EVP_PKEY_verify_recover(pctx, rec, &reclen, s, derlen) == 1 &&
			     reclen >= len && memcmp(rec + reclen - len, data, len) == 0;
			for (size_t i = 0; ok && i < reclen - len; i++)
				ok = rec[i] == 0;
		} else {
			ok = ok && EVP_PKEY_verify(pctx, s, derlen, data, len) == 1;
		}
		EVP_PKEY_CTX_free(pctx);
	}
	OPENSSL_free(der);
	return ok;
}

#endif
