/* PIV data objects: GET DATA and PUT DATA.
 *
 * Objects are stored as the content of their 53 template, except discovery
 * (7E), which the card derives from its fixed AID and PIN usage policy and
 * which cannot be written. */
#include <string.h>

#include "vcard/vcard.h"

/* Read access rule of SP 800-73-4: these hold biometrics or the printed
 * face of the card, so they need the PIN; everything else is free. */
static bool needs_pin(uint32_t tag)
{
	return tag == 0x5FC103 || tag == 0x5FC108 || tag == TAG_PRINTED || tag == 0x5FC121;
}

static bool writable(uint32_t tag)
{
	return (tag >= 0x5FC101 && tag <= 0x5FC123) || (tag >= 0x5FFF00 && tag <= 0x5FFFFF);
}

/* The 5C tag list of one object, as 1 to 3 bytes. */
static int object_tag(const uint8_t *v, size_t n, uint32_t *tag)
{
	uint32_t t = 0;

	if (n == 0 || n > 3)
		return -1;
	for (size_t i = 0; i < n; i++)
		t = (t << 8) | v[i];
	*tag = t;
	return 0;
}

static void discovery(struct vc_buf *r)
{
	const uint8_t *aid;
	size_t aidn = piv_aid(&aid);
	/* PIV PIN only; the PIN satisfies the card's access rules. */
	static const uint8_t policy[] = { 0x40, 0x00 };
	uint8_t inner[40];
	struct vc_buf ib;

	vc_buf_init(&ib, inner, sizeof(inner));
	tlv_put(&ib, 0x4F, aid, aidn);
	tlv_put(&ib, 0x5F2F, policy, sizeof(policy));
	tlv_put(r, TAG_DISCOVERY, ib.p, ib.len);
}

uint16_t piv_get_data(struct vc_card *c, const struct vc_apdu *a, struct vc_buf *r)
{
	const uint8_t *v;
	size_t n;
	uint32_t tag;
	const struct vc_obj *o;

	if (a->p1 != 0x3F || a->p2 != 0xFF)
		return SW_WRONG_P1P2;
	if (tlv_find(a->data, a->lc, 0x5C, &v, &n) != 0 || object_tag(v, n, &tag) != 0)
		return SW_WRONG_DATA;
	if (tag == TAG_DISCOVERY) {
		discovery(r);
		return r->err ? SW_UNKNOWN : SW_OK;
	}
	o = vc_obj_get(&c->st, tag);
	if (o == NULL)
		return SW_NOT_FOUND;
	if (needs_pin(tag) && !c->ss.pin_ok)
		return SW_SECURITY;
	tlv_put(r, 0x53, o->data, o->len);
	return r->err ? SW_UNKNOWN : SW_OK;
}

uint16_t piv_put_data(struct vc_card *c, const struct vc_apdu *a, struct vc_buf *r)
{
	const uint8_t *p = a->data, *end = a->data + a->lc, *v, *content;
	size_t n, cn;
	uint32_t t, tag;

	(void)r;
	if (a->p1 != 0x3F || a->p2 != 0xFF)
		return SW_WRONG_P1P2;
	if (tlv_next(&p, end, &t, &v, &n) != 0 || t != 0x5C || object_tag(v, n, &tag) != 0)
		return SW_WRONG_DATA;
	if (tlv_next(&p, end, &t, &content, &cn) != 0 || t != 0x53 || p != end)
		return SW_WRONG_DATA;
	if (!writable(tag))
		return SW_WRONG_DATA;
	if (!c->ss.mgmt_ok)
		return SW_SECURITY;
	if (cn > VC_OBJ_MAX)
		return SW_NO_SPACE;
	if (vc_obj_set(&c->st, tag, content, cn) != 0)
		return SW_NO_SPACE;
	if (vc_state_save(&c->st) != 0)
		return SW_MEMORY_FAILURE;
	return SW_OK;
}
