/* careid: vendor-defined PKCS#11 values.
 *
 * Everything careid-pkcs11.so offers beyond the OASIS standard is named
 * here, so that applications and careid-tool use one definition.  All
 * values live in the vendor-defined ranges and start with the bytes
 * 'C' 'I' (0x43 0x49) after the vendor bit, to make them easy to spot in
 * traces.
 *
 * Interfaces: the module offers only the standard "PKCS 11" interface
 * (versions 3.1, 3.0 and 2.40).  No vendor interface exists yet. */
#ifndef CAREID_CAREID_H
#define CAREID_CAREID_H

#include "pkcs11.h"

#define CAREID_VENDOR_TAG 0x43490000UL

/* --- attributes ---------------------------------------------------------- */

/* On key objects of a card: the PIV key reference (one CK_BYTE: 0x9A
 * authentication, 0x9C digital signature, 0x9D key management, 0x9E card
 * authentication, 0x82-0x95 retired keys).  Read-only; absent on soft-token
 * keys, whose material is held by the module. */
#define CKA_CAREID_KEY_REF (CKA_VENDOR_DEFINED | CAREID_VENDOR_TAG | 0x01UL)

/* On the lifecycle object: the issuer's signature over CKA_VALUE (the
 * record), as the issuer made it.  Set at C_CreateObject, read-only. */
#define CKA_CAREID_RECORD_SIGNATURE (CKA_VENDOR_DEFINED | CAREID_VENDOR_TAG | 0x02UL)

/* On the lifecycle object, while the user is logged in: the whole days
 * from the host's clock to the end of the token's certificates, rounded
 * down, as a CK_LONG (negative once they have ended).  When it is 90 or
 * less, the module raised the expiry alert at this login (P7): an
 * application can show it.  Absent without a login or a record. */
#define CKA_CAREID_DAYS_LEFT (CKA_VENDOR_DEFINED | CAREID_VENDOR_TAG | 0x03UL)

/* --- object classes ------------------------------------------------------ */

/* The token's lifecycle record (docs/lifecycle.md): at most one per token,
 * a public token object that nobody can change, copy or destroy.
 * CKA_VALUE holds the record (kind of card, last in-person issue, access
 * end, certificates' end, self-renewals, cancelled, issuer), encoded as
 * src/policy/lifecycle.c writes it; CKA_CAREID_RECORD_SIGNATURE the
 * issuer's signature over it.  The security officer writes a new record
 * with C_CreateObject (class, CKA_VALUE, CKA_CAREID_RECORD_SIGNATURE; the
 * new one replaces the old, and the handle stays): with an issuer
 * configured, one the issuer did not sign, or made for another token, is
 * refused (CKR_ATTRIBUTE_VALUE_INVALID). */
#define CKO_CAREID_LIFECYCLE (CKO_VENDOR_DEFINED | CAREID_VENDOR_TAG | 0x01UL)

/* --- user types ---------------------------------------------------------- */

/* C_Login with this user type authenticates to a card with its management
 * key (PIV key 9B) instead of a passcode: pPin holds the raw key bytes
 * (24 for 3DES, 16/24/32 for AES).  It enables on-card key generation and
 * certificate writing; it grants nothing on soft tokens
 * (CKR_USER_TYPE_INVALID).  The key is used for one challenge-response and
 * wiped; the module never stores it. */
#define CKU_CAREID_CARD_ADMIN (0x80000000UL | CAREID_VENDOR_TAG | 0x01UL)

/* --- the vendor interface ------------------------------------------------ */

/* C_GetInterface((CK_UTF8CHAR_PTR)CAREID_INTERFACE_NAME, NULL, &i, 0) gives
 * a CK_CAREID_FUNCTION_LIST: what Care Identity needs beyond PKCS#11. */
#define CAREID_INTERFACE_NAME "Vendor careid"

typedef struct CK_CAREID_FUNCTION_LIST {
	CK_VERSION version; /* 1.0 */
	/* P4: in a R/W session with the SO logged in, lets the unlock code
	 * (16 to 64 characters of A-Z and 2-7) set a new user passcode once,
	 * within 15 minutes.  CKR_FUNCTION_REJECTED when the token is
	 * cancelled, past its access end or its certificates have ended;
	 * CKR_FUNCTION_NOT_SUPPORTED on tokens that take no codes (cards). */
	CK_RV (*C_CareidIssueUnlockCode)(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pCode, CK_ULONG ulCodeLen);
	/* P4: in a R/W session with nobody logged in, sets the new user
	 * passcode (P1) with the code and unblocks the passcode.
	 * CKR_PIN_INCORRECT for a wrong code (the code has three tries of its
	 * own), CKR_PIN_LOCKED when that was its last, CKR_PIN_EXPIRED when it
	 * has expired, was used or none was issued, CKR_FUNCTION_REJECTED as
	 * above. */
	CK_RV (*C_CareidUnlock)(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pCode, CK_ULONG ulCodeLen,
	                        CK_UTF8CHAR_PTR pNewPin, CK_ULONG ulNewLen);
} CK_CAREID_FUNCTION_LIST;

#endif
