/* A card's lifecycle record (docs/lifecycle.md) in a data object of its
 * own, in the vendor range PIV leaves to issuers (5F FF 10, as YubiKeys
 * and the virtual card allow): C1 the record, C2 the issuer's signature.
 * Reading it needs nothing; writing needs the management key, as
 * certificates do.  It is read with the rest of the card's contents
 * (card_ensure_data) and kept with them; a record written in this process
 * replaces the kept one at once.  It is also the card's change marker:
 * every careid procedure that changes a card (issue, renew, repair,
 * cancel) writes a new record, so at every user login (before the
 * lifecycle gate decides on the record) and each time a known card comes
 * back into a reader, the record on the card is read again, one APDU, and
 * a different one means another program changed the card: its contents
 * are read again, and the front reloads its objects.  A context-specific
 * login (one signature) checks nothing more. */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/mem.h"
#include "card/card_int.h"
#include "card/piv.h"
#include "card/tlv.h"

#define CARD_RECORD_TAG 0x5FFF10
#define CARD_RECORD_MAX 2048

CK_RV card_read_record(card_token *t, card_data *d)
{
	CK_RV rv = cid_piv_get_data(t->io, CARD_RECORD_TAG, &d->record, &d->record_len);

	if (rv == CKR_OBJECT_HANDLE_INVALID) {
		d->record = NULL;
		d->record_len = 0;
		return CKR_OK; /* no record: a plain card */
	}
	return rv;
}

CK_RV card_recheck(card_token *t)
{
	uint8_t *now = NULL;
	size_t len = 0;
	bool same;
	CK_RV rv;

	if (t->data == NULL)
		return card_ensure_data(t);
	rv = cid_piv_get_data(t->io, CARD_RECORD_TAG, &now, &len);
	if (rv == CKR_OBJECT_HANDLE_INVALID) {
		now = NULL;
		len = 0;
		rv = CKR_OK;
	}
	if (rv != CKR_OK)
		return card_note(t, rv);
	same = len == t->data->record_len && (len == 0 || memcmp(now, t->data->record, len) == 0);
	free(now);
	if (same)
		return CKR_OK;
	CID_INFO("the card's lifecycle record changed since its contents were read (another program wrote to "
	         "the card): reading them again");
	if (t->data->ident[0] != '\0')
		card_cache_forget(t->data->ident);
	card_data_unref(&t->data);
	return card_ensure_data(t);
}

CK_RV card_get_record(cid_token *tok, uint8_t **rec, size_t *rlen, uint8_t **sig, size_t *slen)
{
	card_token *t = (card_token *)tok;
	cid_tlv r, s;
	CK_RV rv;

	*rec = *sig = NULL;
	*rlen = *slen = 0;
	if ((rv = card_begin(t, NULL)) != CKR_OK)
		return rv;
	rv = card_ensure_data(t);
	if (rv != CKR_OK || t->data->record == NULL) {
		card_end(t);
		return rv;
	}
	if (cid_tlv_find(t->data->record, t->data->record_len, 0xC1, &r) != CKR_OK ||
	    cid_tlv_find(t->data->record, t->data->record_len, 0xC2, &s) != CKR_OK || r.len == 0 || s.len == 0) {
		/* Passed on as a record that does not decode: the token layer
		 * refuses it with its reason. */
		CID_WARN("the card's lifecycle record object is malformed");
		r = (cid_tlv){ 0xC1, t->data->record, t->data->record_len };
		s = (cid_tlv){ 0xC2, (const uint8_t *)"", 0 };
	}
	*rec = cid_memdup(r.val, r.len);
	*sig = cid_memdup(s.val, s.len ? s.len : 1);
	card_end(t);
	if (*rec == NULL || *sig == NULL) {
		free(*rec);
		free(*sig);
		*rec = *sig = NULL;
		return CKR_HOST_MEMORY;
	}
	*rlen = r.len;
	*slen = s.len;
	return CKR_OK;
}

CK_RV card_put_record(cid_token *tok, const uint8_t *rec, size_t rlen, const uint8_t *sig, size_t slen)
{
	card_token *t = (card_token *)tok;
	uint8_t buf[2 * CARD_RECORD_MAX + 16];
	card_data *d = NULL;
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
	}
	if (rv == CKR_OK)
		rv = card_ensure_data(t);
	if (rv == CKR_OK)
		rv = card_note(t, cid_piv_put_data(t->io, CARD_RECORD_TAG, buf, off));
	/* The kept contents follow what the card now holds. */
	if (rv == CKR_OK && (rv = card_data_clone(t->data, &d)) == CKR_OK) {
		free(d->record);
		d->record_len = off;
		if ((d->record = cid_memdup(buf, off)) == NULL) {
			card_data_unref(&d);
			rv = CKR_HOST_MEMORY;
		} else {
			if (d->ident[0] != '\0')
				card_cache_put(d);
			card_data_unref(&t->data);
			t->data = d;
		}
	}
	if (rv == CKR_OK)
		card_audit(t, "record-written", "bytes=%zu", rlen);
	card_end(t);
	return rv;
}
