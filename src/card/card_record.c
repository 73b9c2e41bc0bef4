/* A card's lifecycle record (docs/lifecycle.md) in a data object of its
 * own, in the vendor range PIV leaves to issuers (5F FF 10, as YubiKeys
 * and the virtual card allow): C1 the record, C2 the issuer's signature.
 * Reading it needs nothing; writing needs the management key, as
 * certificates do.  The record is read again at every call, so that a
 * record written by another program is the one obeyed. */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/mem.h"
#include "card/card_int.h"
#include "card/piv.h"
#include "card/tlv.h"

#define CARD_RECORD_TAG 0x5FFF10
#define CARD_RECORD_MAX 2048

CK_RV card_get_record(cid_token *tok, uint8_t **rec, size_t *rlen, uint8_t **sig, size_t *slen)
{
	card_token *t = (card_token *)tok;
	uint8_t *val = NULL;
	size_t len = 0;
	cid_tlv r, s;
	CK_RV rv;

	*rec = *sig = NULL;
	*rlen = *slen = 0;
	if ((rv = card_begin(t, NULL)) != CKR_OK)
		return rv;
	rv = card_note(t, cid_piv_get_data(t->io, CARD_RECORD_TAG, &val, &len));
	card_end(t);
	if (rv == CKR_OBJECT_HANDLE_INVALID)
		return CKR_OK; /* no record: a plain card */
	if (rv != CKR_OK)
		return rv;
	if (cid_tlv_find(val, len, 0xC1, &r) != CKR_OK || cid_tlv_find(val, len, 0xC2, &s) != CKR_OK ||
	    r.len == 0 || s.len == 0) {
		/* Reported as a record that does not decode: the token layer
		 * refuses it with its reason. */
		CID_WARN("the card's lifecycle record object is malformed");
		r = (cid_tlv){ 0xC1, val, len };
		s = (cid_tlv){ 0xC2, (const uint8_t *)"", 0 };
	}
	*rec = cid_memdup(r.val, r.len);
	*sig = cid_memdup(s.val, s.len ? s.len : 1);
	if (*rec == NULL || *sig == NULL) {
		free(*rec);
		free(*sig);
		*rec = *sig = NULL;
		free(val);
		return CKR_HOST_MEMORY;
	}
	*rlen = r.len;
	*slen = s.len;
	free(val);
	return CKR_OK;
}

CK_RV card_put_record(cid_token *tok, const uint8_t *rec, size_t rlen, const uint8_t *sig, size_t slen)
{
	card_token *t = (card_token *)tok;
	uint8_t buf[2 * CARD_RECORD_MAX + 16];
	size_t off = 0;
	CK_RV rv;

	if (rec == NULL || sig == NULL || rlen == 0 || slen == 0)
		return CKR_ARGUMENTS_BAD;
	if (rlen > CARD_RECORD_MAX || slen > CARD_RECORD_MAX)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	rv = cid_tlv_put(buf, sizeof(buf), &off, 0xC1, rec, rlen);
	if (rv == CKR_OK)
		rv = cid_tlv_put(buf, sizeof(buf), &off, 0xC2, sig, slen);
	if (rv != CKR_OK)
		return rv;
	if ((rv = card_begin(t, NULL)) != CKR_OK)
		return rv;
	if (!t->admin) {
		CID_WARN("writing the card's lifecycle record needs the management key (CKU_CAREID_CARD_ADMIN)");
		rv = CKR_USER_NOT_LOGGED_IN;
	} else {
		rv = card_note(t, cid_piv_put_data(t->io, CARD_RECORD_TAG, buf, off));
	}
	card_end(t);
	return rv;
}
