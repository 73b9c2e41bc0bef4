/* Vendor instructions in the form Yubico-compatible PIV clients (ykcs11,
 * yubico-piv-tool) expect, so that those clients accept the card:
 *   FD GET VERSION, F8 GET SERIAL, F7 GET METADATA, FF SET MANAGEMENT KEY.
 * The version reported (5.4.3) is the lowest at which those clients read
 * key metadata instead of guessing from certificates. */
#include <string.h>

#include "policy/policy.h"
#include "vcard/vcard.h"

static const uint8_t VERSION[3] = { 5, 4, 3 };

static uint16_t metadata_secret(const struct vc_secret *s, struct vc_buf *r)
{
	uint8_t retries[2] = { CID_POLICY_PIN_MAX_TRIES, s->tries };

	tlv_put(r, 0x01, "\xFF", 1);
	tlv_put(r, 0x05, s->is_default ? "\x01" : "\x00", 1);
	tlv_put(r, 0x06, retries, sizeof(retries));
	return SW_OK;
}

static uint16_t metadata(struct vc_card *c, const struct vc_apdu *a, struct vc_buf *r)
{
	struct vc_key *k;
	uint8_t pub[1100];
	struct vc_buf pb;
	uint8_t pol[2];

	if (a->p1 != 0x00)
		return SW_WRONG_P1P2;
	switch (a->p2) {
	case KEY_REF_PIN:
		return metadata_secret(&c->st.pin, r);
	case KEY_REF_PUK:
		return metadata_secret(&c->st.puk, r);
	case KEY_REF_MGMT:
		tlv_put(r, 0x01, &c->st.mgmt_alg, 1);
		tlv_put(r, 0x02, "\x01\x01", 2);
		tlv_put(r, 0x05, c->st.mgmt_default ? "\x01" : "\x00", 1);
		return SW_OK;
	default:
		break;
	}
	k = vc_key_get(&c->st, a->p2);
	if (k == NULL)
		return SW_REF_NOT_FOUND;
	/* Touch policy: this card has no button, so always "never". */
	pol[0] = k->pin_policy;
	pol[1] = 0x01;
	vc_buf_init(&pb, pub, sizeof(pub));
	piv_public_tlvs(k->pkey, &pb);
	if (pb.err)
		return SW_UNKNOWN;
	tlv_put(r, 0x01, &k->alg, 1);
	tlv_put(r, 0x02, pol, sizeof(pol));
	tlv_put(r, 0x03, &k->origin, 1);
	tlv_put(r, 0x04, pb.p, pb.len);
	return r->err ? SW_UNKNOWN : SW_OK;
}

/* FF FF FF|FE, data: alg, 9B, length, key (P2 FE asks for touch: ignored). */
static uint16_t set_mgmt_key(struct vc_card *c, const struct vc_apdu *a)
{
	size_t klen;

	if (a->p1 != 0xFF || (a->p2 != 0xFF && a->p2 != 0xFE))
		return SW_WRONG_P1P2;
	if (a->lc < 3 || a->data[1] != KEY_REF_MGMT)
		return SW_WRONG_DATA;
	klen = piv_mgmt_key_len(a->data[0]);
	if (klen == 0 || a->data[2] != klen || a->lc != 3 + klen)
		return SW_WRONG_DATA;
	if (!c->ss.mgmt_ok)
		return SW_SECURITY;
	c->st.mgmt_alg = a->data[0];
	memcpy(c->st.mgmt_key, a->data + 3, klen);
	c->st.mgmt_len = klen;
	c->st.mgmt_default = false;
	if (vc_state_save(&c->st) != 0)
		return SW_MEMORY_FAILURE;
	return SW_OK;
}

uint16_t yk_dispatch(struct vc_card *c, const struct vc_apdu *a, struct vc_buf *r, bool *handled)
{
	uint8_t ser[4];

	*handled = true;
	switch (a->ins) {
	case 0xFD:
		vc_buf_put(r, VERSION, sizeof(VERSION));
		return SW_OK;
	case 0xF8:
		ser[0] = (uint8_t)(c->st.serial >> 24);
		ser[1] = (uint8_t)(c->st.serial >> 16);
		ser[2] = (uint8_t)(c->st.serial >> 8);
		ser[3] = (uint8_t)c->st.serial;
		vc_buf_put(r, ser, sizeof(ser));
		return SW_OK;
	case 0xF7:
		return metadata(c, a, r);
	case 0xFF:
		return set_mgmt_key(c, a);
	default:
		*handled = false;
		return SW_INS_UNKNOWN;
	}
}
