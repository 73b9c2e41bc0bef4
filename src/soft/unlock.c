/* The sponsor's one-time unlock code (P4) on a soft token.
 *
 * Setting a passcode needs the token key K.  When the sponsor (SO, who
 * holds K) issues a code, K is wrapped once more, under a key derived from
 * the code with the token's scrypt cost, next to an expiry time and a try
 * counter of its own.  The holder's code unwraps that K and sets a new
 * passcode; the wrap is then deleted, so the code works once.  Like a
 * passcode, a try is spent and stored before the code is checked, and the
 * last wrong try destroys the wrap.  The expiry time comes from the token
 * layer, which owns the host clock and the 15 minutes. */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/mem.h"
#include "policy/policy.h"
#include "soft/soft_int.h"

static CK_RV drop_code(soft_token *t)
{
	CK_RV rv = soft_meta_del(t->db, SOFT_META_UNLOCK_WRAP);

	if (rv == CKR_OK)
		rv = soft_meta_del(t->db, SOFT_META_UNLOCK_SALT);
	if (rv == CKR_OK)
		rv = soft_meta_del(t->db, SOFT_META_UNLOCK_EXPIRES);
	if (rv == CKR_OK)
		rv = soft_meta_del(t->db, SOFT_META_UNLOCK_TRIES);
	return rv;
}

static CK_RV commit_or_undo(soft_token *t, CK_RV rv)
{
	if (rv == CKR_OK)
		return soft_tx_commit(t->db);
	soft_tx_rollback(t->db);
	return rv;
}

CK_RV soft_set_unlock_code(cid_token *tok, const CK_UTF8CHAR *code, CK_ULONG len, int64_t expires)
{
	soft_token *t = (soft_token *)tok;
	uint8_t salt[SOFT_SALT_LEN], kek[CID_AEAD_KEY_LEN], *wrapped = NULL;
	size_t wlen = 0;
	cid_kdf_params prm;
	CK_RV rv;

	if (t->who != CKU_SO || !t->have_key) {
		CID_WARN("token %s: only the security officer issues an unlock code", t->serial);
		return CKR_USER_NOT_LOGGED_IN;
	}
	/* The scrypt run happens before the file is locked. */
	rv = soft_kdf_params_load(t->db, &prm);
	if (rv == CKR_OK)
		rv = cid_random(salt, sizeof(salt));
	if (rv == CKR_OK)
		rv = soft_kek_derive(code, len, salt, sizeof(salt), &prm, kek);
	if (rv == CKR_OK)
		rv = soft_key_wrap(t->serial, SOFT_ROLE_UNLOCK, kek, t->key, &wrapped, &wlen);
	cid_wipe(kek, sizeof(kek));
	if (rv != CKR_OK)
		return rv;
	rv = soft_tx_begin(t->db, true);
	if (rv == CKR_OK)
		rv = soft_meta_set_blob(t->db, SOFT_META_UNLOCK_SALT, salt, sizeof(salt));
	if (rv == CKR_OK)
		rv = soft_meta_set_blob(t->db, SOFT_META_UNLOCK_WRAP, wrapped, wlen);
	if (rv == CKR_OK)
		rv = soft_meta_set_int(t->db, SOFT_META_UNLOCK_EXPIRES, expires);
	if (rv == CKR_OK)
		rv = soft_meta_set_int(t->db, SOFT_META_UNLOCK_TRIES, CID_POLICY_UNLOCK_CODE_MAX_TRIES);
	if (rv == CKR_OK)
		rv = soft_audit_append(t->db, t->serial, "unlock-code-issued", "who=so expires=%lld", (long long)expires);
	rv = commit_or_undo(t, rv);
	free(wrapped);
	return rv;
}

/* Spends one try of the code, durably, and hands back what checking it
 * needs (the caller frees salt and wrap). */
static CK_RV take_try(soft_token *t, int64_t now, uint8_t **salt, size_t *saltlen, uint8_t **wrap,
                      size_t *wraplen, int64_t *left)
{
	int64_t expires = 0;
	bool found = false;
	CK_RV rv = soft_tx_begin(t->db, true);

	if (rv == CKR_OK)
		rv = soft_meta_blob(t->db, SOFT_META_UNLOCK_WRAP, wrap, wraplen);
	if (rv == CKR_OK && *wrap == NULL) {
		soft_tx_rollback(t->db);
		CID_WARN("token %s: unlock refused, no unlock code is waiting", t->serial);
		return CKR_PIN_EXPIRED;
	}
	if (rv == CKR_OK)
		rv = soft_meta_blob(t->db, SOFT_META_UNLOCK_SALT, salt, saltlen);
	if (rv == CKR_OK)
		rv = soft_meta_int(t->db, SOFT_META_UNLOCK_EXPIRES, &expires, &found);
	if (rv == CKR_OK && found)
		rv = soft_meta_int(t->db, SOFT_META_UNLOCK_TRIES, left, &found);
	if (rv == CKR_OK && (!found || *salt == NULL)) {
		CID_ERROR("token %s: the unlock code's record is damaged; it is removed", t->serial);
		rv = drop_code(t);
		rv = commit_or_undo(t, rv);
		return rv == CKR_OK ? CKR_DEVICE_ERROR : rv;
	}
	if (rv == CKR_OK && (now >= expires || *left <= 0)) {
		bool late = now >= expires;

		CID_WARN("token %s: unlock refused, the code %s", t->serial, late ? "has expired" : "has no tries left");
		rv = drop_code(t);
		if (rv == CKR_OK)
			rv = soft_audit_append(t->db, t->serial, "unlock-refused", "%s", late ? "expired" : "no tries left");
		rv = commit_or_undo(t, rv);
		return rv == CKR_OK ? (late ? CKR_PIN_EXPIRED : CKR_PIN_LOCKED) : rv;
	}
	if (rv == CKR_OK)
		rv = soft_meta_set_int(t->db, SOFT_META_UNLOCK_TRIES, --*left);
	return commit_or_undo(t, rv);
}

CK_RV soft_unlock(cid_token *tok, const CK_UTF8CHAR *code, CK_ULONG len, int64_t now, const CK_UTF8CHAR *pin,
                  CK_ULONG plen)
{
	soft_token *t = (soft_token *)tok;
	uint8_t *salt = NULL, *wrap = NULL, kek[CID_AEAD_KEY_LEN], key[CID_AEAD_KEY_LEN];
	size_t saltlen = 0, wraplen = 0;
	int64_t left = 0;
	cid_kdf_params prm;
	soft_wrap w;
	CK_RV rv, check;

	if (t->who != SOFT_NOBODY)
		return CKR_USER_ALREADY_LOGGED_IN;
	memset(&w, 0, sizeof(w));
	rv = soft_kdf_params_load(t->db, &prm);
	if (rv == CKR_OK)
		rv = take_try(t, now, &salt, &saltlen, &wrap, &wraplen, &left);
	if (rv != CKR_OK)
		goto out;
	check = soft_kek_derive(code, len, salt, saltlen, &prm, kek);
	if (check == CKR_OK)
		check = soft_key_unwrap(t->serial, SOFT_ROLE_UNLOCK, kek, wrap, wraplen, key);
	cid_wipe(kek, sizeof(kek));
	if (check == CKR_ENCRYPTED_DATA_INVALID) {
		rv = soft_tx_begin(t->db, true);
		if (rv == CKR_OK && left == 0)
			rv = drop_code(t);
		if (rv == CKR_OK)
			rv = soft_audit_append(t->db, t->serial, "unlock-failed", "tries_left=%lld%s", (long long)left,
			                       left == 0 ? ", code destroyed" : "");
		if (commit_or_undo(t, rv) != CKR_OK)
			CID_WARN("token %s: the failed unlock could not be recorded", t->serial);
		rv = left == 0 ? CKR_PIN_LOCKED : CKR_PIN_INCORRECT;
		goto out;
	}
	if ((rv = check) != CKR_OK)
		goto out;
	/* The right code: the new passcode's wrap, made before locking. */
	rv = soft_wrap_make(t->serial, SOFT_ROLE_USER, &prm, pin, plen, key, &w);
	cid_wipe(key, sizeof(key));
	if (rv == CKR_OK)
		rv = soft_tx_begin(t->db, true);
	if (rv == CKR_OK) {
		rv = soft_wrap_store(t->db, SOFT_ROLE_USER, &w);
		if (rv == CKR_OK)
			rv = soft_meta_set_int(t->db, SOFT_META_USER_PIN_INIT, 1);
		if (rv == CKR_OK)
			rv = soft_meta_set_int(t->db, SOFT_META_USER_TRIES, CID_POLICY_PIN_MAX_TRIES);
		if (rv == CKR_OK)
			rv = soft_meta_del(t->db, SOFT_META_PIN_TO_CHANGE);
		if (rv == CKR_OK)
			rv = drop_code(t);
		if (rv == CKR_OK)
			rv = soft_audit_append(t->db, t->serial, "unlocked", "who=user new passcode set with an unlock code");
		rv = commit_or_undo(t, rv);
	}
	if (rv == CKR_OK)
		soft_db_flush(t->db);
out:
	soft_wrap_clear(&w);
	free(salt);
	free(wrap);
	return rv;
}
