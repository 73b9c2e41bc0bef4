/* PIV card commands.  Each builds its APDU, runs it through the APDU
 * layer (one transaction per command; callers that need several in a
 * row hold an outer one) and turns the answer into a CK_RV. */
#include <stdlib.h>
#include <string.h>

#include "card/apdu.h"
#include "card/piv.h"
#include "card/sw.h"
#include "card/tlv.h"
#include "common/log.h"
#include "common/mem.h"

#define INS_VERIFY        0x20
#define INS_CHANGE_REF    0x24
#define INS_RESET_RETRY   0x2C
#define INS_GENERATE      0x47
#define INS_GENERAL_AUTH  0x87
#define INS_SELECT        0xA4
#define INS_GET_DATA      0xCB
#define INS_PUT_DATA      0xDB
#define INS_YK_METADATA   0xF7
#define INS_YK_SERIAL     0xF8
#define INS_YK_VERSION    0xFD

/* The PIV AID without its version bytes: cards match it as a prefix, and
 * every PIV client sends this form. */
static const uint8_t PIV_AID[] = { 0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00 };

/* Short APDUs with chaining: what every PIV card accepts. */
static CK_RV send(cid_card_io *io, const cid_apdu *a, uint8_t *resp, size_t cap, size_t *rl, uint16_t *sw)
{
	size_t dummy = 0;

	return cid_apdu_transceive(io, false, a, resp, cap, rl != NULL ? rl : &dummy, sw);
}

CK_RV cid_piv_select(cid_card_io *io, cid_piv_app *app)
{
	cid_apdu a = { .ins = INS_SELECT, .p1 = 0x04, .data = PIV_AID, .lc = sizeof(PIV_AID), .le = 256 };
	uint8_t r[512];
	size_t rl = 0;
	uint16_t sw = 0;
	cid_tlv t, l;
	CK_RV rv;

	memset(app, 0, sizeof(*app));
	rv = send(io, &a, r, sizeof(r), &rl, &sw);
	if (rv != CKR_OK)
		return rv;
	if (sw != CID_SW_OK) {
		CID_INFO("no PIV application on the card (SW %04X)", sw);
		return CKR_TOKEN_NOT_RECOGNIZED;
	}
	/* Some cards answer an empty 9000; a template, when given, must parse. */
	if (rl == 0)
		return CKR_OK;
	if (cid_tlv_find(r, rl, 0x61, &t) != CKR_OK || !cid_tlv_valid(t.val, t.len)) {
		CID_INFO("PIV SELECT answered a malformed property template");
		return CKR_TOKEN_NOT_RECOGNIZED;
	}
	if (cid_tlv_find(t.val, t.len, 0x50, &l) == CKR_OK) {
		size_t n = l.len < sizeof(app->label) - 1 ? l.len : sizeof(app->label) - 1;

		for (size_t i = 0; i < n; i++)
			app->label[i] = l.val[i] >= 0x20 && l.val[i] < 0x7f ? (char)l.val[i] : '?';
	}
	return CKR_OK;
}

static void tag_bytes(uint32_t tag, uint8_t *b, size_t *n)
{
	if (tag > 0xffff) {
		b[0] = (uint8_t)(tag >> 16);
		b[1] = (uint8_t)(tag >> 8);
		b[2] = (uint8_t)tag;
		*n = 3;
	} else if (tag > 0xff) {
		b[0] = (uint8_t)(tag >> 8);
		b[1] = (uint8_t)tag;
		*n = 2;
	} else {
		b[0] = (uint8_t)tag;
		*n = 1;
	}
}

CK_RV cid_piv_get_data(cid_card_io *io, uint32_t tag, uint8_t **val, size_t *len)
{
	uint8_t q[8], tb[3], *r;
	size_t qn = 0, tn = 0, rl = 0, cap = CID_PIV_MAX_OBJECT + 16;
	uint16_t sw = 0;
	cid_tlv t;
	CK_RV rv;

	*val = NULL;
	*len = 0;
	tag_bytes(tag, tb, &tn);
	if (cid_tlv_put(q, sizeof(q), &qn, 0x5C, tb, tn) != CKR_OK)
		return CKR_ARGUMENTS_BAD;
	cid_apdu a = { .ins = INS_GET_DATA, .p1 = 0x3F, .p2 = 0xFF, .data = q, .lc = qn, .le = CID_APDU_LE_ALL };
	r = malloc(cap);
	if (r == NULL)
		return CKR_HOST_MEMORY;
	rv = send(io, &a, r, cap, &rl, &sw);
	if (rv == CKR_OK && sw != CID_SW_OK)
		rv = sw == CID_SW_NOT_FOUND ? CKR_OBJECT_HANDLE_INVALID : cid_sw_rv(sw);
	if (rv == CKR_OK) {
		const uint8_t *p = r;
		size_t n = rl;

		/* Exactly one outer element: 53, or 7E for discovery. */
		if (cid_tlv_next(&p, &n, &t) != CKR_OK || n != 0 ||
		    t.tag != (tag == CID_PIV_OBJ_DISCOVERY ? 0x7Eu : 0x53u)) {
			CID_WARN("malformed data object %06X from the card", (unsigned)tag);
			rv = CKR_DEVICE_ERROR;
		}
	}
	if (rv == CKR_OK) {
		*val = cid_memdup(t.val, t.len);
		*len = t.len;
		if (*val == NULL)
			rv = CKR_HOST_MEMORY;
	}
	free(r);
	return rv;
}

CK_RV cid_piv_put_data(cid_card_io *io, uint32_t tag, const uint8_t *content, size_t len)
{
	size_t cap = len + 16, off = 0, tn = 0;
	uint8_t tb[3], *q;
	uint16_t sw = 0;
	CK_RV rv;

	if (len > CID_PIV_MAX_OBJECT)
		return CKR_DATA_LEN_RANGE;
	q = malloc(cap);
	if (q == NULL)
		return CKR_HOST_MEMORY;
	tag_bytes(tag, tb, &tn);
	rv = cid_tlv_put(q, cap, &off, 0x5C, tb, tn);
	if (rv == CKR_OK)
		rv = cid_tlv_put(q, cap, &off, 0x53, content, len);
	if (rv == CKR_OK) {
		cid_apdu a = { .ins = INS_PUT_DATA, .p1 = 0x3F, .p2 = 0xFF, .data = q, .lc = off };

		rv = send(io, &a, NULL, 0, NULL, &sw);
	}
	if (rv == CKR_OK && sw != CID_SW_OK) {
		CID_INFO("PUT DATA %06X refused (SW %04X)", (unsigned)tag, sw);
		rv = cid_sw_rv(sw);
	}
	free(q);
	return rv;
}

/* 8 bytes: the digits, then FF. */
static CK_RV pin_block(const uint8_t *pin, size_t len, uint8_t out[CID_PIV_PIN_BLOCK])
{
	if (pin == NULL || len == 0 || len > CID_PIV_PIN_BLOCK)
		return CKR_PIN_LEN_RANGE;
	memset(out, 0xFF, CID_PIV_PIN_BLOCK);
	memcpy(out, pin, len);
	return CKR_OK;
}

/* A passcode command's answer, with the tries it reveals. */
static CK_RV pin_result(uint16_t sw, int *tries)
{
	unsigned x = 0;

	if (tries != NULL)
		*tries = CID_PIV_TRIES_UNKNOWN;
	if (cid_sw_tries(sw, &x)) {
		if (tries != NULL)
			*tries = (int)x;
	} else if (sw == CID_SW_BLOCKED && tries != NULL) {
		*tries = 0;
	}
	return cid_sw_rv(sw);
}

CK_RV cid_piv_verify(cid_card_io *io, uint8_t ref, const uint8_t *pin, size_t len, int *tries)
{
	uint8_t blk[CID_PIV_PIN_BLOCK];
	cid_apdu a = { .ins = INS_VERIFY, .p2 = ref };
	uint16_t sw = 0;
	CK_RV rv;

	if (pin != NULL) {
		if ((rv = pin_block(pin, len, blk)) != CKR_OK)
			return rv;
		a.data = blk;
		a.lc = sizeof(blk);
		a.secret = true;
	}
	rv = send(io, &a, NULL, 0, NULL, &sw);
	cid_wipe(blk, sizeof(blk));
	if (rv != CKR_OK)
		return rv;
	rv = pin_result(sw, tries);
	/* Asking the state: 63Cx means "not verified", not "wrong". */
	if (pin == NULL && rv == CKR_PIN_INCORRECT)
		rv = CKR_USER_NOT_LOGGED_IN;
	return rv;
}

CK_RV cid_piv_logout(cid_card_io *io)
{
	cid_apdu a = { .ins = INS_VERIFY, .p1 = 0xFF, .p2 = CID_PIV_REF_PIN };
	uint16_t sw = 0;
	CK_RV rv = send(io, &a, NULL, 0, NULL, &sw);

	/* Older cards do not know the reset form; their verification ends
	 * with the card session, which is all we can do. */
	if (rv == CKR_OK && sw != CID_SW_OK && !cid_sw_unsupported(sw))
		rv = cid_sw_rv(sw);
	return rv;
}

static CK_RV two_blocks(cid_card_io *io, uint8_t ins, uint8_t ref, const uint8_t *a1, size_t l1,
                        const uint8_t *a2, size_t l2, int *tries)
{
	uint8_t d[2 * CID_PIV_PIN_BLOCK];
	uint16_t sw = 0;
	CK_RV rv;

	if (tries != NULL)
		*tries = CID_PIV_TRIES_UNKNOWN;
	rv = pin_block(a1, l1, d);
	if (rv == CKR_OK)
		rv = pin_block(a2, l2, d + CID_PIV_PIN_BLOCK);
	if (rv == CKR_OK) {
		cid_apdu a = { .ins = ins, .p2 = ref, .data = d, .lc = sizeof(d), .secret = true };

		rv = send(io, &a, NULL, 0, NULL, &sw);
	}
	cid_wipe(d, sizeof(d));
	if (rv != CKR_OK)
		return rv;
	return pin_result(sw, tries);
}

CK_RV cid_piv_change_ref(cid_card_io *io, uint8_t ref, const uint8_t *old, size_t oldlen,
                         const uint8_t *neu, size_t newlen, int *tries)
{
	return two_blocks(io, INS_CHANGE_REF, ref, old, oldlen, neu, newlen, tries);
}

CK_RV cid_piv_reset_retry(cid_card_io *io, const uint8_t *puk, size_t puklen, const uint8_t *pin,
                          size_t pinlen, int *tries)
{
	return two_blocks(io, INS_RESET_RETRY, CID_PIV_REF_PIN, puk, puklen, pin, pinlen, tries);
}

CK_RV cid_piv_ga_raw(cid_card_io *io, uint8_t alg, uint8_t key, const uint8_t *dyn, size_t dynlen,
                     bool secret, uint8_t *resp, size_t cap, size_t *rl, uint16_t *sw)
{
	cid_apdu a = { .ins = INS_GENERAL_AUTH, .p1 = alg, .p2 = key, .data = dyn, .lc = dynlen,
		       .le = CID_APDU_LE_ALL, .secret = secret };

	return send(io, &a, resp, cap, rl, sw);
}

CK_RV cid_piv_general_auth(cid_card_io *io, uint8_t alg, uint8_t key, uint8_t in_tag, const uint8_t *in,
                           size_t inlen, uint8_t *out, size_t *outlen, uint16_t *sw)
{
	size_t cap = inlen + 32, off = 0, rl = 0, inner = 2 + cid_tlv_header_len(in_tag, inlen) + inlen;
	uint8_t *q = NULL, r[1200];
	cid_tlv t, o;
	CK_RV rv;

	*sw = 0;
	if (inlen > 1024)
		return CKR_DATA_LEN_RANGE;
	q = malloc(cap);
	if (q == NULL)
		return CKR_HOST_MEMORY;
	rv = cid_tlv_put_header(q, cap, &off, 0x7C, inner);
	if (rv == CKR_OK)
		rv = cid_tlv_put(q, cap, &off, 0x82, NULL, 0);
	if (rv == CKR_OK)
		rv = cid_tlv_put(q, cap, &off, in_tag, in, inlen);
	/* The input may be a block to decrypt: not for a trace either. */
	if (rv == CKR_OK)
		rv = cid_piv_ga_raw(io, alg, key, q, off, true, r, sizeof(r), &rl, sw);
	cid_free_secret(&q, cap);
	if (rv == CKR_OK && *sw != CID_SW_OK)
		rv = cid_sw_rv(*sw);
	if (rv == CKR_OK && (cid_tlv_find(r, rl, 0x7C, &t) != CKR_OK ||
	                     cid_tlv_find(t.val, t.len, 0x82, &o) != CKR_OK)) {
		CID_WARN("GENERAL AUTHENTICATE answer without a response");
		rv = CKR_DEVICE_ERROR;
	}
	if (rv == CKR_OK && o.len > *outlen) {
		CID_WARN("GENERAL AUTHENTICATE answer of %zu bytes, %zu expected", o.len, *outlen);
		rv = CKR_DEVICE_ERROR;
	}
	if (rv == CKR_OK) {
		memcpy(out, o.val, o.len);
		*outlen = o.len;
	}
	cid_wipe(r, sizeof(r));
	return rv;
}

CK_RV cid_piv_generate(cid_card_io *io, uint8_t key, uint8_t alg, uint8_t **pub, size_t *len)
{
	const uint8_t q[] = { 0xAC, 0x03, 0x80, 0x01, alg };
	cid_apdu a = { .ins = INS_GENERATE, .p2 = key, .data = q, .lc = sizeof(q), .le = CID_APDU_LE_ALL };
	uint8_t r[1200];
	size_t rl = 0;
	uint16_t sw = 0;
	cid_tlv t;
	CK_RV rv;

	*pub = NULL;
	*len = 0;
	rv = send(io, &a, r, sizeof(r), &rl, &sw);
	if (rv == CKR_OK && sw != CID_SW_OK) {
		CID_INFO("key generation in %02X refused (SW %04X)", key, sw);
		rv = cid_sw_rv(sw);
	}
	if (rv == CKR_OK && cid_tlv_find(r, rl, 0x7F49, &t) != CKR_OK) {
		CID_WARN("key generation answer without a public key template");
		rv = CKR_DEVICE_ERROR;
	}
	if (rv == CKR_OK) {
		*pub = cid_memdup(t.val, t.len);
		*len = t.len;
		if (*pub == NULL)
			rv = CKR_HOST_MEMORY;
	}
	return rv;
}

static CK_RV vendor_get(cid_card_io *io, uint8_t ins, uint8_t *out, size_t want)
{
	cid_apdu a = { .ins = ins, .le = 256 };
	uint8_t r[64];
	size_t rl = 0;
	uint16_t sw = 0;
	CK_RV rv = send(io, &a, r, sizeof(r), &rl, &sw);

	if (rv != CKR_OK)
		return rv;
	/* Cards without the extension answer "unknown instruction"; some
	 * answer another error.  Either way: not offered. */
	if (sw != CID_SW_OK || rl != want)
		return CKR_FUNCTION_NOT_SUPPORTED;
	memcpy(out, r, want);
	return CKR_OK;
}

CK_RV cid_piv_get_serial(cid_card_io *io, uint32_t *serial)
{
	uint8_t b[4];
	CK_RV rv = vendor_get(io, INS_YK_SERIAL, b, sizeof(b));

	if (rv == CKR_OK)
		*serial = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return rv;
}

CK_RV cid_piv_get_version(cid_card_io *io, uint8_t v[3])
{
	return vendor_get(io, INS_YK_VERSION, v, 3);
}

CK_RV cid_piv_metadata(cid_card_io *io, uint8_t ref, uint8_t *out, size_t cap, size_t *len)
{
	cid_apdu a = { .ins = INS_YK_METADATA, .p2 = ref, .le = 256 };
	uint16_t sw = 0;
	CK_RV rv = send(io, &a, out, cap, len, &sw);

	if (rv == CKR_OK && sw != CID_SW_OK)
		rv = CKR_FUNCTION_NOT_SUPPORTED;
	return rv;
}
