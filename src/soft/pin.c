/* Passcodes (P1, P2, P3, P5): the durable try counters, login state and the
 * operations that rewrap the token key. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/log.h"
#include "common/mem.h"
#include "policy/policy.h"
#include "soft/soft_int.h"

static const char *tries_key(soft_role role)
{
	return role == SOFT_ROLE_SO ? SOFT_META_SO_TRIES : SOFT_META_USER_TRIES;
}

/* What is left to do once a soft token's SO passcode is blocked: nothing
 * can reset it, and re-initialising needs it. */
#define SO_BLOCKED_REMEDY "the token can no longer be administered; make a new one"

static cid_passcode_role log_role(soft_role role)
{
	return role == SOFT_ROLE_SO ? CID_PASSCODE_SO : CID_PASSCODE_USER;
}

static int64_t max_tries(soft_role role)
{
	return role == SOFT_ROLE_SO ? CID_POLICY_SO_PIN_MAX_TRIES : CID_POLICY_PIN_MAX_TRIES;
}

/* Tries left as stored, never more than the policy allows even if the
 * file says so. */
static CK_RV read_tries(sqlite3 *db, soft_role role, int64_t *tries)
{
	CK_RV rv = soft_meta_int_req(db, tries_key(role), tries);

	if (rv == CKR_OK && *tries > max_tries(role))
		*tries = max_tries(role);
	if (rv == CKR_OK && *tries < 0)
		*tries = 0;
	return rv;
}

static CK_RV user_pin_initialised(sqlite3 *db, bool *init)
{
	int64_t v = 0;
	bool found;
	CK_RV rv = soft_meta_int(db, SOFT_META_USER_PIN_INIT, &v, &found);

	*init = rv == CKR_OK && found && v != 0;
	return rv;
}

/* Refusals that need no passcode check and cost no try. */
static CK_RV precheck(soft_token *t, soft_role role)
{
	char name[CID_TOKEN_NAME_LEN];
	int64_t tries = 0;
	bool init = true;
	CK_RV rv = read_tries(t->db, role, &tries);

	if (rv != CKR_OK)
		return rv;
	if (tries == 0) {
		CID_PASSCODE_BLOCKED(soft_token_name(t, name), log_role(role), SO_BLOCKED_REMEDY);
		return CKR_PIN_LOCKED;
	}
	if (role == SOFT_ROLE_USER) {
		rv = user_pin_initialised(t->db, &init);
		if (rv != CKR_OK)
			return rv;
		if (!init) {
			CID_WARN("%s: no user passcode is set yet; the sponsor must set one first",
			         soft_token_name(t, name));
			return CKR_USER_PIN_NOT_INITIALIZED;
		}
	}
	return CKR_OK;
}

/* Records an outcome that changes nothing else, in its own transaction. */
static CK_RV record(soft_token *t, const char *event, const char *who, const char *what)
{
	CK_RV rv = soft_tx_begin(t->db, true);

	if (rv == CKR_OK)
		rv = soft_audit_append(t->db, t->serial, event, "who=%s %s", who, what);
	if (rv == CKR_OK)
		rv = soft_tx_commit(t->db);
	else
		soft_tx_rollback(t->db);
	return rv;
}

/* Phase one of a check: refusals that cost nothing, then the try is spent
 * and committed before anything about the passcode is computed, so a crash
 * or kill during the check never gives the try back. */
static CK_RV spend_try(soft_token *t, soft_role role, const char *who, const CK_UTF8CHAR *pin, CK_ULONG len,
                       uint8_t **salt, size_t *saltlen, uint8_t **wrap, size_t *wraplen, int64_t *left)
{
	char name[CID_TOKEN_NAME_LEN];
	int64_t tries = 0;
	CK_RV rv = soft_tx_begin(t->db, true);

	if (rv != CKR_OK)
		return rv;
	rv = precheck(t, role);
	if (rv == CKR_PIN_LOCKED) {
		soft_tx_rollback(t->db);
		(void)record(t, "login-refused", who, "locked");
		return rv;
	}
	if (rv != CKR_OK)
		goto out;
	if (!cid_policy_pin_plausible(pin, len)) {
		CID_PASSCODE_MALFORMED(soft_token_name(t, name), log_role(role), pin, len);
		rv = soft_audit_append(t->db, t->serial, "login-failed", "who=%s malformed, no try spent", who);
		if (rv != CKR_OK)
			goto out;
		rv = soft_tx_commit(t->db);
		return rv == CKR_OK ? CKR_PIN_INCORRECT : rv;
	}
	rv = soft_meta_blob(t->db, role == SOFT_ROLE_SO ? SOFT_META_SO_SALT : SOFT_META_USER_SALT, salt, saltlen);
	if (rv == CKR_OK)
		rv = soft_meta_blob(t->db, role == SOFT_ROLE_SO ? SOFT_META_SO_WRAP : SOFT_META_USER_WRAP, wrap, wraplen);
	/* A wrap no passcode could open is damage, not a wrong guess: refuse
	 * without spending a try. */
	if (rv == CKR_OK && (*salt == NULL || *saltlen != SOFT_SALT_LEN || *wrap == NULL ||
	                     *wraplen != CID_AEAD_OVERHEAD + CID_AEAD_KEY_LEN)) {
		CID_ERROR("%s: the salt or the key sealed under the %s is missing or damaged; no passcode can "
		          "open it, no try spent", soft_token_name(t, name), role == SOFT_ROLE_SO ? "SO passcode" : "passcode");
		rv = CKR_DEVICE_ERROR;
	}
	if (rv == CKR_OK)
		rv = read_tries(t->db, role, &tries);
	if (rv == CKR_OK) {
		*left = tries - 1;
		rv = soft_meta_set_int(t->db, tries_key(role), *left);
	}
	if (rv == CKR_OK)
		return soft_tx_commit(t->db);
out:
	soft_tx_rollback(t->db);
	return rv;
}

/* Phase two: the outcome is recorded.  A correct passcode is never
 * punished for the store's trouble: when the transaction that gives its try
 * back fails (the file busy past the timeout, a damaged audit table), it is
 * tried again, then with the try alone and the audit record owed, and at
 * worst the try is owed and given back (one try, never a reset, so that no
 * wrong guess made meanwhile is forgotten) at the next presentation.  The
 * login itself stands: the passcode was proved. */
static CK_RV settle_once(soft_token *t, soft_role role, const char *who, CK_RV check, int64_t left, bool with_audit)
{
	CK_RV rv = soft_tx_begin(t->db, true);

	if (rv != CKR_OK)
		return rv;
	if (check == CKR_OK) {
		rv = soft_meta_set_int(t->db, tries_key(role), max_tries(role));
		if (rv == CKR_OK && with_audit && t->owed_audit > 0)
			rv = soft_audit_append(t->db, t->serial, "login-ok", "who=%s recorded late (%u), the store was failing",
			                       who, t->owed_audit);
		if (rv == CKR_OK && with_audit)
			rv = soft_audit_append(t->db, t->serial, "login-ok", "who=%s", who);
	} else if (check == CKR_ENCRYPTED_DATA_INVALID) {
		rv = soft_audit_append(t->db, t->serial, "login-failed", "who=%s tries_left=%lld", who, (long long)left);
		if (rv == CKR_OK && left == 0)
			rv = soft_audit_append(t->db, t->serial, "locked", "who=%s", who);
	} else {
		rv = soft_audit_append(t->db, t->serial, "login-error", "who=%s internal error 0x%lx", who, check);
	}
	if (rv == CKR_OK)
		rv = soft_tx_commit(t->db);
	else
		soft_tx_rollback(t->db);
	return rv;
}

#define SETTLE_ATTEMPTS 3

static CK_RV settle(soft_token *t, soft_role role, const char *who, CK_RV check, int64_t left)
{
	char name[CID_TOKEN_NAME_LEN];
	CK_RV rv = CKR_OK;

	for (int i = 0; i < SETTLE_ATTEMPTS; i++) {
		rv = settle_once(t, role, who, check, left, true);
		if (rv == CKR_OK) {
			if (check == CKR_OK)
				t->owed_audit = 0;
			return CKR_OK;
		}
	}
	if (check != CKR_OK)
		return rv;
	if (settle_once(t, role, who, check, left, false) == CKR_OK) {
		t->owed_audit++;
		CID_ERROR("%s: the correct passcode's try is given back, but its audit record could not be written "
		          "(0x%lx); it is written at the next login", soft_token_name(t, name), rv);
		return CKR_OK;
	}
	t->owed_tries[role]++;
	t->owed_audit++;
	CID_ERROR("%s: the token file cannot be written (0x%lx); the correct passcode's try is owed and given "
	          "back at the next presentation", soft_token_name(t, name), rv);
	return CKR_OK;
}

/* Gives back tries owed from a correct passcode whose bookkeeping failed,
 * one each, before a new presentation spends one. */
static void repay(soft_token *t, soft_role role)
{
	int64_t tries = 0;
	CK_RV rv;

	if (t->owed_tries[role] == 0)
		return;
	rv = soft_tx_begin(t->db, true);
	if (rv == CKR_OK)
		rv = read_tries(t->db, role, &tries);
	if (rv == CKR_OK && tries > 0) {
		int64_t back = tries + (int64_t)t->owed_tries[role];

		rv = soft_meta_set_int(t->db, tries_key(role), back > max_tries(role) ? max_tries(role) : back);
	}
	if (rv == CKR_OK)
		rv = soft_audit_append(t->db, t->serial, "try-returned", "who=%s %u owed from a correct passcode",
		                       role == SOFT_ROLE_SO ? "so" : "user", t->owed_tries[role]);
	if (rv == CKR_OK)
		rv = soft_tx_commit(t->db);
	else
		soft_tx_rollback(t->db);
	if (rv == CKR_OK)
		t->owed_tries[role] = 0;
}

/* The whole P2 algorithm for one presented passcode.  On success key holds
 * the token key and, when kek is not NULL, the derived KEK. */
static CK_RV verify(soft_token *t, soft_role role, const char *who, const CK_UTF8CHAR *pin, CK_ULONG len,
                    uint8_t key[CID_AEAD_KEY_LEN], uint8_t kek_out[CID_AEAD_KEY_LEN])
{
	uint8_t *salt = NULL, *wrap = NULL;
	size_t saltlen = 0, wraplen = 0;
	uint8_t kek[CID_AEAD_KEY_LEN];
	char name[CID_TOKEN_NAME_LEN];
	cid_kdf_params prm;
	int64_t left = 0;
	CK_RV rv, check;

	repay(t, role);
	rv = soft_kdf_params_load(t->db, &prm);
	if (rv == CKR_OK)
		rv = spend_try(t, role, who, pin, len, &salt, &saltlen, &wrap, &wraplen, &left);
	if (rv != CKR_OK) {
		free(salt);
		free(wrap);
		return rv;
	}
	check = soft_kek_derive(pin, len, salt, saltlen, &prm, kek);
	if (check == CKR_OK)
		check = soft_key_unwrap(t->serial, role, kek, wrap, wraplen, key);
	free(salt);
	free(wrap);
	if (check == CKR_OK && kek_out != NULL)
		memcpy(kek_out, kek, sizeof(kek));
	cid_wipe(kek, sizeof(kek));

	/* A wrong passcode's try is already durable; only its record can be
	 * lost here, and the answer stays what it was. */
	rv = settle(t, role, who, check, left);
	if (rv != CKR_OK && check == CKR_ENCRYPTED_DATA_INVALID)
		CID_ERROR("%s: the audit record of a wrong passcode could not be written (0x%lx)",
		          soft_token_name(t, name), rv);
	if (check == CKR_OK)
		return CKR_OK;
	if (check != CKR_ENCRYPTED_DATA_INVALID) {
		rv = check;
		goto fail;
	}
	/* The one line about this wrong passcode: the failed unwrap behind it
	 * is how a wrong passcode shows, not a fault of its own. */
	CID_PASSCODE_WRONG(soft_token_name(t, name), log_role(role), (long)left, SO_BLOCKED_REMEDY);
	return left == 0 ? CKR_PIN_LOCKED : CKR_PIN_INCORRECT;
fail:
	cid_wipe(key, CID_AEAD_KEY_LEN);
	if (kek_out != NULL)
		cid_wipe(kek_out, CID_AEAD_KEY_LEN);
	return rv;
}
/* Presentations of a passcode to one token take turns, across processes.
 * Each spends its try before its check (P2: durable before known), so
 * concurrent ones would see each other's tries spent, and a correct
 * passcode could meet a counter at zero.  Taking turns keeps that rule and
 * never refuses a correct passcode; the others only wait.  A process killed
 * mid-check lets go with its life, its try spent.  The lock is a hidden
 * file beside the token (flock), never the database file, whose POSIX
 * locks belong to SQLite (closing another descriptor of it would drop
 * them).  Threads of one process already take turns on the slot's lock. */
int soft_take_turn(const soft_token *t)
{
	const char *base = strrchr(t->path, '/');
	char *lock = NULL;
	int fd = -1;

	base = base != NULL ? base + 1 : t->path;
	if (asprintf(&lock, "%.*s.%s.lock", (int)(base - t->path), t->path, base) < 0)
		return -1;
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0 && flock(fd, LOCK_EX) != 0) {
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		CID_WARN("%s: cannot take turns with other processes (%s); checking anyway", lock, strerror(errno));
	free(lock);
	return fd;
}

static CK_RV verify_in_turn(soft_token *t, soft_role role, const char *who, const CK_UTF8CHAR *pin,
                            CK_ULONG len, uint8_t key[CID_AEAD_KEY_LEN], uint8_t kek_out[CID_AEAD_KEY_LEN])
{
	int turn = soft_take_turn(t);
	CK_RV rv = verify(t, role, who, pin, len, key, kek_out);

	if (turn >= 0)
		close(turn);   /* releases the flock */
	return rv;
}


void soft_forget_key(soft_token *t)
{
	cid_wipe(t->key, sizeof(t->key));
	t->have_key = false;
	t->who = SOFT_NOBODY;
}

CK_RV soft_login(cid_token *tok, CK_USER_TYPE who, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	soft_token *t = (soft_token *)tok;
	uint8_t key[CID_AEAD_KEY_LEN];
	CK_RV rv;

	switch (who) {
	case CKU_USER:
	case CKU_SO:
		if (t->who != SOFT_NOBODY)
			return t->who == who ? CKR_USER_ALREADY_LOGGED_IN : CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
		rv = verify_in_turn(t, who == CKU_SO ? SOFT_ROLE_SO : SOFT_ROLE_USER, who == CKU_SO ? "so" : "user", pin,
		            len, key, NULL);
		if (rv == CKR_OK) {
			memcpy(t->key, key, sizeof(key));
			t->have_key = true;
			t->who = who;
		}
		break;
	case CKU_CONTEXT_SPECIFIC:
		/* Proves presence for one key use; the login state is unchanged. */
		rv = verify_in_turn(t, SOFT_ROLE_USER, "context", pin, len, key, NULL);
		break;
	default:
		CID_DEBUG("unknown user type %lu", (unsigned long)who);
		return CKR_USER_TYPE_INVALID;
	}
	cid_wipe(key, sizeof(key));
	return rv;
}

CK_RV soft_logout(cid_token *tok)
{
	soft_token *t = (soft_token *)tok;

	if (t->who == SOFT_NOBODY)
		return CKR_USER_NOT_LOGGED_IN;
	soft_forget_key(t);
	return CKR_OK;
}

CK_RV soft_init_pin(cid_token *tok, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	soft_token *t = (soft_token *)tok;
	cid_kdf_params prm;
	soft_wrap w;
	CK_RV rv;

	if (t->who != CKU_SO || !t->have_key) {
		CID_DEBUG("setting the user passcode needs the SO logged in");
		return CKR_USER_NOT_LOGGED_IN;
	}
	/* The new passcode's format (P1) is the token layer's to check. */
	rv = soft_kdf_params_load(t->db, &prm);
	if (rv == CKR_OK)
		rv = soft_wrap_make(t->serial, SOFT_ROLE_USER, &prm, pin, len, t->key, &w);
	if (rv != CKR_OK)
		return rv;
	rv = soft_tx_begin(t->db, true);
	if (rv == CKR_OK)
		rv = soft_wrap_store(t->db, SOFT_ROLE_USER, &w);
	if (rv == CKR_OK)
		rv = soft_meta_set_int(t->db, SOFT_META_USER_PIN_INIT, 1);
	if (rv == CKR_OK)
		rv = soft_meta_set_int(t->db, SOFT_META_USER_TRIES, CID_POLICY_PIN_MAX_TRIES);
	if (rv == CKR_OK)
		rv = soft_audit_append(t->db, t->serial, "pin-init", "who=so user passcode set, counter reset (unblock)");
	if (rv == CKR_OK)
		rv = soft_tx_commit(t->db);
	else
		soft_tx_rollback(t->db);
	soft_wrap_clear(&w);
	if (rv == CKR_OK)
		soft_db_flush(t->db);
	return rv;
}

CK_RV soft_set_pin(cid_token *tok, CK_USER_TYPE who, const CK_UTF8CHAR *old, CK_ULONG oldlen,
                   const CK_UTF8CHAR *new_pin, CK_ULONG newlen)
{
	soft_token *t = (soft_token *)tok;
	soft_role role = who == CKU_SO ? SOFT_ROLE_SO : SOFT_ROLE_USER;
	const char *name = who == CKU_SO ? "so" : "user";
	uint8_t key[CID_AEAD_KEY_LEN];
	cid_kdf_params prm;
	soft_wrap w;
	CK_RV rv;

	if (who != CKU_USER && who != CKU_SO)
		return CKR_USER_TYPE_INVALID;
	/* Everything that can be refused without a check comes first, so that
	 * a doomed request never costs a try. */
	rv = precheck(t, role);
	if (rv != CKR_OK)
		return rv;
	/* The new passcode's format and difference (P1, P5) are the token
	 * layer's to check. */
	rv = soft_kdf_params_load(t->db, &prm);
	if (rv == CKR_OK)
		rv = verify_in_turn(t, role, who == CKU_SO ? "so" : "user", old, oldlen, key, NULL);
	if (rv != CKR_OK)
		return rv;
	rv = soft_wrap_make(t->serial, role, &prm, new_pin, newlen, key, &w);
	cid_wipe(key, sizeof(key));
	if (rv != CKR_OK)
		return rv;
	rv = soft_tx_begin(t->db, true);
	if (rv == CKR_OK)
		rv = soft_wrap_store(t->db, role, &w);
	if (rv == CKR_OK && role == SOFT_ROLE_USER)
		rv = soft_meta_del(t->db, SOFT_META_PIN_TO_CHANGE);
	if (rv == CKR_OK)
		rv = soft_audit_append(t->db, t->serial, "pin-changed", "who=%s", name);
	if (rv == CKR_OK)
		rv = soft_tx_commit(t->db);
	else
		soft_tx_rollback(t->db);
	soft_wrap_clear(&w);
	if (rv == CKR_OK)
		soft_db_flush(t->db);
	return rv;
}

static CK_RV reinit(soft_token *t, const uint8_t so_kek[CID_AEAD_KEY_LEN], const CK_UTF8CHAR label[32])
{
	uint8_t key[CID_AEAD_KEY_LEN];
	uint8_t *wrapped = NULL;
	size_t wlen = 0;
	char text[33];
	CK_RV rv;

	/* A new K: whatever was sealed under the old one is gone for good,
	 * even from an old copy of the file opened with the new passcode. */
	rv = cid_random(key, sizeof(key));
	if (rv == CKR_OK)
		rv = soft_key_wrap(t->serial, SOFT_ROLE_SO, so_kek, key, &wrapped, &wlen);
	cid_wipe(key, sizeof(key));
	if (rv != CKR_OK)
		return rv;
	soft_label_text(label, text);
	rv = soft_tx_begin(t->db, true);
	if (rv == CKR_OK)
		rv = soft_objects_wipe(t);
	if (rv == CKR_OK)
		rv = soft_meta_set_blob(t->db, SOFT_META_SO_WRAP, wrapped, wlen);
	if (rv == CKR_OK)
		rv = soft_meta_del(t->db, SOFT_META_USER_WRAP);
	if (rv == CKR_OK)
		rv = soft_meta_del(t->db, SOFT_META_USER_SALT);
	if (rv == CKR_OK)
		rv = soft_meta_set_int(t->db, SOFT_META_USER_PIN_INIT, 0);
	if (rv == CKR_OK)
		rv = soft_meta_set_int(t->db, SOFT_META_USER_TRIES, CID_POLICY_PIN_MAX_TRIES);
	if (rv == CKR_OK)
		rv = soft_meta_set_blob(t->db, SOFT_META_LABEL, label, 32);
	if (rv == CKR_OK)
		rv = soft_audit_append(t->db, t->serial, "token-reinit",
		                       "who=so label=\"%s\" objects destroyed, user passcode cleared", text);
	if (rv == CKR_OK)
		rv = soft_tx_commit(t->db);
	else
		soft_tx_rollback(t->db);
	free(wrapped);
	return rv;
}

CK_RV soft_init_token(cid_token *tok, const CK_UTF8CHAR *so_pin, CK_ULONG len, const CK_UTF8CHAR label[32])
{
	soft_token *t = (soft_token *)tok;
	uint8_t key[CID_AEAD_KEY_LEN], kek[CID_AEAD_KEY_LEN];
	CK_RV rv;

	if (label == NULL)
		return CKR_ARGUMENTS_BAD;
	rv = verify_in_turn(t, SOFT_ROLE_SO, "so", so_pin, len, key, kek);
	cid_wipe(key, sizeof(key));
	if (rv != CKR_OK)
		return rv;
	rv = reinit(t, kek, label);
	cid_wipe(kek, sizeof(kek));
	soft_forget_key(t);
	if (rv == CKR_OK)
		soft_db_flush(t->db);
	return rv;
}
