/* Signing helpers of the careid card test: the public key of a card
 * certificate, the mechanisms the slot offers and their names, the PSS
 * parameters and input each mechanism signs, and signing on the card in
 * one and in several parts, each signature checked by OpenSSL. */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <openssl/x509.h>

#include "../api/th_ossl.h"
#include "card_sign.h"

const CK_BYTE card_msg[sizeof(CARD_MSG_TEXT)] = CARD_MSG_TEXT;

/* The public key of the card's certificate with CKA_ID id. */
EVP_PKEY *cert_key(int id)
{
	CK_SESSION_HANDLE s = open_session(false);
	X509 *x = cert_of(s, find_one(s, CKO_CERTIFICATE, id));
	EVP_PKEY *pk = X509_get_pubkey(x);

	X509_free(x);
	CK(F->C_CloseSession(s));
	assert_non_null(pk);
	return pk;
}

bool offered(CK_MECHANISM_TYPE m, CK_FLAGS need)
{
	CK_MECHANISM_INFO mi;

	return F->C_GetMechanismInfo(card_g.slot, m, &mi) == CKR_OK && (mi.flags & need) == need;
}

const char *mech_name(CK_MECHANISM_TYPE m)
{
	switch (m) {
	case CKM_RSA_PKCS: return "CKM_RSA_PKCS";
	case CKM_RSA_X_509: return "CKM_RSA_X_509";
	case CKM_RSA_PKCS_OAEP: return "CKM_RSA_PKCS_OAEP";
	case CKM_SHA1_RSA_PKCS: return "CKM_SHA1_RSA_PKCS";
	case CKM_SHA224_RSA_PKCS: return "CKM_SHA224_RSA_PKCS";
	case CKM_SHA256_RSA_PKCS: return "CKM_SHA256_RSA_PKCS";
	case CKM_SHA384_RSA_PKCS: return "CKM_SHA384_RSA_PKCS";
	case CKM_SHA512_RSA_PKCS: return "CKM_SHA512_RSA_PKCS";
	case CKM_RSA_PKCS_PSS: return "CKM_RSA_PKCS_PSS";
	case CKM_SHA1_RSA_PKCS_PSS: return "CKM_SHA1_RSA_PKCS_PSS";
	case CKM_SHA224_RSA_PKCS_PSS: return "CKM_SHA224_RSA_PKCS_PSS";
	case CKM_SHA256_RSA_PKCS_PSS: return "CKM_SHA256_RSA_PKCS_PSS";
	case CKM_SHA384_RSA_PKCS_PSS: return "CKM_SHA384_RSA_PKCS_PSS";
	case CKM_SHA512_RSA_PKCS_PSS: return "CKM_SHA512_RSA_PKCS_PSS";
	case CKM_ECDSA: return "CKM_ECDSA";
	case CKM_ECDSA_SHA1: return "CKM_ECDSA_SHA1";
	case CKM_ECDSA_SHA224: return "CKM_ECDSA_SHA224";
	case CKM_ECDSA_SHA256: return "CKM_ECDSA_SHA256";
	case CKM_ECDSA_SHA384: return "CKM_ECDSA_SHA384";
	case CKM_ECDSA_SHA512: return "CKM_ECDSA_SHA512";
	default: return "mechanism";
	}
}

/* The hash a PSS or OAEP parameter block names, for a hash of md. */
static void hash_params(const EVP_MD *md, CK_MECHANISM_TYPE *hash, CK_RSA_PKCS_MGF_TYPE *mgf)
{
	switch (EVP_MD_get_type(md)) {
	case NID_sha1: *hash = CKM_SHA_1; *mgf = CKG_MGF1_SHA1; break;
	case NID_sha224: *hash = CKM_SHA224; *mgf = CKG_MGF1_SHA224; break;
	case NID_sha384: *hash = CKM_SHA384; *mgf = CKG_MGF1_SHA384; break;
	case NID_sha512: *hash = CKM_SHA512; *mgf = CKG_MGF1_SHA512; break;
	default: *hash = CKM_SHA256; *mgf = CKG_MGF1_SHA256; break;
	}
}

static size_t sha256(const CK_BYTE *in, size_t len, CK_BYTE out[32])
{
	unsigned int n = 0;

	assert_int_equal(1, EVP_Digest(in, len, out, &n, EVP_sha256(), NULL));
	return n;
}

static bool is_pss(CK_MECHANISM_TYPE m)
{
	return m == CKM_RSA_PKCS_PSS || m == CKM_SHA1_RSA_PKCS_PSS || m == CKM_SHA224_RSA_PKCS_PSS ||
	       m == CKM_SHA256_RSA_PKCS_PSS || m == CKM_SHA384_RSA_PKCS_PSS || m == CKM_SHA512_RSA_PKCS_PSS;
}

/* What a mechanism signs: the message for the hashing mechanisms, a
 * SHA-256 digest (wrapped or padded as the mechanism wants) otherwise. */
static size_t sign_input(CK_MECHANISM_TYPE m, CK_BYTE *out, size_t modlen)
{
	static const CK_BYTE sha256_info[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
		                               0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
	size_t n;

	if (tho_md(m) != NULL) {
		memcpy(out, card_msg, sizeof(card_msg));
		return sizeof(card_msg);
	}
	if (m == CKM_RSA_PKCS) {
		memcpy(out, sha256_info, sizeof(sha256_info));
		return sizeof(sha256_info) + sha256(card_msg, sizeof(card_msg), out + sizeof(sha256_info));
	}
	if (m == CKM_RSA_X_509) {
		/* An EMSA-PKCS1-v1_5 block built by hand: the card sees a raw
		 * modulus-size integer. */
		n = sizeof(sha256_info) + 32;
		assert_true(modlen > n + 11);
		out[0] = 0x00;
		out[1] = 0x01;
		memset(out + 2, 0xff, modlen - n - 3);
		out[modlen - n - 1] = 0x00;
		memcpy(out + modlen - n, sha256_info, sizeof(sha256_info));
		sha256(card_msg, sizeof(card_msg), out + modlen - 32);
		return modlen;
	}
	return sha256(card_msg, sizeof(card_msg), out);
}

/* C_SignInit, a context-specific login when asked, then the two-call
 * C_Sign (size, then signature). */
CK_RV card_sign(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key, CK_MECHANISM *m, bool ctx_login, const CK_BYTE *in,
                  CK_ULONG inlen, CK_BYTE *sig, CK_ULONG *siglen)
{
	CK_ULONG cap = *siglen;
	CK_RV rv = F->C_SignInit(s, m, key);

	if (rv == CKR_OK && ctx_login)
		rv = card_login(s, CKU_CONTEXT_SPECIFIC, USER_PIN);
	if (rv == CKR_OK)
		rv = F->C_Sign(s, (CK_BYTE_PTR)in, inlen, NULL, siglen);
	if (rv == CKR_OK && *siglen > cap)
		return CKR_BUFFER_TOO_SMALL;
	if (rv == CKR_OK)
		rv = F->C_Sign(s, (CK_BYTE_PTR)in, inlen, sig, siglen);
	return rv;
}

/* Signs with every mechanism in list that the slot offers for signing and
 * has OpenSSL check each signature against pk; required ones must be
 * offered.  The hashing mechanisms are tried multi-part as well. */
void sign_all(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key, EVP_PKEY *pk, bool ctx_login,
                     const CK_MECHANISM_TYPE *list, size_t n, const CK_MECHANISM_TYPE *required, size_t nreq)
{
	size_t modlen = (size_t)EVP_PKEY_get_size(pk), done = 0;

	for (size_t i = 0; i < nreq; i++)
		if (!offered(required[i], CKF_SIGN))
			fail_msg("%s is not offered for signing on the card slot", mech_name(required[i]));
	for (size_t i = 0; i < n; i++) {
		CK_RSA_PKCS_PSS_PARAMS pss = { 0 };
		CK_MECHANISM m = { list[i], NULL, 0 };
		CK_BYTE in[512], sig[512];
		CK_ULONG siglen = sizeof(sig);
		size_t inlen;
		CK_RV rv;

		if (!offered(list[i], CKF_SIGN))
			continue;
		if (is_pss(list[i])) {
			const EVP_MD *md = tho_md(list[i]) != NULL ? tho_md(list[i]) : EVP_sha256();

			hash_params(md, &pss.hashAlg, &pss.mgf);
			pss.sLen = (CK_ULONG)EVP_MD_get_size(md);
			m.pParameter = &pss;
			m.ulParameterLen = sizeof(pss);
		}
		inlen = sign_input(list[i], in, modlen);
		rv = card_sign(s, key, &m, ctx_login, in, inlen, sig, &siglen);
		if (rv != CKR_OK)
			fail_msg("sign with %s: 0x%lx", mech_name(list[i]), rv);
		if (!tho_verify(pk, &m, in, inlen, sig, siglen))
			fail_msg("OpenSSL rejects the %s signature", mech_name(list[i]));
		done++;
		if (tho_md(list[i]) == NULL)
			continue;
		siglen = sizeof(sig);
		rv = F->C_SignInit(s, &m, key);
		if (rv == CKR_OK && ctx_login)
			rv = card_login(s, CKU_CONTEXT_SPECIFIC, USER_PIN);
		if (rv == CKR_OK)
			rv = F->C_SignUpdate(s, in, 10);
		if (rv == CKR_OK)
			rv = F->C_SignUpdate(s, in + 10, inlen - 10);
		if (rv == CKR_OK)
			rv = F->C_SignFinal(s, sig, &siglen);
		if (rv != CKR_OK)
			fail_msg("multi-part sign with %s: 0x%lx", mech_name(list[i]), rv);
		if (!tho_verify(pk, &m, in, inlen, sig, siglen))
			fail_msg("OpenSSL rejects the multi-part %s signature", mech_name(list[i]));
	}
	assert_true(done >= nreq);
}
