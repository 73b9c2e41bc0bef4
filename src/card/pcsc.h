/* The PC/SC (pcsc-lite) boundary: the only file that includes winscard.h.
 *
 * Nothing here runs at C_Initialize: the resource-manager context is
 * established on the first scan and re-established after pcscd restarts.
 * A machine without pcscd or without readers simply has zero readers. */
#ifndef CAREID_CARD_PCSC_H
#define CAREID_CARD_PCSC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card/io.h"
#include "pkcs11.h"

typedef struct cid_pcsc cid_pcsc;

typedef struct cid_pcsc_reader {
	char *name;
	bool present;      /* a card is in the reader */
	uint32_t events;   /* pcsc-lite's per-reader event counter (changes on insert/remove) */
} cid_pcsc_reader;

/* Cheap: allocates the handle only.  Not thread-safe: the caller
 * serialises calls on one cid_pcsc. */
CK_RV cid_pcsc_new(cid_pcsc **out);
void cid_pcsc_free(cid_pcsc **p);

/* The current readers and whether each holds a card, without waiting.
 * No pcscd or no readers: CKR_OK with *n = 0. */
CK_RV cid_pcsc_snapshot(cid_pcsc *p, cid_pcsc_reader **list, size_t *n);
void cid_pcsc_readers_free(cid_pcsc_reader **list, size_t n);

/* Connects (shared, T=1 or T=0) to the card in reader, with a context of
 * its own so that the token can be used from any thread.
 * CKR_TOKEN_NOT_PRESENT when the reader holds no card (or PC/SC is gone). */
CK_RV cid_pcsc_connect(const char *reader, cid_card_io **out);

/* The one mapping of PC/SC results: connected says whether a card
 * connection existed (then "no card" means it was removed). */
CK_RV cid_pcsc_rv(long rc, bool connected);

#endif
