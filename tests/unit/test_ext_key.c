/* Keys held by a token: the host pads, hashes and unpads, and a simulated
 * token (an OpenSSL key doing only the raw primitive) does the rest.  Every
 * signature must verify through the ordinary public-key path, every
 * ciphertext must decrypt back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

#include "crypto/internal.h"
#include "common/mem.h"

typedef struct sim_token {
	EVP_PKEY *pkey;     /* the private key the "card" holds */
	size_t size;
	int calls;
	CK_RV fail_with;    /* when set, the token refuses */
} sim_token;

static CK_RV sim_op(void *ctx, cid_ext_kind kind, const uint8_t *in, size_t inlen, uint8_t *out,
                    size_t *outlen)
{
	sim_token *t = ctx;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(t->pkey, NULL);
	CK_RV rv = CKR_FUNCTION_FAILED;

	t->calls++;
	if (t->fail_with != CKR_OK) {
		EVP_PKEY_CTX_free(c);
		return t->fail_with;
	}
	if (kind == CID_EXT_RSA_RAW) {
		/* Raw RSA: what GENERAL AUTHENTICATE does on a PIV card. */
		if (EVP_PKEY_decrypt_init(c) > 0 && EVP_PKEY_CTX_set_rsa_padding(c, RSA_NO_PADDING) > 0 &&
		    EVP_PKEY_decrypt(c, out, outlen, in, inlen) > 0)
			rv = CKR_OK;
	} else if (kind == CID_EXT_ECDSA) {
		uint8_t der[160];
		size_t dl = sizeof(der);

		assert_int_equal(t->size, inlen);
		if (EVP_PKEY_sign_init(c) > 0 && EVP_PKEY_sign(c, der, &dl, in, inlen) > 0) {
			const unsigned char *p = der;
			ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)dl);
			const BIGNUM *r, *s;

			assert_non_null(sig);
			ECDSA_SIG_get0(sig, &r, &s);
			BN_bn2binpad(r, out, (int)t->size);
			BN_bn2binpad(s, out + t->size, (int)t->size);
			*outlen = 2 * t->size;
			ECDSA_SIG_free(sig);
			rv = CKR_OK;
		}
	} else if (kind == CID_EXT_ECDH) {
		EVP_PKEY *peer = NULL;
		EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		OSSL_PARAM prm[] = {
			OSSL_PARAM_construct_utf8_string("group", t->size == 32 ? "P-256" : "P-384", 0),
			OSSL_PARAM_construct_octet_string("pub", (void *)in, inlen),
			OSSL_PARAM_construct_end(),
		};

		if (EVP_PKEY_fromdata_init(pc) > 0 && EVP_PKEY_fromdata(pc, &peer, EVP_PKEY_PUBLIC_KEY, prm) > 0 &&
		    EVP_PKEY_derive_init(c) > 0 && EVP_PKEY_derive_set_peer(c, peer) > 0 &&
		    EVP_PKEY_derive(c, out, outlen) > 0)
			rv = CKR_OK;
		EVP_PKEY_free(peer);
		EVP_PKEY_CTX_free(pc);
	}
	EVP_PKEY_CTX_free(c);
	return rv;
}

typedef struct pair {
	cid_attrs pub, priv;
	cid_key *local_pub;   /* verifies and encrypts */
	cid_key *local_priv;  /* only to lend its EVP_PKEY to the simulated token */
	cid_key *ext;         /* the token-held key under test */
	sim_token tok;
} pair;

static const uint8_t p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const uint8_t p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };

static void make_pair(pair *pr, CK_KEY_TYPE kt, const uint8_t *params, size_t plen)
{
	memset(pr, 0, sizeof(*pr));
	if (kt == CKK_RSA) {
		assert_int_equal(CKR_OK, cid_keygen_rsa(2048, NULL, 0, &pr->pub, &pr->priv));
	} else {
		assert_int_equal(CKR_OK, cid_keygen_ec(params, plen, &pr->pub, &pr->priv));
		assert_int_equal(CKR_OK, cid_attrs_set(&pr->pub, CKA_EC_PARAMS, params, plen));
	}
	assert_int_equal(CKR_OK, cid_key_from_attrs(CKO_PUBLIC_KEY, kt, &pr->pub, &pr->local_pub));
	assert_int_equal(CKR_OK, cid_key_from_attrs(CKO_PRIVATE_KEY, kt, &pr->priv, &pr->local_priv));
	pr->tok.pkey = pr->local_priv->pkey;
	pr->tok.size = pr->local_priv->size;
	assert_int_equal(CKR_OK, cid_key_external(kt, &pr->pub, sim_op, &pr->tok, NULL, &pr->ext));
	assert_true(cid_key_is_private(pr->ext));
}

static void free_pair(pair *pr)
{
	cid_key_unref(&pr->ext);
	cid_key_unref(&pr->local_pub);
	cid_key_unref(&pr->local_priv);
	cid_attrs_clear(&pr->pub);
	cid_attrs_clear(&pr->priv);
}

static void sign_verify(pair *pr, CK_MECHANISM *m, const uint8_t *msg, size_t len, bool multipart)
{
	uint8_t sig[1024];
	CK_ULONG sl = sizeof(sig);
	cid_op *op = NULL;

	assert_int_equal(CKR_OK, cid_op_new(CID_OP_SIGN, m, pr->ext, &op));
	if (multipart) {
		assert_int_equal(CKR_OK, cid_op_update(op, msg, len / 2));
		assert_int_equal(CKR_OK, cid_op_update(op, msg + len / 2, len - len / 2));
		assert_int_equal(CKR_OK, cid_op_final(op, sig, &sl));
	} else {
		assert_int_equal(CKR_OK, cid_op_oneshot(op, msg, len, sig, &sl));
	}
	cid_op_free(&op);
	assert_int_equal(CKR_OK, cid_op_new(CID_OP_VERIFY, m, pr->local_pub, &op));
	assert_int_equal(CKR_OK, cid_op_verify_oneshot(op, msg, len, sig, sl));
	cid_op_free(&op);
	sig[sl / 2] ^= 1;
	assert_int_equal(CKR_OK, cid_op_new(CID_OP_VERIFY, m, pr->local_pub, &op));
	assert_int_equal(CKR_SIGNATURE_INVALID, cid_op_verify_oneshot(op, msg, len, sig, sl));
	cid_op_free(&op);
}

static void rsa_signatures(void **state)
{
	static const uint8_t msg[] = "a Care Identity authentication challenge";
	/* DigestInfo for SHA-256 of 32 zero bytes, as CKM_RSA_PKCS callers pass it. */
	uint8_t di[19 + 32] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	                        0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
	uint8_t digest[32] = { 7 };
	CK_RSA_PKCS_PSS_PARAMS pss = { CKM_SHA256, CKG_MGF1_SHA256, 32 };
	CK_MECHANISM m;
	pair pr;

	(void)state;
	make_pair(&pr, CKK_RSA, NULL, 0);
	m = (CK_MECHANISM){ CKM_SHA256_RSA_PKCS, NULL, 0 };
	sign_verify(&pr, &m, msg, sizeof(msg), false);
	sign_verify(&pr, &m, msg, sizeof(msg), true);
	m = (CK_MECHANISM){ CKM_SHA512_RSA_PKCS, NULL, 0 };
	sign_verify(&pr, &m, msg, sizeof(msg), true);
	m = (CK_MECHANISM){ CKM_RSA_PKCS, NULL, 0 };
	sign_verify(&pr, &m, di, sizeof(di), false);
	m = (CK_MECHANISM){ CKM_SHA256_RSA_PKCS_PSS, &pss, sizeof(pss) };
	sign_verify(&pr, &m, msg, sizeof(msg), true);
	m = (CK_MECHANISM){ CKM_RSA_PKCS_PSS, &pss, sizeof(pss) };
	sign_verify(&pr, &m, digest, sizeof(digest), false);
	m = (CK_MECHANISM){ CKM_RSA_X_509, NULL, 0 };
	sign_verify(&pr, &m, msg, sizeof(msg), false);
	assert_true(pr.tok.calls >= 7);
	free_pair(&pr);
}

static void ec_signatures(void **state)
{
	static const uint8_t msg[] = "sign me";
	uint8_t digest48[48] = { 1, 2, 3 };
	CK_MECHANISM m;
	pair pr;

	(void)state;
	make_pair(&pr, CKK_EC, p256, sizeof(p256));
	m = (CK_MECHANISM){ CKM_ECDSA_SHA256, NULL, 0 };
	sign_verify(&pr, &m, msg, sizeof(msg), true);
	m = (CK_MECHANISM){ CKM_ECDSA_SHA384, NULL, 0 };
	sign_verify(&pr, &m, msg, sizeof(msg), false);
	/* A digest longer than the order is truncated on the host. */
	m = (CK_MECHANISM){ CKM_ECDSA, NULL, 0 };
	sign_verify(&pr, &m, digest48, sizeof(digest48), false);
	free_pair(&pr);

	make_pair(&pr, CKK_EC, p384, sizeof(p384));
	m = (CK_MECHANISM){ CKM_ECDSA, NULL, 0 };
	sign_verify(&pr, &m, digest48, sizeof(digest48), false);
	free_pair(&pr);
}

static void decrypt(pair *pr, CK_MECHANISM *m, const uint8_t *msg, size_t len)
{
	uint8_t ct[512], pt[512];
	CK_ULONG cl = sizeof(ct), pl = 0;
	cid_op *op = NULL;

	assert_int_equal(CKR_OK, cid_op_new(CID_OP_ENCRYPT, m, pr->local_pub, &op));
	assert_int_equal(CKR_OK, cid_op_oneshot(op, msg, len, ct, &cl));
	cid_op_free(&op);
	assert_int_equal(CKR_OK, cid_op_new(CID_OP_DECRYPT, m, pr->ext, &op));
	/* The length query computes once; the repeated call returns it. */
	assert_int_equal(CKR_OK, cid_op_oneshot(op, ct, cl, NULL, &pl));
	assert_int_equal(len, pl);
	assert_int_equal(CKR_OK, cid_op_oneshot(op, ct, cl, pt, &pl));
	assert_memory_equal(msg, pt, len);
	cid_op_free(&op);
	/* A damaged ciphertext unpads to nothing useful. */
	ct[cl - 1] ^= 0x40;
	pl = sizeof(pt);
	assert_int_equal(CKR_OK, cid_op_new(CID_OP_DECRYPT, m, pr->ext, &op));
	assert_int_equal(CKR_ENCRYPTED_DATA_INVALID, cid_op_oneshot(op, ct, cl, pt, &pl));
	cid_op_free(&op);
}

static void rsa_decryption(void **state)
{
	static const uint8_t msg[] = "session key material";
	uint8_t label[] = "careid";
	CK_RSA_PKCS_OAEP_PARAMS oaep = { CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, label, sizeof(label) };
	CK_MECHANISM m;
	pair pr;

	(void)state;
	make_pair(&pr, CKK_RSA, NULL, 0);
	m = (CK_MECHANISM){ CKM_RSA_PKCS_OAEP, &oaep, sizeof(oaep) };
	decrypt(&pr, &m, msg, sizeof(msg));
	m = (CK_MECHANISM){ CKM_RSA_PKCS, NULL, 0 };
	decrypt(&pr, &m, msg, sizeof(msg));
	free_pair(&pr);
}

static void ecdh_agrees(void **state)
{
	pair a, b;
	uint8_t *s1 = NULL, *s2 = NULL;
	size_t l1 = 0, l2 = 0;
	const CK_ATTRIBUTE *pa, *pb;
	CK_ECDH1_DERIVE_PARAMS p = { CKD_NULL, 0, NULL, 0, NULL };

	(void)state;
	make_pair(&a, CKK_EC, p256, sizeof(p256));
	make_pair(&b, CKK_EC, p256, sizeof(p256));
	pa = cid_attrs_get(&a.pub, CKA_EC_POINT);
	pb = cid_attrs_get(&b.pub, CKA_EC_POINT);
	p.pPublicData = pb->pValue;
	p.ulPublicDataLen = pb->ulValueLen;
	assert_int_equal(CKR_OK, cid_ecdh_derive(a.ext, &p, 0, &s1, &l1));
	p.pPublicData = pa->pValue;
	p.ulPublicDataLen = pa->ulValueLen;
	assert_int_equal(CKR_OK, cid_ecdh_derive(b.local_priv, &p, 0, &s2, &l2));
	assert_int_equal(32, l1);
	assert_int_equal(l1, l2);
	assert_memory_equal(s1, s2, l1);
	cid_free_secret(&s1, l1);
	cid_free_secret(&s2, l2);
	free_pair(&a);
	free_pair(&b);
}

static void token_errors_pass_through(void **state)
{
	static const uint8_t msg[] = "x";
	uint8_t sig[512];
	CK_ULONG sl = sizeof(sig);
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_MECHANISM ed = { CKM_EDDSA, NULL, 0 };
	cid_op *op = NULL;
	pair pr;

	(void)state;
	make_pair(&pr, CKK_RSA, NULL, 0);
	/* A removed card or a lost login reaches the caller unchanged. */
	pr.tok.fail_with = CKR_DEVICE_REMOVED;
	assert_int_equal(CKR_OK, cid_op_new(CID_OP_SIGN, &m, pr.ext, &op));
	assert_int_equal(CKR_DEVICE_REMOVED, cid_op_oneshot(op, msg, sizeof(msg), sig, &sl));
	cid_op_free(&op);
	pr.tok.fail_with = CKR_USER_NOT_LOGGED_IN;
	sl = sizeof(sig);
	assert_int_equal(CKR_OK, cid_op_new(CID_OP_SIGN, &m, pr.ext, &op));
	assert_int_equal(CKR_USER_NOT_LOGGED_IN, cid_op_oneshot(op, msg, sizeof(msg), sig, &sl));
	cid_op_free(&op);
	/* Length queries never reach the token. */
	pr.tok.calls = 0;
	assert_int_equal(CKR_OK, cid_op_new(CID_OP_SIGN, &m, pr.ext, &op));
	assert_int_equal(CKR_OK, cid_op_oneshot(op, msg, sizeof(msg), NULL, &sl));
	assert_int_equal(256, sl);
	assert_int_equal(0, pr.tok.calls);
	cid_op_free(&op);
	assert_int_equal(CKR_KEY_TYPE_INCONSISTENT, cid_op_new(CID_OP_SIGN, &ed, pr.ext, &op));
	free_pair(&pr);
	assert_int_equal(CKR_KEY_TYPE_INCONSISTENT,
	                 cid_key_external(CKK_EC_EDWARDS, &pr.pub, sim_op, NULL, NULL, &pr.ext));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rsa_signatures),
		cmocka_unit_test(ec_signatures),
		cmocka_unit_test(rsa_decryption),
		cmocka_unit_test(ecdh_agrees),
		cmocka_unit_test(token_errors_pass_through),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
