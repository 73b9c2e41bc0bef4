/* The crypto layer: signatures of every mechanism, checked by OpenSSL on its own. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/attrs.h"
#include "common/mem.h"
#include "crypto/crypto.h"

#include "crypto_fixture.h"

/* ---- signatures ---------------------------------------------------------------- */

typedef struct sigcase {
	CK_MECHANISM_TYPE mech;
	kp *k;
	const char *md;         /* hash for the independent check */
	int pad;                /* RSA padding, 0 for EC */
	int saltlen;
	const char *mgf;        /* NULL: same as md */
	CK_RSA_PKCS_PSS_PARAMS *pss;
	bool prehashed;         /* input is the digest (single-part mechanisms) */
	size_t siglen;
} sigcase;

static size_t to_der(const uint8_t *sig, size_t sl, uint8_t *der)
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)sl / 2, NULL), *ss = BN_bin2bn(sig + sl / 2, (int)sl / 2, NULL);
	uint8_t *p = der;
	int n;

	assert_int_equal(1, ECDSA_SIG_set0(s, r, ss));
	n = i2d_ECDSA_SIG(s, &p);
	ECDSA_SIG_free(s);
	assert_true(n > 0);
	return (size_t)n;
}

static void ossl_config(EVP_PKEY_CTX *pc, const sigcase *c)
{
	if (c->pad == 0)
		return;
	assert_int_equal(1, EVP_PKEY_CTX_set_rsa_padding(pc, c->pad));
	if (c->pad == RSA_PKCS1_PSS_PADDING) {
		assert_int_equal(1, EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, c->saltlen));
		if (c->mgf != NULL)
			assert_int_equal(1, EVP_PKEY_CTX_set_rsa_mgf1_md_name(pc, c->mgf, NULL));
	}
}

/* Verifies with OpenSSL alone, from the public attributes. */
static int ossl_verify(const sigcase *c, const uint8_t *msg, size_t mlen, const uint8_t *sig, size_t sl)
{
	EVP_PKEY *pk = ossl_pub(c->k);
	uint8_t der[160], h[64];
	int ok;

	if (c->k->kt == CKK_EC) {
		sl = to_der(sig, sl, der);
		sig = der;
	}
	if (c->prehashed) {
		EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
		EVP_MD *md = EVP_MD_fetch(NULL, c->md, NULL);

		sha(c->md, msg, mlen, h);
		assert_int_equal(1, EVP_PKEY_verify_init(pc));
		ossl_config(pc, c);
		assert_int_equal(1, EVP_PKEY_CTX_set_signature_md(pc, md));
		ok = EVP_PKEY_verify(pc, sig, sl, h, (size_t)EVP_MD_get_size(md));
		EVP_MD_free(md);
		EVP_PKEY_CTX_free(pc);
	} else {
		EVP_MD_CTX *m = EVP_MD_CTX_new();
		EVP_PKEY_CTX *pc = NULL;

		assert_int_equal(1, EVP_DigestVerifyInit_ex(m, &pc, c->md, NULL, NULL, pk, NULL));
		ossl_config(pc, c);
		ok = EVP_DigestVerify(m, sig, sl, msg, mlen);
		EVP_MD_CTX_free(m);
	}
	EVP_PKEY_free(pk);
	return ok;
}

/* The bytes the caller hands to a single-part mechanism. */
static size_t input_for(const sigcase *c, const uint8_t *msg, size_t mlen, uint8_t *in)
{
	EVP_MD *md;
	size_t off = 0;

	if (!c->prehashed) {
		memcpy(in, msg, mlen);
		return mlen;
	}
	if (c->mech == CKM_RSA_PKCS) {
		memcpy(in, DI_SHA256, sizeof(DI_SHA256));
		off = sizeof(DI_SHA256);
	}
	sha(c->md, msg, mlen, in + off);
	md = EVP_MD_fetch(NULL, c->md, NULL);
	off += (size_t)EVP_MD_get_size(md);
	EVP_MD_free(md);
	return off;
}

static void run_sigcase(const sigcase *c)
{
	CK_MECHANISM m = { c->mech, c->pss, c->pss ? sizeof(*c->pss) : 0 };
	uint8_t in[128], sig[600];
	size_t inlen = input_for(c, MSG, sizeof(MSG), in);
	CK_ULONG sl = 0;
	cid_op *op = NULL;

	/* Length query, then a short buffer, then the real call on one op. */
	assert_int_equal(CKR_OK, cid_op_new(CID_OP_SIGN, &m, c->k->kpriv, &op));
	assert_int_equal(CKR_OK, cid_op_oneshot(op, in, inlen, NULL, &sl));
	assert_int_equal(c->siglen, sl);
	sl = 3;
	assert_int_equal(CKR_BUFFER_TOO_SMALL, cid_op_oneshot(op, in, inlen, sig, &sl));
	assert_int_equal(c->siglen, sl);
	sl = sizeof(sig);
	assert_int_equal(CKR_OK, cid_op_oneshot(op, in, inlen, sig, &sl));
	assert_int_equal(c->siglen, sl);
	cid_op_free(&op);
	assert_null(op);

	assert_int_equal(1, ossl_verify(c, MSG, sizeof(MSG), sig, sl));
	assert_int_equal(CKR_OK, do_verify(&m, c->k->kpub, in, inlen, sig, sl));
	/* The private key verifies too (it holds the public half). */
	assert_int_equal(CKR_OK, do_verify(&m, c->k->kpriv, in, inlen, sig, sl));
	assert_int_equal(CKR_SIGNATURE_LEN_RANGE, do_verify(&m, c->k->kpub, in, inlen, sig, sl - 1));
	assert_int_equal(CKR_SIGNATURE_LEN_RANGE, do_verify(&m, c->k->kpub, in, inlen, sig, 0));
	sig[sl / 2] ^= 0x10;
	assert_int_equal(CKR_SIGNATURE_INVALID, do_verify(&m, c->k->kpub, in, inlen, sig, sl));
	assert_int_not_equal(1, ossl_verify(c, MSG, sizeof(MSG), sig, sl));
	sig[sl / 2] ^= 0x10;
	in[0] ^= 1;
	assert_int_equal(CKR_SIGNATURE_INVALID, do_verify(&m, c->k->kpub, in, inlen, sig, sl));
	in[0] ^= 1;

	if (!cid_mech_find(c->mech)->multipart)
		return;
	/* Multi-part in uneven pieces: sign, verify, and check with OpenSSL. */
	assert_int_equal(CKR_OK, cid_op_new(CID_OP_SIGN, &m, c->k->kpriv, &op));
	assert_int_equal(CKR_OK, cid_op_update(op, MSG, 5));
	assert_int_equal(CKR_OK, cid_op_update(op, MSG + 5, 0));
	assert_int_equal(CKR_OK, cid_op_update(op, MSG + 5, sizeof(MSG) - 5));
	sl = 0;
	assert_int_equal(CKR_OK, cid_op_final(op, NULL, &sl));
	assert_int_equal(c->siglen, sl);
	sl = 1;
	assert_int_equal(CKR_BUFFER_TOO_SMALL, cid_op_final(op, sig, &sl));
	sl = sizeof(sig);
	assert_int_equal(CKR_OK, cid_op_final(op, sig, &sl));
	cid_op_free(&op);
	assert_int_equal(1, ossl_verify(c, MSG, sizeof(MSG), sig, sl));
	assert_int_equal(CKR_OK, cid_op_new(CID_OP_VERIFY, &m, c->k->kpub, &op));
	assert_int_equal(CKR_OK, cid_op_update(op, MSG, 7));
	assert_int_equal(CKR_OK, cid_op_update(op, MSG + 7, sizeof(MSG) - 7));
	assert_int_equal(CKR_OK, cid_op_verify_final(op, sig, sl));
	cid_op_free(&op);
	assert_int_equal(CKR_OK, cid_op_new(CID_OP_VERIFY, &m, c->k->kpub, &op));
	assert_int_equal(CKR_OK, cid_op_update(op, MSG, sizeof(MSG) - 1));
	assert_int_equal(CKR_SIGNATURE_INVALID, cid_op_verify_final(op, sig, sl));
	cid_op_free(&op);
	assert_int_equal(CKR_OK, cid_op_new(CID_OP_VERIFY, &m, c->k->kpub, &op));
	assert_int_equal(CKR_SIGNATURE_LEN_RANGE, cid_op_verify_final(op, sig, sl + 1));
	cid_op_free(&op);
}

static void sign_rsa(void **state)
{
	CK_RSA_PKCS_PSS_PARAMS p256p = { CKM_SHA256, CKG_MGF1_SHA256, 32 };
	CK_RSA_PKCS_PSS_PARAMS p256sha1mgf = { CKM_SHA256, CKG_MGF1_SHA1, 0 };
	CK_RSA_PKCS_PSS_PARAMS p1 = { CKM_SHA_1, CKG_MGF1_SHA1, 20 }, p224 = { CKM_SHA224, CKG_MGF1_SHA224, 28 };
	CK_RSA_PKCS_PSS_PARAMS p384p = { CKM_SHA384, CKG_MGF1_SHA384, 48 }, p512 = { CKM_SHA512, CKG_MGF1_SHA512, 64 };
	CK_RSA_PKCS_PSS_PARAMS p384other = { CKM_SHA384, CKG_MGF1_SHA512, 10 };
	const sigcase cases[] = {
		{ CKM_RSA_PKCS, &rsa2048, "SHA256", RSA_PKCS1_PADDING, 0, NULL, NULL, true, 256 },
		{ CKM_SHA1_RSA_PKCS, &rsa2048, "SHA1", RSA_PKCS1_PADDING, 0, NULL, NULL, false, 256 },
		{ CKM_SHA224_RSA_PKCS, &rsa2048, "SHA224", RSA_PKCS1_PADDING, 0, NULL, NULL, false, 256 },
		{ CKM_SHA256_RSA_PKCS, &rsa2048, "SHA256", RSA_PKCS1_PADDING, 0, NULL, NULL, false, 256 },
		{ CKM_SHA384_RSA_PKCS, &rsa2048, "SHA384", RSA_PKCS1_PADDING, 0, NULL, NULL, false, 256 },
		{ CKM_SHA512_RSA_PKCS, &rsa2048, "SHA512", RSA_PKCS1_PADDING, 0, NULL, NULL, false, 256 },
		{ CKM_RSA_PKCS_PSS, &rsa2048, "SHA256", RSA_PKCS1_PSS_PADDING, 32, NULL, &p256p, true, 256 },
		{ CKM_RSA_PKCS_PSS, &rsa2048, "SHA256", RSA_PKCS1_PSS_PADDING, 0, "SHA1", &p256sha1mgf, true, 256 },
		{ CKM_RSA_PKCS_PSS, &rsa2048, "SHA384", RSA_PKCS1_PSS_PADDING, 10, "SHA512", &p384other, true, 256 },
		{ CKM_SHA1_RSA_PKCS_PSS, &rsa2048, "SHA1", RSA_PKCS1_PSS_PADDING, 20, NULL, &p1, false, 256 },
		{ CKM_SHA224_RSA_PKCS_PSS, &rsa2048, "SHA224", RSA_PKCS1_PSS_PADDING, 28, NULL, &p224, false, 256 },
		{ CKM_SHA256_RSA_PKCS_PSS, &rsa2048, "SHA256", RSA_PKCS1_PSS_PADDING, 0, "SHA1", &p256sha1mgf, false, 256 },
		{ CKM_SHA256_RSA_PKCS_PSS, &rsa2048, "SHA256", RSA_PKCS1_PSS_PADDING, 32, NULL, &p256p, false, 256 },
		{ CKM_SHA384_RSA_PKCS_PSS, &rsa2048, "SHA384", RSA_PKCS1_PSS_PADDING, 48, NULL, &p384p, false, 256 },
		{ CKM_SHA512_RSA_PKCS_PSS, &rsa2048, "SHA512", RSA_PKCS1_PSS_PADDING, 64, NULL, &p512, false, 256 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_sigcase(&cases[i]);
}

static void sign_ec(void **state)
{
	const sigcase cases[] = {
		{ CKM_ECDSA, &p256, "SHA256", 0, 0, NULL, NULL, true, 64 },
		{ CKM_ECDSA, &p256, "SHA1", 0, 0, NULL, NULL, true, 64 },
		/* Longer than the order: truncated as X9.62 says. */
		{ CKM_ECDSA, &p256, "SHA512", 0, 0, NULL, NULL, true, 64 },
		{ CKM_ECDSA, &p384, "SHA384", 0, 0, NULL, NULL, true, 96 },
		{ CKM_ECDSA_SHA1, &p256, "SHA1", 0, 0, NULL, NULL, false, 64 },
		{ CKM_ECDSA_SHA224, &p256, "SHA224", 0, 0, NULL, NULL, false, 64 },
		{ CKM_ECDSA_SHA256, &p256, "SHA256", 0, 0, NULL, NULL, false, 64 },
		{ CKM_ECDSA_SHA384, &p384, "SHA384", 0, 0, NULL, NULL, false, 96 },
		{ CKM_ECDSA_SHA512, &p384, "SHA512", 0, 0, NULL, NULL, false, 96 },
		{ CKM_EDDSA, &ed, NULL, 0, 0, NULL, NULL, false, 64 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_sigcase(&cases[i]);
}

static void ecdsa_many(void **state)
{
	CK_MECHANISM m = { CKM_ECDSA, NULL, 0 };
	const sigcase c = { CKM_ECDSA, &p256, "SHA256", 0, 0, NULL, NULL, true, 64 };
	uint8_t h[32], sig[64], der[80];
	CK_ULONG sl;
	bool short_r = false;

	(void)state;
	sha("SHA256", MSG, sizeof(MSG), h);
	/* Enough signatures that some r or s has leading zero bytes, which
	 * must still come out padded to 32 bytes. */
	for (int i = 0; i < 5000 && !short_r; i++) {
		sl = sizeof(sig);
		assert_int_equal(CKR_OK, do_sign(&m, p256.kpriv, h, sizeof(h), sig, &sl));
		assert_int_equal(64, sl);
		if (sig[0] == 0 || sig[32] == 0) {
			short_r = true;
			assert_int_equal(1, ossl_verify(&c, MSG, sizeof(MSG), sig, sl));
			assert_int_equal(CKR_OK, do_verify(&m, p256.kpub, h, sizeof(h), sig, sl));
		}
	}
	assert_true(short_r);
	/* r = 0 never verifies and does not crash the encoder. */
	memset(sig, 0, 32);
	assert_int_equal(CKR_SIGNATURE_INVALID, do_verify(&m, p256.kpub, h, sizeof(h), sig, 64));
	memset(sig, 0xff, 64);
	assert_int_equal(CKR_SIGNATURE_INVALID, do_verify(&m, p256.kpub, h, sizeof(h), sig, 64));
	assert_int_equal(CKR_SIGNATURE_LEN_RANGE, do_verify(&m, p256.kpub, h, sizeof(h), der, 72));
	assert_int_equal(CKR_DATA_LEN_RANGE, do_verify(&m, p256.kpub, h, 0, sig, 64));
	sl = sizeof(sig);
	assert_int_equal(CKR_DATA_LEN_RANGE, do_sign(&m, p256.kpriv, h, 0, sig, &sl));
}

static void sign_rsa_raw(void **state)
{
	CK_MECHANISM m = { CKM_RSA_X_509, NULL, 0 };
	const CK_ATTRIBUTE *n = need(&rsa2048.pub, CKA_MODULUS);
	uint8_t in[300], sig[256], rec[256];
	CK_ULONG sl = sizeof(sig), rl = sizeof(rec);
	EVP_PKEY *pk = ossl_pub(&rsa2048);
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
	size_t recl = sizeof(rec);

	(void)state;
	memset(in, 0x5a, sizeof(in));
	/* Short input is zero-padded on the left: sig^e = 0..0 || input. */
	assert_int_equal(CKR_OK, do_sign(&m, rsa2048.kpriv, in, 20, sig, &sl));
	assert_int_equal(256, sl);
	assert_int_equal(1, EVP_PKEY_encrypt_init(pc));
	assert_int_equal(1, EVP_PKEY_CTX_set_rsa_padding(pc, RSA_NO_PADDING));
	assert_int_equal(1, EVP_PKEY_encrypt(pc, rec, &recl, sig, 256));
	assert_int_equal(256, recl);
	memset(in + 300 - 256, 0, 236);
	assert_memory_equal(rec, in + 300 - 256, 256);
	assert_int_equal(CKR_OK, do_verify(&m, rsa2048.kpub, in + 300 - 20, 20, sig, sl));
	assert_int_equal(CKR_OK, do_verify(&m, rsa2048.kpub, in + 300 - 256, 256, sig, sl));
	assert_int_equal(CKR_SIGNATURE_INVALID, do_verify(&m, rsa2048.kpub, in + 300 - 19, 19, sig, sl));
	/* Input equal to n, and input longer than the modulus. */
	assert_int_equal(CKR_DATA_INVALID, do_sign(&m, rsa2048.kpriv, n->pValue, 256, sig, &sl));
	assert_int_equal(CKR_DATA_LEN_RANGE, do_sign(&m, rsa2048.kpriv, in, 257, sig, &sl));
	/* Signature not below n. */
	assert_int_equal(CKR_SIGNATURE_INVALID, do_verify(&m, rsa2048.kpub, in, 20, n->pValue, 256));
	(void)rl;
	EVP_PKEY_CTX_free(pc);
	EVP_PKEY_free(pk);
}

static void sign_errors(void **state)
{
	CK_RSA_PKCS_PSS_PARAMS pss = { CKM_SHA256, CKG_MGF1_SHA256, 32 };
	CK_EDDSA_PARAMS edp = { CK_FALSE, 0, NULL };
	uint8_t ctx[4] = { 1, 2, 3, 4 }, buf[512], sig[256];
	CK_MECHANISM m = { CKM_SHA384_RSA_PKCS_PSS, &pss, sizeof(pss) };
	CK_ULONG sl = sizeof(sig);
	cid_op *op = NULL;

	(void)state;
	/* PSS: hash must match the mechanism, MGF must be known, salt must fit. */
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, cid_op_new(CID_OP_SIGN, &m, rsa2048.kpriv, &op));
	m.mechanism = CKM_SHA256_RSA_PKCS_PSS;
	pss.mgf = 0x99;
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, cid_op_new(CID_OP_SIGN, &m, rsa2048.kpriv, &op));
	pss.mgf = CKG_MGF1_SHA256;
	pss.sLen = 256 - 32 - 1;
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, cid_op_new(CID_OP_SIGN, &m, rsa2048.kpriv, &op));
	pss.sLen = 256 - 32 - 2;
	assert_int_equal(CKR_OK, cid_op_new(CID_OP_SIGN, &m, rsa2048.kpriv, &op));
	cid_op_free(&op);
	pss.sLen = 32;
	pss.hashAlg = CKM_MD5;
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, cid_op_new(CID_OP_SIGN, &m, rsa2048.kpriv, &op));
	pss.hashAlg = CKM_SHA256;
	m.ulParameterLen = sizeof(pss) - 1;
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, cid_op_new(CID_OP_SIGN, &m, rsa2048.kpriv, &op));
	m.pParameter = NULL;
	m.ulParameterLen = 0;
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, cid_op_new(CID_OP_SIGN, &m, rsa2048.kpriv, &op));
	/* Single-part PSS: the input must be a digest of hashAlg's length. */
	m = (CK_MECHANISM){ CKM_RSA_PKCS_PSS, &pss, sizeof(pss) };
	assert_int_equal(CKR_DATA_LEN_RANGE, do_sign(&m, rsa2048.kpriv, buf, 20, sig, &sl));
	/* PKCS#1 v1.5 raw input limit k-11. */
	m = (CK_MECHANISM){ CKM_RSA_PKCS, NULL, 0 };
	memset(buf, 1, sizeof(buf));
	assert_int_equal(CKR_OK, do_sign(&m, rsa2048.kpriv, buf, 245, sig, &sl));
	assert_int_equal(CKR_OK, do_verify(&m, rsa2048.kpub, buf, 245, sig, sl));
	sl = sizeof(sig);
	assert_int_equal(CKR_DATA_LEN_RANGE, do_sign(&m, rsa2048.kpriv, buf, 246, sig, &sl));
	assert_int_equal(CKR_DATA_LEN_RANGE, do_verify(&m, rsa2048.kpub, buf, 246, sig, 256));
	/* A parameter where none is taken. */
	m.pParameter = buf;
	m.ulParameterLen = 4;
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, cid_op_new(CID_OP_SIGN, &m, rsa2048.kpriv, &op));
	m.pParameter = NULL;
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, cid_op_new(CID_OP_SIGN, &m, rsa2048.kpriv, &op));
	/* Mechanism, key type, key class. */
	m = (CK_MECHANISM){ CKM_DSA, NULL, 0 };
	assert_int_equal(CKR_MECHANISM_INVALID, cid_op_new(CID_OP_SIGN, &m, rsa2048.kpriv, &op));
	m.mechanism = CKM_ECDH1_DERIVE;
	assert_int_equal(CKR_MECHANISM_INVALID, cid_op_new(CID_OP_SIGN, &m, p256.kpriv, &op));
	m.mechanism = CKM_SHA256_RSA_PKCS_PSS;
	assert_int_equal(CKR_MECHANISM_INVALID, cid_op_new(CID_OP_ENCRYPT, &m, rsa2048.kpub, &op));
	m.mechanism = CKM_ECDSA;
	assert_int_equal(CKR_KEY_TYPE_INCONSISTENT, cid_op_new(CID_OP_SIGN, &m, rsa2048.kpriv, &op));
	assert_int_equal(CKR_KEY_TYPE_INCONSISTENT, cid_op_new(CID_OP_SIGN, &m, ed.kpriv, &op));
	assert_int_equal(CKR_KEY_FUNCTION_NOT_PERMITTED, cid_op_new(CID_OP_SIGN, &m, p256.kpub, &op));
	m.mechanism = CKM_RSA_PKCS;
	assert_int_equal(CKR_KEY_FUNCTION_NOT_PERMITTED, cid_op_new(CID_OP_DECRYPT, &m, rsa2048.kpub, &op));
	assert_null(op);
	/* EdDSA: only pure Ed25519 without context. */
	m = (CK_MECHANISM){ CKM_EDDSA, &edp, sizeof(edp) };
	assert_int_equal(CKR_OK, cid_op_new(CID_OP_SIGN, &m, ed.kpriv, &op));
	cid_op_free(&op);
	edp.phFlag = CK_TRUE;
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, cid_op_new(CID_OP_SIGN, &m, ed.kpriv, &op));
	edp.phFlag = CK_FALSE;
	edp.ulContextDataLen = sizeof(ctx);
	edp.pContextData = ctx;
	assert_int_equal(CKR_MECHANISM_PARAM_INVALID, cid_op_new(CID_OP_VERIFY, &m, ed.kpub, &op));
	assert_null(op);
	/* Out-of-sequence calls are refused, not crashed on. */
	m = (CK_MECHANISM){ CKM_ECDSA, NULL, 0 };
	assert_int_equal(CKR_OK, cid_op_new(CID_OP_SIGN, &m, p256.kpriv, &op));
	assert_int_equal(CID_OP_SIGN, cid_op_get_kind(op));
	assert_int_not_equal(CKR_OK, cid_op_update(op, buf, 1));
	assert_int_not_equal(CKR_OK, cid_op_final(op, sig, &sl));
	assert_int_not_equal(CKR_OK, cid_op_verify_final(op, sig, 64));
	cid_op_free(&op);
	cid_op_free(&op);
}

static void *sign_thread(void *arg)
{
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	uint8_t sig[256];
	CK_ULONG sl;
	long bad = 0;

	(void)arg;
	for (int i = 0; i < 20; i++) {
		sl = sizeof(sig);
		if (do_sign(&m, rsa2048.kpriv, MSG, sizeof(MSG), sig, &sl) != CKR_OK ||
		    do_verify(&m, rsa2048.kpub, MSG, sizeof(MSG), sig, sl) != CKR_OK)
			bad++;
	}
	return (void *)bad;
}

static void threads_share_key(void **state)
{
	cid_attrs a = CID_ATTRS_INIT;
	pthread_t t[4];
	void *r;

	(void)state;
	/* A fresh key so that the threads race to build its templates. */
	cid_key_unref(&rsa2048.kpriv);
	cid_key_unref(&rsa2048.kpub);
	cid_attrs_copy(&a, &rsa2048.priv);
	assert_int_equal(CKR_OK, cid_key_from_attrs(CKO_PRIVATE_KEY, CKK_RSA, &a, &rsa2048.kpriv));
	assert_int_equal(CKR_OK, cid_key_from_attrs(CKO_PUBLIC_KEY, CKK_RSA, &rsa2048.pub, &rsa2048.kpub));
	cid_attrs_clear(&a);
	for (int i = 0; i < 4; i++)
		assert_int_equal(0, pthread_create(&t[i], NULL, sign_thread, NULL));
	for (int i = 0; i < 4; i++) {
		assert_int_equal(0, pthread_join(t[i], &r));
		assert_null(r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sign_rsa),
		cmocka_unit_test(sign_ec),
		cmocka_unit_test(ecdsa_many),
		cmocka_unit_test(sign_rsa_raw),
		cmocka_unit_test(sign_errors),
		cmocka_unit_test(threads_share_key),
	};

	return cmocka_run_group_tests(tests, crypto_fx_setup, crypto_fx_teardown);
}
