/* The card backend: PC/SC readers become token places, and a PIV card in
 * a reader becomes a token offering the same PKCS#11 objects as a soft
 * token (certificates, public keys, private keys whose operations run on
 * the card). */
#ifndef CAREID_CARD_CARD_H
#define CAREID_CARD_CARD_H

#include "card/io.h"
#include "backend/backend.h"

/* The PC/SC provider: one place per reader (key: the reader name).  Costs
 * nothing until the first scan, and finds zero readers when pcscd is not
 * running.  Its cards keep their audit trails in trail_dir (NULL: none
 * kept). */
CK_RV cid_card_provider_new(const char *trail_dir, cid_provider **out);

/* A card token over any transport (PC/SC, or a scripted card in tests).
 * Takes ownership of io (released on failure too).  SELECTs the PIV
 * application and reads nothing else: CKR_TOKEN_NOT_RECOGNIZED when the
 * card has none. */
CK_RV cid_card_token_open(cid_card_io *io, cid_token **out);
/* Where the host keeps this card's audit trail (P14, common/host_trail.h);
 * NULL, the default: no trail is kept. */
CK_RV cid_card_token_keep_trail(cid_token *tok, const char *dir);

/* Drops every cached card (module finalisation, tests). */
void cid_card_cache_clear(void);

#endif
