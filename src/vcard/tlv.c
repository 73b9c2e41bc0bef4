/* Bounded buffers and the BER-TLV subset PIV uses: tags of up to three
 * bytes, definite lengths of up to three length bytes. */
#include <string.h>

#include "vcard/vcard.h"

void vc_buf_init(struct vc_buf *b, uint8_t *mem, size_t cap)
{
	b->p = mem;
	b->len = 0;
	b->cap = cap;
	b->err = false;
}

void vc_buf_put(struct vc_buf *b, const void *v, size_t n)
{
	if (b->err || n > b->cap - b->len) {
		b->err = true;
		return;
	}
	if (n != 0)
		memcpy(b->p + b->len, v, n);
	b->len += n;
}

void vc_buf_byte(struct vc_buf *b, uint8_t v)
{
	vc_buf_put(b, &v, 1);
}

void tlv_put_tag(struct vc_buf *b, uint32_t tag)
{
	if (tag > 0xFFFF)
		vc_buf_byte(b, (uint8_t)(tag >> 16));
	if (tag > 0xFF)
		vc_buf_byte(b, (uint8_t)(tag >> 8));
	vc_buf_byte(b, (uint8_t)tag);
}

void tlv_put_len(struct vc_buf *b, size_t len)
{
	if (len < 0x80) {
		vc_buf_byte(b, (uint8_t)len);
	} else if (len <= 0xFF) {
		vc_buf_byte(b, 0x81);
		vc_buf_byte(b, (uint8_t)len);
	} else if (len <= 0xFFFF) {
		vc_buf_byte(b, 0x82);
		vc_buf_byte(b, (uint8_t)(len >> 8));
		vc_buf_byte(b, (uint8_t)len);
	} else {
		b->err = true;
	}
}

void tlv_put(struct vc_buf *b, uint32_t tag, const void *v, size_t n)
{
	tlv_put_tag(b, tag);
	tlv_put_len(b, n);
	vc_buf_put(b, v, n);
}

int tlv_next(const uint8_t **p, const uint8_t *end, uint32_t *tag,
	     const uint8_t **val, size_t *len)
{
	const uint8_t *q = *p;
	uint32_t t;
	size_t l;

	if (q >= end)
		return -1;
	t = *q++;
	if ((t & 0x1F) == 0x1F) {
		/* Multi-byte tag: continuation bit on every byte but the last. */
		for (int i = 0; ; i++) {
			if (q >= end || i == 2)
				return -1;
			t = (t << 8) | *q;
			if ((*q++ & 0x80) == 0)
				break;
		}
	}
	if (q >= end)
		return -1;
	l = *q++;
	if (l & 0x80) {
		size_t nb = l & 0x7F;

		if (nb == 0 || nb > 3 || (size_t)(end - q) < nb)
			return -1;
		l = 0;
		while (nb--)
			l = (l << 8) | *q++;
	}
	if ((size_t)(end - q) < l)
		return -1;
	*tag = t;
	*val = q;
	*len = l;
	*p = q + l;
	return 0;
}

int tlv_find(const uint8_t *p, size_t n, uint32_t tag, const uint8_t **val, size_t *len)
{
	const uint8_t *end = p + n;
	uint32_t t;

	while (p < end) {
		if (tlv_next(&p, end, &t, val, len) != 0)
			return -1;
		if (t == tag)
			return 0;
	}
	return -1;
}
