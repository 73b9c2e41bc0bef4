/* careid's card token on the virtual card: the private-key operations
 * (ECDSA, raw RSA, ECDH) checked against the keys the card holds, and the
 * card administrator (management key): certificates written and deleted,
 * key pairs generated. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "card/tlv.h"
#include "crypto/rsa_pad.h"
#include "card_fixture_unit.h"

/* Bytes of input (81) in the last GENERAL AUTHENTICATE the card got. */
static size_t signed_len(void)
{
	cid_tlv dyn, in;

	assert_int_equal(0x87, V.last[1]);
	assert_true(V.lastlen > 5 && V.lastlen >= 5 + (size_t)V.last[4]);
	assert_int_equal(CKR_OK, cid_tlv_find(V.last + 5, V.last[4], 0x7C, &dyn));
	assert_int_equal(CKR_OK, cid_tlv_find(dyn.val, dyn.len, 0x81, &in));
	return in.len;
}

static void test_ecdsa_sign(void **state)
{
	cid_token *t = open_card();
	uint8_t h[32], h48[48], rs[96];
	size_t rl = sizeof(rs);

	(void)state;
	memset(h, 0x5A, sizeof(h));
	assert_int_equal(CKR_USER_NOT_LOGGED_IN, t->ops->key_op(t, priv_id(0x9A), CID_EXT_ECDSA, h, 32, rs, &rl));
	assert_int_equal(CKR_OK, login(t, CKU_USER, "123456"));
	/* Size query first, nothing sent. */
	{
		unsigned before = V.total;

		rl = 0;
		assert_int_equal(CKR_OK, t->ops->key_op(t, priv_id(0x9A), CID_EXT_ECDSA, h, 32, NULL, &rl));
		assert_int_equal(64, rl);
		rl = 10;
		assert_int_equal(CKR_BUFFER_TOO_SMALL, t->ops->key_op(t, priv_id(0x9A), CID_EXT_ECDSA, h, 32, rs, &rl));
		assert_int_equal(before, V.total);
	}
	rl = sizeof(rs);
	assert_int_equal(CKR_OK, t->ops->key_op(t, priv_id(0x9A), CID_EXT_ECDSA, h, 32, rs, &rl));
	assert_int_equal(64, rl);
	assert_int_equal(1, ecdsa_ok(chip_key(0x9A), h, 32, rs, 32));
	rs[5] ^= 1;
	assert_int_not_equal(1, ecdsa_ok(chip_key(0x9A), h, 32, rs, 32));
	/* A SHA-384 hash on P-256: its leftmost 32 bytes are signed. */
	memset(h48, 0x33, sizeof(h48));
	rl = sizeof(rs);
	assert_int_equal(CKR_OK, t->ops->key_op(t, priv_id(0x9A), CID_EXT_ECDSA, h48, 48, rs, &rl));
	assert_int_equal(32, signed_len());
	assert_int_equal(1, ecdsa_ok(chip_key(0x9A), h48, 32, rs, 32));
	/* Wrong kind for the key, unknown object. */
	rl = sizeof(rs);
	assert_int_equal(CKR_KEY_TYPE_INCONSISTENT, t->ops->key_op(t, priv_id(0x9A), CID_EXT_RSA_RAW, h, 32, rs, &rl));
	assert_int_equal(CKR_KEY_HANDLE_INVALID, t->ops->key_op(t, priv_id(0x9E), CID_EXT_ECDSA, h, 32, rs, &rl));
	assert_int_equal(CKR_KEY_HANDLE_INVALID, t->ops->key_op(t, 0x9A01, CID_EXT_ECDSA, h, 32, rs, &rl));
	t->ops->release(t);
}

static void test_rsa_raw_and_ecdh(void **state)
{
	cid_token *t = open_card();
	uint8_t h[32], di[64], em[256], sig[256], pt[65], x[32], want[32];
	size_t dl = 0, sl = sizeof(sig), pl = 0, xl = sizeof(x), wl = sizeof(want);
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY *peer = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY_CTX *dc = EVP_PKEY_CTX_new(peer, NULL);
	static const uint8_t msg[] = "sign me";

	(void)state;
	assert_int_equal(CKR_OK, login(t, CKU_USER, "123456"));
	/* RSA-2048: a 256-byte block goes in chained, comes back via 61xx. */
	EVP_Digest(msg, sizeof(msg), h, NULL, EVP_sha256(), NULL);
	assert_int_equal(CKR_OK, cid_rsa_digest_info(CKM_SHA256, h, 32, di, sizeof(di), &dl));
	assert_int_equal(CKR_OK, cid_rsa_pkcs1_sign_pad(di, dl, em, sizeof(em)));
	assert_int_equal(CKR_OK, t->ops->key_op(t, priv_id(0x9D), CID_EXT_RSA_RAW, em, 256, sig, &sl));
	assert_int_equal(256, sl);
	assert_int_equal(1, EVP_DigestVerifyInit_ex(m, NULL, "SHA256", NULL, NULL, chip_key(0x9D), NULL));
	assert_int_equal(1, EVP_DigestVerify(m, sig, sl, msg, sizeof(msg)));
	sl = sizeof(sig);
	assert_int_equal(CKR_DATA_LEN_RANGE, t->ops->key_op(t, priv_id(0x9D), CID_EXT_RSA_RAW, em, 255, sig, &sl));

	/* ECDH: the card's X equals the peer's view of the secret. */
	EVP_PKEY_get_octet_string_param(peer, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof(pt), &pl);
	assert_int_equal(65, pl);
	assert_int_equal(CKR_OK, t->ops->key_op(t, priv_id(0x9A), CID_EXT_ECDH, pt, pl, x, &xl));
	assert_int_equal(32, xl);
	EVP_PKEY_derive_init(dc);
	EVP_PKEY_derive_set_peer(dc, chip_key(0x9A));
	assert_int_equal(1, EVP_PKEY_derive(dc, want, &wl));
	assert_memory_equal(want, x, 32);
	pt[0] = 0x02;
	xl = sizeof(x);
	assert_int_equal(CKR_DATA_INVALID, t->ops->key_op(t, priv_id(0x9A), CID_EXT_ECDH, pt, pl, x, &xl));
	EVP_PKEY_CTX_free(dc);
	EVP_PKEY_free(peer);
	EVP_MD_CTX_free(m);
	t->ops->release(t);
}

static CK_RV cert_attrs(cid_attrs *a, EVP_PKEY *k, uint8_t id)
{
	size_t dl = 0;
	uint8_t *der = make_cert(k, "210987654321", &dl);
	CK_RV rv;

	cid_attrs_init(a);
	cid_attrs_set_ulong(a, CKA_CLASS, CKO_CERTIFICATE);
	cid_attrs_set_ulong(a, CKA_CERTIFICATE_TYPE, CKC_X_509);
	cid_attrs_set(a, CKA_ID, &id, 1);
	rv = cid_attrs_set(a, CKA_VALUE, der, (CK_ULONG)dl);
	OPENSSL_free(der);
	return rv;
}

static void test_admin_certificates(void **state)
{
	cid_token *t = open_card();
	EVP_PKEY *k9e = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	uint8_t wrong_key[24] = { 0 };
	cid_attrs a, bad = CID_ATTRS_INIT;
	objs o = { .n = 0 };
	uint64_t id = 0;
	bool changed = true;

	(void)state;
	assert_int_equal(CKR_OK, t->ops->load_objects(t, collect, &o));
	objs_free(&o);
	assert_int_equal(CKR_OK, t->ops->changed(t, &changed));
	assert_false(changed);
	assert_int_equal(CKR_OK, cert_attrs(&a, k9e, 4));
	assert_int_equal(CKR_USER_NOT_LOGGED_IN, t->ops->create_object(t, &a, &id));
	assert_int_equal(CKR_PIN_INCORRECT, t->ops->login(t, CKU_CAREID_CARD_ADMIN, wrong_key, sizeof(wrong_key)));
	assert_int_equal(CKR_PIN_LEN_RANGE, t->ops->login(t, CKU_CAREID_CARD_ADMIN, MGMT, 20));
	assert_int_equal(CKR_OK, t->ops->login(t, CKU_CAREID_CARD_ADMIN, MGMT, sizeof(MGMT)));
	assert_true(chip_session()->mgmt_ok);
	assert_int_equal(CKR_OK, t->ops->create_object(t, &a, &id));
	assert_int_equal((0x9E << 8) | 1, id);
	assert_non_null(chip_obj(TAG_CERT_9E));
	assert_int_equal(CKR_OK, t->ops->changed(t, &changed));
	assert_true(changed);
	assert_int_equal(CKR_OK, t->ops->load_objects(t, collect, &o));
	assert_int_equal(12, o.n);
	assert_non_null(find_obj(&o, CKO_PRIVATE_KEY, 4));
	objs_free(&o);
	/* Only certificates, only in the four slots. */
	cid_attrs_set_ulong(&bad, CKA_CLASS, CKO_DATA);
	assert_int_equal(CKR_TEMPLATE_INCONSISTENT, t->ops->create_object(t, &bad, &id));
	cid_attrs_clear(&a);
	assert_int_equal(CKR_OK, cert_attrs(&a, k9e, 7));
	assert_int_equal(CKR_ATTRIBUTE_VALUE_INVALID, t->ops->create_object(t, &a, &id));
	/* Keys cannot be destroyed; certificates can. */
	assert_int_equal(CKR_ACTION_PROHIBITED, t->ops->destroy_object(t, priv_id(0x9E)));
	assert_int_equal(CKR_OK, t->ops->destroy_object(t, (0x9E << 8) | 1));
	assert_null(chip_obj(TAG_CERT_9E));
	assert_int_equal(CKR_OBJECT_HANDLE_INVALID, t->ops->destroy_object(t, (0x9E << 8) | 1));
	assert_int_equal(CKR_ACTION_PROHIBITED, t->ops->update_object(t, (0x9A << 8) | 1, &a));
	/* Logout forgets the management key. */
	assert_int_equal(CKR_OK, t->ops->logout(t));
	assert_int_equal(0xFF, V.last[2]);
	assert_int_equal(CKR_USER_NOT_LOGGED_IN, t->ops->destroy_object(t, (0x9A << 8) | 1));
	cid_attrs_clear(&a);
	cid_attrs_clear(&bad);
	EVP_PKEY_free(k9e);
	t->ops->release(t);
}

static void test_generate(void **state)
{
	static const uint8_t p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
	cid_token *t = open_card();
	cid_attrs pub = CID_ATTRS_INIT, priv = CID_ATTRS_INIT;
	uint64_t pid = 0, kid = 0;
	uint8_t id = 4, h[32], rs[64];
	size_t rl = sizeof(rs);
	objs o = { .n = 0 };

	(void)state;
	cid_attrs_set(&pub, CKA_EC_PARAMS, p256, sizeof(p256));
	cid_attrs_set(&priv, CKA_ID, &id, 1);
	assert_int_equal(CKR_USER_NOT_LOGGED_IN,
	                 t->ops->generate_keypair(t, CKM_EC_KEY_PAIR_GEN, &pub, &priv, &pid, &kid));
	assert_int_equal(0, V.ins[0x47]);
	assert_int_equal(CKR_OK, t->ops->login(t, CKU_CAREID_CARD_ADMIN, MGMT, sizeof(MGMT)));
	assert_int_equal(CKR_MECHANISM_INVALID,
	                 t->ops->generate_keypair(t, CKM_AES_KEY_GEN, &pub, &priv, &pid, &kid));
	assert_int_equal(CKR_OK, t->ops->generate_keypair(t, CKM_EC_KEY_PAIR_GEN, &pub, &priv, &pid, &kid));
	assert_int_equal(1, V.ins[0x47]);
	assert_int_equal((0x9E << 8) | 2, pid);
	assert_int_equal((0x9E << 8) | 3, kid);
	assert_non_null(cid_attrs_get(&pub, CKA_EC_POINT));
	assert_non_null(cid_attrs_get(&priv, CKA_EC_POINT));
	assert_int_equal(0x9E, *(const uint8_t *)cid_attrs_get(&priv, CKA_CAREID_KEY_REF)->pValue);
	/* The new key is listed (no certificate yet) and works. */
	assert_int_equal(CKR_OK, t->ops->load_objects(t, collect, &o));
	assert_non_null(find_obj(&o, CKO_PUBLIC_KEY, 4));
	assert_true(cid_attrs_bool(find_obj(&o, CKO_PRIVATE_KEY, 4), CKA_LOCAL, false));
	assert_null(find_obj(&o, CKO_CERTIFICATE, 4));
	objs_free(&o);
	memset(h, 7, sizeof(h));
	assert_int_equal(CKR_OK, t->ops->key_op(t, priv_id(0x9E), CID_EXT_ECDSA, h, 32, rs, &rl));
	assert_int_equal(1, ecdsa_ok(chip_key(0x9E), h, 32, rs, 32));
	cid_attrs_clear(&pub);
	cid_attrs_clear(&priv);
	t->ops->release(t);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, card_setup, card_teardown)
	const struct CMUnitTest tests[] = {
		T(test_ecdsa_sign),
		T(test_rsa_raw_and_ecdh),
		T(test_admin_certificates),
		T(test_generate),
	};
#undef T

	return cmocka_run_group_tests(tests, card_group_setup, card_group_teardown);
}
