/* Passcodes on a PIV card.  P1 is applied on the host before anything
 * reaches the card, so a passcode that can never be right costs no try;
 * the card keeps the counters (P2) and blocks itself; the PUK (the SO
 * credential here) unblocks (P3).  Secrets are copied only where the
 * protocol needs them later and wiped as soon as that need ends. */
#include <string.h>

#include "card/card_int.h"
#include "card/sw.h"
#include "careid/careid.h"
#include "common/log.h"
#include "common/mem.h"
#include "policy/policy.h"

/* What is left to do once the PUK (the SO passcode here) is blocked: PIV
 * has no way back short of the issuer resetting the application. */
#define PUK_BLOCKED_REMEDY "the card's issuer must reset or replace the card"

/* The one line about a refused passcode, from the tries the card had
 * before and reports now; card held.  A blocked passcode the card did not
 * even check (6983) and the wrong try that blocked it (63C0) both end at
 * zero tries: the count before tells them apart. */
static void log_refused(card_token *t, cid_passcode_role role, CK_RV rv, int before, int after)
{
	char name[CID_TOKEN_NAME_LEN];

	if (rv == CKR_PIN_INCORRECT)
		CID_PASSCODE_WRONG(card_name(t, true, name), role, after == CID_PIV_TRIES_UNKNOWN ? -1 : after,
		                   PUK_BLOCKED_REMEDY);
	else if (rv == CKR_PIN_LOCKED && before > 0)
		CID_PASSCODE_WRONG(card_name(t, true, name), role, 0, PUK_BLOCKED_REMEDY);
	else if (rv == CKR_PIN_LOCKED)
		CID_PASSCODE_BLOCKED(card_name(t, true, name), role, PUK_BLOCKED_REMEDY);
}

/* A passcode that can never be right is not sent, and nothing else is
 * either: no try is spent, and the card is named from what is known. */
static void log_malformed(card_token *t, cid_passcode_role role, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	char name[CID_TOKEN_NAME_LEN];

	cid_mutex_lock(t->lock);
	CID_PASSCODE_MALFORMED(card_name(t, false, name), role, pin, len);
	cid_mutex_unlock(t->lock);
	if (t->trail_dir != NULL && card_begin(t, NULL) == CKR_OK) {
		card_audit(t, "login-failed", "who=%s malformed, no try spent", role == CID_PASSCODE_SO ? "so" : "user");
		card_end(t);
	}
}

static void note_pin_tries(card_token *t, CK_RV rv, int tries)
{
	if (rv == CKR_OK)
		t->pin_tries = CID_POLICY_PIN_MAX_TRIES;
	else if (tries != CID_PIV_TRIES_UNKNOWN)
		t->pin_tries = tries;
}

static void note_puk_tries(card_token *t, CK_RV rv, int tries)
{
	if (rv == CKR_OK)
		t->puk_tries = CID_POLICY_SO_PIN_MAX_TRIES;
	else if (tries != CID_PIV_TRIES_UNKNOWN)
		t->puk_tries = tries;
}

/* The host-kept trail's record of a passcode check, in the soft token's
 * words; card held.  A removed card's answer tells nothing. */
static void audit_check(card_token *t, const char *who, CK_RV rv, int before, int after, const char *ok_event,
                        const char *ok_detail)
{
	if (rv == CKR_OK)
		card_audit(t, ok_event, "who=%s%s", who, ok_detail);
	else if (rv == CKR_PIN_INCORRECT && after != CID_PIV_TRIES_UNKNOWN)
		card_audit(t, "login-failed", "who=%s tries_left=%d", who, after);
	else if (rv == CKR_PIN_INCORRECT)
		card_audit(t, "login-failed", "who=%s", who);
	else if (rv == CKR_PIN_LOCKED && before > 0) {
		card_audit(t, "login-failed", "who=%s tries_left=0", who);
		card_audit(t, "locked", "who=%s", who);
	} else if (rv == CKR_PIN_LOCKED)
		card_audit(t, "login-refused", "who=%s locked", who);
	else if (rv != CKR_DEVICE_REMOVED)
		card_audit(t, "login-error", "who=%s card error 0x%lx", who, (unsigned long)rv);
}

/* After a login, before the token layer decides on the card's lifecycle
 * record: the card may have been changed by another program since it was
 * read (card_record.c).  A failure leaves the login as it is and the
 * contents as they were read. */
static void recheck(card_token *t)
{
	CK_RV rv = card_recheck(t);

	if (rv != CKR_OK && rv != CKR_DEVICE_REMOVED)
		CID_WARN("the card's lifecycle record could not be read again (0x%lx)", (unsigned long)rv);
}

/* who names the login in the trail as the soft token does: "user", or
 * "context" for the one-signature login of a PIN-always key. */
static CK_RV verify_user(card_token *t, const char *who, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	int tries = CID_PIV_TRIES_UNKNOWN, before = t->pin_tries;
	CK_RV rv = cid_piv_verify(t->io, CID_PIV_REF_PIN, pin, len, &tries);

	note_pin_tries(t, rv, tries);
	log_refused(t, CID_PASSCODE_USER, rv, before, tries);
	rv = card_note(t, rv);
	audit_check(t, who, rv, before, tries, "login-ok", "");
	return rv;
}

CK_RV card_login(cid_token *tok, CK_USER_TYPE who, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	card_token *t = (card_token *)tok;
	char name[CID_TOKEN_NAME_LEN];
	int tries = CID_PIV_TRIES_UNKNOWN, before;
	CK_RV rv;

	if (who != CKU_USER && who != CKU_SO && who != CKU_CONTEXT_SPECIFIC && who != CKU_CAREID_CARD_ADMIN)
		return CKR_USER_TYPE_INVALID;
	if (who != CKU_CAREID_CARD_ADMIN && !cid_policy_pin_plausible(pin, len)) {
		log_malformed(t, who == CKU_SO ? CID_PASSCODE_SO : CID_PASSCODE_USER, pin, len);
		return CKR_PIN_INCORRECT;
	}
	if (who == CKU_CAREID_CARD_ADMIN && (pin == NULL || len == 0))
		return CKR_PIN_INCORRECT;
	if ((rv = card_begin(t, NULL)) != CKR_OK)
		return rv;
	switch (who) {
	case CKU_USER:
		rv = verify_user(t, "user", pin, len);
		if (rv == CKR_OK) {
			t->who = CARD_USER;
			recheck(t);
		}
		break;
	case CKU_CONTEXT_SPECIFIC:
		/* Checked now so a wrong passcode is reported now; kept for
		 * the one signature it authorises (key_op), then wiped. */
		rv = verify_user(t, "context", pin, len);
		cid_wipe(t->ctx_pin, sizeof(t->ctx_pin));
		t->ctx_pinlen = 0;
		if (rv == CKR_OK) {
			memcpy(t->ctx_pin, pin, len);
			t->ctx_pinlen = len;
		}
		break;
	case CKU_SO:
		/* PIV cannot verify a PUK by itself; changing it to itself
		 * does, at the price of a PUK try when it is wrong. */
		before = t->puk_tries;
		rv = cid_piv_change_ref(t->io, CID_PIV_REF_PUK, pin, len, pin, len, &tries);
		note_puk_tries(t, rv, tries);
		log_refused(t, CID_PASSCODE_SO, rv, before, tries);
		rv = card_note(t, rv);
		audit_check(t, "so", rv, before, tries, "login-ok", "");
		if (rv == CKR_OK) {
			memcpy(t->puk, pin, len);
			t->puklen = len;
			t->who = CARD_SO;
		}
		break;
	default:
		rv = card_note(t, cid_piv_mgmt_auth(t->io, 0, pin, len));
		audit_check(t, "card-admin", rv, CID_PIV_TRIES_UNKNOWN, CID_PIV_TRIES_UNKNOWN, "login-ok", "");
		if (rv == CKR_OK)
			t->admin = true;
		else if (rv != CKR_DEVICE_REMOVED)
			CID_WARN("%s: the card management key was refused (0x%lx)", card_name(t, true, name),
			         (unsigned long)rv);
		break;
	}
	card_end(t);
	return rv;
}

CK_RV card_logout(cid_token *tok)
{
	card_token *t = (card_token *)tok;
	CK_RV rv = card_begin(t, NULL);

	if (rv == CKR_OK) {
		rv = card_note(t, cid_piv_logout(t->io));
		/* The management key state has no PIV reset short of a card
		 * reset; forgetting it here makes this module refuse admin
		 * operations until the next admin login. */
		card_forget_login(t);
		card_end(t);
	} else {
		cid_mutex_lock(t->lock);
		card_forget_login(t);
		cid_mutex_unlock(t->lock);
	}
	/* Logged out either way: a removed card has forgotten too. */
	return rv == CKR_DEVICE_REMOVED ? CKR_OK : rv;
}

/* PIV defines no way to erase and re-personalise the application: a card
 * is issued by its issuer's tools, never by C_InitToken. */
CK_RV card_init_token(cid_token *tok, const CK_UTF8CHAR *so_pin, CK_ULONG len, const CK_UTF8CHAR label[32])
{
	(void)tok;
	(void)so_pin;
	(void)len;
	(void)label;
	CID_INFO("a PIV card cannot be initialised through PKCS#11: its issuer's tools personalise it");
	return CKR_TOKEN_WRITE_PROTECTED;
}

CK_RV card_init_pin(cid_token *tok, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	card_token *t = (card_token *)tok;
	char name[CID_TOKEN_NAME_LEN];
	int tries = CID_PIV_TRIES_UNKNOWN, before;
	CK_RV rv;

	/* The new passcode's format (P1) is the token layer's to check. */
	if ((rv = card_begin(t, NULL)) != CKR_OK)
		return rv;
	if (t->who != CARD_SO || t->puklen == 0) {
		card_end(t);
		return CKR_USER_NOT_LOGGED_IN;
	}
	before = t->puk_tries;
	rv = cid_piv_reset_retry(t->io, t->puk, t->puklen, pin, len, &tries);
	note_puk_tries(t, rv, tries);
	/* The PUK was right at the SO login; a refusal now means it was
	 * changed since, elsewhere, and that cost a PUK try. */
	log_refused(t, CID_PASSCODE_SO, rv, before, tries);
	rv = card_note(t, rv);
	audit_check(t, "so", rv, before, tries, "pin-init", " user passcode set, counter reset (unblock)");
	if (rv == CKR_OK)
		t->pin_tries = CID_POLICY_PIN_MAX_TRIES;
	else if (rv != CKR_PIN_INCORRECT && rv != CKR_PIN_LOCKED && rv != CKR_DEVICE_REMOVED)
		CID_WARN("%s: unblocking the passcode failed (0x%lx)", card_name(t, true, name), (unsigned long)rv);
	card_end(t);
	return rv;
}

CK_RV card_set_pin(cid_token *tok, CK_USER_TYPE who, const CK_UTF8CHAR *old, CK_ULONG oldlen,
                   const CK_UTF8CHAR *new_pin, CK_ULONG newlen)
{
	card_token *t = (card_token *)tok;
	bool so = who == CKU_SO;
	cid_passcode_role role = so ? CID_PASSCODE_SO : CID_PASSCODE_USER;
	int tries = CID_PIV_TRIES_UNKNOWN, before;
	CK_RV rv;

	if (who != CKU_USER && who != CKU_SO)
		return CKR_USER_TYPE_INVALID;
	/* The token layer has refused (and told of) a new passcode of the
	 * wrong format or equal to the old one (P1, P5). */
	/* An impossible old passcode would only cost a try. */
	if (!cid_policy_pin_plausible(old, oldlen)) {
		log_malformed(t, role, old, oldlen);
		return CKR_PIN_INCORRECT;
	}
	if ((rv = card_begin(t, NULL)) != CKR_OK)
		return rv;
	before = so ? t->puk_tries : t->pin_tries;
	rv = cid_piv_change_ref(t->io, so ? CID_PIV_REF_PUK : CID_PIV_REF_PIN, old, oldlen, new_pin, newlen,
	                        &tries);
	if (so)
		note_puk_tries(t, rv, tries);
	else
		note_pin_tries(t, rv, tries);
	log_refused(t, role, rv, before, tries);
	rv = card_note(t, rv);
	audit_check(t, so ? "so" : "user", rv, before, tries, "pin-changed", "");
	if (rv == CKR_OK && so && t->who == CARD_SO) {
		memcpy(t->puk, new_pin, newlen);
		t->puklen = newlen;
	}
	card_end(t);
	return rv;
}

/* Taking the card is enough to learn of a reset by another program (PC/SC
 * reports it when the transaction begins); card_begin then re-selects the
 * application and forgets the login, and no APDU is sent otherwise. */
CK_RV card_check_login(cid_token *tok, bool *user)
{
	card_token *t = (card_token *)tok;
	CK_RV rv = card_begin(t, NULL);

	if (rv != CKR_OK)
		return rv;
	*user = t->who == CARD_USER;
	card_end(t);
	return CKR_OK;
}
