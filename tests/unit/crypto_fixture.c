/* The crypto unit tests' shared keys and independent checks. */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "crypto_fixture.h"

const uint8_t OID_P256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
const uint8_t OID_P384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
const uint8_t OID_P521[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23 };
const uint8_t OID_ED25519[] = { 0x06, 0x03, 0x2b, 0x65, 0x70 };
const uint8_t NAME_ED25519[] = { 0x13, 0x0c, 'e', 'd', 'w', 'a', 'r', 'd', 's', '2', '5', '5', '1', '9' };
const uint8_t DI_SHA256[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	                             0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
const uint8_t MSG[] = "the quick brown fox jumps over the lazy dog";

kp rsa2048, p256, p384, ed;

void kp_load(kp *k, CK_KEY_TYPE kt)
{
	k->kt = kt;
	assert_int_equal(CKR_OK, cid_key_from_attrs(CKO_PUBLIC_KEY, kt, &k->pub, &k->kpub));
	assert_int_equal(CKR_OK, cid_key_from_attrs(CKO_PRIVATE_KEY, kt, &k->priv, &k->kpriv));
}

void kp_free(kp *k)
{
	cid_key_unref(&k->kpub);
	cid_key_unref(&k->kpriv);
	cid_attrs_clear(&k->pub);
	cid_attrs_clear(&k->priv);
}

int crypto_fx_setup(void **state)
{
	(void)state;
	if (cid_keygen_rsa(2048, NULL, 0, &rsa2048.pub, &rsa2048.priv) != CKR_OK)
		return -1;
	if (cid_keygen_ec(OID_P256, sizeof(OID_P256), &p256.pub, &p256.priv) != CKR_OK ||
	    cid_keygen_ec(OID_P384, sizeof(OID_P384), &p384.pub, &p384.priv) != CKR_OK ||
	    cid_keygen_ed25519(OID_ED25519, sizeof(OID_ED25519), &ed.pub, &ed.priv) != CKR_OK)
		return -1;
	/* The caller adds the public CKA_EC_PARAMS; do it as the front would. */
	cid_attrs_set(&p256.pub, CKA_EC_PARAMS, OID_P256, sizeof(OID_P256));
	cid_attrs_set(&p384.pub, CKA_EC_PARAMS, OID_P384, sizeof(OID_P384));
	cid_attrs_set(&ed.pub, CKA_EC_PARAMS, OID_ED25519, sizeof(OID_ED25519));
	kp_load(&rsa2048, CKK_RSA);
	kp_load(&p256, CKK_EC);
	kp_load(&p384, CKK_EC);
	kp_load(&ed, CKK_EC_EDWARDS);
	return 0;
}

int crypto_fx_teardown(void **state)
{
	(void)state;
	kp_free(&rsa2048);
	kp_free(&p256);
	kp_free(&p384);
	kp_free(&ed);
	return 0;
}

const CK_ATTRIBUTE *need(const cid_attrs *a, CK_ATTRIBUTE_TYPE t)
{
	const CK_ATTRIBUTE *at = cid_attrs_get(a, t);

	assert_non_null(at);
	assert_non_null(at->pValue);
	return at;
}

/* The point inside CKA_EC_POINT (DER OCTET STRING with short length). */
const uint8_t *point_of(const cid_attrs *a, size_t *len)
{
	const CK_ATTRIBUTE *at = need(a, CKA_EC_POINT);
	const uint8_t *p = at->pValue;

	assert_int_equal(0x04, p[0]);
	assert_int_equal(at->ulValueLen - 2, p[1]);
	*len = p[1];
	return p + 2;
}

/* An OpenSSL public key built straight from the public attributes, so the
 * checks below do not depend on the code under test. */
EVP_PKEY *ossl_pub(const kp *k)
{
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *prm;
	EVP_PKEY_CTX *c;
	EVP_PKEY *pk = NULL;
	BIGNUM *bn = NULL, *be = NULL;
	size_t len;
	const uint8_t *pt;

	if (k->kt == CKK_EC_EDWARDS) {
		OSSL_PARAM_BLD_free(b);
		pt = point_of(&k->pub, &len);
		assert_int_equal(32, len);
		pk = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, pt, 32);
		assert_non_null(pk);
		return pk;
	}
	if (k->kt == CKK_RSA) {
		const CK_ATTRIBUTE *n = need(&k->pub, CKA_MODULUS), *e = need(&k->pub, CKA_PUBLIC_EXPONENT);

		bn = BN_bin2bn(n->pValue, (int)n->ulValueLen, NULL);
		be = BN_bin2bn(e->pValue, (int)e->ulValueLen, NULL);
		/* The builder keeps the pointers until to_param. */
		assert_true(OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, bn));
		assert_true(OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, be));
		c = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	} else {
		const CK_ATTRIBUTE *prmattr = need(&k->pub, CKA_EC_PARAMS);
		const char *grp = prmattr->ulValueLen == sizeof(OID_P256) ? "P-256" : "P-384";

		pt = point_of(&k->pub, &len);
		assert_true(OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, grp, 0));
		assert_true(OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pt, len));
		c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	}
	prm = OSSL_PARAM_BLD_to_param(b);
	BN_free(bn);
	BN_free(be);
	assert_non_null(prm);
	assert_int_equal(1, EVP_PKEY_fromdata_init(c));
	assert_int_equal(1, EVP_PKEY_fromdata(c, &pk, EVP_PKEY_PUBLIC_KEY, prm));
	OSSL_PARAM_free(prm);
	OSSL_PARAM_BLD_free(b);
	EVP_PKEY_CTX_free(c);
	return pk;
}

CK_RV do_sign(CK_MECHANISM *m, cid_key *k, const uint8_t *in, size_t len, uint8_t *out, CK_ULONG *outlen)
{
	return do_cipher(CID_OP_SIGN, m, k, in, len, out, outlen);
}

CK_RV do_verify(CK_MECHANISM *m, cid_key *k, const uint8_t *in, size_t len, const uint8_t *sig, size_t sl)
{
	cid_op *op = NULL;
	CK_RV rv = cid_op_new(CID_OP_VERIFY, m, k, &op);

	if (rv != CKR_OK)
		return rv;
	rv = cid_op_verify_oneshot(op, in, len, sig, sl);
	cid_op_free(&op);
	return rv;
}

CK_RV do_cipher(cid_op_kind kind, CK_MECHANISM *m, cid_key *k, const uint8_t *in, size_t len,
                       uint8_t *out, CK_ULONG *outlen)
{
	cid_op *op = NULL;
	CK_RV rv = cid_op_new(kind, m, k, &op);

	if (rv != CKR_OK)
		return rv;
	rv = cid_op_oneshot(op, in, len, out, outlen);
	cid_op_free(&op);
	return rv;
}

void sha(const char *name, const uint8_t *in, size_t len, uint8_t *out)
{
	EVP_MD *md = EVP_MD_fetch(NULL, name, NULL);
	unsigned int n;

	assert_non_null(md);
	assert_int_equal(1, EVP_Digest(in, len, out, &n, md, NULL));
	EVP_MD_free(md);
}
