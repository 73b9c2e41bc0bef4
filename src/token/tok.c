/* The token layer (tok.h): every call on a token, its removal noted in one
 * place, and the one login state. */
#include <stdlib.h>
#include <time.h>

#include "common/log.h"
#include "policy/policy.h"
#include "token/lifecycle_gate.h"
#include "token/tok.h"

/* Set by the front at C_Initialize, read by every login; never changed
 * while a token is in use. */
static const cid_issuer *layer_issuer;

void cid_tok_set_issuer(const cid_issuer *iss)
{
	layer_issuer = iss;
}

struct cid_tok {
	cid_token *be;
	atomic_bool *removed;
	CK_USER_TYPE who;   /* CID_NO_USER, CKU_USER or CKU_SO */
	bool credential;    /* a backend's own credential (vendor user type) */
	/* Once seen initialised a token stays so (re-initialising keeps it
	 * initialised; a new card in the reader is a new cid_tok), so opening
	 * a session need not ask the backend again. */
	bool initialised;
	cid_gate gate;      /* what the lifecycle rules said at the user login */
};

/* Every backend answer passes here: a removed device is news for the
 * slot, whichever call met it. */
static CK_RV note(cid_tok *t, CK_RV rv)
{
	/* A token that was there and now is not has been removed: PKCS#11
	 * has CKR_DEVICE_REMOVED for that on every session call. */
	if (rv == CKR_TOKEN_NOT_PRESENT)
		rv = CKR_DEVICE_REMOVED;
	if (rv == CKR_DEVICE_REMOVED)
		atomic_store(t->removed, true);
	return rv;
}

CK_RV cid_tok_wrap(cid_token *be, atomic_bool *removed, cid_tok **out)
{
	cid_tok *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		be->ops->release(be);
		return CKR_HOST_MEMORY;
	}
	t->be = be;
	t->removed = removed;
	t->who = CID_NO_USER;
	*out = t;
	return CKR_OK;
}

/* P1 and P5 for a passcode being set, once for every kind of token: a
 * refused one never reaches the backend and costs nothing.  The line
 * names the token as its status does (or label alone, before it exists). */
static CK_RV new_passcode(cid_tok *t, const CK_UTF8CHAR *label, cid_passcode_role role, const CK_UTF8CHAR *old,
                          CK_ULONG oldlen, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	char name[CID_TOKEN_NAME_LEN];
	cid_token_status st;
	bool same = false;
	CK_RV rv = cid_policy_new_pin(old, oldlen, pin, len, &same);

	if (rv == CKR_OK)
		return CKR_OK;
	if (t != NULL && t->be->ops->status(t->be, &st) == CKR_OK)
		cid_token_name(name, st.label, sizeof(st.label), st.serial, sizeof(st.serial));
	else
		cid_token_name(name, label, label != NULL ? 32 : 0, NULL, 0);
	CID_NEW_PASSCODE_REFUSED(name, role, pin, len, same);
	return rv;
}

CK_RV cid_tok_open(cid_provider *prov, const char *key, atomic_bool *removed, cid_tok **out)
{
	cid_token *be = NULL;
	CK_RV rv = prov->ops->open(prov, key, &be);

	if (rv == CKR_DEVICE_REMOVED)
		atomic_store(removed, true);
	return rv == CKR_OK ? cid_tok_wrap(be, removed, out) : rv;
}

CK_RV cid_tok_create(cid_provider *prov, const char *key, const CK_UTF8CHAR *so_pin, CK_ULONG len,
                     const CK_UTF8CHAR label[32], atomic_bool *removed, char **new_key, cid_tok **out)
{
	cid_token *be = NULL;
	CK_RV rv;

	if (prov->ops->create == NULL)
		return CKR_FUNCTION_NOT_SUPPORTED;
	if ((rv = new_passcode(NULL, label, CID_PASSCODE_SO, NULL, 0, so_pin, len)) != CKR_OK)
		return rv;
	rv = prov->ops->create(prov, key, so_pin, len, label, new_key, &be);
	if (rv != CKR_OK)
		return rv;
	rv = cid_tok_wrap(be, removed, out);
	if (rv != CKR_OK) {
		free(*new_key);
		*new_key = NULL;
	}
	return rv;
}

void cid_tok_release(cid_tok **t)
{
	if (*t == NULL)
		return;
	(*t)->be->ops->release((*t)->be);
	free(*t);
	*t = NULL;
}

CK_RV cid_tok_scan(cid_provider *prov, cid_place_sink sink, void *ctx)
{
	CK_RV rv = prov->ops->scan(prov, sink, ctx);

	if (rv != CKR_OK)
		CID_WARN("%s: scan failed (0x%lx)", prov->ops->name, rv);
	return rv;
}

bool cid_tok_mechanism(cid_provider *prov, const cid_mech_desc *d, CK_MECHANISM_INFO *info)
{
	info->ulMinKeySize = d->min_bits;
	info->ulMaxKeySize = d->max_bits;
	info->flags = d->flags;
	return prov->ops->mechanism == NULL || prov->ops->mechanism(prov, d, info);
}

CK_RV cid_tok_status(cid_tok *t, cid_token_status *st)
{
	CK_RV rv = note(t, t->be->ops->status(t->be, st));

	if (rv == CKR_OK && (st->flags & CKF_TOKEN_INITIALIZED))
		t->initialised = true;
	return rv;
}

CK_RV cid_tok_initialised(cid_tok *t, bool *initialised)
{
	cid_token_status st;
	CK_RV rv = CKR_OK;

	if (!t->initialised)
		rv = cid_tok_status(t, &st);
	*initialised = t->initialised;
	return rv;
}

void cid_tok_rest(cid_tok *t)
{
	if (t != NULL && t->who == CID_NO_USER && !t->credential && t->be->ops->rest != NULL)
		t->be->ops->rest(t->be);
}

/* ---- the login state ---------------------------------------------------- */

CK_USER_TYPE cid_tok_who(const cid_tok *t)
{
	return t->who;
}

bool cid_tok_credential(const cid_tok *t)
{
	return t->credential;
}

CK_RV cid_tok_login(cid_tok *t, CK_USER_TYPE who, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	CK_RV rv;

	switch (who) {
	case CKU_USER:
	case CKU_SO:
		if (t->who == who)
			return CKR_USER_ALREADY_LOGGED_IN;
		if (t->who != CID_NO_USER)
			return CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
		break;
	case CKU_CONTEXT_SPECIFIC:
		if (t->who != CKU_USER)
			return CKR_USER_NOT_LOGGED_IN;
		break;
	default:
		if (t->credential)
			return CKR_USER_ALREADY_LOGGED_IN;
		break;
	}
	rv = note(t, t->be->ops->login(t->be, who, pin, len));
	if (rv != CKR_OK)
		return rv;
	/* The passcode was right (its try is back); the lifecycle rules
	 * decide whether the login counts. */
	if (who == CKU_USER || who == CKU_SO) {
		rv = who == CKU_USER ? cid_lifecycle_gate(t->be, layer_issuer, (int64_t)time(NULL), &t->gate)
		                     : cid_lifecycle_gate_so(t->be);
		rv = note(t, rv);
		if (rv != CKR_OK) {
			(void)t->be->ops->logout(t->be);
			return rv;
		}
	}
	if (who == CKU_USER || who == CKU_SO)
		t->who = who;
	else if (who != CKU_CONTEXT_SPECIFIC)
		t->credential = true;
	return CKR_OK;
}

CK_RV cid_tok_logout(cid_tok *t)
{
	CK_RV rv;

	if (t->who == CID_NO_USER && !t->credential)
		return CKR_USER_NOT_LOGGED_IN;
	/* The state ends whatever the device says: an application that logs
	 * out must not stay logged in because a card went away. */
	rv = note(t, t->be->ops->logout(t->be));
	t->who = CID_NO_USER;
	t->credential = false;
	return rv;
}

CK_RV cid_tok_get_record(cid_tok *t, uint8_t **rec, size_t *rlen, uint8_t **sig, size_t *slen)
{
	*rec = *sig = NULL;
	*rlen = *slen = 0;
	if (t->be->ops->get_record == NULL)
		return CKR_OK;
	return note(t, t->be->ops->get_record(t->be, rec, rlen, sig, slen));
}

CK_RV cid_tok_put_record(cid_tok *t, const uint8_t *rec, size_t rlen, const uint8_t *sig, size_t slen)
{
	uint8_t *old = NULL, *oldsig = NULL;
	size_t oldlen = 0, oldsiglen = 0;
	bool cancelled = false;
	CK_RV rv;

	if (t->be->ops->put_record == NULL) {
		CID_WARN("this token cannot keep a lifecycle record");
		return CKR_FUNCTION_NOT_SUPPORTED;
	}
	/* The SO (a soft token's sponsor) or the backend's own credential (a
	 * card's management key); the holder too, when an issuer is
	 * configured: then the issuer's signature, not the session, is what
	 * authorises a record (a self-renewal, P7).  The backend checks
	 * which credential it needs. */
	if (t->who != CKU_SO && !t->credential && !(t->who == CKU_USER && layer_issuer != NULL)) {
		CID_WARN("refused: only the security officer writes the lifecycle record");
		return CKR_USER_NOT_LOGGED_IN;
	}
	if ((rv = cid_lifecycle_gate_check(t->be, layer_issuer, rec, rlen, sig, slen, &cancelled)) != CKR_OK)
		return rv;
	/* The record it replaces names the procedure in the trail (P14). */
	if (t->be->ops->get_record != NULL && t->be->ops->get_record(t->be, &old, &oldlen, &oldsig, &oldsiglen) != CKR_OK)
		old = NULL;
	free(oldsig);
	rv = note(t, t->be->ops->put_record(t->be, rec, rlen, sig, slen));
	if (rv == CKR_OK)
		cid_lifecycle_gate_note_change(t->be, old, oldlen, rec, rlen);
	free(old);
	if (rv != CKR_OK)
		return rv;
	/* P10: a cancelled token's keys go with the record that says so. */
	if (cancelled && t->be->ops->destroy_keys != NULL && (rv = note(t, t->be->ops->destroy_keys(t->be))) != CKR_OK)
		CID_ERROR("the cancelled token's keys could not all be destroyed (0x%lx)", (unsigned long)rv);
	return rv;
}

CK_RV cid_tok_issue_unlock_code(cid_tok *t, const CK_UTF8CHAR *code, CK_ULONG len)
{
	int64_t now = (int64_t)time(NULL);
	CK_RV rv;

	if (t->be->ops->set_unlock_code == NULL) {
		CID_WARN("this token takes no unlock codes (P4): a card needs the RA service, docs/lifecycle.md");
		return CKR_FUNCTION_NOT_SUPPORTED;
	}
	if (t->who != CKU_SO) {
		CID_WARN("refused: only the security officer issues an unlock code");
		return CKR_USER_NOT_LOGGED_IN;
	}
	if ((rv = cid_policy_unlock_code_format(code, len)) != CKR_OK) {
		CID_WARN("refused: an unlock code is %d to %d characters of A-Z and 2-7", CID_POLICY_UNLOCK_CODE_MIN_LEN,
		         CID_POLICY_UNLOCK_CODE_MAX_LEN);
		return rv;
	}
	if ((rv = note(t, cid_lifecycle_gate_unlock(t->be, layer_issuer, now))) != CKR_OK)
		return rv;
	return note(t, t->be->ops->set_unlock_code(t->be, code, len, now + CID_POLICY_UNLOCK_CODE_SECONDS));
}

CK_RV cid_tok_unlock(cid_tok *t, const CK_UTF8CHAR *code, CK_ULONG len, const CK_UTF8CHAR *pin, CK_ULONG plen)
{
	int64_t now = (int64_t)time(NULL);
	CK_RV rv;

	if (t->be->ops->unlock == NULL) {
		CID_WARN("this token takes no unlock codes (P4)");
		return CKR_FUNCTION_NOT_SUPPORTED;
	}
	if (t->who != CID_NO_USER)
		return CKR_USER_ALREADY_LOGGED_IN;
	/* Refused before the code is tried: these cost none of its tries. */
	if ((rv = new_passcode(t, NULL, CID_PASSCODE_USER, NULL, 0, pin, plen)) != CKR_OK)
		return rv;
	if (cid_policy_unlock_code_format(code, len) != CKR_OK) {
		CID_WARN("unlock refused: that is not an unlock code (no try spent)");
		return CKR_PIN_INCORRECT;
	}
	if ((rv = note(t, cid_lifecycle_gate_unlock(t->be, layer_issuer, now))) != CKR_OK)
		return rv;
	return note(t, t->be->ops->unlock(t->be, code, len, now, pin, plen));
}

bool cid_tok_days_left(const cid_tok *t, int64_t *days, bool *alert)
{
	if (t->who != CKU_USER || !t->gate.has_record)
		return false;
	*days = t->gate.days_left;
	*alert = t->gate.alert;
	return true;
}

bool cid_tok_login_lost(cid_tok *t)
{
	bool user = true;

	if (t->who != CKU_USER || t->be->ops->check_login == NULL)
		return false;
	if (note(t, t->be->ops->check_login(t->be, &user)) != CKR_OK || user)
		return false;
	t->who = CID_NO_USER;
	t->credential = false;
	return true;
}

CK_RV cid_tok_init_token(cid_tok *t, const CK_UTF8CHAR *so_pin, CK_ULONG len, const CK_UTF8CHAR label[32])
{
	CK_RV rv = new_passcode(t, label, CID_PASSCODE_SO, NULL, 0, so_pin, len);

	if (rv != CKR_OK)
		return rv;
	return note(t, t->be->ops->init_token(t->be, so_pin, len, label));
}

CK_RV cid_tok_init_pin(cid_tok *t, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	CK_RV rv;

	if (t->who != CKU_SO)
		return CKR_USER_NOT_LOGGED_IN;
	if ((rv = new_passcode(t, NULL, CID_PASSCODE_USER, NULL, 0, pin, len)) != CKR_OK)
		return rv;
	return note(t, t->be->ops->init_pin(t->be, pin, len));
}

CK_RV cid_tok_set_pin(cid_tok *t, const CK_UTF8CHAR *old, CK_ULONG oldlen, const CK_UTF8CHAR *new_pin,
                      CK_ULONG newlen)
{
	CK_USER_TYPE who = t->who == CKU_SO ? CKU_SO : CKU_USER;
	CK_RV rv = new_passcode(t, NULL, who == CKU_SO ? CID_PASSCODE_SO : CID_PASSCODE_USER, old, oldlen, new_pin,
	                        newlen);

	if (rv != CKR_OK)
		return rv;
	return note(t, t->be->ops->set_pin(t->be, who, old, oldlen, new_pin, newlen));
}

/* ---- objects and keys --------------------------------------------------- */

CK_RV cid_tok_changed(cid_tok *t, bool *changed)
{
	if (t->be->ops->changed == NULL) {
		*changed = false;
		return CKR_OK;
	}
	return note(t, t->be->ops->changed(t->be, changed));
}

CK_RV cid_tok_load_objects(cid_tok *t, cid_object_sink sink, void *ctx)
{
	return note(t, t->be->ops->load_objects(t->be, sink, ctx));
}

CK_RV cid_tok_load_changes(cid_tok *t, cid_object_sink sink, void *ctx, bool *whole)
{
	if (t->be->ops->load_changes == NULL) {
		*whole = true;
		return cid_tok_load_objects(t, sink, ctx);
	}
	return note(t, t->be->ops->load_changes(t->be, sink, ctx, whole));
}

CK_RV cid_tok_create_object(cid_tok *t, const cid_attrs *attrs, uint64_t *id)
{
	return note(t, t->be->ops->create_object(t->be, attrs, id));
}

CK_RV cid_tok_update_object(cid_tok *t, uint64_t id, const cid_attrs *attrs)
{
	return note(t, t->be->ops->update_object(t->be, id, attrs));
}

CK_RV cid_tok_destroy_object(cid_tok *t, uint64_t id)
{
	return note(t, t->be->ops->destroy_object(t->be, id));
}

bool cid_tok_holds_keys(const cid_tok *t)
{
	return t->be->ops->key_op != NULL;
}

CK_RV cid_tok_key_op(cid_tok *t, uint64_t id, cid_ext_kind kind, const uint8_t *in, size_t inlen, uint8_t *out,
                     size_t *outlen)
{
	if (t->be->ops->key_op == NULL)
		return CKR_FUNCTION_NOT_SUPPORTED;
	return note(t, t->be->ops->key_op(t->be, id, kind, in, inlen, out, outlen));
}

bool cid_tok_generates_keys(const cid_tok *t)
{
	return t->be->ops->generate_keypair != NULL;
}

CK_RV cid_tok_generate_keypair(cid_tok *t, CK_MECHANISM_TYPE mech, cid_attrs *pub, cid_attrs *priv,
                               uint64_t *pub_id, uint64_t *priv_id)
{
	if (t->be->ops->generate_keypair == NULL)
		return CKR_FUNCTION_NOT_SUPPORTED;
	return note(t, t->be->ops->generate_keypair(t->be, mech, pub, priv, pub_id, priv_id));
}
