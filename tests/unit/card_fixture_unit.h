/* What the card-token unit tests share: one virtual card (the engine of
 * careid-vcard, through tests/unit/vcard_io.c) issued once per program and
 * put fresh into the reader for each test, and helpers around careid's
 * card token.
 *
 * The card: a fresh Care Identity card from the engine (PIN 123456, PUK
 * 12345678, the well-known 3DES management key, UUID 123456789012, serial
 * 1234567), personalised so that each kind of key the backend handles is
 * there: an ECDSA/ECDH key P-256 in 9A with a self-signed certificate, the
 * issued P-256 signature key in 9C (PIN always), the issued RSA-2048 key
 * moved to 9D (decryption), and 9E empty. */
#ifndef CAREID_TESTS_CARD_FIXTURE_UNIT_H
#define CAREID_TESTS_CARD_FIXTURE_UNIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "card/card.h"
#include "careid/careid.h"
#include "vcard_io.h"

/* The reader of the current test. */
extern vcard_io V;
/* The card's default management key (3DES). */
extern const uint8_t MGMT[24];

int card_group_setup(void **state);
int card_group_teardown(void **state);
/* A copy of the issued card in the reader, and an empty card cache. */
int card_setup(void **state);
int card_teardown(void **state);

/* The engine's view of the card: chip contents and security status. */
struct vc_state *chip(void);
struct vc_session *chip_session(void);
/* The key in a slot (private half: the tests verify with it), or NULL. */
EVP_PKEY *chip_key(uint8_t slot);
/* The content of a data object, or NULL. */
const struct vc_obj *chip_obj(uint32_t tag);

/* Objects as the backend reports them. */
typedef struct objs {
	uint64_t id[32];
	cid_attrs a[32];
	size_t n;
} objs;

CK_RV collect(void *ctx, uint64_t id, const cid_attrs *attrs);
void objs_free(objs *o);
const cid_attrs *find_obj(const objs *o, CK_OBJECT_CLASS cls, uint8_t id);

/* The backend's object id of the private key in a slot. */
uint64_t priv_id(uint8_t ref);
cid_token *open_card(void);
CK_RV login(cid_token *t, CK_USER_TYPE who, const char *pin);
CK_FLAGS flags(cid_token *t);
/* Verifies an r||s signature of fb-byte halves over h with k: 1 when good. */
int ecdsa_ok(EVP_PKEY *k, const uint8_t *h, size_t hl, const uint8_t *rs, size_t fb);
/* A self-signed certificate for k with the given CN (DER, OPENSSL_free). */
uint8_t *make_cert(EVP_PKEY *k, const char *cn, size_t *len);

#endif
