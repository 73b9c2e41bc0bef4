/* Asymmetric keys on the card: GENERATE ASYMMETRIC KEY PAIR and the private
 * key operations of GENERAL AUTHENTICATE (RSA raw, ECDSA, ECDH). */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

#include "vcard/vcard.h"

bool piv_alg_is_asym(uint8_t alg)
{
	switch (alg) {
	case ALG_RSA1024:
	case ALG_RSA2048:
	case ALG_RSA3072:
	case ALG_RSA4096:
	case ALG_ECCP256:
	case ALG_ECCP384:
		return true;
	default:
		return false;
	}
}

static bool alg_is_rsa(uint8_t alg)
{
	return alg == ALG_RSA1024 || alg == ALG_RSA2048 || alg == ALG_RSA3072 ||
	       alg == ALG_RSA4096;
}

EVP_PKEY *piv_keygen(uint8_t alg)
{
	switch (alg) {
	case ALG_RSA2048:
		return EVP_RSA_gen(2048);
	case ALG_RSA3072:
		return EVP_RSA_gen(3072);
	case ALG_RSA4096:
		return EVP_RSA_gen(4096);
	case ALG_ECCP256:
		return EVP_EC_gen("P-256");
	case ALG_ECCP384:
		return EVP_EC_gen("P-384");
	default:
		/* RSA-1024 keys are read from old state files but never made. */
		return NULL;
	}
}

uint8_t piv_alg_of(EVP_PKEY *pkey)
{
	if (EVP_PKEY_is_a(pkey, "RSA")) {
		switch (EVP_PKEY_get_bits(pkey)) {
		case 1024: return ALG_RSA1024;
		case 2048: return ALG_RSA2048;
		case 3072: return ALG_RSA3072;
		case 4096: return ALG_RSA4096;
		default: return 0;
		}
	}
	if (EVP_PKEY_is_a(pkey, "EC")) {
		char group[32];

		if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
						   sizeof(group), NULL) != 1)
			return 0;
		if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0)
			return ALG_ECCP256;
		if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0)
			return ALG_ECCP384;
	}
	return 0;
}

uint8_t piv_default_pin_policy(uint8_t slot)
{
	switch (slot) {
	case 0x9C:
		return PINPOL_ALWAYS;
	case 0x9E:
		return PINPOL_NEVER;
	default:
		return PINPOL_ONCE;
	}
}

static bool slot_is_key(uint8_t slot)
{
	return slot == 0x9A || slot == 0x9C || slot == 0x9D || slot == 0x9E ||
	       (slot >= 0x82 && slot <= 0x95);
}

static void put_bn(struct vc_buf *r, uint32_t tag, EVP_PKEY *pkey, const char *name)
{
	BIGNUM *bn = NULL;
	uint8_t tmp[600];
	int n;

	if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1 || BN_num_bytes(bn) > (int)sizeof(tmp)) {
		BN_free(bn);
		r->err = true;
		return;
	}
	n = BN_bn2bin(bn, tmp);
	BN_free(bn);
	tlv_put(r, tag, tmp, (size_t)n);
}

void piv_public_tlvs(EVP_PKEY *pkey, struct vc_buf *r)
{
	if (EVP_PKEY_is_a(pkey, "RSA")) {
		put_bn(r, 0x81, pkey, OSSL_PKEY_PARAM_RSA_N);
		put_bn(r, 0x82, pkey, OSSL_PKEY_PARAM_RSA_E);
	} else {
		uint8_t pt[160];
		size_t n = 0;

		if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
						    pt, sizeof(pt), &n) != 1) {
			r->err = true;
			return;
		}
		tlv_put(r, 0x86, pt, n);
	}
}

uint16_t piv_generate(struct vc_card *c, const struct vc_apdu *a, struct vc_buf *r)
{
	const uint8_t *ac, *v;
	size_t acn, vn;
	uint8_t alg, pol = PINPOL_DEFAULT;
	struct vc_key *k;
	EVP_PKEY *pkey;
	uint8_t inner[1100];
	struct vc_buf ib;

	if (a->p1 != 0x00 || !slot_is_key(a->p2))
		return SW_WRONG_P1P2;
	if (tlv_find(a->data, a->lc, 0xAC, &ac, &acn) != 0 ||
	    tlv_find(ac, acn, 0x80, &v, &vn) != 0 || vn != 1)
		return SW_WRONG_DATA;
	alg = v[0];
	if (tlv_find(ac, acn, 0xAA, &v, &vn) == 0) {
		if (vn != 1 || v[0] > PINPOL_ALWAYS)
			return SW_WRONG_DATA;
		pol = v[0];
	}
	if (!c->ss.mgmt_ok)
		return SW_SECURITY;
	pkey = piv_keygen(alg);
	if (pkey == NULL)
		return SW_WRONG_DATA;
	k = vc_key_slot(&c->st, a->p2);
	if (k == NULL) {
		EVP_PKEY_free(pkey);
		return SW_NO_SPACE;
	}
	EVP_PKEY_free(k->pkey);
	k->pkey = pkey;
	k->alg = alg;
	k->pin_policy = pol == PINPOL_DEFAULT ? piv_default_pin_policy(a->p2) : pol;
	k->origin = ORIGIN_GENERATED;
	if (vc_state_save(&c->st) != 0)
		return SW_MEMORY_FAILURE;
	vc_buf_init(&ib, inner, sizeof(inner));
	piv_public_tlvs(pkey, &ib);
	if (ib.err)
		return SW_UNKNOWN;
	tlv_put(r, 0x7F49, ib.p, ib.len);
	return SW_OK;
}

/* RSA private operation on a block the host has already padded. */
static int rsa_raw(EVP_PKEY *pkey, const uint8_t *in, size_t n, uint8_t *out, size_t *outn)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	int ok;

	if ((size_t)EVP_PKEY_get_size(pkey) != n) {
		EVP_PKEY_CTX_free(ctx);
		return -1;
	}
	ok = ctx != NULL && EVP_PKEY_decrypt_init(ctx) == 1 &&
	     EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) == 1 &&
	     EVP_PKEY_decrypt(ctx, out, outn, in, n) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : -1;
}

static int ecdsa_sign(EVP_PKEY *pkey, const uint8_t *in, size_t n, uint8_t *out, size_t *outn)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	int ok;

	/* A digest longer than the order is truncated by ECDSA itself; more
	 * than a SHA-512 is no digest at all. */
	if (n == 0 || n > 64) {
		EVP_PKEY_CTX_free(ctx);
		return -1;
	}
	ok = ctx != NULL && EVP_PKEY_sign_init(ctx) == 1 &&
	     EVP_PKEY_sign(ctx, out, outn, in, n) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : -1;
}

static int ecdh(EVP_PKEY *pkey, const uint8_t *pt, size_t n, uint8_t *out, size_t *outn)
{
	char group[32];
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *pctx = NULL, *dctx = NULL;
	EVP_PKEY *peer = NULL;
	int ok = 0;

	if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
					   sizeof(group), NULL) != 1)
		return -1;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pt, n);
	params[2] = OSSL_PARAM_construct_end();
	pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (pctx == NULL || EVP_PKEY_fromdata_init(pctx) != 1 ||
	    EVP_PKEY_fromdata(pctx, &peer, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	dctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	ok = dctx != NULL && EVP_PKEY_derive_init(dctx) == 1 &&
	     EVP_PKEY_derive_set_peer(dctx, peer) == 1 &&
	     EVP_PKEY_derive(dctx, out, outn) == 1;
out:
	EVP_PKEY_CTX_free(dctx);
	EVP_PKEY_CTX_free(pctx);
	EVP_PKEY_free(peer);
	return ok ? 0 : -1;
}

/* PIN policy gate.  A PIN-always key uses up the fresh verification. */
static bool pin_allows(struct vc_card *c, const struct vc_key *k)
{
	switch (k->pin_policy) {
	case PINPOL_NEVER:
		return true;
	case PINPOL_ALWAYS:
		if (!c->ss.pin_ok || !c->ss.pin_fresh)
			return false;
		c->ss.pin_fresh = false;
		return true;
	default:
		return c->ss.pin_ok;
	}
}

uint16_t piv_general_auth(struct vc_card *c, const struct vc_apdu *a, struct vc_buf *r)
{
	const uint8_t *dyn, *w, *chal, *pt;
	size_t dn, wn, cn, pn;
	uint8_t out[600], inner[620];
	size_t outn = sizeof(out);
	struct vc_key *k;
	struct vc_buf ib;
	int rc;

	if (tlv_find(a->data, a->lc, 0x7C, &dyn, &dn) != 0)
		return SW_WRONG_DATA;
	if (a->p2 == KEY_REF_MGMT)
		return piv_mgmt_auth(c, a->p1, dyn, dn, r);
	if (!piv_alg_is_asym(a->p1))
		return SW_WRONG_P1P2;
	k = vc_key_get(&c->st, a->p2);
	if (k == NULL)
		return SW_REF_NOT_FOUND;
	if (k->alg != a->p1)
		return SW_WRONG_P1P2;
	if (tlv_find(dyn, dn, 0x82, &w, &wn) != 0 || wn != 0)
		return SW_WRONG_DATA;
	if (!pin_allows(c, k))
		return SW_SECURITY;
	if (tlv_find(dyn, dn, 0x81, &chal, &cn) == 0)
		rc = alg_is_rsa(k->alg) ? rsa_raw(k->pkey, chal, cn, out, &outn)
					: ecdsa_sign(k->pkey, chal, cn, out, &outn);
	else if (tlv_find(dyn, dn, 0x85, &pt, &pn) == 0 && !alg_is_rsa(k->alg))
		rc = ecdh(k->pkey, pt, pn, out, &outn);
	else
		return SW_WRONG_DATA;
	if (rc != 0) {
		OPENSSL_cleanse(out, sizeof(out));
		return SW_WRONG_DATA;
	}
	vc_buf_init(&ib, inner, sizeof(inner));
	tlv_put(&ib, 0x82, out, outn);
	tlv_put(r, 0x7C, ib.p, ib.len);
	OPENSSL_cleanse(out, sizeof(out));
	OPENSSL_cleanse(inner, sizeof(inner));
	return ib.err ? SW_UNKNOWN : SW_OK;
}
