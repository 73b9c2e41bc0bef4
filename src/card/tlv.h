/* BER-TLV as PIV uses it: tags of up to three bytes (5F C1 05, 7F 49),
 * definite lengths of one to four bytes (up to 0x83 xx xx xx).  Parsing
 * never reads outside the given buffer; building never writes outside the
 * given capacity. */
#ifndef CAREID_CARD_TLV_H
#define CAREID_CARD_TLV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkcs11.h"

typedef struct cid_tlv {
	uint32_t tag;         /* the tag bytes big-endian: 0x5FC105, 0x7F49, 0x53 */
	const uint8_t *val;   /* points into the parsed buffer */
	size_t len;
} cid_tlv;

/* Reads one TLV at *p (n bytes left) and advances past it.
 * CKR_DATA_INVALID for a truncated or malformed element. */
CK_RV cid_tlv_next(const uint8_t **p, size_t *n, cid_tlv *out);
/* Finds the first direct child with tag in buf.  CKR_DATA_INVALID when buf
 * is malformed before it is found, CKR_OBJECT_HANDLE_INVALID when absent
 * (a distinct code so callers can treat "absent" as optional). */
CK_RV cid_tlv_find(const uint8_t *buf, size_t len, uint32_t tag, cid_tlv *out);
/* True when buf is exactly a sequence of well-formed TLVs. */
bool cid_tlv_valid(const uint8_t *buf, size_t len);

/* Bytes the header of (tag, len) takes. */
size_t cid_tlv_header_len(uint32_t tag, size_t len);
/* Appends a header at out[*off]; CKR_BUFFER_TOO_SMALL when it does not
 * fit (nothing written), CKR_DATA_LEN_RANGE for len >= 2^24. */
CK_RV cid_tlv_put_header(uint8_t *out, size_t cap, size_t *off, uint32_t tag, size_t len);
/* Appends a whole element (val may be NULL when len is 0). */
CK_RV cid_tlv_put(uint8_t *out, size_t cap, size_t *off, uint32_t tag, const uint8_t *val, size_t len);

#endif
