/* The lifecycle rules at the moment a user login has succeeded in the
 * backend (P7, P10-P12): the token layer asks here before the login
 * counts.  Private to src/token. */
#ifndef CAREID_TOKEN_LIFECYCLE_GATE_H
#define CAREID_TOKEN_LIFECYCLE_GATE_H

#include <stdbool.h>
#include <stdint.h>

#include "backend/backend.h"
#include "crypto/crypto.h"

typedef struct cid_gate {
	bool has_record;     /* a record was found (verified when an issuer is set) */
	bool alert;          /* P7: the certificates end within 90 days (or ended) */
	int64_t days_left;   /* valid when has_record */
} cid_gate;

/* CKR_OK: the login stands (out filled).  Otherwise the code C_Login
 * returns, the reason logged and, where the token keeps a trail, audited:
 * CKR_PIN_LOCKED for a cancelled token, CKR_PIN_EXPIRED after its access
 * end, CKR_FUNCTION_FAILED for a missing (with an issuer), damaged,
 * unsigned or foreign record.  iss may be NULL (no issuer configured:
 * records are applied unverified, plain tokens pass). */
CK_RV cid_lifecycle_gate(cid_token *be, const cid_issuer *iss, int64_t now, cid_gate *out);

/* The same for an SO login: only a cancelled token refuses it
 * (CKR_PIN_LOCKED), so that the sponsor can write a first record, unblock
 * and service a returned card. */
CK_RV cid_lifecycle_gate_so(cid_token *be);

/* P4: an unlock code is refused (issued or used) on a token whose record
 * says it is cancelled, past its access end, or its certificates have
 * ended (that needs repair, P9): CKR_FUNCTION_REJECTED, logged.  A token
 * without a record passes unless an issuer is configured. */
CK_RV cid_lifecycle_gate_unlock(cid_token *be, const cid_issuer *iss, int64_t now);

/* Before a record is stored: CKR_OK when it decodes, names this token and
 * (with iss) carries the issuer's signature; CKR_ATTRIBUTE_VALUE_INVALID,
 * logged, otherwise; *cancelled tells whether the record cancels the
 * token. */
CK_RV cid_lifecycle_gate_check(cid_token *be, const cid_issuer *iss, const uint8_t *rec, size_t rlen,
                               const uint8_t *sig, size_t slen, bool *cancelled);

/* P14: after a record was written, names the procedure in the token's
 * trail (cid_lifecycle_change) with what the new record says.  old is the
 * record the token held before (NULL: none). */
void cid_lifecycle_gate_note_change(cid_token *be, const uint8_t *old, size_t oldlen, const uint8_t *rec,
                                    size_t rlen);

#endif
