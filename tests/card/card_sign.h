/* Signing helpers of the careid card test: the message the tests sign,
 * the public key of a card certificate, the mechanisms the card slot
 * offers and their names, and signing on the card with OpenSSL checking
 * each signature. */
#ifndef CAREID_TESTS_CARD_SIGN_H
#define CAREID_TESTS_CARD_SIGN_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "card_fixture.h"

/* What the tests sign, its terminating NUL included. */
#define CARD_MSG_TEXT "careid card test data, signed and checked end to end"
extern const CK_BYTE card_msg[sizeof(CARD_MSG_TEXT)];

EVP_PKEY *cert_key(int id);
bool offered(CK_MECHANISM_TYPE m, CK_FLAGS need);
const char *mech_name(CK_MECHANISM_TYPE m);
CK_RV card_sign(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key, CK_MECHANISM *m, bool ctx_login, const CK_BYTE *in,
                CK_ULONG inlen, CK_BYTE *sig, CK_ULONG *siglen);
void sign_all(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key, EVP_PKEY *pk, bool ctx_login,
              const CK_MECHANISM_TYPE *list, size_t n, const CK_MECHANISM_TYPE *required, size_t nreq);

#endif
