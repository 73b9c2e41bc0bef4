/* Authentication: C_Login, C_LoginUser, C_Logout, C_InitPIN, C_SetPIN.
 *
 * The login state belongs to the slot's token and is shared by all its
 * sessions (PKCS#11: an application is either logged in or not); the token
 * layer (src/token/tok.h) holds it.  The backend enforces P1-P3 (format
 * before any try, durable try counter, lockout); its return codes pass
 * through unchanged.
 * The front adds the session-state rules; the token layer enforces P1 and
 * P5 for passcodes being set.
 * Log lines: the backend tells of every passcode it checks or refuses (one
 * line per wrong passcode, with the tries left), and the token layer of
 * the new passcodes it refuses, so the front adds no line of its own for
 * those; of the rest it tells only in a debug trace.
 * Passcodes are never logged. */
#include <stdio.h>
#include <string.h>

#include "careid/careid.h"
#include "common/log.h"
#include "p11/internal.h"

static const char *who_name(CK_USER_TYPE who)
{
	switch (who) {
	case CKU_SO:
		return "SO";
	case CKU_USER:
		return "user";
	case CKU_CONTEXT_SPECIFIC:
		return "context-specific";
	case CKU_CAREID_CARD_ADMIN:
		return "card administrator";
	default:
		return "unknown";
	}
}

/* The slot's token as log lines name it (label and serial); slot->lock held. */
static const char *token_name(cid_slot *slot, char out[CID_TOKEN_NAME_LEN])
{
	cid_token_status st;
	cid_tok *tok;

	if (cid_slot_token(slot, &tok) == CKR_OK && cid_tok_status(tok, &st) == CKR_OK)
		return cid_token_name(out, st.label, sizeof(st.label), st.serial, sizeof(st.serial));
	snprintf(out, CID_TOKEN_NAME_LEN, "the token in slot %lu", (unsigned long)slot->id);
	return out;
}

/* Success, at info; slot->lock held.  The name costs a status read, so
 * only when the line is wanted. */
static void log_done(cid_slot *slot, const char *what)
{
	char name[CID_TOKEN_NAME_LEN];

	if (cid_log_enabled(CID_LOG_INFO))
		CID_INFO("%s: %s", token_name(slot, name), what);
}

/* ---- C_Login ------------------------------------------------------------ */

static unsigned ro_sessions(const cid_slot *slot)
{
	return slot->sessions - slot->rw_sessions;
}

/* With slot->lock held. */
static CK_RV login_locked(cid_slot *slot, CK_USER_TYPE who, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	cid_tok *tok;
	CK_RV rv;

	cid_slot_check_login(slot);
	rv = cid_slot_token(slot, &tok);
	if (rv != CKR_OK)
		return rv;
	/* Checked here, before the token's own checks, since it is about
	 * sessions: an already logged-in SO answers as the token layer says. */
	if (who == CKU_SO && cid_tok_who(tok) == CID_NO_USER && ro_sessions(slot) > 0)
		return CKR_SESSION_READ_ONLY_EXISTS;
	rv = cid_tok_login(tok, who, pin, len);
	if (rv != CKR_OK)
		return rv;
	if (who == CKU_USER)
		cid_objs_login_changed(slot);
	log_done(slot, who == CKU_SO ? "SO logged in" : "user logged in");
	return CKR_OK;
}

/* The card administrator (a card's management key) is a credential beside
 * the PKCS#11 login state, not a third user: an administrator writes
 * certificates and generates keys on the card, and a key generation also
 * needs the user logged in, since the new private key is a private object.
 * The backend judges the key; tokens without one refuse the user type. */
static CK_RV admin_login_locked(cid_session *s, CK_UTF8CHAR_PTR key, CK_ULONG len)
{
	cid_tok *tok;
	CK_RV rv;

	if (cid_slot_credential(s->slot))
		return CKR_USER_ALREADY_LOGGED_IN;
	if (!cid_session_rw(s))
		return CKR_SESSION_READ_ONLY;
	rv = cid_slot_token(s->slot, &tok);
	if (rv == CKR_OK)
		rv = cid_tok_login(tok, CKU_CAREID_CARD_ADMIN, key, len);
	if (rv == CKR_OK)
		log_done(s->slot, "card administrator logged in");
	return rv;
}

static int op_awaiting_context_login(const cid_session *s)
{
	for (int i = 0; i < CID_OPK_COUNT; i++)
		if (s->ops[i].op != NULL && s->ops[i].needs_context_login)
			return i;
	return -1;
}

/* CKU_CONTEXT_SPECIFIC re-proves the user passcode for the one operation
 * waiting for it (a CKA_ALWAYS_AUTHENTICATE key).  Lock order: session,
 * then slot. */
static CK_RV context_login(cid_session *s, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	cid_slot *slot = s->slot;
	cid_tok *tok;
	CK_RV rv;
	int k;

	cid_mutex_lock(s->lock);
	k = op_awaiting_context_login(s);
	if (k < 0) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
	} else {
		cid_mutex_lock(slot->lock);
		if ((rv = cid_slot_token(slot, &tok)) == CKR_OK)
			rv = cid_tok_login(tok, CKU_CONTEXT_SPECIFIC, pin, len);
		else if (rv == CKR_TOKEN_NOT_PRESENT)
			rv = CKR_USER_NOT_LOGGED_IN;
		cid_mutex_unlock(slot->lock);
		if (rv == CKR_OK)
			s->ops[k].needs_context_login = false;
	}
	cid_mutex_unlock(s->lock);
	return rv;
}

static CK_RV do_login(CK_SESSION_HANDLE h, CK_USER_TYPE who, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	cid_session *s;
	CK_RV rv;

	rv = cid_enter();
	/* No protected authentication path: a passcode must be given. */
	if (rv == CKR_OK && pin == NULL)
		rv = CKR_ARGUMENTS_BAD;
	if (rv == CKR_OK)
		rv = cid_session_get(h, &s);
	if (rv != CKR_OK)
		return rv;

	if (who != CKU_SO && who != CKU_USER && who != CKU_CONTEXT_SPECIFIC && who != CKU_CAREID_CARD_ADMIN) {
		rv = CKR_USER_TYPE_INVALID;
	} else if (who == CKU_CONTEXT_SPECIFIC) {
		rv = context_login(s, pin, len);
	} else if (who == CKU_CAREID_CARD_ADMIN) {
		cid_mutex_lock(s->slot->lock);
		rv = admin_login_locked(s, pin, len);
		cid_mutex_unlock(s->slot->lock);
	} else {
		cid_mutex_lock(s->slot->lock);
		rv = login_locked(s->slot, who, pin, len);
		cid_mutex_unlock(s->slot->lock);
	}
	if (rv != CKR_OK)
		CID_DEBUG("slot %lu: %s login refused (0x%lx)", s->slot->id, who_name(who), rv);
	cid_session_put(&s);
	return rv;
}

CK_RV C_Login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin,
              CK_ULONG ulPinLen)
{
	return do_login(hSession, userType, pPin, ulPinLen);
}

/* Tokens here have one user and no user names.  A NULL or empty name is
 * C_Login; a name is refused rather than ignored, so that a caller who
 * believes it selects an account is never logged in as someone else. */
CK_RV C_LoginUser(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin,
                  CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pUsername, CK_ULONG ulUsernameLen)
{
	CK_RV rv = cid_enter();

	if (rv != CKR_OK)
		return rv;
	if (pUsername == NULL && ulUsernameLen != 0)
		return CKR_ARGUMENTS_BAD;
	if (pUsername != NULL && ulUsernameLen != 0) {
		CID_WARN("a login with a user name was refused: careid's tokens have no user names");
		return CKR_ARGUMENTS_BAD;
	}
	return do_login(hSession, userType, pPin, ulPinLen);
}

/* ---- C_Logout ----------------------------------------------------------- */

static CK_RV logout_locked(cid_slot *slot)
{
	bool was_user = cid_slot_who(slot) == CKU_USER;
	CK_RV rv;

	if (slot->tok == NULL)
		return CKR_USER_NOT_LOGGED_IN;
	/* Whatever the backend says, the login is over. */
	rv = cid_tok_logout(slot->tok);
	if (was_user)
		cid_objs_login_changed(slot);
	return rv;
}

CK_RV C_Logout(CK_SESSION_HANDLE hSession)
{
	cid_session *s;
	CK_RV rv = cid_enter();

	if (rv == CKR_OK)
		rv = cid_session_get(hSession, &s);
	if (rv != CKR_OK)
		return rv;

	cid_mutex_lock(s->slot->lock);
	rv = logout_locked(s->slot);
	cid_mutex_unlock(s->slot->lock);
	/* Operations started while logged in may hold private keys. */
	if (rv == CKR_OK)
		cid_sessions_reset_slot_ops(s->slot);
	else
		CID_DEBUG("slot %lu: logout: 0x%lx", s->slot->id, rv);
	cid_session_put(&s);
	return rv;
}

/* ---- C_InitPIN ---------------------------------------------------------- */

static CK_RV init_pin_locked(cid_session *s, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	cid_tok *tok;
	CK_RV rv;

	if (!cid_session_rw(s))
		return CKR_SESSION_READ_ONLY;
	if (cid_slot_who(s->slot) != CKU_SO)
		return CKR_USER_NOT_LOGGED_IN;
	rv = cid_slot_token(s->slot, &tok);
	if (rv == CKR_OK)
		rv = cid_tok_init_pin(tok, pin, len);
	if (rv == CKR_OK)
		log_done(s->slot, "user passcode set by the SO (an unblock when it was blocked)");
	return rv;
}

/* Sets the user passcode; on a locked token this is the unblock (P3). */
CK_RV C_InitPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen)
{
	cid_session *s;
	CK_RV rv;

	rv = cid_enter();
	if (rv == CKR_OK && pPin == NULL)
		rv = CKR_ARGUMENTS_BAD;
	if (rv == CKR_OK)
		rv = cid_session_get(hSession, &s);
	if (rv != CKR_OK)
		return rv;

	cid_mutex_lock(s->slot->lock);
	rv = init_pin_locked(s, pPin, ulPinLen);
	cid_mutex_unlock(s->slot->lock);
	if (rv != CKR_OK)
		CID_DEBUG("slot %lu: user passcode not set (0x%lx)", s->slot->id, rv);
	cid_session_put(&s);
	return rv;
}

/* ---- C_SetPIN ----------------------------------------------------------- */

static CK_RV set_pin_locked(cid_session *s, CK_UTF8CHAR_PTR old, CK_ULONG oldlen,
                            CK_UTF8CHAR_PTR new_pin, CK_ULONG newlen)
{
	/* Public and user sessions change the user passcode (the old one is
	 * checked by the backend, costing a try when wrong); an SO session
	 * changes the SO passcode. */
	CK_USER_TYPE who = cid_slot_who(s->slot) == CKU_SO ? CKU_SO : CKU_USER;
	cid_tok *tok;
	CK_RV rv;

	if (!cid_session_rw(s))
		return CKR_SESSION_READ_ONLY;
	rv = cid_slot_token(s->slot, &tok);
	if (rv == CKR_OK)
		rv = cid_tok_set_pin(tok, old, oldlen, new_pin, newlen);
	if (rv == CKR_OK)
		log_done(s->slot, who == CKU_SO ? "SO passcode changed" : "passcode changed");
	return rv;
}

CK_RV C_SetPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pOldPin, CK_ULONG ulOldLen,
               CK_UTF8CHAR_PTR pNewPin, CK_ULONG ulNewLen)
{
	cid_session *s;
	CK_RV rv;

	rv = cid_enter();
	if (rv == CKR_OK && (pOldPin == NULL || pNewPin == NULL))
		rv = CKR_ARGUMENTS_BAD;
	if (rv == CKR_OK)
		rv = cid_session_get(hSession, &s);
	if (rv != CKR_OK)
		return rv;

	cid_mutex_lock(s->slot->lock);
	rv = set_pin_locked(s, pOldPin, ulOldLen, pNewPin, ulNewLen);
	cid_mutex_unlock(s->slot->lock);
	if (rv != CKR_OK)
		CID_DEBUG("slot %lu: passcode change refused (0x%lx)", s->slot->id, rv);
	cid_session_put(&s);
	return rv;
}
