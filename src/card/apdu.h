/* ISO 7816-4 command APDUs over a cid_card_io: encoding (short and
 * extended lengths), command chaining for long data on short-length
 * cards, and response assembly (61xx GET RESPONSE, 6Cxx resend).  Every
 * buffer is bounded: a response that does not fit is an error, never an
 * overflow. */
#ifndef CAREID_CARD_APDU_H
#define CAREID_CARD_APDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card/io.h"
#include "pkcs11.h"

/* Le meaning "as much as the card has" (00 short, 00 00 extended). */
#define CID_APDU_LE_ALL ((size_t)65536)
#define CID_APDU_SHORT_MAX_LC 255
#define CID_APDU_CHAIN_BIT 0x10

typedef struct cid_apdu {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data;
	size_t lc;
	size_t le;      /* 0: no Le field; 1..256 short, 1..65536 extended; CID_APDU_LE_ALL */
	bool secret;    /* data holds a passcode or key: never traced */
} cid_apdu;

/* Encodes a; CKR_DATA_LEN_RANGE when it does not fit the chosen form
 * (short: Lc <= 255; Le above 256 is sent as 00), CKR_BUFFER_TOO_SMALL
 * when cap is short. */
CK_RV cid_apdu_encode(const cid_apdu *a, bool extended, uint8_t *out, size_t cap, size_t *outlen);

/* Sends a and collects the whole response data into resp (capacity cap),
 * inside one transaction.  Long data goes in 255-byte chained blocks
 * unless extended is true.  *sw receives the final status word; the
 * return value is about the transport and the response size only
 * (CKR_DEVICE_ERROR for a response beyond cap or malformed).  A chained
 * block answered with anything but 9000 stops the exchange and reports
 * that status word. */
CK_RV cid_apdu_transceive(cid_card_io *io, bool extended, const cid_apdu *a, uint8_t *resp, size_t cap,
                          size_t *resplen, uint16_t *sw);

#endif
