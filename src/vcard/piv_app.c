/* The PIV application: SELECT, the PIN and PUK instructions, and the
 * instruction table.
 *
 * Retry counters follow Care Identity rule P2 literally: the decrement is
 * written to the state file (with fsync) before the presented value is
 * compared, so killing the card, or pulling it, in the middle of a check
 * never yields an extra try. */
#include <string.h>

#include <openssl/crypto.h>

#include "policy/policy.h"
#include "vcard/vcard.h"

static const uint8_t PIV_AID[] = {
	0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00
};
/* The RID plus the PIX prefix that identifies PIV regardless of version. */
#define PIV_AID_MIN 5

size_t piv_aid(const uint8_t **aid)
{
	*aid = PIV_AID;
	return sizeof(PIV_AID);
}

static uint16_t piv_select(struct vc_card *c, const struct vc_apdu *a, struct vc_buf *r)
{
	static const uint8_t algs[] = {
		ALG_3DES, ALG_AES128, ALG_AES192, ALG_AES256, ALG_RSA2048,
		ALG_RSA3072, ALG_RSA4096, ALG_ECCP256, ALG_ECCP384,
	};
	static const char label[] = "careid Care Identity card";
	uint8_t inner[160], tmp[40];
	struct vc_buf ib, tb;

	(void)c;
	if (a->p1 != 0x04)
		return SW_WRONG_P1P2;
	if (a->lc < PIV_AID_MIN || a->lc > sizeof(PIV_AID) ||
	    memcmp(a->data, PIV_AID, a->lc) != 0)
		return SW_NOT_FOUND;
	vc_buf_init(&ib, inner, sizeof(inner));
	/* PIX of the application, with its version. */
	tlv_put(&ib, 0x4F, PIV_AID + 5, sizeof(PIV_AID) - 5);
	vc_buf_init(&tb, tmp, sizeof(tmp));
	tlv_put(&tb, 0x4F, PIV_AID, PIV_AID_MIN);
	tlv_put(&ib, 0x79, tb.p, tb.len);
	tlv_put(&ib, 0x50, label, sizeof(label) - 1);
	vc_buf_init(&tb, tmp, sizeof(tmp));
	for (size_t i = 0; i < sizeof(algs); i++)
		tlv_put(&tb, 0x80, &algs[i], 1);
	tlv_put(&tb, 0x06, "\x00", 1);
	tlv_put(&ib, 0xAC, tb.p, tb.len);
	tlv_put(r, 0x61, ib.p, ib.len);
	return (ib.err || tb.err || r->err) ? SW_UNKNOWN : SW_OK;
}

static uint16_t tries_sw(uint8_t tries)
{
	return tries == 0 ? SW_BLOCKED : (uint16_t)(0x63C0 | tries);
}

/* Spends one try durably, then compares.  Returns 9000, 63Cx or 6983. */
static uint16_t check_secret(struct vc_card *c, struct vc_secret *s, const uint8_t padded[8])
{
	if (s->tries == 0)
		return SW_BLOCKED;
	s->tries--;
	if (vc_state_save(&c->st) != 0) {
		s->tries++;
		return SW_MEMORY_FAILURE;
	}
	if (!vc_secret_matches(s, padded))
		return (uint16_t)(0x63C0 | s->tries);
	s->tries = CID_POLICY_PIN_MAX_TRIES;
	if (vc_state_save(&c->st) != 0)
		return SW_MEMORY_FAILURE;
	return SW_OK;
}

static uint16_t piv_verify(struct vc_card *c, const struct vc_apdu *a)
{
	uint16_t sw;

	if (a->p2 != KEY_REF_PIN)
		return SW_REF_NOT_FOUND;
	if (a->p1 == 0xFF) {
		if (a->lc != 0)
			return SW_WRONG_DATA;
		c->ss.pin_ok = false;
		c->ss.pin_fresh = false;
		return SW_OK;
	}
	if (a->p1 != 0x00)
		return SW_WRONG_P1P2;
	if (a->lc == 0) {
		if (c->st.pin.tries == 0)
			return SW_BLOCKED;
		return c->ss.pin_ok ? SW_OK : tries_sw(c->st.pin.tries);
	}
	/* A value that can never be a PIN costs no try. */
	if (a->lc != 8 || !vc_pin_block_valid(a->data))
		return SW_WRONG_DATA;
	sw = check_secret(c, &c->st.pin, a->data);
	c->ss.pin_ok = sw == SW_OK;
	c->ss.pin_fresh = sw == SW_OK;
	return sw;
}

static uint16_t piv_change(struct vc_card *c, const struct vc_apdu *a)
{
	struct vc_secret *s;
	uint16_t sw;

	if (a->p1 != 0x00)
		return SW_WRONG_P1P2;
	if (a->p2 == KEY_REF_PIN)
		s = &c->st.pin;
	else if (a->p2 == KEY_REF_PUK)
		s = &c->st.puk;
	else
		return SW_REF_NOT_FOUND;
	if (a->lc != 16 || !vc_pin_block_valid(a->data) || !vc_pin_block_valid(a->data + 8))
		return SW_WRONG_DATA;
	sw = check_secret(c, s, a->data);
	if (sw != SW_OK) {
		if (s == &c->st.pin)
			c->ss.pin_ok = c->ss.pin_fresh = false;
		return sw;
	}
	if (vc_secret_set(s, a->data + 8) != 0 || vc_state_save(&c->st) != 0)
		return SW_MEMORY_FAILURE;
	return SW_OK;
}

static uint16_t piv_reset_retry(struct vc_card *c, const struct vc_apdu *a)
{
	uint16_t sw;

	if (a->p1 != 0x00)
		return SW_WRONG_P1P2;
	if (a->p2 != KEY_REF_PIN)
		return SW_REF_NOT_FOUND;
	if (a->lc != 16 || !vc_pin_block_valid(a->data) || !vc_pin_block_valid(a->data + 8))
		return SW_WRONG_DATA;
	sw = check_secret(c, &c->st.puk, a->data);
	if (sw != SW_OK)
		return sw;
	if (vc_secret_set(&c->st.pin, a->data + 8) != 0 || vc_state_save(&c->st) != 0)
		return SW_MEMORY_FAILURE;
	c->ss.pin_ok = c->ss.pin_fresh = false;
	return SW_OK;
}

uint16_t piv_dispatch(struct vc_card *c, const struct vc_apdu *a, struct vc_buf *r)
{
	bool handled = false;
	uint16_t sw;

	switch (a->ins) {
	case 0xA4:
		return piv_select(c, a, r);
	case 0xCB:
		return piv_get_data(c, a, r);
	case 0xDB:
		return piv_put_data(c, a, r);
	case 0x20:
		return piv_verify(c, a);
	case 0x24:
		return piv_change(c, a);
	case 0x2C:
		return piv_reset_retry(c, a);
	case 0x47:
		return piv_generate(c, a, r);
	case 0x87:
		return piv_general_auth(c, a, r);
	default:
		sw = yk_dispatch(c, a, r, &handled);
		return handled ? sw : SW_INS_UNKNOWN;
	}
}
