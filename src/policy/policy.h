/* The Care Identity rules as named values, in one place.
 *
 * Every threshold that the procedures fix lives here with its default.  The
 * soft token, the card driver and the lifecycle tools read these names and
 * never restate the numbers.  (Time-based rules are enforced on the host
 * because a smartcard has no clock; see docs/threat-model.md.)
 *
 * The rules (../shared policy P1-P16) and the one layer that enforces each:
 *   P1  passcode of 6-8 digits: set (C_InitToken, C_InitPIN, C_SetPIN) --
 *       the token layer (src/token/tok.c, cid_policy_new_pin); presented
 *       (C_Login) -- the backend, before it spends a try
 *       (cid_policy_pin_plausible), since the try counter is its own
 *   P2  three tries, a durable counter, lockout -- the backend (soft:
 *       src/soft/pin.c; card: the chip)
 *   P3  the SO unblocks -- the backend (soft: pin.c; card: RESET RETRY
 *       COUNTER with the PUK)
 *   P4  self-service unlock code -- its format and lifetime: here; the
 *       token layer dates and checks it (tok.c), the soft token keeps it
 *       (src/soft/unlock.c); cards: docs/lifecycle.md
 *   P5  a new passcode differs from the old -- the token layer
 *       (cid_policy_new_pin)
 *   P6  two certificates, two years -- issuance: careid-tool's issuing
 *       library (src/tool/issuer.c)
 *   P7-P12 renewal window, self-renewals, repair, cancel, temporary and
 *       contractor cards -- the decisions: src/policy/lifecycle.c, over the
 *       token's lifecycle record; where they are applied: the token layer
 *       and the administration tool (being built)
 *   P13 the UUID, no name -- issuance; the token label shows the UUID
 *   P14 audit -- the backend's trail (soft: src/soft/audit.c)
 *   P15 removal ends the login -- the token layer notes the removal, the
 *       front ends the sessions (src/p11/slot.c)
 *   P16 the same rules on both backends -- by construction: every rule
 *       above lives once, above or beside both backends */
#ifndef CAREID_POLICY_POLICY_H
#define CAREID_POLICY_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "pkcs11.h"

/* P1: passcode of 6 to 8 ASCII digits.  The same bounds apply to the SO
 * passcode (sponsor/PUK), which is what a PIV PUK allows as well. */
#define CID_POLICY_PIN_MIN_LEN            6
#define CID_POLICY_PIN_MAX_LEN            8
/* P2: three wrong passcodes block the card. */
#define CID_POLICY_PIN_MAX_TRIES          3
/* P3: the SO credential has its own limit. */
#define CID_POLICY_SO_PIN_MAX_TRIES       3
/* P4: self-service unlock code lifetime and its own retry limit. */
#define CID_POLICY_UNLOCK_CODE_SECONDS    (15 * 60)
#define CID_POLICY_UNLOCK_CODE_MAX_TRIES  3
/* P6: certificates run exactly two years. */
#define CID_POLICY_CERT_VALIDITY_YEARS    2
/* P7: renewal window and expiry alert. */
#define CID_POLICY_RENEWAL_WINDOW_DAYS    90
/* P8: self-renewals allowed between two in-person issues. */
#define CID_POLICY_MAX_SELF_RENEWALS      2
/* P11: temporary access card lifetime. */
#define CID_POLICY_TAC_MAX_HOURS          72
/* P12: contractor access period when the contract end is unknown. */
#define CID_POLICY_CONTRACTOR_MONTHS      3
/* P13: the user identifier carried in certificates and labels. */
#define CID_POLICY_UUID_DIGITS            12

/* P1 format check for a passcode being *set* (C_InitToken, C_InitPIN,
 * C_SetPIN): CKR_PIN_LEN_RANGE for a bad length, CKR_PIN_INVALID for a
 * non-digit, CKR_ARGUMENTS_BAD for NULL with a non-zero length. */
CK_RV cid_policy_pin_format(const CK_UTF8CHAR *pin, CK_ULONG len);

/* P1 and P5 for a passcode being set: its format, then, when old is given,
 * that it differs from old (CKR_PIN_INVALID, *same_as_old set).  The
 * comparison takes the same time wherever the two differ. */
CK_RV cid_policy_new_pin(const CK_UTF8CHAR *old, CK_ULONG oldlen, const CK_UTF8CHAR *new_pin, CK_ULONG newlen,
                         bool *same_as_old);

/* For a passcode being *presented* (C_Login): true when it can possibly be
 * right.  A passcode that fails this never costs a try (P1). */
bool cid_policy_pin_plausible(const CK_UTF8CHAR *pin, CK_ULONG len);

/* P4: an unlock code is 16 to 64 characters of A-Z and 2-7 (base32, what
 * the administration tool hands out, dashes removed): CKR_PIN_LEN_RANGE or
 * CKR_PIN_INVALID otherwise. */
#define CID_POLICY_UNLOCK_CODE_MIN_LEN    16
#define CID_POLICY_UNLOCK_CODE_MAX_LEN    64
CK_RV cid_policy_unlock_code_format(const CK_UTF8CHAR *code, CK_ULONG len);

/* P2 token flags from a tries-left counter: CKF_USER_PIN_COUNT_LOW,
 * _FINAL_TRY, _LOCKED (or the SO variants when so is true). */
CK_FLAGS cid_policy_pin_flags(unsigned tries_left, unsigned max_tries, bool so);

#endif
