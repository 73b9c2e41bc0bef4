/* Helpers shared by the entry points that use keys (crypto_api.c,
 * keygen_api.c); defined in crypto_api.c. */
#ifndef CAREID_P11_OP_UTIL_H
#define CAREID_P11_OP_UTIL_H

#include "p11/internal.h"

/* cid_enter(), session lookup and the session's own lock, in that order.
 * CKR_SESSION_CLOSED when the session was closed while we waited. */
CK_RV cid_op_session_lock(CK_SESSION_HANDLE h, cid_session **out);
/* Unlocks and drops the reference taken by cid_op_session_lock. */
void cid_op_session_unlock(cid_session **s);

/* Resolves hkey for a use of mechanism d that needs a key of class cls with
 * the usage attribute use set to true, and returns a new reference to its
 * crypto key.  Errors, in the order they are checked:
 * CKR_KEY_HANDLE_INVALID (no such visible object, or not a key),
 * CKR_KEY_TYPE_INCONSISTENT (class or key type), CKR_KEY_FUNCTION_NOT_PERMITTED,
 * CKR_USER_NOT_LOGGED_IN (private key outside a user session),
 * CKR_KEY_SIZE_RANGE.  *always_auth (may be NULL) tells whether the key has
 * CKA_ALWAYS_AUTHENTICATE.  Call with the session locked. */
CK_RV cid_op_key_for_use(cid_session *s, CK_OBJECT_HANDLE hkey, CK_OBJECT_CLASS cls,
                         CK_ATTRIBUTE_TYPE use, const cid_mech_desc *d, cid_key **key,
                         bool *always_auth);

#endif
