/* The transport under the APDU layer: raw command bytes in, raw response
 * bytes (data and SW1 SW2) out, and exclusive access to the card.  PC/SC
 * is one implementation (card/pcsc.c); unit tests script a fake card.
 *
 * Return codes: CKR_DEVICE_REMOVED when the card is gone,
 * CKR_TOKEN_NOT_PRESENT when there is none, CKR_DEVICE_ERROR for
 * communication failures.  When another process reset the card the
 * transport reconnects by itself and counts it in resets: the layers above
 * compare that counter to notice that the card lost its application
 * selection and its login state. */
#ifndef CAREID_CARD_IO_H
#define CAREID_CARD_IO_H

#include <stddef.h>
#include <stdint.h>

#include "pkcs11.h"

typedef struct cid_card_io cid_card_io;

struct cid_card_io_ops {
	/* *resplen holds the capacity on entry, the length on return. */
	CK_RV (*transmit)(cid_card_io *io, const uint8_t *cmd, size_t cmdlen, uint8_t *resp,
	                  size_t *resplen);
	CK_RV (*begin)(cid_card_io *io);
	CK_RV (*end)(cid_card_io *io);
	void (*release)(cid_card_io *io);
};

struct cid_card_io {
	const struct cid_card_io_ops *ops;
	uint64_t resets;     /* bumped by the transport on each reconnect after a reset */
	unsigned tx_depth;   /* nesting of cid_io_begin, owned by card/apdu.c */
};

/* Nesting transactions: only the outermost pair reaches the transport, so
 * a multi-command operation can hold the card across calls that each take
 * a transaction of their own. */
CK_RV cid_io_begin(cid_card_io *io);
void cid_io_end(cid_card_io *io);

#endif
