/* Card management key (9B) authentication: the host proves it knows the
 * key by decrypting the card's witness, and checks the card's answer to
 * its own challenge, so neither side reveals the key. */
#include <string.h>

#include "card/piv.h"
#include "card/sw.h"
#include "card/tlv.h"
#include "common/log.h"
#include "common/mem.h"
#include "crypto/crypto.h"

/* The crypto layer's cipher for a PIV algorithm, with its key and block
 * lengths; false for an algorithm that is not a management-key cipher. */
static bool cipher_of(uint8_t alg, cid_block_alg *c, size_t *keylen, size_t *bl)
{
	*bl = 16;
	switch (alg) {
	case CID_PIV_ALG_3DES: *c = CID_BLOCK_3DES; *keylen = 24; *bl = 8; return true;
	case CID_PIV_ALG_AES128: *c = CID_BLOCK_AES128; *keylen = 16; return true;
	case CID_PIV_ALG_AES192: *c = CID_BLOCK_AES192; *keylen = 24; return true;
	case CID_PIV_ALG_AES256: *c = CID_BLOCK_AES256; *keylen = 32; return true;
	default: return false;
	}
}

/* One ECB block, no padding. */
static CK_RV block(uint8_t alg, bool enc, const uint8_t *key, const uint8_t *in, uint8_t *out)
{
	cid_block_alg c;
	size_t kl, bl;

	if (!cipher_of(alg, &c, &kl, &bl))
		return CKR_FUNCTION_FAILED;
	return cid_block_cipher(c, enc, key, in, out);
}

/* The card's own statement of its management key algorithm, when it has
 * the metadata extension; else 0. */
static uint8_t card_alg(cid_card_io *io)
{
	uint8_t m[128];
	size_t ml = 0;
	cid_tlv t;

	if (cid_piv_metadata(io, CID_PIV_KEY_MGMT, m, sizeof(m), &ml) != CKR_OK ||
	    cid_tlv_find(m, ml, 0x01, &t) != CKR_OK || t.len != 1)
		return 0;
	return t.val[0];
}

static CK_RV mutual(cid_card_io *io, uint8_t alg, const uint8_t *key)
{
	static const uint8_t ask[] = { 0x7C, 0x02, 0x80, 0x00 };
	uint8_t r[64], w[16], ch[16], want[16], q[48];
	size_t kl, bl, rl = 0, off = 0;
	uint16_t sw = 0;
	cid_tlv t, v;
	cid_block_alg c;
	CK_RV rv;

	(void)cipher_of(alg, &c, &kl, &bl);
	rv = cid_piv_ga_raw(io, alg, CID_PIV_KEY_MGMT, ask, sizeof(ask), false, r, sizeof(r), &rl, &sw);
	if (rv != CKR_OK)
		return rv;
	if (sw != CID_SW_OK)
		return sw == CID_SW_WRONG_P1P2 || sw == CID_SW_WRONG_DATA ? CKR_KEY_TYPE_INCONSISTENT : cid_sw_rv(sw);
	if (cid_tlv_find(r, rl, 0x7C, &t) != CKR_OK || cid_tlv_find(t.val, t.len, 0x80, &v) != CKR_OK ||
	    v.len != bl) {
		CID_WARN("malformed management key witness");
		return CKR_DEVICE_ERROR;
	}
	rv = block(alg, false, key, v.val, w);
	if (rv == CKR_OK)
		rv = cid_random(ch, bl);
	if (rv == CKR_OK)
		rv = block(alg, true, key, ch, want);
	if (rv == CKR_OK)
		rv = cid_tlv_put_header(q, sizeof(q), &off, 0x7C, 4 + 2 * bl);
	if (rv == CKR_OK)
		rv = cid_tlv_put(q, sizeof(q), &off, 0x80, w, bl);
	if (rv == CKR_OK)
		rv = cid_tlv_put(q, sizeof(q), &off, 0x81, ch, bl);
	if (rv == CKR_OK)
		rv = cid_piv_ga_raw(io, alg, CID_PIV_KEY_MGMT, q, off, true, r, sizeof(r), &rl, &sw);
	if (rv == CKR_OK && sw != CID_SW_OK)
		/* The card found our decryption wrong: not its key. */
		rv = sw == CID_SW_SECURITY || cid_sw_tries(sw, NULL) ? CKR_PIN_INCORRECT : cid_sw_rv(sw);
	if (rv == CKR_OK && (cid_tlv_find(r, rl, 0x7C, &t) != CKR_OK ||
	                     cid_tlv_find(t.val, t.len, 0x82, &v) != CKR_OK || v.len != bl ||
	                     cid_memcmp_ct(v.val, want, bl) != 0)) {
		CID_WARN("the card's answer to the management key challenge is wrong");
		rv = CKR_DEVICE_ERROR;
	}
	cid_wipe(w, sizeof(w));
	cid_wipe(q, sizeof(q));
	cid_wipe(want, sizeof(want));
	return rv;
}

CK_RV cid_piv_mgmt_auth(cid_card_io *io, uint8_t alg, const uint8_t *key, size_t keylen)
{
	size_t kl = 0, bl;
	cid_block_alg c;
	bool guessed = false;
	CK_RV rv;

	if (key == NULL)
		return CKR_ARGUMENTS_BAD;
	if (alg == 0)
		alg = card_alg(io);
	if (alg == 0) {
		/* No metadata: the key length decides, 24 bytes being the
		 * PIV default 3DES unless the card says otherwise below. */
		guessed = true;
		alg = keylen == 16 ? CID_PIV_ALG_AES128 : keylen == 32 ? CID_PIV_ALG_AES256 : CID_PIV_ALG_3DES;
	}
	if (!cipher_of(alg, &c, &kl, &bl)) {
		CID_INFO("management key algorithm %02X not supported", alg);
		return CKR_FUNCTION_NOT_SUPPORTED;
	}
	if (keylen != kl)
		return CKR_PIN_LEN_RANGE;
	rv = mutual(io, alg, key);
	if (rv == CKR_KEY_TYPE_INCONSISTENT && guessed && alg == CID_PIV_ALG_3DES)
		rv = mutual(io, CID_PIV_ALG_AES192, key);
	if (rv == CKR_KEY_TYPE_INCONSISTENT)
		rv = CKR_PIN_INCORRECT;
	return rv;
}
