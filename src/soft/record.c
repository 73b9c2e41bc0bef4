/* A soft token's lifecycle record: two meta values written together, the
 * record's bytes and the issuer's signature over them.  This file neither
 * reads nor checks them (the token layer does); it keeps them with the
 * token, as a card keeps them in a data object. */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "soft/soft_int.h"

#define RECORD_MAX 4096

CK_RV soft_get_record(cid_token *tok, uint8_t **rec, size_t *rlen, uint8_t **sig, size_t *slen)
{
	soft_token *t = (soft_token *)tok;
	CK_RV rv;

	if (rec == NULL || rlen == NULL || sig == NULL || slen == NULL)
		return CKR_ARGUMENTS_BAD;
	*rec = *sig = NULL;
	*rlen = *slen = 0;
	/* Both from one snapshot: a record never meets another's signature. */
	rv = soft_tx_begin(t->db, false);
	if (rv == CKR_OK)
		rv = soft_meta_blob(t->db, SOFT_META_RECORD, rec, rlen);
	if (rv == CKR_OK && *rec != NULL)
		rv = soft_meta_blob(t->db, SOFT_META_RECORD_SIG, sig, slen);
	soft_tx_rollback(t->db);
	if (rv != CKR_OK) {
		free(*rec);
		free(*sig);
		*rec = *sig = NULL;
		*rlen = *slen = 0;
	}
	return rv;
}

CK_RV soft_put_record(cid_token *tok, const uint8_t *rec, size_t rlen, const uint8_t *sig, size_t slen)
{
	soft_token *t = (soft_token *)tok;
	CK_RV rv;

	if (rec == NULL || sig == NULL || rlen == 0 || slen == 0)
		return CKR_ARGUMENTS_BAD;
	if (rlen > RECORD_MAX || slen > RECORD_MAX) {
		CID_WARN("token %s: a lifecycle record of %zu bytes (signature %zu) is refused", t->serial, rlen, slen);
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	/* The token layer lets the holder write only a record the configured
	 * issuer signed (a self-renewal); nobody logged in writes none. */
	if (t->who != CKU_SO && t->who != CKU_USER) {
		CID_WARN("token %s: writing the lifecycle record needs a login", t->serial);
		return CKR_USER_NOT_LOGGED_IN;
	}
	rv = soft_tx_begin(t->db, true);
	if (rv == CKR_OK)
		rv = soft_meta_set_blob(t->db, SOFT_META_RECORD, rec, rlen);
	if (rv == CKR_OK)
		rv = soft_meta_set_blob(t->db, SOFT_META_RECORD_SIG, sig, slen);
	if (rv == CKR_OK)
		rv = soft_audit_append(t->db, t->serial, "record-written", "bytes=%zu", rlen);
	if (rv == CKR_OK)
		return soft_tx_commit(t->db);
	soft_tx_rollback(t->db);
	return rv;
}

CK_RV soft_audit_event(cid_token *tok, const char *event, const char *detail)
{
	soft_token *t = (soft_token *)tok;
	CK_RV rv;

	if (event == NULL || detail == NULL)
		return CKR_ARGUMENTS_BAD;
	rv = soft_tx_begin(t->db, true);
	if (rv == CKR_OK)
		rv = soft_audit_append(t->db, t->serial, event, "%s", detail);
	if (rv == CKR_OK)
		return soft_tx_commit(t->db);
	soft_tx_rollback(t->db);
	return rv;
}
