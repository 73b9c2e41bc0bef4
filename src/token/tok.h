/* The token layer: the one way the PKCS#11 front reaches a token.
 *
 * The front holds a cid_tok for the token in a slot and never calls a
 * backend itself.  The layer:
 * - records removal: any backend call that answers CKR_DEVICE_REMOVED sets
 *   the removed flag the slot gave at open, which the front turns into the
 *   end of that slot's sessions (P15);
 * - holds the one login state: who is logged in (user or SO), and the
 *   backend's own credentials proven beside it (a card's management key),
 *   and keeps it true when the token forgets a login (a card reset by
 *   another program);
 * - enforces the rules for passcodes being set, once for every kind of
 *   token: 6-8 digits (P1) and a new passcode that differs from the old
 *   (P5); a refused one never reaches the backend;
 * - answers for what the token's kind can do: its mechanisms, whether it
 *   keeps its private keys (key_op) and generates keys itself.
 * The backend interface is src/backend/backend.h.  Calls on one cid_tok are
 * serialised by the caller (the slot's lock); none blocks on another
 * token. */
#ifndef CAREID_TOKEN_TOK_H
#define CAREID_TOKEN_TOK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "crypto/crypto.h"

/* Nobody is logged in. */
#define CID_NO_USER ((CK_USER_TYPE)-1)

typedef struct cid_tok cid_tok;

/* Opens the token in a place of prov.  removed is set (never cleared) by
 * any call that meets CKR_DEVICE_REMOVED; it outlives the cid_tok. */
CK_RV cid_tok_open(cid_provider *prov, const char *key, atomic_bool *removed, cid_tok **out);
/* Creates a token in prov's free place (C_InitToken there); *new_key is the
 * place the token now lives in (allocated, the caller's). */
CK_RV cid_tok_create(cid_provider *prov, const char *key, const CK_UTF8CHAR *so_pin, CK_ULONG len,
                     const CK_UTF8CHAR label[32], atomic_bool *removed, char **new_key, cid_tok **out);
/* Takes over a backend token opened by other means (the unit tests of a
 * backend, which have no provider); released with it. */
CK_RV cid_tok_wrap(cid_token *be, atomic_bool *removed, cid_tok **out);
/* Releases the backend token; the login state goes with it. */
void cid_tok_release(cid_tok **t);

/* Reports every place prov knows (a token file, the free soft place, a
 * reader); a failed scan is logged with the provider's name. */
CK_RV cid_tok_scan(cid_provider *prov, cid_place_sink sink, void *ctx);

/* Whether tokens of prov offer the crypto layer's mechanism d, and how
 * (info filled).  Works for a place without a token (the free slot). */
bool cid_tok_mechanism(cid_provider *prov, const cid_mech_desc *d, CK_MECHANISM_INFO *info);

CK_RV cid_tok_status(cid_tok *t, cid_token_status *st);
/* Whether the token is initialised; asks the backend only until it is. */
CK_RV cid_tok_initialised(cid_tok *t, bool *initialised);
/* The front's word that no session uses the token now: the backend may
 * close what it holds open (see cid_token_ops.rest). */
void cid_tok_rest(cid_tok *t);

/* ---- the login state ---------------------------------------------------- */

/* CID_NO_USER, CKU_USER or CKU_SO. */
CK_USER_TYPE cid_tok_who(const cid_tok *t);
/* A backend credential (a vendor user type, see careid.h) was proven. */
bool cid_tok_credential(const cid_tok *t);
/* CKU_USER or CKU_SO: CKR_USER_ALREADY_LOGGED_IN,
 * CKR_USER_ANOTHER_ALREADY_LOGGED_IN, or the backend's verdict, which
 * becomes the login state on success.  CKU_CONTEXT_SPECIFIC re-proves the
 * user passcode for one key use and changes no state
 * (CKR_USER_NOT_LOGGED_IN without a user login).  A vendor user type is a
 * backend credential beside the login state (CKR_USER_ALREADY_LOGGED_IN
 * when proven already). */
CK_RV cid_tok_login(cid_tok *t, CK_USER_TYPE who, const CK_UTF8CHAR *pin, CK_ULONG len);
/* Ends the login and any credential (CKR_USER_NOT_LOGGED_IN when there was
 * neither). */
CK_RV cid_tok_logout(cid_tok *t);
/* The lifecycle rules (src/policy/lifecycle.h) at a user login: a token
 * whose record says it is cancelled or past its access end is refused
 * although the passcode was right (lifecycle_gate.h).  The issuer whose
 * signature records must carry, or NULL; set before any login and kept
 * until no token is open. */
void cid_tok_set_issuer(const cid_issuer *iss);
/* The record and its signature as the token keeps them (*rec NULL when it
 * has none, or cannot keep one); the caller frees both. */
CK_RV cid_tok_get_record(cid_tok *t, uint8_t **rec, size_t *rlen, uint8_t **sig, size_t *slen);
/* With the SO logged in: a well-formed record for this token, signed by
 * the issuer when one is configured (else CKR_ATTRIBUTE_VALUE_INVALID,
 * logged), replaces the token's record. */
CK_RV cid_tok_put_record(cid_tok *t, const uint8_t *rec, size_t rlen, const uint8_t *sig, size_t slen);
/* P4: with the SO logged in, lets code (see cid_policy_unlock_code_format)
 * set a new user passcode once within 15 minutes; with nobody logged in,
 * uses it.  Refused on a token that is cancelled, past its access end or
 * whose certificates have ended (CKR_FUNCTION_REJECTED); unlock answers as
 * backend.h says.  CKR_FUNCTION_NOT_SUPPORTED on tokens that take none
 * (cards, for now). */
CK_RV cid_tok_issue_unlock_code(cid_tok *t, const CK_UTF8CHAR *code, CK_ULONG len);
CK_RV cid_tok_unlock(cid_tok *t, const CK_UTF8CHAR *code, CK_ULONG len, const CK_UTF8CHAR *pin, CK_ULONG plen);
/* After a user login on a token with a record: the whole days left to its
 * certificates' end (P7) and whether the expiry alert was raised. */
bool cid_tok_days_left(const cid_tok *t, int64_t *days, bool *alert);
/* True when the token no longer holds the user login it had (reset by
 * another program): the state is then logged out. */
bool cid_tok_login_lost(cid_tok *t);

CK_RV cid_tok_init_token(cid_tok *t, const CK_UTF8CHAR *so_pin, CK_ULONG len, const CK_UTF8CHAR label[32]);
/* With the SO logged in: sets (and unblocks) the user passcode. */
CK_RV cid_tok_init_pin(cid_tok *t, const CK_UTF8CHAR *pin, CK_ULONG len);
/* Changes the SO passcode when the SO is logged in, the user's otherwise
 * (then old is checked, costing a try when wrong). */
CK_RV cid_tok_set_pin(cid_tok *t, const CK_UTF8CHAR *old, CK_ULONG oldlen, const CK_UTF8CHAR *new_pin,
                      CK_ULONG newlen);

/* ---- objects and keys --------------------------------------------------- */

CK_RV cid_tok_changed(cid_tok *t, bool *changed);
CK_RV cid_tok_load_objects(cid_tok *t, cid_object_sink sink, void *ctx);
/* Only what changed since the last load (backend.h load_changes); *whole
 * is set when every object was reported instead. */
CK_RV cid_tok_load_changes(cid_tok *t, cid_object_sink sink, void *ctx, bool *whole);
CK_RV cid_tok_create_object(cid_tok *t, const cid_attrs *attrs, uint64_t *id);
CK_RV cid_tok_update_object(cid_tok *t, uint64_t id, const cid_attrs *attrs);
CK_RV cid_tok_destroy_object(cid_tok *t, uint64_t id);

/* Whether the token keeps its private keys and runs their primitive. */
bool cid_tok_holds_keys(const cid_tok *t);
CK_RV cid_tok_key_op(cid_tok *t, uint64_t id, cid_ext_kind kind, const uint8_t *in, size_t inlen, uint8_t *out,
                     size_t *outlen);
/* Whether the token generates key pairs itself. */
bool cid_tok_generates_keys(const cid_tok *t);
CK_RV cid_tok_generate_keypair(cid_tok *t, CK_MECHANISM_TYPE mech, cid_attrs *pub, cid_attrs *priv,
                               uint64_t *pub_id, uint64_t *priv_id);

#endif
