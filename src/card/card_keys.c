/* Private-key operations on the card (GENERAL AUTHENTICATE) and on-card
 * key generation.  The host has already hashed and padded; the card runs
 * only the primitive. */
#include <stdlib.h>
#include <string.h>

#include "card/card_int.h"
#include "card/sw.h"
#include "careid/careid.h"
#include "common/log.h"
#include "common/mem.h"
#include "crypto/crypto.h"

static uint8_t rsa_alg(CK_ULONG bits)
{
	switch (bits) {
	case 1024: return CID_PIV_ALG_RSA1024;
	case 2048: return CID_PIV_ALG_RSA2048;
	case 3072: return CID_PIV_ALG_RSA3072;
	case 4096: return CID_PIV_ALG_RSA4096;
	default: return 0;
	}
}

/* GENERAL AUTHENTICATE, with the one re-verification PIV's "PIN always"
 * key may need: when the card wants the PIN again (6982) and a
 * context-specific login left it with us, VERIFY and retry once, inside
 * the same transaction. */
static CK_RV run_ga(card_token *t, uint8_t alg, uint8_t ref, uint8_t tag, const uint8_t *in, size_t inlen,
                    uint8_t *out, size_t *outlen)
{
	size_t cap = *outlen;
	uint16_t sw = 0;
	int tries = CID_PIV_TRIES_UNKNOWN;
	CK_RV rv = cid_piv_general_auth(t->io, alg, ref, tag, in, inlen, out, outlen, &sw);

	if (rv == CKR_USER_NOT_LOGGED_IN && sw == CID_SW_SECURITY && ref == CID_PIV_KEY_SIGN && t->ctx_pinlen > 0) {
		rv = cid_piv_verify(t->io, CID_PIV_REF_PIN, t->ctx_pin, t->ctx_pinlen, &tries);
		if (rv == CKR_OK) {
			*outlen = cap;
			rv = cid_piv_general_auth(t->io, alg, ref, tag, in, inlen, out, outlen, &sw);
		} else if (tries != CID_PIV_TRIES_UNKNOWN) {
			t->pin_tries = tries;
		}
	}
	return rv;
}

CK_RV card_key_op(cid_token *tok, uint64_t id, cid_ext_kind kind, const uint8_t *in, size_t inlen,
                  uint8_t *out, size_t *outlen)
{
	card_token *t = (card_token *)tok;
	uint8_t ref = 0, alg, buf[1100], h[64];
	int okind = 0;
	size_t fb, bl = sizeof(buf), need;
	const card_key *k;
	bool reset = false, ran = false;
	CK_RV rv;

	if (in == NULL || outlen == NULL)
		return CKR_ARGUMENTS_BAD;
	if (!card_obj_parse(id, &ref, &okind) || okind != CARD_OBJ_PRIV)
		return CKR_KEY_HANDLE_INVALID;
	if ((rv = card_begin(t, &reset)) != CKR_OK)
		return rv;
	if (reset) {
		/* Another process reset the card: the passcode we verified is
		 * gone, so say so rather than pretend. */
		card_end(t);
		return CKR_USER_NOT_LOGGED_IN;
	}
	if ((rv = card_ensure_data(t)) != CKR_OK) {
		card_end(t);
		return rv;
	}
	k = &t->data->keys[card_key_index(ref)];
	if (!k->present) {
		card_end(t);
		return CKR_KEY_HANDLE_INVALID;
	}
	fb = (k->bits + 7) / 8;
	switch (kind) {
	case CID_EXT_RSA_RAW:
		alg = rsa_alg(k->bits);
		need = fb;
		if (k->kt != CKK_RSA || alg == 0)
			rv = CKR_KEY_TYPE_INCONSISTENT;
		else if (inlen != fb)
			rv = CKR_DATA_LEN_RANGE;
		else if ((ran = out != NULL && *outlen >= need))
			rv = run_ga(t, alg, ref, 0x81, in, inlen, buf, &bl);
		break;
	case CID_EXT_ECDSA:
		alg = k->bits == 256 ? CID_PIV_ALG_P256 : CID_PIV_ALG_P384;
		need = 2 * fb;
		if (k->kt != CKK_EC || (k->bits != 256 && k->bits != 384))
			rv = CKR_KEY_TYPE_INCONSISTENT;
		else if (inlen == 0 || inlen > sizeof(h))
			rv = CKR_DATA_LEN_RANGE;
		if (rv == CKR_OK && (ran = out != NULL && *outlen >= need)) {
			/* The card signs exactly field-length input: a longer
			 * hash is cut to its leftmost bytes and a shorter one
			 * padded on the left, as ECDSA reads it anyway. */
			memset(h, 0, fb);
			if (inlen >= fb)
				memcpy(h, in, fb);
			else
				memcpy(h + fb - inlen, in, inlen);
			rv = run_ga(t, alg, ref, 0x81, h, fb, buf, &bl);
			if (rv == CKR_OK)
				rv = cid_piv_ecdsa_der_to_raw(buf, bl, fb, out);
		}
		break;
	case CID_EXT_ECDH:
		alg = k->bits == 256 ? CID_PIV_ALG_P256 : CID_PIV_ALG_P384;
		need = fb;
		if (k->kt != CKK_EC || (k->bits != 256 && k->bits != 384))
			rv = CKR_KEY_TYPE_INCONSISTENT;
		else if (inlen != 1 + 2 * fb || in[0] != 0x04)
			rv = CKR_DATA_INVALID;
		else if ((ran = out != NULL && *outlen >= need))
			rv = run_ga(t, alg, ref, 0x85, in, inlen, buf, &bl);
		break;
	default:
		need = 0;
		rv = CKR_MECHANISM_INVALID;
	}
	if (rv == CKR_OK && (out == NULL || *outlen < need)) {
		*outlen = need;
		rv = out == NULL ? CKR_OK : CKR_BUFFER_TOO_SMALL;
	} else if (rv == CKR_OK && kind != CID_EXT_ECDSA) {
		/* Results are fixed-length; a card may drop leading zeros. */
		if (bl > need) {
			CID_WARN("card result of %zu bytes, %zu expected", bl, need);
			rv = CKR_DEVICE_ERROR;
		} else {
			memset(out, 0, need - bl);
			memcpy(out + need - bl, buf, bl);
			*outlen = need;
		}
	} else if (rv == CKR_OK) {
		*outlen = need;
	}
	/* A context-specific login authorises one use of the key. */
	if (ref == CID_PIV_KEY_SIGN && ran) {
		cid_wipe(t->ctx_pin, sizeof(t->ctx_pin));
		t->ctx_pinlen = 0;
	}
	cid_wipe(buf, sizeof(buf));
	rv = card_note(t, rv);
	card_end(t);
	return rv;
}

/* The key slot a template names by CKA_ID (01 9A ... 04 9E); 9A when none. */
static CK_RV target_ref(const cid_attrs *pub, const cid_attrs *priv, uint8_t *ref)
{
	const CK_ATTRIBUTE *id = cid_attrs_get(priv, CKA_ID);

	if (id == NULL || id->ulValueLen == 0)
		id = cid_attrs_get(pub, CKA_ID);
	if (id == NULL || id->ulValueLen == 0) {
		*ref = CID_PIV_KEY_AUTH;
		return CKR_OK;
	}
	if (id->ulValueLen != 1 || (*ref = cid_piv_key_from_id(*(const uint8_t *)id->pValue)) == 0) {
		CID_INFO("on-card keys take CKA_ID 01 (9A), 02 (9C), 03 (9D) or 04 (9E)");
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	return CKR_OK;
}

static CK_RV choose_alg(CK_MECHANISM_TYPE mech, const cid_attrs *pub, uint8_t *alg)
{
	const CK_ATTRIBUTE *a;
	CK_ULONG bits = 0;

	if (mech == CKM_RSA_PKCS_KEY_PAIR_GEN) {
		static const uint8_t f4[] = { 0x01, 0x00, 0x01 };

		if (cid_attrs_ulong(pub, CKA_MODULUS_BITS, &bits) != CKR_OK)
			return CKR_TEMPLATE_INCOMPLETE;
		if (bits != 2048 && bits != 3072 && bits != 4096)
			return CKR_KEY_SIZE_RANGE;
		/* PIV cards generate with e = 65537 only. */
		a = cid_attrs_get(pub, CKA_PUBLIC_EXPONENT);
		if (a != NULL && (a->ulValueLen != sizeof(f4) || memcmp(a->pValue, f4, sizeof(f4)) != 0))
			return CKR_ATTRIBUTE_VALUE_INVALID;
		*alg = rsa_alg(bits);
		return CKR_OK;
	}
	if (mech == CKM_EC_KEY_PAIR_GEN) {
		CK_RV rv;

		a = cid_attrs_get(pub, CKA_EC_PARAMS);
		if (a == NULL)
			return CKR_TEMPLATE_INCOMPLETE;
		if ((rv = cid_ec_params_bits(CKK_EC, a->pValue, a->ulValueLen, &bits)) != CKR_OK)
			return rv;
		if (bits != 256 && bits != 384)
			return CKR_CURVE_NOT_SUPPORTED;
		*alg = bits == 256 ? CID_PIV_ALG_P256 : CID_PIV_ALG_P384;
		return CKR_OK;
	}
	return CKR_MECHANISM_INVALID;
}

static CK_RV fill(cid_attrs *a, const card_key *k, bool priv)
{
	uint8_t id = cid_piv_id_from_key(k->ref), ref = k->ref;
	CK_RV rv = CKR_OK;

	for (size_t i = 0; rv == CKR_OK && i < k->pub.n; i++)
		rv = cid_attrs_set(a, k->pub.v[i].type, k->pub.v[i].pValue, k->pub.v[i].ulValueLen);
	if (rv == CKR_OK && k->kt == CKK_RSA)
		rv = cid_attrs_set_ulong(a, CKA_MODULUS_BITS, k->bits);
	if (rv == CKR_OK)
		rv = cid_attrs_set(a, CKA_ID, &id, 1);
	if (rv == CKR_OK)
		rv = cid_attrs_set_bool(a, CKA_LOCAL, true);
	if (rv == CKR_OK && priv)
		rv = cid_attrs_set(a, CKA_CAREID_KEY_REF, &ref, 1);
	if (rv == CKR_OK && priv)
		rv = cid_attrs_set_bool(a, CKA_ALWAYS_AUTHENTICATE, ref == CID_PIV_KEY_SIGN);
	return rv;
}

/* The new public key is remembered for this process only: PIV cannot
 * hand a public key back later, so another process sees the key once a
 * certificate for it is written.  The slot's old certificate, which no
 * longer matches, is no longer shown (it stays on the card until
 * replaced). */
CK_RV card_generate_keypair(cid_token *tok, CK_MECHANISM_TYPE mech, cid_attrs *pub, cid_attrs *priv,
                            uint64_t *pub_id, uint64_t *priv_id)
{
	card_token *t = (card_token *)tok;
	uint8_t ref = 0, alg = 0, *tmpl = NULL;
	size_t tlen = 0;
	card_key k = { 0 };
	CK_RV rv;

	if ((rv = choose_alg(mech, pub, &alg)) != CKR_OK)
		return rv;
	if ((rv = target_ref(pub, priv, &ref)) != CKR_OK)
		return rv;
	if ((rv = card_begin(t, NULL)) != CKR_OK)
		return rv;
	rv = t->admin ? card_ensure_data(t) : CKR_USER_NOT_LOGGED_IN;
	if (rv == CKR_OK)
		rv = card_note(t, cid_piv_generate(t->io, ref, alg, &tmpl, &tlen));
	k.ref = ref;
	if (rv == CKR_OK)
		rv = card_key_from_generated(&k, alg, tmpl, tlen);
	free(tmpl);
	if (rv == CKR_OK)
		rv = fill(pub, &k, false);
	if (rv == CKR_OK)
		rv = fill(priv, &k, true);
	if (rv == CKR_OK)
		rv = card_publish_key(t, card_key_index(ref), &k);
	if (rv == CKR_OK) {
		*pub_id = card_obj_id(ref, CARD_OBJ_PUB);
		*priv_id = card_obj_id(ref, CARD_OBJ_PRIV);
	}
	card_key_clear(&k);
	card_end(t);
	return rv;
}
