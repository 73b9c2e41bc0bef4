/* The PIV structures the token reads and writes: certificate objects,
 * the CHUID's GUID, ECDSA signatures, and the key/object numbering. */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "card/piv.h"
#include "card/tlv.h"
#include "common/log.h"

/* A certificate never needs more than a card object can hold; anything
 * that inflates past this is not a certificate (or is a zip bomb). */
#define CERT_INFLATED_MAX (4 * CID_PIV_MAX_OBJECT)

/* Many issued PIV cards store certificates gzip-compressed (CertInfo 01)
 * to fit the card's object size limits. */
static CK_RV inflate_cert(const uint8_t *in, size_t inlen, uint8_t **out, size_t *outlen)
{
	z_stream z;
	uint8_t *buf = malloc(CERT_INFLATED_MAX);
	int zr;

	if (buf == NULL)
		return CKR_HOST_MEMORY;
	memset(&z, 0, sizeof(z));
	/* 15 + 32: a full window, gzip or zlib header detected. */
	if (inflateInit2(&z, 15 + 32) != Z_OK) {
		free(buf);
		return CKR_HOST_MEMORY;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)inlen;
	z.next_out = buf;
	z.avail_out = CERT_INFLATED_MAX;
	zr = inflate(&z, Z_FINISH);
	*outlen = CERT_INFLATED_MAX - z.avail_out;
	inflateEnd(&z);
	if (zr != Z_STREAM_END || *outlen == 0) {
		CID_WARN("compressed certificate on the card does not decompress (zlib %d)", zr);
		free(buf);
		return CKR_DATA_INVALID;
	}
	*out = buf;
	return CKR_OK;
}

CK_RV cid_piv_cert_der(const uint8_t *obj, size_t len, uint8_t **der, size_t *derlen)
{
	cid_tlv c, info;

	if (len == 0)
		return CKR_OBJECT_HANDLE_INVALID;
	if (!cid_tlv_valid(obj, len) || cid_tlv_find(obj, len, 0x70, &c) != CKR_OK)
		return CKR_DATA_INVALID;
	if (c.len == 0)
		return CKR_OBJECT_HANDLE_INVALID;
	if (cid_tlv_find(obj, len, 0x71, &info) == CKR_OK && info.len >= 1 && (info.val[0] & 0x01))
		return inflate_cert(c.val, c.len, der, derlen);
	*der = malloc(c.len);
	if (*der == NULL)
		return CKR_HOST_MEMORY;
	memcpy(*der, c.val, c.len);
	*derlen = c.len;
	return CKR_OK;
}

CK_RV cid_piv_cert_wrap(const uint8_t *der, size_t derlen, uint8_t **obj, size_t *len)
{
	static const uint8_t info = 0x00;
	size_t cap = derlen + 16, off = 0;
	uint8_t *o;
	CK_RV rv;

	if (derlen == 0 || derlen > CID_PIV_MAX_OBJECT - 16)
		return CKR_DATA_LEN_RANGE;
	o = malloc(cap);
	if (o == NULL)
		return CKR_HOST_MEMORY;
	rv = cid_tlv_put(o, cap, &off, 0x70, der, derlen);
	if (rv == CKR_OK)
		rv = cid_tlv_put(o, cap, &off, 0x71, &info, 1);
	if (rv == CKR_OK)
		rv = cid_tlv_put(o, cap, &off, 0xFE, NULL, 0);
	if (rv != CKR_OK) {
		free(o);
		return rv;
	}
	*obj = o;
	*len = off;
	return CKR_OK;
}

CK_RV cid_piv_chuid_guid(const uint8_t *chuid, size_t len, uint8_t guid[16])
{
	cid_tlv g;

	if (cid_tlv_find(chuid, len, 0x34, &g) != CKR_OK || g.len != 16)
		return CKR_DATA_INVALID;
	memcpy(guid, g.val, 16);
	return CKR_OK;
}

/* A DER INTEGER's magnitude right-aligned in fb bytes. */
static CK_RV put_int(const cid_tlv *t, size_t fb, uint8_t *out)
{
	const uint8_t *v = t->val;
	size_t n = t->len;

	if (t->tag != 0x02 || n == 0 || (v[0] & 0x80))
		return CKR_DEVICE_ERROR;
	while (n > 1 && v[0] == 0) {
		v++;
		n--;
	}
	if (n > fb)
		return CKR_DEVICE_ERROR;
	memset(out, 0, fb - n);
	memcpy(out + fb - n, v, n);
	return CKR_OK;
}

CK_RV cid_piv_ecdsa_der_to_raw(const uint8_t *der, size_t len, size_t fb, uint8_t *out)
{
	const uint8_t *p = der;
	size_t n = len, in;
	cid_tlv seq, r, s;
	const uint8_t *q;

	if (cid_tlv_next(&p, &n, &seq) != CKR_OK || n != 0 || seq.tag != 0x30)
		return CKR_DEVICE_ERROR;
	q = seq.val;
	in = seq.len;
	if (cid_tlv_next(&q, &in, &r) != CKR_OK || cid_tlv_next(&q, &in, &s) != CKR_OK || in != 0)
		return CKR_DEVICE_ERROR;
	if (put_int(&r, fb, out) != CKR_OK || put_int(&s, fb, out + fb) != CKR_OK)
		return CKR_DEVICE_ERROR;
	return CKR_OK;
}

static const struct {
	uint8_t key, id;
	uint32_t tag;
} slots[] = {
	{ CID_PIV_KEY_AUTH, 0x01, CID_PIV_OBJ_CERT_9A },
	{ CID_PIV_KEY_SIGN, 0x02, CID_PIV_OBJ_CERT_9C },
	{ CID_PIV_KEY_KM, 0x03, CID_PIV_OBJ_CERT_9D },
	{ CID_PIV_KEY_CARDAUTH, 0x04, CID_PIV_OBJ_CERT_9E },
};

uint32_t cid_piv_cert_tag(uint8_t key)
{
	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
		if (slots[i].key == key)
			return slots[i].tag;
	return 0;
}

uint8_t cid_piv_key_from_id(uint8_t id)
{
	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
		if (slots[i].id == id)
			return slots[i].key;
	return 0;
}

uint8_t cid_piv_id_from_key(uint8_t key)
{
	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
		if (slots[i].key == key)
			return slots[i].id;
	return 0;
}
