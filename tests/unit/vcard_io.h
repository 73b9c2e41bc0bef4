/* A card transport that holds the virtual card's engine (src/vcard) in this
 * process: each command goes to the same PIV implementation that
 * careid-vcard serves to pcscd in the card rig, so the unit tests and the
 * rig test one card.  The transport counts what crosses it and plays the
 * reader's events: the card pulled and put back, a card without the PIV
 * application, and a reset by another program. */
#ifndef CAREID_TESTS_VCARD_IO_H
#define CAREID_TESTS_VCARD_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card/io.h"
#include "vcard/vcard.h"

#define VCARD_IO_LAST_MAX 300

typedef struct vcard_io {
	cid_card_io base;
	/* The engine: persistent chip contents in card->st, the security
	 * status a power cycle clears in card->ss. */
	struct vc_card *card;
	/* Reader events. */
	bool removed;        /* card out: every call answers CKR_DEVICE_REMOVED */
	bool other_card;     /* the reader holds a card without the PIV application */
	bool reset_pending;  /* another program reset the card: the next transaction reconnects */
	/* What crossed the transport: every APDU, GET RESPONSE and chain
	 * links included. */
	unsigned total;
	unsigned ins[256];
	uint8_t last[VCARD_IO_LAST_MAX];   /* the last command (cut at the bound) */
	size_t lastlen;
	/* INS letters in order: S SELECT, V VERIFY, G GENERAL AUTHENTICATE,
	 * '.' anything else. */
	char trace[64];
	unsigned begins, ends;
} vcard_io;

/* Puts the card kept in the state file `from` into the reader; the card's
 * later changes are written to the state file `work`, so `from` can serve
 * the next test unchanged.  Both strings must outlive v.  0 or -1. */
int vcard_io_open(vcard_io *v, const char *from, const char *work);
void vcard_io_close(vcard_io *v);

/* The card leaves the reader (power lost: the engine's session is gone),
 * and comes back. */
void vcard_io_pull(vcard_io *v);
void vcard_io_insert(vcard_io *v);
/* Another program resets the card now; this transport reconnects (and
 * counts it in base.resets) at its next transaction, as PC/SC does. */
void vcard_io_reset_by_other(vcard_io *v);
void vcard_io_trace_clear(vcard_io *v);

#endif
