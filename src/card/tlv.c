/* BER-TLV reading and writing, bounded on both sides. */
#include <string.h>

#include "card/tlv.h"

CK_RV cid_tlv_next(const uint8_t **p, size_t *n, cid_tlv *out)
{
	const uint8_t *b = *p;
	size_t left = *n, i = 0, len = 0;
	uint32_t tag;

	if (left == 0)
		return CKR_DATA_INVALID;
	tag = b[i++];
	if ((tag & 0x1f) == 0x1f) {
		/* Subsequent tag bytes carry bit 8 while more follow. */
		do {
			if (i >= left || i >= 3)
				return CKR_DATA_INVALID;
			tag = (tag << 8) | b[i];
		} while (b[i++] & 0x80);
	}
	if (i >= left)
		return CKR_DATA_INVALID;
	if (b[i] < 0x80) {
		len = b[i++];
	} else {
		size_t nb = b[i++] & 0x7fu;

		/* 0x80 (indefinite) is not DER, and PIV never needs more than 3. */
		if (nb == 0 || nb > 3 || nb > left - i)
			return CKR_DATA_INVALID;
		while (nb-- > 0)
			len = (len << 8) | b[i++];
	}
	if (len > left - i)
		return CKR_DATA_INVALID;
	out->tag = tag;
	out->val = b + i;
	out->len = len;
	*p = b + i + len;
	*n = left - i - len;
	return CKR_OK;
}

CK_RV cid_tlv_find(const uint8_t *buf, size_t len, uint32_t tag, cid_tlv *out)
{
	cid_tlv t;
	CK_RV rv;

	if (buf == NULL && len != 0)
		return CKR_DATA_INVALID;
	while (len > 0) {
		if ((rv = cid_tlv_next(&buf, &len, &t)) != CKR_OK)
			return rv;
		if (t.tag == tag) {
			*out = t;
			return CKR_OK;
		}
	}
	return CKR_OBJECT_HANDLE_INVALID;
}

bool cid_tlv_valid(const uint8_t *buf, size_t len)
{
	cid_tlv t;

	if (buf == NULL)
		return len == 0;
	while (len > 0)
		if (cid_tlv_next(&buf, &len, &t) != CKR_OK)
			return false;
	return true;
}

static size_t tag_len(uint32_t tag)
{
	return tag > 0xffff ? 3 : tag > 0xff ? 2 : 1;
}

size_t cid_tlv_header_len(uint32_t tag, size_t len)
{
	size_t l = len < 0x80 ? 1 : len <= 0xff ? 2 : len <= 0xffff ? 3 : 4;

	return tag_len(tag) + l;
}

CK_RV cid_tlv_put_header(uint8_t *out, size_t cap, size_t *off, uint32_t tag, size_t len)
{
	size_t h = cid_tlv_header_len(tag, len), o = *off, tl = tag_len(tag);

	if (len > 0xffffff)
		return CKR_DATA_LEN_RANGE;
	if (out == NULL || o > cap || h > cap - o)
		return CKR_BUFFER_TOO_SMALL;
	for (size_t i = 0; i < tl; i++)
		out[o++] = (uint8_t)(tag >> (8 * (tl - 1 - i)));
	if (len < 0x80) {
		out[o++] = (uint8_t)len;
	} else {
		size_t nb = h - tl - 1;

		out[o++] = (uint8_t)(0x80 | nb);
		for (size_t i = 0; i < nb; i++)
			out[o++] = (uint8_t)(len >> (8 * (nb - 1 - i)));
	}
	*off = o;
	return CKR_OK;
}

CK_RV cid_tlv_put(uint8_t *out, size_t cap, size_t *off, uint32_t tag, const uint8_t *val, size_t len)
{
	size_t o = *off;
	CK_RV rv;

	if (val == NULL && len != 0)
		return CKR_ARGUMENTS_BAD;
	if ((rv = cid_tlv_put_header(out, cap, &o, tag, len)) != CKR_OK)
		return rv;
	if (len > cap - o)
		return CKR_BUFFER_TOO_SMALL;
	if (len > 0)
		memmove(out + o, val, len);
	*off = o + len;
	return CKR_OK;
}
