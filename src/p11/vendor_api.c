/* The careid vendor interface (careid.h CK_CAREID_FUNCTION_LIST, reached
 * through C_GetInterface("Vendor careid")): what Care Identity needs and
 * PKCS#11 has no call for.  Today that is P4, the sponsor's unlock code.
 * The functions are reached only through the interface's list, so the
 * module still exports nothing but C_* symbols. */
#include "careid/careid.h"
#include "common/log.h"
#include "p11/internal.h"

static CK_RV enter_rw(CK_SESSION_HANDLE h, cid_session **s)
{
	CK_RV rv = cid_enter();

	if (rv == CKR_OK)
		rv = cid_session_get(h, s);
	if (rv == CKR_OK && !cid_session_rw(*s)) {
		cid_session_put(s);
		rv = CKR_SESSION_READ_ONLY;
	}
	return rv;
}

static CK_RV issue_unlock_code(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pCode, CK_ULONG ulCodeLen)
{
	cid_session *s;
	cid_tok *tok;
	CK_RV rv;

	if (pCode == NULL)
		return cid_enter() != CKR_OK ? cid_enter() : CKR_ARGUMENTS_BAD;
	if ((rv = enter_rw(hSession, &s)) != CKR_OK)
		return rv;
	cid_mutex_lock(s->slot->lock);
	if ((rv = cid_slot_token(s->slot, &tok)) == CKR_OK)
		rv = cid_tok_issue_unlock_code(tok, pCode, ulCodeLen);
	cid_mutex_unlock(s->slot->lock);
	if (rv == CKR_OK)
		CID_INFO("slot %lu: an unlock code was issued", (unsigned long)s->slot->id);
	cid_session_put(&s);
	return rv;
}

static CK_RV unlock(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pCode, CK_ULONG ulCodeLen, CK_UTF8CHAR_PTR pNewPin,
                    CK_ULONG ulNewLen)
{
	cid_session *s;
	cid_tok *tok;
	CK_RV rv;

	if (pCode == NULL || pNewPin == NULL)
		return cid_enter() != CKR_OK ? cid_enter() : CKR_ARGUMENTS_BAD;
	if ((rv = enter_rw(hSession, &s)) != CKR_OK)
		return rv;
	cid_mutex_lock(s->slot->lock);
	if ((rv = cid_slot_token(s->slot, &tok)) == CKR_OK)
		rv = cid_tok_unlock(tok, pCode, ulCodeLen, pNewPin, ulNewLen);
	cid_mutex_unlock(s->slot->lock);
	if (rv == CKR_OK)
		CID_INFO("slot %lu: a new passcode was set with an unlock code", (unsigned long)s->slot->id);
	cid_session_put(&s);
	return rv;
}

CK_CAREID_FUNCTION_LIST cid_vendor_list = {
	.version = { 1, 0 },
	.C_CareidIssueUnlockCode = issue_unlock_code,
	.C_CareidUnlock = unlock,
};
