/* ISO 7816-4 / PIV status words, and what each means as a PKCS#11 code.
 * Every SW → CK_RV decision of the card backend is made here. */
#ifndef CAREID_CARD_SW_H
#define CAREID_CARD_SW_H

#include <stdbool.h>
#include <stdint.h>

#include "pkcs11.h"

#define CID_SW_OK              0x9000
#define CID_SW_MORE            0x6100  /* 61xx: xx more bytes (00: 256 or more) */
#define CID_SW_WRONG_LE        0x6C00  /* 6Cxx: resend with Le = xx */
#define CID_SW_PIN_TRIES       0x63C0  /* 63Cx: verification failed, x tries left */
#define CID_SW_SECURITY        0x6982
#define CID_SW_BLOCKED         0x6983
#define CID_SW_CONDITIONS      0x6985
#define CID_SW_WRONG_DATA      0x6A80
#define CID_SW_FUNC_NOT_SUPP   0x6A81
#define CID_SW_NOT_FOUND       0x6A82
#define CID_SW_NO_SPACE        0x6A84
#define CID_SW_WRONG_P1P2      0x6A86
#define CID_SW_REF_NOT_FOUND   0x6A88
#define CID_SW_WRONG_LENGTH    0x6700
#define CID_SW_INS_UNKNOWN     0x6D00
#define CID_SW_CLA_UNKNOWN     0x6E00

/* The PKCS#11 code for a status word; CKR_OK only for 9000.  A PIN
 * verification failure (63Cx) maps to CKR_PIN_INCORRECT, 63C0 and 6983
 * to CKR_PIN_LOCKED.  Unknown words are CKR_DEVICE_ERROR. */
CK_RV cid_sw_rv(uint16_t sw);
/* For 63Cx: true and x in *tries. */
bool cid_sw_tries(uint16_t sw, unsigned *tries);
/* "The card does not know this instruction" (6D00, 6E00, 6A81, or 6A86
 * for a vendor INS on some cards): the caller treats the feature as
 * absent rather than failing. */
bool cid_sw_unsupported(uint16_t sw);

#endif
